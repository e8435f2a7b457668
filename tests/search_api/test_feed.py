"""GET /feed.atom: a valid Atom feed (RFC 4287) of the newest matching articles."""

from __future__ import annotations

import json
import os
import re
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.build import FIRST_INDEXED, article_documents, locked_writer, open_index
from indexer.models import Article, Section
from indexer.settings import Settings
from search_api.app import create_app
from search_api.feeds import rfc3339
from tests.search_api.corpus import ids, index_corpus, search, write_corpus

ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
IRI = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def feed(client: TestClient, **params) -> ET.Element:
    response = client.get("/feed.atom", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.content.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.fromstring(response.content)
    assert_valid_atom(root)
    return root


def one(parent: ET.Element, name: str) -> ET.Element:
    found = parent.findall(ATOM + name)
    assert len(found) == 1, f"{parent.tag} must have exactly one {name}"
    return found[0]


def assert_valid_atom(root: ET.Element) -> None:
    """The constraints of RFC 4287 (and its RELAX NG schema) a feed must meet."""
    assert root.tag == ATOM + "feed"
    assert IRI.match(one(root, "id").text)
    assert one(root, "title").text
    assert RFC3339.match(one(root, "updated").text)
    feed_has_author = bool(root.findall(ATOM + "author"))
    for author in root.iter(ATOM + "author"):
        assert one(author, "name").text
    links = root.findall(ATOM + "link")
    assert all(link.get("href") for link in links)
    assert [link.get("rel") for link in links].count("alternate") <= 1
    for entry in root.findall(ATOM + "entry"):
        assert IRI.match(one(entry, "id").text)
        assert one(entry, "title").text
        assert RFC3339.match(one(entry, "updated").text)
        for published in entry.findall(ATOM + "published"):
            assert RFC3339.match(published.text)
        # No content element: an alternate link is required (4.1.2).
        assert not entry.findall(ATOM + "content")
        alternates = [
            link for link in entry.findall(ATOM + "link") if link.get("rel") == "alternate"
        ]
        assert len(alternates) == 1
        assert alternates[0].get("href").startswith(("http://", "https://"))
        assert feed_has_author or entry.findall(ATOM + "author")
        for summary in entry.findall(ATOM + "summary"):
            assert summary.get("type") == "text"
        for category in entry.findall(ATOM + "category"):
            assert category.get("term")


def entries(root: ET.Element) -> list[ET.Element]:
    return root.findall(ATOM + "entry")


def entry_ids(root: ET.Element) -> list[str]:
    return [one(entry, "id").text for entry in entries(root)]


def test_newest_matching_articles_first(client: TestClient):
    root = feed(client, q="surveillance")
    expected = ids(search(client, q="surveillance", sort="date", page_size=50))
    assert entry_ids(root) == [f"urn:advosearch:article:{i}" for i in expected]
    dates = [one(entry, "updated").text for entry in entries(root)]
    assert dates == sorted(dates, reverse=True)
    assert one(root, "updated").text == dates[0]


def test_a_feed_holds_only_articles_with_every_word(client: TestClient):
    # /search fills a page for a query of three words few articles have in full; a feed,
    # an alert for each new entry, holds only what the query asks for.
    q = "cambodia activists land"
    assert search(client, q=q)["partial"]
    counted = client.get("/search/counts", params={"q": q}).json()["total"]
    root = feed(client, q=q)
    assert len(entries(root)) == counted == 1
    assert subtitle(root).startswith("The one matching article")


def test_entries_have_title_link_date_summary(client: TestClient):
    [entry] = entries(feed(client, q="torture"))
    assert one(entry, "id").text == "urn:advosearch:article:amnesty/reports/2018/annual"
    assert one(entry, "title").text == "Annual report: detention conditions"
    assert one(entry, "updated").text == "2018-12-31T00:00:00Z"
    assert one(entry, "published").text == "2018-12-31T00:00:00Z"
    assert one(entry, "link").get("href") == "http://testserver/a/amnesty/reports/2018/annual"
    summary = one(entry, "summary").text
    assert "torture" in summary and "<mark>" not in summary
    assert [one(a, "name").text for a in entry.findall(ATOM + "author")] == [
        "Amnesty Research Team"
    ]
    assert [c.get("term") for c in entry.findall(ATOM + "category")] == ["torture", "detention"]


def test_an_article_url_is_its_link(client: TestClient):
    [entry] = entries(feed(client, q="title:cambodia", to="2018-12-31"))
    assert (
        one(entry, "link").get("href") == "https://globalvoices.example/2018/07/29/cambodia-press/"
    )


def test_at_most_fifty_and_filters_apply(client: TestClient):
    root = feed(client, tag="freespeech")
    assert len(entries(root)) == 3
    assert len(entries(feed(client))) == 12
    root = feed(client, source="amnesty", **{"from": "2020-01-01"})
    assert len(entries(root)) == 3
    # A feed of filters only still has summaries: the article's first words.
    assert all(one(entry, "summary").text for entry in entries(root))


def subtitle(root: ET.Element) -> str:
    return one(root, "subtitle").text.partition(";")[0]


def test_the_subtitle_says_how_the_query_was_read_and_what_was_ignored(client: TestClient):
    text = one(feed(client, q='"torture', frm="2020"), "subtitle").text
    assert text.startswith("The one matching article; query read as tortur; ")
    assert "a quote was not closed" in text  # the query's note
    assert "frm is not a parameter of /feed.atom: it was ignored" in text
    assert text.endswith(f"index version {client.get('/health').json()['index_version']}.")


def test_the_subtitle_says_whether_the_feed_holds_every_match(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    assert subtitle(feed(client)) == "All 12 matching articles"
    assert subtitle(feed(client, q="torture")) == "The one matching article"
    assert subtitle(feed(client, q="nosuchwordanywhere")) == "No matching articles"
    # A feed holds 50 articles: here 2, so the 12 articles do not all fit.
    monkeypatch.setattr("search_api.routes.editors.FEED_SIZE", 2)
    assert subtitle(feed(client)) == "Newest 2 of 12 matching articles"


def test_ids_are_stable_and_the_self_link_is_the_request(client: TestClient):
    first = feed(client, q="internet")
    again = feed(client, q="internet")
    assert one(first, "id").text == one(again, "id").text
    assert one(first, "id").text != one(feed(client, q="torture"), "id").text
    links = {link.get("rel"): link.get("href") for link in first.findall(ATOM + "link")}
    assert links["self"] == "http://testserver/feed.atom?q=internet"
    assert links["alternate"] == "http://testserver/?q=internet"


def test_text_is_escaped(client: TestClient):
    response = client.get("/feed.atom", params={"q": "script"})
    assert b"<script>" not in response.content
    [entry] = entries(ET.fromstring(response.content))
    assert "<script>alert(1)</script>" in one(entry, "summary").text
    assert "Tom & Jerry" in one(entry, "summary").text


def test_no_match_is_a_valid_empty_feed(client: TestClient):
    root = feed(client, q="nosuchwordanywhere")
    assert entries(root) == []


def test_same_request_same_bytes(client: TestClient):
    params = {"q": "internet"}
    assert client.get("/feed.atom", params=params).content == (
        client.get("/feed.atom", params=params).content
    )


def test_bad_parameters_are_a_400(client: TestClient):
    response = client.get("/feed.atom", params={"from": "someday"})
    assert response.status_code == 400
    assert response.json()["error"]["message"].startswith("from must be a date")


UNDATED = [{"id": "no-date", "title": "Undated \x0b notes", "body": "<p>Zebra.</p>"}]
AN_HOUR_LATER = time.time() + 3600


def commit_later(index_dir: Path) -> None:
    """Dates the index's versions an hour later: as if its last commit came then."""
    for toc in index_dir.glob("*.toc"):
        os.utime(toc, (AN_HOUR_LATER, AN_HOUR_LATER))


def test_undated_articles_keep_the_time_they_were_first_indexed(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "extra").mkdir()
    (corpus / "extra" / "extra.json").write_text(json.dumps(UNDATED))
    started = datetime.now(UTC).replace(microsecond=0)
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        [entry] = entries(feed(client, q="zebra"))
        first_indexed = one(entry, "updated").text
        everything = feed(client)
        # An unrelated file, indexed in a commit of its own, an hour later.
        (corpus / "extra" / "more.json").write_text(json.dumps([{"id": "m", "body": "Yak."}]))
        index_corpus([corpus], tmp_path / "index")
        commit_later(tmp_path / "index")
        [again] = entries(feed(client, q="zebra"))
    assert not entry.findall(ATOM + "published")
    assert RFC3339.match(first_indexed)
    assert datetime.fromisoformat(first_indexed) >= started
    assert one(again, "updated").text == first_indexed
    # Dated and undated entries: the feed was updated when its newest entry was.
    updated = [one(item, "updated").text for item in entries(everything)]
    assert len(updated) == 13
    assert one(everything, "updated").text == max(updated) == first_indexed


def test_a_changed_file_keeps_its_undated_articles_first_indexed_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    corpus = write_corpus(tmp_path / "corpus")
    (corpus / "extra").mkdir()
    export = corpus / "extra" / "extra.json"
    export.write_text(json.dumps(UNDATED))
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        [entry] = entries(feed(client, q="zebra"))
        # The file changes, and is indexed again an hour later.
        export.write_text(json.dumps([*UNDATED, {"id": "m", "body": "Yak."}]))
        later = datetime.fromtimestamp(int(AN_HOUR_LATER), UTC)
        monkeypatch.setattr("indexer.build.first_indexed_now", later.isoformat)
        index_corpus([corpus], tmp_path / "index")
        commit_later(tmp_path / "index")
        [again] = entries(feed(client, q="zebra"))
        [added] = entries(feed(client, q="yak"))
    assert one(again, "updated").text == one(entry, "updated").text
    assert one(added, "updated").text == rfc3339(later)


def test_undated_articles_of_an_older_index_take_the_commit_time(tmp_path: Path):
    index_corpus([write_corpus(tmp_path / "corpus")], tmp_path / "index")
    # Written as advosearch wrote articles before it kept when they were first indexed.
    article = Article(
        id="old/undated", title="Undated notes", sections=[Section(None, "s", "Zebra.")]
    )
    index = open_index(tmp_path / "index")
    with locked_writer(index, tmp_path / "index", 5, []) as writer:
        for document in article_documents(article, "api", None, first_indexed="unused"):
            document.get("meta", {}).pop(FIRST_INDEXED, None)
            writer.add_document(**document)
    commit_later(tmp_path / "index")
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        [entry] = entries(feed(client, q="zebra"))
    committed = datetime.fromtimestamp(int(AN_HOUR_LATER), UTC)
    assert one(entry, "updated").text == rfc3339(committed)


def test_feed_schema_has_examples(client: TestClient):
    operation = client.get("/openapi.json").json()["paths"]["/feed.atom"]["get"]
    names = {param["name"] for param in operation["parameters"]}
    assert names == {"q", "from", "to", "tag", "source", "lang"}
    for param in operation["parameters"]:
        assert param.get("examples") or param["schema"].get("examples"), param["name"]
    assert "application/atom+xml" in operation["responses"]["200"]["content"]


@pytest.mark.parametrize(
    "path",
    ["/search/counts", "/export", "/search/batch", "/related", "/feed.atom", "/search"],
)
def test_new_endpoints_are_in_the_openapi_document(client: TestClient, path: str):
    assert path in client.get("/openapi.json").json()["paths"]


def test_a_feed_reader_polling_an_unchanged_index_gets_a_304(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    index_corpus([corpus], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        first = client.get("/feed.atom", params={"q": "internet"})
        tag = first.headers["etag"]
        again = client.get("/feed.atom", params={"q": "internet"}, headers={"If-None-Match": tag})
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag)
        weak = {"If-None-Match": f'"other", W/{tag}'}
        assert client.get("/feed.atom", params={"q": "internet"}, headers=weak).status_code == 304
        # Another query is another feed.
        other = client.get("/feed.atom", params={"q": "elections"}, headers={"If-None-Match": tag})
        assert other.status_code == 200 and other.headers["etag"] != tag
        # A new index version may change the feed: it is sent again.
        (corpus / "extra.json").write_text(
            json.dumps([{"id": "new", "title": "Internet cut", "body": "<p>Internet.</p>"}])
        )
        index_corpus([corpus], tmp_path / "index")
        changed = client.get("/feed.atom", params={"q": "internet"}, headers={"If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag
