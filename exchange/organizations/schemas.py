"""Organization and membership schemas."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exchange import vocab
from exchange.accounts.schemas import PASSWORD_RULE, EmailField
from exchange.pagination import PageQuerySchema
from exchange.schema_fields import HttpUrl, Text, choice


def _check_accreditation(data: dict) -> None:
    errors: dict[str, list[str]] = {}
    accreditor, until = data.get("accreditor"), data.get("accredited_until")
    if accreditor and data.get("kind") == "association":
        errors["accreditor"] = [
            "Only an accredited provider (or an organization that is both) has an accreditor."
        ]
    if accreditor and not until:
        errors["accredited_until"] = ["Give the date the accreditation runs until."]
    if until and not accreditor:
        errors["accreditor"] = ["Choose the accreditor."]
    if data.get("is_ineligible_company") and accreditor:
        errors["is_ineligible_company"] = ["An ineligible company cannot hold CME accreditation."]
    if data.get("is_ineligible_company") and data.get("kind") in ("provider", "both"):
        errors["kind"] = ["An ineligible company cannot be an accredited provider."]
    if errors:
        raise ValidationError(errors)


class OrganizationCreateSchema(Schema):
    name = Text(required=True, max_length=200)
    slug = Text(
        max_length=100,
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(
            r"^[a-z0-9]+(?:-[a-z0-9]+)*$", error="Use lower-case letters, digits and hyphens."
        ),
    )
    kind = choice(vocab.ORGANIZATION_KINDS, required=True)
    accreditor = choice(vocab.ACCREDITORS, allow_none=True, load_default=None)
    accredited_until = fields.Date(allow_none=True, load_default=None)
    is_ineligible_company = fields.Boolean(load_default=False)
    website = HttpUrl(max_length=500, allow_none=True, load_default=None)
    description = Text(max_length=5000, load_default="")

    @validates_schema(skip_on_field_errors=False)
    def check_accreditation(self, data, **kwargs):
        _check_accreditation(data)


class AccreditationSchema(Schema):
    """What a platform admin verifies: kind, accreditor, expiry, ineligible-company status."""

    kind = choice(vocab.ORGANIZATION_KINDS, required=True)
    accreditor = choice(vocab.ACCREDITORS, allow_none=True, load_default=None)
    accredited_until = fields.Date(allow_none=True, load_default=None)
    is_ineligible_company = fields.Boolean(load_default=False)

    @validates_schema(skip_on_field_errors=False)
    def check_accreditation(self, data, **kwargs):
        _check_accreditation(data)


class OrganizationProfileSchema(Schema):
    """What an organization's own admin may edit."""

    description = Text(max_length=5000, load_default="")
    website = HttpUrl(max_length=500, allow_none=True, load_default=None)


class OrganizationSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    kind = fields.String()
    accreditor = fields.String(allow_none=True)
    accredited_until = fields.Date(allow_none=True)
    accreditation_verified = fields.Function(lambda o: o.accreditation_verified_at is not None)
    is_ineligible_company = fields.Boolean()
    description = fields.String()
    website = fields.String()


class MemberCreateSchema(Schema):
    email = EmailField(required=True)
    full_name = Text(required=True, max_length=200)
    password = fields.String(load_only=True, validate=PASSWORD_RULE, load_default=None)
    profession = choice(vocab.PROFESSIONS, required=True)
    role = choice(vocab.ROLES, required=True)


class MemberRoleSchema(Schema):
    role = choice(vocab.ROLES, required=True)


class MemberSchema(Schema):
    id = fields.Integer(attribute="id")
    user_id = fields.Integer()
    email = fields.Function(lambda m: m.user.email)
    full_name = fields.Function(lambda m: m.user.full_name)
    profession = fields.Function(lambda m: m.user.profession)
    role = fields.String()
    joined_at = fields.DateTime(attribute="created_at")


class OrganizationListQuerySchema(PageQuerySchema):
    kind = choice(vocab.ORGANIZATION_KINDS)
    accredited_only = fields.Boolean(load_default=False)
