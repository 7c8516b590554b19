"""Distances between probabilistic models on a fixed set of samples (thesis ch. 2).

A model is represented by its predictions ``p`` of shape (N, C): row ``n`` is the
probability vector ``p^n(c) = p(c | x_n)`` over C classes. The product model
``P(y) = prod_n p^n(y_n)`` (eq. 2.2.1) lives on a product of spheres once every row is
mapped to ``sqrt(p^n)``, and every distance here is built from the per-sample
Bhattacharyya coefficient ``<sqrt(p_u^n), sqrt(p_v^n)> = sum_c sqrt(p_u^n(c) p_v^n(c))``.

Conventions (STUDIES_THESIS.md, section 0):

* coefficients are clipped to [0, 1] (they are <= 1 for normalised rows; the clip
  absorbs rounding and the 1e-4 tolerance on row sums), and clamped to >= 1e-12 before
  a logarithm, so one sample contributes at most ``-log(1e-12) = 27.63`` nats to the
  Bhattacharyya distance (disjoint supports give exactly that cap instead of ``inf``);
* arccos arguments are clipped to [0, 1];
* everything is computed in float64; torch tensors are accepted as inputs.
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import numpy as np
from scipy.integrate import trapezoid
from scipy.optimize import minimize_scalar

from ._validation import (
    as_numpy,
    check_fractions,
    check_labels,
    check_positive_int,
    check_probabilities,
    check_same_samples,
)

logger = logging.getLogger(__name__)

#: Lower clamp of a Bhattacharyya coefficient before its logarithm.
BC_FLOOR = 1e-12
#: Samples whose clamped coefficients are multiplied before one logarithm is taken in
#: the pairwise hot path: 1e-12**16 = 1e-192 stays far above float64's smallest normal
#: number (2.2e-308), so the product never underflows and log(prod) = sum(log).
_LOG_GROUP = 16
#: Models per side of one block of the pairwise matrix: a (16, 128, 128) float64
#: coefficient block is 2 MiB and stays in a core's L2 cache between the matmul and
#: the elementwise passes (128 and 256 measured alike, 512 twice as slow).
_MODEL_BLOCK = 128
#: Below this per-sample angle the geodesic weights use their d -> 0 limit.
_TINY_ANGLE = 1e-6
#: Absolute tolerance of the bounded scalar search for progress.
_PROGRESS_XATOL = 1e-10


# ---------------------------------------------------------------------------------
# Per-sample building blocks (no validation; arrays of shape (..., N, C))
# ---------------------------------------------------------------------------------
def _coefficients(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Bhattacharyya coefficients ``sum_c sqrt(p q)`` clipped to [0, 1]; shape (..., N)."""
    return np.clip(np.sqrt(p * q).sum(axis=-1), 0.0, 1.0)


