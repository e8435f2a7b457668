"""End to end: ``advosearch serve`` in a real process, queried over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request


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
    assert response["parsed_query"] == '"internet shutdown" AND NOT india'
    assert response["index_version"] == health["index_version"]

    status, error = get_json(f"{server}/search?page_size=0")
    assert status == 400
    assert error == {
        "error": {
            "code": "invalid_request",
            "message": "page_size must be between 1 and 100 (got 0)",
        }
    }
