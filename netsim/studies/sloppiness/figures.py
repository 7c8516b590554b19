"""Figures of chapter 06 (sloppiness and PAC-Bayes bounds), kept out of the notebook so that its cells tell the story.

Each function takes what the chapter has computed (spectra, network studies, the atypical sweep,
Method 1's results) and returns a matplotlib figure with labelled axes; captions live in the
notebook. Every spectrum is drawn without its numerical zeros (:func:`netsim.studies.sloppiness.resolved`).
"""
from __future__ import annotations

import numpy as np

from netsim.metrics import curvature
from netsim.plotting import figure
from netsim.studies.sloppiness import FLAT, TOP_K, resolved

CURVATURE_LABELS = {"fim": "FIM", "ef": "empirical FIM", "hessian": "|Hessian| (bits)", "kfac": "KFAC (bits)"}
SNAPSHOT_NAMES = ("init", "50%", "end")  # the snapshots of network_study


def plot_spectrum(ax, lam, scale, **kw) -> None:
    """Draw the resolved spectrum ``lam`` divided by ``scale`` against its index on log-log axes.

    Parameters
    ----------
    ax : matplotlib Axes.
    lam : (p,) eigenvalues in any order and sign (their absolute values are sorted descending).
    scale : the number every eigenvalue is divided by.
    **kw : passed on to ``ax.loglog`` (label, ls, color, ...).
    """
    lam = resolved(lam)
    ax.loglog(np.arange(1, lam.size + 1), lam / scale, **kw)


def input_spectra(spectra: dict):
    """Fig. 1: input correlation spectra, each divided by its largest eigenvalue (synthetic ones dashed).

    Parameters
    ----------
    spectra : name -> (d,) eigenvalues of E[xx^T] (``S.input_spectra``); names containing "sloppy"
        are the synthetic Gaussian inputs.
    """
    fig, ax = figure(width=6, height=3.6)
    for name, lam in spectra.items():
        lam = resolved(lam)
        ax.semilogy(np.arange(1, lam.size + 1), lam / lam[0], ls="--" if "sloppy" in name else "-", label=name)
    ax.set(xlabel="index i", ylabel=r"$\lambda_i / \lambda_1$", xscale="log", ylim=(1e-13, 2))
    ax.legend(fontsize=7, ncol=2)
    return fig


def network_spectra(run: dict):
    """Fig. 2 (thesis Fig. 4.1): activations and Jacobians, curvature at the end, FIM over training.

    Every spectrum is divided by the largest eigenvalue of the input correlation (the first
    activation spectrum of the last snapshot).

    Parameters
    ----------
    run : ``S.network_study`` of a dense network: ``snapshots`` is the list of three
        ``curvature_snapshot`` dicts (init, 50%, end), each with lists of (q,) eigenvalue arrays
        ``activations``, ``activation_gradients``, ``logit_jacobians`` and (p,) arrays ``fim``,
        ``ef``, ``hessian``, ``kfac`` (the last two at the end only).
    """
    end = run["snapshots"][-1]
    scale = end["activations"][0][0]
    fig, axes = figure(3, width=4.2, height=3.4)
    for k, lam in enumerate(end["activations"]):
        plot_spectrum(axes[0], lam, scale, label=f"activations $h^{k}$")
    for k, lam in enumerate(end["activation_gradients"]):
        plot_spectrum(axes[0], lam, scale, ls="--", label=f"loss gradient wrt $h^{k}$")
    for i, lam in enumerate(end["logit_jacobians"]):
        plot_spectrum(axes[0], lam, scale, ls=":", label=f"logit Jacobian $z_{i}$")
    for name in ("fim", "ef", "hessian", "kfac"):
        plot_spectrum(axes[1], end[name], scale, label=CURVATURE_LABELS[name])
    for when, snap in zip(SNAPSHOT_NAMES, run["snapshots"]):
        plot_spectrum(axes[2], snap["fim"], scale, label=f"FIM at {when}")
    for ax, title in zip(axes, ("activations and Jacobians", "curvature at the end", "FIM over training")):
        ax.set(xlabel="index i", title=title)
        ax.legend(fontsize=6)
    axes[0].set_ylabel(r"$\lambda_i / \lambda_1(\mathbb{E}[xx^\top])$")
    return fig


