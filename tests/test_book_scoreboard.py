import json

import pytest
from markdown_it import MarkdownIt

from netsim.book import scoreboard
from netsim.book.site_check import parse_page, scoreboard_ids
from book_fakes import artifact, make_book, row


def _book(tmp_path):
    a = artifact("01_a", [row("A1"), row("A2", verdict="inconclusive"), row("A3", verdict="not reproduced"),
                          row("K1", kind="check", verdict="passes"), row("K2", kind="check", verdict="fails")],
                 study="study a")
    return make_book(tmp_path, chapters=("01_a", "02_b"), artifacts={"01_a": a})


def _table(text, heading):
    """Rows (lists of cells) of the first table after ``## heading``."""
    lines = text.split(f"## {heading}\n", 1)[1].splitlines()
    end = next((i for i, line in enumerate(lines) if line.startswith("## ")), len(lines))
    table = [line for line in lines[:end] if line.startswith("|")]
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table[2:]]


def test_counts_per_verdict_per_study_and_overall(tmp_path):
    text = scoreboard.render(_book(tmp_path))
    rows = _table(text, "Counts per verdict")
    study_a = next(r for r in rows if r[0] == "study a")
    # reproduced, partly, inconclusive, not reproduced, not tested, claims, checks passes / fails
    assert study_a[3:] == ["1", "0", "1", "1", "0", "3", "1 / 1"]
    overall = next(r for r in rows if "all studies" in r[0])
    assert overall[1] == "1 of 2 chapters" and overall[-2] == "**3**"


def test_chapter_without_artifact_shows_as_missing(tmp_path):
    text = scoreboard.render(_book(tmp_path))
    assert "02\\_b" in text and "no artifact" in text
    assert ":::{warning}" in text
    claims = _table(text, "Claims")
    assert any(r[0] == "02\\_b" and r[-2] == "missing" for r in claims)


def test_every_claim_and_check_is_one_row_and_checks_are_apart(tmp_path):
    text = scoreboard.render(_book(tmp_path))
    claims = [r[1] for r in _table(text, "Claims") if r[1] != "—"]
    checks = [r[1] for r in _table(text, "Checks")]
    assert claims == ["A1", "A2", "A3"] and checks == ["K1", "K2"]


def test_cells_with_markdown_specials_keep_the_table_intact(tmp_path):
    a = artifact("01_a", [row("A1", statement="max |D - d| over $x_1$ * 2", measured={"p": 0.1, "q": 2.0},
                              interval=[0.01, 0.2], null=0.3, null_interval=[0.2, 0.4])])
    book = make_book(tmp_path, chapters=("01_a",), artifacts={"01_a": a})
    text = scoreboard.render(book)
    html = MarkdownIt("commonmark").enable("table").render(text)
    page = parse_page(html)
    assert ("01_a", "A1") in scoreboard_ids(page)
    claims = next(rows for header, rows in page.tables if "claim" in header)
    assert "max |D - d| over $x_1$ * 2" in claims[0][2]
    assert claims[0][4] == "p: 0.1; q: 2 [0.01, 0.2]" and claims[0][5] == "0.3 [0.2, 0.4]"


def test_rendered_scoreboard_lists_ids_the_site_check_reads(tmp_path):
    html = MarkdownIt("commonmark").enable("table").render(scoreboard.render(_book(tmp_path)))
    ids = scoreboard_ids(parse_page(html))
    assert {("01_a", i) for i in ("A1", "A2", "A3", "K1", "K2")} <= ids


def test_invalid_artifact_is_refused(tmp_path):
    book = make_book(tmp_path, chapters=("01_a",))
    (book / "chapters" / "01_a.claims.json").write_text(json.dumps({"schema": "other"}))
    with pytest.raises(ValueError, match="not a claims artifact"):
        scoreboard.render(book)


def test_write_and_bad_arguments(tmp_path):
    book = _book(tmp_path)
    assert scoreboard.write(book).read_text().startswith("(scoreboard)=")
    with pytest.raises(FileNotFoundError, match="book_dir"):
        scoreboard.write(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="kind"):
        scoreboard.count_verdicts([], "claims")


def test_show_value_formats():
    assert scoreboard.show_value(None) == "—"
    assert scoreboard.show_value(0.123456) == "0.1235"
    assert scoreboard.show_value(True) == "yes"
    assert scoreboard.show_interval([1, 2.5]) == "[1, 2.5]"
    assert scoreboard.show_interval(None) == ""
    assert scoreboard.escape("a|b\n c") == "a\\|b c"
