"""Tests of netsim.reparam (reparameterisations of study 1, appendix B.1)."""
import numpy as np
import pytest
import torch

import netsim
from netsim.models import build_model
from netsim.reparam import (adversarial_perturbation, gaussian_perturbation, interpolate, linear_layers,
                            scale_layer, swap_neurons)


def _mlp(seed=0, bias=True, widths=(16, 12)):
    torch.manual_seed(seed)
    return build_model("mlp", (1, 10), 4, widths=widths, bias=bias)


X = torch.as_tensor(np.random.default_rng(0).normal(size=(64, 1, 10)).astype(np.float32))


def _out(model, x=X):
    with torch.no_grad():
        return model(x)


def _same(a, b):
    return torch.allclose(_out(a), _out(b), atol=1e-5, rtol=1e-5)


def test_lazy_submodule():
    assert netsim.reparam.scale_layer is scale_layer


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layer", [0, 1])
@pytest.mark.parametrize("c", [0.1, 3.0])
def test_scaling_preserves_outputs_and_changes_weights(bias, layer, c):
    A = _mlp(bias=bias)
    S = scale_layer(A, layer, c)
    assert _same(A, S)
    la, ls = linear_layers(A), linear_layers(S)
    assert torch.allclose(ls[layer].weight, c * la[layer].weight)
    assert torch.allclose(ls[layer + 1].weight, la[layer + 1].weight / c)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("layer", [0, 1])
def test_swapping_preserves_outputs_and_moves_the_chosen_fraction(bias, layer):
    A = _mlp(bias=bias)
    S = swap_neurons(A, layer, 0.5, seed=1)
    assert _same(A, S)
    wa, ws = linear_layers(A)[layer].weight, linear_layers(S)[layer].weight
    moved = (~torch.all(wa == ws, dim=1)).sum().item()
    assert moved == round(0.5 * wa.shape[0])
    assert _same(A, swap_neurons(A, layer, 1.0))
    assert all(torch.equal(p, q) for p, q in zip(A.parameters(), swap_neurons(A, layer, 0.0).parameters()))


def test_gaussian_perturbation_changes_outputs_with_right_std():
    A = _mlp()
    P = gaussian_perturbation(A, 0.5, seed=0)
    assert not _same(A, P)
    delta = torch.cat([(p - q).reshape(-1) for p, q in zip(P.parameters(), A.parameters())]).detach()
    assert delta.std().item() == pytest.approx(0.5, rel=0.1)
    assert _same(A, gaussian_perturbation(A, 0.0))
    assert torch.equal(_out(P), _out(gaussian_perturbation(A, 0.5, seed=0)))


def test_adversarial_perturbation_has_fixed_std_and_beats_random():
    A, std = _mlp(), 0.05
    adv = adversarial_perturbation(A, X, std, steps=30, seed=0)
    delta = torch.cat([(p - q).reshape(-1) for p, q in zip(adv.parameters(), A.parameters())]).detach()
    assert delta.std(unbiased=False).item() == pytest.approx(std, rel=1e-3)
    assert not _same(A, adv)

    def change(M):
        with torch.no_grad():
            return ((M.forward_features(X) - A.forward_features(X)) ** 2).sum(1).mean().item()

    rnd = np.mean([change(gaussian_perturbation(A, std, seed=s)) for s in range(5)])
    assert change(adv) > 2 * rnd


def test_interpolation():
    A, B = _mlp(0), _mlp(1)
    assert _same(interpolate(A, B, 0.0), A) and _same(interpolate(A, B, 1.0), B)
    M = interpolate(A, B, 0.3)
    for m, a, b in zip(M.parameters(), A.parameters(), B.parameters()):
        assert torch.allclose(m, 0.7 * a + 0.3 * b)
    assert not _same(M, A)


def test_inputs_not_modified():
    A = _mlp()
    before = [p.clone() for p in A.parameters()]
    scale_layer(A, 0, 2.0), swap_neurons(A, 0, 1.0), gaussian_perturbation(A, 1.0)
    adversarial_perturbation(A, X, 0.1, steps=2)
    assert all(torch.equal(p, q) for p, q in zip(before, A.parameters()))


def test_bad_input():
    A = _mlp()
    with pytest.raises(ValueError, match="c"):
        scale_layer(A, 0, 0.0)
    with pytest.raises(ValueError, match="layer"):
        scale_layer(A, 2, 2.0)
    with pytest.raises(ValueError, match="fraction"):
        swap_neurons(A, 0, 1.5)
    with pytest.raises(ValueError, match="std"):
        gaussian_perturbation(A, -1.0)
    with pytest.raises(ValueError, match="x"):
        adversarial_perturbation(A, np.zeros(3), 0.1)
    with pytest.raises(ValueError, match="normalisation"):
        scale_layer(build_model("mlp", (1, 10), 4, widths=(8, 8), norm="batch"), 0, 2.0)
    with pytest.raises(ValueError, match="architecture"):
        interpolate(A, _mlp(widths=(8,)), 0.5)
    with pytest.raises(TypeError, match="model"):
        swap_neurons("net", 0, 0.5)
