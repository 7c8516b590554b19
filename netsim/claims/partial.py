"""Recording claims whose parts a small run can leave undefined, and gluing their parts for the prose.

A smoke-profile run of a chapter can leave a statistic undefined (too few runs for a tube, a
resample without a pair); :func:`record` turns that into "not tested" with the parts named, and
:func:`glue_parts` glues every part under a name that exists at every profile.
"""
from __future__ import annotations

from netsim.claims.criteria import Measured


def record(claims, id: str, measured, null, note: str = ""):
    """``claims.record`` for statistics that a small run can leave undefined (``None`` parts).

    A claim with an undefined part is recorded as not tested, naming the parts (for instance two
    families without a common progress range, or too few runs for a tube). A null part that is
    undefined is left out and named in the note, so the reader sees that this part was judged
    without its null.
    """
    parts = measured if isinstance(measured, dict) else {id: measured}
    undefined = [name for name, value in parts.items() if value is None]
    if undefined:
        return claims.record(id, None, note="; ".join(filter(None, (note, "undefined in this run: " + "; ".join(undefined)))))
    if null is None and not isinstance(measured, dict):
        return claims.record(id, None, note="; ".join(filter(None, (note, "its null is undefined in this run"))))
    if isinstance(null, dict):
        missing = [name for name, value in null.items() if value is None]
        null = {name: value for name, value in null.items() if value is not None}
        if missing:
            note = "; ".join(filter(None, (note, "null undefined for: " + "; ".join(missing))))
    return claims.record(id, Measured(measured) if isinstance(measured, dict) else measured, null=null, note=note)


def glue_parts(name: str, values) -> list[str]:
    """Glue each part of a claim's statistics for the prose, NaN where a run left it undefined.

    ``values`` is an Estimate (glued as ``name``) or a mapping of parts (glued as ``name_1``,
    ``name_2``, ... in order); ``claims.glue`` glues only what was recorded, and a small profile
    leaves some claims not tested, so the chapter's text reads these names instead.
    """
    from myst_nb import glue

    parts = list(values.values()) if isinstance(values, dict) else [values]
    names = [name] if not isinstance(values, dict) else [f"{name}_{k}" for k in range(1, len(parts) + 1)]
    for label, value in zip(names, parts):
        glue(label, float("nan") if value is None else float(getattr(value, "value", value)), display=False)
    return names
