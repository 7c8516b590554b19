"""Tests of netsim.claims: verdicts are computed by the declared criterion."""
import math

import pytest

from netsim.claims import AtLeast, AtMost, ClaimRegistry, Close, IsTrue, NotTested


@pytest.mark.parametrize("value, verdict", [(0.8, "reproduced"), (0.6, "reproduced"), (0.5, "partly"), (0.1, "not reproduced")])
def test_at_least(value, verdict):
    assert AtLeast(0.6, partly=0.4).evaluate(value)[0] == verdict


@pytest.mark.parametrize("value, verdict", [(0.1, "reproduced"), (0.3, "partly"), (0.9, "not reproduced")])
def test_at_most(value, verdict):
    assert AtMost(0.2, partly=0.5).evaluate(value)[0] == verdict


def test_close_and_without_partly():
    c = Close(1.0, tol=0.1, partly_tol=0.5)
    assert [c.evaluate(v)[0] for v in (1.05, 1.3, 2.0)] == ["reproduced", "partly", "not reproduced"]
    assert AtLeast(1.0).evaluate(0.99)[0] == "not reproduced"


def test_nan_and_wrong_types_rejected():
    with pytest.raises(ValueError, match="NaN"):
        AtLeast(0.5).evaluate(math.nan)
    with pytest.raises(TypeError, match="bool"):
        IsTrue("x").evaluate(1.0)


def test_registry_table():
    reg = ClaimRegistry("demo")
    reg.declare("A1", "stress is large", "76%", AtLeast(0.6, partly=0.4), source="Fig 2.1")
    reg.declare("A2", "negative eigenvalues", "yes", IsTrue("some eigenvalue < 0"))
    reg.declare("A3", "needs ImageNet", "84%", NotTested("no ImageNet offline"))
    assert reg.missing() == ["A1", "A2"]
    reg.record("A1", 0.5, note="CPU scale")
    reg.record("A2", False)
    table = reg.table()
    assert list(table.index) == ["A1", "A2", "A3"]
    assert list(table["verdict"]) == ["partly", "not reproduced", "not tested"]
    assert "CPU scale" in table.loc["A1", "why"] and "Fig 2.1" in table.loc["A1", "claim"]
    assert reg.missing() == []
    with pytest.raises(ValueError, match="twice"):
        reg.declare("A1", "again", "", AtLeast(0))
    with pytest.raises(KeyError, match="not declared"):
        reg.record("B9", 1.0)
    with pytest.raises(TypeError, match="Criterion"):
        reg.declare("A4", "x", "", lambda v: "reproduced")


def test_all_of_combines_parts():
    from netsim.claims import AllOf

    crit = AllOf((("a", AtLeast(1.0)), ("b", AtMost(0.1, partly=0.5))))
    assert crit.evaluate({"a": 2.0, "b": 0.05})[0] == "reproduced"
    assert crit.evaluate({"a": 2.0, "b": 0.3})[0] == "partly"
    assert crit.evaluate({"a": 0.0, "b": 0.9})[0] == "not reproduced"
    assert "a: measured >= 1" in crit.describe()
    with pytest.raises(ValueError, match="missing"):
        crit.evaluate({"a": 2.0})


def test_measured_prints_compactly():
    from netsim.claims import Measured

    assert str(Measured({"a": 0.123456, "b": True, "c": "x"})) == "a = 0.123; b = True; c = x"


# ---------------------------------------------------------------------------------
# The claims protocol: checks apart, intervals, nulls, exact parts, revisions, artifact
# ---------------------------------------------------------------------------------
from netsim.claims import (AllOf, Check, Claim, Estimate, Exact, Revision, read_artifact,  # noqa: E402
                           validate_artifact)


def _protocol_registry(strict=False):
    return ClaimRegistry("demo", [
        Check("K1", "identity holds", AtMost(1e-9)),
        Claim("C1", "effect is large", "0.9", AtLeast(0.6, partly=0.4), null="labels permuted"),
        Claim("C2", "two parts", "x", AllOf((("rate", AtMost(0.1, partly=0.5)), ("formula", Exact(AtMost(1e-9))))),
              null="none: the formula part is exact and the rate has no effect-free version",
              revisions=(Revision("2026-12-01", "rate <= 0.2", "rate <= 0.1", "a demo revision"),)),
    ], strict=strict)


def test_a_check_never_counts_as_a_claim():
    reg = _protocol_registry()
    reg.record("K1", 0.0)
    reg.record("C1", Estimate(0.3, 0.2, 0.35), null=0.0)
    reg.record("C2", {"rate": Estimate(0.05, 0.04, 0.06), "formula": 0.0})
    assert reg.verdict("K1") == "passes"
    assert list(reg.table().index) == ["C1", "C2"]                # the check is not a claims row
    assert list(reg.checks_table().index) == ["K1", "C2/formula"]  # the exact part is a check row
    summary = reg.summary()
    assert summary["reproduced"] == 1 and summary["passes"] == 2 and summary["not reproduced"] == 1
    reg.record("K1", 1.0)
    assert reg.verdict("K1") == "fails"
    with pytest.raises(ValueError, match="checks have no null"):
        reg.record("K1", 0.0, null=0.0)


