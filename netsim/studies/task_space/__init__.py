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


def record(claims, id: str, measured, null, note: str = ""):
    """``claims.record`` for statistics that a small run can leave undefined (``None`` parts).

    A claim with an undefined part is recorded as not tested, naming the parts (for instance two
    families without a common progress range, or too few runs for a tube). A null part that is
    undefined is left out and named in the note, so the reader sees that this part was judged
    without its null.
    """
    parts = measured if isinstance(measured, dict) else {id: measured}
    undefined = [name for name, value in parts.items() if value is None]
    if undefined:
        return claims.record(id, None, note="; ".join(filter(None, (note, "undefined in this run: " + "; ".join(undefined)))))
    if isinstance(null, dict):
        missing = [name for name, value in null.items() if value is None]
        null = {name: value for name, value in null.items() if value is not None}
        if missing:
            note = "; ".join(filter(None, (note, "null undefined for: " + "; ".join(missing))))
    return claims.record(id, Measured(measured) if isinstance(measured, dict) else measured, null=null, note=note)


def glue_parts(name: str, values) -> list[str]:
    """Glue each part of a claim's statistics for the prose, NaN where a run left it undefined.

    ``values`` is an Estimate (glued as ``name``) or a mapping of parts (glued as ``name_1``,
    ``name_2``, ... in order); ``claims.glue`` glues only what was recorded, and a small profile
    leaves some claims not tested, so the chapter's text reads these names instead.
    """
    from myst_nb import glue

    parts = list(values.values()) if isinstance(values, dict) else [values]
    names = [name] if not isinstance(values, dict) else [f"{name}_{k}" for k in range(1, len(parts) + 1)]
    for label, value in zip(names, parts):
        glue(label, float("nan") if value is None else float(getattr(value, "value", value)), display=False)
    return names
