"""Seats are never oversubscribed: 50 members launch at once on a license with 5 seats.

This needs real concurrent transactions, so it runs on PostgreSQL only (TEST_DATABASE_URL),
in a database of its own (created and dropped here) rather than in the suite's rolled-back
test transaction: every request commits for real, through the JSON API, from 50 threads.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, func, select, text

from exchange import create_app
from exchange.accounts import services as accounts
from exchange.config import normalize_database_url
from exchange.database import today, transaction
from exchange.extensions import db
from exchange.licensing import services as licensing
from exchange.licensing.models import LicenseSeat
from exchange.organizations import services as organizations
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, app_settings
from tests.factories import PASSWORD, module_input

LEARNERS = 50
SEATS = 5

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs TEST_DATABASE_URL (PostgreSQL)"),
]


@pytest.fixture
def seat_app(tmp_path):
    name = "exchange_seat_concurrency"
    server = create_engine(normalize_database_url(TEST_DATABASE_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = TEST_DATABASE_URL.rsplit("/", 1)[0] + "/" + name
    settings = app_settings(url, tmp_path)
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_size": LEARNERS + 5, "max_overflow": 0}
    app = create_app(settings)
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()
        with server.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        server.dispose()


def _build_world(app) -> tuple[int, list[str]]:
    """A provider, a licensed association with 50 members, and each member's API token."""
    from exchange.catalog import services as catalog
    from exchange.catalog.schemas import ModuleInputSchema

    with app.app_context(), transaction():
        admin = accounts.ensure_platform_admin(email="root@admin.test", password=PASSWORD)
        provider = organizations.create_organization(
            admin,
            {
                "name": "Seat Provider",
                "kind": "provider",
                "accreditor": "accme",
                "accredited_until": today() + timedelta(days=700),
                "is_ineligible_company": False,
                "description": "",
                "website": None,
            },
        )
        association = organizations.create_organization(
            admin,
            {
                "name": "Seat Association",
                "kind": "association",
                "accreditor": None,
                "accredited_until": None,
                "is_ineligible_company": False,
                "description": "",
                "website": None,
            },
        )

        def person(org, role, n):
            return organizations.add_member(
                admin,
                org,
                {
                    "email": f"{role}{n}@seats.test",
                    "full_name": f"Seat {role} {n}",
                    "profession": "physician",
                    "role": role,
                    "password": PASSWORD,
                },
            ).user

        staff = person(provider, "staff", 0)
        module = catalog.create_module(
            staff, ModuleInputSchema().load(module_input(provider, provider))
        )
        catalog.publish_module(staff, module)
        offer = licensing.create_offer(
            staff,
            module,
            {
                "name": "Five seats",
                "pricing": "free",
                "price_cents": 0,
                "term_months": 12,
                "seat_limit": SEATS,
            },
        )
        licensing.grant_license(
            staff, {"module_id": module.id, "offer_id": offer.id, "licensee_id": association.id}
        )
        tokens = [
            accounts.issue_token(person(association, "member", n))[0] for n in range(LEARNERS)
        ]
        return module.id, tokens


def test_fifty_launches_on_five_seats(seat_app):
    module_id, tokens = _build_world(seat_app)
    start = threading.Barrier(LEARNERS)
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def launch(token: str) -> None:
        client = seat_app.test_client()
        start.wait()
        response = client.post(
            f"/api/v1/modules/{module_id}/launch", headers={"Authorization": f"Bearer {token}"}
        )
        with lock:
            answers.append((response.status_code, response.get_json().get("message", "")))

    threads = [threading.Thread(target=launch, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    codes = Counter(code for code, _ in answers)
    assert codes == {200: SEATS, 409: LEARNERS - SEATS}, answers
    assert all("No seats left" in message for code, message in answers if code == 409)
    with seat_app.app_context():
        assert db.session.scalar(select(func.count(LicenseSeat.id))) == SEATS
