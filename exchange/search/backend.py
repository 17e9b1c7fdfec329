"""The interface between the app and a full-text engine.

Services depend on this, not on Whoosh: `exchange.search.whoosh_index.CatalogIndex` is the
implementation today; a PostgreSQL backend (a weighted tsvector column, websearch_to_tsquery,
facets by GROUP BY) can implement the same methods when a deployment runs many app servers.
Documents are the dicts of `exchange.search.documents.module_document`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

FACET_DIMENSIONS = ("specialty", "profession", "credit_type", "format", "provider")


@dataclass
class SearchRequest:
    text: str = ""
    specialty: list[str] = field(default_factory=list)
    profession: list[str] = field(default_factory=list)
    credit_type: list[str] = field(default_factory=list)
    format: list[str] = field(default_factory=list)
    provider: list[int] = field(default_factory=list)
    min_credits: Decimal | None = None
    max_credits: Decimal | None = None
    available_only: bool = True
    status: str = "published"
    staff_org_ids: frozenset[int] = frozenset()
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20
    today: date = field(default_factory=date.today)


@dataclass
class SearchOutcome:
    module_ids: list[int]
    total: int
    facets: dict[str, dict[object, int]]
    terms: frozenset[str] = frozenset()
    suggestion: str | None = None
    showing_suggestion: bool = False
    original_total: int | None = None  # what the typed query found, when showing_suggestion


class SearchBackend(Protocol):
    def exists(self) -> bool:
        """A usable index is in place."""

    def apply(self, documents: Iterable[dict[str, Any]], deleted_ids: Iterable[int] = ()) -> int:
        """Add or replace documents and delete others, atomically; may raise on a lock timeout."""

    def rebuild(
        self,
        documents: Iterable[dict[str, Any]],
        total: int,
        procs: int = 1,
        limitmb: int = 128,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Build a complete new index and switch to it atomically."""

    def search(self, request: SearchRequest, allow_suggestion: bool = True) -> SearchOutcome:
        """Match, filter, count facets, rank and page; ids only (rows come from SQL)."""

    def indexed_digests(self) -> dict[int, int]:
        """{module id: digest} of everything indexed, for verification."""

    def merge(self, optimize: bool = False) -> int:
        """Housekeeping off the request path; returns what is left to merge."""
