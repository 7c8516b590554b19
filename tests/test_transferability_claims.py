"""Study 8 declarations: the claim ids of STUDIES.md, each with a null, and a strict registry."""
from netsim.claims import Claim
from netsim.studies import transferability


def test_declarations_cover_the_studies_claims_each_with_a_null():
    registry = transferability.registry()
    assert [c.id for c in registry.claims] == [f"8.{k}" for k in range(1, 10)]
    assert [c.id for c in registry.checks] == ["C8.1", "C8.2"]
    for claim in registry.claims:
        assert isinstance(claim, Claim) and claim.null and not claim.null.startswith("none")


def test_strict_registry_refuses_a_claim_without_its_null():
    import pytest

    registry = transferability.registry()
    with pytest.raises(ValueError, match="null"):
        registry.record("8.1", 4.6)
