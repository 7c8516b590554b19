"""Tests of netsim.studies.linear_theory: the declared claims, the multi-part criterion and the
measurements that turn experiments into claim values."""
import math

import numpy as np
import pytest

from netsim import profiles
from netsim.claims import AtLeast, AtMost, IsTrue
from netsim.studies import linear_theory as S


def test_checks_and_claims_are_declared_with_nulls_and_revisions():
    reg = S.registry()
    assert [c.id for c in reg.claims] == ["D4", "D5", "D7", "D8", "D9a", "D9b", "D9c", "D9d", "D10", "D11", "D12", "D13"]
    assert {c.id[:2] for c in reg.checks} >= {"D1", "D2", "D3", "D4", "D5", "D6"}
    assert all(c.null and c.revisions for c in reg.claims)
    assert all(c.revisions[0].why.startswith("issue 14") for c in reg.claims + reg.checks)
    with pytest.raises(ValueError, match="interval"):
        reg.record("D4", 1.7, null=1.0)
    assert reg.record("D4", S.Estimate(1.7, 1.6, 1.8), null=1.0).verdict == "reproduced"
    assert reg.record("D4", S.Estimate(1.7, 1.2, 1.8), null=1.0).verdict == "inconclusive"
    assert reg.record("D9b", None, note="not measurable").verdict == "not tested"
    assert reg.record("D1a", 1e-3).verdict == "fails"


def test_profiles_share_their_knobs():
    knobs = {name: set(values) for name, values in S.PROFILE.items()}
    assert knobs["smoke"] == knobs["book"] == knobs["paper"]
    assert {1, 3, 10} <= set(S.PROFILE["smoke"]["phase_ratios"])


def test_all_of_combines_parts():
    from netsim.claims import AllOf

    test = AllOf((("a", AtMost(1.0)), ("b", AtLeast(2.0, partly=1.0)), ("c", IsTrue("holds"))))
    assert test.evaluate(S.Measured(a=0.5, b=3.0, c=True))[0] == "reproduced"
    verdict, why = test.evaluate(S.Measured(a=0.5, b=1.5, c=True))
    assert verdict == "partly" and why.startswith("b:")
    assert test.evaluate(S.Measured(a=0.5, b=0.0, c=False))[0] == "partly"
    assert test.evaluate(S.Measured(a=5.0, b=0.0, c=False))[0] == "not reproduced"
    with pytest.raises(ValueError, match="missing"):
        test.evaluate(S.Measured(a=0.5))
    assert "a = 0.5" in str(S.Measured(a=0.5, c=True)) and "c = True" in str(S.Measured(a=0.5, c=True))


def test_max_ratio_skips_the_trivial_first_index_and_unresolved_bounds():
    assert S.max_ratio([1.0, 0.5, 1e-12], [1.0, 1.0, 1e-13]) == 0.5
    assert S.max_ratio([1.0, 0.5], [1.0, 1.0], skip_first=False) == 1.0


def test_random_settings_cover_both_regimes_of_lemma_5_2_3():
    settings = S.random_settings(10, seed=0)
    assert {s["regime"] for s in settings} == {"small T", "large T"}
    for s in settings:
        edge = math.exp(s["c"] * (s["n"] - 1)) / 2
        assert (s["T"] < edge) == (s["regime"] == "small T")
        assert s["alpha"] < 1 and s["d"] > s["n"]


def test_phase_claims_on_a_synthetic_diagram():
    Ts, cs, ratios = np.array([1, 10, 100, 1000]), np.linspace(0.1, 1, 5), np.array([1.0, 3.0, 9.0, 10.0])
    dims = np.full((5, 4, 4), 20.0)
    dims[:, :, 2:] = 2.0                         # one < 3-dimensional region from ratio 9 on
    dims[:, :, 1] = 2.0
    dims[2, :, 1] = 5.0                          # ... split in two at ratio 3
    dims[:, :, 3] = 1.0
    for k, j in enumerate([1, 1, 2, 2, 2]):      # ridge: the maximum moves to larger T with c
        dims[k, j, 3] = 2.9
    measured, note = S.phase_claims(S.PhaseDiagram(Ts, cs, ratios, dims))
    assert measured["smallest ratio with one < 3-dim region"] == 9.0
    assert measured["median dims at c <= 0.1, ratio 1"] == 20.0
    assert measured["share of (T, c) with <= 3 dims at ratio 10"] == 1.0
    assert measured["corr(c, log T of max dimension) at ratio 10"] > 0.8
    assert "ridge from 5 of 5" in note


