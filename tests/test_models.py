"""Tests for netsim.models: shapes, the body/head split, options, errors, timm."""
import copy

import pytest
import torch
from torch import nn

from netsim.models import (MODELS, Classifier, build_model, count_parameters, from_timm,
                           residual_blocks)

SIGNAL, IMAGE, SMALL_IMAGE, VECTOR = (1, 40), (3, 16, 16), (1, 8, 8), (20,)
BATCH = 4


def _inputs(shape, seed=0):
    return torch.randn(BATCH, *shape, generator=torch.Generator().manual_seed(seed))


def _build(name, shape, num_classes=10, seed=0, **size):
    torch.manual_seed(seed)
    return build_model(name, shape, num_classes, **size)


def _norm_types(model):
    norms = (nn.BatchNorm1d, nn.BatchNorm2d, nn.LayerNorm, nn.GroupNorm)
    return {type(m) for m in model.modules() if isinstance(m, norms)}


# ----------------------------------------------------------------- every model, every shape
@pytest.mark.parametrize("shape", [SIGNAL, IMAGE, SMALL_IMAGE, VECTOR])
@pytest.mark.parametrize("name", MODELS)
def test_shapes_and_body_head_split(name, shape):
    if name != "mlp" and len(shape) == 1:
        with pytest.raises(ValueError, match="input_shape"):
            _build(name, shape)
        return
    model = _build(name, shape).eval()
    assert isinstance(model, Classifier) and isinstance(model.head, nn.Linear)
    x = _inputs(shape)
    logits, features = model(x), model.forward_features(x)
    assert logits.shape == (BATCH, 10)
    assert features.shape == (BATCH, model.feature_dim)
    torch.testing.assert_close(model.head(features), logits)
    model.train()(x).square().sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_registry_names():
    assert set(MODELS) == {"mlp", "allcnn", "resnet", "resnet_small", "resnet_large",
                           "transformer"}


