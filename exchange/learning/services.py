"""Completing a module and claiming credit; transcripts; what providers see of completions.

Totals are computed in SQL (sums of hundredths, exact on every database).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from exchange import permissions, vocab
from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import today as current_day
from exchange.database import utcnow
from exchange.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.exports import csv_text
from exchange.extensions import db
from exchange.learning import access as access_rules
from exchange.learning.models import Completion, CompletionCredit
from exchange.learning.rules import claim_problems, fitting_types
from exchange.organizations.models import Organization

# Crockford's base32 without I, L, O, U: easy to read aloud and type.
CERTIFICATE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_certificate_number(on: date) -> str:
    """EXC-2026-7K3Q-9XPM: the year, then 40 random bits (unguessable, checked unique)."""
    while True:
        body = "".join(secrets.choice(CERTIFICATE_ALPHABET) for _ in range(8))
        number = f"EXC-{on.year}-{body[:4]}-{body[4:]}"
        if not db.session.scalar(
            select(Completion.id).where(Completion.certificate_number == number)
        ):
            return number


def designations(module: Module) -> dict[str, Decimal]:
    return {credit.credit_type: credit.amount for credit in module.credits}


def claim_window_problems(module: Module, on: date) -> dict[str, list[str]]:
    """Credit is claimed only while the module is released, not past termination, and its
    provider of record accredited."""
    if module.is_past_termination(on):
        return {
            "module_id": [
                f"“{module.title}” passed its termination date on "
                f"{module.termination_date.isoformat()}: no credit may be claimed for it."
            ]
        }
    if module.release_date is None or module.release_date > on:
        return {"module_id": ["This module is not released yet: credit cannot be claimed."]}
    if not (module.provider and module.provider.is_accredited(on)):
        return {
            "module_id": [
                "The provider of record's accreditation is not current: credit cannot be "
                "claimed until it is renewed."
            ]
        }
    return {}


def existing_completion(user: User, module: Module) -> Completion | None:
    """The user's completion of the module's current version, if any."""
    return db.session.scalar(
        select(Completion).where(
            Completion.user_id == user.id,
            Completion.module_id == module.id,
            Completion.module_version == module.version,
        )
    )


def complete_module(
    user: User | None, module: Module, data: dict[str, Any], on: date | None = None
) -> Completion:
    """Record a completion from validated input (CompletionInputSchema)."""
    on = on or current_day()
    access = access_rules.require_access(user, module, on)
    if not access_rules.has_launched(user, module):
        raise ConflictError(
            "Start the module first: credit is claimed for an activity you took part in."
        )
    if (done := existing_completion(user, module)) is not None:
        raise ConflictError(
            f"You already completed version {module.version} of this module on "
            f"{done.completed_on.isoformat()} (certificate {done.certificate_number})."
        )
    problems: dict[str, list[str]] = {}
    if data.get("attest") is not True:
        problems["attest"] = [
            "Confirm that you completed the activity and that the time and credit are true."
        ]
    problems.update(claim_window_problems(module, on))
    for field, messages in claim_problems(
        data.get("credits") or [], designations(module), user.profession, data["minutes_spent"]
    ).items():
        problems.setdefault(field, []).extend(messages)
    if problems:
        raise FieldValidationError(problems)
    completion = Completion(
        certificate_number=new_certificate_number(on),
        user_id=user.id,
        module_id=module.id,
        module_version=module.version,
        license_id=access.license.id if access.license else None,
        organization_id=access.organization.id,
        provider_id=module.provider_id,
        profession=user.profession,
        learner_name=user.full_name,
        module_title=module.title,
        minutes_spent=data["minutes_spent"],
        credit_hundredths=sum(int(c["amount"] * 100) for c in data.get("credits") or []),
        completed_on=on,
        completed_at=utcnow(),
        credits=[
            CompletionCredit(credit_type=c["credit_type"], amount_hundredths=int(c["amount"] * 100))
            for c in data.get("credits") or []
        ],
    )
    try:
        with db.session.begin_nested():
            db.session.add(completion)
    except IntegrityError as error:  # the same claim sent twice at once
        raise ConflictError(
            f"You already completed version {module.version} of this module."
        ) from error
    return completion


def claim_form_defaults(user: User, module: Module) -> dict[str, Any]:
    """What the completion form offers: the fitting types and their maximum amounts."""
    found = designations(module)
    return {
        "types": [(t, found[t]) for t in fitting_types(found, user.profession)],
        "minutes": module.estimated_minutes,
    }


# Certificates and transcripts ------------------------------------------------------------


def _completion_query():
    return select(Completion).options(
        joinedload(Completion.provider),
        joinedload(Completion.organization),
        joinedload(Completion.module),
        selectinload(Completion.credits),
    )


def get_completion_by_number(actor: User | None, number: str) -> Completion:
    completion = db.session.scalar(
        _completion_query().where(Completion.certificate_number == number.strip().upper()[:24])
    )
    if completion is None or not permissions.can_view_certificate(actor, completion):
        raise NotFoundError("No such certificate.")
    return completion


def _transcript_query(user: User, year: int | None):
    stmt = _completion_query().where(Completion.user_id == user.id)
    if year is not None:
        stmt = stmt.where(extract("year", Completion.completed_on) == year)
    return stmt.order_by(Completion.completed_on.desc(), Completion.id.desc())


def transcript(user: User, year: int | None = None) -> list[Completion]:
    return list(db.session.scalars(_transcript_query(user, year)))


def transcript_page(user: User, year: int | None, page: int, per_page: int):
    return db.paginate(
        _transcript_query(user, year),
        page=page,
        per_page=per_page,
        max_per_page=100,
        error_out=False,
    )


@dataclass(frozen=True)
class CreditTotal:
    year: int
    credit_type: str
    amount: Decimal

    @property
    def label(self) -> str:
        return vocab.CREDIT_TYPE_SHORT[self.credit_type]


def transcript_totals(user: User, year: int | None = None) -> list[CreditTotal]:
    """Credits by year and type, summed in SQL; newest year first."""
    year_col = extract("year", Completion.completed_on)
    stmt = (
        select(year_col, CompletionCredit.credit_type, func.sum(CompletionCredit.amount_hundredths))
        .join(Completion, Completion.id == CompletionCredit.completion_id)
        .where(Completion.user_id == user.id)
        .group_by(year_col, CompletionCredit.credit_type)
        .order_by(year_col.desc(), CompletionCredit.credit_type)
    )
    if year is not None:
        stmt = stmt.where(year_col == year)
    return [
        CreditTotal(year=int(y), credit_type=t, amount=Decimal(int(total)) / 100)
        for y, t, total in db.session.execute(stmt)
    ]


TRANSCRIPT_COLUMNS = (
    "completed_on",
    "certificate_number",
    "module_title",
    "module_version",
    "provider_of_record",
    "minutes_spent",
    "credit_type",
    "credit_label",
    "amount",
)


def transcript_csv(completions: list[Completion]) -> str:
    """One row per credit claimed (one row without credit for a certificate of participation)."""
    rows = []
    for completion in completions:
        base = [
            completion.completed_on.isoformat(),
            completion.certificate_number,
            completion.module_title,
            completion.module_version,
            completion.provider.name,
            completion.minutes_spent,
        ]
        if not completion.credits:
            rows.append([*base, "", "Certificate of participation", ""])
        for credit in completion.credits:
            rows.append(
                [
                    *base,
                    credit.credit_type,
                    vocab.CREDIT_TYPE_SHORT[credit.credit_type],
                    f"{credit.amount:.2f}",
                ]
            )
    return csv_text(TRANSCRIPT_COLUMNS, rows)


# What providers see ----------------------------------------------------------------------


@dataclass(frozen=True)
class LicenseeCompletions:
    module_id: int
    module_title: str
    organization_id: int
    organization_name: str
    completions: int
    learners: int


def provider_completions(actor: User | None, provider: Organization) -> list[LicenseeCompletions]:
    """Completions of the provider's modules per module and licensee organization (counts)."""
    if not permissions.can_view_provider_completions(actor, provider):
        raise PermissionDeniedError(
            f"Only education staff of {provider.name} see completions of its modules."
        )
    rows = db.session.execute(
        select(
            Completion.module_id,
            Module.title,
            Completion.organization_id,
            Organization.name,
            func.count(Completion.id),
            func.count(func.distinct(Completion.user_id)),
        )
        .join(Module, Module.id == Completion.module_id)
        .join(Organization, Organization.id == Completion.organization_id)
        .where(Completion.provider_id == provider.id)
        .group_by(Completion.module_id, Module.title, Completion.organization_id, Organization.name)
        .order_by(func.lower(Module.title), func.lower(Organization.name))
    )
    return [LicenseeCompletions(*row) for row in rows]


