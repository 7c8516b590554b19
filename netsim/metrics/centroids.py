"""Averages of several models in prediction space (thesis Table 2.3, Fig. 2.24).

Each distance has its own centroid; all are taken per sample and renormalised over the
classes:

====================  ========================================  ==========================
kind                  per-sample average                        distance it is a centroid of
====================  ========================================  ==========================
``arithmetic``        p ∝ sum_k p_k                             squared l2
``sqrt``              sqrt p ∝ sum_k sqrt p_k                   Hellinger
``geometric``         p ∝ prod_k p_k^(1/K)                      KL(q || p_k) summed
``harmonic``          p ∝ (sum_k 1/p_k)^(-1)                    (chi-square type)
``bhattacharyya``     iterative (Nielsen and Boltz, 2011)       Bhattacharyya
``jeffreys``          AM / W(e AM / GM) (Nielsen, 2013)         symmetrised KL
====================  ========================================  ==========================
"""
from __future__ import annotations

import numpy as np
from scipy.special import lambertw

from ._validation import check_positive_int, check_probabilities

CENTROIDS = ("arithmetic", "sqrt", "geometric", "harmonic", "bhattacharyya", "jeffreys")
#: Probabilities are floored here before logarithms and reciprocals (STUDIES_THESIS.md 0).
_FLOOR = 1e-8


def _normalise(x: np.ndarray) -> np.ndarray:
    return x / x.sum(axis=-1, keepdims=True)


def bhattacharyya_centroid(P, *, max_iter: int = 200, tol: float = 1e-10) -> np.ndarray:
    """Bhattacharyya centroid ``argmin_q sum_k d_B(P_k, q)`` per sample.

    With ``r = sqrt(q)`` on the unit sphere the objective is ``-sum_k log <s_k, r>``
    (``s_k = sqrt(p_k)``); its stationarity condition gives the fixed point
    ``r ∝ sum_k s_k / <s_k, r>`` (the Nielsen-Boltz iteration for categorical
    distributions), started at the normalised sqrt-arithmetic mean. Every iterate is a
    convex-concave procedure step, so the objective never increases.

    Parameters
    ----------
    P : array_like, shape (K, N, C)

    Returns
    -------
    numpy.ndarray, shape (N, C)
    """
    P = check_probabilities("P", P, ("K", "N", "C"))
    max_iter = check_positive_int("max_iter", max_iter)
    S = np.sqrt(P)
    r = S.sum(axis=0)
    r /= np.linalg.norm(r, axis=-1, keepdims=True)
    for _ in range(max_iter):
        inner = np.maximum((S * r).sum(axis=-1, keepdims=True), 1e-300)  # (K, N, 1)
        new = (S / inner).sum(axis=0)
        new /= np.linalg.norm(new, axis=-1, keepdims=True)
        done = np.abs(new - r).max() < tol
        r = new
        if done:
            break
    return _normalise(r**2)


def jeffreys_centroid(P) -> np.ndarray:
    """Jeffreys (symmetrised KL) centroid, Nielsen (2013): per class
    ``c = AM / W(e AM / GM)`` (the exact centroid of positive histograms), renormalised
    (Nielsen's tight approximation for frequency histograms). Probabilities are floored
    at 1e-8.

    Parameters
    ----------
    P : array_like, shape (K, N, C)

    Returns
    -------
    numpy.ndarray, shape (N, C)
    """
    P = np.maximum(check_probabilities("P", P, ("K", "N", "C")), _FLOOR)
    am = P.mean(axis=0)
    gm = np.exp(np.log(P).mean(axis=0))
    return _normalise(am / lambertw(np.e * am / gm).real)


def centroid(P, kind: str = "arithmetic") -> np.ndarray:
    """Average K models' predictions with one of :data:`CENTROIDS` (Table 2.3).

    Parameters
    ----------
    P : array_like, shape (K, N, C)
    kind : str

    Returns
    -------
    numpy.ndarray, shape (N, C), rows summing to 1.
    """
    if kind not in CENTROIDS:
        raise ValueError(f"kind must be one of {CENTROIDS}; got {kind!r}")
    if kind == "bhattacharyya":
        return bhattacharyya_centroid(P)
    if kind == "jeffreys":
        return jeffreys_centroid(P)
    P = check_probabilities("P", P, ("K", "N", "C"))
    if kind == "arithmetic":
        return _normalise(P.mean(axis=0))
    if kind == "sqrt":
        return _normalise(np.sqrt(P).mean(axis=0) ** 2)
    P = np.maximum(P, _FLOOR)
    if kind == "geometric":
        log_mean = np.log(P).mean(axis=0)
        return _normalise(np.exp(log_mean - log_mean.max(axis=-1, keepdims=True)))
    return _normalise(1.0 / (1.0 / P).sum(axis=0))  # harmonic
