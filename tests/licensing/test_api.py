"""The licensing and learning API: contract fields, status codes, bad input, query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from exchange.database import today
from exchange.extensions import db
from exchange.licensing.models import License, Offer
from tests.factories import (
    add_member,
    auth,
    launch,
    make_license,
    make_module,
    make_offer,
    request_license,
)

LICENSE_FIELDS = {
    "id", "module_id", "licensor_id", "licensee_id", "offer_id", "status", "state",
    "start_date", "end_date", "seats", "seats_used", "terms", "requested_at", "decided_at",
}  # fmt: skip
OFFER_FIELDS = {
    "id", "module_id", "name", "pricing", "price_cents", "currency", "term_months",
    "seat_limit", "co_branding", "modification", "active",
}  # fmt: skip


def _request_body(world, **extra):
    return {
        "module_id": world.module.id,
        "offer_id": world.offer.id,
        "licensee_id": world.association.id,
        **extra,
    }


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


# Offers --------------------------------------------------------------------------------


def test_offers_contract_and_writes(client, world):
    body = client.get(f"/api/v1/modules/{world.module.id}/offers").get_json()
    assert (body["total"], body["page"], body["per_page"]) == (1, 1, 20)
    assert set(body["items"][0]) >= OFFER_FIELDS
    headers = auth(world.provider_staff)
    created = client.post(
        f"/api/v1/modules/{world.module.id}/offers",
        json={
            "name": "Per learner",
            "pricing": "per_learner",
            "price_cents": 2500,
            "term_months": 6,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    offer_id = created.get_json()["id"]
    patched = client.patch(f"/api/v1/offers/{offer_id}", json={"active": False}, headers=headers)
    assert patched.status_code == 200 and patched.get_json()["active"] is False
    # Inactive: hidden from the public, and then from everyone but provider staff.
    assert client.get(f"/api/v1/offers/{offer_id}").status_code == 404
    assert client.get(f"/api/v1/offers/{offer_id}", headers=headers).status_code == 200
    assert client.delete(f"/api/v1/offers/{offer_id}", headers=headers).status_code == 204
    assert client.get(f"/api/v1/offers/{offer_id}", headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"pricing": "free", "term_months": 12}, "name"),
        ({"name": "X", "pricing": "gratis", "term_months": 12}, "pricing"),
        ({"name": "X", "pricing": "free", "term_months": 0}, "term_months"),
        ({"name": "X", "pricing": "free", "term_months": "twelve"}, "term_months"),
        ({"name": "X", "pricing": "flat", "term_months": 12}, "price_cents"),
        ({"name": "X", "pricing": "free", "term_months": 12, "seat_limit": 0}, "seat_limit"),
        ({"name": "X" * 101, "pricing": "free", "term_months": 12}, "name"),
        ({"name": "X", "pricing": "free", "term_months": 12, "currency": "XYZ"}, "currency"),
    ],
)
def test_offer_bad_input_names_the_field(client, world, body, field):
    before = _count(Offer)
    response = client.post(
        f"/api/v1/modules/{world.module.id}/offers", json=body, headers=auth(world.provider_staff)
    )
    assert response.status_code == 422
    assert field in response.get_json()["errors"]
    assert _count(Offer) == before


def test_offers_are_written_by_provider_staff_only(client, world):
    response = client.post(
        f"/api/v1/modules/{world.module.id}/offers",
        json={"name": "Mine", "pricing": "free", "term_months": 12},
        headers=auth(world.association_staff),
    )
    assert response.status_code == 403
    assert "Riverbend CME Institute" in response.get_json()["message"]


# Licenses --------------------------------------------------------------------------------


def test_request_then_approve_through_the_api(client, world):
    requested = client.post(
        "/api/v1/licenses",
        json=_request_body(world, seats=2, message="<script>alert(1)</script>"),
        headers=auth(world.association_staff),
    )
    assert requested.status_code == 201, requested.get_json()
    body = requested.get_json()
    assert set(body) >= LICENSE_FIELDS
    assert (body["status"], body["state"], body["terms"], body["seats_used"]) == (
        "requested", "requested", None, 0,
    )  # fmt: skip
    assert body["message"] == "<script>alert(1)</script>"  # stored as text, escaped on pages
    approved = client.post(
        f"/api/v1/licenses/{body['id']}/approve",
        json={"note": "Enjoy."},
        headers=auth(world.provider_staff),
    )
    assert approved.status_code == 200
    detail = approved.get_json()
    assert detail["state"] == "active" and detail["terms"]["seat_limit"] == 3
    assert detail["start_date"] == today().isoformat()
    assert [h["status"] for h in detail["history"]] == ["requested", "approved"]
    assert set(detail["history"][0]) >= {"status", "at", "by", "note"}


def test_decisions_answer_409_on_the_wrong_state(client, world):
    license = request_license(world.module, world.association, world.offer)
    headers = auth(world.provider_staff)
    declined = client.post(
        f"/api/v1/licenses/{license.id}/decline", json={"note": "No."}, headers=headers
    )
    assert declined.status_code == 200 and declined.get_json()["state"] == "declined"
    again = client.post(f"/api/v1/licenses/{license.id}/approve", json={}, headers=headers)
    assert again.status_code == 409
    assert again.get_json()["message"] == (
        "This license is declined: only a requested license can be approved."
    )
    revoke = client.post(
        f"/api/v1/licenses/{license.id}/revoke", json={"note": "x"}, headers=headers
    )
    assert revoke.status_code == 409


def test_decline_needs_a_note_and_withdraw_needs_no_body(client, world):
    license = request_license(world.module, world.association, world.offer)
    response = client.post(
        f"/api/v1/licenses/{license.id}/decline", json={}, headers=auth(world.provider_staff)
    )
    assert response.status_code == 422 and "note" in response.get_json()["errors"]
    blank = client.post(
        f"/api/v1/licenses/{license.id}/decline",
        json={"note": "   "},
        headers=auth(world.provider_staff),
    )
    assert blank.status_code == 422
    withdrawn = client.post(
        f"/api/v1/licenses/{license.id}/withdraw", headers=auth(world.association_staff)
    )
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"


@pytest.mark.parametrize(
    ("extra", "code", "field"),
    [
        ({"module_id": 2**31 + 5}, 422, "module_id"),
        ({"module_id": "one"}, 422, "module_id"),
        ({"licensee_id": 987654}, 422, "licensee_id"),
        ({"offer_id": None}, 422, "offer_id"),
        ({"seats": 0}, 422, "seats"),
        ({"seats": 99}, 422, "seats"),
        ({"start_date": "2020-01-01"}, 422, "start_date"),
        ({"start_date": "tomorrow"}, 422, "start_date"),
        ({"message": "x" * 2001}, 422, "message"),
        ({"message": "nul\x00byte"}, 422, "message"),
    ],
)
def test_request_bad_input(client, world, extra, code, field):
    response = client.post(
        "/api/v1/licenses",
        json=_request_body(world, **extra),
        headers=auth(world.association_staff),
    )
    assert response.status_code == code, response.get_json()
    assert field in response.get_json()["errors"]
    assert _count(License) == 0


def test_malformed_json_is_400(client, world):
    response = client.post(
        "/api/v1/licenses",
        data="{not json",
        content_type="application/json",
        headers=auth(world.association_staff),
    )
    assert response.status_code == 400 and response.get_json()["code"] == 400


def test_someone_elses_license_does_not_exist(client, world):
    license = request_license(world.module, world.association, world.offer)
    for user in (world.other_staff, world.member):
        response = client.get(f"/api/v1/licenses/{license.id}", headers=auth(user))
        assert response.status_code == 404
        assert response.get_json()["message"] == "No such license."
    assert client.get(f"/api/v1/licenses/{license.id}").status_code == 401


def test_license_list_filters_and_validation(client, world):
    requested = request_license(world.module, world.association, world.offer)
    other_module = make_module(world.provider, status="published")
    granted = make_license(other_module, world.other)
    headers = auth(world.provider_staff)
    body = client.get("/api/v1/licenses?side=licensor&status=requested", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [requested.id] and body["total"] == 1
    body = client.get("/api/v1/licenses?status=active", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [granted.id]
    body = client.get(f"/api/v1/licenses?module_id={other_module.id}", headers=headers).get_json()
    assert [item["id"] for item in body["items"]] == [granted.id]
    bad = client.get("/api/v1/licenses?status=pending&side=both", headers=headers)
    assert bad.status_code == 422 and {"status", "side"} <= set(bad.get_json()["errors"])
    mine = client.get("/api/v1/licenses", headers=auth(world.association_staff)).get_json()
    assert [item["id"] for item in mine["items"]] == [requested.id]


def test_license_list_query_count_is_fixed(client, world, count_queries):
    headers = auth(world.provider_staff)

    def add(n):
        for _ in range(n):
            module = make_module(world.provider, status="published")
            license = make_license(module, make_org_for_list())
            launch(add_member(license.licensee), module)

    def make_org_for_list():
        from tests.factories import make_org

        return make_org()

    add(3)
    with count_queries() as few:
        client.get("/api/v1/licenses?per_page=3", headers=headers)
    add(17)
    with count_queries() as many:
        body = client.get("/api/v1/licenses?per_page=20", headers=headers).get_json()
    assert len(body["items"]) == 20 and all(item["seats_used"] == 1 for item in body["items"])
    assert few.count == many.count


def test_grant_through_the_api(client, world):
    response = client.post(
        "/api/v1/licenses/grants",
        json={
            "module_id": world.module.id,
            "offer_id": world.offer.id,
            "licensee_id": world.other.id,
            "start_date": (today() + timedelta(days=3)).isoformat(),
        },
        headers=auth(world.provider_staff),
    )
    assert response.status_code == 201
    assert (response.get_json()["status"], response.get_json()["state"]) == (
        "approved", "scheduled",
    )  # fmt: skip


# Learning ----------------------------------------------------------------------------------


def test_launch_complete_transcript_and_certificate(client, world):
    make_license(world.module, world.association, world.offer)
    headers = auth(world.member)
    launched = client.post(f"/api/v1/modules/{world.module.id}/launch", headers=headers)
    assert launched.status_code == 200
    assert launched.get_json()["launch_url"] == world.module.content_url
    too_much = client.post(
        "/api/v1/completions",
        json={
            "module_id": world.module.id,
            "minutes_spent": 90,
            "credits": [{"credit_type": "ama_pra_1", "amount": 2}],
            "attest": True,
        },
        headers=headers,
    )
    assert too_much.status_code == 422
    assert "credits.0.amount" in too_much.get_json()["errors"]
    done = client.post(
        "/api/v1/completions",
        json={
            "module_id": world.module.id,
            "minutes_spent": 90,
            "credits": [{"credit_type": "ama_pra_1", "amount": 1.5}],
            "attest": True,
        },
        headers=headers,
    )
    assert done.status_code == 201, done.get_json()
    number = done.get_json()["certificate_number"]
    twice = client.post(
        "/api/v1/completions",
        json={"module_id": world.module.id, "minutes_spent": 90, "credits": [], "attest": True},
        headers=headers,
    )
    assert twice.status_code == 409
    transcript = client.get("/api/v1/me/transcript", headers=headers).get_json()
    assert [item["certificate_number"] for item in transcript["items"]] == [number]
    assert (transcript["total"], transcript["page"]) == (1, 1)
    assert transcript["totals"] == [
        {
            "year": today().year,
            "credit_type": "ama_pra_1",
            "label": "AMA PRA Category 1",
            "amount": 1.5,
        }
    ]
    csv_response = client.get("/api/v1/me/transcript?format=csv", headers=headers)
    assert csv_response.mimetype == "text/csv" and number in csv_response.get_data(as_text=True)
    pdf = client.get(f"/api/v1/completions/{number}/certificate.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")
    assert pdf.mimetype == "application/pdf"
    other = client.get(
        f"/api/v1/completions/{number}/certificate.pdf", headers=auth(world.other_staff)
    )
    assert other.status_code == 404
    library = client.get("/api/v1/me/library", headers=headers).get_json()
    assert library["items"][0]["completed"] is True


def test_launch_refusals(client, world):
    outsider = add_member(world.other, "member")
    refused = client.post(f"/api/v1/modules/{world.module.id}/launch", headers=auth(outsider))
    assert refused.status_code == 403
    assert "Riverbend CME Institute" in refused.get_json()["message"]
    offer = make_offer(world.module, name="One seat", seat_limit=1)
    make_license(world.module, world.association, offer)
    launch(world.member, world.module)
    second = add_member(world.association)
    full = client.post(f"/api/v1/modules/{world.module.id}/launch", headers=auth(second))
    assert full.status_code == 409 and "No seats left" in full.get_json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"minutes_spent": 0}, "minutes_spent"),
        ({"minutes_spent": 1.5}, "minutes_spent"),
        ({"attest": "maybe"}, "attest"),
        ({"credits": [{"credit_type": "cme", "amount": 1}]}, "credits.0.credit_type"),
        ({"credits": [{"credit_type": "ama_pra_1", "amount": -1}]}, "credits.0.amount"),
        ({"credits": "lots"}, "credits"),
    ],
)
def test_completion_bad_input(client, world, body, field):
    make_license(world.module, world.association, world.offer)
    launch(world.member, world.module)
    data = {
        "module_id": world.module.id,
        "minutes_spent": 90,
        "credits": [],
        "attest": True,
        **body,
    }
    response = client.post("/api/v1/completions", json=data, headers=auth(world.member))
    assert response.status_code == 422 and field in response.get_json()["errors"]


def test_provider_completions_api(client, world):
    from tests.factories import complete

    make_license(world.module, world.association, world.offer)
    complete(world.member, world.module)
    url = f"/api/v1/organizations/{world.provider.id}/completions?module_id={world.module.id}"
    body = client.get(url, headers=auth(world.provider_staff)).get_json()
    assert body["rows"][0]["organization_name"] == "Prairie Society of Family Physicians"
    assert [learner["learner_name"] for learner in body["learners"]] == [world.member.full_name]
    assert client.get(url, headers=auth(world.association_staff)).status_code == 403
