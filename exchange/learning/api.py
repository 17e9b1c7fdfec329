"""API: launching licensed modules, the library, completions, transcripts, certificates."""

from __future__ import annotations

from flask import Response
from flask_smorest import Blueprint

from exchange.api import authenticated, require_api_user
from exchange.catalog import services as catalog
from exchange.database import transaction
from exchange.exports import csv_response
from exchange.learning import access, services
from exchange.learning.certificates import certificate_pdf
from exchange.learning.schemas import (
    CompletionInputSchema,
    CompletionSchema,
    LaunchSchema,
    LibraryItemSchema,
    LibraryQuerySchema,
    ProviderCompletionsQuerySchema,
    ProviderCompletionsSchema,
    TranscriptQuerySchema,
    TranscriptSchema,
)
from exchange.organizations import services as organizations
from exchange.pagination import envelope, page_envelope_schema

blp = Blueprint(
    "Learning",
    __name__,
    url_prefix="",
    description="Members: the library, launches, completions, transcripts and certificates.",
)
SECURED = [{"bearerAuth": []}]


@blp.route("/modules/<int:module_id>/launch", methods=["POST"])
@authenticated
@blp.response(200, LaunchSchema)
@blp.alt_response(403, description="No active license (the message says who could license it).")
@blp.alt_response(409, description="No seats left on the license.")
@blp.doc(security=SECURED)
def launch(module_id):
    """Record an access (one seat per learner per license) and return where the content is."""
    actor = require_api_user()
    with transaction():
        url, through = access.launch(actor, catalog.get_module(actor, module_id), external=True)
    return {
        "launch_url": url,
        "license_id": through.license.id if through.license else None,
        "organization_id": through.organization.id,
    }


@blp.route("/me/library", methods=["GET"])
@authenticated
@blp.arguments(LibraryQuerySchema, location="query")
@blp.response(200, page_envelope_schema(LibraryItemSchema, "LibraryPage"))
@blp.doc(security=SECURED)
def library(params):
    """The modules you may take: licensed to your organizations, or their own."""
    return envelope(access.library(require_api_user(), params["page"], params["per_page"]))


@blp.route("/completions", methods=["POST"])
@authenticated
@blp.arguments(CompletionInputSchema)
@blp.response(201, CompletionSchema)
@blp.alt_response(409, description="Not launched yet, or this version is already completed.")
@blp.doc(security=SECURED)
def complete(data):
    """Complete a module you launched: attest the time and claim credit."""
    actor = require_api_user()
    module = catalog.get_module(actor, data["module_id"])
    with transaction():
        completion = services.complete_module(actor, module, data)
    return completion


@blp.route("/me/transcript", methods=["GET"])
@authenticated
@blp.arguments(TranscriptQuerySchema, location="query")
@blp.response(200, TranscriptSchema)
@blp.doc(security=SECURED)
def transcript(params):
    """Your completions with credits, and totals by year and credit type; `?format=csv`."""
    actor = require_api_user()
    if params["format"] == "csv":
        completions = services.transcript(actor, params["year"])
        return csv_response(services.transcript_csv(completions), "transcript.csv")
    page = services.transcript_page(actor, params["year"], params["page"], params["per_page"])
    return {**envelope(page), "totals": services.transcript_totals(actor, params["year"])}


@blp.route("/completions/<string:certificate_number>/certificate.pdf", methods=["GET"])
@authenticated
@blp.response(200, content_type="application/pdf")
@blp.doc(security=SECURED)
def certificate(certificate_number):
    """The PDF certificate (the learner, and staff of the provider of record)."""
    completion = services.get_completion_by_number(require_api_user(), certificate_number)
    return Response(
        certificate_pdf(completion),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{completion.certificate_number}.pdf"'},
    )


@blp.route("/organizations/<int:organization_id>/completions", methods=["GET"])
@authenticated
@blp.arguments(ProviderCompletionsQuerySchema, location="query")
@blp.response(200, ProviderCompletionsSchema)
@blp.doc(security=SECURED)
def provider_completions(params, organization_id):
    """Completions of a provider's modules per module and licensee organization (its staff);
    with `module_id`, also the learners of that module."""
    actor = require_api_user()
    provider = organizations.get_organization(organization_id)
    rows = services.provider_completions(actor, provider)
    learners = (
        services.provider_completion_names(actor, provider, params["module_id"])
        if params["module_id"] is not None
        else []
    )
    return {"rows": rows, "learners": learners}
