"""Organizations: creation, accreditation, profiles and people (memberships)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from slugify import slugify
from sqlalchemy import func, select, update
from sqlalchemy.orm import joinedload

from exchange import permissions
from exchange.accounts import services as accounts
from exchange.accounts.models import User
from exchange.audit import services as audit
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
from exchange.organizations.models import Membership, Organization
from exchange.search import indexing as search_index


def get_organization(organization_id: int) -> Organization:
    org = db.session.get(Organization, organization_id)
    if org is None:
        raise NotFoundError("No such organization.")
    return org


SLUG_PATTERN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def get_organization_by_slug(slug: str) -> Organization:
    if len(slug) > 200 or not SLUG_PATTERN.fullmatch(slug):
        raise NotFoundError("No such organization.")
    org = db.session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFoundError("No such organization.")
    return org


def list_organizations(filters: dict[str, Any], on: date | None = None):
    stmt = select(Organization).order_by(func.lower(Organization.name))
    if filters.get("kind"):
        stmt = stmt.where(Organization.kind == filters["kind"])
    if filters.get("accredited_only"):
        stmt = stmt.where(Organization.accredited_clause(on or current_day()))
    return db.paginate(
        stmt, page=filters.get("page", 1), per_page=filters.get("per_page", 20), error_out=False
    )


# Paths under /organizations/ that a slug must not shadow.
RESERVED_SLUGS = {"new"}


def _unique_slug(name: str) -> str:
    base = slugify(name, max_length=180) or "organization"
    if base in RESERVED_SLUGS:
        base = f"{base}-organization"
    slug, n = base, 2
    while db.session.scalar(select(Organization.id).where(Organization.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


def _accreditation_data(org: Organization) -> dict[str, Any]:
    return {
        "kind": org.kind,
        "accreditor": org.accreditor,
        "accredited_until": org.accredited_until.isoformat() if org.accredited_until else None,
        "is_ineligible_company": org.is_ineligible_company,
    }


def create_organization(actor: User | None, data: dict[str, Any]) -> Organization:
    if not permissions.can_create_organization(actor):
        raise PermissionDeniedError("Only platform administrators can create organizations.")
    name = data["name"]
    if db.session.scalar(
        select(Organization.id).where(func.lower(Organization.name) == name.lower())
    ):
        raise FieldValidationError({"name": ["An organization with this name already exists."]})
    slug = data.get("slug")
    if slug in RESERVED_SLUGS or (
        slug and db.session.scalar(select(Organization.id).where(Organization.slug == slug))
    ):
        raise FieldValidationError({"slug": ["Another organization already uses this address."]})
    org = Organization(
        name=name,
        slug=slug or _unique_slug(name),
        kind=data["kind"],
        description=data.get("description") or "",
        website=data.get("website") or "",
        is_ineligible_company=bool(data.get("is_ineligible_company")),
    )
    db.session.add(org)
    db.session.flush()
    audit.record(
        actor,
        "organization.created",
        subject_type="organization",
        subject_id=org.id,
        summary=f"Created the organization {org.name}.",
        organization_id=org.id,
        data={"kind": org.kind},
    )
    if data.get("accreditor") or data.get("is_ineligible_company"):
        set_accreditation(actor, org, data)
    return org


def set_accreditation(actor: User | None, org: Organization, data: dict[str, Any]) -> Organization:
    """Record a verified accreditation (or its removal) and ineligible-company status.
    Only a platform admin does this: accreditation is never self-declared into effect."""
    if not permissions.can_verify_accreditation(actor):
        raise PermissionDeniedError("Only platform administrators verify accreditation.")
    before = _accreditation_data(org)
    becomes_ineligible = bool(data.get("is_ineligible_company")) and not org.is_ineligible_company
    if becomes_ineligible:
        owned = db.session.scalar(
            select(func.count(Module.id)).where(
                (Module.owner_id == org.id) | (Module.provider_id == org.id),
                Module.status != "retired",
            )
        )
        if owned:
            raise ConflictError(
                f"{org.name} owns or provides {owned} module(s) that are not retired; retire "
                "them before marking it an ineligible company."
            )
    org.kind = data["kind"]
    org.accreditor = data.get("accreditor")
    org.accredited_until = data.get("accredited_until")
    org.is_ineligible_company = bool(data.get("is_ineligible_company"))
    if org.accreditor:
        org.accreditation_verified_at = utcnow()
        org.accreditation_verified_by_id = actor.id if actor else None
    else:
        org.accreditation_verified_at = None
        org.accreditation_verified_by_id = None
    after = _accreditation_data(org)
    if after != before:
        # Whether its modules can award credit now depends on this: touch them (which also
        # orders this change against concurrent edits of the same rows) and reindex them.
        db.session.execute(
            update(Module).where(Module.provider_id == org.id).values(updated_at=utcnow())
        )
        for module_id in db.session.scalars(select(Module.id).where(Module.provider_id == org.id)):
            search_index.enqueue(module_id)
        audit.record(
            actor,
            "organization.accreditation_changed",
            subject_type="organization",
            subject_id=org.id,
            summary=_accreditation_summary(org),
            organization_id=org.id,
            data={"before": before, "after": after},
        )
    db.session.flush()
    return org


def _accreditation_summary(org: Organization) -> str:
    if org.is_ineligible_company:
        return f"Marked {org.name} as an ineligible company."
    if org.accreditor:
        return (
            f"Verified {org.name}'s accreditation by {org.accreditor.upper()} until "
            f"{org.accredited_until.isoformat() if org.accredited_until else '?'}."
        )
    return f"Removed {org.name}'s accreditation."


def update_profile(actor: User | None, org: Organization, data: dict[str, Any]) -> Organization:
    if not permissions.can_manage_members(actor, org):
        raise PermissionDeniedError("Only this organization's administrators can edit its profile.")
    org.description = data.get("description") or ""
    org.website = data.get("website") or ""
    db.session.flush()
    return org


# People ---------------------------------------------------------------------------------


def list_members(actor: User | None, org: Organization, page: int = 1, per_page: int = 50):
    if not permissions.can_view_members(actor, org):
        raise PermissionDeniedError(
            "Only this organization's staff and administrators can see its members."
        )
    stmt = (
        select(Membership)
        .join(Membership.user)
        .where(Membership.organization_id == org.id)
        .options(joinedload(Membership.user))
        .order_by(func.lower(User.full_name), Membership.id)
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def get_membership(org: Organization, membership_id: int) -> Membership:
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.organization_id != org.id:
        raise NotFoundError("No such member of this organization.")
    return membership


def add_member(actor: User | None, org: Organization, data: dict[str, Any]) -> Membership:
    """Add an existing user, or create the account, with a role in `org`."""
    if not permissions.can_manage_members(actor, org):
        raise PermissionDeniedError("Only this organization's administrators can add people.")
    user = accounts.find_user_by_email(data["email"])
    if user is None:
        if not data.get("password"):
            raise FieldValidationError(
                {"password": ["There is no account with this email yet: give a password for it."]}
            )
        user = accounts.create_user(
            email=data["email"],
            full_name=data["full_name"],
            password=data["password"],
            profession=data["profession"],
        )
    elif user.role_in(org.id):
        raise ConflictError(f"{user.email} is already a member of {org.name}.")
    membership = Membership(user=user, organization=org, role=data["role"])
    db.session.add(membership)
    db.session.flush()
    audit.record(
        actor,
        "membership.added",
        subject_type="membership",
        subject_id=membership.id,
        summary=f"Added {user.full_name} ({user.email}) as {data['role']}.",
        organization_id=org.id,
        data={"user_id": user.id, "role": data["role"]},
    )
    return membership


def _other_admins(org: Organization, membership: Membership) -> int:
    return (
        db.session.scalar(
            select(func.count(Membership.id)).where(
                Membership.organization_id == org.id,
                Membership.role == "admin",
                Membership.id != membership.id,
            )
        )
        or 0
    )


def change_role(
    actor: User | None, org: Organization, membership: Membership, role: str
) -> Membership:
    if not permissions.can_manage_members(actor, org):
        raise PermissionDeniedError("Only this organization's administrators can change roles.")
    if membership.role == role:
        return membership
    if membership.role == "admin" and not _other_admins(org, membership):
        raise ConflictError(
            "An organization needs at least one administrator: make someone else admin first."
        )
    before = membership.role
    membership.role = role
    audit.record(
        actor,
        "membership.role_changed",
        subject_type="membership",
        subject_id=membership.id,
        summary=f"Changed {membership.user.full_name}'s role from {before} to {role}.",
        organization_id=org.id,
        data={"user_id": membership.user_id, "before": before, "after": role},
    )
    db.session.flush()
    return membership


def remove_member(actor: User | None, org: Organization, membership: Membership) -> None:
    if not permissions.can_manage_members(actor, org):
        raise PermissionDeniedError("Only this organization's administrators can remove people.")
    if membership.role == "admin" and not _other_admins(org, membership):
        raise ConflictError(
            "An organization needs at least one administrator: make someone else admin first."
        )
    audit.record(
        actor,
        "membership.removed",
        subject_type="membership",
        subject_id=membership.id,
        summary=f"Removed {membership.user.full_name} ({membership.user.email}).",
        organization_id=org.id,
        data={"user_id": membership.user_id, "role": membership.role},
    )
    user = membership.user
    user.memberships.remove(membership)  # keep the in-memory permissions in step
    db.session.delete(membership)
    db.session.flush()
    db.session.expire(org, ["memberships"])
