"""Kernel similarity indices: linear CKA, normalised Bures similarity, CountSketch.

Used by study 3 (similarity with gradients): a network on a data set is represented by a
kernel matrix, and two kernels are compared by centred kernel alignment (Cortes et al.)
or by the normalised Bures similarity (Muzellec & Cuturi), eqs. 10-11 of the gradient
paper. Kernels are centred first, as CKA is and as the paper's public code does for NBS.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg

from ._validation import as_numpy


def _matrix(name: str, x, square: bool = False) -> np.ndarray:
    arr = np.asarray(as_numpy(x, name), dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array; got shape {arr.shape}")
    if square and arr.shape[0] != arr.shape[1]:
        raise ValueError(f"{name} must be a square kernel matrix (n, n); got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def centre_kernel(K) -> np.ndarray:
    """H K H with H = I - 11^T/n (double centring), for K of shape (n, n)."""
    K = _matrix("K", K, square=True)
    row = K.mean(axis=1, keepdims=True)
    return K - row - row.T + K.mean()


def _check_pair(K1, K2):
    K1, K2 = _matrix("K1", K1, square=True), _matrix("K2", K2, square=True)
    if K1.shape != K2.shape:
        raise ValueError(f"K1 and K2 must be kernels on the same n samples; got {K1.shape} and {K2.shape}")
    return K1, K2


def cka_kernels(K1, K2) -> float:
    """CKA of two kernels on the same samples (eq. 10): <H K1 H, H K2 H>_F / (||H K1 H||_F ||H K2 H||_F)."""
    K1, K2 = _check_pair(K1, K2)
    A, B = centre_kernel(K1), centre_kernel(K2)
    denom = np.linalg.norm(A) * np.linalg.norm(B)
    if denom == 0:
        raise ValueError("a centred kernel is zero (constant features); CKA is undefined")
    return float(np.sum(A * B) / denom)


def cka(X, Y) -> float:
    """Linear CKA of two feature matrices with the same rows (biased HSIC, centred).

    CKA = ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), Xc, Yc column-centred; equal to
    :func:`cka_kernels` of the linear kernels X X^T and Y Y^T, computed in feature space.

    Parameters
    ----------
    X : array_like (n, d1); Y : array_like (n, d2)

    Returns
    -------
    float in [0, 1]; invariant to orthogonal transforms and isotropic scaling of either side.
    """
    X, Y = _matrix("X", X), _matrix("Y", Y)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same rows (samples); got {X.shape[0]} and {Y.shape[0]}")
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    denom = np.linalg.norm(Xc.T @ Xc) * np.linalg.norm(Yc.T @ Yc)
    if denom == 0:
        raise ValueError("X or Y has constant columns only; CKA is undefined")
    return float(np.linalg.norm(Yc.T @ Xc) ** 2 / denom)


def _clip_rounding(values: np.ndarray) -> np.ndarray:
    """Zero the eigenvalues of a PSD matrix that are rounding noise (|v| <= n eps max v).

    Their square roots (about 1e-8) would otherwise add up to visible errors for
    low-rank kernels such as linear kernels of few features.
    """
    tol = len(values) * np.finfo(float).eps * max(float(np.abs(values).max()), 0.0)
    return np.where(values > tol, values, 0.0)


def _psd_sqrt(K: np.ndarray) -> np.ndarray:
    values, vectors = scipy.linalg.eigh(K)
    return (vectors * np.sqrt(_clip_rounding(values))) @ vectors.T


def nbs(K1, K2) -> float:
    """Normalised Bures similarity of two PSD kernels, both centred first (eq. 11).

    NBS = tr (K1^{1/2} K2 K1^{1/2})^{1/2} / sqrt(tr K1 tr K2), in [0, 1].

    Parameters
    ----------
    K1, K2 : array_like (n, n) symmetric positive semi-definite.
    """
    K1, K2 = _check_pair(K1, K2)
    A, B = centre_kernel(K1), centre_kernel(K2)
    for name, M in (("K1", A), ("K2", B)):
        if np.abs(M - M.T).max() > 1e-8 * max(1.0, np.abs(M).max()):
            raise ValueError(f"{name} must be symmetric")
    denom = np.sqrt(np.trace(A) * np.trace(B))
    if denom <= 0:
        raise ValueError("a centred kernel has zero trace; NBS is undefined")
    S = _psd_sqrt((A + A.T) / 2)
    inner = scipy.linalg.eigvalsh(S @ ((B + B.T) / 2) @ S)
    return float(np.sqrt(_clip_rounding(inner)).sum() / denom)


#: Mixing constants of SplitMix64 (Steele, Lea & Flood 2014), a counter-based hash.
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MASK64 = (1 << 64) - 1


def _splitmix64(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser of an array of uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
        return z ^ (z >> np.uint64(31))


def _check_sketch_args(m, seed) -> tuple[int, int]:
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, numbers.Integral) or m < 1:
        raise ValueError(f"m must be a positive int (number of buckets); got {m!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int; got {seed!r}")
    return int(m), int(seed)


def sketch_hashes(start: int, n: int, m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Buckets h(i) and signs s(i) of the samples i = start, ..., start + n - 1.

    Each pair depends only on (seed, i, m), through a SplitMix64 hash of the global
    index i: streaming a data set in batches of any sizes therefore gives every sample
    the bucket and sign it gets when the stacked rows are sketched at once, and two
    models sketched on one data set with one seed share the sketch matrix S. Bit 0 of
    the hash gives the sign, the remaining 63 bits the bucket (modulo bias < m / 2**63).

    Returns
    -------
    buckets : (n,) int64 in [0, m)
    signs : (n,) float64 in {-1, +1}
    """
    m, seed = _check_sketch_args(m, seed)
    if start < 0 or n < 0:
        raise ValueError(f"start and n must be >= 0; got start={start}, n={n}")
    key = _splitmix64(np.array([seed & _MASK64], dtype=np.uint64))[0]
    with np.errstate(over="ignore"):
        index = np.arange(start, start + n, dtype=np.uint64)
        h = _splitmix64(index * _GOLDEN + key)
    buckets = ((h >> np.uint64(1)) % np.uint64(m)).astype(np.int64)
    signs = 1.0 - 2.0 * (h & np.uint64(1)).astype(np.float64)
    return buckets, signs


