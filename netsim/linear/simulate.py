"""Simulated training runs of chapter 5 and the Monte Carlo PCA matrix ``P(N, T)`` (eq. 5.2.3).

Every simulator is a generator over t = 0..T-1 that yields the residuals ``r_t = A w_t - y``
of N models at once, shape (N, n), so that :class:`PCAAccumulator` can form ``P(N, T)`` for
several T from one run without storing the trajectories.
"""
from __future__ import annotations

from typing import Iterable, Iterator

import numpy as np

from .core import _positive, _steps

__all__ = [
    "PCAAccumulator", "monte_carlo_P", "initial_weights", "gd_residuals", "sgd_residuals",
    "langevin_residuals", "deep_linear_init", "deep_linear_residuals", "linearised_residuals",
]


class PCAAccumulator:
    """Streaming ``P(N, T) = (1/(N T)) sum_{i,t} (r_t^(i) - rbar)(r_t^(i) - rbar)^T`` (eq. 5.2.3)."""

    def __init__(self, n: int):
        self._second = np.zeros((n, n))
        self._first = np.zeros(n)
        self.points = 0
        self.steps = 0

    def add(self, R: np.ndarray) -> None:
        """Add the residuals ``R`` (N, n) of all models at one step."""
        self._second += R.T @ R
        self._first += R.sum(axis=0)
        self.points += len(R)
        self.steps += 1

    @property
    def P(self) -> np.ndarray:
        """``P(N, T)`` for the steps added so far."""
        mean = self._first / self.points
        return self._second / self.points - np.outer(mean, mean)

    @property
    def scatter(self) -> np.ndarray:
        """The time-summed scatter ``T P(N, T)`` (the normalisation of Fig. 5.1, erratum of D.1)."""
        return self.steps * self.P


def monte_carlo_P(residuals: Iterable[np.ndarray], Ts) -> dict[int, np.ndarray]:
    """``P(N, T)`` for every T in ``Ts`` from one stream of residuals (steps t = 0, 1, ...)."""
    wanted = sorted({_steps(T) for T in Ts})
    out, acc = {}, None
    for t, R in enumerate(residuals, start=1):
        acc = acc or PCAAccumulator(R.shape[1])
        acc.add(R)
        if t in wanted:
            out[t] = acc.P
            if t == wanted[-1]:
                break
    missing = [T for T in wanted if T not in out]
    if missing:
        raise ValueError(f"the residual stream ended before T = {missing}")
    return out


def initial_weights(N: int, d: int, sigma_w: float, seed=0) -> np.ndarray:
    """N initial weight vectors ``w_0 ~ N(0, sigma_w^2 I_d)``, shape (N, d)."""
    scale = _positive(sigma_w, "sigma_w", allow_zero=True)
    return scale * np.random.default_rng(seed).standard_normal((int(N), int(d)))


def gd_residuals(A, y, W0, alpha: float, T: int, *, weight_decay: float = 0.0) -> Iterator[np.ndarray]:
    """Gradient descent on ``||A w - y||^2 / 2 + (weight_decay / 2) ||w||^2`` from each row of W0."""
    A, y = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    W = np.array(W0, dtype=np.float64)
    alpha = _positive(alpha, "alpha")
    for _ in range(_steps(T)):
        R = W @ A.T - y
        yield R
        W -= alpha * (R @ A + weight_decay * W)


