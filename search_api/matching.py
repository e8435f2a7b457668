"""Which articles a query matches, and their scores: whole posting lists at a time.

Whoosh's matchers walk a query's matches one document at a time, through a tree of Python
objects: several microseconds per matching article and per query clause, so a common word
(20,000 articles) took over 100 ms to rank and as long again to count. Here each term's
postings are read once per index version into arrays (document numbers and frequencies)
and kept in a bounded cache, and a query is evaluated bottom-up on arrays: AND intersects
and adds scores, OR unites and adds, NOT removes, and a word's BM25F score is computed for
all of its articles at once with the model's own formulas (``search_api.scoring``), so
rankings are the ones Whoosh's matchers give. A phrase reads word positions only for the
articles that have all its words. Query types with no array form here are walked with
Whoosh's own matcher, which scores them as it always did.

One evaluation gives every match with its score: the exact total, the facets and the
ranking come from it, instead of one walk to count and another to rank.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching import FilterMatcher
from whoosh.util.numeric import byte_to_length

from search_api.query import AnyOf, Excluding
from search_api.scoring import (
    ArticleBM25F,
    FieldsTerm,
    Unscored,
    article_count,
    bm25_idf,
    field_average,
)

# Cached posting lists use at most this many bytes per index version (8 bytes a posting:
# a word in every one of 100,000 articles takes 0.8 MB). Reading a list costs ~0.6 µs a
# posting (Whoosh unpickles each block with its positions), so at 10x the benchmark's
# queries re-read lists all the time when 64 MB held 8 million postings (p50 19.5 ms, 5.3
# with all 141 MB at 16 bytes cached); a serving worker then stayed under 400 MB.
POSTINGS_CACHE_BYTES = 128 * 2**20
# Terms whose document frequency is kept (about 200 bytes each).
MAX_CACHED_FREQUENCIES = 100_000
DEADLINE_CHECK_EVERY = 2048  # matches walked between two looks at the clock
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)


@dataclass(frozen=True)
class Scored:
    """Matching documents (ascending document numbers) and their scores."""

    docs: np.ndarray
    scores: np.ndarray

    @staticmethod
    def empty() -> Scored:
        return Scored(_NO_DOCS, _NO_SCORES)

    def __len__(self) -> int:
        return len(self.docs)

    def within(self, allowed: np.ndarray | None) -> Scored:
        """Only the documents in ``allowed`` (sorted document numbers); None: all."""
        if allowed is None:
            return self
        keep = np.isin(self.docs, allowed, assume_unique=True)
        return Scored(self.docs[keep], self.scores[keep])


class Postings:
    """Posting lists, field lengths and collection statistics of one index version, read
    once and kept (bounded).

    Keyed by segment, so one cache serves every segment of a version. Only the searcher
    that owns it uses it, but two threads may hold one version at once: a lock keeps the
    bookkeeping consistent."""

    def __init__(self, max_bytes: int = POSTINGS_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._terms: OrderedDict[tuple, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._held = 0
        self._lengths: dict[tuple, np.ndarray] = {}
        # Collection statistics sum every segment's; asked for each term in each segment,
        # they would cost a query time quadratic in the number of segments.
        self._doc_frequencies: dict[tuple[str, bytes], int] = {}
        self._averages: dict[str, float] = {}
        self._articles: int | None = None
        self._lock = threading.Lock()

    def term(self, segment: int, reader: Any, fieldname: str, text: bytes) -> tuple:
        """``(docs, frequencies)`` of a term in one segment, deleted documents left out.

        Kept as 32-bit numbers (frequencies are 32-bit floats in Whoosh's blocks, so nothing
        is lost); frequencies are handed out as 64-bit floats, which scores are computed in."""
        key = (segment, fieldname, text)
        with self._lock:
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
        if cached is None:
            docs, weights = _read_postings(reader, fieldname, text)
            cached = (docs.astype(np.int32), weights.astype(np.float32))
            with self._lock:
                if key not in self._terms:
                    self._terms[key] = cached
                    self._held += cached[0].nbytes + cached[1].nbytes
                    while self._held > self.max_bytes and len(self._terms) > 1:
                        _, (old_docs, old_weights) = self._terms.popitem(last=False)
                        self._held -= old_docs.nbytes + old_weights.nbytes
        return cached[0], cached[1].astype(np.float64)

    def lengths(self, segment: int, reader: Any, fieldname: str) -> np.ndarray:
        """The field's length in every document of the segment, as Whoosh's scorers see it."""
        key = (segment, fieldname)
        with self._lock:
            cached = self._lengths.get(key)
        if cached is None:
            cached = _read_lengths(reader, fieldname)
            with self._lock:
                self._lengths[key] = cached
        return cached

    def doc_frequency(self, searcher: Any, fieldname: str, text: bytes) -> int:
        """How many documents of the whole version (``searcher``: its top searcher) have
        the term."""
        key = (fieldname, text)
        cached = self._doc_frequencies.get(key)
        if cached is None:
            cached = searcher.doc_frequency(fieldname, text)
            with self._lock:
                if len(self._doc_frequencies) >= MAX_CACHED_FREQUENCIES:
                    self._doc_frequencies.clear()
                self._doc_frequencies[key] = cached
        return cached

    def article_count(self, searcher: Any) -> int:
        if self._articles is None:
            self._articles = article_count(searcher)
        return self._articles

    def field_average(self, searcher: Any, fieldname: str) -> float:
        cached = self._averages.get(fieldname)
        if cached is None:
            cached = self._averages[fieldname] = field_average(searcher, fieldname)
        return cached

    @property
    def cached_bytes(self) -> int:
        return self._held

    def __len__(self) -> int:
        return len(self._terms)


def _read_postings(reader: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray]:
    matcher = reader.postings(fieldname, text)
    raw = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if isinstance(raw, W3LeafMatcher):
        docs, weights = _read_blocks(raw)
    else:
        docs, weights = _walk_postings(matcher)
    deleted = reader.deleted_docs_set if reader.has_deletions() else None
    if deleted:
        keep = ~np.isin(docs, np.fromiter(deleted, dtype=np.int64, count=len(deleted)))
        docs, weights = docs[keep], weights[keep]
    return docs, weights


def _read_blocks(matcher: W3LeafMatcher) -> tuple[np.ndarray, np.ndarray]:
    """A whole posting list, a block at a time. Whoosh's matcher has no public way to read a
    block; these are the internals of the pinned whoosh3 version (its block layout is the
    on-disk format, which that version promises to keep)."""
    matcher.reset()
    id_blocks, weight_blocks = [], []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids = np.asarray(matcher._data[0], dtype=np.int64)
        # Ids are stored as gaps unless they fit in bytes as they are.
        id_blocks.append(ids if matcher._byteids else np.cumsum(ids))
        matcher._read_weights()
        weight_blocks.append(np.asarray(matcher._weights, dtype=np.float64))
        matcher._next_block()
    if not id_blocks:
        return _NO_DOCS, _NO_SCORES
    return np.concatenate(id_blocks), np.concatenate(weight_blocks)


def _positions(reader: Any, fieldname: str, text: bytes, docs: np.ndarray) -> list[set[int]]:
    """The term's positions in each of ``docs`` (sorted, each holding the term), reading
    and decoding only the blocks and postings of those documents."""
    matcher = reader.postings(fieldname, text)
    raw = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if not isinstance(raw, W3LeafMatcher):
        found = {}
        for docnum in docs.tolist():
            matcher.skip_to(docnum)
            found[docnum] = set(matcher.value_as("positions"))
        return [found[docnum] for docnum in docs.tolist()]
    raw.reset()
    decode = raw.format.decode_positions
    positions: list[set[int]] = []
    wanted = 0
    while raw.is_active() and wanted < len(docs):
        if raw.block_max_id() < docs[wanted]:
            raw._next_block()  # no wanted document in this block: not even read
            continue
        if raw._data is None:
            raw._read_data()
        ids = np.asarray(raw._data[0], dtype=np.int64)
        ids = ids if raw._byteids else np.cumsum(ids)
        raw._read_values()
        in_block = int(np.searchsorted(docs, ids[-1], side="right")) - wanted
        for index in np.searchsorted(ids, docs[wanted : wanted + in_block]).tolist():
            positions.append(set(decode(raw._values[index])))
        wanted += in_block
        raw._next_block()
    return positions


def _walk_postings(matcher: Any) -> tuple[np.ndarray, np.ndarray]:
    docs, weights = [], []
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        matcher.next()
    return np.array(docs, dtype=np.int64), np.array(weights, dtype=np.float64)


def _read_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Lengths as Whoosh stores them: one byte a document (an approximation for long
    fields), read in one piece from the segment's length column."""
    count = reader.doc_count_all()
    perdoc = reader._perdoc  # the pinned whoosh3's per-document reader
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    if column is None:
        return np.ones(count, dtype=np.float64)  # Whoosh's scorers default to 1
    stored = min(column._count, count)
    raw = np.frombuffer(column._dbfile.get(column._basepos, stored), dtype=np.uint8)
    codes = np.zeros(count, dtype=np.uint8)  # documents after the last stored one: 0
    codes[:stored] = raw
    return _LENGTH_OF_BYTE[codes]


