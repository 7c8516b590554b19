"""Streaming sketched feature x gradient kernels and their similarity (gradient paper, study 3).

A network on a data set of N samples is represented by the kernels K_f = F F^T and
K_g = G G^T of its block features F (N, d) and feature gradients G (N, d) (eq. 6, rows are
samples), combined into one representation: the Hadamard product K_f o K_g (eq. 7), or one of
the other combinations of section 4 (``KINDS``). Algorithm 1 never forms an N x N matrix: it
streams the rows into a CountSketch S (M x N) and keeps only S F and S G, O(M d) memory
whatever N; the representation is then the M x M kernel of the sketched rows, compared by CKA
(eq. 10) or NBS (eq. 11).

Centring
--------
DESIGN.md asks for CKA and NBS on centred kernels. Two conventions are offered (``centre``):

``"rows"`` (default)
    Features, gradients and the rows of Phi_f o Phi_g are centred over the N samples, exactly
    and in streaming, since S H F = S F - (S 1) mean(F)^T with S 1 the signed bucket counts.
    Then K~_f = S (H K_f H) S^T is the sketch of the centred kernel, the eq. 16 bound applies to
    it as stated (with Psi = H F), and the indices compare the sketched kernels as they are:
    for M large enough that no two samples share a bucket the sketched CKA / NBS equal the exact
    centred ones. The exact counterpart (:func:`exact_similarity`) builds the same combination
    from H K_f H and H K_g H.
``"kernel"``
    The paper's public code (amzn/xfer, ``sim_indices.py``): raw sketches as Algorithm 1 writes
    them, and the M x M representation centred by :func:`netsim.metrics.cka_kernels` /
    :func:`netsim.metrics.nbs`; the exact counterpart centres the N x N combination. Centring
    M buckets is not centring N samples: the signed sum of the mean feature survives in every
    bucket, so with features of non-zero mean (ReLU outputs) this sketched CKA does not tend to
    the exact centred CKA as M grows.

The Hadamard representation and the bound
-----------------------------------------
Algorithm 1 outputs (S K_f S^T) o (S K_g S^T), the Hadamard product of two sketches, which is
not a sketch S K S^T of K = K_f o K_g: eq. 16 (proved for S^T K S) holds for the kinds
``"features"``, ``"gradients"``, ``"sum"`` and ``"phi_hadamard"``, not for ``"hadamard"`` (the
paper applies it to the latter). With no bucket shared, signs cancel in the Hadamard product
and the sketch again equals the exact representation. ``"psi_hadamard"`` is the sketch
S Psi of the implicit map of eq. 9, psi(x) = g f^T: its kernel is S (K_f o K_g) S^T, eq. 16
applies, and with ``centre="rows"`` its exact counterpart is the centred Hadamard kernel
H (K_f o K_g) H, whereas ``"hadamard"`` with ``centre="rows"`` targets (H K_f H) o (H K_g H).
It needs O(M d^2) memory, so it suits small or pooled blocks.
"""
from __future__ import annotations

import numbers

import numpy as np
import scipy.linalg

from ._validation import as_numpy
from .kernels import _clip_rounding, _psd_sqrt, centre_kernel, cka_kernels, nbs, sketch_hashes, sketch_rows

#: Representations of section 3-4: Hadamard K_f o K_g (eq. 7, the paper's, as the Hadamard
#: product of the two sketches), sum K_f + K_g, features only K_f, gradients only K_g,
#: Phi_f o Phi_g (the kernel of the elementwise product of feature and gradient rows), the
#: T^{fg} construction, and "psi_hadamard": K_f o K_g again, sketched exactly as S Psi with
#: the rows psi_n = vec(g_n f_n^T) of eq. 9 (memory O(M d^2); ``KernelSketcher(psi=True)``).
KINDS = ("hadamard", "sum", "features", "gradients", "phi_hadamard", "tfg", "psi_hadamard")
INDICES = ("cka", "nbs")
CENTRES = ("rows", "kernel")


