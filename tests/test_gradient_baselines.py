"""Tests of netsim.metrics.gradient_baselines against closed forms on tiny cases."""
import copy

import numpy as np
import pytest
import torch
from torch import nn

from netsim.metrics import KernelSketcher
from netsim.metrics import gradient_baselines as gb


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def _linear(seed=0, d=4, classes=3):
    torch.manual_seed(seed)
    return nn.Linear(d, classes, bias=False).double()


def test_task2vec_of_a_linear_softmax_model_matches_closed_form():
    model = _linear()
    x = torch.randn(11, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (11,))
    with torch.no_grad():
        p = torch.softmax(model(x), 1).numpy()
    X = x.numpy()
    # d log p_c / d W_kj = (1[k = c] - p_k) x_j; E_c~p of its square is p_k (1 - p_k) x_j^2.
    expected = np.einsum("nk,nj->kj", p * (1 - p), X ** 2).ravel() / 11
    np.testing.assert_allclose(gb.task2vec(model, x, batch_size=4), expected, rtol=1e-10)
    onehot = np.eye(3)[y.numpy()]
    empirical = np.einsum("nk,nj->kj", (onehot - p) ** 2, X ** 2).ravel() / 11
    np.testing.assert_allclose(gb.task2vec(model, x, y, fisher="empirical"), empirical, rtol=1e-10)


def test_task2vec_sampled_fisher_is_unbiased_and_seeded():
    """The Monte Carlo Fisher converges to the exact expectation over classes (error ~ 1/sqrt(samples))."""
    model = _linear(seed=1)
    x = torch.randn(40, 4, dtype=torch.float64)
    exact = gb.task2vec(model, x)
    few = gb.task2vec(model, x, fisher="sampled", samples=2, seed=0)
    many = gb.task2vec(model, x, fisher="sampled", samples=400, seed=0)
    assert np.abs(many - exact).max() / exact.max() < 0.1
    assert np.abs(many - exact).max() < np.abs(few - exact).max()
    np.testing.assert_array_equal(few, gb.task2vec(model, x, fisher="sampled", samples=2, seed=0))
    assert not np.array_equal(few, gb.task2vec(model, x, fisher="sampled", samples=2, seed=1))
    with pytest.raises(ValueError, match="samples"):
        gb.task2vec(model, x, fisher="sampled", samples=0)


def test_task2vec_similarity_identical_and_different_models():
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    x = torch.randn(8, 4)
    e1 = gb.task2vec(net, x)
    e1_copy = gb.task2vec(copy.deepcopy(net), x)
    assert gb.task2vec_similarity(e1, e1_copy) == pytest.approx(1.0, abs=1e-6)
    torch.manual_seed(2)
    other = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 3))
    s = gb.task2vec_similarity(e1, gb.task2vec(other, x))
    assert 0 < s < 0.999
    # The normalisation: e / (e1 + e2) is scale-free per parameter, the plain cosine is not.
    assert gb.task2vec_similarity(np.array([1.0, 100.0]), np.array([2.0, 100.0]), normalise=False) > 0.99
    assert gb.task2vec_similarity(np.array([1.0, 100.0]), np.array([2.0, 100.0])) < 0.99


