"""The ingest API: token-protected, atomic, live without a restart."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import ParseOptions, build_index
from indexer.models import Article, Section
from indexer.settings import Settings
from search_api.app import create_app

TOKEN = "correct horse battery staple"
ENTRY_UPDATED = re.compile(r"<entry>.*?<updated>(.*?)</updated>")
AUTH = {"Authorization": f"Bearer {TOKEN}"}

NEW_ARTICLE = {
    "id": "ifex/new-report",
    "title": "Bloggers detained in Vientiane",
    "url": "https://ifex.example/new-report",
    "date": "2024-03-01",
    "authors": ["IFEX"],
    "tags": ["Laos"],
    "language": "en",
    "source": "ifex",
    "sections": [
        {"heading": None, "anchor": "intro", "text": "Three bloggers were detained."},
        {"heading": "Reactions", "text": "Groups called for their release."},
    ],
}


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir()
    records = [{"id": "old", "title": "An old story", "content": "<p>Old censorship news.</p>"}]
    (tmp_path / "site" / "export.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path / "site"], tmp_path / "ix", ParseOptions(), workers=1)
    return tmp_path / "ix"


@pytest.fixture
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index_dir, Settings(admin_token=TOKEN))) as client:
        yield client


def total(client: TestClient, q: str) -> int:
    return client.get("/search", params={"q": q}).json()["total"]


def test_added_articles_are_searchable_at_once(client: TestClient) -> None:
    version = client.get("/health").json()["index_version"]
    response = client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
    assert response.status_code == 200, response.text
    assert response.json()["ids"] == ["ifex/new-report"]
    assert response.json()["index_version"] != version
    assert total(client, "bloggers detained") == 1
    article = client.get("/articles/ifex/new-report").json()
    assert [s["anchor"] for s in article["sections"]] == ["intro", "reactions"]
    assert article["url"] == "https://ifex.example/new-report"


def test_tags_typed_into_one_are_split_as_a_files_are(client: TestClient) -> None:
    # Else a CSV export's "; " between tags could not be told from one inside a tag.
    sent = {**NEW_ARTICLE, "tags": ["Laos", "online safety; encryption", " Laos "]}
    assert client.post("/admin/articles", json=sent, headers=AUTH).status_code == 200
    tags = client.get("/articles/ifex/new-report").json()["tags"]
    assert tags == ["Laos", "online safety", "encryption"]
    csv = client.get("/export", params={"q": "bloggers", "format": "csv"}).text
    assert "Laos; online safety; encryption" in csv


def test_a_write_that_fails_is_a_503_and_a_line_in_the_operators_log(
    tmp_path: Path, tiny_disk: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "site").mkdir()
    records = [{"id": "old", "title": "An old story", "content": "<p>Old censorship news.</p>"}]
    (tmp_path / "site" / "export.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path / "site"], tiny_disk / "ix", ParseOptions(), workers=1)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    with TestClient(create_app(tiny_disk / "ix", Settings(admin_token=TOKEN))) as client:
        answer = client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
        assert answer.status_code == 503
        assert answer.json()["error"]["code"] == "index_write_failed"
        assert total(client, "censorship") == 1  # the version before serves on
    [logged] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert logged.getMessage().startswith("the ingest API could not write the index: ")
    assert "Read-only file system" in logged.getMessage()


def test_posting_the_same_id_replaces_the_article(client: TestClient) -> None:
    client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
    changed = {**NEW_ARTICLE, "title": "Bloggers released in Vientiane"}
    changed["sections"] = [{"heading": None, "text": "The bloggers were released."}]
    assert client.post("/admin/articles", json=[changed], headers=AUTH).status_code == 200
    assert total(client, "detained") == 0
    assert total(client, "released") == 1
    assert client.get("/health").json()["articles"] == 2


def test_an_undated_article_sent_again_keeps_its_feed_entrys_time(
    client: TestClient, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    undated = {**NEW_ARTICLE, "date": None}
    client.post("/admin/articles", json=undated, headers=AUTH)
    first = client.get("/feed.atom", params={"q": "bloggers"}).text
    # Sent again, changed, an hour later.
    an_hour_later = int(time.time()) + 3600
    later = datetime.fromtimestamp(an_hour_later, UTC)
    monkeypatch.setattr("indexer.build.first_indexed_now", later.isoformat)
    changed = {**undated, "title": "Bloggers detained in Vientiane, then released"}
    assert client.post("/admin/articles", json=changed, headers=AUTH).status_code == 200
    for toc in index_dir.glob("*.toc"):
        os.utime(toc, (an_hour_later, an_hour_later))
    again = client.get("/feed.atom", params={"q": "bloggers"}).text
    assert "then released" in again
    assert ENTRY_UPDATED.findall(again) == ENTRY_UPDATED.findall(first)


def test_language_is_detected_when_not_sent_and_translations_share_a_key(
    client: TestClient,
) -> None:
    spanish = {
        "id": "es/bloggers",
        "title": "Blogueros detenidos en Vientián",
        "sections": [{"text": "Tres blogueros fueron detenidos por la policía de la capital."}],
    }
    english = {
        "id": "en/bloggers",
        "title": "Bloggers detained in Vientiane",
        "sections": [{"text": "Three bloggers were detained by the police in the capital."}],
    }
    assert client.post("/admin/articles", json=[spanish, english], headers=AUTH).status_code == 200
    assert client.get("/articles/es/bloggers").json()["language"] == "es"
    response = client.get("/search", params={"q": "bloggers OR blogueros"}).json()
    assert response["total"] == 1
    [story] = response["results"]
    assert {story["id"], *(t["id"] for t in story["translations"])} == {
        "en/bloggers",
        "es/bloggers",
    }
    assert client.delete("/admin/articles/es/bloggers", headers=AUTH).status_code == 200
    assert client.get("/articles/en/bloggers").json()["translations"] == []
    [story] = client.get("/search", params={"q": "bloggers"}).json()["results"]
    assert story["translations"] == []


def test_deleting_removes_the_article_and_its_sections(client: TestClient) -> None:
    client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
    response = client.delete("/admin/articles/ifex/new-report", headers=AUTH)
    assert response.status_code == 200
    assert client.get("/articles/ifex/new-report").status_code == 404
    assert client.get("/health").json() | {"index_version": None} == {
        "ok": True,
        "articles": 1,
        "sections": 1,
        "index_version": None,
    }
    again = client.delete("/admin/articles/ifex/new-report", headers=AUTH)
    assert again.status_code == 404


def test_an_article_is_deleted_by_its_id_as_its_export_wrote_it(client: TestClient) -> None:
    spelled = {**NEW_ARTICLE, "id": "ifex/Key-Developments-407"}
    client.post("/admin/articles", json=spelled, headers=AUTH)
    assert client.get("/articles/ifex/Key Developments 407").status_code == 200
    response = client.delete("/admin/articles/ifex/Key Developments 407", headers=AUTH)
    assert response.status_code == 200
    assert response.json()["deleted"] == "ifex/Key-Developments-407"
    assert client.get("/articles/ifex/Key-Developments-407").status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}, {"Authorization": "Basic x"}],
)
def test_missing_or_wrong_token_is_401_and_changes_nothing(
    client: TestClient, headers: dict[str, str]
) -> None:
    response = client.post("/admin/articles", json=NEW_ARTICLE, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"]["code"] == "unauthorized"
    assert client.delete("/admin/articles/site/old", headers=headers).status_code == 401
    assert client.get("/health").json()["articles"] == 1


def test_without_a_configured_token_the_admin_api_is_off(index_dir: Path) -> None:
    with TestClient(create_app(index_dir, Settings(admin_token=None))) as client:
        response = client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
        assert "admin API is off" in response.json()["error"]["message"]
        # Whatever the body: it is not read (read, this one is a 422: not JSON).
        headers = {**AUTH, "Content-Type": "application/json"}
        junk = client.post("/admin/articles", content=b"not json " * 100_000, headers=headers)
        assert junk.status_code == 404


@pytest.mark.parametrize("token", [None, "wrong token, long enough"])
def test_the_token_is_checked_before_the_body_is_read(client: TestClient, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    headers["Content-Type"] = "application/json"
    response = client.post("/admin/articles", content=b"not json " * 100_000, headers=headers)
    assert response.status_code == 401  # not 422: the body was not looked at


def test_a_call_of_more_than_64_mb_is_a_413(client: TestClient) -> None:
    article = {**NEW_ARTICLE, "sections": [{"text": "Bloggers detained. " * 3_600_000}]}
    response = client.post("/admin/articles", json=article, headers=AUTH)
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "too_large",
        "message": "the request body is larger than this endpoint takes (64 MB)",
    }


def test_an_article_larger_than_a_file_may_be_is_refused(index_dir: Path) -> None:
    settings = Settings(admin_token=TOKEN, max_article_file_mb=1)
    article = {**NEW_ARTICLE, "sections": [{"text": "Bloggers detained. " * 60_000}]}
    with TestClient(create_app(index_dir, settings)) as client:
        response = client.post("/admin/articles", json=[NEW_ARTICLE, article], headers=AUTH)
        assert response.status_code == 400
        assert response.json()["error"]["message"] == (
            "article 2: its text is 1.1 MB, more than an article may hold "
            "(ADVOSEARCH_MAX_ARTICLE_FILE_MB: 1)"
        )
        assert total(client, "bloggers") == 0


def test_articles_sent_as_a_form_are_a_415_naming_the_content_type(client: TestClient) -> None:
    response = client.post(
        "/admin/articles",
        content=json.dumps(NEW_ARTICLE),
        headers={**AUTH, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert "Content-Type: application/json" in response.json()["error"]["message"]
    assert total(client, "bloggers") == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": "javascript:alert(1)"}, "url must be an absolute http(s) URL"),
        ({"url": None, "address": "javascript:alert(1)"}, "address must be a path on the site"),
        ({"date": "yesterday"}, "date must be an ISO date"),
        ({"date": "0001-01-01"}, "date must be an ISO date like 2018-07-29, of a year from 1000"),
        ({"id": "bad id?"}, "may hold only letters"),
        ({"id": "a//b"}, "each / between two parts that are neither empty nor . or .."),
        ({"id": "../b"}, "each / between two parts that are neither empty nor . or .."),
        ({"sections": [{"text": "  "}]}, "no section has any text"),
        ({"language": "Klingonese!"}, "language must be a language code"),
        ({"language": "zz"}, "language must be a language code"),  # the shape of one, but none
        # A file's is left out; a caller is told.
        ({"tags": ["Laos", "x" * 201]}, "each tag may be at most 200 characters (got 201"),
        ({"authors": ["y" * 300]}, "each author may be at most 200 characters (got 300"),
    ],
)
def test_invalid_articles_are_refused_whole(client: TestClient, change: dict, message: str) -> None:
    batch = [{**NEW_ARTICLE, "id": "ok/one"}, {**NEW_ARTICLE, **change}]
    response = client.post("/admin/articles", json=batch, headers=AUTH)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert client.get("/health").json()["articles"] == 1  # nothing of the batch landed


def test_an_article_dated_after_today_is_added_and_said(client: TestClient) -> None:
    # A year typed wrong (2204) would come first by date for years: the caller is told.
    batch = [{**NEW_ARTICLE, "id": "ok/now"}, {**NEW_ARTICLE, "date": "2204-05-01"}]
    response = client.post("/admin/articles", json=batch, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["notes"] == [
        "article 2 is dated 2204-05-01, after today: indexed with that date"
    ]
    assert client.get("/articles/ifex/new-report").json()["date"] == "2204-05-01"


def test_an_author_or_tag_that_is_only_markup_is_left_out_and_said(client: TestClient) -> None:
    article = {**NEW_ARTICLE, "authors": ["<img src=x>", "Ana"], "tags": ["<b></b>", "press"]}
    response = client.post("/admin/articles", json=article, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["notes"] == [
        "article 1: the author '<img src=x>' was left out: it holds no text once its markup "
        "is removed",
        "article 1: the tag '<b></b>' was left out: it holds no text once its markup is removed",
    ]
    stored = client.get("/articles/ifex/new-report").json()
    assert (stored["authors"], stored["tags"]) == (["Ana"], ["press"])


def test_an_id_too_long_is_refused_for_its_length(client: TestClient) -> None:
    longest = "ok/" + "x" * 297
    assert client.post(
        "/admin/articles", json={**NEW_ARTICLE, "id": longest}, headers=AUTH
    ).is_success
    response = client.post(
        "/admin/articles", json={**NEW_ARTICLE, "id": longest + "x"}, headers=AUTH
    )
    assert response.status_code == 422
    assert "at most 300 characters" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"title": "No id", "sections": [{"text": "Text."}]}, "article 1: id is required"),
        (
            [NEW_ARTICLE, {"id": "x", "title": "", "sections": [{"heading": "H"}]}],
            "article 2: title: String should have at least 1 character; "
            "article 2: sections[0].text is required",
        ),
        (
            {**NEW_ARTICLE, "title": " \n "},
            "article 1: title: String should have at least 1 character",
        ),
        ([NEW_ARTICLE, "text"], "article 2 is not a JSON object"),
        ({**NEW_ARTICLE, "tag": ["Laos"]}, "article 1: tag: Extra inputs are not permitted"),
        (
            {**NEW_ARTICLE, "sections": [{"text": "T.", "body": "B."}]},
            "article 1: sections[0].body: Extra inputs are not permitted",
        ),
    ],
)
def test_an_unreadable_article_is_a_422_naming_it(
    client: TestClient, body: dict | list, message: str
) -> None:
    response = client.post("/admin/articles", json=body, headers=AUTH)
    assert response.status_code == 422
    assert response.json() == {"error": {"code": "invalid_parameter", "message": message}}
    assert client.get("/health").json()["articles"] == 1


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Bloggers detained \ud800"},
        {"sections": [{"heading": "Reactions \ud800", "text": "Bloggers detained."}]},
        {"sections": [{"text": "Bloggers \ud800 detained."}]},
        {"authors": ["IFEX \ud800"]},
        {"tags": ["Laos \ud800"]},
        {"source": "ifex\ud800"},
    ],
    ids=["title", "heading", "text", "author", "tag", "source"],
)
def test_a_lone_surrogate_escape_is_stored_as_a_replacement_character(
    client: TestClient, change: dict
) -> None:
    # JSON can escape half of a UTF-16 pair ("\ud800"), which is no character: an article
    # holding one was refused with a 500, or stored, and then every read showing it failed.
    body = json.dumps({**NEW_ARTICLE, **change})
    headers = {**AUTH, "Content-Type": "application/json"}
    assert client.post("/admin/articles", content=body, headers=headers).status_code == 200
    article = client.get("/articles/ifex/new-report")
    assert article.status_code == 200
    assert "\ufffd" in article.text
    for path in ("/search", "/", "/export"):
        response = client.get(path, params={"q": "bloggers"})
        assert response.status_code == 200
        assert "Bloggers detained" in response.text
    assert client.get("/a/ifex/new-report").status_code == 200


def test_the_body_is_documented_as_one_article_or_a_list(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/admin/articles"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    article = {"$ref": "#/components/schemas/ArticleIn"}
    assert schema["anyOf"] == [article, {"type": "array", "items": article}]


def test_an_article_refused_by_its_checks_is_named(client: TestClient) -> None:
    batch = [{**NEW_ARTICLE, "id": "ok/one"}, {**NEW_ARTICLE, "date": "yesterday"}]
    response = client.post("/admin/articles", json=batch, headers=AUTH)
    assert response.json()["error"]["message"] == (
        "article 2: date must be an ISO date like 2018-07-29, of a year from 1000 to 2999 (got "
        "'yesterday')"
    )
    response = client.post("/admin/articles", json=[NEW_ARTICLE, NEW_ARTICLE], headers=AUTH)
    assert response.json()["error"]["message"] == (
        "articles 1 and 2 have the same id 'ifex/new-report': send one article per id"
    )


def test_reads_stay_public_and_cors_is_off_by_default(client: TestClient) -> None:
    response = client.get("/search", params={"q": "old"}, headers={"Origin": "https://x.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def test_cors_lets_other_sites_read_and_never_write(index_dir: Path) -> None:
    settings = Settings(cors_origins=["https://partner.example"], admin_token=TOKEN)
    origin = {"Origin": "https://partner.example"}
    with TestClient(create_app(index_dir, settings)) as client:

        def preflight(path: str, method: str, headers: str) -> int:
            asked = {
                "Access-Control-Request-Method": method,
                "Access-Control-Request-Headers": headers,
            }
            return client.options(path, headers={**origin, **asked}).status_code

        response = client.get("/export", params={"q": "old", "format": "csv"}, headers=origin)
        assert response.headers["access-control-allow-origin"] == "https://partner.example"
        exposed = response.headers["access-control-expose-headers"]
        assert {"X-Total-Count", "X-Index-Version", "X-Notes"} <= set(exposed.split(", "))
        # An editor's tool on a partner site asks for related stories of its draft.
        assert preflight("/related", "POST", "content-type") == 200
        # A feed reader sends its ETag back.
        assert preflight("/feed.atom", "GET", "if-none-match") == 200
        # The admin API needs its token's header, which no other site may send.
        for method in ("POST", "DELETE"):
            assert preflight("/admin/articles", method, "authorization, content-type") == 400


def test_an_empty_token_setting_keeps_the_admin_api_off(index_dir: Path) -> None:
    with TestClient(create_app(index_dir, Settings(admin_token=""))) as client:
        response = client.delete("/admin/articles/export/old", headers={"Authorization": "Bearer "})
        assert response.status_code == 404
        assert client.get("/health").json()["articles"] == 1


def test_newest_first_puts_undated_articles_last(client: TestClient) -> None:
    client.post("/admin/articles", json=NEW_ARTICLE, headers=AUTH)
    results = client.get("/search", params={"sort": "date", "q": "-zzzz"}).json()["results"]
    assert [hit["date"] for hit in results] == ["2024-03-01", None]


def test_an_article_as_parse_prints_it_is_taken_whole(client: TestClient) -> None:
    # ``advosearch parse --json`` prints every field of an article, including whether its
    # title was made up from its first words, which is then not indexed as a title.
    untitled = Article(
        id="ifex/untitled",
        title="Three bloggers were detained",
        sections=[Section(heading=None, anchor="intro", text="Three bloggers were detained.")],
        language="en",
        title_derived=True,
    )
    response = client.post("/admin/articles", json=untitled.to_json(), headers=AUTH)
    assert response.status_code == 200, response.text
    assert client.get("/articles/ifex/untitled").json()["title_derived"] is True
    assert total(client, "title:bloggers") == 0
    assert total(client, "bloggers") == 1


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [("https://ifex.example/news", "https://ifex.example/news/2024/03/01/report/"), (None, None)],
)
def test_an_address_on_the_site_as_parse_prints_it_links_on_the_servers_site_address(
    index_dir: Path, site_url: str | None, expected: str | None
) -> None:
    # ``advosearch parse --json`` prints a Jekyll post's "url: /2024/03/01/report/" as its
    # address, when it is given no site's address.
    article = {**NEW_ARTICLE, "url": None, "address": "/2024/03/01/report/"}
    settings = Settings(admin_token=TOKEN, site_url=site_url)
    with TestClient(create_app(index_dir, settings)) as client:
        assert client.post("/admin/articles", json=article, headers=AUTH).status_code == 200
        assert client.get("/articles/ifex/new-report").json()["url"] == expected