def test_thesis_analog_widths():
    assert _build("allcnn", SIGNAL).feature_dim == 32
    assert _build("resnet_small", SIGNAL).feature_dim == 16
    assert _build("resnet_large", SIGNAL).feature_dim == 64
    convs = [m for m in _build("allcnn", SIGNAL).modules() if isinstance(m, nn.Conv1d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [(32, (5,))] * 3


def test_input_size_is_not_hard_coded():
    """The same model runs on inputs of another length or image size (global pooling)."""
    for name in ("allcnn", "resnet"):
        model = _build(name, SIGNAL).eval()
        assert model(torch.randn(2, 1, 64)).shape == (2, 10)
        model = _build(name, SMALL_IMAGE).eval()
        assert model(torch.randn(2, 1, 12, 20)).shape == (2, 10)


# ----------------------------------------------------------------- MLP and bias-free networks
def test_count_parameters_closed_forms():
    # 40 -> 256 -> 128 -> 10 with biases
    assert count_parameters(_build("mlp", SIGNAL)) == 40 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10
    # the thesis' bias-free FC-40-1 and FC-40-2 on 64-pixel digits, 2 classes (p = 2640, 4240)
    assert count_parameters(_build("mlp", (64,), 2, widths=(40,), bias=False)) == 2640
    assert count_parameters(_build("mlp", (64,), 2, widths=(40, 40), bias=False)) == 4240
    for name in MODELS:
        model = _build(name, SIGNAL)
        assert count_parameters(model) == sum(p.numel() for p in model.parameters())


def test_bias_free_mlp_has_no_bias_and_maps_zero_to_zero():
    model = _build("mlp", SIGNAL, widths=(16, 8), bias=False)
    names = [name for name, _ in model.named_parameters()]
    assert names and not any("bias" in name for name in names)
    assert all(m.bias is None for m in model.modules() if isinstance(m, nn.Linear))
    assert torch.equal(model(torch.zeros(3, *SIGNAL)), torch.zeros(3, 10))
    # head_bias alone can put a bias back on the head only
    model = _build("mlp", SIGNAL, widths=(16,), bias=False, head_bias=True)
    assert model.head.bias is not None and model.body.fc1.bias is None


def _rescale_hidden(model, c):
    """Multiply fc1 by c and the next linear map by 1/c (a symmetry of bias-free ReLU nets)."""
    rescaled = copy.deepcopy(model)
    with torch.no_grad():
        rescaled.body.fc1.weight.mul_(c)
        rescaled.body.fc2.weight.div_(c)
    return rescaled


def test_bias_free_relu_mlp_is_rescaling_invariant_and_homogeneous():
    model = _build("mlp", SIGNAL, widths=(16, 8), bias=False)
    x = _inputs(SIGNAL)
    torch.testing.assert_close(_rescale_hidden(model, 3.0)(x), model(x))
    torch.testing.assert_close(model(2.5 * x), 2.5 * model(x))
    # the property is architectural: tanh or biases break it, and the check notices
    for other in (dict(activation="tanh", bias=False), dict(bias=True)):
        model = _build("mlp", SIGNAL, widths=(16, 8), **other)
        assert not torch.allclose(_rescale_hidden(model, 3.0)(x), model(x), atol=1e-3)


def test_mlp_accepts_any_shape_and_linear_model():
    model = _build("mlp", (2, 3, 4, 5), widths=())
    assert model.feature_dim == 120
    assert model(torch.randn(2, 2, 3, 4, 5)).shape == (2, 10)


# ----------------------------------------------------------------- norms and options
@pytest.mark.parametrize("name,shape,norm,expected", [
    ("mlp", SIGNAL, "batch", {nn.BatchNorm1d}),
    ("mlp", SIGNAL, "layer", {nn.LayerNorm}),
    ("mlp", SIGNAL, None, set()),
    ("allcnn", SIGNAL, "batch", {nn.BatchNorm1d}),
    ("allcnn", SMALL_IMAGE, "batch", {nn.BatchNorm2d}),
    ("allcnn", SIGNAL, "layer", {nn.GroupNorm}),
    ("allcnn", SIGNAL, None, set()),
    ("resnet", SMALL_IMAGE, "batch", {nn.BatchNorm2d}),
    ("resnet", SIGNAL, "layer", {nn.GroupNorm}),
    ("resnet", SMALL_IMAGE, None, set()),
])
def test_norm_option_module_types(name, shape, norm, expected):
    model = _build(name, shape, norm=norm)
    assert _norm_types(model) == expected
    assert all(m.num_groups == 1 for m in model.modules() if isinstance(m, nn.GroupNorm))
    # convolutions / linear maps feeding BatchNorm carry no redundant bias
    layers = [m for m in model.body.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    assert all((m.bias is None) == (norm == "batch") for m in layers)


def test_transformer_uses_layernorm_and_independent_layers():
    model = _build("transformer", SIGNAL, depth=3)
    assert _norm_types(model) == {nn.LayerNorm}
    blocks = residual_blocks(model)
    assert len(blocks) == 3 and all(b.norm_first for b in blocks)
    first, second = (b.linear1.weight for b in blocks[:2])
    assert not torch.equal(first, second)  # not deep copies of one layer


@pytest.mark.parametrize("shape,patch_size,tokens", [(SIGNAL, 4, 10), (SIGNAL, 8, 5),
                                                     (IMAGE, 4, 16), (SMALL_IMAGE, 2, 16)])
def test_transformer_token_count(shape, patch_size, tokens):
    for pool, extra in (("cls", 1), ("mean", 0)):
        model = _build("transformer", shape, patch_size=patch_size, pool=pool)
        assert model.body.pos_embed.shape == (1, tokens + extra, 32)


def test_dropout_option_adds_dropout_layers():
    for name in ("mlp", "allcnn", "resnet"):
        assert not any(isinstance(m, nn.Dropout) for m in _build(name, SIGNAL).modules())
        model = _build(name, SIGNAL, dropout=0.25)
        assert {m.p for m in model.modules() if isinstance(m, nn.Dropout)} == {0.25}


def test_head_bias_option():
    for name in ("allcnn", "resnet", "transformer"):
        assert _build(name, SIGNAL, head_bias=False).head.bias is None
        assert _build(name, SIGNAL).head.bias is not None


# ----------------------------------------------------------------- residual structure
def test_bottleneck_resnet_names_layer_types():
    model = _build("resnet", SIGNAL, bottleneck=True, blocks=(1, 1), kernel_size=3)
    blocks = residual_blocks(model)
    assert len(blocks) == 2
    for block, width in zip(blocks, (16, 32)):
        assert block.conv_reduce.kernel_size == (1,) and block.conv_reduce.out_channels == width
        assert block.conv_spatial.kernel_size == (3,)
        assert block.conv_expand.kernel_size == (1,) and block.conv_expand.out_channels == 4 * width
        assert isinstance(block.shortcut, nn.Sequential)  # channels change: projection
    assert model.feature_dim == 4 * 32


def test_residual_blocks_count_and_downsampling():
    model = _build("resnet", SIGNAL, blocks=2, stages=3).eval()
    blocks = residual_blocks(model)
    assert blocks == list(model.body.blocks) and len(blocks) == 6
    assert len(residual_blocks(_build("resnet", SIGNAL, blocks=(2, 3)))) == 5
    shapes = []
    hooks = [b.register_forward_hook(lambda m, i, out: shapes.append(tuple(out.shape)))
             for b in blocks]
    model(_inputs(SIGNAL))
    for hook in hooks:
        hook.remove()
    assert shapes == [(BATCH, 16, 40)] * 2 + [(BATCH, 32, 20)] * 2 + [(BATCH, 64, 10)] * 2
    assert isinstance(blocks[0].shortcut, nn.Identity)


def test_residual_blocks_rejects_models_without_blocks():
    for name in ("mlp", "allcnn"):
        with pytest.raises(ValueError, match="residual_blocks"):
            residual_blocks(_build(name, SIGNAL))


# ----------------------------------------------------------------- errors
@pytest.mark.parametrize("name,shape,size,match", [
    ("mlp", (0, 40), {}, "input_shape"),
    ("mlp", "40", {}, "input_shape"),
    ("mlp", (), {}, "input_shape"),
    ("allcnn", (1, 2, 3, 4), {}, "input_shape"),
    ("transformer", (40,), {}, "input_shape"),
    ("mlp", SIGNAL, {"widht": 3}, "widht"),
    ("mlp", SIGNAL, {"widths": (0,)}, "widths"),
    ("mlp", SIGNAL, {"widths": 32}, "widths"),
    ("mlp", SIGNAL, {"activation": "swish"}, "activation"),
    ("mlp", SIGNAL, {"activation": "swish", "widths": ()}, "activation"),
    ("mlp", SIGNAL, {"norm": "group"}, "norm"),
    ("mlp", SIGNAL, {"bias": False, "norm": "batch"}, "bias"),
    ("mlp", SIGNAL, {"bias": 0}, "bias"),
    ("mlp", SIGNAL, {"dropout": 1.0}, "dropout"),
    ("allcnn", SIGNAL, {"head_bias": "yes"}, "head_bias"),
    ("allcnn", SIGNAL, {"kernel_size": 4}, "kernel_size"),
    ("allcnn", SIGNAL, {"strides": (1, 2)}, "strides"),
    ("resnet", SIGNAL, {"blocks": (2, 2), "stages": 3}, "stages"),
    ("resnet", SIGNAL, {"width": 0}, "width"),
    ("resnet", SIGNAL, {"activation": "elu"}, "activation"),
    ("transformer", SIGNAL, {"patch_size": 3}, "patch_size"),
    ("transformer", IMAGE, {"patch_size": 5}, "patch_size"),
    ("transformer", SIGNAL, {"heads": 3}, "heads"),
    ("transformer", SIGNAL, {"norm": "batch"}, "norm"),
    ("transformer", SIGNAL, {"pool": "max"}, "pool"),
])
def test_bad_arguments_raise_value_error_naming_them(name, shape, size, match):
    with pytest.raises(ValueError, match=match):
        build_model(name, shape, 10, **size)


def test_bad_name_and_num_classes():
    with pytest.raises(ValueError, match="'vgg'"):
        build_model("vgg", SIGNAL, 10)
    with pytest.raises(ValueError, match="num_classes"):
        build_model("mlp", SIGNAL, 0)


# ----------------------------------------------------------------- determinism
@pytest.mark.parametrize("name", MODELS)
def test_deterministic_under_manual_seed(name):
    first, second = _build(name, SIGNAL, seed=1), _build(name, SIGNAL, seed=1)
    other = _build(name, SIGNAL, seed=2)
    for (key, a), b, c in zip(first.state_dict().items(), second.state_dict().values(),
                              other.state_dict().values()):
        assert torch.equal(a, b), key
    assert not all(torch.equal(a, c) for a, c in zip(first.parameters(), other.parameters()))


# ----------------------------------------------------------------- timm
TIMM_IMAGE = (3, 32, 32)


@pytest.mark.parametrize("spec,size", [
    ("timm:test_resnet", {}),  # a CNN: its constructor takes no img_size
    ("timm:vit_tiny_patch16_224", dict(patch_size=4, depth=2, embed_dim=32, num_heads=2)),
])
def test_timm_wrapper(spec, size):
    pytest.importorskip("timm")
    model = _build(spec, TIMM_IMAGE, **size).eval()
    x = _inputs(TIMM_IMAGE)
    logits, features = model(x), model.forward_features(x)
    assert logits.shape == (BATCH, 10) and features.shape == (BATCH, model.feature_dim)
    torch.testing.assert_close(model.head(features), logits)
    # the head's parameters are not duplicated inside the body
    assert not any(p is model.head.weight for p in model.body.parameters())
    assert _build(spec, TIMM_IMAGE, **size).state_dict().keys() == model.state_dict().keys()


def test_timm_build_matches_timm_under_the_same_seed():
    """A CNN rejects img_size first; the retry must not shift the random stream."""
    timm = pytest.importorskip("timm")
    torch.manual_seed(3)
    reference = timm.create_model("test_resnet", pretrained=False, num_classes=10, in_chans=3)
    model = _build("timm:test_resnet", TIMM_IMAGE, seed=3)
    for a, b in zip(reference.parameters(), model.parameters(), strict=True):
        assert torch.equal(a, b)


def test_from_timm_keeps_timm_logits():
    timm = pytest.importorskip("timm")
    torch.manual_seed(0)
    original = timm.create_model("test_vit", pretrained=False, num_classes=5, img_size=32).eval()
    model = from_timm(copy.deepcopy(original)).eval()
    x = _inputs(TIMM_IMAGE)
    torch.testing.assert_close(model(x), original(x))
    assert model.head.in_features == model.feature_dim == original.num_features


def test_timm_non_linear_classifier_gets_a_linear_head():
    pytest.importorskip("timm")
    # distilled DeiT averages two classifiers: replaced by one Linear on pre-logits features
    model = _build("timm:deit_tiny_distilled_patch16_224", TIMM_IMAGE,
                   patch_size=4, depth=1, embed_dim=32, num_heads=2).eval()
    assert isinstance(model.head, nn.Linear) and model.feature_dim == 32
    assert isinstance(model.body.model.head, nn.Identity)
    assert isinstance(model.body.model.head_dist, nn.Identity)
    x = _inputs(TIMM_IMAGE)
    torch.testing.assert_close(model.head(model.forward_features(x)), model(x))


@pytest.mark.parametrize("spec,shape,size,match", [
    ("timm:test_resnet", SIGNAL, {}, "input_shape"),
    ("timm:not_a_model", TIMM_IMAGE, {}, "not_a_model"),
    ("timm:test_resnet", TIMM_IMAGE, {"pretrained": True}, "pretrained"),
    ("timm:test_vit", TIMM_IMAGE, {"img_size": 64}, "img_size"),
    ("timm:test_resnet", TIMM_IMAGE, {"widht": 8}, "widht"),
    ("timm:test_vit", TIMM_IMAGE, {"widht": 8}, "widht"),
])
def test_timm_bad_arguments(spec, shape, size, match):
    pytest.importorskip("timm")
    with pytest.raises(ValueError, match=match):
        build_model(spec, shape, 10, **size)
