"""Which articles a query matches, and their scores: whole posting lists at a time.

Whoosh's matchers walk a query's matches one document at a time, through a tree of Python
objects: several microseconds per matching article and per query clause, so a common word
(20,000 articles) took over 100 ms to rank and as long again to count. Here each term's
postings are read once per index version into arrays (document numbers, and frequencies
already divided by their documents' length normalisation) and kept in a bounded cache, and
a query is evaluated bottom-up on arrays: AND intersects and adds scores, OR unites and
adds, NOT removes, and a word's BM25F score is computed for all of its articles at once
with the model's own formulas (``search_api.scoring``), so rankings are the ones Whoosh's
matchers give (scores to six digits: the cached frequencies are 32-bit floats). A
phrase's words' positions are read with their postings, kept in the same cache, and matched
for all articles at once. Every query the builder (``search_api.query``) makes has an array
form here; Whoosh's matchers, with the same model, are what the tests compare these matches
and scores with.

One evaluation gives every match with its score: the exact total, the facets and the
ranking come from it, instead of one walk to count and another to rank.
"""

from __future__ import annotations

import pickle
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import chain
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.formats import Positions
from whoosh.matching import FilterMatcher
from whoosh.util.numeric import byte_to_length

from indexer.analysis import Phrase, joinable
from indexer.postings import length_bytes
from search_api.query import AnyOf, Excluding, HyphenatedWord, SpacedPhrase, phrase_places
from search_api.scoring import (
    ArticleBM25F,
    FieldsTerm,
    Unscored,
    article_count,
    bm25_idf,
    field_average,
    word_frequency,
)

# Cached posting lists use at most this many bytes per index version (8 bytes a posting:
# a word in every one of 100,000 articles takes 0.8 MB). Reading a list costs ~0.6 µs a
# posting (Whoosh unpickles each block with its positions), so at 10x the benchmark's
# queries re-read lists all the time when 64 MB held 8 million postings (p50 19.5 ms, 5.3
# with all 141 MB at 16 bytes cached); a serving worker then stayed under 400 MB. A phrase
# word's positions take 8 bytes each: the benchmark's 390 queries at 10x keep 92.6 MB, 22 of
# them positions (its 30 phrases, 2.9 million positions).
POSTINGS_CACHE_BYTES = 128 * 2**20
# What the server reads of the commonest words' posting lists before it takes requests
# (``Postings.preload``): half the cache, the rest left to what searches ask for.
PRELOADED_POSTINGS_BYTES = POSTINGS_CACHE_BYTES // 2
# ...and only those in this many documents at least: a shorter list is read on demand in
# under a millisecond, and reading every term of an index that fits the budget took 22 s
# (45,000 terms of the 1x benchmark index, 19 MB) before a worker could answer.
MIN_PRELOADED_DOCS = 1000
# How many terms' document frequencies are kept, and as many answers to whether a segment
# has a term (about 200 bytes an entry).
MAX_CACHED_TERMS = 100_000
# A union whose parts hold more matches than a segment's documents over this is summed in
# an array over the segment, not merged.
DENSE_UNION_SHARE = 8
_LENGTH_OF_BYTE = np.array([byte_to_length(b) for b in range(256)], dtype=np.float64)
_NO_DOCS = np.zeros(0, dtype=np.int64)
_NO_SCORES = np.zeros(0, dtype=np.float64)
_POSITIONS = "positions"  # marks a term's positions among the cached entries


