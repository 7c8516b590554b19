"""Similarity of two models by adversarial attack transferability (study 8, seed paper 004).

The score of the paper (eq. 1) compares models A and B through each one's adversarial
examples: with ``x_A`` an adversarial example of A for the input ``x``, ``X_AB`` the
inputs both models classify correctly and ``y`` the true label,

``s(A, B) = log max(eps_s, 100 * (1 / (2 |X_AB|)) * sum_{x in X_AB} [A(x_B) != y] + [B(x_A) != y])``,

the log of the percentage of attacks that transfer, in both directions. It lies in
``[log eps_s, log 100 = 4.605]``; ``s(A, A)`` is the log of the self-attack success rate.

Contents:

* :func:`pgd`: the attack of the paper, L-inf PGD maximising the cross-entropy, with a
  random start, in eval mode, inputs in [0, 1] (normalisation belongs inside the model);
  :func:`random_sign_perturbation` is its no-attack null of the same L-inf size;
  :func:`autoattack` wraps ``torchattacks.AutoAttack`` (appendix G, the second attack).
* :func:`attack_similarity` (eq. 1) from integer label arrays, and the per-image pieces
  :func:`transfer_indicators` / :func:`similarity_from_indicators`, so that a bootstrap
  over images recomputes every score without attacking again.
* :func:`one_sided_similarity`: appendix G's approximation for a new model, which only
  needs the new model's adversarial examples (see its docstring for the dropped term).
* :func:`similarity_matrix`: the symmetric (M, M) matrix of a zoo.

Choice of ``eps_s``. The paper calls ``eps_s`` "a small scalar value to prevent the
ill-posedness" of the logarithm and does not state its value. The default
:data:`EPS_S` = 1e-3 (per cent) only replaces an exact zero: the smallest non-zero value
of the percentage is ``100 / (2 |X_AB|)``, above 1e-3 for every ``|X_AB| <= 50 000`` (the
paper used 5,000 images), so no measured transfer is ever altered, and a pair with no
transfer at all scores ``log 1e-3 = -6.91``. The score can therefore be negative
(down to ``log eps_s``); a spectral-clustering affinity built from it needs a
non-negative shift such as ``s - log eps_s``.
"""
from __future__ import annotations

import math
import numbers
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np

from ._validation import as_numpy, check_positive_int

#: Default floor of the transfer percentage before its logarithm (see the module docstring).
EPS_S = 1e-3
#: log 100: the score of a pair whose attacks all transfer (and of a perfect self-attack).
LOG_100 = math.log(100.0)

_INSTALL_HINT = (
    "autoattack needs the package torchattacks; install it with "
    "`pip install --no-deps torchattacks` (its metadata pins an old `requests`; its runtime "
    "needs are torch, torchvision, scipy and tqdm only)"
)


# ---------------------------------------------------------------------------------
# Validation helpers
# ---------------------------------------------------------------------------------
def _check_positive_float(name: str, value, *, upper: float | None = None) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}")
    value = float(value)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0; got {value}")
    if upper is not None and value >= upper:
        raise ValueError(f"{name} must be < {upper:g}; got {value}")
    return value


def _check_eps_s(eps_s) -> float:
    # eps_s >= 100 would make every score log(eps_s), whatever the transfer.
    return _check_positive_float("eps_s", eps_s, upper=100.0)


def _label_array(name: str, labels, n: int | None = None) -> np.ndarray:
    """A 1-D integer array of predicted or true labels, optionally of length ``n``."""
    arr = as_numpy(labels, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of labels of shape (N,); got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} must be non-empty")
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have one label per image, N = {n} like y; got {arr.shape[0]}")
    return arr.astype(np.int64, copy=False)


