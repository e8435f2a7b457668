"""Every error has one shape, a status that fits, and a message a person understands."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from indexer.errors import IndexLocked, UnreadableFile
from search_api.errors import install_error_handlers
from search_api.routes.pages import STYLESHEET_PATH


def assert_error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code
    message = body["error"]["message"]
    assert message and "Traceback" not in message and 'File "' not in message
    return message


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"page_size": "0"}, "page_size must be between 1 and 100 (got 0)"),
        ({"page_size": "101"}, "page_size must be between 1 and 100 (got 101)"),
        ({"page_size": "-5"}, "page_size must be between 1 and 100 (got -5)"),
        ({"page": "0"}, "page must be 1 or more (got 0)"),
        (
            {"from": "2020-13-01"},
            "from must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-13-01')",
        ),
        (
            {"from": "garbage"},
            "from must be a date like 2018-07-29, 2018-07 or 2018 (got 'garbage')",
        ),
        (
            {"to": "2020-02-30"},
            "to must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-02-30')",
        ),
        (
            {"from": "20200101"},
            "from must be a date like 2018-07-29, 2018-07 or 2018 (got '20200101')",
        ),
        (
            {"from": "２０１２"},
            "from must be a date like 2018-07-29, 2018-07 or 2018 (got '２０１２')",
        ),
        ({"to": "2020-W01"}, "to must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-W01')"),
        ({"to": "2020-00"}, "to must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-00')"),
        (
            {"from": "2020-00"},
            "from must be a date like 2018-07-29, 2018-07 or 2018 (got '2020-00')",
        ),
        ({"from": "2020-01-02", "to": "2020-01-01"}, "from (2020-01-02) is after to (2020-01-01)"),
        ({"q": "x" * 1001}, "q must be at most 1000 characters (got 1001)"),
        (
            {"page": "101", "page_size": "100"},
            "page x page_size must be at most 10000 (got page 101 with page_size 100)",
        ),
    ],
)
def test_invalid_search_parameter_is_a_400(client: TestClient, params: dict, message: str):
    response = client.get("/search", params=params)
    assert assert_error(response, 400, "invalid_request") == message


def test_query_of_exactly_1000_characters_is_accepted(client: TestClient):
    assert client.get("/search", params={"q": "x" * 1000}).status_code == 200


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/search?page=abc", "page"),
        ("/search?sort=oldest", "sort"),
        ("/articles/gv/cambodia-press/related?limit=many", "limit"),
    ],
)
def test_unparseable_parameter_is_a_422_naming_it(client: TestClient, url: str, name: str):
    message = assert_error(client.get(url), 422, "invalid_parameter")
    assert message.startswith(f"{name}: ")


@pytest.mark.parametrize(
    ("body", "message"),
    [({}, "queries is required"), (None, "the request body is required")],
)
def test_a_missing_value_is_a_422_saying_it_is_required(
    client: TestClient, body: dict | None, message: str
):
    response = client.post("/search/batch", json=body)
    assert assert_error(response, 422, "invalid_parameter") == message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"queries": [', "Expecting value at character 13"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"queries": [{"q": "\xff"}]}', "it is not UTF-8 text"),
        (b'{"queries": [{"q": "x"}], "limit": ' + b"1" * 5000 + b"}", "too many digits"),
    ],
    ids=["cut short", "nested too deeply", "not UTF-8", "a number too long"],
)
def test_a_body_that_is_not_json_is_a_422_saying_so(client: TestClient, body: bytes, message: str):
    response = client.post(
        "/search/batch", content=body, headers={"content-type": "application/json"}
    )
    answer = assert_error(response, 422, "invalid_parameter")
    assert answer.startswith("the request body is not valid JSON: ")
    assert answer.endswith(message)


@pytest.mark.parametrize("path", ["/related", "/search/batch"])
@pytest.mark.parametrize(
    ("content_type", "said"),
    [
        (
            "application/x-www-form-urlencoded",
            "got Content-Type: application/x-www-form-urlencoded",
        ),
        ("text/plain; charset=utf-8", "got Content-Type: text/plain; charset=utf-8"),
        (None, "got no Content-Type"),
    ],
    ids=["a form, as curl -d sends", "plain text", "no content type"],
)
def test_a_json_body_sent_as_something_else_is_a_415_naming_the_header(
    client: TestClient, path: str, content_type: str | None, said: str
):
    body = b'{"text": "journalists detained", "queries": [{"q": "journalists"}]}'
    headers = {"content-type": content_type} if content_type else {}
    request = client.build_request("POST", path, content=body, headers=headers)
    if content_type is None:
        request.headers.pop("content-type", None)
    message = assert_error(client.send(request), 415, "unsupported_media_type")
    assert "Content-Type: application/json" in message and said in message


@pytest.mark.parametrize("path", ["/related", "/search/batch"])
def test_a_body_too_large_is_a_413_whether_its_length_is_said_or_not(client: TestClient, path: str):
    body = b'{"text": "' + b"a" * (2 * 2**20) + b'"}'
    json_type = {"content-type": "application/json"}
    declared = client.post(path, content=body, headers=json_type)
    message = assert_error(declared, 413, "too_large")
    assert message == "the request body is larger than this endpoint takes (2 MB)"
    chunks = (body[start : start + 2**16] for start in range(0, len(body), 2**16))
    streamed = client.post(path, content=chunks, headers=json_type)  # no Content-Length
    assert assert_error(streamed, 413, "too_large") == message


def test_a_body_sent_with_an_export_is_ignored_however_large(client: TestClient):
    # A streamed answer listens for the client leaving, and so reads what body comes.
    chunks = (b"x" * 2**16 for _ in range(48))
    params = {"q": "journalists", "format": "jsonl"}
    response = client.request("GET", "/export", params=params, content=chunks)
    assert response.status_code == 200
    assert response.text.count("\n") == client.get("/export", params=params).text.count("\n")


def test_a_body_streamed_without_a_content_type_is_a_415(client: TestClient):
    chunks = iter([b'{"queries": [{"q": "journalists"}]}'])
    message = assert_error(
        client.post("/search/batch", content=chunks), 415, "unsupported_media_type"
    )
    assert message.endswith("(got no Content-Type)")


def test_unknown_article_is_a_404(client: TestClient):
    message = assert_error(client.get("/articles/gv/no-such-article"), 404, "not_found")
    assert message == "no article with id 'gv/no-such-article'"
    related = client.get("/articles/gv/no-such-article/related")
    assert_error(related, 404, "not_found")


def test_unknown_route_is_a_404_in_the_same_shape(client: TestClient):
    assert assert_error(client.get("/no/such/page"), 404, "not_found") == "no such page"


def test_wrong_method_is_a_405_in_the_same_shape(client: TestClient):
    assert_error(client.post("/search"), 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("POST", "/", "GET, HEAD"),
        ("POST", "/search", "GET, HEAD"),
        ("DELETE", "/articles/gv/cambodia-press", "GET, HEAD"),
        ("PUT", "/a/gv/cambodia-press", "GET, HEAD"),
        ("POST", STYLESHEET_PATH, "GET, HEAD"),
        ("GET", "/related", "POST"),
        ("PUT", "/admin/articles/gv/cambodia-press", "DELETE"),
    ],
)
def test_a_405_says_which_methods_are_allowed(
    client: TestClient, method: str, path: str, allowed: str
):
    response = client.request(method, path)
    assert response.headers["allow"] == allowed  # HEAD wherever GET is
    message = assert_error(response, 405, "method_not_allowed")
    assert message == f"method {method} is not allowed here; allowed methods: {allowed}"


# What Chromium and Firefox send with a page request.
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def assert_error_page(response, status: int) -> str:
    """An error page of the site: the status, HTML, the site's stylesheet, a way back to
    search, no script; its main text."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    html = response.text
    assert f'<link rel="stylesheet" href="{STYLESHEET_PATH}">' in html
    assert '<form role="search" method="get" action="/"' in html
    assert '<a href="/">Search the archive</a>' in html
    assert "<script" not in html
    assert "Traceback" not in html
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize(
    ("method", "url", "status", "text"),
    [
        ("GET", "/about", 404, "<h1>Not found</h1>\n<p>no such page.</p>"),
        (
            "POST",
            "/",
            405,
            "<p>method POST is not allowed here; allowed methods: GET, HEAD.</p>",
        ),
        ("GET", "/articles/gv/nope", 404, "<p>no article with id &#39;gv/nope&#39;.</p>"),
        ("GET", "/search?page_size=0", 400, "<p>page_size must be between 1 and 100"),
        ("GET", "/search?page=abc", 422, "<p>page: Input should be a valid integer"),
        ("HEAD", "/about", 404, ""),
    ],
)
def test_a_browser_gets_an_error_as_a_page_with_the_same_status_and_headers(
    client: TestClient, method: str, url: str, status: int, text: str
):
    page = client.request(method, url, headers={"accept": BROWSER})
    api = client.request(method, url)
    if method == "HEAD":
        assert page.status_code == api.status_code == status
        assert page.headers["content-type"] == "text/html; charset=utf-8"
    else:
        assert text in assert_error_page(page, status)
        assert api.status_code == status
        assert api.headers["content-type"] == "application/json"
    # The page is long enough to be worth compressing, the JSON answer is not.
    ignored = {"content-type", "content-length", "content-encoding", "vary"}
    assert {k: v for k, v in page.headers.items() if k not in ignored} == {
        k: v for k, v in api.headers.items() if k not in ignored
    }
    # Which of the two a request gets depends on its Accept: caches must know.
    for answer in (page, api):
        assert "accept" in [v.strip().lower() for v in answer.headers["vary"].split(",")]


