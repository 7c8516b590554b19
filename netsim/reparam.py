"""Reparameterisations of a ReLU MLP for the invariance experiments (study 1, seed 000
appendix B.1).

The network is a ``netsim.models.Classifier`` built by ``build_model("mlp", ...)``
without normalisation layers (biased or bias-free): its Linear layers, in order, are the
hidden layers ``fc1, fc2, ...`` then the head; :func:`linear_layers` lists them and
``layer`` indexes that list. Every function returns a new model; the input is never
modified.

- :func:`scale_layer`: layer i times c, layer i+1 divided by c (function-preserving for
  ReLU, c > 0).
- :func:`swap_neurons`: a fraction c of layer i's units permuted, layer i+1's inputs
  permuted to match (function-preserving).
- :func:`gaussian_perturbation`: N(0, c^2) noise added to every weight.
- :func:`adversarial_perturbation`: a vector v with std(v) = c maximising the change of
  the penultimate representations, by projected gradient ascent.
- :func:`interpolate`: (1 - alpha) theta_A + alpha theta_B.
"""
from __future__ import annotations

import copy
import math
import numbers

import numpy as np


# ----------------------------------------------------------------------------- checks
def _check_model(model, name="model"):
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"{name} must be a torch nn.Module; got {type(model).__name__}")
    return model


def _check_real(name, value, minimum=None, strict=True):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    if minimum is not None and (value <= minimum if strict else value < minimum):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {minimum}; got {value!r}")
    return float(value)


def _check_int(name, value, minimum=0):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def linear_layers(model) -> list:
    """The Linear layers of a ReLU MLP ``Classifier`` in forward order (head last).

    Raises ``ValueError`` when the model holds normalisation or convolution layers or an
    activation other than ReLU (then scaling/swapping would not preserve the function).
    """
    from torch import nn

    _check_model(model)
    allowed = (nn.Linear, nn.ReLU, nn.Flatten, nn.Identity, nn.Dropout, nn.Sequential)
    for m in model.modules():
        if m is not model and not isinstance(m, allowed):
            raise ValueError(f"model must be a ReLU MLP without normalisation; found {type(m).__name__}")
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model has no Linear layers")
    return layers


def _hidden_pair(model, layer):
    layers = linear_layers(model)
    layer = _check_int("layer", layer)
    if layer >= len(layers) - 1:
        raise ValueError(f"layer must index a hidden layer, 0 <= layer < {len(layers) - 1}; got {layer}")
    return layers[layer], layers[layer + 1]


# ----------------------------------------------------------------------------- function-preserving
def scale_layer(model, layer: int, c: float):
    """Multiply layer ``layer``'s weights and bias by c and divide layer+1's weights by c.

    ReLU is positively homogeneous, so for c > 0 the output is unchanged.
    """
    import torch

    c = _check_real("c", c, minimum=0.0)
    new = copy.deepcopy(_check_model(model))
    first, second = _hidden_pair(new, layer)
    with torch.no_grad():
        first.weight.mul_(c)
        if first.bias is not None:
            first.bias.mul_(c)
        second.weight.div_(c)
    return new


def swap_neurons(model, layer: int, fraction: float, seed: int = 0):
    """Permute round(fraction * width) units of layer ``layer`` among themselves (every
    chosen unit moves: a cyclic shift of a random subset), and permute the inputs of
    layer+1 to match, so the output is unchanged."""
    import torch

    fraction = _check_real("fraction", fraction, minimum=0.0, strict=False)
    if fraction > 1:
        raise ValueError(f"fraction must be in [0, 1]; got {fraction}")
    seed = _check_int("seed", seed)
    new = copy.deepcopy(_check_model(model))
    first, second = _hidden_pair(new, layer)
    width = first.out_features
    m = int(round(fraction * width))
    perm = np.arange(width)
    if m >= 2:
        chosen = np.random.default_rng(seed).choice(width, size=m, replace=False)
        perm[chosen] = np.roll(chosen, 1)
    idx = torch.as_tensor(perm)
    with torch.no_grad():
        first.weight.copy_(first.weight[idx])
        if first.bias is not None:
            first.bias.copy_(first.bias[idx])
        second.weight.copy_(second.weight[:, idx])
    return new


