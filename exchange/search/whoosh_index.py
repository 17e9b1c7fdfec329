"""The catalog's full-text index on Whoosh (the whoosh-reloaded 2.7.5 fork).

Layout on disk: SEARCH_INDEX_DIR/CURRENT names the live index folder; a rebuild writes a
new folder and swaps CURRENT atomically, so searches never see a half-built index.

Writers wait on Whoosh's lock up to SEARCH_WRITE_TIMEOUT seconds and commit without
merging segments (merging is `flask search merge`, off the request path). Each thread keeps
its own searcher and replaces it when the index has a newer commit, so new commits are seen
without a restart.
Per segment, the documents' binary records (see documents.py) are read once into a numpy
array and cached by segment id.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import shutil
import string
import threading
import time
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import multiproc, writing
from whoosh import util as whoosh_util
from whoosh.codec import base as codec_base
from whoosh.columns import FixedBytesColumn
from whoosh.fields import COLUMN, ID, TEXT, Schema
from whoosh.filedb import compound, filestore
from whoosh.writing import MERGE_SMALL

from exchange.search.documents import LAYOUT_VERSION, RECORD, TOMBSTONE
from exchange.search.query import stemming_analyzer
from exchange.search.scoring import PostingCache, SegmentLengths, VectorScorer

log = logging.getLogger(__name__)


def _unpredictable_name(size: int = 28) -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(size))


# Whoosh names new segments and temporary files from the global `random` module. Processes
# forked from one parent (gunicorn workers) share its state, and so would pick the same
# segment names for one index folder: the second writer fails or corrupts the first's
# segment. Names from `secrets` cannot collide that way.
for _module in (whoosh_util, codec_base, filestore, compound, writing, multiproc):
    if not hasattr(_module, "random_name"):
        raise RuntimeError(f"{_module.__name__} no longer names files with random_name.")
    _module.random_name = _unpredictable_name

AUTO_MERGE_SEGMENTS = 16
OLD_FOLDER_GRACE_SECONDS = 600
FIELD_BOOSTS = {"title": 6.0, "tags": 2.5, "body": 1.0, "people": 1.5}


class IndexUnavailable(Exception):
    """The index is missing, corrupt or of an older layout: rebuild it from the database."""


def make_schema() -> Schema:
    stemmed = stemming_analyzer()
    return Schema(
        key=ID(unique=True, stored=True),
        # spelling=True keeps the unstemmed words of these fields for "Did you mean".
        title=TEXT(analyzer=stemmed, field_boost=FIELD_BOOSTS["title"], spelling=True),
        tags=TEXT(analyzer=stemmed, field_boost=FIELD_BOOSTS["tags"], spelling=True),
        body=TEXT(analyzer=stemmed, field_boost=FIELD_BOOSTS["body"]),
        # Names go through the same analyzer as every query word, so "Lakeside" matches.
        people=TEXT(analyzer=stemmed, field_boost=FIELD_BOOSTS["people"]),
        record=COLUMN(FixedBytesColumn(RECORD.itemsize)),
    )


@dataclass
class IndexView:
    """One searcher generation's documents as arrays indexed by global document number."""

    records: np.ndarray  # RECORD per document
    live: np.ndarray  # False for deleted documents


