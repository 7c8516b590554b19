"""Figures of chapter 08 (a zoo of architectures compared by adversarial transferability).

After the seed paper 004, "Similarity of Neural Architectures Based on Input Gradient Transferability":
the similarity matrix (Fig. C.1), component importances (Fig. 1), similarity per pair group
(Table D.1), ensembles (Figs. 2-4), distillation (Figs. 5, F.1) and the attack checks (Figs. G.1,
G.2). Each function takes what the chapter has computed and returns a matplotlib figure with
labelled axes; captions live in the notebook. Wrong shapes raise a ValueError naming the argument.
"""
from __future__ import annotations

import numpy as np

from netsim.plotting import figure

GROUP_COLOURS = {"CNN": "tab:blue", "Transformer": "tab:orange", "MLP-Mixer": "tab:green"}
S_LABEL = "s(A, B) = log attack success (%)"
ERR_LABEL = "error reduction rate (ERR)"


def _vector(x, name: str, n: int | None = None, dtype=float) -> np.ndarray:
    """``x`` as a 1-D array (of length ``n`` if given), else a ValueError naming ``name``."""
    x = np.asarray(x, dtype=dtype)
    if x.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {x.shape}")
    if n is not None and len(x) != n:
        raise ValueError(f"{name} must have length {n}, got {len(x)}")
    return x


def _mask(mask, n: int, name: str) -> np.ndarray:
    """``mask`` as a boolean array of shape (n,), else a ValueError naming ``name``."""
    mask = np.asarray(mask)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(f"{name} must be a boolean mask of shape ({n},), got {mask.dtype} {mask.shape}")
    return mask


def _masks(groups: dict, n: int) -> dict[str, np.ndarray]:
    return {key: _mask(mask, n, f"groups[{key!r}]") for key, mask in groups.items()}


def _colours(groups) -> dict[str, object]:
    """Colour per group name: the base architectures' fixed colours, then the tab10 cycle."""
    extra = iter(f"C{k}" for k in range(3, 10))
    return {g: GROUP_COLOURS.get(g) or next(extra, "0.3") for g in dict.fromkeys(groups)}


def _r_title(title: str, r) -> str:
    return title if r is None else f"{title}: Pearson r = {r:.2f}"


def _jitter(n: int, width: float = 0.12, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-width, width, n)  # fixed seed: the same figure every time


def similarity_heatmap(S, names, groups, order=None):
    """Heatmap of the similarity matrix s(A, B), members coloured by base architecture (Fig. C.1).

    Parameters
    ----------
    S : (M, M) similarities s(A, B) (row: attacked model A, column: attacker B); NaN drawn grey.
    names : M member names (tick labels).
    groups : M base architectures ("CNN", "Transformer", "MLP-Mixer"), the tick labels' colour.
    order : optional (M,) permutation of the members (e.g. sorted by spectral cluster).
    """
    from matplotlib.patches import Patch

    S = np.asarray(S, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"S must be a square (M, M) matrix, got shape {S.shape}")
    M = len(S)
    names, groups = list(names), list(groups)
    for name, given in (("names", names), ("groups", groups)):
        if len(given) != M:
            raise ValueError(f"{name} must have {M} entries (one per row of S), got {len(given)}")
    order = np.arange(M) if order is None else _vector(order, "order", M, dtype=int)
    if not np.array_equal(np.sort(order), np.arange(M)):
        raise ValueError(f"order must be a permutation of 0..{M - 1}")
    import matplotlib as mpl

    cmap = mpl.colormaps["viridis"].with_extremes(bad="0.85")
    colours = _colours(groups)
    fig, ax = figure(width=0.16 * M + 3.2, height=0.16 * M + 2.2)
    im = ax.imshow(np.ma.masked_invalid(S[np.ix_(order, order)]), cmap=cmap, interpolation="nearest")
    fontsize = 7 if M <= 40 else 5
    ax.set_xticks(range(M), [names[k] for k in order], rotation=90, fontsize=fontsize)
    ax.set_yticks(range(M), [names[k] for k in order], fontsize=fontsize)
    for labels in (ax.get_xticklabels(), ax.get_yticklabels()):
        for label, k in zip(labels, order):
            label.set_color(colours[groups[k]])
    ax.grid(False)
    ax.set(xlabel="attacker B (adversarial examples of B)", ylabel="attacked model A",
           title="Similarity s(A, B) of the zoo")
    fig.colorbar(im, ax=ax, shrink=0.8, label=S_LABEL)
    fig.legend([Patch(color=c) for c in colours.values()], list(colours), fontsize="small",
               loc="outside lower center", ncols=len(colours))
    return fig


