"""Tests of netsim.metrics.trajectories: shared progress grid, d_traj matrices, tube widths,
distance to the geodesic, Riemann length, four-point basis (thesis 2.2, 2.4.1, 2.5.4)."""
import numpy as np
import pytest

from netsim.metrics import (
    bhattacharyya,
    distance_to_geodesic,
    four_point_basis,
    geodesic_distance,
    geodesic_interpolate,
    ignorance,
    inpca,
    pairwise_bhattacharyya,
    pairwise_squared_euclidean,
    pairwise_trajectory_distance,
    progress_average,
    progress_many,
    reindex_many,
    riemann_length,
    trajectory_distance,
    truth,
    tube_widths,
)

C, N = 5, 30


@pytest.fixture(scope="module")
def labels():
    return np.random.default_rng(0).integers(0, C, N)


def _trajectory(labels, seed, T=12, wobble=0.3):
    """Ignorance -> a noisy model -> truth: progress runs from 0 to 1."""
    rng = np.random.default_rng(seed)
    mid = 0.5 * rng.dirichlet(np.full(C, 1.0), size=N) + 0.5 * truth(labels, C)
    mid = (1 - wobble) * truth(labels, C) * 0.6 + wobble * mid + (1 - wobble) * 0.4 / C
    mid /= mid.sum(-1, keepdims=True)
    first = geodesic_interpolate(ignorance(N, C), mid, np.linspace(0, 1, T // 2))
    second = geodesic_interpolate(mid, truth(labels, C), np.linspace(0, 1, T - T // 2 + 1)[1:])
    return np.concatenate([first, second])


def test_reindex_many_marks_points_outside_the_range(labels):
    traj = _trajectory(labels, 0)[:8]  # stops before the truth
    s_max = progress_many(traj, labels).max()
    R, valid = reindex_many([traj], labels, np.linspace(0, 1, 11))
    assert valid[0, 0] and not valid[0, -1]
    assert np.isnan(R[0, ~valid[0]]).all() and np.isfinite(R[0, valid[0]]).all()
    assert valid[0].sum() == (np.linspace(0, 1, 11) <= s_max).sum()


def test_pairwise_trajectory_distance_matches_the_pair_function(labels):
    trajs = [_trajectory(labels, k) for k in range(3)]
    D = pairwise_trajectory_distance(trajs, labels, num_points=200)
    assert D.shape == (3, 3) and np.allclose(D, D.T) and np.all(np.diag(D) == 0)
    for i, j in [(0, 1), (1, 2)]:
        assert D[i, j] == pytest.approx(trajectory_distance(trajs[i], trajs[j], labels, num_points=200), rel=2e-2)
    assert D[0, 1] > 0


def test_tube_width_is_zero_for_identical_seeds_and_positive_otherwise(labels):
    traj = _trajectory(labels, 0)
    grid, widths = tube_widths([traj, traj.copy()], labels, num_points=20)
    assert np.allclose(widths, 0, atol=1e-12)
    grid, widths = tube_widths([_trajectory(labels, k) for k in range(3)], labels, num_points=20)
    assert widths.shape == (3, len(grid)) and widths.max() > 0


def test_the_geodesic_is_at_distance_zero_from_itself(labels):
    geo = geodesic_interpolate(ignorance(N, C), truth(labels, C), np.linspace(0, 1, 15))
    grid, d = distance_to_geodesic(geo, labels, num_points=30)
    assert grid[0] == 0 and grid[-1] == 1
    assert np.abs(d).max() < 1e-6
    _, d_other = distance_to_geodesic(_trajectory(labels, 1), labels, num_points=30)
    assert d_other.max() > 1e-3


def test_riemann_length_of_a_geodesic_equals_its_distance(labels):
    p, q = ignorance(N, C), truth(labels, C)
    path = geodesic_interpolate(p, q, np.linspace(0, 1, 9))
    assert riemann_length(path) == pytest.approx(geodesic_distance(p, q), rel=1e-9)
    assert riemann_length(_trajectory(labels, 0)) > geodesic_distance(p, q)


def test_progress_average_picks_models_near_s():
    rng = np.random.default_rng(3)
    P = rng.dirichlet(np.ones(C), size=(4, N))
    avg = progress_average(P, np.array([0.0, 0.3, 0.31, 1.0]), 0.3, sigma=1e-3)
    assert np.allclose(avg, (P[1] + P[2]) / 2 / (P[1] + P[2]).sum(-1, keepdims=True) * 1, atol=1e-3) or \
        bhattacharyya(avg, P[1]) < bhattacharyya(avg, P[0])
    assert np.allclose(progress_average(P, np.zeros(4), 0.0), P.mean(0))
    with pytest.raises(ValueError, match="s_models"):
        progress_average(P, np.zeros(3), 0.1)


def test_four_point_basis_places_the_basis_points_at_their_coordinates(labels):
    traj = _trajectory(labels, 0)
    s = progress_many(traj, labels)
    basis, coords = four_point_basis(traj, labels, s)
    assert coords.shape == (len(traj), 3)
    # the first model is ignorance itself, so it lands on the basis point P_0
    assert np.allclose(coords[0], basis.coords[0], atol=1e-6)


def test_squared_euclidean_gives_ordinary_pca(labels):
    rng = np.random.default_rng(4)
    P = rng.dirichlet(np.ones(C), size=(12, N))
    D = pairwise_squared_euclidean(P)
    flat = P.reshape(12, -1) / np.sqrt(N)
    assert np.allclose(D, ((flat[:, None] - flat[None]) ** 2).sum(-1))
    assert (inpca(D).eigenvalues > -1e-10).all()  # Euclidean: no time-like directions
    assert np.allclose(pairwise_squared_euclidean(P[:3], Q=P), D[:3])
    assert pairwise_bhattacharyya(P).shape == D.shape


def test_a_fixed_progress_window_compares_every_pair_on_the_same_range():
    from netsim import metrics

    labels = np.arange(60) % 3
    start, end = metrics.ignorance(60, 3), metrics.truth(labels, 3)
    fast = metrics.geodesic_interpolate(start, end, np.linspace(0.0, 0.95, 12))
    slow = metrics.geodesic_interpolate(start, end, np.linspace(0.0, 0.4, 12))
    ranges = metrics.progress_ranges([fast, slow, fast], labels)
    lo, hi = metrics.common_window(ranges)
    assert lo == pytest.approx(0.0, abs=1e-6) and hi == pytest.approx(0.4, abs=1e-2)
    overlap = metrics.pair_overlap(ranges)
    assert overlap[0, 1] == pytest.approx(hi - lo) and overlap[0, 2] == pytest.approx(ranges[0, 1] - ranges[0, 0])
    D = metrics.pairwise_trajectory_distance([fast, slow, fast], labels, num_points=20, window=(0.1, 0.35))
    assert np.isfinite(D).all() and D.max() < 1e-6  # the same path, compared on the same window
    wide = metrics.pairwise_trajectory_distance([fast, slow], labels, num_points=20, window=(0.1, 0.8))
    assert np.isnan(wide[0, 1])  # the slow run does not cover the window
    with pytest.raises(ValueError, match="window"):
        metrics.pairwise_trajectory_distance([fast, slow], labels, window=(0.5, 0.2))
    with pytest.raises(ValueError, match="share no progress"):
        metrics.common_window([[0.0, 0.2], [0.3, 0.9]])
