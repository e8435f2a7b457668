"""Answering a search: query + filters -> ranked articles, matched sections, facets.

Ranking, ``total``, paging and facets run on article documents; the sections of the
articles on the page are then matched and snippeted from section documents.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, cached_property, partial, reduce
from math import fsum
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.util.times import long_to_datetime

from indexer.analysis import WordMarker, analyzer_for, tag_term
from indexer.errors import InvalidRequest
from indexer.formats.fields import normalize_language, without_surrogates
from indexer.languages import DEFAULT_LANGUAGE, known_languages
from indexer.schema import ARTICLE
from search_api.engine import Snapshot
from search_api.language_names import language_name
from search_api.matching import Scored, by_key_descending, by_score, evaluate
from search_api.query import (
    Clause,
    ParsedQuery,
    QueryBuilder,
    highlight_prefixes,
    highlights,
    parse,
)
from search_api.scoring import RANKING, article_count, bm25_idf
from search_api.snippets import QueryTermsIn, sections_to_read, snippet_of, word_marker
from search_api.spelling import correct_word
from search_api.versions import fold_versions

MAX_SECTIONS_PER_RESULT = 3
MAX_CORRECTED_WORDS = 6
FACET_LIMIT = 20
FEW_RESULTS = 3  # below this many articles, a spelling suggestion is offered
# When fewer than a page of articles hold every part of a query of three parts or more, the
# page is filled with the best articles for most of them, after those that hold them all (the
# reader asked for every word, so they still come first). Two words are mostly one idea
# ("press freedom") and must both be there; three or more describe a story, and an article
# about it may not use every one of them: "successor to premier khrushchev" found the 3
# articles that say all three words, and not the ones about "Khrushchev's successor" that
# never write "premier". With nothing that has every word, any query of several parts
# falls back. The notes say how many articles match every word.
DESCRIPTIVE_QUERY_PARTS = 3
FEW_MATCHES = 10
OUT_OF_TIME = "the search ran out of time; results may be incomplete"
SECTIONS_OUT_OF_TIME = "the search ran out of time before it found the matched sections of "
_ISO_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")


@dataclass
class SearchRequest:
    q: str = ""
    page: int = 1
    page_size: int = 10
    date_from: date | None = None
    date_to: date | None = None
    tags: list[str] = field(default_factory=list)
    source: str | None = None
    language: str | None = None
    sort: str = "relevance"  # or "date"
    # One result per story: its translations are listed in it (readers); researchers
    # counting and exporting get every article.
    group_translations: bool = False
    # The versions of a text on one page (a report's passage, year after year) are listed in
    # the first of them (``search_api.versions.fold_versions``).
    group_versions: bool = False
    # The reader's language (the page's Accept-Language): a story whose version in it
    # matches too is shown in it, at the story's place.
    reader_language: str | None = None


MAX_QUERY_LENGTH = 1000
SORT_ORDERS = ("relevance", "date")
MAX_PAGE_SIZE = 100
MAX_RESULT_DEPTH = 10_000
# Tags an article must all have: more is no reader's search, and the reader's page, whose
# link to drop one filter carries all the others, grew with their square (5,000 made a
# 345 MB page that held its worker for 80 s).
MAX_TAG_FILTERS = 20


def build_search_request(
    *,
    q: str = "",
    page: int = 1,
    page_size: int = 10,
    date_from: date | str | None = None,
    date_to: date | str | None = None,
    tags: list[str] | None = None,
    source: str | None = None,
    language: str | None = None,
    sort: str = "relevance",
    group_translations: bool = False,
    group_versions: bool = False,
    reader_language: str | None = None,
) -> SearchRequest:
    """A validated request: the one place API and CLI parameters are checked."""
    q = without_surrogates(q)  # a JSON body's "\ud800": echoed back, it could not be encoded
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidRequest(f"q must be at most {MAX_QUERY_LENGTH} characters (got {len(q)})")
    if page < 1:
        raise InvalidRequest(f"page must be 1 or more (got {page})")
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequest(f"page_size must be between 1 and {MAX_PAGE_SIZE} (got {page_size})")
    if page * page_size > MAX_RESULT_DEPTH:
        raise InvalidRequest(
            f"page x page_size must be at most {MAX_RESULT_DEPTH} "
            f"(got page {page} with page_size {page_size})"
        )
    if sort not in SORT_ORDERS:
        raise InvalidRequest(f"sort must be relevance or date (got {sort!r})")
    language = (language or "").strip().lower() or None
    if language is not None and language not in known_languages():
        # Articles are indexed by language, not by region: "en-GB" is refused, and named.
        code = normalize_language(language)
        hint = f"; use {code}" if code in known_languages() else ""
        raise InvalidRequest(
            f"lang must be a language code advosearch knows, like es (got {language!r}{hint})"
        )
    start, end = _as_date("from", date_from), _as_date("to", date_to, last=True)
    if start and end and start > end:
        raise InvalidRequest(f"from ({start}) is after to ({end})")
    tags = [t for t in tags or [] if t.strip()]
    if len(tags) > MAX_TAG_FILTERS:
        raise InvalidRequest(f"tag may be given at most {MAX_TAG_FILTERS} times (got {len(tags)})")
    return SearchRequest(
        q=q,
        page=page,
        page_size=page_size,
        date_from=start,
        date_to=end,
        tags=tags,
        source=source or None,
        language=language,
        sort=sort,
        group_translations=group_translations,
        group_versions=group_versions,
        reader_language=reader_language,
    )


def _as_date(name: str, value: date | str | None, *, last: bool = False) -> date | None:
    if value is None:
        return None
    if isinstance(value, date):
        return _within_range(name, value)
    if not value.strip():
        return None  # a form's empty date field means "no limit"
    try:
        parsed = day_of(value, last=last)
    except ValueError:
        raise InvalidRequest(
            f"{name} must be a date like 2018-07-29, 2018-07 or 2018 (got {value!r})"
        ) from None
    return _within_range(name, parsed, given=value)


def day_of(value: str, *, last: bool = False) -> date:
    """The day ``value`` names: ``YYYY-MM-DD``, or a month or a year (``YYYY-MM``,
    ``YYYY``): its first day, or with ``last`` its last (``to=2020`` takes in December).
    ValueError for any other form (``date.fromisoformat`` would read "20200101" and weeks
    too), or a day that does not exist."""
    match = _ISO_DATE.fullmatch(value.strip())
    if match is None:
        raise ValueError(value)
    year, month, day = (int(part) if part else None for part in match.groups())
    if day is not None:
        return date(year, month, day)
    # Month 00 is no month: refused by ``date`` as 13 is, not read as the whole year.
    first = date(year, 1 if month is None else month, 1)
    if not last or year >= 9999:  # refused as out of range, with its year
        return first
    return following(first, "year" if month is None else "month") - timedelta(days=1)


def _within_range(name: str, value: date, *, given: str | None = None) -> date:
    """``value``, unless it is too late a day to compute with; ``given``: as the request
    wrote it, which the error quotes (``to=9999`` is read as a day it did not write)."""
    # Day and interval ends are computed as the next day, which must exist.
    if value.year >= 9999:
        got = repr(given) if given is not None else value.isoformat()
        raise InvalidRequest(f"{name} must be before the year 9999 (got {got})")
    return value


@dataclass
class Matches:
    """The articles a request matches, in its order, and how its query was read."""

    parsed: ParsedQuery
    builder: QueryBuilder
    filter_docs: np.ndarray | None  # what the filters admit (sorted); None: no filter
    # (score, docnum) best first, or (date key, docnum) newest first: the top k, or all
    # matches with all_matches.
    ranked: list[tuple[float, int]]
    docs: np.ndarray  # every matching article document (sorted): the exact total, facets
    partial: bool
    notes: list[str]
    timed_out: bool = False
    # Docnum -> translation key code (0: none), when translations are grouped.
    translation_codes: np.ndarray | None = None
    # Articles with every word: all of them, unless the answer was filled with partial ones.
    exact_count: int = 0
    # An answer filled with partial matches: its articles that have every word (None: not
    # filled, every article has them all).
    with_every_word: frozenset[int] | None = None

    @cached_property
    def total(self) -> int:
        """Matching articles; with translations grouped, stories."""
        return counted(self.docs, self.translation_codes)


def counted(docs: np.ndarray, translation_codes: np.ndarray | None) -> int:
    """How many articles ``docs`` are, or with ``translation_codes`` (translations grouped)
    how many stories: an article with no translation is one, translations together one."""
    if translation_codes is None or not len(docs):
        return len(docs)
    keys = translation_codes[docs]
    # Flags, not a bincount: the codes run to one per story of the archive, and counting
    # into an array that long took a millisecond for a result set of a few thousand.
    seen = np.zeros(int(keys.max()) + 1, dtype=bool)
    seen[keys] = True
    return int(np.count_nonzero(keys == 0)) + int(np.count_nonzero(seen[1:]))


def run_query(
    snapshot: Snapshot,
    request: SearchRequest,
    time_budget_s: float,
    *,
    all_matches: bool = False,
    exact: bool = False,
) -> Matches:
    """The one query path: parse, filter, match and score, fall back to partial matches,
    order.

    Orders the top ``page x page_size`` articles, or with ``all_matches`` every match, in the
    same order (score or date, then document number). /search, its cursors, counts, export
    and batch all answer from here, so they agree on what matches and in which order.
    ``exact`` leaves out the fallback to articles with only some of the words: what counts
    and exports measure is the query as it reads.
    """
    languages = (request.language,) if request.language else snapshot.languages
    # Whole result sets (export, cursors, counts) must be complete: no deadline for them.
    deadline = None if all_matches else time.monotonic() + time_budget_s
    parsed = parse(request.q, languages)
    builder = QueryBuilder(snapshot.searcher.reader(), languages, deadline=deadline)
    filter_docs = allowed_docs(snapshot, request)

    notes = [*parsed.notes, *filter_notes(snapshot, request)]
    partial = False
    matched, timed_out = _matching(snapshot, builder.build(parsed), filter_docs, deadline)
    timed_out = timed_out or builder.timed_out
    parts = parsed.positive_count()
    found = len(matched)
    all_words = None  # when a few articles have every word: ranked ahead of the rest
    with_every_word = None
    too_few = found == 0 or (parts >= DESCRIPTIVE_QUERY_PARTS and found < FEW_MATCHES)
    if too_few and parts > 1 and not timed_out and not exact:
        # Rank articles by the query words they have, by BM25 summed over those words.
        any_word_query = builder.build(parsed, any_of=True)
        any_word, timed_out = _matching(snapshot, any_word_query, filter_docs, deadline)
        timed_out = timed_out or builder.timed_out
        if len(any_word) > found:  # else every article with some of the words has them all
            all_words = matched if found else None
            with_every_word = frozenset(matched.docs.tolist())
            matched = any_word
            partial = True
            notes.append(
                "no article matches all the words; showing articles that match some"
                if found == 0
                else f"few articles match all the words ({found}); showing them first, "
                "then articles that match most of them"
            )
    codes = snapshot.facet_codes["translation"][0] if request.group_translations else None
    # Counted as the total is: stories, when translations are grouped.
    if request.date_to is not None and (
        note := dated_past_note(snapshot, matched.docs, request.date_to, codes)
    ):
        notes.append(note)
    depth = None if all_matches else request.page * request.page_size
    if depth is not None and request.group_translations:
        depth *= snapshot.largest_translation_group  # enough articles to fill the stories
    ranked = _order(snapshot, matched, all_words, request.sort, depth)
    if request.group_translations:
        ranked = _one_per_story(ranked, snapshot.facet_codes["translation"][0])
        if request.reader_language:
            ranked = _in_reader_language(
                snapshot, ranked, matched, request.reader_language, with_every_word, request.sort
            )
    if timed_out:
        partial = True
        notes.append(OUT_OF_TIME)
    if builder.expanded_too_much:
        partial = True
        notes.extend(builder.expanded_too_much)
    return Matches(
        parsed,
        builder,
        filter_docs,
        ranked,
        matched.docs,
        partial,
        notes,
        timed_out,
        codes,
        found,
        with_every_word,
    )


def filter_notes(snapshot: Snapshot, request: SearchRequest) -> list[str]:
    """Notes on the request's language and source filters that no article of the archive
    meets: said, as an empty answer alone would leave a reader guessing why."""
    notes = []
    if request.language and request.language not in snapshot.languages:
        name = language_name(request.language)
        named = name if name == request.language else f"{name} ({request.language})"
        notes.append(f"the archive has no article in {named}")
    if request.source and _source_named(snapshot, request.source) not in snapshot.sources:
        notes.append(f"the archive has no article from the source {request.source}")
    return notes


def dated_past_note(
    snapshot: Snapshot,
    docs: np.ndarray,
    last_day: date,
    translation_codes: np.ndarray | None = None,
) -> str | None:
    """The note saying how many of the results (``docs``) a filter up to ``last_day`` takes
    in by the first day of a year or month that goes on past it, counted as ``counted``
    counts them (with ``translation_codes``: stories); None when none is."""
    loose = counted(_dated_past(snapshot, docs, last_day), translation_codes)
    if not loose:
        return None
    return (
        f"{loose} of these results are dated only by a year or month that goes on past "
        f"{last_day}: each is included by its first day"
    )


def listed_filter_notes(
    snapshot: Snapshot, request: SearchRequest, listed: list[dict[str, Any]]
) -> list[str]:
    """/search's notes on ``request``'s filters, for an answer that lists ``listed`` (as
    ``article_result`` gives them) and no total, as related stories are: those of
    ``filter_notes``, and how many of them a ``to`` filter takes in by the first day of a
    year or month that goes on past it. Reads the searcher: called holding it."""
    notes = filter_notes(snapshot, request)
    if request.date_to is not None:
        searcher = snapshot.searcher
        docs = [searcher.document_number(key=hit["id"], kind=ARTICLE) for hit in listed]
        if note := dated_past_note(snapshot, np.array(docs, dtype=np.int64), request.date_to):
            notes.append(note)
    return notes


def _dated_past(snapshot: Snapshot, docs: np.ndarray, last_day: date) -> np.ndarray:
    """Those of ``docs`` dated only by a year or a month that ends after ``last_day``: a
    date filter takes such an article by its first day, though it may be from a later one
    ("2020" is in a filter of January 2020)."""
    codes, values = snapshot.date_precisions
    loose = [code for code, value in enumerate(values) if value]
    if not loose or not len(docs):
        return docs[:0]
    # Loosely dated articles share few dates (a year's or a month's first day): each
    # distinct date of each precision is looked at once, not each article.
    past = np.zeros(len(docs), dtype=bool)
    for code in loose:
        of_precision = codes[docs] == code
        keys = snapshot.date_keys[docs[of_precision]]
        past_keys = [
            key
            for key in np.unique(keys).tolist()
            if following(long_to_datetime(key).date(), values[code]) - timedelta(days=1) > last_day
        ]
        past[np.flatnonzero(of_precision)[np.isin(keys, past_keys)]] = True
    return docs[past]


def following(start: date, period: str) -> date:
    """The first day of the ``period`` (day, week, month or year) after the one that
    begins on ``start``."""
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(days=7)
    if period == "month":
        return date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return date(start.year + 1, 1, 1)


def _matching(
    snapshot: Snapshot, whoosh_query: wq.Query, allowed: np.ndarray | None, deadline: float | None
) -> tuple[Scored, bool]:
    """Every article the query matches within the filters, with its score, and whether the
    deadline cut the evaluation short."""
    if allowed is not None and not len(allowed):
        return Scored.empty(), False
    matched, timed_out = evaluate(
        snapshot.searcher, whoosh_query, snapshot.postings, RANKING, deadline
    )
    return matched.within(allowed), timed_out


def _one_per_story(
    ranked: list[tuple[float, int]], translation_codes: np.ndarray
) -> list[tuple[float, int]]:
    """The ranking with only the best-ranked translation of each story (articles with no
    translation key, code 0, are stories of their own)."""
    seen: set[int] = set()
    kept = []
    for score, docnum in ranked:
        key = int(translation_codes[docnum])
        if key in seen:
            continue
        if key:
            seen.add(key)
        kept.append((score, docnum))
    return kept


def _in_reader_language(
    snapshot: Snapshot,
    ranked: list[tuple[float, int]],
    matched: Scored,
    language: str,
    with_every_word: frozenset[int] | None,
    sort: str,
) -> list[tuple[float, int]]:
    """``ranked`` (one article per story) with each story shown by its version in the
    reader's ``language`` where that version matches too (and, in an answer filled with
    partial matches, has every word as the story's best version does; in date order, has
    its date): a name two languages share ranks one of them first by the accidents of its
    statistics, and a reader of the other would see a page of titles in a language not
    theirs."""
    codes, values = snapshot.facet_codes["language"]
    if language not in values:
        return ranked
    translation_codes = snapshot.facet_codes["translation"][0]
    docs = matched.docs
    wanted = (codes[docs] == values.index(language)) & (translation_codes[docs] != 0)
    # Best last, so that of a story's versions in the language the best one is kept.
    in_language = docs[wanted][np.argsort(matched.scores[wanted], kind="stable")]
    stories = translation_codes[in_language].tolist()
    version = dict(zip(stories, in_language.tolist(), strict=True))

    date_keys = snapshot.date_keys if sort == "date" else None

    def shown(docnum: int) -> int:
        other = version.get(int(translation_codes[docnum]), docnum)
        if with_every_word is not None and (other in with_every_word) != (
            docnum in with_every_word
        ):
            return docnum
        if date_keys is not None and date_keys[other] != date_keys[docnum]:
            return docnum  # it would be out of the newest-first order
        return other

    return [(key, shown(docnum)) for key, docnum in ranked]


def _order(
    snapshot: Snapshot,
    matched: Scored,
    first: Scored | None,
    sort: str,
    depth: int | None,
) -> list[tuple[float, int]]:
    """The matches in the request's order, the first ``depth`` of them (None: all).

    ``first``'s matches (a subset: the articles with every word of a query that fell back to
    partial matches) come before the rest, whatever their BM25 sums or dates: the reader
    asked for every word. Within each, by score or by date (newest first). Ties go by
    document number, which is fixed within an index version, so pages of one version never
    repeat or skip an article."""

    def ordered(scored: Scored) -> list[tuple[float, int]]:
        if sort == "date":
            return by_key_descending(scored.docs, snapshot.date_keys, depth)
        return by_score(scored, depth)

    if first is None:
        return ordered(matched)
    leading = ordered(first)
    chosen = {docnum for _, docnum in leading}
    rest = [item for item in ordered(matched) if item[1] not in chosen]
    merged = leading + rest
    return merged if depth is None else merged[:depth]


def search(
    snapshot: Snapshot,
    request: SearchRequest,
    time_budget_s: float,
    *,
    exact: bool = False,
    suggest: bool = True,
) -> dict[str, Any]:
    """The /search answer for ``request``; with ``exact``, only the articles the query
    matches as it reads (every word: no partial matches); without ``suggest``, no spelling
    suggestion is looked for (an answer that cannot show one)."""
    started = time.perf_counter()
    deadline = time.monotonic() + time_budget_s
    matches = run_query(snapshot, request, time_budget_s, exact=exact)
    parsed, builder = matches.parsed, matches.builder
    partial, notes, filter_docs = matches.partial, matches.notes, matches.filter_docs

    total = matches.total
    offset = (request.page - 1) * request.page_size
    page = matches.ranked[offset : offset + request.page_size]
    by_relevance = request.sort != "date"
    stored = snapshot.stored_fields
    articles = [
        article_result(stored(docnum), score if by_relevance else None) for score, docnum in page
    ]
    articles, docnums = page_results(snapshot, request, articles, [d for _, d in page])
    if unmatched := attach_sections(snapshot, articles, docnums, parsed, builder, deadline):
        notes.append(sections_out_of_time(unmatched))
    complete = matches.with_every_word
    for article, docnum in zip(articles, docnums, strict=True):
        article["partial"] = complete is not None and docnum not in complete

    suggestion = None
    if suggest and (total < FEW_RESULTS or partial) and not parsed.is_empty:
        # What a correction must beat: the articles with every word, partial ones aside.
        left = time_budget_s - (time.perf_counter() - started)
        if left > 0 and not matches.timed_out:
            suggestion = _suggest(snapshot, request, parsed, matches.exact_count, filter_docs, left)

    return {
        "query": request.q,
        "parsed_query": parsed.display,
        "total": total,
        "page": request.page,
        "page_size": request.page_size,
        "results": articles,
        "facets": result_facets(snapshot, matches.docs),
        "suggestion": suggestion,
        "partial": partial,
        "timed_out": matches.timed_out,
        "notes": notes,
        "index_version": snapshot.version,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def page_results(
    snapshot: Snapshot, request: SearchRequest, articles: list[dict[str, Any]], docnums: list[int]
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page's articles (of ``docnums``) as the request groups them: each with its
    translations, each version of one listed before it in that one's ``versions`` (with its
    own translations)."""
    if request.group_translations:
        for article, docnum in zip(articles, docnums, strict=True):
            article["translations"] = translations_of(snapshot, docnum)
    if request.group_versions:
        articles, docnums = fold_versions(snapshot, articles, docnums)
    return articles, docnums


