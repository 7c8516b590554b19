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
import functools
import math

import numpy as np

from netsim import pacbayes as PB
from netsim.claims import ClaimRegistry, Estimate, Measured  # noqa: F401 (Measured: used by the notebook)
from netsim.studies.sloppiness.claims import BOUND, DECLARATIONS, EXACT  # noqa: F401
from netsim.uncertainty import bootstrap, null_range, spread
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
REAL_DATA = ("mnist1d", "digits", "sprites", "image_patches")
# C8: the atypical-problem sweep of C.4 (teacher 200 -> 20 -> 10, b = 50 c). [NG] students have one
# hidden layer ("two-layer", as the teacher) and biases (the teacher's labels carry class offsets
# from the balancing of netsim.datasets.gaussian, which a bias-free ReLU network cannot represent).
SWEEP = dict(cs=(0.001, 0.01, 0.1, 0.5), d=200, teacher_hidden=20, num_classes=10, batch_size=500)
INTERPOLATION_TOL = 0.01             # [NG] "interpolates": training error <= 1%
PRIOR_MIX = 1.0                      # proposal: prior variance multipliers 1 + mix * f / mean(f)

PROFILE = {
    "smoke": dict(width=8, epochs=3, curvature_n=150, synth_n=1000, synth_test=500, synth_epochs=3,
                  mc_samples=50, num_scales=60, random_epochs=2, spectra_n=500, flat_n=300,
                  sweep_n=300, sweep_test=200, sweep_epochs=2, sweep_widths=(10, 40), sweep_seeds=1,
                  dr_steps=10, prior_n=100, sweep_processes=1, seed=0),
    "book": dict(width=40, epochs=100, curvature_n=None, synth_n=20000, synth_test=5000, synth_epochs=30,
                 mc_samples=1000, num_scales=100, random_epochs=100, spectra_n=5000, flat_n=1000,
                 sweep_n=5000, sweep_test=2000, sweep_epochs=200, sweep_widths=(10, 100, 500), sweep_seeds=2,
                 dr_steps=2000, prior_n=2000, sweep_processes=2, seed=0),
    "paper": dict(width=40, epochs=100, curvature_n=None, synth_n=20000, synth_test=10000, synth_epochs=50,
                  mc_samples=1000, num_scales=100, random_epochs=200, spectra_n=20000, flat_n=2000,
                  sweep_n=50000, sweep_test=10000, sweep_epochs=100, sweep_widths=(10, 100, 500), sweep_seeds=2,
                  dr_steps=20000, prior_n=5000, sweep_processes=2, seed=0),
}


