"""Per-client rate limit: 429 with Retry-After and a message that says so; never logged."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from indexer.settings import Settings
from search_api import ratelimit
from search_api.app import create_app
from search_api.engine import Engine
from search_api.ratelimit import RateLimitMiddleware, TokenBucketLimiter
from search_api.routes.pages import STYLESHEET_PATH


def limited_app(index_dir: Path, per_minute: int):
    return create_app(index_dir, Settings(rate_limit_per_minute=per_minute))


def test_over_the_limit_is_a_429_with_retry_after(index_dir: Path, monkeypatch: pytest.MonkeyPatch):
    # Counted by requests alone: a cold first search on a busy machine can take longer than
    # the free time a request has, and would be charged more tokens for it (tested below).
    monkeypatch.setattr(ratelimit, "FREE_SECONDS", 60.0)
    with TestClient(limited_app(index_dir, 3)) as client:
        for _ in range(3):
            assert client.get("/search", params={"q": "internet"}).status_code == 200
        response = client.get("/search", params={"q": "internet"})
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) >= 1
        body = response.json()
        assert body["error"]["code"] == "rate_limited"
        assert body["error"]["message"].startswith("rate limit exceeded")
        assert "3 requests a minute" in body["error"]["message"]
        # The 429 carries the privacy headers like any response.
        assert response.headers["referrer-policy"] == "no-referrer"
        # Every kind of endpoint counts against the same bucket.
        assert client.post("/search/batch", json={"queries": [{"q": "x"}]}).status_code == 429
        assert client.get("/export").status_code == 429


def test_each_client_has_its_own_bucket(index_dir: Path):
    app = limited_app(index_dir, 2)
    with (
        TestClient(app, client=("192.0.2.1", 1000)) as first,
        TestClient(app, client=("192.0.2.2", 1000)) as second,
    ):
        assert [first.get("/search").status_code for _ in range(3)] == [200, 200, 429]
        assert [second.get("/search").status_code for _ in range(2)] == [200, 200]


def test_health_static_and_docs_are_not_limited(index_dir: Path):
    with TestClient(limited_app(index_dir, 1)) as client:
        assert client.get("/search").status_code == 200
        assert client.get("/search").status_code == 429
        for path in ("/health", "/openapi.json", "/docs", STYLESHEET_PATH):
            assert [client.get(path).status_code for _ in range(2)] == [200, 200], path


def test_zero_turns_the_limit_off(index_dir: Path):
    with TestClient(limited_app(index_dir, 0)) as client:
        assert {client.get("/health").status_code for _ in range(5)} == {200}
        assert {client.get("/search").status_code for _ in range(50)} == {200}


def test_client_addresses_are_never_logged(index_dir: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    with TestClient(limited_app(index_dir, 1), client=("198.51.100.7", 1000)) as client:
        client.get("/search")
        assert client.get("/search").status_code == 429
    assert "198.51.100.7" not in caplog.text


class TestTokenBucket:
    def test_refills_at_the_rate_and_says_how_long_to_wait(self):
        now = [0.0]
        limiter = TokenBucketLimiter(6, clock=lambda: now[0])  # one token every 10 s
        assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
        assert limiter.take("a") == pytest.approx(10.0)
        now[0] = 4.0
        assert limiter.take("a") == pytest.approx(6.0)
        now[0] = 10.0
        assert limiter.take("a") == 0.0
        assert limiter.take("a") == pytest.approx(10.0)
        now[0] = 1000.0  # a long pause refills to the burst size, no more
        assert [limiter.take("a") for _ in range(6)] == [0.0] * 6
        assert limiter.take("a") > 0

    def test_keeps_no_address_and_forgets_quiet_clients(self):
        now = [0.0]
        limiter = TokenBucketLimiter(60, clock=lambda: now[0])
        for number in range(999):
            limiter.take(f"203.0.113.{number % 250}-{number}")
        assert len(limiter) == 999
        assert not any(b"203.0.113" in key for key in limiter._buckets)
        now[0] = 61.0  # everyone's bucket is full again: they are dropped at the next sweep
        limiter.take("late")
        assert len(limiter) <= 1

    def test_an_ipv6_host_is_one_client_across_its_64(self):
        limiter = TokenBucketLimiter(2)
        assert limiter.take("2001:db8:1:2::1") == 0.0
        assert limiter.take("2001:db8:1:2:ffff::9") == 0.0
        assert limiter.take("2001:db8:1:2:abcd::7") > 0  # same /64: same bucket
        assert limiter.take("2001:db8:1:3::1") == 0.0  # another /64
        assert limiter.take("::ffff:198.51.100.7") == 0.0
        assert limiter.take("198.51.100.7") == 0.0
        assert limiter.take("198.51.100.7") > 0  # a v4-mapped address is the v4 client

    def test_a_request_is_charged_for_the_time_it_held_the_server(self):
        now = [0.0]
        limiter = TokenBucketLimiter(60, clock=lambda: now[0])  # one token a second
        assert limiter.take("a") == 0.0
        limiter.charge("a", 0.2)  # a reader's search, even a slow one: its one token
        assert limiter.take("a") == 0.0
        limiter.charge("a", 1.25)  # a batch of 1.25 s: 20 tokens more
        assert [limiter.take("a") for _ in range(38)] == [0.0] * 38
        assert limiter.take("a") == pytest.approx(1.0)
        # A request that took minutes leaves a minute's debt, no more.
        limiter.charge("b", 300.0)
        assert limiter.take("b") == pytest.approx(61.0)

    def test_a_flood_from_many_addresses_stays_bounded(self, monkeypatch: pytest.MonkeyPatch):
        monkeypatch.setattr("search_api.ratelimit.MAX_CLIENTS", 100)
        now = [0.0]
        limiter = TokenBucketLimiter(1, clock=lambda: now[0])
        for number in range(1000):
            now[0] += 0.001
            assert limiter.take(f"10.0.{number // 256}.{number % 256}") == 0.0
            assert len(limiter) <= 101
        # The most recent clients are still held to their limit.
        assert limiter.take("10.0.3.231") > 0


def test_a_browser_over_the_limit_gets_a_page_that_keeps_its_search(index_dir: Path):
    browser = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    with TestClient(limited_app(index_dir, 1)) as client:
        assert client.get("/", params={"q": "internet"}, headers=browser).status_code == 200
        response = client.get("/", params={"q": "internet", "tag": "India"}, headers=browser)
        api = client.get("/", params={"q": "internet"})
    assert response.status_code == api.status_code == 429
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["referrer-policy"] == "no-referrer"
    html = response.text
    assert "<h1>Too many requests</h1>" in html
    assert "each client may make 1 requests a minute" in html
    assert '<a href="/?q=internet&amp;tag=India">Try again</a>' in html
    # The search box keeps the search, to send again once the wait is over.
    assert 'name="q" type="search" value="internet"' in html
    assert '<input type="hidden" name="tag" value="India">' in html
    assert api.json()["error"]["code"] == "rate_limited"  # an API client keeps the JSON


def test_a_client_is_charged_for_the_time_its_requests_hold_the_searcher(index_dir: Path):
    # Counted by requests alone, batches and exports well under the limit kept the searcher
    # busy, and readers' searches were answered 503. Waiting is not charged: a wait for a
    # search thread (other clients' load), a slow download, an ingest call's wait for a lock.
    with Engine(index_dir, max_wait_s=5) as engine:

        async def searching(request: Request) -> PlainTextResponse:
            with engine.snapshot() as snapshot:
                await snapshot.run(time.sleep, 0.5)  # as long as a costly search
            return PlainTextResponse("done")

        async def waiting(request: Request) -> PlainTextResponse:
            await asyncio.sleep(0.5)
            return PlainTextResponse("done")

        async def fast(request: Request) -> PlainTextResponse:
            return PlainTextResponse("done")

        routes = [Route("/searching", searching), Route("/waiting", waiting), Route("/fast", fast)]
        # The bucket's clock stands still: no token comes back however slow the machine.
        app = RateLimitMiddleware(Starlette(routes=routes), per_minute=20, clock=lambda: 0.0)

        def allowed_after(path: str, address: str) -> int:
            client = TestClient(app, client=(address, 1))
            assert client.get(path).status_code == 200
            return [client.get("/fast").status_code for _ in range(25)].count(200)

        assert allowed_after("/waiting", "192.0.2.1") == 19
        assert allowed_after("/searching", "192.0.2.2") <= 14  # 5 tokens more, at least


def test_a_client_runs_one_batch_export_or_count_at_a_time() -> None:
    # Six batches of one client took six turns at the searcher to a reader's one: the
    # reader's search waited past its budget and was answered 503.
    started, finish = threading.Event(), threading.Event()

    async def exporting(request: Request) -> PlainTextResponse:
        started.set()
        await anyio.to_thread.run_sync(finish.wait, 10)
        return PlainTextResponse("done")

    app = RateLimitMiddleware(
        Starlette(routes=[Route("/export", exporting), Route("/search/batch", exporting)]),
        per_minute=600,
    )
    with TestClient(app, client=("192.0.2.1", 1)) as client, ThreadPoolExecutor(3) as pool:
        first = pool.submit(client.get, "/export")
        assert started.wait(10)
        second = client.get("/search/batch")  # the first still runs after ONE_AT_A_TIME_WAIT_S
        assert second.status_code == 429
        assert second.json()["error"]["message"].startswith("a batch, export or count is")
        # Another client's runs beside it; this client's next one, once the first ends.
        other = pool.submit(TestClient(app, client=("192.0.2.2", 1)).get, "/export")
        third = pool.submit(client.get, "/export")
        time.sleep(0.5)
        finish.set()
        statuses = [first.result(10).status_code, other.result(10).status_code]
        assert statuses == [200, 200]
        assert third.result(10).status_code == 200  # it waited for the first to end
