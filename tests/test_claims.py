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
