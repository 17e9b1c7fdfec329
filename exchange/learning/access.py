"""Who may take a module, the member library, and launching (which takes a seat).

A member may take exactly the modules their organizations hold an active license for, and
the published modules their own organizations own or provide. A launch takes one seat per
distinct learner per license; seats are counted under a lock on the license row, so they
are never oversubscribed however many members launch at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from exchange import permissions
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import today as current_day
from exchange.errors import ConflictError, PermissionDeniedError
from exchange.extensions import db
from exchange.learning.models import Completion, ModuleLaunch
from exchange.licensing.models import License, LicenseSeat
from exchange.notifications.services import absolute_url, link_to
from exchange.organizations.models import Organization

TAKEABLE_STATUSES = ("published", "retired")  # retired: licenses keep access to their end


@dataclass(frozen=True)
class Access:
    """How a learner reaches a module: through a license, or their own organization's."""

    organization: Organization
    license: License | None = None
    # Every active license of the learner's organizations, the preferred one first.
    licenses: tuple[License, ...] = ()


def _own_organization(user: User, module: Module) -> Organization | None:
    for membership in sorted(user.memberships, key=lambda m: m.organization_id):
        if membership.organization_id in (module.owner_id, module.provider_id):
            return membership.organization
    return None


def _active_licenses(user: User, module_id: int, on: date) -> list[License]:
    """Active licenses of the user's organizations for the module, those where the user
    already holds a seat first, then the longest-running."""
    org_ids = user.organization_ids()
    if not org_ids:
        return []
    has_seat = (
        exists()
        .where(LicenseSeat.license_id == License.id, LicenseSeat.user_id == user.id)
        .correlate(License)
    )
    return list(
        db.session.scalars(
            select(License)
            .where(
                License.module_id == module_id,
                License.licensee_id.in_(org_ids),
                License.active_clause(on),
            )
            .options(joinedload(License.licensee))
            .order_by(has_seat.desc(), License.end_date.desc(), License.id)
        )
    )


def find_access(user: User | None, module: Module, on: date | None = None) -> Access | None:
    on = on or current_day()
    if user is None or module.status not in TAKEABLE_STATUSES:
        return None
    own = _own_organization(user, module) if module.status == "published" else None
    if own is not None:
        return Access(organization=own)
    licenses = _active_licenses(user, module.id, on)
    if not licenses:
        return None
    return Access(organization=licenses[0].licensee, license=licenses[0], licenses=tuple(licenses))


def refusal(user: User | None, module: Module, on: date | None = None) -> str:
    """Why a learner cannot take the module, and what (if anything) would change that."""
    from exchange.licensing.services import licensing_refusal

    on = on or current_day()
    provider = module.provider.name if module.provider else "its provider of record"
    if user is None:
        return "Sign in to take this module."
    if module.status not in TAKEABLE_STATUSES:
        return "This module is not open to learners."
    org_ids = user.organization_ids()
    if module.status == "retired" and org_ids & {module.owner_id, module.provider_id}:
        return f"“{module.title}” is retired: it is no longer offered, even to its own members."
    scheduled = db.session.scalar(
        select(License.start_date)
        .where(
            License.module_id == module.id,
            License.licensee_id.in_(org_ids or {-1}),
            License.state_clause("scheduled", on),
        )
        .order_by(License.start_date)
        .limit(1)
    )
    if scheduled is not None:
        return (
            f"Your organization's license for “{module.title}” starts on "
            f"{scheduled.isoformat()}: you can take it from then."
        )
    unavailable = licensing_refusal(module, on)
    if unavailable is not None:
        return f"None of your organizations holds an active license for “{module.title}”. " + (
            unavailable
        )
    orgs = sorted(
        (m.organization for m in user.memberships if not m.organization.is_ineligible_company),
        key=lambda o: o.name.casefold(),
    )
    if not orgs:
        return (
            f"None of your organizations holds a license for “{module.title}”. "
            f"Organizations license it from {provider}; join an organization that does."
        )
    names = " or ".join(o.name for o in orgs)
    return (
        f"None of your organizations holds an active license for “{module.title}”. "
        f"Ask the education staff of {names} to request one from {provider}."
    )


def require_access(user: User | None, module: Module, on: date | None = None) -> Access:
    access = find_access(user, module, on)
    if access is None:
        raise PermissionDeniedError(refusal(user, module, on))
    return access


def _take_seat(license: License, user: User) -> bool:
    """Take (or keep) the user's seat on the license; False when none is left."""
    # Lock the license row (PostgreSQL: FOR UPDATE) so concurrent launches count one at a time.
    locked, still_active = db.session.execute(
        select(License.seats, License.active_clause(current_day()))
        .where(License.id == license.id)
        .with_for_update()
    ).one()
    if not still_active:  # revoked a moment ago, under our feet
        return False
    held = db.session.scalar(
        select(LicenseSeat.id).where(
            LicenseSeat.license_id == license.id, LicenseSeat.user_id == user.id
        )
    )
    if held is not None:
        return True
    if locked is not None:
        used = db.session.scalar(
            select(func.count(LicenseSeat.id)).where(LicenseSeat.license_id == license.id)
        )
        if used >= locked:
            return False
    try:
        with db.session.begin_nested():
            db.session.add(LicenseSeat(license_id=license.id, user_id=user.id))
    except IntegrityError:  # the same learner launching twice at once: one seat
        return True
    return True


