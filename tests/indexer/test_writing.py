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


def segments(index_dir: Path) -> list[tuple[int, int]]:
    """Each segment's documents and how many of them are deleted."""
    ix = whoosh_index.open_dir(str(index_dir))
    return [(segment.doc_count_all(), segment.deleted_count()) for segment in ix._segments()]


def test_an_export_read_again_every_night_leaves_no_dead_copy_behind(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    for night in range(4):  # a new record every night: the whole file is read again
        write(corpus, "export", [f"Journalists detained, report {n}." for n in range(night + 3)])
        build_index([corpus], index_dir, ParseOptions(), workers=1)
    # Six records, each an article and a section; Whoosh kept every night's copy.
    assert segments(index_dir) == [(12, 0)]


def test_a_mostly_deleted_segment_is_written_again_without_them(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Journalists detained.", "Journalists freed.", "Journalists tried."])
    write(corpus, "c", ["Censorship of the press."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    write(corpus, "a", ["Journalists detained.", "Journalists freed.", "Journalists jailed."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    # The first segment lost 6 of its 8 documents: its other 2 are merged into the new one.
    assert segments(index_dir) == [(8, 0)]
    assert spelling(index_dir, "spell_body", "censorship")[0] == 1


def test_a_segment_with_few_deletions_is_kept_as_it_is(tmp_path: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write(corpus, "a", ["Journalists detained."])
    write(corpus, "c", ["Censorship of the press.", "More censorship.", "Less censorship."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    write(corpus, "a", ["Journalists freed."])
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert segments(index_dir) == [(8, 2), (2, 0)]
