"""Declarations of chapter 05 (thesis chapter 3, the space of tasks): claims B1-B10, check B11.

Data only, written before any run of the chapter (the claims protocol). The claims are those of
``STUDIES_THESIS.md`` (STUDY B) at the CPU scale of its B.4:

- *hierarchy*: sprites of the 8 leaf shapes of a 3-level tree (Round/Angular -> Filled/Outline ->
  2 shapes), tasks Round and Angular (4-way), Round-Filled, Round-Outline and Angular-Filled
  (2-way), Random-4 (2 round + 2 angular leaves) and Union (8-way); several seeds per task;
  every checkpoint imprinted (eq. 3.2.1) onto the union task;
- *MNIST-1D*: supervised 10-way runs, prototypical (episodic) 2-way and 5-way runs with the same
  number of steps and checkpoint schedule, k-way cross-entropy runs on random subtasks
  (k = 2, 5, 7), whole-network fine-tunes from supervised checkpoints on two binary subtasks,
  SimCLR-style contrastive runs (all classes and three 2-class subsets) and FixMatch-style
  semi-supervised runs; imprinted onto the 10-way task on training data.

Definitions fixed with the declarations: progress t_w is eq. 2.2.4 on the union task; the
Riemann length of a trajectory sums the geodesic distance between consecutive checkpoints of one
schedule shared by every method; rho(t) is the normalised distance of Remark 3.3.3, and "early"
and "late" are the first and last fifth of the progress range both families cover. Intervals
resample runs (seeds) within each task; nulls are named per claim.
"""
from __future__ import annotations

from netsim.claims import AllOf, AtLeast, AtMost, Check, Claim, Revision

B_REVISION = "2026-12-02"  # B4's second part (see its revision)

RUN_BOOTSTRAP = "bootstrap over runs (seeds) within each task"
SHUFFLED_CLOUD = ("the same imprinted models with each sample's predictions shuffled across models "
                  "independently per sample (same per-sample predictions, no shared structure)")
RUNS_RELABELLED = "the runs of the two families relabelled at random between them (group sizes kept)"

