"""Tests of netsim.uncertainty: bootstrap and spread intervals."""
import numpy as np
import pytest

from netsim.claims import Estimate
from netsim.uncertainty import bootstrap, spread


def test_bootstrap_of_a_mean_matches_the_normal_interval():
    x = np.random.default_rng(0).normal(size=400)
    est = bootstrap(lambda idx: x[idx].mean(), len(x), n_resamples=2000, seed=1)
    assert isinstance(est, Estimate) and est.value == pytest.approx(x.mean())
    half = 1.96 * x.std() / np.sqrt(len(x))
    assert est.low == pytest.approx(x.mean() - half, abs=0.3 * half)
    assert est.high == pytest.approx(x.mean() + half, abs=0.3 * half)
    assert "400 samples" in est.method and "2000 resamples" in est.method


def test_bootstrap_is_seeded_and_handles_several_statistics():
    x = np.arange(50.0)
    a = bootstrap(lambda idx: [x[idx].mean(), x[idx].max()], 50, n_resamples=50, seed=3, unit="runs")
    b = bootstrap(lambda idx: [x[idx].mean(), x[idx].max()], 50, n_resamples=50, seed=3, unit="runs")
    assert a == b and len(a) == 2 and "50 runs" in a[0].method
    assert a[1].value == 49 and a[1].high == 49  # the interval is widened to contain the point value
    constant = bootstrap(lambda idx: 2.0, 10, n_resamples=20)
    assert (constant.low, constant.high) == (2.0, 2.0)


@pytest.mark.parametrize("kwargs, match", [(dict(n=1), "n must be"), (dict(level=1.0), "level"),
                                           (dict(n_resamples=3), "n_resamples")])
def test_bootstrap_rejects_bad_arguments(kwargs, match):
    args = dict(n=10) | kwargs
    n = args.pop("n")
    with pytest.raises(ValueError, match=match):
        bootstrap(lambda idx: 0.0, n, **args)


def test_spread():
    est = spread([1.0, 2.0, 6.0])
    assert (est.value, est.low, est.high) == (3.0, 1.0, 6.0) and "3 seeds" in est.method
    assert spread([1.0, 2.0, 6.0], center="median").value == 2.0
    with pytest.raises(ValueError, match="at least 2"):
        spread([1.0])
    with pytest.raises(ValueError, match="NaN"):
        spread([1.0, np.nan])


def test_null_range_is_a_central_range_that_ignores_single_extremes():
    from netsim.uncertainty import null_range

    values = np.r_[np.zeros(99), 100.0]
    est = null_range(values, level=0.9)
    assert est.value == pytest.approx(1.0) and est.low == 0.0 and est.high == pytest.approx(1.0)
    with pytest.raises(ValueError, match="level"):
        null_range([1.0, 2.0], level=1.5)
