"""The index snapshot a request reads, held from its start until its response is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request

from search_api.engine import Engine, Snapshot


async def held_snapshot(request: Request) -> AsyncIterator[Snapshot]:
    """The engine's current snapshot, released once the response has been sent (a streamed
    export's last byte included), or the request has failed or been abandoned: a replaced
    searcher is closed only when no response reads it any more."""
    engine: Engine = request.app.state.engine
    with engine.snapshot() as snapshot:
        yield snapshot


# scope="request" (FastAPI's default for dependencies with yield, spelled out because the
# release must wait for the streamed body): the code after ``yield`` runs after the response.
CurrentSnapshot = Annotated[Snapshot, Depends(held_snapshot, scope="request")]
