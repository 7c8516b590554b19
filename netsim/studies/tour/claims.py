"""Declarations of the tour chapter (thesis chapter 2): claims, checks, nulls, revisions.

Data only, no analysis: the chapter (``notebooks/00_tour.ipynb``) measures, and
:class:`netsim.claims.ClaimRegistry` judges against what is written here. Every change to a
test after its results were seen is recorded as a :class:`netsim.claims.Revision`.
"""
from __future__ import annotations

import math

from netsim.claims import AtLeast, AtMost, Check, Claim, Close, Revision

NUM_CLASSES = 10  # MNIST-1D

PROTOCOL = "2026-12-01"  # the claims protocol (interval, null, checks apart) reached this chapter

SAMPLE_PERMUTATION_NULL = (
    "parallel analysis: each evaluation sample's predictions permuted independently across the "
    "models (ignorance and truth kept), which keeps every sample's set of predictions and destroys "
    "what makes a model one object; mean and min-max over permutations")

DECLARATIONS = (
    Check("T1", f"Bhattacharyya distance from ignorance to truth is (1/2) log C, C = {NUM_CLASSES}",
          Close(0.5 * math.log(NUM_CLASSES), tol=1e-9), source="eq. 2.2.2",
          revisions=(Revision(PROTOCOL, "a claim", "a check",
                              "an identity of the distance, not an empirical finding"),)),
    Check("T2", "InPCA with every component kept is exactly isometric: max |D - embedded distance|",
          AtMost(1e-8), source="eq. 2.2.7, Theorem 2.5.1",
          revisions=(Revision(PROTOCOL, "a claim", "a check", "a theorem of the embedding"),)),
    Check("T7", "Distance to the truth is half the cross-entropy: max |d_B(P, P_*) - CE/2| (nats) over "
          "checkpoints, the probabilities stored in float32",
          AtMost(1e-5), source="eq. 2.2.2"),
    Claim("T3", "A time-like (negative-eigenvalue) component is among the leading InPCA components "
          "of the training cloud: rank of the first one", "PC2 is time-like (CIFAR-10)",
          AtMost(3), source="Fig. 2.1", null=SAMPLE_PERMUTATION_NULL,
          revisions=(Revision(PROTOCOL, "IsTrue: at least one of the top-10 eigenvalues is negative",
                              "rank of the first negative eigenvalue <= 3, with interval and null",
                              "a non-Euclidean cloud has negative eigenvalues among its top 10 whatever "
                              "training does, so the old test (which had passed) could not fail; the "
                              "thesis's observation is a leading time-like direction"),)),
    Claim("T4", "Top-3 InPCA explained stress of train predictions is large", "76% (CIFAR-10)",
          AtLeast(0.6, partly=0.4), source="Fig. 2.1, eq. 2.2.8", null=SAMPLE_PERMUTATION_NULL,
          revisions=(Revision(PROTOCOL, "point value only", "bootstrap interval and null added; "
                              "thresholds unchanged", "claims protocol (issue 10)"),)),
    Claim("T5", "With batch-norm statistics warmed up, untrained models start near ignorance: "
          "largest d_B(P, P_0) on test over the untrained models", "< 0.6",
          AtMost(0.6), source="Fig. 2.4, 2.12",
          null="the same untrained networks without the warm-up (running statistics at their "
               "defaults, mean 0 and variance 1)",
          revisions=(Revision(PROTOCOL, "point value only", "bootstrap interval and null added; "
                              "threshold unchanged", "claims protocol (issue 10)"),)),
    Claim("T6", "Progress on the geodesic tracks train error: R^2 of train error on progress over all "
          "checkpoints", "R^2 = 0.95 (CIFAR-10)", AtLeast(0.8, partly=0.5), source="Fig. 2.7",
          null="runs relabelled: each run's progress paired with another run's train error at the same "
               "checkpoint (every cyclic shift of the runs), which keeps the common course of training "
               "and breaks the pairing of a model with its own error",
          revisions=(Revision(PROTOCOL, "point value only", "bootstrap over runs and null added; "
                              "thresholds unchanged", "claims protocol (issue 10)"),)),
)
