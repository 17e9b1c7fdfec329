"""Pages: organizations, accreditation (platform admins), people and the audit log."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from exchange import permissions
from exchange.audit import services as audit
from exchange.catalog import services as catalog
from exchange.database import today, transaction
from exchange.errors import ConflictError, DomainError, FieldValidationError
from exchange.forms import blank_to_none, error_fields, load_form
from exchange.organizations import services
from exchange.organizations.schemas import (
    AccreditationSchema,
    MemberCreateSchema,
    MemberRoleSchema,
    OrganizationCreateSchema,
    OrganizationListQuerySchema,
    OrganizationProfileSchema,
)
from exchange.pagination import page_number
from exchange.templating import actor

bp = Blueprint("organizations", __name__, url_prefix="/organizations")


def _page_arg() -> int:
    return page_number(request.args)


@bp.get("")
def index():
    raw = {k: v for k in ("kind", "page") if (v := request.args.get(k, "").strip())}
    if request.args.get("accredited_only"):
        raw["accredited_only"] = "true"
    result = load_form(OrganizationListQuerySchema(), raw)
    filters = result.data if result.ok else {"page": 1, "per_page": 20}
    return render_template(
        "organizations/index.html",
        page=services.list_organizations({**filters, "per_page": 20}),
        filters=filters,
        on=today(),
        can_create=permissions.can_create_organization(actor()),
    )


@bp.get("/<slug>")
def show(slug: str):
    org = services.get_organization_by_slug(slug)
    provided = catalog.list_modules(
        actor(), {"provider_id": org.id, "per_page": 10, "sort": "newest"}
    )
    # Built by this organization with another provider of record (joint providership).
    owned = catalog.list_modules(
        actor(), {"owner_id": org.id, "other_provider": True, "per_page": 10, "sort": "newest"}
    )
    user = actor()
    return render_template(
        "organizations/show.html",
        org=org,
        provided=provided,
        owned=owned,
        on=today(),
        can={
            "verify": permissions.can_verify_accreditation(user),
            "manage": permissions.can_manage_members(user, org),
            "members": permissions.can_view_members(user, org),
            "audit": permissions.can_view_audit(user, org),
            "completions": org.is_provider_kind
            and permissions.can_view_provider_completions(user, org),
            "create_module": permissions.can_create_module_for(user, org)
            and not org.is_ineligible_company,
        },
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():
    if not permissions.can_create_organization(actor()):
        abort(403, description="Only platform administrators can create organizations.")
    form, errors = request.form, {}
    if request.method == "POST":
        values = blank_to_none(
            {
                k: form.get(k, "")
                for k in (
                    "name",
                    "kind",
                    "accreditor",
                    "accredited_until",
                    "website",
                    "description",
                )
            },
            "accreditor",
            "accredited_until",
            "website",
        )
        values["is_ineligible_company"] = bool(form.get("is_ineligible_company"))
        result = load_form(OrganizationCreateSchema(), values)
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    org = services.create_organization(actor(), result.data)
            except DomainError as error:
                errors = error_fields(error) or {"_schema": [error.message]}
            else:
                flash(f"{org.name} is created. Add its first administrator below.", "success")
                return redirect(url_for("organizations.members", slug=org.slug))
    return render_template(
        "organizations/new.html", form=form, errors=errors
    ), 422 if errors else 200


@bp.route("/<slug>/accreditation", methods=["GET", "POST"])
@login_required
def accreditation(slug: str):
    org = services.get_organization_by_slug(slug)
    if not permissions.can_verify_accreditation(actor()):
        abort(403, description="Only platform administrators verify accreditation.")
    errors = {}
    if request.method == "POST":
        form = request.form
        values = blank_to_none(
            {k: form.get(k, "") for k in ("kind", "accreditor", "accredited_until")},
            "accreditor",
            "accredited_until",
        )
        values["is_ineligible_company"] = bool(form.get("is_ineligible_company"))
        result = load_form(AccreditationSchema(), values)
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    services.set_accreditation(actor(), org, result.data)
            except ConflictError as error:
                errors = {"is_ineligible_company": [error.message]}
            else:
                flash("Accreditation saved and recorded in the audit log.", "success")
                return redirect(url_for("organizations.show", slug=org.slug))
    else:
        form = {
            "kind": org.kind,
            "accreditor": org.accreditor or "",
            "accredited_until": org.accredited_until.isoformat() if org.accredited_until else "",
            "is_ineligible_company": "1" if org.is_ineligible_company else "",
        }
    return render_template(
        "organizations/accreditation.html", org=org, form=form, errors=errors
    ), 422 if errors else 200


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@login_required
def edit(slug: str):
    org = services.get_organization_by_slug(slug)
    if not permissions.can_manage_members(actor(), org):
        abort(403, description="Only this organization's administrators can edit its profile.")
    errors = {}
    if request.method == "POST":
        form = request.form
        values = blank_to_none({k: form.get(k, "") for k in ("description", "website")}, "website")
        result = load_form(OrganizationProfileSchema(), values)
        errors = result.errors
        if result.ok:
            with transaction():
                services.update_profile(actor(), org, result.data)
            flash("Profile saved.", "success")
            return redirect(url_for("organizations.show", slug=org.slug))
    else:
        form = {"description": org.description, "website": org.website}
    return render_template(
        "organizations/edit.html", org=org, form=form, errors=errors
    ), 422 if errors else 200


@bp.route("/<slug>/members", methods=["GET", "POST"])
@login_required
def members(slug: str):
    org = services.get_organization_by_slug(slug)
    user = actor()
    if not permissions.can_view_members(user, org):
        abort(
            403,
            description="Only this organization's staff and administrators can see its members.",
        )
    form, errors = {}, {}
    if request.method == "POST":
        form = request.form
        values = {k: form.get(k, "") for k in ("email", "full_name", "profession", "role")}
        values["password"] = form.get("password") or None
        result = load_form(MemberCreateSchema(), values)
        errors = result.errors
        if result.ok:
            try:
                with transaction():
                    membership = services.add_member(user, org, result.data)
            except FieldValidationError as error:
                errors = error_fields(error)
            except ConflictError as error:
                errors = {"email": [error.message]}
            else:
                flash(
                    f"{membership.user.full_name} is now {membership.role} of {org.name}.",
                    "success",
                )
                return redirect(url_for("organizations.members", slug=org.slug))
    page = services.list_members(user, org, _page_arg(), 50)
    return render_template(
        "organizations/members.html",
        org=org,
        page=page,
        form=form,
        errors=errors,
        can_manage=permissions.can_manage_members(user, org),
    ), 422 if errors else 200


@bp.post("/<slug>/members/<int:membership_id>/role")
@login_required
def change_role(slug: str, membership_id: int):
    org = services.get_organization_by_slug(slug)
    _require_manager(org)
    membership = services.get_membership(org, membership_id)
    result = load_form(MemberRoleSchema(), {"role": request.form.get("role", "")})
    if not result.ok:
        flash("Choose a role: admin, staff or member.", "danger")
    else:
        try:
            with transaction():
                services.change_role(actor(), org, membership, result.data["role"])
        except ConflictError as error:
            flash(error.message, "danger")
        else:
            flash(f"{membership.user.full_name} is now {membership.role}.", "success")
    return redirect(url_for("organizations.members", slug=org.slug))


@bp.post("/<slug>/members/<int:membership_id>/remove")
@login_required
def remove_member(slug: str, membership_id: int):
    org = services.get_organization_by_slug(slug)
    _require_manager(org)
    membership = services.get_membership(org, membership_id)
    name = membership.user.full_name
    try:
        with transaction():
            services.remove_member(actor(), org, membership)
    except ConflictError as error:
        flash(error.message, "danger")
    else:
        flash(f"{name} is no longer a member of {org.name}.", "success")
    return redirect(url_for("organizations.members", slug=org.slug))


def _require_manager(org) -> None:
    if not permissions.can_manage_members(actor(), org):
        abort(403, description="Only this organization's administrators can manage its people.")


@bp.get("/<slug>/audit")
@login_required
def audit_log(slug: str):
    org = services.get_organization_by_slug(slug)
    page = audit.events_for_organization(actor(), org, _page_arg(), 50)
    return render_template("organizations/audit.html", org=org, page=page)