class _Segment:
    """Evaluates queries on one segment, with the collection's statistics."""

    def __init__(
        self,
        searcher: Any,
        number: int,
        postings: Postings,
        model: ArticleBM25F,
        deadline: float | None,
    ) -> None:
        self.searcher = searcher
        self.reader = searcher.reader()
        self.parent = searcher.get_parent()
        self.number = number
        self.postings = postings
        self.model = model
        self.deadline = deadline
        self.timed_out = False

    def evaluate(self, query: wq.Query) -> Scored:
        if isinstance(query, FieldsTerm):
            return self._fields_term(query)
        if isinstance(query, wq.Term):
            return self._term(query)
        if isinstance(query, Unscored):
            matched = self.evaluate(query.child)
            return Scored(matched.docs, np.zeros(len(matched)))
        if isinstance(query, Excluding):
            kept = self.evaluate(query.a)
            excluded = self.evaluate(query.b)
            keep = ~np.isin(kept.docs, excluded.docs, assume_unique=True)
            return Scored(kept.docs[keep], kept.scores[keep])
        if type(query) in (wq.And, AnyOf):
            subqueries = query.subqueries
            if not subqueries:
                return Scored.empty()
            parts = [self.evaluate(sub) for sub in subqueries]
            combined = _intersection(parts) if type(query) is wq.And else _union(parts)
            # Whoosh applies a compound query's boost only when it has several parts.
            return combined if len(parts) == 1 else _boosted(combined, query.boost)
        if type(query) is wq.Phrase and query.slop == 1:
            return self._phrase(query)
        if query is wq.NullQuery:
            return Scored.empty()
        return self._walk(query)

    def _stored_term(self, fieldname: str, text: str) -> bytes | None:
        schema = self.searcher.schema
        if fieldname not in schema:
            return None
        try:
            raw = schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return raw if (fieldname, raw) in self.reader else None

    def _term(self, query: wq.Term) -> Scored:
        raw = self._stored_term(query.fieldname, query.text)
        if raw is None:
            return Scored.empty()
        docs, weights = self.postings.term(self.number, self.reader, query.fieldname, raw)
        field = self.searcher.schema[query.fieldname]
        if field.scorable:
            idf = bm25_idf(
                self.postings.article_count(self.parent),
                self.postings.doc_frequency(self.parent, query.fieldname, raw),
            )
            lengths = self.postings.lengths(self.number, self.reader, query.fieldname)[docs]
            average = self.postings.field_average(self.parent, query.fieldname)
            scores = self.model.bm25_scores(weights, lengths, idf, average)
        else:
            scores = weights  # Whoosh scores a term of an unscored field by its weight
        return _boosted(Scored(docs, scores), query.boost)

    def _fields_term(self, query: FieldsTerm) -> Scored:
        """One word in several fields, as ``ArticleBM25F.fields_matcher`` scores it."""
        parts, df = [], 0
        for term in query.subqueries:
            raw = self._stored_term(term.fieldname, term.text)
            if raw is None:
                continue
            docs, weights = self.postings.term(self.number, self.reader, term.fieldname, raw)
            lengths = self.postings.lengths(self.number, self.reader, term.fieldname)[docs]
            average = self.postings.field_average(self.parent, term.fieldname)
            frequency = self.model.normalised_frequencies(weights, lengths, average)
            parts.append(_boosted(Scored(docs, frequency), term.boost))
            df = max(df, self.postings.doc_frequency(self.parent, term.fieldname, raw))
        if not parts:
            return Scored.empty()
        summed = _union(parts)
        idf = bm25_idf(self.postings.article_count(self.parent), df)
        saturated = Scored(summed.docs, self.model.saturate(summed.scores, idf))
        return _boosted(saturated, query.boost)

    def _phrase(self, query: wq.Phrase) -> Scored:
        """Articles with the words next to each other, in order, scored as Whoosh scores a
        phrase (the sum of its words' BM25 scores). The words' postings give the articles
        with every word; positions are read for those articles only."""
        fieldname = query.fieldname
        if fieldname not in self.searcher.schema:
            return Scored.empty()
        field_format = self.searcher.schema[fieldname].format
        if not field_format or not field_format.supports("positions"):
            return self._walk(query)
        raws = [self._stored_term(fieldname, word) for word in query.words]
        if any(raw is None for raw in raws):
            return Scored.empty()
        words = _intersection([self._term(wq.Term(fieldname, word)) for word in query.words])
        candidates = words.docs
        # The positions where the phrase so far ends, per candidate.
        ends = _positions(self.reader, fieldname, raws[0], candidates)
        for raw in raws[1:]:
            if not candidates.size:
                break
            following = _positions(self.reader, fieldname, raw, candidates)
            ends = [
                {end + 1 for end in current if end + 1 in nexts}
                for current, nexts in zip(ends, following, strict=True)
            ]
            if self._past_deadline():
                self.timed_out = True
                return Scored.empty()
        keep = np.fromiter((bool(found) for found in ends), dtype=bool, count=len(ends))
        return _boosted(Scored(candidates[keep], words.scores[keep]), query.boost)

    def _walk(self, query: wq.Query) -> Scored:
        """Matches of a query with no array form, with Whoosh's scores; cut short (and
        marked so) when the deadline passes."""
        matcher = query.matcher(self.searcher, self.searcher.context())
        docs: list[int] = []
        scores: list[float] = []
        while matcher.is_active():
            docs.append(matcher.id())
            scores.append(matcher.score())
            matcher.next()
            if len(docs) % DEADLINE_CHECK_EVERY == 0 and self._past_deadline():
                self.timed_out = True
                break
        return Scored(np.array(docs, dtype=np.int64), np.array(scores, dtype=np.float64))

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


