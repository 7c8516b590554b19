"""Study 8 declarations: the claim ids of STUDIES.md, each with a null, and a strict registry."""
from netsim.claims import Claim
from netsim.studies import transferability


def test_declarations_cover_the_studies_claims_each_with_a_null():
    registry = transferability.registry()
    repeated = ["8.1", "8.2", "8.3", "8.4", "8.5", "8.7", "8.8", "8.9"]
    assert [c.id for c in registry.claims] == [f"8.{k}" for k in range(1, 10)] + [f"{id}@24" for id in repeated]
    assert [c.id for c in registry.checks] == ["C8.1", "C8.2"]
    for claim in registry.claims:
        assert isinstance(claim, Claim) and claim.null and not claim.null.startswith("none")


def test_strict_registry_refuses_a_claim_without_its_null():
    import pytest

    registry = transferability.registry()
    with pytest.raises(ValueError, match="null"):
        registry.record("8.1", 4.6)


def test_the_second_radius_repeats_each_test_and_null_with_a_revision_record():
    from netsim.studies.transferability.claims import SENSITIVITY_DECLARED, sensitivity_id

    registry = transferability.registry()
    by_id = {c.id: c for c in registry.claims}
    for id in ("8.1", "8.2", "8.3", "8.4", "8.5", "8.7", "8.8", "8.9"):
        base, repeat = by_id[id], by_id[sensitivity_id(id)]
        assert repeat.test == base.test and repeat.null == base.null
        assert "24/255" in repeat.statement
        assert [r.date for r in repeat.revisions] == [SENSITIVITY_DECLARED]
    assert "8.6@24" not in by_id  # 8.6 does not use the attack
