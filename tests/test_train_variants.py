"""Tests of the training variants of netsim.train (STUDIES B): prototypical episodes, k-way
subtasks, fine-tuning from a checkpoint, SimCLR and FixMatch; and that plain runs are unchanged."""
import itertools
import math

import numpy as np
import pytest
import torch

from netsim.objectives import fixmatch_loss, labelled_indices, nt_xent_loss, prototypical_loss, sample_episode
from netsim.train import TrainConfig, Trajectory, load_training_data, train_trajectory
from netsim.zoo import trajectory_key


@pytest.fixture(scope="module", autouse=True)
def one_thread_module():
    """One torch thread for the whole module, the module-scoped runs included (a run and its
    repetition must use the same thread count to be bit-equal)."""
    import threadpoolctl

    from netsim.runtime import configure_threads

    threads = torch.get_num_threads()
    configure_threads(1)  # also keeps train_trajectory's first configure_threads() from raising it
    with threadpoolctl.threadpool_limits(1):
        yield
    torch.set_num_threads(threads)


SMALL = dict(train_size=300, eval_train_size=50, eval_test_size=50, batch_size=50, epochs=4, num_checkpoints=5,
             model_options={"widths": [32]})
WEAK = dict(augmentation="shift_noise", augmentation_options={"max_shift": 5, "noise": 0.0})
VARIANTS = {
    "prototypical": dict(objective="prototypical", episode=(5, 5, 5)),
    "kway": dict(train_classes=(3, 5)),
    "simclr": dict(objective="simclr", augmentation="signal_views"),
    "fixmatch": dict(objective="fixmatch", labelled=50, **WEAK, strong_augmentation="signal_views",
                     strong_augmentation_options={"crop": 1.0}),
}


def run(**changes):
    return train_trajectory(TrainConfig(**{**SMALL, **changes}), device="cpu", progress=False)


# --------------------------------------------------------------------------- existing runs unchanged
# Computed with the code before the variants were added (git show 16f8fb0:netsim/train.py).
BEFORE_KEY_DEFAULT = "ee6d5b64c84c58decc83"
BEFORE = dict(train_size=200, eval_train_size=50, eval_test_size=50, batch_size=50, epochs=1, num_checkpoints=3,
              model_options={"widths": [16]})
BEFORE_KEY = "125a8494da7f3f221072"
BEFORE_TEST_LOSS = [2.3149297294638074, 2.311104592169439, 2.3034602537142117]
BEFORE_TRAIN_LOSS = [2.317103689627203, 2.3122744081336477, 2.2975255775512395]


def test_default_key_and_a_short_default_run_are_unchanged():
    assert TrainConfig().key_dict() == {}
    assert trajectory_key(TrainConfig()) == BEFORE_KEY_DEFAULT
    defaults = dict(objective="supervised", episode=None, train_classes=None, init_checkpoint=None, temperature=0.5,
                    labelled=None, threshold=0.95, unlabelled_weight=1.0, strong_augmentation=None,
                    strong_augmentation_options={})
    assert TrainConfig(**defaults).key_dict() == {}
    config = TrainConfig(**BEFORE)
    assert trajectory_key(config) == BEFORE_KEY and not config.is_variant
    t = train_trajectory(config, device="cpu", progress=False)
    assert list(t.steps) == [0, 1, 4] and t.objective_loss is None and "objective_loss" not in t.to_arrays()[0]
    # rtol leaves room for another BLAS only: any change of the draws or the loss moves the 3rd decimal.
    np.testing.assert_allclose(t.loss["test"], BEFORE_TEST_LOSS, rtol=1e-6, atol=0)
    np.testing.assert_allclose(t.loss["train"], BEFORE_TRAIN_LOSS, rtol=1e-6, atol=0)


def test_cache_keys_differ_between_variants():
    configs = [TrainConfig(**SMALL)] + [TrainConfig(**SMALL, **v) for v in VARIANTS.values()] + [
        TrainConfig(**SMALL, **VARIANTS["prototypical"]).replace(episode=(2, 5, 5)),
        TrainConfig(**SMALL, train_classes=(5, 3, 7)),
        TrainConfig(**SMALL, **VARIANTS["simclr"], temperature=0.1),
        TrainConfig(**SMALL, **{**VARIANTS["fixmatch"], "labelled": 100}),
        TrainConfig(**SMALL, **VARIANTS["fixmatch"], threshold=0.5),
    ]
    keys = [trajectory_key(c) for c in configs]
    assert len(set(keys)) == len(keys)
    # Class order does not matter (normalised to sorted), lists and tuples key alike.
    assert trajectory_key(TrainConfig(**SMALL, train_classes=[5, 3])) == trajectory_key(configs[2])
    assert TrainConfig(**SMALL, train_classes=[5, 3]).train_classes == (3, 5)


