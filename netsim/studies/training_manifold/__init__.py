"""Study 4, the training manifold (thesis chapter 2 and appendix 2.5; STUDIES_THESIS.md "STUDY A").

Which runs to train (a configuration grid on MNIST-1D plus the extra runs for tube widths,
centroids, larger networks, random-label corners and the synthetic teacher-student
problem), the analyses of the chapter (InPCA of train and test predictions, progress,
trajectory distances and their dendrogram, PERMANOVA over configuration factors,
tube widths, distance to the geodesic, subset, four-point and joint embeddings, baselines,
centroids, weight-space PCA). The declarations of claims A1-A21 live in :mod:`.claims`, their
intervals and nulls in :mod:`.evidence`.
"""
from __future__ import annotations

import json
import math

import numpy as np

from netsim import metrics
from netsim.claims import ClaimRegistry
from netsim.studies.training_manifold import evidence  # noqa: F401 (intervals and nulls)
from netsim.studies.training_manifold.claims import DECLARATIONS, PROTOCOL_04, PROTOCOL_04B  # noqa: F401
from netsim.studies.tour import cloud, embed_with_geodesic, r_squared
from netsim.train import FIT_ERROR, TrainConfig, Trajectory, fit_summary  # noqa: F401 (re-exported)

__all__ = [
    "PROFILE", "LR_PER_SAMPLE", "WEIGHT_DECAY", "FIT_ERROR", "run_epochs", "train_groups", "fit_summary",
    "grid_configs", "augmented_configs", "tube_configs",
    "centroid_configs", "augmented_tube_configs", "scale_configs", "corner_configs", "synthetic_configs",
    "synthetic_corner_configs", "synthetic_slice_configs", "factor_table", "augmentation_tube_effect", "corner_embedding_stress",
    "corner_convergence", "slice_stress", "off_manifold_fraction", "off_manifold_composition", "cloud", "embed_with_geodesic",
    "r_squared", "config_distance_matrix", "config_permanova", "centroid_difference", "subset_embedding_epd",
    "four_point_alignment", "joint_embedding_epd", "centroid_errors", "weight_pca_explained",
    "confident_model_progress", "declare_claims", "DECLARATIONS", "evidence", "second_seed_config",
    "permanova_f_ratio", "evidence_summary",
]

# Knobs of the chapter for each profile (the notebook's parameters cell sets them to None).
PROFILE = {
    "smoke": dict(models=("mlp", "allcnn"), optimizers=("sgd", "adam"), batch_sizes=(64,),
                  weight_decays=(False, True), augmentations=(False,), seeds=1, epochs=1, slow_epochs=1, eval_size=200,
                  num_checkpoints=6, tube_seeds=3, centroid_seeds=3, corner_tasks=1, synthetic_seeds=1,
                  synthetic_students=2, synthetic_epochs=2, permutations=19, geodesic_points=20, augmented_optimizers=(),
                  augmented_tubes=("mlp",), synthetic_corners=2, corner_inits=1, resamples=20, null_draws=2, processes=1, device="auto"),
    # Every run trained until it fits (30 epochs, 80 for Adam). The transformer fits too (largest final
    # train error 0.049 after 80 epochs) but its 13 runs cost 571 of the 1209 single-thread training
    # seconds of the whole set, so the book grid leaves it to the paper profile.
    "book": dict(models=("mlp", "allcnn", "resnet_small"), optimizers=("sgd", "nesterov", "adam"),
                 batch_sizes=(64, 256), weight_decays=(False, True), augmentations=(False,), seeds=1, epochs=30,
                 slow_epochs=80,
                 eval_size=1000, num_checkpoints=16, tube_seeds=6, centroid_seeds=6, corner_tasks=3,
                 synthetic_seeds=1, synthetic_students=16, synthetic_epochs=20, permutations=999, geodesic_points=50,
                 augmented_optimizers=("sgd",), augmented_tubes=("allcnn", "mlp"), synthetic_corners=3, corner_inits=4,
                 resamples=100, null_draws=2, processes=2, device="auto"),
    "paper": dict(models=("mlp", "allcnn", "resnet_small", "resnet_large", "transformer"),
                  optimizers=("sgd", "nesterov", "adam"), batch_sizes=(64, 256), weight_decays=(False, True),
                  augmentations=(False, True), seeds=2, epochs=30, slow_epochs=80, eval_size=1000, num_checkpoints=20,
                  tube_seeds=10, centroid_seeds=30, corner_tasks=3, synthetic_seeds=3, synthetic_students=16, synthetic_epochs=50,
                  permutations=999, geodesic_points=50, augmented_optimizers=(), augmented_tubes=("allcnn", "mlp"),
                  synthetic_corners=5, corner_inits=10, resamples=1000, null_draws=10, processes=1, device="auto"),
}

# Learning rate per sample of the mini-batch (thesis A.2): SGD/Nesterov 5e-4, Adam 5e-6.
LR_PER_SAMPLE = {"sgd": 5e-4, "nesterov": 5e-4, "adam": 5e-6}
# The weight decay of the "on" level (thesis A.2): 1e-3 for SGD/Nesterov, 1e-5 for Adam.
WEIGHT_DECAY = {"sgd": 1e-3, "nesterov": 1e-3, "adam": 1e-5}
MODEL_OPTIONS = {"mlp": {"norm": "batch"}, "allcnn": {"norm": "batch"}, "resnet_small": {"norm": "batch"},
                 "resnet_large": {"norm": "batch"}, "transformer": {}}
