"""Module schemas: the single place where module input is validated (API and forms alike),
and the shapes the API returns."""

from __future__ import annotations

from decimal import Decimal

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from exchange import vocab
from exchange.catalog import rules
from exchange.pagination import PageQuerySchema
from exchange.schema_fields import Amount, HttpUrl, Text, UniqueList, WholeNumber, choice, choices

# Limits that keep one module a sensible size (and the page readable).
MAX_OBJECTIVES = 20
MAX_KEYWORDS = 30
MAX_FACULTY = 50
MAX_SUPPORT = 20
# How deep a search may page (page x per_page).
MAX_RESULT_DEPTH = 10_000


class CreditInputSchema(Schema):
    credit_type = choice(vocab.CREDIT_TYPES, required=True)
    amount = Amount(required=True, maximum=Decimal("200"))
    uan = Text(max_length=30, load_default=None, allow_none=True)


class DisclosureInputSchema(Schema):
    company = Text(required=True, max_length=200)
    relationship = Text(required=True, max_length=200)
    mitigated = fields.Boolean(required=True)


class FacultyInputSchema(Schema):
    name = Text(required=True, max_length=200)
    role = Text(max_length=100, load_default="")
    # None: not collected yet; []: no relevant financial relationships.
    disclosures = fields.List(
        fields.Nested(DisclosureInputSchema),
        allow_none=True,
        load_default=None,
        validate=validate.Length(max=20, error="At most {max} disclosures per person."),
    )


class CommercialSupportInputSchema(Schema):
    source = Text(required=True, max_length=200)
    kind = choice(vocab.SUPPORT_KINDS, required=True)
    amount = Amount(load_default=None, allow_none=True, maximum=Decimal("100000000"))


class ModuleInputSchema(Schema):
    """Create (all of it) and update (`partial=True`) of a module."""

    title = Text(required=True, max_length=200)
    summary = Text(max_length=500)
    description = Text(max_length=20000)
    objectives = UniqueList(Text(required=True, max_length=300), max_items=MAX_OBJECTIVES)
    professions = choices(vocab.PROFESSIONS)
    specialties = choices(vocab.SPECIALTIES, max_items=8)
    keywords = UniqueList(Text(required=True, max_length=60), max_items=MAX_KEYWORDS)
    competencies = choices(vocab.COMPETENCIES)
    outcome_levels = choices(vocab.OUTCOME_LEVELS)
    format = choice(vocab.FORMATS, allow_none=True)
    delivery = choice(vocab.DELIVERIES, allow_none=True)
    estimated_minutes = WholeNumber(
        allow_none=True,
        validate=validate.Range(min=1, max=6000, error="Must be between {min} and {max} minutes."),
    )
    credits = fields.List(
        fields.Nested(CreditInputSchema),
        validate=validate.Length(max=len(vocab.CREDIT_TYPES), error="At most {max} designations."),
    )
    release_date = fields.Date(allow_none=True)
    last_review_date = fields.Date(allow_none=True)
    termination_date = fields.Date(allow_none=True)
    provider_id = WholeNumber(allow_none=True)
    owner_id = WholeNumber(required=True)
    provider_activity_id = Text(
        max_length=100,
        allow_none=True,
        validate=validate.Regexp(
            r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
            error="Use letters, digits and . _ : / - only.",
        ),
    )
    content_url = HttpUrl(allow_none=True)
    faculty = fields.List(
        fields.Nested(FacultyInputSchema),
        validate=validate.Length(max=MAX_FACULTY, error="At most {max} people."),
    )
    commercial_support = fields.List(
        fields.Nested(CommercialSupportInputSchema),
        validate=validate.Length(max=MAX_SUPPORT, error="At most {max} entries."),
    )

    @validates_schema(skip_on_field_errors=False)
    def check_cme_rules(self, data, **kwargs):
        problems = rules.cross_field_problems(data)
        if problems:
            raise ValidationError(problems)


class ModuleUpdateSchema(ModuleInputSchema):
    """The edit form: every field given. The owner never changes."""

    class Meta:
        exclude = ("owner_id",)

    change_note = Text(max_length=500, load_default="")


