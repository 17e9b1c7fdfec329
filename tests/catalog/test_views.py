"""Catalog pages: the public list and its filters, module pages and versions, the editor."""

from __future__ import annotations

from datetime import timedelta

import pytest

from exchange.catalog.models import Module
from exchange.database import today
from exchange.extensions import db
from tests.factories import add_member, make_module, make_org, make_provider, sign_in, staff_of


@pytest.fixture
def provider():
    return make_provider("accme", name="Meridian Page Institute")


def test_catalog_lists_published_only(client, provider):
    published = make_module(provider, status="published", title="Published heart module")
    make_module(provider, title="Secret draft module")
    make_module(provider, status="retired", title="Old retired module")
    page = client.get("/catalog").get_data(as_text=True)
    assert published.title in page
    assert "Secret draft module" not in page
    assert "Old retired module" not in page
    assert "1 module" in page


def test_catalog_filters_and_empty_state(client, provider):
    make_module(provider, status="published", title="Cardio thing", specialties=["cardiology"])
    page = client.get("/catalog?specialty=dermatology").get_data(as_text=True)
    assert "No modules match with these filters." in page
    page = client.get("/catalog?specialty=cardiology").get_data(as_text=True)
    assert "Cardio thing" in page


def test_catalog_bad_filter_is_400_with_message(client):
    response = client.get("/catalog?min_credits=lots&specialty=astrology")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "min_credits" in text and "specialty" in text


def test_catalog_paginates(client, provider):
    for n in range(22):
        make_module(provider, status="published", title=f"Module number {n:02d}")
    first = client.get("/catalog?sort=title").get_data(as_text=True)
    second = client.get("/catalog?sort=title&page=2").get_data(as_text=True)
    assert "Module number 00" in first and "Module number 21" not in first
    assert "Module number 21" in second
    assert 'rel="next"' in first


def test_catalog_query_count_is_fixed(client, provider, count_queries):
    for _ in range(5):
        make_module(provider, status="published")
    with count_queries() as five:
        client.get("/catalog?per_page=5")
    for _ in range(45):
        make_module(provider, status="published")
    with count_queries() as fifty:
        response = client.get("/catalog?per_page=50")
    assert response.get_data(as_text=True).count('class="card mb-3 search-hit"') == 50
    assert five.count == fifty.count


def test_module_page_shows_what_a_cme_director_checks(client, provider):
    module = make_module(provider, status="published")
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert (
        "Meridian Page Institute designates this enduring material for a maximum of 1.50 "
        "AMA PRA Category 1 Credit(s)\u2122" in page
    )
    assert "accredited by the Accreditation Council for Continuing Medical Education" in page
    assert "No relevant financial relationships." in page
    assert "Northwind Biopharma: Advisory board — mitigated" in page
    assert "This activity received no commercial support." in page
    assert "Select first-line antihypertensive therapy" in page
    assert "Version 1" in page
    for day in (module.release_date, module.last_review_date, module.termination_date):
        assert f"{day.day} {day:%b %Y}" in page


def test_module_page_escapes_html(client, provider):
    module = make_module(
        provider,
        status="published",
        title="<script>alert(1)</script>",
        summary="<img src=x onerror=alert(2)>",
    )
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_draft_page_404_for_public_and_checklist_for_staff(client, provider):
    module = make_module(provider, faculty=[{"name": "Lee Park", "role": "Faculty"}])
    assert client.get(f"/modules/{module.id}").status_code == 404
    sign_in(client, staff_of(provider))
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "Before this draft can be published" in page
    assert "Record Lee Park&#39;s disclosure" in page


def test_past_termination_banner(client, provider):
    module = make_module(provider, status="published")
    db.session.execute(
        db.update(Module)
        .where(Module.id == module.id)
        .values(termination_date=today() - timedelta(days=2))
    )
    db.session.commit()
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert "passed its termination date" in page


def form_for(module_title="Sepsis Bundles in the First Hour", **overrides):
    start = today() - timedelta(days=5)
    form = {
        "title": module_title,
        "summary": "Early recognition and the hour-one bundle.",
        "description": "Cases from the emergency department.",
        "objectives": "Recognize sepsis early\nApply the hour-one bundle",
        "keywords": "sepsis, lactate",
        "professions": ["physician", "nurse"],
        "specialties": ["emergency_medicine"],
        "format": "enduring_material",
        "delivery": "online",
        "estimated_minutes": "60",
        "credits.ama_pra_1.amount": "1",
        "release_date": start.isoformat(),
        "last_review_date": start.isoformat(),
        "termination_date": (start + timedelta(days=700)).isoformat(),
        "content_url": "https://learn.example.test/sepsis",
        "faculty.0.name": "Ruth Alvarez, MD",
        "faculty.0.role": "Course director",
        "faculty.0.disclosure_status": "relationships",
        "faculty.0.relationships": "Solenne Medical — Consultant",
        "faculty.0.mitigated": "1",
        "commercial_support.0.source": "",
    }
    form.update(overrides)
    return form


def test_editor_creates_draft_then_publish(client, provider):
    staff = staff_of(provider)
    sign_in(client, staff)
    response = client.post(f"/modules/new?owner={provider.slug}", data=form_for())
    assert response.status_code == 302
    module = db.session.scalars(db.select(Module)).one()
    assert module.status == "draft"
    assert module.faculty[0]["disclosures"] == [
        {"company": "Solenne Medical", "relationship": "Consultant", "mitigated": True}
    ]
    assert module.keywords == ["sepsis", "lactate"]
    response = client.post(f"/modules/{module.id}/publish", follow_redirects=True)
    assert "Published. The module is now in the catalog." in response.get_data(as_text=True)
    db.session.refresh(module)
    assert module.status == "published"


