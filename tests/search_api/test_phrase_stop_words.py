"""A phrase's stop words are searched where they are: "right to protest" is only where
"to" is between "right" and "protest", not wherever some word is (the wrong matches of a
trial on the real archive's 73,000 articles, each a fixture here)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from search_api.engine import Engine
from search_api.matching import Normalise, Postings, evaluate
from search_api.query import QueryBuilder, parse
from search_api.scoring import RANKING
from tests.search_api.corpus import records_client, search

RECORDS = [
    {"id": "to-protest", "body": "Their right to protest was denied.", "language": "en"},
    {"id": "hyphenated", "body": "A right-to-protest law was passed.", "language": "en"},
    {"id": "of-protest", "body": "The right of protest is an old one.", "language": "en"},
    {
        "id": "both",
        "body": "The right of protest, and with it the right to protest, was debated.",
        "language": "en",
    },
    {"id": "far-right", "body": "Far-right Querdenken protesters marched.", "language": "en"},
    {
        "id": "protects",
        "body": "The law protects this right. Austerity-related protests followed.",
        "language": "en",
    },
    {
        "id": "however",
        "body": "Courts upheld these rights. However, protests were banned.",
        "language": "en",
    },
    {"id": "no-stop", "body": "A right-protest movement grew.", "language": "en"},
    {"id": "rule-of-law", "body": "The rule of law held.", "language": "en"},
    {"id": "ruled", "body": "The court ruled that law void.", "language": "en"},
    {"id": "access", "body": "Access to information is a right.", "language": "en"},
    {
        "id": "access-public",
        "body": "Officials restrict access public information.",
        "language": "en",
    },
    {"id": "libertad", "body": "La libertad de expresión está en riesgo.", "language": "es"},
    {"id": "libertad-y", "body": "Defienden la libertad y expresión académica.", "language": "es"},
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with records_client(tmp_path_factory.mktemp("stops"), "news.json", RECORDS) as client:
        yield client


def exported(client: TestClient, q: str) -> list[str]:
    """The ids /export lists for ``q``: every article, as a researcher counts them."""
    response = client.get("/export", params={"q": q, "format": "jsonl"})
    assert response.status_code == 200, response.text
    return sorted(re.findall(r'"id": ?"news/([^"]+)"', response.text))


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # Only the stop word itself in its place: not another, not any word, not none.
        ('"right to protest"', ["both", "hyphenated", "to-protest"]),
        ('"right of protest"', ["both", "of-protest"]),
        ('"right for protest"', []),
        ('"rule of law"', ["rule-of-law"]),
        ('"access to information"', ["access"]),
        # A hyphenated word's parts are at its place, its stop words too.
        ("right-to-protest", ["both", "hyphenated", "to-protest"]),
        # Spanish stop words in Spanish articles ("y" is one, but not "de"'s place).
        ('"libertad de expresión"', ["libertad"]),
        ('"libertad y expresión"', ["libertad-y"]),
        # No stop word between the words: as before (a hyphenated word's parts are at one
        # place, whatever stop words are there too).
        ('"right protest"', ["hyphenated", "no-stop"]),
    ],
)
def test_a_phrase_matches_only_its_own_stop_words(client: TestClient, q: str, expected: list[str]):
    assert exported(client, q) == expected
    response = search(client, q=q)
    assert sorted(hit["id"].removeprefix("news/") for hit in response["results"]) == expected


def test_the_stop_words_are_shown_in_the_query_as_read(client: TestClient):
    response = search(client, q='"right to protest"')
    assert response["parsed_query"] == '"right to protest"'


def marks(snippet: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", snippet)


@pytest.mark.parametrize(
    ("q", "marked"),
    [
        ('"right to protest"', {"to-protest": ["right to protest"], "both": ["right to protest"]}),
        ('"right of protest"', {"both": ["right of protest"]}),
        ('"access to information"', {"access": ["Access to information"]}),
        ("right-to-protest", {"hyphenated": ["right-to-protest"]}),
    ],
)
def test_a_phrase_is_marked_whole_where_its_stop_words_are(
    client: TestClient, q: str, marked: dict[str, list[str]]
):
    response = search(client, q=q)
    found = {
        hit["id"].removeprefix("news/"): marks(hit["sections"][0]["snippet"])
        for hit in response["results"]
    }
    for article, expected in marked.items():
        assert found[article] == expected


class ReadPositions(Postings):
    """Postings that say which terms' positions were read."""

    def __init__(self) -> None:
        super().__init__()
        self.read: list[tuple[str, bytes]] = []

    def positions(
        self,
        segment: int,
        reader: Any,
        fieldname: str,
        text: bytes,
        normalise: Normalise | None = None,
    ) -> np.ndarray:
        self.read.append((fieldname, text))
        return super().positions(segment, reader, fieldname, text, normalise)


@pytest.mark.parametrize(
    ("q", "read_stop_words"),
    [
        ('"right to protest"', True),
        # Its terms are nowhere near each other: "the" is not read.
        ('"marched the court"', False),
    ],
)
def test_a_stop_word_s_positions_are_read_where_the_terms_make_the_phrase(
    client: TestClient, q: str, read_stop_words: bool
):
    postings = ReadPositions()
    engine: Engine = client.app.state.engine
    with engine.snapshot() as snapshot:
        query = QueryBuilder(snapshot.searcher.reader(), ("en",)).build(parse(q, ("en",)))
        evaluate(snapshot.searcher, query, postings, RANKING)
    stop_words = [text for fieldname, text in postings.read if fieldname.startswith("stops_")]
    assert bool(stop_words) == read_stop_words
