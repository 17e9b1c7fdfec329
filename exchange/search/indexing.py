"""Keeping the index in step with the database: the outbox, rebuilds and verification.

A service that changes a module calls `enqueue(module_id)`: a `search_outbox` row is added
in the same transaction. `exchange.database.commit()` then runs, around its single commit:

- before: the documents of the queued modules are built from the session (which still holds
  the transaction), so no SQL runs once the commit is done but for the outbox's own cleanup;
- after: the documents are written to the index (waiting on its lock up to a timeout), and
  only then are their outbox rows deleted. If the index write fails, the request still
  succeeds, the failure is logged, and the rows stay for the next drain or `verify --repair`.

A rollback drops the queue with everything else: nothing is indexed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from exchange.catalog.models import Module
from exchange.database import hooks, utcnow
from exchange.extensions import db
from exchange.search.documents import (
    TOMBSTONE,
    module_document,
    new_seq,
    record_of,
    tombstone_document,
)
from exchange.search.models import SearchOutbox
from exchange.search.whoosh_index import CatalogIndex, IndexUnavailable

log = logging.getLogger(__name__)

PENDING = "search_pending_module_ids"
PREPARED = "search_prepared"
LEFTOVER_AGE = timedelta(seconds=60)
LEFTOVER_BATCH = 200


def get_index() -> CatalogIndex:
    """This process's search backend (see backend.SearchBackend): the Whoosh index in the
    configured SEARCH_INDEX_DIR."""
    app = current_app._get_current_object()
    directory = app.config["SEARCH_INDEX_DIR"]
    indexes: dict[str, CatalogIndex] = app.extensions.setdefault("catalog_indexes", {})
    if directory not in indexes:
        indexes[directory] = CatalogIndex(
            directory,
            app.config.get("SEARCH_WRITE_TIMEOUT", 10.0),
            app.config.get("SEARCH_POSTINGS_CACHE_MB", 256) * 1024 * 1024,
        )
    return indexes[directory]


# The outbox ---------------------------------------------------------------------------


def enqueue(module_id: int) -> None:
    """Record, in the current transaction, that this module's index entry must change."""
    db.session.add(SearchOutbox(module_id=module_id))
    db.session.info.setdefault(PENDING, set()).add(module_id)


def _load_modules(module_ids, session=None) -> list[Module]:
    session = session or db.session
    return list(
        session.scalars(
            select(Module)
            .where(Module.id.in_(list(module_ids)))
            .options(
                joinedload(Module.provider),
                joinedload(Module.owner),
                selectinload(Module.credits),
                selectinload(Module.profession_rows),
                selectinload(Module.specialty_rows),
            )
        )
    )


def _documents_for(module_ids, session=None) -> list[dict[str, Any]]:
    """Documents for these modules as the session sees them now, and tombstones for the
    ones that no longer exist."""
    seq = new_seq()
    modules = _load_modules(module_ids, session)
    found = {m.id for m in modules}
    return [module_document(m, seq) for m in modules] + [
        tombstone_document(module_id, seq) for module_id in sorted(set(module_ids) - found)
    ]


def before_commit() -> None:
    pending = db.session.info.pop(PENDING, None)
    if not pending:
        return
    try:
        documents = _documents_for(pending)
    except Exception:  # noqa: BLE001 - never lose the user's change over its index entry
        log.exception("Could not build search documents for %s; left in the outbox.", pending)
        return
    outbox_ids = list(
        db.session.scalars(select(SearchOutbox.id).where(SearchOutbox.module_id.in_(pending)))
    )
    db.session.info[PREPARED] = (documents, outbox_ids)


def after_commit() -> None:
    prepared = db.session.info.pop(PREPARED, None)
    if prepared is None:
        return
    documents, outbox_ids = prepared
    if _write(documents):
        _forget(outbox_ids)
        drain_outbox(older_than=LEFTOVER_AGE, limit=LEFTOVER_BATCH)


def on_rollback() -> None:
    db.session.info.pop(PENDING, None)
    db.session.info.pop(PREPARED, None)


def _write(documents: list[dict[str, Any]]) -> bool:
    try:
        index = get_index()
        if not index.exists():
            return False  # the next search (or `flask search reindex`) builds it whole
        index.apply(documents)
        return True
    except IndexUnavailable as error:
        log.warning("Search index not updated (%s); the next search rebuilds it.", error)
        return False
    except Exception:  # noqa: BLE001 - the request has committed; repair comes later
        log.exception(
            "Search index update failed for modules %s; left in the outbox for repair.",
            sorted(int(d["key"]) for d in documents),
        )
        return False


def _forget(outbox_ids: list[int]) -> None:
    if not outbox_ids:
        return
    db.session.execute(delete(SearchOutbox).where(SearchOutbox.id.in_(outbox_ids)))
    db.session.commit()


