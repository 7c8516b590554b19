"""Tests of netsim.metrics.predictions against direct formulas and thesis identities."""
import logging
import math

import numpy as np
import pytest

from netsim.metrics import (
    bhattacharyya,
    geodesic_distance,
    geodesic_interpolate,
    hellinger,
    hellinger_product,
    ignorance,
    pairwise_bhattacharyya,
    pairwise_geodesic,
    pairwise_symmetric_kl,
    progress,
    progress_many,
    reindex_by_progress,
    symmetric_kl,
    trajectory_distance,
    truth,
)

C = 10


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def dirichlet(rng, *shape, alpha=1.0, classes=C):
    return rng.dirichlet(np.full(classes, alpha), size=shape)


def per_pair(metric, P, Q):
    return np.array([[metric(p, q) for q in Q] for p in P])


# --- single-pair distances -----------------------------------------------------------
def test_bhattacharyya_matches_double_loop(rng):
    p, q = dirichlet(rng, 13), dirichlet(rng, 13, alpha=0.3)
    total = 0.0
    for n in range(13):
        coefficient = sum(math.sqrt(p[n, c] * q[n, c]) for c in range(C))
        total -= math.log(coefficient)
    assert bhattacharyya(p, q) == pytest.approx(total / 13, abs=1e-13)


def test_ignorance_to_truth_is_half_log_C(rng):
    labels = rng.integers(0, C, 50)
    d = bhattacharyya(ignorance(50, C), truth(labels, C))
    assert d == pytest.approx(0.5 * math.log(C), abs=1e-14)
    assert d == pytest.approx(1.1513, abs=5e-5)


def test_distance_to_truth_is_half_cross_entropy(rng):
    p, labels = dirichlet(rng, 40), rng.integers(0, C, 40)
    cross_entropy = -np.log(p[np.arange(40), labels]).mean()
    assert bhattacharyya(p, truth(labels, C)) == pytest.approx(cross_entropy / 2, rel=1e-12)


@pytest.mark.parametrize("metric", [bhattacharyya, hellinger, hellinger_product,
                                    symmetric_kl, geodesic_distance])
def test_symmetric_and_zero_on_the_diagonal(rng, metric):
    p, q = dirichlet(rng, 20), dirichlet(rng, 20)
    assert metric(p, q) == pytest.approx(metric(q, p), abs=1e-14)
    assert metric(p, q) > 0
    assert metric(p, p) == pytest.approx(0.0, abs=1e-7)  # arccos(1 - eps) ~ 1e-8


def test_disjoint_supports_hit_the_documented_cap():
    p, q = truth(np.zeros(4, int), C), truth(np.ones(4, int), C)
    assert bhattacharyya(p, q) == pytest.approx(-math.log(1e-12))
    assert geodesic_distance(p, q) == pytest.approx(math.pi / 2)
    assert hellinger_product(p, q) == 2.0


def test_hellinger_variants_match_direct_formulas(rng):
    p, q = dirichlet(rng, 6), dirichlet(rng, 6)
    coefficients = np.sqrt(p * q).sum(axis=1)
    assert hellinger(p, q) == pytest.approx(np.mean(1 - coefficients), abs=1e-15)
    assert hellinger_product(p, q) == pytest.approx(2 * (1 - np.prod(coefficients)), abs=1e-14)
    # the product version saturates at 2 for many samples; the intensive one does not
    P, Q = dirichlet(rng, 2000), dirichlet(rng, 2000)
    assert hellinger_product(P, Q) == pytest.approx(2.0, abs=1e-12)
    assert hellinger(P, Q) < 0.5


def test_symmetric_kl_matches_direct_formula(rng):
    p, q = dirichlet(rng, 8), dirichlet(rng, 8)
    expected = ((p - q) * np.log(p / q)).sum(axis=1).mean()
    assert symmetric_kl(p, q, floor=1e-300) == pytest.approx(expected, rel=1e-12)
    # one-hot inputs: floored at 1e-8 and renormalised, so finite
    p1, q1 = truth(np.zeros(3, int), C), truth(np.ones(3, int), C)
    pf, qf = (np.maximum(x, 1e-8) / np.maximum(x, 1e-8).sum(1, keepdims=True) for x in (p1, q1))
    assert symmetric_kl(p1, q1) == pytest.approx(((pf - qf) * np.log(pf / qf)).sum(1).mean())


