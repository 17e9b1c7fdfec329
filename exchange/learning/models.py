"""Launches, completions and the credit claimed on them.

A completion keeps what its certificate states as it stood that day (the learner's name and
profession, the module's title and version, the provider of record), so a certificate reads
the same when it is downloaded again years later.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import vocab
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import UTCDateTime, utcnow, vocab_enum
from exchange.extensions import db
from exchange.licensing.models import License
from exchange.organizations.models import Organization


class ModuleLaunch(db.Model):
    """A learner opened a module's content (every launch is kept: it is the access log)."""

    __tablename__ = "module_launches"
    __table_args__ = (Index("ix_module_launches_user_module", "user_id", "module_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"), index=True)
    # None when the learner's own organization owns or provides the module.
    license_id: Mapped[int | None] = mapped_column(
        ForeignKey("licenses.id", ondelete="CASCADE"), index=True
    )
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    launched_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Completion(db.Model):
    """A learner finished a module version, attested the time and claimed credit."""

    __tablename__ = "completions"
    __table_args__ = (
        UniqueConstraint("user_id", "module_id", "module_version"),
        CheckConstraint("minutes_spent >= 1", name="minutes"),
        Index("ix_completions_module", "module_id", "completed_on"),
        # The sharing network reads only these columns of every completion: a covering
        # index it scans in (provider, organization, learner) order, and one for learners
        # per provider (exchange.sharing.services; measured in bench/sharing.py). Reports
        # and dashboards of one provider seek on the first. No index leads with the date:
        # SQLite would then pick it for a date range and sort every match.
        Index(
            "ix_completions_sharing",
            "provider_id",
            "organization_id",
            "user_id",
            "completed_on",
            "license_id",
            "credit_hundredths",
        ),
        Index(
            "ix_completions_provider_learner",
            "provider_id",
            "user_id",
            "license_id",
            "completed_on",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_number: Mapped[str] = mapped_column(String(24), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="RESTRICT"))
    module_version: Mapped[int] = mapped_column(Integer)
    license_id: Mapped[int | None] = mapped_column(
        ForeignKey("licenses.id", ondelete="RESTRICT"), index=True
    )
    # The organization the learner took the module through (the licensee, or their own).
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    provider_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="RESTRICT"))
    profession: Mapped[str] = mapped_column(vocab_enum(vocab.PROFESSIONS, "completion_profession"))
    learner_name: Mapped[str] = mapped_column(String(200))
    module_title: Mapped[str] = mapped_column(String(200))
    minutes_spent: Mapped[int] = mapped_column(Integer)
    # The credit awarded, all types together, in hundredths: what the certificate states,
    # fixed when the completion is made (its claims never change afterwards).
    credit_hundredths: Mapped[int] = mapped_column(Integer, default=0)
    completed_on: Mapped[date] = mapped_column(Date)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    module: Mapped[Module] = relationship()
    license: Mapped[License | None] = relationship()
    organization: Mapped[Organization] = relationship(foreign_keys=[organization_id])
    provider: Mapped[Organization] = relationship(foreign_keys=[provider_id])
    credits: Mapped[list[CompletionCredit]] = relationship(
        cascade="all, delete-orphan", order_by="CompletionCredit.id"
    )


class CompletionCredit(db.Model):
    """Credit of one type claimed on a completion."""

    __tablename__ = "completion_credits"
    __table_args__ = (
        UniqueConstraint("completion_id", "credit_type"),
        CheckConstraint("amount_hundredths > 0", name="amount_positive"),
        # Credit of one type (the sharing network's credit-type filter).
        Index("ix_completion_credits_type", "credit_type", "completion_id", "amount_hundredths"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    completion_id: Mapped[int] = mapped_column(ForeignKey("completions.id", ondelete="CASCADE"))
    credit_type: Mapped[str] = mapped_column(vocab_enum(vocab.CREDIT_TYPES, "claimed_credit_type"))
    amount_hundredths: Mapped[int] = mapped_column(Integer)

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_hundredths) / 100

    @property
    def label(self) -> str:
        return vocab.CREDIT_TYPES[self.credit_type]
