"""The reproducibility appendix: versions, machine, commit, profiles and run times of the build.

``python -m netsim.book.appendix [BOOK_DIR] [LOCK]`` writes ``<BOOK_DIR>/appendix.md`` at build
time (``make book``): the versions of the packages that shape the numbers and the site, and
whether every package of the running environment matches ``requirements.lock``; the machine
(cores, memory, GPU or not); the git commit; each chapter's profile (from its claims artifact,
else from what the executed notebook printed), papermill parameters and execution time (from
papermill's metadata in ``book/chapters/<notebook>.ipynb``); and the result cache.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

from netsim.book.lock import compare, installed, normalize, read_lock
from netsim.book.scoreboard import escape
from netsim.book.toc import toc_chapters

KEY_PACKAGES = ("torch", "torchvision", "numpy", "scipy", "scikit-learn", "pandas", "matplotlib", "seaborn",
                "timm", "mnist1d", "POT", "curvlinops-for-pytorch", "jupyter-book", "myst-nb", "Sphinx",
                "sphinx-book-theme", "sphinxcontrib-bibtex", "papermill", "nbval", "pytest", "ipykernel")
_PROFILE_PRINTED = re.compile(r"at profile '(\w+)'")
_SEED_KNOB = re.compile(r"(\w*seed\w*)=(\([^)]*\)|[^,)]+)")


def git_commit(repo) -> str:
    """``<sha> (branch)``, with ``+ uncommitted changes`` when the work tree differs; else ``not recorded``."""
    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout.strip()

    try:
        sha = git("rev-parse", "HEAD")
        branch = git("rev-parse", "--abbrev-ref", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.CalledProcessError):
        return "not recorded (not a git checkout)"
    return f"{sha} ({branch})" + (" + uncommitted changes" if dirty else "")


def machine() -> dict[str, str]:
    """Cores, memory, platform, Python and GPU of the machine building the book."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    info = {"platform": platform.platform(), "python": sys.version.split()[0],
            "CPU cores usable": f"{cores} (of {os.cpu_count()})", "processor": _cpu_model()}
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["memory"] = f"{pages * size / 2**30:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        info["memory"] = "not recorded"
    try:
        import torch

        info["GPU"] = (", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
                       if torch.cuda.is_available() else "none (CUDA not available)")
    except ImportError:
        info["GPU"] = "not recorded (torch not importable)"
    return info


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "not recorded"


def chapter_record(book_dir, notebook: str) -> dict:
    """What the executed chapter and its artifact say about its run.

    Returns
    -------
    dict
        ``executed`` (bool), ``profile``, ``parameters``, ``duration_s`` (float or None),
        ``start``, ``errors`` (number of error outputs), ``artifact`` (its ``written`` time or
        ``None``), ``seeds`` (the seed knobs of the ``Params(...)`` the chapter printed, as text).
    """
    book_dir = Path(book_dir)
    record = {"notebook": notebook, "executed": False, "profile": "not recorded", "parameters": {},
              "duration_s": None, "start": "", "errors": 0, "artifact": None, "seeds": "not recorded"}
    artifact = book_dir / "chapters" / f"{notebook}.claims.json"
    if artifact.exists():
        data = json.loads(artifact.read_text())
        record["artifact"] = data.get("written")
        record["profile"] = data.get("profile") or record["profile"]
    path = book_dir / "chapters" / f"{notebook}.ipynb"
    if not path.exists():
        return record
    nb = json.loads(path.read_text())
    meta = nb.get("metadata", {}).get("papermill", {})
    record.update(executed=True, parameters=meta.get("parameters") or {}, duration_s=meta.get("duration"),
                  start=meta.get("start_time") or "")
    outputs = [o for c in nb.get("cells", []) for o in c.get("outputs", [])]
    record["errors"] = sum(o.get("output_type") == "error" for o in outputs)
    texts = ["".join(o.get("text", "")) or "".join(o.get("data", {}).get("text/plain", "")) for o in outputs]
    printed = next((t for t in texts if "Params(" in t), "")
    if printed:
        record["seeds"] = ", ".join(f"{k}={v}" for k, v in _SEED_KNOB.findall(printed)) or "none"
    if record["profile"] == "not recorded":
        if "profile" in record["parameters"]:
            record["profile"] = str(record["parameters"]["profile"])
        else:
            for o in outputs:
                match = _PROFILE_PRINTED.search("".join(o.get("text", "")))
                if match:
                    record["profile"] = match.group(1)
    return record


