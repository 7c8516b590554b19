"""Prequential codelength and the information distance d_p (study 1, seed 000).

Conventions
-----------
- ``x`` holds the k inputs to code, shape (k, ...), numpy or torch; they are coded in
  their order. Models are ``netsim.models.Classifier``s (any ``nn.Module`` mapping
  ``(batch, ...)`` to logits works); they are evaluated and fine-tuned in ``eval()``
  mode, so the coded function is deterministic.
- The *target* f_B is a model or an array of probabilities (k, C) (rows of f_B(x_i)).
- Coding is block-wise: boundaries t_0 < t_1 < ... < t_S = k (:func:`block_boundaries`).
  The first block x_1..x_{t_0} is coded with theta_A itself; block s+1 (inputs
  t_s+1..t_{s+1}) is coded with a copy of theta_A fine-tuned on the first t_s inputs.
- KL form, eq. 6: L'(f_B|f_A) = sum_i KL(f_B(x_i) || f_theta(x_i)), the fine-tune
  minimising c_KL (eq. 14) towards f_B's output distributions.
- Sampled form, eqs. 2-3: labels y_i ~ f_B(x_i), the fine-tune minimising cross-entropy
  on them, and L_k = -sum_i log p_theta(y_i|x_i) + sum_i log p_B(y_i|x_i); the second
  sum is the bits-back term (the information of the particular samples, returned).
  Its expectation over y is at least the KL form (eq. 5).
- Every codelength is in **bits**.

Torch is imported inside the functions, so ``import netsim.metrics`` stays light.
"""
from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from ._validation import as_numpy

LN2 = math.log(2.0)
_EVAL_CHUNK = 2048


# ----------------------------------------------------------------------------- config
@dataclass(frozen=True)
class CodingConfig:
    """Hyper-parameters of prequential coding, held in one place.

    Parameters
    ----------
    lr : float
        Adam learning rate of each block's fine-tune.
    epochs : int
        Maximum epochs per block (0: no fine-tune, every block is coded with theta_A).
    batch_size : int
        Minibatch size of the fine-tunes.
    n_blocks : int or None
        Number S of blocks after the first; ``None`` doubles the block size
        (S = ceil(log2(k / first_block))).
    first_block : int
        t_0, the number of inputs coded with theta_A itself.
    seed : int
        Seed of the minibatch order (and of the sampled labels of eq. 3).
    patience : int or None
        Stop a fine-tune when its epoch-mean objective has not improved by ``tol``
        (relative) for this many epochs; ``None`` runs every epoch.
    tol : float
        Relative improvement that counts for early stopping.
    keep_better : bool
        After each block's fine-tune, keep it only if it fits the inputs already sent
        (its objective on x_1..x_{t_s}) better than theta_A does, else code the next block
        with theta_A. The choice uses past inputs only, so the code stays prequential. It
        removes a floor: fine-tuning a coder that already matches f_B (d_p(f, f)) makes
        Adam take lr-sized steps on float32 round-off gradients, which costs bits.
    """

    lr: float = 1e-3
    epochs: int = 10
    batch_size: int = 64
    n_blocks: int | None = None
    first_block: int = 16
    seed: int = 0
    patience: int | None = 2
    tol: float = 1e-3
    keep_better: bool = True

    def __post_init__(self):
        _check_number("lr", self.lr, minimum=0.0)
        _check_int("epochs", self.epochs, minimum=0)
        _check_int("batch_size", self.batch_size, minimum=1)
        if self.n_blocks is not None:
            _check_int("n_blocks", self.n_blocks, minimum=1)
        _check_int("first_block", self.first_block, minimum=1)
        _check_int("seed", self.seed, minimum=0)
        if self.patience is not None:
            _check_int("patience", self.patience, minimum=1)
        _check_number("tol", self.tol, minimum=0.0, strict=False)
        if self.tol >= 1:
            raise ValueError(f"tol must be < 1; got {self.tol!r}")
        if not isinstance(self.keep_better, bool):
            raise ValueError(f"keep_better must be a bool; got {self.keep_better!r}")

    def replace(self, **changes) -> "CodingConfig":
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)


