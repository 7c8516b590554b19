"""Tests of netsim.studies.information_distance (study 1's helpers, data roles and claims)."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

import netsim
from netsim.claims import Check, Claim
from netsim.metrics import CodingConfig, kl_codelength
from netsim.models import build_model
from netsim.studies import information_distance as S
from netsim.studies.information_distance.claims import DECLARATIONS


def _model(seed, widths=(8,), classes=3):
    torch.manual_seed(seed)
    return S.Model({"test": seed, "widths": list(widths)}, build_model("mlp", (1, 5), classes, widths=widths))


@pytest.fixture
def measurer(tmp_path):
    from netsim.cache import ResultCache

    x = np.random.default_rng(0).normal(size=(40, 1, 5)).astype(np.float32)
    return S.Measurer(x, CodingConfig(epochs=2, first_block=8), "test", cache=ResultCache(tmp_path, "d_p"))


@pytest.fixture
def tiny(monkeypatch, tmp_path):
    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    return netsim.profiles.resolve(S.PROFILE, "smoke", k=60, held_out_k=30, widths=(8,), epochs=6, train_size=300)


def test_declarations_keep_checks_apart_and_give_every_claim_a_null():
    reg = S.declare_claims()
    assert [c.id for c in reg.claims] == [f"1.{i}" for i in range(1, 12)]
    assert [c.id for c in reg.checks] == ["C1", "C2", "C3", "C4"]
    assert all(isinstance(d, (Claim, Check)) for d in DECLARATIONS)
    assert all(c.null for c in reg.claims)
    assert all(c.revisions for c in reg.claims)  # every test changed after the first results: recorded


def test_relative_change_is_tables_score():
    assert S.relative_change([1.0, 3.0], 2.0) == pytest.approx(0.5)
    assert S.relative_change([2.0, 2.0], 2.0) == 0.0
    assert math.isnan(S.relative_change([1.0, math.nan], 2.0))  # a measure undefined in a scenario
    assert math.isnan(S.relative_change([1.0], 0.0))


def test_grid_keeps_the_ends():
    assert S.grid((1, 2, 3, 4), 2) == (1, 4)
    assert S.grid((1, 2, 3, 4), None) == (1, 2, 3, 4)
    with pytest.raises(ValueError, match="grid_points"):
        S.grid((1, 2, 3), 1)


@pytest.mark.parametrize("overlap", [0.0, 0.25, 0.5, 0.75, 1.0])
def test_overlap_window_overlaps_half_a_as_asked(overlap):
    from netsim.train import TrainConfig, load_training_data

    def inputs(window):
        train, _ = load_training_data(TrainConfig(train_size=400, train_range=window))
        return {x.tobytes() for x in train.x}

    a, b = inputs(S.HALF_A), inputs(S.overlap_window(overlap))
    assert len(a & b) / len(a) == pytest.approx(overlap, abs=0.01)


def test_coded_inputs_mix_both_halves_and_held_out_inputs(tiny):
    """The leak of the first version: the coded inputs were exactly theta_A's training half."""
    from netsim.data import load_dataset
    from netsim.train import load_training_data

    x, held = S.coding_inputs(tiny), S.held_out_inputs(tiny)
    assert x.shape == (60, 1, 40) and held.shape == (30, 1, 40)
    coded = {v.tobytes() for v in x}
    half = {name: {v.tobytes() for v in load_training_data(S.run_config(tiny, train_range=r))[0].x}
            for name, r in (("A", S.HALF_A), ("B", S.HALF_B))}
    test = {v.tobytes() for v in load_dataset("mnist1d", "test").x}
    assert [len(coded & half["A"]), len(coded & half["B"]), len(coded & test)] == [20, 20, 20]
    assert not coded & {v.tobytes() for v in held} and {v.tobytes() for v in held} <= test
    with pytest.raises(ValueError, match="multiple of 3"):
        S.coding_inputs(netsim.profiles.resolve(S.PROFILE, "smoke", k=61))


def test_at_target_interpolates_to_the_target_loss(tiny):
    from netsim.zoo import train_many

    config = S.run_config(tiny, train_range=S.HALF_A, num_checkpoints=8)
    (run,) = train_many([config], progress=False)
    losses = run.loss["train"]
    target = float((losses[2] + losses[3]) / 2)  # between two checkpoints
    model = S.at_target(config, run, "loss", target)
    assert model.target["reached"] and model.target["value"] == pytest.approx(target, abs=2e-3)
    assert run.epochs[2] <= model.target["epoch"] <= run.epochs[3]
    never = S.at_target(config, run, "loss", float(losses.min()) / 2)
    assert not never.target["reached"] and never.target["epoch"] == run.epochs[-1]


