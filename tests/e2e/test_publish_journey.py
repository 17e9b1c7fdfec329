"""The publishing journey in a real browser: provider staff sign in, write a module (with one
mistake the server catches), save the draft and publish it; then an anonymous visitor finds it
in the catalog and reads its designation statement and faculty disclosures."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Site

TITLE = "Managing Hypertension in Primary Care"
SUMMARY = "A case-based review of blood pressure targets and first-line therapy."
DESCRIPTION = "Three patient cases walk through diagnosis and treatment of hypertension."
OBJECTIVES = "Select first-line antihypertensive therapy\nApply current blood pressure targets"
LAUNCH_URL = "https://learn.example.test/hypertension"
FACULTY_NAME = "Dana Okafor, MD"


def field(page: Page, name: str):
    """An input by its id: the module form's ids contain dots (`credits.ama_pra_1.amount`)."""
    return page.locator(f'[id="{name}"]')


@pytest.mark.e2e
def test_staff_publish_a_module_that_visitors_then_find(
    page: Page, site: Site, page_errors: list[str]
) -> None:
    # The app's dates are UTC dates; released a week ago, so it is "available now".
    release = datetime.now(UTC).date() - timedelta(days=7)
    termination = release + timedelta(days=730)

    # Sign in through the form.
    page.goto("/signin")
    page.get_by_label("Email").fill(site.staff_email)
    page.get_by_label("Password").fill(site.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Signed in as")).to_contain_text(
        site.staff_name
    )

    # Your modules -> New module.
    navbar = page.locator("nav.navbar")
    navbar.get_by_role("link", name="Your modules").click()
    expect(page.get_by_role("heading", name="Your modules")).to_be_visible()
    page.get_by_role("link", name="New module").click()
    expect(page.get_by_role("heading", name="New module")).to_be_visible()
    expect(
        page.get_by_label("Accredited provider of record").locator("option:checked")
    ).to_have_text(f"{site.provider_name} (ACCME)")

    # A complete module, except that 2 credits is more than 90 minutes support.
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill(SUMMARY)
    page.get_by_label("Description").fill(DESCRIPTION)
    page.get_by_label("Learning objectives").fill(OBJECTIVES)
    page.get_by_label("Physician", exact=True).check()
    page.get_by_label("Nurse", exact=True).check()
    page.get_by_label("Cardiology", exact=True).check()
    page.get_by_label("Family Medicine", exact=True).check()
    page.get_by_label("Activity format").select_option("enduring_material")
    page.get_by_label("Delivery", exact=True).select_option("online")
    page.get_by_label("Estimated minutes").fill("90")
    credit = field(page, "credits.ama_pra_1.amount")
    credit.fill("2")
    page.get_by_label("Release date").fill(release.isoformat())
    page.get_by_label("Last review date").fill(release.isoformat())
    page.get_by_label("Termination date").fill(termination.isoformat())
    page.get_by_label("Launch URL").fill(LAUNCH_URL)
    field(page, "faculty.0.name").fill(FACULTY_NAME)
    field(page, "faculty.0.role").fill("Course director")
    field(page, "faculty.0.disclosure_status").select_option(
        label="No relevant financial relationships"
    )
    page.get_by_role("button", name="Save draft").click()

    # The server rejects it: the message sits beside the credit input, and only there.
    expect(page.locator("#error-summary")).to_contain_text("Please correct the highlighted fields.")
    expect(credit).to_contain_class("is-invalid")
    message = field(page, "credits.ama_pra_1.amount-error")
    expect(message).to_be_visible()
    expect(credit.locator("xpath=following-sibling::*[1]")).to_have_id(
        "credits.ama_pra_1.amount-error"
    )
    expect(message).to_have_text(
        "90 minutes support at most 1.50 AMA PRA Category 1; 2.00 is too many."
    )
    expect(page.locator(".is-invalid")).to_have_count(1)
    # Everything typed was kept.
    expect(credit).to_have_value("2")
    expect(page.get_by_label("Title")).to_have_value(TITLE)
    expect(page.get_by_label("Summary")).to_have_value(SUMMARY)
    expect(page.get_by_label("Description")).to_have_value(DESCRIPTION)
    expect(page.get_by_label("Learning objectives")).to_have_value(OBJECTIVES)
    for label in ("Physician", "Nurse", "Cardiology", "Family Medicine"):
        expect(page.get_by_label(label, exact=True)).to_be_checked()
    expect(page.get_by_label("Pharmacist", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Activity format")).to_have_value("enduring_material")
    expect(page.get_by_label("Delivery", exact=True)).to_have_value("online")
    expect(page.get_by_label("Estimated minutes")).to_have_value("90")
    expect(page.get_by_label("Release date")).to_have_value(release.isoformat())
    expect(page.get_by_label("Last review date")).to_have_value(release.isoformat())
    expect(page.get_by_label("Termination date")).to_have_value(termination.isoformat())
    expect(page.get_by_label("Launch URL")).to_have_value(LAUNCH_URL)
    expect(field(page, "faculty.0.name")).to_have_value(FACULTY_NAME)
    expect(field(page, "faculty.0.role")).to_have_value("Course director")
    expect(field(page, "faculty.0.disclosure_status")).to_have_value("none")

    # Fix it and save the draft.
    credit.fill("1.5")
    page.get_by_role("button", name="Save draft").click()
    expect(page).to_have_url(re.compile(r"/modules/\d+$"))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Draft saved.")).to_be_visible()
    expect(page.locator(".badge-status-draft")).to_have_text("Draft")
    expect(page.get_by_text("This draft meets every rule for publication.")).to_be_visible()

    # Publish it.
    page.get_by_role("button", name="Publish").click()
    expect(
        page.get_by_role("alert").filter(has_text="Published. The module is now in the catalog.")
    ).to_be_visible()
    expect(page.locator(".badge-status-published")).to_have_text("Published")
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)

    # Sign out (from the account menu).
    page.get_by_role("button", name=site.staff_name).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert").filter(has_text="You are signed out.")).to_be_visible()
    expect(navbar.get_by_role("link", name="Sign in")).to_be_visible()
    expect(navbar.get_by_role("link", name="Your modules")).to_have_count(0)

    # An anonymous visitor searches the catalog and narrows by specialty.
    navbar.get_by_role("link", name="Catalog", exact=True).click()
    expect(page.get_by_role("heading", name="Catalog", level=1)).to_be_visible()
    page.get_by_label("Search the catalog").fill("Lakeside hypertension")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#result-count")).to_have_text("1 module for “Lakeside hypertension”")
    page.locator("#facet-specialty").get_by_role("link", name=re.compile("Cardiology")).click()
    expect(page).to_have_url(re.compile(r"[?&]specialty=cardiology(&|$)"))
    expect(page.locator("#result-count")).to_have_text("1 module for “Lakeside hypertension”")
    results = page.get_by_role("region", name="Results")
    result = results.locator("article").filter(has_text=TITLE)
    expect(result).to_contain_text(site.provider_name)
    expect(result).to_contain_text("1.5 AMA PRA Category 1")
    result.get_by_role("link", name=TITLE).click()

    # The module page, as the public sees it.
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.locator(".badge-status-published")).to_have_text("Published")
    expect(page.locator(".designation")).to_contain_text(
        f"{site.provider_name} designates this enduring material for a maximum of 1.50 "
        "AMA PRA Category 1 Credit(s)"
    )
    expect(
        page.get_by_text("is accredited by the Accreditation Council for Continuing")
    ).to_be_visible()
    faculty = page.locator("div.mb-2").filter(has=page.locator("strong", has_text=FACULTY_NAME))
    expect(faculty).to_contain_text(f"{FACULTY_NAME}, Course director")
    expect(faculty).to_contain_text("No relevant financial relationships.")
    expect(
        page.get_by_role("listitem").filter(has_text="Apply current blood pressure targets")
    ).to_be_visible()
    # Nothing a visitor may not do or see.
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile(r"^Edit\b"))).to_have_count(0)
    expect(page.get_by_text(LAUNCH_URL)).to_have_count(0)

    assert page_errors == [], f"JavaScript errors in the page: {page_errors}"
    assert "Traceback" not in site.server_log(), "The server logged an exception"
