"""Load test: N concurrent clients against a real `advosearch serve` (loopback only).

Starts the server on a free 127.0.0.1 port, drives it with each concurrency level for a
fixed time over a seeded mix of real queries (see http_latency.mixed_search_params), and
prints throughput, latency percentiles, errors, and the server's memory at start and end.
Bounded: every level stops after --seconds, and each client waits for its answer.

    python bench/load.py --index /tmp/ix-all --clients 1 8 32 --seconds 60
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.clients import run_clients, search_path  # noqa: E402
from bench.http_latency import mixed_search_params  # noqa: E402
from bench.memory import child_pids, process_memory  # noqa: E402
from bench.server import running_server  # noqa: E402


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory of a process and its children (uvicorn workers), in MB: all of it
    (``rss``), and split into ``anon`` (the heap: Python objects, malloc arenas, thread
    stacks) and ``file`` (pages of memory-mapped files: the interpreter, shared libraries
    and extension modules, which the kernel can drop and read again at any time). Index
    segments are separate files read with ordinary reads (``compound=False``, see
    indexer/build.py): their pages are in the OS page cache, counted in neither."""
    totals = {"rss": 0.0, "anon": 0.0, "file": 0.0}
    for process in [pid, *child_pids(pid)]:
        memory = process_memory(process)
        totals["rss"] += memory.get("VmRSS", 0) / 2**20
        totals["anon"] += memory.get("RssAnon", 0) / 2**20
        totals["file"] += memory.get("RssFile", 0) / 2**20
    return totals


def memory_text(pid: int) -> str:
    memory = memory_mb(pid)
    return f"{memory['rss']:.0f} MB (anon {memory['anon']:.0f}, file {memory['file']:.0f})"


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

    paths = [search_path(p) for p in mixed_search_params(args.index, args.queries, args.seed)]
    with running_server(args.index, args.workers) as server:
        pid = server.process.pid
        print(f"index {args.index}; server RSS before warm-up {memory_text(pid)}")
        if args.warmup:
            # Each query once: caches fill and index parts are read, so what the timed levels
            # show is growth under load, not first reads.
            for path in paths:
                with urllib.request.urlopen(server.url + path, timeout=60) as response:
                    response.read()
        print(f"server RSS at start {memory_text(pid)}")
        print("clients  requests  req/s   p50 ms   p95 ms   p99 ms  errors  RSS MB  anon  file")
        for clients in args.clients:
            # A new connection per request, as the load test has always measured.
            row = run_clients(server.port, paths, clients, seconds=args.seconds, keep_alive=False)
            memory = memory_mb(pid)
            print(
                f"{row['clients']:>7}  {row['n']:>8}  {row['throughput']:>5.1f}  "
                f"{row['p50']:>7.1f}  {row['p95']:>7.1f}  {row['p99']:>7.1f}  "
                f"{row['errors']:>6}  {memory['rss']:>6.0f}  {memory['anon']:>4.0f}  "
                f"{memory['file']:>4.0f}"
                + (f"  first error: {row['first_error']}" if row["errors"] else "")
            )
        print(f"server RSS at end {memory_text(pid)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
