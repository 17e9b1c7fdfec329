"""A small sharing network with every figure known in advance (see the docstring of
`network`). Each action happens on its own day under a frozen clock, so licenses, audit
events and completions carry the dates the scenario says."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
import time_machine

from exchange.accounts.models import User
from exchange.catalog.models import Module
from exchange.database import commit
from exchange.licensing import services as licensing
from exchange.licensing.models import License
from exchange.organizations.models import Organization
from tests.factories import (
    add_member,
    complete,
    make_license,
    make_module,
    make_offer,
    make_org,
    make_provider,
    staff_of,
)

TODAY = date(2026, 6, 15)


@dataclass
class Scenario:
    p1: Organization
    p2: Organization
    a: Organization
    b: Organization
    c: Organization
    m1: Module
    m2: Module
    m3: Module
    licenses: dict[str, License]
    u1: User
    u2: User
    u3: User


def _on(day: date):
    return time_machine.travel(day, tick=False)


def _module(provider, title, specialties, credits, minutes, release):
    return make_module(
        provider,
        status="published",
        title=title,
        specialties=specialties,
        credits=credits,
        estimated_minutes=minutes,
        release_date=release,
        last_review_date=max(release, date(2025, 6, 1)),
        termination_date=date(2028, 5, 1),
        on=max(release, date(2025, 6, 1)),
    )


def _grant(module, licensee, start, term_months=12):
    with _on(start):
        return make_license(module, licensee, make_offer(module, term_months=term_months))


def _complete(user, module, day, credits):
    with _on(day):
        return complete(user, module, credits=credits, minutes=module.estimated_minutes, on=day)


@pytest.fixture
def network() -> Scenario:
    """Providers Alpha CME (P1, ACCME) and Beta IPCE (P2, Joint Accreditation); associations
    A, B and C. Today is 15 Jun 2026.

    Licenses:  L1 P1->A M1 from 1 Dec 2025 (12 months: to 30 Nov 2026; active)
               L2 P1->A M2 from 10 Jan 2026 (active)
               L3 P1->B M1 from 1 Nov 2025, revoked 1 Mar 2026
               L4 P1->B M2 from 15 Dec 2025 (active)
               L5 P2->A M3 from 1 Jan 2025 for 6 months (to 30 Jun 2025: expired)
               L6 P2->C M3 from 1 Feb 2026 (active)
    Learners:  u1 physician in A and B: M1 via A on 31 Dec 2025 (1 AMA); M2 via B on
               1 Jan 2026 (0.5 AMA)
               u2 nurse in A: M3 via A on 1 Mar 2025 (1 ANCC); M1 via A on 1 Feb 2026
               (participation, no credit)
               u3 pharmacist in C: M3 via C on 1 Mar 2026 (1 ACPE)
    """
    with _on(date(2024, 1, 1)):
        p1 = make_provider("accme", name="Alpha CME", accredited_until=date(2030, 1, 1))
        p2 = make_provider("joint", name="Beta IPCE", accredited_until=date(2030, 1, 1))
        a = make_org(name="Assoc A")
        b = make_org(name="Assoc B")
        c = make_org(name="Assoc C")
        u1 = add_member(a, "member", profession="physician", full_name="Una One")
        add_member(b, "member", user=u1)
        u2 = add_member(a, "member", profession="nurse", full_name="Noor Two")
        u3 = add_member(c, "member", profession="pharmacist", full_name="Pia Three")
    m1 = _module(
        p1,
        "Cardiac Module One",
        ["cardiology"],
        [{"credit_type": "ama_pra_1", "amount": "1"}],
        60,
        date(2025, 6, 1),
    )
    m2 = _module(
        p1,
        "Pediatric Module Two",
        ["pediatrics"],
        [{"credit_type": "ama_pra_1", "amount": "0.5"}],
        30,
        date(2025, 6, 1),
    )
    m3 = _module(p2, "Team Module Three", ["cardiology"],
                 [{"credit_type": "ama_pra_1", "amount": "1"},
                  {"credit_type": "ancc", "amount": "1"},
                  {"credit_type": "acpe", "amount": "1", "uan": "JA0000001-0000-24-001-H01-P"}],
                 60, date(2024, 6, 1))  # fmt: skip
    licenses = {
        "L5": _grant(m3, a, date(2025, 1, 1), term_months=6),
        "L3": _grant(m1, b, date(2025, 11, 1)),
        "L1": _grant(m1, a, date(2025, 12, 1)),
        "L4": _grant(m2, b, date(2025, 12, 15)),
        "L2": _grant(m2, a, date(2026, 1, 10)),
        "L6": _grant(m3, c, date(2026, 2, 1)),
    }
    _complete(u2, m3, date(2025, 3, 1), [{"credit_type": "ancc", "amount": Decimal("1")}])
    _complete(u1, m1, date(2025, 12, 31), [{"credit_type": "ama_pra_1", "amount": Decimal("1")}])
    _complete(u1, m2, date(2026, 1, 1), [{"credit_type": "ama_pra_1", "amount": Decimal("0.5")}])
    _complete(u2, m1, date(2026, 2, 1), [])
    _complete(u3, m3, date(2026, 3, 1), [{"credit_type": "acpe", "amount": Decimal("1")}])
    with _on(date(2026, 3, 1)):
        licensing.revoke_license(staff_of(p1), licenses["L3"], "Moved to the new edition.")
        commit()
    return Scenario(p1, p2, a, b, c, m1, m2, m3, licenses, u1, u2, u3)


@pytest.fixture
def frozen_today():
    with _on(TODAY):
        yield TODAY
