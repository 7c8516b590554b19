"""Tests of netsim.studies.transferability.figures on small synthetic inputs (Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_rgba  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from netsim.studies.transferability import figures  # noqa: E402

pytestmark = pytest.mark.usefixtures("figures_closed")

rng = np.random.default_rng(0)
M = 6
NAMES = [f"m{k}" for k in range(M)]
GROUPS = ["CNN", "CNN", "Transformer", "Transformer", "MLP-Mixer", "CNN"]
N_PAIRS = M * (M - 1) // 2


def labelled(ax):
    return bool(ax.get_xlabel()) and bool(ax.get_ylabel())


def points(ax):
    """Number of scattered points on an axis (all PathCollections)."""
    from matplotlib.collections import PathCollection

    return sum(len(c.get_offsets()) for c in ax.collections if isinstance(c, PathCollection))


def pair_masks():
    i, j = np.triu_indices(M, k=1)
    same = np.array(GROUPS)[i] == np.array(GROUPS)[j]
    regime = (i == 5) | (j == 5)
    return {"within": same & ~regime, "regime": same & regime, "across": ~same}


def test_similarity_heatmap_order_colours_and_nan():
    S = rng.normal(size=(M, M))
    S[0, 1] = np.nan
    order = np.array([2, 3, 0, 1, 5, 4])
    fig = figures.similarity_heatmap(S, NAMES, GROUPS, order=order)
    assert isinstance(fig, Figure) and len(fig.axes) == 2  # heatmap and colourbar
    ax, cbar = fig.axes
    assert labelled(ax) and ax.get_title()
    assert cbar.get_ylabel() == "s(A, B) = log attack success (%)"
    assert [t.get_text() for t in ax.get_xticklabels()] == [NAMES[k] for k in order]
    assert [t.get_text() for t in ax.get_yticklabels()] == [NAMES[k] for k in order]
    colours = [to_rgba(t.get_color()) for t in ax.get_yticklabels()]
    assert colours == [to_rgba(figures.GROUP_COLOURS[GROUPS[k]]) for k in order]
    assert len(set(colours)) == 3
    data = ax.images[0].get_array()
    assert data.shape == (M, M) and data.mask.sum() == 1  # the NaN is masked (drawn grey)
    assert np.ma.is_masked(data[2, 3])  # S[0, 1] after reordering
    assert data[0, 1] == S[2, 3]
    assert {t.get_text() for t in fig.legends[0].get_texts()} == {"CNN", "Transformer", "MLP-Mixer"}


@pytest.mark.parametrize("kwargs, name", [
    ({"S": np.zeros((M, M + 1))}, "S"),
    ({"names": NAMES[:-1]}, "names"),
    ({"groups": GROUPS[:-1]}, "groups"),
    ({"order": np.array([0, 0, 1, 2, 3, 4])}, "order"),
    ({"order": np.arange(M - 1)}, "order"),
])
def test_similarity_heatmap_rejects_bad_shapes(kwargs, name):
    args = {"S": np.zeros((M, M)), "names": NAMES, "groups": GROUPS} | kwargs
    with pytest.raises(ValueError, match=name):
        figures.similarity_heatmap(**args)


def test_importance_bars_sorted_with_null():
    components = [f"c{k}" for k in range(13)]
    importance = rng.random(13)
    null = rng.normal(scale=0.01, size=(20, 13))
    fig = figures.importance_bars(importance, components, null=null)
    (ax,) = fig.axes
    assert ax.get_xlabel() == "permutation importance (drop in R^2)" and ax.get_ylabel()
    widths = [p.get_width() for p in ax.patches]
    assert len(widths) == 13 and widths == sorted(importance, reverse=True)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [components[k] for k in np.argsort(-importance)]
    assert len(ax.containers) == 2 and ax.get_legend() is not None  # bars and null error bars
    assert len(ax.containers[1].lines[0].get_xdata()) == 13
    fig = figures.importance_bars(importance, components)
    assert len(fig.axes[0].containers) == 1


def test_importance_bars_rejects_bad_input():
    components = [f"c{k}" for k in range(13)]
    with pytest.raises(ValueError, match="components"):
        figures.importance_bars(rng.random(13), components[:-1])
    with pytest.raises(ValueError, match="null"):
        figures.importance_bars(rng.random(13), components, null=rng.random((5, 12)))
    with pytest.raises(ValueError, match="importance"):
        figures.importance_bars(np.r_[np.nan, rng.random(12)], components)
    with pytest.raises(ValueError, match="importance"):
        figures.importance_bars(rng.random((13, 1)), components)


def test_pair_similarity_groups_counts_and_means():
    s = rng.normal(size=N_PAIRS)
    s[0] = np.nan
    masks = pair_masks()
    fig = figures.pair_similarity_groups(s, masks)
    (ax,) = fig.axes
    assert labelled(ax) and ax.get_title()
    counts = {k: int((m & np.isfinite(s)).sum()) for k, m in masks.items()}
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"{k}\n(n = {n})" for k, n in counts.items()]
    assert points(ax) == np.isfinite(s).sum()
    mean_line = next(line for line in ax.lines if line.get_label() == "mean")
    expected = [np.nanmean(s[m]) for m in masks.values() if (m & np.isfinite(s)).any()]
    np.testing.assert_allclose(mean_line.get_ydata(), expected)


def test_pair_groups_reject_bad_masks():
    s = rng.normal(size=N_PAIRS)
    with pytest.raises(ValueError, match="groups"):
        figures.pair_similarity_groups(s, {"within": np.ones(N_PAIRS - 1, bool)})
    with pytest.raises(ValueError, match="groups"):
        figures.pair_similarity_groups(s, {"within": np.ones(N_PAIRS)})
    with pytest.raises(ValueError, match="groups"):
        figures.diversity_err(s, {"within": np.ones(N_PAIRS, bool)})  # no across / regime


def test_err_vs_similarity_drops_nan():
    s, err = rng.normal(size=N_PAIRS), rng.random(N_PAIRS)
    s[1], err[3] = np.nan, np.nan
    fig = figures.err_vs_similarity(s, err, r=0.4567)
    (ax,) = fig.axes
    assert labelled(ax) and "Pearson r = 0.46" in ax.get_title()
    assert points(ax) == N_PAIRS - 2
    assert "Pearson" not in figures.err_vs_similarity(s, err).axes[0].get_title()
    with pytest.raises(ValueError, match="err"):
        figures.err_vs_similarity(s, err[:-1])


def test_cluster_ensembles_panels():
    k = np.repeat([1.0, 2.0, 3.0], 10)
    error, err, all_wrong = rng.random(30), rng.random(30), rng.integers(0, 50, 30).astype(float)
    err[0] = np.nan
    fig = figures.cluster_ensembles(k, error, err, all_wrong)
    assert len(fig.axes) == 3 and all(labelled(ax) for ax in fig.axes)
    assert [points(ax) for ax in fig.axes] == [30, 29, 30]
    for ax, v in zip(fig.axes, (error, err, all_wrong)):
        means = ax.containers[0].lines[0]
        np.testing.assert_allclose(means.get_xdata(), [1, 2, 3])
        np.testing.assert_allclose(means.get_ydata(), [np.nanmean(v[k == c]) for c in (1, 2, 3)])
    with pytest.raises(ValueError, match="all_wrong"):
        figures.cluster_ensembles(k, error, err, all_wrong[:-1])
    with pytest.raises(ValueError, match="k"):
        figures.cluster_ensembles(np.r_[np.nan, k[1:]], error, err, all_wrong)


def test_diversity_err_groups():
    err = rng.random(N_PAIRS)
    masks = pair_masks()
    fig = figures.diversity_err(err, masks)
    (ax,) = fig.axes
    assert labelled(ax) and ax.get_title()
    ticks = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    assert ticks == ["across", "regime", "within"]
    assert points(ax) == sum(int(m.sum()) for m in masks.values())
    fig = figures.diversity_err(err, {k: masks[k] for k in ("across", "regime")})
    assert len(fig.axes[0].get_xticklabels()) == 2


def test_distillation_panels():
    T = 7
    similarity, student, teacher = rng.normal(size=T), rng.random(T), rng.random(T)
    transformer = np.array([True, True, True, False, False, False, False])
    teachers = [f"t{k}" for k in range(T)]
    student[6] = np.nan
    fig = figures.distillation(similarity, student, teacher, transformer, teachers)
    a, b = fig.axes
    assert labelled(a) and labelled(b) and a.get_title() and b.get_title()
    assert points(a) == T - 1 and points(b) == T - 1
    colours = {tuple(to_rgba(c.get_facecolor()[0])) for c in a.collections if len(c.get_offsets())}
    assert len(colours) == 2
    assert sorted(t.get_text() for t in a.texts) == teachers[:-1]
    assert len(a.lines) == 2  # one least-squares line per group
    with pytest.raises(ValueError, match="teachers"):
        figures.distillation(similarity, student, teacher, transformer, teachers[:-1])
    with pytest.raises(ValueError, match="teacher_accuracy"):
        figures.distillation(similarity, student, teacher[:-1], transformer, teachers)
    with pytest.raises(ValueError, match="transformer"):
        figures.distillation(similarity, student, teacher, transformer.astype(float), teachers)


@pytest.mark.parametrize("function, names", [(figures.attack_agreement, ("pgd", "autoattack")),
                                             (figures.one_sided_vs_two_sided, ("one_sided", "two_sided"))])
def test_identity_scatters(function, names):
    x, y = rng.normal(size=N_PAIRS), rng.normal(size=N_PAIRS)
    y[2] = np.nan
    fig = function(x, y, r=0.9)
    (ax,) = fig.axes
    assert labelled(ax) and "Pearson r = 0.90" in ax.get_title()
    assert points(ax) == N_PAIRS - 1
    identity = next(line for line in ax.lines if line.get_label() == "identity")
    np.testing.assert_allclose(identity.get_xdata(), identity.get_ydata())
    with pytest.raises(ValueError, match=names[1]):
        function(x, y[:-1])
    with pytest.raises(ValueError, match=names[0]):
        function(x.reshape(-1, 1), y)