#: [NG] the tube, centroid, scale and corner runs use this one configuration's batch size.
EXTRA_BATCH = 64
#: Synthetic teacher-student problem (A.4): input dimension, spectra, sizes, batch sizes.
SYNTHETIC = dict(d=200, n_train=2000, n_test=500, spectra=(0.001, 0.5), depths=((512,), (512, 512)),
                 optimizers=("sgd", "nesterov"), batch_sizes=(200, 500), weight_decays=(0.0, 1e-5))
#: [NG] students started from synthetic corners: 1 hidden layer of 512, SGD and Nesterov, no weight
#: decay, batch 200 (the thesis uses batch 100 and two weight decays); the corner G_k ~ N(0, 1) is added
#: to a standard initialisation U_j (w = G_k + U_j, STUDIES_THESIS.md A.2 default).
SYNTHETIC_CORNER = dict(widths=(512,), optimizers=("sgd", "nesterov"), batch_size=200, weight_decay=0.0, scale=1.0)


#: At the thesis's learning-rate-to-batch ratios these fit slowest on MNIST-1D (measured: Adam on
#: the FC network, 0.11 train error after 40 epochs at batch 64; the transformer with SGD at batch
#: 256, 0.11 after 30 epochs; both below 0.05 after 80), so they train for ``slow_epochs``, every
#: other run for ``epochs``.
SLOW_OPTIMIZERS, SLOW_MODELS = ("adam",), ("transformer",)


def run_epochs(params, model: str, optimizer: str) -> float:
    """Epochs of a run: ``params.slow_epochs`` for the slow optimisers and models, else ``params.epochs``."""
    slow = optimizer in SLOW_OPTIMIZERS or model in SLOW_MODELS
    return params.slow_epochs if slow else params.epochs


def _config(params, model, optimizer, batch, wd=False, aug=False, seed=0, **extra) -> TrainConfig:
    return TrainConfig(
        dataset="mnist1d", model=model, model_options=MODEL_OPTIONS.get(model, {}), optimizer=optimizer,
        lr=LR_PER_SAMPLE[optimizer] * batch, batch_size=batch,
        weight_decay=WEIGHT_DECAY[optimizer] if wd else 0.0,
        augmentation="shift_noise" if aug else None, epochs=run_epochs(params, model, optimizer), seed=seed,
        num_checkpoints=params.num_checkpoints, eval_train_size=params.eval_size,
        eval_test_size=params.eval_size, **extra)


def grid_configs(params) -> list[TrainConfig]:
    """The configuration grid of A.4: model x optimiser x batch x weight decay x augmentation x seed."""
    return [_config(params, m, o, b, wd, aug, seed)
            for m in params.models for o in params.optimizers for b in params.batch_sizes
            for wd in params.weight_decays for aug in params.augmentations for seed in range(params.seeds)]


def augmented_configs(params) -> list[TrainConfig]:
    """Augmented runs added to the grid when the full product with augmentation does not fit the
    budget: every model with each of ``params.augmented_optimizers``, the first batch size, no
    weight decay, every seed (none that :func:`grid_configs` already has)."""
    present = {repr(c) for c in grid_configs(params)}
    extra = [_config(params, m, o, params.batch_sizes[0], False, True, seed)
             for m in params.models for o in params.augmented_optimizers for seed in range(params.seeds)]
    return [c for c in extra if repr(c) not in present]


def tube_configs(params) -> list[TrainConfig]:
    """AllCNN-1D + SGD over ``tube_seeds`` seeds, weights saved (tube widths, weight-space PCA)."""
    return [_config(params, "allcnn", "sgd", EXTRA_BATCH, seed=s, save_weights=True)
            for s in range(params.tube_seeds)]


def centroid_configs(params) -> list[TrainConfig]:
    """AllCNN-1D + SGD over ``centroid_seeds`` seeds (ensembles and centroids, Fig. 2.24, AllCNN as in
    the thesis); the first ``tube_seeds`` are the tube's own runs (:func:`tube_configs`)."""
    return [_config(params, "allcnn", "sgd", EXTRA_BATCH, seed=s, save_weights=True)
            for s in range(params.centroid_seeds)]


def augmented_tube_configs(params) -> dict[str, tuple[list[TrainConfig], list[TrainConfig]]]:
    """Tubes without and with augmentation (Fig. 2.15), ``tube_seeds`` seeds each.

    Returns
    -------
    dict model -> (plain, augmented) for each model of ``params.augmented_tubes`` ("allcnn":
    the tube runs of :func:`tube_configs`; "mlp": FC + SGD runs of the same seeds), both with SGD
    and the same seeds.
    """
    plain_of = {"allcnn": tube_configs(params),
                "mlp": [_config(params, "mlp", "sgd", EXTRA_BATCH, seed=s) for s in range(params.tube_seeds)]}
    out = {}
    for model in params.augmented_tubes:
        if model not in plain_of:
            raise ValueError(f"augmented_tubes must name models of {sorted(plain_of)}, got {model!r}")
        plain = plain_of[model]
        out[model] = (plain, [c.replace(augmentation="shift_noise", save_weights=False) for c in plain])
    return out


