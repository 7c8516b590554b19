"""AllCNN-style networks: a stack of convolutions, then global average pooling."""
from __future__ import annotations

from collections import OrderedDict

from torch import nn

from .base import (ACTIVATIONS, NORMS, Classifier, check_bool, check_choice, check_dropout, check_ints,
                   check_kernel_size, check_shape, conv_layer, default_kernel_size,
                   global_pool, make_activation, make_norm)


def build_allcnn(input_shape, num_classes: int, *, channels=(32, 32, 32),
                 kernel_size: int | None = None, strides=1, norm: str | None = "batch",
                 activation: str = "relu", dropout: float = 0.0,
                 head_bias: bool = True) -> Classifier:
    """All-convolutional network for 1-D signals or images.

    Each layer is ``conv -> norm -> activation [-> dropout]``; downsampling, if any,
    is by strided convolution (no pooling layers), and global average pooling
    makes the features independent of the input size. The default is the thesis'
    MNIST-1D analog: 3 conv layers of 32 channels, kernel 5.

    Parameters
    ----------
    input_shape : (channels, length) or (channels, height, width)
    num_classes : int
    channels : tuple of int, default (32, 32, 32)
        Output channels of each conv layer; the last is ``feature_dim``.
    kernel_size : odd int, optional
        Default 5 for 1-D input, 3 for images.
    strides : int or tuple of int, default 1
        Stride of every layer, or one per layer.
    norm : {"batch", "layer", None}, default "batch"
        ``"layer"`` is ``GroupNorm(1, C)``, see ``make_norm``. Convolutions before
        BatchNorm carry no bias.
    activation : {"relu", "tanh", "gelu"}
    dropout : float in [0, 1)
        Dropout after each activation.
    head_bias : bool, default True

    Returns
    -------
    Classifier
        ``body`` is an ``nn.Sequential`` with children ``conv1, [norm1,] act1, ...,
        pool``; features have shape ``(batch, channels[-1])``.
    """
    shape = check_shape(input_shape, ndims=(2, 3), model="allcnn")
    spatial_dims = len(shape) - 1
    channels = check_ints("channels", channels)
    kernel_size = check_kernel_size(default_kernel_size(spatial_dims) if kernel_size is None
                                    else kernel_size)
    strides = check_ints("strides", strides, length=len(channels))
    check_choice("norm", norm, NORMS)
    check_choice("activation", activation, ACTIVATIONS)
    dropout = check_dropout(dropout)
    head_bias = check_bool("head_bias", head_bias)

    layers = OrderedDict()
    width = shape[0]
    for k, (out, stride) in enumerate(zip(channels, strides), start=1):
        layers[f"conv{k}"] = conv_layer(spatial_dims, width, out, kernel_size, stride,
                                        bias=norm != "batch")
        if norm is not None:
            layers[f"norm{k}"] = make_norm(norm, out, spatial_dims)
        layers[f"act{k}"] = make_activation(activation)
        if dropout:
            layers[f"drop{k}"] = nn.Dropout(dropout)
        width = out
    layers["pool"] = global_pool(spatial_dims)
    return Classifier(nn.Sequential(layers), nn.Linear(width, num_classes, bias=head_bias))
