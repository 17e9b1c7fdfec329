"""Catalog search as the pages and the API use it: one call from validated parameters to a
page of modules (loaded from SQL in rank order), facets with labels, highlights and a
"Did you mean"; every search is recorded for the demand reports."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from exchange import permissions, vocab
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import today, transaction
from exchange.extensions import db
from exchange.organizations.models import Organization
from exchange.pagination import ListPage
from exchange.search.backend import FACET_DIMENSIONS, SearchRequest
from exchange.search.highlight import highlight
from exchange.search.indexing import ensure_index, rebuild_index
from exchange.search.models import SearchEvent, SearchEventProvider
from exchange.search.whoosh_index import IndexUnavailable

log = logging.getLogger(__name__)

FACET_LABELS = {
    "specialty": vocab.SPECIALTIES,
    "profession": vocab.PROFESSIONS,
    "credit_type": vocab.CREDIT_TYPE_SHORT,
    "format": vocab.FORMATS,
}
# Which request parameter selects each facet.
HIGHLIGHT_FIELDS = ("title", "summary", "description", "faculty")


@dataclass
class FacetValue:
    value: Any
    label: str
    count: int
    selected: bool


@dataclass
class CatalogPage(ListPage):
    """A page of search results, with the Flask-SQLAlchemy pagination interface."""

    facets: dict[str, list[FacetValue]] = field(default_factory=dict)
    highlights: dict[int, dict[str, Markup]] = field(default_factory=dict)
    suggestion: str | None = None
    showing_suggestion: bool = False
    query: str = ""


def search_catalog(actor: User | None, params: dict[str, Any], record: bool = True) -> CatalogPage:
    """Search the catalog with validated parameters (CatalogSearchSchema)."""
    started = time.perf_counter()
    request = _request(actor, params)
    try:
        outcome = ensure_index().search(request)
    except IndexUnavailable:
        log.warning("Search index unavailable mid-search; rebuilding it.")
        rebuild_index()
        outcome = ensure_index().search(request)
    if record:  # before loading the rows: its commit would expire them
        found = outcome.original_total if outcome.showing_suggestion else outcome.total
        _record(actor, params, found or 0, outcome.suggestion, started, outcome.module_ids)
    modules = _load_in_order(outcome.module_ids, actor, request)
    page = CatalogPage(
        items=modules,
        total=outcome.total,
        page=request.page,
        per_page=request.per_page,
        facets=_facets(outcome.facets, request),
        suggestion=outcome.suggestion,
        showing_suggestion=outcome.showing_suggestion,
        query=request.text,
    )
    if request.text.strip() and outcome.terms:
        page.highlights = {m.id: _highlights(m, outcome.terms) for m in modules}
    return page


def _request(actor: User | None, params: dict[str, Any]) -> SearchRequest:
    text = (params.get("q") or "").strip()
    staff_orgs = (
        frozenset(actor.organization_ids(*permissions.EDITOR_ROLES)) if actor else frozenset()
    )
    sort = params.get("sort") or ("relevance" if text else "newest")
    return SearchRequest(
        text=text,
        specialty=list(params.get("specialty") or []),
        profession=list(params.get("profession") or []),
        credit_type=list(params.get("credit_type") or []),
        format=list(params.get("format") or []),
        provider=list(params.get("provider_id") or []),
        min_credits=params.get("min_credits"),
        max_credits=params.get("max_credits"),
        available_only=params.get("available_only") is not False,
        status=params.get("status") or "published",
        staff_org_ids=staff_orgs,
        sort=sort,
        page=params.get("page") or 1,
        per_page=params.get("per_page") or 20,
        today=today(),
    )


def _load_in_order(
    module_ids: list[int], actor: User | None, request: SearchRequest
) -> list[Module]:
    """The page's rows from SQL in one query (plus eager loads), in rank order. The rules
    the index applied are checked again against the database, the truth: a stale entry
    (an index write that is late or failed) never shows what the detail page refuses."""
    if not module_ids:
        return []
    stmt = select(Module).where(
        Module.id.in_(module_ids),
        permissions.visible_modules_clause(actor),
        Module.status == request.status,
    )
    if request.status == "published" and request.available_only:
        stmt = stmt.where(Module.available_clause(request.today))
    rows = db.session.scalars(
        stmt.options(
            joinedload(Module.provider),
            joinedload(Module.owner),
            selectinload(Module.credits),
            selectinload(Module.profession_rows),
            selectinload(Module.specialty_rows),
        )
    ).all()
    by_id = {m.id: m for m in rows}
    missing = [i for i in module_ids if i not in by_id]
    if missing:
        log.warning("Search index out of step for modules %s; run `flask search verify`.", missing)
    return [by_id[i] for i in module_ids if i in by_id]


def _facets(
    counts: dict[str, dict[Any, int]], request: SearchRequest
) -> dict[str, list[FacetValue]]:
    selected = {
        "specialty": set(request.specialty),
        "profession": set(request.profession),
        "credit_type": set(request.credit_type),
        "format": set(request.format),
        "provider": set(request.provider),
    }
    provider_ids = set(counts.get("provider", {})) | selected["provider"]
    provider_names = (
        dict(
            db.session.execute(
                select(Organization.id, Organization.name).where(Organization.id.in_(provider_ids))
            ).all()
        )
        if provider_ids
        else {}
    )
    facets: dict[str, list[FacetValue]] = {}
    for dimension in FACET_DIMENSIONS:
        values = dict(counts.get(dimension, {}))
        for value in selected[dimension]:
            values.setdefault(value, 0)
        labels = FACET_LABELS.get(dimension, provider_names)
        facets[dimension] = sorted(
            (
                FacetValue(
                    value, str(labels.get(value, value)), count, value in selected[dimension]
                )
                for value, count in values.items()
            ),
            key=lambda f: (-f.count, f.label.casefold()),
        )
    return facets


def _highlights(module: Module, terms: frozenset[str]) -> dict[str, Markup]:
    found: dict[str, Markup] = {}
    for field_name in HIGHLIGHT_FIELDS:
        if field_name == "faculty":
            text = "; ".join(person.get("name", "") for person in module.faculty or [])
        else:
            text = getattr(module, field_name) or ""
        marked = highlight(text, terms, whole=field_name in ("title", "faculty"))
        if marked is not None:
            found[field_name] = marked
    return found


def _record(
    actor: User | None,
    params: dict[str, Any],
    total: int,
    suggestion: str | None,
    started: float,
    module_ids: list[int] | None = None,
) -> None:
    filters = {
        key: (str(value) if not isinstance(value, list | bool | int | str) else value)
        for key, value in params.items()
        if key != "q" and value not in (None, [], "")
    }
    event = SearchEvent(
        query=(params.get("q") or "")[:200],
        filters=filters,
        result_count=total,
        duration_ms=int((time.perf_counter() - started) * 1000),
        suggestion=suggestion[:200] if suggestion else None,
        organization_id=_searcher_organization(actor),
    )
    try:
        with transaction():
            db.session.add(event)
            if event.query.strip() and module_ids:
                db.session.flush()
                for provider_id, hits in db.session.execute(
                    select(Module.provider_id, func.count(Module.id))
                    .where(Module.id.in_(module_ids), Module.provider_id.is_not(None))
                    .group_by(Module.provider_id)
                ):
                    db.session.add(
                        SearchEventProvider(
                            search_event_id=event.id, provider_id=provider_id, hits=hits
                        )
                    )
    except Exception:  # noqa: BLE001 - losing a log line must not lose the search
        log.exception("Could not record a search event.")


def _searcher_organization(actor: User | None) -> int | None:
    """The organization a search counts for: the searcher's staff organization first."""
    if actor is None or not actor.memberships:
        return None
    ranked = sorted(
        actor.memberships, key=lambda m: (m.role not in permissions.EDITOR_ROLES, m.organization_id)
    )
    return ranked[0].organization_id
