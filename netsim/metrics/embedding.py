"""InPCA: isometric embedding of a distance matrix in Minkowski space (thesis eqs. 2.2.6-2.2.9).

Classical multidimensional scaling double-centres a matrix of squared Euclidean
distances. InPCA applies the same construction to a matrix of Bhattacharyya distances,
which is not Euclidean: the centred matrix then has negative eigenvalues too. Keeping the
sign of each eigenvalue gives coordinates in a Minkowski space R^{p, m-p} in which the
embedding is exactly isometric (Theorem 2.5.1): sum_k sign(L_k) (X_uk - X_vk)^2 = D_uv.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg
import scipy.sparse.linalg

from ._validation import as_numpy, check_distance_matrix, check_positive_int

#: Eigenvalues below this fraction of the largest |eigenvalue| count as zero when new
#: points are added: |Lambda|^{-1/2} would amplify rounding noise (W always has the
#: constant vector in its null space, so a full decomposition has one such eigenvalue).
_ZERO_EIGENVALUE = 1e-12
#: The Lanczos fast path is used for k < m / 3; closer to m a dense eigh is faster.
_LANCZOS_MAX_FRACTION = 3


def _double_centre(D: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Eq. 2.2.6, W = -L D L / 2 with L = I - 11^T / m, applied without forming L.

    Returns W (m, m), the row means of D (m,) and its grand mean (what eq. 2.2.9 needs).
    """
    row_means = D.mean(axis=1)
    grand = float(row_means.mean())
    W = -0.5 * (D - row_means[:, None] - row_means[None, :] + grand)
    return W, row_means, grand


def minkowski_sq_distances(X, signature, Y=None) -> np.ndarray:
    """Squared Minkowski intervals ``sum_k s_k (X_ik - Y_jk)^2`` (eq. 2.2.7).

    Computed through the Gram expansion ``|x|^2 + |y|^2 - 2 <x, y>`` so memory stays
    O(m m2) rather than O(m m2 k).

    Parameters
    ----------
    X : array_like, shape (m, k)
    signature : array_like, shape (k,)
        +1 for space-like and -1 for time-like axes (``InPCA.signature``).
    Y : array_like, shape (m2, k), optional
        Defaults to X, in which case the diagonal is exactly zero.

    Returns
    -------
    numpy.ndarray, shape (m, m2)
        May be negative (time-like separations).
    """
    X = _check_coords("X", X)
    Y = X if Y is None else _check_coords("Y", Y)
    s = np.asarray(as_numpy(signature, "signature"), dtype=np.float64)
    if s.shape != (X.shape[1],) or Y.shape[1] != X.shape[1]:
        raise ValueError(
            f"signature (k,), X (m, k) and Y (m2, k) must agree in k; got signature "
            f"{s.shape}, X {X.shape}, Y {Y.shape}"
        )
    if not np.isin(s, (-1.0, 1.0)).all():
        raise ValueError("signature must hold only +1 and -1")
    out = ((X**2) @ s)[:, None] + ((Y**2) @ s)[None, :] - 2.0 * (X * s) @ Y.T
    if Y is X:
        np.fill_diagonal(out, 0.0)
    return out


