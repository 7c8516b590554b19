"""Study 5's MNIST-1D paths (claims B6-B10): the family configurations of :mod:`.mnist1d` and the
statistics of :mod:`.paths_evidence`, on trajectories built by hand (no network is trained)."""
import itertools
import types
import warnings

import numpy as np
import pytest

from netsim import metrics
from netsim.metrics.tasks import trajectory_length
from netsim.studies.task_space import evidence, mnist1d
from netsim.studies.task_space import paths_evidence as pe

pytestmark = pytest.mark.usefixtures("one_thread")

C, N = 10, 30
LABELS = np.arange(N) % C  # every class present, three samples each
IGNORANCE, TRUTH = metrics.ignorance(N, C), metrics.truth(LABELS, C)
FAMILIES = ("supervised", "proto2", "proto5", "kway2", "kway5", "kway7", "simclr", "simclr_pairs", "fixmatch")


def _profile(**changes):
    """A small profile with the fields the builders and the statistics read."""
    P = dict(seeds=3, epochs=20, checkpoints=7, subtasks=5, pair_seeds=2, labelled=100, train_size=500,
             finetune_sources=2, finetune_epochs=3, finetune_checkpoints=4, analysis_size=200,
             seed=0, resamples=100, null_draws=200, task_resamples=20)
    P.update(changes)
    return types.SimpleNamespace(**P)


def _normalise(p):
    return p / p.sum(axis=-1, keepdims=True)


def _noisy(base, scale, rng):
    """``base`` with positive noise of size ``scale`` added, renormalised (a nearby distribution)."""
    return _normalise(base + scale * rng.random(base.shape))


def _path(p, q, T=8):
    """T checkpoints on the geodesic from p to q (a trajectory that never wanders)."""
    return metrics.geodesic_interpolate(p, q, np.linspace(0.0, 1.0, T))


def _on_truth_geodesic(a):
    """The point at fraction ``a`` of the ignorance-truth geodesic (its progress is ``a``)."""
    return metrics.geodesic_interpolate(IGNORANCE, TRUTH, a)


def _key(config):
    """A hashable form of a config's cache key."""
    return repr(sorted(config.key_dict().items()))


# --------------------------------------------------------------------------- mnist1d: the families
def test_subtasks_are_distinct_sorted_subsets_reproducible_per_seed():
    """k-subsets of the digits, sorted, without repeats; the seed fixes them and another seed changes them."""
    for k in (2, 5, 7):
        subsets = mnist1d.subtasks(k, 5, seed=3)
        assert len(subsets) == len(set(subsets)) == 5
        for s in subsets:
            assert len(s) == k == len(set(s)) and list(s) == sorted(s) and set(s) <= set(range(10))
            assert all(isinstance(c, int) for c in s)
        assert subsets == mnist1d.subtasks(k, 5, seed=3)
        assert subsets != mnist1d.subtasks(k, 5, seed=4)
    # asking for every possible subset terminates and returns each of them once
    assert sorted(mnist1d.subtasks(9, 10, seed=0)) == sorted(itertools.combinations(range(10), 9))


def test_pretraining_configs_families_counts_and_distinct_seeds():
    """Every family with its declared size; no two runs (of any family) share a seed, so none share initial
    weights."""
    P = _profile()
    configs = mnist1d.pretraining_configs(P)
    assert tuple(configs) == FAMILIES
    sizes = {f: len(runs) for f, runs in configs.items()}
    assert sizes == dict(supervised=3, proto2=3, proto5=3, kway2=5, kway5=5, kway7=5, simclr=3,
                         simclr_pairs=3 * P.pair_seeds, fixmatch=3)
    seeds = [c.seed for runs in configs.values() for c in runs]
    assert len(seeds) == len(set(seeds))
    keys = [_key(c) for runs in configs.values() for c in runs]
    assert len(keys) == len(set(keys))  # no two runs are one cache entry
    for runs in configs.values():
        for c in runs:
            assert c.dataset == "mnist1d" and c.model == "allcnn" and c.save_weights
            assert c.model_options == mnist1d.MODEL and not c.model_options["head_bias"]
            assert c.train_size == P.train_size


