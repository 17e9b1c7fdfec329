"""Searching in a real browser: a query, two facets, a result opened; a misspelling."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site


def result_count(page: Page) -> int:
    return int(page.locator("#result-count").inner_text().split()[0])


@pytest.mark.e2e
def test_search_narrow_by_two_facets_and_open_a_result(
    page: Page, site: Site, page_errors: list[str]
) -> None:
    page.goto("/catalog")
    page.get_by_label("Search the catalog").fill("heart failure")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page).to_have_url(re.compile(r"[?&]q=heart\+failure"))
    everything = result_count(page)
    assert everything >= 3
    first_title = page.locator("article.search-hit h2").first
    expect(first_title.locator("mark").first).to_have_text(re.compile("heart", re.I))

    page.locator("#facet-profession").get_by_role("link", name=re.compile("Nurse")).click()
    expect(page).to_have_url(re.compile(r"[?&]profession=nurse"))
    nurses = result_count(page)
    assert 0 < nurses <= everything

    page.locator("#facet-credit_type").get_by_role(
        "link", name=re.compile("ANCC contact hours")
    ).click()
    expect(page).to_have_url(
        re.compile(r"profession=nurse.*credit_type=ancc|credit_type=ancc.*profession=nurse")
    )
    narrowed = result_count(page)
    assert 0 < narrowed <= nurses
    selected = page.locator('.facet a[aria-current="true"]')
    expect(selected).to_have_count(2)

    # The URL carries the whole search: reloading it gives the same page.
    page.reload()
    assert result_count(page) == narrowed

    link = page.locator("article.search-hit h2 a").first
    title = link.inner_text()
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator(".designation").filter(has_text="ANCC nursing contact hour")).to_have_count(
        1
    )
    assert page_errors == []


@pytest.mark.e2e
def test_misspelling_shows_the_suggestions_results(page: Page, site: Site) -> None:
    page.goto("/catalog?q=pnuemonia")
    expect(page.locator("#suggestion-note")).to_contain_text("Showing results for pneumonia")
    assert result_count(page) > 0
    page.goto("/catalog?q=heart+failre")
    note = page.locator("#suggestion-note")
    expect(note).to_contain_text("No modules match “heart failre”")
    note.get_by_role("link", name="heart failure").click()  # one click to search for it
    expect(page).to_have_url(re.compile(r"q=heart\+failure"))
    expect(page.locator("#suggestion-note")).to_have_count(0)