def importance_bars(importance, components, null=None):
    """Permutation importance of the 13 components for the similarity regression, sorted (Fig. 1).

    Parameters
    ----------
    importance : (C,) permutation importances (drop in R^2), finite.
    components : C component names.
    null : optional (P, C) importances under P permuted feature tables; their 5-95 % range is
        drawn as a grey bar around the null median.
    """
    importance = _vector(importance, "importance")
    C = len(importance)
    components = list(components)
    if len(components) != C:
        raise ValueError(f"components must have {C} names (one per importance), got {len(components)}")
    if not np.isfinite(importance).all():
        raise ValueError("importance contains NaN or inf")
    rank = np.argsort(-importance, kind="stable")
    y = np.arange(C)
    fig, ax = figure(width=5.4, height=0.3 * C + 1.4)
    ax.barh(y, importance[rank], color="C0", alpha=0.8, label="permutation importance")
    if null is not None:
        null = np.asarray(null, dtype=float)
        if null.ndim != 2 or null.shape[1] != C:
            raise ValueError(f"null must have shape (P, {C}), got {null.shape}")
        lo, mid, hi = np.nanpercentile(null[:, rank], [5, 50, 95], axis=0)
        ax.errorbar(mid, y, xerr=[mid - lo, hi - mid], fmt="o", color="0.45", ms=3, capsize=2,
                    label="permuted table (5-95 %)")
        ax.legend(fontsize="small", loc="lower right")
    ax.set_yticks(y, [components[k] for k in rank], fontsize="small")
    ax.invert_yaxis()
    ax.axvline(0, color="k", lw=0.8)
    ax.set(xlabel="permutation importance (drop in R^2)", ylabel="architecture component",
           title="What makes architectures similar")
    return fig


def _group_panel(ax, values, masks: dict, keys, violin: bool = False) -> None:
    """Box (or violin) plot, jittered points and the mean (diamond, label "mean") of ``values[mask]`` per group."""
    data = [values[masks[k] & np.isfinite(values)] for k in keys]
    x = np.arange(len(keys))
    if violin:
        ok = [i for i, d in enumerate(data) if len(np.unique(d)) > 1]
        if ok:
            parts = ax.violinplot([data[i] for i in ok], positions=x[ok], showextrema=False)
            for i, body in zip(ok, parts["bodies"]):
                body.set_facecolor(f"C{i}")
    else:
        ax.boxplot(data, positions=x, widths=0.5, showfliers=False, medianprops={"color": "k"})
    for i, d in enumerate(data):
        ax.scatter(i + _jitter(len(d), seed=i), d, s=8, color=f"C{i}", alpha=0.5, zorder=2)
    means = [(i, d.mean()) for i, d in enumerate(data) if len(d)]
    if means:
        ax.plot(*zip(*means), "D", color="k", ms=6, zorder=3, label="mean")
    ax.set_xticks(x, [f"{k}\n(n = {len(d)})" for k, d in zip(keys, data)])
    ax.set_xlabel("pair group")