class CatalogIndex:
    def __init__(
        self,
        root: str | os.PathLike[str],
        write_timeout: float = 10.0,
        postings_cache_bytes: int = 256 * 1024 * 1024,
    ):
        self.root = Path(root)
        self.write_timeout = write_timeout
        self.postings = PostingCache(postings_cache_bytes)
        self.lengths = SegmentLengths()
        self.schema = make_schema()
        self._lock = threading.Lock()
        self._local = threading.local()
        self._opened: tuple[str, Any] | None = None  # (folder name, FileIndex)
        self._segment_records: dict[str, np.ndarray] = {}
        self._views: dict[tuple[str, int], IndexView] = {}

    # Locating and opening ------------------------------------------------------------

    def _current_name(self) -> str | None:
        try:
            return (self.root / "CURRENT").read_text().strip() or None
        except FileNotFoundError:
            return None

    def exists(self) -> bool:
        """A usable index is in place (missing or damaged: False)."""
        name = self._current_name()
        return bool(name) and _exists_in(self.root / name)

    def _open(self):
        name = self._current_name()
        if self._opened and self._opened[0] == name:
            return self._opened[1]
        with self._lock:
            if self._opened and self._opened[0] == name:
                return self._opened[1]
            if not name or not _exists_in(self.root / name):
                raise IndexUnavailable("There is no usable search index.")
            folder = self.root / name
            try:
                layout = json.loads((folder / "layout.json").read_text())
            except (FileNotFoundError, ValueError) as error:
                raise IndexUnavailable("The search index has no layout file.") from error
            if layout.get("version") != LAYOUT_VERSION:
                raise IndexUnavailable("The search index was built with an older layout.")
            try:
                ix = whoosh_index.open_dir(str(folder), schema=self.schema)
            except Exception as error:  # a damaged index must lead to a rebuild, not a 500
                raise IndexUnavailable(f"The search index cannot be opened: {error}") from error
            self._opened = (name, ix)
            self._segment_records.clear()
            self._views.clear()
            self._local.__dict__.clear()
            return ix

    def create_empty(self) -> None:
        """A new, empty index (replacing any previous one)."""
        self.rebuild([], total=0)

    # Writing --------------------------------------------------------------------------

    def apply(self, documents: Iterable[dict[str, Any]]) -> int:
        """Add or replace `documents` (tombstones for deleted modules) in one index commit,
        skipping any older than what the index already holds for that module: writers that
        waited on the lock may arrive out of order. Raises whoosh's LockError when the lock
        is not free within the timeout. Returns how many were written."""
        documents = list(documents)
        ix = self._open()
        writer = ix.writer(timeout=self.write_timeout)
        try:
            newest = self._indexed_seqs(ix, [int(d["key"]) for d in documents])
            count = 0
            for document in documents:
                record = np.frombuffer(document["record"], dtype=RECORD)[0]
                if int(record["seq"]) < newest.get(int(record["mid"]), -1):
                    continue
                writer.update_document(**document)
                count += 1
        except BaseException:
            writer.cancel()
            raise
        if not count:
            writer.cancel()
            return 0
        # Segments are merged off the request path (`flask search merge`); only when many
        # small ones piled up (no cron yet) does a writer fold them, which stays cheap.
        many = (
            len(ix.reader().leaf_readers()) >= AUTO_MERGE_SEGMENTS if not ix.is_empty() else False
        )
        writer.commit(merge=many)
        return count

    def _indexed_seqs(self, ix, module_ids: list[int]) -> dict[int, int]:
        """{module id: seq} of the live documents for these modules (under the writer lock)."""
        if not module_ids or ix.is_empty():
            return {}
        with ix.searcher() as searcher:
            view = self._build_view(searcher)
        live = view.records[view.live]
        wanted = live[np.isin(live["mid"], module_ids)]
        return dict(zip(wanted["mid"].tolist(), wanted["seq"].tolist(), strict=True))

    def merge(self, optimize: bool = False) -> int:
        """Merge small segments (or everything, with `optimize`); returns segments left."""
        ix = self._open()
        writer = ix.writer(timeout=self.write_timeout)
        if optimize:
            writer.commit(optimize=True)
        else:
            writer.commit(mergetype=MERGE_SMALL)
        return len(ix.reader().leaf_readers()) if not ix.is_empty() else 0

    @contextmanager
    def rebuild_lock(self):
        """One rebuild at a time across processes (they would remove each other's folders)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "REBUILD.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def rebuild(
        self,
        documents: Iterable[dict[str, Any]],
        total: int,
        procs: int = 1,
        limitmb: int = 128,
        progress=None,
    ) -> int:
        """Build a complete new index in a fresh folder, then make it the live one."""
        self.root.mkdir(parents=True, exist_ok=True)
        name = f"index-{time.strftime('%Y%m%d%H%M%S')}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        folder = self.root / name
        folder.mkdir()
        ix = whoosh_index.create_in(str(folder), self.schema)
        kwargs: dict[str, Any] = {"limitmb": limitmb}
        if procs > 1 and total >= 2000:
            kwargs.update(procs=procs, multisegment=True)
        writer = ix.writer(**kwargs)
        count = 0
        try:
            for document in documents:
                writer.add_document(**document)
                count += 1
                if progress and count % 500 == 0:
                    progress(count)
        except BaseException:
            writer.cancel()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        writer.commit()
        (folder / "layout.json").write_text(json.dumps({"version": LAYOUT_VERSION}))
        tmp = self.root / f"CURRENT.{os.getpid()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, self.root / "CURRENT")
        if progress:
            progress(count)
        self._forget_old_folders(keep=name)
        return count

    def _forget_old_folders(self, keep: str) -> None:
        """Remove finished index folders older than the previous one and than a few minutes
        (a reader in another process may still use the previous one)."""
        cutoff = time.time() - OLD_FOLDER_GRACE_SECONDS
        folders = sorted(
            p
            for p in self.root.glob("index-*")
            if p.is_dir() and p.name != keep and (p / "layout.json").exists()
        )
        for old in folders[:-1]:
            if old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)

    # Reading --------------------------------------------------------------------------

    def searcher(self):
        """This thread's searcher, on the latest commit."""
        ix = self._open()
        local = self._local
        current = getattr(local, "searcher", None)
        if current is None or getattr(local, "ix", None) is not ix:
            if current is not None:
                current.close()
            local.searcher, local.ix = ix.searcher(), ix
            local.folder = self._opened[0]
        elif not current.up_to_date():
            # Never `searcher.refresh()`: in whoosh-reloaded 2.7.5 it reuses segment readers
            # by segment id, so a segment's new deletions are missed (an updated module shows
            # twice), and it re-adds segments a merge removed. A fresh searcher is a few ms;
            # segment records stay cached by segment id and generation in `view`.
            current.close()
            local.searcher = ix.searcher()
        return local.searcher

    def view(self, searcher) -> IndexView:
        """The records and live mask for this thread's searcher generation (cached)."""
        key = (getattr(self._local, "folder", ""), searcher.reader().generation() or 0)
        cached = self._views.get(key)
        if cached is not None:
            return cached
        view = self._build_view(searcher)
        with self._lock:
            self._views = {key: view}  # keep only the newest generation
        return view

    def _build_view(self, searcher) -> IndexView:
        parts, lives = [], []
        for subsearcher, _offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            count = reader.doc_count_all()
            if count == 0:
                continue  # an empty index has a reader without columns
            segment_id = _segment_id(reader)
            records = self._segment_records.get(segment_id) if segment_id else None
            if records is None or len(records) != count:
                records = _read_records(reader, count)
                if segment_id:
                    self._segment_records[segment_id] = records
            live = np.ones(count, dtype=bool)
            if reader.has_deletions():
                deleted = getattr(reader, "deleted_docs_set", None)
                if deleted is None:
                    deleted = [d for d in range(count) if reader.is_deleted(d)]
                live[list(deleted)] = False
            parts.append(records)
            lives.append(live)
        view = IndexView(
            records=np.concatenate(parts) if parts else np.zeros(0, dtype=RECORD),
            live=np.concatenate(lives) if lives else np.zeros(0, dtype=bool),
        )
        live_segments = {_segment_id(s.reader()) for s, _ in searcher.leaf_searchers()}
        with self._lock:
            for stale in set(self._segment_records) - live_segments:
                self._segment_records.pop(stale, None)
        self.postings.forget_segments(live_segments)
        self.lengths.forget_segments(live_segments)
        return view

    def scorer(self, searcher) -> VectorScorer:
        segments = []
        for subsearcher, offset in searcher.leaf_searchers():
            reader = subsearcher.reader()
            if reader.doc_count_all():
                segment_id = _segment_id(reader) or f"gen-{searcher.reader().generation()}-{offset}"
                segments.append((reader, segment_id, offset, subsearcher))
        return VectorScorer(searcher, segments, self.postings, self.lengths)

    def search(self, request, allow_suggestion: bool = True):
        """Run a catalog search (see exchange.search.engine)."""
        from exchange.search.engine import SearchEngine

        return SearchEngine(self).search(request, allow_suggestion=allow_suggestion)

    def indexed_digests(self) -> dict[int, int]:
        """{module id: digest} of every indexed module (tombstones left out), for verify."""
        view = self.view(self.searcher())
        records = view.records[view.live & (view.records["status"] != TOMBSTONE)]
        return dict(zip(records["mid"].tolist(), records["digest"].tolist(), strict=True))


def _exists_in(folder: Path) -> bool:
    try:
        return whoosh_index.exists_in(str(folder))
    except Exception:  # noqa: BLE001 - a damaged table of contents raises all sorts
        log.warning("The search index in %s is damaged.", folder)
        return False


def _segment_id(reader) -> str | None:
    segment = getattr(reader, "segment", None)
    if callable(segment):
        try:
            return segment().segment_id()
        except Exception:  # noqa: BLE001 - not every reader has one
            return None
    return None


def _read_records(reader, count: int) -> np.ndarray:
    """Read one segment's record column as a numpy array in one block."""
    column = reader.column_reader("record", translate=False)
    width = RECORD.itemsize
    stored = getattr(column, "_count", None)
    dbfile = getattr(column, "_dbfile", None)
    if stored is not None and dbfile is not None:
        raw = dbfile.get(column._basepos, stored * width) if stored else b""
        records = np.zeros(count, dtype=RECORD)
        if stored:
            records[:stored] = np.frombuffer(raw, dtype=RECORD)
        return records
    return np.frombuffer(b"".join(column[d] for d in range(count)), dtype=RECORD).copy()
