"""Figures of chapter 03 (kept out of the notebook so that its cells tell the story)."""
from __future__ import annotations

import itertools

import numpy as np

from netsim import plotting
from netsim.studies.gradient_similarity.design import ROLES

SHORT_NAMES = {"A": "A (10 shapes)", "B": "B (60 shape x colour classes)", "C": "C (digits)"}
GROUP_PAIRS = tuple(itertools.combinations_with_replacement(ROLES, 2))
PAIR_STYLE = {("A", "A"): ("tab:blue", "-"), ("B", "B"): ("tab:orange", "-"), ("C", "C"): ("tab:green", "-"),
              ("A", "B"): ("tab:purple", "--"), ("A", "C"): ("tab:olive", "--"), ("B", "C"): ("tab:brown", "--")}
KIND_TITLE = {"features": "features only ($K_f$)", "gradients": "gradients only ($K_g$)",
              "hadamard": r"features $\circ$ gradients ($K_f \circ K_g$)"}


def pair_stats(S, labels) -> dict:
    """(X, Y) -> (mean, std) of the similarities of pairs of distinct models from groups X and Y."""
    from netsim.studies.gradient_similarity.evidence import pair_mask

    labels = np.asarray(labels)
    out = {}
    for a, b in GROUP_PAIRS:
        values = np.asarray(S)[pair_mask(np.arange(len(labels)), labels, a, b)]
        out[a, b] = (float(values.mean()), float(values.std()))
    return out


def group_table(matrices, labels):
    """Long table: kind, index, block, pair, mean, std (Fig. 1's numbers)."""
    import pandas as pd

    rows = []
    for (kind, index, block), S in matrices.items():
        for pair, (mean, std) in pair_stats(S, labels).items():
            rows.append({"kind": kind, "index": index, "block": block + 1, "pair": "-".join(pair),
                         "mean": mean, "std": std})
    return pd.DataFrame(rows)


