"""Chapter 08's pipeline: train the zoo (cached), attack it (cached), gather what the claims need.

:func:`build_zoo` returns a :class:`Zoo`: the runs, their trajectories, the attacked and held-out
test images, the PGD record and the held-out logits. The statistics live in :mod:`.evidence`; the
notebook calls these two modules and records the claims.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from netsim.studies.transferability import design
from netsim.studies.transferability.attacks import attack_record, logits, trained_model


@dataclass
class Zoo:
    """Everything chapter 08 measures on.

    Attributes
    ----------
    runs : list of ZooRun, the attacked members (families, then variants)
    students : list of ZooRun, claim 8.7's students (not attacked)
    trajectories : run name -> Trajectory
    x_attack, y_attack : (N, 3, 32, 32), (N,) the attacked test images
    x_held, y_held : the held-out test images (ensembles, students)
    record : the PGD attack record of :func:`.attacks.attack_record` over ``runs``
    held_logits : (M, N_held, 10) logits of ``runs`` on the held-out images
    settings : the PGD settings
    """

    runs: list
    students: list
    trajectories: dict
    x_attack: np.ndarray
    y_attack: np.ndarray
    x_held: np.ndarray
    y_held: np.ndarray
    record: dict
    held_logits: np.ndarray
    settings: dict
    seconds: dict = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [r.name for r in self.runs]

    @property
    def architectures(self) -> list[str]:
        return [r.architecture for r in self.runs]

    @property
    def roles(self) -> list[str]:
        return [r.role for r in self.runs]

    def index(self, name: str) -> int:
        return self.names.index(name)


def test_images(profile: dict):
    """The attacked and the held-out test images (disjoint; ``design.test_split``)."""
    from netsim.data import load_dataset

    test = load_dataset(design.DATASET, "test", **design.DATASET_OPTIONS)
    attack, held = design.test_split(len(test), profile["attack_images"])
    x, y = np.asarray(test.x, dtype=np.float32), np.asarray(test.y, dtype=np.int64)
    return x[attack], y[attack], x[held], y[held]


def train_runs(runs, processes: int = 1, progress: bool = True) -> dict:
    """Train (or read back) ``runs`` in dependency order: runs that distil from another first."""
    from netsim.zoo import executor_for, train_many

    executor = executor_for(processes)
    out = {}
    first = [r for r in runs if r.config.distill_from is None]
    later = [r for r in runs if r.config.distill_from is not None]
    for stage in (first, later):
        if stage:
            for run, trajectory in zip(stage, train_many([r.config for r in stage], executor=executor,
                                                         progress=progress)):
                out[run.name] = trajectory
    return out


def build_zoo(profile: dict, processes: int = 1, progress: bool = True) -> Zoo:
    """Train the zoo and the students, attack the zoo with PGD, and compute held-out logits."""
    import time

    seconds = {}
    runs, students = design.zoo_runs(profile), design.student_runs(profile)
    start = time.perf_counter()
    trajectories = train_runs(runs + students, processes, progress)  # teachers before the distilled runs
    seconds["training"] = time.perf_counter() - start
    x_attack, y_attack, x_held, y_held = test_images(profile)
    settings = design.pgd_settings(profile)
    start = time.perf_counter()
    record = attack_record([r.config for r in runs], x_attack, y_attack, settings, processes=processes,
                           progress=progress)
    seconds["attacks"] = time.perf_counter() - start
    held = np.stack([logits(trained_model(r.config), x_held) for r in runs])
    return Zoo(runs, students, trajectories, x_attack, y_attack, x_held, y_held, record, held, settings, seconds)


def attack_at(zoo: Zoo, eps: float, processes: int = 1, progress: bool = True) -> Zoo:
    """``zoo`` with its attack record replaced by PGD at radius ``eps`` (same steps, step-size rule,
    images and seeds; cached like the first)."""
    import dataclasses
    import time

    settings = design.pgd_settings({"pgd_steps": zoo.settings["steps"]}, eps=eps)
    start = time.perf_counter()
    record = attack_record([r.config for r in zoo.runs], zoo.x_attack, zoo.y_attack, settings, processes=processes,
                           progress=progress)
    return dataclasses.replace(zoo, record=record, settings=settings,
                               seconds=dict(zoo.seconds, attacks=time.perf_counter() - start))


def student_accuracies(zoo: Zoo) -> np.ndarray:
    """Held-out accuracy of each student (order of ``zoo.students``)."""
    return np.array([np.mean(logits(trained_model(r.config), zoo.x_held).argmax(-1) == zoo.y_held)
                     for r in zoo.students])


def member_accuracies(zoo: Zoo) -> np.ndarray:
    """Held-out accuracy of each attacked member."""
    return (zoo.held_logits.argmax(-1) == zoo.y_held).mean(1)


def train_errors(zoo: Zoo) -> dict[str, float]:
    """Final training error of every run (the regime check: every member fits its data)."""
    return {name: float(t.error["train"][-1]) for name, t in zoo.trajectories.items()}