def test_pretraining_configs_objectives_and_class_subsets():
    """Prototypical runs use the declared episodes; k-way runs train on their k classes; SimCLR pairs on
    their pairs, seeds of one pair consecutive; FixMatch with the profile's labels."""
    P = _profile(seed=2)
    configs = mnist1d.pretraining_configs(P)
    for family, episode in mnist1d.EPISODES.items():
        assert all(c.objective == "prototypical" and c.episode == episode and c.train_classes is None
                   for c in configs[family])
    for k in mnist1d.KWAY:
        runs = configs[f"kway{k}"]
        assert [c.train_classes for c in runs] == mnist1d.subtasks(k, P.subtasks, P.seed)
        assert all(len(c.train_classes) == k and c.objective == "supervised" for c in runs)
    pairs = mnist1d.simclr_pairs(P)
    assert len(pairs) == 3 and all(len(p) == 2 for p in pairs)
    assert [c.train_classes for c in configs["simclr_pairs"]] == [p for p in pairs for _ in range(P.pair_seeds)]
    assert all(c.objective == "simclr" and c.augmentation == "signal_views" for c in configs["simclr_pairs"])
    assert all(c.objective == "simclr" and c.train_classes is None for c in configs["simclr"])
    assert all(c.objective == "fixmatch" and c.labelled == P.labelled for c in configs["fixmatch"])
    assert all(c.objective == "supervised" and c.train_classes is None for c in configs["supervised"])


def test_length_families_share_steps_and_checkpoint_schedule():
    """Riemann lengths depend on the checkpoint density, so supervised and prototypical runs must record the
    same schedule: the same epochs, checkpoints, batch size and (full) training set."""
    P = _profile()
    configs = mnist1d.pretraining_configs(P)
    schedule = {(c.epochs, c.num_checkpoints, c.batch_size, c.train_size, c.train_classes, c.schedule)
                for f in ("supervised", "proto2", "proto5") for c in configs[f]}
    assert schedule == {(P.epochs, P.checkpoints, 64, P.train_size, None, "cosine")}


def test_pair_families_split_the_simclr_pairs_in_config_order():
    """The B10 families name the pair their runs were trained on (split of the flat list matches the order
    in which :func:`pretraining_configs` lays them out)."""
    P = _profile(pair_seeds=3)
    runs = mnist1d.pretraining_configs(P)["simclr_pairs"]  # the configs stand in for their mapped runs
    groups = mnist1d.pair_families({"simclr_pairs": runs}, P)
    assert list(groups) == [f"simclr_{a}{b}" for a, b in mnist1d.simclr_pairs(P)]
    for name, members in groups.items():
        assert len(members) == P.pair_seeds
        assert all(f"simclr_{c.train_classes[0]}{c.train_classes[1]}" == name for c in members)


def test_start_checkpoints_nearest_distinct_sorted_and_within_the_run():
    """The checkpoint nearest each start epoch; repeats collapse; epochs past the run's end are dropped."""
    run = types.SimpleNamespace(epochs=np.array([0.0, 0.5, 1.1, 2.2, 4.8, 9.5, 12.0]))
    assert mnist1d.start_checkpoints(run) == [2, 3, 4, 5]  # 20 > 12: no start there
    sparse = types.SimpleNamespace(epochs=np.array([0.0, 3.0, 12.0]))
    assert mnist1d.start_checkpoints(sparse) == [0, 1, 2]  # 1 -> 0, 2 and 5 -> 1, 10 -> 2
    full = types.SimpleNamespace(epochs=np.arange(21.0))
    assert mnist1d.start_checkpoints(full) == list(mnist1d.FINETUNE_EPOCHS)  # exact hits, the last epoch kept
    assert mnist1d.start_checkpoints(full, epochs=(5, 1, 5)) == [1, 5]


