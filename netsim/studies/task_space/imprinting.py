"""Mapped trajectories: every checkpoint of a run imprinted onto a target task (eq. 3.2.1).

A run trained on any task (a subtask, an episode, a contrastive objective) is mapped onto the
union task by replacing its head with the normalised class sums of its body features on the
union task's *means* split, then predicting the union task's *analysis* split. Which split
supplies the class means is a choice the thesis leaves open (Remark 3.3.1 vs Figs. 3.4-3.5);
both are arguments here.
"""
from __future__ import annotations

import numpy as np
import torch

from netsim.metrics.tasks import imprint, imprinted_probs
from netsim.train import Trajectory, build_final_model


def body_features(model, x, *, batch_size: int = 512) -> np.ndarray:
    """(N, d) features of the model's body (the head's input) on inputs ``x``, float64."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float32)
    model.eval()
    with torch.no_grad():
        return torch.cat([model.body(x[i:i + batch_size]) for i in range(0, len(x), batch_size)]).double().numpy()


def mapped_trajectory(trajectory: Trajectory, means_x, means_y, analysis_x, num_classes: int,
                      checkpoints=None) -> np.ndarray:
    """The run's checkpoints imprinted onto a target task: (T, N_analysis, C) probabilities.

    Parameters
    ----------
    trajectory : Trajectory trained with ``save_weights=True`` (a network without batch norm).
    means_x, means_y : inputs (M, ...) and labels (M,) of the target task that define the class means.
    analysis_x : inputs (N, ...) whose imprinted predictions are returned.
    num_classes : C of the target task (every class must occur in ``means_y``).
    checkpoints : indices of the checkpoints to map (default all).

    Raises
    ------
    ValueError
        If the run has no recorded weights.
    """
    if trajectory.weights is None:
        raise ValueError("trajectory has no weights: train it with save_weights=True")
    index = range(len(trajectory.weights)) if checkpoints is None else checkpoints
    out = []
    for i in index:
        model = build_final_model(trajectory.config, weights=trajectory.weights[i])
        head = imprint(body_features(model, means_x), means_y, num_classes)
        out.append(imprinted_probs(body_features(model, analysis_x), head))
    return np.stack(out)


def orthogonal_invariance(features, labels, num_classes: int, *, draws: int = 5, seed: int = 0) -> float:
    """Check B11: largest |p(U phi) - p(phi)| of imprinted predictions over ``draws`` random orthogonal U.

    The head is imprinted from the transformed features too (eq. 3.5.5), so U cancels exactly.
    """
    F = np.asarray(features, dtype=np.float64)
    base = imprinted_probs(F, imprint(F, labels, num_classes))
    rng = np.random.default_rng(seed)
    worst = 0.0
    for _ in range(draws):
        U, _ = np.linalg.qr(rng.standard_normal((F.shape[1], F.shape[1])))
        G = F @ U.T
        worst = max(worst, float(np.abs(imprinted_probs(G, imprint(G, labels, num_classes)) - base).max()))
    return worst


def _map_run(item, means_x, means_y, analysis_x, num_classes):
    """One run's mapped trajectory (a picklable job for :func:`map_tasks`'s workers)."""
    return mapped_trajectory(item, means_x, means_y, analysis_x, num_classes)


def map_tasks(runs: dict, means, analysis, *, processes: int = 1, progress: bool = True) -> dict:
    """task -> list of mapped trajectories (T, N, C) of its runs, on the ``analysis`` ArrayDataset.

    ``means`` and ``analysis`` are ArrayDatasets of the target (union) task. ``processes > 1``
    maps the runs on that many worker processes (one torch thread each); the result is the same.
    """
    import functools

    from tqdm.auto import tqdm

    from netsim.zoo import LocalExecutor

    items = [(task, tr) for task, trs in runs.items() for tr in trs]
    job = functools.partial(_map_run, means_x=means.x, means_y=means.y, analysis_x=analysis.x,
                            num_classes=analysis.num_classes)
    done: dict = {}
    executor = LocalExecutor(processes=processes, threads=1)
    for i, mapped in tqdm(executor.map_unordered(job, [tr for _, tr in items]), total=len(items),
                          desc="imprinting checkpoints", disable=not progress):
        done[i] = mapped
    out: dict = {task: [] for task in runs}
    for i, (task, _) in enumerate(items):
        out[task].append(done[i])
    return out
