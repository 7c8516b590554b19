"""Study 3, similarity of networks with gradients (seed 002; STUDIES.md "Study 3").

The chapter ``03_gradient_similarity`` calls these modules in order:

- :mod:`.design`: the three data sets (roles of CIFAR-10 / CIFAR-100 / SVHN) and the trained zoo;
- :mod:`.representations`: every model probed on its own training data and sketched (Algorithm 1),
  the exact CKA of same-data-set pairs for the sketch-accuracy study;
- :mod:`.transfer`: Task2Vec, the Fisher-Rao norm, the kernel mean embedding norm across data
  sets and sketched kernel ridge regression;
- :mod:`.evidence`: the statistics of claims 3.1-3.6 with their intervals and nulls.

The library underneath is :mod:`netsim.probes`, :mod:`netsim.metrics.sketching` and
:mod:`netsim.metrics.gradient_baselines`; the declarations are in :mod:`.claims`.
"""
from __future__ import annotations

from netsim.claims import ClaimRegistry, Measured  # noqa: F401  (Measured: for the notebook)
from netsim.studies.gradient_similarity.claims import DECLARATIONS  # noqa: F401

PROFILE = {
    "smoke": dict(seeds=3, n_sprites=300, image_size=12, width=4, blocks=(1, 1, 1), deep_blocks=(2, 2, 2),
                  epochs=3, fine_epochs=4, sketch_sizes=(32, 128), sketch_seed=0, accuracy_seeds=2, nbs_kinds=("hadamard",),
                  task2vec_samples=64, krr_test=150, resamples=30, null_draws=30, train_processes=1, seed=0),
    "book": dict(seeds=5, n_sprites=2000, image_size=12, width=8, blocks=(2, 2, 2), deep_blocks=(3, 3, 3),
                 epochs=20, fine_epochs=60, sketch_sizes=(128, 512), sketch_seed=0, accuracy_seeds=5, nbs_kinds=("hadamard",),
                 task2vec_samples=500, krr_test=1000, resamples=200, null_draws=200, train_processes=2, seed=0),
    "paper": dict(seeds=10, n_sprites=10000, image_size=16, width=16, blocks=(2, 2, 2, 2), deep_blocks=(3, 4, 6, 3),
                  epochs=30, fine_epochs=80, sketch_sizes=(128, 512), sketch_seed=0, accuracy_seeds=5,
                  nbs_kinds=("features", "gradients", "hadamard"),
                  task2vec_samples=1000, krr_test=2000, resamples=1000, null_draws=1000, train_processes=1, seed=0),
}


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims` (checks C1-C4, claims 3.1-3.6)."""
    return ClaimRegistry("gradient_similarity", DECLARATIONS, strict=True)
