"""Tests of netsim.studies.gradient_similarity (study 3: data roles, sketches, transfer helpers, claim statistics)."""
import itertools
import types
from collections import Counter

import numpy as np
import pytest

from netsim.metrics.kernels import cka as linear_cka
from netsim.metrics.sketching import alignment, bures_similarity, exact_representation, sketch_model_rows
from netsim.studies.gradient_similarity import design as D
from netsim.studies.gradient_similarity import evidence as E
from netsim.studies.gradient_similarity import representations as R
from netsim.studies.gradient_similarity import transfer as T

pytestmark = pytest.mark.usefixtures("one_thread")

GROUP_MEANS = {("A", "A"): 0.9, ("B", "B"): 0.9, ("C", "C"): 0.9,
               ("A", "B"): 0.7, ("A", "C"): 0.5, ("B", "C"): 0.3}


# --------------------------------------------------------------------------- helpers
def _labels(per_group):
    return np.array([g for g in D.ROLES for _ in range(per_group)])


def _structured(labels, means=GROUP_MEANS, noise=0.0, rng=None):
    """A symmetric similarity matrix with the given group-level means (+ noise), unit diagonal."""
    n = len(labels)
    S = np.array([[means[tuple(sorted((a, b)))] for b in labels] for a in labels], dtype=float)
    if noise:
        eps = rng.normal(scale=noise, size=(n, n))
        S = S + (eps + eps.T) / 2
    np.fill_diagonal(S, 1.0)
    return S


def _psd(rng, n, rank):
    X = rng.normal(size=(n, rank))
    return X @ X.T


def _settings(**extra):
    base = {"resamples": 20, "null_draws": 20, "seed": 0, "image_size": 12, "n_sprites": 300, "width": 4,
            "blocks": (1, 1, 1), "deep_blocks": (2, 2, 2), "epochs": 3, "fine_epochs": 4, "sketch_sizes": (8, 32),
            "sketch_seed": 0, "accuracy_seeds": 2}
    base.update(extra)
    return types.SimpleNamespace(**base)


def _brute_pair_means(S, idx, labels):
    out = {}
    for a, b in itertools.combinations_with_replacement(D.ROLES, 2):
        vals = [S[idx[p], idx[q]] for p in range(len(idx)) for q in range(len(idx))
                if idx[p] != idx[q] and labels[idx[p]] == a and labels[idx[q]] == b]
        out[a, b] = np.mean(vals) if vals else np.nan
    return out


def _brute_auc(S, idx, labels, keep=None):
    same, cross = [], []
    for p, q in itertools.combinations(range(len(idx)), 2):
        i, j = idx[p], idx[q]
        if i == j or (keep is not None and (labels[i] not in keep or labels[j] not in keep)):
            continue
        (same if labels[i] == labels[j] else cross).append(S[i, j])
    score = sum(1.0 if s > c else 0.5 if s == c else 0.0 for s in same for c in cross)
    return score / (len(same) * len(cross))


# --------------------------------------------------------------------------- design
def test_train_config_seeds_blocks_and_epochs_per_role():
    """Run seeds never coincide across roles / architectures; deep configs use deep_blocks; B trains longer."""
    P = _settings()
    seeds = [D.train_config(role, s, P).seed for role in D.ROLES for s in range(10)]
    seeds += [D.train_config(role, 0, P, deep=True).seed for role in D.ROLES]
    assert len(set(seeds)) == len(seeds)
    for s in range(10):  # same model index, different roles: different initial weights
        assert len({D.train_config(role, s, P).seed for role in D.ROLES}) == 3
    for role in D.ROLES:
        small, deep = D.train_config(role, 0, P), D.train_config(role, 0, P, deep=True)
        assert small.model_options["blocks"] == (1, 1, 1) and deep.model_options["blocks"] == (2, 2, 2)
        assert small.model_options["blocks"] != deep.model_options["blocks"]
        assert small.epochs == (P.fine_epochs if role == "B" else P.epochs)
        assert small.dataset_options == D.dataset_spec(role, P)[1]


