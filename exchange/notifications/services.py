"""Telling the other party: in-app notifications, and email when mail is configured.

`notify_organization` adds one notification per administrator and education staff member of
an organization, in the caller's transaction, and queues one email each. The emails leave
only after that transaction commits (a rollback sends nothing); without MAIL_SERVER they are
written to the log, which is how development shows them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import current_app, has_request_context, url_for
from flask_mail import Message
from sqlalchemy import func, select, update

from exchange.accounts.models import User
from exchange.database import hooks, utcnow
from exchange.extensions import db, mail
from exchange.notifications.models import Notification
from exchange.organizations.models import Membership, Organization
from exchange.permissions import EDITOR_ROLES

log = logging.getLogger(__name__)
PENDING_MAIL = "notifications_pending_mail"


@dataclass(frozen=True)
class PendingMail:
    to: str
    subject: str
    body: str


def link_to(endpoint: str, **values) -> str:
    """A site-relative link that works in a request and in a CLI command alike."""
    if has_request_context():
        return url_for(endpoint, **values)
    with current_app.test_request_context():
        return url_for(endpoint, **values)


def absolute_url(link: str) -> str:
    """The site's public address + `link`: from PUBLIC_BASE_URL, never from the request's
    Host header (which a sender chooses)."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + link


def notify_organization(
    organization: Organization,
    *,
    kind: str,
    message: str,
    link: str,
    exclude: User | None = None,
) -> int:
    """Notify the organization's admins and education staff (but `exclude`, the actor)."""
    recipients = list(
        db.session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.organization_id == organization.id,
                Membership.role.in_(EDITOR_ROLES),
                User.active.is_(True),
                User.id != (exclude.id if exclude else -1),
            )
            .order_by(User.id)
        )
    )
    pending = db.session.info.setdefault(PENDING_MAIL, [])
    for user in recipients:
        db.session.add(
            Notification(
                user_id=user.id,
                organization_id=organization.id,
                kind=kind,
                message=message[:500],
                link=link,
            )
        )
        pending.append(
            PendingMail(
                to=user.email,
                subject=_subject(message),
                body=(
                    f"Hello {user.full_name},\n\n{message}\n\n"
                    f"Open it on the CME Exchange: {absolute_url(link)}\n\n"
                    f"You receive this as education staff of {organization.name}."
                ),
            )
        )
    return len(recipients)


def _subject(message: str) -> str:
    """One line (the mailer refuses a newline in a header), at most about 130 characters."""
    line = " ".join(message.split())
    return "CME Exchange: " + (line if len(line) <= 120 else line[:119] + "…")


def unread_count(user: User | None) -> int:
    if user is None:
        return 0
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def list_notifications(user: User, page: int, per_page: int = 20):
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return db.paginate(stmt, page=page, per_page=per_page, error_out=False)


def mark_all_read(user: User) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


# Sending after the commit ---------------------------------------------------------------


def _send_pending() -> None:
    pending: list[PendingMail] = db.session.info.pop(PENDING_MAIL, [])
    if not pending:
        return
    if not current_app.config.get("MAIL_SERVER"):
        for item in pending:
            log.info("Email (no MAIL_SERVER set) to %s: %s\n%s", item.to, item.subject, item.body)
        return
    with mail.connect() as connection:
        for item in pending:
            try:  # one bad address must not stop the others
                connection.send(Message(subject=item.subject, recipients=[item.to], body=item.body))
            except Exception:  # noqa: BLE001 - the decision is committed: log it and go on
                log.exception("Could not send the email to %s.", item.to)


def _drop_pending() -> None:
    db.session.info.pop(PENDING_MAIL, None)


def register_hooks() -> None:
    if _send_pending not in hooks.after:
        hooks.after.append(_send_pending)
        hooks.rollback.append(_drop_pending)
