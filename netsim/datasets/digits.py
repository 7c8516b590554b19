"""scikit-learn's bundled 8x8 handwritten digits, optionally re-rendered larger / in RGB."""
from __future__ import annotations

import functools

import numpy as np

from .base import ArrayDataset, check_choice, check_int, check_real, check_split

__all__ = ["load_digits_dataset", "resize_images"]


def load_digits_dataset(split="train", *, seed=0, test_fraction=0.25, size=8, channels=1, binary=False):
    """The 1797 handwritten digits of ``sklearn.datasets.load_digits``.

    Parameters
    ----------
    split : {"train", "test"}
        Side of a stratified split, seeded by ``seed``.
    seed : int
        Seed of the train/test split.
    test_fraction : float in (0, 1)
        Fraction of the 1797 images in the test split.
    size : int >= 8
        Side of the output images; values other than 8 are resampled bilinearly
        (e.g. 16 or 32 to share the sprites' input shape).
    channels : {1, 3}
        3 replicates the grey image into RGB.
    binary : bool
        Relabel {0..4} -> 0 and {5..9} -> 1.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, channels, size, size), float32 in [0, 1]; ``y`` of shape (n,)
        with 10 classes (2 if ``binary``). Factor ``digit`` keeps the original digit.
    """
    from sklearn.model_selection import train_test_split

    check_split(split)
    check_int(seed, "seed", minimum=0)
    check_real(test_fraction, "test_fraction", minimum=0.0, strict_minimum=True, maximum=0.99)
    size = check_int(size, "size", minimum=8)
    check_choice(channels, "channels", (1, 3))
    if not isinstance(binary, bool):
        raise TypeError(f"binary must be a bool, got {binary!r}")

    images, digits = _load()
    train_index, test_index = train_test_split(
        np.arange(len(digits)), test_size=test_fraction, random_state=seed, stratify=digits
    )
    index = np.sort(train_index if split == "train" else test_index)
    x = resize_images(images[index], size)[:, None]
    x = np.repeat(x, channels, axis=1)
    digit = digits[index]
    if binary:
        y, class_names = (digit >= 5).astype(np.int64), ("0-4", "5-9")
    else:
        y, class_names = digit.copy(), tuple(str(d) for d in range(10))
    return ArrayDataset(
        x=x, y=y, num_classes=len(class_names),
        name=f"digits{'-binary' if binary else ''}/{size}x{size}/{split}",
        factors={"digit": digit}, class_names=class_names,
    )


def resize_images(images, size):
    """Bilinear resampling of square images to ``size x size``.

    Pixel centres are aligned as in ``torch.nn.functional.interpolate(...,
    align_corners=False)`` (``grid_mode=True``); edges repeat the border pixel.

    Parameters
    ----------
    images : ndarray of shape (n, h, w)
    size : int

    Returns
    -------
    ndarray of shape (n, size, size), float32, within the input's value range.
    """
    from scipy.ndimage import zoom

    images = np.asarray(images, dtype=np.float32)
    if images.ndim != 3:
        raise ValueError(f"images must have shape (n, h, w), got {images.shape}")
    if images.shape[1:] == (size, size):
        return images.copy()
    factors = (1.0, size / images.shape[1], size / images.shape[2])
    out = zoom(images, factors, order=1, mode="nearest", grid_mode=True)
    return out.astype(np.float32, copy=False)


@functools.lru_cache(maxsize=1)
def _load():
    """Images (1797, 8, 8) scaled from 0..16 to [0, 1], and digit labels (1797,)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)
    digits = bunch.target.astype(np.int64)
    images.setflags(write=False)
    digits.setflags(write=False)
    return images, digits
