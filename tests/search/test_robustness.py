"""Out-of-order writes, concurrent rebuilds, stale entries, hook failures, paging and the
spelling rules: the hard cases of keeping search honest."""

from __future__ import annotations

import os
import threading
import time

import numpy as np
from sqlalchemy import select

from exchange.catalog.models import Module
from exchange.database import commit, today
from exchange.extensions import db
from exchange.organizations import services as organizations
from exchange.search import indexing
from exchange.search.documents import RECORD, module_document, new_seq, tombstone_document
from exchange.search.indexing import get_index
from exchange.search.models import SearchEvent
from exchange.search.query import thread_analyzer
from exchange.search.scoring import PostingCache
from exchange.search.services import search_catalog
from tests.factories import auth, make_module, make_provider, platform_admin, staff_of


def found(q: str, **params) -> list[int]:
    page = search_catalog(None, {"q": q, "page": 1, "per_page": 100, **params}, record=False)
    return [m.id for m in page.items]


def indexed_title_words(module_id: int) -> str:
    searcher = get_index().searcher()
    return " ".join(sorted(t.decode() for t in searcher.reader().lexicon("title")))


def test_an_older_document_never_replaces_a_newer_one():
    provider = make_provider("accme")
    module = make_module(provider, status="published", title="Kestrel Alpha")
    old = module_document(module, new_seq())
    module.title = "Kestrel Beta"
    commit()
    newer = module_document(module, new_seq())
    index = get_index()
    assert index.apply([newer]) == 1
    assert index.apply([old]) == 0  # arrived late: skipped
    assert found("beta") == [module.id] and found("alpha") == []


def test_a_late_write_cannot_bring_back_a_deleted_module():
    provider = make_provider("accme")
    module = make_module(provider, title="Plover Draft")
    stale = module_document(module, new_seq())
    get_index().apply([tombstone_document(module.id, new_seq())])
    get_index().apply([stale])
    assert module.id not in get_index().indexed_digests()


def test_rebuilders_wait_for_each_other_and_keep_unfinished_folders(app, tmp_path):
    index = get_index()
    unfinished = index.root / "index-00000000000000-1-1"
    unfinished.mkdir(parents=True)
    old = os.path.getmtime(unfinished) - 3600
    os.utime(unfinished, (old, old))
    order: list[str] = []

    def rebuild(label: str) -> None:
        with index.rebuild_lock():
            order.append(f"{label} in")
            time.sleep(0.2)
            order.append(f"{label} out")

    threads = [threading.Thread(target=rebuild, args=(n,)) for n in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])
    index.rebuild([], total=0)
    index.rebuild([], total=0)
    assert unfinished.exists()  # no layout.json: maybe another process is building it
    assert indexing.rebuild_index(only_if_missing=True) == 0  # a usable index is in place


def test_accreditation_changes_touch_the_providers_modules():
    provider = make_provider("accme")
    module = make_module(provider, status="published")
    before = module.updated_at
    time.sleep(0.01)
    organizations.set_accreditation(
        platform_admin(),
        provider,
        {"kind": "provider", "accreditor": "accme", "accredited_until": today()},
    )
    commit()
    db.session.refresh(module)
    assert module.updated_at > before


def test_stale_index_entries_are_checked_against_the_database():
    provider = make_provider("accme")
    module = make_module(provider, status="published", title="Avocet Module")
    # The database changes behind the index's back (a lost write, say).
    db.session.execute(db.update(Module).where(Module.id == module.id).values(status="draft"))
    db.session.commit()
    assert found("avocet") == []
    assert module.id in get_index().indexed_digests()


def test_a_failing_after_commit_step_does_not_fail_the_request(client, monkeypatch, caplog):
    provider = make_provider("accme")

    def broken(outbox_ids):
        raise RuntimeError("database went away")

    monkeypatch.setattr(indexing, "_forget", broken)
    response = client.post(
        "/api/v1/modules",
        json={"title": "Still saved", "owner_id": provider.id},
        headers=auth(staff_of(provider)),
    )
    assert response.status_code == 201
    assert "After-commit work failed." in caplog.text
    assert db.session.get(Module, response.get_json()["id"]) is not None


