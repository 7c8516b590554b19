"""Study 8's tiny zoo: enough distinct timm families, a complete 13-component feature table that
matches the built modules, and members that build, train one step and stay small."""
import csv
import math

import pytest
import torch
from torch import nn

timm = pytest.importorskip("timm")

from netsim.models import count_parameters  # noqa: E402
from netsim.studies.transferability import zoo  # noqa: E402

NAMES = [m.name for m in zoo.FAMILIES]
PARAMETER_BOUND = 600_000  # (d): every member below this many parameters, with 10 classes

# module classes -> labels of the ``normalization`` and ``activation`` columns (gates such as SE's
# sigmoid and wrappers such as ConvNormAct, which hold one of these, are not counted)
NORMS = {"BatchNorm1d": "BN", "BatchNorm2d": "BN", "BatchNormAct2d": "BN", "LayerNorm": "LN",
         "LayerNorm2d": "LN", "GroupNorm1": "GN1", "Affine": "Affine"}
ACTIVATIONS = {"ReLU": "ReLU", "GELU": "GELU", "Hardswish": "Hardswish", "LeakyReLU": "LeakyReLU",
               "SiLU": "SiLU"}
SE_MODULES = ("SEModule", "SqueezeExcite", "EffectiveSEModule")


def _table():
    with open(zoo.FEATURES_CSV, newline="") as handle:
        reader = csv.DictReader(handle)
        return reader.fieldnames, list(reader)


@pytest.fixture(scope="module")
def built():
    models = {}
    for member in zoo.FAMILIES:
        torch.manual_seed(0)
        models[member.name] = zoo.build(member)
    return models


# ---- (a) distinct families ------------------------------------------------------------------
def test_at_least_16_distinct_families_timm_models_and_timm_modules():
    assert len(set(NAMES)) == len(NAMES)
    assert len({m.family for m in zoo.FAMILIES}) == len(zoo.FAMILIES) >= 16
    assert len({m.timm_model for m in zoo.FAMILIES}) == len(zoo.FAMILIES)
    modules = {timm.models.model_entrypoint(m.timm_model).__module__ for m in zoo.FAMILIES}
    assert len(modules) >= 16, sorted(modules)  # source files of timm: not variants of one another
    assert {m.base for m in zoo.FAMILIES} == {"CNN", "Transformer", "MLP-Mixer"}


# ---- (b) the feature table -------------------------------------------------------------------
def test_feature_table_has_the_13_components_one_row_per_member_and_no_empty_cell():
    header, rows = _table()
    assert len(zoo.COMPONENTS) == len(set(zoo.COMPONENTS)) == 13
    assert tuple(header) == ("member",) + zoo.COMPONENTS
    assert sorted(row["member"] for row in rows) == sorted(NAMES)  # exactly one row each
    for row in rows:
        assert all(row[c] and row[c].strip() == row[c] for c in header), row
        assert row["base_architecture"] == zoo.MEMBERS[row["member"]].base
        assert row["depthwise_conv"] in ("yes", "no") and row["group_conv"] in ("yes", "no")
        assert row["hierarchical"] in ("yes", "no")
        assert (row["channel_attention"] == "none") == (row["cwa_location"] == "none")
    assert zoo.feature_table() == {row["member"]: {c: row[c] for c in zoo.COMPONENTS} for row in rows}


@pytest.mark.parametrize("name", NAMES)
def test_feature_table_matches_the_built_modules(name, built):
    row = zoo.feature_table()[name]
    modules = list(built[name].body.modules())
    classes = {type(m).__name__ for m in modules}
    norms = {NORMS[c] for c in classes if c in NORMS}
    norms |= {"GN1" for m in modules if isinstance(m, nn.GroupNorm) and m.num_groups == 1}
    assert norms == set(row["normalization"].split(" + "))
    assert {ACTIVATIONS[c] for c in classes if c in ACTIVATIONS} == set(row["activation"].split(" + "))
    convs = [m for m in modules if isinstance(m, nn.Conv2d)]
    depthwise = any(m.groups > 1 and m.groups == m.in_channels for m in convs)
    grouped = any(1 < m.groups < m.in_channels for m in convs)
    assert (row["depthwise_conv"], row["group_conv"]) == (("yes" if depthwise else "no"), ("yes" if grouped else "no"))
    assert (row["channel_attention"] == "SE") == bool(classes & set(SE_MODULES))
    stem_pools = [n for n, m in built[name].body.model.named_modules() if isinstance(m, nn.MaxPool2d)
                  and (n in ("maxpool", "features.pool0") or n.startswith("stem."))]
    assert (row["pooling_at_stem"] == "max pool") == bool(stem_pools)


# ---- (c) build, shape, one training step; (d) size ---------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_member_builds_outputs_10_logits_and_one_adam_step_trains(name, built):
    model = built[name]
    assert count_parameters(model) < PARAMETER_BOUND <= zoo.MAX_PARAMETERS
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(8, *zoo.INPUT_SHAPE, generator=generator)
    y = torch.randint(0, 10, (8,), generator=generator)
    model.train()
    before = [p.detach().clone() for p in model.parameters()]
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    logits = model(x)
    assert logits.shape == (8, 10)
    loss = nn.functional.cross_entropy(logits, y)
    assert math.isfinite(loss.item())
    loss.backward()
    optimiser.step()
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_build_is_seeded_and_takes_a_name():
    torch.manual_seed(3)
    a = zoo.build("convnext")
    torch.manual_seed(3)
    b = zoo.build(zoo.MEMBERS["convnext"])
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


# ---- the machinery behind the data -------------------------------------------------------------
@pytest.mark.parametrize("member", [m for m in zoo.FAMILIES if m.open_twin], ids=lambda m: m.name)
def test_open_twin_without_overrides_is_the_timm_variant(member):
    assert zoo.register_open_twins() == zoo.register_open_twins()  # idempotent
    with torch.device("meta"):
        original = timm.create_model(member.timm_model, num_classes=10)
        twin = timm.create_model(member.timm_name, num_classes=10)
    assert repr(twin) == repr(original)
    assert ({k: v.shape for k, v in twin.state_dict().items()}
            == {k: v.shape for k, v in original.state_dict().items()})


def test_config_overlays_keep_the_variants_other_settings():
    from timm.models.cspnet import model_cfgs

    kwargs = zoo.timm_kwargs(zoo.MEMBERS["cspresnet"])
    stages, reference = kwargs["stages"], model_cfgs["cspresnet50"].stages
    assert stages.depth == (1, 1, 1, 1) and stages.out_chs == (16, 32, 64, 128)
    assert (stages.expand_ratio, stages.cross_linear) == (reference.expand_ratio, reference.cross_linear)
    assert kwargs["stem"].pool == "max" and kwargs["stem"].out_chs == 16
    blocks = zoo.timm_kwargs(zoo.MEMBERS["botnet"])["blocks"]
    assert [b.type for b in blocks] == ["bottle", "bottle", "self_attn"]
