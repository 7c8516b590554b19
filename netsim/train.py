"""Training that records a trajectory in prediction space.

A :class:`TrainConfig` fully describes one run (data, model, optimiser, schedule,
regularisation, augmentation, seed, checkpoint schedule). :func:`train_trajectory` trains
it and returns a :class:`Trajectory`: the predicted probabilities on fixed evaluation sets
(a stratified subset of the training set and of the test set) at log-spaced checkpoints
that include step 0, the losses and errors there, and optionally the flattened weights.

Besides supervised cross-entropy a configuration can ask for a training variant
(``objective="prototypical"`` episodes, ``"simclr"``, ``"fixmatch"``; ``train_classes`` for
a k-way subtask; ``init_checkpoint`` to start from a checkpoint of another run), whose losses
live in :mod:`netsim.objectives`. These are fields with defaults, so plain configurations keep
their keys and their numbers.
"""
from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

TRAIN_CODE_VERSION = "1"
"""Bump when a change of this module changes the numbers it produces (invalidates caches)."""

FIT_ERROR = 0.05
"""The regime the thesis studies: networks that fit their training data (final train error at most this)."""

OPTIMIZERS = ("sgd", "nesterov", "adam")
SCHEDULES = ("cosine", "constant")
OBJECTIVES = ("supervised", "prototypical", "simclr", "fixmatch")
"""Training objectives (see ``TrainConfig.objective`` and :mod:`netsim.objectives`)."""


