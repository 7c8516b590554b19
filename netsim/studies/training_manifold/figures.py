"""Figures of chapter 04 (the training manifold), kept out of the notebook so that its cells tell the story.

Each function takes what the chapter has computed (embeddings, tables of checkpoints, evidence
dicts) and returns a matplotlib figure with labelled axes; captions live in the notebook.
"""
from __future__ import annotations

import numpy as np

from netsim.plotting import figure, label_inpca_axes

SPECTRUM_COLOURS = {"sloppy": "tab:purple", "isotropic": "tab:olive"}  # the synthetic problem's two input spectra


def inpca_panels(emb, table, geodesic, hue: str = "model", title: str = ""):
    """Checkpoints in InPCA components (1, 2) and (1, 3), runs joined, with P_0, P_* and the geodesic
    (Figs. 1, 2 and 11).

    Parameters
    ----------
    emb : InPCA result of the m models followed by ignorance P_0 and truth P_* (coords (m + 2, k), k >= 3).
    table : DataFrame with m rows (one per model), with columns ``run`` and ``hue``.
    geodesic : (G, k) coordinates of the ignorance-truth geodesic points.
    hue : column of ``table`` that colours the dots.
    title : the figure's suptitle.
    """
    import seaborn as sns

    X = emb.coords
    xy = table.assign(**{f"pc{k + 1}": X[:-2, k] for k in range(3)})
    fig, axes = figure(2, width=5.2, height=4.2)
    for ax, (i, j) in zip(axes, [(0, 1), (0, 2)]):
        sns.scatterplot(xy, x=f"pc{i + 1}", y=f"pc{j + 1}", hue=hue, s=10, ax=ax, linewidth=0)
        for _, g in xy.groupby("run"):
            ax.plot(g[f"pc{i + 1}"], g[f"pc{j + 1}"], color="0.6", linewidth=0.4, zorder=0)
        ax.plot(geodesic[:, i], geodesic[:, j], "k--", linewidth=1)
        ax.scatter(X[-2:, i], X[-2:, j], c=["tab:blue", "black"], marker="*", s=150, zorder=3)
        for point, text in ((X[-2], "$P_0$"), (X[-1], "$P_*$")):
            ax.annotate(text, point[[i, j]], xytext=(5, 5), textcoords="offset points")
        label_inpca_axes(ax, emb.eigenvalues, i, j)
    axes[0].legend(fontsize="x-small", markerscale=1.5)
    axes[1].legend().remove()
    fig.suptitle(title)
    return fig


def joint_and_subsets(train_only, joint_xy, subsets: dict, null: float, num_samples: int):
    """Left: train embedding with the test predictions placed in it (eq. 2.3.1); right: explained
    pairwise distance of subset embeddings against the number of samples (Fig. 3).

    Parameters
    ----------
    train_only : InPCA result of the m models' train distances (coords (m, k), k >= 2).
    joint_xy : (m, k) test predictions in the train coordinates.
    subsets : N -> explained pairwise distance of the embedding built from N samples.
    null : the same for N = 10 of a shuffled subset, drawn as a dotted line.
    num_samples : number of evaluation samples of the full embedding (the title).
    """
    fig, axes = figure(2, width=4.8)
    X_train = train_only.coords
    axes[0].scatter(X_train[:, 0], X_train[:, 1], s=6, color="0.2", label="train predictions")
    axes[0].scatter(joint_xy[:, 0], joint_xy[:, 1], s=6, color="tab:orange", alpha=0.5,
                    label="test predictions (eq. 2.3.1)")
    label_inpca_axes(axes[0], train_only.eigenvalues, 0, 1)
    axes[0].set_title("Joint train/test embedding")
    axes[0].legend(fontsize="x-small")
    axes[1].plot(list(subsets), list(subsets.values()), "o-", label="subset embedding")
    axes[1].axhline(null, color="gray", linestyle=":", label="N = 10, shuffled subset (null)")
    axes[1].set(xscale="log", xlabel="samples N used for the embedding", ylim=(0, 1.02),
                ylabel="explained pairwise distance (top 10)", title=f"Subset embeddings (all N = {num_samples})")
    axes[1].legend(fontsize="x-small")
    return fig


