"""Gaussian inputs with a chosen eigenspectrum, labelled by a random teacher network."""
from __future__ import annotations

import numpy as np

from .base import ArrayDataset, check_int, check_real, check_split, make_rng

__all__ = ["input_eigenvalues", "load_sloppy_gaussian"]

_REFERENCE_SAMPLES = 20_000  # inputs used once to balance the teacher's classes
_BALANCE_STEPS = 200


def input_eigenvalues(d=200, c=0.5, b=None):
    """Eigenvalues ``lambda_i = b * exp(-c * i)``, ``i = 1..d`` (thesis, ch. 2 and 4).

    Parameters
    ----------
    d : int
        Input dimension.
    c : float >= 0
        Decay rate ("sloppiness"); 0 gives isotropic inputs.
    b : float > 0, optional
        Scale; default ``50 * c`` (so the trace is about 50 for every small c), or 1
        when ``c == 0``.

    Returns
    -------
    ndarray of shape (d,), float64, descending.
    """
    d = check_int(d, "d", minimum=1)
    c = check_real(c, "c", minimum=0.0)
    b = (50.0 * c if c > 0 else 1.0) if b is None else check_real(b, "b", minimum=0.0, strict_minimum=True)
    return b * np.exp(-c * np.arange(1, d + 1))


def load_sloppy_gaussian(
    split="train", *, seed=0, d=200, c=0.5, b=None, hidden=50, num_classes=5,
    n_train=5000, n_test=1000, balance=True,
):
    """Teacher-labelled Gaussian inputs ``x ~ N(0, diag(lambda))``.

    The teacher is a bias-free ReLU network ``d -> hidden -> num_classes`` with weights
    ``N(0, 1/fan_in)``, fixed by ``seed`` and shared by both splits; the label is the
    argmax of its logits. A random teacher sends most inputs to one or two classes, so
    with ``balance`` its logits get per-class offsets that equalise the class
    frequencies on a reference sample (the dual ascent of semi-discrete optimal
    transport); the labelling stays a deterministic function of x.

    Parameters
    ----------
    split : {"train", "test"}
    seed : int
        Seeds the teacher; the inputs use ``seed`` and ``split``.
    d, c, b
        Input dimension and spectrum, see :func:`input_eigenvalues`.
    hidden : int or tuple of int
        Hidden widths of the teacher (``()`` gives a linear teacher).
    num_classes : int >= 2
    n_train, n_test : int
        Sizes of the two splits.
    balance : bool
        Equalise the teacher's class frequencies (see above).

    Returns
    -------
    ArrayDataset
        ``x`` of shape (n, d) float32, ``y`` of shape (n,) in ``[0, num_classes)``.
    """
    check_split(split)
    spectrum = input_eigenvalues(d, c, b)
    widths = tuple(hidden) if isinstance(hidden, (tuple, list)) else (hidden,)
    widths = tuple(check_int(w, "hidden", minimum=1) for w in widths)
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    n = check_int(n_train if split == "train" else n_test, f"n_{split}", minimum=1)
    if not isinstance(balance, bool):
        raise TypeError(f"balance must be a bool, got {balance!r}")

    teacher_rng = make_rng(seed, "sloppy_gaussian", "teacher")
    weights = _teacher_weights(teacher_rng, (len(spectrum), *widths, num_classes))
    offsets = np.zeros(num_classes)
    if balance:
        reference = _sample_inputs(teacher_rng, _REFERENCE_SAMPLES, spectrum)
        offsets = _balancing_offsets(_teacher_logits(weights, reference))
    x = _sample_inputs(make_rng(seed, "sloppy_gaussian", split), n, spectrum)
    y = np.argmax(_teacher_logits(weights, x) + offsets, axis=1)
    return ArrayDataset(
        x=x.astype(np.float32), y=y.astype(np.int64), num_classes=num_classes,
        name=f"sloppy_gaussian/d{len(spectrum)}-c{c:g}/{split}",
    )


def _sample_inputs(rng, n, spectrum):
    """Rows of shape (n, d) from ``N(0, diag(spectrum))``, float64."""
    return rng.standard_normal((n, spectrum.size)) * np.sqrt(spectrum)


def _teacher_weights(rng, widths):
    """Weight matrices (fan_in, fan_out) with entries ``N(0, 1/fan_in)``."""
    return [rng.standard_normal((m, k)) / np.sqrt(m) for m, k in zip(widths[:-1], widths[1:])]


def _teacher_logits(weights, x):
    """Logits of shape (n, num_classes): ReLU after every layer but the last."""
    for w in weights[:-1]:
        x = np.maximum(x @ w, 0.0)
    return x @ weights[-1]


def _balancing_offsets(logits):
    """Per-class offsets making ``argmax(logits + offsets)`` about uniform.

    Subgradient ascent on the dual of assigning the samples to classes in equal shares,
    with steps decaying as ``1/sqrt(t)`` in units of the logits' spread.
    """
    k = logits.shape[1]
    offsets = -logits.mean(axis=0)
    step = logits.std()
    for t in range(_BALANCE_STEPS):
        counts = np.bincount(np.argmax(logits + offsets, axis=1), minlength=k)
        offsets += step * (1.0 / k - counts / len(logits)) / np.sqrt(t + 1)
    return offsets
