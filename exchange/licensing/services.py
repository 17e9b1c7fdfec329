"""Offers and the license workflow: request, approve, decline, withdraw, revoke, grant.

Every operation checks permission, checks the license's state (409 for an illegal
transition), changes it, records an audit event (which is the license's history, shown to
both parties) and notifies the other party. None commits.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from exchange import permissions, vocab
from exchange.accounts.models import User
from exchange.audit import services as audit
from exchange.audit.models import AuditEvent
from exchange.catalog.models import Module
from exchange.database import today as current_day
from exchange.database import utcnow
from exchange.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.extensions import db
from exchange.licensing.models import License, LicenseSeat, Offer
from exchange.licensing.schemas import price_problems
from exchange.notifications import services as notifications
from exchange.organizations.models import Organization

OFFER_FIELDS = (
    "name",
    "pricing",
    "price_cents",
    "currency",
    "term_months",
    "seat_limit",
    "co_branding",
    "modification",
    "active",
)
# Audit actions of a license, as the status each one set.
HISTORY_STATUSES = {
    "license.shortened": "shortened",
    "license.requested": "requested",
    "license.granted": "approved",
    "license.approved": "approved",
    "license.declined": "declined",
    "license.withdrawn": "withdrawn",
    "license.revoked": "revoked",
}


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it has no such day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def full_term_end(start: date, term_months: int) -> date:
    """The last day of a term: a 12-month license from 1 Jan 2027 runs to 31 Dec 2027."""
    return add_months(start, term_months) - timedelta(days=1)


def term_end(start: date, term_months: int, module: Module) -> date:
    """The last day of access: the full term, never after the module's termination date."""
    end = full_term_end(start, term_months)
    if module.termination_date is not None and end > module.termination_date:
        return module.termination_date
    return end


def was_shortened(license: License) -> bool:
    """Whether the license ends early because the module terminates."""
    if license.start_date is None or license.end_date is None or not license.terms:
        return False
    return full_term_end(license.start_date, license.terms["term_months"]) > license.end_date


# Offers --------------------------------------------------------------------------------


def list_offers(actor: User | None, module: Module) -> list[Offer]:
    """The module's offers: active ones for anyone who sees the module, all of them for
    the provider's staff."""
    stmt = select(Offer).where(Offer.module_id == module.id).order_by(Offer.id)
    if not permissions.can_manage_offers(actor, module):
        stmt = stmt.where(Offer.active.is_(True))
    return list(db.session.scalars(stmt))


def get_offer(actor: User | None, offer_id: int) -> Offer:
    offer = db.session.scalar(
        select(Offer)
        .where(Offer.id == offer_id)
        .options(joinedload(Offer.module).joinedload(Module.provider))
    )
    if offer is None or not permissions.can_view_offer(actor, offer):
        raise NotFoundError("No such offer.")
    return offer


def _offer_refusal(module: Module) -> PermissionDeniedError:
    provider = module.provider.name if module.provider else "the provider of record"
    return PermissionDeniedError(
        f"Only education staff of {provider} set the offers of this module."
    )


def create_offer(actor: User | None, module: Module, data: dict[str, Any]) -> Offer:
    if not permissions.can_manage_offers(actor, module):
        raise _offer_refusal(module)
    if module.status == "retired":
        raise ConflictError("A retired module is no longer offered.")
    offer = Offer(module=module, created_by_id=actor.id if actor else None)
    for name in OFFER_FIELDS:
        if name in data:
            setattr(offer, name, data[name])
    problems = price_problems(offer.pricing, offer.price_cents)
    if problems:
        raise FieldValidationError(problems)
    db.session.add(offer)
    db.session.flush()
    _record_offer(actor, offer, "offer.created", f"Added the offer “{offer.name}”")
    return offer


def update_offer(actor: User | None, offer: Offer, changes: dict[str, Any]) -> Offer:
    """Change an offer's terms. Licenses already approved keep the terms they copied."""
    if not permissions.can_manage_offers(actor, offer.module):
        raise _offer_refusal(offer.module)
    merged = {name: changes.get(name, getattr(offer, name)) for name in OFFER_FIELDS}
    problems = price_problems(merged["pricing"], merged["price_cents"])
    if problems:
        raise FieldValidationError(problems)
    if merged["active"] and not offer.active and offer.module.status == "retired":
        raise ConflictError("A retired module is no longer offered.")
    changed = sorted(name for name in OFFER_FIELDS if merged[name] != getattr(offer, name))
    if not changed:
        return offer
    for name in changed:
        setattr(offer, name, merged[name])
    db.session.flush()
    if changed == ["active"]:
        verb = "Reactivated" if offer.active else "Deactivated"
        _record_offer(
            actor,
            offer,
            "offer.activated" if offer.active else "offer.deactivated",
            f"{verb} the offer “{offer.name}”",
        )
    else:
        _record_offer(
            actor, offer, "offer.updated", f"Changed the offer “{offer.name}”", {"fields": changed}
        )
    return offer


