"""Accounts: creating people, checking passwords, profiles and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from exchange.accounts.models import ApiToken, User, hash_token
from exchange.database import utcnow
from exchange.errors import FieldValidationError
from exchange.extensions import db

# Checked against when the email is unknown, so a miss costs as much time as a hit.
_DUMMY_HASH: str | None = None


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(
    *, email: str, full_name: str, password: str, profession: str, is_platform_admin: bool = False
) -> User:
    if find_user_by_email(email):
        raise FieldValidationError(
            {"email": ["An account with this email address already exists."]}
        )
    user = User(
        email=email.strip().lower(),
        full_name=full_name,
        profession=profession,
        is_platform_admin=is_platform_admin,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    return user


def sign_up(data: dict[str, Any]) -> User:
    return create_user(**data)


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    global _DUMMY_HASH
    user = find_user_by_email(email or "")
    if user is None:
        if _DUMMY_HASH is None:
            probe = User()
            probe.set_password(secrets.token_hex(8))
            _DUMMY_HASH = probe.password_hash
        User(password_hash=_DUMMY_HASH).check_password(password or "")
        return None
    if not user.check_password(password or "") or not user.is_active:
        return None
    return user


def update_profile(user: User, data: dict[str, Any]) -> User:
    user.full_name = data["full_name"]
    user.profession = data["profession"]
    db.session.flush()
    return user


def ensure_platform_admin(
    *, email: str, password: str, full_name: str = "Platform administrator"
) -> User:
    """Create a platform admin, or promote the existing account and set its password."""
    user = find_user_by_email(email)
    if user is None:
        return create_user(
            email=email,
            full_name=full_name,
            password=password,
            profession="other",
            is_platform_admin=True,
        )
    user.is_platform_admin = True
    user.set_password(password)
    db.session.flush()
    return user


def issue_token(user: User) -> tuple[str, ApiToken]:
    """A new bearer token; only its hash is stored, so the caller sees it once."""
    token = secrets.token_urlsafe(32)
    hours = current_app.config["API_TOKEN_TTL_HOURS"]
    record = ApiToken(
        user_id=user.id, token_hash=hash_token(token), expires_at=utcnow() + timedelta(hours=hours)
    )
    db.session.add(record)
    db.session.flush()
    return token, record


def token_record(token: str) -> ApiToken | None:
    """The live (unexpired, unrevoked) token record for a presented token, or None."""
    record = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if record is None or record.revoked_at is not None or record.expires_at <= utcnow():
        return None
    if not record.user.is_active:
        return None
    return record


def revoke_token(record: ApiToken) -> None:
    record.revoked_at = utcnow()
    db.session.flush()
