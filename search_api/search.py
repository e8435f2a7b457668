"""Answering a search: query + filters -> ranked articles, matched sections, facets.

Ranking, ``total``, paging and facets run on article documents; the sections of the
articles on the page are then matched and snippeted from section documents.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector
from whoosh.sorting import FieldFacet

from indexer.analysis import fold
from indexer.errors import InvalidRequest
from search_api.engine import Snapshot
from search_api.query import (
    ParsedQuery,
    QueryBuilder,
    highlight_prefixes,
    highlight_terms,
    parse,
)
from search_api.snippets import build_snippet, match_spans

MAX_SECTIONS_PER_RESULT = 3
FACET_LIMIT = 20
FEW_RESULTS = 3  # below this many articles, a spelling suggestion is offered


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


MAX_QUERY_LENGTH = 1000
MAX_RESULT_DEPTH = 10_000


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
) -> SearchRequest:
    """A validated request: the one place API and CLI parameters are checked."""
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidRequest(f"q must be at most {MAX_QUERY_LENGTH} characters (got {len(q)})")
    if page < 1:
        raise InvalidRequest(f"page must be 1 or more (got {page})")
    if not 1 <= page_size <= 100:
        raise InvalidRequest(f"page_size must be between 1 and 100 (got {page_size})")
    if page * page_size > MAX_RESULT_DEPTH:
        raise InvalidRequest(
            f"page x page_size must be at most {MAX_RESULT_DEPTH} "
            f"(got page {page} with page_size {page_size})"
        )
    if sort not in ("relevance", "date"):
        raise InvalidRequest(f"sort must be relevance or date (got {sort!r})")
    start, end = _as_date("from", date_from), _as_date("to", date_to)
    if start and end and start > end:
        raise InvalidRequest(f"from ({start}) is after to ({end})")
    return SearchRequest(
        q=q,
        page=page,
        page_size=page_size,
        date_from=start,
        date_to=end,
        tags=[t for t in tags or [] if t.strip()],
        source=source or None,
        language=language or None,
        sort=sort,
    )


def _as_date(name: str, value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    if not value.strip():
        return None  # a form's empty date field means "no limit"
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a date like 2018-07-29 (got {value!r})") from None


def search(snapshot: Snapshot, request: SearchRequest, time_budget_s: float) -> dict[str, Any]:
    started = time.perf_counter()
    searcher = snapshot.searcher
    parsed = parse(request.q)
    builder = QueryBuilder(searcher.reader())
    filter_docs = _filter_docs(snapshot, request)

    partial = False
    notes: list[str] = []
    whoosh_query = builder.build(parsed)
    results, timed_out = _run(snapshot, whoosh_query, request, filter_docs, time_budget_s)
    if results.scored_length() == 0 and parsed.positive_count() > 1 and not timed_out:
        # Nothing has every word: rank articles by how many of the words they have.
        whoosh_query = builder.build(parsed, any_of=True)
        results, timed_out = _run(snapshot, whoosh_query, request, filter_docs, time_budget_s)
        if results.scored_length():
            partial = True
            notes.append("no article matches all the words; showing articles that match some")
    if timed_out:
        partial = True
        notes.append("the search ran out of time; results may be incomplete")
    if builder.expanded_too_much:
        partial = True
        notes.extend(builder.expanded_too_much)

    total = len(results)
    offset = (request.page - 1) * request.page_size
    page_hits = [results[i] for i in range(offset, min(offset + request.page_size, total))]
    by_relevance = request.sort != "date"
    articles = [
        _article_result(hit.fields(), hit.score if by_relevance else None) for hit in page_hits
    ]
    _attach_sections(snapshot, articles, parsed, builder)

    suggestion = None
    if (total < FEW_RESULTS or partial) and not parsed.is_empty:
        # A partial answer matched no article with all the words: that is what to beat.
        exact_total = 0 if partial else total
        suggestion = _suggest(snapshot, request, parsed, exact_total, filter_docs, time_budget_s)

    return {
        "query": request.q,
        "parsed_query": parsed.display,
        "total": total,
        "page": request.page,
        "page_size": request.page_size,
        "results": articles,
        "facets": _facets(snapshot, results),
        "suggestion": suggestion,
        "partial": partial,
        "notes": notes,
        "index_version": snapshot.version,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def _run(
    snapshot: Snapshot,
    whoosh_query: wq.Query,
    request: SearchRequest,
    filter_docs: frozenset[int] | None,
    time_budget_s: float,
) -> tuple[Any, bool]:
    """Search within the time budget.

    Whoosh breaks ties by document number, which is fixed within an index version, so pages
    of one version never repeat or skip an article.
    """
    searcher = snapshot.searcher
    whoosh_query, allow = whoosh_filter(whoosh_query, filter_docs)
    collector = searcher.collector(
        limit=request.page * request.page_size,
        sortedby=FieldFacet("date", reverse=True) if request.sort == "date" else None,
        groupedby={
            "source": FieldFacet("source"),
            "language": FieldFacet("language"),
            "year": FieldFacet("year"),
        },
        filter=allow,
    )
    limited = TimeLimitCollector(collector, timelimit=time_budget_s, use_alarm=False)
    try:
        searcher.search_with_collector(whoosh_query, limited)
    except TimeLimit:
        return limited.results(), True
    return limited.results(), False


def whoosh_filter(
    whoosh_query: wq.Query, filter_docs: frozenset[int] | None
) -> tuple[wq.Query, set[int] | None]:
    """The query and the ``filter=`` argument to give Whoosh for the allowed documents.

    Whoosh accepts a ``set`` but not a ``frozenset``, and it reads an empty filter as "no
    filter": when no article passes the filters, the query itself must match nothing.
    """
    if filter_docs is None:
        return whoosh_query, None
    if not filter_docs:
        return wq.NullQuery, None
    return whoosh_query, set(filter_docs)


def _filter_docs(snapshot: Snapshot, request: SearchRequest) -> frozenset[int] | None:
    """Article documents passing the filters, or None when there are none."""
    clauses: list[wq.Query] = []
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
        clauses.append(wq.DateRange("date", start, end))
    clauses.extend(wq.Term("tag", fold(tag).strip()) for tag in request.tags)
    if request.source:
        clauses.append(wq.Term("source", request.source))
    if request.language:
        clauses.append(wq.Term("language", request.language))
    if not clauses:
        return None
    key = (
        request.date_from,
        request.date_to,
        tuple(sorted(request.tags)),
        request.source,
        request.language,
    )
    return snapshot.filter_docs(key, wq.And(clauses))


def _article_result(stored: dict[str, Any], score: float | None) -> dict[str, Any]:
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
    }


def _attach_sections(
    snapshot: Snapshot, articles: list[dict], parsed: ParsedQuery, builder: QueryBuilder
) -> None:
    """Up to three matched sections per article, best first, each with a snippet."""
    prefixes = highlight_prefixes(parsed)
    # A prefix marks the words it was expanded to, whose stems need not start with it
    # ("journalists*" reaches the stem "journalist", so it marks "journalist's" too).
    terms = highlight_terms(parsed).union(
        *(builder.expansions("body", prefix) for prefix in prefixes)
    )
    if not articles or not (terms or prefixes):
        return
    searcher = snapshot.searcher
    by_article: dict[str, list[tuple[int, dict]]] = defaultdict(list)
    ids_query = wq.Or([wq.Term("article_id", article["id"]) for article in articles])
    for docnum in searcher.docs_for_query(wq.And([wq.Term("kind", "section"), ids_query])):
        stored = searcher.stored_fields(docnum)
        by_article[stored["article_id"]].append((docnum, stored))
    for article in articles:
        scored = []
        for _docnum, stored in by_article.get(article["id"], []):
            heading = stored.get("section_heading") or ""
            text = stored.get("text") or ""
            body_hits = match_spans(text, terms, prefixes)
            heading_hits = match_spans(heading, terms, prefixes)
            if not body_hits and not heading_hits:
                continue
            distinct = {text[s:e].casefold() for s, e in body_hits} | {
                heading[s:e].casefold() for s, e in heading_hits
            }
            scored.append(
                (
                    (len(distinct), len(heading_hits), len(body_hits)),
                    stored["section_index"],
                    stored,
                )
            )
        scored.sort(key=lambda item: (-item[0][0], -item[0][1], -item[0][2], item[1]))
        for _, _, stored in scored[:MAX_SECTIONS_PER_RESULT]:
            snippet = build_snippet(stored.get("text") or "", terms, prefixes)
            heading = stored.get("section_heading") or None
            article["sections"].append(
                {
                    "heading": heading,
                    "anchor": stored["anchor"],
                    "snippet": snippet.render(),
                }
            )


def _facets(snapshot: Snapshot, results: Any) -> dict[str, list[dict[str, Any]]]:
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in ("source", "language", "year"):
        groups = results.groups(name)
        counts = [(value, len(docs)) for value, docs in groups.items() if value]
        counts.sort(key=lambda item: (-item[1], str(item[0])))
        if name == "year":
            counts.sort(key=lambda item: str(item[0]), reverse=True)
        facets[name] = [{"value": str(value), "count": count} for value, count in counts]
    tag_counts: Counter[str] = Counter()
    tags_by_doc = snapshot.tags_by_doc
    for docnum in results.docs():
        tag_counts.update(tags_by_doc.get(docnum, ()))
    ordered = sorted(tag_counts.items(), key=lambda item: (-item[1], item[0]))[:FACET_LIMIT]
    facets["tags"] = [{"value": tag, "count": count} for tag, count in ordered]
    return {
        "tags": facets["tags"],
        "source": facets["source"],
        "language": facets["language"],
        "year": facets["year"],
    }


SPELLING_FIELDS = ("spell_body", "spell_title")


def correct_word(reader: Any, word: str) -> str | None:
    """The most frequent real word of the corpus within one, then two, edits of ``word``;
    None when ``word`` is itself a word of the corpus or nothing is close."""
    folded = fold(word)
    if len(folded) < 3 or folded.isdigit():
        return None
    fields = [name for name in SPELLING_FIELDS if name in reader.indexed_field_names()]
    if any(reader.doc_frequency(name, folded) for name in fields):
        return None
    for distance in (1, 2):
        candidates = {
            candidate
            for name in fields
            for candidate in reader.terms_within(name, folded, distance, prefix=1)
        }
        if candidates:
            return max(
                sorted(candidates),
                key=lambda c: sum(reader.doc_frequency(name, c) for name in fields),
            )
    return None


def _suggest(
    snapshot: Snapshot,
    request: SearchRequest,
    parsed: ParsedQuery,
    total: int,
    filter_docs: frozenset[int] | None,
    time_budget_s: float,
) -> str | None:
    """The query with misspelt words corrected, offered only if it finds more articles."""
    reader = snapshot.searcher.reader()
    corrected = request.q
    for clause in parsed.positive_clauses():
        if clause.kind != "word" or "body" not in clause.fields:
            continue
        for word in re.findall(r"\w+", clause.text):
            replacement = correct_word(reader, word)
            if replacement is None:
                continue
            # Replace the word where the reader typed it, not inside a field name.
            pattern = rf"(?<![\w:]){re.escape(word)}(?![\w:])"
            corrected = re.sub(pattern, replacement, corrected, count=1)
    if corrected == request.q:
        return None
    probe = SearchRequest(**{**request.__dict__, "q": corrected, "page": 1, "page_size": 1})
    query = QueryBuilder(reader).build(parse(corrected))
    results, _ = _run(snapshot, query, probe, filter_docs, time_budget_s)
    return corrected if len(results) > total else None
