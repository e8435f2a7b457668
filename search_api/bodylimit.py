"""How large a request body may be: 413 in the one error shape past it.

A body is read whole before its endpoint runs, and JSON is parsed into several times its
size: without a limit, one anonymous POST of 700 MB took a worker from 190 MB to 1.5 GB.
A request whose ``Content-Length`` is over the limit is answered at once, its body unread;
one sent in chunks is cut off where it goes over.

FastAPI's own ``max_body_size`` answers a ``Content-Length`` over it in plain text, whatever
its error handlers say; hence this plain ASGI middleware.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.errors import error_answer
from search_api.site import route_path

# The public endpoints' largest body: /related's draft (200,000 characters: 1.2 MB at most
# as JSON escapes them, \u00e9, six bytes each; and 1,000 ids to leave out), /search/batch's
# 100 queries.
MAX_REQUEST_BODY_BYTES = 2 * 2**20
# An ingest call: 1,000 articles of 64 KB each (a long report's text is 50 to 100 KB). The
# admin API checks the caller's token before it reads the body (``routes/admin.py``).
MAX_INGEST_BODY_BYTES = 64 * 2**20
LARGER_BODIES = {("POST", "/admin/articles"): MAX_INGEST_BODY_BYTES}
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})  # the methods whose bodies are read


def body_limit(method: str, path: str) -> int:
    """The most bytes a ``method`` request to ``path`` may send."""
    return LARGER_BODIES.get((method, path.rstrip("/") or "/"), MAX_REQUEST_BODY_BYTES)


def too_large(limit: int) -> str:
    return f"the request body is larger than this endpoint takes ({limit // 2**20} MB)"


class RequestBodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            # No endpoint reads the body of a GET, HEAD or DELETE; a streamed answer (an
            # export) reads what comes of it only to hear the client leave, and must not
            # be cut short for it.
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], route_path(scope))
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            response = error_answer(request, 413, "too_large", too_large(limit))
            await response(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                # FastAPI lets an HTTPException from reading the body through to the error
                # handlers, which answer it in the one shape (``errors.py``).
                raise HTTPException(413, too_large(limit))
            return message

        await self.app(scope, receive_within_limit, send)
