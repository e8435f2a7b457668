"""HTTP latency of GET /search through a real `advosearch serve` (a benchmark, not a test).

Builds a seeded set of varied queries from the index's own titles (one to three words,
phrases, prefixes, date and tag filters, date sort, page 2), starts the server on a free
loopback port, sends each query once to warm up and then ``--rounds`` times, and prints
p50/p95/p99 and throughput.

    python bench/http_latency.py --index /tmp/ix-all --queries 200
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import urllib.request
from pathlib import Path

from whoosh import index as whoosh_index

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.clients import search_path  # noqa: E402
from bench.server import running_server  # noqa: E402
from bench.stats import percentile  # noqa: E402
from indexer.languages import STOP_WORDS  # noqa: E402


def mixed_search_params(index_dir: Path, count: int, seed: int) -> list[dict[str, str]]:
    """``count`` GET /search parameter sets, seeded, from the index's own titles: one to
    three words (55%), two-word phrases, prefixes, date ranges, tags, date sort and page 2
    — API features beyond the cross-engine query set of ``bench/queries.py``."""
    rng = random.Random(seed)
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        titles = [f["title"] for f in searcher.documents(kind="article") if f.get("title")]
        tags = (
            [t.decode() for t in searcher.reader().lexicon("tag")]
            if "tag" in (searcher.reader().indexed_field_names())
            else []
        )
    titles.sort()
    words_by_title = [
        [w for w in title.split() if w.isalpha() and w.lower() not in STOP_WORDS["en"]]
        for title in titles
    ]
    words_by_title = [w for w in words_by_title if len(w) >= 2]
    queries: list[dict[str, str]] = []
    while len(queries) < count:
        words = rng.choice(words_by_title)
        kind = rng.random()
        if kind < 0.55:
            q = " ".join(rng.sample(words, k=min(len(words), rng.randint(1, 3))))
            queries.append({"q": q})
        elif kind < 0.70:
            start = rng.randrange(len(words) - 1)
            queries.append({"q": f'"{words[start]} {words[start + 1]}"'})
        elif kind < 0.78:
            queries.append({"q": words[0][:4] + "*"})
        elif kind < 0.86:
            queries.append({"q": rng.choice(words), "from": "2018-01-01", "to": "2020-12-31"})
        elif kind < 0.92 and tags:
            queries.append({"q": rng.choice(words), "tag": rng.choice(tags)})
        elif kind < 0.96:
            queries.append({"q": rng.choice(words), "sort": "date"})
        else:
            queries.append({"q": rng.choice(words), "page": "2"})
    return queries


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--show", type=int, default=0, help="print N sample responses")
    args = parser.parse_args()

    queries = mixed_search_params(args.index, args.queries, args.seed)
    with running_server(args.index, args.workers) as server:

        def fetch(params: dict[str, str]) -> tuple[float, dict]:
            url = server.url + search_path(params)
            started = time.perf_counter()
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
            return (time.perf_counter() - started) * 1000, json.loads(body)

        errors = 0
        for params in queries:  # warm-up: caches per searcher, lazy imports
            fetch(params)
        latencies: list[float] = []
        started = time.perf_counter()
        for _ in range(args.rounds):
            for params in queries:
                try:
                    elapsed, _ = fetch(params)
                    latencies.append(elapsed)
                except OSError:
                    errors += 1
        wall = time.perf_counter() - started
        print(f"index: {args.index}  queries: {len(queries)} x {args.rounds} rounds, 1 client")
        print(
            f"p50 {percentile(latencies, 0.50):.1f} ms  p95 {percentile(latencies, 0.95):.1f} ms"
            f"  p99 {percentile(latencies, 0.99):.1f} ms  max {max(latencies):.1f} ms"
            f"  throughput {len(latencies) / wall:.0f} req/s  errors {errors}"
        )
        for params in queries[: args.show]:
            _, body = fetch(params)
            print(
                json.dumps(
                    {
                        "params": params,
                        "total": body["total"],
                        "parsed_query": body["parsed_query"],
                        "top": [r["title"] for r in body["results"][:3]],
                    },
                    ensure_ascii=False,
                )
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
