"""Packed training: many small runs of one architecture trained as one computation.

Tiny networks on a few cores spend most of a step in per-call overhead (the small MLPs of
study 1; convolutional nets on 2 cores are compute-bound already and gain little, see
``benchmarks/bench_engine.py``). A *pack* stacks
the parameters and buffers of R runs (``torch.func.stack_module_state``) and computes all
their gradients with one ``vmap`` over ``grad`` of a ``functional_call``; the optimiser
update is vectorised over the stack with per-run hyper-parameters. Each run keeps what
makes it itself:

* its seed: the same initial weights, batch-norm warm-up, minibatch order and
  augmentation draws as when trained alone by :func:`netsim.train.train_trajectory`;
* its optimiser settings: learning rate, momentum, weight decay, SGD or Nesterov,
  label smoothing and schedule (Adam runs form packs of their own);
* its recorded trajectory, evaluated at the same checkpoints, packed too.

Runs pack together when everything else is equal (:func:`pack_key`). Runs that cannot be
packed (``init_from``, ``distill_from``, random labels, dropout, timm models) take the
sequential path: :func:`packable` says why; so do the training variants of
:class:`netsim.train.TrainConfig` (``objective``, ``train_classes``), which only
:func:`netsim.train.train_trajectory` implements. Packed and sequential training agree to float
round-off at each step, but round-off grows over thousands of steps until single predictions
differ visibly (final errors agree within a few evaluation samples); :mod:`netsim.zoo`
therefore keys packed runs apart.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import time

import numpy as np

from netsim.train import (TrainConfig, Trajectory, _initial_model, _scores, _warm_up_batch_norm,
                          checkpoint_steps, load_training_data)

PACKED_FAMILIES = ("mlp", "allcnn", "resnet", "resnet_small", "resnet_large", "transformer")
PER_RUN_FIELDS = ("seed", "lr", "momentum", "weight_decay", "label_smoothing", "schedule", "optimizer",
                  "init_offset")
ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as the sequential path uses


def packable(config: TrainConfig) -> str | None:
    """``None`` if ``config`` can be trained in a pack, else the reason it cannot."""
    if config.model not in PACKED_FAMILIES:
        return f"model {config.model!r} is not one of the packed families {PACKED_FAMILIES}"
    if config.init_from is not None or config.distill_from is not None:
        return "init_from / distill_from read another run's weights"
    if config.random_labels:
        return "random labels give each run its own evaluation subset"
    if config.is_variant:
        return (f"training variants (objective={config.objective!r}, train_classes={config.train_classes}) "
                "train on the sequential path only")
    if config.model_options.get("dropout", 0.0):
        return "dropout draws from the global random stream, which a pack cannot split per run"
    return None


def pack_key(config: TrainConfig) -> str:
    """Configurations with the same key can share a pack (all but the per-run fields agree)."""
    shared = {k: v for k, v in config.key_dict().items() if k not in PER_RUN_FIELDS}
    shared["family"] = "adam" if config.optimizer == "adam" else "sgd"
    return json.dumps(shared, sort_keys=True, default=str)


def group_into_packs(configs: list[TrainConfig], max_pack: int | None = None, sizer=None) -> list[list[int]]:
    """Indices of ``configs`` grouped into packs (in order of first appearance).

    Unpackable configurations come back as packs of one. ``max_pack`` caps the size of
    every pack; ``None`` asks ``sizer(config)`` (default :func:`max_pack_size`) per group.
    """
    groups: dict[str, list[int]] = {}
    singles = []
    for i, config in enumerate(configs):
        if packable(config) is None:
            groups.setdefault(pack_key(config), []).append(i)
        else:
            singles.append([i])
    sizer = sizer or max_pack_size
    packs = []
    for members in groups.values():
        size = max_pack or sizer(configs[members[0]])
        packs.extend(members[i:i + size] for i in range(0, len(members), size))
    return packs + singles


def max_pack_size(config: TrainConfig, device: str = "auto", limit: int = 64, memory_fraction: float = 0.25) -> int:
    """How many runs of ``config`` fit in ``memory_fraction`` of the device's free memory (1..limit).

    The estimate per run: parameters with gradient and two optimiser states, plus the
    activations of one training minibatch (every module's output, kept for the backward pass).
    """
    import torch

    from netsim.data import load_dataset
    from netsim.models import build_model
    from netsim.runtime import resolve_device

    dev = resolve_device(device)
    data = load_dataset(config.dataset, "test", **config.dataset_options)
    model = build_model(config.model, data.input_shape, data.num_classes, **config.model_options)
    sizes = []
    hooks = [m.register_forward_hook(lambda m, i, o: sizes.append(o.numel() if torch.is_tensor(o) else 0))
             for m in model.modules()]
    with torch.no_grad():
        model.eval()(torch.zeros((1, *data.input_shape)))
    for h in hooks:
        h.remove()
    per_run = 4 * (4 * sum(p.numel() for p in model.parameters()) + 2 * config.batch_size * sum(sizes))
    if dev.type == "cuda":
        free = torch.cuda.mem_get_info(dev)[0]
    else:
        free = os_free_memory()
    return int(max(1, min(limit, memory_fraction * free // per_run)))


def os_free_memory() -> int:
    """Available memory of this machine in bytes (``MemAvailable`` on Linux)."""
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import os

    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_AVPHYS_PAGES")


class PackError(FloatingPointError):
    """A run of a pack diverged; ``configs`` names the runs that did."""

    def __init__(self, message: str, configs: list[TrainConfig]):
        super().__init__(message)
        self.configs = configs


def _lr_factors(configs: list[TrainConfig], step: int, total_steps: int) -> np.ndarray:
    """Schedule factor of every run at optimiser step ``step`` (as torch's LambdaLR applies it)."""
    cosine = 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps))
    return np.array([cosine if c.schedule == "cosine" else 1.0 for c in configs])


