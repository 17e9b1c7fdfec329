"""Organizations and memberships."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, String, Text, UniqueConstraint, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import vocab
from exchange.accounts.models import User
from exchange.database import UTCDateTime, utcnow, vocab_enum
from exchange.extensions import db


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(vocab_enum(vocab.ORGANIZATION_KINDS, "organization_kind"))
    accreditor: Mapped[str | None] = mapped_column(vocab_enum(vocab.ACCREDITORS, "accreditor"))
    accredited_until: Mapped[date | None] = mapped_column(Date)
    accreditation_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accreditation_verified_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    is_ineligible_company: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="organization", cascade="all, delete-orphan"
    )

    @property
    def is_provider_kind(self) -> bool:
        return self.kind in ("provider", "both")

    def is_accredited(self, on: date) -> bool:
        """Verified, unexpired accreditation, and not an ineligible company."""
        return bool(
            self.is_provider_kind
            and not self.is_ineligible_company
            and self.accreditor
            and self.accreditation_verified_at is not None
            and self.accredited_until is not None
            and self.accredited_until >= on
        )

    @classmethod
    def accredited_clause(cls, on: date):
        """The SQL twin of `is_accredited`, for listings of eligible providers."""
        return and_(
            cls.kind.in_(("provider", "both")),
            cls.is_ineligible_company.is_(False),
            cls.accreditor.is_not(None),
            cls.accreditation_verified_at.is_not(None),
            cls.accredited_until >= on,
        )

    @property
    def accreditation_statement(self) -> str:
        if not self.accreditor:
            return ""
        return vocab.ACCREDITATION_STATEMENTS[self.accreditor].format(provider=self.name)

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.slug}>"


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(vocab_enum(vocab.ROLES, "membership_role"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship(back_populates="memberships", lazy="joined")
