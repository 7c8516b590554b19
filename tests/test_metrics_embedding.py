"""Tests of netsim.metrics.embedding (InPCA, thesis eqs. 2.2.6-2.2.9, Theorem 2.5.1)."""
import numpy as np
import pytest

from netsim.metrics import (
    InPCA,
    explained_pairwise_distance,
    geodesic_interpolate,
    ignorance,
    inpca,
    minkowski_sq_distances,
    pairwise_bhattacharyya,
    truth,
)

C = 10


@pytest.fixture(scope="module")
def manifold():
    """Bhattacharyya distances of 30 models: 20 on the ignorance-truth geodesic (which
    gives a clearly time-like direction) and 10 random ones."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, C, 40)
    geodesic = geodesic_interpolate(ignorance(40, C), truth(labels, C), np.linspace(0, 1, 20))
    others = rng.dirichlet(np.full(C, 0.5), size=(10, 40))
    return pairwise_bhattacharyya(np.concatenate([geodesic, others]))


@pytest.fixture(scope="module")
def larger():
    rng = np.random.default_rng(1)
    P = rng.dirichlet(np.full(C, 0.3), size=(200, 15))
    return pairwise_bhattacharyya(P)


def test_full_inpca_is_exactly_isometric(manifold):
    result = inpca(manifold)
    assert isinstance(result, InPCA)
    m = manifold.shape[0]
    assert result.coords.shape == (m, m) and result.eigenvalues.shape == (m,)
    assert result.eigenvalues.min() < -1e-2  # time-like components are present
    magnitudes = np.abs(result.eigenvalues)
    assert np.all(np.diff(magnitudes) <= 1e-15)
    np.testing.assert_allclose(result.distances(), manifold, atol=1e-12)
    np.testing.assert_allclose(minkowski_sq_distances(result.coords, result.signature),
                               manifold, atol=1e-12)
    np.testing.assert_array_equal(result.signature, np.where(result.eigenvalues < 0, -1, 1))
    assert explained_pairwise_distance(manifold, result.coords, result.signature) == \
        pytest.approx(1.0, abs=1e-12)


def test_explained_stress_definition_and_monotonicity(manifold):
    result = inpca(manifold)
    m = manifold.shape[0]
    stress = np.array([result.explained_stress(k) for k in range(1, m + 1)])
    assert stress[-1] == 1.0
    assert np.all(np.diff(stress) >= -1e-15) and stress[0] > 0
    # left-hand side of eq. 2.2.8: relative Frobenius error of the rank-k W
    L = np.eye(m) - 1.0 / m
    W = -L @ manifold @ L / 2
    for k in (1, 3, 10):
        U, lam = result.eigenvectors[:, :k], result.eigenvalues[:k]
        residual = np.linalg.norm(W - (U * lam) @ U.T) / np.linalg.norm(W)
        assert result.explained_stress(k) == pytest.approx(1 - residual, abs=1e-10)


@pytest.mark.parametrize("k", [5, 199])  # Lanczos fast path, and dense eigh near m
def test_top_k_matches_the_full_decomposition(larger, k):
    full, top = inpca(larger), inpca(larger, n_components=k)
    assert top.coords.shape == (200, k) and top.eigenvalues.shape == (k,)
    np.testing.assert_allclose(top.eigenvalues, full.eigenvalues[:k], atol=1e-10)
    np.testing.assert_allclose(top.coords, full.coords[:, :k], atol=1e-8)
    for j in (1, min(k, 3), k):
        assert top.explained_stress(j) == pytest.approx(full.explained_stress(j), abs=1e-10)


def test_readding_embedded_points_reproduces_their_coordinates(manifold, larger):
    full = inpca(manifold)
    np.testing.assert_allclose(full.transform(manifold), full.coords, atol=1e-6)
    np.testing.assert_allclose(full.transform(manifold[3]), full.coords[3], atol=1e-6)
    top = inpca(larger, n_components=4)
    np.testing.assert_allclose(top.transform(larger[:7]), top.coords[:7], atol=1e-10)


def euclidean_squared(points, others=None):
    others = points if others is None else others
    return ((points[:, None, :] - others[None, :, :]) ** 2).sum(-1)


def test_euclidean_distances_reduce_to_classical_mds():
    rng = np.random.default_rng(2)
    points = rng.normal(size=(25, 3)) * [3.0, 2.0, 1.0]
    D = euclidean_squared(points)
    result = inpca(D)
    top, rest = result.eigenvalues[:3], result.eigenvalues[3:]
    assert np.all(top > 0.1)
    assert np.abs(rest).max() < 1e-10 * top[0]
    np.testing.assert_allclose(result.distances(k=3), D, atol=1e-10)
    # centred classical MDS coordinates: a rotation of the centred points
    centred = points - points.mean(axis=0)
    np.testing.assert_allclose(result.coords[:, :3] @ result.coords[:, :3].T,
                               centred @ centred.T, atol=1e-10)
    # a new point placed by eq. 2.2.9 has the right squared distances to the others
    new = rng.normal(size=(2, 3))
    placed = result.transform(euclidean_squared(new, points))[:, :3]
    np.testing.assert_allclose(minkowski_sq_distances(placed, np.ones(3), Y=result.coords[:, :3]),
                               euclidean_squared(new, points), atol=1e-9)


def test_explained_pairwise_distance_drops_with_fewer_dimensions(manifold):
    result = inpca(manifold)
    one = explained_pairwise_distance(manifold, result.coords[:, :1], result.signature[:1])
    ten = explained_pairwise_distance(manifold, result.coords[:, :10], result.signature[:10])
    assert one < ten < 1.0


def test_bad_inputs_raise_naming_the_argument(manifold):
    with pytest.raises(ValueError, match="D must be symmetric"):
        inpca(manifold + np.triu(np.ones_like(manifold), 1) * 0.1)
    nan = manifold.copy()
    nan[0, 1] = nan[1, 0] = np.nan
    with pytest.raises(ValueError, match="D contains NaN"):
        inpca(nan)
    with pytest.raises(ValueError, match="D must have a zero diagonal"):
        inpca(manifold + np.eye(len(manifold)))
    with pytest.raises(ValueError, match="D must be a square"):
        inpca(manifold[:5])
    for bad, error in [(0, ValueError), (31, ValueError), (2.5, TypeError), (True, TypeError)]:
        with pytest.raises(error, match="n_components"):
            inpca(manifold, n_components=bad)
    result = inpca(manifold, n_components=3)
    with pytest.raises(ValueError, match="D_new must have shape"):
        result.transform(manifold[:, :5])
    with pytest.raises(ValueError, match="k = 4 exceeds"):
        result.explained_stress(4)
    with pytest.raises(ValueError, match="signature"):
        minkowski_sq_distances(result.coords, np.ones(2))
    with pytest.raises(ValueError, match="X must have one row per point"):
        explained_pairwise_distance(manifold, result.coords[:5], result.signature)
