"""The words of "did you mean": counted per segment, so each word is one posting a segment
and its frequency is the number of documents that have it, in any number of segments."""

from __future__ import annotations

import json
from pathlib import Path

from whoosh import index as whoosh_index

from indexer.build import ParseOptions, build_index


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
    whoosh_index.open_dir(str(index_dir)).optimize()
    assert spelling(index_dir, "spell_body", "journalists") == (3, 2, 1)
