"""Tests of netsim.probes: block features and eq.-5 gradients against torch.autograd.grad."""
import numpy as np
import pytest
import torch
from torch import nn

from netsim import probes
from netsim.metrics import KernelSketcher, count_sketch
from netsim.models import build_model


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _two_layer(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 4)).double()


def _direct_gradients(model, x, beta):
    """g_n = sum_c q_c d(-log p_c)/dh_n, looping over samples and classes with autograd.grad."""
    rows = []
    for xn in x:
        h = torch.tanh(model[0](xn[None]))
        log_p = torch.log_softmax(model[2](h), dim=1)[0]
        q = torch.softmax(beta * log_p, dim=0).detach()
        g = torch.zeros_like(h)
        for c in range(len(log_p)):
            (dc,) = torch.autograd.grad(-log_p[c], h, retain_graph=True)
            g += q[c] * dc
        rows.append((h.detach()[0], g[0]))
    return (torch.stack([f for f, _ in rows]).numpy(), torch.stack([g for _, g in rows]).numpy())


@pytest.mark.parametrize("beta", [0.5, 0.0, 2.0])
def test_gradients_match_autograd_loop(beta):
    model = _two_layer()
    x = torch.randn(9, 5, dtype=torch.float64)
    F, G = probes.probe_blocks(model, ["1"], x, beta=beta, batch_size=4)["1"]
    F_ref, G_ref = _direct_gradients(model, x, beta)
    np.testing.assert_allclose(F, F_ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(G, G_ref, rtol=1e-10, atol=1e-14)
    assert np.abs(G).max() > 1e-3  # the comparison is not between zeros


def test_beta_one_gives_zero_expected_score():
    # E_p d log p / d f = 0: why the paper smooths q with beta < 1.
    model = _two_layer()
    F, G = probes.probe_blocks(model, "1", torch.randn(6, 5, dtype=torch.float64), beta=1.0)["1"]
    assert np.abs(G).max() < 1e-12 and np.abs(F).max() > 0.01


class UserNet(nn.Module):
    """A user-defined module: custom forward, a conv block with in-place ReLU after it."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3))
        self.act = nn.ReLU(inplace=True)
        self.classifier = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x):
        h = self.act(self.features(x))
        return self.classifier(h.flatten(1))


def test_user_module_conv_features_inplace_and_eval_mode():
    torch.manual_seed(1)
    model = UserNet()
    model.train()
    x = torch.randn(6, 2, 4, 4)
    out = probes.probe_blocks(model, ["features", "act"], x, batch_size=4)
    F, G = out["features"]
    assert F.shape == G.shape == (6, 48) and F.dtype == np.float64
    assert model.training and model.features[1].training  # flags restored
    model.eval()
    with torch.no_grad():
        expected = model.features(x).flatten(1).double().numpy()
    # The in-place ReLU after the block did not overwrite its features.
    np.testing.assert_allclose(F, expected, rtol=1e-6, atol=1e-6)
    assert (F < 0).any()
    # Eval mode: a sample's rows do not depend on its batch.
    F1, G1 = probes.probe_blocks(model, ["features"], x[:1])["features"]
    np.testing.assert_allclose(F1, F[:1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(G1, G[:1], rtol=1e-4, atol=1e-9)


def test_frozen_model_and_numpy_input():
    model = _two_layer()
    for p in model.parameters():
        p.requires_grad_(False)
    x = np.random.default_rng(0).normal(size=(3, 5))
    F, G = probes.probe_blocks(model, ["0"], x)["0"]
    assert F.shape == (3, 7) and np.abs(G).max() > 0


def test_netsim_resnet_blocks_stream_into_a_sketch():
    torch.manual_seed(2)
    model = build_model("resnet", (3, 8, 8), 4, width=4, blocks=(1, 1))
    names = probes.block_names(model)
    assert names == ["body.blocks.0", "body.blocks.1"]
    x = torch.randn(10, 3, 8, 8)
    full = probes.probe_blocks(model, names, x, batch_size=10)
    assert full["body.blocks.1"][0].shape == (10, 8 * 4 * 4)
    sketcher = KernelSketcher(6, seed=0)
    batches = list(probes.iter_probes(model, names, x, batch_size=3))
    assert [len(b["body.blocks.0"][0]) for b in batches] == [3, 3, 3, 1]
    for batch in batches:
        sketcher.update(*batch["body.blocks.1"])
    np.testing.assert_allclose(sketcher.sketch("f", False), count_sketch(full["body.blocks.1"][0], 6, 0),
                               rtol=1e-5, atol=1e-6)
    # Names relative to the wrapped network work and keep the name given.
    short = probes.probe_blocks(model, ["blocks.1"], x)
    np.testing.assert_allclose(short["blocks.1"][1], full["body.blocks.1"][1], rtol=1e-5, atol=1e-9)
    assert "body.blocks.0.conv1" in probes.block_names(model, "all")


def test_unknown_block_and_other_errors():
    model = _two_layer()
    x = torch.randn(3, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"unknown block 'layer9'.*valid names include \['0', '1', '2'\]"):
        probes.probe_blocks(model, ["1", "layer9"], x)
    with pytest.raises(ValueError, match="unknown block 'layer9'"):
        probes.iter_probes(model, ["layer9"], x)  # raised before iterating
    with pytest.raises(ValueError, match="x contains NaN"):
        probes.probe_blocks(model, ["1"], torch.full((2, 5), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="beta"):
        probes.probe_blocks(model, ["1"], x, beta=-1)
    with pytest.raises(ValueError, match="batch_size"):
        probes.probe_blocks(model, ["1"], x, batch_size=0)
    with pytest.raises(ValueError, match="blocks has repeated"):
        probes.probe_blocks(model, ["1", "1"], x)
    with pytest.raises(ValueError, match="no residual blocks found in Sequential"):
        probes.block_names(model)


def test_block_that_does_not_run_or_runs_twice():
    class Twice(nn.Module):
        def __init__(self):
            super().__init__()
            self.shared = nn.Linear(3, 3)
            self.unused = nn.Linear(3, 3)
            self.head = nn.Linear(3, 2)

        def forward(self, x):
            return self.head(self.shared(self.shared(x)))

    x = torch.randn(2, 3)
    with pytest.raises(ValueError, match="'shared' ran twice"):
        probes.probe_blocks(Twice(), ["shared"], x)
    with pytest.raises(ValueError, match=r"\['unused'\] did not run"):
        probes.probe_blocks(Twice(), ["head", "unused"], x)


def test_timm_model_by_its_own_block_names():
    pytest.importorskip("timm")
    torch.manual_seed(3)
    model = build_model("timm:convnext_atto", (3, 32, 32), 5, depths=(1, 1, 1, 1), dims=(8, 16, 24, 32))
    assert probes.block_names(model) == [f"body.model.stages.{i}.blocks.0" for i in range(4)]
    x = torch.randn(5, 3, 32, 32)
    out = probes.probe_blocks(model, ["stages.2", "body.model.stages.3"], x, batch_size=2)
    F, G = out["stages.2"]
    assert F.shape == G.shape == (5, 24 * 2 * 2) and np.abs(G).max() > 0
    F1, G1 = probes.probe_blocks(model, ["stages.2"], x[3:4])["stages.2"]
    np.testing.assert_allclose(G1, G[3:4], rtol=1e-4, atol=1e-8)
