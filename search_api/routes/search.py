"""GET /search."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from search_api.models import SearchResponse
from search_api.research import cursor_page, with_next_cursor
from search_api.routes.head import get_and_head
from search_api.routes.params import (
    DateFrom,
    DateTo,
    Language,
    QueryText,
    Sort,
    Source,
    Tags,
    check_given_once,
    unknown_parameter_notes,
)
from search_api.routes.snapshots import CurrentSnapshot
from search_api.search import SearchRequest, build_search_request, search

router = APIRouter()


# async, so it runs in the event loop, not in a thread of the pool: see routes/params.py
async def search_request(
    request: Request,
    q: QueryText = "",
    # Ranges are checked by build_search_request (see routes/params.py); the schema still
    # documents them.
    page: Annotated[
        int,
        Query(description="Page number, from 1.", examples=[1], json_schema_extra={"minimum": 1}),
    ] = 1,
    page_size: Annotated[
        int,
        Query(
            description="Articles per page (1-100).",
            examples=[10],
            json_schema_extra={"minimum": 1, "maximum": 100},
        ),
    ] = 10,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    tag: Tags = [],  # noqa: B006 - FastAPI copies defaults per request
    source: Source = None,
    language: Language = None,
    sort: Sort = "relevance",
    group_translations: Annotated[
        bool,
        Query(
            description="One result per story: translations of an article are listed in "
            "its `translations` instead of being results of their own.",
            examples=[True],
        ),
    ] = True,
    group_versions: Annotated[
        bool,
        Query(
            description="The versions of one text on a page (a report's passage written "
            "again year after year: one title, much of the text in common) are listed in "
            "the first one's `versions` (each with its `translations`) instead of being "
            "results of their own; the page "
            "then has fewer results, and the next one starts where it would have.",
            examples=[True],
        ),
    ] = True,
) -> SearchRequest:
    check_given_once(request)
    return build_search_request(
        q=q,
        page=page,
        page_size=page_size,
        date_from=date_from,
        date_to=date_to,
        tags=tag,
        source=source,
        language=language,
        sort=sort,
        group_translations=group_translations,
        group_versions=group_versions,
    )


Cursor = Annotated[
    str | None,
    Query(
        description="Deep paging: the `next_cursor` of the previous page, sent with the same "
        "q, filters, sort and page_size (instead of `page`). Walks the whole result set with "
        "no repeats or gaps, at any depth; a cursor sent with another page_size is refused "
        "with 400, one from an older index version with 409 (start again from the first "
        "page).",
        examples=["eyJ2IjoiMS1hYmNkZWYwMSIsImsiOiIwMTIzNDU2Nzg5YWJjZGVmIiwicCI6MTB9"],
    ),
]


@get_and_head(router, "/search", response_model=SearchResponse, summary="Search articles")
async def search_endpoint(
    request: Request,
    snapshot: CurrentSnapshot,
    search_request: Annotated[SearchRequest, Depends(search_request)],
    cursor: Cursor = None,
) -> dict[str, Any]:
    """Ranked articles (one result per article) with their matched sections and snippets,
    facets over the whole result set, and how the query was read. Each page gives the
    `next_cursor` of the page after it."""
    started = time.perf_counter()
    budget = request.app.state.settings.search_time_budget_s
    if cursor:
        response = await snapshot.run(
            cursor_page, snapshot, search_request, cursor, budget, started=started
        )
    else:
        response = await snapshot.run(search, snapshot, search_request, budget)
        last = -(-response["total"] // search_request.page_size)
        if response["total"] and search_request.page > last:
            # An empty page of results that exist: the reader's page says so in its words.
            response["notes"].append(f"page {search_request.page} is past the last page ({last})")
        response = with_next_cursor(snapshot, search_request, response)
    response["notes"].extend(unknown_parameter_notes(request))
    return response
