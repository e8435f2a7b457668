"""Snippets: short, cut at word boundaries, every match marked, article text escaped."""

from __future__ import annotations

import html
import itertools
import json
import math
import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.analysis import Phrase
from search_api.app import create_app
from search_api.engine import Engine, Snapshot
from search_api.search import (
    MatchedSections,
    article_result,
    attach_sections,
    build_search_request,
    out_of_time,
    run_query,
    section_rank,
    sections_out_of_time,
)
from search_api.search import search as search_page
from search_api.snippets import (
    MAX_LENGTH,
    READ_CHARS_PER_ARTICLE,
    QueryTermsIn,
    _best_window,
    build_snippet,
    word_marker,
)
from tests.search_api.corpus import LONG_METHODS, index_corpus, records_client, search
from tests.terms import stem_terms

MARK = re.compile(r"<mark>(.*?)</mark>")


def marked(snippet: str) -> list[str]:
    return MARK.findall(snippet)


def visible_text(snippet: str) -> str:
    return html.unescape(snippet.replace("<mark>", "").replace("</mark>", ""))


class TestBuildSnippet:
    def test_short_text_is_whole_with_every_match_marked(self):
        snippet = build_snippet("Journalists met the journalist's lawyer.", {"journalist"})
        assert snippet.render() == (
            "<mark>Journalists</mark> met the <mark>journalist's</mark> lawyer."
        )

    def test_long_text_is_cut_to_a_window_around_the_match(self):
        rendered = build_snippet(LONG_METHODS, set(stem_terms("torture"))).render()
        text = visible_text(rendered)
        assert len(text) <= MAX_LENGTH
        assert marked(rendered) == ["torture"]
        assert text.startswith("…") and text.endswith("…")
        # Cut at word boundaries: what is left of the ellipses is whole words of the text.
        inner = text.strip("…")
        assert inner in LONG_METHODS
        start = LONG_METHODS.index(inner)
        end = start + len(inner)
        assert LONG_METHODS[start - 1] == " "
        assert end == len(LONG_METHODS) or not LONG_METHODS[end].isalnum()

    def test_window_prefers_the_stretch_with_most_distinct_terms(self):
        text = "torture " + "filler words here " * 30 + "torture and confessions together."
        rendered = build_snippet(text, set(stem_terms("torture confessions"))).render()
        assert marked(rendered) == ["torture", "confessions"]

    def test_long_text_without_matches_starts_at_the_beginning(self):
        rendered = build_snippet(LONG_METHODS, {"zzzz"}).render()
        assert rendered.startswith("Former detainees")
        assert rendered.endswith("…") and "<mark>" not in rendered
        assert len(rendered) <= MAX_LENGTH

    def test_text_is_escaped_and_only_marks_are_markup(self):
        text = 'Tom & Jerry wrote <script>alert("x")</script> <b>alert</b>'
        rendered = build_snippet(text, {"alert"}).render()
        assert "<script>" not in rendered and "<b>" not in rendered
        assert "&amp;" in rendered and "&lt;script&gt;" in rendered
        assert re.sub(r"</?mark>", "", rendered).count("<") == 0
        assert visible_text(rendered) == text

    def test_a_cjk_word_is_marked_once_with_no_character_shown_twice(self):
        text = "记者谈新闻自由。"
        rendered = build_snippet(text, set(stem_terms("新闻自由", "zh")), language="zh").render()
        assert rendered == "记者谈<mark>新闻自由</mark>。"
        assert visible_text(rendered) == text

    def test_paragraph_breaks_become_spaces(self):
        assert build_snippet("one\n\ntwo", {"two"}).render() == "one <mark>two</mark>"

    @settings(max_examples=100)
    @given(st.text(max_size=800), st.sampled_from(["torture", "a", "x", "journalists"]))
    def test_any_text_gives_a_short_escaped_snippet(self, text: str, word: str):
        rendered = build_snippet(text, set(stem_terms(word))).render()
        assert len(visible_text(rendered)) <= MAX_LENGTH
        assert re.sub(r"</?mark>", "", rendered).count("<") == 0

    @settings(max_examples=200)
    @example("新闻新闻 自由新闻", ("新闻",), False)  # a run of CJK pairs: a mark for each
    @example("free-press presses free", ("press", "freepress"), True)
    @given(
        st.text(alphabet="ab-' 新闻自由Çc\n", max_size=60)
        | st.lists(st.sampled_from(["free", "press", "free-press", "Free", "presses", "新闻"])).map(
            " ".join
        ),
        st.sampled_from([("free",), ("press", "freepress"), ("a", "b"), ("新闻",), ("c",)]),
        st.booleans(),
    )
    def test_a_tally_counts_what_is_marked(self, text: str, words: tuple, phrase: bool):
        # An export ranks a section's marks without locating them: the same marks.
        terms = {
            term for word in words for term in stem_terms(word, "zh" if "新" in word else "en")
        }
        phrases = (
            [Phrase(tuple((term, n) for n, term in enumerate(sorted(terms))))]
            if phrase and terms
            else []
        )
        marker = word_marker(terms, (), "en", phrases)
        spans = marker.spans(text)
        assert marker.tally(text) == ({text[s:e].casefold() for s, e in spans}, len(spans))


