"""Study 5's hierarchy design: the tree distances, the random-pair null tasks and the run configurations."""
import types

import pytest

from netsim.studies.task_space import design


def test_tree_distance_is_the_path_metric_of_the_designed_tree():
    """Siblings meet at their group (2), cousins at the root (4), a task and its parent node are adjacent (1)."""
    assert design.tree_distance("round_filled", "round_outline") == 2
    assert design.tree_distance("round_filled", "angular_filled") == 4
    assert design.tree_distance("round", "round_filled") == 1
    assert design.tree_distance("union", "angular") == 1
    assert design.tree_distance("random4", "union") == 0          # both span the root
    tasks = design.HIERARCHY_TASKS
    for a in tasks:
        for b in tasks:
            assert design.tree_distance(a, b) == design.tree_distance(b, a)
            for c in tasks:  # a metric on nodes: the triangle inequality
                assert design.tree_distance(a, c) <= design.tree_distance(a, b) + design.tree_distance(b, c)


def test_random_pairs_are_distinct_leaf_pairs_and_seeded():
    """The null tasks are distinct 2-leaf sets of the 8 leaves, the same for the same seed."""
    pairs = design.random_pair_tasks(5, seed=3)
    assert len(set(pairs)) == 5
    assert all(len(p) == 2 and p[0] != p[1] and set(p) <= set(design.LEAVES) for p in pairs)
    assert pairs == design.random_pair_tasks(5, seed=3) and pairs != design.random_pair_tasks(5, seed=4)


def test_hierarchy_configs_never_share_a_run_seed():
    """Every task gets P.seeds runs, with run seeds unique across tasks (no shared initial weights)."""
    P = types.SimpleNamespace(seeds=3, n_per_class=10, epochs=1, checkpoints=3, null_pairs=2, seed=0)
    configs = design.hierarchy_configs(P)
    assert len(configs) == len(design.HIERARCHY_TASKS) + 2
    seeds = [c.seed for runs in configs.values() for c in runs]
    assert len(seeds) == len(set(seeds)) == 3 * len(configs)
    assert all(c.save_weights and not c.model_options["head_bias"] for runs in configs.values() for c in runs)


@pytest.mark.parametrize("task", ["round", ("disk", "ring")])
def test_hierarchy_config_trains_only_the_task_leaves(task):
    """A task's run draws only its own leaves (its data set has one class per leaf)."""
    from netsim.data import load_dataset

    P = types.SimpleNamespace(n_per_class=4, epochs=1, checkpoints=2)
    config = design.hierarchy_config(task, 0, P)
    data = load_dataset(config.dataset, "train", **config.dataset_options)
    assert data.num_classes == len(design._leaves(task))


def test_tree_correlation_recovers_the_designed_tree():
    """Task distances equal to the tree's path lengths give correlation 1; permuted leaves less; NaN gives NaN."""
    import numpy as np

    from netsim.studies.task_space import evidence

    tasks = design.HIERARCHY_TASKS
    D = np.array([[design.tree_distance(a, b) for b in tasks] for a in tasks], dtype=float)
    assert evidence.tree_correlation(D, tasks) == pytest.approx(1.0)
    rng = np.random.default_rng(0)
    assert np.nanmean([evidence.tree_correlation(D, tasks, evidence._permuted_tree(rng)) for _ in range(20)]) < 0.9
    D[0, 1] = D[1, 0] = np.nan
    assert np.isnan(evidence.tree_correlation(D, tasks))


def test_run_bootstrap_and_early_late():
    """The point value uses every run once; early/late average the first and last fifth of the defined points."""
    import numpy as np

    from netsim.studies.task_space import evidence

    values = {"a": np.array([1.0, 2.0, 3.0]), "b": np.array([10.0, 10.0])}
    est = evidence.run_bootstrap(lambda c: values["a"][c["a"]].mean() + values["b"][c["b"]].mean(),
                                 {"a": 3, "b": 2}, n_resamples=50, seed=0)[0]
    assert est.value == 12.0 and 11.0 <= est.low <= est.value <= est.high <= 13.0
    profile = np.array([np.nan, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, np.nan])
    assert evidence.early_late(profile) == (1.0, 8.5)
    assert all(np.isnan(evidence.early_late(np.full(5, np.nan))))
