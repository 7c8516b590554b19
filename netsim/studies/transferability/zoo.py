"""Study 8's tiny zoo: timm architecture families reduced to CPU size, as data.

``FAMILIES`` holds one ``Member`` per architecture family: a short member name, the timm
variant whose architecture it uses, the timm constructor arguments that shrink it (widths,
depths, embedding sizes, patch sizes) and labels. ``build(member)`` turns a member into a
``netsim`` ``Classifier`` through :func:`netsim.models.build_model` (``"timm:<name>"``; never
pretrained) for 3 x 32 x 32 images. Every member was timed at about 20-110 ms for one Adam step
(forward, backward, update) on a batch of 128 images with ``torch.set_num_threads(2)``; each has
fewer than ``MAX_PARAMETERS`` parameters with 10 classes.

Size arguments
--------------
``Member.size`` is plain data. It goes to timm's constructor unchanged, except for timm's
config-based models (CspNet, ByobNet): there a mapping given for a field of the variant's
model config that is itself a config dataclass replaces fields of that dataclass
(``dataclasses.replace``), and a list of mappings given for a field that holds a tuple of config
dataclasses (ByobNet's ``blocks``) becomes a tuple of that dataclass. Some timm variant functions
(MLP-Mixer, ResMLP, gMLP, PoolFormer, ConvMixer in timm 1.0.31) fix their size arguments and
reject overrides; for those (``open_twin=True``) this module registers, once, a twin entry point
``netsim_open_<variant>`` that passes the variant's own arguments, copied from timm, to timm's own
builder with the size arguments overridable; the tests check that the twin without overrides
has exactly the variant's parameters.

The 13 architecture components (``COMPONENTS``, the columns of ``architectures.csv``)
-------------------------------------------------------------------------------------
The seed paper (``004_transferability``, Table 1 and Table B.2) describes each network by 13
components. Its table itself is not in the seed text; the 12 components below marked [seed] are
named there (as TF-IDF keywords of its Table 2 or in its prose), the 13th is this compendium's
reconstruction, from the paper's own description of its clusters ("hierarchical" and
"non-hierarchical" Transformers). Values are categorical strings (the feature importance uses
Hamming differences, so only equality matters) and describe the tiny configurations, checked
against the built modules where a module class decides it:

1. ``base_architecture`` [seed]: CNN, Transformer or MLP-Mixer.
2. ``stem_layer`` [seed]: the layers before the first block, in the paper's notation: kernel,
   "s", stride, "/" between layers ("3s2/3/3": 3x3 stride 2, then two 3x3 stride 1);
   "patchify" marks a non-overlapping patch embedding.
3. ``input_resolution`` [seed]: every member sees 32 x 32 images, so the component records the
   grid the first block works on (after the stem and any stem pooling), which is what the
   paper's 224/240/256 inputs varied at a fixed stem stride.
4. ``normalization`` [seed]: BN, LN, GN1 (GroupNorm with one group), Affine (ResMLP), or a
   combination.
5. ``activation`` [seed]: the activation functions of the blocks and stem (gates of attention
   modules, e.g. SE's sigmoid, are not counted).
6. ``pooling_at_stem`` [seed]: a pooling layer in the stem (max pool) or none.
7. ``final_gap`` [seed]: how the features are pooled for the head: GAP (global average over the
   grid or tokens) or the class token (ViT-style CLS token or class attention).
8. ``self_attention_2d`` [seed]: spatial self-attention over the positions of the image, and its
   kind: none, global (all tokens/positions), windowed (Swin), GPSA+global (ConViT's gated
   positional self-attention then global), or class-only (XCiT: only its class-attention layers
   attend over positions).
9. ``channel_attention`` [seed] ("CWA"): none, SE (squeeze-and-excitation) or XCA (XCiT's
   cross-covariance attention, an attention over channels).
10. ``cwa_location`` [seed]: where the channel-wise attention sits: none, middle of blocks
    (after the spatial/depthwise conv, before the projection), end of blocks (on the residual
    branch's output) or token mixer (XCA replaces the spatial mixer).
11. ``depthwise_conv`` [seed]: yes if the body has a depthwise convolution (groups equal to the
    input channels), else no.
12. ``group_conv`` [seed]: yes if the body has a grouped convolution with 1 < groups < input
    channels, else no.
13. ``hierarchical`` [reconstructed]: yes if the body reduces the spatial/token resolution in
    stages after the stem (a pyramid), no for an isotropic body (ViT, ConViT, XCiT, ConvMixer,
    MLP-Mixer family).
"""
from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from netsim.models import Classifier, build_model

INPUT_SHAPE = (3, 32, 32)
NUM_CLASSES = 10
MAX_PARAMETERS = 600_000  # every member, with 10 classes
FEATURES_CSV = Path(__file__).with_name("architectures.csv")
COMPONENTS = ("base_architecture", "stem_layer", "input_resolution", "normalization", "activation",
              "pooling_at_stem", "final_gap", "self_attention_2d", "channel_attention", "cwa_location",
              "depthwise_conv", "group_conv", "hierarchical")
OPEN_PREFIX = "netsim_open_"


