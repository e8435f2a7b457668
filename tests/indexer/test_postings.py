"""Postings gathered by term and written a block at a time: the same segment files, byte for
byte, as Whoosh's own pool and codec loop write, whether the pool spills to disk or not, and
when segments are merged."""

from __future__ import annotations

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.system import pack_uint
from whoosh.writing import PostingPool, SegmentWriter

from indexer.build import article_documents
from indexer.models import Article, Section
from indexer.postings import TermPool
from indexer.schema import build_schema
from indexer.writing import ArchiveWriter

WORDS = [
    "journalists",
    "detained",
    "press-freedom",
    "censorship",
    "court",
    "blogger",
    "surveillance",
]


class WhooshPostingsWriter(ArchiveWriter):
    """The reference: Whoosh's posting pool (every posting a tuple, all sorted at the end)
    and its codec's ``add_postings`` loop (one posting at a time)."""

    def __init__(self, ix: object, **kwargs: object) -> None:
        super().__init__(ix, **kwargs)
        self.pool = PostingPool(self._tempstorage, self.newsegment, limitmb=kwargs["limitmb"])

    def _flush_segment(self) -> None:
        for name, counts in self._word_counts.items():
            for word, count in counts.items():
                self.pool.add((name, word.encode("utf-8"), 0, count, pack_uint(count)))
        self._word_counts.clear()
        SegmentWriter._flush_segment(self)


def articles(first: int, count: int) -> list[Article]:
    # Words in every article (posting lists of several 128-posting blocks), in some, and in
    # one; sections of different lengths, and an article in Spanish.
    found = []
    for number in range(first, first + count):
        words = " ".join(WORDS[: 1 + number % len(WORDS)])
        sections = [Section(None, "intro", f"Report {number}: {words}. Rare{number}.")]
        if number % 3 == 0:
            sections.append(Section("More", "more", f"{words} {words} again, {number % 11}."))
        language = "es" if number % 10 == 0 else "en"
        found.append(
            Article(id=f"a{number}", title=f"Title {number}", sections=sections, language=language)
        )
    return found


def write_segment(index_dir: Path, writer_class: type, batch: list[Article], **kwargs) -> None:
    ix = whoosh_index.open_dir(str(index_dir))
    writer = writer_class(ix, compound=False, **kwargs)
    for article in batch:
        for document in article_documents(
            article, "export.json", None, first_indexed="2024-03-01T00:00:00+00:00"
        ):
            writer.add_document(**document)
    writer.commit(merge=False)


def segment_files(index_dir: Path) -> dict[str, bytes]:
    """The newest segment's files by kind (postings, terms, columns...), without its name."""
    ix = whoosh_index.open_dir(str(index_dir))
    segment = ix._segments()[-1]
    prefix = segment.segment_id()
    return {
        path.name.removeprefix(prefix): path.read_bytes()
        for path in index_dir.iterdir()
        if path.name.startswith(prefix)
    }


def written(index_dir: Path, writer_class: type, *, limitmb: float, merged: bool) -> dict:
    index_dir.mkdir()
    whoosh_index.create_in(str(index_dir), build_schema())
    if merged:  # two segments, then one written from both
        write_segment(index_dir, writer_class, articles(0, 150), limitmb=limitmb)
        write_segment(index_dir, writer_class, articles(150, 150), limitmb=limitmb)
        ix = whoosh_index.open_dir(str(index_dir))
        writer_class(ix, compound=False, limitmb=limitmb).commit(optimize=True)
    else:
        write_segment(index_dir, writer_class, articles(0, 300), limitmb=limitmb)
    return segment_files(index_dir)


@pytest.mark.parametrize("merged", [False, True], ids=["added", "merged"])
@pytest.mark.parametrize("limitmb", [64, 0.01], ids=["in-memory", "spilled"])
def test_a_segment_is_written_byte_for_byte_as_whoosh_writes_it(
    tmp_path: Path, limitmb: float, merged: bool
) -> None:
    ours = written(tmp_path / "ours", ArchiveWriter, limitmb=limitmb, merged=merged)
    whooshs = written(tmp_path / "whoosh", WhooshPostingsWriter, limitmb=limitmb, merged=merged)
    assert {".pst", ".trm", "._body_len.col"} <= ours.keys()
    assert ours == whooshs


def test_the_pool_spills_sorted_runs_when_full(tmp_path: Path) -> None:
    ix = whoosh_index.create_in(str(tmp_path), build_schema())
    writer = ArchiveWriter(ix, limitmb=0.01)
    for article in articles(0, 100):
        for document in article_documents(
            article, "export.json", None, first_indexed="2024-03-01T00:00:00+00:00"
        ):
            writer.add_document(**document)
    assert len(writer.pool.runs) > 5
    terms = [(field, term) for field, term, _ in writer.pool.terms()]
    assert terms == sorted(set(terms))
    writer.cancel()


def test_pools_sharing_a_temporary_folder_keep_their_own_runs(tmp_path: Path) -> None:
    # A parallel build's writers spill into the index's one temporary folder.
    storage = FileStorage(str(tmp_path))
    first, second = TermPool(storage, limitmb=0.0001), TermPool(storage, limitmb=0.0001)
    for docnum in range(50):
        first.add(("body", b"press", docnum, 1.0, b"first"))
        second.add(("body", b"press", docnum, 1.0, b"second"))
    assert len(first.runs) > 1 and len(second.runs) > 1
    for pool, value in [(first, b"first"), (second, b"second")]:
        [(field, term, flat)] = list(pool.terms())
        assert (field, term) == ("body", b"press")
        assert flat[0::3] == list(range(50))
        assert set(flat[2::3]) == {value}
