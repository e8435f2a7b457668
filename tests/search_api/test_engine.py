"""Snapshots are counted: a replaced searcher stays open while a request still reads it and is
closed when the last one lets go. Real indexes on disk, real commits, the real app."""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from whoosh import index as whoosh_index
from whoosh import query as wq

from indexer.build import ParseOptions, build_index, count_kind, ingest_articles
from indexer.models import Article, Section
from indexer.schema import ARTICLE, SECTION
from indexer.settings import Settings
from search_api import engine as engine_module
from search_api import research
from search_api.app import create_app
from search_api.engine import SEARCH_THREADS, Engine, SearcherTurns
from search_api.index_files import pin_latest
from search_api.routes import editors as routes_editors
from search_api.routes import params as routes_params
from search_api.routes import search as routes_search
from search_api.search import SearchRequest, build_search_request, search

STORIES = 5


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    export = tmp_path / "records.jsonl"
    records = [
        {"id": f"story-{n}", "title": f"Press freedom story {n}", "body": "Reporters detained."}
        for n in range(STORIES)
    ]
    export.write_text("\n".join(json.dumps(record) for record in records))
    build_index([export], tmp_path / "index", ParseOptions(), workers=1)
    return tmp_path / "index"


@pytest.fixture
def engine(index_dir: Path) -> Iterator[Engine]:
    with Engine(index_dir) as engine:
        yield engine


def commit_a_new_version(index_dir: Path, number: int = 0) -> None:
    article = Article(
        id=f"new-{number}",
        title="New press freedom story",
        sections=[Section(heading=None, anchor="intro", text="Reporters detained again.")],
    )
    ingest_articles(index_dir, [article], lock_timeout_s=10)


def open_files() -> int:
    return len(os.listdir("/proc/self/fd"))


def total(snapshot) -> int:
    return search(snapshot, build_search_request(q="reporters"), 10.0)["total"]


