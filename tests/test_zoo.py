"""Tests of netsim.zoo: train once, resume after interruption, recompute corrupt entries."""
import numpy as np
import pytest

import netsim.zoo as zoo
from netsim.cache import CorruptEntryWarning, ResultCache
from netsim.train import TrainConfig, Trajectory


def fake_trajectory(config, device="cpu"):
    """A cheap stand-in for training whose numbers depend on the seed."""
    rng = np.random.default_rng(config.seed)
    probs = rng.dirichlet(np.ones(3), size=(2, 4)).astype(np.float32)
    labels = np.arange(4) % 3
    return Trajectory(config, np.array([0, 5]), np.array([0.0, 1.0]), {"train": probs}, {"train": labels},
                      {"train": np.array([1.0, 0.5])}, {"train": np.array([0.7, 0.2])}, seconds=0.0)


@pytest.fixture
def counting(monkeypatch):
    calls = []

    def trainer(configs, device):
        out = []
        for config in configs:
            calls.append(config.seed)
            if config.seed == 99:
                raise KeyboardInterrupt  # simulates a killed sweep
            out.append(fake_trajectory(config))
        return ("packed" if len(configs) > 1 else "sequential"), out

    monkeypatch.setattr(zoo, "_train_job", trainer)
    return calls


SEQUENTIAL = zoo.LocalExecutor(engine="sequential")


def test_trains_each_configuration_once(tmp_path, counting):
    cache = ResultCache(tmp_path, "trajectories")
    configs = [TrainConfig(seed=s) for s in (0, 1, 1, 2)]  # a duplicate is trained once
    first = zoo.train_many(configs, cache=cache, progress=False)
    assert counting == [0, 1, 2]
    second = zoo.train_many(configs, cache=cache, progress=False)
    assert counting == [0, 1, 2]  # all read back from the cache
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.probs["train"], b.probs["train"])
    assert second[1].probs["train"] is not None and len(cache.keys()) == 3


def test_interrupted_sweep_resumes(tmp_path, counting):
    cache = ResultCache(tmp_path, "trajectories")
    configs = [TrainConfig(seed=s) for s in (0, 1, 99, 3)]
    with pytest.raises(KeyboardInterrupt):
        zoo.train_many(configs, cache=cache, progress=False, executor=SEQUENTIAL)
    assert len(cache.keys()) == 2  # the finished runs were saved as they finished
    counting.clear()
    configs[2] = TrainConfig(seed=2)
    zoo.train_many(configs, cache=cache, progress=False, executor=SEQUENTIAL)
    assert counting == [2, 3]


def test_packs_are_keyed_apart_and_reused_by_either_lookup(tmp_path, counting):
    cache = ResultCache(tmp_path, "trajectories")
    configs = [TrainConfig(seed=s, epochs=1) for s in range(5)] + [TrainConfig(seed=0, epochs=2)]
    zoo.train_many(configs, cache=cache, progress=False)  # packed engine: one pack of 5, one single run
    assert counting == [0, 1, 2, 3, 4, 0]
    assert sorted(cache.keys()) == sorted([zoo.trajectory_key(c, "packed") for c in configs[:5]]
                                          + [zoo.trajectory_key(configs[5])])
    assert zoo.load_trajectory(configs[0], cache) is not None            # either engine
    assert zoo.load_trajectory(configs[0], cache, engine="sequential") is None
    zoo.train_many(configs, cache=cache, progress=False)
    assert len(counting) == 6  # all cached
    zoo.train_many(configs[:1], cache=cache, progress=False, executor=SEQUENTIAL)
    assert counting[6:] == [0]  # a sequential sweep does not take the packed run
    with pytest.raises(ValueError, match="engine must be"):
        zoo.LocalExecutor(engine="fast")


def test_corrupt_entry_is_retrained(tmp_path, counting):
    cache = ResultCache(tmp_path, "trajectories")
    cfg = TrainConfig(seed=5)
    zoo.train_many([cfg], cache=cache, progress=False)
    cache.path(zoo.trajectory_key(cfg)).write_bytes(b"\0" * 10)
    with pytest.warns(CorruptEntryWarning):
        zoo.train_many([cfg], cache=cache, progress=False)
    assert counting == [5, 5]
    assert zoo.load_trajectory(cfg, cache) is not None


def test_local_process_pool_matches_serial():
    ex = zoo.LocalExecutor(processes=2)
    results = dict(ex.map_unordered(abs, [-3, 4, -5]))
    assert results == {0: 3, 1: 4, 2: 5}
    with pytest.raises(ValueError, match="processes"):
        zoo.LocalExecutor(processes=0)


def test_real_training_roundtrip(tmp_path):
    cfg = TrainConfig(train_size=200, eval_train_size=50, eval_test_size=50, model="mlp",
                      model_options={"widths": [16]}, batch_size=50, epochs=1, num_checkpoints=3)
    cache = ResultCache(tmp_path, "trajectories")
    (trained,) = zoo.train_many([cfg], cache=cache, progress=False)
    loaded = zoo.load_trajectory(cfg, cache)
    np.testing.assert_array_equal(loaded.probs["test"], trained.probs["test"])
    np.testing.assert_array_equal(loaded.steps, trained.steps)


