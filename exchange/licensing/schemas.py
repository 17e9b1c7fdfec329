"""Offer and license schemas: input validation for the API and the forms, and API shapes."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exchange import vocab
from exchange.pagination import PageQuerySchema
from exchange.schema_fields import Text, WholeNumber, choice

MAX_NOTE = 2000
MAX_SEATS = 1_000_000
MAX_PRICE_CENTS = 1_000_000_000  # ten million in the currency: fits a database INTEGER


def _seats(**kwargs) -> WholeNumber:
    return WholeNumber(
        allow_none=True,
        validate=validate.Range(min=1, max=MAX_SEATS, error="Must be between {min} and {max}."),
        **kwargs,
    )


class OfferInputSchema(Schema):
    """Create (all of it) and update (`partial=True`) of an offer."""

    name = Text(required=True, max_length=100)
    pricing = choice(vocab.PRICINGS, required=True)
    price_cents = WholeNumber(
        load_default=0,
        validate=validate.Range(
            min=0, max=MAX_PRICE_CENTS, error="Must be between {min} and {max} cents."
        ),
    )
    currency = choice(vocab.CURRENCIES, load_default="USD")
    term_months = WholeNumber(
        required=True,
        validate=validate.Range(min=1, max=60, error="Must be between {min} and {max} months."),
    )
    seat_limit = _seats(load_default=None)
    co_branding = fields.Boolean(load_default=False)
    modification = fields.Boolean(load_default=False)
    active = fields.Boolean(load_default=True)

    @validates_schema
    def check_price(self, data, partial=None, **kwargs):
        if partial and not {"pricing", "price_cents"} <= data.keys():
            return  # the service checks the merged offer
        problems = price_problems(data.get("pricing"), data.get("price_cents"))
        if problems:
            raise ValidationError(problems)


def price_problems(pricing: str | None, price_cents: int | None) -> dict[str, list[str]]:
    """A free offer has no price; a paid one has one."""
    if pricing == "free" and price_cents:
        return {"price_cents": ["A free offer has no price."]}
    if pricing in ("flat", "per_learner") and not price_cents:
        return {"price_cents": ["Give the price of a paid offer (or choose Free)."]}
    return {}


class OfferPatchSchema(OfferInputSchema):
    """PATCH of an offer: any field may be left out (use with `partial=True`)."""


class LicenseRequestSchema(Schema):
    module_id = WholeNumber(required=True)
    offer_id = WholeNumber(required=True)
    licensee_id = WholeNumber(required=True)
    seats = _seats(load_default=None)
    start_date = fields.Date(load_default=None, allow_none=True)
    message = Text(max_length=MAX_NOTE, load_default="")


class LicenseGrantSchema(Schema):
    module_id = WholeNumber(required=True)
    offer_id = WholeNumber(required=True)
    licensee_id = WholeNumber(required=True)
    seats = _seats(load_default=None)
    start_date = fields.Date(load_default=None, allow_none=True)
    note = Text(max_length=MAX_NOTE, load_default="")


class ApproveSchema(Schema):
    start_date = fields.Date(load_default=None, allow_none=True)
    note = Text(max_length=MAX_NOTE, load_default="")


class NoteRequiredSchema(Schema):
    """Decline and revoke: the other party is told why."""

    note = Text(
        required=True,
        max_length=MAX_NOTE,
        error_messages={
            "required": "Say why: the other organization reads this note.",
            "blank": "Say why: the other organization reads this note.",
        },
    )


class NoteOptionalSchema(Schema):
    note = Text(max_length=MAX_NOTE, load_default="")


class LicenseListQuerySchema(PageQuerySchema):
    side = choice(["licensor", "licensee"], load_default=None)
    status = choice({**vocab.LICENSE_STATES, "approved": "Approved"}, load_default=None)
    module_id = WholeNumber(load_default=None)


# Output -------------------------------------------------------------------------------


class OfferSchema(Schema):
    id = fields.Integer()
    module_id = fields.Integer()
    name = fields.String()
    pricing = fields.String()
    price_cents = fields.Integer()
    currency = fields.String()
    term_months = fields.Integer()
    seat_limit = fields.Integer(allow_none=True)
    co_branding = fields.Boolean()
    modification = fields.Boolean()
    active = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class TermsSchema(Schema):
    name = fields.String()
    pricing = fields.String()
    price_cents = fields.Integer()
    currency = fields.String()
    term_months = fields.Integer()
    seat_limit = fields.Integer(allow_none=True)
    co_branding = fields.Boolean()
    modification = fields.Boolean()


class HistoryEntrySchema(Schema):
    status = fields.String()
    at = fields.DateTime()
    by = fields.String(allow_none=True)
    by_organization = fields.String(allow_none=True)
    note = fields.String()


class LicenseSchema(Schema):
    """A license as its parties see it (`state` on today's date; `seats_used` counted)."""

    id = fields.Integer()
    module_id = fields.Integer()
    module_title = fields.Function(lambda lic: lic.module.title)
    licensor_id = fields.Integer()
    licensor_name = fields.Function(lambda lic: lic.licensor.name)
    licensee_id = fields.Integer()
    licensee_name = fields.Function(lambda lic: lic.licensee.name)
    offer_id = fields.Integer()
    status = fields.String()
    state = fields.String()
    requested_start_date = fields.Date(allow_none=True)
    start_date = fields.Date(allow_none=True)
    end_date = fields.Date(allow_none=True)
    seats = fields.Integer(allow_none=True)
    seats_used = fields.Integer()
    terms = fields.Nested(TermsSchema, allow_none=True)
    message = fields.String()
    decision_note = fields.String()
    requested_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class LicenseDetailSchema(LicenseSchema):
    history = fields.List(fields.Nested(HistoryEntrySchema))
