"""Pages: home, the public catalog, module pages and versions, the module editor, workspace."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import login_required
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from exchange import permissions, vocab
from exchange.catalog import services
from exchange.catalog.content import content_path, discard_content_file, store_content_file
from exchange.catalog.forms import module_form_values, parse_module_form, row_count
from exchange.catalog.models import Module
from exchange.catalog.presenters import module_page_data
from exchange.catalog.schemas import CatalogSearchSchema, ModuleInputSchema, ModuleUpdateSchema
from exchange.database import today, transaction
from exchange.errors import ConflictError, DomainError, FieldValidationError, NotFoundError
from exchange.extensions import db
from exchange.forms import error_fields, load_form
from exchange.learning.access import may_open_content
from exchange.learning.panel import module_panel
from exchange.organizations.models import Organization
from exchange.pagination import page_number
from exchange.search.services import search_catalog
from exchange.templating import actor, url_with

bp = Blueprint("catalog", __name__)

SEARCH_LISTS = ("specialty", "profession", "credit_type", "format", "provider_id")
SEARCH_SCALARS = (
    "q",
    "min_credits",
    "max_credits",
    "available_only",
    "status",
    "sort",
    "page",
    "per_page",
)


@bp.get("/")
def home():
    """The landing page; after sign-in, the person's dashboard."""
    if actor() is not None:
        from exchange.sharing.views import dashboard_page

        return dashboard_page()
    latest = services.list_modules(actor(), {"page": 1, "per_page": 6, "sort": "newest"})
    stats = {
        "modules": latest.total,
        "providers": db.session.scalar(
            select(func.count(Organization.id)).where(Organization.accredited_clause(today()))
        ),
        "organizations": db.session.scalar(select(func.count(Organization.id))),
    }
    return render_template("catalog/home.html", latest=latest.items, stats=stats)


@bp.get("/catalog")
def catalog():
    """Search and browse: the URL carries the whole state (query, facets, sort, page)."""
    args = request.args
    raw: dict = {k: args.getlist(k) for k in SEARCH_LISTS if args.getlist(k)}
    raw.update({k: v for k in SEARCH_SCALARS if (v := args.get(k, "").strip())})
    if "available_only" not in raw and args.get("filtered"):
        raw["available_only"] = "false"  # the checkbox was unticked
    result = load_form(CatalogSearchSchema(), raw)
    params, errors = (result.data, {}) if result.ok else (_fallback_params(raw), result.errors)
    page = search_catalog(actor(), params)
    if page.total and page.page > page.pages:  # past the end (an old bookmark): the last page
        return redirect(url_with(page=page.pages))
    return render_template(
        "catalog/list.html",
        page=page,
        params=params,
        errors=errors,
        can_see_drafts=bool(actor() and actor().organization_ids(*permissions.EDITOR_ROLES)),
    ), (400 if errors else 200)


def _fallback_params(raw: dict) -> dict:
    """When some parameters are invalid, still search with the text alone."""
    query = load_form(CatalogSearchSchema(), {"q": raw.get("q", "")})
    return query.data if query.ok else {"q": "", "page": 1, "per_page": 20}


@bp.get("/modules/<int:module_id>")
def module_page(module_id: int):
    module = services.get_module(actor(), module_id)
    return render_template(
        "catalog/module.html",
        m=module_page_data(module),
        module=module,
        versions=services.list_versions(module) if module.status != "draft" else [],
        can=_abilities(module),
        on=today(),
        problems=services.publish_problems(module)
        if module.status == "draft" and permissions.can_edit_module(actor(), module)
        else {},
        panel=module_panel(actor(), module),
    )


@bp.get("/modules/<int:module_id>/versions/<int:version>")
def module_version(module_id: int, version: int):
    module = services.get_module(actor(), module_id)
    row = services.get_module_version(actor(), module, version)
    return render_template(
        "catalog/module.html",
        m=row.data,
        module=module,
        snapshot=row,
        versions=services.list_versions(module),
        can={},
        on=today(),
        problems={},
    )


def _abilities(module: Module) -> dict[str, bool]:
    user = actor()
    return {
        "edit": permissions.can_edit_module(user, module) and module.status != "retired",
        "publish": permissions.can_publish_module(user, module) and module.status == "draft",
        "retire": permissions.can_retire_module(user, module) and module.status == "published",
        "delete": permissions.can_delete_module(user, module),
        "content": permissions.can_view_content(user, module),
    }


@bp.route("/modules/new", methods=["GET", "POST"])
@login_required
def new_module():
    owners = services.owner_choices(actor())
    if not owners:
        abort(403, description="Only education staff of an organization can create modules.")
    owner = _chosen_owner(owners)
    if request.method == "GET":
        default_provider = services.default_provider(owner)
        form = MultiDict({"provider_id": str(default_provider.id) if default_provider else ""})
        return _render_editor(form, {}, owner=owner, owners=owners)
    parsed = parse_module_form(request.form)
    result = load_form(ModuleInputSchema(), {**parsed.data, "owner_id": owner.id})
    errors = {**parsed.errors, **parsed.form_errors(result.errors)}
    if result.ok and not parsed.errors:
        content: dict[str, str | None] = {}
        try:
            content = _content_changes()
            with transaction():
                module = services.create_module(actor(), {**result.data, **content})
        except DomainError as error:
            discard_content_file(content.get("content_file"))
            errors = parsed.form_errors(error_fields(error)) or {"_schema": [error.message]}
        else:
            flash("Draft saved. Publish it when the provider of record has reviewed it.", "success")
            return redirect(url_for("catalog.module_page", module_id=module.id))
    return _render_editor(request.form, errors, owner=owner, owners=owners, status=422)


