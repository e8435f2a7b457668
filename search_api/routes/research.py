"""Researchers' endpoints: GET /search/counts, GET /export, POST /search/batch."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse

from indexer.analysis import fold
from indexer.errors import InvalidRequest
from search_api.models import BatchRequest, BatchResponse, CountsResponse
from search_api.research import (
    batch_answer,
    check_batch,
    counts,
    counts_csv,
    export_csv,
    export_jsonl,
    query_budgets,
    result_set,
)
from search_api.routes.head import get_and_head
from search_api.routes.params import (
    filter_request,
    json_body,
    ordered_request,
    unknown_parameter_notes,
)
from search_api.routes.snapshots import CurrentSnapshot
from search_api.search import SearchRequest, build_search_request

router = APIRouter()

CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/x-ndjson; charset=utf-8"


# The longest X-Parsed-Query or X-Notes, encoded: nginx reads a response's headers into one
# buffer of 4 KB by default (proxy_buffer_size), and answers 502 for the whole response when
# they do not fit (a 1,000-character Arabic query read in three languages made 9,101 bytes).
MAX_TEXT_HEADER_BYTES = 1200


def provenance_headers(
    index_version: str, parsed_query: str, notes: Iterable[str] = ()
) -> dict[str, str]:
    """Which index version answered, how the query was read and the notes on it (one
    after the other, "; " between them), for bodies with no room for them (CSV, JSONL):
    percent-encoded UTF-8, spaces kept but at either end (no header value begins or ends
    with one: the HTTP server would drop the connection), cut with "…" past
    ``MAX_TEXT_HEADER_BYTES``."""
    headers = {
        "X-Index-Version": index_version,
        "X-Parsed-Query": _text_header(parsed_query),
    }
    said = "; ".join(note.strip() for note in notes)
    if said:
        headers["X-Notes"] = _text_header(said)
    return headers


def _text_header(text: str) -> str:
    encoded = quote(text.strip(), safe=" ")
    if len(encoded) <= MAX_TEXT_HEADER_BYTES:
        return encoded
    # The longest start of the text that fits with its "…", cut between characters.
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if len(quote(text[:middle].strip() + "…", safe=" ")) <= MAX_TEXT_HEADER_BYTES:
            low = middle
        else:
            high = middle - 1
    return quote(text[:low].strip() + "…", safe=" ")


# The longest part of an export's file name its query and filters make: a file system's
# names stop at 255 bytes.
MAX_EXPORT_SLUG = 80


def export_slug(search_request: SearchRequest) -> str:
    """What an export's file name says of its request, ending in "-": the query's words and
    the filters, folded to ASCII ("internet-shutdown-source-gv-"), so that exports of other
    queries of one index version are other files (``curl -OJ`` refused to write the second
    over the first); empty for what ASCII cannot spell."""
    parts = [
        search_request.q,
        *(f"{name} {value}" for name, value in _filters(search_request) if value),
    ]
    slug = ""
    for word in re.findall(r"[a-z0-9]+", fold(" ".join(parts)).encode("ascii", "ignore").decode()):
        if len(slug) + len(word) + 1 > MAX_EXPORT_SLUG:
            break  # whole words only
        slug += f"{word}-"
    return slug


def _filters(search_request: SearchRequest) -> list[tuple[str, object]]:
    return [
        ("from", search_request.date_from),
        ("to", search_request.date_to),
        *(("tag", tag) for tag in search_request.tags),
        ("source", search_request.source),
        ("lang", search_request.language),
        ("sort", "date" if search_request.sort == "date" else None),
    ]


@get_and_head(
    router,
    "/search/counts",
    response_model=CountsResponse,
    summary="Matching articles per day, week, month or year",
    responses={
        200: {
            "content": {
                "text/csv": {
                    "example": "start,count,share,approximate\r\n"
                    "2020-06-01,1,0.5,0\r\n2020-07-01,0,0.0,0\r\n"
                }
            },
            "description": "JSON, or CSV (start,count,share,approximate) with format=csv.",
        }
    },
)
async def counts_endpoint(
    request: Request,
    snapshot: CurrentSnapshot,
    search_request: Annotated[SearchRequest, Depends(filter_request)],
    interval: Annotated[
        Literal["day", "week", "month", "year"],
        Query(description="Length of each interval (weeks start on Monday).", examples=["month"]),
    ] = "month",
    format: Annotated[
        Literal["json", "csv"],
        Query(description="json (default) or csv.", examples=["json"]),
    ] = "json",
) -> Any:
    """How many articles match in each interval, and their share of all the articles the
    same filters admit in that interval (as Media Cloud's counts over time). Every interval
    from `from` (or the first article) to `to` (or the last) is listed, empty ones with 0.
    Articles without a date are counted in a last bucket with `start: null` (`undated` in
    CSV), so the counts always add up to `total`: the articles that match the query as it
    reads (every word), with `group_translations=false`. Unlike /search, counts never add
    articles that have only some of the words."""
    response = await snapshot.run(counts, snapshot, search_request, interval)
    response["notes"] = [*response["notes"], *unknown_parameter_notes(request)]
    if format == "csv":
        return Response(
            counts_csv(response),
            media_type=CSV_TYPE,
            headers=provenance_headers(
                snapshot.version, response["parsed_query"], response["notes"]
            ),
        )
    return response


@get_and_head(
    router,
    "/export",
    summary="Every matching article, streamed as JSONL or CSV",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {
                "application/x-ndjson": {
                    "example": '{"rank":1,"id":"gv/india-shutdown","title":"India orders '
                    'internet shutdown in Kashmir","date":"2020-08-05","url":null,"authors":'
                    '["Rohan Mehta"],"tags":["India","internet"],"source":"globalvoices",'
                    '"language":"en","score":9.1234,"matched_sections":[{"heading":null,'
                    '"anchor":"intro"}]}\n'
                },
                "text/csv": {
                    "example": "rank,id,title,date,url,authors,tags,source,language,score,"
                    "matched_sections\r\n1,gv/india-shutdown,India orders internet shutdown "
                    'in Kashmir,2020-08-05,,Rohan Mehta,"India; internet",globalvoices,en,'
                    "9.1234,(intro)\r\n"
                },
            },
            "description": "One article per line (JSONL) or row (CSV), in /search's order.",
            "headers": {
                "X-Total-Count": {
                    "description": "How many articles follow.",
                    "schema": {"type": "integer"},
                },
                "X-Index-Version": {
                    "description": "The index version every article comes from.",
                    "schema": {"type": "string"},
                },
                "X-Parsed-Query": {
                    "description": "How the query was read (parsed_query), UTF-8, "
                    "percent-encoded but for letters, digits, spaces and -._~ "
                    '(%22internet shutdown%22 for "internet shutdown"); cut with "…" '
                    "(%E2%80%A6) at 1,200 bytes, so that a proxy's buffer for headers "
                    "holds them.",
                    "schema": {"type": "string"},
                },
                "X-Notes": {
                    "description": "The notes on how the request was read, when there "
                    'are any (a parameter the endpoint does not take, ignored), "; " '
                    "between them, encoded as X-Parsed-Query is.",
                    "schema": {"type": "string"},
                },
            },
        }
    },
)
async def export_endpoint(
    request: Request,
    snapshot: CurrentSnapshot,
    search_request: Annotated[SearchRequest, Depends(ordered_request)],
    format: Annotated[
        Literal["jsonl", "csv"],
        Query(description="jsonl (default: one JSON object a line) or csv.", examples=["csv"]),
    ] = "jsonl",
    bom: Annotated[
        bool,
        Query(
            description="CSV only: start with a UTF-8 byte order mark, so every spreadsheet "
            "reads the file as UTF-8.",
            examples=[True],
        ),
    ] = False,
) -> StreamingResponse:
    """Every article the query matches as it reads (every word: unlike /search, an export never adds
    articles that have only some of the words), with no cap, in the same order as /search (by
    relevance, equal scores in index order; or with sort=date newest first, articles of the same
    date the last indexed first), each with its metadata and the headings of its best matched
    sections (up to 3). Streamed as it is read: the server never holds all the articles. The
    whole export comes from one index version, named in the `X-Index-Version` header (and the
    file name); `X-Parsed-Query` says how the query was read and `X-Total-Count` how many
    articles follow."""
    found = await snapshot.run(partial(result_set, exact=True), snapshot, search_request)
    notes = [*found.notes, *unknown_parameter_notes(request)]
    if bom and format != "csv":
        notes.append("bom is for CSV only: a JSON Lines file has no byte order mark")
    headers = provenance_headers(snapshot.version, found.parsed.display, notes)
    headers["X-Total-Count"] = str(found.total)
    name = f"advosearch-{export_slug(search_request)}{snapshot.version}.{format}"
    headers["Content-Disposition"] = f'attachment; filename="{name}"'
    body: Iterable[bytes]
    if request.method == "HEAD":
        body = ()  # the headers are the whole answer: no article is read only to be dropped
    elif format == "csv":
        body = export_csv(snapshot, found, bom=bom)
    else:
        body = export_jsonl(snapshot, found)
    media_type = CSV_TYPE if format == "csv" else JSONL_TYPE
    return StreamingResponse(body, media_type=media_type, headers=headers)


@router.post(
    "/search/batch",
    response_model=BatchResponse,
    summary="Many queries at once",
    dependencies=[Depends(json_body)],
)
async def batch_endpoint(
    request: Request, snapshot: CurrentSnapshot, body: BatchRequest
) -> dict[str, Any]:
    """Up to 100 queries (same syntax and filters as /search) answered at once: for each,
    its total and its top `limit` article ids in /search's order, e.g. for a list of names
    or topics."""
    searches = []
    for number, query in enumerate(body.queries):
        try:
            searches.append(
                build_search_request(
                    q=query.q,
                    date_from=query.date_from,
                    date_to=query.date_to,
                    tags=[query.tag] if isinstance(query.tag, str) else query.tag or [],
                    source=query.source,
                    language=query.language,
                    sort=query.sort,
                )
            )
        except InvalidRequest as error:
            raise InvalidRequest(f"queries[{number}]: {error}") from None
    check_batch(searches, body.limit)
    budgets = query_budgets(request.app.state.settings.search_time_budget_s)
    results = []
    for search_request, budget in zip(searches, budgets, strict=False):
        # Each query takes its own turn at the searcher: in one turn, a batch kept every
        # reader's search waiting up to its five budgets (10 s), and answered 503.
        results.append(
            await snapshot.run(batch_answer, snapshot, search_request, body.limit, budget)
        )
    return {"results": results, "index_version": snapshot.version}
