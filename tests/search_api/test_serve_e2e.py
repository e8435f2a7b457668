"""End to end: ``advosearch serve`` in a real process, queried over real HTTP."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

from tests.search_api.conftest import serving


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_served_search_over_http(server: str):
    status, health = get_json(f"{server}/health")
    assert (status, health["ok"], health["articles"]) == (200, True, 12)

    status, response = get_json(f"{server}/search?q=%22internet+shutdown%22+-india")
    assert status == 200
    assert [hit["id"] for hit in response["results"]] == ["amnesty/ethiopia-shutdown"]
    assert response["parsed_query"] == (
        'en: "internet shutdown" AND NOT india | es: "internet shutdown" AND NOT indi'
    )
    assert response["index_version"] == health["index_version"]

    status, error = get_json(f"{server}/search?page_size=0")
    assert status == 400
    assert error == {
        "error": {
            "code": "invalid_request",
            "message": "page_size must be between 1 and 100 (got 0)",
        }
    }


def test_served_under_a_root_path_its_page_links_under_it(index_dir, tmp_path):
    # A proxy serving https://example.org/search/ passes /search/?q=x on as /?q=x.
    with serving(index_dir, tmp_path / "serve.log", "--root-path", "/search") as base:
        with urllib.request.urlopen(f"{base}/?q=surveillance", timeout=5) as response:
            html = response.read().decode()
        with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
            assert response.status == 200
    links = re.findall(r'(?:href|action)="(/[^"]*)"', html)
    assert "/search/a/gv/covid-surveillance" in links
    assert links and all(link.startswith("/search/") for link in links), links


def test_notes_reach_a_client_in_a_header_over_http(server: str):
    # The HTTP server drops the connection on a header value with a space at either end.
    for path in ("/export?q=%22internet&frm=1", "/search/counts?q=%22internet&format=csv"):
        with urllib.request.urlopen(f"{server}{path}", timeout=5) as response:
            assert response.status == 200
            notes = urllib.parse.unquote(response.headers["X-Notes"])
        assert notes.startswith("a quote was not closed")


def test_concurrent_clients_all_get_answers(server: str):
    """Several clients at once: every answer is whole (Whoosh readers are not thread-safe,
    so the server must not let two requests read one searcher at the same time)."""
    from concurrent.futures import ThreadPoolExecutor

    paths = [
        "/search?q=torture",
        "/search?q=surveillance+privacy&sort=date",
        "/search?q=%22internet+shutdown%22",
        "/search?q=cambodia+OR+laos+elections",
        "/articles/gv/covid-surveillance/related",
        "/?q=journalists",
    ] * 12
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda path: fetch_status(f"{server}{path}"), paths))
    assert statuses == [200] * len(paths)


def fetch_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_head_gives_gets_headers_and_no_body(server: str):
    """What ``curl -I`` and uptime checkers send: GET's status and length, no body."""
    for path in ("/", "/a/gv/cambodia-press", "/health"):
        with urllib.request.urlopen(f"{server}{path}", timeout=5) as response:
            body = response.read()
        head = urllib.request.Request(f"{server}{path}", method="HEAD")
        with urllib.request.urlopen(head, timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Length"] == str(len(body))
            assert response.read() == b""
