"""API: organizations, their accreditation and their members."""

from __future__ import annotations

from flask_smorest import Blueprint

from exchange.api import authenticated, current_api_user, require_api_user
from exchange.database import transaction
from exchange.organizations import services
from exchange.organizations.schemas import (
    AccreditationSchema,
    MemberCreateSchema,
    MemberRoleSchema,
    MemberSchema,
    OrganizationCreateSchema,
    OrganizationListQuerySchema,
    OrganizationSchema,
)
from exchange.pagination import PageQuerySchema, envelope, page_envelope_schema

blp = Blueprint(
    "Organizations",
    __name__,
    url_prefix="/organizations",
    description="Associations and accredited providers, and their people.",
)
SECURED = [{"bearerAuth": []}]


@blp.route("", methods=["GET"])
@blp.arguments(OrganizationListQuerySchema, location="query")
@blp.response(200, page_envelope_schema(OrganizationSchema, "OrganizationPage"))
def list_organizations(filters):
    """Organizations (public fields)."""
    return envelope(services.list_organizations(filters))


@blp.route("", methods=["POST"])
@authenticated
@blp.arguments(OrganizationCreateSchema)
@blp.response(201, OrganizationSchema)
@blp.doc(security=SECURED)
def create_organization(data):
    """Create an organization (platform admins). Accreditation given here counts as verified."""
    actor = require_api_user()
    with transaction():
        org = services.create_organization(actor, data)
    return org


@blp.route("/<int:organization_id>", methods=["GET"])
@blp.response(200, OrganizationSchema)
def get_organization(organization_id):
    """One organization (public fields)."""
    current_api_user()
    return services.get_organization(organization_id)


@blp.route("/<int:organization_id>/accreditation", methods=["PUT"])
@authenticated
@blp.arguments(AccreditationSchema)
@blp.response(200, OrganizationSchema)
@blp.doc(security=SECURED)
def set_accreditation(data, organization_id):
    """Verify (or remove) accreditation and set ineligible-company status (platform admins)."""
    actor = require_api_user()
    with transaction():
        org = services.set_accreditation(actor, services.get_organization(organization_id), data)
    return org


@blp.route("/<int:organization_id>/members", methods=["GET"])
@authenticated
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_envelope_schema(MemberSchema, "MemberPage"))
@blp.doc(security=SECURED)
def list_members(paging, organization_id):
    """Members with their roles (the organization's admins and staff)."""
    actor = require_api_user()
    org = services.get_organization(organization_id)
    return envelope(services.list_members(actor, org, paging["page"], paging["per_page"]))


@blp.route("/<int:organization_id>/members", methods=["POST"])
@authenticated
@blp.arguments(MemberCreateSchema)
@blp.response(201, MemberSchema)
@blp.doc(security=SECURED)
def add_member(data, organization_id):
    """Add an existing user, or create one, with a role (the organization's admins)."""
    actor = require_api_user()
    with transaction():
        membership = services.add_member(actor, services.get_organization(organization_id), data)
    return membership


@blp.route("/<int:organization_id>/members/<int:membership_id>", methods=["PATCH"])
@authenticated
@blp.arguments(MemberRoleSchema)
@blp.response(200, MemberSchema)
@blp.doc(security=SECURED)
def change_role(data, organization_id, membership_id):
    """Change a member's role (the organization's admins)."""
    actor = require_api_user()
    with transaction():
        org = services.get_organization(organization_id)
        membership = services.change_role(
            actor, org, _visible_membership(actor, org, membership_id), data["role"]
        )
    return membership


@blp.route("/<int:organization_id>/members/<int:membership_id>", methods=["DELETE"])
@authenticated
@blp.response(204)
@blp.doc(security=SECURED)
def remove_member(organization_id, membership_id):
    """Remove a member (the organization's admins)."""
    actor = require_api_user()
    with transaction():
        org = services.get_organization(organization_id)
        services.remove_member(actor, org, _visible_membership(actor, org, membership_id))


def _visible_membership(actor, org, membership_id):
    from exchange import permissions
    from exchange.errors import PermissionDeniedError

    if not permissions.can_manage_members(actor, org):
        raise PermissionDeniedError(
            "Only this organization's administrators can manage its people."
        )
    return services.get_membership(org, membership_id)
