"""Synthetic catalogs of any size for benchmarks, built from the demo catalog's own words.

`synthetic_modules(count)` recombines the hand-written demo modules (titles, summaries,
objectives, keywords, faculty) into `count` new, valid module inputs, reproducibly (a fixed
random seed). `load_synthetic` pushes them through the same schema and services as the demo
seed, committing in batches, with the demo providers as providers of record.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

from exchange import vocab
from exchange.catalog import services as catalog
from exchange.catalog.rules import add_years, max_credit
from exchange.catalog.schemas import ModuleInputSchema
from exchange.database import today, transaction
from exchange.organizations.models import Organization
from seed.loader import _staff_of, read

ANGLES = (
    "Update",
    "Essentials",
    "Case Review",
    "Practical Approach",
    "Pitfalls and Pearls",
    "Evidence Review",
    "for Primary Care",
    "in the Hospital",
    "Across the Care Team",
    "Quality Improvement",
    "Rapid Review",
    "Deep Dive",
)
DURATIONS = (15, 30, 45, 60, 60, 60, 90, 90, 120, 180)


def synthetic_modules(
    count: int, providers: list[Organization], seed: int = 2026
) -> Iterator[dict[str, Any]]:
    """Yield `count` module inputs (the API's shape) recombined from the demo catalog."""
    rng = random.Random(seed)
    demo = read("modules.toml")["modules"]
    objectives = [o for m in demo for o in m.get("objectives", [])]
    keywords = sorted({k for m in demo for k in m.get("keywords", [])})
    faculty = [
        p
        for m in demo
        for p in m.get("faculty", [])
        if p.get("disclosures") is not None and all(d.get("mitigated") for d in p["disclosures"])
    ]
    on = today()
    for n in range(count):
        base = demo[rng.randrange(len(demo))]
        provider = providers[n % len(providers)]
        minutes = rng.choice(DURATIONS)
        credit_types = _credit_types(provider.accreditor, rng)
        release = on - timedelta(days=rng.randrange(0, 700))
        credits = []
        for credit_type in credit_types:
            credit: dict[str, Any] = {
                "credit_type": credit_type,
                "amount": str(max_credit(credit_type, minutes)),
            }
            if credit_type == "acpe":
                credit["uan"] = f"0812-0000-{release:%y}-{n % 1000:03d}-H01-P"
            credits.append(credit)
        professions = sorted(
            {
                p
                for t in credit_types
                for p, types in vocab.PROFESSION_CREDIT_TYPES.items()
                if t in types
            }
        )
        yield {
            "title": f"{base['title'].split(':')[0]}: {rng.choice(ANGLES)} #{n + 1}",
            "summary": base["summary"],
            "description": base["description"],
            "objectives": rng.sample(objectives, k=3),
            "professions": professions,
            "specialties": base["specialties"],
            "keywords": rng.sample(keywords, k=4),
            "competencies": base.get("competencies", []),
            "outcome_levels": base.get("outcome_levels", []),
            "format": "enduring_material",
            "delivery": "online",
            "estimated_minutes": minutes,
            "credits": credits,
            "release_date": release.isoformat(),
            "last_review_date": release.isoformat(),
            "termination_date": add_years(release, 2).isoformat(),
            "owner_id": provider.id,
            "provider_id": provider.id,
            "provider_activity_id": f"SYN-{n + 1:07d}",
            "content_url": f"https://learn.example.org/synthetic/{n + 1}",
            "faculty": rng.sample(faculty, k=2),
            "commercial_support": [],
        }


def _credit_types(accreditor: str | None, rng: random.Random) -> list[str]:
    allowed = [
        t
        for t in vocab.CREDIT_TYPES
        if accreditor in vocab.CREDIT_TYPE_ACCREDITORS.get(t, {accreditor})
    ]
    primary = [t for t in ("ama_pra_1", "ancc", "acpe", "ipce") if t in allowed]
    extras = [t for t in ("abim_moc", "aafp_prescribed") if t in allowed and "ama_pra_1" in primary]
    chosen = primary[: rng.randint(1, len(primary))] if primary else ["abim_moc"]
    if extras and rng.random() < 0.3:
        chosen.append(rng.choice(extras))
    return chosen


def load_synthetic(
    count: int,
    *,
    batch: int = 500,
    on: date | None = None,
    progress: Callable[[int], None] = lambda done: None,
) -> int:
    """Create and publish `count` synthetic modules through the services (demo data needed)."""
    from sqlalchemy import select

    from exchange.extensions import db

    on = on or today()
    providers = list(
        db.session.scalars(
            select(Organization).where(Organization.accredited_clause(on)).order_by(Organization.id)
        )
    )
    if not providers:
        raise RuntimeError(
            "Load the demo data first (flask seed): synthetic modules need its providers."
        )
    schema = ModuleInputSchema()
    staff = {p.id: _staff_of(p) for p in providers}
    done = 0
    pending = synthetic_modules(count, providers)
    while done < count:
        with transaction():
            for data in _take(pending, min(batch, count - done)):
                loaded = schema.load(data)
                module = catalog.create_module(staff[loaded["owner_id"]], loaded, on=on)
                catalog.publish_module(staff[loaded["owner_id"]], module, on=on)
                done += 1
        progress(done)
    return done


def _take(items: Iterator[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for _ in range(n):
        yield next(items)
