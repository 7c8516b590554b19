"""Sketched representations of every model of study 3 and the similarity matrices between them.

Each model is probed on its own training data (all samples, in the data set's order), block by
block (:func:`netsim.probes.probe_blocks`: features and the eq.-5 gradients, beta = 0.5), and
streamed into CountSketches of M buckets with one shared seed (Algorithm 1), rows centred over
the N samples (``centre="rows"``, see :mod:`netsim.metrics.sketching`). Kept per model: the
M x M representations (features, gradients, Hadamard at every block; the other combinations of
section 4 at the last block), the Hadamard sketches at both sizes and several sketch seeds (the
accuracy study, claim 3.3), and, per data set and block, exact CKA of the N x N representations.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
from tqdm.auto import tqdm

from netsim.metrics.kernels import _clip_rounding, count_sketch
from netsim.metrics.sketching import (KernelSketcher, alignment, exact_representation, scka_bound,
                                      sketch_distortion, sketch_model_rows)
from netsim.probes import block_names, probe_blocks
from netsim.studies.gradient_similarity.design import ROLES, build, load_role

MAIN_KINDS = ("features", "gradients", "hadamard")   # Fig. 1's three representations
EXTRA_KINDS = ("sum", "phi_hadamard", "tfg")          # section 4's other combinations (last block)
POOLED = "body"                                       # the pooled features the head reads (d = width * 4)


@dataclass
class ModelSketch:
    """What is kept of one model.

    Attributes
    ----------
    blocks : list of str, the probed block names (input first)
    reps : (block index, kind) -> (M, M) float32 representation at the main size and seed
    accuracy : (M, sketch seed, block index) -> (M, M) float32 Hadamard representation
    """

    blocks: list
    reps: dict = field(default_factory=dict)
    accuracy: dict = field(default_factory=dict)


def probe_model(model, x, blocks=None, *, batch_size: int = 256) -> dict:
    """Block name -> (F (N, d), G (N, d)) of a network (or the trained model of a TrainConfig) on inputs ``x``.

    ``blocks`` default: every residual block. Pass the built network when probing it several times:
    rebuilding reads its weights from the cache again.
    """
    from netsim.train import TrainConfig

    if isinstance(model, TrainConfig):
        model = build(model)
    names = block_names(model) if blocks is None else blocks
    return probe_blocks(model, names, x, beta=0.5, batch_size=batch_size)


def sketch_model(probes: dict, P, *, accuracy: bool = True) -> ModelSketch:
    """The :class:`ModelSketch` of one model from its probes (block order kept)."""
    blocks = [b for b in probes if b != POOLED]
    out = ModelSketch(blocks)
    m_small, m_main = P.sketch_sizes
    seeds = range(P.sketch_seed, P.sketch_seed + (P.accuracy_seeds if accuracy else 1))
    for b, name in enumerate(blocks):
        F, G = probes[name]
        for m in (m_main, m_small) if accuracy else (m_main,):
            for seed in seeds:
                sk = sketch_model_rows(F, G, m, seed)
                if m == m_main and seed == P.sketch_seed:
                    for kind in MAIN_KINDS + (EXTRA_KINDS if b == len(blocks) - 1 else ()):
                        out.reps[b, kind] = sk.representation(kind).astype(np.float32)
                    out.accuracy[m, seed, b] = out.reps[b, "hadamard"]
                else:
                    out.accuracy[m, seed, b] = sk.representation("hadamard").astype(np.float32)
    return out


# --------------------------------------------------------------------------- similarity matrices
class Gram:
    """A representation K prepared for fast CKA and NBS against many others (psd root cached).

    ``single=True`` computes NBS in float32 (about 3x faster for M = 512; relative error ~1e-6,
    far below the differences the chapter reads); CKA is always float64.
    """

    def __init__(self, K, single: bool = False):
        self.K = np.asarray(K, dtype=np.float64)
        self.norm = float(np.linalg.norm(self.K))
        self.trace = float(np.trace(self.K))
        self.dtype = np.float32 if single else np.float64
        self._root = None
        self._sym = None

    @property
    def sym(self) -> np.ndarray:
        if self._sym is None:
            self._sym = ((self.K + self.K.T) / 2).astype(self.dtype)
        return self._sym

    @property
    def root(self) -> np.ndarray:
        if self._root is None:
            values, vectors = scipy.linalg.eigh(self.sym, driver="evr")
            self._root = ((vectors * np.sqrt(_clip_rounding(values))) @ vectors.T).astype(self.dtype)
        return self._root


def cka(a: Gram, b: Gram) -> float:
    """Alignment of two prepared representations (rows already centred: CKA, eq. 10)."""
    return float(np.vdot(a.K, b.K) / (a.norm * b.norm))


def nbs(a: Gram, b: Gram) -> float:
    """NBS (eq. 11) of two prepared representations: tr (K_a^1/2 K_b K_a^1/2)^1/2 / sqrt(tr K_a tr K_b)."""
    inner = scipy.linalg.eigvalsh(a.root @ b.sym.astype(a.dtype) @ a.root, driver="evr")
    return float(np.sqrt(_clip_rounding(inner.astype(np.float64))).sum() / np.sqrt(a.trace * b.trace))


def similarity_matrix(reps, index: str = "cka") -> np.ndarray:
    """(n, n) matrix of CKA or NBS between n representations (symmetric; diagonal 1)."""
    if index not in ("cka", "nbs"):
        raise ValueError(f"index must be 'cka' or 'nbs'; got {index!r}")
    grams = [r if isinstance(r, Gram) else Gram(r) for r in reps]
    return symmetric_matrix(grams, cka if index == "cka" else nbs)


def symmetric_matrix(items, similarity) -> np.ndarray:
    """(n, n) matrix of ``similarity(items[i], items[j])`` over pairs i < j, mirrored, unit diagonal."""
    n = len(items)
    S = np.eye(n)
    for i in range(n):
        for j in range(i + 1, n):
            S[i, j] = S[j, i] = similarity(items[i], items[j])
    return S


def cross_matrix(reps_a, reps_b) -> np.ndarray:
    """(len(a), len(b)) CKA between two lists of representations (e.g. the blocks of two models)."""
    A = [r if isinstance(r, Gram) else Gram(r) for r in reps_a]
    B = [r if isinstance(r, Gram) else Gram(r) for r in reps_b]
    return np.array([[cka(a, b) for b in B] for a in A])


# --------------------------------------------------------------------------- the whole zoo
@dataclass
class Representations:
    """Sketches of all models and the accuracy study's exact CKA.

    Attributes
    ----------
    small : list of ModelSketch, in ``zoo.small_configs()`` order
    deep : role -> ModelSketch of the deeper ResNet
    exact : role -> {block index -> (n_role, n_role) exact CKA of the N x N Hadamard representations}
    n_samples : role -> N
    checks : the measurements of checks C1-C3
    pooled : list of (F, G) at the pooled features of each small model (the head's input)
    """

    small: list
    deep: dict
    exact: dict
    n_samples: dict
    checks: dict
    pooled: list


def represent_zoo(zoo, P, *, progress: bool = True) -> Representations:
    """Probe and sketch every model on its own training data; the exact CKA of same-data-set pairs."""
    small, deep, exact, n_samples, pooled = [], {}, {}, {}, []
    checks = {}
    bar = tqdm(total=len(zoo.small_configs()) + len(ROLES), desc="representing models", disable=not progress)
    for role in ROLES:
        x = load_role(role, "train", P).x
        n_samples[role] = len(x)
        exact_reps = []   # per model: list over blocks of the N x N Hadamard representation (float32)
        for i, config in enumerate(zoo.small[role]):
            model = build(config)
            model_blocks = block_names(model)
            probes = probe_model(model, x, model_blocks + [POOLED])
            pooled.append(probes[POOLED])
            small.append(sketch_model(probes, P))
            exact_reps.append([exact_representation(*probes[b]).astype(np.float32) for b in model_blocks])
            if role == "A" and i == 0:
                checks.update(_implementation_checks(probes[model_blocks[0]], P))
            bar.update()
        n_blocks = len(exact_reps[0])
        exact[role] = {b: similarity_matrix([r[b] for r in exact_reps]) for b in range(n_blocks)}
        del exact_reps
        probes = probe_model(zoo.deep[role], x)
        deep[role] = sketch_model(probes, P, accuracy=False)
        bar.update()
    bar.close()
    return Representations(small, deep, exact, n_samples, checks, pooled)


def _implementation_checks(fg, P) -> dict:
    """C1 (streaming = one-shot CountSketch) and C3 (state size independent of N) on real rows."""
    F, G = fg
    m = P.sketch_sizes[1]
    streamed = KernelSketcher(m, P.sketch_seed)
    for start in range(0, len(F), 97):  # an odd batch size: bucket and sign follow the global index
        streamed.update(F[start:start + 97], G[start:start + 97])
    SF, SG = count_sketch(F, m, P.sketch_seed), count_sketch(G, m, P.sketch_seed)
    Kf, Kg = streamed.kernels(centre=False)
    c1 = max(float(np.abs(Kf - SF @ SF.T).max() / max(np.abs(SF @ SF.T).max(), 1e-300)),
             float(np.abs(Kg - SG @ SG.T).max() / max(np.abs(SG @ SG.T).max(), 1e-300)))
    big = KernelSketcher(m, P.sketch_seed)
    for _ in range(4):
        big.update(F, G)
    return {"C1": c1, "C3": big.memory_bytes() / streamed.memory_bytes(),
            "C3_bytes": (streamed.memory_bytes(), big.memory_bytes(), len(F), 4 * len(F))}


def bound_check(probes_pairs, P) -> dict:
    """C2: |SCKA - CKA| minus the eq.-16 bound for exact row sketches (features; Psi of pooled rows).

    Parameters
    ----------
    probes_pairs : list of ((F1, G1), (F2, G2)) row pairs on one data set: the last block's
        features (kind "features", Psi = H F) or the pooled features (Psi rows vec(g f^T)).

    Returns
    -------
    dict with the largest excess over the bound and the rows behind it.
    """
    m, seed = P.sketch_sizes[1], P.sketch_seed
    rows = []
    for what, (a, b) in probes_pairs:
        if what == "features":
            Psi1, Psi2 = a[0], b[0]
        else:  # psi_hadamard: rows vec(g_n f_n^T)
            Psi1 = np.einsum("ni,nj->nij", a[1], a[0]).reshape(len(a[0]), -1)
            Psi2 = np.einsum("ni,nj->nij", b[1], b[0]).reshape(len(b[0]), -1)
        K1, K2 = [count_sketch(X - X.mean(0), m, seed) for X in (Psi1, Psi2)]
        scka = alignment(K1 @ K1.T, K2 @ K2.T)
        C1, C2 = Psi1 - Psi1.mean(0), Psi2 - Psi2.mean(0)
        exact = float(np.linalg.norm(C1.T @ C2) ** 2 / (np.linalg.norm(C1.T @ C1) * np.linalg.norm(C2.T @ C2)))
        eps = sketch_distortion(Psi1, Psi2, m, seed)
        bound = scka_bound(exact, eps) if eps < 1 else float("inf")
        rows.append({"rows": what, "exact CKA": exact, "sketched CKA": scka, "epsilon": eps,
                     "bound": bound, "excess": abs(scka - exact) - bound})
    return {"C2": max(r["excess"] for r in rows), "rows": rows}


def bound_pairs(zoo, reps, P) -> list:
    """The row pairs of check C2: per data set, its first two small models' last-block features
    (Psi = H F) and their pooled features with gradients (Psi rows vec(g f^T), d = width * 4)."""
    labels = zoo.labels
    pairs = []
    for role in ROLES:
        first, second = zoo.small[role][:2]
        x = load_role(role, "train", P).x
        last = block_names(build(first))[-1]
        pairs.append(("features", (probe_model(first, x, [last])[last], probe_model(second, x, [last])[last])))
        i, j = np.flatnonzero(labels == role)[:2]
        pairs.append(("psi (pooled)", (reps.pooled[i], reps.pooled[j])))
    return pairs
