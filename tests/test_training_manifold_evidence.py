"""Intervals and nulls of chapter 04 (netsim.studies.training_manifold.evidence, netsim.permutation)."""
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from netsim import metrics
from netsim.claims import Estimate
from netsim.permutation import p_value_estimate, sign_flip_test
from netsim.studies import training_manifold as tm
from netsim.studies.training_manifold import evidence as ev


def _line_cloud(runs=4, steps=8, n=60, c=4, seed=0):
    """Runs that all move from ignorance towards one confident prediction: a 1-d family."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, c, n)
    truth = np.eye(c)[labels]
    probs = []
    for r in range(runs):
        for t in np.linspace(0, 0.9, steps):
            p = (1 - t) / c + t * truth + 1e-3 * rng.random((n, c))
            probs.append(p / p.sum(-1, keepdims=True))
    return np.array(probs), labels, np.repeat(np.arange(runs), steps)


def test_shuffle_keeps_each_samples_predictions_and_breaks_the_models():
    probs, _, _ = _line_cloud()
    out = ev.shuffle_models_per_sample(probs, seed=1)
    assert out.shape == probs.shape
    for n in range(probs.shape[1]):  # each column is a permutation of the models' predictions
        assert np.allclose(np.sort(out[:, n, 0]), np.sort(probs[:, n, 0]))
    assert not np.allclose(out, probs)
    with pytest.raises(ValueError, match="probs"):
        ev.shuffle_models_per_sample(probs[0])


def test_first_negative_rank_orders_by_magnitude():
    assert ev.first_negative_rank([5.0, -4.0, 3.0]) == 2
    assert ev.first_negative_rank([1.0, -9.0, 3.0]) == 1
    assert ev.first_negative_rank([3.0, 2.0, 1.0], top=3) == 4


def test_embedding_bootstrap_point_is_the_embedding_and_the_shuffled_null_is_lower():
    probs, labels, run = _line_cloud()
    c = probs.shape[-1]
    cloud = np.concatenate([probs, metrics.ignorance(len(labels), c)[None], metrics.truth(labels, c)[None]])
    D = metrics.pairwise_bhattacharyya(cloud)
    out = ev.embedding_bootstrap(D, ev.run_points(run), ks=(1, 3), n_resamples=20)
    assert out["stress"][3].value == pytest.approx(metrics.inpca(D).explained_stress(3))
    assert out["stress"][1].low <= out["stress"][1].value <= out["stress"][1].high
    null = ev.shuffled_embedding_null(probs, labels, ks=(1,), draws=2)
    assert null["stress"][1].value < out["stress"][1].value


def test_paired_stress_difference_is_zero_for_the_same_cloud():
    probs, labels, run = _line_cloud()
    D = metrics.pairwise_bhattacharyya(probs)
    diff, b = ev.paired_stress_difference(D, D, ev.run_points(run), k=2, ends=0, n_resamples=20)
    assert diff.value == 0 and diff.low == diff.high == 0
    assert b.value == pytest.approx(metrics.inpca(D).explained_stress(2))


def test_start_distance_is_zero_at_ignorance_and_half_log_c_for_one_hot():
    c = 5
    uniform = np.full((3, 40, c), 1 / c)
    assert ev.start_distance(uniform, n_resamples=20).value == pytest.approx(0, abs=1e-12)
    one_hot = np.eye(c)[np.random.default_rng(0).integers(0, c, (3, 40))]
    assert ev.start_distance(one_hot, n_resamples=20).value == pytest.approx(0.5 * np.log(c))


def test_geodesic_bulge_sees_an_interior_bump_and_its_null_does_not():
    s = np.linspace(0, 1, 50)
    profiles = [(s, 0.02 + np.exp(-((s - 0.5) / 0.15) ** 2) + 0.01 * k) for k in range(5)]
    measured, null = ev.geodesic_bulge(profiles, n_resamples=20, draws=50)
    assert measured.value > 3 and null.high < 1.5
    flat = [(s, np.ones_like(s) + 0.01 * np.random.default_rng(k).random(50)) for k in range(5)]
    assert ev.geodesic_bulge(flat, n_resamples=20, draws=10)[0].value == pytest.approx(1, abs=0.05)


def test_split_ratio_and_its_swap_null():
    train = np.array([0.1, 0.2, 0.3, 0.4])
    measured, null = ev.split_ratio(train, 2 * train, n_resamples=20)
    assert measured.value == pytest.approx(2)
    assert 1 < null.value < 2 and null.low >= 0.5 - 1e-12 and null.high <= 2 + 1e-12


def test_sign_flip_test_and_its_p_value_interval():
    p, mean = sign_flip_test(np.ones(10), alternative="greater", permutations=2000)
    assert mean == 1 and p.value < 0.01 and p.low <= p.value <= p.high
    p_less, _ = sign_flip_test(np.ones(10), alternative="less", permutations=2000)
    assert p_less.value > 0.99
    assert sign_flip_test(np.array([1.0, -1.0] * 5), permutations=2000)[0].value > 0.3
    with pytest.raises(ValueError, match="alternative"):
        sign_flip_test(np.ones(3), alternative="two")
    with pytest.raises(ValueError, match="differences"):
        sign_flip_test(np.array([1.0, np.nan]))
    est = p_value_estimate(0, 999)
    assert est.value == pytest.approx(0.001) and est.low == 0 and 0.003 < est.high < 0.004
    with pytest.raises(ValueError):
        p_value_estimate(5, 3)


def test_tube_bootstrap_small_within_large_between():
    k = 4
    D = np.full((8, 8), 1.0)
    D[:k, :k] = 0.1
    np.fill_diagonal(D, 0)
    est = ev.tube_bootstrap(D, k, [np.arange(4, 6), np.arange(6, 8)], n_resamples=20)
    assert est.value == pytest.approx(0.1) and isinstance(est, Estimate)


def test_augmentation_bootstrap_doubles_and_the_split_null_is_one():
    widths = np.tile(np.linspace(0.1, 0.2, 10), (6, 1))
    mask = np.zeros(10, bool)
    mask[-3:] = True
    est, null = ev.augmentation_bootstrap(widths, 2 * widths, mask, mask, n_resamples=20)
    assert est.value == pytest.approx(2) and null == pytest.approx(1)


def test_rejoin_bootstrap_and_the_held_corner_null():
    c, n = 3, 30
    truth = np.eye(c)[np.arange(n) % c]
    corner = np.eye(c)[(np.arange(n) + 1) % c] * 0.98 + 0.02 / c
    normal_path = np.stack([np.full((n, c), 1 / c), 0.5 / c + 0.5 * truth * 0.98 + 0.01 / c, truth * 0.97 + 0.01])
    follow_path = np.stack([corner, 0.5 * corner + 0.5 * normal_path[1], normal_path[2] * 0.99 + 0.01 / c])
    mk = lambda path: SimpleNamespace(probs={"train": path / path.sum(-1, keepdims=True)})  # noqa: E731
    est, null = ev.rejoin_bootstrap([mk(follow_path)], [mk(normal_path)], n_resamples=20)
    assert est.value < 0.1 and null.value > 1


def test_geodesic_closeness_scales_with_the_distance_to_the_geodesic():
    D = np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]], float)
    assert ev.geodesic_closeness(D, np.array([[0.5, 2], [0.5, 3], [0.5, 1]])) == pytest.approx(0.5)


def test_permanova_f_ratio_prefers_the_factor_that_sets_the_distance():
    rng = np.random.default_rng(0)
    table = pd.DataFrame([dict(model=m, optimizer=o) for m in range(3) for o in range(3) for _ in range(2)])
    X = np.c_[3.0 * table["model"], 0.3 * table["optimizer"]] + 0.05 * rng.normal(size=(len(table), 2))
    D = np.sqrt(((X[:, None] - X[None]) ** 2).sum(-1))
    est = tm.permanova_f_ratio(D, table, n_resamples=20)
    assert est.value > 10 and est.low <= est.value <= est.high


def test_scale_configs_add_a_second_seed_unused_by_the_grid():
    book = tm.PROFILE["book"]
    params = SimpleNamespace(**book)
    small, large, second = tm.scale_configs(params)
    assert second.model == small.model and second.seed != small.seed
    assert second.seed not in {c.seed for c in tm.grid_configs(params) + tm.tube_configs(params)
                               + tm.centroid_configs(params)}


def test_progress_fit_pairs_runs_of_different_lengths_in_its_null():
    rng = np.random.default_rng(0)
    s = np.concatenate([np.linspace(0, 1, n) for n in (5, 7, 6, 8)])
    run = np.concatenate([np.full(n, r) for r, n in enumerate((5, 7, 6, 8))])
    error = 1 - s + 0.01 * rng.normal(size=len(s))
    measured, null = ev.progress_fit(s, error, run, n_resamples=20)
    assert measured.value > 0.99 and null.value < measured.value
    assert null.high <= 1


def test_evidence_summary_groups_claims_by_their_computed_verdict():
    reg = tm.declare_claims()
    reg.record("A20", Estimate(0.03, 0.02, 0.04), null=0.5)
    reg.record("A17", Estimate(0.0, -0.01, 0.01))
    reg.record("A1", Estimate(0.9, 0.85, 0.95), null=Estimate(0.8, 0.7, 0.85))  # the null passes too
    text = tm.evidence_summary(reg)
    assert "**Reproduced** (1 of" in text and "**A20**" in text
    assert "**Inconclusive** (2 of" in text and "null passes the same test: A1." in text
