"""Organizations: creation, accreditation, people and the audit trail (services, API, pages)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.audit.models import AuditEvent
from exchange.database import today
from exchange.errors import ConflictError, FieldValidationError, PermissionDeniedError
from exchange.extensions import db
from exchange.organizations import services
from exchange.organizations.models import Membership, Organization
from tests.factories import (
    PASSWORD,
    add_member,
    auth,
    make_module,
    make_org,
    make_provider,
    make_user,
    platform_admin,
    sign_in,
)


def actions(org: Organization) -> list[str]:
    return list(
        db.session.scalars(
            db.select(AuditEvent.action)
            .where(AuditEvent.organization_id == org.id)
            .order_by(AuditEvent.id)
        )
    )


# Services ------------------------------------------------------------------------------


def test_create_organization_with_verified_accreditation():
    until = today() + timedelta(days=365)
    org = services.create_organization(
        platform_admin(),
        {
            "name": "Prairie CME Partners",
            "kind": "provider",
            "accreditor": "accme",
            "accredited_until": until,
        },
    )
    assert org.slug == "prairie-cme-partners"
    assert org.is_accredited(today())
    assert org.accreditation_verified_by_id == platform_admin().id
    assert actions(org) == ["organization.created", "organization.accreditation_changed"]


def test_slugs_stay_unique_and_avoid_reserved_words():
    first = make_org(name="New")
    assert first.slug == "new-organization"
    again = services.create_organization(platform_admin(), {"name": "New!", "kind": "association"})
    assert again.slug == "new-organization-2"


def test_duplicate_name_is_a_field_error():
    make_org(name="Same Name Society")
    with pytest.raises(FieldValidationError) as caught:
        services.create_organization(
            platform_admin(), {"name": "same name society", "kind": "association"}
        )
    assert "name" in caught.value.errors


def test_only_platform_admins_create_or_verify():
    staff = add_member(make_org(), "admin")
    with pytest.raises(PermissionDeniedError):
        services.create_organization(staff, {"name": "Rogue", "kind": "provider"})
    org = make_org("provider")
    with pytest.raises(PermissionDeniedError):
        services.set_accreditation(
            staff, org, {"kind": "provider", "accreditor": "accme", "accredited_until": today()}
        )


def test_accreditation_change_is_audited_with_before_and_after():
    org = make_provider("accme")
    services.set_accreditation(
        platform_admin(),
        org,
        {
            "kind": "provider",
            "accreditor": "joint",
            "accredited_until": today() + timedelta(days=90),
        },
    )
    event = db.session.scalars(
        db.select(AuditEvent)
        .where(AuditEvent.action == "organization.accreditation_changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.data["before"]["accreditor"] == "accme"
    assert event.data["after"]["accreditor"] == "joint"


def test_expired_accreditation_is_not_accredited():
    org = make_provider("accme", accredited_until=today() - timedelta(days=1))
    assert not org.is_accredited(today())
    assert (
        db.session.scalar(db.select(Organization.id).where(Organization.accredited_clause(today())))
        is None
    )


def test_marking_ineligible_needs_modules_retired_first():
    provider = make_provider("accme")
    make_module(provider, status="published")
    with pytest.raises(ConflictError):
        services.set_accreditation(
            platform_admin(),
            provider,
            {
                "kind": "association",
                "accreditor": None,
                "accredited_until": None,
                "is_ineligible_company": True,
            },
        )


def test_add_existing_and_new_members():
    org = make_org()
    existing = make_user(email="existing@example.test")
    services.add_member(
        platform_admin(),
        org,
        {
            "email": "EXISTING@example.test",
            "full_name": "ignored",
            "profession": "nurse",
            "role": "staff",
            "password": None,
        },
    )
    assert existing.role_in(org.id) == "staff"
    with pytest.raises(FieldValidationError) as caught:
        services.add_member(
            platform_admin(),
            org,
            {
                "email": "new@example.test",
                "full_name": "New",
                "profession": "nurse",
                "role": "member",
                "password": None,
            },
        )
    assert "password" in caught.value.errors
    membership = services.add_member(
        platform_admin(),
        org,
        {
            "email": "new@example.test",
            "full_name": "New",
            "profession": "nurse",
            "role": "member",
            "password": PASSWORD,
        },
    )
    assert membership.user.check_password(PASSWORD)
    with pytest.raises(ConflictError):
        services.add_member(
            platform_admin(),
            org,
            {
                "email": "new@example.test",
                "full_name": "New",
                "profession": "nurse",
                "role": "admin",
                "password": None,
            },
        )


def test_org_admin_manages_people_but_keeps_an_admin():
    org = make_org()
    admin = add_member(org, "admin")
    member = add_member(org, "member")
    membership = db.session.scalars(
        db.select(Membership).where(Membership.user_id == member.id)
    ).one()
    services.change_role(admin, org, membership, "staff")
    assert membership.role == "staff"
    admin_membership = db.session.scalars(
        db.select(Membership).where(Membership.user_id == admin.id)
    ).one()
    with pytest.raises(ConflictError):
        services.remove_member(admin, org, admin_membership)
    with pytest.raises(ConflictError):
        services.change_role(admin, org, admin_membership, "member")
    services.remove_member(admin, org, membership)
    assert member.role_in(org.id) is None
    assert actions(org)[-3:] == [
        "membership.added",
        "membership.role_changed",
        "membership.removed",
    ]


def test_staff_cannot_manage_people():
    org = make_org()
    staff = add_member(org, "staff")
    with pytest.raises(PermissionDeniedError):
        services.add_member(
            staff,
            org,
            {
                "email": "x@example.test",
                "full_name": "X",
                "profession": "nurse",
                "role": "admin",
                "password": PASSWORD,
            },
        )


# API -------------------------------------------------------------------------------------


def test_api_create_and_read_organization(client):
    response = client.post(
        "/api/v1/organizations",
        headers=auth(platform_admin()),
        json={
            "name": "Harbor Test Collaborative",
            "kind": "both",
            "accreditor": "joint",
            "accredited_until": (today() + timedelta(days=400)).isoformat(),
            "website": "https://harbor.example.test",
            "description": "Team education.",
        },
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    for field in (
        "id",
        "name",
        "slug",
        "kind",
        "accreditor",
        "accredited_until",
        "description",
        "website",
    ):
        assert field in body
    one = client.get(f"/api/v1/organizations/{body['id']}").get_json()
    assert one["accreditor"] == "joint"
    listing = client.get("/api/v1/organizations?kind=both").get_json()
    assert [o["id"] for o in listing["items"]] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "X", "kind": "club"}, "kind"),
        ({"name": "", "kind": "association"}, "name"),
        (
            {
                "name": "X",
                "kind": "association",
                "accreditor": "accme",
                "accredited_until": "2030-01-01",
            },
            "accreditor",
        ),
        ({"name": "X", "kind": "provider", "accreditor": "accme"}, "accredited_until"),
        ({"name": "X", "kind": "provider", "accreditor": "ama"}, "accreditor"),
        ({"name": "X", "kind": "provider", "is_ineligible_company": True}, "kind"),
        ({"name": "X", "kind": "association", "website": "javascript:alert(1)"}, "website"),
        ({"name": "X", "kind": "association", "accredited_until": "soon"}, "accredited_until"),
    ],
)
def test_api_create_organization_bad_input(client, payload, field):
    response = client.post("/api/v1/organizations", headers=auth(platform_admin()), json=payload)
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert db.session.scalar(db.select(db.func.count(Organization.id))) == 0


def test_api_members(client):
    org = make_org()
    admin = add_member(org, "admin")
    staff = add_member(org, "staff")
    response = client.post(
        f"/api/v1/organizations/{org.id}/members",
        headers=auth(admin),
        json={
            "email": "learner@example.test",
            "full_name": "Lea Learner",
            "profession": "nurse",
            "role": "member",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["role"] == "member"
    listing = client.get(f"/api/v1/organizations/{org.id}/members", headers=auth(staff)).get_json()
    assert {m["email"] for m in listing["items"]} >= {"learner@example.test", staff.email}
    assert listing["total"] == 3
    member = add_member(org, "member")
    assert (
        client.get(f"/api/v1/organizations/{org.id}/members", headers=auth(member)).status_code
        == 403
    )
    duplicate = client.post(
        f"/api/v1/organizations/{org.id}/members",
        headers=auth(admin),
        json={
            "email": "learner@example.test",
            "full_name": "Lea",
            "profession": "nurse",
            "role": "staff",
        },
    )
    assert duplicate.status_code == 409


def test_api_members_of_unknown_org_is_404(client):
    assert (
        client.get(
            "/api/v1/organizations/999999/members", headers=auth(platform_admin())
        ).status_code
        == 404
    )


# Pages ---------------------------------------------------------------------------------


def test_platform_admin_creates_org_in_the_browser(client):
    sign_in(client, platform_admin())
    bad = client.post(
        "/organizations/new", data={"name": "", "kind": "provider", "accreditor": "accme"}
    )
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="name-error"' in text and 'id="accredited_until-error"' in text
    good = client.post(
        "/organizations/new",
        data={
            "name": "Summit CME",
            "kind": "provider",
            "accreditor": "accme",
            "accredited_until": (today() + timedelta(days=300)).isoformat(),
        },
    )
    assert good.status_code == 302 and good.headers["Location"].endswith(
        "/organizations/summit-cme/members"
    )
    page = client.get("/organizations/summit-cme").get_data(as_text=True)
    assert "ACCME" in page and "Verified by the platform" in page


def test_accreditation_page(client):
    org = make_org("provider")
    sign_in(client, platform_admin())
    response = client.post(
        f"/organizations/{org.slug}/accreditation",
        data={
            "kind": "provider",
            "accreditor": "ancc",
            "accredited_until": (today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    db.session.refresh(org)
    assert org.accreditor == "ancc" and org.is_accredited(today())


def test_members_page_add_change_remove(client):
    org = make_org(name="People Org")
    admin = add_member(org, "admin")
    sign_in(client, admin)
    bad = client.post(
        f"/organizations/{org.slug}/members",
        data={"email": "nope", "full_name": "", "profession": "", "role": "boss"},
    )
    assert bad.status_code == 422
    good = client.post(
        f"/organizations/{org.slug}/members",
        data={
            "email": "pat@example.test",
            "full_name": "Pat Example",
            "profession": "physician",
            "role": "member",
            "password": PASSWORD,
        },
        follow_redirects=True,
    )
    assert "Pat Example is now member of People Org." in good.get_data(as_text=True)
    membership = db.session.scalars(
        db.select(Membership)
        .join(Membership.user)
        .where(Membership.organization_id == org.id, Membership.role == "member")
    ).one()
    client.post(f"/organizations/{org.slug}/members/{membership.id}/role", data={"role": "staff"})
    db.session.refresh(membership)
    assert membership.role == "staff"
    membership_id = membership.id
    client.post(f"/organizations/{org.slug}/members/{membership_id}/remove")
    assert db.session.get(Membership, membership_id) is None
    audit = client.get(f"/organizations/{org.slug}/audit").get_data(as_text=True)
    assert "Removed Pat Example" in audit and "Changed Pat Example" in audit


def test_membership_of_other_org_is_404(client):
    org, other = make_org(), make_org()
    admin = add_member(org, "admin")
    foreign = add_member(other, "member")
    foreign_membership = db.session.scalars(
        db.select(Membership).where(Membership.user_id == foreign.id)
    ).one()
    sign_in(client, admin)
    response = client.post(f"/organizations/{org.slug}/members/{foreign_membership.id}/remove")
    assert response.status_code == 404
    assert db.session.get(Membership, foreign_membership.id) is not None


def test_audit_log_shows_module_events_to_owner_and_provider_admins(client):
    association = make_org("association")
    provider = make_provider("accme")
    module = make_module(association, provider, status="published")
    for org in (association, provider):
        admin = add_member(org, "admin")
        sign_in(client, admin)
        page = client.get(f"/organizations/{org.slug}/audit").get_data(as_text=True)
        assert f"Published “{module.title}”." in page


def test_organization_profile_edit(client):
    org = make_org()
    sign_in(client, add_member(org, "admin"))
    assert (
        client.post(
            f"/organizations/{org.slug}/edit", data={"website": "ftp://x", "description": ""}
        ).status_code
        == 422
    )
    assert (
        client.post(
            f"/organizations/{org.slug}/edit",
            data={"website": "https://org.example.test", "description": "<b>Hi</b>"},
        ).status_code
        == 302
    )
    page = client.get(f"/organizations/{org.slug}").get_data(as_text=True)
    assert "&lt;b&gt;Hi&lt;/b&gt;" in page


def test_organization_list_and_query_count(client, count_queries):
    for _ in range(3):
        make_org()
    with count_queries() as few:
        client.get("/organizations")
    for _ in range(15):
        make_org()
    with count_queries() as many:
        page = client.get("/organizations").get_data(as_text=True)
    assert page.count("/organizations/organization-") >= 18
    assert few.count == many.count


def test_organization_page_lists_provided_and_jointly_built_modules(client):
    association = make_org("association", name="Builder Association")
    provider = make_provider("accme", name="Certifier Institute")
    joint = make_module(association, provider, status="published", title="Jointly Built Module")
    own = make_module(provider, status="published", title="Provider's Own Module")
    association_page = client.get(f"/organizations/{association.slug}").get_data(as_text=True)
    assert "Modules it built with another provider of record (1)" in association_page
    assert joint.title in association_page and own.title not in association_page
    provider_page = client.get(f"/organizations/{provider.slug}").get_data(as_text=True)
    assert "Modules it is the provider of record for (2)" in provider_page
    assert "Modules it built with another provider of record" not in provider_page
