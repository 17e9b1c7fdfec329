"""The search outbox (modules whose index entry must be refreshed) and the search log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from exchange.database import UTCDateTime, utcnow
from exchange.extensions import db


class SearchOutbox(db.Model):
    """Written in the same transaction as a catalog change; drained into the index after
    the commit. A row that outlives its request (a crash, a lock timeout) is picked up by
    the next drain and by `flask search verify --repair`."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key: the row must survive the deletion of its module (to remove the entry).
    module_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class SearchEvent(db.Model):
    """One catalog search, for the demand reports: never more than the searcher's
    organization about who searched."""

    __tablename__ = "search_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    query: Mapped[str] = mapped_column(String(200), default="")
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    result_count: Mapped[int] = mapped_column(Integer)
    duration_ms: Mapped[int] = mapped_column(Integer)
    suggestion: Mapped[str | None] = mapped_column(String(200))
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="SET NULL"), index=True
    )


class SearchEventProvider(db.Model):
    """A provider whose modules were on the first page of a search: how a provider learns
    which searches found its modules (for its dashboard), without recording any person."""

    __tablename__ = "search_event_providers"

    search_event_id: Mapped[int] = mapped_column(
        ForeignKey("search_events.id", ondelete="CASCADE"), primary_key=True
    )
    provider_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    hits: Mapped[int] = mapped_column(Integer)
