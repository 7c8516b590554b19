"""Tests of netsim.cache: atomic writes, corrupt entries, hashing."""

import numpy as np
import pytest

from netsim.cache import CorruptEntryWarning, ResultCache, canonical_json, config_hash


def test_hash_ignores_key_order_and_tuple_vs_list():
    a = config_hash({"x": 1, "y": (1, 2)}, version="1")
    b = config_hash({"y": [1, 2], "x": 1}, version="1")
    assert a == b
    assert config_hash({"x": 1}, version="1") != config_hash({"x": 1}, version="2")
    assert config_hash({"x": 1}) != config_hash({"x": 2})


def test_hash_rejects_non_json_values():
    with pytest.raises(TypeError, match="not JSON-serialisable"):
        config_hash({"f": object()})
    assert canonical_json({"a": np.int64(3), "b": np.float32(0.5)}) == '{"a":3,"b":0.5}'


def test_roundtrip(tmp_path):
    cache = ResultCache(tmp_path, "t")
    arrays = {"a": np.arange(6.0).reshape(2, 3), "probs/train": np.ones((2, 2), np.float32)}
    cache.save("k1", arrays, {"seconds": 1.5})
    loaded, meta = cache.load("k1")
    assert meta == {"seconds": 1.5}
    np.testing.assert_array_equal(loaded["a"], arrays["a"])
    assert loaded["probs/train"].dtype == np.float32
    assert "k1" in cache and cache.keys() == ["k1"]
    assert cache.load("missing") is None


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty"])
def test_corrupt_entry_is_reported_removed_and_recomputed(tmp_path, damage):
    cache = ResultCache(tmp_path, "t")
    path = cache.save("k", {"a": np.arange(1000.0)})
    raw = path.read_bytes()
    path.write_bytes({"truncate": raw[: len(raw) // 2], "garbage": b"not a zip" * 10, "empty": b""}[damage])
    with pytest.warns(CorruptEntryWarning, match="corrupt"):
        assert cache.load("k") is None
    assert not path.exists()
    calls = []

    def compute():
        calls.append(1)
        return {"a": np.arange(3.0)}, {"n": 3}

    arrays, meta = cache.get_or_compute("k", compute)
    assert calls == [1] and meta == {"n": 3}
    arrays, meta = cache.get_or_compute("k", compute)  # now cached
    assert calls == [1]


def test_entry_without_completion_marker_counts_as_corrupt(tmp_path):
    cache = ResultCache(tmp_path, "t")
    cache.folder.mkdir(parents=True)
    np.savez(cache.path("k"), a=np.arange(3))  # written directly, not through save()
    with pytest.warns(CorruptEntryWarning):
        assert cache.load("k") is None


def test_failed_write_leaves_no_file(tmp_path):
    cache = ResultCache(tmp_path, "t")

    class Exploding:
        def __array__(self, *args, **kwargs):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache.save("k", {"a": Exploding()})
    assert not cache.path("k").exists()
    assert [p for p in cache.folder.iterdir()] == []


def _dead_pid() -> int:
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_killed_writer_temporaries_are_cleared_live_ones_kept(tmp_path):
    import os
    import time

    from netsim.cache import _host

    cache = ResultCache(tmp_path, "t")
    cache.folder.mkdir(parents=True)
    dead = cache.folder / f".k.w-{_host()}-{_dead_pid()}.abc.tmp"  # its writer has exited
    live = cache.folder / f".j.w-{_host()}-{os.getpid()}.abc.tmp"  # this process: still writing
    other_host = cache.folder / ".i.w-elsewhere-1.abc.tmp"  # cannot be checked: kept until old
    untagged = cache.folder / ".h.abc.tmp"
    for path in (dead, live, other_host, untagged):
        path.write_bytes(b"partial")
    assert cache.clear_temporaries() == 1
    assert not dead.exists() and live.exists() and other_host.exists() and untagged.exists()
    old = time.time() - 2 * 3600
    for path in (other_host, untagged):
        os.utime(path, (old, old))
    assert cache.clear_temporaries(max_age_s=3600) == 2
    assert live.exists() and cache.keys() == []


def test_a_write_in_progress_is_tagged_with_its_writer(tmp_path):
    import os

    from netsim.cache import _host, is_stale_temporary

    cache = ResultCache(tmp_path, "t")
    seen = []

    def write(handle):
        seen.extend(p.name for p in cache.folder.glob(".*.tmp"))
        assert not is_stale_temporary(next(cache.folder.glob(".*.tmp")))
        assert cache.clear_temporaries() == 0  # another sweep's clean-up leaves it alone
        handle.write(b"x")

    from netsim.cache import atomic_write

    atomic_write(cache.path("k"), write)
    assert len(seen) == 1 and f".w-{_host()}-{os.getpid()}." in seen[0]
    assert cache.path("k").read_bytes() == b"x"


def test_bad_names_rejected(tmp_path):
    with pytest.raises(ValueError, match="namespace"):
        ResultCache(tmp_path, "../x")
    cache = ResultCache(tmp_path, "t")
    with pytest.raises(ValueError, match="key"):
        cache.path("../../etc")
    with pytest.raises(ValueError, match="reserved"):
        cache.save("k", {"__meta__": np.zeros(1)})


def test_default_root_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path / "c"))
    assert ResultCache(namespace="x").folder == tmp_path / "c" / "x"
