"""The modules API: contract fields, lists and filters, writes, errors (API.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.catalog.models import Module
from exchange.database import today
from exchange.extensions import db
from tests.factories import (
    add_member,
    auth,
    make_module,
    make_org,
    make_provider,
    module_input,
    staff_of,
)

MODULE_FIELDS = {
    "id",
    "title",
    "summary",
    "description",
    "objectives",
    "professions",
    "specialties",
    "keywords",
    "competencies",
    "outcome_levels",
    "format",
    "delivery",
    "estimated_minutes",
    "credits",
    "release_date",
    "last_review_date",
    "termination_date",
    "provider_id",
    "owner_id",
    "provider_activity_id",
    "content_url",
    "faculty",
    "commercial_support",
    "status",
    "version",
    "created_at",
    "updated_at",
}


@pytest.fixture
def provider():
    return make_provider("accme")


def test_module_has_every_contract_field(client, provider):
    module = make_module(provider, status="published")
    body = client.get(f"/api/v1/modules/{module.id}").get_json()
    assert set(body) >= MODULE_FIELDS
    assert body["credits"][0]["credit_type"] == "ama_pra_1"
    assert body["credits"][0]["amount"] == 1.5
    assert body["faculty"][1]["disclosures"][0] == {
        "company": "Northwind Biopharma",
        "relationship": "Advisory board",
        "mitigated": True,
    }
    assert body["release_date"] == module.release_date.isoformat()
    assert body["created_at"].endswith("+00:00")


def test_list_envelope_and_paging(client, provider):
    for _ in range(3):
        make_module(provider, status="published")
    body = client.get("/api/v1/modules?per_page=2&page=2").get_json()
    assert set(body) >= {"items", "total", "page", "per_page"}
    assert (body["total"], body["page"], body["per_page"], len(body["items"])) == (3, 2, 2, 1)


@pytest.mark.parametrize("per_page", ["0", "101", "x", "1.5"])
def test_list_rejects_bad_paging(client, per_page):
    response = client.get(f"/api/v1/modules?per_page={per_page}")
    assert response.status_code == 422
    assert "per_page" in response.get_json()["errors"]


def test_list_filters(client, provider):
    cardio = make_module(
        provider, status="published", specialties=["cardiology"], professions=["physician"]
    )
    nursing = make_module(
        provider,
        status="published",
        specialties=["pediatrics"],
        professions=["nurse"],
        estimated_minutes=30,
        credits=[{"credit_type": "ama_pra_1", "amount": "0.5"}],
        format="journal_cme",
    )
    other_provider = make_provider("accme")
    elsewhere = make_module(other_provider, status="published")

    def ids(query):
        return {item["id"] for item in client.get(f"/api/v1/modules?{query}").get_json()["items"]}

    assert ids("specialty=cardiology") == {cardio.id, elsewhere.id}
    assert ids("profession=nurse") == {nursing.id, elsewhere.id}
    assert ids("format=journal_cme") == {nursing.id}
    assert ids(f"provider_id={other_provider.id}") == {elsewhere.id}
    assert ids("credit_type=ama_pra_1&max_credits=1") == {nursing.id}
    assert ids("min_credits=1") == {cardio.id, elsewhere.id}
    assert ids("credit_type=ancc") == set()


def test_list_hides_unavailable_by_default(client, provider):
    current = make_module(provider, status="published")
    expired = make_module(
        provider,
        status="published",
        on=today() - timedelta(days=800),
        release_date=today() - timedelta(days=900),
    )
    db.session.execute(
        db.update(Module)
        .where(Module.id == expired.id)
        .values(termination_date=today() - timedelta(days=1))
    )
    db.session.commit()
    default = {i["id"] for i in client.get("/api/v1/modules").get_json()["items"]}
    everything = {
        i["id"] for i in client.get("/api/v1/modules?available_only=false").get_json()["items"]
    }
    assert default == {current.id}
    assert everything == {current.id, expired.id}


def test_retired_only_with_explicit_filter(client, provider):
    retired = make_module(provider, status="retired")
    assert client.get("/api/v1/modules").get_json()["total"] == 0
    body = client.get("/api/v1/modules?status=retired").get_json()
    assert [i["id"] for i in body["items"]] == [retired.id]


def test_sort_by_title_and_credits(client, provider):
    b = make_module(provider, status="published", title="B module")
    a = make_module(
        provider,
        status="published",
        title="a module",
        estimated_minutes=240,
        credits=[{"credit_type": "ama_pra_1", "amount": "4"}],
    )
    by_title = [i["id"] for i in client.get("/api/v1/modules?sort=title").get_json()["items"]]
    by_credits = [i["id"] for i in client.get("/api/v1/modules?sort=credits").get_json()["items"]]
    assert by_title == [a.id, b.id]
    assert by_credits == [a.id, b.id]


def test_create_draft_returns_201_and_location_of_truth(client, provider):
    staff = staff_of(provider)
    payload = module_input(provider, provider)
    response = client.post("/api/v1/modules", json=payload, headers=auth(staff))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "draft" and body["version"] == 1
    assert db.session.get(Module, body["id"]).title == payload["title"]


def test_create_for_another_organization_is_forbidden(client, provider):
    outsider = add_member(make_org(), "staff")
    response = client.post(
        "/api/v1/modules", json=module_input(provider, provider), headers=auth(outsider)
    )
    assert response.status_code == 403
    assert db.session.scalar(db.select(db.func.count(Module.id))) == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": 12}, "title"),
        ({"summary": "s" * 501}, "summary"),
        ({"estimated_minutes": "ninety"}, "estimated_minutes"),
        ({"estimated_minutes": 90.5}, "estimated_minutes"),
        ({"estimated_minutes": 0}, "estimated_minutes"),
        ({"professions": ["surgeon"]}, "professions.0"),
        ({"specialties": "cardiology"}, "specialties"),
        ({"format": "webinar"}, "format"),
        ({"credits": [{"credit_type": "ama_pra_1", "amount": 1.3}]}, "credits.0.amount"),
        ({"credits": [{"credit_type": "ama_pra_1", "amount": 2}]}, "credits.0.amount"),
        ({"credits": [{"credit_type": "ama_pra_1", "amount": -1}]}, "credits.0.amount"),
        ({"credits": [{"credit_type": "ama_pra_1", "amount": "NaN"}]}, "credits.0.amount"),
        ({"credits": [{"credit_type": "acpe", "amount": 1, "uan": "12-34"}]}, "credits.0.uan"),
        (
            {
                "credits": [
                    {"credit_type": "ama_pra_1", "amount": 1},
                    {"credit_type": "ama_pra_1", "amount": 1},
                ]
            },
            "credits.1.credit_type",
        ),
        ({"release_date": "2026-02-30"}, "release_date"),
        ({"termination_date": "2020-01-01"}, "termination_date"),
        ({"last_review_date": "2001-01-01"}, "last_review_date"),
        ({"content_url": "javascript:alert(1)"}, "content_url"),
        ({"content_url": "/relative/path"}, "content_url"),
        ({"faculty": [{"role": "Faculty"}]}, "faculty.0.name"),
        (
            {"faculty": [{"name": "A", "disclosures": [{"company": "X"}]}]},
            "faculty.0.disclosures.0.relationship",
        ),
        ({"commercial_support": [{"source": "X", "kind": "cash"}]}, "commercial_support.0.kind"),
        ({"provider_id": 999999}, "provider_id"),
        ({"provider_activity_id": "has spaces"}, "provider_activity_id"),
        ({"title": "nul\x00byte"}, "title"),
        ({"surprise": True}, "surprise"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(client, provider, change, field):
    payload = {**module_input(provider, provider), **change}
    response = client.post("/api/v1/modules", json=payload, headers=auth(staff_of(provider)))
    assert response.status_code == 422, response.get_json()
    body = response.get_json()
    assert field in body["errors"], body
    assert body["code"] == 422 and body["status"] == "Unprocessable Entity"
    assert field.split(".")[0] in body["message"]
    assert db.session.scalar(db.select(db.func.count(Module.id))) == 0


def test_termination_more_than_three_years_after_review(client, provider):
    start = today()
    payload = module_input(
        provider,
        provider,
        release_date=start,
        last_review_date=start,
        termination_date=start + timedelta(days=3 * 365 + 2),
    )
    response = client.post("/api/v1/modules", json=payload, headers=auth(staff_of(provider)))
    assert response.status_code == 422
    assert "three years" in response.get_json()["errors"]["termination_date"][0]


def test_malformed_json_is_400(client, provider):
    response = client.post(
        "/api/v1/modules",
        data="{not json",
        content_type="application/json",
        headers=auth(staff_of(provider)),
    )
    assert response.status_code == 400
    assert response.get_json()["message"] == "The request body is not valid JSON."


def test_html_in_text_is_stored_and_returned_verbatim(client, provider):
    title = '<script>alert("x")</script> & <b>bold</b>'
    payload = module_input(provider, provider, title=title)
    body = client.post("/api/v1/modules", json=payload, headers=auth(staff_of(provider))).get_json()
    assert body["title"] == title
    assert (
        client.get(f"/api/v1/modules/{body['id']}", headers=auth(staff_of(provider))).get_json()[
            "title"
        ]
        == title
    )


def test_api_token_does_not_sign_in_html_pages(client, provider):
    draft = make_module(provider)
    assert client.get(f"/modules/{draft.id}", headers=auth(staff_of(provider))).status_code == 404


def test_patch_draft_and_published(client, provider):
    staff = staff_of(provider)
    draft = make_module(provider)
    response = client.patch(
        f"/api/v1/modules/{draft.id}", json={"summary": "New"}, headers=auth(staff)
    )
    assert response.status_code == 200 and response.get_json()["version"] == 1
    published = make_module(provider, status="published")
    response = client.patch(
        f"/api/v1/modules/{published.id}",
        json={"summary": "Revised", "change_note": "Typo"},
        headers=auth(staff),
    )
    assert response.status_code == 200
    assert response.get_json()["version"] == 2
    versions = client.get(f"/api/v1/modules/{published.id}/versions").get_json()
    assert [v["version"] for v in versions] == [2, 1]
    old = client.get(f"/api/v1/modules/{published.id}/versions/1").get_json()
    assert old["summary"] != "Revised" and old["version"] == 1


def test_patch_cannot_change_owner_or_published_provider(client, provider):
    staff = staff_of(provider)
    published = make_module(provider, status="published")
    other = make_provider("accme")
    response = client.patch(
        f"/api/v1/modules/{published.id}", json={"owner_id": other.id}, headers=auth(staff)
    )
    assert response.status_code == 422 and "owner_id" in response.get_json()["errors"]
    response = client.patch(
        f"/api/v1/modules/{published.id}", json={"provider_id": other.id}, headers=auth(staff)
    )
    assert response.status_code == 422 and "provider_id" in response.get_json()["errors"]
    response = client.patch(
        f"/api/v1/modules/{published.id}",
        json={"provider_activity_id": "NEW-1"},
        headers=auth(staff),
    )
    assert response.status_code == 422 and "provider_activity_id" in response.get_json()["errors"]


def test_patch_checks_merged_dates(client, provider):
    module = make_module(provider)
    before = module.release_date
    response = client.patch(
        f"/api/v1/modules/{module.id}",
        json={"termination_date": (before - timedelta(days=1)).isoformat()},
        headers=auth(staff_of(provider)),
    )
    assert response.status_code == 422
    assert "termination_date" in response.get_json()["errors"]


def test_publish_incomplete_is_409_listing_what_is_missing(client, provider):
    staff = staff_of(provider)
    created = client.post(
        "/api/v1/modules", json={"title": "Sketch", "owner_id": provider.id}, headers=auth(staff)
    ).get_json()
    response = client.post(f"/api/v1/modules/{created['id']}/publish", headers=auth(staff))
    assert response.status_code == 409
    body = response.get_json()
    assert {"objectives", "credits", "faculty"} <= set(body["errors"])
    assert body["message"] == "This module cannot be published yet."


def test_publish_and_retire(client, provider):
    staff = staff_of(provider)
    module = make_module(provider)
    published = client.post(f"/api/v1/modules/{module.id}/publish", headers=auth(staff))
    assert published.status_code == 200 and published.get_json()["status"] == "published"
    again = client.post(f"/api/v1/modules/{module.id}/publish", headers=auth(staff))
    assert again.status_code == 409
    retired = client.post(f"/api/v1/modules/{module.id}/retire", headers=auth(staff))
    assert retired.status_code == 200 and retired.get_json()["status"] == "retired"
    assert (
        client.post(f"/api/v1/modules/{module.id}/retire", headers=auth(staff)).status_code == 409
    )


def test_unknown_module_is_404_json(client):
    response = client.get("/api/v1/modules/424242")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": 404,
        "status": "Not Found",
        "message": "No such module.",
        "errors": {},
    }


def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["code"] == 404


def test_list_query_count_is_fixed(client, provider, count_queries):
    for _ in range(5):
        make_module(provider, status="published")
    with count_queries() as five:
        assert len(client.get("/api/v1/modules?per_page=5").get_json()["items"]) == 5
    for _ in range(45):
        make_module(provider, status="published")
    with count_queries() as fifty:
        assert len(client.get("/api/v1/modules?per_page=50").get_json()["items"]) == 50
    assert five.count == fifty.count


def test_upload_content_via_api(client, provider):
    import io

    module = make_module(provider, status="published")
    staff = staff_of(provider)
    response = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff),
        data={"file": (io.BytesIO(b"PK\x03\x04 scorm"), "package.zip")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["content_file_name"] == "package.zip" and body["version"] == 2
    outsider = add_member(make_org(), "staff")
    denied = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(outsider),
        data={"file": (io.BytesIO(b"x"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert denied.status_code == 403
    missing = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff),
        data={},
        content_type="multipart/form-data",
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    wrong = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff),
        data={"file": (io.BytesIO(b"MZ"), "setup.exe")},
        content_type="multipart/form-data",
    )
    assert wrong.status_code == 422 and "file" in wrong.get_json()["errors"]


def test_refused_upload_leaves_no_file(client, provider, app):
    import io
    from pathlib import Path

    module = make_module(provider, status="retired")
    uploads = Path(app.config["UPLOAD_DIR"])
    before = sorted(uploads.rglob("*")) if uploads.exists() else []
    response = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff_of(provider)),
        data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 409
    after = sorted(uploads.rglob("*")) if uploads.exists() else []
    assert after == before


def test_upload_that_fails_validation_is_discarded(client, provider, app):
    import io
    from pathlib import Path

    module = make_module(provider, status="published")
    db.session.execute(db.update(Module).where(Module.id == module.id).values(objectives=[]))
    db.session.commit()  # now it breaks a publication rule, so any edit is refused
    uploads = Path(app.config["UPLOAD_DIR"])
    before = sorted(uploads.rglob("*")) if uploads.exists() else []
    response = client.put(
        f"/api/v1/modules/{module.id}/content",
        headers=auth(staff_of(provider)),
        data={"file": (io.BytesIO(b"%PDF"), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert (sorted(uploads.rglob("*")) if uploads.exists() else []) == before