def allowed_docs(snapshot: Snapshot, request: SearchRequest) -> np.ndarray | None:
    """Article documents passing the filters (sorted), or None when no filter is given.

    Cheap enough to compute for every request: dates come from the date column, which is
    read once per index version, and tags, source and language from cached postings."""
    admitted: list[np.ndarray] = []
    if request.date_from or request.date_to:
        start = (
            datetime.combine(request.date_from, datetime.min.time()) if request.date_from else None
        )
        end = (
            datetime.combine(request.date_to + timedelta(days=1), datetime.min.time())
            - timedelta(microseconds=1)
            if request.date_to
            else None
        )
        admitted.append(snapshot.dated_between(start, end))
    terms = [wq.Term("tag", tag_term(tag)) for tag in request.tags]
    if request.source:
        terms.append(wq.Term("source", _source_named(snapshot, request.source)))
    if request.language:
        terms.append(wq.Term("language", request.language))
    for term in terms:
        matched, _ = evaluate(snapshot.searcher, term, snapshot.postings, RANKING)
        admitted.append(matched.docs)
    if not admitted:
        return None
    return reduce(partial(np.intersect1d, assume_unique=True), admitted)


def _source_named(snapshot: Snapshot, name: str) -> str:
    """The archive's source a filter names, case aside (a folder "drw" is source=DRW too, as
    tags are matched); the name itself when none is."""
    if name in snapshot.sources:
        return name
    folded = name.casefold()
    return next((source for source in snapshot.sources if source.casefold() == folded), name)


