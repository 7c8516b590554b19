"""Study 8, a zoo of architectures compared by attack transferability (seed 004; STUDIES.md "Study 8").

Work in progress (issue 17): the declarations of claims 8.1-8.9 and checks C8.1-C8.2 are in
:mod:`.claims`, written before the zoo, the attack or any run exist. The zoo, ``netsim.metrics.transfer``
and the notebook ``08_transferability_zoo`` come next.
"""
from netsim.claims import ClaimRegistry
from netsim.studies.transferability.claims import DECLARATIONS  # noqa: F401


def registry() -> ClaimRegistry:
    """The chapter's strict registry of the declarations in :mod:`.claims`."""
    return ClaimRegistry("transferability", DECLARATIONS, strict=True)
