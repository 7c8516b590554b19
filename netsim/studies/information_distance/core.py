"""Runs, inputs and measures of chapter 01: who is trained on what, which inputs d_p codes,
and the cached d_p / baseline measurer.

Data roles (the review of issue 12 found the coded inputs were theta_A's own training half):

* theta_A trains on half A of MNIST-1D's training set, theta_B on half B, with seeds of
  their own (:func:`pair_seeds`); no other role reuses those seeds by accident.
* d_p codes a mix of equal thirds (:func:`coding_inputs`): inputs of half A, of half B, and
  held-out test inputs, interleaved in a fixed random order. A second set of *other*
  held-out test inputs (:func:`held_out_inputs`) is coded beside it and serves the eq. 4
  convergence diagnostic.
* The random model of d_p(f, 0) is a fresh network of f's architecture from seeds no run
  uses (:data:`RANDOM_SEED_BASE`), averaged over ``random_models`` of them.
* Every network is taken at a common training loss (or, for the regularisers, a common
  training error) by interpolating between the two checkpoints that bracket it
  (:func:`at_target`).
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np

STUDY_VERSION = "3"  # bump when a change here changes cached d_p values (3: packed coder)

#: Training recipe of every run: the paper's Table 3 default (Adam, lr 0.002, batch 32) with a
#: constant learning rate, so that the network found at the target loss does not depend on
#: how long the run was scheduled for.
RECIPE = dict(dataset="mnist1d", model="mlp", optimizer="adam", lr=2e-3, batch_size=32, schedule="constant",
              bn_warmup_batches=0, save_weights=True, num_checkpoints=40, eval_train_size=None,
              eval_test_size=None)
HALF_A, HALF_B = (0.0, 0.5), (0.5, 1.0)   # disjoint halves of the training set
TARGET_LOSS = 0.1            # the paper's training loss (Table 3), for every network of the chapter
RANDOM_SEED_BASE = 90_000    # random models use seeds 90000, 90001, ... (no run uses them)
CODING_ORDER_SEED = 12_345   # the order and the draw of the coded inputs (no training split uses it)


def pair_seeds(params) -> list[tuple[int, int]]:
    """(seed of theta_A, seed of theta_B) for each of ``params.seeds`` pairs: seed + 10 i and
    seed + 10 i + 1 (offsets 2-9 of each block are the pair's other roles)."""
    return [(params.seed + 10 * i, params.seed + 10 * i + 1) for i in range(params.seeds)]


def run_config(params, **changes):
    """A TrainConfig of the chapter's recipe; ``widths`` and ``dropout`` go to the model options."""
    from netsim.train import TrainConfig

    widths = changes.pop("widths", params.widths)
    dropout = changes.pop("dropout", 0.0)
    options = {"widths": list(widths), "norm": None}
    if dropout:
        options["dropout"] = dropout
    fields = {**RECIPE, "epochs": params.epochs, "seed": params.seed, "train_size": params.train_size,
              "model_options": options, **changes}
    return TrainConfig(**fields)


@dataclass
class Model:
    """A network with a description that identifies it (used in cache keys).

    Attributes
    ----------
    key : dict
        JSON-able: the run's ``key_dict()`` plus where on the run it was taken and any
        modification applied afterwards.
    module : torch.nn.Module
    run : Trajectory, optional
        Its training run, when it is a trained network.
    target : dict, optional
        ``metric``, ``target``, ``reached`` (bool), ``value`` (the metric where it was taken)
        and ``epoch`` (interpolated), when taken by :func:`at_target`.
    """

    key: dict
    module: object
    run: object = dataclasses.field(default=None, repr=False)
    target: dict | None = None


def modified(model: Model, how: str, value, module) -> Model:
    """``module`` (a modification of ``model``) with a key naming the modification."""
    return Model({**model.key, "modify": [*model.key.get("modify", []), [how, value]]}, module)


def _train_metric(module, x, y, metric: str) -> float:
    import torch

    with torch.no_grad():
        logp = torch.log_softmax(module(torch.as_tensor(x)), dim=1)
    if metric == "loss":
        return float(-logp[torch.arange(len(y)), torch.as_tensor(y)].mean())
    return float((logp.argmax(1).numpy() != y).mean())


def at_target(config, run, metric: str = "loss", target: float = TARGET_LOSS, steps: int = 30) -> Model:
    """The network of ``run`` where its training ``metric`` ("loss" or "error") first reaches
    ``target``: the weights interpolated linearly between the two bracketing checkpoints,
    the coefficient found by bisection on the metric over the run's training data. A run
    that never reaches it is taken at its last checkpoint (``target["reached"]`` False)."""
    from netsim.train import _set_weights, build_final_model, load_training_data

    if metric not in ("loss", "error"):
        raise ValueError(f"metric must be 'loss' or 'error', got {metric!r}")
    curve = run.loss["train"] if metric == "loss" else run.error["train"]
    hit = np.flatnonzero(curve <= target)
    key = {"run": config.key_dict(), "at": [metric, target]}
    if not hit.size:
        module = build_final_model(config, weights=run.weights[-1])
        return Model(key, module, run, dict(metric=metric, target=target, reached=False,
                                            value=float(curve[-1]), epoch=float(run.epochs[-1])))
    i = int(hit[0])
    train, _ = load_training_data(config)
    module = build_final_model(config, weights=run.weights[i])
    c = 1.0
    if i > 0:
        lo_w, hi_w = run.weights[i - 1].astype(np.float64), run.weights[i].astype(np.float64)
        lo, hi = 0.0, 1.0  # metric(lo) > target >= metric(hi)
        for _ in range(steps):
            mid = (lo + hi) / 2
            _set_weights(module, ((1 - mid) * lo_w + mid * hi_w).astype(np.float32), "weights")
            if _train_metric(module, train.x, train.y, metric) <= target:
                hi = mid
            else:
                lo = mid
        c = hi
        _set_weights(module, ((1 - c) * lo_w + c * hi_w).astype(np.float32), "weights")
    epoch = float(run.epochs[i - 1] + c * (run.epochs[i] - run.epochs[i - 1])) if i else 0.0
    return Model({**key, "c": round(c, 6)}, module, run,
                 dict(metric=metric, target=target, reached=True,
                      value=_train_metric(module, train.x, train.y, metric), epoch=epoch))


def trained(configs, params, metric: str = "loss", target: float | None = None, progress: bool = True) -> list[Model]:
    """Train (or load) ``configs`` in ``params.processes`` processes and take each network at
    its target (:func:`at_target`; ``target`` None: ``params.target_loss`` or
    ``params.target_error``)."""
    from netsim.zoo import executor_for, train_many

    configs = list(configs)
    if target is None:
        target = params.target_loss if metric == "loss" else params.target_error
    runs = train_many(configs, progress=progress, executor=executor_for(params.processes))
    return [at_target(c, r, metric, target) for c, r in zip(configs, runs)]


def reached_table(models: dict) -> object:
    """Where each named network was taken: a DataFrame (metric, target, reached, value, epoch)."""
    import pandas as pd

    return pd.DataFrame({name: m.target for name, m in models.items()}).T


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------
def _split_inputs(params, split: str) -> np.ndarray:
    from netsim.train import load_training_data

    if split == "test":
        from netsim.data import load_dataset

        return load_dataset("mnist1d", "test").x
    train, _ = load_training_data(run_config(params, train_range=HALF_A if split == "A" else HALF_B))
    return train.x


def coding_inputs(params) -> np.ndarray:
    """The ``params.k`` inputs d_p codes, shape (k, 1, 40): k/3 each from half A, half B and the
    test split (the first k/3 of a fixed permutation of each), interleaved in a fixed order."""
    k = params.k
    if k % 3:
        raise ValueError(f"k must be a multiple of 3 (equal thirds of half A, half B and held-out inputs); got {k}")
    parts = []
    for j, split in enumerate(("A", "B", "test")):
        x = _split_inputs(params, split)
        if k // 3 > len(x) - (params.held_out_k if split == "test" else 0):
            raise ValueError(f"k = {k} needs {k // 3} inputs of split {split}, which has {len(x)}")
        parts.append(x[np.random.default_rng([CODING_ORDER_SEED, j]).permutation(len(x))[:k // 3]])
    x = np.concatenate(parts)
    return x[np.random.default_rng(CODING_ORDER_SEED).permutation(len(x))]


def held_out_inputs(params) -> np.ndarray:
    """``params.held_out_k`` test inputs that :func:`coding_inputs` does not code, (n, 1, 40)."""
    x = _split_inputs(params, "test")
    order = np.random.default_rng([CODING_ORDER_SEED, 2]).permutation(len(x))
    rest = order[params.k // 3:]
    if params.held_out_k > len(rest):
        raise ValueError(f"held_out_k must be at most the {len(rest)} test inputs left after coding; "
                         f"got {params.held_out_k}")
    return x[rest[:params.held_out_k]]


# ---------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------
class Measurer:
    """d_p (cached) and the baselines of appendix B.1 on fixed inputs.

    Parameters
    ----------
    x : array (k, ...)
        Coded inputs; also the inputs of the representation and output baselines.
    coding : netsim.metrics.CodingConfig
    name : str
        Names the inputs in cache keys (e.g. "mnist1d-mix").
    cache : ResultCache, optional
        Default: ``data/cache/information_distance``.
    processes : int
        Local processes that :meth:`prefetch` computes missing d_p values in.
    random_seeds : sequence of int
        Seeds of the random models of :meth:`to_random` (default: one, RANDOM_SEED_BASE).
    """

    def __init__(self, x, coding, name: str, cache=None, processes: int = 1, random_seeds=(RANDOM_SEED_BASE,)):
        from netsim.cache import ResultCache

        self.x = np.asarray(x, dtype=np.float32)
        self.coding = coding
        self.name = name
        self.cache = cache or ResultCache(namespace="information_distance")
        self.processes = processes
        self.random_seeds = tuple(random_seeds)
        self._random: dict = {}  # architecture -> its random models
        if not self.random_seeds:
            raise ValueError("random_seeds must name at least one seed")

    def _key(self, kind, *models):
        from netsim.cache import config_hash

        return config_hash({"kind": kind, "models": [m.key for m in models], "inputs": self.name,
                            "k": len(self.x), "coding": dataclasses.asdict(self.coding)},
                           version=f"study1-{STUDY_VERSION}")

    def _ordered(self, a: Model, b: Model):
        from netsim.cache import canonical_json

        # d_p is symmetric: key (and compute) each unordered pair in one fixed order.
        return tuple(sorted((a, b), key=lambda m: canonical_json(m.key)))

    def _bits(self, a: Model, b: Model) -> tuple[np.ndarray, bool]:
        first, second = self._ordered(a, b)

        def compute():
            return {"bits": _d_p_bits((first.module, second.module, self.x, self.coding))}, {}

        bits = self.cache.get_or_compute(self._key("d_p", first, second), compute)[0]["bits"]
        return bits, first is a

    def d_p(self, a: Model, b: Model) -> float:
        """d_p(f_a, f_b) in bits (cached)."""
        return float(self._bits(a, b)[0][0])

    def codelength(self, target: Model, coder: Model) -> float:
        """L'(f_target | f_coder) in bits: ``coder`` fine-tuned on ``target``'s outputs (cached
        with the d_p of the pair)."""
        bits, coder_first = self._bits(coder, target)
        # bits = [d_p, L'(first | second), L'(second | first)]
        return float(bits[2] if coder_first else bits[1])

    def prefetch(self, pairs, progress: bool = True, desc: str = "d_p") -> None:
        """Compute the missing d_p values of ``pairs`` (in ``processes`` local processes) into
        the cache, so that the following :meth:`d_p` calls only read it."""
        from tqdm.auto import tqdm

        from netsim.zoo import shared_executor

        todo = {}
        for a, b in pairs:
            a, b = self._ordered(a, b)
            key = self._key("d_p", a, b)
            if key not in self.cache and key not in todo:
                todo[key] = (a.module, b.module, self.x, self.coding)
        chunks = _packs(todo, self.processes)
        with tqdm(total=len(todo), desc=desc, disable=not progress or not todo) as bar:
            for i, bits in shared_executor(self.processes).map_unordered(_d_p_pack, [[todo[k] for k in c] for c in chunks]):
                for key, b in zip(chunks[i], bits):
                    self.cache.save(key, {"bits": b}, {})  # saved per pack: an interrupted run resumes
                bar.update(len(chunks[i]))

    def random_models(self, a: Model) -> list[Model]:
        """Fresh networks of ``a``'s architecture from :attr:`random_seeds` (the paper's "empty
        function"); the key names the architecture only, so every network of one
        architecture is compared with the same random models."""
        from netsim.cache import canonical_json
        from netsim.metrics import random_like

        arch = {k: v for k, v in a.key.get("run", {}).items() if k in ("model", "model_options", "dataset")}
        if not arch:
            arch = {"of": a.key}
        name = canonical_json(arch)
        if name not in self._random:  # built once per architecture, not once per call
            self._random[name] = [Model({"random": seed, **arch}, random_like(a.module, seed))
                                  for seed in self.random_seeds]
        return self._random[name]

    def random_pairs(self, models) -> list:
        return [(m, r) for m in models for r in self.random_models(m)]

    def to_random(self, a: Model) -> float:
        """d_p(f_a, 0): the mean distance to :meth:`random_models` (cached)."""
        return float(np.mean([self.d_p(a, r) for r in self.random_models(a)]))

    def baselines(self, a: Model, b: Model) -> dict:
        """The eight baselines of Table 1 (NaN where the architectures make one undefined)."""
        from netsim.metrics.baselines import baseline_distances

        return baseline_distances(a.module, b.module, self.x)

    def all(self, a: Model, b: Model) -> dict:
        """Every measure of :data:`MEASURES` for the pair, and L'(f_b | f_a)."""
        return {**self.baselines(a, b), "d_p": self.d_p(a, b), "L_b_given_a": self.codelength(b, a)}


PACK_SIZE = 32  # d_p evaluations coded together (netsim.metrics.packed_coding)


def _packs(todo: dict, processes: int) -> list[list]:
    """Keys of ``todo`` (key -> job) in packs of jobs whose two networks share architectures,
    each group split so that ``processes`` workers share it."""
    from netsim.metrics.packed_coding import architecture

    groups: dict = {}
    for key, (a, b, _, _) in todo.items():
        groups.setdefault((architecture(a), architecture(b)), []).append(key)
    out = []
    for keys in groups.values():
        size = min(PACK_SIZE, max(1, math.ceil(len(keys) / max(1, processes))))
        out.extend(keys[i:i + size] for i in range(0, len(keys), size))
    return out


def _d_p_bits(job) -> np.ndarray:
    """[d_p, L'(A|B), L'(B|A)] in bits for job = (model_A, model_B, x, coding)."""
    return _d_p_pack([job])[0]


def _d_p_pack(jobs) -> list[np.ndarray]:
    """:func:`_d_p_bits` of jobs that share x, coding and the two architectures, coded together
    (:func:`netsim.metrics.packed_coding.kl_codelengths`, which gives every job the value it
    gets alone); a top-level function so that a process pool can run it."""
    import torch

    from netsim.metrics import with_head
    from netsim.metrics.packed_coding import kl_codelengths

    x, coding = torch.as_tensor(np.asarray(jobs[0][2], dtype=np.float32)), jobs[0][3]
    coders_a, coders_b = [], []
    for a, b, _, _ in jobs:
        with torch.no_grad():
            c_a, c_b = (m.eval()(x[:1]).shape[-1] for m in (a, b))
        coders_a.append(a if c_a == c_b else with_head(a, c_b, coding.seed))
        coders_b.append(b if c_a == c_b else with_head(b, c_a, coding.seed))
    b_given_a = kl_codelengths(coders_a, [b for _, b, _, _ in jobs], x, coding)
    a_given_b = kl_codelengths(coders_b, [a for a, _, _, _ in jobs], x, coding)
    return [np.array([max(ab.bits, ba.bits), ab.bits, ba.bits]) for ab, ba in zip(a_given_b, b_given_a)]


def parameter_std(model: Model) -> float:
    """Standard deviation of all weights and biases of a network (the scale of the noise grid)."""
    from netsim.metrics.baselines import parameter_vector

    return float(parameter_vector(model.module).std())


# ---------------------------------------------------------------------------------------
# Small statistics
# ---------------------------------------------------------------------------------------
def relative_change(values, reference) -> float:
    """Table 1's invariance score: mean over the grid of |m_c - m_0| / |m_0| (NaN if undefined)."""
    values = np.asarray(values, float)
    if np.isnan(values).any() or not np.isfinite(reference) or reference == 0:
        return math.nan
    return float(np.mean(np.abs(values - reference) / abs(reference)))


def spearman(x, y) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(spearmanr(x, y).statistic)


def pearson(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def grid(values, points):
    """``points`` evenly spread values of a grid, ends included (all when ``points`` is None)."""
    values = tuple(values)
    if points is None or points >= len(values):
        return values
    if points < 2:
        raise ValueError(f"grid_points must be >= 2 or None; got {points}")
    return tuple(values[i] for i in np.unique(np.round(np.linspace(0, len(values) - 1, points)).astype(int)))


def distinct_assignments(labels) -> list[tuple]:
    """Every distinct reordering of ``labels`` (the exact permutation null of a grouping)."""
    return sorted(set(itertools.permutations(labels)))
