"""The sharing pages, CSV downloads, dashboards and the API: who sees what, bad input, and
fixed query counts."""

from __future__ import annotations

import csv
import io
from datetime import date

from tests.factories import (
    add_member,
    auth,
    complete,
    make_license,
    make_module,
    make_org,
    make_provider,
    platform_admin,
    sign_in,
    staff_of,
)

EDGE_FIELDS = {
    "provider_id", "provider_name", "organization_id", "organization_name", "modules",
    "active_licenses", "learners", "credits_awarded",
}  # fmt: skip


def _page(client, url):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_network_page_for_a_platform_admin(client, network, frozen_today):
    sign_in(client, platform_admin())
    page = _page(client, "/sharing")
    assert '<svg class="network' in page and 'id="sharing-table"' in page
    assert page.count("<tr>") == 5  # header + 4 links
    assert 'id="others-total"' not in page
    narrowed = _page(client, f"/sharing?provider_id={network.p2.id}")
    assert narrowed.count("<tr>") == 3 and "Narrowed to" in narrowed
    sorted_page = _page(client, "/sharing?sort=provider_name&order=asc")
    assert sorted_page.index("Alpha CME") < sorted_page.index("Beta IPCE")


def test_staff_see_their_links_and_the_rest_as_one_total(client, network, frozen_today):
    for _ in range(3):
        make_license(make_module(network.p1, status="published"), make_org())
    sign_in(client, staff_of(network.c))
    page = _page(client, "/sharing")
    assert page.count("<tr>") == 2 and "Assoc C" in page and "Assoc B</a>" not in page
    assert 'id="others-total"' in page and "6 links" in page


def test_members_are_refused(client, network, frozen_today):
    sign_in(client, network.u1)
    assert client.get("/sharing").status_code == 403
    assert client.get("/api/v1/sharing", headers=auth(network.u1)).status_code == 403
    assert client.get("/api/v1/sharing").status_code == 401


def test_dates_in_the_wrong_order(client, network, frozen_today):
    sign_in(client, platform_admin())
    response = client.get("/sharing?since=2026-05-01&until=2026-01-01")
    assert response.status_code == 400
    assert "The start of the range is after its end." in response.get_data(as_text=True)
    api = client.get(
        "/api/v1/sharing?since=2026-05-01&until=2026-01-01", headers=auth(platform_admin())
    )
    assert api.status_code == 422 and "since" in api.get_json()["errors"]
    bad = client.get("/api/v1/sharing?credit_type=cme&sort=size", headers=auth(platform_admin()))
    assert bad.status_code == 422 and {"credit_type", "sort"} <= set(bad.get_json()["errors"])


def test_csv_download_follows_the_filters_and_the_rules(client, network, frozen_today):
    sign_in(client, staff_of(network.a))
    response = client.get("/sharing.csv?active_only=true")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0][:4] == ["provider_id", "provider_name", "organization_id", "organization_name"]
    assert [(r[1], r[3], r[5], r[6]) for r in rows[1:]] == [("Alpha CME", "Assoc A", "2", "2")]


def test_api_contract(client, network, frozen_today):
    body = client.get("/api/v1/sharing", headers=auth(platform_admin())).get_json()
    assert body["total"] == 4 and body["others"] is None
    assert all(set(item) >= EDGE_FIELDS for item in body["items"])
    first = body["items"][0]
    assert (first["provider_name"], first["organization_name"], first["learners"]) == (
        "Alpha CME", "Assoc A", 2,
    )  # fmt: skip
    assert first["credits_awarded"] == 1.0
    paged = client.get("/api/v1/sharing?per_page=1&page=2", headers=auth(platform_admin()))
    assert len(paged.get_json()["items"]) == 1 and paged.get_json()["total"] == 4
    mine = client.get(
        f"/api/v1/sharing?organization_id={network.b.id}", headers=auth(staff_of(network.b))
    ).get_json()
    assert [i["provider_name"] for i in mine["items"]] == ["Alpha CME"]
    assert mine["others"] is None  # narrowed: no anonymous total


