"""Writing the index from several processes: the same index as one process writes, each
article analysed in its own language, nothing lost or left behind when a run fails."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import UnknownFieldError

from indexer.build import (
    FIRST_INDEXED,
    ParseOptions,
    article_documents,
    build_index,
    count_kind,
    ingest_articles,
    locked_writer,
)
from indexer.models import Article, Section
from indexer.parallel import BATCH_DOCUMENTS
from indexer.schema import build_schema, is_current

ENGLISH = "Police detained {n} journalists who covered the protests against the new law."
SPANISH = "La policía detuvo a {n} periodistas que cubrían las protestas contra la nueva ley."


def write_export(folder: Path, count: int) -> Path:
    """Records (each an article and a section document) in English and Spanish, with
    dates, tags and translation keys."""
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": f"r{number}",
            "title": f"Report {number}" if number % 2 else f"Informe {number}",
            "body": (ENGLISH if number % 2 else SPANISH).format(n=number),
            "language": "en" if number % 2 else "es",
            "date": f"20{10 + number % 10}-03-01",
            "tags": [f"tag{number % 7}"],
            "translation_key": f"story-{number // 2}",
        }
        for number in range(count)
    ]
    path = folder / "export.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, Path]]:
    root = tmp_path_factory.mktemp("parallel")
    write_export(root / "corpus", 3 * BATCH_DOCUMENTS)  # 6 batches of documents
    build_index([root / "corpus"], root / "serial", ParseOptions(), workers=1)
    with small_shares():
        build_index([root / "corpus"], root / "parallel", ParseOptions(), workers=2)
    yield root / "corpus", root / "serial", root / "parallel"


@contextlib.contextmanager
def small_shares() -> Iterator[None]:
    """Workers split input as small as these tests' (a real run splits only megabytes)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("indexer.parallel.MIN_SHARE_BYTES", 1)
        yield


def contents(index_dir: Path) -> dict[str, Any]:
    """Everything a search can see: stored documents, each term's documents, and the
    order of documents (which orders articles that score the same)."""
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        reader = searcher.reader()
        keys = {docnum: fields["key"] for docnum, fields in reader.iter_docs()}
        postings = {}
        for field in reader.indexed_field_names():
            for term in reader.lexicon(field):
                if field.startswith("spell_"):
                    # Words for "did you mean": counted per segment, in no real document.
                    postings[(field, term)] = reader.frequency(field, term)
                    continue
                docs = reader.postings(field, term).all_ids()
                postings[(field, term)] = sorted(keys[d] for d in docs)
        stored = [fields for _, fields in reader.iter_docs()]
        for fields in stored:
            # When the run that wrote them started: the two builds ran one after the other.
            fields.get("meta", {}).pop(FIRST_INDEXED, None)
        return {"stored": stored, "postings": postings, "order": list(keys.values())}


def segment_count(index_dir: Path) -> int:
    return len(whoosh_index.open_dir(str(index_dir))._segments())


def test_workers_write_the_same_index_as_one_process(built: tuple[Path, Path, Path]) -> None:
    _, serial, parallel = built
    assert segment_count(serial) == 1 and segment_count(parallel) == 2
    assert contents(parallel) == contents(serial)


def test_stored_text_is_plain_str(built: tuple[Path, Path, Path]) -> None:
    # Text is added as TextIn, which pickles with its language: the index must store the
    # plain text, as a search reads it back.
    for index_dir in built[1:]:
        stored = contents(index_dir)["stored"]
        assert sum(fields["kind"] == "article" for fields in stored) == 3 * BATCH_DOCUMENTS
        texts = [value for fields in stored for value in fields.values() if isinstance(value, str)]
        assert {type(value) for value in texts} == {str}


def test_workers_analyse_each_article_in_its_language(built: tuple[Path, Path, Path]) -> None:
    _, _, parallel = built
    with whoosh_index.open_dir(str(parallel)).searcher() as searcher:
        reader = searcher.reader()
        # Spanish Snowball, with its exception for "periodistas"; English would keep
        # "periodista" and "detuvo" whole.
        assert reader.doc_frequency("body", "periodist") == 3 * BATCH_DOCUMENTS // 2
        assert reader.doc_frequency("body", "periodista") == 0
        assert reader.doc_frequency("body", "detuv") == 3 * BATCH_DOCUMENTS // 2
        assert reader.doc_frequency("body", "journalist") == 3 * BATCH_DOCUMENTS // 2


