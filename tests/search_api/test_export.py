"""GET /export: every matching article exactly once, in /search's order, streamed."""

from __future__ import annotations

import csv
import inspect
import io
import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api import research
from search_api.app import create_app
from search_api.engine import Engine
from search_api.search import build_search_request
from tests.search_api.corpus import ALL_IDS, ids, index_corpus, records_client, search


def export(client: TestClient, **params) -> list[dict]:
    response = client.get("/export", params={"format": "jsonl", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def export_csv(client: TestClient, **params) -> tuple[str, list[dict]]:
    response = client.get("/export", params={"format": "csv", **params})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    return text, list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "surveillance"}, {"q": "", "sort": "date"}, {"q": "elections", "sort": "date"}],
)
def test_every_article_exactly_once_in_search_order(client: TestClient, params: dict):
    found = search(client, page_size=100, **params)
    assert not found["partial"]
    expected = ids(found)
    rows = export(client, **params)
    assert [row["id"] for row in rows] == expected
    assert [row["rank"] for row in rows] == list(range(1, len(expected) + 1))
    _, csv_rows = export_csv(client, **params)
    assert [row["id"] for row in csv_rows] == expected


@pytest.mark.parametrize(
    ("q", "having_every_word"),
    [("cambodia ethiopia", []), ("journalists detained cambodia elections", ["gv/cambodia-press"])],
)
def test_only_articles_with_every_word_are_exported(
    client: TestClient, q: str, having_every_word: list[str]
):
    assert search(client, q=q)["partial"] is True  # /search adds partial matches
    response = client.get("/export", params={"q": q})
    assert response.headers["x-total-count"] == str(len(having_every_word))
    assert [json.loads(line)["id"] for line in response.text.splitlines()] == having_every_word


def test_the_whole_archive(client: TestClient):
    assert sorted(row["id"] for row in export(client)) == ALL_IDS
    _, rows = export_csv(client)
    assert sorted(row["id"] for row in rows) == ALL_IDS


def test_rows_carry_metadata_and_matched_section_headings(client: TestClient):
    [row] = export(client, q="torture")
    assert row["id"] == "amnesty/reports/2018/annual"
    assert row["title"] == "Annual report: detention conditions"
    assert row["date"] == "2018-12-31"
    assert row["authors"] == ["Amnesty Research Team"]
    assert row["tags"] == ["torture", "detention"]
    assert row["source"] == "amnesty" and row["language"] == "en"
    assert row["score"] > 0
    headings = [section["heading"] for section in row["matched_sections"]]
    expected = [s["heading"] for s in search(client, q="torture")["results"][0]["sections"]]
    assert headings == expected and len(headings) == 3
    _, [csv_row] = export_csv(client, q="torture")
    assert csv_row["authors"] == "Amnesty Research Team"
    assert csv_row["tags"] == "torture; detention"
    assert csv_row["matched_sections"] == "; ".join(h or "(intro)" for h in headings)
    # The same fields in the same order in both formats, as the README lists them.
    assert list(row) == list(csv_row) == [
        "rank", "id", "title", "date", "url", "authors", "tags", "source", "language", "score",
        "matched_sections",
    ]  # fmt: skip


def test_filters_apply(client: TestClient):
    rows = export(client, source="amnesty", **{"from": "2020-01-01"})
    assert [row["id"] for row in rows] == ids(
        search(client, source="amnesty", date_from="2020-01-01", page_size=100)
    )
    assert {row["source"] for row in rows} == {"amnesty"} and len(rows) == 3


def test_headers_name_version_query_and_count(client: TestClient):
    response = client.get("/export", params={"q": "Journalists", "format": "csv", "lang": "en"})
    version = client.get("/health").json()["index_version"]
    assert response.headers["x-index-version"] == version
    assert response.headers["x-parsed-query"] == "journalist"
    assert response.headers["x-total-count"] == "2"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="advosearch-journalists-lang-en-{version}.csv"'
    )


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({}, ""),
        ({"q": '"Internet shutdown"', "source": "gv"}, "internet-shutdown-source-gv-"),
        (
            {"q": "Détention", "from": "2020", "sort": "date"},
            "detention-from-2020-01-01-sort-date-",
        ),
        ({"q": "اعتقال"}, ""),  # no ASCII to spell it
        ({"q": "censorship " * 20}, "censorship-" * 7),  # whole words, up to 80 characters
    ],
)
def test_an_exports_file_name_says_its_query_and_filters(
    client: TestClient, params: dict, named: str
) -> None:
    # Files of one index version's exports had one name: curl -OJ refused the second.
    response = client.get("/export", params=params)
    version = response.headers["x-index-version"]
    assert response.headers["content-disposition"] == (
        f'attachment; filename="advosearch-{named}{version}.jsonl"'
    )


