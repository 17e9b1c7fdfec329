"""The home page after sign-in: one dashboard per role, each a fixed number of queries.

- provider staff: open license requests, modules by licensees and learners, licenses
  expiring in the next 60 days, completions by month, top searches that found its modules;
- association staff and admins: licensed modules with end dates and seats, member
  completions and credits by month, licenses to renew;
- members: their library, modules in progress, credits this year by type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, exists, extract, func, select
from sqlalchemy.orm import aliased, joinedload

from exchange import permissions
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import today as current_day
from exchange.extensions import db
from exchange.learning import access
from exchange.learning import services as learning
from exchange.learning.models import Completion, CompletionCredit, ModuleLaunch
from exchange.licensing import services as licensing
from exchange.licensing.models import License
from exchange.organizations.models import Organization
from exchange.search.models import SearchEvent, SearchEventProvider

EXPIRING_DAYS = 60
RENEW_LOOKBACK_DAYS = 30
MONTHS = 12
SEARCH_DAYS = 90


@dataclass(frozen=True)
class MonthValue:
    year: int
    month: int
    value: Decimal

    @property
    def label(self) -> str:
        return date(self.year, self.month, 1).strftime("%b %Y")


def month_series(rows, on: date, months: int = MONTHS) -> list[MonthValue]:
    """(year, month, value) rows -> the last `months` months, zeros where nothing happened."""
    found = {(int(y), int(m)): Decimal(v or 0) for y, m, v in rows}
    series = []
    year, month = on.year, on.month
    for _ in range(months):
        series.append(MonthValue(year, month, found.get((year, month), Decimal(0))))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(series))


def _months_ago(on: date, months: int) -> date:
    year, month = on.year, on.month - (months - 1)
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def staff_organizations(user: User) -> list[Organization]:
    return sorted(
        (m.organization for m in user.memberships if m.role in permissions.EDITOR_ROLES),
        key=lambda o: o.name.casefold(),
    )


def _renewed():
    """A later approved license of the same module and licensee follows this one."""
    later = aliased(License)
    return (
        exists()
        .where(
            later.module_id == License.module_id,
            later.licensee_id == License.licensee_id,
            later.status == "approved",
            later.start_date > License.start_date,
        )
        .correlate(License)
    )


def sections(organization: Organization) -> tuple[bool, bool]:
    """Which dashboards an organization's staff see: the provider's when it provides, the
    licensee's when it is an association or holds licenses all the same."""
    holds = organization.kind != "provider" or bool(
        db.session.scalar(
            select(License.id)
            .where(License.licensee_id == organization.id, License.status == "approved")
            .limit(1)
        )
    )
    return organization.is_provider_kind, holds


# Provider ---------------------------------------------------------------------------------


def provider_dashboard(user: User, provider: Organization, on: date | None = None) -> dict:
    on = on or current_day()
    requests = licensing.list_licenses(
        user, {"licensor_id": provider.id, "status": "requested", "per_page": 5}, on
    )
    licensees = (
        select(
            License.module_id.label("module_id"),
            func.count(func.distinct(License.licensee_id)).label("licensees"),
        )
        .where(License.licensor_id == provider.id, License.status.in_(("approved", "revoked")))
        .group_by(License.module_id)
        .subquery()
    )
    learners = (
        select(
            Completion.module_id.label("module_id"),
            func.count(func.distinct(Completion.user_id)).label("learners"),
        )
        .where(Completion.provider_id == provider.id)
        .group_by(Completion.module_id)
        .subquery()
    )
    top_modules = db.session.execute(
        select(
            Module.id,
            Module.title,
            func.coalesce(licensees.c.licensees, 0),
            func.coalesce(learners.c.learners, 0),
        )
        .outerjoin(licensees, licensees.c.module_id == Module.id)
        .outerjoin(learners, learners.c.module_id == Module.id)
        .where(
            Module.provider_id == provider.id,
            (licensees.c.licensees.is_not(None)) | (learners.c.learners.is_not(None)),
        )
        .order_by(
            func.coalesce(learners.c.learners, 0).desc(),
            func.coalesce(licensees.c.licensees, 0).desc(),
            Module.title,
        )
        .limit(10)
    ).all()
    expiring = list(
        db.session.scalars(
            select(License)
            .where(
                License.licensor_id == provider.id,
                License.active_clause(on),
                License.end_date <= on + timedelta(days=EXPIRING_DAYS),
                ~_renewed(),
            )
            .options(joinedload(License.module), joinedload(License.licensee))
            .order_by(License.end_date, License.id)
            .limit(20)
        )
    )
    since = _months_ago(on, MONTHS)
    y, m = extract("year", Completion.completed_on), extract("month", Completion.completed_on)
    completions = month_series(
        db.session.execute(
            select(y, m, func.count(Completion.id))
            .where(Completion.provider_id == provider.id, Completion.completed_on >= since)
            .group_by(y, m)
        ),
        on,
    )
    searched_since = datetime.combine(on - timedelta(days=SEARCH_DAYS), time(), tzinfo=UTC)
    query = func.lower(SearchEvent.query)
    top_searches = db.session.execute(
        select(query, func.count(SearchEvent.id))
        .join(SearchEventProvider, SearchEventProvider.search_event_id == SearchEvent.id)
        .where(
            SearchEventProvider.provider_id == provider.id,
            SearchEvent.query != "",
            SearchEvent.created_at >= searched_since,
        )
        .group_by(query)
        .order_by(func.count(SearchEvent.id).desc(), query)
        .limit(10)
    ).all()
    return {
        "organization": provider,
        "requests": requests,
        "top_modules": top_modules,
        "expiring": expiring,
        "completions_by_month": completions,
        "top_searches": top_searches,
    }


