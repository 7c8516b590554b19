"""Natural image patches from scikit-learn's two bundled photographs."""
from __future__ import annotations

import functools

import numpy as np

from .base import ArrayDataset, balanced_labels, check_choice, check_int, check_split, make_rng

__all__ = ["load_image_patches", "PATCH_IMAGES"]

PATCH_IMAGES = ("china", "flower")
"""The photographs of ``sklearn.datasets.load_sample_images`` (label = index here)."""

_LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)  # ITU-R BT.601 grey


def load_image_patches(split="train", *, seed=0, n=None, patch_size=8, channels=1):
    """Random square patches of the two sample photographs, labelled by photograph.

    Train patches lie in the left half of each photograph and test patches in the
    right half, so no pixel is shared between the splits.

    Parameters
    ----------
    split : {"train", "test"}
    seed : int
    n : int, optional
        Number of patches, split evenly between the photographs (default 2000 for
        train, 1000 for test).
    patch_size : int
        Side of a patch in pixels, at most the half-width of a photograph (320).
    channels : {1, 3}
        1 converts to grey (BT.601 luma), 3 keeps RGB.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, channels, patch_size, patch_size), float32 in [0, 1];
        ``y`` in {0, 1} (:data:`PATCH_IMAGES`); factors ``row`` and ``col`` give each
        patch's top-left pixel in its photograph.
    """
    check_split(split)
    if n is None:
        n = 2000 if split == "train" else 1000
    n = check_int(n, "n", minimum=1)
    check_choice(channels, "channels", (1, 3))
    photos = _photographs()
    height, width = photos.shape[1:3]
    half = width // 2
    patch_size = check_int(patch_size, "patch_size", minimum=1, maximum=min(height, half))

    rng = make_rng(seed, "image_patches", split)
    label = balanced_labels(rng, n, len(PATCH_IMAGES))
    row = rng.integers(0, height - patch_size + 1, n)
    col = rng.integers(0, half - patch_size + 1, n) + (0 if split == "train" else width - half)
    offsets = np.arange(patch_size)
    # Gather (n, p, p, 3) with broadcast row / column indices.
    pixels = photos[label[:, None, None], row[:, None, None] + offsets[:, None], col[:, None, None] + offsets]
    if channels == 1:
        pixels = pixels @ _LUMA[:, None]
    return ArrayDataset(
        x=np.ascontiguousarray(pixels.transpose(0, 3, 1, 2)), y=label, num_classes=len(PATCH_IMAGES),
        name=f"image_patches/{patch_size}x{patch_size}/{split}",
        factors={"row": row, "col": col}, class_names=PATCH_IMAGES,
    )


@functools.lru_cache(maxsize=1)
def _photographs():
    """The two photographs as one array (2, 427, 640, 3), float32 in [0, 1]."""
    from sklearn.datasets import load_sample_images

    photos = np.stack(load_sample_images().images).astype(np.float32) / 255.0
    photos.setflags(write=False)
    return photos
