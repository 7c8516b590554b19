"""Tests of netsim.studies.information_distance (study 1's experiment helpers and claims)."""
import math

import numpy as np
import pandas as pd
import pytest
import torch

from netsim.metrics import CodingConfig
from netsim.models import build_model
from netsim.studies import information_distance as S


def _model(seed, widths=(8,), classes=3):
    torch.manual_seed(seed)
    return S.Model({"test": seed, "widths": list(widths)}, build_model("mlp", (1, 5), classes, widths=widths))


@pytest.fixture
def measurer(tmp_path):
    from netsim.cache import ResultCache

    x = np.random.default_rng(0).normal(size=(40, 1, 5)).astype(np.float32)
    return S.Measurer(x, CodingConfig(epochs=2, first_block=8), "test", cache=ResultCache(tmp_path, "d_p"))


def test_claims_cover_1_1_to_1_11():
    assert [c.id for c in S.declare_claims().claims] == [f"1.{i}" for i in range(1, 12)]


def test_relative_change_is_tables_score():
    assert S.relative_change([1.0, 3.0], 2.0) == pytest.approx(0.5)
    assert S.relative_change([2.0, 2.0], 2.0) == 0.0
    assert math.isnan(S.relative_change([1.0, math.nan], 2.0))  # a measure undefined in a scenario
    assert math.isnan(S.relative_change([1.0], 0.0))


def test_grid_keeps_the_ends():
    assert S.grid((1, 2, 3, 4), 2) == (1, 4)
    assert S.grid((1, 2, 3, 4), None) == (1, 2, 3, 4)
    assert S.grid((1, 2, 3, 4), 3) == (1, 2, 4) or S.grid((1, 2, 3, 4), 3) == (1, 3, 4)
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


def test_d_p_is_cached_and_symmetric(measurer):
    a, b = _model(0), _model(1)
    d = measurer.d_p(a, b)
    assert d > 0 and len(measurer.cache.keys()) == 1
    assert measurer.d_p(b, a) == d and len(measurer.cache.keys()) == 1  # one entry per unordered pair
    assert measurer.d_p(a, a) == pytest.approx(0.0, abs=1e-2)  # Adam moves on rounding-level gradients
    assert measurer.to_random(a, seed=1) > 0  # seed 0 would rebuild _model(0) itself: d_p exactly 0


def test_baselines_undefined_across_architectures(measurer):
    a, wide = _model(0), _model(1, widths=(16,))
    same = measurer.baselines(a, _model(1))
    assert all(np.isfinite(v) for v in same.values())
    other = measurer.baselines(a, wide)
    assert all(math.isnan(other[m]) for m in ("param_l2", "param_cosine", "param_emd", "repr_l2", "repr_cosine"))
    assert all(np.isfinite(other[m]) for m in ("repr_emd", "repr_cka", "output_kl"))


def test_scaling_and_swapping_leave_d_p_nearly_unchanged(measurer):
    """The functions are identical, so the only change can come from the fine-tune's dynamics."""
    from netsim import reparam

    a, b = _model(0, widths=(8, 8)), _model(1, widths=(8, 8))
    swapped = S.modified(a, "swap", [0, 1.0], reparam.swap_neurons(a.module, 0, 1.0, seed=0))
    assert measurer.d_p(swapped, b) == pytest.approx(measurer.d_p(a, b), rel=1e-4)


def test_family_ratio():
    D = pd.DataFrame([[0, 1, 4, 4], [1, 0, 4, 4], [4, 4, 0, 2], [4, 4, 2, 0]],
                     index=list("abcd"), columns=list("abcd"), dtype=float)
    assert S.family_ratio(D, {"a": 1, "b": 1, "c": 2, "d": 2}) == pytest.approx(1.5 / 4)
    with pytest.raises(ValueError, match="families"):
        S.family_ratio(D, dict.fromkeys("abcd", 1))


def test_isomap_recovers_the_order_of_points_on_a_line():
    t = np.array([0.0, 1.0, 2.5, 3.0, 5.0, 8.0])
    emb = S.isomap(np.abs(t[:, None] - t[None, :]), n_components=1)
    assert abs(S.spearman(t, emb[:, 0])) == pytest.approx(1.0)


def test_interpolation_claim_on_known_curves():
    c = np.array(S.INTERPOLATION)
    same = pd.DataFrame(dict(setting="same init", c=c, d_p=10 * (1 - np.sqrt(c))))
    bump = pd.DataFrame(dict(setting="different init", c=c, d_p=5 + 20 * c * (1 - c) - 5 * c))
    m = S.interpolation_claim(pd.concat([same, bump]))
    assert m["same init: increases along c"] == 0
    assert m["same init: share of the drop by c = 0.5"] == pytest.approx(np.sqrt(0.5))
    assert m["different init: max interior / d_p at c = 0"] == pytest.approx(7.5 / 5.0)


def test_ensemble_and_regularisation_claims():
    ens = pd.DataFrame(dict(initialisation=["same", "same", "different", "different", "different"],
                            overlap=[0, 0.5, 0, 0.5, 1.0], d_p=[3, 2, 4, 3, 1], gain=[0.3, 0.2, 0.4, 0.3, 0.1]))
    m = S.ensemble_claim(ens)
    assert m["Spearman(overlap, d_p), different init"] == pytest.approx(-1.0)
    assert m["fraction of overlaps with d_p(different init) > d_p(same init)"] == 1.0
    assert m["Pearson(d_p, ensemble gain)"] == pytest.approx(1.0)
    reg = pd.DataFrame(dict(regulariser=["wd", "wd", "ls", "ls"], strength=[0, 1, 0, 1],
                            d_p_to_random=[10.0, 5.0, 10.0, 12.0]))
    fraction, parts = S.regularisation_claim(reg)
    assert fraction == 0.5 and parts["wd: strongest / none"] == 0.5


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


def test_coding_search_is_cached_and_picks_the_minimum(tmp_path, monkeypatch):
    import netsim

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    P = netsim.profiles.resolve(S.PROFILE, "smoke", coding_lrs=(1e-3, 3e-3), k=48, widths=(8,), epochs=1)
    x = S.coding_inputs(P.k)
    coding, table = S.select_coding(P, x, progress=False)
    assert table.shape == (2, 1) and table.to_numpy().min() == table.loc[coding.lr, coding.epochs]
    entries = len(list((tmp_path / "information_distance").glob("*.npz")))
    assert entries == 1
    again, table2 = S.select_coding(P, x, progress=False)  # read back, not recomputed
    assert again == coding and table2.equals(table)
    assert len(list((tmp_path / "information_distance").glob("*.npz"))) == entries
