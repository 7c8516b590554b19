"""Tests of netsim.pacbayes.kl_inverse against a closed form and plain bisection."""
import math

import pytest

from netsim.pacbayes import binary_kl, kl_inverse


def bisection(q, bound, steps=200):
    lo, hi = q, 1.0
    for _ in range(steps):
        mid = (lo + hi) / 2
        if binary_kl(q, mid) <= bound:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("q, bound", [(0.05, 0.01), (0.1, 0.2), (0.3, 0.001), (0.5, 1.0), (0.9, 0.05)])
def test_matches_bisection_and_attains_the_bound(q, bound):
    p = kl_inverse(q, bound)
    assert p == pytest.approx(bisection(q, bound), abs=1e-10)
    assert binary_kl(q, p) == pytest.approx(bound, rel=1e-8)
    assert q <= p <= 1


def test_closed_form_at_zero_error():
    for bound in (0.01, 0.5, 3.0):
        assert kl_inverse(0.0, bound) == pytest.approx(1 - math.exp(-bound), rel=1e-14)


def test_edge_cases_and_monotonicity():
    assert kl_inverse(0.2, 0.0) == 0.2
    assert kl_inverse(1.0, 0.3) == 1.0
    assert kl_inverse(0.2, 50.0) == 1.0  # vacuous
    values = [kl_inverse(0.1, b) for b in (0.001, 0.01, 0.1, 1.0)]
    assert values == sorted(values)
    # Tighter than Pinsker's form q + sqrt(bound / 2).
    assert kl_inverse(0.01, 0.02) < 0.01 + math.sqrt(0.02 / 2)


def test_binary_kl_in_nats():
    assert binary_kl(0.5, 0.25) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert binary_kl(0.3, 0.3) == 0.0
    assert binary_kl(0.3, 0.0) == math.inf


@pytest.mark.parametrize("q, bound, name", [(-0.1, 0.1, "q"), (1.2, 0.1, "q"), (0.1, -1.0, "bound"),
                                            (0.1, float("nan"), "bound"), (float("nan"), 0.1, "q")])
def test_bad_input_names_the_argument(q, bound, name):
    with pytest.raises(ValueError, match=name):
        kl_inverse(q, bound)


# --------------------------------------------------------------- chapter 4.3 additions
import numpy as np  # noqa: E402

from netsim.pacbayes import (  # noqa: E402
    AnalyticalPosterior,
    gaussian_kl,
    grid_bound,
    loose_bound,
    monte_carlo_error,
    pacbayes_bound,
    prior_grid,
    union_bound_penalty,
)


def random_spd(p, rng):
    A = rng.standard_normal((p, p))
    return A @ A.T / p + 0.1 * np.eye(p)


def test_gaussian_kl_closed_forms():
    rng = np.random.default_rng(0)
    S = random_spd(4, rng)
    mu = rng.standard_normal(4)
    assert gaussian_kl(mu, S, mu, S) == pytest.approx(0.0, abs=1e-12)
    # One dimension: log(s_p/s_q) + (s_q^2 + (m_q - m_p)^2) / (2 s_p^2) - 1/2.
    sq, sp, mq, mp = 0.5, 2.0, 0.3, -1.0
    expected = math.log(sp / sq) + (sq ** 2 + (mq - mp) ** 2) / (2 * sp ** 2) - 0.5
    assert gaussian_kl([mq], [[sq ** 2]], [mp], [[sp ** 2]]) == pytest.approx(expected, rel=1e-12)
    # Against the textbook formula with explicit inverses.
    T = random_spd(4, rng)
    nu = rng.standard_normal(4)
    Ti = np.linalg.inv(T)
    direct = 0.5 * (np.trace(Ti @ S) - 4 + (nu - mu) @ Ti @ (nu - mu)
                    + np.linalg.slogdet(T)[1] - np.linalg.slogdet(S)[1])
    assert gaussian_kl(mu, S, nu, T) == pytest.approx(direct, rel=1e-10)
    with pytest.raises(ValueError, match="cov_p"):
        gaussian_kl(mu, S, nu, -T)


