"""Input checks shared by the metrics.

Every public metric validates its inputs here, once, so that bad input fails with a
``ValueError``/``TypeError`` naming the argument instead of returning a silently wrong
number. The checks are vectorised and cheap next to the metrics themselves (two passes
over a probability array: one row sum, one minimum).
"""
from __future__ import annotations

import numbers

import numpy as np

#: Rows of a probability array must sum to 1 within this tolerance. Float32 softmax
#: outputs deviate by ~1e-7 per row (more for large C), so 1e-4 accepts them while still
#: catching unnormalised scores.
ROW_SUM_ATOL = 1e-4


def as_numpy(x, name: str) -> np.ndarray:
    """Return ``x`` as a numpy array; torch tensors are detached and moved to the CPU.

    Torch is never imported here: a tensor is recognised by its ``detach`` method.
    """
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be a numeric array; got dtype {arr.dtype}")
    return arr


def check_probabilities(name: str, x, axes: tuple[str, ...] = ("N", "C")) -> np.ndarray:
    """Validate an array of per-sample probability vectors and return it as float64.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    x : array_like or torch.Tensor
        Probabilities whose last axis runs over classes.
    axes : tuple of str
        Names of the expected axes, e.g. ``("N", "C")`` or ``("m", "N", "C")``; fixes
        the number of dimensions and is quoted in the error message.

    Returns
    -------
    numpy.ndarray of float64, same shape as ``x``.

    Raises
    ------
    ValueError
        Wrong number of dimensions, empty axes, NaN or infinite values, negative entries,
        or rows that do not sum to 1 within :data:`ROW_SUM_ATOL`.
    """
    arr = as_numpy(x, name)
    expected = "(" + ", ".join(axes) + ")"
    if arr.ndim != len(axes):
        raise ValueError(
            f"{name} must be a {len(axes)}-D array of shape {expected}; "
            f"got an array of shape {arr.shape}"
        )
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty; got shape {arr.shape}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued; got dtype {arr.dtype}")
    arr = np.asarray(arr, dtype=np.float64)
    # A NaN or infinite entry makes its row sum non-finite, so one pass over the
    # row sums checks finiteness and normalisation together.
    row_sums = arr.sum(axis=-1)
    if not np.isfinite(row_sums).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    lowest = arr.min()
    if lowest < 0:
        raise ValueError(
            f"{name} has negative entries (min {lowest:.3g}); "
            "pass probabilities, not logits"
        )
    deviation = np.abs(row_sums - 1.0).max()
    if deviation > ROW_SUM_ATOL:
        raise ValueError(
            f"rows of {name} must sum to 1 (max deviation {deviation:.3g}); "
            "pass probabilities, not logits"
        )
    return arr


def check_same_samples(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Require two probability arrays to share their last two axes (N, C)."""
    if a.shape[-2:] != b.shape[-2:]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of samples N and classes C "
            f"(last two axes); got {name_a} with shape {a.shape} and {name_b} with shape "
            f"{b.shape}"
        )


def check_positive_int(name: str, value) -> int:
    """Return ``value`` as an int, requiring an integer >= 1."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer; got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1; got {value}")
    return int(value)


def check_labels(labels, n_samples: int | None, num_classes: int,
                 name: str = "labels") -> np.ndarray:
    """Validate integer class labels in ``[0, num_classes)``, one per sample.

    ``n_samples=None`` accepts any length.
    """
    arr = as_numpy(labels, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (N,); got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class indices; got dtype {arr.dtype}")
    if n_samples is not None and arr.shape[0] != n_samples:
        raise ValueError(
            f"{name} must have one label per sample (N = {n_samples}); got {arr.shape[0]}"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in [0, {num_classes}) for C = {num_classes} classes; "
            f"got values in [{arr.min()}, {arr.max()}]"
        )
    return arr.astype(np.int64, copy=False)


def check_fractions(name: str, a) -> np.ndarray:
    """Validate a scalar or 1-D array of interpolation parameters in [0, 1]."""
    arr = np.asarray(as_numpy(a, name), dtype=np.float64)
    if arr.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D array; got shape {arr.shape}")
    if arr.size == 0 or not (np.isfinite(arr).all() and arr.min() >= 0 and arr.max() <= 1):
        shown = np.array2string(arr, threshold=6)
        raise ValueError(f"{name} must be finite values in [0, 1]; got {shown}")
    return arr


def check_distance_matrix(name: str, D, rtol: float = 1e-6) -> np.ndarray:
    """Validate a square, symmetric, finite matrix with zero diagonal.

    Symmetry and the zero diagonal are checked within ``rtol * max(1, max|D|)``; the
    returned float64 matrix is exactly symmetrised, ``(D + D.T) / 2``, with its diagonal
    set to zero.
    """
    arr = as_numpy(D, name)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square 2-D array (m, m); got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must be non-empty")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    tol = rtol * max(1.0, float(np.abs(arr).max()))
    asym = float(np.abs(arr - arr.T).max())
    if asym > tol:
        raise ValueError(f"{name} must be symmetric; max |{name} - {name}.T| = {asym:.3g}")
    diag = float(np.abs(np.diagonal(arr)).max())
    if diag > tol:
        raise ValueError(f"{name} must have a zero diagonal; max |diag| = {diag:.3g}")
    arr = (arr + arr.T) / 2
    np.fill_diagonal(arr, 0.0)
    return arr
