"""Study 6: sloppiness of inputs, activations and curvature, and PAC-Bayes bounds (thesis chapter 4).

The CPU-scale analog of STUDIES_THESIS "STUDY C" (C.4): input spectra of the offline data
sets, bias-free FC-40-1 / FC-40-2 networks on binary digits with their curvature at
initialisation, half-way and at the end of training, the checks of Theorem 4.3.1 and
Lemma 4.3.2, KFAC against the Hessian, Method 1 (the analytical posterior) on digits and on
a synthetic sloppy teacher-student problem, random labels, the atypical-problem sweep of
sec. 4.4 (students of several widths on Gaussian inputs of varying sloppiness, C8, whose
trained width-10 students also serve C7), and two labelled PAC-Bayes proposals that are not
thesis results (a FIM-shaped prior and an optimised diagonal posterior). Every choice the thesis leaves
open ([NG]) is a constant below, so that the notebook's "Choices" section and the code agree.
The spectra and bounds themselves live in :mod:`netsim.metrics.curvature` and
:mod:`netsim.pacbayes`.
"""
from __future__ import annotations

import copy
import math

import numpy as np

from netsim import pacbayes as PB
from netsim.claims import AllOf, AtLeast, AtMost, ClaimRegistry, Measured  # noqa: F401 (Measured: used by the notebook)
from netsim.metrics import curvature as C

# ---------------------------------------------------------------------------------------
# Settings: thesis values where given, [NG] choices otherwise (see the chapter's Choices).
# ---------------------------------------------------------------------------------------
BATCH_SIZE = 128                     # C.4
LR_START, LR_END = 1e-3, 1e-5        # cosine schedule of the thesis
SNAPSHOTS = (0.0, 0.5, 1.0)          # init, 50% and end of training
SYNTH_CS = (0.001, 0.1, 0.5)         # synthetic input spectra, b = 50 c
SYNTH = dict(d=50, c=0.5, hidden=20)  # C.4 teacher 50 -> 20 -> 2
FLAT = dict(d=200, cs=(0.001, 0.1), width=10, num_classes=10,  # C7: width-10 student at init [NG]
            window=(200, 1000))  # FIM indices 10 x (20 ... 100): each input direction repeats width times
TOP_K = 20                           # eigenvectors compared in Fig 4.3
SPAN = 100                           # decades are measured over the top SPAN eigenvalues [NG]
RANDOM_FRACTIONS = (0.0, 0.25, 0.5, 1.0)
RESOLUTION = 1e-12                   # eigenvalues below this fraction of the largest are numerical zeros
HESSIAN_CHUNK = 1000                 # samples per chunk of the dense Hessian (memory)
EXACT = 1 + 1e-9                     # an inequality holds if lhs / rhs <= 1 + 1e-9
REAL_DATA = ("mnist1d", "digits", "sprites", "image_patches")
# C8: the atypical-problem sweep of C.4 (teacher 200 -> 20 -> 10, b = 50 c). [NG] students have one
# hidden layer ("two-layer", as the teacher) and biases (the teacher's labels carry class offsets
# from the balancing of netsim.datasets.gaussian, which a bias-free ReLU network cannot represent).
SWEEP = dict(cs=(0.001, 0.01, 0.1, 0.5), d=200, teacher_hidden=20, num_classes=10, batch_size=500)
INTERPOLATION_TOL = 0.01             # [NG] "interpolates": training error <= 1%
PRIOR_MIX = 1.0                      # proposal: prior variance multipliers 1 + mix * f / mean(f)

PROFILE = {
    "smoke": dict(width=8, epochs=3, curvature_n=150, synth_n=1000, synth_test=500, synth_epochs=3,
                  mc_samples=20, num_scales=60, random_epochs=2, spectra_n=500, flat_n=300,
                  sweep_n=300, sweep_test=200, sweep_epochs=2, sweep_widths=(10, 40), sweep_seeds=1,
                  dr_steps=10, prior_n=100, seed=0),
    "book": dict(width=40, epochs=100, curvature_n=None, synth_n=20000, synth_test=5000, synth_epochs=30,
                 mc_samples=300, num_scales=100, random_epochs=100, spectra_n=5000, flat_n=1000,
                 sweep_n=5000, sweep_test=2000, sweep_epochs=200, sweep_widths=(10, 100, 500), sweep_seeds=2,
                 dr_steps=2000, prior_n=2000, seed=0),
    "paper": dict(width=40, epochs=100, curvature_n=None, synth_n=20000, synth_test=10000, synth_epochs=50,
                  mc_samples=1000, num_scales=100, random_epochs=200, spectra_n=20000, flat_n=2000,
                  sweep_n=50000, sweep_test=10000, sweep_epochs=100, sweep_widths=(10, 100, 500), sweep_seeds=2,
                  dr_steps=20000, prior_n=5000, seed=0),
}


