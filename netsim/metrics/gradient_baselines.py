"""Gradient-based baselines and companions of study 3 (gradient paper, sections 2, 4, 5.3, appendix G).

- Task2Vec (Achille et al. 2019; eqs. 1-2): the diagonal of the Fisher information of each model
  on its data, compared by the cosine of the normalised embeddings.
- The Fisher-Rao norm (Liang et al. 2019; eq. 3) and the distance rho_fr of section 4.
- The norm of the kernel mean embedding ||mu_p|| (eqs. 17, 26) and its ratios to the CKA and NBS
  normalisers (eq. 19, Figs. 4 and 6).
- Sketched kernel ridge regression as a classifier (appendix G, eqs. 49-50).

Torch models in, numpy / floats out. Models run in eval mode (training flags restored).
Torch is imported inside the functions that need it, as elsewhere in netsim.metrics.
"""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg

from ._validation import as_numpy, check_labels
from .sketching import KernelSketcher, _check_m, _check_seed, _choice, _rows

if TYPE_CHECKING:  # annotations only; torch is imported where it is used
    import torch
    from torch import nn

FISHERS = ("model", "empirical", "sampled")
EXPECTATIONS = ("model", "q", "empirical")
KRR_KINDS = ("hadamard", "features", "gradients", "sum", "phi_hadamard", "psi_hadamard")


# --------------------------------------------------------------------------- helpers
def _inputs(x) -> torch.Tensor:
    import torch

    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor) or x.ndim < 1 or x.shape[0] == 0:
        raise ValueError(f"x must be a non-empty tensor or array of inputs (n, ...); got {type(x).__name__}")
    if x.is_floating_point() and not torch.isfinite(x).all():
        raise ValueError("x contains NaN or infinite values")
    return x


def _batch_size(batch_size) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}")
    return int(batch_size)


def _batches(model: nn.Module, x: torch.Tensor, batch_size: int, device):
    import torch

    dtype = next(model.parameters(), torch.empty(0)).dtype
    for start in range(0, x.shape[0], batch_size):
        xb = x[start:start + batch_size].to(device)
        yield start, (xb.to(dtype) if xb.is_floating_point() else xb)


def _labels(y, n: int, num_classes: int | None, name: str = "y") -> torch.Tensor:
    import torch

    arr = as_numpy(y, name)
    if num_classes is None:
        num_classes = int(arr.max()) + 1 if arr.size else 1
    return torch.from_numpy(check_labels(arr, n, num_classes, name))


# --------------------------------------------------------------------------- Task2Vec

def _empirical_labels(argument: str, value: str, y, n: int):
    """The checked labels when ``argument`` is ``"empirical"`` (they are then required), else None."""
    if value != "empirical":
        return None
    if y is None:
        raise ValueError(f"{argument}='empirical' needs labels y")
    return _labels(y, n, None)


