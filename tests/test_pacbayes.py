"""Tests of netsim.pacbayes.kl_inverse against a closed form and plain bisection."""
import math

import pytest

from netsim.pacbayes import binary_kl, kl_inverse


def bisection(q, bound, steps=200):
    lo, hi = q, 1.0
    for _ in range(steps):
        mid = (lo + hi) / 2
        if binary_kl(q, mid) <= bound:
            lo = mid
        else:
            hi = mid
    return lo


@pytest.mark.parametrize("q, bound", [(0.05, 0.01), (0.1, 0.2), (0.3, 0.001), (0.5, 1.0), (0.9, 0.05)])
def test_matches_bisection_and_attains_the_bound(q, bound):
    p = kl_inverse(q, bound)
    assert p == pytest.approx(bisection(q, bound), abs=1e-10)
    assert binary_kl(q, p) == pytest.approx(bound, rel=1e-8)
    assert q <= p <= 1


def test_closed_form_at_zero_error():
    for bound in (0.01, 0.5, 3.0):
        assert kl_inverse(0.0, bound) == pytest.approx(1 - math.exp(-bound), rel=1e-14)


def test_edge_cases_and_monotonicity():
    assert kl_inverse(0.2, 0.0) == 0.2
    assert kl_inverse(1.0, 0.3) == 1.0
    assert kl_inverse(0.2, 50.0) == 1.0  # vacuous
    values = [kl_inverse(0.1, b) for b in (0.001, 0.01, 0.1, 1.0)]
    assert values == sorted(values)
    # Tighter than Pinsker's form q + sqrt(bound / 2).
    assert kl_inverse(0.01, 0.02) < 0.01 + math.sqrt(0.02 / 2)


def test_binary_kl_in_nats():
    assert binary_kl(0.5, 0.25) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(0.5 / 0.75))
    assert binary_kl(0.3, 0.3) == 0.0
    assert binary_kl(0.3, 0.0) == math.inf


@pytest.mark.parametrize("q, bound, name", [(-0.1, 0.1, "q"), (1.2, 0.1, "q"), (0.1, -1.0, "bound"),
                                            (0.1, float("nan"), "bound"), (float("nan"), 0.1, "q")])
def test_bad_input_names_the_argument(q, bound, name):
    with pytest.raises(ValueError, match=name):
        kl_inverse(q, bound)
