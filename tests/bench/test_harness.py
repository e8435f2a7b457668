"""Smoke tests of the speed benchmark's pure functions (the benchmark itself is a command)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from bench.corpus import body_of, plain_text, record_of, reshuffled, split_sentences
from bench.queries import (
    advosearch_q,
    fts5_match,
    full_date,
    make_queries,
    median,
    percentile,
    tantivy_text,
    title_words,
)
from indexer.formats import ParsedFile, parse_paths

ARTICLES = [
    {
        "id": f"a{i}",
        "title": title,
        "date": "2019-05",
        "tags": tags,
        "source": "site",
        "sections": [
            {"heading": None, "anchor": "intro", "text": "First one. Second one here."},
            {
                "heading": "Arrests & trials",
                "anchor": "arrests",
                "text": "A <b> trial. Then.\n\nMore.",
            },
        ],
    }
    for i, (title, tags) in enumerate(
        [
            ("Journalists arrested in Cambodia", ["press"]),
            ("Internet shutdown ordered", []),
            ("The court and the press law", ["law", "press"]),
        ]
    )
]


def test_records_round_trip_through_the_project_reader(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(record_of(a)) + "\n" for a in ARTICLES))
    [parsed] = list(parse_paths([path]))
    assert isinstance(parsed, ParsedFile)
    article = parsed.articles[0]
    assert article.title == "Journalists arrested in Cambodia"
    assert [s.heading for s in article.sections] == [None, "Arrests & trials"]
    assert article.sections[1].text == "A <b> trial. Then.\n\nMore."
    assert body_of([s.__dict__ for s in article.sections]) == record_of(ARTICLES[0])["body"]


def test_plain_text_unescapes_and_drops_markup() -> None:
    text = plain_text(record_of(ARTICLES[0])["body"])
    assert "A <b> trial." in text and "<h2>" not in text and "Arrests & trials" in text
    assert plain_text("no markup\n\nhere") == "no markup\n\nhere"


def test_reshuffle_is_seeded_and_keeps_shape() -> None:
    first = list(reshuffled(ARTICLES, 3, seed=1))
    assert first == list(reshuffled(ARTICLES, 3, seed=1))
    assert len(first) == 9 and first[0] == ARTICLES[0]
    copy = first[1]
    assert copy["id"] == "a0-x1" and copy["title"] == ARTICLES[0]["title"]
    assert [s["heading"] for s in copy["sections"]] == [None, "Arrests & trials"]
    assert copy["sections"][1]["text"].count("\n\n") == 1
    assert split_sentences("One here. Two there! «Three»") == ["One here.", "Two there! «Three»"]


def test_query_set_is_seeded_and_translates_per_engine() -> None:
    records = [record_of(a) for a in ARTICLES]
    counts = {"words": 5, "phrase": 2, "date": 2, "tag": 2}
    queries = make_queries(records, seed=3, counts=counts)
    assert queries == make_queries(records, seed=3, counts=counts)
    assert [q["kind"] for q in queries].count("tag") == 2
    assert all(q["tag"] in ("press", "law") for q in queries if q["kind"] == "tag")
    assert title_words("The court and the press law") == ["", "court", "", "", "press", "law"]
    phrase = {"kind": "phrase", "words": ["press", "law"]}
    words = {"kind": "words", "words": ["press", "law"]}
    assert advosearch_q(phrase) == '"press law"' and advosearch_q(words) == "press law"
    assert fts5_match(words) == '"press" "law"' and tantivy_text(words) == "+press +law"
    assert full_date("2019") == "2019-01-01" and full_date("2019-5") == "2019-05-01"
    assert full_date(None) is None


def test_percentiles() -> None:
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99 and math.isnan(percentile([], 0.5))
    assert median([3, 1, 2, float("nan")]) == 2 and median([1, 2]) == 1.5
