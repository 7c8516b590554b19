"""Declarations of chapter 06 (thesis chapter 4: sloppiness and PAC-Bayes bounds): claims, checks, nulls.

Data only: :mod:`netsim.studies.sloppiness` measures, :class:`netsim.claims.ClaimRegistry` judges
against what is written here. Claims C1-C11 are those of ``STUDIES_THESIS.md`` (STUDY C); the
revision records say how each test changed when the chapter moved to the claims protocol with
the corrections of issue 14, after the first version's results had been seen.
"""
from __future__ import annotations

from netsim.claims import AllOf, AtLeast, AtMost, Check, Claim, Exact, Revision

PROTOCOL = "2026-12-02"   # the claims protocol and the corrections of issue 14 reached this chapter
EXACT = 1 + 1e-9          # an inequality holds if lhs / rhs <= 1 + 1e-9
BOUND = 0.5               # a bound on the error of a binary classifier is informative below 0.5

_INTERVALS = "intervals (bootstrap over samples or eigen-directions, or the spread over students) and a null added"


def _protocol(old: str, new: str, why: str) -> tuple:
    return (Revision(PROTOCOL, old, new, f"issue 14: {why}"),)


DECLARATIONS = (
    # ---- checks: theorems and exact properties -------------------------------------------
    Check("C3a", "Theorem 4.3.1 with constant 1 (derived in this chapter): max over snapshots of "
          "tr F / (a^{2L} tr E[xx^T] prod ||w^j||^2 sum ||w^j||^-2)", AtMost(EXACT),
          source="Theorem 4.3.1, eq. 4.7.6 (constant 1: issue 14)",
          revisions=_protocol("part 'tr F / bound (constant 1, proof)' of claim C3, where 'constant 1' "
                              "multiplied m", "a check, with constant 1 in total (no factor m)",
                              "a theorem is a check, and sum_i p_i = 1 gives the constant 1")),
    Check("C3b", "Theorem 4.3.1 as stated (constant 2m): max over snapshots of tr H~ / bound, with H~ the "
          "Gauss-Newton part of the Hessian of the bits loss", AtMost(EXACT), source="Theorem 4.3.1",
          revisions=_protocol("part of claim C3", "a check", "a theorem is a check")),
    Check("C4a", "Lemma 4.3.2: max over layers, logits and snapshots of lambda_i(E[dz_i/dw^k dz_i/dw^k^T]) / "
          "bound_i", AtMost(EXACT), source="Lemma 4.3.2",
          revisions=_protocol("part of claim C4", "a check", "a theorem is a check")),
    Check("C4b", "Corollary 4.7.7 with factor 1 (derived in this chapter): max over layers and snapshots of "
          "lambda_i(F(w^k)) / bound_i, bound as in Lemma 4.3.2", AtMost(EXACT),
          source="Corollary 4.7.7 (factor 1: issue 14)",
          revisions=_protocol("part 'Corollary 4.7.7 (factor m, FIM block)' of claim C4",
                              "a check with factor 1", "F_k <= E[J_k^T diag(p) J_k] <= bound since "
                              "sum_i p_i = 1; the thesis's step F <= 2 E[ds ds^T] is false")),
    Check("C4c", "Corollary 4.7.7 as stated (factor 2m): the same ratio with the stated factor", AtMost(EXACT),
          source="Corollary 4.7.7",
          revisions=_protocol("not checked", "checked beside the factor-1 form", "issue 14 asks for both factors")),
    Check("C5a", "Remark 4.7.5: tr F <= E[(1 - ||p||^2) sum_i ||dz_i/dw||^2] (max ratio over snapshots)",
          AtMost(EXACT), source="Remark 4.7.5"),
    Check("C9a", "Certificates are at least the estimates: min over the reported bounds of certified - estimate",
          AtLeast(0.0), source="Dziugaite and Roy (2017), sec. 3"),
    # ---- claims ---------------------------------------------------------------------------
    Claim("C1", "Input correlation spectra of real data are sloppy: smallest number of decades spanned by the "
          "top 100 non-zero eigenvalues over the real data sets", "sharp drop, then log-uniform",
          AtLeast(3.0, partly=2.0), source="Fig. 4.1",
          null="isotropic inputs: Gaussian samples with identity covariance and each data set's n and d; the "
               "largest number of decades of their sample spectra",
          revisions=_protocol("decades of the raw spectrum", "decades of the resolved (non-zero) spectrum, "
                              + _INTERVALS, "Def. 4.4.3 counts non-zero eigenvalues")),
    Claim("C2", "Hidden activations, activation gradients, logit Jacobians, FIM, empirical FIM and Hessian "
          "are sloppy at every layer, logit and time: smallest number of decades over the top 100 non-zero "
          "eigenvalues (spectra with fewer than 2 non-zero eigenvalues are listed, not scored)", "Fig. 4.1",
          AtLeast(3.0, partly=2.0), source="Fig. 4.1, Def. 4.4.3",
          null="the same networks and snapshots fed isotropic Gaussian inputs (matched mean squared norm, labels "
               "= the network's own predictions): smallest decades over the same per-sample spectra "
               "(hidden activations, activation gradients, logit Jacobians; the dense matrices left out)",
          revisions=_protocol("two parts: min decades of the raw spectra (all, inputs included) >= 3 and "
                              "|log10 FIM_1 - log10 H_1| <= 1", "one part: min decades of the resolved "
                              "spectra without the inputs (C1's subject); interval and isotropic-input null",
                              "raw decades scored numerical zeros of rank-deficient spectra as sloppiness "
                              "(the loss gradient w.r.t. the last hidden layer is rank 1 for 2 classes); "
                              "the top-eigenvalue agreement is not a statement about sloppiness")),
    Claim("C5", "At the end of training tr F << logit-Jacobian trace, and the H-term is tiny (FC-2)",
          "H-term 5.32e-8 (FC-600-2, MNIST)",
          AllOf((("tr F / logit-Jacobian trace", AtMost(0.1, partly=0.3)),
                 ("H-term E[sum_i |y_i - p_i|]", AtMost(1e-2, partly=1e-1)))),
          source="Remark 4.7.5, sec. 4.3",
          null="the same network at initialisation (predictions not yet confident)",
          revisions=_protocol("ratio part partly if <= 1.0", "partly if <= 0.3; intervals and a null",
                              "tr F <= tr of the logit-Jacobian correlation always holds (Remark 4.7.5), so "
                              "the old partly threshold could not fail")),
    Claim("C6", "KFAC matches Hessian eigenvalues but not eigenvectors; FIM and Hessian top eigenvectors "
          "overlap (FC-1, end of training, top 20)", "Fig. 4.3",
          AllOf((("median |log10 KFAC / Hessian| over the top 20 eigenvalues", AtMost(0.3, partly=0.6)),
                 ("mean |cos| of matched KFAC-Hessian top-20 eigenvectors", AtMost(0.5, partly=0.8)),
                 ("FIM-Hessian top-20 subspace overlap ||U_H^T U_F||^2 / 20", AtLeast(0.5, partly=0.25)))),
          source="Fig. 4.3",
          null="eigenvalue part: a flat spectrum with the mean of the Hessian's top 20; overlap part: the FIM's "
               "spectrum with its eigenvectors rotated at random (Haar), mean and 90% range over 20 rotations",
          revisions=_protocol("FIM-Hessian overlap / random overlap (k/p) >= 10",
                              "overlap itself >= 0.5 (partly 0.25) against a random rotation of the FIM's spectrum; "
                              "intervals by bootstrap over the 20 eigen-directions",
                              "with k/p = 20/2640 a ratio of 10 means an overlap of 0.08: it could not fail")),
    Claim("C7", "Non-sloppy inputs (c = 0.001) give flat FIM tails, sloppy ones (c = 0.1) decaying ones: decades "
          "of FIM eigenvalues 200-1000 of the trained width-10 students of the C8 sweep", "Fig. 4.1",
          AllOf((("init: decades, c = 0.1 (follows from the design)", Exact(AtLeast(2.0))),
                 ("init: decades, c = 0.001 (follows from the design)", Exact(AtMost(1.0))),
                 ("trained: decades, c = 0.1", AtLeast(2.0, partly=1.0)),
                 ("trained: decades, c = 0.001", AtMost(1.0, partly=2.0)))),
          source="Fig. 4.1 (atypical problems)",
          null="each trained part against the other input spectrum: the c = 0.001 students' value for the "
               "c = 0.1 part and the c = 0.1 students' value for the c = 0.001 part",
          revisions=_protocol("four substantive parts, two at initialisation", "the initialisation parts are "
                              "checks; the trained students decide, with the spread over students and a null",
                              "at initialisation the window 200-1000 maps onto input indices 20-100, so the "
                              "FIM's decay there follows from the input spectrum by design")),
    Claim("C8", "Students generalise better on sloppier inputs, wider ones better, and with sloppy inputs a "
          "width-10 student matches a width-500 one", "Fig. 4.1",
          AllOf((("fraction of students with training error <= 0.01", AtLeast(0.9, partly=0.5)),
                 ("Spearman(c, test error), worst width", AtMost(-0.8, partly=-0.4)),
                 ("Spearman(width, test error), mean over c", AtMost(-0.5, partly=0.0)),
                 ("|test error narrowest - widest| at the sloppiest c", AtMost(0.02, partly=0.05)))),
          source="sec. 4.4, Fig. 4.1 bottom right",
          null="rank parts: the c values (or widths) permuted across the sweep's problems (students), mean and "
               "90% range over permutations",
          revisions=_protocol("no intervals", "bootstrap over test samples (error parts) and over students "
                              "(fraction part); permutation nulls for the rank parts", "claims protocol")),
    Claim("C9", "The analytical posterior (Method 1) gives a non-vacuous certified bound (kl form, Monte Carlo "
          "term included)", "0.32 (test 0.089), binary MNIST",
          AllOf((("certified kl bound, synthetic sloppy problem", AtMost(BOUND)),
                 ("certified kl bound, FC-40-1 digits", AtMost(BOUND)))),
          source="sec. 4.3.3",
          null="Q = P, nothing learned: KL = 0 and e^(P) from draws of the prior, certified the same way",
          revisions=_protocol("kl bound with the Monte Carlo mean of 300 draws plugged into kl^-1 (an estimate)",
                              "the certificate: 1000 draws, the sample-convergence bound of Dziugaite and Roy at "
                              "delta_mc = 0.01 first; interval from the plug-in bound at e^(Q) - 1.96 SE to the "
                              "certificate; the Q = P null", "only the certificate is a bound")),
    Claim("C10", "eps/(2(n-1)) falls near the spectral elbow; s, 1/c and eps||w - w0||^2 are << n "
          "(synthetic problem)", "p = 2429, s = 6810, 1/c = 2545, eps||w-w0||^2 = 8526, n = 55000",
          AllOf((("|log10 threshold / elbow eigenvalue|", AtMost(1.0, partly=2.0)),
                 ("max(s, 1/c, eps||w - w0||^2) / n", AtMost(0.2, partly=1.0)))),
          source="Fig. 4.2, sec. 4.4.2",
          null="second part: an isotropic Hessian spectrum with the same trace (its s and 1/c at the same eps); "
               "the first part has none (a flat spectrum has no elbow)",
          revisions=_protocol("no intervals", "bootstrap over the Hessian's chunks of 1000 training samples "
                              "(eps fixed at the chosen grid point); isotropic null", "claims protocol")),
    Claim("C11", "Random labels make the empirical FIM less sloppy and raise its top eigenvalues (FC-2)",
          "Fig. 4.11", AllOf((("top eigenvalue ratio, 100% vs 0% random labels", AtLeast(2.0, partly=1.0)),
                              ("less sloppy: decades 0% minus 100%", AtLeast(0.5, partly=0.0)))),
          source="Fig. 4.11",
          null="two runs with 0% random labels and different seeds (the same two statistics between them)",
          revisions=_protocol("raw decades, no interval", "resolved decades, bootstrap over training samples, "
                              "seed null", "Def. 4.4.3 counts non-zero eigenvalues; claims protocol")),
)
