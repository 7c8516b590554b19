"""Tests of netsim.metrics.centroids (thesis Table 2.3)."""
import numpy as np
import pytest
from scipy.optimize import minimize

from netsim.metrics import CENTROIDS, bhattacharyya, centroid, symmetric_kl

C = 4


@pytest.fixture(scope="module")
def ensemble():
    return np.random.default_rng(0).dirichlet(np.full(C, 0.7), size=(5, 6))


@pytest.mark.parametrize("kind", CENTROIDS)
def test_centroid_of_identical_models_is_the_model(ensemble, kind):
    P = np.repeat(ensemble[:1], 3, axis=0)
    assert np.allclose(centroid(P, kind), ensemble[0], atol=1e-6)


@pytest.mark.parametrize("kind", CENTROIDS)
def test_centroids_are_probabilities(ensemble, kind):
    out = centroid(ensemble, kind)
    assert out.shape == ensemble.shape[1:]
    assert np.allclose(out.sum(-1), 1) and (out >= 0).all()


def test_closed_forms(ensemble):
    P = ensemble
    am = P.mean(0)
    assert np.allclose(centroid(P, "arithmetic"), am)
    gm = np.exp(np.log(P).mean(0))
    assert np.allclose(centroid(P, "geometric"), gm / gm.sum(-1, keepdims=True))
    hm = 1 / (1 / P).sum(0)
    assert np.allclose(centroid(P, "harmonic"), hm / hm.sum(-1, keepdims=True))


def _brute_force(P, loss):
    """Minimise sum_k loss(P_k, q) over q (one sample) through a softmax parameterisation."""
    def f(z):
        q = np.exp(z - z.max()); q /= q.sum()
        return sum(loss(p[None], q[None]) for p in P)
    z = minimize(f, np.zeros(P.shape[-1]), method="Nelder-Mead", options=dict(xatol=1e-10, fatol=1e-12, maxiter=20000)).x
    q = np.exp(z - z.max())
    return q / q.sum(), f(z)


def test_bhattacharyya_centroid_minimises_the_sum_of_distances(ensemble):
    P = ensemble[:, :1]
    q = centroid(P, "bhattacharyya")
    _, best = _brute_force(P[:, 0], bhattacharyya)
    assert sum(bhattacharyya(p, q) for p in P) <= best + 1e-7


def test_jeffreys_centroid_is_close_to_the_symmetric_kl_minimiser(ensemble):
    P = ensemble[:, :1]
    q = centroid(P, "jeffreys")
    _, best = _brute_force(P[:, 0], symmetric_kl)
    assert sum(symmetric_kl(p, q) for p in P) <= best * 1.01 + 1e-9  # Nielsen's tight approximation


def test_harmonic_and_geometric_sharpen_towards_agreement():
    P = np.array([[[0.9, 0.1]], [[0.5, 0.5]]])
    assert centroid(P, "harmonic")[0, 0] > centroid(P, "geometric")[0, 0] > centroid(P, "arithmetic")[0, 0]


def test_bad_kind_is_rejected(ensemble):
    with pytest.raises(ValueError, match="kind"):
        centroid(ensemble, "median")
