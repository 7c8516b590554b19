"""Figures of chapter 05 (the space of tasks): embeddings, progress, task distances, tubes, fine-tunes.

Each function takes what the chapter has computed (mapped trajectories, evidence tables) and
returns a matplotlib figure with labelled axes; captions live in the notebook.
"""
from __future__ import annotations

import itertools

import numpy as np

from netsim import metrics
from netsim.plotting import figure, label_inpca_axes


def _embed(mapped: dict, families, labels):
    """InPCA of every checkpoint of ``families`` plus ignorance and truth; returns (coords, eigenvalues, slices)."""
    clouds = [m for f in families for m in mapped[f]]
    probs = np.concatenate(clouds)
    C = probs.shape[-1]
    ends = np.stack([metrics.ignorance(len(labels), C), metrics.truth(labels, C)])
    D = metrics.pairwise_bhattacharyya(np.concatenate([probs, ends]))
    emb = metrics.inpca(D, n_components=3)
    bounds = np.cumsum([0] + [len(m) for m in clouds])
    owners = [f for f in families for _ in mapped[f]]
    return emb, [(owner, slice(a, b)) for owner, a, b in zip(owners, bounds[:-1], bounds[1:])], len(probs)


def embedding(mapped: dict, families, labels, *, names=None, title: str = ""):
    """Trajectories of several task families in the top two InPCA components (P_0 and P_* marked).

    Parameters
    ----------
    mapped : family -> list of (T, N, C) imprinted trajectories on one common task.
    families : the families to draw (one colour each, one line per run).
    labels : (N,) labels of the common task.
    """
    import seaborn as sns

    emb, runs, n = _embed(mapped, families, labels)
    X = emb.coords
    colours = dict(zip(families, sns.color_palette("tab10", len(families))))
    fig, ax = figure(width=5.6, height=4.4)
    drawn = set()
    for owner, rows in runs:
        ax.plot(X[rows, 0], X[rows, 1], "-", marker=".", ms=3, lw=0.8, color=colours[owner], alpha=0.8,
                label=(names or {}).get(owner, owner) if owner not in drawn else None)
        drawn.add(owner)
    ax.plot(*X[n, :2], "ks", ms=7, label="$P_0$ (ignorance)")
    ax.plot(*X[n + 1, :2], "k*", ms=11, label="$P_*$ (truth)")
    label_inpca_axes(ax, emb.eigenvalues)
    ax.legend(fontsize="small", loc="best", ncols=2)
    ax.set_title(title)
    return fig


def accuracy_curves(runs: dict, families, *, names=None, split: str = "test"):
    """Error of each run's own head vs epochs, mean over runs per family (band: min-max)."""
    import seaborn as sns

    colours = dict(zip(families, sns.color_palette("tab10", len(families))))
    fig, ax = figure(width=5.0, height=3.4)
    for f in families:
        err = np.stack([tr.error[split] for tr in runs[f]])
        epochs = runs[f][0].epochs
        ax.plot(np.maximum(epochs, 1e-2), err.mean(0), color=colours[f], label=(names or {}).get(f, f))
        ax.fill_between(np.maximum(epochs, 1e-2), err.min(0), err.max(0), color=colours[f], alpha=0.2)
    ax.set_xscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{split} error (own task)")
    ax.legend(fontsize="small", ncols=2)
    return fig


def progress_bars(final: dict, seen_unseen: dict, tasks, *, names=None):
    """Left: final progress on the union task per task; right: per-class progress on seen vs unseen classes."""
    fig, (a, b) = figure(2, width=4.6, height=3.4)
    x = np.arange(len(tasks))
    for i, t in enumerate(tasks):
        a.plot(np.full(len(final[t]), i), final[t], "k.", alpha=0.6)
    a.bar(x, [final[t].mean() for t in tasks], color="C0", alpha=0.7)
    a.set_xticks(x, [(names or {}).get(t, t) for t in tasks], rotation=45, ha="right")
    a.set_ylabel("progress $t_w$ on the union task")
    sub = [t for t in tasks if t in seen_unseen]
    xs = np.arange(len(sub))
    for j, (label, col) in enumerate((("seen classes", 0), ("unseen classes", 1))):
        b.bar(xs + (j - 0.5) * 0.38, [seen_unseen[t][:, col].mean() for t in sub], 0.38, label=label)
    b.set_xticks(xs, [(names or {}).get(t, t) for t in sub], rotation=45, ha="right")
    b.set_ylabel("mean per-class progress $t_w^c$")
    b.legend(fontsize="small")
    return fig