# --------------------------------------------------------------------------- validation
def _rows(name: str, X, n: int | None = None, d: int | None = None) -> np.ndarray:
    """A finite float64 (n, d) matrix of rows; a torch tensor is accepted."""
    arr = as_numpy(X, name)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array (n samples, d); got shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one row per sample (n = {n}); got {arr.shape[0]} rows")
    if d is not None and arr.shape[1] != d:
        raise ValueError(f"{name} must have {d} columns as in earlier batches; got {arr.shape[1]}")
    return arr


def _choice(name: str, value, choices) -> str:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}; got {value!r}")
    return value


def _check_m(m) -> int:
    if isinstance(m, (bool, np.bool_)) or not isinstance(m, numbers.Integral) or m < 1:
        raise ValueError(f"m must be a positive int (number of buckets); got {m!r}")
    return int(m)


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an int; got {seed!r}")
    return int(seed)


def _needs_gradients(kind: str) -> bool:
    return kind != "features"


# --------------------------------------------------------------------------- combinations
def transport_kernel(Kf, Kg) -> np.ndarray:
    """The T^{fg} representation of section 4: (I/2 + T/2) K_f (I/2 + T/2).

    T^{fg} = K_f^{-1/2} (K_f^{1/2} K_g K_f^{1/2})^{1/2} K_f^{-1/2} is the optimal transport
    (Monge) map from N(0, K_f) to N(0, K_g), so the result is the covariance at the midpoint of
    the Bures-Wasserstein geodesic between K_f and K_g. K_f^{-1/2} is the pseudo-inverse on the
    range of K_f (kernels of d < N features are rank-deficient); T then maps onto that range.

    Parameters
    ----------
    Kf, Kg : (n, n) symmetric PSD

    Returns
    -------
    (n, n) symmetric PSD float64
    """
    Kf = np.asarray(Kf, dtype=np.float64)
    Kg = np.asarray(Kg, dtype=np.float64)
    values, vectors = scipy.linalg.eigh((Kf + Kf.T) / 2)
    values = _clip_rounding(values)
    root = np.sqrt(values)
    inv_root = np.divide(1.0, root, out=np.zeros_like(root), where=root > 0)
    Kf_half = (vectors * root) @ vectors.T
    Kf_inv_half = (vectors * inv_root) @ vectors.T
    middle = Kf_half @ ((Kg + Kg.T) / 2) @ Kf_half
    T = Kf_inv_half @ _psd_sqrt((middle + middle.T) / 2) @ Kf_inv_half
    A = 0.5 * (np.eye(len(Kf)) + T)
    K = A @ Kf @ A
    return (K + K.T) / 2


def combine(kind: str, Kf, Kg=None, Kphi=None, Kpsi=None) -> np.ndarray:
    """The representation ``kind`` (see ``KINDS``) from the feature, gradient, Phi_f o Phi_g and Psi kernels.

    Parameters
    ----------
    kind : str, one of ``KINDS``
    Kf, Kg, Kphi, Kpsi : (n, n) kernels; Kg is needed by every kind but ``"features"``, Kphi
        only by ``"phi_hadamard"`` (the kernel of the rows f_n o g_n, sec. 4 item 2), Kpsi only
        by ``"psi_hadamard"`` (the kernel of the rows vec(g_n f_n^T), eq. 9).
    """
    _choice("kind", kind, KINDS)
    if kind == "features":
        return Kf
    if Kg is None:
        raise ValueError(f"kind={kind!r} needs gradients; got only features (G=None)")
    if kind == "hadamard":
        return Kf * Kg
    if kind == "sum":
        return Kf + Kg
    if kind == "gradients":
        return Kg
    if kind == "phi_hadamard":
        if Kphi is None:
            raise ValueError("kind='phi_hadamard' needs the kernel of the rows f o g (Kphi)")
        return Kphi
    if kind == "psi_hadamard":
        if Kpsi is None:
            raise ValueError("kind='psi_hadamard' needs the kernel of the rows vec(g f^T) (Kpsi)")
        return Kpsi
    return transport_kernel(Kf, Kg)


