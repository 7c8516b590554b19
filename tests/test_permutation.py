"""Tests of netsim.permutation.permanova against a hand computation and known cases."""
import numpy as np
import pytest

from netsim.permutation import permanova


def _points_distance(x):
    return np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))


def test_pseudo_f_equals_the_anova_f_for_euclidean_points_on_a_line():
    x = np.array([0.0, 1.0, 2.0, 10.0, 11.0, 13.0])
    labels = np.array([0, 0, 0, 1, 1, 1])
    res = permanova(np.abs(x[:, None] - x[None]), labels, permutations=10)
    grand, means = x.mean(), [x[labels == g].mean() for g in (0, 1)]
    between = sum(3 * (m - grand) ** 2 for m in means)
    within = sum(((x[labels == g] - means[g]) ** 2).sum() for g in (0, 1))
    assert res.statistic == pytest.approx((between / 1) / (within / 4))


def test_separated_groups_are_significant_and_exchangeable_ones_are_not():
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 1, (10, 3)), rng.normal(4, 1, (10, 3))]
    labels = np.repeat([0, 1], 10)
    assert permanova(_points_distance(x), labels, permutations=199).p_value <= 0.02
    noise = _points_distance(rng.normal(size=(20, 3)))
    p = [permanova(noise, rng.permutation(labels), permutations=99, seed=s).p_value for s in range(20)]
    assert 0.2 < np.mean(p) < 0.8  # uniform-ish under the null


def test_strata_keep_permutations_within_blocks():
    rng = np.random.default_rng(1)
    # the block effect is large, the factor effect absent: a free permutation mixes blocks
    block = np.repeat([0, 1], 8)
    factor = np.tile([0, 1], 8)
    x = rng.normal(size=(16, 2)) + 10 * block[:, None]
    D = _points_distance(x)
    res = permanova(D, factor, strata=block, permutations=99)
    assert res.p_value > 0.05
    assert res.null.shape == (99,)


def test_bad_inputs_name_the_argument():
    D = _points_distance(np.arange(6.0)[:, None])
    with pytest.raises(ValueError, match="labels"):
        permanova(D, np.zeros(6))
    with pytest.raises(ValueError, match="NaN"):
        permanova(np.where(np.eye(6, dtype=bool), 0, np.nan), np.repeat([0, 1], 3))
    with pytest.raises(ValueError, match="square"):
        permanova(D[:5], np.repeat([0, 1], 3))
