"""PAC-Bayes bounds (thesis chapter 4): kl inverse, Gaussian KL, the analytical posterior (Method 1).

kl(q || p) = q log(q/p) + (1-q) log((1-q)/(1-p)) is the binary KL divergence in nats; the
PAC-Bayes-kl bound (eq. 4.2.1) reads kl(e^(Q) || e(Q)) <= B, so the bound on the error is
the largest p with kl(q || p) <= B.

Chapter 4.3 additions: the Gaussian KL (eq. 4.7.1), Method 1's analytical posterior
(eqs. 4.3.3-4.3.4) with the Hessian of the *bits* loss (see netsim.metrics.curvature for the
units), the prior-scale grid and its union-bound penalty (4.7.2.1, 4.7.3.1), the kl-inverse
and Pinsker forms of the bound, a Monte Carlo e^(Q) and the loose bound (4.4.4). All KLs are
in nats. [NG] defaults of study C.1: delta = 0.05, b = 10, eps0 = 1e4.

Proposals of this compendium (issue 5), not thesis results: :class:`FIMPriorPosterior`
(Method 1 with a prior covariance shaped by the diagonal FIM at initialisation) and
:func:`optimise_diagonal_posterior` (a diagonal Gaussian posterior optimised against a
differentiable surrogate of the bound, after Dziugaite and Roy, 2017), with the helpers
:func:`diagonal_gaussian_kl`, :class:`DiagonalPosterior` and :func:`grid_index`.
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


# --------------------------------------------------------------------------- chapter 4.3
#: [NG] defaults of study C.1: confidence, grid resolution and largest prior precision.
DELTA = 0.05
GRID_B = 10.0
GRID_EPS0 = 1e4


def _check_real(name: str, value, minimum: float | None = None, strict: bool = True,
                integer: bool = False) -> float:
    kind = (int, np.integer) if integer else (int, float, np.floating, np.integer)
    ok = isinstance(value, kind) and not isinstance(value, bool) and math.isfinite(value)
    if ok and minimum is not None:
        ok = value > minimum if strict else value >= minimum
    if not ok:
        rel = "" if minimum is None else (f" > {minimum}" if strict else f" >= {minimum}")
        raise ValueError(f"{name} must be a finite {'integer' if integer else 'number'}{rel}; got {value!r}")
    return value


def _vector(name: str, x, size: int | None = None) -> np.ndarray:
    arr = np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=float)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be a finite non-empty 1-D array; got shape {arr.shape}")
    if size is not None and arr.size != size:
        raise ValueError(f"{name} must have {size} entries; got {arr.size}")
    return arr


def gaussian_kl(mu_q, cov_q, mu_p, cov_p) -> float:
    """KL(Q || P) of two Gaussians Q = N(mu_q, S_q), P = N(mu_p, S_p), in nats (eq. 4.7.1).

    (1/2)[tr(S_p^{-1} S_q) - p + (mu_p - mu_q)^T S_p^{-1} (mu_p - mu_q) + log(det S_p / det S_q)].

    Parameters
    ----------
    mu_q, mu_p : array_like, shape (p,).
    cov_q, cov_p : array_like, shape (p, p), symmetric positive definite (dense).
    """
    mu_q = _vector("mu_q", mu_q)
    mu_p = _vector("mu_p", mu_p, mu_q.size)
    p = mu_q.size
    chol = {}
    for name, cov in (("cov_q", cov_q), ("cov_p", cov_p)):
        S = np.asarray(cov, dtype=float)
        if S.shape != (p, p) or not np.all(np.isfinite(S)):
            raise ValueError(f"{name} must be a finite ({p}, {p}) array; got shape {S.shape}")
        try:
            chol[name] = np.linalg.cholesky((S + S.T) / 2)
        except np.linalg.LinAlgError:
            raise ValueError(f"{name} must be positive definite") from None
    Lq, Lp = chol["cov_q"], chol["cov_p"]
    A = np.linalg.solve(Lp, Lq)  # tr(S_p^{-1} S_q) = ||Lp^{-1} Lq||_F^2
    b = np.linalg.solve(Lp, mu_p - mu_q)
    logdet = 2 * (np.sum(np.log(np.diag(Lp))) - np.sum(np.log(np.diag(Lq))))
    return float(0.5 * (np.sum(A ** 2) - p + b @ b + logdet))


class AnalyticalPosterior:
    """Method 1 (eqs. 4.3.3-4.3.4, derivation 4.7.2.2): Q = N(w, U diag(1/lbar) U^T).

    Prior P = N(w0, eps^{-1} I); quadratic model of the bits loss e~ around the posterior
    mean w with Hessian H_w = U diag(lambda) U^T; minimising e~(Q) + KL(Q, P)/(2(n-1)) gives
    S_q^{-1} = 2(n-1) H_w + eps I, i.e. lbar_i = 2(n-1) lambda_i + eps. [NG] negative
    Hessian eigenvalues are clipped to 0. Only k <= p eigenpairs need be given: the
    directions orthogonal to U get lambda = 0, lbar = eps (posterior = prior there).

    Parameters
    ----------
    eigenvalues : array_like, shape (k,), of the Hessian of the bits loss at w.
    eigenvectors : array_like, shape (p, k), orthonormal columns, or None (KL only).
    w, w0 : array_like, shape (p,), posterior and prior means.
    n : int >= 2, training-set size. eps : float > 0, prior precision.

    Attributes
    ----------
    lbar : numpy.ndarray (k,), posterior precisions along U.
    kl : float, KL(Q, P) = (1/2)[eps ||w - w0||^2 - p + sum_i (log(lbar_i/eps) + eps/lbar_i)]
        in nats, the sum over all p directions (the ones outside U contribute 1 each).
    """

    def __init__(self, eigenvalues, eigenvectors, w, w0, n: int, eps: float):
        lam = _vector("eigenvalues", eigenvalues)
        self.w = _vector("w", w)
        self.w0 = _vector("w0", w0, self.w.size)
        self.n = int(_check_real("n", n, 1, integer=True))
        self.eps = float(_check_real("eps", eps, 0.0))
        p = self.w.size
        if lam.size > p:
            raise ValueError(f"eigenvalues must have at most p = {p} entries; got {lam.size}")
        if eigenvectors is not None:
            U = np.asarray(eigenvectors, dtype=float)
            if U.shape != (p, lam.size):
                raise ValueError(f"eigenvectors must have shape ({p}, {lam.size}); got {U.shape}")
            eigenvectors = U
        self.eigenvectors = eigenvectors
        self.eigenvalues = np.clip(lam, 0.0, None)
        self.lbar = 2 * (self.n - 1) * self.eigenvalues + self.eps
        r = self.lbar / self.eps
        self.kl = float(0.5 * (self.eps * np.sum((self.w - self.w0) ** 2)
                               + np.sum(np.log(r) + 1.0 / r - 1.0)))

    def covariance(self) -> np.ndarray:
        """Dense posterior covariance U diag(1/lbar) U^T + (I - U U^T)/eps, shape (p, p)."""
        U = self._U()
        p = self.w.size
        return (U * (1.0 / self.lbar - 1.0 / self.eps)) @ U.T + np.eye(p) / self.eps

    def sample(self, size: int, rng=None) -> np.ndarray:
        """``size`` draws w + S_q^{1/2} xi, xi ~ N(0, I); shape (size, p)."""
        U = self._U()
        _check_real("size", size, 0, integer=True)
        rng = np.random.default_rng(rng)
        xi = rng.standard_normal((size, self.w.size))
        coef = xi @ U  # components along U
        return (self.w + xi / math.sqrt(self.eps)
                + (coef * (1.0 / np.sqrt(self.lbar) - 1.0 / math.sqrt(self.eps))) @ U.T)

    def _U(self) -> np.ndarray:
        if self.eigenvectors is None:
            raise ValueError("eigenvectors were not given; pass them to sample or build the covariance")
        return self.eigenvectors


def prior_grid(j, eps0: float = GRID_EPS0, b: float = GRID_B):
    """Prior precisions eps_j = eps0 e^{-j/b} of the union bound (sections 4.7.2.1, 4.7.3.1), j >= 1."""
    _check_real("eps0", eps0, 0.0)
    _check_real("b", b, 0.0)
    jj = np.asarray(j)
    if jj.size == 0 or not np.issubdtype(jj.dtype, np.integer) or np.any(jj < 1):
        raise ValueError(f"j must be integers >= 1; got {j!r}")
    out = eps0 * np.exp(-jj / b)
    return float(out) if out.ndim == 0 else out


def union_bound_penalty(n: int, delta: float = DELTA, j: int | None = None) -> float:
    """log(n / delta_j) with delta_j = 6 delta / (pi^2 j^2): log(pi^2 n / (6 delta)) + 2 log j.

    ``j=None`` means no grid (a single prior): log(n / delta).
    """
    _check_real("n", n, 1, integer=True)
    _check_real("delta", delta, 0.0)
    if not delta < 1:
        raise ValueError(f"delta must be in (0, 1); got {delta!r}")
    if j is None:
        return math.log(n / delta)
    _check_real("j", j, 1, strict=False, integer=True)
    return math.log(math.pi ** 2 * n / (6 * delta)) + 2 * math.log(j)


def pacbayes_bound(empirical_error: float, kl: float, n: int, delta: float = DELTA,
                   j: int | None = None, form: str = "kl") -> float:
    """PAC-Bayes bound on e(Q) (eq. 4.2.1), with the union-bound penalty of grid point j.

    B = (KL(Q, P) + log(n / delta_j)) / (n - 1). ``form="kl"``: kl^{-1}(e^(Q), B) (the
    tightest); ``form="pinsker"``: e^(Q) + sqrt(B / 2), capped at 1. The empirical error
    may be e^(Q) or its upper bound e~(Q) (bits loss, section 4.2).
    """
    if form not in ("kl", "pinsker"):
        raise ValueError(f"form must be 'kl' or 'pinsker'; got {form!r}")
    _check_real("kl", kl, 0.0, strict=False)
    B = (kl + union_bound_penalty(n, delta, j)) / (n - 1)
    if form == "pinsker":
        _check_real("empirical_error", empirical_error, 0.0, strict=False)
        return min(1.0, float(empirical_error) + math.sqrt(B / 2))
    if not isinstance(empirical_error, (int, float, np.floating, np.integer)) or not 0 <= empirical_error <= 1:
        raise ValueError(f"empirical_error must be a number in [0, 1] for form='kl'; got {empirical_error!r}")
    return kl_inverse(float(empirical_error), B)


def grid_bound(error_and_kl, n: int, num_scales: int = 100, delta: float = DELTA, b: float = GRID_B,
               eps0: float = GRID_EPS0, form: str = "kl") -> dict:
    """Best bound over the prior-scale grid eps_j = eps0 e^{-j/b}, j = 1..num_scales, union-bounded.

    Parameters
    ----------
    error_and_kl : callable eps -> (empirical error, KL(Q_eps, P_eps)).
    n : int, training-set size; num_scales : int >= 1; delta, b, eps0 : see :func:`prior_grid`.

    Returns
    -------
    dict with keys bound, j, eps, error, kl (at the minimising j).
    """
    _check_real("num_scales", num_scales, 0, integer=True)
    best = None
    for j in range(1, num_scales + 1):
        eps = prior_grid(j, eps0, b)
        err, kl = error_and_kl(eps)
        bound = pacbayes_bound(err, kl, n, delta, j, form)
        if best is None or bound < best["bound"]:
            best = dict(bound=bound, j=j, eps=eps, error=float(err), kl=float(kl))
    return best


def monte_carlo_error(error_fn, sampler, num_samples: int = 1000, rng=None) -> tuple[float, float]:
    """Monte Carlo estimate of e^(Q) = E_{w ~ Q}[error(w)].

    Parameters
    ----------
    error_fn : callable w -> error in [0, 1] (e.g. training error of the network at w).
    sampler : callable (size, rng) -> array (size, p) of draws from Q
        (e.g. :meth:`AnalyticalPosterior.sample`).
    num_samples : int >= 1.

    Returns
    -------
    (mean, standard error).
    """
    _check_real("num_samples", num_samples, 0, integer=True)
    draws = sampler(num_samples, np.random.default_rng(rng))
    errors = np.array([float(error_fn(w)) for w in draws])
    se = errors.std(ddof=1) / math.sqrt(errors.size) if errors.size > 1 else math.nan
    return float(errors.mean()), float(se)


#: Confidence spent on the Monte Carlo estimate of e^(Q) in a certified bound (Dziugaite and Roy,
#: 2017, sec. 3): the PAC-Bayes bound holds with probability 1 - DELTA, the sample-convergence
#: bound with 1 - DELTA_MC, both together with at least 1 - DELTA - DELTA_MC (union bound).
DELTA_MC = 0.01
#: Posterior draws of a certified bound (STUDIES_THESIS C.1).
MC_DRAWS = 1000


def sample_convergence_bound(mean_error: float, num_draws: int, delta_mc: float = DELTA_MC) -> float:
    """Upper confidence bound on e^(Q) from ``num_draws`` i.i.d. posterior draws (Dziugaite and Roy, 2017).

    With probability at least 1 - ``delta_mc`` over the draws w_1..w_k ~ Q,
    e^(Q) <= kl^{-1}(mean_k e^(w_i), log(2 / delta_mc) / k) (the sample-convergence bound of
    Langford and Caruana, 2002, used by Dziugaite and Roy): each e^(w_i) lies in [0, 1], so their
    mean concentrates around e^(Q) in the binary kl.

    Parameters
    ----------
    mean_error : float in [0, 1], the Monte Carlo mean of the errors of the draws.
    num_draws : int >= 1, the number k of draws.
    delta_mc : float in (0, 1), the confidence spent on the Monte Carlo estimate.
    """
    if not (isinstance(mean_error, (int, float, np.floating, np.integer)) and 0.0 <= mean_error <= 1.0):
        raise ValueError(f"mean_error must be a number in [0, 1]; got {mean_error!r}")
    _check_real("num_draws", num_draws, 0, integer=True)
    _check_real("delta_mc", delta_mc, 0.0)
    if not delta_mc < 1:
        raise ValueError(f"delta_mc must be in (0, 1); got {delta_mc!r}")
    return kl_inverse(float(mean_error), math.log(2.0 / delta_mc) / int(num_draws))


def certified_bound(mean_error: float, num_draws: int, kl: float, n: int, delta: float = DELTA,
                    j: int | None = None, delta_mc: float = DELTA_MC) -> float:
    """The PAC-Bayes-kl bound with the Monte Carlo term included (a certificate).

    kl^{-1}(e_bar, (KL + log(n / delta_j)) / (n - 1)) with e_bar = :func:`sample_convergence_bound`
    of the Monte Carlo mean: valid with probability at least 1 - delta - delta_mc. Plugging the
    Monte Carlo mean itself into kl^{-1} (:func:`pacbayes_bound`) gives only an *estimate* of the bound.
    """
    upper = sample_convergence_bound(mean_error, num_draws, delta_mc)
    return pacbayes_bound(upper, kl, n, delta, j)


def bound_report(errors, kl: float, n: int, delta: float = DELTA, j: int | None = None,
                 delta_mc: float = DELTA_MC) -> dict:
    """Estimate and certificate of the kl bound from the per-draw training errors of Q.

    Parameters
    ----------
    errors : array_like (k,), the training error of each posterior draw, in [0, 1], k >= 2.
    kl, n, delta, j, delta_mc : see :func:`certified_bound`.

    Returns
    -------
    dict with ``draws`` (k), ``mean`` (Monte Carlo e^(Q)), ``se`` (its standard error,
    sd / sqrt(k)), ``mc_upper`` (the sample-convergence bound on e^(Q)), ``estimate`` (the mean
    plugged into kl^{-1}), ``certified`` (with the Monte Carlo term), ``delta``, ``delta_mc``.
    """
    e = np.asarray(errors, dtype=float)
    if e.ndim != 1 or e.size < 2 or not np.all(np.isfinite(e)) or np.any((e < 0) | (e > 1)):
        raise ValueError(f"errors must be a 1-D array of at least 2 numbers in [0, 1]; got shape {e.shape}")
    mean = float(np.clip(e.mean(), 0.0, 1.0))
    return dict(draws=int(e.size), mean=mean, se=float(e.std(ddof=1) / math.sqrt(e.size)),
                mc_upper=sample_convergence_bound(mean, e.size, delta_mc),
                estimate=pacbayes_bound(mean, kl, n, delta, j),
                certified=certified_bound(mean, e.size, kl, n, delta, j, delta_mc),
                delta=float(delta), delta_mc=float(delta_mc))


def loose_bound(strength: float, sloppy: float, eps_distance: float, n: int) -> float:
    """Loose bound at interpolation (eq. 4.4.4): (s + 2/c + eps ||w - w0||^2) / (4(n - 1)).

    Parameters
    ----------
    strength : s(n, eps) (eq. 4.4.2); sloppy : c(n, eps) > 0 (eq. 4.4.3, inf allowed);
    eps_distance : eps ||w - w0||^2; n : training-set size.
    """
    _check_real("strength", strength, 0.0, strict=False)
    if not (isinstance(sloppy, (int, float, np.floating)) and sloppy > 0):
        raise ValueError(f"sloppy must be a number > 0; got {sloppy!r}")
    _check_real("eps_distance", eps_distance, 0.0, strict=False)
    _check_real("n", n, 1, integer=True)
    return float((strength + 2.0 / sloppy + eps_distance) / (4 * (n - 1)))


# --------------------------------------------------------------------------- proposals
# The two methods below are PROPOSALS of this compendium (asked for in issue 5), not results
# of the thesis: a prior whose covariance is shaped by the diagonal FIM at initialisation
# (after the thesis's remark on FIM-dependent "expectation priors", sec. 4.2.2), and a
# diagonal Gaussian posterior optimised numerically against the bound (Dziugaite and Roy,
# 2017). Both are reported with the same kl-inverse bound and union bound as Method 1.

def diagonal_gaussian_kl(mean_q, var_q, mean_p, var_p) -> float:
    """KL(Q || P) in nats of two diagonal Gaussians Q = N(mean_q, diag var_q), P = N(mean_p, diag var_p).

    (1/2) sum_i [var_q,i / var_p,i + (mean_q,i - mean_p,i)^2 / var_p,i - 1 + log(var_p,i / var_q,i)].

    Parameters
    ----------
    mean_q, mean_p : array_like, shape (p,).
    var_q, var_p : array_like, shape (p,) with entries > 0, or scalars > 0 (isotropic).
    """
    mean_q = _vector("mean_q", mean_q)
    mean_p = _vector("mean_p", mean_p, mean_q.size)
    var = {}
    for name, v in (("var_q", var_q), ("var_p", var_p)):
        arr = np.asarray(v, dtype=float)
        arr = np.full(mean_q.size, float(arr)) if arr.ndim == 0 else arr
        if arr.shape != mean_q.shape or not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise ValueError(f"{name} must be a scalar or a ({mean_q.size},) array of finite numbers > 0")
        var[name] = arr
    vq, vp = var["var_q"], var["var_p"]
    return float(0.5 * np.sum(vq / vp + (mean_q - mean_p) ** 2 / vp - 1.0 + np.log(vp / vq)))


class FIMPriorPosterior:
    """[PROPOSAL] Method 1 with a prior whose covariance is shaped by the diagonal FIM at w0.

    Prior P_eps = N(w0, eps^{-1} S) with S = diag(s), s = 1 + mix * f / mean(f), where f is the
    diagonal of the FIM at the initialisation w0 evaluated on inputs independent of the
    training sample (the thesis's Sigma_p ∝ F_{w0}, sec. 4.2.2, made diagonal and regularised
    by the identity so that it is invertible). The prior is wider along the directions the
    network's outputs are sensitive to at initialisation. The posterior is Method 1's
    minimiser of the quadratic model of e~(Q) + KL(Q, P)/(2(n-1)):
    S_q^{-1} = 2(n-1) H + eps S^{-1}. In the whitened coordinates u = S^{-1/2} w the prior is
    isotropic and the posterior is :class:`AnalyticalPosterior` with Hessian
    M = S^{1/2} H S^{1/2} (negative eigenvalues of M clipped to 0); M is diagonalised once,
    so every prior scale eps of the grid costs O(p).

    Parameters
    ----------
    hessian : array_like, shape (p, p), symmetric: Hessian of the bits loss at w.
    fim_diagonal : array_like, shape (p,), >= 0, not all zero: diagonal FIM at w0
        (:func:`netsim.metrics.curvature.fim_diagonal`).
    w, w0 : array_like, shape (p,), posterior and prior means.
    n : int >= 2, training-set size.
    mix : float >= 0, weight of the FIM in the prior shape; 0 gives Method 1's isotropic prior.

    Attributes
    ----------
    shape : numpy.ndarray (p,), the prior variance multipliers s.
    eigenvalues, eigenvectors : eigenpairs of M, shapes (p,) and (p, p).
    """

    def __init__(self, hessian, fim_diagonal, w, w0, n: int, mix: float = 1.0):
        self.w = _vector("w", w)
        p = self.w.size
        self.w0 = _vector("w0", w0, p)
        self.n = int(_check_real("n", n, 1, integer=True))
        mix = float(_check_real("mix", mix, 0.0, strict=False))
        H = np.asarray(hessian, dtype=float)
        if H.shape != (p, p) or not np.all(np.isfinite(H)):
            raise ValueError(f"hessian must be a finite ({p}, {p}) array; got shape {H.shape}")
        f = _vector("fim_diagonal", fim_diagonal, p)
        if np.any(f < -1e-12 * max(np.abs(f).max(), 1e-300)) or f.mean() <= 0:
            raise ValueError("fim_diagonal must be >= 0 with a positive mean")
        self.mix = mix
        self.shape = 1.0 + mix * np.clip(f, 0.0, None) / f.mean()
        r = np.sqrt(self.shape)
        M = r[:, None] * ((H + H.T) / 2) * r[None, :]
        from netsim.metrics.curvature import symmetric_eigh

        self.eigenvalues, self.eigenvectors = symmetric_eigh(M)

    def at(self, eps: float, vectors: bool = False) -> AnalyticalPosterior:
        """The whitened posterior at prior precision ``eps`` (KL, lbar; with ``vectors`` also sampling)."""
        r = np.sqrt(self.shape)
        return AnalyticalPosterior(self.eigenvalues, self.eigenvectors if vectors else None,
                                   self.w / r, self.w0 / r, self.n, eps)

    def kl(self, eps: float) -> float:
        """KL(Q_eps || P_eps) in nats (invariant under the whitening)."""
        return self.at(eps).kl

    def quadratic_term(self, eps: float) -> float:
        """(1/2) tr(H S_q) = (1/2) sum_i mu_i / lbar_i: the quadratic-model excess of e~(Q) over e~(w)."""
        post = self.at(eps)
        return 0.5 * float(np.sum(post.eigenvalues / post.lbar))

    def sample(self, eps: float, size: int, rng=None) -> np.ndarray:
        """``size`` draws from Q_eps, shape (size, p)."""
        return self.at(eps, vectors=True).sample(size, rng) * np.sqrt(self.shape)

    def covariance(self, eps: float) -> np.ndarray:
        """Dense posterior covariance S^{1/2} (whitened covariance) S^{1/2}, shape (p, p)."""
        r = np.sqrt(self.shape)
        return r[:, None] * self.at(eps, vectors=True).covariance() * r[None, :]

    def prior_covariance(self, eps: float) -> np.ndarray:
        """Dense prior covariance eps^{-1} S, shape (p, p)."""
        _check_real("eps", eps, 0.0)
        return np.diag(self.shape / eps)


class DiagonalPosterior:
    """Q = N(mean, diag(variance)) with the isotropic prior P = N(w0, eps_j^{-1} I) of grid point j.

    Parameters
    ----------
    mean, variance : array_like, shape (p,) (variance > 0). w0 : array_like, shape (p,).
    j : int >= 1, grid index; the prior precision is eps_j = eps0 e^{-j/b} (:func:`prior_grid`).

    Attributes
    ----------
    eps : float, the prior precision. kl : float, KL(Q || P) in nats.
    """

    def __init__(self, mean, variance, w0, j: int, eps0: float = GRID_EPS0, b: float = GRID_B):
        self.mean = _vector("mean", mean)
        self.variance = _vector("variance", variance, self.mean.size)
        if np.any(self.variance <= 0):
            raise ValueError("variance must be > 0")
        self.w0 = _vector("w0", w0, self.mean.size)
        self.j = int(_check_real("j", j, 1, strict=False, integer=True))
        self.eps = prior_grid(self.j, eps0, b)
        self.kl = diagonal_gaussian_kl(self.mean, self.variance, self.w0, 1.0 / self.eps)

    def sample(self, size: int, rng=None) -> np.ndarray:
        """``size`` draws, shape (size, p)."""
        _check_real("size", size, 0, integer=True)
        rng = np.random.default_rng(rng)
        return self.mean + np.sqrt(self.variance) * rng.standard_normal((size, self.mean.size))


def grid_index(eps: float, eps0: float = GRID_EPS0, b: float = GRID_B) -> int:
    """The grid point j >= 1 whose eps_j = eps0 e^{-j/b} is nearest to ``eps`` on the log scale."""
    _check_real("eps", eps, 0.0)
    return max(1, int(round(b * math.log(eps0 / eps))))


def optimise_diagonal_posterior(model, X, y, w0, variance_init, eps_init: float, n: int | None = None,
                                steps: int = 1000, batch_size: int = 500, lr: float = 1e-3,
                                lr_scale: float = 1e-2, delta: float = DELTA, b: float = GRID_B,
                                eps0: float = GRID_EPS0, seed: int = 0) -> tuple:
    """[PROPOSAL] Dziugaite-Roy optimisation of a diagonal Gaussian posterior against the bound.

    Q = N(m, diag(exp(v))) with prior P = N(w0, eps^{-1} I). Starting from m = the model's
    weights, v = log ``variance_init`` and eps = ``eps_init``, Adam minimises the differentiable
    surrogate

        e~_batch(m + exp(v/2) * xi) + sqrt(B / 2),   B = (KL(Q, P) + log(pi^2 n / (6 delta)) + 2 log j(eps)) / (n - 1),

    with one Gaussian draw xi per step on a minibatch (reparameterisation), e~ the bits loss
    and j(eps) = max(1, b log(eps0 / eps)) the continuous grid index (the Pinsker form of the
    bound with the union-bound penalty of Method 1). The mean has learning rate ``lr``; the
    log-variances and log eps ``lr_scale``. Afterwards eps is rounded to the nearest grid
    point (:func:`grid_index`), so the union bound of :func:`pacbayes_bound` with that j is
    valid. Evaluate the returned posteriors with a Monte Carlo e^(Q) and the kl-inverse bound.

    Parameters
    ----------
    model : torch.nn.Module, the trained network (its weights are the initial mean; unchanged).
    X : torch.Tensor (n, ...), y : torch.Tensor (n,) of ints, the training set.
    w0 : array_like, shape (p,), the prior mean (initialisation), in ``model.parameters()`` order.
    variance_init : float > 0 or array_like (p,) > 0, the initial posterior variances.
    eps_init : float > 0, the initial prior precision.
    n : int, training-set size in the bound (default: len(X)).
    steps : int >= 0; batch_size : int >= 1; lr, lr_scale : float > 0; seed : int.

    Returns
    -------
    (initial, final, history): two :class:`DiagonalPosterior` (at the initialisation and after
    optimisation) and a numpy.ndarray (steps,) of the surrogate objective.
    """
    import torch

    from netsim.metrics.curvature import single_thread

    if not hasattr(model, "parameters"):
        raise TypeError(f"model must be a torch.nn.Module; got {type(model).__name__}")
    if not isinstance(X, torch.Tensor) or not isinstance(y, torch.Tensor) or X.shape[0] != y.shape[0] or X.shape[0] < 2:
        raise ValueError("X and y must be torch tensors with the same number (>= 2) of samples")
    names = [k for k, _ in model.named_parameters()]
    shapes = [p.shape for _, p in model.named_parameters()]
    sizes = [int(np.prod(s)) for s in shapes]
    dtype = next(model.parameters()).dtype
    w = torch.cat([p.detach().reshape(-1) for p in model.parameters()]).to(torch.float64)
    p = w.numel()
    w0 = _vector("w0", w0, p)
    var0 = np.asarray(variance_init, dtype=float)
    var0 = np.full(p, float(var0)) if var0.ndim == 0 else var0
    if var0.shape != (p,) or not np.all(np.isfinite(var0)) or np.any(var0 <= 0):
        raise ValueError(f"variance_init must be a number > 0 or a ({p},) array of numbers > 0")
    _check_real("eps_init", eps_init, 0.0)
    n = X.shape[0] if n is None else int(_check_real("n", n, 1, integer=True))
    _check_real("steps", steps, 0, strict=False, integer=True)
    batch_size = int(_check_real("batch_size", batch_size, 0, integer=True))
    _check_real("lr", lr, 0.0)
    _check_real("lr_scale", lr_scale, 0.0)
    _check_real("delta", delta, 0.0)

    initial = DiagonalPosterior(w.numpy(), var0, w0, grid_index(eps_init, eps0, b), eps0, b)
    with single_thread():
        mean, log_var, log_eps, history = _optimise(model, X, y, w, w0, var0, eps_init, n, steps, batch_size, lr,
                                                    lr_scale, delta, b, eps0, seed, names, shapes, sizes, dtype)
    final = DiagonalPosterior(mean, np.exp(log_var), w0, grid_index(math.exp(log_eps), eps0, b), eps0, b)
    return initial, final, history


def _optimise(model, X, y, w, w0, var0, eps_init, n, steps, batch_size, lr, lr_scale, delta, b, eps0, seed,
              names, shapes, sizes, dtype):
    import torch
    import torch.nn.functional as F
    from torch.func import functional_call

    p = w.numel()
    mean = w.clone().requires_grad_(True)
    log_var = torch.as_tensor(np.log(var0)).requires_grad_(True)
    log_eps = torch.tensor(math.log(eps_init), dtype=torch.float64, requires_grad=True)
    prior_mean = torch.as_tensor(w0)
    opt = torch.optim.Adam([dict(params=[mean], lr=lr), dict(params=[log_var, log_eps], lr=lr_scale)])
    gen = torch.Generator().manual_seed(seed)
    const = math.log(math.pi ** 2 * n / (6 * delta))
    history = np.empty(steps)
    for t in range(steps):
        idx = torch.randint(0, X.shape[0], (min(batch_size, X.shape[0]),), generator=gen)
        xi = torch.randn(p, generator=gen, dtype=torch.float64)
        v = mean + torch.exp(0.5 * log_var) * xi
        pars = {k: s.reshape(sh).to(dtype) for k, s, sh in zip(names, torch.split(v, sizes), shapes)}
        loss = F.cross_entropy(functional_call(model, pars, (X[idx],)), y[idx]) / math.log(2)
        eps = torch.exp(log_eps)
        kl = 0.5 * torch.sum(eps * torch.exp(log_var) + eps * (mean - prior_mean) ** 2 - 1.0
                             - log_var - log_eps)
        j = torch.clamp(b * (math.log(eps0) - log_eps), min=1.0)
        bound = (kl + const + 2 * torch.log(j)) / (n - 1)
        objective = loss + torch.sqrt(bound / 2)
        opt.zero_grad()
        objective.backward()
        opt.step()
        history[t] = objective.item()
    return mean.detach().numpy(), log_var.detach().numpy(), log_eps.item(), history
