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


def p_value_estimate(exceed: int, permutations: int, *, level: float = 0.95):
    """A permutation p-value ``(1 + exceed) / (1 + permutations)`` as an Estimate whose interval
    is the Clopper-Pearson interval of the share of permutations at least as extreme.

    Parameters
    ----------
    exceed : permutations whose statistic was at least as extreme as the observed one.
    permutations : permutations drawn (>= 1).
    level : confidence level of the interval.
    """
    from scipy.stats import binomtest

    from netsim.claims import Estimate

    exceed, permutations = int(exceed), int(permutations)
    if permutations < 1 or not 0 <= exceed <= permutations:
        raise ValueError(f"need 0 <= exceed <= permutations and permutations >= 1; got {exceed}, {permutations}")
    ci = binomtest(exceed, permutations).proportion_ci(confidence_level=level, method="exact")
    p = (1 + exceed) / (1 + permutations)
    return Estimate(p, min(p, float(ci.low)), max(p, float(ci.high)),
                    f"{level:.0%} Clopper-Pearson over {permutations} permutations")


def sign_flip_test(differences, *, alternative: str = "greater", permutations: int = 9999, seed: int = 0):
    """One-sided sign-flip permutation test of the mean of paired differences.

    Under the null (no effect) each pair's difference is as likely to have either sign, so the
    null distribution flips the signs at random.

    Parameters
    ----------
    differences : (n,) one difference per pair, n >= 2, no NaN.
    alternative : "greater" (the mean is positive) or "less" (negative).
    permutations : random sign patterns.

    Returns
    -------
    (p-value Estimate from :func:`p_value_estimate`, observed mean)
    """
    d = np.asarray(differences, dtype=float)
    if d.ndim != 1 or len(d) < 2 or np.isnan(d).any():
        raise ValueError(f"differences must be 1-d with >= 2 values and no NaN, got shape {d.shape}")
    if alternative not in ("greater", "less"):
        raise ValueError(f"alternative must be 'greater' or 'less', got {alternative!r}")
    signs = np.where(np.random.default_rng(seed).random((int(permutations), len(d))) < 0.5, -1.0, 1.0)
    null = (signs * d).mean(1)
    observed = float(d.mean())
    extreme = null >= observed - 1e-12 if alternative == "greater" else null <= observed + 1e-12
    return p_value_estimate(int(extreme.sum()), int(permutations)), observed