def _fake_supervised(P, epochs):
    """Supervised "trajectories": the real configs with a recorded epoch per checkpoint."""
    return [types.SimpleNamespace(config=c, epochs=np.asarray(epochs, dtype=float))
            for c in mnist1d.pretraining_configs(P)["supervised"]]


def test_finetune_configs_counts_and_fields():
    """sources x starts x 2 pairs binary fine-tunes and one 10-way fine-tune per source from its earliest
    start; each starts from its source's checkpoint and trains the declared classes and schedule."""
    P = _profile(seeds=3, finetune_sources=2)
    epochs = [0, 0.25, 0.5, 1, 2, 3, 5, 8, 10, 15, 20]
    supervised = _fake_supervised(P, epochs)
    starts = [3, 4, 6, 8, 10]
    out = mnist1d.finetune_configs(P, supervised)
    assert set(out) == {"finetune", "finetune_full"}
    tuned, full = out["finetune"], out["finetune_full"]
    assert len(tuned) == 2 * len(starts) * len(mnist1d.FINETUNE_PAIRS) and len(full) == 2
    expected = [(s, pair, c) for s in range(2) for pair in mnist1d.FINETUNE_PAIRS for c in starts]
    assert [(t["source"], t["pair"], t["checkpoint"]) for t in tuned] == expected
    for item in tuned + full:
        source, config = supervised[item["source"]], item["config"]
        assert config.init_from == source.config.key_dict()
        assert config.init_checkpoint == item["checkpoint"]
        assert item["epoch"] == epochs[item["checkpoint"]]
        assert config.epochs == P.finetune_epochs and config.num_checkpoints == P.finetune_checkpoints
        assert config.train_classes == item["pair"]
        assert config.objective == "supervised" and config.save_weights
    assert all(t["pair"] is not None for t in tuned)
    assert [(f["source"], f["pair"], f["checkpoint"]) for f in full] == [(0, None, 3), (1, None, 3)]
    keys = [_key(item["config"]) for item in tuned + full]
    assert len(keys) == len(set(keys))  # every fine-tune is its own cache entry
    assert {f["config"].seed for f in full}.isdisjoint({t["config"].seed for t in tuned})


# --------------------------------------------------------------------------- mnist1d: the imprinting split
def test_imprint_split_uses_disjoint_halves_of_the_training_set(monkeypatch):
    """Class means from the even training samples, the first ``analysis_size`` odd ones predicted."""
    import netsim.train

    original, loaded = netsim.train.load_training_data, []

    def spy(config):  # keep the training set imprint_split reads (loading it a second time is slow)
        loaded.append((config, original(config)))
        return loaded[-1][1]

    monkeypatch.setattr(netsim.train, "load_training_data", spy)
    P = _profile(train_size=300, analysis_size=100)
    means, analysis = mnist1d.imprint_split(P)
    (config, (train, _)), = loaded
    supervised = mnist1d.pretraining_configs(P)["supervised"][0]
    assert (config.dataset, config.train_size) == (supervised.dataset, supervised.train_size)
    assert len(means) == 150 and len(analysis) == 100
    np.testing.assert_array_equal(means.x, train.x[0::2])
    np.testing.assert_array_equal(analysis.x, train.x[1::2][:100])
    np.testing.assert_array_equal(analysis.y, train.y[1::2][:100])
    assert set(means.y.tolist()) == set(range(10))  # every class has a mean to imprint


# --------------------------------------------------------------------------- small helpers
def test_halves_are_every_split_into_two_disjoint_halves_once():
    """4 runs give the 3 splits and 6 runs the 10; halves disjoint, of n // 2 runs, run 0 first."""
    for n, count in ((4, 3), (6, 10)):
        splits = pe._halves(n)
        assert len(splits) == count
        unordered = {frozenset((frozenset(a.tolist()), frozenset(b.tolist()))) for a, b in splits}
        assert len(unordered) == count  # each split once
        for a, b in splits:
            assert len(a) == len(b) == n // 2 and not set(a) & set(b) and set(a) | set(b) == set(range(n))
            assert a[0] == 0
    assert [(a.tolist(), b.tolist()) for a, b in pe._halves(2)] == [([0], [1])]