def test_a_long_querys_headers_are_cut_to_fit_a_proxys_buffer(client: TestClient):
    # A 1,000-character Arabic query, read in each of the archive's languages: its
    # X-Parsed-Query was 9 KB, and nginx answers 502 for headers past its 4 KB buffer.
    query = " ".join(["صحفيين"] * 142)[:1000]
    response = client.get("/export", params={"q": query, "format": "csv", "frm": "x"})
    assert response.status_code == 200
    for name in ("x-parsed-query", "x-notes"):
        value = response.headers[name]
        assert len(value.encode()) <= 1200
    read = unquote(response.headers["x-parsed-query"])
    assert read.endswith("…") and "صحفي" in read


def test_a_parameter_export_does_not_take_is_noted_in_a_header(client: TestClient):
    noted = client.get("/export", params={"q": "journalists", "page": "2", "frm": "2020"})
    assert unquote(noted.headers["x-notes"]) == (
        "page is not a parameter of /export: it was ignored; "
        "frm is not a parameter of /export: it was ignored"
    )
    assert "x-notes" not in client.get("/export", params={"q": "journalists"}).headers


def test_bom_option(client: TestClient):
    plain, _ = export_csv(client, q="torture")
    with_bom, rows = export_csv(client, q="torture", bom="true")
    assert not plain.startswith("\ufeff")
    assert with_bom.startswith("\ufeffrank,id,title,")
    assert len(rows) == 1
    # Asked of JSON Lines, it is not given, and the answer says so.
    jsonl = client.get("/export", params={"q": "torture", "bom": "true"})
    assert not jsonl.text.startswith("\ufeff")
    assert unquote(jsonl.headers["x-notes"]) == (
        "bom is for CSV only: a JSON Lines file has no byte order mark"
    )


def test_same_request_same_bytes(client: TestClient):
    for params in ({"format": "jsonl"}, {"format": "csv", "q": "surveillance"}):
        first = client.get("/export", params=params).content
        assert client.get("/export", params=params).content == first


def test_no_match_is_an_empty_export(client: TestClient):
    assert export(client, q="nosuchwordanywhere") == []
    text, rows = export_csv(client, q="nosuchwordanywhere")
    assert rows == [] and text.startswith("rank,id,")


def test_ties_by_date_put_the_later_indexed_article_first(tmp_path: Path):
    """Articles of one date (all scoring the same) by relevance come in index order; by
    date, the one indexed later comes first, in /search as in the export."""
    (tmp_path / "corpus").mkdir()
    body = "<p>Shared words about press freedom.</p>"
    records = [
        {"id": "first", "title": "First", "date": "2020-01-01", "body": body},
        {"id": "second", "title": "Second", "date": "2020-01-01", "body": body},
        {"id": "older", "title": "Older", "date": "2019-01-01", "body": body},
        {"id": "third", "title": "Third", "date": "2020-01-01", "body": body},
    ]
    (tmp_path / "corpus" / "t.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([tmp_path / "corpus"], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index", Settings(rate_limit_per_minute=0))) as client:
        by_date = ["t/third", "t/second", "t/first", "t/older"]
        assert ids(search(client, q="press", sort="date")) == by_date
        assert [row["id"] for row in export(client, q="press", sort="date")] == by_date
        in_index_order = ["t/first", "t/second", "t/older", "t/third"]
        assert ids(search(client, q="press")) == in_index_order
        assert [row["id"] for row in export(client, q="press")] == in_index_order


