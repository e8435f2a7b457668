"""Every answer carries the privacy headers: pages, API results, errors (a 500 too), static
files."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api.app import create_app
from search_api.privacy import DOCS_CSP, READER_CSP
from search_api.routes.pages import STYLESHEET_PATH


@pytest.mark.parametrize(
    ("path", "status", "policy"),
    [
        ("/?q=journalists", 200, READER_CSP),
        ("/search?q=journalists", 200, READER_CSP),
        ("/search?page_size=0", 400, READER_CSP),
        ("/articles/no-such-article", 404, READER_CSP),
        (STYLESHEET_PATH, 200, READER_CSP),
        ("/docs", 200, DOCS_CSP),
    ],
)
def test_every_answer_carries_the_privacy_headers(
    client: TestClient, path: str, status: int, policy: str
) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.headers["content-security-policy"] == policy
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "interest-cohort=()" in response.headers["permissions-policy"]


@pytest.mark.parametrize(
    "path",
    ["/?q=journalists", "/search?q=journalists", "/search?page_size=0", "/articles/gv/a", "/"],
)
def test_searches_and_articles_are_not_kept_by_any_cache(client: TestClient, path: str) -> None:
    assert client.get(path).headers["cache-control"] == "no-store"


def test_the_stylesheet_and_feeds_say_how_they_may_be_kept(client: TestClient) -> None:
    assert "immutable" in client.get(STYLESHEET_PATH).headers["cache-control"]
    feed = client.get("/feed.atom", params={"q": "journalists"})
    assert feed.headers["cache-control"] == "private, no-cache"


def test_an_unexpected_error_answers_500_with_the_privacy_headers(index_dir: Path) -> None:
    app = create_app(index_dir, Settings(rate_limit_per_minute=0))

    @app.get("/broken")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
        page = client.get("/broken", headers={"accept": "text/html"})
    assert response.status_code == page.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "<h1>Something went wrong</h1>" in page.text  # a browser gets a page
    for answer in (response, page):
        assert "a bug" not in answer.text
        assert answer.headers["content-security-policy"] == READER_CSP
        assert answer.headers["referrer-policy"] == "no-referrer"
