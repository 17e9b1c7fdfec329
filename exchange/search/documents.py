"""A module as the search index sees it: its text fields, and a fixed-size binary record of
the values search filters, facets and sorts on.

The record travels in the index (one column) so that, per index segment, every document's
record is read in one block into a numpy array: facet counts and filters then cost vector
operations over the matched documents instead of a Python loop over every hit.
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from datetime import date
from typing import Any

import numpy as np

from exchange import vocab
from exchange.catalog.models import Module

# 0 is a deleted module's tombstone: kept so a delayed older write cannot bring it back.
TOMBSTONE = 0
STATUS_CODES = {"draft": 1, "published": 2, "retired": 3}
STATUS_NAMES = {code: name for name, code in STATUS_CODES.items()}
FORMAT_CODES = {code: index + 1 for index, code in enumerate(vocab.FORMATS)}
FORMAT_NAMES = {index: code for code, index in FORMAT_CODES.items()}
SPECIALTY_BITS = {code: index for index, code in enumerate(vocab.SPECIALTIES)}
PROFESSION_BITS = {code: index for index, code in enumerate(vocab.PROFESSIONS)}
CREDIT_BITS = {code: index for index, code in enumerate(vocab.CREDIT_TYPES)}
TITLE_KEY_BYTES = 32

if len(SPECIALTY_BITS) > 64 or len(CREDIT_BITS) > 16 or len(PROFESSION_BITS) > 8:
    raise RuntimeError("A vocabulary outgrew its bit mask in the search record.")

RECORD = np.dtype(
    [
        ("mid", "<i8"),
        # When the document was built (ns): a write never replaces a newer one.
        ("seq", "<i8"),
        ("digest", "<u8"),
        ("specialties", "<u8"),
        ("provider", "<i4"),
        ("owner", "<i4"),
        ("release", "<i4"),
        ("termination", "<i4"),
        ("provider_until", "<i4"),
        ("max_credit", "<i4"),
        ("credits", "<u2", (len(CREDIT_BITS),)),
        ("credit_types", "<u2"),
        ("status", "u1"),
        ("format", "u1"),
        ("professions", "u1"),
        ("title_key", f"S{TITLE_KEY_BYTES}"),
    ]
)

# Bump when the index's fields or analyzers change (whoosh_index.make_schema).
TEXT_SCHEMA_REVISION = 3

# Changing any vocabulary order changes what the bits mean: the index must be rebuilt.
LAYOUT_VERSION = hashlib.sha256(
    repr(
        (
            RECORD.descr,
            list(STATUS_CODES),
            list(FORMAT_CODES),
            list(SPECIALTY_BITS),
            list(PROFESSION_BITS),
            list(CREDIT_BITS),
            TEXT_SCHEMA_REVISION,
        )
    ).encode()
).hexdigest()[:16]


def title_key(title: str) -> bytes:
    """An ASCII, case-folded prefix of the title: the sort key for "sort by title"."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().casefold()
    return folded.strip().encode()[:TITLE_KEY_BYTES]


def _ordinal(day: date | None) -> int:
    return day.toordinal() if day else 0


def _accredited_until(module: Module) -> int:
    """Until when the provider of record may award credit (0: it may not)."""
    provider = module.provider
    if provider is None or not provider.accredited_until:
        return 0
    if not provider.is_accredited(provider.accredited_until):
        return 0  # not verified, not a provider, or an ineligible company
    return provider.accredited_until.toordinal()


def module_text(module: Module) -> dict[str, str]:
    """The searchable text, by index field."""
    # Names without the degrees after them: "MS" should find multiple sclerosis, not a
    # pharmacist's master's degree.
    people = [person.get("name", "").split(",")[0] for person in module.faculty or []]
    names = [module.provider.name if module.provider else "", module.owner.name, *people]
    return {
        "title": module.title,
        "tags": "\n".join([*(module.objectives or []), *(module.keywords or [])]),
        "body": "\n".join([module.summary or "", module.description or ""]),
        "people": "\n".join(name for name in names if name),
    }


def module_record(module: Module, text: dict[str, str]) -> np.ndarray:
    record = np.zeros((), dtype=RECORD)
    record["mid"] = module.id
    record["status"] = STATUS_CODES[module.status]
    record["format"] = FORMAT_CODES.get(module.format or "", 0)
    record["provider"] = module.provider_id or 0
    record["owner"] = module.owner_id
    record["release"] = _ordinal(module.release_date)
    record["termination"] = _ordinal(module.termination_date)
    record["provider_until"] = _accredited_until(module)
    specialties = 0
    for code in module.specialties:
        if code in SPECIALTY_BITS:
            specialties |= 1 << SPECIALTY_BITS[code]
    record["specialties"] = specialties
    professions = 0
    for code in module.professions:
        professions |= 1 << PROFESSION_BITS[code]
    record["professions"] = professions
    credit_types, amounts = 0, np.zeros(len(CREDIT_BITS), dtype="<u2")
    for credit in module.credits:
        bit = CREDIT_BITS[credit.credit_type]
        credit_types |= 1 << bit
        amounts[bit] = credit.amount_hundredths
    record["credit_types"] = credit_types
    record["credits"] = amounts
    record["max_credit"] = int(amounts.max()) if credit_types else 0
    record["title_key"] = title_key(module.title)
    record["digest"] = _digest(text, record)
    return record


def _digest(text: dict[str, str], record: np.ndarray) -> int:
    """A fingerprint of everything indexed, so `search verify` can spot a stale entry."""
    hasher = hashlib.blake2b(digest_size=8)
    for field in sorted(text):
        hasher.update(field.encode())
        hasher.update(text[field].encode())
    without_digest = record.copy()
    without_digest["digest"] = 0
    without_digest["seq"] = 0
    hasher.update(without_digest.tobytes())
    return int.from_bytes(hasher.digest(), "little")


def new_seq() -> int:
    return time.time_ns()


def module_document(module: Module, seq: int) -> dict[str, Any]:
    """The index document for a module (built while its session is open), as of `seq`."""
    text = module_text(module)
    record = module_record(module, text)
    record["seq"] = seq
    return {"key": str(module.id), **text, "record": record.tobytes()}


def tombstone_document(module_id: int, seq: int) -> dict[str, Any]:
    """What stands in the index for a deleted module: no text, matched by no search."""
    record = np.zeros((), dtype=RECORD)
    record["mid"], record["seq"], record["status"] = module_id, seq, TOMBSTONE
    return {
        "key": str(module_id),
        "title": "",
        "tags": "",
        "body": "",
        "people": "",
        "record": record.tobytes(),
    }


def record_of(document: dict[str, Any]) -> np.ndarray:
    return np.frombuffer(document["record"], dtype=RECORD)[0]