# ---------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------
def declare_claims() -> ClaimRegistry:
    """Claims C1-C11 of thesis chapter 4, with their tests, declared before any computation."""
    reg = ClaimRegistry("sloppiness")
    reg.declare("C1", "Input correlation spectra of real data are sloppy: they span many decades",
                "sharp drop, then log-uniform", AtLeast(3.0, partly=2.0), source="Fig. 4.1")
    reg.declare("C2", "Activations, activation gradients, logit Jacobians, FIM and Hessian are sloppy "
                "at every layer, logit and time", "Fig. 4.1",
                AllOf((("min decades over the top 100 eigenvalues (all spectra)", AtLeast(3.0, partly=2.0)),
                       ("max |log10 FIM_1 - log10 H_1| over snapshots", AtMost(1.0, partly=2.0)))),
                source="Fig. 4.1")
    reg.declare("C3", "Theorem 4.3.1: tr F and tr H~ are bounded by the weight norms (exact)", "exact",
                AllOf((("max tr F / bound (constant 1, proof)", AtMost(EXACT)),
                       ("max tr H~ / bound (constant 2, as stated)", AtMost(EXACT)))),
                source="Theorem 4.3.1, eq. 4.7.6")
    reg.declare("C4", "Lemma 4.3.2 and Corollary 4.7.7: spectral dominance (exact)", "exact",
                AllOf((("Lemma 4.3.2: max eigenvalue / bound", AtMost(EXACT)),
                       ("Corollary 4.7.7 (factor m, FIM block): max ratio", AtMost(EXACT)))),
                source="Lemma 4.3.2, Corollary 4.7.7")
    reg.declare("C5", "At the end of training tr F << logit-Jacobian trace; the H-term is tiny",
                "H-term 5.32e-8", AllOf((("tr F / logit-Jacobian trace", AtMost(0.1, partly=1.0)),
                                         ("H-term E[sum_i |y_i - p_i|]", AtMost(1e-2, partly=1e-1)))),
                source="Remark 4.7.5, sec. 4.3")
    reg.declare("C6", "KFAC matches Hessian eigenvalues, not eigenvectors; FIM and Hessian top eigenvectors "
                "overlap far more than random", "Fig. 4.3",
                AllOf((("median |log10 KFAC / Hessian| over the top 20 eigenvalues", AtMost(0.3, partly=0.6)),
                       ("mean |cos| of matched KFAC-Hessian top-20 eigenvectors", AtMost(0.5, partly=0.8)),
                       ("FIM-Hessian top-20 subspace overlap / random", AtLeast(10.0, partly=3.0)))),
                source="Fig. 4.3")
    reg.declare("C7", "Non-sloppy inputs (c = 0.001) give flat FIM tails; sloppy ones (c = 0.1) decaying ones",
                "Fig. 4.1", AllOf((("decades of FIM eigenvalues 200-1000, c = 0.1", AtLeast(2.0, partly=1.0)),
                                   ("decades of FIM eigenvalues 200-1000, c = 0.001", AtMost(1.0, partly=2.0)),
                                   ("same, trained width-10 student of the C8 sweep, c = 0.1",
                                    AtLeast(2.0, partly=1.0)),
                                   ("same, trained width-10 student of the C8 sweep, c = 0.001",
                                    AtMost(1.0, partly=2.0)))),
                source="Fig. 4.1 (atypical problems)")
    reg.declare("C8", "Interpolating students generalise better on sloppier inputs, wider ones better, and "
                "with sloppy inputs a width-10 student matches a width-500 one", "Fig. 4.1",
                AllOf(((f"fraction of students with training error <= {INTERPOLATION_TOL:g}",
                        AtLeast(0.9, partly=0.5)),
                       ("Spearman(c, test error), worst width", AtMost(-0.8, partly=-0.4)),
                       ("Spearman(width, test error), mean over c", AtMost(-0.5, partly=0.0)),
                       ("|test error narrowest - widest| at the sloppiest c", AtMost(0.02, partly=0.05)))),
                source="sec. 4.4, Fig. 4.1 bottom right")
    reg.declare("C9", "The analytical posterior (Method 1) gives a non-vacuous bound", "0.32 (test 0.089)",
                AllOf((("kl bound with e^(Q), synthetic sloppy problem", AtMost(0.5)),
                       ("kl bound with e^(Q), FC-40-1 digits", AtMost(0.5)))),
                source="sec. 4.3.3")
    reg.declare("C10", "eps/(2(n-1)) falls near the spectral elbow; s, 1/c and eps||w - w0||^2 are << n "
                "(synthetic problem)", "p = 2429, s = 6810, 1/c = 2545, eps||w-w0||^2 = 8526, n = 55000",
                AllOf((("|log10 threshold / elbow eigenvalue|", AtMost(1.0, partly=2.0)),
                       ("max(s, 1/c, eps||w - w0||^2) / n", AtMost(0.2, partly=1.0)))),
                source="Fig. 4.2, sec. 4.4.2")
    reg.declare("C11", "Random labels make the empirical FIM less sloppy and raise its top eigenvalues",
                "Fig. 4.11", AllOf((("top eigenvalue ratio, 100% vs 0% random labels", AtLeast(2.0, partly=1.0)),
                                    ("less sloppy: decay decades 0% minus 100%", AtLeast(0.5, partly=0.0)))),
                source="Fig. 4.11")
    return reg