# What each marked word is of a query, for the window tests: its terms and their idf.
WINDOW_TERMS = {
    "rights": {"right": 1.0},
    "right": {"right": 1.0},
    "press": {"press": 2.5},
    "free-press": {"free": 0.5, "press": 2.5},
    "blasphemy": {"blasphemi": 4.0},
    "x": {"x": 0.0},
}


def best_window_by_definition(
    spans: list[tuple[int, int]], target: int, terms_in: QueryTermsIn, text: str
) -> tuple[int, int]:
    """The best window as ``_best_window`` defines it, each window gathered anew."""
    best, best_key = (0, 0), (-1, -1.0, -1)
    for first in range(len(spans)):
        last = first
        while last + 1 < len(spans) and spans[last + 1][1] <= spans[first][0] + target:
            last += 1
        in_window: dict[str, float] = {}
        for start, end in spans[first : last + 1]:
            in_window.update(terms_in(text[start:end].casefold()))
        key = (len(in_window), math.fsum(in_window.values()), last - first + 1)
        if key > best_key:
            best, best_key = (first, last), key
    return best


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from([*WINDOW_TERMS, "filler", "and more filler"]), max_size=120),
    st.sets(st.integers(min_value=0, max_value=119), max_size=6),
    st.sampled_from([20, 60, 240]),
)
def test_the_window_shown_is_the_best_one(words: list[str], phrases: set[int], target: int):
    # Words, and some stretches of four words marked whole as a phrase is (over the words).
    text = " ".join(words)
    starts = list(itertools.accumulate((len(word) + 1 for word in words), initial=0))
    spans = {
        (starts[i], starts[i] + len(word)) for i, word in enumerate(words) if word in WINDOW_TERMS
    }
    spans |= {(starts[i], starts[min(i + 4, len(words))] - 1) for i in phrases if i < len(words)}
    spans = sorted(spans)

    def terms_in(marked: str) -> dict[str, float]:
        return WINDOW_TERMS.get(marked, {marked: 0.0})

    assert _best_window(spans, target, terms_in, text) == best_window_by_definition(
        spans, target, terms_in, text
    )


