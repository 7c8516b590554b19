"""Claims registry: each paper claim, its declared test, the measured value, a computed verdict.

A study declares its claims in code (id, the paper's statement and number, a test object)
before any result exists. The notebook records measured values; the verdict comes from the
declared test, never from typed text. :meth:`ClaimRegistry.table` renders the chapter's
closing table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

VERDICTS = ("reproduced", "partly", "not reproduced", "not tested")


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int,)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return f"{value:g}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class Criterion:
    """A declared decision rule: ``evaluate(measured) -> (verdict, reason)``."""

    def describe(self) -> str:
        raise NotImplementedError

    def evaluate(self, measured) -> tuple[str, str]:
        raise NotImplementedError

    @staticmethod
    def _number(measured) -> float:
        value = float(measured)
        if math.isnan(value):
            raise ValueError("measured value is NaN; a verdict needs a number")
        return value


@dataclass(frozen=True)
class _Bound(Criterion):
    """Reproduced if the measured value is on the right side of ``threshold``;
    partly if it is on the right side of ``partly`` (when given)."""

    threshold: float
    partly: float | None = None
    _symbol = ">="

    def _holds(self, value: float, bound: float) -> bool:
        return value >= bound if self._symbol == ">=" else value <= bound

    def describe(self):
        extra = f" (partly if {self._symbol} {_fmt(self.partly)})" if self.partly is not None else ""
        return f"measured {self._symbol} {_fmt(self.threshold)}{extra}"

    def evaluate(self, measured):
        value = self._number(measured)
        if self._holds(value, self.threshold):
            return "reproduced", f"{_fmt(value)} {self._symbol} {_fmt(self.threshold)}"
        if self.partly is not None and self._holds(value, self.partly):
            return "partly", f"{_fmt(value)} misses {_fmt(self.threshold)} but is {self._symbol} {_fmt(self.partly)}"
        bound = self.partly if self.partly is not None else self.threshold
        return "not reproduced", f"{_fmt(value)} is not {self._symbol} {_fmt(bound)}"


class AtLeast(_Bound):
    """Reproduced if ``measured >= threshold``; partly if ``>= partly`` (when given)."""

    _symbol = ">="


class AtMost(_Bound):
    """Reproduced if ``measured <= threshold``; partly if ``<= partly`` (when given)."""

    _symbol = "<="


@dataclass(frozen=True)
class Close(Criterion):
    """Reproduced if ``|measured - target| <= tol``; partly if within ``partly_tol``."""

    target: float
    tol: float
    partly_tol: float | None = None

    def describe(self):
        extra = f" (partly within {_fmt(self.partly_tol)})" if self.partly_tol is not None else ""
        return f"|measured - {_fmt(self.target)}| <= {_fmt(self.tol)}{extra}"

    def evaluate(self, measured):
        value = self._number(measured)
        gap = abs(value - self.target)
        if gap <= self.tol:
            return "reproduced", f"{_fmt(value)} is within {_fmt(self.tol)} of {_fmt(self.target)}"
        if self.partly_tol is not None and gap <= self.partly_tol:
            return "partly", f"{_fmt(value)} is {_fmt(gap)} from {_fmt(self.target)} (within {_fmt(self.partly_tol)})"
        return "not reproduced", f"{_fmt(value)} is {_fmt(gap)} from {_fmt(self.target)}"


@dataclass(frozen=True)
class IsTrue(Criterion):
    """A boolean property; ``condition`` says in words what must hold."""

    condition: str

    def describe(self):
        return self.condition

    def evaluate(self, measured):
        if not isinstance(measured, (bool,)) and type(measured).__name__ != "bool_":
            raise TypeError(f"IsTrue expects a bool, got {type(measured).__name__}")
        return ("reproduced", "holds") if bool(measured) else ("not reproduced", "does not hold")


@dataclass(frozen=True)
class NotTested(Criterion):
    """A claim the CPU-scale analog cannot test; ``reason`` says why."""

    reason: str

    def describe(self):
        return "not testable here: " + self.reason

    def evaluate(self, measured):
        return "not tested", self.reason


class Measured(dict):
    """The measured parts of a multi-part claim; prints compactly in the claims table."""

    def __str__(self):
        return "; ".join(f"{k} = {v}" if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)) else f"{k} = {v:.3g}"
                         for k, v in self.items())


@dataclass(frozen=True)
class AllOf(Criterion):
    """A claim with several parts, each with its own declared test: reproduced when every part
    is, not reproduced when none is (not even partly), partly otherwise."""

    parts: tuple

    def describe(self):
        return "; ".join(f"{name}: {test.describe()}" for name, test in self.parts)

    def evaluate(self, measured):
        names = [name for name, _ in self.parts]
        missing = [name for name in names if name not in measured]
        if missing:
            raise ValueError(f"measured values missing for parts {missing}")
        results = {name: test.evaluate(measured[name]) for name, test in self.parts}
        bad = {name: why for name, (verdict, why) in results.items() if verdict != "reproduced"}
        if not bad:
            return "reproduced", f"all {len(names)} parts hold"
        some = any(verdict in ("reproduced", "partly") for verdict, _ in results.values())
        return ("partly" if some else "not reproduced"), "; ".join(f"{k}: {v}" for k, v in bad.items())


@dataclass(frozen=True)
class Claim:
    id: str
    statement: str
    paper_value: str
    test: Criterion
    source: str = ""


@dataclass
class Result:
    measured: Any
    verdict: str
    reason: str
    note: str = ""


class ClaimRegistry:
    """Ordered claims of one study and, once recorded, their results."""

    def __init__(self, study: str):
        self.study = study
        self._claims: dict[str, Claim] = {}
        self._results: dict[str, Result] = {}

    def declare(self, id: str, statement: str, paper_value: str, test: Criterion, source: str = "") -> Claim:
        if id in self._claims:
            raise ValueError(f"claim id {id!r} is declared twice in study {self.study!r}")
        if not isinstance(test, Criterion):
            raise TypeError(f"test must be a netsim.claims.Criterion, got {type(test).__name__}")
        claim = Claim(id, statement, paper_value, test, source)
        self._claims[id] = claim
        return claim

    @property
    def claims(self) -> tuple[Claim, ...]:
        return tuple(self._claims.values())

    def record(self, id: str, measured: Any = None, note: str = "") -> Result:
        """Evaluate claim ``id`` on ``measured`` with its declared test and store the result."""
        if id not in self._claims:
            raise KeyError(f"claim {id!r} was not declared; declared: {list(self._claims)}")
        verdict, reason = self._claims[id].test.evaluate(measured)
        result = Result(measured, verdict, reason, note)
        self._results[id] = result
        return result

    def verdict(self, id: str) -> str:
        return self._results[id].verdict

    def table(self):
        """The claims table as a pandas DataFrame (one row per declared claim)."""
        import pandas as pd

        rows = []
        for claim in self.claims:
            res = self._results.get(claim.id)
            if res is None and isinstance(claim.test, NotTested):
                res = Result(None, *claim.test.evaluate(None))
            why = "" if res is None else (res.reason + (f"; {res.note}" if res.note else ""))
            rows.append({
                "id": claim.id,
                "claim": claim.statement + (f" ({claim.source})" if claim.source else ""),
                "paper": claim.paper_value,
                "measured here": "" if res is None or res.measured is None else _fmt(res.measured),
                "declared test": claim.test.describe(),
                "verdict": "missing" if res is None else res.verdict,
                "why": why,
            })
        return pd.DataFrame(rows).set_index("id")

    def missing(self) -> list[str]:
        """Ids of declared claims without a result (and not declared untestable)."""
        return [c.id for c in self.claims if c.id not in self._results and not isinstance(c.test, NotTested)]
