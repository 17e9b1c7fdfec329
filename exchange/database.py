"""Database helpers shared by every feature: UTC timestamps and the request's unit of work.

Services never commit (ARCHITECTURE.md, practice 2). A view, API endpoint or CLI command
wraps its service calls in `transaction()`, which commits once or rolls back everything,
then runs the after-commit callbacks (search indexing) only when the commit succeeded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from flask import g, has_app_context
from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

from exchange.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The current date in UTC: the one clock every date rule reads."""
    return utcnow().date()


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def vocab_enum(values: dict[str, str], name: str) -> Enum:
    """A column type for a vocabulary: VARCHAR plus a CHECK constraint, the same everywhere."""
    return Enum(*values, name=name, native_enum=False, create_constraint=True, length=30)


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the current `transaction()` has committed; never on rollback."""
    if not has_app_context():
        return
    g.setdefault("after_commit_callbacks", []).append(callback)


@contextmanager
def transaction() -> Iterator[None]:
    """Commit the session once at the end of the block, or roll back on any exception."""
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        g.pop("after_commit_callbacks", None)
        raise
    callbacks = g.pop("after_commit_callbacks", [])
    for callback in callbacks:
        callback()
