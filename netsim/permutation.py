"""Permutation tests on distance matrices: PERMANOVA (Anderson 2001) with optional strata.

A configuration-level test of whether a factor explains distances between configurations
(thesis Fig. 2.6, claim A8): the factor's labels are permuted across configurations (within
strata when given, e.g. the optimiser's labels within each architecture), so each
configuration counts once, unlike a test on the pairs of a distance matrix.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PermanovaResult:
    """``statistic``: pseudo-F; ``p_value``: (1 + #null >= F) / (1 + permutations);
    ``null``: the pseudo-F of each permutation, shape (permutations,)."""

    statistic: float
    p_value: float
    null: np.ndarray


def _pseudo_f(sq: np.ndarray, codes: np.ndarray) -> float:
    n = len(codes)
    groups = np.unique(codes)
    total = sq[np.triu_indices(n, 1)].sum() / n
    within = 0.0
    for g in groups:
        idx = np.flatnonzero(codes == g)
        block = sq[np.ix_(idx, idx)]
        within += block[np.triu_indices(len(idx), 1)].sum() / len(idx)
    a = len(groups)
    if within <= 0:
        return np.inf
    return float(((total - within) / (a - 1)) / (within / (n - a)))


def permanova(D, labels, *, strata=None, permutations: int = 999, seed: int = 0) -> PermanovaResult:
    """PERMANOVA pseudo-F of ``labels`` on the distance matrix ``D`` and its permutation p-value.

    Parameters
    ----------
    D : array_like (n, n)
        Symmetric distances with a zero diagonal, finite.
    labels : array_like (n,)
        The factor level of each object; at least 2 levels, and fewer levels than objects.
    strata : array_like (n,), optional
        Labels are permuted only within each stratum (a restricted permutation test).
    permutations : int >= 1
    seed : int

    Returns
    -------
    PermanovaResult
    """
    D = np.asarray(D, dtype=float)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"D must be a square matrix; got shape {D.shape}")
    if not np.isfinite(D).all():
        raise ValueError("D contains NaN or infinite values")
    if not np.allclose(D, D.T) or np.abs(np.diag(D)).max() > 0:
        raise ValueError("D must be symmetric with a zero diagonal")
    labels = np.asarray(labels)
    if labels.shape != (len(D),):
        raise ValueError(f"labels must have shape ({len(D)},); got {labels.shape}")
    codes = np.unique(labels, return_inverse=True)[1]
    if not 2 <= codes.max() + 1 < len(D):
        raise ValueError("labels must have at least 2 levels and fewer levels than objects")
    if int(permutations) < 1:
        raise ValueError(f"permutations must be >= 1; got {permutations}")
    blocks = [np.arange(len(D))] if strata is None else \
        [np.flatnonzero(np.asarray(strata) == s) for s in np.unique(np.asarray(strata))]
    sq = D ** 2
    observed = _pseudo_f(sq, codes)
    rng = np.random.default_rng(seed)
    null = np.empty(int(permutations))
    for r in range(int(permutations)):
        shuffled = codes.copy()
        for idx in blocks:
            shuffled[idx] = codes[rng.permutation(idx)]
        null[r] = _pseudo_f(sq, shuffled)
    p = (1 + np.sum(null >= observed)) / (1 + len(null))
    return PermanovaResult(observed, float(p), null)
