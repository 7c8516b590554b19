"""Study 1: the information distance d_p and its invariance (seed 000).

The CPU-scale analog of the paper's experiments. MLPs without batch norm (so that scaling
and neuron swapping are exactly function-preserving) on MNIST-1D; theta_A and theta_B are
trained on disjoint halves of the training set, and d_p codes ``k`` training inputs
(:mod:`netsim.metrics.codelength`). Every run goes through :func:`netsim.zoo.train_many`
(cached, with weights) and every d_p value through a :class:`netsim.cache.ResultCache`,
so a second run of the chapter recomputes neither.

Sections, in the paper's order: invariance (Fig. 1, Table 1), faithfulness (interpolation
Fig. 2, training progress Fig. 3), geometry of tasks and models (Fig. 4), regularisation
(Fig. 5), ensembles (Fig. 6, Table 2), generalisation (Fig. 7, Table 3). Choices the paper
leaves open are the constants below (the chapter's "Choices" lists them).
"""
from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numpy as np

from netsim.claims import AllOf, AtLeast, AtMost, ClaimRegistry, Measured  # noqa: F401 (Measured: notebook)

STUDY_VERSION = "1"  # bump when a change here changes cached d_p values

# ---------------------------------------------------------------------------------------
# Settings
# ---------------------------------------------------------------------------------------
#: Training recipe of every run (the paper's Table 3 default: Adam, lr 0.002, batch 32).
RECIPE = dict(dataset="mnist1d", model="mlp", optimizer="adam", lr=2e-3, batch_size=32,
              bn_warmup_batches=0, save_weights=True, num_checkpoints=8, eval_train_size=None,
              eval_test_size=None)
HALF_A, HALF_B = (0.0, 0.5), (0.5, 1.0)   # disjoint halves of the training set
#: "Another dataset" for the pretrained initialisation: MNIST-1D regenerated with another
#: seed and a fixed shuffle of the sequence positions (the paper pretrains on CIFAR-10).
PRETRAIN_DATA = {"seed": 1, "shuffle_seq": True}

