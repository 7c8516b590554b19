"""Conventions and closed forms of thesis section 5.2 (gradient descent on a linear model).

Adopted convention (STUDIES_THESIS D.1, which makes every formula of the chapter exact): a
scaled design ``A`` (n x d) with ``A A^T = K = U diag(lambda_K) U^T`` and the sloppy spectrum
``lambda_i^K = exp(-c (i - 1))``; targets ``y = A w*`` with ``w* ~ N(0, sigma_*^2 I_d)``;
initial weights ``w_0 ~ N(0, sigma_w^2 I_d)``; residual ``r(w) = A w - y`` and cost
``C(w) = ||r||^2 / 2``, so that gradient descent gives eq. (5.2.2) and
``E[r_0 r_0^T] = sigma_w^2 K + y y^T``.

Every matrix of the PCA analysis is diagonalised by ``U`` except ``y y^T``, so the closed
forms here work in K's eigenbasis: they take the eigenvalues ``lambda_K`` and the rotated
targets ``y_tilde = U^T y`` and return matrices in that basis (rotate back with
``U M U^T``). With ``q_i = 1 - alpha lambda_i`` every entry is a geometric sum, computed by
:func:`geometric_sum` without cancellation so that nothing is lost when
``alpha lambda_i`` is tiny (c = 1, n = 50 gives lambda_n ~ 1e-22).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.linalg import solve_discrete_lyapunov

__all__ = [
    "sloppy_spectrum", "LinearProblem", "make_problem", "target_draws", "geometric_sum",
    "K_d", "K_T", "K_T_eigenvalues", "PCAMatrix", "pca_matrix", "P_by_moments",
    "P1_y_lyapunov", "spectrum", "dimension", "phase_dimensions", "decay_rate",
]


def _positive(value, name: str, *, allow_zero: bool = False) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {value}")
    return value


def _steps(T, name: str = "T") -> int:
    if isinstance(T, (bool, np.bool_)) or int(T) != T or T < 1:
        raise ValueError(f"{name} must be a positive integer number of steps, got {T!r}")
    return int(T)


def _vector(x, name: str, n: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1 or (n is not None and len(x) != n):
        raise ValueError(f"{name} must be a vector{'' if n is None else f' of length {n}'}, got shape {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def sloppy_spectrum(n: int, c: float) -> np.ndarray:
    """The sloppy eigenvalues ``lambda_i^K = exp(-c (i - 1))``, i = 1..n (assumption (i), sec. 5.2)."""
    if int(n) != n or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return np.exp(-_positive(c, "c", allow_zero=True) * np.arange(int(n)))


def _haar_orthogonal(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A Haar-distributed matrix with orthonormal columns (QR with the sign fix)."""
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    return q * np.sign(np.diag(r))


@dataclass(frozen=True)
class LinearProblem:
    """One draw of the chapter's regression problem in the scaled-design convention.

    Attributes
    ----------
    A : (n, d) design with ``A A^T = K``; its rows are the (scaled) inputs.
    U : (n, n) orthogonal eigenvectors of K.
    lambda_K : (n,) eigenvalues of K, descending.
    w_star : (d,) true weights; y : (n,) targets ``A w_star``.
    c, sigma_star : the slope of the spectrum and the scale of ``w_star``.
    """

    A: np.ndarray
    U: np.ndarray
    lambda_K: np.ndarray
    w_star: np.ndarray
    y: np.ndarray
    c: float
    sigma_star: float

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def d(self) -> int:
        return self.A.shape[1]

    @property
    def K(self) -> np.ndarray:
        """The input-correlation matrix (NTK of the linear model), ``U diag(lambda_K) U^T``."""
        return (self.U * self.lambda_K) @ self.U.T

    @property
    def y_tilde(self) -> np.ndarray:
        """Targets in K's eigenbasis, ``U^T y``."""
        return self.U.T @ self.y

    def from_eigenbasis(self, M: np.ndarray) -> np.ndarray:
        """``U M U^T``: a matrix of the closed forms back in residual coordinates."""
        return self.U @ M @ self.U.T


