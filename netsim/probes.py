"""Probes: block features and the gradient of the expected loss w.r.t. them (gradient paper, eqs. 4-5).

For each named block of any ``nn.Module`` (a path accepted by ``model.get_submodule``:
``"body.blocks.1"`` of a netsim ResNet, ``"layer2.1"`` of a torchvision one, timm's
``"stages.2"``) one forward and one backward pass per batch give

- f_n, the block's output for sample n, flattened: (n, d);
- g_n = E_{y ~ q(y|x_n)} d(-log p(y|x_n)) / d f_n with q(y|x) proportional to p(y|x)^beta
  (eq. 5; beta = 0.5 in the paper); q is detached, so g_n = -sum_y q_y d log p_y / d f_n.

With beta = 1 (q = p) the expectation is exactly zero (the score has mean zero), which is why
the paper smooths with beta < 1. The model runs in eval mode (batch-norm statistics fixed,
dropout off), so the rows of a batch do not interact and the gradient of the summed loss is
the per-sample gradient. Gradients are taken w.r.t. a zero tensor added to each block output,
so they exist for frozen models and in-place operations after the block do not affect them.
"""
from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import nn


def _check_beta(beta) -> float:
    try:
        value = float(beta)
    except (TypeError, ValueError):
        raise TypeError(f"beta must be a real number; got {beta!r}") from None
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"beta must be a finite number >= 0; got {beta!r}")
    return value


def _check_batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    return int(batch_size)


def block_names(model: nn.Module, kind: str = "residual") -> list[str]:
    """Names (module paths) of the blocks of ``model``, in registration order.

    Parameters
    ----------
    model : nn.Module
    kind : {"residual", "all", "leaf"}
        ``"residual"``: the residual blocks of a netsim ``resnet``/``transformer`` classifier
        (``netsim.models.base.residual_blocks``); for other models the children of every
        ``nn.Sequential``/``nn.ModuleList`` named ``blocks`` or ``layer<k>`` (timm and
        torchvision ResNets ``layer1.0``, ..., timm ConvNeXt ``stages.2.blocks.0``, ViT
        ``blocks.3``), outermost only. ``"all"``: every named submodule; ``"leaf"``:
        submodules without children.

    Returns
    -------
    list of str, each accepted by ``model.get_submodule``.
    """
    if kind == "residual":
        from netsim.models.base import residual_blocks

        try:
            blocks = residual_blocks(model)
        except ValueError:
            return _container_blocks(model)
        names = {id(module): name for name, module in model.named_modules()}
        return [names[id(block)] for block in blocks]
    if kind == "all":
        return [name for name, _ in model.named_modules() if name]
    if kind == "leaf":
        return [name for name, module in model.named_modules() if name and not any(module.children())]
    raise ValueError(f"kind must be 'residual', 'all' or 'leaf'; got {kind!r}")


_PREFIXES = ("", "body.", "body.model.")


def _container_blocks(model: nn.Module) -> list[str]:
    """Children of containers named ``blocks`` or ``layer<k>``, not nested in one found earlier."""
    found: list[str] = []
    for name, module in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        if not isinstance(module, (nn.Sequential, nn.ModuleList)):
            continue
        if leaf != "blocks" and not re.fullmatch(r"layer\d+", leaf):
            continue
        if any(name.startswith(block + ".") for block in found):
            continue  # a container inside a block already listed
        found += [f"{name}.{child}" if name else child for child, _ in module.named_children()]
    if not found:
        raise ValueError(f"no residual blocks found in {type(model).__name__} (no container named "
                         "'blocks' or 'layer<k>'); pass module names, see block_names(model, 'all')")
    return found


def _resolve_blocks(model: nn.Module, blocks) -> dict[str, nn.Module]:
    """Map each block name to its module; ValueError naming unknown names."""
    if isinstance(blocks, str):
        blocks = [blocks]
    if not isinstance(blocks, Sequence) or not blocks:
        raise ValueError(f"blocks must be a non-empty list of module names; got {blocks!r}")
    if len(set(blocks)) != len(blocks):
        raise ValueError(f"blocks has repeated names: {list(blocks)!r}")
    modules = dict(model.named_modules())
    resolved = {}
    for name in blocks:
        # Names relative to a wrapped model also work: "stages.2" of a netsim timm Classifier
        # is "body.model.stages.2", "blocks.0" of a netsim ResNet is "body.blocks.0".
        path = next((p + name for p in _PREFIXES if isinstance(name, str) and p + name in modules), None)
        if not isinstance(name, str) or name == "" or path is None:
            valid = [n for n in modules if n][:8]
            raise ValueError(f"unknown block {name!r} in {type(model).__name__}; valid names include "
                             f"{valid} (see netsim.probes.block_names(model, 'all'))")
        resolved[name] = modules[path]
    return resolved


def _as_tensor(x) -> torch.Tensor:
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x must be a torch.Tensor or numpy array of inputs; got {type(x).__name__}")
    if x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must hold at least one sample along axis 0; got shape {tuple(x.shape)}")
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    return x


@contextlib.contextmanager
def _eval_mode(model: nn.Module):
    """Eval mode for the duration, then every submodule's previous training flag."""
    flags = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for module, flag in flags:
            module.training = flag


