"""Tests of netsim.metrics.sketching: streaming CountSketch, sketched CKA / NBS, eq. 16."""
import numpy as np
import pytest
import threadpoolctl

from netsim import metrics
from netsim.metrics import sketching as sk
from netsim.metrics.kernels import sketch_hashes


@pytest.fixture(autouse=True)
def _one_blas_thread():
    # On two shared cores two BLAS threads spin against each other: one is far faster here.
    with threadpoolctl.threadpool_limits(1):
        yield


def _model_rows(rng, n, d, shift=2.0):
    """Features with a non-zero mean (as ReLU outputs have) and gradients of one width."""
    F = np.abs(rng.normal(size=(n, d))) + shift
    G = 0.1 * rng.normal(size=(n, d)) * F
    return F, G


def _pair(n):
    rng = np.random.default_rng(0)
    F1, G1 = _model_rows(rng, n, 6)
    F2 = F1 @ rng.normal(size=(6, 5)) + 0.5 * rng.normal(size=(n, 5)) + 1.0
    G2 = G1 @ rng.normal(size=(6, 5)) + 0.05 * rng.normal(size=(n, 5))
    return F1, G1, F2, G2


@pytest.fixture
def pair():
    return _pair(40)


@pytest.fixture
def small_pair():
    """Few samples, so that M = 300 buckets can hold each in its own bucket."""
    return _pair(12)


def _no_collision_seed(n, m):
    """A seed whose CountSketch puts the n samples in n distinct buckets."""
    for seed in range(1000):
        if len(np.unique(sketch_hashes(0, n, m, seed)[0])) == n:
            return seed
    raise AssertionError("no collision-free seed found")


@pytest.mark.parametrize("splits", [[37], [1] * 37, [5, 11, 1, 20], [36, 1]])
def test_streaming_equals_one_shot_count_sketch_exactly(splits):
    rng = np.random.default_rng(1)
    # Integer-valued rows: every partial sum is exact, so any difference is a wrong bucket or sign.
    F = rng.integers(-50, 50, size=(37, 4)).astype(float)
    G = rng.integers(-50, 50, size=(37, 4)).astype(float)
    s = sk.KernelSketcher(8, seed=3)
    start = 0
    for size in splits:
        s.update(F[start:start + size], G[start:start + size])
        start += size
    assert s.n == 37
    np.testing.assert_array_equal(s.sketch("f", centre=False), metrics.count_sketch(F, 8, seed=3))
    np.testing.assert_array_equal(s.sketch("g", centre=False), metrics.count_sketch(G, 8, seed=3))
    Kf, Kg = s.kernels(centre=False)
    SF = metrics.count_sketch(F, 8, seed=3)
    np.testing.assert_array_equal(Kf, SF @ SF.T)
    # Centred sketches are the sketches of the centred rows, S H F (up to rounding).
    np.testing.assert_allclose(s.sketch("f"), metrics.count_sketch(F - F.mean(0), 8, seed=3), atol=1e-9)


def test_streaming_float_rows_and_shared_sketch(pair):
    F1, G1, F2, G2 = pair
    a = sk.sketch_model_rows(F1, G1, 16, seed=7, batch_size=3)
    b = sk.sketch_model_rows(F2, G2, 16, seed=7, batch_size=17)
    np.testing.assert_allclose(a.sketch("f", False), metrics.count_sketch(F1, 16, 7), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.sketch("g", False), metrics.count_sketch(G2, 16, 7), rtol=1e-12, atol=1e-12)
    # Same seed, same data set: the i-th sample of both models shares bucket and sign.
    unit = np.eye(40)
    np.testing.assert_array_equal(sk.sketch_model_rows(unit, None, 16, 7, batch_size=9).sketch("f", False),
                                  metrics.count_sketch(unit, 16, 7))


def test_memory_is_independent_of_n():
    rng = np.random.default_rng(2)
    small = sk.KernelSketcher(32, 0).update(*_model_rows(rng, 50, 10))
    big = sk.KernelSketcher(32, 0)
    for _ in range(20):
        big.update(*_model_rows(rng, 50, 10))
    assert big.n == 1000 and small.memory_bytes() == big.memory_bytes()


@pytest.mark.parametrize("kind", sk.KINDS)
@pytest.mark.parametrize("index", sk.INDICES)
def test_sketch_without_collisions_is_exact(small_pair, kind, index):
    F1, G1, F2, G2 = small_pair
    m = 300
    seed = _no_collision_seed(12, m)
    exact = sk.exact_similarity(F1, G1, F2, G2, kind, index)
    sketched = sk.sketched_similarity(F1, G1, F2, G2, m, seed, kind, index)
    assert sketched == pytest.approx(exact, abs=1e-8)