def delete_offer(actor: User | None, offer: Offer) -> None:
    """Only an offer no license refers to; a used one is deactivated instead."""
    if not permissions.can_manage_offers(actor, offer.module):
        raise _offer_refusal(offer.module)
    used = db.session.scalar(select(func.count(License.id)).where(License.offer_id == offer.id))
    if used:
        raise ConflictError(
            "This offer has been used by a license request, so it is kept: deactivate it instead."
        )
    _record_offer(actor, offer, "offer.deleted", f"Deleted the offer “{offer.name}”")
    db.session.delete(offer)
    db.session.flush()


def _record_offer(actor, offer: Offer, action: str, summary: str, data=None) -> None:
    audit.record(
        actor,
        action,
        subject_type="offer",
        subject_id=offer.id,
        summary=f"{summary} on “{offer.module.title}”.",
        organization_id=offer.module.provider_id,
        data={**offer_terms_json(offer), **(data or {})},
    )


def offer_terms_json(offer: Offer) -> dict[str, Any]:
    return {**offer.terms(), "active": offer.active}


# Reading licenses ----------------------------------------------------------------------


@dataclass
class LicenseView:
    """A license as its parties see it today: derived state, seats used, history."""

    license: License
    state: str
    seats_used: int
    history: list[dict[str, Any]] = field(default_factory=list)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.license, name)


def _with_parties(stmt: Select) -> Select:
    return stmt.options(
        joinedload(License.module).joinedload(Module.provider),
        joinedload(License.licensor),
        joinedload(License.licensee),
        joinedload(License.offer),
    )


def _load(license_id: int) -> License | None:
    return db.session.scalar(_with_parties(select(License).where(License.id == license_id)))


def get_license(actor: User | None, license_id: int) -> License:
    """The license, if `actor` is staff of either party; otherwise it does not exist."""
    license = _load(license_id)
    if license is None or not permissions.can_view_license(actor, license):
        raise NotFoundError("No such license.")
    return license


def seats_used(license_ids: list[int]) -> dict[int, int]:
    """Seats taken per license, in one query."""
    if not license_ids:
        return {}
    rows = db.session.execute(
        select(LicenseSeat.license_id, func.count(LicenseSeat.id))
        .where(LicenseSeat.license_id.in_(license_ids))
        .group_by(LicenseSeat.license_id)
    )
    return dict(rows.all())


def history(license: License) -> list[dict[str, Any]]:
    """Every decision on the license, oldest first: its audit events."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_type == "license", AuditEvent.subject_id == license.id)
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at, AuditEvent.id)
    )
    return [
        {
            "status": HISTORY_STATUSES.get(event.action, event.action),
            "action": event.action,
            "at": event.created_at,
            "by": event.actor.full_name if event.actor else None,
            "by_organization": event.data.get("by_organization"),
            "note": event.data.get("note", ""),
            "summary": event.summary,
        }
        for event in events
    ]


def view_license(license: License, on: date | None = None, with_history: bool = True):
    on = on or current_day()
    return LicenseView(
        license=license,
        state=license.state_on(on),
        seats_used=seats_used([license.id]).get(license.id, 0),
        history=history(license) if with_history else [],
    )


def list_licenses(actor: User | None, filters: dict[str, Any], on: date | None = None):
    """The licenses `actor`'s organizations are party to, newest first, as LicenseViews:
    a count, the page (parties joined) and the seats of the page, whatever its size."""
    on = on or current_day()
    staff_orgs = actor.organization_ids(*permissions.EDITOR_ROLES) if actor else set()
    stmt = select(License).where(permissions.visible_licenses_clause(actor))
    if filters.get("side") == "licensor":
        stmt = stmt.where(License.licensor_id.in_(staff_orgs))
    elif filters.get("side") == "licensee":
        stmt = stmt.where(License.licensee_id.in_(staff_orgs))
    if filters.get("status"):
        stmt = stmt.where(License.state_clause(filters["status"], on))
    if filters.get("module_id") is not None:
        stmt = stmt.where(License.module_id == filters["module_id"])
    for party in ("licensor_id", "licensee_id"):  # one organization's side (dashboards)
        if filters.get(party) is not None:
            stmt = stmt.where(getattr(License, party) == filters[party])
    stmt = _with_parties(stmt.order_by(License.created_at.desc(), License.id.desc()))
    page = db.paginate(
        stmt,
        page=filters.get("page", 1),
        per_page=filters.get("per_page", 20),
        max_per_page=100,
        error_out=False,
    )
    used = seats_used([lic.id for lic in page.items])
    page.items = [
        LicenseView(license=lic, state=lic.state_on(on), seats_used=used.get(lic.id, 0))
        for lic in page.items
    ]
    return page


def inbox_count(actor: User | None) -> int:
    """Requests waiting for a decision by `actor`'s organizations (the navigation badge)."""
    staff_orgs = actor.organization_ids(*permissions.EDITOR_ROLES) if actor else set()
    if not staff_orgs:
        return 0
    return db.session.scalar(
        select(func.count(License.id)).where(
            License.licensor_id.in_(staff_orgs), License.status == "requested"
        )
    )


