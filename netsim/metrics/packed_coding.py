"""Many prequential codelengths at once: the KL form of eq. 6 for R (coder, target) pairs.

A d_p evaluation is dominated by per-step overhead: the coder is a small network fine-tuned
on a few hundred inputs, thousands of times. When many codelengths share the coded inputs
and the coder's architecture (every reparameterisation of theta_A against theta_B, every
network against its random models), :func:`kl_codelengths` stacks the R coders'
parameters and runs each fine-tuning step for all of them as one computation
(``torch.func.functional_call`` under ``vmap``), with Adam written out per run. Every run
keeps its own early stopping and its own keep-the-better-coder decision; the minibatch
order is the one :func:`netsim.metrics.kl_codelength` draws (it depends only on the seed
and the block), so the two agree to float round-off.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from .codelength import (
    LN2, Codelength, _as_inputs, _check_config, _check_model, _check_outputs, _kl_rows, _log_probs,
    _target_log_probs, block_boundaries,
)

ADAM_BETAS, ADAM_EPS = (0.9, 0.999), 1e-8  # torch.optim.Adam's defaults, as kl_codelength uses


def architecture(model) -> tuple:
    """The names and shapes of ``model``'s parameters: what coders of one pack must share."""
    return tuple((name, tuple(p.shape)) for name, p in model.named_parameters())


def kl_codelengths(coders, targets, x, config=None) -> list[Codelength]:
    """L'(f_target_r | f_coder_r) of eq. 6 for every r, in bits, computed together.

    Parameters
    ----------
    coders : sequence of R nn.Module
        The models the receiver knows (not modified); one architecture for all.
    targets : sequence of R (nn.Module or array_like (k, C))
        f_B of each pair, as a model or its probabilities on ``x``.
    x : array_like or torch.Tensor (k, ...)
        The inputs, coded in order (shared by every pair).
    config : CodingConfig, optional
        Shared by every pair (same minibatch orders).

    Returns
    -------
    list of R Codelength, as :func:`netsim.metrics.kl_codelength` would return one by one.
    """
    import torch
    from torch.func import functional_call, stack_module_state, vmap

    config = _check_config(config)
    coders, targets = list(coders), list(targets)
    if not coders or len(coders) != len(targets):
        raise ValueError(f"coders and targets must be non-empty and of equal length; got {len(coders)} and {len(targets)}")
    for r, coder in enumerate(coders):
        _check_model(f"coders[{r}]", coder)
    if len({architecture(c) for c in coders}) != 1:
        raise ValueError("coders must share one architecture (same parameter names and shapes)")
    x = _as_inputs(x)
    logp_B = torch.stack([_target_log_probs(t, x) for t in targets])  # (R, k, C) float64
    _check_outputs(coders[0], x, logp_B.shape[2])
    lp32 = logp_B.float()
    R, k = logp_B.shape[:2]
    t = block_boundaries(k, min(config.first_block, k), config.n_blocks)
    starts = np.concatenate([[0], t[:-1]])
    logq_A = torch.stack([_log_probs(c, x) for c in coders])  # (R, k, C) float64
    skeleton = copy.deepcopy(coders[0]).eval()
    frozen = [copy.deepcopy(c).eval() for c in coders]
    params0, buffers = stack_module_state(frozen)
    params0 = {name: p.detach().clone() for name, p in params0.items()}

    def forward(p, b, xb):
        return torch.log_softmax(functional_call(skeleton, (p, b), (xb,)), dim=-1)

    batched = vmap(forward, in_dims=(0, 0, None))
    bits = np.zeros((R, len(t)))
    for s, (lo, hi) in enumerate(zip(starts, t)):
        logq = logq_A[:, lo:hi]
        if lo > 0:
            params = _fine_tune_all(batched, params0, buffers, x[:lo], lp32[:, :lo], config, stream=s)
            with torch.no_grad():
                if config.keep_better:
                    fitted = batched(params, buffers, x[:lo]).double()
                    better = _kl_rows(lp32[:, :lo], fitted).mean(1) < _kl_rows(lp32[:, :lo], logq_A[:, :lo]).mean(1)
                else:
                    better = torch.ones(R, dtype=torch.bool)
                new = batched(params, buffers, x[lo:hi]).double()
            logq = torch.where(better[:, None, None], new, logq)
        bits[:, s] = (_kl_rows(logp_B[:, lo:hi], logq).sum(1) / LN2).numpy()
    return [Codelength(float(b.sum()), b, t, None, None) for b in bits]


def _fine_tune_all(batched, params0, buffers, x, lp, config, stream: int) -> dict:
    """Copies of the stacked parameters trained with Adam on the KL objective on all of ``x``,
    each run with its own early stopping (a stopped run's parameters stay fixed)."""
    import torch

    R = lp.shape[0]
    params = {name: p.clone().requires_grad_(True) for name, p in params0.items()}
    if config.epochs == 0 or x.shape[0] == 0:
        return {name: p.detach() for name, p in params.items()}
    m = {name: torch.zeros_like(p) for name, p in params.items()}
    v = {name: torch.zeros_like(p) for name, p in params.items()}
    steps = torch.zeros(R)
    active = torch.ones(R, dtype=torch.bool)
    best, stale = torch.full((R,), math.inf, dtype=torch.float64), torch.zeros(R, dtype=torch.long)
    gen = torch.Generator().manual_seed(int(config.seed) * 1_000_003 + stream)
    n = x.shape[0]
    beta1, beta2 = ADAM_BETAS
    for _ in range(config.epochs):
        order = torch.randperm(n, generator=gen)
        total = torch.zeros(R, dtype=torch.float64)
        for start in range(0, n, config.batch_size):
            idx = order[start:start + config.batch_size]
            loss = _kl_rows(lp[:, idx], batched(params, buffers, x[idx])).mean(1)  # (R,)
            grads = torch.autograd.grad(loss.sum(), list(params.values()))
            total += loss.detach().double() * len(idx)
            steps += active.float()
            with torch.no_grad():
                bc1, bc2 = 1 - beta1 ** steps.clamp(min=1), 1 - beta2 ** steps.clamp(min=1)
                for (name, p), g in zip(params.items(), grads):
                    shape = (R,) + (1,) * (p.ndim - 1)
                    on = active.view(shape)
                    m[name] = torch.where(on, beta1 * m[name] + (1 - beta1) * g, m[name])
                    v[name] = torch.where(on, beta2 * v[name] + (1 - beta2) * g * g, v[name])
                    denom = v[name].sqrt() / bc2.sqrt().view(shape) + ADAM_EPS
                    step = (config.lr / bc1).view(shape) * m[name] / denom
                    p.sub_(torch.where(on, step, torch.zeros_like(step)))
        if config.patience is not None:
            total /= n
            improved = total < best * (1 - config.tol)
            best = torch.where(improved & active, total, best)
            stale = torch.where(active, torch.where(improved, 0, stale + 1), stale)
            active = active & (stale < config.patience)
            if not active.any():
                break
    return {name: p.detach() for name, p in params.items()}
