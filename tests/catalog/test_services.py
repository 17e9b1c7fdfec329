"""Module services: create, edit and version, publish, retire; the CME rules they enforce."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.audit.models import AuditEvent
from exchange.catalog import services
from exchange.catalog.models import ModuleVersion
from exchange.catalog.schemas import ModuleInputSchema, ModuleUpdateSchema
from exchange.database import today
from exchange.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.extensions import db
from tests.factories import add_member, make_module, make_org, make_provider, module_input, staff_of


@pytest.fixture
def provider():
    return make_provider("accme", name="Meridian Test Institute")


@pytest.fixture
def association():
    return make_org("association", name="Cascadia Test Academy")


def test_create_draft_defaults_provider_to_accredited_owner(provider):
    module = make_module(provider, provider=None)
    assert module.status == "draft"
    assert module.provider_id == provider.id
    assert module.version == 1
    assert [c.amount_hundredths for c in module.credits] == [150]
    assert sorted(module.professions) == ["nurse", "physician"]


def test_association_builds_and_provider_publishes(association, provider):
    module = make_module(association, provider)
    assert module.owner_id == association.id and module.provider_id == provider.id
    with pytest.raises(PermissionDeniedError):
        services.publish_module(staff_of(association), module)
    services.publish_module(staff_of(provider), module)
    assert module.status == "published"
    assert module.provider_activity_id == f"EXC-{module.id:06d}"
    event = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "module.published")
    ).one()
    assert (event.organization_id, event.related_organization_id) == (association.id, provider.id)


def test_publish_lists_everything_missing(provider):
    data = ModuleInputSchema().load({"title": "Bare draft", "owner_id": provider.id})
    module = services.create_module(staff_of(provider), data)
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(provider), module)
    missing = caught.value.errors
    for field in (
        "summary",
        "description",
        "objectives",
        "professions",
        "specialties",
        "credits",
        "faculty",
        "format",
        "delivery",
        "estimated_minutes",
        "release_date",
        "last_review_date",
        "termination_date",
        "content_url",
    ):
        assert field in missing, field
    assert module.status == "draft"


def test_publish_requires_disclosure_for_every_faculty_member(provider):
    module = make_module(provider, faculty=[{"name": "Lee Park, MD", "role": "Faculty"}])
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(provider), module)
    assert "faculty.0.disclosures" in caught.value.errors
    assert "Lee Park, MD" in caught.value.errors["faculty.0.disclosures"][0]


def test_publish_requires_relationships_mitigated(provider):
    faculty = [
        {
            "name": "Lee Park, MD",
            "role": "Faculty",
            "disclosures": [
                {"company": "Aldercrest", "relationship": "Speaker", "mitigated": False}
            ],
        }
    ]
    module = make_module(provider, faculty=faculty)
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(provider), module)
    assert "faculty.0.disclosures.0.mitigated" in caught.value.errors


def test_expired_accreditation_blocks_publication(association):
    lapsed = make_provider("accme", accredited_until=today() - timedelta(days=1))
    data = ModuleInputSchema().load(module_input(association, None))
    module = services.create_module(staff_of(association), data)
    db.session.commit()
    with pytest.raises(FieldValidationError) as caught:
        services.update_module(staff_of(association), module, {"provider_id": lapsed.id})
    assert "provider_id" in caught.value.errors


def test_ineligible_company_owns_nothing():
    company = make_org("association", is_ineligible_company=True)
    staff = add_member(company, "staff")
    data = ModuleInputSchema().load(module_input(company, None))
    with pytest.raises(FieldValidationError) as caught:
        services.create_module(staff, data)
    assert "owner_id" in caught.value.errors


def test_provider_accreditor_limits_credit_types(association):
    nursing = make_provider("ancc")
    module = make_module(association, nursing)  # designates AMA PRA Category 1
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(nursing), module)
    assert "credits.0.credit_type" in caught.value.errors


def test_editing_published_module_makes_a_new_version(provider):
    module = make_module(provider, status="published")
    staff = staff_of(provider)
    changes = ModuleUpdateSchema(partial=True).load(
        {"summary": "Updated for the 2026 guideline.", "change_note": "New guideline"}
    )
    services.update_module(staff, module, changes)
    db.session.commit()
    assert module.version == 2
    versions = services.list_versions(module)
    assert [v.version for v in versions] == [2, 1]
    assert versions[1].data["summary"] != "Updated for the 2026 guideline."
    assert versions[0].data["summary"] == "Updated for the 2026 guideline."
    assert versions[0].change_note == "New guideline"


def test_no_op_edit_of_published_module_keeps_version(provider):
    module = make_module(provider, status="published")
    services.update_module(staff_of(provider), module, {"title": module.title})
    assert module.version == 1
    assert db.session.scalar(db.select(db.func.count(ModuleVersion.id))) == 1


def test_published_module_cannot_lose_what_publication_needs(provider):
    module = make_module(provider, status="published")
    with pytest.raises(FieldValidationError) as caught:
        services.update_module(staff_of(provider), module, {"objectives": []})
    assert "objectives" in caught.value.errors
    db.session.rollback()
    assert module.version == 1


def test_retire_then_no_edits(provider):
    module = make_module(provider, status="published")
    services.retire_module(staff_of(provider), module)
    assert module.status == "retired"
    with pytest.raises(ConflictError):
        services.update_module(staff_of(provider), module, {"title": "Nope"})
    with pytest.raises(ConflictError):
        services.retire_module(staff_of(provider), module)


def test_drafts_hidden_from_outsiders(provider, association):
    module = make_module(provider)
    outsider = add_member(association, "staff")
    member = add_member(provider, "member")
    with pytest.raises(NotFoundError):
        services.get_module(outsider, module.id)
    with pytest.raises(NotFoundError):
        services.get_module(member, module.id)
    with pytest.raises(NotFoundError):
        services.get_module(None, module.id)
    assert services.get_module(staff_of(provider), module.id) is module
