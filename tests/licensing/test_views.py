"""Pages of licensing and learning: what each person sees on a module page, the forms with
their inline errors, the license page, the navigation badge, notifications, and learning."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from exchange.database import today
from exchange.extensions import db
from exchange.learning.models import Completion
from exchange.licensing.models import License, Offer
from tests.factories import (
    add_member,
    complete,
    launch,
    make_license,
    make_module,
    make_org,
    request_license,
    sign_in,
)


def _page(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_module_page_panel_for_each_person(client, world):
    url = f"/modules/{world.module.id}"
    anonymous = _page(client, url)
    assert "Annual member access" in anonymous and 'id="request-license"' not in anonymous

    sign_in(client, world.association_staff)
    staff_page = _page(client, url)
    assert 'id="request-license"' in staff_page and "New offer" not in staff_page
    assert "Ask the education staff of Prairie Society" not in staff_page

    sign_in(client, world.provider_staff)
    provider_page = _page(client, url)
    assert "New offer" in provider_page and "Grant a license" in provider_page
    assert 'id="request-license"' not in provider_page  # its own module

    sign_in(client, world.member)
    refused = _page(client, url)
    assert 'id="access-refusal"' in refused and "Riverbend CME Institute" in refused
    make_license(world.module, world.association, world.offer)
    member_page = _page(client, url)
    assert 'id="start-module"' in member_page and "Licensed to Prairie Society" in member_page


def test_request_form_shows_inline_errors_and_saves_nothing(client, world):
    sign_in(client, world.association_staff)
    form_url = f"/modules/{world.module.id}/license"
    page = _page(client, form_url)
    assert "Annual member access" in page and "Prairie Society of Family Physicians" in page
    response = client.post(
        form_url,
        data={
            "licensee_id": world.association.id,
            "offer_id": world.offer.id,
            "seats": "7",
            "start_date": "2001-01-01",
            "message": "Hello",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "This offer allows at most 3 seats." in page
    assert 'id="seats-error"' in page and 'value="7"' in page
    assert db.session.scalar(select(func.count(License.id))) == 0
    response = client.post(
        form_url,
        data={
            "licensee_id": world.association.id,
            "offer_id": world.offer.id,
            "seats": "2",
            "message": "<b>Please</b>",
        },
    )
    assert response.status_code == 302
    license = db.session.scalar(select(License))
    assert response.headers["Location"].endswith(f"/licenses/{license.id}")
    page = _page(client, f"/licenses/{license.id}")
    assert "&lt;b&gt;Please&lt;/b&gt;" in page and "<b>Please</b>" not in page
    assert "Withdraw the request" in page and "Approve" not in page


def test_only_staff_of_other_organizations_get_the_request_form(client, world):
    sign_in(client, world.member)
    assert client.get(f"/modules/{world.module.id}/license").status_code == 403
    sign_in(client, world.provider_staff)
    assert client.get(f"/modules/{world.module.id}/license").status_code == 403


def test_provider_decides_from_the_license_page_with_the_badge_in_the_nav(client, world):
    license = request_license(world.module, world.association, world.offer)
    sign_in(client, world.provider_staff)
    home = _page(client, "/")
    assert re.search(r'id="nav-licenses"[^>]*>Licenses <span class="badge[^"]*"[^>]*>1<', home)
    inbox = _page(client, "/licenses?side=licensor&status=requested")
    assert f'href="/licenses/{license.id}"' in inbox
    declined = client.post(f"/licenses/{license.id}/decline", data={"note": ""})
    assert declined.status_code == 422
    assert "Say why" in declined.get_data(as_text=True)
    assert db.session.get(License, license.id).status == "requested"
    approved = client.post(
        f"/licenses/{license.id}/approve", data={"note": "Welcome", "start_date": ""}
    )
    assert approved.status_code == 302
    page = _page(client, f"/licenses/{license.id}")
    assert "Active" in page and "Welcome" in page and "Revoke" in page
    again = client.post(f"/licenses/{license.id}/approve", data={})
    assert again.status_code == 302  # refused with a message, back on the page
    assert "only a requested license can be approved" in _page(client, f"/licenses/{license.id}")
    assert 'class="badge' not in _page(client, "/").split('id="nav-licenses"')[1].split("</a>")[0]


def test_approval_says_when_the_termination_date_shortens_it(client, world):
    from tests.factories import make_offer

    module = make_module(
        world.provider,
        status="published",
        release_date=today() - timedelta(days=10),
        termination_date=today() + timedelta(days=60),
    )
    license = request_license(module, world.association, make_offer(module, term_months=12))
    sign_in(client, world.provider_staff)
    client.post(f"/licenses/{license.id}/approve", data={"note": ""})
    page = _page(client, f"/licenses/{license.id}")
    assert f"The license ends on {module.termination_date.isoformat()}" in page
    assert "Shortened to the module's termination date" in page


def test_license_list_empty_states(client, world):
    sign_in(client, world.provider_staff)
    assert "No requests are waiting for a decision." in _page(
        client, "/licenses?side=licensor&status=requested"
    )
    sign_in(client, world.member)
    assert "handled by your organization's education staff" in _page(client, "/licenses")


def test_license_list_query_count_is_fixed(client, world, count_queries):
    sign_in(client, world.provider_staff)

    def add(n):
        for _ in range(n):
            make_license(make_module(world.provider, status="published"), make_org())

    def add_requests(n):
        for _ in range(n):
            request_license(make_module(world.provider, status="published"), make_org())

    add(2)
    add_requests(2)
    with count_queries() as few:
        _page(client, "/licenses")
    with count_queries() as inbox_few:
        _page(client, "/licenses?side=licensor&status=requested")
    add(16)
    add_requests(18)
    with count_queries() as many:
        page = _page(client, "/licenses")
    with count_queries() as inbox_many:
        inbox = _page(client, "/licenses?side=licensor&status=requested")
    assert page.count('href="/licenses/') == 20 and inbox.count('href="/licenses/') == 20
    assert few.count == many.count and inbox_few.count == inbox_many.count


def test_offer_form_takes_a_price_in_dollars(client, world):
    sign_in(client, world.provider_staff)
    url = f"/modules/{world.module.id}/offers/new"
    bad = client.post(
        url, data={"name": "Paid", "pricing": "flat", "price": "ten", "term_months": "12"}
    )
    assert bad.status_code == 422 and "Must be a number." in bad.get_data(as_text=True)
    missing = client.post(
        url, data={"name": "Paid", "pricing": "flat", "price": "", "term_months": "12"}
    )
    assert "Give the price of a paid offer" in missing.get_data(as_text=True)
    ok = client.post(
        url,
        data={
            "name": "Paid",
            "pricing": "flat",
            "price": "1,250.50",
            "term_months": "12",
            "seat_limit": "",
        },
    )
    assert ok.status_code == 422  # a thousands separator is not a number here
    ok = client.post(
        url,
        data={
            "name": "Paid",
            "pricing": "flat",
            "price": "1250.50",
            "term_months": "12",
            "seat_limit": "",
            "co_branding": "1",
        },
    )
    assert ok.status_code == 302
    offer = db.session.scalar(select(Offer).where(Offer.name == "Paid"))
    assert (offer.price_cents, offer.seat_limit, offer.co_branding) == (125050, None, True)
    edit = _page(client, f"/offers/{offer.id}/edit")
    assert 'value="1250.50"' in edit
    assert "USD 1,250.50 per term" in _page(client, f"/modules/{world.module.id}")


def test_grant_form(client, world):
    sign_in(client, world.provider_staff)
    url = f"/modules/{world.module.id}/grant"
    page = _page(client, url)
    assert "Harbor Society of Internists" in page and "Riverbend CME Institute</option>" not in page
    bad = client.post(url, data={"offer_id": world.offer.id, "licensee_id": ""})
    assert bad.status_code == 422 and 'id="licensee_id"' in bad.get_data(as_text=True)
    ok = client.post(url, data={"offer_id": world.offer.id, "licensee_id": world.other.id})
    assert ok.status_code == 302
    assert db.session.scalar(select(License.status)) == "approved"


def test_notifications_page_and_mark_read(client, world):
    request_license(world.module, world.association, world.offer)
    sign_in(client, world.provider_staff)
    assert re.search(
        r'id="nav-notifications".*?Notifications</span> <span class="badge[^"]*">1<',
        _page(client, "/"),
    )
    page = _page(client, "/notifications")
    assert "Prairie Society of Family Physicians requests a license" in page
    assert client.post("/notifications/read").status_code == 302
    assert "Mark all as read" not in _page(client, "/notifications")


# Learning pages --------------------------------------------------------------------------


def test_library_start_launch_complete_transcript(client, world):
    sign_in(client, world.member)
    assert "Nothing in your library yet." in _page(client, "/library")
    make_license(world.module, world.association, world.offer)
    library = _page(client, "/library")
    assert "Asthma Control in Adults" in library and "licensed to Prairie Society" in library
    start = _page(client, f"/modules/{world.module.id}/start")
    for text in (
        "Dana Okafor, MD",
        "no relevant financial relationships",
        "Northwind Biopharma",
        "Select first-line antihypertensive therapy",
        "1 h 30 min",
        "for a maximum of 1.50 AMA PRA Category 1 Credit(s)",
    ):
        assert text in start, text
    not_yet = _page(client, f"/modules/{world.module.id}/complete")
    assert "Start the module first" in not_yet
    launched = client.post(f"/modules/{world.module.id}/launch")
    assert launched.status_code == 302
    assert launched.headers["Location"] == world.module.content_url
    form = _page(client, f"/modules/{world.module.id}/complete")
    assert 'name="credits.ama_pra_1"' in form and 'value="90"' in form
    assert 'value="1.5"' not in form  # the learner claims what their participation supports
    wrong = client.post(
        f"/modules/{world.module.id}/complete",
        data={"minutes_spent": "30", "credits.ama_pra_1": "1.5"},
    )
    assert wrong.status_code == 422
    text = wrong.get_data(as_text=True)
    assert "30 minutes support at most 0.5 AMA PRA Category 1" in text
    assert "Confirm that you completed the activity" in text
    assert db.session.scalar(select(func.count(Completion.id))) == 0
    done = client.post(
        f"/modules/{world.module.id}/complete",
        data={"minutes_spent": "90", "credits.ama_pra_1": "1.5", "attest": "1"},
    )
    assert done.status_code == 302
    completion = db.session.scalar(select(Completion))
    transcript = _page(client, "/transcript")
    assert completion.certificate_number in transcript and "1.5 AMA PRA Category 1" in transcript
    csv_text = client.get("/transcript.csv").get_data(as_text=True)
    assert csv_text.startswith("completed_on,certificate_number")
    pdf = client.get(f"/certificates/{completion.certificate_number}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-")


def test_members_without_access_are_told_who_could_license(client, world):
    outsider = add_member(world.other, "member")
    sign_in(client, outsider)
    response = client.get(f"/modules/{world.module.id}/start")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert (
        "Ask the education staff of Harbor Society of Internists to request one from Riverbend"
        in page
    )
    assert client.post(f"/modules/{world.module.id}/launch").status_code == 403


def test_no_seats_left_is_a_message_not_an_error_page(client, world):
    from tests.factories import make_offer

    offer = make_offer(world.module, name="Single", seat_limit=1)
    make_license(world.module, world.association, offer)
    launch(add_member(world.association), world.module)
    sign_in(client, world.member)
    response = client.post(f"/modules/{world.module.id}/launch")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{world.module.id}/start")
    assert "No seats left" in _page(client, f"/modules/{world.module.id}/start")


def test_provider_completions_page(client, world):
    make_license(world.module, world.association, world.offer)
    complete(world.member, world.module)
    sign_in(client, world.provider_staff)
    slug = world.provider.slug
    page = _page(client, f"/organizations/{slug}/completions")
    assert "Prairie Society of Family Physicians" in page
    names = _page(client, f"/organizations/{slug}/completions?module_id={world.module.id}")
    assert world.member.full_name in names
    foreign = make_module(make_org(), None)
    assert (
        client.get(f"/organizations/{slug}/completions?module_id={foreign.id}").status_code == 404
    )
    sign_in(client, world.association_staff)
    assert client.get(f"/organizations/{slug}/completions").status_code == 403


def test_expired_license_page_and_past_dates(client, world):
    license = make_license(world.module, world.association, world.offer)
    import time_machine

    with time_machine.travel(license.end_date + timedelta(days=1), tick=False):
        sign_in(client, world.association_staff)
        page = _page(client, f"/licenses/{license.id}")
        assert "Expired" in page and "Revoke" not in page
        sign_in(client, world.member)
        assert client.get(f"/modules/{world.module.id}/start").status_code == 403
    assert license.start_date == today()


def test_the_start_page_lets_its_launch_form_redirect_to_the_content(client, world):
    """Browsers apply the CSP form-action to the launch button's redirect: the start page
    allows exactly the content's origin, every other page only its own."""
    make_license(world.module, world.association, world.offer)
    sign_in(client, world.member)
    start = client.get(f"/modules/{world.module.id}/start")
    assert (
        "form-action 'self' https://learn.example.test;"
        in (start.headers["Content-Security-Policy"])
    )
    other = client.get("/library")
    assert "form-action 'self';" in other.headers["Content-Security-Policy"]
