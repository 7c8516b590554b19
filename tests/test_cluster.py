"""netsim.cluster: training sweeps on a Dask LocalCluster (two worker processes on 127.0.0.1).

The sweep's results must equal the local executor's, a worker killed mid-sweep must cost a retry and
nothing else, and a sweep interrupted on the client must resume without retraining what finished.
"""
import os
import signal

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")

import netsim.zoo as zoo  # noqa: E402
from netsim.cache import ResultCache  # noqa: E402
from netsim.cluster import DaskExecutor, local_cluster  # noqa: E402
from netsim.train import TrainConfig  # noqa: E402

pytestmark = pytest.mark.slow


def tiny(seed: int, epochs: float = 1) -> TrainConfig:
    return TrainConfig(train_size=200, eval_train_size=50, eval_test_size=50, model="mlp",
                       model_options={"widths": [16]}, batch_size=50, epochs=epochs, seed=seed, num_checkpoints=3)


@pytest.fixture(scope="module")
def client():
    cluster = local_cluster(n_workers=2, threads=1)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def assert_same(a, b):
    for split in a.probs:
        np.testing.assert_array_equal(a.probs[split], b.probs[split])
    np.testing.assert_array_equal(a.steps, b.steps)


def test_only_loopback_addresses(client):
    assert client.scheduler.address.startswith("tcp://127.0.0.1:")
    assert all(address.startswith("tcp://127.0.0.1:") for address in client.scheduler_info()["workers"])


def test_dask_sweep_equals_the_local_executor(tmp_path, client):
    configs = [tiny(s) for s in range(4)]
    ex = DaskExecutor(client, engine="sequential", timeout=300)
    summary = {}
    on_dask = zoo.train_many(configs, cache=ResultCache(tmp_path / "dask", "trajectories"), executor=ex,
                             progress=False, summary=summary)
    # the same one torch thread per run as the Dask workers (thread counts change matmul round-off)
    local = zoo.train_many(configs, cache=ResultCache(tmp_path / "local", "trajectories"),
                           executor=zoo.LocalExecutor(2, threads=1, engine="sequential"), progress=False)
    assert len(summary["trained"]) == 4
    for a, b in zip(on_dask, local):
        assert_same(a, b)
    again = {}
    zoo.train_many(configs, cache=ResultCache(tmp_path / "dask", "trajectories"), executor=ex, progress=False,
                   summary=again)
    assert again["trained"] == [] and len(again["cached"]) == 4


class KillingExecutor(DaskExecutor):
    """Kills one worker process (SIGKILL) as soon as the first result arrives."""

    def map_unordered(self, fn, items):
        killed = False
        for i, result in super().map_unordered(fn, items):
            if not killed:
                pids = self.client.run(os.getpid)
                os.kill(sorted(pids.values())[0], signal.SIGKILL)
                killed = True
            yield i, result


def test_a_worker_killed_mid_sweep_costs_a_retry_not_an_entry(tmp_path, client):
    configs = [tiny(s, epochs=4) for s in range(10, 16)]
    cache = ResultCache(tmp_path, "trajectories")
    summary = {}
    out = zoo.train_many(configs, cache=cache, executor=KillingExecutor(client, engine="sequential", timeout=300),
                         progress=False, summary=summary)
    assert len(summary["trained"]) == 6 and len(cache.keys()) == 6
    assert not list(cache.folder.glob(".*.tmp"))
    reference = zoo.train_many(configs[:2], cache=ResultCache(tmp_path / "ref", "trajectories"),
                               executor=zoo.LocalExecutor(2, threads=1, engine="sequential"), progress=False)
    for config, trajectory in zip(configs, out):
        assert_same(zoo.load_trajectory(config, cache), trajectory)  # every entry valid and the one returned
    for a, b in zip(out[:2], reference):
        assert_same(a, b)  # a rescheduled run trains what any other would
    client.wait_for_workers(2, timeout=60)  # the nanny restarted the killed worker


class InterruptingExecutor(DaskExecutor):
    """Raises KeyboardInterrupt on the client after two results (Ctrl-C in a notebook)."""

    def map_unordered(self, fn, items):
        for n, pair in enumerate(super().map_unordered(fn, items)):
            yield pair
            if n == 1:
                raise KeyboardInterrupt


def test_an_interrupted_sweep_resumes_without_retraining(tmp_path, client):
    configs = [tiny(s) for s in range(20, 25)]
    cache = ResultCache(tmp_path, "trajectories")
    with pytest.raises(KeyboardInterrupt):
        zoo.train_many(configs, cache=cache, executor=InterruptingExecutor(client, engine="sequential"),
                       progress=False)
    finished = set(cache.keys())
    assert len(finished) == 2
    summary = {}
    zoo.train_many(configs, cache=cache, executor=DaskExecutor(client, engine="sequential", timeout=300),
                   progress=False, summary=summary)
    assert set(summary["cached"]) == finished and len(summary["trained"]) == 3
    assert not finished & set(summary["trained"])


def test_distance_tiles_on_the_cluster_equal_the_in_memory_matrix(tmp_path, client):
    from netsim.metrics import pairwise_bhattacharyya
    from netsim.metrics.ondisk import pairwise_bhattacharyya_store

    P = np.random.default_rng(3).dirichlet(np.ones(5), size=(60, 12))
    path = pairwise_bhattacharyya_store(P, tmp_path / "d.npy", block=16, client=client, progress=False)
    np.testing.assert_allclose(np.load(path), pairwise_bhattacharyya(P), rtol=0, atol=1e-13)