def test_halves_of_an_odd_number_of_runs_include_every_split():
    """Docstring: every split into two halves of n // 2 runs, each once, the odd run out left out. Five runs
    have 5 (run left out) x 3 splits of the other four = 15."""
    splits = {frozenset((frozenset(a.tolist()), frozenset(b.tolist()))) for a, b in pe._halves(5)}
    assert frozenset((frozenset({1, 2}), frozenset({3, 4}))) in splits
    assert len(splits) == 15


def test_share_decreasing():
    """Share of the k steps that go down; ties do not count; any non-finite value gives NaN."""
    assert pe._share_decreasing([3, 2, 1]) == 1.0
    assert pe._share_decreasing([1, 2, 3]) == 0.0
    assert pe._share_decreasing([1, 3, 2]) == 0.5
    assert pe._share_decreasing([2, 2, 2]) == 0.0
    assert np.isnan(pe._share_decreasing([3, np.nan, 1]))
    assert np.isnan(pe._share_decreasing([3, np.inf, 1]))


def test_spearman_and_finite_mean_are_nan_where_undefined_without_warnings():
    """Constant sides leave Spearman undefined; a mean of no finite values is NaN; neither warns."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert pe._spearman([1, 2, 3, 4], [8, 6, 4, 1]) == pytest.approx(-1.0)
        assert pe._spearman([1, 2, 3], [1, 4, 9]) == pytest.approx(1.0)
        assert np.isnan(pe._spearman([1, 1, 1], [1, 2, 3])) and np.isnan(pe._spearman([1, 2, 3], [5, 5, 5]))
        assert np.isnan(pe._finite_mean([np.nan, np.nan])) and np.isnan(pe._finite_mean([]))
        assert pe._finite_mean([1.0, np.nan, 3.0, np.inf]) == 2.0


# --------------------------------------------------------------------------- B6
def _b6_mapped(seed=0):
    """Supervised runs walk straight from near-ignorance to near-truth; proto-2 runs between the same kind of
    end points wander to a random distribution at every inner checkpoint; proto-5 runs end at the supervised
    runs' mean final point (so closer to the supervised finals than proto-2)."""
    rng = np.random.default_rng(seed)

    def ends():
        return _noisy(IGNORANCE, 0.02, rng), _noisy(TRUTH, 0.15, rng)

    supervised = [_path(*ends()) for _ in range(4)]
    proto2 = []
    for _ in range(4):
        T = _path(*ends())
        for k in range(1, len(T) - 1):
            T[k] = metrics.geodesic_interpolate(T[k], _normalise(rng.random((N, C)) ** 4), 0.5)
        proto2.append(T)
    centre = _normalise(np.mean([m[-1] for m in supervised], axis=0))
    proto5 = [_path(_noisy(IGNORANCE, 0.02, rng), _noisy(centre, 0.01, rng)) for _ in range(4)]
    return dict(supervised=supervised, proto2=proto2, proto5=proto5)


def test_claim_b6_wandering_paths_are_longer_than_straight_ones():
    """The length ratio is that of the mean ``trajectory_length`` by hand and far above 1; a straight run's
    length is its end points' geodesic distance; the interval holds the value; the seed-pair null sits at 1."""
    mapped = _b6_mapped()
    P = _profile()
    measured, nulls, L = pe.claim_b6(mapped, P)
    length_name = next(iter(measured))
    by_hand = {f: np.array([trajectory_length(m) for m in mapped[f]]) for f in mapped}
    for f in mapped:
        np.testing.assert_allclose(L[f], by_hand[f], rtol=1e-12)
    np.testing.assert_allclose(by_hand["supervised"],
                               [metrics.geodesic_distance(m[0], m[-1]) for m in mapped["supervised"]], rtol=1e-9)
    ratio = measured[length_name]
    assert ratio.value == pytest.approx(by_hand["proto2"].mean() / by_hand["supervised"].mean(), rel=1e-12)
    assert ratio.value > 2 and ratio.low <= ratio.value <= ratio.high
    null = nulls[length_name]
    assert "12 ordered pairs of supervised seeds" in null.method
    assert null.low < 1 < null.high and abs(null.value - 1) < 0.05  # r and 1/r of every pair of seeds
    assert ratio.value > null.high


