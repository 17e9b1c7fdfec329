"""Bad input that must never be a 500, and the CME rules a CME director checks."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest

from exchange.catalog import services
from exchange.catalog.forms import module_form_values
from exchange.catalog.models import Module
from exchange.database import commit, today
from exchange.errors import ConflictError, FieldValidationError
from exchange.extensions import db
from exchange.organizations import services as organizations
from tests.factories import (
    add_member,
    auth,
    make_module,
    make_org,
    make_provider,
    module_input,
    platform_admin,
    sign_in,
    staff_of,
)

HUGE = "99999999999999999999"


@pytest.fixture
def provider():
    return make_provider("accme", name="Hardening Institute")


# Input that used to crash ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"credits": [{"amount": 1}]}, "credits.0.credit_type"),
        ({"faculty": [{"role": "x"}]}, "faculty.0.name"),
        (
            {"faculty": [{"name": "A", "disclosures": [{"company": "X"}]}]},
            "faculty.0.disclosures.0.relationship",
        ),
        ({"commercial_support": [{"amount": 5}]}, "commercial_support.0.source"),
    ],
)
def test_patch_with_incomplete_nested_items_is_422(client, provider, change, field):
    module = make_module(provider)
    response = client.patch(
        f"/api/v1/modules/{module.id}", json=change, headers=auth(staff_of(provider))
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]


@pytest.mark.parametrize(
    "url",
    [
        f"/modules/{HUGE}",
        f"/api/v1/modules/{HUGE}",
        f"/api/v1/organizations/{HUGE}",
        f"/api/v1/modules?provider_id={HUGE}",
        f"/catalog?provider_id={HUGE}",
        "/catalog?min_credits=12345678901234567890123456789.001",
        "/api/v1/modules?min_credits=1e999999",
        f"/catalog?page={HUGE}",
        f"/organizations?page={HUGE}",
        "/organizations/a%00b",
        "/catalog?q=%00",
    ],
)
def test_absurd_input_is_a_4xx_never_a_500(client, url):
    response = client.get(url)
    assert 400 <= response.status_code < 500 or response.status_code == 200, response.status_code


def test_huge_ids_in_json_bodies(client, provider):
    payload = module_input(provider, provider, owner_id=int(HUGE))
    response = client.post("/api/v1/modules", json=payload, headers=auth(staff_of(provider)))
    assert response.status_code == 422 and "owner_id" in response.get_json()["errors"]


def test_nul_in_credentials_is_422(client):
    response = client.post(
        "/api/v1/auth/tokens", json={"email": "a\x00b@x.org", "password": "whatever12345"}
    )
    assert response.status_code == 422 and "email" in response.get_json()["errors"]


def test_non_object_body_says_so(client, provider):
    response = client.post("/api/v1/modules", json=[1, 2], headers=auth(staff_of(provider)))
    assert response.status_code == 422
    assert response.get_json()["message"] == "The request body must be a JSON object."


def test_anonymous_write_is_401_before_validation(client):
    response = client.post("/api/v1/modules", json={})
    assert response.status_code == 401


def test_request_bodies_are_size_limited(client, provider):
    big = {"title": "x", "owner_id": provider.id, "description": "y" * (5 * 1024 * 1024)}
    response = client.post("/api/v1/modules", json=big, headers=auth(staff_of(provider)))
    assert response.status_code == 413
    assert response.get_json()["code"] == 413


def test_editor_ignores_absurd_row_numbers(client, provider):
    sign_in(client, staff_of(provider))
    started = time.perf_counter()
    response = client.post(
        f"/modules/new?owner={provider.slug}", data={"title": "Rows", "faculty.200000.name": "x"}
    )
    assert time.perf_counter() - started < 5
    assert response.status_code == 302
    assert db.session.scalars(db.select(Module)).one().faculty == []


def test_edit_form_round_trips_large_amounts(client, provider):
    support = [{"source": "Northwind Biopharma", "kind": "monetary", "amount": "1234567.89"}]
    module = make_module(provider, status="published", commercial_support=support)
    form = module_form_values(module)
    assert form["commercial_support.0.amount"] == "1234567.89"
    sign_in(client, staff_of(provider))
    client.post(f"/modules/{module.id}/edit", data=form.to_dict(flat=False))
    db.session.refresh(module)
    assert module.version == 1  # nothing changed, so no new version
    assert module.commercial_support[0]["amount"] == 1234567.89


def test_new_module_owner_comes_from_the_form(client):
    first, second = make_org(name="Aaa Association"), make_org(name="Zzz Association")
    person = add_member(first, "staff")
    add_member(second, "staff", user=person)
    sign_in(client, person)
    response = client.post(
        f"/modules/new?owner={first.slug}", data={"title": "Mine", "owner": second.slug}
    )
    assert response.status_code == 302
    assert db.session.scalars(db.select(Module)).one().owner_id == second.id


def test_security_headers(client):
    response = client.get("/catalog")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_concurrent_change_is_409_not_500(client, provider, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    module = make_module(provider, status="published")

    def clash(*args, **kwargs):
        raise IntegrityError("INSERT INTO module_versions", {}, Exception("UNIQUE"))

    monkeypatch.setattr(services, "_snapshot", clash)
    response = client.patch(
        f"/api/v1/modules/{module.id}",
        json={"summary": "Changed"},
        headers=auth(staff_of(provider)),
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.get_json()["message"]


def test_generated_activity_id_avoids_a_taken_one(provider):
    taken = make_module(provider)
    draft = make_module(provider, provider_activity_id=None)
    taken.provider_activity_id = f"EXC-{draft.id:06d}"
    commit()
    services.publish_module(staff_of(provider), draft)
    assert draft.provider_activity_id == f"EXC-{draft.id:06d}-2"


# Who sees the launch URL -----------------------------------------------------------------


def test_launch_url_only_for_the_modules_staff(client, provider):
    module = make_module(provider, status="published")
    public = client.get(f"/api/v1/modules/{module.id}").get_json()
    listed = client.get("/api/v1/modules").get_json()["items"][0]
    version = client.get(f"/api/v1/modules/{module.id}/versions/1").get_json()
    assert public["content_url"] is None and listed["content_url"] is None
    assert version["content_url"] is None
    own = client.get(f"/api/v1/modules/{module.id}", headers=auth(staff_of(provider))).get_json()
    assert own["content_url"] == "https://learn.example.test/hypertension"
    assert "learn.example.test" not in client.get(f"/modules/{module.id}").get_data(as_text=True)


# CME rules ---------------------------------------------------------------------------------


def test_lapsed_accreditation_takes_modules_out_of_the_available_catalog(client, provider):
    module = make_module(provider, status="published")
    assert client.get("/api/v1/modules").get_json()["total"] == 1
    organizations.set_accreditation(
        platform_admin(),
        provider,
        {
            "kind": "provider",
            "accreditor": "accme",
            "accredited_until": today() - timedelta(days=1),
        },
    )
    commit()
    assert client.get("/api/v1/modules").get_json()["total"] == 0
    assert client.get("/api/v1/modules?available_only=false").get_json()["total"] == 1
    assert not module.is_available(today())
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "accreditation is not current" in page
    with pytest.raises(FieldValidationError) as caught:
        services.update_module(staff_of(provider), module, {"summary": "A new version"})
    assert "provider_id" in caught.value.errors


def test_joint_providership_statement(client):
    association = make_org("association", name="Cascadia Test Academy")
    provider = make_provider("accme", name="Meridian Test Institute")
    module = make_module(association, provider, status="published")
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert (
        "through the joint providership of Meridian Test Institute and Cascadia Test Academy. "
        "Meridian Test Institute is accredited by the ACCME" in page
    )


def test_abim_moc_needs_an_accme_system_provider():
    nursing = make_provider("ancc")
    module = make_module(
        nursing,
        credits=[
            {"credit_type": "ancc", "amount": "1.5"},
            {"credit_type": "abim_moc", "amount": "1.5"},
        ],
    )
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(nursing), module)
    assert "credits.1.credit_type" in caught.value.errors


def test_joint_accreditation_uan_is_accepted(client):
    joint = make_provider("joint")
    payload = module_input(
        joint,
        joint,
        credits=[{"credit_type": "acpe", "amount": "1.5", "uan": "JA4008164-9999-26-001-H01-P"}],
    )
    response = client.post("/api/v1/modules", json=payload, headers=auth(staff_of(joint)))
    assert response.status_code == 201, response.get_json()


def test_online_course_is_designated_as_enduring_material(client, provider):
    module = make_module(provider, status="published", format="course", delivery="online")
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "designates this enduring material for a maximum" in page
    live = make_module(provider, status="published", format="course", delivery="live")
    assert "designates this live activity" in client.get(f"/modules/{live.id}").get_data(
        as_text=True
    )


def test_future_last_review_blocks_publication(provider):
    start = today()
    module = make_module(
        provider,
        release_date=start,
        last_review_date=start + timedelta(days=30),
        termination_date=start + timedelta(days=700),
    )
    with pytest.raises(ConflictError) as caught:
        services.publish_module(staff_of(provider), module)
    assert "last_review_date" in caught.value.errors


def test_disclosure_statement_only_when_everyone_disclosed(client, provider):
    module = make_module(provider, faculty=[{"name": "Lee Park", "role": "Faculty"}])
    sign_in(client, staff_of(provider))
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "Disclosure not yet collected." in page
    assert "Everyone in control of content disclosed" not in page


def test_owner_cannot_change_a_published_jointly_provided_module(client):
    association = make_org("association")
    provider = make_provider("accme", name="Responsible Provider")
    module = make_module(association, provider, status="published")
    response = client.patch(
        f"/api/v1/modules/{module.id}",
        json={"summary": "Sneaky"},
        headers=auth(staff_of(association)),
    )
    assert response.status_code == 403
    assert "Responsible Provider" in response.get_json()["message"]
    upload = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff_of(association)),
        data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 403
