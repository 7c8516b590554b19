"""Process-wide runtime settings: torch threads, device choice, seeding, repository paths."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
"""Repository root (the package is installed editable, so this is the checkout)."""

_THREADS_CONFIGURED = False


def data_dir() -> Path:
    """The project's data folder, ``<repo>/data`` (raw files and cache have their own variables)."""
    return REPO_ROOT / "data"


def configure_threads(num_threads: int | None = None) -> int:
    """Set torch's intra-op threads once, to the machine's cores unless given.

    Returns the number of threads in use.
    """
    global _THREADS_CONFIGURED
    import torch

    if num_threads is None:
        if _THREADS_CONFIGURED:
            return torch.get_num_threads()
        num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if not isinstance(num_threads, int) or num_threads < 1:
        raise ValueError(f"num_threads must be a positive int, got {num_threads!r}")
    torch.set_num_threads(num_threads)
    _THREADS_CONFIGURED = True
    return num_threads


def resolve_device(device: str = "auto"):
    """Map ``"auto"`` to CUDA when available, else CPU; pass other names through.

    Parameters
    ----------
    device : {"auto", "cpu", "cuda", "cuda:N", "mps"}
    """
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'auto' or 'cpu', got {type(device).__name__}")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available; use device='auto'")
    return resolved