def resolved(eigenvalues) -> np.ndarray:
    """|eigenvalues| sorted descending, without the numerical zeros (below RESOLUTION x the largest)."""
    lam = np.sort(np.abs(np.asarray(eigenvalues, float)))[::-1]
    return lam[lam > RESOLUTION * lam[0]] if lam.size and lam[0] > 0 else lam[:0]


def decades(eigenvalues, start: int = 1, stop: int | None = SPAN) -> float:
    """log10(lambda_start / lambda_stop) of the descending positive spectrum (1-based, inclusive)."""
    lam = np.sort(np.abs(np.asarray(eigenvalues, float)))[::-1]
    lam = lam[lam > 0]
    stop = lam.size if stop is None else min(stop, lam.size)
    if stop <= start:
        raise ValueError(f"need more than {start} positive eigenvalues; got {lam.size}")
    return float(np.log10(lam[start - 1] / lam[stop - 1]))


# ---------------------------------------------------------------------------------------
# Input spectra (Fig. 4.1, first panel)
# ---------------------------------------------------------------------------------------
def flat_inputs(dataset) -> np.ndarray:
    """The inputs of ``dataset`` as an (n, d) float64 array."""
    x = np.asarray(dataset.x, dtype=float)
    return x.reshape(x.shape[0], -1)


def input_spectra(n: int, seed: int = 0) -> dict:
    """Eigenvalues of E[x x^T] of each offline data set (at most ``n`` samples each).

    Digits drops its constant pixels (C.4); the synthetic sets are ``sloppy_gaussian`` with
    d = 200 and c in :data:`SYNTH_CS` (b = 50 c).
    """
    from netsim.data import load_dataset

    out = {}
    for name in REAL_DATA:
        X = flat_inputs(load_dataset(name))[:n]
        if name == "digits":
            X = X[:, X.std(axis=0) > 0]
        out[name] = C.correlation_eigenvalues(X)
    for c in SYNTH_CS:
        ds = load_dataset("sloppy_gaussian", seed=seed, c=c, d=200, n_train=n, n_test=10)
        out[f"sloppy c={c:g}"] = C.correlation_eigenvalues(flat_inputs(ds))
    return out


def spectrum_summary(spectra: dict) -> "object":
    """Per spectrum: size, decades over the top :data:`SPAN`, tail slope after the elbow."""
    import pandas as pd

    rows = []
    for name, lam in spectra.items():
        lam = resolved(lam)
        elbow = C.elbow_index(lam)
        rows.append(dict(spectrum=name, size=lam.size, decades=decades(lam), elbow=elbow,
                         tail_slope=C.tail_slope(lam, start=elbow) if lam.size - elbow >= 1 else math.nan,
                         sloppy_factor_at_elbow=C.sloppy_factor(lam, elbow)))
    return pd.DataFrame(rows).set_index("spectrum")


# ---------------------------------------------------------------------------------------
# Networks and training
# ---------------------------------------------------------------------------------------
def binary_digits():
    """Binary digits ({0-4} -> 0, {5-9} -> 1), flattened to 64: (Xtrain, ytrain, Xtest, ytest) tensors."""
    import torch
    from netsim.data import load_dataset

    out = []
    for split in ("train", "test"):
        ds = load_dataset("digits", split, binary=True)
        out += [torch.as_tensor(flat_inputs(ds)), torch.as_tensor(np.asarray(ds.y), dtype=torch.long)]
    return tuple(out)


def synthetic_problem(n: int, n_test: int, seed: int = 0):
    """C.4's sloppy binary teacher-student data (d = 50, c = 0.5, teacher 50 -> 20 -> 2)."""
    import torch
    from netsim.data import load_dataset

    out = []
    for split in ("train", "test"):
        ds = load_dataset("sloppy_gaussian", split, seed=seed, d=SYNTH["d"], c=SYNTH["c"],
                          hidden=SYNTH["hidden"], num_classes=2, n_train=n, n_test=n_test)
        out += [torch.as_tensor(flat_inputs(ds)), torch.as_tensor(np.asarray(ds.y), dtype=torch.long)]
    return tuple(out)


def fc_net(d: int, width: int, depth: int, num_classes: int = 2, seed: int = 0):
    """Bias-free ReLU FC-width-depth network in float64 (section 4.3.1)."""
    import torch
    from netsim.models import build_model

    torch.manual_seed(seed)
    return build_model("mlp", (d,), num_classes, widths=(width,) * depth, bias=False).double()