class _Taps:
    """Forward hooks adding a zero leaf to each block output, so d loss / d output = its grad."""

    def __init__(self, modules: dict[str, nn.Module]):
        self.outputs: dict[str, torch.Tensor] = {}
        self.zeros: dict[str, torch.Tensor] = {}
        self.handles = [module.register_forward_hook(self._hook(name)) for name, module in modules.items()]

    def _hook(self, name: str):
        def hook(module, inputs, output):
            if not isinstance(output, torch.Tensor):
                raise TypeError(f"block {name!r} returns {type(output).__name__}, not a tensor; "
                                "probe a submodule that returns one")
            if name in self.outputs:
                raise ValueError(f"block {name!r} ran twice in one forward pass (a shared module); "
                                 "probe a module that runs once")
            zero = torch.zeros_like(output, requires_grad=True)
            self.outputs[name] = output.detach().clone()  # later in-place ops must not change f
            self.zeros[name] = zero
            return output + zero
        return hook

    def clear(self) -> None:
        self.outputs, self.zeros = {}, {}

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def expected_loss(logits: torch.Tensor, beta: float) -> torch.Tensor:
    """sum_n E_{q(y|x_n)} [-log p(y|x_n)] with q proportional to p^beta, detached (eq. 5).

    Parameters
    ----------
    logits : (batch, C)

    Returns
    -------
    scalar tensor; its gradient w.r.t. any per-sample quantity of sample n is g_n.
    """
    if logits.ndim != 2:
        raise ValueError(f"the model must return logits of shape (batch, classes); got {tuple(logits.shape)}")
    log_p = torch.log_softmax(logits, dim=1)
    q = torch.softmax(beta * log_p, dim=1).detach()  # q = p^beta / sum_y p^beta
    return -(q * log_p).sum()


def _probe_batch(model, taps: _Taps, names, xb: torch.Tensor, beta: float):
    taps.clear()
    with torch.enable_grad():
        logits = model(xb)
        if not isinstance(logits, torch.Tensor):
            raise TypeError(f"the model must return a logits tensor; got {type(logits).__name__}")
        missing = [name for name in names if name not in taps.zeros]
        if missing:
            raise ValueError(f"blocks {missing} did not run in the forward pass")
        grads = torch.autograd.grad(expected_loss(logits, beta), [taps.zeros[name] for name in names],
                                    allow_unused=True)
    out = {}
    for name, grad in zip(names, grads):
        feats = taps.outputs[name]
        if grad is None:  # the block output does not reach the logits
            grad = torch.zeros_like(feats)
        b = feats.shape[0]
        out[name] = (feats.reshape(b, -1).double().cpu().numpy(), grad.reshape(b, -1).double().cpu().numpy())
    taps.clear()
    return out


def iter_probes(model: nn.Module, blocks, x, *, beta: float = 0.5, batch_size: int = 256,
                device="cpu") -> Iterator[dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Features and eq.-5 gradients of the named blocks, one dict per batch of ``x``.

    Parameters
    ----------
    model : nn.Module
        Maps a batch of inputs to logits (batch, C). Put in eval mode while probing; its
        training flags are restored afterwards.
    blocks : str or list of str
        Module paths (``model.get_submodule``); each must return a tensor with the batch
        axis first and run once per forward pass. Inside a netsim ``Classifier`` the paths
        of the wrapped network also work (``"stages.2"`` for ``"body.model.stages.2"`` of a
        timm model, ``"blocks.1"`` for ``"body.blocks.1"``); results keep the names given.
    x : torch.Tensor or numpy array (n, *input_shape)
    beta : float >= 0, default 0.5
        q(y|x) proportional to p(y|x)^beta.
    batch_size : int
    device : str or torch.device
        Where the model and batches run ("auto" picks CUDA when present); the model is
        moved there and stays there.

    Yields
    ------
    dict name -> (features (b, d), gradients (b, d)), float64 numpy, b the batch's samples.
    """
    beta, batch_size = _check_beta(beta), _check_batch_size(batch_size)
    modules = _resolve_blocks(model, blocks)
    x = _as_tensor(x)
    if device == "auto":
        from netsim.runtime import resolve_device
        device = resolve_device("auto")
    # Checked above, before the first batch: a generator would only fail when iterated.
    return _generate(model, modules, x, beta, batch_size, device)


def _generate(model, modules, x, beta, batch_size, device):
    names = list(modules)
    model.to(device)
    dtype = next(model.parameters(), torch.empty(0)).dtype
    taps = _Taps(modules)
    try:
        with _eval_mode(model):
            for start in range(0, x.shape[0], batch_size):
                xb = x[start:start + batch_size].to(device)
                if xb.is_floating_point():
                    xb = xb.to(dtype)
                yield _probe_batch(model, taps, names, xb, beta)
    finally:
        taps.remove()


def probe_blocks(model: nn.Module, blocks, x, *, beta: float = 0.5, batch_size: int = 256,
                 device="cpu") -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Features and eq.-5 gradients of the named blocks on all of ``x``.

    Same arguments as :func:`iter_probes`; the batches are stacked.

    Returns
    -------
    dict name -> (features (n, d), gradients (n, d)), float64 numpy, in ``blocks`` order.

    Examples
    --------
    >>> import torch
    >>> from netsim.models import build_model
    >>> model = build_model("resnet", (3, 16, 16), 10, width=4, blocks=(1, 1))
    >>> out = probe_blocks(model, block_names(model), torch.randn(5, 3, 16, 16))
    >>> out["body.blocks.1"][0].shape
    (5, 512)
    """
    parts: dict[str, list] = {}
    for batch in iter_probes(model, blocks, x, beta=beta, batch_size=batch_size, device=device):
        for name, (f, g) in batch.items():
            parts.setdefault(name, []).append((f, g))
    return {name: (np.concatenate([f for f, _ in rows]), np.concatenate([g for _, g in rows]))
            for name, rows in parts.items()}