def task2vec(model: nn.Module, x, y=None, *, batch_size: int = 64, fisher: str = "model",
             samples: int = 4, seed: int = 0, device="cpu") -> np.ndarray:
    """Task2Vec embedding: the diagonal of the Fisher information of ``model`` on ``x`` (eqs. 1-2).

    v_i = (1/N) sum_n E_{y ~ p_theta(y|x_n)} (d log p_theta(y|x_n) / d theta_i)^2, the expectation
    over classes taken exactly (``fisher="model"``, eq. 2; one per-sample gradient pass per
    class); ``fisher="sampled"`` estimates it without bias from ``samples`` labels drawn from
    p_theta(y|x_n) per input (seeded by ``seed``; the usual Monte Carlo Fisher, ``samples``
    passes whatever the number of classes); ``fisher="empirical"`` uses the given labels
    instead: (d log p_theta(y_n|x_n) / d theta_i)^2. Achille et al. estimate the same
    diagonal by Monte Carlo on a probe network; the paper applies it to each trained model.

    Parameters
    ----------
    model : nn.Module mapping (b, *input_shape) to logits (b, C)
    x : tensor or array (N, *input_shape)
    y : labels (N,), needed only for ``fisher="empirical"``
    batch_size : int
    fisher : {"model", "sampled", "empirical"}
    samples, seed : labels drawn per input and their seed, for ``fisher="sampled"``
    device : str or torch.device

    Returns
    -------
    (P,) float64, P the number of parameters (``model.parameters()`` order, flattened).
    """
    import torch
    from torch.func import functional_call, grad, vmap

    from netsim.probes import _eval_mode

    _choice("fisher", fisher, FISHERS)
    x, batch_size = _inputs(x), _batch_size(batch_size)
    labels = _empirical_labels("fisher", fisher, y, x.shape[0])
    model.to(device)
    params = {name: p.detach() for name, p in model.named_parameters()}
    if not params:
        raise ValueError("model has no parameters; Task2Vec is undefined")

    def log_prob(pars, xi, onehot):
        logits = functional_call(model, pars, (xi.unsqueeze(0),))
        return (torch.log_softmax(logits, dim=1)[0] * onehot).sum()  # log p(c | x), c one-hot

    if fisher == "sampled" and (isinstance(samples, bool) or not isinstance(samples, int) or samples < 1):
        raise ValueError(f"samples must be a positive int; got {samples!r}")
    generator = torch.Generator().manual_seed(int(seed))
    per_sample = vmap(grad(log_prob), in_dims=(None, 0, 0))
    total = {k: torch.zeros_like(v, dtype=torch.float64) for k, v in params.items()}
    with _eval_mode(model):
        for start, xb in _batches(model, x, batch_size, device):
            with torch.no_grad():
                p = torch.softmax(model(xb), dim=1).double()
            eye = torch.eye(p.shape[1], dtype=xb.dtype if xb.is_floating_point() else torch.float32,
                            device=device)
            if labels is not None:
                c = labels[start:start + len(xb)].to(device)
                if c.max() >= p.shape[1]:
                    raise ValueError(f"y has labels >= the model's {p.shape[1]} classes")
                pairs = [(eye[c], torch.ones(len(xb), dtype=torch.float64))]
            elif fisher == "sampled":  # y ~ p(y|x), `samples` draws, each weighted 1 / samples
                draws = torch.multinomial(p.cpu(), samples, replacement=True, generator=generator).to(device)
                pairs = [(eye[draws[:, r]], torch.full((len(xb),), 1.0 / samples, dtype=torch.float64))
                         for r in range(samples)]
            else:  # exact expectation over the model's classes, one class at a time
                pairs = [(eye[c].expand(len(xb), -1), p[:, c]) for c in range(p.shape[1])]
            for onehots, weight in pairs:
                grads = per_sample(params, xb, onehots)
                for k, g in grads.items():
                    w = weight.to(g.device).reshape(-1, *([1] * (g.ndim - 1)))
                    total[k] += (w * g.double() ** 2).sum(0)
    return torch.cat([t.reshape(-1) for t in total.values()]).cpu().numpy() / x.shape[0]


def task2vec_similarity(e1, e2, normalise: bool = True) -> float:
    """Cosine similarity of two Task2Vec embeddings (P,), normalised as Achille et al. do.

    With ``normalise`` the embeddings are divided elementwise by their sum, e1 / (e1 + e2) and
    e2 / (e1 + e2) (entries where both are zero are dropped), so that parameters with large
    Fisher information in both do not dominate; identical embeddings give 1.
    """
    a, b = (np.asarray(as_numpy(e, n), dtype=np.float64) for e, n in ((e1, "e1"), (e2, "e2")))
    for name, e in (("e1", a), ("e2", b)):
        if e.ndim != 1 or e.size == 0:
            raise ValueError(f"{name} must be a non-empty 1-D embedding; got shape {e.shape}")
        if not np.isfinite(e).all() or e.min() < 0:
            raise ValueError(f"{name} must be finite and >= 0 (a diagonal Fisher information)")
    if a.shape != b.shape:
        raise ValueError(f"e1 and e2 must come from one architecture; got shapes {a.shape} and {b.shape}")
    if normalise:
        s = a + b
        keep = s > 0
        a, b = a[keep] / s[keep], b[keep] / s[keep]
    denom = np.linalg.norm(a) * np.linalg.norm(b)
    if denom == 0:
        raise ValueError("an embedding is zero; the cosine is undefined")
    return float(a @ b / denom)


# --------------------------------------------------------------------------- Fisher-Rao
def count_weight_layers(model: nn.Module) -> int:
    """Number of ``nn.Linear`` and ``nn.Conv*`` modules: L + 1 in eq. 3 (the degree of homogeneity)."""
    from torch import nn

    kinds = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
    return sum(isinstance(module, kinds) for module in model.modules())