def train(model, X, y, epochs: int, seed: int = 0, snapshots=SNAPSHOTS, batch_size: int = BATCH_SIZE) -> list:
    """Adam, batch ``batch_size`` (128), cosine 1e-3 -> 1e-5; returns deep copies of the model at
    ``snapshots`` (fractions of the total number of steps). Runs on one torch thread (the
    networks are tiny)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return _train(model, X, y, epochs, seed, snapshots, batch_size)
    finally:
        torch.set_num_threads(threads)


def _train(model, X, y, epochs, seed, snapshots, batch_size=BATCH_SIZE):
    import torch
    import torch.nn.functional as F

    n = X.shape[0]
    steps_per_epoch = math.ceil(n / batch_size)
    total = max(1, epochs * steps_per_epoch)
    opt = torch.optim.Adam(model.parameters(), lr=LR_START)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=total, eta_min=LR_END)
    marks = {int(round(f * total)) for f in snapshots}
    saved, step = {}, 0
    gen = torch.Generator().manual_seed(seed)
    if 0 in marks:
        saved[0] = copy.deepcopy(model)
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            opt.zero_grad()
            F.cross_entropy(model(X[idx]), y[idx]).backward()
            opt.step()
            sched.step()
            step += 1
            if step in marks:
                saved[step] = copy.deepcopy(model)
    return [saved[s] for s in sorted(marks)]


def error_and_loss(model, X, y) -> tuple[float, float]:
    """Training error e^ and loss in bits e~ (section 4.2)."""
    import torch
    import torch.nn.functional as F

    with torch.no_grad():
        z = model(X)
        return float((z.argmax(1) != y).double().mean()), float(F.cross_entropy(z, y)) / math.log(2)


def flat_weights(model) -> np.ndarray:
    return np.concatenate([p.detach().cpu().double().numpy().ravel() for p in model.parameters()])


# ---------------------------------------------------------------------------------------
# Curvature of one network (Figs. 4.1, 4.3; Theorem 4.3.1; Lemma 4.3.2)
# ---------------------------------------------------------------------------------------
def curvature_snapshot(model, X, y, dense: bool = True) -> dict:
    """Spectra and checks of one network on (X, y).

    Returns a dict with: ``activations``, ``activation_gradients`` (loss reading) and
    ``logit_jacobians`` (lists of eigenvalue arrays); with ``dense``: ``fim``, ``ef``,
    ``hessian`` (bits loss, signed), ``kfac`` (bits) eigenvalues and the Hessian / FIM / KFAC
    eigenvectors of the top :data:`TOP_K`; and the checks ``theorem`` (max ratios to the
    bounds of Theorem 4.3.1), ``lemma`` and ``corollary`` (max elementwise ratios), traces
    ``tr_fim`` and ``tr_logit_jacobian`` and the ``h_term`` E[sum_i |y_i - p_i|].
    """
    import torch

    n = X.shape[0]
    weights = C.layer_weights(model)
    acts = C.layer_activations(model, X)
    J = C.per_sample_logit_jacobian(model, X)  # (n, m, p)
    m = J.shape[1]
    with torch.no_grad():
        P = torch.softmax(model(X), 1).double().numpy()
    Lam = np.einsum("ni,ij->nij", P, np.eye(m)) - P[:, :, None] * P[:, None, :]
    tr_fim = float(np.einsum("nip,nij,njp->", J, Lam, J) / n)
    out = dict(activations=[C.correlation_eigenvalues(h) for h in acts],
               activation_gradients=[C.correlation_eigenvalues(g) for g in C.activation_gradients(model, X, y)],
               logit_jacobians=[C.correlation_eigenvalues(J[:, i]) for i in range(m)],
               tr_fim=tr_fim, tr_logit_jacobian=float(np.sum(J ** 2) / n),
               h_term=float(np.mean(np.abs(np.eye(m)[y.numpy()] - P).sum(1))))
    input_trace = float(np.sum(acts[0] ** 2) / n)
    out["theorem"] = dict(fim=tr_fim / C.trace_bound(weights, input_trace, constant=1.0),
                          gauss_newton=tr_fim / math.log(2) / C.trace_bound(weights, input_trace, constant=2.0))
    sizes = np.cumsum([0] + [w.size for w in weights])
    lemma = corollary = 0.0
    for k in range(len(weights)):
        sl = slice(sizes[k], sizes[k + 1])
        act = out["activations"][k][: weights[k].shape[1]]
        bound = C.spectral_dominance_bound(weights, act, k)
        for i in range(m):
            lemma = max(lemma, _max_ratio(C.correlation_eigenvalues(J[:, i, sl]), bound))
        block = gauss_newton(J[:, :, sl], Lam)
        corollary = max(corollary, _max_ratio(C.symmetric_eigh(block, eigenvectors=False)[::-1], bound * m))
    out["lemma"], out["corollary"] = lemma, corollary
    if dense:
        F_ = gauss_newton(J, Lam)
        H = chunked_hessian(model, X, y)
        K = C.curvature_operator(model, X, y, "kfac", bits=True)
        K = K @ np.eye(K.shape[1])
        G = C.per_sample_loss_gradients(model, X, y)
        out["ef"] = C.correlation_eigenvalues(G)
        for name, M in (("fim", F_), ("hessian", H), ("kfac", (K + K.T) / 2)):
            vals, vecs = C.symmetric_eigh(M)
            order = np.argsort(np.abs(vals) if name == "hessian" else vals)[::-1]
            out[name], out[name + "_vectors"] = vals[order], vecs[:, order[:TOP_K]]
    return out


def gauss_newton(J, Lam) -> np.ndarray:
    """(1/n) sum_k J_k^T Lam_k J_k for J (n, m, p) and Lam (n, m, m)."""
    n, m, p = J.shape
    return J.reshape(n * m, p).T @ np.einsum("nij,njq->niq", Lam, J).reshape(n * m, p) / n


def _max_ratio(lhs, rhs) -> float:
    """max_i lhs_i / rhs_i over the descending spectra (lhs zero-padded); inf if rhs_i = 0 < lhs_i."""
    lhs = np.sort(np.clip(np.asarray(lhs, float), 0, None))[::-1]
    rhs = np.asarray(rhs, float)[: lhs.size]
    lhs = lhs[: rhs.size]
    tol = 1e-12 * max(lhs.max(initial=0), 1e-300)
    lhs = np.where(lhs <= tol, 0.0, lhs)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(lhs == 0, 0.0, lhs / rhs)
    return float(np.max(r, initial=0.0))


def eigenvector_comparison(snap: dict, k: int = TOP_K, seed: int = 0) -> dict:
    """Fig. 4.3: KFAC vs Hessian eigenvalues and eigenvectors, FIM vs Hessian subspaces.

    Returns median |log10 lambda_KFAC / |lambda_H|| over the top k, mean |cos| of matched
    (same-rank) eigenvectors, the mean |cos| of k random unit vectors with the Hessian's, and
    the subspace overlap ||U_H^T U_F||_F^2 / k against its random expectation k / p.
    """
    H, K = np.abs(snap["hessian"][:k]), snap["kfac"][:k]
    UH, UK, UF = snap["hessian_vectors"][:, :k], snap["kfac_vectors"][:, :k], snap["fim_vectors"][:, :k]
    p = UH.shape[0]
    R = np.random.default_rng(seed).standard_normal((p, k))
    R /= np.linalg.norm(R, axis=0)
    overlap = float(np.sum((UH.T @ UF) ** 2) / k)
    return dict(eigenvalue_log10_error=float(np.median(np.abs(np.log10(K / H)))),
                kfac_cos=float(np.mean(np.abs(np.sum(UH * UK, axis=0)))),
                random_cos=float(np.mean(np.abs(np.sum(UH * R, axis=0)))),
                fim_hessian_overlap=overlap, random_overlap=k / p,
                overlap_vs_random=overlap / (k / p))


def network_study(X, y, width: int, depth: int, epochs: int, curvature_n: int | None, seed: int = 0,
                  dense: bool = True) -> dict:
    """Train a bias-free FC-width-depth network and take curvature snapshots at init, 50%, end."""
    model = fc_net(X.shape[1], width, depth, seed=seed)
    models = train(model, X, y, epochs, seed=seed)
    Xc, yc = (X, y) if curvature_n is None else (X[:curvature_n], y[:curvature_n])
    return dict(models=models, snapshots=[curvature_snapshot(m, Xc, yc, dense=dense) for m in models])


# ---------------------------------------------------------------------------------------
# PAC-Bayes, Method 1 (sections 4.3.3-4.4)
# ---------------------------------------------------------------------------------------
def chunked_hessian(model, X, y, chunk: int = HESSIAN_CHUNK) -> np.ndarray:
    """Dense Hessian of the mean bits loss, accumulated over chunks of ``chunk`` samples."""
    n = X.shape[0]
    return sum(C.dense_curvature(model, X[i:i + chunk], y[i:i + chunk], "hessian", bits=True)
               * (min(n, i + chunk) - i) / n for i in range(0, n, chunk))


def set_weights(model, w) -> None:
    import torch

    torch.nn.utils.vector_to_parameters(torch.as_tensor(w, dtype=torch.float64), model.parameters())


def posterior_errors(model, draws, X, y, Xtest, ytest) -> tuple[float, float, float]:
    """Monte Carlo e^(Q), e~(Q) (training error and bits loss) and test error of Q from
    ``draws`` (k, p) of weights for the architecture of ``model``."""
    net = copy.deepcopy(model)
    stats = []
    with C.single_thread():
        for v in draws:
            set_weights(net, v)
            stats.append(error_and_loss(net, X, y) + error_and_loss(net, Xtest, ytest)[:1])
    return tuple(float(v) for v in np.mean(stats, axis=0))


def method1(model, w0, X, y, Xtest, ytest, num_scales: int, mc_samples: int, seed: int = 0,
            hessian=None) -> dict:
    """Method 1: the analytical posterior at the trained weights, on the prior-scale grid.

    The grid point is chosen by the kl bound with the quadratic-model e~(Q) = e~(w) +
    (1/2) sum_i lambda_i / lbar_i (clipped to 1); at that eps the bound is reported in both
    forms with Monte Carlo e^(Q) and e~(Q) from ``mc_samples`` draws of Q. ``hessian``: the
    (bits) Hessian at w on (X, y), computed if not given.
    """
    n = X.shape[0]
    w = flat_weights(model)
    H = chunked_hessian(model, X, y) if hessian is None else hessian
    lam, U = C.symmetric_eigh(H)
    err_w, loss_w = error_and_loss(model, X, y)

    def quadratic(eps):
        post = PB.AnalyticalPosterior(lam, None, w, w0, n, eps)
        return min(1.0, loss_w + 0.5 * float(np.sum(post.eigenvalues / post.lbar))), post.kl

    best = PB.grid_bound(quadratic, n, num_scales=num_scales)
    post = PB.AnalyticalPosterior(lam, U, w, w0, n, best["eps"])
    eQ, lQ, testQ = posterior_errors(model, post.sample(mc_samples, np.random.default_rng(seed)),
                                     X, y, Xtest, ytest)
    r = C.effective_dimensionality(lam, n, best["eps"])
    ordered = np.sort(np.abs(lam))[::-1]
    pos = resolved(lam)
    s = C.strength_factor(lam, n, best["eps"])
    c = C.sloppy_factor(ordered, max(r, 1))
    dist = best["eps"] * float(np.sum((w - w0) ** 2))
    j = best["j"]
    return dict(n=n, p=w.size, eps=best["eps"], j=j, kl=post.kl,
                bound_kl_eQ=PB.pacbayes_bound(eQ, post.kl, n, j=j),
                bound_pinsker_eQ=PB.pacbayes_bound(eQ, post.kl, n, j=j, form="pinsker"),
                bound_kl_lossQ=PB.pacbayes_bound(min(1.0, lQ), post.kl, n, j=j),
                bound_pinsker_lossQ=PB.pacbayes_bound(lQ, post.kl, n, j=j, form="pinsker"),
                train_error_Q=eQ, train_loss_Q=lQ, test_error_Q=testQ,
                train_error_w=err_w, test_error_w=error_and_loss(model, Xtest, ytest)[0],
                p_eff=r, s=s, inv_c=1.0 / c if c > 0 else math.inf, eps_dist=dist,
                loose_bound=PB.loose_bound(s, c, dist, n) if c > 0 else math.inf,
                threshold=best["eps"] / (2 * (n - 1)),
                elbow_eigenvalue=float(pos[C.elbow_index(pos) - 1]),
                hessian_eigenvalues=lam[::-1])


# ---------------------------------------------------------------------------------------
# Random labels (Fig. 4.11) and flat versus decaying tails (C7)
# ---------------------------------------------------------------------------------------
def random_label_spectra(X, y, width: int, epochs: int, fractions=RANDOM_FRACTIONS, seed: int = 0) -> dict:
    """Empirical-FIM eigenvalues at the end of training FC-width-2 with a fraction of labels
    replaced by uniformly random ones (fixed per fraction by ``seed``)."""
    import torch

    out = {}
    for f in fractions:
        rng = np.random.default_rng(seed)
        yr = y.clone()
        idx = rng.choice(len(y), int(round(f * len(y))), replace=False)
        yr[idx] = torch.as_tensor(rng.integers(0, 2, idx.size), dtype=torch.long)
        model = train(fc_net(X.shape[1], width, 2, seed=seed), X, yr, epochs, seed=seed, snapshots=(1.0,))[0]
        out[f] = C.correlation_eigenvalues(C.per_sample_loss_gradients(model, X, yr))
    return out


def flat_versus_sloppy_fim(n: int, seed: int = 0) -> dict:
    """FIM eigenvalues of a width-10 two-hidden-layer student at initialisation on
    teacher-labelled Gaussian inputs with c = 0.001 (flat) and c = 0.1 (sloppy), d = 200."""
    import torch
    from netsim.data import load_dataset

    out = {}
    for c in FLAT["cs"]:
        ds = load_dataset("sloppy_gaussian", seed=seed, c=c, d=FLAT["d"], num_classes=FLAT["num_classes"],
                          n_train=n, n_test=10)
        X = torch.as_tensor(flat_inputs(ds))
        model = fc_net(FLAT["d"], FLAT["width"], 2, num_classes=FLAT["num_classes"], seed=seed)
        out[c] = C.fim_eigenvalues(model, X)
    return out


# ---------------------------------------------------------------------------------------
# Atypical problems (C8, and the trained students of C7)
# ---------------------------------------------------------------------------------------
def sweep_data(c: float, n: int, n_test: int, seed: int = 0):
    """C.4's atypical problem at sloppiness ``c``: Gaussian inputs in R^200 with
    lambda_i = 50c e^{-ci}, labelled by the random teacher 200 -> 20 -> 10 fixed by ``seed``;
    (Xtrain, ytrain, Xtest, ytest) tensors, inputs float32."""
    import torch
    from netsim.data import load_dataset

    out = []
    for split in ("train", "test"):
        ds = load_dataset("sloppy_gaussian", split, seed=seed, d=SWEEP["d"], c=c, hidden=SWEEP["teacher_hidden"],
                          num_classes=SWEEP["num_classes"], n_train=n, n_test=n_test)
        out += [torch.as_tensor(flat_inputs(ds), dtype=torch.float32),
                torch.as_tensor(np.asarray(ds.y), dtype=torch.long)]
    return tuple(out)


def student(width: int, seed: int = 0):
    """The sweep's student: ReLU FC 200 -> width -> 10 with biases, float32 (see :data:`SWEEP`)."""
    import torch
    from netsim.models import build_model

    torch.manual_seed(seed)
    return build_model("mlp", (SWEEP["d"],), SWEEP["num_classes"], widths=(width,), bias=True)


