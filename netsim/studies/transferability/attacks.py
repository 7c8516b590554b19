"""The zoo's attack record: every model's predictions on every model's adversarial examples, cached.

One record holds, for M models and N attacked test images,

- ``clean``: (M, N) labels each model predicts on the clean images;
- ``on_adv``: (M, M, N) ``on_adv[a, v]`` = labels model ``v`` predicts on model ``a``'s PGD examples;
- ``on_random``: (M, N) labels each model predicts on a random-sign perturbation of the same L-inf
  size (claim 8.1's null: a perturbation of that size that is not an attack);
- ``box``: (M,) the largest violation of the eps ball and of the [0, 1] box by model ``a``'s
  examples (check C8.1).

Everything the chapter's similarity statistics need is a function of these labels, so bootstraps
over images reindex them instead of attacking again. Attackers are independent jobs: with
``processes > 1`` they run on :class:`netsim.zoo.LocalExecutor`'s workers, each of which rebuilds
the zoo's trained models from the cache once.
"""
from __future__ import annotations

import hashlib

import numpy as np

from netsim.cache import ResultCache, config_hash
from netsim.train import TrainConfig

ATTACK_CODE_VERSION = "1"
NAMESPACE = "transfer-attacks"
_MODELS: dict = {}  # per process: config key -> trained model (workers rebuild each once)


def trained_model(config: TrainConfig):
    """The cached trained network of ``config`` (eval mode), built once per process."""
    from netsim.train import build_final_model

    key = config_hash(config.key_dict())
    if key not in _MODELS:
        _MODELS[key] = build_final_model(config)
    return _MODELS[key]


def predict(model, x, batch_size: int = 500) -> np.ndarray:
    """Predicted labels (N,) int64 of ``model`` on images ``x`` (N, C, H, W), eval mode, no grad."""
    import torch

    x = torch.as_tensor(x)
    with torch.no_grad():
        return np.concatenate([model(x[i:i + batch_size]).argmax(1).numpy() for i in range(0, len(x), batch_size)])


def logits(model, x, batch_size: int = 500) -> np.ndarray:
    """Logits (N, K) float64 of ``model`` on ``x``, eval mode, no grad."""
    import torch

    x = torch.as_tensor(x)
    with torch.no_grad():
        return np.concatenate([model(x[i:i + batch_size]).double().numpy() for i in range(0, len(x), batch_size)])


def _attacker_job(job) -> dict:
    """One attacker: its PGD examples, every model's labels on them, the random-sign null, the box."""
    import torch

    from netsim.metrics.transfer import pgd, random_sign_perturbation

    index, configs, x, y, settings, seed, method = job
    models = [trained_model(c) for c in configs]
    attacker = models[index]
    generator = torch.Generator().manual_seed(seed * 1009 + index)
    if method == "pgd":
        adv = pgd(attacker, x, y, eps=settings["eps"], steps=settings["steps"], step_size=settings["step_size"],
                  generator=generator)
    elif method == "autoattack":
        from netsim.metrics.transfer import autoattack

        adv = autoattack(attacker, x, y, eps=settings["eps"], seed=seed + index)
    else:
        raise ValueError(f"method must be 'pgd' or 'autoattack', got {method!r}")
    adv = torch.as_tensor(adv).detach()
    xt = torch.as_tensor(x)
    box = max(float((adv - xt).abs().max() - settings["eps"]), float(-adv.min()), float(adv.max() - 1), 0.0)
    noisy = random_sign_perturbation(x, eps=settings["eps"], generator=generator)
    return {"index": index, "on_adv": np.stack([predict(m, adv) for m in models]),
            "on_random": predict(attacker, noisy), "box": box}


