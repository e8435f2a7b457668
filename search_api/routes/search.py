"""GET /search."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool

from search_api.models import SearchResponse
from search_api.search import SearchRequest, build_search_request, search

router = APIRouter()


def search_request(
    q: Annotated[
        str,
        Query(
            description='The query: words (all must match), "phrases", -exclusions, OR, '
            "title:/tag:/author: fields, prefix*.",
            examples=["journalists arrested", '"internet shutdown" -india', "title:cambodia"],
        ),
    ] = "",
    # Ranges and dates are checked by build_search_request, not here: it is the one place
    # API and CLI parameters are checked, so a bad value is a 400 with its message. The
    # schema still documents them.
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
    date_from: Annotated[
        str | None,
        Query(
            alias="from",
            description="Earliest publication date (inclusive), YYYY-MM-DD.",
            examples=["2018-01-01"],
            json_schema_extra={"format": "date"},
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        Query(
            alias="to",
            description="Latest publication date (inclusive), YYYY-MM-DD.",
            examples=["2018-12-31"],
            json_schema_extra={"format": "date"},
        ),
    ] = None,
    tag: Annotated[
        list[str],
        Query(
            description="Only articles with this tag; repeat for several (all must hold).",
            examples=[["freespeech"]],
        ),
    ] = [],  # noqa: B006 - FastAPI copies defaults per request
    source: Annotated[
        str | None, Query(description="Only articles from this source.", examples=["globalvoices"])
    ] = None,
    language: Annotated[
        str | None, Query(description="Only articles in this language.", examples=["en"])
    ] = None,
    sort: Annotated[
        Literal["relevance", "date"],
        Query(description="relevance (default) or date (newest first).", examples=["relevance"]),
    ] = "relevance",
) -> SearchRequest:
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
    )


@router.get("/search", response_model=SearchResponse, summary="Search articles")
async def search_endpoint(
    request: Request, search_request: Annotated[SearchRequest, Depends(search_request)]
) -> dict[str, Any]:
    """Ranked articles (one result per article) with their matched sections and snippets,
    facets over the whole result set, and how the query was read."""
    state = request.app.state
    snapshot = state.engine.snapshot()
    return await run_in_threadpool(
        search, snapshot, search_request, state.settings.search_time_budget_ms / 1000
    )
