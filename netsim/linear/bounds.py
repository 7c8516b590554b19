"""Eigenvalue formulas and bounds of thesis sections 5.2-5.3: eqs. (5.2.7), (5.2.8), (5.2.10),
Lemmas 5.2.1-5.2.3 and the kernel bound (5.3.2).

Conventions: eigenvalues in descending order, index i = 1..n in the text is position i - 1
here. Lemma 5.2.3 and (5.2.10) speak of the *unnormalised* sums ``T P_1(T)`` (erratum of
STUDIES_THESIS D.1); ratios such as ``lambda_i / lambda_1`` do not depend on the normalisation.
"""
from __future__ import annotations

import math

import numpy as np

from .core import _positive, _steps, _vector, geometric_sum

__all__ = [
    "K_T_norm_bound", "sandwich_5_2_7", "lambda_sigma_w", "lambda_sigma_w_bound", "lambda_tilde",
    "rho", "lemma_5_2_1_bound", "lemma_5_2_2_bounds", "slope", "k_star", "split_index",
    "lemma_5_2_3_bound", "kernel_bound_5_3_2",
]


def K_T_norm_bound(lambda_K, alpha: float, T: int) -> tuple[float, float]:
    """The two right-hand sides of eq. (5.2.8):
    ``||K_T||_2 <= (1 - (1 - alpha lambda_1)^T) / (alpha T lambda_n) <= 1 / (alpha T lambda_n)``."""
    lam = _vector(lambda_K, "lambda_K")
    alpha, T = _positive(alpha, "alpha"), _steps(T)
    right = 1.0 / (alpha * T * lam[-1])
    return (1.0 - (1.0 - alpha * lam[0]) ** T) * right, right


def sandwich_5_2_7(eig_P1, lambda_P2: float) -> tuple[np.ndarray, np.ndarray]:
    """Weyl's sandwich (5.2.7) for the eigenvalues of ``P = P_1 - P_2``:
    ``max(lambda_{i+1}^{P_1}, lambda_i^{P_1} - lambda^{P_2}) <= lambda_i^P <= lambda_i^{P_1}``
    (for i = n only the second lower term exists). Returns ``(lower, upper)``."""
    e = _vector(eig_P1, "eig_P1")
    nxt = np.append(e[1:], -np.inf)
    return np.maximum(nxt, e - float(lambda_P2)), e


def lambda_sigma_w(lambda_K, alpha: float, T: int, sigma_w: float) -> np.ndarray:
    """``lambda_i^{sigma_w} = (sigma_w^2 / alpha) (1 - (1 - alpha lambda_i)^{2T}) / (2 - alpha lambda_i)``,
    the eigenvalues of ``sigma_w^2 sum_{t<T} K_d^{2t} K`` (sec. 5.2.2; the unnormalised
    ``T P_1^{sigma_w}(T)``, erratum of D.1)."""
    lam = _vector(lambda_K, "lambda_K")
    a = _positive(alpha, "alpha") * lam
    return _positive(sigma_w, "sigma_w", allow_zero=True) ** 2 * lam * geometric_sum(a * (2 - a), _steps(T))


def lambda_sigma_w_bound(lambda_K, alpha: float, T: int, sigma_w: float) -> np.ndarray:
    """Eq. (5.2.10): ``lambda_i^{sigma_w} <= (sigma_w^2 / alpha) min{1, 2 T alpha lambda_i} / (2 - alpha lambda_i)``."""
    lam = _vector(lambda_K, "lambda_K")
    alpha, T = _positive(alpha, "alpha"), _steps(T)
    return sigma_w**2 / alpha * np.minimum(1.0, 2 * T * alpha * lam) / (2 - alpha * lam)


def lambda_tilde(lambda_K, alpha: float, T: int) -> np.ndarray:
    """``lambda~_i = sum_{t<T} (1 - alpha lambda_i)^{2t}`` of Lemma 5.2.2
    (= lambda_i^{sigma_w} / (sigma_w^2 lambda_i))."""
    lam = _vector(lambda_K, "lambda_K")
    a = _positive(alpha, "alpha") * lam
    return geometric_sum(a * (2 - a), _steps(T))


def rho(lambda_K) -> float:
    """``rho = exp(pi^2 / (2 ln(8 lambda_1 / lambda_n - 4)))`` of Lemma 5.2.1."""
    lam = _vector(lambda_K, "lambda_K")
    return math.exp(math.pi**2 / (2 * math.log(8 * lam[0] / lam[-1] - 4)))


def lemma_5_2_1_bound(i, rho_value: float) -> np.ndarray:
    """Lemma 5.2.1: ``lambda^y_{1+2i} / lambda^y_1 <= 4 rho^{-2i} / (1 + rho^{-4i})^2`` for i = 0, 1, ..."""
    i = np.asarray(i, dtype=np.float64)
    return 4 * rho_value ** (-2 * i) / (1 + rho_value ** (-4 * i)) ** 2


def lemma_5_2_2_bounds(lambda_K, y_norm2: float, alpha: float, T: int) -> tuple[float, float]:
    """Lemma 5.2.2: ``||y||^2 <= lambda_1^y <= lambda~_n ||y||^2`` for the unnormalised ``T P_1^y(T)``."""
    return float(y_norm2), float(lambda_tilde(lambda_K, alpha, T)[-1] * y_norm2)


