"""Sharing schemas: the network's filters (page and API) and what the API returns."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exchange import vocab
from exchange.pagination import PageQuerySchema
from exchange.schema_fields import Amount, WholeNumber, choice
from exchange.sharing.services import SORTS

WEIGHTS = ("learners", "active_licenses", "modules", "credits_awarded")


class SharingApiQuerySchema(PageQuerySchema):
    """GET /api/v1/sharing: the network's filters, sort and page."""

    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)
    specialty = choice(vocab.SPECIALTIES, load_default=None)
    credit_type = choice(vocab.CREDIT_TYPES, load_default=None)
    active_only = fields.Boolean(load_default=False)
    provider_id = WholeNumber(load_default=None)
    organization_id = WholeNumber(load_default=None)
    sort = choice(SORTS, load_default="learners")
    order = choice(["desc", "asc"], load_default="desc")

    @validates_schema
    def check_dates(self, data, **kwargs):
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError("The start of the range is after its end.", field_name="since")


class SharingQuerySchema(SharingApiQuerySchema):
    """The sharing page adds what its picture is drawn by."""

    weight = choice(WEIGHTS, load_default="learners")


class LearnerCountQuerySchema(PageQuerySchema):
    provider_id = WholeNumber(load_default=None)
    year = WholeNumber(load_default=None, validate=validate.Range(min=1990, max=2200))
    format = choice(["json", "csv"], load_default="json")


class EdgeSchema(Schema):
    provider_id = fields.Integer()
    provider_name = fields.String()
    organization_id = fields.Integer()
    organization_name = fields.String()
    modules = fields.Integer()
    active_licenses = fields.Integer()
    learners = fields.Integer()
    credits_awarded = Amount()
    first_shared = fields.Date(allow_none=True)
    latest_shared = fields.Date(allow_none=True)


class OthersSchema(Schema):
    links = fields.Integer()
    modules = fields.Integer()
    active_licenses = fields.Integer()
    learners = fields.Integer()
    credits_awarded = Amount()


class SharingPageSchema(Schema):
    items = fields.List(fields.Nested(EdgeSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    others = fields.Nested(OthersSchema, allow_none=True)


class LearnerCountSchema(Schema):
    module_id = fields.Integer()
    module_title = fields.String()
    provider_activity_id = fields.String(allow_none=True)
    year = fields.Integer()
    physician_learners = fields.Integer()
    other_learners = fields.Integer()
    credits = fields.Dict(keys=fields.String(), values=Amount())
    licensees = fields.List(fields.Integer())
    licensee_names = fields.List(fields.String())