def atypical_sweep(n: int, n_test: int, epochs: int, widths=(10, 100, 500), seeds: int = 2, cs=None,
                   seed: int = 0, progress: bool = True) -> dict:
    """Students of each width trained on the atypical problem of each c (thesis sec. 4.4, C.4).

    Adam, batch 500, cosine 1e-3 -> 1e-5 for ``epochs`` epochs (the thesis trains "until they
    interpolate"; whether a student did is recorded, see :data:`INTERPOLATION_TOL`). The data
    (inputs and teacher) are fixed by ``seed``; student ``s`` of ``seeds`` has initialisation
    and batch order seed + s.

    Returns
    -------
    dict with ``table``: pandas.DataFrame, one row per (c, width, seed) with train_error,
    train_loss_bits, test_error, interpolated; ``models``: (c, width, seed) -> (student at
    initialisation, trained student); ``data``: c -> (Xtrain, ytrain, Xtest, ytest).
    """
    import pandas as pd
    from tqdm.auto import tqdm

    cs = SWEEP["cs"] if cs is None else tuple(cs)
    rows, models = [], {}
    jobs = [(c, w, seed + s) for c in cs for w in widths for s in range(seeds)]
    data = {}
    for c, w, s in tqdm(jobs, desc="atypical sweep", disable=not progress):
        if c not in data:
            data[c] = sweep_data(c, n, n_test, seed=seed)
        X, y, Xt, yt = data[c]
        init, end = train(student(w, seed=s), X, y, epochs, seed=s, snapshots=(0.0, 1.0),
                          batch_size=SWEEP["batch_size"])
        (e, l), (te, _) = error_and_loss(end, X, y), error_and_loss(end, Xt, yt)
        rows.append(dict(c=c, width=w, seed=s, train_error=e, train_loss_bits=l, test_error=te,
                         interpolated=e <= INTERPOLATION_TOL))
        models[(c, w, s)] = (init, end)
    return dict(table=pd.DataFrame(rows), models=models, data=data)