def make_problem(n: int = 50, d: int = 100, c: float = 0.2, sigma_star: float = 1.0, seed=0) -> LinearProblem:
    """Draw ``A = U diag(sqrt(lambda_K)) V^T`` (U Haar orthogonal, V with Haar orthonormal columns)
    and ``w* ~ N(0, sigma_*^2 I_d)`` (D.1; assumptions (i)-(ii) of sec. 5.2 need ``n < d``)."""
    if int(d) != d or d <= n:
        raise ValueError(f"d must be an integer larger than n = {n} (over-parameterised, assumption (ii)), got {d!r}")
    rng = np.random.default_rng(seed)
    lam = sloppy_spectrum(n, c)
    U = _haar_orthogonal(rng, n, n)
    V = _haar_orthogonal(rng, int(d), n)
    A = (U * np.sqrt(lam)) @ V.T
    w_star = _positive(sigma_star, "sigma_star", allow_zero=True) * rng.standard_normal(int(d))
    return LinearProblem(A, U, lam, w_star, A @ w_star, float(c), float(sigma_star))


def target_draws(lambda_K, sigma_star: float, draws: int, seed=0) -> np.ndarray:
    """``draws`` independent ``y_tilde = U^T A w*`` (shape (draws, n)) without building A:
    ``U^T A w* = diag(sqrt(lambda_K)) V^T w*`` and ``V^T w* ~ N(0, sigma_*^2 I_n)``."""
    lam = _vector(lambda_K, "lambda_K")
    rng = np.random.default_rng(seed)
    scale = _positive(sigma_star, "sigma_star", allow_zero=True)
    return scale * np.sqrt(lam) * rng.standard_normal((int(draws), len(lam)))


