"""Tests of netsim.metrics.packed_coding: many KL codelengths (eq. 6) coded together."""
import numpy as np
import pytest
import torch

from netsim.metrics import CodingConfig, kl_codelength
from netsim.metrics.packed_coding import kl_codelengths
from netsim.models import build_model


def _mlp(seed, widths=(16,)):
    torch.manual_seed(seed)
    return build_model("mlp", (1, 12), 4, widths=widths, norm=None)


@pytest.fixture
def x():
    return torch.randn(120, 1, 12, generator=torch.Generator().manual_seed(0))


def test_a_pack_gives_every_pair_the_value_it_gets_alone(x):
    cfg = CodingConfig(lr=1e-2, epochs=6, batch_size=16)
    coders, targets = [_mlp(s) for s in range(4)], [_mlp(10 + s) for s in range(4)]
    together = [c.bits for c in kl_codelengths(coders, targets, x, cfg)]
    alone = [kl_codelengths([c], [t], x, cfg)[0].bits for c, t in zip(coders, targets)]
    assert together == alone  # bit for bit: a value does not depend on its pack


def test_packed_matches_the_sequential_coder_where_training_is_not_chaotic(x):
    # one full-batch Adam step per block: no room for round-off to grow
    cfg = CodingConfig(lr=1e-2, epochs=1, batch_size=1000, patience=None)
    coders, targets = [_mlp(s) for s in range(3)], [_mlp(10 + s) for s in range(3)]
    packed = np.array([c.block_bits for c in kl_codelengths(coders, targets, x, cfg)])
    sequential = np.array([kl_codelength(c, t, x, cfg).block_bits for c, t in zip(coders, targets)])
    np.testing.assert_allclose(packed, sequential, rtol=1e-3, atol=1e-4)


def test_early_stopping_and_keep_better_are_per_pair(x):
    cfg = CodingConfig(lr=1e-2, epochs=30, batch_size=32, patience=2)
    a, b = _mlp(0), _mlp(1)
    same, other = kl_codelengths([b, a], [b, b], x, cfg)  # coding f from itself costs nothing
    assert same.bits == pytest.approx(0.0, abs=1e-9) and other.bits > 0.1


def test_packed_coding_refuses_mixed_architectures_and_bad_lengths(x):
    with pytest.raises(ValueError, match="architecture"):
        kl_codelengths([_mlp(0), _mlp(1, widths=(8,))], [_mlp(2), _mlp(3)], x)
    with pytest.raises(ValueError, match="equal length"):
        kl_codelengths([_mlp(0)], [_mlp(2), _mlp(3)], x)
