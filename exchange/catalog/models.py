"""CME modules and what hangs off them.

Professions, specialties and credit designations are rows (the catalog filters on them);
objectives, keywords, faculty and commercial support are JSON lists owned by the module and
never queried on their own. A published module's every version is kept as a JSON snapshot.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from exchange import vocab
from exchange.accounts.models import User
from exchange.database import UTCDateTime, utcnow, vocab_enum
from exchange.extensions import db
from exchange.organizations.models import Organization


class Module(db.Model):
    __tablename__ = "modules"
    __table_args__ = (
        # The provider's own activity ID: reporting upserts on it, so it is unique per provider.
        UniqueConstraint("provider_id", "provider_activity_id"),
        CheckConstraint("estimated_minutes IS NULL OR estimated_minutes > 0", name="minutes"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(500), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    competencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    outcome_levels: Mapped[list[str]] = mapped_column(JSON, default=list)
    format: Mapped[str | None] = mapped_column(vocab_enum(vocab.FORMATS, "module_format"))
    delivery: Mapped[str | None] = mapped_column(vocab_enum(vocab.DELIVERIES, "module_delivery"))
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    release_date: Mapped[date | None] = mapped_column(Date)
    last_review_date: Mapped[date | None] = mapped_column(Date)
    termination_date: Mapped[date | None] = mapped_column(Date, index=True)
    provider_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    owner_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="RESTRICT"), index=True
    )
    provider_activity_id: Mapped[str | None] = mapped_column(String(100))
    content_url: Mapped[str | None] = mapped_column(String(2000))
    content_file: Mapped[str | None] = mapped_column(String(300))
    content_file_name: Mapped[str | None] = mapped_column(String(300))
    # [{name, role, disclosures: null | [{company, relationship, mitigated}]}];
    # null disclosures = not collected yet, [] = no relevant financial relationships.
    faculty: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    commercial_support: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(
        vocab_enum(vocab.MODULE_STATUSES, "module_status"), default="draft", index=True
    )
    version: Mapped[int] = mapped_column(Integer, default=1)
    version_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    provider: Mapped[Organization | None] = relationship(foreign_keys=[provider_id])
    owner: Mapped[Organization] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User | None] = relationship()
    profession_rows: Mapped[list[ModuleProfession]] = relationship(
        cascade="all, delete-orphan", order_by="ModuleProfession.profession"
    )
    specialty_rows: Mapped[list[ModuleSpecialty]] = relationship(
        cascade="all, delete-orphan", order_by="ModuleSpecialty.specialty"
    )
    credits: Mapped[list[ModuleCredit]] = relationship(
        cascade="all, delete-orphan", order_by="ModuleCredit.id"
    )
    versions: Mapped[list[ModuleVersion]] = relationship(
        cascade="all, delete-orphan", order_by="ModuleVersion.version", viewonly=False
    )

    @property
    def professions(self) -> list[str]:
        return [row.profession for row in self.profession_rows]

    @property
    def specialties(self) -> list[str]:
        return [row.specialty for row in self.specialty_rows]

    def is_available(self, on: date) -> bool:
        """Published, released, not past termination, and its provider of record still
        accredited: credit can be earned today. `available_clause` is its query twin."""
        return (
            self.status == "published"
            and self.release_date is not None
            and self.release_date <= on
            and self.termination_date is not None
            and self.termination_date >= on
            and self.provider is not None
            and self.provider.is_accredited(on)
        )

    @classmethod
    def available_clause(cls, on: date):
        provider_is_accredited = (
            select(Organization.id)
            .where(Organization.id == cls.provider_id, Organization.accredited_clause(on))
            .exists()
        )
        return and_(
            cls.status == "published",
            cls.release_date <= on,
            cls.termination_date >= on,
            provider_is_accredited,
        )

    def is_past_termination(self, on: date) -> bool:
        return self.termination_date is not None and self.termination_date < on

    def __repr__(self) -> str:
        return f"<Module {self.id} v{self.version} {self.status}>"


class ModuleProfession(db.Model):
    __tablename__ = "module_professions"

    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    profession: Mapped[str] = mapped_column(
        vocab_enum(vocab.PROFESSIONS, "profession"), primary_key=True, index=True
    )


class ModuleSpecialty(db.Model):
    __tablename__ = "module_specialties"

    module_id: Mapped[int] = mapped_column(
        ForeignKey("modules.id", ondelete="CASCADE"), primary_key=True
    )
    specialty: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ModuleCredit(db.Model):
    """A credit designation: the maximum of one credit type the module awards."""

    __tablename__ = "module_credits"
    __table_args__ = (
        UniqueConstraint("module_id", "credit_type"),
        CheckConstraint("amount_hundredths > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    credit_type: Mapped[str] = mapped_column(
        vocab_enum(vocab.CREDIT_TYPES, "credit_type"), index=True
    )
    # Hundredths of a credit: exact sums in SQL on every database, no float rounding.
    amount_hundredths: Mapped[int] = mapped_column(Integer)
    # ACPE's Universal Activity Number, required for ACPE contact hours.
    uan: Mapped[str | None] = mapped_column(String(30))

    @property
    def amount(self) -> Decimal:
        return Decimal(self.amount_hundredths) / 100

    @property
    def label(self) -> str:
        return vocab.CREDIT_TYPES[self.credit_type]


class ModuleVersion(db.Model):
    """A published version of a module, as it read when that version began."""

    __tablename__ = "module_versions"
    __table_args__ = (UniqueConstraint("module_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("modules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    change_note: Mapped[str] = mapped_column(String(500), default="")

    created_by: Mapped[User | None] = relationship()