class _PackedOptimizer:
    """SGD (with momentum / Nesterov) or Adam over stacked parameters, per-run settings.

    The updates follow ``torch.optim.SGD`` and ``torch.optim.Adam`` (weight decay added to
    the gradient, no dampening, Adam's bias corrections), so a pack of one equals the
    sequential run to float round-off. Per-run settings are (R,) tensors viewed as
    (R, 1, ..., 1) against each stacked parameter; settings shared by the whole pack are
    skipped where they are no-ops (no weight decay, no Nesterov).
    """

    def __init__(self, configs: list[TrainConfig], params: dict, dev):
        import torch

        self.adam = configs[0].optimizer == "adam"
        self.dev = dev
        self.base_lr = np.array([c.lr for c in configs], dtype=np.float64)
        run = lambda values: torch.tensor(values, dtype=torch.float32, device=dev)  # noqa: E731
        self.shapes = {k: (-1,) + (1,) * (p.dim() - 1) for k, p in params.items()}
        self.wd = run([c.weight_decay for c in configs]) if any(c.weight_decay for c in configs) else None
        self.momentum = run([c.momentum for c in configs])
        nesterov = [c.optimizer == "nesterov" for c in configs]
        self.nesterov = None if not any(nesterov) else torch.tensor(nesterov, device=dev)
        self.state: dict = {}
        self.t = 0

    def step(self, params: dict, grads: dict, factors: np.ndarray) -> None:
        import torch

        self.t += 1
        if self.adam:
            b1, b2 = ADAM_BETAS
            step_size = torch.tensor(self.base_lr * factors / (1 - b1 ** self.t), dtype=torch.float32, device=self.dev)
            root_bias2 = math.sqrt(1 - b2 ** self.t)
        else:
            lr = torch.tensor(self.base_lr * factors, dtype=torch.float32, device=self.dev)
        with torch.no_grad():
            for name, p in params.items():
                shape = self.shapes[name]
                g = grads[name] if self.wd is None else grads[name] + self.wd.view(shape) * p
                if self.adam:
                    if name not in self.state:
                        self.state[name] = (torch.zeros_like(p), torch.zeros_like(p))
                    exp_avg, exp_avg_sq = self.state[name]
                    exp_avg.lerp_(g, 1 - b1)
                    exp_avg_sq.mul_(b2).addcmul_(g, g, value=1 - b2)
                    denom = (exp_avg_sq.sqrt() / root_bias2).add_(ADAM_EPS)
                    p.sub_(step_size.view(shape) * (exp_avg / denom))
                else:
                    m = self.momentum.view(shape)
                    buf = self.state.get(name)
                    buf = g.clone() if buf is None else buf.mul_(m).add_(g)
                    self.state[name] = buf
                    update = buf if self.nesterov is None else torch.where(self.nesterov.view(shape), g + m * buf, buf)
                    p.sub_(lr.view(shape) * update)


