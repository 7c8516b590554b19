"""Tests of netsim.studies.linear_theory: the declared claims, the multi-part criterion and the
measurements that turn experiments into claim values."""
import math

import numpy as np
import pytest

from netsim import profiles
from netsim.claims import AtLeast, AtMost, IsTrue
from netsim.studies import linear_theory as S


def test_claims_d1_to_d13_are_declared_with_tests():
    reg = S.declare_claims()
    assert [c.id for c in reg.claims] == [f"D{k}" for k in range(1, 14)]
    assert all(isinstance(c.test, S.AllOf) for c in reg.claims)
    assert reg.missing() == [f"D{k}" for k in range(1, 14)]


def test_profiles_share_their_knobs():
    knobs = {name: set(values) for name, values in S.PROFILE.items()}
    assert knobs["smoke"] == knobs["book"] == knobs["paper"]
    assert {1, 3, 10} <= set(S.PROFILE["smoke"]["phase_ratios"])


def test_all_of_combines_parts():
    test = S.AllOf((("a", AtMost(1.0)), ("b", AtLeast(2.0, partly=1.0)), ("c", IsTrue("holds"))))
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


def test_residual_checks_and_fig51_at_smoke_scale():
    P = profiles.resolve(S.PROFILE, "smoke", random_settings=2)
    measured = S.residual_checks(P)
    assert S.declare_claims().claims[0].test.evaluate(measured)[0] == "reproduced"
    out = S.fig51()
    assert sorted(out) == list(S.FIG51["Ts"])
    for v in out.values():
        np.testing.assert_allclose(v["numerical"], v["formula"], rtol=1e-6, atol=1e-13)
        assert np.all(v["formula"] <= v["bound"] * (1 + 1e-12))