# ---------------------------------------------------------------------------------------
# Claims (declared in .claims)
# ---------------------------------------------------------------------------------------
def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims` (claims C1-C11, checks)."""
    return ClaimRegistry("sloppiness", DECLARATIONS, strict=True)


declare_claims = registry  # the name of the first version


def resolved(eigenvalues) -> np.ndarray:
    """|eigenvalues| sorted descending, without the numerical zeros (below RESOLUTION x the largest)."""
    lam = np.sort(np.abs(np.asarray(eigenvalues, float)))[::-1]
    return lam[lam > RESOLUTION * lam[0]] if lam.size and lam[0] > 0 else lam[:0]


def resolved_decades(eigenvalues, stop: int | None = SPAN) -> float:
    """Decades spanned by the top ``stop`` *non-zero* eigenvalues (thesis Def. 4.4.3): log10 of the
    largest over the smallest resolved one among them; NaN when fewer than 2 are resolved (a
    spectrum of rank 1 has no spread, so it is neither sloppy nor not)."""
    lam = resolved(eigenvalues)
    if lam.size < 2:
        return math.nan
    return float(np.log10(lam[0] / lam[min(lam.size, stop or lam.size) - 1]))


def correlation_rows(F) -> np.ndarray:
    """Per-sample factor rows (n, r, q) or (n, q) -> (n, r * q)-free form (n, r, q) float64."""
    F = np.asarray(F, dtype=float)
    if F.ndim == 2:
        F = F[:, None, :]
    if F.ndim != 3 or F.shape[0] < 2:
        raise ValueError(f"F must have shape (n, q) or (n, r, q) with n >= 2; got {np.shape(F)}")
    return F


class ResampledSpectrum:
    """Eigenvalues of (1/n) sum_k w_k F_k^T F_k for per-sample factors F (n, r, q) under integer
    resampling weights w (n,). Small q: the (q, q) matrix per resample; otherwise the (n r, n r)
    Gram matrix F F^T is formed once and each resample only rescales it (same non-zero eigenvalues)."""

    def __init__(self, F, small: int = 200):
        F = correlation_rows(F)
        self.n, self.r, self.q = F.shape
        self.R = F.reshape(self.n * self.r, self.q)
        self.gram = None if self.q <= small else self.R @ self.R.T

    def __call__(self, weights) -> np.ndarray:
        w = np.repeat(np.sqrt(np.asarray(weights, float) / self.n), self.r)
        if self.gram is None:
            R = self.R * w[:, None]
            M = R.T @ R
        else:
            M = w[:, None] * self.gram * w[None, :]
        return np.linalg.eigvalsh((M + M.T) / 2)[::-1]


def resampled_eigenvalues(F, weights) -> np.ndarray:
    """Eigenvalues of (1/n) sum_k w_k F_k^T F_k (see :class:`ResampledSpectrum`), descending."""
    return ResampledSpectrum(F)(weights)


def bootstrap_decades(factors: dict, n_resamples: int = 20, seed: int = 0, stop: int | None = SPAN) -> Estimate:
    """Percentile bootstrap over samples of min over ``factors`` (name -> per-sample factor (n, r, q),
    the same n samples) of :func:`resolved_decades` of their correlation spectra."""
    spectra = [ResampledSpectrum(F) for F in factors.values()]
    n = spectra[0].n

    def stat(idx):
        w = np.bincount(idx, minlength=n)
        return float(np.nanmin([resolved_decades(sp(w), stop) for sp in spectra]))

    return bootstrap(stat, n, unit="training samples", n_resamples=n_resamples, seed=seed)


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


def real_inputs(n: int) -> dict:
    """The real data sets' inputs (at most ``n`` samples each, digits without constant pixels)."""
    from netsim.data import load_dataset

    out = {}
    for name in REAL_DATA:
        X = flat_inputs(load_dataset(name))[:n]
        out[name] = X[:, X.std(axis=0) > 0] if name == "digits" else X
    return out


def c1_measure(inputs: dict, n_resamples: int = 100, seed: int = 0) -> tuple[Estimate, float]:
    """C1: min over data sets of the resolved decades of E[xx^T], with a percentile bootstrap over
    each data set's samples (resampled independently), and the null: the largest resolved decades of
    the sample spectrum of isotropic Gaussian inputs with each data set's n and d."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    point = min(resolved_decades(C.correlation_eigenvalues(X)) for X in inputs.values())
    values = []
    with threadpool_limits(1):
        values = _c1_resamples(inputs, n_resamples, rng)
    return _c1_result(inputs, point, values, n_resamples, rng)


def _c1_resamples(inputs, n_resamples, rng):
    values = []
    for _ in range(n_resamples):
        values.append(min(resolved_decades(np.linalg.eigvalsh(X.T @ (X * w[:, None]) / len(X)))
                          for X in inputs.values() for w in [np.bincount(rng.integers(0, len(X), len(X)),
                                                                         minlength=len(X)).astype(float)]))
    return values


def _c1_result(inputs, point, values, n_resamples, rng):
    low, high = np.quantile(values, [0.025, 0.975])
    est = Estimate(point, min(low, point), max(high, point),
                   f"95% bootstrap over each data set's samples, {n_resamples} resamples")
    null = max(resolved_decades(C.correlation_eigenvalues(rng.standard_normal(X.shape))) for X in inputs.values())
    return est, null


def spectrum_summary(spectra: dict) -> "object":
    """Per spectrum: size, decades over the top :data:`SPAN`, tail slope after the elbow."""
    import pandas as pd

    rows = []
    for name, lam in spectra.items():
        lam = resolved(lam)
        elbow = C.elbow_index(lam)
        rows.append(dict(spectrum=name, size=lam.size, decades=resolved_decades(lam), elbow=elbow,
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
def curvature_snapshot(model, X, y, dense: bool = True, vectors: bool = True) -> dict:
    """Spectra and checks of one network on (X, y).

    Returns a dict with: ``activations``, ``activation_gradients`` (loss reading) and
    ``logit_jacobians`` (lists of eigenvalue arrays); with ``dense``: ``fim``, ``ef``,
    ``hessian`` (bits loss, signed) eigenvalues and, with ``vectors``, the ``kfac`` (bits)
    eigenvalues and the Hessian / FIM / KFAC eigenvectors of the top :data:`TOP_K`; and the checks ``theorem`` (max ratios to the
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
    fim_k = np.einsum("nip,nij,njp->n", J, Lam, J)          # per-sample contributions to tr F
    jac_k = np.sum(J ** 2, axis=(1, 2))                      # ... to the logit-Jacobian trace
    tr_fim = float(fim_k.mean())
    h_k = np.abs(np.eye(m)[y.numpy()] - P).sum(1)
    out = dict(activations=[C.correlation_eigenvalues(h) for h in acts],
               activation_gradients=[C.correlation_eigenvalues(g) for g in C.activation_gradients(model, X, y)],
               logit_jacobians=[C.correlation_eigenvalues(J[:, i]) for i in range(m)],
               tr_fim=tr_fim, tr_logit_jacobian=float(jac_k.mean()), h_term=float(h_k.mean()),
               per_sample=dict(tr_fim=fim_k, tr_logit_jacobian=jac_k, h_term=h_k),
               remark=tr_fim / float(np.mean((1 - np.sum(P ** 2, 1)) * jac_k)) if np.any(jac_k) else 0.0)
    input_trace = float(np.sum(acts[0] ** 2) / n)
    # C.trace_bound carries the factor m: constant 1/m is the factor-1 bound derived in the chapter.
    out["theorem"] = dict(fim=tr_fim / C.trace_bound(weights, input_trace, constant=1.0 / m),
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
        corollary = max(corollary, _max_ratio(C.symmetric_eigh(block, eigenvectors=False)[::-1], bound))
    # factor 1 (derived here); the stated factor 2m divides the same ratio by 2m
    out["lemma"], out["corollary"], out["corollary_stated"] = lemma, corollary, corollary / (2 * m)
    if dense:
        F_ = gauss_newton(J, Lam)
        H = chunked_hessian(model, X, y)
        G = C.per_sample_loss_gradients(model, X, y)
        out["ef"] = C.correlation_eigenvalues(G)
        matrices = [("fim", F_), ("hessian", H)]
        if vectors:  # KFAC and the eigenvectors serve Fig. 4.3 (C6) only
            K = C.curvature_operator(model, X, y, "kfac", bits=True)
            K = K @ np.eye(K.shape[1])
            matrices.append(("kfac", (K + K.T) / 2))
        for name, M in matrices:
            if vectors:
                vals, vecs = C.symmetric_eigh(M)
            else:
                vals, vecs = C.symmetric_eigh(M, eigenvectors=False), None
            order = np.argsort(np.abs(vals) if name == "hessian" else vals)[::-1]
            out[name] = vals[order]
            if vectors:
                out[name + "_vectors"] = vecs[:, order[:TOP_K]]
    return out


#: Spectra of :func:`curvature_snapshot` that C2 scores: everything but the inputs (C1's subject).
C2_KINDS = ("activations", "activation_gradients", "logit_jacobians", "fim", "ef", "hessian")
C2_RESAMPLED = 2      # C2's bootstrap resamples the spectra with the fewest decades (the rest are fixed)
C2_RESAMPLES = 20     # bootstrap resamples of C2 and C11 (each one a set of eigendecompositions)
HESSIAN_BOOT_CHUNKS = 10  # C2: the Hessian, when it has the fewest decades, is resampled by chunks of samples


def spectrum_entries(runs: dict) -> list[dict]:
    """Every spectrum C2 scores: network, snapshot, kind, index, eigenvalues and resolved decades.

    ``runs``: name -> :func:`network_study` result. Hidden activations only (``activations[0]`` is
    the input); a spectrum with fewer than 2 non-zero eigenvalues gets decades NaN (not scored)."""
    rows = []
    for name, run in runs.items():
        for t, snap in enumerate(run["snapshots"]):
            for kind in C2_KINDS:
                if kind not in snap:
                    continue
                values = snap[kind] if isinstance(snap[kind], list) else [snap[kind]]
                for index, lam in enumerate(values):
                    if kind == "activations" and index == 0:
                        continue
                    rows.append(dict(network=name, snapshot=t, kind=kind, index=index,
                                     resolved=int(resolved(lam).size), decades=resolved_decades(lam),
                                     raw_decades=decades(lam), eigenvalues=lam))
    return rows


def spectrum_factor(model, X, y, kind: str, index: int = 0):
    """Per-sample factor F (n, r, q) whose (1/n) sum_k F_k^T F_k is the named spectrum's matrix
    (None for the Hessian, whose H-term is not a correlation)."""
    import torch

    if kind == "activations":
        return C.layer_activations(model, X)[index]
    if kind == "activation_gradients":
        return C.activation_gradients(model, X, y)[index]
    if kind == "logit_jacobians":
        return C.per_sample_logit_jacobian(model, X)[:, index]
    if kind == "ef":
        return C.per_sample_loss_gradients(model, X, y)
    if kind == "fim":
        J = C.per_sample_logit_jacobian(model, X)
        with torch.no_grad():
            P = torch.softmax(model(X), 1).double().numpy()
        Lam = np.einsum("ni,ij->nij", P, np.eye(P.shape[1])) - P[:, :, None] * P[:, None, :]
        e, V = np.linalg.eigh(Lam)
        return np.einsum("nr,nir,nip->nrp", np.sqrt(np.clip(e, 0, None)), V, J)
    if kind == "hessian":
        return None
    raise ValueError(f"kind must be one of {C2_KINDS}; got {kind!r}")


def c2_measure(runs: dict, X, y, n_resamples: int = C2_RESAMPLES, seed: int = 0) -> tuple:
    """C2: min resolved decades over :func:`spectrum_entries`, with a bootstrap over training samples
    of the :data:`C2_RESAMPLED` resamplable spectra with the fewest decades (the others enter with
    their point values). When a Hessian has the fewest decades, the bootstrap is over
    :data:`HESSIAN_BOOT_CHUNKS` chunks of samples (a cluster bootstrap), the Hessian recomputed from
    its chunks' Hessians. Returns (Estimate, entries table, note)."""
    import pandas as pd

    entries = spectrum_entries(runs)
    table = pd.DataFrame([{k: v for k, v in e.items() if k != "eigenvalues"} for e in entries])
    scored = [e for e in entries if not math.isnan(e["decades"])]
    order = sorted(scored, key=lambda e: e["decades"])
    chosen = [e for e in order if e["kind"] != "hessian"][:C2_RESAMPLED]
    chosen_ids = {id(e) for e in chosen}
    fixed = min((e["decades"] for e in scored if id(e) not in chosen_ids), default=math.inf)
    spectra = [ResampledSpectrum(spectrum_factor(runs[e["network"]]["models"][e["snapshot"]], X, y, e["kind"],
                                                 e["index"])) for e in chosen]
    n = X.shape[0]
    lowest = order[0]
    hessian = None
    if lowest["kind"] == "hessian":  # resampled by chunks of samples (its H-term is not a correlation)
        fixed = min((e["decades"] for e in scored if id(e) not in chosen_ids and e is not lowest), default=math.inf)
        size = math.ceil(n / HESSIAN_BOOT_CHUNKS)
        model = runs[lowest["network"]]["models"][lowest["snapshot"]]
        hessian = chunked_hessian(model, X, y, chunk=size, parts=True)

    def weights_of(idx):  # sample weights; with the Hessian, idx are chunks (a cluster bootstrap)
        if hessian is None:
            return np.bincount(idx, minlength=n), None
        cw = np.bincount(idx, minlength=len(hessian)).astype(float)
        return np.repeat(cw, [k for _, k in hessian]), cw

    def stat(idx):
        w, cw = weights_of(idx)
        values = [resolved_decades(sp(w)) for sp in spectra]
        if cw is not None:
            H = sum(c * Hc * k for c, (Hc, k) in zip(cw, hessian) if c) / sum(c * k for c, (_, k) in zip(cw, hessian))
            values.append(resolved_decades(C.symmetric_eigh(H, eigenvectors=False)))
        return float(min(np.nanmin(values), fixed))

    units = n if hessian is None else len(hessian)
    unit = "training samples" if hessian is None else f"chunks of {size} training samples (cluster bootstrap)"
    resamples = n_resamples if hessian is None else max(10, n_resamples // 2)  # each Hessian resample: one eigh
    est = bootstrap(stat, units, unit=unit, n_resamples=resamples, seed=seed)
    what = f"the {len(chosen)} resamplable spectra with the fewest decades resampled"
    if hessian is not None:
        what += ", and the Hessian, the minimum, from its chunks' Hessians"
    est = Estimate(float(lowest["decades"]), min(est.low, lowest["decades"]), max(est.high, lowest["decades"]),
                   est.method + f" ({what}; the others at their point values)")
    excluded = table[table.decades.isna()]
    low = order[0]
    note = (f"{len(scored)} spectra scored, smallest: {low['network']} {low['kind']} {low['index']} at snapshot "
            f"{low['snapshot']}; {len(excluded)} with fewer than 2 non-zero eigenvalues not scored "
            f"({', '.join(sorted(set(excluded.kind + ' ' + excluded['index'].astype(str))))})")
    return est, table, note


def isotropic_like(X, seed: int = 0):
    """Gaussian inputs with identity covariance and X's shape, scaled to X's mean squared norm (a torch tensor)."""
    import torch

    rng = np.random.default_rng(seed)
    Z = rng.standard_normal(tuple(X.shape))
    Z *= math.sqrt(float((X.double() ** 2).sum(1).mean()) / X.shape[1])
    return torch.as_tensor(Z, dtype=X.dtype)


def c2_null(runs: dict, X, seed: int = 0) -> float:
    """C2's null: the same networks and snapshots on isotropic inputs (labels = their predictions);
    min resolved decades over the per-sample spectra (hidden activations, activation gradients,
    logit Jacobians)."""
    import torch

    Z = isotropic_like(X, seed)
    values = []
    for run in runs.values():
        for model in run["models"]:
            with torch.no_grad():
                yz = model(Z).argmax(1)
            J = C.per_sample_logit_jacobian(model, Z)
            spectra = ([C.correlation_eigenvalues(h) for h in C.layer_activations(model, Z)[1:]]
                       + [C.correlation_eigenvalues(g) for g in C.activation_gradients(model, Z, yz)]
                       + [C.correlation_eigenvalues(J[:, i]) for i in range(J.shape[1])])
            values += [resolved_decades(lam) for lam in spectra]
    return float(np.nanmin(values))


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


def eigenvector_comparison(snap: dict, k: int = TOP_K, seed: int = 0, rotations: int = 20) -> dict:
    """Fig. 4.3 and C6: KFAC vs Hessian eigenvalues and eigenvectors, FIM vs Hessian subspaces.

    Per index i of the top k: |log10 lambda_KFAC,i / |lambda_H,i||, |cos| of the matched KFAC and
    Hessian eigenvectors and o_i = ||U_F^T u_H,i||^2 (the share of the i-th Hessian eigenvector in the
    FIM's top-k subspace; their mean is the subspace overlap ||U_H^T U_F||_F^2 / k). Each statistic
    comes as an :class:`Estimate` with a bootstrap over the k indices. Nulls: a flat spectrum with the
    mean of the Hessian's top k (eigenvalue part), and the FIM's spectrum with Haar-random eigenvectors
    (overlap part, ``rotations`` draws).
    """
    H, K = np.abs(snap["hessian"][:k]), snap["kfac"][:k]
    UH, UK, UF = snap["hessian_vectors"][:, :k], snap["kfac_vectors"][:, :k], snap["fim_vectors"][:, :k]
    p = UH.shape[0]
    log_err = np.abs(np.log10(K / H))
    cos = np.abs(np.sum(UH * UK, axis=0))
    share = np.sum((UF.T @ UH) ** 2, axis=0)
    rng = np.random.default_rng(seed)
    random_overlaps = []
    for _ in range(rotations):
        Q, _ = np.linalg.qr(rng.standard_normal((p, k)))
        random_overlaps.append(float(np.sum((Q.T @ UH) ** 2) / k))
    R = rng.standard_normal((p, k))
    R /= np.linalg.norm(R, axis=0)

    def boot(values, how):
        f = np.median if how == "median" else np.mean
        return bootstrap(lambda idx: float(f(values[idx])), k, unit="top eigen-directions", n_resamples=200,
                         seed=seed)

    return dict(eigenvalue_log10_error=boot(log_err, "median"), kfac_cos=boot(cos, "mean"),
                fim_hessian_overlap=boot(share, "mean"),
                eigenvalue_null=float(np.median(np.abs(np.log10(H.mean() / H)))),
                overlap_null=null_range(random_overlaps, unit="random rotations"),
                random_cos=float(np.mean(np.abs(np.sum(UH * R, axis=0)))), random_overlap=k / p,
                per_index=dict(log10_error=log_err, kfac_cos=cos, fim_share=share))


def network_study(X, y, width: int, depth: int, epochs: int, curvature_n: int | None, seed: int = 0,
                  dense: bool = True) -> dict:
    """Train a bias-free FC-width-depth network and take curvature snapshots at init, 50%, end."""
    model = fc_net(X.shape[1], width, depth, seed=seed)
    models = train(model, X, y, epochs, seed=seed)
    Xc, yc = (X, y) if curvature_n is None else (X[:curvature_n], y[:curvature_n])
    last = len(models) - 1  # KFAC and eigenvectors at the end only (the figures and C6 use no others)
    return dict(models=models, snapshots=[curvature_snapshot(m, Xc, yc, dense=dense, vectors=t == last)
                                          for t, m in enumerate(models)])


# ---------------------------------------------------------------------------------------
# PAC-Bayes, Method 1 (sections 4.3.3-4.4)
# ---------------------------------------------------------------------------------------
def chunked_hessian(model, X, y, chunk: int = HESSIAN_CHUNK, parts: bool = False):
    """Dense Hessian of the mean bits loss, accumulated over chunks of ``chunk`` samples; with
    ``parts`` the list of (chunk Hessian, chunk size) instead of their weighted mean."""
    n = X.shape[0]
    pieces = [(C.dense_curvature(model, X[i:i + chunk], y[i:i + chunk], "hessian", bits=True), min(n, i + chunk) - i)
              for i in range(0, n, chunk)]
    return pieces if parts else sum(H * size / n for H, size in pieces)


def c10_statistics(eigenvalues, n: int, eps: float, eps_dist: float) -> list[float]:
    """C10's two statistics of a Hessian spectrum at prior precision eps: |log10 threshold / elbow
    eigenvalue| and max(s, 1/c, eps ||w - w0||^2) / n (Def. 4.4.3 on the non-zero eigenvalues)."""
    lam = np.asarray(eigenvalues, float)
    pos = resolved(lam)
    elbow = float(pos[C.elbow_index(pos) - 1])
    r = C.effective_dimensionality(lam, n, eps)
    c = C.sloppy_factor(np.sort(np.abs(lam))[::-1], max(r, 1))
    inv_c = 1.0 / c if c > 0 else math.inf
    threshold = eps / (2 * (n - 1))
    return [min(1e300, abs(math.log10(threshold / elbow))) if elbow > 0 else 1e300,
            min(1e300, max(C.strength_factor(lam, n, eps), inv_c, eps_dist) / n)]


def c10_measure(pieces, n: int, eps: float, eps_dist: float, n_resamples: int = 10, seed: int = 0) -> list:
    """C10's statistics with a bootstrap over the Hessian's chunks (eps and ||w - w0|| fixed)."""
    Hs = [H for H, _ in pieces]
    sizes = np.array([size for _, size in pieces], float)
    if len(Hs) < 2:
        lam = C.symmetric_eigh(Hs[0], eigenvectors=False)
        return [Estimate(v, v, v, "one chunk: no interval") for v in c10_statistics(lam, n, eps, eps_dist)]

    def stat(idx):
        w = np.bincount(idx, minlength=len(Hs)) * sizes
        H = sum(wk * Hk for wk, Hk in zip(w, Hs) if wk) / w.sum()
        return c10_statistics(C.symmetric_eigh(H, eigenvectors=False), n, eps, eps_dist)

    out = bootstrap(stat, len(Hs), unit=f"chunks of {HESSIAN_CHUNK} training samples", n_resamples=n_resamples,
                    seed=seed)
    return [Estimate(min(e.value, 1e300), min(e.low, 1e300), min(e.high, 1e300), e.method) for e in out]


def c10_null(eigenvalues, n: int, eps: float, eps_dist: float) -> float:
    """C10's null for its second part: an isotropic spectrum with the Hessian's trace (clipped at 0)."""
    lam = np.clip(np.asarray(eigenvalues, float), 0, None)
    flat = np.full(lam.size, lam.sum() / lam.size)
    r = C.effective_dimensionality(flat, n, eps)
    c = C.sloppy_factor(flat, max(r, 1))
    return min(1e300, max(C.strength_factor(flat, n, eps), 1.0 / c if c > 0 else math.inf, eps_dist) / n)


def set_weights(model, w) -> None:
    import torch

    torch.nn.utils.vector_to_parameters(torch.as_tensor(w, dtype=torch.float64), model.parameters())


def draw_errors(model, draws, X, y, chunk: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Error and bits loss of the network ``model`` at each row of ``draws`` (k, p) on (X, y):
    two arrays (k,), computed ``chunk`` draws at a time (vmap over the parameters)."""
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call, vmap

    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [int(np.prod(sh)) for sh in shapes]
    draws = np.asarray(draws, dtype=float)
    if draws.ndim != 2 or draws.shape[1] != sum(sizes):
        raise ValueError(f"draws must have shape (k, {sum(sizes)}); got {draws.shape}")
    dtype = torch.float32  # [NG] draws are evaluated in float32 (twice as fast; a 0/1 error changes only at ties)
    model = copy.deepcopy(model).to(dtype)
    X = X.to(dtype)

    def logits(pars):
        return functional_call(model, pars, (X,))

    errs, losses = [], []
    with C.single_thread(), torch.no_grad():
        for i in range(0, len(draws), chunk):
            V = torch.as_tensor(draws[i:i + chunk], dtype=dtype)
            pars = {k: v.reshape(len(V), *sh) for k, v, sh in zip(names, torch.split(V, sizes, dim=1), shapes)}
            Z = vmap(logits)(pars)  # (b, n, m)
            errs.append((Z.argmax(-1) != y).double().mean(1).numpy())
            ce = F.cross_entropy(Z.reshape(-1, Z.shape[-1]), y.repeat(len(V)), reduction="none")
            losses.append(ce.reshape(len(V), -1).double().mean(1).numpy() / math.log(2))
    return np.concatenate(errs), np.concatenate(losses)


def posterior_evaluation(model, draws, X, y, Xtest, ytest, kl: float, n: int, j: int) -> dict:
    """Monte Carlo evaluation of Q from ``draws`` (k, p): e^(Q), e~(Q), test error of Q, and the
    kl bound as an estimate and as a certificate (:func:`netsim.pacbayes.bound_report`), with the
    Pinsker and bits-loss forms as estimates."""
    err, loss = draw_errors(model, draws, X, y)
    test, _ = draw_errors(model, draws, Xtest, ytest)
    rep = PB.bound_report(err, kl, n, j=j)
    lossQ = float(loss.mean())
    return dict(draws=rep["draws"], train_error_Q=rep["mean"], train_error_Q_se=rep["se"],
                mc_upper_eQ=rep["mc_upper"], bound_kl_eQ=rep["estimate"], certified_kl_eQ=rep["certified"],
                bound_pinsker_eQ=PB.pacbayes_bound(rep["mean"], kl, n, j=j, form="pinsker"),
                bound_kl_lossQ=PB.pacbayes_bound(min(1.0, lossQ), kl, n, j=j),
                bound_pinsker_lossQ=PB.pacbayes_bound(lossQ, kl, n, j=j, form="pinsker"),
                train_loss_Q=lossQ, test_error_Q=float(test.mean()), test_error_Q_se=float(test.std(ddof=1) / math.sqrt(len(test))),
                delta=rep["delta"], delta_mc=rep["delta_mc"])


def bound_estimate(r: dict, tag: str = "") -> Estimate:
    """C9's measured value of a bound: the certificate, with the interval from the plug-in kl bound at
    e^(Q) - 1.96 SE up to the certificate."""
    low = PB.pacbayes_bound(max(0.0, r["train_error_Q" + tag] - 1.96 * r["train_error_Q_se" + tag]), r["kl" + tag],
                            r["n"], j=r["j" + tag])
    value = r["certified_kl_eQ" + tag]
    return Estimate(value, min(low, value), value, f"plug-in kl bound at e^(Q) - 1.96 SE up to the certificate "
                                                    f"({r['draws' + tag]} draws, delta_mc = {r['delta_mc' + tag]:g})")


def prior_null(model, w0, X, y, eps: float, j: int, draws: int, seed: int = 0) -> dict:
    """C9's null, Q = P = N(w0, eps^{-1} I): KL = 0, e^(P) from ``draws`` prior draws, certified."""
    rng = np.random.default_rng(seed + 7)
    W = w0 + rng.standard_normal((draws, w0.size)) / math.sqrt(eps)
    err, _ = draw_errors(model, W, X, y)
    return PB.bound_report(err, 0.0, X.shape[0], j=j)


def method1(model, w0, X, y, Xtest, ytest, num_scales: int, mc_samples: int, seed: int = 0,
            hessian=None) -> dict:
    """Method 1: the analytical posterior at the trained weights, on the prior-scale grid.

    The grid point is chosen by the kl bound with the quadratic-model e~(Q) = e~(w) +
    (1/2) sum_i lambda_i / lbar_i (clipped to 1); at that eps the bound is reported in both
    forms with Monte Carlo e^(Q) and e~(Q) from ``mc_samples`` draws of Q, the kl form also as a
    certificate (:func:`posterior_evaluation`). ``hessian``: the
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
    j = best["j"]
    mc = posterior_evaluation(model, post.sample(mc_samples, np.random.default_rng(seed)), X, y, Xtest, ytest,
                              post.kl, n, j)
    r = C.effective_dimensionality(lam, n, best["eps"])
    ordered = np.sort(np.abs(lam))[::-1]
    pos = resolved(lam)
    s = C.strength_factor(lam, n, best["eps"])
    c = C.sloppy_factor(ordered, max(r, 1))
    dist = best["eps"] * float(np.sum((w - w0) ** 2))
    return dict(n=n, p=w.size, eps=best["eps"], j=j, kl=post.kl, **mc,
                train_error_w=err_w, test_error_w=error_and_loss(model, Xtest, ytest)[0],
                p_eff=r, s=s, inv_c=1.0 / c if c > 0 else math.inf, eps_dist=dist,
                loose_bound=PB.loose_bound(s, c, dist, n) if c > 0 else math.inf,
                threshold=best["eps"] / (2 * (n - 1)),
                elbow_eigenvalue=float(pos[C.elbow_index(pos) - 1]),
                hessian_eigenvalues=lam[::-1])


# ---------------------------------------------------------------------------------------
# Random labels (Fig. 4.11) and flat versus decaying tails (C7)
# ---------------------------------------------------------------------------------------
def random_label_spectra(X, y, width: int, epochs: int, fractions=RANDOM_FRACTIONS, seed: int = 0,
                         keep_gradients: bool = False):
    """Empirical-FIM eigenvalues at the end of training FC-width-2 with a fraction of labels
    replaced by uniformly random ones (fixed per fraction by ``seed``); with ``keep_gradients``
    also the per-sample loss gradients (fraction -> (n, p)) for a bootstrap."""
    import torch

    out, gradients = {}, {}
    for f in fractions:
        rng = np.random.default_rng(seed)
        yr = y.clone()
        idx = rng.choice(len(y), int(round(f * len(y))), replace=False)
        yr[idx] = torch.as_tensor(rng.integers(0, 2, idx.size), dtype=torch.long)
        model = train(fc_net(X.shape[1], width, 2, seed=seed), X, yr, epochs, seed=seed, snapshots=(1.0,))[0]
        G = C.per_sample_loss_gradients(model, X, yr)
        out[f] = C.correlation_eigenvalues(G)
        if keep_gradients:
            gradients[f] = G
    return (out, gradients) if keep_gradients else out


def c11_statistics(lam0, lam1) -> list[float]:
    """C11's two statistics of two empirical-FIM spectra (0% and 100% random labels)."""
    return [float(lam1[0] / lam0[0]), resolved_decades(lam0) - resolved_decades(lam1)]


def c11_measure(gradients: dict, n_resamples: int = C2_RESAMPLES, seed: int = 0) -> list[Estimate]:
    """C11's statistics with a bootstrap over training samples (the same samples for both runs)."""
    S0, S1 = ResampledSpectrum(gradients[0.0]), ResampledSpectrum(gradients[1.0])
    n = S0.n

    def stat(idx):
        w = np.bincount(idx, minlength=n)
        return c11_statistics(S0(w), S1(w))

    return bootstrap(stat, n, unit="training samples", n_resamples=n_resamples, seed=seed)


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


@functools.lru_cache(maxsize=8)
def _sweep_data_cached(c: float, n: int, n_test: int, seed: int):
    return sweep_data(c, n, n_test, seed=seed)


def _sweep_student(c: float, w: int, s: int, n: int, n_test: int, epochs: int, seed: int):
    """One student of :func:`atypical_sweep` (a process-pool job): its row, models and test hits."""
    import torch

    X, y, Xt, yt = _sweep_data_cached(c, n, n_test, seed)
    init, end = train(student(w, seed=s), X, y, epochs, seed=s, snapshots=(0.0, 1.0),
                      batch_size=SWEEP["batch_size"])
    (e, l), (te, _) = error_and_loss(end, X, y), error_and_loss(end, Xt, yt)
    row = dict(c=c, width=w, seed=s, train_error=e, train_loss_bits=l, test_error=te,
               interpolated=e <= INTERPOLATION_TOL)
    with torch.no_grad():
        correct = (end(Xt).argmax(1) == yt).numpy()
    return row, init, end, correct


def atypical_sweep(n: int, n_test: int, epochs: int, widths=(10, 100, 500), seeds: int = 2, cs=None,
                   seed: int = 0, progress: bool = True, processes: int = 1) -> dict:
    """Students of each width trained on the atypical problem of each c (thesis sec. 4.4, C.4).

    Adam, batch 500, cosine 1e-3 -> 1e-5 for ``epochs`` epochs (the thesis trains "until they
    interpolate"; whether a student did is recorded, see :data:`INTERPOLATION_TOL`). The data
    (inputs and teacher) are fixed by ``seed``; student ``s`` of ``seeds`` has initialisation
    and batch order seed + s. Every student trains on one thread, so ``processes`` > 1 trains
    that many at a time in worker processes with the same results.

    Returns
    -------
    dict with ``table``: pandas.DataFrame, one row per (c, width, seed) with train_error,
    train_loss_bits, test_error, interpolated; ``models``: (c, width, seed) -> (student at
    initialisation, trained student); ``data``: c -> (Xtrain, ytrain, Xtest, ytest).
    """
    import pandas as pd
    from tqdm.auto import tqdm

    cs = SWEEP["cs"] if cs is None else tuple(cs)
    jobs = [(c, w, seed + s) for c in cs for w in widths for s in range(seeds)]
    args = [(c, w, s, n, n_test, epochs, seed) for c, w, s in jobs]
    if processes > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(tqdm(pool.map(_sweep_student, *zip(*args)), total=len(args), desc="atypical sweep",
                             disable=not progress))
    else:
        done = [_sweep_student(*a) for a in tqdm(args, desc="atypical sweep", disable=not progress)]
    rows, models, correct = [], {}, {}
    for (c, w, s), (row, init, end, hits) in zip(jobs, done):
        rows.append(row)
        models[(c, w, s)] = (init, end)
        correct[(c, w, s)] = hits
    data = {c: _sweep_data_cached(c, n, n_test, seed) for c in cs}
    return dict(table=pd.DataFrame(rows), models=models, data=data, correct=correct)


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


def sweep_claim(sweep: dict, n_resamples: int = 200, seed: int = 0) -> tuple[dict, dict]:
    """C8's measured parts with intervals and nulls from :func:`atypical_sweep`.

    The three test-error parts are bootstrapped over test samples (the same resampled indices
    for every student), the fraction of interpolating students over students; the rank parts'
    nulls permute the c values (or the widths) across the problems (every other permutation)."""
    import itertools

    table, correct = sweep["table"], sweep["correct"]
    keys = list(correct)
    cs, widths = sorted({k[0] for k in keys}), sorted({k[1] for k in keys})
    n_test = len(next(iter(correct.values())))
    names = list(sweep_measures(table))

    def errors(idx):
        err = {}
        for c in cs:
            for w in widths:
                err[(c, w)] = float(np.mean([1 - correct[k][idx].mean() for k in keys if k[:2] == (c, w)]))
        return np.array([[err[(c, w)] for w in widths] for c in cs])  # (c, width)

    def parts(E, c_order=cs, w_order=widths):
        return [max(rank_correlation(c_order, E[:, j]) for j in range(len(widths))),
                float(np.mean([rank_correlation(w_order, E[i]) for i in range(len(cs))])),
                float(abs(E[-1, 0] - E[-1, -1]))]

    boot = bootstrap(lambda idx: parts(errors(idx)), n_test, unit="test samples", n_resamples=n_resamples, seed=seed)
    inter = table.interpolated.to_numpy(dtype=float)
    frac = (bootstrap(lambda idx: float(inter[idx].mean()), len(inter), unit="students", n_resamples=n_resamples,
                      seed=seed) if len(inter) >= 2 else float(inter.mean()))
    E = errors(np.arange(n_test))
    c_null = [parts(E, c_order=list(perm))[0] for perm in itertools.permutations(cs) if list(perm) != cs]
    w_null = [parts(E, w_order=list(perm))[1] for perm in itertools.permutations(widths) if list(perm) != widths]
    measured = dict(zip(names, [frac, *boot]))
    null = {names[1]: null_range(c_null), names[2]: null_range(w_null) if len(w_null) >= 2 else float(w_null[0])}
    return measured, null


def sweep_fim(sweep: dict, n: int, width: int = FLAT["width"], cs=FLAT["cs"], seed: int = 0) -> dict:
    """FIM eigenvalues (descending) of the sweep's width-``width`` students on the first ``n`` training
    samples: (c, "init" | "end") -> array (p,) for student ``seed``, and (c, "end", s) for every
    student s of the sweep."""
    import torch

    out = {}
    seeds = sorted({k[2] for k in sweep["models"] if k[1] == width})
    for c in cs:
        X = sweep["data"][c][0][:n].to(torch.float64)
        for s in seeds:
            init, end = sweep["models"][(c, width, s)]
            with C.single_thread():
                out[(c, "end", s)] = C.fim_eigenvalues(copy.deepcopy(end).double(), X)
                if s == seed:
                    out[(c, "init")] = C.fim_eigenvalues(copy.deepcopy(init).double(), X)
                    out[(c, "end")] = out[(c, "end", s)]
    return out


def window_decades(lam) -> float:
    """Decades of the FIM eigenvalues in C7's window (indices FLAT["window"], 1-based)."""
    return decades(lam, *FLAT["window"])


def c7_measure(init_fim: dict, trained_fim: dict) -> tuple[dict, dict]:
    """C7's parts (init ones from :func:`flat_versus_sloppy_fim`, trained ones with the spread over
    the sweep's students) and the null of each trained part (the other input spectrum's value)."""
    lo, hi = sorted(FLAT["cs"])
    trained = {}
    for c in (hi, lo):
        values = [window_decades(v) for k, v in trained_fim.items() if len(k) == 3 and k[0] == c]
        trained[c] = spread(values, unit="students") if len(values) >= 2 else Estimate(values[0], values[0],
                                                                                          values[0], "one student")
    measured = {f"init: decades, c = {hi:g} (follows from the design)": window_decades(init_fim[hi]),
                f"init: decades, c = {lo:g} (follows from the design)": window_decades(init_fim[lo]),
                f"trained: decades, c = {hi:g}": trained[hi], f"trained: decades, c = {lo:g}": trained[lo]}
    null = {f"trained: decades, c = {hi:g}": trained[lo], f"trained: decades, c = {lo:g}": trained[hi]}
    return measured, null


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
    kl = post.kl(best["eps"])
    mc = posterior_evaluation(model, post.sample(best["eps"], mc_samples, np.random.default_rng(seed)),
                              X, y, Xtest, ytest, kl, n, best["j"])
    return dict(n=n, p=w.size, eps=best["eps"], j=best["j"], kl=kl, **mc,
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
        mc = posterior_evaluation(model, post.sample(mc_samples, np.random.default_rng(seed)), X, y, Xtest, ytest,
                                  post.kl, n, post.j)
        out.update({f"eps{tag}": post.eps, f"j{tag}": post.j, f"kl{tag}": post.kl})
        out.update({f"{k}{tag}": v for k, v in mc.items()})
    out["surrogate_first"], out["surrogate_last"] = (float(history[0]), float(history[-1])) if steps else (math.nan,) * 2
    return out
