"""Tests of netsim.train: checkpoint schedule, config keys, determinism, batch-norm warm-up."""
import numpy as np
import pytest
import torch

from netsim.train import TrainConfig, Trajectory, _warm_up_batch_norm, checkpoint_steps, train_trajectory
from netsim.zoo import trajectory_key

TINY = dict(dataset="mnist1d", train_size=300, eval_train_size=100, eval_test_size=100, model="mlp",
            model_options={"widths": [32], "norm": "batch"}, batch_size=50, epochs=2, lr=0.05,
            num_checkpoints=6)


def test_checkpoint_steps_are_log_spaced_with_ends():
    steps = checkpoint_steps(1000, 12)
    assert steps[0] == 0 and steps[-1] == 1000
    assert np.all(np.diff(steps) > 0) and len(steps) <= 12
    ratios = steps[2:] / steps[1:-1]
    assert ratios.max() / ratios.min() < 1.5  # geometric spacing
    assert list(checkpoint_steps(3, 20)) == [0, 1, 2, 3]  # short runs: fewer, distinct checkpoints
    with pytest.raises(ValueError, match="total_steps"):
        checkpoint_steps(0, 5)


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="optimizer"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr"):
        TrainConfig(lr=0)
    with pytest.raises(ValueError, match="batch_size"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="label_smoothing"):
        TrainConfig(label_smoothing=1.0)


def test_key_depends_only_on_non_default_fields():
    assert TrainConfig().key_dict() == {}
    cfg = TrainConfig(seed=3, model_options={"widths": (8,)})
    assert cfg.key_dict() == {"seed": 3, "model_options": {"widths": (8,)}}
    assert trajectory_key(cfg) == trajectory_key(TrainConfig(model_options={"widths": [8]}, seed=3))
    assert trajectory_key(cfg) != trajectory_key(cfg.replace(seed=4))
    with pytest.raises(TypeError, match="TrainConfig"):
        trajectory_key({"seed": 3})