def _threads_in_worker(_):
    import torch

    return torch.get_num_threads()


def test_pool_workers_are_spawned_with_the_given_threads():
    import torch

    torch.ones(1000, 1000) @ torch.ones(1000, 1000)  # start this process's thread pool first (fork would hang)
    results = dict(zoo.LocalExecutor(processes=2, threads=1).map_unordered(_threads_in_worker, [0, 1]))
    assert results == {0: 1, 1: 1}
    kept = zoo.LocalExecutor(processes=2, persistent=True)
    assert dict(kept.map_unordered(abs, [-1, 2])) == {0: 1, 1: 2}
    pool = kept._pool
    assert dict(kept.map_unordered(abs, [-3])) == {0: 3} and kept._pool is pool  # reused
    kept.close()
    assert kept._pool is None
    with pytest.raises(ValueError, match="threads"):
        zoo.LocalExecutor(processes=2, threads=0)


SWEEPER = """
import json, sys
import netsim.zoo as zoo
from netsim.cache import ResultCache
from netsim.train import TrainConfig
root, seeds, out = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
cache = ResultCache(root, "trajectories")
report = {"trained": [], "cached": [], "taken": []}
for seed in seeds:  # one sweep per configuration: each starts with the cache's clean-up
    summary = {}
    zoo.train_many([TrainConfig(train_size=200, eval_train_size=50, eval_test_size=50, model="mlp",
                                model_options={"widths": [16]}, batch_size=50, epochs=2, seed=seed)],
                   cache=cache, executor=zoo.LocalExecutor(engine="sequential"), progress=False, summary=summary)
    for k in report:
        report[k] += summary[k]
json.dump(report, open(out, "w"))
"""


@pytest.mark.slow
def test_two_processes_sweep_overlapping_configurations_into_one_cache(tmp_path):
    import json
    import subprocess
    import sys
    import time

    cache = ResultCache(tmp_path, "trajectories")
    env = dict(__import__("os").environ, OMP_NUM_THREADS="1")
    a = subprocess.Popen([sys.executable, "-c", SWEEPER, str(tmp_path), json.dumps(list(range(0, 8))),
                          str(tmp_path / "a.json")], env=env)
    deadline = time.time() + 120
    while len(cache.keys()) < 2 and a.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    before_b = {k: cache.path(k).stat().st_mtime_ns for k in cache.keys()}
    assert a.poll() is None, "the first sweep finished before the second started: nothing ran at once"
    b = subprocess.Popen([sys.executable, "-c", SWEEPER, str(tmp_path), json.dumps(list(range(4, 12))[::-1] + [0, 1]),
                          str(tmp_path / "b.json")], env=env)
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    ra, rb = (json.loads((tmp_path / f"{n}.json").read_text()) for n in "ab")
    key_of = lambda s: zoo.trajectory_key(TrainConfig(train_size=200, eval_train_size=50, eval_test_size=50,  # noqa: E731
                                                   model="mlp", model_options={"widths": [16]}, batch_size=50,
                                                   epochs=2, seed=s))
    keys = {key_of(s) for s in range(12)}
    swept_by_b = {key_of(s) for s in list(range(4, 12)) + [0, 1]}
    assert set(cache.keys()) == keys and not list(cache.folder.glob(".*.tmp"))
    for k in keys:  # every entry is complete and readable
        assert cache.load(k) is not None
    assert len(before_b) >= 2
    seen = set(before_b) & swept_by_b  # complete before B looked at them (0 and 1 at least)
    assert {key_of(0), key_of(1)} <= seen <= set(rb["cached"]) and not seen & set(rb["trained"])  # not retrained
    for k, mtime in before_b.items():
        assert cache.path(k).stat().st_mtime_ns == mtime  # nor rewritten
    for r in (ra, rb):
        assert sorted(r["trained"] + r["cached"] + r["taken"]) == sorted(set(r["trained"] + r["cached"] + r["taken"]))


def test_a_notebook_selects_the_executor_by_one_parameter(monkeypatch):
    import netsim.cluster

    made = []
    monkeypatch.setattr(netsim.cluster, "dask_executor",
                        lambda address=None, engine="packed", n_workers=2: made.append((address, engine)) or "dask!")
    monkeypatch.delenv("NETSIM_EXECUTOR", raising=False)
    try:
        assert zoo.use_executor(None) == "local"
        assert isinstance(zoo.executor_for(1), zoo.LocalExecutor)
        assert zoo.executor_for(2, engine="sequential").engine == "sequential"
        assert zoo.use_executor("tcp://127.0.0.1:8786") == "dask"
        assert zoo.executor_for(2, engine="sequential") == "dask!"
        assert made == [("tcp://127.0.0.1:8786", "sequential")]
        monkeypatch.setenv("NETSIM_EXECUTOR", "dask")
        assert zoo.use_executor(None) == "dask"
        with pytest.raises(ValueError, match="executor must be one of"):
            zoo.use_executor("slurm")
        with pytest.raises(ValueError, match="executor must be one of"):
            zoo.train_many([], executor="slurm")
        with pytest.raises(TypeError, match="map_unordered"):
            zoo.train_many([], executor=object())
    finally:
        monkeypatch.delenv("NETSIM_EXECUTOR", raising=False)
        zoo.use_executor("local")