def crowded_spectra(run: dict, X) -> dict:
    """The spectra of Fig. 3: the inputs' and every end-of-training spectrum of ``run``, and the FIM at init.

    Parameters
    ----------
    run : ``S.network_study`` of a dense network (see :func:`network_spectra`).
    X : (n, d) training inputs (numpy), whose correlation spectrum comes first.

    Returns
    -------
    dict : legend label -> (q,) eigenvalues, in drawing order.
    """
    end = run["snapshots"][-1]
    spectra = {r"inputs $\mathbb{E}[xx^\top]$": curvature.correlation_eigenvalues(X)}
    spectra.update({f"activations $h^{k}$": lam for k, lam in enumerate(end["activations"][1:], start=1)})
    spectra.update({f"loss gradient wrt $h^{k}$": lam for k, lam in enumerate(end["activation_gradients"])})
    spectra.update({f"logit Jacobian $z_{i}$": lam for i, lam in enumerate(end["logit_jacobians"])})
    spectra.update({"FIM": end["fim"], "empirical FIM": end["ef"], "|Hessian| (bits)": end["hessian"],
                    "KFAC (bits)": end["kfac"], "FIM at init": run["snapshots"][0]["fim"]})
    return spectra


def all_spectra(spectra: dict, width: int):
    """Fig. 3: every spectrum on one axis, each divided by its own largest eigenvalue.

    Parameters
    ----------
    spectra : legend label -> (q,) eigenvalues (:func:`crowded_spectra`).
    width : hidden width of the FC-width-1 network (for the title).
    """
    fig, ax = figure(width=7, height=4.2)
    styles = ["-", "--", ":", "-."]
    for k, (name, lam) in enumerate(spectra.items()):
        lam = resolved(lam)
        ax.loglog(np.arange(1, lam.size + 1), lam / lam[0], ls=styles[k % 4], lw=1.2, label=name)
    ax.set(xlabel="index i", ylabel=r"$\lambda_i / \lambda_1$ (each spectrum its own scale)", ylim=(1e-13, 2),
           title=f"FC-{width}-1 on binary digits, end of training: {len(spectra)} spectra")
    ax.legend(fontsize=7, ncol=1, loc="center left", bbox_to_anchor=(1.01, 0.5))
    return fig


def kfac_vs_hessian(snap: dict, seed: int = 0):
    """Fig. 4 (thesis Fig. 4.3): top eigenvalues of KFAC and FIM / log 2 against the Hessian's, and
    |cos| of matched eigenvectors (KFAC, FIM and random unit vectors drawn with ``seed``).

    Parameters
    ----------
    snap : end-of-training ``curvature_snapshot`` with (p,) eigenvalues ``hessian``, ``kfac``, ``fim``
        (descending) and (p, TOP_K) eigenvectors ``hessian_vectors``, ``kfac_vectors``, ``fim_vectors``.
    seed : seed of the random unit vectors.
    """
    H, K, F = np.abs(snap["hessian"][:TOP_K]), snap["kfac"][:TOP_K], snap["fim"][:TOP_K]
    UH = snap["hessian_vectors"]
    fig, axes = figure(2, width=4.2, height=3.4)
    axes[0].loglog(H, K, "o", label="KFAC")
    axes[0].loglog(H, F / np.log(2), "x", label="FIM / log 2")
    axes[0].loglog([H.min(), H.max()], [H.min(), H.max()], "k:", lw=1)
    axes[0].set(xlabel="|Hessian eigenvalue|", ylabel="eigenvalue of the approximation")
    axes[0].legend(fontsize=7)
    rng = np.random.default_rng(seed)
    R = rng.standard_normal(UH.shape)
    R /= np.linalg.norm(R, axis=0)
    idx = np.arange(1, TOP_K + 1)
    for V, label in ((snap["kfac_vectors"], "KFAC"), (snap["fim_vectors"], "FIM"), (R, "random")):
        axes[1].plot(idx, np.abs(np.sum(UH * V, axis=0)), "o-", ms=3, label=label)
    axes[1].set(xlabel="eigenvector rank i", ylabel=r"$|\cos(u_i^H, v_i)|$")
    axes[1].legend(fontsize=7)
    return fig


def flat_vs_sloppy(flat: dict):
    """Fig. 5: FIM spectra of the width-10 student at initialisation, each divided by its largest
    eigenvalue, with C7's window of indices shaded.

    Parameters
    ----------
    flat : c -> (p,) FIM eigenvalues, descending (``S.flat_versus_sloppy_fim``).
    """
    fig, ax = figure(width=5, height=3.4)
    for c, lam in flat.items():
        plot_spectrum(ax, lam, lam[0], label=f"c = {c:g}")
    ax.axvspan(*FLAT["window"], color="grey", alpha=0.15)
    ax.set(xlabel="index i", ylabel=r"FIM $\lambda_i/\lambda_1$")
    ax.legend(fontsize=7)
    return fig