def test_claim_b6_final_distance_ratio_by_hand_and_relabelling_null():
    """d_B of the proto-5 to the supervised finals over that of proto-2, every pair of runs averaged; the
    relabelled null mixes the two families, so it sits near 1 and above the measured ratio."""
    mapped = _b6_mapped(seed=1)
    measured, nulls, _ = pe.claim_b6(mapped, _profile())
    final_name = list(measured)[1]

    def mean_to_supervised(family):
        return np.mean([metrics.bhattacharyya(x[-1], y[-1]) for x in mapped[family] for y in mapped["supervised"]])

    value = measured[final_name].value
    assert value == pytest.approx(mean_to_supervised("proto5") / mean_to_supervised("proto2"), rel=1e-12)
    assert value < 0.7
    null = nulls[final_name]
    assert "200 relabellings" in null.method
    assert null.low < 1 < null.high and value < null.low


def test_claim_b6_swapping_the_families_inverts_the_length_ratio():
    """A statistic that really compares the families: straight proto-2 and wandering supervised runs give
    the reciprocal ratio."""
    mapped = _b6_mapped()
    swapped = dict(mapped, supervised=mapped["proto2"], proto2=mapped["supervised"])
    forward = next(iter(pe.claim_b6(mapped, _profile(resamples=10))[0].values())).value
    backward = next(iter(pe.claim_b6(swapped, _profile(resamples=10))[0].values())).value
    assert backward == pytest.approx(1 / forward, rel=1e-12) and backward < 0.5


# --------------------------------------------------------------------------- B7
def _kway_mapped(spread, reach, seed=1, runs=4):
    """k-way runs on geodesics from ignorance to a final point at fraction ``reach[k]`` of the way to the
    truth, pulled by ``spread[k]`` towards a run-specific random distribution (the spread between runs)."""
    rng = np.random.default_rng(seed)
    mapped = {}
    for k in mnist1d.KWAY:
        target = _on_truth_geodesic(reach[k])
        mapped[f"kway{k}"] = [_path(IGNORANCE, metrics.geodesic_interpolate(target, _normalise(rng.random((N, C)) ** 3),
                                                                            spread[k]), T=6)
                              for _ in range(runs)]
    return mapped


def test_claim_b7_both_shares_are_one_when_spread_and_distance_fall_with_k():
    """Narrower tubes and finals nearer the truth at every larger k: both shares 1 (every resample too);
    the profile equals the tube radius and d_B to truth computed without the reindexed cache."""
    mapped = _kway_mapped(spread={2: 0.6, 5: 0.2, 7: 0.05}, reach={2: 0.5, 5: 0.7, 7: 0.9})
    grid = metrics.progress_grid(21)
    reindexed = evidence.reindex_tasks(mapped, LABELS, grid)
    measured, nulls, profile = pe.claim_b7(reindexed, mapped, LABELS, grid, _profile(resamples=50, null_draws=60))
    for name, estimate in measured.items():
        assert (estimate.value, estimate.low, estimate.high) == (1.0, 1.0, 1.0), name
        assert nulls[name].value < 0.8  # k relabelled at random: no order left
    radius = [np.nanmean(metrics.tube_radius(mapped[f"kway{k}"], LABELS, grid)) for k in mnist1d.KWAY]
    truth = [np.mean([metrics.bhattacharyya(m[-1], TRUTH) for m in mapped[f"kway{k}"]]) for k in mnist1d.KWAY]
    np.testing.assert_allclose(profile["radius"], radius, rtol=1e-9)
    np.testing.assert_allclose(profile["truth"], truth, rtol=1e-12)
    assert radius[0] > radius[1] > radius[2] and truth[0] > truth[1] > truth[2]