def article_result(stored: dict[str, Any], score: float | None) -> dict[str, Any]:
    meta = stored.get("meta", {})
    return {
        "id": stored["article_id"],
        "title": meta.get("title", stored.get("title", "")),
        "title_derived": bool(meta.get("title_derived")),
        "url": meta.get("url"),
        "date": meta.get("date"),
        "authors": meta.get("authors", []),
        "tags": meta.get("tags", []),
        "source": meta.get("source", ""),
        "language": meta.get("language", ""),
        "score": None if score is None else round(float(score), 4),
        "sections": [],
        "translations": [],
    }


def translations_of(snapshot: Snapshot, docnum: int) -> list[dict[str, Any]]:
    """The other articles sharing an article's translation key, by language."""
    others = []
    for other in snapshot.translation_group(docnum).tolist():
        if other == docnum:
            continue
        stored = snapshot.stored_fields(other)
        meta = stored.get("meta", {})
        others.append(
            {
                "language": stored.get("language", ""),
                "id": stored["article_id"],
                "title": meta.get("title", stored.get("title", "")),
                "url": meta.get("url"),
            }
        )
    return sorted(others, key=lambda item: (item["language"], item["id"]))


def docs_with(searcher: Any, fieldname: str, values: Iterable[str]) -> Iterator[int]:
    """Documents holding any of ``values`` in an ID field: their postings read directly, a
    few times faster than running a query for a handful of ids."""
    reader = searcher.reader()
    for value in values:
        if (fieldname, value) in reader:
            yield from reader.postings(fieldname, value).all_ids()


