"""Benchmark of the sharing tracker at the scale of a national exchange: the sharing page's
data, the provider dashboard and the PARS report, on SQLite and on PostgreSQL.

    .venv/bin/python bench/sharing.py                       # SQLite, default sizes
    .venv/bin/python bench/sharing.py --database postgresql://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/sharing.py --organizations 500 --providers 50 --modules 20000 \\
        --licenses 30000 --completions 300000 --runs 30

The network (organizations, learners and their memberships, modules, licenses, seats,
completions and the credit claimed) is generated and bulk-inserted into a scratch database
(a temporary SQLite file, or a PostgreSQL database created next to the one given and dropped
afterwards), with the schema built by the Alembic migrations. The timings are of the same
service calls the pages and the API make, and print as p50 / p95 per measurement.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.config import normalize_database_url  # noqa: E402
from exchange.extensions import db  # noqa: E402

TODAY = date.today()
BATCH = 5000
SPECIALTIES = [
    "cardiology", "family_medicine", "internal_medicine", "pediatrics", "emergency_medicine",
    "infectious_disease", "endocrinology", "psychiatry", "nephrology", "pulmonology",
    "geriatrics", "hospital_medicine", "obstetrics_gynecology", "neurology", "hematology_oncology",
]  # fmt: skip
CREDIT_CHOICES = [
    [("ama_pra_1", 100)],
    [("ama_pra_1", 75), ("abim_moc", 75)],
    [("ancc", 100)],
    [("acpe", 100)],
    [("ama_pra_1", 150), ("ancc", 150), ("acpe", 150), ("ipce", 150)],
]
PROFESSION_TYPES = {
    "physician": ("ama_pra_1", "abim_moc", "ipce"),
    "nurse": ("ancc", "ipce"),
    "pharmacist": ("acpe", "ipce"),
    "physician_assistant": ("ama_pra_1", "ipce"),
    "other": ("ipce",),
}
PROFESSIONS = ["physician"] * 5 + ["nurse"] * 3 + ["pharmacist", "physician_assistant", "other"]


def chunks(rows):
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def insert_all(table, rows) -> None:
    for batch in chunks(rows):
        db.session.execute(insert(table), batch)


def generate(args, rng: random.Random) -> dict:
    """Bulk-insert the network; returns the ids the measurements use."""
    from exchange.accounts.models import User
    from exchange.catalog.models import Module, ModuleCredit, ModuleSpecialty
    from exchange.learning.models import Completion, CompletionCredit, ModuleLaunch
    from exchange.licensing.models import License, LicenseSeat, Offer
    from exchange.organizations.models import Membership, Organization

    now = datetime.now(UTC)
    started = time.perf_counter()
    orgs = []
    for i in range(args.organizations):
        provider = i < args.providers
        orgs.append(
            {
                "id": i + 1,
                "name": f"{'Provider' if provider else 'Association'} {i + 1:04d}",
                "slug": f"org-{i + 1:04d}",
                "kind": "provider" if provider else "association",
                "accreditor": "accme" if provider else None,
                "accredited_until": TODAY + timedelta(days=900) if provider else None,
                "accreditation_verified_at": now if provider else None,
                "is_ineligible_company": False,
                "description": "",
                "website": "",
                "created_at": now,
            }
        )
    insert_all(Organization.__table__, orgs)
    providers = list(range(1, args.providers + 1))
    associations = list(range(args.providers + 1, args.organizations + 1))

    # People: staff for every organization, learners in associations (one in ten in two).
    users, memberships, members_of = [], [], {org: [] for org in associations}
    uid = 0
    for org in range(1, args.organizations + 1):
        uid += 1
        users.append(_user(uid, "other", now))
        memberships.append(_membership(len(memberships) + 1, uid, org, "staff", now))
    first_learner = uid + 1
    for _ in range(args.learners):
        uid += 1
        users.append(_user(uid, rng.choice(PROFESSIONS), now))
        for org in rng.sample(associations, 2 if rng.random() < 0.1 else 1):
            memberships.append(_membership(len(memberships) + 1, uid, org, "member", now))
            members_of[org].append(uid)
    insert_all(User.__table__, users)
    insert_all(Membership.__table__, memberships)
    professions = {u["id"]: u["profession"] for u in users}

    modules, specialties, credits, offers, designations = [], [], [], [], {}
    for m in range(1, args.modules + 1):
        provider = providers[m % len(providers)]
        release = TODAY - timedelta(days=rng.randint(30, 1000))
        modules.append(
            {
                "id": m, "title": f"Module {m:05d}", "summary": "", "description": "",
                "objectives": ["Apply it"], "keywords": [], "competencies": [],
                "outcome_levels": [], "format": "enduring_material", "delivery": "online",
                "estimated_minutes": 90, "release_date": release, "last_review_date": release,
                "termination_date": release + timedelta(days=3 * 365), "provider_id": provider,
                "owner_id": provider, "provider_activity_id": f"BENCH-{m:05d}",
                "faculty": [], "commercial_support": [], "status": "published", "version": 1,
                "version_changed_at": now, "published_at": now, "created_at": now,
                "updated_at": now,
            }
        )  # fmt: skip
        for s in rng.sample(SPECIALTIES, rng.randint(1, 2)):
            specialties.append({"module_id": m, "specialty": s})
        designations[m] = rng.choice(CREDIT_CHOICES)
        for credit_type, hundredths in designations[m]:
            credits.append(
                {"module_id": m, "credit_type": credit_type, "amount_hundredths": hundredths}
            )
        offers.append(
            {
                "id": m, "module_id": m, "name": "Annual", "pricing": "free", "price_cents": 0,
                "currency": "USD", "term_months": 12, "seat_limit": None, "co_branding": False,
                "modification": False, "active": True, "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
    insert_all(Module.__table__, modules)
    insert_all(ModuleSpecialty.__table__, specialties)
    insert_all(ModuleCredit.__table__, credits)
    insert_all(Offer.__table__, offers)

    licenses, pairs, approved = [], set(), []
    statuses = ["approved"] * 16 + ["revoked", "declined", "requested", "withdrawn"]
    while len(licenses) < args.licenses:
        module = rng.randint(1, args.modules)
        licensee = rng.choice(associations)
        status = rng.choice(statuses)
        if (module, licensee) in pairs:
            continue
        pairs.add((module, licensee))
        start = TODAY - timedelta(days=rng.randint(0, 3 * 365))
        decided = status in ("approved", "revoked")
        row = {
            "id": len(licenses) + 1, "module_id": module, "offer_id": module,
            "licensor_id": modules[module - 1]["provider_id"], "licensee_id": licensee,
            "status": status, "seats": None, "message": "", "decision_note": "",
            "start_date": start if decided else None,
            "end_date": start + timedelta(days=365) if decided else None,
            "terms": None, "requested_at": now, "created_at": now, "updated_at": now,
        }  # fmt: skip
        licenses.append(row)
        if decided and members_of[licensee]:
            approved.append(row)
    insert_all(License.__table__, licenses)

    completions, claims, seats, launches, taken = [], [], [], [], set()
    attempts = 0
    while len(completions) < args.completions and attempts < args.completions * 5:
        attempts += 1
        lic = rng.choice(approved)
        learner = rng.choice(members_of[lic["licensee_id"]])
        if (learner, lic["module_id"]) in taken:
            continue
        taken.add((learner, lic["module_id"]))
        day = lic["start_date"] + timedelta(days=rng.randint(0, 364))
        if day > TODAY:
            day = TODAY
        cid = len(completions) + 1
        fitting = PROFESSION_TYPES[professions[learner]]
        claimed = [
            {"completion_id": cid, "credit_type": credit_type, "amount_hundredths": hundredths}
            for credit_type, hundredths in designations[lic["module_id"]]
            if credit_type in fitting
        ]
        claims.extend(claimed)
        completions.append(
            {
                "id": cid, "certificate_number": f"EXC-B-{cid:08d}", "user_id": learner,
                "module_id": lic["module_id"], "module_version": 1, "license_id": lic["id"],
                "organization_id": lic["licensee_id"], "provider_id": lic["licensor_id"],
                "profession": professions[learner], "learner_name": f"Learner {learner}",
                "module_title": f"Module {lic['module_id']:05d}", "minutes_spent": 90,
                "credit_hundredths": sum(c["amount_hundredths"] for c in claimed),
                "completed_on": day, "completed_at": now,
            }
        )  # fmt: skip
        seats.append({"license_id": lic["id"], "user_id": learner, "created_at": now})
        launches.append(
            {"user_id": learner, "module_id": lic["module_id"], "license_id": lic["id"],
             "organization_id": lic["licensee_id"], "launched_at": now}
        )  # fmt: skip
    insert_all(Completion.__table__, completions)
    insert_all(CompletionCredit.__table__, claims)
    insert_all(LicenseSeat.__table__, seats)
    insert_all(ModuleLaunch.__table__, launches)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            # What autovacuum does soon after a bulk load: statistics, and the visibility
            # map that lets index-only scans skip the table.
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        _reset_sequences()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    print(
        f"Generated {args.organizations} organizations ({args.providers} providers), "
        f"{len(users)} people, {len(modules)} modules, {len(licenses)} licenses, "
        f"{len(completions)} completions ({len(claims)} credit claims) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    from collections import Counter

    busiest = Counter(c["provider_id"] for c in completions).most_common(1)[0][0]
    association = max(associations, key=lambda a: len(members_of[a]))
    return {"provider": busiest, "association": association, "first_learner": first_learner}


def _reused_ids() -> dict:
    """The busiest provider and the largest association of a database generated before."""
    from sqlalchemy import func, select

    from exchange.learning.models import Completion
    from exchange.organizations.models import Membership

    provider = db.session.scalar(
        select(Completion.provider_id)
        .group_by(Completion.provider_id)
        .order_by(func.count(Completion.id).desc())
        .limit(1)
    )
    association = db.session.scalar(
        select(Membership.organization_id)
        .where(Membership.role == "member")
        .group_by(Membership.organization_id)
        .order_by(func.count(Membership.id).desc())
        .limit(1)
    )
    print("Reusing the database generated before.")
    return {"provider": provider, "association": association}


def _reset_sequences() -> None:
    for table in ("organizations", "users", "memberships", "modules", "offers", "licenses",
                  "completions"):  # fmt: skip
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )  # fmt: skip
        )
    db.session.commit()


def _user(uid: int, profession: str, now) -> dict:
    return {
        "id": uid, "email": f"user{uid}@bench.test", "password_hash": "x",
        "full_name": f"User {uid}", "profession": profession, "is_platform_admin": False,
        "active": True, "created_at": now,
    }  # fmt: skip


def _membership(mid: int, uid: int, org: int, role: str, now) -> dict:
    return {"id": mid, "user_id": uid, "organization_id": org, "role": role, "created_at": now}


def measure(label: str, fn, runs: int) -> tuple[str, float, float]:
    fn()  # warm up (plans, caches)
    timings = []
    for _ in range(runs):
        db.session.expire_all()
        started = time.perf_counter()
        fn()
        timings.append((time.perf_counter() - started) * 1000)
        db.session.rollback()
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return label, statistics.median(timings), p95


def run(app, args, reuse: bool = False) -> list[tuple[str, float, float]]:
    from exchange.accounts.models import User
    from exchange.organizations.models import Membership, Organization
    from exchange.sharing import dashboards, reports
    from exchange.sharing.services import SharingFilters, sharing_network

    rng = random.Random(args.seed)
    with app.app_context():
        if reuse:
            ids = _reused_ids()
        else:
            ids = generate(args, rng)
            db.session.add(
                User(
                    email="admin@bench.test", password_hash="x", full_name="Bench Admin",
                    profession="other", is_platform_admin=True, active=True,
                )
            )  # fmt: skip
            db.session.commit()
        admin_id = db.session.scalar(db.select(User.id).where(User.email == "admin@bench.test"))
        provider_id, association_id = ids["provider"], ids["association"]
        staff_of = {
            org: db.session.scalar(
                db.select(Membership.user_id).where(
                    Membership.organization_id == org, Membership.role == "staff"
                )
            )
            for org in (provider_id, association_id)
        }
        results = []
        year = TODAY.year

        def user(uid):
            return db.session.get(User, uid)

        def org(oid):
            return db.session.get(Organization, oid)

        def page(uid, **filters):
            """What the sharing page asks for: a page of 50 links, the 40 strongest for
            the picture, the totals."""
            return sharing_network(
                user(uid), SharingFilters(**filters), page=1, per_page=50, picture=40
            )

        cases = [
            ("sharing page, platform admin (all links)",
             lambda: page(admin_id)),
            ("sharing page, admin, credit type ANCC",
             lambda: page(admin_id, credit_type="ancc")),
            ("sharing page, admin, active only + specialty",
             lambda: page(admin_id, active_only=True, specialty="cardiology")),
            ("sharing page, admin, last 12 months",
             lambda: page(admin_id, since=TODAY - timedelta(days=365), until=TODAY)),
            ("sharing page, provider staff",
             lambda: page(staff_of[provider_id])),
            ("sharing page, association staff",
             lambda: page(staff_of[association_id])),
            ("provider dashboard",
             lambda: dashboards.provider_dashboard(user(staff_of[provider_id]),
                                                   org(provider_id))),
            ("association dashboard",
             lambda: dashboards.association_dashboard(user(staff_of[association_id]),
                                                      org(association_id))),
            ("PARS report, one year",
             lambda: reports.learner_counts(user(staff_of[provider_id]), org(provider_id), year)),
            ("PARS report, all years",
             lambda: reports.learner_counts(user(staff_of[provider_id]), org(provider_id))),
        ]  # fmt: skip
        for label, fn in cases:
            results.append(measure(label, fn, args.runs))
        return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="a PostgreSQL URL; a scratch database is made beside it")
    parser.add_argument("--organizations", type=int, default=500)
    parser.add_argument("--providers", type=int, default=50)
    parser.add_argument("--learners", type=int, default=60000)
    parser.add_argument("--modules", type=int, default=20000)
    parser.add_argument("--licenses", type=int, default=30000)
    parser.add_argument("--completions", type=int, default=300000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--scratch", type=Path, help="SQLite only: keep the database in this folder and reuse it"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="PostgreSQL only: keep the scratch database and reuse it",
    )
    args = parser.parse_args()

    from flask_migrate import upgrade

    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench-sharing-"))
    scratch.mkdir(parents=True, exist_ok=True)
    reuse = bool(args.scratch and (scratch / "bench.db").exists() and not args.database)
    server = None
    if args.database:
        name = "exchange_bench_sharing"
        server = create_engine(normalize_database_url(args.database), isolation_level="AUTOCOMMIT")
        with server.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).scalar()
            reuse = bool(args.keep and exists)
            if not reuse:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                connection.execute(text(f"CREATE DATABASE {name}"))
        url = args.database.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{scratch / 'bench.db'}"
    app = create_app(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": str(scratch / "index"),
            "UPLOAD_DIR": str(scratch / "uploads"),
        }
    )
    with app.app_context():
        upgrade()
    gc.freeze()  # as wsgi.py does after start-up
    try:
        results = run(app, args, reuse)
    finally:
        with app.app_context():
            db.engine.dispose()
        if server is not None and not args.keep:
            with server.connect() as connection:
                connection.execute(
                    text("DROP DATABASE IF EXISTS exchange_bench_sharing WITH (FORCE)")
                )
        if server is not None:
            server.dispose()
    engine = "PostgreSQL" if args.database else "SQLite"
    print(f"\n{engine}, {args.runs} runs each (target: p95 <= 300 ms)")
    print(f"{'measurement':<48} {'p50 ms':>8} {'p95 ms':>8}")
    for label, p50, p95 in results:
        flag = "" if p95 <= 300 else "  OVER"
        print(f"{label:<48} {p50:>8.1f} {p95:>8.1f}{flag}")


if __name__ == "__main__":
    main()
