"""The three engines behind one small interface: build an index from the benchmark JSONL,
open it, answer a query dict (``bench/queries.py``) with the top 10, with or without snippets.

* advosearch: built by the real ``advosearch index`` command (a subprocess, see speed.py);
  searched through ``search_api.search.search`` — the function GET /search calls — with
  ``page_size=10``. "Without snippets" is the same call with ``attach_sections`` (matched
  sections and their snippets, for the page's articles) replaced by a no-op: everything
  else (query parsing, filters, ranking, total, facets, did-you-mean) still runs.
* SQLite FTS5 (stdlib ``sqlite3``): ``tokenize='porter unicode61'``, ``bm25()`` with title
  weight 2, ``snippet()`` of the body; date and tag filters through indexed side tables.
* tantivy (``tantivy`` package): ``en_stem`` text fields, title boost 2, every word
  required; ``SnippetGenerator`` on the body (240 characters, advosearch's snippet length).

The other two engines index ``title`` and the body's plain text (``bench.corpus.plain_text``).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from pathlib import Path
from typing import Any

from bench.corpus import plain_text, read_jsonl
from bench.queries import advosearch_q, fts5_match, full_date, tantivy_text

SNIPPET_CHARS = 240


# --- SQLite FTS5 ----------------------------------------------------------------------


def build_fts5(jsonl: Path, index_dir: Path) -> dict[str, Any]:
    index_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(index_dir / "fts5.db")
    db.executescript(
        """
        PRAGMA journal_mode=OFF;
        PRAGMA synchronous=OFF;
        CREATE VIRTUAL TABLE docs USING fts5(title, body, tokenize='porter unicode61');
        CREATE TABLE meta(rowid INTEGER PRIMARY KEY, id TEXT, date TEXT, url TEXT);
        CREATE TABLE tags(tag TEXT, docid INTEGER);
        """
    )
    count = 0
    with db:
        for rowid, record in enumerate(read_jsonl(jsonl), start=1):
            db.execute(
                "INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)",
                (rowid, record["title"], plain_text(record["body"])),
            )
            db.execute(
                "INSERT INTO meta VALUES (?, ?, ?, ?)",
                (rowid, record["id"], full_date(record.get("date")), record.get("url")),
            )
            db.executemany(
                "INSERT INTO tags VALUES (?, ?)", [(t, rowid) for t in record.get("tags") or []]
            )
            count += 1
        db.execute("CREATE INDEX meta_date ON meta(date)")
        db.execute("CREATE INDEX tags_tag ON tags(tag, docid)")
        db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.close()
    return {"documents": count}


class Fts5:
    name = "fts5"

    def __init__(self, index_dir: Path) -> None:
        self.db = sqlite3.connect(index_dir / "fts5.db", check_same_thread=False)

    def search(self, query: dict, snippets: bool) -> list[Any]:
        """Top 10 by bm25 (title weight 2). Each filter in the form SQLite runs fastest: a tag
        (a few hundred documents) drives the match through the side table's index; a date range
        (thousands of documents) filters the matches, in a MATERIALIZED CTE — left to itself,
        SQLite drives it from the dated rows and runs the full-text match once per row, 10-100x
        slower. Snippets are made for the 10 rows only, by a second query."""
        match = fts5_match(query)
        order = " ORDER BY bm25(docs, 2.0, 1.0) LIMIT 10"
        if query["kind"] == "date":
            sql = (
                "WITH m AS MATERIALIZED (SELECT rowid, title, bm25(docs, 2.0, 1.0) AS score"
                " FROM docs WHERE docs MATCH ?) SELECT m.rowid, m.title FROM m"
                " WHERE m.rowid IN (SELECT rowid FROM meta WHERE date BETWEEN ? AND ?)"
                " ORDER BY m.score LIMIT 10"
            )
            params: list[Any] = [match, query["from"], query["to"]]
        elif query["kind"] == "tag":
            sql = (
                "SELECT rowid, title FROM docs WHERE docs MATCH ?"
                " AND rowid IN (SELECT docid FROM tags WHERE tag = ?)" + order
            )
            params = [match, query["tag"]]
        else:
            sql = "SELECT rowid, title FROM docs WHERE docs MATCH ?" + order
            params = [match]
        rows = self.db.execute(sql, params).fetchall()
        if not snippets or not rows:
            return rows
        marks = ",".join("?" * len(rows))
        found = dict(
            self.db.execute(
                "SELECT rowid, snippet(docs, 1, '<mark>', '</mark>', '…', 40) FROM docs"
                f" WHERE docs MATCH ? AND rowid IN ({marks})",
                [match, *(row[0] for row in rows)],
            ).fetchall()
        )
        return [(rowid, title, found.get(rowid)) for rowid, title in rows]


# --- tantivy --------------------------------------------------------------------------


def _tantivy_schema():
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    builder.add_text_field("title", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("body", stored=True, tokenizer_name="en_stem")
    builder.add_text_field("tags", stored=True, tokenizer_name="raw")
    builder.add_date_field("date", indexed=True, fast=True)
    return builder.build()


def _as_datetime(value: str | None) -> dt.datetime | None:
    iso = full_date(value)
    if iso is None:
        return None
    try:
        return dt.datetime.fromisoformat(iso).replace(tzinfo=dt.UTC)
    except ValueError:
        return None


def build_tantivy(jsonl: Path, index_dir: Path) -> dict[str, Any]:
    import tantivy

    index_dir.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(_tantivy_schema(), path=str(index_dir))
    writer = index.writer()  # default heap; threads chosen by tantivy (2 cores here)
    count = 0
    for record in read_jsonl(jsonl):
        fields: dict[str, Any] = {
            "id": record["id"],
            "title": record["title"],  # empty when the source had none (see corpus.py)
            "body": plain_text(record["body"]),
        }
        if record.get("tags"):
            fields["tags"] = list(record["tags"])
        date = _as_datetime(record.get("date"))
        if date is not None:
            fields["date"] = date
        writer.add_document(tantivy.Document(**fields))
        count += 1
    writer.commit()
    writer.wait_merging_threads()
    return {"documents": count}


class Tantivy:
    name = "tantivy"

    def __init__(self, index_dir: Path) -> None:
        import tantivy

        self.t = tantivy
        self.index = tantivy.Index.open(str(index_dir))
        self.index.reload()
        self.schema = self.index.schema
        self.searcher = self.index.searcher()

    def _query(self, query: dict):
        t = self.t
        text = self.index.parse_query(tantivy_text(query), ["title", "body"], {"title": 2.0})
        if query["kind"] == "date":
            start = _as_datetime(query["from"])
            end = _as_datetime(query["to"]) + dt.timedelta(days=1) - dt.timedelta(microseconds=1)
            allow = t.Query.range_query(self.schema, "date", t.FieldType.Date, start, end)
        elif query["kind"] == "tag":
            allow = t.Query.term_query(self.schema, "tags", query["tag"])
        else:
            return text
        return t.Query.boolean_query(
            [(t.Occur.Must, text), (t.Occur.Must, t.Query.const_score_query(allow, 0.0))]
        )

    def search(self, query: dict, snippets: bool) -> list[Any]:
        q = self._query(query)
        result = self.searcher.search(q, 10, count=False)
        hits = []
        generator = None
        if snippets:
            generator = self.t.SnippetGenerator.create(self.searcher, q, self.schema, "body")
            generator.set_max_num_chars(SNIPPET_CHARS)
        for score, address in result.hits:
            doc = self.searcher.doc(address)
            hit = [score, doc.get_first("title")]
            if generator is not None:
                hit.append(generator.snippet_from_doc(doc).to_html())
            hits.append(hit)
        return hits


# --- advosearch -----------------------------------------------------------------------


class Advosearch:
    """advosearch through ``search_api.search.search`` (what GET /search runs)."""

    name = "advosearch"

    def __init__(self, index_dir: Path) -> None:
        from indexer.settings import load_settings
        from search_api import search as search_module
        from search_api.engine import Engine

        self.module = search_module
        self.engine = Engine(index_dir)
        self.budget_s = load_settings().search_time_budget_s
        # Matched sections and snippets of the page's articles: replaced by a no-op to
        # search without snippets.
        self.attach_sections = search_module.attach_sections

    def request(self, query: dict):
        return self.module.build_search_request(
            q=advosearch_q(query),
            page_size=10,
            date_from=query.get("from"),
            date_to=query.get("to"),
            tags=[query["tag"]] if query.get("tag") else None,
            group_translations=True,  # GET /search's default: one result per story
        )

    def search(self, query: dict, snippets: bool) -> list[Any]:
        module = self.module
        module.attach_sections = self.attach_sections if snippets else _no_sections
        try:
            with self.engine.snapshot() as snapshot:
                response = module.search(snapshot, self.request(query), self.budget_s)
        finally:
            module.attach_sections = self.attach_sections
        return response["results"]


def _no_sections(*_args: Any, **_kwargs: Any) -> None:
    return None


ENGINES = {"advosearch": Advosearch, "fts5": Fts5, "tantivy": Tantivy}
BUILDERS = {"fts5": build_fts5, "tantivy": build_tantivy}


def open_engine(name: str, index_dir: Path):
    started = time.perf_counter()
    engine = ENGINES[name](index_dir)
    return engine, (time.perf_counter() - started) * 1000
