"""The demo catalog, loaded once per test session into its own database and index, for
relevance and search-behaviour tests that read (never change) it."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from exchange import create_app
from exchange.extensions import db
from tests.conftest import ON_POSTGRES, TEST_DATABASE_URL, app_settings


def _fresh_postgres_database(url: str, suffix: str) -> str:
    """A new, empty database next to the test database (dropped first if left over)."""
    base = make_url(url)
    name = f"{base.database}{suffix}"
    admin = create_engine(base.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def demo_app(tmp_path_factory):
    from flask_migrate import upgrade

    from exchange.search.indexing import rebuild_index
    from seed.loader import load_demo

    base = tmp_path_factory.mktemp("demo-catalog")
    url = (
        _fresh_postgres_database(TEST_DATABASE_URL, "_demo")
        if ON_POSTGRES
        else f"sqlite:///{base / 'demo.db'}"
    )
    app = create_app(app_settings(url, base))
    with app.app_context():
        upgrade()
        load_demo()
        rebuild_index()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def demo(demo_app):
    """An app context of the demo catalog (its own database and index)."""
    with demo_app.app_context():
        yield demo_app
        db.session.remove()
