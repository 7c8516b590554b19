"""Intervals for measured values: bootstrap over units (samples, runs), spread over seeds.

Every function returns :class:`netsim.claims.Estimate` objects, the measured values that
the claims protocol judges: a point value computed on all the data, and an interval.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from netsim.claims import Estimate


def bootstrap(statistic: Callable[[np.ndarray], float | Sequence[float]], n: int, *, unit: str = "samples",
              n_resamples: int = 200, level: float = 0.95, seed: int = 0):
    """Percentile bootstrap of ``statistic`` over ``n`` units resampled with replacement.

    Parameters
    ----------
    statistic : callable
        ``statistic(indices)`` with ``indices`` an int array (n,) of unit indices (repeats
        allowed); returns a number or a 1-d sequence of numbers (several statistics of the
        same resample).
    n : number of units (evaluation samples, training runs, ...).
    unit : what a unit is, for the interval's description.
    n_resamples, level, seed : bootstrap resamples, confidence level, random seed.

    Returns
    -------
    Estimate, or a list of Estimates when ``statistic`` returns a sequence. The point value
    is ``statistic(arange(n))``.
    """
    from scipy.stats import bootstrap as scipy_bootstrap

    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an int >= 2 (units to resample), got {n!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level!r}")
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
        raise ValueError(f"n_resamples must be an int >= 10, got {n_resamples!r}")
    point = np.asarray(statistic(np.arange(n)), dtype=float)
    result = scipy_bootstrap((np.arange(n),), lambda idx: np.asarray(statistic(idx.astype(np.int64)), dtype=float),
                             vectorized=False, n_resamples=int(n_resamples), confidence_level=level,
                             method="percentile", rng=np.random.default_rng(seed))
    method = f"{level:.0%} bootstrap over {n} {unit}, {n_resamples} resamples"
    # The interval is widened to contain the point value: percentile intervals of biased
    # statistics (a max, a rank) can miss it.
    low, high = np.atleast_1d(result.confidence_interval.low), np.atleast_1d(result.confidence_interval.high)
    estimates = [Estimate(v, min(lo, v), max(hi, v), method) for v, lo, hi in zip(np.atleast_1d(point), low, high)]
    return estimates if point.ndim else estimates[0]


def spread(values: Sequence[float], *, unit: str = "seeds", center: str = "mean") -> Estimate:
    """The point value (mean or median) of repeated measurements with their min-max range.

    Parameters
    ----------
    values : (k,) one measurement per seed (or per permutation, per configuration...), k >= 2.
    unit : what one measurement is, for the interval's description.
    center : "mean" or "median".
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must be 1-d with at least 2 measurements, got shape {values.shape}")
    if np.isnan(values).any():
        raise ValueError("values contain NaN")
    if center not in ("mean", "median"):
        raise ValueError(f"center must be 'mean' or 'median', got {center!r}")
    point = float(values.mean() if center == "mean" else np.median(values))
    return Estimate(point, float(values.min()), float(values.max()), f"{center}, min-max over {len(values)} {unit}")


def null_range(values: Sequence[float], *, unit: str = "permutations", level: float = 0.9) -> Estimate:
    """Mean of a null's repeated measurements with their central ``level`` range (quantiles).

    For a null distribution the min-max range of :func:`spread` grows with the number of
    draws until it holds every extreme; a central range says where the null usually lies.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1 or len(values) < 2:
        raise ValueError(f"values must be 1-d with at least 2 measurements, got shape {values.shape}")
    if np.isnan(values).any():
        raise ValueError("values contain NaN")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    tail = (1 - level) / 2
    low, high = np.quantile(values, [tail, 1 - tail])
    return Estimate(float(values.mean()), float(min(low, values.mean())), float(max(high, values.mean())),
                    f"mean and {level:.0%} range over {len(values)} {unit}")


def percentile_estimates(values, draws, method: str, *, level: float = 0.95) -> list[Estimate]:
    """Point values with the percentile intervals of their resampled draws (the usual bootstrap interval).

    Parameters
    ----------
    values : (k,) point values (each from the full sample).
    draws : (R, k) the same statistics on R resamples; NaN draws (resamples where a statistic is
        undefined) are left out.
    method : description of the resampling, for the interval.

    Returns
    -------
    list of k Estimates; each interval is widened to contain its point value.
    """
    values = np.atleast_1d(np.asarray(values, dtype=float))
    draws = np.asarray(draws, dtype=float).reshape(-1, len(values))
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    tail = (1 - level) / 2
    low, high = np.nanquantile(draws, tail, axis=0), np.nanquantile(draws, 1 - tail, axis=0)
    return [Estimate(float(v), float(min(lo, v)), float(max(hi, v)), method) for v, lo, hi in zip(values, low, high)]
