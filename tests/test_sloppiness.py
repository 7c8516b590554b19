"""Tests of netsim.studies.sloppiness (study 6) on tiny settings."""
import math

import numpy as np
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
    reg = S.declare_claims()
    assert [c.id for c in reg.claims] == [f"C{i}" for i in range(1, 12)]
    assert not any(isinstance(c.test, NotTested) for c in reg.claims)
    assert reg.missing() == [f"C{i}" for i in range(1, 12)]
    reg.record("C3", S.Measured({"max tr F / bound (constant 1, proof)": 0.5,
                                 "max tr H~ / bound (constant 2, as stated)": 1.5}))
    assert reg.verdict("C3") == "partly"


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
    assert out["eigenvalue_log10_error"] == pytest.approx(1.0)
    assert out["kfac_cos"] == pytest.approx(1.0) and out["fim_hessian_overlap"] == pytest.approx(1.0)
    assert out["overlap_vs_random"] == pytest.approx(50 / 20) and out["random_cos"] < 0.5


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
    reg = S.declare_claims()
    assert reg.record("C8", S.Measured(m)).verdict == "partly"  # interpolation part only partly


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
    assert set(fims) == {(c, w) for c in (0.001, 0.1) for w in ("init", "end")}
    assert all(v.shape == (p,) and np.all(np.diff(v) <= 1e-12) for v in fims.values())


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
