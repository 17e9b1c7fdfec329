"""BM25F scoring as vector operations over Whoosh's posting lists.

Whoosh stores the postings; scoring them one document at a time in Python took tens of
milliseconds per query on 10,000 modules (see bench/search.py). Here each posting list is
read once per index segment (segments never change once written) into numpy arrays and
cached, and a query's scores, matches and counts are array operations.

The score is Whoosh's own BM25F (same idf, same length normalisation, weights that already
carry the field boosts), so relevance is what Whoosh would compute, only faster.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict

import numpy as np
from whoosh import query as wq
from whoosh.util.numeric import byte_to_length

K1 = 1.2
B = 0.75
BYTE_TO_LENGTH = np.array([byte_to_length(i) or 0 for i in range(256)], dtype=np.float32)


class PostingCache:
    """LRU cache of posting lists: (segment id, field, term) -> (local docnums, weights)."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, reader, segment_id: str, field: str, term: str):
        return self._cached((segment_id, field, term), lambda: _read_postings(reader, field, term))

    def phrase(self, subsearcher, segment_id: str, field: str, stems: tuple[str, ...]):
        """Local docnums of one segment where `stems` stand as a phrase in `field`."""

        def read():
            docs = np.fromiter(wq.Phrase(field, list(stems)).docs(subsearcher), dtype=np.int32)
            return docs, np.zeros(0, np.float32)

        return self._cached((segment_id, field, ("phrase", *stems)), read)[0]

    def _cached(self, key, read):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                return entry
        entry = read()
        size = entry[0].nbytes + entry[1].nbytes
        with self._lock:
            if key in self._entries:  # another thread read it meanwhile
                return self._entries[key]
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.max_bytes and len(self._entries) > 1:
                _, (ids, weights) = self._entries.popitem(last=False)
                self._bytes -= ids.nbytes + weights.nbytes
        return entry

    def forget_segments(self, live_segment_ids: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._entries if k[0] not in live_segment_ids]:
                ids, weights = self._entries.pop(key)
                self._bytes -= ids.nbytes + weights.nbytes


def _leaf(matcher):
    while hasattr(matcher, "child") and not hasattr(matcher, "_read_ids"):
        matcher = matcher.child  # e.g. the wrapper that hides deleted documents
    return matcher


