"""Check the built book in a real browser: ``python -m netsim.book.site_check [BOOK_DIR]``.

Headless Chromium (Debian's ``chromium``) loads every page of ``<BOOK_DIR>/_build/html``
(``--dump-dom``) and the check fails, naming each problem, on:

* a page that does not load (Chromium fails or returns no ``<body>``);
* a broken image, or an internal link (or its ``#fragment``) that leads nowhere;
* math left as raw TeX (MathJax did not load, e.g. because it comes from a CDN and the machine is offline);
* a chapter of ``_toc.yml`` whose executed notebook (``<BOOK_DIR>/chapters/<nb>.ipynb``) has an
  error output, or whose page has no claims table (a table with ``claim`` and ``verdict`` columns);
* a scoreboard (``scoreboard.html``) that misses a claim or check id its study declares
  (``declare_claims()`` or ``DECLARATIONS`` of the ``netsim.studies`` module the chapter imports).

Screenshots of the index, the scoreboard and each chapter go to ``<BOOK_DIR>/_build/screenshots/``.
The page analysis is pure (HTML text in, problems out), so it is tested without a browser.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from netsim.book.toc import declared_ids, study_module_name, toc_chapters, toc_files

CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run")
EXTERNAL_SCHEMES = ("http", "https", "mailto", "javascript", "tel", "ftp")


# ----------------------------------------------------------------------------------------
# The browser
# ----------------------------------------------------------------------------------------
def find_chromium() -> str:
    """Path of the Chromium executable.

    Raises
    ------
    FileNotFoundError
        If none is on ``PATH``, saying what to install.
    """
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise FileNotFoundError("no Chromium on PATH: install Debian's package with "
                            "'apt-get update && apt-get install -y chromium' (as root), or run `make site-check`")


def _run_chromium(chromium: str, args: list[str], timeout: float) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="netsim-chromium-") as profile:
        cmd = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def chromium_dom(path, chromium: str | None = None, timeout: float = 90) -> str:
    """The DOM of the local page ``path`` after Chromium loaded it (``--dump-dom``).

    Raises
    ------
    RuntimeError
        If Chromium exits with an error or times out.
    """
    chromium = chromium or find_chromium()
    url = Path(path).resolve().as_uri()
    try:
        done = _run_chromium(chromium, ["--virtual-time-budget=5000", "--dump-dom", url], timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Chromium did not load {url} within {timeout} s") from None
    if done.returncode != 0:
        raise RuntimeError(f"Chromium failed on {url} (exit {done.returncode}): {done.stderr.strip()[-500:]}")
    return done.stdout


def chromium_screenshot(path, png, chromium: str | None = None, size=(1280, 1800), timeout: float = 90) -> Path:
    """Save a ``size`` (width, height) screenshot of the local page ``path`` to ``png``."""
    chromium = chromium or find_chromium()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    done = _run_chromium(chromium, ["--hide-scrollbars", "--virtual-time-budget=5000",
                                    f"--window-size={size[0]},{size[1]}", f"--screenshot={png.resolve()}",
                                    Path(path).resolve().as_uri()], timeout)
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"Chromium could not screenshot {path} (exit {done.returncode}): "
                           f"{done.stderr.strip()[-500:]}")
    return png


# ----------------------------------------------------------------------------------------
# Pages (pure)
# ----------------------------------------------------------------------------------------
@dataclass
class Page:
    """What the check reads from one page's DOM."""

    ids: set = field(default_factory=set)
    links: list = field(default_factory=list)
    images: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    has_body: bool = False
    math: int = 0
    math_rendered: int = 0
    math_errors: int = 0