def slope(lambda_K) -> float:
    """The slope c of a spectrum, ``ln(lambda_1 / lambda_n) / (n - 1)`` (exact for ``exp(-c (i-1))``)."""
    lam = _vector(lambda_K, "lambda_K")
    return math.log(lam[0] / lam[-1]) / (len(lam) - 1)


def k_star(T: int, alpha: float, c: float, n: int, *, printed: bool = False) -> float:
    """``k* = min{ln(2 T alpha) / (2c), n/2}`` as used in the proof of Lemma 5.2.3.

    ``printed=True`` gives the statement's typeset ``min{ln(2 T alpha / (2c)), n/2}``
    (erratum of D.1: the proof's reading is the default).
    """
    T, alpha, c = _steps(T), _positive(alpha, "alpha"), _positive(c, "c")
    first = math.log(2 * T * alpha / (2 * c)) if printed else math.log(2 * T * alpha) / (2 * c)
    return min(first, n / 2)


def split_index(k: float) -> int:
    """The integer Weyl split used for a real ``k*``: ``max(1, floor(k*))`` (any integer split is
    valid in the proof; the floor keeps the index inside 1..n)."""
    return max(1, int(math.floor(k)))


def lemma_5_2_3_bound(lambda_K, alpha: float, T: int, sigma_w: float, y_norm2: float, *,
                      c: float | None = None, batch_size: int | None = None) -> np.ndarray:
    """Lemma 5.2.3: upper bounds on ``lambda_i^{P_1} / lambda_1^{P_1}``, i = 1..n.

    For ``i <= 2k``: ``min{1, 4 rho^{-(i-1)} + sigma_w^2 / (alpha ||y||^2)}``; otherwise
    ``4 rho^{-(k-1)} + (sigma_w^2 / (alpha ||y||^2)) min{1, 2 alpha T lambda_{i-k+1}^K}``, with
    ``k = split_index(k*)`` and ``k*`` from :func:`k_star`. ``c`` defaults to :func:`slope`.
    ``batch_size`` b gives the SGD version of sec. 5.3, where ``sigma_w^2 / alpha`` becomes
    ``sigma_w^2 / alpha + alpha / b`` in the head.
    """
    lam = _vector(lambda_K, "lambda_K")
    alpha, T, n = _positive(alpha, "alpha"), _steps(T), len(lam)
    k = split_index(k_star(T, alpha, slope(lam) if c is None else c, n))
    r = rho(lam)
    i = np.arange(1, n + 1)
    init = sigma_w**2 / alpha + (0.0 if batch_size is None else alpha / batch_size)
    head = np.minimum(1.0, 4 * r ** -(i - 1.0) + init / y_norm2)
    tail_index = np.clip(i - k, 0, n - 1)  # lambda_{i-k+1} at position i - k
    tail = 4 * r ** -(k - 1.0) + sigma_w**2 / (alpha * y_norm2) * np.minimum(1.0, 2 * alpha * T * lam[tail_index])
    return np.where(i <= 2 * k, head, tail)


def kernel_bound_5_3_2(lambda_Ks, alpha: float, T: int, sigma_w: float, y_norm2: float) -> np.ndarray:
    """Eq. (5.3.2): bound on ``lambda_i^{P_1} / lambda_1^{P_1}`` for the average of M kernels.

    ``lambda_Ks`` (M, n): spectra ``lambda^{K^(m)}`` of the Gram matrices (same largest
    eigenvalue). With ``j = floor((i-1)/M)`` and ``k = split_index(min_m ln(2 T alpha)/(2 c_m))``
    (c_m from :func:`slope`, capped at n/2 as in Lemma 5.2.3): for ``i <= 2k``
    ``min{1, (4/M) sum_m rho_m^{-j} + sigma_w^2/(alpha ||y||^2)}``, otherwise
    ``(1/M) sum_m [4 rho_m^{-(k-1)} + sigma_w^2 min{1, 2 alpha T lambda^{(m)}_{j-k+2}} / (alpha ||y||^2)]``
    (the sum over m read as covering both terms; the index ``j - k + 2`` clamped to >= 1, which
    keeps the bound valid because lambda_1 is the largest).
    """
    lams = np.atleast_2d(np.asarray(lambda_Ks, dtype=np.float64))
    alpha, T = _positive(alpha, "alpha"), _steps(T)
    M, n = lams.shape
    rhos = np.array([rho(lam) for lam in lams])
    k = split_index(min(k_star(T, alpha, slope(lam), n) for lam in lams))
    i = np.arange(1, n + 1)
    j = (i - 1) // M
    init = sigma_w**2 / (alpha * y_norm2)
    head = np.minimum(1.0, 4 / M * np.sum(rhos[:, None] ** -j[None, :], axis=0) + init)
    idx = np.clip(j - k + 1, 0, n - 1)  # lambda_{j-k+2} at position j - k + 1
    tail = np.mean(4 * rhos[:, None] ** -(k - 1.0) + init * np.minimum(1.0, 2 * alpha * T * lams[:, idx]), axis=0)
    return np.where(i <= 2 * k, head, tail)