def rank_correlation(x, y) -> float:
    """Spearman's rank correlation (average ranks for ties); 0 when either side is constant."""
    from scipy.stats import rankdata

    rx, ry = rankdata(np.asarray(x, float)), rankdata(np.asarray(y, float))
    if rx.size != ry.size or rx.size < 2:
        raise ValueError(f"x and y must have the same length >= 2; got {rx.size} and {ry.size}")
    if np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return 0.0
    return float(np.corrcoef(rx, ry)[0, 1])


def sweep_measures(table) -> dict:
    """The four measured parts of C8 from :func:`atypical_sweep`'s table (test errors averaged over seeds).

    - fraction of students with training error <= :data:`INTERPOLATION_TOL`;
    - the largest (worst) over widths of Spearman(c, test error): -1 when sloppier is always better;
    - the mean over c of Spearman(width, test error): -1 when wider is always better;
    - |test error of the narrowest - widest student| at the largest c.
    """
    mean = table.groupby(["c", "width"]).test_error.mean().unstack("width")  # rows c, columns width
    widths, cs = list(mean.columns), list(mean.index)
    return {f"fraction of students with training error <= {INTERPOLATION_TOL:g}": float(table.interpolated.mean()),
            "Spearman(c, test error), worst width": max(rank_correlation(cs, mean[w]) for w in widths),
            "Spearman(width, test error), mean over c": float(np.mean([rank_correlation(widths, mean.loc[c])
                                                                        for c in cs])),
            "|test error narrowest - widest| at the sloppiest c": float(abs(mean.loc[max(cs), min(widths)]
                                                                           - mean.loc[max(cs), max(widths)]))}


