"""Baseline distances between two networks (study 1, seed 000 appendix B.1).

- Parameter space: L2 and cosine of the flattened weights and biases (batch-norm
  parameters excluded), EMD of neurons (optimal transport of the per-neuron weight
  vectors of each layer, POT's ``ot.emd2``, uniform masses).
- Representation space (penultimate features ``model.forward_features``, rows are
  samples): mean L2, mean cosine, EMD over feature dimensions, linear CKA.
- Output space: E_x KL(f_A(x) || f_B(x)) in nats.

Feature and probability functions take arrays (numpy in / numpy out); the parameter
functions and :func:`baseline_distances` take models. Torch is imported lazily.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_numpy, check_probabilities
from .kernels import cka

#: Names returned by :func:`baseline_distances`, in Table 1's order.
BASELINES = ("param_l2", "param_cosine", "param_emd", "repr_l2", "repr_cosine", "repr_emd",
             "repr_cka", "output_kl")


# ----------------------------------------------------------------------------- checks
def _matrix(name, x) -> np.ndarray:
    arr = as_numpy(x, name).astype(np.float64)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty 2-D array; got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or infinite values")
    return arr


def _same_shape(name_a, a, name_b, b):
    if a.shape != b.shape:
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {a.shape} and {b.shape}")


def _modules_pair(model_A, model_B):
    from torch import nn

    for name, m in (("model_A", model_A), ("model_B", model_B)):
        if not isinstance(m, nn.Module):
            raise TypeError(f"{name} must be a torch nn.Module; got {type(m).__name__}")


# ----------------------------------------------------------------------------- parameters
def parameter_vector(model) -> np.ndarray:
    """All weights and biases of ``model`` flattened into one float64 vector, in module
    order, excluding batch-norm layers (their statistics would dominate the norm)."""
    from torch import nn

    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module; got {type(model).__name__}")
    parts = [p.detach().cpu().double().reshape(-1).numpy()
             for m in model.modules() if not isinstance(m, nn.modules.batchnorm._BatchNorm)
             for p in m.parameters(recurse=False)]
    if not parts:
        raise ValueError("model has no parameters")
    return np.concatenate(parts)


def _vectors(model_A, model_B):
    _modules_pair(model_A, model_B)
    a, b = parameter_vector(model_A), parameter_vector(model_B)
    _same_shape("parameters of model_A", a, "parameters of model_B", b)
    return a, b


def parameter_l2(model_A, model_B) -> float:
    """||w_A - w_B||_2 of the flattened parameters."""
    a, b = _vectors(model_A, model_B)
    return float(np.linalg.norm(a - b))


def parameter_cosine(model_A, model_B) -> float:
    """w_A . w_B / (||w_A|| ||w_B||), a similarity in [-1, 1]."""
    a, b = _vectors(model_A, model_B)
    denom = np.linalg.norm(a) * np.linalg.norm(b)
    if denom == 0:
        raise ValueError("a parameter vector is zero; the cosine is undefined")
    return float(a @ b / denom)


def neuron_emd(units_A, units_B) -> float:
    """EMD between two sets of neurons (rows), uniform masses, ground cost the L2 distance.

    Parameters
    ----------
    units_A : array_like (m, d); units_B : array_like (n, d)
        One row per neuron (its incoming weights, bias appended, or its activations).

    Returns
    -------
    float: min_P <P, M>_F over couplings of the uniform masses, M_mn = ||a_m - b_n||_2.
    Zero for identical sets; invariant to permuting the rows of either side.
    """
    import ot

    A, B = _matrix("units_A", units_A), _matrix("units_B", units_B)
    if A.shape[1] != B.shape[1]:
        raise ValueError(f"units_A and units_B must have the same row length; got {A.shape[1]} and {B.shape[1]}")
    M = np.sqrt(np.maximum(((A[:, None, :] - B[None, :, :]) ** 2).sum(-1), 0.0))
    a = np.full(A.shape[0], 1.0 / A.shape[0])
    b = np.full(B.shape[0], 1.0 / B.shape[0])
    return float(ot.emd2(a, b, M))


def _layer_units(model) -> list[np.ndarray]:
    """Per-neuron weight rows of each Linear/Conv layer: (out, in [* kernel] [+ 1 bias])."""
    from torch import nn

    layers = []
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.modules.conv._ConvNd)):
            w = m.weight.detach().cpu().double().reshape(m.weight.shape[0], -1).numpy()
            if m.bias is not None:
                w = np.concatenate([w, m.bias.detach().cpu().double().numpy()[:, None]], axis=1)
            layers.append(w)
    return layers


def parameter_emd(model_A, model_B) -> float:
    """Optimal transport of neurons: the sum over Linear/Conv layers of :func:`neuron_emd`
    of the two models' per-neuron weight vectors (incoming weights and bias)."""
    _modules_pair(model_A, model_B)
    la, lb = _layer_units(model_A), _layer_units(model_B)
    if not la or len(la) != len(lb):
        raise ValueError(f"model_A and model_B must have the same (non-zero) number of layers; "
                         f"got {len(la)} and {len(lb)}")
    return float(sum(neuron_emd(a, b) for a, b in zip(la, lb)))