def test_phase_claim_excludes_t1_and_reports_unmeasurable_ridges():
    Ts, cs, ratios = np.array([1, 2, 10, 100, 1000]), np.linspace(0.1, 1, 5), np.array([1.0, 10.0])
    dims = np.full((5, 5, 2), 20.0)
    dims[:, :, 1] = 1.0
    dims[:, 0, 1] = 50.0                      # T = 1: every slope's maximum sits at the boundary
    draws = np.stack([dims, dims], axis=1)
    out = S.phase_claim(S.PhaseDiagram(Ts, cs, ratios, dims, draws))
    assert out["D9b"] is None and out["D9b_null"] is None   # no interior maximum once T = 1 is dropped
    assert out["D9a"].value == 1.0 and out["D9a_null"] == 0.0  # T = 1 excluded from the share
    for k, j in enumerate([2, 2, 3, 3, 3]):   # an interior ridge moving to larger T with c
        dims[k, j, 1] = 2.9
    draws = np.stack([dims, dims], axis=1)
    out = S.phase_claim(S.PhaseDiagram(Ts, cs, ratios, dims, draws))
    assert out["D9b"].value > 0.8 and abs(out["D9b_null"].value) < 0.5
    assert out["D9d"].value == 10.0 and out["D9c"].value == 20.0 and out["D9c_null"] == 1.0


def test_growth_per_decade_and_its_null():
    n = 50
    spectra = {T: np.full(n, 1.0 / T) for T in (10, 100, 1000)}       # T P constant: no growth
    assert S.growth_per_decade(spectra) == pytest.approx((0.0, 0.0))
    spectra = {T: np.full(n, T ** -0.5) for T in (10, 100, 1000)}     # T P grows like sqrt(T)
    assert S.growth_per_decade(spectra) == pytest.approx((0.5, 0.5))


def test_d4_d5_reference_values():
    est, null, rows = S.d4_claim(seeds=2)
    assert null == pytest.approx(1.0, abs=1e-9)  # the estimator on a pure reference-rate spectrum
    assert est.low <= est.value <= est.high and {r["T"] for r in rows} == set(S.SPEED["Ts"])
    assert S.reference_rate(0.2) == pytest.approx(math.pi ** 2 / 10)
    d5, d5_null, closed = S.d5_claim(4000)
    assert d5_null == pytest.approx(math.sqrt(2))
    assert d5.value == pytest.approx(closed, rel=0.1)  # Monte Carlo against sqrt(2 sum lambda^2) / sum lambda


def test_centred_kernels_lose_the_constant_eigenvector():
    P = profiles.resolve(S.PROFILE, "smoke")
    raw, centred = S.kernel_experiment(P, centred=False), S.kernel_experiment(P)
    assert np.all(raw["top_vs_constant"] > 0.9) and np.all(centred["top_vs_constant"] < 0.1)
    assert centred["null"]["decay slow-down single / average"] == pytest.approx(1.0)
    assert raw["measured"]["95% dimension of P(M,T)"] <= centred["measured"]["95% dimension of P(M,T)"]


def test_with_seed_changes_only_the_seed():
    P = profiles.resolve(S.PROFILE, "smoke")
    Q = S.with_seed(P, 7)
    assert Q.seed == 7 and Q.profile == P.profile and {k: Q[k] for k in Q if k != "seed"} == {
        k: P[k] for k in P if k != "seed"}


def test_residual_checks_and_fig51_at_smoke_scale():
    P = profiles.resolve(S.PROFILE, "smoke", random_settings=2)
    measured = S.residual_checks(P)
    assert all(v <= S.EXACT for v in measured.values())
    out = S.fig51()
    assert sorted(out) == list(S.FIG51["Ts"])
    for v in out.values():
        np.testing.assert_allclose(v["numerical"], v["formula"], rtol=1e-6, atol=1e-13)
        assert np.all(v["formula"] <= v["bound"] * (1 + 1e-12))
