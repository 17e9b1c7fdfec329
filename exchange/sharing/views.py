"""Pages: the sharing network (picture, table, CSV), the timeline of a link, the reports,
and the dashboards that are the home page after sign-in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request
from flask_login import login_required

from exchange import permissions, vocab
from exchange.database import today
from exchange.errors import FieldValidationError
from exchange.exports import csv_response
from exchange.forms import load_form
from exchange.organizations import services as organizations
from exchange.organizations.models import Organization
from exchange.pagination import ListPage
from exchange.sharing import dashboards, reports, services
from exchange.sharing.picture import MAX_LINKS_DRAWN, bar_chart, network_picture
from exchange.sharing.schemas import LearnerCountQuerySchema, SharingQuerySchema
from exchange.templating import actor

bp = Blueprint("sharing", __name__)
TABLE_ROWS = 50

FILTER_ARGS = (
    "page",
    "since",
    "until",
    "specialty",
    "credit_type",
    "active_only",
    "provider_id",
    "organization_id",
    "sort",
    "order",
    "weight",
)


def _filters() -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The filters of the URL; with some invalid, the valid ones still apply (and the
    invalid ones are reported by field)."""
    raw = {k: v for k in FILTER_ARGS if (v := request.args.get(k, "").strip())}
    result = load_form(SharingQuerySchema(), raw)
    if result.ok:
        return result.data, {}
    faulty = {key.split(".")[0] for key in result.errors}
    if "since" in faulty:  # the range is one filter: an inverted one drops both ends
        faulty.add("until")
    valid = load_form(SharingQuerySchema(), {k: v for k, v in raw.items() if k not in faulty})
    return (valid.data if valid.ok else load_form(SharingQuerySchema(), {}).data), result.errors


def _network(params, **kwargs):
    filters = services.SharingFilters.from_params(
        {**params, "descending": params["order"] == "desc"}
    )
    return services.sharing_network(actor(), filters, **kwargs)


@bp.get("/sharing")
@login_required
def network():
    params, errors = _filters()
    network = _network(
        params,
        page=params["page"],
        per_page=TABLE_ROWS,
        weight=params["weight"],
        picture=MAX_LINKS_DRAWN,
    )
    return render_template(
        "sharing/network.html",
        network=network,
        table=ListPage(network.edges, network.total, params["page"], TABLE_ROWS),
        picture=network_picture(network.picture, params["weight"], network.total),
        params=params,
        errors=errors,
        names=services.organization_names(
            [params.get("provider_id"), params.get("organization_id")]
        ),
        csv_args={k: v for k, v in request.args.items() if k in FILTER_ARGS and k != "page"},
        report_links=_report_links(),
        is_admin=permissions.is_platform_admin(actor()),
    ), (400 if errors else 200)


def _download_refused(errors: dict[str, list[str]]) -> FieldValidationError:
    details = "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
    return FieldValidationError(errors, f"No download: correct the filters ({details})")


def _report_links() -> dict[str, Any]:
    """The reports this viewer may open, for links beside the network."""
    user = actor()
    return {
        "learner_counts": bool(reports.report_providers(user)),
        "member_completions": [
            o for o in dashboards.staff_organizations(user) if not o.is_provider_kind
        ],
    }


@bp.get("/sharing.csv")
@login_required
def network_csv():
    params, errors = _filters()
    if errors:  # a download must be what was asked for, or nothing
        raise _download_refused(errors)
    return csv_response(reports.sharing_csv(_network(params).edges), "sharing.csv")


@bp.get("/sharing/links/<int:provider_id>/<int:organization_id>")
@login_required
def link(provider_id: int, organization_id: int):
    provider = organizations.get_organization(provider_id)
    organization = organizations.get_organization(organization_id)
    entries = services.link_timeline(actor(), provider.id, organization.id)
    network = services.sharing_network(
        actor(),
        services.SharingFilters(provider_id=provider.id, organization_id=organization.id),
    )
    return render_template(
        "sharing/link.html",
        provider=provider,
        organization=organization,
        entries=entries,
        edge=network.edges[0] if network.edges else None,
    )


# Reports ---------------------------------------------------------------------------------


def _report_args() -> tuple[Organization, int | None, dict[str, list[str]]]:
    """The provider a report is about (`?provider_id=`, else the viewer's own provider) and
    the year; a year that is not one is reported by field and left out."""
    raw = {k: v for k in ("provider_id", "year") if (v := request.args.get(k, "").strip())}
    result = load_form(LearnerCountQuerySchema(), raw)
    errors = result.errors
    data = result.data
    if not result.ok:
        data = load_form(
            LearnerCountQuerySchema(), {k: v for k, v in raw.items() if k not in errors}
        ).data or {"provider_id": None, "year": None}
    if data["provider_id"] is not None:
        return organizations.get_organization(data["provider_id"]), data["year"], errors
    if "provider_id" in errors:
        abort(404)
    return reports.default_report_provider(actor()), data["year"], errors


@bp.get("/reports/learner-counts")
@login_required
def learner_counts():
    provider, year, errors = _report_args()
    rows = reports.learner_counts(actor(), provider, year)
    return render_template(
        "sharing/learner_counts.html",
        provider=provider,
        rows=rows,
        year=year,
        errors=errors,
        providers=reports.report_providers(actor()),
        credit_types=[t for t in vocab.CREDIT_TYPES if any(t in r.credits for r in rows)],
    ), (400 if errors else 200)


@bp.get("/reports/learner-counts.csv")
@login_required
def learner_counts_csv():
    provider, year, errors = _report_args()
    if errors:
        raise _download_refused(errors)
    rows = reports.learner_counts(actor(), provider, year)
    return csv_response(reports.learner_counts_csv(rows), f"learner-counts-{provider.slug}.csv")


@bp.get("/organizations/<slug>/member-completions")
@login_required
def member_completions(slug: str):
    organization = organizations.get_organization_by_slug(slug)
    rows = reports.member_completions(actor(), organization)
    if request.args.get("format") == "csv":
        return csv_response(
            reports.member_completions_csv(rows), f"member-completions-{organization.slug}.csv"
        )
    return render_template(
        "sharing/member_completions.html",
        organization=organization,
        rows=rows,
        credit_types=[t for t in vocab.CREDIT_TYPES if any(t in r.credits for r in rows)],
    )


# The dashboards --------------------------------------------------------------------------


def dashboard_page():
    """The home page of a signed-in person: a dashboard for each of their roles."""
    user = actor()
    staff_orgs = dashboards.staff_organizations(user)
    chosen = request.args.get("org")
    current = next(
        (o for o in staff_orgs if o.slug == chosen), staff_orgs[0] if staff_orgs else None
    )
    provider = association = None
    if current is not None:
        as_provider, as_licensee = dashboards.sections(current)
        if as_provider:
            provider = dashboards.provider_dashboard(user, current)
            provider["chart"] = bar_chart(provider["completions_by_month"])
        if as_licensee:
            association = dashboards.association_dashboard(user, current)
            association["completions_chart"] = bar_chart(association["completions_by_month"])
            association["credits_chart"] = bar_chart(association["credits_by_month"])
    member = dashboards.member_dashboard(user)
    return render_template(
        "sharing/dashboard.html",
        staff_orgs=staff_orgs,
        current=current,
        provider=provider,
        association=association,
        member=member,
        on=today(),
    )
