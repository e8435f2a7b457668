"""Speed at scale: advosearch side by side with SQLite FTS5 and tantivy, in one run.

    .venv/bin/python bench/speed.py                      # 1x and 10x, 3 rounds, one table
    .venv/bin/python bench/speed.py --scale 1 --rounds 3 --json

One parent process builds the corpora (``bench/corpus.py``: JSONL from ../shared/corpora,
and a 10x version of reshuffled real sentences, seeded) and one seeded query set (300 one-
to three-word queries from real title words, 30 phrases, 30 with a date filter, 30 with a
tag filter), then, for each scale and round, with the engines' order rotated per round:

1. build: each engine in its own subprocess from the same JSONL — advosearch through the
   real ``advosearch index`` command — timing the wall clock and sampling the process
   tree's RSS (peak); index size on disk;
2. query: each engine in its own subprocess opens its index and runs every query once to
   warm up, then once timed for top-10 without snippets and once with snippets; the
   subprocess's peak RSS (VmHWM) is its serving memory;
3. HTTP (advosearch only): a real ``advosearch serve`` (2 workers, its default;
   ``--http-workers N`` for another number) on loopback, the query set sent by 1, 4 and 16
   concurrent keep-alive clients (bounded by count and time).

Medians over rounds; advosearch ÷ other ratios are computed round by round, then their
median reported. Machine load (1-minute load average) is recorded at each phase.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.clients import run_clients, search_path  # noqa: E402
from bench.corpus import (  # noqa: E402
    DEFAULT_SEED,
    DEFAULT_SHARED,
    SETS,
    corpus_path,
    make_corpora,
    read_jsonl,
)
from bench.memory import process_memory  # noqa: E402
from bench.queries import advosearch_q, make_queries  # noqa: E402
from bench.server import running_server  # noqa: E402
from bench.stats import median, summarize  # noqa: E402

ENGINE_NAMES = ("advosearch", "fts5", "tantivy")
HTTP_LEVELS = (1, 4, 16)


# --- measuring subprocesses -----------------------------------------------------------


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        proc = psutil.Process(pid)
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def run_measured(cmd: list[str], log: Path, timeout_s: float) -> dict[str, Any]:
    """Run ``cmd``; wall time, peak RSS of its process tree (sampled every 50 ms, and the
    kernel's max RSS of the process and its reaped children), exit code."""
    started = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        peak = 0
        rusage = None
        while True:
            pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                break
            peak = max(peak, _tree_rss(proc.pid))
            if time.perf_counter() - started > timeout_s:
                proc.kill()
                proc.wait()
                raise RuntimeError(f"timed out after {timeout_s:.0f} s: {' '.join(cmd)}")
            time.sleep(0.05)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"exit {proc.returncode}: {' '.join(cmd)}; see {log}")
    kernel_peak = rusage.ru_maxrss * 1024 if rusage is not None else 0
    return {"seconds": seconds, "peak_rss": max(peak, kernel_peak), "sampled_tree_rss": peak}


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load_avg() -> float:
    return os.getloadavg()[0]


# --- worker side (runs in the engine's own subprocess) ----------------------------------


def code_digest() -> str:
    """A digest of the product's Python source as it is now (other people edit it while a
    long run goes on: rounds that measured different code show different digests)."""
    import hashlib

    digest = hashlib.sha1()
    for path in sorted([*ROOT.glob("indexer/**/*.py"), *ROOT.glob("search_api/**/*.py")]):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def worker_build(engine: str, corpus: Path, index_dir: Path) -> None:
    from bench.engines import BUILDERS

    print(json.dumps(BUILDERS[engine](corpus, index_dir)))


