"""Figures of chapter 07 (the linear-model theory of sloppiness, thesis chapter 5).

Each function takes what the chapter has computed (the dictionaries and tables of
:mod:`netsim.studies.linear_theory`) and returns a matplotlib figure with labelled axes;
captions, claims and glued numbers live in the notebook. Eigenvalue spectra are 1-D arrays of
length n (the number of samples, 50 at the thesis's settings), largest first.
"""
from __future__ import annotations

import numpy as np

from netsim import plotting
from netsim.linear import lemma_5_2_1_bound
from netsim.studies.linear_theory import FIG54, KERNELS, PHASE, SPEED, WEIGHT_DECAY

LEVEL_COLOURS = ("black", "tab:pink", "tab:orange")  # contours at PHASE["levels"] = 3, 10, 30 dimensions


def monte_carlo(mc: dict, lp2: dict):
    """Figure 1: Monte Carlo error of P(N, T) against N, and the rank-one term lambda^{P_2} against T.

    Parameters
    ----------
    mc : from ``monte_carlo_convergence``: ``N`` (k,) numbers of initialisations, ``error`` (k,)
        relative Frobenius errors, ``slope`` the fitted log-log slope.
    lp2 : from ``lambda_P2_curve``: ``T`` (m,) training times, ``lambda_P2`` (m,) and ``bound`` (m,)
        the eigenvalue and its bound (5.2.8), ``late`` the time 1/(alpha lambda_n).
    """
    fig, axes = plotting.figure(2, width=4.8, height=3.6)
    axes[0].loglog(mc["N"], mc["error"], "o-", label="simulated gradient descent")
    axes[0].loglog(mc["N"], mc["error"][0] * np.sqrt(mc["N"][0] / mc["N"]), "k:", label=r"$\propto 1/\sqrt{N}$")
    axes[0].set(xlabel="number of initialisations N", ylabel=r"$\|P(N,T) - P(T)\|_F / \|P(T)\|_F$",
                title=f"Monte Carlo error (slope {mc['slope']:.2f})")
    axes[0].legend()
    axes[1].loglog(lp2["T"], lp2["lambda_P2"], label=r"$\lambda^{P_2} = \|K_T y\|^2$")
    axes[1].loglog(lp2["T"], lp2["bound"], "k:", label=r"$\|y\|^2 / (\alpha T \lambda_n)^2$ (5.2.8)")
    axes[1].axvline(lp2["late"], color="0.6", linewidth=1)
    axes[1].set(xlabel="training steps T", ylabel="eigenvalue",
                ylim=(lp2["lambda_P2"].min() / 3, lp2["bound"].max()),
                title=r"The rank-one term $P_2$ vanishes")
    axes[1].legend(fontsize="small")
    return fig


def initialisation_term(f51: dict):
    """Figure 2 (thesis Fig. 5.1): eigenvalues of the initialisation term (solid) and the bound (5.2.10) (dotted).

    Parameters
    ----------
    f51 : from ``fig51``: training time T -> dict with ``numerical`` (n,) eigenvalues of the
        brute-force sum and ``bound`` (n,), one colour per T.
    """
    import matplotlib.pyplot as plt

    fig, ax = plotting.figure(width=6.2, height=4.2)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(f51)))
    i = np.arange(1, len(next(iter(f51.values()))["numerical"]) + 1)
    for colour, (T, v) in zip(colours, f51.items()):
        ax.semilogy(i, v["numerical"], color=colour, label=f"T = {T:g}")
        ax.semilogy(i, v["bound"], ":", color=colour)
    ax.set(xlabel="eigenvalue index i", ylabel=r"$\lambda_i^{\sigma_w}$ of $\sigma_w^2\sum_{t<T} K_d^t K K_d^t$",
           title=r"Fig. 5.1: initialisation term (solid) and bound (5.2.10) (dotted)")
    ax.legend(ncols=2)
    return fig


