"""Pages: offers on a module, license requests and grants, the license list and page."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required
from marshmallow import ValidationError

from exchange import permissions
from exchange.catalog import services as catalog
from exchange.catalog.models import Module
from exchange.database import today, transaction
from exchange.errors import ConflictError, FieldValidationError, PermissionDeniedError
from exchange.forms import blank_to_none, error_fields, load_form
from exchange.licensing import services
from exchange.licensing.schemas import (
    MAX_PRICE_CENTS,
    ApproveSchema,
    LicenseGrantSchema,
    LicenseListQuerySchema,
    LicenseRequestSchema,
    NoteOptionalSchema,
    NoteRequiredSchema,
    OfferInputSchema,
)
from exchange.schema_fields import Amount
from exchange.templating import actor

bp = Blueprint("licensing", __name__)


# Offers ----------------------------------------------------------------------------------


def _offer_values(form) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The offer form as the schema's input; the price is typed in currency units."""
    values = blank_to_none(
        {k: form.get(k, "") for k in ("name", "pricing", "currency", "term_months", "seat_limit")},
        "seat_limit",
    )
    if not values["currency"]:
        values.pop("currency")  # the offer's default currency
    values["co_branding"] = bool(form.get("co_branding"))
    values["modification"] = bool(form.get("modification"))
    errors: dict[str, list[str]] = {}
    price = form.get("price", "").strip()
    try:
        values["price_cents"] = int(
            Amount(allow_zero=True, maximum=Decimal(MAX_PRICE_CENTS) / 100).deserialize(
                price or "0"
            )
            * 100
        )
    except ValidationError as error:
        errors["price"] = list(error.messages)
    return values, errors


def _form_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    return {("price" if k == "price_cents" else k): v for k, v in errors.items()}


def _back_to_module(module_id: int, message: str):
    """A refusal that no input can fix (the module's state): say why, on the module page."""
    flash(message, "warning")
    return redirect(url_for("catalog.module_page", module_id=module_id) + "#licensing")


def _offer_form(module: Module, offer=None):
    user = actor()
    if not permissions.can_manage_offers(user, module):
        abort(403, description="Only education staff of the provider of record set its offers.")
    if offer is None and module.status == "retired":
        return _back_to_module(module.id, "A retired module is no longer offered.")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values, errors = _offer_values(request.form)
        result = load_form(OfferInputSchema(), values)
        errors = {**_form_errors(result.errors), **errors}  # a price that is not a number first
        if result.ok and not errors:
            data = dict(result.data)
            if offer is not None:
                data.pop("active")  # the form has no such field: editing never reactivates
            try:
                with transaction():
                    if offer is None:
                        services.create_offer(user, module, data)
                    else:
                        services.update_offer(user, offer, data)
            except ConflictError as error:
                return _back_to_module(module.id, error.message)
            except FieldValidationError as error:
                errors = _form_errors(error_fields(error)) or {"_schema": [error.message]}
            else:
                flash(
                    "Offer saved."
                    if offer is None
                    else "Offer saved. Licenses already approved keep the terms they have.",
                    "success",
                )
                return redirect(url_for("catalog.module_page", module_id=module.id) + "#licensing")
        form = request.form
    elif offer is not None:
        form = {
            "name": offer.name,
            "pricing": offer.pricing,
            "price": f"{offer.price_cents / 100:.2f}" if offer.price_cents else "",
            "currency": offer.currency,
            "term_months": str(offer.term_months),
            "seat_limit": "" if offer.seat_limit is None else str(offer.seat_limit),
            "co_branding": "1" if offer.co_branding else "",
            "modification": "1" if offer.modification else "",
        }
    else:
        form = {"pricing": "free", "currency": "USD", "term_months": "12"}
    return render_template(
        "licensing/offer_form.html", module=module, offer=offer, form=form, errors=errors
    ), (422 if errors else 200)


@bp.route("/modules/<int:module_id>/offers/new", methods=["GET", "POST"])
@login_required
def new_offer(module_id: int):
    return _offer_form(catalog.get_module(actor(), module_id))


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_offer(offer_id: int):
    offer = services.get_offer(actor(), offer_id)
    return _offer_form(offer.module, offer)


