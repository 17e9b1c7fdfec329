"""Relevance on the demo catalog: field weights, phrases, proximity, stemming, clinical
abbreviations both ways, spelling suggestions, names, facets and the visibility rules."""

from __future__ import annotations

from sqlalchemy import select

from exchange.catalog.models import Module
from exchange.extensions import db
from exchange.organizations.models import Organization
from exchange.search.services import search_catalog


def search(q: str = "", actor=None, **params):
    params.setdefault("page", 1)
    params.setdefault("per_page", 100)
    return search_catalog(actor, {"q": q, **params}, record=False)


def by_key(key: str) -> Module:
    return db.session.scalars(
        select(Module).where(Module.provider_activity_id == key.upper())
    ).one()


def keys(page) -> list[str]:
    return [(m.provider_activity_id or "").lower() for m in page.items]


def test_title_matches_rank_above_summary_matches(demo):
    page = search("heart failure")
    titles = [m.title for m in page.items]
    in_title = [i for i, t in enumerate(titles) if "heart failure" in t.lower()]
    summary_only = keys(page).index("hvi-palliative-serious-illness")
    assert in_title and max(in_title) < summary_only
    assert "heart failure" not in titles[summary_only].lower()


def test_quoted_phrase_matches_exactly(demo):
    page = search('"shared decision making"')
    assert keys(page) == ["lks-prostate-screening"]
    loose = search("shared decision making")
    assert len(loose.items) >= len(page.items)


def test_words_together_rank_above_words_apart(demo):
    page = search("pulmonary rehabilitation")
    assert keys(page)[0] == "hvi-pulm-rehab-inhalers"


def test_stemming_finds_vaccine_for_vaccinations(demo):
    page = search("vaccinations")
    assert "hvi-adult-vaccines" in keys(page)[:3]
    assert "<mark>Vaccine</mark>" in page.highlights[by_key("hvi-adult-vaccines").id]["title"]


def test_abbreviation_finds_the_spelled_out_term_and_back(demo):
    copd = search("COPD")
    assert {"mer-copd-exacerbation", "hvi-pulm-rehab-inhalers"} <= set(keys(copd))
    spelled = search("chronic obstructive pulmonary disease")
    assert {"mer-copd-exacerbation", "hvi-pulm-rehab-inhalers"} <= set(keys(spelled))
    assert (
        "COPD"
        not in by_key("hvi-pulm-rehab-inhalers").title
        + by_key("hvi-pulm-rehab-inhalers").description
    )


def test_synonym_phrases(demo):
    assert search("heart attack").total == search("myocardial infarction").total > 0


def test_misspellings_suggest_real_words_and_show_their_results(demo):
    for typo, word in (("diabtes", "diabetes"), ("pnuemonia", "pneumonia")):
        page = search(typo)
        assert page.suggestion == word
        assert page.showing_suggestion and page.total > 0
        assert word in page.items[0].title.lower() or word in page.items[0].summary.lower()


def test_suggestion_alongside_results_for_a_partly_wrong_query(demo):
    page = search("heart failre")
    assert page.suggestion == "heart failure"


def test_suggestions_are_never_stems(demo):
    page = search("diseas")
    assert page.suggestion in (None, "disease", "diseases")


def test_no_results_and_no_suggestion(demo):
    page = search("zqxj wvvk")
    assert page.total == 0 and page.items == [] and page.suggestion is None


def test_provider_and_faculty_names_are_searchable(demo):
    provider_page = search("Harborview")
    assert provider_page.total > 10
    assert all(
        m.provider.name.startswith("Harborview") or m.owner.name.startswith("Harborview")
        for m in provider_page.items
    )
    faculty_page = search("Okafor")
    assert faculty_page.total >= 1
    assert all(any("Okafor" in p["name"] for p in m.faculty) for m in faculty_page.items)
    assert "<mark>Okafor</mark>" in faculty_page.highlights[faculty_page.items[0].id]["faculty"]


def test_facet_counts_follow_the_query_and_the_other_facets(demo):
    page = search("diabetes")
    specialties = {f.value: f.count for f in page.facets["specialty"]}
    narrowed = search("diabetes", specialty=["endocrinology"])
    assert narrowed.total == specialties["endocrinology"]
    # Counts of a facet ignore its own selection but honour the others.
    assert {f.value: f.count for f in narrowed.facets["specialty"]} == specialties
    by_profession = {f.value: f.count for f in narrowed.facets["profession"]}
    nurses = search("diabetes", specialty=["endocrinology"], profession=["nurse"])
    assert nurses.total == by_profession.get("nurse", 0)
    providers = narrowed.facets["provider"]
    assert all(f.label == db.session.get(Organization, f.value).name for f in providers)


def test_selecting_two_values_of_one_facet_widens(demo):
    one = search(specialty=["cardiology"]).total
    both = search(specialty=["cardiology", "nephrology"]).total
    assert both >= one and both <= one + search(specialty=["nephrology"]).total


def test_sorts(demo):
    by_title = search(sort="title", per_page=50)
    titles = [m.title.casefold() for m in by_title.items]
    assert titles == sorted(titles)
    newest = search(sort="newest", per_page=50)
    releases = [m.release_date for m in newest.items]
    assert releases == sorted(releases, reverse=True)
    credits = search(sort="credits", per_page=50)
    maxima = [max(c.amount for c in m.credits) for m in credits.items]
    assert maxima == sorted(maxima, reverse=True)


def test_available_now_is_the_default(demo):
    default = search(per_page=100)
    everything = search(available_only=False, per_page=100)
    assert everything.total > default.total
    for module in default.items:
        assert module.status == "published" and not module.is_past_termination(
            module.release_date.today()
        )


def test_drafts_and_retired_only_when_asked_and_allowed(demo):
    drafts = db.session.scalars(select(Module).where(Module.status == "draft")).all()
    assert drafts
    assert search(status="draft").total == 0  # anonymous
    owner_staff = next(m.user for m in drafts[0].owner.memberships if m.role == "staff")
    own = search(status="draft", actor=owner_staff)
    assert drafts[0].id in [m.id for m in own.items]
    assert all(
        owner_staff.role_in(m.owner_id) or owner_staff.role_in(m.provider_id) for m in own.items
    )
    assert search(status="retired").total == db.session.scalar(
        select(db.func.count(Module.id)).where(Module.status == "retired")
    )
    assert all(m.status == "published" for m in search(per_page=100).items)


def test_credit_range(demo):
    page = search(credit_type=["ama_pra_1"], min_credits=2, per_page=100)
    assert page.total > 0
    for module in page.items:
        amounts = {c.credit_type: c.amount for c in module.credits}
        assert amounts["ama_pra_1"] >= 2


def test_curated_terms_are_never_corrected(demo):
    for query in ("ARDS", "HAART", "STEMI", "CABG", "GDMT", "AFib", "shingles"):
        page = search(query)
        assert not page.showing_suggestion, query
        assert page.suggestion is None, (query, page.suggestion)


def test_short_typos_only_get_close_suggestions(demo):
    page = search("asthm")
    assert page.suggestion in (None, "asthma")