def sweep_fim(sweep: dict, n: int, width: int = FLAT["width"], cs=FLAT["cs"], seed: int = 0) -> dict:
    """FIM eigenvalues (descending) of the sweep's width-``width`` student ``seed`` at initialisation
    and at the end, on the first ``n`` training samples: (c, "init" | "end") -> array (p,)."""
    import torch

    out = {}
    for c in cs:
        X = sweep["data"][c][0][:n].to(torch.float64)
        for when, model in zip(("init", "end"), sweep["models"][(c, width, seed)]):
            with C.single_thread():
                out[(c, when)] = C.fim_eigenvalues(copy.deepcopy(model).double(), X)
    return out


# ---------------------------------------------------------------------------------------
# PAC-Bayes proposals (not thesis results): FIM-shaped prior, optimised diagonal posterior
# ---------------------------------------------------------------------------------------
def fim_prior_method(model, init_model, X, y, Xtest, ytest, Xprior, num_scales: int, mc_samples: int,
                     hessian, seed: int = 0, mix: float = PRIOR_MIX) -> dict:
    """[PROPOSAL] Method 1 with the FIM-shaped prior of :class:`netsim.pacbayes.FIMPriorPosterior`.

    The diagonal FIM at the initialisation ``init_model`` is evaluated on the inputs ``Xprior``
    (no labels needed; they must not be training samples); eps is chosen on the grid with the
    quadratic-model e~(Q) as in :func:`method1`, and the bound is reported with Monte Carlo e^(Q).
    """
    n = X.shape[0]
    w, w0 = flat_weights(model), flat_weights(init_model)
    f = C.fim_diagonal(init_model, Xprior)
    post = PB.FIMPriorPosterior(hessian, f, w, w0, n, mix=mix)
    err_w, loss_w = error_and_loss(model, X, y)
    best = PB.grid_bound(lambda eps: (min(1.0, loss_w + post.quadratic_term(eps)), post.kl(eps)), n,
                         num_scales=num_scales)
    eQ, lQ, testQ = posterior_errors(model, post.sample(best["eps"], mc_samples, np.random.default_rng(seed)),
                                     X, y, Xtest, ytest)
    kl = post.kl(best["eps"])
    return dict(n=n, p=w.size, eps=best["eps"], j=best["j"], kl=kl,
                bound_kl_eQ=PB.pacbayes_bound(eQ, kl, n, j=best["j"]),
                bound_pinsker_eQ=PB.pacbayes_bound(eQ, kl, n, j=best["j"], form="pinsker"),
                train_error_Q=eQ, train_loss_Q=lQ, test_error_Q=testQ,
                train_error_w=err_w, test_error_w=error_and_loss(model, Xtest, ytest)[0],
                prior_shape_max=float(post.shape.max()))