def _indicator_array(name: str, values, n: int | None = None) -> np.ndarray:
    """A 1-D boolean array (0/1 integers are accepted), optionally of length ``n``."""
    arr = as_numpy(values, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D boolean array of shape (N,); got shape {arr.shape}")
    if arr.dtype != bool:
        if not (np.issubdtype(arr.dtype, np.integer) and np.isin(arr, (0, 1)).all()):
            raise TypeError(f"{name} must be boolean (or 0/1 integers); got dtype {arr.dtype}")
        arr = arr.astype(bool)
    if n is not None and arr.shape[0] != n:
        raise ValueError(f"{name} must have N = {n} entries like mask; got {arr.shape[0]}")
    return arr


def _check_index(index, n: int) -> np.ndarray:
    arr = as_numpy(index, "index")
    if arr.ndim not in (1, 2) or arr.shape[-1] == 0:
        raise ValueError(f"index must be a non-empty array of shape (n,) or (B, n); got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"index must hold integer image indices; got dtype {arr.dtype}")
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"index must lie in [0, N) = [0, {n}); got values in [{arr.min()}, {arr.max()}]")
    return arr.astype(np.int64, copy=False)


# ---------------------------------------------------------------------------------
# The score
# ---------------------------------------------------------------------------------
class TransferIndicators(NamedTuple):
    """Per-image pieces of eq. 1, all boolean arrays of shape (N,).

    Attributes
    ----------
    mask : numpy.ndarray of bool
        ``X_AB``: both models classify the clean image correctly.
    a_fooled : numpy.ndarray of bool or None
        ``A(x_B) != y``: A is wrong on B's adversarial example (None if not given).
    b_fooled : numpy.ndarray of bool or None
        ``B(x_A) != y``: B is wrong on A's adversarial example (None if not given).
    """

    mask: np.ndarray
    a_fooled: np.ndarray | None
    b_fooled: np.ndarray | None


def transfer_indicators(y, pred_a, pred_b, pred_a_on_adv_b, pred_b_on_adv_a) -> TransferIndicators:
    """The per-image indicators of eq. 1, from which any resample recomputes s(A, B).

    Parameters
    ----------
    y : array_like of int, shape (N,)
        True labels.
    pred_a, pred_b : array_like of int, shape (N,)
        Labels predicted by A and B on the clean images.
    pred_a_on_adv_b : array_like of int, shape (N,), or None
        Labels predicted by A on B's adversarial examples ``x_B``. None leaves
        ``a_fooled`` out (the one-sided score, :func:`one_sided_similarity`).
    pred_b_on_adv_a : array_like of int, shape (N,), or None
        Labels predicted by B on A's adversarial examples ``x_A``; None leaves
        ``b_fooled`` out. At least one of the two must be given.

    Returns
    -------
    TransferIndicators
        ``(mask, a_fooled, b_fooled)``, boolean arrays of shape (N,) over all images (not
        restricted to the mask); :func:`similarity_from_indicators` combines them.
    """
    y = _label_array("y", y)
    n = y.shape[0]
    pred_a = _label_array("pred_a", pred_a, n)
    pred_b = _label_array("pred_b", pred_b, n)
    if pred_a_on_adv_b is None and pred_b_on_adv_a is None:
        raise ValueError("at least one of pred_a_on_adv_b and pred_b_on_adv_a must be given")
    a_fooled = (None if pred_a_on_adv_b is None
                else _label_array("pred_a_on_adv_b", pred_a_on_adv_b, n) != y)
    b_fooled = (None if pred_b_on_adv_a is None
                else _label_array("pred_b_on_adv_a", pred_b_on_adv_a, n) != y)
    return TransferIndicators((pred_a == y) & (pred_b == y), a_fooled, b_fooled)


def similarity_from_indicators(mask, a_fooled, b_fooled, index=None, eps_s: float = EPS_S):
    """Eq. 1 from per-image indicators, optionally on resampled images (bootstrap).

    ``s = log max(eps_s, 100 * sum_{i in X} (a_fooled_i + b_fooled_i) / (2 |X|))`` with
    ``X`` the resampled images in ``mask`` (an image drawn k times counts k times). If
    one of ``a_fooled``, ``b_fooled`` is None the single remaining term is averaged,
    ``100 * sum_{i in X} fooled_i / |X|`` (the one-sided score).

    Parameters
    ----------
    mask : array_like of bool, shape (N,)
        ``X_AB``, as returned by :func:`transfer_indicators`.
    a_fooled, b_fooled : array_like of bool, shape (N,), or None
        ``A(x_B) != y`` and ``B(x_A) != y``; at most one may be None.
    index : array_like of int, shape (n,) or (B, n), optional
        Image indices in [0, N) of one resample, or of B resamples (one per row).
        Default: every image once.
    eps_s : float, default :data:`EPS_S`
        Floor of the percentage, in (0, 100).

    Returns
    -------
    float, or numpy.ndarray of shape (B,) for a 2-D ``index``
        In ``[log eps_s, log 100]``.

    Raises
    ------
    ValueError
        If ``X_AB`` is empty (in the resample, or in any row of a 2-D ``index``).
    """
    eps_s = _check_eps_s(eps_s)
    mask = _indicator_array("mask", mask)
    n = mask.shape[0]
    terms = [_indicator_array(name, v, n) for name, v in (("a_fooled", a_fooled), ("b_fooled", b_fooled))
             if v is not None]
    if not terms:
        raise ValueError("at least one of a_fooled and b_fooled must be given")
    fooled = np.sum([t.astype(np.int64) for t in terms], axis=0) * mask  # (N,), in {0, 1, 2}
    if index is None:
        counts, hits = np.array([mask.sum()]), np.array([fooled.sum()])
        single = True
    else:
        index = _check_index(index, n)
        single = index.ndim == 1
        index = np.atleast_2d(index)
        counts, hits = mask[index].sum(axis=1), fooled[index].sum(axis=1)
    empty = counts == 0
    if empty.any():
        where = "" if single else f" in {int(empty.sum())} of {counts.size} resamples"
        raise ValueError(f"X_AB is empty{where}: no image is classified correctly by both models, "
                         "so s(A, B) is undefined")
    percent = 100.0 * hits / (len(terms) * counts)
    s = np.log(np.maximum(eps_s, percent))
    return float(s[0]) if single else s


def attack_similarity(y, pred_a, pred_b, pred_a_on_adv_b, pred_b_on_adv_a, eps_s: float = EPS_S) -> float:
    """Similarity s(A, B) of two models by attack transferability (paper eq. 1).

    ``s(A, B) = log max(eps_s, 100 * (1 / (2 |X_AB|)) * sum_{x in X_AB} [A(x_B) != y] + [B(x_A) != y])``
    with ``X_AB = {x : A(x) = y and B(x) = y}``. Symmetric: swapping the roles of A and B
    (``pred_a <-> pred_b`` and ``pred_a_on_adv_b <-> pred_b_on_adv_a``) gives the same
    value. For ``s(A, A)`` pass A's predictions on its own adversarial examples twice.

    Parameters
    ----------
    y : array_like of int, shape (N,)
        True labels.
    pred_a, pred_b : array_like of int, shape (N,)
        Labels predicted by A and B on the clean images.
    pred_a_on_adv_b : array_like of int, shape (N,)
        Labels predicted by A on B's adversarial examples ``x_B``.
    pred_b_on_adv_a : array_like of int, shape (N,)
        Labels predicted by B on A's adversarial examples ``x_A``.
    eps_s : float, default :data:`EPS_S` = 1e-3
        Floor of the percentage before the logarithm, in (0, 100).

    Returns
    -------
    float
        In ``[log eps_s, log 100 = 4.605]``.

    Raises
    ------
    ValueError
        If ``X_AB`` is empty, or on malformed labels (the message names the argument).
    """
    for name, value in (("pred_a_on_adv_b", pred_a_on_adv_b), ("pred_b_on_adv_a", pred_b_on_adv_a)):
        if value is None:
            raise ValueError(f"{name} is required (use one_sided_similarity for the one-sided score)")
    return similarity_from_indicators(
        *transfer_indicators(y, pred_a, pred_b, pred_a_on_adv_b, pred_b_on_adv_a), eps_s=eps_s)


def one_sided_similarity(y, pred_new, pred_old, pred_old_on_adv_new, eps_s: float = EPS_S) -> float:
    """Appendix G's one-sided approximation of s(new, old) for a new model.

    Appendix G avoids attacking all N existing models again "by omitting to compute the
    accuracy of the novel network on the adversarial samples of the existing networks":
    the term ``[new(x_old) != y]`` of eq. 1 is dropped and only the new model's
    adversarial examples are needed, tested on the old model,

    ``s_1(new, old) = log max(eps_s, 100 * (1 / |X|) * sum_{x in X} [old(x_new) != y])``,

    with ``X`` the images both models classify correctly (clean predictions are cheap, so
    ``X`` is the same ``X_AB`` as in eq. 1). The paper does not state the normalisation;
    the remaining term is averaged over ``|X|`` (not ``2 |X|``) so that the score keeps
    the scale of eq. 1, ``[log eps_s, log 100]``, and equals s(new, old) whenever the
    transfer is the same in both directions. It is not symmetric (paper: Pearson 0.82
    with the two-sided score, Fig. G.2).

    Parameters
    ----------
    y : array_like of int, shape (N,)
        True labels.
    pred_new, pred_old : array_like of int, shape (N,)
        Labels predicted by the new and an existing model on the clean images.
    pred_old_on_adv_new : array_like of int, shape (N,)
        Labels predicted by the existing model on the new model's adversarial examples.
    eps_s : float, default :data:`EPS_S`

    Returns
    -------
    float
        In ``[log eps_s, log 100]``. For a bootstrap, use
        ``transfer_indicators(y, pred_new, pred_old, None, pred_old_on_adv_new)`` with
        :func:`similarity_from_indicators`.

    Raises
    ------
    ValueError
        If ``X`` is empty, or on malformed labels.
    """
    if pred_old_on_adv_new is None:
        raise ValueError("pred_old_on_adv_new is required")
    ind = transfer_indicators(y, pred_new, pred_old, None, pred_old_on_adv_new)
    return similarity_from_indicators(*ind, eps_s=eps_s)


def similarity_matrix(y, clean: dict, on_adv: dict, *, names=None, index=None,
                      eps_s: float = EPS_S) -> np.ndarray:
    """The symmetric (M, M) matrix of eq. 1 for a zoo of M models.

    Entry ``(i, j)`` is ``attack_similarity(y, clean[i], clean[j], on_adv[j][i],
    on_adv[i][j])``; the diagonal ``s(A, A)`` uses A's predictions on its own adversarial
    examples for both terms (the log self-attack success rate on the images A gets right).

    Parameters
    ----------
    y : array_like of int, shape (N,)
        True labels.
    clean : dict
        Model name -> labels predicted on the clean images, shape (N,).
    on_adv : dict of dict
        ``on_adv[attacker][victim]``: labels predicted by ``victim`` on ``attacker``'s
        adversarial examples, shape (N,); needed for every ordered pair of ``names``,
        including ``on_adv[a][a]``.
    names : sequence of str, optional
        Models and their order; default ``list(clean)``.
    index : array_like of int, shape (n,), optional
        Resampled image indices in [0, N) (one bootstrap replicate).
    eps_s : float, default :data:`EPS_S`

    Returns
    -------
    numpy.ndarray of float64, shape (M, M)
        Exactly symmetric.

    Raises
    ------
    ValueError
        A missing model or prediction (named), or a pair with an empty ``X_AB`` (named).
    """
    eps_s = _check_eps_s(eps_s)
    y = _label_array("y", y)
    n = y.shape[0]
    names = list(clean) if names is None else list(names)
    if not names:
        raise ValueError("clean (or names) must name at least one model")
    for a in names:
        if a not in clean:
            raise ValueError(f"clean has no predictions for model {a!r}")
        if a not in on_adv:
            raise ValueError(f"on_adv has no adversarial examples of model {a!r}")
    correct, fooled = [], []
    for a in names:
        correct.append(_label_array(f"clean[{a!r}]", clean[a], n) == y)
        row = []
        for b in names:
            if b not in on_adv[a]:
                raise ValueError(f"on_adv[{a!r}] has no predictions of model {b!r}")
            row.append(_label_array(f"on_adv[{a!r}][{b!r}]", on_adv[a][b], n) != y)
        fooled.append(row)
    correct = np.array(correct)  # (M, N)
    fooled = np.array(fooled, dtype=np.int64)  # (attacker, victim, N): victim wrong on x_attacker
    if index is not None:
        index = _check_index(index, n)
        if index.ndim != 1:
            raise ValueError(f"index must be 1-D (one resample) here; got shape {index.shape}")
        correct, fooled = correct[:, index], fooled[:, :, index]
    mask = correct[:, None, :] & correct[None, :, :]  # (M, M, n)
    counts = mask.sum(axis=-1)
    empty = np.argwhere(counts == 0)
    if empty.size:
        i, j = empty[0]
        raise ValueError(f"X_AB is empty for models {names[i]!r} and {names[j]!r}: no image is "
                         "classified correctly by both")
    both = fooled + fooled.transpose(1, 0, 2)  # [B(x_A) != y] + [A(x_B) != y], symmetric
    percent = 100.0 * (both * mask).sum(axis=-1) / (2 * counts)
    S = np.log(np.maximum(eps_s, percent))
    return (S + S.T) / 2  # exact symmetry (the entries already agree)


# ---------------------------------------------------------------------------------
# Attacks
# ---------------------------------------------------------------------------------
@contextmanager
def _eval_mode(model):
    """Put every submodule in eval mode; restore each one's previous mode afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def _check_images(x):
    """Validate inputs in [0, 1]; return (detached floating tensor, whether x was numpy)."""
    import torch

    was_numpy = not isinstance(x, torch.Tensor)
    if was_numpy:
        arr = as_numpy(x, "x")
        if not np.issubdtype(arr.dtype, np.floating):
            raise TypeError(f"x must be a floating-point array of inputs in [0, 1]; got dtype {arr.dtype}")
        x = torch.from_numpy(np.ascontiguousarray(arr))
    elif not x.is_floating_point():
        raise TypeError(f"x must be a floating-point tensor of inputs in [0, 1]; got dtype {x.dtype}")
    x = x.detach()
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (N, ...) with N >= 1 and at least 2 dimensions; "
                         f"got shape {tuple(x.shape)}")
    if torch.isnan(x).any():
        raise ValueError("x contains NaN values")
    lo, hi = float(x.min()), float(x.max())
    if lo < 0 or hi > 1:
        raise ValueError(f"x must lie in [0, 1] (normalisation belongs inside the model); "
                         f"got values in [{lo:.4g}, {hi:.4g}]")
    return x, was_numpy


def _check_attack_inputs(x, y, batch_size):
    """Validate images and labels; return (x tensor, y tensor on x's device, was_numpy, batch_size)."""
    import torch

    x, was_numpy = _check_images(x)
    labels = _label_array("y", y, x.shape[0])
    if labels.min() < 0:
        raise ValueError(f"y must hold class labels >= 0; got min {labels.min()}")
    y = torch.as_tensor(labels, device=x.device)
    return x, y, was_numpy, check_positive_int("batch_size", batch_size)


def _check_num_classes(logits, y):
    if logits.ndim != 2:
        raise ValueError(f"model must return logits of shape (batch, C); got shape {tuple(logits.shape)}")
    if int(y.max()) >= logits.shape[1]:
        raise ValueError(f"y must lie in [0, C) = [0, {logits.shape[1]}) for the model's C = "
                         f"{logits.shape[1]} logits; got max {int(y.max())}")


def pgd(model, x, y, *, eps: float, steps: int, step_size: float, random_start: bool = True,
        generator=None, batch_size: int = 256):
    """L-inf projected gradient ascent on the cross-entropy (Madry et al. 2018), untargeted.

    From ``x_0 = x + u`` with ``u ~ U[-eps, eps]`` per coordinate (``x_0 = x`` without
    a random start), each of ``steps`` iterations takes
    ``x_{t+1} = P(x_t + step_size * sign(grad_x CE(model(x_t), y)))`` where ``P`` projects
    onto the intersection of the eps ball around ``x`` and the [0, 1] box (a per-coordinate
    clip, exact because the box and the ball are both boxes); the start is projected too.
    The last iterate is returned (no early stopping). The paper used 50 iterations.

    The model is attacked in eval mode (batch norm statistics frozen, no dropout); every
    submodule's previous mode is restored afterwards. Gradients are taken with respect to
    the inputs only, so the parameters' ``.grad`` are left untouched.

    Parameters
    ----------
    model : torch.nn.Module
        Maps inputs ``(batch, ...)`` in [0, 1] to logits ``(batch, C)``; any normalisation
        of the inputs is part of the model.
    x : torch.Tensor or numpy.ndarray, floating, shape (N, ...)
        Clean inputs in [0, 1].
    y : array_like of int, shape (N,)
        True labels in [0, C).
    eps : float > 0
        L-inf radius of the attack (in the units of ``x``, e.g. 8/255).
    steps : int >= 1
        Number of iterations.
    step_size : float > 0
        Step of each signed-gradient update (e.g. 2.5 * eps / steps).
    random_start : bool, default True
        Start from a uniform random point of the eps ball.
    generator : torch.Generator, optional
        Source of the random start (on the generator's device, then moved to ``x``'s);
        default: torch's global generator. The start is drawn for all N inputs at once,
        so the result does not depend on ``batch_size``.
    batch_size : int, default 256
        Inputs attacked per forward/backward pass.

    Returns
    -------
    torch.Tensor or numpy.ndarray
        Adversarial inputs of the same shape and dtype as ``x`` (a detached tensor on
        ``x``'s device for a tensor ``x``, an array for an array), with
        ``|x_adv - x|_inf <= eps`` and ``0 <= x_adv <= 1``.
    """
    import torch
    import torch.nn.functional as F

    eps = _check_positive_float("eps", eps)
    steps = check_positive_int("steps", steps)
    step_size = _check_positive_float("step_size", step_size)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")
    x, y, was_numpy, batch_size = _check_attack_inputs(x, y, batch_size)

    lower = (x - eps).clamp_(min=0.0)
    upper = (x + eps).clamp_(max=1.0)
    if random_start:
        device = generator.device if generator is not None else x.device
        u = torch.rand(x.shape, generator=generator, device=device, dtype=x.dtype).to(x.device)
        start = torch.max(torch.min(x + eps * (2.0 * u - 1.0), upper), lower)
    else:
        start = x.clone()

    out = torch.empty_like(x)
    with _eval_mode(model), torch.enable_grad():
        for b in range(0, x.shape[0], batch_size):
            sl = slice(b, b + batch_size)
            xb, yb, lo, hi = start[sl].clone(), y[sl], lower[sl], upper[sl]
            for t in range(steps):
                xb.requires_grad_(True)
                logits = model(xb)
                if b == 0 and t == 0:
                    _check_num_classes(logits, y)
                loss = F.cross_entropy(logits, yb, reduction="sum")
                (grad,) = torch.autograd.grad(loss, xb)
                with torch.no_grad():
                    xb = torch.max(torch.min(xb + step_size * grad.sign(), hi), lo)
            out[sl] = xb.detach()
    return out.cpu().numpy() if was_numpy else out


def random_sign_perturbation(x, *, eps: float, generator=None):
    """``clip(x + eps * r, 0, 1)`` with independent uniform random signs ``r in {-1, +1}``.

    The no-attack null of the same L-inf size as :func:`pgd` (claim 8.1).

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, floating, shape (N, ...)
        Inputs in [0, 1].
    eps : float > 0
    generator : torch.Generator, optional
        Source of the signs; default torch's global generator.

    Returns
    -------
    torch.Tensor or numpy.ndarray
        Same shape, dtype and kind as ``x``.
    """
    import torch

    eps = _check_positive_float("eps", eps)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator must be a torch.Generator or None; got {type(generator).__name__}")
    x, was_numpy = _check_images(x)
    device = generator.device if generator is not None else x.device
    bits = torch.randint(0, 2, x.shape, generator=generator, device=device).to(x.device, x.dtype)
    out = (x + eps * (2.0 * bits - 1.0)).clamp_(0.0, 1.0)
    return out.cpu().numpy() if was_numpy else out


def autoattack(model, x, y, *, eps: float, version: str = "standard", n_classes: int | None = None,
               seed: int = 0, batch_size: int = 256, verbose: bool = False):
    """L-inf AutoAttack (Croce & Hein 2020) through ``torchattacks.AutoAttack`` (appendix G).

    A thin wrapper: the same input checks and return convention as :func:`pgd`, the model
    in eval mode during the attack (each submodule's mode restored afterwards), batches of
    ``batch_size``, and torch's global random state left as it was (torchattacks reseeds
    it), so that the result depends on ``seed`` only.

    Parameters
    ----------
    model : torch.nn.Module
        Maps images ``(batch, C, H, W)`` in [0, 1] to logits ``(batch, n_classes)``.
    x : torch.Tensor or numpy.ndarray, floating, shape (N, C, H, W)
        Clean images in [0, 1] (torchattacks' APGD needs 4-D inputs).
    y : array_like of int, shape (N,)
    eps : float > 0
        L-inf radius.
    version : {"standard", "plus", "rand"}
        torchattacks' AutoAttack version ("standard": APGD-CE, APGD-T, FAB-T, Square).
    n_classes : int >= 4, optional
        Number of classes; default the model's number of logits. AutoAttack's DLR losses
        use the 4 largest logits, so fewer than 4 classes raise ``ValueError``.
    seed : int, default 0
        Seed of torchattacks' random starts (torchattacks' own default, None, uses the clock).
    batch_size : int, default 256
    verbose : bool, default False

    Returns
    -------
    torch.Tensor or numpy.ndarray
        Adversarial images, same shape, dtype and kind as ``x``.

    Raises
    ------
    ImportError
        If torchattacks is not installed (with the command that installs it).
    """
    try:
        import torchattacks
    except ImportError as err:
        raise ImportError(_INSTALL_HINT) from err
    import torch

    eps = _check_positive_float("eps", eps)
    if version not in ("standard", "plus", "rand"):
        raise ValueError(f"version must be one of 'standard', 'plus', 'rand'; got {version!r}")
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"seed must be an integer; got {seed!r}")
    x, y, was_numpy, batch_size = _check_attack_inputs(x, y, batch_size)
    if x.ndim != 4:
        raise ValueError(f"x must be images of shape (N, C, H, W) for torchattacks; got shape {tuple(x.shape)}")

    devices = [x.device] if x.device.type == "cuda" else []
    out = torch.empty_like(x)
    with _eval_mode(model), torch.random.fork_rng(devices=devices):
        with torch.no_grad():
            logits = model(x[:1])
        _check_num_classes(logits, y)
        if n_classes is None:
            n_classes = logits.shape[1]
        n_classes = check_positive_int("n_classes", n_classes)
        if n_classes < 4:
            raise ValueError(f"n_classes must be >= 4 for AutoAttack: its targeted DLR loss uses the "
                             f"4 largest logits; got n_classes = {n_classes} (use pgd for fewer classes)")
        attack = torchattacks.AutoAttack(model, norm="Linf", eps=eps, version=version,
                                         n_classes=n_classes, seed=int(seed), verbose=verbose)
        for b in range(0, x.shape[0], batch_size):
            sl = slice(b, b + batch_size)
            out[sl] = attack(x[sl], y[sl]).detach().to(x.device, x.dtype)
    # torchattacks' attacks stay within the ball and box up to rounding; make it exact.
    out = torch.max(torch.min(out, (x + eps).clamp(max=1.0)), (x - eps).clamp(min=0.0))
    return out.cpu().numpy() if was_numpy else out
