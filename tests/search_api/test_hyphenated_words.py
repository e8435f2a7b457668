"""A hyphenated word finds its spaced and joined spellings too ("self-censorship", "self
censorship", "selfcensorship"), scored as one word; a quoted phrase finds its words joined
by a hyphen."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import query as wq

from indexer.build import ParseOptions, build_index
from search_api.engine import Engine
from search_api.matching import evaluate
from search_api.query import HyphenatedWord, QueryBuilder, parse
from search_api.scoring import RANKING
from search_api.search import build_search_request, search

RECORDS = [
    {"id": "hyphen", "title": "Newsrooms", "body": "Self-censorship is rising in newsrooms."},
    {
        "id": "spaced",
        "title": "Reporters",
        "body": "Reporters describe self censorship. Censorship laws followed.",
    },
    {
        "id": "both",
        "title": "Editors",
        "body": "Self-censorship, or self censorship, is what editors fear.",
    },
    {"id": "apart", "title": "Essays", "body": "Censorship of the self; self-made essayists."},
    {"id": "other", "title": "Courts", "body": "Courts ruled on defamation."},
    {"id": "covid", "title": "Lockdown", "body": "COVID-19 pandemic rules silenced the press."},
    {"id": "art", "title": "Labs", "body": "State-of-the-art spyware watched them."},
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("hyphens")
    export = root / "records.jsonl"
    export.write_text("\n".join(json.dumps(record) for record in RECORDS))
    build_index([export], root / "index", ParseOptions(), workers=1)
    with Engine(root / "index") as engine:
        yield engine


def answer(engine: Engine, q: str) -> dict:
    with engine.snapshot() as snapshot:
        return search(snapshot, build_search_request(q=q), 10.0)


def ids(response: dict) -> list[str]:
    return [hit["id"].split("/", 1)[1] for hit in response["results"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("self-censorship", ["both", "hyphen", "spaced"]),
        ("Self-Censorship", ["both", "hyphen", "spaced"]),
        ("title:newsrooms self-censorship", ["hyphen"]),
        # Written apart, the words need not be next to each other.
        ("self censorship", ["apart", "both", "hyphen", "spaced"]),
        ("self-made", ["apart"]),
        # Written together, it is the hyphenated word: archives write both.
        ("selfcensorship", ["both", "hyphen"]),
        ("covid19", ["covid"]),
        # A prefix too: the index holds the word's parts joined.
        ("self-censor*", ["both", "hyphen"]),
        ("covid-1*", ["covid"]),
    ],
)
def test_a_hyphenated_word_finds_both_spellings(engine: Engine, q: str, expected: list[str]):
    assert sorted(ids(answer(engine, q))) == expected


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"self censorship"', ["both", "hyphen", "spaced"]),
        ('"self censorship is rising"', ["hyphen"]),
        ('"covid 19 pandemic"', ["covid"]),
        ('"covid 19 pandemic rules"', ["covid"]),
        ('"state of the art spyware"', ["art"]),
        ('"self self made"', ["apart"]),  # "self; self-made"
        ('"censorship is rising"', ["hyphen"]),
        ('"self censorship laws"', []),  # "self censorship. Censorship laws"
        # A word of the text is one word of the phrase, not two.
        ('"self censorship self"', []),
        ('"covid 19 covid"', []),
    ],
)
def test_a_quoted_phrase_finds_its_words_joined_by_a_hyphen(
    engine: Engine, q: str, expected: list[str]
):
    assert sorted(ids(answer(engine, q))) == expected


def test_a_phrase_found_in_a_hyphenated_word_is_marked_whole(engine: Engine):
    [hit] = answer(engine, '"covid 19 pandemic"')["results"]
    assert hit["sections"][0]["snippet"] == (
        "<mark>COVID-19 pandemic</mark> rules silenced the press."
    )


def test_an_article_with_both_spellings_counts_both(engine: Engine):
    assert ids(answer(engine, "self-censorship"))[0] == "both"


def test_the_spaced_spelling_is_marked(engine: Engine):
    [hit] = [h for h in answer(engine, "self-censorship")["results"] if h["id"].endswith("spaced")]
    # Its parts are marked where they spell the word, not wherever one of them is.
    assert hit["sections"][0]["snippet"] == (
        "Reporters describe <mark>self censorship</mark>. Censorship laws followed."
    )


def scores(index_dir: Path, q: str) -> dict[str, float]:
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        response = search(snapshot, build_search_request(q=q), 10.0)
    return {hit["id"].split("/", 1)[1]: hit["score"] for hit in response["results"]}


@pytest.mark.parametrize("q", ["self-censorship", "censorship"])
def test_scores_do_not_depend_on_how_the_index_was_split(tmp_path: Path, q: str):
    # Written in two runs, the index has two segments: one has only the hyphenated
    # spelling, the other only the spaced one (and more of it).
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"id": "hyphen", "body": "Self-censorship grows."}))
    spaced = [{"id": f"spaced-{n}", "body": f"Self censorship, {n}."} for n in range(3)]
    second.write_text("\n".join(json.dumps(record) for record in [*spaced, *RECORDS[4:]]))
    build_index([first], tmp_path / "split", ParseOptions(), workers=1)
    build_index([first, second], tmp_path / "split", ParseOptions(), workers=1)
    build_index([first, second], tmp_path / "whole", ParseOptions(), workers=1)
    with Engine(tmp_path / "split") as engine, engine.snapshot() as snapshot:
        assert len(list(snapshot.searcher.leaf_searchers())) == 2
    assert scores(tmp_path / "split", q) == pytest.approx(scores(tmp_path / "whole", q))


def queries_in(query: wq.Query) -> Iterator[wq.Query]:
    yield query
    for child in query.children():
        yield from queries_in(child)


@pytest.mark.parametrize("q", ["tag:self-censorship", "author:jean-paul", "title:self-censorship"])
def test_a_named_field_matches_a_hyphenated_value_as_written(engine: Engine, q: str):
    with engine.snapshot() as snapshot:
        builder = QueryBuilder(snapshot.searcher.reader())
        named, unnamed = (builder.build(parse(text)) for text in (q, q.split(":", 1)[1]))
    assert not any(isinstance(part, HyphenatedWord) for part in queries_in(named))
    assert any(isinstance(part, HyphenatedWord) for part in queries_in(unnamed))


@pytest.mark.parametrize(
    "q",
    [
        "self-censorship",
        '"self censorship"',
        '"covid 19 pandemic"',
        '"self self made"',
        '"covid 19 covid"',
    ],
)
def test_whoosh_matchers_find_the_same_articles(engine: Engine, q: str):
    with engine.snapshot() as snapshot:
        query = QueryBuilder(snapshot.searcher.reader()).build(parse(q))
        by_whoosh = {hit.docnum for hit in snapshot.searcher.search(query, limit=None)}
        by_arrays, _ = evaluate(snapshot.searcher, query, snapshot.postings, RANKING)
        assert by_whoosh == set(by_arrays.docs.tolist())