# (docs, weights) -> what a search adds up for them: see ``normaliser``.
Normalise = Callable[[np.ndarray, np.ndarray], np.ndarray]
# A phrase's word as the index holds it: its field, its stored term, its position from the
# phrase's first word, and whether it is a stop word (in the field's stop words).
Place = tuple[str, bytes, int, bool]


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
        self._doc_frequencies: dict[tuple, int] = {}
        self._has_term: dict[tuple, bool] = {}
        self._averages: dict[str, float] = {}
        self._articles: int | None = None
        self._lock = threading.Lock()

    def term(
        self, segment: int, reader: Any, fieldname: str, text: bytes, normalise: Normalise
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(docs, frequencies)`` of a term in one segment, deleted documents left out; its
        frequencies as ``normalise`` makes them (for a scored field, divided by each
        document's length normalisation: ``normaliser``).

        Kept normalised, so a search does not look up its documents' lengths and divide
        again for every word in every field; as 32-bit numbers (4 bytes a frequency), handed
        out as 64-bit floats, which scores are computed in. Kept under the term alone: one
        index version's searches normalise a field alike."""
        key = (segment, fieldname, text)
        cached = self._get(key)
        if cached is None:
            docs, weights, _ = _read_postings(reader, fieldname, text, with_positions=False)
            cached = self._keep_term(key, docs, weights, normalise)
        return cached[0], cached[1].astype(np.float64)

    def _keep_term(
        self, key: tuple, docs: np.ndarray, weights: np.ndarray, normalise: Normalise
    ) -> tuple[np.ndarray, ...]:
        frequencies = normalise(docs, weights.astype(np.float64))
        return self._put(key, (docs.astype(np.int32), frequencies.astype(np.float32)))

    def positions(
        self,
        segment: int,
        reader: Any,
        fieldname: str,
        text: bytes,
        normalise: Normalise | None = None,
    ) -> np.ndarray:
        """Every position of a term in one segment's live documents, as ``docnum << 32 |
        position``, ascending (8 bytes a position, kept within the same bound).

        Read in one pass over the term's blocks, which gives its postings too: given
        ``normalise``, a phrase's words are read once, for the phrase and for their
        scores."""
        key = (segment, fieldname, text, _POSITIONS)
        cached = self._get(key)
        if cached is None:
            docs, weights, keys = _read_postings(reader, fieldname, text, with_positions=True)
            term_key = (segment, fieldname, text)
            if normalise is not None and self._get(term_key) is None:
                self._keep_term(term_key, docs, weights, normalise)
            cached = self._put(key, (keys,))
        return cached[0]

    def preload(
        self,
        searcher: Any,
        fieldnames: Sequence[str],
        budget: int,
        normalisers: Callable[[int, Any, str], Normalise],
        min_docs: int = MIN_PRELOADED_DOCS,
    ) -> int:
        """Read the posting lists of the terms in the most documents of ``fieldnames[0]``
        first, each in every field of ``fieldnames``, until ``budget`` bytes are kept or
        the terms left are in fewer than ``min_docs`` documents; how many terms were read.

        ``normalisers`` gives each segment's field its ``normalise`` (``normaliser``). A
        list takes ~0.6 µs a posting to read, so a common word's takes the longest (tens
        of ms at 10x) and is the likeliest to be searched: every worker's first searches
        for it paid that, and a page of them made the slowest answers."""
        reader = searcher.reader()
        by_frequency = sorted(
            ((info.doc_frequency(), term) for term, info in reader.iter_field(fieldnames[0])),
            reverse=True,
        )
        leaves = [leaf.reader() for leaf, _offset in searcher.leaf_searchers()]
        for count, (frequency, term) in enumerate(by_frequency):
            if self._held >= budget or frequency < min_docs:
                return count
            for segment, leaf in enumerate(leaves):
                for fieldname in fieldnames:
                    if (fieldname, term) in leaf:
                        normalise = normalisers(segment, leaf, fieldname)
                        self.term(segment, leaf, fieldname, term, normalise)
        return len(by_frequency)

    def _get(self, key: tuple) -> tuple[np.ndarray, ...] | None:
        with self._lock:
            cached = self._terms.get(key)
            if cached is not None:
                self._terms.move_to_end(key)
        return cached

    def _put(self, key: tuple, arrays: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        """Keeps ``arrays`` under ``key``, dropping the least recently used entries beyond
        the bound; what is kept under ``key`` (another thread may have read it first)."""
        with self._lock:
            if key not in self._terms:
                self._terms[key] = arrays
                self._held += sum(array.nbytes for array in arrays)
                while self._held > self.max_bytes and len(self._terms) > 1:
                    _, dropped = self._terms.popitem(last=False)
                    self._held -= sum(array.nbytes for array in dropped)
            return self._terms[key]

    def has_term(self, segment: int, reader: Any, fieldname: str, text: bytes) -> bool:
        """Whether a segment has the term: a look-up in its term table on disk the first
        time (a seek and a read, for every word in every field and segment: 15-18% of the
        benchmark's median search without snippets), then kept (up to ``MAX_CACHED_TERMS``)."""
        key = (segment, fieldname, text)
        known = self._has_term.get(key)
        if known is None:
            known = (fieldname, text) in reader
            with self._lock:
                if len(self._has_term) >= MAX_CACHED_TERMS:
                    self._has_term.clear()
                self._has_term[key] = known
        return known

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
                if len(self._doc_frequencies) >= MAX_CACHED_TERMS:
                    self._doc_frequencies.clear()
                self._doc_frequencies[key] = cached
        return cached

    def phrase_frequency(self, searcher: Any, places: tuple[Place, ...]) -> int:
        """How many documents of the whole version (``searcher``: its top searcher) have
        the words (stored terms, each in its field) as a phrase, each at its position (a
        hyphenated word's spaced spelling: not ``joined``)."""
        key = places
        cached = self._doc_frequencies.get(key)
        if cached is None:
            cached = 0
            for segment, (leaf, _offset) in enumerate(searcher.leaf_searchers()):
                reader = leaf.reader()
                if all((fieldname, raw) in reader for fieldname, raw, _, _ in places):
                    ends = _phrase_ends(self, segment, reader, places, joined=False)
                    cached += len(np.unique(ends >> 32))
            with self._lock:
                if len(self._doc_frequencies) >= MAX_CACHED_TERMS:
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


def _read_postings(
    reader: Any, fieldname: str, text: bytes, *, with_positions: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A term's live documents, their weights and, ``with_positions``, its positions as
    ``docnum << 32 | position`` (ascending)."""
    matcher = reader.postings(fieldname, text)
    raw = matcher.child if isinstance(matcher, FilterMatcher) else matcher
    if isinstance(raw, W3LeafMatcher):
        docs, weights, values = _read_blocks(raw, with_positions)
        decoded = _decode_positions(values, raw.format) if with_positions else None
    else:
        docs, weights, found = _walk_postings(matcher, with_positions)
        decoded = _flattened(found) if with_positions else None
    keys = None
    if decoded is not None:
        counts, positions = decoded
        # Positions are far below 2**32: a key + 1 is the next position in the same document.
        keys = (np.repeat(docs, counts) << 32) | positions
    deleted = reader.deleted_docs_set if reader.has_deletions() else None
    if deleted:
        keep = ~np.isin(docs, np.fromiter(deleted, dtype=np.int64, count=len(deleted)))
        docs, weights = docs[keep], weights[keep]
        if decoded is not None:
            keys = keys[np.repeat(keep, decoded[0])]
    return docs, weights, keys


def _read_blocks(
    matcher: W3LeafMatcher, with_values: bool
) -> tuple[np.ndarray, np.ndarray, list[bytes]]:
    """A whole posting list, a block at a time, and its encoded values ``with_values``.
    Whoosh's matcher has no public way to read a block; these are the internals of the
    pinned whoosh3 version (its block layout is the on-disk format, which that version
    promises to keep)."""
    matcher.reset()
    id_blocks, weight_blocks, values = [], [], []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        ids = np.asarray(matcher._data[0], dtype=np.int64)
        # Ids are stored as gaps unless they fit in bytes as they are.
        id_blocks.append(ids if matcher._byteids else np.cumsum(ids))
        matcher._read_weights()
        weight_blocks.append(np.asarray(matcher._weights, dtype=np.float64))
        if with_values:
            matcher._read_values()
            values.extend(matcher._values)
        matcher._next_block()
    if not id_blocks:
        return _NO_DOCS, _NO_SCORES, values
    return np.concatenate(id_blocks), np.concatenate(weight_blocks), values


def _flattened(lists: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The length of each list, and their items one list after the other."""
    counts = np.array([len(items) for items in lists], dtype=np.int64)
    total = int(counts.sum())
    return counts, np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=total)


# A value of Whoosh's ``Positions`` format: the count (4 bytes, big-endian), then the gaps
# between positions pickled as a protocol-2 list: PROTO 2, EMPTY_LIST, BINPUT 0, the ints
# with their APPEND(S), STOP.
_COUNT_BYTES = 4
_LIST_HEAD = b"\x80\x02]q\x00"
_APPENDS_START = _COUNT_BYTES + len(_LIST_HEAD)
_STOP = ord(".")


def _decode_positions(values: list[bytes], field_format: Any) -> tuple[np.ndarray, np.ndarray]:
    """The number of positions in each value and all their positions, one value after the
    other.

    Whoosh decodes a value at a time, in Python (~2 µs each; a phrase of common words has
    hundreds of thousands): here the gaps of every value are unpickled at once and summed
    with numpy. Values in any other layout are decoded by Whoosh."""
    unpickled = _gaps(values) if type(field_format) is Positions and values else None
    if unpickled is None:
        return _flattened([field_format.decode_positions(value) for value in values])
    counts, gaps = unpickled
    # Positions are the running sum of gaps, restarted at each value.
    summed = np.cumsum(gaps)
    firsts = np.cumsum(counts) - counts
    before = np.zeros(len(counts), dtype=np.int64)
    # The sum before each value's first gap (0 before the first value and while every value
    # so far was empty).
    after_some = firsts[1:] > 0
    before[1:][after_some] = summed[firsts[1:][after_some] - 1]
    return counts, summed - np.repeat(before, counts)


def _gaps(values: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Each value's count and every value's gaps, one value after the other; None when a
    value is not laid out as ``Positions.encode`` writes it.

    The values are joined, each one's count, list head and STOP cut out with numpy, and
    what is left, every value's ints and appends, unpickled after one list's head: one
    list of every gap, in one call."""
    joined = np.frombuffer(b"".join(values), dtype=np.uint8)
    sizes = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    starts = np.cumsum(sizes) - sizes
    stops = starts + sizes - 1
    if sizes.min() <= _APPENDS_START or (joined[stops] != _STOP).any():
        return None
    heads = joined[starts[:, None] + np.arange(_APPENDS_START)]
    if (heads[:, _COUNT_BYTES:] != np.frombuffer(_LIST_HEAD, dtype=np.uint8)).any():
        return None
    counts = np.frombuffer(heads[:, :_COUNT_BYTES].tobytes(), dtype=">u4").astype(np.int64)
    appends = np.ones(len(joined), dtype=bool)
    appends[starts[:, None] + np.arange(_APPENDS_START)] = False
    appends[stops] = False
    gaps = np.array(pickle.loads(b"\x80\x02]" + joined[appends].tobytes() + b"."), np.int64)
    # Whoosh reads positions from the list alone: a count that disagrees is not trusted.
    return (counts, gaps) if len(gaps) == int(counts.sum()) else None


def _walk_postings(
    matcher: Any, with_positions: bool
) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    docs, weights, positions = [], [], []
    while matcher.is_active():
        docs.append(matcher.id())
        weights.append(matcher.weight())
        if with_positions:
            positions.append(matcher.value_as("positions"))
        matcher.next()
    return np.array(docs, dtype=np.int64), np.array(weights, dtype=np.float64), positions


def _read_lengths(reader: Any, fieldname: str) -> np.ndarray:
    """Lengths as Whoosh stores them: one byte a document (an approximation for long
    fields), read in one piece from the segment's length column."""
    count = reader.doc_count_all()
    codes = length_bytes(reader._perdoc, fieldname, count)
    if codes is None:
        return np.ones(count, dtype=np.float64)  # Whoosh's scorers default to 1
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
        self._normalisers = normaliser(self.parent, postings, model)
        self.deadline = deadline
        self.timed_out = False

    def evaluate(self, query: wq.Query) -> Scored:
        # Past the deadline every part matches nothing: a union keeps the matches found so
        # far, and an intersection or an exclusion never lets through what it should not.
        if self.timed_out or self._past_deadline():
            self.timed_out = True
            return Scored.empty()
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
            if self.timed_out:  # the exclusions may be incomplete
                return Scored.empty()
            keep = ~np.isin(kept.docs, excluded.docs, assume_unique=True)
            return Scored(kept.docs[keep], kept.scores[keep])
        if type(query) in (wq.And, AnyOf):
            subqueries = query.subqueries
            if not subqueries:
                return Scored.empty()
            parts = [self.evaluate(sub) for sub in subqueries]
            size = self.reader.doc_count_all()
            combined = _intersection(parts) if type(query) is wq.And else union(parts, size)
            # Whoosh applies a compound query's boost only when it has several parts.
            return combined if len(parts) == 1 else _boosted(combined, query.boost)
        if type(query) is SpacedPhrase:
            return self._phrase(query)
        if query is wq.NullQuery:
            return Scored.empty()
        raise TypeError(f"no array evaluation for {type(query).__name__}")

    def _stored_term(self, fieldname: str, text: str) -> bytes | None:
        schema = self.searcher.schema
        if fieldname not in schema:
            return None
        try:
            raw = schema[fieldname].to_bytes(text)
        except ValueError:
            return None
        return raw if self.postings.has_term(self.number, self.reader, fieldname, raw) else None

    def _term(self, query: wq.Term) -> Scored:
        raw = self._stored_term(query.fieldname, query.text)
        if raw is None:
            return Scored.empty()
        docs, frequencies = self._postings(query.fieldname, raw)
        if self.searcher.schema[query.fieldname].scorable:
            idf = bm25_idf(
                self.postings.article_count(self.parent),
                self.postings.doc_frequency(self.parent, query.fieldname, raw),
            )
            scores = self.model.saturate(frequencies, idf)
        else:
            scores = frequencies  # Whoosh scores a term of an unscored field by its weight
        return _boosted(Scored(docs, scores), query.boost)

    def _postings(self, fieldname: str, raw: bytes) -> tuple[np.ndarray, np.ndarray]:
        normalise = self._normalisers(self.number, self.reader, fieldname)
        return self.postings.term(self.number, self.reader, fieldname, raw, normalise)

    def _fields_term(self, query: FieldsTerm) -> Scored:
        """One word in several fields, as ``ArticleBM25F.fields_matcher`` scores it; a
        hyphenated word's frequency in a field counts its spaced spelling too."""
        spaced = query.spaced if isinstance(query, HyphenatedWord) else None
        size = self.reader.doc_count_all()
        parts, df = [], 0
        for term in query.subqueries:
            fieldname = term.fieldname
            # The document frequency is the whole index's, whatever this segment holds, so
            # that every segment scores the word alike.
            field_df = self._doc_frequency(fieldname, term.text)
            spellings = []
            raw = self._stored_term(fieldname, term.text)
            if raw is not None:
                spellings.append(Scored(*self._postings(fieldname, raw)))
            if spaced is not None:
                phrase = self._phrase_frequencies(fieldname, spaced)
                if len(phrase):
                    normalise = self._normalisers(self.number, self.reader, fieldname)
                    spellings.append(Scored(phrase.docs, normalise(phrase.docs, phrase.scores)))
                field_df = max(field_df, self._phrase_doc_frequency(fieldname, spaced))
            df = max(df, field_df)
            if not spellings:
                continue
            parts.append(_boosted(union(spellings, size), term.boost))
        if not parts:
            return Scored.empty()
        summed = union(parts, size)
        articles = self.postings.article_count(self.parent)
        frequency = partial(self.postings.doc_frequency, self.parent)
        df = word_frequency(query, df, articles, self.searcher.schema, frequency)
        idf = bm25_idf(articles, df)
        saturated = Scored(summed.docs, self.model.saturate(summed.scores, idf))
        return _boosted(saturated, query.boost)

    def _doc_frequency(self, fieldname: str, text: str) -> int:
        """How many documents of the whole index have the term (0 when none has)."""
        try:
            raw = self.searcher.schema[fieldname].to_bytes(text)
        except (KeyError, ValueError):
            return 0
        return self.postings.doc_frequency(self.parent, fieldname, raw)

    def _phrase_doc_frequency(self, fieldname: str, phrase: Phrase) -> int:
        """How many documents of the whole index have the words as a phrase."""
        places = self._places(fieldname, phrase)
        return 0 if places is None else self.postings.phrase_frequency(self.parent, places)

    def _phrase_frequencies(self, fieldname: str, phrase: Phrase) -> Scored:
        """How often each article has the words as a phrase (each at its position)."""
        ends = self._phrase_positions(fieldname, phrase, joined=False)
        if ends is None:
            return Scored.empty()
        docs, counts = np.unique(ends >> 32, return_counts=True)
        return Scored(docs, counts.astype(np.float64))

    def _phrase(self, query: SpacedPhrase) -> Scored:
        """Articles with the words in order, each at its distance from the one before,
        scored as Whoosh scores a phrase (the sum of its words' BM25 scores; its stop words
        add nothing). Each word's positions (cached, as ``docnum << 32 | position``) are
        matched with the next word's, shifted by the distance, for all articles at once."""
        ends = self._phrase_positions(query.fieldname, query.phrase, query.joined)
        if ends is None or not ends.size:
            return Scored.empty()
        fieldname = query.fieldname
        words = _intersection([self._term(wq.Term(fieldname, word)) for word in query.words])
        keep = np.isin(words.docs, ends >> 32)
        return _boosted(Scored(words.docs[keep], words.scores[keep]), query.boost)

    def _places(self, fieldname: str, phrase: Phrase) -> tuple[Place, ...] | None:
        """The phrase's words as the index holds them, each in its field (a stop word in
        the field's stop words), with its position; None when the field has no positions
        (the builder makes no phrase there)."""
        schema = self.searcher.schema
        if fieldname not in schema:
            return None
        field_format = schema[fieldname].format
        if not field_format or not field_format.supports("positions"):
            return None
        return tuple(
            (name, schema[name].to_bytes(word), offset, is_stop_word)
            for name, word, offset, is_stop_word in phrase_places(fieldname, phrase, schema)
        )

    def _phrase_positions(self, fieldname: str, phrase: Phrase, joined: bool) -> np.ndarray | None:
        """Where the phrase ends in this segment (``docnum << 32 | position``); None when the
        field has no positions (the builder makes no phrase there), a word is not in this
        segment, or the time budget ran out reading positions."""
        places = self._places(fieldname, phrase)
        if places is None or not all(
            self.postings.has_term(self.number, self.reader, name, raw)
            for name, raw, _, _ in places
        ):
            return None
        ends = _phrase_ends(
            self.postings,
            self.number,
            self.reader,
            places,
            joined=joined,
            normalise={fieldname: self._normalisers(self.number, self.reader, fieldname)},
        )
        # A common word's positions not yet cached take a while to read.
        if self._past_deadline():
            self.timed_out = True
            return None
        return ends

    def _past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


def _phrase_ends(
    postings: Postings,
    segment: int,
    reader: Any,
    places: Sequence[Place],
    *,
    joined: bool,
    normalise: Mapping[str, Normalise] | None = None,
) -> np.ndarray:
    """Where a phrase ends in a segment, as ``docnum << 32 | position``, ascending: each
    word's positions (cached) matched with the next word's, shifted by the distance, and,
    ``joined`` (``SpacedPhrase``), at the same position, unless an earlier word is the
    same. ``normalise``: by field, how the postings read with a word's positions are kept
    for its score (``Postings.positions``).

    With stop words, its terms are matched first, each at any distance from the term
    before that the stop words between allow: a stop word's positions (the longest lists:
    "the" has some in most articles) are then read only for a segment where the terms may
    make the phrase, and looked up from the first word's positions in those documents
    alone."""
    kept = normalise or {}

    def read(index: int) -> np.ndarray:
        fieldname, raw, _, _ = places[index]
        return postings.positions(segment, reader, fieldname, raw, kept.get(fieldname))

    joins = joinable([(fieldname, raw) for fieldname, raw, _, _ in places])
    # Each word's distances from the word before: its own, or, joined, none too.
    steps = [
        (offset - places[index - 1][2], 0)
        if joined and joins[index]
        else (offset - places[index - 1][2],)
        for index, (_, _, offset, _) in enumerate(places)
        if index
    ]
    starts = read(0)
    if any(is_stop_word for *_, is_stop_word in places):
        ends, distances = starts, {0}
        for index, step in enumerate(steps, start=1):
            distances = {distance + gap for distance in distances for gap in step}
            if not places[index][3] and ends.size:  # a term
                ends, distances = _followed_by_any(ends, read(index), distances), {0}
        starts = _in_documents(starts, np.unique(ends >> 32))
    ends = starts
    for index, step in enumerate(steps, start=1):
        if not ends.size:
            break
        ends = _followed_by_any(ends, read(index), step)
    return ends


def _boosted(scored: Scored, boost: float) -> Scored:
    return scored if boost == 1.0 else Scored(scored.docs, scored.scores * boost)


def _in_documents(keys: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """The keys (ascending ``docnum << 32 | position``) in ``docs`` (ascending document
    numbers, fewer): each looked up in them, where ``np.isin`` would sort both."""
    if not docs.size:
        return _NO_DOCS
    of_keys = keys >> 32
    at = np.minimum(np.searchsorted(docs, of_keys), len(docs) - 1)
    return keys[docs[at] == of_keys]


def _followed_by_any(
    ends: np.ndarray, following: np.ndarray, distances: Iterable[int]
) -> np.ndarray:
    """``_followed`` at any of ``distances``."""
    found = [_followed(ends, following, distance) for distance in distances]
    return found[0] if len(found) == 1 else np.unique(np.concatenate(found))


def _followed(ends: np.ndarray, following: np.ndarray, distance: int) -> np.ndarray:
    """The keys of ``following`` ``distance`` positions after a key of ``ends`` (both
    ascending ``docnum << 32 | position``): where the phrase ends once the next word is
    added. The shorter array is looked up in the longer one."""
    wanted = ends + distance
    small, large = (wanted, following) if len(wanted) <= len(following) else (following, wanted)
    if not large.size:
        return _NO_DOCS
    at = np.minimum(np.searchsorted(large, small), len(large) - 1)
    return small[large[at] == small]


def _intersection(parts: Sequence[Scored]) -> Scored:
    docs, scores = parts[0].docs, parts[0].scores
    for part in parts[1:]:
        docs, mine, theirs = np.intersect1d(
            docs, part.docs, assume_unique=True, return_indices=True
        )
        scores = scores[mine] + part.scores[theirs]
    return Scored(docs, scores)


def union(parts: Sequence[Scored], size: int) -> Scored:
    """The documents of any part, scores summed; ``size``: how many documents their numbers
    range over (a segment's, or the whole index's)."""
    if len(parts) == 1:
        return parts[0]
    if sum(len(part) for part in parts) * DENSE_UNION_SHARE > size:
        # Many matches (a prefix's 64 common words, in three fields): added up in an array
        # over the segment, where sorting them all took seconds on a 370,000-article index.
        matched = np.zeros(size, dtype=bool)
        dense = np.zeros(size)
        for part in parts:
            matched[part.docs] = True
            dense[part.docs] += part.scores
        docs = np.flatnonzero(matched)
        return Scored(docs, dense[docs])
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


def normaliser(
    searcher: Any, postings: Postings, model: ArticleBM25F
) -> Callable[[int, Any, str], Normalise]:
    """``(segment number, its reader, field) -> normalise`` for the version ``searcher``
    (its top searcher) reads: a scored field's weights divided by each document's length
    normalisation (``model``'s, with the field's average length over the version's
    articles); an unscored field's weights as they are, which Whoosh scores them by."""

    def for_field(segment: int, reader: Any, fieldname: str) -> Normalise:
        if not searcher.schema[fieldname].scorable:
            return _as_they_are
        average = postings.field_average(searcher, fieldname)

        def normalise(docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
            lengths = postings.lengths(segment, reader, fieldname)[docs]
            return model.normalised_frequencies(weights, lengths, average)

        return normalise

    return for_field


def _as_they_are(_docs: np.ndarray, weights: np.ndarray) -> np.ndarray:
    return weights


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
    scores, docs = scored.scores, scored.docs
    if limit is not None and 0 < limit < len(scores):
        # Only matches scoring at least the limit-th best score can be in the top: found by
        # a partition in linear time, where sorting all of a common word's 200,000 matches
        # took a third of its search. Ties with that score are all kept, then sorted.
        cut = len(scores) - limit
        chosen = np.flatnonzero(scores >= np.partition(scores, cut)[cut])
        scores, docs = scores[chosen], docs[chosen]
    order = np.lexsort((docs, -scores))
    if limit is not None:
        order = order[:limit]
    return list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))


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