def fisher_rao_norm(model: nn.Module, x, y=None, *, expectation: str = "model", beta: float = 0.5,
                    depth: int | None = None, batch_size: int = 256, device="cpu") -> float:
    """The Fisher-Rao norm of eq. 3: ||theta||_fr^2 = (L + 1)^2 E <f_theta(x), d l(f_theta(x), y) / d f>^2.

    f_theta(x) are the logits and l the cross-entropy, so <f, d l / d f> = f . p - f_y in closed
    form (no backward pass). For a bias-free network of L + 1 layers with positively homogeneous
    activations (ReLU) it equals <theta, I(theta) theta> (Liang et al. 2019), I the Fisher
    information, when the expectation over y is the model's own.

    Parameters
    ----------
    model : nn.Module mapping inputs to logits (b, C)
    x : inputs (N, ...)
    y : labels (N,), for ``expectation="empirical"``
    expectation : {"model", "q", "empirical"}
        y ~ p_theta(y|x) (Liang et al.'s definition), y ~ q proportional to p^beta (the
        expectation of the paper's appendix D.2, eq. 25), or the given labels.
    beta : float, for ``expectation="q"``
    depth : int, optional
        L + 1; default :func:`count_weight_layers`.

    Returns
    -------
    float, ||theta||_fr (the norm, not its square).
    """
    import torch

    from netsim.probes import _check_beta, _eval_mode

    _choice("expectation", expectation, EXPECTATIONS)
    beta = _check_beta(beta)
    x, batch_size = _inputs(x), _batch_size(batch_size)
    depth = count_weight_layers(model) if depth is None else int(depth)
    if depth < 1:
        raise ValueError(f"depth (L + 1) must be >= 1; got {depth}")
    labels = _empirical_labels("expectation", expectation, y, x.shape[0])
    model.to(device)
    total = 0.0
    with _eval_mode(model), torch.no_grad():
        for start, xb in _batches(model, x, batch_size, device):
            f = model(xb).double()
            log_p = torch.log_softmax(f, dim=1)
            inner = (f * log_p.exp()).sum(1, keepdim=True) - f  # <f, p - e_c> for every class c
            if labels is not None:
                c = labels[start:start + len(xb)].to(f.device)
                if c.max() >= f.shape[1]:
                    raise ValueError(f"y has labels >= the model's {f.shape[1]} classes")
                total += float((inner.gather(1, c[:, None]) ** 2).sum())
            else:
                r = torch.softmax((beta if expectation == "q" else 1.0) * log_p, dim=1)
                total += float((r * inner ** 2).sum())
    return float(depth * np.sqrt(total / x.shape[0]))


def fisher_rao_distance(norm1: float, norm2: float) -> float:
    """rho_fr = | ||theta_1||_fr - ||theta_2||_fr | / sqrt(||theta_1||_fr ||theta_2||_fr) (section 4)."""
    a, b = float(norm1), float(norm2)
    if not (np.isfinite(a) and np.isfinite(b)) or a <= 0 or b <= 0:
        raise ValueError(f"the Fisher-Rao norms must be finite and > 0; got {norm1!r}, {norm2!r}")
    return abs(a - b) / np.sqrt(a * b)


# --------------------------------------------------------------------------- kernel mean embedding
@dataclasses.dataclass(frozen=True)
class MeanEmbeddingNorm:
    """||mu_p|| and the normalisers of CKA and NBS (section 5.3).

    Attributes
    ----------
    mu : ||mu_p|| = ||(1/N) sum_n g_n f_n^T||_F = sqrt(sum K) / N (eqs. 17, 26)
    cka_normaliser : ||K||_F / N^2
    nbs_normaliser : sqrt(tr K) / N
    ratio_cka, ratio_nbs : mu divided by each (eq. 19; eq. 48 is log ratio_cka)
    n : samples N
    """

    mu: float
    cka_normaliser: float
    nbs_normaliser: float
    ratio_cka: float
    ratio_nbs: float
    n: int


def _mean_embedding(total: float, frob_sq: float, trace: float, n: int) -> MeanEmbeddingNorm:
    mu = np.sqrt(max(total, 0.0)) / n
    cka_norm = np.sqrt(frob_sq) / n ** 2
    nbs_norm = np.sqrt(max(trace, 0.0)) / n
    if cka_norm == 0 or nbs_norm == 0:
        raise ValueError("the kernel is zero (zero features or gradients); the ratios are undefined")
    return MeanEmbeddingNorm(float(mu), float(cka_norm), float(nbs_norm), float(mu / cka_norm),
                             float(mu / nbs_norm), int(n))