@pytest.mark.parametrize("interval, verdict", [
    ((0.65, 0.9), "reproduced"), ((0.5, 0.7), "inconclusive"), ((0.45, 0.55), "partly"),
    ((0.3, 0.45), "inconclusive"), ((0.1, 0.3), "not reproduced")])
def test_an_interval_straddling_a_threshold_is_inconclusive(interval, verdict):
    point = sum(interval) / 2
    got, reason = AtLeast(0.6, partly=0.4).judge(Estimate(point, *interval))
    assert got == verdict
    if verdict == "inconclusive":
        assert "straddles" in reason


def test_close_interval_uses_the_nearest_and_farthest_points():
    close = Close(1.0, tol=0.1)
    assert close.judge(Estimate(1.0, 0.95, 1.05))[0] == "reproduced"
    assert close.judge(Estimate(1.0, 0.8, 1.05))[0] == "inconclusive"
    assert close.judge(Estimate(1.5, 1.3, 1.6))[0] == "not reproduced"
    assert close.judge(Estimate(1.3, 0.7, 1.4))[0] == "inconclusive"  # the target lies inside the interval


def test_a_test_that_passes_on_its_null_is_inconclusive():
    test = AtLeast(0.6, partly=0.4)
    assert test.judge(0.9, null=0.1)[0] == "reproduced"
    verdict, reason = test.judge(0.9, null=0.7)
    assert verdict == "inconclusive" and "passes on its null" in reason
    assert test.judge(0.9, null=Estimate(0.3, 0.1, 0.65))[0] == "inconclusive"  # the null's interval reaches it
    assert test.judge(0.9, null=0.5)[0] == "reproduced"      # the null only reaches 'partly'
    assert test.judge(0.5, null=0.5)[0] == "inconclusive"    # ... which is the measured verdict
    assert test.judge(0.1, null=0.9)[0] == "not reproduced"  # a failure stays a failure
    assert IsTrue("x").judge(True, null=True)[0] == "inconclusive"


def test_all_of_ignores_exact_parts():
    crit = AllOf((("rate", AtMost(0.1, partly=0.5)), ("formula", Exact(AtMost(1e-9)))))
    # a failed substantive part is not rescued to 'partly' by an exact part that holds
    assert crit.evaluate({"rate": 0.9, "formula": 0.0})[0] == "not reproduced"
    # and an exact part that fails does not change the substantive verdict (it shows as a failed check)
    assert crit.evaluate({"rate": 0.05, "formula": 1.0})[0] == "reproduced"
    assert "exact: a check" in crit.describe()
    with pytest.raises(ValueError, match="is a check"):
        AllOf((("formula", Exact(AtMost(1e-9))),))
    two = AllOf((("a", AtLeast(1.0)), ("b", AtMost(0.1))))
    assert two.judge({"a": Estimate(1.5, 0.5, 2.0), "b": 0.0})[0] == "inconclusive"
    assert two.judge({"a": 2.0, "b": 0.0}, null={"a": 3.0})[0] == "inconclusive"
    with pytest.raises(ValueError, match="not substantive"):
        two.judge({"a": 2.0, "b": 0.0}, null={"c": 3.0})


def test_strict_registry_enforces_nulls_and_intervals():
    with pytest.raises(ValueError, match="declares no null"):
        ClaimRegistry("demo", [Claim("C1", "s", "p", AtLeast(0.5))], strict=True)
    reg = _protocol_registry(strict=True)
    with pytest.raises(ValueError, match="none was recorded"):
        reg.record("C1", Estimate(0.9, 0.8, 1.0))
    with pytest.raises(ValueError, match="needs an interval"):
        reg.record("C1", 0.9, null=0.1)
    with pytest.raises(ValueError, match="C2/rate.*needs an interval"):
        reg.record("C2", {"rate": 0.05, "formula": 0.0})
    assert reg.record("C2", {"rate": Estimate(0.05, 0.0, 0.09), "formula": 0.0}).verdict == "reproduced"


def test_estimate_validates():
    assert float(Estimate(0.5, 0.4, 0.6)) == 0.5 and str(Estimate(0.5, 0.4, 0.6)) == "0.5 [0.4, 0.6]"
    with pytest.raises(ValueError, match="low <= high"):
        Estimate(0.5, 0.6, 0.4)
    with pytest.raises(ValueError, match="NaN"):
        Estimate(math.nan, 0.0, 1.0)


def test_revision_validates_and_is_printed_under_the_tables(monkeypatch, tmp_path):
    with pytest.raises(ValueError, match="ISO date"):
        Revision("yesterday", "a", "b", "c")
    with pytest.raises(ValueError, match="why"):
        Revision("2026-12-01", "a", "b", " ")
    reg = _protocol_registry()
    revisions = reg.revisions_table()
    assert list(revisions.index) == ["C2"] and revisions.loc["C2", "new"] == "rate <= 0.1"
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs: shown.extend(objs))
    reg.record("K1", 0.0)
    reg.record("C1", Estimate(0.9, 0.8, 1.0), null=0.1)
    reg.record("C2", {"rate": Estimate(0.05, 0.04, 0.06), "formula": 0.0})
    path = reg.report("demo", profile="smoke", folder=tmp_path)
    frames = [obj for obj in shown if hasattr(obj, "columns")]
    assert [list(f.index) for f in frames] == [["C1", "C2"], ["K1", "C2/formula"], ["C2"]]
    assert "why" in frames[-1].columns and path == tmp_path / "demo.claims.json"


