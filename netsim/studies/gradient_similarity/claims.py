"""Declarations of chapter 03 (seed 002, similarity of networks with gradients): claims 3.1-3.6, checks.

Data only, written before any run of the chapter (the claims protocol). The claims are those of
``STUDIES.md``, Study 3, at CPU scale: data sets A (sprites, 10 shape classes; the CIFAR-10
role), B (another draw of the same kind of sprites with the 60 shape x colour classes; CIFAR-100)
and C (scikit-learn's digits resized to the same shape; SVHN), several seeds of a small ResNet
per data set and one deeper ResNet each. Every model is represented on its own training data,
sketched into M buckets with one shared CountSketch seed (Algorithm 1), so models of different
data sets are compared bucket by bucket as in the paper.

Data design, fixed before the first run of the chapter (2026-12-02): B is another draw of sprite
images, not A's images relabelled (the first draft of this docstring said "the same images"):
CIFAR-10 and CIFAR-100 hold different images, and shared images would make A-B pairs compare the
same samples bucket by bucket, which builds ordering (ii) of claim 3.1 in. Run seeds differ between
data sets for the same reason (shared initial weights). A "source" in claim 3.5 is a data set and
an architecture (the small ResNets, averaged over seeds, and the deeper one), as the panels of
Figs. 4 and 6. Statistics fixed with the design: ordering (i) of 3.1 holds in a cell when each
data set's within mean exceeds both of its cross means; 3.2's AUCs count pairs of distinct models;
3.6's rho is the smaller over the two tasks of the Spearman rho of the model-mean accuracy against
the block index, and its third part has no null (a KRR that learns nothing also stays below the
converged fine-tune), so that part alone cannot carry the verdict.

"Cells" below are the (residual block, similarity index) pairs: every block of the small ResNet
under CKA and under NBS. A model's group is its data set; group means are over pairs of distinct
models. Intervals resample the models (seeds) within each data set; the common null relabels
the models' data sets at random (keeping the group sizes), which removes any data-set effect.
"""
from __future__ import annotations

from netsim.claims import AllOf, AtLeast, AtMost, Check, Claim

RELABELLED = ("the models' data-set labels permuted at random (group sizes kept), the same statistic: "
              "no data-set effect by construction")
SEED_BOOTSTRAP = "bootstrap over the models (seeds) of each data set"