@dataclass(frozen=True)
class Member:
    """One zoo member: a timm architecture family at a tiny size.

    Attributes
    ----------
    name : str
        Short member name, the row key of ``architectures.csv``.
    family : str
        Architecture family (paper's model name without its size), distinct across ``FAMILIES``.
    base : str
        Base architecture, the first of the 13 components (CNN, Transformer, MLP-Mixer).
    timm_model : str
        The timm variant whose architecture is used (``timm.list_models()``).
    size : mapping
        timm constructor arguments that make it tiny (plain data; see the module docstring).
    open_twin : bool
        The variant function fixes its size arguments; build through ``netsim_open_<variant>``.
    timm_cfg : str
        For timm's config-based models: the key of the variant's model config in its timm
        module's ``model_cfgs``, whose fields ``size`` overlays (see the module docstring).
    """

    name: str
    family: str
    base: str
    timm_model: str
    size: Mapping[str, Any] = field(default_factory=dict, hash=False)
    open_twin: bool = False
    timm_cfg: str = ""

    @property
    def timm_name(self) -> str:
        """The timm model name ``build`` asks for."""
        return OPEN_PREFIX + self.timm_model if self.open_twin else self.timm_model


CNN, TRANSFORMER, MLP_MIXER = "CNN", "Transformer", "MLP-Mixer"
_BASIC = dict(layers=(1, 1, 1, 1), channels=(16, 32, 64, 128), stem_width=16)

FAMILIES: tuple[Member, ...] = (
    # ---- CNNs -----------------------------------------------------------------------------
    Member("resnet", "ResNet", CNN, "resnet18", dict(_BASIC)),
    Member("preact_resnet", "ResNet-V2 (pre-activation)", CNN, "resnetv2_50",
           dict(layers=[1, 1, 1, 1], channels=[64, 128, 192, 256], stem_chs=16)),
    Member("seresnet", "SE-ResNet", CNN, "seresnet18", dict(_BASIC)),
    Member("resnext", "ResNeXt", CNN, "resnext50_32x4d", dict(_BASIC, cardinality=4, base_width=8)),
    Member("mobilenetv3", "MobileNetV3 (NAS)", CNN, "mobilenetv3_small_050", dict(depth_multiplier=0.5)),
    Member("regnety", "RegNetY", CNN, "regnety_002", dict(w0=8, wa=13.0, wm=2.0, depth=4, group_size=8, stem_width=16)),
    Member("convnext", "ConvNeXt", CNN, "convnext_atto", dict(depths=[1, 1, 1, 1], dims=[16, 32, 64, 128])),
    Member("dla", "DLA", CNN, "dla34", dict(levels=[1, 1, 1, 1, 1, 1], channels=[8, 8, 16, 32, 64, 96])),
    Member("densenet", "DenseNet", CNN, "densenet121", dict(growth_rate=8, block_config=[2, 2, 2, 2])),
    Member("cspresnet", "CSPResNet", CNN, "cspresnet50",
           dict(stem=dict(out_chs=16), stages=dict(depth=[1, 1, 1, 1], out_chs=[16, 32, 64, 128])),
           timm_cfg="cspresnet50"),
    Member("botnet", "BoTNet", CNN, "botnet26t_256",
           dict(stem_chs=16, blocks=[dict(type="bottle", d=1, c=32, s=1, gs=0, br=0.25),
                                     dict(type="bottle", d=1, c=64, s=2, gs=0, br=0.25),
                                     dict(type="self_attn", d=1, c=128, s=1, gs=0, br=0.25)]),
           timm_cfg="botnet26t"),
    Member("convmixer", "ConvMixer", CNN, "convmixer_768_32",
           dict(dim=48, depth=4, kernel_size=5, patch_size=4), open_twin=True),
    # ---- Transformers ---------------------------------------------------------------------
    Member("vit", "ViT", TRANSFORMER, "vit_tiny_patch16_224",
           dict(patch_size=4, embed_dim=32, depth=2, num_heads=2)),
    Member("pit", "PiT", TRANSFORMER, "pit_ti_224",
           dict(patch_size=4, stride=4, base_dims=[16, 16, 16], depth=[1, 1, 1], heads=[1, 2, 4])),
    Member("convit", "ConViT", TRANSFORMER, "convit_tiny",
           dict(patch_size=8, embed_dim=24, depth=3, num_heads=2, local_up_to_layer=2)),
    Member("xcit", "XCiT", TRANSFORMER, "xcit_nano_12_p8_224",
           dict(embed_dim=48, depth=3, num_heads=2, cls_attn_layers=1)),
    Member("swin", "Swin", TRANSFORMER, "swin_tiny_patch4_window7_224",
           dict(patch_size=4, embed_dim=16, depths=[2, 2], num_heads=[1, 2], window_size=4)),
    Member("levit", "LeViT", TRANSFORMER, "levit_128s",
           dict(embed_dim=[32, 48, 64], key_dim=8, depth=[1, 1, 1], num_heads=[2, 3, 4], stem_type="s8")),
    Member("poolformer", "PoolFormer", TRANSFORMER, "poolformer_s12",
           dict(depths=[1, 1, 1, 1], dims=[16, 32, 64, 128]), open_twin=True),
    # ---- MLP-Mixers -----------------------------------------------------------------------
    Member("mixer", "MLP-Mixer", MLP_MIXER, "mixer_s16_224",
           dict(patch_size=4, num_blocks=4, embed_dim=32), open_twin=True),
    Member("resmlp", "ResMLP", MLP_MIXER, "resmlp_12_224",
           dict(patch_size=4, num_blocks=4, embed_dim=32), open_twin=True),
    Member("gmlp", "gMLP", MLP_MIXER, "gmlp_ti16_224",
           dict(patch_size=4, num_blocks=4, embed_dim=32), open_twin=True),
)
MEMBERS: dict[str, Member] = {m.name: m for m in FAMILIES}


