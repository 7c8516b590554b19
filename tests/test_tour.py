"""Tests of netsim.studies.tour: the analyses behind the tour's claims, their nulls and intervals."""
import numpy as np
import pytest

from netsim import metrics
from netsim.claims import Check, Claim
from netsim.studies import tour
from netsim.studies.tour.claims import DECLARATIONS


def _random_probs(m, n, c, seed):
    logits = np.random.default_rng(seed).normal(scale=2.0, size=(m, n, c))
    return np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)


def test_declarations_are_complete_and_checks_are_apart():
    reg = tour.declare_claims()
    assert [c.id for c in reg.checks] == ["T1", "T2", "T7"]
    assert [c.id for c in reg.claims] == ["T3", "T4", "T5", "T6"]
    assert all(c.null and c.expects_null for c in reg.claims)
    assert all(isinstance(d, (Claim, Check)) for d in DECLARATIONS)


def test_parallel_analysis_null_keeps_each_samples_predictions_and_the_ends():
    points = _random_probs(7, 30, 4, 0)
    shuffled = tour.permute_samples_across_models(points, num_models=5, seed=1)
    np.testing.assert_array_equal(shuffled[5:], points[5:])
    for n in range(30):  # the same set of predictions per sample, in another order
        np.testing.assert_array_equal(np.sort(shuffled[:5, n], axis=0), np.sort(points[:5, n], axis=0))
    assert not np.array_equal(shuffled, points)


def test_parallel_analysis_destroys_a_one_dimensional_cloud():
    # models on one geodesic from ignorance to truth: one dominant component; the null spreads them
    labels = np.arange(200) % 5
    path = metrics.geodesic_interpolate(metrics.ignorance(200, 5), metrics.truth(labels, 5), np.linspace(0.05, 0.9, 12))
    points = tour.with_ends(path, labels, 5)
    real = tour.embedding_structure(points, k=1)
    null = tour.embedding_structure_null(points, 12, n_permutations=2)
    assert real[0] > 0.9 and null["stress"].value < real[0]


def test_embedding_structure_reports_the_first_time_like_rank():
    stress, rank = tour.embedding_structure(_random_probs(20, 50, 5, 2), k=3, n_components=10)
    assert 0 < stress <= 1 and 1 <= rank <= 11 and rank == int(rank)


def test_start_distance_is_the_largest_bhattacharyya_distance_to_ignorance():
    probs = _random_probs(3, 40, 5, 3)
    est = tour.start_distance(probs, n_resamples=20)
    assert est.value == pytest.approx(max(metrics.bhattacharyya(p, metrics.ignorance(40, 5)) for p in probs))
    assert est.low <= est.value <= est.high


def test_progress_fit_and_its_run_relabelling_null():
    t = np.linspace(0, 1, 10)
    speeds = np.array([1.0, 2.0, 4.0, 8.0])
    progress = 1 - np.exp(-speeds[:, None] * t)          # (runs, checkpoints)
    error = 0.9 * (1 - progress)                          # error is an exact function of progress
    runs = np.repeat(np.arange(4), 10)
    fit = tour.progress_fit(progress.ravel(), error.ravel(), runs, n_resamples=20)
    assert fit.value == pytest.approx(1.0) and fit.low == pytest.approx(1.0)
    null = tour.progress_fit_null(progress.ravel(), error.ravel(), runs)
    assert null.high < 0.95 and "3 run relabellings" in null.method  # runs at other speeds break the pairing
    with pytest.raises(ValueError, match="same number of checkpoints"):
        tour.progress_fit(progress.ravel()[:-1], error.ravel()[:-1], runs[:-1], n_resamples=20)


def test_progress_fit_by_group_fits_each_architecture_and_optimiser():
    import pandas as pd

    t = np.linspace(0, 1, 10)
    progress = np.concatenate([1 - np.exp(-2 * t), 1 - np.exp(-5 * t)])
    error = np.concatenate([0.9 * (1 - progress[:10]), 0.5 * (1 - progress[10:]) ** 2])
    cloud = tour.Cloud(np.zeros((20, 1, 2)), np.zeros(1, int),
                       pd.DataFrame(dict(model=["mlp"] * 10 + ["allcnn"] * 10, optimizer="sgd", error=error)))
    table = tour.progress_fit_by_group(progress, cloud)
    assert list(table["model"]) == ["mlp", "allcnn"] and list(table["checkpoints"]) == [10, 10]
    assert table.loc[0, "r_squared"] == pytest.approx(1.0) and table.loc[1, "r_squared"] < 1.0
    np.testing.assert_allclose(table["spearman"], -1.0)  # error falls monotonically as progress rises