def _chosen_owner(owners: list[Organization]) -> Organization:
    # On POST the form's own choice counts (the page URL may name another organization).
    wanted = request.form.get("owner") if request.method == "POST" else None
    wanted = wanted or request.args.get("owner")
    for org in owners:
        if org.slug == wanted:
            return org
    if wanted:
        abort(403, description="You are not education staff of that organization.")
    return owners[0]


@bp.route("/modules/<int:module_id>/edit", methods=["GET", "POST"])
@login_required
def edit_module(module_id: int):
    module = services.get_module(actor(), module_id)
    if not permissions.can_edit_module(actor(), module):
        abort(403, description=services.edit_refusal(module))
    if module.status == "retired":
        flash("A retired module cannot be edited.", "warning")
        return redirect(url_for("catalog.module_page", module_id=module.id))
    if request.method == "GET":
        return _render_editor(module_form_values(module), {}, owner=module.owner, module=module)
    parsed = parse_module_form(request.form)
    changes = dict(parsed.data, change_note=request.form.get("change_note", ""))
    result = load_form(ModuleUpdateSchema(), changes)
    errors = {**parsed.errors, **parsed.form_errors(result.errors)}
    if result.ok and not parsed.errors:
        before = module.version
        content: dict[str, str | None] = {}
        try:
            content = _content_changes()
            with transaction():
                module = services.update_module(actor(), module, {**result.data, **content})
        except DomainError as error:
            discard_content_file(content.get("content_file"))
            errors = parsed.form_errors(error_fields(error)) or {"_schema": [error.message]}
        else:
            if module.version != before:
                flash(
                    f"Saved as version {module.version}. Licensees will see the change.", "success"
                )
            else:
                flash("Saved.", "success")
            return redirect(url_for("catalog.module_page", module_id=module.id))
    return _render_editor(request.form, errors, owner=module.owner, module=module, status=422)


def _content_changes() -> dict[str, str | None]:
    """The uploaded content file (stored now), or its removal, as module changes."""
    upload = request.files.get("content_upload")
    if upload and upload.filename:
        stored, name = store_content_file(upload, "content_upload")
        return {"content_file": stored, "content_file_name": name}
    if request.form.get("content_remove"):
        return {"content_file": None, "content_file_name": None}
    return {}


@bp.get("/modules/<int:module_id>/content")
@login_required
def content_file(module_id: int):
    """The uploaded content, as an attachment (never rendered inline on our origin): for the
    module's staff, and for learners with access who launched it."""
    module = services.get_module(actor(), module_id)
    if not module.content_file or not may_open_content(actor(), module):
        raise NotFoundError("No content file for this module.")
    try:
        path = content_path(module.content_file)
    except FileNotFoundError as error:
        raise NotFoundError("No content file for this module.") from error
    return send_file(path, as_attachment=True, download_name=module.content_file_name)


def _render_editor(form, errors, *, owner, module=None, owners=None, status=200):
    return render_template(
        "catalog/edit.html",
        form=form,
        errors=errors,
        owner=owner,
        owners=owners or [],
        module=module,
        provider_options=[
            (org.id, f"{org.name} ({vocab.ACCREDITORS[org.accreditor]})")
            for org in services.accredited_providers()
        ],
        faculty_rows=row_count(form, "faculty"),
        support_rows=row_count(form, "commercial_support"),
    ), status


@bp.post("/modules/<int:module_id>/publish")
@login_required
def publish(module_id: int):
    module = services.get_module(actor(), module_id)
    try:
        with transaction():
            services.publish_module(actor(), module)
    except ConflictError as error:
        flash(error.message + " See the checklist below.", "danger")
    except FieldValidationError as error:
        flash(error.message, "danger")
    else:
        flash("Published. The module is now in the catalog.", "success")
    return redirect(url_for("catalog.module_page", module_id=module_id))


@bp.post("/modules/<int:module_id>/delete")
@login_required
def delete(module_id: int):
    module = services.get_module(actor(), module_id)
    try:
        with transaction():
            services.delete_module(actor(), module)
    except ConflictError as error:
        flash(error.message, "danger")
        return redirect(url_for("catalog.module_page", module_id=module_id))
    flash("The draft is deleted.", "success")
    return redirect(url_for("catalog.workspace"))


@bp.post("/modules/<int:module_id>/retire")
@login_required
def retire(module_id: int):
    module = services.get_module(actor(), module_id)
    try:
        with transaction():
            services.retire_module(actor(), module)
    except ConflictError as error:
        flash(error.message, "danger")
    else:
        flash("Retired. It no longer appears in the catalog.", "success")
    return redirect(url_for("catalog.module_page", module_id=module_id))


@bp.get("/workspace")
@login_required
def workspace():
    """Modules of the organizations the user is education staff of, drafts included."""
    owners = services.owner_choices(actor())
    status = request.args.get("status", "draft")
    if status not in ("draft", "published", "retired"):
        raise NotFoundError("No such list.")
    org_ids = actor().organization_ids(*permissions.EDITOR_ROLES)
    page = services.list_staff_modules(actor(), org_ids, status, page_number(request.args))
    return render_template("catalog/workspace.html", page=page, status=status, owners=owners)
