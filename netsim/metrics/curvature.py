"""Curvature and correlation spectra of small classifiers (thesis chapter 4, study 6).

Conventions
-----------
- Data: ``X`` of shape (n, ...) (flattened by the model), integer labels ``y`` of shape (n,).
- Every expectation is the mean over the n samples: the input correlation is
  E[x x^T] = X^T X / n (uncentred), and every curvature matrix is that of the *mean*
  cross-entropy loss.
- Units: the loss of the thesis is in bits, e~ = CE / log 2 (section 4.2). The FIM
  F = (1/n) sum_k J_k^T (diag p_k - p_k p_k^T) J_k and the empirical FIM are defined on
  log p and are in nats. For softmax cross-entropy the generalized Gauss-Newton matrix of
  the nats loss equals F; the Hessian and the GGN of the *bits* loss are those of the nats
  loss divided by log 2 (``bits=True``), e.g. (log 2) H~ = F as in the proof of Thm 4.3.1.
- Parameters are flattened in ``model.parameters()`` order, each tensor row-major; a
  ``Linear`` weight w^k of shape (d_{k+1}, d_k) therefore has Kronecker structure
  (out-factor) (x) (in-factor).
- Network model of section 4.3.1: h^{k+1} = sigma(w^k h^k), h^0 = x, logits z = w^L h^L,
  no biases, |sigma'| <= a, sigma(0) = 0 (ReLU: a = 1). ``weights`` lists w^0, ..., w^L.

Curvature operators come from ``curvlinops`` (package curvlinops-for-pytorch 3.x), whose
operators are torch-based and exported with ``.to_scipy()``; :func:`dense_curvature`
computes the same matrices exactly with ``torch.func`` for small networks.
"""
from __future__ import annotations

import math
import numbers
from contextlib import contextmanager

import numpy as np
from scipy.sparse.linalg import LinearOperator, eigsh

from ._validation import as_numpy

#: Curvature kinds: Hessian, generalized Gauss-Newton (= FIM for softmax CE), FIM (alias
#: of the GGN), empirical FIM, Monte Carlo FIM (operator only) and KFAC (operator only).
CURVATURES = ("hessian", "ggn", "fisher", "ef", "fisher_mc", "kfac")
_BITS_KINDS = ("hessian", "ggn", "kfac")


# ----------------------------------------------------------------------------- checks
def _check_eigenvalues(eigenvalues, name: str = "eigenvalues") -> np.ndarray:
    lam = as_numpy(eigenvalues, name).astype(float)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array; got shape {lam.shape}")
    if not np.all(np.isfinite(lam)):
        raise ValueError(f"{name} must be finite")
    return np.sort(lam)[::-1]


def _check_positive(name: str, value, integer: bool = False, minimum: float = 0.0):
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) or value <= minimum:
        raise ValueError(f"{name} must be a finite {'integer' if integer else 'number'} > {minimum}; got {value!r}")
    return value


def _check_data(X, y=None):
    import torch

    if not isinstance(X, torch.Tensor) or X.ndim < 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a torch.Tensor of shape (n, ...) with n >= 1; got {type(X).__name__}")
    if y is not None:
        if not isinstance(y, torch.Tensor) or y.shape != (X.shape[0],) or y.is_floating_point():
            raise ValueError(f"y must be an integer torch.Tensor of shape ({X.shape[0]},)")
    return X, y