@pytest.mark.parametrize("k", [6, 3])
def test_analytical_posterior_kl_matches_dense_gaussians(k):
    rng = np.random.default_rng(1)
    p, n, eps = 6, 50, 3.0
    H = rng.standard_normal((p, p))
    H = (H + H.T) / 2  # indefinite: negative eigenvalues are clipped
    lam, U = np.linalg.eigh(H)
    lam, U = lam[::-1][:k], U[:, ::-1][:, :k]
    w, w0 = rng.standard_normal(p), rng.standard_normal(p)
    post = AnalyticalPosterior(lam, U, w, w0, n, eps)
    np.testing.assert_allclose(post.lbar, 2 * (n - 1) * np.clip(lam, 0, None) + eps)
    S = post.covariance()
    np.testing.assert_allclose(np.linalg.inv(S), 2 * (n - 1) * (U * np.clip(lam, 0, None)) @ U.T + eps * np.eye(p),
                               atol=1e-9)
    assert post.kl == pytest.approx(gaussian_kl(w, S, w0, np.eye(p) / eps), rel=1e-10)
    draws = post.sample(20000, rng=2)
    np.testing.assert_allclose(np.cov(draws.T), S, atol=0.03 * np.abs(S).max())
    np.testing.assert_allclose(draws.mean(0), w, atol=0.05)


def test_analytical_posterior_minimises_the_quadratic_objective():
    """S_q^{-1} = 2(n-1) H + eps I minimises e~(w) + tr(H S_q)/2 + KL(Q, P)/(2(n-1)) (4.7.2.2)."""
    rng = np.random.default_rng(3)
    p, n, eps = 5, 40, 2.0
    H = random_spd(p, rng)
    lam, U = np.linalg.eigh(H)
    w, w0 = rng.standard_normal(p), rng.standard_normal(p)

    def objective(S):
        return 0.5 * np.trace(H @ S) + gaussian_kl(w, S, w0, np.eye(p) / eps) / (2 * (n - 1))

    S = AnalyticalPosterior(lam, U, w, w0, n, eps).covariance()
    best = objective(S)
    for _ in range(20):
        E = rng.standard_normal((p, p)) * 1e-3 / n
        assert objective(S + E @ E.T) > best
        assert objective(S * 1.05) > best and objective(S * 0.95) > best


def test_union_bound_penalty_and_grid():
    n, delta = 1000, 0.05
    for j in (1, 2, 7):
        delta_j = 6 * delta / (math.pi ** 2 * j ** 2)
        assert union_bound_penalty(n, delta, j) == pytest.approx(math.log(n / delta_j))
    assert union_bound_penalty(n, delta) == pytest.approx(math.log(n / delta))
    assert sum(6 * delta / (math.pi ** 2 * j ** 2) for j in range(1, 200000)) == pytest.approx(delta, rel=1e-4)
    np.testing.assert_allclose(prior_grid(np.array([1, 10])), 1e4 * np.exp(-np.array([1, 10]) / 10))
    with pytest.raises(ValueError, match="j"):
        prior_grid(0)
    with pytest.raises(ValueError, match="delta"):
        union_bound_penalty(n, 1.5)


def test_bound_forms_and_grid_search():
    q, kl, n = 0.05, 30.0, 2000
    B = (kl + union_bound_penalty(n, 0.05, 3)) / (n - 1)
    assert pacbayes_bound(q, kl, n, j=3) == pytest.approx(kl_inverse(q, B))
    assert pacbayes_bound(q, kl, n, j=3, form="pinsker") == pytest.approx(q + math.sqrt(B / 2))
    assert pacbayes_bound(q, kl, n, j=3) < pacbayes_bound(q, kl, n, j=3, form="pinsker")
    # KL falls with the prior precision as eps_j falls, error rises: the search finds the interior optimum.
    best = grid_bound(lambda eps: (min(1.0, 1e-3 / eps), eps / 10), n, num_scales=150)
    values = [pacbayes_bound(min(1.0, 1e-3 / e), e / 10, n, j=j) for j, e in
              ((j, prior_grid(j)) for j in range(1, 151))]
    assert best["bound"] == pytest.approx(min(values)) and best["j"] == int(np.argmin(values)) + 1
    assert 1 < best["j"] < 150
    with pytest.raises(ValueError, match="form"):
        pacbayes_bound(q, kl, n, form="mcallester")


def test_monte_carlo_error_and_loose_bound():
    mean, se = monte_carlo_error(lambda w: float(w[0] > 0), lambda size, rng: rng.standard_normal((size, 2)),
                                 num_samples=4000, rng=0)
    assert mean == pytest.approx(0.5, abs=4 * se) and 0 < se < 0.02
    # Section 4.4.2 (FC-600-2): about 0.093 [DERIVED].
    assert loose_bound(6810, 1 / 2545, 8526, 55000) == pytest.approx((6810 + 2 * 2545 + 8526) / (4 * 54999))
    assert loose_bound(6810, 1 / 2545, 8526, 55000) == pytest.approx(0.093, abs=0.001)
    with pytest.raises(ValueError, match="sloppy"):
        loose_bound(1.0, 0.0, 1.0, 10)


