"""Test fixtures: one app per session (schema built by the Alembic migrations), one outer
transaction per test rolled back at the end, and a client whose every request runs in a
fresh app context (its own session, `g` and signed-in user), as in production.

Set TEST_DATABASE_URL to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask.testing import FlaskClient
from sqlalchemy import event, text

from exchange import create_app
from exchange.extensions import db
from exchange.search.indexing import get_index

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
ON_POSTGRES = bool(TEST_DATABASE_URL and TEST_DATABASE_URL.startswith("postgres"))


class RequestClient(FlaskClient):
    """Each request in its own app context; the test's session is expired afterwards so
    assertions read what the request committed."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.expire_all()
        return response


def _reset_schema(app) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade()


def app_settings(database_url: str, base) -> dict:
    """The settings of an app under test: its own database, index and upload folders."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key",
        "WTF_CSRF_ENABLED": False,
        # Limits on, set high; test_sign_in_is_rate_limited lowers the sign-in one.
        "RATELIMIT_ENABLED": True,
        "SIGNIN_RATE_LIMIT": "10000 per minute",
        "SEARCH_INDEX_DIR": str(base / "index"),
        "UPLOAD_DIR": str(base / "uploads"),
        "SERVER_NAME": "localhost",
        # Hashing strength is not under test here; scrypt would dominate the run time.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    base = tmp_path_factory.mktemp("exchange")
    url = TEST_DATABASE_URL or f"sqlite:///{base / 'test.db'}"
    app = create_app(app_settings(url, base))
    app.test_client_class = RequestClient
    _reset_schema(app)
    with app.app_context():
        # Sessions join the test's outer transaction through savepoints.
        db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    yield app
    with app.app_context():
        db.engine.dispose()  # close pooled connections (psycopg warns about open ones)


@pytest.fixture(autouse=True)
def _transaction(app, tmp_path) -> Iterator[None]:
    # Each test gets its own empty search index, as it gets its own transaction.
    app.config["SEARCH_INDEX_DIR"] = str(tmp_path / "search-index")
    ctx = app.app_context()
    ctx.push()
    get_index().create_empty()
    engines = db._app_engines[app]
    engine = engines[None]
    connection = engine.connect()
    outer = connection.begin()
    engines[None] = connection  # every session of this test talks through this connection
    try:
        yield
    finally:
        db.session.remove()
        engines[None] = engine
        outer.rollback()
        connection.close()
        ctx.pop()


@pytest.fixture
def client(app) -> RequestClient:
    return app.test_client()


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter:` counts SQL statements (savepoints excluded)."""
    from sqlalchemy.engine import Engine

    @contextmanager
    def counting() -> Iterator[QueryCounter]:
        counter = QueryCounter()

        def before(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                counter.statements.append(statement)

        event.listen(Engine, "before_cursor_execute", before)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", before)

    return counting
