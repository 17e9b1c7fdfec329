"""Load the demo data in `seed/data/` through the schemas and services, idempotently.

Organizations are matched by slug, people by email, modules by (provider, activity ID), so a
second run adds nothing. Dates are relative to the day of loading, so the demo stays current.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from exchange.accounts import services as accounts
from exchange.accounts.models import User
from exchange.catalog import services as catalog
from exchange.catalog.models import Module
from exchange.catalog.rules import add_years
from exchange.catalog.schemas import ModuleInputSchema
from exchange.database import today, transaction
from exchange.extensions import db
from exchange.organizations import services as organizations
from exchange.organizations.models import Organization
from exchange.organizations.schemas import OrganizationCreateSchema

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_PASSWORD = "exchange-demo-2026"

Progress = Callable[[Iterable[Any], str], Iterable[Any]]


def _no_progress(items: Iterable[Any], label: str) -> Iterable[Any]:
    return items


def read(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, "rb") as handle:
        return tomllib.load(handle)


@dataclass
class SeedReport:
    organizations: int = 0
    people: int = 0
    modules: int = 0
    offers: int = 0
    licenses: int = 0
    completions: int = 0


def database_is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def load_demo(progress: Progress = _no_progress, on: date | None = None) -> SeedReport:
    """Load everything; commits per organization and per module batch."""
    on = on or today()
    report = SeedReport()
    people = read("people.toml")["people"]
    with transaction():
        admin_entry = next(p for p in people if p.get("platform_admin"))
        admin = accounts.find_user_by_email(admin_entry["email"])
        if admin is None:
            admin = accounts.ensure_platform_admin(
                email=admin_entry["email"],
                password=DEMO_PASSWORD,
                full_name=admin_entry["full_name"],
            )
            report.people += 1
    orgs = _load_organizations(admin, on, report, progress)
    _load_people(admin, people, orgs, report)
    _load_modules(orgs, on, report, progress)
    _load_licensing(orgs, on, report, progress)
    return report


def _load_organizations(
    admin: User, on: date, report: SeedReport, progress: Progress
) -> dict[str, Organization]:
    entries = read("organizations.toml")["organizations"]
    by_slug: dict[str, Organization] = {}
    for entry in progress(entries, "Organizations"):
        existing = db.session.scalar(select(Organization).where(Organization.slug == entry["slug"]))
        if existing is None:
            data = {k: v for k, v in entry.items() if k != "accredited_until_years"}
            if "accredited_until_years" in entry:
                data["accredited_until"] = add_years(
                    on, entry["accredited_until_years"]
                ).isoformat()
            with transaction():
                existing = organizations.create_organization(
                    admin, OrganizationCreateSchema().load(data)
                )
                for role, local in (("admin", "admin"), ("staff", "education")):
                    organizations.add_member(
                        admin,
                        existing,
                        {
                            "email": f"{local}@{entry['slug']}.example",
                            "full_name": f"{entry['name']} "
                            + ("Administrator" if role == "admin" else "Education Staff"),
                            "password": DEMO_PASSWORD,
                            "profession": "other",
                            "role": role,
                        },
                    )
            report.organizations += 1
        by_slug[entry["slug"]] = existing
    return by_slug


def _load_people(
    admin: User, people: list[dict[str, Any]], orgs: dict[str, Organization], report: SeedReport
) -> None:
    with transaction():
        for person in people:
            if person.get("platform_admin"):
                continue
            for membership in person.get("memberships", []):
                org = orgs[membership["organization"]]
                user = accounts.find_user_by_email(person["email"])
                if user is not None and user.role_in(org.id):
                    continue
                if user is None:
                    report.people += 1
                organizations.add_member(
                    admin,
                    org,
                    {
                        "email": person["email"],
                        "full_name": person["full_name"],
                        "password": DEMO_PASSWORD,
                        "profession": person["profession"],
                        "role": membership["role"],
                    },
                )


def module_dates(entry: dict[str, Any], on: date) -> tuple[date, date, date]:
    """Release, last review and termination dates for a seed entry, relative to `on`."""
    days = int(entry.get("released_days_ago", 90))
    if entry.get("expired"):
        release = on - timedelta(days=3 * 365 + 30 + days)
        return release, release, add_years(release, 3)
    release = on - timedelta(days=days)
    last_review = release + timedelta(days=days // 3) if days > 400 else release
    return release, last_review, add_years(last_review, 2 if days < 300 else 3)


def module_input(entry: dict[str, Any], orgs: dict[str, Organization], on: date) -> dict[str, Any]:
    """A seed entry in the API's input shape (then loaded by ModuleInputSchema)."""
    release, last_review, termination = module_dates(entry, on)
    data = {
        key: entry[key]
        for key in (
            "title",
            "summary",
            "description",
            "objectives",
            "professions",
            "specialties",
            "keywords",
            "competencies",
            "outcome_levels",
            "format",
            "delivery",
            "estimated_minutes",
            "credits",
            "content_url",
            "faculty",
            "commercial_support",
        )
        if key in entry
    }
    data.update(
        owner_id=orgs[entry["owner"]].id,
        provider_id=orgs[entry["provider"]].id,
        provider_activity_id=entry["key"].upper(),
        release_date=release.isoformat(),
        last_review_date=last_review.isoformat(),
        termination_date=termination.isoformat(),
    )
    return data


