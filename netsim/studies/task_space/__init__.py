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


#: Knobs of the MNIST-1D experiments (claims B6-B10; :mod:`.mnist1d`). The statistics' knobs
#: (resamples, null draws, grid) are those of :data:`PROFILE`.
MNIST1D_PROFILE = {
    "smoke": dict(seeds=4, epochs=1, checkpoints=6, subtasks=3, pair_seeds=2, labelled=100, train_size=500,
                  finetune_sources=1, finetune_epochs=1, finetune_checkpoints=4, analysis_size=200,
                  train_processes=1, seed=0),
    "book": dict(seeds=4, epochs=10, checkpoints=20, subtasks=5, pair_seeds=2, labelled=200, train_size=None,
                 finetune_sources=2, finetune_epochs=5, finetune_checkpoints=8, analysis_size=1000,
                 train_processes=2, seed=0),
    "paper": dict(seeds=10, epochs=40, checkpoints=40, subtasks=10, pair_seeds=4, labelled=200, train_size=None,
                  finetune_sources=5, finetune_epochs=5, finetune_checkpoints=10, analysis_size=2000,
                  train_processes=1, seed=0),
}


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("task_space", DECLARATIONS, strict=True)
