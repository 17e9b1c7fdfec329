"""Who shares with whom: the provider -> organization links of the exchange, aggregated in SQL.

A link (an "edge") joins an accredited provider of record to an organization it licensed a
module to. Its numbers come from two grouped queries, whatever the size of the network:

- licenses that were approved (still approved, or revoked later), by (licensor, licensee):
  modules shared, active licenses today, first and latest sharing date;
- completions taken through those licenses, by (provider, organization): distinct learners
  and credits awarded.

Who sees what: platform admins see every link; staff of an organization see the links their
organization is party to, and every other link only inside one anonymous total; members and
anonymous visitors see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select

from exchange import permissions
from exchange.accounts.models import User
from exchange.catalog.models import ModuleCredit, ModuleSpecialty
from exchange.database import today as current_day
from exchange.errors import PermissionDeniedError
from exchange.extensions import db
from exchange.learning.models import Completion, CompletionCredit
from exchange.licensing.models import License
from exchange.organizations.models import Organization

SORTS = (
    "learners",
    "credits_awarded",
    "active_licenses",
    "modules",
    "provider_name",
    "organization_name",
    "first_shared",
    "latest_shared",
)
SHARED_STATUSES = ("approved", "revoked")  # licenses that gave access at some point


@dataclass(frozen=True)
class SharingFilters:
    since: date | None = None
    until: date | None = None
    specialty: str | None = None
    credit_type: str | None = None
    active_only: bool = False
    provider_id: int | None = None
    organization_id: int | None = None
    sort: str = "learners"
    descending: bool = True

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SharingFilters:
        names = cls.__dataclass_fields__
        return cls(**{k: v for k, v in params.items() if k in names and v is not None})


@dataclass
class Edge:
    provider_id: int
    organization_id: int
    provider_name: str = ""
    organization_name: str = ""
    modules: int = 0
    active_licenses: int = 0
    learners: int = 0
    credits_awarded: Decimal = Decimal(0)
    first_shared: date | None = None
    latest_shared: date | None = None

    @property
    def key(self) -> tuple[int, int]:
        return (self.provider_id, self.organization_id)


@dataclass
class OthersTotal:
    """Every link the viewer is not party to, as one anonymous total."""

    links: int = 0
    modules: int = 0
    active_licenses: int = 0
    learners: int = 0  # summed per link: a learner reached through two links counts twice
    credits_awarded: Decimal = Decimal(0)


@dataclass
class Network:
    edges: list[Edge]
    others: OthersTotal | None
    filters: SharingFilters
    provider_learners: dict[int, int] = field(default_factory=dict)

    @property
    def providers(self) -> list[tuple[int, str]]:
        return sorted({(e.provider_id, e.provider_name) for e in self.edges}, key=lambda p: p[1])

    @property
    def organizations(self) -> list[tuple[int, str]]:
        return sorted(
            {(e.organization_id, e.organization_name) for e in self.edges}, key=lambda p: p[1]
        )

    @property
    def totals(self) -> dict[str, Any]:
        """Totals of the visible links; learners once per provider (not once per link)."""
        return {
            "links": len(self.edges),
            "providers": len({e.provider_id for e in self.edges}),
            "organizations": len({e.organization_id for e in self.edges}),
            "modules": sum(e.modules for e in self.edges),
            "active_licenses": sum(e.active_licenses for e in self.edges),
            "learners": sum(self.provider_learners.values()),
            "credits_awarded": sum((e.credits_awarded for e in self.edges), Decimal(0)),
        }


def can_view_sharing(user: User | None) -> bool:
    return permissions.is_platform_admin(user) or bool(
        user and user.organization_ids(*permissions.EDITOR_ROLES)
    )


def _modules_with(specialty: str | None, credit_type: str | None):
    """Module ids with the specialty and designating the credit type (IN sets, which the
    database builds once, rather than a correlated lookup per row)."""
    conditions = []
    if specialty:
        conditions.append(
            select(ModuleSpecialty.module_id).where(ModuleSpecialty.specialty == specialty)
        )
    if credit_type:
        conditions.append(
            select(ModuleCredit.module_id).where(ModuleCredit.credit_type == credit_type)
        )
    return conditions


def _license_conditions(filters: SharingFilters, on: date) -> list:
    conditions = [License.status.in_(SHARED_STATUSES), License.start_date.is_not(None)]
    if filters.since:
        conditions.append(License.end_date >= filters.since)
    if filters.until:
        conditions.append(License.start_date <= filters.until)
    if filters.active_only:
        conditions.append(License.active_clause(on))
    for modules in _modules_with(filters.specialty, filters.credit_type):
        conditions.append(License.module_id.in_(modules))
    if filters.provider_id is not None:
        conditions.append(License.licensor_id == filters.provider_id)
    if filters.organization_id is not None:
        conditions.append(License.licensee_id == filters.organization_id)
    return conditions


def _completion_conditions(filters: SharingFilters, on: date) -> list:
    """Completions through a license, narrowed like the licenses. With a credit type, only
    completions that awarded that type count (and only that type's credit, see _edges)."""
    conditions = [Completion.license_id.is_not(None)]
    if filters.since:
        conditions.append(Completion.completed_on >= filters.since)
    if filters.until:
        conditions.append(Completion.completed_on <= filters.until)
    if filters.active_only:
        conditions.append(
            Completion.license_id.in_(select(License.id).where(License.active_clause(on)))
        )
    for modules in _modules_with(filters.specialty, None):
        conditions.append(Completion.module_id.in_(modules))
    if filters.provider_id is not None:
        conditions.append(Completion.provider_id == filters.provider_id)
    if filters.organization_id is not None:
        conditions.append(Completion.organization_id == filters.organization_id)
    if filters.credit_type:
        conditions.append(
            Completion.id.in_(
                select(CompletionCredit.completion_id).where(
                    CompletionCredit.credit_type == filters.credit_type
                )
            )
        )
    return conditions


def _edges(filters: SharingFilters, on: date) -> dict[tuple[int, int], Edge]:
    """Every link matching the filters, with its numbers: two grouped queries."""
    active = func.sum(case((License.active_clause(on), 1), else_=0))
    edges: dict[tuple[int, int], Edge] = {}
    for row in db.session.execute(
        select(
            License.licensor_id,
            License.licensee_id,
            func.count(func.distinct(License.module_id)),
            active,
            func.min(License.start_date),
            func.max(License.start_date),
        )
        .where(*_license_conditions(filters, on))
        .group_by(License.licensor_id, License.licensee_id)
    ):
        provider_id, organization_id, modules, active_count, first, latest = row
        edges[(provider_id, organization_id)] = Edge(
            provider_id=provider_id,
            organization_id=organization_id,
            modules=modules,
            active_licenses=int(active_count or 0),
            first_shared=first,
            latest_shared=latest,
        )
    if filters.credit_type:  # only that type's credit: from the claims of that type
        credit = (
            select(func.coalesce(func.sum(CompletionCredit.amount_hundredths), 0))
            .where(
                CompletionCredit.completion_id == Completion.id,
                CompletionCredit.credit_type == filters.credit_type,
            )
            .correlate(Completion)
            .scalar_subquery()
        )
    else:
        credit = Completion.credit_hundredths
    for provider_id, organization_id, learners, credits in db.session.execute(
        select(
            Completion.provider_id,
            Completion.organization_id,
            func.count(func.distinct(Completion.user_id)),
            func.coalesce(func.sum(credit), 0),
        )
        .where(*_completion_conditions(filters, on))
        .group_by(Completion.provider_id, Completion.organization_id)
    ):
        edge = edges.get((provider_id, organization_id))
        if edge is None:  # completions through a license outside the date range: still a link
            edge = edges[(provider_id, organization_id)] = Edge(provider_id, organization_id)
        edge.learners = learners
        edge.credits_awarded = Decimal(int(credits)) / 100
    return edges


def _provider_learners(filters: SharingFilters, on: date, provider_ids: set[int]) -> dict:
    """Distinct learners per provider across all its links (a learner in two of its
    licensee organizations counts once)."""
    if not provider_ids:
        return {}
    conditions = _completion_conditions(filters, on)
    return dict(
        db.session.execute(
            select(Completion.provider_id, func.count(func.distinct(Completion.user_id)))
            .where(*conditions, Completion.provider_id.in_(provider_ids))
            .group_by(Completion.provider_id)
        ).all()
    )


def _name(edges: list[Edge]) -> None:
    ids = {e.provider_id for e in edges} | {e.organization_id for e in edges}
    if not ids:
        return
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(ids))
        ).all()
    )
    for edge in edges:
        edge.provider_name = names.get(edge.provider_id, "")
        edge.organization_name = names.get(edge.organization_id, "")


