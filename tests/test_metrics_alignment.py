"""Tests of weighted InPCA (2.5.3.2), the joint train/test embedding (eq. 2.3.1) and
Kabsch-Umeyama alignment in netsim.metrics.embedding."""
import numpy as np
import pytest

from netsim.metrics import inpca, kabsch_umeyama, minkowski_sq_distances, pairwise_bhattacharyya, weighted_inpca


@pytest.fixture(scope="module")
def D():
    P = np.random.default_rng(0).dirichlet(np.full(6, 0.5), size=(9, 20))
    return pairwise_bhattacharyya(P)


def test_uniform_weights_equal_inpca(D):
    a, b = weighted_inpca(D, np.ones(9)), inpca(D)
    k = len(a.eigenvalues)
    assert np.allclose(a.eigenvalues * 9, b.eigenvalues[:k])
    assert np.allclose(np.abs(a.coords), np.abs(b.coords[:, :k]), atol=1e-8)


def test_integer_weights_equal_inpca_of_repeated_points(D):
    mu = np.array([1, 2, 1, 3, 1, 1, 2, 1, 1])
    rep = np.repeat(np.arange(9), mu)
    full = inpca(D[np.ix_(rep, rep)])
    w = weighted_inpca(D, mu)
    k = len(w.eigenvalues)
    assert np.allclose(w.eigenvalues * mu.sum(), full.eigenvalues[:k], atol=1e-10)
    first = np.searchsorted(rep, np.arange(9))
    assert np.allclose(np.abs(w.coords), np.abs(full.coords[first, :k]), atol=1e-8)
    assert np.allclose(minkowski_sq_distances(w.coords, w.signature), D, atol=1e-8)


def test_zero_weight_points_are_placed_as_by_eq_229(D):
    mu = np.ones(9)
    mu[-2:] = 0
    w = weighted_inpca(D, mu)
    sub = inpca(D[:7, :7])
    k = len(w.eigenvalues)
    assert np.allclose(np.abs(w.coords[:7]), np.abs(sub.coords[:, :k]), atol=1e-8)
    projected = sub.transform(D[7:, :7])
    assert np.allclose(np.abs(w.coords[7:]), np.abs(projected[:, :k]), atol=1e-8)
    # and the weighted embedding's own transform reproduces its coordinates
    assert np.allclose(w.transform(D[7:]), w.coords[7:], atol=1e-8)


def test_weights_are_validated(D):
    with pytest.raises(ValueError, match="weights"):
        weighted_inpca(D, -np.ones(9))


def test_the_joint_embedding_ignores_the_new_points_own_centring(D):
    """Eq. 2.3.1 centres with train row means; a constant shift of a new point's row
    (what changing its own centring term does) leaves its coordinates unchanged."""
    e = inpca(D)
    assert np.allclose(e.transform(D[:3] + 0.7), e.transform(D[:3]), atol=1e-10)


def test_kabsch_recovers_a_rigid_motion_with_a_reflection():
    rng = np.random.default_rng(1)
    Y = rng.standard_normal((20, 3))
    Q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    Q[:, 0] *= -1 if np.linalg.det(Q) > 0 else 1  # an improper rotation
    X = (Y - 1.0) @ Q.T
    aligned, rmsd = kabsch_umeyama(X, Y)
    assert rmsd < 1e-10 and np.allclose(aligned, Y)
    _, rmsd_proper = kabsch_umeyama(X, Y, reflections=False)
    assert rmsd_proper > 1e-3
    with pytest.raises(ValueError, match="same shape"):
        kabsch_umeyama(X[:3], Y)
