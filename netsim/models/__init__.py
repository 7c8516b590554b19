"""Model registry: ``build_model(name, input_shape, num_classes, **size)``.

Every model is a ``Classifier``: ``body`` maps ``(batch, *input_shape)`` to features
``(batch, feature_dim)`` and ``head`` is an ``nn.Linear`` to ``(batch, num_classes)``.
``input_shape`` has no batch dimension: ``(d,)`` for vectors, ``(channels, length)``
for 1-D signals, ``(channels, height, width)`` for images; conv nets and the
transformer pick 1-D or 2-D layers from its length and never assume an image size.

Registered names (``MODELS``) and their builders, whose keyword arguments are the
``size`` options:

=================  ===================================================================
``mlp``            ``build_mlp``: FC network, bias-free with ``bias=False``
``allcnn``         ``build_allcnn``: conv stack + global average pool
``resnet``         ``build_resnet``: basic or bottleneck residual network
``resnet_small``   ``resnet`` with ``width=16, blocks=(2,)`` (thesis' small ResNet-1D)
``resnet_large``   ``resnet`` with ``width=64, blocks=(2,)`` (thesis' large ResNet-1D)
``transformer``    ``build_transformer``: small pre-norm ViT
``timm:<name>``    ``build_timm``: any timm architecture, images only, never pretrained
``zoo:<member>``   a member of study 8's tiny timm zoo
                   (:mod:`netsim.studies.transferability.zoo`; its size is data there)
=================  ===================================================================

Parameters are initialised by PyTorch's defaults (see ``netsim.models.base``), so a
``torch.manual_seed`` call before ``build_model`` fixes the model.
"""
from __future__ import annotations

import inspect
from functools import partial

from .allcnn import build_allcnn
from .base import Classifier, check_int, count_parameters, residual_blocks
from .mlp import build_mlp
from .resnet import build_resnet
from .timm_wrap import build_timm, from_timm
from .transformer import build_transformer

_BUILDERS = {
    "mlp": build_mlp,
    "allcnn": build_allcnn,
    "resnet": build_resnet,
    "resnet_small": partial(build_resnet, width=16, blocks=(2,)),
    "resnet_large": partial(build_resnet, width=64, blocks=(2,)),
    "transformer": build_transformer,
}
MODELS = tuple(_BUILDERS)
TIMM_PREFIX = "timm:"
ZOO_PREFIX = "zoo:"

__all__ = ["MODELS", "Classifier", "build_model", "count_parameters", "from_timm",
           "residual_blocks"]


def build_model(name: str, input_shape: tuple[int, ...], num_classes: int, **size) -> Classifier:
    """Build a registered architecture as a ``Classifier``.

    Parameters
    ----------
    name : str
        One of ``MODELS`` or ``"timm:<timm model name>"``.
    input_shape : tuple of int
        Shape of one input, without the batch dimension.
    num_classes : int
        Number of logits.
    **size
        Options of the architecture's builder (widths, depth, norm, dropout, ...);
        all have small defaults. Unknown options raise ``ValueError``.

    Returns
    -------
    Classifier
        ``model(x)`` maps ``(batch, *input_shape)`` to logits ``(batch, num_classes)``.

    Examples
    --------
    >>> import torch
    >>> model = build_model("resnet_small", (1, 40), 10)
    >>> model.forward_features(torch.zeros(8, 1, 40)).shape
    torch.Size([8, 16])
    """
    num_classes = check_int("num_classes", num_classes)
    if isinstance(name, str) and name.startswith(TIMM_PREFIX):
        return build_timm(name[len(TIMM_PREFIX):], input_shape, num_classes, **size)
    if isinstance(name, str) and name.startswith(ZOO_PREFIX):
        # the zoo's members are data of study 8 (a name keeps the cache key plain JSON)
        from netsim.studies.transferability.zoo import MEMBERS, build

        member = name[len(ZOO_PREFIX):]
        if member not in MEMBERS:
            raise ValueError(f"unknown zoo member {member!r}; expected one of {sorted(MEMBERS)}")
        if size:
            raise ValueError(f"zoo members take no size options (their size is data of the zoo), got {sorted(size)}")
        return build(member, num_classes=num_classes, input_shape=tuple(input_shape))
    if name not in _BUILDERS:
        raise ValueError(f"unknown model name {name!r}; expected one of {MODELS} "
                         f"or '{TIMM_PREFIX}<timm model name>'")
    builder = _BUILDERS[name]
    options = [p.name for p in inspect.signature(builder).parameters.values()
               if p.kind is inspect.Parameter.KEYWORD_ONLY]
    unknown = sorted(set(size) - set(options))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for model {name!r}; expected some of {options}")
    return builder(input_shape, num_classes, **size)