def sort_edges(edges: list[Edge], sort: str, descending: bool) -> list[Edge]:
    sort = sort if sort in SORTS else "learners"

    def key(edge: Edge):
        value = getattr(edge, sort)
        if isinstance(value, str):
            value = value.casefold()
        if value is None:
            value = date.min
        return (value, edge.provider_name.casefold(), edge.organization_name.casefold())

    return sorted(edges, key=key, reverse=descending)


def sharing_network(actor: User | None, filters: SharingFilters, on: date | None = None) -> Network:
    """The links `actor` may see in full, and the anonymous total of the others."""
    on = on or current_day()
    if not can_view_sharing(actor):
        raise PermissionDeniedError(
            "The sharing network is for education staff of member organizations and providers."
        )
    everything = _edges(filters, on)
    if permissions.is_platform_admin(actor):
        visible, others = list(everything.values()), None
    else:
        mine = actor.organization_ids(*permissions.EDITOR_ROLES)
        visible = [e for k, e in everything.items() if k[0] in mine or k[1] in mine]
        hidden = [e for k, e in everything.items() if not (k[0] in mine or k[1] in mine)]
        others = OthersTotal(
            links=len(hidden),
            modules=sum(e.modules for e in hidden),
            active_licenses=sum(e.active_licenses for e in hidden),
            learners=sum(e.learners for e in hidden),
            credits_awarded=sum((e.credits_awarded for e in hidden), Decimal(0)),
        )
    _name(visible)
    provider_learners = _provider_learners(filters, on, {e.provider_id for e in visible})
    if not permissions.is_platform_admin(actor):
        # A provider's total counts only learners of the links the viewer may see.
        mine = actor.organization_ids(*permissions.EDITOR_ROLES)
        for provider_id in list(provider_learners):
            if provider_id not in mine:
                provider_learners[provider_id] = sum(
                    e.learners for e in visible if e.provider_id == provider_id
                )
    return Network(
        edges=sort_edges(visible, filters.sort, filters.descending),
        others=others,
        filters=filters,
        provider_learners=provider_learners,
    )


