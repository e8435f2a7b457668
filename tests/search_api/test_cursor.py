"""Deep paging: cursors walk a whole result set with no repeats or gaps, at any depth."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api import research
from search_api.app import create_app
from search_api.engine import Engine
from search_api.search import OUT_OF_TIME, build_search_request
from search_api.search import search as search_page
from tests.search_api.corpus import ALL_IDS, ids, index_corpus, search, write_corpus


def walk(client: TestClient, page_size: int, **params) -> tuple[list[str], list[dict]]:
    """Every id, following next_cursor from the first numbered page to the end."""
    pages = [search(client, page_size=page_size, **params)]
    while pages[-1]["next_cursor"]:
        pages.append(search(client, page_size=page_size, cursor=pages[-1]["next_cursor"], **params))
        assert len(pages) < 100, "the walk does not end"
    return [hit_id for page in pages for hit_id in ids(page)], pages


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"q": "surveillance"},
        {"q": "surveillance", "sort": "date"},
        {"q": "cambodia ethiopia"},  # a partial (any-word) answer
        # A long query: its one article with every word, then the partial matches.
        {"q": "journalists jailed in cambodia before the elections"},
        {"q": "", "tag": "freespeech"},
        {"q": "", "sort": "date", "source": "amnesty"},
    ],
)
@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_walk_has_no_repeats_or_gaps_and_keeps_the_order(
    client: TestClient, params: dict, page_size: int
):
    expected = ids(search(client, page_size=100, **params))
    walked, pages = walk(client, page_size, **params)
    assert walked == expected
    assert len(set(walked)) == len(walked)
    assert pages[-1]["next_cursor"] is None
    assert {page["total"] for page in pages} == {len(expected)}
    assert {page["index_version"] for page in pages} == {pages[0]["index_version"]}
    assert all(len(page["results"]) == page_size for page in pages[:-1])


def test_the_whole_archive_one_by_one(client: TestClient):
    walked, pages = walk(client, 1)
    assert sorted(walked) == ALL_IDS
    assert [page["page"] for page in pages] == list(range(1, len(ALL_IDS) + 1))


def test_cursor_pages_match_numbered_pages(client: TestClient):
    first = search(client, q="surveillance", page_size=2)
    by_cursor = search(client, q="surveillance", page_size=2, cursor=first["next_cursor"])
    by_number = search(client, q="surveillance", page_size=2, page=2)
    for key in ("results", "total", "facets", "parsed_query", "partial", "notes", "page"):
        assert by_cursor[key] == by_number[key], key
    # Matched sections and snippets come with cursor pages too.
    assert any(hit["sections"] for hit in by_cursor["results"])


def test_last_page_and_empty_results_have_no_cursor(client: TestClient):
    assert search(client, q="surveillance", page_size=100)["next_cursor"] is None
    assert search(client, q="nosuchwordanywhere")["next_cursor"] is None


def test_a_page_costs_no_new_search(client: TestClient, monkeypatch: pytest.MonkeyPatch):
    """The result set is ranked once; every later page slices it (search_after semantics,
    O(page) however deep), so walking past page 1,000 costs what page 2 costs."""
    calls = []
    real = research.run_query
    monkeypatch.setattr(research, "run_query", lambda *a, **k: calls.append(1) or real(*a, **k))
    walked, _ = walk(client, 1, q="", source="globalvoices", lang="en")
    assert len(walked) == 6
    assert len(calls) == 1


def test_cursor_is_opaque_url_safe_text(client: TestClient):
    cursor = search(client, page_size=1)["next_cursor"]
    assert cursor and all(c.isalnum() or c in "-_" for c in cursor)


class TestRefusals:
    def test_cursor_of_another_query_is_a_400(self, client: TestClient):
        cursor = search(client, q="surveillance", page_size=1)["next_cursor"]
        response = client.get("/search", params={"q": "internet", "cursor": cursor})
        assert response.status_code == 400
        assert "another query" in response.json()["error"]["message"]
        response = client.get(
            "/search", params={"q": "surveillance", "sort": "date", "cursor": cursor}
        )
        assert response.status_code == 400

    def test_cursor_of_no_source_is_refused_with_a_source(self, client: TestClient):
        cursor = search(client, q="internet", page_size=1)["next_cursor"]
        response = client.get(
            "/search", params={"q": "internet", "source": "None", "page_size": 1, "cursor": cursor}
        )
        assert response.status_code == 400
        assert "another query" in response.json()["error"]["message"]

    def test_cursor_sent_with_another_page_size_is_a_400_naming_its_own(self, client: TestClient):
        # Its page would start at result 3, which no page of 3 results does.
        cursor = search(client, page_size=2)["next_cursor"]
        response = client.get("/search", params={"page_size": 3, "cursor": cursor})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == (
            "this cursor continues pages of 2 results: send it with page_size=2, or start "
            "again from the first page with page_size=3"
        )

    @pytest.mark.parametrize("cursor", ["garbage", "e30", "x" * 600, "eyJ2IjoxfQ", "!!!"])
    def test_garbage_cursor_is_a_400(self, client: TestClient, cursor: str):
        response = client.get("/search", params={"cursor": cursor})
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_request"
        assert "cursor" in response.json()["error"]["message"]

    @pytest.mark.parametrize(
        ("change", "page_size"),
        [({"p": 1}, 2), ({"s": 0}, 2), ({"s": 101, "p": 101}, 2), ({"p": -2}, 2)],
        ids=["mid-page", "page size 0", "page size past the limit", "negative"],
    )
    def test_a_cursor_no_page_starts_at_is_a_400(
        self, client: TestClient, change: dict, page_size: int
    ):
        # Issued cursors start a page of a page size a request may ask for.
        cursor = search(client, page_size=page_size)["next_cursor"]
        payload = {**json.loads(research.base64.urlsafe_b64decode(cursor + "==")), **change}
        raw = json.dumps(payload).encode()
        forged = research.base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = client.get("/search", params={"page_size": page_size, "cursor": forged})
        assert response.status_code == 400
        assert response.json()["error"]["message"].startswith("cursor is not one this server")

    def test_page_and_cursor_together_is_a_400(self, client: TestClient):
        cursor = search(client, page_size=1)["next_cursor"]
        response = client.get("/search", params={"page": 2, "page_size": 1, "cursor": cursor})
        assert response.status_code == 400
        assert response.json()["error"]["message"] == "use page or cursor, not both"

    def test_a_cursor_past_the_end_is_an_empty_last_page(self, client: TestClient):
        cursor = search(client, page_size=1)["next_cursor"]
        payload = json.loads(research.base64.urlsafe_b64decode(cursor + "=="))
        payload["p"] = 10**6
        raw = json.dumps(payload).encode()
        deep = research.base64.urlsafe_b64encode(raw).decode().rstrip("=")
        response = search(client, page_size=1, cursor=deep)
        assert response["results"] == [] and response["next_cursor"] is None
        assert response["total"] == len(ALL_IDS)


def test_cursor_of_an_older_index_version_is_a_409(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    index_corpus([corpus], index_dir)
    with TestClient(create_app(index_dir, Settings(rate_limit_per_minute=0))) as client:
        first = search(client, page_size=2)
        extra = tmp_path / "corpus" / "extra"
        extra.mkdir()
        (extra / "extra.json").write_text(
            json.dumps([{"id": "new", "title": "A new story", "body": "<p>Fresh text.</p>"}])
        )
        index_corpus([corpus], index_dir)
        deadline = time.monotonic() + 10
        while client.get("/health").json()["index_version"] == first["index_version"]:
            assert time.monotonic() < deadline, "the new version was not picked up"
            time.sleep(0.1)
        response = client.get("/search", params={"page_size": 2, "cursor": first["next_cursor"]})
        assert response.status_code == 409
        error = response.json()["error"]
        assert error["code"] == "index_changed"
        assert "start again from the first page" in error["message"]


def test_a_page_cut_short_by_the_time_budget_has_no_next_cursor(index_dir: Path):
    # Its cursor would continue the complete result set, not this incomplete page.
    request = build_search_request(q="journ* OR surv*", page_size=1)
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        complete = research.with_next_cursor(snapshot, request, search_page(snapshot, request, 5))
        assert complete["total"] > 1 and complete["next_cursor"] is not None
        cut_short = search_page(snapshot, request, 0)  # no time at all
        assert cut_short["timed_out"] and cut_short["partial"]
        assert OUT_OF_TIME in cut_short["notes"]
        assert research.with_next_cursor(snapshot, request, cut_short)["next_cursor"] is None