# --------------------------------------------------------------- proposals
import torch  # noqa: E402

from netsim.pacbayes import (  # noqa: E402
    DiagonalPosterior,
    FIMPriorPosterior,
    diagonal_gaussian_kl,
    grid_index,
    optimise_diagonal_posterior,
)


def test_diagonal_gaussian_kl_matches_the_dense_formula():
    rng = np.random.default_rng(3)
    mq, mp = rng.standard_normal(5), rng.standard_normal(5)
    vq, vp = rng.uniform(0.1, 2, 5), rng.uniform(0.1, 2, 5)
    assert diagonal_gaussian_kl(mq, vq, mp, vp) == pytest.approx(gaussian_kl(mq, np.diag(vq), mp, np.diag(vp)),
                                                                  rel=1e-12)
    assert diagonal_gaussian_kl(mq, vq, mp, 0.5) == pytest.approx(gaussian_kl(mq, np.diag(vq), mp, 0.5 * np.eye(5)))
    with pytest.raises(ValueError, match="var_q"):
        diagonal_gaussian_kl(mq, -vq, mp, vp)
    with pytest.raises(ValueError, match="mean_p"):
        diagonal_gaussian_kl(mq, vq, mp[:3], vp)


@pytest.mark.parametrize("mix", [0.0, 1.0, 3.0])
def test_fim_prior_posterior_against_dense_gaussians(mix):
    rng = np.random.default_rng(4)
    p, n, eps = 6, 50, 2.0
    H = random_spd(p, rng)
    f = rng.uniform(0, 3, p)
    w, w0 = rng.standard_normal(p), rng.standard_normal(p)
    post = FIMPriorPosterior(H, f, w, w0, n, mix=mix)
    S = np.diag(1 + mix * f / f.mean())
    np.testing.assert_allclose(post.prior_covariance(eps), S / eps)
    # Posterior precision 2(n-1) H + eps S^{-1} (H is PSD, so nothing is clipped).
    np.testing.assert_allclose(post.covariance(eps), np.linalg.inv(2 * (n - 1) * H + eps * np.linalg.inv(S)),
                               rtol=1e-9, atol=1e-12)
    dense = gaussian_kl(w, post.covariance(eps), w0, post.prior_covariance(eps))
    assert post.kl(eps) == pytest.approx(dense, rel=1e-9)
    assert post.quadratic_term(eps) == pytest.approx(0.5 * np.trace(H @ post.covariance(eps)), rel=1e-9)
    if mix == 0.0:  # isotropic prior: Method 1 exactly
        lam, U = np.linalg.eigh(H)
        assert post.kl(eps) == pytest.approx(AnalyticalPosterior(lam, U, w, w0, n, eps).kl, rel=1e-10)
    draws = post.sample(eps, 20000, rng=0)
    np.testing.assert_allclose(np.cov(draws.T), post.covariance(eps), atol=0.05 * np.abs(post.covariance(eps)).max())


def test_fim_prior_posterior_validates_its_arguments():
    H, f, w = np.eye(3), np.ones(3), np.zeros(3)
    with pytest.raises(ValueError, match="hessian"):
        FIMPriorPosterior(np.eye(2), f, w, w, 10)
    with pytest.raises(ValueError, match="fim_diagonal"):
        FIMPriorPosterior(H, -f, w, w, 10)
    with pytest.raises(ValueError, match="mix"):
        FIMPriorPosterior(H, f, w, w, 10, mix=-1.0)
    with pytest.raises(ValueError, match="w0"):
        FIMPriorPosterior(H, f, w, np.zeros(2), 10)


def test_diagonal_posterior_and_grid_index():
    post = DiagonalPosterior([1.0, 2.0], [0.5, 0.25], [0.0, 0.0], j=12)
    assert post.eps == pytest.approx(prior_grid(12))
    assert post.kl == pytest.approx(diagonal_gaussian_kl([1.0, 2.0], [0.5, 0.25], [0, 0], 1 / post.eps))
    assert post.sample(4, rng=0).shape == (4, 2)
    assert grid_index(prior_grid(37)) == 37 and grid_index(1e9) == 1
    with pytest.raises(ValueError, match="variance"):
        DiagonalPosterior([1.0], [0.0], [0.0], j=1)


