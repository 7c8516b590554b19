"""Tests of netsim.profiles: resolution order profile -> $NETSIM_PROFILE -> book."""
import pytest

from netsim.profiles import current_profile, resolve

TABLE = {"smoke": {"epochs": 1, "seeds": 1}, "book": {"epochs": 10, "seeds": 2}, "paper": {"epochs": 100, "seeds": 10}}


def test_default_is_book(monkeypatch):
    monkeypatch.delenv("NETSIM_PROFILE", raising=False)
    p = resolve(TABLE, None, epochs=None, seeds=None)
    assert p.profile == "book" and p.epochs == 10 and p["seeds"] == 2


def test_environment_then_explicit(monkeypatch):
    monkeypatch.setenv("NETSIM_PROFILE", "smoke")
    assert resolve(TABLE, None).epochs == 1
    assert resolve(TABLE, "paper").epochs == 100  # explicit profile wins over the environment


def test_explicit_knob_overrides_profile(monkeypatch):
    monkeypatch.delenv("NETSIM_PROFILE", raising=False)
    p = resolve(TABLE, "smoke", epochs=3, seeds=None)
    assert (p.epochs, p.seeds) == (3, 1)
    assert dict(p) == {"epochs": 3, "seeds": 1}


def test_errors_name_the_problem(monkeypatch):
    with pytest.raises(ValueError, match="profile must be one of"):
        resolve(TABLE, "huge")
    monkeypatch.setenv("NETSIM_PROFILE", "tiny")
    with pytest.raises(ValueError, match="NETSIM_PROFILE"):
        current_profile()
    with pytest.raises(ValueError, match="unknown parameters \\['epoch'\\]"):
        resolve(TABLE, "book", epoch=3)
    with pytest.raises(ValueError, match="missing \\['paper'\\]"):
        resolve({"smoke": {}, "book": {}}, "book")
    with pytest.raises(AttributeError, match="no parameter"):
        resolve(TABLE, "book").lr
