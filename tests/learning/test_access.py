"""Who may take a module, the library, launches and seats."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from exchange.catalog import services as catalog
from exchange.database import commit, today
from exchange.errors import ConflictError, PermissionDeniedError
from exchange.extensions import db
from exchange.learning import access
from exchange.learning.models import ModuleLaunch
from exchange.licensing import services as licensing
from exchange.licensing.models import LicenseSeat
from tests.factories import (
    add_member,
    approve,
    auth,
    complete,
    launch,
    make_license,
    make_module,
    make_offer,
    make_org,
    request_license,
    sign_in,
    staff_of,
)


def test_access_follows_the_license_state(world):
    assert access.find_access(world.member, world.module) is None
    license = request_license(world.module, world.association, world.offer)
    assert access.find_access(world.member, world.module) is None  # a request is not access
    approve(license)
    found = access.find_access(world.member, world.module)
    assert found.license is license and found.organization == world.association
    licensing.revoke_license(world.provider_staff, license, "Ended.")
    commit()
    assert access.find_access(world.member, world.module) is None


def test_access_begins_on_the_start_day_and_ends_after_the_end_day(world):
    start = today() + timedelta(days=5)
    license = make_license(world.module, world.association, world.offer, start_date=start)
    for day, allowed in (
        (start - timedelta(days=1), False),
        (start, True),
        (license.end_date, True),
        (license.end_date + timedelta(days=1), False),
    ):
        with time_machine.travel(day, tick=False):
            assert (access.find_access(world.member, world.module) is not None) is allowed, day


def test_other_organizations_members_have_no_access(world):
    make_license(world.module, world.association, world.offer)
    outsider = add_member(world.other, "member")
    assert access.find_access(outsider, world.module) is None
    with pytest.raises(PermissionDeniedError) as caught:
        access.launch(outsider, world.module)
    message = caught.value.message
    assert "Harbor Society of Internists" in message and "Riverbend CME Institute" in message


def test_own_organization_takes_its_modules_without_a_license(world):
    owned = make_module(world.association, world.provider, status="published")
    found = access.find_access(world.member, owned)
    assert found.license is None and found.organization == world.association
    provider_member = add_member(world.provider, "member")
    assert access.find_access(provider_member, owned).organization == world.provider
    assert access.find_access(world.member, make_module(world.association, world.provider)) is None
    catalog.retire_module(staff_of(world.provider), owned)  # no longer offered, even at home
    commit()
    assert access.find_access(world.member, owned) is None


def test_a_launch_takes_one_seat_per_learner(world):
    license = make_license(world.module, world.association, world.offer)  # 3 seats
    learners = [world.member, add_member(world.association), add_member(world.association)]
    for learner in learners:
        assert launch(learner, world.module) == world.module.content_url
    launch(learners[0], world.module)  # again: the same seat
    seats = db.session.scalar(
        select(func.count(LicenseSeat.id)).where(LicenseSeat.license_id == license.id)
    )
    assert seats == 3
    assert db.session.scalar(select(func.count(ModuleLaunch.id))) == 4
    fourth = add_member(world.association)
    with pytest.raises(ConflictError, match="No seats left"):
        access.launch(fourth, world.module)
    assert licensing.view_license(license).seats_used == 3


def test_a_learner_in_two_organizations_uses_the_license_with_a_seat(world):
    """The first organization's license is full; the learner's other organization's is not."""
    full = make_license(world.module, world.association, world.offer, seats=1)
    launch(world.member, world.module)
    second = make_license(world.module, world.other, make_offer(world.module), seats=1)
    newcomer = add_member(world.association)
    add_member(world.other, user=newcomer)
    _, through = access.launch(newcomer, world.module)
    assert through.license.id == second.id
    # The first learner keeps using the seat they hold.
    _, again = access.launch(world.member, world.module)
    assert again.license.id == full.id


def test_unlimited_seats(world):
    offer = make_offer(world.module, name="Unlimited")
    make_license(world.module, world.association, offer)
    for _ in range(5):
        launch(add_member(world.association), world.module)


def test_the_library_lists_exactly_what_may_be_taken(world):
    licensed = make_license(world.module, world.association, world.offer)
    owned = make_module(world.association, world.provider, status="published", title="Own CME")
    make_module(world.association, world.provider, title="Own draft")  # drafts: no
    requested_module = make_module(world.provider, status="published", title="Requested only")
    request_license(requested_module, world.association)
    elsewhere = make_module(world.provider, status="published", title="Licensed elsewhere")
    make_license(elsewhere, world.other)
    expired_module = make_module(world.provider, status="published", title="Expired")
    make_license(
        expired_module,
        world.association,
        make_offer(expired_module, term_months=1),
        start_date=today(),
    )
    complete(world.member, owned)
    page = access.library(world.member)
    titles = [entry.module.title for entry in page.items]
    assert titles == sorted(["Asthma Control in Adults", "Own CME", "Expired"], key=str.lower)
    by_title = {entry.module.title: entry for entry in page.items}
    assert by_title["Asthma Control in Adults"].license_id == licensed.id
    assert by_title["Asthma Control in Adults"].end_date == licensed.end_date
    assert by_title["Own CME"].license_id is None and by_title["Own CME"].completed
    with time_machine.travel(today() + timedelta(days=40), tick=False):
        later = [entry.module.title for entry in access.library(world.member).items]
    assert "Expired" not in later and "Asthma Control in Adults" in later