def _bhattacharyya_terms(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Per-sample terms of eq. 2.2.2, ``-log sum_c sqrt(p q)``: (..., N, C) -> (..., N)."""
    return -np.log(np.maximum(_coefficients(p, q), BC_FLOOR))


def _mean_bhattacharyya(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Eq. 2.2.2 over the last two axes: (..., N, C) -> (...)."""
    return _bhattacharyya_terms(p, q).mean(axis=-1)


def _floor_renormalise(p: np.ndarray, floor: float) -> np.ndarray:
    p = np.maximum(p, floor)
    return p / p.sum(axis=-1, keepdims=True)


def _check_pair(p, q) -> tuple[np.ndarray, np.ndarray]:
    p = check_probabilities("p", p)
    q = check_probabilities("q", q)
    check_same_samples("p", p, "q", q)
    return p, q


# ---------------------------------------------------------------------------------
# Distances between two models
# ---------------------------------------------------------------------------------
def bhattacharyya(p, q) -> float:
    """Per-sample mean Bhattacharyya distance (thesis eq. 2.2.2).

    ``d_B(P_u, P_v) = -(1/N) sum_n log sum_c sqrt(p_u^n(c) p_v^n(c))``. For a one-hot
    truth ``q`` this is half the cross-entropy of ``p``.

    Parameters
    ----------
    p, q : array_like, shape (N, C)
        Rows are probability vectors.

    Returns
    -------
    float
        Non-negative; each sample contributes at most ``-log(1e-12) = 27.63`` (the
        coefficient is clamped to >= 1e-12, so disjoint supports give a finite cap).
    """
    p, q = _check_pair(p, q)
    return float(_mean_bhattacharyya(p, q))


def bhattacharyya_terms(p, q) -> np.ndarray:
    """Per-sample Bhattacharyya distances, whose mean is :func:`bhattacharyya` (eq. 2.2.2).

    Parameters
    ----------
    p, q : array_like, shape (N, C) or (m, N, C) and (N, C)
        Rows are probability vectors; ``q`` broadcasts against ``p`` (e.g. m models
        against one reference such as ignorance).

    Returns
    -------
    numpy.ndarray, shape (N,) or (m, N)
        ``-log sum_c sqrt(p^n(c) q^n(c))`` per sample, each at most ``-log(1e-12)``.
        Useful for bootstrapping ``d_B`` over samples.
    """
    p = check_probabilities("p", p, ("m", "N", "C") if np.ndim(p) == 3 else ("N", "C"))
    q = check_probabilities("q", q)
    check_same_samples("p", p, "q", q)
    return _bhattacharyya_terms(p, q)


def hellinger(p, q) -> float:
    """Per-sample mean squared Hellinger distance ``(1/N) sum_n (1 - sum_c sqrt(p q))``.

    The thesis' Hellinger distance on the product space (:func:`hellinger_product`)
    saturates at 2 as N grows; this intensive version averages the per-sample squared
    Hellinger distances instead, so it behaves like :func:`bhattacharyya` (it equals
    ``1 - BC`` where d_B uses ``-log BC``).

    Parameters
    ----------
    p, q : array_like, shape (N, C)

    Returns
    -------
    float in [0, 1]
    """
    p, q = _check_pair(p, q)
    return float(np.mean(1.0 - _coefficients(p, q)))


def hellinger_product(p, q) -> float:
    """Hellinger distance of the product models, ``2 (1 - prod_n sum_c sqrt(p q))``.

    Thesis section 2.2 (after eq. 2.2.2) and 2.5.4.3; the product is evaluated in log
    space (``-2 expm1(sum_n log BC_n)``) so it neither underflows nor loses precision.
    It saturates at 2 quickly as N grows, which is the point the thesis makes.

    Parameters
    ----------
    p, q : array_like, shape (N, C)

    Returns
    -------
    float in [0, 2]
    """
    p, q = _check_pair(p, q)
    with np.errstate(divide="ignore"):  # a zero coefficient makes the product exactly 0
        log_prod = np.log(_coefficients(p, q)).sum()
    return float(-2.0 * np.expm1(log_prod))


def symmetric_kl(p, q, floor: float = 1e-8) -> float:
    """Symmetrised KL divergence of IsKL (thesis eq. 2.5.3).

    ``d_sKL = (1/N) sum_n sum_c (p^n(c) - q^n(c)) log(p^n(c) / q^n(c))`` with both
    arguments floored at ``floor`` and renormalised first (the divergence is infinite
    for one-hot predictions otherwise).

    Parameters
    ----------
    p, q : array_like, shape (N, C)
    floor : float
        Smallest probability, in (0, 1/C).

    Returns
    -------
    float
    """
    p, q = _check_pair(p, q)
    floor = _check_floor(floor, p.shape[-1])
    p, q = _floor_renormalise(p, floor), _floor_renormalise(q, floor)
    return float(((p - q) * (np.log(p) - np.log(q))).sum(axis=-1).mean())


def _check_floor(floor, num_classes: int) -> float:
    floor = float(floor)
    if not 0 < floor < 1.0 / num_classes:
        raise ValueError(f"floor must lie in (0, 1/C) = (0, {1 / num_classes:.3g}); got {floor}")
    return floor


def geodesic_distance(p, q) -> float:
    """Geodesic distance on the product of spheres (thesis eq. 2.5.4).

    ``d_G = (1/N) sum_n arccos(sum_c sqrt(p^n(c) q^n(c)))`` (the inline definition under
    eq. 2.2.4 sums over c by mistake; the outer sum is over samples n).

    Parameters
    ----------
    p, q : array_like, shape (N, C)

    Returns
    -------
    float in [0, pi/2]
    """
    p, q = _check_pair(p, q)
    return float(np.arccos(_coefficients(p, q)).mean())


# ---------------------------------------------------------------------------------
# Geodesics, ignorance, truth, progress
# ---------------------------------------------------------------------------------
def _geodesic_interpolate(p: np.ndarray, q: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Eq. 2.2.3 for p, q (N, C) and a (k,): returns (k, N, C) probabilities."""
    d = np.arccos(_coefficients(p, q))  # (N,) per-sample angle d_G^n
    a = a[:, None]  # (k, 1)
    # For d -> 0 the weights tend to (1 - a, a): linear interpolation of sqrt(p),
    # which is sqrt(p) itself when p = q (the limit the thesis prescribes).
    tiny = d < _TINY_ANGLE
    sin_d = np.where(tiny, 1.0, np.sin(d))
    w_p = np.where(tiny, 1.0 - a, np.sin((1.0 - a) * d) / sin_d)  # (k, N)
    w_q = np.where(tiny, a, np.sin(a * d) / sin_d)
    root = w_p[..., None] * np.sqrt(p) + w_q[..., None] * np.sqrt(q)
    out = root**2
    return out / out.sum(axis=-1, keepdims=True)  # remove rounding from the row sums


def geodesic_interpolate(p, q, a) -> np.ndarray:
    """Points on the geodesic between two models on the product of spheres (eq. 2.2.3).

    Per sample, ``sqrt(p^a) = sin((1-a) d)/sin(d) sqrt(p) + sin(a d)/sin(d) sqrt(q)``
    with ``d = arccos(sum_c sqrt(p q))``; for ``d`` below 1e-6 the ``d -> 0`` limit
    ``(1-a) sqrt(p) + a sqrt(q)`` is used (``sqrt(p)`` when p = q).

    Parameters
    ----------
    p, q : array_like, shape (N, C)
        End points (a = 0 gives p, a = 1 gives q).
    a : float or array_like of shape (k,)
        Interpolation parameters in [0, 1].

    Returns
    -------
    numpy.ndarray
        Probabilities of shape (N, C) for a scalar ``a``, (k, N, C) for an array; rows
        are renormalised to sum to 1.
    """
    p, q = _check_pair(p, q)
    a = check_fractions("a", a)
    out = _geodesic_interpolate(p, q, np.atleast_1d(a))
    return out if a.ndim else out[0]


def ignorance(N: int, C: int) -> np.ndarray:
    """Ignorance ``P_0``: uniform predictions, shape (N, C)."""
    N, C = check_positive_int("N", N), check_positive_int("C", C)
    return np.full((N, C), 1.0 / C)


def truth(labels, C: int) -> np.ndarray:
    """Truth ``P_*``: one-hot predictions of the labels, float64 of shape (N, C)."""
    C = check_positive_int("C", C)
    labels = check_labels(labels, None, C)
    out = np.zeros((labels.shape[0], C))
    out[np.arange(labels.shape[0]), labels] = 1.0
    return out


def _geodesic_plane_coordinates(P: np.ndarray, labels: np.ndarray):
    """Coordinates of every ``sqrt(p^n)`` relative to the ignorance-truth geodesic.

    For a one-hot truth every sample's geodesic from ignorance to truth has the same
    angle ``theta = arccos(1/sqrt C)`` and runs in the plane spanned by
    ``e0 = sqrt(p_0^n)`` and ``e1 = (sqrt(p_*^n) - cos(theta) e0) / sin(theta)``; its
    point at ``a`` is ``cos(a theta) e0 + sin(a theta) e1`` (eq. 2.2.3). This returns
    ``x = <sqrt p, e0> = sum_c sqrt p(c) / sqrt C``, ``y = <sqrt p, e1>`` (from
    ``<sqrt p, sqrt p_*> = sqrt p(y*)``) and the norm ``r`` of the component orthogonal
    to the plane, each of shape (..., N). ``r`` is taken from the residual vector
    itself, because ``sqrt(1 - x^2 - y^2)`` cancels catastrophically near the plane.
    """
    C, N = P.shape[-1], P.shape[-2]
    theta = np.arccos(1.0 / np.sqrt(C))
    S = np.sqrt(P)
    x = S.sum(axis=-1) / np.sqrt(C)
    y = (S[..., np.arange(N), labels] - np.cos(theta) * x) / np.sin(theta)
    # x e0 + y e1 = (x - y cot(theta)) e0 + (y / sin(theta)) sqrt(p_*)
    residual = S - ((x - y / np.tan(theta)) / np.sqrt(C))[..., None]
    residual[..., np.arange(N), labels] -= y / np.sin(theta)
    return x, y, np.linalg.norm(residual, axis=-1)


def _progress_1d(x: np.ndarray, y: np.ndarray, r: np.ndarray, num_classes: int) -> float:
    """Minimise ``a -> d_G(P_w, P^a_{0,*})`` over [0, 1] from plane coordinates (N,).

    The per-sample angle to the geodesic point at ``phi = a theta`` is evaluated as
    ``atan2(|perpendicular part|, inner product)`` rather than ``arccos(inner)``:
    arccos cannot resolve angles below ~1.5e-8 (its argument rounds to 1), which makes a
    minimum at a = 1 look interior. Each term is the spherical distance to a point
    moving along a great circle within a quarter circle, which is convex in ``a``, so
    the bounded Brent search finds the minimum; the end points are compared
    explicitly because the search only approaches a boundary minimum to within its
    tolerance.
    """
    theta = np.arccos(1.0 / np.sqrt(num_classes))

    def objective(a: float) -> float:
        cos, sin = np.cos(a * theta), np.sin(a * theta)
        return float(np.arctan2(np.hypot(x * sin - y * cos, r), x * cos + y * sin).mean())

    res = minimize_scalar(
        objective, bounds=(0.0, 1.0), method="bounded", options={"xatol": _PROGRESS_XATOL}
    )
    # End points first so that ties resolve to the exact boundary value.
    candidates = [(objective(0.0), 0.0), (objective(1.0), 1.0), (float(res.fun), float(res.x))]
    return min(candidates, key=lambda c: c[0])[1]


def _check_progress_inputs(name: str, P, labels, num_classes, axes):
    P = check_probabilities(name, P, axes)
    C = P.shape[-1]
    if num_classes is not None and check_positive_int("num_classes", num_classes) != C:
        raise ValueError(f"num_classes = {num_classes} does not match {name}'s C = {C}")
    if C < 2:
        raise ValueError(f"progress needs C >= 2 classes; {name} has C = {C}")
    return P, check_labels(labels, P.shape[-2], C)


def progress(p, labels, num_classes: int | None = None) -> float:
    """Progress of a model along the geodesic from ignorance to truth (eqs. 2.2.3-2.2.4).

    ``s_w = argmin_{a in [0, 1]} d_G(P_w, P^a_{0,*})`` where ``P^a_{0,*}`` is the geodesic
    point (eq. 2.2.3) between ignorance ``P_0`` (uniform) and the one-hot truth ``P_*``.

    Parameters
    ----------
    p : array_like, shape (N, C)
        Predicted probabilities.
    labels : array_like of int, shape (N,)
        True classes ``y*_n`` in [0, C).
    num_classes : int, optional
        If given, must equal C (a guard against models with missing classes).

    Returns
    -------
    float in [0, 1]
        0 for ignorance, 1 for the truth. A fully confident model with error fraction
        eps has progress 1 for eps <= sqrt(C-1) / (1 + sqrt(C-1)) (Remark 2.2.1; the
        thesis' bound 1 - 1/sqrt(C) is sufficient but not tight).
    """
    p, labels = _check_progress_inputs("p", p, labels, num_classes, ("N", "C"))
    return _progress_1d(*_geodesic_plane_coordinates(p, labels), p.shape[-1])


def _progress_many(P: np.ndarray, labels: np.ndarray) -> np.ndarray:
    X, Y, R = _geodesic_plane_coordinates(P, labels)
    return np.array([_progress_1d(x, y, r, P.shape[-1]) for x, y, r in zip(X, Y, R)])


def progress_many(P, labels, num_classes: int | None = None) -> np.ndarray:
    """Progress (eq. 2.2.4) of m models at once.

    Parameters
    ----------
    P : array_like, shape (m, N, C)
    labels : array_like of int, shape (N,)
    num_classes : int, optional
        If given, must equal C.

    Returns
    -------
    numpy.ndarray, shape (m,)
    """
    P, labels = _check_progress_inputs("P", P, labels, num_classes, ("m", "N", "C"))
    return _progress_many(P, labels)


# ---------------------------------------------------------------------------------
# Trajectories
# ---------------------------------------------------------------------------------
def _reindex(traj: np.ndarray, s: np.ndarray, grid: np.ndarray, name: str) -> np.ndarray:
    """Geodesically interpolate ``traj`` (T, N, C) with progress ``s`` (T,) at ``grid``."""
    lo, hi = np.minimum(s[:-1], s[1:]), np.maximum(s[:-1], s[1:])
    brackets = (grid[:, None] >= lo) & (grid[:, None] <= hi)  # (len(grid), T - 1)
    if not brackets.any(axis=1).all():
        raise ValueError(
            f"grid must lie within the progress range [{s.min():.6g}, {s.max():.6g}] of {name}"
        )
    backward = int((np.diff(s) < 0).sum())
    if backward:
        logger.info(
            "%s has %d non-monotone progress steps; using the first bracketing segment",
            name, backward,
        )
    segment = brackets.argmax(axis=1)  # first bracketing segment ([NG] default)
    out = np.empty((grid.shape[0],) + traj.shape[1:])
    for k in np.unique(segment):
        at = segment == k
        step = s[k + 1] - s[k]
        a = (grid[at] - s[k]) / step if step != 0 else np.zeros(int(at.sum()))
        out[at] = _geodesic_interpolate(traj[k], traj[k + 1], np.clip(a, 0.0, 1.0))
    return out


def _check_trajectory(name: str, traj) -> np.ndarray:
    traj = check_probabilities(name, traj, ("T", "N", "C"))
    if traj.shape[0] < 2:
        raise ValueError(f"{name} must have at least 2 checkpoints; got T = {traj.shape[0]}")
    if traj.shape[-1] < 2:
        raise ValueError(f"progress needs C >= 2 classes; {name} has C = {traj.shape[-1]}")
    return traj


def reindex_by_progress(traj, labels, grid) -> tuple[np.ndarray, np.ndarray]:
    """Resample a trajectory at given progress values (thesis section 2.2, before eq. 2.2.5).

    The progress ``s_k`` of every checkpoint is computed (eq. 2.2.4); a grid value ``s``
    in ``[s_k, s_{k+1}]`` maps to the geodesic point (eq. 2.2.3) between checkpoints k
    and k+1 at ``a = (s - s_k) / (s_{k+1} - s_k)``. When progress is not monotone the
    first bracketing segment is used ([NG] default of STUDIES_THESIS.md); the number of
    backward steps is logged at INFO level.

    Parameters
    ----------
    traj : array_like, shape (T, N, C)
        Predictions of T >= 2 checkpoints.
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,)
        Progress values inside ``[min_k s_k, max_k s_k]``.

    Returns
    -------
    reindexed : numpy.ndarray, shape (G, N, C)
    progress : numpy.ndarray, shape (T,)
        Progress of every checkpoint.
    """
    traj = _check_trajectory("traj", traj)
    labels = check_labels(labels, traj.shape[1], traj.shape[2])
    grid = np.asarray(as_numpy(grid, "grid"), dtype=np.float64)
    if grid.ndim != 1 or not np.isfinite(grid).all():
        raise ValueError(f"grid must be a finite 1-D array; got shape {grid.shape}")
    s = _progress_many(traj, labels)
    return _reindex(traj, s, grid, "traj"), s


def trajectory_distance(traj_u, traj_v, labels, *, num_points: int = 100) -> float:
    """Distance between two training trajectories at equal progress (eq. 2.2.5).

    ``d_traj = int d_B(P_{u(s)}, P_{v(s)}) ds``, evaluated with the trapezoidal rule on
    ``num_points`` uniformly spaced progress values over the range both trajectories
    cover, and divided by that range's length ([NG] default of STUDIES_THESIS.md: a
    mean over the common range; equal to eq. 2.2.5 when both span [0, 1]).

    Parameters
    ----------
    traj_u, traj_v : array_like, shapes (T_u, N, C) and (T_v, N, C)
        Checkpoint predictions on the same samples.
    labels : array_like of int, shape (N,)
    num_points : int
        Grid size (>= 2).

    Returns
    -------
    float
    """
    traj_u, traj_v = _check_trajectory("traj_u", traj_u), _check_trajectory("traj_v", traj_v)
    check_same_samples("traj_u", traj_u, "traj_v", traj_v)
    labels = check_labels(labels, traj_u.shape[1], traj_u.shape[2])
    num_points = check_positive_int("num_points", num_points)
    if num_points < 2:
        raise ValueError(f"num_points must be >= 2; got {num_points}")
    s_u, s_v = _progress_many(traj_u, labels), _progress_many(traj_v, labels)
    lo, hi = max(s_u.min(), s_v.min()), min(s_u.max(), s_v.max())
    if not hi > lo:
        raise ValueError(
            f"the progress ranges of traj_u [{s_u.min():.4g}, {s_u.max():.4g}] and traj_v "
            f"[{s_v.min():.4g}, {s_v.max():.4g}] do not overlap on an interval"
        )
    grid = np.linspace(lo, hi, num_points)
    d = _mean_bhattacharyya(_reindex(traj_u, s_u, grid, "traj_u"),
                            _reindex(traj_v, s_v, grid, "traj_v"))
    return float(trapezoid(d, grid) / (hi - lo))


# ---------------------------------------------------------------------------------
# Pairwise matrices (hot path)
# ---------------------------------------------------------------------------------
@contextmanager
def _torch_single_threaded():
    """Yield torch with one intra-op thread, restoring the caller's setting afterwards.

    The pairwise loops parallelise over blocks with Python threads (torch releases the
    GIL); nested OpenMP threads on top would oversubscribe the cores, which measured up
    to 10x slower on a busy 2-core machine.
    """
    import torch  # imported lazily: the rest of the module is numpy-only

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield torch, previous
    finally:
        torch.set_num_threads(previous)


def _coefficient_blocks(A, B, chunk_size: int):
    """Yield per-sample Bhattacharyya coefficients for successive chunks of samples.

    ``A`` (N, a, C) and ``B`` (N, b, C) hold square-root probabilities with samples
    first; each yielded torch tensor ``G`` of shape (n, a, b), n <= chunk_size, has
    ``G[n, i, j] = <A[n, i], B[n, j]>`` (one batched matmul per chunk; torch.bmm measured
    5-10x faster than numpy's matmul for these thin C-sized products).
    """
    # Contiguous copies of the block (N (a + b) C numbers, small next to N a b work)
    # let bmm skip a gather per chunk.
    A, Bt = A.contiguous(), B.transpose(1, 2).contiguous()
    for start in range(0, A.shape[0], chunk_size):
        yield A[start:start + chunk_size].bmm(Bt[start:start + chunk_size])


def _neg_log_sum(G, acc) -> None:
    """acc -= sum_n log(clamp(G_n)), with one log per group of _LOG_GROUP samples."""
    G.clamp_(BC_FLOOR, 1.0)
    for group in G.split(_LOG_GROUP):
        acc.sub_(group.prod(dim=0).log_())


def _arccos_sum(G, acc) -> None:
    """acc += sum_n arccos(clip(G_n, 0, 1))."""
    acc.add_(G.clamp_(0.0, 1.0).arccos_().sum(dim=0))


def _pairwise_sums(P, Q, reduce_chunk, chunk_size, n_jobs) -> np.ndarray:
    """Validate and compute ``sum_n f(BC_n(u, v))`` for every pair of models.

    Returns the (m, m) matrix (symmetric, zero diagonal) when ``Q`` is None, else the
    (m, m2) cross matrix; ``reduce_chunk(G, acc)`` adds one chunk's contribution.
    Memory: the square roots of P (and Q), the output, and per worker one
    (chunk_size, 128, 128) block.
    """
    P = check_probabilities("P", P, ("m", "N", "C"))
    symmetric = Q is None
    if not symmetric:
        Q = check_probabilities("Q", Q, ("m2", "N", "C"))
        check_same_samples("P", P, "Q", Q)
    chunk_size = _LOG_GROUP if chunk_size is None else check_positive_int("chunk_size", chunk_size)

    def sqrt_samples_first(X):  # (m, N, C) -> contiguous (N, m, C), one allocation
        out = np.empty((X.shape[1], X.shape[0], X.shape[2]))
        return np.sqrt(X.transpose(1, 0, 2), out=out)

    SP = sqrt_samples_first(P)
    SQ = SP if symmetric else sqrt_samples_first(Q)
    m1, m2 = SP.shape[1], SQ.shape[1]
    out = np.zeros((m1, m2))
    blocks = [
        (slice(i, i + _MODEL_BLOCK), slice(j, j + _MODEL_BLOCK))
        for i in range(0, m1, _MODEL_BLOCK)
        for j in range(i if symmetric else 0, m2, _MODEL_BLOCK)
    ]
    with _torch_single_threaded() as (torch, torch_threads):
        n_jobs = torch_threads if n_jobs is None else check_positive_int("n_jobs", n_jobs)
        A, B = torch.from_numpy(SP), torch.from_numpy(SQ)

        def run(block):
            rows, cols = block
            acc = torch.zeros(out[rows, cols].shape, dtype=torch.float64)
            for G in _coefficient_blocks(A[:, rows], B[:, cols], chunk_size):
                reduce_chunk(G, acc)
            out[rows, cols] = acc.numpy()

        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(run, blocks))  # list() re-raises worker exceptions
    out /= SP.shape[0]
    if symmetric:  # only blocks on or above the diagonal were computed
        out = np.triu(out, 1)
        out += out.T
    return out


def pairwise_bhattacharyya(P, *, Q=None, chunk_size: int | None = None,
                           n_jobs: int | None = None) -> np.ndarray:
    """All pairwise Bhattacharyya distances (eq. 2.2.2) between m models.

    Cost is m^2 N C multiply-adds plus m^2 N clamps; per chunk of samples one batched
    matmul of square-root probabilities gives the coefficients ``G_n = S_n S_n^T``.
    Instead of one logarithm per sample, the clamped coefficients of 16 samples are
    multiplied and one logarithm is taken per group (1e-12**16 = 1e-192 cannot
    underflow in float64), which removes ~94% of the logarithms. Only blocks on or
    above the diagonal are computed, in parallel over ``n_jobs`` threads.

    Parameters
    ----------
    P : array_like, shape (m, N, C)
        Predictions of m models on the same N samples.
    Q : array_like, shape (m2, N, C), optional
        If given, the (m, m2) cross distances ``d_B(P[i], Q[j])`` are returned instead
        (e.g. to add test models or new points to an embedding).
    chunk_size : int, optional
        Samples per batched matmul (default 16). Memory per thread is
        ``chunk_size * 128 * 128 * 8`` bytes; the result does not depend on it beyond
        rounding.
    n_jobs : int, optional
        Worker threads; default ``torch.get_num_threads()``.

    Returns
    -------
    numpy.ndarray of float64
        (m, m), symmetric with an exactly zero diagonal; or (m, m2) if ``Q`` is given.
        Coefficients are clamped to [1e-12, 1] as in :func:`bhattacharyya`.
    """
    return _pairwise_sums(P, Q, _neg_log_sum, chunk_size, n_jobs)


def pairwise_geodesic(P, *, Q=None, chunk_size: int | None = None,
                      n_jobs: int | None = None) -> np.ndarray:
    """All pairwise product-of-spheres geodesic distances (eq. 2.5.4).

    Same parameters and return value as :func:`pairwise_bhattacharyya`, with one arccos
    per sample and pair (no grouping trick applies).
    """
    return _pairwise_sums(P, Q, _arccos_sum, chunk_size, n_jobs)


def pairwise_symmetric_kl(P, *, Q=None, floor: float = 1e-8) -> np.ndarray:
    """All pairwise symmetrised KL divergences (IsKL, eq. 2.5.3).

    Expanding ``(p - q)(log p - log q) = p log p + q log q - p log q - q log p`` turns
    the matrix into a single matmul of the flattened (m, N C) probabilities with their
    logarithms, so no per-sample loop is needed.

    Parameters
    ----------
    P : array_like, shape (m, N, C)
    Q : array_like, shape (m2, N, C), optional
        If given, the (m, m2) cross matrix is returned.
    floor : float
        Probabilities are floored at ``floor`` and renormalised, as in
        :func:`symmetric_kl`.

    Returns
    -------
    numpy.ndarray of float64, (m, m) symmetric with zero diagonal, or (m, m2).
    Values are clipped at 0 to remove rounding from the cancellation.
    """
    P = check_probabilities("P", P, ("m", "N", "C"))
    symmetric = Q is None
    if not symmetric:
        Q = check_probabilities("Q", Q, ("m2", "N", "C"))
        check_same_samples("P", P, "Q", Q)
    floor = _check_floor(floor, P.shape[-1])
    def flat(X):  # floored, renormalised, flattened to (m, N C), with its logarithm
        X = _floor_renormalise(X, floor).reshape(X.shape[0], -1)
        return X, np.log(X)

    Pf, Lp = flat(P)
    Qf, Lq = (Pf, Lp) if symmetric else flat(Q)
    cross = Pf @ Lq.T  # sum p_u log q_v, (m, m2)
    cross_t = cross.T if symmetric else Qf @ Lp.T  # sum q_v log p_u, (m2, m)
    D = (Pf * Lp).sum(axis=1)[:, None] + (Qf * Lq).sum(axis=1)[None, :] - cross - cross_t.T
    D = np.maximum(D / P.shape[1], 0.0)
    if symmetric:
        D = (D + D.T) / 2
        np.fill_diagonal(D, 0.0)
    return D


def pairwise_squared_euclidean(P, *, Q=None) -> np.ndarray:
    """Squared Euclidean distances of probabilities, ``(1/N) sum_n sum_c (p_u - p_v)^2``.

    The Euclidean PCA baseline of thesis Fig. 2.23: embedding this matrix with the same
    double centring (:func:`netsim.metrics.inpca`) is ordinary PCA of the flattened
    probabilities (all eigenvalues are non-negative).

    Parameters
    ----------
    P : array_like, shape (m, N, C)
    Q : array_like, shape (m2, N, C), optional
        If given, the (m, m2) cross matrix is returned.

    Returns
    -------
    numpy.ndarray of float64, (m, m) symmetric with zero diagonal, or (m, m2).
    """
    P = check_probabilities("P", P, ("m", "N", "C"))
    symmetric = Q is None
    if not symmetric:
        Q = check_probabilities("Q", Q, ("m2", "N", "C"))
        check_same_samples("P", P, "Q", Q)
    Pf = P.reshape(P.shape[0], -1)
    Qf = Pf if symmetric else Q.reshape(Q.shape[0], -1)
    D = (Pf**2).sum(1)[:, None] + (Qf**2).sum(1)[None, :] - 2.0 * Pf @ Qf.T
    D = np.maximum(D / P.shape[1], 0.0)
    if symmetric:
        D = (D + D.T) / 2
        np.fill_diagonal(D, 0.0)
    return D
