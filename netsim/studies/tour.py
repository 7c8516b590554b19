"""Getting started: the whole pipeline on a few MNIST-1D trajectories.

Which runs to train (through the cache), how to turn them into one cloud of models in
prediction space, the InPCA embedding with the ignorance-truth geodesic, progress against
error, and the chapter's declared claims.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netsim.claims import AtLeast, AtMost, ClaimRegistry, Close, IsTrue
from netsim.train import TrainConfig, Trajectory

# Knobs of the chapter for each profile (the notebook's parameters cell sets them to None).
PROFILE = {
    "smoke": dict(models=("mlp", "allcnn"), optimizers=("sgd",), seeds=1, epochs=2,
                  eval_size=200, num_checkpoints=8, geodesic_points=20, device="auto"),
    "book": dict(models=("mlp", "allcnn", "resnet"), optimizers=("sgd", "adam"), seeds=2, epochs=15,
                 eval_size=1000, num_checkpoints=20, geodesic_points=50, device="auto"),
    "paper": dict(models=("mlp", "allcnn", "resnet", "transformer"), optimizers=("sgd", "nesterov", "adam"),
                  seeds=5, epochs=40, eval_size=4000, num_checkpoints=30, geodesic_points=100, device="auto"),
}

# Learning rate per sample of the mini-batch, as in the thesis (A.2): SGD 5e-4, Adam 5e-6.
LR_PER_SAMPLE = {"sgd": 5e-4, "nesterov": 5e-4, "adam": 5e-6}
BATCH_SIZE = 64
MODEL_OPTIONS = {"mlp": {"norm": "batch"}, "allcnn": {"norm": "batch"}, "resnet": {"norm": "batch"},
                 "transformer": {}}


def configs(params) -> list[TrainConfig]:
    """The runs of the chapter: every model x optimiser x seed on MNIST-1D."""
    return [
        TrainConfig(dataset="mnist1d", model=model, model_options=MODEL_OPTIONS.get(model, {}),
                    optimizer=opt, lr=LR_PER_SAMPLE[opt] * BATCH_SIZE, batch_size=BATCH_SIZE,
                    epochs=params.epochs, seed=seed, num_checkpoints=params.num_checkpoints,
                    eval_train_size=params.eval_size, eval_test_size=params.eval_size)
        for model in params.models for opt in params.optimizers for seed in range(params.seeds)
    ]


@dataclass
class Cloud:
    """All checkpoints of several trajectories as one set of models.

    Attributes
    ----------
    probs : (m, N, C) probabilities of the m models on one evaluation split.
    labels : (N,) true labels of that split.
    table : pandas DataFrame with one row per model (run, model, optimizer, seed, step,
        epoch, error, loss).
    """

    probs: np.ndarray
    labels: np.ndarray
    table: "object"


def cloud(trajectories: list[Trajectory], split: str) -> Cloud:
    """Stack the checkpoints of ``trajectories`` on evaluation split ``split``."""
    import pandas as pd

    if not trajectories:
        raise ValueError("trajectories is empty")
    labels = trajectories[0].labels[split]
    if any(not np.array_equal(t.labels[split], labels) for t in trajectories):
        raise ValueError(f"trajectories were evaluated on different {split!r} samples")
    rows = [dict(run=i, model=t.config.model, optimizer=t.config.optimizer, seed=t.config.seed,
                 step=int(s), epoch=float(e), error=float(err), loss=float(loss))
            for i, t in enumerate(trajectories)
            for s, e, err, loss in zip(t.steps, t.epochs, t.error[split], t.loss[split])]
    probs = np.concatenate([t.probs[split] for t in trajectories]).astype(np.float64)
    return Cloud(probs, labels, pd.DataFrame(rows))


def embed_with_geodesic(probs: np.ndarray, labels: np.ndarray, num_classes: int, geodesic_points: int):
    """InPCA of the models together with ignorance and truth; the geodesic added afterwards.

    The embedding is computed from the models plus the two end points (ignorance P_0 and
    truth P_*), with every component kept so it is exactly isometric; points of the
    ignorance-truth geodesic are then placed with eq. 2.2.9 (they do not move the embedding).

    Returns
    -------
    embedding : netsim.metrics InPCA result of the m + 2 points (models, then P_0, P_*).
    distances : (m + 2, m + 2) Bhattacharyya distances that were embedded.
    geodesic : (geodesic_points, k) coordinates of the geodesic points.
    """
    from netsim import metrics

    n = len(labels)
    ends = np.stack([metrics.ignorance(n, num_classes), metrics.truth(labels, num_classes)])
    points = np.concatenate([probs, ends])
    distances = metrics.pairwise_bhattacharyya(points)
    embedding = metrics.inpca(distances)
    path = metrics.geodesic_interpolate(ends[0], ends[1], np.linspace(0, 1, geodesic_points))
    geodesic = embedding.transform(metrics.pairwise_bhattacharyya(path, Q=points))
    return embedding, distances, geodesic


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of the least-squares line of y on x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def declare_claims(num_classes: int = 10) -> ClaimRegistry:
    """The tour's claims, declared before any run (thesis chapter 2)."""
    reg = ClaimRegistry("tour")
    reg.declare("T1", f"Bhattacharyya distance from ignorance to truth is (1/2) log C, C = {num_classes}",
                "1.1513 for C = 10", Close(half_log_classes(num_classes), tol=1e-9), source="eq. 2.2.2")
    reg.declare("T2", "InPCA with every component kept is exactly isometric",
                "exact (Theorem 2.5.1)", AtMost(1e-8), source="eq. 2.2.7")
    reg.declare("T3", "The InPCA spectrum has negative (time-like) eigenvalues", "yes (PC2 time-like)",
                IsTrue("at least one of the top-10 eigenvalues is negative"), source="Fig. 2.1")
    reg.declare("T4", "Top-3 InPCA explained stress of train predictions is large", "76% (CIFAR-10)",
                AtLeast(0.6, partly=0.4), source="Fig. 2.1, eq. 2.2.8")
    reg.declare("T5", "With batch-norm statistics warmed up, models start near ignorance: d_B(P, P_0) < 0.6 on test",
                "< 0.6", AtMost(0.6), source="Fig. 2.4, 2.12")
    reg.declare("T6", "Progress on the geodesic correlates with train error", "R^2 = 0.95",
                AtLeast(0.8, partly=0.5), source="Fig. 2.7")
    return reg


def half_log_classes(num_classes: int) -> float:
    """The closed form d_B(P_0, P_*) = (1/2) log C."""
    return 0.5 * math.log(num_classes)
