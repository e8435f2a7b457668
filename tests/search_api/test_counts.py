"""GET /search/counts: matches per interval, empty intervals included, adding up to the
number of articles the query matches as it reads, with each interval's share of all
articles."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import ParseOptions, build_index
from indexer.settings import Settings
from search_api.app import create_app
from tests.search_api.corpus import index_corpus, search, write_corpus


def counts(client: TestClient, **params) -> dict:
    for name, alias in (("date_from", "from"), ("date_to", "to")):
        if name in params:
            params[alias] = params.pop(name)
    response = client.get("/search/counts", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def series(response: dict) -> dict[str | None, int]:
    return {row["start"]: row["count"] for row in response["counts"]}


QUERIES = [
    {},
    {"q": "internet"},
    {"q": "surveillance", "source": "amnesty"},
    {"q": "tag:freespeech", "date_from": "2019-01-01"},
    {"q": "nosuchwordanywhere"},
    {"q": "elections", "date_from": "2016-01-01", "date_to": "2020-12-31"},
]


@pytest.mark.parametrize("params", QUERIES)
@pytest.mark.parametrize("interval", ["day", "week", "month", "year"])
def test_counts_add_up_to_the_search_total(client: TestClient, params: dict, interval: str):
    response = counts(client, interval=interval, **params)
    found = search(client, group_translations="false", **params)
    assert not found["partial"]
    assert sum(row["count"] for row in response["counts"]) == response["total"] == found["total"]


@pytest.mark.parametrize(
    ("q", "having_every_word"),
    [
        ("cambodia ethiopia", []),  # no article has both words
        ("journalists detained cambodia elections", ["gv/cambodia-press"]),
    ],
)
def test_counts_never_add_articles_with_only_some_words(
    client: TestClient, q: str, having_every_word: list[str]
):
    # /search shows articles with some of the words when few have them all, and says so.
    assert search(client, q=q)["partial"] is True
    response = counts(client, q=q, interval="year")
    assert response["total"] == len(having_every_word)
    assert sum(row["count"] for row in response["counts"]) == len(having_every_word)
    assert response["partial"] is False


def test_a_parameter_counts_do_not_take_is_noted(client: TestClient):
    response = client.get("/search/counts", params={"q": "journalists", "sort": "date"})
    assert response.json()["notes"] == ["sort is not a parameter of /search/counts: it was ignored"]


def test_empty_intervals_are_present_with_zero(client: TestClient):
    response = counts(client, q="internet", interval="year")
    assert series(response) == {
        "2016-01-01": 0,
        "2017-01-01": 0,
        "2018-01-01": 0,
        "2019-01-01": 0,
        "2020-01-01": 4,
        "2021-01-01": 0,
    }


def test_months_are_contiguous_from_the_first_to_the_last_article(client: TestClient):
    starts = [row["start"] for row in counts(client, interval="month")["counts"]]
    assert starts[0] == "2016-03-01" and starts[-1] == "2021-08-01"
    assert len(starts) == (2021 - 2016) * 12 + (8 - 3) + 1
    assert len(set(starts)) == len(starts) and starts == sorted(starts)


def test_weeks_start_on_monday_and_days_are_days(client: TestClient):
    weeks = counts(client, q="internet", interval="week")["counts"]
    assert all(date.fromisoformat(row["start"]).weekday() == 0 for row in weeks)
    assert {row["start"]: row["count"] for row in weeks if row["count"]} == {
        "2020-04-13": 2,  # 15 and 16 April 2020
        "2020-06-29": 1,
        "2020-08-03": 1,
    }
    days = counts(
        client, q="internet", interval="day", date_from="2020-04-14", date_to="2020-04-17"
    )
    assert series(days) == {"2020-04-14": 0, "2020-04-15": 1, "2020-04-16": 1, "2020-04-17": 0}


def test_from_and_to_set_the_range(client: TestClient):
    response = counts(
        client, q="cambodia", interval="month", date_from="2018-06-15", date_to="2018-09-02"
    )
    assert series(response) == {
        "2018-06-01": 0,
        "2018-07-01": 1,
        "2018-08-01": 0,
        "2018-09-01": 0,
    }
    # A range with no article at all still lists its intervals.
    empty = counts(client, interval="year", date_from="2010-01-01", date_to="2012-05-01")
    assert series(empty) == {"2010-01-01": 0, "2011-01-01": 0, "2012-01-01": 0}
    assert empty["total"] == 0


def test_share_is_of_all_articles_the_filters_admit_in_the_interval(client: TestClient):
    response = counts(client, q="surveillance", interval="year")
    shares = {row["start"]: row["share"] for row in response["counts"]}
    # 2020: 2 of the 4 articles; 2021: 1 of 2; years with no article at all: 0.
    assert shares["2020-01-01"] == 0.5
    assert shares["2021-01-01"] == 0.5
    assert shares["2017-01-01"] == 0.0
    filtered = counts(client, q="surveillance", interval="year", source="amnesty")
    # Among amnesty's articles only: 2020 has 2 (one matches), 2021 one (it matches).
    assert {row["start"]: row["share"] for row in filtered["counts"]}["2021-01-01"] == 1.0
    assert {row["start"]: row["share"] for row in filtered["counts"]}["2020-01-01"] == 0.5


def test_says_how_the_query_was_read_and_the_version(client: TestClient):
    response = counts(client, q="Journalists arrested", interval="year")
    assert response["parsed_query"] == search(client, q="Journalists arrested")["parsed_query"]
    assert response["index_version"] == client.get("/health").json()["index_version"]
    assert response["interval"] == "year"


def test_csv_is_the_same_counts(client: TestClient):
    as_json = counts(client, q="internet", interval="month")
    response = client.get(
        "/search/counts", params={"q": "internet", "interval": "month", "format": "csv"}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["x-index-version"] == as_json["index_version"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["start"], int(r["count"]), float(r["share"])) for r in rows] == [
        (r["start"], r["count"], r["share"]) for r in as_json["counts"]
    ]


def test_same_request_same_bytes(client: TestClient):
    params = {"q": "surveillance", "interval": "month"}
    assert client.get("/search/counts", params=params).content == (
        client.get("/search/counts", params=params).content
    )


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"interval": "decade"}, 422, "interval"),
        ({"interval": "day", "from": "1000-01-01", "to": "2020-01-01"}, 400, "at most 10000"),
        ({"from": "2020-13-01"}, 400, "from must be a date"),
        ({"from": "2021-01-01", "to": "2020-01-01"}, 400, "is after"),
    ],
)
def test_bad_parameters(client: TestClient, params: dict, status: int, message: str):
    response = client.get("/search/counts", params=params)
    assert response.status_code == status
    assert message in response.json()["error"]["message"]


def test_too_many_intervals_say_which_dates_they_would_run_between(tmp_path: Path):
    # One article dated far ahead stretches the range of a count without from and to.
    records = [
        {"id": "now", "title": "Press now", "date": "2019-05-01", "body": "<p>Press.</p>"},
        {"id": "placeholder", "title": "Press later", "date": "2999-12-31", "body": "<p>x</p>"},
    ]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "news.json").write_text(json.dumps(records))
    summary = build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions(), workers=1)
    assert "1 record(s) dated after today" in summary.warnings[0]  # the indexer says so
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        response = client.get("/search/counts", params={"q": "press", "interval": "month"})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == (
            "at most 10000 intervals (this would be 11768, from 2019-05-01 to 2999-12-01); "
            "use a longer interval or a shorter from/to range (without from and to, it runs "
            "from the first to the last date of the articles the filters admit)"
        )
        bounded = {"q": "press", "interval": "month", "to": "2020"}
        assert client.get("/search/counts", params=bounded).status_code == 200


@pytest.fixture(scope="module")
def undated_client(tmp_path_factory: pytest.TempPathFactory):
    """The fixture archive plus an undated article and one dated only by its year."""
    root = tmp_path_factory.mktemp("undated")
    corpus = write_corpus(root / "corpus")
    (corpus / "extra").mkdir()
    records = [
        {"id": "no-date", "title": "Undated internet notes", "body": "<p>Internet.</p>"},
        {"id": "year-only", "title": "Internet yearbook", "date": "2015", "body": "<p>x</p>"},
        {"id": "month-only", "title": "Press diary", "date": "2016-03", "body": "<p>x</p>"},
    ]
    (corpus / "extra" / "extra.json").write_text(json.dumps(records))
    index_corpus([corpus], root / "index")
    with TestClient(create_app(root / "index", Settings(rate_limit_per_minute=0))) as client:
        yield client


class TestUndated:
    """Articles without a date: a last bucket with start null, so sums still hold."""

    def test_undated_bucket_keeps_the_sum(self, undated_client: TestClient):
        response = counts(undated_client, q="internet", interval="year")
        total = search(undated_client, q="internet")["total"]
        assert total == 6
        assert sum(row["count"] for row in response["counts"]) == response["total"] == total
        last = response["counts"][-1]
        assert last == {"start": None, "count": 1, "share": 1.0, "approximate": 0}
        # A year-only date counts on its first day.
        assert series(response)["2015-01-01"] == 1

    def test_undated_bucket_is_there_even_with_zero(self, undated_client: TestClient):
        response = counts(undated_client, q="surveillance", interval="year")
        assert response["counts"][-1] == {"start": None, "count": 0, "share": 0.0, "approximate": 0}

    def test_a_date_filter_leaves_undated_articles_out(self, undated_client: TestClient):
        response = counts(undated_client, q="internet", interval="year", date_from="2010-01-01")
        assert None not in series(response)
        assert (
            response["total"]
            == search(undated_client, q="internet", date_from="2010-01-01")["total"]
        )

    def test_csv_names_the_undated_bucket(self, undated_client: TestClient):
        response = undated_client.get(
            "/search/counts", params={"q": "internet", "interval": "year", "format": "csv"}
        )
        rows = list(csv.reader(io.StringIO(response.text)))
        assert rows[0] == ["start", "count", "share", "approximate"]
        assert rows[-1] == ["undated", "1", "1.0", "0"]

    @pytest.mark.parametrize(("interval", "approximate"), [("month", 1), ("week", 1), ("year", 0)])
    def test_an_article_dated_by_its_year_alone_is_counted_as_approximate(
        self, undated_client: TestClient, interval: str, approximate: int
    ):
        # In a count by month, "2015" is counted in January 2015, where it may not belong.
        response = counts(undated_client, q="internet", interval=interval)
        first_interval = {"month": "2015-01-01", "week": "2014-12-29", "year": "2015-01-01"}
        [row] = [r for r in response["counts"] if r["start"] == first_interval[interval]]
        assert (row["count"], row["approximate"]) == (1, approximate)
        others = [r for r in response["counts"] if r["start"] != first_interval[interval]]
        assert not any(r["approximate"] for r in others)

    @pytest.mark.parametrize(("interval", "approximate"), [("week", 1), ("month", 0)])
    def test_an_article_dated_by_its_month_is_approximate_in_weeks(
        self, undated_client: TestClient, interval: str, approximate: int
    ):
        response = counts(undated_client, q="diary", interval=interval)
        [row] = [r for r in response["counts"] if r["count"]]
        assert (row["count"], row["approximate"]) == (1, approximate)


@pytest.mark.parametrize(
    ("params", "note"),
    [
        ({"q": "internet", "date_to": "2015-01-31"}, True),  # "2015" may be from December
        ({"q": "internet", "date_to": "2015-12-31"}, False),  # the whole year is in
        ({"q": "internet", "date_from": "2015-01-01"}, False),  # no end to go past
        ({"q": "diary", "date_to": "2016-03-15"}, True),  # "2016-03" may be from the 20th
        ({"q": "diary", "date_to": "2016-03-31"}, False),
    ],
)
def test_a_date_filter_says_when_it_takes_a_loosely_dated_article(
    undated_client: TestClient, params: dict, note: bool
):
    notes = [n for n in search(undated_client, **params)["notes"] if "dated only by" in n]
    assert notes == (
        [
            f"1 of these results are dated only by a year or month that goes on past "
            f"{params['date_to']}: each is included by its first day"
        ]
        if note
        else []
    )


def test_counts_schema_has_examples(client: TestClient):
    operation = client.get("/openapi.json").json()["paths"]["/search/counts"]["get"]
    for param in operation["parameters"]:
        assert param.get("examples") or param["schema"].get("examples"), param["name"]


def test_counts_read_dates_in_an_index_whose_first_segment_has_none(tmp_path):
    # A first run of undated pages, then a dated export: the first segment has no date
    # column, which shifted where the others' dates were read from (a 500).
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "page.txt").write_text("Undated\n\nJournalists detained.\n", encoding="utf-8")
    index_corpus([corpus], tmp_path / "index")
    records = [{"id": "d", "title": "Dated", "date": "2020-05-04", "body": "Journalists freed."}]
    (corpus / "news.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as client:
        response = counts(client, q="journalists", interval="year")
    assert series(response) == {"2020-01-01": 1, None: 1}


def test_the_date_filter_note_counts_every_article_that_shares_a_loose_date(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    dates = {"y1": "2015", "y2": "2015", "march": "2015-03", "whole": "2015-02-01"}
    records = [
        {"id": key, "title": f"Report {key}", "date": value, "body": "Journalists detained."}
        for key, value in dates.items()
    ]
    (corpus / "news.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as client:
        response = search(client, q="journalists", date_to="2015-03-31")
    assert response["total"] == 4
    # Both "2015" articles may be from after March; "2015-03" ends with the filter.
    assert [n for n in response["notes"] if "dated only by" in n] == [
        "2 of these results are dated only by a year or month that goes on past "
        "2015-03-31: each is included by its first day"
    ]


@pytest.mark.parametrize(("grouped", "count"), [("true", 1), ("false", 2)])
def test_the_date_filter_note_counts_what_the_total_counts(tmp_path, grouped: str, count: int):
    # A story and its translation, both dated by their year: one result, as the total says,
    # when translations are grouped (the note said 2 of a total of 1).
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [
        {
            "id": "en/report",
            "language": "en",
            "title": "Journalists detained",
            "date": "2015",
            "body": "Journalists were detained in the capital.",
        },
        {
            "id": "es/report",
            "language": "es",
            "title": "Periodistas detenidos",
            "date": "2015",
            "body": "Periodistas fueron detenidos en la capital. Journalists.",
        },
    ]
    (corpus / "news.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as client:
        response = search(client, q="journalists", date_to="2015-03-31", group_translations=grouped)
    assert response["total"] == count
    assert [n for n in response["notes"] if "dated only by" in n] == [
        f"{count} of these results are dated only by a year or month that goes on past "
        "2015-03-31: each is included by its first day"
    ]