def test_dataset_spec_roles_and_unknown_role():
    """B and A2 are other sprite draws than A (data seed); B is labelled finely; C is digits; unknown roles raise."""
    P = _settings()
    specs = {role: D.dataset_spec(role, P) for role in ("A", "B", "C", "A2")}
    assert specs["A"][0] == specs["B"][0] == specs["A2"][0] == "sprites"
    assert specs["C"] == ("digits", {"size": 12, "channels": 3})
    seeds = {role: specs[role][1]["seed"] for role in ("A", "B", "A2")}
    assert len(set(seeds.values())) == 3
    assert specs["B"][1]["label"] == "fine" and specs["A"][1]["label"] == specs["A2"][1]["label"] == "shape"
    for role in ("A", "B", "A2"):
        assert specs[role][1]["n"] == 300 and specs[role][1]["size"] == 12
    with pytest.raises(ValueError, match="role"):
        D.dataset_spec("X", P)


# --------------------------------------------------------------------------- resampling
def test_seed_resample_keeps_groups():
    """Every stratified resample keeps each group's size and draws members of that group only."""
    labels = np.array(["B", "A", "C", "A", "B", "C", "C", "A", "A"])  # interleaved, unequal sizes
    rng = np.random.default_rng(1)
    seen, duplicated = set(), False
    for _ in range(200):
        idx = E.seed_resample(labels, rng)
        assert len(idx) == len(labels) and idx.dtype.kind == "i"
        assert Counter(labels[idx]) == Counter(labels)
        for g in set(labels):  # the positions of group g hold only members of g
            block = idx[labels[idx] == g]
            assert set(block) <= set(np.flatnonzero(labels == g))
        seen |= set(idx.tolist())
        duplicated |= len(set(idx.tolist())) < len(idx)
    assert seen == set(range(len(labels)))  # every model is drawn at some point
    assert duplicated                        # with replacement


def test_seed_bootstrap_and_relabel_null_contracts():
    """The bootstrap's point value is the statistic of all models inside its interval; the null keeps group sizes."""
    labels = _labels(3)
    values = np.arange(9.0)

    def stat(idx, lab):
        return values[idx[np.asarray(lab)[idx] == "A"]].mean(), float((np.asarray(lab)[idx] == "C").sum())

    est = E.seed_bootstrap(stat, labels, n_resamples=30, seed=0)
    assert est[0].value == pytest.approx(1.0) and est[0].low <= 1.0 <= est[0].high
    assert 0.0 <= est[0].low and est[0].high <= 2.0
    assert est[1].value == est[1].low == est[1].high == 3.0
    null = E.relabel_null(stat, labels, draws=30, seed=0)
    assert null[1].value == null[1].low == null[1].high == 3.0  # permuting labels keeps sizes
    assert null[0].value != pytest.approx(1.0)                  # but mixes the groups


# --------------------------------------------------------------------------- pair means
def test_pair_means_equal_brute_force_over_positions():
    """pair_means is the mean over resampled positions (p, q) of distinct models with groups (X, Y)."""
    rng = np.random.default_rng(2)
    labels = _labels(3)
    S = rng.normal(size=(9, 9))         # not symmetric: the (row group, column group) order is checked
    np.fill_diagonal(S, 1e6)             # a model paired with itself would show
    for _ in range(20):
        idx = E.seed_resample(labels, rng)
        got, want = E.pair_means(S, idx, labels), _brute_pair_means(S, idx, labels)
        assert got.keys() == want.keys()
        for key in want:
            if np.isnan(want[key]):
                assert np.isnan(got[key])
            else:
                assert got[key] == pytest.approx(want[key], abs=1e-12)
                assert got[key] < 1e5


def test_pair_means_nan_when_a_group_is_one_model_drawn_repeatedly():
    """A group whose resample is one model drawn three times has no within pair (NaN); cross means stay defined."""
    labels = _labels(3)
    S = _structured(labels)
    idx = np.array([0, 0, 0, 3, 4, 5, 6, 7, 8])
    m = E.pair_means(S, idx, labels)
    assert np.isnan(m["A", "A"])
    assert m["B", "B"] == pytest.approx(0.9) and m["A", "B"] == pytest.approx(0.7)
    mask = E.pair_mask(idx, labels, "A", "A")
    assert not mask.any()
    assert E.pair_mask(idx, labels, "A", "B").sum() == 9  # three copies of model 0 times three B models


