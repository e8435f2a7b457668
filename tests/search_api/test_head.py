"""HEAD, as uptime and link checkers send it: GET's status and headers, no body."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from search_api.routes.pages import STYLESHEET_PATH

# Every GET endpoint, a missing article and a bad parameter included.
PATHS = [
    "/",
    "/?q=torture",
    "/a/gv/cambodia-press",
    "/a/no/such-article",
    "/a/",
    "/health",
    "/search?q=torture",
    "/search?page_size=0",
    "/search/counts?q=torture&interval=year",
    "/search/counts?q=torture&interval=year&format=csv",
    "/export?q=torture",
    "/export?q=torture&format=csv",
    "/articles",
    "/articles/gv/cambodia-press",
    "/articles/gv/cambodia-press/related",
    "/feed.atom?q=torture",
    STYLESHEET_PATH,
    "/openapi.json",
    "/docs",
]


@pytest.mark.parametrize("path", PATHS)
def test_head_answers_with_gets_status_and_headers_and_no_body(
    client: TestClient, path: str
) -> None:
    got = client.get(path)
    head = client.head(path)
    assert head.status_code == got.status_code
    assert head.content == b""
    ignored = {"date"}
    if path.startswith("/search?") and got.status_code == 200:
        ignored.add("content-length")  # the body says how long the search took (took_ms)
    if path.startswith("/export"):
        # An export is compressed as it streams; HEAD streams nothing, so it cannot say
        # (RFC 9110 lets HEAD leave out what only the content decides).
        ignored |= {"content-encoding", "vary"}
    assert {k: v for k, v in head.headers.items() if k not in ignored} == {
        k: v for k, v in got.headers.items() if k not in ignored
    }


def test_every_get_page_answers_head(client: TestClient) -> None:
    # The pages of the app and of its libraries (the API docs) alike.
    routes = [route for route in client.app.routes if "GET" in getattr(route, "methods", ())]
    paths = [route.path for route in routes if "{" not in route.path]
    assert "/docs" in paths
    assert [path for path in paths if client.head(path).status_code == 405] == []


@pytest.mark.parametrize("path", ["/related", "/search/batch"])
def test_head_is_refused_where_there_is_no_get(client: TestClient, path: str) -> None:
    response = client.head(path)
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_head_is_not_listed_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path, operations in paths.items() if "head" in operations]
