"""Tests of netsim.studies.linear_theory.figures on small synthetic inputs (Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from netsim.studies import linear_theory as S  # noqa: E402
from netsim.studies.linear_theory import figures  # noqa: E402

n = 12
spectrum = np.logspace(0, -6, n)


pytestmark = pytest.mark.usefixtures("figures_closed")


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def phase():
    Ts, cs, ratios = np.array([1, 3, 10, 30, 100]), np.linspace(0.02, 1, 4), np.array([1.0, 3.0, 10.0])
    dims = 1 + 40 * np.random.default_rng(0).random((len(cs), len(Ts), len(ratios)))
    return S.PhaseDiagram(Ts, cs, ratios, dims)


def test_monte_carlo_and_spectra_figures():
    mc = dict(N=np.array([100, 300, 1000]), error=np.array([0.3, 0.17, 0.1]), slope=-0.5)
    T = np.array([1, 10, 100])
    lp2 = dict(T=T, lambda_P2=1.0 / T**2, bound=2.0 / T**2, late=10.0)
    fig = figures.monte_carlo(mc, lp2)
    assert titles(fig) == ["Monte Carlo error (slope -0.50)", r"The rank-one term $P_2$ vanishes"]
    f51 = {T: dict(numerical=spectrum * T, bound=2 * spectrum * T) for T in (1, 10)}
    assert len(figures.initialisation_term(f51).axes[0].lines) == 4
    lyap = dict(spectra={10: spectrum, 100: spectrum}, distance={10: 0.5, 100: 0.1}, limit=spectrum)
    fig = figures.two_parts(dict(P1=spectrum, P1_y=spectrum, P1_sigma_w=spectrum), lyap)
    assert len(fig.axes[1].lines) == 3
    fig = figures.growth_with_T({10: spectrum, 100: spectrum}, 200)
    assert fig.get_suptitle() == "Fig. 5.5: simulated gradient descent, N = 200 initialisations"


def test_lemma_figures():
    speed = [dict(c=c, T=T, ratio=spectrum, rho=1.5) for c in S.SPEED["cs"] for T in S.SPEED["Ts"]]
    fig = figures.target_decay(speed, np.random.default_rng(0).normal(1, 0.1, 50), 0.123)
    assert titles(fig)[1] == "(5.2.11): relative SD 0.12"
    f54 = [dict(T=T, c=c, exact=spectrum, bound=2 * spectrum) for T in S.FIG54["Ts"] for c in S.FIG54["cs"]]
    fig = figures.lemma_5_2_3(f54)
    assert [len(ax.lines) for ax in fig.axes] == [2 * len(S.FIG54["cs"])] * 2


def test_phase_figures():
    ph = phase()
    fig = figures.phase_maps(ph)
    assert fig.get_suptitle().startswith("Fig. 5.3 (a-c)") and len(fig.axes) == 4  # three maps and a colour bar
    fig = figures.phase_boundaries_3d(ph)
    assert fig.axes[0].name == "3d"
    fig = figures.phase_contours(ph)
    assert titles(fig) == ["(e) 3-dimension contours, one per ratio", "(f) 10-dimension contours, one per ratio"]


def test_variant_figures():
    rows = [dict(b=b, spectrum_sgd=spectrum, spectrum_langevin=spectrum, spectrum_gd=spectrum, sgd_noise_trace=0.1 * b,
                 langevin_noise_trace=0.1 * b, dim=3 + b, dim_fixed_sigma_w=4) for b in (1, 5, 25)]
    assert titles(figures.sgd(rows))[0] == "b = 5"
    M = len(S.KERNELS["bandwidth_factors"])
    ker = dict(lambda_K=np.tile(spectrum, (M, 1)), single_spectra=[spectrum] * M, spectrum_P1=spectrum, bound=spectrum)
    assert len(figures.kernels(ker).axes[1].lines) == M + 2
    wd = dict(spectrum_no_decay=spectrum, rows=[dict(weight_decay=lam, spectrum_exact=spectrum,
                                                     spectrum_thesis=spectrum) for lam in S.WEIGHT_DECAY["lambdas"]])
    assert titles(figures.weight_decay(wd)) == [f"Weight decay, T = {S.WEIGHT_DECAY['T']}"]
    part = dict(drift=np.linspace(0, 0.1, 5), spectrum=spectrum, spectrum_linearised=spectrum)
    fig = figures.deep_linear(dict(steps=np.arange(5), balanced=part, unbalanced=part), 40)
    assert titles(fig)[1] == "Trajectories of 40 networks"
