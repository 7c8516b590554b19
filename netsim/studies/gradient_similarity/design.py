"""The data roles and the trained models of study 3 (CIFAR-10 / CIFAR-100 / SVHN at CPU scale).

Three data sets share one input shape (RGB, ``image_size`` pixels):

``A`` (CIFAR-10 role)
    sprites of the 10 shapes, labelled by shape.
``B`` (CIFAR-100 role)
    *another draw* of sprites of the same kind (data seed 1), labelled by the 60 shape x colour
    classes: the same image distribution, more classes. CIFAR-10 and CIFAR-100 hold different
    images, so B does not reuse A's: with shared images, A-B pairs would compare the same samples
    bucket by bucket and the {A, B} ordering of claim 3.1 would be built in.
``C`` (SVHN role)
    scikit-learn's handwritten digits, resized to the same shape, 10 classes: another domain.

``A2`` is a third draw of A's distribution (data seed 2), the "second sample of A" of claim 3.5's null.

Each role trains ``seeds`` small ResNets and one deeper ResNet. Seeds differ between roles
(:data:`SEED_OFFSET`): with a shared seed, an A model and a C model of the same architecture
start from the same weights, which would inflate cross-data-set similarity at the first blocks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from netsim.train import TrainConfig, Trajectory

ROLES = ("A", "B", "C")
ROLE_NAMES = {"A": "A: sprites, 10 shapes (CIFAR-10 role)",
              "B": "B: sprites, 60 shape x colour classes (CIFAR-100 role)",
              "C": "C: digits (SVHN role)"}
SEED_OFFSET = {"A": 0, "B": 100, "C": 200}  # run seeds of the small models; the deep ones add 50
DATA_SEED = {"A": 0, "B": 1, "A2": 2}       # sprite draws: B and A2 are other samples of A's distribution
SPRITES = dict(channels=3, shapes="all", max_angle=0.0, position_range=0.2, scale_range=(0.5, 0.7))
OPTIMISER = dict(optimizer="adam", lr=0.01, batch_size=128, weight_decay=0.0, schedule="cosine")
EVAL = dict(eval_train_size=1000, eval_test_size=500)


def dataset_spec(role: str, P) -> tuple[str, dict]:
    """(dataset name, options) of ``role`` in {"A", "B", "C", "A2"} at the settings ``P``."""
    if role == "C":
        return "digits", dict(size=P.image_size, channels=3)
    if role not in DATA_SEED:
        raise ValueError(f"role must be one of {ROLES + ('A2',)}; got {role!r}")
    label = "fine" if role == "B" else "shape"
    return "sprites", dict(SPRITES, size=P.image_size, n=P.n_sprites, label=label, seed=DATA_SEED[role])


def load_role(role: str, split: str, P):
    """The :class:`netsim.datasets.ArrayDataset` of ``role`` (``split`` "train" or "test")."""
    from netsim.data import load_dataset

    name, options = dataset_spec(role, P)
    return load_dataset(name, split, **options)


def train_config(role: str, seed: int, P, deep: bool = False) -> TrainConfig:
    """The run of model ``seed`` (0, 1, ...) of ``role``; ``deep`` for the deeper ResNet."""
    name, options = dataset_spec(role, P)
    blocks = tuple(P.deep_blocks if deep else P.blocks)
    return TrainConfig(dataset=name, dataset_options=options, model="resnet",
                       model_options=dict(width=P.width, blocks=blocks, norm="layer"),
                       epochs=P.fine_epochs if role == "B" else P.epochs,
                       seed=SEED_OFFSET[role] + seed + (50 if deep else 0), num_checkpoints=2,
                       save_weights=True, **OPTIMISER, **EVAL)


@dataclass
class Zoo:
    """The trained models of the study.

    Attributes
    ----------
    small : role -> list of TrainConfig (``seeds`` small ResNets)
    deep : role -> TrainConfig (the deeper ResNet)
    trajectories : config key -> Trajectory (final errors, training time)
    """

    small: dict
    deep: dict
    trajectories: dict

    @property
    def labels(self) -> np.ndarray:
        """(n_small,) role of each small model, in :meth:`small_configs` order."""
        return np.array([role for role in ROLES for _ in self.small[role]])

    def small_configs(self) -> list[TrainConfig]:
        return [c for role in ROLES for c in self.small[role]]

    def trajectory(self, config: TrainConfig) -> Trajectory:
        return self.trajectories[_key(config)]

    def regime(self):
        """A table of final train / test error and training time per role and architecture."""
        import pandas as pd

        rows = []
        for role in ROLES:
            for arch, configs in (("small", self.small[role]), ("deep", [self.deep[role]])):
                trs = [self.trajectory(c) for c in configs]
                rows.append({"data set": ROLE_NAMES[role], "network": arch, "models": len(trs),
                             "blocks": sum(configs[0].model_options["blocks"]),
                             "epochs": configs[0].epochs,
                             "train error": float(np.mean([t.error["train"][-1] for t in trs])),
                             "largest train error": float(np.max([t.error["train"][-1] for t in trs])),
                             "test error": float(np.mean([t.error["test"][-1] for t in trs])),
                             "seconds per run": float(np.mean([t.seconds for t in trs]))})
        return pd.DataFrame(rows)


def _key(config: TrainConfig) -> str:
    from netsim.zoo import trajectory_key

    return trajectory_key(config)


def train_zoo(P, *, cache=None, progress: bool = True) -> Zoo:
    """Train (or read from the cache) every model of the study at the settings ``P``."""
    from netsim.zoo import executor_for, train_many

    small = {role: [train_config(role, s, P) for s in range(P.seeds)] for role in ROLES}
    deep = {role: train_config(role, 0, P, deep=True) for role in ROLES}
    configs = [c for role in ROLES for c in small[role]] + [deep[role] for role in ROLES]
    # One run per job on P.train_processes single-threaded workers: these networks are too small
    # for two torch threads to help, and packs of 5 would leave one worker idle at the end.
    executor = executor_for(P.train_processes, engine="sequential")
    trajectories = train_many(configs, cache=cache, executor=executor, progress=progress)
    return Zoo(small, deep, {_key(c): t for c, t in zip(configs, trajectories)})


def build(config: TrainConfig):
    """The trained network of ``config`` (eval mode, CPU)."""
    from netsim.train import build_final_model

    return build_final_model(config)