# --------------------------------------------------------------------------- validation
@pytest.mark.parametrize("field, changes", [
    ("objective", dict(objective="byol")),
    ("episode", dict(episode=(2, 1, 1))),
    ("episode", dict(objective="prototypical")),
    ("episode", dict(objective="prototypical", episode=(1, 1, 1))),
    ("episode", dict(objective="prototypical", episode=(2, 0, 1))),
    ("episode", dict(objective="prototypical", episode=(2, 1, 1.5))),
    ("episode", dict(objective="prototypical", episode=(2, 1))),
    ("episode", dict(objective="prototypical", episode=(3, 1, 1), train_classes=(1, 2))),
    ("train_classes", dict(train_classes=(3,))),
    ("train_classes", dict(train_classes=(3, 3))),
    ("train_classes", dict(train_classes=(-1, 2))),
    ("train_classes", dict(train_classes=(1, 2), random_labels=True)),
    ("init_checkpoint", dict(init_checkpoint=1)),
    ("init_checkpoint", dict(init_checkpoint=-1, init_from={"seed": 1})),
    ("temperature", dict(objective="simclr", augmentation="signal_views", temperature=0.0)),
    ("temperature", dict(temperature=0.1)),
    ("threshold", dict(threshold=0.9)),
    ("threshold", dict(objective="fixmatch", labelled=10, strong_augmentation="signal_views", threshold=1.5)),
    ("unlabelled_weight", dict(unlabelled_weight=2.0)),
    ("labelled", dict(labelled=10)),
    ("labelled", dict(objective="fixmatch", strong_augmentation="signal_views")),
    ("labelled", dict(objective="fixmatch", labelled=0, strong_augmentation="signal_views")),
    ("strong_augmentation", dict(objective="fixmatch", labelled=10)),
    ("strong_augmentation", dict(strong_augmentation="signal_views")),
    ("strong_augmentation", dict(objective="fixmatch", labelled=10, strong_augmentation="mixup")),
    ("augmentation", dict(objective="simclr")),
    ("label_smoothing", dict(objective="prototypical", episode=(2, 1, 1), label_smoothing=0.1)),
])
def test_invalid_settings_raise_naming_the_field(field, changes):
    with pytest.raises(ValueError, match=field):
        TrainConfig(**changes)


def test_data_dependent_checks_name_the_field():
    tiny = dict(train_size=100, eval_train_size=20, eval_test_size=20, epochs=1)  # 10 samples per class
    with pytest.raises(ValueError, match="episode.*way=11"):
        train_trajectory(TrainConfig(**tiny, objective="prototypical", episode=(11, 1, 1)), device="cpu")
    with pytest.raises(ValueError, match="episode.*smallest class"):
        train_trajectory(TrainConfig(**tiny, objective="prototypical", episode=(2, 6, 5)), device="cpu")
    with pytest.raises(ValueError, match="train_classes"):
        train_trajectory(TrainConfig(**tiny, train_classes=(3, 12)), device="cpu")
    with pytest.raises(ValueError, match="labelled"):
        train_trajectory(TrainConfig(**tiny, objective="fixmatch", labelled=101, strong_augmentation="signal_views"),
                         device="cpu")


# --------------------------------------------------------------------------- the losses by hand
def test_episodes_draw_exactly_way_shot_query_of_distinct_classes():
    labels = np.repeat(np.arange(6), [9, 7, 8, 12, 7, 10])
    generator = torch.Generator().manual_seed(0)
    seen = set()
    for _ in range(30):
        classes, support, query = sample_episode(labels, 4, 3, 4, generator)
        assert classes.shape == (4,) and len(set(classes.tolist())) == 4
        assert support.shape == (4, 3) and query.shape == (4, 4)
        for k, c in enumerate(classes.tolist()):
            assert (labels[support[k].numpy()] == c).all() and (labels[query[k].numpy()] == c).all()
        everything = torch.cat([support.flatten(), query.flatten()]).tolist()
        assert len(everything) == len(set(everything)) == 4 * (3 + 4)  # disjoint, no repeats
        seen.update(classes.tolist())
    assert seen == set(range(6))
    again = sample_episode(labels, 4, 3, 4, torch.Generator().manual_seed(0))
    first = sample_episode(labels, 4, 3, 4, torch.Generator().manual_seed(0))
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    with pytest.raises(ValueError, match="way=7"):
        sample_episode(labels, 7, 1, 1, generator)
    with pytest.raises(ValueError, match="shot \\+ query = 8"):
        sample_episode(labels, 2, 4, 4, generator)