def test_editor_shows_inline_errors_and_saves_nothing(client, provider):
    sign_in(client, staff_of(provider))
    response = client.post(
        f"/modules/new?owner={provider.slug}",
        data=form_for(
            **{"credits.ama_pra_1.amount": "2", "faculty.0.relationships": "no separator"}
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "60 minutes support at most 1.00 AMA PRA Category 1" in page
    assert 'id="credits.ama_pra_1.amount" name="credits.ama_pra_1.amount" value="2"' in page
    assert "Company — nature of relationship" in page
    assert 'value="Sepsis Bundles in the First Hour"' in page
    assert db.session.scalar(db.select(db.func.count(Module.id))) == 0


def test_editor_rejects_dates_in_wrong_order(client, provider):
    sign_in(client, staff_of(provider))
    response = client.post(
        f"/modules/new?owner={provider.slug}",
        data=form_for(termination_date=(today() - timedelta(days=30)).isoformat()),
    )
    assert response.status_code == 422
    assert "The termination date must be after the release date." in response.get_data(as_text=True)


def test_editing_published_module_publishes_new_version(client, provider):
    module = make_module(provider, status="published")
    sign_in(client, staff_of(provider))
    edit_page = client.get(f"/modules/{module.id}/edit").get_data(as_text=True)
    assert "makes version 2" not in edit_page and "publishes version 2" in edit_page
    from exchange.catalog.forms import module_form_values

    form = module_form_values(module).to_dict(flat=False)
    form["summary"] = ["A revised summary."]
    form["change_note"] = ["Updated targets"]
    response = client.post(f"/modules/{module.id}/edit", data=form, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Saved as version 2" in page
    assert "Version 2" in page and "Updated targets" in page
    old = client.get(f"/modules/{module.id}/versions/1").get_data(as_text=True)
    assert "You are reading <strong>version 1</strong>" in old
    assert "A revised summary." not in old
    assert client.get(f"/modules/{module.id}/versions/9").status_code == 404


def test_new_module_needs_staff_role(client, provider):
    member = add_member(provider, "member")
    sign_in(client, member)
    assert client.get("/modules/new").status_code == 403
    assert client.get("/modules/new?owner=not-mine").status_code == 403


def test_workspace_shows_own_drafts_only(client, provider):
    mine = make_module(provider, title="My own draft")
    other = make_provider("accme")
    make_module(other, title="Their draft")
    sign_in(client, staff_of(provider))
    page = client.get("/workspace").get_data(as_text=True)
    assert mine.title in page and "Their draft" not in page
    assert "No retired modules." in client.get("/workspace?status=retired").get_data(as_text=True)


def test_home_page(client, provider):
    make_module(provider, status="published", title="Front page module")
    page = client.get("/").get_data(as_text=True)
    assert "Front page module" in page
    assert "1 module available now · 1 accredited provider" in page


def test_association_staff_builds_for_provider(client):
    association = make_org("association")
    provider = make_provider("joint")
    sign_in(client, staff_of(association))
    response = client.post(
        f"/modules/new?owner={association.slug}", data=form_for(provider_id=str(provider.id))
    )
    assert response.status_code == 302
    module = db.session.scalars(db.select(Module)).one()
    assert (module.owner_id, module.provider_id) == (association.id, provider.id)
    page = client.get(f"/modules/{module.id}").get_data(as_text=True)
    assert f"education staff of {provider.name} can now review and publish it" in page
    assert client.post(f"/modules/{module.id}/publish").status_code == 403
    db.session.refresh(module)
    assert module.status == "draft"  # the association cannot publish


def test_content_upload_download_and_permissions(client, provider):
    import io

    staff = staff_of(provider)
    sign_in(client, staff)
    form = form_for(content_url="")
    form["content_upload"] = (io.BytesIO(b"%PDF-1.7 test content"), "Sepsis slides.pdf")
    response = client.post(
        f"/modules/new?owner={provider.slug}", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 302
    module = db.session.scalars(db.select(Module)).one()
    assert module.content_file_name == "Sepsis slides.pdf"
    assert module.content_url is None
    download = client.get(f"/modules/{module.id}/content")
    try:
        assert download.status_code == 200 and download.data == b"%PDF-1.7 test content"
        assert "attachment" in download.headers["Content-Disposition"]
    finally:
        download.close()
    assert client.post(f"/modules/{module.id}/publish").status_code == 302
    db.session.refresh(module)
    assert module.status == "published"  # a file is enough content to publish
    sign_in(client, add_member(make_org(), "staff"))
    assert client.get(f"/modules/{module.id}/content").status_code == 404


def test_content_upload_rejects_unsafe_types(client, provider):
    import io

    sign_in(client, staff_of(provider))
    form = form_for()
    form["content_upload"] = (io.BytesIO(b"<script>alert(1)</script>"), "page.html")
    response = client.post(
        f"/modules/new?owner={provider.slug}", data=form, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Upload one of these file types" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Module.id))) == 0


def test_content_path_stays_inside_upload_dir(app):
    from exchange.catalog.content import content_path

    with pytest.raises(FileNotFoundError):
        content_path("../../etc/passwd")