def sketch_rows(X: np.ndarray, buckets: np.ndarray, signs: np.ndarray, m: int) -> np.ndarray:
    """S X for the rows of X (n, d) given their buckets and signs; returns (m, d).

    A sparse (m, n) matrix product: within a bucket the rows are added in index order.
    """
    import scipy.sparse

    S = scipy.sparse.csr_matrix((signs, (buckets, np.arange(len(buckets)))), shape=(m, len(buckets)))
    return np.asarray(S @ X, dtype=np.float64)


def count_sketch(X, m: int, seed: int) -> np.ndarray:
    """CountSketch of the rows of X into m buckets (Woodruff 2014; Alg. 1 of the gradient paper).

    Row i is added, with a sign s(i) = +-1, to bucket h(i); the result is S X with S = B D
    as in appendix A. h and s come from :func:`sketch_hashes`, a hash of (seed, i): each is
    uniform and independent across rows, and streaming a data set in batches
    (:class:`netsim.metrics.KernelSketcher`) gives exactly this result.

    Parameters
    ----------
    X : array_like (n, d)
    m : int, number of buckets
    seed : int, fixes h and s

    Returns
    -------
    (m, d) float64
    """
    X = _matrix("X", X)
    m, seed = _check_sketch_args(m, seed)
    buckets, signs = sketch_hashes(0, X.shape[0], m, seed)
    return sketch_rows(X, buckets, signs, m)
