"""Tests of netsim.metrics.kernels: CKA and NBS against definitions, invariances, CountSketch."""
import numpy as np
import pytest
import scipy.linalg

from netsim import metrics


@pytest.fixture
def features():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6))
    Y = X @ rng.normal(size=(6, 5)) + 0.5 * rng.normal(size=(40, 5))
    return X, Y


def test_cka_matches_kernel_definition(features):
    X, Y = features
    n = len(X)
    H = np.eye(n) - 1.0 / n
    A, B = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    expected = np.sum(A * B) / (np.linalg.norm(A) * np.linalg.norm(B))
    assert metrics.cka(X, Y) == pytest.approx(expected, rel=1e-12)
    assert metrics.cka_kernels(X @ X.T, Y @ Y.T) == pytest.approx(expected, rel=1e-12)


def test_cka_invariances(features):
    X, Y = features
    Q = scipy.linalg.qr(np.random.default_rng(1).normal(size=(6, 6)))[0]
    base = metrics.cka(X, Y)
    assert metrics.cka(3.0 * X @ Q + 7.0, Y) == pytest.approx(base, rel=1e-10)
    assert metrics.cka(X, X) == pytest.approx(1.0)
    assert 0 <= base <= 1


def test_nbs_matches_matrix_square_roots(features):
    X, Y = features
    n = len(X)
    H = np.eye(n) - 1.0 / n
    A, B = H @ X @ X.T @ H, H @ Y @ Y.T @ H
    root = np.real(scipy.linalg.sqrtm(A))
    expected = np.trace(np.real(scipy.linalg.sqrtm(root @ B @ root))) / np.sqrt(np.trace(A) * np.trace(B))
    assert metrics.nbs(X @ X.T, Y @ Y.T) == pytest.approx(expected, rel=1e-5)
    assert metrics.nbs(X @ X.T, X @ X.T) == pytest.approx(1.0, rel=1e-8)
    # Eq. 13 of the gradient paper: nuclear norm of Psi1 Psi2^T over the Frobenius norms.
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    eq13 = np.linalg.norm(Xc.T @ Yc, "nuc") / (np.linalg.norm(Xc) * np.linalg.norm(Yc))
    assert metrics.nbs(X @ X.T, Y @ Y.T) == pytest.approx(eq13, rel=1e-8)


def test_count_sketch_is_a_signed_bucket_sum():
    X = np.arange(12.0).reshape(6, 2)
    S = metrics.count_sketch(X, 3, seed=4)
    assert S.shape == (3, 2)
    np.testing.assert_array_equal(S, metrics.count_sketch(X, 3, seed=4))
    # Each row lands in exactly one bucket with sign +-1: reconstruct the sketch matrix.
    from netsim.metrics.kernels import sketch_hashes
    buckets, signs = sketch_hashes(0, 6, 3, seed=4)
    assert set(np.unique(signs)) <= {-1.0, 1.0} and buckets.min() >= 0 and buckets.max() < 3
    sketch_matrix = np.zeros((3, 6))
    sketch_matrix[buckets, np.arange(6)] = signs
    np.testing.assert_allclose(S, sketch_matrix @ X)
    other = sketch_hashes(0, 6, 3, seed=5)
    assert not (np.array_equal(other[0], buckets) and np.array_equal(other[1], signs))


def test_sketch_hashes_are_uniform_and_batch_free():
    from netsim.metrics.kernels import sketch_hashes
    buckets, signs = sketch_hashes(0, 64_000, 16, seed=1)
    counts = np.bincount(buckets, minlength=16)
    assert np.abs(counts - 4000).max() < 5 * np.sqrt(4000)  # ~ binomial spread
    assert abs(signs.mean()) < 0.02
    # Sign and bucket are not correlated (they come from different bits of one hash).
    assert abs(np.corrcoef(signs, buckets % 2)[0, 1]) < 0.02
    # The hash of sample i does not depend on where a batch starts.
    b2, s2 = sketch_hashes(1000, 500, 16, seed=1)
    np.testing.assert_array_equal(b2, buckets[1000:1500])
    np.testing.assert_array_equal(s2, signs[1000:1500])


def test_sketch_preserves_gram_in_expectation():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(500, 4))
    grams = np.mean([metrics.count_sketch(X, 64, seed=s).T @ metrics.count_sketch(X, 64, seed=s)
                     for s in range(200)], axis=0)
    np.testing.assert_allclose(grams, X.T @ X, rtol=0.1, atol=15)


def test_bad_input():
    with pytest.raises(ValueError, match="same rows"):
        metrics.cka(np.ones((3, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="K1 and K2"):
        metrics.nbs(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="K2 must be a square"):
        metrics.cka_kernels(np.eye(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="NaN"):
        metrics.cka(np.full((3, 2), np.nan), np.ones((3, 2)))
    with pytest.raises(ValueError, match="m must be"):
        metrics.count_sketch(np.ones((3, 2)), 0, seed=0)
