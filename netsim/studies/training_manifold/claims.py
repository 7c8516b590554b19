"""Declarations of chapter 04 (thesis chapter 2, the training manifold): claims A1-A21, checks, nulls.

Data only: :mod:`netsim.studies.training_manifold` measures, :class:`netsim.claims.ClaimRegistry`
judges against what is written here. The claims are those of ``STUDIES_THESIS.md`` (STUDY A).
Two rounds of revisions are recorded: the first corrections of issue 13 (2026-12-01: A2, A8,
A9, A12-A14, A16-A18, A20), made after the first version's results had been seen, and the
move to the full claims protocol (2026-12-02: an interval and a null for every claim; A6, A7,
A11, A12 and A18 rewritten as measurable parts), made before this version's book run.
"""
from __future__ import annotations

from netsim.claims import AllOf, AtLeast, AtMost, Check, Claim, Close, IsTrue, Revision

PROTOCOL_04 = "2026-12-01"  # first corrections of issue 13 (A8, A17, d_traj window, ...)
PROTOCOL_04B = "2026-12-02"  # the full claims protocol: intervals and nulls for every claim (issue 13)

#: The null of every "low-dimensional" test: the same cloud with each sample's predictions shuffled
#: across the models independently per sample. Every model keeps predictions that some model made,
#: every sample keeps its set of predictions, but no model is a coherent point of a trajectory.
SHUFFLED_CLOUD = ("the same models with each sample's predictions shuffled across models independently "
                  "per sample (a cloud with the same per-sample predictions and no shared structure)")
RUN_BOOTSTRAP = "bootstrap over runs (a run's checkpoints are resampled together)"
PERMUTATION_IS_NULL = ("none: a permutation p-value is the share of label permutations (the effect "
                       "absent by construction) at least as extreme; its interval is the Monte Carlo "
                       "(Clopper-Pearson) interval of that share")


def _interval_and_null(old: str, null: str = "the null named in this row") -> Revision:
    return Revision(PROTOCOL_04B, old, f"same threshold, with an interval ({RUN_BOOTSTRAP} unless stated) "
                    f"and {null}", "the claims protocol: every claim carries an interval and a null (issue 13)")


