"""Paging shared by every list: the query parameters and the API's list envelope."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass
class ListPage:
    """One page of a list computed in full (a search, aggregated rows), with the interface
    of Flask-SQLAlchemy's pagination that the pager macro and `envelope` use."""

    items: list[Any]
    total: int
    page: int
    per_page: int

    @classmethod
    def of(cls, rows: Sequence[Any], page: int, per_page: int) -> ListPage:
        start = (page - 1) * per_page
        return cls(items=list(rows[start : start + per_page]), total=len(rows), page=page,
                   per_page=per_page)  # fmt: skip

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(self, left_edge=2, left_current=2, right_current=4, right_edge=2):
        last = 0
        for number in range(1, self.pages + 1):
            if (
                number <= left_edge
                or self.page - left_current <= number <= self.page + right_current
                or number > self.pages - right_edge
            ):
                if last + 1 != number:
                    yield None
                yield number
                last = number