# --------------------------------------------------------------------------- orderings
def test_orderings_on_hand_built_matrices():
    """The three orderings of Fig. 1 on 6-model matrices (2 per group) where each is known to hold or fail."""
    labels = _labels(2)
    idx = np.arange(6)

    def order(**means):
        m = dict(GROUP_MEANS)
        m.update({tuple(k): v for k, v in means.items()})
        return E.orderings(E.pair_means(_structured(labels, m), idx, labels))

    assert order() == (True, True, True)
    assert order(AB=0.3, BC=0.7) == (True, False, False)    # {A, B} lowest cross pair; {B, C} above {A, C}
    assert order(AB=0.4) == (True, False, True)             # {A, B} below {A, C} only
    assert order(CC=0.4) == (False, True, True)             # (i) fails for C only: C-C below A-C
    assert order(BB=0.7) == (False, True, True)             # a tie is not "above"
    assert order(AA=0.6) == (False, True, True)             # A-A below A-B only


def test_ordering_shares_counts_cells():
    """ordering_shares is the share of cells in which each ordering holds."""
    labels = _labels(2)
    good = _structured(labels)
    bad = _structured(labels, {**GROUP_MEANS, ("A", "B"): 0.2, ("C", "C"): 0.1})  # (i), (ii) fail
    shares = E.ordering_shares([good, good, bad, good], np.arange(6), labels)
    np.testing.assert_allclose(shares, [0.75, 0.75, 1.0])


# --------------------------------------------------------------------------- AUC
def test_pair_auc_equals_brute_force_with_ties():
    """pair_auc counts (same, cross) combinations of distinct-model pairs, ties 1/2, with and without ``keep``."""
    rng = np.random.default_rng(3)
    labels = _labels(3)
    S = np.round(rng.uniform(size=(9, 9)), 1)  # coarse values: many ties
    S = np.triu(S, 1) + np.triu(S, 1).T + np.eye(9)
    for idx in [np.arange(9)] + [E.seed_resample(labels, rng) for _ in range(10)]:
        assert E.pair_auc(S, idx, labels) == pytest.approx(_brute_auc(S, idx, labels), abs=1e-12)
        want = _brute_auc(S, idx, labels, keep=("B", "C"))
        assert E.pair_auc(S, idx, labels, keep=("B", "C")) == pytest.approx(want, abs=1e-12)
    # keep=("B", "C") ignores the A models: whatever they score
    S2 = S.copy()
    S2[:3, :] = S2[:, :3] = 5.0
    full = np.arange(9)
    assert E.pair_auc(S2, full, labels, keep=("B", "C")) == pytest.approx(E.pair_auc(S, full, labels, keep=("B", "C")))
    assert E.pair_auc(S2, full, labels) != pytest.approx(E.pair_auc(S, full, labels))


def test_pair_auc_extremes_and_undefined():
    """A separating matrix gives AUC 1, its negation 0, a constant one 1/2; no same pair gives NaN."""
    rng = np.random.default_rng(4)
    labels = _labels(3)
    S = _structured(labels, noise=0.01, rng=rng)
    full = np.arange(9)
    assert E.pair_auc(S, full, labels) == 1.0
    assert E.pair_auc(-S, full, labels) == 0.0
    assert E.pair_auc(np.ones((9, 9)), full, labels) == 0.5
    assert np.isnan(E.pair_auc(S, np.array([0, 0, 0, 3, 3, 3, 6, 6, 6]), labels))


