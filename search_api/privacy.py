"""The headers every response carries: what the page may load, and what browsers may tell
other sites about it.

Nothing loads anything from another host. The reader's page runs no script; the API docs
page (/docs, Swagger UI, for developers) runs its script, served from here, and an inline
one that starts it.

A plain ASGI middleware that edits the response's first message: Starlette's
``BaseHTTPMiddleware`` (``@app.middleware("http")``) streams every response through a task
and a memory channel, which made every request markedly slower than this one does.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_api.site import route_path

READER_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/docs/oauth2-redirect"})
DOCS_ASSETS_PATH = "/static/api-docs"  # Swagger UI's script and stylesheet
COMMON_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Permissions-Policy": "interest-cohort=(), browsing-topics=()",
}


def add_privacy_headers(headers: MutableHeaders, path: str) -> None:
    headers["Content-Security-Policy"] = DOCS_CSP if path in DOCS_PATHS else READER_CSP
    for name, value in COMMON_HEADERS.items():
        headers[name] = value
    # What a reader searched and read is not kept on their device, nor by a cache between
    # them and the site; only an answer that says how it may be kept (the stylesheet, a
    # feed) is.
    headers.setdefault("Cache-Control", "no-store")


class PrivacyHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_privacy_headers(MutableHeaders(scope=message), route_path(scope))
            await send(message)

        await self.app(scope, receive, send_with_headers)