def progress_panels(table, s_train, s_test, r2: float, r2_tt: float):
    """Left: train error against train progress per architecture; right: test against train
    progress (Fig. 4).

    Parameters
    ----------
    table : DataFrame with m rows (one per model), with columns ``progress``, ``error`` and ``model``.
    s_train, s_test : (m,) progress of each model on the train and the test samples.
    r2 : R^2 of train error against train progress; r2_tt : R^2 of test against train progress.
    """
    import seaborn as sns

    fig, axes = figure(2, width=4.6)
    sns.scatterplot(table, x="progress", y="error", hue="model", s=10, linewidth=0, ax=axes[0])
    axes[0].set(xlabel="progress s (train)", ylabel="train error", title=f"Progress vs error, $R^2$ = {r2:.2f}")
    axes[1].scatter(s_train, s_test, s=6, color="0.3")
    axes[1].plot([0, 1], [0, 1], "k:", linewidth=1)
    axes[1].set(xlabel="progress s (train)", ylabel="progress s (test)",
                title=f"Train vs test progress, $R^2$ = {r2_tt:.2f}")
    return fig


def configurations(D_config, configs_table, traj_emb):
    """Left: average-linkage dendrogram of the configurations by seed-averaged d_traj; right: their
    InPCA (Fig. 5).

    Parameters
    ----------
    D_config : (n, n) seed-averaged trajectory distances between configurations.
    configs_table : DataFrame with n rows (one per configuration, in the order of ``D_config``) with
        columns ``model``, ``optimizer``, ``batch``, ``weight_decay`` and ``augmentation``.
    traj_emb : InPCA result of ``D_config`` with a zero diagonal (coords (n, k), k >= 2).
    """
    import seaborn as sns
    from scipy.cluster.hierarchy import dendrogram, linkage
    from scipy.spatial.distance import squareform

    names = [f"{r.model}/{r.optimizer}/b{r.batch}{'/wd' if r.weight_decay else ''}{'/aug' if r.augmentation else ''}"
             for r in configs_table.itertuples()]
    fig, axes = figure(2, width=6, height=max(4, 0.16 * len(names)))
    tree = linkage(squareform(np.where(np.eye(len(D_config), dtype=bool), 0, D_config), checks=False), "average")
    dendrogram(tree, labels=names, orientation="left", ax=axes[0], leaf_font_size=7)
    axes[0].set(xlabel="seed-averaged $d_{traj}$", title="Dendrogram of configurations")
    xy = configs_table.assign(x=traj_emb.coords[:, 0], y=traj_emb.coords[:, 1])
    sns.scatterplot(xy, x="x", y="y", hue="model", style="optimizer", s=50, ax=axes[1])
    label_inpca_axes(axes[1], traj_emb.eigenvalues, 0, 1)
    axes[1].set_title(f"InPCA of trajectories (top-2 stress {traj_emb.explained_stress(2):.2f})")
    axes[1].legend(fontsize="x-small")
    return fig


def progress_curves(curves: dict, table):
    """Left: train progress against the optimiser step for a few runs (log axis, step 0 at 1);
    right: mean progress per optimiser and weight decay (Fig. 6).

    Parameters
    ----------
    curves : label -> ((T,) optimiser steps, (T,) train progress) of one run each.
    table : DataFrame of checkpoints with columns ``step``, ``progress``, ``optimizer`` and ``weight_decay``.
    """
    import seaborn as sns

    fig, axes = figure(2, width=4.6)
    for name, (steps, s) in curves.items():
        axes[0].plot(np.maximum(steps, 1), s, "o-", markersize=3, label=name)
    axes[0].set(xscale="log", xlabel="optimiser step (step 0 at 1)", ylabel="progress s (train)",
                title="Progress per update")
    axes[0].legend(fontsize="small")
    sns.lineplot(table, x="step", y="progress", hue="optimizer", style="weight_decay", errorbar=None, ax=axes[1])
    axes[1].set(xscale="symlog", xlabel="optimiser step", ylabel="progress s (train)",
                title="Optimiser and weight decay")
    axes[1].legend(fontsize="x-small")
    return fig


