"""Residual networks for 1-D signals and images, with basic or bottleneck blocks.

Submodule names are part of the API: study 2 resets parameters by layer type
(``conv_reduce``, ``conv_spatial``, ``conv_expand``, ``shortcut``) and study 3 hooks
the output of every block in ``model.body.blocks`` (see ``residual_blocks``).
"""
from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

from .base import (ACTIVATIONS, NORMS, Classifier, check_bool, check_choice, check_dropout, check_int,
                   check_ints, check_kernel_size, check_shape, conv_layer, is_int,
                   default_kernel_size, global_pool, make_activation, make_norm)

EXPANSION = 4  # bottleneck output channels = EXPANSION * inner width, as in ResNet-50


class BasicBlock(nn.Module):
    """Two k-convolutions and a shortcut: ``act(norm2(conv2(act1(norm1(conv1 x)))) + shortcut x)``.

    Shapes: ``(batch, in_channels, *spatial)`` -> ``(batch, out_channels, *spatial / stride)``.
    """

    def __init__(self, spatial_dims, in_channels, width, stride, kernel_size, norm, activation):
        super().__init__()
        self.out_channels = width
        bias = norm != "batch"
        self.conv1 = conv_layer(spatial_dims, in_channels, width, kernel_size, stride, bias)
        self.norm1 = make_norm(norm, width, spatial_dims)
        self.act1 = make_activation(activation)
        self.conv2 = conv_layer(spatial_dims, width, width, kernel_size, 1, bias)
        self.norm2 = make_norm(norm, width, spatial_dims)
        self.shortcut = _shortcut(spatial_dims, in_channels, width, stride, norm)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act1(self.norm1(self.conv1(x)))
        out = self.norm2(self.conv2(out))
        return self.act(out + self.shortcut(x))


class BottleneckBlock(nn.Module):
    """1x1 reduce, k spatial (strided), 1x1 expand to ``EXPANSION * width``, plus shortcut.

    Shapes: ``(batch, in_channels, *spatial)`` ->
    ``(batch, EXPANSION * width, *spatial / stride)``. The stride sits on the
    spatial convolution (ResNet v1.5).
    """

    def __init__(self, spatial_dims, in_channels, width, stride, kernel_size, norm, activation):
        super().__init__()
        self.out_channels = EXPANSION * width
        bias = norm != "batch"
        self.conv_reduce = conv_layer(spatial_dims, in_channels, width, 1, 1, bias)
        self.norm_reduce = make_norm(norm, width, spatial_dims)
        self.act_reduce = make_activation(activation)
        self.conv_spatial = conv_layer(spatial_dims, width, width, kernel_size, stride, bias)
        self.norm_spatial = make_norm(norm, width, spatial_dims)
        self.act_spatial = make_activation(activation)
        self.conv_expand = conv_layer(spatial_dims, width, self.out_channels, 1, 1, bias)
        self.norm_expand = make_norm(norm, self.out_channels, spatial_dims)
        self.shortcut = _shortcut(spatial_dims, in_channels, self.out_channels, stride, norm)
        self.act = make_activation(activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.act_reduce(self.norm_reduce(self.conv_reduce(x)))
        out = self.act_spatial(self.norm_spatial(self.conv_spatial(out)))
        out = self.norm_expand(self.conv_expand(out))
        return self.act(out + self.shortcut(x))


def _shortcut(spatial_dims, in_channels, out_channels, stride, norm) -> nn.Module:
    """Identity when shapes match, else a strided 1x1 projection (+ norm)."""
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    return nn.Sequential(OrderedDict(
        conv=conv_layer(spatial_dims, in_channels, out_channels, 1, stride, bias=norm != "batch"),
        norm=make_norm(norm, out_channels, spatial_dims),
    ))


def build_resnet(input_shape, num_classes: int, *, width: int = 16, blocks=(2,),
                 stages: int | None = None, bottleneck: bool = False,
                 kernel_size: int | None = None, norm: str | None = "batch",
                 activation: str = "relu", dropout: float = 0.0,
                 head_bias: bool = True) -> Classifier:
    """Residual network: stem, stages of residual blocks, global average pool.

    Stage ``s`` (from 0) has inner width ``width * 2**s``; its first block has
    stride 2 for ``s > 0`` (downsampling by 2 along every spatial axis) and a
    projection shortcut where the shape changes.

    Parameters
    ----------
    input_shape : (channels, length) or (channels, height, width)
    num_classes : int
    width : int, default 16
        Channels of the stem and of stage 0.
    blocks : int or tuple of int, default (2,)
        Residual blocks per stage: a tuple gives one entry per stage, an int is
        repeated over ``stages``.
    stages : int, optional
        Number of stages; defaults to ``len(blocks)`` (1 for an int). Must agree
        with a tuple ``blocks``.
    bottleneck : bool, default False
        Bottleneck blocks (``conv_reduce`` 1x1, ``conv_spatial`` k, ``conv_expand``
        1x1 to 4x width) instead of basic blocks (``conv1``, ``conv2``, both k).
    kernel_size : odd int, optional
        Spatial kernel of the stem and blocks; default 5 for 1-D, 3 for images.
    norm : {"batch", "layer", None}, default "batch"
        ``"layer"`` is ``GroupNorm(1, C)`` (LayerNorm over channels and positions,
        see ``make_norm``); ``None`` leaves ``nn.Identity`` in the norm slots.
        Convolutions before BatchNorm carry no bias.
    activation : {"relu", "tanh", "gelu"}
    dropout : float in [0, 1)
        Dropout on the pooled features, before the head.
    head_bias : bool, default True

    Returns
    -------
    Classifier
        ``body`` is an ``nn.Sequential`` with children ``stem``, ``blocks`` (all
        residual blocks in order), ``pool`` and, if ``dropout > 0``, ``dropout``;
        ``feature_dim`` is the channel count of the last block.
    """
    shape = check_shape(input_shape, ndims=(2, 3), model="resnet")
    spatial_dims = len(shape) - 1
    width = check_int("width", width)
    if stages is not None:
        stages = check_int("stages", stages)
    if is_int(blocks):
        blocks = (blocks,) * (stages or 1)
    blocks = check_ints("blocks", blocks)
    if stages is not None and len(blocks) != stages:
        raise ValueError(f"blocks={blocks!r} has {len(blocks)} stages but stages={stages}")
    kernel_size = check_kernel_size(default_kernel_size(spatial_dims) if kernel_size is None
                                    else kernel_size)
    block_cls = BottleneckBlock if check_bool("bottleneck", bottleneck) else BasicBlock
    check_choice("norm", norm, NORMS)
    check_choice("activation", activation, ACTIVATIONS)
    dropout = check_dropout(dropout)
    head_bias = check_bool("head_bias", head_bias)

    stem = nn.Sequential(OrderedDict(
        conv=conv_layer(spatial_dims, shape[0], width, kernel_size, 1, bias=norm != "batch"),
        norm=make_norm(norm, width, spatial_dims),
        act=make_activation(activation),
    ))
    layers, channels = [], width
    for stage, n_blocks in enumerate(blocks):
        for index in range(n_blocks):
            stride = 2 if stage > 0 and index == 0 else 1
            block = block_cls(spatial_dims, channels, width * 2 ** stage, stride, kernel_size,
                              norm, activation)
            layers.append(block)
            channels = block.out_channels
    body = nn.Sequential(OrderedDict(
        stem=stem, blocks=nn.Sequential(*layers), pool=global_pool(spatial_dims)))
    if dropout:
        body.add_module("dropout", nn.Dropout(dropout))
    return Classifier(body, nn.Linear(channels, num_classes, bias=head_bias))