DECLARATIONS = (
    Claim("A1", "Top-3 InPCA explained stress of train predictions is large", "76% CIFAR-10 (top-50 98%)",
          AtLeast(0.6, partly=0.4), source="Fig. 2.1", null=SHUFFLED_CLOUD,
          revisions=(_interval_and_null("point value, no null", "the shuffled-cloud null"),)),
    Claim("A2", "The second InPCA component is time-like: rank of the first negative eigenvalue (top 10)",
          "PC2 time-like", AtMost(2, partly=3), source="Fig. 2.1", null=SHUFFLED_CLOUD,
          revisions=(Revision(PROTOCOL_04, "IsTrue: at least one of the top-10 eigenvalues is negative",
                              "rank of the first negative eigenvalue <= 2 (partly 3)", "a non-Euclidean cloud has "
                              "negative eigenvalues among its top 10 whatever training does; the thesis observes "
                              "PC2 time-like (issue 13)"),
                     _interval_and_null("point value, no null", "the shuffled-cloud null (where the first "
                                        "negative eigenvalue falls in a cloud without structure)"))),
    Check("A3", "InPCA is exactly isometric with every dimension kept: max |D - embedded distance|",
          AtMost(1e-8), source="eq. 2.2.7, Theorem 2.5.1",
          revisions=(Revision(PROTOCOL_04, "a claim", "a check", "a theorem of the embedding"),)),
    Check("A4", "d_B(P, P_*) is half the cross-entropy for a one-hot truth: max |difference|",
          AtMost(1e-9), source="eq. 2.2.2",
          revisions=(Revision(PROTOCOL_04, "a claim", "a check", "an identity of the distance"),)),
    Claim("A5", "With batch-norm statistics warmed up, models start near ignorance: largest d_B(P, P_0) of "
          "the untrained models (test)", "d_B(P, P_0) < 0.6", AtMost(0.6), source="Figs. 2.4, 2.12",
          null="the same untrained networks without the batch-norm warm-up (running statistics at their "
               "defaults, the control of Fig. 2.12)",
          revisions=(_interval_and_null("point value, no null", "the no-warm-up null; interval: bootstrap "
                                        "over test samples"),)),
    Claim("A6", "Train trajectories are near the geodesic early and late, far in between; test distances "
          "are larger", "qualitative",
          AllOf((("interior bulge: median over runs of the mean distance to the geodesic in the middle 80% "
                  "of the run's progress range / the larger of the means in its first and last 10%",
                  AtLeast(1.5, partly=1.0)),
                 ("test / train: mean distance to the geodesic on test samples over that on train samples, "
                  "mean over runs", AtLeast(1.2, partly=1.0)))),
          source="Fig. 2.17",
          null="bulge: each run's distance profile permuted along progress (no dependence on where the "
               "run is); test / train: the two splits swapped at random per run",
          revisions=(Revision(PROTOCOL_04B, "IsTrue: the peak of the distance lies in the interior for at least "
                              "half the runs, and the mean test distance exceeds the train one",
                              "two ratios with a bootstrap over runs and permutation nulls", "the argmax of a "
                              "profile without structure falls in the interior 80% of the time, so the old "
                              "test passed on noise (issue 13)"),)),
    Claim("A7", "The test manifold has lower explained stress than train but is still low-dimensional",
          "63% vs 76% (top-3)",
          AllOf((("test - train top-3 stress", AtMost(0.0)),
                 ("test top-3 stress", AtLeast(0.4)))),
          source="Fig. 2.4 (measured: a paired bootstrap over runs, the same runs for both splits)",
          null="low-dimensional part: " + SHUFFLED_CLOUD + "; the difference has no null (0 is its no-effect "
               "value and the paired interval decides)",
          revisions=(Revision(PROTOCOL_04B, "IsTrue: test top-3 stress < train top-3 stress and test >= 0.4",
                              "the same conditions as two parts with paired run-bootstrap intervals and the "
                              "shuffled-cloud null", "the claims protocol (issue 13)"),)),
    Claim("A8", "Trajectory clusters follow architecture first, optimisation second", "p < 1e-6",
          AllOf((("architecture: PERMANOVA p", AtMost(0.05, partly=0.1)),
                 ("optimiser within architectures: PERMANOVA p", AtMost(0.05, partly=0.1)),
                 ("pseudo-F architecture / optimiser", AtLeast(1.0)))),
          source="Fig. 2.6 (measured: PERMANOVA on the seed-averaged d_traj of configurations, over a "
                 "progress window every run covers; the F ratio's interval is a bootstrap over configurations)",
          null=PERMUTATION_IS_NULL,
          revisions=(Revision(PROTOCOL_04, "random-forest permutation importance on pairs of configurations "
                              "(30 target permutations)", "configuration-level PERMANOVA, 999 permutations, the "
                              "optimiser stratified by architecture; d_traj over a common progress window",
                              "importance was in-sample, the pair rows are not exchangeable (each configuration "
                              "sits in many pairs), the geodesic covariates absorbed the architecture signal "
                              "and 30 permutations resolve only 1/31 (issue 13)"),
                     Revision(PROTOCOL_04B, "point values", "Monte Carlo intervals of the p-values and a "
                              "bootstrap over configurations for the F ratio", "the claims protocol (issue 13)"))),
    # The "augmentation" part was added with the augmented runs, before they were trained.
    Claim("A9", "Tube widths over seeds are small next to distances between configurations; augmentation "
          "widens them late in training", "median about 0.05; wider with augmentation at large progress",
          AllOf((("tube / nearest configuration", AtMost(0.5, partly=1.0)),
                 ("augmentation", AtLeast(1.2, partly=1.0)))),
          source="Figs. 2.15-2.16 (measured: median d_traj between the tube's seeds / median d_traj to the nearest "
                 "other AllCNN configuration; augmentation: smallest over architectures of the median tube width "
                 "with / without augmentation on the top third of the shared progress range, train; intervals: "
                 "bootstrap over the tube's seeds)",
          null="tube part: the seeds split in halves, one half as the 'other configuration' (about 1); "
               "augmentation part: the plain seeds split in halves, one half's late width over the other's",
          revisions=(Revision(PROTOCOL_04, "median tube width / median d_traj between all configurations",
                              "median d_traj within the tube / to the nearest other configuration of the same "
                              "architecture, with the split-seed null", "the median over all pairs of "
                              "configurations is dominated by pairs of different architectures, so the old "
                              "ratio could not fail (issue 13)"),
                     _interval_and_null("the augmentation part without a null", "the split-seed null for the "
                                        "augmentation part too; intervals: bootstrap over seeds"))),
    Claim("A10", "Progress correlates with train error: R^2 over all checkpoints",
          "R^2 = 0.95 (test 0.88, train vs test progress 0.99)", AtLeast(0.8, partly=0.5), source="Fig. 2.7",
          null="each run's progress paired with another run's train error at the same checkpoint (every "
               "cyclic shift of the runs): keeps the common course of training, breaks the pairing",
          revisions=(_interval_and_null("point value, no null", "the run-relabelling null of tour claim T6"),)),
    Claim("A11", "A larger network of the same family follows the same manifold and reaches higher progress "
          "per update", "qualitative",
          AllOf((("ahead: share of checkpoints where the large ResNet-1D's progress >= the small one's",
                  AtLeast(0.8, partly=0.5)),
                 ("same manifold: d_traj(small, large) / d_traj(small ResNet-1D, AllCNN-1D with the same "
                  "optimiser, batch and seed)", AtMost(0.7, partly=1.0)))),
          source="Fig. 2.8 (measured: intervals by bootstrap over evaluation samples)",
          null="ahead: a second seed of the small network against the first (the share for two runs of "
               "one network); same manifold: none, 1 is the no-effect value (as far from its own family "
               "as from another architecture)",
          revisions=(Revision(PROTOCOL_04B, "the 'ahead' share only", "a 'same manifold' part added, intervals "
                              "and the second-seed null", "the claim says the larger network follows the same "
                              "manifold, which the old test did not measure (issue 13)"),)),
    Claim("A12", "Weight decay lowers final progress; Nesterov progresses faster early", "qualitative",
          AllOf((("weight decay: one-sided sign-flip p of the mean change of final progress", AtMost(0.05, partly=0.1)),
                 ("Nesterov: one-sided sign-flip p of the mean gain over SGD in each run's first quarter",
                  AtMost(0.05, partly=0.1)))),
          source="Section 2.3 (measured: configurations paired by the other factors; non-augmented grid)",
          null=PERMUTATION_IS_NULL.replace("label permutations", "sign flips of the paired differences"),
          revisions=(Revision(PROTOCOL_04, "Nesterov vs SGD over the checkpoints below the first quartile of "
                              "steps pooled over all runs", "each run's own first quarter of training, paired "
                              "configurations", "runs of different lengths (Adam trains longer) made the pooled "
                              "quartile cut runs at different points of their training (issue 13)"),
                     Revision(PROTOCOL_04B, "IsTrue: mean paired change < 0 and mean gain > 0",
                              "one-sided sign-flip permutation p-values of the paired means", "the sign of a "
                              "mean of a dozen pairs is a coin flip when there is no effect (issue 13)"))),
    Claim("A13", "An embedding from a small subset of samples preserves most pairwise distances",
          "'consistently quite high' (N = 50 of 50,000)", AtLeast(0.6, partly=0.4),
          source="Figs. 2.5b, 2.13 (measured: N = 10, the smallest subset, top-10; interval over 5 subsets)",
          null="the subset's predictions shuffled across models per sample before the embedding is built "
               "(an uninformative basis; every model is still placed with its full-sample distances)",
          revisions=(Revision(PROTOCOL_04, "N = 100 (10% of the samples)", "N = 10 (1%, one per class on average)",
                              "the thesis uses 0.1% of its samples; 0.1% of 1000 is one sample, so the smallest "
                              "subset measured is the closest to it (issue 13)"),
                     _interval_and_null("one subset, no null", "the shuffled-subset null; interval: min-max "
                                        "over 5 random subsets"))),
    Claim("A14", "The four-point basis preserves pairwise distances about as well as the top 8 dims: explained "
          "pairwise distance of the basis minus that of the top 8", "RMSD 0.06", AtLeast(-0.1, partly=-0.25),
          source="Figs. 2.9-2.10 (measured: models with d_B(P, P_*) < 2, s1 = 0.2, s2 = 0.8)",
          null="the two averaged points built from models at random progress (the models' progress values "
               "permuted before the Gaussian weighting of eq. 2.4.1)",
          revisions=(Revision(PROTOCOL_04, "basis / top-8 explained pairwise distance >= 0.8, every model, s1 = 0.3",
                              "basis - top-8 >= -0.1 (partly -0.25) over the models with d_B(P, P_*) < 2, s1 = 0.2, "
                              "as Fig. 2.10", "a ratio of two numbers that can be negative is not a measure of "
                              "closeness, and the protocol was not the thesis's (issue 13)"),
                     _interval_and_null("point value, no null", "the random-progress null"))),
    Claim("A15", "Test models projected into train coordinates explain pairwise distances close to a test "
          "embedding", "0.52 vs 0.56 (ratio 0.93)", AtLeast(0.8, partly=0.6),
          source="Fig. 2.5a (measured: ratio, top-10)",
          null="the test models projected into the embedding of the shuffled train cloud",
          revisions=(_interval_and_null("point value, no null", "the shuffled-train-cloud null"),)),
    Claim("A16", "Random-label starts rejoin the normal manifold; top-3 explained stress stays high", "> 87%",
          AllOf((("top-3 stress, corners + normal runs", AtLeast(0.87, partly=0.6)),
                 ("rejoin: corner-to-normal distance at the end / at the start", AtMost(0.5, partly=1.0)))),
          source="Figs. 2.20-2.21 (measured: mean d_B between the corner runs' and the normal runs' predictions; "
                 "rejoin interval: bootstrap over evaluation samples)",
          null="stress: " + SHUFFLED_CLOUD + "; rejoin: the corner runs held at their starting predictions "
               "(the ratio that the normal runs' own movement gives)",
          revisions=(Revision(PROTOCOL_04, "top-3 stress only (the distances were printed)", "a 'rejoin' part added: "
                              "the mean corner-to-normal d_B at the last checkpoint over the same at the first",
                              "the claim says the runs rejoin, which the old test did not measure (issue 13)"),
                     _interval_and_null("point values, no null", "the shuffled-cloud and held-corner nulls"))),
    Claim("A17", "Harmonic-mean ensembles have lower test error than arithmetic ones", "18.9% vs 25.0%",
          AtMost(-1e-9), source="Fig. 2.24 (measured: err(harmonic) - err(arithmetic) at the last checkpoint, "
                                "paired bootstrap over test samples)",
          null="none: the paired bootstrap interval of the difference decides (0 is the no-effect value)",
          revisions=(Revision(PROTOCOL_04, "harmonic lowest of six and arithmetic highest, ties count",
                              "err(HM) - err(AM) <= 0 with a paired bootstrap interval over test samples (an "
                              "interval reaching 0 is inconclusive)", "0.003 was 3 of 1000 test samples, and "
                              "'ties count' passed when all six centroids were identical (issue 13)"),
                     Revision(PROTOCOL_04, "the seeds of FC + SGD", "after its first run under the new test: the "
                              "seeds of AllCNN-1D + SGD, as Fig. 2.24", "the thesis's ensembles are AllCNN "
                              "networks (issue 13); the FC result was -0.005 [-0.017, 0.007]"),
                     Revision(PROTOCOL_04, "err(HM) - err(AM) <= 0", "after the AllCNN run: < 0 (<= -1e-9)",
                              "the AllCNN ensembles tie exactly (0 [0, 0]), and '<= 0' let the tie pass, the "
                              "defect the revision above removed"))),
    Claim("A18", "Euclidean PCA of probabilities also looks low-dimensional but distorts the geometry: it "
          "crowds the late models together and brings the geodesic close to the trajectories",
          "91% top-3 (train)",
          AllOf((("PCA top-3 explained variance", AtLeast(0.6, partly=0.4)),
                 ("late-model spread, Euclidean / Bhattacharyya", AtMost(0.8, partly=1.0)),
                 ("geodesic closeness, Euclidean / Bhattacharyya", AtMost(0.8, partly=1.0)))),
          source="Fig. 2.23 and its discussion (measured: explained variance of the PCA; mean distance among "
                 "models with progress > 0.8 relative to the mean over all pairs; median distance of a model "
                 "to the nearest geodesic point relative to the median distance between models; squared "
                 "Euclidean against Bhattacharyya)",
          null="explained variance: " + SHUFFLED_CLOUD + "; the two ratios: none, 1 is their no-effect value "
               "(the same relative geometry in both distances) and the interval decides",
          revisions=(Revision(PROTOCOL_04, "PCA top-3 stress >= 0.6 and Spearman(Euclidean, Bhattacharyya) < 0.95",
                              "PCA top-3 explained variance and the late-model spread ratio", "the thesis reports "
                              "explained variance; the Spearman correlation of two monotone-related distances is "
                              "about 0.99 even where the geometries differ (issue 13)"),
                     Revision(PROTOCOL_04B, "two parts, point values", "the geodesic-closeness part added (the "
                              "thesis's distortion (b)), intervals and the shuffled-cloud null",
                              "the claims protocol; the geodesic distortion was not tested (issue 13)"))),
    # The three corner parts were added with the corner runs, before they were trained; the
    # "low-dimensional" part and its thresholds are the original declaration.
    Claim("A19", "Synthetic: low-dimensional for sloppy and isotropic inputs; corner trajectories converge "
          "faster with sloppy inputs; initial slices are not low-dimensional",
          "99% in 10 dims; 87% top-3 (85% from corners, higher for sloppy)",
          AllOf((("low-dimensional", AtLeast(0.6, partly=0.4)),
                 ("corners: sloppy top-3 higher", IsTrue("top-3 stress of the runs from all corners higher for "
                                                         "sloppy than for isotropic inputs")),
                 ("corners: sloppy faster", IsTrue("between-corner distance, relative to step 0, lower for sloppy "
                                                   "inputs at 10% of training")),
                 ("initial slice", AtMost(0.6, partly=0.8)))),
          source="Figs. 2.25-2.28 (measured: smaller top-3 stress of the two spectra; corners; larger top-3 "
                 "stress over the spectra of one corner's slice at 0.5% of training, 4 x corner_inits models; "
                 "intervals: bootstrap over runs, over the slice's initialisations)",
          null="low-dimensional: " + SHUFFLED_CLOUD + "; initial slice: none (a slice without structure is "
               "what the claim asserts); the corner parts are comparisons of two spectra",
          revisions=(_interval_and_null("point values, no null", "the shuffled-cloud null for the "
                                        "low-dimensional part"),)),
    Claim("A20", "Weight-space PCA across seeds is not low-dimensional: top-2 variance share minus the "
          "share of as many isotropic random vectors", "top-k variance falls with more seeds",
          AtMost(0.1, partly=0.2), source="Section 2.5 (measured: final weights of the tube's seeds)",
          null="the same share for that many checkpoints of one run, a path in weight space",
          revisions=(Revision(PROTOCOL_04, "top-2 share <= 0.6", "top-2 share minus the isotropic share <= 0.1, "
                              "with the share along one run as null", "six random vectors give a top-2 share of "
                              "about 0.5 < 0.6, so the old test could not fail (issue 13)"),)),
    Check("A21", "A confident model with error fraction eps < 1 - 1/sqrt(C) has progress 1 (C = 10), at "
          "eps = 0.68", Close(1.0, tol=1e-9), source="Remark 2.2.1",
          revisions=(Revision(PROTOCOL_04, "a claim", "a check", "a consequence of the definition"),)),
)