def build(member: Member | str, num_classes: int = NUM_CLASSES, input_shape=INPUT_SHAPE) -> Classifier:
    """Build a zoo member (a name or a ``Member``) as a ``Classifier``; seed torch first to fix it."""
    member = MEMBERS[member] if isinstance(member, str) else member
    if member.open_twin:
        register_open_twins()
    return build_model("timm:" + member.timm_name, input_shape, num_classes, **timm_kwargs(member))


def timm_kwargs(member: Member) -> dict:
    """``member.size`` as timm's constructor takes it (config dataclasses for CspNet/ByobNet fields)."""
    if not member.timm_cfg:
        return dict(member.size)
    import importlib

    from timm.models import model_entrypoint

    module = importlib.import_module(model_entrypoint(member.timm_model).__module__)
    cfg = module.model_cfgs[member.timm_cfg]
    return {key: _overlay(getattr(cfg, key, None), value) for key, value in member.size.items()}


def feature_table(path: Path | None = None) -> dict[str, dict[str, str]]:
    """``architectures.csv`` (or ``path``) as ``{member name: {component: value}}``."""
    with open(FEATURES_CSV if path is None else path, newline="") as handle:
        return {row["member"]: {c: row[c] for c in COMPONENTS} for row in csv.DictReader(handle)}


def _first_leaf(value):
    while isinstance(value, tuple) and value:
        value = value[0]
    return value


def _overlay(current, value):
    if dataclasses.is_dataclass(current) and isinstance(value, Mapping):
        return dataclasses.replace(current, **{k: _tuples(v) for k, v in value.items()})
    leaf = _first_leaf(current)
    if (dataclasses.is_dataclass(leaf) and isinstance(value, (list, tuple))
            and all(isinstance(v, Mapping) for v in value)):
        return tuple(type(leaf)(**v) for v in value)
    return value


def _tuples(value):
    return tuple(value) if isinstance(value, list) else value


def _open_twins() -> dict:
    """The fixed arguments of the variants with an open twin, copied from timm 1.0.31."""
    from torch import nn
    import timm.models.convmixer as convmixer
    import timm.models.metaformer as metaformer
    import timm.models.mlp_mixer as mlp_mixer

    mixer = mlp_mixer._create_mixer
    return {
        "mixer_s16_224": (mixer, dict(patch_size=16, num_blocks=8, embed_dim=512)),
        "resmlp_12_224": (mixer, dict(patch_size=16, num_blocks=12, embed_dim=384, mlp_ratio=4,
                                      block_layer=mlp_mixer.ResBlock, norm_layer=mlp_mixer.Affine)),
        "gmlp_ti16_224": (mixer, dict(patch_size=16, num_blocks=30, embed_dim=128, mlp_ratio=6,
                                      block_layer=mlp_mixer.SpatialGatingBlock, mlp_layer=mlp_mixer.GatedMlp)),
        "poolformer_s12": (metaformer._create_metaformer,
                           dict(depths=[2, 2, 6, 2], dims=[64, 128, 320, 512], downsample_norm=None,
                                mlp_act=nn.GELU, mlp_bias=True, norm_layers=metaformer.GroupNorm1,
                                layer_scale_init_values=1e-5, res_scale_init_values=None, use_mlp_head=False)),
        "convmixer_768_32": (convmixer._create_convmixer,
                             dict(dim=768, depth=32, kernel_size=7, patch_size=7, act_layer=nn.ReLU)),
    }


def register_open_twins() -> tuple[str, ...]:
    """Register ``netsim_open_<variant>`` in timm for each variant with fixed size args (idempotent)."""
    import timm
    from timm.models import register_model

    names = []
    for variant, (create, fixed) in _open_twins().items():
        name = OPEN_PREFIX + variant
        names.append(name)
        if timm.is_model(name):
            continue

        def entrypoint(pretrained=False, _create=create, _variant=variant, _fixed=fixed, **kwargs):
            return _create(_variant, pretrained=pretrained, **dict(_fixed, **kwargs))

        entrypoint.__name__ = name
        entrypoint.__module__ = create.__module__  # listed with its family's timm module
        entrypoint.__doc__ = f"timm's {variant} with its size arguments overridable (netsim zoo)."
        register_model(entrypoint)
    return tuple(names)
