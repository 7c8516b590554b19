"""Baselines and transfer of study 3: Task2Vec, the Fisher-Rao norm, the kernel mean embedding
norm across data sets (Figs. 2-4, 6) and sketched kernel ridge regression (Fig. 14)."""
from __future__ import annotations

import warnings

import numpy as np
from tqdm.auto import tqdm

from netsim.metrics.gradient_baselines import (fisher_rao_norm, kernel_mean_embedding_norm, task2vec,
                                               task2vec_similarity, sketched_kernel_ridge_scores)
from netsim.probes import block_names
from netsim.studies.gradient_similarity.design import ROLES, build, load_role
from netsim.studies.gradient_similarity.representations import POOLED, probe_model, symmetric_matrix

TARGETS = ("A", "A2", "B", "C")   # data sets every model is evaluated on for the mean embedding norm
KRR_TASKS = ("B", "C")            # the tasks an A model is transferred to (Fig. 14)
KRR_ALPHA = 1.0                   # ridge, relative to tr(K~) / M (the paper cross-validates it)
FINE_TUNE_LR = 0.01               # one-epoch fine-tune: SGD on the standardised pooled features
TASK2VEC_DRAWS = 4                # labels drawn from the model per input for the Fisher diagonal


def body_slice(model) -> np.ndarray:
    """Boolean mask (P,) of the parameters outside the head, in ``named_parameters`` order.

    Task2Vec embeddings of models with different heads (10 or 60 classes) differ in length;
    the cosine compares the shared body (every block and the stem).
    """
    return np.concatenate([np.full(p.numel(), not name.startswith("head."))
                           for name, p in model.named_parameters()])


def _small_models(zoo):
    """(role, config) of every small model, in ``zoo.small_configs()`` order."""
    return [(role, c) for role in ROLES for c in zoo.small[role]]


def task2vec_matrix(zoo, P, *, progress: bool = True) -> np.ndarray:
    """(n, n) Task2Vec cosine similarity of the small models' body embeddings, each on its own data.

    The diagonal Fisher information (eq. 2) is the Monte Carlo estimate with
    :data:`TASK2VEC_DRAWS` labels drawn from the model per input, on the first
    ``P.task2vec_samples`` training inputs (the exact expectation costs one pass per class: 60 for B).
    """
    embeddings = []
    for role, config in tqdm(_small_models(zoo), desc="Task2Vec", disable=not progress):
        model = build(config)
        x = _inputs(role, "train", P)[:P.task2vec_samples]
        e = task2vec(model, x, fisher="sampled", samples=TASK2VEC_DRAWS, seed=P.seed)
        embeddings.append(e[body_slice(model)])
    return symmetric_matrix(embeddings, task2vec_similarity)


def fisher_rao_norms(zoo, P) -> np.ndarray:
    """(n,) Fisher-Rao norm of each small model on its own training data (eq. 3, y ~ p_theta)."""
    return np.array([fisher_rao_norm(build(c), _inputs(role, "train", P)) for role, c in _small_models(zoo)])


_INPUTS: dict = {}


def _inputs(role, split, P):
    key = (role, split, P.n_sprites, P.image_size)
    if key not in _INPUTS:
        _INPUTS[key] = load_role(role, split, P).x
    return _INPUTS[key]


def mean_embedding_table(zoo, P, *, progress: bool = True):
    """||mu_p|| and eq. 19's ratios of every model at its last block on each target data set.

    Returns a DataFrame with columns source, model, network, target, mu, cka_normaliser,
    nbs_normaliser, ratio_cka, ratio_nbs.
    """
    import pandas as pd

    rows = []
    items = [(role, k, "small", c) for role in ROLES for k, c in enumerate(zoo.small[role])]
    items += [(role, 0, "deep", zoo.deep[role]) for role in ROLES]
    for role, k, network, config in tqdm(items, desc="mean embedding norms", disable=not progress):
        model = build(config)
        last = block_names(model)[-1]
        for target in TARGETS:
            F, G = probe_model(model, _inputs(target, "train", P), [last])[last]
            m = kernel_mean_embedding_norm(F, G)
            rows.append({"source": role, "model": k, "network": network, "target": target, "mu": m.mu,
                         "cka_normaliser": m.cka_normaliser, "nbs_normaliser": m.nbs_normaliser,
                         "ratio_cka": m.ratio_cka, "ratio_nbs": m.ratio_nbs})
    return pd.DataFrame(rows)