def geometric_sum(delta, T) -> np.ndarray:
    """``sum_{t=0}^{T-1} (1 - delta)^t``, elementwise and broadcast, without cancellation.

    Written ``(1 - (1 - delta)^T) / delta`` it loses every digit when ``delta`` is below
    machine precision; here ``-expm1(T log1p(-delta)) / delta`` is used for small
    ``|delta|`` (and ``T`` at ``delta = 0``), the direct quotient elsewhere.
    """
    delta = np.asarray(delta, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    delta, T = np.broadcast_arrays(delta, T)
    small = np.abs(delta) < 0.5
    safe = np.where(small & (delta != 0), delta, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        stable = np.where(delta == 0, T, -np.expm1(T * np.log1p(-safe)) / safe)
        direct = (1.0 - (1.0 - delta) ** T) / np.where(small, 1.0, delta)
    return np.where(small, stable, direct)


def K_d(K, alpha: float) -> np.ndarray:
    """``K_d = I - alpha K``, the one-step map of the residuals (eq. 5.2.2)."""
    K = np.asarray(K, dtype=np.float64)
    return np.eye(len(K)) - _positive(alpha, "alpha") * K


def K_T_eigenvalues(lambda_K, alpha: float, T: int) -> np.ndarray:
    """Eigenvalues of ``K_T = (1/T) sum_{t<T} K_d^t = (alpha T)^{-1} K^{-1} (I - K_d^T)`` (eq. 5.2.4)."""
    lam = _vector(lambda_K, "lambda_K")
    T = _steps(T)
    return geometric_sum(_positive(alpha, "alpha") * lam, T) / T


def K_T(K, alpha: float, T: int) -> np.ndarray:
    """The matrix ``K_T`` of eq. (5.2.4) for a symmetric PSD ``K`` (through its eigenbasis)."""
    lam, U = np.linalg.eigh(np.asarray(K, dtype=np.float64))
    return (U * K_T_eigenvalues(lam, alpha, T)) @ U.T


@dataclass(frozen=True)
class PCAMatrix:
    """The PCA matrix ``P(T) = P_1^{sigma_w}(T) + P_1^y(T) - P_2(T)`` of eq. (5.2.5), N -> infinity.

    All parts are normalised by ``1/T`` as in eq. (5.2.3), expressed in the eigenbasis of the
    matrix that drives the dynamics. ``P_noise`` holds the two extra terms of the Langevin
    model of SGD (sec. 5.3); it is zero for gradient descent.
    """

    P1_sigma_w: np.ndarray
    P1_y: np.ndarray
    P2: np.ndarray
    T: int
    P_noise: np.ndarray = field(default=None)

    @property
    def P1(self) -> np.ndarray:
        """``P_1(T) = P_1^{sigma_w}(T) + P_1^y(T)`` (eq. 5.2.9 divided by T)."""
        return self.P1_sigma_w + self.P1_y

    @property
    def P(self) -> np.ndarray:
        noise = 0.0 if self.P_noise is None else self.P_noise
        return self.P1 + noise - self.P2

    @property
    def lambda_P2(self) -> float:
        """The single non-zero eigenvalue of ``P_2(T)``, ``||K_T y||^2``."""
        return float(np.trace(self.P2))


def pca_matrix(lambda_K, y_tilde, alpha: float, T: int, sigma_w: float, *, lambda_init=None) -> PCAMatrix:
    """Closed form of eq. (5.2.5) in K's eigenbasis (STUDIES_THESIS D.4).

    With ``q_i = 1 - alpha lambda_i``:
    ``[P_1^y]_ij = y~_i y~_j (1 - (q_i q_j)^T) / (T (1 - q_i q_j))``,
    ``P_1^{sigma_w} = diag(sigma_w^2 lambda_i (1 - q_i^{2T}) / (T (1 - q_i^2)))`` and
    ``P_2 = (K_T y~)(K_T y~)^T`` with ``(K_T)_ii = (1 - q_i^T) / (alpha T lambda_i)``.

    Parameters
    ----------
    lambda_K : (n,) eigenvalues of the matrix in the update ``r <- (I - alpha K) r``.
    y_tilde : (n,) targets in that eigenbasis; the mean initial residual is ``-y``.
    alpha, T, sigma_w : step size, number of recorded steps t = 0..T-1, init scale.
    lambda_init : (n,) eigenvalues of the initial residual covariance divided by
        ``sigma_w^2`` when they differ from ``lambda_K`` (weight decay); default ``lambda_K``.
    """
    lam = _vector(lambda_K, "lambda_K")
    yt = _vector(y_tilde, "y_tilde", len(lam))
    alpha, T = _positive(alpha, "alpha"), _steps(T)
    sigma_w = _positive(sigma_w, "sigma_w", allow_zero=True)
    lam_init = lam if lambda_init is None else _vector(lambda_init, "lambda_init", len(lam))
    a = alpha * lam
    P1_sigma_w = np.diag(sigma_w**2 * lam_init * geometric_sum(a * (2.0 - a), T) / T)
    delta = a[:, None] + a[None, :] - np.outer(a, a)  # 1 - q_i q_j, without cancellation
    P1_y = np.outer(yt, yt) * geometric_sum(delta, T) / T
    k = K_T_eigenvalues(lam, alpha, T) * yt
    return PCAMatrix(P1_sigma_w, P1_y, np.outer(k, k), T)


def P_by_moments(M, mean0, second0, T: int, *, offset=None, noise_cov=None) -> np.ndarray:
    """Brute-force ``P(T)`` of the affine recursion ``r_{t+1} = M r_t + offset + noise``.

    Propagates ``m_t = E[r_t]`` and ``S_t = E[r_t r_t^T]`` step by step and returns
    ``(1/T) sum_{t<T} S_t - rbar rbar^T`` with ``rbar = (1/T) sum_t m_t``: the N -> infinity
    limit of eq. (5.2.3) by direct matrix sums, the reference for every closed form.
    """
    M = np.asarray(M, dtype=np.float64)
    m = np.asarray(mean0, dtype=np.float64).copy()
    S = np.asarray(second0, dtype=np.float64).copy()
    b = np.zeros(len(m)) if offset is None else np.asarray(offset, dtype=np.float64)
    Q = 0.0 if noise_cov is None else np.asarray(noise_cov, dtype=np.float64)
    T = _steps(T)
    S_sum, m_sum = np.zeros_like(S), np.zeros_like(m)
    for _ in range(T):
        S_sum += S
        m_sum += m
        Mm = M @ m
        S = M @ S @ M.T + np.outer(Mm, b) + np.outer(b, Mm) + np.outer(b, b) + Q
        m = Mm + b
    rbar = m_sum / T
    return S_sum / T - np.outer(rbar, rbar)


def P1_y_lyapunov(K, y, alpha: float) -> np.ndarray:
    """``lim_{T->inf} T P_1^y(T) = sum_{t>=0} K_d^t y y^T K_d^t``: the solution of the discrete
    Lyapunov equation ``K_d P K_d^T - P + y y^T = 0`` (sec. 5.2.2), by scipy."""
    y = _vector(y, "y")
    return solve_discrete_lyapunov(K_d(K, alpha), np.outer(y, y))


def spectrum(M) -> np.ndarray:
    """Eigenvalues of a symmetric matrix (or a stack of them), in descending order."""
    return np.linalg.eigvalsh(np.asarray(M, dtype=np.float64))[..., ::-1]


def dimension(eigenvalues, fraction: float = 0.95) -> np.ndarray:
    """Number of leading eigenvalues that hold ``fraction`` of the trace (Fig. 5.3's dimensionality).

    ``eigenvalues`` (..., n) in descending order; returns an integer array of shape (...).
    """
    lam = np.asarray(eigenvalues, dtype=np.float64)
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    cum = np.cumsum(lam, axis=-1)
    return np.sum(cum < fraction * cum[..., -1:] * (1 - 1e-12), axis=-1) + 1


def phase_dimensions(lambda_K, y_tilde_unit, alpha: float, Ts, ratios, fraction: float = 0.95) -> np.ndarray:
    """Dimensionality of ``P(T)`` over a grid of T and ``sigma_* / sigma_w`` (Fig. 5.3).

    ``P(T)`` scales as ``sigma_w^2 P^{sigma_w} + sigma_*^2 (P_1^y - P_2)`` with unit-scale parts,
    so its dimensionality depends on the ratio only: each ratio r uses
    ``P^{sigma_w}(sigma_w = 1) + r^2 (P_1^y - P_2)(sigma_* = 1)``.

    Parameters
    ----------
    lambda_K : (n,) spectrum of K; y_tilde_unit : (draws, n) targets drawn with sigma_* = 1
    (:func:`target_draws`); Ts : step counts; ratios : values of sigma_* / sigma_w.

    Returns
    -------
    int array (draws, len(Ts), len(ratios)).
    """
    lam = _vector(lambda_K, "lambda_K")
    yt = np.atleast_2d(np.asarray(y_tilde_unit, dtype=np.float64))
    r2 = np.asarray(ratios, dtype=np.float64) ** 2
    a = _positive(alpha, "alpha") * lam
    delta = a[:, None] + a[None, :] - np.outer(a, a)
    out = np.empty((len(yt), len(Ts), len(r2)), dtype=int)
    for k, T in enumerate(Ts):
        T = _steps(T)
        init = np.diag(lam * geometric_sum(a * (2 - a), T) / T)
        kT = K_T_eigenvalues(lam, alpha, T) * yt
        targets = yt[:, :, None] * yt[:, None, :] * (geometric_sum(delta, T) / T) - kT[:, :, None] * kT[:, None, :]
        out[:, k] = dimension(spectrum(r2[None, :, None, None] * targets[:, None] + init), fraction)
    return out


def decay_rate(eigenvalues, floor: float = 1e-8) -> float:
    """Least-squares slope of ``-ln(lambda_i / lambda_1)`` against the index i, over the
    leading eigenvalues above ``floor * lambda_1`` (a per-index exponential decay rate)."""
    lam = np.asarray(eigenvalues, dtype=np.float64)
    ratio = lam / lam[0]
    keep = np.flatnonzero(ratio < floor)
    stop = keep[0] if len(keep) else len(lam)
    if stop < 2:
        raise ValueError(f"fewer than two eigenvalues above floor = {floor:g} times the largest")
    i = np.arange(stop)
    return float(-np.polyfit(i, np.log(ratio[:stop]), 1)[0])