def test_public_code_centring_does_not_converge(small_pair):
    # Centring M buckets is not centring N samples: the mean feature survives the signed sum.
    F1, G1, F2, G2 = small_pair
    seed = _no_collision_seed(12, 300)
    exact = sk.exact_similarity(F1, G1, F2, G2, "features", "cka", centre="kernel")
    assert exact == pytest.approx(metrics.cka(F1, F2), rel=1e-10)
    sketched = sk.sketched_cka(F1, G1, F2, G2, 300, seed, "features", centre="kernel")
    assert abs(sketched - exact) > 0.05
    assert sk.sketched_cka(F1, G1, F2, G2, 300, seed, "features") == pytest.approx(exact, abs=1e-8)


@pytest.mark.parametrize("kind", ["features", "hadamard"])
def test_sketched_cka_error_shrinks_with_m(kind):
    rng = np.random.default_rng(3)
    F1, G1 = _model_rows(rng, 150, 8)
    F2 = F1 @ rng.normal(size=(8, 8)) + rng.normal(size=(150, 8))
    G2 = G1 @ rng.normal(size=(8, 8)) + 0.1 * rng.normal(size=(150, 8))
    exact = sk.exact_similarity(F1, G1, F2, G2, kind)

    def error(m):
        return np.mean([abs(sk.sketched_cka(F1, G1, F2, G2, m, s, kind) - exact) for s in range(4)])

    errors = [error(m) for m in (8, 64, 1024)]
    assert errors[0] > errors[1] > errors[2]
    assert errors[2] < (0.02 if kind == "features" else 0.06)


def test_eq16_bound_holds_for_realised_distortion():
    rng = np.random.default_rng(4)
    F1, _ = _model_rows(rng, 200, 5)
    F2 = F1 @ rng.normal(size=(5, 4)) + 0.3 * rng.normal(size=(200, 4))
    exact = metrics.cka(F1, F2)
    gaps, bounds = [], []
    for seed in range(10):
        eps = sk.sketch_distortion(F1, F2, 64, seed)
        assert 0 <= eps < 1
        gaps.append(abs(sk.sketched_cka(F1, None, F2, None, 64, seed) - exact))
        bounds.append(sk.scka_bound(exact, eps))
    assert all(g <= b + 1e-12 for g, b in zip(gaps, bounds))
    # The check can fail: a tenth of the realised distortion is not enough for some sketch.
    assert any(g > b / 10 for g, b in zip(gaps, bounds)) or max(gaps) == 0
    assert sk.scka_bound(0.5, 0.1) == pytest.approx(4 * 0.1 / 0.81 * 0.5)
    assert sk.countsketch_epsilon(512, 0.1) == pytest.approx(np.sqrt(2 / 51.2))


def test_sketched_nbs_approaches_exact(pair):
    F1, G1, F2, G2 = pair
    exact = sk.exact_similarity(F1, G1, F2, G2, "features", "nbs")
    assert exact == pytest.approx(metrics.nbs(F1 @ F1.T, F2 @ F2.T), rel=1e-8)
    coarse = np.mean([abs(sk.sketched_nbs(F1, None, F2, None, 4, s) - exact) for s in range(4)])
    fine = np.mean([abs(sk.sketched_nbs(F1, None, F2, None, 400, s) - exact) for s in range(4)])
    assert fine < coarse and fine < 0.03


def test_combinations_match_their_definitions(pair):
    F1, G1, _, _ = pair
    Fc, Gc = F1 - F1.mean(0), G1 - G1.mean(0)
    Kf, Kg = Fc @ Fc.T, Gc @ Gc.T
    np.testing.assert_allclose(sk.exact_representation(F1, G1, "hadamard"), Kf * Kg)
    np.testing.assert_allclose(sk.exact_representation(F1, G1, "sum"), Kf + Kg)
    P = F1 * G1 - (F1 * G1).mean(0)
    np.testing.assert_allclose(sk.exact_representation(F1, G1, "phi_hadamard"), P @ P.T)
    raw = sk.exact_representation(F1, G1, "hadamard", centre="kernel")
    np.testing.assert_allclose(raw, (F1 @ F1.T) * (G1 @ G1.T))