def test_artifact_schema(tmp_path):
    reg = _protocol_registry()
    reg.record("K1", 0.0)
    with pytest.raises(ValueError, match="results missing"):
        reg.write_artifact("demo", folder=tmp_path)
    reg.record("C1", Estimate(0.9, 0.8, 1.0, "95% bootstrap"), null=Estimate(0.1, 0.0, 0.2, "3 permutations"))
    reg.record("C2", {"rate": Estimate(0.05, 0.04, 0.06), "formula": 0.0}, note="demo note")
    data = read_artifact(reg.write_artifact("demo", profile="smoke", folder=tmp_path))
    assert data["schema"] == "netsim.claims/1" and data["profile"] == "smoke"
    rows = {row["id"]: row for row in data["rows"]}
    assert set(rows) == {"K1", "C1", "C2", "C2/formula"}
    assert rows["C1"]["kind"] == "claim" and rows["C1"]["interval"] == [0.8, 1.0]
    assert rows["C1"]["null"] == 0.1 and rows["C1"]["null_interval"] == [0.0, 0.2]
    assert rows["C1"]["null_method"] == "3 permutations"
    assert "3 permutations" in reg.table().loc["C1", "null"]
    assert rows["C1"]["interval_method"] == "95% bootstrap" and rows["C1"]["null_declared"] == "labels permuted"
    assert rows["C2"]["measured"] == {"rate": 0.05} and rows["C2"]["interval"] == {"rate": [0.04, 0.06]}
    assert rows["C2"]["revisions"][0]["old"] == "rate <= 0.2" and rows["C2"]["note"] == "demo note"
    assert rows["C2/formula"]["kind"] == "check" and rows["C2/formula"]["verdict"] == "passes"
    broken = dict(data, rows=[dict(rows["C1"], verdict="passes")])
    with pytest.raises(ValueError, match="not one of"):
        validate_artifact(broken)
    with pytest.raises(ValueError, match="lacks fields"):
        validate_artifact(dict(data, rows=[{"kind": "claim"}]))
    with pytest.raises(FileNotFoundError, match="execute the chapter"):
        read_artifact(tmp_path / "none.claims.json")


def test_a_claim_without_a_measurement_is_not_tested_with_its_reason():
    from netsim.claims import AtMost, Claim, ClaimRegistry

    reg = ClaimRegistry("s", (Claim("X", "x", "p", AtMost(1.0), null="a null"),), strict=True)
    res = reg.record("X", None, note="too few runs reached the target")
    assert res.verdict == "not tested" and "too few" in res.reason
    with pytest.raises(ValueError, match="null"):
        reg.record("X", None, null=0.5)


def test_glue_names_the_parts_of_a_multi_part_claim(monkeypatch):
    import myst_nb

    from netsim.claims import AllOf, AtLeast, AtMost, Claim, ClaimRegistry, Estimate, Measured

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: glued.__setitem__(name, value))
    reg = ClaimRegistry("s", (Claim("Y", "y", "p", AllOf((("a", AtMost(1.0)), ("b", AtLeast(0.5)))), null="n"),))
    reg.record("Y", Measured({"a": Estimate(0.2, 0.1, 0.3, "seeds"), "b": 0.9}), null={"a": 2.0})
    reg.glue()
    assert glued["Y_part1"] == 0.2 and glued["Y_part1_low"] == 0.1 and glued["Y_part1_null"] == 2.0
    assert glued["Y_part2"] == 0.9 and "Y_part2_null" not in glued and glued["Y_verdict"] == "reproduced"


def test_glue_of_a_claim_not_tested_keeps_its_names_as_nan(monkeypatch):
    import math

    import myst_nb

    from netsim.claims import AllOf, AtLeast, AtMost, Claim, ClaimRegistry

    glued = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=False: glued.__setitem__(name, value))
    reg = ClaimRegistry("s", (Claim("Y", "y", "p", AllOf((("a", AtMost(1.0)), ("b", AtLeast(0.5)))), null="n"),
                              Claim("Z", "z", "p", AtLeast(0.5), null="n")))
    reg.record("Y", None, note="too few runs")
    reg.record("Z", None, note="too few runs")
    reg.glue()
    for name in ("Y_part1", "Y_part1_low", "Y_part1_high", "Y_part1_null", "Y_part2", "Y_part2_null", "Z", "Z_low",
                 "Z_high", "Z_null"):
        assert math.isnan(glued[name]), name
    assert "Y_part3" not in glued and glued["Y_verdict"] == glued["Z_verdict"] == "not tested"
