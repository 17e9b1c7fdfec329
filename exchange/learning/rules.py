"""The rules of a credit claim, as a pure function over plain values (no database).

A learner claims only credit types that fit their profession and that the module
designates, never above the designation, in the type's steps, and no more than the time
they attest supports (one credit per hour of participation).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from exchange import vocab
from exchange.catalog.rules import max_credit
from exchange.templating import format_amount

Problems = dict[str, list[str]]


def fitting_types(designations: Mapping[str, Decimal], profession: str) -> list[str]:
    """The designated credit types a learner of `profession` may claim, in vocabulary order."""
    allowed = vocab.PROFESSION_CREDIT_TYPES.get(profession, frozenset())
    return [t for t in vocab.CREDIT_TYPES if t in designations and t in allowed]


def claim_problems(
    claims: Iterable[Mapping[str, Any]],
    designations: Mapping[str, Decimal],
    profession: str,
    minutes: int | None,
) -> Problems:
    problems: Problems = {}
    claims = list(claims)
    allowed = vocab.PROFESSION_CREDIT_TYPES.get(profession, frozenset())
    profession_label = vocab.PROFESSIONS.get(profession, profession).lower()
    fitting = fitting_types(designations, profession)
    seen: set[str] = set()
    for index, claim in enumerate(claims):
        credit_type, amount = claim.get("credit_type"), claim.get("amount")
        if credit_type not in vocab.CREDIT_TYPES or amount is None:
            continue  # field validation reports these
        label = vocab.CREDIT_TYPE_SHORT[credit_type]
        field = f"credits.{index}.amount"
        if credit_type in seen:
            problems.setdefault(f"credits.{index}.credit_type", []).append(
                f"{label} is claimed twice."
            )
            continue
        seen.add(credit_type)
        if credit_type not in designations:
            problems.setdefault(f"credits.{index}.credit_type", []).append(
                f"This module does not designate {label}."
            )
            continue
        if credit_type not in allowed:
            instead = (
                "you may claim " + ", ".join(vocab.CREDIT_TYPE_SHORT[t] for t in fitting)
                if fitting
                else "you receive a certificate of participation"
            )
            problems.setdefault(f"credits.{index}.credit_type", []).append(
                f"{label} does not apply to a {profession_label}: {instead}."
            )
            continue
        maximum = designations[credit_type]
        step = vocab.CREDIT_STEPS[credit_type]
        if amount > maximum:
            problems.setdefault(field, []).append(
                f"This module designates at most {format_amount(maximum)} {label}."
            )
        if amount % step:
            problems.setdefault(field, []).append(f"Claim {label} in steps of {step}.")
        if minutes is not None and amount * 60 > minutes:
            most = format_amount(max_credit(credit_type, minutes))
            problems.setdefault(field, []).append(
                f"{minutes} minutes support at most {most} {label}: claim only the time you "
                "took part."
            )
    if not claims and fitting:
        problems["credits"] = [
            "Claim your credit: "
            + ", ".join(
                f"up to {format_amount(designations[t])} {vocab.CREDIT_TYPE_SHORT[t]}"
                for t in fitting
            )
            + "."
        ]
    return problems
