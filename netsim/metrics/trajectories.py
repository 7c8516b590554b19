"""Many trajectories at once: reindexing on a shared progress grid, d_traj matrices,
tube widths, distance to the ignorance-truth geodesic, Riemann length (thesis ch. 2, 2.5.4).

Every function works on trajectories of predictions ``(T, N, C)`` on the same N samples
and reuses the geodesic interpolation and progress of :mod:`netsim.metrics.predictions`.
Trajectories are compared *at equal progress* (eq. 2.2.5): each one is resampled on one
shared uniform grid of progress values; grid points outside a trajectory's progress range
are marked invalid (``NaN`` in the outputs) rather than extrapolated.
"""
from __future__ import annotations

import numpy as np
from scipy.integrate import trapezoid

from ._validation import check_labels, check_positive_int, check_probabilities, check_same_samples
from .embedding import inpca
from .predictions import (
    _check_trajectory,
    _coefficients,
    _geodesic_interpolate,
    _mean_bhattacharyya,
    _progress_many,
    _reindex,
    ignorance,
    pairwise_bhattacharyya,
    truth,
)


def progress_grid(num_points: int = 100) -> np.ndarray:
    """The shared uniform progress grid on [0, 1] ([NG] default: 100 points)."""
    num_points = check_positive_int("num_points", num_points)
    if num_points < 2:
        raise ValueError(f"num_points must be >= 2; got {num_points}")
    return np.linspace(0.0, 1.0, num_points)


def _check_many(trajs, labels):
    checked = [_check_trajectory(f"trajs[{i}]", t) for i, t in enumerate(trajs)]
    if not checked:
        raise ValueError("trajs is empty")
    for i, t in enumerate(checked[1:], 1):
        check_same_samples("trajs[0]", checked[0], f"trajs[{i}]", t)
    return checked, check_labels(labels, *checked[0].shape[1:])


def reindex_many(trajs, labels, grid) -> tuple[np.ndarray, np.ndarray]:
    """Resample several trajectories at the progress values ``grid`` (eq. 2.2.3-2.2.4).

    Parameters
    ----------
    trajs : sequence of array_like, each (T_i, N, C)
        Trajectories on the same samples (T_i may differ).
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,)
        Progress values in [0, 1], increasing.

    Returns
    -------
    reindexed : numpy.ndarray, shape (K, G, N, C)
        Geodesic interpolation between the bracketing checkpoints; ``NaN`` where the grid
        point lies outside the trajectory's progress range.
    valid : numpy.ndarray of bool, shape (K, G)
    """
    checked, labels = _check_many(trajs, labels)
    N, C = checked[0].shape[1:]
    grid = np.asarray(grid, dtype=np.float64)
    if grid.ndim != 1 or grid.size < 2 or not np.all(np.diff(grid) > 0):
        raise ValueError(f"grid must be an increasing 1-D array of >= 2 values; got shape {grid.shape}")
    out = np.full((len(checked), len(grid), N, C), np.nan)
    valid = np.zeros((len(checked), len(grid)), dtype=bool)
    for i, t in enumerate(checked):
        s = _progress_many(t, labels)
        inside = (grid >= s.min()) & (grid <= s.max())
        if inside.any():
            out[i, inside] = _reindex(t, s, grid[inside], f"trajs[{i}]")
        valid[i] = inside
    return out, valid


def _range_mean(values: np.ndarray, grid: np.ndarray, ok: np.ndarray) -> float:
    """Trapezoidal mean of ``values`` over the contiguous grid points where ``ok``."""
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return np.nan
    g = grid[idx]
    return float(trapezoid(values[idx], g) / (g[-1] - g[0]))


def progress_ranges(trajs, labels) -> np.ndarray:
    """The progress range (lowest, highest) each trajectory covers, shape (K, 2)."""
    checked, labels = _check_many(trajs, labels)
    return np.array([[s.min(), s.max()] for s in (_progress_many(t, labels) for t in checked)])