def test_random_models_are_not_the_runs_own_start(tiny):
    """The first version's random model was each run's initialisation (seed 0 = the run's seed)."""
    from netsim.metrics.baselines import parameter_vector
    from netsim.train import TrainConfig, build_final_model
    from netsim.zoo import train_many

    config = S.run_config(tiny, train_range=S.HALF_A)
    (run,) = train_many([config], progress=False)
    model = S.at_target(config, run, "loss", 10.0)
    m = S.Measurer(S.coding_inputs(tiny), CodingConfig(epochs=1), "t", random_seeds=(S.RANDOM_SEED_BASE, S.RANDOM_SEED_BASE + 1))
    randoms = m.random_models(model)
    start = parameter_vector(build_final_model(TrainConfig(**model.key["run"]), weights=run.weights[0]))
    assert len(randoms) == 2 and randoms[0].key != randoms[1].key
    for r in randoms:
        assert not np.allclose(parameter_vector(r.module), start)
    other = S.at_target(config.replace(seed=5), train_many([config.replace(seed=5)], progress=False)[0], "loss", 10.0)
    assert [r.key for r in m.random_models(other)] == [r.key for r in randoms]  # one set per architecture


def test_d_p_is_cached_symmetric_and_codelength_keeps_its_direction(measurer):
    a, b = _model(0), _model(1)
    d = measurer.d_p(a, b)
    assert d > 0 and len(measurer.cache.keys()) == 1
    assert measurer.d_p(b, a) == d and len(measurer.cache.keys()) == 1  # one entry per unordered pair
    direct = kl_codelength(a.module, b.module, measurer.x, measurer.coding).bits  # L'(f_b | f_a)
    assert measurer.codelength(b, a) == pytest.approx(direct)
    assert max(measurer.codelength(b, a), measurer.codelength(a, b)) == pytest.approx(d)
    assert measurer.d_p(a, a) == pytest.approx(0.0, abs=1e-2)


def test_baselines_undefined_across_architectures(measurer):
    a, wide = _model(0), _model(1, widths=(16,))
    assert all(np.isfinite(v) for v in measurer.baselines(a, _model(1)).values())
    other = measurer.baselines(a, wide)
    assert all(math.isnan(other[m]) for m in ("param_l2", "param_cosine", "param_emd", "repr_l2", "repr_cosine"))


def test_scaling_and_swapping_leave_d_p_nearly_unchanged(measurer):
    from netsim import reparam

    a, b = _model(0, widths=(8, 8)), _model(1, widths=(8, 8))
    swapped = S.modified(a, "swap", [0, 1.0], reparam.swap_neurons(a.module, 0, 1.0, seed=0))
    assert measurer.d_p(swapped, b) == pytest.approx(measurer.d_p(a, b), rel=1e-4)


def test_family_ratio_and_its_permutation_null():
    D = pd.DataFrame([[0, 1, 4, 4], [1, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]],
                     index=list("abcd"), columns=list("abcd"), dtype=float)
    family = {"a": 1, "b": 1, "c": 2, "d": 2}
    assert S.family_ratio(D, family) == pytest.approx(1.5 / 4)
    ratio, null = S.family_claim([D, D * 1.1], family)
    assert ratio.value == pytest.approx(1.5 / 4) and null.low > ratio.value  # every other grouping is worse
    assert len(S.distinct_assignments([1, 1, 2, 2])) == 6
    with pytest.raises(ValueError, match="families"):
        S.family_ratio(D, dict.fromkeys("abcd", 1))


def test_isomap_recovers_the_order_of_points_on_a_line():
    t = np.array([0.0, 1.0, 2.5, 3.0, 5.0, 8.0])
    emb = S.isomap(np.abs(t[:, None] - t[None, :]), n_components=1)
    assert abs(S.spearman(t, emb[:, 0])) == pytest.approx(1.0)


def test_interpolation_claim_and_its_same_init_null():
    c = np.array(S.INTERPOLATION)
    rows = []
    for pair in (0, 1):
        rows.append(pd.DataFrame(dict(pair=pair, setting="same init", c=c, d_p=10 * (1 - np.sqrt(c)))))
        rows.append(pd.DataFrame(dict(pair=pair, setting="different init", c=c, d_p=5 + 20 * c * (1 - c) - 5 * c)))
    measured, null = S.interpolation_claim(pd.concat(rows))
    assert measured["same init: increases along c"].value == 0
    assert measured["same init: share of the fall reached at c = 0.5"].value == pytest.approx(np.sqrt(0.5))
    assert measured["different init: max interior / d_p at c = 0"].value == pytest.approx(7.5 / 5.0)
    assert null["different init: max interior / d_p at c = 0"].value < 1  # no bump on the same-init path


def test_ensemble_claim_and_permutation_nulls():
    rows = []
    for pair in (0, 1):
        rows.append(pd.DataFrame(dict(pair=pair, initialisation=["same", "same", "different", "different", "different"],
                                      overlap=[0, 0.5, 0, 0.5, 1.0], d_p=[3, 2, 4, 3, 1],
                                      gain=[0.3, 0.2, 0.4, 0.3, 0.1])))
    measured, null = S.ensemble_claim(pd.concat(rows))
    assert measured["Spearman(overlap, d_p), different init"].value == pytest.approx(-1.0)
    assert measured["fraction of overlaps with d_p(different init) > d_p(same init)"].value == 1.0
    assert measured["Pearson(d_p, ensemble gain)"].value == pytest.approx(1.0)
    assert abs(null["Pearson(d_p, ensemble gain)"]) < 0.5


