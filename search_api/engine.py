"""One open index per process: a searcher opened once, reused, and replaced on new commits.

Requests take a ``Snapshot`` (a searcher plus caches computed from it) and hold it for their
whole life, so a request that started on one index version finishes on it even if the
indexer commits meanwhile; the next request gets the new version, without a restart. The
engine counts who holds each snapshot: a replaced snapshot's searcher (its open files and
memory maps) is closed when the last request holding it lets go.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from anyio import CancelScope, CapacityLimiter, move_on_after
from anyio.lowlevel import RunVar
from whoosh import query as wq
from whoosh.columns import NumericColumn, VarBytesColumn
from whoosh.index import FileIndex
from whoosh.searching import Searcher
from whoosh.util.times import datetime_to_long

from indexer.analysis import tag_term
from indexer.build import damaged_index, index_unavailable, is_index_damage
from indexer.errors import IndexDamaged, IndexUnavailable, ServerBusy
from indexer.schema import ARTICLE, SECTION, is_current
from search_api.index_files import PinnedFiles, index_text, latest_toc, pin_latest
from search_api.matching import PRELOADED_POSTINGS_BYTES, Postings, evaluate, normaliser
from search_api.query import FIELD_BOOSTS
from search_api.scoring import RANKING
from search_api.spelling import Vocabulary

# The fields a plain word searches, the body first: its document frequencies choose the
# words whose posting lists are read before the first request.
PRELOADED_FIELDS = ("body", *(name for name in FIELD_BOOSTS if name != "body"))

_NO_DATE = 2**64 - 1
_NO_DOCS = np.empty(0, dtype=np.intp)
# Searches on one snapshot run one at a time (``SearcherTurns``), so a thread beyond the
# one searching only waits. Two: one searching, one for an older version's request
# finishing beside it (each snapshot has its own turns).
#
# They are the engine's own threads, alive as long as it is, because glibc gives each thread
# a malloc arena (up to 8 per core) and keeps what a search frees there, up to a few MB per
# arena, for that arena's next allocations. In anyio's shared pool a search ran on whichever
# thread was idle, and the pool starts a thread whenever none is (sync dependencies took
# threads too) and ends those idle for 10 s: under load, searches moved from thread to
# thread and arena to arena, and the heap grew as each arena took its turn (32 clients for
# 5 minutes: +36 MB, all of it freed memory kept by 15 arenas; 78 threads started, searches
# ran on 27 of them). On two threads of their own, the same two arenas are reused.
SEARCH_THREADS = 2
# Seconds a request's work held a searcher (``Snapshot.run``, an export's chunks), for the
# rate limit to charge it by (``search_api.ratelimit``): neither its wait for a thread nor its
# client's download, which take no search thread's time.
searcher_seconds: ContextVar[list[float] | None] = ContextVar("searcher_seconds", default=None)
_search_threads: RunVar[CapacityLimiter] = RunVar("advosearch_search_threads")
T = TypeVar("T")
logger = logging.getLogger("advosearch")
# What a request is told while the server has no version to answer from; why goes to the
# operator's log (``Engine._report``), not to every reader.
NO_VERSION = (
    "the archive cannot be searched right now: its index is missing or cannot be read "
    "(the server's log says why); try again later"
)
# What a request is told when a file of the version it reads turns out damaged.
DAMAGED = (
    "the archive cannot be searched right now: a file of its index is damaged "
    "(the server's log says more); try again later"
)


# How long background work (an export's next chunk) lets searches go first: then it takes
# the next turn, so that a steady stream of searches cannot hold an export up for ever.
BACKGROUND_PATIENCE_S = 0.25


class SearcherTurns:
    """Who reads a snapshot's searcher: one thread at a time, and searches before the turns
    of background work. An export reads its articles a chunk at a turn, for seconds or
    minutes; with a plain lock, a reader's search waited behind one chunk after another
    (one export of 'a* OR b*' on 37,000 articles: searches' median 149 ms, from 15 ms).
    Background work takes a turn when no search is waiting, or once it has let searches go
    first for ``BACKGROUND_PATIENCE_S``: a search waits for a chunk or two at most, and an
    export goes on however busy the searches are. Not reentrant: a thread holding a turn
    must not ask for another."""

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._taken = False
        self._searches_waiting = 0
        self._overdue = 0  # background work that has let searches go first long enough

    def acquire(self, timeout: float | None = None, *, background: bool = False) -> bool:
        """Waits for the searcher (a search at most ``timeout`` seconds) and takes it: True
        when it was taken. ``background``: after the searches waiting, as said above."""
        with self._changed:
            if background:
                self._wait_as_background()
                self._taken = True
                return True
            self._searches_waiting += 1
            try:
                free = self._changed.wait_for(
                    lambda: not self._taken and not self._overdue, timeout
                )
            finally:
                self._searches_waiting -= 1
            if free:
                self._taken = True
            return free

    def _wait_as_background(self) -> None:
        overdue_at = time.monotonic() + BACKGROUND_PATIENCE_S
        overdue = False
        try:
            while self._taken or (self._searches_waiting and not overdue):
                if not overdue and time.monotonic() >= overdue_at:
                    overdue = True
                    self._overdue += 1  # searches now wait for it
                    continue
                self._changed.wait(None if overdue else overdue_at - time.monotonic())
        finally:
            if overdue:
                self._overdue -= 1

    def release(self) -> None:
        with self._changed:
            self._taken = False
            self._changed.notify_all()


class Snapshot:
    """A searcher on one committed index version, with per-version caches."""

    def __init__(
        self,
        searcher: Searcher,
        files: PinnedFiles,
        threads: ThreadPoolExecutor,
        max_wait_s: float | None = None,
    ) -> None:
        """``searcher`` reads ``files`` (this version's, held open until ``close``);
        ``max_wait_s``: how long ``run`` waits to start (None: as long as it takes)."""
        self.searcher = searcher
        self.files = files
        self._threads = threads
        self._max_wait_s = max_wait_s
        self.toc = files.toc
        self.generation = self.toc.generation
        # The version's name, which cursors carry: the same for the same segments, so a copy
        # of the index (a restore) keeps it.
        segment_ids = ",".join(sorted(seg.segment_id() for seg in _segments(searcher.reader())))
        digest = hashlib.sha1(segment_ids.encode()).hexdigest()[:8]
        self.version = f"{self.generation}-{digest}"
        self.postings = Postings()
        # Whoosh's readers share file positions: two threads reading one searcher at once
        # can read each other's blocks ("Damaged postings block" under 4 concurrent
        # clients). Requests therefore use the searcher one at a time; the work is CPU-bound
        # under the GIL, so this costs no throughput.
        self.turns = SearcherTurns()
        # Kept by the Engine, under its lock: how many requests hold this snapshot, and
        # whether a newer one has replaced it (then it is closed once nobody holds it).
        self.users = 0
        self.retired = False
        self._damage_reported = False

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` on one of the engine's ``SEARCH_THREADS`` threads,
        holding this snapshot's searcher; ``ServerBusy`` when neither a thread nor then the
        searcher is free within the snapshot's ``max_wait_s``.

        A search keeps to its time budget once it runs; without a bound on the wait before
        it, requests beyond what the threads can answer queued for ever longer (16 slow
        ones at once kept every request of a worker, /health included, waiting 75 s)."""

        deadline = None if self._max_wait_s is None else time.monotonic() + self._max_wait_s
        spent = searcher_seconds.get()  # the executor's threads do not see this context

        def locked() -> T:
            # The thread's wait for the searcher, behind the search on the other thread,
            # counts as waiting too.
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not self.turns.acquire(timeout):
                raise self._busy()
            started = time.monotonic()
            try:
                return function(*args, **kwargs)
            except Exception as error:
                if not is_index_damage(error):
                    raise
                # Bytes of this version that cannot be decoded: damaged on disk since they
                # were written (the version opened, and answered what it read before). What
                # needs them cannot be answered until the index is built again or restored.
                self._report_damage(error)
                raise IndexDamaged(DAMAGED) from error
            finally:
                _count_searcher_time(spent, started)
                self.turns.release()

        return await self._on_search_thread(locked)

    async def run_without_searcher(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on one of the engine's search threads, as ``run`` does, but
        leaving the searcher to the searches: for work that needs no index and may take a
        while once per worker (loading the language detector's model)."""
        return await self._on_search_thread(lambda: function(*args))

    async def _on_search_thread(self, work: Callable[[], T]) -> T:
        # As anyio's to_thread.run_sync: waiting for a thread can be cancelled, but a search
        # that has started is waited for, so its request does not release the snapshot (and
        # maybe close a replaced searcher) while the search still reads it. The limiter keeps
        # waiting requests in the event loop, not queued in the executor.
        limiter = _search_thread_limiter()
        with move_on_after(self._max_wait_s) as waiting:
            await limiter.acquire()
        if waiting.cancelled_caught:
            raise self._busy()
        try:
            with CancelScope(shield=True):
                return await asyncio.wrap_future(self._threads.submit(work))
        finally:
            limiter.release()

    @contextmanager
    def holding_searcher(self) -> Iterator[None]:
        """The searcher, held by the current thread for a turn of a long request's work (an
        export's chunk), taken only when no search is waiting for it; its time counted as
        the request's (``searcher_seconds``)."""
        self.turns.acquire(background=True)
        started = time.monotonic()
        try:
            yield
        finally:
            _count_searcher_time(searcher_seconds.get(), started)
            self.turns.release()

    @property
    def damaged(self) -> bool:
        """Whether a request has found a file of this version damaged."""
        return self._damage_reported

    def _report_damage(self, error: Exception) -> None:
        """Log, once for this version, that its files look damaged, and what to do."""
        if not self._damage_reported:
            self._damage_reported = True
            problem = damaged_index(Path(self.files.folder), error)
            logger.error("index version %s: %s", self.version, problem)

    def _busy(self) -> ServerBusy:
        return ServerBusy(
            f"the server is busy: no search could start within {self._max_wait_s:g} s; "
            "try again in a moment"
        )

    def warm(self) -> None:
        """Read what every search of this version needs (a second or more for 370,000
        articles), and the commonest words' posting lists, so that the first requests do
        not wait for them."""
        for cached in (
            "_sections_by_article",
            "facet_codes",
            "_translation_groups",
            "tags_by_doc",
            "sources",
            "date_keys",
            "vocabulary",
            "author_vocabulary",
        ):
            getattr(self, cached)
        self.postings.preload(
            self.searcher,
            PRELOADED_FIELDS,
            PRELOADED_POSTINGS_BYTES,
            normaliser(self.searcher, self.postings, RANKING),
        )

    def counts_if_read(self) -> tuple[int, int] | None:
        """``(article_count, section_count)`` when a request has read them: then they are
        known without the searcher, so without waiting for a search thread."""
        if "_sections_by_article" not in vars(self):  # a cached_property not read yet
            return None
        return self.article_count, self.section_count

    def close(self) -> None:
        self.searcher.close()
        # Whoosh's segment readers close the files too; a version without segments has none.
        self.files.close()

    @property
    def article_count(self) -> int:
        return len(self.article_docs)

    @property
    def section_count(self) -> int:
        return len(self._sections_by_article[0])

    @cached_property
    def article_docs(self) -> np.ndarray:
        """The live article documents, in order (see ``sections_of``)."""
        matched, _ = evaluate(self.searcher, wq.Term("kind", ARTICLE), self.postings, RANKING)
        return matched.docs

    @cached_property
    def _sections_by_article(self) -> tuple[np.ndarray, np.ndarray]:
        """The live section documents in order, and where each live article's start among
        them (one more entry: the end)."""
        matched, _ = evaluate(self.searcher, wq.Term("kind", SECTION), self.postings, RANKING)
        starts = np.searchsorted(matched.docs, self.article_docs)
        return matched.docs, np.append(starts, len(matched.docs))

    def stored_fields(self, docnum: int) -> dict[str, Any]:
        """A document's stored fields, as ``searcher.stored_fields`` gives them, read from
        its segment's stored column. Whoosh's reader then also drops the fields its schema
        no longer has, which cannot happen here (an index of another schema is rebuilt, see
        ``indexer.schema.is_current``), and that check was a large part of a read."""
        offsets, readers = self._stored_readers
        segment = bisect_right(offsets, docnum) - 1
        return readers[segment](docnum - offsets[segment])

    @cached_property
    def _stored_readers(self) -> tuple[list[int], list[Callable[[int], dict[str, Any]]]]:
        leaves = self.searcher.reader().leaf_readers()
        return [offset for _, offset in leaves], [leaf._perdoc.stored_fields for leaf, _ in leaves]

    def sections_of(self, article_docnum: int) -> list[dict[str, Any]]:
        """The stored fields of a live article's sections, in order.

        ``indexer.build`` writes an article's sections right after it, in order, and Whoosh
        keeps a segment's documents in order when it merges segments, so they are the live
        sections between the article and the next live article. Deleted documents may lie
        between (a re-indexed file's stay until their segment is merged): they are not
        among the live sections, so they cost nothing. Looking sections up by article id
        instead cost a term look-up in every segment per article.
        """
        sections, starts = self._sections_by_article
        article = int(np.searchsorted(self.article_docs, article_docnum))
        return [
            self.stored_fields(docnum)
            for docnum in sections[starts[article] : starts[article + 1]].tolist()
        ]

    @cached_property
    def tags_by_doc(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """Each docnum's tag codes, read once from the tag postings, and the tags by code:
        the codes of docnum ``d`` are ``codes[starts[d]:starts[d + 1]]`` (``starts, codes,
        tags``). Tag facets are counted over a result set from its documents' codes alone:
        flagging the result set's documents among every (document, tag) pair took 1.4 ms a
        search for 770,000 documents, most of a search that found a few thousand.

        A tag is indexed folded ("libertad de expresion"); it is shown as the first article
        that has it writes it ("Libertad de Expresión")."""
        reader = self.searcher.reader()
        docs: list[np.ndarray] = []
        codes: list[np.ndarray] = []
        tags: list[str] = []
        if "tag" in reader.indexed_field_names():
            for raw in reader.lexicon("tag"):
                tagged = np.fromiter(reader.postings("tag", raw).all_ids(), dtype=np.int64)
                docs.append(tagged)
                codes.append(np.full(len(tagged), len(tags), dtype=np.int32))
                tags.append(self._tag_as_written(index_text(raw, "tags"), tagged))
        starts = np.zeros(reader.doc_count_all() + 1, dtype=np.int64)
        if not tags:
            return starts, np.zeros(0, dtype=np.int32), tags
        tagged_docs = np.concatenate(docs)
        np.cumsum(np.bincount(tagged_docs, minlength=len(starts) - 1), out=starts[1:])
        return starts, np.concatenate(codes)[np.argsort(tagged_docs, kind="stable")], tags

    def _tag_as_written(self, term: str, tagged: np.ndarray) -> str:
        if not len(tagged):
            return term
        written = self.stored_fields(int(tagged[0])).get("meta", {}).get("tags", [])
        return next((tag for tag in written if tag_term(tag) == term), term)

    @cached_property
    def facet_codes(self) -> dict[str, tuple[np.ndarray, list[str]]]:
        """Source, language, year and translation key of every docnum, read once per version
        from the sortable columns: codes per docnum (0: no value) and the values by code, in
        alphabetical order. Facets are then counted with one ``bincount``, and translations
        grouped, without touching stored fields; kept as codes, not strings, because a
        string per document and column took 180 MB for 370,000 articles."""
        names = ("source", "language", "year", "translation")
        return {name: _column_codes(self.searcher.reader(), name) for name in names}

    @cached_property
    def vocabulary(self) -> Vocabulary:
        """The words "did you mean" suggests, in memory (``search_api.spelling``)."""
        return Vocabulary(self.searcher.reader())

    @cached_property
    def author_vocabulary(self) -> Vocabulary:
        """The words of authors' names, which "did you mean" suggests for ``author:``."""
        return Vocabulary(self.searcher.reader(), fields=("author",))

    @cached_property
    def date_precisions(self) -> tuple[np.ndarray, list[str]]:
        """How precise each docnum's date is, coded as ``facet_codes`` are: "year" or
        "month" for a partial date, 0 ("") for a whole one or none. Read when counts over
        time first need it."""
        return _column_codes(self.searcher.reader(), "date_precision")

    @cached_property
    def date_keys(self) -> np.ndarray:
        """Docnum -> its date as Whoosh sorts it; -1 when it has none (sorted after every
        date in "newest first") or is deleted."""
        reader = self.searcher.reader()
        keys = np.full(reader.doc_count_all(), -1, dtype=np.int64)
        for leaf, offset in reader.leaf_readers():
            if not leaf.has_column("date"):
                continue
            raw = _numbers_of(leaf.column_reader("date", translate=False), leaf.doc_count_all())
            # Whoosh stores "no date" as the largest value the column holds.
            dated = raw < _NO_DATE
            if leaf.has_deletions():
                dated[list(leaf.deleted_docs_set)] = False
            segment_keys = keys[offset : offset + len(raw)]
            segment_keys[dated] = raw[dated].astype(np.int64)
        return keys

    @cached_property
    def language_sizes(self) -> np.ndarray:
        """How many live articles each language has, by its code in ``facet_codes``."""
        codes, values = self.facet_codes["language"]
        live = codes.copy()
        live[_deleted_docs(self.searcher.reader())] = 0
        return np.bincount(live, minlength=len(values))

    @cached_property
    def sources(self) -> frozenset[str]:
        """The sources of the indexed articles."""
        codes, values = self.facet_codes["source"]
        counts = np.bincount(codes[self.article_docs], minlength=len(values))
        return frozenset(values[code] for code in np.flatnonzero(counts) if code)

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """The languages of the indexed articles, most common first: what a query with no
        ``lang`` is analysed in."""
        counts = self.language_sizes
        values = self.facet_codes["language"][1]
        present = [code for code in np.argsort(-counts, kind="stable") if code and counts[code]]
        return tuple(values[code] for code in present) or ("en",)

    @cached_property
    def largest_translation_group(self) -> int:
        """The most live articles sharing one translation key (1 when none shares one)."""
        return max((len(group) for group in self._translation_groups.values()), default=1)

    @cached_property
    def _translation_groups(self) -> dict[int, np.ndarray]:
        """The live articles of each translation key two or more of them share, by its code
        in ``facet_codes``: looking a result's key up in the postings of every segment took
        longer than the rest of its search, for keys that almost always name one article."""
        codes = self.facet_codes["translation"][0].copy()
        codes[_deleted_docs(self.searcher.reader())] = 0
        per_key = np.bincount(codes, minlength=1)
        per_key[0] = 0
        shared = np.flatnonzero(per_key[codes] > 1)
        if not len(shared):
            return {}
        shared = shared[np.argsort(codes[shared], kind="stable")]  # by key, then docnum
        keys, starts = np.unique(codes[shared], return_index=True)
        return dict(zip(keys.tolist(), np.split(shared, starts[1:]), strict=True))

    def translation_group(self, docnum: int) -> np.ndarray:
        """The live articles sharing ``docnum``'s translation key, itself included, in
        docnum order; empty when no other article shares it."""
        code = int(self.facet_codes["translation"][0][docnum])
        return self._translation_groups.get(code, _NO_DOCS)

    def dated_between(self, start: datetime | None, end: datetime | None) -> np.ndarray:
        """Documents dated from ``start`` to ``end`` (both included; None: no limit)."""
        keys = self.date_keys
        low = 0 if start is None else datetime_to_long(start)
        high = keys.max(initial=0) if end is None else datetime_to_long(end)
        return np.flatnonzero((keys >= low) & (keys <= high))


def _count_searcher_time(spent: list[float] | None, started: float) -> None:
    if spent is not None:
        spent.append(time.monotonic() - started)


def _search_thread_limiter() -> CapacityLimiter:
    """The running event loop's limit on search threads (one per loop, like anyio's own
    default limiter: a limiter belongs to the loop it was made in)."""
    try:
        return _search_threads.get()
    except LookupError:
        limiter = CapacityLimiter(SEARCH_THREADS)
        _search_threads.set(limiter)
        return limiter


def _deleted_docs(reader: Any) -> np.ndarray:
    leaves = reader.leaf_readers()
    deleted = [
        offset + docnum
        for leaf, offset in leaves
        if leaf.has_deletions()
        for docnum in leaf.deleted_docs_set
    ]
    return np.array(deleted, dtype=np.int64)


def _column_codes(reader: Any, name: str) -> tuple[np.ndarray, list[str]]:
    """A sortable column's value of every docnum, as codes (0: no value) and the values by
    code, in alphabetical order."""
    codes = np.zeros(reader.doc_count_all(), dtype=np.int32)
    code_of: dict[bytes, int] = {b"": 0}
    for leaf, offset in reader.leaf_readers():
        if not leaf.has_column(name):
            continue
        values = _bytes_of(leaf.column_reader(name, translate=False), leaf.doc_count_all())
        codes[offset : offset + len(values)] = [
            code_of.setdefault(value, len(code_of)) for value in values
        ]
    distinct = sorted(code_of)  # UTF-8 sorts as the text it encodes; b"" (no value) first
    renumbered = np.empty(len(distinct), dtype=np.int32)
    renumbered[[code_of[value] for value in distinct]] = np.arange(len(distinct))
    return renumbered[codes], [index_text(value, f"{name} column") for value in distinct]


# Columns are read whole, in one read each, from their layout in the pinned whoosh3 (its
# on-disk format, which it keeps): read a document at a time, the columns of 370,000
# articles took 3.4 s, on the first request of every index version. Any other kind of
# column is read a document at a time.


def _bytes_of(column: Any, count: int) -> list[bytes]:
    """The value of each of a segment's ``count`` documents in a bytes column (b"": none)."""
    if isinstance(column, VarBytesColumn.Reader):
        lengths, offsets = column._lengths, column._offsets
        end = offsets[-1] + lengths[-1] if len(lengths) else 0
        data = column._dbfile.get(column._basepos, end)
        values = [
            data[start : start + length] for start, length in zip(offsets, lengths, strict=True)
        ]
    else:
        values = []
        for docnum in range(count):
            try:
                values.append(column[docnum] or b"")
            except IndexError:
                break  # a segment's column may end at its last document with a value
    return values + [b""] * (count - len(values))


def _numbers_of(column: Any, count: int) -> np.ndarray:
    """The value of each of a segment's ``count`` documents in a numeric column."""
    if isinstance(column, NumericColumn.Reader):
        data = column._dbfile.get(column._basepos, column._count * column._fixedlen)
        stored = np.frombuffer(data, dtype=">" + column._typecode).astype(np.uint64)
        values = np.full(count, column._default, dtype=np.uint64)
        values[: len(stored)] = stored
        return values
    return np.array([column[docnum] for docnum in range(count)], dtype=np.uint64)


def _segments(reader) -> list:
    # An index committed without segments is read by an EmptyReader, which has none.
    segments = (leaf.segment() for leaf, _ in reader.leaf_readers())
    return [segment for segment in segments if segment is not None]


class Engine:
    """Owns the index and hands out the current snapshot, counting who holds it.

    ``acquire`` hands out the current snapshot and ``release`` gives it back (or ``with
    engine.snapshot() as snapshot:`` for a block). A snapshot that a newer version has
    replaced is closed when its last holder releases it; ``close`` retires the current one
    the same way, at shutdown; the search threads end when the last snapshot is closed.

    A version that cannot be opened (the folder moved away, files the server may not read)
    leaves the current one in service, and the log says so once; with no version open yet,
    requests are refused (``IndexUnavailable``) until one can be.
    """

    def __init__(self, index_dir: Path, max_wait_s: float | None = None) -> None:
        """``max_wait_s``: how long a request waits to start searching (``Snapshot.run``).
        The first ``acquire`` opens the index."""
        self.index_dir = index_dir
        self._max_wait_s = max_wait_s
        # Started on the first search, not here.
        self._threads = ThreadPoolExecutor(SEARCH_THREADS, thread_name_prefix="advosearch-search")
        # Guards the current snapshot, every snapshot's count of users, the count of open
        # snapshots, the problem last logged and the closing.
        self._lock = threading.Lock()
        self._open_snapshots = 0
        self._current: Snapshot | None = None
        # Why the latest version could not be opened, as the log said it: said again only
        # when it changes, not for every request.
        self._problem: str | None = None
        self._closed = False

    def acquire(self) -> Snapshot:
        """The latest committed version's snapshot, held until ``release``; the current one
        while the latest cannot be opened; ``IndexUnavailable`` when no version can be.

        Every request looks for a newer version (a listing of the index folder and a
        ``stat`` of its table of contents, cheap): each worker process has an engine of its
        own, and a request must not see an older version than one it, or the reader's
        previous request on another worker, was already answered from (a cursor of the new
        version refused, a page going back)."""
        with self._lock:
            if self._closed:
                raise RuntimeError(f"the engine of {self.index_dir} is closed")
            try:
                current = self._latest()
            except IndexUnavailable as error:
                self._report(error)
                if self._current is None:
                    raise IndexUnavailable(NO_VERSION) from error
                current = self._current
            else:
                self._report(None)
            current.users += 1
            return current

    def release(self, snapshot: Snapshot) -> None:
        """Give back a snapshot from ``acquire``; the last holder of a replaced snapshot
        closes it."""
        with self._lock:
            snapshot.users -= 1
            if snapshot.retired and snapshot.users == 0:
                self._close(snapshot)

    @contextmanager
    def snapshot(self) -> Iterator[Snapshot]:
        """The current snapshot, held for the block (see ``acquire``)."""
        snapshot = self.acquire()
        try:
            yield snapshot
        finally:
            self.release(snapshot)

    def close(self) -> None:
        """Stop handing out snapshots and close the current one once nobody holds it."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            # With no version ever opened, no search ran: the threads never started.
            if self._current is not None:
                self._retire(self._current)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc_info: object) -> None:
        self.close()

    def _latest(self) -> Snapshot:
        """The latest version's snapshot, made current unless it is already (its table of
        contents is the current snapshot's). Called with the lock held."""
        if self._current is not None and latest_toc(self.index_dir) == self._current.toc:
            return self._current
        # Opened first: if opening fails, the current snapshot stays in service.
        files = pin_latest(self.index_dir)
        try:
            searcher = FileIndex(files).searcher(weighting=RANKING)
        except Exception as error:  # a segment's files unreadable, or making no sense
            files.close()
            raise index_unavailable(self.index_dir, error) from error
        except BaseException:
            files.close()
            raise
        newer = Snapshot(searcher, files, self._threads, self._max_wait_s)
        if not is_current(searcher.schema):
            # An upgrade's indexer re-indexed the archive while this server ran the code
            # before it: its queries are read as that code reads them, not as the index is.
            logger.warning(
                "index version %s was written by another version of advosearch, whose text "
                "analysis differs from this server's, and searches may miss words: restart "
                "the server after an upgrade, or run `advosearch index` over an older index",
                newer.version,
            )
        self._open_snapshots += 1
        if self._current is not None:
            self._retire(self._current)
        self._current = newer
        return newer

    def _report(self, problem: IndexUnavailable | None) -> None:
        """Log why the latest version cannot be opened (``None``: it is open), once for each
        change. Called with the lock held."""
        said = None if problem is None else str(problem)
        if said == self._problem:
            return
        self._problem = said
        serving = self._current
        if serving is None:
            logger.warning(
                "the index cannot be opened: %s; requests are answered 503 until it can", said
            )
        elif problem is None:
            logger.warning(
                "the index in %s can be opened again: serving version %s",
                self.index_dir,
                serving.version,
            )
        else:
            logger.warning(
                "the index cannot be opened: %s; still serving version %s", said, serving.version
            )

    def _retire(self, snapshot: Snapshot) -> None:
        """No new request gets ``snapshot``; it is closed now if nobody holds it, else by
        ``release``. Called with the lock held."""
        snapshot.retired = True
        if snapshot.users == 0:
            self._close(snapshot)

    def _close(self, snapshot: Snapshot) -> None:
        """Close a retired snapshot nobody holds; after the engine's last one, nothing can
        search any more, so its threads end. Called with the lock held."""
        snapshot.close()
        self._open_snapshots -= 1
        if self._closed and self._open_snapshots == 0:
            self._threads.shutdown(wait=False)