@bp.post("/offers/<int:offer_id>/active")
@login_required
def toggle_offer(offer_id: int):
    offer = services.get_offer(actor(), offer_id)
    active = request.form.get("active") == "1"
    try:
        with transaction():
            services.update_offer(actor(), offer, {"active": active})
    except ConflictError as error:
        return _back_to_module(offer.module_id, error.message)
    flash(
        "Offer reactivated." if active else "Offer deactivated: no new requests can use it.",
        "success",
    )
    return redirect(url_for("catalog.module_page", module_id=offer.module_id) + "#licensing")


@bp.post("/offers/<int:offer_id>/delete")
@login_required
def delete_offer(offer_id: int):
    offer = services.get_offer(actor(), offer_id)
    module_id = offer.module_id
    try:
        with transaction():
            services.delete_offer(actor(), offer)
    except ConflictError as error:
        flash(error.message, "danger")
    else:
        flash("Offer deleted.", "success")
    return redirect(url_for("catalog.module_page", module_id=module_id) + "#licensing")


# Requests and grants ---------------------------------------------------------------------


def _license_form_values(form, fields: tuple[str, ...]) -> dict[str, Any]:
    return blank_to_none({k: form.get(k, "").strip() for k in fields}, "seats", "start_date")


@bp.route("/modules/<int:module_id>/license", methods=["GET", "POST"])
@login_required
def request_license(module_id: int):
    user = actor()
    module = catalog.get_module(user, module_id)
    orgs = services.request_choices(user, module)
    if not orgs:
        abort(
            403,
            description="Only education staff or administrators of an organization request "
            "licenses for it (and never for their own modules).",
        )
    wanted = request.form.get("licensee_id", "") if request.method == "POST" else ""
    if wanted and wanted not in {str(o.id) for o in orgs}:
        raise PermissionDeniedError(
            "You request licenses only for organizations you are education staff of."
        )
    if refusal := services.licensing_refusal(module):
        return _back_to_module(module.id, refusal)
    offers = services.list_offers(user, module)
    offers = [o for o in offers if o.active]
    errors: dict[str, list[str]] = {}
    form = (
        request.form
        if request.method == "POST"
        else {
            "licensee_id": str(orgs[0].id),
            "offer_id": str(offers[0].id) if offers else "",
        }
    )
    if request.method == "POST":
        values = _license_form_values(
            request.form, ("offer_id", "licensee_id", "seats", "start_date", "message")
        )
        result = load_form(LicenseRequestSchema(), {**values, "module_id": module.id})
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    license = services.request_license(user, result.data)
            except ConflictError as error:
                return _back_to_module(module.id, error.message)
            except FieldValidationError as error:
                errors = error_fields(error) or {"_schema": [error.message]}
            else:
                flash(
                    f"Request sent to {module.provider.name}. You will be notified of the "
                    "decision.",
                    "success",
                )
                return redirect(url_for("licensing.show", license_id=license.id))
    return render_template(
        "licensing/request_form.html",
        module=module,
        orgs=orgs,
        offers=offers,
        form=form,
        errors=errors,
        on=today(),
    ), (422 if errors else 200)


@bp.route("/modules/<int:module_id>/grant", methods=["GET", "POST"])
@login_required
def grant_license(module_id: int):
    user = actor()
    module = catalog.get_module(user, module_id)
    if not permissions.can_grant_license(user, module):
        abort(403, description="Only education staff of the provider of record grant licenses.")
    if refusal := services.licensing_refusal(module):
        return _back_to_module(module.id, refusal)
    offers = [o for o in services.list_offers(user, module) if o.active]
    errors: dict[str, list[str]] = {}
    form = (
        request.form
        if request.method == "POST"
        else {
            "offer_id": str(offers[0].id) if offers else "",
        }
    )
    if request.method == "POST":
        values = _license_form_values(
            request.form, ("offer_id", "licensee_id", "seats", "start_date", "note")
        )
        result = load_form(LicenseGrantSchema(), {**values, "module_id": module.id})
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    license = services.grant_license(user, result.data)
            except ConflictError as error:
                if not error.errors:  # the module's state: no field to correct
                    return _back_to_module(module.id, error.message)
                errors = {**error_fields(error), "_schema": [error.message]}
            except FieldValidationError as error:
                errors = error_fields(error) or {"_schema": [error.message]}
            else:
                flash(f"Shared with {license.licensee.name}: its members have access.", "success")
                return redirect(url_for("licensing.show", license_id=license.id))
    return render_template(
        "licensing/grant_form.html",
        module=module,
        offers=offers,
        organizations=services.grantee_choices(module),
        form=form,
        errors=errors,
        on=today(),
    ), (422 if errors else 200)