def pair_similarity_groups(s, groups: dict):
    """Similarity of the pairs per group: same architecture, regime variants, across (Table D.1).

    Parameters
    ----------
    s : (n_pairs,) off-diagonal similarities (NaN pairs are dropped).
    groups : name -> (n_pairs,) boolean mask, e.g. ``within``, ``regime``, ``across``.
    """
    s = _vector(s, "s")
    masks = _masks(groups, len(s))
    if not masks:
        raise ValueError("groups must name at least one pair group")
    fig, ax = figure(width=1.3 * len(masks) + 2.0, height=3.6)
    _group_panel(ax, s, masks, list(masks))
    ax.set(ylabel=S_LABEL, title="Similarity per pair group (diamond: mean)")
    return fig


def err_vs_similarity(s, err, r=None):
    """Error reduction rate of 2-ensembles against the similarity of their members (Fig. 2).

    Parameters
    ----------
    s, err : (n_pairs,) similarity and ERR per pair; pairs with a NaN are dropped.
    r : optional Pearson correlation, shown in the title.
    """
    s = _vector(s, "s")
    err = _vector(err, "err", len(s))
    ok = np.isfinite(s) & np.isfinite(err)
    fig, ax = figure(width=4.6, height=3.6)
    ax.scatter(s[ok], err[ok], s=10, alpha=0.6, color="C0")
    ax.set(xlabel=S_LABEL, ylabel=ERR_LABEL, title=_r_title("2-model ensembles", r))
    return fig


def cluster_ensembles(k, error, err, all_wrong):
    """Ensemble error, ERR and all-wrong images against the number k of clusters covered (Fig. 3).

    Parameters
    ----------
    k, error, err, all_wrong : (D,) per draw of an N-model ensemble: the number of clusters its
        members come from, its error, its ERR and the number of images all members get wrong.
        NaN draws are dropped per panel; the bars are means with a 95 % normal interval.
    """
    k = _vector(k, "k")
    if not np.isfinite(k).all():
        raise ValueError("k must be finite (a number of clusters per draw)")
    panels = {name: _vector(v, name, len(k)) for name, v in
              (("error", error), ("err", err), ("all_wrong", all_wrong))}
    ylabels = {"error": "ensemble error", "err": ERR_LABEL, "all_wrong": "images all members get wrong"}
    fig, axes = figure(3, width=3.8, height=3.4)
    ks = np.unique(k)
    for ax, (name, v) in zip(axes, panels.items()):
        ok = np.isfinite(v)
        ax.scatter(k[ok] + _jitter(ok.sum()), v[ok], s=6, color="0.5", alpha=0.4)
        stats = [(c, v[ok & (k == c)]) for c in ks if (ok & (k == c)).any()]
        mean = np.array([d.mean() for _, d in stats])
        half = np.array([1.96 * d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else 0.0 for _, d in stats])
        ax.errorbar(np.array([c for c, _ in stats]), mean, yerr=half, fmt="o-", color="C3", capsize=3,
                    label="mean, 95 %")
        ax.set(xticks=ks, xlabel="clusters k the members come from", ylabel=ylabels[name])
    axes[0].legend(fontsize="small")
    axes[1].set_title(f"{len(k)} ensembles of members from k clusters")
    return fig


def diversity_err(err, groups: dict):
    """ERR of 2-ensembles of different architectures against regime variants (and seeds) (Fig. 4).

    Parameters
    ----------
    err : (n_pairs,) ERR of each 2-ensemble (NaN dropped).
    groups : name -> (n_pairs,) boolean mask; needs ``across`` and ``regime``, ``within`` optional.
    """
    err = _vector(err, "err")
    masks = _masks(groups, len(err))
    missing = {"across", "regime"} - set(masks)
    if missing:
        raise ValueError(f"groups must contain 'across' and 'regime'; missing {sorted(missing)}")
    keys = [g for g in ("across", "regime", "within") if g in masks]
    fig, ax = figure(width=1.3 * len(keys) + 2.0, height=3.6)
    _group_panel(ax, err, masks, keys, violin=True)
    ax.set(ylabel=ERR_LABEL, title="Diversity of 2-model ensembles (diamond: mean)")
    return fig


