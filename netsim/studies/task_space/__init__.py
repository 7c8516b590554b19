"""Study 5, the space of tasks (thesis chapter 3; STUDIES_THESIS.md "STUDY B"): work in progress.

The declarations of claims B1-B10 and check B11 are in :mod:`.claims`, written before any run.
The imprinting and tube tools (:mod:`netsim.metrics.tasks`), the training variants (episodic,
k-way, fine-tuning from checkpoints, contrastive, semi-supervised), the runs and the notebook
``05_task_space`` are the next steps of issue 16.
"""
from netsim.claims import ClaimRegistry
from netsim.studies.task_space.claims import DECLARATIONS  # noqa: F401


#: Knobs of the hierarchy experiment (the MNIST-1D experiments are still to come).
PROFILE = {
    "smoke": dict(seeds=4, n_per_class=30, union_per_class=20, epochs=3, checkpoints=5, null_pairs=3,
                  grid_points=20, resamples=30, task_resamples=10, null_draws=30, embedding_null_draws=2,
                  train_processes=1, seed=0),
    "book": dict(seeds=4, n_per_class=300, union_per_class=100, epochs=60, checkpoints=20, null_pairs=3,
                 grid_points=50, resamples=200, task_resamples=100, null_draws=200, embedding_null_draws=3,
                 train_processes=2, seed=0),
    "paper": dict(seeds=10, n_per_class=1000, union_per_class=300, epochs=60, checkpoints=40, null_pairs=6,
                  grid_points=100, resamples=1000, task_resamples=200, null_draws=1000, embedding_null_draws=10,
                  train_processes=1, seed=0),
}


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("task_space", DECLARATIONS, strict=True)
