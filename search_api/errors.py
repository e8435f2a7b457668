"""One error shape for every 4xx/5xx: ``{"error": {"code", "message"}}``.

Domain errors from ``indexer.errors`` are mapped to HTTP statuses here and nowhere else.
A browser (a client that asks for HTML) gets the same status, headers and message as a
page of the site (``routes/pages.py``): a reader who mistypes an address or searches too
fast sees a page with a way back, not JSON. API clients (JSON, ``*/*``, or no ``Accept``)
get the JSON shape.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from indexer.errors import (
    AdminDisabled,
    AdvosearchError,
    ArticleNotFound,
    IndexChanged,
    IndexLocked,
    IndexOutdated,
    IndexUnavailable,
    IndexWriteFailed,
    InvalidParameter,
    InvalidRequest,
    NotAuthorized,
    ServerBusy,
    UnsupportedMediaType,
)
from search_api.negotiation import wants_html
from search_api.privacy import add_privacy_headers
from search_api.routes.pages import error_page
from search_api.site import route_path

logger = logging.getLogger("advosearch")
T = TypeVar("T")

STATUS_BY_ERROR: dict[type[AdvosearchError], int] = {
    InvalidRequest: 400,
    InvalidParameter: 422,
    UnsupportedMediaType: 415,
    ArticleNotFound: 404,
    AdminDisabled: 404,
    IndexChanged: 409,
    IndexUnavailable: 503,  # IndexNotFound too
    IndexOutdated: 503,
    NotAuthorized: 401,
    IndexLocked: 503,
    IndexWriteFailed: 503,
    ServerBusy: 503,
}
HEADERS_BY_ERROR: dict[type[AdvosearchError], dict[str, str]] = {
    NotAuthorized: {"WWW-Authenticate": "Bearer"},
    IndexLocked: {"Retry-After": "5"},
    ServerBusy: {"Retry-After": "2"},
}
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _by_class(table: dict[type[AdvosearchError], T], error: AdvosearchError) -> T | None:
    """What ``table`` says for the error's class, or else for its nearest base class."""
    for cls in type(error).__mro__:
        if cls in table:
            return table[cls]
    return None


def error_response(
    status: int, code: str, message: str, headers: dict | None = None
) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def error_answer(
    request: Request, status: int, code: str, message: str, headers: dict | None = None
) -> Response:
    """The error as a page for a browser, else in the JSON shape; which one depends on the
    request's ``Accept``, which ``Vary`` says, so that no cache gives a browser's page to an
    API client or the other way round."""
    headers = {**(headers or {}), "Vary": "Accept"}
    if wants_html(request.headers.get("accept", "")):
        try:
            return error_page(request, status, message, headers)
        except Exception:
            # The page itself failed (the error may be in it): the JSON shape still answers.
            logger.exception("the error page failed")
    return error_response(status, code, message, headers)


def _validation_message(error: RequestValidationError) -> str:
    messages = []
    for problem in error.errors():
        if problem.get("type") == "json_invalid":
            # FastAPI places it at the character where decoding failed ("0: JSON decode error").
            reason = problem.get("ctx", {}).get("error", "")
            at = problem.get("loc", ("body", 0))[-1]
            messages.append(f"the request body is not valid JSON: {reason} at character {at}")
            continue
        # FastAPI's location starts with where the value was sent: query, path or body.
        sent_in, *location = problem.get("loc") or ("request",)
        if not location:
            location = ["the request body" if sent_in == "body" else "request"]
        messages.append(problem_message(location, problem))
    return "; ".join(messages) or "invalid request"


def problem_message(location: Sequence[str | int], problem: Mapping[str, Any]) -> str:
    """One of pydantic's problems, at ``location``, as a person reads it: "sections[0].text
    is required", "page: Input should be a valid integer…" (an item by its number in
    brackets, as the API's own checks name one: "queries[1]: from must be…")."""
    name = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in location)
    name = name.removeprefix(".")
    if problem.get("type") == "missing":
        return f"{name} is required"
    message = problem.get("msg", "invalid value")
    return f"{name}: {message}" if name else message


def allowed_methods(request: Request, said: str = "") -> list[str]:
    """The methods the request's path answers, for a 405's ``Allow`` (RFC 9110, 15.5.6).

    Starlette's 405 names the methods of the first route at the path only: a GET route's
    HEAD is a route of its own (``routes/head.py``), so it was left out. Every route at the
    path is asked here; ``said`` (the ``Allow`` the 405 came with) serves where no route
    says (a mount).
    """
    methods: set[str] = {method.strip() for method in said.split(",") if method.strip()}
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    if "GET" in methods:
        methods.add("HEAD")
    last = len(METHOD_ORDER)
    return sorted(methods, key=lambda m: (METHOD_ORDER.index(m) if m in METHOD_ORDER else last, m))


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AdvosearchError)
    async def domain_error(request: Request, error: AdvosearchError) -> Response:
        if isinstance(error, IndexWriteFailed):
            # The operator's to fix (a full disk, a folder it may not write), and only the
            # editors' tool that sent the articles is told otherwise.
            logger.error("the ingest API could not write the index: %s", error)
        status = _by_class(STATUS_BY_ERROR, error)
        if status is None:
            # One that no request should meet (an indexing error): a fault here, not the
            # client's.
            logger.error("a request met %s: %s", type(error).__name__, error)
        return error_answer(
            request,
            500 if status is None else status,
            error.code,
            str(error),
            _by_class(HEADERS_BY_ERROR, error),
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError) -> Response:
        return error_answer(request, 422, "invalid_parameter", _validation_message(error))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        cause = error.__cause__
        if error.status_code == 400 and isinstance(cause, (RecursionError, ValueError)):
            # FastAPI's "There was an error parsing the body", for a JSON body that the JSON
            # decoder refused other than with a JSONDecodeError (a 422, above).
            if isinstance(cause, RecursionError):
                reason = "nested too deeply"
            elif isinstance(cause, UnicodeDecodeError):
                reason = "it is not UTF-8 text"
            else:  # Python refuses to read an integer of more than 4,300 digits
                reason = "a number in it has too many digits"
            message = f"the request body is not valid JSON: {reason}"
            return error_answer(request, 422, "invalid_parameter", message)
        code = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}.get(
            error.status_code, "http_error"
        )
        message = error.detail if isinstance(error.detail, str) else "request failed"
        headers = dict(getattr(error, "headers", None) or {})
        if error.status_code == 404 and message == "Not Found":
            message = "no such page"
        if error.status_code == 405:
            allowed = allowed_methods(request, headers.pop("Allow", ""))
            headers["Allow"] = ", ".join(allowed)
            message = f"method {request.method} is not allowed here; allowed methods: " + (
                ", ".join(allowed) or "none"
            )
        return error_answer(request, error.status_code, code, message, headers or None)

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, error: Exception) -> Response:
        # The traceback goes to the operator's log, never to the client.
        logger.exception("unexpected error", exc_info=error)
        response = error_answer(
            request, 500, "internal_error", "the server failed to answer this request"
        )
        # Starlette sends this answer from outside every middleware, so it gets the
        # privacy headers here.
        add_privacy_headers(response.headers, route_path(request.scope))
        return response