def test_warm_up_sets_cumulative_batch_statistics():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    x = torch.randn(40, 4) * 3 + 1
    gen = torch.Generator().manual_seed(1)
    _warm_up_batch_norm(model, x, batch_size=10, num_batches=2, generator=gen)
    order = torch.randperm(40, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        pre = model[0](x[order[:20]])
    means = torch.stack([pre[:10].mean(0), pre[10:].mean(0)]).mean(0)
    torch.testing.assert_close(model[1].running_mean, means)
    assert model[1].momentum == 0.1  # restored


@pytest.fixture(scope="module")
def tiny_run():
    return train_trajectory(TrainConfig(**TINY), device="cpu", progress=False)


def test_trajectory_shapes_and_learning(tiny_run):
    t = tiny_run
    assert t.steps[0] == 0 and t.steps[-1] == 12  # 300 samples / 50 per batch * 2 epochs
    for split in ("train", "test"):
        assert t.probs[split].shape == (len(t.steps), 100, 10)
        np.testing.assert_allclose(t.probs[split].sum(-1), 1, atol=1e-5)
        assert np.bincount(t.labels[split], minlength=10).min() == 10  # stratified evaluation subset
    assert t.loss["train"][-1] < t.loss["train"][0]
    # Warmed-up untrained models predict close to uniform: cross-entropy near log 10.
    assert abs(t.loss["test"][0] - np.log(10)) < 0.5


def test_training_is_deterministic(tiny_run):
    again = train_trajectory(TrainConfig(**TINY), device="cpu", progress=False)
    np.testing.assert_array_equal(again.probs["test"], tiny_run.probs["test"])
    other = train_trajectory(TrainConfig(**TINY).replace(seed=1), device="cpu", progress=False)
    assert not np.array_equal(other.probs["test"], tiny_run.probs["test"])


def test_roundtrip_through_arrays(tiny_run):
    back = Trajectory.from_arrays(*tiny_run.to_arrays())
    assert trajectory_key(back.config) == trajectory_key(tiny_run.config)
    np.testing.assert_array_equal(back.probs["train"], tiny_run.probs["train"])
    np.testing.assert_array_equal(back.error["test"], tiny_run.error["test"])


def test_weights_and_random_labels():
    cfg = TrainConfig(**TINY).replace(save_weights=True, random_labels=True, epochs=1, num_checkpoints=3)
    t = train_trajectory(cfg, device="cpu", progress=False)
    n_params = 40 * 32 + 2 * 32 + 32 * 10 + 10  # Linear (no bias before BN), BatchNorm affine, head
    assert t.weights.shape == (len(t.steps), n_params)
    assert not np.array_equal(t.weights[0], t.weights[-1])
    clean = TrainConfig(**TINY)
    from netsim.train import load_training_data

    noisy_train, _ = load_training_data(cfg)
    clean_train, _ = load_training_data(clean)
    np.testing.assert_array_equal(noisy_train.x, clean_train.x)
    assert (noisy_train.y != clean_train.y).mean() > 0.5  # labels redrawn uniformly: ~90% change


def test_init_from_starts_at_the_final_weights_of_a_cached_run(tmp_path, monkeypatch):
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    corner = TrainConfig(**{**TINY, "random_labels": True, "save_weights": True})
    assert TrainConfig(**TINY).key_dict() == TrainConfig(**TINY, init_from=None).key_dict()
    follow = TrainConfig(**{**TINY, "init_from": corner.key_dict(), "save_weights": True, "bn_warmup_batches": 0})
    with pytest.raises(ValueError, match="init_from"):
        train_trajectory(follow, device="cpu", progress=False)
    (base,) = train_many([corner], device="cpu", progress=False)
    after = train_trajectory(follow, device="cpu", progress=False)
    np.testing.assert_allclose(after.weights[0], base.weights[-1])
    assert trajectory_key(follow) != trajectory_key(follow.replace(init_from=None))


PLAIN = {**TINY, "model_options": {"widths": [32], "norm": None}, "bn_warmup_batches": 0}


def test_train_range_windows_are_disjoint_or_overlap_as_asked():
    from netsim.train import load_training_data

    def inputs(window):
        train, _ = load_training_data(TrainConfig(**PLAIN, train_range=window))
        return {x.tobytes() for x in train.x}

    a, b, half = inputs((0, 0.5)), inputs((0.5, 1)), inputs((0.25, 0.75))
    assert len(a) == len(b) == 150 and not a & b
    assert len(a & half) == 75 and len(b & half) == 75
    with pytest.raises(ValueError, match="train_range"):
        TrainConfig(**PLAIN, train_range=(0.6, 0.5))
    assert TrainConfig(**PLAIN).key_dict() == TrainConfig(**PLAIN, train_range=None).key_dict()


def test_build_final_model_reproduces_the_recorded_predictions(tmp_path, monkeypatch):
    from netsim.train import build_final_model, load_training_data
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    config = TrainConfig(**PLAIN, save_weights=True)
    with pytest.raises(ValueError, match="config"):
        build_final_model(config)
    (run,) = train_many([config], device="cpu", progress=False)
    model = build_final_model(config)
    _, evals = load_training_data(config)
    with torch.no_grad():
        probs = torch.softmax(model(torch.as_tensor(evals["test"].x)), dim=1).numpy()
    np.testing.assert_allclose(probs, run.probs["test"][-1], atol=1e-5)
    first = build_final_model(config, weights=run.weights[0])
    assert not np.allclose(torch.nn.utils.parameters_to_vector(first.parameters()).detach().numpy(),
                           run.weights[-1])
    with pytest.raises(ValueError, match="not in the cache"):
        build_final_model(TrainConfig(**TINY, save_weights=True))


def test_build_final_model_restores_batch_norm_buffers(tmp_path, monkeypatch):
    from netsim.train import build_final_model, load_training_data
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    config = TrainConfig(**TINY, save_weights=True)
    (run,) = train_many([config], device="cpu", progress=False)
    model = build_final_model(config)
    _, evals = load_training_data(config)
    with torch.no_grad():
        probs = torch.softmax(model(torch.as_tensor(evals["test"].x)), dim=1).numpy()
    # eval-mode predictions depend on the running statistics: equal only if they were restored
    np.testing.assert_allclose(probs, run.probs["test"][-1], atol=1e-5)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm1d)]
    assert norms and int(norms[0].num_batches_tracked) > 0 and not torch.allclose(norms[0].running_var,
                                                                                    torch.ones_like(norms[0].running_var))
    with pytest.raises(ValueError, match="batch norm"):  # another checkpoint's buffers are not recorded
        build_final_model(config, weights=run.weights[0])
    with pytest.raises(ValueError, match="buffers"):
        build_final_model(config, weights=run.weights[-1], buffers=run.buffers[:-1])
    plain = TrainConfig(**PLAIN, save_weights=True)
    assert train_many([plain], device="cpu", progress=False)[0].buffers is None  # no buffers to record


