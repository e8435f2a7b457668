"""The query language, read leniently: what each form means, and that nothing raises."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from indexer.analysis import Phrase
from indexer.build import ParseOptions, build_index
from indexer.schema import build_schema
from search_api.engine import Engine
from search_api.query import (
    EXCLUSION_IN_OR,
    LONE_WILDCARD,
    LOWERCASE_OR,
    MAX_PREFIX_EXPANSIONS,
    MAX_PREFIXES,
    NO_WORDS,
    NOTHING_SEARCHABLE,
    PREFIX_SCAN,
    SUFFIX_OPERATORS,
    TOO_MANY_PREFIXES,
    UNCLOSED_QUOTE,
    Clause,
    Group,
    QueryBuilder,
    highlights,
    parse,
    phrase_places,
)


@pytest.mark.parametrize(
    ("query", "display"),
    [
        ("journalists arrested", "journalist AND arrest"),
        ('"internet shutdown"', '"internet shutdown"'),
        # A stop word in a phrase keeps its place: any word there matches.
        ('"right to protest"', '"right to protest"'),  # its stop word is searched too
        ('"freedom of the press"', '"freedom of the press"'),
        ('"the press"', "press"),
        ("“internet shutdown”", '"internet shutdown"'),
        ("internet -india", "internet AND NOT india"),
        ('elections -"hun sen"', 'elect AND NOT "hun sen"'),
        ("NOT india internet", "internet AND NOT india"),
        ("cambodia OR laos elections", "(cambodia OR lao) AND elect"),
        ("elections cambodia OR laos", "elect AND (cambodia OR lao)"),
        ("laos OR cambodia OR thailand", "lao OR cambodia OR thailand"),
        ("privacy | surveillance", "privaci OR surveil"),
        ("privacy || surveillance laos", "(privaci OR surveil) AND lao"),
        ("title:cambodia", "title:cambodia"),
        ("Title:Cambodia", "title:cambodia"),
        ("tag:FreeSpeech", "tag:freespeech"),
        ('tag:"Hate Speech"', 'tag:"hate speech"'),
        ('author:"Ana Lima"', 'author:"ana lima"'),
        # A field before brackets is each word's, unless a word names its own.
        ("title:(privacy surveillance)", "title:privaci AND title:surveil"),
        ('title:(laos OR "hun sen" author:lima)', '(title:lao OR title:"hun sen") AND author:lima'),
        ("-tag:(india pakistan) press", "press AND NOT (tag:india AND tag:pakistan)"),
        ("tag:(IT privacy)", "tag:it AND tag:privacy"),  # as tag:IT tag:privacy: no stop word
        ("title:(elections (laos OR cambodia))", "title:elect AND (title:lao OR title:cambodia)"),
        ("surveil*", "surveil*"),
        ("Lèse Majesté", "lese AND majest"),
        ("COVID-19", "covid19"),
        ("http://example.org", '"http exampl org"'),
        ("https://gv.example/2018/07/29/cambodia-press/", "cambodia AND press"),  # its slug
        ("https://ngo.example/news/caf%C3%A9-ferm%C3%A9.html", "cafe AND ferm"),
        ("the of and", ""),
        # Another engine's suffix is left out, not searched as a number beside the word.
        ("privacy~2", "privaci"),
        ('"privacy surveillance"~5', '"privaci surveil"'),
    ],
)
def test_display_says_how_the_query_was_read(query: str, display: str) -> None:
    assert parse(query).display == display


def test_a_phrase_s_stop_words_are_looked_for_in_the_field_s_stop_words() -> None:
    phrase = Phrase((("right", 0), ("protest", 2)), (("to", 1),))
    assert phrase_places("title", phrase, build_schema()) == [
        ("title", "right", 0, False),
        ("stops_title", "to", 1, True),
        ("title", "protest", 2, False),
    ]
    # An index written before they were kept, until it is rebuilt: any word there, as then.
    older = {"title": build_schema()["title"]}
    assert phrase_places("title", phrase, older) == [
        ("title", "right", 0, False),
        ("title", "protest", 2, False),
    ]


@pytest.mark.parametrize(
    ("query", "language", "phrase"),
    [
        (
            '"the freedom of the press"',  # a stop word at an end is not part of it
            "en",
            Phrase((("freedom", 0), ("press", 3)), (("of", 1), ("the", 2))),
        ),
        ('"Right To Protest"', "en", Phrase((("right", 0), ("protest", 2)), (("to", 1),))),
        # A hyphenated word's spaced spelling, with its stop word.
        ("right-to-protest", "en", Phrase((("right", 0), ("protest", 2)), (("to", 1),))),
        # Each language's own stop words: "de" is a word in English.
        (
            '"libertad de expresión"',
            "es",
            Phrase((("libertad", 0), ("expresion", 2)), (("de", 1),)),
        ),
        ('"libertad de expresión"', "en", Phrase((("libertad", 0), ("de", 1), ("expres", 2)))),
        ('"press freedom"', "en", Phrase((("press", 0), ("freedom", 1)))),
    ],
)
def test_a_phrase_holds_the_stop_words_between_its_terms(
    query: str, language: str, phrase: Phrase
) -> None:
    assert highlights(parse(query, (language,)), language).phrases == (phrase,)


@pytest.mark.parametrize(
    ("query", "note"),
    [
        ("internet -china OR surveillance", EXCLUSION_IN_OR),
        ("internet OR -china", EXCLUSION_IN_OR),
        ('"internet shutdown', UNCLOSED_QUOTE),
        ('"internet shutdown" "press', UNCLOSED_QUOTE),
        ("source:amnesty torture", "“source:” is a filter"),
        ("Lang:es", "“lang:” is a filter"),
        ('year:"2020"', "“year:” is a filter"),
        ("country:india", "“country:” is not a field of the query (title:, author: and tag: are)"),
        ("país:México", "“país:” is not a field of the query (title:, author: and tag: are)"),
        ("权", "“权”: one Chinese, Japanese or Korean character is found only where it stands"),
        ("china or russia", LOWERCASE_OR),
        ("*ism", "“*ism”: only a * at the end of a word is a wildcard"),
        ("priv?cy", "“priv?cy”: only a * at the end"),
        ('"journalis* arrested"', '"journalis* arrested": a phrase takes no wildcard'),
        ("author:", "“author:” has nothing after it, so it was searched as a word"),
        ("press Title: ", "“title:” has nothing after it"),
        ("press title:()", "“title:” has nothing after it"),
        ("privacy~2", SUFFIX_OPERATORS),
        ("privacy^2 surveillance", SUFFIX_OPERATORS),
        ('"privacy surveillance"~5', SUFFIX_OPERATORS),
        ("author:*", LONE_WILDCARD),
        ("press tag:*", LONE_WILDCARD),
        ("*", LONE_WILDCARD),
        ("*", NO_WORDS),
        ("(", NO_WORDS),
        ("OR", NO_WORDS),
        ("NOT -", NO_WORDS),
    ],
)
def test_a_query_read_otherwise_than_written_says_so(query: str, note: str) -> None:
    assert any(said.startswith(note) for said in parse(query).notes)


@pytest.mark.parametrize(
    "query",
    [
        "internet OR china",
        '"internet shutdown"',
        "title:cambodia",
        "title:(cambodia laos)",
        "http://example.org",
        "mailto:press@example.org",
        "人权",
        "at 10:30 police arrived",
        "Syria: journalists detained",  # a headline
        "journalis*",
        "why are journalists arrested?",
        "or china",
        "~50 journalists",
        "",  # the empty query lists every article, as asked
        "   ",
    ],
)
def test_a_query_read_as_written_has_no_note(query: str) -> None:
    assert parse(query).notes == []


def test_a_lone_quote_says_there_were_no_words_not_that_they_were_searched() -> None:
    assert parse('"').notes == [NO_WORDS]


@pytest.mark.parametrize(
    ("query", "unread"),
    [
        ("the of and", "English"),
        ("de la", "español"),
        ("press freedom", None),
        ("-the press", None),
    ],
)
def test_a_query_of_one_languages_stop_words_says_that_language_was_not_searched(
    query: str, unread: str | None
) -> None:
    notes = parse(query, ("en", "es")).notes
    if unread is None:
        assert notes == []
    else:
        assert notes == [
            f"no word of the query is searchable in {unread} (very common words are not "
            f"indexed), so articles in {unread} were not searched"
        ]


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


@pytest.mark.parametrize(
    ("query", "unsearchable"),
    [
        ("the of and", True),  # stop words only
        ("\U0001f600", True),  # an emoji
        ('"the"', True),
        ("", False),
        ("*", False),  # punctuation and operators alone: an empty query, every article
        ("-", False),
        ("--", False),
        ("OR", False),
        ("the cambodia", False),
    ],
)
def test_words_with_nothing_searchable_are_told_apart_from_an_empty_query(
    query: str, unsearchable: bool
) -> None:
    parsed = parse(query)
    assert parsed.unsearchable is unsearchable
    assert (NOTHING_SEARCHABLE in parsed.notes) is unsearchable


def test_prefixes_past_the_limit_are_read_as_whole_words() -> None:
    words = [f"word{n}" for n in range(MAX_PREFIXES + 2)]
    parsed = parse(" ".join(f"{word}*" for word in words))
    kinds = [clause.kind for clause in parsed.positive_clauses()]
    assert kinds == ["prefix"] * MAX_PREFIXES + ["word", "word"]
    assert parsed.notes == [TOO_MANY_PREFIXES]
    assert parse(" ".join(f"{word}*" for word in words[:MAX_PREFIXES])).notes == []


def test_only_exclusions_leave_nothing_that_must_match() -> None:
    parsed = parse("-india")
    assert parsed.positive_count() == 0
    assert parsed.display == "NOT india"


def test_positive_clauses_skip_everything_under_a_negation() -> None:
    parsed = parse('cambodia -(laos OR "hun sen") -thailand')
    assert [clause.text for clause in parsed.positive_clauses()] == ["cambodia"]


@settings(max_examples=300)
@given(st.text(max_size=200))
def test_parse_never_raises(text: str) -> None:
    parsed = parse(text)
    assert isinstance(parsed.display, str)


@settings(max_examples=200)
@given(st.lists(st.sampled_from(['"', "(", ")", "-", "OR", "AND", "NOT", "*", "title:", "a", " "])))
def test_parse_never_raises_on_operator_soup(parts: list[str]) -> None:
    parse("".join(parts))


def test_a_broad_prefix_searches_its_most_frequent_terms_over_all_segments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two files, two writer processes: a segment each. Every word is in a.jsonl once;
    # all but the first six are in b.jsonl too, so only the sum over segments ranks them.
    monkeypatch.setattr("indexer.parallel.MIN_SHARE_BYTES", 1)
    words = [f"w{n:03d}" for n in range(MAX_PREFIX_EXPANSIONS + 6)]
    write_notes(tmp_path / "corpus", {"a": words, "b": words[6:]})
    build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions(), workers=2)

    with Engine(tmp_path / "index") as engine, engine.snapshot() as snapshot:
        assert len(snapshot.searcher.reader().leaf_readers()) == 2
        builder = QueryBuilder(snapshot.searcher.reader())
        query = builder.build(parse("w0*"))
    assert {text for field, text in query.iter_all_terms() if field == "body"} == set(words[6:])
    assert builder.expanded_too_much == [
        f"the prefix w0* matches too many words: searched the {MAX_PREFIX_EXPANSIONS} most "
        "common it begins"
    ]


def test_a_prefix_of_more_words_than_are_looked_at_says_which_were(tmp_path: Path) -> None:
    words = [f"w{n:04d}" for n in range(PREFIX_SCAN + 10)]
    write_notes(tmp_path / "corpus", {"a": words})
    build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions(), workers=1)

    with Engine(tmp_path / "index") as engine, engine.snapshot() as snapshot:
        builder = QueryBuilder(snapshot.searcher.reader())
        query = builder.build(parse("w*"))
    searched = {text for field, text in query.iter_all_terms() if field == "body"}
    assert len(searched) == MAX_PREFIX_EXPANSIONS and max(searched) < words[PREFIX_SCAN]
    assert builder.expanded_too_much == [
        f"the prefix w* matches too many words: searched the {MAX_PREFIX_EXPANSIONS} most "
        f"common of the first {PREFIX_SCAN:,} it begins, in alphabetical order"
    ]


def test_a_prefix_cut_in_several_fields_gets_one_note(tmp_path: Path) -> None:
    """Bodies have more words starting with the prefix than are looked at, titles fewer:
    the note says the body's story, once, not a note for each field."""
    words = [f"w{n:04d}" for n in range(PREFIX_SCAN + 10)]
    titled = MAX_PREFIX_EXPANSIONS + 10
    records = [
        {"id": w, "title": f"Note {w}" if n < titled else "Note", "body": f"<p>A note: {w}.</p>"}
        for n, w in enumerate(words)
    ]
    (tmp_path / "notes.jsonl").write_text("\n".join(json.dumps(r) for r in records))
    build_index([tmp_path / "notes.jsonl"], tmp_path / "index", ParseOptions(), workers=1)

    with Engine(tmp_path / "index") as engine, engine.snapshot() as snapshot:
        builder = QueryBuilder(snapshot.searcher.reader())
        query = builder.build(parse("w*"))
    titles = {text for field, text in query.iter_all_terms() if field == "title"}
    assert len(titles) == MAX_PREFIX_EXPANSIONS  # cut in the title too
    assert builder.expanded_too_much == [
        f"the prefix w* matches too many words: searched the {MAX_PREFIX_EXPANSIONS} most "
        f"common of the first {PREFIX_SCAN:,} it begins, in alphabetical order"
    ]


