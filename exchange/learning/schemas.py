"""Learning schemas: the completion claim (API and form), and what the API returns."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, fields, validate

from exchange import vocab
from exchange.catalog.schemas import CreditSchema
from exchange.pagination import PageQuerySchema
from exchange.schema_fields import Amount, WholeNumber, choice

MAX_MINUTES = 6000


class ClaimInputSchema(Schema):
    credit_type = choice(vocab.CREDIT_TYPES, required=True)
    amount = Amount(required=True, maximum=Decimal("200"))


class CompletionInputSchema(Schema):
    module_id = WholeNumber(required=True)
    minutes_spent = WholeNumber(
        required=True,
        validate=validate.Range(
            min=1, max=MAX_MINUTES, error="Must be between {min} and {max} minutes."
        ),
    )
    credits = fields.List(
        fields.Nested(ClaimInputSchema),
        load_default=list,
        validate=validate.Length(max=len(vocab.CREDIT_TYPES), error="At most {max} claims."),
    )
    attest = fields.Boolean(
        required=True,
        error_messages={"required": "Confirm that you completed the activity."},
    )


class TranscriptQuerySchema(PageQuerySchema):
    format = choice(["json", "csv"], load_default="json")
    year = WholeNumber(load_default=None, validate=validate.Range(min=1990, max=2200))


class LibraryQuerySchema(PageQuerySchema):
    pass


# Output -------------------------------------------------------------------------------


class LaunchSchema(Schema):
    launch_url = fields.String()
    license_id = fields.Integer(allow_none=True)
    organization_id = fields.Integer()


class ClaimSchema(Schema):
    credit_type = fields.String()
    amount = Amount()
    label = fields.String()


class CompletionSchema(Schema):
    id = fields.Integer()
    certificate_number = fields.String()
    module_id = fields.Integer()
    module_title = fields.String()
    module_version = fields.Integer()
    provider_id = fields.Integer()
    provider_name = fields.Function(lambda c: c.provider.name)
    organization_id = fields.Integer()
    license_id = fields.Integer(allow_none=True)
    profession = fields.String()
    minutes_spent = fields.Integer()
    completed_on = fields.Date()
    completed_at = fields.DateTime()
    credits = fields.List(fields.Nested(ClaimSchema))


class CreditTotalSchema(Schema):
    year = fields.Integer()
    credit_type = fields.String()
    label = fields.String()
    amount = Amount()


class TranscriptSchema(Schema):
    """The list envelope, plus the credit totals by year and type of the whole transcript."""

    items = fields.List(fields.Nested(CompletionSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    totals = fields.List(fields.Nested(CreditTotalSchema))


class LibraryItemSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    provider_id = fields.Integer(allow_none=True)
    provider_name = fields.Function(lambda e: e.module.provider.name if e.module.provider else None)
    estimated_minutes = fields.Integer(allow_none=True)
    termination_date = fields.Date(allow_none=True)
    status = fields.String()
    credits = fields.List(fields.Nested(CreditSchema))
    license_id = fields.Integer(allow_none=True)
    organization_id = fields.Function(lambda e: e.organization.id if e.organization else None)
    end_date = fields.Date(allow_none=True)
    completed = fields.Boolean()


class ProviderCompletionsQuerySchema(Schema):
    module_id = WholeNumber(load_default=None)


class LearnerCompletionSchema(Schema):
    certificate_number = fields.String()
    learner_name = fields.String()
    profession = fields.String()
    organization_id = fields.Integer()
    completed_on = fields.Date()
    credits = fields.List(fields.Nested(ClaimSchema))


class LicenseeCompletionsSchema(Schema):
    module_id = fields.Integer()
    module_title = fields.String()
    organization_id = fields.Integer()
    organization_name = fields.String()
    completions = fields.Integer()
    learners = fields.Integer()


class ProviderCompletionsSchema(Schema):
    rows = fields.List(fields.Nested(LicenseeCompletionsSchema))
    learners = fields.List(fields.Nested(LearnerCompletionSchema))
