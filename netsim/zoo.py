"""Train many configurations once: cached, resumable, packed, with a pluggable executor.

Each configuration is stored in a :class:`netsim.cache.ResultCache` under the hash of its
non-default fields, the training code version and the engine that trained it. A sweep
saves every run as soon as it finishes, so a sweep that is interrupted resumes where it
stopped: finished runs are read back, only missing ones are trained.

Two engines train: ``"packed"`` (the default) trains configurations that share
architecture, data and step count together as one computation
(:func:`netsim.engine.train_pack`), in packs of at least :data:`MIN_PACK`; the rest, and
every run under ``"sequential"``, go through :func:`netsim.train.train_trajectory`. A
packed run equals its sequential twin to float round-off at each step, but round-off grows
over training, so packed runs are keyed apart (``-packed`` in the key's version); a packed
sweep reuses a cached sequential run of the same configuration, a sequential sweep only
sequential ones.

The executor is a seam: :class:`LocalExecutor` runs jobs (one run or one pack each) in
this process or in a pool of local processes; :class:`netsim.cluster.DaskExecutor` submits
them to a Dask cluster (``executor="dask"``, or :func:`use_executor` for every sweep of a
notebook). Any object with the same ``map_unordered`` method and an ``engine`` attribute works.

Whatever the executor, the process that called :func:`train_many` writes the cache, so workers
need not see the cache folder. Several sweeps may share one cache at once: each reads what is
complete when it starts, a job whose runs another sweep has finished meanwhile is not trained
again (where the worker sees the cache), and an entry another sweep wrote first is kept, not
overwritten (the first complete entry wins).
"""
from __future__ import annotations

import concurrent.futures as futures
import functools
from typing import Callable, Iterable, Iterator, Protocol, Sequence

from tqdm.auto import tqdm

from netsim.cache import ResultCache, config_hash
from netsim.train import TRAIN_CODE_VERSION, TrainConfig, Trajectory, train_trajectory

TRAJECTORY_NAMESPACE = "trajectories"
ENGINES = ("packed", "sequential")
MIN_PACK = 4
"""Smaller groups train sequentially: below it vmap's per-call overhead outweighs the
saving (``benchmarks/bench_engine.py``: packs of 1 run at 0.4-0.6x, packs of 4 at 0.9-1.1x)."""


def trajectory_key(config: TrainConfig, engine: str = "sequential") -> str:
    """Cache key of a configuration: hash of its non-default fields, the code version and
    the engine (``"sequential"`` keys are those of every earlier version of this module)."""
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    _check_engine(engine)
    suffix = "-packed" if engine == "packed" else ""
    return config_hash(config.key_dict(), version=f"train-{TRAIN_CODE_VERSION}{suffix}")


