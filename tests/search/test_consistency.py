"""The index always agrees with the database: after any sequence of catalog changes, after
rollbacks, failed index writes, lock waits, and a missing or damaged index."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import func, select

from exchange.catalog import services
from exchange.catalog.models import Module
from exchange.catalog.schemas import ModuleInputSchema
from exchange.database import transaction
from exchange.extensions import db
from exchange.search import indexing
from exchange.search.documents import new_seq, tombstone_document
from exchange.search.indexing import get_index, verify_index
from exchange.search.models import SearchOutbox
from exchange.search.services import search_catalog
from tests.factories import make_module, make_org, make_provider, module_input, staff_of


def indexed_ids() -> set[int]:
    return set(get_index().indexed_digests())


def database_ids() -> set[int]:
    return set(db.session.scalars(select(Module.id)))


def assert_in_step() -> None:
    result = verify_index()
    assert result.clean, (result.missing, result.stale, result.extra)
    assert indexed_ids() == database_ids()


def found(title_word: str, actor=None, **params) -> set[int]:
    page = search_catalog(
        actor, {"q": title_word, "page": 1, "per_page": 100, **params}, record=False
    )
    return {m.id for m in page.items}


class CatalogChanges(RuleBasedStateMachine):
    """Random create / edit / publish / retire / delete / failed-change sequences."""

    def __init__(self):
        super().__init__()
        self.counter = 0

    @initialize()
    def organizations(self):
        self.association = make_org("association")
        self.provider = make_provider("accme")
        self.modules: dict[int, str] = {}  # id -> the unique word in its title

    def _word(self) -> str:
        self.counter += 1
        return f"zebra{self.counter:04d}x"

    @rule(owned_by_provider=st.booleans())
    def create(self, owned_by_provider):
        owner = self.provider if owned_by_provider else self.association
        word = self._word()
        data = ModuleInputSchema().load(module_input(owner, self.provider, title=f"Module {word}"))
        with transaction():
            module = services.create_module(staff_of(owner), data)
        self.modules[module.id] = word

    def _pick(self, data, *statuses):
        candidates = sorted(
            db.session.scalars(
                select(Module.id).where(Module.id.in_(self.modules), Module.status.in_(statuses))
            )
        )
        return data.draw(st.sampled_from(candidates)) if candidates else None

    @precondition(lambda self: getattr(self, "modules", None))
    @rule(data=st.data())
    def edit(self, data):
        module_id = self._pick(data, "draft", "published")
        if module_id is None:
            return
        word = self._word()
        module = db.session.get(Module, module_id)
        with transaction():
            services.update_module(staff_of(self.provider), module, {"title": f"Edited {word}"})
        self.modules[module_id] = word

    @precondition(lambda self: getattr(self, "modules", None))
    @rule(data=st.data())
    def publish(self, data):
        module_id = self._pick(data, "draft")
        if module_id is not None:
            with transaction():
                services.publish_module(staff_of(self.provider), db.session.get(Module, module_id))

    @precondition(lambda self: getattr(self, "modules", None))
    @rule(data=st.data())
    def retire(self, data):
        module_id = self._pick(data, "published")
        if module_id is not None:
            with transaction():
                services.retire_module(staff_of(self.provider), db.session.get(Module, module_id))

    @precondition(lambda self: getattr(self, "modules", None))
    @rule(data=st.data())
    def delete(self, data):
        module_id = self._pick(data, "draft")
        if module_id is not None:
            with transaction():
                services.delete_module(staff_of(self.provider), db.session.get(Module, module_id))
            self.modules.pop(module_id)

    @precondition(lambda self: getattr(self, "modules", None))
    @rule(data=st.data())
    def failed_change(self, data):
        """A change that fails half-way is rolled back, and indexes nothing."""
        module_id = self._pick(data, "draft", "published")
        if module_id is None:
            return
        module = db.session.get(Module, module_id)
        with pytest.raises(RuntimeError), transaction():
            services.update_module(staff_of(self.provider), module, {"title": "Never indexed"})
            raise RuntimeError("the request failed after the change")
        assert found("Never") == set()

    @invariant()
    def index_matches_database(self):
        if not hasattr(self, "provider"):
            return
        assert_in_step()
        assert db.session.scalar(select(func.count(SearchOutbox.id))) == 0
        published = set(
            db.session.scalars(
                select(Module.id).where(Module.id.in_(self.modules), Module.status == "published")
            )
        )
        for module_id, word in self.modules.items():
            visible = found(word)
            assert (module_id in visible) == (module_id in published), (module_id, word)


def test_index_stays_in_step_through_random_changes(app):
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        CatalogChanges,
        settings=settings(
            max_examples=12,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )


def test_rollback_indexes_nothing():
    provider = make_provider("accme")
    before = indexed_ids()
    with pytest.raises(RuntimeError), transaction():
        services.create_module(
            staff_of(provider), ModuleInputSchema().load(module_input(provider, provider))
        )
        raise RuntimeError("boom")
    assert indexed_ids() == before
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == 0


def test_failed_index_write_keeps_the_request_and_the_repair(client, monkeypatch, caplog):
    from whoosh.index import LockError

    from tests.factories import auth

    provider = make_provider("accme")
    original = type(get_index()).apply

    def locked(self, *args, **kwargs):
        raise LockError("held by another process")

    monkeypatch.setattr(type(get_index()), "apply", locked)
    response = client.post(
        "/api/v1/modules", json=module_input(provider, provider), headers=auth(staff_of(provider))
    )
    assert response.status_code == 201
    module_id = response.get_json()["id"]
    assert "left in the outbox for repair" in caplog.text
    assert db.session.scalar(select(SearchOutbox.module_id)) == module_id
    assert module_id in verify_index().missing
    monkeypatch.setattr(type(get_index()), "apply", original)
    assert indexing.drain_outbox() == 1
    assert_in_step()
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == 0


def test_verify_repair_fixes_every_difference(app):
    provider = make_provider("accme")
    kept = make_module(provider, status="published")
    stale = make_module(provider, status="published")
    gone = make_module(provider)
    index = get_index()
    # Damage the index behind the database's back.
    index.apply([tombstone_document(kept.id, new_seq())])
    db.session.execute(
        db.update(Module).where(Module.id == stale.id).values(title="Changed quietly")
    )
    db.session.execute(db.delete(Module).where(Module.id == gone.id))
    db.session.commit()
    result = verify_index()
    assert (result.missing, result.stale, result.extra) == ([kept.id], [stale.id], [gone.id])
    runner = app.test_cli_runner()
    report = runner.invoke(args=["search", "verify"])
    assert report.exit_code == 1 and "Missing from the index: 1" in report.output
    repaired = runner.invoke(args=["search", "verify", "--repair"])
    assert repaired.exit_code == 0, repaired.output
    assert_in_step()


def test_writer_waits_for_the_lock(app):
    provider = make_provider("accme")
    index = get_index()
    held = index._open().writer()  # another process's writer, say
    release = threading.Timer(0.5, held.cancel)
    release.start()
    started = time.perf_counter()
    module = make_module(provider, status="published")  # its commit waits, then indexes
    waited = time.perf_counter() - started
    release.join()
    assert waited >= 0.4
    assert module.id in indexed_ids()


def test_lock_timeout_leaves_the_change_in_the_outbox(app):
    provider = make_provider("accme")
    index = get_index()
    index.write_timeout = 0.2
    held = index._open().writer()
    try:
        module = make_module(provider)
        assert module.id not in indexed_ids()
        assert db.session.scalar(select(SearchOutbox.module_id)) == module.id
    finally:
        held.cancel()
        index.write_timeout = 10.0
    assert indexing.drain_outbox() == 1
    assert_in_step()


def test_readers_see_commits_made_elsewhere(app):
    from exchange.search.whoosh_index import CatalogIndex

    provider = make_provider("accme")
    module = make_module(provider, status="published", title="Kestrel Ambulatory Care")
    assert found("Kestrel") == {module.id}
    other_process = CatalogIndex(app.config["SEARCH_INDEX_DIR"])
    other_process.apply([tombstone_document(module.id, new_seq())])
    assert found("Kestrel") == set()  # no restart needed


def test_missing_index_is_rebuilt_on_first_search(app):
    import shutil
    from pathlib import Path

    provider = make_provider("accme")
    module = make_module(provider, status="published", title="Osprey Wound Care")
    shutil.rmtree(Path(app.config["SEARCH_INDEX_DIR"]))
    assert found("Osprey") == {module.id}


# Whoosh leaves the damaged file open when its table of contents fails to parse.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_damaged_index_is_rebuilt_not_a_crash(app, client):
    from pathlib import Path

    provider = make_provider("accme")
    module = make_module(provider, status="published", title="Heron Sleep Medicine")
    root = Path(app.config["SEARCH_INDEX_DIR"])
    folder = root / (root / "CURRENT").read_text().strip()
    for toc in folder.glob("_MAIN_*.toc"):
        toc.write_bytes(b"garbage")
    app.extensions["catalog_indexes"].clear()  # as a freshly started process
    response = client.get("/api/v1/modules?q=Heron")
    assert response.status_code == 200
    assert [i["id"] for i in response.get_json()["items"]] == [module.id]


def test_reindex_command(app):
    provider = make_provider("accme")
    modules = [make_module(provider, status="published") for _ in range(3)]
    result = app.test_cli_runner().invoke(args=["search", "reindex", "--procs", "1"])
    assert result.exit_code == 0, result.output
    assert "Indexed 3 modules" in result.output
    assert indexed_ids() == {m.id for m in modules}
    again = app.test_cli_runner().invoke(args=["search", "reindex", "--if-missing"])
    assert "in place" in again.output