def kernel_mean_embedding_norm(features, gradients, *, chunk_size: int = 1024) -> MeanEmbeddingNorm:
    """||mu_p|| and eq. 19's ratios, exactly, for the Hadamard kernel K = K_f o K_g of raw rows.

    mu_p = (1/N) sum_n g_n f_n^T (eq. 17, psi of eq. 9), so ||mu_p||^2 = sum_ij K_ij / N^2 (eq. 26);
    ||K||_F and tr K = sum_n ||f_n||^2 ||g_n||^2 complete eq. 19. K is visited in row blocks of
    ``chunk_size``: memory O(chunk_size N), time O(N^2 d). For large N use
    :func:`mean_embedding_from_kernel` on a sketched kernel, as the paper does.

    Notes
    -----
    Eq. 18 states ||mu_p|| <= ||theta||_fr / (L + 1). Its proof (eq. 25) uses
    ||d l/d f f^T||_F = |f^T d l/d f|, but the Frobenius norm of an outer product is
    ||d l/d f|| ||f|| >= |f^T d l/d f|, and eq. 3's f is the network output while eq. 17's is a
    block feature; the inequality is not implied in general, so nothing here relies on it.

    Parameters
    ----------
    features, gradients : (N, d) rows (uncentred: eq. 26 needs the raw kernel)
    """
    F = _rows("features", features)
    G = _rows("gradients", gradients, n=F.shape[0])
    n = F.shape[0]
    step = _batch_size(chunk_size)
    total = frob = 0.0
    for start in range(0, n, step):
        K = (F[start:start + step] @ F.T) * (G[start:start + step] @ G.T)
        total += float(K.sum())
        frob += float((K ** 2).sum())
    trace = float(((F ** 2).sum(1) * (G ** 2).sum(1)).sum())
    return _mean_embedding(total, frob, trace, n)


def mean_embedding_from_kernel(K, n: int) -> MeanEmbeddingNorm:
    """||mu_p|| and eq. 19's ratios from a representation K: the full N x N Hadamard kernel
    (then equal to :func:`kernel_mean_embedding_norm`) or a raw M x M sketch
    (``KernelSketcher.representation("hadamard", centre=False)``), with n the samples sketched.

    mu = sqrt(sum K) / n, ||K||_F / n^2, sqrt(tr K) / n: the paper's code computes mu this way on
    sketched kernels; the sketched normalisers are estimates of the same kind.
    """
    K = np.asarray(as_numpy(K, "K"), dtype=np.float64)
    if K.ndim != 2 or K.shape[0] != K.shape[1] or K.size == 0:
        raise ValueError(f"K must be a non-empty square kernel; got shape {K.shape}")
    if not np.isfinite(K).all():
        raise ValueError("K contains NaN or infinite values")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be the positive number of samples; got {n!r}")
    return _mean_embedding(float(K.sum()), float((K ** 2).sum()), float(np.trace(K)), int(n))


# --------------------------------------------------------------------------- kernel ridge regression
def _rep(name: str, rep, n: int | None = None):
    """(F, G) rows from a tuple or a bare feature matrix (G None)."""
    if isinstance(rep, (tuple, list)):
        if len(rep) != 2:
            raise ValueError(f"{name} must be (features, gradients) or a feature matrix; got {len(rep)} items")
        F = _rows(f"{name}[0] (features)", rep[0], n=n)
        G = None if rep[1] is None else _rows(f"{name}[1] (gradients)", rep[1], n=F.shape[0])
        return F, G
    return _rows(name, rep, n=n), None


def _test_kernel(sk: KernelSketcher, F, G, kind: str) -> np.ndarray:
    """k(x*)_a for every sketched bucket a and test row: (n_test, M), raw sketches."""
    if kind == "features":
        return F @ sk.sketch("f", False).T
    if G is None:
        raise ValueError(f"kind={kind!r} needs test gradients; test_rep has features only")
    if kind == "phi_hadamard":
        return (F * G) @ sk.sketch("phi", False).T
    if kind == "psi_hadamard":  # <Psi~_a, vec(g* f*^T)>
        P = sk.sketch("psi", False).reshape(sk.m, G.shape[1], F.shape[1])
        return np.einsum("aij,ni,nj->na", P, G, F)
    kf, kg = F @ sk.sketch("f", False).T, G @ sk.sketch("g", False).T
    return {"hadamard": kf * kg, "gradients": kg, "sum": kf + kg}[kind]


