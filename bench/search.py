"""Benchmark of catalog search: N realistic modules, the index build, a fixed query mix
through the same search service the API uses, and SQLite FTS5 over the same text as a floor.

    .venv/bin/python bench/search.py --n 10000
    .venv/bin/python bench/search.py --n 100000 --procs 2

Everything lives in a scratch folder (a SQLite database, the Whoosh index, an FTS5 table);
nothing touches instance/. Modules come from seed/synthetic.py (the demo catalog's own
words, recombined) and are bulk-inserted: this measures search, not data entry.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from exchange import create_app  # noqa: E402
from exchange.catalog.models import (  # noqa: E402
    Module,
    ModuleCredit,
    ModuleProfession,
    ModuleSpecialty,
)
from exchange.extensions import db  # noqa: E402

QUERY_KINDS = (
    "one word",
    "two words",
    "three words",
    "phrase",
    "abbreviation",
    "misspelling",
    "with facets",
    "browse + facets",
)
ONE_WORDS = [
    "diabetes",
    "hypertension",
    "sepsis",
    "asthma",
    "pneumonia",
    "opioid",
    "vaccine",
    "anticoagulation",
    "insulin",
    "dementia",
    "stroke",
    "depression",
    "pain",
    "screening",
    "heart",
    "kidney",
    "cancer",
    "pregnancy",
    "antibiotic",
    "delirium",
    "obesity",
    "falls",
    "telehealth",
    "naloxone",
    "burnout",
]
TWO_WORDS = [
    "heart failure",
    "atrial fibrillation",
    "chronic kidney",
    "opioid use",
    "blood pressure",
    "pulmonary rehabilitation",
    "wound care",
    "antibiotic stewardship",
    "insulin therapy",
    "diabetic foot",
    "sleep apnea",
    "lung cancer",
    "hospital discharge",
    "pediatric asthma",
    "care transitions",
    "weight management",
    "pain management",
    "fall prevention",
    "medication safety",
    "sepsis bundle",
]
THREE_WORDS = [
    "heart failure readmission",
    "type 2 diabetes",
    "chronic kidney disease",
    "opioid use disorder",
    "community acquired pneumonia",
    "atrial fibrillation anticoagulation",
    "adult vaccine schedules",
    "acute kidney injury",
    "primary care screening",
    "emergency department sepsis",
]
PHRASES = [
    '"heart failure"',
    '"primary care"',
    '"shared decision making"',
    '"blood pressure"',
    '"type 2 diabetes"',
    '"opioid use disorder"',
]
ABBREVIATIONS = [
    "COPD",
    "CKD",
    "AF",
    "MI",
    "DKA",
    "HFrEF",
    "PrEP",
    "OUD",
    "GERD",
    "UTI",
    "ACS",
    "CHF",
    "TBI",
    "PE",
    "DVT",
    "SGLT2",
    "HbA1c",
    "ECG",
    "ED",
    "ICU",
]
MISSPELLINGS = [
    "diabtes",
    "pnuemonia",
    "hypertensoin",
    "anticoagualtion",
    "sepssi",
    "asthama",
    "demnetia",
    "vacine",
    "insluin",
    "opiod",
    "stroek",
    "depresion",
]
FACETS = [
    {"specialty": ["cardiology"]},
    {"profession": ["nurse"]},
    {"credit_type": ["ama_pra_1"]},
    {"specialty": ["family_medicine"], "profession": ["physician"]},
    {"credit_type": ["ancc"], "profession": ["nurse"]},
    {"format": ["enduring_material"]},
    {"specialty": ["infectious_disease"], "credit_type": ["ama_pra_1"]},
    {"min_credits": 1, "max_credits": 2},
]


def query_mix(seed: int = 7) -> list[tuple[str, dict]]:
    """A fixed mix of 240 searches: (kind, parameters)."""
    rng = random.Random(seed)
    mix: list[tuple[str, dict]] = []
    mix += [("one word", {"q": w}) for w in ONE_WORDS + rng.sample(ONE_WORDS, 5)]
    mix += [("two words", {"q": w}) for w in TWO_WORDS + rng.sample(TWO_WORDS, 10)]
    mix += [("three words", {"q": w}) for w in THREE_WORDS * 3]
    mix += [("phrase", {"q": w}) for w in PHRASES * 3]
    mix += [("abbreviation", {"q": w}) for w in ABBREVIATIONS + rng.sample(ABBREVIATIONS, 10)]
    mix += [("misspelling", {"q": w}) for w in MISSPELLINGS * 2]
    for _ in range(40):
        mix.append(("with facets", {"q": rng.choice(ONE_WORDS + TWO_WORDS), **rng.choice(FACETS)}))
    for _ in range(24):
        mix.append(
            (
                "browse + facets",
                {**rng.choice(FACETS), "sort": rng.choice(["newest", "title", "credits"])},
            )
        )
    rng.shuffle(mix)
    return mix


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def bulk_insert(n: int) -> int:
    """N synthetic published modules, inserted with executemany (demo orgs as providers)."""
    from exchange.organizations.models import Organization
    from exchange.vocab import CREDIT_TYPES  # noqa: F401  (documents the vocabulary used)
    from seed.synthetic import synthetic_modules

    providers = list(
        db.session.scalars(
            select(Organization).where(Organization.accredited_clause(datetime.now(UTC).date()))
        )
    )
    next_id = (db.session.scalar(select(db.func.max(Module.id))) or 0) + 1
    now = datetime.now(UTC)
    modules, professions, specialties, credits = [], [], [], []
    for offset, data in enumerate(synthetic_modules(n, providers, seed=n)):
        module_id = next_id + offset
        modules.append(
            {
                "id": module_id,
                "title": data["title"],
                "summary": data["summary"],
                "description": data["description"],
                "objectives": data["objectives"],
                "keywords": data["keywords"],
                "competencies": data["competencies"],
                "outcome_levels": data["outcome_levels"],
                "format": data["format"],
                "delivery": data["delivery"],
                "estimated_minutes": data["estimated_minutes"],
                "release_date": datetime.fromisoformat(data["release_date"]).date(),
                "last_review_date": datetime.fromisoformat(data["last_review_date"]).date(),
                "termination_date": datetime.fromisoformat(data["termination_date"]).date(),
                "provider_id": data["provider_id"],
                "owner_id": data["owner_id"],
                "provider_activity_id": data["provider_activity_id"],
                "content_url": data["content_url"],
                "faculty": data["faculty"],
                "commercial_support": [],
                "status": "published",
                "version": 1,
                "version_changed_at": now,
                "published_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
        professions += [{"module_id": module_id, "profession": p} for p in data["professions"]]
        specialties += [{"module_id": module_id, "specialty": s} for s in data["specialties"]]
        credits += [
            {
                "module_id": module_id,
                "credit_type": c["credit_type"],
                "amount_hundredths": int(float(c["amount"]) * 100),
                "uan": c.get("uan"),
            }
            for c in data["credits"]
        ]
    for model, rows in (
        (Module, modules),
        (ModuleProfession, professions),
        (ModuleSpecialty, specialties),
        (ModuleCredit, credits),
    ):
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(model), rows[start : start + 5000])
    db.session.commit()
    return len(modules)


def build_fts5(path: Path) -> sqlite3.Connection:
    """The same indexed text in an FTS5 table, weighted like the Whoosh fields."""
    from exchange.search.indexing import iter_documents

    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, tags, body, people, tokenize='porter unicode61')"
    )
    rows = (
        (int(d["key"]), d["title"], d["tags"], d["body"], d["people"]) for d in iter_documents()
    )
    connection.executemany(
        "INSERT INTO docs(rowid, title, tags, body, people) VALUES (?,?,?,?,?)", rows
    )
    connection.commit()
    return connection


def fts5_query(text: str) -> str:
    words = [w for w in "".join(c if c.isalnum() or c in ' "' else " " for c in text).split()]
    if text.startswith('"'):
        return text
    return " AND ".join(f'"{w}"' for w in words)


def time_it(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--n", type=int, default=10_000, help="synthetic modules (the demo's 204 come on top)"
    )
    parser.add_argument("--procs", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--scratch", type=Path, help="use (and keep) this folder")
    args = parser.parse_args()

    if args.scratch:
        shutil.rmtree(args.scratch, ignore_errors=True)
        args.scratch.mkdir(parents=True)
        args.keep = True
    scratch = args.scratch or Path(tempfile.mkdtemp(prefix="bench-search-"))
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{scratch / 'bench.db'}",
            "SECRET_KEY": "bench",
            "SEARCH_INDEX_DIR": str(scratch / "index"),
            "UPLOAD_DIR": str(scratch / "uploads"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    from flask_migrate import upgrade

    from exchange.search.backend import SearchRequest
    from exchange.search.engine import SearchEngine
    from exchange.search.indexing import get_index, rebuild_index
    from exchange.search.services import search_catalog
    from seed.loader import load_demo

    with app.app_context():
        print(f"Scratch folder: {scratch}")
        upgrade()
        load_demo()
        started = time.perf_counter()
        inserted = bulk_insert(args.n)
        total = db.session.scalar(select(db.func.count(Module.id)))
        print(
            f"Inserted {inserted} synthetic modules in {time.perf_counter() - started:.1f} s ({total} in all)"
        )

        started = time.perf_counter()
        indexed = rebuild_index(procs=args.procs)
        build_seconds = time.perf_counter() - started
        index_bytes = sum(f.stat().st_size for f in (scratch / "index").rglob("*") if f.is_file())
        print(
            f"Index build: {indexed} modules in {build_seconds:.1f} s = {indexed / build_seconds:.0f} modules/s "
            f"(procs={args.procs}); size {index_bytes / 1e6:.1f} MB"
        )

        started = time.perf_counter()
        fts = build_fts5(scratch / "fts5.db")
        print(f"FTS5 build: {time.perf_counter() - started:.1f} s")

        mix = query_mix()
        for _, params in mix[:20]:  # warm caches (analyzers, segment records, SQLite pages)
            search_catalog(None, {"page": 1, "per_page": 20, **params}, record=False)

        full: dict[str, list[float]] = defaultdict(list)
        for kind, params in mix:
            full[kind].append(
                time_it(
                    lambda p=params: search_catalog(
                        None, {"page": 1, "per_page": 20, **p}, record=False
                    )
                )
            )

        # Ranked top-10 + total count, our Whoosh engine vs FTS5, on the same text queries
        # (the engine also counts facets; no SQL, no highlights, no spelling).
        engine = SearchEngine(get_index())
        ranked_whoosh, ranked_fts, ranked_cold = [], [], []
        text_queries = [p["q"] for kind, p in mix if p.get("q") and kind not in ("misspelling",)]
        for text in text_queries:
            request = SearchRequest(text=text, per_page=10, available_only=False)
            ranked_whoosh.append(
                time_it(lambda r=request: engine.search(r, allow_suggestion=False))
            )
            match = fts5_query(text)

            def fts_top10(m=match):
                fts.execute(
                    "SELECT rowid FROM docs WHERE docs MATCH ? ORDER BY bm25(docs, 6, 2.5, 1, 1.5) LIMIT 10",
                    (m,),
                ).fetchall()
                fts.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (m,)).fetchone()

            ranked_fts.append(time_it(fts_top10))

        # The same with no posting list cached (each term's first search in a process).
        for text in text_queries:
            get_index().postings.forget_segments(set())
            request = SearchRequest(text=text, per_page=10, available_only=False)
            ranked_cold.append(time_it(lambda r=request: engine.search(r, allow_suggestion=False)))

        # A module published on this index: how long until a search finds it.
        from exchange.catalog import services as catalog
        from exchange.catalog.schemas import ModuleInputSchema
        from exchange.database import transaction
        from seed.loader import _staff_of
        from tests.factories import module_input

        provider = db.session.get(Module, 1).provider
        data = ModuleInputSchema().load(
            module_input(provider, provider, title="Benchmark Quokka Module")
        )
        started = time.perf_counter()
        with transaction():
            module = catalog.create_module(_staff_of(provider), data)
            catalog.publish_module(_staff_of(provider), module)
        while not search_catalog(
            None, {"q": "quokka", "page": 1, "per_page": 5}, record=False
        ).total:
            if time.perf_counter() - started > 30:
                break
        visible_after = time.perf_counter() - started

    all_full = [v for values in full.values() for v in values]
    print()
    print(
        f"N = {total} modules; {len(mix)} searches through search_catalog (facets, highlights, SQL page)"
    )
    print(f"{'query kind':<18}{'count':>6}{'p50 ms':>9}{'p95 ms':>9}")
    for kind in QUERY_KINDS:
        values = full[kind]
        print(
            f"{kind:<18}{len(values):>6}{statistics.median(values):>9.1f}{percentile(values, 95):>9.1f}"
        )
    print(
        f"{'all':<18}{len(all_full):>6}{statistics.median(all_full):>9.1f}{percentile(all_full, 95):>9.1f}"
    )
    print()
    w50, w95 = statistics.median(ranked_whoosh), percentile(ranked_whoosh, 95)
    f50, f95 = statistics.median(ranked_fts), percentile(ranked_fts, 95)
    print(f"Ranked top-10 + total count over {len(ranked_whoosh)} text queries:")
    print(f"  Whoosh  p50 {w50:.1f} ms  p95 {w95:.1f} ms")
    print(f"  FTS5    p50 {f50:.1f} ms  p95 {f95:.1f} ms")
    print(f"  ratio   p50 {w50 / f50:.2f}x  p95 {w95 / f95:.2f}x")
    c50, c95 = statistics.median(ranked_cold), percentile(ranked_cold, 95)
    print(f"  Whoosh, nothing cached: p50 {c50:.1f} ms  p95 {c95:.1f} ms")
    print()
    print(
        f"Published module searchable after {visible_after * 1000:.0f} ms (commit + index + first search)"
    )
    print(f"Build rate {indexed / build_seconds:.0f} modules/s; index {index_bytes / 1e6:.1f} MB")
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
