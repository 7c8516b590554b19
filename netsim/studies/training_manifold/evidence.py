"""Intervals and nulls of chapter 04's claims (the claims protocol, issue 13).

Every function here turns a measurement of :mod:`netsim.studies.training_manifold` into an
:class:`netsim.claims.Estimate` (a point value with an interval) or computes its null, the
same measurement where the effect is absent by construction:

* clouds of checkpoints are resampled by **run** (a run's checkpoints are not independent);
* the null of a "low-dimensional" claim is the **shuffled cloud**: each sample's predictions
  permuted across the models independently per sample (:func:`shuffle_models_per_sample`);
* paired comparisons of configurations use **sign-flip** p-values
  (:func:`netsim.permutation.sign_flip_test`), whose permutation distribution is the null.
"""
from __future__ import annotations

import numpy as np

from netsim import metrics
from netsim.claims import Estimate
from netsim.studies.tour import r_squared
from netsim.uncertainty import bootstrap, null_range

__all__ = [
    "shuffle_models_per_sample", "run_points", "embedding_bootstrap", "paired_stress_difference",
    "shuffled_embedding_null",
    "first_negative_rank", "start_distance", "progress_fit", "geodesic_bulge", "split_ratio", "scale_comparison",
    "subset_epd_runs", "four_point_bootstrap", "joint_epd", "joint_epd_bootstrap", "rejoin_bootstrap",
    "geodesic_closeness", "distortion_bootstrap", "slice_bootstrap", "tube_bootstrap",
    "augmentation_bootstrap", "tube_claim",
]


# ---------------------------------------------------------------------------------------------
# clouds: run bootstrap and the shuffled-cloud null
# ---------------------------------------------------------------------------------------------
def shuffle_models_per_sample(probs: np.ndarray, seed: int = 0) -> np.ndarray:
    """Permute the models' predictions independently for every sample.

    Parameters
    ----------
    probs : (m, N, C) predictions of m models on N samples.
    seed : random seed.

    Returns
    -------
    (m, N, C): column n is ``probs[pi_n, n]`` for a random permutation ``pi_n`` of the models.
    Each sample keeps its set of predictions; a "model" is no longer one network.
    """
    probs = np.asarray(probs)
    if probs.ndim != 3:
        raise ValueError(f"probs must have shape (m, N, C), got {probs.shape}")
    m, n = probs.shape[:2]
    order = np.argsort(np.random.default_rng(seed).random((n, m)), axis=1).T  # (m, N)
    return probs[order, np.arange(n)[None, :]]


def run_points(run_of_point) -> list[np.ndarray]:
    """Indices of the points of each run, in run order: ``run_points(table["run"])[r]``."""
    run_of_point = np.asarray(run_of_point)
    return [np.flatnonzero(run_of_point == r) for r in np.unique(run_of_point)]