def common_window(ranges) -> tuple[float, float]:
    """The progress window every trajectory covers: (largest start, smallest end) of ``ranges`` (K, 2)."""
    ranges = np.asarray(ranges, dtype=float)
    if ranges.ndim != 2 or ranges.shape[1] != 2 or len(ranges) == 0:
        raise ValueError(f"ranges must have shape (K, 2); got {ranges.shape}")
    lo, hi = float(ranges[:, 0].max()), float(ranges[:, 1].min())
    if hi <= lo:
        raise ValueError(f"the trajectories share no progress window (largest start {lo:.3f} >= smallest end {hi:.3f})")
    return lo, hi


def pair_overlap(ranges) -> np.ndarray:
    """Length of the progress range each pair of trajectories shares, (K, K) (0 if disjoint)."""
    ranges = np.asarray(ranges, dtype=float)
    lo = np.maximum(ranges[:, None, 0], ranges[None, :, 0])
    hi = np.minimum(ranges[:, None, 1], ranges[None, :, 1])
    return np.clip(hi - lo, 0.0, None)


def pairwise_trajectory_distance(trajs, labels, *, num_points: int = 100, window=None) -> np.ndarray:
    """Matrix of d_traj (eq. 2.2.5) between K trajectories.

    All trajectories are resampled once on the shared grid :func:`progress_grid`; for each
    pair ``int d_B(P_u(s), P_v(s)) ds`` is the trapezoidal mean over the grid points both
    cover ([NG] default: the common progress range, divided by its length). With
    trajectories spanning the grid this equals :func:`trajectory_distance` up to the grid.
    Cost: one pairwise Bhattacharyya matrix per grid point; memory O(K N C).

    The default compares each pair over the range *that pair* covers, so a pair that shares
    only early progress is compared only near the start, where all trajectories are close.
    ``window = (lo, hi)`` compares every pair over the same progress window instead (grid
    points in it, ``num_points`` of them); a pair that does not cover the whole window gets
    ``NaN``. :func:`common_window` of :func:`progress_ranges` is a window every trajectory
    covers.

    Returns
    -------
    numpy.ndarray, shape (K, K)
        Symmetric, zero diagonal; ``NaN`` for pairs sharing fewer than 2 grid points.
    """
    checked, labels = _check_many(trajs, labels)
    progress = [_progress_many(t, labels) for t in checked]
    if window is None:
        grid = progress_grid(num_points)
    else:
        lo, hi = (float(v) for v in window)
        if not 0.0 <= lo < hi <= 1.0:
            raise ValueError(f"window must be (lo, hi) with 0 <= lo < hi <= 1; got {window!r}")
        grid = np.linspace(lo, hi, check_positive_int("num_points", num_points))
    valid = np.array([(grid >= s.min()) & (grid <= s.max()) for s in progress])
    if window is not None:  # a pair is compared on the whole window or not at all
        valid &= valid.all(axis=1, keepdims=True)
    K = len(checked)
    per_point = np.full((len(grid), K, K), np.nan)
    for g in range(len(grid)):  # one slice of K models at a time keeps memory at O(K N C)
        idx = np.flatnonzero(valid[:, g])
        if len(idx) >= 2:
            at = np.stack([_reindex(checked[i], progress[i], grid[g:g + 1], f"trajs[{i}]")[0] for i in idx])
            per_point[g][np.ix_(idx, idx)] = pairwise_bhattacharyya(at)
    D = np.zeros((K, K))
    for i in range(K):
        for j in range(i + 1, K):
            ok = valid[i] & valid[j]
            D[i, j] = D[j, i] = _range_mean(per_point[:, i, j], grid, ok)
    return D