@dataclass(frozen=True)
class TrainConfig:
    """One training run. Every field takes part in the cache key (see :meth:`key_dict`).

    Attributes
    ----------
    dataset, dataset_options : data passed to :func:`netsim.data.load_dataset`.
    train_size : number of training samples used (stratified subset), ``None`` for all.
    random_labels : train on labels drawn uniformly at random (seeded by ``seed``).
    eval_train_size, eval_test_size : sizes of the fixed stratified evaluation subsets
        (the same for every run on the same data, independent of ``seed``).
    model, model_options : passed to :func:`netsim.models.build_model`.
    optimizer : ``"sgd"``, ``"nesterov"`` or ``"adam"``; ``momentum`` for the first two.
    lr, batch_size, epochs, weight_decay, label_smoothing : as usual.
    schedule : ``"cosine"`` (to zero at the last step) or ``"constant"``.
    augmentation, augmentation_options : passed to :func:`netsim.data.make_augmentation`.
    num_checkpoints : log-spaced checkpoints including step 0 and the last step.
    bn_warmup_batches : forward passes in train mode before checkpoint 0 so that
        batch-norm statistics describe the data (thesis Fig. 2.12).
    save_weights : also record the flattened parameters at each checkpoint.
    init_from : ``key_dict()`` of another configuration, trained and cached with
        ``save_weights=True``, whose final weights initialise this run (the thesis'
        random-label "corners", Figs. 2.20-2.21); ``None`` for a fresh initialisation.
    train_range : ``(lo, hi)`` with ``0 <= lo < hi <= 1``: train only on that window of a
        fixed (seed 0) permutation of the training set, so two runs with windows
        ``(0, 0.5)`` and ``(0.5, 1)`` see disjoint halves and ``(0, 0.5)`` and
        ``(0.25, 0.75)`` overlap by half (study 1, B.4). Applied after ``train_size``.
    distill_from : ``key_dict()`` of a cached run with ``save_weights=True``; its final
        model's probabilities on the training inputs replace the labels (soft targets,
        self-distillation as in Furlanello et al. 2018). Not with ``random_labels``.
    distill_hard : with ``distill_from`` only: the teacher's most probable class on each
        minibatch *as the student sees it* (after ``augmentation``) replaces the labels
        (hard-label distillation as in DeiT's hard variant, without a distillation token;
        seed 004, section 5). Without augmentation a teacher that fits the training set
        gives back the true labels, so hard distillation needs an augmentation to differ
        from plain training.
    init_offset : ``(seed, scale)``: after the standard initialisation (seeded by ``seed``
        of this config) add ``scale`` times a standard Gaussian, drawn from its own
        generator seeded by the offset's ``seed``, to every weight matrix or kernel
        (parameters with at least 2 dimensions; biases and norm parameters untouched).
        With ``scale = 1`` this places the run in a "corner" of prediction space, the
        thesis' synthetic corners (2.5.5): w = G_k + U_j with the corner G_k fixed by the
        offset seed and the standard initialisation U_j by ``seed``. ``None``: no offset.
        Not with ``init_from``.
    objective : ``"supervised"`` (default: cross-entropy on the labels), ``"prototypical"``,
        ``"simclr"`` or ``"fixmatch"`` (thesis chapter 3, STUDIES B). Every objective trains
        ``epochs * ceil(n_train / batch_size)`` optimiser steps with the same checkpoint
        schedule, and checkpoints record the model's probabilities on the fixed evaluation
        sets *through its head*, as for supervised runs (so that studies can imprint the
        features later). ``"prototypical"`` and ``"simclr"`` train the body only: **their
        head is not trained** (it keeps its initial weights, no gradient reaches it), so the
        recorded probabilities are those of a random linear read-out of the features.
        Only the sequential path (:func:`train_trajectory`) trains objectives other than
        ``"supervised"``; :func:`netsim.engine.packable` refuses them.

        * ``"prototypical"`` (Snell et al. 2017): each step is one episode drawn from the
          run's generator (:func:`netsim.objectives.sample_episode`): ``way`` distinct
          classes, ``shot`` support and ``query`` query samples of each; the features
          phi are the network body's output (``Classifier.forward_features``, the
          penultimate representation); the logits of a query x are
          ``-||phi(x) - c_k||^2`` with ``c_k`` the mean support feature of class k;
          the loss is their cross-entropy (:func:`netsim.objectives.prototypical_loss`).
          ``batch_size`` only fixes the number of steps; ``augmentation`` (if any) is
          applied to the episode's inputs.
        * ``"simclr"``: NT-Xent (:func:`netsim.objectives.nt_xent_loss`, ``temperature``)
          between the body features of two views ``augmentation(x)`` of each minibatch
          sample; needs ``augmentation`` (e.g. ``"signal_views"`` for MNIST-1D,
          ``"image_views"`` for sprites). No projection head ("SimCLR-lite"): the loss
          acts on phi itself, so that the recorded weights are the model's.
        * ``"fixmatch"``: each step takes ``batch_size`` samples of the ``labelled``
          subset (cycled, a new permutation each pass) and ``batch_size`` unlabelled
          samples (the whole training set, an epoch per permutation, so mu = 1); the loss
          is the cross-entropy of the weak views (``augmentation``, identity if ``None``)
          of the labelled samples plus ``unlabelled_weight`` times the mean over the
          unlabelled batch of the cross-entropy of their strong views
          (``strong_augmentation``) against the argmax of the weak view's probabilities,
          counted only where that probability is at least ``threshold``
          (:func:`netsim.objectives.fixmatch_loss`). One forward pass carries the three
          parts (batch-norm statistics of the whole step).
    episode : ``(way, shot, query)`` ints, with ``way >= 2``, ``shot >= 1``, ``query >= 1``;
        required by and only with ``objective="prototypical"``. The training data must
        have at least ``way`` classes and ``shot + query`` samples in each class.
    train_classes : sorted tuple of at least 2 distinct class indices: train on the samples
        of these classes only (a k-way subtask), with a k-way cross-entropy over the logits
        of these classes (the others get no gradient). Labels keep the original index
        space: the model keeps its ``num_classes`` outputs and the evaluation sets stay
        those of the full task (the same samples as a run without ``train_classes``), so
        every run of a study is recorded on one set of samples and classes and imprinting
        onto the union task needs no mapping. (The dataset options cannot do this:
        ``label_map`` of MNIST-1D merges classes, ``shapes`` of sprites drops classes
        but from the evaluation sets too and renumbers them.) Episodes, SimCLR batches and
        FixMatch's labelled and unlabelled samples are drawn from these classes too. Not
        with ``random_labels`` or ``distill_from``.
    init_checkpoint : int >= 0, with ``init_from`` only: start from the weights at this
        checkpoint index of the source trajectory (``source.weights[init_checkpoint]``,
        at epoch ``source.epochs[init_checkpoint]``) instead of its final weights, to
        fine-tune from a point along a trajectory (thesis Fig. 3.7). ``None``: final.
    temperature : float > 0, NT-Xent temperature of ``objective="simclr"`` (default 0.5;
        another value only with that objective).
    labelled : int >= 1, required by and only with ``objective="fixmatch"``: the number
        of labelled training samples, a stratified subset drawn with the generator
        seeded by ``(seed, 2)`` (:func:`netsim.objectives.labelled_indices`).
    threshold : float in [0, 1], FixMatch's confidence threshold (default 0.95).
    unlabelled_weight : float >= 0, FixMatch's weight of the unlabelled term (default 1).
    strong_augmentation, strong_augmentation_options : FixMatch's strong augmentation,
        passed to :func:`netsim.data.make_augmentation`; required by and only with
        ``objective="fixmatch"`` (e.g. ``"signal_views"`` with ``crop=1``: shift + scale
        + noise, while ``augmentation="shift_noise"`` with ``noise=0`` is the weak shift).
    """

    dataset: str = "mnist1d"
    dataset_options: Mapping[str, Any] = field(default_factory=dict)
    train_size: int | None = None
    random_labels: bool = False
    eval_train_size: int | None = 1000
    eval_test_size: int | None = 1000
    model: str = "mlp"
    model_options: Mapping[str, Any] = field(default_factory=dict)
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.9
    batch_size: int = 64
    epochs: float = 10
    weight_decay: float = 0.0
    label_smoothing: float = 0.0
    schedule: str = "cosine"
    augmentation: str | None = None
    augmentation_options: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0
    num_checkpoints: int = 20
    bn_warmup_batches: int = 5
    save_weights: bool = False
    init_from: Mapping[str, Any] | None = None
    train_range: tuple[float, float] | None = None
    distill_from: Mapping[str, Any] | None = None
    distill_hard: bool = False
    init_offset: tuple[int, float] | None = None
    objective: str = "supervised"
    episode: tuple[int, int, int] | None = None
    train_classes: tuple[int, ...] | None = None
    init_checkpoint: int | None = None
    temperature: float = 0.5
    labelled: int | None = None
    threshold: float = 0.95
    unlabelled_weight: float = 1.0
    strong_augmentation: str | None = None
    strong_augmentation_options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        for name in ("lr", "epochs"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)!r}")
        for name in ("batch_size", "num_checkpoints"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < (2 if name == "num_checkpoints" else 1):
                raise ValueError(f"{name} must be an int >= {2 if name == 'num_checkpoints' else 1}, got {value!r}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing must be in [0, 1), got {self.label_smoothing!r}")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}")
        # Freeze nested mappings into plain dicts (copies) so the key cannot change later.
        for name in ("dataset_options", "model_options", "augmentation_options", "strong_augmentation_options"):
            object.__setattr__(self, name, dict(getattr(self, name)))
        for name in ("init_from", "distill_from"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, dict(getattr(self, name)))
        if self.train_range is not None:
            window = tuple(float(v) for v in self.train_range)
            if len(window) != 2 or not 0 <= window[0] < window[1] <= 1:
                raise ValueError(f"train_range must be (lo, hi) with 0 <= lo < hi <= 1, got {self.train_range!r}")
            object.__setattr__(self, "train_range", window)
        if self.distill_from is not None and self.random_labels:
            raise ValueError("distill_from replaces the labels; it cannot be combined with random_labels")
        if not isinstance(self.distill_hard, bool):
            raise ValueError(f"distill_hard must be a bool, got {self.distill_hard!r}")
        if self.distill_hard and self.distill_from is None:
            raise ValueError("distill_hard says how to use distill_from's teacher; give distill_from")
        if self.init_offset is not None:
            offset = tuple(self.init_offset)
            if (len(offset) != 2 or isinstance(offset[0], bool) or not isinstance(offset[0], (int, np.integer))
                    or offset[0] < 0 or isinstance(offset[1], bool) or not isinstance(offset[1], (int, float, np.number))
                    or not math.isfinite(offset[1]) or not offset[1] > 0):
                raise ValueError(f"init_offset must be (seed, scale) with an int seed >= 0 and a finite "
                                 f"scale > 0, got {self.init_offset!r}")
            if self.init_from is not None:
                raise ValueError("init_offset perturbs a fresh initialisation; it cannot be combined with init_from")
            object.__setattr__(self, "init_offset", (int(offset[0]), float(offset[1])))
        self._check_variants()

    def _check_variants(self) -> None:
        """Validate (and normalise) the fields of the training variants; ValueError names the field."""
        objective = self.objective
        if not isinstance(objective, str) or objective not in OBJECTIVES:
            raise ValueError(f"objective must be one of {OBJECTIVES}, got {objective!r}")
        if self.episode is not None:
            if objective != "prototypical":
                raise ValueError(f"episode is only used by objective='prototypical', got objective={objective!r}")
            episode = tuple(self.episode) if isinstance(self.episode, (tuple, list)) else ()
            if len(episode) != 3 or not all(_is_int(v) for v in episode) or episode[0] < 2 or min(episode[1:]) < 1:
                raise ValueError(f"episode must be (way, shot, query) ints with way >= 2, shot >= 1 and "
                                 f"query >= 1, got {self.episode!r}")
            object.__setattr__(self, "episode", tuple(int(v) for v in episode))
        elif objective == "prototypical":
            raise ValueError("objective='prototypical' needs episode=(way, shot, query)")
        if self.train_classes is not None:
            classes = tuple(self.train_classes) if isinstance(self.train_classes, (tuple, list)) else ()
            if (len(classes) < 2 or not all(_is_int(c) and c >= 0 for c in classes)
                    or len(set(classes)) != len(classes)):
                raise ValueError(f"train_classes must be at least 2 distinct class indices >= 0, "
                                 f"got {self.train_classes!r}")
            object.__setattr__(self, "train_classes", tuple(sorted(int(c) for c in classes)))
            if self.random_labels or self.distill_from is not None:
                raise ValueError("train_classes selects samples by their true labels; it cannot be combined "
                                 "with random_labels or distill_from")
            if self.episode is not None and self.episode[0] > len(self.train_classes):
                raise ValueError(f"episode asks for way={self.episode[0]} classes but train_classes has "
                                 f"{len(self.train_classes)}")
        if self.init_checkpoint is not None:
            if not _is_int(self.init_checkpoint) or self.init_checkpoint < 0:
                raise ValueError(f"init_checkpoint must be an int >= 0 (a checkpoint index), "
                                 f"got {self.init_checkpoint!r}")
            if self.init_from is None:
                raise ValueError("init_checkpoint indexes the checkpoints of init_from's run; give init_from")
            object.__setattr__(self, "init_checkpoint", int(self.init_checkpoint))
        for name, low, high, default, owner in (("temperature", 0.0, math.inf, 0.5, "simclr"),
                                                 ("threshold", 0.0, 1.0, 0.95, "fixmatch"),
                                                 ("unlabelled_weight", 0.0, math.inf, 1.0, "fixmatch")):
            value = getattr(self, name)
            if (isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not math.isfinite(value)
                    or not low <= value <= high or (name == "temperature" and value == 0)):
                bounds = "> 0" if name == "temperature" else f"in [{low:g}, {high:g}]"
                raise ValueError(f"{name} must be a finite number {bounds}, got {value!r}")
            if value != default and objective != owner:
                raise ValueError(f"{name} is only used by objective={owner!r}, got objective={objective!r}")
            object.__setattr__(self, name, float(value))
        if self.labelled is not None:
            if objective != "fixmatch":
                raise ValueError(f"labelled is only used by objective='fixmatch', got objective={objective!r}")
            if not _is_int(self.labelled) or self.labelled < 1:
                raise ValueError(f"labelled must be an int >= 1, got {self.labelled!r}")
            object.__setattr__(self, "labelled", int(self.labelled))
        if self.strong_augmentation is not None and objective != "fixmatch":
            raise ValueError(f"strong_augmentation is only used by objective='fixmatch', got objective={objective!r}")
        if self.strong_augmentation_options and self.strong_augmentation is None:
            raise ValueError("strong_augmentation_options needs strong_augmentation")
        if objective == "fixmatch" and (self.labelled is None or self.strong_augmentation is None):
            raise ValueError("objective='fixmatch' needs labelled (number of labelled samples) and "
                             "strong_augmentation")
        if objective == "simclr" and self.augmentation in (None, "none"):
            raise ValueError("objective='simclr' needs augmentation (the views), e.g. 'signal_views' or 'image_views'")
        if objective != "supervised":
            if self.label_smoothing:
                raise ValueError(f"label_smoothing is only used by objective='supervised', got {objective!r}")
            if self.distill_from is not None:
                raise ValueError(f"distill_from replaces the labels of objective='supervised'; got {objective!r}")
        if objective == "simclr" and self.random_labels:
            raise ValueError("objective='simclr' uses no labels; random_labels would only relabel the evaluation set")
        if self.strong_augmentation is not None:
            from netsim.data import make_augmentation

            try:  # fail early, naming the field
                make_augmentation(self.strong_augmentation, **self.strong_augmentation_options)
            except (TypeError, ValueError) as error:
                raise ValueError(f"strong_augmentation: {error}") from None

    @property
    def is_variant(self) -> bool:
        """Whether this run uses a training variant (an objective other than supervised or
        ``train_classes``); such runs record ``Trajectory.objective_loss``."""
        return self.objective != "supervised" or self.train_classes is not None

    def key_dict(self) -> dict[str, Any]:
        """The fields that differ from their defaults.

        Hashing only these keeps the keys of existing runs stable when a new field with a
        default is added to this class.
        """
        out = {}
        for f in dataclasses.fields(self):
            default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
            value = getattr(self, f.name)
            if value != default:
                out[f.name] = value
        return out

    def replace(self, **changes) -> "TrainConfig":
        return dataclasses.replace(self, **changes)


