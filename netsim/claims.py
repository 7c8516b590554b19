"""The claims protocol: declared tests, nulls, intervals, computed verdicts, checks apart.

A chapter tests two kinds of statements:

* a **claim** is an empirical statement of a paper tested at CPU scale. It declares a test
  (a :class:`Criterion`), the paper's value, and a *null*: the same measurement where the
  effect is absent by construction. Its measured value carries an interval
  (:class:`Estimate`). The verdict is one of :data:`VERDICTS`:

  - the point value decides ``reproduced`` / ``partly`` / ``not reproduced``;
  - an interval whose ends reach different verdicts (it straddles a threshold) makes it
    ``inconclusive``;
  - a null that reaches the same verdict (at its value or anywhere in its interval) makes it
    ``inconclusive``: the test passes on its null, so passing it shows nothing;
  - a :class:`NotTested` test gives ``not tested``.

* a **check** is an exact identity, a theorem or an implementation property. Its verdict
  is ``passes`` or ``fails``; it is shown in its own table and never counts as a claim. An
  :class:`AllOf` part wrapped in :class:`Exact` is such a check: the claim's verdict comes
  from its substantive parts only, and the registry lists the exact part among the checks.

Declarations are data (:class:`Claim`, :class:`Check`, :class:`Revision`), kept in one
module per study, ``netsim/studies/<study>/claims.py``, committed before the study's
book-profile run; a test changed after results were seen carries a :class:`Revision`,
printed under the chapter's tables. :meth:`ClaimRegistry.write_artifact` writes the
machine-readable ``<notebook>.claims.json`` that the book's scoreboard reads.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

VERDICTS = ("reproduced", "partly", "inconclusive", "not reproduced", "not tested")
CHECK_VERDICTS = ("passes", "fails")
ARTIFACT_SCHEMA = "netsim.claims/1"
ARTIFACT_FIELDS = ("kind", "id", "statement", "source", "paper_value", "measured", "interval",
                   "interval_method", "null", "null_interval", "null_declared", "test", "verdict",
                   "reason", "note", "revisions")
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


# ---------------------------------------------------------------------------------
# Declarations
# ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Revision:
    """A change to a declaration after results were seen: when, what it was, what it is, why."""

    date: str
    old: str
    new: str
    why: str

    def __post_init__(self):
        try:
            _dt.date.fromisoformat(self.date)
        except (TypeError, ValueError):
            raise ValueError(f"Revision.date must be an ISO date (YYYY-MM-DD), got {self.date!r}") from None
        for name in ("old", "new", "why"):
            if not str(getattr(self, name)).strip():
                raise ValueError(f"Revision.{name} must say something")


@dataclass(frozen=True)
class Claim:
    """An empirical statement of a paper with its declared test and null.

    ``null`` describes the null measurement (the effect absent by construction); a claim
    without a meaningful null says why in a text starting with ``"none"``.
    """

    id: str
    statement: str
    paper_value: str
    test: Criterion
    source: str = ""
    null: str = ""
    revisions: tuple = ()

    kind = "claim"

    @property
    def expects_null(self) -> bool:
        return bool(self.null) and not self.null.lower().startswith("none")


@dataclass(frozen=True)
class Check:
    """An exact identity, theorem or implementation property; ``passes`` or ``fails``."""

    id: str
    statement: str
    test: Criterion
    source: str = ""
    revisions: tuple = ()

    kind = "check"


@dataclass
class Result:
    measured: Any
    verdict: str
    reason: str
    note: str = ""
    null: Any = None


# ---------------------------------------------------------------------------------
# The registry of a chapter
# ---------------------------------------------------------------------------------
def artifact_dir() -> Path:
    """Where chapters write their claims artifacts: ``$NETSIM_CHAPTERS``, else ``<repo>/book/chapters``."""
    from netsim.runtime import REPO_ROOT

    return Path(os.environ.get("NETSIM_CHAPTERS", REPO_ROOT / "book" / "chapters"))


def _jsonable(value):
    if isinstance(value, Estimate):
        return value.value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return None if math.isnan(float(value)) else float(value)
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in value]
    return None if value is None else str(value)


def _interval_of(value):
    """``[low, high]`` of an Estimate, or per part of a mapping; None where there is none."""
    if isinstance(value, Estimate):
        return [value.low, value.high]
    if isinstance(value, Mapping):
        parts = {str(k): _interval_of(v) for k, v in value.items()}
        return {k: v for k, v in parts.items() if v is not None} or None
    return None


def _method_of(value) -> str:
    if isinstance(value, Estimate):
        return value.method
    if isinstance(value, Mapping):
        return "; ".join(sorted({v.method for v in value.values() if isinstance(v, Estimate) and v.method}))
    return ""


def _show_interval(value) -> str:
    if isinstance(value, Estimate):
        return f"[{_fmt(value.low)}, {_fmt(value.high)}]" + (f" ({value.method})" if value.method else "")
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: [{_fmt(v.low)}, {_fmt(v.high)}]" for k, v in value.items() if isinstance(v, Estimate))
    return ""


def _show_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Estimate):
        return _fmt(value.value)
    if isinstance(value, Mapping):
        return str(Measured({k: _value(v) for k, v in value.items()}))
    return _fmt(value)


class ClaimRegistry:
    """Ordered claims and checks of one chapter and, once recorded, their results.

    Parameters
    ----------
    study : str
        The study's name (shown in the artifact).
    declarations : iterable of Claim or Check, optional
        Usually the study's ``claims.DECLARATIONS``.
    strict : bool
        Enforce the protocol: every claim declares a null (or says why it has none) and
        records it, and every bound or closeness test is recorded with an :class:`Estimate`.
    """

    def __init__(self, study: str, declarations: Iterable = (), strict: bool = False):
        self.study = study
        self.strict = strict
        self._rows: dict[str, Claim | Check] = {}
        self._results: dict[str, Result] = {}
        for item in declarations:
            self.add(item)

    # -- declaring ------------------------------------------------------------------
    def add(self, item: Claim | Check) -> Claim | Check:
        """Add one declaration (a :class:`Claim` or :class:`Check`)."""
        if not isinstance(item, (Claim, Check)):
            raise TypeError(f"declarations must be netsim.claims.Claim or Check, got {type(item).__name__}")
        if item.id in self._rows:
            raise ValueError(f"claim id {item.id!r} is declared twice in study {self.study!r}")
        if not isinstance(item.test, Criterion):
            raise TypeError(f"test must be a netsim.claims.Criterion, got {type(item.test).__name__}")
        if any(not isinstance(r, Revision) for r in item.revisions):
            raise TypeError(f"revisions of {item.id!r} must be netsim.claims.Revision objects")
        if isinstance(item, Check) and isinstance(item.test, (AllOf, NotTested)):
            raise TypeError(f"check {item.id!r} needs a single exact test, not {type(item.test).__name__}")
        if self.strict and isinstance(item, Claim) and not isinstance(item.test, NotTested) and not item.null:
            raise ValueError(f"claim {item.id!r} declares no null; describe the measurement without the effect, "
                             "or say why there is none in a text starting with 'none'")
        self._rows[item.id] = item
        return item

    def declare(self, id: str, statement: str, paper_value: str, test: Criterion, source: str = "",
                null: str = "", revisions: tuple = ()) -> Claim:
        """Declare a claim (see :class:`Claim`)."""
        if not isinstance(test, Criterion):
            raise TypeError(f"test must be a netsim.claims.Criterion, got {type(test).__name__}")
        return self.add(Claim(id, statement, paper_value, test, source, null, tuple(revisions)))

    def declare_check(self, id: str, statement: str, test: Criterion, source: str = "",
                      revisions: tuple = ()) -> Check:
        """Declare a check (see :class:`Check`)."""
        return self.add(Check(id, statement, test, source, tuple(revisions)))

    @property
    def claims(self) -> tuple[Claim, ...]:
        return tuple(r for r in self._rows.values() if isinstance(r, Claim))

    @property
    def checks(self) -> tuple[Check, ...]:
        return tuple(r for r in self._rows.values() if isinstance(r, Check))

    # -- recording ------------------------------------------------------------------
    def record(self, id: str, measured: Any = None, null: Any = None, note: str = "") -> Result:
        """Judge ``id`` on ``measured`` (and, for a claim, its ``null``) and store the result.

        Parameters
        ----------
        id : a declared claim or check.
        measured : number, bool, :class:`Estimate`, or for :class:`AllOf` a mapping of parts.
        null : the null measurement (same kinds as ``measured``); claims only.
        note : context shown with the reason. It must not assert a mechanism the data do not show.
        """
        if id not in self._rows:
            raise KeyError(f"claim {id!r} was not declared; declared: {list(self._rows)}")
        item = self._rows[id]
        if isinstance(item, Check):
            if null is not None:
                raise ValueError(f"{id!r} is a check; checks have no null")
            verdict, reason = item.test.evaluate(_value(measured))
            result = Result(measured, "passes" if verdict == "reproduced" else "fails", reason, note)
        else:
            if self.strict:
                self._enforce_protocol(item, measured, null)
            verdict, reason = item.test.judge(measured, null)
            result = Result(measured, verdict, reason, note, null)
        self._results[id] = result
        return result

    def _enforce_protocol(self, claim: Claim, measured, null) -> None:
        if isinstance(claim.test, NotTested):
            return
        if claim.expects_null and null is None:
            raise ValueError(f"claim {claim.id!r} declares a null ({claim.null!r}) but none was recorded")
        bounded = [(claim.id, claim.test, measured)]
        if isinstance(claim.test, AllOf):
            bounded = [(f"{claim.id}/{name}", test, measured.get(name)) for name, test in claim.test.substantive]
        for name, test, value in bounded:
            if isinstance(test, (_Bound, Close)) and not isinstance(value, Estimate):
                raise ValueError(f"claim {name!r} needs an interval: record a netsim.claims.Estimate")

    def verdict(self, id: str) -> str:
        return self._results[id].verdict

    def missing(self) -> list[str]:
        """Ids of declarations without a result (claims declared untestable excepted)."""
        return [r.id for r in self._rows.values()
                if r.id not in self._results and not isinstance(r.test, NotTested)]

    # -- rows, tables, artifact -----------------------------------------------------
    def _result(self, item) -> Result | None:
        res = self._results.get(item.id)
        if res is None and isinstance(item.test, NotTested):
            res = Result(None, *item.test.evaluate(None))
        return res

    def _exact_part_rows(self, claim: Claim, res: Result | None) -> list[dict]:
        """The :class:`Exact` parts of a multi-part claim, as check rows."""
        rows = []
        for name, test in claim.test.exact:
            value = None if res is None else res.measured.get(name)
            verdict, reason = ("missing", "") if value is None else test.evaluate(_value(value))
            rows.append(dict(kind="check", id=f"{claim.id}/{name}", statement=f"{claim.statement}: {name}",
                             source=claim.source, paper_value="", measured=_jsonable(value), interval=None,
                             interval_method="", null=None, null_interval=None, null_declared="",
                             test=test.test.describe(),
                             verdict=verdict if verdict == "missing" else ("passes" if verdict == "reproduced" else "fails"),
                             reason=reason, note="", revisions=[]))
        return rows

    def rows(self) -> list[dict]:
        """Every claim and check as a dict with the artifact's fields (:data:`ARTIFACT_FIELDS`)."""
        rows = []
        for item in self._rows.values():
            res = self._result(item)
            measured = None if res is None else res.measured
            if isinstance(item, Claim) and isinstance(item.test, AllOf):
                measured = None if measured is None else {n: measured[n] for n, _ in item.test.substantive}
            null = None if res is None else res.null
            rows.append(dict(
                kind=item.kind, id=item.id, statement=item.statement, source=item.source,
                paper_value=getattr(item, "paper_value", ""), measured=_jsonable(measured),
                interval=_interval_of(measured), interval_method=_method_of(measured),
                null=_jsonable(null), null_interval=_interval_of(null),
                null_declared=getattr(item, "null", ""), test=item.test.describe(),
                verdict="missing" if res is None else res.verdict,
                reason="" if res is None else res.reason, note="" if res is None else res.note,
                revisions=[vars(r).copy() for r in item.revisions]))
            if isinstance(item, Claim) and isinstance(item.test, AllOf):
                rows.extend(self._exact_part_rows(item, res))
        return rows

    def _display_rows(self, kind: str):
        shown = []
        for item in self._rows.values():
            res = self._result(item)
            if kind == "claim" and isinstance(item, Claim):
                measured = None if res is None else res.measured
                if isinstance(item.test, AllOf) and measured is not None:
                    measured = {n: measured[n] for n, _ in item.test.substantive}
                shown.append({
                    "id": item.id,
                    "claim": item.statement + (f" ({item.source})" if item.source else ""),
                    "paper": item.paper_value,
                    "measured here": _show_value(measured),
                    "interval": _show_interval(measured),
                    "null": _show_value(None if res is None else res.null)
                    + (f" {_show_interval(res.null)}" if res is not None and _interval_of(res.null) else ""),
                    "declared test": item.test.describe(),
                    "declared null": item.null or "not declared",
                    "verdict": "missing" if res is None else res.verdict,
                    "why": "" if res is None else res.reason + (f"; {res.note}" if res.note else ""),
                })
            elif kind == "check":
                if isinstance(item, Check):
                    shown.append({"id": item.id, "check": item.statement + (f" ({item.source})" if item.source else ""),
                                  "measured here": _show_value(None if res is None else res.measured),
                                  "declared test": item.test.describe(),
                                  "verdict": "missing" if res is None else res.verdict,
                                  "why": "" if res is None else res.reason + (f"; {res.note}" if res.note else "")})
                elif isinstance(item.test, AllOf):
                    for row in self._exact_part_rows(item, res):
                        shown.append({"id": row["id"], "check": row["statement"],
                                      "measured here": _fmt(row["measured"]) if row["measured"] is not None else "",
                                      "declared test": row["test"], "verdict": row["verdict"], "why": row["reason"]})
        return shown

    def table(self):
        """The claims table as a pandas DataFrame (one row per declared claim; checks excluded)."""
        import pandas as pd

        columns = ["id", "claim", "paper", "measured here", "interval", "null", "declared test",
                   "declared null", "verdict", "why"]
        return pd.DataFrame(self._display_rows("claim"), columns=columns).set_index("id")

    def checks_table(self):
        """The checks table: exact identities, theorems and implementation properties."""
        import pandas as pd

        columns = ["id", "check", "measured here", "declared test", "verdict", "why"]
        return pd.DataFrame(self._display_rows("check"), columns=columns).set_index("id")

    def revisions_table(self):
        """Every revision of a declaration (date, old, new, why), one row each."""
        import pandas as pd

        rows = [dict(id=item.id, date=r.date, old=r.old, new=r.new, why=r.why)
                for item in self._rows.values() for r in item.revisions]
        return pd.DataFrame(rows, columns=["id", "date", "old", "new", "why"]).set_index("id")

    def summary(self) -> dict[str, int]:
        """How many claims have each verdict, and how many checks pass and fail."""
        counts = {v: 0 for v in VERDICTS + CHECK_VERDICTS}
        for row in self.rows():
            if row["verdict"] in counts:
                counts[row["verdict"]] += 1
        return counts

    def glue(self) -> list[str]:
        """Glue every recorded scalar result for the chapter's prose (myst-nb ``{glue:text}``).

        For a result ``id``: ``id`` (the measured value), ``id_low`` / ``id_high`` (its interval),
        ``id_null`` (the null's value) and ``id_verdict``. Returns the glued names.
        """
        from myst_nb import glue

        names = []

        def put(name, value):
            value = _value(value)
            glue(name, bool(value) if isinstance(value, (bool, np.bool_)) else
                 (float(value) if isinstance(value, (int, float, np.number)) else str(value)), display=False)
            names.append(name)

        for id, res in self._results.items():
            if isinstance(res.measured, Mapping):
                continue
            if res.measured is not None:
                put(id, res.measured)
            if isinstance(res.measured, Estimate):
                put(f"{id}_low", res.measured.low)
                put(f"{id}_high", res.measured.high)
            if res.null is not None and not isinstance(res.null, Mapping):
                put(f"{id}_null", res.null)
            put(f"{id}_verdict", res.verdict)
        return names

    def artifact(self, notebook: str, profile: str | None = None) -> dict:
        """The machine-readable record of the chapter (see :func:`validate_artifact`)."""
        return {"schema": ARTIFACT_SCHEMA, "study": self.study, "notebook": notebook, "profile": profile,
                "written": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "rows": self.rows()}

    def write_artifact(self, notebook: str, profile: str | None = None, folder=None) -> Path:
        """Write ``<folder>/<notebook>.claims.json`` atomically (folder defaults to :func:`artifact_dir`).

        Raises
        ------
        ValueError
            If a declared claim or check has no result yet (a chapter must record all of them).
        """
        from netsim.cache import atomic_write

        missing = self.missing()
        if missing:
            raise ValueError(f"results missing for {missing}; record every declared claim and check first")
        data = self.artifact(notebook, profile)
        validate_artifact(data)
        target = Path(folder if folder is not None else artifact_dir()) / f"{notebook}.claims.json"
        atomic_write(target, lambda handle: handle.write(json.dumps(data, indent=1, allow_nan=False).encode()))
        return target

    def report(self, notebook: str, profile: str | None = None, folder=None):
        """Show the claims table, the checks table and the revisions, and write the artifact.

        Returns the path of the artifact (see :meth:`write_artifact`).
        """
        from IPython.display import Markdown, display

        display(Markdown("**Claims**"), self.table())
        if self.checks or any(isinstance(c.test, AllOf) and c.test.exact for c in self.claims):
            display(Markdown("**Checks** (identities, theorems and implementation properties: they do not "
                             "count as reproduced claims)"), self.checks_table())
        revisions = self.revisions_table()
        if len(revisions):
            display(Markdown("**Revisions** of the declarations after results were seen"), revisions)
        else:
            display(Markdown("No declaration was revised after results were seen."))
        return self.write_artifact(notebook, profile, folder)


