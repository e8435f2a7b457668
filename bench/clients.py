"""Concurrent HTTP clients against a benchmark server: latency, throughput and errors."""

from __future__ import annotations

import http.client
import itertools
import math
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from bench.server import HOST
from bench.stats import summarize


def search_path(params: Mapping[str, str]) -> str:
    return "/search?" + urllib.parse.urlencode(params)


def run_clients(
    port: int,
    paths: Sequence[str],
    clients: int,
    *,
    seconds: float,
    max_requests: int | None = None,
    keep_alive: bool = True,
) -> dict[str, Any]:
    """``clients`` threads GET ``paths`` in turn (together they go round the list in order),
    each waiting for its answer before the next, until ``seconds`` have passed or, if given,
    ``max_requests`` are sent. With ``keep_alive`` each client keeps one connection; without,
    each request opens a connection and asks the server to close it.

    Returns the latency summary of the answered requests (``bench.stats.summarize``, ms),
    their throughput (a second), and errors: any status but 200, or a failed connection,
    counted per status or exception name in ``error_kinds``, the first one in words."""
    counter = itertools.count()  # next() on it is atomic: each index goes to one client
    deadline = time.perf_counter() + seconds
    latencies: list[float] = []
    errors: list[tuple[str, str]] = []  # (kind, text), in the order they happened
    lock = threading.Lock()
    headers = {} if keep_alive else {"Connection": "close"}

    def failed(kind: str, text: str) -> None:
        with lock:
            errors.append((kind, text))

    def client() -> None:
        connection: http.client.HTTPConnection | None = None
        mine: list[float] = []
        while True:
            i = next(counter)
            if (max_requests is not None and i >= max_requests) or time.perf_counter() > deadline:
                break
            if connection is None:
                connection = http.client.HTTPConnection(HOST, port, timeout=30)
            started = time.perf_counter()
            try:
                connection.request("GET", paths[i % len(paths)], headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as error:
                failed(type(error).__name__, f"{type(error).__name__}: {error}")
                connection.close()
                connection = None
                continue
            elapsed = (time.perf_counter() - started) * 1000
            if not keep_alive:
                connection.close()
                connection = None
            if response.status == 200:
                mine.append(elapsed)
            else:
                failed(str(response.status), f"HTTP {response.status} {response.reason}")
        if connection is not None:
            connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        **summarize(latencies),
        "throughput": len(latencies) / wall if wall else math.nan,
        "errors": len(errors),
        "error_kinds": dict(Counter(kind for kind, _text in errors)),
        "first_error": errors[0][1] if errors else "",
        "seconds": wall,
    }
