"""Query parameters shared by every endpoint that answers a query: the query and its filters.

Each is declared once, with its description and example, so /search, /search/counts,
/export and /feed.atom document them alike. Ranges and dates are checked by
``build_search_request``, not here: it is the one place API and CLI parameters are checked,
so a bad value is a 400 with its message. The schema still documents them.

The dependencies that read them are ``async def``: checking parameters costs less than a
thread, and FastAPI runs a plain ``def`` dependency in anyio's thread pool, which starts a
thread (with a malloc arena of its own) whenever none is idle. Request work runs in the event
loop or on the engine's search threads (see ``search_api.engine.SEARCH_THREADS``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Any, Literal, get_origin

from fastapi import Depends, Query, Request

from indexer.errors import InvalidRequest, UnsupportedMediaType
from search_api.models import OPTIONAL_DATE
from search_api.search import SearchRequest, build_search_request

QueryText = Annotated[
    str,
    Query(
        description='The query: words (all must match), "phrases", -exclusions, OR, '
        "title:/tag:/author: fields, prefix*. At most 1,000 characters.",
        examples=["journalists arrested", '"internet shutdown" -india', "title:cambodia"],
        json_schema_extra={"maxLength": 1000},
    ),
]
DateFrom = Annotated[
    str | None,
    Query(
        alias="from",
        description="Earliest publication date (inclusive), YYYY-MM-DD; a month (YYYY-MM) or a "
        "year (YYYY) from its first day.",
        examples=["2018-01-01"],
        json_schema_extra=OPTIONAL_DATE,
    ),
]
DateTo = Annotated[
    str | None,
    Query(
        alias="to",
        description="Latest publication date (inclusive), YYYY-MM-DD; a month (YYYY-MM) or a "
        "year (YYYY) to its last day.",
        examples=["2018-12-31"],
        json_schema_extra=OPTIONAL_DATE,
    ),
]
Tags = Annotated[
    list[str],
    Query(
        description="Only articles with this tag; repeat for several (all must hold).",
        examples=[["freespeech"]],
    ),
]
Source = Annotated[
    str | None, Query(description="Only articles from this source.", examples=["globalvoices"])
]
Language = Annotated[
    str | None,
    Query(
        alias="lang",
        description="Only articles in this language (a code such as es), the query analysed in "
        "it. Without it, the query is analysed in each language of the index and every "
        "article is ranked on one scale.",
        examples=["es"],
    ),
]
Sort = Annotated[
    Literal["relevance", "date"],
    Query(description="relevance (default) or date (newest first).", examples=["relevance"]),
]


def _query_fields(dependant: Any) -> Iterator[Any]:
    yield from dependant.query_params
    for dependency in dependant.dependencies:
        yield from _query_fields(dependency)


def _declared(request: Request) -> dict[str, Any]:
    """The query parameters of the request's endpoint, by name."""
    return {field.alias: field for field in _query_fields(request.scope["route"].dependant)}


def check_given_once(request: Request) -> None:
    """Refuse a parameter of one value given several times: FastAPI would take the last
    one, and ``source=drw&source=iff`` would search iff alone, unseen."""
    for name, field in _declared(request).items():
        values = request.query_params.getlist(name)
        if len(values) > 1 and get_origin(field.field_info.annotation) is not list:
            raise InvalidRequest(f"{name} takes one value (got {len(values)}: {', '.join(values)})")


# Unknown parameters named one by one in notes; a request with more is told how many.
MAX_NAMED_UNKNOWN_PARAMETERS = 5


def unknown_parameter_notes(request: Request) -> list[str]:
    """Notes on the parameters the endpoint does not take: "frm=" ignored without a word
    would leave a researcher's filter out, unseen. At most ``MAX_NAMED_UNKNOWN_PARAMETERS``
    are named (notes go in a header, for CSV)."""
    declared = _declared(request)
    # A parameter without a name ("&=x", a link's slip) is no filter anyone meant.
    names = dict.fromkeys(request.query_params.keys())
    unknown = [name for name in names if name and name not in declared]
    notes = [
        f"{name} is not a parameter of {request.url.path}: it was ignored"
        for name in unknown[:MAX_NAMED_UNKNOWN_PARAMETERS]
    ]
    if len(unknown) > MAX_NAMED_UNKNOWN_PARAMETERS:
        more = len(unknown) - MAX_NAMED_UNKNOWN_PARAMETERS
        notes.append(f"{more} more parameters {request.url.path} does not take were ignored")
    return notes


async def filter_request(
    request: Request,
    q: QueryText = "",
    date_from: DateFrom = None,
    date_to: DateTo = None,
    tag: Tags = [],  # noqa: B006 - FastAPI copies defaults per request
    source: Source = None,
    language: Language = None,
) -> SearchRequest:
    """A query and its filters, for endpoints that answer with the whole result set."""
    check_given_once(request)
    return build_search_request(
        q=q, date_from=date_from, date_to=date_to, tags=tag, source=source, language=language
    )


async def ordered_request(
    request: Annotated[SearchRequest, Depends(filter_request)], sort: Sort = "relevance"
) -> SearchRequest:
    """A query and its filters, and the order its whole result set is given in."""
    return replace(request, sort=sort)


async def json_body(request: Request) -> None:
    """Refuses a body not sent as JSON: FastAPI does not read one sent as a form (what
    ``curl -d`` sends) or as plain text, and its "Input should be a valid dictionary" names
    the wrong problem."""
    headers = request.headers
    content_type = headers.get("content-type", "")
    if headers.get("content-length", "0") == "0" and "transfer-encoding" not in headers:
        return  # no body: FastAPI says it is required
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            "send the body as JSON, with the header Content-Type: application/json (got "
            + (f"Content-Type: {content_type})" if content_type else "no Content-Type)")
        )