def test_claim_b7_widening_tubes_give_a_zero_radius_share():
    """The same finals' distances with the spread growing with k: the radius share drops to 0, the
    truth share is unaffected in direction."""
    mapped = _kway_mapped(spread={2: 0.02, 5: 0.1, 7: 0.3}, reach={2: 0.3, 5: 0.6, 7: 0.95})
    grid = metrics.progress_grid(21)
    reindexed = evidence.reindex_tasks(mapped, LABELS, grid)
    measured, _, profile = pe.claim_b7(reindexed, mapped, LABELS, grid, _profile(resamples=20, null_draws=10))
    radius_share, truth_share = measured.values()
    assert radius_share.value == 0.0 and truth_share.value == 1.0
    assert profile["radius"][0] < profile["radius"][1] < profile["radius"][2]


# --------------------------------------------------------------------------- B8
def test_claim_b8_identical_families_and_the_split_null():
    """SimCLR and FixMatch runs that *are* the supervised runs: rho(SimCLR, supervised) is 0, so is the
    ratio and FixMatch's early-late difference; the split null has the 3 splits of 4 seeds and equals the
    mean of the split ratios computed from the raw trajectories."""
    mapped = _kway_mapped(spread={2: 0.4, 5: 0.2, 7: 0.05}, reach={2: 0.6, 5: 0.7, 7: 0.8}, seed=3)
    mapped = dict(supervised=mapped["kway5"], kway2=mapped["kway2"], simclr=list(mapped["kway5"]),
                  fixmatch=list(mapped["kway5"]))
    grid = metrics.progress_grid(21)
    reindexed = evidence.reindex_tasks(mapped, LABELS, grid)
    P = _profile(task_resamples=10, null_draws=10)
    measured, nulls = pe.claim_b8(reindexed, LABELS, grid, P)
    ratio_name, fixmatch_name = measured
    assert measured[ratio_name].value == pytest.approx(0.0, abs=1e-6)
    assert measured[fixmatch_name].value == pytest.approx(0.0, abs=1e-6)
    sup = mapped["supervised"]
    below = np.nanmean(metrics.normalised_distance(sup, mapped["kway2"], LABELS, grid))
    splits = [np.nanmean(metrics.normalised_distance([sup[i] for i in a], [sup[i] for i in b], LABELS, grid)) / below
              for a, b in ([(0, 1), (2, 3)], [(0, 2), (1, 3)], [(0, 3), (1, 2)])]
    null = nulls[ratio_name]
    assert "3 splits of the supervised seeds" in null.method
    assert null.value == pytest.approx(np.mean(splits), rel=1e-9) and null.value > 0


# --------------------------------------------------------------------------- B9
START_EPOCHS = (1.0, 2.0, 5.0, 10.0, 20.0)


def _b9_inputs(full_count=2):
    """Fine-tunes that start further along the ignorance-truth geodesic the later their start epoch and move
    a shorter way along it; both pairs move the same amount from the same start (so the d_B travelled
    falls strictly with the epoch, ties only between pairs). The 10-way fine-tunes move by 0.1 and 0.3."""
    starts = dict(zip(START_EPOCHS, (0.1, 0.2, 0.3, 0.4, 0.5)))
    moves = dict(zip(START_EPOCHS, (0.4, 0.3, 0.2, 0.1, 0.05)))
    finetune, runs = [], []
    for pair in mnist1d.FINETUNE_PAIRS:
        for e in START_EPOCHS:
            finetune.append(dict(source=0, pair=pair, checkpoint=0, epoch=e, config=None))
            runs.append(_on_truth_geodesic(np.linspace(starts[e], starts[e] + moves[e], 4)))
    full, full_runs = [], []
    for s, move in enumerate((0.1, 0.3)[:full_count]):
        full.append(dict(source=s, pair=None, checkpoint=0, epoch=1.0, config=None))
        full_runs.append(_on_truth_geodesic(np.linspace(0.1, 0.1 + move, 4)))
    return {"finetune": runs, "finetune_full": full_runs}, {"finetune": finetune, "finetune_full": full}