def sweep_errors(table):
    """Fig. 6: test (left) and training (right) error of the sweep's students against c, one colour per width.

    Parameters
    ----------
    table : pandas.DataFrame, one row per student, with columns c, width, train_error and test_error
        (``S.atypical_sweep(...)["table"]``); lines join the means over seeds, dots are single students.
    """
    fig, axes = figure(2, width=4.4, height=3.4)
    for k, (w, grp) in enumerate(table.groupby("width")):
        mean = grp.groupby("c")[["train_error", "test_error"]].mean()
        axes[0].plot(mean.index, mean.test_error, "o-", color=f"C{k}", label=f"S({w})")
        axes[0].plot(grp.c, grp.test_error, ".", color=f"C{k}", alpha=0.5)
        axes[1].plot(mean.index, mean.train_error, "o-", color=f"C{k}", label=f"S({w})")
    for ax, what in zip(axes, ("test error", "training error")):
        ax.set(xscale="log", xlabel="sloppiness c of the inputs", ylabel=what, title=f"teacher T(20), {what}")
        ax.legend(fontsize=7)
    return fig


def trained_students(sweep: dict, trained_fim: dict, n: int):
    """Fig. 7: input correlation spectra (unscaled) and the FIM at init and at the end of the first
    width-10 student per c (each divided by its largest eigenvalue), C7's window shaded.

    Parameters
    ----------
    sweep : ``S.atypical_sweep``; ``data``: c -> (Xtrain (N, d) tensor, ytrain, Xtest, ytest).
    trained_fim : (c, "init" | "end") -> (p,) FIM eigenvalues, descending (``S.sweep_fim``).
    n : the first ``n`` training inputs give the input spectrum (those of ``trained_fim``).
    """
    fig, ax = figure(width=5.5, height=3.6)
    for k, c in enumerate(FLAT["cs"]):
        X_c = sweep["data"][c][0][:n].double().numpy()
        plot_spectrum(ax, curvature.correlation_eigenvalues(X_c), 1.0, color=f"C{k}", ls=":",
                      label=f"inputs, c = {c:g}")
        for when, ls in (("init", "--"), ("end", "-")):
            lam = trained_fim[(c, when)]
            plot_spectrum(ax, lam, lam[0], color=f"C{k}", ls=ls, label=f"FIM at {when}, c = {c:g}")
    ax.axvspan(*FLAT["window"], color="grey", alpha=0.15)
    ax.set(xlabel="index i", ylabel=r"$\lambda_i / \lambda_1$ (inputs unscaled)", title="width-10 student")
    ax.legend(fontsize=7)
    return fig


def hessian_thresholds(results: dict):
    """Fig. 8 (thesis Fig. 4.2): |Hessian| eigenvalues with Method 1's threshold eps/(2(n-1)) and the elbow.

    Parameters
    ----------
    results : panel title -> ``S.method1`` result with ``hessian_eigenvalues`` (p,), ``threshold``,
        ``elbow_eigenvalue`` and ``p_eff``; one panel each.
    """
    fig, axes = figure(len(results), width=4.4, height=3.4)
    for ax, (name, r) in zip(np.atleast_1d(axes), results.items()):
        lam = resolved(r["hessian_eigenvalues"])
        ax.semilogy(np.arange(1, lam.size + 1), lam, label="|Hessian| (bits)")
        ax.axhline(r["threshold"], color="C3", ls="--", label=r"$\epsilon/(2(n-1))$")
        ax.axhline(r["elbow_eigenvalue"], color="C2", ls=":", label="elbow")
        ax.set(xlabel="index i", title=f"{name}: p(n, eps) = {r['p_eff']}")
        ax.legend(fontsize=7)
    np.atleast_1d(axes)[0].set_ylabel("eigenvalue")
    return fig


def random_labels(spectra: dict):
    """Fig. 9 (thesis Fig. 4.11): empirical-FIM spectra after training on partly random labels, not rescaled.

    Parameters
    ----------
    spectra : fraction of random labels -> (p,) empirical-FIM eigenvalues (``S.random_label_spectra``).
    """
    fig, ax = figure(width=5, height=3.4)
    for f, lam in spectra.items():
        plot_spectrum(ax, lam, 1.0, label=f"{f:.0%} random labels")
    ax.set(xlabel="index i", ylabel="empirical FIM eigenvalue")
    ax.legend(fontsize=7)
    return fig
