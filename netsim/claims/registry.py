"""The registry of a chapter: records results, judges them, renders the tables, writes the artifact."""
from __future__ import annotations

import datetime as _dt
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from netsim.claims.artifact import ARTIFACT_SCHEMA, artifact_dir, validate_artifact
from netsim.claims.criteria import (CHECK_VERDICTS, VERDICTS, AllOf, Close, Criterion, Estimate, Measured,
                                    NotTested, _Bound, _fmt, _value)
from netsim.claims.declarations import Check, Claim, Revision

@dataclass
class Result:
    measured: Any
    verdict: str
    reason: str
    note: str = ""
    null: Any = None


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


def _show_value(value) -> str:
    """A jsonable measured or null value (number, bool, text, or mapping of parts) for a table cell."""
    if value is None:
        return ""
    if isinstance(value, Mapping):
        return str(Measured(value))
    return _fmt(value)


def _show_interval(interval, method: str = "") -> str:
    """``[low, high]`` (or one per part) and how it was obtained, for a table cell."""
    if interval is None:
        return ""
    if isinstance(interval, Mapping):
        text = "; ".join(f"{k}: [{_fmt(lo)}, {_fmt(hi)}]" for k, (lo, hi) in interval.items())
    else:
        text = f"[{_fmt(interval[0])}, {_fmt(interval[1])}]"
    return text + (f" ({method})" if method else "")


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
        measured : number, bool, :class:`Estimate`, or for :class:`AllOf` a mapping of parts;
            ``None`` for a claim this run could not measure: the verdict is ``not tested`` and
            ``note`` (required in practice) is its reason.
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
        elif measured is None:  # the run could not measure it (say why in the note)
            if null is not None:
                raise ValueError(f"{id!r} has no measurement but a null was given")
            result = Result(None, "not tested", note or "not measured in this run", "")
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
                             interval_method="", null=None, null_interval=None, null_method="", null_declared="",
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
                null=_jsonable(null), null_interval=_interval_of(null), null_method=_method_of(null),
                null_declared=getattr(item, "null", ""), test=item.test.describe(),
                verdict="missing" if res is None else res.verdict,
                reason="" if res is None else res.reason, note="" if res is None else res.note,
                revisions=[vars(r).copy() for r in item.revisions]))
            if isinstance(item, Claim) and isinstance(item.test, AllOf):
                rows.extend(self._exact_part_rows(item, res))
        return rows

    def _display_rows(self, kind: str) -> list[dict]:
        """Rows of the claims (``kind="claim"``) or checks table, formatted from :meth:`rows`."""
        shown = []
        for row in self.rows():
            if row["kind"] != kind:
                continue
            why = row["reason"] + (f"; {row['note']}" if row["note"] else "")
            label = row["statement"] + (f" ({row['source']})" if row["source"] else "")
            if kind == "claim":
                null = _show_value(row["null"])
                if row["null_interval"] is not None:
                    null += " " + _show_interval(row["null_interval"], row["null_method"])
                shown.append({"id": row["id"], "claim": label, "paper": row["paper_value"],
                              "measured here": _show_value(row["measured"]),
                              "interval": _show_interval(row["interval"], row["interval_method"]),
                              "null": null, "declared test": row["test"],
                              "declared null": row["null_declared"] or "not declared",
                              "verdict": row["verdict"], "why": why})
            else:
                shown.append({"id": row["id"], "check": label, "measured here": _show_value(row["measured"]),
                              "declared test": row["test"], "verdict": row["verdict"], "why": why})
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
        ``id_null`` (the null's value) and ``id_verdict``; for a multi-part claim, each numeric part
        ``k`` (1-based, in the order measured) as ``id_partk`` with ``_low``, ``_high`` and ``_null``.
        A claim recorded as not tested glues the same names as NaN (its declared parts), so a chapter's
        text reads names that exist at every profile. Returns the glued names.
        """
        from myst_nb import glue

        names = []

        def put(name, value):
            value = _value(value)
            glue(name, bool(value) if isinstance(value, (bool, np.bool_)) else
                 (float(value) if isinstance(value, (int, float, np.number)) else str(value)), display=False)
            names.append(name)

        def put_numeric(name, value):
            if isinstance(value, (bool, np.bool_, int, float, np.number, Estimate)):
                put(name, value)

        for id, res in self._results.items():
            if isinstance(res.measured, Mapping):
                nulls = res.null if isinstance(res.null, Mapping) else {}
                for k, (part, value) in enumerate(res.measured.items(), start=1):
                    put_numeric(f"{id}_part{k}", value)
                    if isinstance(value, Estimate):
                        put(f"{id}_part{k}_low", value.low)
                        put(f"{id}_part{k}_high", value.high)
                    if part in nulls:
                        put_numeric(f"{id}_part{k}_null", nulls[part])
                put(f"{id}_verdict", res.verdict)
                continue
            if res.measured is None:  # not tested: the prose's names exist at every profile, as NaN
                item = self._rows[id]
                test = getattr(item, "test", None)
                stems = ([f"{id}_part{k}" for k in range(1, len(test.parts) + 1)] if isinstance(test, AllOf)
                         else [id])
                for stem in stems:
                    for suffix in ("", "_low", "_high", "_null"):
                        put(stem + suffix, float("nan"))
                put(f"{id}_verdict", res.verdict)
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