def attach_sections(
    snapshot: Snapshot,
    articles: list[dict],
    docnums: Sequence[int],
    parsed: ParsedQuery,
    builder: QueryBuilder,
    deadline: float | None = None,
) -> int:
    """Up to three matched sections per article (``docnums``: the articles' documents),
    best first, with their snippets: ``MatchedSections.attach``, for one page of results.
    Returns how many articles show their opening instead, for lack of time."""
    return MatchedSections(snapshot, parsed, builder).attach(articles, docnums, deadline)


def sections_out_of_time(articles: int) -> str:
    """The note on a page whose last ``articles`` show their opening for lack of time."""
    shown = "it shows its" if articles == 1 else "they show their"
    return f"{SECTIONS_OUT_OF_TIME}{articles} of these articles: {shown} opening"


def out_of_time(response: dict[str, Any]) -> bool:
    """Whether the time budget cut a /search response short, its results or its sections."""
    return response["timed_out"] or any(
        note.startswith(SECTIONS_OUT_OF_TIME) for note in response["notes"]
    )


class MatchedSections:
    """The sections of a query's results that match it, best first, each with a snippet
    (unless ``snippets`` is false: an export lists the sections, it does not show them).
    With snippets, an article matched outside its text gets its opening instead, unmarked.

    Its markers judge each distinct word once for every text they are given: an export,
    which reads its articles a chunk at a time, keeps one for all its chunks, so that a
    chunk judges only the words earlier chunks had not met."""

    def __init__(
        self,
        snapshot: Snapshot,
        parsed: ParsedQuery,
        builder: QueryBuilder,
        *,
        snippets: bool = True,
    ) -> None:
        self._snapshot = snapshot
        self._parsed = parsed
        self._builder = builder
        self._snippets = snippets
        self._idf = _idf_of(snapshot)
        self._markers: dict[str, tuple[WordMarker | None, QueryTermsIn]] = {}

    def _marker_for(self, language: str) -> tuple[WordMarker | None, QueryTermsIn]:
        # A prefix marks the words it was expanded to, whose stems need not start with it
        # ("journalists*" reaches the stem "journalist", so it marks "journalist's" too).
        if language not in self._markers:
            marked = highlights(self._parsed, language)
            prefixes = highlight_prefixes(self._parsed, language)
            terms = marked.terms.union(
                *(self._builder.expansions("body", prefix, language) for prefix in prefixes)
            )
            marker = (
                word_marker(terms, prefixes, language, marked.phrases)
                if terms or prefixes or marked.phrases
                else None
            )
            query_terms = terms.union(term for phrase in marked.phrases for term, _ in phrase.terms)
            self._markers[language] = (marker, _query_terms_in(language, query_terms, self._idf))
        return self._markers[language]

    def attach(
        self, articles: list[dict], docnums: Sequence[int], deadline: float | None = None
    ) -> int:
        """Appends each article's sections to its ``sections`` (``docnums``: the articles'
        documents). Reads the searcher: called holding it.

        Past ``deadline`` (``time.monotonic``), the articles left are not read for matches
        (a long article whose every word a query of short prefixes marks took a tenth of a
        second): each gets its opening, as one matched outside its text does. Returns how
        many did."""
        if not articles or (self._parsed.is_empty and not self._snippets):
            return 0
        unmatched = 0
        for article, docnum in zip(articles, docnums, strict=True):
            in_time = deadline is None or time.monotonic() < deadline
            unmatched += not in_time
            article["sections"].extend(self._sections(article["language"], docnum, in_time))
        return unmatched

    def _sections(
        self, language: str | None, docnum: int, matched: bool = True
    ) -> list[dict[str, Any]]:
        # Not matched (out of time): no marker is built for it, and its opening is shown.
        marker, terms_in = (
            self._marker_for(language or DEFAULT_LANGUAGE) if matched else (None, None)
        )
        snippets = self._snippets
        scored = []
        opening = None
        for stored, text in sections_to_read(self._snapshot.sections_of(docnum)):
            opening = opening or (stored, text)
            if marker is None:
                break
            heading = stored.get("section_heading") or ""
            if snippets:
                # Matched once, on the text as its snippet shows it: the snippet reuses them.
                body_hits = marker.spans(text)
                body_marked = {text[s:e].casefold() for s, e in body_hits}
                body_count = len(body_hits)
            else:
                body_hits = []
                body_marked, body_count = marker.tally(text)
            heading_marked, heading_count = marker.tally(heading)
            if not body_count and not heading_count:
                continue
            # The query's words a section has: "Australia" and "Australia's" are one.
            marked = {}
            for word in body_marked | heading_marked:
                marked.update(terms_in(word))
            scored.append(
                (
                    section_rank(marked, heading_count, body_count),
                    stored["section_index"],
                    stored,
                    text,
                    body_hits,
                )
            )
        if not scored and snippets and opening:
            # Matched by its title, tags or author alone (or listed by filters): the start
            # of its text says what it is about, with nothing marked.
            stored, text = opening
            scored.append(((0, 0, 0.0, 0), stored["section_index"], stored, text, []))
        # By their rank, the highest first; sections that tie, in the article's order.
        scored.sort(key=lambda item: (tuple(-value for value in item[0]), item[1]))
        sections = []
        for _, _, stored, text, body_hits in scored[:MAX_SECTIONS_PER_RESULT]:
            section = {"heading": stored.get("section_heading") or None, "anchor": stored["anchor"]}
            if snippets:
                section["snippet"] = snippet_of(text, body_hits, terms_in=terms_in).render()
            sections.append(section)
        return sections