# ----------------------------------------------------------------------------- spectra
@contextmanager
def single_thread():
    """Run torch on one intra-op thread inside the block (restored afterwards).

    The networks and matrices of chapter 4 are small; on a shared 2-core machine torch's
    second thread mostly spins, and one thread is several times faster.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def symmetric_eigh(M, eigenvectors: bool = True):
    """Eigenvalues (ascending) and, with ``eigenvectors``, eigenvectors of a symmetric matrix.

    Same contract as ``numpy.linalg.eigh`` / ``eigvalsh`` (lower triangle used), computed in
    float64 with ``torch.linalg``, whose LAPACK driver is several times faster than numpy's
    build on this project's machines for the p ~ 2000-4000 matrices of chapter 4.

    Parameters
    ----------
    M : array_like, shape (p, p), finite.

    Returns
    -------
    numpy.ndarray (p,), or a tuple (eigenvalues (p,), eigenvectors (p, p)) with ``eigenvectors``.
    """
    import torch

    A = as_numpy(M, "M").astype(float)
    if A.ndim != 2 or A.shape[0] != A.shape[1] or A.size == 0:
        raise ValueError(f"M must be a non-empty square matrix; got shape {A.shape}")
    if not np.all(np.isfinite(A)):
        raise ValueError("M must be finite")
    T = torch.as_tensor(A, dtype=torch.float64)
    with single_thread():
        if eigenvectors:
            vals, vecs = torch.linalg.eigh(T)
            return vals.numpy(), vecs.numpy()
        return torch.linalg.eigvalsh(T).numpy()


def correlation_eigenvalues(X) -> np.ndarray:
    """Eigenvalues of the uncentred correlation E[x x^T] = X^T X / n, descending.

    Parameters
    ----------
    X : array_like or torch.Tensor, shape (n, d) (further axes are flattened).

    Returns
    -------
    numpy.ndarray, shape (min(n, d),): the non-trivially-zero eigenvalues, computed from
    the smaller of X^T X / n (d x d) and the Gram X X^T / n (n x n), which share them.
    """
    A = as_numpy(X, "X").astype(float)
    if A.ndim < 2 or A.shape[0] == 0:
        raise ValueError(f"X must have shape (n, d) with n >= 1; got {A.shape}")
    A = A.reshape(A.shape[0], -1)
    n, d = A.shape
    M = A.T @ A / n if d <= n else A @ A.T / n
    return np.clip(symmetric_eigh(M, eigenvectors=False)[::-1], 0.0, None)


def linear_layers(model):
    """The ``nn.Linear`` modules of ``model`` in forward (registration) order."""
    import torch.nn as nn

    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not layers:
        raise ValueError("model must contain nn.Linear layers")
    return layers


def layer_weights(model) -> list[np.ndarray]:
    """Weights w^0, ..., w^L (shapes (d_{k+1}, d_k)) of the linear layers of ``model``."""
    return [m.weight.detach().cpu().double().numpy() for m in linear_layers(model)]


def _forward_with_leaves(model, X):
    """Forward pass recording the input h^k of every linear layer.

    Returns (logits (n, m), list of h^k tensors (n, d_k) that require grad, so that
    ``torch.autograd.grad`` can differentiate w.r.t. them); an input that does not require
    grad (the data) is replaced by a leaf copy that does.
    """
    leaves, handles = [], []

    def hook(module, inputs):
        h = inputs[0]
        if not h.requires_grad:
            h = h.detach().requires_grad_(True)
        leaves.append(h)
        return (h,)

    for layer in linear_layers(model):
        handles.append(layer.register_forward_pre_hook(hook))
    try:
        z = model(X)
    finally:
        for h in handles:
            h.remove()
    return z, leaves


def layer_activations(model, X) -> list[np.ndarray]:
    """Activations h^0 = x, ..., h^L: the inputs of the linear layers.

    Parameters
    ----------
    model : torch.nn.Module with ``nn.Linear`` layers.
    X : torch.Tensor, shape (n, ...).

    Returns
    -------
    list of numpy.ndarray, entry k of shape (n, d_k).
    """
    import torch

    X, _ = _check_data(X)
    with torch.no_grad():
        _, leaves = _forward_with_leaves(model, X)
    return [h.detach().cpu().double().numpy() for h in leaves]


def activation_gradients(model, X, y=None, reading: str = "loss") -> list[np.ndarray]:
    """Per-sample gradients w.r.t. the activations h^k (section 4.3, Fig. 4.1).

    Parameters
    ----------
    model : torch.nn.Module; X : torch.Tensor (n, ...); y : torch.Tensor (n,), needed for
        ``reading="loss"``.
    reading : {"loss", "logit"}
        ``"loss"``: d(-log p(y_k | x_k))/dh^k of each sample (nats). ``"logit"``: the
        dz_i/dh^k of C.1, one per logit.

    Returns
    -------
    list over layers k of numpy.ndarray: shape (n, d_k) for "loss", (m, n, d_k) for "logit".
    """
    import torch
    import torch.nn.functional as F

    if reading not in ("loss", "logit"):
        raise ValueError(f"reading must be 'loss' or 'logit'; got {reading!r}")
    X, y = _check_data(X, y)
    if reading == "loss" and y is None:
        raise ValueError("y is required for reading='loss'")
    z, leaves = _forward_with_leaves(model, X)
    if reading == "loss":
        grads = torch.autograd.grad(F.cross_entropy(z, y, reduction="sum"), leaves)
        return [g.detach().cpu().double().numpy() for g in grads]
    out = [[] for _ in leaves]
    for i in range(z.shape[1]):
        grads = torch.autograd.grad(z[:, i].sum(), leaves, retain_graph=True, allow_unused=True)
        for k, (g, h) in enumerate(zip(grads, leaves)):
            out[k].append(np.zeros(h.shape) if g is None else g.detach().cpu().double().numpy())
    return [np.stack(o) for o in out]


def per_sample_logit_jacobian(model, X) -> np.ndarray:
    """Per-sample logit Jacobians J_k = dz(x_k)/dw, flattened in ``model.parameters()`` order.

    Returns
    -------
    numpy.ndarray, shape (n, m, p).
    """
    import torch
    from torch.func import functional_call, jacrev, vmap

    X, _ = _check_data(X)
    names = [name for name, _ in model.named_parameters()]
    params = {name: p.detach() for name, p in model.named_parameters()}

    def f(pars, x):
        return functional_call(model, pars, (x.unsqueeze(0),)).squeeze(0)

    jac = vmap(jacrev(f), in_dims=(None, 0))(params, X)
    n, m = X.shape[0], jac[names[0]].shape[1]
    return torch.cat([jac[k].reshape(n, m, -1) for k in names], dim=2).cpu().double().numpy()


def logit_jacobian_eigenvalues(model, X) -> list[np.ndarray]:
    """Per logit i, eigenvalues of E[(dz_i/dw)(dz_i/dw)^T] = J_i^T J_i / n, descending.

    Uses the n x n Gram J_i J_i^T / n when p > n (same non-zero eigenvalues).

    Returns
    -------
    list of m numpy.ndarray, each of shape (min(n, p),).
    """
    J = per_sample_logit_jacobian(model, X)
    return [correlation_eigenvalues(J[:, i, :]) for i in range(J.shape[1])]


def per_sample_loss_gradients(model, X, y) -> np.ndarray:
    """Per-sample gradients g_k = d(-log p(y_k | x_k))/dw (nats), in ``model.parameters()`` order.

    The empirical FIM is G^T G / n; its non-zero eigenvalues are those of
    ``correlation_eigenvalues(G)`` (computed from the n x n Gram when p > n).

    Returns
    -------
    numpy.ndarray, shape (n, p), float64.
    """
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call, grad, vmap

    X, y = _check_data(X, y)
    if y is None:
        raise ValueError("y is required")
    params = {name: p.detach() for name, p in model.named_parameters()}

    def sample_loss(pars, x, t):
        return F.cross_entropy(functional_call(model, pars, (x.unsqueeze(0),)), t.unsqueeze(0))

    g = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, X, y)
    n = X.shape[0]
    return torch.cat([g[k].reshape(n, -1) for k in params], dim=1).cpu().double().numpy()


# ------------------------------------------------------------------------ curvature
def _flat_params(model):
    return [p for p in model.parameters() if p.requires_grad]


def dense_curvature(model, X, y, kind: str = "hessian", bits: bool = False) -> np.ndarray:
    """Exact dense curvature matrix of the mean cross-entropy loss (small networks only).

    Parameters
    ----------
    model : torch.nn.Module; X : torch.Tensor (n, ...); y : torch.Tensor (n,) of ints.
    kind : {"hessian", "ggn", "fisher", "ef"}
        Hessian of (1/n) sum_k CE_k; GGN (1/n) sum_k J_k^T (diag p_k - p_k p_k^T) J_k, which
        is the FIM F for softmax ("fisher" is an alias); empirical FIM
        (1/n) sum_k g_k g_k^T with g_k = d(-log p(y_k|x_k))/dw.
    bits : bool
        Divide by log 2: curvature of the bits loss e~ (only for "hessian", "ggn").

    Returns
    -------
    numpy.ndarray, shape (p, p), float64.
    """
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call, hessian

    kind = _check_kind(kind, bits, dense=True)
    X, y = _check_data(X, y)
    names = [name for name, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [int(np.prod(s)) for s in shapes]
    w = torch.cat([p.detach().reshape(-1) for _, p in model.named_parameters()])

    def unflatten(v):
        return {k: t.reshape(s) for k, t, s in zip(names, torch.split(v, sizes), shapes)}

    def mean_loss(v):
        return F.cross_entropy(functional_call(model, unflatten(v), (X,)), y)

    if kind == "hessian":
        M = hessian(mean_loss)(w)
    elif kind == "ggn":
        J = torch.as_tensor(per_sample_logit_jacobian(model, X))  # (n, m, p)
        with torch.no_grad():
            p = torch.softmax(model(X), dim=1).double()
        # sum_k J_k^T (diag p_k - p_k p_k^T) J_k as two matrix products (no (n, m, m) einsum path)
        n, m, q = J.shape
        Jr = J.reshape(n * m, q)
        G = torch.einsum("ni,niq->nq", p, J)
        M = (Jr * p.reshape(n * m, 1)).T @ Jr - G.T @ G
        M = M / n
    else:  # empirical FIM
        G = torch.as_tensor(per_sample_loss_gradients(model, X, y))
        M = G.T @ G / X.shape[0]
    M = M.detach().cpu().double().numpy()
    M = (M + M.T) / 2
    return M / math.log(2) if bits else M


def fim_eigenvalues(model, X) -> np.ndarray:
    """Eigenvalues of the FIM F = (1/n) sum_k J_k^T (diag p_k - p_k p_k^T) J_k, descending, in nats.

    Uses the factorisation diag p - p p^T = B B^T with B = diag(sqrt p) - p sqrt(p)^T (exact
    because sum_i p_i = 1), so F = A^T A / n for the (n m, p) matrix A of stacked B_k^T J_k, and
    takes the eigenvalues from the smaller of A^T A and A A^T (:func:`correlation_eigenvalues`).

    Parameters
    ----------
    model : torch.nn.Module; X : torch.Tensor (n, ...).

    Returns
    -------
    numpy.ndarray, shape (p,), float64, descending, >= 0; the directions outside the rank
    (at most n (m - 1)) are exact zeros.
    """
    import torch

    X, _ = _check_data(X)
    J = per_sample_logit_jacobian(model, X)  # (n, m, p)
    n, m, p = J.shape
    with torch.no_grad():
        P = torch.softmax(model(X), dim=1).double().cpu().numpy()
    sq = np.sqrt(P)
    B = np.einsum("ni,ij->nij", sq, np.eye(m)) - P[:, :, None] * sq[:, None, :]  # B_k, (n, m, m)
    A = np.einsum("nji,njq->niq", B, J).reshape(n * m, p)  # rows of B_k^T J_k
    lam = correlation_eigenvalues(A) * m  # correlation_eigenvalues divides by n m rows
    return np.concatenate([lam, np.zeros(p - lam.size)])


def fim_diagonal(model, X, chunk: int = 500) -> np.ndarray:
    """Diagonal of the FIM F = (1/n) sum_k J_k^T (diag p_k - p_k p_k^T) J_k, in nats.

    Needs inputs only (the FIM uses the model's own predictive distribution, not labels), so
    it can be evaluated on held-out inputs, e.g. for a FIM-shaped PAC-Bayes prior
    (:class:`netsim.pacbayes.FIMPriorPosterior`). Computed chunk by chunk from the per-sample
    logit Jacobians, so memory is O(chunk * m * p).

    Parameters
    ----------
    model : torch.nn.Module; X : torch.Tensor (n, ...).
    chunk : int >= 1, samples per chunk.

    Returns
    -------
    numpy.ndarray, shape (p,), float64, >= 0 up to rounding; equals
    ``np.diag(dense_curvature(model, X, y, "ggn"))`` for any labels y.
    """
    import torch

    X, _ = _check_data(X)
    chunk = _check_positive("chunk", chunk, integer=True)
    n = X.shape[0]
    total = None
    for i in range(0, n, chunk):
        Xc = X[i:i + chunk]
        J = per_sample_logit_jacobian(model, Xc)  # (c, m, p)
        with torch.no_grad():
            P = torch.softmax(model(Xc), dim=1).double().cpu().numpy()
        # diag(J^T (diag p - p p^T) J)_q = sum_i p_i J_iq^2 - (sum_i p_i J_iq)^2
        part = np.einsum("ni,niq->q", P, J ** 2) - np.sum(np.einsum("ni,niq->nq", P, J) ** 2, axis=0)
        total = part if total is None else total + part
    return total / n


def _check_kind(kind, bits, dense=False):
    allowed = ("hessian", "ggn", "fisher", "ef") if dense else CURVATURES
    if kind not in allowed:
        raise ValueError(f"kind must be one of {allowed}; got {kind!r}")
    if not isinstance(bits, bool):
        raise ValueError(f"bits must be a bool; got {bits!r}")
    if bits and kind not in _BITS_KINDS:
        raise ValueError(f"bits=True applies to {_BITS_KINDS} only (FIM and empirical FIM are in nats); "
                         f"got kind={kind!r}")
    return "ggn" if kind == "fisher" else kind


def curvature_operator(model, X, y, kind: str = "hessian", bits: bool = False,
                       batch_size: int | None = None, seed: int = 0) -> LinearOperator:
    """Curvature of the mean cross-entropy loss as a scipy ``LinearOperator`` (curvlinops).

    Parameters
    ----------
    model : torch.nn.Module; X : torch.Tensor (n, ...); y : torch.Tensor (n,) of ints.
    kind : {"hessian", "ggn", "fisher", "ef", "fisher_mc", "kfac"}
        ``HessianLinearOperator``; ``GGNLinearOperator`` (= FIM for softmax CE; "fisher"
        is an alias); ``EFLinearOperator`` (empirical FIM); ``FisherMCLinearOperator``
        (one Monte Carlo label per sample, seeded); ``KFACLinearOperator`` with
        ``fisher_type="type-2"`` (the exact GGN's per-layer Kronecker factors
        E[g g^T] (x) E[h h^T], Martens & Grosse; block-diagonal over layers).
    bits : bool
        Divide by log 2 (bits loss; only for "hessian", "ggn", "kfac").
    batch_size : int, optional
        Batch size of the data iterable (default: all n at once).
    seed : int
        Seed of the Monte Carlo labels of "fisher_mc".

    Returns
    -------
    scipy.sparse.linalg.LinearOperator of shape (p, p), dtype of the model's parameters.
    """
    import torch
    import curvlinops as cl

    kind = _check_kind(kind, bits)
    X, y = _check_data(X, y)
    n = X.shape[0]
    bs = n if batch_size is None else _check_positive("batch_size", batch_size, integer=True)
    data = [(X[i:i + bs], y[i:i + bs]) for i in range(0, n, bs)]
    loss = torch.nn.CrossEntropyLoss(reduction="mean")
    params = _flat_params(model)
    common = dict(check_deterministic=False, num_data=n)
    if kind == "hessian":
        op = cl.HessianLinearOperator(model, loss, params, data, **common)
    elif kind == "ggn":
        op = cl.GGNLinearOperator(model, loss, params, data, **common)
    elif kind == "ef":
        op = cl.EFLinearOperator(model, loss, params, data, **common)
    elif kind == "fisher_mc":
        op = cl.FisherMCLinearOperator(model, loss, params, data, seed=seed, **common)
    else:
        op = cl.KFACLinearOperator(model, loss, params, data, fisher_type="type-2", **common)
    if bits:
        op = op * (1.0 / math.log(2))
    dtype = {torch.float64: np.float64, torch.float32: np.float32}.get(params[0].dtype, np.float64)
    return op.to_scipy(dtype=dtype)


def extreme_eigenpairs(operator, k: int = 10, which: str = "top", seed: int = 0):
    """Top or bottom k eigenpairs of a symmetric operator or matrix via ``scipy.sparse.linalg.eigsh``.

    Parameters
    ----------
    operator : LinearOperator or numpy.ndarray, shape (p, p), symmetric.
    k : int, 1 <= k < p.
    which : {"top", "bottom"}
        Largest ("LA") or smallest ("SA") algebraic eigenvalues.

    Returns
    -------
    (eigenvalues (k,), eigenvectors (p, k)), eigenvalues descending.
    """
    if which not in ("top", "bottom"):
        raise ValueError(f"which must be 'top' or 'bottom'; got {which!r}")
    p = operator.shape[0]
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 1 <= k < p:
        raise ValueError(f"k must be an integer in [1, {p - 1}]; got {k!r}")
    v0 = np.random.default_rng(seed).standard_normal(p)
    vals, vecs = eigsh(operator, k=int(k), which="LA" if which == "top" else "SA", v0=v0)
    order = np.argsort(vals)[::-1]
    return vals[order], vecs[:, order]


# ------------------------------------------------------------------ spectral summaries
def effective_dimensionality(eigenvalues, n: int, eps: float) -> int:
    """p(n, eps) = #{i : |lambda_i| >= eps / (2(n-1))} (eq. 4.4.1).

    Parameters
    ----------
    eigenvalues : array_like, shape (p,), of the (bits-loss) Hessian.
    n : int >= 2, training-set size. eps : float > 0, prior precision.
    """
    lam = _check_eigenvalues(eigenvalues)
    _check_positive("n", n, integer=True, minimum=1)
    _check_positive("eps", eps)
    return int(np.sum(np.abs(lam) >= eps / (2 * (n - 1))))


def strength_factor(eigenvalues, n: int, eps: float) -> float:
    """s(n, eps) = sum_{i <= p(n, eps)} [1 + log(2(n-1) lambda_i / eps + 1)] (eq. 4.4.2).

    The sum runs over the p(n, eps) largest |lambda_i| (all of them when the Hessian is PSD).
    """
    lam = np.sort(np.abs(_check_eigenvalues(eigenvalues)))[::-1]
    r = effective_dimensionality(lam, n, eps)
    top = lam[:r]
    return float(np.sum(1.0 + np.log(2 * (n - 1) * top / eps + 1.0)))


def sloppy_factor(eigenvalues, r: int) -> float:
    """c(A, r) = sup{c' >= 0 : lambda_i <= lambda_r e^{-c'(i - r)} for all i >= r} (eq. 4.4.3).

    Parameters
    ----------
    eigenvalues : array_like, shape (p,); sorted descending here.
    r : int in [1, p], 1-based index (the thesis uses r = p(n, eps)).

    Returns
    -------
    float >= 0: min over i > r with lambda_i > 0 of log(lambda_r / lambda_i) / (i - r);
    ``inf`` when no i > r constrains c' (r = p, lambda_r <= 0, or all later lambda_i <= 0).
    """
    lam = _check_eigenvalues(eigenvalues)
    if isinstance(r, bool) or not isinstance(r, numbers.Integral) or not 1 <= r <= lam.size:
        raise ValueError(f"r must be an integer in [1, {lam.size}]; got {r!r}")
    lr = lam[r - 1]
    tail = lam[r:]
    steps = np.arange(1, tail.size + 1)
    mask = tail > 0
    if lr <= 0 or not np.any(mask):
        return math.inf
    return float(max(0.0, np.min((math.log(lr) - np.log(tail[mask])) / steps[mask])))


def tail_slope(eigenvalues, start: int = 1, stop: int | None = None) -> float:
    """Least-squares slope of log lambda_i against the 1-based index i, for start <= i <= stop.

    For lambda_i = b e^{-c i} the slope is -c. Only positive eigenvalues in the range are used.

    Parameters
    ----------
    eigenvalues : array_like, shape (p,); sorted descending here.
    start, stop : int, 1-based inclusive index range (stop defaults to p).
    """
    lam = _check_eigenvalues(eigenvalues)
    stop = lam.size if stop is None else stop
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not 1 <= value <= lam.size:
            raise ValueError(f"{name} must be an integer in [1, {lam.size}]; got {value!r}")
    idx = np.arange(start, stop + 1)
    vals = lam[start - 1:stop]
    keep = vals > 0
    if keep.sum() < 2:
        raise ValueError("eigenvalues must have at least two positive values in [start, stop]")
    return float(np.polyfit(idx[keep], np.log(vals[keep]), 1)[0])


def elbow_index(eigenvalues) -> int:
    """Index (1-based) of maximum curvature of the log spectrum ([NG] choice).

    [NG] The thesis places eps/(2(n-1)) "at the elbow" without defining it. Here the
    positive eigenvalues, sorted descending, give the curve (x_i, y_i) with
    x_i = (i - 1)/(q - 1) and y_i = log lambda_i rescaled to [0, 1]; the curvature
    |y''| / (1 + y'^2)^{3/2} (central differences) is maximised over interior points.
    Both axes are rescaled so that the answer does not depend on the logarithm's base
    or the spectrum's length.

    Returns
    -------
    int in [2, q - 1], q the number of positive eigenvalues (q >= 3 required).
    """
    lam = _check_eigenvalues(eigenvalues)
    lam = lam[lam > 0]
    if lam.size < 3:
        raise ValueError("eigenvalues must have at least three positive values")
    y = np.log(lam)
    span = y[0] - y[-1]
    if span <= 0:
        raise ValueError("eigenvalues must not be all equal (a flat spectrum has no elbow)")
    y = (y - y[-1]) / span
    h = 1.0 / (lam.size - 1)
    d1 = (y[2:] - y[:-2]) / (2 * h)
    d2 = (y[2:] - 2 * y[1:-1] + y[:-2]) / h ** 2
    kappa = np.abs(d2) / (1 + d1 ** 2) ** 1.5
    return int(np.argmax(kappa)) + 2


# --------------------------------------------------------------- theorem 4.3.1, lemma 4.3.2
def _check_weights(weights) -> list[np.ndarray]:
    if not isinstance(weights, (list, tuple)) or not weights:
        raise ValueError("weights must be a non-empty list of 2-D arrays w^0, ..., w^L")
    ws = [as_numpy(w, "weights").astype(float) for w in weights]
    for k, w in enumerate(ws):
        if w.ndim != 2:
            raise ValueError(f"weights[{k}] must be 2-D (d_{{k+1}}, d_k); got shape {w.shape}")
        if k and w.shape[1] != ws[k - 1].shape[0]:
            raise ValueError(f"weights[{k}] has {w.shape[1]} columns; weights[{k - 1}] has {ws[k - 1].shape[0]} rows")
    return ws


def trace_bound(weights, input_trace: float, a: float = 1.0, constant: float = 2.0) -> float:
    """Right-hand side of Theorem 4.3.1 (eq. 4.3.1) for tr F_w and tr H~_w.

    constant * m a^{2L} tr(E[x x^T]) prod_{j=0..L} ||w^j||_2^2 sum_{j=0..L} ||w^j||_2^{-2}.

    Parameters
    ----------
    weights : list of arrays w^0 (d_1, d_0), ..., w^L (m, d_L); L + 1 layers.
    input_trace : float >= 0, tr E[x x^T] = ||X||_F^2 / n.
    a : float > 0, Lipschitz constant of sigma (ReLU: 1).
    constant : float > 0
        2 as stated in the thesis; [ERRATUM] the proof (4.7.6) gives 1 for tr F and for
        (log 2) tr H~ (the nats GGN), so ``constant=1`` is the tighter check.
    """
    ws = _check_weights(weights)
    if not (isinstance(input_trace, numbers.Real) and input_trace >= 0 and math.isfinite(input_trace)):
        raise ValueError(f"input_trace must be a finite number >= 0; got {input_trace!r}")
    _check_positive("a", a)
    _check_positive("constant", constant)
    L = len(ws) - 1
    m = ws[-1].shape[0]
    norms2 = np.array([np.linalg.norm(w, 2) ** 2 for w in ws])
    if np.any(norms2 == 0):
        return 0.0
    return float(constant * m * a ** (2 * L) * input_trace * np.prod(norms2) * np.sum(1.0 / norms2))


def spectral_dominance_bound(weights, activation_eigenvalues, k: int, a: float = 1.0,
                             factor: float = 1.0) -> np.ndarray:
    """Right-hand side of Lemma 4.3.2 (eq. 4.3.2) / Corollary 4.7.7, as a descending array.

    factor a^{2(L-k)} prod_{j=k+1..L} ||w^j||_2^2 spec(I_{d_{k+1}}) (x) spec(E[h^k h^k^T]):
    each eigenvalue of E[h^k h^k^T] repeated d_{k+1} times (empty product = 1).

    Parameters
    ----------
    weights : list of arrays w^0, ..., w^L.
    activation_eigenvalues : array_like, shape (q,) with q <= d_k, eigenvalues of
        E[h^k h^k^T] (missing ones are zero-padded to d_k).
    k : int in [0, L], the layer (weight w^k).
    factor : float > 0
        1 for Lemma 4.3.2 (one logit, E[(dz_i/dw^k)(dz_i/dw^k)^T]); 2m for Corollary
        4.7.7 as stated (F(w^k), H~(w^k)); m suffices for the FIM / nats GGN block (sum of
        the per-logit bounds; the thesis proof via the logit sum is not valid as written).

    Returns
    -------
    numpy.ndarray, shape (d_{k+1} d_k,), descending; compare elementwise with the
    descending eigenvalues of the layer-k block.
    """
    ws = _check_weights(weights)
    L = len(ws) - 1
    if isinstance(k, bool) or not isinstance(k, numbers.Integral) or not 0 <= k <= L:
        raise ValueError(f"k must be an integer in [0, {L}]; got {k!r}")
    _check_positive("a", a)
    _check_positive("factor", factor)
    lam = _check_eigenvalues(activation_eigenvalues, "activation_eigenvalues")
    d_out, d_in = ws[k].shape
    if lam.size > d_in:
        raise ValueError(f"activation_eigenvalues must have at most d_k = {d_in} entries; got {lam.size}")
    lam = np.concatenate([lam, np.zeros(d_in - lam.size)])
    scale = factor * a ** (2 * (L - k)) * np.prod([np.linalg.norm(w, 2) ** 2 for w in ws[k + 1:]])
    return np.sort(np.repeat(lam, d_out))[::-1] * scale
