"""Tests of netsim.engine: a packed run equals its sequential twin, per-run settings included."""
import math

import numpy as np
import pytest

from netsim.engine import PackError, group_into_packs, max_pack_size, pack_key, packable, train_pack
from netsim.train import TrainConfig, train_trajectory

FAMILIES = {"mlp": {"norm": "batch", "widths": (32, 32)}, "mlp-layer": {"norm": "layer", "widths": (32,)},
            "allcnn": {"norm": "batch", "channels": (8, 8)}, "resnet_small": {"norm": "batch"},
            "transformer": {"dim": 16, "depth": 1, "heads": 2}}
TRAIN_SIZE, BATCH = 256, 64


def _configs(family, steps, optimizer="sgd", **extra):
    """Three runs with different seeds and optimiser settings, sharing one pack key."""
    model = family.split("-")[0]
    epochs = steps * BATCH / TRAIN_SIZE
    if optimizer == "adam":
        settings = [dict(optimizer="adam", lr=1e-3, weight_decay=0.0), dict(optimizer="adam", lr=3e-3, weight_decay=1e-2),
                    dict(optimizer="adam", lr=2e-3, label_smoothing=0.1, schedule="constant")]
    else:
        settings = [dict(optimizer="sgd", lr=0.05, momentum=0.9), dict(optimizer="nesterov", lr=0.1, weight_decay=1e-3),
                    dict(optimizer="sgd", lr=0.02, momentum=0.0, label_smoothing=0.1, schedule="constant")]
    return [TrainConfig(model=model, model_options=FAMILIES[family], train_size=TRAIN_SIZE, batch_size=BATCH,
                        epochs=epochs, seed=seed, num_checkpoints=2, eval_train_size=64, eval_test_size=64,
                        save_weights=True, **s, **extra) for seed, s in zip((3, 4, 5), settings)]


def _key_bias_entries(config):
    """Flat indices of the attention key biases, whose gradient is zero analytically (softmax
    ignores a constant added to every logit): Adam's first step, g / (|g| + eps), turns the
    round-off left in them into steps of up to lr, whichever engine computes it."""
    from netsim.models import build_model

    model = build_model(config.model, (1, 40), 10, **config.model_options)
    mask = []
    for name, p in model.named_parameters():
        entry = np.zeros(p.numel(), bool)
        if name.endswith("in_proj_bias"):
            dim = p.numel() // 3
            entry[dim:2 * dim] = True
        mask.append(entry)
    return np.concatenate(mask)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_first_step_of_a_pack_equals_the_sequential_runs(family, optimizer):
    configs = _configs(family, steps=1, optimizer=optimizer)
    packed = train_pack(configs, device="cpu", progress=False)
    for config, run in zip(configs, packed):
        alone = train_trajectory(config, device="cpu", progress=False)
        np.testing.assert_array_equal(run.steps, [0, 1])
        noise = _key_bias_entries(config) if optimizer == "adam" else np.zeros(run.weights.shape[1], bool)
        np.testing.assert_allclose(run.weights[:, ~noise], alone.weights[:, ~noise], atol=1e-6, rtol=0)
        assert np.abs(run.weights[:, noise] - alone.weights[:, noise]).max(initial=0) <= 2 * config.lr
        for split in ("train", "test"):  # batch-norm running statistics enter through eval mode
            np.testing.assert_allclose(run.probs[split], alone.probs[split], atol=1e-6, rtol=0)
            np.testing.assert_allclose(run.loss[split], alone.loss[split], atol=1e-6)


def test_augmentation_draws_follow_each_runs_seed():
    configs = _configs("allcnn", steps=2, augmentation="shift_noise")
    for config, run in zip(configs, train_pack(configs, device="cpu", progress=False)):
        alone = train_trajectory(config, device="cpu", progress=False)
        np.testing.assert_allclose(run.weights, alone.weights, atol=1e-6, rtol=0)


@pytest.mark.parametrize("family", ["mlp", "allcnn", "resnet_small", "transformer"])
def test_two_epochs_of_a_pack_match_sequential_training(family):
    # Round-off grows over training, so whole runs agree statistically, not digit for digit.
    # Stated tolerance: final error within 0.05 (about 3 of the 64 evaluation samples).
    configs = [c.replace(save_weights=False, num_checkpoints=4) for c in _configs(family, steps=2 * TRAIN_SIZE // BATCH)]
    for config, run in zip(configs, train_pack(configs, device="cpu", progress=False)):
        alone = train_trajectory(config, device="cpu", progress=False)
        for split in ("train", "test"):
            assert abs(run.error[split][-1] - alone.error[split][-1]) <= 0.05, (family, config.seed, split)
        np.testing.assert_array_equal(run.steps, alone.steps)


def test_a_diverging_run_is_named():
    configs = _configs("mlp", steps=3)
    configs[1] = configs[1].replace(lr=1e12)
    with pytest.raises(PackError, match=r"seed 4, nesterov lr=1e\+12") as info:
        train_pack(configs, device="cpu", progress=False)
    assert info.value.configs == [configs[1]]


def test_what_packs_and_what_does_not():
    base = TrainConfig(model="mlp", epochs=1)
    assert packable(base) is None
    assert "init_from" in packable(base.replace(init_from=base.key_dict()))
    assert "random labels" in packable(base.replace(random_labels=True))
    assert "dropout" in packable(base.replace(model_options={"dropout": 0.1}))
    assert "packed families" in packable(base.replace(model="timm:resnet18"))
    # per-run fields share a key; SGD and Nesterov pack together, Adam apart, other epochs apart
    assert pack_key(base) == pack_key(base.replace(seed=3, lr=0.1, optimizer="nesterov", weight_decay=1e-3))
    assert pack_key(base) != pack_key(base.replace(optimizer="adam"))
    assert pack_key(base) != pack_key(base.replace(epochs=2))
    configs = [base.replace(seed=s) for s in range(5)] + [base.replace(optimizer="adam")] + [base.replace(random_labels=True)]
    assert group_into_packs(configs, max_pack=2) == [[0, 1], [2, 3], [4], [5], [6]]
    with pytest.raises(ValueError, match="cannot be packed"):
        train_pack([base.replace(random_labels=True)], device="cpu")
    with pytest.raises(ValueError, match="must agree"):
        train_pack([base, base.replace(epochs=2)], device="cpu")


def test_pack_size_adapts_to_memory():
    config = TrainConfig(model="mlp", epochs=1)
    assert 1 <= max_pack_size(config, device="cpu") <= 64
    assert max_pack_size(config, device="cpu", limit=8) <= 8
    assert max_pack_size(config, device="cpu", memory_fraction=1e-12) == 1
    assert math.isfinite(max_pack_size(config, device="cpu"))