# The license list and page ---------------------------------------------------------------


@bp.get("/licenses")
@login_required
def index():
    user = actor()
    raw = {k: v for k in ("side", "status", "module_id", "page") if (v := request.args.get(k))}
    result = load_form(LicenseListQuerySchema(), raw)
    filters = result.data if result.ok else {"page": 1, "per_page": 20}
    page = services.list_licenses(user, {**filters, "per_page": 20})
    return render_template(
        "licensing/index.html",
        page=page,
        filters=filters,
        errors=result.errors,
        is_staff=bool(user.organization_ids(*permissions.EDITOR_ROLES)),
    )


@bp.get("/licenses/<int:license_id>")
@login_required
def show(license_id: int):
    user = actor()
    license = services.get_license(user, license_id)
    return _render_license(license)


def _render_license(license, errors=None, form=None, status=200):
    user = actor()
    view = services.view_license(license)
    return render_template(
        "licensing/show.html",
        lic=view,
        shortened=services.was_shortened(license),
        can={
            "decide": permissions.can_decide_license(user, license),
            "withdraw": permissions.can_withdraw_license(user, license),
        },
        errors=errors or {},
        form=form or {},
        on=today(),
    ), status


def _decision(license_id: int, schema, action, message: str, form_name: str):
    user = actor()
    license = services.get_license(user, license_id)
    values = blank_to_none(
        {k: request.form.get(k, "") for k in ("note", "start_date")}, "start_date"
    )
    if schema is not ApproveSchema:
        values.pop("start_date")
    result = load_form(schema(), values)
    errors = {f"{form_name}.{k}": v for k, v in result.errors.items()}
    if result.ok:
        try:
            with transaction():
                action(user, license, result.data)
        except ConflictError as error:
            if error.errors:  # e.g. a start date that overlaps the current license
                errors = {f"{form_name}.{k}": v for k, v in error_fields(error).items()}
                errors["_schema"] = [error.message]
            else:
                flash(error.message, "danger")
                return redirect(url_for("licensing.show", license_id=license_id))
        except FieldValidationError as error:
            errors = {f"{form_name}.{k}": v for k, v in error_fields(error).items()} or {
                "_schema": [error.message]
            }
        else:
            flash(message, "success")
            return redirect(url_for("licensing.show", license_id=license_id))
    form = {f"{form_name}.{k}": v or "" for k, v in values.items()}
    return _render_license(license, errors, form, 422)


def _approve(user, license, data):
    services.approve_license(user, license, data)
    if services.was_shortened(license):
        flash(
            f"The license ends on {license.end_date.isoformat()}, the module's termination "
            "date, instead of after its full term: no credit may be claimed after it.",
            "warning",
        )


@bp.post("/licenses/<int:license_id>/approve")
@login_required
def approve(license_id: int):
    return _decision(
        license_id,
        ApproveSchema,
        _approve,
        "Approved: the licensee's members have access from the start date.",
        "approve",
    )


@bp.post("/licenses/<int:license_id>/decline")
@login_required
def decline(license_id: int):
    return _decision(
        license_id,
        NoteRequiredSchema,
        lambda user, lic, data: services.decline_license(user, lic, data["note"]),
        "Declined. The requester has been told why.",
        "decline",
    )


@bp.post("/licenses/<int:license_id>/withdraw")
@login_required
def withdraw(license_id: int):
    return _decision(
        license_id,
        NoteOptionalSchema,
        lambda user, lic, data: services.withdraw_license(user, lic, data["note"]),
        "Request withdrawn.",
        "withdraw",
    )


@bp.post("/licenses/<int:license_id>/revoke")
@login_required
def revoke(license_id: int):
    return _decision(
        license_id,
        NoteRequiredSchema,
        lambda user, lic, data: services.revoke_license(user, lic, data["note"]),
        "Revoked: the licensee's members no longer have access.",
        "revoke",
    )
