"""A segment's postings: gathered by term as documents are added, written a block at a time.

Whoosh's writer puts every posting in a pool as a tuple (field, term, document, weight,
positions), sorts them all when the segment is written, then hands them one at a time to
its codec, which looks up each document's field length and appends the posting to the
block being filled. On the benchmark corpus that was about half of a build's time, for
44 postings per document.

``TermPool`` keeps each term's postings together instead, in the order the documents were
added (ascending: a segment writer numbers documents as it adds them), so only the terms
are sorted; ``write_postings`` gives the codec's posting writer a block of up to 128
postings at a time, with the block's lengths from one array per field, and lets the codec
encode it as it would have. The files written are the same, byte for byte (tested).

Memory is bounded (``limitmb``) as Whoosh's pool's is: beyond it, the terms gathered so far
are written, sorted, to a run in the writer's temporary folder, and the runs are merged
term by term when the segment is written.

``write_postings`` sets the codec's block state (``W3PostingsWriter``'s ids, weights,
values and their bounds) where Whoosh's ``add_posting`` would have: whoosh3 is pinned to
one version, and the byte-for-byte test fails if another encodes blocks otherwise.
"""

from __future__ import annotations

import heapq
import pickle
from array import array
from collections.abc import Iterable, Iterator
from itertools import groupby
from operator import itemgetter
from typing import Any, BinaryIO

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.util import random_name
from whoosh.util.numeric import byte_to_length

# A term's postings, flat: document, weight, positions (encoded), document, ...
Flat = list[Any]
TermPostings = tuple[str, bytes, Flat]  # field name, term, postings

# Bytes a posting takes in the pool, beside its encoded positions: three list slots, an int
# and a float; and a term, beside its text: its dict entry, key tuple and list.
POSTING_BYTES = 24 + 28 + 24 + 33
TERM_BYTES = 250
# Postings a spilled run is pickled in at once (whole terms, so a batch may hold more):
# merging the runs holds a batch of each (a 10x build spills dozens per writer), outside
# the pool's ``limitmb``.
RUN_BATCH = 4096


class TermPool:
    """The postings a segment writer is given (``add``, Whoosh's ``PostingPool`` interface),
    kept by term; ``terms()`` gives them sorted by field and term."""

    def __init__(self, tempstore: Any, limitmb: float = 128) -> None:
        self._tempstore = tempstore
        self._limit = limitmb * 1024 * 1024
        self._size = 0
        self._terms: dict[tuple[str, bytes], Flat] = {}
        self.runs: list[str] = []

    def add(self, posting: tuple[str, bytes, int, float, bytes | None]) -> None:
        fieldname, btext, docnum, weight, value = posting
        value = value or b""
        flat = self._terms.get((fieldname, btext))
        if flat is None:
            flat = self._terms[fieldname, btext] = []
            self._size += TERM_BYTES + len(btext)
        flat += (docnum, weight, value)
        self._size += POSTING_BYTES + len(value)
        if self._size > self._limit:
            self._spill()

    def terms(self) -> Iterator[TermPostings]:
        """Every term with its postings, by field then term; a term's postings in the order
        they were added, its runs' first."""
        in_memory = self._sorted()
        if not self.runs:
            yield from in_memory
            return
        # ``heapq.merge`` is stable: a term's parts come in the order of the runs given.
        merged = heapq.merge(*map(self._read_run, self.runs), in_memory, key=_term_key)
        for (fieldname, btext), parts in groupby(merged, key=_term_key):
            flat: Flat = []
            for _, _, part in parts:
                flat += part
            yield fieldname, btext, flat

    def cleanup(self) -> None:
        for path in self.runs:
            if self._tempstore.file_exists(path):
                self._tempstore.delete_file(path)
        self.runs.clear()
        self._terms.clear()

    def _sorted(self) -> list[TermPostings]:
        terms = sorted(self._terms.items(), key=itemgetter(0))
        self._terms = {}
        self._size = 0
        return [(fieldname, btext, flat) for (fieldname, btext), flat in terms]

    def _spill(self) -> None:
        # A random name, as Whoosh's pool gives its runs: a parallel build's writers share
        # the index's temporary folder.
        path = f"{random_name()}.termrun"
        with self._tempstore.create_file(path) as run:
            batch: list[TermPostings] = []
            postings = 0
            for term in self._sorted():
                batch.append(term)
                postings += len(term[2]) // 3
                if postings >= RUN_BATCH:
                    pickle.dump(batch, run, pickle.HIGHEST_PROTOCOL)
                    batch, postings = [], 0
            pickle.dump(batch, run, pickle.HIGHEST_PROTOCOL)
        self.runs.append(path)

    def _read_run(self, path: str) -> Iterator[TermPostings]:
        run: BinaryIO = self._tempstore.open_file(path).raw_file()
        try:
            while True:
                yield from pickle.load(run)
        except EOFError:
            return
        finally:
            run.close()


