"""Every figure of the sharing network, the reports and the dashboards, on a known scenario
(tests/sharing/conftest.py)."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal

import pytest

from exchange.errors import PermissionDeniedError
from exchange.sharing import dashboards, reports
from exchange.sharing.services import SharingFilters, link_timeline, sharing_network
from tests.factories import add_member, platform_admin, request_license, staff_of

D = Decimal


def _figures(network):
    return {
        (e.provider_name, e.organization_name): (
            e.modules,
            e.active_licenses,
            e.learners,
            e.credits_awarded,
            e.first_shared,
            e.latest_shared,
        )
        for e in network.edges
    }


def test_every_link_for_a_platform_admin(network, frozen_today):
    result = sharing_network(platform_admin(), SharingFilters())
    assert _figures(result) == {
        ("Alpha CME", "Assoc A"): (2, 2, 2, D("1"), date(2025, 12, 1), date(2026, 1, 10)),
        ("Alpha CME", "Assoc B"): (2, 1, 1, D("0.5"), date(2025, 11, 1), date(2025, 12, 15)),
        ("Beta IPCE", "Assoc A"): (1, 0, 1, D("1"), date(2025, 1, 1), date(2025, 1, 1)),
        ("Beta IPCE", "Assoc C"): (1, 1, 1, D("1"), date(2026, 2, 1), date(2026, 2, 1)),
    }
    assert result.others is None
    # u1 learned through A and through B: once for Alpha CME. u2 once for each provider.
    # Learners once per provider: Alpha CME {u1, u2}, Beta IPCE {u2, u3}; 4, not the 5 of
    # the links' own counts.
    assert sum(e.learners for e in result.edges) == 5
    assert result.totals == {
        "links": 4,
        "providers": 2,
        "organizations": 3,
        "modules": 6,
        "active_licenses": 4,
        "learners": 4,
        "credits_awarded": D("3.5"),
    }
    # Sorted by learners (then names) by default; any column on request.
    names = [(e.provider_name, e.organization_name) for e in result.edges]
    assert names[0] == ("Alpha CME", "Assoc A")
    by_first = sharing_network(
        platform_admin(), SharingFilters(sort="first_shared", descending=False)
    )
    assert [e.first_shared for e in by_first.edges] == sorted(
        e.first_shared for e in by_first.edges
    )


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (
            SharingFilters(active_only=True),
            {
                ("Alpha CME", "Assoc A"): (2, 2, 2, D("1")),
                ("Alpha CME", "Assoc B"): (1, 1, 1, D("0.5")),
                ("Beta IPCE", "Assoc C"): (1, 1, 1, D("1")),
            },
        ),
        (
            SharingFilters(since=date(2026, 1, 1)),
            {
                ("Alpha CME", "Assoc A"): (2, 2, 1, D("0")),
                ("Alpha CME", "Assoc B"): (2, 1, 1, D("0.5")),
                ("Beta IPCE", "Assoc C"): (1, 1, 1, D("1")),
            },
        ),
        (
            SharingFilters(until=date(2025, 12, 31)),
            {
                ("Alpha CME", "Assoc A"): (1, 1, 1, D("1")),
                ("Alpha CME", "Assoc B"): (2, 1, 0, D("0")),
                ("Beta IPCE", "Assoc A"): (1, 0, 1, D("1")),
            },
        ),
        (
            SharingFilters(specialty="pediatrics"),
            {
                ("Alpha CME", "Assoc A"): (1, 1, 0, D("0")),
                ("Alpha CME", "Assoc B"): (1, 1, 1, D("0.5")),
            },
        ),
        (
            SharingFilters(credit_type="ancc"),
            {
                ("Beta IPCE", "Assoc A"): (1, 0, 1, D("1")),
                ("Beta IPCE", "Assoc C"): (1, 1, 0, D("0")),
            },
        ),
        (
            SharingFilters(organization_id=-1),
            {},
        ),
    ],
)
def test_filters(network, frozen_today, filters, expected):
    result = sharing_network(platform_admin(), filters)
    assert {k: v[:4] for k, v in _figures(result).items()} == expected


def test_narrowing_to_a_provider_or_an_organization(network, frozen_today):
    by_provider = sharing_network(platform_admin(), SharingFilters(provider_id=network.p2.id))
    assert {e.organization_name for e in by_provider.edges} == {"Assoc A", "Assoc C"}
    by_org = sharing_network(platform_admin(), SharingFilters(organization_id=network.a.id))
    assert {e.provider_name for e in by_org.edges} == {"Alpha CME", "Beta IPCE"}


def test_staff_see_their_links_and_the_others_only_when_anonymous(network, frozen_today):
    result = sharing_network(staff_of(network.a), SharingFilters())
    assert set(_figures(result)) == {("Alpha CME", "Assoc A"), ("Beta IPCE", "Assoc A")}
    # Learners count only what the viewer may see of those providers: Alpha CME's link to A
    # (u1, u2), Beta IPCE's link to A (u2).
    assert result.totals["learners"] == 3 and result.totals["links"] == 2
    # Two hidden links would be readable one by one: no total of them.
    assert result.others is None
    provider_view = sharing_network(staff_of(network.p1), SharingFilters())
    assert set(_figures(provider_view)) == {("Alpha CME", "Assoc A"), ("Alpha CME", "Assoc B")}
    assert provider_view.totals["learners"] == 2  # u1 through A and B: once


def test_the_others_total_needs_enough_links_and_no_narrowing(network, frozen_today):
    from tests.factories import make_license, make_module, make_org

    for _ in range(3):  # three more hidden links, to two more organizations
        make_license(make_module(network.p2, status="published"), make_org())
    result = sharing_network(staff_of(network.a), SharingFilters())
    others = result.others
    assert (others.links, others.modules, others.active_licenses, others.learners) == (5, 6, 5, 2)
    assert others.credits_awarded == D("1.5")
    # Narrowed to one hidden link, the total would be that link's numbers: none.
    narrowed = SharingFilters(provider_id=network.p1.id, organization_id=network.b.id)
    assert sharing_network(staff_of(network.a), narrowed).others is None


def test_staff_of_two_organizations_count_a_shared_learner_once(network, frozen_today):
    both = staff_of(network.a)
    add_member(network.b, "staff", user=both)
    result = sharing_network(both, SharingFilters())
    # Alpha CME reached u1 (through A and B) and u2; Beta IPCE reached u2 (through A).
    assert result.totals["learners"] == 3


def test_a_revoked_license_stops_counting_when_revoked(network, frozen_today):
    after_revocation = sharing_network(platform_admin(), SharingFilters(since=date(2026, 4, 1)))
    figures = _figures(after_revocation)
    # Alpha CME -> B: only M2's license (L4) still gave access after L3's revocation.
    assert figures[("Alpha CME", "Assoc B")][:2] == (1, 1)
    assert figures[("Alpha CME", "Assoc B")][4] == date(2025, 12, 15)


def test_licenses_that_never_gave_access_are_no_sharing(network, frozen_today):
    from exchange.licensing import services as licensing
    from tests.factories import make_license, make_module, make_org

    newcomer = make_org(name="Assoc Later")
    module = make_module(network.p1, status="published")
    scheduled = make_license(module, newcomer, start_date=date(2026, 9, 1))
    assert ("Alpha CME", "Assoc Later") not in _figures(
        sharing_network(platform_admin(), SharingFilters())
    )
    licensing.revoke_license(staff_of(network.p1), scheduled, "Changed our mind.")
    assert ("Alpha CME", "Assoc Later") not in _figures(
        sharing_network(platform_admin(), SharingFilters())
    )


def test_members_and_anonymous_see_nothing(network, frozen_today):
    for outsider in (None, network.u1, add_member(network.a, "member")):
        with pytest.raises(PermissionDeniedError):
            sharing_network(outsider, SharingFilters())


def test_link_timeline(network, frozen_today):
    entries = link_timeline(staff_of(network.a), network.p2.id, network.a.id)
    assert [(e.day, e.action) for e in entries] == [
        (date(2025, 7, 1), "expired"),
        (date(2025, 1, 1), "granted"),
    ]
    revoked = link_timeline(staff_of(network.p1), network.p1.id, network.b.id)
    assert [(e.day, e.action, e.module_title) for e in revoked] == [
        (date(2026, 3, 1), "revoked", "Cardiac Module One"),
        (date(2025, 12, 15), "granted", "Pediatric Module Two"),
        (date(2025, 11, 1), "granted", "Cardiac Module One"),
    ]
    assert revoked[0].note == "Moved to the new edition."
    with pytest.raises(PermissionDeniedError):
        link_timeline(staff_of(network.c), network.p1.id, network.b.id)


# Reports ----------------------------------------------------------------------------------


def test_pars_learner_counts_split_by_calendar_year(network, frozen_today):
    rows = reports.learner_counts(staff_of(network.p1), network.p1)
    figures = [
        (r.module_title, r.year, r.physician_learners, r.other_learners, r.credits, r.licensees)
        for r in rows
    ]
    assert figures == [
        ("Cardiac Module One", 2026, 0, 1, {}, [network.a.id]),
        ("Pediatric Module Two", 2026, 1, 0, {"ama_pra_1": D("0.5")}, [network.b.id]),
        ("Cardiac Module One", 2025, 1, 0, {"ama_pra_1": D("1")}, [network.a.id]),
    ]
    assert rows[0].provider_activity_id
    assert [r.licensee_names for r in rows] == [["Assoc A"], ["Assoc B"], ["Assoc A"]]
    p2_rows = reports.learner_counts(staff_of(network.p2), network.p2, year=2025)
    assert [(r.year, r.other_learners, r.credits) for r in p2_rows] == [(2025, 1, {"ancc": D("1")})]
    with pytest.raises(PermissionDeniedError):
        reports.learner_counts(staff_of(network.a), network.p1)


def test_pars_counts_completions_never_launches(network, frozen_today):
    from tests.factories import launch

    launcher = add_member(network.a, "member", profession="physician")
    launch(launcher, network.m1)
    rows = reports.learner_counts(staff_of(network.p1), network.p1, year=2026)
    assert sum(r.physician_learners + r.other_learners for r in rows) == 2


def test_pars_csv(network, frozen_today):
    text = reports.learner_counts_csv(reports.learner_counts(staff_of(network.p1), network.p1))
    lines = text.splitlines()
    assert lines[0].startswith("year,provider_activity_id,module_id,module_title,")
    assert lines[0].endswith(",licensee_organization_ids,licensee_organizations")
    assert lines[2].endswith(",Assoc B")
    assert len(lines) == 4
    assert ",Pediatric Module Two,1,0,0.50," in lines[2]


def test_member_completions_report(network, frozen_today):
    rows = reports.member_completions(staff_of(network.a), network.a)
    assert [
        (r.module_title, r.provider_name, r.completions, r.learners, r.credits) for r in rows
    ] == [
        ("Cardiac Module One", "Alpha CME", 2, 2, {"ama_pra_1": D("1")}),
        ("Team Module Three", "Beta IPCE", 1, 1, {"ancc": D("1")}),
    ]
    text = reports.member_completions_csv(rows)
    assert text.splitlines()[0].startswith("module_id,module_title,provider_of_record,completions")
    with pytest.raises(PermissionDeniedError):
        reports.member_completions(network.u2, network.a)


# Dashboards ----------------------------------------------------------------------------------


def _series(series):
    return {(m.year, m.month): m.value for m in series if m.value}


def test_provider_dashboard(network):
    import time_machine

    from exchange.search import services as search

    with time_machine.travel(date(2026, 10, 15), tick=False):
        request_license(network.m1, network.c)
        search._record(
            None, {"q": "Heart"}, 2, None, time.perf_counter(), [network.m1.id, network.m3.id]
        )
        search._record(None, {"q": "heart"}, 1, None, time.perf_counter(), [network.m1.id])
        search._record(None, {"q": "sepsis"}, 1, None, time.perf_counter(), [network.m3.id])
        search._record(None, {"q": ""}, 9, None, time.perf_counter(), [network.m1.id])
        board = dashboards.provider_dashboard(staff_of(network.p1), network.p1)
    assert board["requests"].total == 1
    assert [v.licensee.name for v in board["requests"].items] == ["Assoc C"]
    assert [tuple(row[1:]) for row in board["top_modules"]] == [
        ("Cardiac Module One", 2, 2),
        ("Pediatric Module Two", 2, 1),
    ]
    # Within 60 days of 15 Oct 2026 (to 14 Dec): L1's last day is 30 Nov, L4's 14 Dec.
    assert [(lic.licensee.name, lic.end_date) for lic in board["expiring"]] == [
        ("Assoc A", date(2026, 11, 30)),
        ("Assoc B", date(2026, 12, 14)),
    ]
    assert _series(board["completions_by_month"]) == {
        (2025, 12): 1,
        (2026, 1): 1,
        (2026, 2): 1,
    }
    assert len(board["completions_by_month"]) == 12
    assert [tuple(row) for row in board["top_searches"]] == [("heart", 2)]


def test_association_dashboard(network):
    import time_machine

    with time_machine.travel(date(2026, 10, 15), tick=False):
        board = dashboards.association_dashboard(staff_of(network.a), network.a)
    assert [(lic.module.title, used, lic.seats) for lic, used in board["licenses"]] == [
        ("Cardiac Module One", 2, None),
        ("Pediatric Module Two", 0, None),
    ]
    assert [lic.module.title for lic, _ in board["renew"]] == ["Cardiac Module One"]
    assert _series(board["completions_by_month"]) == {(2025, 12): 1, (2026, 2): 1}
    assert _series(board["credits_by_month"]) == {(2025, 12): D("1")}


def test_member_dashboard(network):
    import time_machine

    from tests.factories import launch

    with time_machine.travel(date(2026, 10, 15), tick=False):
        launch(network.u3, network.m3)  # completed already: not in progress
        board = dashboards.member_dashboard(network.u1)
        other = dashboards.member_dashboard(network.u3)
    assert board["library"].total == 2
    assert [m.title for m in board["in_progress"]] == []
    assert [(t.credit_type, t.amount) for t in board["credits_this_year"]] == [
        ("ama_pra_1", D("0.5"))
    ]
    assert other["in_progress"] == []


def test_a_page_of_links_and_the_strongest_for_the_picture(network, frozen_today):
    by_name = SharingFilters(sort="organization_name", descending=False)
    page = sharing_network(platform_admin(), by_name, page=2, per_page=2, picture=2,
                           weight="credits_awarded")  # fmt: skip
    assert page.total == 4
    assert [(e.provider_name, e.organization_name) for e in page.edges] == [
        ("Alpha CME", "Assoc B"),
        ("Beta IPCE", "Assoc C"),
    ]
    # The picture: the two links with the most credit (1, then 1 by name), whatever the page.
    assert [(e.provider_name, e.organization_name) for e in page.picture] == [
        ("Alpha CME", "Assoc A"),
        ("Beta IPCE", "Assoc A"),
    ]
    assert page.totals["links"] == 4 and page.totals["learners"] == 4