class TestSearchSnippets:
    def test_inflected_forms_are_marked(self, client: TestClient):
        response = search(client, q="journalists")
        snippets = {
            hit["id"]: [s["snippet"] for s in hit["sections"]] for hit in response["results"]
        }
        assert marked(snippets["gv/thai-lese-majeste"][0]) == ["journalist's"]
        assert marked(snippets["gv/cambodia-press"][0]) == ["journalist's", "Journalists"]

    def test_accented_words_are_marked_as_written(self, client: TestClient):
        hit = search(client, q="lese majeste")["results"][0]
        assert marked(hit["sections"][0]["snippet"]) == ["lèse", "majesté"]

    def test_compound_is_marked_for_its_part(self, client: TestClient):
        hit = search(client, q="covid", source="globalvoices")["results"][0]
        assert marked(hit["sections"][0]["snippet"]) == ["COVID-19"]

    def test_prefix_marks_the_words_it_reaches(self, client: TestClient):
        for query in ("journ*", "journalists*"):
            hits = search(client, q=query)["results"]
            thai = next(hit for hit in hits if hit["id"] == "gv/thai-lese-majeste")
            assert marked(thai["sections"][0]["snippet"]) == ["journalist's"]

    def test_article_text_is_escaped(self, client: TestClient):
        snippet = search(client, q="alert")["results"][0]["sections"][0]["snippet"]
        assert snippet == (
            "Attackers injected &lt;script&gt;<mark>alert</mark>(1)&lt;/script&gt; into the "
            "comment form of a site run by Tom &amp; Jerry Media."
        )

    def test_only_sections_with_a_match_are_listed(self, client: TestClient):
        hit = search(client, q="convention")["results"][0]
        assert [(s["heading"], s["anchor"]) for s in hit["sections"]] == [
            ("Recommendations", "recommendations")
        ]
        land = search(client, q="sugar")["results"][0]
        assert [s["anchor"] for s in land["sections"]] == ["intro"]

    def test_at_most_three_sections_each_with_a_match(self, client: TestClient):
        hit = search(client, q="torture")["results"][0]
        assert hit["id"] == "amnesty/reports/2018/annual"
        assert len(hit["sections"]) == 3  # four sections mention torture
        for section in hit["sections"]:
            assert [w.lower() for w in marked(section["snippet"])] == ["torture"]
            assert len(visible_text(section["snippet"])) <= MAX_LENGTH

    def test_excluded_words_are_not_marked(self, client: TestClient):
        hit = search(client, q="internet -shutdown")["results"][0]
        for section in hit["sections"]:
            assert marked(section["snippet"]) == ["Internet"]

    @pytest.mark.parametrize("query", ["tag:freespeech", "author:lima", "", "title:elections"])
    def test_an_article_matched_outside_its_text_shows_its_opening(
        self, client: TestClient, query: str
    ):
        results = search(client, q=query, page_size=100)["results"]
        assert results
        for hit in results:
            article = client.get(f"/articles/{hit['id']}").json()
            matched_in_text = any(marked(s["snippet"]) for s in hit["sections"])
            if not matched_in_text:
                [opening] = hit["sections"]
                assert opening["anchor"] == article["sections"][0]["anchor"]
                shown = visible_text(opening["snippet"]).rstrip("…")
                assert " ".join(article["sections"][0]["text"].split()).startswith(shown)

    def test_export_lists_only_sections_that_match(self, client: TestClient):
        response = client.get("/export", params={"q": "tag:freespeech"})
        assert response.status_code == 200
        for line in response.text.splitlines():
            assert json.loads(line)["matched_sections"] == []


def test_a_sections_rank_does_not_depend_on_the_order_its_words_come_in() -> None:
    # A set gives the words in another order in each process: two tied sections swapped
    # places from one server process to another, by the last digit of a sum.
    idf = {"press": 0.1, "freedom": 0.2, "cambodia": 0.3}
    ranks = {section_rank(dict(words), 0, 3) for words in itertools.permutations(idf.items())}
    assert len(ranks) == 1


def page_of(snapshot: Snapshot, q: str, deadline: float) -> tuple[int, list[dict], list[int]]:
    """The first page's articles of ``q`` with their sections matched until ``deadline``."""
    matches = run_query(snapshot, build_search_request(q=q), 5)
    docnums = [docnum for _, docnum in matches.ranked[:10]]
    articles = [article_result(snapshot.stored_fields(docnum), None) for docnum in docnums]
    unmatched = attach_sections(
        snapshot, articles, docnums, matches.parsed, matches.builder, deadline
    )
    return unmatched, articles, docnums


def test_past_the_time_budget_an_article_shows_its_opening(index_dir: Path):
    # Reading a long article for a query that marks every word took a tenth of a second:
    # the articles left when the budget is spent are shown by their opening, unmarked.
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        unmatched, on_time, _ = page_of(snapshot, "journalists", time.monotonic() + 60)
        assert unmatched == 0 and on_time
        assert all("<mark>" in article["sections"][0]["snippet"] for article in on_time)
        unmatched, too_late, docnums = page_of(snapshot, "journalists", time.monotonic() - 1)
        assert unmatched == len(too_late) == len(on_time)
        for article, docnum in zip(too_late, docnums, strict=True):
            [opening] = article["sections"]
            assert opening["anchor"] == snapshot.sections_of(docnum)[0]["anchor"]
            assert "<mark>" not in opening["snippet"]


def test_a_page_whose_sections_ran_out_of_time_says_how_many(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
):
    attach = MatchedSections.attach
    monkeypatch.setattr(
        MatchedSections,
        "attach",
        lambda self, articles, docnums, _deadline: attach(self, articles, docnums, 0.0),
    )
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        response = search_page(snapshot, build_search_request(q="journalists"), 5)
    assert sections_out_of_time(len(response["results"])) in response["notes"]
    assert out_of_time(response) and not response["timed_out"]  # every match was found


