"""Tests of netsim.metrics.curvature: curvlinops operators against dense autograd matrices,
the GGN = FIM identity, KFAC, Theorem 4.3.1 and Lemma 4.3.2 / Corollary 4.7.7 as
inequalities on random weights, and the spectral summaries on spectra with known answers."""
import math

import numpy as np
import pytest
import torch
from torch.func import functional_call, jacrev, vmap

from netsim.metrics import curvature as C
from netsim.models import build_model


def tiny(widths=(5, 4), d=6, m=3, n=24, seed=0, scale=1.0):
    torch.manual_seed(seed)
    model = build_model("mlp", (d,), m, widths=widths, bias=False).double()
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(scale)
    X = torch.randn(n, d, dtype=torch.float64)
    y = torch.randint(0, m, (n,))
    return model, X, y


def as_dense(op):
    return op @ np.eye(op.shape[1])


@pytest.fixture(scope="module")
def net():
    return tiny()


@pytest.mark.parametrize("kind", ["hessian", "ggn", "ef"])
def test_operators_match_dense_autograd(net, kind):
    model, X, y = net
    D = C.dense_curvature(model, X, y, kind)
    op = C.curvature_operator(model, X, y, kind, batch_size=7)  # uneven batches
    v = np.random.default_rng(1).standard_normal((op.shape[1], 3))
    np.testing.assert_allclose(op @ v, D @ v, atol=1e-12 * max(1, np.abs(D).max()) + 1e-12)
    vals, vecs = C.extreme_eigenpairs(op, 4)
    np.testing.assert_allclose(vals, np.linalg.eigvalsh(D)[::-1][:4], rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(D @ vecs, vecs * vals, atol=1e-8)


def test_hessian_bottom_eigenvalues_and_bits(net):
    model, X, y = net
    D = C.dense_curvature(model, X, y, "hessian")
    op = C.curvature_operator(model, X, y, "hessian", bits=True)
    np.testing.assert_allclose(as_dense(op), D / math.log(2), atol=1e-12)
    vals, _ = C.extreme_eigenpairs(op, 2, which="bottom")
    np.testing.assert_allclose(vals, np.linalg.eigvalsh(D / math.log(2))[:2][::-1], atol=1e-9)
    assert vals[-1] < 0  # an MLP's Hessian is indefinite away from a minimum


def test_ggn_equals_fisher_information(net):
    """F = (1/n) sum_k sum_y p(y|x_k) grad log p grad log p^T, computed independently."""
    model, X, y = net
    params = {k: v.detach() for k, v in model.named_parameters()}

    def logp(pars, x):
        return torch.log_softmax(functional_call(model, pars, (x[None],))[0], dim=0)

    jac = vmap(jacrev(logp), in_dims=(None, 0))(params, X)
    G = torch.cat([jac[k].reshape(X.shape[0], 3, -1) for k in params], 2).numpy()  # (n, m, p)
    P = torch.softmax(model(X), 1).detach().numpy()
    F = np.einsum("ny,nyp,nyq->pq", P, G, G) / X.shape[0]
    np.testing.assert_allclose(as_dense(C.curvature_operator(model, X, y, "fisher")), F, atol=1e-12)
    np.testing.assert_allclose(C.dense_curvature(model, X, y, "ggn"), F, atol=1e-12)
    # The empirical FIM is a different matrix away from the truth.
    assert np.abs(C.dense_curvature(model, X, y, "ef") - F).max() > 1e-3


def test_fisher_mc_is_unbiased_roughly(net):
    model, X, y = net
    F = C.dense_curvature(model, X, y, "fisher")
    mc = np.mean([as_dense(C.curvature_operator(model, X, y, "fisher_mc", seed=s)) for s in range(20)], 0)
    assert np.trace(mc) == pytest.approx(np.trace(F), rel=0.2)


def single_layer(d=5, m=3, n=12, seed=0, zero=False):
    torch.manual_seed(seed)
    model = build_model("mlp", (d,), m, widths=(), bias=False).double()
    if zero:
        with torch.no_grad():
            model.head.weight.zero_()
    return model, torch.randn(n, d, dtype=torch.float64), torch.randint(0, m, (n,))


@pytest.mark.parametrize("case", ["zero weights", "one sample"])
def test_kfac_exact_for_a_single_layer(case):
    """One linear layer: GGN = (1/n) sum_k Lam_k (x) x_k x_k^T; KFAC = E[Lam] (x) E[x x^T] is exact
    when Lam_k is constant (zero weights: uniform p) or n = 1."""
    model, X, y = single_layer(zero=case == "zero weights", n=12 if case == "zero weights" else 1)
    G = C.dense_curvature(model, X, y, "ggn")
    K = as_dense(C.curvature_operator(model, X, y, "kfac"))
    np.testing.assert_allclose(K, G, atol=1e-12)
    if case == "zero weights":
        m, Xn = 3, X.numpy()
        Lam = np.eye(m) / m - 1.0 / m ** 2
        np.testing.assert_allclose(G, np.kron(Lam, Xn.T @ Xn / len(Xn)), atol=1e-12)


def test_kfac_is_a_block_diagonal_approximation(net):
    model, X, y = net
    G = C.dense_curvature(model, X, y, "ggn")
    K = as_dense(C.curvature_operator(model, X, y, "kfac"))
    sizes = np.cumsum([0] + [p.numel() for p in model.parameters()])
    blocks = [slice(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    assert np.abs(K[blocks[0], blocks[1]]).max() == 0
    assert np.linalg.eigvalsh(K).min() > -1e-12
    # Documented approximation: per-block traces agree within a factor 2 here (loose check).
    for b in blocks:
        assert 0.5 < np.trace(K[b, b]) / np.trace(G[b, b]) < 2
    assert np.abs(K - G).max() > 1e-6  # and it is not exact for a multi-layer network


def logit_jacobian_trace(model, X):
    J = C.per_sample_logit_jacobian(model, X)
    return float(np.sum(J ** 2) / X.shape[0])


@pytest.mark.parametrize("seed", range(4))
def test_theorem_4_3_1_on_random_weights(seed):
    model, X, y = tiny(widths=(7, 5), seed=seed, scale=1.5)
    W = C.layer_weights(model)
    tr_x = float(np.sum(X.numpy() ** 2) / X.shape[0])
    tight, thesis = C.trace_bound(W, tr_x, constant=1.0), C.trace_bound(W, tr_x)
    F = C.dense_curvature(model, X, y, "fisher")
    H_bits = C.dense_curvature(model, X, y, "ggn", bits=True)
    assert math.log(2) * np.trace(H_bits) == pytest.approx(np.trace(F), rel=1e-10)
    assert np.trace(F) <= logit_jacobian_trace(model, X) <= tight  # proof constant (4.7.6)
    assert np.trace(H_bits) <= thesis and thesis == pytest.approx(2 * tight)


def test_theorem_4_3_1_is_tight_for_a_single_layer():
    """z = w x: sum_i tr E[dz_i/dw dz_i/dw^T] = m tr E[x x^T] = the proof constant's bound."""
    model, X, _ = single_layer(seed=3)
    tr_x = float(np.sum(X.numpy() ** 2) / X.shape[0])
    assert logit_jacobian_trace(model, X) == pytest.approx(C.trace_bound(C.layer_weights(model), tr_x, constant=1))


@pytest.mark.parametrize("seed", range(3))
def test_lemma_4_3_2_and_corollary_4_7_7(seed):
    model, X, y = tiny(widths=(6, 4), seed=seed, scale=1.3)
    W, H = C.layer_weights(model), C.layer_activations(model, X)
    J = C.per_sample_logit_jacobian(model, X)
    F = C.dense_curvature(model, X, y, "fisher")
    m, offset = W[-1].shape[0], 0
    for k, w in enumerate(W):
        block = slice(offset, offset + w.size)
        offset += w.size
        act = C.correlation_eigenvalues(H[k])
        lemma = C.spectral_dominance_bound(W, act, k)
        for i in range(m):
            Jk = J[:, i, block]
            lhs = np.linalg.eigvalsh(Jk.T @ Jk / len(Jk))[::-1]
            assert np.all(lhs <= lemma + 1e-10)
        lhs = np.linalg.eigvalsh(F[block, block])[::-1]
        assert np.all(lhs <= C.spectral_dominance_bound(W, act, k, factor=m) + 1e-10)
        assert np.all(lhs <= C.spectral_dominance_bound(W, act, k, factor=2 * m) + 1e-10)


def test_spectral_dominance_bound_values():
    W = [np.diag([2.0, 1.0]), np.array([[3.0, 0.0]])]
    out = C.spectral_dominance_bound(W, [4.0, 1.0], 0, factor=2.0)
    np.testing.assert_allclose(out, 2 * 9 * np.array([4, 4, 1, 1]))
    np.testing.assert_allclose(C.spectral_dominance_bound(W, [5.0], 1), [5.0, 0.0])
    with pytest.raises(ValueError, match="k"):
        C.spectral_dominance_bound(W, [1.0], 2)
    with pytest.raises(ValueError, match="weights"):
        C.trace_bound([np.ones((2, 3)), np.ones((2, 4))], 1.0)


def test_correlation_activation_and_gradient_spectra():
    model, X, y = tiny(widths=(5,), n=4)
    Xn = X.numpy()
    lam = C.correlation_eigenvalues(Xn)
    assert lam.shape == (4,)  # d = 6 > n = 4: Gram
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(Xn.T @ Xn / 4)[::-1][:4], atol=1e-12)
    H = C.layer_activations(model, X)
    np.testing.assert_allclose(H[0], Xn)
    W = C.layer_weights(model)
    np.testing.assert_allclose(H[1], np.maximum(Xn @ W[0].T, 0), atol=1e-12)
    P = torch.softmax(model(X), 1).detach().numpy()
    grads = C.activation_gradients(model, X, y)
    np.testing.assert_allclose(grads[1], (P - np.eye(3)[y.numpy()]) @ W[1], atol=1e-12)
    logit = C.activation_gradients(model, X, reading="logit")
    assert logit[0].shape == (3, 4, 6)
    np.testing.assert_allclose(logit[1], np.broadcast_to(W[1][:, None, :], (3, 4, 5)))
    np.testing.assert_allclose(logit[0][1], ((Xn @ W[0].T > 0) * W[1][1]) @ W[0], atol=1e-12)


def test_logit_jacobian_eigenvalues_single_layer():
    """dz_i/dw = e_i (x) x, so E[(dz_i/dw)(dz_i/dw)^T] has the input spectrum."""
    model, X, _ = single_layer(n=30)
    for lam in C.logit_jacobian_eigenvalues(model, X):
        assert lam.shape == (15,)  # min(n, p) = min(30, 3 * 5)
        np.testing.assert_allclose(lam[:5], C.correlation_eigenvalues(X), atol=1e-12)
        np.testing.assert_allclose(lam[5:], 0, atol=1e-12)


def test_sloppy_factor_on_geometric_spectra():
    i = np.arange(1, 41)
    lam = 3.0 * np.exp(-0.7 * i)
    for r in (1, 10, 39):
        assert C.sloppy_factor(lam[::-1], r) == pytest.approx(0.7)  # order does not matter
    assert C.sloppy_factor(lam, 40) == math.inf
    kinked = np.where(i <= 10, np.exp(-2.0 * i), np.exp(-20.0 - 0.1 * (i - 10)))
    assert C.sloppy_factor(kinked, 10) == pytest.approx(0.1)
    assert C.sloppy_factor(kinked, 5) == pytest.approx((2.0 * 10 + 0.1 * 30 - 10) / 35)
    assert C.sloppy_factor([1.0, 1.0, 0.5], 1) == 0.0
    assert C.tail_slope(lam) == pytest.approx(-0.7)
    assert C.tail_slope(kinked, 11, 40) == pytest.approx(-0.1)
    assert C.elbow_index(kinked) == 10


def test_effective_dimensionality_and_strength_factor():
    lam = 10.0 ** -np.arange(1, 11)  # 0.1, ..., 1e-10
    n, eps = 101, 200 * 10 ** -3.5  # threshold eps / (2(n-1)) = 10^-3.5
    assert C.effective_dimensionality(lam, n, eps) == 3
    assert C.effective_dimensionality(-lam, n, eps) == 3  # |lambda|
    expected = sum(1 + math.log(200 * v / eps + 1) for v in lam[:3])
    assert C.strength_factor(lam, n, eps) == pytest.approx(expected)


@pytest.mark.parametrize("call, name", [
    (lambda: C.sloppy_factor([1.0, 0.5], 3), "r"),
    (lambda: C.effective_dimensionality([1.0], 1, 1.0), "n"),
    (lambda: C.effective_dimensionality([1.0], 10, -1.0), "eps"),
    (lambda: C.tail_slope([1.0, 0.5], 0), "start"),
    (lambda: C.elbow_index([[1.0]]), "eigenvalues"),
    (lambda: C.correlation_eigenvalues(np.ones(3)), "X"),
    (lambda: C.extreme_eigenpairs(np.eye(3), 3), "k"),
])
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_bad_curvature_arguments(net):
    model, X, y = net
    with pytest.raises(ValueError, match="kind"):
        C.curvature_operator(model, X, y, "gauss")
    with pytest.raises(ValueError, match="bits"):
        C.dense_curvature(model, X, y, "ef", bits=True)
    with pytest.raises(ValueError, match="y"):
        C.dense_curvature(model, X, y.double(), "ggn")
    with pytest.raises(ValueError, match="reading"):
        C.activation_gradients(model, X, y, reading="both")


def test_per_sample_loss_gradients_give_the_empirical_fim():
    model, X, y = tiny(widths=(5,), n=7)
    G = C.per_sample_loss_gradients(model, X, y)
    assert G.shape == (7, 6 * 5 + 5 * 3)
    k = 3  # one sample's gradient against autograd
    model.zero_grad()
    torch.nn.functional.cross_entropy(model(X[k:k + 1]), y[k:k + 1]).backward()
    np.testing.assert_allclose(G[k], torch.cat([p.grad.reshape(-1) for p in model.parameters()]).numpy(),
                               atol=1e-12)
    EF = C.dense_curvature(model, X, y, "ef")
    np.testing.assert_allclose(EF, G.T @ G / 7, atol=1e-12)
    np.testing.assert_allclose(C.correlation_eigenvalues(G), np.linalg.eigvalsh(EF)[::-1][:7], atol=1e-10)
    with pytest.raises(ValueError, match="y"):
        C.per_sample_loss_gradients(model, X, None)


def test_fim_diagonal_matches_the_dense_fim(net):
    model, X, y = net
    dense = np.diag(C.dense_curvature(model, X, y, "ggn"))
    np.testing.assert_allclose(C.fim_diagonal(model, X, chunk=5), dense, rtol=1e-10, atol=1e-14)
    with pytest.raises(ValueError, match="chunk"):
        C.fim_diagonal(model, X, chunk=0)


def test_symmetric_eigh_matches_numpy():
    A = np.random.default_rng(2).standard_normal((7, 7))
    M = A @ A.T
    vals, vecs = C.symmetric_eigh(M)
    np.testing.assert_allclose(vals, np.linalg.eigvalsh(M), rtol=1e-10)
    np.testing.assert_allclose(vecs @ np.diag(vals) @ vecs.T, M, atol=1e-10)
    np.testing.assert_allclose(C.symmetric_eigh(M, eigenvectors=False), vals)
    with pytest.raises(ValueError, match="M"):
        C.symmetric_eigh(np.ones((2, 3)))


@pytest.mark.parametrize("n", [4, 24])  # n m < p and n m > p
def test_fim_eigenvalues_match_the_dense_fim(n):
    model, X, y = tiny(n=n)
    dense = np.sort(np.linalg.eigvalsh(C.dense_curvature(model, X, y, "ggn")))[::-1]
    lam = C.fim_eigenvalues(model, X)
    assert lam.shape == dense.shape
    np.testing.assert_allclose(lam, np.clip(dense, 0, None), atol=1e-10 * dense[0])
