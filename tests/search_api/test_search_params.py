"""GET /search: each query form and filter finds exactly the articles a reader expects."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search_api.query import MAX_PREFIXES, NOTHING_SEARCHABLE, TOO_MANY_PREFIXES
from search_api.routes.params import MAX_NAMED_UNKNOWN_PARAMETERS
from tests.search_api.corpus import ALL_IDS, ids, search

COVID_PAIR = ["amnesty/covid-surveillance-copy", "gv/covid-surveillance"]
SURVEILLANCE = sorted([*COVID_PAIR, "amnesty/facial-recognition"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # Plain words: all must match.
        ("cambodia", ["gv/cambodia-land", "gv/cambodia-press", "gv/laos-elections"]),
        ("cambodia elections", ["gv/cambodia-press", "gv/laos-elections"]),
        ("cambodia activists", ["gv/cambodia-land"]),
        # Inflections: "journalists" finds "journalist's" (thai-lese-majeste has only that).
        ("journalists", ["gv/cambodia-press", "gv/thai-lese-majeste"]),
        ("journalist's", ["gv/cambodia-press", "gv/thai-lese-majeste"]),
        ("Elections", ["amnesty/ethiopia-shutdown", "gv/cambodia-press", "gv/laos-elections"]),
        # Accents folded both ways.
        ("lese majeste", ["gv/thai-lese-majeste"]),
        ("Lèse Majesté", ["gv/thai-lese-majeste"]),
        ("méxico", ["gv/periodistas"]),
        # COVID-19 is one token; "covid" also finds it (and the loose "covid" in India).
        ("COVID-19", COVID_PAIR),
        ("covid-19", COVID_PAIR),
        ("covid", [*COVID_PAIR, "gv/india-shutdown"]),
        # Phrases, straight and curly.
        ('"internet shutdown"', ["amnesty/ethiopia-shutdown", "gv/india-shutdown"]),
        ("“internet shutdown”", ["amnesty/ethiopia-shutdown", "gv/india-shutdown"]),
        ('"shutdown internet"', []),
        # Exclusions: -word, -"phrase", NOT.
        ('"internet shutdown" -india', ["amnesty/ethiopia-shutdown"]),
        ('internet -"internet shutdown"', COVID_PAIR),
        ("internet NOT kashmir", [*COVID_PAIR, "amnesty/ethiopia-shutdown"]),
        ("cambodia -elections", ["gv/cambodia-land"]),
        ("cambodia -(elections OR sugar)", []),
        # OR binds tighter than the implicit AND: (cambodia OR laos) AND elections.
        ("cambodia OR laos elections", ["gv/cambodia-press", "gv/laos-elections"]),
        ("elections cambodia OR laos", ["gv/cambodia-press", "gv/laos-elections"]),
        ("ethiopia OR laos", ["amnesty/ethiopia-shutdown", "gv/laos-elections"]),
        # Fields.
        ("title:cambodia", ["gv/cambodia-land", "gv/cambodia-press"]),
        ('title:"internet shutdown"', ["gv/india-shutdown"]),
        ("tag:freespeech", ["gv/cambodia-press", "gv/periodistas", "gv/thai-lese-majeste"]),
        ("tag:COVID-19", COVID_PAIR),
        # A tag is matched as words are: whatever its case and accents.
        ("tag:méxico", ["gv/periodistas"]),
        ("tag:MEXICO", ["gv/periodistas"]),
        ("author:lima", SURVEILLANCE),
        ('author:"ana lima"', SURVEILLANCE),
        ("author:petrov surveillance", ["amnesty/facial-recognition"]),
        ('author:"I.K. Petrov"', ["amnesty/facial-recognition"]),  # initials as one token
        ("author:i.k.", ["amnesty/facial-recognition"]),
        ("author:chak -title:elections", ["gv/cambodia-land"]),
        # Prefixes, of stems and of whole words as written.
        ("surveil*", SURVEILLANCE),
        ("surveillance*", SURVEILLANCE),
        ("journ*", ["gv/cambodia-press", "gv/thai-lese-majeste"]),
        ("zzz*", []),
        # Only exclusions: everything else.
        (
            "-cambodia",
            sorted(set(ALL_IDS) - {"gv/cambodia-land", "gv/cambodia-press", "gv/laos-elections"}),
        ),
    ],
)
def test_query_finds_exactly(client: TestClient, query: str, expected: list[str]) -> None:
    response = search(client, q=query, page_size=100)
    assert sorted(ids(response)) == sorted(expected)
    assert response["total"] == len(expected)
    assert response["partial"] is False


def test_empty_query_lists_every_article(client: TestClient) -> None:
    response = search(client, page_size=100)
    assert sorted(ids(response)) == ALL_IDS
    assert response["parsed_query"] == ""


def test_title_match_ranks_above_body_match(client: TestClient) -> None:
    # gv/laos-elections mentions Cambodia in its body only.
    assert ids(search(client, q="cambodia"))[-1] == "gv/laos-elections"


@pytest.mark.parametrize(
    "query",
    [
        '"unbalanced',
        "(cambodia",
        "cambodia))",
        "-",
        "AND",
        "title:",
        "tag:",
        "author:",
        "*",
        "?*?*",
        "(" * 300 + "cambodia" + ")" * 300,
        "cambo\x00dia",
        "\u202eaidobmac\u202c",  # right-to-left override
        "e\u0301lections",  # combining accent
        "مرحبا بالعالم",
        '-"',
        "OR OR OR",
        "NOT",
        "a" * 1000,
    ],
)
def test_malformed_query_is_answered_never_an_error(client: TestClient, query: str) -> None:
    response = search(client, q=query)
    assert isinstance(response["parsed_query"], str)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(cambodia", ["gv/cambodia-land", "gv/cambodia-press", "gv/laos-elections"]),
        ('"internet shutdown', ["amnesty/ethiopia-shutdown", "gv/india-shutdown"]),
        (
            "e\u0301lections",
            ["amnesty/ethiopia-shutdown", "gv/cambodia-press", "gv/laos-elections"],
        ),
        ("-", ALL_IDS),
        ("--", ALL_IDS),
    ],
)
def test_malformed_query_is_read_as_the_text_it_holds(
    client: TestClient, query: str, expected: list[str]
) -> None:
    response = search(client, q=query, page_size=100)
    assert sorted(ids(response)) == expected


@settings(
    max_examples=60,
    suppress_health_check=[
        *settings.default.suppress_health_check,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(query=st.text(max_size=120))
def test_search_never_fails_on_any_text(client: TestClient, query: str) -> None:
    response = client.get("/search", params={"q": query})
    assert response.status_code == 200, response.text
    assert "parsed_query" in response.json()


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        # The archive has English and Spanish articles: each language's reading is shown,
        # unless they are the same (Spanish reads a loanword's plural -s as English does).
        ("Journalists ARRESTED", "journalist AND arrest"),
        (
            "cambodia OR laos elections",
            "en: (cambodia OR lao) AND elect | es: (cambodi OR lao) AND election",
        ),
        (
            "“internet shutdown” -india",
            'en: "internet shutdown" AND NOT india | es: "internet shutdown" AND NOT indi',
        ),
        ("tag:FreeSpeech", "tag:freespeech"),
        ("(((cambodia", "en: cambodia | es: cambodi"),
        ("journalist", "journalist"),
        ("the press", "en: press | es: the AND press"),
    ],
)
def test_parsed_query_echoes_how_the_query_was_read(
    client: TestClient, query: str, parsed: str
) -> None:
    response = search(client, q=query)
    assert response["query"] == query
    assert response["parsed_query"] == parsed


class TestPartial:
    def test_no_article_with_all_words_gives_best_partial_matches(self, client: TestClient):
        response = search(client, q="cambodia ethiopia")
        assert response["partial"] is True
        assert response["notes"] == [
            "no article matches all the words; showing articles that match some"
        ]
        assert sorted(ids(response)) == [
            "amnesty/ethiopia-shutdown",
            "gv/cambodia-land",
            "gv/cambodia-press",
            "gv/laos-elections",
        ]

    def test_partial_ranks_articles_with_more_of_the_words_first(self, client: TestClient):
        response = search(client, q="cambodia elections ethiopia")
        assert response["partial"] is True
        # Three articles have two of the three words; cambodia-land has only one.
        assert response["total"] == 4
        assert ids(response)[-1] == "gv/cambodia-land"

    def test_prefix_matching_no_word_is_not_ignored(self, client: TestClient):
        response = search(client, q="cambodia zzz*")
        assert response["partial"] is True
        assert response["total"] == 3

    def test_exact_answer_is_not_partial(self, client: TestClient):
        response = search(client, q="cambodia elections")
        assert response["partial"] is False
        assert response["notes"] == []

    def test_query_of_unsearchable_words_finds_nothing_and_says_why(self, client: TestClient):
        for query in ("\U0001f600", "— …"):
            response = search(client, q=query)
            assert (response["total"], response["notes"]) == (0, [NOTHING_SEARCHABLE])
        assert search(client, q="*")["total"] == len(ALL_IDS)

    def test_too_many_prefixes_are_searched_as_words_and_say_so(self, client: TestClient):
        query = " ".join(["cambod*"] * MAX_PREFIXES + ["elections*"])
        response = search(client, q=query, lang="en")
        assert TOO_MANY_PREFIXES in response["notes"]
        assert response["parsed_query"].endswith("AND elect")

    def test_an_articles_address_finds_it_by_its_last_parts_words(self, client: TestClient):
        response = search(client, q="https://globalvoices.example/2018/07/29/cambodia-press/")
        assert ids(response)[0] == "gv/cambodia-press"
        assert response["notes"] == [
            "an address was searched as the words of its last part: cambodia press"
        ]

    def test_single_unknown_word_finds_nothing(self, client: TestClient):
        response = search(client, q="zzzz")
        assert (response["total"], response["partial"]) == (0, False)


class TestFilters:
    def test_date_range_is_inclusive_at_both_ends(self, client: TestClient):
        response = search(client, date_from="2018-07-29", date_to="2018-12-31", page_size=100)
        assert sorted(ids(response)) == ["amnesty/reports/2018/annual", "gv/cambodia-press"]

    def test_single_day_range(self, client: TestClient):
        response = search(client, date_from="2018-12-31", date_to="2018-12-31")
        assert ids(response) == ["amnesty/reports/2018/annual"]

    def test_open_ended_ranges(self, client: TestClient):
        after = search(client, date_from="2021-01-01", page_size=100)
        assert sorted(ids(after)) == ["amnesty/facial-recognition", "gv/cambodia-land"]
        before = search(client, date_to="2016-12-31", page_size=100)
        assert ids(before) == ["gv/laos-elections"]

    @pytest.mark.parametrize(
        ("date_from", "date_to"),
        [("2018", "2018"), ("2018-07", "2018-12"), ("2018-07-29", "2018-12-31")],
    )
    def test_a_year_or_a_month_is_from_its_first_day_to_its_last(
        self, client: TestClient, date_from: str, date_to: str
    ):
        response = search(client, date_from=date_from, date_to=date_to, page_size=100)
        assert sorted(ids(response)) == ["amnesty/reports/2018/annual", "gv/cambodia-press"]

    def test_empty_date_fields_mean_no_limit(self, client: TestClient):
        assert search(client, date_from="", date_to="")["total"] == len(ALL_IDS)

    def test_filters_combine_with_the_query(self, client: TestClient):
        response = search(client, q="elections", date_from="2017-01-01")
        assert sorted(ids(response)) == ["amnesty/ethiopia-shutdown", "gv/cambodia-press"]

    def test_repeated_tag_requires_every_tag(self, client: TestClient):
        both = client.get("/search", params=[("tag", "freespeech"), ("tag", "Cambodia")])
        assert ids(both.json()) == ["gv/cambodia-press"]
        one = search(client, tag="freespeech", page_size=100)
        assert sorted(ids(one)) == [
            "gv/cambodia-press",
            "gv/periodistas",
            "gv/thai-lese-majeste",
        ]

    @pytest.mark.parametrize("tag", ["México", "mexico", " MEXICO "])
    def test_a_tag_filter_ignores_case_and_accents(self, client: TestClient, tag: str):
        response = search(client, tag=tag)
        assert ids(response) == ["gv/periodistas"]
        # The facet shows the tag as the article wrote it; following it finds the same.
        shown = {item["value"] for item in response["facets"]["tags"]}
        assert "México" in shown
        assert ids(search(client, tag="México")) == ids(response)

    def test_source(self, client: TestClient):
        response = search(client, source="amnesty", page_size=100)
        assert sorted(ids(response)) == [i for i in ALL_IDS if i.startswith("amnesty/")]

    def test_language(self, client: TestClient):
        assert ids(search(client, lang="es")) == ["gv/periodistas"]

    def test_a_language_the_archive_lacks_says_so(self, client: TestClient):
        response = search(client, q="press", lang="de")
        assert response["total"] == 0
        assert "the archive has no article in Deutsch (de)" in response["notes"]

    def test_a_source_the_archive_lacks_says_so(self, client: TestClient):
        response = search(client, q="press", source="amnesti")
        assert response["total"] == 0
        assert "the archive has no article from the source amnesti" in response["notes"]
        assert search(client, source="AMNESTY")["notes"] == []  # it has amnesty, case aside

    @pytest.mark.parametrize(
        "params",
        [
            {"source": "nosuchsource"},
            {"tag": "nosuchtag"},
            {"lang": "de"},
            {"date_from": "2030-01-01"},
            {"q": "cambodia", "source": "amnesty"},
        ],
    )
    def test_filter_that_nothing_passes_finds_nothing(self, client: TestClient, params):
        response = search(client, **params)
        assert (response["total"], response["results"]) == (0, [])


class TestParameters:
    @pytest.mark.parametrize("path", ["/search", "/search/counts", "/export", "/feed.atom"])
    def test_a_filter_of_one_value_given_twice_is_refused(self, client: TestClient, path: str):
        response = client.get(
            path, params=[("q", "press"), ("source", "gv"), ("source", "amnesty")]
        )
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "source takes one value (got 2: gv, amnesty)"

    def test_tags_may_be_given_several_times(self, client: TestClient):
        response = client.get("/search", params=[("tag", "press"), ("tag", "cambodia")])
        assert response.status_code == 200

    def test_a_parameter_the_endpoint_does_not_take_is_noted(self, client: TestClient):
        response = search(client, q="elections", frm="2020-01-01")
        assert response["total"] == search(client, q="elections")["total"]
        assert "frm is not a parameter of /search: it was ignored" in response["notes"]

    def test_a_parameter_without_a_name_is_no_note(self, client: TestClient):
        response = client.get("/search?q=elections&=x")
        assert response.status_code == 200
        assert response.json()["notes"] == []

    def test_many_parameters_the_endpoint_does_not_take_are_counted(self, client: TestClient):
        params = {f"x{n}": "1" for n in range(MAX_NAMED_UNKNOWN_PARAMETERS + 3)}
        notes = search(client, q="elections", **params)["notes"]
        assert len(notes) == MAX_NAMED_UNKNOWN_PARAMETERS + 1
        assert notes[-1] == "3 more parameters /search does not take were ignored"

    def test_a_source_is_named_whatever_its_case(self, client: TestClient):
        assert ids(search(client, source="Amnesty")) == ids(search(client, source="amnesty"))
        assert search(client, source="amnesty")["total"] > 0


class TestSort:
    def test_relevance_is_the_default(self, client: TestClient):
        response = search(client, q="cambodia")
        scores = [hit["score"] for hit in response["results"]]
        assert all(score is not None for score in scores)
        assert scores == sorted(scores, reverse=True)
        assert ids(response) == ids(search(client, q="cambodia", sort="relevance"))

    def test_date_sort_is_newest_first(self, client: TestClient):
        response = search(client, q="elections", sort="date")
        assert ids(response) == [
            "amnesty/ethiopia-shutdown",
            "gv/cambodia-press",
            "gv/laos-elections",
        ]
        assert [hit["score"] for hit in response["results"]] == [None, None, None]

    def test_date_sort_of_everything(self, client: TestClient):
        dates = [hit["date"] for hit in search(client, sort="date", page_size=100)["results"]]
        assert dates == sorted(dates, reverse=True)


class TestDidYouMean:
    @pytest.mark.parametrize(
        ("query", "suggestion"),
        [
            ("jornalists", "journalists"),
            ("cambodai", "cambodia"),
            ("jornalists cambodia", "journalists cambodia"),
            ("torure detention", "torture detention"),
            ('"jornalists"', '"journalists"'),  # in quotes too
            # Written as the reader wrote it.
            ("Cambodai", "Cambodia"),
            ("CAMBODAI", "CAMBODIA"),
            # A title's words, as the vocabulary holds titles' words too.
            ("title:cambodai", "title:cambodia"),
            ("Title:(cambodai)", "Title:(cambodia)"),
            ('title:"cambodai"', 'title:"cambodia"'),
            # The word searched is corrected, not the one excluded.
            ("-title:cambodai cambodai", "-title:cambodai cambodia"),
            ("-cambodai title:cambodai", "-cambodai title:cambodia"),
        ],
    )
    def test_misspelt_query_gets_a_suggestion_of_real_words(
        self, client: TestClient, query: str, suggestion: str
    ):
        assert search(client, q=query)["suggestion"] == suggestion
        # The suggestion finds articles with all its words.
        corrected = search(client, q=suggestion)
        assert corrected["total"] > 0 and corrected["partial"] is False

    @pytest.mark.parametrize(
        ("query", "suggestion"),
        [("Bekele", "author:Bekele"), ("selam bekele", 'author:"selam bekele"')],
    )
    def test_a_name_typed_as_words_gets_a_search_of_the_authors(
        self, client: TestClient, query: str, suggestion: str
    ):
        assert search(client, q=query)["total"] == 0  # the name is in no article's text
        assert search(client, q=query)["suggestion"] == suggestion
        assert search(client, q=suggestion)["total"] > 0

    @pytest.mark.parametrize(
        ("query", "suggestion"),
        [
            ("author:Bekel", "author:Bekele"),
            ('author:"Selam Bekel"', 'author:"Selam Bekele"'),
            ("author:(sopheap chek) cambodia", "author:(sopheap chak) cambodia"),
            ("Author:Ramirex", "Author:Ramirez"),
            # The name searched is corrected, not the one excluded.
            ("-author:Bekel author:Lma", "-author:Bekel author:Lima"),
        ],
    )
    def test_a_misspelt_author_gets_a_suggestion_of_the_authors_names(
        self, client: TestClient, query: str, suggestion: str
    ):
        assert search(client, q=query)["suggestion"] == suggestion
        assert search(client, q=suggestion)["total"] > 0

    def test_an_authors_name_is_not_corrected_to_another_authors(self, client: TestClient):
        assert search(client, q="author:Lima")["suggestion"] is None

    def test_two_authors_words_are_no_one_name(self, client: TestClient):
        # Ana Lima and I.K. Petrov wrote one article together: no "Ana Petrov" did.
        assert search(client, q="Ana Petrov")["suggestion"] is None

    @pytest.mark.parametrize(
        "query", ["journalists", "sugar", "lese majeste", "zzzz", "surveilance", "cambodia zzzz"]
    )
    def test_no_suggestion_for_a_good_query(self, client: TestClient, query: str):
        assert search(client, q=query)["suggestion"] is None

    def test_a_word_after_a_star_is_not_corrected_into_a_wildcard(self, client: TestClient):
        # "*jornalists" would have been offered as "*journalists", which reads no better.
        answer = search(client, q="*jornalists")
        assert answer["suggestion"] is None
        assert answer["notes"] == [
            "“*jornalists”: only a * at the end of a word is a wildcard; searched as words"
        ]
