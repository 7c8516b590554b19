"""Statistics of the hierarchy claims B1-B5 of study 5, with intervals and nulls (declared in :mod:`.claims`).

Inputs are *mapped* trajectories: task -> list of (T, N, C) imprinted predictions of each run on the
union task's analysis split (:func:`.imprinting.mapped_trajectory`). Intervals resample runs within
each task; every run is reindexed by progress once (:func:`reindex_tasks`) so that a resample
only averages rows.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.spatial.distance
import scipy.stats

from netsim import metrics
from netsim.claims import Estimate
from netsim.metrics.tasks import normalised_distance, per_class_progress, tube_from_reindexed
from netsim.studies.task_space.design import HIERARCHY_TASKS, tree_distance
from netsim.uncertainty import null_range, percentile_estimates

LEVEL = 0.95
FOUR_WAY = ("round", "angular")


def _null(values, unit: str) -> Estimate | None:
    """:func:`null_range` of the finite values; None when fewer than two are defined."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return null_range(values, unit=unit) if len(values) >= 2 else None


def _finite_mean(values) -> float:
    """Mean of the finite values; NaN (without a warning) when there are none."""
    values = np.asarray(values, dtype=float)
    return float(values[np.isfinite(values)].mean()) if np.isfinite(values).any() else np.nan


def run_bootstrap(statistic, sizes: dict, *, n_resamples: int, seed: int = 0) -> list[Estimate]:
    """``statistic(choice)`` with ``choice``: task -> run indices; resampled within each task.

    The point value uses every run once; the interval is the 95% percentile range.
    """
    full = {task: np.arange(n) for task, n in sizes.items()}
    value = np.atleast_1d(statistic(full))
    rng = np.random.default_rng([seed, 23])
    draws = np.array([np.atleast_1d(statistic({t: rng.integers(0, n, n) for t, n in sizes.items()}))
                      for _ in range(n_resamples)])
    method = f"95% bootstrap over runs within each task ({n_resamples} resamples)"
    defined = np.isfinite(value)  # None for a statistic this run leaves undefined
    estimates = iter(percentile_estimates(value[defined], draws[:, defined], method, level=LEVEL) if defined.any() else ())
    return [next(estimates) if ok else None for ok in defined]


# --------------------------------------------------------------------------- B2, B3: progress
def final_progress(mapped: dict, labels, checkpoint: int = -1) -> dict:
    """task -> (runs,) progress on the union task at ``checkpoint``."""
    return {task: np.array([metrics.progress(m[checkpoint], labels) for m in runs]) for task, runs in mapped.items()}


def claim_b2(mapped, labels, P) -> tuple[dict, dict]:
    """Progress of 4-way subtask models over Union models; Random-4's ratio minus Round/Angular's."""
    names = ("final progress of 4-way subtask models (Round, Angular) / of Union models",
             "Random-4 minus the mean of Round and Angular, same ratio")
    tasks = ("union", "random4") + FOUR_WAY
    sizes = {t: len(mapped[t]) for t in tasks}

    def stats(progress, reference):
        """Ratios of the subtask models' progress (``progress``) to the trained Union models' (``reference``)."""
        def stat(choice):
            union = reference["union"][choice["union"]].mean()
            four = np.mean([progress[t][choice[t]].mean() for t in FOUR_WAY])
            return four / union, progress["random4"][choice["random4"]].mean() / union - four / union
        return stat

    final = final_progress({t: mapped[t] for t in tasks}, labels)
    measured = run_bootstrap(stats(final, final), sizes, n_resamples=P.resamples, seed=P.seed)
    # null: the subtask networks untrained (checkpoint 0) over the *trained* Union models
    start = final_progress({t: mapped[t] for t in tasks}, labels, checkpoint=0)
    first_null = run_bootstrap(stats(start, final), sizes, n_resamples=P.resamples, seed=P.seed)[0]
    second_null = _relabelled(final, "random4", FOUR_WAY, lambda a, b: a.mean() / final["union"].mean()
                              - b.mean() / final["union"].mean(), P)
    return dict(zip(names, measured)), {names[0]: first_null, names[1]: second_null}


def _relabelled(values: dict, task, others, difference, P) -> Estimate:
    """The ``difference(a, b)`` of two families with their runs relabelled at random between them."""
    a, b = values[task], np.concatenate([values[t] for t in others])
    pooled = np.concatenate([a, b])
    rng = np.random.default_rng([P.seed, 29])
    draws = []
    for _ in range(P.null_draws):
        perm = rng.permutation(pooled)
        draws.append(difference(perm[:len(a)], perm[len(a):]))
    return _null(draws, unit="relabellings")