# Association ------------------------------------------------------------------------------


def association_dashboard(user: User, organization: Organization, on: date | None = None):
    on = on or current_day()
    held = list(
        db.session.scalars(
            select(License)
            .where(
                License.licensee_id == organization.id,
                License.status == "approved",
                License.end_date >= on - timedelta(days=RENEW_LOOKBACK_DAYS),
            )
            .options(joinedload(License.module), joinedload(License.licensor))
            .order_by(License.end_date, License.id)
        )
    )
    used = licensing.seats_used([lic.id for lic in held])
    current = [lic for lic in held if lic.state_on(on) in ("active", "scheduled")]
    # To renew: ending within 60 days or ended in the last 30, with no later license of the
    # same module (a renewal already approved or scheduled).
    latest_end: dict[int, date] = {}
    for lic in held:
        latest_end[lic.module_id] = max(latest_end.get(lic.module_id, lic.end_date), lic.end_date)
    renew = [
        lic
        for lic in held
        if lic.end_date <= on + timedelta(days=EXPIRING_DAYS)
        and lic.end_date == latest_end[lic.module_id]
    ]
    requested = set(
        db.session.scalars(
            select(License.module_id).where(
                License.licensee_id == organization.id, License.status == "requested"
            )
        )
    )
    since = _months_ago(on, MONTHS)
    y, m = extract("year", Completion.completed_on), extract("month", Completion.completed_on)
    completions = month_series(
        db.session.execute(
            select(y, m, func.count(Completion.id))
            .where(Completion.organization_id == organization.id, Completion.completed_on >= since)
            .group_by(y, m)
        ),
        on,
    )
    credits = month_series(
        (
            (year, month, Decimal(int(total)) / 100)
            for year, month, total in db.session.execute(
                select(y, m, func.sum(CompletionCredit.amount_hundredths))
                .join(Completion, Completion.id == CompletionCredit.completion_id)
                .where(
                    Completion.organization_id == organization.id,
                    Completion.completed_on >= since,
                )
                .group_by(y, m)
            )
        ),
        on,
    )
    return {
        "organization": organization,
        "licenses": [(lic, used.get(lic.id, 0)) for lic in current],
        "renew": [(lic, used.get(lic.id, 0)) for lic in renew],
        "renewal_requested": requested,
        "completions_by_month": completions,
        "credits_by_month": credits,
    }


# Member -----------------------------------------------------------------------------------


def member_dashboard(user: User, on: date | None = None) -> dict[str, Any]:
    on = on or current_day()
    library = access.library(user, 1, 5, on)
    completed_current = (
        exists()
        .where(
            Completion.user_id == user.id,
            Completion.module_id == Module.id,
            Completion.module_version == Module.version,
        )
        .correlate(Module)
    )
    # Started (since the current version began), not completed, and still open to them.
    in_progress = list(
        db.session.scalars(
            select(Module)
            .where(
                exists().where(
                    and_(
                        ModuleLaunch.user_id == user.id,
                        ModuleLaunch.module_id == Module.id,
                        ModuleLaunch.launched_at >= Module.version_changed_at,
                    )
                ),
                ~completed_current,
                access.takeable_clause(user, on),
            )
            .options(joinedload(Module.provider))
            .order_by(func.lower(Module.title))
            .limit(10)
        )
    )
    return {
        "library": library,
        "in_progress": in_progress,
        "credits_this_year": learning.transcript_totals(user, on.year),
        "year": on.year,
    }