# --------------------------------------------------------------------------- CKA / NBS of Gram objects
def test_gram_cka_nbs_match_library_indices():
    """representations.cka / nbs equal sketching.alignment / bures_similarity on random PSD matrices."""
    rng = np.random.default_rng(5)
    for rank1, rank2 in ((12, 12), (3, 5), (1, 12)):
        K1, K2 = _psd(rng, 12, rank1), _psd(rng, 12, rank2)
        a, b = R.Gram(K1), R.Gram(K2)
        assert R.cka(a, b) == pytest.approx(alignment(K1, K2), abs=1e-10)
        assert R.nbs(a, b) == pytest.approx(bures_similarity(K1, K2), abs=1e-10)
        assert R.nbs(a, b) == pytest.approx(R.nbs(b, a), abs=1e-10)   # the fidelity is symmetric
        assert R.cka(R.Gram(3.0 * K1), b) == pytest.approx(R.cka(a, b), abs=1e-12)
        assert 0 <= R.cka(a, b) <= R.nbs(R.Gram(K1 @ K1), R.Gram(K2 @ K2)) + 1e-10  # eq. 14
        assert R.cka(a, a) == pytest.approx(1.0, abs=1e-12)
        assert R.nbs(a, a) == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("index", ["cka", "nbs"])
def test_similarity_matrix_symmetric_unit_diagonal(index):
    """similarity_matrix is symmetric with unit diagonal and its entries are the pairwise index (Grams or arrays)."""
    rng = np.random.default_rng(6)
    reps = [_psd(rng, 10, 4) for _ in range(4)]
    mixed = [R.Gram(reps[0])] + reps[1:]
    S = R.similarity_matrix(mixed, index)
    f = alignment if index == "cka" else bures_similarity
    np.testing.assert_array_equal(S, S.T)
    np.testing.assert_array_equal(np.diag(S), np.ones(4))
    for i, j in itertools.combinations(range(4), 2):
        assert S[i, j] == pytest.approx(f(reps[i], reps[j]), abs=1e-10)
    assert np.all(S[~np.eye(4, dtype=bool)] < 1)


def test_cross_matrix_is_elementwise_cka():
    """cross_matrix[i, j] = cka(a_i, b_j), shape (len(a), len(b))."""
    rng = np.random.default_rng(7)
    A = [_psd(rng, 9, 3) for _ in range(3)]
    B = [_psd(rng, 9, 5) for _ in range(2)]
    X = R.cross_matrix(A, [R.Gram(b) for b in B])
    assert X.shape == (3, 2)
    for i, j in itertools.product(range(3), range(2)):
        assert X[i, j] == pytest.approx(alignment(A[i], B[j]), abs=1e-12)
    np.testing.assert_allclose(R.cross_matrix(B, A), X.T, atol=1e-12)


def test_block_maps_and_mean_map():
    """block_maps holds cross-block CKA (map[q, p] = map[p, q].T, unit diagonal at p = q); mean_map matches a loop."""
    rng = np.random.default_rng(8)
    labels = _labels(2)
    sketches = [R.ModelSketch(["b0", "b1", "b2"], {(b, "hadamard"): _psd(rng, 8, 3).astype(np.float32)
                                                   for b in range(3)}) for _ in range(6)]
    maps = E.block_maps(sketches)
    assert maps.shape == (6, 6, 3, 3)
    for p, q in itertools.product(range(6), repeat=2):
        np.testing.assert_allclose(maps[q, p], maps[p, q].T, atol=1e-12)
        assert maps[p, q, 1, 2] == pytest.approx(alignment(sketches[p].reps[1, "hadamard"],
                                                           sketches[q].reps[2, "hadamard"]), abs=1e-6)
    for p in range(6):
        np.testing.assert_allclose(np.diag(maps[p, p]), 1.0, atol=1e-6)
    idx = np.array([0, 0, 3, 2, 5, 4])  # A drawn as one model twice
    assert np.isnan(E.mean_map(maps, idx, labels, "A", "A")).all()
    want = np.mean([maps[idx[p], idx[q]] for p in range(6) for q in range(6)
                    if idx[p] != idx[q] and labels[idx[p]] == "B" and labels[idx[q]] == "C"], axis=0)
    np.testing.assert_allclose(E.mean_map(maps, idx, labels, "B", "C"), want, atol=1e-12)


# --------------------------------------------------------------------------- claim 3.1
def _ordered_cells(labels, rng):
    """Hadamard cells with the orderings built in, plus a features cell with them reversed (not a 3.1 cell)."""
    cells = {("hadamard", index, b): _structured(labels, noise=0.01, rng=rng)
             for index in ("cka", "nbs") for b in range(3)}
    reversed_means = {k: 1.0 - v for k, v in GROUP_MEANS.items()}
    cells["features", "cka", 0] = _structured(labels, reversed_means)
    return cells


