"""Study 7: the linear-model theory of sloppiness (thesis chapter 5).

The experiments of the chapter, at the thesis's own (CPU-sized) settings, and the declared
claims D1-D13 of STUDIES_THESIS "STUDY D". Every choice the thesis leaves open ([NG]) is a
constant in the block below, so that the notebook's "Choices" section and the code agree.
The closed forms, bounds and simulations live in :mod:`netsim.linear`.
"""
from __future__ import annotations

import functools
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from netsim import linear as L
from netsim.claims import ClaimRegistry, Estimate, Measured
from netsim.studies.linear_theory.claims import DECLARATIONS, EXACT, HOLDS  # noqa: F401
from netsim.uncertainty import bootstrap, null_range, spread

# ---------------------------------------------------------------------------------------
# Settings: thesis values where given, [NG] choices otherwise (see the chapter's Choices).
# ---------------------------------------------------------------------------------------
N, D = 50, 100                 # samples and input dimension of Figs 5.2 and 5.5 (thesis)
ALPHA_STRICT = 0.99            # alpha = 0.99 / lambda_1^K where assumption (iii) needs alpha < 1/lambda_1 [NG]
FIG51 = dict(c=0.5, alpha=1.0, sigma_w2=1.0, Ts=(1, 10, 100, 1000, 10000))       # n, T [NG]
FIG52 = dict(c=0.2, T=50, sigma_w2=0.1, sigma_star2=2.0, alpha=ALPHA_STRICT)      # alpha [NG]
FIG54 = dict(cs=(0.05, 0.1, 0.2, 0.5), Ts=(10, 1000), sigma_w2=0.1, sigma_star2=2.0, alpha=ALPHA_STRICT)  # [NG]
FIG55 = dict(c=0.1, sigma_w2=1.0, sigma_star2=1.0, alpha=1.0, Ts=(10, 100, 1000))  # sigma_*, T [NG]
PHASE = dict(alpha=ALPHA_STRICT, T_max=1e4, c_range=(0.02, 1.0), heat_ratios=(10, 3, 1), levels=(3, 10, 30))
SPEED = dict(cs=(0.1, 0.2, 0.5), Ts=(10, 100, 1000))  # settings of the "about twice as fast" check [NG]
SGD = dict(batch_sizes=(1, 5, 25), alpha_per_sample=ALPHA_STRICT / 25, sigma_w2_per_sample=0.02, T=200)  # [NG]
KERNELS = dict(bandwidth_factors=(0.5, 1.0, 2.0, 4.0), T=100)  # RBF bandwidths x median distance [NG]
WEIGHT_DECAY = dict(lambdas=(1e-3, 1e-2, 1e-1), T=50)  # [NG]; alpha = 0.99 / (1 + lambda)
DEEP = dict(p=20, init_scale2=1 / 20, sigma_star2=1 / D, lr_factor=0.5, checkpoints=20)  # [NG]
RESOLUTION = 1e-10  # eigenvalue ratios below this are not resolved by a float64 eigensolver
BRUTE_T_MAX = 300   # longest horizon for the O(T n^3) brute-force matrix sums
FRACTION = 0.95     # share of the trace that defines the dimensionality (Fig. 5.3)

PROFILE = {
    "smoke": dict(random_settings=8, mc_inits=(100, 300), fig55_inits=200, phase_T_points=9,
                  phase_c_points=8, phase_ratios=(1, 3, 5, 7, 9, 10, 12, 15, 20), phase_draws=2,
                  norm_draws=200, sgd_inits=200, deep_inits=40, deep_steps=100, seed=0),
    "book": dict(random_settings=100, mc_inits=(100, 300, 1000, 3000), fig55_inits=2000, phase_T_points=41,
                 phase_c_points=50, phase_ratios=tuple(range(1, 21)), phase_draws=5,
                 norm_draws=1000, sgd_inits=1000, deep_inits=200, deep_steps=200, seed=0),
    "paper": dict(random_settings=200, mc_inits=(100, 300, 1000, 3000, 10000), fig55_inits=10000,
                  phase_T_points=81, phase_c_points=100, phase_ratios=tuple(np.arange(1, 20.5, 0.5)),
                  phase_draws=20, norm_draws=10000, sgd_inits=5000, deep_inits=1000, deep_steps=1000, seed=0),
}