def seen_unseen(mapped, labels, task_classes: dict, num_classes: int) -> dict:
    """task -> (runs, 2): mean final per-class progress on the task's classes and on the others."""
    out = {}
    for task, runs in mapped.items():
        seen = np.isin(np.arange(num_classes), task_classes[task])
        rows = [per_class_progress(m[-1], labels, num_classes) for m in runs]
        out[task] = np.array([[r[seen].mean(), r[~seen].mean()] for r in rows])
    return out


def claim_b3(mapped, labels, task_classes, num_classes, P) -> tuple[dict, dict]:
    """Seen minus unseen per-class progress (4-way subtasks); unseen progress, Random-4 minus Round/Angular."""
    names = ("seen minus unseen per-class progress, 4-way subtask models, final checkpoint",
             "unseen-class progress, Random-4 minus Round and Angular")
    subtasks = FOUR_WAY + ("random4",)
    su = seen_unseen({t: mapped[t] for t in subtasks}, labels, task_classes, num_classes)
    sizes = {t: len(mapped[t]) for t in subtasks}

    def stat(choice):
        gap = np.mean([(su[t][choice[t], 0] - su[t][choice[t], 1]).mean() for t in subtasks])
        unseen = su["random4"][choice["random4"], 1].mean() - np.mean([su[t][choice[t], 1].mean() for t in FOUR_WAY])
        return gap, unseen

    measured = run_bootstrap(stat, sizes, n_resamples=P.resamples, seed=P.seed)
    # null of the first part: Union models (every class seen) split by each subtask's class set
    union_split = {t: seen_unseen({t: mapped["union"]}, labels, {t: task_classes[t]}, num_classes)[t] for t in subtasks}
    first_null = run_bootstrap(lambda c: np.mean([(union_split[t][c["union"], 0] - union_split[t][c["union"], 1]).mean()
                                                  for t in subtasks]),
                               {"union": len(mapped["union"])}, n_resamples=P.resamples, seed=P.seed)[0]
    unseen = {t: su[t][:, 1] for t in subtasks}
    second_null = _relabelled(unseen, "random4", FOUR_WAY, lambda a, b: a.mean() - b.mean(), P)
    return dict(zip(names, measured)), {names[0]: first_null, names[1]: second_null}


# --------------------------------------------------------------------------- B1: the embedding
def claim_b1(mapped, labels, P) -> tuple[Estimate, Estimate]:
    """Top-3 InPCA explained stress of every checkpoint of the hierarchy tasks (+ P_0, P_*), run bootstrap."""
    from netsim.studies.training_manifold.evidence import embedding_bootstrap, shuffled_embedding_null

    clouds = [m for task in HIERARCHY_TASKS for m in mapped[task]]
    probs = np.concatenate(clouds)
    C = probs.shape[-1]
    ends = np.stack([metrics.ignorance(len(labels), C), metrics.truth(labels, C)])
    D = metrics.pairwise_bhattacharyya(np.concatenate([probs, ends]))
    starts = np.cumsum([0] + [len(m) for m in clouds])
    runs = [np.arange(a, b) for a, b in zip(starts[:-1], starts[1:])]
    measured = embedding_bootstrap(D, runs, ks=(3,), n_resamples=P.resamples, seed=P.seed)["stress"][3]
    null = shuffled_embedding_null(probs, labels, ks=(3,), draws=P.embedding_null_draws, seed=P.seed)["stress"][3]
    return measured, null


# --------------------------------------------------------------------------- B4, B5: tubes
def reindex_tasks(mapped, labels, grid) -> dict:
    """task -> (R (K, G, N, C), valid (K, G)): every run reindexed by progress once."""
    return {task: metrics.reindex_many(runs, labels, grid) for task, runs in mapped.items()}


def rho_profile(reindexed, a, b, labels, grid, choice=None) -> np.ndarray:
    """rho(t) of tasks a and b (Remark 3.3.3) for the runs ``choice[task]`` (default all)."""
    def tube_of(task):
        R, valid = reindexed[task]
        idx = np.arange(len(R)) if choice is None else choice[task]
        return tube_from_reindexed(R[idx], valid[idx], grid)
    return normalised_distance(tube_of(a), tube_of(b), labels, grid)


def mean_rho(profile) -> float:
    return float(np.nanmean(profile)) if np.isfinite(profile).any() else np.nan


def task_distance_matrix(reindexed, tasks, labels, grid, choice=None) -> np.ndarray:
    """(k, k) mean rho between the task families (0 on the diagonal)."""
    D = np.zeros((len(tasks), len(tasks)))
    for i, j in itertools.combinations(range(len(tasks)), 2):
        D[i, j] = D[j, i] = mean_rho(rho_profile(reindexed, tasks[i], tasks[j], labels, grid, choice))
    return D


