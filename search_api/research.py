"""Researchers' tools over whole result sets: deep-paging cursors, counts over time, export,
batch queries.

A *result set* is every article a request matches, in /search's order (score, ties by
document number; or date, newest first, ties by the larger document number first), from
``run_query`` — the one query path. A cursor's result set is /search's, fallback to partial
matches included, so its pages follow on from /search's numbered ones; counts and exports
take the exact one (articles with every word, no fallback). Each is ranked once per (index
version, query, filters, sort, exact or not) and kept in a small LRU per snapshot as compact
arrays of document numbers and scores, so the next cursor page, or a count after an export
of the same query, costs nothing more than reading the articles it shows.

Cursors: opaque base64url of ``{"v": index version, "k": digest of query+filters+sort,
"p": position, "s": page size}``. A page from a cursor slices the cached result set (O(page
size), however deep), so walking it has no repeats or gaps. A cursor from another index
version is refused with 409 ``index_changed`` (positions of the old version do not hold in
the new one): start again from the first page. A cursor sent with a different query or
filters is a 400, and so is one sent with another page size: a walk keeps the bounds of its
pages, so a page's number says where it starts (page 2 in pages of 5 starts at result 6).
"""

from __future__ import annotations

import base64
import binascii
import csv
import hashlib
import io
import itertools
import json
import math
import threading
import time
import weakref
from array import array
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

import numpy as np

from indexer.errors import IndexChanged, InvalidRequest
from search_api.engine import Snapshot
from search_api.query import ALL_ARTICLES, ParsedQuery, QueryBuilder
from search_api.search import (
    MAX_PAGE_SIZE,
    MatchedSections,
    SearchRequest,
    allowed_docs,
    article_result,
    attach_sections,
    following,
    page_results,
    result_facets,
    run_query,
    sections_out_of_time,
)

RESULT_CACHE_ENTRIES = 32
RESULT_CACHE_DOCS = 2_000_000  # document numbers kept across the cached result sets
MAX_CURSOR_LENGTH = 512
EXPORT_CHUNK = 20  # articles read (and their sections matched) in one turn at the searcher
EXPORT_MARKER_ARTICLES = 1_000  # articles an export's section markers serve (a multiple of it)
INTERVALS = ("day", "week", "month", "year")
MAX_INTERVALS = 10_000
MAX_BATCH_QUERIES = 100
MAX_BATCH_LIMIT = 100
# A whole batch gets this many search budgets: enough for a hundred ordinary queries, while
# a batch of slow ones cannot hold a worker for a hundred budgets.
BATCH_BUDGETS = 5
_UNDATED = 0  # in the per-snapshot day table: an article without a date
_NOT_ARTICLE = -1
_MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class ResultSet:
    """Every match of one request, in order, with what /search reports about them."""

    docnums: array  # article document numbers, best (or newest) first
    scores: array | None  # relevance scores; None when sorted by date
    facets: dict[str, list[dict[str, Any]]]
    parsed: ParsedQuery
    builder: QueryBuilder
    partial: bool
    notes: tuple[str, ...]

    @property
    def total(self) -> int:
        return len(self.docnums)


class _SnapshotCache:
    """Per index version: result sets (LRU), each article's day, interval denominators."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.results: OrderedDict[tuple, ResultSet] = OrderedDict()
        self.days: array | None = None
        self.denominators: dict[tuple, tuple[Counter[int], int]] = {}


_caches: weakref.WeakKeyDictionary[Snapshot, _SnapshotCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _cache(snapshot: Snapshot) -> _SnapshotCache:
    """The snapshot's cache; it goes when the snapshot does (a new version starts empty)."""
    with _caches_lock:
        cache = _caches.get(snapshot)
        if cache is None:
            cache = _caches[snapshot] = _SnapshotCache()
        return cache


def _filter_key(request: SearchRequest) -> tuple:
    return (
        request.date_from,
        request.date_to,
        tuple(sorted(request.tags)),
        request.source,
        request.language,
    )


def request_key(request: SearchRequest) -> tuple:
    """What decides a result set and its order (not the page)."""
    return (request.q, *_filter_key(request), request.sort, request.group_translations)