def test_retired_modules_stay_in_the_library_while_licensed(world):
    make_license(world.module, world.association, world.offer)
    catalog.retire_module(world.provider_staff, world.module)
    commit()
    assert [e.module.id for e in access.library(world.member).items] == [world.module.id]
    assert launch(world.member, world.module)


def test_library_query_count_is_fixed(client, world, count_queries):
    def fill(n):
        for _ in range(n):
            module = make_module(world.provider, status="published")
            make_license(module, world.association)

    sign_in(client, world.member)
    fill(4)
    with count_queries() as few:
        assert client.get("/library").status_code == 200
    fill(16)
    with count_queries() as many:
        page = client.get("/library").get_data(as_text=True)
    assert page.count('class="card mb-3 library-entry"') == 20
    assert few.count == many.count
    headers = auth(world.member)
    with count_queries() as api_few:
        client.get("/api/v1/me/library?per_page=5", headers=headers)
    with count_queries() as api_many:
        body = client.get("/api/v1/me/library?per_page=20", headers=headers).get_json()
    assert len(body["items"]) == 20 and api_few.count == api_many.count


def _with_file(world):
    upload = FileStorage(io.BytesIO(b"%PDF-1.4 the course"), "course.pdf", name="file")
    module = make_module(world.provider, content_url=None)
    catalog.attach_content(staff_of(world.provider), module, upload)
    catalog.publish_module(staff_of(world.provider), module)
    commit()
    return module


def test_uploaded_content_opens_only_after_a_launch(client, world):
    module = _with_file(world)
    make_license(module, world.association)
    sign_in(client, world.member)
    assert client.get(f"/modules/{module.id}/content").status_code == 404
    response = client.post(f"/modules/{module.id}/launch")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/modules/{module.id}/content")
    download = client.get(f"/modules/{module.id}/content")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 the course"
    assert "attachment" in download.headers["Content-Disposition"]
    download.close()
    outsider = add_member(make_org(), "member")
    sign_in(client, outsider)
    assert client.get(f"/modules/{module.id}/content").status_code == 404


def test_own_organization_content_opens_only_after_a_launch(client, world):
    module = make_module(world.association, world.provider, content_url=None)
    upload = FileStorage(io.BytesIO(b"%PDF-1.4 ours"), "ours.pdf", name="file")
    catalog.attach_content(staff_of(world.association), module, upload)
    catalog.publish_module(staff_of(world.provider), module)
    commit()
    sign_in(client, world.member)
    assert client.get(f"/modules/{module.id}/content").status_code == 404
    client.post(f"/modules/{module.id}/launch")
    response = client.get(f"/modules/{module.id}/content")
    assert response.status_code == 200
    response.close()


def test_api_launch_url_of_an_uploaded_file_is_absolute(client, world, app, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://cme.example.org")
    module = _with_file(world)
    make_license(module, world.association)
    body = client.post(f"/api/v1/modules/{module.id}/launch", headers=auth(world.member))
    assert body.get_json()["launch_url"] == f"https://cme.example.org/modules/{module.id}/content"


def test_refusals_say_what_would_change_them(world):
    start = today() + timedelta(days=9)
    make_license(world.module, world.association, world.offer, start_date=start)
    assert f"starts on {start.isoformat()}" in access.refusal(world.member, world.module)
    own = make_module(world.association, world.provider, status="published")
    catalog.retire_module(staff_of(world.provider), own)
    commit()
    assert "is retired" in access.refusal(world.member, own)
    lapsed = make_module(world.provider, status="published")
    catalog.retire_module(staff_of(world.provider), lapsed)
    commit()
    outsider = add_member(world.other, "member")
    message = access.refusal(outsider, lapsed)
    assert "retired" in message and "Ask the education staff" not in message


def test_the_library_marks_only_the_current_version_completed(world):
    from exchange.catalog.schemas import module_patch_schema

    make_license(world.module, world.association, world.offer)
    complete(world.member, world.module)
    assert access.library(world.member).items[0].completed
    catalog.update_module(
        staff_of(world.provider), world.module, module_patch_schema().load({"summary": "v2"})
    )
    commit()
    assert not access.library(world.member).items[0].completed
