"""Measured values (:class:`Estimate`) and the declared decision rules (criteria) that judge them."""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

VERDICTS = ("reproduced", "partly", "inconclusive", "not reproduced", "not tested")
CHECK_VERDICTS = ("passes", "fails")
_RANK = {"not reproduced": 0, "partly": 1, "reproduced": 2}


def _fmt(value: Any) -> str:
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)) or (isinstance(value, float) and value.is_integer() and abs(value) < 1e6):
        return f"{value:g}"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.4g}"
    return str(value)



# ---------------------------------------------------------------------------------
# Measured values
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    """A measured number with its interval.

    Parameters
    ----------
    value : the point estimate (what the verdict is computed from).
    low, high : the interval's ends, ``low <= high``.
    method : how the interval was obtained, e.g. ``"95% bootstrap over 1000 test samples"``
        or ``"min-max over 3 seeds"``.
    """

    value: float
    low: float
    high: float
    method: str = ""

    def __post_init__(self):
        for name in ("value", "low", "high"):
            number = float(getattr(self, name))
            if math.isnan(number):
                raise ValueError(f"Estimate.{name} is NaN")
            object.__setattr__(self, name, number)
        if self.low > self.high:
            raise ValueError(f"Estimate needs low <= high, got low={self.low!r} > high={self.high!r}")

    def __float__(self):
        return self.value

    @property
    def interval(self) -> tuple[float, float]:
        return (self.low, self.high)

    def __str__(self):
        return f"{_fmt(self.value)} [{_fmt(self.low)}, {_fmt(self.high)}]"


def _value(measured):
    return measured.value if isinstance(measured, Estimate) else measured


def _interval(measured):
    return measured.interval if isinstance(measured, Estimate) else None


class Measured(dict):
    """The measured parts of a multi-part claim (values or :class:`Estimate`); prints compactly."""

    def __str__(self):
        def show(v):
            if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
                return str(v)
            return f"{v:.3g}"
        return "; ".join(f"{k} = {show(v)}" for k, v in self.items())


# ---------------------------------------------------------------------------------
# Criteria: declared decision rules
# ---------------------------------------------------------------------------------
class Criterion:
    """A declared decision rule.

    ``evaluate(value) -> (verdict, reason)`` decides on a point value; :meth:`judge` adds the
    protocol's interval and null rules on top.
    """

    def describe(self) -> str:
        raise NotImplementedError

    def evaluate(self, measured) -> tuple[str, str]:
        raise NotImplementedError

    def reachable(self, low: float, high: float) -> set[str]:
        """Verdicts the point rule gives somewhere on ``[low, high]`` (monotone rules: the ends)."""
        return {self.evaluate(low)[0], self.evaluate(high)[0]}

    def judge(self, measured, null=None) -> tuple[str, str]:
        """Verdict and reason of ``measured`` (a value or :class:`Estimate`) against its ``null``.

        Parameters
        ----------
        measured : number, bool or Estimate
        null : number, bool, Estimate or None
            The same measurement where the effect is absent by construction.
        """
        verdict, reason = self.evaluate(_value(measured))
        if verdict not in _RANK:
            return verdict, reason
        problems = []
        interval = _interval(measured)
        if interval is not None:
            ends = self.reachable(*interval)
            if len(ends) > 1:
                problems.append(f"its interval [{_fmt(interval[0])}, {_fmt(interval[1])}] straddles a "
                                f"threshold ({' / '.join(sorted(ends, key=_RANK.get, reverse=True))})")
        if null is not None and verdict != "not reproduced":
            null_verdicts = {self.evaluate(_value(null))[0]}
            if _interval(null) is not None:
                null_verdicts |= self.reachable(*_interval(null))
            best = max(null_verdicts, key=lambda v: _RANK.get(v, -1))
            if _RANK.get(best, -1) >= _RANK[verdict]:
                problems.append(f"the test passes on its null (null = {null} reaches '{best}')")
        if problems:
            return "inconclusive", f"{reason}, but " + " and ".join(problems)
        return verdict, reason

    @staticmethod
    def _number(measured) -> float:
        value = float(_value(measured))
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

    def reachable(self, low, high):
        # The gap |x - target| is not monotone in x: its extremes on [low, high] decide.
        nearest = min(max(self.target, low), high)
        farthest = low if abs(low - self.target) >= abs(high - self.target) else high
        return {self.evaluate(nearest)[0], self.evaluate(farthest)[0]}


@dataclass(frozen=True)
class IsTrue(Criterion):
    """A boolean property; ``condition`` says in words what must hold."""

    condition: str

    def describe(self):
        return self.condition

    def evaluate(self, measured):
        measured = _value(measured)
        if not isinstance(measured, (bool, np.bool_)):
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


@dataclass(frozen=True)
class Exact(Criterion):
    """Marks a part of :class:`AllOf` as exact (an identity or theorem): a check, never counted."""

    test: Criterion

    def describe(self):
        return self.test.describe() + " (exact: a check)"

    def evaluate(self, measured):
        return self.test.evaluate(measured)


@dataclass(frozen=True)
class AllOf(Criterion):
    """A claim with several parts, each with its own declared test.

    Only the substantive parts (those not wrapped in :class:`Exact`) decide: reproduced when
    every one is, inconclusive when any one is, not reproduced when none is reproduced or
    partly, partly otherwise. Exact parts are reported as checks by the registry.

    ``parts`` is a tuple of ``(name, Criterion)``; the measured value is a mapping from
    part name to a value or :class:`Estimate`, and so is the null (parts without a null
    are left out of it).
    """

    parts: tuple

    def __post_init__(self):
        if not self.substantive:
            raise ValueError("AllOf needs at least one part that is not Exact; an all-exact "
                             "statement is a check (ClaimRegistry.declare_check)")

    @property
    def substantive(self) -> tuple:
        return tuple((name, test) for name, test in self.parts if not isinstance(test, Exact))

    @property
    def exact(self) -> tuple:
        return tuple((name, test) for name, test in self.parts if isinstance(test, Exact))

    def describe(self):
        return "; ".join(f"{name}: {test.describe()}" for name, test in self.parts)

    def evaluate(self, measured):
        return self.judge(measured)

    def judge(self, measured, null=None):
        names = [name for name, _ in self.parts]
        if not isinstance(measured, Mapping):
            raise TypeError(f"AllOf expects a mapping of part -> value, got {type(measured).__name__}")
        missing = [name for name in names if name not in measured]
        if missing:
            raise ValueError(f"measured values missing for parts {missing}")
        null = null or {}
        unknown = sorted(set(null) - {name for name, _ in self.substantive})
        if unknown:
            raise ValueError(f"null given for parts {unknown}, which are not substantive parts of this claim")
        results = {name: test.judge(measured[name], null.get(name)) for name, test in self.substantive}
        verdicts = [verdict for verdict, _ in results.values()]
        bad = "; ".join(f"{k}: {why}" for k, (verdict, why) in results.items() if verdict != "reproduced")
        if all(v == "reproduced" for v in verdicts):
            return "reproduced", f"all {len(verdicts)} substantive parts hold"
        if "inconclusive" in verdicts:
            return "inconclusive", bad
        some = any(v in ("reproduced", "partly") for v in verdicts)
        return ("partly" if some else "not reproduced"), bad