def tree_correlation(D, tasks, tree=tree_distance) -> float:
    """Spearman correlation of the task distances ``D`` (k, k) with the designed tree's path distances.

    A matrix equal to the tree distances gives 1. (The first declaration read a dendrogram's
    cophenetic distances instead; average linkage cannot represent the path metric, and the
    tree itself scored 0.66 there: see the revision of B4.)
    """
    condensed = scipy.spatial.distance.squareform(D, checks=False)
    if not np.isfinite(condensed).all():  # two task families without a common progress range
        return np.nan
    designed = np.array([tree(a, b) for a, b in itertools.combinations(tasks, 2)], dtype=float)
    if np.ptp(designed) == 0 or np.ptp(condensed) == 0:  # e.g. a permuted tree that puts every task at the root
        return np.nan
    return float(scipy.stats.spearmanr(condensed, designed).statistic)


def claim_b4(reindexed, labels, grid, null_tasks, P) -> tuple[dict, dict]:
    """rho(RF, AF) / rho(RF, RO); correlation with the tree's distances; nulls: random pairs, permuted leaves."""
    names = ("mean rho(t): (Round-Filled, Angular-Filled) over (Round-Filled, Round-Outline)",
             "Spearman correlation of the task distances (mean rho) with the designed tree's path distances")
    tasks = HIERARCHY_TASKS
    sizes = {t: len(reindexed[t][0]) for t in tasks}

    def stat(choice):
        ratio = (mean_rho(rho_profile(reindexed, "round_filled", "angular_filled", labels, grid, choice))
                 / mean_rho(rho_profile(reindexed, "round_filled", "round_outline", labels, grid, choice)))
        return ratio, tree_correlation(task_distance_matrix(reindexed, tasks, labels, grid, choice), tasks)

    measured = run_bootstrap(stat, sizes, n_resamples=P.task_resamples, seed=P.seed)
    # null 1: the same ratio among 2-way tasks whose leaf pairs were drawn at random
    ratios = [mean_rho(rho_profile(reindexed, a, c, labels, grid)) / mean_rho(rho_profile(reindexed, a, b, labels, grid))
              for a, b, c in itertools.permutations(null_tasks, 3)]
    # null 2: the tree's leaves permuted (the tasks keep their runs, the designed distances are scrambled)
    D = task_distance_matrix(reindexed, tasks, labels, grid)
    rng = np.random.default_rng([P.seed, 31])
    correlations = [tree_correlation(D, tasks, _permuted_tree(rng)) for _ in range(P.null_draws)]
    return dict(zip(names, measured)), {names[0]: _null(ratios, unit="ordered triples of random-pair tasks"),
                                        names[1]: _null(correlations, unit="leaf permutations")}


def _permuted_tree(rng):
    """tree_distance on a tree whose 8 leaves are shuffled: a task's leaf set is mapped through the shuffle."""
    from netsim.studies.task_space.design import LEAVES, _leaves

    mapping = dict(zip(LEAVES, rng.permutation(LEAVES)))

    def tree(a, b):
        return tree_distance(tuple(mapping[x] for x in _leaves(a)), tuple(mapping[x] for x in _leaves(b)))
    return tree


def early_late(profile, fraction: float = 0.2) -> tuple[float, float]:
    """Mean rho over the first and the last ``fraction`` of the grid points where it is defined."""
    ok = np.flatnonzero(np.isfinite(profile))
    if len(ok) < 2:
        return np.nan, np.nan
    k = max(1, int(round(fraction * len(ok))))
    return float(np.mean(profile[ok[:k]])), float(np.mean(profile[ok[-k:]]))


def claim_b5(reindexed, labels, grid, P) -> tuple[dict, dict]:
    """Mean early rho over pairs of distinct tasks, and late minus early; null: a task's runs split in halves."""
    names = ("mean rho early (first fifth of progress), pairs of distinct tasks",
             "mean rho late minus early, pairs of distinct tasks")
    tasks = HIERARCHY_TASKS
    sizes = {t: len(reindexed[t][0]) for t in tasks}

    def stat(choice):
        pairs = [early_late(rho_profile(reindexed, a, b, labels, grid, choice)) for a, b in itertools.combinations(tasks, 2)]
        early, late = (_finite_mean([p[i] for p in pairs]) for i in (0, 1))
        return early, late - early

    measured = run_bootstrap(stat, sizes, n_resamples=P.task_resamples, seed=P.seed)
    halves = []
    for task in tasks:
        R, valid = reindexed[task]
        k = len(R) // 2
        if k < 2:
            continue  # a half needs two runs for a tube radius
        split = {"first": (R[:k], valid[:k]), "second": (R[k:2 * k], valid[k:2 * k])}
        halves.append(early_late(rho_profile(split, "first", "second", labels, grid)))
    if not halves:
        raise ValueError("claim B5's null needs at least 4 runs per task (two halves of two)")
    early_null = _null([h[0] for h in halves], unit="tasks split in halves")
    diff_null = _null([h[1] - h[0] for h in halves], unit="tasks split in halves")
    return dict(zip(names, measured)), {names[0]: early_null, names[1]: diff_null}