def test_transport_kernel_is_the_bures_midpoint():
    rng = np.random.default_rng(5)
    A, B = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    Kf, Kg = A @ A.T + 0.1 * np.eye(6), B @ B.T + 0.1 * np.eye(6)
    K = sk.transport_kernel(Kf, Kg)
    assert np.linalg.eigvalsh(K).min() > -1e-10
    np.testing.assert_allclose(sk.transport_kernel(Kf, Kf), Kf, atol=1e-9)
    # T K_f T = K_g recovered from the midpoint: K = (K_f + K_g + T K_f + K_f T) / 4.
    vals, vecs = np.linalg.eigh(Kf)
    half, inv_half = (vecs * np.sqrt(vals)) @ vecs.T, (vecs / np.sqrt(vals)) @ vecs.T
    w, v = np.linalg.eigh(half @ Kg @ half)
    T = inv_half @ (v * np.sqrt(w)) @ v.T @ inv_half
    np.testing.assert_allclose(T @ Kf @ T, Kg, atol=1e-8)
    np.testing.assert_allclose(K, (Kf + Kg + T @ Kf + Kf @ T) / 4, atol=1e-8)


def test_mean_embedding_norm_of_sketch(small_pair):
    F1, G1, _, _ = small_pair
    s = sk.sketch_model_rows(F1, G1, 300, _no_collision_seed(12, 300))
    assert s.mean_embedding_norm() == pytest.approx(np.linalg.norm(G1.T @ F1) / 12, rel=1e-10)


def test_bad_input(pair):
    F1, G1, F2, G2 = pair
    with pytest.raises(ValueError, match="m must be"):
        sk.KernelSketcher(0, 1)
    with pytest.raises(ValueError, match="m must be"):
        sk.sketched_cka(F1, G1, F2, G2, 0, 1)
    with pytest.raises(TypeError, match="seed"):
        sk.KernelSketcher(4, 1.5)
    bad = F1.copy()
    bad[3, 2] = np.nan
    with pytest.raises(ValueError, match="features contains NaN"):
        sk.KernelSketcher(4, 0).update(bad, G1)
    with pytest.raises(ValueError, match="F1 contains NaN"):
        sk.sketched_cka(bad, G1, F2, G2, 4, 0)
    with pytest.raises(ValueError, match="gradients must have one row per sample"):
        sk.KernelSketcher(4, 0).update(F1, G1[:-1])
    s = sk.KernelSketcher(4, 0).update(F1, G1)
    with pytest.raises(ValueError, match="features must have 6 columns"):
        s.update(F2, G2)
    with pytest.raises(ValueError, match="gradients must be given in every update"):
        s.update(F1)
    with pytest.raises(ValueError, match="kind must be one of"):
        s.representation("bogus")
    with pytest.raises(ValueError, match="needs gradients"):
        sk.KernelSketcher(4, 0).update(F1).representation("hadamard")
    with pytest.raises(ValueError, match="no samples"):
        sk.KernelSketcher(4, 0).kernels()
    with pytest.raises(ValueError, match="same samples"):
        sk.sketched_cka(F1, G1, F2[:-1], G2[:-1], 4, 0)
    with pytest.raises(ValueError, match="2-D"):
        sk.KernelSketcher(4, 0).update(F1[0])
    with pytest.raises(ValueError, match="epsilon"):
        sk.scka_bound(0.5, 1.0)
    with pytest.raises(ValueError, match="index must be"):
        sk.exact_similarity(F1, G1, F2, G2, "features", "euclid")


def test_psi_sketch_is_the_sketch_of_the_hadamard_kernel_and_obeys_eq16():
    rng = np.random.default_rng(8)
    F1, G1 = _model_rows(rng, 120, 3)
    F2 = F1 @ rng.normal(size=(3, 3)) + 0.3 * rng.normal(size=(120, 3))
    G2 = G1 + 0.05 * rng.normal(size=(120, 3))
    psi1 = np.einsum("ni,nj->nij", G1, F1).reshape(120, -1)  # rows vec(g_n f_n^T), eq. 9
    psi2 = np.einsum("ni,nj->nij", G2, F2).reshape(120, -1)
    s = sk.sketch_model_rows(F1, G1, 16, 2, batch_size=25, psi=True)
    np.testing.assert_allclose(s.sketch("psi", False), metrics.count_sketch(psi1, 16, 2), rtol=1e-10, atol=1e-12)
    exact = sk.exact_similarity(F1, G1, F2, G2, "psi_hadamard")
    # The centred Hadamard kernel H (K_f o K_g) H, as DESIGN.md's CKA on centred kernels.
    assert exact == pytest.approx(metrics.cka_kernels((F1 @ F1.T) * (G1 @ G1.T), (F2 @ F2.T) * (G2 @ G2.T)))
    for seed in range(5):
        eps = sk.sketch_distortion(psi1, psi2, 32, seed)
        gap = abs(sk.sketched_cka(F1, G1, F2, G2, 32, seed, "psi_hadamard") - exact)
        assert eps < 1 and gap <= sk.scka_bound(exact, eps) + 1e-12
    with pytest.raises(ValueError, match="psi=True"):
        sk.sketch_model_rows(F1, G1, 16, 2).representation("psi_hadamard")
