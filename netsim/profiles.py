"""Parameter profiles: ``smoke`` (CI, seconds), ``book`` (the rendered book), ``paper`` (GPU scale).

Every notebook has one cell tagged ``parameters`` that sets ``profile = None`` and each of
the study's knobs to ``None``. :func:`resolve` fills each ``None`` from the study's profile
table, so a papermill parameter (``-p epochs 5``) overrides just that knob.
"""
from __future__ import annotations

import os
from types import MappingProxyType
from typing import Any, Mapping

PROFILES = ("smoke", "book", "paper")
DEFAULT_PROFILE = "book"
ENV_VAR = "NETSIM_PROFILE"


def current_profile(profile: str | None = None) -> str:
    """``profile`` if given, else ``$NETSIM_PROFILE``, else ``"book"``; validated."""
    name = profile if profile is not None else os.environ.get(ENV_VAR) or DEFAULT_PROFILE
    if name not in PROFILES:
        source = "profile" if profile is not None else ENV_VAR
        raise ValueError(f"{source} must be one of {PROFILES}, got {name!r}")
    return name


class Params(Mapping[str, Any]):
    """Read-only resolved parameters with attribute access (``params.epochs``)."""

    def __init__(self, profile: str, values: Mapping[str, Any]):
        self._values = MappingProxyType(dict(values))
        self.profile = profile

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(f"no parameter {name!r}; known: {sorted(self._values)}") from None

    def __getitem__(self, key):
        return self._values[key]

    def __iter__(self):
        return iter(self._values)

    def __len__(self):
        return len(self._values)

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Params(profile={self.profile!r}, {inner})"


def resolve(table: Mapping[str, Mapping[str, Any]], profile: str | None = None, **knobs) -> Params:
    """Fill the ``None`` knobs from ``table[profile]``.

    Parameters
    ----------
    table : profile name -> {knob: value}; every profile must define the same knobs.
    profile : profile name or ``None`` (then ``$NETSIM_PROFILE``, else ``"book"``).
    **knobs : the notebook's parameters; ``None`` means "take the profile's value".

    Returns
    -------
    Params with every knob of the table, plus ``device`` if the table defines it.
    """
    name = current_profile(profile)
    missing = [p for p in PROFILES if p not in table]
    if missing:
        raise ValueError(f"table must define every profile {PROFILES}; missing {missing}")
    defaults = table[name]
    unknown = sorted(set(knobs) - set(defaults))
    if unknown:
        raise ValueError(f"unknown parameters {unknown}; this study's knobs are {sorted(defaults)}")
    values = {k: (knobs[k] if knobs.get(k) is not None else v) for k, v in defaults.items()}
    return Params(name, values)
