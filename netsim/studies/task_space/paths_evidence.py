"""Statistics of the MNIST-1D claims B6-B10 of study 5, with intervals and nulls (declared in :mod:`.claims`).

Inputs are mapped trajectories, family -> list of (T, N, C) imprinted predictions on the 10-way
task's analysis half of the training set (:mod:`.mnist1d`), and the analysis labels. Intervals
resample runs within each family (:func:`.evidence.run_bootstrap`); every family is reindexed by
progress once (:func:`.evidence.reindex_tasks`).
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.stats

from netsim import metrics
from netsim.metrics.tasks import trajectory_length, tube_from_reindexed
from netsim.studies.task_space.evidence import _finite_mean, _null, early_late, mean_rho, rho_profile, run_bootstrap
from netsim.studies.task_space.mnist1d import KWAY




def _spearman(x, y) -> float:
    """Spearman correlation; NaN when either side is constant (undefined)."""
    return float(scipy.stats.spearmanr(x, y).statistic) if np.ptp(x) > 0 and np.ptp(y) > 0 else np.nan


def _relabel_draws(a, b, statistic, P, salt: int, draws: int | None = None) -> list:
    """``statistic(idx_a, idx_b)`` over ``draws`` (default ``P.null_draws``) random relabellings of
    the pooled items of two families."""
    rng = np.random.default_rng([P.seed, salt])
    n = len(a) + len(b)
    return [statistic(*np.split(rng.permutation(n), [len(a)])) for _ in range(draws or P.null_draws)]


# --------------------------------------------------------------------------- B6
def lengths(mapped: dict, families) -> dict:
    """family -> (runs,) Riemann (geodesic) lengths of the mapped trajectories."""
    return {f: np.array([trajectory_length(m) for m in mapped[f]]) for f in families}


def claim_b6(mapped, P) -> tuple[dict, dict, dict]:
    """Riemann length proto-2 / supervised; final d_B to supervised, 5-way / 2-way. Also returns the lengths."""
    names = ("Riemann length, prototypical 2-way / supervised", "final d_B to supervised: 5-way / 2-way")
    families = ("supervised", "proto2", "proto5")
    L = lengths(mapped, families)
    finals = {f: np.stack([m[-1] for m in mapped[f]]) for f in families}
    to_sup = {f: np.array([[metrics.bhattacharyya(x, y) for y in finals["supervised"]] for x in finals[f]])
              for f in ("proto2", "proto5")}  # (runs of f, supervised runs)

    def stat(choice):
        s = choice["supervised"]
        d5 = to_sup["proto5"][np.ix_(choice["proto5"], s)].mean()
        d2 = to_sup["proto2"][np.ix_(choice["proto2"], s)].mean()
        return L["proto2"][choice["proto2"]].mean() / L["supervised"][s].mean(), d5 / d2

    measured = run_bootstrap(stat, {f: len(mapped[f]) for f in families}, n_resamples=P.resamples, seed=P.seed)
    sup = L["supervised"]
    seed_ratios = [sup[i] / sup[j] for i, j in itertools.permutations(range(len(sup)), 2)]
    pooled = np.concatenate([to_sup["proto5"], to_sup["proto2"]])
    relabelled = _relabel_draws(to_sup["proto5"], to_sup["proto2"],
                                lambda a, b: pooled[a].mean() / pooled[b].mean(), P, salt=41)
    nulls = {names[0]: _null(seed_ratios, unit="ordered pairs of supervised seeds"),
             names[1]: _null(relabelled, unit="relabellings")}
    return dict(zip(names, measured)), nulls, L


# --------------------------------------------------------------------------- B7
def _share_decreasing(values) -> float:
    """Share of the consecutive steps of ``values`` (k = 2 -> 5 -> 7) where it decreases."""
    values = np.asarray(values, dtype=float)
    if not np.isfinite(values).all():
        return np.nan
    return float(np.mean(np.diff(values) < 0))


def kway_summaries(reindexed, mapped, labels) -> dict:
    """Per k: the runs' final d_B to truth (runs,) and their reindexed trajectories (R, valid)."""
    truth = metrics.truth(labels, mapped[f"kway{KWAY[0]}"][0].shape[-1])
    out = {}
    for k in KWAY:
        family = f"kway{k}"
        R, valid = reindexed[family]
        out[k] = dict(truth=np.array([metrics.bhattacharyya(m[-1], truth) for m in mapped[family]]),
                      R=R, valid=valid)
    return out


def _mean_radius(R, valid, grid, idx) -> float:
    radius = tube_from_reindexed(R[idx], valid[idx], grid).radius
    return float(np.nanmean(radius)) if np.isfinite(radius).any() else np.nan


