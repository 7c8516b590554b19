import re
from pathlib import Path

import pytest

from netsim.book.lock import compare, environment_yml, normalize, read_lock

REPO = Path(__file__).resolve().parent.parent


def test_normalize():
    assert normalize("Scikit_Learn") == "scikit-learn" and normalize("jupyter.book") == "jupyter-book"
    with pytest.raises(ValueError, match="name"):
        normalize("")


def test_read_lock_and_its_errors(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\nNumPy==2.4.6\n\ntorch==2.14.1\n")
    assert read_lock(lock) == {"numpy": "2.4.6", "torch": "2.14.1"}
    lock.write_text("numpy>=2\n")
    with pytest.raises(ValueError, match=r"requirements.lock:1: not an exact pin"):
        read_lock(lock)
    with pytest.raises(FileNotFoundError, match="make lock"):
        read_lock(tmp_path / "none.lock")


def test_compare_names_every_difference():
    diff = compare({"numpy": "2.4.6", "scipy": "1.0", "gone": "1"},
                   {"numpy": "2.4.6", "scipy": "1.1", "extra": "3", "pip": "25"})
    assert diff == {"matching": ["numpy"], "mismatched": [("scipy", "1.0", "1.1")], "absent": ["gone"],
                    "unlocked": ["extra"]}


def test_environment_yml_pins_through_pip():
    text = environment_yml(["numpy==2.4.6", "torch==2.14.1"], "3.11")
    assert "  - python=3.11" in text and "      - numpy==2.4.6" in text and "      - torch==2.14.1" in text


def test_repository_lock_and_environment_agree():
    """requirements.lock, environment.yml and the Makefile's torch pins say the same versions."""
    pins = read_lock(REPO / "requirements.lock")
    assert {"torch", "torchvision", "numpy", "jupyter-book", "papermill", "pytest"} <= set(pins)
    env = dict((normalize(n), v) for n, v in re.findall(r"^\s+- ([A-Za-z0-9._-]+)==(\S+)$",
                                                          (REPO / "environment.yml").read_text(), re.M))
    assert env == pins
    make = (REPO / "Makefile").read_text()
    for name in ("torch", "torchvision"):
        assert f"{name}=={pins[name]}" in make
    assert "-c $(LOCK)" in make


def test_requirement_closure_holds_what_the_two_commands_install():
    from netsim.book.lock import requirement_closure

    needed = requirement_closure()
    assert {"torch", "numpy", "jupyter-book", "myst-nb", "sphinx", "nbval", "papermill", "ipykernel"} <= needed
    assert "netsim-compendium" not in needed and "ruff" not in needed
    with pytest.raises(ValueError, match="root"):
        requirement_closure("no-such-distribution-here")