def test_distill_hard_labels_each_augmented_batch_with_the_teacher(tmp_path, monkeypatch):
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    teacher = TrainConfig(**{**PLAIN, "epochs": 5}, save_weights=True)
    (t,) = train_many([teacher], device="cpu", progress=False)
    student = TrainConfig(**{**PLAIN, "epochs": 5, "seed": 1}, distill_from=teacher.key_dict(), distill_hard=True,
                          augmentation="shift_noise")
    assert trajectory_key(student) != trajectory_key(student.replace(distill_hard=False))
    plain = student.replace(distill_from=None, distill_hard=False)
    s, p = (train_trajectory(c, device="cpu", progress=False) for c in (student, plain))
    agree = lambda run: float((run.probs["test"][-1].argmax(1) == t.probs["test"][-1].argmax(1)).mean())  # noqa: E731
    # the student learns the teacher's decisions (on augmented inputs), not the labels
    assert agree(s) > agree(p)
    assert not np.allclose(s.probs["test"][-1], p.probs["test"][-1])
    with pytest.raises(ValueError, match="distill_from"):
        TrainConfig(**PLAIN, distill_hard=True)
    with pytest.raises(ValueError, match="distill_hard"):
        TrainConfig(**PLAIN, distill_from=teacher.key_dict(), distill_hard=1)


def test_distill_from_trains_on_the_teacher_probabilities(tmp_path, monkeypatch):
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    teacher = TrainConfig(**{**PLAIN, "epochs": 20}, save_weights=True)
    (t,) = train_many([teacher], device="cpu", progress=False)
    student = TrainConfig(**{**PLAIN, "epochs": 20, "seed": 1}, distill_from=teacher.key_dict())
    plain = student.replace(distill_from=None)
    s, p = (train_trajectory(c, device="cpu", progress=False) for c in (student, plain))
    agree = lambda run: float((run.probs["test"][-1].argmax(1) == t.probs["test"][-1].argmax(1)).mean())  # noqa: E731
    # The distilled student copies the teacher's decisions more closely than a run on the labels.
    assert agree(s) > agree(p)
    with pytest.raises(ValueError, match="random_labels"):
        TrainConfig(**PLAIN, random_labels=True, distill_from=teacher.key_dict())


def test_init_offset_moves_weights_but_keeps_keys_and_the_standard_init():
    base = TrainConfig(**{**PLAIN, "epochs": 1, "num_checkpoints": 2})
    assert base.key_dict() == base.replace(init_offset=None).key_dict()
    assert trajectory_key(base) == trajectory_key(base.replace(init_offset=None))
    cornered = base.replace(init_offset=[3, 1])  # normalised to (int, float)
    assert cornered.init_offset == (3, 1.0) and cornered.key_dict()["init_offset"] == (3, 1.0)
    assert trajectory_key(cornered) != trajectory_key(base.replace(init_offset=(4, 1.0)))
    for bad in [(1,), (-1, 1.0), (1, 0.0), (1, float("nan")), (1.5, 1.0), (True, 1.0)]:
        with pytest.raises(ValueError, match="init_offset"):
            base.replace(init_offset=bad)
    with pytest.raises(ValueError, match="init_from"):
        base.replace(init_offset=(0, 1.0), init_from=base.key_dict())
    plain, corner, other_init = (train_trajectory(c, device="cpu", progress=False)
                                 for c in (base.replace(save_weights=True), cornered.replace(save_weights=True),
                                           cornered.replace(save_weights=True, seed=1)))
    delta = corner.weights[0] - plain.weights[0]
    # Only weight matrices move, by a standard Gaussian; biases keep the standard initialisation.
    assert (delta == 0).any() and 0.9 < delta[delta != 0].std() < 1.1
    # A corner is confident; the same corner with another standard init lands near it.
    assert corner.probs["test"][0].max(1).mean() > 0.8 > plain.probs["test"][0].max(1).mean()
    assert (corner.probs["test"][0].argmax(1) == other_init.probs["test"][0].argmax(1)).mean() > 0.5


