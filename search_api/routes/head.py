"""GET routes that answer HEAD too, as HTTP asks of them (RFC 9110, 9.3.2): uptime monitors
and link checkers send HEAD, and a 405 reads to them as a broken page.

FastAPI answers only the methods a route names. A route naming GET and HEAD would put two
operations with one operation id in the OpenAPI schema, so HEAD gets a route of its own on
the same endpoint, left out of the schema. The endpoint runs as for GET, so the status and
headers (Content-Length included) are GET's; the server sends no body (uvicorn drops it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def get_and_head(router: APIRouter, path: str, **options: Any) -> Callable[[Endpoint], Endpoint]:
    """``router.get(path, **options)`` that also answers HEAD."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.get(path, **options)(endpoint)
        return router.head(path, **{**options, "include_in_schema": False})(endpoint)

    return register