def result_set(snapshot: Snapshot, request: SearchRequest, *, exact: bool = False) -> ResultSet:
    """Every article the request matches, in order; ``exact``: see ``run_query``. A whole
    result set has no time budget: it must be complete."""
    key = (*request_key(request), exact)
    cache = _cache(snapshot)
    with cache.lock:
        cached = cache.results.get(key)
        if cached is not None:
            cache.results.move_to_end(key)
            return cached
    # run_query sets no deadline for all_matches: the budget it takes is not used.
    matches = run_query(snapshot, request, math.inf, all_matches=True, exact=exact)
    top = matches.ranked
    by_relevance = request.sort != "date"
    found = ResultSet(
        docnums=array("q", (docnum for _, docnum in top)),
        scores=array("d", (float(score) for score, _ in top)) if by_relevance else None,
        facets=result_facets(snapshot, matches.docs),
        parsed=matches.parsed,
        builder=matches.builder,
        partial=matches.partial,
        notes=tuple(matches.notes),
    )
    with cache.lock:
        cache.results[key] = found
        held = sum(r.total for r in cache.results.values())
        while len(cache.results) > 1 and (
            len(cache.results) > RESULT_CACHE_ENTRIES or held > RESULT_CACHE_DOCS
        ):
            _, dropped = cache.results.popitem(last=False)
            held -= dropped.total
    return found


# Cursors


