"""Array evaluation of queries: the same matches and scores as Whoosh's own matchers, on an
index of two segments with deleted documents, in two languages; filters as Whoosh's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from whoosh import query as wq
from whoosh.formats import Characters, Positions

from indexer.build import ParseOptions, build_index
from search_api import matching
from search_api.engine import Engine, Snapshot
from search_api.matching import (
    DENSE_UNION_SHARE,
    Postings,
    Scored,
    _decode_positions,
    by_score,
    evaluate,
    normaliser,
    union,
)
from search_api.query import Excluding, QueryBuilder, parse
from search_api.scoring import RANKING
from search_api.search import allowed_docs, build_search_request

FIRST = [
    {
        "id": "phnom-penh",
        "title": "Journalists detained in Phnom Penh",
        "body": "Police detained two journalists after they reported on a land dispute. "
        "The journalists' editor said the arrests silence the press.",
        "date": "2019-03-02",
        "tags": ["Press freedom", "Cambodia"],
        "author": "Ana Reyes",
        "language": "en",
    },
    {
        "id": "internet-shutdown",
        "title": "Internet shutdown before the elections",
        "body": "<h3>Blackout</h3><p>The government cut mobile internet for three days.</p>"
        "<h3>Reaction</h3><p>Journalists could not file reports about the elections.</p>",
        "date": "2020-11-15",
        "tags": ["Internet"],
        "language": "en",
    },
    {
        "id": "periodistas",
        "title": "Periodistas detenidos en Phnom Penh",
        "body": "La policía arrestó a dos periodistas después de que informaran sobre el "
        "conflicto de tierras; el periodista detenido fue silenciado.",
        "date": "2019-03-03",
        "language": "es",
    },
]
SECOND = [
    {
        "id": "surveillance-law",
        "title": "Surveillance law passed",
        "body": "The surveillance law lets police read messages of journalists and lawyers "
        "without a court order. Surveillance of phones grows.",
        "date": "2021-06-01",
        "tags": ["Surveillance", "Press freedom"],
        "author": "Tom Berg",
        "language": "en",
    },
    {
        "id": "undated",
        "title": "A prison report",
        "body": "Former prisoners described beatings and torture in the prison.",
        "language": "en",
    },
    {
        "id": "elecciones",
        "title": "Elecciones sin observadores",
        "body": "Las elecciones se celebraron sin observadores y con internet cortado.",
        "date": "2020-11-16",
        "language": "es",
    },
]

# Enough articles with the same words for their postings to fill several blocks (Whoosh
# writes 128 postings a block), with the words next to each other in some of them.
FILLER = [
    {
        "id": f"filler-{n}",
        "title": f"Bulletin {n}",
        "body": f"Day {n}: press freedom under pressure."
        if n % 3
        else f"Day {n}: the freedom of the press, and more press.",
        "language": "en",
    }
    for n in range(400)
]


def _write(path: Path, records: list[dict]) -> None:
    path.write_text("\n".join(json.dumps(record) for record in records))


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snapshot]:
    """Two runs: the second adds a file and rewrites the first one, whose first versions
    stay in the first segment as deleted documents (among the filler's, which keep the
    segment from being written again without them)."""
    root = tmp_path_factory.mktemp("matching")
    corpus, index_dir = root / "corpus", root / "index"
    corpus.mkdir()
    _write(corpus / "first.jsonl", FIRST[:2])
    _write(corpus / "filler.jsonl", FILLER)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    _write(corpus / "first.jsonl", FIRST)
    _write(corpus / "second.jsonl", SECOND)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        assert len(snapshot.searcher.leaf_searchers()) == 2
        assert snapshot.searcher.reader().has_deletions()
        yield snapshot


def _whoosh_matches(snapshot: Snapshot, query: wq.Query) -> dict[int, float]:
    searcher = snapshot.searcher
    collector = searcher.collector(limit=None)
    searcher.search_with_collector(query, collector)
    return {docnum: score for score, docnum in collector.results().top_n}


QUERIES = [
    "journalists",
    "journalists detained",
    "periodistas detenidos",
    "surveillance OR torture",
    '"phnom penh"',
    '"surveillance law" police',
    '"press freedom"',
    '"freedom press"',
    '"day 300 press freedom"',
    '"more press"',
    '"press more press"',
    '"freedom of the press"',
    '"freedom for the press"',
    '"freedom of press"',
    '"press and more press"',
    "surv*",
    "journalists -surveillance",
    "-journalists",
    "title:surveillance",
    "author:reyes",
    "tag:internet",
    "(elections OR elecciones) internet",
    "",
    "nothingmatchesthis",
]


@pytest.mark.parametrize("text", QUERIES)
@pytest.mark.parametrize("any_of", [False, True])
def test_matches_and_scores_are_whoosh_s(snapshot: Snapshot, text: str, any_of: bool):
    builder = QueryBuilder(snapshot.searcher.reader(), snapshot.languages)
    query = builder.build(parse(text, snapshot.languages), any_of=any_of)
    expected = _whoosh_matches(snapshot, query)
    matched, timed_out = evaluate(snapshot.searcher, query, Postings(), RANKING)
    assert not timed_out
    found = dict(zip(matched.docs.tolist(), matched.scores.tolist(), strict=True))
    assert found.keys() == expected.keys()
    # Frequencies are kept normalised as 32-bit floats: scores agree to six digits.
    assert found == pytest.approx(expected, rel=1e-6)


def test_deleted_documents_never_match(snapshot: Snapshot):
    reader = snapshot.searcher.reader()
    query = QueryBuilder(reader, snapshot.languages).build(parse("journalists", ("en",)))
    matched, _ = evaluate(snapshot.searcher, query, Postings(), RANKING)
    assert matched.docs.size
    assert not any(reader.is_deleted(docnum) for docnum in matched.docs.tolist())


def test_field_lengths_are_whoosh_s(snapshot: Snapshot):
    postings = Postings()
    for number, (leaf, _) in enumerate(snapshot.searcher.leaf_searchers()):
        reader = leaf.reader()
        for fieldname in ("title", "body", "author"):
            lengths = postings.lengths(number, reader, fieldname)
            for docnum in reader.all_doc_ids():
                if reader.doc_field_length(docnum, fieldname):
                    assert lengths[docnum] == reader.doc_field_length(docnum, fieldname)


def _as_read(_docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights


def test_the_postings_cache_stays_within_its_bound(snapshot: Snapshot):
    leaf = snapshot.searcher.leaf_searchers()[1][0].reader()
    terms = ("journalist", "surveil", "polic", "elect", "internet", "prison")
    unbounded = Postings()
    for term in terms:
        docs, _ = unbounded.term(1, leaf, "body", term.encode(), _as_read)
        assert docs.size
    bound = unbounded.cached_bytes // 2
    postings = Postings(max_bytes=bound)
    for term in terms:
        postings.term(1, leaf, "body", term.encode(), _as_read)
    assert 0 < postings.cached_bytes <= bound
    assert 0 < len(postings) < len(terms)


def test_which_terms_a_segment_has_is_looked_up_once(snapshot: Snapshot):
    postings = Postings()
    asked = {}
    for number, (leaf, _) in enumerate(snapshot.searcher.leaf_searchers()):
        reader = leaf.reader()
        for term in (b"journalist", b"surveil", b"zzzabsent"):
            asked[number, term] = ("body", term) in reader
            assert postings.has_term(number, reader, "body", term) == asked[number, term]
    assert any(asked.values()) and not all(asked.values())

    class Unreadable:
        def __contains__(self, key: object) -> bool:
            raise AssertionError("the term table was read again")

    for (number, term), had in asked.items():
        assert postings.has_term(number, Unreadable(), "body", term) == had


def test_preloading_reads_the_commonest_word_first(snapshot: Snapshot):
    reader = snapshot.searcher.reader()
    _, commonest = max((info.doc_frequency(), term) for term, info in reader.iter_field("body"))
    postings = Postings()
    normalisers = normaliser(snapshot.searcher, postings, RANKING)
    assert postings.preload(snapshot.searcher, ("body", "title"), 1, normalisers, 1) == 1
    read = len(postings)
    # Its list in every segment and field that has it: a search for it reads nothing more.
    for number, (leaf, _) in enumerate(snapshot.searcher.leaf_searchers()):
        for fieldname in ("body", "title"):
            if (fieldname, commonest) in leaf.reader():
                normalise = normalisers(number, leaf.reader(), fieldname)
                postings.term(number, leaf.reader(), fieldname, commonest, normalise)
    assert len(postings) == read >= 2


def test_preloading_leaves_short_lists_to_be_read_when_searched(snapshot: Snapshot):
    frequencies = [
        info.doc_frequency() for _, info in snapshot.searcher.reader().iter_field("body")
    ]
    least = 2  # most words of the fixture are in one document
    postings = Postings()
    normalisers = normaliser(snapshot.searcher, postings, RANKING)
    words = postings.preload(snapshot.searcher, ("body",), 2**30, normalisers, min_docs=least)
    assert words == sum(1 for frequency in frequencies if frequency >= least) < len(frequencies)


def test_searches_find_the_same_in_a_preloaded_cache(snapshot: Snapshot):
    postings = Postings()
    normalisers = normaliser(snapshot.searcher, postings, RANKING)
    fields = ("body", "title", "heading")
    words = postings.preload(snapshot.searcher, fields, 2**30, normalisers, min_docs=1)
    assert words == len(list(snapshot.searcher.reader().iter_field("body")))
    builder = QueryBuilder(snapshot.searcher.reader(), snapshot.languages)
    for text in QUERIES:
        query = builder.build(parse(text, snapshot.languages))
        preloaded, _ = evaluate(snapshot.searcher, query, postings, RANKING)
        fresh, _ = evaluate(snapshot.searcher, query, Postings(), RANKING)
        assert preloaded.docs.tolist() == fresh.docs.tolist()
        assert preloaded.scores.tolist() == fresh.scores.tolist()


def test_positions_are_kept_within_the_same_bound(snapshot: Snapshot):
    leaf = snapshot.searcher.leaf_searchers()[1][0].reader()
    unbounded = Postings()
    unbounded.positions(1, leaf, "body", b"press", _as_read)
    # One pass read the postings too: both are kept, and counted.
    assert len(unbounded) == 2
    postings = Postings(max_bytes=unbounded.cached_bytes - 1)
    keys = postings.positions(1, leaf, "body", b"press", _as_read)
    assert keys.size and postings.cached_bytes <= unbounded.cached_bytes - 1
    assert len(postings) == 1


def test_positions_are_whoosh_s_for_every_live_document(snapshot: Snapshot):
    for number, (leaf, _) in enumerate(snapshot.searcher.leaf_searchers()):
        reader = leaf.reader()
        keys = Postings().positions(number, reader, "body", b"press")
        matcher = reader.postings("body", b"press")
        expected = []
        while matcher.is_active():
            if not reader.is_deleted(matcher.id()):
                positions = matcher.value_as("positions")
                expected.extend((matcher.id() << 32) | position for position in positions)
            matcher.next()
        assert keys.tolist() == expected


@pytest.mark.parametrize(
    "lists",
    [
        [[0]],
        [[5, 9, 300], [70000], [1, 2, 3]],
        [list(range(0, 5000, 3)), [2**31 - 2], [4, 4, 4]],  # batched appends; 4-byte ints
        [[], [120, 507], [], [3]],  # empty values (Whoosh writes none, but decodes them)
    ],
)
def test_positions_decode_as_whoosh_decodes_them(lists: list[list[int]]):
    positions_format = Positions()
    values = [positions_format.encode(positions) for positions in lists]
    counts, flat = _decode_positions(values, positions_format)
    assert counts.tolist() == [len(positions) for positions in lists]
    assert flat.tolist() == [position for positions in lists for position in positions]


def test_values_in_another_layout_are_decoded_by_whoosh():
    positions_format = Positions()
    unterminated = positions_format.encode([3, 8])[:-1]  # Whoosh reads it without its STOP
    miscounted = b"\x00\x00\x00\x09" + positions_format.encode([1, 2])[4:]
    counts, flat = _decode_positions([unterminated, miscounted], positions_format)
    assert counts.tolist() == [2, 2] and flat.tolist() == [3, 8, 1, 2]
    characters = Characters()
    value = characters.encode([(4, 10, 15), (9, 40, 44)])
    counts, flat = _decode_positions([value], characters)
    assert counts.tolist() == [2] and flat.tolist() == [4, 9]


@pytest.mark.parametrize(
    ("date_from", "date_to"),
    [
        ("2019-03-02", "2019-03-02"),
        ("2019-03-03", None),
        (None, "2020-11-15"),
        ("2030-01-01", None),
    ],
)
def test_date_filters_admit_what_whoosh_s_date_range_does(
    snapshot: Snapshot, date_from: str | None, date_to: str | None
):
    request = build_search_request(date_from=date_from, date_to=date_to)
    start = datetime.fromisoformat(date_from) if date_from else None
    end = datetime.fromisoformat(f"{date_to}T23:59:59.999999") if date_to else None
    expected = set(snapshot.searcher.docs_for_query(wq.DateRange("date", start, end)))
    admitted = allowed_docs(snapshot, request)
    assert admitted is not None
    assert set(admitted.tolist()) == expected


def test_term_filters_intersect(snapshot: Snapshot):
    request = build_search_request(tags=["press freedom"], language="en")
    expected = set(
        snapshot.searcher.docs_for_query(
            wq.And([wq.Term("tag", "press freedom"), wq.Term("language", "en")])
        )
    )
    admitted = allowed_docs(snapshot, request)
    assert admitted is not None and len(admitted) == 2
    assert set(admitted.tolist()) == expected


def test_a_phrase_needs_its_words_next_to_each_other_in_order(snapshot: Snapshot):
    builder = QueryBuilder(snapshot.searcher.reader(), ("en",))
    phrase = builder.build(parse('"press freedom"', ("en",)))
    words = builder.build(parse("press freedom", ("en",)))
    in_order, _ = evaluate(snapshot.searcher, phrase, Postings(), RANKING)
    anywhere, _ = evaluate(snapshot.searcher, words, Postings(), RANKING)
    # Two fillers in three have "press freedom"; the third has both words apart.
    assert 260 < len(in_order) < len(anywhere)
    assert set(in_order.docs.tolist()) < set(anywhere.docs.tolist())


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ('"freedom of the press"', 134),  # the fillers of every third day
        ('"freedom for the press"', 0),  # another stop word in its place: not the phrase
        ('"freedom of a press"', 0),
        ('"freedom of press"', 0),  # a stop word fewer: the words are too close
        ('"freedom press"', 0),
        ('"press freedom"', 266),
    ],
)
def test_a_stop_word_in_a_phrase_keeps_its_place(snapshot: Snapshot, text: str, matched: int):
    builder = QueryBuilder(snapshot.searcher.reader(), ("en",))
    found, _ = evaluate(snapshot.searcher, builder.build(parse(text, ("en",))), Postings(), RANKING)
    assert len(found) == matched


@pytest.mark.parametrize("limit", [None, 0, 1, 10, 57, 299, 300, 301])
def test_the_top_by_score_is_the_head_of_the_whole_ranking(limit: int | None):
    rng = np.random.default_rng(7)
    docs = np.sort(rng.choice(10_000, size=300, replace=False))
    scores = rng.choice([0.5, 1.25, 2.0, 3.5], size=300) + rng.choice([0.0, 0.1], size=300)
    ranked = by_score(Scored(docs, scores), None)
    assert ranked == sorted(ranked, key=lambda item: (-item[0], item[1]))
    assert by_score(Scored(docs, scores), limit) == ranked[:limit]


def test_a_union_sums_alike_whether_merged_or_added_up_over_the_segment():
    rng = np.random.default_rng(11)
    size = 600
    parts = [
        Scored(np.sort(rng.choice(size, size=n, replace=False)), rng.random(n))
        for n in (40, 300, 7, 150)
    ]
    matched = sum(len(part) for part in parts)
    merged = union(parts, matched * DENSE_UNION_SHARE)  # a segment too big to add up over
    dense = union(parts, size)
    assert merged.docs.tolist() == dense.docs.tolist()
    assert merged.scores.tolist() == dense.scores.tolist()  # the same additions, in order
    assert set(merged.docs.tolist()) == set(np.concatenate([p.docs for p in parts]).tolist())


@pytest.mark.parametrize("text", ["journalists -surveillance", "surv* OR torture", "press freedom"])
def test_past_the_deadline_nothing_matches_that_should_not(snapshot: Snapshot, text: str):
    # Cut short, a query may miss matches but never lets through what it excludes.
    query = QueryBuilder(snapshot.searcher.reader(), snapshot.languages).build(
        parse(text, snapshot.languages)
    )
    matched, timed_out = evaluate(snapshot.searcher, query, Postings(), RANKING, deadline=0.0)
    assert timed_out
    assert len(matched) == 0


def test_an_exclusion_cut_short_by_the_deadline_lets_nothing_through(
    snapshot: Snapshot, monkeypatch: pytest.MonkeyPatch
):
    # One language: the exclusion is the whole query, with no language filter after it.
    query = QueryBuilder(snapshot.searcher.reader(), ("en",)).build(
        parse("journalists -surveillance", ("en",))
    )
    assert isinstance(query, Excluding)
    read_word = matching._Segment._fields_term

    def excluded_word_cut_short(segment: matching._Segment, word: Any) -> Scored:
        if any(term.text == "surveil" for term in word.subqueries):
            segment.timed_out = True  # the deadline passed while the exclusion was read
            return Scored.empty()
        return read_word(segment, word)

    monkeypatch.setattr(matching._Segment, "_fields_term", excluded_word_cut_short)
    matched, timed_out = evaluate(snapshot.searcher, query, Postings(), RANKING)
    assert timed_out
    assert len(matched) == 0  # not every article with "journalists", exclusions unread