def licenses_for_module(actor: User | None, module: Module, on: date | None = None):
    """On a module page: the licenses the viewer's organizations hold or grant for it."""
    return list_licenses(actor, {"module_id": module.id, "per_page": 50}, on).items


def request_choices(actor: User | None, module: Module) -> list[Organization]:
    """The organizations `actor` may request this module for: those they are staff or admin
    of, never an ineligible company, never the module's own owner or provider."""
    if actor is None:
        return []
    orgs = [
        m.organization
        for m in actor.memberships
        if m.role in permissions.EDITOR_ROLES
        and not m.organization.is_ineligible_company
        and m.organization_id not in (module.owner_id, module.provider_id)
    ]
    return sorted(orgs, key=lambda o: o.name.casefold())


def licensing_refusal(module: Module, on: date | None = None) -> str | None:
    """Why the module cannot be licensed now, or None when it can."""
    try:
        _check_licensable(module, on or current_day())
    except ConflictError as error:
        return error.message
    return None


def grantee_choices(module: Module) -> list[Organization]:
    """Organizations a provider may grant this module to."""
    return list(
        db.session.scalars(
            select(Organization)
            .where(
                Organization.is_ineligible_company.is_(False),
                Organization.id != module.provider_id,
                Organization.id != module.owner_id,
            )
            .order_by(func.lower(Organization.name))
        )
    )


# Checks shared by requests and grants ---------------------------------------------------


def _module_or_error(actor: User | None, module_id: int) -> Module:
    module = db.session.scalar(
        select(Module).where(Module.id == module_id).options(joinedload(Module.provider))
    )
    if module is None or not permissions.can_view_module(actor, module):
        raise FieldValidationError({"module_id": ["No module with this ID."]})
    return module


def _licensee_or_error(licensee_id: int) -> Organization:
    licensee = db.session.get(Organization, licensee_id)
    if licensee is None:
        raise FieldValidationError({"licensee_id": ["No organization with this ID."]})
    return licensee


def _check_licensee(module: Module, licensee: Organization) -> None:
    if licensee.is_ineligible_company:
        raise FieldValidationError(
            {
                "licensee_id": [
                    f"{licensee.name} is an ineligible company: it can never hold a license."
                ]
            }
        )
    if licensee.id in (module.owner_id, module.provider_id):
        raise FieldValidationError(
            {
                "licensee_id": [
                    f"{licensee.name} owns or provides this module: its members take it "
                    "without a license."
                ]
            }
        )


def _check_licensable(module: Module, on: date) -> None:
    if module.status != "published":
        raise ConflictError(
            "Only a published module can be licensed."
            if module.status == "draft"
            else "This module is retired: it is no longer offered."
        )
    if module.is_past_termination(on):
        raise ConflictError(
            f"This module passed its termination date on {module.termination_date.isoformat()}: "
            "it can no longer be licensed."
        )
    if not (module.provider and module.provider.is_accredited(on)):
        raise ConflictError(
            "The provider of record's accreditation is not current: the module cannot be "
            "licensed until it is renewed."
        )


