"""netsim.metrics.ondisk: the blocked on-disk Bhattacharyya matrix and InPCA from it, at small m,
against the in-memory path."""
import json

import numpy as np
import pytest

import netsim.metrics.ondisk as ondisk
from netsim.metrics import inpca, pairwise_bhattacharyya


def predictions(m=37, n=11, c=4, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(c) * 0.7, size=(m, n))


def test_store_equals_the_in_memory_matrix_for_blocks_that_do_not_divide_m(tmp_path):
    P = predictions()
    for block in (5, 16, 37, 64):
        path = ondisk.pairwise_bhattacharyya_store(P, tmp_path / f"d{block}.npy", block=block, progress=False)
        D = np.load(path, mmap_mode="r")
        np.testing.assert_allclose(D, pairwise_bhattacharyya(P), rtol=0, atol=1e-13)
        assert np.all(np.diag(D) == 0) and np.array_equal(D, D.T)
    assert not list(tmp_path.glob("*.partial.*"))


def test_an_interrupted_store_resumes_from_its_finished_tiles(tmp_path, monkeypatch):
    P = predictions(m=40)
    calls = []
    real = ondisk._tile

    def failing(rows, cols, diagonal):
        calls.append(1)
        if len(calls) == 20:
            raise KeyboardInterrupt
        return real(rows, cols, diagonal)

    monkeypatch.setattr(ondisk, "_tile", failing)
    path = tmp_path / "d.npy"
    with pytest.raises(KeyboardInterrupt):
        ondisk.pairwise_bhattacharyya_store(P, path, block=4, progress=False)  # 55 tiles
    assert not path.exists()  # never a partial file under the final name
    ledger = json.loads(path.with_suffix(".partial.json").read_text())
    assert len(ledger["done"]) == 16  # the ledger lags the written tiles (flushed every 8)
    calls.clear()
    monkeypatch.setattr(ondisk, "_tile", lambda *a: (calls.append(1), real(*a))[1])
    ondisk.pairwise_bhattacharyya_store(P, path, block=4, progress=False)
    assert len(calls) == 55 - 16
    np.testing.assert_allclose(np.load(path), pairwise_bhattacharyya(P), rtol=0, atol=1e-13)
    calls.clear()
    other = predictions(m=40, seed=1)  # a stale ledger of other predictions is not reused
    monkeypatch.setattr(ondisk, "_tile", failing)
    with pytest.raises(KeyboardInterrupt):
        ondisk.pairwise_bhattacharyya_store(other, tmp_path / "e.npy", block=4, progress=False)
    calls.clear()
    monkeypatch.setattr(ondisk, "_tile", real)
    ondisk.pairwise_bhattacharyya_store(P, tmp_path / "e.npy", block=4, progress=False)
    np.testing.assert_allclose(np.load(tmp_path / "e.npy"), pairwise_bhattacharyya(P), rtol=0, atol=1e-13)


def test_inpca_from_the_store_matches_the_in_memory_top_k(tmp_path):
    P = predictions(m=90, n=15, c=5)
    path = ondisk.pairwise_bhattacharyya_store(P, tmp_path / "d.npy", block=32, progress=False)
    D = np.load(path)
    reference = inpca(D, n_components=6)
    for block in (7, 90, 1000):
        emb = ondisk.inpca_from_store(path, 6, block=block)
        np.testing.assert_allclose(emb.eigenvalues, reference.eigenvalues, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(emb.coords, reference.coords, rtol=0, atol=1e-8)
        np.testing.assert_allclose(emb.row_means, D.mean(1), rtol=1e-12)
        assert emb.total_sq == pytest.approx(reference.total_sq, rel=1e-12)
        assert emb.dropped_sq == pytest.approx(reference.dropped_sq, rel=1e-8)


def test_clear_errors(tmp_path):
    P = predictions(m=8)
    with pytest.raises(ValueError, match="block"):
        ondisk.pairwise_bhattacharyya_store(P, tmp_path / "d.npy", block=0)
    with pytest.raises(ValueError, match=".npy"):
        ondisk.pairwise_bhattacharyya_store(P, tmp_path / "d.zarr")
    with pytest.raises(ValueError, match="shape"):
        ondisk.pairwise_bhattacharyya_store(P[0], tmp_path / "d.npy")
    bad = P.copy()
    bad[3, 2] = [0.5, 0.5, 0.5, 0.5]
    with pytest.raises(ValueError, match="P"):
        ondisk.pairwise_bhattacharyya_store(bad, tmp_path / "bad.npy", block=4, progress=False)
    assert not list(tmp_path.glob("bad*"))  # refused before anything was written
    path = ondisk.pairwise_bhattacharyya_store(P, tmp_path / "d.npy", block=4, progress=False)
    with pytest.raises(ValueError, match="n_components"):
        ondisk.inpca_from_store(path, 8)
    with pytest.raises(ValueError, match="exists with shape"):
        ondisk.pairwise_bhattacharyya_store(predictions(m=9), path)
