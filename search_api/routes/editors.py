"""Editors' endpoints: POST /related (for a draft), GET /feed.atom (a saved search)."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response

from indexer.errors import InvalidRequest
from indexer.formats.fields import clean_inline
from indexer.formats.records import text_blocks
from indexer.languages import detect_language, detector, likeliest_of
from search_api.articles import checked_related_limit, key_terms, related
from search_api.feeds import FEED_SIZE, MEDIA_TYPE, atom_feed, committed_at, first_indexed_times
from search_api.models import DraftRelatedResponse, DraftRequest
from search_api.routes.head import get_and_head
from search_api.routes.params import filter_request, json_body, unknown_parameter_notes
from search_api.routes.snapshots import CurrentSnapshot
from search_api.search import (
    SearchRequest,
    allowed_docs,
    build_search_request,
    listed_filter_notes,
    out_of_time,
    search,
)

router = APIRouter()

MAX_DRAFT_TITLE = 1_000
MAX_DRAFT_TEXT = 200_000
MAX_EXCLUDE = 1_000
NO_WORD_TO_RELATE_BY = (
    "the draft has no word to relate stories by: a word in none of the archive's articles, "
    "or in too many of them, says nothing of what a story is about"
)


@router.post(
    "/related",
    response_model=DraftRelatedResponse,
    summary="Related stories for a draft",
    dependencies=[Depends(json_body)],
)
async def related_draft_endpoint(
    request: Request, snapshot: CurrentSnapshot, body: DraftRequest
) -> dict[str, Any]:
    """Published stories related to a draft that is not in the archive (and is not added to
    it): those in the draft's language (`lang`, or detected) sharing its most distinctive
    words, each with the `shared_terms` that make it related and its best matching section.
    Its title and text may be HTML, as a CMS holds them. Filter by date, tag and source;
    `exclude` the stories already linked. Notes say why stories may be missing, as /search's
    do."""
    if len(body.title) > MAX_DRAFT_TITLE:
        raise InvalidRequest(f"title must be at most {MAX_DRAFT_TITLE} characters")
    if len(body.text) > MAX_DRAFT_TEXT:
        raise InvalidRequest(f"text must be at most {MAX_DRAFT_TEXT} characters")
    checked_related_limit(body.limit)
    if len(body.exclude) > MAX_EXCLUDE:
        raise InvalidRequest(f"exclude at most {MAX_EXCLUDE} ids (got {len(body.exclude)})")
    filters = build_search_request(
        date_from=body.date_from,
        date_to=body.date_to,
        tags=[body.tag] if isinstance(body.tag, str) else body.tag or [],
        source=body.source,
        language=body.language,
    )
    default_language = request.app.state.settings.default_language

    def read_draft() -> tuple[str, str]:
        # Read as the indexer reads an article's title and body (HTML of 200,000 characters
        # takes 15 ms): a draft pasted from a CMS was related by its markup's words
        # ("script", "src", "https", "wp-content").
        title = clean_inline(body.title)
        text = "\n\n".join(block.text for block in text_blocks(body.text))
        if not (title or text.strip()):
            raise InvalidRequest("the draft has no title nor text to find related stories by")
        if not filters.language:
            detector()  # a worker's first draft loads the model here, not holding the searcher
        return title, text

    title, text = await snapshot.run_without_searcher(read_draft)

    def answer() -> dict[str, Any]:
        draft = f"{title}\n\n{text}"
        languages = snapshot.languages  # most common first
        # Not a language the archive has not: no story would be related.
        fallback = default_language if default_language in languages else languages[0]
        language = (
            filters.language or detect_language(draft) or likeliest_of(draft, languages) or fallback
        )
        key = key_terms(snapshot, title, text, language)
        results = related(
            snapshot,
            title,
            key,
            limit=body.limit,
            exclude=set(body.exclude),
            filter_docs=allowed_docs(snapshot, filters),
            language=language,
        )
        # The language the draft was read in filters its stories as /search's lang does.
        notes = listed_filter_notes(snapshot, replace(filters, language=language), results)
        if not key.terms:
            notes.append(NO_WORD_TO_RELATE_BY)
        return {
            "results": results,
            "terms": [key.words[term] for term, _ in key.terms],
            "language": language,
            "notes": notes,
            "index_version": snapshot.version,
        }

    return await snapshot.run(answer)


# async, so it runs in the event loop, not in a thread of the pool: see routes/params.py
async def feed_request(
    request: Annotated[SearchRequest, Depends(filter_request)],
) -> SearchRequest:
    """The newest ``FEED_SIZE`` articles a query and its filters find."""
    return replace(request, page_size=FEED_SIZE, sort="date")


@get_and_head(
    router,
    "/feed.atom",
    summary="Atom feed of a saved search",
    response_class=Response,
    responses={
        200: {
            "content": {
                "application/atom+xml": {
                    "example": "<?xml version='1.0' encoding='utf-8'?>\n<feed xmlns=\""
                    'http://www.w3.org/2005/Atom"><id>urn:advosearch:feed:…</id><title>'
                    "advosearch: “internet shutdown”</title><updated>2020-08-05T00:00:00Z"
                    "</updated>…<entry><id>urn:advosearch:article:gv/india-shutdown</id>"
                    "<title>India orders internet shutdown in Kashmir</title><updated>"
                    '2020-08-05T00:00:00Z</updated><link rel="alternate" href="…"/>'
                    '<summary type="text">Authorities imposed an internet shutdown…'
                    "</summary></entry></feed>"
                }
            },
            "description": "An Atom 1.0 feed (RFC 4287).",
        },
        304: {"description": "The feed named by `If-None-Match` has not changed."},
    },
)
async def feed_endpoint(
    request: Request,
    snapshot: CurrentSnapshot,
    search_request: Annotated[SearchRequest, Depends(feed_request)],
) -> Response:
    """The newest 50 articles matching a query and filters, as an Atom feed any feed reader
    turns into an alert. Entry ids (`urn:advosearch:article:{id}`) stay the same across
    index updates; `updated` is the article's date (an undated article's: when it was first
    indexed); the summary is the matched snippet. An `ETag` names the feed: sent back in
    `If-None-Match`, it gets a 304 until the index changes."""
    state = request.app.state
    budget = state.settings.search_time_budget_s
    # The same request on the same index version gives the same bytes: a feed reader that
    # polls every hour gets them once per change, not once per poll.
    tag = _feed_etag(snapshot.version, str(request.url))
    # A feed reader keeps a feed and asks again with its ETag; no shared cache may keep it.
    headers = {
        "X-Index-Version": snapshot.version,
        "ETag": tag,
        "Cache-Control": "private, no-cache",
    }
    if _etags(request.headers.get("if-none-match", "")) & {tag, "*"}:
        return Response(status_code=304, headers=headers)

    def answer() -> tuple[bytes, bool]:
        # Exact: an alert for every new article with one word of three would be noise.
        response = search(snapshot, search_request, budget, exact=True, suggest=False)
        # Said in the subtitle, as /search says them: "frm=" ignored without a word would
        # leave an alert's filter out, unseen.
        response["notes"].extend(unknown_parameter_notes(request))
        base = str(request.base_url).rstrip("/")
        params = [(k, v) for k, v in request.query_params.multi_items() if v]
        body = atom_feed(
            search_request,
            response,
            base_url=base,
            self_url=str(request.url),
            alternate_url=base + "/" + ("?" + urlencode(params) if params else ""),
            committed=committed_at(snapshot),
            first_indexed=first_indexed_times(snapshot, response["results"]),
        )
        return body, not out_of_time(response)

    body, complete = await snapshot.run(answer)
    if not complete:
        del headers["ETag"]  # cut short by the time budget: the next poll may find more
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


def _feed_etag(version: str, url: str) -> str:
    return '"' + hashlib.sha1(f"{version} {url}".encode()).hexdigest()[:20] + '"'


def _etags(if_none_match: str) -> set[str]:
    """The entity tags an ``If-None-Match`` header lists (RFC 9110 13.1.2), weak ones as
    their strong form: a feed's bytes are the same whichever."""
    return {part.strip().removeprefix("W/") for part in if_none_match.split(",") if part.strip()}