def optimised_posterior_method(model, init_model, X, y, Xtest, ytest, method1_result: dict, hessian,
                               steps: int, mc_samples: int, seed: int = 0) -> dict:
    """[PROPOSAL] Dziugaite-Roy: a diagonal Gaussian posterior optimised against the bound.

    Initialised at Method 1's solution made diagonal (mean w, variances diag S_q at Method 1's
    eps); :func:`netsim.pacbayes.optimise_diagonal_posterior` runs ``steps`` Adam steps; both the
    initial and the optimised posterior are evaluated with Monte Carlo e^(Q) and the
    kl-inverse bound at their grid point. Keys ``*_init`` describe the initialisation.
    """
    n = X.shape[0]
    w0 = flat_weights(init_model)
    lam, U = C.symmetric_eigh(hessian)
    m1 = PB.AnalyticalPosterior(lam, U, flat_weights(model), w0, n, method1_result["eps"])
    var0 = np.einsum("ij,j,ij->i", U, 1.0 / m1.lbar - 1.0 / m1.eps, U) + 1.0 / m1.eps  # diag of S_q
    initial, final, history = PB.optimise_diagonal_posterior(model, X, y, w0, var0, m1.eps, steps=steps,
                                                             seed=seed)
    out = dict(n=n, p=w0.size)
    for tag, post in (("", final), ("_init", initial)):
        eQ, lQ, testQ = posterior_errors(model, post.sample(mc_samples, np.random.default_rng(seed)),
                                         X, y, Xtest, ytest)
        out.update({f"eps{tag}": post.eps, f"j{tag}": post.j, f"kl{tag}": post.kl,
                    f"bound_kl_eQ{tag}": PB.pacbayes_bound(eQ, post.kl, n, j=post.j),
                    f"bound_pinsker_eQ{tag}": PB.pacbayes_bound(eQ, post.kl, n, j=post.j, form="pinsker"),
                    f"train_error_Q{tag}": eQ, f"train_loss_Q{tag}": lQ, f"test_error_Q{tag}": testQ})
    out["surrogate_first"], out["surrogate_last"] = (float(history[0]), float(history[-1])) if steps else (math.nan,) * 2
    return out
