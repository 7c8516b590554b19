"""Benchmark of the metrics hot paths: pairwise Bhattacharyya distances and InPCA.

Run ``python benchmarks/bench_core.py`` (``--quick`` for a small smoke run). It times

1. ``pairwise_bhattacharyya`` on m models x N samples x C classes of random Dirichlet
   probabilities against a plain per-pair numpy loop; the loop runs on a random subset
   of pairs and its time is extrapolated to all m (m - 1) / 2 pairs, and both must agree
   on that subset;
2. ``inpca(D, n_components=10)`` (Lanczos) against the full ``scipy.linalg.eigh`` path
   ``inpca(D)`` on the Bhattacharyya matrix of m_eig models taken from random-walk
   training-like trajectories; the top eigenvalues must agree;
3. ``pairwise_bhattacharyya`` at 2m models (2000 x 1000 x 10 by default: the size of the
   training-manifold study).

A table is printed; ``--json PATH`` also writes the numbers.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch

from netsim.metrics import inpca, pairwise_bhattacharyya


def timed(fn, repeat: int):
    """Best wall-clock time of ``repeat`` calls, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def dirichlet_models(rng, m: int, n: int, classes: int) -> np.ndarray:
    return rng.dirichlet(np.ones(classes), size=(m, n))


def per_pair_bhattacharyya(P: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """The plain reference: one numpy expression per pair of models."""
    return np.array([-np.mean(np.log(np.sum(np.sqrt(P[i] * P[j]), axis=1))) for i, j in pairs])


def random_walk_trajectories(rng, m: int, n: int, classes: int, steps: int = 30) -> np.ndarray:
    """m models from m / steps trajectories of logits drifting towards the labels."""
    walks = -(-m // steps)
    labels = rng.integers(0, classes, n)
    drift = np.eye(classes)[labels] * rng.uniform(0.05, 0.3, size=(walks, 1, 1, 1))
    noise = rng.normal(scale=0.3, size=(walks, steps, n, classes))
    logits = np.cumsum(drift + noise, axis=1).reshape(-1, n, classes)[:m]
    logits -= logits.max(axis=-1, keepdims=True)
    probs = np.exp(logits)
    return probs / probs.sum(axis=-1, keepdims=True)


def bench_pairwise(rng, m, n, classes, loop_pairs, repeat):
    P = dirichlet_models(rng, m, n, classes)
    seconds, D = timed(lambda: pairwise_bhattacharyya(P), repeat)
    upper = np.transpose(np.triu_indices(m, 1))
    pairs = upper[rng.choice(len(upper), size=min(loop_pairs, len(upper)), replace=False)]
    loop_seconds, reference = timed(lambda: per_pair_bhattacharyya(P, pairs), 1)
    total_pairs = m * (m - 1) // 2
    loop_total = loop_seconds / len(pairs) * total_pairs
    return {
        "m": m, "N": n, "C": classes, "seconds": seconds,
        "loop_pairs_timed": len(pairs), "loop_seconds_on_subset": loop_seconds,
        "loop_seconds_extrapolated": loop_total, "speedup": loop_total / seconds,
        "max_abs_diff_on_subset": float(np.abs(D[pairs[:, 0], pairs[:, 1]] - reference).max()),
    }


def bench_inpca(rng, m, n, classes, k, repeat):
    D = pairwise_bhattacharyya(random_walk_trajectories(rng, m, n, classes))
    full_seconds, full = timed(lambda: inpca(D), repeat)
    top_seconds, top = timed(lambda: inpca(D, n_components=k), repeat)
    return {
        "m": m, "N": n, "C": classes, "k": k,
        "full_eigh_seconds": full_seconds, "top_k_seconds": top_seconds,
        "speedup": full_seconds / top_seconds,
        "max_abs_eigenvalue_diff": float(np.abs(top.eigenvalues - full.eigenvalues[:k]).max()),
        "negative_in_top_k": int((top.eigenvalues < 0).sum()),
        "explained_stress_top_3": top.explained_stress(3),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--m", type=int, default=1000, help="models in benchmark 1 (3 uses 2m)")
    parser.add_argument("--n", type=int, default=1000, help="samples N in benchmarks 1 and 3")
    parser.add_argument("--classes", type=int, default=10, help="classes C")
    parser.add_argument("--m-eig", type=int, default=3000, help="models embedded by InPCA")
    parser.add_argument("--loop-pairs", type=int, default=2000,
                        help="pairs timed with the per-pair loop")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    parser.add_argument("--json", help="write the results to this path")
    args = parser.parse_args(argv)
    if args.quick:
        args.m, args.n, args.m_eig, args.loop_pairs = 200, 200, 600, 500

    rng = np.random.default_rng(0)
    pairwise_bhattacharyya(dirichlet_models(rng, 2, 2, args.classes))  # import torch, warm up
    results = {
        "machine": {"cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "processor": platform.processor() or platform.machine()},
        "pairwise": bench_pairwise(rng, args.m, args.n, args.classes, args.loop_pairs,
                                   args.repeat),
        "inpca": bench_inpca(rng, args.m_eig, 50, args.classes, 10, args.repeat),
        "pairwise_large": bench_pairwise(rng, 2 * args.m, args.n, args.classes, args.loop_pairs,
                                         args.repeat),
    }

    def pairwise_row(r):
        return (f"pairwise_bhattacharyya m={r['m']} N={r['N']} C={r['C']}",
                r["seconds"], r["loop_seconds_extrapolated"], r["speedup"],
                f"baseline: per-pair loop, {r['loop_pairs_timed']} pairs timed and "
                f"extrapolated; max |diff| {r['max_abs_diff_on_subset']:.1e}")

    r = results["inpca"]
    rows = [
        pairwise_row(results["pairwise"]),
        (f"inpca k={r['k']} m={r['m']} (N={r['N']})", r["top_k_seconds"],
         r["full_eigh_seconds"], r["speedup"],
         f"baseline: full eigh; max |eigenvalue diff| {r['max_abs_eigenvalue_diff']:.1e}"),
        pairwise_row(results["pairwise_large"]),
    ]
    print(f"{'benchmark':<44} {'netsim s':>9} {'baseline s':>11} {'speed-up':>9}  notes")
    for name, ours, base, ratio, note in rows:
        print(f"{name:<44} {ours:>9.2f} {base:>11.2f} {ratio:>8.1f}x  {note}")
    m = results["machine"]
    print(f"({m['cpu_count']} CPUs, torch threads {m['torch_threads']})")
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=2)


if __name__ == "__main__":
    main()
