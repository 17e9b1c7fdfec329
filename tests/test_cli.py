"""Command-line tasks: create-admin and the demo seed (through the services, idempotent)."""

from __future__ import annotations

from exchange.accounts import services as accounts
from exchange.catalog.models import Module
from exchange.database import today
from exchange.extensions import db
from exchange.learning.models import Completion
from exchange.licensing.models import License
from exchange.organizations.models import Organization


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["create-admin", "--email", "Boss@Example.test", "--password", "a very good password"]
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user_by_email("boss@example.test")
    assert user.is_platform_admin and user.check_password("a very good password")
    again = runner.invoke(
        args=["create-admin", "--email", "boss@example.test", "--password", "another good password"]
    )
    assert again.exit_code == 0
    assert accounts.find_user_by_email("boss@example.test").check_password("another good password")


def test_create_admin_rejects_bad_input(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "--email", "nope", "--password", "short"])
    assert result.exit_code == 2
    assert "email:" in result.output and "password:" in result.output


def test_seed_loads_demo_data_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "204 modules" in result.output and "completions added" in result.output
    accounts_output = runner.invoke(args=["demo-accounts"]).output
    assert "admin@exchange.example" in accounts_output and "exchange-demo-2026" in accounts_output
    organizations = db.session.scalar(db.select(db.func.count(Organization.id)))
    published = db.session.scalar(
        db.select(db.func.count(Module.id)).where(Module.status == "published")
    )
    specialties = db.session.scalar(
        db.text("SELECT count(DISTINCT specialty) FROM module_specialties")
    )
    kinds = set(db.session.scalars(db.select(Organization.kind)))
    assert organizations >= 12 and published >= 150 and specialties >= 15
    assert kinds == {"association", "provider", "both"}
    assert (
        db.session.scalar(db.select(Organization.id).where(Organization.is_ineligible_company))
        is not None
    )
    states = {lic.state_on(today()) for lic in db.session.scalars(db.select(License))}
    assert states >= {"active", "requested", "declined", "withdrawn", "revoked", "expired"}
    assert db.session.scalar(db.select(db.func.count(Completion.id))) >= 5
    statuses = set(db.session.scalars(db.select(Module.status)))
    assert statuses == {"draft", "published", "retired"}
    professions = set(
        db.session.scalars(db.text("SELECT DISTINCT profession FROM module_professions"))
    )
    assert professions == {"physician", "nurse", "pharmacist", "physician_assistant", "other"}

    modules_before = db.session.scalar(db.select(db.func.count(Module.id)))
    again = runner.invoke(args=["seed"])
    assert again.exit_code == 0, again.output
    assert (
        "0 organizations, 0 people, 0 modules, 0 offers, 0 licenses and 0 completions added"
        in again.output
    )
    assert db.session.scalar(db.select(db.func.count(Module.id))) == modules_before
    skipped = runner.invoke(args=["seed", "--if-empty"])
    assert "already has data" in skipped.output


def test_seed_synthetic_needs_demo_then_adds_valid_modules(app):
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["seed-synthetic", "--count", "3"])
    assert refused.exit_code == 1 and "flask seed" in refused.output
    runner.invoke(args=["seed"])
    before = db.session.scalar(db.select(db.func.count(Module.id)))
    result = runner.invoke(args=["seed-synthetic", "--count", "40", "--batch", "15"])
    assert result.exit_code == 0, result.output
    added = list(
        db.session.scalars(db.select(Module).where(Module.provider_activity_id.like("SYN-%")))
    )
    assert len(added) == 40 == db.session.scalar(db.select(db.func.count(Module.id))) - before
    assert {m.status for m in added} == {"published"}
    assert len({m.title for m in added}) == 40
