"""The claims scoreboard: every claim and check of every chapter, read from the claims artifacts.

``python -m netsim.book.scoreboard [BOOK_DIR]`` writes ``<BOOK_DIR>/scoreboard.md`` (MyST
markdown) from ``<BOOK_DIR>/chapters/*.claims.json``. The page is generated at build time
(``make book``) and never edited by hand: one row per claim (study, id, the paper's value, the
value measured here with its interval, the null, the verdict and its reason), the counts per
verdict for each study and overall, the checks counted apart, and every chapter listed in
``_toc.yml`` that has no artifact shown as missing.
"""
from __future__ import annotations

import sys
from pathlib import Path

from netsim.book.toc import toc_chapters
from netsim.claims.artifact import read_artifacts
from netsim.claims.criteria import CHECK_VERDICTS, VERDICTS

MISSING = "no artifact"
_MARKDOWN_SPECIAL = set("\\`*_{}[]<>|$~^#&")


def escape(text) -> str:
    """``text`` as literal MyST markdown inside a table cell (specials escaped, newlines flattened)."""
    text = " ".join(str(text).split())
    return "".join("\\" + ch if ch in _MARKDOWN_SPECIAL else ch for ch in text)


def show_value(value) -> str:
    """A measured or null value for the table: numbers to 4 significant digits, parts joined."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return "; ".join(f"{name}: {show_value(v)}" for name, v in value.items())
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show_value(v) for v in value) + "]"
    return str(value)


def show_interval(interval) -> str:
    """``[low, high]`` of an interval, or an empty string when there is none."""
    if interval is None or not isinstance(interval, (list, tuple)) or len(interval) != 2:
        return ""
    return f"[{show_value(interval[0])}, {show_value(interval[1])}]"


def _with_interval(value, interval) -> str:
    shown = show_value(value)
    bounds = show_interval(interval)
    return f"{shown} {bounds}" if bounds else shown


def count_verdicts(rows, kind: str) -> dict[str, int]:
    """How many rows of ``kind`` (``"claim"`` or ``"check"``) reach each verdict.

    Every verdict of :data:`VERDICTS` (claims) or :data:`CHECK_VERDICTS` (checks) is a key, at
    zero when no row reaches it; any other verdict found (``missing``) gets its own key.
    """
    if kind not in ("claim", "check"):
        raise ValueError(f"kind must be 'claim' or 'check', got {kind!r}")
    counts = {v: 0 for v in (VERDICTS if kind == "claim" else CHECK_VERDICTS)}
    for row in rows:
        if row["kind"] == kind:
            counts[row["verdict"]] = counts.get(row["verdict"], 0) + 1
    return counts


def collect(book_dir) -> tuple[list[str], dict[str, dict]]:
    """The chapters to show (``_toc.yml`` order, then artifacts of unlisted ones) and their artifacts.

    Returns
    -------
    chapters : list of str
        Notebook names.
    artifacts : dict
        Notebook name -> validated artifact, for the chapters that have one.
    """
    book_dir = Path(book_dir)
    artifacts = read_artifacts(book_dir / "chapters") if (book_dir / "chapters").is_dir() else {}
    chapters = toc_chapters(book_dir)
    chapters += [name for name in artifacts if name not in chapters]
    return chapters, artifacts


def _link(book_dir: Path, notebook: str) -> str:
    for suffix in (".ipynb", ".md"):
        if (book_dir / "chapters" / f"{notebook}{suffix}").exists():
            return f"[{escape(notebook)}](chapters/{notebook}{suffix})"
    return escape(notebook)


def _counts_table(chapters, artifacts, book_dir) -> list[str]:
    verdicts = list(VERDICTS)
    checks = list(CHECK_VERDICTS)
    extra = sorted({r["verdict"] for a in artifacts.values() for r in a["rows"]} - set(verdicts) - set(checks))
    head = ["study", "chapter", "profile", *verdicts, *extra, "claims", "checks " + " / ".join(checks)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    total_claims = {v: 0 for v in verdicts + extra}
    total_checks = {v: 0 for v in checks}
    for name in chapters:
        data = artifacts.get(name)
        if data is None:
            cells = [MISSING, _link(book_dir, name), "—", *["—"] * (len(verdicts) + len(extra)), "—", "—"]
            lines.append("| " + " | ".join(cells) + " |")
            continue
        claims = count_verdicts(data["rows"], "claim")
        check_counts = count_verdicts(data["rows"], "check")
        for v, n in claims.items():
            total_claims[v] = total_claims.get(v, 0) + n
        for v, n in check_counts.items():
            total_checks[v] = total_checks.get(v, 0) + n
        cells = [escape(data["study"]), _link(book_dir, name), escape(data.get("profile") or "not recorded"),
                 *[str(claims.get(v, 0)) for v in verdicts + extra], str(sum(claims.values())),
                 " / ".join(str(check_counts.get(v, 0)) for v in checks)
                 + (f" ({check_counts['missing']} missing)" if check_counts.get("missing") else "")]
        lines.append("| " + " | ".join(cells) + " |")
    cells = ["**all studies**", f"{len(artifacts)} of {len(chapters)} chapters", "",
             *[f"**{total_claims.get(v, 0)}**" for v in verdicts + extra], f"**{sum(total_claims.values())}**",
             " / ".join(f"**{total_checks.get(v, 0)}**" for v in checks)]
    lines.append("| " + " | ".join(cells) + " |")
    return lines


def _claims_table(chapters, artifacts, book_dir) -> list[str]:
    head = ["study", "id", "claim", "paper", "measured [interval]", "null [interval]", "verdict", "reason"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in chapters:
        data = artifacts.get(name)
        if data is None:
            lines.append("| " + " | ".join([_link(book_dir, name), "—", MISSING, "", "", "", "missing",
                                            "the chapter wrote no claims artifact"]) + " |")
            continue
        for row in data["rows"]:
            if row["kind"] != "claim":
                continue
            claim = row["statement"] + (f" ({row['source']})" if row["source"] else "")
            cells = [_link(book_dir, name), escape(row["id"]), escape(claim), escape(row["paper_value"] or "—"),
                     escape(_with_interval(row["measured"], row["interval"])),
                     escape(_with_interval(row["null"], row["null_interval"]) if row["null"] is not None
                            else (row["null_declared"] or "—")),
                     f"**{escape(row['verdict'])}**", escape(row["reason"])]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _checks_table(chapters, artifacts, book_dir) -> list[str]:
    head = ["study", "id", "check", "measured", "declared test", "verdict", "reason"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name in chapters:
        for row in artifacts.get(name, {}).get("rows", []):
            if row["kind"] != "check":
                continue
            check = row["statement"] + (f" ({row['source']})" if row["source"] else "")
            cells = [_link(book_dir, name), escape(row["id"]), escape(check), escape(show_value(row["measured"])),
                     escape(row["test"]), f"**{escape(row['verdict'])}**", escape(row["reason"])]
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def render(book_dir) -> str:
    """The scoreboard page (MyST markdown) for the book at ``book_dir``."""
    book_dir = Path(book_dir)
    chapters, artifacts = collect(book_dir)
    missing = [name for name in chapters if name not in artifacts]
    out = ["(scoreboard)=", "# Claims scoreboard", "",
           "Every claim and check of every chapter, read from the chapters' claims artifacts "
           "(`book/chapters/<notebook>.claims.json`) when the book was built by "
           "`python -m netsim.book.scoreboard`; this page is generated, never edited by hand. "
           "A claim's verdict is one of " + ", ".join(f"*{v}*" for v in VERDICTS) + "; checks (identities, "
           "theorems and implementation properties) pass or fail and never count as reproduced claims.", ""]
    if missing:
        out += [":::{warning}", f"{len(missing)} chapter(s) listed in the book have no claims artifact: "
                + ", ".join(f"`{m}`" for m in missing) + ". Their claims are not on this page.", ":::", ""]
    out += ["## Counts per verdict", "", *_counts_table(chapters, artifacts, book_dir), "",
            "## Claims", "", *_claims_table(chapters, artifacts, book_dir), "",
            "## Checks", "", "Counted apart from the claims.", "", *_checks_table(chapters, artifacts, book_dir), ""]
    return "\n".join(out)


def write(book_dir, target=None) -> Path:
    """Write the scoreboard to ``target`` (default ``<book_dir>/scoreboard.md``); return its path."""
    book_dir = Path(book_dir)
    if not book_dir.is_dir():
        raise FileNotFoundError(f"book_dir={str(book_dir)!r} is not a folder")
    target = Path(target) if target is not None else book_dir / "scoreboard.md"
    target.write_text(render(book_dir))
    return target


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = write(argv[0] if argv else "book")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
