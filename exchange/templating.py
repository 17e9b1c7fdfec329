"""Jinja helpers: vocabularies, date formatting, the signed-in actor, URLs for list state."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, request, url_for
from flask_login import current_user

from exchange import vocab


def actor():
    """The signed-in user, or None: what services take as `actor`."""
    return current_user if current_user.is_authenticated else None


def _as_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def format_date(value: Any) -> str:
    day = _as_date(value)
    return f"{day.day} {day:%b %Y}" if day else "—"


def format_datetime(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return f"{value.day} {value:%b %Y, %H:%M} UTC"


def format_amount(value: Any) -> str:
    """1.5 -> "1.5", 1.0 -> "1", 0.25 -> "0.25"."""
    if value is None:
        return ""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return text


def format_minutes(value: Any) -> str:
    if not value:
        return "—"
    hours, minutes = divmod(int(value), 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def _plain_args() -> dict[str, list[str]]:
    """The query arguments, without any url_for would read as its own (_anchor, _scheme,
    _method, _external: a crafted link must not change where a URL points or fail)."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if not k.startswith("_")}


def url_with(**changes: Any) -> str:
    """The current page's URL with some query parameters changed (None removes one)."""
    args = _plain_args()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = [value]
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def url_toggle(name: str, value: Any) -> str:
    """The current URL with `value` added to, or removed from, the list parameter `name`
    (back to the first page): the link behind a facet checkbox."""
    args = _plain_args()
    values = args.get(name, [])
    text = str(value)
    args[name] = [v for v in values if v != text] if text in values else [*values, text]
    if not args[name]:
        args.pop(name)
    args.pop("page", None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def nav_counts() -> dict[str, int]:
    """The navigation's badges: license requests to decide and unread notifications
    (two small queries, only for signed-in people)."""
    user = actor()
    if user is None:
        return {"inbox": 0, "unread": 0}
    from exchange.licensing.services import inbox_count
    from exchange.notifications.services import unread_count

    return {"inbox": inbox_count(user), "unread": unread_count(user)}


def register_template_helpers(app: Flask) -> None:
    app.jinja_env.globals.update(
        vocab=vocab, actor=actor, url_with=url_with, url_toggle=url_toggle, nav_counts=nav_counts
    )
    app.jinja_env.filters.update(
        date_long=format_date,
        datetime_long=format_datetime,
        amount=format_amount,
        minutes=format_minutes,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