def _term_key(term: TermPostings) -> tuple[str, bytes]:
    return term[0], term[1]


def write_postings(
    fieldwriter: Any, schema: Any, lengths: Any, doc_count: int, terms: Iterable[TermPostings]
) -> None:
    """Writes ``terms`` (sorted by field and term) with Whoosh's codec, as its
    ``FieldWriter.add_postings`` would: the same blocks, the same bytes.

    ``lengths`` is the segment's per-document reader (each document's field lengths), as
    Whoosh's ``add_postings`` takes it."""
    fieldname = None
    field_lengths = None
    for term_field, btext, flat in terms:
        if term_field != fieldname:
            if fieldname is not None:
                fieldwriter.finish_field()
            fieldname = term_field
            field = schema[fieldname]
            fieldwriter.start_field(fieldname, field)
            # Only a scored field has lengths (Whoosh's loop looks them up for every field).
            field_lengths = length_bytes(lengths, fieldname, doc_count) if field.scorable else None
        fieldwriter.start_term(btext)
        _write_term(fieldwriter._postwriter, flat, field_lengths)
        fieldwriter.finish_term()
    if fieldname is not None:
        fieldwriter.finish_field()


def _write_term(postwriter: Any, flat: Flat, field_lengths: np.ndarray | None) -> None:
    """A term's postings as the codec's posting writer would have gathered them one by one
    (``W3PostingsWriter.add_posting``): full blocks written as they fill, the last one left
    for ``finish_postings`` to write. ``field_lengths``: ``length_bytes``; a length grows
    with its byte, so a block's shortest and longest are those of its least and greatest
    byte."""
    ids, weights, values = flat[0::3], flat[1::3], flat[2::3]
    limit = postwriter._blocklimit
    for start in range(0, len(ids), limit):
        if start:
            postwriter._write_block()
        block = slice(start, start + limit)
        block_ids = ids[block]
        block_weights = weights[block]
        postwriter._ids = array("I", block_ids)
        postwriter._weights = array("f", block_weights)
        postwriter._values = [value for value in values[block] if value]
        postwriter._maxweight = max(0, *block_weights)
        if field_lengths is not None:
            block_bytes = field_lengths[block_ids]
            block_bytes = block_bytes[block_bytes > 0]
            if len(block_bytes):
                postwriter._minlength = byte_to_length(int(block_bytes.min()))
                postwriter._maxlength = byte_to_length(int(block_bytes.max()))


def length_bytes(perdoc: Any, fieldname: str, doc_count: int) -> np.ndarray | None:
    """Each document's length in ``fieldname`` as a segment stores it: one byte a document
    (``byte_to_length`` gives the length; 0: none, as for documents after the last one the
    column holds), read in one piece from its length column; None when it has none.

    ``perdoc`` is the segment's per-document reader (whoosh3's, pinned: its column is read
    directly), as the writer has it and as a ``SegmentReader`` keeps it."""
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return None
    stored = min(column._count, doc_count)
    codes = np.zeros(doc_count, dtype=np.uint8)
    codes[:stored] = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    return codes