def test_initial_predictions_are_checkpoint_zero_and_the_warm_up_matters():
    from netsim.train import TrainConfig, initial_predictions, train_trajectory

    config = TrainConfig(dataset="mnist1d", model="mlp", model_options={"norm": "batch"}, epochs=1,
                         batch_size=128, num_checkpoints=2, eval_train_size=100, eval_test_size=100, seed=4)
    trajectory = train_trajectory(config, device="cpu", progress=False)
    warmed = initial_predictions(config, device="cpu")
    for split in ("train", "test"):
        np.testing.assert_array_equal(warmed[split], trajectory.probs[split][0])
    cold = initial_predictions(config, warm_up=False, device="cpu")
    assert not np.allclose(cold["test"], warmed["test"])
    with pytest.raises(TypeError, match="TrainConfig"):
        initial_predictions({"model": "mlp"})


def test_fit_summary_flags_runs_above_the_fit_error():
    from netsim.train import FIT_ERROR, fit_summary

    runs = []
    for seed, final in ((0, 0.01), (1, FIT_ERROR + 0.01)):
        config = TrainConfig(seed=seed, epochs=1)
        runs.append(Trajectory(config, np.array([0, 5]), np.array([0.0, 1.0]), {"train": np.zeros((2, 1, 2))},
                               {"train": np.zeros(1, int)}, {"train": np.ones(2), "test": np.ones(2)},
                               {"train": np.array([0.9, final]), "test": np.array([0.9, 0.3])}, seconds=0.0))
    table = fit_summary(runs)
    assert list(table["fits"]) == [True, False] and list(table["seed"]) == [0, 1]
    assert list(table["test_error"]) == [0.3, 0.3]


def test_init_from_another_task_transfers_the_body_and_keeps_a_fresh_head(tmp_path, monkeypatch):
    import torch

    from netsim.train import TrainConfig, _initial_model, build_final_model, load_training_data
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    source = TrainConfig(train_size=100, epochs=1, save_weights=True, model_options={"widths": [8], "norm": None},
                         dataset_options={"seed": 1, "label_map": (0, 1, 2, 3, 4, 0, 1, 2, 3, 4)})
    train_many([source], progress=False)
    donor = build_final_model(source)
    target = TrainConfig(train_size=100, epochs=1, model_options={"widths": [8], "norm": None},
                         init_from=source.key_dict())
    train, _ = load_training_data(target)
    model, _ = _initial_model(target, train, torch.device("cpu"))
    own, theirs = model.state_dict(), donor.state_dict()
    assert model.head.out_features == 10 and donor.head.out_features == 5
    for k in own:
        if not k.startswith("head."):
            assert torch.equal(own[k], theirs[k]), k


def test_flat_buffers_keep_only_persistent_buffers_and_round_trip():
    from netsim.train import _set_buffers, flat_buffers

    class Lazy(torch.nn.Module):  # like ConViT's rel_indices: a non-persistent buffer made in forward
        def __init__(self):
            super().__init__()
            self.norm = torch.nn.BatchNorm1d(3)
            self.register_buffer("table", torch.arange(4.0), persistent=False)

        def forward(self, x):
            self.register_buffer("lazy", torch.ones(5), persistent=False)
            return self.norm(x)

    model = Lazy()
    model(torch.randn(8, 3))
    flat = flat_buffers(model)
    assert flat.shape == (3 + 3 + 1,)  # running mean, var, num_batches_tracked only
    fresh = Lazy()
    _set_buffers(fresh, flat, "buffers")
    assert torch.equal(fresh.norm.running_mean, model.norm.running_mean) and int(fresh.norm.num_batches_tracked) == 1
    with pytest.raises(ValueError, match="buffers has 6 values"):
        _set_buffers(fresh, flat[:-1], "buffers")