def claim_b7(reindexed, mapped, labels, grid, P) -> tuple[dict, dict, dict]:
    """Share of the steps k = 2 -> 5 -> 7 where the mean tube radius and the final d_B to truth decrease."""
    names = ("share of the steps k = 2 -> 5 -> 7 where the mean tube radius decreases",
             "share of the steps where the final d_B to truth decreases")
    s = kway_summaries(reindexed, mapped, labels)

    def stat(choice):
        radii = [_mean_radius(s[k]["R"], s[k]["valid"], grid, choice[k]) for k in KWAY]
        truth = [s[k]["truth"][choice[k]].mean() for k in KWAY]
        return _share_decreasing(radii), _share_decreasing(truth)

    sizes = {k: len(s[k]["truth"]) for k in KWAY}
    measured = run_bootstrap(stat, sizes, n_resamples=P.resamples, seed=P.seed)
    # null: the value of k relabelled at random across the subtask runs (group sizes kept)
    R = np.concatenate([s[k]["R"] for k in KWAY])
    valid = np.concatenate([s[k]["valid"] for k in KWAY])
    truth = np.concatenate([s[k]["truth"] for k in KWAY])
    bounds = np.cumsum([0] + [sizes[k] for k in KWAY])
    rng = np.random.default_rng([P.seed, 43])
    radius_null, truth_null = [], []
    for _ in range(P.null_draws):
        groups = np.split(rng.permutation(len(truth)), bounds[1:-1])
        radius_null.append(_share_decreasing([_mean_radius(R, valid, grid, g) for g in groups]))
        truth_null.append(_share_decreasing([truth[g].mean() for g in groups]))
    profile = dict(radius=[_mean_radius(s[k]["R"], s[k]["valid"], grid, np.arange(sizes[k])) for k in KWAY],
                   truth=[float(s[k]["truth"].mean()) for k in KWAY])
    return (dict(zip(names, measured)),
            {names[0]: _null(radius_null, unit="relabellings of k"), names[1]: _null(truth_null, unit="relabellings of k")},
            profile)


