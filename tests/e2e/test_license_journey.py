"""The licensing journey in a real browser, on the demo data: an association's education staff
request a license for a module they find in the catalog; the provider's staff see the request
in the navigation and approve it; a member of the association takes the module (the launch is
caught before it leaves for the content host), claims credit and downloads the certificate;
a member of another association is refused.

The module is Meridian's gout module, which nothing in seed/data/licensing.toml licenses and no
other browser test touches: this file creates the only license for it in the shared server.
"""

from __future__ import annotations

import re
import tomllib
import zlib
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from seed.loader import DATA_DIR, DEMO_PASSWORD
from tests.e2e.conftest import Site

MODULE_KEY = "mer-gout-t2t"
PROVIDER = "Meridian Institute for Clinical Education"
ASSOCIATION = "Cascadia Academy of Family Physicians"
OTHER_ASSOCIATION = "Piedmont Association of Nurse Practitioners"
OFFER = "Member access, 12 months"  # seed/data/licensing.toml [standard_offer]
SEATS = "25"
MESSAGE = "For our spring rheumatology update; about 25 members have asked for it."

LENA = ("lena.ortiz@cascadia-afp.example", "Lena Ortiz")  # Cascadia education staff
MAYA = ("maya.chen@meridian.example", "Maya Chen, MEd")  # Meridian education staff
JAMES = ("james.whitfield@cascadia-afp.example", "James Whitfield, MD")  # Cascadia member
ANA = ("ana.reyes@piedmont-np.example", "Ana Reyes, MSN, FNP-C")  # Piedmont member, nurse


def seed_module(key: str) -> dict:
    with open(DATA_DIR / "modules.toml", "rb") as handle:
        return next(m for m in tomllib.load(handle)["modules"] if m["key"] == key)


MODULE = seed_module(MODULE_KEY)
TITLE: str = MODULE["title"]
CONTENT_URL: str = MODULE["content_url"]


# Signing in and out ------------------------------------------------------------------------


def sign_in(page: Page, person: tuple[str, str]) -> None:
    email, name = person
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").filter(has_text="Signed in as")).to_contain_text(name)


def sign_out(page: Page, person: tuple[str, str]) -> None:
    page.locator("nav.navbar").get_by_role("button", name=person[1]).click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert").filter(has_text="You are signed out.")).to_be_visible()


def inbox_badge(page: Page):
    return page.locator("#nav-licenses .badge")


def inbox_count(page: Page) -> int:
    """The number on the Licenses link's badge (0 when there is no badge)."""
    badge = inbox_badge(page)
    if badge.count() == 0:
        return 0
    return int(re.match(r"\d+", badge.inner_text())[0])


# Reading the certificate ---------------------------------------------------------------------


def _objects(pdf: bytes) -> dict[int, bytes]:
    """Each indirect object's bytes (to the next object), by number."""
    starts = list(re.finditer(rb"(?m)^(\d+) 0 obj\b", pdf))
    ends = [m.start() for m in starts[1:]] + [len(pdf)]
    return {int(m[1]): pdf[m.end() : end] for m, end in zip(starts, ends, strict=True)}


def _stream(body: bytes) -> bytes:
    head, _, rest = body.partition(b"stream")
    length = int(re.search(rb"/Length (\d+)", head)[1])
    data = rest[re.match(rb"\r?\n", rest).end() :][:length]
    return zlib.decompress(data) if b"/FlateDecode" in head else data


def _ref(body: bytes, key: bytes) -> int:
    return int(re.search(rb"/" + key + rb"\s+(\d+) 0 R", body)[1])


def _unescape(literal: bytes) -> bytes:
    """A PDF literal string's bytes, without its parentheses and escapes."""
    simple = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}

    def replace(match: re.Match[bytes]) -> bytes:
        escaped = match[1]
        if escaped[:1].isdigit():
            return bytes([int(escaped, 8) & 0xFF])
        return simple.get(escaped, escaped)

    return re.sub(rb"\\([0-7]{1,3}|.)", replace, literal[1:-1], flags=re.S)