# The activity timeline of one link ------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    day: date
    action: str  # requested, approved, granted, declined, withdrawn, revoked, expired
    license_id: int
    module_title: str
    note: str = ""


def link_timeline(
    actor: User | None, provider_id: int, organization_id: int, on: date | None = None
) -> list[TimelineEntry]:
    """Licenses requested, approved, revoked and expired between a provider and an
    organization, newest first: the audit trail of their licenses plus the expiries that
    follow from the dates."""
    from exchange.audit.models import AuditEvent
    from exchange.catalog.models import Module

    on = on or current_day()
    if not can_view_sharing(actor):
        raise PermissionDeniedError("The sharing network is for education staff.")
    if not permissions.is_platform_admin(actor):
        mine = actor.organization_ids(*permissions.EDITOR_ROLES)
        if provider_id not in mine and organization_id not in mine:
            raise PermissionDeniedError(
                "Only the two organizations' staff see the history of their link."
            )
    licenses = {
        lic.id: (lic, title)
        for lic, title in db.session.execute(
            select(License, Module.title)
            .join(Module, Module.id == License.module_id)
            .where(License.licensor_id == provider_id, License.licensee_id == organization_id)
        )
    }
    entries: list[TimelineEntry] = []
    if licenses:
        for event in db.session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_type == "license", AuditEvent.subject_id.in_(list(licenses))
            )
        ):
            lic, title = licenses[event.subject_id]
            entries.append(
                TimelineEntry(
                    day=event.created_at.date(),
                    action=event.action.removeprefix("license."),
                    license_id=lic.id,
                    module_title=title,
                    note=event.data.get("note", ""),
                )
            )
    for lic, title in licenses.values():
        if lic.state_on(on) == "expired":
            # The first day without access.
            entries.append(
                TimelineEntry(lic.end_date + timedelta(days=1), "expired", lic.id, title)
            )
    return sorted(entries, key=lambda e: (e.day, e.license_id), reverse=True)