DECLARATIONS = (
    # ---- checks: theorems and implementation properties -------------------------------------
    Check("C1", "The streaming sketch equals the one-shot CountSketch of the stacked rows: largest "
          "|difference| of the sketched kernels", AtMost(1e-9), source="Algorithm 1"),
    # Eq. 16 bounds a sketch S Psi of the representation's rows. Algorithm 1's Hadamard product of the
    # two sketched kernels is not such a sketch, so the check uses the exact Psi sketch (kind
    # "psi_hadamard", rows vec(g f^T) of eq. 9) and the features kernel, with the realised distortion.
    Check("C2", "Sketched CKA of an exact row sketch (features; Psi of eq. 9) is within the eq. 16 bound of "
          "exact CKA on the same data set (shared S): largest (|SCKA - CKA| - bound) over the pairs measured",
          AtMost(0.0), source="eq. 16"),
    Check("C3", "The sketch's memory does not grow with N: state size for N and for 4N samples, ratio",
          AtMost(1.0), source="section 3.3 (memory O(M d))"),
    Check("C4", "CKA <= NBS of the squared kernels on every pair measured (eq. 14): largest "
          "CKA(K1, K2) - NBS(K1^2, K2^2)", AtMost(1e-9), source="eq. 14"),
    # ---- claims -----------------------------------------------------------------------------
    Claim("3.1", "With the feature x gradient (Hadamard) kernel, under CKA and NBS at every block: (i) "
          "same-data-set pairs score above cross pairs, (ii) {A, B} above the pairs with C, (iii) {A, C} "
          "above {B, C}: share of cells where each ordering holds",
          "all three orderings at every block (Fig. 1)",
          AllOf((("(i) same above cross", AtLeast(1.0, partly=0.5)),
                 ("(ii) {A, B} above pairs with C", AtLeast(1.0, partly=0.5)),
                 ("(iii) {A, C} above {B, C}", AtLeast(1.0, partly=0.5)))),
          source="Fig. 1 (measured: group means over pairs of distinct models, M = 512; " + SEED_BOOTSTRAP + ")",
          null=RELABELLED),
    Claim("3.2", "Task2Vec does not recognise models of the same data set, and the Fisher-Rao distance does "
          "not separate B from C, where the Hadamard kernel does: AUC of same- over cross-data-set pairs, "
          "Hadamard CKA (last block) minus the baseline",
          "Task2Vec scores same-data-set SVHN pairs low; FR does not separate CIFAR-100 from SVHN (Figs. 2-3)",
          AllOf((("Task2Vec: AUC(Hadamard) - AUC(Task2Vec), all pairs", AtLeast(0.2, partly=0.05)),
                 ("Fisher-Rao: AUC(Hadamard) - AUC(FR), B and C pairs only", AtLeast(0.2, partly=0.05)))),
          source="Figs. 2-3 (measured: AUC = probability that a same-data-set pair scores as more similar "
                 "than a cross pair; FR distances count as dissimilarities; " + SEED_BOOTSTRAP + ")",
          null=RELABELLED),
    Claim("3.3", "Sketching is accurate: |SCKA - CKA| is small at M = 512 and M = 128 gives about the same "
          "scores as M = 512",
          "within the eq. 16 bound; no significant difference between M = 128 and 512",
          AllOf((("mean |SCKA - CKA| at M = 512", AtMost(0.05, partly=0.1)),
                 ("mean |SCKA(128) - SCKA(512)|", AtMost(0.05, partly=0.1)))),
          source="section 3.3, eq. 16 (measured: same-data-set pairs, every block, Algorithm 1's Hadamard "
                 "kernel of the sketches against exact CKA of (H K_f H) o (H K_g H) on the N x N kernels, rows "
                 "centred over the N samples (appendix D.5); interval over 5 sketch seeds)",
          null="accuracy part: the two models sketched with different seeds (S1 != S2), which the method "
               "forbids; the 128-vs-512 part: none, 0 is its no-effect value and the interval decides"),
    Claim("3.4", "Block-by-block heat maps: A and B share a cross-layer pattern; the last blocks of C models "
          "are dissimilar to those of A and B",
          "CIFAR-10 and CIFAR-100 alike; last SVHN blocks unlike CIFAR ones (Figs. 5, 9-12)",
          AllOf((("A-B pattern: Pearson r of the within-A and within-B block x block CKA maps",
                  AtLeast(0.8, partly=0.5)),
                 ("last blocks: CKA(A, C) / CKA(A, B) at the last block pair", AtMost(0.8, partly=1.0)))),
          source="Figs. 5, 9-12 (measured: Hadamard kernel, CKA, means over model pairs; " + SEED_BOOTSTRAP + ")",
          null="pattern: the within-B map with its blocks permuted (no shared pattern); last blocks: "
               + RELABELLED),
    Claim("3.5", "Kernel mean embedding norm: a model trained on A has a larger ||mu_p|| on C than on B; the "
          "ratio to the CKA normaliser is largest when source = target; the NBS-normalised ratio always "
          "favours C",
          "Figs. 4 and 6",
          AllOf((("||mu_p|| of A-models, on C / on B", AtLeast(1.1, partly=1.0)),
                 ("share of sources whose ||mu_p|| / ||K||_F is largest on their own data set",
                  AtLeast(1.0, partly=0.6)),
                 ("share of sources whose ||mu_p|| / sqrt(tr K) is largest on C", AtLeast(1.0, partly=0.6)))),
          source="Figs. 4, 6 (measured: last block, mean over seeds; " + SEED_BOOTSTRAP + ")",
          null="first part: ||mu_p|| of A-models on a second sample of A over on A (no change of data set); "
               "shares: the target data sets permuted at random for each source"),
    Claim("3.6", "Sketched kernel ridge regression: accuracy rises with block depth, beats a one-epoch "
          "last-layer fine-tune and stays below a converged one",
          "Fig. 14",
          AllOf((("Spearman rho of test accuracy with block index", AtLeast(0.8, partly=0.4)),
                 ("last-block KRR minus one-epoch fine-tune accuracy", AtLeast(0.0)),
                 ("converged fine-tune minus last-block KRR accuracy", AtLeast(0.0)))),
          source="Fig. 14 (measured: models trained on A, KRR on B's and C's tasks; interval: bootstrap "
                 "over test samples)",
          null="KRR on training labels permuted at random (chance accuracy at every block)"),
)