def two_parts(spectra: dict, lyap: dict):
    """Figure 3 (thesis Fig. 5.2): the spectrum of P_1 and its two parts; T P_1^y(T) against the Lyapunov limit.

    Parameters
    ----------
    spectra : ``fig52()["spectra"]``: ``P1``, ``P1_y`` and ``P1_sigma_w``, each (n,).
    lyap : from ``lyapunov_limit``: ``spectra`` T -> (n,) eigenvalues of T P_1^y(T), ``distance``
        T -> relative distance to the limit, ``limit`` (n,) eigenvalues of the Lyapunov solution.
    """
    fig, axes = plotting.figure(2, width=5.0, height=3.8)
    i = np.arange(1, len(spectra["P1"]) + 1)
    axes[0].semilogy(i, spectra["P1"], "k-", linewidth=2.5, alpha=0.4, label=r"$P_1 = P_1^{\sigma_w} + P_1^y$")
    axes[0].semilogy(i, spectra["P1_y"], "-", label=r"$P_1^y$ (targets)")
    axes[0].semilogy(i, spectra["P1_sigma_w"], "--", label=r"$P_1^{\sigma_w}$ (initialisation)")
    axes[0].set(xlabel="eigenvalue index i", ylabel="eigenvalue (normalised by 1/T)", ylim=(1e-8, None),
                title="Fig. 5.2: the two parts of $P_1(T)$")
    axes[0].legend()
    for T, e in lyap["spectra"].items():
        axes[1].semilogy(i, e, label=f"T = {T} (rel. distance {lyap['distance'][T]:.2f})")
    axes[1].semilogy(i, lyap["limit"], "k:", linewidth=2, label="Lyapunov solution (T = inf)")
    axes[1].set(xlabel="eigenvalue index i", ylabel=r"eigenvalue of $T P_1^y(T)$", ylim=(1e-14, None),
                title=r"$T P_1^y(T)$ tends to the Lyapunov solution")
    axes[1].legend(fontsize="small")
    return fig