def test_an_index_whose_articles_are_all_gone_is_served_as_an_empty_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Rebuilding an index another version wrote, from files that hold no article now (a
    # draft), commits a version without segments.
    post = tmp_path / "corpus" / "post.md"
    post.parent.mkdir()
    post.write_text("---\ntitle: A post\n---\nReporters detained.\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index([post.parent], index_dir, ParseOptions(), workers=1)
    post.write_text("---\ntitle: A post\ndraft: true\n---\nReporters detained.\n", encoding="utf-8")
    with monkeypatch.context() as patch:
        patch.setattr("indexer.build.is_current", lambda schema: False)
        build_index([post.parent], index_dir, ParseOptions(), workers=1)
    assert whoosh_index.open_dir(str(index_dir)).is_empty()
    files_open = open_files()
    with TestClient(create_app(index_dir, Settings(rate_limit_per_minute=0))) as client:
        first = client.get("/search", params={"q": "reporters"}).json()
        again = client.get("/search", params={"q": "reporters"}).json()
    # Its table of contents, held open while it was served, is let go with it.
    assert open_files() == files_open
    assert (first["total"], first["results"]) == (0, [])
    # The same version for both requests: the second did not open the index again.
    assert first["index_version"] == again["index_version"]
    assert first["index_version"].startswith("2-")


def test_a_version_another_advosearch_analysed_is_said_in_the_log(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # After an upgrade, the nightly run re-indexes with the new analysis while the server
    # still runs the old code: its searches read queries otherwise than the index holds.
    monkeypatch.setattr(engine_module, "is_current", lambda schema: False)
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        version = snapshot.version
    assert [record.getMessage() for record in caplog.records] == [
        f"index version {version} was written by another version of advosearch, whose text "
        "analysis differs from this server's, and searches may miss words: restart the "
        "server after an upgrade, or run `advosearch index` over an older index"
    ]


def test_a_version_this_advosearch_wrote_says_nothing(
    index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with Engine(index_dir) as engine, engine.snapshot():
        pass
    assert caplog.records == []


def test_a_replaced_searcher_is_closed_when_its_last_user_releases_it(
    engine: Engine, index_dir: Path
) -> None:
    first, second = engine.acquire(), engine.acquire()
    commit_a_new_version(index_dir)
    newer = engine.acquire()
    assert newer is not first
    engine.release(first)
    # Still held by `second`: open, and still answering from the old version.
    assert not first.searcher.is_closed
    assert total(second) == STORIES
    engine.release(second)
    assert first.searcher.is_closed
    assert not newer.searcher.is_closed
    assert total(newer) == STORIES + 1
    engine.release(newer)
    assert not newer.searcher.is_closed  # current: kept for the next request


def test_a_replaced_searcher_nobody_holds_is_closed_at_once(
    engine: Engine, index_dir: Path
) -> None:
    with engine.snapshot() as old:
        pass
    commit_a_new_version(index_dir)
    with engine.snapshot() as new:
        assert new is not old
        assert old.searcher.is_closed


def test_closing_the_engine_waits_for_the_last_user(engine: Engine) -> None:
    with engine.snapshot() as snapshot:
        engine.close()
        assert not snapshot.searcher.is_closed
        assert total(snapshot) == STORIES
    assert snapshot.searcher.is_closed
    with pytest.raises(RuntimeError, match="closed"):
        engine.acquire()


def test_versions_seen_between_refreshes_are_all_closed(engine: Engine, index_dir: Path) -> None:
    seen = []
    for number in range(3):
        commit_a_new_version(index_dir, number)
        with engine.snapshot() as snapshot:
            seen.append(snapshot)
    assert [s.searcher.is_closed for s in seen] == [True, True, False]


def test_the_files_of_every_version_are_let_go_when_it_is_closed(index_dir: Path) -> None:
    """A version's files are held open as long as it is (``index_files.PinnedFiles``), and
    no longer."""
    before = open_files()
    with Engine(index_dir) as engine:
        for number in range(3):
            with engine.snapshot() as snapshot:
                assert total(snapshot) == STORIES + number
            commit_a_new_version(index_dir, number)
    assert open_files() == before


def test_a_read_past_a_files_end_gives_what_the_file_holds(index_dir: Path) -> None:
    # A stored column cut short gave Whoosh a garbage length to read (2.6e18 bytes): Python
    # made room for them first, and the search was a MemoryError, not a damaged index.
    files = pin_latest(index_dir)
    try:
        [name] = [name for name in files.list() if name.endswith("._stored.col")]
        held = (index_dir / name).read_bytes()
        opened = files.open_file(name)
        assert opened.read(2**62) == held
        opened.seek(len(held) - 3)
        assert opened.read(2**62) == held[-3:]
        assert opened.read(10) == b""
        opened.close()
    finally:
        files.close()


def test_searches_run_on_the_engines_own_threads(engine: Engine) -> None:
    """Searches run on at most ``SEARCH_THREADS`` threads of the engine's own, however busy
    anyio's thread pool is and whichever event loop asks: each thread keeps its own malloc
    arena, so searches moving from thread to thread grew the heap. Requests waiting for a
    search thread wait in the event loop."""
    threads = set()

    def search_once() -> None:
        threads.add(threading.current_thread())
        time.sleep(0.01)

    async def many_requests() -> None:
        with engine.snapshot() as snapshot:
            async with anyio.create_task_group() as group:
                for _ in range(4 * SEARCH_THREADS):
                    # Other work in the pool, as FastAPI's sync dependencies and streamed
                    # bodies: it starts pool threads a search could otherwise land on.
                    group.start_soon(anyio.to_thread.run_sync, time.sleep, 0.01)
                    group.start_soon(snapshot.run, search_once)

    anyio.run(many_requests)
    anyio.run(many_requests)  # a new event loop has a new pool, not new search threads
    assert 1 <= len(threads) <= SEARCH_THREADS
    assert all(thread.name.startswith("advosearch-search") for thread in threads)


def test_a_request_still_searches_after_the_engine_closes(engine: Engine) -> None:
    """The search threads end with the engine's last snapshot, not when it is closed: a
    request still holding a snapshot at shutdown finishes its search."""

    async def search_after_close() -> int:
        with engine.snapshot() as snapshot:
            engine.close()
            return await snapshot.run(total, snapshot)

    assert anyio.run(search_after_close) == STORIES


def test_request_parameters_are_read_in_the_event_loop(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dependencies that read a query's parameters are async: a plain ``def`` one would
    run in anyio's pool, which starts a thread (and a malloc arena) whenever none is idle."""
    in_event_loop = []

    def recording(**parameters: Any) -> SearchRequest:
        try:
            asyncio.get_running_loop()
            in_event_loop.append(True)
        except RuntimeError:
            in_event_loop.append(False)
        return build_search_request(**parameters)

    for module in (routes_search, routes_params, routes_editors):
        monkeypatch.setattr(module, "build_search_request", recording)
    app = create_app(index_dir, Settings(rate_limit_per_minute=0))
    with TestClient(app) as client:
        for path in ("/search", "/export", "/feed.atom"):
            assert client.get(path, params={"q": "reporters"}).status_code == 200
    assert in_event_loop == [True, True, True]


@pytest.mark.parametrize("read_to_the_end", [True, False])
def test_a_streamed_export_holds_its_version_until_its_response_ends(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch, read_to_the_end: bool
) -> None:
    """The export outlives its handler: its rows are read from the snapshot while they are
    sent, and the snapshot is released only when the response is over (read to the end, or
    abandoned by the client)."""
    monkeypatch.setattr(research, "EXPORT_CHUNK", 1)
    app = create_app(index_dir, Settings(rate_limit_per_minute=0))
    with TestClient(app) as client:
        engine: Engine = app.state.engine
        with client.stream("GET", "/export", params={"q": "reporters"}) as response:
            lines = response.iter_lines()
            next(lines)
            with engine.snapshot() as exported:
                pass
            commit_a_new_version(index_dir)
            with engine.snapshot() as current:
                assert current is not exported
            assert client.get("/health").json()["articles"] == STORIES + 1
            assert not exported.searcher.is_closed
            rows = list(lines) if read_to_the_end else []
        if read_to_the_end:
            assert len(rows) == STORIES - 1  # all from the version the export started on
        assert exported.searcher.is_closed
        assert not current.searcher.is_closed
    assert current.searcher.is_closed  # the app's shutdown closed the engine


def wait_until(condition: Any) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.001)


def test_a_search_waiting_for_the_searcher_goes_before_an_exports_next_chunk(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long export takes the searcher a chunk at a time, and only when no search waits for
    it: a reader's search waits for one chunk at most, not for the export."""
    monkeypatch.setattr(research, "EXPORT_CHUNK", 1)
    monkeypatch.setattr(engine_module, "BACKGROUND_PATIENCE_S", 60)  # searches always first
    order: list[str] = []
    real = research._article
    monkeypatch.setattr(research, "_article", lambda *a: order.append("export") or real(*a))
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        found = research.result_set(snapshot, build_search_request(q="reporters"))
        assert snapshot.turns.acquire()  # a search is reading the searcher
        export = threading.Thread(
            target=lambda: list(research.export_jsonl(snapshot, found)), daemon=True
        )
        export.start()
        search = threading.Thread(
            target=anyio.run, args=(snapshot.run, lambda: order.append("search")), daemon=True
        )
        search.start()
        wait_until(lambda: snapshot.turns._searches_waiting == 1)
        snapshot.turns.release()
        search.join(10)
        export.join(10)
    assert order == ["search"] + ["export"] * STORIES


def test_an_export_takes_its_turn_however_many_searches_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Searches go first, but an export that has let them go first for a while takes the
    next turn: a steady stream of searches would otherwise hold it up for ever."""
    monkeypatch.setattr(engine_module, "BACKGROUND_PATIENCE_S", 0.05)
    turns = SearcherTurns()
    assert turns.acquire()  # a search is reading
    order: list[str] = []

    def take(name: str, background: bool) -> None:
        turns.acquire(background=background)
        order.append(name)
        turns.release()

    # Daemons: should the order be wrong, a thread left waiting must not hold up the run.
    export = threading.Thread(target=take, args=("export", True), daemon=True)
    search = threading.Thread(target=take, args=("search", False), daemon=True)
    export.start()
    search.start()
    wait_until(lambda: turns._overdue == 1 and turns._searches_waiting == 1)
    turns.release()
    export.join(10)
    search.join(10)
    assert order == ["export", "search"]


def write_records(path: Path, stories: range, sections: int) -> None:
    bodies = "".join(
        f"<h2>Part {n}</h2><p>Reporters detained, part {n}.</p>" for n in range(1, sections)
    )
    records = [
        {"id": f"story-{n}", "title": f"Story {n}", "body": f"<p>Intro {n}.</p>{bodies}"}
        for n in stories
    ]
    path.write_text("\n".join(json.dumps(record) for record in records))


def sections_by_article_id(snapshot: Any, article_id: str) -> list[str]:
    searcher = snapshot.searcher
    query = wq.And([wq.Term("kind", SECTION), wq.Term("article_id", article_id)])
    found = [searcher.stored_fields(docnum) for docnum in searcher.docs_for_query(query)]
    return [fields["key"] for fields in sorted(found, key=lambda fields: fields["section_index"])]


def assert_each_article_has_its_own_sections(index_dir: Path) -> None:
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        reader = snapshot.searcher.reader()
        live = [docnum for docnum in range(reader.doc_count_all()) if not reader.is_deleted(docnum)]
        assert [snapshot.stored_fields(docnum) for docnum in live] == [
            reader.stored_fields(docnum) for docnum in live
        ]
        assert len(snapshot.article_docs) == count_kind(snapshot.searcher, ARTICLE)
        for docnum in snapshot.article_docs.tolist():
            article_id = reader.stored_fields(docnum)["article_id"]
            keys = [fields["key"] for fields in snapshot.sections_of(docnum)]
            assert keys == sections_by_article_id(snapshot, article_id)


def test_sections_and_stored_fields_are_read_right_through_updates_and_merges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two writer processes, each writing its share as a segment of its own.
    monkeypatch.setattr("indexer.parallel.MIN_SHARE_BYTES", 1)
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    write_records(corpus / "a.jsonl", range(0, 20), sections=3)
    write_records(corpus / "b.jsonl", range(20, 40), sections=2)
    build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert_each_article_has_its_own_sections(index_dir)

    # Re-indexed: the old documents stay in their segment, deleted, between live ones.
    write_records(corpus / "a.jsonl", range(0, 20), sections=1)
    build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert_each_article_has_its_own_sections(index_dir)

    ingest_articles(
        index_dir,
        [
            Article(
                id="b/story-25",
                title="Replaced",
                sections=[
                    Section(heading=None, anchor=f"s{n}", text="Replaced.") for n in range(4)
                ],
            )
        ],
        lock_timeout_s=10,
    )
    assert_each_article_has_its_own_sections(index_dir)

    whoosh_index.open_dir(str(index_dir)).optimize()
    assert_each_article_has_its_own_sections(index_dir)


def test_a_request_that_cannot_start_within_the_budget_is_told_the_server_is_busy(
    index_dir: Path,
) -> None:
    """While a search holds the searcher, another is answered 503 once it has waited (for a
    thread, then for the searcher) as long as a search may run, and the health check and the
    page without a query, whose counts the server read before it took requests, answer
    without waiting."""
    app = create_app(index_dir, Settings(rate_limit_per_minute=0, search_time_budget_ms=50))
    release = threading.Event()
    # Should the request wait for the threads after all, it gets them back in the end (and
    # the test fails) rather than hanging.
    give_back = threading.Timer(10, release.set)
    with TestClient(app) as client:
        snapshot = app.state.engine.acquire()
        held = client.portal.start_task_soon(snapshot.run, release.wait)
        give_back.start()
        try:
            response = client.get("/search", params={"q": "reporters"})
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "2"
            assert response.json()["error"]["code"] == "busy"
            assert client.get("/health").json()["articles"] == STORIES
            assert client.get("/").status_code == 200  # the search box, to try again
        finally:
            give_back.cancel()
            release.set()
            held.result()
            app.state.engine.release(snapshot)
        assert client.get("/search", params={"q": "reporters"}).json()["total"] == STORIES


def test_translations_leave_out_articles_deleted_since(tmp_path: Path) -> None:
    """An article's translations are read from the translation column of every document;
    the versions a re-indexed file replaced are still there, deleted, in a segment kept."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    (corpus / "news").mkdir(parents=True)
    story = [
        {"id": f"story-{lang}", "title": title, "body": body, "lang": lang, "translation_key": "k"}
        for lang, title, body in [
            ("en", "Reporters freed", "The reporters were freed on Monday after a week."),
            ("es", "Periodistas liberados", "Los periodistas fueron liberados el lunes."),
            ("fr", "Journalistes libérés", "Les journalistes ont été libérés lundi."),
        ]
    ]
    export = corpus / "news" / "export.jsonl"
    export.write_text("\n".join(map(json.dumps, story)))
    others = [{"id": f"other-{n}", "title": "Other", "body": "Reporters."} for n in range(8)]
    (corpus / "news" / "others.jsonl").write_text("\n".join(map(json.dumps, others)))
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    export.write_text("\n".join(map(json.dumps, story[:2])))
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        assert snapshot.searcher.reader().has_deletions()  # the first three, kept deleted
    with TestClient(create_app(index_dir)) as client:
        article = client.get("/articles/export/story-en").json()
        assert [translation["id"] for translation in article["translations"]] == ["export/story-es"]


def test_each_article_has_its_own_tags_across_segments_and_deletions(tmp_path: Path) -> None:
    """Tag facets are counted from each document's tag codes: every live article's are its
    own tags, over several segments and documents deleted between live ones."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    tags_of = {f"r{n}": ["Press", "Cambodia", "Sport"][: n % 4] for n in range(8)}
    records = [{"id": key, "title": f"Story {key}", "body": "Reporters freed.", "tags": tags}
               for key, tags in tags_of.items()]  # fmt: skip
    export = corpus / "export.jsonl"
    export.write_text("\n".join(map(json.dumps, records)))
    # Unchanged files on both sides of the export: its deleted documents are between live
    # ones, too few of the segment's to have it written again without them.
    for name in ("a-before", "z-after"):
        others = [
            {"id": n, "title": "Other", "body": "Reporters.", "tags": ["Sport"]} for n in range(8)
        ]
        (corpus / f"{name}.jsonl").write_text("\n".join(map(json.dumps, others)))
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    records[1]["tags"] = ["Elections"]
    export.write_text("\n".join(map(json.dumps, records[1:])))  # r0 gone, r1 retagged
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    expected = {f"export/{key}": tags for key, tags in tags_of.items() if key != "r0"}
    expected["export/r1"] = ["Elections"]
    expected |= {f"{name}/{n}": ["Sport"] for name in ("a-before", "z-after") for n in range(8)}
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        assert snapshot.searcher.reader().has_deletions()
        starts, codes, tags = snapshot.tags_by_doc
        found = {}
        for docnum in snapshot.article_docs.tolist():
            article_id = snapshot.stored_fields(docnum)["article_id"]
            found[article_id] = sorted(
                tags[code] for code in codes[starts[docnum] : starts[docnum + 1]]
            )
        assert found == {key: sorted(tags) for key, tags in expected.items()}


def test_columns_read_whole_give_each_document_its_own_value(tmp_path: Path) -> None:
    """Sources, languages, years, translation keys and dates are read a column at a time;
    each document has the value Whoosh gives it, over segments with and without the column,
    documents deleted between live ones, and values of other lengths."""
    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    (corpus / "pages").mkdir(parents=True)
    (corpus / "pages" / "undated.txt").write_text("Undated\n\nReporters detained.\n")
    build_index([corpus], index_dir, ParseOptions(), workers=1)  # no date column
    records = [
        {"id": f"r{n}", "title": f"Story {n}", "body": "Reporters freed.", "lang": lang,
         "date": f"20{10 + n}-0{1 + n % 9}-1{n % 10}", "translation_key": f"key-{n % 3}" * n}
        for n, lang in enumerate(["en", "es", "fr", "es", "en", "pt"])
    ]  # fmt: skip
    del records[3]["date"]  # undated, in a segment with dates
    export = corpus / "news" / "export.jsonl"
    export.parent.mkdir()
    export.write_text("\n".join(json.dumps(record) for record in records))
    # Unchanged files on both sides of the export: its deleted documents are between live
    # ones, too few of the segment's to have it written again without them.
    for name in ("a-before", "z-after"):
        others = [{"id": f"{name}-{n}", "title": "Other", "body": "Reporters."} for n in range(4)]
        (corpus / "news" / f"{name}.jsonl").write_text("\n".join(map(json.dumps, others)))
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    export.write_text("\n".join(json.dumps(record) for record in records[2:5]))
    build_index([corpus], index_dir, ParseOptions(), workers=1)  # deletes some
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        reader = snapshot.searcher.reader()
        assert len(reader.leaf_readers()) > 1 and reader.has_deletions()
        read_by_document = []
        for leaf, offset in reader.leaf_readers():
            for docnum in range(leaf.doc_count_all()):
                if leaf.is_deleted(docnum):  # found by no date, whatever its own
                    assert snapshot.date_keys[offset + docnum] == -1
                    continue
                if offset + docnum not in snapshot.article_docs:
                    continue
                values = {
                    name: leaf.column_reader(name, translate=name != "date")[docnum]
                    if leaf.has_column(name)
                    else None
                    for name in ("source", "language", "year", "translation", "date")
                }
                read_by_document.append((offset + docnum, values))
        assert len(read_by_document) == 12  # the page, three records and eight others
        for docnum, values in read_by_document:
            for name in ("source", "language", "year", "translation"):
                codes, texts = snapshot.facet_codes[name]
                assert texts[codes[docnum]] == (values[name] or ""), (name, docnum)
            # Whoosh's "no date" is the largest number the column holds.
            date = values["date"]
            expected = -1 if date is None or date == 2**64 - 1 else date
            assert snapshot.date_keys[docnum] == expected, docnum


def test_a_fault_of_ours_in_a_whoosh_call_is_no_damage_to_the_index(index_dir: Path) -> None:
    # Whoosh refusing a call raises ValueError too: that is no damaged file, and must not
    # turn the version into one whose /health answers 503.
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        refused = snapshot.run(lambda: snapshot.searcher.search(wq.Term("body", "press"), limit=0))
        with pytest.raises(ValueError, match="limit must be >= 1"):
            asyncio.run(refused)
        assert not snapshot.damaged