def section_rank(
    marked: dict[str, float], heading_count: int, body_count: int
) -> tuple[int, int, float, int]:
    """What orders an article's matched sections, the highest first: how many of the
    query's words it has (``marked``: each with its idf), then marks in its heading, then
    the rarer words, then most marks. The idf is summed exactly (``fsum``): a plain sum
    depends on the order of the words, which a set gives differently in each process, and
    two sections tied but for the last digit would swap places from one server to another."""
    return len(marked), heading_count, fsum(marked.values()), body_count


def _idf_of(snapshot: Snapshot) -> Callable[[str], float]:
    """A term's BM25 idf in article bodies (ranking's idf of a word, but for its other
    fields and spellings), from the document frequencies the search has just looked up
    (``Postings.doc_frequency`` keeps them)."""
    searcher = snapshot.searcher
    articles = article_count(searcher)
    frequency = partial(snapshot.postings.doc_frequency, searcher, "body")
    return cache(lambda term: bm25_idf(articles, frequency(term.encode("utf-8"))))


def _query_terms_in(
    language: str, query_terms: frozenset[str], idf: Callable[[str], float]
) -> QueryTermsIn:
    """What a marked string (casefolded) of a text in ``language`` is of the query: the
    query's terms its words give, with their idf (a string no query term accounts for, as
    a word a prefix reaches past its expansions, is a term of its own, weighing nothing)."""
    analyzer = analyzer_for(language)

    @cache
    def terms_in(marked: str) -> dict[str, float]:
        # A marked string's own few terms are looked up among the query's, not the query's
        # among them: a query of prefixes has thousands of terms.
        terms = [term for term in analyzer.term_positions(marked) if term in query_terms]
        return {term: idf(term) for term in terms} or {marked: 0.0}

    return terms_in