def kernel_ridge_transfer(zoo, P, *, progress: bool = True) -> dict:
    """Sketched kernel ridge regression (eqs. 49-50) of the A models on B's and C's tasks, block by block.

    For each task and A model: the Hadamard representation of every block on the task's training
    set (M buckets, the targets sketched alongside), scored on the task's test set; the same with
    the training labels permuted (the null); and the two last-layer fine-tunes on the pooled
    features (one SGD epoch; logistic regression to convergence).

    Returns
    -------
    dict task -> {"correct": (models, blocks, n_test) bool, "null": same for permuted labels,
    "one_epoch": (models, n_test) bool, "converged": (models, n_test) bool}
    """
    m = P.sketch_sizes[1]
    out = {}
    configs = zoo.small["A"]
    bar = tqdm(total=len(KRR_TASKS) * len(configs), desc="kernel ridge transfer", disable=not progress)
    for t, task in enumerate(KRR_TASKS):
        train, test = load_role(task, "train", P), load_role(task, "test", P)
        n_test = min(P.krr_test, len(test))
        xt, yt = test.x[:n_test], test.y[:n_test]
        permuted = np.random.default_rng([P.seed, 3, t]).permutation(train.y)
        res = {"correct": [], "null": [], "one_epoch": [], "converged": []}
        for config in configs:
            model = build(config)
            names = block_names(model) + [POOLED]
            tr = probe_model(model, train.x, names)
            te = probe_model(model, xt, names)
            res["correct"].append([_krr_correct(tr[b], train.y, te[b], yt, m, P, train.num_classes)
                                   for b in names[:-1]])
            res["null"].append([_krr_correct(tr[b], permuted, te[b], yt, m, P, train.num_classes)
                                for b in names[:-1]])
            one, conv = fine_tune(tr[POOLED][0], train.y, te[POOLED][0], yt, seed=P.seed)
            res["one_epoch"].append(one)
            res["converged"].append(conv)
            bar.update()
        out[task] = {k: np.array(v) for k, v in res.items()}
    bar.close()
    return out


def _krr_correct(train_rows, y_train, test_rows, y_test, m, P, num_classes) -> np.ndarray:
    scores = sketched_kernel_ridge_scores(train_rows, y_train, test_rows, m=m, seed=P.sketch_seed,
                                          alpha=KRR_ALPHA, kind="hadamard", num_classes=num_classes)
    return scores.argmax(1) == np.asarray(y_test)


def fine_tune(F_train, y_train, F_test, y_test, *, seed: int = 0):
    """Last-layer fine-tunes on pooled features: (one-epoch SGD correct, converged correct), (n_test,) bool each.

    Both fit a multinomial logistic regression on standardised features: one pass of SGD
    (scikit-learn ``SGDClassifier``, constant step :data:`FINE_TUNE_LR`) and L-BFGS to
    convergence (``LogisticRegression``, C = 1).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(F_train)
    A, B = scaler.transform(F_train), scaler.transform(F_test)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = SGDClassifier(loss="log_loss", max_iter=1, tol=None, learning_rate="constant",
                            eta0=FINE_TUNE_LR, random_state=seed).fit(A, y_train)
        converged = LogisticRegression(max_iter=2000).fit(A, y_train)
    return one.predict(B) == y_test, converged.predict(B) == y_test
