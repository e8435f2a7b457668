"""How documents become a segment: Whoosh's segment writer, with the words of the "did
you mean" fields counted per segment instead of posted per document, and segments merged
by their live documents (``merge_by_live_documents``).

A ``SpelledText`` field (``indexer.schema``) keeps its words as written (folded, not
stemmed) in ``spell_<field>``: the vocabulary "did you mean" and whole-word prefixes look
up. Whoosh writes such a word once for every document that has it, all at document 0:
on the benchmark corpus that was more postings than the stemmed body itself (599,000 vs
551,000 for 5,000 articles), each sorted and encoded in Python. This writer writes each
word once per segment, weighted by the number of the segment's documents that have it, so
``reader.frequency`` gives the same counts as before from a fraction of the postings.

Those postings sit at the segment's first document, which may be deleted later; a merge
copies postings of live documents only, so it would drop the whole segment's words. Merges
carry the words over by their counts instead (those of deleted articles included, until
their segment has no live article left).

Postings are gathered by term and written a block at a time (``indexer.postings``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from whoosh.index import clean_files
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util import fib
from whoosh.writing import SegmentWriter

from indexer.postings import TermPool, write_postings
from indexer.schema import SpelledText

# A segment with at least this share of its documents deleted is written again without
# them at the next commit: reading a file again deletes all of its old documents.
RECLAIMED_DELETED_SHARE = 0.5


def merge_by_live_documents(writer: SegmentWriter, segments: list[Any]) -> list[Any]:
    """Which segments a commit keeps as they are; it merges the others into its own.

    Whoosh's ``MERGE_SMALL``, on live documents: a segment with none left is dropped, one
    mostly deleted is merged (leaving its deleted documents out), and the smallest are
    merged by Whoosh's rule (while they add up to less than a Fibonacci number). Whoosh
    counts deleted documents as documents and never drops a segment, so an export read
    again every night left a dead copy of itself every night (four runs of a JSONL export:
    1.2, 2.4, 3.6, 4.8 MB), and a large dead segment kept the small ones from merging."""
    kept, merged = [], []
    for segment in segments:
        if segment.doc_count() == 0:
            continue
        if segment.deleted_count() >= RECLAIMED_DELETED_SHARE * segment.doc_count_all():
            merged.append(segment)
        else:
            kept.append(segment)
    by_size = sorted(kept, key=lambda segment: segment.doc_count())
    total = 0
    for index, segment in enumerate(by_size):
        total += segment.doc_count()
        if index > 3 and total < fib(index + 5):
            merged.extend(by_size[: index + 1])
            kept = by_size[index + 1 :]
            break
    for segment in merged:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)
        reader.close()
    return kept


class ArchiveWriter(SegmentWriter):
    """A Whoosh ``SegmentWriter`` that counts the words of ``SpelledText`` fields, and
    gathers and writes postings by term (``indexer.postings``)."""

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        # The writer that holds the lock removes the files of no committed version (what a
        # write that failed left, on a full disk): Whoosh removes them only when it next
        # commits, which a disk they fill never lets it do. A parallel run's workers write
        # under their parent's lock (``_lk=False``): each other's segments are not theirs.
        if kwargs.get("_lk", True):
            clean_files(
                self.storage,
                self.indexname,
                self.generation - 1,
                [*self.segments, self.newsegment],
            )
        self.pool = TermPool(self._tempstorage, limitmb=kwargs.get("limitmb", 128))
        # Spelling field name -> word -> documents that have it.
        self._word_counts: defaultdict[str, Counter[str]] = defaultdict(Counter)

    def add_document(self, **fields: Any) -> None:
        super().add_document(**fields)
        schema = self.schema
        for name, value in fields.items():
            if value and not name.startswith("_") and isinstance(schema[name], SpelledText):
                words = schema[name].spellable_words(value)
                self._word_counts[schema[name].spelling_prefix + name].update(words)

    def _merge_segments(self, mergetype: Any, optimize: Any, merge: Any) -> list[Any]:
        """Whoosh's choice of merge policy (``mergetype``, ``optimize``, ``merge``), with
        ``merge_by_live_documents`` where Whoosh's default is ``MERGE_SMALL``."""
        optimize = self.optimize if optimize is None else optimize
        merge = self.merge if merge is None else merge
        if not (mergetype or self.mergetype or optimize) and merge:
            mergetype = merge_by_live_documents
        return super()._merge_segments(mergetype, optimize, merge)

    def add_postings_to_pool(self, reader: Any, startdoc: int, docmap: Any) -> None:
        """A merged segment's postings; its words of "did you mean" by their counts."""
        spelling = set(_spelling_fields(self.schema))
        # A segment's counts cannot tell which deleted documents had which words; one with
        # no live document left has none to carry over.
        carried = spelling & set(reader.indexed_field_names()) if reader.doc_count() else set()
        for name in carried:
            counts = self._word_counts[name]
            for word in reader.lexicon(name):
                counts[word.decode("utf-8")] += int(reader.frequency(name, word))
        items = self._process_posts(reader.iter_postings(), startdoc, docmap)
        add = self.pool.add
        for item in items:
            if item[0] not in spelling:
                add(item)

    def _flush_segment(self) -> None:
        for name, counts in self._word_counts.items():
            for word, count in counts.items():
                self.pool.add((name, word.encode("utf-8"), 0, count, pack_uint(count)))
        self._word_counts.clear()
        self.perdocwriter.close()
        lengths = self.per_document_reader()
        try:
            write_postings(self.fieldwriter, self.schema, lengths, self.docnum, self.pool.terms())
        finally:
            lengths.close()
        self.fieldwriter.close()


def _spelling_fields(schema: Any) -> list[str]:
    return [
        field.spelling_prefix + name
        for name, field in schema.items()
        if isinstance(field, SpelledText)
    ]
