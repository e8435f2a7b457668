"""Load test: N concurrent clients against a real `advosearch serve` (loopback only).

Starts the server on a free 127.0.0.1 port, drives it with each concurrency level for a
fixed time over a seeded mix of real queries (see http_latency.make_queries), and prints
throughput, latency percentiles, errors, and the server's memory at start and end.
Bounded: every level stops after --seconds, and each client waits for its answer.

    python bench/load.py --index /tmp/ix-all --clients 1 8 32 --seconds 60
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from http_latency import make_queries, percentile, running_server


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of a process and its children (uvicorn workers), in MB: all of it
    (``rss``), and split into ``anon`` (the heap: Python objects, malloc arenas, thread
    stacks) and ``file`` (pages of memory-mapped files, e.g. a compound index segment,
    which the kernel can drop and read again at any time)."""
    fields = {"VmRSS:": "rss", "RssAnon:": "anon", "RssFile:": "file"}
    totals = dict.fromkeys(fields.values(), 0.0)
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for process in pids:
        for line in Path(f"/proc/{process}/status").read_text().splitlines():
            name, *value = line.split()
            if name in fields:
                totals[fields[name]] += int(value[0]) / 1024
    return totals


def memory_text(pid: int) -> str:
    memory = memory_mb(pid)
    return f"{memory['rss']:.0f} MB (anon {memory['anon']:.0f}, file {memory['file']:.0f})"


def run_level(base: str, queries: list[dict], clients: int, seconds: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client(number: int) -> None:
        index = number
        while time.monotonic() < stop_at:
            params = queries[index % len(queries)]
            index += clients
            url = f"{base}/search?{urllib.parse.urlencode(params)}"
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
            except (OSError, urllib.error.HTTPError) as error:
                with lock:
                    errors.append(str(error))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(latencies),
        "throughput": len(latencies) / wall,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p95": percentile(latencies, 0.95) if latencies else float("nan"),
        "p99": percentile(latencies, 0.99) if latencies else float("nan"),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--warmup", action="store_true", help="send each query once before measuring"
    )
    args = parser.parse_args()

    queries = make_queries(args.index, args.queries, args.seed)
    with running_server(args.index, args.workers) as (base, server):
        print(f"index {args.index}; server RSS before warm-up {memory_text(server.pid)}")
        if args.warmup:
            # Each query once: caches fill and index parts are read, so what the timed levels
            # show is growth under load, not first reads.
            for params in queries:
                url = f"{base}/search?{urllib.parse.urlencode(params)}"
                with urllib.request.urlopen(url, timeout=60) as response:
                    response.read()
        print(f"server RSS at start {memory_text(server.pid)}")
        print("clients  requests  req/s   p50 ms   p95 ms   p99 ms  errors  RSS MB  anon  file")
        for clients in args.clients:
            row = run_level(base, queries, clients, args.seconds)
            memory = memory_mb(server.pid)
            print(
                f"{row['clients']:>7}  {row['requests']:>8}  {row['throughput']:>5.1f}  "
                f"{row['p50']:>7.1f}  {row['p95']:>7.1f}  {row['p99']:>7.1f}  "
                f"{row['errors']:>6}  {memory['rss']:>6.0f}  {memory['anon']:>4.0f}  "
                f"{memory['file']:>4.0f}"
                + (f"  first error: {row['first_error']}" if row["errors"] else "")
            )
        print(f"server RSS at end {memory_text(server.pid)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
