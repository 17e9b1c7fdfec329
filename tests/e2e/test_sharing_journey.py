"""Who shares with whom, in a real browser: the network, a filter, a narrowed view, a CSV.

The server holds the demo data (seed/data/licensing.toml), which other browser tests add
to; the assertions compare the page with itself and with its download, not with counts.
"""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page, expect

from seed.loader import DEMO_PASSWORD
from tests.e2e.conftest import Site


def sign_in(page: Page, email: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Signed in as")).to_be_visible()


def table_rows(page: Page) -> list[list[str]]:
    rows = page.locator("#sharing-table tbody tr")
    return [
        [cell.strip() for cell in rows.nth(i).locator("td").all_inner_texts()]
        for i in range(rows.count())
    ]


@pytest.mark.e2e
def test_open_the_network_filter_it_narrow_it_and_download_it(
    page: Page, site: Site, page_errors: list[str]
) -> None:
    sign_in(page, "admin@exchange.example")
    page.get_by_role("link", name="Sharing", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who shares with whom")
    expect(page.locator("svg#network path.network-link").first).to_be_visible()
    everything = table_rows(page)
    assert len(everything) >= 5

    # A filter: credit type (ANCC contact hours), applied with the form.
    page.get_by_label("Credit type").select_option(label="ANCC contact hours")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"credit_type=ancc"))
    nursing = table_rows(page)
    assert 0 < len(nursing) < len(everything)

    # Click a provider in the picture: the view narrows to its links.
    provider = nursing[0][0]
    page.locator("svg#network text.network-label").filter(
        has_text=re.compile("^" + re.escape(provider[:20]))
    ).first.click()
    expect(page).to_have_url(re.compile(r"provider_id=\d+"))
    expect(page.get_by_text("Narrowed to")).to_be_visible()
    narrowed = table_rows(page)
    assert narrowed and {row[0] for row in narrowed} == {provider}

    # The CSV holds exactly the links the table shows, with the same numbers.
    with page.expect_download() as download_info:
        page.locator("#download-csv").click()
    download = download_info.value
    assert download.suggested_filename == "sharing.csv"
    with open(download.path(), encoding="utf-8") as handle:
        records = list(csv.DictReader(io.StringIO(handle.read())))
    assert [(r["provider_name"], r["organization_name"], r["learners"]) for r in records] == [
        (row[0], row[1], row[4]) for row in narrowed
    ]

    # A link's history is one click away.
    page.locator("#sharing-table tbody tr").first.locator("td").last.locator("a").click()
    expect(page.locator("#timeline li").first).to_be_visible()
    assert page_errors == []


@pytest.mark.e2e
def test_association_staff_see_their_links_and_one_total_members_see_nothing(
    page: Page, site: Site
) -> None:
    sign_in(page, "lena.ortiz@cascadia-afp.example")
    page.goto("/sharing")
    rows = table_rows(page)
    assert rows and all(row[1] == "Cascadia Academy of Family Physicians" for row in rows)
    expect(page.locator("#others-total")).to_contain_text("links")
    page.get_by_role("button", name=re.compile("Lena Ortiz")).click()
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, "james.whitfield@cascadia-afp.example")
    response = page.goto("/sharing")
    assert response is not None and response.status == 403