def test_finetune_table_reads_start_and_end_of_each_run():
    """Per fine-tune: its start epoch and pair, d_B from first to last checkpoint, progress at both ends
    (progress along the truth geodesic is the fraction itself)."""
    mapped, finetunes = _b9_inputs()
    table = pe.finetune_table(mapped["finetune"], finetunes["finetune"], LABELS)
    np.testing.assert_array_equal(table["epoch"], START_EPOCHS * 2)
    assert table["pair"] == [p for p in mnist1d.FINETUNE_PAIRS for _ in START_EPOCHS]
    np.testing.assert_allclose(table["travelled"], [metrics.bhattacharyya(m[0], m[-1]) for m in mapped["finetune"]])
    np.testing.assert_allclose(table["before"], [0.1, 0.2, 0.3, 0.4, 0.5] * 2, atol=1e-6)
    np.testing.assert_allclose(table["after"], [0.5, 0.5, 0.5, 0.5, 0.55] * 2, atol=1e-6)
    assert np.all(np.diff(table["travelled"][:5]) < 0)


def test_claim_b9_rank_correlation_progress_change_and_nulls():
    """Travelled d_B falls with the start epoch: Spearman -1, in every resample within pairs too; the
    permutation null centres on 0; the earliest fine-tunes' progress change and the 10-way null are the
    hand-computed means."""
    mapped, finetunes = _b9_inputs()
    measured, nulls, table = pe.claim_b9(mapped, finetunes, LABELS, _profile(resamples=100, null_draws=300))
    rho_name, change_name = measured
    rho = measured[rho_name]
    assert rho.value == pytest.approx(-1.0) and rho.high == pytest.approx(-1.0)
    permuted = nulls[rho_name]
    assert "300 permutations of the start epochs" in permuted.method
    assert abs(permuted.value) < 0.15 and permuted.low < 0 < permuted.high
    earliest = [m for m, item in zip(mapped["finetune"], finetunes["finetune"]) if item["epoch"] == 1.0]
    assert len(earliest) == 2
    change = np.mean([metrics.progress(m[-1], LABELS) - metrics.progress(m[0], LABELS) for m in earliest])
    assert measured[change_name].value == pytest.approx(change, rel=1e-9)
    assert change == pytest.approx(0.4, abs=1e-6)  # not the mean over every start (0.21)
    full = [metrics.progress(m[-1], LABELS) - metrics.progress(m[0], LABELS) for m in mapped["finetune_full"]]
    assert nulls[change_name].value == pytest.approx(np.mean(full), rel=1e-9)
    assert nulls[change_name].value == pytest.approx(0.2, abs=1e-6)
    np.testing.assert_array_equal(table["epoch"], START_EPOCHS * 2)


def test_claim_b9_travel_growing_with_the_epoch_gives_plus_one_and_one_full_run_no_null():
    """Reversing which starts move furthest flips the sign; a single 10-way fine-tune defines no null."""
    mapped, finetunes = _b9_inputs(full_count=1)
    mapped = dict(mapped, finetune=[m[::-1] for m in mapped["finetune"]][::-1])  # biggest moves last
    table = pe.finetune_table(mapped["finetune"], finetunes["finetune"], LABELS)
    assert np.all(np.diff(table["travelled"][5:]) > 0)
    measured, nulls, _ = pe.claim_b9(mapped, finetunes, LABELS, _profile(resamples=20, null_draws=20))
    rho_name, change_name = measured
    assert measured[rho_name].value == pytest.approx(1.0)
    assert nulls[change_name] is None