def provider_module_learners(
    actor: User | None, provider: Organization, module_id: int
) -> tuple[Module, list[Completion]]:
    """One of the provider's modules and who completed it; another provider's module does
    not exist here."""
    if not permissions.can_view_provider_completions(actor, provider):
        raise PermissionDeniedError(
            f"Only education staff of {provider.name} see completions of its modules."
        )
    module = db.session.scalar(
        select(Module).where(Module.id == module_id, Module.provider_id == provider.id)
    )
    if module is None:
        raise NotFoundError("No such module of this provider.")
    return module, provider_completion_names(actor, provider, module.id)


def provider_completion_names(
    actor: User | None, provider: Organization, module_id: int, organization_id: int | None = None
) -> list[Completion]:
    """Who completed one of the provider's modules (names only for its own modules)."""
    if not permissions.can_view_provider_completions(actor, provider):
        raise PermissionDeniedError(
            f"Only education staff of {provider.name} see completions of its modules."
        )
    stmt = _completion_query().where(
        Completion.provider_id == provider.id, Completion.module_id == module_id
    )
    if organization_id is not None:
        stmt = stmt.where(Completion.organization_id == organization_id)
    return list(
        db.session.scalars(stmt.order_by(Completion.completed_on.desc(), Completion.id.desc()))
    )
