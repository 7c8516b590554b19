"""Study 8's statistics: the similarity matrix and claims 8.1-8.9 from the attack record.

Every function takes arrays (the record of :mod:`.attacks`, held-out logits, the feature table)
and returns plain numbers or arrays; the chapter records them under the declarations of
:mod:`.claims`. Bootstraps resample the attacked images (similarities) or the held-out images
(ensembles) by index, so no attack is repeated.
"""
from __future__ import annotations

import warnings

import numpy as np

from netsim.metrics.transfer import EPS_S

# ---------------------------------------------------------------------------------------------
# The similarity matrix
# ---------------------------------------------------------------------------------------------


def similarity(record: dict, index=None, eps_s: float = EPS_S) -> np.ndarray:
    """The (M, M) matrix of eq. 1 from an attack record, on the images ``index`` (default all).

    ``S[a, b] = log max(eps_s, 100 / (2 |X_ab|) * sum_{X_ab} [b wrong on x_a] + [a wrong on x_b])``,
    ``X_ab`` the images both get right; the diagonal is the log self-attack success rate. Pairs with
    an empty ``X_ab`` are NaN (a bootstrap resample can empty them; :func:`netsim.metrics.transfer.
    similarity_matrix` raises instead).
    """
    y, clean, on_adv = record["y"], record["clean"], record["on_adv"]
    if index is not None:
        y, clean, on_adv = y[index], clean[:, index], on_adv[:, :, index]
    correct = clean == y  # (M, n)
    fooled = (on_adv != y).astype(np.int64)  # (attacker, victim, n)
    mask = correct[:, None, :] & correct[None, :, :]
    counts = mask.sum(-1)
    both = fooled + fooled.transpose(1, 0, 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = 100.0 * (both * mask).sum(-1) / (2 * counts)
        S = np.log(np.maximum(eps_s, percent))
    S[counts == 0] = np.nan
    return (S + S.T) / 2


def similarities_on(record: dict, indices) -> np.ndarray:
    """(R, M, M) similarity matrices on R resamples of the attacked images, ``indices`` (R, n)."""
    return np.stack([similarity(record, idx) for idx in indices])


def bootstrap_similarities(record: dict, resamples: int, seed: int = 0) -> np.ndarray:
    """(R, M, M) similarity matrices on R bootstrap resamples of the attacked images."""
    n = len(record["y"])
    return similarities_on(record, np.random.default_rng(seed).integers(0, n, (resamples, n)))


def self_attack_null(record: dict, eps_s: float = EPS_S, index=None) -> float:
    """Mean over models of log max(eps_s, 100 x share of its correct images that a random-sign
    perturbation of the attack's size makes it get wrong) (claim 8.1's null)."""
    y, clean, rand = record["y"], record["clean"], record["on_random"]
    if index is not None:
        y, clean, rand = y[index], clean[:, index], rand[:, index]
    correct = clean == y
    rates = ((rand != y) & correct).sum(1) / np.maximum(correct.sum(1), 1)
    return float(np.mean(np.log(np.maximum(eps_s, 100 * rates))))


def off_diagonal(S: np.ndarray) -> np.ndarray:
    """The upper-triangle entries ``S[i, j]``, ``i < j`` (pairs in ``np.triu_indices`` order)."""
    i, j = np.triu_indices(len(S), k=1)
    return S[..., i, j]


# ---------------------------------------------------------------------------------------------
# Pair groups (claims 8.4 and 8.6)
# ---------------------------------------------------------------------------------------------


def pair_groups(architectures, roles) -> dict[str, np.ndarray]:
    """Boolean masks over the upper-triangle pairs: ``within``, ``regime`` and ``across``.

    ``within``: same architecture, neither is a regime variant (seeds, hyper-parameters);
    ``regime``: same architecture, at least one is a regime variant; ``across``: different
    architectures (zoo members of different timm families). ``architectures`` and ``roles``
    are per member.
    """
    architectures, roles = np.asarray(architectures), np.asarray(roles)
    i, j = np.triu_indices(len(architectures), k=1)
    same = architectures[i] == architectures[j]
    regime = (roles[i] == "regime") | (roles[j] == "regime")
    return {"within": same & ~regime, "regime": same & regime, "across": ~same}


def within_across(S: np.ndarray, architectures, roles, variant_architectures) -> dict[str, float]:
    """Claim 8.4's statistics from one similarity matrix.

    Returns ``difference`` (mean within minus mean across) and ``between`` (share of the variant
    architectures whose mean regime-pair s lies strictly between the across and the within mean
    of that architecture), plus the means themselves.
    """
    groups = pair_groups(architectures, roles)
    s = off_diagonal(S)
    architectures = np.asarray(architectures)
    i, j = np.triu_indices(len(architectures), k=1)
    nan = float("nan")
    within, across = finite_mean(s[groups["within"]], nan), finite_mean(s[groups["across"]], nan)
    inside = []
    means = {}
    for a in variant_architectures:
        of_a = architectures[i] == a
        w = finite_mean(s[groups["within"] & of_a], nan)
        r = finite_mean(s[groups["regime"] & of_a], nan)
        means[a] = (float(w), float(r))
        inside.append(across < r < w)
    between = float(np.mean(inside)) if np.isfinite([within, across]).all() else nan
    return {"difference": float(within - across), "between": between,
            "within": float(within), "across": float(across), "per_architecture": means}


# ---------------------------------------------------------------------------------------------
# Ensembles (claims 8.5, 8.6)
# ---------------------------------------------------------------------------------------------


def ensemble_errors(logits: np.ndarray, y: np.ndarray, members, index=None) -> tuple[float, float]:
    """Mean member error and the error of the logit-averaged ensemble of ``members``.

    logits : (M, N, K); y : (N,); members : indices into M; index : resampled images.
    """
    if index is not None:
        logits, y = logits[:, index], y[index]
    chosen = logits[list(members)]
    member = float(np.mean(chosen.argmax(-1) != y))
    ensemble = float(np.mean(chosen.mean(0).argmax(-1) != y))
    return member, ensemble


def pair_err(logits: np.ndarray, y: np.ndarray, index=None) -> np.ndarray:
    """ERR of every 2-model ensemble, upper-triangle pair order (NaN where both members are perfect).

    ERR = (mean member error - ensemble error) / mean member error, logit averaging.
    """
    if index is not None:
        logits, y = logits[:, index], y[index]
    wrong = logits.argmax(-1) != y  # (M, N)
    i, j = np.triu_indices(len(logits), k=1)
    member = (wrong[i].mean(1) + wrong[j].mean(1)) / 2
    ensemble = ((logits[i] + logits[j]).argmax(-1) != y).mean(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(member > 0, (member - ensemble) / member, np.nan)


def pearson(a, b) -> float:
    """Pearson r over the entries where both are finite (NaN with fewer than 3)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def spearman(a, b) -> float:
    """Spearman rho over the finite entries (NaN with fewer than 3 or a constant side)."""
    from scipy.stats import rankdata

    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3:
        return float("nan")
    return pearson(rankdata(a[ok]), rankdata(b[ok]))


def cluster_ensembles(logits, y, clusters, size: int, draws: int, seed: int = 0, index=None) -> dict[str, np.ndarray]:
    """Random ``size``-model ensembles whose members come from exactly k distinct clusters.

    For each k = 1..min(size, number of clusters) and each of ``draws`` draws: k clusters at
    random (among those that can supply the members), then ``size`` distinct members covering
    exactly those k clusters. Returns arrays over all draws: ``k``, ``error`` (ensemble), ``err``
    (error reduction rate) and ``all_wrong`` (images every member gets wrong).
    """
    rng = np.random.default_rng(seed)
    clusters = np.asarray(clusters)
    if index is not None:
        logits, y = logits[:, index], y[index]
    labels = np.unique(clusters)
    out = {"k": [], "error": [], "err": [], "all_wrong": []}
    wrong = logits.argmax(-1) != y
    for k in range(1, min(size, len(labels)) + 1):
        for _ in range(draws):
            chosen = _draw_members(rng, clusters, labels, k, size)
            if chosen is None:
                continue
            member = wrong[chosen].mean()
            error = float(np.mean(logits[chosen].mean(0).argmax(-1) != y))
            out["k"].append(k)
            out["error"].append(error)
            out["err"].append((member - error) / member if member > 0 else np.nan)
            out["all_wrong"].append(int(wrong[chosen].all(0).sum()))
    return {key: np.asarray(v, dtype=float) for key, v in out.items()}


def _draw_members(rng, clusters, labels, k, size):
    for _ in range(20):
        picked = rng.choice(labels, size=k, replace=False)
        pools = [np.flatnonzero(clusters == c) for c in picked]
        if sum(len(p) for p in pools) < size:
            continue
        chosen = [rng.choice(p) for p in pools]  # one from each picked cluster
        rest = np.setdiff1d(np.concatenate(pools), chosen)
        chosen += list(rng.choice(rest, size=size - k, replace=False))
        return np.asarray(chosen)
    return None


# ---------------------------------------------------------------------------------------------
# Clusters (claims 8.3, 8.5, 8.9)
# ---------------------------------------------------------------------------------------------


def affinity(S: np.ndarray, eps_s: float = EPS_S) -> np.ndarray:
    """Non-negative affinity ``S - log eps_s`` (eq. 1 floors s at log eps_s), NaN -> 0."""
    A = np.nan_to_num(S - np.log(eps_s), nan=0.0)
    return np.maximum((A + A.T) / 2, 0.0)


def spectral_clusters(S: np.ndarray, k: int, seed: int = 0, restarts: int = 100) -> np.ndarray:
    """Spectral clustering of the similarity graph (normalised Laplacian, k-means with ``restarts``)."""
    from sklearn.cluster import SpectralClustering

    model = SpectralClustering(n_clusters=k, affinity="precomputed", assign_labels="kmeans", n_init=restarts,
                               random_state=seed)
    with warnings.catch_warnings():
        # pairs at the floor log eps_s have affinity 0, so a small zoo's graph can be disconnected
        warnings.filterwarnings("ignore", message="Graph is not fully connected")
        return model.fit_predict(affinity(S))


def cluster_agreement(clusters, labels) -> float:
    """Adjusted mutual information of a clustering with labels (sklearn)."""
    from sklearn.metrics import adjusted_mutual_info_score

    return float(adjusted_mutual_info_score(labels, clusters))


def tfidf_keywords(clusters, documents, top: int = 3) -> dict[int, list[str]]:
    """The ``top`` TF-IDF keywords of each cluster; a cluster's document joins its members' features.

    documents : per member, a list of ``component=value`` tokens.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    clusters = np.asarray(clusters)
    labels = sorted(set(clusters.tolist()))
    texts = [" ".join(tok for m in np.flatnonzero(clusters == c) for tok in documents[m]) for c in labels]
    vectorizer = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
    weights = vectorizer.fit_transform(texts).toarray()
    vocab = np.array(vectorizer.get_feature_names_out())
    return {c: vocab[np.argsort(-w)[:top]].tolist() for c, w in zip(labels, weights)}


def feature_documents(table: dict, members, components) -> list[list[str]]:
    """Per member, its ``component=value`` tokens (spaces replaced), for TF-IDF."""
    return [[f"{c}={table[m][c].replace(' ', '_')}" for c in components] for m in members]


# ---------------------------------------------------------------------------------------------
# Feature importance (claim 8.2)
# ---------------------------------------------------------------------------------------------


def hamming_features(table: dict, members, components) -> np.ndarray:
    """(pairs, 13) indicators that members i < j differ in each component (upper-triangle order)."""
    values = np.array([[table[m][c] for c in components] for m in members])
    i, j = np.triu_indices(len(members), k=1)
    return (values[i] != values[j]).astype(float)


def feature_importance(X: np.ndarray, s: np.ndarray, stages: int, seed: int = 0, repeats: int = 10) -> np.ndarray:
    """Permutation importance (mean over ``repeats``) of each column of ``X`` for a gradient-boosting
    regression of ``s`` (appendix B: ``stages`` stages, depth 12, min 4 samples per split, lr 0.02)."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.inspection import permutation_importance

    ok = np.isfinite(s)
    model = GradientBoostingRegressor(n_estimators=stages, max_depth=12, min_samples_split=4, learning_rate=0.02,
                                      random_state=seed).fit(X[ok], s[ok])
    result = permutation_importance(model, X[ok], s[ok], n_repeats=repeats, random_state=seed)
    return result.importances_mean


def importance_ranks(importance: np.ndarray, components, base: str = "base_architecture",
                     least=("depthwise_conv", "group_conv")) -> tuple[float, float]:
    """Rank (1 = most important) of ``base`` and the largest rank of ``least``; ties share the mean rank."""
    from scipy.stats import rankdata

    ranks = rankdata(-np.asarray(importance), method="average")
    position = {c: r for c, r in zip(components, ranks)}
    return float(position[base]), float(max(position[c] for c in least))


# ---------------------------------------------------------------------------------------------
# One-sided score (claim 8.9)
# ---------------------------------------------------------------------------------------------


def one_sided_scores(record: dict, new: int, olds, eps_s: float = EPS_S, index=None) -> np.ndarray:
    """Appendix G's one-sided score of model ``new`` against each of ``olds``: the old model's error
    on the new model's examples, over the images both get right (the new model is not attacked by
    the old ones)."""
    y, clean, on_adv = record["y"], record["clean"], record["on_adv"]
    if index is not None:
        y, clean, on_adv = y[index], clean[:, index], on_adv[:, :, index]
    olds = np.asarray(olds)
    mask = (clean[new] == y) & (clean[olds] == y)  # (len(olds), n)
    fooled = on_adv[new, olds] != y
    counts = mask.sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        percent = 100.0 * (fooled & mask).sum(1) / counts
        out = np.log(np.maximum(eps_s, percent))
    out[counts == 0] = np.nan
    return out


def assign_cluster(scores: np.ndarray, clusters: np.ndarray) -> int:
    """The cluster whose members have the highest mean (one-sided) score with the new model."""
    clusters = np.asarray(clusters)
    labels = np.unique(clusters)
    return int(labels[np.argmax([finite_mean(scores[clusters == c], -np.inf) for c in labels])])


def finite_mean(values, empty: float) -> float:
    """Mean of the finite entries, ``empty`` if there are none (no warning)."""
    values = np.asarray(values, float)
    values = values[np.isfinite(values)]
    return float(values.mean()) if values.size else empty
