import json
import shutil
from pathlib import Path

import pytest

from netsim.book import site_check
from netsim.book.site_check import check_site, find_chromium, notebook_errors, parse_page
from book_fakes import make_book, notebook

CLAIMS_TABLE = "<table><tr><th></th><th>claim</th><th>verdict</th></tr><tr><th>X1</th><td>c</td><td>partly</td></tr></table>"
BOARD = ("<table><tr><th>study</th><th>id</th><th>verdict</th></tr>"
         "<tr><td>01_a</td><td>X1</td><td>partly</td></tr><tr><td>01_a</td><td>X2</td><td>passes</td></tr></table>")


def _page(body):
    return f"<html><head><title>t</title></head><body>{body}</body></html>"


def _site(tmp_path, chapter_body=None, board=BOARD, cells=(("x = 1", ()),)):
    """A tiny built book: intro, one chapter (01_a), the scoreboard, one image."""
    book = make_book(tmp_path, chapters=("01_a",), notebooks={"01_a": notebook(cells)})
    html = book / "_build" / "html"
    (html / "chapters").mkdir(parents=True)
    (html / "_images").mkdir()
    (html / "_images" / "fig.png").write_bytes(b"\x89PNG")
    (html / "intro.html").write_text(_page('<h1 id="top">Intro</h1><a href="chapters/01_a.html#results">ch</a>'
                                           '<a href="scoreboard.html">board</a><a href="https://example.org">out</a>'))
    body = chapter_body if chapter_body is not None else (
        '<section id="results"><img src="../_images/fig.png">' + CLAIMS_TABLE + '<a href="#results">here</a>'
        '<a href="../intro.html#top">up</a></section>')
    (html / "chapters" / "01_a.html").write_text(_page(body))
    (html / "scoreboard.html").write_text(_page(board))
    return book


def _check(book, **kw):
    kw.setdefault("declarations", lambda nb: ["X1", "X2"])
    return check_site(book, load=lambda p: Path(p).read_text(), screenshot=None, **kw)


def test_a_sound_site_passes(tmp_path):
    report = _check(_site(tmp_path))
    assert report.problems == []
    assert sorted(report.pages) == ["chapters/01_a.html", "intro.html", "scoreboard.html"]
    assert report.external_links == 1


def test_broken_link_missing_anchor_and_broken_image_fail(tmp_path):
    body = ('<img src="../_images/nothere.png"><a href="../gone.html">x</a><a href="../intro.html#nope">y</a>'
            + CLAIMS_TABLE)
    problems = _check(_site(tmp_path, chapter_body=body)).problems
    assert any("broken image ../_images/nothere.png" in p for p in problems)
    assert any("broken link ../gone.html" in p for p in problems)
    assert any("missing anchor #nope" in p for p in problems)
    assert any("intro.html: link chapters/01_a.html#results points to a missing anchor" in p for p in problems)


def test_chapter_without_claims_table_fails(tmp_path):
    problems = _check(_site(tmp_path, chapter_body='<p id="results">no table</p>')).problems
    assert problems == ["chapters/01_a.html: no claims table (a table with claim and verdict columns)"]


def test_error_output_in_executed_notebook_fails(tmp_path):
    error = {"output_type": "error", "ename": "ZeroDivisionError", "evalue": "division by zero", "traceback": []}
    problems = _check(_site(tmp_path, cells=(("1/0", (error,)),))).problems
    assert problems == ["01_a.ipynb: cell 0 has an error output: ZeroDivisionError: division by zero"]


def test_scoreboard_missing_a_declared_id_fails(tmp_path):
    problems = _check(_site(tmp_path), declarations=lambda nb: ["X1", "X2", "X3"]).problems
    assert problems == ["scoreboard.html: 01_a misses declared ids X3"]


def test_missing_scoreboard_and_unloadable_page_fail(tmp_path):
    book = _site(tmp_path)
    (book / "_build" / "html" / "scoreboard.html").unlink()

    def load(path):
        if path.name == "intro.html":
            raise RuntimeError("Chromium failed")
        return Path(path).read_text()

    problems = check_site(book, load=load, screenshot=None, declarations=lambda nb: ["X1"]).problems
    assert "intro.html: does not load: Chromium failed" in problems
    assert "scoreboard.html: the scoreboard page is missing from the site" in problems


def test_screenshots_of_index_scoreboard_and_chapters(tmp_path):
    book = _site(tmp_path)
    taken = []

    def shoot(page, png):
        taken.append((Path(page).name, Path(png).name))
        return png

    report = check_site(book, load=lambda p: Path(p).read_text(), screenshot=shoot, declarations=lambda nb: ["X1"])
    assert report.ok
    assert taken == [("intro.html", "index.png"), ("scoreboard.html", "scoreboard.png"),
                     ("01_a.html", "chapter-01_a.png")]


def test_no_built_site_and_no_chromium(tmp_path, monkeypatch):
    book = make_book(tmp_path)
    with pytest.raises(FileNotFoundError, match="make book"):
        _check(book)
    monkeypatch.setattr(site_check.shutil, "which", lambda name: None)
    with pytest.raises(FileNotFoundError, match="apt-get install -y chromium"):
        find_chromium()


def test_notebook_errors_reads_papermill_exception(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(notebook(exception=True)))
    assert notebook_errors(path) == ["x.ipynb: papermill recorded an exception"]
    assert "no executed notebook" in notebook_errors(tmp_path / "y.ipynb")[0]


def test_parse_page_tables_links_ids():
    page = parse_page(_page('<a name="n" href="a.html">a</a><div id="d"></div>' + BOARD))
    assert page.ids == {"n", "d"} and page.links == ["a.html"] and page.has_body
    assert page.tables[0][0] == ["study", "id", "verdict"] and len(page.tables[0][1]) == 2


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed")
def test_chromium_dom_of_a_real_page(tmp_path):
    path = tmp_path / "p.html"
    path.write_text(_page('<p id="x">hi</p><script>document.body.insertAdjacentHTML("beforeend", "<i id=js></i>")</script>'))
    page = parse_page(site_check.chromium_dom(path))
    assert {"x", "js"} <= page.ids


def test_math_left_as_raw_tex_fails(tmp_path):
    raw = '<span class="math notranslate">\\(x\\)</span>' + CLAIMS_TABLE + '<p id="results"></p>'
    problems = _check(_site(tmp_path, chapter_body=raw)).problems
    assert problems == ["chapters/01_a.html: 1 formula(s) shown as raw TeX: MathJax did not load (is it served from "
                        "the site, not from a CDN?)"]
    rendered = raw.replace("\\(x\\)", "<mjx-container>x</mjx-container>")
    assert _check(_site(tmp_path / "ok", chapter_body=rendered)).ok


def test_math_error_fails(tmp_path):
    body = '<span class="math"><mjx-container><mjx-merror>\\cancel</mjx-merror></mjx-container></span>' + CLAIMS_TABLE
    problems = _check(_site(tmp_path, chapter_body=body + '<p id="results"></p>')).problems
    assert problems == ["chapters/01_a.html: MathJax shows 1 math error(s) (bad TeX, or an extension it could not load)"]
