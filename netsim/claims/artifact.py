"""The machine-readable record of a chapter, ``<notebook>.claims.json``: location, schema, reading."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from netsim.claims.criteria import CHECK_VERDICTS, VERDICTS

ARTIFACT_SCHEMA = "netsim.claims/1"
ARTIFACT_FIELDS = ("kind", "id", "statement", "source", "paper_value", "measured", "interval",
                   "interval_method", "null", "null_interval", "null_method", "null_declared", "test", "verdict",
                   "reason", "note", "revisions")


def artifact_dir() -> Path:
    """Where chapters write their claims artifacts: ``$NETSIM_CHAPTERS``, else ``<repo>/book/chapters``."""
    from netsim.runtime import REPO_ROOT

    return Path(os.environ.get("NETSIM_CHAPTERS", REPO_ROOT / "book" / "chapters"))


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
