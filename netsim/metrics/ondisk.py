"""Pairwise distances larger than memory: a blocked Bhattacharyya matrix on disk, and InPCA from it.

For m models the (m, m) float64 matrix takes 8 m^2 bytes (m = 150,000 checkpoints: 180 GB).
:func:`pairwise_bhattacharyya_store` computes it block by block (``block`` x ``block`` tiles on and
above the diagonal, each one call of :func:`netsim.metrics.pairwise_bhattacharyya`) into a
memory-mapped ``.npy`` file, on this machine or as tasks of a Dask cluster (``client``), the
client writing every tile it gets back; :func:`inpca_from_store` finds InPCA's top k components
by Lanczos iteration (``scipy.sparse.linalg.eigsh``) whose mat-vecs read the matrix one row block
at a time, so neither step holds more than a few blocks in memory.

The store is written under ``<path>.partial.npy`` with a ``<path>.partial.json`` ledger of the
finished tiles and renamed to ``path`` when complete, so an interrupted computation resumes from
its finished tiles and a file under the final name is always whole.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import scipy.sparse.linalg

from netsim.metrics.embedding import InPCA, _inpca_of_eigenpairs, lanczos_start
from netsim.metrics.predictions import pairwise_bhattacharyya

DEFAULT_BLOCK = 2048
"""Tile side: a (2048, 2048) float64 tile is 32 MB."""


def _tiles(m: int, block: int) -> list[tuple[int, int]]:
    starts = range(0, m, block)
    return [(i, j) for i in starts for j in starts if j >= i]


def _fingerprint(P, block: int) -> str:
    """Shape, tile size and a hash of the first and last model's predictions (a resumed store
    must belong to the same predictions)."""
    h = hashlib.sha256(repr((tuple(P.shape), block)).encode())
    h.update(np.ascontiguousarray(P[0], dtype=np.float64).tobytes())
    h.update(np.ascontiguousarray(P[-1], dtype=np.float64).tobytes())
    return h.hexdigest()[:20]


def _tile(P_rows, P_cols, diagonal: bool) -> np.ndarray:
    """One tile of distances (a diagonal tile through the symmetric path: exact zero diagonal)."""
    return pairwise_bhattacharyya(P_rows) if diagonal else pairwise_bhattacharyya(P_rows, Q=P_cols)


def pairwise_bhattacharyya_store(P, path, *, block: int = DEFAULT_BLOCK, client=None,
                                 progress: bool = True) -> Path:
    """All pairwise Bhattacharyya distances of ``P`` written tile by tile to a ``.npy`` file.

    Parameters
    ----------
    P : array_like, shape (m, N, C)
        Predictions of m models on the same N samples; a numpy array or a memory map (only two
        row blocks are read at a time).
    path : str or Path
        The ``.npy`` file to write (its folder is created).
    block : int
        Tile side (rows and columns per tile).
    client : distributed.Client, optional
        Compute the tiles as tasks of this Dask cluster (each row block of ``P`` is scattered to it
        once; the tiles come back to this process, which writes them). ``None``: in this process.
    progress : bool
        Show a progress bar over the tiles.

    Returns
    -------
    Path of the complete store; ``np.load(path, mmap_mode="r")`` reads it without loading it whole.
    It equals ``pairwise_bhattacharyya(P)`` to round-off.
    """
    from tqdm.auto import tqdm

    if not isinstance(block, int) or block < 1:
        raise ValueError(f"block must be a positive int, got {block!r}")
    if len(getattr(P, "shape", ())) != 3:
        raise ValueError(f"P must have shape (m, N, C); got {getattr(P, 'shape', type(P).__name__)}")
    path = Path(path)
    if path.suffix != ".npy":
        raise ValueError(f"path must name a .npy file, got {path}")
    if path.exists():
        stored = np.load(path, mmap_mode="r")
        if stored.shape == (len(P), len(P)):
            return path
        raise ValueError(f"{path} exists with shape {stored.shape}, not ({len(P)}, {len(P)}); remove it first")
    from netsim.metrics._validation import check_probabilities

    for start in range(0, len(P), block):  # one pass before any file is written: a bad row fails here
        check_probabilities("P", np.asarray(P[start:start + block], dtype=np.float64), ("m", "N", "C"))
    path.parent.mkdir(parents=True, exist_ok=True)
    m = len(P)
    partial, ledger = path.with_suffix(".partial.npy"), path.with_suffix(".partial.json")
    fingerprint = _fingerprint(P, block)
    done = set()
    if partial.exists() and ledger.exists():
        state = json.loads(ledger.read_text())
        if state.get("fingerprint") == fingerprint:
            done = {tuple(t) for t in state["done"]}
    if not done:
        np.lib.format.open_memmap(partial, mode="w+", dtype=np.float64, shape=(m, m)).flush()
    out = np.load(partial, mmap_mode="r+")
    tiles = _tiles(m, block)
    todo = [t for t in tiles if t not in done]

    def write(tile, values):
        i, j = tile
        out[i:i + block, j:j + block] = values
        if i != j:
            out[j:j + block, i:i + block] = values.T
        done.add(tile)
        if len(done) % 8 == 0 or len(done) == len(tiles):  # the ledger lags the tiles, never leads
            out.flush()
            _write_ledger(ledger, fingerprint, done)

    bar = tqdm(total=len(todo), desc="distance tiles", disable=not progress or not todo)
    rows = lambda i: np.asarray(P[i:i + block], dtype=np.float64)  # noqa: E731
    if client is None:
        for tile in todo:
            write(tile, _tile(rows(tile[0]), rows(tile[1]), tile[0] == tile[1]))
            bar.update(1)
    else:
        from distributed import as_completed

        # each row block travels to the cluster once (scattered), not once per tile that needs it
        starts = sorted({i for t in todo for i in t})
        scattered = {i: client.scatter(rows(i)) for i in starts}
        futures = {client.submit(_tile, scattered[i], scattered[j], i == j, pure=False): (i, j) for i, j in todo}
        try:
            for future in as_completed(futures):
                write(futures[future], future.result())
                future.release()
                bar.update(1)
        finally:
            client.cancel([f for f in futures if not f.done()])
            client.cancel(list(scattered.values()))
    bar.close()
    out.flush()
    _write_ledger(ledger, fingerprint, done)
    out = None  # close the memory map before the rename
    os.replace(partial, path)
    ledger.unlink(missing_ok=True)
    return path


def _write_ledger(ledger: Path, fingerprint: str, done) -> None:
    from netsim.cache import atomic_write

    text = json.dumps({"fingerprint": fingerprint, "done": sorted(done)}).encode()
    atomic_write(ledger, lambda handle: handle.write(text))


def _row_blocks(m: int, block: int):
    return [slice(i, min(i + block, m)) for i in range(0, m, block)]


def inpca_from_store(path, n_components: int, *, block: int = 1024) -> InPCA:
    """InPCA's top ``n_components`` (by magnitude) of the distance matrix stored at ``path``.

    The double-centred matrix W = -L D L / 2 (eq. 2.2.6) is never formed: with r the row means of
    D and g their mean, ``W v = -(D v - r (1.v) - 1 (r.v) + g 1 (1.v)) / 2``, and ``D v`` reads D
    ``block`` rows at a time from the memory map. Two more blocked passes give r and
    ``sum W^2`` (the dropped variance). Lanczos starts from :func:`inpca`'s seeded vector, so the
    result matches ``inpca(np.load(path), n_components)`` to the solver's tolerance.

    Parameters
    ----------
    path : str or Path
        A store of :func:`pairwise_bhattacharyya_store` (or any symmetric (m, m) ``.npy`` with zero
        diagonal).
    n_components : int
        k, with 1 <= k < m.
    block : int
        Rows read per step (``block * m * 8`` bytes in memory).

    Returns
    -------
    InPCA
    """
    D = np.load(path, mmap_mode="r")
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"the store at {path} must hold a square matrix, got shape {D.shape}")
    m = D.shape[0]
    if not isinstance(n_components, (int, np.integer)) or not 1 <= n_components < m:
        raise ValueError(f"n_components must be an int in [1, {m - 1}], got {n_components!r}")
    blocks = _row_blocks(m, block)
    row_means = np.empty(m)
    for rows in blocks:
        chunk = np.asarray(D[rows])
        if not np.isfinite(chunk).all():
            raise ValueError(f"the store at {path} has NaN or infinite values in rows {rows.start}-{rows.stop - 1}")
        row_means[rows] = chunk.mean(axis=1)
    grand = float(row_means.mean())
    total_sq = 0.0
    for rows in blocks:
        W = -0.5 * (np.asarray(D[rows]) - row_means[rows, None] - row_means[None, :] + grand)
        total_sq += float(np.sum(W * W))

    def matmat(V):
        V = np.asarray(V, dtype=np.float64).reshape(m, -1)
        DV = np.empty_like(V)
        for rows in blocks:
            DV[rows] = np.asarray(D[rows]) @ V
        ones_v, r_v = V.sum(axis=0), row_means @ V
        return -0.5 * (DV - row_means[:, None] * ones_v - r_v[None, :] + grand * ones_v)

    operator = scipy.sparse.linalg.LinearOperator((m, m), matvec=matmat, matmat=matmat, dtype=np.float64)
    values, vectors = scipy.sparse.linalg.eigsh(operator, k=int(n_components), which="LM", v0=lanczos_start(m))
    return _inpca_of_eigenpairs(values, vectors, int(n_components), total_sq, row_means, grand,
                                every_eigenvalue=False)