def test_learner_counts_page_api_and_csv(client, network, frozen_today):
    staff = staff_of(network.p1)
    sign_in(client, staff)
    page = _page(client, "/reports/learner-counts")
    assert "Pediatric Module Two" in page and 'id="learner-counts"' in page
    csv_text = client.get(f"/reports/learner-counts.csv?provider_id={network.p1.id}").get_data(
        as_text=True
    )
    assert csv_text.startswith("year,provider_activity_id")
    body = client.get("/api/v1/sharing/learner-counts?year=2025", headers=auth(staff)).get_json()
    assert (body["total"], body["page"]) == (1, 1)
    rows = body["items"]
    assert [(r["module_title"], r["physician_learners"], r["credits"]) for r in rows] == [
        ("Cardiac Module One", 1, {"ama_pra_1": 1.0})
    ]
    assert rows[0]["licensees"] == [network.a.id] and rows[0]["licensee_names"] == ["Assoc A"]
    api_csv = client.get("/api/v1/sharing/learner-counts?format=csv", headers=auth(staff))
    assert api_csv.mimetype == "text/csv"
    other = client.get(
        f"/api/v1/sharing/learner-counts?provider_id={network.p1.id}",
        headers=auth(staff_of(network.p2)),
    )
    assert other.status_code == 403
    association = client.get("/api/v1/sharing/learner-counts", headers=auth(staff_of(network.a)))
    assert association.status_code == 403
    admin = client.get("/api/v1/sharing/learner-counts", headers=auth(platform_admin()))
    assert admin.status_code == 422 and "provider_id" in admin.get_json()["errors"]
    sign_in(client, staff_of(network.a))
    assert client.get("/reports/learner-counts").status_code == 403
    assert client.get(f"/reports/learner-counts?provider_id={network.p1.id}").status_code == 403


def test_member_completions_page(client, network, frozen_today):
    sign_in(client, staff_of(network.a))
    page = _page(client, f"/organizations/{network.a.slug}/member-completions")
    assert "Cardiac Module One" in page and "Team Module Three" in page
    download = client.get(f"/organizations/{network.a.slug}/member-completions?format=csv")
    assert download.mimetype == "text/csv" and "Cardiac Module One" in download.get_data(
        as_text=True
    )
    sign_in(client, staff_of(network.b))
    assert client.get(f"/organizations/{network.a.slug}/member-completions").status_code == 403


def test_link_timeline_page(client, network, frozen_today):
    sign_in(client, staff_of(network.b))
    page = _page(client, f"/sharing/links/{network.p1.id}/{network.b.id}")
    assert "Revoked" in page and "Moved to the new edition." in page
    sign_in(client, staff_of(network.c))
    assert client.get(f"/sharing/links/{network.p1.id}/{network.b.id}").status_code == 403


def test_dashboards_are_the_home_page(client, network, frozen_today):
    sign_in(client, staff_of(network.p1))
    provider_home = _page(client, "/")
    assert 'id="provider-dashboard"' in provider_home and 'id="association-dashboard"' not in (
        provider_home
    )
    sign_in(client, staff_of(network.a))
    association_home = _page(client, "/")
    assert 'id="association-dashboard"' in association_home
    assert "Cardiac Module One" in association_home
    sign_in(client, network.u1)
    member_home = _page(client, "/")
    assert 'id="member-dashboard"' in member_home and 'id="provider-dashboard"' not in member_home
    client.post("/signout")
    anonymous = client.get("/").get_data(as_text=True)
    assert "Share accredited CME instead of building it twice" in anonymous


def test_someone_staff_in_two_organizations_switches_dashboards(client, network, frozen_today):
    both = add_member(network.a, "staff")
    add_member(network.p1, "staff", user=both)
    sign_in(client, both)
    first = _page(client, "/")
    assert 'name="org"' in first
    chosen = _page(client, f"/?org={network.p1.slug}")
    assert 'id="provider-dashboard"' in chosen


def _grow(provider, organizations, modules_per_org):
    for org in organizations:
        for _ in range(modules_per_org):
            module = make_module(provider, status="published")
            make_license(module, org)
            complete(add_member(org, "member"), module)


def test_pages_use_a_fixed_number_of_queries(client, count_queries):
    provider = make_provider("accme")
    orgs = [make_org() for _ in range(2)]
    _grow(provider, orgs[:1], 1)
    staff = staff_of(provider)
    association_staff = staff_of(orgs[0])
    urls = {
        staff: ["/", "/sharing", "/sharing.csv", "/reports/learner-counts"],
        association_staff: ["/", f"/organizations/{orgs[0].slug}/member-completions"],
    }

    def measure():
        counts = {}
        for user, paths in urls.items():
            sign_in(client, user)
            for path in paths:
                with count_queries() as counter:
                    assert client.get(path).status_code == 200, path
                counts[(user.id, path)] = counter.count
        return counts

    before = measure()
    _grow(provider, orgs, 3)
    assert measure() == before


