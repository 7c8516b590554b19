"""Getting started: the whole pipeline on a few MNIST-1D trajectories.

Which runs to train (through the cache), how to turn them into one cloud of models in
prediction space, the InPCA embedding with the ignorance-truth geodesic, progress against
error, and the chapter's declared claims.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.claims import ClaimRegistry
from netsim.studies.tour.claims import DECLARATIONS
from netsim.train import FIT_ERROR, TrainConfig, Trajectory, fit_summary  # noqa: F401 (re-exported)

# Knobs of the chapter for each profile (the notebook's parameters cell sets them to None).
PROFILE = {
    "smoke": dict(models=("mlp", "allcnn"), optimizers=("sgd",), seeds=2, epochs=2,
                  eval_size=200, num_checkpoints=8, geodesic_points=20, bootstrap=20, null_permutations=2,
                  processes=1, device="auto"),
    # 80 epochs: every run reaches train error <= 0.05 at the thesis's learning-rate-to-batch ratios
    # (Adam on the MLP is the slowest: 0.11 after 40 epochs, 0.001 after 80).
    "book": dict(models=("mlp", "allcnn", "resnet"), optimizers=("sgd", "adam"), seeds=3, epochs=80,
                 eval_size=1000, num_checkpoints=20, geodesic_points=50, bootstrap=200, null_permutations=10,
                 processes=2, device="auto"),
    "paper": dict(models=("mlp", "allcnn", "resnet", "transformer"), optimizers=("sgd", "nesterov", "adam"),
                  seeds=5, epochs=80, eval_size=4000, num_checkpoints=30, geodesic_points=100, bootstrap=1000,
                  null_permutations=20, processes=1, device="auto"),
}


# Learning rate per sample of the mini-batch, as in the thesis (A.2): SGD 5e-4, Adam 5e-6.
LR_PER_SAMPLE = {"sgd": 5e-4, "nesterov": 5e-4, "adam": 5e-6}
BATCH_SIZE = 64
MODEL_OPTIONS = {"mlp": {"norm": "batch"}, "allcnn": {"norm": "batch"}, "resnet": {"norm": "batch"},
                 "transformer": {}}


def train(params, progress: bool = True) -> list[Trajectory]:
    """Every run of :func:`configs` through the cache, in ``params.processes`` worker processes
    (one torch thread each: on 2 cores two small runs at once beat one run on both cores)."""
    from netsim.zoo import executor_for, train_many

    executor = executor_for(params.processes)
    return train_many(configs(params), executor=executor, device=params.device, progress=progress)


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

    points = with_ends(probs, labels, num_classes)
    ends = points[-2:]
    distances = metrics.pairwise_bhattacharyya(points)
    embedding = metrics.inpca(distances)
    path = metrics.geodesic_interpolate(ends[0], ends[1], np.linspace(0, 1, geodesic_points))
    geodesic = embedding.transform(metrics.pairwise_bhattacharyya(path, Q=points))
    return embedding, distances, geodesic


def r_squared(x: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of the least-squares line of y on x."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    return float(np.corrcoef(x, y)[0, 1] ** 2)


def declare_claims() -> ClaimRegistry:
    """The tour's claims and checks (declared in :mod:`netsim.studies.tour.claims`), protocol enforced."""
    return ClaimRegistry("tour", DECLARATIONS, strict=True)


def with_ends(probs: np.ndarray, labels: np.ndarray, num_classes: int) -> np.ndarray:
    """The models (m, N, C) followed by ignorance P_0 and truth P_* (m + 2, N, C)."""
    from netsim import metrics

    n = len(labels)
    ends = np.stack([metrics.ignorance(n, num_classes), metrics.truth(labels, num_classes)])
    return np.concatenate([probs, ends])


def embedding_structure(points: np.ndarray, k: int = 3, n_components: int = 10) -> np.ndarray:
    """Top-``k`` explained stress (eq. 2.2.8) and rank of the first time-like component.

    Parameters
    ----------
    points : (m, N, C) probabilities of the embedded points.
    k : components whose explained stress is returned.
    n_components : leading components computed; a cloud with no negative eigenvalue among
        them gets the rank ``n_components + 1`` ("beyond the computed ones").

    Returns
    -------
    (2,) array: explained stress of the top k, rank (1-based) of the first negative eigenvalue.
    """
    from netsim import metrics

    embedding = metrics.inpca(metrics.pairwise_bhattacharyya(points), n_components=n_components)
    negative = np.flatnonzero(embedding.eigenvalues < 0)
    rank = negative[0] + 1 if len(negative) else n_components + 1
    return np.array([embedding.explained_stress(k), rank], dtype=float)


def embedding_structure_estimates(points: np.ndarray, n_resamples: int, seed: int = 0, k: int = 3):
    """:func:`embedding_structure` with a bootstrap over evaluation samples (the N axis).

    Returns
    -------
    dict with Estimates "stress" and "timelike rank".
    """
    from netsim.uncertainty import bootstrap

    stress, rank = bootstrap(lambda idx: embedding_structure(points[:, idx], k), points.shape[1],
                             unit="evaluation samples", n_resamples=n_resamples, seed=seed)
    return {"stress": stress, "timelike rank": rank}


