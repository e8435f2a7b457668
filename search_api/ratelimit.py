"""A per-client rate limit: an in-process token bucket per client address.

Each client may burst up to ``per_minute`` requests, refilled at ``per_minute`` a minute;
over it, the request is answered 429 with ``Retry-After`` (seconds) in the one error shape
(a page, for a browser: see ``errors.py``).
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

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from search_api.errors import error_answer

EXEMPT_PATHS = ("/static/", "/docs", "/openapi.json", "/health")
PRUNE_EVERY = 1000  # requests between sweeps of full buckets
MAX_CLIENTS = 100_000  # past this many buckets, sweep at once


class TokenBucketLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens a second
        self.clock = clock
        self._salt = os.urandom(16)
        self._buckets: dict[bytes, tuple[float, float]] = {}  # client -> (tokens, at)
        self._since_prune = 0

    def _key(self, client: str) -> bytes:
        return hashlib.blake2b(
            client_network(client).encode("utf-8"), key=self._salt, digest_size=16
        ).digest()

    def take(self, client: str) -> float:
        """Spend one token of ``client``'s bucket: 0.0 if allowed, else seconds to wait."""
        now = self.clock()
        key = self._key(client)
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

    def _prune(self, now: float) -> None:
        self._since_prune = 0
        full_after = self.capacity / self.rate
        buckets = {
            key: (tokens, at)
            for key, (tokens, at) in self._buckets.items()
            if now - at < full_after
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

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            self.limiter is None
            or scope["type"] != "http"
            or scope["path"].startswith(EXEMPT_PATHS)
        ):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.limiter.take(client[0] if client else "")
        if not wait:
            await self.app(scope, receive, send)
            return
        retry_after = max(1, math.ceil(wait))
        response = error_answer(
            Request(scope),
            429,
            "rate_limited",
            f"rate limit exceeded: each client may make {self.per_minute} requests a minute; "
            f"retry after {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
