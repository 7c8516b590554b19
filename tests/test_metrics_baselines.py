"""Tests of netsim.metrics.baselines (appendix B.1 baselines of study 1)."""
import numpy as np
import pytest
import torch

from netsim.metrics import cka
from netsim.metrics.baselines import (BASELINES, baseline_distances, neuron_emd, output_kl,
                                      parameter_cosine, parameter_emd, parameter_l2, parameter_vector,
                                      penultimate_features, representation_cka, representation_cosine,
                                      representation_emd, representation_l2)
from netsim.metrics.codelength import CodingConfig, kl_codelength
from netsim.models import build_model
from netsim.reparam import scale_layer


def _mlp(seed, **kw):
    torch.manual_seed(seed)
    return build_model("mlp", (1, 6), 3, widths=(7, 5), **kw)


def _x(n=30):
    return np.random.default_rng(0).normal(size=(n, 1, 6)).astype(np.float32)


def test_parameter_vector_skips_batch_norm():
    plain, bn = _mlp(0), _mlp(0, norm="batch")
    n_bn = sum(p.numel() for m in bn.modules() if isinstance(m, torch.nn.BatchNorm1d) for p in m.parameters())
    assert n_bn > 0
    assert parameter_vector(bn).size == sum(p.numel() for p in bn.parameters()) - n_bn
    assert parameter_vector(plain).size == sum(p.numel() for p in plain.parameters())


def test_parameter_l2_cosine_brute_force():
    A, B = _mlp(0), _mlp(1)
    a = torch.cat([p.detach().reshape(-1) for p in A.parameters()]).double().numpy()
    b = torch.cat([p.detach().reshape(-1) for p in B.parameters()]).double().numpy()
    assert parameter_l2(A, B) == pytest.approx(np.linalg.norm(a - b))
    assert parameter_cosine(A, B) == pytest.approx(a @ b / np.linalg.norm(a) / np.linalg.norm(b))
    assert parameter_l2(A, A) == 0 and parameter_cosine(A, A) == pytest.approx(1.0)


def test_neuron_emd_identity_permutation_and_brute_force():
    rng = np.random.default_rng(1)
    W, V = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    assert neuron_emd(W, W) == pytest.approx(0.0, abs=1e-12)
    assert neuron_emd(W[rng.permutation(5)], W) == pytest.approx(0.0, abs=1e-12)
    assert neuron_emd(W[rng.permutation(5)], V) == pytest.approx(neuron_emd(W, V))
    # equal masses and sizes: OT is the best assignment (Birkhoff), brute force over 5! perms
    import itertools
    M = np.linalg.norm(W[:, None] - V[None], axis=2)
    best = min(M[np.arange(5), list(p)].mean() for p in itertools.permutations(range(5)))
    assert neuron_emd(W, V) == pytest.approx(best)


def test_parameter_emd_identical_zero_and_scaling_changes_l2_but_not_kl_codelength():
    A = _mlp(0)
    assert parameter_emd(A, A) == pytest.approx(0.0, abs=1e-12)
    S = scale_layer(A, 0, 3.0)
    assert parameter_l2(A, S) > 1.0 and parameter_emd(A, S) > 0.1
    x = _x()
    # d_p's KL form is computed on outputs, which scaling leaves unchanged
    assert abs(kl_codelength(A, S, x, CodingConfig(epochs=0)).bits) < 1e-6


def test_representation_measures_brute_force():
    rng = np.random.default_rng(2)
    FA, FB = rng.normal(size=(10, 4)), rng.normal(size=(10, 4))
    assert representation_l2(FA, FB) == pytest.approx(np.mean([np.linalg.norm(a - b) for a, b in zip(FA, FB)]))
    cos = np.mean([a @ b / np.linalg.norm(a) / np.linalg.norm(b) for a, b in zip(FA, FB)])
    assert representation_cosine(FA, FB) == pytest.approx(cos)
    assert representation_cka(FA, FB) == pytest.approx(cka(FA, FB))
    assert representation_emd(FA, FA[:, ::-1]) == pytest.approx(0.0, abs=1e-12)
    assert representation_emd(FA, FB) == pytest.approx(neuron_emd(FA.T, FB.T))


def test_output_kl_brute_force_and_infinity():
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.3, 0.5]])
    q = np.array([[0.25, 0.75, 0.0], [0.2, 0.3, 0.5]])
    hand = (0.5 * np.log(0.5 / 0.25) + 0.5 * np.log(0.5 / 0.75)) / 2
    assert output_kl(p, q) == pytest.approx(hand)
    assert output_kl(q[::-1][::-1], q) == 0
    assert output_kl(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])) == np.inf


def test_baseline_distances_on_models():
    A, B, x = _mlp(0), _mlp(1), _x()
    d = baseline_distances(A, B, x)
    assert tuple(d) == BASELINES
    FA, FB = penultimate_features(A, x), penultimate_features(B, x)
    assert FA.shape == (30, 5)
    assert d["repr_l2"] == pytest.approx(representation_l2(FA, FB))
    with torch.no_grad():
        pA = torch.softmax(A(torch.as_tensor(x)).double(), 1).numpy()
        pB = torch.softmax(B(torch.as_tensor(x)).double(), 1).numpy()
    assert d["output_kl"] == pytest.approx(output_kl(pA, pB), rel=1e-5)
    same = baseline_distances(A, A, x)
    assert same["param_l2"] == 0 and same["output_kl"] == pytest.approx(0, abs=1e-12)
    torch.manual_seed(2)
    other = baseline_distances(A, build_model("mlp", (1, 6), 3, widths=(7, 9)), x)  # another architecture
    assert all(np.isnan(other[m]) for m in ("param_l2", "param_cosine", "param_emd", "repr_l2", "repr_cosine"))
    assert all(np.isfinite(other[m]) for m in ("repr_emd", "repr_cka", "output_kl"))


def test_bad_input():
    A = _mlp(0)
    with pytest.raises(ValueError, match="units_A"):
        neuron_emd(np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="row length"):
        neuron_emd(np.zeros((3, 2)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="F_A"):
        representation_l2(np.zeros((3, 2)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="F_B"):
        representation_cosine(np.ones((3, 2)), np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="p_B"):
        output_kl(np.full((2, 2), 0.5), np.ones((2, 2)))
    with pytest.raises(ValueError, match="parameters"):
        parameter_l2(A, build_model("mlp", (1, 6), 3, widths=(4,)))
    with pytest.raises(TypeError, match="model_B"):
        parameter_cosine(A, np.zeros(3))