# ----------------------------------------------------------------------------- representations
def penultimate_features(model, x, batch_size: int = 2048) -> np.ndarray:
    """``model.forward_features(x)`` in eval mode, without gradients, as float64 (n, d)."""
    import torch

    x = torch.as_tensor(np.asarray(as_numpy(x, "x"), dtype=np.float32))
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must have shape (n, ...) with n >= 1; got {tuple(x.shape)}")
    was = model.training
    model.eval()
    with torch.no_grad():
        out = torch.cat([model.forward_features(x[i:i + batch_size]) for i in range(0, len(x), batch_size)])
    model.train(was)
    return out.double().reshape(out.shape[0], -1).numpy()


def _features_pair(F_A, F_B):
    A, B = _matrix("F_A", F_A), _matrix("F_B", F_B)
    if A.shape[0] != B.shape[0]:
        raise ValueError(f"F_A and F_B must have the same rows (samples); got {A.shape[0]} and {B.shape[0]}")
    return A, B


def representation_l2(F_A, F_B) -> float:
    """(1/k) sum_i ||f_Ai - f_Bi||_2 over the rows (samples) of F_A, F_B (k, d)."""
    A, B = _features_pair(F_A, F_B)
    _same_shape("F_A", A, "F_B", B)
    return float(np.linalg.norm(A - B, axis=1).mean())


def representation_cosine(F_A, F_B) -> float:
    """(1/k) sum_i cos(f_Ai, f_Bi), a similarity in [-1, 1]; rows of zeros are refused."""
    A, B = _features_pair(F_A, F_B)
    _same_shape("F_A", A, "F_B", B)
    na, nb = np.linalg.norm(A, axis=1), np.linalg.norm(B, axis=1)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError("F_A or F_B has an all-zero row (dead features); the cosine is undefined")
    return float(((A * B).sum(1) / (na * nb)).mean())


def representation_emd(F_A, F_B) -> float:
    """EMD over feature dimensions: :func:`neuron_emd` of the columns (each neuron's
    activation vector over the k samples), M_mn = (sum_i (f_Aim - f_Bin)^2)^(1/2)."""
    A, B = _features_pair(F_A, F_B)
    return neuron_emd(A.T, B.T)


def representation_cka(F_A, F_B) -> float:
    """Linear CKA of the features (:func:`netsim.metrics.cka`)."""
    A, B = _features_pair(F_A, F_B)
    return cka(A, B)


# ----------------------------------------------------------------------------- outputs
def output_kl(p_A, p_B) -> float:
    """E_x KL(f_A(x) || f_B(x)) in nats, p_A, p_B of shape (N, C); 0 log 0 = 0; an
    infinite value (p_B = 0 where p_A > 0) is returned as inf, not clamped."""
    p = check_probabilities("p_A", p_A)
    q = check_probabilities("p_B", p_B)
    _same_shape("p_A", p, "p_B", q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)
    return float(terms.sum(axis=1).mean())


def baseline_distances(model_A, model_B, x) -> dict:
    """All baselines of :data:`BASELINES` for two models on inputs x.

    Models of different architectures are allowed: the parameter measures need equal
    parameter shapes and representation L2 / cosine equal feature widths; where these
    differ the value is NaN (Table 1's "n/a"). EMD over feature dimensions, CKA and the
    output KL are always defined.
    """
    import math

    import torch

    _modules_pair(model_A, model_B)
    F_A, F_B = penultimate_features(model_A, x), penultimate_features(model_B, x)
    with torch.no_grad():
        p_A = torch.softmax(torch.as_tensor(F_A) @ model_A.head.weight.double().T
                            + _bias(model_A.head), dim=1).numpy()
        p_B = torch.softmax(torch.as_tensor(F_B) @ model_B.head.weight.double().T
                            + _bias(model_B.head), dim=1).numpy()
    out = dict.fromkeys(BASELINES, math.nan)
    if [p.shape for p in model_A.parameters()] == [p.shape for p in model_B.parameters()]:
        out.update(param_l2=parameter_l2(model_A, model_B), param_cosine=parameter_cosine(model_A, model_B),
                   param_emd=parameter_emd(model_A, model_B))
    if F_A.shape == F_B.shape:
        out.update(repr_l2=representation_l2(F_A, F_B), repr_cosine=representation_cosine(F_A, F_B))
    out.update(repr_emd=representation_emd(F_A, F_B), repr_cka=representation_cka(F_A, F_B),
               output_kl=output_kl(p_A, p_B))
    return out


def _bias(head):
    import torch

    return torch.zeros(head.out_features, dtype=torch.float64) if head.bias is None else head.bias.double()
