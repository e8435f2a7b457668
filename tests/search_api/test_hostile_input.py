"""Queries that explode or crawl, and absurd parameters: each gets results or a 4xx that
says what is wrong; never a 5xx, a traceback or a hang."""

from __future__ import annotations

import json
import urllib.request

import pytest
from fastapi.testclient import TestClient

from tests.values import nested

ABSURD_QUERIES = {
    "a lone star": "*",
    "one-letter prefix": "a*",
    "wildcards only": "?*?*",
    "many prefixes": " ".join(f"{letter}*" for letter in "abcdefghijklmnopqrstuvwxyz"),
    "hundreds of terms": " ".join(f"w{n}" for n in range(300))[:1000],
    "hundreds of OR terms": " OR ".join(f"t{n}" for n in range(200))[:1000],
    "deep brackets": "(" * 400 + "torture" + ")" * 400,
    "deep quotes": '"' * 999,
    "fuzzy on every word": " ".join(f"word{n}~2" for n in range(100))[:1000],
    "NUL bytes": "tor\x00ture\x00",
    "right-to-left": "حقوق الإنسان والصحفيين",
    "combining marks": "e\u0301\u0301\u0301 " * 50,
    "control characters": "\x01\x02\x1b[31mtorture",
    "emoji": "📰🔒 journalists",
    "only operators": 'AND OR NOT - ( ) " :',
}


@pytest.mark.parametrize("query", list(ABSURD_QUERIES.values()), ids=list(ABSURD_QUERIES))
def test_absurd_queries_get_an_answer(client: TestClient, query: str) -> None:
    for path in ("/search", "/"):
        response = client.get(path, params={"q": query})
        assert response.status_code == 200, response.text[:300]
    body = client.get("/search", params={"q": query}).json()
    assert isinstance(body["total"], int)
    assert isinstance(body["parsed_query"], str)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 5000}, "q must be at most 1000 characters"),
        ({"q": "torture", "page": 10**9}, "page x page_size must be at most"),
        ({"q": "torture", "page_size": 10**6}, "page_size must be between 1 and 100"),
        ({"q": "torture", "page": -1}, "page must be 1 or more"),
        ({"q": "torture", "from": "9999999-01-01"}, "from must be a date"),
        ({"q": "torture", "to": "9999-12-31"}, "to must be before the year 9999"),
        # As typed: a year is read as its first or last day, which it did not write.
        ({"q": "torture", "to": "9999"}, "to must be before the year 9999 (got '9999')"),
    ],
)
def test_absurd_parameters_get_a_400_that_says_why(
    client: TestClient, params: dict, message: str
) -> None:
    response = client.get("/search", params=params)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "raw", ["/search?q=%ff%fe%fd", "/search?q=%C0%AF", "/?q=%ff", "/?q=x&page=%C2%B2"]
)
def test_invalid_utf8_in_the_url_is_not_a_server_error(client: TestClient, raw: str) -> None:
    response = client.get(raw)
    assert response.status_code == 200  # each byte that is no UTF-8 read as U+FFFD


def test_unknown_article_ids_of_any_shape_are_404(client: TestClient) -> None:
    for article_id in ("../../etc/passwd", "%00", "a" * 5000, "x/../../y"):
        response = client.get(f"/articles/{article_id}")
        assert response.status_code == 404
        assert "error" in response.json()


def test_a_one_megabyte_query_string_is_refused_by_the_real_server(server: str) -> None:
    """Too big for an HTTP client library to send: written on a raw socket."""
    import contextlib
    import socket
    from urllib.parse import urlparse

    address = urlparse(server)
    request = f"GET /search?q={'x' * 1_000_000} HTTP/1.1\r\nHost: {address.netloc}\r\n\r\n"
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        # The server may close the connection before reading it all.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(request.encode())
        status_line = sock.makefile("rb").readline().decode()
    status = int(status_line.split()[1])
    assert 400 <= status < 500, status_line
    with urllib.request.urlopen(f"{server}/health", timeout=10) as response:
        assert response.status == 200  # and the server is still up


LONE_SURROGATE = "\ud800"  # half of a UTF-16 pair, which JSON can escape: no character


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/related", {"title": f"Torture{LONE_SURROGATE}", "text": LONE_SURROGATE}, 200),
        ("/related", {"title": "Torture", "exclude": [LONE_SURROGATE], "tag": LONE_SURROGATE}, 200),
        ("/search/batch", {"queries": [{"q": f"torture {LONE_SURROGATE}"}]}, 200),
        ("/search/batch", {"queries": [{"q": "torture", "source": LONE_SURROGATE}]}, 200),
        ("/related", {LONE_SURROGATE: "a field that is no field"}, 422),
    ],
)
def test_a_lone_surrogate_in_a_json_body_is_read_as_a_file_would_be(
    client: TestClient, path: str, body: dict, status: int
) -> None:
    # Sent escaped, as JSON allows ("\ud800"): a string Python holds but cannot encode.
    response = client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == status, response.text[:300]
    assert response.json()


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/search/batch", {"queries": [{"q": "torture", "tag": nested("x", 500)}]}),
        ("/related", {"title": "Torture", "exclude": nested("x", 500)}),
    ],
    ids=["batch", "related"],
)
def test_a_body_nested_hundreds_deep_is_a_422_that_says_so(
    client: TestClient, path: str, body: dict
) -> None:
    response = client.post(
        path, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422, response.text[:300]
    assert "nested too deeply" in response.json()["error"]["message"]