def test_the_message_of_an_error_page_is_escaped(client: TestClient):
    page = client.get("/articles/<script>alert(1)</script>", headers={"accept": BROWSER})
    main = assert_error_page(page, 404)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in main


@pytest.mark.parametrize(
    "accept",
    ["", "*/*", "application/json", "application/json, text/html;q=0.9", "text/html;q=0"],
)
def test_api_clients_keep_the_json_shape(client: TestClient, accept: str):
    response = client.get("/about", headers={"accept": accept})
    assert assert_error(response, 404, "not_found") == "no such page"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/articles", "give an article id: /articles/{id}"),
        ("/articles/", "give an article id: /articles/{id}"),
        ("/articles//related", "give an article id: /articles/{id}/related"),
    ],
)
def test_no_article_id_is_a_404_saying_how_to_give_one(client: TestClient, url: str, message: str):
    response = client.get(url, follow_redirects=False)  # /articles no longer redirects
    assert assert_error(response, 404, "not_found") == message


def test_a_subclass_of_a_domain_error_gets_its_status_and_headers():
    class SlowLock(IndexLocked):
        code = "slow_lock"

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/locked")
    async def locked() -> None:
        raise SlowLock("another indexer holds the lock")

    response = TestClient(app).get("/locked")
    assert assert_error(response, 503, "slow_lock") == "another indexer holds the lock"
    assert response.headers["retry-after"] == "5"


def test_a_domain_error_no_request_should_meet_is_the_servers_fault_not_the_clients():
    # An indexing error (a file that cannot be read) reaching a request is a bug here: a
    # 400 would send the client looking for a mistake it did not make.
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/unreadable")
    async def unreadable() -> None:
        raise UnreadableFile("export.json: could not be parsed")

    response = TestClient(app).get("/unreadable")
    assert assert_error(response, 500, UnreadableFile.code) == "export.json: could not be parsed"
