"""Recording and reading audit events."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from exchange import permissions
from exchange.accounts.models import User
from exchange.audit.models import AuditEvent
from exchange.errors import PermissionDeniedError
from exchange.extensions import db
from exchange.organizations.models import Organization


def record(
    actor: User | None,
    action: str,
    *,
    subject_type: str,
    subject_id: int,
    summary: str,
    organization_id: int | None,
    related_organization_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        summary=summary[:500],
        organization_id=organization_id,
        related_organization_id=related_organization_id,
        data=data or {},
    )
    db.session.add(event)
    return event


def events_for_organization(
    actor: User | None, organization: Organization, page: int, per_page: int
):
    """An organization's audit trail, newest first: its admins and platform admins only."""
    if not permissions.can_view_audit(actor, organization):
        raise PermissionDeniedError(
            "Only this organization's administrators can read its audit log."
        )
    stmt = (
        select(AuditEvent)
        .where(
            or_(
                AuditEvent.organization_id == organization.id,
                AuditEvent.related_organization_id == organization.id,
            )
        )
        .options(joinedload(AuditEvent.actor))
        .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False, count=True)