def pdf_text(pdf: bytes) -> str:
    """The text on the pages of a PDF written by fpdf2 with embedded TrueType fonts: each
    string is two-byte glyph codes, read back through the font's ToUnicode map. One line per
    text object (fpdf2 writes one per line of a cell)."""
    objects = _objects(pdf)
    lines: list[str] = []
    for body in objects.values():
        if not re.search(rb"/Type /Page\b", body):
            continue
        resources = body if b"/Font" in body else objects[_ref(body, b"Resources")]
        fonts_dict = re.search(rb"/Font\s*<<(.*?)>>", resources, re.S)[1]
        cmaps: dict[bytes, dict[int, str]] = {}
        for name, number in re.findall(rb"/(\w+)\s+(\d+) 0 R", fonts_dict):
            cmap = _stream(objects[_ref(objects[int(number)], b"ToUnicode")])
            cmaps[name] = {
                int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
                for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S)
                for code, text in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
            }
        content = _stream(objects[_ref(body, b"Contents")])
        font: dict[int, str] = {}
        line = ""
        for token in re.finditer(
            rb"/(\w+)\s+[\d.]+\s+Tf|(\((?:\\.|[^\\()])*\))|\bET\b", content, re.S
        ):
            if token[1]:
                font = cmaps[token[1]]
            elif token[2]:
                raw = _unescape(token[2])
                line += "".join(
                    font.get(int.from_bytes(raw[i : i + 2], "big"), "\ufffd")
                    for i in range(0, len(raw) - 1, 2)
                )
            elif line:
                lines.append(line)
                line = ""
    return "\n".join(lines)


