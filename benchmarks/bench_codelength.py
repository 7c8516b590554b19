"""Benchmark of one information-distance evaluation d_p (study 1's unit of cost).

Run ``python benchmarks/bench_codelength.py`` (``--quick`` for a small run). Two random
MLPs of the study's book size (40 -> 64 -> 64 -> 10, no batch norm; heads scaled up so
that their outputs are confident and different, as trained networks' are) code ``k`` random
MNIST-1D-shaped inputs in both directions with the book profile's coding settings; the
table gives wall-clock and CPU seconds per d_p for each (k, epochs per block, batch size),
with torch on one thread as the study runs it. ``--json PATH`` also writes the numbers.

d_p costs O(k x epochs / batch) optimiser steps per direction (the geometric blocks sum to
about 2k inputs per epoch), so a budget for a chapter is (number of d_p values) x this time.
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np
import torch

from netsim.metrics import CodingConfig, information_distance
from netsim.models import build_model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="k = 500 only")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    settings = [(500, 20, 128)] if args.quick else [(500, 20, 128), (2000, 10, 128), (2000, 20, 128),
                                                    (2000, 40, 128), (2000, 20, 64)]
    rows = []
    warm = build_model("mlp", (1, 40), 10, widths=[8])
    information_distance(warm, warm, np.zeros((32, 1, 40), np.float32), CodingConfig(epochs=1))  # load torch kernels
    for k, epochs, batch in settings:
        x = np.random.default_rng(0).normal(size=(k, 1, 40)).astype(np.float32)
        torch.manual_seed(0)
        a = build_model("mlp", (1, 40), 10, widths=[64, 64])
        b = build_model("mlp", (1, 40), 10, widths=[64, 64])
        with torch.no_grad():  # confident, different outputs, as trained networks have
            for m in (a, b):
                m.head.weight.mul_(20)
        cfg = CodingConfig(lr=3e-3, epochs=epochs, batch_size=batch, patience=None)  # no early stop: worst case
        wall, cpu = time.perf_counter(), time.process_time()
        d = information_distance(a, b, x, cfg)
        rows.append(dict(k=k, epochs=epochs, batch=batch, bits=round(d.value, 1),
                         wall_s=round(time.perf_counter() - wall, 2), cpu_s=round(time.process_time() - cpu, 2)))
        print(rows[-1], flush=True)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(rows, handle, indent=1)


if __name__ == "__main__":
    main()