def test_prototypical_loss_equals_a_hand_computation():
    support = torch.tensor([[[0.0, 0.0], [2.0, 0.0]], [[0.0, 2.0], [0.0, 4.0]]])  # centroids (1, 0) and (0, 3)
    query = torch.tensor([[[1.0, 1.0]], [[0.0, 0.0]]])
    # query 0 (class 0): squared distances 1 and 5; query 1 (class 1): 1 and 9.
    by_hand = (math.log(1 + math.exp(-4)) + 8 + math.log(1 + math.exp(-8))) / 2
    assert prototypical_loss(support, query).item() == pytest.approx(by_hand, rel=1e-6)
    with pytest.raises(ValueError, match="way, shot, d"):
        prototypical_loss(support[0], query)


def _nt_xent_brute_force(z1, z2, temperature):
    u = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1).double()
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        p = (i + n) % (2 * n)
        s = [float(u[i] @ u[k]) / temperature for k in range(2 * n)]
        total += -s[p] + math.log(sum(math.exp(s[k]) for k in range(2 * n) if k != i))
    return total / (2 * n)


def test_nt_xent_equals_brute_force_and_is_minimal_for_identical_views():
    generator = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    for temperature in (0.5, 0.1, 2.0):
        assert nt_xent_loss(z1, z2, temperature).item() == pytest.approx(_nt_xent_brute_force(z1, z2, temperature),
                                                                        rel=1e-5)
    # Same embeddings, other pairings: the same negatives, a positive of lower cosine.
    z = torch.randn(4, 3, generator=generator)
    identical = nt_xent_loss(z, z).item()
    for perm in itertools.permutations(range(4)):
        if perm != (0, 1, 2, 3):
            assert identical < nt_xent_loss(z, z[list(perm)]).item()
    # Orthonormal embeddings, identical views: -1/t + log(e^(1/t) + 2(n-1)).
    assert nt_xent_loss(torch.eye(3), torch.eye(3), 0.5).item() == pytest.approx(-2 + math.log(math.exp(2) + 4))
    assert nt_xent_loss(torch.eye(3) * 7, torch.eye(3), 0.5).item() == pytest.approx(-2 + math.log(math.exp(2) + 4))