def test_a_very_long_article_is_read_for_snippets_from_its_start(tmp_path: Path):
    filler = "Ships wait outside the harbour. " * (READ_CHARS_PER_ARTICLE // 16)
    record = {
        "id": "long",
        "title": "A long report",
        "body": f"<p>The blockade began in June. {filler} Quarantined cargo rotted.</p>",
    }
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "long.json").write_text(json.dumps([record]), encoding="utf-8")
    index_corpus([tmp_path / "corpus"], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as client:
        [early] = search(client, q="blockade")["results"]
        assert marked(early["sections"][0]["snippet"]) == ["blockade"]
        # A word past what is read still finds the article; its opening is shown.
        [late] = search(client, q="quarantined")["results"]
        assert late["id"] == early["id"]
        assert marked(late["sections"][0]["snippet"]) == []
        assert visible_text(late["sections"][0]["snippet"]).startswith("The blockade began")


PHRASES = [
    {
        "id": "press",
        "title": "Newsroom",
        "body": "The press was silent. Press freedom fell, and the freedom of the press too.",
    },
    {
        "id": "protest",
        "title": "Streets",
        "body": "Their right to protest was denied; rights, protest and courts came later.",
    },
]


@pytest.fixture(scope="module")
def phrase_client(tmp_path_factory: pytest.TempPathFactory):
    with records_client(tmp_path_factory.mktemp("phrases"), "phrases.json", PHRASES) as client:
        yield client


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # A phrase is marked whole where its words make it, not wherever they are.
        ('"press freedom"', ["Press freedom"]),
        ('"right to protest"', ["right to protest"]),  # the stop word keeps its place
        ('"press freedom" press', ["press", "Press freedom", "press"]),
        ("press freedom", ["press", "Press", "freedom", "freedom", "press"]),
    ],
)
def test_a_phrase_is_marked_where_it_occurs(phrase_client: TestClient, q: str, expected: list[str]):
    [hit] = search(phrase_client, q=q)["results"]
    assert marked(hit["sections"][0]["snippet"]) == expected


@pytest.mark.parametrize("query", ["Ivoire", "d'Ivoire", "Côte d’Ivoire"])
def test_a_name_after_its_particle_is_found_and_marked(tmp_path: Path, query: str) -> None:
    record = {"id": "abidjan", "body": "Two bloggers were arrested in Côte d'Ivoire on Monday."}
    with records_client(tmp_path, "news.json", [record]) as client:
        response = search(client, q=query)
    assert [hit["id"] for hit in response["results"]] == ["news/abidjan"]
    assert "<mark>d'Ivoire</mark>" in response["results"][0]["sections"][0]["snippet"]


# Over a gap no snippet spans: each snippet can show one end of the text or the other.
GAP = "Ships waited outside the harbour for weeks, and their cargo rotted in the sun. " * 5
WINDOWS = [
    {
        "id": "retention",
        "title": "Data laws",
        "body": f"Australia's agencies and Australia defend data retention. {GAP} "
        "Mandatory metadata retention began in 2016.",
    },
    {
        "id": "blasphemy",
        "title": "Courts",
        "body": f"Pakistan's courts sat in Lahore, Pakistan. {GAP} A blasphemy case was heard.",
    },
    # Where Australia and Pakistan are common words, and metadata and blasphemy rare ones.
    *(
        {"id": f"news-{n}", "title": f"News {n}", "body": "Australia and Pakistan signed a deal."}
        for n in range(20)
    ),
]


@pytest.fixture(scope="module")
def windows_client(tmp_path_factory: pytest.TempPathFactory):
    with records_client(tmp_path_factory.mktemp("windows"), "windows.json", WINDOWS) as client:
        yield client


@pytest.mark.parametrize(
    ("q", "shown"),
    [
        # "Australia's" is the word Australia again: the other end has two words as well,
        # the rarer one among them.
        ("metadata retention australia", ["metadata", "retention"]),
        # Either end has one of the words: the rarer one says what the query is about.
        ("blasphemy pakistan", ["blasphemy"]),
    ],
)
def test_a_snippet_shows_the_rarer_of_the_querys_words(
    windows_client: TestClient, q: str, shown: list[str]
):
    # The article with every word comes first (a three-word query is filled with others).
    hit = search(windows_client, q=q)["results"][0]
    assert marked(hit["sections"][0]["snippet"]) == shown
