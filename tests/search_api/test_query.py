"""The query language, read leniently: what each form means, and that nothing raises."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from search_api.query import Clause, Group, parse


@pytest.mark.parametrize(
    ("query", "display"),
    [
        ("journalists arrested", "journalist AND arrest"),
        ('"internet shutdown"', '"internet shutdown"'),
        ("“internet shutdown”", '"internet shutdown"'),
        ("internet -india", "internet AND NOT india"),
        ('elections -"hun sen"', 'elect AND NOT "hun sen"'),
        ("NOT india internet", "internet AND NOT india"),
        ("cambodia OR laos elections", "(cambodia OR lao) AND elect"),
        ("elections cambodia OR laos", "elect AND (cambodia OR lao)"),
        ("laos OR cambodia OR thailand", "lao OR cambodia OR thailand"),
        ("title:cambodia", "title:cambodia"),
        ("Title:Cambodia", "title:cambodia"),
        ("tag:FreeSpeech", "tag:freespeech"),
        ('author:"Ana Lima"', 'author:"ana lima"'),
        ("surveil*", "surveil*"),
        ("Lèse Majesté", "lese AND majest"),
        ("COVID-19", "covid-19"),
        ("http://example.org", '"http exampl org"'),
        ("the of and", ""),
    ],
)
def test_display_says_how_the_query_was_read(query: str, display: str) -> None:
    assert parse(query).display == display


def test_or_binds_tighter_than_the_implicit_and() -> None:
    tree = parse("cambodia OR laos elections").tree
    assert not tree.any_of
    either, elections = tree.children
    assert isinstance(either, Group) and either.any_of
    assert [child.text for child in either.children] == ["cambodia", "laos"]
    assert isinstance(elections, Clause) and elections.text == "elections"


@pytest.mark.parametrize(
    ("query", "display"),
    [
        ('"unbalanced quote', "unbalanc AND quot"),
        ("(cambodia", "cambodia"),
        ("cambodia)", "cambodia"),
        ("-", ""),
        ("AND", ""),
        ("OR", ""),
        ("cambodia OR", "cambodia"),
        ("OR cambodia", "cambodia"),
        ("title:", "titl"),
        ("*", ""),
        ("?*?*", ""),
        ("(" * 500 + "cambodia" + ")" * 500, "cambodia"),
        ("camb\x00odia", "camb AND odia"),
        ("-(", ""),
        ('""', ""),
    ],
)
def test_malformed_queries_are_read_as_text(query: str, display: str) -> None:
    assert parse(query).display == display


def test_only_exclusions_leave_nothing_that_must_match() -> None:
    parsed = parse("-india")
    assert parsed.positive_count() == 0
    assert parsed.display == "NOT india"


def test_positive_clauses_skip_everything_under_a_negation() -> None:
    parsed = parse('cambodia -(laos OR "hun sen") -thailand')
    assert [clause.text for clause in parsed.positive_clauses()] == ["cambodia"]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_parse_never_raises(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed.display, str)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(['"', "(", ")", "-", "OR", "AND", "NOT", "*", "title:", "a", " "])))
def test_parse_never_raises_on_operator_soup(parts: list[str]) -> None:
    parse("".join(parts))
