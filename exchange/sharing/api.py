"""API: the sharing network and the PARS learner counts."""

from __future__ import annotations

from flask_smorest import Blueprint

from exchange import permissions
from exchange.api import authenticated, require_api_user
from exchange.errors import FieldValidationError
from exchange.exports import csv_response
from exchange.organizations import services as organizations
from exchange.pagination import ListPage, envelope, page_envelope_schema
from exchange.sharing import reports, services
from exchange.sharing.schemas import (
    LearnerCountQuerySchema,
    LearnerCountSchema,
    SharingApiQuerySchema,
    SharingPageSchema,
)

blp = Blueprint(
    "Sharing",
    __name__,
    url_prefix="/sharing",
    description="Who shares with whom: provider -> organization links and learner counts.",
)
SECURED = [{"bearerAuth": []}]


@blp.route("", methods=["GET"])
@authenticated
@blp.arguments(SharingApiQuerySchema, location="query")
@blp.response(200, SharingPageSchema)
@blp.doc(security=SECURED)
def sharing(params):
    """Links provider -> licensee with their numbers. Platform admins see every link; staff
    see the links their organizations are party to, and the rest only as `others`, one
    anonymous total. Members are refused (403)."""
    actor = require_api_user()
    filters = services.SharingFilters.from_params(
        {**params, "descending": params["order"] == "desc"}
    )
    network = services.sharing_network(
        actor, filters, page=params["page"], per_page=params["per_page"]
    )
    page = ListPage(network.edges, network.total, params["page"], params["per_page"])
    return {**envelope(page), "others": network.others}


@blp.route("/learner-counts", methods=["GET"])
@authenticated
@blp.arguments(LearnerCountQuerySchema, location="query")
@blp.response(200, page_envelope_schema(LearnerCountSchema, "LearnerCountPage"))
@blp.doc(security=SECURED)
def learner_counts(params):
    """The PARS view of a provider's modules: per module and calendar year, physician and
    other learners, credits by type and licensee organizations, from completions only.
    `provider_id` defaults to your provider; `format=csv` for CSV (every row, unpaged)."""
    actor = require_api_user()
    if params["provider_id"] is not None:
        provider = organizations.get_organization(params["provider_id"])
    elif permissions.is_platform_admin(actor):
        raise FieldValidationError({"provider_id": ["Give the provider's ID."]})
    else:
        provider = reports.default_report_provider(actor)
    rows = reports.learner_counts(actor, provider, params["year"])
    if params["format"] == "csv":
        return csv_response(reports.learner_counts_csv(rows), f"learner-counts-{provider.slug}.csv")
    return envelope(ListPage.of(rows, params["page"], params["per_page"]))