def tube_widths(trajs, labels, *, num_points: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Width of the tube of several seeds of one configuration (thesis 2.5.4.1).

    At each progress value the arithmetic mean of the seeds' probabilities is formed (the
    thesis' tube centre) and each seed's width is ``d_B(P_u(s), mean(s))``; only grid
    points covered by every seed are used.

    Returns
    -------
    grid : numpy.ndarray, shape (G',)
        The progress values covered by all trajectories.
    widths : numpy.ndarray, shape (K, G')
    """
    grid = progress_grid(num_points)
    R, valid = reindex_many(trajs, labels, grid)
    common = valid.all(axis=0)
    if not common.any():
        raise ValueError("the trajectories share no progress value; cannot form a tube")
    R = R[:, common]
    centre = R.mean(axis=0)
    return grid[common], _mean_bhattacharyya(R, centre[None])


def distance_to_geodesic(traj, labels, *, num_points: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """``d_B(P_u(s), P^s_{0,*})``: distance of a reindexed trajectory to the geodesic point
    of equal progress (Fig. 2.17; [NG] default of STUDIES_THESIS.md).

    Returns
    -------
    grid : numpy.ndarray, shape (G',), the progress values the trajectory covers.
    distance : numpy.ndarray, shape (G',)
    """
    traj = _check_trajectory("traj", traj)
    labels = check_labels(labels, traj.shape[1], traj.shape[2])
    grid = progress_grid(num_points)
    R, valid = reindex_many([traj], labels, grid)
    grid, R = grid[valid[0]], R[0, valid[0]]
    N, C = traj.shape[1:]
    geo = _geodesic_interpolate(ignorance(N, C), truth(labels, C), grid)
    return grid, _mean_bhattacharyya(R, geo)


def riemann_length(traj) -> float:
    """Length of a trajectory as the sum of geodesic distances (eq. 2.5.4) between
    consecutive checkpoints: a lower bound of the curve's length on the product of
    spheres that tightens as checkpoints get denser.

    Parameters
    ----------
    traj : array_like, shape (T, N, C)

    Returns
    -------
    float
    """
    traj = _check_trajectory("traj", traj)
    return float(np.arccos(_coefficients(traj[:-1], traj[1:])).mean(axis=-1).sum())


def progress_average(P, s_models, s: float, *, sigma: float = 0.05) -> np.ndarray:
    """Gaussian-weighted average of models around progress ``s`` (eq. 2.4.1).

    ``P_s = Z^{-1} sum_P' exp(-(s_P' - s)^2 / (2 sigma^2)) P'`` (arithmetic mean of
    probabilities with these weights).

    Parameters
    ----------
    P : array_like, shape (m, N, C)
    s_models : array_like, shape (m,), the progress of each model.
    s : float
    sigma : float, the thesis' 0.05.

    Returns
    -------
    numpy.ndarray, shape (N, C)
    """
    P = check_probabilities("P", P, ("m", "N", "C"))
    s_models = np.asarray(s_models, dtype=np.float64)
    if s_models.shape != (P.shape[0],) or not np.isfinite(s_models).all():
        raise ValueError(f"s_models must be {P.shape[0]} finite progress values; got shape {s_models.shape}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive; got {sigma}")
    logw = -((s_models - s) ** 2) / (2 * sigma**2)
    w = np.exp(logw - logw.max())
    out = np.tensordot(w / w.sum(), P, axes=1)
    return out / out.sum(axis=-1, keepdims=True)


def four_point_basis(P, labels, s_models, *, s1: float = 0.3, s2: float = 0.7,
                     sigma: float = 0.05):
    """The four-point basis embedding (eq. 2.4.1, Figs. 2.9-2.10).

    InPCA of ``{P_0, P_*, P_{s1}, P_{s2}}`` (the two middle points from
    :func:`progress_average`), then every model placed with eq. 2.2.9.

    Returns
    -------
    basis : InPCA of the four points (at most 3 non-trivial components).
    coords : numpy.ndarray, shape (m, k), the models in that basis.
    """
    P = check_probabilities("P", P, ("m", "N", "C"))
    N, C = P.shape[1:]
    labels = check_labels(labels, N, C)
    points = np.stack([ignorance(N, C), truth(labels, C),
                       progress_average(P, s_models, s1, sigma=sigma),
                       progress_average(P, s_models, s2, sigma=sigma)])
    basis = inpca(pairwise_bhattacharyya(points), n_components=3)
    return basis, basis.transform(pairwise_bhattacharyya(P, Q=points))
