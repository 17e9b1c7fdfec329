"""The query parser, the clinical terms list and the highlighter, without an index."""

from __future__ import annotations

from exchange.search.highlight import highlight
from exchange.search.query import QueryBuilder, SynonymTable, parse, synonyms


def alternatives(text: str) -> list[list[str]]:
    return [[" ".join(words) for words in unit.alternatives] for unit in parse(text).units]


def test_the_terms_list_is_large_and_unambiguous():
    table = synonyms()
    assert len(table.groups) >= 200
    seen: dict[tuple[str, ...], int] = {}
    for index, group in enumerate(table.groups):
        assert len(group) >= 2
        for member in group:
            key = tuple(w.casefold() for w in member.split())
            assert seen.setdefault(key, index) == index, f"{member} is in two groups"


def test_abbreviations_expand_both_ways():
    assert "chronic obstructive pulmonary disease" in alternatives("COPD")[0]
    assert "COPD" in alternatives("chronic obstructive pulmonary disease")[0]
    assert any("myocardial infarction" in a for a in alternatives("heart attack")[0])


def test_longest_member_wins_and_other_words_stay():
    units = alternatives("acute kidney injury in sepsis")
    assert units[0][0] == "acute kidney injury" and "AKI" in units[0]
    assert units[1:] == [["in"], ["sepsis"]]


def test_word_abbreviations_only_in_capitals():
    assert alternatives("ED visits")[0] == ["ED", "emergency department"]
    assert alternatives("ed visits")[0] == ["ed"]
    assert alternatives("bowel prep")[1] == ["prep"]
    assert "pre-exposure prophylaxis" in alternatives("PrEP")[0]


def test_quoted_phrases_are_exact_and_never_expanded():
    units = parse('"COPD exacerbation" inhaler').units
    assert units[0].quoted and units[0].alternatives == (("COPD", "exacerbation"),)
    assert not units[1].quoted


def test_parser_never_raises():
    for text in ['"unclosed', '""', "))((", "*?:~^", "a" * 5000, "\x00", "title:x OR y", "-"]:
        parse(text)  # no exception
    assert parse("").is_empty and parse('"" ""').is_empty
    assert len(parse("word " * 50).units) == 12


def test_stop_words_have_no_stems():
    builder = QueryBuilder()
    assert builder.stems(("the", "of", "and")) == []
    assert builder.stems(("Vaccinations",)) == ["vaccin"]


def test_a_custom_table(tmp_path):
    path = tmp_path / "terms.txt"
    path.write_text("# comment\nAB | alpha beta  # word\nGG | gamma gamma\nlonely\n")
    table = SynonymTable.load(path)
    assert table.groups == [("AB", "alpha beta"), ("GG", "gamma gamma")]
    assert [u.synonym for u in parse("ab AB", table).units] == [False, True]


def test_highlight_marks_stems_and_escapes_the_rest():
    terms = QueryBuilder().highlight_terms(parse("vaccinations"))
    marked = highlight("<b>Adult vaccine</b> schedules & vaccination", terms, whole=True)
    assert (
        marked
        == "&lt;b&gt;Adult <mark>vaccine</mark>&lt;/b&gt; schedules &amp; <mark>vaccination</mark>"
    )
    assert highlight("nothing relevant here", terms) is None
    long_text = "Intro sentence. " * 30 + "Then the vaccine part. " + "Outro sentence. " * 30
    snippet = highlight(long_text, terms)
    assert snippet.startswith("… ") and snippet.endswith(" …") and "<mark>vaccine</mark>" in snippet
