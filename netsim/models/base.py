"""Shared pieces of the model registry: the ``Classifier`` container, option
validation and the small layer factories every architecture uses.

Initialisation everywhere is PyTorch's default. For ``nn.Linear`` and ``nn.Conv*``
that is ``kaiming_uniform_(a=sqrt(5))``, i.e. weights and biases drawn from
U[-d^{-1/2}, d^{-1/2}] with d the fan-in: exactly the initialisation the thesis
states, so no custom init is applied.
"""
from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch
from torch import nn

NORMS = (None, "batch", "layer")
ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}


class Classifier(nn.Module):
    """A network split into a feature extractor and a linear head.

    Parameters
    ----------
    body : nn.Module
        Maps inputs ``(batch, *input_shape)`` to features ``(batch, feature_dim)``.
    head : nn.Linear
        Maps features ``(batch, feature_dim)`` to logits ``(batch, num_classes)``.

    Attributes
    ----------
    feature_dim : int
        Width of the penultimate features, ``head.in_features``.
    num_classes : int
        Number of logits, ``head.out_features``.
    """

    def __init__(self, body: nn.Module, head: nn.Linear):
        super().__init__()
        if not isinstance(head, nn.Linear):
            raise TypeError(f"head must be an nn.Linear, got {type(head).__name__}")
        self.body = body
        self.head = head
        self.feature_dim = head.in_features
        self.num_classes = head.out_features

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features, shape ``(batch, feature_dim)``."""
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape ``(batch, num_classes)``."""
        return self.head(self.body(x))


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters of ``model`` (shared tensors counted once)."""
    return sum(p.numel() for p in model.parameters())


def residual_blocks(model: nn.Module) -> list[nn.Module]:
    """The residual blocks of a ``resnet`` or ``transformer`` classifier, input first.

    Hooking the output of each returned module gives the block outputs (the
    representation study 3 compares).

    Parameters
    ----------
    model : Classifier
        Built by ``build_model`` with a ``resnet*`` or ``transformer`` name.

    Returns
    -------
    list of nn.Module
        The blocks in forward order; each maps ``(batch, C, *spatial)`` (resnet) or
        ``(batch, tokens, dim)`` (transformer) to a tensor of the same layout.
    """
    blocks = getattr(getattr(model, "body", None), "blocks", None)
    if not isinstance(blocks, nn.Sequential):
        raise ValueError(
            "residual_blocks needs a model built with a 'resnet*' or 'transformer' "
            f"name (one whose body has a 'blocks' container); got {type(model).__name__}"
            + (f" with body {type(model.body).__name__}" if hasattr(model, "body") else "")
        )
    return list(blocks)


# --------------------------------------------------------------------------- options
def check_shape(input_shape, ndims: Sequence[int] | None = None, model: str = "") -> tuple:
    """Validate ``input_shape`` (no batch dimension) and return it as a tuple of ints."""
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, Sequence):
        raise ValueError(f"input_shape must be a tuple of positive ints, got {input_shape!r}")
    shape = tuple(input_shape)
    if not shape or not all(is_int(s) and s > 0 for s in shape):
        raise ValueError(f"input_shape must be a non-empty tuple of positive ints, got {input_shape!r}")
    if ndims is not None and len(shape) not in ndims:
        layouts = {1: "(features,)", 2: "(channels, length)", 3: "(channels, height, width)"}
        expected = " or ".join(layouts[n] for n in ndims)
        raise ValueError(f"model {model!r} needs input_shape {expected}, got input_shape={shape}")
    return tuple(int(s) for s in shape)


def check_int(name: str, value, minimum: int = 1) -> int:
    """``value`` as an int >= ``minimum``; ValueError naming ``name`` otherwise."""
    if not is_int(value) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_ints(name: str, value, minimum: int = 1, length: int | None = None,
               allow_empty: bool = False) -> tuple[int, ...]:
    """A tuple of ints >= ``minimum``; a single int is broadcast to ``length``."""
    if is_int(value) and length is not None:
        value = (value,) * length
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ValueError(f"{name} must be a tuple of ints, got {value!r}")
    if not value and not allow_empty:
        raise ValueError(f"{name} must not be empty")
    if length is not None and len(value) != length:
        raise ValueError(f"{name} must have {length} entries, got {len(value)}: {value!r}")
    return tuple(check_int(name, v, minimum) for v in value)


def check_bool(name: str, value) -> bool:
    """``value`` if it is a bool (not merely truthy); ValueError naming ``name`` otherwise."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")
    return value


def check_choice(name: str, value, choices) -> object:
    """``value`` if it is one of ``choices``; ValueError naming ``name`` otherwise."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {tuple(choices)!r}, got {value!r}")
    return value


def check_dropout(value, name: str = "dropout") -> float:
    """A dropout probability in [0, 1) as a float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a float in [0, 1), got {value!r}")
    return float(value)


def check_kernel_size(value) -> int:
    """Odd kernel sizes only: 'same' padding k // 2 then keeps lengths, so residual sums align."""
    k = check_int("kernel_size", value)
    if k % 2 == 0:
        raise ValueError(f"kernel_size must be odd (so padding keeps the size), got {k}")
    return k


def is_int(value) -> bool:
    """True for Python and numpy integers, False for bools."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# --------------------------------------------------------------------------- layers
def make_activation(name: str) -> nn.Module:
    """A fresh activation module: ``"relu"``, ``"tanh"`` or ``"gelu"``."""
    return ACTIVATIONS[check_choice("activation", name, ACTIVATIONS)]()


def make_norm(norm: str | None, channels: int, spatial_dims: int) -> nn.Module:
    """Normalisation of ``channels`` features with ``spatial_dims`` (0, 1 or 2) spatial axes.

    ``"layer"`` on conv features is ``GroupNorm(1, channels)``: it normalises each
    sample over channels *and* positions (LayerNorm over (C, *spatial)) with a
    per-channel affine, and, unlike ``nn.LayerNorm``, needs no fixed spatial size.
    ``None`` gives ``nn.Identity`` so that blocks keep the same submodule names.
    """
    if norm is None:
        return nn.Identity()
    if norm == "batch":
        return (nn.BatchNorm1d, nn.BatchNorm1d, nn.BatchNorm2d)[spatial_dims](channels)
    if spatial_dims == 0:
        return nn.LayerNorm(channels)
    return nn.GroupNorm(1, channels)


def conv_layer(spatial_dims: int, in_channels: int, out_channels: int, kernel_size: int,
               stride: int = 1, bias: bool = True) -> nn.Module:
    """``Conv1d``/``Conv2d`` with 'same' padding (stride 1) for odd kernels."""
    conv = nn.Conv1d if spatial_dims == 1 else nn.Conv2d
    return conv(in_channels, out_channels, kernel_size, stride=stride,
                padding=kernel_size // 2, bias=bias)


def global_pool(spatial_dims: int) -> nn.Sequential:
    """Global average pool to ``(batch, channels)`` whatever the input size."""
    pool = nn.AdaptiveAvgPool1d(1) if spatial_dims == 1 else nn.AdaptiveAvgPool2d(1)
    return nn.Sequential(pool, nn.Flatten(1))


def default_kernel_size(spatial_dims: int) -> int:
    """5 on 1-D signals (the thesis' MNIST-1D analog), 3 on images."""
    return 5 if spatial_dims == 1 else 3
