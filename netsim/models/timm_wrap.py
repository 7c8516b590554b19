"""timm architectures as ``Classifier``s (2-D input only, never pretrained weights).

The body runs ``model.forward_features`` then ``model.forward_head(pre_logits=True)``
(pooling, head norm and head dropout, everything but the last linear map); the
head is timm's own classifier, taken out of the timm model so that its
parameters live only in ``Classifier.head``.
"""
from __future__ import annotations

import torch
from torch import nn

from .base import Classifier, check_shape

# set from input_shape / num_classes, or forbidden (weights are never downloaded)
RESERVED = ("pretrained", "num_classes", "in_chans", "img_size")


class TimmBody(nn.Module):
    """A timm model without its classifier: ``(batch, C, H, W) -> (batch, feature_dim)``."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        features = self.model.forward_head(self.model.forward_features(x), pre_logits=True)
        if features.ndim != 2:
            raise ValueError(f"{type(self.model).__name__}.forward_head(pre_logits=True) returned "
                             f"shape {tuple(features.shape)}, expected (batch, features); "
                             "keep a global pooling (e.g. do not pass global_pool='')")
        return features


def build_timm(model_name: str, input_shape, num_classes: int, **size) -> Classifier:
    """Build ``timm.create_model(model_name, pretrained=False, ...)`` as a ``Classifier``.

    Parameters
    ----------
    model_name : str
        A timm model name (``timm.list_models()``), e.g. ``"resnet18"``, ``"vit_tiny_patch16_224"``.
    input_shape : (channels, height, width)
        Sets ``in_chans`` and, for models whose constructor takes it (ViT, Swin,
        ...), ``img_size``.
    num_classes : int
    **size
        timm constructor arguments (``depth``, ``embed_dim``, ``drop_rate``, ...),
        passed through unchanged; ``pretrained``, ``num_classes``, ``in_chans`` and
        ``img_size`` are set here and may not be given.

    Returns
    -------
    Classifier
        ``body`` is a ``TimmBody``; see ``from_timm`` for the head.
    """
    import timm  # heavy import, only when a timm model is asked for

    if not timm.is_model(model_name):
        raise ValueError(f"unknown timm model name {model_name!r} (see timm.list_models())")
    shape = check_shape(input_shape, ndims=(3,), model=f"timm:{model_name}")
    given = sorted(set(size) & set(RESERVED))
    if given:
        raise ValueError(f"option(s) {given} are set by netsim for timm models "
                         "(pretrained is always False; in_chans and img_size come from input_shape)")
    kwargs = dict(pretrained=False, num_classes=num_classes, in_chans=shape[0], **size)
    height, width = shape[1:]
    img_size = height if height == width else (height, width)
    rng = torch.get_rng_state()
    try:
        model = _create(timm, model_name, dict(kwargs, img_size=img_size))
    except ValueError as err:  # constructors without img_size (CNNs) reject it by name
        if "'img_size'" not in str(err):
            raise
        torch.set_rng_state(rng)  # same parameters as if img_size had never been tried
        model = _create(timm, model_name, kwargs)
    return from_timm(model)


def _create(timm, model_name: str, kwargs: dict) -> nn.Module:
    """``timm.create_model`` with a rejected keyword argument reported as ValueError."""
    try:
        return timm.create_model(model_name, **kwargs)
    except TypeError as err:
        if "unexpected keyword argument" not in str(err):
            raise
        raise ValueError(f"timm model {model_name!r} rejected an option: {err}") from err


def from_timm(model: nn.Module) -> Classifier:
    """Split an existing timm model into ``Classifier(body, head)``; ``model`` is modified.

    When ``model.get_classifier()`` is a single ``nn.Linear`` (most timm models)
    that layer becomes ``head`` and the classifier keeps timm's logits exactly.
    Otherwise (distilled DeiT/LeViT heads, which average two classifiers, or
    LeViT's BatchNorm+Linear head) the classifier is replaced by a fresh
    ``nn.Linear(feature_dim, num_classes)`` on timm's pre-logits features, so the
    logits then differ from timm's own.

    Parameters
    ----------
    model : nn.Module
        A timm model with ``forward_features``, ``forward_head`` and ``get_classifier``.

    Returns
    -------
    Classifier
        ``feature_dim`` is the width of ``forward_head(pre_logits=True)``; it can
        differ from ``model.num_features`` (e.g. MobileNetV3, MambaOut have a
        pre-logits projection to ``model.head_hidden_size``).
    """
    classifier = model.get_classifier()
    parts = classifier if isinstance(classifier, tuple) else (classifier,)
    for name, module in list(model.named_modules()):
        if any(module is part for part in parts):
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent), attr, nn.Identity())
    if isinstance(classifier, nn.Linear):
        head = classifier
    else:
        head = nn.Linear(getattr(model, "head_hidden_size", model.num_features), model.num_classes)
    return Classifier(TimmBody(model), head)
