"""Packed vs sequential training on MNIST-1D: wall time per run-epoch, speed-up, GFLOP/s.

For each architecture of the tour (MLP, AllCNN-1D, ResNet-1D, the small transformer; and the
40-64-64-10 MLP of study 1) and packs of 1, 8, 32 and 64 runs: the time of one epoch per run
(runs of 3 epochs, setup included) trained one after another
(``netsim.train.train_trajectory``) and trained as one pack (``netsim.engine.train_pack``),
the speed-up, and the achieved float32 throughput as a fraction of this machine's matmul
peak, measured in the same run. Run with ``make bench`` or
``python benchmarks/bench_engine.py [--packs 1 8 32] [--models mlp allcnn]``.
"""
from __future__ import annotations

import argparse
import time

import torch

from netsim.engine import max_pack_size, train_pack
from netsim.runtime import configure_threads
from netsim.train import TrainConfig, load_training_data, train_trajectory

OPTIONS = {"mlp": {"norm": "batch"}, "mlp_small": {"widths": (64, 64)}, "allcnn": {"norm": "batch"},
           "resnet": {"norm": "batch"}, "transformer": {}}


EPOCHS = 3  # per timed run: setup (building and stacking the models) is spread over these


def config(model: str, seed: int, epochs: float = EPOCHS) -> TrainConfig:
    name = "mlp" if model == "mlp_small" else model
    return TrainConfig(model=name, model_options=OPTIONS[model], epochs=epochs, lr=0.02, batch_size=64, seed=seed,
                       num_checkpoints=2, eval_train_size=100, eval_test_size=100)


def matmul_peak(n: int = 2048, repeats: int = 10) -> float:
    """float32 GFLOP/s of an n x n matmul on the configured threads."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def flops_per_epoch(c: TrainConfig) -> float:
    """Forward + backward FLOPs of one epoch of one run (torch's FlopCounterMode)."""
    from torch.utils.flop_counter import FlopCounterMode

    from netsim.models import build_model

    train, _ = load_training_data(c)
    model = build_model(c.model, train.input_shape, train.num_classes, **c.model_options)
    x, y = torch.as_tensor(train.x[:c.batch_size]), torch.as_tensor(train.y[:c.batch_size])
    counter = FlopCounterMode(display=False)
    with counter:
        torch.nn.functional.cross_entropy(model(x), y).backward()
    return counter.get_total_flops() * len(train) / c.batch_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packs", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument("--models", nargs="+", default=["mlp_small", "mlp", "allcnn", "resnet", "transformer"])
    parser.add_argument("--sequential-runs", type=int, default=3, help="runs timed one after another")
    args = parser.parse_args()
    threads = configure_threads()
    peak = matmul_peak()
    print(f"float32 matmul peak: {peak:.0f} GFLOP/s on {threads} threads")
    print(f"{'model':12s} {'pack':>5s} {'seq s/run-ep':>13s} {'packed s/run-ep':>16s} {'speed-up':>9s} "
          f"{'seq GFLOP/s':>12s} {'packed GFLOP/s':>15s} {'packed % peak':>14s}")
    for model in args.models:
        train_trajectory(config(model, 0, epochs=0.1), device="cpu", progress=False)  # warm-up: data, kernels
        start = time.perf_counter()
        for seed in range(args.sequential_runs):
            train_trajectory(config(model, seed), device="cpu", progress=False)
        seq = (time.perf_counter() - start) / args.sequential_runs / EPOCHS
        flops = flops_per_epoch(config(model, 0))
        fits = max_pack_size(config(model, 0), device="cpu", limit=max(args.packs))
        for pack in args.packs:
            if pack > fits:
                print(f"{model:12s} {pack:5d}   (does not fit in a quarter of the free memory: at most {fits})")
                continue
            configs = [config(model, seed) for seed in range(pack)]
            start = time.perf_counter()
            train_pack(configs, device="cpu", progress=False)
            packed = (time.perf_counter() - start) / pack / EPOCHS
            print(f"{model:12s} {pack:5d} {seq:13.3f} {packed:16.3f} {seq / packed:8.1f}x "
                  f"{flops / seq / 1e9:12.1f} {flops / packed / 1e9:15.1f} {100 * flops / packed / 1e9 / peak:13.1f}%")


if __name__ == "__main__":
    main()
