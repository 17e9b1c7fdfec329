"""Running a catalog search on the Whoosh index: match, filter, count facets, rank, suggest.

1. Each unit of the query (a word, a quoted phrase, a synonym group) is matched from the
   cached posting lists of the text fields (scoring.py), scoring every match with BM25F as
   vector operations; phrases come from Whoosh's phrase matcher, cached per segment. With
   no text, every document matches.
2. The matches' records (numpy, see documents.py) are filtered by visibility, status,
   availability, credit range and the selected facets; each facet is counted over the
   documents that pass every *other* filter, so counts answer "how many if I also ticked
   this".
3. The page is ranked: by score, the leaders re-ranked by how close the query's words
   stand (positions from Whoosh), or by sorting the records for newest, title and credits.
"""

from __future__ import annotations

import numpy as np
from whoosh.support.levenshtein import damerau_levenshtein

from exchange.search import documents as docs
from exchange.search.backend import FACET_DIMENSIONS, SearchOutcome, SearchRequest
from exchange.search.query import TEXT_FIELDS, ParsedQuery, QueryBuilder, parse
from exchange.search.scoring import proximity_bonus
from exchange.search.whoosh_index import CatalogIndex

# How many of the best BM25F matches are re-ranked by word proximity.
RERANK_DEPTH = 50
# Unstemmed words of these fields are the vocabulary of "Did you mean".
SPELLING_FIELDS = ("title", "tags")


def _bit_mask(codes: list[str], bits: dict[str, int]) -> int:
    mask = 0
    for code in codes:
        if code in bits:
            mask |= 1 << bits[code]
    return mask


def _bit_counts(values: np.ndarray, width_bytes: int) -> np.ndarray:
    """Per bit, how many values have it set (little-endian bit order)."""
    if values.size == 0:
        return np.zeros(width_bytes * 8, dtype=np.int64)
    as_bytes = np.ascontiguousarray(values).view(np.uint8).reshape(-1, width_bytes)
    return np.unpackbits(as_bytes, axis=1, bitorder="little").sum(axis=0, dtype=np.int64)


