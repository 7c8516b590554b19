"""Tests of netsim.metrics.codelength (prequential codelength, d_p; study 1)."""
import math

import numpy as np
import pytest
import torch

from netsim.metrics.codelength import (CodingConfig, block_boundaries, distance_to_random,
                                       information_distance, kl_codelength, random_like,
                                       sampled_codelength, select_coding_config)
from netsim.models import build_model

LN2 = math.log(2)


def _mlp(seed, widths=(8,), classes=3):
    torch.manual_seed(seed)
    return build_model("mlp", (1, 5), classes, widths=widths)


def _x(n=40, seed=0):
    return np.random.default_rng(seed).normal(size=(n, 1, 5)).astype(np.float32)


def _probs(model, x):
    with torch.no_grad():
        return torch.softmax(model(torch.as_tensor(x)).double(), 1).numpy()


def _kl_bits(p, q):
    return float(np.sum(p * (np.log(p) - np.log(q)))) / LN2


def test_import_does_not_load_torch():
    import subprocess
    import sys
    code = "import sys, netsim.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("k,t0,S", [(2000, 16, None), (500, 10, 4), (100, 1, 3), (37, 36, None)])
def test_block_boundaries_properties(k, t0, S):
    t = block_boundaries(k, t0, S)
    assert t[0] == t0 and t[-1] == k
    assert np.all(np.diff(t) > 0)
    if S is not None:
        assert len(t) <= S + 1
    ratios = t[1:] / t[:-1]
    if len(t) > 2:  # geometric: ratios nearly constant (rounding aside)
        assert ratios.max() / ratios.min() < 1.5


def test_block_boundaries_doubling_and_single_block():
    assert block_boundaries(64, 8).tolist() == [8, 16, 32, 64]
    assert block_boundaries(5, 5).tolist() == [5]


@pytest.mark.parametrize("kwargs,name", [({"k": 0}, "k"), ({"k": 10, "first_block": 11}, "first_block"),
                                         ({"k": 10, "first_block": 0}, "first_block"),
                                         ({"k": 10, "first_block": 2, "n_blocks": 0}, "n_blocks")])
def test_block_boundaries_bad_input(kwargs, name):
    with pytest.raises(ValueError, match=name):
        block_boundaries(**kwargs)


@pytest.mark.parametrize("field,value", [("lr", 0.0), ("epochs", -1), ("batch_size", 0), ("n_blocks", 0),
                                         ("first_block", 0), ("seed", -1), ("patience", 0), ("tol", 1.0)])
def test_config_bad_input(field, value):
    with pytest.raises(ValueError, match=field):
        CodingConfig(**{field: value})


def test_kl_form_equals_hand_sum_when_fine_tuning_is_noop():
    A, B, x = _mlp(0), _mlp(1), _x()
    res = kl_codelength(A, B, x, CodingConfig(epochs=0, first_block=5))
    pA, pB = _probs(A, x), _probs(B, x)
    t = res.boundaries
    starts = np.concatenate([[0], t[:-1]])
    hand = [_kl_bits(pB[lo:hi], pA[lo:hi]) for lo, hi in zip(starts, t)]
    np.testing.assert_allclose(res.block_bits, hand, rtol=1e-5)
    assert res.bits == pytest.approx(_kl_bits(pB, pA), rel=1e-5)


def test_identical_models_code_in_zero_bits():
    # Exactly 0 without fine-tuning, and with it when the coder keeps theta_A whenever the
    # fine-tune fits the past no better (keep_better). Without that rule Adam rescales
    # float32 round-off gradients at the optimum to steps of size lr and the copy drifts.
    A, x = _mlp(0), _x()
    assert abs(kl_codelength(A, A, x, CodingConfig(epochs=0)).bits) < 1e-9
    assert abs(kl_codelength(A, A, x, CodingConfig(epochs=3, first_block=5)).bits) < 1e-9
    assert information_distance(A, A, x, CodingConfig(epochs=2)).value < 1e-9
    drift = kl_codelength(A, A, x, CodingConfig(epochs=3, first_block=5, lr=1e-2, keep_better=False)).bits
    assert 0 < drift < 1.0


def test_keep_better_only_changes_blocks_where_the_fine_tune_fits_the_past_worse():
    A, B, x = _mlp(0), _mlp(1), _x(64)
    cfg = CodingConfig(epochs=5, first_block=8, lr=3e-3)
    kept, plain = kl_codelength(A, B, x, cfg), kl_codelength(A, B, x, cfg.replace(keep_better=False))
    # Fine-tuning towards a different function fits the past better, so nothing changes here.
    np.testing.assert_allclose(kept.block_bits, plain.block_bits)
    with pytest.raises(ValueError, match="keep_better"):
        CodingConfig(keep_better=1)


def test_fine_tuning_reduces_codelength():
    A, B, x = _mlp(0), _mlp(1), _x(200)
    none = kl_codelength(A, B, x, CodingConfig(epochs=0)).bits
    tuned = kl_codelength(A, B, x, CodingConfig(epochs=20, lr=1e-2, first_block=10)).bits
    assert tuned < none


def test_target_as_probabilities_matches_model():
    A, B, x = _mlp(0), _mlp(1), _x()
    cfg = CodingConfig(epochs=2, first_block=5)
    a = kl_codelength(A, B, x, cfg).bits
    b = kl_codelength(A, _probs(B, x), x, cfg).bits
    assert a == pytest.approx(b, rel=1e-4)


