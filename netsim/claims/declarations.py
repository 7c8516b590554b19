"""Declarations: claims, checks and the revisions of a declaration after results were seen."""
from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from netsim.claims.criteria import Criterion

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
