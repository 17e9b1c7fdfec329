"""Marshmallow fields shared by every schema: text that is trimmed and safe to store,
whole numbers that never truncate silently, decimal amounts that never round silently."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from marshmallow import fields, validate


def _validators(kwargs: dict[str, Any]) -> list:
    given = kwargs.pop("validate", None)
    if given is None:
        return []
    return list(given) if isinstance(given, list | tuple) else [given]


class Text(fields.String):
    """A trimmed string. Rejects NUL (PostgreSQL cannot store it) and, when `max_length` is
    given, anything longer. `required=True` also refuses an empty or blank string."""

    default_error_messages = {
        "blank": "This field cannot be blank.",
        "nul": "Contains a character that is not allowed.",
    }

    def __init__(self, *, max_length: int | None = None, **kwargs: Any):
        validators = _validators(kwargs)
        if max_length is not None:
            validators.append(
                validate.Length(max=max_length, error="Must be at most {max} characters.")
            )
        super().__init__(validate=validators, **kwargs)
        self.max_length = max_length

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if "\x00" in text:
            raise self.make_error("nul")
        if self.required and not text:
            raise self.make_error("blank")
        return text


INT32_MAX = 2**31 - 1


class WholeNumber(fields.Integer):
    """An integer that fits a database INTEGER: 60 and "60" pass; 60.5, "60.5", true, ""
    and 99999999999999999999 do not."""

    default_error_messages = {
        "invalid": "Must be a whole number.",
        "too_large": "Must be between -2147483647 and 2147483647.",
    }

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        if isinstance(value, str):
            value = value.strip()
            if not value.lstrip("-").isdigit() or len(value) > 12:
                raise self.make_error("invalid" if not value.lstrip("-").isdigit() else "too_large")
        number = super()._deserialize(value, attr, data, **kwargs)
        if abs(number) > INT32_MAX:
            raise self.make_error("too_large")
        return number


class Amount(fields.Field):
    """A non-negative decimal with at most two places, loaded as `Decimal`, dumped as a number."""

    default_error_messages = {
        "invalid": "Must be a number.",
        "places": "Use at most two decimal places.",
        "negative": "Must be greater than zero.",
        "too_large": "Must be at most {maximum}.",
    }

    def __init__(self, *, maximum: Decimal = Decimal("1000"), allow_zero: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.maximum = maximum
        self.allow_zero = allow_zero

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise self.make_error("invalid")
        text = str(value).strip()
        if len(text) > 40:
            raise self.make_error("invalid")
        try:
            amount = Decimal(text)
        except InvalidOperation as exc:
            raise self.make_error("invalid") from exc
        if not amount.is_finite():
            raise self.make_error("invalid")
        if amount < 0 or (amount == 0 and not self.allow_zero):
            raise self.make_error("negative")
        if amount > self.maximum:
            raise self.make_error("too_large", maximum=self.maximum)
        try:
            rounded = amount.quantize(Decimal("0.01"))
        except InvalidOperation as exc:  # more digits than a Decimal context holds
            raise self.make_error("places") from exc
        if rounded != amount:
            raise self.make_error("places")
        return rounded

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return float(value)


class HttpUrl(fields.Url):
    """An absolute http(s) URL: never javascript:, data: or a relative path."""

    def __init__(self, *, max_length: int = 2000, **kwargs: Any):
        validators = _validators(kwargs)
        validators.append(
            validate.Length(max=max_length, error="Must be at most {max} characters.")
        )
        super().__init__(
            schemes={"http", "https"}, require_tld=False, validate=validators, **kwargs
        )

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip()
        return super()._deserialize(value, attr, data, **kwargs)


def choice(values: dict[str, str] | list[str], **kwargs: Any) -> fields.String:
    """A string that must be one of a vocabulary's codes."""
    codes = list(values)
    return fields.String(
        validate=validate.OneOf(codes, error="Must be one of: {choices}."), **kwargs
    )


def choices(values: dict[str, str], *, max_items: int | None = None, **kwargs: Any) -> fields.List:
    """A list of vocabulary codes, de-duplicated in order."""
    return UniqueList(choice(values), max_items=max_items, **kwargs)


class UniqueList(fields.List):
    """A list with duplicates removed (first one kept) and an optional size limit."""

    def __init__(self, inner, *, max_items: int | None = None, **kwargs: Any):
        validators = _validators(kwargs)
        if max_items is not None:
            validators.append(validate.Length(max=max_items, error="At most {max} items."))
        super().__init__(inner, validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        unique, seen = [], set()
        for item in super()._deserialize(value, attr, data, **kwargs):
            key = item.casefold() if isinstance(item, str) else item
            if key not in seen:
                seen.add(key)
                unique.append(item)
        return unique
