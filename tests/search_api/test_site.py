"""Serving the site under a path behind a proxy (``serve --root-path``): its own links, and its
rules that go by a request's path, under that path."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api.app import create_app
from search_api.site import route_path, site_link


@pytest.mark.parametrize(
    ("path", "root", "within"),
    [
        ("/search/a/x", "/search", "/a/x"),
        ("/search/", "/search", "/"),
        ("/search", "/search", "/"),
        ("/searching", "/search", "/searching"),  # another path that begins alike
        ("/a/x", "", "/a/x"),
    ],
)
def test_a_requests_path_within_the_site(path: str, root: str, within: str) -> None:
    assert route_path({"path": path, "root_path": root}) == within


def test_a_link_is_made_under_the_root_path() -> None:
    assert site_link({"root_path": "/search"}, "/?q=x") == "/search/?q=x"
    assert site_link({}, "/?q=x") == "/?q=x"


@pytest.fixture
def under_search(index_dir) -> TestClient:
    app = create_app(index_dir, Settings(rate_limit_per_minute=0))
    # uvicorn's scope under --root-path: the root path, and the full path beginning with it.
    with TestClient(app, root_path="/search") as client:
        yield client


def links(html: str) -> list[str]:
    return re.findall(r'(?:href|action)="([^"#][^"]*)"', html)


@pytest.mark.parametrize(
    "page", ["/search/?q=surveillance", "/search/a/gv/covid-surveillance", "/search/no-such-page"]
)
def test_every_link_of_a_page_is_under_the_root_path(under_search: TestClient, page: str) -> None:
    html = under_search.get(page, headers={"Accept": "text/html"}).text
    found = [link for link in links(html) if not link.startswith(("data:", "http"))]
    assert found and all(link.startswith("/search/") for link in found), found


def test_the_stylesheet_and_api_answer_under_the_root_path(under_search: TestClient) -> None:
    html = under_search.get("/search/?q=surveillance").text
    [stylesheet] = re.findall(r'href="(/search/static/[^"]+)"', html)
    assert under_search.get(stylesheet).status_code == 200
    assert under_search.get("/search/search", params={"q": "surveillance"}).json()["total"] > 0