@contextlib.contextmanager
def _batchable_attention():
    """Attention through the 'math' kernel and without the encoder's inference fast path:
    vmap has no batching rule for the CPU flash kernel's backward nor for the fused encoder
    layer, and would loop over the runs one by one."""
    import torch
    from torch.nn.attention import SDPBackend, sdpa_kernel

    fastpath = torch.backends.mha.get_fastpath_enabled()
    torch.backends.mha.set_fastpath_enabled(False)
    try:
        with sdpa_kernel([SDPBackend.MATH]):
            yield
    finally:
        torch.backends.mha.set_fastpath_enabled(fastpath)


def train_pack(configs: list[TrainConfig], *, device: str = "auto", progress: bool = True) -> list[Trajectory]:
    """Train ``configs`` (which share a :func:`pack_key`) as one pack.

    Parameters
    ----------
    configs : list of R packable TrainConfig with one pack key.
    device : "auto" (CUDA when present), "cpu", ...
    progress : a ``tqdm.auto`` bar over optimiser steps.

    Returns
    -------
    list of R Trajectory, in the order of ``configs`` (``seconds`` is the pack's time / R).

    Raises
    ------
    ValueError
        If a configuration cannot be packed or the keys differ.
    PackError
        If runs diverge (non-finite loss); the message and ``.configs`` name them.
    """
    import torch
    from torch.func import functional_call, grad_and_value, stack_module_state, vmap
    from tqdm.auto import tqdm

    from netsim.data import make_augmentation
    from netsim.runtime import configure_threads, resolve_device

    configs = list(configs)
    if not configs:
        raise ValueError("configs is empty")
    for c in configs:
        if not isinstance(c, TrainConfig):
            raise TypeError(f"configs must be TrainConfig objects, got {type(c).__name__}")
        reason = packable(c)
        if reason is not None:
            raise ValueError(f"config with seed {c.seed} cannot be packed: {reason}")
    if len({pack_key(c) for c in configs}) != 1:
        raise ValueError("configs of one pack must agree on everything but " + ", ".join(PER_RUN_FIELDS)
                         + " (and Adam runs pack apart from SGD runs)")
    configure_threads()
    dev = resolve_device(device)
    head = configs[0]
    train, eval_sets = load_training_data(head)
    x_train = torch.as_tensor(train.x, device=dev)
    y_train = torch.as_tensor(train.y, device=dev)

    models, generators = [], []
    for c in configs:
        model, generator = _initial_model(c, train, dev)
        _warm_up_batch_norm(model, x_train, c.batch_size, c.bn_warmup_batches, generator)
        models.append(model)
        generators.append(generator)
    params, buffers = stack_module_state(models)
    params = {k: v.detach() for k, v in params.items()}
    names = list(params)
    base = copy.deepcopy(models[0]).to("meta")
    del models
    smoothing = torch.tensor([c.label_smoothing for c in configs], dtype=torch.float32, device=dev)

    def loss(p, b, xb, yb, ls):
        log_probs = torch.log_softmax(functional_call(base, (p, b), (xb,)), dim=1)
        nll = -log_probs.gather(1, yb[:, None]).mean()
        return (1 - ls) * nll + ls * (-log_probs.mean())  # CrossEntropyLoss(label_smoothing=ls)

    grads_of = vmap(grad_and_value(loss), in_dims=(0, 0, 0, 0, 0), randomness="error")
    logits_of = vmap(lambda p, b, x: functional_call(base, (p, b), (x,)), in_dims=(0, 0, None), randomness="error")
    augment = make_augmentation(head.augmentation, **head.augmentation_options)
    optimizer = _PackedOptimizer(configs, params, dev)

    steps_per_epoch = math.ceil(len(train) / head.batch_size)
    total_steps = max(1, round(head.epochs * steps_per_epoch))
    checkpoints = checkpoint_steps(total_steps, head.num_checkpoints)
    records = {s: [] for s in eval_sets}
    weights = []
    evals = {s: (torch.as_tensor(d.x, device=dev), torch.as_tensor(d.y, device=dev)) for s, d in eval_sets.items()}
    diverged = torch.zeros(len(configs), dtype=torch.bool, device=dev)

    def record():
        base.eval()
        with torch.no_grad(), _batchable_attention():
            for split, (x, y) in evals.items():
                logits = torch.cat([logits_of(params, buffers, x[i:i + 1024]) for i in range(0, len(x), 1024)], dim=1)
                records[split].append([_scores(run_logits, y) for run_logits in logits])
            if head.save_weights:
                flat = torch.cat([params[k].reshape(len(configs), -1) for k in names], dim=1)
                weights.append(flat.float().cpu().numpy())

    def check(step):
        if diverged.any():
            bad = [c for c, d in zip(configs, diverged.tolist()) if d]
            raise PackError(f"training diverged by step {step} (non-finite loss) for "
                            + "; ".join(f"seed {c.seed}, {c.optimizer} lr={c.lr:g}" for c in bad)
                            + f" in a pack of {len(configs)} {head.model} runs", bad)

    start = time.perf_counter()
    record()
    step, next_checkpoint = 0, 1
    bar = tqdm(total=total_steps, desc=f"pack of {len(configs)} {head.model}/{head.optimizer}",
               disable=not progress, leave=False)
    n = len(x_train)
    while step < total_steps:
        orders = torch.stack([torch.randperm(n, generator=g) for g in generators]).to(dev)
        for start_idx in range(0, n, head.batch_size):
            idx = orders[:, start_idx:start_idx + head.batch_size]
            xb = x_train[idx]
            if augment is not None:
                xb = torch.stack([augment(x, g) for x, g in zip(xb, generators)])
            base.train()
            with _batchable_attention():
                grads, losses = grads_of(params, buffers, xb, y_train[idx], smoothing)
            diverged |= ~torch.isfinite(losses)
            optimizer.step(params, grads, _lr_factors(configs, step, total_steps))
            step += 1
            bar.update(1)
            if next_checkpoint < len(checkpoints) and step == checkpoints[next_checkpoint]:
                check(step)
                record()
                next_checkpoint += 1
            if step >= total_steps:
                break
    bar.close()
    check(step)
    seconds = (time.perf_counter() - start) / len(configs)

    out = []
    for r, config in enumerate(configs):
        stack = lambda split, i: np.array([rec[r][i] for rec in records[split]])  # noqa: E731
        out.append(Trajectory(
            config=config, steps=checkpoints, epochs=checkpoints / steps_per_epoch,
            probs={s: np.stack([rec[r][0] for rec in records[s]]) for s in evals},
            labels={s: d.y.astype(np.int64) for s, d in eval_sets.items()},
            loss={s: stack(s, 1) for s in evals}, error={s: stack(s, 2) for s in evals},
            weights=np.stack([w[r] for w in weights]) if weights else None, seconds=seconds))
    return out
