"""Offers, licenses and the seats learners take on them.

A license stores decisions only (`status`: requested, approved, declined, withdrawn,
revoked). Whether an approved license is scheduled, active or expired follows from its
dates and the day asked about (`state_on`, and its SQL twin `state_clause`). The history of
decisions is the license's audit trail (exchange.audit), not a second copy of it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import vocab
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import UTCDateTime, utcnow, vocab_enum
from exchange.extensions import db
from exchange.organizations.models import Organization

# The terms copied into a license when it is approved or granted.
TERM_FIELDS = (
    "name",
    "pricing",
    "price_cents",
    "currency",
    "term_months",
    "seat_limit",
    "co_branding",
    "modification",
)


class Offer(db.Model):
    """The terms a provider offers a module under. Deactivated rather than deleted once a
    license refers to it; editing it never changes an existing license (terms are copied)."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("price_cents >= 0", name="price"),
        CheckConstraint("term_months >= 1", name="term"),
        CheckConstraint("seat_limit IS NULL OR seat_limit >= 1", name="seat_limit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    pricing: Mapped[str] = mapped_column(vocab_enum(vocab.PRICINGS, "offer_pricing"))
    price_cents: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    term_months: Mapped[int] = mapped_column(Integer)
    seat_limit: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    co_branding: Mapped[bool] = mapped_column(Boolean, default=False)
    modification: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    module: Mapped[Module] = relationship()

    def terms(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in TERM_FIELDS}

    def __repr__(self) -> str:
        return f"<Offer {self.id} module={self.module_id} {self.pricing}>"


class License(db.Model):
    """An organization's right to let its members take a module, and the decisions on it."""

    __tablename__ = "licenses"
    __table_args__ = (
        # One open request per module and licensee at a time.
        Index(
            "uq_licenses_open_request",
            "module_id",
            "licensee_id",
            unique=True,
            sqlite_where=text("status = 'requested'"),
            postgresql_where=text("status = 'requested'"),
        ),
        Index("ix_licenses_licensee_state", "licensee_id", "status", "end_date"),
        Index("ix_licenses_licensor_state", "licensor_id", "status", "end_date"),
        # Covers the sharing network's grouping of licenses by (licensor, licensee).
        Index(
            "ix_licenses_sharing",
            "licensor_id",
            "licensee_id",
            "status",
            "module_id",
            "start_date",
            "end_date",
        ),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats"),
        CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR end_date >= start_date", name="dates"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="RESTRICT"), index=True
    )
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="RESTRICT"), index=True)
    # The provider of record when the license was made: it decides, its staff see it.
    licensor_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    licensee_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(vocab_enum(vocab.LICENSE_STATUSES, "license_status"))
    seats: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    requested_start_date: Mapped[date | None] = mapped_column(Date)
    start_date: Mapped[date | None] = mapped_column(Date)
    # The last day of access: the day before start + term (a 12-month license from 1 Jan
    # runs to 31 Dec), never after the module's termination date.
    end_date: Mapped[date | None] = mapped_column(Date)
    message: Mapped[str] = mapped_column(Text, default="")
    # The offer's terms as the licensee saw them when asking, and the copy made at approval
    # (TERM_FIELDS); approval refuses terms that changed in between.
    requested_terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    terms: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    module: Mapped[Module] = relationship()
    offer: Mapped[Offer] = relationship()
    licensor: Mapped[Organization] = relationship(foreign_keys=[licensor_id])
    licensee: Mapped[Organization] = relationship(foreign_keys=[licensee_id])
    requested_by: Mapped[User | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def state_on(self, on: date) -> str:
        """The license's state on a day: its decision, or for an approved license where
        that day falls against its dates."""
        if self.status != "approved":
            return self.status
        if self.start_date is not None and on < self.start_date:
            return "scheduled"
        if self.end_date is not None and on > self.end_date:
            return "expired"
        return "active"

    def is_active(self, on: date) -> bool:
        return self.state_on(on) == "active"

    @classmethod
    def active_clause(cls, on: date):
        """The SQL twin of `is_active`."""
        return and_(cls.status == "approved", cls.start_date <= on, cls.end_date >= on)

    @classmethod
    def state_clause(cls, state: str, on: date):
        """Licenses in `state` (a LICENSE_STATES code) on day `on`, in SQL."""
        if state == "active":
            return cls.active_clause(on)
        if state == "scheduled":
            return and_(cls.status == "approved", cls.start_date > on)
        if state == "expired":
            return and_(cls.status == "approved", cls.end_date < on)
        return cls.status == state

    def __repr__(self) -> str:
        return f"<License {self.id} module={self.module_id} {self.status}>"


class LicenseSeat(db.Model):
    """One learner's seat on a license: taken at their first launch, kept for the term."""

    __tablename__ = "license_seats"
    __table_args__ = (UniqueConstraint("license_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    license_id: Mapped[int] = mapped_column(ForeignKey("licenses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