def _check_coords(name: str, X) -> np.ndarray:
    X = np.asarray(as_numpy(X, name), dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array of shape (m, k); got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return X


@dataclass(frozen=True)
class InPCA:
    """Result of :func:`inpca`.

    Attributes
    ----------
    coords : numpy.ndarray, shape (m, k)
        Coordinates ``X = U sqrt(|Lambda|)``; k = m when all components were kept.
    eigenvalues : numpy.ndarray, shape (k,)
        Signed eigenvalues of W sorted by |value|, descending.
    eigenvectors : numpy.ndarray, shape (m, k)
        Orthonormal eigenvectors U, each with its largest-magnitude entry positive.
    total_sq : float
        ``||W||_F^2``, the sum of all m squared eigenvalues.
    dropped_sq : float
        Sum of the squared eigenvalues that were not kept: 0 when all m were computed,
        ``total_sq - sum(eigenvalues**2)`` after the Lanczos fast path. With it the
        explained stress is exact for every k up to the kept number (to ~1e-8 absolute
        after Lanczos, the rounding of that difference).
    row_means : numpy.ndarray, shape (m,)
        Row means of D; with ``grand_mean`` the centring terms of eq. 2.2.9.
    grand_mean : float
        Mean of all entries of D.
    weights : numpy.ndarray of shape (m,), optional
        Normalised multiplicities of a weighted InPCA (:func:`weighted_inpca`); row means
        and grand mean are then weighted, and eigenvectors satisfy ``U_i^T diag(w) U_i = 1``.
    """

    coords: np.ndarray
    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    total_sq: float
    dropped_sq: float
    row_means: np.ndarray
    grand_mean: float
    weights: np.ndarray | None = None

    @property
    def signature(self) -> np.ndarray:
        """+1 for space-like (positive) and -1 for time-like (negative) components."""
        return np.where(self.eigenvalues < 0, -1.0, 1.0)

    def explained_stress(self, k: int) -> float:
        """Explained stress of the top ``k`` components (eq. 2.2.8).

        ``1 - sqrt(sum_{i > k} Lambda_i^2 / sum_i Lambda_i^2)`` for k from 1 to the
        number of computed components; the tail includes ``dropped_sq``, so k = m
        gives exactly 1.
        """
        k = self._check_k(k)
        if self.total_sq == 0:
            return 1.0
        rest = float((self.eigenvalues[k:] ** 2).sum()) + self.dropped_sq
        return 1.0 - float(np.sqrt(rest / self.total_sq))

    def _check_k(self, k) -> int:
        k = check_positive_int("k", k)
        if k > len(self.eigenvalues):
            raise ValueError(f"k = {k} exceeds the {len(self.eigenvalues)} computed components")
        return k

    def distances(self, k: int | None = None) -> np.ndarray:
        """Squared Minkowski distances (m, m) from the top ``k`` components (default all).

        With every component this reproduces D (Theorem 2.5.1).
        """
        k = len(self.eigenvalues) if k is None else self._check_k(k)
        return minkowski_sq_distances(self.coords[:, :k], self.signature[:k])

    def transform(self, D_new) -> np.ndarray:
        """Place new points given their distances to the embedded ones (eq. 2.2.9).

        ``W_wu = -(1/2) d(w, u) + (1/2) (mean_u' d(w, u') + mean_u' d(u, u')
        - mean_{u', v'} d(u', v'))``, which is eq. 2.2.9 with ``w`` in place of ``u``
        (for an embedded point it is exactly its row of W), and
        ``X_wk = sign(Lambda_k) |Lambda_k|^{-1/2} sum_u W_wu U_uk``. The sign factor
        corrects the printed eq. 2.2.9, which would flip time-like coordinates; with it,
        re-adding an embedded point reproduces its coordinates. Components whose
        eigenvalue is numerically zero get coordinate 0.

        Parameters
        ----------
        D_new : array_like, shape (m_new, m) or (m,)
            Distances from each new point to the m embedded points, e.g.
            ``pairwise_bhattacharyya(P_new, Q=P)``.
            The joint train/test embedding (eq. 2.3.1) is this call with *test*
            distances ``d_B(P'_w, P'_u)`` on an embedding of the train models: eq.
            2.3.1's centring terms are train quantities, and the one that depends on w
            only (its row mean) is constant over u, so it is annihilated by the centred
            eigenvectors; the same holds here, so no separate centring input is needed.

        Returns
        -------
        numpy.ndarray, shape (m_new, k), or (k,) for a 1-D ``D_new``.
        """
        D_new = np.asarray(as_numpy(D_new, "D_new"), dtype=np.float64)
        m = len(self.row_means)
        if D_new.ndim not in (1, 2) or D_new.shape[-1] != m:
            raise ValueError(
                f"D_new must have shape (m_new, {m}) or ({m},): distances to the {m} "
                f"embedded points; got shape {D_new.shape}"
            )
        if not np.isfinite(D_new).all():
            raise ValueError("D_new contains NaN or infinite values")
        rows = np.atleast_2d(D_new)
        w = np.full(m, 1.0 / m) if self.weights is None else self.weights
        W_new = -0.5 * (rows - (rows @ w)[:, None] - self.row_means + self.grand_mean)
        lam = self.eigenvalues
        nonzero = np.abs(lam) > _ZERO_EIGENVALUE * np.abs(lam).max()
        scale = np.zeros_like(lam)
        scale[nonzero] = np.sign(lam[nonzero]) / np.sqrt(np.abs(lam[nonzero]))
        vectors = self.eigenvectors if self.weights is None else self.eigenvectors * self.weights[:, None]
        X_new = (W_new @ vectors) * scale
        return X_new if D_new.ndim == 2 else X_new[0]


def inpca(D, n_components: int | None = None) -> InPCA:
    """Intensive PCA of a distance matrix (thesis eqs. 2.2.6-2.2.8).

    ``W = -L D L / 2`` (eq. 2.2.6) is eigendecomposed, eigenvalues are sorted by
    magnitude and the coordinates are ``X = U sqrt(|Lambda|)``; with every component,
    ``sum_k sign(Lambda_k) (X_uk - X_vk)^2 = D_uv`` exactly (eq. 2.2.7, Theorem 2.5.1).

    Parameters
    ----------
    D : array_like, shape (m, m)
        Symmetric distances with zero diagonal (e.g. from ``pairwise_bhattacharyya``);
        asymmetry and a diagonal within 1e-6 of the largest entry are rounded away.
    n_components : int, optional
        ``None`` keeps all m components (dense ``scipy.linalg.eigh``). An integer k in
        [1, m] computes only the top k by magnitude, from both ends of the spectrum,
        with Lanczos (``scipy.sparse.linalg.eigsh``, deterministic start vector) when
        k < m / 3, the fast path for m in the thousands; otherwise a dense ``eigh`` is
        truncated.

    Returns
    -------
    InPCA
    """
    D = check_distance_matrix("D", D)
    m = D.shape[0]
    if n_components is not None:
        n_components = check_positive_int("n_components", n_components)
        if n_components > m:
            raise ValueError(f"n_components must be <= m = {m}; got {n_components}")
    W, row_means, grand = _double_centre(D)
    total_sq = float(np.sum(W**2))
    k = m if n_components is None else n_components
    lanczos = _LANCZOS_MAX_FRACTION * k < m
    if lanczos:
        # Seeded start vector so the same input always gives the same output.
        values, vectors = scipy.sparse.linalg.eigsh(W, k=k, which="LM", v0=lanczos_start(m))
    else:
        values, vectors = scipy.linalg.eigh(W)
    return _inpca_of_eigenpairs(values, vectors, k, total_sq, row_means, grand, every_eigenvalue=not lanczos)


def lanczos_start(m: int) -> np.ndarray:
    """The seeded Lanczos start vector of :func:`inpca` (not the constant vector, which W maps to 0)."""
    return np.random.default_rng(0).standard_normal(m)


def _inpca_of_eigenpairs(values, vectors, k: int, total_sq: float, row_means, grand: float,
                         every_eigenvalue: bool) -> InPCA:
    """Sort eigenpairs by magnitude, keep k, fix signs and scale: the common end of every InPCA.

    ``every_eigenvalue``: the pairs are the whole spectrum (dense), so the dropped variance is the
    sum of the rest; else (Lanczos) it is ``total_sq`` minus what was kept.
    """
    order = np.argsort(-np.abs(values), kind="stable")
    values, vectors = values[order], vectors[:, order]
    if every_eigenvalue:
        dropped_sq = float((values[k:] ** 2).sum())
        values, vectors = values[:k], vectors[:, :k]
    else:
        dropped_sq = max(total_sq - float((values**2).sum()), 0.0)
    # Fix each eigenvector's sign (largest entry positive) so embeddings are reproducible.
    flip = np.sign(vectors[np.argmax(np.abs(vectors), axis=0), np.arange(vectors.shape[1])])
    vectors = vectors * np.where(flip == 0, 1.0, flip)
    coords = vectors * np.sqrt(np.abs(values))
    return InPCA(coords, values, vectors, total_sq, dropped_sq, row_means, grand)


def weighted_inpca(D, weights) -> InPCA:
    """InPCA of points with multiplicities (thesis 2.5.3.2).

    With ``w = mu / sum(mu)`` and ``L = I - 1 w^T`` (``L_uv = delta_uv - w_v``; the text's
    ``-w_u`` is an erratum), ``W = -L D L^T / 2`` and ``W diag(w) u = lambda u`` with
    ``u^T diag(w) u = 1``; coordinates ``X = u sqrt(|lambda|)``. Integer multiplicities give
    the InPCA of the repeated points (eigenvalues divided by ``sum(mu)``); points of weight
    0 do not shape the embedding and are placed as by eq. 2.2.9. Computed through the
    symmetric matrix ``diag(sqrt w) W diag(sqrt w)``; every non-zero component is kept.

    Parameters
    ----------
    D : array_like, shape (m, m)
    weights : array_like, shape (m,)
        Non-negative multiplicities, not all zero.

    Returns
    -------
    InPCA
        With ``weights`` set (normalised), so :meth:`InPCA.transform` adds points with
        the weighted centring.
    """
    D = check_distance_matrix("D", D)
    mu = np.asarray(as_numpy(weights, "weights"), dtype=np.float64)
    if mu.shape != (D.shape[0],) or not np.isfinite(mu).all() or (mu < 0).any() or mu.sum() <= 0:
        raise ValueError(f"weights must be {D.shape[0]} finite non-negative values with a positive sum")
    w = mu / mu.sum()
    row_means = D @ w
    grand = float(w @ row_means)
    W = -0.5 * (D - row_means[:, None] - row_means[None, :] + grand)
    root = np.sqrt(w)
    values, V = scipy.linalg.eigh(root[:, None] * W * root[None, :])
    total_sq = float((values**2).sum())
    keep = np.abs(values) > _ZERO_EIGENVALUE * max(np.abs(values).max(), 1e-300)
    order = np.argsort(-np.abs(values[keep]), kind="stable")
    values, V = values[keep][order], V[:, keep][:, order]
    U = (W @ (root[:, None] * V)) / values  # W diag(w) u = lambda u, u^T diag(w) u = 1
    flip = np.sign(U[np.argmax(np.abs(U), axis=0), np.arange(U.shape[1])])
    U = U * np.where(flip == 0, 1.0, flip)
    coords = U * np.sqrt(np.abs(values))
    return InPCA(coords, values, U, total_sq, 0.0, row_means, grand, weights=w)


def kabsch_umeyama(X, Y, *, reflections: bool = True) -> tuple[np.ndarray, float]:
    """Align point set X to Y by translation and an orthogonal map (Kabsch-Umeyama).

    Finds ``R`` and ``t`` minimising ``sum_i ||R x_i + t - y_i||^2`` (thesis Fig. 2.10:
    translation, rotation and sign flips; no scaling). With ``reflections=False`` R is a
    proper rotation (det +1).

    Parameters
    ----------
    X, Y : array_like, shape (m, k)

    Returns
    -------
    aligned : numpy.ndarray, shape (m, k), the transformed X.
    rmsd : float, ``sqrt(mean_i ||aligned_i - y_i||^2)``.
    """
    X, Y = _check_coords("X", X), _check_coords("Y", Y)
    if X.shape != Y.shape:
        raise ValueError(f"X and Y must have the same shape; got {X.shape} and {Y.shape}")
    mx, my = X.mean(axis=0), Y.mean(axis=0)
    A, B = X - mx, Y - my
    U, _, Vt = np.linalg.svd(A.T @ B)
    if not reflections and np.linalg.det(U @ Vt) < 0:
        U[:, -1] *= -1
    aligned = A @ (U @ Vt) + my
    return aligned, float(np.sqrt(((aligned - Y) ** 2).sum(axis=1).mean()))


def explained_pairwise_distance(D, X, signature) -> float:
    """Share of pairwise distances an embedding preserves (thesis eq. 2.4.2).

    1 - sum_ij |D_ij - ||X_i - X_j||^2| / sum_ij D_ij, with the Minkowski norm of
    ``signature`` over the retained coordinates.

    Parameters
    ----------
    D : array_like, shape (m, m)
        The distances that were embedded.
    X : array_like, shape (m, k)
        Retained coordinates, e.g. ``result.coords[:, :k]``.
    signature : array_like, shape (k,)
        Signs of the retained components, e.g. ``result.signature[:k]``.

    Returns
    -------
    float
        1 for a perfect reconstruction; can be negative for a poor one.
    """
    D = check_distance_matrix("D", D)
    X = _check_coords("X", X)
    if X.shape[0] != D.shape[0]:
        raise ValueError(f"X must have one row per point of D, ({D.shape[0]}, k); got {X.shape}")
    total = D.sum()
    if total <= 0:
        raise ValueError("D must have a positive sum of distances")
    return 1.0 - float(np.abs(D - minkowski_sq_distances(X, signature)).sum() / total)