# --- pairwise matrices ----------------------------------------------------------------
@pytest.mark.parametrize("chunk_size", [None, 1, 7, 16, 40, 1000])
def test_pairwise_bhattacharyya_matches_per_pair(rng, chunk_size):
    P = dirichlet(rng, 12, 37, alpha=0.5)  # 37 samples: no chunk size above divides N
    D = pairwise_bhattacharyya(P, chunk_size=chunk_size)
    np.testing.assert_allclose(D, per_pair(bhattacharyya, P, P), atol=1e-13)
    assert np.array_equal(D, D.T)
    assert np.all(np.diagonal(D) == 0.0)


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_pairwise_bhattacharyya_over_several_model_blocks(rng, n_jobs):
    P = dirichlet(rng, 300, 5, alpha=0.2)  # several 128-model blocks per side
    S = np.sqrt(P)
    coefficient = np.einsum("inc,jnc->ijn", S, S)
    expected = -np.log(np.clip(coefficient, 1e-12, 1.0)).mean(axis=2)
    np.fill_diagonal(expected, 0.0)
    D = pairwise_bhattacharyya(P, n_jobs=n_jobs, chunk_size=3)
    np.testing.assert_allclose(D, expected, atol=1e-13)
    assert np.array_equal(D, D.T)


def test_pairwise_single_model_and_cross_matrix(rng):
    assert pairwise_bhattacharyya(dirichlet(rng, 1, 9)).tolist() == [[0.0]]
    P, Q = dirichlet(rng, 5, 23), dirichlet(rng, 3, 23, alpha=0.2)
    np.testing.assert_allclose(pairwise_bhattacharyya(P, Q=Q, chunk_size=5),
                               per_pair(bhattacharyya, P, Q), atol=1e-13)
    # Q = P gives the symmetric matrix up to the (exact) zero diagonal
    np.testing.assert_allclose(pairwise_bhattacharyya(P, Q=P), pairwise_bhattacharyya(P),
                               atol=1e-13)


@pytest.mark.parametrize("pairwise, metric, atol", [
    (pairwise_geodesic, geodesic_distance, 1e-12),
    (pairwise_symmetric_kl, symmetric_kl, 1e-12),
])
def test_other_pairwise_matrices_match_per_pair(rng, pairwise, metric, atol):
    P, Q = dirichlet(rng, 7, 19, alpha=0.3), dirichlet(rng, 4, 19)
    D = pairwise(P)
    expected = per_pair(metric, P, P)
    np.fill_diagonal(expected, 0.0)
    np.testing.assert_allclose(D, expected, atol=atol)
    assert np.array_equal(D, D.T)
    np.testing.assert_allclose(pairwise(P, Q=Q), per_pair(metric, P, Q), atol=atol)


def test_torch_tensors_are_accepted(rng):
    torch = pytest.importorskip("torch")
    P = dirichlet(rng, 4, 11)
    np.testing.assert_allclose(pairwise_bhattacharyya(torch.from_numpy(P)),
                               pairwise_bhattacharyya(P))
    assert bhattacharyya(torch.from_numpy(P[0]).float(), P[1]) == pytest.approx(
        bhattacharyya(P[0], P[1]), abs=1e-6)


# --- geodesics and progress -----------------------------------------------------------
def test_geodesic_interpolation_endpoints_midpoint_and_normalisation(rng):
    p, q = dirichlet(rng, 30, alpha=0.3), dirichlet(rng, 30, alpha=0.3)
    path = geodesic_interpolate(p, q, np.array([0.0, 0.5, 1.0]))
    assert path.shape == (3, 30, C)
    np.testing.assert_allclose(path[0], p, atol=1e-12)
    np.testing.assert_allclose(path[2], q, atol=1e-12)
    np.testing.assert_allclose(path.sum(axis=-1), 1.0, atol=1e-14)
    mid = geodesic_interpolate(p, q, 0.5)
    assert mid.shape == (30, C)

    def per_sample(x, y):
        return np.arccos(np.clip(np.sqrt(x * y).sum(-1), 0, 1))

    np.testing.assert_allclose(per_sample(p, mid), per_sample(p, q) / 2, atol=1e-7)
    np.testing.assert_allclose(per_sample(mid, q), per_sample(p, q) / 2, atol=1e-7)