# The journey -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_license_request_approval_completion_and_refusal(
    page: Page, site: Site, page_errors: list[str]
) -> None:
    # Nothing leaves for the network. Playwright cannot intercept the hop of a redirect the
    # browser follows itself, so the launch (a POST answered with a redirect to the content)
    # is passed to the server here and its answer handed back: the browser's request to the
    # content host is then a new one, answered from here. Any other address outside the test
    # server is refused, and remembered to fail on.
    launches: list[tuple[int, str | None]] = []
    content_requests: list[str] = []
    outside: list[str] = []

    def launch_through_the_server(route: Route) -> None:
        response = route.fetch(max_redirects=0)
        launches.append((response.status, response.headers.get("location")))
        route.fulfill(response=response)

    def offline(route: Route) -> None:
        url = route.request.url
        if url == CONTENT_URL:
            content_requests.append(url)
            route.fulfill(
                status=200,
                content_type="text/html",
                body="<!doctype html><title>Gout module</title><h1>Gout, the activity</h1>",
            )
        else:
            outside.append(url)
            route.abort()

    page.context.route(re.compile(r"/modules/\d+/launch$"), launch_through_the_server)
    page.context.route(
        lambda url: url.startswith(("http:", "https:")) and not url.startswith(site.base_url),
        offline,
    )
    navbar = page.locator("nav.navbar")

    # 1. Cascadia's education staff find the module in the catalog and request a license.
    sign_in(page, LENA)
    navbar.get_by_role("link", name="Catalog", exact=True).click()
    page.get_by_label("Search the catalog").fill("gout urate")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_role("region", name="Results")
    result = results.locator("article").filter(has_text=TITLE)
    expect(result).to_contain_text(PROVIDER)
    result.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    module_path = urlsplit(page.url).path
    assert re.fullmatch(r"/modules/\d+", module_path), page.url

    panel = page.locator("#licensing")
    expect(panel.locator("#offers")).to_contain_text(OFFER)
    expect(panel.locator("#start-module")).to_have_count(0)  # no license yet
    panel.get_by_role("link", name="Request a license").click()
    expect(page.get_by_role("heading", name="Request a license", level=1)).to_be_visible()
    expect(page.get_by_text(f"{PROVIDER} decides.")).to_be_visible()
    # The only organization she may request for is chosen already.
    expect(
        page.get_by_role("combobox", name="License for", exact=True).locator("option:checked")
    ).to_have_text(ASSOCIATION)
    page.get_by_label(OFFER).check()
    page.get_by_label("Seats", exact=True).fill(SEATS)
    page.get_by_label("Message to the provider").fill(MESSAGE)
    page.get_by_role("button", name="Send request").click()

    expect(page).to_have_url(re.compile(r"/licenses/\d+$"))
    license_path = urlsplit(page.url).path
    expect(
        page.get_by_role("alert").filter(has_text=f"Request sent to {PROVIDER}.")
    ).to_be_visible()
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text(f"{PROVIDER} (provider of record) → {ASSOCIATION}")).to_be_visible()
    expect(page.locator("#license-state")).to_have_text("Requested")
    expect(page.get_by_role("definition").filter(has_text=MESSAGE)).to_be_visible()
    expect(page.locator("#seats")).to_have_text(f"0 used of {SEATS}")
    expect(page.locator("#history")).to_contain_text("Requested")
    # The requester may withdraw, not decide.
    expect(page.get_by_role("button", name="Withdraw")).to_be_visible()
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)
    sign_out(page, LENA)

    # 2. Meridian's education staff see the request in the navigation and approve it.
    sign_in(page, MAYA)
    expect(inbox_badge(page)).to_be_visible()
    waiting = inbox_count(page)
    assert waiting >= 1, "the Licenses link shows no requests to decide"
    expect(inbox_badge(page)).to_contain_text("requests to decide")  # for screen readers
    navbar.locator("#nav-licenses").click()
    expect(page.get_by_role("heading", name="Licenses", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Requests to decide", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    rows = page.locator("#licenses tbody tr")
    expect(rows).to_have_count(min(waiting, 20))  # the badge counts what the tab lists
    row = rows.filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(ASSOCIATION)
    expect(row).to_contain_text("Requested")
    row.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(re.escape(license_path) + "$"))
    expect(page.locator("#license-state")).to_have_text("Requested")
    expect(page.get_by_role("definition").filter(has_text=MESSAGE)).to_be_visible()
    expect(page.get_by_text(f"by {LENA[1]}")).to_be_visible()
    page.get_by_label("Note (optional)").fill("Approved for the spring update.")
    page.get_by_role("button", name="Approve", exact=True).click()

    expect(page).to_have_url(re.compile(re.escape(license_path) + "$"))
    expect(
        page.get_by_role("alert").filter(
            has_text="Approved: the licensee's members have access from the start date."
        )
    ).to_be_visible()
    expect(page.locator("#license-state")).to_have_text("Active")
    expect(page.locator("#license-dates")).to_contain_text("(last day of access)")
    expect(page.locator("#seats")).to_have_text(f"0 used of {SEATS}")
    expect(page.locator("#history")).to_contain_text("Approved")
    expect(page.locator("#history")).to_contain_text("Approved for the spring update.")
    expect(page.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
    assert inbox_count(page) == waiting - 1, "the badge still counts the decided request"
    sign_out(page, MAYA)

    # 3. A Cascadia member finds the module in the library and takes it.
    sign_in(page, JAMES)
    navbar.get_by_role("link", name="Library", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Your library"))).to_be_visible()
    entry = page.locator("article.library-entry").filter(has_text=TITLE)
    expect(entry).to_contain_text(f"licensed to {ASSOCIATION} until")
    expect(entry.locator(".badge", has_text="Completed")).to_have_count(0)
    entry.get_by_role("link", name=TITLE).click()

    expect(page).to_have_url(re.compile(re.escape(module_path) + "$"))
    panel = page.locator("#licensing")
    expect(panel).to_contain_text(f"Licensed to {ASSOCIATION} until")
    panel.locator("#start-module").click()

    # The page before launching: time, objectives, credit and disclosures.
    expect(page).to_have_url(re.compile(re.escape(module_path) + "/start$"))
    expect(page.get_by_role("heading", name=TITLE, level=1)).to_be_visible()
    expect(page.get_by_text(f"Licensed to {ASSOCIATION} until")).to_be_visible()
    expect(page.get_by_text(f"provider of record {PROVIDER}")).to_be_visible()
    for heading in ("Estimated time", "Learning objectives", "Credit designation", "Disclosures"):
        expect(page.get_by_role("heading", name=heading, level=2)).to_be_visible()
    expect(
        page.get_by_role("heading", name="Estimated time").locator("xpath=following-sibling::p[1]")
    ).to_have_text(f"{MODULE['estimated_minutes']} min")
    for objective in MODULE["objectives"]:
        expect(page.get_by_role("listitem").filter(has_text=objective)).to_be_visible()
    designations = page.locator(".designation")
    expect(designations.filter(has_text="AMA PRA Category 1 Credit")).to_contain_text(
        f"{PROVIDER} designates this enduring material for a maximum of 0.50 "
        "AMA PRA Category 1 Credit(s)™."
    )
    expect(designations.filter(has_text="ABIM")).to_have_count(1)  # MOC points too
    faculty = MODULE["faculty"][0]
    expect(page.locator("#disclosures")).to_contain_text(
        f"{faculty['name']}, {faculty['role']}: no relevant financial relationships."
    )
    expect(page.get_by_text("This activity received no commercial support.")).to_be_visible()
    launch = page.get_by_role("button", name="I have read this: start the module")
    expect(launch).to_have_id("launch")

    # Launching sends the browser to the module's content. Checked softly (reported at the
    # end), so that a broken launch still lets the rest of the journey run.
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    launch.click()
    launch_problems: list[str] = []
    try:
        expect(page).to_have_url(CONTENT_URL)
    except AssertionError:
        launch_problems.append(
            f"After “I have read this: start the module” the browser is at {page.url}, not at "
            f"the module's content {CONTENT_URL}. Console errors: {console_errors}"
        )
    else:
        expect(page.get_by_role("heading", name="Gout, the activity")).to_be_visible()
        assert content_requests == [CONTENT_URL]
    # The server recorded the launch and sent the browser to the content.
    assert launches == [(302, CONTENT_URL)]

    # Back on the module's page, which now offers to continue or claim credit.
    page.goto(module_path)
    panel = page.locator("#licensing")
    expect(panel.locator("#start-module")).to_have_text("Continue")
    panel.get_by_role("link", name="Claim credit", exact=True).click()
    expect(page).to_have_url(re.compile(re.escape(module_path) + "/complete$"))
    expect(page.get_by_role("heading", name="Complete and claim credit")).to_be_visible()
    page.get_by_label("Minutes you spent on the activity").fill("30")
    ama = page.get_by_label(re.compile(r"^AMA PRA Category 1 Credit\(s\)™: up to 0\.5,"))
    ama.fill("0.5")
    # James is a physician: MOC points are offered too; he claims only the AMA credit.
    page.get_by_label(re.compile(r"^ABIM MOC point\(s\)")).fill("")
    page.get_by_label("I attest that I completed this activity").check()
    page.get_by_role("button", name="Complete and get my certificate").click()

    # The transcript, with the new completion highlighted.
    expect(page).to_have_url(re.compile(r"/transcript\?done=[^&]+$"))
    expect(page.get_by_role("heading", name="Transcript", level=1)).to_be_visible()
    flash = page.get_by_role("alert").filter(has_text="Completed. Your certificate number is")
    expect(flash).to_be_visible()
    number = re.search(r"certificate number is (\S+?)\.?\s*$", flash.inner_text().strip())[1]
    assert page.url.endswith(f"done={number}")
    done = page.locator("#completions tr.table-success")
    expect(done).to_have_count(1)
    expect(done).to_contain_text(TITLE)
    expect(done).to_contain_text(PROVIDER)
    expect(done).to_contain_text("0.5 AMA PRA Category 1")
    expect(done).not_to_contain_text("MOC")

    # The certificate is a PDF naming its number. It is served inline, so the link opens it
    # in Chromium's PDF viewer; its bytes are then downloaded with the browser's cookies.
    link = done.get_by_role("link", name=number)
    href = link.get_attribute("href")
    assert href == f"/certificates/{number}.pdf"
    with page.expect_response(lambda response: response.url == site.base_url + href) as opened:
        link.click()
    assert opened.value.status == 200
    assert opened.value.headers["content-type"] == "application/pdf"
    certificate = page.request.get(href)
    assert certificate.status == 200
    assert certificate.headers["content-type"] == "application/pdf"
    assert f'filename="{number}.pdf"' in certificate.headers["content-disposition"]
    pdf = certificate.body()
    assert pdf.startswith(b"%PDF"), pdf[:20]
    text = pdf_text(pdf)
    assert f"Certificate number {number}" in text, text
    assert JAMES[1] in text, text
    assert "0.5 AMA PRA Category 1 Credit(s)™" in text, text

    # The module page now offers the certificate instead of a start.
    page.goto(module_path)
    panel = page.locator("#licensing")
    expect(panel).to_contain_text("You completed this version on")
    expect(panel.get_by_role("link", name=f"Certificate {number}")).to_be_visible()
    expect(panel.locator("#start-module")).to_have_count(0)
    sign_out(page, JAMES)

    # 4. A member of another association may not take it, and is told who could license it.
    sign_in(page, ANA)
    response = page.goto(f"{module_path}/start")
    assert response is not None and response.status == 403
    refused = page.locator("main")
    expect(refused.get_by_text("403", exact=True)).to_be_visible()
    # The message names the module, and who could license it: the learner's own education
    # staff, from the provider of record (its exact wording is the app's to choose).
    who = re.compile(
        rf"education staff of {re.escape(OTHER_ASSOCIATION)}\b.*\b{re.escape(PROVIDER)}", re.I
    )
    expect(refused).to_contain_text(f"“{TITLE}”")
    expect(refused).to_contain_text(who)
    # The module page says the same, and offers no way in.
    page.goto(module_path)
    expect(page.locator("#access-refusal")).to_contain_text(who)
    expect(page.locator("#start-module")).to_have_count(0)
    expect(page.locator("#request-license")).to_have_count(0)

    assert not launch_problems, launch_problems[0]
    assert outside == [], f"Requests outside the test server: {outside}"
    assert page_errors == [], f"JavaScript errors in the page: {page_errors}"
    assert "Traceback" not in site.server_log(), "The server logged an exception"
