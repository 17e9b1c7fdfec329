"""Pages: the library, starting a module, completing it, the transcript and certificates,
and what a provider sees of completions of its modules."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import login_required

from exchange.catalog import services as catalog
from exchange.catalog.presenters import module_page_data
from exchange.database import today, transaction
from exchange.errors import ConflictError, FieldValidationError
from exchange.exports import csv_response
from exchange.forms import error_fields, load_form
from exchange.learning import access, services
from exchange.learning.certificates import certificate_pdf
from exchange.learning.schemas import CompletionInputSchema
from exchange.organizations import services as organizations
from exchange.pagination import page_number
from exchange.security import allow_form_redirect_to
from exchange.templating import actor

bp = Blueprint("learning", __name__)


@bp.get("/library")
@login_required
def library():
    page = access.library(actor(), page_number(request.args))
    return render_template("learning/library.html", page=page, on=today())


@bp.get("/modules/<int:module_id>/start")
@login_required
def start(module_id: int):
    """Before launching: disclosures, objectives, time and credit (a CME requirement)."""
    module = catalog.get_module(actor(), module_id)
    found = access.require_access(actor(), module)
    allow_form_redirect_to(module.content_url)
    return render_template(
        "learning/start.html",
        module=module,
        m=module_page_data(module),
        through=found,
        holds_seat=bool(found.license and access.holds_seat(actor(), found.license)),
        completion=services.existing_completion(actor(), module),
        on=today(),
    )


@bp.post("/modules/<int:module_id>/launch")
@login_required
def launch(module_id: int):
    module = catalog.get_module(actor(), module_id)
    try:
        with transaction():
            url, _ = access.launch(actor(), module)
    except ConflictError as error:
        flash(error.message, "danger")
        return redirect(url_for("learning.start", module_id=module_id))
    return redirect(url)


@bp.route("/modules/<int:module_id>/complete", methods=["GET", "POST"])
@login_required
def complete(module_id: int):
    user = actor()
    module = catalog.get_module(user, module_id)
    access.require_access(user, module)
    done = services.existing_completion(user, module)
    if done is not None:
        flash(f"You completed this version on {done.completed_on.isoformat()}.", "info")
        return redirect(url_for("learning.transcript"))
    defaults = services.claim_form_defaults(user, module)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = request.form
        claims, rows = [], []
        for credit_type, _ in defaults["types"]:
            amount = form.get(f"credits.{credit_type}", "").strip()
            if amount:
                claims.append({"credit_type": credit_type, "amount": amount})
                rows.append(credit_type)
        result = load_form(
            CompletionInputSchema(),
            {
                "module_id": module.id,
                "minutes_spent": form.get("minutes_spent", "").strip(),
                "credits": claims,
                "attest": bool(form.get("attest")),
            },
        )
        errors = _claim_errors(result.errors, rows)
        if result.ok:
            try:
                with transaction():
                    completion = services.complete_module(user, module, result.data)
            except ConflictError as error:  # not launched yet, or completed meanwhile
                flash(error.message, "warning")
                return redirect(url_for("learning.start", module_id=module.id))
            except FieldValidationError as error:
                errors = _claim_errors(error_fields(error), rows) or {"_schema": [error.message]}
            else:
                flash(
                    f"Completed. Your certificate number is {completion.certificate_number}.",
                    "success",
                )
                return redirect(url_for("learning.transcript", done=completion.certificate_number))
    else:
        # The time is the planned one; the credit is left to the learner, who claims only
        # what their participation supports (the designation statement says so).
        form = {"minutes_spent": str(module.estimated_minutes or "")}
    return render_template(
        "learning/complete.html",
        module=module,
        types=defaults["types"],
        launched=access.has_launched(user, module),
        window=services.claim_window_problems(module, today()),
        form=form,
        errors=errors,
    ), (422 if errors else 200)


def _claim_errors(errors: dict[str, list[str]], rows: list[str]) -> dict[str, list[str]]:
    """credits.0.amount -> credits.ama_pra_1 (the input of that credit type)."""
    mapped: dict[str, list[str]] = {}
    for key, messages in errors.items():
        parts = key.split(".")
        if parts[0] == "credits" and len(parts) > 1 and parts[1].isdigit():
            index = int(parts[1])
            key = f"credits.{rows[index]}" if index < len(rows) else "credits"
        mapped.setdefault(key, []).extend(messages)
    return mapped


@bp.get("/transcript")
@login_required
def transcript():
    year = request.args.get("year", "")
    year_value = int(year) if year.isdigit() and len(year) == 4 else None
    completions = services.transcript(actor(), year_value)
    return render_template(
        "learning/transcript.html",
        completions=completions,
        totals=services.transcript_totals(actor(), year_value),
        year=year_value,
        done=request.args.get("done"),
    )


@bp.get("/transcript.csv")
@login_required
def transcript_csv():
    return csv_response(services.transcript_csv(services.transcript(actor())), "transcript.csv")


@bp.get("/certificates/<string:certificate_number>.pdf")
@login_required
def certificate(certificate_number: str):
    completion = services.get_completion_by_number(actor(), certificate_number)
    return Response(
        certificate_pdf(completion),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{completion.certificate_number}.pdf"'},
    )


@bp.get("/organizations/<slug>/completions")
@login_required
def provider_completions(slug: str):
    """Completions of the provider's modules per licensee organization; names per module."""
    provider = organizations.get_organization_by_slug(slug)
    rows = services.provider_completions(actor(), provider)
    module_id = request.args.get("module_id", "")
    names, module = [], None
    if module_id.isdigit() and len(module_id) <= 9:
        module, names = services.provider_module_learners(actor(), provider, int(module_id))
    return render_template(
        "learning/provider_completions.html", org=provider, rows=rows, module=module, names=names
    )
