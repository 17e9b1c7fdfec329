"""API: offers on modules, and the license workflow."""

from __future__ import annotations

from flask_smorest import Blueprint

from exchange.api import authenticated, current_api_user, require_api_user
from exchange.catalog import services as catalog
from exchange.database import transaction
from exchange.licensing import services
from exchange.licensing.schemas import (
    ApproveSchema,
    LicenseDetailSchema,
    LicenseGrantSchema,
    LicenseListQuerySchema,
    LicenseRequestSchema,
    LicenseSchema,
    NoteOptionalSchema,
    NoteRequiredSchema,
    OfferInputSchema,
    OfferPatchSchema,
    OfferSchema,
)
from exchange.pagination import ListPage, PageQuerySchema, envelope, page_envelope_schema

blp = Blueprint(
    "Licensing",
    __name__,
    url_prefix="",
    description="Offers on modules, and licenses: request, approve, decline, withdraw, revoke.",
)
SECURED = [{"bearerAuth": []}]


@blp.route("/modules/<int:module_id>/offers", methods=["GET"])
@blp.arguments(PageQuerySchema, location="query")
@blp.response(200, page_envelope_schema(OfferSchema, "OfferPage"))
def list_offers(params, module_id):
    """The module's offers: active ones for anyone who may see the module, inactive ones
    too for its provider's staff."""
    actor = current_api_user()
    offers = services.list_offers(actor, catalog.get_module(actor, module_id))
    return envelope(ListPage.of(offers, params["page"], params["per_page"]))


@blp.route("/modules/<int:module_id>/offers", methods=["POST"])
@authenticated
@blp.arguments(OfferInputSchema)
@blp.response(201, OfferSchema)
@blp.doc(security=SECURED)
def create_offer(data, module_id):
    """Add an offer (staff of the provider of record)."""
    actor = require_api_user()
    with transaction():
        offer = services.create_offer(actor, catalog.get_module(actor, module_id), data)
    return offer


@blp.route("/offers/<int:offer_id>", methods=["GET"])
@blp.response(200, OfferSchema)
def get_offer(offer_id):
    """One offer."""
    return services.get_offer(current_api_user(), offer_id)


@blp.route("/offers/<int:offer_id>", methods=["PATCH"])
@authenticated
@blp.arguments(OfferPatchSchema(partial=True))
@blp.response(200, OfferSchema)
@blp.doc(security=SECURED)
def update_offer(changes, offer_id):
    """Change an offer, or deactivate it with `{"active": false}`. Licenses already
    approved keep the terms they copied."""
    actor = require_api_user()
    with transaction():
        offer = services.update_offer(actor, services.get_offer(actor, offer_id), changes)
    return offer


@blp.route("/offers/<int:offer_id>", methods=["DELETE"])
@authenticated
@blp.response(204)
@blp.alt_response(409, description="The offer has been used: deactivate it instead.")
@blp.doc(security=SECURED)
def delete_offer(offer_id):
    """Delete an offer no license refers to."""
    actor = require_api_user()
    with transaction():
        services.delete_offer(actor, services.get_offer(actor, offer_id))


def _detail(license):
    return services.view_license(license)


@blp.route("/licenses", methods=["POST"])
@authenticated
@blp.arguments(LicenseRequestSchema)
@blp.response(201, LicenseDetailSchema)
@blp.doc(security=SECURED)
def request_license(data):
    """Request a license for your organization (its staff or admins)."""
    actor = require_api_user()
    with transaction():
        license = services.request_license(actor, data)
    return _detail(license)


@blp.route("/licenses/grants", methods=["POST"])
@authenticated
@blp.arguments(LicenseGrantSchema)
@blp.response(201, LicenseDetailSchema)
@blp.doc(security=SECURED)
def grant_license(data):
    """Grant a license outright (staff of the provider of record): approved at once."""
    actor = require_api_user()
    with transaction():
        license = services.grant_license(actor, data)
    return _detail(license)


@blp.route("/licenses", methods=["GET"])
@authenticated
@blp.arguments(LicenseListQuerySchema, location="query")
@blp.response(200, page_envelope_schema(LicenseSchema, "LicensePage"))
@blp.doc(security=SECURED)
def list_licenses(filters):
    """Licenses your organizations are party to. `side=licensor` (you decide) or
    `licensee` (you hold); `status` is a decision or a state (active, scheduled, expired)."""
    return envelope(services.list_licenses(require_api_user(), filters))


@blp.route("/licenses/<int:license_id>", methods=["GET"])
@authenticated
@blp.response(200, LicenseDetailSchema)
@blp.doc(security=SECURED)
def get_license(license_id):
    """A license with its terms, seats used and history (staff of either party)."""
    return _detail(services.get_license(require_api_user(), license_id))


def _decide(license_id, action, *args):
    actor = require_api_user()
    with transaction():
        license = action(actor, services.get_license(actor, license_id), *args)
    return _detail(license)


@blp.route("/licenses/<int:license_id>/approve", methods=["POST"])
@authenticated
@blp.arguments(ApproveSchema)
@blp.response(200, LicenseDetailSchema)
@blp.alt_response(409, description="The license is not a request.")
@blp.doc(security=SECURED)
def approve(data, license_id):
    """requested -> approved (provider staff). The license ends at start + term, never
    after the module's termination date."""
    return _decide(license_id, services.approve_license, data)


@blp.route("/licenses/<int:license_id>/decline", methods=["POST"])
@authenticated
@blp.arguments(NoteRequiredSchema)
@blp.response(200, LicenseDetailSchema)
@blp.alt_response(409, description="The license is not a request.")
@blp.doc(security=SECURED)
def decline(data, license_id):
    """requested -> declined (provider staff); `note` is required."""
    return _decide(license_id, services.decline_license, data["note"])


@blp.route("/licenses/<int:license_id>/withdraw", methods=["POST"])
@authenticated
@blp.arguments(NoteOptionalSchema)
@blp.response(200, LicenseDetailSchema)
@blp.alt_response(409, description="The license is not a request.")
@blp.doc(security=SECURED)
def withdraw(data, license_id):
    """requested -> withdrawn (licensee staff)."""
    return _decide(license_id, services.withdraw_license, data["note"])


@blp.route("/licenses/<int:license_id>/revoke", methods=["POST"])
@authenticated
@blp.arguments(NoteRequiredSchema)
@blp.response(200, LicenseDetailSchema)
@blp.alt_response(409, description="The license is not approved, or has expired.")
@blp.doc(security=SECURED)
def revoke(data, license_id):
    """approved -> revoked (provider staff); `note` is required; members lose access at once."""
    return _decide(license_id, services.revoke_license, data["note"])
