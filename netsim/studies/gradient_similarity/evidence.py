"""Statistics of claims 3.1-3.6 with their intervals and nulls (declared in :mod:`.claims`).

Models are the units of the seed bootstrap: a resample draws, within each data set, as many
models as it has, with replacement, and every statistic over "pairs of distinct models" skips
the pairs that are one model drawn twice. The relabelling null permutes the models' data-set
labels (group sizes kept): any data-set effect is gone, the similarities themselves are
unchanged.
"""
from __future__ import annotations

import itertools

import numpy as np
import scipy.stats

from netsim.claims import Estimate
from netsim.studies.gradient_similarity.design import ROLES
from netsim.studies.gradient_similarity.representations import Gram, cka, cross_matrix, nbs, similarity_matrix
from netsim.uncertainty import null_range, percentile_estimates, spread

LEVEL = 0.95


# --------------------------------------------------------------------------- resampling
def seed_resample(labels, rng) -> np.ndarray:
    """Indices of a stratified bootstrap resample: within each label, draw its members with replacement."""
    labels = np.asarray(labels)
    idx = np.arange(len(labels))
    return np.concatenate([rng.choice(idx[labels == g], size=(labels == g).sum(), replace=True)
                           for g in dict.fromkeys(labels)])


def seed_bootstrap(statistic, labels, *, n_resamples: int, seed: int = 0, unit: str = "models") -> list[Estimate]:
    """Estimates of ``statistic(idx, labels)`` (a sequence of numbers) with a stratified seed bootstrap.

    The point value is the statistic of all models (``idx = arange(n)``).
    """
    labels = np.asarray(labels)
    value = np.atleast_1d(np.asarray(statistic(np.arange(len(labels)), labels), dtype=float))
    rng = np.random.default_rng([seed, 7])
    draws = np.array([np.atleast_1d(statistic(seed_resample(labels, rng), labels)) for _ in range(n_resamples)])
    return percentile_estimates(value, draws, f"95% bootstrap over {unit} within each data set ({n_resamples} resamples)",
                                level=LEVEL)


def relabel_null(statistic, labels, *, draws: int, seed: int = 0) -> list[Estimate]:
    """The statistic with the data-set labels permuted (group sizes kept): mean and central 90% range."""
    labels = np.asarray(labels)
    rng = np.random.default_rng([seed, 11])
    values = np.array([np.atleast_1d(statistic(np.arange(len(labels)), rng.permutation(labels)))
                       for _ in range(draws)])
    return [null_range(values[:, k], unit="relabellings") for k in range(values.shape[1])]


def pair_mask(idx, labels, a, b) -> np.ndarray:
    """(n, n) mask of the resampled pairs (p, q), p != q as models, with labels a and b."""
    L = np.asarray(labels)[idx]
    distinct = idx[:, None] != idx[None, :]
    return distinct & (L[:, None] == a) & (L[None, :] == b)


def pair_means(S, idx, labels) -> dict:
    """(X, Y) -> mean similarity over the resampled pairs of distinct models of groups X and Y."""
    sub = np.asarray(S)[np.ix_(idx, idx)]
    out = {}
    for a, b in itertools.combinations_with_replacement(ROLES, 2):
        mask = pair_mask(idx, labels, a, b)
        out[a, b] = float(sub[mask].mean()) if mask.any() else np.nan
    return out


# --------------------------------------------------------------------------- 3.1
def orderings(m: dict) -> tuple[float, float, float]:
    """Fig. 1's orderings of one cell from its group means: (i) every data set's within mean above
    each of its cross means, (ii) {A, B} above {A, C} and {B, C}, (iii) {A, C} above {B, C}.

    1.0 where an ordering holds, 0.0 where not, NaN where a mean it needs is undefined (a
    bootstrap resample that drew one model of a data set only has no within pair).
    """
    def g(x, y):
        return m[tuple(sorted((x, y)))]

    def held(condition, *means):
        return np.nan if np.isnan(means).any() else float(condition)

    first = held(all(g(x, x) > g(x, y) for x in ROLES for y in ROLES if y != x), *m.values())
    second = held(g("A", "B") > max(g("A", "C"), g("B", "C")), g("A", "B"), g("A", "C"), g("B", "C"))
    third = held(g("A", "C") > g("B", "C"), g("A", "C"), g("B", "C"))
    return first, second, third


def ordering_shares(cells, idx, labels) -> np.ndarray:
    """(3,) share of the cells (similarity matrices) in which each ordering holds (NaN if undefined)."""
    held = np.array([orderings(pair_means(S, idx, labels)) for S in cells], dtype=float)
    return held.mean(0)


# --------------------------------------------------------------------------- 3.2
def pair_auc(S, idx, labels, keep=None) -> float:
    """P(a same-data-set pair scores above a cross pair), ties 1/2; pairs of distinct models.

    ``keep``: the data sets whose models take part (default all).
    """
    L = np.asarray(labels)[idx]
    sub = np.asarray(S)[np.ix_(idx, idx)]
    upper = np.triu(np.ones_like(sub, dtype=bool), 1) & (idx[:, None] != idx[None, :])
    if keep is not None:
        inside = np.isin(L, keep)
        upper &= inside[:, None] & inside[None, :]
    same = L[:, None] == L[None, :]
    s, c = sub[upper & same], sub[upper & ~same]
    if not len(s) or not len(c):
        return np.nan
    return float((s[:, None] > c[None, :]).mean() + 0.5 * (s[:, None] == c[None, :]).mean())


# --------------------------------------------------------------------------- similarity matrices
def similarity_matrices(sketches, kinds, blocks, nbs_kinds=("hadamard",), progress: bool = True) -> dict:
    """(kind, index, block) -> (n, n) similarity of the models' sketched representations.

    CKA for every kind; NBS (an eigen-decomposition per pair, ~50 ms at M = 512) for ``nbs_kinds``.
    """
    from tqdm.auto import tqdm

    out = {}
    jobs = [(kind, b) for kind in kinds for b in blocks]
    for kind, b in tqdm(jobs, desc="similarity matrices", disable=not progress):
        grams = [Gram(s.reps[b, kind], single=True) for s in sketches]
        for index in ("cka", "nbs") if kind in nbs_kinds else ("cka",):
            out[kind, index, b] = similarity_matrix(grams, index)
    return out


def block_maps(sketches, kind: str = "hadamard") -> np.ndarray:
    """(n, n, B, B) CKA between block i of model p and block j of model q (diagonal p = q included)."""
    n, B = len(sketches), len(sketches[0].blocks)
    grams = [[Gram(s.reps[b, kind]) for b in range(B)] for s in sketches]
    maps = np.zeros((n, n, B, B))
    for p in range(n):
        for q in range(p, n):
            maps[p, q] = cross_matrix(grams[p], grams[q])
            maps[q, p] = maps[p, q].T
    return maps


def mean_map(maps, idx, labels, a, b) -> np.ndarray:
    """(B, B) mean block x block map over the resampled pairs of distinct models of groups a, b."""
    sub = maps[np.ix_(idx, idx)]
    mask = pair_mask(idx, labels, a, b)
    if not mask.any():  # a resample that drew one model of a group only
        return np.full(maps.shape[-2:], np.nan)
    return sub[mask].mean(0)


# --------------------------------------------------------------------------- the claims
def claim_3_1(matrices, labels, P) -> tuple[dict, dict]:
    """Measured and null parts of 3.1: shares of (block, index) cells, Hadamard kernel, M = main."""
    cells = [S for (kind, _, _), S in matrices.items() if kind == "hadamard"]
    names = ("(i) same above cross", "(ii) {A, B} above pairs with C", "(iii) {A, C} above {B, C}")
    stat = lambda idx, lab: ordering_shares(cells, idx, lab)  # noqa: E731
    measured = seed_bootstrap(stat, labels, n_resamples=P.resamples, seed=P.seed)
    null = relabel_null(stat, labels, draws=P.null_draws, seed=P.seed)
    return dict(zip(names, measured)), dict(zip(names, null))


def claim_3_2(hadamard_last, task2vec_sim, fr_norms, labels, P) -> tuple[dict, dict]:
    """AUC(Hadamard CKA, last block) minus AUC(Task2Vec), and minus AUC(-FR distance) on B, C models."""
    fr_sim = -np.abs(np.subtract.outer(fr_norms, fr_norms))

    def stat(idx, lab):
        return (pair_auc(hadamard_last, idx, lab) - pair_auc(task2vec_sim, idx, lab),
                pair_auc(hadamard_last, idx, lab, keep=("B", "C")) - pair_auc(fr_sim, idx, lab, keep=("B", "C")))

    names = ("Task2Vec: AUC(Hadamard) - AUC(Task2Vec), all pairs", "Fisher-Rao: AUC(Hadamard) - AUC(FR), B and C pairs only")
    measured = seed_bootstrap(stat, labels, n_resamples=P.resamples, seed=P.seed)
    null = relabel_null(stat, labels, draws=P.null_draws, seed=P.seed)
    aucs = {"Hadamard CKA (last block)": pair_auc(hadamard_last, np.arange(len(labels)), labels),
            "Task2Vec": pair_auc(task2vec_sim, np.arange(len(labels)), labels),
            "Hadamard CKA, B and C only": pair_auc(hadamard_last, np.arange(len(labels)), labels, keep=("B", "C")),
            "Fisher-Rao, B and C only": pair_auc(fr_sim, np.arange(len(labels)), labels, keep=("B", "C"))}
    return dict(zip(names, measured)), dict(zip(names, null)), aucs


def accuracy_rows(reps, labels, P) -> list[dict]:
    """One row per (data set, block, pair, M, sketch seed): sketched, mismatched-seed and exact CKA."""
    labels = np.asarray(labels)
    m_small, m_main = P.sketch_sizes
    seeds = list(range(P.sketch_seed, P.sketch_seed + P.accuracy_seeds))
    rows = []
    for role in ROLES:
        members = np.flatnonzero(labels == role)
        for b, exact in reps.exact[role].items():
            for (u, i), (v, j) in itertools.combinations(enumerate(members), 2):
                for k, s in enumerate(seeds):
                    other = seeds[(k + 1) % len(seeds)]
                    row = {"data set": role, "block": b, "seed": s, "exact": exact[u, v]}
                    for m in (m_small, m_main):
                        row[m] = cka(Gram(reps.small[i].accuracy[m, s, b]), Gram(reps.small[j].accuracy[m, s, b]))
                    row["mismatched"] = cka(Gram(reps.small[i].accuracy[m_main, s, b]),
                                            Gram(reps.small[j].accuracy[m_main, other, b]))
                    rows.append(row)
    return rows


def claim_3_3(rows, P) -> tuple[dict, dict]:
    """Mean |SCKA - CKA| at the main M and mean |SCKA(small) - SCKA(main)|, each over sketch seeds."""
    import pandas as pd

    m_small, m_main = P.sketch_sizes
    df = pd.DataFrame(rows)
    per_seed = df.assign(err=(df[m_main] - df["exact"]).abs(), mis=(df["mismatched"] - df["exact"]).abs(),
                         diff=(df[m_small] - df[m_main]).abs()).groupby("seed")[["err", "mis", "diff"]].mean()
    unit = "sketch seeds"
    names = ("mean |SCKA - CKA| at M = 512", "mean |SCKA(128) - SCKA(512)|")  # declared names; M from P.sketch_sizes
    measured = {names[0]: spread(per_seed["err"].to_numpy(), unit=unit),
                names[1]: spread(per_seed["diff"].to_numpy(), unit=unit)}
    null = {names[0]: spread(per_seed["mis"].to_numpy(), unit=unit)}
    return measured, null


