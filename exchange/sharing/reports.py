"""Reports: the PARS learner counts of a provider, and a licensee's member completions.

Counted from verified completions only (never launches), in SQL: a few grouped queries per
report whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import case, extract, func, select

from exchange import permissions, vocab
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.errors import PermissionDeniedError
from exchange.exports import csv_text
from exchange.extensions import db
from exchange.learning.models import Completion, CompletionCredit
from exchange.organizations.models import Organization


@dataclass
class LearnerCountRow:
    """One activity and calendar year, as a provider reports it to ACCME (PARS)."""

    module_id: int
    module_title: str
    provider_activity_id: str | None
    year: int
    physician_learners: int = 0
    other_learners: int = 0
    credits: dict[str, Decimal] = field(default_factory=dict)
    licensees: list[int] = field(default_factory=list)
    licensee_names: list[str] = field(default_factory=list)


def can_view_provider_reports(actor: User | None, provider: Organization) -> bool:
    return permissions.is_platform_admin(actor) or permissions.is_staff_of(actor, provider.id)


def report_providers(actor: User | None) -> list[Organization]:
    """The providers whose reports `actor` may read: every provider for a platform admin,
    otherwise those they are education staff of."""
    stmt = select(Organization).where(Organization.kind.in_(("provider", "both")))
    if not permissions.is_platform_admin(actor):
        stmt = stmt.where(
            Organization.id.in_(actor.organization_ids(*permissions.EDITOR_ROLES) if actor else [])
        )
    return list(db.session.scalars(stmt.order_by(func.lower(Organization.name))))


def default_report_provider(actor: User | None) -> Organization:
    providers = report_providers(actor)
    if not providers:
        raise PermissionDeniedError("Learner counts are for education staff of providers.")
    return providers[0]


def learner_counts(
    actor: User | None, provider: Organization, year: int | None = None
) -> list[LearnerCountRow]:
    """Per module of the provider and calendar year: physician and other learners (distinct
    people), credits awarded by type, and the licensee organizations they came through."""
    if not can_view_provider_reports(actor, provider):
        raise PermissionDeniedError(
            f"Only education staff of {provider.name} see the learner counts of its modules."
        )
    year_col = extract("year", Completion.completed_on)
    conditions = [Completion.provider_id == provider.id]
    if year is not None:
        conditions.append(year_col == year)
    rows: dict[tuple[int, int], LearnerCountRow] = {}
    physician = Completion.profession == "physician"
    for module_id, title, activity_id, y, physicians, others in db.session.execute(
        select(
            Completion.module_id,
            Module.title,
            Module.provider_activity_id,
            year_col,
            func.count(func.distinct(case((physician, Completion.user_id)))),
            func.count(func.distinct(case((~physician, Completion.user_id)))),
        )
        .join(Module, Module.id == Completion.module_id)
        .where(*conditions)
        .group_by(Completion.module_id, Module.title, Module.provider_activity_id, year_col)
    ):
        rows[(module_id, int(y))] = LearnerCountRow(
            module_id, title, activity_id, int(y), physicians, others
        )
    for module_id, y, credit_type, total in db.session.execute(
        select(
            Completion.module_id,
            year_col,
            CompletionCredit.credit_type,
            func.sum(CompletionCredit.amount_hundredths),
        )
        .join(Completion, Completion.id == CompletionCredit.completion_id)
        .where(*conditions)
        .group_by(Completion.module_id, year_col, CompletionCredit.credit_type)
    ):
        rows[(module_id, int(y))].credits[credit_type] = Decimal(int(total)) / 100
    for module_id, y, organization_id, name in db.session.execute(
        select(Completion.module_id, year_col, Completion.organization_id, Organization.name)
        .join(Organization, Organization.id == Completion.organization_id)
        .where(*conditions, Completion.license_id.is_not(None))
        .group_by(Completion.module_id, year_col, Completion.organization_id, Organization.name)
        .order_by(Completion.organization_id)
    ):
        rows[(module_id, int(y))].licensees.append(organization_id)
        rows[(module_id, int(y))].licensee_names.append(name)
    return sorted(rows.values(), key=lambda r: (-r.year, r.module_title.casefold()))


SHARING_COLUMNS = (
    "provider_id",
    "provider_name",
    "organization_id",
    "organization_name",
    "modules",
    "active_licenses",
    "learners",
    "credits_awarded",
    "first_shared",
    "latest_shared",
)


def sharing_csv(edges) -> str:
    """The links of the sharing network (exchange.sharing.services.Edge), one row each."""
    return csv_text(
        SHARING_COLUMNS,
        (
            [
                e.provider_id,
                e.provider_name,
                e.organization_id,
                e.organization_name,
                e.modules,
                e.active_licenses,
                e.learners,
                f"{e.credits_awarded:.2f}",
                e.first_shared.isoformat() if e.first_shared else "",
                e.latest_shared.isoformat() if e.latest_shared else "",
            ]
            for e in edges
        ),
    )


LEARNER_COUNT_COLUMNS = (
    "year",
    "provider_activity_id",
    "module_id",
    "module_title",
    "physician_learners",
    "other_learners",
    *(f"credits_{credit_type}" for credit_type in vocab.CREDIT_TYPES),
    "licensee_organization_ids",
    "licensee_organizations",
)


def learner_counts_csv(rows: list[LearnerCountRow]) -> str:
    return csv_text(
        LEARNER_COUNT_COLUMNS,
        (
            [
                row.year,
                row.provider_activity_id or "",
                row.module_id,
                row.module_title,
                row.physician_learners,
                row.other_learners,
                *(f"{row.credits[t]:.2f}" if t in row.credits else "" for t in vocab.CREDIT_TYPES),
                " ".join(str(i) for i in row.licensees),
                "; ".join(row.licensee_names),
            ]
            for row in rows
        ),
    )


@dataclass
class MemberCompletionsRow:
    """A licensee's view: its members' completions of one module."""

    module_id: int
    module_title: str
    provider_name: str
    completions: int = 0
    learners: int = 0
    credits: dict[str, Decimal] = field(default_factory=dict)


def member_completions(actor: User | None, organization: Organization) -> list:
    """Completions by the organization's members, per module, with credit totals by type."""
    if not (
        permissions.is_platform_admin(actor) or permissions.is_staff_of(actor, organization.id)
    ):
        raise PermissionDeniedError(
            f"Only education staff of {organization.name} see its members' completions."
        )
    provider = Organization.__table__.alias("provider")
    rows: dict[int, MemberCompletionsRow] = {}
    for module_id, title, provider_name, completions, learners in db.session.execute(
        select(
            Completion.module_id,
            Module.title,
            provider.c.name,
            func.count(Completion.id),
            func.count(func.distinct(Completion.user_id)),
        )
        .join(Module, Module.id == Completion.module_id)
        .join(provider, provider.c.id == Completion.provider_id)
        .where(Completion.organization_id == organization.id)
        .group_by(Completion.module_id, Module.title, provider.c.name)
    ):
        rows[module_id] = MemberCompletionsRow(
            module_id, title, provider_name, completions, learners
        )
    for module_id, credit_type, total in db.session.execute(
        select(
            Completion.module_id,
            CompletionCredit.credit_type,
            func.sum(CompletionCredit.amount_hundredths),
        )
        .join(Completion, Completion.id == CompletionCredit.completion_id)
        .where(Completion.organization_id == organization.id)
        .group_by(Completion.module_id, CompletionCredit.credit_type)
    ):
        rows[module_id].credits[credit_type] = Decimal(int(total)) / 100
    return sorted(rows.values(), key=lambda r: r.module_title.casefold())


MEMBER_COMPLETION_COLUMNS = (
    "module_id",
    "module_title",
    "provider_of_record",
    "completions",
    "learners",
    *(f"credits_{credit_type}" for credit_type in vocab.CREDIT_TYPES),
)


def member_completions_csv(rows: list[MemberCompletionsRow]) -> str:
    return csv_text(
        MEMBER_COMPLETION_COLUMNS,
        (
            [
                row.module_id,
                row.module_title,
                row.provider_name,
                row.completions,
                row.learners,
                *(f"{row.credits[t]:.2f}" if t in row.credits else "" for t in vocab.CREDIT_TYPES),
            ]
            for row in rows
        ),
    )