# Reparameterisation grids (Fig. 1). Scaling acts on hidden layer 1 (times c) and layer 2
# (divided by c); swapping on hidden layer 0; noise stds are absolute (trained weights have
# std about 0.15).
SCALES = (0.25, 0.5, 2.0, 4.0)
SWAP_FRACTIONS = (0.25, 0.5, 0.75, 1.0)
NOISE_STDS = (0.003, 0.01, 0.03, 0.1)
SCALE_LAYER, SWAP_LAYER = 1, 0
ADVERSARIAL_INPUTS = 500      # inputs of the adversarial objective (the first of the coded ones)
#: Architecture variants of theta_A (name, widths as a function of theta_B's, distance):
#: the distance counts halvings/doublings of width plus added/removed layers.
ARCHITECTURES = (
    ("x0.5 width", lambda w: tuple(max(1, v // 2) for v in w), 1),
    ("x2 width", lambda w: tuple(2 * v for v in w), 1),
    ("-1 layer", lambda w: w[:-1] if len(w) > 1 else w, 1),
    ("+1 layer", lambda w: w + w[-1:], 1),
    ("x0.25 width", lambda w: tuple(max(1, v // 4) for v in w), 2),
    ("+2 layers", lambda w: w + w[-1:] * 2, 2),
)
INTERPOLATION = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)

# Geometry (Fig. 4): sprite labellings over the same images, grouped into families.
TASK_FAMILIES = {"shape": "identity", "coarse": "identity", "family": "identity",
                 "scale": "pose", "position": "pose", "orientation": "pose", "colour": "colour"}
SPRITES = {"size": 16, "channels": 1}
#: Architectures on one task (MNIST-1D, half A): name -> (model, options), grouped by family.
MODEL_ZOO = {
    "mlp-64x2": ("mlp", {"widths": [64, 64], "norm": None}),
    "mlp-128x2": ("mlp", {"widths": [128, 128], "norm": None}),
    "mlp-64x3": ("mlp", {"widths": [64, 64, 64], "norm": None}),
    "cnn-32x3": ("allcnn", {"channels": [32, 32, 32], "norm": None}),
    "cnn-16x3": ("allcnn", {"channels": [16, 16, 16], "norm": None}),
}
SMALL_ZOO = ("mlp-64x2", "mlp-128x2", "cnn-32x3")  # when grids are trimmed (grid_points set)

# Regularisation (Fig. 5): strengths, the first of each is "none".
WEIGHT_DECAYS = (0.0, 1e-4, 1e-3, 1e-2, 1e-1)
LABEL_SMOOTHINGS = (0.0, 0.1, 0.2, 0.4)
DROPOUTS = (0.0, 0.1, 0.3, 0.5)
DISTILLATION_ROUNDS = 3

# Ensembles (Table 2): overlap of the two training halves.
OVERLAPS = (0.0, 0.25, 0.5, 0.75, 1.0)

# Generalisation (Table 3): one change to the default per run; all stopped at the first
# checkpoint whose training loss is <= TARGET_TRAIN_LOSS. The paper uses 0.1 (CIFAR-10);
# within 80 epochs on 2000 MNIST-1D samples, half of these MLP runs do not get there (the
# chapter's table shows each run's final training loss), so the target is 0.8.
TARGET_TRAIN_LOSS = 0.8
GENERALISATION = {
    "default": {},
    "lr x0.1": {"lr": 2e-4},
    "lr x10": {"lr": 2e-2},
    "batch 8": {"batch_size": 8},
    "batch 128": {"batch_size": 128},
    "SGD": {"optimizer": "sgd", "lr": 0.05},
    "x0.5 width": {"widths": "half"},
    "+1 layer": {"widths": "deeper"},
    "augmentation": {"augmentation": "shift_noise"},
}
GENERALISATION_EPOCHS = 4      # times the chapter's epochs, so that every run can reach the target
GENERALISATION_CHECKPOINTS = 40

MEASURES = ("param_l2", "param_cosine", "param_emd", "repr_l2", "repr_cosine", "repr_emd",
            "repr_cka", "output_kl", "d_p")
MEASURE_LABELS = {"param_l2": "parameter L2", "param_cosine": "parameter cosine",
                  "param_emd": "parameter EMD", "repr_l2": "representation L2",
                  "repr_cosine": "representation cosine", "repr_emd": "representation EMD",
                  "repr_cka": "linear CKA", "output_kl": "output KL", "d_p": "d_p"}
SCENARIOS = ("scaling", "swapping", "perturbation", "adversarial", "initialisation", "architecture")

#: The paper's Table 1 (relative change; None: n/a), for the side-by-side table.
PAPER_TABLE1 = {
    "param_l2": (0.51, 0.16, 0.55, 0.14, 0.62, None, 0.39),
    "param_cosine": (0.04, 0.19, 0.16, 0.02, 0.88, None, 0.26),
    "param_emd": (2.39, 0.03, 0.76, 0.01, 0.04, None, 0.65),
    "repr_l2": (0.02, 0.55, 0.69, 0.15, 0.43, None, 0.37),
    "repr_cosine": (0.00, 0.30, 0.08, 0.04, 0.18, None, 0.12),
    "repr_emd": (0.02, 0.00, 0.60, 0.15, 0.36, 0.08, 0.20),
    "repr_cka": (0.00, 0.00, 0.12, 0.33, 0.10, 0.01, 0.10),
    "output_kl": (0.02, 0.01, 1.38, 3.59, 0.37, 0.08, 0.91),
    "d_p": (0.04, 0.00, 0.11, 0.14, 0.07, 0.03, 0.06),
}

PROFILE = {
    "smoke": dict(k=128, widths=(24, 24), epochs=3, coding_lrs=(3e-3,), coding_epochs=(5,), coding_batch=64,
                  grid_points=2, sprite_n=600, geometry_k=128, sampled_repeats=2, adversarial_steps=3,
                  threads=1, processes=1, seed=0),
    "book": dict(k=2000, widths=(64, 64), epochs=20, coding_lrs=(3e-3, 1e-2),
                 coding_epochs=(10, 20, 40), coding_batch=128, grid_points=None, sprite_n=3000, geometry_k=1000,
                 sampled_repeats=5, adversarial_steps=20, threads=1, processes=2, seed=0),
    "paper": dict(k=4000, widths=(256, 256), epochs=60, coding_lrs=(3e-4, 1e-3, 3e-3, 1e-2),
                  coding_epochs=(10, 20, 40, 80), coding_batch=64, grid_points=None, sprite_n=6000, geometry_k=4000,
                  sampled_repeats=10, adversarial_steps=50, threads=None, processes=1, seed=0),
}


# ---------------------------------------------------------------------------------------
# Claims
# ---------------------------------------------------------------------------------------
def declare_claims() -> ClaimRegistry:
    """Claims 1.1-1.11 of STUDIES.md (seed 000), with their tests, declared before any run."""
    reg = ClaimRegistry("information distance")
    reg.declare("1.1", "d_p has the lowest mean relative change of the nine measures",
                "d_p 0.06; next linear CKA 0.10",
                AtMost(1, partly=3), source="Table 1")
    reg.declare("1.2", "Under scaling and swapping d_p changes little, parameter L2/EMD change a lot",
                "d_p 0.04 and 0.00; L2 0.51, EMD 2.39 under scaling",
                AllOf((("d_p, scaling", AtMost(0.1, partly=0.2)),
                       ("d_p, swapping", AtMost(0.1, partly=0.2)),
                       ("parameter L2, scaling", AtLeast(0.3, partly=0.1)),
                       ("parameter EMD, scaling", AtLeast(0.3, partly=0.1)))),
                source="Fig. 1, Table 1")
    reg.declare("1.3", "d_p stays flat under small random noise and rises under large noise; "
                "adversarial perturbation raises it at smaller std", "Fig. 1",
                AllOf((("relative change at the smallest noise std", AtMost(0.1, partly=0.2)),
                       ("relative change at the largest noise std", AtLeast(0.2, partly=0.1)),
                       ("fraction of stds where adversarial > random", AtLeast(0.75, partly=0.5)))),
                source="Fig. 1, sec. 3.2")
    reg.declare("1.4", "A pretrained initialisation raises d_p slightly", "+7%",
                AllOf((("relative change of d_p", AtLeast(0.0, partly=-0.05)),
                       ("relative change of d_p (upper)", AtMost(0.3, partly=0.5)))),
                source="sec. 3.2")
    reg.declare("1.5", "Architectures further from theta_B's give larger d_p", "ResNet variants, Fig. 1",
                AllOf((("fraction of variants above the same-architecture d_p", AtLeast(0.75, partly=0.5)),
                       ("Spearman(architecture distance, d_p)", AtLeast(0.5, partly=0.0)))),
                source="sec. 3.2")
    reg.declare("1.6", "Interpolation: same init -> d_p(theta_c, theta_B) falls monotonically, faster at "
                "small c; different init -> it first rises then falls", "Fig. 2",
                AllOf((("same init: increases along c", AtMost(0, partly=1)),
                       ("same init: share of the drop by c = 0.5", AtLeast(0.5, partly=0.4)),
                       ("different init: max interior / d_p at c = 0", AtLeast(1.05, partly=1.0)))),
                source="Fig. 2, sec. 3.3")
    reg.declare("1.7", "Training progress: d_p to theta_0 and to the final model are monotone in the "
                "epoch, fastest early; representation EMD and CKA stop tracking after the first epoch",
                "Fig. 3",
                AllOf((("|Spearman| of d_p(f_i, f_0) with epoch", AtLeast(0.9, partly=0.7)),
                       ("|Spearman| of d_p(f_i, f_n) with epoch", AtLeast(0.9, partly=0.7)),
                       ("share of d_p(f_n, f_0) reached by a quarter of training", AtLeast(0.5, partly=0.4)),
                       ("max |Spearman| of CKA / EMD to f_n with epoch, after epoch 1", AtMost(0.9)))),
                source="Fig. 3, sec. 3.3")
    reg.declare("1.8", "Tasks cluster by family; related architectures are closer", "Fig. 4",
                AllOf((("tasks: mean within-family / between-family d_p", AtMost(0.8, partly=1.0)),
                       ("models: mean within-family / between-family d_p", AtMost(0.8, partly=1.0)))),
                source="Fig. 4, sec. 4.1")
    reg.declare("1.9", "Weight decay (above a threshold), label smoothing, dropout and self-distillation "
                "each reduce d_p(f, 0)", "Fig. 5",
                AtLeast(1.0, partly=0.5), source="Fig. 5, sec. 4.2")
    reg.declare("1.10", "Less training-set overlap and different init give larger d_p; ensemble gain grows "
                "with d_p", "Table 2, Fig. 6",
                AllOf((("Spearman(overlap, d_p), different init", AtMost(-0.8, partly=-0.5)),
                       ("fraction of overlaps with d_p(different init) > d_p(same init)", AtLeast(1.0, partly=0.5)),
                       ("Pearson(d_p, ensemble gain)", AtLeast(0.7, partly=0.4)))),
                source="Table 2, Fig. 6")
    reg.declare("1.11", "Models trained to the same training loss: d_p(f, 0) relates linearly to the "
                "generalisation gap, better-generalising models farther from the random model",
                "Table 3, Fig. 7", AtMost(-0.5, partly=0.0), source="Table 3, Fig. 7")
    # 1.11 is measured as the Pearson correlation over the runs that reached the target loss.
    return reg


# ---------------------------------------------------------------------------------------
# Runs and models
# ---------------------------------------------------------------------------------------
def run_config(params, **changes):
    """A TrainConfig of the chapter's recipe; ``widths`` and the model options are merged."""
    from netsim.train import TrainConfig

    widths = changes.pop("widths", params.widths)
    dropout = changes.pop("dropout", 0.0)
    options = {"widths": list(widths), "norm": None}
    if dropout:
        options["dropout"] = dropout
    fields = {**RECIPE, "epochs": params.epochs, "seed": params.seed, "model_options": options, **changes}
    return TrainConfig(**fields)


@dataclass
class Model:
    """A network with a description that identifies it (used in cache keys).

    Attributes
    ----------
    key : dict
        JSON-able: the run's ``key_dict()`` plus any modification applied afterwards.
    module : torch.nn.Module
    """

    key: dict
    module: object
    run: object = dataclasses.field(default=None, repr=False)  # its Trajectory, when it is a trained run


def trained(configs, progress: bool = True, processes: int = 1) -> list:
    """Train (or load) ``configs`` and rebuild their final networks as :class:`Model`s (with
    their trajectories); ``processes`` > 1 trains the missing runs in a shared pool."""
    from netsim.train import build_final_model
    from netsim.zoo import shared_executor, train_many

    configs = list(configs)
    runs = train_many(configs, progress=progress, executor=shared_executor(processes))
    return [Model({"run": c.key_dict()}, build_final_model(c, weights=r.weights[-1]), r)
            for c, r in zip(configs, runs)]


def modified(model: Model, how: str, value, module) -> Model:
    """``module`` (a modification of ``model``) with a key naming the modification."""
    return Model({**model.key, "modify": [*model.key.get("modify", []), [how, value]]}, module)


def coding_inputs(k: int, dataset: str = "mnist1d", **options) -> np.ndarray:
    """The k inputs d_p codes: the first k of a fixed (seed 0) permutation of the training split,
    shape (k, ...)."""
    from netsim.data import load_dataset

    data = load_dataset(dataset, "train", **options)
    if k > len(data):
        raise ValueError(f"k must be at most the {len(data)} training inputs of {dataset}; got {k}")
    return data.x[np.random.default_rng(0).permutation(len(data))[:k]]


# ---------------------------------------------------------------------------------------
# Measures
# ---------------------------------------------------------------------------------------
class Measurer:
    """d_p (cached) and the baselines of appendix B.1 on fixed inputs.

    Parameters
    ----------
    x : array (k, ...)
        Coded inputs; also the inputs of the representation and output baselines.
    coding : netsim.metrics.CodingConfig
    name : str
        Names the inputs in cache keys (e.g. "mnist1d").
    cache : ResultCache, optional
        Default: ``data/cache/information_distance``.
    processes : int
        Local processes that :meth:`prefetch` computes missing d_p values in.
    """

    def __init__(self, x, coding, name: str, cache=None, processes: int = 1):
        from netsim.cache import ResultCache

        self.x = np.asarray(x, dtype=np.float32)
        self.coding = coding
        self.name = name
        self.cache = cache or ResultCache(namespace="information_distance")
        self.processes = processes

    def _key(self, kind, *models):
        from netsim.cache import config_hash

        return config_hash({"kind": kind, "models": [m.key for m in models], "inputs": self.name,
                            "k": len(self.x), "coding": dataclasses.asdict(self.coding)},
                           version=f"study1-{STUDY_VERSION}")

    def _ordered(self, a: Model, b: Model):
        from netsim.cache import canonical_json

        # d_p is symmetric: key (and compute) each unordered pair in one fixed order.
        return tuple(sorted((a, b), key=lambda m: canonical_json(m.key)))

    def d_p(self, a: Model, b: Model) -> float:
        """d_p(f_a, f_b) in bits (cached)."""
        a, b = self._ordered(a, b)

        def compute():
            return {"bits": _d_p_bits((a.module, b.module, self.x, self.coding))}, {}

        return float(self.cache.get_or_compute(self._key("d_p", a, b), compute)[0]["bits"][0])

    def prefetch(self, pairs, progress: bool = True, desc: str = "d_p") -> None:
        """Compute the missing d_p values of ``pairs`` (in ``processes`` local processes) into
        the cache, so that the following :meth:`d_p` calls only read it."""
        from tqdm.auto import tqdm

        from netsim.zoo import shared_executor

        todo = {}
        for a, b in pairs:
            a, b = self._ordered(a, b)
            key = self._key("d_p", a, b)
            if key not in self.cache and key not in todo:
                todo[key] = (a.module, b.module, self.x, self.coding)
        keys = list(todo)
        with tqdm(total=len(keys), desc=desc, disable=not progress or not keys) as bar:
            for i, bits in shared_executor(self.processes).map_unordered(_d_p_bits, [todo[k] for k in keys]):
                self.cache.save(keys[i], {"bits": bits}, {})  # saved at once: an interrupted run resumes
                bar.update(1)

    def random_model(self, a: Model, seed: int = 0) -> Model:
        """A freshly initialised network of ``a``'s architecture (the paper's "empty function")."""
        from netsim.metrics import random_like

        return Model({**a.key, "random": seed}, random_like(a.module, seed))

    def to_random(self, a: Model, seed: int = 0) -> float:
        """d_p(f_a, 0): distance to :meth:`random_model` (cached)."""
        return self.d_p(a, self.random_model(a, seed))

    def baselines(self, a: Model, b: Model) -> dict:
        """The eight baselines of Table 1 (NaN where the architectures make one undefined)."""
        from netsim.metrics.baselines import baseline_distances

        return baseline_distances(a.module, b.module, self.x)

    def all(self, a: Model, b: Model) -> dict:
        """Every measure of :data:`MEASURES` for the pair."""
        return {**self.baselines(a, b), "d_p": self.d_p(a, b)}


def _d_p_bits(job) -> np.ndarray:
    """[d_p, L'(A|B), L'(B|A)] in bits for job = (model_A, model_B, x, coding); a top-level
    function so that a process pool can run it."""
    from netsim.metrics import information_distance

    model_a, model_b, x, coding = job
    d = information_distance(model_a, model_b, x, coding)
    return np.array([d.value, d.a_given_b.bits, d.b_given_a.bits])


def parameter_std(model: Model) -> float:
    """Standard deviation of all weights and biases of a network (the scale of the noise grid)."""
    from netsim.metrics.baselines import parameter_vector

    return float(parameter_vector(model.module).std())


def relative_change(values, reference) -> float:
    """Table 1's invariance score: mean over the grid of |m_c - m_0| / |m_0| (NaN if undefined)."""
    values = np.asarray(values, float)
    if np.isnan(values).any() or not np.isfinite(reference) or reference == 0:
        return math.nan
    return float(np.mean(np.abs(values - reference) / abs(reference)))


def spearman(x, y) -> float:
    """Spearman rank correlation (NaN when either side is constant)."""
    from scipy.stats import spearmanr

    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(spearmanr(x, y).statistic)


def pearson(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 2 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan
    return float(np.corrcoef(x, y)[0, 1])


def grid(values, points):
    """``points`` evenly spread values of a grid, ends included (all when ``points`` is None)."""
    values = tuple(values)
    if points is None or points >= len(values):
        return values
    if points < 2:
        raise ValueError(f"grid_points must be >= 2 or None; got {points}")
    return tuple(values[i] for i in np.unique(np.round(np.linspace(0, len(values) - 1, points)).astype(int)))


# ---------------------------------------------------------------------------------------
# Setup: threads, coding config
# ---------------------------------------------------------------------------------------
def setup(params):
    """Fix torch's threads for these small networks (one thread avoids oversubscription)."""
    from netsim.runtime import configure_threads

    return configure_threads(params.threads)


def base_pair(params, progress=True):
    """theta_A (half A, seed s) and theta_B (half B, seed s + 1) and their configs."""
    configs = [run_config(params, train_range=HALF_A), run_config(params, train_range=HALF_B, seed=params.seed + 1)]
    return trained(configs, progress, params.processes), configs


def _cached(kind: str, spec: dict, compute):
    """``compute() -> arrays`` stored in the chapter's result cache under (kind, spec)."""
    from netsim.cache import ResultCache, config_hash

    key = config_hash({"kind": kind, **spec}, version=f"study1-{STUDY_VERSION}")
    return ResultCache(namespace="information_distance").get_or_compute(key, lambda: (compute(), {}))[0]


def select_coding(params, x, progress=True):
    """The coding hyper-parameters minimising L'(f_B|f_A) on a held-out pair (seeds s + 2, s + 3),
    chosen once and then fixed (the paper's search); cached. Returns (CodingConfig, table of
    bits with learning rates as rows and epochs as columns)."""
    import pandas as pd

    from netsim.metrics import CodingConfig, select_coding_config

    held = trained([run_config(params, train_range=HALF_A, seed=params.seed + 2),
                    run_config(params, train_range=HALF_B, seed=params.seed + 3)], progress, params.processes)
    base = CodingConfig(seed=params.seed, batch_size=params.coding_batch)
    lrs, epochs = tuple(params.coding_lrs), tuple(params.coding_epochs)

    def compute():
        bits = select_coding_config(held[0].module, held[1].module, x, lrs=lrs, epochs=epochs, base=base).bits
        return {"bits": np.array([[bits[(lr, ep)] for ep in epochs] for lr in lrs])}

    spec = {"held": [m.key for m in held], "lrs": lrs, "epochs": epochs, "base": dataclasses.asdict(base),
            "k": len(x)}
    bits = _cached("coding search", spec, compute)["bits"]
    i, j = np.unravel_index(np.argmin(bits), bits.shape)  # the first minimum, as select_coding_config
    table = pd.DataFrame(bits, index=pd.Index(lrs, name="lr"), columns=pd.Index(epochs, name="epochs"))
    return base.replace(lr=lrs[i], epochs=epochs[j]), table


def estimator_check(params, pair, x, coding) -> "object":
    """KL form (eq. 6) against sampled labels (eq. 3), and the eq. 4 convergence diagnostic,
    for L'(f_B | f_A); cached. Returns a one-row-per-estimate DataFrame (bits)."""
    import pandas as pd

    from netsim.metrics import kl_codelength, sampled_codelength

    a, b = pair

    def compute():
        kl = kl_codelength(a.module, b.module, x, coding, convergence=True)
        sampled = [sampled_codelength(a.module, b.module, x, coding, seed=1000 + r).bits
                   for r in range(params.sampled_repeats)]
        return {"kl": np.array([kl.bits, kl.final_kl]), "sampled": np.array(sampled)}

    spec = {"pair": [a.key, b.key], "coding": dataclasses.asdict(coding), "k": len(x),
            "repeats": params.sampled_repeats}
    out = _cached("estimators", spec, compute)
    rows = [dict(estimator="KL form (eq. 6)", repeat=0, bits=float(out["kl"][0]), final_kl=float(out["kl"][1]))]
    rows += [dict(estimator="sampled labels (eq. 3)", repeat=r, bits=float(v), final_kl=math.nan)
             for r, v in enumerate(out["sampled"])]
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------
# Invariance (Fig. 1, Table 1)
# ---------------------------------------------------------------------------------------
def invariance(params, pair, configs, measurer: Measurer, progress=True):
    """Every measure for every reparameterisation of theta_A against theta_B.

    Returns
    -------
    pandas.DataFrame, one row per (scenario, strength c) with the nine measures; the row
    with scenario "reference" is the unmodified pair.
    """
    import pandas as pd
    from tqdm.auto import tqdm

    from netsim import reparam

    a, b = pair
    points = params.grid_points
    variants = [("reference", 0, a)]
    variants += [("scaling", c, modified(a, "scale", [SCALE_LAYER, c], reparam.scale_layer(a.module, SCALE_LAYER, c)))
                 for c in grid(SCALES, points)]
    variants += [("swapping", c, modified(a, "swap", [SWAP_LAYER, c, params.seed],
                                          reparam.swap_neurons(a.module, SWAP_LAYER, c, seed=params.seed)))
                 for c in grid(SWAP_FRACTIONS, points)]
    variants += [("perturbation", c, modified(a, "noise", [c, params.seed],
                                              reparam.gaussian_perturbation(a.module, c, seed=params.seed)))
                 for c in grid(NOISE_STDS, points)]
    x_adv = measurer.x[:ADVERSARIAL_INPUTS]
    variants += [("adversarial", c, modified(a, "adversarial", [c, params.adversarial_steps, params.seed],
                                             reparam.adversarial_perturbation(a.module, x_adv, c,
                                                                              steps=params.adversarial_steps,
                                                                              seed=params.seed)))
                 for c in grid(NOISE_STDS, points)]
    pretrain = run_config(params, dataset_options=PRETRAIN_DATA)
    from netsim.zoo import train_many
    train_many([pretrain], progress=progress)  # init_from needs it cached first
    variants += [("initialisation", "pretrained",
                  trained([configs[0].replace(init_from=pretrain.key_dict())], progress, params.processes)[0])]
    archs = [(name, f(tuple(params.widths)), dist) for name, f, dist in ARCHITECTURES]
    if points is not None:
        archs = archs[:points]
    arch_models = trained([configs[0].replace(model_options={"widths": list(w), "norm": None})
                           for _, w, _ in archs], progress)
    variants += [("architecture", name, m) for (name, _, _), m in zip(archs, arch_models)]
    measurer.prefetch([(model, b) for _, _, model in variants], progress, "invariance d_p")
    rows = []
    for scenario, c, model in tqdm(variants, desc="invariance baselines", disable=not progress):
        rows.append(dict(scenario=scenario, c=c, **measurer.all(model, b)))
    table = pd.DataFrame(rows)
    table["architecture_distance"] = table["c"].map({name: d for name, _, d in archs})
    return table


def invariance_scores(table) -> "object":
    """Table 1: the relative change of each measure per scenario, and the mean over scenarios
    where the measure is defined (rows: measures, columns: scenarios + "mean")."""
    import pandas as pd

    ref = table[table.scenario == "reference"].iloc[0]
    scores = {m: {s: relative_change(table.loc[table.scenario == s, m], ref[m]) for s in SCENARIOS}
              for m in MEASURES}
    out = pd.DataFrame(scores).T[list(SCENARIOS)]
    out["mean"] = out.mean(axis=1, skipna=True)
    out.index = [MEASURE_LABELS[m] for m in out.index]
    return out


def paper_table1():
    """The paper's Table 1 in the layout of :func:`invariance_scores`."""
    import pandas as pd

    out = pd.DataFrame({MEASURE_LABELS[m]: v for m, v in PAPER_TABLE1.items()},
                       index=[*SCENARIOS, "mean"]).T
    return out.astype(float)


def invariance_claims(table, scores) -> dict:
    """Measured values of claims 1.1-1.5 from :func:`invariance` and :func:`invariance_scores`."""
    mean = scores["mean"]
    rank = int((mean < mean["d_p"]).sum()) + 1
    ref = table[table.scenario == "reference"].iloc[0]
    rel = lambda rows: np.abs(rows["d_p"].to_numpy() - ref["d_p"]) / ref["d_p"]  # noqa: E731
    noise = table[table.scenario == "perturbation"].sort_values("c")
    adv = table[table.scenario == "adversarial"].sort_values("c")
    init = table[table.scenario == "initialisation"]
    arch = table[table.scenario == "architecture"]
    return {
        "1.1": Measured({"rank of d_p": rank, "d_p mean": mean["d_p"],
                         "best other": mean.drop("d_p").idxmin(), "its mean": mean.drop("d_p").min()}),
        "1.2": Measured({"d_p, scaling": scores.loc["d_p", "scaling"],
                         "d_p, swapping": scores.loc["d_p", "swapping"],
                         "parameter L2, scaling": scores.loc["parameter L2", "scaling"],
                         "parameter EMD, scaling": scores.loc["parameter EMD", "scaling"]}),
        "1.3": Measured({"relative change at the smallest noise std": float(rel(noise)[0]),
                         "relative change at the largest noise std": float(rel(noise)[-1]),
                         "fraction of stds where adversarial > random":
                             float(np.mean(adv["d_p"].to_numpy() > noise["d_p"].to_numpy()))}),
        "1.4": Measured({"relative change of d_p": float(init["d_p"].mean() / ref["d_p"] - 1),
                         "relative change of d_p (upper)": float(init["d_p"].mean() / ref["d_p"] - 1)}),
        "1.5": Measured({"fraction of variants above the same-architecture d_p":
                             float(np.mean(arch["d_p"].to_numpy() > ref["d_p"])),
                         "Spearman(architecture distance, d_p)":
                             spearman([0, *arch["architecture_distance"]], [ref["d_p"], *arch["d_p"]])}),
    }


def seed_spread(params, measurer: Measurer, pair, progress=True) -> float:
    """Relative difference of d_p(A, B) and d_p(A', B), A' = A retrained with another seed:
    the noise floor against which small relative changes are read."""
    a2 = trained([run_config(params, train_range=HALF_A, seed=params.seed + 4)], progress, params.processes)[0]
    measurer.prefetch([(pair[0], pair[1]), (a2, pair[1])], progress)
    d, d2 = measurer.d_p(pair[0], pair[1]), measurer.d_p(a2, pair[1])
    return abs(d2 - d) / d


# ---------------------------------------------------------------------------------------
# Faithfulness (Figs. 2-3)
# ---------------------------------------------------------------------------------------
def interpolation(params, measurer: Measurer, progress=True):
    """d_p and the baselines from theta_c = (1 - c) theta_A + c theta_B to theta_B, for
    "same init" (one seed, disjoint halves: related data) and "different init" (two seeds,
    the same half). Returns a DataFrame (setting, c, measures...)."""
    import pandas as pd

    from netsim import reparam

    settings = {
        "same init, different data": [run_config(params, train_range=HALF_A), run_config(params, train_range=HALF_B)],
        "different init, same data": [run_config(params, train_range=HALF_A),
                                      run_config(params, train_range=HALF_A, seed=params.seed + 1)],
    }
    rows = []
    for setting, configs in settings.items():
        a, b = trained(configs, progress, params.processes)
        path = [modified(a, "interpolate", [b.key, c], reparam.interpolate(a.module, b.module, c))
                for c in INTERPOLATION]
        measurer.prefetch([(theta, b) for theta in path], progress, setting)
        for c, theta in zip(INTERPOLATION, path):
            rows.append(dict(setting=setting, c=c, **measurer.all(theta, b)))
    return pd.DataFrame(rows)


def training_progress(params, config, measurer: Measurer, progress=True):
    """Distances from each checkpoint f_i of ``config``'s run to f_0 and to the final f_n.

    Returns a DataFrame (epoch, target in {"initial", "final"}, measures...)."""
    import pandas as pd
    from tqdm.auto import tqdm

    from netsim.train import build_final_model
    from netsim.zoo import train_many

    (run,) = train_many([config], progress=progress)
    models = [Model({"run": config.key_dict(), "checkpoint": i}, build_final_model(config, weights=w))
              for i, w in enumerate(run.weights)]
    measurer.prefetch([(m, ref) for m in models for ref in (models[0], models[-1])], progress, "checkpoints")
    rows = []
    for i, model in enumerate(tqdm(models, desc="checkpoint baselines", disable=not progress)):
        for target, ref in (("initial", models[0]), ("final", models[-1])):
            rows.append(dict(epoch=float(run.epochs[i]), checkpoint=i, target=target,
                             train_error=float(run.error["train"][i]), **measurer.all(model, ref)))
    return pd.DataFrame(rows)


def interpolation_claim(table) -> Measured:
    same = table[table.setting.str.startswith("same")].sort_values("c")
    diff = table[table.setting.str.startswith("different")].sort_values("c")
    d = same["d_p"].to_numpy()
    c = same["c"].to_numpy()
    total = d[0] - d[-1]
    by_half = d[0] - np.interp(0.5, c, d)
    dd = diff["d_p"].to_numpy()
    return Measured({"same init: increases along c": int(np.sum(np.diff(d) > 0)),
                     "same init: share of the drop by c = 0.5": float(by_half / total) if total > 0 else math.nan,
                     "different init: max interior / d_p at c = 0": float(dd[1:-1].max() / dd[0])})


def progress_claim(table) -> Measured:
    to0 = table[table.target == "initial"].sort_values("epoch")
    ton = table[table.target == "final"].sort_values("epoch")
    epochs = to0["epoch"].to_numpy()
    d0 = to0["d_p"].to_numpy()
    quarter = np.interp(epochs[-1] / 4, epochs, d0)
    late = ton[ton.epoch >= 1]
    baseline_rho = max(abs(spearman(late["epoch"], late[m])) for m in ("repr_cka", "repr_emd"))
    return Measured({"|Spearman| of d_p(f_i, f_0) with epoch": abs(spearman(epochs, d0)),
                     "direction to f_0": "rises" if spearman(epochs, d0) > 0 else "falls",
                     "|Spearman| of d_p(f_i, f_n) with epoch": abs(spearman(ton["epoch"], ton["d_p"])),
                     "direction to f_n": "rises" if spearman(ton["epoch"], ton["d_p"]) > 0 else "falls",
                     "share of d_p(f_n, f_0) reached by a quarter of training": float(quarter / d0[-1]),
                     "max |Spearman| of CKA / EMD to f_n with epoch, after epoch 1": baseline_rho})


# ---------------------------------------------------------------------------------------
# Geometry of tasks and models (Fig. 4)
# ---------------------------------------------------------------------------------------
def pairwise_d_p(models: dict, measurer: Measurer, progress=True):
    """Symmetric matrix (n, n) of d_p between named models, as a DataFrame."""
    import pandas as pd

    names = list(models)
    D = np.zeros((len(names), len(names)))
    pairs = list(itertools.combinations(range(len(names)), 2))
    measurer.prefetch([(models[names[i]], models[names[j]]) for i, j in pairs], progress, "pairs")
    for i, j in pairs:
        D[i, j] = D[j, i] = measurer.d_p(models[names[i]], models[names[j]])
    return pd.DataFrame(D, index=names, columns=names)


def task_geometry(params, coding, progress=True):
    """d_p between MLPs trained on the sprite labellings of :data:`TASK_FAMILIES` (same images)."""
    options = {**SPRITES, "n": params.sprite_n}
    configs = [run_config(params, dataset="sprites", dataset_options={**options, "label": t})
               for t in TASK_FAMILIES]
    models = dict(zip(TASK_FAMILIES, trained(configs, progress, params.processes)))
    x = coding_inputs(min(params.geometry_k, params.sprite_n), "sprites", **options)
    return pairwise_d_p(models, Measurer(x, coding, f"sprites-{params.sprite_n}", processes=params.processes), progress)


def model_geometry(params, coding, x, progress=True):
    """d_p between the architectures of :data:`MODEL_ZOO` trained on MNIST-1D half A."""
    names = list(MODEL_ZOO) if params.grid_points is None else SMALL_ZOO
    configs = [run_config(params, train_range=HALF_A, model=MODEL_ZOO[n][0], model_options=MODEL_ZOO[n][1])
               for n in names]
    models = dict(zip(names, trained(configs, progress, params.processes)))
    return pairwise_d_p(models, Measurer(x, coding, "mnist1d", processes=params.processes), progress)


def family_ratio(D, family: dict) -> float:
    """Mean d_p within families / mean d_p between families (off-diagonal pairs)."""
    names = list(D.index)
    within, between = [], []
    for i, j in itertools.combinations(range(len(names)), 2):
        (within if family[names[i]] == family[names[j]] else between).append(D.iloc[i, j])
    if not within or not between:
        raise ValueError("need pairs both within and between families")
    return float(np.mean(within) / np.mean(between))


def model_family(name: str) -> str:
    return name.split("-")[0]


def isomap(D, n_components: int = 3, n_neighbors: int | None = None):
    """Isomap embedding (n, n_components) of a precomputed distance matrix (scikit-learn)."""
    from sklearn.manifold import Isomap

    n = len(D)
    n_neighbors = n_neighbors or max(2, n - 2)
    return Isomap(n_neighbors=min(n_neighbors, n - 1), n_components=min(n_components, n - 1),
                  metric="precomputed").fit_transform(np.asarray(D))


# ---------------------------------------------------------------------------------------
# Regularisation (Fig. 5)
# ---------------------------------------------------------------------------------------
def regularisation(params, measurer: Measurer, progress=True):
    """d_p(f, 0) for each regulariser and strength (strength 0 is the shared unregularised run).

    Returns a DataFrame (regulariser, strength, d_p_to_random, test_error)."""
    import pandas as pd

    from netsim.zoo import train_many

    base = run_config(params, train_range=HALF_A)
    points = params.grid_points
    runs = [("weight decay", wd, base.replace(weight_decay=wd)) for wd in grid(WEIGHT_DECAYS, points)]
    runs += [("label smoothing", ls, base.replace(label_smoothing=ls)) for ls in grid(LABEL_SMOOTHINGS, points)]
    runs += [("dropout", p, run_config(params, train_range=HALF_A, dropout=p)) for p in grid(DROPOUTS, points)]
    teacher = base
    runs.append(("self-distillation", 0, base))
    for r in range(1, DISTILLATION_ROUNDS + 1 if points is None else 2):
        train_many([teacher], progress=progress)  # the next round needs its teacher cached
        student = base.replace(distill_from=teacher.key_dict())
        runs.append(("self-distillation", r, student))
        teacher = student
    models = trained([c for _, _, c in runs], progress, params.processes)
    measurer.prefetch([(m, measurer.random_model(m)) for m in models], progress, "d_p(f, 0)")
    rows = []
    for (name, strength, _), model in zip(runs, models):
        rows.append(dict(regulariser=name, strength=strength, d_p_to_random=measurer.to_random(model),
                         test_error=float(model.run.error["test"][-1]),
                         train_loss=float(model.run.loss["train"][-1])))
    return pd.DataFrame(rows)


def regularisation_claim(table) -> tuple[float, Measured]:
    """Fraction of regularisers whose strongest setting has lower d_p(f, 0) than none, and parts."""
    parts = {}
    for name, rows in table.groupby("regulariser", sort=False):
        rows = rows.sort_values("strength")
        parts[f"{name}: strongest / none"] = float(rows["d_p_to_random"].iloc[-1] / rows["d_p_to_random"].iloc[0])
    fraction = float(np.mean([v < 1 for v in parts.values()]))
    return fraction, Measured({"fraction reduced": fraction, **parts})


# ---------------------------------------------------------------------------------------
# Ensembles (Table 2, Fig. 6)
# ---------------------------------------------------------------------------------------
def overlap_window(overlap: float) -> tuple[float, float]:
    """The half-size window overlapping HALF_A = (0, 0.5) by ``overlap`` (fraction of a half)."""
    lo = 0.5 * (1 - overlap)
    return (round(lo, 6), round(lo + 0.5, 6))


def ensembles(params, measurer: Measurer, progress=True):
    """Pairs (theta_A, partner) with the same or a different init and training-set overlap;
    their d_p, and the ensemble's test loss, error and gain (mean single loss - ensemble loss).

    Returns a DataFrame, one row per pair (Table 2's layout)."""
    import pandas as pd

    a_config = run_config(params, train_range=HALF_A)
    overlaps = grid(OVERLAPS, params.grid_points)
    pairs = [("same", o, run_config(params, train_range=overlap_window(o))) for o in overlaps if o < 1]
    pairs += [("different", o, run_config(params, train_range=overlap_window(o), seed=params.seed + 1))
              for o in overlaps]
    a, *partners = trained([a_config, *[c for _, _, c in pairs]], progress, params.processes)
    run_a = a.run
    labels = run_a.labels["test"]
    measurer.prefetch([(a, partner) for partner in partners], progress, "pairs")
    rows = []
    for (init, overlap, _), partner in zip(pairs, partners):
        p_a, p_b = run_a.probs["test"][-1].astype(float), partner.run.probs["test"][-1].astype(float)
        nll = lambda p: float(-np.log(np.clip(p[np.arange(len(labels)), labels], 1e-12, None)).mean())  # noqa: E731
        ens = (p_a + p_b) / 2
        rows.append(dict(initialisation=init, overlap=overlap, d_p=measurer.d_p(a, partner),
                         ensemble_loss=nll(ens), ensemble_error=float((ens.argmax(1) != labels).mean()),
                         single_loss=(nll(p_a) + nll(p_b)) / 2,
                         gain=(nll(p_a) + nll(p_b)) / 2 - nll(ens)))
    return pd.DataFrame(rows)


def ensemble_claim(table) -> Measured:
    diff = table[table.initialisation == "different"].sort_values("overlap")
    same = table[table.initialisation == "same"].set_index("overlap")["d_p"]
    both = diff.set_index("overlap")["d_p"].reindex(same.index)
    return Measured({"Spearman(overlap, d_p), different init": spearman(diff["overlap"], diff["d_p"]),
                     "fraction of overlaps with d_p(different init) > d_p(same init)": float(np.mean(both > same)),
                     "Pearson(d_p, ensemble gain)": pearson(table["d_p"], table["gain"])})


# ---------------------------------------------------------------------------------------
# Generalisation (Table 3, Fig. 7)
# ---------------------------------------------------------------------------------------
def generalisation_config(params, change: dict):
    """The default run (on half A, like the other runs) with one change; ``widths`` may be
    "half" or "deeper"."""
    change = dict(change)
    widths = tuple(params.widths)
    if change.get("widths") == "half":
        change["widths"] = tuple(max(1, w // 2) for w in widths)
    elif change.get("widths") == "deeper":
        change["widths"] = widths + widths[-1:]
    return run_config(params, train_range=HALF_A, epochs=params.epochs * GENERALISATION_EPOCHS,
                      num_checkpoints=GENERALISATION_CHECKPOINTS, **change)


def generalisation(params, measurer: Measurer, progress=True):
    """Runs of :data:`GENERALISATION`, each taken at the first checkpoint with training loss
    <= TARGET_TRAIN_LOSS (the last one if never reached); gap = test loss - train loss.

    Returns a DataFrame (configuration, epoch, train_loss, test_loss, gap, d_p_to_random)."""
    import pandas as pd

    from netsim.train import build_final_model
    from netsim.zoo import shared_executor, train_many

    names = list(GENERALISATION)
    if params.grid_points is not None:  # trimmed: at least three runs, so a correlation exists
        names = names[:max(3, params.grid_points)]
    configs = {name: generalisation_config(params, GENERALISATION[name]) for name in names}
    runs = dict(zip(configs, train_many(configs.values(), progress=progress,
                                        executor=shared_executor(params.processes))))
    chosen = {}
    for name, config in configs.items():
        run = runs[name]
        hit = np.flatnonzero(run.loss["train"] <= TARGET_TRAIN_LOSS)
        i = int(hit[0]) if hit.size else len(run.steps) - 1
        chosen[name] = (i, hit.size > 0,
                        Model({"run": config.key_dict(), "checkpoint": i}, build_final_model(config, weights=run.weights[i])))
    measurer.prefetch([(m, measurer.random_model(m)) for _, _, m in chosen.values()], progress, "d_p(f, 0)")
    rows = []
    for name, (i, hit, model) in chosen.items():
        run = runs[name]
        rows.append(dict(configuration=name, epoch=float(run.epochs[i]), reached=bool(hit),
                         final_train_loss=float(run.loss["train"][-1]),
                         train_loss=float(run.loss["train"][i]), test_loss=float(run.loss["test"][i]),
                         gap=float(run.loss["test"][i] - run.loss["train"][i]),
                         d_p_to_random=measurer.to_random(model)))
    return pd.DataFrame(rows)


def generalisation_claim(table) -> tuple[float, str]:
    """Pearson(d_p(f, 0), gap) over the runs that reached the target loss, with a note; over
    all runs (and saying so) when fewer than three reached it (e.g. the smoke profile)."""
    reached = table[table.reached]
    overall = pearson(table["d_p_to_random"], table["gap"])
    if len(reached) >= 3:
        return (pearson(reached["d_p_to_random"], reached["gap"]),
                f"Pearson over the {len(reached)} of {len(table)} runs that reached the target loss "
                f"(over all runs: {overall:.3g})")
    return overall, (f"only {len(reached)} of {len(table)} runs reached the target loss, so this is the "
                     "correlation over all runs at their last checkpoints: the equal-loss condition does not hold")
