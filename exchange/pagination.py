"""Paging shared by every list: the query parameters and the API's list envelope."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from exchange.schema_fields import WholeNumber

MAX_PER_PAGE = 100


class PageQuerySchema(Schema):
    page = WholeNumber(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = WholeNumber(
        load_default=20,
        validate=validate.Range(min=1, max=MAX_PER_PAGE, error="Must be between {min} and {max}."),
    )


def page_number(args: Any) -> int:
    """The `page` query argument of an HTML list, 1 when missing or not a sensible number."""
    value = (args.get("page") or "1").strip()
    return int(value) if value.isdigit() and 0 < len(value) <= 6 and int(value) > 0 else 1


def page_envelope_schema(item_schema: type[Schema], name: str) -> type[Schema]:
    """`{"items": [...], "total", "page", "per_page"}` around `item_schema`, named for OpenAPI."""
    return Schema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema)),
            "total": fields.Integer(),
            "page": fields.Integer(),
            "per_page": fields.Integer(),
        },
        name=name,
    )


def envelope(pagination: Any) -> dict[str, Any]:
    """A Flask-SQLAlchemy pagination as the API's list body."""
    return {
        "items": list(pagination.items),
        "total": pagination.total,
        "page": pagination.page,
        "per_page": pagination.per_page,
    }