def result_facets(snapshot: Snapshot, docs: np.ndarray) -> dict[str, list[dict[str, Any]]]:
    """Counts by tag, source, language and year over the whole result set."""
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in ("source", "language", "year"):
        codes, values = snapshot.facet_codes[name]
        counts = _counted(np.bincount(codes[docs], minlength=len(values)), values)
        if name == "year":
            ordered = sorted(counts, reverse=True)
        else:
            ordered = sorted(counts, key=lambda item: (-item[1], item[0]))
        facets[name] = [{"value": value, "count": count} for value, count in ordered]
    starts, tag_codes, tags = snapshot.tags_by_doc
    counts = np.bincount(tag_codes[_runs(starts[docs], starts[docs + 1])], minlength=len(tags))
    present = np.flatnonzero(counts)
    # Tags are coded in lexicon order (of their folded terms): ties go by name, case and
    # accents aside.
    top = present[np.lexsort((present, -counts[present]))][:FACET_LIMIT]
    ordered_tags = [(tags[code], int(counts[code])) for code in top]
    return {
        "tags": [{"value": tag, "count": count} for tag, count in ordered_tags],
        "source": facets["source"],
        "language": facets["language"],
        "year": facets["year"],
    }


def _runs(firsts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The indexes ``first, first + 1, ... end - 1`` of every run, one after another."""
    lengths = ends - firsts
    run_starts = np.cumsum(lengths) - lengths  # where each run begins in the result
    return np.arange(int(lengths.sum())) + np.repeat(firsts - run_starts, lengths)


def _counted(counts: np.ndarray, values: list[str]) -> list[tuple[str, int]]:
    """(value, count) of the values counted at least once, "no value" left out."""
    return [(values[code], int(counts[code])) for code in np.flatnonzero(counts) if values[code]]


def _cased_like(word: str, replacement: str) -> str:
    """The correction written as the reader wrote the word: "Fayad" -> "Fayadh", "UNESKO"
    -> "UNESCO" (the vocabulary's words are folded, lowercase)."""
    if word.isupper() and len(word) > 1:
        return replacement.upper()
    if word[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _suggest(
    snapshot: Snapshot,
    request: SearchRequest,
    parsed: ParsedQuery,
    total: int,
    filter_docs: np.ndarray | None,
    time_budget_s: float,
) -> str | None:
    """The query with misspelt words corrected, offered only if more articles have all its
    words than ``total`` have all the query's; before that, a name typed as words, as a
    search of the authors ("Moreau": "author:Moreau"), offered alike: plain words search
    the articles' text, not their bylines.

    Only the first few words are looked at: a correction of a reader's short query is what
    helps, and each look-up walks the vocabulary."""
    deadline = time.monotonic() + time_budget_s
    by_author = _as_author_search(parsed)
    if by_author and _more_match(snapshot, parsed, by_author, total, filter_docs, deadline):
        return by_author
    corrected = request.q
    # The vocabulary holds the words of titles and texts: a title's words are corrected too.
    words = [
        word
        for clause in parsed.positive_clauses()
        if clause.kind in ("word", "phrase")
        and ("body" in clause.fields or "title" in clause.fields)
        for word in re.findall(r"\w+", clause.text)
    ]
    for word in words[:MAX_CORRECTED_WORDS]:
        replacement = correct_word(snapshot.vocabulary, word, deadline, parsed.languages)
        if replacement is None:
            continue
        # Replace the word where the reader searched it: not inside a field name, nor in
        # another field's value ("author:Oiwn": authors are not in the vocabulary), nor
        # where it is excluded ("-title:cambodai cambodai"), nor beside a * that no
        # correction makes a wildcard ("*ism" is no misspelling of "i'm").
        after_title = r"(?<=(?<![\w-])(?i:title):)"
        pattern = rf"(?:{after_title}|(?<![\w:*]))(?<!(?<!\w)-){re.escape(word)}(?![\w:*])"
        corrected = re.sub(pattern, _cased_like(word, replacement), corrected, count=1)
    # Names are not in that vocabulary, but in the authors': "author:Oiwn" is "author:Oiwan".
    names = [
        word
        for clause in parsed.positive_clauses()
        if clause.fields == ("author",)
        for word in re.findall(r"\w+", clause.text)
    ]
    for word in names[:MAX_CORRECTED_WORDS]:
        replacement = correct_word(snapshot.author_vocabulary, word, deadline)
        if replacement is not None:
            corrected = _in_author_values(corrected, word, _cased_like(word, replacement))
    if corrected == request.q:
        return None
    return (
        corrected
        if _more_match(snapshot, parsed, corrected, total, filter_docs, deadline)
        else None
    )


# What an author: field searches: a word, a quoted name or a bracketed group. Not excluded.
_AUTHOR_VALUE_RE = re.compile(r'(?<![\w-])(?i:author):("[^"]*"|\([^()]*\)|[^\s()"]+)')


def _in_author_values(query: str, word: str, replacement: str) -> str:
    """``query`` with the first ``word`` searched as an author's replaced."""
    word_re = re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")
    for match in _AUTHOR_VALUE_RE.finditer(query):
        value = match.group(1)
        changed = word_re.sub(lambda _: replacement, value, count=1)
        if changed != value:
            return query[: match.start(1)] + changed + query[match.end(1) :]
    return query


# A name is a few words: "Moreau", "Ana Reyes", "Jean-Paul Sartre".
MAX_NAME_WORDS = 3


def _as_author_search(parsed: ParsedQuery) -> str | None:
    """The query as a search of the authors, when it is only a few plain words."""
    clauses = parsed.tree.children
    if parsed.tree.any_of or not 0 < len(clauses) <= MAX_NAME_WORDS:
        return None
    if not all(
        isinstance(clause, Clause)
        and clause.kind == "word"
        and not clause.negated
        and "body" in clause.fields
        for clause in clauses
    ):
        return None
    # One name, as a phrase: two words of a query are not two authors' ("Ana Petrov").
    name = " ".join(clause.text for clause in clauses if isinstance(clause, Clause))
    return f'author:"{name}"' if " " in name else f"author:{name}"


def _more_match(
    snapshot: Snapshot,
    parsed: ParsedQuery,
    query: str,
    total: int,
    filter_docs: np.ndarray | None,
    deadline: float,
) -> bool:
    """Whether more articles than ``total`` have every word of ``query``."""
    if time.monotonic() > deadline:
        return False
    builder = QueryBuilder(snapshot.searcher.reader(), parsed.languages, deadline=deadline)
    matched, _ = _matching(
        snapshot, builder.build(parse(query, parsed.languages)), filter_docs, deadline
    )
    return len(matched) > total