@dataclass
class Trajectory:
    """What a training run leaves behind.

    Attributes
    ----------
    config : TrainConfig
    steps : (T,) int, optimiser steps at the checkpoints (``steps[0] == 0``).
    epochs : (T,) float, the same in epochs.
    probs : split -> (T, N_split, C) float32 predicted probabilities (eval mode).
    labels : split -> (N_split,) int64 true labels of the evaluation samples.
    loss, error : split -> (T,) mean cross-entropy (nats) and error rate at each checkpoint.
    weights : (T, P) float32 flattened parameters, or ``None``.
    buffers : (B,) float64, the final model's persistent buffers (batch-norm running statistics
        and counters; those in its ``state_dict``) flattened in ``named_buffers`` order, recorded with
        ``save_weights`` when the model has any (``None`` otherwise, and in runs cached before
        buffers were recorded); :func:`build_final_model` needs them for batch-norm models.
    seconds : wall-clock training time.
    objective_loss : (T,) float, or ``None``: for training variants (``config.is_variant``)
        the mean training objective (the loss the optimiser minimises, e.g. the
        prototypical or NT-Xent loss) over the steps since the previous checkpoint
        (``NaN`` at checkpoint 0); ``None`` for plain supervised runs.
    """

    config: TrainConfig
    steps: np.ndarray
    epochs: np.ndarray
    probs: dict[str, np.ndarray]
    labels: dict[str, np.ndarray]
    loss: dict[str, np.ndarray]
    error: dict[str, np.ndarray]
    weights: np.ndarray | None = None
    seconds: float = float("nan")
    objective_loss: np.ndarray | None = None
    buffers: np.ndarray | None = None

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.probs)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Flatten into named arrays and JSON metadata for :class:`netsim.cache.ResultCache`."""
        arrays = {"steps": self.steps, "epochs": self.epochs}
        for split in self.splits:
            arrays[f"probs/{split}"] = self.probs[split]
            arrays[f"labels/{split}"] = self.labels[split]
            arrays[f"loss/{split}"] = self.loss[split]
            arrays[f"error/{split}"] = self.error[split]
        if self.weights is not None:
            arrays["weights"] = self.weights
        if self.objective_loss is not None:
            arrays["objective_loss"] = self.objective_loss
        if self.buffers is not None:
            arrays["buffers"] = self.buffers
        meta = {"config": dataclasses.asdict(self.config), "seconds": self.seconds,
                "code_version": TRAIN_CODE_VERSION}
        return arrays, meta

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], meta: Mapping[str, Any]) -> "Trajectory":
        splits = sorted(name.split("/", 1)[1] for name in arrays if name.startswith("probs/"))
        pick = lambda kind: {s: arrays[f"{kind}/{s}"] for s in splits}  # noqa: E731
        return cls(config=TrainConfig(**meta["config"]), steps=arrays["steps"], epochs=arrays["epochs"],
                   probs=pick("probs"), labels=pick("labels"), loss=pick("loss"), error=pick("error"),
                   weights=arrays.get("weights"), seconds=float(meta.get("seconds", float("nan"))),
                   objective_loss=arrays.get("objective_loss"), buffers=arrays.get("buffers"))


def _is_int(value) -> bool:
    """True for Python and numpy integers, False for bools."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def checkpoint_steps(total_steps: int, num_checkpoints: int) -> np.ndarray:
    """Log-spaced optimiser steps from 0 to ``total_steps`` inclusive.

    Returns at most ``num_checkpoints`` distinct sorted steps: 0, then a geometric grid
    from 1 to ``total_steps`` (duplicates after rounding removed, so fewer when the run is short).
    """
    if total_steps < 1:
        raise ValueError(f"total_steps must be >= 1, got {total_steps}")
    grid = np.round(np.geomspace(1, total_steps, num_checkpoints - 1)).astype(np.int64)
    return np.unique(np.concatenate([[0], grid, [total_steps]]))