def write_notes(folder: Path, files: dict[str, list[str]]) -> None:
    folder.mkdir()
    for name, words in files.items():
        records = [{"id": w, "title": f"Note {w}", "body": f"<p>A note: {w}.</p>"} for w in words]
        (folder / f"{name}.jsonl").write_text("\n".join(json.dumps(r) for r in records))


def test_a_prefix_reaches_the_same_terms_however_many_segments_hold_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("indexer.parallel.MIN_SHARE_BYTES", 1)
    monkeypatch.setattr("search_api.query.PREFIX_SCAN", 10)  # fewer than the words
    words = [f"w{n:03d}" for n in range(30)]
    write_notes(tmp_path / "corpus", {"a": words[::2], "b": words[1::2]})
    reached = []
    for workers in (1, 2):
        index_dir = tmp_path / f"index-{workers}"
        build_index([tmp_path / "corpus"], index_dir, ParseOptions(), workers=workers)
        with Engine(index_dir) as engine, engine.snapshot() as snapshot:
            assert len(snapshot.searcher.reader().leaf_readers()) == workers
            builder = QueryBuilder(snapshot.searcher.reader())
            reached.append(builder.expansions("body", "w0", "en"))
    assert reached[0] == reached[1] == dict.fromkeys(words[:10], 1)


def test_past_its_deadline_a_prefix_is_not_expanded_and_the_builder_says_so(
    tmp_path: Path,
) -> None:
    write_notes(tmp_path / "corpus", {"a": ["w001", "w002"]})
    build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions())
    with Engine(tmp_path / "index") as engine, engine.snapshot() as snapshot:
        reader = snapshot.searcher.reader()
        on_time = QueryBuilder(reader, deadline=time.monotonic() + 60)
        late = QueryBuilder(reader, deadline=time.monotonic() - 1)
        assert on_time.build(parse("w00*")) is not wq.NullQuery
        assert not on_time.timed_out
        assert late.build(parse("w00*")) is wq.NullQuery
        assert late.timed_out