def worker_query(engine: str, index_dir: Path, queries_file: Path, out: Path) -> None:
    import time as _time

    from bench.engines import open_engine

    queries = json.loads(queries_file.read_text())
    code = code_digest()
    searcher, open_ms = open_engine(engine, index_dir)
    rss_open = process_memory(os.getpid())
    for query in queries:  # warm up both paths: caches, lazy imports, page cache
        searcher.search(query, snippets=False)
        searcher.search(query, snippets=True)
    result: dict[str, Any] = {
        "open_ms": open_ms,
        "rss_after_open": rss_open["VmRSS"],
        "code_digest": code,
    }
    for mode, snippets in (("top10", False), ("snippets", True)):
        latencies, hits, empty = [], 0, 0
        for query in queries:
            started = _time.perf_counter()
            found = searcher.search(query, snippets=snippets)
            latencies.append((_time.perf_counter() - started) * 1000)
            hits += len(found)
            empty += not found
        result[mode] = {"latencies_ms": latencies, "hits": hits, "empty": empty}
    status = process_memory(os.getpid())
    result["serve_rss_peak"] = status["VmHWM"]
    result["serve_rss"] = status["VmRSS"]
    out.write_text(json.dumps(result))


# --- HTTP -------------------------------------------------------------------------------


def http_path(query: dict) -> str:
    params = {"q": advosearch_q(query), "page_size": "10"}
    if query.get("from"):
        params["from"], params["to"] = query["from"], query["to"]
    if query.get("tag"):
        params["tag"] = query["tag"]
    return search_path(params)


def _worker_pids(pid: int, workers: int) -> list[int]:
    if workers == 1:
        return [pid]
    import psutil

    children = psutil.Process(pid).children(recursive=True)
    return [child.pid for child in children if "multiprocessing" not in child.name()] or [pid]


def http_bench(
    index_dir: Path,
    queries: list[dict],
    levels: list[int],
    max_requests: int,
    max_s: float,
    log: Path,
    workers: int,
) -> dict[str, Any]:
    """The query set through ``advosearch serve``: at each level of concurrent keep-alive
    clients, ``max_requests`` requests (or ``max_s`` seconds, whichever ends first)."""
    paths = [http_path(q) for q in queries]
    with running_server(index_dir, workers, log=log) as server:
        # Warm-up: every query once.
        run_clients(server.port, paths, 1, seconds=max_s, max_requests=len(paths))
        results = [
            {
                **run_clients(server.port, paths, c, seconds=max_s, max_requests=max_requests),
                "load": load_avg(),
            }
            for c in levels
        ]
        # Per worker: with several, uvicorn's supervisor only forwards signals; each worker
        # is a process of its own, and the largest is reported.
        memory = max(
            (process_memory(pid) for pid in _worker_pids(server.process.pid, workers)),
            key=lambda m: m.get("VmHWM", 0),
        )
    return {
        "workers": workers,
        "levels": results,
        "server_rss_peak": memory.get("VmHWM"),
        "server_rss": memory.get("VmRSS"),
    }


# --- the run ----------------------------------------------------------------------------


def rotated(items: tuple[str, ...] | list[str], k: int) -> list[str]:
    items = list(items)
    k %= len(items)
    return items[k:] + items[:k]


def build_cmd(engine: str, corpus: Path, index_dir: Path) -> list[str]:
    if engine == "advosearch":
        return [
            sys.executable,
            "-m",
            "search_api",
            "index",
            str(corpus),
            "--index",
            str(index_dir),
            "--quiet",
        ]
    return [
        sys.executable,
        str(Path(__file__).resolve()),
        "--worker",
        "build",
        "--engine",
        engine,
        "--corpus",
        str(corpus),
        "--index",
        str(index_dir),
    ]


def log_line(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {load_avg():.2f}] {message}", file=sys.stderr)


