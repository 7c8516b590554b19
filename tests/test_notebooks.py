"""Structural checks of the study notebooks (their execution is checked by nbval in `make test`)."""
import ast
import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_follows_the_profile_convention(path):
    nb = json.loads(path.read_text())
    tagged = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, "papermill needs exactly one cell tagged 'parameters'"
    tree = ast.parse("".join(tagged[0]["source"]))
    assigned = {t.id: node.value for node in tree.body if isinstance(node, ast.Assign) for t in node.targets}
    assert "profile" in assigned
    not_none = [name for name, value in assigned.items()
                if not (isinstance(value, ast.Constant) and value.value is None)]
    assert not_none == [], f"knobs must default to None and be resolved from the profile: {not_none}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebooks_carry_no_outputs(path):
    nb = json.loads(path.read_text())
    with_outputs = [i for i, c in enumerate(nb["cells"]) if c.get("outputs")]
    assert with_outputs == [], "strip outputs before committing; executed chapters live in book/chapters"
    assert any("claims" in "".join(c["source"]) for c in nb["cells"]), "each chapter ends with its claims table"