def _check_engine(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    return engine


class Executor(Protocol):
    """Anything that maps a function over items and yields ``(index, result)`` as they finish."""

    def map_unordered(self, fn: Callable, items: Sequence) -> Iterator[tuple[int, object]]: ...


class LocalExecutor:
    """Run jobs in this process (``processes=1``) or in a pool of local processes.

    With 2 cores, one process using both cores for torch is usually fastest; a pool pays
    off for many tiny runs. Pool workers are *spawned* (forking a process whose torch
    thread pool has started can deadlock the child) and use ``threads`` torch threads
    each (default 1, so that the pool does not oversubscribe the cores). Spawning costs a
    few seconds per worker (each imports torch), so ``persistent=True`` keeps one pool for
    every later call until :meth:`close` (or the end of the program). ``engine`` says how
    :func:`train_many` trains (``"packed"`` or ``"sequential"``, see the module docstring).
    """

    def __init__(self, processes: int = 1, threads: int = 1, persistent: bool = False, engine: str = "packed"):
        if not isinstance(processes, int) or processes < 1:
            raise ValueError(f"processes must be a positive int, got {processes!r}")
        if not isinstance(threads, int) or threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        self.processes = processes
        self.threads = threads
        self.persistent = persistent
        self.engine = _check_engine(engine)
        self._pool = None

    def _new_pool(self):
        import multiprocessing
        import os

        # Measured 2026-12-02: with the default (spinning) OpenMP wait policy, two workers training
        # convolutional nets at once ran 5x slower each (16 s vs 3.3 s) even with one torch thread,
        # because oneDNN's OpenMP threads spin on the shared cores; PASSIVE gives 4.2 s each. The
        # variable must be in the environment before a worker loads libgomp, so it is set here.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        return futures.ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_start_worker, initargs=(self.threads,))

    def close(self) -> None:
        """Shut a persistent pool down (a later call starts a new one)."""
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None

    def map_unordered(self, fn, items):
        items = list(items)
        if self.processes == 1 or not items:
            for i, item in enumerate(items):
                yield i, fn(item)
            return
        if not self.persistent:
            with self._new_pool() as pool:
                yield from _as_completed(pool, fn, items)
            return
        if self._pool is None:
            self._pool = self._new_pool()
        yield from _as_completed(self._pool, fn, items)


_SHARED: dict = {}


def shared_executor(processes: int = 1) -> LocalExecutor:
    """One persistent :class:`LocalExecutor` per process count (one torch thread per worker),
    shared by every caller until :func:`close_shared_executors` or the end of the program."""
    if processes not in _SHARED:
        if not _SHARED:
            import atexit

            atexit.register(close_shared_executors)  # before the interpreter tears the pools down
        _SHARED[processes] = LocalExecutor(processes, threads=1, persistent=True)
    return _SHARED[processes]


EXECUTORS = ("local", "dask")
_SELECTED = {"name": None, "address": None}


def use_executor(name: str | None = None, address: str | None = None) -> str:
    """Select the executor of every later sweep of this process that does not pass one.

    Parameters
    ----------
    name : {"local", "dask"} or a scheduler address, optional
        ``None``: ``$NETSIM_EXECUTOR``, else ``"local"``; an address (``"tcp://host:8786"``)
        means ``"dask"`` on that scheduler. A notebook passes its ``executor`` papermill
        parameter here.
    address : str, optional
        The Dask scheduler (``tcp://host:8786``); ``None``: ``$NETSIM_DASK_SCHEDULER``, else a
        :class:`distributed.LocalCluster` on this machine.

    Returns
    -------
    The selected name.
    """
    import os

    name = name or os.environ.get("NETSIM_EXECUTOR") or "local"
    if isinstance(name, str) and name.startswith(("tcp://", "tls://", "inproc://")):
        name, address = "dask", name
    if name not in EXECUTORS:
        raise ValueError(f"executor must be one of {EXECUTORS}, got {name!r}")
    _SELECTED.update(name=name, address=address)
    return name


def selected_executor() -> str:
    """The executor name :func:`use_executor` selected (or ``$NETSIM_EXECUTOR``, else ``"local"``)."""
    import os

    return _SELECTED["name"] or os.environ.get("NETSIM_EXECUTOR") or "local"


def executor_for(processes: int, engine: str = "packed"):
    """The executor of a chapter's training sweep.

    With the Dask executor selected (:func:`use_executor`), the shared Dask client; otherwise this
    process for ``processes == 1``, else local workers (for the packed engine the
    :func:`shared_executor` of that many, kept for later sweeps).
    """
    _check_engine(engine)
    if selected_executor() == "dask":
        from netsim.cluster import dask_executor

        return dask_executor(_SELECTED["address"], engine=engine)
    if processes == 1:
        return LocalExecutor(engine=engine)
    return shared_executor(processes) if engine == "packed" else LocalExecutor(processes, threads=1, engine=engine)


def _resolve_executor(executor):
    if executor is None:
        return executor_for(1)
    if isinstance(executor, str):
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {EXECUTORS} or an Executor, got {executor!r}")
        if executor == "dask":
            from netsim.cluster import dask_executor

            return dask_executor(_SELECTED["address"])
        return LocalExecutor()
    if not callable(getattr(executor, "map_unordered", None)):
        raise TypeError(f"executor must be 'local', 'dask' or have a map_unordered method, got {executor!r}")
    return executor


def close_shared_executors() -> None:
    """Stop the worker processes of every :func:`shared_executor`."""
    for executor in _SHARED.values():
        executor.close()
    _SHARED.clear()


def _as_completed(pool, fn, items):
    pending = {pool.submit(fn, item): i for i, item in enumerate(items)}
    try:
        for done in futures.as_completed(pending):
            yield pending[done], done.result()
    finally:
        for future in pending:  # an error or an interrupt: drop the jobs not started yet
            future.cancel()


def _start_worker(threads: int) -> None:
    import signal

    from netsim.runtime import configure_threads

    # Ctrl-C (or a notebook kernel's interrupt) goes to the whole process group; the parent
    # handles it and cancels the pending jobs, so idle workers must not die with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    configure_threads(threads)


def _train_job(configs: list[TrainConfig], device: str) -> tuple[str, list[Trajectory]]:
    """Train one job: a pack (several configurations) or a single run. Returns the engine used."""
    if len(configs) == 1:
        return "sequential", [train_trajectory(configs[0], device=device, progress=False)]
    from netsim.engine import train_pack

    return "packed", train_pack(configs, device=device, progress=False)


def _run_job(configs: list[TrainConfig], device: str, cache_root: str | None = None,
             namespace: str = TRAJECTORY_NAMESPACE, reuse: tuple = ENGINES) -> tuple[str, list[Trajectory] | None]:
    """A worker's job: ``("cached", None)`` when another sweep has meanwhile stored every run of it
    under one of the engines ``reuse`` (and this worker sees the cache), else :func:`_train_job`."""
    if cache_root is not None:
        from pathlib import Path

        if Path(cache_root).is_dir():
            cache = ResultCache(cache_root, namespace)
            if all(any(trajectory_key(c, e) in cache for e in reuse) for c in configs):
                return "cached", None
    return _train_job(configs, device)


def _load(cache: ResultCache, key: str) -> Trajectory | None:
    entry = cache.load(key)
    return None if entry is None else Trajectory.from_arrays(*entry)


def load_trajectory(config: TrainConfig, cache: ResultCache | None = None, engine: str | None = None) -> Trajectory | None:
    """The cached trajectory of ``config``, or ``None`` when it has not been trained.

    ``engine`` restricts the search to runs of that engine; ``None`` takes either (the
    sequential one first).
    """
    cache = cache or ResultCache(namespace=TRAJECTORY_NAMESPACE)
    for candidate in ENGINES[::-1] if engine is None else (_check_engine(engine),):
        found = _load(cache, trajectory_key(config, candidate))
        if found is not None:
            return found
    return None


def _jobs(configs: list[TrainConfig], engine: str, device: str) -> list[list[int]]:
    """Indices of ``configs`` per job: packs of at least MIN_PACK, single runs otherwise."""
    if engine == "sequential":
        return [[i] for i in range(len(configs))]
    from netsim.engine import group_into_packs, max_pack_size

    jobs = []
    for pack in group_into_packs(configs, max_pack=None, sizer=lambda c: max_pack_size(c, device)):
        jobs.extend([pack] if len(pack) >= MIN_PACK else [[i] for i in pack])
    return jobs


def train_many(configs: Iterable[TrainConfig], *, cache: ResultCache | None = None,
               executor: Executor | str | None = None, device: str = "auto",
               progress: bool = True, summary: dict | None = None) -> list[Trajectory]:
    """Trajectories of all ``configs`` (in order), training only those not cached yet.

    Parameters
    ----------
    configs : iterable of TrainConfig
    cache : where trajectories are stored; default ``data/cache/trajectories``.
    executor : ``"local"``, ``"dask"`` (:func:`netsim.cluster.dask_executor`) or an executor
        object; default :func:`executor_for` one process (the Dask cluster when
        :func:`use_executor` selected it). Its ``engine`` attribute (``"packed"`` or
        ``"sequential"``) says how runs are trained.
    device : where to train ("auto": CUDA when present).
    progress : show a progress bar over the configurations that need training.
    summary : dict, optional
        Filled with the cache keys this call ``"trained"``, found ``"cached"`` when it started, and
        found stored by another sweep while it ran (``"taken"``).

    Returns
    -------
    list of Trajectory, one per configuration, in the order given.

    Raises
    ------
    netsim.engine.PackError
        If runs of a pack diverge; it names them (a diverging single run raises FloatingPointError).
    """
    configs = list(configs)
    cache = cache or ResultCache(namespace=TRAJECTORY_NAMESPACE)
    executor = _resolve_executor(executor)
    engine = _check_engine(getattr(executor, "engine", "sequential"))
    cache.clear_temporaries()  # only files of writers that are gone
    keys = [trajectory_key(c) for c in configs]
    config_of = dict(zip(keys, configs))  # duplicated configurations share one key: trained once
    lookup = "sequential" if engine == "sequential" else None  # a packed sweep takes either engine's run
    found = {key: load_trajectory(config, cache, engine=lookup) for key, config in config_of.items()}
    todo = [key for key, trajectory in found.items() if trajectory is None]
    report = {"trained": [], "cached": [k for k, t in found.items() if t is not None], "taken": []}
    todo_configs = [config_of[key] for key in todo]
    jobs = _jobs(todo_configs, engine, device)
    reuse = (lookup,) if lookup else ENGINES  # the workers' look-up: the same rule
    train = functools.partial(_run_job, device=device, cache_root=str(cache.root), namespace=cache.folder.name,
                              reuse=reuse)
    with tqdm(total=len(todo), desc="training runs", disable=not progress or not todo) as bar:
        for j, (used, trajectories) in executor.map_unordered(train, [[todo_configs[i] for i in job] for job in jobs]):
            for n, i in enumerate(jobs[j]):
                config = todo_configs[i]
                # Another sweep stored it first: keep its entry (one version per key), use it.
                stored = load_trajectory(config, cache, engine=lookup)
                if stored is not None:
                    found[todo[i]] = stored
                    report["taken"].append(todo[i])
                    continue
                if trajectories is None:  # the worker saw it stored, but it is not readable here
                    raise RuntimeError(f"a worker found {todo[i]} in the cache at {cache.root}, this process "
                                       "cannot read it there; give workers and client one cache folder")
                cache.save(trajectory_key(config, used), *trajectories[n].to_arrays())  # a restart resumes here
                found[todo[i]] = trajectories[n]
                report["trained"].append(todo[i])
            bar.update(len(jobs[j]))
    if summary is not None:
        summary.update(report)
    return [found[key] for key in keys]
