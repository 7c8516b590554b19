"""Tests of netsim.studies.training_manifold.figures on small synthetic inputs (Agg backend, no display)."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from netsim import metrics  # noqa: E402
from netsim.studies.training_manifold import figures  # noqa: E402

rng = np.random.default_rng(0)
m, C, N = 12, 3, 20  # models (3 runs x 4 checkpoints), classes, samples


pytestmark = pytest.mark.usefixtures("figures_closed")


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def cloud():
    probs = rng.dirichlet(np.ones(C), size=(m, N))
    labels = rng.integers(0, C, N)
    ends = np.stack([metrics.ignorance(N, C), metrics.truth(labels, C)])
    emb = metrics.inpca(metrics.pairwise_bhattacharyya(np.concatenate([probs, ends])))
    table = pd.DataFrame(dict(run=np.repeat(np.arange(3), 4), model=np.repeat(["mlp", "allcnn", "mlp"], 4),
                              optimizer=np.tile(["sgd", "adam"], 6), step=np.tile([0, 1, 10, 100], 3),
                              progress=rng.random(m), error=rng.random(m), weight_decay=np.tile([False, True], 6)))
    return emb, table


def test_inpca_panels_and_embeddings():
    emb, table = cloud()
    geodesic = rng.normal(size=(5, emb.coords.shape[1]))
    fig = figures.inpca_panels(emb, table, geodesic, title="a title")
    assert fig._suptitle.get_text() == "a title" and len(fig.axes) == 2
    assert "InPCA 1" in fig.axes[0].get_xlabel() and "InPCA 3" in fig.axes[1].get_ylabel()
    fig = figures.three_embeddings({"A": emb, "B": emb, "C": emb}, table["progress"])
    assert titles(fig)[0].startswith("A (top-3 stress") and len(fig.axes) == 3
    fig = figures.synthetic_embeddings({"sloppy": (emb, geodesic, ["1 layer"] * m, table["optimizer"]),
                                        "isotropic": (emb, geodesic, ["2 layers"] * m, table["optimizer"])})
    assert titles(fig)[0].startswith("sloppy inputs: top-3 stress") and fig.axes[1].get_legend() is None


def test_progress_and_configuration_figures():
    emb, table = cloud()
    fig = figures.progress_panels(table, table["progress"], rng.random(m), 0.5, 0.25)
    assert titles(fig) == ["Progress vs error, $R^2$ = 0.50", "Train vs test progress, $R^2$ = 0.25"]
    configs = pd.DataFrame(dict(model=["mlp", "mlp", "allcnn", "allcnn"], optimizer=["sgd", "adam"] * 2, batch=64,
                                weight_decay=[False, True] * 2, augmentation=False))
    D = np.abs(rng.normal(size=(4, 4)))
    D = D + D.T
    fig = figures.configurations(D, configs, metrics.inpca(np.where(np.eye(4, dtype=bool), 0, D)))
    assert titles(fig)[0] == "Dendrogram of configurations"
    assert {t.get_text() for t in fig.axes[0].get_yticklabels()} >= {"mlp/sgd/b64", "allcnn/adam/b64/wd"}
    fig = figures.progress_curves({"small": (np.array([0, 1, 10]), np.array([0.1, 0.5, 0.9]))}, table)
    assert titles(fig) == ["Progress per update", "Optimiser and weight decay"]


def test_tube_and_distance_figures():
    grid = np.linspace(0, 1, 7)
    fig = figures.tube({"train": (grid, rng.random((3, 7))), "test": (grid, rng.random((3, 7)))}, 3)
    assert titles(fig) == ["Tube of 3 seeds (train)", "Tube of 3 seeds (test)"] and len(fig.axes[0].lines) == 3
    effect = dict(grid_plain=grid, widths_plain=rng.random((3, 7)), grid_augmented=grid,
                  widths_augmented=rng.random((3, 7)), range=(0.0, 1.0), late_ratio=0.5)
    fig = figures.augmentation_tubes({"allcnn": effect, "mlp": effect})
    assert titles(fig)[1] == "mlp + SGD: late width ratio 0.50"
    geo = pd.DataFrame([dict(split=sp, run=r, model="mlp", s=s, d=s * r) for sp in ("train", "test")
                        for r in range(2) for s in grid])
    fig = figures.geodesic_distances(geo)
    assert titles(fig) == ["Distance to the geodesic (train)", "Distance to the geodesic (test)"]


def test_remaining_figures():
    emb, table = cloud()
    four = dict(original=emb, aligned=rng.normal(size=(m + 2, 3)), rmsd=0.1234)
    fig = figures.four_point(pd.concat([table, table.iloc[:2]]), four)
    assert fig._suptitle.get_text() == "Four-point basis vs all-model InPCA (RMSD 0.123)"
    fig = figures.joint_and_subsets(emb, emb.coords, {10: 0.5, 30: 0.7}, 0.2, N)
    assert titles(fig) == ["Joint train/test embedding", f"Subset embeddings (all N = {N})"]
    errors = pd.DataFrame(dict(step=[0, 1, 0, 1], epoch=[0.0, 1.0, 0.0, 1.0], kind=["a", "a", "b", "b"],
                               error=[0.9, 0.2, 0.9, 0.3]))
    assert titles(figures.centroids(errors, 0.25, 6)) == ["Centroids of 6 seeds"]
    fig = figures.weight_shares(np.array([0.9, 0.8, 0.7]), 0.5, 5)
    assert len(fig.axes[0].lines[0].get_xdata()) == 3
    eig = np.array([3.0, -1.0, 0.5, 1e-15])
    fig = figures.synthetic_corners({"sloppy": {1: 0.9, 2: 0.8}, "isotropic": {1: 0.7, 2: 0.6}},
                                    {k: (np.linspace(0, 1, 5), np.linspace(1, 0.2, 5)) for k in ("sloppy", "isotropic")},
                                    {k: {"step 0": (0.5, eig), "step 1": (0.6, eig)} for k in ("sloppy", "isotropic")}, 16)
    assert titles(fig)[2] == "Slices of one corner (16 inits)"
    assert len(fig.axes[2].lines[0].get_xdata()) == 3  # the null direction is dropped
    fig = figures.confident_models(np.linspace(0, 0.9, 4), np.ones(4), 0.684)
    assert titles(fig) == ["Remark 2.2.1, C = 10"]