# --------------------------------------------------------------------------- B8
def _halves(n: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every split of runs 0..n-1 into two halves of n // 2 runs, each unordered split once (an odd
    run out is left out): 4 runs give 3 splits, 5 give 15, 6 give 10."""
    k = n // 2
    seen, out = set(), []
    for first in itertools.combinations(range(n), k):
        rest = [i for i in range(n) if i not in first]
        for second in itertools.combinations(rest, k):
            key = frozenset((first, second))
            if key not in seen:
                seen.add(key)
                out.append((np.array(first), np.array(second)))
    return out


def claim_b8(reindexed, labels, grid, P) -> tuple[dict, dict]:
    """rho(SimCLR, supervised) / rho(supervised, k = 2); FixMatch vs supervised: rho early minus late."""
    names = ("mean rho(t), SimCLR (all classes) vs supervised, over mean rho of supervised vs k = 2 subtask runs",
             "FixMatch vs supervised: rho early minus rho late")
    families = ("supervised", "simclr", "kway2", "fixmatch")

    def stat(choice):
        ratio = (mean_rho(rho_profile(reindexed, "simclr", "supervised", labels, grid, choice))
                 / mean_rho(rho_profile(reindexed, "supervised", "kway2", labels, grid, choice)))
        early, late = early_late(rho_profile(reindexed, "fixmatch", "supervised", labels, grid, choice))
        return ratio, early - late

    measured = run_bootstrap(stat, {f: len(reindexed[f][0]) for f in families}, n_resamples=P.task_resamples,
                             seed=P.seed)
    R, valid = reindexed["supervised"]
    below = mean_rho(rho_profile(reindexed, "supervised", "kway2", labels, grid))
    split_ratios = []
    for a, b in _halves(len(R)):
        halves = {"a": (R[a], valid[a]), "b": (R[b], valid[b])}
        split_ratios.append(mean_rho(rho_profile(halves, "a", "b", labels, grid)) / below)
    # second null: FixMatch and supervised runs relabelled between the two families
    F, Fv = reindexed["fixmatch"]
    pooled, pooled_valid = np.concatenate([F, R]), np.concatenate([Fv, valid])

    def relabelled(a, b):
        e, late = early_late(rho_profile({"a": (pooled[a], pooled_valid[a]), "b": (pooled[b], pooled_valid[b])},
                                         "a", "b", labels, grid))
        return e - late
    # each draw builds two tubes: as many draws as the tube statistics' resamples
    draws = _relabel_draws(F, R, relabelled, P, salt=47, draws=P.task_resamples)
    return dict(zip(names, measured)), {names[0]: _null(split_ratios, unit="splits of the supervised seeds"),
                                        names[1]: _null(draws, unit="relabellings")}


# --------------------------------------------------------------------------- B9
def finetune_table(mapped, finetunes, labels) -> dict:
    """Per fine-tune: start epoch, pair, d_B travelled (start to end, 10-way) and progress before / after."""
    rows = {"epoch": [], "pair": [], "travelled": [], "before": [], "after": []}
    for item, m in zip(finetunes, mapped):
        rows["epoch"].append(item["epoch"])
        rows["pair"].append(item["pair"])
        rows["travelled"].append(metrics.bhattacharyya(m[0], m[-1]))
        rows["before"].append(metrics.progress(m[0], labels))
        rows["after"].append(metrics.progress(m[-1], labels))
    return {k: np.asarray(v) if k != "pair" else v for k, v in rows.items()}


def claim_b9(mapped, finetunes, labels, P) -> tuple[dict, dict, dict]:
    """Spearman rho of d_B travelled with the start epoch; progress change of the earliest-start fine-tunes."""
    names = ("Spearman rho of the d_B travelled with the pre-training epoch",
             "10-way progress after minus before, fine-tunes from the earliest checkpoint")
    table = finetune_table(mapped["finetune"], finetunes["finetune"], labels)
    full = finetune_table(mapped["finetune_full"], finetunes["finetune_full"], labels)
    pairs = sorted({tuple(p) for p in table["pair"]})
    groups = {p: np.flatnonzero([tuple(q) == p for q in table["pair"]]) for p in pairs}
    earliest = table["epoch"].min()

    def stat(choice):
        idx = np.concatenate([groups[p][choice[p]] for p in pairs])
        rho = _spearman(table["epoch"][idx], table["travelled"][idx])
        early = idx[table["epoch"][idx] == earliest]
        change = (table["after"][early] - table["before"][early]).mean() if len(early) else np.nan
        return rho, change

    measured = run_bootstrap(stat, {p: len(g) for p, g in groups.items()}, n_resamples=P.resamples, seed=P.seed)
    rng = np.random.default_rng([P.seed, 53])
    permuted = [_spearman(rng.permutation(table["epoch"]), table["travelled"]) for _ in range(P.null_draws)]
    full_change = full["after"] - full["before"]
    nulls = {names[0]: _null(permuted, unit="permutations of the start epochs"),
             names[1]: _null(full_change, unit="10-way fine-tunes of the earliest starts")
             if len(full_change) >= 2 else None}
    return dict(zip(names, measured)), nulls, table


# --------------------------------------------------------------------------- B10
def claim_b10(reindexed, labels, grid, pair_groups, P) -> tuple[dict, dict]:
    """rho among the 2-class SimCLR families over rho to supervised; early rho of 2-class SimCLR vs SimCLR-all.

    ``reindexed`` holds one entry per 2-class SimCLR family (the names in ``pair_groups``) besides
    ``supervised``, ``simclr`` and ``kway2``.
    """
    names = ("mean rho(t) among the 2-class SimCLR families over rho of 2-class SimCLR vs supervised",
             "mean rho early, 2-class SimCLR vs SimCLR-all")
    families = tuple(pair_groups) + ("supervised", "simclr", "kway2")

    def ratio_and_early(tubes, choice, versus_all="simclr"):
        among = _finite_mean([mean_rho(rho_profile(tubes, a, b, labels, grid, choice))
                            for a, b in itertools.combinations(pair_groups, 2)])
        to_sup = _finite_mean([mean_rho(rho_profile(tubes, a, "supervised", labels, grid, choice)) for a in pair_groups])
        early = _finite_mean([early_late(rho_profile(tubes, a, versus_all, labels, grid, choice))[0] for a in pair_groups])
        return among / to_sup, early

    measured = run_bootstrap(lambda c: ratio_and_early(reindexed, c), {f: len(reindexed[f][0]) for f in families},
                             n_resamples=P.task_resamples, seed=P.seed)
    # null 1: the runs of the 2-class families relabelled at random between them (sizes kept)
    R = np.concatenate([reindexed[g][0] for g in pair_groups])
    V = np.concatenate([reindexed[g][1] for g in pair_groups])
    bounds = np.cumsum([0] + [len(reindexed[g][0]) for g in pair_groups])
    rng = np.random.default_rng([P.seed, 59])
    draws = []
    for _ in range(P.task_resamples):  # each draw builds every tube again: the tube statistics' count
        groups = np.split(rng.permutation(len(R)), bounds[1:-1])
        tubes = dict(reindexed)
        tubes.update({g: (R[i], V[i]) for g, i in zip(pair_groups, groups)})
        draws.append(ratio_and_early(tubes, None)[0])
    # null 2: the same early rho against supervised k = 2 runs instead of SimCLR-all (run bootstrap)
    early_kway = run_bootstrap(lambda c: ratio_and_early(reindexed, c, versus_all="kway2")[1],
                               {f: len(reindexed[f][0]) for f in families}, n_resamples=P.task_resamples, seed=P.seed)[0]
    return dict(zip(names, measured)), {names[0]: _null(draws, unit="relabellings"), names[1]: early_kway}