TRICKY = [
    {
        "id": "tricky",
        "title": 'Commas, "quotes" and newlines — ünïcödé 中文',
        "date": "2020-01-01",
        "author": ['Smith, "Jo"', "Ngũgĩ wa Thiong'o"],
        "tags": ["a,b", 'say "no"'],
        "body": '<p>Tricky export text.</p><h2>Part, "two"</h2><p>Tricky again.</p>',
    },
    {"id": "plain", "title": "=1+1 formula-looking title", "body": "<p>Tricky.</p>"},
]


@pytest.fixture(scope="module")
def tricky_client(tmp_path_factory: pytest.TempPathFactory):
    with records_client(tmp_path_factory.mktemp("tricky"), "t.json", TRICKY) as client:
        yield client


def test_csv_quotes_commas_quotes_and_newlines(
    tricky_client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    # The indexer keeps no line break in metadata; put one in as the export reads a title.
    real = research._article

    def with_line_break(*args):
        article = real(*args)
        article["title"] = article["title"].replace("Commas,", "Line\r\nbreak,\nCommas,")
        return article

    monkeypatch.setattr(research, "_article", with_line_break)
    title = 'Line\r\nbreak,\nCommas, "quotes" and newlines — ünïcödé 中文'
    text, rows = export_csv(tricky_client, q="tricky", bom="true")
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == 2
    assert by_id["t/tricky"]["title"] == title
    assert by_id["t/tricky"]["authors"] == 'Smith, "Jo"; Ngũgĩ wa Thiong\'o'
    assert by_id["t/tricky"]["tags"] == 'a,b; say "no"'
    assert 'Part, "two"' in by_id["t/tricky"]["matched_sections"]
    # A spreadsheet would run it as a formula: CSV marks it as text, JSONL keeps it exact.
    assert by_id["t/plain"]["title"] == "'=1+1 formula-looking title"
    assert text.endswith("\r\n")  # RFC 4180 line ends
    jsonl = [json.loads(line) for line in tricky_client.get("/export?q=tricky").text.splitlines()]
    assert {row["title"] for row in jsonl} == {title, TRICKY[1]["title"]}


class TestStreaming:
    """Rows leave as they are read: the server never holds every article of an export."""

    def test_export_generator_is_lazy(self, index_dir: Path, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr(research, "EXPORT_CHUNK", 2)
        read = []
        real = research._article
        monkeypatch.setattr(research, "_article", lambda *a: read.append(a[2]) or real(*a))
        with Engine(index_dir) as engine, engine.snapshot() as snapshot:
            found = research.result_set(snapshot, build_search_request())
            assert found.total == len(ALL_IDS)
            stream = research.export_jsonl(snapshot, found)
            assert inspect.isgenerator(stream)
            assert read == []  # nothing is read before the first chunk is asked for
            first = next(stream)
            assert len(first.decode().splitlines()) == 2 and read == [0, 1]
            rest = list(stream)
        assert len(read) == len(ALL_IDS) and len(rest) == len(ALL_IDS) // 2 - 1

    def test_the_endpoint_streams_rows_as_they_are_read(
        self, client: TestClient, monkeypatch: pytest.MonkeyPatch
    ):
        monkeypatch.setattr(research, "EXPORT_CHUNK", 1)
        read = []
        real = research._article
        monkeypatch.setattr(research, "_article", lambda *a: read.append(a[2]) or real(*a))
        for export_format in ("jsonl", "csv"):
            read.clear()
            with client.stream("GET", "/export", params={"format": export_format}) as response:
                lines = response.iter_lines()
                next(lines)  # first row (JSONL) or header (CSV)
                # Only the chunks sent so far, and the few the middleware and the client
                # stream hold one each of, have been read: not the whole export.
                assert len(read) <= 4 < len(ALL_IDS)
                remaining = list(lines)
            assert len(read) == len(ALL_IDS)
            assert len(remaining) == len(ALL_IDS) - (1 if export_format == "jsonl" else 0)


def test_export_schema_has_examples(client: TestClient):
    operation = client.get("/openapi.json").json()["paths"]["/export"]["get"]
    names = {param["name"] for param in operation["parameters"]}
    assert names == {"q", "from", "to", "tag", "source", "lang", "sort", "format", "bom"}
    for param in operation["parameters"]:
        assert param.get("examples") or param["schema"].get("examples"), param["name"]
    content = operation["responses"]["200"]["content"]
    assert {"application/x-ndjson", "text/csv"} <= set(content)
