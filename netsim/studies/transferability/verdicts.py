"""Claims 8.1-8.9 and checks C8.1-C8.2 measured on a :class:`.chapter.Zoo`: (measured, null) pairs.

Each ``claim_8x(zoo, P)`` returns what :meth:`netsim.claims.ClaimRegistry.record` takes: the measured
value (an Estimate, or a mapping of the declared parts) and its null, plus, where the chapter shows
it, the data behind a figure. The tests, thresholds and nulls are those declared in :mod:`.claims`;
``P`` is the chapter's resolved profile (resamples, permutations, clusters, seed).
"""
from __future__ import annotations

import numpy as np

from netsim.claims import Estimate
from netsim.metrics.transfer import attack_similarity
from netsim.studies.transferability import evidence as E
from netsim.studies.transferability.zoo import COMPONENTS, feature_table
from netsim.uncertainty import null_range, percentile_estimates

IMAGES = "attacked test images"
HELD = "held-out test images"


def _estimate(value, draws, unit: str, resamples: int) -> Estimate | None:
    """A percentile-bootstrap Estimate, or ``None`` where the statistic is undefined on the full data."""
    if not np.isfinite(value) or not np.isfinite(np.asarray(draws, float)).any():
        return None
    return percentile_estimates([value], np.asarray(draws, float)[:, None],
                                f"95% bootstrap over the {unit}, {resamples} resamples")[0]


def _estimates(keys, point, draws, method: str) -> dict:
    """Parts ``keys`` -> Estimate (``None`` for a part undefined on the full data)."""
    draws = np.asarray(draws, float).reshape(-1, len(keys))
    return {k: (percentile_estimates([v], draws[:, [n]], method)[0]
                if np.isfinite(v) and np.isfinite(draws[:, n]).any() else None)
            for n, (k, v) in enumerate(zip(keys, point))}


def _null(values, unit: str):
    """The null's mean and central range over its finite draws (``None`` with fewer than 2)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return null_range(values, unit=unit) if len(values) >= 2 else None


def _image_draws(zoo, P) -> tuple[np.ndarray, np.ndarray]:
    """(R, n) bootstrap indices of the attacked and of the held-out images (seeded, shared by every claim)."""
    rng = np.random.default_rng(P["seed"])
    n, h = len(zoo.y_attack), len(zoo.y_held)
    return rng.integers(0, n, (P["bootstrap"], n)), rng.integers(0, h, (P["bootstrap"], h))


def similarity_draws(zoo, P) -> np.ndarray:
    """(R, M, M) similarity matrices on the bootstrap resamples of the attacked images."""
    return E.similarities_on(zoo.record, _image_draws(zoo, P)[0])


# ---------------------------------------------------------------------------------------------
def check_c81(zoo) -> float:
    """Largest violation of the eps ball or the [0, 1] box by any PGD example."""
    return float(np.max(zoo.record["box"]))


def check_c82(zoo) -> float:
    """Largest |s(A, B) - s(B, A)| over the zoo's pairs, each side from ``attack_similarity`` (the
    library's scalar score, an independent path from the chapter's vectorised matrix), and the largest
    difference between the two paths."""
    r = zoo.record
    y, clean, adv = r["y"], r["clean"], r["on_adv"]
    S = E.similarity(r)
    worst = 0.0
    for a in range(len(clean)):
        for b in range(a + 1, len(clean)):
            if not ((clean[a] == y) & (clean[b] == y)).any():
                continue
            ab = attack_similarity(y, clean[a], clean[b], adv[b, a], adv[a, b])
            ba = attack_similarity(y, clean[b], clean[a], adv[a, b], adv[b, a])
            worst = max(worst, abs(ab - ba), abs(ab - S[a, b]))
    return worst


# ---------------------------------------------------------------------------------------------
def claim_81(zoo, P, S_draws=None):
    """Mean s(A, A) over the zoo; null: the same on random-sign perturbations of the attack's size.

    ``S_draws``: the matrices of :func:`similarity_draws` if already computed (the same resamples)."""
    attack, _ = _image_draws(zoo, P)
    S_draws = similarity_draws(zoo, P) if S_draws is None else S_draws
    diag = lambda S: float(np.nanmean(np.diag(S)))  # noqa: E731
    measured = _estimate(diag(E.similarity(zoo.record)), [diag(S) for S in S_draws], IMAGES, P["bootstrap"])
    null = _estimate(E.self_attack_null(zoo.record), [E.self_attack_null(zoo.record, index=i) for i in attack],
                     IMAGES, P["bootstrap"])
    return measured, null


# ---------------------------------------------------------------------------------------------
def _member_features(zoo):
    table = feature_table()
    return table, zoo.architectures


def _importance(S, table, architectures, P, seed):
    X = E.hamming_features(table, architectures, COMPONENTS)
    return E.feature_importance(X, E.off_diagonal(S), stages=P["gbr_stages"], seed=seed)


def claim_82(zoo, P):
    """Ranks of the base architecture and of depthwise/group conv in the permutation importance.

    Interval: bootstrap over zoo members (pairs of a member with its own copy dropped); null: the
    feature table's rows permuted across the architectures (each variant keeps its family's row).
    Returns (measured, null, importance of the full zoo).
    """
    table, architectures = _member_features(zoo)
    S = E.similarity(zoo.record)
    importance = _importance(S, table, architectures, P, P["seed"])
    point = E.importance_ranks(importance, COMPONENTS)
    rng = np.random.default_rng(P["seed"] + 1)
    draws = []
    M = len(architectures)
    for _ in range(P["member_resamples"]):
        idx = rng.integers(0, M, M)
        i, j = np.triu_indices(M, k=1)
        keep = idx[i] != idx[j]
        Sb = S[np.ix_(idx, idx)]
        X = E.hamming_features(table, [architectures[k] for k in idx], COMPONENTS)[keep]
        imp = E.feature_importance(X, E.off_diagonal(Sb)[keep], stages=P["gbr_stages"], seed=P["seed"])
        draws.append(E.importance_ranks(imp, COMPONENTS))
    unit = f"zoo members, {P['member_resamples']} resamples"
    keys = _parts("8.2")
    measured = _estimates(keys, point, draws, f"95% bootstrap over {unit}")
    names = sorted(set(architectures))
    null_draws = []
    for _ in range(P["member_permutations"]):
        perm = rng.permutation(len(names))
        permuted = {names[k]: table[names[perm[k]]] for k in range(len(names))}
        null_draws.append(E.importance_ranks(_importance(S, permuted, architectures, P, P["seed"]), COMPONENTS))
    null_draws = np.array(null_draws)
    null = {k: _null(null_draws[:, n], "feature-table permutations") for n, k in enumerate(keys)}
    return measured, null, importance


def _parts(id):
    from netsim.studies.transferability.claims import DECLARATIONS

    claim = next(d for d in DECLARATIONS if d.id == id)
    return [name for name, _ in claim.test.parts]


# ---------------------------------------------------------------------------------------------
def claim_83(zoo, P):
    """AMI of the spectral clusters with the base architecture; null: base labels permuted across members.

    Returns (measured, null, clusters of the full matrix).
    """
    table = feature_table()
    bases = [table[a]["base_architecture"] for a in zoo.architectures]
    S = E.similarity(zoo.record)
    clusters = E.spectral_clusters(S, P["clusters"], seed=P["seed"])
    point = E.cluster_agreement(clusters, bases)
    attack, _ = _image_draws(zoo, P)
    draws = [E.cluster_agreement(E.spectral_clusters(E.similarity(zoo.record, i), P["clusters"], seed=P["seed"]),
                                 bases) for i in attack[:P["cluster_resamples"]]]
    measured = _estimate(point, draws, IMAGES, P["cluster_resamples"])
    rng = np.random.default_rng(P["seed"] + 2)
    null = _null([E.cluster_agreement(clusters, rng.permutation(bases)) for _ in range(P["permutations"])],
                 "member permutations")
    return measured, null, clusters


# ---------------------------------------------------------------------------------------------
def claim_84(zoo, P, S_draws):
    """Within minus across mean s, and the share of variant architectures whose regime pairs lie between."""
    variants = P["variant_architectures"]
    stat = lambda S, arch: E.within_across(S, arch, zoo.roles, variants)  # noqa: E731
    S = E.similarity(zoo.record)
    full = stat(S, zoo.architectures)
    draws = [stat(Sb, zoo.architectures) for Sb in S_draws]
    keys = _parts("8.4")
    values = [full["difference"], full["between"]]
    est = _estimates(keys, values, [[d["difference"], d["between"]] for d in draws],
                     f"95% bootstrap over the {IMAGES}, {len(S_draws)} resamples")
    rng = np.random.default_rng(P["seed"] + 3)
    null = []
    for _ in range(P["permutations"]):
        perm = rng.permutation(len(zoo.architectures))
        d = stat(S, [zoo.architectures[k] for k in perm])
        null.append([d["difference"], d["between"]])
    null = np.array(null)
    null = {k: _null(null[:, n], "architecture-label permutations") for n, k in enumerate(keys)}
    return est, null, full


# ---------------------------------------------------------------------------------------------
def claim_85(zoo, P, S_draws, clusters):
    """Pearson r of s with 2-ensemble ERR, and Spearman rho of the clusters drawn with N=4 ensemble error.

    Returns (measured, null, pair table, ensemble draws).
    """
    _, held = _image_draws(zoo, P)
    S = E.similarity(zoo.record)
    err = E.pair_err(zoo.held_logits, zoo.y_held)
    r = E.pearson(E.off_diagonal(S), err)
    r_draws = [E.pearson(E.off_diagonal(Sb), E.pair_err(zoo.held_logits, zoo.y_held, h))
               for Sb, h in zip(S_draws, held)]
    seed = P["seed"] + 4
    ens = E.cluster_ensembles(zoo.held_logits, zoo.y_held, clusters, 4, P["ensemble_draws"], seed=seed)
    rho = E.spearman(ens["k"], ens["error"])
    rho_draws = []
    for h in held[:P["cluster_resamples"]]:
        e = E.cluster_ensembles(zoo.held_logits, zoo.y_held, clusters, 4, P["ensemble_draws"], seed=seed, index=h)
        rho_draws.append(E.spearman(e["k"], e["error"]))
    keys = _parts("8.5")
    measured = {keys[0]: _estimate(r, r_draws, f"{IMAGES} and {HELD}", len(S_draws)),
                keys[1]: _estimate(rho, rho_draws, HELD, P["cluster_resamples"])}
    rng = np.random.default_rng(P["seed"] + 5)
    r_null, rho_null = [], []
    M = len(S)
    for n in range(P["permutations"]):
        perm = rng.permutation(M)
        r_null.append(E.pearson(E.off_diagonal(S[np.ix_(perm, perm)]), err))
        if n < P["cluster_resamples"]:
            e = E.cluster_ensembles(zoo.held_logits, zoo.y_held, np.asarray(clusters)[rng.permutation(M)], 4,
                                    P["ensemble_draws"], seed=seed)
            rho_null.append(E.spearman(e["k"], e["error"]))
    null = {keys[0]: _null(r_null, "member permutations"), keys[1]: _null(rho_null, "cluster-label permutations")}
    return measured, null, {"s": E.off_diagonal(S), "err": err}, ens


# ---------------------------------------------------------------------------------------------
def claim_86(zoo, P):
    """Mean ERR of across-architecture pairs minus regime pairs; null: the two groups relabelled."""
    _, held = _image_draws(zoo, P)
    groups = E.pair_groups(zoo.architectures, zoo.roles)
    across, regime = groups["across"], groups["regime"]
    diff = lambda err: E.finite_mean(err[across], np.nan) - E.finite_mean(err[regime], np.nan)  # noqa: E731
    err = E.pair_err(zoo.held_logits, zoo.y_held)
    measured = _estimate(diff(err), [diff(E.pair_err(zoo.held_logits, zoo.y_held, h)) for h in held], HELD,
                         len(held))
    pool = np.flatnonzero(across | regime)
    rng = np.random.default_rng(P["seed"] + 6)
    null = []
    for _ in range(P["permutations"]):
        picked = rng.permutation(pool)
        fake_regime = picked[:regime.sum()]
        fake_across = picked[regime.sum():]
        null.append(E.finite_mean(err[fake_across], np.nan) - E.finite_mean(err[fake_regime], np.nan))
    return measured, _null(null, "relabellings of the pair groups"), err


# ---------------------------------------------------------------------------------------------
def claim_87(zoo, P, student_accuracy):
    """Students distilled from each teacher: rho(accuracy, similarity) for transformer teachers minus
    the others, and |r| of teacher accuracy with student accuracy. Interval: bootstrap over teachers;
    null (first part): teachers relabelled between the groups."""
    table = feature_table()
    S = E.similarity(zoo.record)
    teachers = list(P["teachers"])
    student_family = zoo.index(P["student"])
    sim = np.array([S[zoo.index(t), student_family] for t in teachers])
    teacher_acc = (zoo.held_logits[[zoo.index(t) for t in teachers]].argmax(-1) == zoo.y_held).mean(1)
    transformer = np.array([table[t]["base_architecture"] == "Transformer" for t in teachers])
    acc = np.asarray(student_accuracy, float)

    def stats(idx):
        t, o = idx[transformer[idx]], idx[~transformer[idx]]
        return [E.spearman(acc[t], sim[t]) - E.spearman(acc[o], sim[o]), abs(E.pearson(teacher_acc[idx], acc[idx]))]

    everyone = np.arange(len(teachers))
    point = stats(everyone)
    rng = np.random.default_rng(P["seed"] + 7)
    draws = [stats(rng.integers(0, len(teachers), len(teachers))) for _ in range(P["bootstrap"])]
    keys = _parts("8.7")
    measured = _estimates(keys, point, draws, f"95% bootstrap over the {len(teachers)} teachers, "
                                              f"{P['bootstrap']} resamples")
    null = []
    for _ in range(P["permutations"]):
        fake = rng.permutation(transformer)
        t, o = everyone[fake], everyone[~fake]
        null.append(E.spearman(acc[t], sim[t]) - E.spearman(acc[o], sim[o]))
    table_out = {"teacher": teachers, "similarity": sim, "teacher accuracy": teacher_acc, "student accuracy": acc,
                 "transformer": transformer}
    return measured, {keys[0]: _null(null, "teacher relabellings")}, table_out


# ---------------------------------------------------------------------------------------------
def autoattack_members(zoo, P) -> list[int]:
    """The members attacked with AutoAttack: families evenly spaced over the zoo's family order."""
    families = [k for k, r in enumerate(zoo.runs) if r.role == "family"]
    picks = np.linspace(0, len(families) - 1, P["autoattack_members"]).round().astype(int)
    return [families[p] for p in picks]


def claim_88(zoo, P, aa_record, members):
    """Pearson r of the PGD and AutoAttack similarities over the off-diagonal pairs of ``members``."""
    n = len(aa_record["y"])
    r0 = zoo.record
    pgd_record = {"y": r0["y"][:n], "clean": r0["clean"][members][:, :n],
                  "on_adv": r0["on_adv"][np.ix_(members, members)][..., :n]}
    pair = lambda rec, idx=None: E.off_diagonal(E.similarity(rec, idx))  # noqa: E731
    r = E.pearson(pair(pgd_record), pair(aa_record))
    rng = np.random.default_rng(P["seed"] + 8)
    draws = []
    for _ in range(P["bootstrap"]):
        idx = rng.integers(0, n, n)
        draws.append(E.pearson(pair(pgd_record, idx), pair(aa_record, idx)))
    measured = _estimate(r, draws, f"{n} attacked test images", P["bootstrap"])
    S_aa = E.similarity(aa_record)
    null = []
    for _ in range(P["permutations"]):
        perm = rng.permutation(len(members))
        null.append(E.pearson(pair(pgd_record), E.off_diagonal(S_aa[np.ix_(perm, perm)])))
    return measured, _null(null, "member permutations"), (pair(pgd_record),
                                                                                       pair(aa_record))


# ---------------------------------------------------------------------------------------------
def claim_89(zoo, P):
    """Held-out variants (the within-architecture ones) against the rest of the zoo.

    The zoo without them is clustered (K = ``clusters``); each held-out variant gets its one-sided
    score against every remaining member and is assigned to the cluster with the highest mean score.
    Returns (measured, null, table of the one-sided and two-sided scores).
    """
    held = [k for k, r in enumerate(zoo.runs) if r.role == "within"]
    rest = [k for k in range(len(zoo.runs)) if k not in held]
    attack, _ = _image_draws(zoo, P)

    def stats(index, shuffle=None):
        S = E.similarity(zoo.record, index)
        clusters = E.spectral_clusters(S[np.ix_(rest, rest)], P["clusters"], seed=P["seed"])
        ones, twos, hits = [], [], []
        for v in held:
            one = E.one_sided_scores(zoo.record, v, rest, index=index)
            if shuffle is not None:
                one = one[shuffle]
            ones.append(one)
            twos.append(S[v, rest])
            own = clusters[rest.index(zoo.index(zoo.runs[v].architecture))]
            hits.append(E.assign_cluster(one, clusters) == own)
        return E.pearson(np.concatenate(ones), np.concatenate(twos)), float(np.mean(hits)), ones, twos

    r, share, ones, twos = stats(None)
    draws = [stats(i)[:2] for i in attack[:P["cluster_resamples"]]]
    keys = _parts("8.9")
    measured = _estimates(keys, [r, share], draws, f"95% bootstrap over the {IMAGES}, {P['cluster_resamples']} resamples")
    rng = np.random.default_rng(P["seed"] + 9)
    null = np.array([stats(None, rng.permutation(len(rest)))[:2] for _ in range(P["cluster_resamples"])])
    null = {k: _null(null[:, n], "permutations of the zoo members") for n, k in enumerate(keys)}
    return measured, null, {"one_sided": np.concatenate(ones), "two_sided": np.concatenate(twos)}


# ---------------------------------------------------------------------------------------------
def at_sensitivity_radius(zoo, P, student_accuracy, aa_record=None, aa_members=None) -> dict:
    """The declared repeats ``"8.x@24"`` (:data:`.claims.SENSITIVITY_CLAIMS`) on ``zoo`` attacked at
    the sensitivity radius (:func:`.chapter.attack_at`): the same functions, resamples and nulls.

    Parameters
    ----------
    zoo : Zoo whose ``record`` holds the attacks at the sensitivity radius.
    P : the chapter's resolved profile.
    student_accuracy : (T,) held-out accuracy of the students (claim 8.7; attack-independent).
    aa_record, aa_members : AutoAttack at the same radius and its members (claim 8.8); ``None``: 8.8
        is not measured.

    Returns
    -------
    dict : sensitivity id -> (measured, null); ``(None, None)`` for a claim not measured.
    """
    from netsim.studies.transferability.claims import SENSITIVITY_CLAIMS, sensitivity_id

    S_draws = similarity_draws(zoo, P)
    m83, n83, clusters = claim_83(zoo, P)
    out = {"8.1": claim_81(zoo, P, S_draws), "8.2": claim_82(zoo, P)[:2], "8.3": (m83, n83),
           "8.4": claim_84(zoo, P, S_draws)[:2], "8.5": claim_85(zoo, P, S_draws, clusters)[:2],
           "8.7": claim_87(zoo, P, student_accuracy)[:2], "8.9": claim_89(zoo, P)[:2],
           "8.8": (None, None) if aa_record is None else claim_88(zoo, P, aa_record, aa_members)[:2]}
    return {sensitivity_id(id): out[id] for id in SENSITIVITY_CLAIMS}


def radius_comparison(at_record: dict, at_second: dict, verdict, second_label: str):
    """One row per claim part: the measured value at the radius of record and at the second radius,
    the second radius's null and both verdicts.

    Parameters
    ----------
    at_record : claim id -> measured (Estimate, mapping of parts, or ``None``) at 8/255.
    at_second : sensitivity id -> (measured, null) of :func:`at_sensitivity_radius`.
    verdict : callable, id -> verdict (``ClaimRegistry.verdict``).
    second_label : how the columns name the second radius (``"24/255"``).

    Returns
    -------
    pandas.DataFrame indexed by (claim, statistic).
    """
    import pandas as pd

    from netsim.studies.transferability.claims import sensitivity_id

    show = lambda e: "undefined" if e is None else str(e)  # noqa: E731
    rows = []
    for id, base in at_record.items():
        second, null = at_second[sensitivity_id(id)]
        names = _parts(id) if isinstance(base, dict) or isinstance(second, dict) else [None]
        for name in names:
            pick = lambda v: v.get(name) if isinstance(v, dict) else (None if name else v)  # noqa: E731
            rows.append({"claim": id, "statistic": name or "(single part)", "8/255": show(pick(base)),
                         "8/255 verdict": verdict(id), second_label: show(pick(second)),
                         f"{second_label} null": show(pick(null)),
                         f"{second_label} verdict": verdict(sensitivity_id(id))})
    return pd.DataFrame(rows).set_index(["claim", "statistic"])
