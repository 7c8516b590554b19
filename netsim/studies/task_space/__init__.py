"""Study 5, the space of tasks (thesis chapter 3; STUDIES_THESIS.md "STUDY B"), notebook ``05_task_space``.

- :mod:`.claims`: declarations of claims B1-B10 and check B11, written before any run;
- :mod:`.design`, :mod:`.imprinting`, :mod:`.evidence`: the sprite hierarchy experiment (B1-B5);
- :mod:`.mnist1d`, :mod:`.paths_evidence`: the MNIST-1D families (supervised, episodic, k-way,
  fine-tunes, SimCLR, FixMatch) and claims B6-B10;
- :mod:`.figures`: the chapter's figures.

The imprinting and tube tools are :mod:`netsim.metrics.tasks`; the training variants are options of
:class:`netsim.train.TrainConfig` (:mod:`netsim.objectives`).
"""
from netsim.claims import ClaimRegistry, Measured  # noqa: F401  (Measured: for the notebook)
from netsim.claims.partial import glue_parts, record  # noqa: F401  (the chapter's names)
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
    "book": dict(seeds=4, epochs=12, checkpoints=20, subtasks=5, pair_seeds=2, labelled=200, train_size=None,
                 finetune_sources=2, finetune_epochs=5, finetune_checkpoints=8, analysis_size=1000,
                 train_processes=2, seed=0),
    "paper": dict(seeds=10, epochs=40, checkpoints=40, subtasks=10, pair_seeds=4, labelled=200, train_size=None,
                  finetune_sources=5, finetune_epochs=5, finetune_checkpoints=10, analysis_size=2000,
                  train_processes=1, seed=0),
}


STATISTICS_KNOBS = ("grid_points", "resamples", "task_resamples", "null_draws")


def mnist1d_params(hierarchy, mnist1d):
    """The MNIST-1D experiment's Params with the statistics' knobs of the hierarchy Params added."""
    from netsim.profiles import Params

    return Params(mnist1d.profile, {**dict(mnist1d), **{k: hierarchy[k] for k in STATISTICS_KNOBS}})


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("task_space", DECLARATIONS, strict=True)