def _boosted(scored: Scored, boost: float) -> Scored:
    return scored if boost == 1.0 else Scored(scored.docs, scored.scores * boost)


def _intersection(parts: Sequence[Scored]) -> Scored:
    docs, scores = parts[0].docs, parts[0].scores
    for part in parts[1:]:
        docs, mine, theirs = np.intersect1d(
            docs, part.docs, assume_unique=True, return_indices=True
        )
        scores = scores[mine] + part.scores[theirs]
    return Scored(docs, scores)


def _union(parts: Sequence[Scored]) -> Scored:
    if len(parts) == 1:
        return parts[0]
    docs = np.concatenate([part.docs for part in parts])
    # Sorted runs, joined: a stable sort merges them (much faster here than np.unique).
    docs.sort(kind="stable")
    first = np.empty(len(docs), dtype=bool)
    first[:1] = True
    np.not_equal(docs[1:], docs[:-1], out=first[1:])
    docs = docs[first]
    scores = np.zeros(len(docs))
    # Each part adds its scores where it matches, in order, as Whoosh's union adds.
    for part in parts:
        scores[np.searchsorted(docs, part.docs)] += part.scores
    return Scored(docs, scores)


def evaluate(
    searcher: Any,
    query: wq.Query,
    postings: Postings,
    model: ArticleBM25F,
    deadline: float | None = None,
) -> tuple[Scored, bool]:
    """Every document ``query`` matches with its score, and whether the deadline cut the
    evaluation short (then some matches may be missing)."""
    docs, scores, timed_out = [], [], False
    for number, (leaf, offset) in enumerate(searcher.leaf_searchers()):
        segment = _Segment(leaf, number, postings, model, deadline)
        matched = segment.evaluate(query)
        docs.append(matched.docs + offset)
        scores.append(matched.scores)
        timed_out = timed_out or segment.timed_out
    if not docs:
        return Scored.empty(), timed_out
    return Scored(np.concatenate(docs), np.concatenate(scores)), timed_out


def by_score(scored: Scored, limit: int | None) -> list[tuple[float, int]]:
    """``(score, docnum)`` by score, best first, ties by document number (as Whoosh)."""
    order = np.lexsort((scored.docs, -scored.scores))
    if limit is not None:
        order = order[:limit]
    return list(zip(scored.scores[order].tolist(), scored.docs[order].tolist(), strict=True))


def by_key_descending(
    docs: np.ndarray, keys: np.ndarray, limit: int | None
) -> list[tuple[int, int]]:
    """``(key, docnum)`` by key, largest first, ties by larger document number first (as
    Whoosh's reversed sort of ``(key, docnum)`` pairs)."""
    order = np.lexsort((-docs, -keys[docs]))
    if limit is not None:
        order = order[:limit]
    chosen = docs[order]
    return list(zip(keys[chosen].tolist(), chosen.tolist(), strict=True))