# --------------------------------------------------------------------------- the sketcher
class KernelSketcher:
    """Streaming CountSketch of feature and gradient rows (Algorithm 1 of the gradient paper).

    Parameters
    ----------
    m : int
        Number of buckets M (the paper: 512, also 128).
    seed : int
        Fixes the bucket h(i) and sign s(i) of the i-th sample seen (global index i, counted
        over all updates) through :func:`netsim.metrics.kernels.sketch_hashes`: whatever the
        batch sizes, the sketch equals :func:`netsim.metrics.count_sketch` of the stacked rows,
        and two models sketched on one data set with one seed share S.
    psi : bool, default False
        Also sketch the rows vec(g_n f_n^T) of eq. 9 (kind ``"psi_hadamard"``); memory
        O(M d^2).

    Attributes
    ----------
    n : int
        Samples seen so far.
    d : int or None
        Width of the feature rows (fixed by the first update).

    Notes
    -----
    Memory is O(M d) (S F, S G, S (F o G), column sums, signed bucket counts; S Psi adds
    O(M d^2) when ``psi``), independent of N.

    Examples
    --------
    >>> sk = KernelSketcher(64, seed=0)
    >>> for F, G in batches:                      # doctest: +SKIP
    ...     sk.update(F, G)
    >>> Kf, Kg = sk.kernels()                     # doctest: +SKIP
    """

    def __init__(self, m: int, seed: int = 0, *, psi: bool = False):
        self.m = _check_m(m)
        self.seed = _check_seed(seed)
        if not isinstance(psi, bool):
            raise TypeError(f"psi must be True or False; got {psi!r}")
        self.psi = psi
        self.n = 0
        self.d: int | None = None
        self._sketch: dict[str, np.ndarray] = {}
        self._sum: dict[str, np.ndarray] = {}
        self._count = np.zeros(self.m)  # S 1: signed bucket counts, for exact row centring
        self._has_gradients: bool | None = None
        self._dg: int | None = None
        self._targets: np.ndarray | None = None

    # ----------------------------------------------------------------- streaming
    def update(self, features, gradients=None, *, targets=None) -> "KernelSketcher":
        """Add a batch of rows (the next samples, in order).

        Parameters
        ----------
        features : array_like (b, d)
            Block features f_n of b samples, flattened per sample.
        gradients : array_like (b, d), optional
            Their gradients g_n (eq. 5). Give them in every update or in none.
        targets : array_like (b, C), optional
            Rows sketched with the same S, e.g. one-hot labels for
            :func:`netsim.metrics.gradient_baselines.sketched_kernel_ridge` (appendix G).

        Returns
        -------
        self
        """
        F = _rows("features", features, d=self.d)
        b = F.shape[0]
        G = None if gradients is None else _rows("gradients", gradients, n=b, d=self._dg)
        if self._has_gradients is not None and self._has_gradients != (G is not None):
            raise ValueError("gradients must be given in every update or in none "
                             f"(earlier updates {'had' if self._has_gradients else 'had no'} gradients)")
        T = None
        if targets is not None:
            T = _rows("targets", targets, n=b, d=None if self._targets is None else self._targets.shape[2])
        elif self._targets is not None:
            raise ValueError("targets were given in earlier updates; give them in every update")
        if T is not None and self._targets is None and self.n > 0:
            raise ValueError("targets must be given from the first update on")
        # Inputs are valid: only now does the state change.
        self._has_gradients = G is not None
        self._dg = None if G is None else G.shape[1]

        buckets, signs = sketch_hashes(self.n, b, self.m, self.seed)
        self._count += np.bincount(buckets, weights=signs, minlength=self.m)
        parts = {"f": F}
        if G is not None:
            parts["g"] = G
            if G.shape[1] == F.shape[1]:  # Phi_f o Phi_g needs rows of one width
                parts["phi"] = F * G
        for key, X in parts.items():
            self._add(key, sketch_rows(X, buckets, signs, self.m), X.sum(axis=0))
        if self.psi and G is not None:
            self._add_psi(F, G, buckets, signs)
        if T is not None:
            # Signed S T and unsigned bucket sums B T: kernels linear in the sketched rows pair
            # with the first, the Hadamard product of sketches with the second (appendix G).
            St = np.stack([sketch_rows(T, buckets, signs, self.m),
                           sketch_rows(T, buckets, np.ones(b), self.m)])
            self._targets = St if self._targets is None else self._targets + St
        self.d = F.shape[1]
        self.n += b
        return self

    def _add_psi(self, F, G, buckets, signs) -> None:
        """Sketch the rows vec(g_n f_n^T), a few at a time (each is d_g d_f wide)."""
        step = max(1, 2 ** 22 // (F.shape[1] * G.shape[1]))
        for start in range(0, F.shape[0], step):
            part = slice(start, start + step)
            rows = np.einsum("ni,nj->nij", G[part], F[part]).reshape(len(F[part]), -1)
            self._add("psi", sketch_rows(rows, buckets[part], signs[part], self.m), rows.sum(axis=0))

    def _add(self, key: str, sketched: np.ndarray, column_sum: np.ndarray) -> None:
        if key in self._sketch:
            self._sketch[key] += sketched
            self._sum[key] += column_sum
        else:
            self._sketch[key], self._sum[key] = sketched, column_sum

    # ----------------------------------------------------------------- results
    def _require_data(self) -> None:
        if self.n == 0:
            raise ValueError("the sketcher has seen no samples; call update() first")

    def sketch(self, which: str = "f", centre: bool = True) -> np.ndarray:
        """The sketched rows S X (M, d) of ``which`` in {"f", "g", "phi", "psi"}; centred: S H X.

        S H X = S X - (S 1) mean(X)^T, the sketch of the rows centred over all n samples.
        """
        self._require_data()
        _choice("which", which, ("f", "g", "phi", "psi"))
        if which not in self._sketch:
            what = {"g": "gradients", "phi": "gradients of the features' width",
                    "psi": "gradients and KernelSketcher(psi=True)"}[which]
            raise ValueError(f"sketch {which!r} needs {what}; none were given")
        S = self._sketch[which]
        if centre:
            S = S - np.outer(self._count, self._sum[which] / self.n)
        return S

    def kernels(self, centre: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
        """The M x M sketched kernels (K~_f, K~_g) of Algorithm 1; K~_g is None without gradients.

        ``centre=True`` gives S (H K H) S^T (rows centred over the n samples, see the module
        notes); ``centre=False`` the raw F~^T F~, G~^T G~ of Algorithm 1.
        """
        F = self.sketch("f", centre)
        G = self.sketch("g", centre) if self._has_gradients else None
        return F @ F.T, (None if G is None else G @ G.T)

    def representation(self, kind: str = "hadamard", centre: bool = True) -> np.ndarray:
        """The sketched M x M representation ``kind`` (one of ``KINDS``).

        ``"hadamard"`` is K~_f o K~_g (eq. 7 on the sketches, as Algorithm 1 and the paper's
        code form it); ``"sum"`` K~_f + K~_g; ``"features"`` K~_f; ``"gradients"`` K~_g;
        ``"phi_hadamard"`` the kernel of S (F o G) (sec. 4, item 2); ``"tfg"`` the T^{fg}
        construction (sec. 4, item 3) on K~_f and K~_g; ``"psi_hadamard"`` the kernel of
        S Psi (eq. 9; needs ``psi=True``).
        """
        _choice("kind", kind, KINDS)
        if _needs_gradients(kind) and not self._has_gradients:
            raise ValueError(f"kind={kind!r} needs gradients; the sketcher was given features only")
        Kf, Kg = self.kernels(centre)
        extra = {}
        if kind in ("phi_hadamard", "psi_hadamard"):
            P = self.sketch(kind.split("_")[0], centre)
            extra["K" + kind.split("_")[0]] = P @ P.T
        return combine(kind, Kf, Kg, **extra)

    def targets(self, signed: bool = True) -> np.ndarray:
        """The sketched target rows S T (M, C), or with ``signed=False`` the bucket sums B T.

        See ``update(targets=...)`` and :func:`netsim.metrics.sketched_kernel_ridge`.
        """
        if self._targets is None:
            raise ValueError("no targets were given to update()")
        return self._targets[0 if signed else 1]

    def mean_embedding_norm(self) -> float:
        """||mu_p|| estimated from the raw sketched Hadamard kernel: sqrt(sum K~) / n (eq. 26).

        This is how the paper's code computes it; sum K~ = ||(S F)^T (S G)||_F^2, an approximate
        matrix product of F^T G (eq. 15 applies with Psi_1 = F, Psi_2 = G).
        """
        F, G = self.sketch("f", False), self.sketch("g", False)
        return float(np.linalg.norm(F.T @ G) / self.n)

    def memory_bytes(self) -> int:
        """Bytes held by the sketch state (independent of n)."""
        arrays = list(self._sketch.values()) + list(self._sum.values()) + [self._count]
        if self._targets is not None:
            arrays.append(self._targets)
        return int(sum(a.nbytes for a in arrays))


def sketch_model_rows(F, G, m: int, seed: int, *, batch_size: int | None = None,
                      psi: bool = False) -> KernelSketcher:
    """A :class:`KernelSketcher` (m, seed, psi) fed with the rows F (n, d), G (n, d) or None, in batches."""
    F = _rows("F", F)
    G = None if G is None else _rows("G", G, n=F.shape[0])
    sk = KernelSketcher(m, seed, psi=psi)
    step = F.shape[0] if batch_size is None else int(batch_size)
    for start in range(0, F.shape[0], step):
        sk.update(F[start:start + step], None if G is None else G[start:start + step])
    return sk


# --------------------------------------------------------------------------- indices
def alignment(K1, K2) -> float:
    """Kernel alignment <K1, K2>_F / (||K1||_F ||K2||_F) without centring (eq. 10 as written)."""
    K1, K2 = np.asarray(K1, dtype=np.float64), np.asarray(K2, dtype=np.float64)
    denom = np.linalg.norm(K1) * np.linalg.norm(K2)
    if denom == 0:
        raise ValueError("a kernel is zero; the alignment is undefined")
    return float(np.sum(K1 * K2) / denom)


def bures_similarity(K1, K2) -> float:
    """tr (K1^{1/2} K2 K1^{1/2})^{1/2} / sqrt(tr K1 tr K2) without centring (eq. 11 as written)."""
    K1, K2 = np.asarray(K1, dtype=np.float64), np.asarray(K2, dtype=np.float64)
    denom = np.sqrt(np.trace(K1) * np.trace(K2))
    if not denom > 0:
        raise ValueError("a kernel has zero trace; NBS is undefined")
    R = _psd_sqrt((K1 + K1.T) / 2)
    inner = scipy.linalg.eigvalsh(R @ ((K2 + K2.T) / 2) @ R)
    return float(np.sqrt(_clip_rounding(inner)).sum() / denom)


def similarity(K1, K2, index: str = "cka", centre: str = "rows") -> float:
    """CKA or NBS of two representations built with the ``centre`` convention (module notes).

    ``centre="rows"``: the kernels are already (sketches of) centred kernels and are compared
    as they are; ``centre="kernel"``: they are double-centred first (netsim.metrics.cka_kernels,
    netsim.metrics.nbs).
    """
    _choice("index", index, INDICES)
    _choice("centre", centre, CENTRES)
    if centre == "kernel":
        return cka_kernels(K1, K2) if index == "cka" else nbs(K1, K2)
    return alignment(K1, K2) if index == "cka" else bures_similarity(K1, K2)


def sketched_similarity(F1, G1, F2, G2, m: int, seed: int, kind: str = "hadamard",
                        index: str = "cka", centre: str = "rows") -> float:
    """CKA or NBS of the sketched representations of two models on one data set.

    Parameters
    ----------
    F1 : array_like (n, d1); G1 : array_like (n, d1) or None
        Features and feature gradients of model 1 at one block, rows = samples.
    F2 : array_like (n, d2); G2 : array_like (n, d2) or None
        The same for model 2, on the same samples in the same order (so S is shared).
    m, seed : sketch size M and seed.
    kind : one of ``KINDS``; G = None needs ``kind="features"`` (set automatically).
    index : "cka" (eq. 10) or "nbs" (eq. 11)
    centre : "rows" or "kernel" (module notes)
    """
    F1, F2 = _rows("F1", F1), _rows("F2", F2)
    if F1.shape[0] != F2.shape[0]:
        raise ValueError(f"F1 and F2 must have the same samples; got {F1.shape[0]} and {F2.shape[0]} rows")
    if G1 is None or G2 is None:
        kind = "features"
    _choice("kind", kind, KINDS)
    centre_rows = _choice("centre", centre, CENTRES) == "rows"
    reps = [sketch_model_rows(F, None if kind == "features" else G, m, seed, psi=kind == "psi_hadamard")
            .representation(kind, centre_rows) for F, G in ((F1, G1), (F2, G2))]
    return similarity(reps[0], reps[1], index, centre)


def sketched_cka(F1, G1, F2, G2, m: int, seed: int, kind: str = "hadamard", centre: str = "rows") -> float:
    """Sketched CKA (rho_SCKA, eq. 16) of two models; see :func:`sketched_similarity`."""
    return sketched_similarity(F1, G1, F2, G2, m, seed, kind, "cka", centre)


def sketched_nbs(F1, G1, F2, G2, m: int, seed: int, kind: str = "hadamard", centre: str = "rows") -> float:
    """Sketched NBS (eq. 11 on the M x M sketches) of two models; see :func:`sketched_similarity`."""
    return sketched_similarity(F1, G1, F2, G2, m, seed, kind, "nbs", centre)


def exact_representation(F, G=None, kind: str = "hadamard", centre: str = "rows") -> np.ndarray:
    """The full N x N representation ``kind`` of rows F (N, d), G (N, d) (for small N only).

    ``centre="rows"`` builds it from the column-centred rows (H K H), matching the sketches of
    :class:`KernelSketcher` with ``centre=True``; ``"kernel"`` from the raw rows. For
    ``"psi_hadamard"`` the centred rows are those of Psi, so the result is H (K_f o K_g) H.
    """
    F = _rows("F", F)
    G = None if G is None else _rows("G", G, n=F.shape[0])
    _choice("kind", kind, KINDS)
    if _needs_gradients(kind) and G is None:
        raise ValueError(f"kind={kind!r} needs gradients; got G=None")
    centre_rows = _choice("centre", centre, CENTRES) == "rows"

    def prep(X):
        return X - X.mean(axis=0) if centre_rows else X

    Kf = prep(F) @ prep(F).T
    Kg = None if G is None else prep(G) @ prep(G).T
    Kphi = None
    if kind == "phi_hadamard":
        if F.shape[1] != G.shape[1]:
            raise ValueError(f"kind='phi_hadamard' needs F and G of one width; got {F.shape[1]} and {G.shape[1]}")
        P = prep(F * G)
        Kphi = P @ P.T
    Kpsi = None
    if kind == "psi_hadamard":  # <psi_i, psi_j> = (f_i . f_j)(g_i . g_j), raw rows
        Kpsi = (F @ F.T) * (G @ G.T)
        Kpsi = centre_kernel(Kpsi) if centre_rows else Kpsi
    return combine(kind, Kf, Kg, Kphi, Kpsi)


def exact_similarity(F1, G1, F2, G2, kind: str = "hadamard", index: str = "cka",
                     centre: str = "rows") -> float:
    """CKA or NBS of the full N x N representations (the target of the sketch-accuracy study).

    Same arguments as :func:`sketched_similarity` without m and seed; memory O(N^2).
    """
    F1, F2 = _rows("F1", F1), _rows("F2", F2)
    if F1.shape[0] != F2.shape[0]:
        raise ValueError(f"F1 and F2 must have the same samples; got {F1.shape[0]} and {F2.shape[0]} rows")
    if G1 is None or G2 is None:
        kind = "features"
    K1 = exact_representation(F1, G1, kind, centre)
    K2 = exact_representation(F2, None if G1 is None else G2, kind, centre)
    return similarity(K1, K2, index, centre)


# --------------------------------------------------------------------------- eq. 16
def scka_bound(rho_cka, epsilon) -> float:
    """Eq. 16: |rho_SCKA - rho_CKA| <= 4 eps / (1 - eps)^2 rho_CKA, for a sketch with distortion eps.

    Holds whenever the three Frobenius norms ||Psi_a^T S^T S Psi_b||_F (a, b in {1, 2}) are within
    a factor (1 +- eps) of ||Psi_a^T Psi_b||_F (eqs. 15, 42; appendix D.5), e.g. with probability
    1 - delta for a JLT(eps, delta); with the realised eps of :func:`sketch_distortion` it holds
    for that sketch deterministically.
    """
    eps = float(epsilon)
    if not 0 <= eps < 1:
        raise ValueError(f"epsilon must be in [0, 1); got {epsilon!r}")
    rho = float(rho_cka)
    if not np.isfinite(rho) or rho < 0:
        raise ValueError(f"rho_cka must be a finite value >= 0; got {rho_cka!r}")
    return 4 * eps / (1 - eps) ** 2 * rho


def sketch_distortion(Psi1, Psi2, m: int, seed: int, centre: bool = True) -> float:
    """The realised eps of eqs. 15 and 42 for the CountSketch (m, seed) of rows Psi1 (N, d1), Psi2 (N, d2).

    max over (a, b) in {(1, 2), (1, 1), (2, 2)} of | ||Psi_a^T S^T S Psi_b||_F - ||Psi_a^T Psi_b||_F |
    / ||Psi_a^T Psi_b||_F, with Psi column-centred when ``centre`` (the rows the ``"rows"``
    convention sketches). Uses d x d products only: O(N d^2) time.
    """
    P = [_rows("Psi1", Psi1), _rows("Psi2", Psi2)]
    if P[0].shape[0] != P[1].shape[0]:
        raise ValueError("Psi1 and Psi2 must have the same rows (samples)")
    if centre:
        P = [X - X.mean(axis=0) for X in P]
    m, seed = _check_m(m), _check_seed(seed)
    buckets, signs = sketch_hashes(0, P[0].shape[0], m, seed)
    SP = [sketch_rows(X, buckets, signs, m) for X in P]
    eps = 0.0
    for a, b in ((0, 1), (0, 0), (1, 1)):
        exact = np.linalg.norm(P[a].T @ P[b])
        if exact == 0:
            raise ValueError("Psi_a^T Psi_b is zero; the relative distortion is undefined")
        eps = max(eps, abs(np.linalg.norm(SP[a].T @ SP[b]) - exact) / exact)
    return float(eps)


def countsketch_epsilon(m: int, delta: float, pairs: int = 1) -> float:
    """A distortion eps that a CountSketch of m buckets reaches with probability >= 1 - delta.

    For unit vectors x, y, <Sx, Sy> is unbiased with variance <= 2 / m (CountSketch with
    pairwise independent hashes; Woodruff 2014, sec. 2.1); Chebyshev and a union bound over
    ``pairs`` inner products (eq. 27 for every column pair: d1 d2) give eps = sqrt(2 pairs / (m delta)).
    Loose: for the Frobenius norms of eq. 15 the realised distortion is usually far smaller.
    """
    m = _check_m(m)
    if not 0 < delta < 1:
        raise ValueError(f"delta must be in (0, 1); got {delta!r}")
    return float(np.sqrt(2.0 * int(pairs) / (m * delta)))