def sgd_residuals(A, y, W0, alpha: float, T: int, batch_size: int, seed=0) -> Iterator[np.ndarray]:
    """Minibatch SGD: ``w_{t+1} = w_t - alpha (n/b) sum_{k<b} a_{omega_k} r_{omega_k}`` with
    ``omega_k`` uniform on 1..n (with replacement), an unbiased estimate of ``A^T r`` (sec. 5.3)."""
    A, y = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    W = np.array(W0, dtype=np.float64)
    rng = np.random.default_rng(seed)
    n, b = len(y), int(batch_size)
    offsets = n * np.arange(len(W))[:, None]
    for _ in range(_steps(T)):
        R = W @ A.T - y
        yield R
        # how often each sample is drawn in each model's minibatch: sum_k a_{omega_k} r_{omega_k} = A^T (counts * r)
        counts = np.bincount((rng.integers(n, size=(len(W), b)) + offsets).ravel(), minlength=len(W) * n)
        W -= alpha * (n / b) * (counts.reshape(len(W), n) * R) @ A


def langevin_residuals(A, y, W0, alpha: float, T: int, batch_size: int, seed=0) -> Iterator[np.ndarray]:
    """Langevin model of SGD (eq. 5.3.1): ``w_{t+1} = w_t - alpha A^T r_t + (alpha/sqrt(b)) xi_t`` with
    ``xi_t ~ N(0, A^T A)`` (input second moment, so ``A D A^T = K^2`` as the thesis uses)."""
    A, y = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    W = np.array(W0, dtype=np.float64)
    rng = np.random.default_rng(seed)
    scale = alpha / np.sqrt(batch_size)
    for _ in range(_steps(T)):
        R = W @ A.T - y
        yield R
        W -= alpha * (R @ A) - scale * rng.standard_normal((len(W), len(y))) @ A


def deep_linear_init(N: int, p: int, d: int, scale: float, *, balanced: bool, seed=0):
    """Initial ``(u, v)`` of N two-layer linear networks ``y = u^T v x`` (sec. 5.3).

    ``u ~ N(0, scale^2 I_p)``. Balanced: ``v = u s^T`` with s uniform on the unit sphere, so
    ``v v^T = u u^T``. Unbalanced (Gaussian): ``v_kl ~ N(0, scale^2 / d)``, which gives the same
    expected ``||v||_F^2 = p scale^2`` as the balanced one.
    """
    rng = np.random.default_rng(seed)
    u = scale * rng.standard_normal((int(N), int(p)))
    if balanced:
        s = rng.standard_normal((int(N), int(d)))
        s /= np.linalg.norm(s, axis=1, keepdims=True)
        return u, u[:, :, None] * s[:, None, :]
    return u, scale / np.sqrt(d) * rng.standard_normal((int(N), int(p), int(d)))


def deep_linear_residuals(A, y, u0, v0, alpha: float, T: int):
    """Gradient descent on ``||A v^T u - y||^2 / 2`` for N networks at once.

    Yields ``(R, u, v)`` at t = 0..T-1 (the current residuals (N, n) and parameters); the
    updates ``u <- u - alpha v A^T r``, ``v <- v - alpha u (A^T r)^T`` are simultaneous.
    """
    A, y = np.asarray(A, dtype=np.float64), np.asarray(y, dtype=np.float64)
    u, v = np.array(u0, dtype=np.float64), np.array(v0, dtype=np.float64)
    alpha = _positive(alpha, "alpha")
    for _ in range(_steps(T)):
        R = np.einsum("kp,kpd->kd", u, v) @ A.T - y
        yield R, u, v
        g = R @ A  # (N, d), gradient with respect to w = v^T u
        u, v = u - alpha * np.einsum("kpd,kd->kp", v, g), v - alpha * u[:, :, None] * g[:, None, :]


def linearised_residuals(K0, R0, alpha: float, T: int) -> Iterator[np.ndarray]:
    """Linear dynamics ``r_{t+1} = (I - alpha K0^(k)) r_t`` with each network's frozen kernel
    ``K0`` (N, n, n) from residuals ``R0`` (N, n): the first-order model (5.3.3) with K fixed."""
    K0 = np.asarray(K0, dtype=np.float64)
    R = np.array(R0, dtype=np.float64)
    for _ in range(_steps(T)):
        yield R
        R = R - alpha * np.einsum("kij,kj->ki", K0, R)