def _fit_line(ax, x, y, colour) -> None:
    """Least-squares line of y on x over the range of x (none for fewer than two distinct x)."""
    if len(x) > 1 and np.ptp(x) > 0:
        slope, intercept = np.polyfit(x, y, 1)
        grid = np.array([x.min(), x.max()])
        ax.plot(grid, slope * grid + intercept, "--", color=colour, lw=1)


def distillation(similarity, student_accuracy, teacher_accuracy, transformer, teachers):
    """Distilled student's accuracy against its similarity to the teacher, and against the teacher's
    accuracy (Figs. 5 and F.1).

    Parameters
    ----------
    similarity, student_accuracy, teacher_accuracy : (T,) per teacher (rows with a NaN dropped).
    transformer : (T,) bool, whether the teacher is a transformer (colour; one least-squares line each).
    teachers : T teacher names (annotations of the left panel).
    """
    similarity = _vector(similarity, "similarity")
    T = len(similarity)
    student = _vector(student_accuracy, "student_accuracy", T)
    teacher = _vector(teacher_accuracy, "teacher_accuracy", T)
    transformer = _mask(transformer, T, "transformer")
    teachers = list(teachers)
    if len(teachers) != T:
        raise ValueError(f"teachers must have {T} names, got {len(teachers)}")
    fig, (a, b) = figure(2, width=4.6, height=3.8)
    for ax, x, xlabel in ((a, similarity, "teacher-student similarity s(student, teacher)"),
                          (b, teacher, "teacher accuracy")):
        for flag, label, colour in ((True, "transformer teacher", GROUP_COLOURS["Transformer"]),
                                    (False, "other teacher", GROUP_COLOURS["CNN"])):
            ok = (transformer == flag) & np.isfinite(x) & np.isfinite(student)
            ax.scatter(x[ok], student[ok], s=18, color=colour, label=label)
            if ax is a:
                _fit_line(ax, x[ok], student[ok], colour)
                for i in np.flatnonzero(ok):
                    ax.annotate(teachers[i], (x[i], student[i]), xytext=(3, 3), textcoords="offset points",
                                fontsize="x-small")
        ax.set(xlabel=xlabel, ylabel="student accuracy")
    a.legend(fontsize="small")
    a.set_title("Distillation vs similarity")
    b.set_title("Distillation vs teacher accuracy")
    return fig


def _identity_scatter(x, y, xname: str, yname: str, xlabel: str, ylabel: str, title: str):
    x = _vector(x, xname)
    y = _vector(y, yname, len(x))
    ok = np.isfinite(x) & np.isfinite(y)
    fig, ax = figure(width=4.2, height=4.0)
    ax.scatter(x[ok], y[ok], s=10, alpha=0.6, color="C0")
    if ok.any():
        lo, hi = min(x[ok].min(), y[ok].min()), max(x[ok].max(), y[ok].max())
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="identity")
        ax.legend(fontsize="small")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    return fig


def attack_agreement(pgd, autoattack, r=None):
    """Off-diagonal similarities from PGD against those from AutoAttack, with the identity (Fig. G.1).

    Parameters
    ----------
    pgd, autoattack : (n_pairs,) similarities of the same pairs under each attack (NaN dropped).
    r : optional Pearson correlation, shown in the title.
    """
    return _identity_scatter(pgd, autoattack, "pgd", "autoattack", "s(A, B) with PGD", "s(A, B) with AutoAttack",
                             _r_title("PGD vs AutoAttack", r))


def one_sided_vs_two_sided(one_sided, two_sided, r=None):
    """One-sided score against the two-sided similarity of the same pairs, with the identity (Fig. G.2).

    Parameters
    ----------
    one_sided, two_sided : (n_pairs,) scores of the same pairs (NaN dropped).
    r : optional Pearson correlation, shown in the title.
    """
    return _identity_scatter(one_sided, two_sided, "one_sided", "two_sided", "one-sided score",
                             "two-sided similarity s(A, B)", _r_title("One-sided vs two-sided", r))