DECLARATIONS = (
    # ---- check ------------------------------------------------------------------------------
    Check("B11", "Imprinted predictions are invariant to an orthogonal transform of the features: largest "
          "|p(U phi) - p(phi)| over random orthogonal U", AtMost(1e-10), source="eq. 3.5.5"),
    # ---- claims -----------------------------------------------------------------------------
    Claim("B1", "The imprinted models of every task of the hierarchy experiment lie on a low-dimensional "
          "manifold: top-3 InPCA explained stress of all checkpoints (test predictions on the union task)",
          "80.02% (6 ImageNet tasks); 78.72% (phyla)", AtLeast(0.6, partly=0.4),
          source="Fig. 3.1, R1 (measured: " + RUN_BOOTSTRAP + ")", null=SHUFFLED_CLOUD),
    Claim("B2", "Training on a subtask makes substantial progress on the union task, and more diverse "
          "classes give more",
          "Dogs 63.38% of the union model's progress; random 333 classes 92% (Fig. 3.2)",
          AllOf((("final progress of 4-way subtask models (Round, Angular) / of Union models",
                  AtLeast(0.5, partly=0.3)),
                 ("Random-4 minus the mean of Round and Angular, same ratio", AtLeast(0.05, partly=0.0)))),
          source="Fig. 3.2, R2 (measured: imprinted onto the union task, test split; " + RUN_BOOTSTRAP + ")",
          null="first part: the same ratio at initialisation (checkpoint 0 of the same runs, untrained "
               "networks imprinted); second part: " + RUNS_RELABELLED),
    Claim("B3", "Per-class progress is larger on the classes a model was trained on, and progress on "
          "unseen classes grows with the diversity of the training task",
          "t_w^c higher on seen than novel classes; novel-class progress higher for diverse tasks (Fig. 3.2)",
          AllOf((("seen minus unseen per-class progress, 4-way subtask models, final checkpoint",
                  AtLeast(0.1, partly=0.0)),
                 ("unseen-class progress, Random-4 minus Round and Angular", AtLeast(0.05, partly=0.0)))),
          source="Fig. 3.2, R2-R3 (measured: " + RUN_BOOTSTRAP + ")",
          null="first part: Union models (every class seen) split by the same class sets; second part: "
               + RUNS_RELABELLED),
    Claim("B4", "Task distances follow the semantic hierarchy: sibling tasks are closer than distant ones",
          "Instruments-Conveyance closer than Animals; vertebrate subtasks closer (Fig. 3.3)",
          AllOf((("mean rho(t): (Round-Filled, Angular-Filled) over (Round-Filled, Round-Outline)",
                  AtLeast(1.2, partly=1.0)),
                 ("Spearman correlation of the task distances (mean rho) with the designed tree's path distances",
                  AtLeast(0.7, partly=0.4)))),
          source="Fig. 3.3, R3 (measured: rho of Remark 3.3.3 averaged over the common progress range; "
                 + RUN_BOOTSTRAP + ")",
          null="2-way tasks whose class pairs are drawn at random from the 8 leaves (seeded): the same ratio "
               "for random pairs, and the correlation with the tree's leaves permuted",
          revisions=(Revision(B_REVISION, "second part: cophenetic correlation of the average-linkage dendrogram of "
                              "the task distances with the designed tree (>= 0.7, partly 0.4)",
                              "Spearman correlation of the task distances with the tree's path distances (same "
                              "thresholds)", "a test of the statistic on the designed tree itself scored 0.66: "
                              "average linkage cannot represent the path metric, so the declared test could not "
                              "pass even on perfect data; found after an exploratory book-size run of the hierarchy "
                              "experiment (part 2 measured 0.31 there), before the chapter's first book run"),)),
    Claim("B5", "Trajectories of different tasks share an initial segment and then bifurcate",
          "shared start, then bifurcation (Figs. 3.1, 3.3)",
          AllOf((("mean rho early (first fifth of progress), pairs of distinct tasks", AtMost(1.0, partly=1.5)),
                 ("mean rho late minus early, pairs of distinct tasks", AtLeast(0.5, partly=0.0)))),
          source="Figs. 3.1, 3.3, R3 (measured: every pair of hierarchy tasks; " + RUN_BOOTSTRAP + ")",
          null="the runs of one task split into two halves (the same task compared with itself)"),
    Claim("B6", "Small-way episodic meta-learning takes a much longer path than supervised learning; "
          "5-way episodes end near supervised",
          "2-way about 40x longer (Riemann length); 5-way ends near supervised (Figs. 3.4, 3.5)",
          AllOf((("Riemann length, prototypical 2-way / supervised", AtLeast(10.0, partly=2.0)),
                 ("final d_B to supervised: 5-way / 2-way", AtMost(0.5, partly=1.0)))),
          source="Figs. 3.4-3.5, R4 (measured: imprinted onto the 10-way task, training data, one checkpoint "
                 "schedule; " + RUN_BOOTSTRAP + ")",
          null="first part: the Riemann length of one supervised seed over another's; second part: "
               + RUNS_RELABELLED),
    Claim("B7", "For k-way cross-entropy subtasks the tube radius and the distance to truth both decrease "
          "with k",
          "radius and distance to truth fall with k = 2, 5, 7 (Fig. 3.5)",
          AllOf((("share of the steps k = 2 -> 5 -> 7 where the mean tube radius decreases", AtLeast(1.0, partly=0.5)),
                 ("share of the steps where the final d_B to truth decreases", AtLeast(1.0, partly=0.5)))),
          source="Fig. 3.5, R4 (measured: 5 random subtasks per k; bootstrap over subtasks)",
          null="the value of k relabelled at random across the subtask runs"),
    Claim("B8", "Contrastive and semi-supervised trajectories resemble supervised ones; semi-supervised "
          "deviates early and approaches supervised later",
          "SimCLR, Barlow Twins, FixMatch similar to supervised; FixMatch deviates early (Fig. 3.6)",
          AllOf((("mean rho(t), SimCLR (all classes) vs supervised, over mean rho of supervised vs k = 2 "
                  "subtask runs", AtMost(0.5, partly=1.0)),
                 ("FixMatch vs supervised: rho early minus rho late", AtLeast(0.5, partly=0.0)))),
          source="Fig. 3.6, R5 (measured: " + RUN_BOOTSTRAP + ")",
          null="first part: supervised seeds split into two halves, the same ratio; second part: "
               + RUNS_RELABELLED),
    Claim("B9", "Fine-tuning travels less from later pre-training checkpoints, and early fine-tunes lose "
          "progress on the original task",
          "later starting points travel less; early fine-tunes go backwards (Fig. 3.7)",
          AllOf((("Spearman rho of the d_B travelled with the pre-training epoch", AtMost(-0.8, partly=-0.4)),
                 ("10-way progress after minus before, fine-tunes from the earliest checkpoint",
                  AtMost(0.0, partly=0.05)))),
          source="Fig. 3.7, R6 (measured: two binary subtasks; " + RUN_BOOTSTRAP + ")",
          null="first part: the pre-training epochs permuted across the fine-tunes; second part: the same "
               "start fine-tuned on the full 10-way task"),
    Claim("B10", "Two-class SimCLR models on different class pairs are similar to each other and to "
          "SimCLR on all classes early in training",
          "~5x their tube radii apart for about 45% of the way; like SimCLR-all up to t_w ~ 0.4 (Fig. 3.8)",
          AllOf((("mean rho(t) among the 2-class SimCLR families over rho of 2-class SimCLR vs supervised",
                  AtMost(0.5, partly=1.0)),
                 ("mean rho early, 2-class SimCLR vs SimCLR-all", AtMost(1.0, partly=1.5)))),
          source="Fig. 3.8, R7 (measured: " + RUN_BOOTSTRAP + ")",
          null="first part: " + RUNS_RELABELLED + "; second part: 2-class SimCLR vs supervised k = 2 runs"),
)
