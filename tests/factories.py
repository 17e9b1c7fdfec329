"""Factories that build test data through the services (never by writing rows directly),
then commit, as a request would. In tests a commit only releases a savepoint."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from exchange.accounts import services as accounts
from exchange.accounts.models import User
from exchange.catalog import services as catalog
from exchange.catalog.models import Module
from exchange.catalog.schemas import ModuleInputSchema
from exchange.database import commit, today
from exchange.organizations import services as organizations
from exchange.organizations.models import Organization

PASSWORD = "correct horse battery staple"
_sequence = itertools.count(1)


def _n() -> int:
    return next(_sequence)


def platform_admin() -> User:
    user = accounts.find_user_by_email("root@admin.test")
    if user is None:
        user = accounts.ensure_platform_admin(email="root@admin.test", password=PASSWORD)
        commit()
    return user


def make_user(profession: str = "physician", *, email: str | None = None, **kwargs: Any) -> User:
    user = accounts.create_user(
        email=email or f"user{_n()}@example.test",
        full_name=kwargs.pop("full_name", f"Test User {_n()}"),
        password=kwargs.pop("password", PASSWORD),
        profession=profession,
        **kwargs,
    )
    commit()
    return user


def make_org(
    kind: str = "association", *, accreditor: str | None = None, **kwargs: Any
) -> Organization:
    data: dict[str, Any] = {
        "name": kwargs.pop("name", f"Organization {_n()}"),
        "kind": kind,
        "accreditor": accreditor,
        "accredited_until": kwargs.pop(
            "accredited_until", today() + timedelta(days=700) if accreditor else None
        ),
        "is_ineligible_company": kwargs.pop("is_ineligible_company", False),
        "description": kwargs.pop("description", ""),
        "website": kwargs.pop("website", None),
    }
    org = organizations.create_organization(platform_admin(), data)
    commit()
    return org


def make_provider(accreditor: str = "accme", **kwargs: Any) -> Organization:
    return make_org(kwargs.pop("kind", "provider"), accreditor=accreditor, **kwargs)


def add_member(org: Organization, role: str = "member", user: User | None = None, **kwargs) -> User:
    user = user or make_user(**kwargs)
    organizations.add_member(
        platform_admin(),
        org,
        {
            "email": user.email,
            "full_name": user.full_name,
            "profession": user.profession,
            "role": role,
            "password": None,
        },
    )
    commit()
    return user


def module_input(
    owner: Organization, provider: Organization | None, **overrides: Any
) -> dict[str, Any]:
    """A complete, publishable module in the API's input shape."""
    release = overrides.pop("release_date", today() - timedelta(days=10))
    data: dict[str, Any] = {
        "title": f"Managing Hypertension in Primary Care {_n()}",
        "summary": "A case-based review of blood pressure targets and first-line therapy.",
        "description": "Three patient cases walk through diagnosis and treatment.",
        "objectives": ["Select first-line antihypertensive therapy", "Apply current targets"],
        "professions": ["physician", "nurse"],
        "specialties": ["cardiology", "family_medicine"],
        "keywords": ["hypertension", "blood pressure"],
        "competencies": ["patient_care"],
        "outcome_levels": ["3a", "4"],
        "format": "enduring_material",
        "delivery": "online",
        "estimated_minutes": 90,
        "credits": [{"credit_type": "ama_pra_1", "amount": "1.5"}],
        "release_date": release.isoformat(),
        "last_review_date": release.isoformat(),
        "termination_date": (release + timedelta(days=700)).isoformat(),
        "owner_id": owner.id,
        "provider_id": provider.id if provider else None,
        "content_url": "https://learn.example.test/hypertension",
        "faculty": [
            {"name": "Dana Okafor, MD", "role": "Course director", "disclosures": []},
            {
                "name": "Priya Raman, PharmD",
                "role": "Faculty",
                "disclosures": [
                    {
                        "company": "Northwind Biopharma",
                        "relationship": "Advisory board",
                        "mitigated": True,
                    }
                ],
            },
        ],
        "commercial_support": [],
    }
    for key, value in overrides.items():
        if isinstance(value, date):
            value = value.isoformat()
        data[key] = value
    return data