def _per_sample_bhattacharyya(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """d_B per sample (..., N), with the coefficient clamp of :func:`netsim.metrics.bhattacharyya`."""
    from netsim.metrics.predictions import BC_FLOOR, _coefficients

    return -np.log(np.maximum(_coefficients(p, q), BC_FLOOR))


def first_negative_rank(eigenvalues, top: int = 10) -> int:
    """1-based rank of the first negative eigenvalue among the ``top`` largest by magnitude
    (``top + 1`` when none is negative)."""
    ev = np.asarray(eigenvalues, dtype=float)
    ev = ev[np.argsort(-np.abs(ev), kind="stable")][:top]
    negative = np.flatnonzero(ev < 0)
    return int(negative[0] + 1) if len(negative) else top + 1


def _embedding_stats(D: np.ndarray, ks, *, euclidean: bool = False) -> list[float]:
    """Top-k explained stress of the InPCA of D (or, for squared Euclidean D, top-k explained
    variance of classical MDS) for each k, then the rank of the first negative eigenvalue."""
    emb = metrics.inpca(D, n_components=min(10, len(D)))
    if euclidean:
        from netsim.studies.training_manifold import explained_variance

        stats = [explained_variance(D, emb.eigenvalues, k) for k in ks]
    else:
        stats = [emb.explained_stress(k) for k in ks]
    return stats + [float(first_negative_rank(emb.eigenvalues))]


def embedding_bootstrap(D: np.ndarray, runs: list[np.ndarray], *, ks=(3,), ends: int = 2, euclidean: bool = False,
                        n_resamples: int = 200, seed: int = 0, extra=None) -> dict:
    """Explained stress (or variance) of an embedding, with a bootstrap over runs.

    Parameters
    ----------
    D : (m + ends, m + ends) distances of the checkpoints, the ``ends`` last rows being fixed
        points (P_0, P_*) that every resample keeps.
    runs : point indices of each run (:func:`run_points`).
    ks : numbers of components.
    euclidean : D holds squared Euclidean distances: explained *variance* instead of stress.
    extra : optional ``extra(point_indices) -> list[float]``, more statistics of the same resample.

    Returns
    -------
    dict: ``stress`` {k: Estimate}, ``first_negative`` Estimate, ``extra`` list of Estimates.
    """
    D = np.asarray(D, dtype=float)
    fixed = np.arange(len(D) - ends, len(D))

    def statistic(idx):
        points = np.concatenate([runs[i] for i in idx] + [fixed])
        values = _embedding_stats(D[np.ix_(points, points)], ks, euclidean=euclidean)
        return values + (list(extra(np.concatenate([runs[i] for i in idx]))) if extra else [])

    est = bootstrap(statistic, len(runs), unit="runs", n_resamples=n_resamples, seed=seed)
    return dict(stress=dict(zip(ks, est[:len(ks)])), first_negative=est[len(ks)], extra=est[len(ks) + 1:])


def paired_stress_difference(D_a: np.ndarray, D_b: np.ndarray, runs: list[np.ndarray], *, k: int = 3, ends: int = 2,
                             n_resamples: int = 200, seed: int = 0):
    """Top-``k`` explained stress of cloud B minus that of cloud A, the same runs resampled for
    both (A7: A train, B test predictions of the same checkpoints).

    Returns (difference Estimate, B's stress Estimate).
    """
    fixed = np.arange(len(D_a) - ends, len(D_a))

    def statistic(idx):
        p = np.concatenate([runs[i] for i in idx] + [fixed])
        a, b = (metrics.inpca(M[np.ix_(p, p)], n_components=min(10, len(p))).explained_stress(k) for M in (D_a, D_b))
        return [b - a, b]

    est = bootstrap(statistic, len(runs), unit="runs", n_resamples=n_resamples, seed=seed)
    return est[0], est[1]


def shuffled_embedding_null(probs: np.ndarray, labels: np.ndarray, *, ks=(3,), draws: int = 3, seed: int = 0,
                            euclidean: bool = False) -> dict:
    """The shuffled-cloud null of :func:`embedding_bootstrap`: the same statistics for clouds
    whose predictions are shuffled across models per sample, with P_0 and P_* appended.

    Returns dict: ``stress`` {k: Estimate (mean and 90% range over draws)}, ``first_negative``,
    ``distances`` (the draws' distance matrices, P_0 and P_* last, for other nulls of the same cloud).
    """
    num_classes = probs.shape[-1]
    ends = np.stack([metrics.ignorance(len(labels), num_classes), metrics.truth(labels, num_classes)])
    rows, distances = [], []
    for d in range(draws):
        cloud = np.concatenate([shuffle_models_per_sample(probs, seed + d), ends])
        D = metrics.pairwise_squared_euclidean(cloud) if euclidean else metrics.pairwise_bhattacharyya(cloud)
        rows.append(_embedding_stats(D, ks, euclidean=euclidean))
        distances.append(D)
    rows = np.array(rows)
    return dict(stress={k: null_range(rows[:, i], unit="shuffled clouds") for i, k in enumerate(ks)},
                first_negative=null_range(rows[:, -1], unit="shuffled clouds"), distances=distances)


# ---------------------------------------------------------------------------------------------
# A5, A6: the start and the geodesic
# ---------------------------------------------------------------------------------------------
def start_distance(start_probs: np.ndarray, *, n_resamples: int = 200, seed: int = 0) -> Estimate:
    """Largest d_B(P, P_0) over untrained models, with a bootstrap over evaluation samples.

    Parameters
    ----------
    start_probs : (r, N, C) predictions of r untrained models.
    """
    p = np.asarray(start_probs, dtype=float)
    per_sample = _per_sample_bhattacharyya(p, np.full(p.shape[1:], 1.0 / p.shape[-1]))  # (r, N): d_B to P_0
    return bootstrap(lambda idx: per_sample[:, idx].mean(1).max(), p.shape[1], unit="evaluation samples",
                     n_resamples=n_resamples, seed=seed)


def _bulge(s: np.ndarray, d: np.ndarray, edge: float = 0.1) -> float:
    lo, hi = s.min(), s.max()
    cut_lo, cut_hi = lo + edge * (hi - lo), hi - edge * (hi - lo)
    first, last, middle = d[s <= cut_lo], d[s >= cut_hi], d[(s > cut_lo) & (s < cut_hi)]
    if not (len(first) and len(last) and len(middle)):
        return float("nan")
    return float(middle.mean() / max(first.mean(), last.mean(), 1e-12))


def geodesic_bulge(profiles, *, n_resamples: int = 200, draws: int = 200, seed: int = 0):
    """A6's interior bulge: per run, the mean distance to the geodesic in the middle 80% of the
    progress range it covers over the larger of the means in its first and last 10%; median over
    runs with a bootstrap over runs. Null: each profile's values permuted along progress.

    Parameters
    ----------
    profiles : list of (grid, distance) pairs from :func:`netsim.metrics.distance_to_geodesic`.

    Returns
    -------
    (Estimate, null Estimate)
    """
    profiles = [(np.asarray(s), np.asarray(d)) for s, d in profiles if len(s) >= 10]
    if len(profiles) < 2:
        raise ValueError("need at least 2 runs whose profiles have >= 10 progress points")
    values = np.array([_bulge(s, d) for s, d in profiles])
    values = values[np.isfinite(values)]
    measured = bootstrap(lambda idx: np.median(values[idx]), len(values), unit="runs",
                         n_resamples=n_resamples, seed=seed)
    rng = np.random.default_rng(seed)
    null = [np.nanmedian([_bulge(s, rng.permutation(d)) for s, d in profiles]) for _ in range(draws)]
    return measured, null_range(null, unit="permutations of each profile")


def split_ratio(train_means, test_means, *, n_resamples: int = 200, draws: int = 1000, seed: int = 0):
    """Mean over runs of (mean test distance / mean train distance), with a bootstrap over runs;
    null: the two splits swapped at random per run.

    Parameters
    ----------
    train_means, test_means : (R,) each run's mean distance to the geodesic per split.
    """
    a, b = np.asarray(train_means, dtype=float), np.asarray(test_means, dtype=float)
    ratio = b / a
    measured = bootstrap(lambda idx: ratio[idx].mean(), len(ratio), unit="runs", n_resamples=n_resamples, seed=seed)
    flips = np.random.default_rng(seed).random((draws, len(ratio))) < 0.5
    null = np.where(flips, 1 / ratio, ratio).mean(1)
    return measured, null_range(null, unit="random swaps of the splits")


# ---------------------------------------------------------------------------------------------
# A10: progress and error
# ---------------------------------------------------------------------------------------------
def progress_fit(progress, error, run_of_point, *, n_resamples: int = 200, seed: int = 0):
    """R^2 of error on progress over all checkpoints with a bootstrap over runs, and its null:
    each run's progress paired with another run's error at the same checkpoint index (every
    cyclic shift of the runs; runs of different lengths are paired over their common checkpoints).

    Parameters
    ----------
    progress, error, run_of_point : (m,) per checkpoint.

    Returns
    -------
    (Estimate, null Estimate)
    """
    s, e = np.asarray(progress, dtype=float), np.asarray(error, dtype=float)
    runs = run_points(run_of_point)
    measured = bootstrap(lambda idx: r_squared(*(np.concatenate([v[runs[i]] for i in idx]) for v in (s, e))),
                         len(runs), unit="runs", n_resamples=n_resamples, seed=seed)
    null = []
    for shift in range(1, len(runs)):
        xs, ys = [], []
        for r, a in enumerate(runs):
            b = runs[(r + shift) % len(runs)]
            n = min(len(a), len(b))
            xs.append(s[a[:n]])
            ys.append(e[b[:n]])
        null.append(r_squared(np.concatenate(xs), np.concatenate(ys)))
    return measured, null_range(null, unit="run relabellings")


# ---------------------------------------------------------------------------------------------
# A11: the larger network
# ---------------------------------------------------------------------------------------------
def scale_comparison(small, large, other, second, labels, *, n_resamples: int = 200, seed: int = 0,
                     num_points: int = 50) -> dict:
    """A11 with a bootstrap over evaluation samples.

    Parameters
    ----------
    small, large, other, second : (T, N, C) trajectories of the small network, the large one,
        another architecture with the small one's optimiser, batch and seed, and a second seed
        of the small network (the null of "ahead").
    labels : (N,)

    Returns
    -------
    dict of Estimates: ``ahead`` (share of checkpoints after step 0 where the large network's
    progress is at least the small one's), ``ahead_null`` (the same for ``second`` against
    ``small``), ``same_manifold`` (d_traj(small, large) / d_traj(small, other)).
    """
    labels = np.asarray(labels)

    def statistic(idx):
        P = [np.asarray(t)[:, idx] for t in (small, large, other, second)]
        s = [metrics.progress_many(p, labels[idx]) for p in P]
        n = min(len(s[0]), len(s[1]), len(s[3]))
        ahead = float(np.mean(s[1][1:n] >= s[0][1:n]))
        ahead_null = float(np.mean(s[3][1:n] >= s[0][1:n]))
        d_large = metrics.trajectory_distance(P[0], P[1], labels[idx], num_points=num_points)
        d_other = metrics.trajectory_distance(P[0], P[2], labels[idx], num_points=num_points)
        return [ahead, ahead_null, d_large / d_other]

    est = bootstrap(statistic, len(labels), unit="evaluation samples", n_resamples=n_resamples, seed=seed)
    return dict(zip(("ahead", "ahead_null", "same_manifold"), est))


# ---------------------------------------------------------------------------------------------
# A13-A16: subset, four-point and joint embeddings, corners
# ---------------------------------------------------------------------------------------------
def subset_epd_runs(probs, labels, D, n_samples: int, *, seeds=range(5), shuffle: bool = False, k: int = 10):
    """Explained pairwise distance of the subset embedding (A13) over several random subsets.

    With ``shuffle`` the subset's predictions are shuffled across models per sample before the
    embedding is built (the null: an uninformative basis). Returns an Estimate (mean, min-max).
    """
    from netsim.uncertainty import spread

    values = []
    for s in seeds:
        idx = np.sort(np.random.default_rng(s).choice(len(labels), size=min(n_samples, len(labels)), replace=False))
        sub_probs = probs[:, idx]
        if shuffle:
            sub_probs = shuffle_models_per_sample(sub_probs, seed=1000 + s)
        sub = metrics.inpca(metrics.pairwise_bhattacharyya(sub_probs), n_components=k)
        values.append(metrics.explained_pairwise_distance(D, sub.transform(D), sub.signature))
    return spread(values, unit="random subsets")


def four_point_bootstrap(probs, labels, D, s_models, runs, *, keep, s1: float = 0.2, k_original: int = 8,
                         sigma: float = 0.05, n_resamples: int = 100, draws: int = 10, seed: int = 0):
    """A14's gap (basis - top-k explained pairwise distance) with a bootstrap over runs, and its
    null: the same gap with the models' progress values permuted before the averaging (P_s1 and
    P_s2 then average models at random progress).

    Parameters
    ----------
    probs : (m, N, C); labels : (N,); D : (m, m) distances of the models; s_models : (m,) progress;
    runs : point indices of each run; keep : (m,) bool, the models of the comparison.

    Returns
    -------
    (Estimate, null Estimate)
    """
    keep = np.asarray(keep, dtype=bool)
    s_models = np.asarray(s_models, dtype=float)
    N, C = probs.shape[1:]
    ends = np.stack([metrics.ignorance(N, C), metrics.truth(labels, C)])

    def gap(points, s_values):
        P = probs[points]
        Dp = D[np.ix_(points, points)]
        original = metrics.inpca(Dp, n_components=min(k_original, len(points) - 1))
        basis_points = np.concatenate([ends, [metrics.progress_average(P, s_values, s, sigma=sigma)
                                              for s in (s1, 1 - s1)]])
        basis = metrics.inpca(metrics.pairwise_bhattacharyya(basis_points), n_components=3)
        coords = basis.transform(metrics.pairwise_bhattacharyya(P, Q=basis_points))
        return (metrics.explained_pairwise_distance(Dp, coords[:, :3], basis.signature[:3])
                - metrics.explained_pairwise_distance(Dp, original.coords, original.signature))

    kept_runs = [r[keep[r]] for r in runs]
    kept_runs = [r for r in kept_runs if len(r)]
    measured = bootstrap(lambda idx: gap(np.concatenate([kept_runs[i] for i in idx]),
                                         s_models[np.concatenate([kept_runs[i] for i in idx])]),
                         len(kept_runs), unit="runs", n_resamples=n_resamples, seed=seed)
    points = np.flatnonzero(keep)
    rng = np.random.default_rng(seed)
    null = [gap(points, rng.permutation(s_models[points])) for _ in range(draws)]
    return measured, null_range(null, unit="permutations of the progress values")


def joint_epd(D_train: np.ndarray, D_test: np.ndarray, k: int = 10) -> float:
    """Explained pairwise distance of test models projected into the train InPCA (eq. 2.3.1)
    over that of an InPCA of the test distances themselves (A15), top ``k`` each."""
    train_emb = metrics.inpca(D_train, n_components=k)
    test_emb = metrics.inpca(D_test, n_components=k)
    projected = train_emb.transform(D_test)
    return (metrics.explained_pairwise_distance(D_test, projected, train_emb.signature)
            / metrics.explained_pairwise_distance(D_test, test_emb.coords, test_emb.signature))


def joint_epd_bootstrap(D_train, D_test, runs, *, k: int = 10, n_resamples: int = 200, seed: int = 0) -> Estimate:
    """:func:`joint_epd` with a bootstrap over runs (D_train, D_test: (m, m) models only)."""
    def statistic(idx):
        points = np.concatenate([runs[i] for i in idx])
        return joint_epd(D_train[np.ix_(points, points)], D_test[np.ix_(points, points)], k)

    return bootstrap(statistic, len(runs), unit="runs", n_resamples=n_resamples, seed=seed)


def rejoin_bootstrap(follow, normal, *, split: str = "train", n_resamples: int = 200, seed: int = 0):
    """A16's rejoin ratio (mean corner-to-normal d_B at the last checkpoint / at the first) with a
    bootstrap over evaluation samples, and its null: the corner runs held at their first
    checkpoint (the ratio the normal runs' own movement gives).

    Parameters
    ----------
    follow, normal : lists of :class:`netsim.train.Trajectory` (runs from corners, runs from ignorance).

    Returns
    -------
    (Estimate, null Estimate)
    """
    F = [np.asarray(t.probs[split], dtype=float) for t in follow]
    G = [np.asarray(t.probs[split], dtype=float) for t in normal]
    start = np.mean([_per_sample_bhattacharyya(f[0], g[0]) for f in F for g in G], axis=0)
    end = np.mean([_per_sample_bhattacharyya(f[-1], g[-1]) for f in F for g in G], axis=0)
    held = np.mean([_per_sample_bhattacharyya(f[0], g[-1]) for f in F for g in G], axis=0)
    est = bootstrap(lambda idx: [end[idx].mean() / start[idx].mean(), held[idx].mean() / start[idx].mean()],
                    len(start), unit="evaluation samples", n_resamples=n_resamples, seed=seed)
    return est[0], est[1]


# ---------------------------------------------------------------------------------------------
# A18: distortions of Euclidean PCA
# ---------------------------------------------------------------------------------------------
def geodesic_closeness(D_models: np.ndarray, D_to_geodesic: np.ndarray) -> float:
    """Median over models of the distance to the nearest geodesic point, over the median distance
    between models: how close the geodesic looks to the trajectories in the distance's own scale.

    Parameters
    ----------
    D_models : (m, m); D_to_geodesic : (m, g) distances from each model to g geodesic points.
    """
    iu = np.triu_indices(len(D_models), 1)
    return float(np.median(np.asarray(D_to_geodesic).min(1)) / np.median(np.asarray(D_models)[iu]))


def distortion_bootstrap(D_euc, D_b, G_euc, G_b, late, runs, *, n_resamples: int = 200, seed: int = 0):
    """A18's two ratios (late-model spread and geodesic closeness, Euclidean over Bhattacharyya)
    with a bootstrap over runs.

    Parameters
    ----------
    D_euc, D_b : (m, m) squared Euclidean and Bhattacharyya distances of the models.
    G_euc, G_b : (m, g) the same from each model to the geodesic points.
    late : (m,) bool, models past progress 0.8.
    runs : point indices of each run.

    Returns
    -------
    (late spread Estimate, geodesic closeness Estimate)
    """
    from netsim.studies.training_manifold import late_spread_ratio

    late = np.asarray(late, dtype=bool)

    def statistic(idx):
        p = np.concatenate([runs[i] for i in idx])
        sub = lambda M: M[np.ix_(p, p)]  # noqa: E731
        spread = late_spread_ratio(sub(D_euc), sub(D_b), late[p]) if late[p].sum() >= 2 else np.nan
        close = geodesic_closeness(sub(D_euc), G_euc[p]) / geodesic_closeness(sub(D_b), G_b[p])
        return [spread, close]

    point = statistic(np.arange(len(runs)))
    est = bootstrap(lambda idx: np.nan_to_num(statistic(idx), nan=point[0]), len(runs), unit="runs",
                    n_resamples=n_resamples, seed=seed)
    return est[0], est[1]


# ---------------------------------------------------------------------------------------------
# A19, A9: slices and tubes
# ---------------------------------------------------------------------------------------------
def slice_bootstrap(trajectories, index: int, *, k: int = 3, split: str = "train", n_resamples: int = 200,
                    seed: int = 0) -> Estimate:
    """Top-``k`` explained stress of the models of one slice (checkpoint ``index`` of every run),
    with a bootstrap over the runs (the initialisations)."""
    P = np.stack([np.asarray(t.probs[split][index], dtype=float) for t in trajectories])
    D = metrics.pairwise_bhattacharyya(P)
    return bootstrap(lambda idx: metrics.inpca(D[np.ix_(idx, idx)], n_components=min(10, len(idx))).explained_stress(k),
                     len(P), unit="initialisations", n_resamples=n_resamples, seed=seed)


def tube_bootstrap(D: np.ndarray, k: int, groups: list[np.ndarray], *, n_resamples: int = 200, seed: int = 0) -> Estimate:
    """A9's tube ratio (median d_traj between distinct seeds of the tube / smallest median d_traj
    from the tube's seeds to another configuration) with a bootstrap over the tube's seeds.

    Parameters
    ----------
    D : (k + r, k + r) d_traj, the tube's k seeds first.
    groups : index arrays (into D) of the other configurations' runs.
    """
    def statistic(idx):
        a, b = np.meshgrid(idx, idx, indexing="ij")
        distinct = a[np.triu_indices(len(idx), 1)] != b[np.triu_indices(len(idx), 1)]
        pairs = D[a, b][np.triu_indices(len(idx), 1)][distinct]
        within = np.median(pairs) if len(pairs) else np.nan
        return within / min(np.median(D[np.ix_(idx, g)]) for g in groups)

    point = statistic(np.arange(k))
    return bootstrap(lambda idx: np.nan_to_num(statistic(idx), nan=point), k, unit="tube seeds",
                     n_resamples=n_resamples, seed=seed)


def augmentation_bootstrap(widths_plain: np.ndarray, widths_augmented: np.ndarray, late_plain, late_augmented,
                           *, n_resamples: int = 200, seed: int = 0):
    """A9's augmentation ratio (median late width with / without augmentation) with a bootstrap
    over seeds (both tubes resampled with the same seed indices, the seeds being shared), and the
    split-seed null: the late widths of one half of the plain seeds over the other half's.

    Parameters
    ----------
    widths_plain, widths_augmented : (K, G1), (K, G2) tube widths per seed on each progress grid.
    late_plain, late_augmented : (G1,), (G2,) bool, the late part of each grid.

    Returns
    -------
    (Estimate, null value) -- the null is a single split (first half / second half), a number.
    """
    wp, wa = np.asarray(widths_plain)[:, late_plain], np.asarray(widths_augmented)[:, late_augmented]
    k = min(len(wp), len(wa))
    est = bootstrap(lambda idx: np.median(wa[idx]) / np.median(wp[idx]), k, unit="seeds",
                    n_resamples=n_resamples, seed=seed)
    half = len(wp) // 2
    return est, float(np.median(wp[half:]) / np.median(wp[:half]))


def tube_claim(versus: dict, aug_effect: dict, *, n_resamples: int = 200, seed: int = 0):
    """A9's two parts with their intervals and nulls.

    Parameters
    ----------
    versus : the result of :func:`netsim.studies.training_manifold.tube_against_nearest`.
    aug_effect : architecture -> :func:`netsim.studies.training_manifold.augmentation_tube_effect`;
        the claim uses the architecture with the smaller late-width ratio.

    Returns
    -------
    (measured {part: Estimate}, null {part: value})
    """
    tube_est = tube_bootstrap(versus["D"], versus["k"], versus["groups"], n_resamples=n_resamples, seed=seed)
    e = aug_effect[min(aug_effect, key=lambda m: aug_effect[m]["late_ratio"])]
    aug_est, aug_null = augmentation_bootstrap(e["widths_plain"], e["widths_augmented"], e["late_mask_plain"],
                                               e["late_mask_augmented"], n_resamples=n_resamples, seed=seed)
    parts = ("tube / nearest configuration", "augmentation")
    return dict(zip(parts, (tube_est, aug_est))), dict(zip(parts, (versus["null_ratio"], aug_null)))
