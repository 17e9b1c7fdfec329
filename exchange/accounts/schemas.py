"""Account schemas: sign-up, sign-in, profile, tokens and the `/me` shape."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from exchange import vocab
from exchange.schema_fields import Text, choice

PASSWORD_RULE = validate.Length(min=10, max=128, error="Use between {min} and {max} characters.")


class EmailField(fields.Email):
    """An email address, trimmed and lower-cased: one account per address."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Length(max=254), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.strip().lower()
        return super()._deserialize(value, attr, data, **kwargs)


class SignUpSchema(Schema):
    email = EmailField(required=True)
    full_name = Text(required=True, max_length=200)
    profession = choice(vocab.PROFESSIONS, required=True)
    password = fields.String(required=True, load_only=True, validate=PASSWORD_RULE)


class CredentialsSchema(Schema):
    email = Text(required=True, max_length=254)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=128))


class ProfileSchema(Schema):
    full_name = Text(required=True, max_length=200)
    profession = choice(vocab.PROFESSIONS, required=True)


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class MembershipSummarySchema(Schema):
    organization_id = fields.Integer()
    organization_name = fields.Function(lambda m: m.organization.name)
    organization_slug = fields.Function(lambda m: m.organization.slug)
    role = fields.String()


class MeSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    full_name = fields.String()
    profession = fields.String()
    is_platform_admin = fields.Boolean()
    memberships = fields.List(fields.Nested(MembershipSummarySchema))