def make_module(
    owner: Organization,
    provider: Organization | None = None,
    *,
    status: str = "draft",
    actor: User | None = None,
    on: date | None = None,
    **overrides: Any,
) -> Module:
    """A module created by staff of the owner and, if asked, published by the provider's."""
    provider = provider if provider is not None else (owner if owner.is_provider_kind else None)
    author = actor or staff_of(owner)
    data = ModuleInputSchema().load(module_input(owner, provider, **overrides))
    module = catalog.create_module(author, data)
    if status in ("published", "retired"):
        catalog.publish_module(staff_of(provider), module, on=on)
    if status == "retired":
        catalog.retire_module(staff_of(provider), module)
    commit()
    return module


def staff_of(org: Organization) -> User:
    """A staff member of `org` (created the first time)."""
    for membership in org.memberships:
        if membership.role == "staff":
            return membership.user
    return add_member(org, "staff", profession="other")


def token_for(user: User) -> str:
    token, _ = accounts.issue_token(user)
    commit()
    return token


def auth(user: User | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"} if user else {}


def sign_in(client, user: User) -> None:
    """Sign the test client in as `user` (the session cookie Flask-Login reads)."""
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True


# Licensing and learning ------------------------------------------------------------------


def make_offer(module: Module, **overrides: Any):
    """An offer on `module`, created by staff of its provider of record."""
    from exchange.licensing import services as licensing
    from exchange.licensing.schemas import OfferInputSchema

    data = {
        "name": overrides.pop("name", f"Annual license {_n()}"),
        "pricing": overrides.pop("pricing", "free"),
        "term_months": overrides.pop("term_months", 12),
        **overrides,
    }
    offer = licensing.create_offer(staff_of(module.provider), module, OfferInputSchema().load(data))
    commit()
    return offer


def request_license(module: Module, licensee: Organization, offer=None, **data: Any):
    """A license request by staff of `licensee` (an offer is made when none is given)."""
    from exchange.licensing import services as licensing

    offer = offer or make_offer(module)
    license = licensing.request_license(
        staff_of(licensee),
        {"module_id": module.id, "offer_id": offer.id, "licensee_id": licensee.id, **data},
    )
    commit()
    return license


def approve(license, **data: Any):
    from exchange.licensing import services as licensing

    licensing.approve_license(staff_of(license.licensor), license, data)
    commit()
    return license


def make_license(module: Module, licensee: Organization, offer=None, **data: Any):
    """An approved license, granted by the module's provider."""
    from exchange.licensing import services as licensing

    offer = offer or make_offer(module)
    license = licensing.grant_license(
        staff_of(module.provider),
        {"module_id": module.id, "offer_id": offer.id, "licensee_id": licensee.id, **data},
    )
    commit()
    return license


def launch(user: User, module: Module) -> str:
    from exchange.learning import access

    url, _ = access.launch(user, module)
    commit()
    return url


def complete(user: User, module: Module, credits=None, minutes: int | None = None, on=None):
    """Launch (when not yet launched) and complete `module`, claiming `credits`."""
    from decimal import Decimal

    from exchange.learning import access
    from exchange.learning import services as learning

    if not access.has_launched(user, module):
        access.launch(user, module, on=on)

    credits = (
        [{"credit_type": "ama_pra_1", "amount": Decimal("1.5")}] if credits is None else credits
    )
    completion = learning.complete_module(
        user,
        module,
        {
            "minutes_spent": minutes or module.estimated_minutes or 60,
            "credits": credits,
            "attest": True,
        },
        on=on,
    )
    commit()
    return completion