def permute_samples_across_models(points: np.ndarray, num_models: int, seed: int) -> np.ndarray:
    """Parallel-analysis null: each sample's predictions shuffled independently over the models.

    The first ``num_models`` points are permuted along the model axis, a fresh permutation
    for every evaluation sample; points after them (ignorance, truth) are kept.
    """
    rng = np.random.default_rng(seed)
    n = points.shape[1]
    order = np.argsort(rng.random((num_models, n)), axis=0)  # (models, N): one permutation per sample
    shuffled = points.copy()
    shuffled[:num_models] = points[order, np.arange(n)]
    return shuffled


def embedding_structure_null(points: np.ndarray, num_models: int, n_permutations: int, seed: int = 1, k: int = 3):
    """:func:`embedding_structure` of ``n_permutations`` parallel-analysis nulls.

    Returns
    -------
    dict with Estimates "stress" and "timelike rank" (mean, min-max over permutations).
    """
    from netsim.uncertainty import spread

    values = np.array([embedding_structure(permute_samples_across_models(points, num_models, seed + i), k)
                       for i in range(n_permutations)])
    return {"stress": spread(values[:, 0], unit="permutations"),
            "timelike rank": spread(values[:, 1], unit="permutations")}


def start_distance(probs: np.ndarray, n_resamples: int, seed: int = 0):
    """Largest mean Bhattacharyya distance to ignorance over untrained models, bootstrapped.

    Parameters
    ----------
    probs : (r, N, C) predictions of r untrained models on the same N samples.

    Returns
    -------
    Estimate of ``max_r d_B(P_r, P_0)``, bootstrap over the N samples.
    """
    from netsim import metrics
    from netsim.uncertainty import bootstrap

    n, num_classes = np.shape(probs)[-2:]
    terms = metrics.bhattacharyya_terms(probs, metrics.ignorance(n, num_classes))  # (r, N)
    return bootstrap(lambda idx: terms[:, idx].mean(1).max(), n, unit="test samples",
                     n_resamples=n_resamples, seed=seed)


def untrained_probs(configs: list[TrainConfig], split: str, warm_up: bool, device: str = "auto") -> np.ndarray:
    """(r, N, C) predictions on ``split`` of each configuration's untrained network."""
    from netsim.train import initial_predictions

    return np.stack([initial_predictions(c, warm_up=warm_up, device=device)[split] for c in configs])


def _by_run(values: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Reshape per-checkpoint values (m,) into (runs, checkpoints); every run needs as many."""
    ids = np.unique(runs)
    grouped = [values[runs == r] for r in ids]
    if len({len(g) for g in grouped}) != 1:
        raise ValueError("every run must have the same number of checkpoints")
    return np.stack(grouped)


def progress_fit(progress: np.ndarray, error: np.ndarray, runs: np.ndarray, n_resamples: int, seed: int = 0):
    """R^2 of error on progress over all checkpoints, with a bootstrap over whole runs.

    Checkpoints of one run are not independent, so the runs are the resampled units.

    Parameters
    ----------
    progress, error, runs : (m,) per checkpoint; ``runs`` labels the run of each checkpoint.
    """
    from netsim.uncertainty import bootstrap

    s, e = _by_run(np.asarray(progress, float), runs), _by_run(np.asarray(error, float), runs)
    return bootstrap(lambda idx: r_squared(s[idx].ravel(), e[idx].ravel()), len(s), unit="runs",
                     n_resamples=n_resamples, seed=seed)


def progress_fit_null(progress: np.ndarray, error: np.ndarray, runs: np.ndarray):
    """R^2 with each run's progress paired with another run's error at the same checkpoint.

    Every cyclic shift 1..R-1 of the run order is one null; returns their mean and range.
    """
    from netsim.uncertainty import spread

    s, e = _by_run(np.asarray(progress, float), runs), _by_run(np.asarray(error, float), runs)
    return spread([r_squared(s.ravel(), np.roll(e, shift, axis=0).ravel()) for shift in range(1, len(s))],
                  unit="run relabellings")


def progress_fit_by_group(progress: np.ndarray, cloud: Cloud):
    """R^2 of error on progress and Spearman's rho per architecture and optimiser.

    A pooled R^2 mixes groups whose progress is calibrated differently against error; the
    table shows whether the relation holds within each group.

    Parameters
    ----------
    progress : (m,) progress of every checkpoint of ``cloud``.
    cloud : the :class:`Cloud` the progress was computed on (its error column is used).
    """
    from scipy.stats import spearmanr

    table = cloud.table.assign(progress=np.asarray(progress, float))
    rows = []
    for (model, optimizer), group in table.groupby(["model", "optimizer"], sort=False):
        rows.append(dict(model=model, optimizer=optimizer, checkpoints=len(group),
                         r_squared=r_squared(group["progress"], group["error"]),
                         spearman=float(spearmanr(group["progress"], group["error"]).statistic),
                         error_range=f"{group['error'].min():.3f}-{group['error'].max():.3f}"))
    import pandas as pd

    return pd.DataFrame(rows)
