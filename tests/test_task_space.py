"""Study 5 (task space): mapped trajectories and the B11 check."""
import numpy as np
import pytest

from netsim.metrics.tasks import imprint, imprinted_probs
from netsim.studies import task_space
from netsim.studies.task_space import imprinting
from netsim.train import TrainConfig, build_final_model, train_trajectory

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def run():
    """A tiny 2-way sprite run (round_filled) with weights at 3 checkpoints."""
    config = TrainConfig(dataset="sprites", dataset_options=dict(size=12, shapes="round_filled", n_per_class=20),
                         model="allcnn", model_options=dict(channels=(4, 8), norm="layer", head_bias=False),
                         optimizer="adam", lr=0.01, batch_size=16, epochs=2, num_checkpoints=3,
                         save_weights=True, eval_train_size=None, eval_test_size=None)
    return train_trajectory(config, progress=False)


def test_mapped_trajectory_matches_imprinting_each_checkpoint(run):
    """Each mapped checkpoint equals imprinting the rebuilt model's body features by hand; rows are distributions."""
    from netsim.data import load_dataset

    union = load_dataset("sprites", "test", size=12, shapes="union", n_per_class=5)
    mapped = imprinting.mapped_trajectory(run, union.x, union.y, union.x[:7], union.num_classes)
    assert mapped.shape == (len(run.weights), 7, union.num_classes)
    np.testing.assert_allclose(mapped.sum(-1), 1.0, atol=1e-12)
    model = build_final_model(run.config, weights=run.weights[1])
    F = imprinting.body_features(model, union.x)
    expected = imprinted_probs(F[:7], imprint(F, union.y, union.num_classes))
    np.testing.assert_allclose(mapped[1], expected, atol=1e-12)
    assert not np.allclose(mapped[0], mapped[-1])  # training moved the mapped model


def test_mapped_trajectory_needs_weights(run):
    """A run without recorded weights is refused with a message naming the cause."""
    bare = type(run)(**{**run.__dict__, "weights": None})
    with pytest.raises(ValueError, match="save_weights"):
        imprinting.mapped_trajectory(bare, np.zeros((2, 1, 12, 12)), np.array([0, 1]), np.zeros((1, 1, 12, 12)), 2)


def test_map_tasks_on_workers_equals_in_process(run):
    """Two worker processes give the same mapped trajectories, in the same task and run order."""
    from netsim.data import load_dataset

    union = load_dataset("sprites", "test", size=12, shapes="union", n_per_class=3)
    other = run.config.replace(seed=1)
    runs = {"a": [run], "b": [train_trajectory(other, progress=False), run]}
    here = imprinting.map_tasks(runs, union, union, progress=False)
    pooled = imprinting.map_tasks(runs, union, union, processes=2, progress=False)
    assert list(pooled) == ["a", "b"] and [len(v) for v in pooled.values()] == [1, 2]
    for task in runs:
        for x, y in zip(here[task], pooled[task]):
            np.testing.assert_allclose(x, y, atol=1e-6)  # float32 forward passes in another process
    assert not np.allclose(here["b"][0], here["b"][1])  # the two runs of b differ: order is tested


def test_orthogonal_invariance_check_is_exact_and_can_fail():
    """B11 measures ~1e-15 for imprinting; the same measurement on a non-orthogonal map is large."""
    rng = np.random.default_rng(0)
    F, y = rng.standard_normal((60, 6)), np.repeat(np.arange(3), 20)
    assert imprinting.orthogonal_invariance(F, y, 3) < 1e-12
    A = rng.standard_normal((6, 6))
    G = F @ A.T
    moved = np.abs(imprinted_probs(G, imprint(G, y, 3)) - imprinted_probs(F, imprint(F, y, 3))).max()
    assert moved > 1e-3


def test_declarations_build_a_strict_registry():
    """The declarations of B1-B10 and B11 form a valid strict registry (every claim names its null)."""
    registry = task_space.registry()
    ids = [d.id for d in task_space.DECLARATIONS]
    assert ids == ["B11"] + [f"B{k}" for k in range(1, 11)]
    assert all(d.null for d in task_space.DECLARATIONS if d.kind == "claim")
    assert registry is not None
