"""POST /search/batch: many queries at once, each answered as /search answers it, but
exactly: never with the partial matches /search adds when few articles have every word."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api import research
from search_api.engine import Engine
from search_api.search import build_search_request
from tests.search_api.corpus import ids, search

QUERIES = [
    {"q": "surveillance"},
    {"q": "journalists"},
    {"q": "", "tag": ["freespeech"]},
    {"q": "elections", "from": "2017-01-01", "to": "2020-12-31"},
    {"q": "surveillance", "source": "amnesty", "sort": "date"},
    {"q": "periodistas", "lang": "es"},
    {"q": "nosuchwordanywhere"},
    {"q": '"internet shutdown" -india'},
]


def batch(client: TestClient, queries: list[dict], **extra) -> dict:
    response = client.post("/search/batch", json={"queries": queries, **extra})
    assert response.status_code == 200, response.text
    return response.json()


def as_search_params(query: dict) -> dict:
    params = dict(query)
    for name, alias in (("from", "date_from"), ("to", "date_to")):
        if name in params:
            params[alias] = params.pop(name)
    return params


@pytest.mark.parametrize("limit", [1, 3, 10])
def test_batch_answers_match_single_queries(client: TestClient, limit: int):
    response = batch(client, QUERIES, limit=limit)
    assert len(response["results"]) == len(QUERIES)
    for query, result in zip(QUERIES, response["results"], strict=True):
        single = search(client, page_size=limit, **as_search_params(query))
        assert result["q"] == query["q"]
        assert result["ids"] == ids(single), query
        assert result["total"] == single["total"]
        assert result["parsed_query"] == single["parsed_query"]
        assert result["partial"] == single["partial"]
    assert response["index_version"] == client.get("/health").json()["index_version"]


def test_a_query_search_answers_with_partial_matches_is_answered_exactly(client: TestClient):
    single = search(client, q="cambodia ethiopia")
    assert single["partial"] and single["total"] > 0  # no article has both words
    [result] = batch(client, [{"q": "cambodia ethiopia"}])["results"]
    assert result["total"] == 0 and result["ids"] == []
    assert not result["partial"]
    counted = client.get("/search/counts", params={"q": "cambodia ethiopia"}).json()
    assert result["total"] == counted["total"]


def test_each_answer_says_how_its_query_was_read(client: TestClient):
    queries = [{"q": '"internet shutdown'}, {"q": "source:amnesty torture"}, {"q": "press"}]
    unclosed, filter_as_field, plain = (a["notes"] for a in batch(client, queries)["results"])
    assert unclosed == [search(client, **queries[0])["notes"][0]]
    assert unclosed[0].startswith("a quote was not closed")
    # Exact: no note of partial matches filling the page, as /search's has.
    assert len(filter_as_field) == 1 and filter_as_field[0].startswith("“source:” is a filter")
    assert plain == []


def test_default_limit_is_ten(client: TestClient):
    [result] = batch(client, [{"q": ""}])["results"]
    assert result["total"] == 12 and len(result["ids"]) == 10


def test_a_tag_may_be_one_string(client: TestClient):
    [one, many] = batch(client, [{"tag": "freespeech"}, {"tag": ["freespeech"]}])["results"]
    assert one["ids"] == many["ids"] and one["total"] == 3


def test_a_null_filter_filters_nothing_as_its_absence_does(client: TestClient):
    # "from": null was taken and "tag": null was a 422.
    nulls = {"tag": None, "from": None, "to": None, "source": None, "lang": None}
    [given, absent] = batch(client, [{"q": "internet", **nulls}, {"q": "internet"}])["results"]
    assert given == absent and given["total"] > 0


def test_a_hundred_queries(client: TestClient):
    queries = [{"q": word} for word in ["surveillance", "internet", "torture", "laos"] * 25]
    response = batch(client, queries, limit=2)
    assert len(response["results"]) == 100
    assert [r["total"] for r in response["results"][:4]] == [3, 4, 1, 1]


def test_same_request_same_bytes(client: TestClient):
    body = {"queries": QUERIES, "limit": 5}
    first = client.post("/search/batch", json=body).content
    assert client.post("/search/batch", json=body).content == first


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"queries": [{"q": "x"}] * 101}, 400, "a batch has 1 to 100 queries (got 101)"),
        ({"queries": []}, 400, "a batch has 1 to 100 queries (got 0)"),
        ({"queries": [{"q": "x"}], "limit": 0}, 400, "limit must be between 1 and 100"),
        ({"queries": [{"q": "x"}], "limit": 101}, 400, "limit must be between 1 and 100"),
        # JSON's true was read as a limit of 1, and "10" as 10.
        ({"queries": [{"q": "x"}], "limit": True}, 422, "limit: Input should be a valid integer"),
        ({"queries": [{"q": "x"}], "limit": "10"}, 422, "limit: Input should be a valid integer"),
        (
            {"queries": [{"q": "x"}, {"q": "y", "from": "2020-13-01"}]},
            400,
            "queries[1]: from must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-13-01')",
        ),
        ({"queries": [{"q": "x" * 1001}]}, 400, "queries[0]: q must be at most 1000"),
        ({"queries": [{"q": "x", "tags": ["typo"]}]}, 422, "tags"),
        ({"queries": [{"q": "x", "sort": "oldest"}]}, 422, "queries[0].sort: Input should be"),
        ({}, 422, "queries"),
    ],
)
def test_bad_batches(client: TestClient, body: dict, status: int, message: str):
    response = client.post("/search/batch", json=body)
    assert response.status_code == status, response.text
    assert set(response.json()) == {"error"}
    assert message in response.json()["error"]["message"]


def test_batch_schema_has_examples(client: TestClient):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/search/batch"]["post"]
    ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    assert schemas[ref.rsplit("/", 1)[1]]["examples"]
    for name in ("BatchRequest", "BatchQuery"):
        for field, spec in schemas[name]["properties"].items():
            if field != "queries":
                assert spec.get("examples"), (name, field)


def test_a_batch_shares_a_bounded_time_budget(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    budgets: list[float] = []
    real = research.run_query

    def slow_query(snapshot, request, budget, **kwargs):
        budgets.append(budget)
        clock[0] += budget  # each query uses all the time it is given
        return real(snapshot, request, budget, **kwargs)

    clock = [0.0]
    monkeypatch.setattr(research, "run_query", slow_query)
    requests = [build_search_request(q="surveillance")] * 8
    budgets_given = research.query_budgets(2.0, clock=lambda: clock[0])
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        answers = [
            research.batch_answer(snapshot, request, 3, budget)
            for request, budget in zip(requests, budgets_given, strict=False)
        ]
    assert len(answers) == 8
    assert budgets[:5] == [2.0] * 5
    assert budgets[5:] == [0.0] * 3  # the batch's five budgets are spent
    assert sum(budgets) == research.BATCH_BUDGETS * 2.0


def test_a_query_with_an_unpaired_surrogate_is_answered(client: TestClient) -> None:
    # JSON's "\ud800" escape decodes to a character no UTF-8 answer can hold: it is read as
    # U+FFFD, and the query's words are searched as usual.
    body = '{"queries": [{"q": "journalists \\ud800"}]}'
    response = client.post(
        "/search/batch", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["q"] == "journalists \ufffd"
    assert result["total"] == search(client, q="journalists")["total"]
