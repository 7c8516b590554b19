"""Study 8, a zoo of architectures compared by attack transferability (seed 004; STUDIES.md "Study 8").

Modules, in the order the chapter ``08_transferability_zoo`` uses them:

- :mod:`.claims`: the declarations of claims 8.1-8.9 and checks C8.1-C8.2, written before the zoo,
  the attack or any run existed;
- :mod:`.zoo`: the tiny timm families and the 13-component feature table (``architectures.csv``);
- :mod:`.design`: profiles, the training configurations (families, within and regime variants,
  distilled students), the attacked / held-out split and the PGD settings;
- :mod:`.attacks`: the cached attack record (every member's labels on every member's examples);
- :mod:`.chapter`: trains and attacks the zoo (:func:`.chapter.build_zoo`);
- :mod:`.evidence`: the similarity matrix, pair groups, ensembles, clusters, feature importance and
  one-sided scores; :mod:`.verdicts`: claims 8.1-8.9 with intervals and nulls;
- :mod:`.figures`: the chapter's figures.
"""
from netsim.claims import ClaimRegistry
from netsim.studies.transferability.claims import DECLARATIONS  # noqa: F401


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("transferability", DECLARATIONS, strict=True)
