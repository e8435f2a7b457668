"""GET /articles/{id}, GET /articles/{id}/related, GET /health."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from indexer.errors import ArticleNotFound, IndexDamaged
from search_api.articles import (
    MAX_RELATED,
    checked_related_limit,
    get_article,
    related_to_article,
)
from search_api.engine import DAMAGED
from search_api.models import ArticleResponse, HealthResponse, RelatedResponse
from search_api.routes.head import get_and_head
from search_api.routes.params import (
    DateFrom,
    DateTo,
    Source,
    Tags,
    check_given_once,
    unknown_parameter_notes,
)
from search_api.routes.snapshots import CurrentSnapshot
from search_api.search import allowed_docs, build_search_request, listed_filter_notes

router = APIRouter()

ArticleId = Annotated[
    str, Path(description="The article's id.", examples=["seed/000_c7260968483372a2"])
]


def require_id(article_id: str, path: str) -> None:
    """An empty id (``/articles/``, or ``/articles`` with no id at all) names no article:
    say how to name one, not that no article has the id ''."""
    if not article_id:
        raise ArticleNotFound(f"give an article id: {path}")


@get_and_head(router, "/articles", include_in_schema=False)
async def no_article_id() -> None:
    # Without this route, /articles redirects to /articles/, an empty id.
    require_id("", "/articles/{id}")


@get_and_head(
    router,
    "/articles/{article_id:path}/related",
    response_model=RelatedResponse,
    summary="Related stories",
)
async def related_endpoint(
    request: Request,
    snapshot: CurrentSnapshot,
    article_id: ArticleId,
    limit: Annotated[
        int,
        Query(
            description="How many stories (1-50).",
            examples=[5],
            json_schema_extra={"minimum": 1, "maximum": MAX_RELATED},
        ),
    ] = 5,
    date_from: DateFrom = None,
    date_to: DateTo = None,
    tag: Tags = [],  # noqa: B006 - FastAPI copies defaults per request
    source: Source = None,
) -> dict[str, Any]:
    """Articles in this one's language sharing its most distinctive terms (not itself, not
    its copies, nor a translation of either); filter by date, tag and source, as /search
    does, with its notes."""
    require_id(article_id, "/articles/{id}/related")
    check_given_once(request)
    checked_related_limit(limit)
    filters = build_search_request(date_from=date_from, date_to=date_to, tags=tag, source=source)

    def answer() -> dict[str, Any]:
        article = get_article(snapshot, article_id)
        allowed = allowed_docs(snapshot, filters)
        results = related_to_article(snapshot, article, limit, filter_docs=allowed)
        notes = listed_filter_notes(snapshot, filters, results) + unknown_parameter_notes(request)
        return {"results": results, "index_version": snapshot.version, "notes": notes}

    return await snapshot.run(answer)


@get_and_head(
    router, "/articles/{article_id:path}", response_model=ArticleResponse, summary="One article"
)
async def article_endpoint(snapshot: CurrentSnapshot, article_id: ArticleId) -> dict[str, Any]:
    """The whole article with its sections; 404 when the id is unknown."""
    require_id(article_id, "/articles/{id}")
    article = await snapshot.run(get_article, snapshot, article_id)
    return {**article, "index_version": snapshot.version}


@get_and_head(router, "/health", response_model=HealthResponse, summary="Index status")
async def health(snapshot: CurrentSnapshot) -> dict[str, Any]:
    # Read before the server takes requests, and by the first request of a new version: a
    # health check then does not queue behind searches, which would make a busy worker
    # look dead.
    if snapshot.damaged:
        # A file of this version found damaged: searches that read it are 503s, and an
        # uptime check built on /health must hear of it too.
        raise IndexDamaged(DAMAGED)
    counts = snapshot.counts_if_read()
    articles, sections = counts or await snapshot.run(
        lambda: (snapshot.article_count, snapshot.section_count)
    )
    return {
        "ok": True,
        "articles": articles,
        "sections": sections,
        "index_version": snapshot.version,
    }
