"""Domain errors raised by services and turned into HTTP answers at the edges.

Views render them as flashed messages or inline form errors; the API turns them into the
error body of API.md (`code`, `status`, `message`, `errors`).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    http_status = 400

    def __init__(self, message: str, errors: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


class NotFoundError(DomainError):
    """Not there, or not visible to this caller: the two are never told apart."""

    http_status = 404


class PermissionDeniedError(DomainError):
    http_status = 403


class ConflictError(DomainError):
    """The action does not fit the record's current state (publish an incomplete module...)."""

    http_status = 409


class FieldValidationError(DomainError):
    """Input that fails a rule, with messages per field."""

    http_status = 422

    def __init__(self, errors: dict[str, Any], message: str | None = None):
        super().__init__(message or summarize_errors(errors), errors)


def summarize_errors(errors: dict[str, Any]) -> str:
    """One sentence naming the fields at fault, for the API's `message`."""
    flat = flatten_errors(errors)
    names = sorted(flat)
    if not names:
        return "The input is not valid."
    if names == ["_schema"]:
        if "Invalid input type." in flat["_schema"]:
            return "The request body must be a JSON object."
        return " ".join(flat["_schema"])
    shown = ", ".join(names[:6]) + (" and others" if len(names) > 6 else "")
    return f"Please correct: {shown}."


def flatten_errors(errors: Any, prefix: str = "") -> dict[str, list[str]]:
    """{"faculty": {0: {"name": [..]}}} -> {"faculty.0.name": [..]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            flat.update(flatten_errors(value, name))
    elif isinstance(errors, list | tuple):
        messages = [m for m in errors if isinstance(m, str)]
        if messages:
            flat[prefix or "_schema"] = messages
        for item in errors:
            if isinstance(item, dict):
                flat.update(flatten_errors(item, prefix))
    else:
        flat[prefix or "_schema"] = [str(errors)]
    return flat
