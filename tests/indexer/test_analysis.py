"""The analyzer: domain tokens kept whole, folding, stop words, stemming, exceptions."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis import analyzer_for, fold, stem_terms


def index_terms(text: str) -> list[str]:
    return [token.text for token in analyzer_for("en")(text, mode="index")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COVID-19", ["covid-19"]),
        ("CNRP", ["cnrp"]),
        ("2018", ["2018"]),
        ("Hun Sen's", ["hun", "sen"]),
        ("Hun Sen’s", ["hun", "sen"]),
        ("Lèse Majesté", ["lese", "majest"]),
        ("journalists journalist's", ["journalist", "journalist"]),
        ("3.5 percent", ["3.5", "percent"]),
        # Acronyms with dots are their letters, so "U.N." finds "UN"; never stop words.
        ("U.N. experts", ["un", "expert"]),
        ("the U.S. said", ["us", "said"]),
        ("U.S", ["us"]),
        ("U.K.-based", ["uk", "base"]),
        ("U.S.Army", ["us", "armi"]),
    ],
)
def test_query_terms_keep_domain_tokens_whole(text: str, expected: list[str]) -> None:
    assert stem_terms(text) == expected


def test_compound_parts_are_indexed_at_the_compound_position() -> None:
    tokens = [(t.text, t.pos) for t in analyzer_for("en")("COVID-19 vaccine", positions=True)]
    assert tokens == [("covid-19", 0), ("covid", 0), ("19", 0), ("vaccin", 1)]


def test_query_mode_does_not_split_compounds() -> None:
    assert stem_terms("COVID-19") == ["covid-19"]


def test_character_offsets_point_at_the_original_words() -> None:
    text = "The Lèse Majesté law"
    spans = [text[t.startchar : t.endchar] for t in analyzer_for("en")(text, chars=True)]
    assert spans == ["Lèse", "Majesté", "law"]


def test_function_words_are_dropped_but_meaningful_ones_kept() -> None:
    assert stem_terms("the freedom of the press") == ["freedom", "press"]
    assert stem_terms("not against us without free will") == [
        "not",
        "against",
        "us",
        "without",
        "free",
        "will",
    ]


@pytest.mark.parametrize(
    ("word", "other"),
    [
        ("international", "internment"),
        ("internal", "internment"),
        ("international", "intern"),
        ("organization", "organic"),
        ("university", "universal"),
    ],
)
def test_stem_exceptions_keep_unrelated_words_apart(word: str, other: str) -> None:
    assert stem_terms(word) != stem_terms(other)


@pytest.mark.parametrize(
    ("a", "b"),
    [("organization", "organisations"), ("arrested", "arrests"), ("internments", "internment")],
)
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem_terms(a) == stem_terms(b)


def test_fold_lowercases_and_strips_accents() -> None:
    assert fold("Périodistas DETENIDOS") == "periodistas detenidos"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_analyzer_never_crashes_and_offsets_stay_in_range(text: str) -> None:
    for token in analyzer_for("en")(text, positions=True, chars=True):
        assert 0 <= token.startchar <= token.endchar <= len(text)
        assert token.text