def test_claim_3_1_orderings_built_in():
    """With the orderings built into every Hadamard cell the shares are 1 and the relabelling null is clearly below."""
    rng = np.random.default_rng(9)
    labels = _labels(5)
    measured, null = E.claim_3_1(_ordered_cells(labels, rng), labels, _settings())
    assert list(measured) == list(null) and len(measured) == 3
    for name in measured:
        assert measured[name].value == 1.0 and measured[name].high == 1.0
        assert null[name].value < 0.75
    names = list(measured)
    assert measured[names[1]].low == measured[names[2]].low == 1.0  # cross means exist in every resample
    assert null[names[0]].value < 0.25                                # (i) needs all three groups apart


def test_claim_3_1_interval_ignores_resamples_without_within_pairs():
    """Resamples in which a group has no pair of distinct models cannot test ordering (i); they must not count as failures.

    With the orderings built in, every resample in which (i) can be measured holds it, so the interval is [1, 1]
    for (i) as it is for (ii) and (iii). Three models per group (the smoke profile) draw one model three times
    in 1/9 of the resamples per group.
    """
    rng = np.random.default_rng(9)
    labels = _labels(3)
    measured, _ = E.claim_3_1(_ordered_cells(labels, rng), labels, _settings())
    first = measured["(i) same above cross"]
    assert first.value == 1.0
    assert first.low == 1.0


# --------------------------------------------------------------------------- claim 3.6
def _krr_task(acc_by_block, one_epoch, converged, n_test=10, models=2):
    """Boolean arrays whose accuracies are exactly the given ones (first k test samples correct)."""
    def correct(acc):
        row = np.zeros(n_test, dtype=bool)
        row[:round(acc * n_test)] = True
        return row

    blocks = np.array([correct(a) for a in acc_by_block])
    return {"correct": np.stack([blocks] * models), "null": np.stack([blocks[::-1]] * models),
            "one_epoch": np.stack([correct(one_epoch)] * models),
            "converged": np.stack([correct(converged)] * models)}


@pytest.mark.filterwarnings("ignore::scipy.stats.ConstantInputWarning")  # the flat case
def test_krr_statistics_rho_gain_gap():
    """rho is 1 for accuracy rising with block, -1 if one task falls; gain and gap are the hand-computed means."""
    up_b = _krr_task([0.2, 0.4, 0.6, 0.8], one_epoch=0.5, converged=0.9)
    up_c = _krr_task([0.1, 0.3, 0.5, 0.7], one_epoch=0.2, converged=1.0)
    down_c = _krr_task([0.7, 0.5, 0.3, 0.1], one_epoch=0.2, converged=1.0)
    rho, gain, gap = E.krr_statistics({"B": up_b, "C": up_c})
    assert rho == pytest.approx(1.0)
    assert gain == pytest.approx(((0.8 - 0.5) + (0.7 - 0.2)) / 2)
    assert gap == pytest.approx(((0.9 - 0.8) + (1.0 - 0.7)) / 2)
    rho, gain, gap = E.krr_statistics({"B": up_b, "C": down_c})
    assert rho == pytest.approx(-1.0)                                  # the smaller over the tasks
    assert gain == pytest.approx(((0.8 - 0.5) + (0.1 - 0.2)) / 2)      # last block of C: 0.1
    assert E.krr_statistics({"B": up_b, "C": down_c}, use="null")[0] == pytest.approx(-1.0)
    flat = _krr_task([0.5] * 4, one_epoch=0.5, converged=0.5)
    assert E.krr_statistics({"B": flat})[0] == 0.0                      # constant accuracy: rho undefined -> 0