def run(args: argparse.Namespace) -> dict[str, Any]:
    work: Path = args.workdir
    work.mkdir(parents=True, exist_ok=True)
    # The query set is always drawn from the 1x corpus, so it is the same at every scale.
    scales = sorted({1, *args.scale})
    manifests = make_corpora(work, scales, shared=args.shared, corpus_set=args.set, seed=args.seed)
    queries = make_queries(read_jsonl(corpus_path(work, 1, args.set)), args.seed)
    queries_file = work / "queries.json"
    queries_file.write_text(json.dumps(queries, indent=1))
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "settings": {
            "rounds": args.rounds,
            "build_rounds": args.build_rounds,
            "reused_indexes": args.reuse_index,
            "http_rounds": args.http_rounds,
            "engines": args.engines,
            "seed": args.seed,
            "set": args.set,
            "queries": {
                k: sum(q["kind"] == k for q in queries) for k in ("words", "phrase", "date", "tag")
            },
            "http_levels": args.http_clients,
            "http_requests_per_level": args.http_requests,
        },
        "versions": _versions(),
        "scales": {},
    }
    for scale in args.scale:
        corpus = corpus_path(work, scale, args.set)
        rounds: list[dict[str, Any]] = []
        scale_report = {"corpus": manifests[scale], "rounds": rounds}
        report["scales"][str(scale)] = scale_report
        build_rounds = min(args.rounds, args.build_rounds or args.rounds)
        for r in range(args.rounds):
            this: dict[str, Any] = {"round": r + 1, "build": {}, "query": {}, "http": None}
            rounds.append(this)
            order = rotated(args.engines, r)
            for engine in order:
                index_dir = work / f"ix-{args.set}-{scale}x-{engine}"
                reuse = engine in args.reuse_index and index_dir.exists()
                if reuse and r == 0:
                    log_line(f"{scale}x: reusing the existing {engine} index (build not measured)")
                if not reuse and (r < build_rounds or not index_dir.exists()):
                    shutil.rmtree(index_dir, ignore_errors=True)
                    log_line(f"{scale}x round {r + 1}: building {engine}")
                    load = load_avg()
                    measured = run_measured(
                        build_cmd(engine, corpus, index_dir),
                        work / f"build-{engine}-{scale}x.log",
                        args.timeout,
                    )
                    measured.update(
                        index_bytes=dir_size(index_dir),
                        documents=manifests[scale]["documents"],
                        load_before=load,
                        load_after=load_avg(),
                    )
                    this["build"][engine] = measured
                    log_line(f"  {engine} built in {measured['seconds']:.1f} s")
            for engine in order:
                index_dir = work / f"ix-{args.set}-{scale}x-{engine}"
                out = work / f"query-{engine}-{scale}x.json"
                log_line(f"{scale}x round {r + 1}: querying {engine}")
                load = load_avg()
                cmd = [
                    sys.executable,
                    str(Path(__file__).resolve()),
                    "--worker",
                    "query",
                    "--engine",
                    engine,
                    "--index",
                    str(index_dir),
                    "--queries",
                    str(queries_file),
                    "--out",
                    str(out),
                ]
                measured = run_measured(cmd, work / f"query-{engine}-{scale}x.log", args.timeout)
                result = json.loads(out.read_text())
                result["load_before"], result["load_after"] = load, load_avg()
                result["wall_s"] = measured["seconds"]
                this["query"][engine] = result
            if "advosearch" in args.engines and r < args.http_rounds:
                log_line(f"{scale}x round {r + 1}: HTTP through advosearch serve")
                this["http"] = http_bench(
                    work / f"ix-{args.set}-{scale}x-advosearch",
                    queries,
                    args.http_clients,
                    args.http_requests,
                    args.http_seconds,
                    work / f"serve-{scale}x.log",
                    args.http_workers,
                )
        scale_report["summary"] = summarize_scale(rounds, args.engines)
    report["targets"] = check_targets(report)
    return report


