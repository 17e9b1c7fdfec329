"""The module form: HTML inputs <-> the module input schema's shape.

Parsing only: validation is ModuleInputSchema's and the services'. Error keys from the
schema ("credits.0.amount", "faculty.1.name") are mapped back to the form's own rows
("credits.ama_pra_1.amount", "faculty.3.name"), so each message shows beside its input.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

from exchange import vocab
from exchange.catalog.models import Module
from exchange.catalog.schemas import MAX_FACULTY, MAX_SUPPORT

SCALAR_FIELDS = (
    "title",
    "summary",
    "description",
    "format",
    "delivery",
    "estimated_minutes",
    "release_date",
    "last_review_date",
    "termination_date",
    "provider_id",
    "provider_activity_id",
    "content_url",
)
OPTIONAL_FIELDS = (
    "format",
    "delivery",
    "estimated_minutes",
    "release_date",
    "last_review_date",
    "termination_date",
    "provider_id",
    "provider_activity_id",
    "content_url",
)
CHECKBOX_LISTS = ("professions", "specialties", "competencies", "outcome_levels")
LIST_INPUTS = (*CHECKBOX_LISTS, "objectives", "keywords")
EXTRA_BLANK_ROWS = 2
RELATIONSHIP_SEPARATOR = re.compile(r"\s+(?:\u2014|--|-|\|)\s+|\s*[|:]\s*")


class ParsedModuleForm:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.errors: dict[str, list[str]] = {}
        self.credit_rows: list[str] = []  # credit type of each parsed designation
        self.faculty_rows: list[int] = []  # form row of each parsed faculty member
        self.support_rows: list[int] = []

    def form_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Schema/service error keys -> form keys."""
        mapped: dict[str, list[str]] = {}
        for key, messages in errors.items():
            parts = key.split(".")
            if parts[0] in LIST_INPUTS:  # one input holds the whole list
                key, parts = parts[0], parts[:1]
            if len(parts) >= 2 and parts[1].isdigit():
                index = int(parts[1])
                if parts[0] == "credits" and index < len(self.credit_rows):
                    parts[1] = self.credit_rows[index]
                    key = ".".join(parts[:3])
                elif parts[0] == "faculty" and index < len(self.faculty_rows):
                    parts[1] = str(self.faculty_rows[index])
                    key = ".".join(parts[:3])  # disclosure details show at the person
                elif parts[0] == "commercial_support" and index < len(self.support_rows):
                    parts[1] = str(self.support_rows[index])
                    key = ".".join(parts[:3])
            mapped.setdefault(key, []).extend(messages)
        return mapped


# Row indexes a form may use; anything beyond is ignored (and never rendered).
MAX_ROWS = {"faculty": MAX_FACULTY, "commercial_support": MAX_SUPPORT}


def _rows(form: MultiDict, prefix: str) -> list[int]:
    pattern = re.compile(rf"^{prefix}\.(\d{{1,3}})\.")
    limit = MAX_ROWS[prefix] + EXTRA_BLANK_ROWS
    found = {int(m.group(1)) for key in form for m in [pattern.match(key)] if m}
    return sorted(row for row in found if row < limit)