def validate_artifact(data: Mapping) -> None:
    """Raise ``ValueError`` naming the problem if ``data`` is not a claims artifact."""
    if not isinstance(data, Mapping) or data.get("schema") != ARTIFACT_SCHEMA:
        raise ValueError(f"not a claims artifact: schema must be {ARTIFACT_SCHEMA!r}")
    for key in ("study", "notebook", "rows"):
        if key not in data:
            raise ValueError(f"claims artifact lacks {key!r}")
    for i, row in enumerate(data["rows"]):
        missing = [f for f in ARTIFACT_FIELDS if f not in row]
        if missing:
            raise ValueError(f"row {i} of the claims artifact lacks fields {missing}")
        allowed = (VERDICTS if row["kind"] == "claim" else CHECK_VERDICTS) if row["kind"] in ("claim", "check") else None
        if allowed is None:
            raise ValueError(f"row {i}: kind must be 'claim' or 'check', got {row['kind']!r}")
        if row["verdict"] not in allowed:
            raise ValueError(f"row {i} ({row['id']}): verdict {row['verdict']!r} is not one of {allowed}")
        for r in row["revisions"]:
            if set(r) != {"date", "old", "new", "why"}:
                raise ValueError(f"row {i} ({row['id']}): a revision needs date, old, new and why")


def read_artifact(path) -> dict:
    """Load and validate a ``<notebook>.claims.json`` file."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no claims artifact at {path}; execute the chapter first")
    data = json.loads(path.read_text())
    validate_artifact(data)
    return data


def read_artifacts(folder) -> dict[str, dict]:
    """Every ``*.claims.json`` in ``folder``, validated, by notebook name."""
    paths = sorted(Path(folder).glob("*.claims.json"))
    return {p.name[: -len(".claims.json")]: read_artifact(p) for p in paths}


if __name__ == "__main__":  # python -m netsim.claims FOLDER: validate and summarise the artifacts
    import sys

    found = read_artifacts(sys.argv[1] if len(sys.argv) > 1 else artifact_dir())
    if not found:
        sys.exit("no claims artifacts found")
    for name, data in found.items():
        counts: dict[str, int] = {}
        for row in data["rows"]:
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
        print(f"{name} ({data['profile']}): " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())))
