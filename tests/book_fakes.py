"""Small fake books for the tests of netsim.book: a _toc.yml, claims artifacts, executed notebooks."""
import json
from pathlib import Path

from netsim.claims.artifact import ARTIFACT_FIELDS, ARTIFACT_SCHEMA


def row(id, kind="claim", verdict="reproduced", **fields):
    """One artifact row with every field of the schema."""
    out = {f: "" for f in ARTIFACT_FIELDS}
    out.update(kind=kind, id=id, statement=f"statement of {id}", measured=0.5, interval=None, null=None,
               null_interval=None, verdict=verdict, reason=f"why {id}", revisions=[], paper_value="0.5")
    out.update(fields)
    return out


def artifact(notebook, rows, study=None, profile="book"):
    return {"schema": ARTIFACT_SCHEMA, "study": study or notebook, "notebook": notebook, "profile": profile,
            "written": "2026-12-02T00:00:00+00:00", "rows": rows}


def notebook(cells=(), duration=12.5, parameters=None, exception=None):
    """An executed notebook: ``cells`` is a list of (source, outputs)."""
    return {"cells": [{"cell_type": "code", "source": src, "outputs": list(outs), "metadata": {}} for src, outs in cells],
            "metadata": {"papermill": {"duration": duration, "parameters": parameters or {},
                                       "start_time": "2026-12-02T00:00:00+00:00", "exception": exception}},
            "nbformat": 4, "nbformat_minor": 5}


def make_book(tmp_path, chapters=("01_a", "02_b"), artifacts=None, notebooks=None) -> Path:
    """A book folder whose _toc.yml lists ``chapters`` under chapters/, with the given artifacts/notebooks."""
    book = Path(tmp_path) / "book"
    (book / "chapters").mkdir(parents=True)
    toc = ["format: jb-book", "root: intro", "parts:", "  - caption: Studies", "    chapters:"]
    toc += [f"      - file: chapters/{c}" for c in chapters]
    toc += ["  - caption: Back matter", "    chapters:", "      - file: scoreboard"]
    (book / "_toc.yml").write_text("\n".join(toc) + "\n")
    (book / "intro.md").write_text("# Intro\n")
    for name, data in (artifacts or {}).items():
        (book / "chapters" / f"{name}.claims.json").write_text(json.dumps(data))
    for name, data in (notebooks or {}).items():
        (book / "chapters" / f"{name}.ipynb").write_text(json.dumps(data))
    return book