def test_geodesic_between_identical_models_is_constant(rng):
    p = dirichlet(rng, 5)
    np.testing.assert_allclose(geodesic_interpolate(p, p, np.linspace(0, 1, 4)),
                               np.broadcast_to(p, (4, 5, C)), atol=1e-14)


def test_progress_of_ignorance_truth_and_geodesic_points(rng):
    labels = rng.integers(0, C, 60)
    P0, Pstar = ignorance(60, C), truth(labels, C)
    assert progress(P0, labels) == pytest.approx(0.0, abs=1e-6)
    assert progress(Pstar, labels) == pytest.approx(1.0, abs=1e-6)
    a = np.array([0.1, 0.37, 0.8])
    points = geodesic_interpolate(P0, Pstar, a)
    for ak, point in zip(a, points):
        assert progress(point, labels, num_classes=C) == pytest.approx(ak, abs=1e-6)
    np.testing.assert_allclose(progress_many(points, labels), a, atol=1e-6)


def test_progress_matches_a_grid_search_of_its_definition(rng):
    labels = rng.integers(0, C, 20)
    P0, Pstar = ignorance(20, C), truth(labels, C)
    grid = np.linspace(0, 1, 2001)
    path = geodesic_interpolate(P0, Pstar, grid)
    for alpha in (0.1, 1.0):
        p = geodesic_interpolate(dirichlet(rng, 20, alpha=alpha), Pstar, 0.4)
        d = [geodesic_distance(p, point) for point in path]
        assert progress(p, labels) == pytest.approx(grid[np.argmin(d)], abs=1e-3)


def confident_model(labels, eps):
    """One-hot predictions that are wrong on a fraction eps of the samples."""
    wrong = np.arange(len(labels)) < round(eps * len(labels))
    return truth(np.where(wrong, (labels + 1) % C, labels), C)


def test_remark_2_2_1_confident_models_have_progress_one(rng):
    labels = rng.integers(0, C, 100)
    assert 1 - 1 / math.sqrt(C) == pytest.approx(0.684, abs=1e-3)
    assert progress(confident_model(labels, 0.6), labels) == 1.0  # thesis' bound
    assert progress(confident_model(labels, 0.7), labels) == 1.0  # tight bound is 0.75
    assert progress(confident_model(labels, 0.8), labels) < 1.0
    assert progress(confident_model(labels, 0.9), labels) < 1.0


# --- trajectories ---------------------------------------------------------------------
def geodesic_trajectory(labels, a):
    return geodesic_interpolate(ignorance(len(labels), C), truth(labels, C), np.asarray(a))


def test_reindexing_a_geodesic_trajectory_recovers_the_geodesic(rng):
    labels = rng.integers(0, C, 25)
    traj = geodesic_trajectory(labels, [0.0, 0.05, 0.3, 0.9, 1.0])
    grid = np.linspace(0, 1, 11)
    reindexed, s = reindex_by_progress(traj, labels, grid)
    np.testing.assert_allclose(s, [0.0, 0.05, 0.3, 0.9, 1.0], atol=1e-6)
    np.testing.assert_allclose(reindexed, geodesic_trajectory(labels, grid), atol=1e-5)


def test_reindexing_uses_the_first_bracketing_segment(rng, caplog):
    labels = rng.integers(0, C, 30)
    P0, Pstar = ignorance(30, C), truth(labels, C)
    early = geodesic_interpolate(dirichlet(rng, 30), Pstar, 0.6)
    late = geodesic_interpolate(dirichlet(rng, 30), Pstar, 0.2)
    s_early, s_late = progress(early, labels), progress(late, labels)
    assert s_early > s_late  # progress goes backwards between checkpoints 1 and 2
    grid = np.array([(s_early + s_late) / 2])  # bracketed by segments 0, 1 and 2
    with caplog.at_level(logging.INFO, logger="netsim.metrics.predictions"):
        reindexed, _ = reindex_by_progress(np.stack([P0, early, late, Pstar]), labels, grid)
    np.testing.assert_allclose(reindexed[0], geodesic_interpolate(P0, early, grid[0] / s_early))
    assert "1 non-monotone" in caplog.text


