"""Database helpers shared by every feature: UTC timestamps and the request's unit of work.

Services never commit (ARCHITECTURE.md, practice 2). A view, API endpoint or CLI command
wraps its service calls in `transaction()`, which commits once or rolls back everything.
Commit hooks registered by features (search indexing) run around that single commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator

from exchange.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """The current date where the exchange works (EXCHANGE_TIMEZONE, UTC by default): the
    one clock every date rule reads: license start and end days, termination days."""
    return utcnow().astimezone(_timezone()).date()


def local_date(moment: datetime) -> date:
    """The exchange's day (EXCHANGE_TIMEZONE) of a moment."""
    return moment.astimezone(_timezone()).date()


def _timezone() -> ZoneInfo:
    from flask import current_app, has_app_context

    name = current_app.config.get("EXCHANGE_TIMEZONE", "UTC") if has_app_context() else "UTC"
    return _zone(name)


@functools.cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


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


class CommitHooks:
    """Work tied to a commit: `before` runs while the transaction is still open (e.g. build
    search documents from the rows being committed), `after` only once it has committed
    (e.g. write those documents to the index). Registered once, at app start-up."""

    def __init__(self) -> None:
        self.before: list[Callable[[], None]] = []
        self.after: list[Callable[[], None]] = []
        self.rollback: list[Callable[[], None]] = []


hooks = CommitHooks()


def commit() -> None:
    """Commit the session with the registered hooks around it."""
    db.session.flush()
    for callback in hooks.before:
        callback()
    db.session.commit()
    for callback in hooks.after:
        try:
            callback()
        except Exception:  # noqa: BLE001 - the change is committed; its follow-up is not it
            logging.getLogger(__name__).exception("After-commit work failed.")


def rollback() -> None:
    db.session.rollback()
    for callback in hooks.rollback:
        callback()


@contextmanager
def transaction() -> Iterator[None]:
    """Commit the session once at the end of the block, or roll back on any exception."""
    try:
        yield
        commit()
    except BaseException:
        rollback()
        raise