def _logistic_problem(n=400, d=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = (X @ torch.arange(1.0, d + 1, dtype=torch.float64) > 0).long()
    model = torch.nn.Linear(d, 2, bias=False).double()
    with torch.no_grad():
        model.weight.copy_(torch.stack([-torch.arange(1.0, d + 1), torch.arange(1.0, d + 1)]).double() * 0.3)
    return model, X, y


def _bound(model, post, X, y, n, mc=200):
    import torch.nn.functional as F  # noqa: F401

    errs = []
    for v in post.sample(mc, rng=1):
        with torch.no_grad():
            z = X @ torch.as_tensor(v).reshape(2, -1).T
        errs.append(float((z.argmax(1) != y).double().mean()))
    return pacbayes_bound(float(np.mean(errs)), post.kl, n, j=post.j)


def test_optimised_posterior_improves_its_initial_bound():
    model, X, y = _logistic_problem()
    w0 = np.zeros(10)
    before = model.weight.detach().clone()
    initial, final, history = optimise_diagonal_posterior(model, X, y, w0, variance_init=1e-4, eps_init=1.0,
                                                          steps=300, batch_size=100, seed=0)
    assert torch.equal(model.weight, before)  # the model is left unchanged
    assert history.shape == (300,) and history[-50:].mean() < history[:50].mean()
    np.testing.assert_allclose(initial.mean, before.numpy().ravel())
    assert initial.j == grid_index(1.0)
    assert _bound(model, final, X, y, 400) <= _bound(model, initial, X, y, 400)


def test_optimise_diagonal_posterior_validates_its_arguments():
    model, X, y = _logistic_problem(n=20)
    with pytest.raises(ValueError, match="variance_init"):
        optimise_diagonal_posterior(model, X, y, np.zeros(10), variance_init=-1.0, eps_init=1.0, steps=1)
    with pytest.raises(ValueError, match="w0"):
        optimise_diagonal_posterior(model, X, y, np.zeros(3), variance_init=1.0, eps_init=1.0, steps=1)
    with pytest.raises(ValueError, match="eps_init"):
        optimise_diagonal_posterior(model, X, y, np.zeros(10), variance_init=1.0, eps_init=0.0, steps=1)
    with pytest.raises(TypeError, match="model"):
        optimise_diagonal_posterior("net", X, y, np.zeros(10), variance_init=1.0, eps_init=1.0, steps=1)


# --------------------------------------------------------------- issue 14: certified bounds
from netsim.pacbayes import bound_report, certified_bound, sample_convergence_bound  # noqa: E402


def test_sample_convergence_is_the_kl_inverse_with_log_2_over_delta():
    assert sample_convergence_bound(0.1, 1000, 0.01) == pytest.approx(bisection(0.1, math.log(200) / 1000), abs=1e-10)
    assert sample_convergence_bound(0.0, 100, 0.01) == pytest.approx(1 - math.exp(-math.log(200) / 100))
    assert sample_convergence_bound(0.1, 10000) < sample_convergence_bound(0.1, 100)


def test_certified_bound_reproduces_the_issue_numbers():
    # issue 14: e^(Q) = 0.0874, KL = 894.5, n = 20000, j = 77, delta' = 0.01 -> 0.278 (estimate 0.197)
    assert pacbayes_bound(0.0874, 894.5, 20000, j=77) == pytest.approx(0.197, abs=5e-4)
    assert certified_bound(0.0874, 300, 894.5, 20000, j=77, delta_mc=0.01) == pytest.approx(0.278, abs=1e-3)


def test_sample_convergence_bound_covers_the_truth():
    rng = np.random.default_rng(0)
    truth, k, delta = 0.2, 200, 0.05
    misses = sum(sample_convergence_bound(rng.binomial(k, truth) / k, k, delta) < truth for _ in range(4000))
    assert misses / 4000 <= delta  # the guarantee (it is conservative, so far below delta)


def test_bound_report_fields_and_bad_input():
    rep = bound_report(np.r_[np.zeros(90), np.ones(10)], kl=5.0, n=1000, j=3)
    assert rep["draws"] == 100 and rep["mean"] == pytest.approx(0.1)
    assert rep["se"] == pytest.approx(np.std(np.r_[np.zeros(90), np.ones(10)], ddof=1) / 10)
    assert rep["mean"] <= rep["mc_upper"] and rep["estimate"] <= rep["certified"] <= 1
    for bad, name in ((([0.1],), "errors"), (([0.1, 1.5],), "errors")):
        with pytest.raises(ValueError, match=name):
            bound_report(*bad, kl=1.0, n=10)
    with pytest.raises(ValueError, match="delta_mc"):
        sample_convergence_bound(0.1, 10, 1.5)
    with pytest.raises(ValueError, match="num_draws"):
        sample_convergence_bound(0.1, 0)
