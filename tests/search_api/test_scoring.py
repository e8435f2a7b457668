"""BM25F over article documents: statistics of articles only, one saturation per word across
fields, block-max top-k unchanged, and the engine's searcher uses it."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator

import pytest
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.build import ParseOptions, build_index
from search_api.engine import Engine, Snapshot
from search_api.query import QueryBuilder, parse
from search_api.scoring import RANKING, FieldsTerm, bm25_idf
from search_api.search import build_search_request, search

RECORDS = [
    # Many sections: Whoosh's own statistics would count them as documents.
    {
        "id": "long",
        "title": "Press freedom report",
        "body": "<h3>One</h3><p>journalists</p>"
        + "".join(f"<h3>Part {n}</h3><p>filler words number {n}</p>" for n in range(8)),
    },
    {"id": "title-only", "title": "Surveillance", "body": "A story about cameras in the city."},
    {"id": "both", "title": "Surveillance", "body": "The surveillance law passed."},
    {"id": "body-only", "title": "A new law", "body": "It allows surveillance of phones."},
    # The same word in both titles; bodies of the same length, one saying it four times.
    {
        "id": "says-once",
        "title": "Censorship story today",
        "body": "Censorship rules: press, radio, books.",
    },
    {
        "id": "says-often",
        "title": "Censorship story today",
        "body": "Censorship rules: censorship, censorship, censorship.",
    },
] + [
    {"id": f"other-{n}", "title": f"Other story {n}", "body": f"Unrelated text about topic {n}."}
    for n in range(30)
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    root = tmp_path_factory.mktemp("scoring")
    export = root / "records.jsonl"
    export.write_text("\n".join(json.dumps(record) for record in RECORDS))
    build_index([export], root / "index", ParseOptions(), workers=1)
    with Engine(root / "index") as engine, engine.snapshot() as snapshot:
        yield snapshot


def test_the_engine_searches_with_article_bm25f(snapshot: Snapshot):
    assert snapshot.searcher.weighting is RANKING


def test_statistics_count_articles_not_sections(snapshot: Snapshot):
    searcher = snapshot.searcher
    articles = len(RECORDS)
    assert searcher.doc_count_all() > articles  # section documents are in the index too
    df = searcher.doc_frequency("body", "surveil")
    assert RANKING.idf(searcher, "body", "surveil") == pytest.approx(
        math.log(1 + (articles - df + 0.5) / (df + 0.5))
    )


def test_a_word_in_title_and_body_is_saturated_once(snapshot: Snapshot):
    searcher = snapshot.searcher
    builder = QueryBuilder(searcher.reader())
    query = builder.build(parse("surveillance"))
    assert isinstance(query.subqueries[0], FieldsTerm)
    scores = {
        searcher.stored_fields(hit.docnum)["article_id"].split("/", 1)[1]: hit.score
        for hit in searcher.search(query, limit=None)
    }
    # A title weighs more than the body, and both together more than either...
    assert scores["both"] > scores["title-only"] > scores["body-only"]
    # ...but never more than BM25's ceiling for one word: idf * (k1 + 1).
    idf = bm25_idf(len(RECORDS), searcher.doc_frequency("body", "surveil"))
    assert max(scores.values()) < idf * (RANKING.k1 + 1)


def test_other_weighting_models_read_fields_term_as_an_or(snapshot: Snapshot):
    searcher = snapshot.searcher
    terms = [wq.Term("title", "surveil", boost=2.5), wq.Term("body", "surveil")]
    plain = Searcher(searcher.reader())  # Whoosh's default BM25F
    found = {hit.docnum for hit in plain.search(FieldsTerm(terms), limit=None)}
    assert found == {hit.docnum for hit in searcher.search(wq.Or(terms), limit=None)}


@pytest.mark.parametrize("q", ["surveillance law", "surveillance OR cameras OR phones OR law"])
def test_block_max_top_k_equals_the_exhaustive_top_k(snapshot: Snapshot, q: str):
    searcher = snapshot.searcher
    query = QueryBuilder(searcher.reader()).build(parse(q), any_of=True)
    for limit in (1, 2, 3):
        fast = searcher.search(query, limit=limit)
        full = searcher.search(query, limit=limit, optimize=False)
        assert [h.docnum for h in fast] == [h.docnum for h in full]
        assert [h.score for h in fast] == pytest.approx([h.score for h in full])


def test_a_repeated_query_word_weighs_more(snapshot: Snapshot):
    once = search(snapshot, build_search_request(q="surveillance law"), 10.0)
    twice = search(snapshot, build_search_request(q="surveillance law law"), 10.0)
    score = {hit["id"]: hit["score"] for hit in once["results"]}
    assert twice["results"] and {hit["id"] for hit in twice["results"]} == set(score)
    for hit in twice["results"]:
        assert hit["score"] > score[hit["id"]]


def test_body_mentions_still_count_when_the_title_has_the_word(snapshot: Snapshot):
    # BM25F saturates the title's weighted mention and the body's together: with k1 = 1.2 one
    # mention in each would already give three quarters of the most a word can, and three
    # more in the body would add only 13% (20% with k1 = 2).
    response = search(snapshot, build_search_request(q="censorship"), 10.0)
    score = {hit["id"].split("/", 1)[1]: hit["score"] for hit in response["results"]}
    assert list(score)[:2] == ["says-often", "says-once"]
    assert score["says-often"] > 1.15 * score["says-once"]
