from netsim.book import appendix
from book_fakes import artifact, make_book, notebook, row


def _book(tmp_path):
    printed = {"output_type": "stream", "name": "stdout", "text": "chapter computed in 3.0 s at profile 'smoke'\n"}
    params = {"output_type": "stream", "name": "stdout",
              "text": "Params(profile='book', seeds=2, widths=(1, 2), tube_seeds=(0, 1), lr=0.1)\n"}
    nbs = {"01_a": notebook(cells=(("P", (params,)),), duration=61.0, parameters={"seeds": 2}),
           "02_b": notebook(cells=(("x", (printed,)),))}
    arts = {"01_a": artifact("01_a", [row("A1")], profile="book")}
    return make_book(tmp_path, chapters=("01_a", "02_b", "03_c"), artifacts=arts, notebooks=nbs)


def test_chapter_record_reads_papermill_and_artifact(tmp_path):
    book = _book(tmp_path)
    a = appendix.chapter_record(book, "01_a")
    assert a["executed"] and a["duration_s"] == 61.0 and a["profile"] == "book" and a["parameters"] == {"seeds": 2}
    assert a["artifact"] == "2026-12-02T00:00:00+00:00" and a["errors"] == 0
    assert a["seeds"] == "seeds=2, tube_seeds=(0, 1)"
    assert appendix.chapter_record(book, "02_b")["profile"] == "smoke"  # printed by the chapter
    assert appendix.chapter_record(book, "02_b")["seeds"] == "not recorded"
    assert not appendix.chapter_record(book, "03_c")["executed"]


def test_render_lists_chapters_times_and_lock_mismatches(tmp_path):
    book = _book(tmp_path)
    lock = tmp_path / "requirements.lock"
    lock.write_text("numpy==0.0.1\nno-such-package==1.0\n")
    text = appendix.render(book, lock=lock, repo=tmp_path, cache_dir=tmp_path / "cache")
    assert "| 01\\_a | book | seeds=2, tube\\_seeds=(0, 1) | seeds=2 |" in text and "61 s" in text
    assert "| 03\\_c | not executed |" in text
    assert "**not at the locked version**: numpy" in text and "**locked, not installed**: no-such-package" in text
    assert "not recorded (not a git checkout)" in text
    assert "hit rate not recorded" in text
    assert "| numpy |" in text and "| **no** |" in text


def test_render_without_lock_says_so(tmp_path):
    text = appendix.render(_book(tmp_path), lock=tmp_path / "missing.lock", repo=tmp_path)
    assert "run \\`make lock\\`" in text


def test_machine_and_cache(tmp_path):
    info = appendix.machine()
    assert {"CPU cores usable", "GPU", "python", "memory"} <= set(info)
    (tmp_path / "trajectories").mkdir()
    (tmp_path / "trajectories" / "a.npz").write_bytes(b"")
    assert appendix.cache_summary(tmp_path).startswith("1 entries in `trajectories/`")
