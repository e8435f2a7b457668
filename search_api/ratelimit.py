"""A per-client rate limit: an in-process token bucket per client address.

Each client may burst up to ``per_minute`` requests, refilled at ``per_minute`` a minute;
over it, the request is answered 429 with ``Retry-After`` (seconds) in the one error shape
(a page, for a browser: see ``errors.py``). A request whose work held a searcher long is
charged for that time too (``engine.searcher_seconds``): one more token for each
``SECONDS_PER_TOKEN`` past ``FREE_SECONDS``, once it has been answered; and a client runs one
batch, export or count at a time (``ONE_AT_A_TIME_PATHS``). Counted by requests alone, one
client looping batches on 6 connections, 14 batches in 25 s, left a reader 0 of 20 pages
(each a 503 after waiting 2 s for a search thread), where a reader's search takes a few
milliseconds and costs one. Not charged: a wait for a thread (a 503 after it too: other
clients' load), a client's slow download, an ingest call's wait for the index lock.
Addresses are never logged nor kept as they are: buckets are keyed by a salted hash that
changes at every start. Buckets of clients that have been quiet long enough to be full again
are dropped, so memory stays bounded. The limit is per worker process (``--workers N``
admits up to N times as many), and behind a reverse proxy the client address is the
proxy's unless uvicorn is told to trust its forwarded headers.

An IPv6 client is keyed by its /64 network: one host is usually given a whole /64, and
keying by full address would give it billions of fresh buckets. When more clients than
``MAX_CLIENTS`` are active at once (a flood from many addresses), the buckets of the least
recently seen half are forgotten, so memory stays bounded and a sweep is not paid again on
every request.

Static files, the API docs and /health are not limited.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
import os
import time
from collections.abc import Callable

import anyio
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.engine import searcher_seconds
from search_api.errors import error_answer
from search_api.site import route_path

EXEMPT_PATHS = ("/static/", "/docs", "/openapi.json", "/health")
PRUNE_EVERY = 1000  # requests between sweeps of full buckets
MAX_CLIENTS = 100_000  # past this many buckets, sweep at once
# At the default 600 a minute, 30 s of a worker's searcher a minute per client (half of it:
# requests use the searcher one at a time) in requests that take longer than a reader's.
SECONDS_PER_TOKEN = 0.05
FREE_SECONDS = 0.25
# Whole result sets and many searches: one at a time per client (and worker). Each takes
# turns at the searcher with every other request, and a client with six batches running had
# six turns to a reader's one: the reader waited past its search's budget, and was answered
# 503.
ONE_AT_A_TIME_PATHS = frozenset({"/search/batch", "/export", "/search/counts"})
ONE_AT_A_TIME_WAIT_S = 2.0
ONE_AT_A_TIME = (
    "a batch, export or count is running for this client: each client may run one at a "
    "time; send this one when it has been answered"
)


class TokenBucketLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._salt = os.urandom(16)
        self._buckets: dict[bytes, tuple[float, float]] = {}  # client -> (tokens, at)
        self._since_prune = 0

    def key(self, client: str) -> bytes:
        return hashlib.blake2b(
            client_network(client).encode("utf-8"), key=self._salt, digest_size=16
        ).digest()

    def take(self, client: str) -> float:
        """Spend one token of ``client``'s bucket: 0.0 if allowed, else seconds to wait."""
        now = self.clock()
        key = self.key(client)
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            wait = 0.0
        else:
            self._buckets[key] = (tokens, now)
            wait = (1 - tokens) / self.rate
        self._since_prune += 1
        if self._since_prune >= PRUNE_EVERY or len(self._buckets) > MAX_CLIENTS:
            self._prune(now)
        return wait

    def charge(self, client: str, seconds: float) -> None:
        """Spend a token of ``client``'s bucket for each ``SECONDS_PER_TOKEN`` past
        ``FREE_SECONDS`` of a request it was allowed. The bucket may go into debt, down to
        minus its capacity: a request that took minutes holds its client back a minute or
        two, not for hours."""
        extra = int(max(0.0, seconds - FREE_SECONDS) / SECONDS_PER_TOKEN)
        if not extra:
            return
        now = self.clock()
        key = self.key(client)
        tokens, at = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        self._buckets[key] = (max(-self.capacity, tokens - extra), now)

    def _prune(self, now: float) -> None:
        self._since_prune = 0
        buckets = {
            key: (tokens, at)
            for key, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.rate < self.capacity
        }
        if len(buckets) > MAX_CLIENTS:
            recent = sorted(buckets.items(), key=lambda item: item[1][1])[-(MAX_CLIENTS // 2) :]
            buckets = dict(recent)
        self._buckets = buckets

    def __len__(self) -> int:
        return len(self._buckets)


def client_network(address: str) -> str:
    """What a client is counted as: its IPv4 address, or its IPv6 /64 network."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an IP (a test client's name, a Unix socket)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class RateLimitMiddleware:
    """ASGI middleware answering 429 to a client over its limit (0 turns it off)."""

    def __init__(
        self, app: ASGIApp, per_minute: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.app = app
        self.per_minute = per_minute
        self.limiter = TokenBucketLimiter(per_minute, clock) if per_minute > 0 else None
        # Clients with a ONE_AT_A_TIME_PATHS request running, and when it ends.
        self._running: dict[bytes, anyio.Event] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limiter is None
            or scope["type"] != "http"
            or route_path(scope).startswith(EXEMPT_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else ""
        wait = self.limiter.take(address)
        if wait:
            retry_after = max(1, math.ceil(wait))
            await self._refuse(
                scope,
                receive,
                send,
                f"rate limit exceeded: each client may make {self.per_minute} requests a "
                f"minute; retry after {retry_after} s",
                retry_after,
            )
            return
        running = None
        if route_path(scope) in ONE_AT_A_TIME_PATHS:
            running = self.limiter.key(address)  # hashed, as the buckets are
            if not await self._take_turn(running):
                await self._refuse(scope, receive, send, ONE_AT_A_TIME, 1)
                return
        spent: list[float] = []
        counting = searcher_seconds.set(spent)
        try:
            await self.app(scope, receive, send)
        finally:
            searcher_seconds.reset(counting)
            self.limiter.charge(address, sum(spent))
            if running is not None:
                self._running.pop(running).set()

    async def _take_turn(self, client: bytes) -> bool:
        """Whether ``client`` may start a ``ONE_AT_A_TIME_PATHS`` request, once the one it
        has running ends, within ``ONE_AT_A_TIME_WAIT_S``: a script that drops an export
        after reading its headers, then asks for counts, is not refused for the moment the
        server takes to notice."""
        with anyio.move_on_after(ONE_AT_A_TIME_WAIT_S):
            while client in self._running:
                await self._running[client].wait()
        if client in self._running:
            return False
        self._running[client] = anyio.Event()
        return True

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, message: str, retry_after: int
    ) -> None:
        response = error_answer(
            Request(scope),
            429,
            "rate_limited",
            message,
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