def target_decay(speed: list[dict], norm_ratio: np.ndarray, relative_sd: float):
    """Figure 4: Lemma 5.2.1 (exact decay of P_1^y and the bound) and the concentration (5.2.11) of ||y||^2.

    Parameters
    ----------
    speed : from ``lemma_5_2_1_speed``: one row per (c, T) of ``SPEED``, with ``ratio`` (n,)
        eigenvalues of P_1^y over the first, and ``rho`` of Lemma 5.2.1.
    norm_ratio : (draws,) ``||y||^2 / (sigma_*^2 tr K)`` per draw of w*.
    relative_sd : the relative standard deviation shown in the right panel's title (claim D5's value).
    """
    fig, axes = plotting.figure(2, width=5.0, height=3.8)
    for c, colour in zip(SPEED["cs"], ("tab:blue", "tab:orange", "tab:green")):
        rows = [r for r in speed if r["c"] == c]
        for r, style in zip(rows, (":", "--", "-")):
            axes[0].semilogy(np.arange(1, len(r["ratio"]) + 1), np.abs(r["ratio"]), style, color=colour,
                             label=f"c = {c}, T = {r['T']}")
        j = np.arange(1, len(rows[0]["ratio"]) + 1, 2)
        axes[0].semilogy(j, lemma_5_2_1_bound((j - 1) // 2, rows[0]["rho"]), "o", color=colour, markersize=3)
    axes[0].set(xlabel="eigenvalue index i", ylabel=r"$\lambda^y_i / \lambda^y_1$", ylim=(1e-12, 2),
                title="Lemma 5.2.1: exact (lines) and bound (dots)")
    axes[0].legend(fontsize="x-small", ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    axes[1].hist(norm_ratio, bins=40, color="0.4")
    axes[1].axvline(1, color="tab:red")
    axes[1].set(xlabel=r"$\|y\|^2 / (\sigma_*^2\,\mathrm{tr}\,K)$", ylabel="draws of $w_*$",
                title=f"(5.2.11): relative SD {relative_sd:.2f}")
    return fig


def lemma_5_2_3(f54: list[dict]):
    """Figure 5 (thesis Fig. 5.4): Lemma 5.2.3's bound (dashed) against the exact spectrum of P_1, one panel per T.

    Parameters
    ----------
    f54 : from ``fig54``: one row per (T, c) of ``FIG54``, with ``exact`` (n,) eigenvalues of P_1
        over the first and ``bound`` (n,).
    """
    import matplotlib.pyplot as plt

    fig, axes = plotting.figure(2, width=5.0, height=3.8, sharey=True)
    for ax, T in zip(axes, FIG54["Ts"]):
        for r, colour in zip([r for r in f54 if r["T"] == T], plt.cm.plasma(np.linspace(0, 0.85, len(FIG54["cs"])))):
            i = np.arange(1, len(r["exact"]) + 1)
            ax.semilogy(i, r["exact"], color=colour, label=f"c = {r['c']}")
            ax.semilogy(i, r["bound"], "--", color=colour)
        ax.set(xlabel="eigenvalue index i", title=f"Fig. 5.4: Lemma 5.2.3, T = {T}", ylim=(1e-12, 3))
    axes[0].set_ylabel(r"$\lambda_i^{P_1} / \lambda_1^{P_1}$")
    axes[0].legend()
    return fig


def growth_with_T(spectra: dict, n_inits: int):
    """Figure 6 (thesis Fig. 5.5): spectra of the simulated P(N, T), time-summed (T P) and normalised as in (5.2.3).

    Parameters
    ----------
    spectra : ``fig55_claim(...)["spectra"]``: training time T -> (n,) eigenvalues of P(N, T).
    n_inits : the number N of initialisations (shown in the suptitle).
    """
    fig, axes = plotting.figure(2, width=5.0, height=3.8)
    for T, e in spectra.items():
        i = np.arange(1, len(e) + 1)
        axes[0].semilogy(i, T * e, label=f"T = {T}")
        axes[1].semilogy(i, e, label=f"T = {T}")
    axes[0].set(xlabel="eigenvalue index i", ylabel=r"eigenvalue of $T\,P(N,T)$", title="Time-summed scatter")
    axes[1].set(xlabel="eigenvalue index i", ylabel=r"eigenvalue of $P(N,T)$", title="Normalised as in (5.2.3)")
    axes[0].legend()
    fig.suptitle(f"Fig. 5.5: simulated gradient descent, N = {n_inits} initialisations")
    return fig


def phase_maps(phase):
    """Figure 7 (thesis Fig. 5.3 a-c): dimensionality over (c, T) at the ratios ``PHASE["heat_ratios"]``, with contours.

    Parameters
    ----------
    phase : a :class:`~netsim.studies.linear_theory.PhaseDiagram`: ``cs`` (n_c,), ``Ts`` (n_T,),
        ``ratios`` (n_r,) and ``dims`` (n_c, n_T, n_r) mean 95% dimensions.
    """
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import ScalarFormatter

    norm = LogNorm(1, 50)
    fig, axes = plotting.figure(3, width=4.2, height=3.8, sharey=True)
    for ax, ratio, letter in zip(axes, PHASE["heat_ratios"], "abc"):
        mesh = ax.pcolormesh(phase.cs, phase.Ts, phase.at(ratio).T, norm=norm, cmap="viridis", shading="nearest")
        ax.contour(phase.cs, phase.Ts, phase.at(ratio).T, levels=PHASE["levels"], colors=LEVEL_COLOURS,
                   linewidths=1.5)
        ax.set(yscale="log", xlabel="slope c of the input spectrum",
               title=f"({letter}) $\\sigma_*/\\sigma_w$ = {ratio}")
    axes[0].set_ylabel("training steps T")
    bar = fig.colorbar(mesh, ax=axes, label="dimensions for 95% of the variance", ticks=[1, 2, 3, 5, 10, 20, 30, 50])
    bar.ax.yaxis.set_major_formatter(ScalarFormatter())
    fig.suptitle("Fig. 5.3 (a-c): contours at 3 (black), 10 (pink) and 30 (orange) dimensions")
    return fig


def phase_boundaries_3d(phase):
    """Figure 8 (thesis Fig. 5.3 d): the 3-, 10- and 30-dimension boundaries over (c, log10 T), stacked by ratio.

    Parameters
    ----------
    phase : a :class:`~netsim.studies.linear_theory.PhaseDiagram` (``dims`` (n_c, n_T, n_r)).
    """
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(6.4, 5.2), layout="constrained")
    ax3d = fig.add_subplot(projection="3d")
    logT = np.log10(phase.Ts)
    for k, ratio in enumerate(phase.ratios):
        for level, colour in zip(PHASE["levels"], LEVEL_COLOURS):
            if phase.dims[:, :, k].min() < level < phase.dims[:, :, k].max():
                ax3d.contour(phase.cs, logT, phase.dims[:, :, k].T, levels=[level], colors=colour, linewidths=1,
                             zdir="z", offset=ratio)
    ax3d.set(xlabel="slope c", ylabel=r"$\log_{10} T$", zlim=(phase.ratios.min(), phase.ratios.max()))
    ax3d.set_zlabel(r"$\sigma_*/\sigma_w$")
    ax3d.view_init(elev=22, azim=-60)
    ax3d.set_title("Fig. 5.3 (d): boundaries at 3 (black), 10 (pink) and 30 (orange) dimensions", fontsize="medium")
    return fig


def phase_contours(phase, levels=(3, 10)):
    """Figure 9 (thesis Fig. 5.3 e-f): one contour per ratio sigma_*/sigma_w at each of ``levels`` dimensions.

    Parameters
    ----------
    phase : a :class:`~netsim.studies.linear_theory.PhaseDiagram` (``dims`` (n_c, n_T, n_r)).
    levels : the two dimensions whose contours are drawn, panels (e) and (f).
    """
    import matplotlib.pyplot as plt

    fig, axes = plotting.figure(2, width=5.0, height=4.0, sharey=True)
    cmap = plt.cm.viridis
    for ax, level, letter in zip(axes, levels, "ef"):
        for k, ratio in enumerate(phase.ratios):
            if phase.dims[:, :, k].min() < level < phase.dims[:, :, k].max():
                ax.contour(phase.cs, phase.Ts, phase.dims[:, :, k].T, levels=[level], linewidths=1.2,
                           colors=[cmap((ratio - phase.ratios.min()) / np.ptp(phase.ratios))])
        ax.set(yscale="log", xlabel="slope c", title=f"({letter}) {level}-dimension contours, one per ratio")
    axes[0].set_ylabel("training steps T")
    sm = plt.cm.ScalarMappable(cmap=cmap, norm=plt.Normalize(phase.ratios.min(), phase.ratios.max()))
    fig.colorbar(sm, ax=axes, label=r"$\sigma_*/\sigma_w$")
    return fig


def sgd(rows: list[dict]):
    """Figure 10: minibatch SGD against the Langevin model (D10): spectra at the middle b, noise, dimensions.

    Parameters
    ----------
    rows : ``sgd_claim(...)["first"]["rows"]``, one per batch size b: ``spectrum_sgd``,
        ``spectrum_langevin``, ``spectrum_gd`` (n,) each; ``sgd_noise_trace``, ``langevin_noise_trace``,
        ``dim`` and ``dim_fixed_sigma_w`` scalars.
    """
    fig, axes = plotting.figure(3, width=4.3, height=3.6)
    mid = rows[len(rows) // 2]
    i = np.arange(1, len(mid["spectrum_gd"]) + 1)
    for key, style, label in (("spectrum_sgd", "-", "minibatch SGD (simulated)"),
                              ("spectrum_langevin", "--", "Langevin model (closed form)"),
                              ("spectrum_gd", ":", "gradient descent")):
        axes[0].semilogy(i, mid[key], style, label=label)
    axes[0].set(xlabel="eigenvalue index i", ylabel="eigenvalue of P(T)", title=f"b = {mid['b']}", ylim=(1e-7, None))
    axes[0].legend(fontsize="small")
    b = np.array([r["b"] for r in rows])
    axes[1].plot(b, [r["sgd_noise_trace"] for r in rows], "o-", label="minibatch SGD")
    axes[1].plot(b, [r["langevin_noise_trace"] for r in rows], "s--", label="Langevin model")
    axes[1].set(xscale="log", xlabel=r"batch size b ($\alpha \propto b$)", ylabel="trace of the noise part of P(T)",
                title="What the noise adds")
    axes[1].legend(fontsize="small")
    axes[2].plot(b, [r["dim"] for r in rows], "o-", label=r"$\sigma_w^2 \propto b$ (thesis)")
    axes[2].plot(b, [r["dim_fixed_sigma_w"] for r in rows], "s--", label=r"$\sigma_w^2$ = 0.1 fixed")
    axes[2].set(xscale="log", xlabel=r"batch size b ($\alpha \propto b$)", ylabel="dimensions for 95%",
                title="Langevin model at fixed T")
    axes[2].legend(fontsize="small")
    return fig


def kernels(ker: dict):
    """Figure 11: kernel machines (D11): the RBF Gram spectra, and P_1 of single kernels against their average.

    Parameters
    ----------
    ker : ``kernel_claim(...)["first"]``: ``lambda_K`` (M, n) Gram eigenvalues, ``single_spectra``
        M arrays (n,), ``spectrum_P1`` (n,) of the average and ``bound`` (n,) of (5.3.2).
    """
    fig, axes = plotting.figure(2, width=5.0, height=3.8)
    i = np.arange(1, ker["lambda_K"].shape[1] + 1)
    for lam, factor, spec in zip(ker["lambda_K"], KERNELS["bandwidth_factors"], ker["single_spectra"]):
        line, = axes[0].semilogy(i, lam, label=f"h = {factor} x median distance")
        axes[1].semilogy(i, spec / spec[0], color=line.get_color(), linewidth=1)
    axes[1].semilogy(i, ker["spectrum_P1"] / ker["spectrum_P1"][0], "k-", linewidth=2.5,
                     label="average of the M kernels")
    axes[1].semilogy(i, ker["bound"], "k:", label="bound (5.3.2)")
    axes[0].set(xlabel="eigenvalue index i", ylabel=r"$\lambda_i^{K^{(m)}}$", title="RBF Gram matrices (scaled)")
    axes[1].set(xlabel="eigenvalue index i", ylabel=r"$\lambda_i^{P_1} / \lambda_1^{P_1}$", ylim=(1e-10, 3),
                title="Single kernels (thin) and their average")
    axes[0].legend(fontsize="small")
    axes[1].legend(fontsize="small")
    return fig


def weight_decay(wd: dict):
    """Figure 12: spectrum of P(T) with weight decay, exact (solid) and the thesis's reading (dashed).

    Parameters
    ----------
    wd : ``weight_decay_claim(...)["first"]``: ``spectrum_no_decay`` (n,), and ``rows`` one per
        strength with ``weight_decay``, ``spectrum_exact`` (n,) and ``spectrum_thesis`` (n,).
    """
    fig, ax = plotting.figure(width=9.0, height=4.0)
    i = np.arange(1, len(wd["spectrum_no_decay"]) + 1)
    ax.semilogy(i, wd["spectrum_no_decay"], color="0.5", linewidth=2.5, alpha=0.5, label="no weight decay")
    for r, colour in zip(wd["rows"], ("tab:blue", "tab:orange", "tab:green")):
        ax.semilogy(i, r["spectrum_exact"], "-", color=colour,
                    label=f"$\\lambda$ = {r['weight_decay']:g}, exact (affine)")
        ax.semilogy(i, r["spectrum_thesis"], "--", color=colour,
                    label=f"$\\lambda$ = {r['weight_decay']:g}, thesis ($-\\alpha\\lambda y$ dropped)")
    ax.set(xlabel="eigenvalue index i", ylabel="eigenvalue of P(T)", ylim=(1e-8, None),
           title=f"Weight decay, T = {WEIGHT_DECAY['T']}")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def deep_linear(deep: dict, n_networks: int):
    """Figure 13: kernel drift of deep linear networks, and their spectra against the frozen-kernel dynamics.

    Parameters
    ----------
    deep : ``deep_linear_claim(...)["first"]``: ``steps`` (k,) checkpoints, and for ``balanced`` and
        ``unbalanced``: ``drift`` (k,), ``spectrum`` (n,) and ``spectrum_linearised`` (n,).
    n_networks : the number of networks per initialisation (shown in the right panel's title).
    """
    fig, axes = plotting.figure(2, width=5.0, height=3.8)
    for name, colour in (("balanced", "tab:blue"), ("unbalanced", "tab:red")):
        out = deep[name]
        axes[0].plot(deep["steps"], out["drift"], "o-", color=colour, markersize=3, label=name)
        i = np.arange(1, len(out["spectrum"]) + 1)
        axes[1].semilogy(i, out["spectrum"], "-", color=colour, label=f"{name}, deep")
        axes[1].semilogy(i, out["spectrum_linearised"], ":", color=colour, label=f"{name}, frozen kernel")
    axes[0].set(xlabel="gradient-descent step", ylabel=r"$\|K(u_t,v_t) - K(u_0,v_0)\|_F / \|K(u_0,v_0)\|_F$",
                title="Kernel drift (median over networks)")
    axes[1].set(xlabel="eigenvalue index i", ylabel="eigenvalue of P(N,T)", ylim=(1e-12, None),
                title=f"Trajectories of {n_networks} networks")
    axes[0].legend()
    axes[1].legend(fontsize="small")
    return fig