def test_krr_statistics_with_test_resample():
    """With idx_by_task the accuracies are those of the resampled test samples (repeats counted)."""
    task = _krr_task([0.2, 0.4, 0.6, 0.8], one_epoch=0.5, converged=0.9)
    idx = {"B": np.array([0, 0, 5, 9])}   # sample 0 always correct; 5 correct from block 2 on; 9 never
    rho, gain, gap = E.krr_statistics({"B": task}, idx)
    acc = np.array([0.5, 0.5, 0.75, 0.75])
    assert rho == pytest.approx(0.8944271909999159)   # Spearman of (0, 1, 2, 3) with ties (1.5, 1.5, 3.5, 3.5)
    assert gain == pytest.approx(acc[-1] - 0.5)       # one-epoch correct on 0..4: 0, 0 -> 1/2
    assert gap == pytest.approx(0.75 - acc[-1])       # converged correct on 0..8


# --------------------------------------------------------------------------- C4
def test_c4_value_is_largest_same_data_set_difference():
    """c4_value is the largest CKA - NBS(K^2) over same-data-set pairs (last block); <= 1e-9 by eq. 14."""
    rng = np.random.default_rng(10)
    labels = _labels(2)
    sketches = [R.ModelSketch(["b0", "b1"], {(1, "hadamard"): _psd(rng, 10, r).astype(np.float32),
                                             (0, "hadamard"): np.eye(10, dtype=np.float32)})
                for r in (2, 6, 3, 10, 1, 4)]
    value = E.c4_value(sketches, labels)
    assert value <= 1e-9

    def diff(i, j):
        K1, K2 = (sketches[k].reps[1, "hadamard"].astype(np.float64) for k in (i, j))
        return alignment(K1, K2) - bures_similarity(K1 @ K1, K2 @ K2)

    assert value == pytest.approx(max(diff(0, 1), diff(2, 3), diff(4, 5)), abs=1e-9)
    assert value < -1e-3   # random kernels: strictly inside the bound
    same = [R.ModelSketch(["b0", "b1"], {(1, "hadamard"): sketches[0].reps[1, "hadamard"]}) for _ in range(6)]
    assert E.c4_value(same, labels) == pytest.approx(0.0, abs=1e-6)  # equality for K1 = K2


