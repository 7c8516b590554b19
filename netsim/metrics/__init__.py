"""Metrics: pure functions, numpy in / numpy out (torch tensors are accepted).

- :mod:`netsim.metrics.predictions`: distances between models in prediction space
  (Bhattacharyya, geodesic, Hellinger, symmetrised KL), geodesics, progress and
  trajectory distances (thesis ch. 2).
- :mod:`netsim.metrics.embedding`: InPCA (Minkowski MDS), explained stress and
  adding points to an embedding.
- :mod:`netsim.metrics.kernels`: linear CKA, normalised Bures similarity, CountSketch.
"""
from .embedding import InPCA, explained_pairwise_distance, inpca, minkowski_sq_distances
from .kernels import centre_kernel, cka, cka_kernels, count_sketch, nbs
from .predictions import (
    bhattacharyya,
    geodesic_distance,
    geodesic_interpolate,
    hellinger,
    hellinger_product,
    ignorance,
    pairwise_bhattacharyya,
    pairwise_geodesic,
    pairwise_symmetric_kl,
    progress,
    progress_many,
    reindex_by_progress,
    symmetric_kl,
    trajectory_distance,
    truth,
)

__all__ = [
    "InPCA",
    "bhattacharyya",
    "centre_kernel",
    "cka",
    "cka_kernels",
    "count_sketch",
    "explained_pairwise_distance",
    "geodesic_distance",
    "geodesic_interpolate",
    "hellinger",
    "hellinger_product",
    "ignorance",
    "inpca",
    "minkowski_sq_distances",
    "nbs",
    "pairwise_bhattacharyya",
    "pairwise_geodesic",
    "pairwise_symmetric_kl",
    "progress",
    "progress_many",
    "reindex_by_progress",
    "symmetric_kl",
    "trajectory_distance",
    "truth",
]
