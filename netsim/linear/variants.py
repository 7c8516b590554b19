"""Closed forms for the variants of thesis section 5.3: SGD as Langevin dynamics (5.3.1),
M kernel machines, weight decay; and the kernel of a two-layer (deep) linear network (5.3.3)."""
from __future__ import annotations

import numpy as np

from .core import K_T_eigenvalues, PCAMatrix, _positive, _steps, _vector, geometric_sum, pca_matrix

__all__ = [
    "P_xi_eigenvalues", "noise_sum_printed", "pca_matrix_langevin", "rbf_gram", "pca_matrix_kernels",
    "pca_matrix_weight_decay", "kernel_uv",
]


def P_xi_eigenvalues(lambda_K, alpha: float, batch_size: int) -> np.ndarray:
    """Eigenvalues of ``P_xi = (alpha^2/b) (I - K_d^2)^{-1} K^2 = (alpha/b) (2I - alpha K)^{-1} K``,
    the stationary solution of ``K_d P K_d^T - P + (alpha^2/b) K^2 = 0`` (sec. 5.3, SGD)."""
    lam = _vector(lambda_K, "lambda_K")
    alpha = _positive(alpha, "alpha")
    return alpha / batch_size * lam / (2 - alpha * lam)


def noise_sum_printed(lambda_K, alpha: float, batch_size: int, T: int) -> np.ndarray:
    """The printed simplification ``sum_{t<T} K_d^t P_xi K_d^t = (1/b)(2I - alpha K)^{-2}(I - K_d^{2T})``
    (sec. 5.3), as eigenvalues."""
    lam = _vector(lambda_K, "lambda_K")
    a = _positive(alpha, "alpha") * lam
    return (1 - (1 - a) ** (2 * _steps(T))) / (batch_size * (2 - a) ** 2)


def pca_matrix_langevin(lambda_K, y_tilde, alpha: float, T: int, sigma_w: float, batch_size: int) -> PCAMatrix:
    """``P(T)`` of gradient descent with Langevin noise ``(alpha/sqrt(b)) xi_t``, ``A D A^T = K^2`` (eq. 5.3.1).

    ``sum_t E[r_t r_t^T] = sum_t K_d^t (sigma_w^2 K + y y^T) K_d^t + T P_xi - sum_t K_d^t P_xi K_d^t``,
    so ``P_noise = P_xi - (1/T) sum_{t<T} K_d^t P_xi K_d^t`` is added to eq. (5.2.5), which is unchanged.
    """
    base = pca_matrix(lambda_K, y_tilde, alpha, T, sigma_w)
    lam = _vector(lambda_K, "lambda_K")
    a = alpha * lam
    P_xi = P_xi_eigenvalues(lam, alpha, batch_size)
    decayed = P_xi * geometric_sum(a * (2 - a), T) / T  # (1/T) sum_t q^{2t} P_xi, without cancellation
    return PCAMatrix(base.P1_sigma_w, base.P1_y, base.P2, base.T, P_noise=np.diag(P_xi - decayed))


def rbf_gram(X, bandwidth: float) -> np.ndarray:
    """Gram matrix ``K_ij = k(x_i, x_j) / n`` of the RBF kernel ``exp(-||x - x'||^2 / (2 h^2))`` (sec. 5.3)."""
    X = np.asarray(X, dtype=np.float64)
    sq = np.sum(X**2, axis=1)
    dist2 = np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0.0)
    return np.exp(-dist2 / (2 * _positive(bandwidth, "bandwidth") ** 2)) / len(X)


def pca_matrix_kernels(Ks, y, alpha: float, T: int, sigma_w: float):
    """``P(M, T) = (1/M) sum_m P_1^{(m)}(T) - K_{T,M} y y^T K_{T,M}`` for M kernel machines (sec. 5.3).

    ``Ks`` (M, n, n): Gram matrices; machine m starts from residuals with mean ``-y`` and
    covariance ``sigma_w^2 K^(m)`` (random features). Returns ``(P, P1)`` in residual
    coordinates: the PCA matrix over all machines and the average ``(1/M) sum_m P_1^{(m)}(T)``.
    """
    Ks = np.asarray(Ks, dtype=np.float64)
    y = _vector(y, "y", Ks.shape[-1])
    P1, mean = np.zeros_like(Ks[0]), np.zeros_like(y)
    for K in Ks:
        lam, U = np.linalg.eigh(K)
        lam = np.maximum(lam, 0.0)  # round-off of a PSD Gram matrix
        P1 += U @ pca_matrix(lam, U.T @ y, alpha, T, sigma_w).P1 @ U.T
        mean += U @ (K_T_eigenvalues(lam, alpha, T) * (U.T @ y))  # K_T^(m) y
    P1, mean = P1 / len(Ks), mean / len(Ks)
    return P1 - np.outer(mean, mean), P1


def pca_matrix_weight_decay(lambda_K, y_tilde, alpha: float, T: int, sigma_w: float, weight_decay: float,
                            *, exact: bool = True) -> PCAMatrix:
    """``P(T)`` of gradient descent on ``C(w) + (lambda/2) ||w||^2`` (sec. 5.3, weight decay).

    The exact update is affine, ``r_{t+1} = (I - alpha K_lambda) r_t - alpha lambda y`` with
    ``K_lambda = K + lambda I``; around its fixed point ``r* = -lambda K_lambda^{-1} y`` it is
    linear, and PCA ignores the shift, so ``P(T)`` is eq. (5.2.5) with dynamics ``K_lambda``,
    initial covariance ``sigma_w^2 K`` and effective targets ``K K_lambda^{-1} y``.
    ``exact=False`` gives the thesis's reading (the ``-alpha lambda y`` term dropped): the same
    with the targets ``y`` themselves.
    """
    lam = _vector(lambda_K, "lambda_K")
    wd = _positive(weight_decay, "weight_decay", allow_zero=True)
    yt = _vector(y_tilde, "y_tilde", len(lam))
    targets = yt * lam / (lam + wd) if exact else yt
    return pca_matrix(lam + wd, targets, alpha, T, sigma_w, lambda_init=lam)


def kernel_uv(A, u, v) -> np.ndarray:
    """Kernel of the two-layer linear network ``y = u^T v x`` (eq. 5.3.3),
    ``K(u, v)_ij = a_i^T (v^T v + ||u||^2 I) a_j`` (the text's ``u^T u`` is the scalar ``||u||^2``).

    ``u`` (N, p) and ``v`` (N, p, d) for N networks; returns (N, n, n).
    """
    A = np.asarray(A, dtype=np.float64)
    VA = np.asarray(v) @ A.T  # (N, p, n)
    return VA.transpose(0, 2, 1) @ VA + np.sum(np.asarray(u) ** 2, axis=1)[:, None, None] * (A @ A.T)