def test_fixmatch_masks_low_confidence_samples():
    logits_labelled = torch.tensor([[2.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    labels = torch.tensor([0, 2])
    logits_weak = torch.tensor([[10.0, 0.0, 0.0], [1.0, 0.9, 0.0], [0.0, 0.0, 8.0], [0.2, 0.1, 0.0]],
                               requires_grad=True)
    logits_strong = torch.randn(4, 3, generator=torch.Generator().manual_seed(0)).requires_grad_(True)
    loss, mask = fixmatch_loss(logits_labelled, labels, logits_weak, logits_strong, threshold=0.95, weight=2.0)
    assert mask.tolist() == [True, False, True, False]
    ce = torch.nn.functional.cross_entropy
    by_hand = ce(logits_labelled, labels) + 2.0 * (ce(logits_strong[[0]], torch.tensor([0]))
                                                   + ce(logits_strong[[2]], torch.tensor([2]))) / 4
    assert loss.item() == pytest.approx(by_hand.item(), rel=1e-6)
    loss.backward()
    assert (logits_strong.grad[[1, 3]] == 0).all() and (logits_strong.grad[[0, 2]] != 0).any()
    assert logits_weak.grad is None  # pseudo-labels carry no gradient
    changed = logits_strong.detach().clone()
    changed[[1, 3]] += 5.0
    again, _ = fixmatch_loss(logits_labelled, labels, logits_weak, changed, 0.95, 2.0)
    assert again.item() == pytest.approx(loss.item())
    assert fixmatch_loss(logits_labelled, labels, logits_weak, changed, 0.0, 2.0)[1].all()


def test_labelled_subset_is_stratified_and_seeded():
    labels = load_training_data(TrainConfig(train_size=300))[0].y
    config = TrainConfig(objective="fixmatch", labelled=50, strong_augmentation="signal_views")
    picked = labelled_indices(config, labels)
    assert len(set(picked.tolist())) == 50 and np.bincount(labels[picked], minlength=10).min() == 5
    assert np.array_equal(picked, labelled_indices(config, labels))
    assert not np.array_equal(picked, labelled_indices(config.replace(seed=1), labels))


# --------------------------------------------------------------------------- augmentations
def test_signal_and_image_views():
    from netsim.data import make_augmentation

    x = torch.randn(6, 1, 40)
    draw = lambda aug, seed=0, data=x: aug(data, torch.Generator().manual_seed(seed))  # noqa: E731
    views = make_augmentation("signal_views")
    assert torch.equal(draw(views), draw(views)) and not torch.equal(draw(views), draw(views, 1))
    shift = make_augmentation("signal_views", crop=1.0, amplitude=(1, 1), noise=0.0)
    for sample, out in zip(x, draw(shift)):
        assert any(torch.equal(torch.roll(sample, k, -1), out) for k in range(-5, 6))
    scale = draw(make_augmentation("signal_views", crop=1.0, max_shift=0, noise=0.0))
    ratio = scale / x
    assert ((ratio >= 0.8 - 1e-6) & (ratio <= 1.2 + 1e-6)).all() and torch.allclose(ratio, ratio[:, :, :1])
    cropped = draw(make_augmentation("signal_views", crop=0.5, max_shift=0, amplitude=(1, 1), noise=0.0))
    # Linear interpolation inside one window: values within the sample's range, not a copy.
    assert (cropped <= x.amax(-1, keepdim=True) + 1e-6).all() and (cropped >= x.amin(-1, keepdim=True) - 1e-6).all()
    assert not torch.allclose(cropped, x)
    images = torch.rand(5, 1, 8, 8)
    flips = draw(make_augmentation("image_views", crop=1.0, noise=0.0), data=images)
    assert all(torch.equal(o, i) or torch.equal(o, i.flip(-1)) for o, i in zip(flips, images))
    resized = draw(make_augmentation("image_views", noise=0.0, flip=False), data=images)
    assert resized.shape == images.shape and not torch.allclose(resized, images)
    for bad in (dict(crop=0.0), dict(amplitude=(1.2, 0.8)), dict(noise=-1.0)):
        with pytest.raises(ValueError):
            make_augmentation("signal_views", **bad)


# --------------------------------------------------------------------------- short runs
@pytest.fixture(scope="module")
def variant_runs():
    return {name: run(**changes, save_weights=True) for name, changes in VARIANTS.items()}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_each_variant_is_deterministic_and_lowers_its_loss(variant_runs, name):
    t = variant_runs[name]
    again = run(**VARIANTS[name], save_weights=True)
    np.testing.assert_array_equal(again.weights, t.weights)
    np.testing.assert_array_equal(again.probs["train"], t.probs["train"])
    np.testing.assert_array_equal(again.objective_loss, t.objective_loss)
    assert not np.array_equal(run(**VARIANTS[name], seed=1).objective_loss[1:], t.objective_loss[1:])
    assert math.isnan(t.objective_loss[0]) and np.isfinite(t.objective_loss[1:]).all()
    assert t.objective_loss[-1] < t.objective_loss[1]
    back = Trajectory.from_arrays(*t.to_arrays())
    np.testing.assert_array_equal(back.objective_loss, t.objective_loss)
    assert back.config == t.config
    # Every objective records the full-task evaluation sets through the model's head.
    for split in ("train", "test"):
        assert t.probs[split].shape == (len(t.steps), 50, 10)


def test_same_steps_and_checkpoints_as_supervised(variant_runs):
    plain = run()
    for name in ("prototypical", "simclr", "fixmatch"):
        np.testing.assert_array_equal(variant_runs[name].steps, plain.steps)
        np.testing.assert_array_equal(variant_runs[name].labels["test"], plain.labels["test"])


def test_body_only_objectives_leave_the_head_untouched(variant_runs):
    n_head = 32 * 10 + 10
    for name in ("prototypical", "simclr"):
        w = variant_runs[name].weights
        np.testing.assert_array_equal(w[-1, -n_head:], w[0, -n_head:])
        assert not np.array_equal(w[-1, :-n_head], w[0, :-n_head])
    w = variant_runs["fixmatch"].weights
    assert not np.array_equal(w[-1, -n_head:], w[0, -n_head:])


def test_k_way_subtask_trains_on_its_classes_and_logits_only(variant_runs):
    config = TrainConfig(**SMALL, **VARIANTS["kway"])
    train, evals = load_training_data(config)
    full_train, full_evals = load_training_data(TrainConfig(**SMALL))
    assert set(train.y.tolist()) == {3, 5} and len(train) == (np.isin(full_train.y, (3, 5))).sum()
    assert train.num_classes == 10  # labels in the original index space
    for split in evals:
        np.testing.assert_array_equal(evals[split].x, full_evals[split].x)
    w = variant_runs["kway"].weights
    head_w = lambda k: w[k, -330:-10].reshape(10, 32)  # noqa: E731  (head weight rows, then biases)
    head_b = lambda k: w[k, -10:]  # noqa: E731  (head biases)
    others = [c for c in range(10) if c not in (3, 5)]
    np.testing.assert_array_equal(head_w(-1)[others], head_w(0)[others])
    np.testing.assert_array_equal(head_b(-1)[others], head_b(0)[others])
    assert not np.array_equal(head_w(-1)[[3, 5]], head_w(0)[[3, 5]])
    # On the evaluation samples of classes 3 and 5 the run separates them better than chance.
    probs, labels = variant_runs["kway"].probs["train"][-1], variant_runs["kway"].labels["train"]
    pair = np.isin(labels, (3, 5))
    assert (np.where(probs[pair][:, 3] > probs[pair][:, 5], 3, 5) == labels[pair]).mean() > 0.5


# --------------------------------------------------------------------------- fine-tuning and the engine
def test_init_checkpoint_starts_from_that_checkpoint_of_the_source(tmp_path, monkeypatch):
    from netsim.zoo import train_many

    monkeypatch.setenv("NETSIM_CACHE", str(tmp_path))
    source = TrainConfig(**SMALL, save_weights=True)
    (base,) = train_many([source], device="cpu", progress=False)
    follow = TrainConfig(**{**SMALL, "epochs": 1}, init_from=source.key_dict(), init_checkpoint=2,
                         train_classes=(3, 5), save_weights=True)
    after = train_trajectory(follow, device="cpu", progress=False)
    np.testing.assert_array_equal(after.weights[0], base.weights[2])
    final = train_trajectory(follow.replace(init_checkpoint=None), device="cpu", progress=False)
    np.testing.assert_array_equal(final.weights[0], base.weights[-1])
    assert len({trajectory_key(follow), trajectory_key(follow.replace(init_checkpoint=1)),
                trajectory_key(follow.replace(init_checkpoint=None))}) == 3
    with pytest.raises(ValueError, match="init_checkpoint=5"):
        train_trajectory(follow.replace(init_checkpoint=5), device="cpu", progress=False)


def test_the_packed_engine_does_not_train_variants(tmp_path):
    from netsim.cache import ResultCache
    from netsim.engine import packable, train_pack
    from netsim.zoo import _jobs, load_trajectory, train_many

    variants = [TrainConfig(**{**SMALL, "epochs": 1}, **VARIANTS["prototypical"], seed=s) for s in range(4)]
    plain = [TrainConfig(**{**SMALL, "epochs": 1}, seed=s) for s in range(4)]
    assert all("sequential" in packable(c) for c in variants) and packable(plain[0]) is None
    assert "sequential" in packable(plain[0].replace(train_classes=(1, 2)))
    with pytest.raises(ValueError, match="cannot be packed"):
        train_pack(variants, device="cpu", progress=False)
    assert _jobs(plain + variants, "packed", "cpu") == [[0, 1, 2, 3], [4], [5], [6], [7]]
    cache = ResultCache(tmp_path, namespace="trajectories")
    runs = train_many(variants, cache=cache, device="cpu", progress=False)  # the default, packed executor
    for config, t in zip(variants, runs):
        assert load_trajectory(config, cache, engine="sequential") is not None
        assert load_trajectory(config, cache, engine="packed") is None
        np.testing.assert_array_equal(t.objective_loss, train_trajectory(config, device="cpu",
                                                                          progress=False).objective_loss)