def test_regularisation_claim_counts_regularisers_at_matched_accuracy():
    rows = []
    for pair, none in ((0, 10.0), (1, 12.0)):
        rows += [dict(pair=pair, regulariser="none", strength=0, reached=True, d_p_to_random=none),
                 dict(pair=pair, regulariser="weight decay", strength=1e-4, reached=True, d_p_to_random=none * 2),
                 dict(pair=pair, regulariser="weight decay", strength=1e-2, reached=True, d_p_to_random=none / 2),
                 dict(pair=pair, regulariser="label smoothing", strength=0.1, reached=True, d_p_to_random=none * 1.5),
                 dict(pair=pair, regulariser="dropout", strength=0.5, reached=False, d_p_to_random=1.0)]
    measured, null = S.regularisation_claim(pd.DataFrame(rows))
    # weight decay counts above its threshold only (reduces); label smoothing raises; dropout never reached
    assert measured.value == 0.5 and measured.low == measured.high == 0.5
    assert null == 0.5  # two seeds: one of the two unregularised runs is below the other


def test_generalisation_claim_is_not_tested_without_enough_runs_at_the_target():
    table = pd.DataFrame(dict(d_p_to_random=np.arange(8.0), gap=-np.arange(8.0) + 0.1 * np.sin(np.arange(8.0)),
                              reached=[True] * 7 + [False]))
    measured, null, note = S.generalisation_claim(table)
    assert measured.value < -0.99 and measured.low < measured.value < measured.high <= 1
    assert abs(null.value) < 0.2 and "7 of 8" in note
    none, none_null, why = S.generalisation_claim(table.assign(reached=[True] * 5 + [False] * 3))
    assert none is None and none_null is None and "only 5" in why
    reg = S.declare_claims()
    assert reg.record("1.11", None, note=why).verdict == "not tested"


def test_seed_floor_uses_the_other_pairs():
    table = pd.DataFrame(dict(pair=[0, 0, 1, 1], scenario=["reference", "retrained"] * 2, d_p=[10.0, 12.0, 8.0, 6.0]))
    np.testing.assert_allclose(S.seed_floor(table), [0.2, 0.25])
    np.testing.assert_allclose(S.seed_floor(table, signed=True), [0.2, -0.25])


def test_prefetch_in_two_processes_matches_the_sequential_values(tmp_path, measurer):
    from netsim.cache import ResultCache
    from netsim.zoo import close_shared_executors

    pairs = [(_model(0), _model(1)), (_model(2), _model(0)), (_model(1), _model(0))]  # last: same pair reversed
    parallel = S.Measurer(measurer.x, measurer.coding, "test", cache=ResultCache(tmp_path, "parallel"), processes=2)
    try:
        parallel.prefetch(pairs, progress=False)
    finally:
        close_shared_executors()
    assert len(parallel.cache.keys()) == 2
    for a, b in pairs:
        assert parallel.d_p(a, b) == measurer.d_p(a, b)


def test_coding_search_is_cached_and_picks_the_minimum(tiny, tmp_path):
    P = netsim.profiles.resolve(S.PROFILE, "smoke", coding_lrs=(1e-3, 3e-3), k=48, widths=(8,), epochs=1, train_size=300)
    x = S.coding_inputs(P)
    coding, table = S.select_coding(P, x, progress=False)
    assert table.shape == (2, 1) and table.to_numpy().min() == table.loc[coding.lr, coding.epochs]
    entries = len(list((tmp_path / "information_distance").glob("*.npz")))
    again, table2 = S.select_coding(P, x, progress=False)  # read back, not recomputed
    assert again == coding and table2.equals(table)
    assert len(list((tmp_path / "information_distance").glob("*.npz"))) == entries


def test_estimator_checks_follow_eq5():
    est = pd.DataFrame(dict(estimator=["KL form (eq. 6)"] + ["sampled labels (eq. 3)"] * 3, bits=[10.0, 11.0, 12.0, 13.0]))
    checks = S.estimator_checks(est, {"self_bits": 0.05})
    assert checks["C2"] == pytest.approx(0.005) and checks["C3"] == pytest.approx(2 / (1 / math.sqrt(3)))
    low = S.estimator_checks(est.assign(bits=[20.0, 11.0, 12.0, 13.0]), {"self_bits": 0.0})
    assert low["C3"] < -3  # a sampled form below the KL form would fail the check


def test_model_families_are_depths_and_the_zoo_knob_is_checked():
    assert S.model_family("mlp-96x3") == "mlp, 3 layers" and S.model_family("cnn-32x3") == "cnn"
    P = netsim.profiles.resolve(S.PROFILE, "smoke")
    assert S.zoo_names(P) == list(S.MODEL_ZOO)
    assert S.zoo_names(netsim.profiles.resolve(S.PROFILE, "smoke", zoo="mlp+cnn"))[-2:] == list(S.CNN_ZOO)
    with pytest.raises(ValueError, match="zoo"):
        S.zoo_names(netsim.profiles.resolve(S.PROFILE, "smoke", zoo="vit"))