def train_groups(groups: dict, params, progress: bool = True) -> dict:
    """Train every group of configurations through the cache in one sweep, so that runs of
    different groups that share a pack key train as one pack; runs that start from another
    run's weights (``init_from``) train in a second sweep, once their sources are cached.

    Returns
    -------
    dict group name -> list of Trajectory, in the order of ``groups``.
    """
    from netsim.zoo import executor_for, train_many

    executor = executor_for(params.processes)
    flat = [(name, i, c) for name, configs in groups.items() for i, c in enumerate(configs)]
    runs = {name: [None] * len(configs) for name, configs in groups.items()}
    for later in (False, True):
        part = [(name, i, c) for name, i, c in flat if (c.init_from is not None) == later]
        for (name, i, _), t in zip(part, train_many([c for _, _, c in part], executor=executor,
                                                    device=params.device, progress=progress)):
            runs[name][i] = t
    return runs


def scale_configs(params) -> list[TrainConfig]:
    """Small and large ResNet-1D with the same optimiser and seed (A11), then a second seed of the
    small one (the null of "ahead": two runs of one network)."""
    return [_config(params, m, "sgd", EXTRA_BATCH) for m in ("resnet_small", "resnet_large")] + [
        second_seed_config(params)]


def second_seed_config(params) -> TrainConfig:
    """The small ResNet-1D of :func:`scale_configs` with another seed (1000: no grid run uses it)."""
    return _config(params, "resnet_small", "sgd", EXTRA_BATCH, seed=1000)


def corner_configs(params) -> tuple[list[TrainConfig], list[TrainConfig], list[TrainConfig]]:
    """Random-label corners (Figs. 2.20-2.21).

    Returns
    -------
    corners : FC + SGD trained on random labels of a 1000-sample subset (one per task), weights saved.
    follows : the same network then trained on the true labels from each corner's final weights.
    normals : the same network trained on the true labels from a standard initialisation (2 seeds).
    """
    corners = [_config(params, "mlp", "sgd", EXTRA_BATCH, seed=100 + k, train_size=1000, random_labels=True,
                       save_weights=True) for k in range(params.corner_tasks)]
    follows = [_config(params, "mlp", "sgd", EXTRA_BATCH, seed=k, init_from=c.key_dict())
               for k, c in enumerate(corners)]
    normals = [_config(params, "mlp", "sgd", EXTRA_BATCH, seed=s) for s in range(2)]
    return corners, follows, normals


