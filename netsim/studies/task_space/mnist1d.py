"""The MNIST-1D experiments of study 5 (STUDIES_THESIS B.4, claims B6-B10): families of runs.

One backbone for every family: the all-convolutional 1-D network (3 layers of 32 channels,
kernel 5, strides 1, 2, 2, layer norm, bias-free head), Adam with a cosine schedule, batch 64, the same number of
optimiser steps and the same (geometric) checkpoint schedule for every family that is compared by
Riemann length. The families (run seeds differ between families, so no two share initial weights):

- ``supervised``: 10-way cross-entropy;
- ``proto2``, ``proto5``: prototypical (episodic) training, 2-way and 5-way episodes;
- ``kway2``, ``kway5``, ``kway7``: k-way cross-entropy on random class subsets (one subset per run);
- ``finetune``: whole-network fine-tunes of supervised checkpoints on two binary subtasks
  (3 vs 5 and 4 vs 9, the [NG] pairs of B.4), and, as B9's null, the earliest start fine-tuned on
  the full 10-way task (``finetune_full``);
- ``simclr``: SimCLR-lite on all classes; ``simclr_pairs``: on three 2-class subsets;
- ``fixmatch``: FixMatch-lite with ``labelled`` labels.

Every run is mapped onto the 10-way task on *training* data (as the thesis does in Figs. 3.4-3.5),
with two disjoint halves of the training set in the two roles: the even-indexed samples supply
the class means, the odd-indexed ones (the first ``analysis_size``) are the samples predicted.

Settings measured before the statistics' first book-size run (2026-12-02, one thread): with strides
1, 1, 1 the imprinting of a run cost 10 s (every checkpoint's features on 3000 samples), so the
network strides its last two layers (0.85 s); it fits the 10-way task in 10 epochs to a train error
of 0.04 (imprinted error 0.044); 32 channels (not 16: imprinted error 0.20) are kept.
"""
from __future__ import annotations

import numpy as np

from netsim.train import TrainConfig

MODEL = dict(channels=(32, 32, 32), norm="layer", head_bias=False, strides=(1, 2, 2))
OPTIMISER = dict(optimizer="adam", lr=0.003, batch_size=64, schedule="cosine")
#: Episodes (way, shot, query): the thesis' 2-way episodes have 10 support and 20 query samples and
#: its 5-way episodes 10 support and 50 query samples; read here as totals per episode.
EPISODES = {"proto2": (2, 5, 10), "proto5": (5, 2, 10)}
KWAY = (2, 5, 7)
FINETUNE_PAIRS = ((3, 5), (4, 9))
FINETUNE_EPOCHS = (1, 2, 5, 10, 20)  # pre-training epochs of the starting points (B.4)
SIMCLR = dict(augmentation="signal_views", temperature=0.5)
FIXMATCH = dict(augmentation="shift_noise", augmentation_options=dict(noise=0.0),
                strong_augmentation="signal_views", strong_augmentation_options=dict(crop=1.0), threshold=0.95)
FAMILY_SEED = {"supervised": 0, "proto2": 1, "proto5": 2, "kway2": 3, "kway5": 4, "kway7": 5,
               "simclr": 6, "simclr_pairs": 7, "fixmatch": 8, "finetune": 9, "finetune_full": 10}


def _config(P, seed: int, **extra) -> TrainConfig:
    options = dict(dataset="mnist1d", model="allcnn", model_options=dict(MODEL), epochs=P.epochs, seed=seed,
                   num_checkpoints=P.checkpoints, save_weights=True, eval_train_size=500, eval_test_size=500,
                   train_size=P.train_size, **OPTIMISER)
    options.update(extra)
    return TrainConfig(**options)


def subtasks(k: int, count: int, seed: int = 0) -> list[tuple[int, ...]]:
    """``count`` distinct sorted k-class subsets of the 10 digits, drawn with ``seed``."""
    rng = np.random.default_rng([seed, 7, k])
    out: list[tuple[int, ...]] = []
    while len(out) < count:
        subset = tuple(sorted(int(c) for c in rng.choice(10, size=k, replace=False)))
        if subset not in out:
            out.append(subset)
    return out


def _seed(family: str, index: int) -> int:
    return 100 * FAMILY_SEED[family] + index


