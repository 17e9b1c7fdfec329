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

from sqlalchemy import and_, case, func, or_, select

from exchange import permissions
from exchange.accounts.models import User
from exchange.catalog.models import ModuleCredit, ModuleSpecialty
from exchange.database import local_date
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


@dataclass(slots=True)
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
    """What a viewer may see of the network: the links asked for (a page of them, or all) in
    the sort order, the strongest links for the picture, and the totals."""

    edges: list[Edge]
    total: int  # visible links in all
    totals: dict[str, Any]
    others: OthersTotal | None
    filters: SharingFilters
    picture: list[Edge] = field(default_factory=list)


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


def _effective_end():
    """The last day a license gave access: its end, or the day it was revoked."""
    return case(
        (License.status == "revoked", func.date(License.revoked_at)), else_=License.end_date
    )


def _license_conditions(filters: SharingFilters, on: date) -> list:
    """Licenses that gave access: approved (or later revoked) and started by `on`; a license
    revoked before its start never did."""
    conditions = [
        License.status.in_(SHARED_STATUSES),
        License.start_date.is_not(None),
        License.start_date <= on,
        or_(License.status != "revoked", func.date(License.revoked_at) >= License.start_date),
    ]
    if filters.since:
        conditions.append(_effective_end() >= filters.since)
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
    """Completions through a license, narrowed like the licenses (for a credit type, see
    _with_claims)."""
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
    return conditions


def _with_claims(stmt, filters: SharingFilters):
    """With a credit type, only completions that awarded it (joined to that claim)."""
    if not filters.credit_type:
        return stmt
    return stmt.join(
        CompletionCredit,
        and_(
            CompletionCredit.completion_id == Completion.id,
            CompletionCredit.credit_type == filters.credit_type,
        ),
    )


# Columns of a link row (_link_rows): the numbers per (provider, organization).
MODULES, ACTIVE, FIRST, LATEST, LEARNERS, CREDITS = range(6)
SORT_COLUMNS = {
    "learners": LEARNERS,
    "credits_awarded": CREDITS,
    "active_licenses": ACTIVE,
    "modules": MODULES,
    "first_shared": FIRST,
    "latest_shared": LATEST,
}


def _link_rows(filters: SharingFilters, on: date) -> dict[tuple[int, int], list]:
    """The numbers of every link, from two grouped queries: the licenses by (licensor,
    licensee), and the completions through them by (provider, organization)."""
    rows: dict[tuple[int, int], list] = {}
    for provider_id, organization_id, modules, active, first, latest in db.session.execute(
        select(
            License.licensor_id,
            License.licensee_id,
            func.count(func.distinct(License.module_id)),
            func.sum(case((License.active_clause(on), 1), else_=0)),
            func.min(License.start_date),
            func.max(License.start_date),
        )
        .where(*_license_conditions(filters, on))
        .group_by(License.licensor_id, License.licensee_id)
    ):
        rows[(provider_id, organization_id)] = [modules, int(active or 0), first, latest, 0, 0]
    # With a credit type, each completion's claim of that type (at most one) is joined,
    # and only that credit counts; otherwise the completion's total.
    stmt = select(
        Completion.provider_id,
        Completion.organization_id,
        func.count(func.distinct(Completion.user_id)),
        func.coalesce(
            func.sum(
                CompletionCredit.amount_hundredths
                if filters.credit_type
                else Completion.credit_hundredths
            ),
            0,
        ),
    )
    stmt = _with_claims(stmt, filters)
    for provider_id, organization_id, learners, credits in db.session.execute(
        stmt.where(*_completion_conditions(filters, on)).group_by(
            Completion.provider_id, Completion.organization_id
        )
    ):
        row = rows.get((provider_id, organization_id))
        if row is None:  # through a license outside the date range: still a link
            row = rows[(provider_id, organization_id)] = [0, 0, None, None, 0, 0]
        row[LEARNERS], row[CREDITS] = learners, int(credits)
    return rows


def _provider_learners(filters: SharingFilters, on: date, mine: set[int] | None):
    """Distinct learners per provider over the links a viewer sees (a learner in two of the
    provider's licensee organizations counts once); `mine` None: every link (platform
    admins), else the links with a provider or an organization in `mine`."""
    if mine is not None and not mine:
        return {}
    conditions = _completion_conditions(filters, on)
    if mine is not None:
        conditions.append(
            or_(Completion.provider_id.in_(mine), Completion.organization_id.in_(mine))
        )
    stmt = select(Completion.provider_id, func.count(func.distinct(Completion.user_id)))
    return dict(
        db.session.execute(
            _with_claims(stmt, filters).where(*conditions).group_by(Completion.provider_id)
        ).all()
    )


