"""Training sweeps on a Dask cluster: :class:`DaskExecutor` for :func:`netsim.zoo.train_many`.

A sweep submits one task per uncached pack or configuration to a ``distributed.Client`` and
takes the results as they finish; the client process writes every result into the
content-addressed cache (atomic writes), so workers need not see the cache folder. Which
cluster:

- an address given to :func:`dask_executor` (or to :func:`netsim.zoo.use_executor`), else
- ``$NETSIM_DASK_SCHEDULER`` (for instance the scheduler of a ``dask-jobqueue`` SLURMCluster or a
  ``dask-kubernetes`` cluster, started outside the notebook), else
- a :class:`distributed.LocalCluster` of worker processes on 127.0.0.1, started once per
  process and closed at exit.

Fault behaviour: a worker that dies mid-task loses only that task, which the scheduler runs again
on another worker (up to ``distributed.scheduler.allowed-failures`` times); nothing reaches the
cache until the client has the whole result. A task that raises is retried ``retries`` times.
"""
from __future__ import annotations

import os
import uuid
from typing import Callable, Iterator, Sequence

SCHEDULER_ENV = "NETSIM_DASK_SCHEDULER"
_CLIENTS: dict = {}  # address (or None: the local cluster) -> (client, cluster or None)


def _with_threads(fn: Callable, threads: int, item):
    """Run ``fn(item)`` on a worker with ``threads`` torch threads (workers of a LocalCluster
    would otherwise each start one thread per core and oversubscribe the machine)."""
    from netsim.runtime import configure_threads

    configure_threads(threads)
    return fn(item)


def local_cluster(n_workers: int = 2, threads: int = 1, **options):
    """A :class:`distributed.LocalCluster` of ``n_workers`` worker processes on 127.0.0.1, no dashboard."""
    from distributed import LocalCluster

    # oneDNN's OpenMP threads must not spin on shared cores (see netsim.zoo.LocalExecutor); the
    # variable has to be in the workers' environment before they load libgomp.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    options = dict(dict(host="127.0.0.1", processes=True, scheduler_kwargs={"dashboard": False}), **options)
    return LocalCluster(n_workers=n_workers, threads_per_worker=threads, **options)


def client_for(address: str | None = None, n_workers: int = 2):
    """The process's shared ``distributed.Client`` for ``address`` (else ``$NETSIM_DASK_SCHEDULER``,
    else a :func:`local_cluster` of ``n_workers``)."""
    from distributed import Client

    address = address or os.environ.get(SCHEDULER_ENV) or None
    if address not in _CLIENTS:
        if not _CLIENTS:
            import atexit

            atexit.register(close_clients)
        if address is None:
            cluster = local_cluster(n_workers)
            _CLIENTS[None] = (Client(cluster), cluster)
        else:
            _CLIENTS[address] = (Client(address, timeout="30s"), None)
    return _CLIENTS[address][0]


def close_clients() -> None:
    """Close every shared client (and the local clusters this process started)."""
    for client, cluster in _CLIENTS.values():
        client.close()
        if cluster is not None:
            cluster.close()
    _CLIENTS.clear()


class DaskExecutor:
    """Map jobs over a Dask cluster, yielding ``(index, result)`` as tasks finish.

    Parameters
    ----------
    client : distributed.Client
    engine : {"packed", "sequential"}
        How :func:`netsim.zoo.train_many` groups runs into jobs.
    threads : int
        Torch threads per task.
    retries : int
        Times a task that raises is submitted again (a dead worker's task is rescheduled by the
        scheduler whatever this is).
    timeout : float, optional
        Seconds a whole map may take before ``TimeoutError`` (``None``: no limit).
    """

    def __init__(self, client, engine: str = "packed", threads: int = 1, retries: int = 1,
                 timeout: float | None = None):
        from netsim.zoo import _check_engine

        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        if not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a non-negative int, got {retries!r}")
        self.client = client
        self.engine = _check_engine(engine)
        self.threads = threads
        self.retries = retries
        self.timeout = timeout

    def map_unordered(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, object]]:
        import functools

        from distributed import as_completed

        items = list(items)
        if not items:
            return
        batch = uuid.uuid4().hex[:8]
        task = functools.partial(_with_threads, fn, self.threads)
        keys = [f"netsim-job-{batch}-{i}" for i in range(len(items))]
        pending = self.client.map(task, items, key=keys, pure=False, retries=self.retries)
        index = {future.key: i for i, future in enumerate(pending)}
        try:
            for future in as_completed(pending, timeout=self.timeout):
                result = future.result()  # re-raises the task's error here
                yield index[future.key], result
                future.release()
        finally:  # an error or an interrupt on the client: stop the tasks not finished
            self.client.cancel([f for f in pending if not f.done()])


def dask_executor(address: str | None = None, engine: str = "packed", n_workers: int = 2) -> DaskExecutor:
    """A :class:`DaskExecutor` on the shared client of :func:`client_for`."""
    return DaskExecutor(client_for(address, n_workers), engine=engine)