def pretraining_configs(P) -> dict:
    """family -> list of TrainConfig for every family that does not start from another run."""
    out = {"supervised": [_config(P, _seed("supervised", s)) for s in range(P.seeds)]}
    for family, episode in EPISODES.items():
        out[family] = [_config(P, _seed(family, s), objective="prototypical", episode=episode) for s in range(P.seeds)]
    for k in KWAY:
        out[f"kway{k}"] = [_config(P, _seed(f"kway{k}", i), train_classes=classes)
                           for i, classes in enumerate(subtasks(k, P.subtasks, P.seed))]
    out["simclr"] = [_config(P, _seed("simclr", s), objective="simclr", **SIMCLR) for s in range(P.seeds)]
    out["simclr_pairs"] = [_config(P, _seed("simclr_pairs", 10 * i + s), objective="simclr", train_classes=pair,
                                   **SIMCLR)
                           for i, pair in enumerate(simclr_pairs(P)) for s in range(P.pair_seeds)]
    out["fixmatch"] = [_config(P, _seed("fixmatch", s), objective="fixmatch", labelled=P.labelled, **FIXMATCH)
                       for s in range(P.seeds)]
    return out


def simclr_pairs(P) -> list[tuple[int, int]]:
    """The three 2-class subsets of the SimCLR-pairs family (B10)."""
    return [tuple(p) for p in subtasks(2, 3, P.seed + 1)]


def start_checkpoints(trajectory, epochs=FINETUNE_EPOCHS) -> list[int]:
    """Checkpoint indices of ``trajectory`` nearest the pre-training ``epochs`` (distinct, sorted)."""
    recorded = np.asarray(trajectory.epochs, dtype=float)
    return sorted({int(np.argmin(np.abs(recorded - e))) for e in epochs if e <= recorded[-1] + 1e-9})


def finetune_configs(P, supervised: list) -> dict:
    """``finetune`` (pair -> start -> configs) and ``finetune_full`` configs from supervised trajectories.

    The first ``P.finetune_sources`` supervised runs are the sources; each of their checkpoints
    nearest :data:`FINETUNE_EPOCHS` is fine-tuned for ``P.finetune_epochs`` epochs on each binary
    pair (``train_classes``), and the earliest one also on the full 10-way task (B9's null).
    """
    sources = supervised[:P.finetune_sources]
    pairs, full = [], []
    for s, source in enumerate(sources):
        key = source.config.key_dict()
        starts = start_checkpoints(source)
        for pair in FINETUNE_PAIRS:
            for c in starts:
                pairs.append(dict(source=s, pair=pair, checkpoint=c, epoch=float(source.epochs[c]),
                                  config=_config(P, _seed("finetune", s), init_from=key, init_checkpoint=c,
                                                 train_classes=pair, epochs=P.finetune_epochs,
                                                 num_checkpoints=P.finetune_checkpoints)))
        full.append(dict(source=s, pair=None, checkpoint=starts[0], epoch=float(source.epochs[starts[0]]),
                         config=_config(P, _seed("finetune_full", s), init_from=key, init_checkpoint=starts[0],
                                        epochs=P.finetune_epochs, num_checkpoints=P.finetune_checkpoints)))
    return {"finetune": pairs, "finetune_full": full}


def imprint_split(P):
    """(means, analysis) ArrayDatasets of the 10-way MNIST-1D training set: even and odd samples."""
    from netsim.train import load_training_data

    train, _ = load_training_data(_config(P, 0))  # the samples the supervised runs train on
    means = train.subset(np.arange(0, len(train), 2))
    analysis = train.subset(np.arange(1, len(train), 2)[:P.analysis_size])
    return means, analysis


def train_families(P, *, cache=None, progress: bool = True) -> tuple[dict, dict]:
    """Train (or read from the cache) every MNIST-1D family on ``P.train_processes`` workers.

    Returns
    -------
    runs : family -> list of Trajectory (``finetune`` in the order of ``finetunes["finetune"]``).
    finetunes : :func:`finetune_configs` of the trained supervised runs (with each start's epoch).
    """
    from netsim.zoo import executor_for, train_many

    executor = executor_for(P.train_processes, engine="sequential")
    configs = pretraining_configs(P)
    flat = [c for runs in configs.values() for c in runs]
    trained = iter(train_many(flat, cache=cache, executor=executor, progress=progress))
    runs = {family: [next(trained) for _ in family_runs] for family, family_runs in configs.items()}
    # fine-tunes start from the cached supervised checkpoints, so they are trained second
    finetunes = finetune_configs(P, runs["supervised"])
    tuned = [item["config"] for family in ("finetune", "finetune_full") for item in finetunes[family]]
    tuned = iter(train_many(tuned, cache=cache, executor=executor, progress=progress))
    for family in ("finetune", "finetune_full"):
        runs[family] = [next(tuned) for _ in finetunes[family]]
    return runs, finetunes


def pair_families(mapped: dict, P) -> dict:
    """``simclr_<a><b>`` -> the mapped runs of the 2-class SimCLR family on classes a and b (B10),
    split out of ``mapped["simclr_pairs"]`` (seeds of one pair are consecutive)."""
    runs = mapped["simclr_pairs"]
    return {f"simclr_{a}{b}": runs[i * P.pair_seeds:(i + 1) * P.pair_seeds] for i, (a, b) in enumerate(simclr_pairs(P))}