def synthetic_configs(params, c: float) -> list[TrainConfig]:
    """Students on the sloppy (c = 0.5) or isotropic (c = 0.001) teacher problem (2.5.5, A.4).

    The full factorial has 16 student configurations (depth x optimiser x batch x weight decay);
    ``params.synthetic_students`` of them, evenly spaced in that order, are trained per seed.
    """
    s = SYNTHETIC
    data = dict(d=s["d"], c=c, n_train=s["n_train"], n_test=s["n_test"])
    students = [(widths, o, b, wd) for widths in s["depths"] for o in s["optimizers"]
                for b in s["batch_sizes"] for wd in s["weight_decays"]]
    step = max(1, len(students) // params.synthetic_students)
    return [TrainConfig(dataset="sloppy_gaussian", dataset_options=data, model="mlp",
                        model_options={"widths": widths}, optimizer=o, lr=LR_PER_SAMPLE[o] * b, batch_size=b,
                        weight_decay=wd, epochs=params.synthetic_epochs, seed=seed,
                        num_checkpoints=params.num_checkpoints, eval_train_size=1000, eval_test_size=s["n_test"])
            for widths, o, b, wd in students[::step][:params.synthetic_students]
            for seed in range(params.synthetic_seeds)]


def synthetic_corner_configs(params, c: float) -> list[TrainConfig]:
    """Students started from ``params.synthetic_corners`` corners of the synthetic problem
    (2.5.5, Figs. 2.27-2.28): corner k is the weight offset ``init_offset=(k, 1)`` added to the
    standard initialisation of seed j, for ``params.corner_inits`` seeds and the optimisers of
    ``SYNTHETIC_CORNER``; ordered corner, seed, optimiser (the corner of a run is
    ``config.init_offset[0]``)."""
    s, k = SYNTHETIC, SYNTHETIC_CORNER
    data = dict(d=s["d"], c=c, n_train=s["n_train"], n_test=s["n_test"])
    return [TrainConfig(dataset="sloppy_gaussian", dataset_options=data, model="mlp",
                        model_options={"widths": k["widths"]}, optimizer=o, lr=LR_PER_SAMPLE[o] * k["batch_size"],
                        batch_size=k["batch_size"], weight_decay=k["weight_decay"], epochs=params.synthetic_epochs,
                        seed=j, num_checkpoints=params.num_checkpoints, eval_train_size=1000,
                        eval_test_size=s["n_test"], init_offset=(corner, k["scale"]))
            for corner in range(params.synthetic_corners) for j in range(params.corner_inits)
            for o in k["optimizers"]]


def synthetic_slice_configs(params, c: float) -> list[TrainConfig]:
    """Many initialisations of corner 0 trained for 2 steps only (Fig. 2.28): the slice of one
    corner at step 0 and after one step (0.5% of a 200-step corner run; the first step of the
    cosine schedule does not depend on the run length). ``4 * params.corner_inits`` seeds, SGD."""
    base = synthetic_corner_configs(params, c)[0]
    steps_per_epoch = math.ceil(SYNTHETIC["n_train"] / base.batch_size)
    return [base.replace(seed=j, epochs=2 / steps_per_epoch) for j in range(4 * params.corner_inits)]


# ---------------------------------------------------------------------------------------
# Analyses
# ---------------------------------------------------------------------------------------
FACTORS = ("model", "optimizer", "batch", "weight_decay", "augmentation")


def factor_table(trajectories: list[Trajectory]):
    """One row per trajectory: its factor levels and a configuration id that ignores the seed."""
    import pandas as pd

    rows = [dict(run=i, model=t.config.model, optimizer=t.config.optimizer, batch=t.config.batch_size,
                 weight_decay=t.config.weight_decay > 0, augmentation=t.config.augmentation is not None,
                 seed=t.config.seed) for i, t in enumerate(trajectories)]
    table = pd.DataFrame(rows)
    table["config"] = table.groupby(list(FACTORS), sort=False).ngroup()
    return table


def config_distance_matrix(D_runs: np.ndarray, config_ids) -> np.ndarray:
    """Seed-averaged trajectory distances: the mean of ``D_runs`` over the runs of each pair of
    configurations (the diagonal is the mean distance between distinct seeds, 0 with one seed)."""
    ids = np.asarray(config_ids)
    levels = np.unique(ids)
    out = np.zeros((len(levels), len(levels)))
    for a, i in enumerate(levels):
        for b, j in enumerate(levels):
            block = D_runs[np.ix_(ids == i, ids == j)]
            if i == j:
                block = block[~np.eye(len(block), dtype=bool)]
            out[a, b] = np.nanmean(block) if block.size else 0.0
    return out


def _sample_subset(labels: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(len(labels), size=min(n, len(labels)), replace=False))


def subset_embedding_epd(probs: np.ndarray, labels: np.ndarray, D: np.ndarray, n_samples: int, k: int = 10,
                         seed: int = 0) -> float:
    """Explained pairwise distance (eq. 2.4.2) of all models after embedding them into an InPCA
    computed from ``n_samples`` random samples only (Figs. 2.5b, 2.13, 2.14).

    The embedding is built from distances on the subset; every model is placed with
    eq. 2.2.9/2.3.1 using its full-sample distances ``D``; the top ``k`` dimensions are kept.
    """
    idx = _sample_subset(labels, n_samples, seed)
    sub = metrics.inpca(metrics.pairwise_bhattacharyya(probs[:, idx]), n_components=k)
    X = sub.transform(D)
    return metrics.explained_pairwise_distance(D, X, sub.signature)


def four_point_alignment(probs: np.ndarray, labels: np.ndarray, D: np.ndarray, s_models: np.ndarray,
                         *, s1: float = 0.2, k_original: int = 8, keep=None, sigma: float = 0.05):
    """The four-point basis (eq. 2.4.1) against the original InPCA, as in Fig. 2.10.

    ``keep`` (bool mask, (m,)) selects the models of the comparison (Fig. 2.10 keeps those with
    d_B(P, P_*) < 2); s2 = 1 - s1. Returns a dict with the RMSD of the Kabsch-Umeyama
    alignment of the models' 3 basis coordinates to the original top-3 coordinates, the
    explained pairwise distances of the basis (3 dims; top 2 as a diagnostic) and of the
    original top-3 and top-``k_original`` dims, their difference ``epd_gap`` (basis - top-k),
    the kept models' progress range, the effective sample size of each averaged point P_s
    ((sum w)^2 / sum w^2 of its Gaussian weights) and the basis eigenvalues.
    """
    keep = np.ones(len(probs), dtype=bool) if keep is None else np.asarray(keep, dtype=bool)
    probs, s_models, D = probs[keep], np.asarray(s_models)[keep], D[np.ix_(keep, keep)]
    original = metrics.inpca(D, n_components=k_original)
    basis, coords = metrics.four_point_basis(probs, labels, s_models, s1=s1, s2=1 - s1, sigma=sigma)
    aligned, rmsd = metrics.kabsch_umeyama(coords[:, :3], original.coords[:, :3])
    epd = lambda X, sig: metrics.explained_pairwise_distance(D, X, sig)  # noqa: E731

    def ess(s):
        w = np.exp(-((s_models - s) ** 2) / (2 * sigma ** 2))
        return float(w.sum() ** 2 / (w ** 2).sum()) if w.sum() > 0 else 0.0

    out = dict(rmsd=rmsd, aligned=aligned, original=original, basis=basis, kept=int(keep.sum()),
               epd_basis=epd(coords[:, :3], basis.signature[:3]), epd_basis2=epd(coords[:, :2], basis.signature[:2]),
               epd_top3=epd(original.coords[:, :3], original.signature[:3]),
               epd_topk=epd(original.coords, original.signature),
               progress_range=(float(s_models.min()), float(s_models.max())),
               ess={s1: ess(s1), 1 - s1: ess(1 - s1)}, eigenvalues=basis.eigenvalues)
    out["epd_gap"] = out["epd_basis"] - out["epd_topk"]
    return out


def joint_embedding_epd(train_probs: np.ndarray, test_probs: np.ndarray, k: int = 10):
    """Test models placed in the train InPCA (eq. 2.3.1) against an independent test InPCA.

    Returns (explained pairwise distance of the projected test models, that of the test
    embedding, projected coordinates, train embedding), top ``k`` dims each (Fig. 2.5a).
    """
    D_train = metrics.pairwise_bhattacharyya(train_probs)
    D_test = metrics.pairwise_bhattacharyya(test_probs)
    train_emb = metrics.inpca(D_train, n_components=k)
    projected = train_emb.transform(D_test)
    test_emb = metrics.inpca(D_test, n_components=k)
    return (metrics.explained_pairwise_distance(D_test, projected, train_emb.signature),
            metrics.explained_pairwise_distance(D_test, test_emb.coords, test_emb.signature),
            projected, train_emb)


def centroid_errors(trajectories: list[Trajectory], split: str = "test"):
    """Error of each centroid of the seeds (Table 2.3) at every checkpoint (runs share steps).

    Returns a DataFrame with columns step, epoch, kind, error.
    """
    import pandas as pd

    stack = np.stack([t.probs[split] for t in trajectories]).astype(np.float64)  # (K, T, N, C)
    stack /= stack.sum(axis=-1, keepdims=True)
    labels = trajectories[0].labels[split]
    rows = []
    for k_t, (step, epoch) in enumerate(zip(trajectories[0].steps, trajectories[0].epochs)):
        for kind in metrics.CENTROIDS:
            avg = metrics.centroid(stack[:, k_t], kind)
            rows.append(dict(step=int(step), epoch=float(epoch), kind=kind,
                             error=float((avg.argmax(-1) != labels).mean())))
    return pd.DataFrame(rows)


def weight_pca_explained(weights: np.ndarray, k: int = 2) -> np.ndarray:
    """Share of variance in the top ``k`` principal components of the first j final weight
    vectors, for j = 3 .. len(weights) (weight-space PCA across seeds)."""
    return np.array([_top_share(weights[:j], k) for j in range(3, len(weights) + 1)])


def _top_share(weights: np.ndarray, k: int) -> float:
    """Share of variance in the top ``k`` principal components of the rows of ``weights``."""
    s = np.linalg.svd(weights - weights.mean(axis=0), compute_uv=False) ** 2
    return float(s[:k].sum() / s.sum())


def tube_against_nearest(tube: list[Trajectory], others: list[Trajectory], *, window=None, num_points: int = 50,
                         split: str = "train") -> dict:
    """Tube width against the nearest other configuration (A9), with its no-effect value.

    ``within``: median d_traj between seeds of the tube's configuration; ``nearest``: the
    smallest, over the configurations of ``others`` (same architecture, other settings; runs
    of the tube's own configuration are left out), of the median d_traj from the tube's seeds
    to that configuration's runs; ``ratio = within / nearest``. The null splits the seeds into
    two halves and treats one half as the "other configuration", whose ratio is about 1 when
    seeds are exchangeable. All d_traj over ``window`` (default: the progress window that every
    one of these runs covers, :func:`netsim.metrics.common_window`).
    """
    key = lambda t: json.dumps({k: v for k, v in t.config.key_dict().items() if k != "seed"}, sort_keys=True, default=str)  # noqa: E731
    own = key(tube[0])
    others = [t for t in others if key(t) != own]
    if len(tube) < 4 or not others:
        raise ValueError("need at least 4 tube seeds and one other configuration")
    runs = [*tube, *others]
    probs, labels = [t.probs[split] for t in runs], tube[0].labels[split]
    if window is None:
        window = metrics.common_window(metrics.progress_ranges(probs, labels))
    D = metrics.pairwise_trajectory_distance(probs, labels, num_points=num_points, window=window)
    k = len(tube)
    within = float(np.median(D[:k, :k][np.triu_indices(k, 1)]))
    groups: dict = {}
    for j, t in enumerate(others, start=k):
        groups.setdefault(key(t), []).append(j)
    nearest = min(float(np.median(D[:k, idx])) for idx in groups.values())
    half = k // 2
    null_within = float(np.median(np.r_[D[:half, :half][np.triu_indices(half, 1)],
                                        D[half:k, half:k][np.triu_indices(k - half, 1)]]))
    null_ratio = null_within / float(np.median(D[:half, half:k]))
    return dict(within=within, nearest=nearest, ratio=within / nearest, null_ratio=null_ratio,
                configurations=len(groups), window=tuple(window), D=D, k=k,
                groups=[np.asarray(g) for g in groups.values()])


def explained_variance(D_sq: np.ndarray, eigenvalues, k: int) -> float:
    """Share of the total variance in the top ``k`` eigenvalues of the classical-MDS embedding of
    squared Euclidean distances ``D_sq`` (n, n): total = sum_ij D_ij / (2 n) = trace of the
    double-centred matrix."""
    D_sq = np.asarray(D_sq, dtype=float)
    return float(np.sum(np.sort(np.asarray(eigenvalues))[::-1][:k]) / (D_sq.sum() / (2 * len(D_sq))))


def late_spread_ratio(D_a: np.ndarray, D_b: np.ndarray, late) -> float:
    """(mean of ``D_a`` among the ``late`` models / mean of ``D_a`` over all pairs) divided by the
    same for ``D_b``: below 1 when ``D_a`` crowds the late models together more than ``D_b``."""
    late = np.asarray(late, dtype=bool)
    if late.sum() < 2:
        raise ValueError("late must select at least 2 models")
    iu = np.triu_indices(len(D_a), 1)
    li = np.triu_indices(int(late.sum()), 1)

    def spread(D):
        return D[np.ix_(late, late)][li].mean() / D[iu].mean()

    return float(spread(np.asarray(D_a)) / spread(np.asarray(D_b)))


def rejoin_ratio(follow: list[Trajectory], normal: list[Trajectory], split: str = "train") -> dict:
    """Mean d_B between the predictions of runs started from corners (``follow``) and of normal
    runs, at the last checkpoint over the same at the first (A16: below 1 when they rejoin), and
    the normal runs' own final spread for scale."""
    def mean_between(a, b, at):
        return float(np.mean([metrics.bhattacharyya(x.probs[split][at], y.probs[split][at]) for x in a for y in b]))

    start, end = mean_between(follow, normal, 0), mean_between(follow, normal, -1)
    spread = float(np.mean([metrics.bhattacharyya(x.probs[split][-1], y.probs[split][-1])
                            for i, x in enumerate(normal) for y in normal[i + 1:]])) if len(normal) > 1 else float("nan")
    return dict(start=start, end=end, ratio=end / start, normal_spread=spread)


def weight_share_excess(weights: np.ndarray, k: int = 2, *, draws: int = 200, seed: int = 0):
    """Top-``k`` PCA variance share of the final weights of K seeds, minus its value for K
    isotropic Gaussian vectors of the same dimension (A20's no-effect value).

    Returns (excess Estimate whose interval is the measured share minus the isotropic
    null's 5-95% range, the isotropic shares (draws,))."""
    from netsim.claims import Estimate

    weights = np.asarray(weights, dtype=np.float64)
    measured = _top_share(weights, k)
    rng = np.random.default_rng(seed)  # only the full set of K vectors is compared: one SVD per draw
    iso = np.array([_top_share(rng.normal(size=weights.shape), k) for _ in range(draws)])
    lo, hi = np.quantile(iso, [0.05, 0.95])
    return Estimate(float(measured - iso.mean()), float(measured - hi), float(measured - lo),
                    f"minus the 5-95% range of {draws} isotropic draws"), iso


def augmentation_tube_effect(plain: list[Trajectory], augmented: list[Trajectory], split: str = "train", *,
                             late: float = 1 / 3, num_points: int = 50) -> dict:
    """Tube widths of one configuration without and with augmentation (Fig. 2.15).

    Each tube's widths come from :func:`netsim.metrics.tube_widths`. The two tubes are
    compared on the progress range both cover: ``late`` is the top fraction of that shared
    range ("large values of progress"), ``early`` the bottom fraction of the same size.

    Parameters
    ----------
    plain, augmented : trajectories of the seeds without / with augmentation (same samples).
    split : evaluation split.
    late : fraction of the shared progress range that counts as late (and as early).
    num_points : progress grid size.

    Returns
    -------
    dict with ``grid_plain`` (G1,), ``widths_plain`` (K1, G1), ``grid_augmented`` (G2,),
    ``widths_augmented`` (K2, G2), ``range`` (lo, hi) shared progress range, the masks
    ``late_mask_plain`` (G1,), ``late_mask_augmented`` (G2,) (and ``early_mask_*``), the medians
    ``late_plain``, ``late_augmented``, ``early_plain``, ``early_augmented``, and the ratios
    ``late_ratio`` = late_augmented / late_plain and ``early_ratio`` (NaN when the shared range
    is empty).
    """
    labels = plain[0].labels[split]
    g_p, w_p = metrics.tube_widths([t.probs[split] for t in plain], labels, num_points=num_points)
    g_a, w_a = metrics.tube_widths([t.probs[split] for t in augmented], labels, num_points=num_points)
    lo, hi = max(g_p.min(), g_a.min()), min(g_p.max(), g_a.max())
    out = dict(grid_plain=g_p, widths_plain=w_p, grid_augmented=g_a, widths_augmented=w_a, range=(lo, hi))
    for phase, (a, b) in (("late", (hi - late * (hi - lo), hi)), ("early", (lo, lo + late * (hi - lo)))):
        for name, g, w in (("plain", g_p, w_p), ("augmented", g_a, w_a)):
            keep = (g >= a - 1e-12) & (g <= b + 1e-12)
            out[f"{phase}_mask_{name}"] = keep
            out[f"{phase}_{name}"] = float(np.median(w[:, keep])) if hi > lo and keep.any() else float("nan")
        out[f"{phase}_ratio"] = out[f"{phase}_augmented"] / out[f"{phase}_plain"]
    return out


def _corner_of(trajectories: list[Trajectory]) -> np.ndarray:
    return np.array([t.config.init_offset[0] for t in trajectories])


def corner_embedding_stress(trajectories: list[Trajectory], corner_counts=(1, 2, 3), *, k: int = 3,
                            split: str = "train") -> dict[int, float]:
    """Top-``k`` explained stress of InPCA of all checkpoints of a fixed number of trajectories
    drawn from 1, 2, ... corners in equal shares (Figs. 2.27a,b).

    With ``n_max`` the largest usable count and ``size`` the smallest corner group, the number
    of trajectories is ``total = (size // n_max) * n_max``; with ``n`` corners the first
    ``total // n`` runs of each of the first ``n`` corners are used (so ``n * (total // n)``
    trajectories, ``total`` whenever ``n`` divides it).

    Parameters
    ----------
    trajectories : runs with ``config.init_offset`` set (the corner is its seed), same samples.
    corner_counts : numbers of corners to try (those above the number of corners are skipped).
    k : number of InPCA dimensions whose explained stress is reported.
    split : evaluation split.

    Returns
    -------
    dict n_corners -> top-``k`` explained stress of the (n * (total // n) * T) models.
    """
    corner = _corner_of(trajectories)
    corners = np.unique(corner)
    size = min((corner == c).sum() for c in corners)
    counts = [n for n in corner_counts if n <= min(len(corners), size)]
    if not counts:
        raise ValueError("no usable number of corners")
    total = (size // max(counts)) * max(counts)
    out = {}
    for n in counts:
        chosen = [t for c in corners[:n] for t in [t for t, cc in zip(trajectories, corner) if cc == c][:total // n]]
        probs = np.concatenate([t.probs[split] for t in chosen]).astype(np.float64)
        out[n] = metrics.inpca(metrics.pairwise_bhattacharyya(probs), n_components=k).explained_stress(k)
    return out


def corner_convergence(trajectories: list[Trajectory], split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """How fast runs from different corners come together (Fig. 2.27c): at every checkpoint the
    mean Bhattacharyya distance between runs that start at different corners, divided by its
    value at step 0 (runs must share their checkpoint steps).

    Returns
    -------
    fraction : (T,) checkpoint step / last step.
    ratio : (T,) between-corner mean distance relative to step 0 (1 at step 0).
    """
    corner = _corner_of(trajectories)
    different = corner[:, None] != corner[None, :]
    if not different.any():
        raise ValueError("all runs start at the same corner")
    steps = trajectories[0].steps
    stack = np.stack([t.probs[split] for t in trajectories]).astype(np.float64)  # (K, T, N, C)
    between = np.array([metrics.pairwise_bhattacharyya(stack[:, i])[different].mean() for i in range(len(steps))])
    return steps / steps[-1], between / between[0]


def slice_stress(trajectories: list[Trajectory], index: int, *, k: int = 3, split: str = "train") -> tuple[float, np.ndarray]:
    """Top-``k`` explained stress and spectrum of InPCA of one checkpoint slice: the models of all
    ``trajectories`` at checkpoint ``index``, identical models counted once (Fig. 2.28).

    Returns
    -------
    stress : float
    eigenvalues : (m,) InPCA eigenvalues, sorted by magnitude, m distinct models.
    """
    probs = np.stack([t.probs[split][index] for t in trajectories]).astype(np.float64)
    probs = np.unique(probs, axis=0)
    emb = metrics.inpca(metrics.pairwise_bhattacharyya(probs))
    return emb.explained_stress(min(k, len(probs))), emb.eigenvalues


def off_manifold_fraction(d_truth: np.ndarray, groups, threshold: float = 2.0):
    """Share of models with ``d_B(P, P_*) > threshold``, i.e. away from the main manifold
    (Figs. 2.2-2.3), per group.

    Parameters
    ----------
    d_truth : (m,) Bhattacharyya distance of each model to the truth.
    groups : (m,) group labels (architecture, epoch bin, ...).

    Returns
    -------
    Series indexed by group: the fraction of its models beyond ``threshold``.
    """
    import pandas as pd

    return pd.Series(np.asarray(d_truth) > threshold).groupby(np.asarray(groups)).mean()


def off_manifold_composition(d_truth: np.ndarray, groups, threshold: float = 2.0):
    """Composition of the models away from the main manifold, P(group | d_B(P, P_*) > threshold):
    the quantity of the thesis's "35% of the off-manifold models are ..." (Figs. 2.2-2.3).

    Returns a Series indexed by group summing to 1 (empty when no model is off the manifold)."""
    import pandas as pd

    off = np.asarray(d_truth) > threshold
    return pd.Series(np.asarray(groups)[off]).value_counts(normalize=True).sort_index()


def config_permanova(D_config: np.ndarray, table, *, permutations: int = 999, seed: int = 0):
    """PERMANOVA (:func:`netsim.permutation.permanova`) of each factor of ``table`` (one row per
    configuration) on the seed-averaged d_traj; the optimiser and the other factors are permuted
    within architectures. Returns a DataFrame (factor -> pseudo_F, p_value, permutations)."""
    import pandas as pd

    from netsim.permutation import permanova

    D = np.where(np.eye(len(D_config), dtype=bool), 0.0, (D_config + D_config.T) / 2)
    rows = {}
    for f in FACTORS:
        levels = table[f].to_numpy()
        if len(np.unique(levels)) < 2:
            continue
        strata = None if f == "model" else table["model"].to_numpy()
        res = permanova(D, levels, strata=strata, permutations=permutations, seed=seed)
        rows[f] = dict(pseudo_F=res.statistic, p_value=res.p_value, permutations=permutations,
                       exceed=int(np.sum(res.null >= res.statistic)),
                       within="all configurations" if strata is None else "architectures")
    return pd.DataFrame(rows).T


def permanova_f_ratio(D_config: np.ndarray, table, a: str = "model", b: str = "optimizer", *,
                      n_resamples: int = 200, seed: int = 0):
    """Pseudo-F of factor ``a`` over that of factor ``b`` on the configurations' distances, with a
    bootstrap over configurations (a resampled configuration keeps its levels; copies are at
    distance 0). Returns an Estimate."""
    from netsim.permutation import _pseudo_f
    from netsim.uncertainty import bootstrap

    D = np.where(np.eye(len(D_config), dtype=bool), 0.0, (D_config + D_config.T) / 2)
    sq = D ** 2
    codes = {f: np.unique(table[f].to_numpy(), return_inverse=True)[1] for f in (a, b)}

    def statistic(idx):
        sub = sq[np.ix_(idx, idx)]
        fa, fb = (_pseudo_f(sub, codes[f][idx]) if len(np.unique(codes[f][idx])) > 1 else np.nan for f in (a, b))
        return fa / fb

    point = statistic(np.arange(len(D)))
    return bootstrap(lambda idx: np.nan_to_num(statistic(idx), nan=point, posinf=point), len(D),
                     unit="configurations", n_resamples=n_resamples, seed=seed)


def centroid_difference(trajectories: list[Trajectory], a: str = "harmonic", b: str = "arithmetic", *,
                        split: str = "test", n_resamples: int = 1000, seed: int = 0):
    """err(centroid ``a``) - err(centroid ``b``) of the seeds at the last checkpoint, with a paired
    bootstrap interval over the evaluation samples (:func:`netsim.uncertainty.bootstrap`)."""
    from netsim.uncertainty import bootstrap

    stack = np.stack([t.probs[split][-1] for t in trajectories]).astype(np.float64)  # (K, N, C)
    stack /= stack.sum(axis=-1, keepdims=True)
    labels = trajectories[0].labels[split]
    wrong = {kind: metrics.centroid(stack, kind).argmax(-1) != labels for kind in (a, b)}
    diff = wrong[a].astype(float) - wrong[b].astype(float)
    return bootstrap(lambda idx: diff[idx].mean(), len(diff), unit="test samples", n_resamples=n_resamples,
                     seed=seed)


def confident_model_progress(error_fraction: float, num_classes: int = 10, n: int = 1000,
                             seed: int = 0) -> float:
    """Progress of a fully confident model that is wrong on ``error_fraction`` of n samples
    (Remark 2.2.1)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, n)
    predicted = labels.copy()
    wrong = rng.permutation(n)[: int(round(error_fraction * n))]
    predicted[wrong] = (labels[wrong] + 1) % num_classes
    return metrics.progress(metrics.truth(predicted, num_classes), labels)


def declare_claims() -> ClaimRegistry:
    """The chapter's strict registry: claims and checks A1-A21 of :mod:`.claims`."""
    return ClaimRegistry("training_manifold", DECLARATIONS, strict=True)


def thesis_bound(num_classes: int = 10) -> float:
    """The thesis' sufficient condition of Remark 2.2.1, 1 - 1/sqrt(C)."""
    return 1.0 - 1.0 / math.sqrt(num_classes)


def evidence_summary(registry: ClaimRegistry) -> str:
    """The chapter's closing summary, computed from ``registry``'s results: claims grouped by
    verdict, each with its statement, the verdict's reason and the recorded null (markdown)."""
    order = ("reproduced", "partly", "inconclusive", "not reproduced", "not tested")
    rows = [r for r in registry.rows() if r["kind"] == "claim" and "/" not in r["id"]]
    lines = []
    for verdict in order:
        chosen = [r for r in rows if r["verdict"] == verdict]
        if not chosen:
            continue
        lines.append(f"**{verdict.capitalize()}** ({len(chosen)} of {len(rows)}):\n")
        for r in chosen:
            lines.append(f"- **{r['id']}** {r['statement']}. {r['reason']}.")
        lines.append("")
    on_null = [r["id"] for r in rows if r["verdict"] == "inconclusive" and "passes on its null" in r["reason"]]
    if on_null:
        lines.append(f"Inconclusive because a null passes the same test: {', '.join(on_null)}. The analog cannot "
                     "tell these claims from their nulls; that does not contradict them.")
    return "\n".join(lines)
