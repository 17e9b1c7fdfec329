"""The license workflow in the service layer: offers, requests, decisions, terms, dates,
history and notifications."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from exchange.audit.models import AuditEvent
from exchange.database import commit, rollback, today
from exchange.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.extensions import db
from exchange.licensing import services
from exchange.licensing.models import License
from exchange.licensing.schemas import OfferInputSchema
from exchange.licensing.services import add_months
from exchange.notifications.models import Notification
from tests.factories import (
    add_member,
    approve,
    make_license,
    make_module,
    make_offer,
    make_org,
    request_license,
    staff_of,
)


def _request(world, actor=None, **data):
    return services.request_license(
        actor or world.association_staff,
        {
            "module_id": world.module.id,
            "offer_id": world.offer.id,
            "licensee_id": world.association.id,
            **data,
        },
    )


# Offers --------------------------------------------------------------------------------


def test_only_provider_staff_define_offers(world):
    data = OfferInputSchema().load({"name": "Trial", "pricing": "free", "term_months": 3})
    for outsider in (world.association_staff, world.member, world.other_staff):
        with pytest.raises(PermissionDeniedError, match="Riverbend CME Institute"):
            services.create_offer(outsider, world.module, data)
    offer = services.create_offer(world.provider_staff, world.module, data)
    assert offer.term_months == 3 and offer.active
    assert [o.name for o in services.list_offers(None, world.module)] == [
        "Annual member access",
        "Trial",
    ]


@pytest.mark.parametrize(
    ("pricing", "price", "message"),
    [("free", 500, "A free offer has no price."), ("flat", 0, "Give the price")],
)
def test_offer_price_must_fit_pricing(world, pricing, price, message):
    with pytest.raises(FieldValidationError) as caught:
        services.create_offer(
            world.provider_staff,
            world.module,
            {"name": "X", "pricing": pricing, "price_cents": price, "term_months": 12},
        )
    assert message in caught.value.errors["price_cents"][0]
    # A partial change is checked against the merged offer too.
    with pytest.raises(FieldValidationError):
        services.update_offer(world.provider_staff, world.offer, {"price_cents": 100})


def test_deactivated_offers_are_hidden_and_cannot_be_requested(world):
    services.update_offer(world.provider_staff, world.offer, {"active": False})
    commit()
    assert services.list_offers(world.association_staff, world.module) == []
    assert services.list_offers(world.provider_staff, world.module) == [world.offer]
    with pytest.raises(NotFoundError):
        services.get_offer(world.association_staff, world.offer.id)
    with pytest.raises(FieldValidationError) as caught:
        _request(world)
    assert caught.value.errors == {"offer_id": ["This offer is no longer available."]}


def test_used_offers_are_kept(world):
    request_license(world.module, world.association, world.offer)
    with pytest.raises(ConflictError, match="deactivate it instead"):
        services.delete_offer(world.provider_staff, world.offer)
    unused = make_offer(world.module, name="Unused")
    services.delete_offer(world.provider_staff, unused)
    commit()
    assert services.list_offers(world.provider_staff, world.module) == [world.offer]


def test_retired_modules_get_no_new_offers(world):
    from exchange.catalog import services as catalog

    catalog.retire_module(world.provider_staff, world.module)
    with pytest.raises(ConflictError, match="retired"):
        services.create_offer(
            world.provider_staff,
            world.module,
            {"name": "Late", "pricing": "free", "price_cents": 0, "term_months": 1},
        )


# Requests --------------------------------------------------------------------------------


def test_request_is_recorded_with_history_and_notifies_the_provider(world):
    license = _request(world, seats=2, message="For our asthma month.")
    commit()
    assert license.status == "requested" and license.state_on(today()) == "requested"
    assert license.licensor_id == world.provider.id and license.terms is None
    (entry,) = services.history(license)
    assert entry["status"] == "requested"
    assert entry["by"] == world.association_staff.full_name
    assert entry["by_organization"] == world.association.name
    assert entry["note"] == "For our asthma month."
    told = db.session.scalars(
        select(Notification).where(Notification.user_id == world.provider_staff.id)
    ).all()
    assert len(told) == 1 and "Prairie Society of Family Physicians requests" in told[0].message
    assert told[0].link == f"/licenses/{license.id}"
    # The requester is not told about their own request.
    assert not db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == world.association_staff.id
        )
    )


def test_admins_may_request_members_and_outsiders_may_not(world):
    assert _request(world, actor=world.association_admin).status == "requested"
    for outsider in (world.member, world.other_staff, world.provider_staff):
        with pytest.raises(PermissionDeniedError, match="Prairie Society"):
            _request(world, actor=outsider)


def test_one_open_request_per_module_and_licensee(world):
    first = _request(world)
    commit()
    with pytest.raises(ConflictError, match="already has an open request"):
        _request(world)
    services.withdraw_license(world.association_staff, first)
    commit()
    assert _request(world).status == "requested"


def test_the_database_also_refuses_a_second_open_request(world):
    """The partial unique index catches two requests that both passed the check."""
    _request(world)
    commit()
    duplicate = License(
        module_id=world.module.id,
        offer_id=world.offer.id,
        licensor_id=world.provider.id,
        licensee_id=world.association.id,
        status="requested",
    )
    with pytest.raises(ConflictError, match="open request"):
        services._add_license(duplicate)


def test_ineligible_companies_never_hold_licenses(world):
    company = make_org(name="Acme Devices", is_ineligible_company=True)
    staff = add_member(company, "staff")
    with pytest.raises(FieldValidationError) as caught:
        services.request_license(
            staff,
            {"module_id": world.module.id, "offer_id": world.offer.id, "licensee_id": company.id},
        )
    assert "ineligible company" in caught.value.errors["licensee_id"][0]
    with pytest.raises(FieldValidationError):
        services.grant_license(
            world.provider_staff,
            {"module_id": world.module.id, "offer_id": world.offer.id, "licensee_id": company.id},
        )


def test_bad_references_name_the_field(world):
    other_module = make_module(world.provider, status="published")
    other_offer = make_offer(other_module)
    cases = [
        ({"module_id": 999999}, "module_id"),
        ({"licensee_id": 999999}, "licensee_id"),
        ({"offer_id": other_offer.id}, "offer_id"),
        ({"seats": 4}, "seats"),  # the offer caps seats at 3
        ({"start_date": today() - timedelta(days=1)}, "start_date"),
        ({"start_date": world.module.termination_date + timedelta(days=1)}, "start_date"),
    ]
    for data, field in cases:
        with pytest.raises(FieldValidationError) as caught:
            _request(world, **data)
        assert field in caught.value.errors, data
    assert db.session.scalar(select(func.count(License.id))) == 0


def test_drafts_of_others_cannot_be_requested(world):
    draft = make_module(world.provider)
    with pytest.raises(FieldValidationError) as caught:
        services.request_license(
            world.association_staff,
            {
                "module_id": draft.id,
                "offer_id": world.offer.id,
                "licensee_id": world.association.id,
            },
        )
    assert caught.value.errors == {"module_id": ["No module with this ID."]}


def test_own_modules_need_no_license(world):
    owned = make_module(world.association, world.provider, status="published")
    offer = make_offer(owned)
    with pytest.raises(FieldValidationError) as caught:
        services.request_license(
            world.association_staff,
            {"module_id": owned.id, "offer_id": offer.id, "licensee_id": world.association.id},
        )
    assert "without a license" in caught.value.errors["licensee_id"][0]


def test_modules_past_termination_cannot_be_licensed(world):
    with pytest.raises(ConflictError, match="termination date"):
        services.request_license(
            world.association_staff,
            {
                "module_id": world.module.id,
                "offer_id": world.offer.id,
                "licensee_id": world.association.id,
            },
            on=world.module.termination_date + timedelta(days=1),
        )


# Decisions -------------------------------------------------------------------------------


def test_approval_copies_the_terms_and_later_offer_edits_change_nothing(world):
    license = _request(world)
    services.approve_license(world.provider_staff, license, {"note": "Welcome."})
    commit()
    assert license.status == "approved" and license.state_on(today()) == "active"
    assert license.terms == {
        "name": "Annual member access",
        "pricing": "free",
        "price_cents": 0,
        "currency": "USD",
        "term_months": 12,
        "seat_limit": 3,
        "co_branding": False,
        "modification": False,
    }
    assert license.seats == 3  # none asked for: the offer's cap
    assert license.start_date == today()
    # A 12-month term: its last day is the day before the same date a year on.
    assert license.end_date == add_months(today(), 12) - timedelta(days=1)
    services.update_offer(
        world.provider_staff,
        world.offer,
        {"pricing": "flat", "price_cents": 99900, "term_months": 1, "seat_limit": 1},
    )
    commit()
    db.session.refresh(license)
    assert license.terms["pricing"] == "free" and license.terms["term_months"] == 12
    assert license.seats == 3 and license.end_date == add_months(today(), 12) - timedelta(days=1)
    history = services.history(license)
    assert [h["status"] for h in history] == ["requested", "approved"]
    assert history[1]["note"] == "Welcome." and history[1]["by"] == world.provider_staff.full_name


def test_approval_never_runs_past_the_module_termination(world):
    module = make_module(
        world.provider,
        status="published",
        release_date=today() - timedelta(days=30),
        termination_date=today() + timedelta(days=100),
    )
    offer = make_offer(module, term_months=12)
    license = request_license(module, world.association, offer)
    approve(license)
    assert license.end_date == module.termination_date
    assert services.was_shortened(license)
    (approved,) = [h for h in services.history(license) if h["status"] == "approved"]
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.subject_id == license.id, AuditEvent.action == "license.approved"
        )
    )
    assert event.data["shortened"] is True and approved["by"]


def test_approval_takes_the_requested_start_and_refuses_a_past_one(world):
    start = today() + timedelta(days=20)
    license = _request(world, start_date=start, seats=2)
    with pytest.raises(FieldValidationError) as caught:
        services.approve_license(
            world.provider_staff, license, {"start_date": today() - timedelta(days=1)}
        )
    assert "start_date" in caught.value.errors
    assert license.status == "requested"
    services.approve_license(world.provider_staff, license, {})
    assert (license.start_date, license.seats) == (start, 2)
    assert license.state_on(today()) == "scheduled"


def test_only_the_provider_decides(world):
    license = _request(world)
    for outsider in (world.association_staff, world.association_admin, world.other_staff):
        with pytest.raises(PermissionDeniedError, match="Riverbend CME Institute"):
            services.approve_license(outsider, license, {})
        with pytest.raises(PermissionDeniedError):
            services.decline_license(outsider, license, "no")
    with pytest.raises(PermissionDeniedError, match="Prairie Society"):
        services.withdraw_license(world.provider_staff, license)


def test_decline_and_revoke_need_a_note(world):
    license = _request(world)
    with pytest.raises(FieldValidationError) as caught:
        services.decline_license(world.provider_staff, license, "   ")
    assert caught.value.errors == {"note": ["Say why: the other organization reads this note."]}
    services.decline_license(world.provider_staff, license, "Not for your audience.")
    assert license.status == "declined" and license.decision_note == "Not for your audience."


@pytest.mark.parametrize(
    ("setup", "action", "message"),
    [
        ("declined", "approve", "This license is declined: only a requested license can be"),
        ("withdrawn", "approve", "withdrawn"),
        ("requested", "revoke", "This license is requested: only an approved license"),
        ("active", "approve", "This license is active"),
        ("active", "decline", "active"),
        ("active", "withdraw", "active"),
        ("revoked", "revoke", "revoked"),
    ],
)
def test_illegal_transitions_are_conflicts(world, setup, action, message):
    license = _request(world)
    if setup == "declined":
        services.decline_license(world.provider_staff, license, "No.")
    elif setup == "withdrawn":
        services.withdraw_license(world.association_staff, license)
    elif setup in ("active", "revoked"):
        services.approve_license(world.provider_staff, license, {})
        if setup == "revoked":
            services.revoke_license(world.provider_staff, license, "Ended.")
    commit()
    before = (license.status, license.decided_at, license.decision_note)
    actor = world.association_staff if action == "withdraw" else world.provider_staff
    call = {
        "approve": lambda: services.approve_license(actor, license, {}),
        "decline": lambda: services.decline_license(actor, license, "No."),
        "withdraw": lambda: services.withdraw_license(actor, license),
        "revoke": lambda: services.revoke_license(actor, license, "No."),
    }[action]
    with pytest.raises(ConflictError, match=message):
        call()
    assert (license.status, license.decided_at, license.decision_note) == before


def test_expired_licenses_cannot_be_revoked(world):
    license = make_license(world.module, world.association, world.offer)
    with pytest.raises(ConflictError, match="expired"):
        services.revoke_license(
            world.provider_staff, license, "Too late.", on=license.end_date + timedelta(days=1)
        )


def test_revocation_notifies_the_licensee_and_ends_it(world):
    license = make_license(world.module, world.association, world.offer)
    services.revoke_license(world.provider_staff, license, "Content under review.")
    commit()
    assert license.state_on(today()) == "revoked" and license.revoked_at is not None
    messages = db.session.scalars(
        select(Notification.message).where(
            Notification.user_id.in_([world.association_staff.id, world.association_admin.id])
        )
    ).all()
    assert sum("revoked your license" in m for m in messages) == 2
    assert all("Content under review." in m for m in messages if "revoked" in m)
    # Members are learners, not decision makers: no notification for them.
    assert not db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == world.member.id)
    )


def test_grant_is_approved_at_once_and_needs_no_request(world):
    license = make_license(world.module, world.association, world.offer, seats=2)
    assert license.status == "approved" and license.requested_at is None
    assert license.state_on(today()) == "active" and license.seats == 2
    assert [h["action"] for h in services.history(license)] == ["license.granted"]
    with pytest.raises(PermissionDeniedError):
        services.grant_license(
            world.association_staff,
            {
                "module_id": world.module.id,
                "offer_id": world.offer.id,
                "licensee_id": world.other.id,
            },
        )


def test_grant_refuses_when_a_request_is_open(world):
    _request(world)
    commit()
    with pytest.raises(ConflictError, match="approve that request instead"):
        services.grant_license(
            world.provider_staff,
            {
                "module_id": world.module.id,
                "offer_id": world.offer.id,
                "licensee_id": world.association.id,
            },
        )


def test_every_decision_is_an_audit_event_both_admins_read(world):
    from exchange.audit import services as audit

    license = _request(world)
    services.approve_license(world.provider_staff, license, {})
    services.revoke_license(world.provider_staff, license, "Stop.")
    commit()
    provider_admin = add_member(world.provider, "admin")
    for admin, org in (
        (provider_admin, world.provider),
        (world.association_admin, world.association),
    ):
        actions = [
            e.action
            for e in audit.events_for_organization(admin, org, 1, 50).items
            if e.subject_type == "license"
        ]
        assert actions == ["license.revoked", "license.approved", "license.requested"]


# Reading ---------------------------------------------------------------------------------


def test_licenses_are_invisible_to_everyone_but_the_parties(world):
    license = _request(world)
    commit()
    for insider in (world.association_staff, world.association_admin, world.provider_staff):
        assert services.get_license(insider, license.id) is license
    from tests.factories import platform_admin

    for outsider in (None, world.member, world.other_staff, platform_admin()):
        with pytest.raises(NotFoundError):
            services.get_license(outsider, license.id)
        assert services.list_licenses(outsider, {}).total == 0


def test_list_filters_by_side_and_state(world):
    requested = _request(world)
    granted = make_license(world.module, world.other, world.offer)
    other_module = make_module(world.association, world.provider, status="published")
    commit()
    staff = world.provider_staff
    assert {v.id for v in services.list_licenses(staff, {"side": "licensor"}).items} == {
        requested.id,
        granted.id,
    }
    assert [v.id for v in services.list_licenses(staff, {"status": "requested"}).items] == [
        requested.id
    ]
    assert [v.id for v in services.list_licenses(staff, {"status": "active"}).items] == [granted.id]
    assert services.list_licenses(staff, {"side": "licensee"}).total == 0
    assert [v.id for v in services.list_licenses(world.association_staff, {}).items] == [
        requested.id
    ]
    assert services.list_licenses(staff, {"module_id": other_module.id}).total == 0
    assert services.inbox_count(staff) == 1
    assert services.inbox_count(world.association_staff) == 0


# Dates -----------------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_last_one():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 15), 14) == date(2028, 1, 15)


def test_state_on_the_boundary_days(world):
    """Frozen clocks on the day before the start, the start, the end and the day after."""
    start = today() + timedelta(days=10)
    license = _request(world, start_date=start)
    services.approve_license(world.provider_staff, license, {})
    commit()
    end = license.end_date
    expected = {
        start - timedelta(days=1): "scheduled",
        start: "active",
        end: "active",
        end + timedelta(days=1): "expired",
    }
    for day, state in expected.items():
        with time_machine.travel(day, tick=False):
            assert license.state_on(today()) == state, day
            listed = services.list_licenses(world.provider_staff, {"status": state})
            assert [v.id for v in listed.items] == [license.id], day
            assert listed.items[0].state == state


# Notifications and mail --------------------------------------------------------------------


def test_mail_is_sent_only_after_the_commit(world, caplog):
    caplog.set_level(logging.INFO, logger="exchange.notifications.services")
    _request(world)
    assert "Email (no MAIL_SERVER set)" not in caplog.text
    rollback()
    assert "Email" not in caplog.text
    assert db.session.scalar(select(func.count(Notification.id))) == 0
    _request(world)
    commit()
    assert f"to {world.provider_staff.email}" in caplog.text
    assert "requests a license for “Asthma Control in Adults”" in caplog.text


def test_mail_goes_through_flask_mail_when_configured(world, app, monkeypatch):
    from exchange.extensions import mail

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    with mail.record_messages() as outbox:
        _request(world)
        commit()
    assert [m.recipients for m in outbox] == [[world.provider_staff.email]]
    assert "Asthma Control in Adults" in outbox[0].subject
    assert "/licenses/" in outbox[0].body


def test_staff_of_both_sides_are_told_only_once_each(world):
    second_staff = add_member(world.provider, "staff")
    license = _request(world)
    commit()
    told = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "license.requested")
        )
    )
    assert told == {world.provider_staff.id, second_staff.id}
    services.approve_license(second_staff, license, {})
    commit()
    approved = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "license.approved")
        )
    )
    assert approved == {world.association_staff.id, world.association_admin.id}
    assert staff_of(world.association) is world.association_staff


# One license at a time, terms as requested, termination moved earlier ------------------


def test_one_approved_license_at_a_time_and_renewals_follow_it(world):
    first = make_license(world.module, world.association, world.offer)
    with pytest.raises(ConflictError, match="a renewal can start on") as caught:
        make_license(world.module, world.association, world.offer)
    renew_on = first.end_date + timedelta(days=1)
    assert caught.value.errors == {"start_date": [f"Start on {renew_on.isoformat()} or later."]}
    renewal = request_license(world.module, world.association, world.offer)
    with pytest.raises(ConflictError, match="already holds a license"):
        services.approve_license(world.provider_staff, renewal, {})
    assert renewal.status == "requested"
    services.approve_license(world.provider_staff, renewal, {"start_date": renew_on})
    assert renewal.state_on(today()) == "scheduled"
    # A second organization has its own license: no overlap across licensees.
    assert make_license(world.module, world.other, world.offer).state_on(today()) == "active"


def test_approval_refuses_terms_changed_since_the_request(world):
    license = _request(world)
    assert license.requested_terms["pricing"] == "free"
    services.update_offer(
        world.provider_staff, world.offer, {"pricing": "flat", "price_cents": 500000}
    )
    with pytest.raises(ConflictError, match="has changed"):
        services.approve_license(world.provider_staff, license, {})
    services.update_offer(world.provider_staff, world.offer, {"pricing": "free", "price_cents": 0})
    services.update_offer(world.provider_staff, world.offer, {"active": False})
    with pytest.raises(ConflictError, match="deactivated"):
        services.approve_license(world.provider_staff, license, {})
    services.update_offer(world.provider_staff, world.offer, {"active": True})
    services.approve_license(world.provider_staff, license, {})
    assert license.terms == license.requested_terms


def _move_termination(world, day):
    from exchange.catalog import services as catalog
    from exchange.catalog.schemas import module_patch_schema

    catalog.update_module(
        world.provider_staff, world.module, module_patch_schema().load({"termination_date": day})
    )
    commit()


def test_an_earlier_termination_shortens_running_licenses_and_tells_the_licensee(world):
    license = make_license(world.module, world.association, world.offer)
    scheduled = make_license(
        world.module, world.other, world.offer, start_date=today() + timedelta(days=60)
    )
    new_termination = today() + timedelta(days=30)
    _move_termination(world, new_termination)
    db.session.refresh(license)
    db.session.refresh(scheduled)
    assert license.end_date == new_termination and license.status == "approved"
    assert scheduled.status == "revoked"  # it would never have started
    assert [h["status"] for h in services.history(license)] == ["approved", "shortened"]
    messages = db.session.scalars(
        select(Notification.message).where(Notification.user_id == world.association_staff.id)
    ).all()
    assert any(f"now terminates on {new_termination.isoformat()}" in m for m in messages)
    assert any("published version 2" in m for m in messages)


def test_every_licensee_hears_of_a_new_version(world):
    from exchange.catalog import services as catalog
    from exchange.catalog.schemas import module_patch_schema

    make_license(world.module, world.association, world.offer)
    catalog.update_module(
        world.provider_staff, world.module, module_patch_schema().load({"summary": "Updated."})
    )
    commit()
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "module.new_version")
    ).all()
    assert set(told) == {world.association_staff.id, world.association_admin.id}


def test_emails_link_to_the_public_address_never_the_request_host(world, client, app, monkeypatch):
    from exchange.extensions import mail
    from tests.factories import auth

    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://cme.example.org")
    with mail.record_messages() as outbox:
        response = client.post(
            "/api/v1/licenses",
            json={
                "module_id": world.module.id,
                "offer_id": world.offer.id,
                "licensee_id": world.association.id,
            },
            headers=auth(world.association_staff),
            base_url="http://evil.example",
        )
    assert response.status_code == 201
    (message,) = outbox
    assert "https://cme.example.org/licenses/" in message.body
    assert "evil.example" not in message.body


def test_a_note_with_line_breaks_still_mails(world, app, monkeypatch):
    from exchange.extensions import mail

    license = _request(world)
    commit()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.test")
    with mail.record_messages() as outbox:
        services.decline_license(world.provider_staff, license, "Not this year.\nMaybe next.")
        commit()
    assert len(outbox) == 2  # the association's staff and admin
    assert all("\n" not in m.subject and len(m.subject) <= 135 for m in outbox)
    assert "Not this year.\nMaybe next." in outbox[0].body