def claim_3_4(maps, labels, P) -> tuple[dict, dict]:
    """Pearson r of the within-A and within-B block maps; CKA(A, C) / CKA(A, B) at the last blocks."""
    B = maps.shape[-1]

    def pattern(idx, lab):
        a, b = mean_map(maps, idx, lab, "A", "A"), mean_map(maps, idx, lab, "B", "B")
        return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])

    def last(idx, lab):
        return float(mean_map(maps, idx, lab, "A", "C")[-1, -1] / mean_map(maps, idx, lab, "A", "B")[-1, -1])

    names = ("A-B pattern: Pearson r of the within-A and within-B block x block CKA maps",
             "last blocks: CKA(A, C) / CKA(A, B) at the last block pair")
    measured = seed_bootstrap(lambda i, lab: (pattern(i, lab), last(i, lab)), labels,
                              n_resamples=P.resamples, seed=P.seed)
    labels = np.asarray(labels)
    full = np.arange(len(labels))
    A, Bm = mean_map(maps, full, labels, "A", "A"), mean_map(maps, full, labels, "B", "B")
    rng = np.random.default_rng([P.seed, 13])
    perms = [rng.permutation(B) for _ in range(P.null_draws)]
    pattern_null = null_range([np.corrcoef(A.ravel(), Bm[np.ix_(p, p)].ravel())[0, 1] for p in perms],
                              unit="block permutations")
    last_null = relabel_null(last, labels, draws=P.null_draws, seed=P.seed)[0]
    return dict(zip(names, measured)), dict(zip(names, (pattern_null, last_null)))


def claim_3_5(norms, P) -> tuple[dict, dict]:
    """||mu_p|| of A models on C over B; shares of sources whose ratios peak on their own data / on C.

    A *source* is a data set and an architecture, as the panels of Figs. 4 and 6: the small
    ResNets of a data set (their values averaged over seeds) and its deeper ResNet, 6 sources.
    The seed bootstrap resamples the small models of each data set.
    """
    targets = ("A", "A2", "B", "C")
    small = norms[norms.network == "small"]
    deep = norms[norms.network == "deep"]
    pivot = {name: small.pivot_table(index=["source", "model"], columns="target", values=name)[list(targets)]
             for name in ("mu", "ratio_cka", "ratio_nbs")}
    deep_pivot = {name: deep.pivot_table(index="source", columns="target", values=name)[list(targets)].loc[list(ROLES)]
                  for name in ("ratio_cka", "ratio_nbs")}
    labels = np.array([s for s, _ in pivot["mu"].index])
    col = {t: k for k, t in enumerate(targets)}
    three = [col[t] for t in ROLES]
    values = {name: table.to_numpy() for name, table in pivot.items()}
    deep_values = {name: table.to_numpy()[:, three] for name, table in deep_pivot.items()}

    def source_ratios(idx, name):
        """(6, 3) ratio on targets A, B, C: small sources (mean over resampled seeds), then deep ones."""
        lab = labels[idx]
        means = np.array([values[name][idx[lab == role]][:, three].mean(0) for role in ROLES])
        return np.vstack([means, deep_values[name]])

    own = np.array([ROLES.index(r) for r in ROLES] * 2)
    c = ROLES.index("C")

    def mu_ratio(idx, num, den):
        keep = idx[labels[idx] == "A"]
        return float(values["mu"][keep, col[num]].mean() / values["mu"][keep, col[den]].mean())

    def stat(idx, lab):
        return (mu_ratio(idx, "C", "B"), float((source_ratios(idx, "ratio_cka").argmax(1) == own).mean()),
                float((source_ratios(idx, "ratio_nbs").argmax(1) == c).mean()))

    names = ("||mu_p|| of A-models, on C / on B", "share of sources whose ||mu_p|| / ||K||_F is largest on their own data set",
             "share of sources whose ||mu_p|| / sqrt(tr K) is largest on C")
    measured = seed_bootstrap(stat, labels, n_resamples=P.resamples, seed=P.seed)
    full = np.arange(len(labels))
    rc, rn = source_ratios(full, "ratio_cka"), source_ratios(full, "ratio_nbs")
    rng = np.random.default_rng([P.seed, 17])
    draws = np.array([[float((rc.argmax(1) == rng.integers(0, 3, len(rc))).mean()),
                       float((rn.argmax(1) == rng.integers(0, 3, len(rn))).mean())] for _ in range(P.null_draws)])
    first_null = seed_bootstrap(lambda idx, lab: mu_ratio(idx, "A2", "A"), labels, n_resamples=P.resamples,
                                seed=P.seed)[0]
    null = {names[0]: first_null, names[1]: null_range(draws[:, 0], unit="target permutations"),
            names[2]: null_range(draws[:, 1], unit="target permutations")}
    return dict(zip(names, measured)), null