def test_fisher_rao_norm_of_a_linear_model():
    model = _linear(3)
    x = torch.randn(13, 4, dtype=torch.float64)
    y = torch.randint(0, 3, (13,))
    with torch.no_grad():
        f = model(x).numpy()
    p = np.exp(f - f.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    inner = (f * p).sum(1, keepdims=True) - f  # <f, p - e_c>
    assert gb.count_weight_layers(model) == 1
    expected = np.sqrt(np.mean((p * inner ** 2).sum(1)))
    assert gb.fisher_rao_norm(model, x, batch_size=5) == pytest.approx(expected, rel=1e-10)
    q = np.sqrt(p) / np.sqrt(p).sum(1, keepdims=True)
    assert gb.fisher_rao_norm(model, x, expectation="q") == pytest.approx(
        np.sqrt(np.mean((q * inner ** 2).sum(1))), rel=1e-10)
    labelled = np.sqrt(np.mean(inner[np.arange(13), y.numpy()] ** 2))
    assert gb.fisher_rao_norm(model, x, y, expectation="empirical") == pytest.approx(labelled, rel=1e-10)


def test_fisher_rao_norm_is_theta_fisher_theta_for_bias_free_relu():
    # Liang et al.: <theta, d l/d theta> = (L + 1) <f, d l/d f> for bias-free ReLU networks.
    torch.manual_seed(4)
    net = nn.Sequential(nn.Linear(3, 5, bias=False), nn.ReLU(), nn.Linear(5, 2, bias=False)).double()
    x = torch.randn(7, 3, dtype=torch.float64)
    params = list(net.parameters())
    total = 0.0
    for xn in x:
        log_p = torch.log_softmax(net(xn[None]), 1)[0]
        for c in range(2):
            grads = torch.autograd.grad(-log_p[c], params, retain_graph=True)
            inner = sum((p * g).sum() for p, g in zip(params, grads))
            total += float((log_p[c].exp() * inner ** 2).detach())
    assert gb.fisher_rao_norm(net, x) == pytest.approx(np.sqrt(total / 7), rel=1e-8)


def test_fisher_rao_distance():
    assert gb.fisher_rao_distance(2.0, 2.0) == 0
    assert gb.fisher_rao_distance(1.0, 4.0) == pytest.approx(1.5)
    assert gb.fisher_rao_distance(4.0, 1.0) == gb.fisher_rao_distance(1.0, 4.0)


def test_kernel_mean_embedding_norm_and_ratios():
    rng = np.random.default_rng(0)
    F, G = rng.normal(size=(30, 4)) + 1, rng.normal(size=(30, 4))
    K = (F @ F.T) * (G @ G.T)
    out = gb.kernel_mean_embedding_norm(F, G, chunk_size=7)
    mu = np.linalg.norm(G.T @ F) / 30  # ||(1/N) sum_n g_n f_n^T||_F (eq. 17)
    assert out.mu == pytest.approx(mu, rel=1e-10)
    assert out.cka_normaliser == pytest.approx(np.linalg.norm(K) / 900, rel=1e-10)
    assert out.nbs_normaliser == pytest.approx(np.sqrt(np.trace(K)) / 30, rel=1e-10)
    assert out.ratio_cka == pytest.approx(mu / out.cka_normaliser)
    assert out.ratio_nbs == pytest.approx(mu / out.nbs_normaliser)
    from_kernel = gb.mean_embedding_from_kernel(K, 30)
    assert from_kernel.mu == pytest.approx(out.mu, rel=1e-10)
    assert from_kernel.ratio_cka == pytest.approx(out.ratio_cka, rel=1e-10)
    sketched = KernelSketcher(16, 0).update(F, G)
    approx = gb.mean_embedding_from_kernel(sketched.representation("hadamard", centre=False), 30)
    assert approx.mu == pytest.approx(sketched.mean_embedding_norm(), rel=1e-10)


def _blobs(rng, n, classes=3, d=6):
    centres = 4 * rng.normal(size=(classes, d))
    y = rng.integers(0, classes, n)
    F = centres[y] + rng.normal(size=(n, d))
    G = np.eye(classes, d)[y] + 0.1 * rng.normal(size=(n, d))  # task-dependent gradients
    return F, G, y


@pytest.mark.parametrize("kind", ["features", "hadamard", "sum", "psi_hadamard"])
def test_sketched_kernel_ridge_on_separable_data(kind):
    rng = np.random.default_rng(5)
    F, G, y = _blobs(rng, 300)
    Ft, Gt, yt = _blobs(np.random.default_rng(5), 300)  # same centres
    Ft, Gt, yt = Ft[:100] + 0.1 * rng.normal(size=(100, 6)), Gt[:100], yt[:100]
    acc = gb.sketched_kernel_ridge((F, G), y, (Ft, Gt), yt, m=64, seed=1, kind=kind)
    assert acc >= 0.95
    # Null: shuffled training labels give about chance.
    null = gb.sketched_kernel_ridge((F, G), rng.permutation(y), (Ft, Gt), yt, m=64, seed=1, kind=kind)
    assert null < 0.7
    # The targets' signs must match the kernel: signed for linear kinds, bucket sums for Hadamard.
    wrong = "signed" if kind == "hadamard" else "unsigned"
    assert gb.sketched_kernel_ridge((F, G), y, (Ft, Gt), yt, m=64, seed=1, kind=kind,
                                    target_signs=wrong) < 0.7


def test_sketched_kernel_ridge_from_a_streamed_sketcher():
    rng = np.random.default_rng(6)
    F, G, y = _blobs(rng, 120)
    sk = KernelSketcher(32, 2)
    for start in range(0, 120, 50):
        sk.update(F[start:start + 50], G[start:start + 50], targets=np.eye(3)[y[start:start + 50]])
    streamed = gb.sketched_kernel_ridge_scores(sk, None, (F[:10], G[:10]))
    direct = gb.sketched_kernel_ridge_scores((F, G), y, (F[:10], G[:10]), m=32, seed=2)
    np.testing.assert_allclose(streamed, direct, rtol=1e-8, atol=1e-10)


def test_bad_input():
    model = _linear()
    x = torch.randn(4, 4, dtype=torch.float64)
    with pytest.raises(ValueError, match="needs labels y"):
        gb.task2vec(model, x, fisher="empirical")
    with pytest.raises(ValueError, match="fisher must be one of"):
        gb.task2vec(model, x, fisher="monte-carlo")
    with pytest.raises(ValueError, match="x contains NaN"):
        gb.fisher_rao_norm(model, torch.full((2, 4), float("nan"), dtype=torch.float64))
    with pytest.raises(ValueError, match="e1 and e2 must come from one architecture"):
        gb.task2vec_similarity(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="e2 must be finite and >= 0"):
        gb.task2vec_similarity(np.ones(3), -np.ones(3))
    with pytest.raises(ValueError, match="Fisher-Rao norms"):
        gb.fisher_rao_distance(0.0, 1.0)
    F, G = np.ones((5, 2)), np.ones((5, 2))
    with pytest.raises(ValueError, match="gradients must have one row per sample"):
        gb.kernel_mean_embedding_norm(F, G[:4])
    y = np.array([0, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="kind must be one of"):
        gb.sketched_kernel_ridge((F, G), y, (F, G), y, kind="tfg")
    with pytest.raises(ValueError, match="alpha"):
        gb.sketched_kernel_ridge((F, G), y, (F, G), y, alpha=0.0)
    with pytest.raises(ValueError, match="y_test must have one label per sample"):
        gb.sketched_kernel_ridge((F, G), y, (F, G), y[:3])
    with pytest.raises(ValueError, match="y_train must have one label per sample"):
        gb.sketched_kernel_ridge((F, G), y[:3], (F, G), y)
    with pytest.raises(ValueError, match="m must be"):
        gb.sketched_kernel_ridge((F, G), y, (F, G), y, m=0)
    with pytest.raises(ValueError, match="needs training gradients"):
        gb.sketched_kernel_ridge(F, y, (F, G), y)