def tube(widths: dict, num_seeds: int):
    """Tube widths d_B(seed, mean of seeds) against progress, one panel per split (Fig. 7).

    Parameters
    ----------
    widths : split -> ((G,) progress grid, (K, G) widths), as :func:`netsim.metrics.tube_widths` returns.
    num_seeds : K, the number of seeds of the tube (the titles).
    """
    fig, axes = figure(len(widths), width=4.6)
    for ax, (split, (s_grid, w_split)) in zip(np.atleast_1d(axes), widths.items()):
        for w in w_split:
            ax.plot(s_grid, w, color="tab:green", alpha=0.5, linewidth=1)
        ax.set(xlabel="progress s", ylabel="tube width $d_B$(seed, mean of seeds)",
               title=f"Tube of {num_seeds} seeds ({split})")
    return fig


def augmentation_tubes(effects: dict):
    """Tube widths without and with augmentation, one panel per architecture; the late third of the
    shared progress range is shaded (Fig. 8).

    Parameters
    ----------
    effects : architecture -> dict of :func:`netsim.studies.training_manifold.augmentation_tube_effect`
        (``grid_plain`` (G1,), ``widths_plain`` (K1, G1), ``grid_augmented`` (G2,), ``widths_augmented``
        (K2, G2), ``range`` and ``late_ratio``).
    """
    fig, axes = figure(len(effects), width=4.6)
    for ax, (m, e) in zip(np.atleast_1d(axes), effects.items()):
        for kind, color in (("plain", "tab:blue"), ("augmented", "tab:orange")):
            g, w = e[f"grid_{kind}"], e[f"widths_{kind}"]
            ax.plot(g, w.T, color=color, alpha=0.5, linewidth=1)
            ax.plot([], [], color=color, label=f"{'with' if kind == 'augmented' else 'without'} augmentation")
        ax.axvspan(e["range"][1] - (e["range"][1] - e["range"][0]) / 3, e["range"][1], color="0.9", zorder=0)
        ax.set(xlabel="progress s (train)", ylabel="tube width", title=f"{m} + SGD: late width ratio {e['late_ratio']:.2f}")
        ax.legend(fontsize="x-small")
    return fig


def geodesic_distances(table):
    """Distance of each run to the ignorance-truth geodesic at equal progress, train and test (Fig. 9).

    Parameters
    ----------
    table : long DataFrame with columns ``split`` ("train", "test"), ``run``, ``model``, ``s`` (progress)
        and ``d`` (distance to the geodesic point of progress ``s``).
    """
    import seaborn as sns

    fig, axes = figure(2, width=4.6)
    for ax, split in zip(axes, ("train", "test")):
        sns.lineplot(table[table.split == split], x="s", y="d", hue="model", units="run", estimator=None,
                     linewidth=0.8, alpha=0.7, ax=ax)
        ax.set(xlabel="progress s", ylabel="$d_B(P_{u(s)}, P^s_{0,*})$", title=f"Distance to the geodesic ({split})")
    axes[0].legend(fontsize="x-small", loc="upper right")
    axes[1].legend().remove()
    return fig


