"""Scale-out: a 16-configuration sweep on one vs two local Dask workers, and the blocked on-disk
Bhattacharyya matrix with top-k InPCA from the store against the in-memory path.

1. **Sweep.** 16 MNIST-1D MLP runs (sequential engine, one torch thread per task) trained through
   ``netsim.zoo.train_many(executor=DaskExecutor(...))`` into a fresh cache, on a LocalCluster of one
   worker and of two; wall time of the sweep (cluster start-up excluded) and the speed-up.
2. **Pairwise at scale.** m random prediction sets (N samples, C classes): the in-memory
   ``pairwise_bhattacharyya`` + ``inpca(D, k)``, and ``pairwise_bhattacharyya_store`` (tiles of 2048
   on a memory-mapped .npy) + ``inpca_from_store(path, k)``; times, the largest difference of the
   matrices and of the top-k eigenvalues.

Run with ``make bench`` or ``python benchmarks/bench_scale.py [--m 20000] [--n 64] [--skip-sweep]``.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def sweep_seconds(n_workers: int, root: Path, runs: int = 16) -> float:
    import distributed

    from netsim.cache import ResultCache
    from netsim.cluster import DaskExecutor, local_cluster
    from netsim.train import TrainConfig
    from netsim.zoo import train_many

    configs = [TrainConfig(model="mlp", epochs=30, lr=0.02, batch_size=64, seed=s, num_checkpoints=2,
                           eval_train_size=200, eval_test_size=200) for s in range(runs)]
    cluster = local_cluster(n_workers=n_workers, threads=1)
    with distributed.Client(cluster) as client:
        client.run(lambda: __import__("torch").ones(1))  # workers have imported torch before the clock starts
        start = time.perf_counter()
        train_many(configs, cache=ResultCache(root / f"workers{n_workers}", "trajectories"),
                   executor=DaskExecutor(client, engine="sequential"), progress=False)
        seconds = time.perf_counter() - start
    cluster.close()
    return seconds


def pairwise_at_scale(m: int, n: int, c: int, k: int, root: Path) -> dict:
    from netsim.metrics import inpca, pairwise_bhattacharyya
    from netsim.metrics.ondisk import inpca_from_store, pairwise_bhattacharyya_store

    P = np.random.default_rng(0).dirichlet(np.ones(c) * 0.5, size=(m, n))
    out = {}
    start = time.perf_counter()
    path = pairwise_bhattacharyya_store(P, root / "D.npy", progress=False)
    out["store: pairwise"] = time.perf_counter() - start
    start = time.perf_counter()
    on_disk = inpca_from_store(path, k)
    out["store: top-k InPCA"] = time.perf_counter() - start
    start = time.perf_counter()
    D = pairwise_bhattacharyya(P)
    out["memory: pairwise"] = time.perf_counter() - start
    start = time.perf_counter()
    in_memory = inpca(D, n_components=k)
    out["memory: top-k InPCA"] = time.perf_counter() - start
    stored = np.load(path, mmap_mode="r")
    out["max |D_store - D_memory|"] = max(float(np.abs(stored[i:i + 2048] - D[i:i + 2048]).max())
                                          for i in range(0, m, 2048))
    out["max relative eigenvalue difference"] = float(np.max(np.abs(on_disk.eigenvalues - in_memory.eigenvalues)
                                                             / np.abs(in_memory.eigenvalues)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--m", type=int, default=20000, help="models of the pairwise benchmark")
    parser.add_argument("--n", type=int, default=64, help="samples per model")
    parser.add_argument("--c", type=int, default=10, help="classes")
    parser.add_argument("--k", type=int, default=10, help="InPCA components")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-pairwise", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="netsim-bench-scale-") as tmp:
        root = Path(tmp)
        if not args.skip_sweep:
            one, two = sweep_seconds(1, root), sweep_seconds(2, root)
            print(f"16-run sweep on a LocalCluster: 1 worker {one:.1f} s, 2 workers {two:.1f} s, "
                  f"speed-up {one / two:.2f}x")
        if not args.skip_pairwise:
            result = pairwise_at_scale(args.m, args.n, args.c, args.k, root)
            print(f"pairwise Bhattacharyya at m = {args.m}, N = {args.n}, C = {args.c}, top {args.k} InPCA:")
            for name, value in result.items():
                print(f"  {name}: {value:.3g}" + (" s" if name.startswith(("store", "memory")) else ""))


if __name__ == "__main__":
    main()
