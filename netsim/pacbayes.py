"""PAC-Bayes bounds (thesis chapter 4). This module starts with the kl inverse.

kl(q || p) = q log(q/p) + (1-q) log((1-q)/(1-p)) is the binary KL divergence in nats; the
PAC-Bayes-kl bound (eq. 4.2.1) reads kl(e^(Q) || e(Q)) <= B, so the bound on the error is
the largest p with kl(q || p) <= B.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq


def binary_kl(q: float, p: float) -> float:
    """kl(q || p) in nats for Bernoulli parameters q, p in [0, 1] (0 log 0 = 0; inf when p excludes q)."""
    for name, value in (("q", q), ("p", p)):
        if not (isinstance(value, (int, float, np.floating, np.integer)) and 0.0 <= value <= 1.0):
            raise ValueError(f"{name} must be a number in [0, 1]; got {value!r}")

    def term(a: float, b: float) -> float:
        if a == 0.0:
            return 0.0
        return math.inf if b == 0.0 else a * math.log(a / b)

    return term(q, p) + term(1.0 - q, 1.0 - p)


def kl_inverse(q: float, bound: float) -> float:
    """The largest p in [q, 1] with kl(q || p) <= bound (thesis eq. 4.2.1, natural logarithm).

    Parameters
    ----------
    q : float in [0, 1], e.g. the empirical error of the posterior.
    bound : float >= 0, e.g. (KL(Q, P) + log(n / delta)) / (n - 1).

    Returns
    -------
    float in [q, 1]; 1 when even p -> 1 satisfies the bound (vacuous).
    """
    if not (isinstance(q, (int, float, np.floating, np.integer)) and 0.0 <= q <= 1.0):
        raise ValueError(f"q must be a number in [0, 1]; got {q!r}")
    if not (isinstance(bound, (int, float, np.floating, np.integer)) and bound >= 0 and math.isfinite(bound)):
        raise ValueError(f"bound must be a finite number >= 0; got {bound!r}")
    q, bound = float(q), float(bound)
    if bound == 0.0 or q == 1.0:
        return q
    if q == 0.0:
        return -math.expm1(-bound)  # closed form: kl(0 || p) = -log(1 - p)
    # kl(q || p) increases on [q, 1) from 0 to infinity: one root.
    upper = 1.0 - 1e-15
    if binary_kl(q, upper) <= bound:
        return 1.0
    return brentq(lambda p: binary_kl(q, p) - bound, q, upper, xtol=1e-14, rtol=1e-14)
