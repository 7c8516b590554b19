"""netsim: helpers for the netsim compendium on comparing neural networks.

Submodules are imported lazily so that ``import netsim`` stays cheap and torch is
only loaded by the parts that need it.
"""
from importlib import import_module

__version__ = "0.1.0"

_SUBMODULES = {
    "data", "models", "train", "zoo", "cache", "metrics", "profiles", "claims",
    "plotting", "studies", "probes", "pacbayes", "linear", "runtime", "reparam", "uncertainty", "cluster",
}


def __getattr__(name):
    if name in _SUBMODULES:
        module = import_module(f"netsim.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'netsim' has no attribute {name!r}")


__all__ = sorted(_SUBMODULES)