def task_distances(D, tasks, tree, *, names=None):
    """Task distance matrix (mean rho), its average-linkage dendrogram, and the designed tree's distances."""
    import scipy.cluster.hierarchy as sch
    import scipy.spatial.distance as ssd

    labels = [(names or {}).get(t, t) for t in tasks]
    designed = np.array([[tree(a, b) if a != b else 0 for b in tasks] for a in tasks], dtype=float)
    fig, axes = figure(3, width=4.2, height=3.8)
    for ax, M, title in ((axes[0], D, r"task distance (mean $\rho$)"), (axes[2], designed, "designed tree: path length")):
        im = ax.imshow(M, cmap="viridis")
        ax.set_xticks(range(len(tasks)), labels, rotation=60, ha="right", fontsize="small")
        ax.set_yticks(range(len(tasks)), labels, fontsize="small")
        ax.grid(False)
        ax.set_title(title)
        fig.colorbar(im, ax=ax, shrink=0.7)
    if np.isfinite(D).all():
        Z = sch.linkage(ssd.squareform(D, checks=False), method="average")
        sch.dendrogram(Z, labels=labels, ax=axes[1], orientation="right", color_threshold=0)
        axes[1].set_xlabel(r"mean $\rho$ (average linkage)")
    axes[1].set_title("dendrogram of the task distances")
    return fig


def rho_profiles(profiles: dict, grid, *, title: str = ""):
    """rho(t) against progress for named pairs of families; the line rho = 1 marks touching tubes."""
    fig, ax = figure(width=5.4, height=3.6)
    for name, rho in profiles.items():
        ax.plot(grid, rho, label=name)
    ax.axhline(1.0, color="k", lw=0.8, ls="--")
    ax.set_yscale("log")
    ax.set_xlabel("progress $t$ on the common task")
    ax.set_ylabel(r"normalised distance $\rho(t)$")
    ax.legend(fontsize="small")
    ax.set_title(title)
    return fig


def lengths_and_kway(lengths: dict, kway: dict, ks, *, names=None):
    """Left: Riemann lengths per family (points: runs); right: mean tube radius and final d_B to truth vs k."""
    fig, (a, b) = figure(2, width=4.6, height=3.4)
    fams = list(lengths)
    for i, f in enumerate(fams):
        a.plot(np.full(len(lengths[f]), i), lengths[f], "k.", alpha=0.6)
    a.bar(range(len(fams)), [lengths[f].mean() for f in fams], color="C1", alpha=0.7)
    a.set_xticks(range(len(fams)), [(names or {}).get(f, f) for f in fams], rotation=30, ha="right")
    a.set_ylabel("Riemann length (geodesic steps)")
    b.plot(ks, kway["radius"], "o-", label="mean tube radius")
    b.plot(ks, kway["truth"], "s-", label="final $d_B$ to truth")
    b.set_xticks(ks)
    b.set_xlabel("k (classes of the k-way subtask)")
    b.set_ylabel("Bhattacharyya distance")
    b.legend(fontsize="small")
    return fig


def finetunes(table: dict):
    """Fine-tunes from checkpoints of a supervised run: d_B travelled and 10-way progress before / after, vs start epoch."""
    fig, (a, b) = figure(2, width=4.6, height=3.4)
    pairs = sorted({tuple(p) for p in table["pair"]})
    for k, pair in enumerate(pairs):
        idx = np.array([tuple(p) == pair for p in table["pair"]])
        label = f"{pair[0]} vs {pair[1]}"
        a.plot(table["epoch"][idx], table["travelled"][idx], "o", color=f"C{k}", alpha=0.7, label=label)
        b.plot(table["epoch"][idx], table["after"][idx] - table["before"][idx], "o", color=f"C{k}", alpha=0.7,
               label=label)
    for ax in (a, b):
        ax.set_xscale("log")
        ax.set_xlabel("pre-training epoch of the starting point")
        ax.legend(fontsize="small")
    a.set_ylabel("$d_B$ travelled (10-way, start to end)")
    b.axhline(0, color="k", lw=0.8)
    b.set_ylabel("10-way progress: after minus before")
    return fig


def pair_rho_grid(pairs: dict, grid):
    """Small multiples of rho(t), one panel per named pair of families (for many pairs at once)."""
    names = list(pairs)
    cols = min(3, len(names))
    rows = int(np.ceil(len(names) / cols))
    fig, axes = figure(cols, rows, width=3.4, height=2.6, sharex=True)
    axes = np.atleast_1d(axes)
    for ax, name in itertools.zip_longest(axes, names):
        if name is None:
            ax.set_visible(False)
            continue
        ax.plot(grid, pairs[name])
        ax.axhline(1.0, color="k", lw=0.8, ls="--")
        ax.set_title(name, fontsize="small")
    return fig