def drain_outbox(older_than: timedelta | None = None, limit: int | None = None) -> int:
    """Apply outbox rows left behind (crash, lock timeout); returns modules applied."""
    stmt = select(SearchOutbox.id, SearchOutbox.module_id).order_by(SearchOutbox.id)
    if older_than is not None:
        stmt = stmt.where(SearchOutbox.created_at <= utcnow() - older_than)
    if limit is not None:
        stmt = stmt.limit(limit)
    rows = db.session.execute(stmt).all()
    if not rows:
        return 0
    module_ids = {module_id for _, module_id in rows}
    documents = _documents_for(module_ids)
    db.session.commit()  # end the read transaction before waiting on the index lock
    if not _write(documents):
        return 0
    _forget([row_id for row_id, _ in rows])
    return len(module_ids)


def register_hooks() -> None:
    if before_commit not in hooks.before:
        hooks.before.append(before_commit)
        hooks.after.append(after_commit)
        hooks.rollback.append(on_rollback)


# Rebuild and verify -------------------------------------------------------------------


def iter_documents(batch: int = 500) -> Iterator[dict[str, Any]]:
    """Every module's document, loaded in batches so memory stays flat. Reads through a
    private session on the same connection, so the caller's objects stay attached."""
    reader = Session(bind=db.session.connection(), autoflush=False)
    try:
        ids = list(reader.scalars(select(Module.id).order_by(Module.id)))
        for start in range(0, len(ids), batch):
            yield from _documents_for(ids[start : start + batch], reader)
            reader.expunge_all()
    finally:
        reader.close()


def module_count() -> int:
    return db.session.scalar(select(func.count(Module.id))) or 0


def rebuild_index(
    procs: int = 1, progress: Callable[[int], None] | None = None, only_if_missing: bool = False
) -> int:
    """Build a new index from the database and swap it in; then catch up with changes
    committed while it was being built. One rebuild at a time (a file lock): with
    `only_if_missing`, a process that waited finds the index another one built."""
    index = get_index()
    with index.rebuild_lock():
        if only_if_missing and index.exists():
            return 0
        started = utcnow()
        count = index.rebuild(
            iter_documents(), total=module_count(), procs=procs, progress=progress
        )
        db.session.commit()
        # Changes committed while the new index was built went to the old one. Every change
        # touches its module's updated_at (accreditation changes touch the provider's
        # modules); apply those the new index does not hold yet, then deletions.
        changed = set(
            db.session.scalars(
                select(Module.id).where(Module.updated_at >= started - timedelta(seconds=5))
            )
        )
        changed |= set(
            db.session.scalars(
                select(SearchOutbox.module_id).where(SearchOutbox.created_at >= started)
            )
        )
        indexed = index.indexed_digests()
        present = set(db.session.scalars(select(Module.id)))
        changed |= {module_id for module_id in indexed if module_id not in present}
        if changed:
            documents = _documents_for(changed)
            index.apply(
                d
                for d in documents
                if indexed.get(int(d["key"])) != int(record_of(d)["digest"])
                or record_of(d)["status"] == TOMBSTONE
            )
        db.session.execute(delete(SearchOutbox).where(SearchOutbox.created_at <= started))
        db.session.commit()
        return count


def ensure_index() -> CatalogIndex:
    """The index, rebuilt first if it is missing, damaged or of an older layout."""
    index = get_index()
    try:
        index.searcher()
    except IndexUnavailable as error:
        log.warning("Rebuilding the search index: %s", error)
        rebuild_index(only_if_missing=True)
    return index


@dataclass
class Divergence:
    missing: list[int] = field(default_factory=list)  # in the database, not in the index
    stale: list[int] = field(default_factory=list)  # indexed text or values out of date
    extra: list[int] = field(default_factory=list)  # in the index, not in the database
    pending: int = 0  # outbox rows waiting

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.extra)


def verify_index(repair: bool = False) -> Divergence:
    """Compare every module's document with the index; with `repair`, fix each difference."""
    index = ensure_index()
    outbox_ids = list(db.session.scalars(select(SearchOutbox.id)))
    indexed = index.indexed_digests()
    result = Divergence(pending=len(outbox_ids))
    seen: set[int] = set()
    for document in iter_documents():
        module_id = int(document["key"])
        seen.add(module_id)
        digest = int(record_of(document)["digest"])
        if module_id not in indexed:
            result.missing.append(module_id)
        elif indexed[module_id] != digest:
            result.stale.append(module_id)
    result.extra = sorted(set(indexed) - seen)
    if repair and (not result.clean or result.pending):
        documents = []
        to_apply = result.missing + result.stale + result.extra
        for start in range(0, len(to_apply), 500):
            documents.extend(_documents_for(to_apply[start : start + 500]))
        index.apply(documents)
        _forget(outbox_ids)
    return result