def test_sampled_form_expectation_matches_kl_form():
    # With fine-tuning a no-op, E_y[-log p_A(y) + log p_B(y)] = KL(p_B || p_A) exactly.
    A, B, x = _mlp(0, classes=4), _mlp(1, classes=4), _x(30)
    cfg = CodingConfig(epochs=0, first_block=5)
    kl = kl_codelength(A, B, x, cfg).bits
    draws = np.array([sampled_codelength(A, B, x, cfg, seed=s).bits for s in range(300)])
    se = draws.std() / np.sqrt(len(draws))
    assert abs(draws.mean() - kl) < 4 * se
    assert draws.std() > 0  # the sampled form has variance, the KL form has none


def test_sampled_bits_back_term():
    A, B, x = _mlp(0), _mlp(1), _x()
    res = sampled_codelength(A, B, x, CodingConfig(epochs=1, first_block=5), seed=3)
    assert res.bits_back <= 0
    assert res.block_bits.sum() == pytest.approx(res.bits)


def test_information_distance_symmetric_and_max():
    A, B, x = _mlp(0), _mlp(1), _x()
    cfg = CodingConfig(epochs=2, first_block=5)
    ab, ba = information_distance(A, B, x, cfg), information_distance(B, A, x, cfg)
    assert ab.value == ba.value
    assert ab.value == max(ab.a_given_b.bits, ab.b_given_a.bits)
    assert float(ab) == ab.value


def test_deterministic_under_seed():
    A, B, x = _mlp(0), _mlp(1), _x()
    cfg = CodingConfig(epochs=3, first_block=5, batch_size=8)
    assert kl_codelength(A, B, x, cfg).bits == kl_codelength(A, B, x, cfg).bits


def test_inputs_not_modified():
    A, B, x = _mlp(0), _mlp(1), _x()
    before = [p.clone() for p in A.parameters()]
    kl_codelength(A, B, torch.as_tensor(x), CodingConfig(epochs=2, first_block=5))
    assert all(torch.equal(p, q) for p, q in zip(before, A.parameters()))


def test_convergence_diagnostic():
    A, B, x = _mlp(0), _mlp(1), _x(100)
    res = kl_codelength(A, B, x, CodingConfig(epochs=30, lr=1e-2, patience=None), convergence=True)
    start = kl_codelength(A, B, x, CodingConfig(epochs=0)).bits / len(x)
    assert 0 <= res.final_kl < start
    assert res.converged(start) and not res.converged(0.0)
    with pytest.raises(ValueError, match="final_kl"):
        kl_codelength(A, B, x, CodingConfig(epochs=0)).converged(1.0)


def test_distance_to_random():
    A, x = _mlp(0), _x()
    R = random_like(A, seed=5)
    assert not torch.equal(R.head.weight, A.head.weight)
    assert torch.equal(R.head.weight, random_like(A, seed=5).head.weight)
    d = distance_to_random(A, x, CodingConfig(epochs=1, first_block=5), seed=5)
    assert d.value == information_distance(A, R, x, CodingConfig(epochs=1, first_block=5)).value > 0


def test_select_coding_config_minimises():
    A, B, x = _mlp(0), _mlp(1), _x(60)
    sel = select_coding_config(A, B, x, lrs=(1e-4, 1e-2), epochs=(0, 10), base=CodingConfig(first_block=5))
    assert set(sel.bits) == {(1e-4, 0), (1e-4, 10), (1e-2, 0), (1e-2, 10)}
    best = min(sel.bits, key=sel.bits.get)
    assert (sel.config.lr, sel.config.epochs) == best
    assert sel.config.first_block == 5
    with pytest.raises(ValueError, match="lrs"):
        select_coding_config(A, B, x, lrs=())


def test_bad_input():
    A, B, x = _mlp(0), _mlp(1), _x()
    with pytest.raises(ValueError, match="x"):
        kl_codelength(A, B, np.zeros(5, dtype=np.float32))
    with pytest.raises(ValueError, match="x"):
        kl_codelength(A, B, np.full((4, 1, 5), np.nan))
    with pytest.raises(ValueError, match="target"):
        kl_codelength(A, np.full((len(x), 3), 0.5), x)
    with pytest.raises(ValueError, match="target"):
        kl_codelength(A, np.full((3, 3), 1 / 3), x)
    with pytest.raises(TypeError, match="model_A"):
        kl_codelength("A", B, x)
    with pytest.raises(TypeError, match="config"):
        kl_codelength(A, B, x, config={"lr": 1})


def test_with_head_replaces_only_a_mismatched_head():
    from netsim.metrics.codelength import with_head

    model = _mlp(0, classes=3)
    assert with_head(model, 3) is model
    five = with_head(model, 5, seed=1)
    assert five.head.out_features == 5 and five.num_classes == 5 and model.head.out_features == 3
    x = torch.as_tensor(_x(6))
    torch.testing.assert_close(five.forward_features(x), model.forward_features(x))  # body kept
    torch.testing.assert_close(with_head(model, 5, seed=1).head.weight, five.head.weight)  # seeded
    with pytest.raises(ValueError, match="num_classes"):
        with_head(model, 0)


def test_distance_between_tasks_with_different_class_counts():
    x = _x(48)
    three, five = _mlp(0, classes=3), _mlp(1, classes=5)
    cfg = CodingConfig(epochs=2, first_block=8)
    d = information_distance(three, five, x, cfg)
    assert d.value > 0 and d.value == max(d.a_given_b.bits, d.b_given_a.bits)
    # The direct call names the problem instead of failing inside torch.
    with pytest.raises(ValueError, match="with_head"):
        kl_codelength(three, five, x, cfg)
