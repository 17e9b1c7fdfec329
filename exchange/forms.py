"""Helpers for HTML forms: the same marshmallow schemas validate them as the API.

Flask-WTF provides the CSRF check (CSRFProtect, on every POST); the fields themselves are
plain HTML, their values parsed into the schema's shape and their errors shown inline.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError

from exchange.errors import DomainError, flatten_errors


class FormResult:
    """The outcome of loading a form: `data` when valid, otherwise `errors` by field name."""

    def __init__(self, data: dict[str, Any] | None, errors: dict[str, list[str]]):
        self.data = data
        self.errors = errors

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.errors


def load_form(schema: Schema, values: dict[str, Any], **kwargs: Any) -> FormResult:
    try:
        return FormResult(schema.load(values, **kwargs), {})
    except ValidationError as error:
        return FormResult(None, flatten_errors(error.messages))


def error_fields(error: DomainError) -> dict[str, list[str]]:
    return flatten_errors(error.errors)


def blank_to_none(values: dict[str, Any], *names: str) -> dict[str, Any]:
    """Empty inputs mean "not given" for optional dates, numbers and choices."""
    return {k: (None if k in names and v in ("", None) else v) for k, v in values.items()}