def _check_int(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _check_number(name, value, minimum=0.0, strict=True):
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be a finite number {'>' if strict else '>='} {minimum}; got {value!r}")
    return float(value)


def _check_config(config) -> CodingConfig:
    if config is None:
        return CodingConfig()
    if not isinstance(config, CodingConfig):
        raise TypeError(f"config must be a CodingConfig; got {type(config).__name__}")
    return config


# ----------------------------------------------------------------------------- blocks
def block_boundaries(k: int, first_block: int = 16, n_blocks: int | None = None) -> np.ndarray:
    """Geometric block boundaries t_0 < t_1 < ... < t_S = k.

    Parameters
    ----------
    k : int
        Number of coded inputs.
    first_block : int
        t_0, at most k.
    n_blocks : int, optional
        S; ``None`` doubles the block size each time (S = ceil(log2(k / t_0))).
        Boundaries are ``round(geomspace(t_0, k, S + 1))``; rounding collisions are
        dropped, so fewer than S blocks may come back for small k.

    Returns
    -------
    numpy.ndarray of int64, shape (S' + 1,), strictly increasing, first t_0, last k.
    """
    k = _check_int("k", k, minimum=1)
    first_block = _check_int("first_block", first_block, minimum=1)
    if first_block > k:
        raise ValueError(f"first_block must be <= k = {k}; got {first_block}")
    if first_block == k:
        return np.array([k], dtype=np.int64)
    if n_blocks is None:
        n_blocks = math.ceil(math.log2(k / first_block))
    n_blocks = _check_int("n_blocks", n_blocks, minimum=1)
    t = np.rint(np.geomspace(first_block, k, n_blocks + 1)).astype(np.int64)
    t[0], t[-1] = first_block, k
    return np.unique(t)


# ----------------------------------------------------------------------------- helpers
def _as_inputs(x):
    import torch

    if isinstance(x, torch.Tensor):
        t = x.detach().to("cpu", torch.float32)
    else:
        arr = as_numpy(x, "x")
        t = torch.as_tensor(np.asarray(arr, dtype=np.float32))
    if t.ndim < 2 or t.shape[0] == 0:
        raise ValueError(f"x must have shape (k, ...) with k >= 1; got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError("x contains NaN or infinite values")
    return t


def _check_model(name, model):
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch nn.Module (a netsim Classifier); got {type(model).__name__}")
    return model


def _log_probs(model, x):
    """log f(x) in float64, shape (k, C), evaluated in chunks without gradients."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        out = torch.cat([torch.log_softmax(model(x[i:i + _EVAL_CHUNK]).double(), dim=1)
                         for i in range(0, x.shape[0], _EVAL_CHUNK)])
    model.train(was_training)
    return out


def _target_log_probs(target, x):
    """log f_B(x) (float64, zeros kept as -inf) from a model or a probability array."""
    import torch
    from torch import nn

    from ._validation import check_probabilities

    if isinstance(target, nn.Module):
        return _log_probs(target, x)
    p = check_probabilities("target", target)
    if p.shape[0] != x.shape[0]:
        raise ValueError(f"target must have one row per input: {x.shape[0]} rows; got {p.shape[0]}")
    p = p / p.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore"):
        return torch.as_tensor(np.log(p))


def _check_outputs(model_A, x, num_classes):
    import torch

    with torch.no_grad():
        out = model_A.eval()(x[:1]).shape[-1]
    if out != num_classes:
        raise ValueError(f"model_A has {out} outputs but the target has {num_classes} classes; "
                         "give the coder the target's head with with_head(model_A, num_classes)")


def _kl_rows(logp, logq):
    """KL(p || q) per row (nats), with 0 log 0 = 0."""
    import torch

    p = logp.exp()
    return torch.where(p > 0, p * (logp - logq), torch.zeros_like(p)).sum(dim=1)


def _fine_tune(model_A, x, objective, config: CodingConfig, stream: int):
    """A copy of ``model_A`` trained with Adam on all of ``x`` (objective(logq, idx) -> loss).

    Deterministic: the minibatch order comes from a generator seeded by
    (config.seed, stream); the global torch RNG is not used.
    """
    import torch

    model = copy.deepcopy(model_A)
    model.eval()
    if config.epochs == 0 or x.shape[0] == 0:
        return model
    for p in model.parameters():
        p.requires_grad_(True)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    gen = torch.Generator().manual_seed(int(config.seed) * 1_000_003 + stream)
    n = x.shape[0]
    best, stale = math.inf, 0
    for _ in range(config.epochs):
        order = torch.randperm(n, generator=gen)
        total = 0.0
        for start in range(0, n, config.batch_size):
            idx = order[start:start + config.batch_size]
            loss = objective(torch.log_softmax(model(x[idx]), dim=1), idx).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        total /= n
        if config.patience is not None:
            if total < best * (1 - config.tol):
                best, stale = total, 0
            else:
                stale += 1
                if stale >= config.patience:
                    break
    return model


def _kl_objective(logp_B):
    lp = logp_B.float()

    def objective(logq, idx):
        return _kl_rows(lp[idx], logq)

    return objective


def _code_blocks(model_A, x, config, objective, score):
    """Block-wise prequential coding: block 0 with theta_A, block s+1 with theta_A
    fine-tuned (``objective``) on the first t_s inputs; ``score(logq, lo, hi)`` gives a
    block's nats. Returns the boundaries and the bits of each block."""
    import torch

    t = block_boundaries(x.shape[0], min(config.first_block, x.shape[0]), config.n_blocks)
    starts = np.concatenate([[0], t[:-1]])
    logq_A = _log_probs(model_A, x)  # theta_A never changes: one forward pass serves every block
    bits = []
    for s, (lo, hi) in enumerate(zip(starts, t)):
        logq = logq_A[lo:hi]
        if lo > 0:
            model = _fine_tune(model_A, x[:lo], objective, config, stream=s)
            past = torch.arange(lo)
            if not config.keep_better or (float(objective(_log_probs(model, x[:lo]), past).mean())
                                          < float(objective(logq_A[:lo], past).mean())):
                logq = _log_probs(model, x[lo:hi])
        bits.append(float(score(logq, lo, hi)) / LN2)
    return t, np.asarray(bits)


# ----------------------------------------------------------------------------- results
@dataclass
class Codelength:
    """A prequential codelength (bits).

    Attributes
    ----------
    bits : float
        Total codelength L' (KL form) or L_k (sampled form, bits-back term included).
    block_bits : numpy.ndarray (S' + 1,)
        Bits of each block; block 0 is coded with theta_A itself.
    boundaries : numpy.ndarray (S' + 1,)
        t_0, ..., t_S = k.
    bits_back : float or None
        Sampled form only: sum_i log2 p_B(y_i|x_i) (<= 0), already added into ``bits``.
    final_kl : float or None
        E_x KL(f_B || f_theta_k) in bits, theta_k fine-tuned on all k inputs (eq. 4);
        computed when asked for.
    """

    bits: float
    block_bits: np.ndarray
    boundaries: np.ndarray
    bits_back: float | None = None
    final_kl: float | None = None

    def converged(self, eps: float) -> bool:
        """Convergence criterion eq. 4: E_x KL(f_B || f_theta_k) <= eps (bits)."""
        if self.final_kl is None:
            raise ValueError("final_kl was not computed; pass convergence=True")
        return self.final_kl <= _check_number("eps", eps, minimum=0.0, strict=False)


@dataclass
class InformationDistance:
    """d_p(f_A, f_B) = max{L'(f_A|f_B), L'(f_B|f_A)} (eq. 7), in bits."""

    value: float
    a_given_b: Codelength = field(repr=False)
    b_given_a: Codelength = field(repr=False)

    def __float__(self) -> float:
        return self.value


# ----------------------------------------------------------------------------- codelengths
def with_head(model, num_classes: int, seed: int = 0):
    """``model`` itself when it has ``num_classes`` logits, else a copy whose linear head is
    replaced by a freshly initialised one with ``num_classes`` outputs.

    Coding a function with a different label set (e.g. another task over the same inputs,
    the paper's sec. 4.1) needs a coder of the target's output size: the receiver knows the
    architecture and theta_A's body, and learns the new head from the coded labels.
    The new head's initialisation is seeded (``torch.manual_seed(seed)`` in a forked RNG).
    """
    import torch
    from torch import nn

    _check_model("model", model)
    num_classes = _check_int("num_classes", num_classes, minimum=1)
    head = getattr(model, "head", None)
    if not isinstance(head, nn.Linear):
        raise ValueError("model must be a netsim Classifier (with a linear ``head``) to change its outputs")
    if head.out_features == num_classes:
        return model
    fresh = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(_check_int("seed", seed))
        fresh.head = nn.Linear(head.in_features, num_classes, bias=head.bias is not None)
    fresh.num_classes = num_classes
    return fresh


def kl_codelength(model_A, target, x, config: CodingConfig | None = None, *,
                  convergence: bool = False, x_eval=None) -> Codelength:
    """Expected codelength L'(f_B | f_A) of eq. 6, block-wise, in bits.

    Parameters
    ----------
    model_A : nn.Module
        theta_A, the model the receiver already knows (not modified).
    target : nn.Module or array_like (k, C)
        f_B, as a model or as its probabilities on ``x``.
    x : array_like or torch.Tensor (k, ...)
        The inputs, coded in order.
    config : CodingConfig, optional
    convergence : bool
        Also fine-tune on all k inputs and report E_x KL(f_B || f_theta_k) (eq. 4) as
        ``final_kl``, over ``x_eval`` (a model target only) or else over ``x``.

    Returns
    -------
    Codelength
    """
    config = _check_config(config)
    _check_model("model_A", model_A)
    x = _as_inputs(x)
    logp_B = _target_log_probs(target, x)
    _check_outputs(model_A, x, logp_B.shape[1])
    objective = _kl_objective(logp_B)
    t, block_bits = _code_blocks(model_A, x, config, objective,
                                 lambda logq, lo, hi: _kl_rows(logp_B[lo:hi], logq).sum())
    final = None
    if convergence:
        final = _final_kl(model_A, target, x, logp_B, objective, config, len(t), x_eval)
    return Codelength(float(block_bits.sum()), block_bits, t, None, final)


def _final_kl(model_A, target, x, logp_B, objective, config, stream, x_eval):
    from torch import nn

    model = _fine_tune(model_A, x, objective, config, stream=stream)
    if x_eval is not None:
        if not isinstance(target, nn.Module):
            raise ValueError("x_eval needs target to be a model (its probabilities are known on x only)")
        x_eval = _as_inputs(x_eval)
        logp_B = _log_probs(target, x_eval)
    else:
        x_eval = x
    return float(_kl_rows(logp_B, _log_probs(model, x_eval)).mean()) / LN2


def sampled_codelength(model_A, target, x, config: CodingConfig | None = None, *,
                       seed: int | None = None) -> Codelength:
    """Sampled prequential codelength L_k(f_B | f_A) of eqs. 2-3, block-wise, in bits.

    Labels y_i ~ f_B(x_i) are drawn with ``seed`` (default ``config.seed``). Block s+1 is
    coded with -log2 p_theta(y_i | x_i), theta the copy of theta_A fine-tuned with
    cross-entropy on (x_1..t_s, y_1..t_s) (eq. 2; the first block with theta_A itself).
    The bits-back term sum_i log2 p_B(y_i | x_i) of eq. 3 is added, so that
    E_y[L_k] >= L'(f_B | f_A) (eq. 5), with equality when fine-tuning is a no-op.
    """
    import torch

    config = _check_config(config)
    _check_model("model_A", model_A)
    x = _as_inputs(x)
    logp_B = _target_log_probs(target, x)
    _check_outputs(model_A, x, logp_B.shape[1])
    seed = config.seed if seed is None else _check_int("seed", seed)
    gen = torch.Generator().manual_seed(int(seed))
    y = torch.multinomial(logp_B.exp(), 1, generator=gen).squeeze(1)
    bits_back = float(logp_B.gather(1, y[:, None]).sum()) / LN2

    def objective(logq, idx):
        return -logq.gather(1, y[idx, None]).squeeze(1)

    def score(logq, lo, hi):  # -log p_theta(y|x) + log p_B(y|x), summed over the block
        return (logp_B[lo:hi] - logq).gather(1, y[lo:hi, None]).sum()

    t, block_bits = _code_blocks(model_A, x, config, objective, score)
    return Codelength(float(block_bits.sum()), block_bits, t, bits_back)


# ----------------------------------------------------------------------------- distances
def information_distance(model_A, model_B, x, config: CodingConfig | None = None, *,
                         convergence: bool = False) -> InformationDistance:
    """d_p(f_A, f_B) = max{L'(f_A|f_B), L'(f_B|f_A)} (eq. 7), in bits.

    Both directions use the same ``config`` (same seeds), so d_p is symmetric by
    construction. ``convergence=True`` reports eq. 4 for both directions. Models with
    different numbers of classes (different tasks over the same inputs) code each other
    through :func:`with_head` (a fresh head of the target's size, seeded by config.seed).
    """
    config = _check_config(config)
    _check_model("model_A", model_A)
    _check_model("model_B", model_B)
    x = _as_inputs(x)
    c_A, c_B = (_log_probs(m, x[:1]).shape[1] for m in (model_A, model_B))
    coder_A = model_A if c_A == c_B else with_head(model_A, c_B, config.seed)
    coder_B = model_B if c_A == c_B else with_head(model_B, c_A, config.seed)
    b_given_a = kl_codelength(coder_A, model_B, x, config, convergence=convergence)
    a_given_b = kl_codelength(coder_B, model_A, x, config, convergence=convergence)
    return InformationDistance(max(a_given_b.bits, b_given_a.bits), a_given_b, b_given_a)


def random_like(model, seed: int = 0):
    """A randomly initialised model of the same architecture (fresh default init).

    Every submodule with ``reset_parameters`` is reset under ``torch.manual_seed(seed)``
    inside a forked RNG, so the caller's RNG state is untouched.
    """
    import torch

    _check_model("model", model)
    seed = _check_int("seed", seed)
    fresh = copy.deepcopy(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for module in fresh.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
    return fresh


def distance_to_random(model, x, config: CodingConfig | None = None, *, seed: int = 0,
                       convergence: bool = False) -> InformationDistance:
    """d_p(f, 0): the information distance to a randomly initialised model of the same
    architecture (:func:`random_like`), the paper's "empty function"."""
    return information_distance(model, random_like(model, seed), x, config, convergence=convergence)


# ----------------------------------------------------------------------------- selection
@dataclass
class CodingSelection:
    """The result of :func:`select_coding_config`."""

    config: CodingConfig
    bits: dict = field(repr=False)  # (lr, epochs) -> L'(f_B | f_A) in bits


def select_coding_config(model_A, model_B, x, *, lrs=(3e-4, 1e-3, 3e-3), epochs=(5, 10, 20),
                         base: CodingConfig | None = None) -> CodingSelection:
    """Pick lr and epochs per block minimising L'(f_B | f_A) on a held-out pair (the paper's
    hyper-parameter search), the other fields taken from ``base``.

    Returns
    -------
    CodingSelection
        ``config``: the chosen CodingConfig; ``bits``: codelength of every grid point.
        Ties go to the first grid point (smaller lr, fewer epochs).
    """
    base = _check_config(base)
    lrs, epochs = tuple(lrs), tuple(epochs)
    if not lrs:
        raise ValueError("lrs must be a non-empty sequence of learning rates")
    if not epochs:
        raise ValueError("epochs must be a non-empty sequence of epoch counts")
    x = _as_inputs(x)
    bits = {}
    for lr, ep in itertools.product(lrs, epochs):
        cfg = base.replace(lr=lr, epochs=ep)
        bits[(lr, ep)] = kl_codelength(model_A, model_B, x, cfg).bits
    lr, ep = min(bits, key=bits.get)
    return CodingSelection(base.replace(lr=lr, epochs=ep), bits)
