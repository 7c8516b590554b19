"""Fully connected networks, including the bias-free ones of study 6."""
from __future__ import annotations

import math
from collections import OrderedDict

from torch import nn

from .base import (ACTIVATIONS, NORMS, Classifier, check_bool, check_choice, check_dropout, check_ints,
                   check_shape, make_activation, make_norm)


def build_mlp(input_shape, num_classes: int, *, widths=(256, 128), activation: str = "relu",
              norm: str | None = None, bias: bool = True, dropout: float = 0.0,
              head_bias: bool | None = None) -> Classifier:
    """Multi-layer perceptron on the flattened input.

    Hidden layer k computes ``h_k = dropout(act(norm(W_k h_{k-1} + b_k)))``.

    Parameters
    ----------
    input_shape : tuple of int
        Any shape; inputs ``(batch, *input_shape)`` are flattened to ``(batch, prod)``.
    num_classes : int
        Number of logits.
    widths : tuple of int, default (256, 128)
        Hidden widths; ``()`` gives a linear model (features are the flat input).
    activation : {"relu", "tanh", "gelu"}
    norm : {None, "batch", "layer"}, default None
        Normalisation after each hidden linear layer. With ``"batch"`` the linear
        layers before it carry no bias (BatchNorm's shift makes it redundant).
    bias : bool, default True
        ``False`` makes the whole network bias-free, head included,
        ``h_k = act(W_k h_{k-1})`` (study 6); it requires ``norm=None`` because a
        normalisation layer re-centres its input.
    dropout : float in [0, 1)
        Dropout after each hidden activation.
    head_bias : bool, optional
        Bias of the head; defaults to ``bias``.

    Returns
    -------
    Classifier
        ``body`` is an ``nn.Sequential`` with children ``flatten, fc1, norm1, act1,
        [drop1,] fc2, ...``; ``feature_dim`` is ``widths[-1]`` (or the input size).
    """
    shape = check_shape(input_shape, model="mlp")
    widths = check_ints("widths", widths, allow_empty=True)
    check_choice("norm", norm, NORMS)
    check_choice("activation", activation, ACTIVATIONS)
    bias = check_bool("bias", bias)
    dropout = check_dropout(dropout)
    head_bias = bias if head_bias is None else check_bool("head_bias", head_bias)
    if not bias and norm is not None:
        raise ValueError(f"bias=False needs norm=None (a {norm!r} norm re-centres its "
                         "input, so the network would not be bias-free)")

    layers = OrderedDict(flatten=nn.Flatten(1))
    width = math.prod(shape)
    for k, out in enumerate(widths, start=1):
        layers[f"fc{k}"] = nn.Linear(width, out, bias=bias and norm != "batch")
        if norm is not None:
            layers[f"norm{k}"] = make_norm(norm, out, spatial_dims=0)
        layers[f"act{k}"] = make_activation(activation)
        if dropout:
            layers[f"drop{k}"] = nn.Dropout(dropout)
        width = out
    return Classifier(nn.Sequential(layers), nn.Linear(width, num_classes, bias=head_bias))