def sharing_network(
    actor: User | None,
    filters: SharingFilters,
    on: date | None = None,
    *,
    page: int | None = None,
    per_page: int | None = None,
    weight: str = "learners",
    picture: int = 0,
) -> Network:
    """The links `actor` may see in full (a page of them when `page` is given, else all),
    the `picture` strongest by `weight`, the totals, and for staff the anonymous total of
    every other link. Four queries whatever the size of the network: the two grouped
    queries of the links, the organizations' names and the learners per provider."""
    on = on or current_day()
    if not can_view_sharing(actor):
        raise PermissionDeniedError(
            "The sharing network is for education staff of member organizations and providers."
        )
    admin = permissions.is_platform_admin(actor)
    mine = set() if admin else actor.organization_ids(*permissions.EDITOR_ROLES)
    rows = _link_rows(filters, on)
    if admin:
        visible, hidden = list(rows.items()), []
    else:
        visible, hidden = [], []
        for key, row in rows.items():
            (visible if key[0] in mine or key[1] in mine else hidden).append((key, row))
    names = {i: name for i, name in db.session.execute(select(Organization.id, Organization.name))}
    folded = {i: name.casefold() for i, name in names.items()}

    def by_names(item):
        (provider_id, organization_id), _ = item
        return (folded.get(provider_id, ""), folded.get(organization_id, ""))

    if filters.sort == "provider_name":
        visible.sort(key=by_names, reverse=filters.descending)
    elif filters.sort == "organization_name":
        visible.sort(key=lambda item: by_names(item)[::-1], reverse=filters.descending)
    else:
        column = SORT_COLUMNS.get(filters.sort, LEARNERS)
        visible.sort(key=by_names)  # ties by name, then the column (a stable sort)
        visible.sort(
            key=lambda item: (
                item[1][column] or date.min if column in (FIRST, LATEST) else item[1][column]
            ),
            reverse=filters.descending,
        )
    if page is not None and per_page is not None:
        start = (page - 1) * per_page
        shown = visible[start : start + per_page]
    else:
        shown = visible
    strongest = []
    if picture:
        column = WEIGHTS_TO_COLUMNS.get(weight, LEARNERS)
        strongest = sorted(visible, key=by_names)
        strongest.sort(key=lambda item: item[1][column], reverse=True)
        strongest = strongest[:picture]
    # Learners once per provider, over the links the viewer sees.
    learners = _provider_learners(filters, on, None if admin else mine)
    totals = {
        "links": len(visible),
        "providers": len({key[0] for key, _ in visible}),
        "organizations": len({key[1] for key, _ in visible}),
        "modules": sum(row[MODULES] for _, row in visible),
        "active_licenses": sum(row[ACTIVE] for _, row in visible),
        "learners": sum(learners.values()),
        "credits_awarded": Decimal(sum(row[CREDITS] for _, row in visible)) / 100,
    }
    others = None
    if not admin and _anonymous_enough(hidden, filters):
        others = OthersTotal(
            links=len(hidden),
            modules=sum(row[MODULES] for _, row in hidden),
            active_licenses=sum(row[ACTIVE] for _, row in hidden),
            learners=sum(row[LEARNERS] for _, row in hidden),
            credits_awarded=Decimal(sum(row[CREDITS] for _, row in hidden)) / 100,
        )
    return Network(
        edges=[_edge(item, names) for item in shown],
        total=len(visible),
        totals=totals,
        others=others,
        filters=filters,
        picture=[_edge(item, names) for item in strongest],
    )


WEIGHTS_TO_COLUMNS = {
    "learners": LEARNERS,
    "active_licenses": ACTIVE,
    "modules": MODULES,
    "credits_awarded": CREDITS,
}


def organization_names(ids) -> dict[int, str]:
    """Names of some organizations (one query)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(wanted))
        ).all()
    )


# The others' total is shown only when it cannot be read as one link's numbers: enough
# links between enough providers and organizations, and no narrowing to an organization.
OTHERS_MINIMUM_LINKS = 5
OTHERS_MINIMUM_PARTIES = 2


def _anonymous_enough(hidden: list, filters: SharingFilters) -> bool:
    if filters.provider_id is not None or filters.organization_id is not None:
        return False
    return (
        len(hidden) >= OTHERS_MINIMUM_LINKS
        and len({key[0] for key, _ in hidden}) >= OTHERS_MINIMUM_PARTIES
        and len({key[1] for key, _ in hidden}) >= OTHERS_MINIMUM_PARTIES
    )


def _edge(item, names: dict[int, str]) -> Edge:
    (provider_id, organization_id), row = item
    return Edge(
        provider_id=provider_id,
        organization_id=organization_id,
        provider_name=names.get(provider_id, ""),
        organization_name=names.get(organization_id, ""),
        modules=row[MODULES],
        active_licenses=row[ACTIVE],
        learners=row[LEARNERS],
        credits_awarded=Decimal(row[CREDITS]) / 100,
        first_shared=row[FIRST],
        latest_shared=row[LATEST],
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
            select(AuditEvent)
            .where(AuditEvent.subject_type == "license", AuditEvent.subject_id.in_(list(licenses)))
            .order_by(AuditEvent.created_at, AuditEvent.id)
        ):
            lic, title = licenses[event.subject_id]
            entries.append(
                TimelineEntry(
                    day=local_date(event.created_at),
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
    # Newest first; on one day, the later event first (the list was in event order).
    return list(reversed(sorted(entries, key=lambda e: e.day)))
