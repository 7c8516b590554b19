"""Tests of netsim.studies.sloppiness (study 6) on tiny settings."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from netsim.claims import NotTested
from netsim.metrics import curvature as C
from netsim.studies import sloppiness as S


def tiny_data(n=60, d=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g, dtype=torch.float64) * torch.exp(-0.5 * torch.arange(d))
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).long()
    return X, y


@pytest.fixture(scope="module")
def trained():
    X, y = tiny_data()
    models = S.train(S.fc_net(6, 5, 2, seed=0), X, y, epochs=30)
    return X, y, models


def test_profiles_share_knobs_and_claims_are_declared():
    assert {frozenset(v) for v in S.PROFILE.values()} == {frozenset(S.PROFILE["smoke"])}
    reg = S.registry()
    claims = [f"C{i}" for i in (1, 2, 5, 6, 7, 8, 9, 10, 11)]
    assert [c.id for c in reg.claims] == claims
    assert [c.id for c in reg.checks] == ["C3a", "C3b", "C4a", "C4b", "C4c", "C5a", "C9a"]
    assert not any(isinstance(c.test, NotTested) for c in reg.claims)
    assert all(c.expects_null for c in reg.claims) and all(c.revisions for c in reg.claims)
    assert set(reg.missing()) == set(claims) | {c.id for c in reg.checks}
    reg.record("C4b", 1.2)
    assert reg.verdict("C4b") == "fails"
    with pytest.raises(ValueError, match="interval"):   # strict: a bound test needs an Estimate
        reg.record("C1", 3.5, null=0.3)
    with pytest.raises(ValueError, match="null"):
        reg.record("C1", S.Estimate(3.5, 3.2, 3.8))
    assert reg.record("C1", S.Estimate(3.5, 3.2, 3.8), null=0.3).verdict == "reproduced"
    assert reg.record("C1", S.Estimate(3.5, 2.8, 3.8), null=0.3).verdict == "inconclusive"
    assert reg.record("C1", S.Estimate(3.5, 3.2, 3.8), null=3.1).verdict == "inconclusive"


def test_decades_and_resolved():
    lam = 10.0 ** -np.arange(8.0)
    assert S.decades(lam, 1, 4) == pytest.approx(3.0)
    assert S.decades(lam[::-1], 2, None) == pytest.approx(6.0)
    assert S.resolved(np.array([1.0, -0.5, 1e-15, 0.0])).tolist() == [1.0, 0.5]
    with pytest.raises(ValueError):
        S.decades([1.0])


def test_training_snapshots_and_errors(trained):
    X, y, models = trained
    assert len(models) == 3
    w = [S.flat_weights(m) for m in models]
    assert not np.allclose(w[0], w[2]) and w[0].size == 6 * 5 + 5 * 5 + 5 * 2
    (e0, l0), (e2, l2) = S.error_and_loss(models[0], X, y), S.error_and_loss(models[2], X, y)
    assert l2 < l0 and 0 <= e2 <= e0 <= 1


def test_curvature_snapshot_matches_dense_and_obeys_the_bounds(trained):
    X, y, models = trained
    snap = S.curvature_snapshot(models[2], X, y)
    model = models[2]
    F = C.dense_curvature(model, X, y, "ggn")
    np.testing.assert_allclose(snap["fim"], np.linalg.eigvalsh(F)[::-1], atol=1e-10)
    assert snap["tr_fim"] == pytest.approx(np.trace(F))
    EF = np.linalg.eigvalsh(C.dense_curvature(model, X, y, "ef"))[::-1]
    np.testing.assert_allclose(snap["ef"], EF[:len(snap["ef"])], atol=1e-10)
    H = np.linalg.eigvalsh(C.dense_curvature(model, X, y, "hessian", bits=True))
    np.testing.assert_allclose(np.sort(snap["hessian"]), H, atol=1e-10)
    assert snap["theorem"]["fim"] <= 1 and snap["theorem"]["gauss_newton"] <= 1
    assert snap["lemma"] <= S.EXACT and snap["corollary"] <= S.EXACT
    assert 0 <= snap["h_term"] <= 2 and snap["tr_fim"] < snap["tr_logit_jacobian"]
    assert len(snap["activations"]) == 3 and snap["hessian_vectors"].shape == (65, S.TOP_K)


def test_max_ratio_and_gauss_newton():
    assert S._max_ratio([2.0, 1.0], [4.0, 1.0, 1.0]) == 1.0
    assert S._max_ratio([1.0, 1e-20], [1.0, 0.0]) == 1.0  # numerical zero against a zero bound
    assert math.isinf(S._max_ratio([1.0, 0.5], [1.0, 0.0]))
    J = np.random.default_rng(0).standard_normal((4, 2, 3))
    Lam = np.stack([np.eye(2)] * 4)
    np.testing.assert_allclose(S.gauss_newton(J, Lam), sum(j.T @ j for j in J) / 4)


def test_eigenvector_comparison_identical_and_random():
    rng = np.random.default_rng(1)
    U = np.linalg.qr(rng.standard_normal((50, 50)))[0]
    lam = np.exp(-np.arange(50.0))
    snap = dict(hessian=lam, kfac=lam * 10, fim=lam, hessian_vectors=U[:, :20], kfac_vectors=U[:, :20],
                fim_vectors=U[:, :20])
    out = S.eigenvector_comparison(snap)
    assert out["eigenvalue_log10_error"].value == pytest.approx(1.0)
    assert out["kfac_cos"].value == pytest.approx(1.0) and out["fim_hessian_overlap"].value == pytest.approx(1.0)
    assert out["random_overlap"] == pytest.approx(20 / 50) and out["random_cos"] < 0.5
    # a random rotation of the same spectrum overlaps about k/p, far from 1
    assert out["overlap_null"].value == pytest.approx(20 / 50, abs=0.1) and out["overlap_null"].high < 0.7
    # flat spectrum with the top-20 mean: |log10(mean / lambda_i)| has median > 0 for a sloppy spectrum
    assert out["eigenvalue_null"] > 1.0
    V = np.linalg.qr(rng.standard_normal((50, 50)))[0]
    out = S.eigenvector_comparison(dict(snap, fim_vectors=V[:, :20], kfac_vectors=V[:, :20]))
    assert out["fim_hessian_overlap"].value < 0.8 and out["kfac_cos"].value < 0.5


def test_chunked_hessian_equals_dense(trained):
    X, y, models = trained
    np.testing.assert_allclose(S.chunked_hessian(models[1], X, y, chunk=7),
                               C.dense_curvature(models[1], X, y, "hessian", bits=True), atol=1e-12)


def test_method1_reports_consistent_bounds(trained):
    X, y, models = trained
    Xt, yt = tiny_data(n=40, seed=1)
    r = S.method1(models[2], S.flat_weights(models[0]), X, y, Xt, yt, num_scales=30, mc_samples=20)
    assert 0 <= r["bound_kl_eQ"] <= r["bound_pinsker_eQ"] <= 1
    assert r["bound_kl_eQ"] >= r["train_error_Q"] and r["kl"] >= 0
    assert r["eps"] == pytest.approx(1e4 * math.exp(-r["j"] / 10))
    assert 0 <= r["p_eff"] <= r["p"] and r["threshold"] == pytest.approx(r["eps"] / (2 * 59))
    assert r["loose_bound"] == pytest.approx((r["s"] + 2 / (1 / r["inv_c"]) + r["eps_dist"]) / (4 * 59))


def test_random_labels_and_input_spectra():
    X, y = tiny_data(n=40)
    out = S.random_label_spectra(X, y, width=4, epochs=2, fractions=(0.0, 1.0))
    assert set(out) == {0.0, 1.0} and all(v.shape == (40,) for v in out.values())
    assert np.all(np.diff(out[0.0]) <= 1e-12)
    table = S.spectrum_summary({"geometric": np.exp(-0.3 * np.arange(30.0))})
    assert table.loc["geometric", "tail_slope"] == pytest.approx(-0.3)


def test_rank_correlation_and_sweep_measures():
    import pandas as pd

    assert S.rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert S.rank_correlation([1, 2, 3], [5, 5, 5]) == 0.0
    with pytest.raises(ValueError, match="same length"):
        S.rank_correlation([1, 2], [1, 2, 3])
    rows = []
    for c in (0.001, 0.1, 0.5):
        for w in (10, 500):
            for seed in (0, 1):
                err = 0.5 - 0.5 * c - (0.1 if w == 500 else 0.0) * (c < 0.5)
                rows.append(dict(c=c, width=w, seed=seed, train_error=0.0 if w == 500 else 0.02,
                                 test_error=err, interpolated=w == 500))
    m = S.sweep_measures(pd.DataFrame(rows))
    assert m["fraction of students with training error <= 0.01"] == 0.5
    assert m["Spearman(c, test error), worst width"] == pytest.approx(-1.0)
    assert m["Spearman(width, test error), mean over c"] == pytest.approx(-2 / 3)
    assert m["|test error narrowest - widest| at the sloppiest c"] == pytest.approx(0.0)
    # sweep_claim on per-sample correctness with the same error rates: point values match sweep_measures
    n = 200
    correct = {(r["c"], r["width"], r["seed"]): np.arange(n) >= round(r["test_error"] * n) for r in rows}
    measured, null = S.sweep_claim(dict(table=pd.DataFrame(rows), correct=correct), n_resamples=20)
    for k, v in m.items():
        assert measured[k].value == pytest.approx(v, abs=1e-9)
    # permuting c across problems destroys the ordering: the null is far from -1
    assert null["Spearman(c, test error), worst width"].value > -0.5


def test_atypical_sweep_and_trained_fim_tiny():
    sweep = S.atypical_sweep(40, 30, 1, widths=(3, 5), seeds=1, cs=(0.001, 0.1), progress=False)
    table = sweep["table"]
    assert len(table) == 4 and set(table.columns) >= {"c", "width", "seed", "train_error", "test_error",
                                                       "interpolated"}
    assert table.test_error.between(0, 1).all()
    init, end = sweep["models"][(0.1, 5, 0)]
    assert not np.allclose(S.flat_weights(init), S.flat_weights(end))
    fims = S.sweep_fim(sweep, 20, width=3, cs=(0.001, 0.1))
    p = 200 * 3 + 3 + 3 * 10 + 10
    assert set(fims) == {(c, w) for c in (0.001, 0.1) for w in ("init", "end")} | {(c, "end", 0) for c in (0.001, 0.1)}
    assert all(v.shape == (p,) and np.all(np.diff(v) <= 1e-12) for v in fims.values())


def test_atypical_sweep_in_worker_processes_equals_the_sequential_sweep():
    args = dict(widths=(3,), seeds=2, cs=(0.001, 0.1), progress=False)
    one = S.atypical_sweep(40, 30, 1, **args)
    two = S.atypical_sweep(40, 30, 1, processes=2, **args)
    pd.testing.assert_frame_equal(one["table"], two["table"])
    for key, (init, end) in one["models"].items():
        assert np.array_equal(S.flat_weights(end), S.flat_weights(two["models"][key][1]))
        assert np.array_equal(one["correct"][key], two["correct"][key])


def test_proposals_report_bounds(trained):
    X, y, models = trained
    Xt, yt = tiny_data(n=40, seed=1)
    H = S.chunked_hessian(models[2], X, y)
    m1 = S.method1(models[2], S.flat_weights(models[0]), X, y, Xt, yt, num_scales=30, mc_samples=10, hessian=H)
    fp = S.fim_prior_method(models[2], models[0], X, y, Xt, yt, Xt, num_scales=30, mc_samples=10, hessian=H)
    assert 0 <= fp["train_error_Q"] <= fp["bound_kl_eQ"] <= fp["bound_pinsker_eQ"] <= 1 and fp["kl"] >= 0
    opt = S.optimised_posterior_method(models[2], models[0], X, y, Xt, yt, m1, H, steps=5, mc_samples=10)
    assert opt["j_init"] == m1["j"] and opt["eps_init"] == pytest.approx(m1["eps"])
    assert 0 <= opt["bound_kl_eQ"] <= 1 and 0 <= opt["bound_kl_eQ_init"] <= 1


# --------------------------------------------------------------- issue 14: factor 1, resolved spectra, draws
def _blocks(model, X):
    """Per layer k: the FIM block F_k, the factor-1 bound B_k = c_k I (x) E[h h^T] and 2 E[ds ds^T]."""
    J = C.per_sample_logit_jacobian(model, X)
    with torch.no_grad():
        P = torch.softmax(model(X), 1).double().numpy()
    Lam = np.einsum("ni,ij->nij", P, np.eye(P.shape[1])) - P[:, :, None] * P[:, None, :]
    weights, acts = C.layer_weights(model), C.layer_activations(model, X)
    sizes = np.cumsum([0] + [w.size for w in weights])
    out = []
    for k, w in enumerate(weights):
        sl = slice(sizes[k], sizes[k + 1])
        F = S.gauss_newton(J[:, :, sl], Lam)
        c = np.prod([np.linalg.norm(v, 2) ** 2 for v in weights[k + 1:]]) if k + 1 < len(weights) else 1.0
        B = c * np.kron(np.eye(w.shape[0]), acts[k].T @ acts[k] / len(X))
        s = J[:, :, sl].sum(1)
        out.append((F, B, 2 * s.T @ s / len(X)))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_factor_one_corollary_holds_in_the_loewner_order(seed):
    torch.manual_seed(seed)
    X = torch.randn(40, 5, dtype=torch.float64) * 2
    model = S.fc_net(5, 4, 2, num_classes=3, seed=seed)
    for F, B, _ in _blocks(model, X):
        assert np.linalg.eigvalsh(B - F).min() >= -1e-10 * np.abs(B).max()
        # spectral dominance follows (Weyl) and is what curvature_snapshot checks
        assert np.all(np.linalg.eigvalsh(F)[::-1] <= np.linalg.eigvalsh(B)[::-1] * (1 + 1e-9) + 1e-12)
    snap = S.curvature_snapshot(model, X, model(X).argmax(1), dense=False)
    assert snap["corollary"] <= S.EXACT and snap["corollary_stated"] == pytest.approx(snap["corollary"] / 6)
    assert snap["theorem"]["fim"] <= S.EXACT and snap["remark"] <= S.EXACT


def test_the_thesis_step_f_below_two_logit_sum_is_not_a_loewner_inequality():
    worst = min(np.linalg.eigvalsh(two_ss - F).min()
                for seed in range(6)
                for F, _, two_ss in _blocks(S.fc_net(5, 4, 2, num_classes=3, seed=seed),
                                            torch.randn(40, 5, dtype=torch.float64,
                                                        generator=torch.Generator().manual_seed(seed))))
    assert worst < 0


def test_resolved_decades_ignores_numerical_zeros():
    lam = np.array([1.0, 1e-3, 1e-16, 0.0])
    assert S.resolved_decades(lam) == pytest.approx(3.0)
    assert S.decades(lam) > 15  # the raw count scores the numerical zero
    assert math.isnan(S.resolved_decades([2.0, 1e-17, 0.0]))  # rank one: no spread
    assert S.resolved_decades(10.0 ** -np.arange(200.0) ** 0.5, stop=100) == pytest.approx(99 ** 0.5)


@pytest.mark.parametrize("shape", [(30, 4), (6, 2, 20)])
def test_resampled_eigenvalues_match_the_weighted_correlation(shape):
    rng = np.random.default_rng(0)
    F = rng.standard_normal(shape)
    w = rng.integers(0, 3, shape[0])
    R = F.reshape(shape[0], -1, shape[-1])
    M = sum(wk * Rk.T @ Rk for wk, Rk in zip(w, R)) / shape[0]
    expect = np.sort(np.linalg.eigvalsh(M))[::-1]
    got = S.resampled_eigenvalues(F, w)
    np.testing.assert_allclose(got[:min(len(got), len(expect))][:np.sum(expect > 1e-10)],
                               expect[expect > 1e-10], rtol=1e-9, atol=1e-12)


def test_spectrum_factors_reproduce_the_snapshot_spectra(trained):
    X, y, models = trained
    snap = S.curvature_snapshot(models[2], X, y)
    ones = np.ones(len(X))
    for kind, index in (("activations", 1), ("activation_gradients", 0), ("logit_jacobians", 1), ("fim", 0),
                        ("ef", 0)):
        lam = S.resampled_eigenvalues(S.spectrum_factor(models[2], X, y, kind, index), ones)
        ref = snap[kind][index] if isinstance(snap[kind], list) else snap[kind]
        k = min(10, len(ref))
        np.testing.assert_allclose(lam[:k], np.sort(ref)[::-1][:k], rtol=1e-7, atol=1e-12)
    assert S.spectrum_factor(models[2], X, y, "hessian") is None
    with pytest.raises(ValueError, match="kind"):
        S.spectrum_factor(models[2], X, y, "bogus")


def test_draw_errors_match_a_loop_over_draws(trained):
    X, y, models = trained
    w = S.flat_weights(models[2])
    draws = w + 0.05 * np.random.default_rng(0).standard_normal((7, w.size))
    err, loss = S.draw_errors(models[2], draws, X, y, chunk=3)
    import copy
    net = copy.deepcopy(models[2])
    for k, v in enumerate(draws):
        S.set_weights(net, v)
        e, lo = S.error_and_loss(net, X, y)
        assert err[k] == pytest.approx(e) and loss[k] == pytest.approx(lo)
    with pytest.raises(ValueError, match="draws"):
        S.draw_errors(models[2], draws[:, :-1], X, y)


def test_method1_reports_estimate_and_certificate(trained):
    X, y, models = trained
    Xt, yt = tiny_data(n=40, seed=1)
    r = S.method1(models[2], S.flat_weights(models[0]), X, y, Xt, yt, num_scales=30, mc_samples=20)
    assert r["draws"] == 20 and r["train_error_Q_se"] >= 0
    assert r["bound_kl_eQ"] <= r["certified_kl_eQ"] <= 1
    est = S.bound_estimate(r)
    assert est.value == r["certified_kl_eQ"] and est.low <= r["bound_kl_eQ"] + 1e-12
    null = S.prior_null(models[2], S.flat_weights(models[0]), X, y, r["eps"], r["j"], 10)
    assert null["certified"] >= null["estimate"] >= null["mean"]


def test_c10_null_of_a_flat_spectrum_pays_for_every_direction():
    lam = np.exp(-0.2 * np.arange(100.0))
    a, b = S.c10_statistics(lam, 1000, 1.0, 3.0)
    assert 0 <= a < 1e300 and 0 < b < 1e300
    null = S.c10_null(lam, 1000, 1.0, 3.0)  # same trace, flat: all 100 directions stiff, s = 100 (1 + log(...))
    flat = lam.sum() / 100
    assert null == pytest.approx(100 * (1 + math.log(2 * 999 * flat / 1.0 + 1)) / 1000) and null > b


def test_c2_measure_resamples_the_minimum_spectrum_including_a_hessian():
    X, y = tiny_data(n=80)
    runs = {"FC-1": S.network_study(X, y, 5, 1, 5, None), "FC-2": S.network_study(X, y, 5, 2, 5, None, dense=False)}
    est, table, note = S.c2_measure(runs, X, y, n_resamples=10)
    assert est.value == pytest.approx(table.decades.min()) and est.low <= est.value <= est.high
    assert table.decades.isna().sum() == 6 and "activation_gradients 1" in note  # rank-one gradients not scored
    # make the Hessian at initialisation the least sloppy spectrum: the cluster bootstrap takes over
    runs["FC-1"]["snapshots"][0]["hessian"] = np.array([1.0, 0.5, 0.25])
    est, table, note = S.c2_measure(runs, X, y, n_resamples=10)
    assert est.value == pytest.approx(math.log10(4)) and "cluster bootstrap" in est.method
    assert est.high > est.value  # the recomputed Hessians span more decades than the planted one