def parse_page(html: str) -> Page:
    """Element ids, link targets, image sources and tables (headers, rows of cell texts) of ``html``."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    page = Page(has_body=soup.body is not None)
    page.math = len(soup.select(".math"))
    page.math_errors = len(soup.find_all("mjx-merror"))
    page.math_rendered = len(soup.find_all(["mjx-container", "mjx-math"])) + len(soup.select(".MathJax, .MathJax_Display"))
    page.ids = {tag["id"] for tag in soup.find_all(id=True)} | {tag["name"] for tag in soup.find_all("a", attrs={"name": True})}
    page.links = [a["href"] for a in soup.find_all("a", href=True)]
    page.images = [img.get("src", "") for img in soup.find_all("img")]
    for table in soup.find_all("table"):
        rows = [[cell.get_text(" ", strip=True) for cell in tr.find_all(["th", "td"])] for tr in table.find_all("tr")]
        header = rows[0] if rows else []
        page.tables.append(([h.lower() for h in header], rows[1:]))
    return page


def _is_external(url: str) -> bool:
    return urlsplit(url).scheme.lower() in EXTERNAL_SCHEMES or url.startswith("//")


def resolve_target(site_dir: Path, page_path: Path, url: str) -> tuple[Path | None, str]:
    """The local file and fragment a relative ``url`` on ``page_path`` points to (``None`` if external)."""
    if _is_external(url) or url.startswith("data:"):
        return None, ""
    parts = urlsplit(url)
    if parts.scheme == "file":
        target = Path(unquote(parts.path))
    elif not parts.path:
        target = page_path
    else:
        target = (page_path.parent / unquote(parts.path)).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def check_links(site_dir, page_path, page: Page, ids_of) -> list[str]:
    """Problems with the internal links and images of one page.

    Parameters
    ----------
    site_dir : path-like
        The built site's root (``_build/html``); links leaving it are broken.
    page_path : path-like
        The page's file.
    page : Page
        Its parsed DOM.
    ids_of : callable
        ``ids_of(path) -> set`` of element ids of another page of the site (for ``#fragments``).
    """
    site_dir, page_path = Path(site_dir).resolve(), Path(page_path).resolve()
    name = page_path.relative_to(site_dir).as_posix()
    problems = []
    for src in page.images:
        if not src:
            problems.append(f"{name}: an image without src")
            continue
        if _is_external(src):
            problems.append(f"{name}: image {src} is not part of the site (it needs the network)")
            continue
        target, _ = resolve_target(site_dir, page_path, src)
        if target is not None and not target.is_file():
            problems.append(f"{name}: broken image {src}")
    for href in page.links:
        target, fragment = resolve_target(site_dir, page_path, href)
        if target is None:
            continue
        if site_dir not in target.parents and target != site_dir:
            problems.append(f"{name}: link {href} leaves the site")
        elif not target.is_file():
            problems.append(f"{name}: broken link {href}")
        elif fragment and target.suffix == ".html":
            ids = page.ids if target == page_path else ids_of(target)
            if fragment not in ids:
                problems.append(f"{name}: link {href} points to a missing anchor #{fragment}")
    return problems


def check_math(name: str, page: Page) -> list[str]:
    """A problem when the page has math that MathJax left as raw TeX (MathJax did not load)."""
    if page.math and not page.math_rendered:
        return [f"{name}: {page.math} formula(s) shown as raw TeX: MathJax did not load (is it served from the site, "
                "not from a CDN?)"]
    if page.math_errors:
        return [f"{name}: MathJax shows {page.math_errors} math error(s) (bad TeX, or an extension it could not load)"]
    return []


def has_claims_table(page: Page) -> bool:
    """Whether the page shows a claims table (columns ``claim`` and ``verdict``)."""
    return any("claim" in header and "verdict" in header for header, _ in page.tables)


def scoreboard_ids(page: Page) -> set[tuple[str, str]]:
    """(study, id) of every row of the scoreboard's tables with ``study`` and ``id`` columns."""
    found = set()
    for header, rows in page.tables:
        if "study" in header and "id" in header:
            s, i = header.index("study"), header.index("id")
            found |= {(row[s], row[i]) for row in rows if len(row) > max(s, i)}
    return found


def notebook_errors(path) -> list[str]:
    """One line per error output (and papermill exception) of an executed notebook."""
    path = Path(path)
    if not path.exists():
        return [f"{path.name}: no executed notebook at {path}"]
    nb = json.loads(path.read_text())
    problems = []
    for index, cell in enumerate(nb.get("cells", [])):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append(f"{path.name}: cell {index} has an error output: {out.get('ename')}: "
                                f"{str(out.get('evalue'))[:200]}")
    if nb.get("metadata", {}).get("papermill", {}).get("exception"):
        problems.append(f"{path.name}: papermill recorded an exception")
    return problems


# ----------------------------------------------------------------------------------------
# The site
# ----------------------------------------------------------------------------------------
@dataclass
class Report:
    """Outcome of :func:`check_site`."""

    pages: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    screenshots: list = field(default_factory=list)
    external_links: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def site_pages(site_dir) -> list[Path]:
    """Every HTML page of the built site (folders starting with ``_`` hold assets and are left out)."""
    site_dir = Path(site_dir)
    return sorted(p for p in site_dir.rglob("*.html")
                  if not any(part.startswith("_") for part in p.relative_to(site_dir).parts[:-1]))


def check_site(book_dir, load=chromium_dom, screenshot=chromium_screenshot, declarations=None) -> Report:
    """Load and check every page of ``<book_dir>/_build/html``.

    Parameters
    ----------
    book_dir : path-like
        The Jupyter Book source folder (``_toc.yml``, ``chapters/``, ``_build/html``).
    load : callable
        ``load(path) -> html`` of a page as the browser has it (default: Chromium's DOM).
    screenshot : callable or None
        ``screenshot(path, png)``; ``None`` takes none.
    declarations : callable, optional
        ``declarations(notebook) -> list of ids`` the chapter's study declares (default: from the
        ``netsim.studies`` module its notebook imports).
    """
    book_dir = Path(book_dir)
    site = (book_dir / "_build" / "html").resolve()
    if not site.is_dir():
        raise FileNotFoundError(f"no built site at {site}; run `make book` (or `make html`) first")
    report, parsed = Report(), {}

    for path in site_pages(site):
        name = path.relative_to(site).as_posix()
        report.pages.append(name)
        try:
            page = parse_page(load(path))
        except (RuntimeError, OSError) as err:
            report.problems.append(f"{name}: does not load: {err}")
            continue
        if not page.has_body:
            report.problems.append(f"{name}: does not load: no <body> in the DOM")
        parsed[path] = page

    def ids_of(path):
        if path not in parsed:
            parsed[path] = parse_page(Path(path).read_text(errors="replace"))
        return parsed[path].ids

    for path, page in list(parsed.items()):
        report.problems += check_links(site, path, page, ids_of)
        report.problems += check_math(path.relative_to(site).as_posix(), page)
        report.external_links += sum(_is_external(h) for h in page.links)

    report.problems += _check_chapters(book_dir, site, parsed, declarations or _declared)
    if screenshot is not None:
        report.screenshots, problems = _screenshots(book_dir, site, screenshot)
        report.problems += problems
    return report


def _declared(book_dir: Path, notebook: str) -> list[str]:
    from netsim.runtime import REPO_ROOT

    for source in (book_dir / "chapters" / f"{notebook}.ipynb", REPO_ROOT / "notebooks" / f"{notebook}.ipynb"):
        module = study_module_name(source)
        if module:
            return declared_ids(module)
    raise ValueError(f"chapter {notebook!r} imports no netsim.studies module, so it declares no claims")


def _check_chapters(book_dir: Path, site: Path, parsed: dict, declarations) -> list[str]:
    problems = []
    board_path = site / "scoreboard.html"
    board = parsed.get(board_path)
    if board is None:
        problems.append("scoreboard.html: the scoreboard page is missing from the site")
    on_board = scoreboard_ids(board) if board is not None else set()
    for notebook in toc_chapters(book_dir):
        page = parsed.get(site / "chapters" / f"{notebook}.html")
        if page is None:
            problems.append(f"chapters/{notebook}.html: the chapter's page is missing from the site")
        elif not has_claims_table(page):
            problems.append(f"chapters/{notebook}.html: no claims table (a table with claim and verdict columns)")
        problems += notebook_errors(book_dir / "chapters" / f"{notebook}.ipynb")
        if board is None:
            continue
        try:
            ids = declarations(book_dir, notebook) if declarations is _declared else declarations(notebook)
        except (ValueError, ImportError) as err:
            problems.append(f"scoreboard.html: {err}")
            continue
        absent = [i for i in ids if (notebook, i) not in on_board]
        if absent:
            problems.append(f"scoreboard.html: {notebook} misses declared ids {', '.join(absent)}")
    return problems


def _screenshots(book_dir: Path, site: Path, screenshot) -> tuple[list, list]:
    shots, problems = [], []
    root = toc_files(book_dir)[0]
    targets = [("index", site / f"{root}.html"), ("scoreboard", site / "scoreboard.html")]
    targets += [(f"chapter-{nb}", site / "chapters" / f"{nb}.html") for nb in toc_chapters(book_dir)]
    folder = book_dir / "_build" / "screenshots"
    for label, page in targets:
        if not page.exists():
            continue
        try:
            shots.append(screenshot(page, folder / f"{label}.png"))
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as err:
            problems.append(f"{page.relative_to(site).as_posix()}: no screenshot: {err}")
    return shots, problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    book_dir = Path(argv[0] if argv else "book")
    find_chromium()
    report = check_site(book_dir)
    print(f"site check: {len(report.pages)} pages loaded in Chromium, {len(report.screenshots)} screenshots in "
          f"{book_dir / '_build' / 'screenshots'}, {report.external_links} external links not followed")
    for problem in report.problems:
        print(f"  FAIL {problem}")
    print(f"site check: {'passed' if report.ok else f'{len(report.problems)} problem(s)'}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