def module_patch_schema() -> ModuleUpdateSchema:
    """PATCH: any top-level field may be left out, but a credit, faculty member, disclosure
    or support entry that is given must be whole (marshmallow's `partial=True` would also
    relax the nested schemas)."""
    return ModuleUpdateSchema(partial=tuple(ModuleUpdateSchema().fields))


# Output -------------------------------------------------------------------------------


class CreditSchema(Schema):
    credit_type = fields.String()
    amount = Amount()
    uan = fields.String(allow_none=True)
    label = fields.String()


class DisclosureSchema(Schema):
    company = fields.String()
    relationship = fields.String()
    mitigated = fields.Boolean()


class FacultySchema(Schema):
    name = fields.String()
    role = fields.String()
    disclosures = fields.List(fields.Nested(DisclosureSchema), allow_none=True)


class CommercialSupportSchema(Schema):
    source = fields.String()
    kind = fields.String()
    amount = fields.Float(allow_none=True)


class ModuleSchema(Schema):
    id = fields.Integer()
    title = fields.String()
    summary = fields.String()
    description = fields.String()
    objectives = fields.List(fields.String())
    professions = fields.List(fields.String())
    specialties = fields.List(fields.String())
    keywords = fields.List(fields.String())
    competencies = fields.List(fields.String())
    outcome_levels = fields.List(fields.String())
    format = fields.String(allow_none=True)
    delivery = fields.String(allow_none=True)
    estimated_minutes = fields.Integer(allow_none=True)
    credits = fields.List(fields.Nested(CreditSchema))
    release_date = fields.Date(allow_none=True)
    last_review_date = fields.Date(allow_none=True)
    termination_date = fields.Date(allow_none=True)
    provider_id = fields.Integer(allow_none=True)
    provider_name = fields.Function(lambda m: m.provider.name if m.provider else None)
    owner_id = fields.Integer()
    owner_name = fields.Function(lambda m: m.owner.name)
    provider_activity_id = fields.String(allow_none=True)
    content_url = fields.String(allow_none=True)
    content_file_name = fields.String(allow_none=True)
    faculty = fields.List(fields.Nested(FacultySchema))
    commercial_support = fields.List(fields.Nested(CommercialSupportSchema))
    status = fields.String()
    version = fields.Integer()
    version_changed_at = fields.DateTime()
    published_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ModuleVersionSchema(Schema):
    version = fields.Integer()
    created_at = fields.DateTime()
    change_note = fields.String()


class CatalogSearchSchema(PageQuerySchema):
    """Search and filters of the catalog (GET /api/v1/modules and the catalog page).
    Facet parameters may repeat (`specialty=a&specialty=b`): values of one facet are ORed,
    different facets ANDed."""

    q = Text(max_length=200, load_default="")
    specialty = fields.List(choice(vocab.SPECIALTIES), load_default=list)
    profession = fields.List(choice(vocab.PROFESSIONS), load_default=list)
    credit_type = fields.List(choice(vocab.CREDIT_TYPES), load_default=list)
    format = fields.List(choice(vocab.FORMATS), load_default=list)
    provider_id = fields.List(WholeNumber(), load_default=list)
    min_credits = Amount(allow_zero=True)
    max_credits = Amount(allow_zero=True)
    available_only = fields.Boolean(load_default=None)
    status = choice(vocab.MODULE_STATUSES)
    sort = choice(["relevance", "newest", "title", "credits"], load_default=None)

    @validates_schema
    def check_range(self, data, **kwargs):
        low, high = data.get("min_credits"), data.get("max_credits")
        if low is not None and high is not None and low > high:
            raise ValidationError(
                "The minimum cannot be above the maximum.", field_name="min_credits"
            )
        if data.get("page", 1) * data.get("per_page", 20) > MAX_RESULT_DEPTH:
            raise ValidationError(
                f"Results go {MAX_RESULT_DEPTH} deep: narrow the search instead.",
                field_name="page",
            )


class FacetValueSchema(Schema):
    value = fields.Raw()
    label = fields.String()
    count = fields.Integer()
    selected = fields.Boolean()


class ModuleHitSchema(ModuleSchema):
    highlights = fields.Dict(keys=fields.String(), values=fields.String())


class ModuleSearchPageSchema(Schema):
    items = fields.List(fields.Nested(ModuleHitSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetValueSchema)))
    suggestion = fields.String(allow_none=True)
    showing_suggestion = fields.Boolean()