def _stratified_indices(labels: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of a class-balanced subset of size ``n`` (all when ``n`` is None or too large)."""
    if n is None or n >= len(labels):
        return np.arange(len(labels))
    rng = np.random.default_rng(seed)
    classes = np.unique(labels)
    per_class = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]
    # Round-robin over classes keeps the subset as balanced as the data allow.
    order = [idx[i] for i in range(max(map(len, per_class))) for idx in per_class if i < len(idx)]
    return np.sort(np.asarray(order[:n]))


def load_training_data(config: TrainConfig):
    """The training set (after subsetting / label randomisation) and the evaluation sets.

    Returns
    -------
    train : ArrayDataset
    eval_sets : dict split -> ArrayDataset with ``"train"`` (a fixed subset of the training
        data with the labels the model is trained on) and ``"test"``.

    With ``train_classes`` the training set keeps only the samples of those classes (labels
    unchanged), while the evaluation sets are those of the full task, drawn before.
    """
    from netsim.data import load_dataset

    train = load_dataset(config.dataset, "train", **config.dataset_options)
    test = load_dataset(config.dataset, "test", **config.dataset_options)
    if config.train_size is not None:
        train = train.subset(_stratified_indices(train.y, config.train_size, seed=0))
    if config.train_range is not None:
        order = np.random.default_rng(0).permutation(len(train))
        lo, hi = (round(f * len(train)) for f in config.train_range)
        train = train.subset(np.sort(order[lo:hi]))
    if config.random_labels:
        rng = np.random.default_rng([config.seed, 1])
        train = train.relabel(rng.integers(0, train.num_classes, len(train)), train.num_classes,
                              name=f"{train.name}-random-labels")
    # Evaluation subsets are fixed (seed 0), so every run on the same data is compared on the same samples.
    eval_sets = {
        "train": train.subset(_stratified_indices(train.y, config.eval_train_size, seed=0)),
        "test": test.subset(_stratified_indices(test.y, config.eval_test_size, seed=0)),
    }
    if config.train_classes is not None:
        counts = np.bincount(train.y, minlength=train.num_classes)
        absent = [c for c in config.train_classes if c >= train.num_classes or counts[c] == 0]
        if absent:
            raise ValueError(f"train_classes {absent} are not classes of the training data "
                             f"({train.num_classes} classes, present: {np.flatnonzero(counts).tolist()})")
        train = train.subset(np.flatnonzero(np.isin(train.y, config.train_classes)))
    return train, eval_sets


def _make_optimizer(config: TrainConfig, params):
    import torch

    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum,
                           nesterov=config.optimizer == "nesterov", weight_decay=config.weight_decay)


def _warm_up_batch_norm(model, x, batch_size: int, num_batches: int, generator) -> None:
    """Set batch-norm running statistics from ``num_batches`` training mini-batches.

    Momentum ``None`` makes the running statistics a cumulative average of these batches;
    the parameters are untouched (no gradient step).
    """
    import torch

    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms or num_batches == 0:
        return
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
    model.train()
    order = torch.randperm(len(x), generator=generator)
    with torch.no_grad():
        for b in range(num_batches):
            idx = order[b * batch_size:(b + 1) * batch_size]
            if len(idx) == 0:
                break
            model(x[idx])
    for m, momentum in zip(norms, saved):
        m.momentum = momentum


def _cached_run(source: Mapping[str, Any], argument: str) -> "Trajectory":
    """The cached run ``TrainConfig(**source)``, which must have been trained with ``save_weights=True``."""
    from netsim.zoo import load_trajectory

    base = load_trajectory(TrainConfig(**source))
    if base is None or base.weights is None:
        raise ValueError(f"{argument} names a run that is not in the cache with save_weights=True; "
                         "train it first (netsim.zoo.train_many)")
    return base


def _cached_final_weights(source: Mapping[str, Any], argument: str, checkpoint: int | None = None):
    """Weights of the cached run ``TrainConfig(**source)``: final, or at checkpoint index ``checkpoint``."""
    base = _cached_run(source, argument)
    if checkpoint is None:
        return base.weights[-1]
    if checkpoint >= len(base.weights):
        raise ValueError(f"init_checkpoint={checkpoint} but init_from's run has {len(base.weights)} checkpoints")
    return base.weights[checkpoint]


def _set_weights(model, flat, argument: str) -> None:
    import torch

    params = list(model.parameters())
    flat = torch.as_tensor(flat, dtype=params[0].dtype, device=params[0].device)
    expected = sum(p.numel() for p in params)
    if flat.numel() != expected:
        raise ValueError(f"{argument} has {flat.numel()} weights; this model has {expected}")
    with torch.no_grad():
        torch.nn.utils.vector_to_parameters(flat, params)


def _add_init_offset(model, seed: int, scale: float) -> None:
    """Add ``scale * N(0, 1)`` (own generator seeded by ``seed``) to every parameter with
    at least 2 dimensions of ``model`` (see ``TrainConfig.init_offset``)."""
    import torch

    generator = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for p in model.parameters():
            if p.ndim >= 2:
                p.add_(scale * torch.randn(p.shape, generator=generator, dtype=torch.float32).to(p.device, p.dtype))


def _load_initial_weights(model, source: Mapping[str, Any], checkpoint: int | None = None) -> None:
    """Copy the final weights (or those at checkpoint index ``checkpoint``) of the cached
    run ``TrainConfig(**source)`` into ``model``.

    A source with another number of classes (pretraining on another task) gives its body
    only: ``model`` keeps its own freshly initialised ``head``, as in transfer learning.
    """
    import torch

    flat = _cached_final_weights(source, "init_from", checkpoint)
    if len(flat) == sum(p.numel() for p in model.parameters()):
        _set_weights(model, flat, "init_from")
        return
    donor = build_final_model(TrainConfig(**source), weights=flat).state_dict()
    own = model.state_dict()
    body = [k for k in own if not k.startswith("head.")]
    unmatched = [k for k in body if k not in donor or donor[k].shape != own[k].shape]
    if unmatched or len(body) == len(own):
        raise ValueError(f"init_from's network differs from this one beyond its head (unmatched: {unmatched[:4]})")
    with torch.no_grad():
        for k in body:
            own[k].copy_(donor[k].to(own[k].device))


def build_final_model(config: TrainConfig, weights=None, buffers=None):
    """The trained network of ``config`` (eval mode, on the CPU), rebuilt from its cached weights.

    Parameters
    ----------
    config : TrainConfig
        A run trained with ``save_weights=True``.
    weights : array_like (P,), optional
        Flattened parameters to load instead of the cached final ones (e.g. an earlier
        checkpoint, ``trajectory.weights[i]``).
    buffers : array_like (B,), optional
        Flattened buffers (``Trajectory.buffers``) for a model with batch norm. By default
        the cached run's own, when ``weights`` is not given; with ``weights`` given, a
        batch-norm model needs them given too (the buffers of another checkpoint are not
        recorded).

    Returns
    -------
    torch.nn.Module

    Raises
    ------
    ValueError
        If the run is not cached with weights, or the model has batch norm and no buffers
        are available (runs cached before ``Trajectory.buffers`` was recorded).
    """
    import torch

    from netsim.data import load_dataset
    from netsim.models import build_model

    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    data = load_dataset(config.dataset, "test", **config.dataset_options)
    model = build_model(config.model, data.input_shape, data.num_classes, **config.model_options)
    if weights is None:
        run = _cached_run(config.key_dict(), "config")
        weights, buffers = run.weights[-1], (run.buffers if buffers is None else buffers)
    has_norm = any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    if has_norm and buffers is None:
        raise ValueError("config builds a model with batch norm, whose running statistics were not recorded "
                         "for these weights (Trajectory.buffers); retrain it, or use model_options norm=None")
    _set_weights(model, weights, "weights")
    if buffers is not None:
        _set_buffers(model, buffers, "buffers")
    return model.eval()


def _persistent_buffers(model) -> list:
    """The buffers that are part of the model's state (``state_dict``), in ``named_buffers`` order.

    Non-persistent buffers (index tables, masks, some created lazily in the first forward pass, such
    as ConViT's ``rel_indices``) are rebuilt by the model itself and are not recorded."""
    state = model.state_dict(keep_vars=True)
    return [b for name, b in model.named_buffers() if name in state]


def flat_buffers(model) -> np.ndarray | None:
    """``model``'s persistent buffers flattened to one float64 vector (``None`` if it has none)."""
    parts = [b.detach().reshape(-1).double().cpu().numpy() for b in _persistent_buffers(model)]
    return np.concatenate(parts) if parts else None


def _set_buffers(model, flat, argument: str) -> None:
    import torch

    buffers = _persistent_buffers(model)
    flat = np.asarray(flat, dtype=np.float64).reshape(-1)
    expected = sum(b.numel() for b in buffers)
    if flat.size != expected:
        raise ValueError(f"{argument} has {flat.size} values; this model has {expected} buffer entries")
    start = 0
    with torch.no_grad():
        for b in buffers:
            chunk = flat[start:start + b.numel()].reshape(b.shape)
            b.copy_(torch.as_tensor(chunk, dtype=b.dtype, device=b.device))
            start += b.numel()


def _soft_targets(source: Mapping[str, Any], x):
    """Probabilities (N, C) of the cached run ``source`` on the inputs ``x`` (the teacher)."""
    import torch

    teacher = build_final_model(TrainConfig(**source)).to(x.device)
    with torch.no_grad():
        return torch.cat([torch.softmax(teacher(x[i:i + 1024]), dim=1) for i in range(0, len(x), 1024)])


def _evaluate(model, x, y, batch_size: int = 1024):
    """Probabilities (N, C) float32, mean cross-entropy (nats) and error rate, in eval mode."""
    import torch

    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    return _scores(logits, y)


def _scores(logits, y):
    """Probabilities (N, C) float32, mean cross-entropy (nats) and error rate of logits (N, C)."""
    import torch

    log_probs = torch.log_softmax(logits.double(), dim=1)
    loss = float(-log_probs.gather(1, y[:, None]).mean())
    error = float((log_probs.argmax(1) != y).double().mean())
    return log_probs.exp().float().cpu().numpy(), loss, error


def _initial_model(config: TrainConfig, train, dev):
    """The run's network before any step (seeded, with init_from / init_offset applied) and
    the generator that then draws its batch-norm warm-up and minibatch orders."""
    import torch

    from netsim.models import build_model

    torch.manual_seed(config.seed)
    model = build_model(config.model, train.input_shape, train.num_classes, **config.model_options).to(dev)
    if config.init_from is not None:
        _load_initial_weights(model, config.init_from, config.init_checkpoint)
    if config.init_offset is not None:
        _add_init_offset(model, *config.init_offset)
    return model, torch.Generator().manual_seed(config.seed)


def initial_predictions(config: TrainConfig, *, warm_up: bool = True, device: str = "auto") -> dict[str, np.ndarray]:
    """Probabilities of a run's untrained network on its evaluation splits.

    With ``warm_up=True`` these equal checkpoint 0 of :func:`train_trajectory`; with
    ``warm_up=False`` the batch-norm running statistics keep their defaults (mean 0,
    variance 1), the control for the warm-up of thesis Fig. 2.12.

    Returns
    -------
    dict split -> (N, C) float32 probabilities.
    """
    import torch

    from netsim.runtime import configure_threads, resolve_device

    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    configure_threads()
    dev = resolve_device(device)
    train, eval_sets = load_training_data(config)
    model, generator = _initial_model(config, train, dev)
    if warm_up:
        _warm_up_batch_norm(model, torch.as_tensor(train.x, device=dev), config.batch_size,
                            config.bn_warmup_batches, generator)
    return {split: _evaluate(model, torch.as_tensor(d.x, device=dev), torch.as_tensor(d.y, device=dev))[0]
            for split, d in eval_sets.items()}


def train_trajectory(config: TrainConfig, *, device: str = "auto", progress: bool = True) -> Trajectory:
    """Train one configuration and record its trajectory.

    Parameters
    ----------
    config : TrainConfig
    device : "auto" (CUDA when present), "cpu", "cuda", ...
    progress : show a ``tqdm.auto`` progress bar over optimiser steps.

    Returns
    -------
    Trajectory
    """
    import torch
    from tqdm.auto import tqdm

    from netsim.data import make_augmentation
    from netsim.objectives import check_episode, labelled_indices, make_step_loss
    from netsim.runtime import configure_threads, resolve_device

    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig; got {type(config).__name__}")
    configure_threads()
    dev = resolve_device(device)
    train, eval_sets = load_training_data(config)
    if config.objective == "prototypical":
        check_episode(train.y, *config.episode)
    if config.objective == "fixmatch":
        labelled_indices(config, train.y)  # checks labelled against the training set

    model, generator = _initial_model(config, train, dev)
    augment = make_augmentation(config.augmentation, **config.augmentation_options)

    x_train = torch.as_tensor(train.x, device=dev)
    y_train = torch.as_tensor(train.y, device=dev)
    teacher = None
    if config.distill_from is not None and config.distill_hard:
        teacher = build_final_model(TrainConfig(**config.distill_from)).to(dev)  # labels each batch online
    elif config.distill_from is not None:
        y_train = _soft_targets(config.distill_from, x_train)  # CrossEntropyLoss takes probabilities too
    evals = {s: (torch.as_tensor(d.x, device=dev), torch.as_tensor(d.y, device=dev)) for s, d in eval_sets.items()}

    steps_per_epoch = math.ceil(len(train) / config.batch_size)
    total_steps = max(1, round(config.epochs * steps_per_epoch))
    checkpoints = checkpoint_steps(total_steps, config.num_checkpoints)
    optimizer = _make_optimizer(config, model.parameters())
    if config.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * min(step, total_steps) / total_steps)))
    else:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    next_loss = make_step_loss(config, model, train, x_train, y_train, augment, generator, dev, teacher=teacher)

    records = {s: [] for s in evals}
    weights = []
    track = config.is_variant
    objective_losses, running = [], []

    def record():
        for split, (x, y) in evals.items():
            records[split].append(_evaluate(model, x, y))
        if config.save_weights:
            weights.append(torch.nn.utils.parameters_to_vector(model.parameters()).detach().float().cpu().numpy())
        if track:
            objective_losses.append(float(np.mean(running)) if running else float("nan"))
            running.clear()

    start = time.perf_counter()
    _warm_up_batch_norm(model, x_train, config.batch_size, config.bn_warmup_batches, generator)
    record()
    step, next_checkpoint = 0, 1
    bar = tqdm(total=total_steps, desc=f"{config.model}/{config.optimizer}/seed{config.seed}",
               disable=not progress, leave=False)
    while step < total_steps:
        # The step's draws (minibatch order, episode, augmentations) and its loss, in train mode.
        optimizer.zero_grad(set_to_none=True)
        loss = next_loss()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"training diverged at step {step} (loss {loss.item()}); lower lr={config.lr}")
        loss.backward()
        optimizer.step()
        scheduler.step()
        step += 1
        bar.update(1)
        if track:
            running.append(loss.item())
        if next_checkpoint < len(checkpoints) and step == checkpoints[next_checkpoint]:
            record()
            next_checkpoint += 1
    bar.close()
    seconds = time.perf_counter() - start

    stack = lambda split, i: np.array([r[i] for r in records[split]])  # noqa: E731
    return Trajectory(
        config=config, steps=checkpoints, epochs=checkpoints / steps_per_epoch,
        probs={s: np.stack([r[0] for r in records[s]]) for s in evals},
        labels={s: d.y.astype(np.int64) for s, d in eval_sets.items()},
        loss={s: stack(s, 1) for s in evals}, error={s: stack(s, 2) for s in evals},
        weights=np.stack(weights) if weights else None, seconds=seconds,
        objective_loss=np.array(objective_losses) if track else None,
        buffers=flat_buffers(model) if config.save_weights else None,
    )


def fit_summary(trajectories) -> "object":
    """Final train and test error of every run, and whether it reached :data:`FIT_ERROR`.

    Returns
    -------
    pandas.DataFrame with one row per trajectory: model, optimizer, batch, weight_decay, seed,
    epochs, train_error, test_error, fits.
    """
    import pandas as pd

    rows = [dict(model=t.config.model, optimizer=t.config.optimizer, batch=t.config.batch_size,
                 weight_decay=t.config.weight_decay, seed=t.config.seed, epochs=t.config.epochs,
                 train_error=t.error["train"][-1], test_error=t.error["test"][-1]) for t in trajectories]
    table = pd.DataFrame(rows)
    return table.assign(fits=table["train_error"] <= FIT_ERROR)
