"""Study 5, the space of tasks (thesis chapter 3; STUDIES_THESIS.md "STUDY B"): work in progress.

The declarations of claims B1-B10 and check B11 are in :mod:`.claims`, written before any run.
The imprinting and tube tools (:mod:`netsim.metrics.tasks`), the training variants (episodic,
k-way, fine-tuning from checkpoints, contrastive, semi-supervised), the runs and the notebook
``05_task_space`` are the next steps of issue 16.
"""
from netsim.claims import ClaimRegistry
from netsim.studies.task_space.claims import DECLARATIONS  # noqa: F401


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("task_space", DECLARATIONS, strict=True)