def test_the_table_pages_by_fifty(client, frozen_today):
    provider = make_provider("accme")
    module = make_module(provider, status="published")
    for _ in range(53):
        make_license(module, make_org())
    sign_in(client, platform_admin())
    first = _page(client, "/sharing?sort=organization_name&order=asc")
    assert first.count("<tr>") == 51 and "Links 1–50 of 53" in first
    second = _page(client, "/sharing?sort=organization_name&order=asc&page=2")
    assert second.count("<tr>") == 4
    assert 'rel="prev"' in second


def test_crafted_query_arguments_never_break_a_page(client, network, frozen_today):
    sign_in(client, platform_admin())
    for url in (
        "/sharing?_method=POST",
        "/sharing?_anchor=x&_scheme=javascript",
        "/sharing?_external=1&sort=modules",
        "/catalog?_anchor=x",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "javascript:" not in response.get_data(as_text=True)


def test_invalid_filters_are_named_and_the_valid_ones_kept(client, network, frozen_today):
    sign_in(client, platform_admin())
    response = client.get(f"/sharing?provider_id={network.p2.id}&credit_type=cme")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "left out: credit_type" in page and page.count("<tr>") == 3  # Beta IPCE's 2 links
    download = client.get(
        f"/sharing.csv?provider_id={network.p2.id}&since=2026-05-01&until=2026-01-01"
    )
    assert download.status_code == 422  # a download is what was asked for, or nothing
    assert "The start of the range is after its end." in download.get_data(as_text=True)


def test_learner_counts_year_error_is_shown_on_the_form(client, network, frozen_today):
    sign_in(client, staff_of(network.p1))
    response = client.get("/reports/learner-counts?year=abc")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="year-error"' in page and "Pediatric Module Two" in page
    assert client.get("/reports/learner-counts.csv?year=abc").status_code == 422


def test_timeline_lists_a_days_later_event_first(client, frozen_today):
    from exchange.sharing.services import link_timeline
    from tests.factories import approve, request_license

    provider = make_provider("accme")
    org = make_org()
    license = request_license(make_module(provider, status="published"), org)
    approve(license)
    entries = link_timeline(staff_of(org), provider.id, org.id)
    assert [e.action for e in entries] == ["approved", "requested"]


def test_dashboards_follow_renewals_and_access(client, network):
    import time_machine

    from exchange.licensing import services as licensing
    from exchange.sharing import dashboards
    from tests.factories import launch, request_license

    with time_machine.travel(date(2026, 10, 15), tick=False):
        # A's license L1 (M1) ends 30 Nov: renewed from 1 Dec, it is expiring no more.
        renewal = request_license(network.m1, network.a)
        licensing.approve_license(staff_of(network.p1), renewal, {"start_date": date(2026, 12, 1)})
        # B's M2 license (L4, to 14 Dec) has a renewal requested.
        request_license(network.m2, network.b)
        provider = dashboards.provider_dashboard(staff_of(network.p1), network.p1)
        assert [lic.licensee.name for lic in provider["expiring"]] == ["Assoc B"]
        board = dashboards.association_dashboard(staff_of(network.b), network.b)
        assert network.m2.id in board["renewal_requested"]
        # A module started whose license has ended is not "in progress".
        learner = add_member(network.c, "member")
        launch(learner, network.m3)
    with time_machine.travel(date(2027, 3, 1), tick=False):
        assert dashboards.member_dashboard(learner)["in_progress"] == []


def test_a_provider_holding_licenses_sees_its_licensee_dashboard(client, frozen_today):
    from exchange.sharing import dashboards

    holder = make_provider("ancc", name="Nursing Provider")
    other = make_provider("accme")
    make_license(make_module(other, status="published"), holder)
    assert dashboards.sections(holder) == (True, True)
    assert dashboards.sections(other) == (True, False)
    sign_in(client, staff_of(holder))
    page = _page(client, "/")
    assert 'id="provider-dashboard"' in page and 'id="association-dashboard"' in page