def attack_record(configs: list[TrainConfig], x: np.ndarray, y: np.ndarray, settings: dict, *, seed: int = 0,
                  method: str = "pgd", processes: int = 1, cache: ResultCache | None = None,
                  progress: bool = True) -> dict[str, np.ndarray]:
    """Attack every model of ``configs`` with ``method`` and record every model's labels (cached).

    Parameters
    ----------
    configs : list of M TrainConfig
        Trained and cached with ``save_weights=True``.
    x : (N, C, H, W) float32 in [0, 1]
        The attacked images.
    y : (N,) int
        Their labels.
    settings : dict
        ``eps``, ``steps``, ``step_size`` (``design.pgd_settings``); AutoAttack uses ``eps`` only.
    seed : int
        Seeds the random starts and the random-sign null (per attacker).
    method : {"pgd", "autoattack"}
    processes : int
        Attackers run on this many local worker processes.
    cache : ResultCache, optional
        Default: the ``transfer-attacks`` namespace of the default cache.

    Returns
    -------
    dict with ``y`` (N,), ``clean`` (M, N), ``on_adv`` (M, M, N), ``on_random`` (M, N), ``box`` (M,).
    """
    from tqdm.auto import tqdm

    from netsim.zoo import LocalExecutor, shared_executor

    if method not in ("pgd", "autoattack"):
        raise ValueError(f"method must be 'pgd' or 'autoattack', got {method!r}")
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64)
    if x.ndim != 4 or len(x) != len(y):
        raise ValueError(f"x must be (N, C, H, W) with N = len(y); got x {x.shape}, y {y.shape}")
    if not np.isfinite(x).all() or x.min() < 0 or x.max() > 1:
        raise ValueError("x must be finite images in [0, 1]")
    cache = cache or ResultCache(namespace=NAMESPACE)
    key = config_hash({"runs": [c.key_dict() for c in configs], "settings": settings, "seed": seed,
                       "method": method, "x": hashlib.sha256(x.tobytes()).hexdigest(), "y": y.tolist()}, version=f"attack-{ATTACK_CODE_VERSION}")
    entry = cache.load(key)
    if entry is not None:
        return entry[0]
    clean = np.stack([predict(trained_model(c), x) for c in configs])
    jobs = [(i, configs, x, y, settings, seed, method) for i in range(len(configs))]
    on_adv = np.zeros((len(configs), len(configs), len(y)), dtype=np.int64)
    on_random = np.zeros((len(configs), len(y)), dtype=np.int64)
    box = np.zeros(len(configs))
    # local workers (those of a local training sweep, already started): they read the trained models
    # from this machine's cache, which a Dask cluster's workers need not see
    executor = shared_executor(processes) if processes > 1 else LocalExecutor()
    bar = tqdm(total=len(jobs), desc=f"{method} attacks", disable=not progress, leave=False)
    for _, out in executor.map_unordered(_attacker_job, jobs):
        i = out["index"]
        on_adv[i], on_random[i], box[i] = out["on_adv"], out["on_random"], out["box"]
        bar.update(1)
    bar.close()
    arrays = {"y": y, "clean": clean, "on_adv": on_adv, "on_random": on_random, "box": box}
    cache.save(key, arrays, {"names": None, "settings": settings, "method": method})
    return arrays


def self_attack_success(config: TrainConfig, x: np.ndarray, y: np.ndarray, *, eps: float, steps: int,
                        seed: int = 0) -> float:
    """Share of the images ``config``'s model classifies correctly that its own PGD examples
    (``steps`` steps of ``2.5 eps / steps``, random start) make it misclassify.

    A diagnostic of the attack's strength at other settings than the chapter's (not cached).
    """
    import torch

    from netsim.metrics.transfer import pgd

    model = trained_model(config)
    correct = predict(model, x) == y
    if not correct.any():
        return float("nan")
    adv = pgd(model, x[correct], y[correct], eps=eps, steps=steps, step_size=2.5 * eps / steps,
              generator=torch.Generator().manual_seed(seed))
    return float(np.mean(predict(model, adv) != y[correct]))
