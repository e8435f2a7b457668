"""Where advosearch's search time goes: the benchmark's query set under cProfile (a tool).

    .venv/bin/python bench/profile_search.py --index /tmp/advosearch-bench/ix-issue-1x-advosearch \
        --queries /tmp/advosearch-bench/queries.json [--no-snippets] [--top 30]

Runs every query once to warm up, then once under cProfile, through the same code path as
``bench/speed.py`` (``search_api.search.search``, page_size 10), and prints the functions
with the most cumulative and own time, plus a per-phase split measured with timers.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.engines import Advosearch  # noqa: E402


def phase_split(engine: Advosearch, queries: list[dict]) -> dict[str, float]:
    """Milliseconds per query spent in each phase of ``search``, by wrapping its helpers."""
    module = engine.module
    spent: dict[str, float] = defaultdict(float)
    originals = {}
    names = ["run_query", "_matching", "_order", "attach_sections", "_suggest"]
    names += ["result_facets", "allowed_docs"]
    for name in names:
        original = getattr(module, name)
        originals[name] = original

        def timed(*args, _name=name, _original=original, **kwargs):
            started = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                spent[_name] += time.perf_counter() - started

        setattr(module, name, timed)
    engine.attach_sections = module.attach_sections
    total = 0.0
    try:
        for query in queries:
            started = time.perf_counter()
            engine.search(query, snippets=True)
            total += time.perf_counter() - started
    finally:
        for name, original in originals.items():
            setattr(module, name, original)
        engine.attach_sections = originals["attach_sections"]
    n = len(queries)
    split = {name: spent[name] * 1000 / n for name in originals}
    split["total"] = total * 1000 / n
    return split


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--queries", type=Path, required=True)
    parser.add_argument("--no-snippets", action="store_true")
    parser.add_argument("--kind", help="only queries of this kind (words, phrase, date, tag)")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    queries = json.loads(args.queries.read_text())
    if args.kind:
        queries = [q for q in queries if q["kind"] == args.kind]
    engine = Advosearch(args.index)
    snippets = not args.no_snippets
    for query in queries:
        engine.search(query, snippets=snippets)
    print("ms per query by phase (with snippets):")
    for name, ms in phase_split(engine, queries).items():
        print(f"  {name:<28}{ms:8.2f}")
    profiler = cProfile.Profile()
    profiler.enable()
    for query in queries:
        engine.search(query, snippets=snippets)
    profiler.disable()
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(args.top)
        print(f"\n--- top {args.top} by {sort} ({len(queries)} queries) ---")
        print("\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