def launch(
    user: User | None, module: Module, on: date | None = None, external: bool = False
) -> tuple[str, Access]:
    """Record the launch (taking a seat when through a license) and return the content URL."""
    on = on or current_day()
    access = require_access(user, module, on)
    if access.license is not None:
        for license in access.licenses:
            if _take_seat(license, user):
                access = Access(organization=license.licensee, license=license)
                break
        else:
            raise ConflictError(
                f"No seats left: every seat on {access.organization.name}'s license for "
                f"“{module.title}” is taken. Ask its education staff to add seats."
            )
    db.session.add(
        ModuleLaunch(
            user_id=user.id,
            module_id=module.id,
            license_id=access.license.id if access.license else None,
            organization_id=access.organization.id,
        )
    )
    db.session.flush()
    return content_url(module, external), access


def content_url(module: Module, external: bool = False) -> str:
    """Where the content is: its launch URL, or the uploaded file served here (an absolute
    address for API clients, which hand it to the learner's browser)."""
    if module.content_url:
        return module.content_url
    endpoint = "catalog.content_file" if module.content_file else "catalog.module_page"
    link = link_to(endpoint, module_id=module.id)
    return absolute_url(link) if external else link


def has_launched(user: User, module: Module) -> bool:
    return bool(
        db.session.scalar(
            select(ModuleLaunch.id)
            .where(ModuleLaunch.user_id == user.id, ModuleLaunch.module_id == module.id)
            .limit(1)
        )
    )


def may_open_content(user: User | None, module: Module, on: date | None = None) -> bool:
    """The module's content file: its own staff, and learners with access who launched it
    (through a license they hold a seat on)."""
    if permissions.can_view_content(user, module):
        return True
    access = find_access(user, module, on)
    if access is None:
        return False
    if access.license is None:  # the learner's own organization's module: once launched
        return has_launched(user, module)
    return holds_seat(user, access.license)


def holds_seat(user: User, license: License) -> bool:
    return bool(
        db.session.scalar(
            select(LicenseSeat.id).where(
                LicenseSeat.license_id == license.id, LicenseSeat.user_id == user.id
            )
        )
    )


# The library ---------------------------------------------------------------------------


@dataclass
class LibraryEntry:
    module: Module
    license: License | None
    organization: Organization
    completed: bool

    @property
    def license_id(self) -> int | None:
        return self.license.id if self.license else None

    @property
    def end_date(self) -> date | None:
        return self.license.end_date if self.license else None

    def __getattr__(self, name):
        return getattr(self.module, name)


def takeable_clause(user: User, on: date):
    """The SQL twin of `find_access`: modules the user's organizations hold an active
    license for, or publish themselves."""
    org_ids = user.organization_ids() or {-1}
    licensed = (
        select(License.id)
        .where(
            License.module_id == Module.id,
            License.licensee_id.in_(org_ids),
            License.active_clause(on),
        )
        .exists()
    )
    own = or_(Module.owner_id.in_(org_ids), Module.provider_id.in_(org_ids))
    return and_(
        Module.status.in_(TAKEABLE_STATUSES),
        or_(licensed, (Module.status == "published") & own),
    )


def library(user: User, page: int = 1, per_page: int = 20, on: date | None = None):
    """The modules `user` may take, by title: a count, the page of modules, their licenses
    and completions (a fixed number of queries whatever the page size)."""
    on = on or current_day()
    org_ids = user.organization_ids() or {-1}
    stmt = (
        select(Module)
        .where(takeable_clause(user, on))
        .options(
            joinedload(Module.provider),
            joinedload(Module.owner),
            selectinload(Module.credits),
        )
        .order_by(func.lower(Module.title), Module.id)
    )
    result = db.paginate(stmt, page=page, per_page=per_page, max_per_page=100, error_out=False)
    module_ids = [m.id for m in result.items]
    best: dict[int, License] = {}
    if module_ids:
        for license in db.session.scalars(
            select(License)
            .where(
                License.module_id.in_(module_ids),
                License.licensee_id.in_(org_ids),
                License.active_clause(on),
            )
            .options(joinedload(License.licensee))
            .order_by(License.end_date.desc(), License.id)
        ):
            best.setdefault(license.module_id, license)
    completed = set(  # of the current version: a new version can be taken for credit again
        db.session.scalars(
            select(Completion.module_id)
            .join(Module, Module.id == Completion.module_id)
            .where(
                Completion.user_id == user.id,
                Completion.module_id.in_(module_ids or [-1]),
                Completion.module_version == Module.version,
            )
        )
    )
    entries = []
    for module in result.items:
        own_org = _own_organization(user, module)
        license = None if own_org is not None else best.get(module.id)
        entries.append(
            LibraryEntry(
                module=module,
                license=license,
                organization=own_org or (license.licensee if license else None),
                completed=module.id in completed,
            )
        )
    result.items = entries
    return result
