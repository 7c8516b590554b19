"""Tests of netsim.linear: every closed form of thesis chapter 5 against brute-force matrix sums and
Monte Carlo, every bound as an inequality over randomised settings."""
import math

import numpy as np
import pytest
from scipy.linalg import solve_discrete_lyapunov

from netsim import linear as L

RNG_SETTINGS = np.random.default_rng(12345)
SETTINGS = [dict(n=int(RNG_SETTINGS.integers(6, 25)), c=float(RNG_SETTINGS.uniform(0.05, 1.2)),
                 alpha=float(RNG_SETTINGS.uniform(0.05, 0.99)), T=int(10 ** RNG_SETTINGS.uniform(0, 3.5)),
                 sigma_w=float(10 ** RNG_SETTINGS.uniform(-1.5, 0.5)),
                 sigma_star=float(10 ** RNG_SETTINGS.uniform(-1, 0.5)),
                 seed=k) for k in range(12)]


def setting_problem(s):
    return L.make_problem(s["n"], 2 * s["n"], s["c"], s["sigma_star"], seed=s["seed"])


def rel(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def brute_sums(pr, alpha, T, sigma_w):
    """Direct sums of eq. (5.2.5): (1/T) sum_t K_d^t (sigma_w^2 K + y y^T) K_d^t - K_T y y^T K_T."""
    Kd = np.eye(pr.n) - alpha * pr.K
    powers = [np.linalg.matrix_power(Kd, t) for t in range(T)]
    P1s = sum(p @ (sigma_w**2 * pr.K) @ p for p in powers) / T
    P1y = sum(p @ np.outer(pr.y, pr.y) @ p for p in powers) / T
    K_T = sum(powers) / T
    return P1s, P1y, np.outer(K_T @ pr.y, K_T @ pr.y), K_T


# --- conventions -----------------------------------------------------------------------
def test_problem_follows_the_adopted_convention():
    pr = L.make_problem(20, 45, 0.3, 1.5, seed=3)
    np.testing.assert_allclose(pr.lambda_K, np.exp(-0.3 * np.arange(20)))
    np.testing.assert_allclose(pr.A @ pr.A.T, pr.K, atol=1e-13)
    np.testing.assert_allclose(pr.U.T @ pr.U, np.eye(20), atol=1e-13)
    np.testing.assert_allclose(pr.y, pr.A @ pr.w_star)
    np.testing.assert_allclose(pr.from_eigenbasis(np.diag(pr.lambda_K)), pr.K, atol=1e-13)
    assert L.make_problem(20, 45, 0.3, 1.5, seed=3).y.tolist() == pr.y.tolist()


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="d must be"):
        L.make_problem(20, 20, 0.3)
    with pytest.raises(ValueError, match="alpha"):
        L.K_T_eigenvalues([1.0, 0.5], -1.0, 3)
    with pytest.raises(ValueError, match="T must be"):
        L.pca_matrix([1.0, 0.5], [1.0, 1.0], 0.5, 2.5, 1.0)
    with pytest.raises(ValueError, match="y_tilde"):
        L.pca_matrix([1.0, 0.5], [1.0, 1.0, 1.0], 0.5, 3, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        L.pca_matrix([1.0, np.nan], [1.0, 1.0], 0.5, 3, 1.0)


@pytest.mark.parametrize("delta", [0.0, 1e-300, 1e-20, 1e-9, 0.3, 0.5, 1.0, 1.7, 2.0, -1e-3])
def test_geometric_sum_without_cancellation(delta):
    for T in (1, 2, 7, 100):
        direct = math.fsum((1 - delta) ** t for t in range(T))
        assert L.geometric_sum(delta, T) == pytest.approx(direct, rel=1e-13)


# --- closed forms of sec. 5.2 ---------------------------------------------------------
def test_residual_recursion_matches_simulated_gradient_descent():
    pr = L.make_problem(15, 40, 0.4, 1.0, seed=1)
    W0 = L.initial_weights(5, 40, 0.7, seed=2)
    R = np.stack(list(L.gd_residuals(pr.A, pr.y, W0, 0.9, 30)))
    Kd = L.K_d(pr.K, 0.9)
    for t in (0, 1, 10, 29):
        np.testing.assert_allclose(R[t], R[0] @ np.linalg.matrix_power(Kd, t), atol=1e-12)


@pytest.mark.parametrize("s", SETTINGS[:6], ids=lambda s: f"n{s['n']}-T{s['T']}")
def test_closed_forms_equal_brute_force_sums(s):
    pr = setting_problem(s)
    T = min(s["T"], 200)
    P1s, P1y, P2, K_T = brute_sums(pr, s["alpha"], T, s["sigma_w"])
    parts = L.pca_matrix(pr.lambda_K, pr.y_tilde, s["alpha"], T, s["sigma_w"])
    assert rel(pr.from_eigenbasis(parts.P1_sigma_w), P1s) < 1e-11
    assert rel(pr.from_eigenbasis(parts.P1_y), P1y) < 1e-11
    assert rel(pr.from_eigenbasis(parts.P2), P2) < 1e-11
    assert rel(L.K_T(pr.K, s["alpha"], T), K_T) < 1e-11
    # (5.2.4) as printed: (alpha T)^{-1} K^{-1} (I - K_d^T)
    Kd_T = np.linalg.matrix_power(L.K_d(pr.K, s["alpha"]), T)
    printed = np.linalg.solve(pr.K, np.eye(pr.n) - Kd_T) / (s["alpha"] * T)
    assert rel(printed, K_T) < 1e-8
    assert parts.lambda_P2 == pytest.approx(np.sum((K_T @ pr.y) ** 2), rel=1e-11)
    brute = L.P_by_moments(L.K_d(pr.K, s["alpha"]), -pr.y, s["sigma_w"] ** 2 * pr.K + np.outer(pr.y, pr.y), T)
    assert rel(pr.from_eigenbasis(parts.P), brute) < 1e-11


def test_monte_carlo_P_converges_to_the_closed_form():
    pr = L.make_problem(10, 25, 0.3, 1.0, seed=4)
    alpha, T, sw = 0.8, 15, 0.5
    exact = pr.from_eigenbasis(L.pca_matrix(pr.lambda_K, pr.y_tilde, alpha, T, sw).P)
    errors = []
    for N in (200, 20000):
        W0 = L.initial_weights(N, 25, sw, seed=N)
        errors.append(rel(L.monte_carlo_P(L.gd_residuals(pr.A, pr.y, W0, alpha, T), [T])[T], exact))
    assert errors[1] < 0.02
    assert errors[1] < errors[0] / 3  # about 1/sqrt(N): a factor 10 expected


def test_pca_accumulator_matches_numpy_covariance():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((6, 40, 5))  # 6 steps of 40 models
    acc = L.PCAAccumulator(5)
    for R in X:
        acc.add(R)
    np.testing.assert_allclose(acc.P, np.cov(X.reshape(-1, 5), rowvar=False, bias=True), atol=1e-14)
    np.testing.assert_allclose(acc.scatter, 6 * acc.P)
    with pytest.raises(ValueError, match="ended before"):
        L.monte_carlo_P(iter(X), [3, 9])


def test_lyapunov_limit_and_finite_T_gramians():
    pr = L.make_problem(12, 30, 0.25, 1.0, seed=5)
    alpha, T = 0.9, 40
    Kd = L.K_d(pr.K, alpha)
    limit = L.P1_y_lyapunov(pr.K, pr.y, alpha)
    np.testing.assert_allclose(Kd @ limit @ Kd - limit + np.outer(pr.y, pr.y), 0, atol=1e-10 * np.abs(limit).max())
    far = L.pca_matrix(pr.lambda_K, pr.y_tilde, alpha, 10**9, 1.0)
    assert rel(pr.from_eigenbasis(far.P1_y) * far.T, limit) < 1e-9
    # T P_1^y(T) as the difference of two Gramians (sec. 5.2.2)
    KdT_y = np.linalg.matrix_power(Kd, T) @ pr.y
    gramian = solve_discrete_lyapunov(Kd, np.outer(pr.y, pr.y) - np.outer(KdT_y, KdT_y))
    finite = L.pca_matrix(pr.lambda_K, pr.y_tilde, alpha, T, 1.0)
    assert rel(pr.from_eigenbasis(finite.P1_y) * T, gramian) < 1e-9


def test_lambda_sigma_w_formula_and_identity():
    pr = L.make_problem(10, 20, 0.5, 1.0, seed=6)
    alpha, T, sw = 1.0, 25, 1.3
    Kd = L.K_d(pr.K, alpha)
    brute = sum(np.linalg.matrix_power(Kd, t) @ pr.K @ np.linalg.matrix_power(Kd, t) for t in range(T)) * sw**2
    formula = L.lambda_sigma_w(pr.lambda_K, alpha, T, sw)
    np.testing.assert_allclose(formula, L.spectrum(brute), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(L.lambda_tilde(pr.lambda_K, alpha, T), formula / (sw**2 * pr.lambda_K), rtol=1e-12)
    geometric = sw**2 / alpha * np.linalg.solve(np.eye(10) + Kd, np.eye(10) - np.linalg.matrix_power(Kd, 2 * T))
    assert rel(geometric, brute) < 1e-10


def test_dimension_and_decay_rate():
    assert L.dimension([1.0, 0.0, 0.0]) == 1
    assert L.dimension([1.0, 1.0, 1.0, 1.0], fraction=0.5) == 2
    assert L.dimension(np.full(20, 0.05), fraction=0.95) == 19
    np.testing.assert_array_equal(L.dimension(np.array([[1.0, 0, 0], [1, 1, 1]])), [1, 3])
    assert L.decay_rate(np.exp(-0.7 * np.arange(30))) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="fraction"):
        L.dimension([1.0], fraction=1.5)


def test_phase_dimensions_matches_pca_matrix():
    lam = L.sloppy_spectrum(12, 0.3)
    yt = L.target_draws(lam, 1.0, 2, seed=1)
    dims = L.phase_dimensions(lam, yt, 0.9, [1, 7, 50], [1.0, 4.0])
    for d, y in enumerate(yt):
        for k, T in enumerate([1, 7, 50]):
            for j, r in enumerate([1.0, 4.0]):
                P = L.pca_matrix(lam, r * y, 0.9, T, 1.0).P
                assert dims[d, k, j] == L.dimension(L.spectrum(P))


# --- bounds of sec. 5.2 ---------------------------------------------------------------
@pytest.mark.parametrize("s", SETTINGS, ids=lambda s: f"n{s['n']}-c{s['c']:.2f}-T{s['T']}")
def test_every_bound_of_section_5_2(s):
    pr = setting_problem(s)
    lam, a, T, sw = pr.lambda_K, s["alpha"], s["T"], s["sigma_w"]
    parts = L.pca_matrix(lam, pr.y_tilde, a, T, sw)
    e1, e = L.spectrum(parts.P1), L.spectrum(parts.P)
    tol = 1e-12 * e1[0]
    lower, upper = L.sandwich_5_2_7(e1, parts.lambda_P2)                      # (5.2.7)
    assert np.all(lower <= e + tol) and np.all(e <= upper + tol)
    middle, right = L.K_T_norm_bound(lam, a, T)                                # (5.2.8)
    assert L.K_T_eigenvalues(lam, a, T).max() <= middle * (1 + 1e-12) and middle <= right
    assert np.all(L.lambda_sigma_w(lam, a, T, sw) <= L.lambda_sigma_w_bound(lam, a, T, sw) * (1 + 1e-12))  # (5.2.10)
    ey = L.spectrum(parts.P1_y) * T                                            # Lemma 5.2.1
    i = np.arange((s["n"] - 1) // 2 + 1)
    bound = L.lemma_5_2_1_bound(i, L.rho(lam))
    resolved = bound >= 1e-10
    assert np.all(ey[2 * i][resolved] / ey[0] <= bound[resolved] * (1 + 1e-9))
    y2 = float(pr.y @ pr.y)                                                    # Lemma 5.2.2
    low, up = L.lemma_5_2_2_bounds(lam, y2, a, T)
    assert low <= ey[0] * (1 + 1e-12) and ey[0] <= up * (1 + 1e-12)
    bound = L.lemma_5_2_3_bound(lam, a, T, sw, y2, c=s["c"])                   # Lemma 5.2.3
    resolved = bound >= 1e-10
    assert np.all((e1 / e1[0])[resolved] <= bound[resolved] * (1 + 1e-9))


def test_lemma_5_2_1_bound_values_and_rho():
    lam = L.sloppy_spectrum(50, 0.2)
    r = L.rho(lam)
    assert r == pytest.approx(math.exp(math.pi**2 / (2 * math.log(8 * math.exp(0.2 * 49) - 4))))
    assert L.lemma_5_2_1_bound(0, r) == pytest.approx(1.0)
    assert np.all(L.lemma_5_2_1_bound(np.arange(1, 10), r) < 4 * r ** (-2.0 * np.arange(1, 10)))


def test_norm_of_targets_concentrates_on_sigma_star_trace():
    lam = L.sloppy_spectrum(40, 0.1)
    yt = L.target_draws(lam, 2.0, 4000, seed=0)
    ratio = np.sum(yt**2, axis=1) / (4.0 * lam.sum())
    assert ratio.mean() == pytest.approx(1.0, abs=4 * ratio.std() / math.sqrt(4000))
    pr = L.make_problem(40, 90, 0.1, 2.0, seed=2)  # the same law as through the design
    assert float(pr.y_tilde @ pr.y_tilde) == pytest.approx(float(pr.y @ pr.y))


def test_k_star_readings_and_split():
    assert L.k_star(100, 0.5, 0.2, 50) == pytest.approx(math.log(100) / 0.4)
    assert L.k_star(100, 0.5, 0.2, 50, printed=True) == pytest.approx(math.log(100 / 0.4))
    assert L.k_star(10**9, 0.5, 0.01, 50) == 25
    assert L.split_index(0.3) == 1 and L.split_index(4.9) == 4


# --- SGD, kernels, weight decay, deep linear (sec. 5.3) --------------------------------
def test_langevin_closed_forms():
    pr = L.make_problem(10, 25, 0.3, 1.0, seed=7)
    a, b, T, sw = 0.7, 4, 30, 0.4
    P_xi = pr.from_eigenbasis(np.diag(L.P_xi_eigenvalues(pr.lambda_K, a, b)))
    Kd = L.K_d(pr.K, a)
    assert rel(P_xi, solve_discrete_lyapunov(Kd, a**2 / b * pr.K @ pr.K)) < 1e-10
    assert L.P_xi_eigenvalues(pr.lambda_K, a, b).max() <= a / b
    brute_sum = sum(np.linalg.matrix_power(Kd, t) @ P_xi @ np.linalg.matrix_power(Kd, t) for t in range(T))
    assert rel(pr.from_eigenbasis(np.diag(L.noise_sum_printed(pr.lambda_K, a, b, T))), brute_sum) < 1e-11
    closed = pr.from_eigenbasis(L.pca_matrix_langevin(pr.lambda_K, pr.y_tilde, a, T, sw, b).P)
    brute = L.P_by_moments(Kd, -pr.y, sw**2 * pr.K + np.outer(pr.y, pr.y), T, noise_cov=a**2 / b * pr.K @ pr.K)
    assert rel(closed, brute) < 1e-11
    W0 = L.initial_weights(20000, 25, sw, seed=1)
    mc = L.monte_carlo_P(L.langevin_residuals(pr.A, pr.y, W0, a, T, b, seed=2), [T])[T]
    assert rel(mc, closed) < 0.02


def test_minibatch_gradient_is_unbiased():
    pr = L.make_problem(8, 20, 0.3, 1.0, seed=8)
    W0 = np.repeat(L.initial_weights(1, 20, 1.0, seed=3), 40000, axis=0)
    sgd = L.sgd_residuals(pr.A, pr.y, W0, 0.5, 2, batch_size=3, seed=4)
    gd = L.gd_residuals(pr.A, pr.y, W0[:1], 0.5, 2)
    (_, r1), (_, g1) = list(sgd), list(gd)
    spread = r1.std(axis=0) / math.sqrt(len(r1))
    assert np.all(np.abs(r1.mean(axis=0) - g1[0]) < 5 * spread + 1e-12)
    assert np.all(spread > 0)  # it is noisy
    full = list(L.sgd_residuals(pr.A, pr.y, W0[:2], 0.5, 2, batch_size=10**6, seed=0))[1]
    np.testing.assert_allclose(full, np.repeat(g1, 2, axis=0), atol=1e-2)  # huge batch -> gradient descent


def test_kernel_machines_against_moment_sums():
    rng = np.random.default_rng(9)
    X = rng.standard_normal((9, 4))
    Ks = np.stack([L.rbf_gram(X, h) for h in (0.7, 1.5, 3.0)])
    assert np.allclose(np.diagonal(Ks, axis1=1, axis2=2), 1 / 9) and np.all(L.spectrum(Ks) > -1e-14)
    y, a, T, sw = rng.standard_normal(9), 0.8, 20, 0.6
    P, P1 = L.pca_matrix_kernels(Ks, y, a, T, sw)
    second, mean = 0.0, 0.0
    for K in Ks:
        Kd = L.K_d(K, a)
        P_m = L.P_by_moments(Kd, -y, sw**2 * K + np.outer(y, y), T)
        rbar = -sum(np.linalg.matrix_power(Kd, t) @ y for t in range(T)) / T
        second, mean = second + P_m + np.outer(rbar, rbar), mean + rbar
    second, mean = second / 3, mean / 3
    assert rel(P, second - np.outer(mean, mean)) < 1e-11
    single = L.P_by_moments(L.K_d(Ks[0], a), -y, sw**2 * Ks[0] + np.outer(y, y), T)
    assert rel(L.pca_matrix_kernels(Ks[:1], y, a, T, sw)[0], single) < 1e-11


def test_kernel_bound_5_3_2_holds_on_rbf_grams():
    pr = L.make_problem(30, 60, 0.2, 1.4, seed=10)
    X = math.sqrt(30) * pr.A
    Ks = [L.rbf_gram(X, h) for h in (2.0, 4.0, 8.0)]
    Ks = np.stack([K / L.spectrum(K)[0] for K in Ks])
    for T in (5, 200):
        _, P1 = L.pca_matrix_kernels(Ks, pr.y, 0.95, T, 0.3)
        e = L.spectrum(P1)
        bound = L.kernel_bound_5_3_2(L.spectrum(Ks), 0.95, T, 0.3, float(pr.y @ pr.y))
        assert bound.shape == (30,) and np.all((e / e[0])[bound >= 1e-10] <= bound[bound >= 1e-10] * (1 + 1e-9))


def test_weight_decay_exact_affine_update():
    pr = L.make_problem(10, 25, 0.4, 1.0, seed=11)
    wd, T, sw = 0.05, 25, 0.5
    a = 0.9 / (1 + wd)
    exact = pr.from_eigenbasis(L.pca_matrix_weight_decay(pr.lambda_K, pr.y_tilde, a, T, sw, wd).P)
    M = np.eye(10) - a * (pr.K + wd * np.eye(10))
    brute = L.P_by_moments(M, -pr.y, sw**2 * pr.K + np.outer(pr.y, pr.y), T, offset=-a * wd * pr.y)
    assert rel(exact, brute) < 1e-11
    W0 = L.initial_weights(20000, 25, sw, seed=5)
    mc = L.monte_carlo_P(L.gd_residuals(pr.A, pr.y, W0, a, T, weight_decay=wd), [T])[T]
    assert rel(mc, exact) < 0.02
    thesis = pr.from_eigenbasis(L.pca_matrix_weight_decay(pr.lambda_K, pr.y_tilde, a, T, sw, wd, exact=False).P)
    dropped = L.P_by_moments(M, -pr.y, sw**2 * pr.K + np.outer(pr.y, pr.y), T)  # the -alpha lambda y term left out
    assert rel(thesis, dropped) < 1e-11 and rel(thesis, exact) > 1e-3
    plain = L.pca_matrix(pr.lambda_K, pr.y_tilde, 0.9, T, sw).P
    assert rel(L.pca_matrix_weight_decay(pr.lambda_K, pr.y_tilde, 0.9, T, sw, 0.0).P, plain) < 1e-14


def test_deep_linear_kernel_and_balanced_init():
    rng = np.random.default_rng(12)
    A, p, d = rng.standard_normal((6, 9)) / 3, 4, 9
    u, v = L.deep_linear_init(3, p, d, 0.8, balanced=True, seed=1)
    np.testing.assert_allclose(v @ v.transpose(0, 2, 1), u[:, :, None] * u[:, None, :], atol=1e-14)
    u, v = L.deep_linear_init(3, p, d, 0.8, balanced=False, seed=1)
    # K(u, v) = J J^T with J the Jacobian of the outputs A v^T u in (u, v)
    J_u = np.einsum("kpd,nd->knp", v, A)
    J_v = np.einsum("kp,nd->knpd", u, A).reshape(3, 6, p * d)
    J = np.concatenate([J_u, J_v], axis=2)
    np.testing.assert_allclose(L.kernel_uv(A, u, v), J @ J.transpose(0, 2, 1), atol=1e-12)
    # one small step follows the first-order residual dynamics (5.3.3) up to O(alpha^2)
    y = rng.standard_normal(6)
    for alpha in (1e-3, 1e-4):
        (R0, _, _), (R1, _, _) = list(L.deep_linear_residuals(A, y, u, v, alpha, 2))
        first_order = R0 - alpha * np.einsum("kij,kj->ki", L.kernel_uv(A, u, v), R0)
        assert np.abs(R1 - first_order).max() < 50 * alpha**2
    lin = list(L.linearised_residuals(L.kernel_uv(A, u, v), R0, 1e-3, 2))[1]
    np.testing.assert_allclose(lin, R0 - 1e-3 * np.einsum("kij,kj->ki", L.kernel_uv(A, u, v), R0))


def test_balancedness_is_conserved_up_to_second_order():
    pr = L.make_problem(8, 16, 0.3, 1.0, seed=13)
    u0, v0 = L.deep_linear_init(2, 5, 16, 0.7, balanced=False, seed=2)
    gaps = []
    for alpha in (1e-2, 1e-3):
        steps = list(L.deep_linear_residuals(pr.A, pr.y, u0, v0, alpha, 11))
        _, u, v = steps[-1]
        imbalance = v @ v.transpose(0, 2, 1) - u[:, :, None] * u[:, None, :]
        start = v0 @ v0.transpose(0, 2, 1) - u0[:, :, None] * u0[:, None, :]
        gaps.append(np.abs(imbalance - start).max())
    assert gaps[1] < gaps[0] / 50  # O(alpha^2) per step: a factor 100 expected
