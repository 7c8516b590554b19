"""Metrics: pure functions, numpy in / numpy out (torch tensors are accepted).

- :mod:`netsim.metrics.predictions`: distances between models in prediction space
  (Bhattacharyya, geodesic, Hellinger, symmetrised KL), geodesics, progress and
  trajectory distances (thesis ch. 2).
- :mod:`netsim.metrics.embedding`: InPCA (Minkowski MDS), explained stress and
  adding points to an embedding.
- :mod:`netsim.metrics.trajectories`: many trajectories on a shared progress grid
  (d_traj matrices, tube widths, distance to the geodesic, Riemann length, four-point basis).
- :mod:`netsim.metrics.centroids`: averages of models (thesis Table 2.3).
- :mod:`netsim.metrics.kernels`: linear CKA, normalised Bures similarity, CountSketch.
- :mod:`netsim.metrics.curvature`: correlation and curvature spectra (curvlinops operators,
  exact dense matrices), sloppy factor, effective dimensionality, Thm 4.3.1 / Lemma 4.3.2 bounds.
"""
from .centroids import CENTROIDS, bhattacharyya_centroid, centroid, jeffreys_centroid
from .curvature import (
    CURVATURES,
    correlation_eigenvalues,
    curvature_operator,
    dense_curvature,
    effective_dimensionality,
    elbow_index,
    extreme_eigenpairs,
    sloppy_factor,
    spectral_dominance_bound,
    strength_factor,
    tail_slope,
    trace_bound,
)
from .embedding import (
    InPCA,
    explained_pairwise_distance,
    inpca,
    kabsch_umeyama,
    minkowski_sq_distances,
    weighted_inpca,
)
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
    pairwise_squared_euclidean,
    pairwise_symmetric_kl,
    progress,
    progress_many,
    reindex_by_progress,
    symmetric_kl,
    trajectory_distance,
    truth,
)
from .trajectories import (
    distance_to_geodesic,
    four_point_basis,
    pairwise_trajectory_distance,
    progress_average,
    progress_grid,
    reindex_many,
    riemann_length,
    tube_widths,
)

__all__ = [
    "CENTROIDS",
    "CURVATURES",
    "InPCA",
    "bhattacharyya",
    "bhattacharyya_centroid",
    "centre_kernel",
    "centroid",
    "cka",
    "cka_kernels",
    "correlation_eigenvalues",
    "count_sketch",
    "curvature_operator",
    "dense_curvature",
    "distance_to_geodesic",
    "effective_dimensionality",
    "elbow_index",
    "explained_pairwise_distance",
    "extreme_eigenpairs",
    "four_point_basis",
    "geodesic_distance",
    "geodesic_interpolate",
    "hellinger",
    "hellinger_product",
    "ignorance",
    "inpca",
    "jeffreys_centroid",
    "kabsch_umeyama",
    "minkowski_sq_distances",
    "nbs",
    "pairwise_bhattacharyya",
    "pairwise_geodesic",
    "pairwise_squared_euclidean",
    "pairwise_symmetric_kl",
    "pairwise_trajectory_distance",
    "progress",
    "progress_average",
    "progress_grid",
    "progress_many",
    "reindex_by_progress",
    "reindex_many",
    "riemann_length",
    "sloppy_factor",
    "spectral_dominance_bound",
    "strength_factor",
    "symmetric_kl",
    "tail_slope",
    "trace_bound",
    "trajectory_distance",
    "truth",
    "tube_widths",
    "weighted_inpca",
]