def test_trajectory_distance_ignores_speed_and_is_symmetric(rng):
    labels = rng.integers(0, C, 20)
    slow = geodesic_trajectory(labels, np.linspace(0, 1, 9))
    fast = slow[::2]  # same curve, checkpoints twice as far apart
    assert trajectory_distance(slow, fast, labels) == pytest.approx(0.0, abs=1e-6)
    other = np.stack([geodesic_interpolate(dirichlet(rng, 20), t, 0.5) for t in slow])
    other[0], other[-1] = slow[0], slow[-1]
    d = trajectory_distance(slow, other, labels)
    assert d > 0.01
    assert trajectory_distance(other, slow, labels) == pytest.approx(d, rel=1e-9)


def test_trajectory_distance_needs_overlapping_progress(rng):
    labels = rng.integers(0, C, 10)
    with pytest.raises(ValueError, match="traj_u.*traj_v"):
        trajectory_distance(geodesic_trajectory(labels, [0.0, 0.3]),
                            geodesic_trajectory(labels, [0.5, 1.0]), labels)


# --- validation -----------------------------------------------------------------------
def test_bad_probabilities_raise_naming_the_argument(rng):
    p = dirichlet(rng, 5)
    nan = p.copy()
    nan[2, 3] = np.nan
    with pytest.raises(ValueError, match="q contains NaN"):
        bhattacharyya(p, nan)
    with pytest.raises(ValueError, match=r"rows of p must sum to 1 \(max deviation 0\.3\)"):
        bhattacharyya(p * 1.3, p)
    with pytest.raises(ValueError, match="q has negative entries.*not logits"):
        bhattacharyya(p, np.log(p))
    with pytest.raises(ValueError, match=r"p must be a 2-D array of shape \(N, C\)"):
        hellinger(p[0], p)
    with pytest.raises(ValueError, match=r"P must be a 3-D array of shape \(m, N, C\)"):
        pairwise_bhattacharyya(p)
    with pytest.raises(ValueError, match="p and q must have the same number of samples"):
        geodesic_distance(p, dirichlet(rng, 6))
    with pytest.raises(ValueError, match="P and Q must have the same number of samples"):
        pairwise_bhattacharyya(p[None], Q=dirichlet(rng, 2, 6))
    with pytest.raises(TypeError, match="p must be a numeric array"):
        symmetric_kl(np.array([["a"]]), p)


def test_bad_labels_and_parameters_raise_naming_the_argument(rng):
    p = dirichlet(rng, 5)
    with pytest.raises(ValueError, match="labels must lie in"):
        progress(p, np.array([0, 1, 2, 3, C]))
    with pytest.raises(ValueError, match="labels must have one label per sample"):
        progress(p, np.arange(4))
    with pytest.raises(TypeError, match="labels must hold integer"):
        truth(np.array([0.0, 1.0]), C)
    with pytest.raises(ValueError, match="num_classes"):
        progress(p, np.arange(5), num_classes=C + 1)
    with pytest.raises(ValueError, match="a must be finite values in"):
        geodesic_interpolate(p, p, 1.5)
    with pytest.raises(ValueError, match="chunk_size must be >= 1"):
        pairwise_bhattacharyya(p[None], chunk_size=0)
    with pytest.raises(ValueError, match="floor"):
        symmetric_kl(p, p, floor=0.5)
    with pytest.raises(ValueError, match="grid must lie within"):
        reindex_by_progress(np.stack([ignorance(5, C), p]), np.arange(5), [1.0])


def test_bhattacharyya_terms_average_to_the_distance_and_broadcast():
    from netsim.metrics import bhattacharyya, bhattacharyya_terms, ignorance

    P = np.random.default_rng(3).dirichlet(np.ones(4), size=(3, 25))
    q = ignorance(25, 4)
    terms = bhattacharyya_terms(P, q)
    assert terms.shape == (3, 25)
    np.testing.assert_allclose(terms.mean(axis=1), [bhattacharyya(p, q) for p in P], rtol=1e-12)
    np.testing.assert_allclose(bhattacharyya_terms(P[0], q), terms[0])
    with pytest.raises(ValueError, match="same number of samples"):
        bhattacharyya_terms(P, ignorance(24, 4))