def _staff_of(org: Organization) -> User:
    user = accounts.find_user_by_email(f"education@{org.slug}.example")
    assert user is not None, f"no education staff for {org.slug}"
    return user


def _load_modules(
    orgs: dict[str, Organization], on: date, report: SeedReport, progress: Progress
) -> None:
    entries = read("modules.toml")["modules"]
    existing = {
        (provider_id, activity_id)
        for provider_id, activity_id in db.session.execute(
            select(Module.provider_id, Module.provider_activity_id)
        )
    }
    schema = ModuleInputSchema()
    for entry in progress(entries, "Modules"):
        provider = orgs[entry["provider"]]
        if (provider.id, entry["key"].upper()) in existing:
            continue
        data = schema.load(module_input(entry, orgs, on))
        with transaction():
            module = catalog.create_module(_staff_of(orgs[entry["owner"]]), data, on=on)
            if entry.get("status", "published") in ("published", "retired"):
                # Published back then: once released and reviewed.
                published_on = max(data["release_date"], data["last_review_date"])
                catalog.publish_module(_staff_of(provider), module, on=published_on)
            if entry.get("status") == "retired":
                catalog.retire_module(_staff_of(provider), module)
        report.modules += 1


# Offers, licenses and completions --------------------------------------------------------


def _modules_by_key() -> dict[str, Module]:
    return {
        module.provider_activity_id.lower(): module
        for module in db.session.scalars(
            select(Module).where(Module.provider_activity_id.is_not(None))
        )
    }


def _load_licensing(
    orgs: dict[str, Organization], on: date, report: SeedReport, progress: Progress
) -> None:
    from exchange.learning import access
    from exchange.learning import services as learning
    from exchange.learning.models import Completion
    from exchange.learning.schemas import CompletionInputSchema
    from exchange.licensing import services as licensing
    from exchange.licensing.models import License, Offer
    from exchange.licensing.schemas import OfferInputSchema

    data = read("licensing.toml")
    modules = _modules_by_key()
    offer_schema = OfferInputSchema()
    with_offers = set(db.session.scalars(select(Offer.module_id).distinct()))
    for module in progress(list(modules.values()), "Offers"):
        if module.id in with_offers or module.status != "published" or not module.is_available(on):
            continue
        standard = data[
            "joint_offer" if module.owner_id != module.provider_id else "standard_offer"
        ]
        extras = [
            {k: v for k, v in entry.items() if k != "module"}
            for entry in data.get("offers", [])
            if entry["module"] == module.provider_activity_id.lower()
        ]
        with transaction():
            for entry in (standard, *extras):
                licensing.create_offer(
                    _staff_of(module.provider), module, offer_schema.load(dict(entry))
                )
                report.offers += 1

    for entry in progress(data.get("licenses", []), "Licenses"):
        module, licensee = modules[entry["module"]], orgs[entry["licensee"]]
        if db.session.scalar(
            select(License.id).where(
                License.module_id == module.id, License.licensee_id == licensee.id
            )
        ):
            continue
        offers = licensing.list_offers(_staff_of(module.provider), module)
        offer = next((o for o in offers if o.name == entry.get("offer")), offers[0])
        started = on - timedelta(days=entry.get("started_days_ago", 0))
        requested = on - timedelta(days=entry.get("requested_days_ago", 0))
        provider_staff, licensee_staff = _staff_of(module.provider), _staff_of(licensee)
        base = {
            "module_id": module.id,
            "offer_id": offer.id,
            "licensee_id": licensee.id,
            "seats": entry.get("seats"),
        }
        with transaction():
            if entry["decision"] == "granted":
                licensing.grant_license(
                    provider_staff,
                    {**base, "start_date": started, "note": entry.get("note", "")},
                    on=started,
                )
            else:
                license = licensing.request_license(
                    licensee_staff, {**base, "message": entry.get("message", "")}, on=requested
                )
                decision = entry["decision"]
                if decision in ("approved", "revoked"):
                    licensing.approve_license(
                        provider_staff,
                        license,
                        {
                            "start_date": started,
                            "note": entry.get("note", "") if decision == "approved" else "",
                        },
                        on=started,
                    )
                if decision == "revoked":
                    licensing.revoke_license(provider_staff, license, entry["note"], on=on)
                elif decision == "declined":
                    licensing.decline_license(provider_staff, license, entry["note"], on=on)
                elif decision == "withdrawn":
                    licensing.withdraw_license(licensee_staff, license, "", on=on)
        report.licenses += 1

    schema = CompletionInputSchema()
    for entry in progress(data.get("completions", []), "Completions"):
        learner = accounts.find_user_by_email(entry["learner"])
        module = modules[entry["module"]]
        if learner is None or db.session.scalar(
            select(Completion.id).where(
                Completion.user_id == learner.id, Completion.module_id == module.id
            )
        ):
            continue
        day = on - timedelta(days=entry["days_ago"])
        claim = schema.load(
            {
                "module_id": module.id,
                "minutes_spent": entry["minutes"],
                "credits": entry.get("credits", []),
                "attest": True,
            }
        )
        with transaction():
            access.launch(learner, module, on=day)
            learning.complete_module(learner, module, claim, on=day)
        report.completions += 1