# ---------------------------------------------------------------------------------------
# Claims (declared in .claims)
# ---------------------------------------------------------------------------------------
def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims` (checks D1a-D12a, claims)."""
    return ClaimRegistry("linear_theory", DECLARATIONS, strict=True)


declare_claims = registry  # the name of the first version
CLAIM_SEEDS = 3            # draws of the problem (or of the networks) behind each claim's interval


def estimate(value: float, values, unit: str) -> Estimate:
    """``value`` with the min-max range of ``values`` (widened to contain it)."""
    values = np.asarray(values, dtype=float)
    return Estimate(float(value), float(min(values.min(), value)), float(max(values.max(), value)),
                    f"min-max over {len(values)} {unit}")


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------
def small_blas(func):
    """Run ``func`` with single-threaded BLAS: the matrices here are 50 x 100, and threaded BLAS
    on a shared 2-core machine made such products up to 40 times slower."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with threadpool_limits(1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper


def rel_err(a, b) -> float:
    """``||a - b||_F / ||b||_F``."""
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


def max_ratio(exact, bound, *, skip_first: bool = True) -> float:
    """Largest ``exact / bound`` over the entries where the bound is resolved (>= RESOLUTION).

    The first entry of a ratio ``lambda_i / lambda_1`` is 1 against a bound of 1 by definition;
    ``skip_first`` leaves it out so that the number says how close the other indices come."""
    exact, bound = np.asarray(exact)[int(skip_first):], np.asarray(bound)[int(skip_first):]
    keep = bound >= RESOLUTION
    return float(np.max(exact[keep] / bound[keep]))


def matrix_powers(M: np.ndarray, T: int) -> np.ndarray:
    """``M^0, M^1, ..., M^{T-1}`` stacked, shape (T, n, n): the terms of the brute-force sums."""
    out = np.empty((T, *M.shape))
    out[0] = np.eye(len(M))
    for t in range(1, T):
        out[t] = out[t - 1] @ M
    return out


def problem(c: float, sigma_star2: float, seed: int, n: int = N, d: int = D) -> L.LinearProblem:
    return L.make_problem(n, d, c, math.sqrt(sigma_star2), seed=seed)


def random_settings(count: int, seed: int) -> list[dict]:
    """Randomised settings for the exactness and bound checks; even ones at small T
    (T < lambda_1 / (2 lambda_n), the proof's regime of Lemma 5.2.3), odd ones at large T."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        n = int(rng.integers(10, 61))
        c = float(rng.uniform(0.05, 1.0))
        edge = math.exp(c * (n - 1)) / 2  # lambda_1 / (2 lambda_n)
        T = edge * 10 ** rng.uniform(-3, 0) if k % 2 == 0 else edge * 10 ** rng.uniform(0, 3)
        T = int(min(max(T, 1), 1e9))
        out.append(dict(n=n, d=2 * n, c=c, T=T, alpha=float(rng.uniform(0.05, ALPHA_STRICT)),
                        sigma_w=float(10 ** rng.uniform(-1.5, 0.5)), sigma_star=float(10 ** rng.uniform(-1, 0.5)),
                        seed=int(rng.integers(2**31)), regime="small T" if T < edge else "large T"))
    return out


# ---------------------------------------------------------------------------------------
# Exactness and bounds over randomised settings (D1-D6)
# ---------------------------------------------------------------------------------------
@small_blas
def residual_checks(params) -> Measured:
    """D1: simulated gradient descent against ``K_d^t r_0``; K_T closed form; mean residual."""
    errs = {"rec": 0.0, "K_T": 0.0, "rbar": 0.0}
    for s in random_settings(params.random_settings, params.seed):
        pr = L.make_problem(s["n"], s["d"], s["c"], s["sigma_star"], seed=s["seed"])
        T = min(s["T"], BRUTE_T_MAX)
        Kd = L.K_d(pr.K, s["alpha"])
        W0 = L.initial_weights(10, s["d"], s["sigma_w"], seed=s["seed"] + 1)
        R = np.stack(list(L.gd_residuals(pr.A, pr.y, W0, s["alpha"], T)))
        powers = matrix_powers(Kd, T)
        K_T = L.K_T(pr.K, s["alpha"], T)
        errs["rec"] = max(errs["rec"], float(np.abs(R - R[0] @ powers).max() / np.abs(R[0]).max()))
        errs["K_T"] = max(errs["K_T"], rel_err(K_T, powers.mean(axis=0)))
        errs["rbar"] = max(errs["rbar"], rel_err(R.mean(axis=(0, 1)), K_T @ R[0].mean(axis=0)))
    return Measured(zip(["GD residuals vs K_d^t r_0 (rel. err.)", "K_T closed form vs sum (rel. err.)",
                         "rbar(N,T) vs K_T rbar(N,0) (rel. err.)"], errs.values()))


def _setting_row(s: dict) -> dict:
    """Closed forms of one setting against brute-force sums, and every bound of sec. 5.2."""
    pr = L.make_problem(s["n"], s["d"], s["c"], s["sigma_star"], seed=s["seed"])
    lam, yt, a, T, sw = pr.lambda_K, pr.y_tilde, s["alpha"], s["T"], s["sigma_w"]
    row = dict(s)
    # brute-force matrix sums at a horizon they can afford
    Tb = min(T, BRUTE_T_MAX)
    Kd, K, y = L.K_d(pr.K, a), pr.K, pr.y
    brute = L.P_by_moments(Kd, -y, sw**2 * K + np.outer(y, y), Tb)
    closed = L.pca_matrix(lam, yt, a, Tb, sw)
    row["P closed vs brute"] = rel_err(pr.from_eigenbasis(closed.P), brute)
    powers = matrix_powers(Kd, Tb)
    K_T_y = powers.mean(axis=0) @ y
    row["lambda_P2 vs ||K_T y||^2"] = abs(L.spectrum(np.outer(K_T_y, K_T_y))[0] - closed.lambda_P2) / closed.lambda_P2
    S = np.sum(powers @ K @ powers, axis=0) * sw**2
    formula = L.lambda_sigma_w(lam, a, Tb, sw)
    row["lambda_sigma_w formula"] = float(np.abs(np.sort(formula)[::-1] - L.spectrum(S)).max() / formula.max())
    geometric = sw**2 / a * np.linalg.solve(np.eye(len(K)) + Kd, np.eye(len(K)) - np.linalg.matrix_power(Kd, 2 * Tb))
    row["P1_sigma_w matrix"] = rel_err(geometric, S)
    # bounds at the full horizon T (closed forms only)
    parts = L.pca_matrix(lam, yt, a, T, sw)
    e1, e = L.spectrum(parts.P1), L.spectrum(parts.P)
    lower, upper = L.sandwich_5_2_7(e1, parts.lambda_P2)
    row["(5.2.7) violation"] = max(0.0, float(np.max(lower - e)), float(np.max(e - upper))) / e1[0]
    middle, right = L.K_T_norm_bound(lam, a, T)
    row["(5.2.8) ratio"] = max(L.K_T_eigenvalues(lam, a, T).max() / middle, middle / right)
    row["(5.2.10) ratio"] = float(np.max(L.lambda_sigma_w(lam, a, T, sw) / L.lambda_sigma_w_bound(lam, a, T, sw)))
    ey = L.spectrum(parts.P1_y) * T  # eigenvalues of T P_1^y
    i = np.arange(0, (len(lam) - 1) // 2 + 1)
    row["Lemma 5.2.1 ratio"] = max_ratio(ey[2 * i] / ey[0], L.lemma_5_2_1_bound(i, L.rho(lam)))
    y2 = float(yt @ yt)
    low, up = L.lemma_5_2_2_bounds(lam, y2, a, T)
    row["Lemma 5.2.2 lower"], row["Lemma 5.2.2 upper"] = low / ey[0], ey[0] / up
    row["Lemma 5.2.3 ratio"] = max_ratio(e1 / e1[0], L.lemma_5_2_3_bound(lam, a, T, sw, y2, c=s["c"]))
    return row


@small_blas
def bound_checks(params):
    """Every closed form and bound of sec. 5.2 over randomised settings: a DataFrame, one row each."""
    import pandas as pd
    from tqdm.auto import tqdm

    settings = random_settings(params.random_settings, params.seed + 1)
    return pd.DataFrame([_setting_row(s) for s in tqdm(settings, desc="randomised settings")])


# ---------------------------------------------------------------------------------------
# Monte Carlo convergence and lambda^{P_2} (D2), Figs 5.1, 5.2, 5.4, 5.5 (D3, D4, D5, D7, D8)
# ---------------------------------------------------------------------------------------
@small_blas
def monte_carlo_convergence(params) -> dict:
    """Relative error of P(N, T) against the closed form for growing N (Fig. 5.2 setting),
    each N averaged over up to 4 disjoint groups of one simulation."""
    f = FIG52
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    exact = pr.from_eigenbasis(L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], f["T"], math.sqrt(f["sigma_w2"])).P)
    Ns = sorted(params.mc_inits)
    W0 = L.initial_weights(4 * Ns[-1], D, math.sqrt(f["sigma_w2"]), seed=params.seed + 2)
    groups = {Nk: [L.PCAAccumulator(N) for _ in range(min(4, len(W0) // Nk))] for Nk in Ns}
    for R in L.gd_residuals(pr.A, pr.y, W0, f["alpha"], f["T"]):
        for Nk, accs in groups.items():
            for g, acc in enumerate(accs):
                acc.add(R[g * Nk:(g + 1) * Nk])
    errors = np.array([np.mean([rel_err(acc.P, exact) for acc in groups[Nk]]) for Nk in Ns])
    return dict(N=np.array(Ns), error=errors, slope=float(np.polyfit(np.log(Ns), np.log(errors), 1)[0]))


def lambda_P2_curve(Ts=None) -> dict:
    """lambda^{P_2}(T) = ||K_T y||^2 with the bound ||y||^2 ||K_T||^2 from (5.2.8) (Fig. 5.2 setting),
    and its log-log slope over the late times 10..100 / (alpha lambda_n)."""
    f = FIG52
    pr = problem(f["c"], f["sigma_star2"], 0)
    lam, a = pr.lambda_K, f["alpha"]
    late = 1 / (a * lam[-1])
    Ts = np.unique(np.round(np.logspace(0, math.log10(100 * late), 60))).astype(int) if Ts is None else Ts
    lp2 = np.array([float(np.sum((L.K_T_eigenvalues(lam, a, T) * pr.y_tilde) ** 2)) for T in Ts])
    bound = np.array([L.K_T_norm_bound(lam, a, T)[1] ** 2 for T in Ts]) * float(pr.y @ pr.y)
    sel = Ts >= 10 * late
    return dict(T=Ts, lambda_P2=lp2, bound=bound, late=late,
                slope=float(np.polyfit(np.log(Ts[sel]), np.log(lp2[sel]), 1)[0]))


@small_blas
def fig51() -> dict:
    """Fig. 5.1: eigenvalues of ``sigma_w^2 sum_{t<T} K_d^t K K_d^t`` by brute-force matrix sums
    (in residual coordinates), the formula and the bound (5.2.10)."""
    f = FIG51
    pr = problem(f["c"], 1.0, 0)
    Kd, K, a, sw = L.K_d(pr.K, f["alpha"]), pr.K, f["alpha"], math.sqrt(f["sigma_w2"])
    out, S, term = {}, np.zeros_like(K), sw**2 * K
    for t in range(1, max(f["Ts"]) + 1):
        S += term
        term = Kd @ term @ Kd
        if t in f["Ts"]:
            out[t] = dict(numerical=L.spectrum(S), formula=L.lambda_sigma_w(pr.lambda_K, a, t, sw),
                          bound=L.lambda_sigma_w_bound(pr.lambda_K, a, t, sw))
    return out


def fig52(draws: int = 5) -> dict:
    """Fig. 5.2: spectra of P_1, P_1^y and P_1^{sigma_w}; D7's factors (worst of ``draws`` draws)."""
    f = FIG52
    head = tail = 1.0
    for seed in range(draws):
        pr = problem(f["c"], f["sigma_star2"], seed)
        parts = L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], f["T"], math.sqrt(f["sigma_w2"]))
        e1, ey, es = L.spectrum(parts.P1), L.spectrum(parts.P1_y), np.diag(parts.P1_sigma_w)
        factor = lambda a, b: float(np.max(np.maximum(a / b, b / a)))  # noqa: E731
        head = max(head, factor(e1[:3], ey[:3]))
        tail = max(tail, factor(e1[N // 2:], es[N // 2:]))
        if seed == 0:
            spectra = dict(P1=e1, P1_y=ey, P1_sigma_w=es, P=L.spectrum(parts.P), lambda_P2=parts.lambda_P2,
                           lyapunov=L.spectrum(L.P1_y_lyapunov(pr.K, pr.y, f["alpha"])) / f["T"])
    return dict(spectra=spectra, head=head, tail=tail)


def lemma_5_2_1_speed(seed: int = 0):
    """D4: per-index decay rate of the spectrum of P_1^y relative to the bound's rate ln(rho),
    for the settings SPEED (n = 50, alpha = 0.99, sigma_* = 1); also the curves for a figure."""
    rows = []
    for c in SPEED["cs"]:
        pr = problem(c, 1.0, seed)
        for T in SPEED["Ts"]:
            ey = L.spectrum(L.pca_matrix(pr.lambda_K, pr.y_tilde, ALPHA_STRICT, T, 0.0).P1_y)
            rate = L.decay_rate(ey, floor=1e-8)
            rows.append(dict(c=c, T=T, ratio=ey / ey[0], rho=L.rho(pr.lambda_K), rate=rate,
                             speed=rate / math.log(L.rho(pr.lambda_K))))
    return rows


def norm_y_concentration(draws: int, seed: int = 0) -> np.ndarray:
    """(5.2.11): ``||y||^2 / (sigma_*^2 tr K)`` over independent draws of w* (Fig. 5.2 setting)."""
    lam = L.sloppy_spectrum(N, FIG52["c"])
    yt = L.target_draws(lam, 1.0, draws, seed=seed)
    return np.sum(yt**2, axis=1) / lam.sum()


def lyapunov_limit(Ts=(10, 100, 1000, 10000), seed: int = 0) -> dict:
    """Spectra of ``T P_1^y(T)`` (Fig. 5.2 setting) and of its T -> infinity limit, the solution of
    the discrete Lyapunov equation (scipy); the relative distance of each to the limit."""
    f = FIG52
    pr = problem(f["c"], f["sigma_star2"], seed)
    limit = L.P1_y_lyapunov(pr.K, pr.y, f["alpha"])
    finite = {T: pr.from_eigenbasis(L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], T, 0.0).P1_y) * T for T in Ts}
    return dict(limit=L.spectrum(limit), spectra={T: L.spectrum(M) for T, M in finite.items()},
                distance={T: rel_err(M, limit) for T, M in finite.items()})


def d2_measured(checks, mc: dict, lp2: dict) -> Measured:
    return Measured({"closed form vs brute-force sum (rel. err.)": checks["P closed vs brute"].max(),
                     "slope of log MC error vs log N": mc["slope"],
                     "lambda^{P_2} vs ||K_T y||^2 (rel. err.)": checks["lambda_P2 vs ||K_T y||^2"].max(),
                     "slope of log lambda^{P_2} vs log T, late times": lp2["slope"],
                     "(5.2.8): max ratio to the bound": checks["(5.2.8) ratio"].max(),
                     "(5.2.7): max violation / lambda_1": checks["(5.2.7) violation"].max()})


def d3_measured(checks, f51: dict) -> Measured:
    fig_err = max(float(np.max(np.abs(v["numerical"] - v["formula"]) / v["formula"].max())) for v in f51.values())
    fig_ratio = max(float(np.max(v["formula"] / v["bound"])) for v in f51.values())
    formula_err = max(checks["lambda_sigma_w formula"].max(), fig_err)
    return Measured({"formula vs eigenvalues of the sum (err. / lambda_1)": formula_err,
                     "(sigma_w^2/alpha)(I+K_d)^{-1}(I-K_d^{2T}) vs sum (rel. err.)": checks["P1_sigma_w matrix"].max(),
                     "(5.2.10): max ratio to the bound": max(checks["(5.2.10) ratio"].max(), fig_ratio)})


def d4_measured(checks, speed: list[dict]) -> Measured:
    return Measured({"Lemma 5.2.1: max ratio to the bound": checks["Lemma 5.2.1 ratio"].max(),
                     "decay rate / bound's rate (median)": float(np.median([r["speed"] for r in speed]))})


def d5_measured(checks, norm_ratio: np.ndarray) -> Measured:
    return Measured({"lower: max ||y||^2 / lambda_1^y": checks["Lemma 5.2.2 lower"].max(),
                     "upper: max lambda_1^y / (lambda~_n ||y||^2)": checks["Lemma 5.2.2 upper"].max(),
                     "mean ||y||^2 / (sigma_*^2 tr K)": float(np.mean(norm_ratio))})


def d6_measured(checks, f54: list[dict]) -> Measured:
    extra = {"small T": [], "large T": []}
    for r in f54:  # the figure's settings join the randomised ones
        edge = math.exp(r["c"] * (N - 1)) / 2
        extra["small T" if r["T"] < edge else "large T"].append(max_ratio(r["exact"], r["bound"]))
    worst = {k: max([*checks.loc[checks["regime"] == k, "Lemma 5.2.3 ratio"], *extra[k]]) for k in extra}
    return Measured({f"{k}: max ratio to the bound": v for k, v in worst.items()})


def fig54(seed: int = 0) -> list[dict]:
    """Fig. 5.4: Lemma 5.2.3's bound against the exact ``lambda_i^{P_1} / lambda_1^{P_1}``."""
    f, rows = FIG54, []
    for T in f["Ts"]:
        for c in f["cs"]:
            pr = problem(c, f["sigma_star2"], seed)
            e1 = L.spectrum(L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], T, math.sqrt(f["sigma_w2"])).P1)
            bound = L.lemma_5_2_3_bound(pr.lambda_K, f["alpha"], T, math.sqrt(f["sigma_w2"]), float(pr.y @ pr.y), c=c)
            rows.append(dict(T=T, c=c, exact=e1 / e1[0], bound=bound))
    return rows


@small_blas
def fig55(params) -> dict:
    """Fig. 5.5: spectra of the Monte Carlo P(N, T) from simulated gradient descent, for
    FIG55["Ts"], in both normalisations; D8's four parts."""
    f = FIG55
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    W0 = L.initial_weights(params.fig55_inits, D, math.sqrt(f["sigma_w2"]), seed=params.seed + 5)
    Ps = L.monte_carlo_P(L.gd_residuals(pr.A, pr.y, W0, f["alpha"], max(f["Ts"])), f["Ts"])
    spectra = {T: L.spectrum(P) for T, P in Ps.items()}
    Ts = sorted(spectra)

    def rises(values):
        return bool(np.all(np.diff(values) > 0))

    tail = lambda T, scale: float(np.mean(np.log10(np.maximum(spectra[T][N // 2:] * scale, 1e-300))))  # noqa: E731
    measured = {"tail of T P(N,T) grows": rises([tail(T, T) for T in Ts]),
                "top of T P(N,T) grows": rises([spectra[T][0] * T for T in Ts]),
                "tail of P(N,T) grows (1/(NT) as in 5.2.3)": rises([tail(T, 1) for T in Ts]),
                "top of P(N,T) grows (1/(NT))": rises([spectra[T][0] for T in Ts])}
    return dict(spectra=spectra, measured=Measured(measured))


# ---------------------------------------------------------------------------------------
# Phase diagram (Fig. 5.3, D9)
# ---------------------------------------------------------------------------------------
@dataclass
class PhaseDiagram:
    """Mean 95%-of-trace dimensionality ``dims[c, T, ratio]`` over draws of w*."""

    Ts: np.ndarray
    cs: np.ndarray
    ratios: np.ndarray
    dims: np.ndarray
    draws: np.ndarray | None = None   # dims[c, draw, T, ratio] of each draw of w*

    def at(self, ratio: float) -> np.ndarray:
        """(c, T) map at one ratio sigma_*/sigma_w of the grid."""
        return self.dims[:, :, int(np.flatnonzero(np.isclose(self.ratios, ratio))[0])]


@small_blas
def phase_diagram(params) -> PhaseDiagram:
    """The dimensionality over (T, c, sigma_*/sigma_w) (Fig. 5.3), averaged over draws of w*."""
    from tqdm.auto import tqdm

    Ts = np.unique(np.round(np.logspace(0, math.log10(PHASE["T_max"]), params.phase_T_points))).astype(int)
    cs = np.linspace(*PHASE["c_range"], params.phase_c_points)
    ratios = np.asarray(params.phase_ratios, dtype=float)

    def one(c):  # the same draws of V^T w* for every c (common random numbers: smooth maps in c)
        lam = L.sloppy_spectrum(N, c)
        yt = L.target_draws(lam, 1.0, params.phase_draws, seed=params.seed)
        return L.phase_dimensions(lam, yt, PHASE["alpha"], Ts, ratios, FRACTION)

    with ThreadPoolExecutor(2) as pool:
        per_draw = np.stack(list(tqdm(pool.map(one, cs), total=len(cs), desc="phase diagram (c)")))
    return PhaseDiagram(Ts, cs, ratios, per_draw.mean(axis=1), per_draw)


def phase_claims(ph: PhaseDiagram) -> tuple[Measured, str]:
    """D9's four parts from the phase diagram."""
    from scipy import ndimage

    at10, at1 = ph.at(10), ph.at(1)
    corr, ridge = _ridge(ph, at10)
    one_region = [ndimage.label(ph.dims[:, :, k] < 3)[1] == 1 for k in range(len(ph.ratios))]
    tail_ok = np.flatnonzero(~np.array(one_region))
    start = 0 if len(tail_ok) == 0 else tail_ok[-1] + 1
    threshold = float(ph.ratios[start]) if start < len(ph.ratios) else math.inf
    measured = Measured({"share of (T, c) with <= 3 dims at ratio 10": float(np.mean(at10 <= 3)),
                         "corr(c, log T of max dimension) at ratio 10": corr,
                         "median dims at c <= 0.1, ratio 1": float(np.median(at1[ph.cs <= 0.1])),
                         "smallest ratio with one < 3-dim region": threshold})
    note = (f"ridge from {len(ridge)} of {len(ph.cs)} slopes c (largest dimension at T = 1 for "
            f"{int(np.sum(np.argmax(at10, axis=1) == 0))} of them)")
    if 3 in ph.ratios:
        corr3, ridge3 = _ridge(ph, ph.at(3))
        note += f"; at ratio 3 the same correlation is {corr3:.2f} from {len(ridge3)} slopes"
    note += f"; one connected < 3-dim region at ratios {[float(r) for r, ok in zip(ph.ratios, one_region) if ok]}"
    return measured, note


def _ridge(ph: PhaseDiagram, dims: np.ndarray) -> tuple[float, list]:
    """Correlation of c with log10 T of each slope's largest dimension, over the slopes where it
    is an interior maximum (not at either end of the T grid) at least one dimension above the minimum."""
    ridge = [(c, math.log10(ph.Ts[j])) for c, col in zip(ph.cs, dims)
             for j in [int(np.argmax(col))] if col.max() - col.min() >= 1 and 0 < j < len(ph.Ts) - 1]
    return (float(np.corrcoef(np.array(ridge).T)[0, 1]) if len(ridge) >= 3 else 0.0), ridge


# ---------------------------------------------------------------------------------------
# Variants of sec. 5.3 (D10-D13)
# ---------------------------------------------------------------------------------------
@small_blas
def sgd_experiment(params) -> dict:
    """D10: minibatch SGD against the Langevin model (5.3.1), alpha = b alpha_1, sigma_w^2 = b s_1."""
    f, s = FIG52, SGD
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    lam, yt, T = pr.lambda_K, pr.y_tilde, s["T"]
    # the printed identities, against brute-force sums at b = 5
    a, b = ALPHA_STRICT / 5, 5
    Kd = L.K_d(pr.K, a)
    P_xi = pr.from_eigenbasis(np.diag(L.P_xi_eigenvalues(lam, a, b)))
    powers = matrix_powers(Kd, T)
    brute_sum = np.sum(powers @ P_xi @ powers, axis=0)
    brute_P = L.P_by_moments(Kd, -pr.y, 0.1 * pr.K + np.outer(pr.y, pr.y), T, noise_cov=a**2 / b * pr.K @ pr.K)
    printed = max(rel_err(pr.from_eigenbasis(np.diag(L.noise_sum_printed(lam, a, b, T))), brute_sum),
                  rel_err(pr.from_eigenbasis(L.pca_matrix_langevin(lam, yt, a, T, math.sqrt(0.1), b).P), brute_P))
    rows = []
    for b in s["batch_sizes"]:
        a, sw = s["alpha_per_sample"] * b, math.sqrt(s["sigma_w2_per_sample"] * b)
        W0 = L.initial_weights(params.sgd_inits, D, sw, seed=params.seed + b)
        P_gd = L.monte_carlo_P(L.gd_residuals(pr.A, pr.y, W0, a, T), [T])[T]
        P_sgd = L.monte_carlo_P(L.sgd_residuals(pr.A, pr.y, W0, a, T, b, seed=params.seed + 100 + b), [T])[T]
        lang, gd = L.pca_matrix_langevin(lam, yt, a, T, sw, b), L.pca_matrix(lam, yt, a, T, sw)
        noise_model = pr.from_eigenbasis(lang.P - gd.P)
        control = L.pca_matrix_langevin(lam, yt, a, T, math.sqrt(s["sigma_w2_per_sample"] * 5), b)
        rows.append(dict(b=b, alpha=a, sigma_w2=sw**2, sgd_vs_langevin=rel_err(P_sgd - P_gd, noise_model),
                         sgd_noise=P_sgd - P_gd, noise_model=noise_model,
                         sgd_noise_trace=float(np.trace(P_sgd - P_gd)),
                         langevin_noise_trace=float(np.trace(noise_model)),
                         dim=int(L.dimension(L.spectrum(lang.P), FRACTION)),
                         dim_fixed_sigma_w=int(L.dimension(L.spectrum(control.P), FRACTION)),
                         lambda1_P_xi_ratio=float(L.P_xi_eigenvalues(lam, a, b).max() / (a / b)),
                         spectrum_sgd=L.spectrum(P_sgd), spectrum_langevin=L.spectrum(lang.P),
                         spectrum_gd=L.spectrum(gd.P)))
    for k, r in enumerate(rows):  # the null: against the Langevin model of another batch size
        r["sgd_vs_other_langevin"] = rel_err(r["sgd_noise"], rows[(k + 1) % len(rows)]["noise_model"])
    dims = [r["dim"] for r in rows]
    measured = Measured({"printed sums vs brute force (rel. err.)": printed,
                         "max lambda_1(P_xi) / (alpha/b)": max(r["lambda1_P_xi_ratio"] for r in rows),
                         "SGD noise part vs Langevin (rel. err.)": max(r["sgd_vs_langevin"] for r in rows),
                         "spread of the 95% dimension over b": max(dims) - min(dims)})
    return dict(rows=rows, measured=measured)


@small_blas
def kernel_experiment(params, centred: bool = True) -> dict:
    """D11: M RBF kernels on the (scaled) sloppy inputs, each Gram matrix centred (H K H, H = I - 11^T/n;
    ``centred=False`` keeps them raw) and rescaled to lambda_1 = 1. An uncentred RBF Gram matrix has
    positive entries and a dominant near-constant eigenvector (the kernel's mean), which alone holds most
    of its trace; centring removes it, as CKA-style kernel comparisons do."""
    f, T = FIG52, KERNELS["T"]
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    X = math.sqrt(N) * pr.A
    sq = np.sum(X**2, axis=1)
    h = float(np.median(np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2 * X @ X.T, 0))[np.triu_indices(N, 1)]))
    H = np.eye(N) - np.ones((N, N)) / N if centred else np.eye(N)
    grams = [H @ L.rbf_gram(X, g * h) @ H for g in KERNELS["bandwidth_factors"]]
    Ks = np.stack([(K + K.T) / 2 / L.spectrum(K)[0] for K in grams])
    lams = np.maximum(L.spectrum(Ks), 1e-300)
    sw, a = math.sqrt(f["sigma_w2"]), f["alpha"]
    P, P1 = L.pca_matrix_kernels(Ks, pr.y, a, T, sw)
    target = L.pca_matrix_kernels(Ks, pr.y, a, T, 0.0)[1]
    singles = [L.pca_matrix_kernels(K[None], pr.y, a, T, sw) for K in Ks]
    single_rates = [L.decay_rate(L.spectrum(L.pca_matrix_kernels(K[None], pr.y, a, T, 0.0)[1])) for K in Ks]
    e1 = L.spectrum(P1)
    bound = L.kernel_bound_5_3_2(lams, a, T, sw, float(pr.y @ pr.y))
    copies = np.stack([Ks[0]] * len(Ks))  # null: M copies of one kernel (no averaging)
    copies_rate = L.decay_rate(L.spectrum(L.pca_matrix_kernels(copies, pr.y, a, T, 0.0)[1]))
    iso = np.eye(N)[None]  # null: the identity Gram matrix
    null = {"decay slow-down single / average": float(single_rates[0] / copies_rate),
            "95% dimension of P(M,T)": int(L.dimension(L.spectrum(L.pca_matrix_kernels(iso, pr.y, a, T, sw)[0]),
                                                        FRACTION))}
    measured = Measured({"(5.3.2): max ratio to the bound": max_ratio(e1 / e1[0], bound),
                         "decay slow-down single / average":
                             float(np.mean(single_rates) / L.decay_rate(L.spectrum(target))),
                         "95% dimension of P(M,T)": int(L.dimension(L.spectrum(P), FRACTION))})
    top = np.linalg.eigh(Ks)[1][:, :, -1]  # top eigenvector of each Gram matrix
    return dict(lambda_K=lams, slopes=[L.slope(x) for x in lams], single_rates=single_rates,
                top_vs_constant=np.abs(top.sum(axis=1)) / math.sqrt(N),
                single_dims=[int(L.dimension(L.spectrum(Pm), FRACTION)) for Pm, _ in singles],
                single_spectra=[L.spectrum(P1m) for _, P1m in singles], spectrum_P1=e1, bound=bound,
                measured=measured, null=null)


@small_blas
def weight_decay_experiment(params) -> dict:
    """D12: the exact affine update against the thesis's K + lambda I (Fig. 5.2 setting)."""
    f, T = FIG52, WEIGHT_DECAY["T"]
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    sw, rows = math.sqrt(f["sigma_w2"]), []
    for wd in WEIGHT_DECAY["lambdas"]:
        a = ALPHA_STRICT / (1 + wd)
        exact = L.pca_matrix_weight_decay(pr.lambda_K, pr.y_tilde, a, T, sw, wd)
        thesis = L.pca_matrix_weight_decay(pr.lambda_K, pr.y_tilde, a, T, sw, wd, exact=False)
        M = np.eye(N) - a * (pr.K + wd * np.eye(N))
        second = sw**2 * pr.K + np.outer(pr.y, pr.y)
        brute = L.P_by_moments(M, -pr.y, second, min(T, BRUTE_T_MAX), offset=-a * wd * pr.y)
        e_exact, e_thesis = L.spectrum(exact.P), L.spectrum(thesis.P)
        no_decay = L.pca_matrix(pr.lambda_K, pr.y_tilde, a, T, sw)
        rows.append(dict(weight_decay=wd, alpha=a, brute=rel_err(pr.from_eigenbasis(exact.P), brute),
                         no_decay_vs_exact=rel_err(no_decay.P, exact.P),
                         thesis_vs_exact=rel_err(thesis.P, exact.P), spectrum_exact=e_exact, spectrum_thesis=e_thesis,
                         dim_exact=int(L.dimension(e_exact, FRACTION)),
                         dim_thesis=int(L.dimension(e_thesis, FRACTION))))
    measured = Measured({"exact affine closed form vs brute force (rel. err.)": max(r["brute"] for r in rows),
                         "thesis's K + lambda I vs exact P(T) (max rel. err.)": max(r["thesis_vs_exact"] for r in rows),
                         "max |change of the 95% dimension|": max(abs(r["dim_exact"] - r["dim_thesis"]) for r in rows)})
    no_decay = L.pca_matrix(pr.lambda_K, pr.y_tilde, ALPHA_STRICT, T, sw)
    return dict(rows=rows, spectrum_no_decay=L.spectrum(no_decay.P), measured=measured)


@small_blas
def deep_linear_experiment(params) -> dict:
    """D13: two-layer linear networks from balanced and Gaussian (unbalanced) initialisations,
    against the linear dynamics with each network's initial kernel frozen."""
    g, T = DEEP, params.deep_steps
    pr = problem(FIG52["c"], g["sigma_star2"], params.seed)
    inits = {name: L.deep_linear_init(params.deep_inits, g["p"], D, math.sqrt(g["init_scale2"]), balanced=bal,
                                      seed=params.seed + k)
             for k, (name, bal) in enumerate((("balanced", True), ("unbalanced", False)))}
    K0 = {name: L.kernel_uv(pr.A, u, v) for name, (u, v) in inits.items()}
    alpha = g["lr_factor"] / max(float(L.spectrum(K)[:, 0].max()) for K in K0.values())
    every = max(1, T // g["checkpoints"])
    out = dict(alpha=alpha, steps=np.arange(0, T, every))
    for name, (u0, v0) in inits.items():
        R, drift = [], []
        for t, (Rt, u, v) in enumerate(L.deep_linear_residuals(pr.A, pr.y, u0, v0, alpha, T)):
            R.append(Rt)
            if t % every == 0:
                change = np.linalg.norm(L.kernel_uv(pr.A, u, v) - K0[name], axis=(1, 2))
                drift.append(change / np.linalg.norm(K0[name], axis=(1, 2)))
        R, drift = np.stack(R), np.stack(drift)
        R_lin = np.stack(list(L.linearised_residuals(K0[name], R[0], alpha, T)))
        deviation = np.max(np.linalg.norm(R - R_lin, axis=2), axis=0) / np.linalg.norm(R[0], axis=1)
        e_deep, e_lin = (L.spectrum(L.monte_carlo_P(iter(X), [T])[T]) for X in (R, R_lin))
        out[name] = dict(drift=np.median(drift, axis=1), drift_max=float(np.median(drift.max(axis=0))),
                         deviation=float(np.median(deviation)), spectrum=e_deep, spectrum_linearised=e_lin,
                         dim=int(L.dimension(e_deep, FRACTION)), dim_linearised=int(L.dimension(e_lin, FRACTION)))
    bal, unb = out["balanced"], out["unbalanced"]
    out["measured"] = Measured({"balanced: kernel drift": bal["drift_max"],
                                "balanced: deviation from linear dynamics": bal["deviation"],
                                "unbalanced / balanced kernel drift": unb["drift_max"] / bal["drift_max"],
                                "unbalanced: |dim - linearised dim|": abs(unb["dim"] - unb["dim_linearised"])})
    return out


# ---------------------------------------------------------------------------------------
# The chapter's checks and claims: measured values with intervals and nulls (issue 14)
# ---------------------------------------------------------------------------------------
def with_seed(params, seed: int):
    """``params`` with another seed (the other knobs unchanged)."""
    from netsim.profiles import Params

    return Params(params.profile, {**dict(params), "seed": int(seed)})


def check_values(d1: Measured, checks, mc: dict, lp2: dict, f51: dict, f54: list[dict]) -> dict:
    """The values of checks D1a-D6b (id -> number) from the chapter's exactness and bound runs."""
    d2, d3, d6 = d2_measured(checks, mc, lp2), d3_measured(checks, f51), d6_measured(checks, f54)
    return {"D1a": d1["GD residuals vs K_d^t r_0 (rel. err.)"], "D1b": d1["K_T closed form vs sum (rel. err.)"],
            "D1c": d1["rbar(N,T) vs K_T rbar(N,0) (rel. err.)"],
            **dict(zip(("D2a", "D2b", "D2c", "D2d", "D2e", "D2f"), d2.values())),
            **dict(zip(("D3a", "D3b", "D3c"), d3.values())),
            "D4a": float(checks["Lemma 5.2.1 ratio"].max()),
            "D5a": float(checks["Lemma 5.2.2 lower"].max()), "D5b": float(checks["Lemma 5.2.2 upper"].max()),
            **dict(zip(("D6a", "D6b"), d6.values()))}


def reference_rate(c: float, n: int = N) -> float:
    """The decay rate pi^2 / (n c) per index that the thesis reads off Lemma 5.2.1."""
    return math.pi ** 2 / (n * c)


def d4_claim(seeds: int = CLAIM_SEEDS, seed: int = 0) -> tuple[Estimate, float, list[dict]]:
    """D4: median over the SPEED settings with T >= n of (decay rate of P_1^y / (pi^2/(n c))),
    over ``seeds`` draws of the problem (value: the first draw); the null runs the rate estimator
    on a spectrum that decays exactly at the reference rate. Also returns the rows of every draw."""
    rows, medians = [], []
    for s in range(seed, seed + seeds):
        draw = [dict(r, seed=s, vs_reference=r["rate"] / reference_rate(r["c"])) for r in lemma_5_2_1_speed(s)]
        rows += draw
        medians.append(float(np.median([r["vs_reference"] for r in draw if r["T"] >= N])))
    null = float(np.median([L.decay_rate(np.exp(-reference_rate(c) * np.arange(N)), floor=1e-8) / reference_rate(c)
                            for c in SPEED["cs"]]))
    return estimate(medians[0], medians, "draws of the problem"), null, rows


def d5_claim(draws: int, seed: int = 0) -> tuple[Estimate, float, float]:
    """D5: relative standard deviation of ||y||^2 / (sigma_*^2 tr K) over draws of w* with its
    bootstrap over draws; the null (rank-one K: sqrt(2)) and the closed form sqrt(2 sum lambda^2) / sum lambda."""
    ratio = norm_y_concentration(draws, seed)
    est = bootstrap(lambda idx: float(ratio[idx].std() / ratio[idx].mean()), len(ratio), unit="draws of w*",
                    seed=seed)
    lam = L.sloppy_spectrum(N, FIG52["c"])
    return est, math.sqrt(2.0), float(math.sqrt(2 * np.sum(lam ** 2)) / lam.sum())


def d7_claim(draws: int = 5) -> tuple[dict, dict]:
    """D7: per draw of w*, the largest factor max(a/b, b/a) between P_1 and P_1^y over the head (top 3) and
    between P_1 and P_1^{sigma_w} over the tail (i > n/2); median and range over draws. Null: the
    components swapped."""
    f = FIG52
    factor = lambda a, b: float(np.max(np.maximum(a / b, b / a)))  # noqa: E731
    head, tail, head0, tail0 = [], [], [], []
    for s in range(draws):
        pr = problem(f["c"], f["sigma_star2"], s)
        parts = L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], f["T"], math.sqrt(f["sigma_w2"]))
        e1, ey, es = L.spectrum(parts.P1), L.spectrum(parts.P1_y), np.diag(parts.P1_sigma_w)
        head.append(factor(e1[:3], ey[:3]))
        tail.append(factor(e1[N // 2:], es[N // 2:]))
        head0.append(factor(e1[:3], es[:3]))
        tail0.append(factor(e1[N // 2:], np.maximum(ey[N // 2:], 1e-300)))
    names = ("head (top 3): max factor P_1 vs P_1^y", "tail (i > n/2): max factor P_1 vs P_1^{sigma_w}")
    measured = {names[0]: spread(head, unit="draws of w*", center="median"),
                names[1]: spread(tail, unit="draws of w*", center="median")}
    null = {names[0]: float(np.median(head0)), names[1]: min(1e300, float(np.median(tail0)))}
    return measured, null


def growth_per_decade(spectra: dict, tail_from: int = N // 2) -> tuple[float, float]:
    """Smallest log10 growth per decade of T of T P's mean log tail (i > tail_from) and of its top
    eigenvalue, over successive T of ``spectra`` (T -> eigenvalues of P, normalised by 1/(NT))."""
    Ts = sorted(spectra)
    logT = np.log10(Ts)
    tail = np.array([np.mean(np.log10(np.maximum(spectra[T][tail_from:] * T, 1e-300))) for T in Ts])
    top = np.log10([spectra[T][0] * T for T in Ts])
    return float(np.min(np.diff(tail) / np.diff(logT))), float(np.min(np.diff(top) / np.diff(logT)))


@small_blas
def fig55_claim(params, groups: int = 4) -> dict:
    """Fig. 5.5 and D8: the simulated P(N, T) on ``groups`` disjoint groups of initialisations; the
    growth of T P per decade of T from the mean of the groups' P, its range over groups, and the null
    (the same growth between two groups at the same T, every T and neighbouring pair of groups);
    also the closed-form P(T) spectra in both normalisations."""
    f = FIG55
    pr = problem(f["c"], f["sigma_star2"], params.seed)
    W0 = L.initial_weights(params.fig55_inits, D, math.sqrt(f["sigma_w2"]), seed=params.seed + 5)
    size = len(W0) // groups
    per_group = [L.monte_carlo_P(L.gd_residuals(pr.A, pr.y, W0[g * size:(g + 1) * size], f["alpha"], max(f["Ts"])),
                                 f["Ts"]) for g in range(groups)]
    Ts = sorted(f["Ts"])
    spectra = {T: L.spectrum(np.mean([Pg[T] for Pg in per_group], axis=0)) for T in Ts}
    group_spectra = [{T: L.spectrum(Pg[T]) for T in Ts} for Pg in per_group]
    point = growth_per_decade(spectra)
    by_group = np.array([growth_per_decade(sp) for sp in group_spectra])
    null = []
    for g in range(groups):
        a, b = group_spectra[g], group_spectra[(g + 1) % groups]
        for T in Ts:  # "growth" from group a to group b at the same T, counted as one decade
            null.append(growth_per_decade({1: a[T] / 1, 10: b[T] / 10}))
    null = np.array(null)
    names = ("tail of T P(N,T): smallest log10 growth of the mean log tail per decade of T",
             "top of T P(N,T): smallest log10 growth per decade of T")
    measured = {k: estimate(point[i], by_group[:, i], "groups of initialisations") for i, k in enumerate(names)}
    nulls = {k: null_range(null[:, i], unit="group pairs and T") for i, k in enumerate(names)}
    closed = {T: L.spectrum(L.pca_matrix(pr.lambda_K, pr.y_tilde, f["alpha"], T, math.sqrt(f["sigma_w2"])).P) for T in Ts}
    normalised = dict(tail=[float(np.mean(np.log10(closed[T][N // 2:]))) for T in Ts], top=[float(closed[T][0]) for T in Ts])
    return dict(spectra=spectra, measured=measured, null=nulls, closed=closed, normalised=normalised,
                closed_growth=growth_per_decade(closed))


def _phase_parts(Ts, cs, ratios, dims) -> dict:
    """D9's four statistics of one (c, T, ratio) map of dimensions, on the grid points T >= 2."""
    from scipy import ndimage

    keep = Ts >= 2
    Ts, dims = Ts[keep], dims[:, keep]
    at = lambda r: dims[:, :, int(np.flatnonzero(np.isclose(ratios, r))[0])]  # noqa: E731
    ridge = [(c, math.log10(Ts[j])) for c, col in zip(cs, at(10)) for j in [int(np.argmax(col))]
             if col.max() - col.min() >= 1 and 0 < j < len(Ts) - 1]
    corr = float(np.corrcoef(np.array(ridge).T)[0, 1]) if len(ridge) >= 3 else None
    one_region = [ndimage.label(dims[:, :, k] < 3)[1] == 1 for k in range(len(ratios))]
    bad = np.flatnonzero(~np.array(one_region))
    start = 0 if len(bad) == 0 else bad[-1] + 1
    return dict(share=float(np.mean(at(10) <= 3)), share_ratio1=float(np.mean(at(1) <= 3)), corr=corr, ridge=ridge,
                median=float(np.median(at(1)[cs <= 0.1])), median_ratio10=float(np.median(at(10)[cs <= 0.1])),
                threshold=float(ratios[start]) if start < len(ratios) else None,
                one_region=[float(r) for r, ok in zip(ratios, one_region) if ok],
                boundary_maxima=int(np.sum(np.argmax(at(10), axis=1) == 0)))


def phase_claim(ph: PhaseDiagram, permutations: int = 200, seed: int = 0) -> dict:
    """D9a-d from the phase diagram: each statistic on the map averaged over draws of w* (T >= 2), with
    the range over the draws' own maps, and the nulls (ratio 1 for D9a, the slopes permuted across the
    ridge points for D9b, ratio 10 for D9c). A statistic that cannot be measured (fewer than 3 ridge
    points; no ratio of the grid with one region) is None."""
    mean = _phase_parts(ph.Ts, ph.cs, ph.ratios, ph.dims)
    draws = [_phase_parts(ph.Ts, ph.cs, ph.ratios, ph.draws[:, k]) for k in range(ph.draws.shape[1])]

    def est(key):
        values = [d[key] for d in draws if d[key] is not None]
        if mean[key] is None:
            return None
        return estimate(mean[key], values or [mean[key]], "draws of w*")

    out = dict(mean=mean, draws=draws, D9a=est("share"), D9b=est("corr"), D9c=est("median"), D9d=est("threshold"),
               D9a_null=mean["share_ratio1"], D9c_null=mean["median_ratio10"], D9b_null=None)
    if mean["corr"] is not None:
        rng = np.random.default_rng(seed)
        c, logT = np.array(mean["ridge"]).T
        out["D9b_null"] = null_range([float(np.corrcoef(rng.permutation(c), logT)[0, 1]) for _ in range(permutations)])
    return out


def sgd_claim(params, seeds: int = CLAIM_SEEDS) -> dict:
    """D10 over ``seeds`` draws (problem, initialisations and minibatches): the checks' values (worst
    over draws), the claim's parts (first draw, range over draws) and nulls."""
    runs = [sgd_experiment(with_seed(params, params.seed + k)) for k in range(seeds)]
    noise = [max(r["sgd_vs_langevin"] for r in run["rows"]) for run in runs]
    spread_b = [run["measured"]["spread of the 95% dimension over b"] for run in runs]
    fixed = [max(r["dim_fixed_sigma_w"] for r in run["rows"]) - min(r["dim_fixed_sigma_w"] for r in run["rows"])
             for run in runs]
    other = [max(r["sgd_vs_other_langevin"] for r in run["rows"]) for run in runs]
    names = ("SGD noise part vs Langevin (rel. err.)", "spread of the 95% dimension over b")
    return dict(first=runs[0],
                checks={"D10a": max(run["measured"]["printed sums vs brute force (rel. err.)"] for run in runs),
                        "D10b": max(run["measured"]["max lambda_1(P_xi) / (alpha/b)"] for run in runs)},
                measured={names[0]: estimate(noise[0], noise, "draws"), names[1]: estimate(spread_b[0], spread_b, "draws")},
                null={names[0]: estimate(other[0], other, "draws"), names[1]: estimate(fixed[0], fixed, "draws")})


def kernel_claim(params, seeds: int = CLAIM_SEEDS) -> dict:
    """D11 over ``seeds`` draws of the problem: check D11a (worst draw), the parts (first draw, range)
    and the nulls (first draw); also the uncentred first draw for comparison."""
    runs = [kernel_experiment(with_seed(params, params.seed + k)) for k in range(seeds)]
    names = ("decay slow-down single / average", "95% dimension of P(M,T)")
    return dict(first=runs[0], uncentred=kernel_experiment(params, centred=False),
                checks={"D11a": max(run["measured"]["(5.3.2): max ratio to the bound"] for run in runs)},
                measured={k: estimate(runs[0]["measured"][k], [run["measured"][k] for run in runs], "draws of the problem")
                          for k in names}, null=runs[0]["null"])


def weight_decay_claim(params, seeds: int = CLAIM_SEEDS) -> dict:
    """D12 over ``seeds`` draws of the problem: check D12a, the small-lambda and lambda = 0.1 errors and the
    dimension change (first draw, range), and the null (the error of ignoring weight decay)."""
    runs = [weight_decay_experiment(with_seed(params, params.seed + k)) for k in range(seeds)]
    small = [max(r["thesis_vs_exact"] for r in run["rows"] if r["weight_decay"] <= 0.01) for run in runs]
    large = [max(r["thesis_vs_exact"] for r in run["rows"] if r["weight_decay"] > 0.01) for run in runs]
    dims = [run["measured"]["max |change of the 95% dimension|"] for run in runs]
    first = runs[0]
    none_small = max(r["no_decay_vs_exact"] for r in first["rows"] if r["weight_decay"] <= 0.01)
    none_large = max(r["no_decay_vs_exact"] for r in first["rows"] if r["weight_decay"] > 0.01)
    names = ("thesis's K + lambda I vs exact P(T), lambda <= 0.01 (max rel. err.)",
             "thesis's K + lambda I vs exact P(T), lambda = 0.1 (rel. err.)", "max |change of the 95% dimension|")
    return dict(first=first, checks={"D12a": max(run["measured"]["exact affine closed form vs brute force (rel. err.)"]
                                                for run in runs)},
                measured=dict(zip(names, (estimate(small[0], small, "draws of the problem"),
                                          estimate(large[0], large, "draws of the problem"),
                                          estimate(dims[0], dims, "draws of the problem")))),
                null={names[0]: none_small, names[1]: none_large})


def deep_linear_claim(params, seeds: int = CLAIM_SEEDS) -> dict:
    """D13 over ``seeds`` draws of the networks and the problem: the parts (first draw, range) and the
    nulls (balanced parts: the unbalanced networks; ratio: a second balanced draw over the first; the
    dimension part: the balanced networks)."""
    runs = [deep_linear_experiment(with_seed(params, params.seed + k)) for k in range(seeds)]
    other = deep_linear_experiment(with_seed(params, params.seed + 10))
    names = list(runs[0]["measured"])
    measured = {k: estimate(runs[0]["measured"][k], [run["measured"][k] for run in runs], "draws") for k in names}
    unb, bal = runs[0]["unbalanced"], runs[0]["balanced"]
    null = {names[0]: unb["drift_max"], names[1]: unb["deviation"],
            names[2]: other["balanced"]["drift_max"] / bal["drift_max"],
            names[3]: abs(bal["dim"] - bal["dim_linearised"])}
    return dict(first=runs[0], measured=measured, null=null)