def test_an_index_written_by_workers_takes_updates(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus, 3 * BATCH_DOCUMENTS)
    with small_shares():
        build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert segment_count(index_dir) == 2
    write_export(corpus / "more", 10)
    summary = build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert summary.articles_added == 10 and summary.total_articles == 3 * BATCH_DOCUMENTS + 10
    ingest_articles(index_dir, [article("api/1")], lock_timeout_s=1)
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert count_kind(searcher, "article") == 3 * BATCH_DOCUMENTS + 11
        assert searcher.document(key="api/1")["title"] == "Title"


def test_a_rebuild_by_workers_is_written_with_the_new_schema(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus, BATCH_DOCUMENTS)
    # An index of an earlier version, without the field translation keys are written to:
    # the workers must write this run's documents with this version's schema.
    outdated = build_schema()
    outdated.remove("translation")
    index_dir.mkdir()
    whoosh_index.create_in(str(index_dir), outdated)

    with small_shares():
        summary = build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert summary.articles_added == BATCH_DOCUMENTS
    ix = whoosh_index.open_dir(str(index_dir))
    assert is_current(ix.schema)
    with ix.searcher() as searcher:
        assert count_kind(searcher, "article") == BATCH_DOCUMENTS
        assert searcher.reader().doc_frequency("translation", "story-0") == 2


def article(article_id: str) -> Article:
    return Article(id=article_id, title="Title", sections=[Section(None, "s", "Some text.")])


def documents(count: int) -> list[dict[str, Any]]:
    return [
        document
        for number in range(count)
        for document in article_documents(
            article(f"x{number}"), "f", None, first_indexed="2024-03-01T00:00:00+00:00"
        )
    ]


def test_an_error_in_a_worker_is_raised_and_the_last_version_stays(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus, 5)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    ix = whoosh_index.open_dir(str(index_dir))
    with pytest.raises(UnknownFieldError), locked_writer(ix, index_dir, 1.0, [], procs=2) as writer:
        for document in documents(BATCH_DOCUMENTS):
            writer.add_document(**document)
        writer.add_document(key="bad", no_such_field="x")
    assert multiprocessing.active_children() == []
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert count_kind(searcher, "article") == 5
    assert build_index([corpus], index_dir, ParseOptions(), workers=2).files_unchanged == 1


def test_a_cancelled_write_stops_its_workers_and_lets_go_of_the_lock(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus, 5)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    ix = whoosh_index.open_dir(str(index_dir))
    with locked_writer(ix, index_dir, 1.0, [], procs=2) as writer:
        for document in documents(3 * BATCH_DOCUMENTS):
            writer.add_document(**document)
        writer.cancel()
    assert multiprocessing.active_children() == []
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert count_kind(searcher, "article") == 5
    write_export(corpus / "more", 3)
    assert build_index([corpus], index_dir, ParseOptions(), lock_timeout_s=1).articles_added == 3


def test_workers_sent_nothing_write_no_files(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus, 3)
    build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert segment_count(index_dir) == 1  # one batch: one worker wrote it
    before = {path.name for path in index_dir.iterdir()}
    assert build_index([corpus], index_dir, ParseOptions(), workers=2).committed is False
    # Only the files of Whoosh's own cancelled writer (deleted at the next commit).
    new_segments = {name.split(".")[0] for name in {p.name for p in index_dir.iterdir()} - before}
    assert len(new_segments) <= 1


def test_the_cli_takes_the_number_of_workers(tmp_path: Path) -> None:
    advosearch = Path(sys.executable).parent / "advosearch"
    write_export(tmp_path / "corpus", 5)
    run = [str(advosearch), "index", str(tmp_path / "corpus"), "--index", str(tmp_path / "ix")]
    refused = subprocess.run([*run, "--workers", "0"], capture_output=True, text=True)
    assert refused.returncode == 2 and "--workers: must be 1 or more" in refused.stderr
    done = subprocess.run([*run, "--workers", "1", "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0 and "indexed 5 articles" in done.stdout
