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


def test_killed_writer_temporaries_are_cleared(tmp_path):
    cache = ResultCache(tmp_path, "t")
    cache.folder.mkdir(parents=True)
    (cache.folder / ".k.abc.tmp").write_bytes(b"partial")
    assert cache.clear_temporaries() == 1
    assert cache.keys() == []


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
