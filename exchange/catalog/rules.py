"""The CME rules for a module, as pure functions over plain values.

Schemas call them on input, services call them on the merged state before saving and
again before publishing, so the rule and its message live in one place. Each function
returns {field: [messages]} (empty when all is well).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from exchange import vocab

Problems = dict[str, list[str]]

MAX_TERM_YEARS = 3


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _add(problems: Problems, field: str, message: str) -> None:
    problems.setdefault(field, []).append(message)


def date_problems(
    release: date | None, last_review: date | None, termination: date | None
) -> Problems:
    """Enduring-material dates: review on or after release, termination after release and
    no later than three years after the last review."""
    problems: Problems = {}
    if release and last_review and last_review < release:
        _add(
            problems, "last_review_date", "The last review date cannot be before the release date."
        )
    if release and termination and termination <= release:
        _add(problems, "termination_date", "The termination date must be after the release date.")
    if last_review and termination and termination > add_years(last_review, MAX_TERM_YEARS):
        _add(
            problems,
            "termination_date",
            "The termination date can be at most three years after the last review date "
            f"(here {add_years(last_review, MAX_TERM_YEARS).isoformat()}).",
        )
    return problems


def max_credit(credit_type: str, minutes: int) -> Decimal:
    """The most `minutes` of learning supports: one credit per hour, down to the type's step."""
    step = vocab.CREDIT_STEPS[credit_type]
    hours = Decimal(minutes) / 60
    return (hours / step).to_integral_value(rounding="ROUND_FLOOR") * step


def credit_problems(credits: Iterable[Mapping[str, Any]], minutes: int | None) -> Problems:
    """Designations: one per type, in the type's steps, no more than the time supports,
    and a well-formed UAN on ACPE contact hours."""
    problems: Problems = {}
    seen: set[str] = set()
    for index, credit in enumerate(credits):
        credit_type = credit.get("credit_type")
        amount = credit.get("amount")
        if credit_type not in vocab.CREDIT_TYPES or amount is None:
            continue  # the field-level validation reports these
        label = vocab.CREDIT_TYPE_SHORT[credit_type]
        field = f"credits.{index}.amount"
        if credit_type in seen:
            _add(problems, f"credits.{index}.credit_type", f"{label} is designated twice.")
        seen.add(credit_type)
        step = vocab.CREDIT_STEPS[credit_type]
        if amount % step:
            _add(problems, field, f"{label} must be designated in steps of {step}.")
        if minutes is not None and amount * 60 > minutes:
            _add(
                problems,
                field,
                f"{minutes} minutes support at most {max_credit(credit_type, minutes)} "
                f"{label}; {amount} is too many.",
            )
        uan = (credit.get("uan") or "").strip()
        if credit_type == "acpe" and uan and not is_valid_uan(uan):
            _add(
                problems,
                f"credits.{index}.uan",
                "A UAN looks like 0000-0000-26-001-H01-P.",
            )
    return problems


# Provider number (4 digits, or JA + 7 digits for jointly accredited providers), joint
# provider code, year, activity number, delivery + topic, audience.
UAN_PATTERN = re.compile(r"(?:\d{4}|JA\d{7})-\d{4}-\d{2}-\d{3}-[HLB]\d{2}-[PT]")


def is_valid_uan(uan: str) -> bool:
    return UAN_PATTERN.fullmatch(uan) is not None


def cross_field_problems(data: Mapping[str, Any]) -> Problems:
    """Every rule that relates fields of one module; fields absent from `data` are skipped."""
    problems = date_problems(
        data.get("release_date"), data.get("last_review_date"), data.get("termination_date")
    )
    for field, messages in credit_problems(
        data.get("credits") or [], data.get("estimated_minutes")
    ).items():
        problems.setdefault(field, []).extend(messages)
    return problems


