"""The FastAPI application: routes, error shape, rate limit, body limit, compression, privacy
headers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import version
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from indexer.errors import IndexDamaged, IndexUnavailable
from indexer.settings import Settings, load_settings
from search_api.bodylimit import RequestBodyLimit
from search_api.engine import Engine
from search_api.errors import install_error_handlers
from search_api.models import ErrorResponse
from search_api.privacy import DOCS_ASSETS_PATH, DOCS_PATHS, PrivacyHeaders
from search_api.ratelimit import RateLimitMiddleware
from search_api.routes import admin, articles, editors, pages, research, search


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The index is open while the app serves: its searcher is closed at shutdown, once the
    last request lets go of it."""
    # A request waits for a search thread at most as long as a search may take.
    max_wait_s = app.state.settings.search_time_budget_s
    with Engine(app.state.index_dir, max_wait_s) as engine:
        app.state.engine = engine
        # Before the server takes requests: the first ones would otherwise queue behind it.
        try:
            with engine.snapshot() as snapshot:
                await snapshot.run(snapshot.warm)
        except IndexUnavailable as error:
            # A worker whose index is damaged (as it loads it, or as it opens it) does not
            # start: serve fails. The engine has logged why, and what to do, in one line.
            if isinstance(error, IndexDamaged) or isinstance(error.__cause__, IndexDamaged):
                app.state.startup_failure_logged = True
                raise
            # No index to open (the engine has logged why): 503s until one can be opened.
        yield


def create_app(index_dir: Path | None = None, settings: Settings | None = None) -> FastAPI:
    # Read afresh: `advosearch serve` passes --index to its workers through the environment.
    settings = settings or load_settings()
    # The API docs page (Swagger UI) with its script and stylesheet served from here: FastAPI's
    # own loads them from a CDN, which would learn who reads the docs. No ReDoc page.
    app = FastAPIOffline(
        redoc_url=None,
        static_url=DOCS_ASSETS_PATH,
        favicon_url="data:,",
        title="advosearch",
        summary="Search for advocacy and human-rights archives.",
        version=version("advosearch"),
        lifespan=lifespan,
        responses={
            400: {"model": ErrorResponse, "description": "Invalid request"},
            404: {"model": ErrorResponse, "description": "Not found"},
            401: {"model": ErrorResponse, "description": "Admin token missing or wrong"},
            409: {"model": ErrorResponse, "description": "The index changed (cursor)"},
            413: {"model": ErrorResponse, "description": "Request body too large"},
            415: {"model": ErrorResponse, "description": "Request body not sent as JSON"},
            422: {"model": ErrorResponse, "description": "Invalid parameter"},
            429: {"model": ErrorResponse, "description": "Rate limit"},
            503: {"model": ErrorResponse, "description": "Index missing or busy"},
        },
    )
    for route in app.routes:
        # fastapi-offline's docs pages answer GET alone; every GET page answers HEAD too
        # (``routes/head.py``).
        if isinstance(route, APIRoute) and route.path in DOCS_PATHS:
            route.methods.add("HEAD")
    app.state.settings = settings
    app.state.index_dir = index_dir or settings.index_dir
    install_error_handlers(app)
    app.include_router(search.router)
    app.include_router(research.router)
    app.include_router(articles.router)
    app.include_router(editors.router)
    app.include_router(pages.router)
    app.include_router(admin.router)
    # Readers are often on slow connections: a results page travels in a third of its
    # bytes. zlib's default level: 9 takes half as long again for under 1% less.
    app.add_middleware(GZipMiddleware, minimum_size=500, compresslevel=6)
    app.add_middleware(RequestBodyLimit)
    # Added before CORS and the privacy headers, so it runs inside them: a 429 carries both.
    app.add_middleware(RateLimitMiddleware, per_minute=settings.rate_limit_per_minute)
    if settings.cors_origins:
        # The read API, POST /related and /search/batch among it; the admin API is never
        # offered to other origins: its token's header is not allowed.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "HEAD", "POST"],
            allow_headers=["Content-Type", "If-None-Match"],  # a feed's ETag, sent back
            # What an export, a feed or a refusal says beside its body.
            expose_headers=[
                "X-Total-Count",
                "X-Index-Version",
                "X-Parsed-Query",
                "X-Notes",
                "Content-Disposition",
                "ETag",
                "Retry-After",
            ],
        )
    app.add_middleware(PrivacyHeaders)  # outermost: every answer carries them
    app.add_middleware(StartupFailureSaidOnce)
    return app


class StartupFailureSaidOnce:
    """Starlette hands uvicorn a failed startup's traceback as the failure's message, and
    uvicorn logs it: an operator whose index is damaged read a page of Python after the
    line that says what to do. When that line is logged already, the message is left out;
    any other failure (a bug) keeps its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_failure_said_once(message: Message) -> None:
            failure_logged = getattr(scope["app"].state, "startup_failure_logged", False)
            if message["type"] == "lifespan.startup.failed" and failure_logged:
                message = {**message, "message": ""}
            await send(message)

        await self.app(scope, receive, send_failure_said_once)


def served_app() -> FastAPI:
    """The app a served process runs (each worker, or the one process of ``--workers 1``):
    ``create_app``, with every object made so far (modules, functions, classes, the app and
    its routes: about 146,000) frozen out of the garbage collector, which would otherwise go
    through them all at each full collection, holding the GIL: one of 160 to 230 ms every
    200-odd searches on the 1x benchmark index, which every request of the worker waited
    for. They live as long as the process; the garbage among them is collected first. The
    index is opened after, by the app's lifespan: what a version reads is collected as
    usual once a newer one replaces it."""
    app = create_app()
    gc.collect()
    gc.freeze()
    return app
