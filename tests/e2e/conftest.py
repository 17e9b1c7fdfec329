"""Fixtures for the browser tests: the real app served by `flask run` in a subprocess, and
Debian's Chromium driven by Playwright.

The server gets its own temporary SQLite database (built by `flask db upgrade`) and its
own search-index and upload folders, so a run never touches `instance/`. Its accounts and
the accredited provider are created through the services, as `flask seed` would.

Run with `make e2e` (the default pytest options deselect the `e2e` marker).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS_DIR = PROJECT_ROOT / "test-results"  # gitignored
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; Playwright never downloads one here
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERVER_START_TIMEOUT = 30.0

# Runs in a subprocess against the server's database: the data every browser test needs.
SEED_SCRIPT = """
import json
import sys
from datetime import timedelta

from exchange import create_app
from exchange.accounts import services as accounts
from exchange.database import today, transaction
from exchange.organizations import services as organizations

spec = json.loads(sys.argv[1])
app = create_app()
with app.app_context(), transaction():
    admin = accounts.ensure_platform_admin(email=spec["admin_email"], password=spec["password"])
    provider = organizations.create_organization(
        admin,
        {
            "name": spec["provider_name"],
            "kind": "provider",
            "accreditor": "accme",
            "accredited_until": today() + timedelta(days=730),
            "is_ineligible_company": False,
            "description": "An ACCME-accredited provider for the browser test.",
            "website": None,
        },
    )
    provider_id = provider.id
    organizations.add_member(
        admin,
        provider,
        {
            "email": spec["staff_email"],
            "full_name": spec["staff_name"],
            "profession": "physician",
            "role": "staff",
            "password": spec["password"],
        },
    )

# The demo catalog around it, and its search index, as `make run` would have them.
from exchange.search.indexing import rebuild_index
from seed.loader import load_demo

with app.app_context():
    load_demo()
    rebuild_index()
"""


@dataclass(frozen=True)
class Site:
    """The running server and the people in its database."""

    base_url: str
    log_path: Path
    password: str
    admin_email: str
    provider_name: str
    staff_email: str
    staff_name: str

    def server_log(self) -> str:
        return self.log_path.read_text(errors="replace")


# The root conftest wraps every test in a rolled-back transaction on an in-process app.
# The browser talks to a separate server process, so these tests need neither.
@pytest.fixture(autouse=True)
def _transaction() -> Iterator[None]:
    yield


_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item, so the `page` fixture knows a test failed."""
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 60) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return "(no server log)"


def _run(args: list[str], env: dict[str, str], what: str) -> None:
    result = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"{what} failed (exit {result.returncode}):\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


def _wait_until_answering(process: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"The server exited with code {process.returncode} before answering:\n"
                f"{_tail(log_path)}",
                pytrace=False,
            )
        try:
            with urllib.request.urlopen(f"{base_url}/", timeout=2):  # noqa: S310 - http on localhost
                return
        except urllib.error.HTTPError:
            return  # it answered; the test itself judges the answer
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(
        f"The server did not answer within {SERVER_START_TIMEOUT:.0f} s:\n{_tail(log_path)}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`flask run` on a free port, on a fresh database with an admin, an ACCME-accredited
    provider and a member of its education staff, next to the demo catalog."""
    base = tmp_path_factory.mktemp("e2e")
    port = _free_port()
    site = Site(
        base_url=f"http://127.0.0.1:{port}",
        log_path=base / "server.log",
        password="correct horse battery staple",
        admin_email="root@admin.test",
        provider_name="Lakeside Heart Institute",
        staff_email="educator@lakeside.test",
        staff_name="Morgan Educator",
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("FLASK_", "WERKZEUG_")) and key != "TEST_DATABASE_URL"
    }
    env.update(
        {
            "FLASK_APP": "wsgi",
            "FLASK_SKIP_DOTENV": "1",
            "EXCHANGE_ENV": "development",
            "DATABASE_URL": f"sqlite:///{base / 'exchange.db'}",
            "SECRET_KEY": secrets.token_hex(32),
            "RATELIMIT_ENABLED": "0",
            "SEARCH_INDEX_DIR": str(base / "search-index"),
            "UPLOAD_DIR": str(base / "uploads"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    _run(["-m", "flask", "--app", "wsgi", "db", "upgrade"], env, "`flask db upgrade`")
    spec = {
        "admin_email": site.admin_email,
        "password": site.password,
        "provider_name": site.provider_name,
        "staff_email": site.staff_email,
        "staff_name": site.staff_name,
    }
    _run(["-c", SEED_SCRIPT, json.dumps(spec)], env, "Creating the test data")

    with site.log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "flask", "--app", "wsgi", "run"]
            + ["--host", "127.0.0.1", "--port", str(port), "--no-reload", "--no-debugger"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_answering(process, site.base_url, site.log_path)
            yield site
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. The browser tests use Debian's "
            "package (Playwright never downloads a browser here): run "
            "`apt-get install -y chromium` (as root), then `make e2e` again.",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page_errors() -> list[str]:
    """Uncaught JavaScript errors of the `page`, in order."""
    return []


@pytest.fixture
def page(
    browser: Browser, site: Site, page_errors: list[str], request: pytest.FixtureRequest
) -> Iterator[Page]:
    """A fresh browser context (no cookies) on the site; a screenshot if the test fails."""
    context = browser.new_context(
        base_url=site.base_url, viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    try:
        yield page
    finally:
        reports = request.node.stash.get(_phase_reports, {})
        if any(report.failed for report in reports.values()):
            RESULTS_DIR.mkdir(exist_ok=True)
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
            shot = RESULTS_DIR / f"{name}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"Screenshot of the failure: {shot}")
            print(f"Page at failure: {page.url}")
            print(f"Server log (last lines):\n{_tail(site.log_path)}")
        context.close()
