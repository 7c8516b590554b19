"""The space of tasks (thesis ch. 3): imprinting, per-class progress, mean trajectories,
tube radii, the normalised distance between tubes, and Riemann lengths.

Models trained on different tasks are compared after *imprinting* them onto one common
task (eq. 3.2.1): the head is replaced by the normalised class sums of the penultimate
features, and the bias-free softmax of the new logits is the mapped model. Everything
after that is prediction space, so the tools of :mod:`netsim.metrics.predictions` and
:mod:`netsim.metrics.trajectories` are reused:

* per-class progress ``t_w^c`` is eq. 2.2.4 (:func:`~netsim.metrics.progress`) restricted
  to the samples of class c (STUDIES_THESIS.md, B.1);
* trajectories are reindexed by progress onto a shared grid with
  :func:`~netsim.metrics.reindex_many`; the mean trajectory is the arithmetic mean of the
  probabilities at each progress value (eq. 3.5.6); the tube radius is
  ``max_k d_B(P_{u_k(t)}, P_{mu(t)})`` (the per-seed distances are those of
  :func:`~netsim.metrics.tube_widths`, which fixes its own grid);
* the normalised distance of Remark 3.3.3,
  ``rho_12(t) = 2 d_B(mu_1(t), mu_2(t)) / (r_1(t) + r_2(t))``; ``rho < 1`` means the tubes
  intersect;
* :func:`trajectory_length` is :func:`~netsim.metrics.riemann_length` (the B.1 default,
  ``sum_k d_G(P_k, P_{k+1})``) with the B.1 alternative ``sum_k sqrt(2 d_B(P_k, P_{k+1}))``.

All inputs are validated (NaN, shapes, normalisation, empty classes) with errors naming
the argument; computations are in float64 and torch tensors are accepted.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._validation import as_numpy, check_labels, check_positive_int, check_same_samples
from .predictions import (
    _check_progress_inputs,
    _check_trajectory,
    _geodesic_plane_coordinates,
    _mean_bhattacharyya,
    _progress_1d,
)
from .trajectories import reindex_many, riemann_length

#: A class sum ``h_c`` whose norm is at most this fraction of ``sum_{x in c} ||phi(x)||``
#: counts as zero: the class's features cancel and ``h_c / ||h_c||`` is undefined.
_ZERO_SUM_RTOL = 1e-12
#: Default ``atol`` of :func:`normalised_distance`: tube radii below this sum are rounding.
RADIUS_ATOL = 1e-12


# ---------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------
def _check_matrix(name: str, x, axes: str) -> np.ndarray:
    """A finite, real, non-empty 2-D float64 array; ``axes`` names its shape, e.g. "(N, d)"."""
    arr = as_numpy(x, name)
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real-valued; got dtype {arr.dtype}")
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape {axes}; got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty; got shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _require_every_class(labels: np.ndarray, num_classes: int, what: str) -> None:
    counts = np.bincount(labels, minlength=num_classes)
    empty = np.flatnonzero(counts == 0)
    if empty.size:
        raise ValueError(
            f"labels has no samples of class(es) {empty.tolist()} (of num_classes = "
            f"{num_classes}); {what} is undefined for a class without samples"
        )


# ---------------------------------------------------------------------------------
# Imprinting (eq. 3.2.1, 3.5.4, 3.5.5)
# ---------------------------------------------------------------------------------
def imprint(features, labels, num_classes: int) -> np.ndarray:
    """Imprinted head of a target task (thesis eq. 3.2.1).

    Row c is ``h_c / ||h_c||_2`` with ``h_c = sum_{x: y*_x = c} phi(x)``: the unit vector
    that maximises ``sum_{x: y*_x = c} w . phi(x)`` over ``||w|| = 1`` (section 3.5.4; the
    maximum is ``||h_c||``).

    Parameters
    ----------
    features : array_like, shape (N, d)
        Penultimate features ``phi(x; w_1)`` of the samples that supply the class sums.
    labels : array_like of int, shape (N,)
        Target-task classes in ``[0, num_classes)``.
    num_classes : int
        Number of classes C of the target task; every class needs at least one sample.

    Returns
    -------
    numpy.ndarray, shape (C, d)
        Unit-norm rows.

    Raises
    ------
    ValueError
        NaN / infinite or wrongly shaped ``features``, labels outside ``[0, C)`` or of the
        wrong length, a class without samples (the classes are listed), or a class whose
        features sum to zero.
    """
    features = _check_matrix("features", features, "(N, d)")
    num_classes = check_positive_int("num_classes", num_classes)
    labels = check_labels(labels, features.shape[0], num_classes)
    _require_every_class(labels, num_classes, "the imprinted row h_c / ||h_c||")
    lengths = np.linalg.norm(features, axis=1)
    h = np.stack([features[labels == c].sum(axis=0) for c in range(num_classes)])
    scale = np.array([lengths[labels == c].sum() for c in range(num_classes)])
    norms = np.linalg.norm(h, axis=1)
    zero = np.flatnonzero(norms <= _ZERO_SUM_RTOL * scale)
    if zero.size:
        raise ValueError(
            f"the summed features h_c of class(es) {zero.tolist()} are zero (the features of "
            "those classes cancel); their imprinted row h_c / ||h_c|| is undefined"
        )
    return h / norms[:, None]


def imprinted_probs(features, head) -> np.ndarray:
    """Predictions of the imprinted model: ``softmax(features @ head.T)`` without bias.

    The maximum logit of each sample is subtracted before the exponential, so large
    features neither overflow nor underflow to an all-zero row. With ``head`` from
    :func:`imprint`, an orthogonal map of the features ``phi -> U phi`` (applied to both
    the features that build the head and those evaluated) leaves the probabilities
    unchanged (section 3.5.5).

    Parameters
    ----------
    features : array_like, shape (N, d)
        Features of the samples to predict.
    head : array_like, shape (C, d)
        Classifier rows (e.g. from :func:`imprint`).

    Returns
    -------
    numpy.ndarray, shape (N, C)
        Rows sum to 1.
    """
    features = _check_matrix("features", features, "(N, d)")
    head = _check_matrix("head", head, "(C, d)")
    if head.shape[1] != features.shape[1]:
        raise ValueError(
            f"features and head must share the feature dimension d; got features with shape "
            f"{features.shape} and head with shape {head.shape}"
        )
    logits = features @ head.T
    logits -= logits.max(axis=1, keepdims=True)
    out = np.exp(logits)
    out /= out.sum(axis=1, keepdims=True)
    return out


# ---------------------------------------------------------------------------------
# Per-class progress (eq. 2.2.4 restricted to one class)
# ---------------------------------------------------------------------------------
def _per_class(X, Y, R, labels: np.ndarray, C: int) -> np.ndarray:
    """Progress of each class from plane coordinates of shape (m, N): returns (m, C)."""
    out = np.empty((X.shape[0], C))
    for c in range(C):
        at = labels == c
        for i in range(X.shape[0]):
            out[i, c] = _progress_1d(X[i, at], Y[i, at], R[i, at], C)
    return out


def per_class_progress(P, labels, num_classes: int | None = None) -> np.ndarray:
    """Per-class progress ``t_w^c`` (STUDIES_THESIS.md B.1).

    Eq. 2.2.4 (:func:`~netsim.metrics.progress`) evaluated on the samples with
    ``y* = c`` only: ``t_w^c = argmin_{a in [0, 1]} d_G(P_w|_c, P^a_{0,*}|_c)``, with the
    geodesic of the full C-class task.

    Parameters
    ----------
    P : array_like, shape (N, C)
        Probabilities of one model.
    labels : array_like of int, shape (N,)
        Every class in ``[0, C)`` must have at least one sample.
    num_classes : int, optional
        If given, must equal C.

    Returns
    -------
    numpy.ndarray, shape (C,)
        Values in [0, 1]; entry c equals ``progress(P[labels == c], labels[labels == c])``.
    """
    P, labels = _check_progress_inputs("P", P, labels, num_classes, ("N", "C"))
    _require_every_class(labels, P.shape[-1], "per-class progress")
    X, Y, R = _geodesic_plane_coordinates(P[None], labels)
    return _per_class(X, Y, R, labels, P.shape[-1])[0]


def per_class_progress_many(P, labels, num_classes: int | None = None) -> np.ndarray:
    """Per-class progress of m models (e.g. the T checkpoints of a trajectory) at once.

    Parameters
    ----------
    P : array_like, shape (m, N, C)
    labels : array_like of int, shape (N,)
    num_classes : int, optional
        If given, must equal C.

    Returns
    -------
    numpy.ndarray, shape (m, C)
        Row i is :func:`per_class_progress` of ``P[i]``.
    """
    P, labels = _check_progress_inputs("P", P, labels, num_classes, ("m", "N", "C"))
    _require_every_class(labels, P.shape[-1], "per-class progress")
    return _per_class(*_geodesic_plane_coordinates(P, labels), labels, P.shape[-1])


# ---------------------------------------------------------------------------------
# Mean trajectories, tube radii, normalised distance (eq. 3.5.6, Remark 3.3.3)
# ---------------------------------------------------------------------------------
class Tube(NamedTuple):
    """Mean trajectory and tube radius of K trajectories on a progress grid.

    Attributes
    ----------
    grid : numpy.ndarray, shape (G,)
    mean : numpy.ndarray, shape (G, N, C)
        Arithmetic mean of the reindexed probabilities; ``NaN`` where not ``valid``.
    radius : numpy.ndarray, shape (G,)
        ``max_k d_B(P_{u_k(t)}, mean(t))``; ``NaN`` where not ``valid``.
    valid : numpy.ndarray of bool, shape (G,)
        Grid points inside the progress range of every trajectory.
    """

    grid: np.ndarray
    mean: np.ndarray
    radius: np.ndarray
    valid: np.ndarray


def _checked_set(name: str, trajs, labels):
    """Validate a sequence of trajectories, naming ``name[i]`` in errors."""
    if isinstance(trajs, np.ndarray) and trajs.ndim == 3:
        raise ValueError(
            f"{name} must be a sequence of trajectories (T_k, N, C); got one array of shape "
            f"{trajs.shape} (wrap a single trajectory in a list)"
        )
    checked = [_check_trajectory(f"{name}[{i}]", t) for i, t in enumerate(trajs)]
    if not checked:
        raise ValueError(f"{name} is empty; pass at least one trajectory")
    for i, t in enumerate(checked[1:], 1):
        check_same_samples(f"{name}[0]", checked[0], f"{name}[{i}]", t)
    check_labels(labels, *checked[0].shape[1:])
    return checked


def tube(trajs, labels, grid) -> Tube:
    """Mean trajectory (eq. 3.5.6) and tube radius of K trajectories, computed together.

    Each trajectory is reindexed by progress onto ``grid``
    (:func:`~netsim.metrics.reindex_many`: geodesic interpolation between the bracketing
    checkpoints); at every grid point that all of them cover, the mean is
    ``(1/K) sum_k P_{u_k(t)}`` and the radius ``max_k d_B(P_{u_k(t)}, P_{mu(t)})``.
    Memory: K G N C float64 numbers for the reindexed trajectories.

    Parameters
    ----------
    trajs : sequence of array_like, each (T_k, N, C)
        Trajectories on the same samples (T_k >= 2 may differ), e.g. K seeds of one task
        imprinted onto a common task.
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,)
        Increasing progress values (e.g. :func:`~netsim.metrics.progress_grid`).

    Returns
    -------
    Tube
    """
    checked = _checked_set("trajs", trajs, labels)
    R, valid = reindex_many(checked, labels, grid)
    return tube_from_reindexed(R, valid, grid)


def tube_from_reindexed(R, valid, grid) -> Tube:
    """The :class:`Tube` of trajectories already reindexed by :func:`~netsim.metrics.reindex_many`.

    For bootstraps over runs: reindex every run once, then build tubes of any resample
    (repeated runs allowed) from the rows of ``R`` without interpolating again.

    Parameters
    ----------
    R : numpy.ndarray, shape (K, G, N, C); valid : bool array, shape (K, G); grid : (G,)
    """
    R, valid = np.asarray(R, dtype=np.float64), np.asarray(valid, dtype=bool)
    if R.ndim != 4 or valid.shape != R.shape[:2] or len(grid) != R.shape[1]:
        raise ValueError(f"R must be (K, G, N, C) with valid (K, G) and grid (G,); got {R.shape}, "
                         f"{valid.shape}, {len(grid)}")
    common = valid.all(axis=0)
    G, (N, C) = R.shape[1], R.shape[2:]
    mean = np.full((G, N, C), np.nan)
    radius = np.full(G, np.nan)
    if common.any():
        mean[common] = R[:, common].mean(axis=0)
        radius[common] = _mean_bhattacharyya(R[:, common], mean[common][None]).max(axis=0)
    return Tube(np.asarray(grid, dtype=np.float64), mean, radius, common)


def mean_trajectory(trajs, labels, grid) -> tuple[np.ndarray, np.ndarray]:
    """Mean of K trajectories at equal progress (thesis eq. 3.5.6).

    The thesis approximates ``argmin_mu (1/K) sum_k d_traj(tau_{u_k}, tau_mu)`` by the
    arithmetic mean of the probabilities at each progress value (like an ensemble).

    Parameters
    ----------
    trajs : sequence of array_like, each (T_k, N, C)
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,), increasing progress values.

    Returns
    -------
    mean : numpy.ndarray, shape (G, N, C)
        ``NaN`` at grid points outside some trajectory's progress range.
    valid : numpy.ndarray of bool, shape (G,)
        Grid points covered by every trajectory.
    """
    t = tube(trajs, labels, grid)
    return t.mean, t.valid


def tube_radius(trajs, labels, grid) -> np.ndarray:
    """Radius of the tube around the mean trajectory (section 3.5.6, Remark 3.3.3).

    ``r(t) = max_k d_B(P_{u_k(t)}, P_{mu(t)})`` per grid value. On
    ``grid = progress_grid(n)`` this is ``tube_widths(trajs, labels, num_points=n)[1]``
    maximised over seeds, at the grid points every trajectory covers.

    Parameters
    ----------
    trajs : sequence of array_like, each (T_k, N, C)
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,), increasing progress values.

    Returns
    -------
    numpy.ndarray, shape (G,)
        ``NaN`` at grid points not covered by every trajectory.
    """
    return tube(trajs, labels, grid).radius


def normalised_distance(trajs1, trajs2, labels, grid, *, atol: float = RADIUS_ATOL) -> np.ndarray:
    """Distance between two tubes in units of their radii (Remark 3.3.3).

    ``rho_12(t) = 2 d_B(mu_1(t), mu_2(t)) / (max_a d_B(tau_a^1(t), mu_1(t))
    + max_a d_B(tau_a^2(t), mu_2(t)))``; ``rho < 1`` means the tubes intersect.

    Parameters
    ----------
    trajs1, trajs2 : sequence of array_like, each (T_k, N, C), or :class:`Tube`
        The trajectories of the two tasks (already imprinted onto one common task), or
        their precomputed :func:`tube` on the same ``grid`` (to compare one task with
        many without reindexing it again).
    labels : array_like of int, shape (N,)
    grid : array_like, shape (G,), increasing progress values.
    atol : float
        Where the radii sum to at most ``atol`` the ratio is undefined (``NaN``): e.g. at
        progress 0, where every trajectory sits at ignorance and both radii are rounding.

    Returns
    -------
    numpy.ndarray, shape (G,)
        ``NaN`` where either tube is undefined (a grid point outside some trajectory's
        range) or the radii sum to at most ``atol``.
    """
    grid_arr = np.asarray(as_numpy(grid, "grid"), dtype=np.float64)
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0; got {atol}")
    tubes = []
    for name, trajs in (("trajs1", trajs1), ("trajs2", trajs2)):
        if isinstance(trajs, Tube):
            if trajs.grid.shape != grid_arr.shape or not np.array_equal(trajs.grid, grid_arr):
                raise ValueError(f"{name} is a Tube on a different grid than grid")
            tubes.append(trajs)
        else:
            checked = _checked_set(name, trajs, labels)
            tubes.append(tube(checked, labels, grid_arr))
    t1, t2 = tubes
    if t1.mean.shape[1:] != t2.mean.shape[1:]:
        raise ValueError(
            "trajs1 and trajs2 must have the same samples N and classes C; got "
            f"{t1.mean.shape[1:]} and {t2.mean.shape[1:]}"
        )
    rho = np.full(grid_arr.shape[0], np.nan)
    both = t1.valid & t2.valid
    if both.any():
        num = 2.0 * _mean_bhattacharyya(t1.mean[both], t2.mean[both])
        den = t1.radius[both] + t2.radius[both]
        with np.errstate(divide="ignore", invalid="ignore"):
            rho[both] = np.where(den > atol, num / den, np.nan)
    return rho


# ---------------------------------------------------------------------------------
# Riemann length (B.1 [NG]: default d_G steps, alternative sqrt(2 d_B) steps)
# ---------------------------------------------------------------------------------
#: Step lengths accepted by :func:`trajectory_length`.
LENGTH_STEPS = ("geodesic", "sqrt_2db")


def trajectory_length(traj, *, step: str = "geodesic") -> float:
    """Riemann length of a trajectory, ``sum_k ell(P_k, P_{k+1})`` over consecutive checkpoints.

    ``step="geodesic"`` (the B.1 default) is ``ell = d_G`` (eq. 2.5.4), exactly
    :func:`~netsim.metrics.riemann_length`; for a geodesic it is the distance between the
    end points for any sampling, and it can only grow as checkpoints are added.
    ``step="sqrt_2db"`` (the B.1 alternative) is ``ell = sqrt(2 d_B)``: for close models
    ``2 d_B ~ (1/N) sum_n theta_n^2`` (theta_n the per-sample angle), so it measures the
    root-mean-square instead of the mean of the per-sample angles; along a geodesic it
    decreases with refinement towards ``sqrt((1/N) sum_n theta_n^2) >= d_G``. Either way
    the length depends on the checkpoint density: compare trajectories with identical
    schedules.

    Parameters
    ----------
    traj : array_like, shape (T, N, C)
        T >= 2 checkpoints.
    step : {"geodesic", "sqrt_2db"}

    Returns
    -------
    float
    """
    if step not in LENGTH_STEPS:
        raise ValueError(f"step must be one of {LENGTH_STEPS}; got {step!r}")
    if step == "geodesic":
        return riemann_length(traj)
    traj = _check_trajectory("traj", traj)
    return float(np.sqrt(2.0 * _mean_bhattacharyya(traj[:-1], traj[1:])).sum())
