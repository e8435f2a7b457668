"""One open index per process: a searcher opened once, reused, and replaced on new commits.

Requests take a ``Snapshot`` (a searcher plus caches computed from it) and keep it for their
whole life, so a request that started on one index version finishes on it even if the
indexer commits meanwhile; the next request gets the new version, without a restart.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from whoosh import query as wq
from whoosh.searching import Searcher

from indexer.build import count_kind, open_index
from indexer.schema import ARTICLE, SECTION
from search_api.scoring import RANKING

REFRESH_CHECK_INTERVAL_S = 0.5
# A cached filter holds up to one int per article (about 7 MB for 100,000 articles), so
# the cache is kept to the few filters a site's readers use most.
FILTER_CACHE_ENTRIES = 16
T = TypeVar("T")


class Snapshot:
    """A searcher on one committed index version, with per-version caches."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        reader = searcher.reader()
        self.generation = reader.generation()
        segment_ids = ",".join(sorted(seg.segment_id() for seg in _segments(reader)))
        digest = hashlib.sha1(segment_ids.encode()).hexdigest()[:8]
        self.version = f"{self.generation}-{digest}"
        self._lock = threading.Lock()
        self._filter_cache: dict[tuple, frozenset[int]] = {}
        # Whoosh's readers share file positions: two threads reading one searcher at once
        # can read each other's blocks ("Damaged postings block" under 4 concurrent
        # clients). Requests therefore use the searcher one at a time; the work is CPU-bound
        # under the GIL, so this costs no throughput.
        self.searcher_lock = threading.RLock()

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)`` in the thread pool, holding this snapshot's
        searcher."""

        def locked() -> T:
            with self.searcher_lock:
                return function(*args, **kwargs)

        return await run_in_threadpool(locked)

    @cached_property
    def article_count(self) -> int:
        return count_kind(self.searcher, ARTICLE)

    @cached_property
    def section_count(self) -> int:
        return count_kind(self.searcher, SECTION)

    @cached_property
    def tags_by_doc(self) -> dict[int, list[str]]:
        """Article docnum -> its tags, read once from the tag postings, for tag facets."""
        reader = self.searcher.reader()
        tags: dict[int, list[str]] = defaultdict(list)
        if "tag" not in reader.indexed_field_names():
            return tags
        for raw in reader.lexicon("tag"):
            tag = raw.decode("utf-8")
            for docnum in reader.postings("tag", raw).all_ids():
                tags[docnum].append(tag)
        return tags

    @cached_property
    def facet_columns(self) -> dict[str, list[str]]:
        """Docnum -> source, language, year and translation key, read once per version from
        the sortable columns, so facets are counted and translations grouped over a result
        set without touching stored fields."""
        reader = self.searcher.reader()
        leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        columns = {}
        for name in ("source", "language", "year", "translation"):
            values = [""] * reader.doc_count_all()
            for leaf, offset in leaves:
                if not leaf.has_column(name):
                    continue
                column = leaf.column_reader(name)
                for docnum in range(leaf.doc_count_all()):
                    try:
                        values[offset + docnum] = _as_text(column[docnum])
                    except IndexError:
                        # A segment's column ends at its last document that has a value.
                        break
            columns[name] = values
        return columns

    @cached_property
    def languages(self) -> tuple[str, ...]:
        """The languages of the indexed articles, most common first: what a query with no
        ``lang`` is analysed in."""
        reader = self.searcher.reader()
        counts = Counter(
            language
            for docnum, language in enumerate(self.facet_columns["language"])
            if language and not reader.is_deleted(docnum)
        )
        return tuple(language for language, _ in counts.most_common()) or ("en",)

    @cached_property
    def largest_translation_group(self) -> int:
        """The most articles sharing one translation key (1 when there are none)."""
        counts = Counter(key for key in self.facet_columns["translation"] if key)
        return max(counts.values(), default=1)

    def filter_docs(self, key: tuple, filter_query: wq.Query) -> frozenset[int]:
        """Documents matching a filter (dates, tags, source, language), cached per version."""
        with self._lock:
            cached = self._filter_cache.get(key)
        if cached is not None:
            return cached
        docs = frozenset(self.searcher.docs_for_query(filter_query))
        with self._lock:
            if len(self._filter_cache) >= FILTER_CACHE_ENTRIES:
                self._filter_cache.clear()
            self._filter_cache[key] = docs
        return docs


def _as_text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value or "")


def _segments(reader) -> list:
    readers = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    return [leaf.segment() for leaf, _ in readers if hasattr(leaf, "segment")]


class Engine:
    """Owns the index and hands out the current snapshot."""

    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._index = open_index(index_dir)
        self._snapshot = Snapshot(self._index.searcher(weighting=RANKING))
        self._checked_at = time.monotonic()
        self._lock = threading.Lock()

    def snapshot(self, refresh: bool = False) -> Snapshot:
        """The current snapshot; ``refresh`` checks for a new version now (after a write)."""
        now = time.monotonic()
        if refresh:
            self._checked_at = now - REFRESH_CHECK_INTERVAL_S
        if now - self._checked_at >= REFRESH_CHECK_INTERVAL_S:
            with self._lock:
                if now - self._checked_at >= REFRESH_CHECK_INTERVAL_S:
                    self._checked_at = now
                    if self._index.latest_generation() != self._snapshot.generation:
                        # The old searcher is not closed: requests in flight still use it,
                        # and it is released when the last of them drops it.
                        self._snapshot = Snapshot(self._index.searcher(weighting=RANKING))
        return self._snapshot