def parse_module_form(form: MultiDict) -> ParsedModuleForm:
    parsed = ParsedModuleForm()
    data = parsed.data
    for field in SCALAR_FIELDS:
        value = form.get(field, "")
        data[field] = None if field in OPTIONAL_FIELDS and not value.strip() else value
    for field in CHECKBOX_LISTS:
        data[field] = form.getlist(field)
    data["objectives"] = [
        line.strip() for line in form.get("objectives", "").splitlines() if line.strip()
    ]
    data["keywords"] = [
        k.strip() for k in re.split(r"[,;\n]", form.get("keywords", "")) if k.strip()
    ]

    data["credits"] = []
    for credit_type in vocab.CREDIT_TYPES:
        amount = form.get(f"credits.{credit_type}.amount", "").strip()
        if not amount:
            continue
        credit: dict[str, Any] = {"credit_type": credit_type, "amount": amount}
        if credit_type == "acpe":
            credit["uan"] = form.get("credits.acpe.uan", "").strip() or None
        data["credits"].append(credit)
        parsed.credit_rows.append(credit_type)

    data["faculty"] = []
    for row in _rows(form, "faculty"):
        name = form.get(f"faculty.{row}.name", "").strip()
        role = form.get(f"faculty.{row}.role", "").strip()
        status = form.get(f"faculty.{row}.disclosure_status", "pending")
        relationships = form.get(f"faculty.{row}.relationships", "").strip()
        if not name and not role and not relationships:
            continue
        person: dict[str, Any] = {"name": name, "role": role, "disclosures": None}
        if status == "none":
            person["disclosures"] = []
        elif status == "relationships":
            mitigated = bool(form.get(f"faculty.{row}.mitigated"))
            person["disclosures"] = []
            for line in relationships.splitlines():
                if not line.strip():
                    continue
                pieces = RELATIONSHIP_SEPARATOR.split(line.strip(), maxsplit=1)
                if len(pieces) != 2 or not all(p.strip() for p in pieces):
                    parsed.errors.setdefault(f"faculty.{row}.relationships", []).append(
                        f"Write “{line.strip()[:60]}” as: Company — nature of relationship."
                    )
                    continue
                person["disclosures"].append(
                    {
                        "company": pieces[0].strip(),
                        "relationship": pieces[1].strip(),
                        "mitigated": mitigated,
                    }
                )
            if not person["disclosures"] and f"faculty.{row}.relationships" not in parsed.errors:
                parsed.errors[f"faculty.{row}.relationships"] = [
                    "List each relationship, or choose “No relevant financial relationships”."
                ]
        data["faculty"].append(person)
        parsed.faculty_rows.append(row)

    data["commercial_support"] = []
    for row in _rows(form, "commercial_support"):
        source = form.get(f"commercial_support.{row}.source", "").strip()
        amount = form.get(f"commercial_support.{row}.amount", "").strip()
        if not source and not amount:
            continue
        data["commercial_support"].append(
            {
                "source": source,
                "kind": form.get(f"commercial_support.{row}.kind", "monetary"),
                "amount": amount or None,
            }
        )
        parsed.support_rows.append(row)
    return parsed


def module_form_values(module: Module) -> MultiDict:
    """A module as the form's inputs, for the edit page."""
    values: list[tuple[str, Any]] = []
    for field in SCALAR_FIELDS:
        value = getattr(module, field)
        values.append((field, "" if value is None else str(value)))
    for field in CHECKBOX_LISTS:
        values.extend((field, item) for item in getattr(module, field))
    values.append(("objectives", "\n".join(module.objectives or [])))
    values.append(("keywords", ", ".join(module.keywords or [])))
    for credit in module.credits:
        values.append((f"credits.{credit.credit_type}.amount", plain_number(credit.amount)))
        if credit.uan:
            values.append((f"credits.{credit.credit_type}.uan", credit.uan))
    for row, person in enumerate(module.faculty or []):
        values.append((f"faculty.{row}.name", person.get("name", "")))
        values.append((f"faculty.{row}.role", person.get("role", "")))
        disclosures = person.get("disclosures")
        if disclosures is None:
            status = "pending"
        elif not disclosures:
            status = "none"
        else:
            status = "relationships"
            values.append(
                (
                    f"faculty.{row}.relationships",
                    "\n".join(f"{d['company']} — {d['relationship']}" for d in disclosures),
                )
            )
            if all(d.get("mitigated") for d in disclosures):
                values.append((f"faculty.{row}.mitigated", "1"))
        values.append((f"faculty.{row}.disclosure_status", status))
    for row, support in enumerate(module.commercial_support or []):
        values.append((f"commercial_support.{row}.source", support.get("source", "")))
        values.append((f"commercial_support.{row}.kind", support.get("kind", "monetary")))
        amount = support.get("amount")
        values.append(
            (f"commercial_support.{row}.amount", "" if amount is None else plain_number(amount))
        )
    return MultiDict(values)


def plain_number(value) -> str:
    """1.5 -> "1.5", 15000.0 -> "15000", 1234567.89 -> "1234567.89" (never exponents)."""
    return f"{float(value):.2f}".rstrip("0").rstrip(".")


def row_count(form: MultiDict, prefix: str) -> int:
    """How many rows to render: those in the form plus a few blank ones to fill in."""
    rows = _rows(form, prefix)
    return min(
        (max(rows) + 1 if rows else 0) + EXTRA_BLANK_ROWS, MAX_ROWS[prefix] + EXTRA_BLANK_ROWS
    )