class SearchEngine:
    def __init__(self, index: CatalogIndex):
        self.index = index
        self.builder = QueryBuilder()

    def search(self, request: SearchRequest, allow_suggestion: bool = True) -> SearchOutcome:
        parsed = parse(request.text)
        searcher = self.index.searcher()
        view = self.index.view(searcher)
        scores, unmatched = None, []
        matched = None
        if not parsed.is_empty:
            scorer = self.index.scorer(searcher)
            matched, scores, unmatched = self._match(parsed, scorer, len(view.live))
        if matched is None:  # no text, or only common words: browse everything
            scores = None
            docnums = np.flatnonzero(view.live)
        else:
            docnums = np.flatnonzero(matched & view.live)
        records = view.records[docnums]
        credit_ok = self._credit_matrix(records, request)
        base = view.live[docnums] & self._base_mask(records, request, credit_ok)
        selected = self._facet_masks(records, request, credit_ok)
        facets = {}
        for dimension in FACET_DIMENSIONS:
            mask = base.copy()
            for other, other_mask in selected.items():
                if other != dimension:
                    mask &= other_mask
            facets[dimension] = self._count(dimension, records, mask, credit_ok)
        final = base
        for mask in selected.values():
            final = final & mask
        total = int(final.sum())
        need = request.page * request.per_page
        if scores is not None and request.sort == "relevance":
            ranked = self._rank(parsed, scorer, docnums[final], scores, need)
        else:
            ranked = self._sort(docnums[final], records[final], request.sort)
        page_docnums = ranked[need - request.per_page : need]
        module_ids = view.records["mid"][page_docnums].tolist() if len(page_docnums) else []
        outcome = SearchOutcome(
            module_ids=module_ids,
            total=total,
            facets=facets,
            terms=self.builder.highlight_terms(parsed),
        )
        if allow_suggestion and unmatched:
            suggestion = self.suggest(searcher, parsed, unmatched)
            if suggestion:
                retry = self.search(_with_text(request, suggestion), allow_suggestion=False)
                if retry.total:  # never suggest a query that finds nothing either
                    outcome.suggestion = suggestion
                    if total == 0:
                        retry.suggestion, retry.showing_suggestion = suggestion, True
                        retry.original_total = total
                        return retry
        return outcome

    # Filters and facets --------------------------------------------------------------

    def _credit_matrix(self, records: np.ndarray, request: SearchRequest) -> np.ndarray:
        """Per document and credit type: designated, and within the credit range if any."""
        amounts = records["credits"].astype(np.int64)
        designated = amounts > 0
        if request.min_credits is None and request.max_credits is None:
            return designated
        low = int((request.min_credits or 0) * 100)
        high = int(request.max_credits * 100) if request.max_credits is not None else 1 << 30
        return designated & (amounts >= low) & (amounts <= high)

    def _base_mask(
        self, records: np.ndarray, request: SearchRequest, credit_ok: np.ndarray
    ) -> np.ndarray:
        status = records["status"]
        visible = status != docs.STATUS_CODES["draft"]
        if request.staff_org_ids:
            orgs = np.fromiter(request.staff_org_ids, dtype=np.int64)
            own = np.isin(records["owner"], orgs) | np.isin(records["provider"], orgs)
            visible = visible | ((status == docs.STATUS_CODES["draft"]) & own)
        mask = visible & (status == docs.STATUS_CODES[request.status])
        if request.status == "published" and request.available_only:
            today = request.today.toordinal()
            mask &= (records["release"] > 0) & (records["release"] <= today)
            mask &= records["termination"] >= today
            mask &= records["provider_until"] >= today  # credit needs current accreditation
        ranged = request.min_credits is not None or request.max_credits is not None
        if ranged and not request.credit_type:  # any designation within the range
            mask &= credit_ok.any(axis=1)
        return mask

    def _facet_masks(
        self, records: np.ndarray, request: SearchRequest, credit_ok: np.ndarray
    ) -> dict[str, np.ndarray]:
        masks: dict[str, np.ndarray] = {}
        if request.specialty:
            bits = np.uint64(_bit_mask(request.specialty, docs.SPECIALTY_BITS))
            masks["specialty"] = (records["specialties"] & bits) != 0
        if request.profession:
            bits = np.uint8(_bit_mask(request.profession, docs.PROFESSION_BITS))
            masks["profession"] = (records["professions"] & bits) != 0
        if request.credit_type:  # one of these types, within the credit range if any
            columns = [docs.CREDIT_BITS[c] for c in request.credit_type if c in docs.CREDIT_BITS]
            masks["credit_type"] = credit_ok[:, columns].any(axis=1)
        if request.format:
            codes = [docs.FORMAT_CODES[f] for f in request.format if f in docs.FORMAT_CODES]
            masks["format"] = np.isin(records["format"], codes)
        if request.provider:
            masks["provider"] = np.isin(records["provider"], request.provider)
        return masks

    def _count(
        self, dimension: str, records: np.ndarray, mask: np.ndarray, credit_ok: np.ndarray
    ) -> dict[object, int]:
        """Documents per value of one facet, among those under `mask` (one column read)."""
        if dimension == "specialty":
            counts = _bit_counts(records["specialties"][mask], 8)
            return {
                code: int(counts[bit]) for code, bit in docs.SPECIALTY_BITS.items() if counts[bit]
            }
        if dimension == "profession":
            counts = _bit_counts(records["professions"][mask], 1)
            return {
                code: int(counts[bit]) for code, bit in docs.PROFESSION_BITS.items() if counts[bit]
            }
        if dimension == "credit_type":  # designated (within the credit range, if any)
            counts = credit_ok[mask].sum(axis=0)
            return {code: int(counts[bit]) for code, bit in docs.CREDIT_BITS.items() if counts[bit]}
        if dimension == "format":
            counts = np.bincount(records["format"][mask], minlength=len(docs.FORMAT_CODES) + 1)
            return {docs.FORMAT_NAMES[i]: int(counts[i]) for i in docs.FORMAT_NAMES if counts[i]}
        values, counts = np.unique(records["provider"][mask], return_counts=True)
        return {int(v): int(c) for v, c in zip(values, counts, strict=True) if v}

    # Ordering ------------------------------------------------------------------------

    def _sort(self, docnums: np.ndarray, records: np.ndarray, sort: str) -> np.ndarray:
        mids = records["mid"]
        if sort == "title":
            order = np.lexsort((mids, records["title_key"]))
        elif sort == "credits":
            order = np.lexsort((-mids, -records["max_credit"].astype(np.int64)))
        else:  # newest (and relevance without a text query)
            order = np.lexsort((-mids, -records["release"].astype(np.int64)))
        return docnums[order]

    def _match(self, parsed: ParsedQuery, scorer, size: int):
        """Documents matching every unit of the query, their BM25F scores, and the units that
        matched nothing at all (candidates for a spelling suggestion)."""
        scores = np.zeros(size, dtype=np.float32)
        matched, unmatched = None, []
        for unit in parsed.units:
            unit_mask = np.zeros(size, dtype=bool)
            searched = False
            for words in unit.alternatives:
                stems = self.builder.stems(words)
                if not stems:
                    continue  # only stop words
                searched = True
                if len(stems) == 1:
                    for field in TEXT_FIELDS:
                        found, found_scores = scorer.term(field, stems[0])
                        unit_mask[found] = True
                        scores[found] += found_scores
                else:
                    in_phrase = np.zeros(size, dtype=bool)
                    in_phrase[scorer.phrase(stems, TEXT_FIELDS)] = True
                    unit_mask |= in_phrase
                    for stem in stems:
                        for field in TEXT_FIELDS:
                            found, found_scores = scorer.term(field, stem)
                            keep = in_phrase[found]
                            scores[found[keep]] += found_scores[keep]
            if searched:
                matched = unit_mask if matched is None else matched & unit_mask
                if not unit_mask.any():
                    unmatched.append(unit)
        return matched, scores, unmatched

    def _rank(self, parsed, scorer, candidates, scores, need) -> np.ndarray:
        """The best `need` candidates by BM25F; the first RERANK_DEPTH of them (the same for
        every page, so pages never overlap) re-ranked by how close the query's words stand,
        computed from positions."""
        if len(candidates) == 0:
            return candidates
        candidate_scores = scores[candidates]
        keep = min(len(candidates), max(need, RERANK_DEPTH))
        if keep < len(candidates):
            top = np.argpartition(-candidate_scores, keep - 1)[:keep]
            candidates, candidate_scores = candidates[top], candidate_scores[top]
        order = np.lexsort((candidates, -candidate_scores))
        candidates, candidate_scores = candidates[order], candidate_scores[order]
        loose = [w for u in parsed.units if not u.quoted for w in u.alternatives[0]]
        stems = self.builder.stems(tuple(loose))
        depth = min(RERANK_DEPTH, len(candidates))
        if len(stems) >= 2 and depth:
            leaders = candidates[:depth]
            boosted = candidate_scores[:depth] * (1 + proximity_bonus(scorer, leaders, stems))
            candidates[:depth] = leaders[np.lexsort((leaders, -boosted))]
        return candidates[:need]

    # Did you mean --------------------------------------------------------------------

    def suggest(self, searcher, parsed: ParsedQuery, unmatched) -> str | None:
        """The query with the words that matched nothing replaced by the closest real
        catalog words. Curated terms and abbreviations (any capital letter past the first)
        are never "corrected"; short words only by one edit."""
        reader = searcher.reader()
        replacements: dict[str, str] = {}
        candidates = [
            u.alternatives[0][0]
            for u in unmatched
            if not u.quoted and not u.synonym and len(u.alternatives[0]) == 1
        ]
        for word in candidates:
            if any(c.isupper() for c in word[1:]):
                continue
            stems = self.builder.stems((word,))
            if not stems or any((f, stems[0]) in reader for f in TEXT_FIELDS):
                continue  # a stop word, or a word the catalog has
            lowered = word.casefold()
            if len(lowered) < 4 or not lowered.isalpha():
                continue
            best: tuple[int, int, str] | None = None
            distance = 1 if len(lowered) <= 5 else 2
            for fieldname in SPELLING_FIELDS:
                spelling = self.index.schema[fieldname].spelling_fieldname(fieldname)
                for candidate in reader.terms_within(spelling, lowered, distance, prefix=1):
                    rank = (
                        damerau_levenshtein(lowered, candidate),
                        -reader.doc_frequency(spelling, candidate),
                        candidate,
                    )
                    if best is None or rank < best:
                        best = rank
            if best is not None:
                replacements[word] = best[2]
        if not replacements:
            return None
        return self.builder.with_words_replaced(parsed, replacements)


def _with_text(request: SearchRequest, text: str) -> SearchRequest:
    from dataclasses import replace

    return replace(request, text=text)