def sketched_kernel_ridge_scores(train_rep, y_train, test_rep, *, m: int = 512, seed: int = 0,
                                 alpha: float = 1.0, relative_alpha: bool = True,
                                 kind: str = "hadamard", num_classes: int | None = None,
                                 target_signs: str = "auto") -> np.ndarray:
    """Scores t* = T~ (K~ + alpha I)^{-1} k(x*) of sketched kernel ridge regression (eq. 49).

    Appendix G sketches the one-hot targets "with the same random projection" S. That is
    consistent for kernels linear in the sketched rows (features, gradients, sum,
    Phi_f o Phi_g, and the exact Hadamard sketch S Psi of ``"psi_hadamard"``):
    K~ = S K S^T, k~(x*) = S k(x*), T~ = S T. It is not for the paper's
    Hadamard representation: (F~_a . f*)(G~_a . g*) = sum_{i, j in bucket a} s_i s_j
    k_f(x_i, x*) k_g(x_j, x*), whose i = j terms carry no sign, so the Hadamard product of
    sketches approximates the unsigned bucket aggregate B K B^T (B the bucket indicator) plus
    sign noise, and must be paired with the unsigned bucket sums B T. ``target_signs="auto"``
    does so (signed targets give chance accuracy with the Hadamard kernel, see the tests).

    Parameters
    ----------
    train_rep : (F, G) rows (N, d) each, a feature matrix (N, d), or a :class:`KernelSketcher`
        already fed with ``targets`` (then ``y_train`` may be None).
    y_train : labels (N,); converted to one-hot rows t_n and sketched with the same S as the
        training rows (appendix G), giving T~ (M, C).
    test_rep : (F*, G*) rows (n_test, d) each, or a feature matrix; the kernel vector is
        k(x*)_a = (F~_a . f*)(G~_a . g*) for ``kind="hadamard"``, the matching product for the
        other kinds (the T^{fg} construction has no kernel function for new points).
    m, seed : sketch size and seed (ignored for a given sketcher)
    alpha : ridge strength; with ``relative_alpha`` it is multiplied by tr(K~) / M so that one
        value suits kernels of any scale (the paper picks alpha by cross-validation; the
        bucket-collision noise of the Hadamard sketch wants alpha of order 1 here).
    kind : one of ``KRR_KINDS``
    num_classes : C, default max(y_train) + 1
    target_signs : {"auto", "signed", "unsigned"}
        S T or B T; "auto" takes B T for ``kind="hadamard"``, S T otherwise.

    Returns
    -------
    (n_test, C) float64; eq. 50 takes the argmax over classes.
    """
    _choice("kind", kind, KRR_KINDS)
    _choice("target_signs", target_signs, ("auto", "signed", "unsigned"))
    signed = kind != "hadamard" if target_signs == "auto" else target_signs == "signed"
    if isinstance(train_rep, KernelSketcher):
        sk = train_rep
    else:
        F, G = _rep("train_rep", train_rep)
        if kind != "features" and G is None:
            raise ValueError(f"kind={kind!r} needs training gradients; train_rep has features only")
        if y_train is None:
            raise ValueError("y_train is required unless train_rep is a KernelSketcher with targets")
        y = _labels(y_train, F.shape[0], num_classes, "y_train").numpy()
        C = int(num_classes) if num_classes is not None else int(y.max()) + 1
        sk = KernelSketcher(_check_m(m), _check_seed(seed), psi=kind == "psi_hadamard").update(
            F, None if kind == "features" else G, targets=np.eye(C)[y])
    targets = sk.targets(signed)
    Ft, Gt = _rep("test_rep", test_rep)
    if Ft.shape[1] != sk.d:
        raise ValueError(f"test_rep features have {Ft.shape[1]} columns; the training rows have {sk.d}")
    K = sk.representation(kind, centre=False)
    a = float(alpha)
    if not np.isfinite(a) or a <= 0:
        raise ValueError(f"alpha must be a finite number > 0; got {alpha!r}")
    if relative_alpha:
        a *= max(np.trace(K) / len(K), np.finfo(float).tiny)
    coef = scipy.linalg.solve(K + a * np.eye(len(K)), targets, assume_a="pos")
    return _test_kernel(sk, Ft, Gt, kind) @ coef


def sketched_kernel_ridge(train_rep, y_train, test_rep, y_test, **options) -> float:
    """Test accuracy of sketched kernel ridge regression as a classifier (appendix G, eqs. 49-50).

    y* = argmax_k t*_k with t* from :func:`sketched_kernel_ridge_scores` (same options).

    Parameters
    ----------
    y_test : labels (n_test,)

    Returns
    -------
    float in [0, 1], the fraction of test samples with y* = y_test.
    """
    scores = sketched_kernel_ridge_scores(train_rep, y_train, test_rep, **options)
    y = check_labels(as_numpy(y_test, "y_test"), scores.shape[0], scores.shape[1], "y_test")
    return float(np.mean(scores.argmax(axis=1) == y))