# ----------------------------------------------------------------------------- perturbations
def gaussian_perturbation(model, std: float, seed: int = 0):
    """Add zero-mean Gaussian noise of standard deviation ``std`` to every parameter."""
    import torch

    std = _check_real("std", std, minimum=0.0, strict=False)
    seed = _check_int("seed", seed)
    new = copy.deepcopy(_check_model(model))
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in new.parameters():
            p.add_(std * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return new


def _project_std(v, std):
    """Centre v and rescale it to standard deviation ``std`` (the constraint std(v) = c)."""
    v = v - v.mean()
    return v * (std / v.std(unbiased=False).clamp_min(1e-30))


def adversarial_perturbation(model, x, std: float, *, steps: int = 20, lr: float = 0.1,
                             seed: int = 0):
    """theta + v with std(v) = ``std`` maximising E_x ||f^r_theta(x) - f^r_{theta+v}(x)||^2.

    f^r is the penultimate representation (``model.forward_features``). Projected gradient
    ascent: v starts Gaussian, each step moves v along the normalised gradient by
    ``lr * std * sqrt(dim)`` and projects back onto {v : mean(v) = 0, std(v) = std}.
    """
    import torch
    from torch.func import functional_call

    std = _check_real("std", std, minimum=0.0, strict=False)
    steps = _check_int("steps", steps)
    lr = _check_real("lr", lr, minimum=0.0)
    seed = _check_int("seed", seed)
    _check_model(model)
    x = torch.as_tensor(np.asarray(x.detach().cpu() if hasattr(x, "detach") else x, dtype=np.float32))
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n, ...) with n >= 1; got {tuple(x.shape)}")
    new = copy.deepcopy(model)
    new.eval()
    if std == 0:
        return new
    names = [n for n, _ in new.named_parameters()]
    base = [p.detach().clone() for _, p in new.named_parameters()]
    sizes = [p.numel() for p in base]
    theta = torch.cat([p.reshape(-1) for p in base])
    gen = torch.Generator().manual_seed(seed)
    v = _project_std(torch.randn(theta.shape, generator=gen, dtype=theta.dtype), std)
    with torch.no_grad():
        ref = new.forward_features(x)

    def params(vec):
        return {n: t.reshape(b.shape) for n, t, b in zip(names, torch.split(theta + vec, sizes), base)}

    step = lr * std * math.sqrt(theta.numel())
    for _ in range(steps):
        v = v.detach().requires_grad_(True)
        feats = _features_call(new, params(v), x, functional_call)
        gain = ((feats - ref) ** 2).sum(dim=1).mean()
        (grad,) = torch.autograd.grad(gain, v)
        with torch.no_grad():
            v = _project_std(v + step * grad / grad.norm().clamp_min(1e-30), std)
    with torch.no_grad():
        for p, t in zip(new.parameters(), torch.split(theta + v.detach(), sizes)):
            p.copy_(t.reshape(p.shape))
    return new


def _features_call(model, params, x, functional_call):
    """forward_features with the given parameters (functional_call of the body)."""
    body_params = {n[len("body."):]: t for n, t in params.items() if n.startswith("body.")}
    return functional_call(model.body, body_params, (x,))


# ----------------------------------------------------------------------------- interpolation
def interpolate(model_A, model_B, alpha: float):
    """A copy of ``model_A`` with parameters (1 - alpha) theta_A + alpha theta_B."""
    import torch

    _check_model(model_A, "model_A")
    _check_model(model_B, "model_B")
    alpha = _check_real("alpha", alpha)
    pa, pb = list(model_A.parameters()), list(model_B.parameters())
    if len(pa) != len(pb) or any(a.shape != b.shape for a, b in zip(pa, pb)):
        raise ValueError("model_A and model_B must have the same architecture (parameter shapes)")
    new = copy.deepcopy(model_A)
    with torch.no_grad():
        for p, b in zip(new.parameters(), pb):
            p.mul_(1 - alpha).add_(alpha * b.detach())
    return new