def test_credit_facets_respect_the_credit_range():
    provider = make_provider("joint")
    make_module(
        provider,
        status="published",
        estimated_minutes=120,
        credits=[
            {"credit_type": "ama_pra_1", "amount": "2"},
            {"credit_type": "ancc", "amount": "0.5"},
        ],
    )
    make_module(
        provider,
        status="published",
        estimated_minutes=120,
        credits=[{"credit_type": "ancc", "amount": "2"}],
    )
    page = search_catalog(
        None,
        {"credit_type": ["ama_pra_1"], "min_credits": 1, "page": 1, "per_page": 20},
        record=False,
    )
    counts = {f.value: f.count for f in page.facets["credit_type"]}
    assert counts == {"ama_pra_1": 1, "ancc": 1}  # only the ANCC designation of 2 is in range
    both = search_catalog(
        None,
        {"credit_type": ["ama_pra_1", "ancc"], "min_credits": 1, "page": 1, "per_page": 20},
        record=False,
    )
    assert both.total == 2
    no_type = search_catalog(None, {"max_credits": 1, "page": 1, "per_page": 20}, record=False)
    assert no_type.total == 1  # any designation within the range, as the SQL listing


def test_pages_never_overlap():
    provider = make_provider("accme")
    for n in range(40):
        make_module(
            provider,
            status="published",
            title=f"Gout {'flare ' * (n % 5)}care {n}",
            summary="Gout management." if n % 2 else "Flare care.",
        )
    seen: list[int] = []
    for page in range(1, 7):
        ids = [
            m.id
            for m in search_catalog(
                None, {"q": "gout flare", "page": page, "per_page": 7}, record=False
            ).items
        ]
        seen += ids
    total = search_catalog(None, {"q": "gout flare", "page": 1, "per_page": 7}, record=False).total
    assert total == 36  # 4 of them have "flare" nowhere
    assert len(seen) == len(set(seen)) == total


def test_only_common_words_browse_the_catalog(client):
    provider = make_provider("accme")
    make_module(provider, status="published")
    assert client.get("/api/v1/modules?q=the+of+and").get_json()["total"] == 1


def test_page_past_the_end_goes_to_the_last_page(client):
    provider = make_provider("accme")
    make_module(provider, status="published", title="Heron study")
    response = client.get("/catalog?q=heron&page=9")
    assert response.status_code == 302 and response.headers["Location"].endswith("page=1")
    assert client.get("/api/v1/modules?page=200&per_page=100").status_code == 422


def test_the_log_keeps_what_the_typed_query_found(client):
    provider = make_provider("accme")
    make_module(provider, status="published", title="Pneumonia care")
    client.get("/api/v1/modules?q=pnuemonia")
    event = db.session.scalars(select(SearchEvent)).one()
    assert (event.query, event.result_count, event.suggestion) == ("pnuemonia", 0, "pneumonia")


def test_short_words_are_not_stemmed_and_names_lose_their_degrees():
    assert [t.text for t in thread_analyzer()("RAS RA labs")] == ["ras", "ra", "lab"]
    provider = make_provider("accme")
    module = make_module(
        provider, faculty=[{"name": "Hiro Sato, PharmD, MS", "role": "Faculty", "disclosures": []}]
    )
    assert "MS" not in module_document(module, 1)["people"]


def test_analyzers_are_per_thread():
    mine = thread_analyzer()
    other: list = []
    thread = threading.Thread(target=lambda: other.append(thread_analyzer()))
    thread.start()
    thread.join()
    assert mine is thread_analyzer() and other[0] is not mine


def test_posting_cache_counts_each_entry_once():
    cache = PostingCache()
    calls = []

    def read():
        calls.append(1)
        return np.arange(10, dtype=np.int32), np.ones(10, dtype=np.float32)

    cache._cached(("s", "f", "t"), read)
    cache._cached(("s", "f", "t"), read)
    assert len(calls) == 1 and cache._bytes == 80
    cache.forget_segments(set())
    assert cache._bytes == 0


def test_record_layout_holds_the_sequence():
    assert "seq" in RECORD.names