# --------------------------------------------------------------------------- sketches and checks C1-C3
def test_sketch_model_keys_and_values():
    """sketch_model keeps main kinds at every block, extra kinds at the last, accuracy sketches per (M, seed, block)."""
    rng = np.random.default_rng(11)
    P = _settings(sketch_sizes=(4, 8), accuracy_seeds=2)
    probes = {name: (rng.normal(size=(30, 3)), rng.normal(size=(30, 3))) for name in ("in", "b1", "b2")}
    probes[R.POOLED] = (rng.normal(size=(30, 5)), rng.normal(size=(30, 5)))
    sk = R.sketch_model(probes, P)
    assert sk.blocks == ["in", "b1", "b2"]
    want = {(b, k) for b in range(3) for k in R.MAIN_KINDS} | {(2, k) for k in R.EXTRA_KINDS}
    assert set(sk.reps) == want
    assert set(sk.accuracy) == {(m, s, b) for m in (4, 8) for s in (0, 1) for b in range(3)}
    F, G = probes["b1"]
    for kind in R.MAIN_KINDS:
        assert sk.reps[1, kind].dtype == np.float32 and sk.reps[1, kind].shape == (8, 8)
        np.testing.assert_allclose(sk.reps[1, kind], sketch_model_rows(F, G, 8, 0).representation(kind),
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(sk.accuracy[8, 0, 1], sk.reps[1, "hadamard"])
    np.testing.assert_allclose(sk.accuracy[4, 1, 1], sketch_model_rows(F, G, 4, 1).representation("hadamard"),
                               rtol=1e-5, atol=1e-5)
    lean = R.sketch_model(probes, P, accuracy=False)
    assert set(lean.accuracy) == {(8, 0, b) for b in range(3)} and set(lean.reps) == want


def test_implementation_checks_on_random_rows():
    """C1 (streaming = one-shot CountSketch) is at rounding level and C3 (memory for N vs 4N) is exactly 1."""
    rng = np.random.default_rng(12)
    F, G = np.abs(rng.normal(size=(250, 6))) + 1.0, rng.normal(size=(250, 6))
    checks = R._implementation_checks((F, G), _settings(sketch_sizes=(8, 32)))
    assert checks["C1"] < 1e-12
    assert checks["C3"] == 1.0
    small, big, n, n4 = checks["C3_bytes"]
    assert small == big > 0 and (n, n4) == (250, 1000)


def test_bound_check_holds_with_realised_distortion():
    """C2: |SCKA - CKA| <= the eq.-16 bound at the realised distortion, for features and Psi rows; exact CKA is right."""
    rng = np.random.default_rng(13)
    n, d = 300, 4

    base_f, base_g = np.abs(rng.normal(size=(n, d))) + 0.5, rng.normal(size=(n, d))

    def rows():  # related models: a mixing of shared rows plus noise (CKA well above 0)
        W, V = rng.normal(size=(2, d, d))
        return base_f @ W + 0.3 * rng.normal(size=(n, d)), base_g @ V + 0.3 * rng.normal(size=(n, d))

    a, b, c = rows(), rows(), rows()
    pairs = [("features", (a, b)), ("features", (b, c)), ("psi_hadamard", (a, b)), ("psi_hadamard", (a, c))]
    out = R.bound_check(pairs, _settings(sketch_sizes=(16, 64)))
    assert out["C2"] <= 1e-12
    assert len(out["rows"]) == 4
    assert out["C2"] == max(r["excess"] for r in out["rows"])
    finite = [r for r in out["rows"] if r["epsilon"] < 1]
    assert len(finite) == 4  # related rows: eps < 1 everywhere, so the check is not vacuous
    for r in out["rows"]:
        if r["epsilon"] >= 1:
            assert r["bound"] == float("inf")
        else:
            assert np.isfinite(r["bound"]) and r["excess"] <= 1e-12
    # exact CKA of feature rows is linear CKA; of Psi rows, the alignment of centred Hadamard kernels
    assert out["rows"][0]["exact CKA"] == pytest.approx(linear_cka(a[0], b[0]), abs=1e-10)
    want = alignment(exact_representation(*a, kind="psi_hadamard"), exact_representation(*b, kind="psi_hadamard"))
    assert out["rows"][2]["exact CKA"] == pytest.approx(want, abs=1e-10)
    # its sketched CKA is that of the streaming psi sketch (shared S)
    reps = [sketch_model_rows(*x, 64, 0, psi=True).representation("psi_hadamard") for x in (a, b)]
    assert out["rows"][2]["sketched CKA"] == pytest.approx(alignment(*reps), abs=1e-10)


# --------------------------------------------------------------------------- transfer helpers
def test_fine_tune_on_separable_blobs():
    """Both last-layer fine-tunes return (n_test,) bool arrays; the converged one separates Gaussian blobs."""
    rng = np.random.default_rng(14)
    centres = rng.normal(scale=6.0, size=(3, 5))

    def blobs(n):
        y = np.arange(n) % 3
        return centres[y] + rng.normal(size=(n, 5)), y

    Xtr, ytr = blobs(150)
    Xte, yte = blobs(60)
    one, conv = T.fine_tune(Xtr, ytr, Xte, yte, seed=0)
    for r in (one, conv):
        assert r.shape == (60,) and r.dtype == bool
    assert conv.mean() > 0.95
    one2, _ = T.fine_tune(Xtr, ytr, Xte, yte, seed=0)
    np.testing.assert_array_equal(one, one2)  # the SGD fine-tune is seeded
    _, wrong = T.fine_tune(Xtr, ytr, Xte, (yte + 1) % 3, seed=0)
    assert wrong.mean() < 0.05                 # correctness is measured against y_test


def test_body_slice_excludes_the_head():
    """body_slice has one entry per parameter and excludes exactly the head's parameters (at the end)."""
    from netsim.models import build_model

    model = build_model("resnet", (3, 12, 12), 10, width=4, blocks=(1, 1, 1), norm="layer")
    mask = T.body_slice(model)
    total = sum(p.numel() for p in model.parameters())
    head = sum(p.numel() for p in model.head.parameters())
    assert mask.dtype == bool and mask.shape == (total,)
    assert (~mask).sum() == head > 0
    assert head == 16 * 10 + 10      # the pooled d = width * 4 features to 10 classes
    assert mask[:total - head].all() and not mask[total - head:].any()
