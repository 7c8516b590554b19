"""A small ViT-style transformer for 1-D signals (patches along the length) and images."""
from __future__ import annotations

import math
import numbers

import torch
from torch import nn

from .base import (Classifier, check_bool, check_choice, check_dropout, check_int,
                   check_shape)

POS_EMBED_STD = 0.02  # ViT/timm scale for the learned positional embedding


class TransformerBody(nn.Module):
    """Patch embedding, [CLS] token, learned positions, pre-norm encoder, final LayerNorm.

    Input ``(batch, channels, *spatial)``; output ``(batch, dim)``: the final
    [CLS] token (``pool="cls"``) or the mean over patch tokens (``pool="mean"``).
    ``blocks`` holds the encoder layers, each mapping ``(batch, tokens, dim)`` to
    the same shape.
    """

    def __init__(self, in_channels: int, spatial: tuple[int, ...], patch_size: int, dim: int,
                 depth: int, heads: int, mlp_ratio: float, dropout: float, pool: str):
        super().__init__()
        conv = nn.Conv1d if len(spatial) == 1 else nn.Conv2d
        # a conv with kernel = stride = patch is the linear embedding of flattened patches
        self.patch_embed = conv(in_channels, dim, patch_size, stride=patch_size)
        n_tokens = math.prod(s // patch_size for s in spatial) + (pool == "cls")
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim)) if pool == "cls" else None
        self.pos_embed = nn.Parameter(POS_EMBED_STD * torch.randn(1, n_tokens, dim))
        self.dropout = nn.Dropout(dropout)
        # separate layers, not nn.TransformerEncoder: that deep-copies one layer, so every
        # layer would start from identical weights
        self.blocks = nn.Sequential(*(
            nn.TransformerEncoderLayer(dim, heads, dim_feedforward=round(dim * mlp_ratio),
                                       dropout=dropout, activation="gelu", batch_first=True,
                                       norm_first=True)
            for _ in range(depth)))
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)  # (batch, patches, dim)
        if self.cls_token is not None:
            tokens = torch.cat([self.cls_token.expand(len(tokens), -1, -1), tokens], dim=1)
        tokens = self.norm(self.blocks(self.dropout(tokens + self.pos_embed)))
        return tokens[:, 0] if self.cls_token is not None else tokens.mean(dim=1)


def build_transformer(input_shape, num_classes: int, *, patch_size: int = 4, dim: int = 32,
                      depth: int = 2, heads: int = 4, mlp_ratio: float = 4.0,
                      pool: str = "cls", norm: str = "layer", dropout: float = 0.0,
                      head_bias: bool = True) -> Classifier:
    """Vision-transformer-style classifier (the ViT role in the studies).

    1-D input ``(channels, length)`` is cut into ``length / patch_size`` patches
    along the length, 2-D input into ``patch_size x patch_size`` patches; the token
    count (and the positional embedding) follows from ``input_shape``. Encoder
    layers are ``nn.TransformerEncoderLayer(norm_first=True)`` with GELU.
    The [CLS] token starts at zero and positions at N(0, 0.02^2); everything else
    keeps PyTorch's default initialisation.

    Parameters
    ----------
    input_shape : (channels, length) or (channels, height, width)
    num_classes : int
    patch_size : int, default 4
        Must divide the length (or height and width).
    dim : int, default 32
        Token width and ``feature_dim``.
    depth : int, default 2
        Number of encoder layers (``model.body.blocks``).
    heads : int, default 4
        Attention heads; must divide ``dim``.
    mlp_ratio : float, default 4.0
        Hidden width of each feed-forward block, in units of ``dim``.
    pool : {"cls", "mean"}, default "cls"
    norm : {"layer"}
        Transformers here always use LayerNorm; the option exists for a uniform API.
    dropout : float in [0, 1)
        Dropout on embeddings, attention weights and feed-forward outputs.
    head_bias : bool, default True

    Returns
    -------
    Classifier
        ``body`` is a ``TransformerBody``; features have shape ``(batch, dim)``.
    """
    shape = check_shape(input_shape, ndims=(2, 3), model="transformer")
    patch_size = check_int("patch_size", patch_size)
    if any(s % patch_size for s in shape[1:]):
        raise ValueError(f"patch_size={patch_size} must divide the spatial size "
                         f"{shape[1:]} of input_shape={shape}")
    dim, depth, heads = check_int("dim", dim), check_int("depth", depth), check_int("heads", heads)
    if dim % heads:
        raise ValueError(f"heads={heads} must divide dim={dim}")
    if isinstance(mlp_ratio, bool) or not isinstance(mlp_ratio, numbers.Real) or mlp_ratio <= 0:
        raise ValueError(f"mlp_ratio must be a positive number, got {mlp_ratio!r}")
    check_choice("pool", pool, ("cls", "mean"))
    check_choice("norm", norm, ("layer",))
    body = TransformerBody(shape[0], shape[1:], patch_size, dim, depth, heads, mlp_ratio,
                           check_dropout(dropout), pool)
    return Classifier(body, nn.Linear(dim, num_classes, bias=check_bool("head_bias", head_bias)))