def cache_summary(cache_dir) -> str:
    """Entries in the result cache; the hit rate is not recorded by the build."""
    cache_dir = Path(cache_dir)
    if not cache_dir.is_dir():
        return f"no result cache at `{cache_dir}`; hit rate not recorded"
    parts = []
    for sub in sorted(p for p in cache_dir.iterdir() if p.is_dir()):
        n = sum(1 for f in sub.iterdir() if f.is_file())
        parts.append(f"{n} entries in `{sub.name}/`")
    return (", ".join(parts) or "empty") + (". Cache hit rate of the build: not recorded (the training and coding "
                                           "caches do not log their look-ups).")


def _package_rows(lock_pins, running) -> list[str]:
    lines = ["| package | running | requirements.lock | matches |", "|---|---|---|---|"]
    for name in KEY_PACKAGES:
        key = normalize(name)
        run, locked = running.get(key, "not installed"), lock_pins.get(key, "not locked")
        ok = "yes" if run == locked else "**no**"
        lines.append(f"| {escape(name)} | {escape(run)} | {escape(locked)} | {ok} |")
    return lines


def render(book_dir, lock="requirements.lock", repo=None, cache_dir=None) -> str:
    """The appendix page (MyST markdown) for the book at ``book_dir``."""
    from netsim.runtime import REPO_ROOT

    book_dir = Path(book_dir)
    repo = Path(repo) if repo is not None else REPO_ROOT
    cache_dir = Path(cache_dir) if cache_dir is not None else Path(os.environ.get("NETSIM_CACHE", repo / "data" / "cache"))
    running = installed()
    out = ["(appendix)=", "# Reproducibility appendix", "",
           f"Generated by `python -m netsim.book.appendix` when the book was built "
           f"({dt.datetime.now(dt.timezone.utc).isoformat(timespec='seconds')}); never edited by hand.", "",
           "## Source", "", f"- git commit: `{git_commit(repo)}`", "",
           "## Machine", ""]
    out += [f"- {k}: {escape(v)}" for k, v in machine().items()]
    out += ["", "## Packages", ""]
    try:
        pins = read_lock(lock)
    except FileNotFoundError as err:
        out += [f"**{escape(err)}**", ""]
        pins = {}
    diff = compare(pins, running) if pins else None
    if diff is not None:
        same = not (diff["mismatched"] or diff["absent"] or diff["unlocked"])
        out += [f"{len(diff['matching'])} of the {len(pins)} packages of `requirements.lock` run at their locked "
                "version" + (": the running environment matches the lock exactly." if same else "."), ""]
        if diff["mismatched"]:
            out += ["- **not at the locked version**: " + ", ".join(
                f"{escape(n)} {escape(r)} (locked {escape(v)})" for n, v, r in diff["mismatched"])]
        if diff["absent"]:
            out += ["- **locked, not installed**: " + ", ".join(escape(n) for n in diff["absent"])]
        if diff["unlocked"]:
            out += ["- **installed, not in the lock**: " + ", ".join(escape(n) for n in diff["unlocked"])]
        out += [""]
    out += _package_rows(pins, running) + ["", "## Chapters", "",
            "Profile from the chapter's claims artifact (else what the executed notebook printed); seeds are the "
            "seed knobs of the parameters the chapter printed (its profile's values unless a papermill parameter "
            "overrides them); the time is papermill's execution time of the chapter.", "",
            "| chapter | profile | seeds | papermill parameters | executed (UTC) | execution time | error outputs "
            "| claims artifact |", "|---|---|---|---|---|---|---|---|"]
    total = 0.0
    for name in toc_chapters(book_dir):
        rec = chapter_record(book_dir, name)
        if not rec["executed"]:
            out.append(f"| {escape(name)} | not executed | | | | | | |")
            continue
        total += rec["duration_s"] or 0.0
        params = ", ".join(f"{k}={v!r}" for k, v in rec["parameters"].items()) or "none (profile defaults)"
        took = f"{rec['duration_s']:.0f} s" if rec["duration_s"] is not None else "not recorded"
        out.append(f"| {escape(name)} | {escape(rec['profile'])} | {escape(rec['seeds'])} | {escape(params)} | {escape(rec['start'][:19])} | "
                   f"{took} | {rec['errors']} | {escape(rec['artifact'] or 'none')} |")
    out += ["", f"Total execution time of the chapters: {total:.0f} s ({total / 60:.1f} min).", "",
            "## Result cache", "", cache_summary(cache_dir), ""]
    return "\n".join(out)


def write(book_dir, lock="requirements.lock", target=None) -> Path:
    """Write the appendix to ``target`` (default ``<book_dir>/appendix.md``); return its path."""
    book_dir = Path(book_dir)
    if not book_dir.is_dir():
        raise FileNotFoundError(f"book_dir={str(book_dir)!r} is not a folder")
    target = Path(target) if target is not None else book_dir / "appendix.md"
    target.write_text(render(book_dir, lock))
    return target


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    path = write(argv[0] if argv else "book", argv[1] if len(argv) > 1 else "requirements.lock")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
