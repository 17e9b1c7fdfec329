"""Search through the API and the catalog page: response shape, highlights escaped, URL
state, pagination, empty states, query counts, and the search log."""

from __future__ import annotations

from sqlalchemy import select

from exchange.extensions import db
from exchange.search.models import SearchEvent
from tests.factories import add_member, auth, make_module, make_org, make_provider, sign_in


def test_api_search_shape(client):
    provider = make_provider("accme", name="Shape Institute")
    module = make_module(
        provider,
        status="published",
        title="Sepsis Bundles in the Emergency Department",
        specialties=["emergency_medicine"],
    )
    body = client.get("/api/v1/modules?q=sepsis").get_json()
    assert {"items", "total", "page", "per_page", "facets", "suggestion"} <= set(body)
    assert body["total"] == 1 and body["items"][0]["id"] == module.id
    assert (
        body["items"][0]["highlights"]["title"]
        == "<mark>Sepsis</mark> Bundles in the Emergency Department"
    )
    assert set(body["facets"]) == {"specialty", "profession", "credit_type", "format", "provider"}
    assert {"value": "emergency_medicine", "count": 1}.items() <= body["facets"]["specialty"][
        0
    ].items()
    provider_facet = body["facets"]["provider"][0]
    assert (provider_facet["value"], provider_facet["label"], provider_facet["count"]) == (
        provider.id,
        "Shape Institute",
        1,
    )
    assert body["suggestion"] is None


def test_api_repeated_facet_parameters(client):
    provider = make_provider("accme")
    a = make_module(provider, status="published", specialties=["cardiology"])
    b = make_module(provider, status="published", specialties=["nephrology"])
    make_module(provider, status="published", specialties=["dermatology"])
    body = client.get("/api/v1/modules?specialty=cardiology&specialty=nephrology").get_json()
    assert {i["id"] for i in body["items"]} == {a.id, b.id}


def test_highlights_escape_everything_but_the_marks(client):
    provider = make_provider("accme")
    make_module(
        provider,
        status="published",
        title="<script>alert(1)</script> Asthma Update",
        summary="Asthma & <b>bold</b> claims",
    )
    body = client.get("/api/v1/modules?q=asthma").get_json()
    hit = body["items"][0]
    assert (
        hit["highlights"]["title"]
        == "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Asthma</mark> Update"
    )
    assert (
        hit["highlights"]["summary"] == "<mark>Asthma</mark> &amp; &lt;b&gt;bold&lt;/b&gt; claims"
    )
    page = client.get("/catalog?q=asthma").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Asthma</mark> Update" in page


def test_catalog_page_carries_the_search_in_the_url(client):
    provider = make_provider("accme", name="Url Institute")
    for n in range(25):
        make_module(
            provider,
            status="published",
            title=f"Asthma module {n:02d}",
            specialties=["pulmonology" if n % 2 else "pediatrics"],
        )
    page = client.get("/catalog?q=asthma&specialty=pulmonology&sort=title").get_data(as_text=True)
    assert "12 modules for “asthma”" in page
    assert (
        'href="/catalog?q=asthma&amp;specialty=pulmonology&amp;sort=title&amp;page=2"' not in page
    )
    assert "<mark>Asthma</mark> module 01" in page and "<mark>Asthma</mark> module 00" not in page
    # The facet link removes the selection and keeps the rest of the state.
    assert 'href="/catalog?q=asthma&amp;sort=title"' in page
    everything = client.get("/catalog?q=asthma&sort=title").get_data(as_text=True)
    assert "25 modules" in everything and 'rel="next"' in everything
    second = client.get("/catalog?q=asthma&sort=title&page=2").get_data(as_text=True)
    assert "<mark>Asthma</mark> module 20" in second


def test_did_you_mean_and_no_results(client):
    provider = make_provider("accme")
    make_module(provider, status="published", title="Pneumonia in Older Adults")
    page = client.get("/catalog?q=pnuemonia").get_data(as_text=True)
    assert (
        'Showing results for <a class="fw-semibold" href="/catalog?q=pneumonia">pneumonia</a>'
        in page
    )
    assert "<mark>Pneumonia</mark> in Older Adults" in page
    empty = client.get("/catalog?q=zzyzx").get_data(as_text=True)
    assert "No modules match “zzyzx”" in empty
    assert "Abbreviations work both ways" in empty


def test_staff_can_search_their_drafts_only(client):
    provider = make_provider("accme")
    draft = make_module(provider, title="Secret Tularemia Draft")
    other = make_provider("accme")
    make_module(other, title="Their Tularemia Draft")
    assert client.get("/api/v1/modules?q=tularemia&status=draft").get_json()["total"] == 0
    staff = add_member(provider, "staff")
    body = client.get("/api/v1/modules?q=tularemia&status=draft", headers=auth(staff)).get_json()
    assert [i["id"] for i in body["items"]] == [draft.id]
    sign_in(client, staff)
    page = client.get("/catalog?q=tularemia&status=draft").get_data(as_text=True)
    assert "Secret" in page and "Their Tularemia Draft" not in page


def test_search_query_count_is_fixed(client, count_queries):
    provider = make_provider("accme")
    for _ in range(5):
        make_module(provider, status="published", title="Gout flare management")
    with count_queries() as five:
        client.get("/catalog?q=gout&per_page=5")
    for _ in range(45):
        make_module(provider, status="published", title="Gout flare management")
    with count_queries() as fifty:
        response = client.get("/catalog?q=gout&per_page=50")
    assert response.get_data(as_text=True).count("search-hit") == 50
    assert five.count == fifty.count


def test_every_search_is_logged_without_personal_data(client):
    org = make_org(name="Logging Association")
    staff = add_member(org, "staff")
    client.get("/api/v1/modules?q=diabetes&specialty=endocrinology")
    client.get("/api/v1/modules?q=insulin", headers=auth(staff))
    sign_in(client, staff)
    client.get("/catalog?q=metformin")
    events = db.session.scalars(select(SearchEvent).order_by(SearchEvent.id)).all()
    assert [e.query for e in events] == ["diabetes", "insulin", "metformin"]
    assert events[0].organization_id is None
    assert events[0].filters["specialty"] == ["endocrinology"]
    assert events[1].organization_id == org.id == events[2].organization_id
    assert all(e.result_count == 0 and e.duration_ms >= 0 for e in events)
    columns = set(SearchEvent.__table__.columns.keys())
    assert not columns & {"user_id", "email", "ip", "ip_address", "user_agent"}


def test_bad_search_parameters(client):
    response = client.get("/api/v1/modules?specialty=astrology&sort=random&q=" + "x" * 201)
    assert response.status_code == 422
    assert {"specialty.0", "sort", "q"} <= set(response.get_json()["errors"])
    page = client.get("/catalog?specialty=astrology&q=asthma")
    assert page.status_code == 400
    assert "specialty" in page.get_data(as_text=True)