def _versions() -> dict[str, str]:
    import sqlite3
    from importlib import metadata

    versions = {"sqlite": sqlite3.sqlite_version}
    try:  # the product code measured: HEAD, and whether the work tree had local changes
        head = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        versions["advosearch"] = head
    except (OSError, subprocess.CalledProcessError):
        versions["advosearch"] = "unknown"
    for dist in ("whoosh3", "tantivy", "nltk", "uvicorn", "fastapi"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "absent"
    return versions


# --- summarising ------------------------------------------------------------------------

BUILD_METRICS = ("seconds", "index_bytes", "peak_rss")
QUERY_METRICS = (
    ("top10", "p50"),
    ("top10", "p95"),
    ("top10", "p99"),
    ("snippets", "p50"),
    ("snippets", "p95"),
    ("snippets", "p99"),
)


def _round_metrics(round_: dict[str, Any], engine: str) -> dict[str, float]:
    values: dict[str, float] = {}
    build = round_["build"].get(engine)
    if build:
        for name in BUILD_METRICS:
            values[f"build_{name}"] = build[name]
        values["build_docs_per_s"] = build["documents"] / build["seconds"]
    query = round_["query"].get(engine)
    if query:
        for mode, stat in QUERY_METRICS:
            values[f"{mode}_{stat}"] = summarize(query[mode]["latencies_ms"])[stat]
        values["serve_rss_peak"] = query["serve_rss_peak"]
        values["hits_top10"] = query["top10"]["hits"]
        values["empty_top10"] = query["top10"]["empty"]
    return values


def summarize_scale(rounds: list[dict[str, Any]], engines: list[str]) -> dict[str, Any]:
    per_round = [{e: _round_metrics(r, e) for e in engines} for r in rounds]
    medians: dict[str, dict[str, float]] = {}
    for engine in engines:
        names = {k for r in per_round for k in r[engine]}
        medians[engine] = {
            k: median(r[engine][k] for r in per_round if k in r[engine]) for k in sorted(names)
        }
        medians[engine]["build_rounds"] = sum("build_seconds" in r[engine] for r in per_round)
    ratios: dict[str, dict[str, float]] = {}
    if "advosearch" in engines:
        for other in engines:
            if other == "advosearch":
                continue
            names = set(medians["advosearch"]) & set(medians[other])
            names -= {"build_rounds", "hits_top10", "empty_top10"}
            ratios[other] = {}
            for name in sorted(names):
                per = [
                    r["advosearch"][name] / r[other][name]
                    for r in per_round
                    if name in r["advosearch"] and r[other].get(name)
                ]
                ratios[other][name] = median(per)
    http = [r["http"] for r in rounds if r.get("http")]
    http_summary = []
    if http:
        for i, level in enumerate(http[0]["levels"]):
            rows = [h["levels"][i] for h in http]
            http_summary.append(
                {
                    "clients": level["clients"],
                    **{
                        k: median(row[k] for row in rows)
                        for k in ("p50", "p95", "p99", "throughput", "load")
                    },
                    "errors": sum(row["errors"] for row in rows),
                    "error_kinds": _merged(row.get("error_kinds", {}) for row in rows),
                    "requests": sum(row["n"] for row in rows),
                    "rounds": len(rows),
                }
            )
    server_rss = median(h["server_rss_peak"] or math.nan for h in http) if http else math.nan
    loads = [
        v
        for r in rounds
        for phase in ("build", "query")
        for e in r[phase].values()
        for v in (e.get("load_before"), e.get("load_after"))
        if v is not None
    ]
    return {
        "medians": medians,
        "ratios_vs": ratios,
        "http": http_summary,
        "http_workers": http[0].get("workers", 1) if http else None,
        "server_rss_peak": server_rss,
        "load_range": [min(loads), max(loads)] if loads else None,
    }


def _merged(counts) -> dict[str, int]:
    merged: dict[str, int] = {}
    for count in counts:
        for key, value in count.items():
            merged[key] = merged.get(key, 0) + value
    return merged


def check_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    checks = []
    for scale, data in report["scales"].items():
        s = data["summary"]
        vs = s["ratios_vs"].get("fts5")
        if vs:
            for name, label, limit in (
                ("snippets_p50", "top-10+snippets p50 <= FTS5", 1.0),
                ("snippets_p95", "top-10+snippets p95 <= FTS5", 1.0),
                ("top10_p50", "top-10 p50 <= FTS5", 1.0),
                ("build_seconds", "build time <= 5x FTS5", 5.0),
            ):
                if name in vs:
                    checks.append(
                        {
                            "scale": scale,
                            "target": label,
                            "value": vs[name],
                            "unit": "x FTS5",
                            "pass": vs[name] <= limit,
                        }
                    )
        limit_ms = 50.0 if scale == "1" else 150.0
        for level in s["http"]:
            if level["clients"] == 4:
                checks.append(
                    {
                        "scale": scale,
                        "target": f"HTTP p95 at 4 clients < {limit_ms:.0f} ms",
                        "value": level["p95"],
                        "unit": "ms",
                        "pass": level["p95"] < limit_ms,
                    }
                )
        if scale == "10":
            serve = s["server_rss_peak"]
            if not math.isnan(serve):
                checks.append(
                    {
                        "scale": scale,
                        "target": "serving RSS per worker < 500 MB",
                        "value": serve / 2**20,
                        "unit": "MB",
                        "pass": serve < 500 * 2**20,
                    }
                )
    return checks


# --- table ------------------------------------------------------------------------------


def _f(value: float | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _mb(value: float | None) -> str:
    return "-" if value is None or math.isnan(value) else f"{value / 2**20:,.0f}"


def format_table(report: dict[str, Any]) -> str:
    lines = []
    settings = report["settings"]
    lines.append(
        f"advosearch speed benchmark — corpus set {settings['set']!r}, {settings['rounds']} rounds"
        f" (builds: {settings['build_rounds'] or settings['rounds']}), queries "
        + ", ".join(f"{n} {k}" for k, n in settings["queries"].items())
        + f"; {report['machine']['cpus']} CPUs, Python {report['machine']['python']}, "
        + ", ".join(f"{k} {v}" for k, v in report["versions"].items())
    )
    for scale, data in report["scales"].items():
        s = data["summary"]
        corpus = data["corpus"]
        load = s["load_range"]
        lines.append("")
        lines.append(
            f"== {scale}x: {corpus['documents']:,} documents, {corpus['bytes'] / 2**20:,.0f} MB "
            f"JSONL; load average during run {_f(load[0], 2)}–{_f(load[1], 2)} =="
            if load
            else f"== {scale}x =="
        )
        header = (
            f"{'engine':<24}{'build s':>9}{'docs/s':>9}{'index MB':>9}{'build RSS':>10}"
            f"{'serve RSS':>10}  {'top-10 p50/p95/p99 ms':>23}  {'+snippets p50/p95/p99 ms':>25}"
            f"{'hits':>7}"
        )
        lines.append(header)
        lines.append("-" * len(header))
        for engine, m in s["medians"].items():
            top = "/".join(_f(m.get(f"top10_{p}"), 2) for p in ("p50", "p95", "p99"))
            snip = "/".join(_f(m.get(f"snippets_{p}"), 2) for p in ("p50", "p95", "p99"))
            lines.append(
                f"{engine:<24}{_f(m.get('build_seconds')):>9}{_f(m.get('build_docs_per_s'), 0):>9}"
                f"{_mb(m.get('build_index_bytes')):>9}{_mb(m.get('build_peak_rss')):>10}"
                f"{_mb(m.get('serve_rss_peak')):>10}  {top:>23}  {snip:>25}"
                f"{_f(m.get('hits_top10'), 0):>7}"
            )
        for other, r in s["ratios_vs"].items():
            top = "/".join(_f(r.get(f"top10_{p}"), 2) for p in ("p50", "p95", "p99"))
            snip = "/".join(_f(r.get(f"snippets_{p}"), 2) for p in ("p50", "p95", "p99"))
            label = f"advosearch ÷ {other}"
            build_s, docs_s = _f(r.get("build_seconds"), 2), _f(r.get("build_docs_per_s"), 2)
            lines.append(
                f"{label:<24}{build_s:>9}{docs_s:>9}"
                f"{_f(r.get('build_index_bytes'), 2):>9}{_f(r.get('build_peak_rss'), 2):>10}"
                f"{_f(r.get('serve_rss_peak'), 2):>10}  {top:>23}  {snip:>25}"
            )
        if s["http"]:
            lines.append("")
            lines.append(
                f"HTTP GET /search via advosearch serve ({s['http_workers']} worker(s), loopback, "
                f"keep-alive); server peak RSS per worker {_mb(s['server_rss_peak'])} MB"
            )
            lines.append(
                f"{'clients':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'req/s':>8}"
                f"{'errors':>8}{'requests':>10}{'load':>6}"
            )
            for level in s["http"]:
                lines.append(
                    f"{level['clients']:>8}{_f(level['p50']):>9}{_f(level['p95']):>9}"
                    f"{_f(level['p99']):>9}{_f(level['throughput']):>8}{level['errors']:>8}"
                    f"{level['requests']:>10}{_f(level['load'], 1):>6}"
                    + (f"  {level['error_kinds']}" if level.get("error_kinds") else "")
                )
    scales = list(report["scales"])
    if len(scales) > 1:
        first, last = scales[0], scales[-1]
        lines.append("")
        lines.append(f"Growth {last}x ÷ {first}x (medians):")
        for engine in report["settings"]["engines"]:
            a = report["scales"][first]["summary"]["medians"].get(engine, {})
            b = report["scales"][last]["summary"]["medians"].get(engine, {})
            parts = []
            for key, label in (
                ("build_seconds", "build"),
                ("build_index_bytes", "index"),
                ("serve_rss_peak", "serve RSS"),
                ("top10_p50", "top-10 p50"),
                ("top10_p95", "p95"),
                ("snippets_p50", "+snippets p50"),
                ("snippets_p95", "p95"),
            ):
                if a.get(key) and b.get(key):
                    parts.append(f"{label} {b[key] / a[key]:.1f}x")
            lines.append(f"  {engine:<12}" + ", ".join(parts))
    if report["targets"]:
        lines.append("")
        lines.append("Targets (issue 6):")
        for check in report["targets"]:
            lines.append(
                f"  [{'PASS' if check['pass'] else 'FAIL'}] {check['scale']}x {check['target']}: "
                f"{_f(check['value'], 2)} {check['unit']}"
            )
    return "\n".join(lines)


def strip_latencies(report: dict[str, Any]) -> dict[str, Any]:
    """The report without per-query latency lists (kept only in the workdir's raw file)."""
    slim = json.loads(json.dumps(report))
    for data in slim["scales"].values():
        for round_ in data["rounds"]:
            for query in round_["query"].values():
                for mode in ("top10", "snippets"):
                    query[mode] = {
                        **summarize(query[mode]["latencies_ms"]),
                        "hits": query[mode]["hits"],
                        "empty": query[mode]["empty"],
                    }
    return slim


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--build-rounds", type=int, default=0, help="rounds that rebuild (default: all)"
    )
    parser.add_argument("--http-rounds", type=int, default=99, help="rounds with HTTP")
    parser.add_argument(
        "--reuse-index",
        nargs="*",
        choices=ENGINE_NAMES,
        default=[],
        help="engines whose existing index in the workdir is queried, not rebuilt",
    )
    parser.add_argument("--engines", nargs="+", choices=ENGINE_NAMES, default=list(ENGINE_NAMES))
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/advosearch-bench"))
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--set", choices=sorted(SETS), default="issue")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--http-clients", type=int, nargs="+", default=list(HTTP_LEVELS))
    parser.add_argument(
        "--http-workers", type=int, default=2, help="uvicorn workers (serve's default: 2)"
    )
    parser.add_argument("--http-requests", type=int, default=390, help="per concurrency level")
    parser.add_argument("--http-seconds", type=float, default=60.0, help="cap per level")
    parser.add_argument("--timeout", type=float, default=3600.0, help="per subprocess")
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    # Internal: the engine subprocesses.
    parser.add_argument("--worker", choices=["build", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--corpus", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--index", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--queries", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker == "build":
        worker_build(args.engine, args.corpus, args.index)
        return 0
    if args.worker == "query":
        worker_query(args.engine, args.index, args.queries, args.out)
        return 0
    for name in ("psutil", "tantivy") if "tantivy" in args.engines else ("psutil",):
        try:
            __import__(name)
        except ImportError:
            parser.error(f"needs {name}: .venv/bin/pip install psutil tantivy")
    report = run(args)
    raw = args.workdir / "report-raw.json"
    raw.write_text(json.dumps(report))
    slim = strip_latencies(report)
    (args.workdir / "report.json").write_text(json.dumps(slim, indent=2))
    table = format_table(slim)
    (args.workdir / "report.txt").write_text(table + "\n")
    print(json.dumps(slim, indent=2) if args.json else table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
