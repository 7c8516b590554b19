"""The chapters of the book as ``book/_toc.yml`` lists them, and the study module each one uses."""
from __future__ import annotations

import json
import re
from pathlib import Path

_STUDY_IMPORT = re.compile(r"from\s+netsim\.studies\s+import\s+(\w+)|import\s+netsim\.studies\.(\w+)")


def toc_files(book_dir) -> list[str]:
    """Every ``file:`` entry of ``<book_dir>/_toc.yml``, in reading order (root first).

    Parameters
    ----------
    book_dir : path-like
        The Jupyter Book source folder (holding ``_toc.yml``).

    Raises
    ------
    FileNotFoundError
        If ``book_dir`` has no ``_toc.yml``.
    """
    import yaml

    path = Path(book_dir) / "_toc.yml"
    if not path.exists():
        raise FileNotFoundError(f"book_dir={str(book_dir)!r} has no _toc.yml")
    toc = yaml.safe_load(path.read_text()) or {}
    files = [toc["root"]] if "root" in toc else []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(str(node["file"]))
            for key in ("parts", "chapters", "sections"):
                for child in node.get(key, []) or []:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk({k: v for k, v in toc.items() if k != "root"})
    return files


def toc_chapters(book_dir) -> list[str]:
    """Notebook names (``00_tour``, ...) of the executed chapters listed in ``_toc.yml``.

    A chapter is a ``file:`` entry under ``chapters/`` (where papermill writes the notebooks).
    """
    return [Path(f).name for f in toc_files(book_dir) if Path(f).parts[:1] == ("chapters",)]


def study_module_name(notebook) -> str | None:
    """The ``netsim.studies`` module a notebook imports first (``tour``, ...), else ``None``.

    Parameters
    ----------
    notebook : path-like
        An ``.ipynb`` file (source or executed).
    """
    path = Path(notebook)
    if not path.exists():
        return None
    cells = json.loads(path.read_text()).get("cells", [])
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        match = _STUDY_IMPORT.search("".join(cell.get("source", "")))
        if match:
            return match.group(1) or match.group(2)
    return None


def declared_ids(module_name: str) -> list[str]:
    """Ids of the claims and checks a study module declares, in declaration order.

    Uses the module's ``declare_claims()`` when it has one, else its ``DECLARATIONS``.

    Raises
    ------
    ValueError
        If ``netsim.studies.<module_name>`` declares nothing.
    """
    import importlib

    module = importlib.import_module(f"netsim.studies.{module_name}")
    if hasattr(module, "declare_claims"):
        registry = module.declare_claims()
        return [item.id for item in (*registry.claims, *registry.checks)]
    if hasattr(module, "DECLARATIONS"):
        return [item.id for item in module.DECLARATIONS]
    raise ValueError(f"module_name={module_name!r}: netsim.studies.{module_name} has neither declare_claims() "
                     "nor DECLARATIONS")
