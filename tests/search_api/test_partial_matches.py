"""A query of several words that fewer than a page of articles match in full is answered by
the articles with every word, then the best articles for most of its words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from indexer.build import ParseOptions, build_index
from search_api.engine import Engine
from search_api.search import FEW_MATCHES, build_search_request, search

FULL = "Journalists arrested in Cambodia before the election, press freedom groups say."
RECORDS = [
    {"id": "full", "title": "Arrests", "body": FULL},
    # Every word but "before", some of them twice: a larger BM25 sum than "full".
    {
        "id": "most",
        "title": "Cambodia: journalists arrested",
        "body": "Cambodia arrested journalists covering the election; journalists arrested again.",
    },
    *(
        {"id": f"some-{n}", "title": f"Story {n}", "body": f"Journalists arrested, {n}."}
        for n in range(5)
    ),
    *(
        {"id": f"many-{n}", "title": f"Report {n}", "body": f"Cambodia election watch {n}."}
        for n in range(FEW_MATCHES + 1)
    ),
    # "before" in several articles: a common word weighs little.
    *(
        {"id": f"before-{n}", "title": f"Diary {n}", "body": f"As before, day {n}: log."}
        for n in range(4)
    ),
]
# Each on a day of its own, in the order listed: "full", the one with every word, is oldest.
DATES = {
    record["id"]: (date(2020, 1, 1) + timedelta(days=n)).isoformat()
    for n, record in enumerate(RECORDS)
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    root = tmp_path_factory.mktemp("long")
    export = root / "records.jsonl"
    export.write_text(
        "\n".join(json.dumps({**record, "date": DATES[record["id"]]}) for record in RECORDS)
    )
    build_index([export], root / "index", ParseOptions(), workers=1)
    with Engine(root / "index") as engine:
        yield engine


def answer(engine: Engine, q: str) -> dict:
    with engine.snapshot() as snapshot:
        return search(snapshot, build_search_request(q=q, page_size=100), 10.0)


def ids(response: dict) -> list[str]:
    return [hit["id"].split("/", 1)[1] for hit in response["results"]]


def test_a_long_question_few_articles_match_in_full_gets_the_best_partial_matches(engine):
    response = answer(engine, "which journalists were arrested in cambodia before the election")
    assert response["partial"]
    assert response["notes"] == [
        "few articles match all the words (1); showing them first, then articles that match "
        "most of them"
    ]
    assert ids(response)[:2] == ["full", "most"]
    assert response["total"] == len(RECORDS)
    # Each result says whether it has every word: the first, and only the first.
    assert [hit["partial"] for hit in response["results"]] == [False] + [True] * (len(RECORDS) - 1)


def test_an_exact_answer_has_no_partial_result(engine):
    response = answer(engine, "journalists arrested")
    assert not response["partial"]
    assert response["results"] and not any(hit["partial"] for hit in response["results"])


@pytest.mark.parametrize(
    "q",
    [
        "which journalists were arrested in cambodia before the election",
        "journalists arrested before the cambodia election",
    ],
)
def test_articles_with_every_word_come_before_higher_scoring_partial_matches(engine, q: str):
    response = answer(engine, q)
    score = {hit["id"].split("/", 1)[1]: hit["score"] for hit in response["results"]}
    assert score["most"] > score["full"]  # by BM25 alone, "most" would come first
    assert ids(response)[:2] == ["full", "most"]


def test_by_date_articles_with_every_word_come_first_then_the_rest_newest_first(engine):
    q = "which journalists were arrested in cambodia before the election"
    with engine.snapshot() as snapshot:
        by_date = search(snapshot, build_search_request(q=q, page_size=100, sort="date"), 10.0)
    by_relevance = answer(engine, q)
    assert sorted(ids(by_date)) == sorted(ids(by_relevance))
    assert by_date["total"] == by_relevance["total"]
    # "full", the only article with every word, is the oldest: it still comes first.
    assert ids(by_date)[0] == "full"
    rest = ids(by_date)[1:]
    assert rest == sorted(rest, key=DATES.__getitem__, reverse=True)
    assert [hit["date"] for hit in by_date["results"]] == [DATES[i] for i in ids(by_date)]


def test_a_short_query_few_articles_match_in_full_is_filled_with_partial_matches(engine):
    response = answer(engine, "journalists arrested cambodia")
    assert response["partial"]
    assert response["notes"] == [
        "few articles match all the words (2); showing them first, then articles that match "
        "most of them"
    ]
    assert sorted(ids(response)[:2]) == ["full", "most"]
    assert {"some-0", "many-0"} <= set(ids(response)[2:])


def test_two_words_keep_requiring_both_even_typed_again(engine):
    for q in ("arrested cambodia", "arrested cambodia cambodia", "Arrested arrest Cambodia"):
        response = answer(engine, q)
        assert not response["partial"]
        assert sorted(ids(response)) == ["full", "most"]  # not "some-" (no Cambodia)


def test_no_fallback_when_every_article_with_some_of_the_words_has_them_all(engine):
    # Three words, four articles: a query that would be filled, but no article has only
    # some of them.
    response = answer(engine, "diary day log")
    assert not response["partial"]
    assert response["notes"] == []
    assert sorted(ids(response)) == [f"before-{n}" for n in range(4)]


def test_a_query_a_page_of_articles_match_in_full_stays_exact(engine):
    response = answer(engine, "cambodia election watch report")
    assert not response["partial"]
    assert response["total"] == FEW_MATCHES + 1


def test_words_in_brackets_count_one_by_one_when_the_query_falls_back(engine):
    # No article has every word. The bracketed remark is more words of the sentence, not a
    # part that must match whole: no article says "detained", yet "journalists" counts.
    response = answer(engine, "cambodia watch before the vote (journalists detained)")
    assert response["partial"]
    assert set(ids(response)[:2]) == {"full", "most"}  # Cambodia and journalists
    assert "some-0" in ids(response)  # journalists only


def test_an_excluded_group_still_excludes_in_the_fallback(engine):
    q = "which journalists were arrested before the vote -(cambodia election)"
    response = answer(engine, q)
    assert response["partial"]
    assert not {"full", "most"} & set(ids(response))
    assert "some-0" in ids(response)
