"""From what a person types to query units: words, "quoted phrases", clinical synonyms,
analyzed the way the index analyzed the documents.

The parser never raises: anything that is not a quoted phrase is a word, punctuation is
dropped, and an empty result means "no text query". Synonym groups (data/clinical_terms.txt)
are applied here, at query time, so the list can grow without reindexing.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import StemmingAnalyzer
from whoosh.lang.porter import stem as porter_stem

TERMS_FILE = Path(__file__).parent / "data" / "clinical_terms.txt"
MAX_QUERY_LENGTH = 200
MAX_UNITS = 12

# Index fields searched for text: title, objectives + keywords, summary + description, and
# the names of provider, owner and faculty (their weights: whoosh_index.FIELD_BOOSTS).
TEXT_FIELDS = ("title", "tags", "body", "people")

_TOKEN = re.compile(r'"([^"]*)"?|([^\s"]+)')
_WORD = re.compile(r"[\w][\w'.+-]*", re.UNICODE)


def stem_longer_words(word: str) -> str:
    """Porter stems, but not for words of three letters or fewer: "RAS" stays "ras" rather
    than becoming "ra" (rheumatoid arthritis)."""
    return word if len(word) <= 3 else porter_stem(word)


def stemming_analyzer():
    """The analyzer of the index's text fields (picklable: the multiprocessing writer)."""
    return StemmingAnalyzer(minsize=1, stemfn=stem_longer_words, cachesize=50_000)


_thread = threading.local()


def thread_analyzer():
    """This thread's analyzer: Whoosh's stem cache is not safe to share between threads."""
    analyzer = getattr(_thread, "analyzer", None)
    if analyzer is None:
        analyzer = _thread.analyzer = stemming_analyzer()
    return analyzer


@dataclass(frozen=True)
class Unit:
    """One thing the searcher asked for: a word, a phrase, or a synonym group."""

    alternatives: tuple[tuple[str, ...], ...]  # each alternative is a word sequence
    quoted: bool = False
    synonym: bool = False

    @property
    def text(self) -> str:
        words = " ".join(self.alternatives[0])
        return f'"{words}"' if self.quoted else words


@dataclass
class ParsedQuery:
    units: list[Unit] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.units


class SynonymTable:
    """Groups of equivalent terms; a member matches a sequence of query words."""

    def __init__(self, groups: list[tuple[str, ...]], capital_only: set[str]):
        self.groups = groups
        self._by_member: dict[tuple[str, ...], int] = {}
        self._capital_only = capital_only
        for index, group in enumerate(groups):
            for member in group:
                self._by_member[_words_key(member)] = index
        self.longest = max((len(k) for k in self._by_member), default=1)

    @classmethod
    def load(cls, path: Path = TERMS_FILE) -> SynonymTable:
        groups: list[tuple[str, ...]] = []
        capital_only: set[str] = set()
        if not path.exists():
            return cls([], set())
        for line in path.read_text(encoding="utf-8").splitlines():
            content, _, comment = line.partition("#")
            members = tuple(m.strip() for m in content.split("|") if m.strip())
            if len(members) < 2:
                continue
            groups.append(members)
            if comment.strip().lower().startswith("word"):
                # An abbreviation that is also a word ("ED", "PrEP") counts only as written.
                capital_only.update(m for m in members if m != m.lower())
        return cls(groups, capital_only)

    def match(self, words: list[str], start: int) -> tuple[int, int] | None:
        """(group index, number of words) of the longest member starting at `start`."""
        for length in range(min(self.longest, len(words) - start), 0, -1):
            candidate = words[start : start + length]
            key = tuple(w.casefold() for w in candidate)
            index = self._by_member.get(key)
            if index is None:
                continue
            if length == 1 and not self._case_fits(candidate[0], self.groups[index]):
                continue  # "ed" is a word; only "ED" means emergency department
            return index, length
        return None

    def _case_fits(self, typed: str, group: tuple[str, ...]) -> bool:
        """Capitals-only members match only as written; a mixed-case abbreviation ("eGFR")
        is not matched by a different all-capitals word ("EGFR", a gene)."""
        for member in group:
            if member.casefold() != typed.casefold():
                continue
            if member in self._capital_only:
                return typed == member
            mixed = member != member.upper() and member != member.lower()
            return not (mixed and typed.isupper() and typed != member)
        return True


def _words_key(text: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _WORD.findall(text))


@lru_cache(maxsize=1)
def synonyms() -> SynonymTable:
    return SynonymTable.load()


def parse(raw: str, table: SynonymTable | None = None) -> ParsedQuery:
    """Split a query into words, quoted phrases and synonym groups. Never raises."""
    table = table or synonyms()
    raw = (raw or "")[:MAX_QUERY_LENGTH]
    parsed = ParsedQuery()
    pending: list[str] = []

    def flush_words() -> None:
        i = 0
        while i < len(pending):
            found = table.match(pending, i)
            if found:
                group, length = found
                alternatives = tuple(tuple(_WORD.findall(m)) for m in table.groups[group])
                typed = tuple(pending[i : i + length])
                ordered = (
                    typed,
                    *(
                        a
                        for a in alternatives
                        if _words_key(" ".join(a)) != _words_key(" ".join(typed))
                    ),
                )
                parsed.units.append(Unit(alternatives=ordered, synonym=True))
                i += length
            else:
                parsed.units.append(Unit(alternatives=((pending[i],),)))
                i += 1
        pending.clear()

    for match in _TOKEN.finditer(raw):
        phrase, bare = match.group(1), match.group(2)
        if phrase is not None:
            flush_words()
            words = tuple(_WORD.findall(phrase))
            if words:
                parsed.units.append(Unit(alternatives=(words,), quoted=True))
        else:
            pending.extend(_WORD.findall(bare))
    flush_words()
    parsed.units = parsed.units[:MAX_UNITS]
    return parsed


class QueryBuilder:
    """Analyzes a ParsedQuery's words the way the index analyzed the documents."""

    def __init__(self, analyzer=None):
        self.analyzer = analyzer or thread_analyzer()

    def stems(self, words: tuple[str, ...]) -> list[str]:
        return [token.text for token in self.analyzer(" ".join(words))]

    def highlight_terms(self, parsed: ParsedQuery) -> frozenset[str]:
        terms: set[str] = set()
        for unit in parsed.units:
            for words in unit.alternatives:
                terms.update(self.stems(words))
        return frozenset(terms)

    def with_words_replaced(self, parsed: ParsedQuery, replacements: dict[str, str]) -> str:
        """The query text with some plain words swapped (for "Did you mean")."""
        pieces = []
        for unit in parsed.units:
            if unit.quoted:
                pieces.append(unit.text)
            else:
                pieces.append(" ".join(replacements.get(w, w) for w in unit.alternatives[0]))
        return " ".join(pieces)