def _read_postings(reader, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
    """All (docnum, weight) of a term in one segment, read block by block."""
    matcher = _leaf(reader.postings(field, term))
    ids_parts, weight_parts = [], []
    if hasattr(matcher, "_read_ids"):
        while matcher.is_active():
            if matcher._ids is None:
                matcher._read_ids()
            if matcher._weights is None:
                matcher._read_weights()
            start = matcher._i
            ids_parts.append(np.asarray(matcher._ids[start:], dtype=np.int32))
            weight_parts.append(np.asarray(matcher._weights[start:], dtype=np.float32))
            matcher._i = matcher._blocklength - 1
            matcher.next()
    else:  # any other matcher: one posting at a time
        ids, weights = [], []
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
        ids_parts, weight_parts = [np.asarray(ids, np.int32)], [np.asarray(weights, np.float32)]
    if not ids_parts:
        return np.zeros(0, np.int32), np.zeros(0, np.float32)
    return np.concatenate(ids_parts), np.concatenate(weight_parts)


class SegmentLengths:
    """Per segment and field, every document's field length (Whoosh stores a byte each)."""

    def __init__(self):
        self._lengths: dict[tuple[str, str], np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, reader, segment_id: str, field: str) -> np.ndarray:
        key = (segment_id, field)
        cached = self._lengths.get(key)
        if cached is not None:
            return cached
        count = reader.doc_count_all()
        lengths = np.zeros(count, dtype=np.float32)
        perdoc = getattr(reader, "_perdoc", None)
        column = None
        if perdoc is not None and hasattr(perdoc, "_cached_reader"):
            column = perdoc._cached_reader(f"_{field}_len", _length_column())
        stored = getattr(column, "_count", None)
        dbfile = getattr(column, "_dbfile", None)
        if stored is not None and dbfile is not None:
            raw = dbfile.get(column._basepos, stored) if stored else b""
            lengths[:stored] = BYTE_TO_LENGTH[np.frombuffer(raw, dtype=np.uint8)]
        else:  # another codec: ask document by document
            lengths[:] = [reader.doc_field_length(d, field) or 0 for d in range(count)]
        with self._lock:
            self._lengths[key] = lengths
        return lengths

    def forget_segments(self, live_segment_ids: set[str]) -> None:
        with self._lock:
            for key in [k for k in self._lengths if k[0] not in live_segment_ids]:
                self._lengths.pop(key)


def _length_column():
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN

    return LENGTHS_COLUMN


class VectorScorer:
    """Scores, by global document number, of terms over one searcher's segments."""

    def __init__(self, searcher, segments, postings: PostingCache, lengths: SegmentLengths):
        # segments: [(reader, segment id, offset, subsearcher)]
        self.searcher = searcher
        self.segments = segments  # [(reader, segment id, offset)]
        self.postings = postings
        self.lengths = lengths
        self.doc_count = searcher.doc_count_all()

    def term(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(global docnums, BM25 scores) of documents containing `term` in `field`."""
        frequency = self.searcher.doc_frequency(field, term)
        if not frequency:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        idf = math.log(self.doc_count / (frequency + 1)) + 1
        average = (self.searcher.field_length(field) / (self.doc_count or 1)) or 1.0
        docs, scores = [], []
        for reader, segment_id, offset, _ in self.segments:
            if (field, term) not in reader:
                continue
            ids, weights = self.postings.get(reader, segment_id, field, term)
            lengths = self.lengths.get(reader, segment_id, field)[ids]
            scores.append(
                idf * (weights * (K1 + 1)) / (weights + K1 * ((1 - B) + B * lengths / average))
            )
            docs.append(ids.astype(np.int64) + offset)
        if not docs:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(docs), np.concatenate(scores).astype(np.float32)

    def phrase(self, stems: list[str], fields) -> np.ndarray:
        """Global docnums where the stems stand as a phrase in any of `fields` (cached per
        segment: a segment never changes once written)."""
        found = []
        for reader, segment_id, offset, subsearcher in self.segments:
            for field in fields:
                if all((field, stem) in reader for stem in stems):
                    local = self.postings.phrase(subsearcher, segment_id, field, tuple(stems))
                    found.append(local.astype(np.int64) + offset)
        return np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)


# Fields where words standing together count, and how much (title over objectives/keywords
# over summary/description, as for the scores themselves).
PROXIMITY_WEIGHTS = {"title": 1.0, "tags": 0.6, "body": 0.35}
PROXIMITY_SLOP = 3  # words between the query's words that still count as "close"
PROXIMITY_FACTOR = 0.6


def _smallest_window(position_lists: list[list[int]]) -> int:
    """The fewest positions spanning one occurrence of every word."""
    events = sorted((p, i) for i, positions in enumerate(position_lists) for p in positions)
    need, counts, have, best, left = len(position_lists), {}, 0, 1 << 30, 0
    for position, word in events:
        counts[word] = counts.get(word, 0) + 1
        if counts[word] == 1:
            have += 1
        while have == need:
            best = min(best, position - events[left][0])
            left_word = events[left][1]
            counts[left_word] -= 1
            if counts[left_word] == 0:
                have -= 1
            left += 1
    return best


def proximity_bonus(scorer: VectorScorer, docnums: np.ndarray, stems: list[str]) -> np.ndarray:
    """Per document, a factor (0 to PROXIMITY_FACTOR) for the words standing close together
    in one of its fields, read from Whoosh's stored positions."""
    bonus = np.zeros(len(docnums), dtype=np.float32)
    order = np.argsort(docnums)
    limit = len(stems) - 1 + PROXIMITY_SLOP
    for reader, _segment_id, offset, _ in scorer.segments:
        count = reader.doc_count_all()
        here = order[(docnums[order] >= offset) & (docnums[order] < offset + count)]
        if len(here) == 0:
            continue
        for field, weight in PROXIMITY_WEIGHTS.items():
            if any((field, stem) not in reader for stem in stems):
                continue
            # The raw matchers skip Whoosh's deleted-document filter: the caller's documents
            # are live ones already.
            matchers = [_leaf(reader.postings(field, stem)) for stem in stems]
            for index in here:
                local = int(docnums[index]) - offset
                positions = []
                for matcher in matchers:
                    if not matcher.is_active():
                        break
                    matcher.skip_to(local)
                    if not matcher.is_active() or matcher.id() != local:
                        break
                    positions.append(list(matcher.value_as("positions")))
                if len(positions) == len(stems) and _smallest_window(positions) <= limit:
                    bonus[index] = max(bonus[index], weight * PROXIMITY_FACTOR)
    return bonus
