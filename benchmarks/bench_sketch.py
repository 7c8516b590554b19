"""Benchmark of study 3's representation: streaming sketch against the full N x N kernels.

Run ``python benchmarks/bench_sketch.py`` (``--quick`` for a small smoke run). For one small
netsim ResNet it

1. streams N samples (default 20,000) through ``netsim.probes.iter_probes`` into one
   ``KernelSketcher`` (M = 512) per residual block and builds the Hadamard representation
   K~_f o K~_g (Algorithm 1): wall time of probing and of sketching, peak memory of the
   sketch state (tracemalloc: numpy allocations) and the process' peak resident memory;
2. forms the full kernels K_f, K_g and K_f o K_g of the same block rows at the largest N that
   fits (several N, to show the N^2 growth; default up to 4000), and extrapolates time
   (N^2 d) and memory (N^2) from the largest to the full N.

A table is printed; ``--json PATH`` also writes the numbers. Inputs are random images (the cost
does not depend on their content).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import time
import tracemalloc

import numpy as np
import threadpoolctl
import torch

from netsim.metrics import KernelSketcher
from netsim.metrics.sketching import similarity
from netsim.models import build_model
from netsim.probes import block_names, iter_probes


def _inputs(n: int, shape, chunk: int, seed: int = 0):
    """Random inputs in chunks, so that N images are never held at once."""
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, n, chunk):
        yield torch.randn(min(chunk, n - start), *shape, generator=gen)


def _timed_nbs(K) -> float:
    """Seconds of one NBS; on one BLAS thread (two OpenBLAS threads spin-wait on shared cores)."""
    with threadpoolctl.threadpool_limits(1):
        start = time.perf_counter()
        similarity(K, K, "nbs")
        return time.perf_counter() - start


def sketch_pass(model, names, n, shape, m, batch_size):
    """Stream n samples into one sketcher per block; times and peak sketch memory."""
    sketchers = {name: KernelSketcher(m, seed=0) for name in names}
    probe_s = sketch_s = 0.0
    tracemalloc.start()
    for x in _inputs(n, shape, 4 * batch_size):
        start = time.perf_counter()
        for batch in iter_probes(model, names, x, batch_size=batch_size):
            mid = time.perf_counter()
            probe_s += mid - start
            for name, (f, g) in batch.items():
                sketchers[name].update(f, g)
            start = time.perf_counter()
            sketch_s += start - mid
    start = time.perf_counter()
    reps = {name: sk.representation("hadamard") for name, sk in sketchers.items()}
    rep_s = time.perf_counter() - start
    rep = next(iter(reps.values()))
    nbs_s = _timed_nbs(rep)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    state = sum(sk.memory_bytes() for sk in sketchers.values())
    return dict(probe_s=probe_s, sketch_s=sketch_s, representation_s=rep_s, nbs_s=nbs_s,
                peak_traced_mb=peak / 2**20,
                sketch_state_mb=state / 2**20, shape=next(iter(reps.values())).shape)


def full_kernel(model, name, n, shape, batch_size, time_nbs=False):
    """Rows of block ``name`` for n samples, then K_f, K_g and K_f o K_g: time and peak memory."""
    rows = [batch[name] for x in _inputs(n, shape, 4 * batch_size)
            for batch in iter_probes(model, [name], x, batch_size=batch_size)]
    F = np.concatenate([f for f, _ in rows])
    G = np.concatenate([g for _, g in rows])
    del rows
    tracemalloc.start()
    start = time.perf_counter()
    K = (F @ F.T) * (G @ G.T)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    nbs_s = None
    if time_nbs:  # NBS needs eigendecompositions: O(N^3), timed at the smallest N only
        nbs_s = _timed_nbs(K)
    del K
    return dict(n=n, d=F.shape[1], seconds=seconds, peak_mb=peak / 2**20, nbs_s=nbs_s)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="samples streamed into the sketch")
    parser.add_argument("--m", type=int, default=512, help="sketch size M")
    parser.add_argument("--full-n", type=int, nargs="+", default=[1000, 2000, 4000],
                        help="sizes at which the full N x N kernels are formed")
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="small smoke run")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    if args.quick:
        args.n, args.full_n = 2000, [500, 1000]

    torch.manual_seed(0)
    shape = (3, 16, 16)
    model = build_model("resnet", shape, 10, width=8, blocks=(1, 1))
    names = block_names(model)
    print(f"model: netsim resnet width 8, blocks (1, 1), input {shape}; blocks {names}")
    print(f"machine: {platform.processor() or platform.machine()}, torch threads {torch.get_num_threads()}")

    wall = time.perf_counter()
    sketch = sketch_pass(model, names, args.n, shape, args.m, args.batch_size)
    wall = time.perf_counter() - wall
    print(f"\nsketch, N = {args.n}, M = {args.m}, {len(names)} blocks -> representations {sketch['shape']}")
    print(f"  probes (forward + backward)  {sketch['probe_s']:8.2f} s")
    print(f"  sketch updates               {sketch['sketch_s']:8.2f} s")
    print(f"  Hadamard representations     {sketch['representation_s']:8.2f} s")
    print(f"  one NBS on M x M             {sketch['nbs_s']:8.2f} s")
    print(f"  total wall                   {wall:8.2f} s")
    print(f"  sketch state                 {sketch['sketch_state_mb']:8.1f} MB (independent of N)")
    print(f"  peak traced numpy memory     {sketch['peak_traced_mb']:8.1f} MB")

    name = names[-1]
    print(f"\nfull kernels K_f o K_g of block {name!r}")
    print(f"  {'N':>7} {'d':>6} {'time s':>9} {'peak MB':>9} {'NBS s':>9}")
    fulls = [full_kernel(model, name, n, shape, args.batch_size, time_nbs=n == min(args.full_n))
             for n in args.full_n]
    for r in fulls:
        nbs_text = "" if r["nbs_s"] is None else f"{r['nbs_s']:>9.2f}"
        print(f"  {r['n']:>7} {r['d']:>6} {r['seconds']:>9.2f} {r['peak_mb']:>9.1f} {nbs_text}")
    last = fulls[-1]
    scale = (args.n / last["n"]) ** 2
    extrapolated = dict(n=args.n, seconds=last["seconds"] * scale, peak_mb=last["peak_mb"] * scale)
    print(f"  {args.n:>7} {last['d']:>6} {extrapolated['seconds']:>9.1f} {extrapolated['peak_mb']:>9.0f}"
          "  (extrapolated from the largest: time and memory x N^2)")
    timed = [r for r in fulls if r["nbs_s"] is not None]
    if timed:
        nbs_full = timed[-1]["nbs_s"] * (args.n / timed[-1]["n"]) ** 3
        print(f"  one NBS at N = {args.n}: ~{nbs_full:.0f} s (extrapolated x N^3 from N = {timed[-1]['n']})")
        extrapolated["nbs_s"] = nbs_full
    sketch_block = sketch["sketch_state_mb"] / len(names)
    print(f"\nsketch state per block {sketch_block:.1f} MB vs {extrapolated['peak_mb']:.0f} MB for the "
          f"full kernels at N = {args.n}; M x M CKA/NBS cost O(M^3) = O({args.m}^3) instead of O(N^3).")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"process peak resident memory {peak_rss:.0f} MB")

    if args.json:
        with open(args.json, "w") as fh:
            json.dump(dict(sketch={k: v for k, v in sketch.items() if k != "shape"}, sketch_wall_s=wall,
                           full=fulls, extrapolated=extrapolated, peak_rss_mb=peak_rss), fh, indent=2)


if __name__ == "__main__":
    main()
