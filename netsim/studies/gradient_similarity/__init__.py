"""Study 3, similarity of networks with gradients (seed 002; STUDIES.md "Study 3"): work in progress.

The library it rests on is in place: :mod:`netsim.probes` (features and expected-loss gradients at
any named block), :mod:`netsim.metrics.sketching` (streaming CountSketch representations, sketched
CKA/NBS) and :mod:`netsim.metrics.gradient_baselines` (Task2Vec, Fisher-Rao norm, kernel mean
embedding norms, sketched kernel ridge regression). The declarations of claims 3.1-3.6 are in
:mod:`.claims`; the data roles, runs, measurements and the notebook ``03_gradient_similarity`` are
the next step of issue 15.
"""
from netsim.studies.gradient_similarity.claims import DECLARATIONS  # noqa: F401