def _spearman(acc) -> float:
    rho = scipy.stats.spearmanr(np.arange(len(acc)), acc).statistic
    return 0.0 if np.isnan(rho) else float(rho)


def krr_statistics(krr, idx_by_task=None, use="correct") -> tuple[float, float, float]:
    """(min over tasks of Spearman rho(accuracy, block), mean last-block KRR - one-epoch, converged - KRR)."""
    rhos, gain, gap = [], [], []
    for task, res in krr.items():
        idx = slice(None) if idx_by_task is None else idx_by_task[task]
        acc = res[use][:, :, idx].mean(axis=(0, 2))
        rhos.append(_spearman(acc))
        gain.append(acc[-1] - res["one_epoch"][:, idx].mean())
        gap.append(res["converged"][:, idx].mean() - acc[-1])
    return min(rhos), float(np.mean(gain)), float(np.mean(gap))


def claim_3_6(krr, P) -> tuple[dict, dict]:
    """Fig. 14's three parts with a bootstrap over test samples; null: KRR on permuted training labels."""
    rng = np.random.default_rng([P.seed, 19])
    sizes = {task: res["correct"].shape[-1] for task, res in krr.items()}
    draws = [{t: rng.integers(0, n, n) for t, n in sizes.items()} for _ in range(P.resamples)]
    names = ("Spearman rho of test accuracy with block index", "last-block KRR minus one-epoch fine-tune accuracy",
             "converged fine-tune minus last-block KRR accuracy")
    method = f"95% bootstrap over test samples ({P.resamples} resamples)"

    def estimates(use):
        return percentile_estimates(krr_statistics(krr, use=use), [krr_statistics(krr, d, use=use) for d in draws],
                                    method, level=LEVEL)

    measured, null = estimates("correct"), estimates("null")
    return dict(zip(names, measured)), {names[0]: null[0], names[1]: null[1]}


def c4_value(sketches, labels, pairs_per_set: int = 3) -> float:
    """Largest CKA(K1, K2) - NBS(K1^2, K2^2) over same-data-set pairs, Hadamard kernel, last block (eq. 14).

    The first ``pairs_per_set`` pairs of each data set (float64 NBS costs ~0.3 s a pair at M = 512).
    """
    labels = np.asarray(labels)
    last = len(sketches[0].blocks) - 1
    worst = -np.inf
    for role in ROLES:
        members = np.flatnonzero(labels == role)
        for i, j in list(itertools.combinations(members, 2))[:pairs_per_set]:
            K1 = sketches[i].reps[last, "hadamard"].astype(np.float64)
            K2 = sketches[j].reps[last, "hadamard"].astype(np.float64)
            worst = max(worst, cka(Gram(K1), Gram(K2)) - nbs(Gram(K1 @ K1), Gram(K2 @ K2)))
    return float(worst)
