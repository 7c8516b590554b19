"""MNIST-1D through the ``mnist1d`` package's procedural generator (never downloads)."""
from __future__ import annotations

import functools
import random

import numpy as np

from .base import ArrayDataset, check_int, check_real, check_split

__all__ = ["load_mnist1d", "MNIST1D_SEED"]

MNIST1D_SEED = 42
"""Seed of the published MNIST-1D benchmark (``get_dataset_args().seed``)."""

# Generator arguments a caller may override, with the check each must pass.
_INT_ARGS = ("num_samples", "template_len", "max_translation", "final_seq_length")
_REAL_ARGS = ("train_split", "scale_coeff", "corr_noise_scale", "iid_noise_scale", "shear_scale")


def load_mnist1d(
    split="train",
    *,
    seed=None,
    num_samples=None,
    train_split=None,
    template_len=None,
    padding=None,
    scale_coeff=None,
    max_translation=None,
    corr_noise_scale=None,
    iid_noise_scale=None,
    shear_scale=None,
    shuffle_seq=None,
    final_seq_length=None,
    label_map=None,
):
    """MNIST-1D sequences from ``mnist1d.data.make_dataset``.

    With no options this is the published benchmark: 4000 train / 1000 test sequences
    of length 40, 10 classes, generator seed 42. Every option left at ``None`` keeps
    the value of ``mnist1d.data.get_dataset_args()``; the others are set on the args
    object under the same name, which makes domains of one task (e.g. a larger
    ``max_translation`` or ``corr_noise_scale``).

    Parameters
    ----------
    split : {"train", "test"}
        The first ``train_split`` fraction of the generated sequences, or the rest.
    seed : int, optional
        Generator seed; ``None`` keeps the benchmark's seed 42.
    num_samples : int, optional
        Total number of sequences over both splits (default 5000); a multiple of 10
        keeps the classes balanced.
    train_split, template_len, padding, scale_coeff, max_translation, corr_noise_scale,
    iid_noise_scale, shear_scale, shuffle_seq, final_seq_length : optional
        The ``mnist1d`` generator arguments of the same name (``padding`` is a pair
        ``(low, high)`` of ints).
    label_map : sequence of 10 ints, optional
        New label of each digit (e.g. ``(0, 1, 2, 3, 4, 0, 1, 2, 3, 4)``: digit mod 5), for a
        task with other classes over the same kind of inputs; the classes are
        ``0 .. max(label_map)``, each of which must occur.

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, 1, final_seq_length) float32 (standardised over the whole
        generated set, as ``mnist1d`` does), ``y`` of shape (n,) in ``[0, 10)``.
    """
    check_split(split)
    overrides = _validated_overrides(
        seed=seed, num_samples=num_samples, train_split=train_split, template_len=template_len,
        padding=padding, scale_coeff=scale_coeff, max_translation=max_translation,
        corr_noise_scale=corr_noise_scale, iid_noise_scale=iid_noise_scale,
        shear_scale=shear_scale, shuffle_seq=shuffle_seq, final_seq_length=final_seq_length,
    )
    x_train, y_train, x_test, y_test = _generate(_full_args(overrides))
    x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
    names, num_classes, name = tuple(str(d) for d in range(10)), 10, f"mnist1d/{split}"
    if label_map is not None:
        mapping = _check_label_map(label_map)
        y = mapping[y]
        num_classes = int(mapping.max()) + 1
        names = tuple("+".join(str(d) for d in range(10) if mapping[d] == c) for c in range(num_classes))
        name = f"{name}-labels-{'-'.join(map(str, mapping))}"
    # Copies: the cached arrays must not be mutated by callers.
    return ArrayDataset(
        x=x[:, None, :].astype(np.float32),
        y=y.astype(np.int64),
        num_classes=num_classes,
        name=name,
        class_names=names,
    )


def _check_label_map(label_map) -> np.ndarray:
    values = list(label_map) if isinstance(label_map, (tuple, list, np.ndarray)) else None
    if values is None or len(values) != 10:
        raise ValueError(f"label_map must be a sequence of 10 ints (a label per digit), got {label_map!r}")
    mapping = np.array([check_int(v, "label_map", minimum=0) for v in values], dtype=np.int64)
    missing = sorted(set(range(int(mapping.max()) + 1)) - set(mapping.tolist()))
    if missing:
        raise ValueError(f"label_map must use every class from 0 to its maximum; missing {missing}")
    return mapping


def _validated_overrides(**options):
    """The non-``None`` options, checked and converted to hashable plain values."""
    out = {}
    for key, value in options.items():
        if value is None:
            continue
        if key == "seed":
            out[key] = check_int(value, "seed", minimum=0)
        elif key in _INT_ARGS:
            out[key] = check_int(value, key, minimum=1)
        elif key in _REAL_ARGS:
            out[key] = check_real(value, key, minimum=0.0)
        elif key == "shuffle_seq":
            if not isinstance(value, bool):
                raise TypeError(f"shuffle_seq must be a bool, got {value!r}")
            out[key] = value
        elif key == "padding":
            out[key] = _check_padding(value)
    if not 0.0 < out.get("train_split", 0.8) < 1.0:
        raise ValueError(f"train_split must lie in (0, 1), got {out['train_split']}")
    return out


def _check_padding(padding):
    if not (isinstance(padding, (tuple, list)) and len(padding) == 2):
        raise TypeError(f"padding must be a pair (low, high) of ints, got {padding!r}")
    low, high = (check_int(p, "padding", minimum=0) for p in padding)
    if low > high:
        raise ValueError(f"padding must satisfy low <= high, got {padding!r}")
    return (low, high)


def _full_args(overrides):
    """All generator arguments as a hashable cache key (equal options, equal key)."""
    import mnist1d.data

    args = mnist1d.data.get_dataset_args(as_dict=True)
    args.pop("url")  # only used for downloading
    args["padding"] = tuple(args["padding"])
    args.update(overrides)
    return tuple(sorted(args.items()))


@functools.lru_cache(maxsize=8)
def _generate(full_args):
    """Run ``make_dataset`` once per argument set (a few seconds each), cached.

    ``make_dataset`` reseeds numpy's and Python's global generators; their states are
    restored afterwards so that loading data never changes a caller's random stream.
    """
    import mnist1d.data
    from mnist1d.utils import ObjectView

    args = ObjectView({key: list(value) if key == "padding" else value for key, value in full_args})
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = mnist1d.data.make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    arrays = (data["x"], data["y"], data["x_test"], data["y_test"])
    for array in arrays:
        array.setflags(write=False)
    return arrays