def four_point(table, four: dict):
    """The kept models in the original InPCA and in the aligned four-point basis (Fig. 10).

    Parameters
    ----------
    table : DataFrame with one row per kept model (m rows) and a column ``model``.
    four : dict of :func:`netsim.studies.training_manifold.four_point_alignment`: ``original`` (InPCA
        result, coords (m, k)), ``aligned`` (m, 3) and ``rmsd``.
    """
    import seaborn as sns

    fig, axes = figure(2, width=4.6)
    for ax, X, title in ((axes[0], four["original"].coords, "original InPCA"),
                         (axes[1], four["aligned"], "four-point basis, aligned")):
        sns.scatterplot(table.assign(x=X[:, 0], y=X[:, 1]), x="x", y="y", hue="model", s=8, linewidth=0, ax=ax)
        ax.set(xlabel="component 1", ylabel="component 2", title=title)
    axes[1].legend().remove()
    fig.suptitle(f"Four-point basis vs all-model InPCA (RMSD {four['rmsd']:.3f})")
    return fig


def three_embeddings(embeddings: dict, progress):
    """The same checkpoints in the first two components of several embeddings, coloured by progress
    (Fig. 12).

    Parameters
    ----------
    embeddings : title -> embedding of the m models followed by P_0 and P_* (coords (m + 2, k), k >= 2).
    progress : (m,) train progress of the models (the colour).
    """
    fig, axes = figure(len(embeddings), width=4.0)
    for ax, (title, e) in zip(np.atleast_1d(axes), embeddings.items()):
        ax.scatter(e.coords[:-2, 0], e.coords[:-2, 1], s=5, c=progress, cmap="viridis")
        ax.scatter(e.coords[-2:, 0], e.coords[-2:, 1], c=["tab:blue", "black"], marker="*", s=120)
        label_inpca_axes(ax, e.eigenvalues, 0, 1)
        ax.set_title(f"{title} (top-3 stress {e.explained_stress(3):.2f})", fontsize="medium")
    fig.suptitle("Three embeddings of the same checkpoints (colour: progress; stars: $P_0$, $P_*$)")
    return fig


def centroids(errors, single: float, num_seeds: int):
    """Test error of each centroid of the seeds against the epoch, with the mean single model (Fig. 13).

    Parameters
    ----------
    errors : DataFrame of :func:`netsim.studies.training_manifold.centroid_errors` (columns step, epoch,
        kind, error); step 0 is left out (log axis).
    single : mean final test error of the single models.
    num_seeds : number of seeds of the ensemble (the title).
    """
    import seaborn as sns

    fig, ax = figure(width=6, height=3.6)
    sns.lineplot(errors[errors.step > 0], x="epoch", y="error", hue="kind", ax=ax)
    ax.axhline(single, color="gray", linestyle=":", label="single model (mean)")
    ax.set(xscale="log", xlabel="epoch", ylabel="test error of the ensemble", title=f"Centroids of {num_seeds} seeds")
    ax.legend(fontsize="x-small")
    return fig


def weight_shares(shares, isotropic: float, num_seeds: int):
    """Top-2 PCA variance share of the final weights of the first K seeds, K = 3 .. num_seeds, with the
    isotropic value (Fig. 14).

    Parameters
    ----------
    shares : (num_seeds - 2,) shares, as :func:`netsim.studies.training_manifold.weight_pca_explained` returns.
    isotropic : mean share of ``num_seeds`` isotropic Gaussian vectors.
    num_seeds : number of seeds.
    """
    fig, ax = figure(width=5, height=3.4)
    ax.plot(np.arange(3, num_seeds + 1), shares, "o-", label="weights of the seeds (PCA)")
    ax.axhline(isotropic, color="k", linestyle=":", label=f"{num_seeds} isotropic vectors (mean)")
    ax.set(xlabel="number of seeds K", ylabel="variance share of the top 2 PCs", ylim=(0, 1.05),
           title="Weight-space PCA of final AllCNN-1D weights")
    ax.legend(fontsize="small")
    return fig