def _offer_or_error(module: Module, offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.module_id != module.id:
        raise FieldValidationError({"offer_id": ["No offer with this ID for this module."]})
    if not offer.active:
        raise FieldValidationError({"offer_id": ["This offer is no longer available."]})
    return offer


def _check_seats_and_start(offer: Offer, module: Module, seats, start, on: date) -> None:
    problems: dict[str, list[str]] = {}
    if seats is not None and offer.seat_limit is not None and seats > offer.seat_limit:
        problems["seats"] = [f"This offer allows at most {offer.seat_limit} seats."]
    if start is not None and start < on:
        problems["start_date"] = ["A license cannot start in the past."]
    elif (
        start is not None
        and module.termination_date is not None
        and start > module.termination_date
    ):
        problems["start_date"] = [
            "The module terminates on "
            f"{module.termination_date.isoformat()}: choose an earlier start."
        ]
    if problems:
        raise FieldValidationError(problems)


def _open_request(module: Module, licensee: Organization) -> License | None:
    return db.session.scalar(
        select(License).where(
            License.module_id == module.id,
            License.licensee_id == licensee.id,
            License.status == "requested",
        )
    )


def _lock_module(module: Module) -> None:
    """Serialize license decisions on one module (PostgreSQL: a row lock), so two grants or
    approvals at once cannot both pass the overlap check."""
    db.session.execute(select(Module.id).where(Module.id == module.id).with_for_update())


def _check_no_overlap(module: Module, licensee: Organization, start: date, end: date) -> None:
    """One approved license per module and licensee at a time: a second one would multiply
    the seats. A renewal starts the day after the current license ends."""
    current = db.session.scalar(
        select(License)
        .where(
            License.module_id == module.id,
            License.licensee_id == licensee.id,
            License.status == "approved",
            License.start_date <= end,
            License.end_date >= start,
        )
        .order_by(License.end_date.desc())
        .limit(1)
    )
    if current is not None:
        renew_on = current.end_date + timedelta(days=1)
        raise ConflictError(
            f"{licensee.name} already holds a license for this module from "
            f"{current.start_date.isoformat()} to {current.end_date.isoformat()} "
            f"(license {current.id}): a renewal can start on {renew_on.isoformat()}.",
            {"start_date": [f"Start on {renew_on.isoformat()} or later."]},
        )


def _add_license(license: License) -> None:
    """Insert, turning a lost race on "one open request" into a clear 409."""
    try:
        with db.session.begin_nested():
            db.session.add(license)
    except IntegrityError as error:
        raise ConflictError(
            "This organization already has an open request for this module."
        ) from error


# The workflow ----------------------------------------------------------------------------


def request_license(actor: User | None, data: dict[str, Any], on: date | None = None) -> License:
    """An organization's staff ask the provider of record for a license."""
    on = on or current_day()
    module = _module_or_error(actor, data["module_id"])
    licensee = _licensee_or_error(data["licensee_id"])
    if not permissions.can_request_license_for(actor, licensee):
        raise PermissionDeniedError(
            f"Only education staff or administrators of {licensee.name} request licenses for it."
        )
    _check_licensee(module, licensee)
    _check_licensable(module, on)
    offer = _offer_or_error(module, data["offer_id"])
    _check_seats_and_start(offer, module, data.get("seats"), data.get("start_date"), on)
    if (open_request := _open_request(module, licensee)) is not None:
        raise ConflictError(
            f"{licensee.name} already has an open request for this module "
            f"(license {open_request.id}); withdraw it before asking again."
        )
    license = License(
        module=module,
        offer=offer,
        licensor_id=module.provider_id,
        licensee=licensee,
        status="requested",
        seats=data.get("seats"),
        requested_start_date=data.get("start_date"),
        message=data.get("message") or "",
        requested_terms=offer.terms(),
        requested_at=utcnow(),
        requested_by_id=actor.id,
    )
    _add_license(license)
    db.session.flush()
    _announce(
        actor,
        license,
        "license.requested",
        f"{licensee.name} requested a license",
        licensee,
        note=license.message,
        offer=offer.name,
        seats=license.seats,
        to=module.provider,
        message=f"{licensee.name} requests a license for “{module.title}”.",
    )
    return license


def _approve_terms(license: License, offer: Offer, start: date) -> None:
    license.terms = offer.terms()
    limit = offer.seat_limit
    license.seats = limit if license.seats is None else min(license.seats, limit or license.seats)
    license.start_date = start
    license.end_date = term_end(start, offer.term_months, license.module)


def _require_requested(license: License, action: str, on: date) -> None:
    if license.status != "requested":
        state = vocab.LICENSE_STATES[license.state_on(on)].lower()
        raise ConflictError(f"This license is {state}: only a requested license can be {action}.")


def _decider_only(actor: User | None, license: License) -> None:
    if not permissions.can_decide_license(actor, license):
        raise PermissionDeniedError(
            f"Only education staff of {license.licensor.name}, the provider of record, "
            "decide this license."
        )


def approve_license(
    actor: User | None, license: License, data: dict[str, Any], on: date | None = None
) -> License:
    """requested -> approved: the offer's terms are copied and the dates set."""
    on = on or current_day()
    _decider_only(actor, license)
    _require_requested(license, "approved", on)
    _check_licensable(license.module, on)
    offer = license.offer
    if not offer.active or (license.requested_terms and offer.terms() != license.requested_terms):
        raise ConflictError(
            "The offer this request was made under has changed (or was deactivated) since: "
            "decline it, and the licensee can request again under the current terms."
        )
    start = data.get("start_date") or max(license.requested_start_date or on, on)
    _check_seats_and_start(offer, license.module, None, start, on)
    _lock_module(license.module)
    _check_no_overlap(
        license.module, license.licensee, start, term_end(start, offer.term_months, license.module)
    )
    _approve_terms(license, offer, start)
    license.status = "approved"
    license.decided_at = utcnow()
    license.decided_by_id = actor.id
    license.decision_note = data.get("note") or ""
    db.session.flush()
    _announce(
        actor,
        license,
        "license.approved",
        f"{license.licensor.name} approved the license",
        license.licensor,
        note=license.decision_note,
        start_date=start.isoformat(),
        end_date=license.end_date.isoformat(),
        shortened=was_shortened(license),
        to=license.licensee,
        message=(
            f"{license.licensor.name} approved your license for “{license.module.title}”: "
            f"{license.start_date.isoformat()} to {license.end_date.isoformat()}."
        ),
    )
    return license


def decline_license(
    actor: User | None, license: License, note: str, on: date | None = None
) -> License:
    on = on or current_day()
    _decider_only(actor, license)
    _require_requested(license, "declined", on)
    _require_note(note)
    license.status = "declined"
    license.decided_at = utcnow()
    license.decided_by_id = actor.id
    license.decision_note = note
    db.session.flush()
    _announce(
        actor,
        license,
        "license.declined",
        f"{license.licensor.name} declined the license",
        license.licensor,
        note=note,
        to=license.licensee,
        message=f"{license.licensor.name} declined your request for “{license.module.title}”: "
        f"{note}",
    )
    return license


def withdraw_license(
    actor: User | None, license: License, note: str = "", on: date | None = None
) -> License:
    on = on or current_day()
    if not permissions.can_withdraw_license(actor, license):
        raise PermissionDeniedError(
            f"Only education staff of {license.licensee.name} can withdraw its request."
        )
    _require_requested(license, "withdrawn", on)
    license.status = "withdrawn"
    license.decided_at = utcnow()
    license.decided_by_id = actor.id
    license.decision_note = note or ""
    db.session.flush()
    _announce(
        actor,
        license,
        "license.withdrawn",
        f"{license.licensee.name} withdrew the request",
        license.licensee,
        note=note or "",
        to=license.licensor,
        message=f"{license.licensee.name} withdrew its request for “{license.module.title}”.",
    )
    return license


def revoke_license(
    actor: User | None, license: License, note: str, on: date | None = None
) -> License:
    """approved (scheduled or active) -> revoked: the licensee's members lose access at once."""
    on = on or current_day()
    _decider_only(actor, license)
    state = license.state_on(on)
    if state not in ("active", "scheduled"):
        raise ConflictError(
            f"This license is {vocab.LICENSE_STATES[state].lower()}: only an approved license "
            "that has not expired can be revoked."
        )
    _require_note(note)
    license.status = "revoked"
    license.revoked_at = utcnow()
    license.decision_note = note
    db.session.flush()
    _announce(
        actor,
        license,
        "license.revoked",
        f"{license.licensor.name} revoked the license",
        license.licensor,
        note=note,
        to=license.licensee,
        message=f"{license.licensor.name} revoked your license for “{license.module.title}”: "
        f"{note}",
    )
    return license


def grant_license(actor: User | None, data: dict[str, Any], on: date | None = None) -> License:
    """The provider shares a module with an organization outright: approved at once."""
    on = on or current_day()
    module = _module_or_error(actor, data["module_id"])
    if not permissions.can_grant_license(actor, module):
        raise PermissionDeniedError(
            "Only education staff of the provider of record can grant licenses for this module."
        )
    licensee = _licensee_or_error(data["licensee_id"])
    _check_licensee(module, licensee)
    _check_licensable(module, on)
    offer = _offer_or_error(module, data["offer_id"])
    start = data.get("start_date") or on
    _check_seats_and_start(offer, module, data.get("seats"), start, on)
    if (open_request := _open_request(module, licensee)) is not None:
        raise ConflictError(
            f"{licensee.name} has an open request for this module (license {open_request.id}): "
            "approve that request instead."
        )
    _lock_module(module)
    _check_no_overlap(module, licensee, start, term_end(start, offer.term_months, module))
    now = utcnow()
    license = License(
        module=module,
        offer=offer,
        licensor_id=module.provider_id,
        licensee=licensee,
        status="approved",
        seats=data.get("seats"),
        decided_at=now,
        decided_by_id=actor.id,
        decision_note=data.get("note") or "",
    )
    _approve_terms(license, offer, start)
    _add_license(license)
    db.session.flush()
    _announce(
        actor,
        license,
        "license.granted",
        f"{module.provider.name} granted a license",
        module.provider,
        note=license.decision_note,
        start_date=start.isoformat(),
        end_date=license.end_date.isoformat(),
        shortened=was_shortened(license),
        to=licensee,
        message=(
            f"{module.provider.name} shared “{module.title}” with {licensee.name}: "
            f"{license.start_date.isoformat()} to {license.end_date.isoformat()}."
        ),
    )
    return license


def _require_note(note: str) -> None:
    if not (note or "").strip():
        raise FieldValidationError({"note": ["Say why: the other organization reads this note."]})


def _announce(
    actor: User | None,
    license: License,
    action: str,
    summary: str,
    by_organization: Organization,
    *,
    to: Organization,
    message: str,
    **data: Any,
) -> None:
    """A decision on the license: its audit event (the history both parties read) and the
    other party's notification."""
    _record(actor, license, action, summary, by_organization, **data)
    notifications.notify_organization(
        to,
        kind=action,
        message=message,
        link=notifications.link_to("licensing.show", license_id=license.id),
        exclude=actor,
    )


def _record(
    actor: User | None,
    license: License,
    action: str,
    summary: str,
    by_organization: Organization,
    **data: Any,
) -> None:
    audit.record(
        actor,
        action,
        subject_type="license",
        subject_id=license.id,
        summary=f"{summary} for “{license.module.title}” (license {license.id}).",
        organization_id=license.licensee_id,
        related_organization_id=license.licensor_id,
        data={"by_organization": by_organization.name, **data},
    )


# When a licensed module changes ---------------------------------------------------------


def module_changed(actor: User | None, module: Module, on: date | None = None) -> None:
    """A published module has a new version. Licenses still to run end no later than its
    (perhaps earlier) termination date, and every organization licensing it is told."""
    on = on or current_day()
    licenses = list(
        db.session.scalars(
            select(License)
            .where(
                License.module_id == module.id,
                License.status == "approved",
                License.end_date >= on,
            )
            .options(joinedload(License.licensee), joinedload(License.licensor))
            .order_by(License.id)
        )
    )
    told: set[int] = set()
    for license in licenses:
        termination = module.termination_date
        if termination is not None and license.end_date > termination:
            _cut_to_termination(actor, license, termination)
        if license.licensee_id not in told:
            told.add(license.licensee_id)
            notifications.notify_organization(
                license.licensee,
                kind="module.new_version",
                message=(
                    f"{license.licensor.name} published version {module.version} of "
                    f"“{module.title}”, which {license.licensee.name} licenses."
                ),
                link=notifications.link_to("catalog.module_page", module_id=module.id),
                exclude=actor,
            )


def _cut_to_termination(actor: User | None, license: License, termination: date) -> None:
    previous = license.end_date
    if termination < license.start_date:  # it would never begin: it ends now
        license.status = "revoked"
        license.revoked_at = utcnow()
        license.decision_note = "The module now terminates before this license would start."
        action, summary = "license.revoked", "The module's new termination date revoked"
    else:
        license.end_date = termination
        action, summary = "license.shortened", "The module's new termination date shortened"
    db.session.flush()
    _announce(
        actor,
        license,
        action,
        f"{summary} the license",
        license.licensor,
        to=license.licensee,
        message=(
            f"“{license.module.title}” now terminates on {termination.isoformat()}: your "
            f"license ends then instead of {previous.isoformat()}."
        ),
        note=f"Access now ends on {termination.isoformat()} (was {previous.isoformat()}).",
        previous_end_date=previous.isoformat(),
        end_date=termination.isoformat(),
    )
