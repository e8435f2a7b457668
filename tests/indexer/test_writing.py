"""The words of "did you mean": counted per segment, so each word is one posting a segment
and its frequency is the number of documents that have it, in any number of segments, and
after merges."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.build import ParseOptions, article_documents, build_index
from indexer.models import Article, Section
from indexer.schema import build_schema
from indexer.writing import ArchiveWriter


def write(folder: Path, name: str, bodies: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {"id": f"{name}{n}", "title": "Press freedom", "body": body}
        for n, body in enumerate(bodies)
    ]
    (folder / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")


def spelling(index_dir: Path, field: str, word: str) -> tuple[float, int, int]:
    """The word's frequency, its postings, and the index's segments."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        return reader.frequency(field, word), reader.doc_frequency(field, word), len(ix._segments())


def merge_all(index_dir: Path) -> None:
    ArchiveWriter(whoosh_index.open_dir(str(index_dir))).commit(optimize=True)


def test_a_word_is_counted_once_per_document_and_posted_once_per_segment(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Journalists detained.", "Two journalists, three journalists.", "None."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert spelling(index_dir, "spell_body", "journalists") == (2, 1, 1)
    assert spelling(index_dir, "spell_title", "freedom") == (3, 1, 1)
    # Words as written: folded, not stemmed, and stop words left out.
    assert spelling(index_dir, "spell_body", "journalist")[0] == 0
    assert spelling(index_dir, "spell_body", "two")[0] == 1

    write(corpus, "b", ["More journalists detained."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert spelling(index_dir, "spell_body", "journalists") == (3, 2, 2)
    assert spelling(index_dir, "spell_body", "detained")[0] == 2


def test_counts_survive_merging_segments(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Journalists detained.", "Journalists freed."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    write(corpus, "b", ["Journalists again."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    merge_all(index_dir)
    assert spelling(index_dir, "spell_body", "journalists") == (3, 1, 1)


def test_words_survive_a_merge_after_the_segments_first_document_is_deleted(
    tmp_path: Path,
) -> None:
    # A segment's words are posted at its first document, here one of a.json's.
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Journalists detained."])
    write(corpus, "c", ["Censorship of the press.", "More censorship."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    write(corpus, "a", ["Journalists freed."])  # a.json changed: its articles replaced
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    merge_all(index_dir)
    assert spelling(index_dir, "spell_body", "censorship") == (2, 1, 1)
    # Words of deleted articles are counted until their segment is rewritten from files.
    assert spelling(index_dir, "spell_body", "journalists")[0] == 2


def test_words_of_a_segment_with_no_article_left_are_not_carried_over(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Censorship of the press."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    (corpus / "a.json").unlink()
    write(corpus, "b", ["Journalists detained."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    merge_all(index_dir)
    assert spelling(index_dir, "spell_body", "censorship")[0] == 0
    assert spelling(index_dir, "spell_body", "journalists")[0] == 1


def index_with_pool(index_dir: Path, limitmb: float) -> dict:
    """An index of the same articles written with a posting pool of ``limitmb``: all its
    postings (with their weights and encoded positions) and stored fields."""
    index_dir.mkdir()
    ix = whoosh_index.create_in(str(index_dir), build_schema())
    writer = ArchiveWriter(ix, limitmb=limitmb)
    for number in range(60):
        article = Article(
            id=f"a{number}",
            title=f"Report {number}",
            sections=[Section(None, "intro", f"Journalists {number} detained in {number % 7}.")],
        )
        documents = article_documents(
            article, "export.json", None, first_indexed="2024-03-01T00:00:00+00:00"
        )
        for document in documents:
            writer.add_document(**document)
    spilled = len(writer.pool.runs)
    writer.commit()
    with ix.searcher() as searcher:
        reader = searcher.reader()
        postings = {}
        for field in reader.indexed_field_names():
            for term in reader.lexicon(field):
                matcher, found = reader.postings(field, term), []
                while matcher.is_active():
                    found.append((matcher.id(), matcher.weight(), matcher.value()))
                    matcher.next()
                postings[(field, term)] = found
        return {"spilled": spilled, "postings": postings, "stored": list(reader.iter_docs())}


def test_postings_spilled_to_disk_in_batches_come_back_as_written(tmp_path: Path) -> None:
    in_memory = index_with_pool(tmp_path / "memory", limitmb=64)
    spilled = index_with_pool(tmp_path / "spilled", limitmb=0.002)  # a run every ~2 KB
    assert in_memory.pop("spilled") == 0 and spilled.pop("spilled") > 10
    assert spilled == in_memory
