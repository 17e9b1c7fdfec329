"""Who may do what: named predicates, each with a query twin where lists need one.

Roles rank admin > staff > member inside an organization: an organization's admin may do
everything its education staff may. Platform admins run the platform (organizations,
accreditation) but do not see organizations' drafts. `user` is None for anonymous callers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, false, or_

if TYPE_CHECKING:
    from exchange.accounts.models import User
    from exchange.catalog.models import Module
    from exchange.learning.models import Completion
    from exchange.licensing.models import License, Offer
    from exchange.organizations.models import Organization

EDITOR_ROLES = ("admin", "staff")


def is_platform_admin(user: User | None) -> bool:
    return bool(user and user.is_platform_admin)


def is_staff_of(user: User | None, organization_id: int | None) -> bool:
    return bool(user and organization_id and user.role_in(organization_id) in EDITOR_ROLES)


def is_admin_of(user: User | None, organization_id: int | None) -> bool:
    return bool(user and organization_id and user.role_in(organization_id) == "admin")


# Organizations -------------------------------------------------------------------------


def can_create_organization(user: User | None) -> bool:
    return is_platform_admin(user)


def can_verify_accreditation(user: User | None) -> bool:
    return is_platform_admin(user)


def can_manage_members(user: User | None, organization: Organization) -> bool:
    return is_platform_admin(user) or is_admin_of(user, organization.id)


def can_view_members(user: User | None, organization: Organization) -> bool:
    return is_platform_admin(user) or is_staff_of(user, organization.id)


def can_view_audit(user: User | None, organization: Organization) -> bool:
    return is_platform_admin(user) or is_admin_of(user, organization.id)


# Modules -------------------------------------------------------------------------------


def can_create_module_for(user: User | None, owner: Organization) -> bool:
    return is_staff_of(user, owner.id)


def can_view_module(user: User | None, module: Module) -> bool:
    if module.status != "draft":
        return True
    return is_staff_of(user, module.owner_id) or is_staff_of(user, module.provider_id)


def visible_modules_clause(user: User | None) -> ColumnElement[bool]:
    """The query twin of `can_view_module`: drafts only for staff of owner or provider."""
    from exchange.catalog.models import Module

    staff_orgs = user.organization_ids(*EDITOR_ROLES) if user else set()
    draft_visible = (
        or_(Module.owner_id.in_(staff_orgs), Module.provider_id.in_(staff_orgs))
        if staff_orgs
        else false()
    )
    return or_(Module.status != "draft", draft_visible)


def can_edit_module(user: User | None, module: Module) -> bool:
    """Drafts: staff of the owner or of the provider of record. Once published, every change
    is a new version published under the provider's accreditation, so only its staff make
    it (in joint providership the accredited provider answers for the content)."""
    if module.status == "draft":
        return is_staff_of(user, module.owner_id) or is_staff_of(user, module.provider_id)
    return is_staff_of(user, module.provider_id)


def can_view_content(user: User | None, module: Module) -> bool:
    """The launch URL and uploaded file as editors see them: the module's own staff.
    Learners reach content through a launch (exchange.learning.access)."""
    return is_staff_of(user, module.owner_id) or is_staff_of(user, module.provider_id)


def can_publish_module(user: User | None, module: Module) -> bool:
    return is_staff_of(user, module.provider_id)


def can_retire_module(user: User | None, module: Module) -> bool:
    return is_staff_of(user, module.owner_id) or is_staff_of(user, module.provider_id)


def can_delete_module(user: User | None, module: Module) -> bool:
    return module.status == "draft" and can_edit_module(user, module)


# Offers and licenses -------------------------------------------------------------------


def can_manage_offers(user: User | None, module: Module) -> bool:
    """Offers are the provider of record's terms: only its staff write them."""
    return is_staff_of(user, module.provider_id)


def can_view_offer(user: User | None, offer: Offer) -> bool:
    """Active offers are public terms of a visible module; inactive ones, the provider's."""
    if offer.active:
        return can_view_module(user, offer.module)
    return can_manage_offers(user, offer.module)


def can_request_license_for(user: User | None, licensee: Organization) -> bool:
    return is_staff_of(user, licensee.id)


def can_grant_license(user: User | None, module: Module) -> bool:
    return is_staff_of(user, module.provider_id)


def can_view_license(user: User | None, license: License) -> bool:
    """Both parties' staff and admins; to anyone else the license does not exist."""
    return is_staff_of(user, license.licensor_id) or is_staff_of(user, license.licensee_id)


def visible_licenses_clause(user: User | None) -> ColumnElement[bool]:
    """The query twin of `can_view_license`."""
    from exchange.licensing.models import License

    staff_orgs = user.organization_ids(*EDITOR_ROLES) if user else set()
    if not staff_orgs:
        return false()
    return or_(License.licensor_id.in_(staff_orgs), License.licensee_id.in_(staff_orgs))


def can_decide_license(user: User | None, license: License) -> bool:
    """Approve, decline, revoke: the provider of record's staff."""
    return is_staff_of(user, license.licensor_id)


def can_withdraw_license(user: User | None, license: License) -> bool:
    return is_staff_of(user, license.licensee_id)


# Learning ------------------------------------------------------------------------------


def can_view_certificate(user: User | None, completion: Completion) -> bool:
    """The learner, and staff of the provider of record that awarded the credit."""
    return bool(user) and (
        completion.user_id == user.id or is_staff_of(user, completion.provider_id)
    )


def can_view_provider_completions(user: User | None, provider: Organization) -> bool:
    return is_staff_of(user, provider.id)