def show_examples(data: dict, per_role: int = 6):
    """A row of training images per data set (``data``: role -> ArrayDataset)."""
    fig, axes = plotting.figure(per_role, len(data), width=1.1, height=1.25)
    axes = np.asarray(axes).reshape(len(data), per_role)
    for r, (role, ds) in enumerate(data.items()):
        for k in range(per_role):
            ax = axes[r, k]
            ax.imshow(np.clip(ds.x[k].transpose(1, 2, 0), 0, 1), interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            name = ds.class_names[ds.y[k]] if getattr(ds, "class_names", None) else str(ds.y[k])
            ax.set_title(str(name), fontsize=7)
            if k == 0:
                ax.set_ylabel(role, rotation=0, labelpad=12, fontsize=11)
    return fig


def fig1(table, kinds=("features", "gradients", "hadamard"), indices=("cka", "nbs")):
    """Group-pair means (error bars: std over pairs) per block, one panel per (index, kind)."""
    fig, axes = plotting.figure(len(kinds), len(indices), width=3.6, height=2.9, sharex=True)
    axes = np.asarray(axes).reshape(len(indices), len(kinds))
    for r, index in enumerate(indices):
        for c, kind in enumerate(kinds):
            ax = axes[r, c]
            sub = table[(table.kind == kind) & (table["index"] == index)]
            if sub.empty:  # NBS of this kind not computed at this profile (parameter nbs_kinds)
                ax.text(0.5, 0.5, f"{index.upper()} not computed\nfor {kind} (nbs_kinds)", ha="center",
                        va="center", transform=ax.transAxes, color="0.4")
                ax.set(title=f"{index.upper()}, {KIND_TITLE[kind]}", yticks=[])
                continue
            for pair in GROUP_PAIRS:
                name = "-".join(pair)
                d = sub[sub.pair == name].sort_values("block")
                colour, style = PAIR_STYLE[pair]
                offset = (GROUP_PAIRS.index(pair) - 2.5) * 0.05
                ax.errorbar(d.block + offset, d["mean"], yerr=d["std"], color=colour, linestyle=style,
                            marker="o", markersize=3, capsize=2, label=name)
            ax.set(title=f"{index.upper()}, {KIND_TITLE[kind]}", ylabel="similarity" if c == 0 else None)
            ax.set_xlabel("residual block")
    axes[0, -1].legend(title="data sets", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def pair_heatmaps(panels: dict, labels):
    """Model x model heat maps (``panels``: title -> (matrix, colour-bar label)), models grouped by data set."""
    labels = np.asarray(labels)
    fig, axes = plotting.figure(len(panels), width=3.7, height=3.3)
    for ax, (title, (M, what)) in zip(np.atleast_1d(axes), panels.items()):
        im = ax.imshow(M, cmap="viridis")
        edges = [np.flatnonzero(labels == r).max() + 0.5 for r in ROLES[:-1]]
        for e in edges:
            ax.axhline(e, color="white", linewidth=1), ax.axvline(e, color="white", linewidth=1)
        centres = [np.flatnonzero(labels == r).mean() for r in ROLES]
        ax.set_xticks(centres, ROLES), ax.set_yticks(centres, ROLES)
        ax.set_title(title, fontsize=10)
        fig.colorbar(im, ax=ax, shrink=0.8, label=what)
    return fig


def accuracy_plot(rows, P):
    """|SCKA - CKA| per block at both sketch sizes, and the mismatched-seed null."""
    import pandas as pd

    df = pd.DataFrame(rows)
    m_small, m_main = P.sketch_sizes
    fig, axes = plotting.figure(2, width=4.4, height=3.4)
    for column, label, colour in ((m_small, f"M = {m_small}", "tab:orange"), (m_main, f"M = {m_main}", "tab:blue"),
                                  ("mismatched", f"M = {m_main}, different seeds (null)", "0.5")):
        err = (df[column] - df["exact"]).abs().groupby(df.block).agg(["mean", "std"])
        axes[0].errorbar(err.index + 1, err["mean"], yerr=err["std"], marker="o", capsize=2, color=colour, label=label)
    axes[0].set(xlabel="residual block", ylabel="|sketched CKA - exact CKA|", title="Sketch error, same-data-set pairs")
    axes[0].legend(fontsize="small")
    axes[1].scatter(df["exact"], df[m_main], s=6, alpha=0.5, label=f"M = {m_main}")
    axes[1].scatter(df["exact"], df[m_small], s=6, alpha=0.5, label=f"M = {m_small}")
    lim = [min(df["exact"].min(), df[m_small].min()), 1]
    axes[1].plot(lim, lim, "k:", linewidth=1)
    axes[1].set(xlabel="exact CKA (N x N)", ylabel="sketched CKA", title="Every pair, block and sketch seed")
    axes[1].legend(fontsize="small")
    return fig


def block_heatmaps(maps: dict, vmin=None, vmax=None, suptitle=None):
    """Block x block maps (``maps``: title -> (B_rows, B_cols) array, rows = first data set's blocks)."""
    fig, axes = plotting.figure(len(maps), width=2.6, height=2.7)
    values = np.concatenate([m.ravel() for m in maps.values()])
    vmin = np.nanmin(values) if vmin is None else vmin
    vmax = np.nanmax(values) if vmax is None else vmax
    for ax, (title, M) in zip(np.atleast_1d(axes), maps.items()):
        im = ax.imshow(M, vmin=vmin, vmax=vmax, cmap="magma", origin="lower")
        ax.set_xticks(range(M.shape[1]), range(1, M.shape[1] + 1))
        ax.set_yticks(range(M.shape[0]), range(1, M.shape[0] + 1))
        first, _, second = title.partition(" vs ")
        ax.set(title=title, xlabel=f"block of {second or first}", ylabel=f"block of {first}")
    fig.colorbar(im, ax=axes, shrink=0.8, label="CKA")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def norms_plot(norms):
    """Figs. 4 and 6: ||mu_p|| and the two normalisers (panels: source data set x network)."""
    quantities = (("mu", r"$\|\mu_p\|$"), ("cka_normaliser", r"$\|K\|_F / N^2$ (CKA)"),
                  ("nbs_normaliser", r"$\sqrt{\mathrm{tr}\,K} / N$ (NBS)"),
                  ("ratio_cka", r"$\|\mu_p\| \,/\, (\|K\|_F/N^2)$"), ("ratio_nbs", r"$\|\mu_p\| \,/\, (\sqrt{\mathrm{tr}\,K}/N)$"))
    fig, axes = plotting.figure(len(quantities), 2, width=2.9, height=2.6)
    axes = np.asarray(axes).reshape(2, len(quantities))
    targets = ("A", "A2", "B", "C")
    colours = dict(zip(targets, ("tab:blue", "lightsteelblue", "tab:orange", "tab:green")))
    for r, network in enumerate(("small", "deep")):
        sub = norms[norms.network == network]
        for c, (column, title) in enumerate(quantities):
            ax = axes[r, c]
            for s, source in enumerate(ROLES):
                for t, target in enumerate(targets):
                    v = sub[(sub.source == source) & (sub.target == target)][column]
                    ax.bar(s * 5 + t, v.mean(), yerr=v.std() if len(v) > 1 else None, color=colours[target],
                           label=target if s == 0 else None, capsize=2)
            ax.set_xticks([s * 5 + 1.5 for s in range(len(ROLES))], ROLES)
            ax.set_xlabel("trained on")
            ax.set_yscale("log")
            ax.set_title(f"{title}\n{network} ResNet", fontsize=9)
    axes[0, -1].legend(title="evaluated on", fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig


def krr_plot(krr, names=None):
    """Fig. 14: test accuracy of sketched KRR per block (mean over A models), fine-tune lines."""
    fig, axes = plotting.figure(len(krr), width=4.2, height=3.3)
    for ax, (task, res) in zip(np.atleast_1d(axes), krr.items()):
        acc = res["correct"].mean(axis=2)          # (models, blocks)
        blocks = np.arange(1, acc.shape[1] + 1)
        ax.errorbar(blocks, acc.mean(0), yerr=acc.std(0), marker="o", capsize=2, label="sketched KRR (Hadamard)")
        ax.plot(blocks, res["null"].mean(axis=(0, 2)), "x:", color="0.5", label="KRR, permuted labels (null)")
        ax.axhline(res["converged"].mean(), color="k", linestyle="--", label="last layer, converged")
        ax.axhline(res["one_epoch"].mean(), color="k", linestyle=":", label="last layer, one epoch")
        ax.set(xlabel="residual block of the A models", ylabel="test accuracy",
               title=f"task of {(names or SHORT_NAMES)[task]}")
        ax.set_ylim(0, 1)
    np.atleast_1d(axes)[-1].legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    return fig