def _key_digest(request: SearchRequest) -> str:
    # Dates as text, the rest as JSON: no filter (None) is not a filter of the name "None".
    text = json.dumps(request_key(request), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encode_cursor(snapshot: Snapshot, request: SearchRequest, position: int) -> str:
    payload = {
        "v": snapshot.version,
        "k": _key_digest(request),
        "p": position,
        "s": request.page_size,
    }
    raw = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def next_cursor(
    snapshot: Snapshot, request: SearchRequest, position: int, total: int
) -> str | None:
    """The cursor of the page starting at ``position``; None when nothing is left."""
    return encode_cursor(snapshot, request, position) if position < total else None


def with_next_cursor(
    snapshot: Snapshot, request: SearchRequest, response: dict[str, Any]
) -> dict[str, Any]:
    """A numbered page's /search response with the cursor of the page after it; none when
    the search ran out of time, as the pages after the complete result set's first would
    not follow on from this incomplete one."""
    end = request.page * request.page_size
    if response["timed_out"]:
        response["next_cursor"] = None
    else:
        response["next_cursor"] = next_cursor(snapshot, request, end, response["total"])
    return response


def decode_cursor(snapshot: Snapshot, request: SearchRequest, cursor: str) -> int:
    """The position a cursor points at, checked against this index version and request."""
    invalid = InvalidRequest(
        "cursor is not one this server issued; pass the next_cursor of a previous response"
    )
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        version, digest = payload["v"], payload["k"]
        position, page_size = payload["p"], payload["s"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise invalid from None
    if not (
        isinstance(version, str)
        and isinstance(digest, str)
        and all(isinstance(n, int) and not isinstance(n, bool) for n in (position, page_size))
        # Issued cursors start pages: of a page size a request may ask for, at a multiple of it.
        and 1 <= page_size <= MAX_PAGE_SIZE
        and position >= 0
        and position % page_size == 0
    ):
        raise invalid
    if version != snapshot.version:
        raise IndexChanged(
            f"the index changed since this cursor was issued (version {version}, now "
            f"{snapshot.version}); start again from the first page"
        )
    if digest != _key_digest(request):
        raise InvalidRequest(
            "this cursor belongs to another query; send it with the same q, filters and sort "
            "as the request that returned it"
        )
    if page_size != request.page_size:
        raise InvalidRequest(
            f"this cursor continues pages of {page_size} results: send it with "
            f"page_size={page_size}, or start again from the first page with "
            f"page_size={request.page_size}"
        )
    return position


def cursor_page(
    snapshot: Snapshot,
    request: SearchRequest,
    cursor: str,
    time_budget_s: float,
    *,
    started: float | None = None,
) -> dict[str, Any]:
    """The /search response for the page a cursor points at (``page`` must be 1). The whole
    result set is read, however long it takes; its sections, within ``time_budget_s``."""
    started = time.perf_counter() if started is None else started
    deadline = time.monotonic() + time_budget_s
    if request.page != 1:
        raise InvalidRequest("use page or cursor, not both")
    position = decode_cursor(snapshot, request, cursor)
    found = result_set(snapshot, request)
    end = min(position + request.page_size, found.total)
    articles = [_article(snapshot, found, i) for i in range(position, end)]
    docnums = [int(docnum) for docnum in found.docnums[position:end]]
    articles, docnums = page_results(snapshot, request, articles, docnums)
    notes = list(found.notes)
    if unmatched := attach_sections(
        snapshot, articles, docnums, found.parsed, found.builder, deadline
    ):
        notes.append(sections_out_of_time(unmatched))
    return {
        "query": request.q,
        "parsed_query": found.parsed.display,
        "total": found.total,
        "page": position // request.page_size + 1,
        "page_size": request.page_size,
        "results": articles,
        "facets": found.facets,
        "suggestion": None,  # offered with numbered pages only
        "partial": found.partial,
        "timed_out": False,  # a whole result set is read without a deadline
        "notes": notes,
        "index_version": snapshot.version,
        "next_cursor": next_cursor(snapshot, request, end, found.total),
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _article(snapshot: Snapshot, found: ResultSet, position: int) -> dict[str, Any]:
    stored = snapshot.stored_fields(found.docnums[position])
    return article_result(stored, None if found.scores is None else found.scores[position])


# Counts over time


def _article_days(snapshot: Snapshot) -> array:
    """Per document number: the article's publication day (proleptic ordinal), ``_UNDATED``
    for an article without a date, ``_NOT_ARTICLE`` for other documents. Read once per
    version from the sortable ``date`` column (a partial date counts on its first day)."""
    cache = _cache(snapshot)
    with cache.lock:
        if cache.days is not None:
            return cache.days
    searcher = snapshot.searcher
    days = array("l", [_NOT_ARTICLE]) * searcher.doc_count_all()
    # Read segment by segment (``date_keys``): Whoosh's reader of several segments leaves
    # out those without a date column and then reads the others' dates at wrong offsets.
    keys = snapshot.date_keys
    for docnum in searcher.docs_for_query(ALL_ARTICLES):
        raw = int(keys[docnum])
        # Microseconds since 0001-01-01; -1: no date.
        days[docnum] = _UNDATED if raw < 0 else raw // _MICROS_PER_DAY + 1
    with cache.lock:
        cache.days = days
    return days


def interval_start(day: date, interval: str) -> date:
    if interval == "day":
        return day
    if interval == "week":  # ISO weeks, from Monday
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _interval_count(first: date, last: date, interval: str) -> int:
    if interval == "day":
        return (last - first).days + 1
    if interval == "week":
        return (last - first).days // 7 + 1
    if interval == "month":
        return (last.year - first.year) * 12 + last.month - first.month + 1
    return last.year - first.year + 1


def _bucket_counts(
    docnums: Any, days: array, interval: str, memo: dict[int, int]
) -> tuple[Counter[int], int]:
    """Matches per interval (keyed by the interval's first day, as an ordinal) and undated."""
    counts: Counter[int] = Counter()
    undated = 0
    for docnum in docnums:
        day = days[docnum]
        if day == _UNDATED:
            undated += 1
        elif day > 0:
            start = memo.get(day)
            if start is None:
                start = memo[day] = interval_start(date.fromordinal(day), interval).toordinal()
            counts[start] += 1
    return counts, undated


def _denominators(
    snapshot: Snapshot, request: SearchRequest, interval: str, days: array
) -> tuple[Counter[int], int]:
    """All articles the filters admit (whatever the query), per interval, and undated."""
    key = (_filter_key(request), interval)
    cache = _cache(snapshot)
    with cache.lock:
        cached = cache.denominators.get(key)
    if cached is not None:
        return cached
    allowed = allowed_docs(snapshot, request)
    docnums = (
        (d for d in range(len(days)) if days[d] != _NOT_ARTICLE)
        if allowed is None
        else allowed.tolist()
    )
    found = _bucket_counts(docnums, days, interval, {})
    with cache.lock:
        if len(cache.denominators) > 256:
            cache.denominators.clear()
        cache.denominators[key] = found
    return found


def _range_not_given(request: SearchRequest) -> str:
    """Where a count's range runs to when the request did not say: one article dated far
    ahead (a CMS's placeholder, 2999) stretches the range of every query."""
    given = (request.date_from is not None, request.date_to is not None)
    return {
        (False, False): " (without from and to, it runs from the first to the last date of "
        "the articles the filters admit)",
        (False, True): " (without from, it starts at the first date of the articles the "
        "filters admit)",
        (True, False): " (without to, it ends at the last date of the articles the filters admit)",
    }.get(given, "")


def counts(snapshot: Snapshot, request: SearchRequest, interval: str) -> dict[str, Any]:
    """Matching articles per interval, with their share of all articles of the interval.

    The intervals run from ``from`` (or the first article the filters admit) to ``to`` (or
    the last), every one present even with 0. The share's denominator is every article the
    same filters admit in that interval, whatever the query. Articles without a date are
    counted in a last bucket with ``start: null``, present whenever the filters admit any
    undated article, so the counts always add up to ``total``: the articles the query
    matches as it reads (``exact``, no partial matches).
    """
    if interval not in INTERVALS:
        raise InvalidRequest(f"interval must be one of {', '.join(INTERVALS)} (got {interval!r})")
    found = result_set(snapshot, request, exact=True)
    days = _article_days(snapshot)
    matched, undated = _bucket_counts(found.docnums, days, interval, {})
    approximate = _approximate_counts(snapshot, found.docnums, days, interval)
    all_counts, all_undated = _denominators(snapshot, request, interval, days)
    dated = set(all_counts) | set(matched)
    rows: list[dict[str, Any]] = []
    low = request.date_from or (date.fromordinal(min(dated)) if dated else request.date_to)
    high = request.date_to or (date.fromordinal(max(dated)) if dated else request.date_from)
    if low and high:
        first, last = interval_start(low, interval), interval_start(high, interval)
        if last >= first:
            how_many = _interval_count(first, last, interval)
            if how_many > MAX_INTERVALS:
                raise InvalidRequest(
                    f"at most {MAX_INTERVALS} intervals (this would be {how_many}, from "
                    f"{first} to {last}); use a longer interval or a shorter from/to range"
                    + _range_not_given(request)
                )
            start = first
            while start <= last:
                ordinal = start.toordinal()
                rows.append(
                    _count_row(
                        start.isoformat(),
                        matched[ordinal],
                        all_counts[ordinal],
                        approximate[ordinal],
                    )
                )
                start = following(start, interval)
    if all_undated or undated:
        rows.append(_count_row(None, undated, all_undated))
    return {
        "query": request.q,
        "parsed_query": found.parsed.display,
        "interval": interval,
        "counts": rows,
        "total": found.total,
        "partial": found.partial,
        "notes": list(found.notes),
        "index_version": snapshot.version,
    }


def _count_row(start: str | None, count: int, of: int, approximate: int = 0) -> dict[str, Any]:
    share = round(count / of, 6) if of else 0.0
    return {"start": start, "count": count, "share": share, "approximate": approximate}


# The date precisions too loose to place an article in an interval: a date given as a year
# is counted on 1 January, a month on its first day.
_LOOSER_THAN = {
    "day": ("month", "year"),
    "week": ("month", "year"),
    "month": ("year",),
    "year": (),
}


def _approximate_counts(
    snapshot: Snapshot, docnums: Any, days: array, interval: str
) -> Counter[int]:
    """Per interval (as ``_bucket_counts`` keys them), the matches dated only by a longer
    period starting in it, which may belong to a later interval of that period."""
    looser = _LOOSER_THAN[interval]
    if not looser:
        return Counter()
    codes, values = snapshot.date_precisions
    loose_codes = [code for code, value in enumerate(values) if value in looser]
    if not loose_codes:
        return Counter()
    docs = np.asarray(docnums, dtype=np.int64)
    loose = docs[np.isin(codes[docs], loose_codes)] if len(docs) else docs
    counted, _ = _bucket_counts(loose.tolist(), days, interval, {})
    return counted


def counts_csv(response: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["start", "count", "share", "approximate"])
    for row in response["counts"]:
        writer.writerow([row["start"] or "undated", row["count"], row["share"], row["approximate"]])
    return out.getvalue()


# Export

EXPORT_COLUMNS = (
    "rank",
    "id",
    "title",
    "date",
    "url",
    "authors",
    "tags",
    "source",
    "language",
    "score",
    "matched_sections",
)


def export_rows(snapshot: Snapshot, found: ResultSet) -> Iterator[list[dict[str, Any]]]:
    """The result set's articles in order, ``EXPORT_CHUNK`` at a time, read lazily: at any
    moment only one chunk of articles is in memory, however many match, with the words its
    markers have judged in up to ``EXPORT_MARKER_ARTICLES`` articles."""
    matched: MatchedSections | None = None
    for offset in range(0, found.total, EXPORT_CHUNK):
        end = min(offset + EXPORT_CHUNK, found.total)
        # The searcher is taken a chunk at a time, after the searches waiting for it
        # (``SearcherTurns``): a long export holds up a reader's search for a chunk or two.
        with snapshot.holding_searcher():
            if matched is None or offset % EXPORT_MARKER_ARTICLES == 0:
                # Its markers keep each word they have judged: renewed, they hold the words
                # of so many articles, not of the whole archive.
                matched = MatchedSections(snapshot, found.parsed, found.builder, snippets=False)
            articles = [_article(snapshot, found, i) for i in range(offset, end)]
            matched.attach(articles, found.docnums[offset:end])
        rows = []
        for rank, article in enumerate(articles, start=offset + 1):
            row = {**article, "rank": rank, "matched_sections": article["sections"]}
            # The CSV's columns, in its order (the README's), in JSON Lines too; not the
            # translations: an export lists every article itself.
            rows.append({column: row[column] for column in EXPORT_COLUMNS})
        yield rows


# Line breaks JSON may leave raw but that str.splitlines (and some readers) split on.
_JSONL_ESCAPES = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def export_jsonl(snapshot: Snapshot, found: ResultSet) -> Iterator[bytes]:
    """One JSON object per line (UTF-8), one line per article."""
    for rows in export_rows(snapshot, found):
        lines = (json.dumps(row, ensure_ascii=False, separators=(",", ":")) for row in rows)
        yield "".join(line.translate(_JSONL_ESCAPES) + "\n" for line in lines).encode("utf-8")


# A spreadsheet runs a cell that starts with one of these as a formula: an article titled
# '=HYPERLINK("http://…"&A1)' would act when a researcher opens the export.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text as a spreadsheet shows it, never as a formula (a leading ' is the convention
    spreadsheets use for "this is text"); JSONL keeps every value exactly."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def export_csv(snapshot: Snapshot, found: ResultSet, *, bom: bool = False) -> Iterator[bytes]:
    """RFC 4180 CSV (UTF-8, CRLF, quoted when needed); lists joined with "; ", matched
    sections as their headings ("(intro)" for the untitled first section); text that a
    spreadsheet would run as a formula is prefixed with '."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    yield (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")
    for rows in export_rows(snapshot, found):
        out.seek(0)
        out.truncate()
        for row in rows:
            writer.writerow(
                [
                    row["rank"],
                    _cell(row["id"]),
                    _cell(row["title"]),
                    row["date"] or "",
                    _cell(row["url"] or ""),
                    _cell("; ".join(row["authors"])),
                    _cell("; ".join(row["tags"])),
                    _cell(row["source"]),
                    _cell(row["language"]),
                    "" if row["score"] is None else row["score"],
                    _cell("; ".join(s["heading"] or "(intro)" for s in row["matched_sections"])),
                ]
            )
        yield out.getvalue().encode("utf-8")


# Batch


def check_batch(requests: list[SearchRequest], limit: int) -> None:
    if not 1 <= len(requests) <= MAX_BATCH_QUERIES:
        raise InvalidRequest(f"a batch has 1 to {MAX_BATCH_QUERIES} queries (got {len(requests)})")
    if not 1 <= limit <= MAX_BATCH_LIMIT:
        raise InvalidRequest(f"limit must be between 1 and {MAX_BATCH_LIMIT} (got {limit})")


def query_budgets(
    time_budget_s: float, clock: Callable[[], float] = time.monotonic
) -> Iterator[float]:
    """The time budget of each query of a batch, in turn: its own, or what is left of the
    batch's ``BATCH_BUDGETS`` if that is less (a query left with none is cut short and
    answered as partial)."""
    deadline = clock() + BATCH_BUDGETS * time_budget_s
    return (min(time_budget_s, max(0.0, deadline - clock())) for _ in itertools.count())


def batch_answer(
    snapshot: Snapshot, request: SearchRequest, limit: int, time_budget_s: float
) -> dict[str, Any]:
    """One query of a batch: the top ``limit`` article ids and the total, as /search ranks
    them; exact, like counts and exports: a researcher comparing queries compares what each
    matches, not partial matches added to some of them."""
    matches = run_query(
        snapshot, replace(request, page=1, page_size=limit), time_budget_s, exact=True
    )
    return {
        "q": request.q,
        "parsed_query": matches.parsed.display,
        "total": matches.total,
        "ids": [
            snapshot.stored_fields(docnum)["article_id"] for _, docnum in matches.ranked[:limit]
        ],
        "partial": matches.partial,
        "notes": list(matches.notes),
    }