def synthetic_embeddings(embeddings: dict):
    """InPCA (components 1 and 2) of the synthetic students, one panel per input spectrum (Fig. 15).

    Parameters
    ----------
    embeddings : spectrum name -> (embedding of the m models followed by P_0 and P_* (coords (m + 2, k)),
        (G, k) geodesic points, (m,) depth labels (colour), (m,) optimisers (marker)).
    """
    import seaborn as sns

    fig, axes = figure(len(embeddings), width=4.6)
    for ax, (name, (e, g, depth, optimizer)) in zip(np.atleast_1d(axes), embeddings.items()):
        sns.scatterplot(x=e.coords[:-2, 0], y=e.coords[:-2, 1], hue=depth, style=optimizer, s=10, ax=ax)
        ax.plot(g[:, 0], g[:, 1], "k--", linewidth=1)
        label_inpca_axes(ax, e.eigenvalues, 0, 1)
        ax.set_title(f"{name} inputs: top-3 stress {e.explained_stress(3):.2f}", fontsize="medium")
    np.atleast_1d(axes)[-1].legend().remove()
    return fig


def synthetic_corners(corner_stress: dict, curves: dict, slices: dict, num_inits: int):
    """Synthetic corners per input spectrum (Fig. 16): top-3 stress against the number of corners,
    between-corner distance against the fraction of training, and the spectra of one corner's slices.

    Parameters
    ----------
    corner_stress : spectrum -> {number of corners -> top-3 explained stress}.
    curves : spectrum -> ((T,) fraction of training, (T,) between-corner d_B relative to step 0), as
        :func:`netsim.studies.training_manifold.corner_convergence` returns.
    slices : spectrum -> {slice label -> (top-3 stress, (n,) InPCA eigenvalues)}.
    num_inits : number of initialisations of the slices (the title).
    """
    fig, axes = figure(3, width=4.2)
    for name, stress in corner_stress.items():
        color = SPECTRUM_COLOURS[name]
        frac, ratio = curves[name]
        axes[0].plot(list(stress), list(stress.values()), "o-", color=color, label=name)
        axes[1].plot(np.maximum(frac, 1e-3), ratio, "o-", color=color, markersize=3, label=name)
        for (label, (top3, eig)), style in zip(slices[name].items(), ("-", "--")):
            eig = eig[np.abs(eig) > 1e-9 * np.abs(eig).max()]  # drop the null direction of the centring
            axes[2].plot(np.arange(1, len(eig) + 1), np.abs(eig) / np.abs(eig).max(), style, color=color,
                         label=f"{name}, {label} (top-3 {top3:.2f})")
    axes[0].set(xlabel="number of corners (same number of trajectories)", ylabel="top-3 explained stress",
                title="Runs from corners", ylim=(0, 1.02), xticks=list(next(iter(corner_stress.values()))))
    axes[0].legend(fontsize="small")
    axes[1].set(xscale="log", xlabel="fraction of training (step 0 at 1e-3)", ylabel="between-corner $d_B$ / at step 0",
                title="Convergence of corners")
    axes[1].axvline(0.1, color="0.6", linestyle=":")
    axes[1].legend(fontsize="small")
    axes[2].set(yscale="log", xlabel="eigenvalue rank", ylabel="|eigenvalue| / largest",
                title=f"Slices of one corner ({num_inits} inits)")
    axes[2].legend(fontsize="x-small")
    return fig


def confident_models(eps, progress, bound: float):
    """Progress of a fully confident model against its error fraction, with the thesis's bound and
    the exact threshold for C = 10 (Fig. 17).

    Parameters
    ----------
    eps : (n,) error fractions; progress : (n,) progress of a confident model at each.
    bound : the thesis's sufficient condition 1 - 1/sqrt(C).
    """
    fig, ax = figure(width=5, height=3.2)
    ax.plot(eps, progress, "o-", markersize=3)
    ax.axvline(bound, color="tab:red", linestyle=":", label="$1 - 1/\\sqrt{C}$")
    ax.axvline(3 / 4, color="gray", linestyle="--", label="$\\sqrt{C-1}/(1+\\sqrt{C-1})$")
    ax.set(xlabel="error fraction $\\epsilon$ of a confident model", ylabel="progress s", title="Remark 2.2.1, C = 10")
    ax.legend(fontsize="small")
    return fig
