"""Completing a module: the credit rules, certificates, transcripts, and what providers see."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine

from exchange.catalog import services as catalog
from exchange.catalog.schemas import module_patch_schema
from exchange.database import commit, today
from exchange.errors import (
    ConflictError,
    FieldValidationError,
    NotFoundError,
    PermissionDeniedError,
)
from exchange.learning import services
from exchange.learning.certificates import certificate_lines, certificate_pdf
from exchange.learning.rules import claim_problems
from tests.factories import (
    add_member,
    complete,
    launch,
    make_license,
    make_module,
    make_provider,
    platform_admin,
    staff_of,
)

D = Decimal


def _claim(world, user=None, module=None, credits=None, minutes=90, attest=True, on=None):
    return services.complete_module(
        user or world.member,
        module or world.module,
        {
            "minutes_spent": minutes,
            "credits": [{"credit_type": "ama_pra_1", "amount": D("1.5")}]
            if credits is None
            else credits,
            "attest": attest,
        },
        on=on,
    )


@pytest.fixture
def licensed(world):
    make_license(world.module, world.association, world.offer)
    launch(world.member, world.module)
    return world


# The rules as a pure function ------------------------------------------------------------


@pytest.mark.parametrize(
    ("profession", "claims", "minutes", "field", "message"),
    [
        (
            "nurse",
            [("ama_pra_1", "1.5")],
            90,
            "credits.0.credit_type",
            "AMA PRA Category 1 does not apply to a nurse: you may claim ANCC contact hours.",
        ),
        (
            "pharmacist",
            [("ancc", "1")],
            90,
            "credits.0.credit_type",
            "ANCC contact hours does not apply to a pharmacist: you may claim ACPE contact hours.",
        ),
        (
            "physician",
            [("ama_pra_1", "1.75")],
            120,
            "credits.0.amount",
            "This module designates at most 1.5 AMA PRA Category 1.",
        ),
        (
            "physician",
            [("ama_pra_1", "1.1")],
            90,
            "credits.0.amount",
            "Claim AMA PRA Category 1 in steps of 0.25.",
        ),
        (
            "physician",
            [("ama_pra_1", "1.5")],
            60,
            "credits.0.amount",
            "60 minutes support at most 1 AMA PRA Category 1",
        ),
        (
            "physician",
            [("aoa_1a", "1")],
            90,
            "credits.0.credit_type",
            "This module does not designate AOA Category 1-A.",
        ),
        (
            "physician",
            [("ama_pra_1", "1"), ("ama_pra_1", "0.5")],
            90,
            "credits.1.credit_type",
            "AMA PRA Category 1 is claimed twice.",
        ),
        ("physician", [], 90, "credits", "Claim your credit: up to 1.5 AMA PRA Category 1."),
        (
            "other",
            [("ancc", "1")],
            90,
            "credits.0.credit_type",
            "you receive a certificate of participation",
        ),
    ],
)
def test_claim_rules(profession, claims, minutes, field, message):
    designations = {"ama_pra_1": D("1.5"), "ancc": D("1.5"), "acpe": D("1.5")}
    problems = claim_problems(
        [{"credit_type": t, "amount": D(a)} for t, a in claims], designations, profession, minutes
    )
    assert field in problems, problems
    assert any(message in m for m in problems[field]), problems[field]


def test_fitting_claims_pass():
    designations = {"ama_pra_1": D("1.5"), "ancc": D("1.5"), "ipce": D("1.5")}
    for profession, credit_type in (
        ("physician", "ama_pra_1"),
        ("physician_assistant", "ama_pra_1"),
        ("nurse", "ancc"),
        ("other", "ipce"),
    ):
        claims = [{"credit_type": credit_type, "amount": D("1.25")}]
        assert claim_problems(claims, designations, profession, 80) == {}
    # Nothing fits: a certificate of participation, no claim needed.
    assert claim_problems([], {"ama_pra_1": D("1")}, "pharmacist", 60) == {}


# Completing ------------------------------------------------------------------------------


def test_completion_records_the_certificate_facts(licensed):
    world = licensed
    completion = _claim(world)
    commit()
    assert re.fullmatch(r"EXC-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", completion.certificate_number)
    assert completion.learner_name == world.member.full_name
    assert completion.module_title == "Asthma Control in Adults"
    assert (completion.module_version, completion.profession) == (1, "physician")
    assert completion.organization_id == world.association.id
    assert completion.provider_id == world.provider.id
    assert [(c.credit_type, c.amount) for c in completion.credits] == [("ama_pra_1", D("1.5"))]


def test_launch_first_and_attest(world):
    make_license(world.module, world.association, world.offer)
    with pytest.raises(ConflictError, match="Start the module first"):
        _claim(world)
    launch(world.member, world.module)
    with pytest.raises(FieldValidationError) as caught:
        _claim(world, attest=False)
    assert "attest" in caught.value.errors


def test_no_access_no_credit(world):
    outsider = add_member(world.other, "member")
    with pytest.raises(PermissionDeniedError, match="Harbor Society of Internists"):
        _claim(world, user=outsider)


def test_once_per_version(licensed):
    world = licensed
    first = _claim(world)
    commit()
    with pytest.raises(ConflictError, match="already completed version 1"):
        _claim(world)
    changes = module_patch_schema().load({"summary": "Updated guidance for 2027."})
    catalog.update_module(world.provider_staff, world.module, changes)
    commit()
    second = _claim(world)
    commit()
    assert (first.module_version, second.module_version) == (1, 2)
    assert first.certificate_number != second.certificate_number


def test_never_after_termination(world):
    """A module of the learner's own organization (no license to end first): credit on the
    termination day, none the day after."""
    last_day = today() + timedelta(days=10)
    owned = make_module(
        world.association,
        world.provider,
        status="published",
        release_date=today() - timedelta(days=30),
        termination_date=last_day,
    )
    launch(world.member, owned)
    with pytest.raises(FieldValidationError) as caught:
        _claim(world, module=owned, on=last_day + timedelta(days=1))
    assert "passed its termination date" in caught.value.errors["module_id"][0]
    assert _claim(world, module=owned, on=last_day).completed_on == last_day


def test_no_credit_while_accreditation_lapsed(licensed):
    from exchange.organizations import services as organizations

    world = licensed
    organizations.set_accreditation(
        platform_admin(),
        world.provider,
        {
            "kind": "provider",
            "accreditor": "accme",
            "accredited_until": today() - timedelta(days=1),
            "is_ineligible_company": False,
        },
    )
    commit()
    with pytest.raises(FieldValidationError) as caught:
        _claim(world)
    assert "accreditation is not current" in caught.value.errors["module_id"][0]


def test_participation_certificate_when_nothing_fits(world):
    make_license(world.module, world.association, world.offer)
    pharmacist = add_member(world.association, "member", profession="pharmacist")
    completion = complete(pharmacist, world.module, credits=[])
    lines = certificate_lines(completion)
    assert lines["heading"] == "Certificate of Participation" and lines["credits"] == []


# Certificates ----------------------------------------------------------------------------


def test_certificate_states_learner_module_date_credit_and_accreditation(licensed):
    world = licensed
    completion = _claim(world)
    commit()
    lines = certificate_lines(completion)
    assert lines["learner"] == world.member.full_name
    assert lines["module"] == "Asthma Control in Adults"
    assert lines["date"] == f"{today().day} {today():%B %Y}"
    assert lines["credits"] == ["1.5 AMA PRA Category 1 Credit(s)\u2122"]
    assert lines["designations"] == [
        "Riverbend CME Institute designates this enduring material for a maximum of 1.50 "
        "AMA PRA Category 1 Credit(s)\u2122. Physicians should claim only the credit "
        "commensurate with the extent of their participation in the activity."
    ]
    assert (
        "Riverbend CME Institute is accredited by the Accreditation Council"
        in (lines["accreditation"])
    )
    assert lines["provider"] == "Riverbend CME Institute"
    pdf = certificate_pdf(completion)
    assert pdf.startswith(b"%PDF-")


def test_certificate_keeps_the_completed_version_wording(licensed):
    world = licensed
    completion = _claim(world)
    commit()
    changes = module_patch_schema().load({"title": "Asthma Control in Adults, 2027 Update"})
    catalog.update_module(world.provider_staff, world.module, changes)
    commit()
    lines = certificate_lines(completion)
    assert lines["module"] == "Asthma Control in Adults"
    assert "“Asthma Control in Adults”" not in lines["designations"][0]  # statement by format


def test_names_outside_latin_1_print(licensed):
    world = licensed
    world.member.full_name = "Nguyễn Thị Hương, MD"
    commit()
    assert certificate_pdf(_claim(world)).startswith(b"%PDF-")


def test_certificate_is_for_the_learner_and_the_provider(licensed):
    world = licensed
    completion = _claim(world)
    commit()
    number = completion.certificate_number
    assert services.get_completion_by_number(world.member, number.lower()) is completion
    assert services.get_completion_by_number(world.provider_staff, number) is completion
    for outsider in (
        None,
        world.association_staff,
        world.other_staff,
        platform_admin(),
        add_member(world.association),
    ):
        with pytest.raises(NotFoundError):
            services.get_completion_by_number(outsider, number)


# Transcripts -----------------------------------------------------------------------------


def test_transcript_totals_by_type_and_year_across_new_year(world):
    nursing = make_provider("joint", name="Joint Partners")
    modules = [
        make_module(
            nursing,
            status="published",
            release_date=date(2025, 6, 1),
            last_review_date=date(2025, 6, 1),
            termination_date=date(2027, 6, 1),
            credits=[
                {"credit_type": "ama_pra_1", "amount": "1"},
                {"credit_type": "ipce", "amount": "1"},
            ],
            estimated_minutes=60,
        )
        for _ in range(3)
    ]
    days = [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    for module, day in zip(modules, days, strict=True):
        with time_machine.travel(day, tick=False):
            make_license(module, world.association, start_date=day)
            complete(
                world.member,
                module,
                credits=[
                    {"credit_type": "ama_pra_1", "amount": D("1")},
                    {"credit_type": "ipce", "amount": D("0.75")},
                ],
                minutes=60,
                on=day,
            )
    totals = [(t.year, t.credit_type, t.amount) for t in services.transcript_totals(world.member)]
    assert totals == [
        (2026, "ama_pra_1", D("2")),
        (2026, "ipce", D("1.5")),
        (2025, "ama_pra_1", D("1")),
        (2025, "ipce", D("0.75")),
    ]
    assert [c.completed_on for c in services.transcript(world.member, 2025)] == [days[0]]
    other_learner = add_member(world.association)
    assert services.transcript_totals(other_learner) == []


def test_transcript_csv(licensed):
    world = licensed
    _claim(world)
    commit()
    rows = list(csv.reader(io.StringIO(services.transcript_csv(services.transcript(world.member)))))
    assert rows[0] == list(services.TRANSCRIPT_COLUMNS)
    assert rows[1][2:] == [
        "Asthma Control in Adults",
        "1",
        "Riverbend CME Institute",
        "90",
        "ama_pra_1",
        "AMA PRA Category 1",
        "1.50",
    ]


def test_csv_neutralizes_spreadsheet_formulas(world):
    world.module.title = "=HYPERLINK(1)"
    make_license(world.module, world.association, world.offer)
    completion = complete(world.member, world.module)
    completion.module_title = "=HYPERLINK(1)"
    text = services.transcript_csv([completion])
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text


# What providers see ------------------------------------------------------------------------


def test_provider_sees_completions_per_licensee(world):
    make_license(world.module, world.association, world.offer)
    make_license(world.module, world.other, world.offer)
    second = add_member(world.association)
    outsider_learner = add_member(world.other)
    for learner in (world.member, second, outsider_learner):
        complete(learner, world.module)
    rows = services.provider_completions(world.provider_staff, world.provider)
    assert [(r.organization_name, r.completions, r.learners) for r in rows] == [
        ("Harbor Society of Internists", 1, 1),
        ("Prairie Society of Family Physicians", 2, 2),
    ]
    names = services.provider_completion_names(
        world.provider_staff, world.provider, world.module.id, world.association.id
    )
    assert {c.learner_name for c in names} == {world.member.full_name, second.full_name}
    for outsider in (world.association_staff, world.member, None):
        with pytest.raises(PermissionDeniedError):
            services.provider_completions(outsider, world.provider)
    assert staff_of(world.provider) is world.provider_staff