def completeness_problems(data: Mapping[str, Any], today: date) -> Problems:
    """What a draft still lacks before it can be published (provider checks are the
    service's: they need the database)."""
    problems: Problems = {}
    required_text = {
        "summary": "Add a summary.",
        "description": "Add a description.",
        "format": "Choose the activity format.",
        "delivery": "Choose how the module is delivered.",
        "estimated_minutes": "Give the estimated time to complete, in minutes.",
        "release_date": "Set the release date.",
        "last_review_date": "Set the last review date.",
        "termination_date": "Set the termination date.",
    }
    for field, message in required_text.items():
        if data.get(field) in (None, ""):
            _add(problems, field, message)
    required_lists = {
        "objectives": "Add at least one learning objective.",
        "professions": "Choose at least one profession in the target audience.",
        "specialties": "Choose at least one specialty.",
        "credits": "Add at least one credit designation.",
        "faculty": "List at least one person in control of content, with their disclosures.",
    }
    for field, message in required_lists.items():
        if not data.get(field):
            _add(problems, field, message)
    if not data.get("content_url") and not data.get("content_file"):
        _add(problems, "content_url", "Give a launch URL or upload the content file.")
    termination = data.get("termination_date")
    if termination and termination < today:
        _add(problems, "termination_date", "The termination date has already passed.")
    last_review = data.get("last_review_date")
    if last_review and last_review > today:
        _add(
            problems,
            "last_review_date",
            "The last review date cannot be in the future: review the content, then record "
            "the date.",
        )
    for index, person in enumerate(data.get("faculty") or []):
        name = person.get("name") or f"Faculty member {index + 1}"
        if person.get("disclosures") is None:
            _add(
                problems,
                f"faculty.{index}.disclosures",
                f"Record {name}'s disclosure (or that there are no relevant financial "
                "relationships).",
            )
            continue
        for d_index, disclosure in enumerate(person["disclosures"]):
            if not disclosure.get("mitigated"):
                _add(
                    problems,
                    f"faculty.{index}.disclosures.{d_index}.mitigated",
                    f"{name}'s relationship with {disclosure.get('company')} must be mitigated "
                    "before publication.",
                )
    for index, credit in enumerate(data.get("credits") or []):
        if credit.get("credit_type") == "acpe" and not (credit.get("uan") or "").strip():
            _add(problems, f"credits.{index}.uan", "ACPE contact hours need a UAN.")
    for field, messages in cross_field_problems(data).items():
        problems.setdefault(field, []).extend(messages)
    return problems


def accreditor_problems(credits: Iterable[Mapping[str, Any]], accreditor: str | None) -> Problems:
    """Credit types the provider of record's accreditor does not allow it to designate."""
    problems: Problems = {}
    for index, credit in enumerate(credits):
        allowed = vocab.CREDIT_TYPE_ACCREDITORS.get(credit.get("credit_type", ""))
        if allowed is not None and accreditor not in allowed:
            label = vocab.CREDIT_TYPE_SHORT[credit["credit_type"]]
            who = vocab.ACCREDITORS.get(accreditor or "", "this provider's accreditor")
            _add(
                problems,
                f"credits.{index}.credit_type",
                f"A provider accredited by {who} cannot designate {label}.",
            )
    return problems


def designation_noun(fmt: str | None, delivery: str | None) -> str:
    """What the AMA statement calls the activity: online courses are enduring materials."""
    if fmt in ("course", "rss") and delivery == "online":
        return "enduring material"
    return vocab.FORMAT_DESIGNATION_NOUNS.get(fmt or "", "activity")


def designation_statement(
    credit_type: str,
    amount: Decimal,
    provider_name: str,
    fmt: str | None,
    title: str,
    delivery: str | None = None,
) -> str:
    """A credit designation written out the way the designation statement reads."""
    n = f"{amount:.2f}"
    noun = designation_noun(fmt, delivery)
    claim_only = (
        " Physicians should claim only the credit commensurate with the extent of their "
        "participation in the activity."
    )
    if credit_type == "ama_pra_1":
        return (
            f"{provider_name} designates this {noun} for a maximum of {n} "
            f"AMA PRA Category 1 Credit(s)\u2122.{claim_only}"
        )
    if credit_type == "ancc":
        return f"This activity is designated for up to {n} ANCC nursing contact hour(s)."
    if credit_type == "acpe":
        ceu = (amount / 10).quantize(Decimal("0.001"))
        return (
            f"This activity is approved for {n} contact hour(s) ({ceu} CEU) of continuing "
            "pharmacy education."
        )
    if credit_type in ("aafp_prescribed", "aafp_elective"):
        kind = "Prescribed" if credit_type == "aafp_prescribed" else "Elective"
        return (
            f"{title} has been reviewed and is acceptable for up to {n} {kind} credit(s) by "
            f"the American Academy of Family Physicians.{claim_only}"
        )
    if credit_type == "abim_moc":
        return (
            "Successful completion of this CME activity enables the participant to earn up "
            f"to {n} Medical Knowledge MOC point(s) in the American Board of Internal "
            "Medicine's (ABIM) Maintenance of Certification (MOC) program. It is the CME "
            "activity provider's responsibility to submit participant completion "
            "information to ACCME for the purpose of granting ABIM MOC credit."
        )
    if credit_type == "ipce":
        return (
            "This activity was planned by and for the healthcare team, and learners will "
            f"receive {n} Interprofessional Continuing Education (IPCE) credit(s) for "
            "learning and change."
        )
    category = "1-A" if credit_type == "aoa_1a" else "1-B"
    return f"This activity is approved for up to {n} AOA Category {category} credit(s)."
