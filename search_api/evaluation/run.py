"""One evaluation run: each collection indexed and searched by the real code, next to the
baselines on the same documents and queries.

The engine's side goes the whole way a site's data goes: the documents become a JSONL
export, ``build_index`` indexes it, and each query is answered by ``search`` exactly as
``GET /search?q=...&page_size=100`` answers it (default mode: all words, with its fallback).
Every system is judged on its first ``DEPTH`` results, so MAP is MAP at 100 for all of them.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from indexer.build import ParseOptions, build_index
from search_api.engine import Engine
from search_api.evaluation import baselines
from search_api.evaluation.collections import Collection, load, write_jsonl
from search_api.evaluation.metrics import METRICS, evaluate
from search_api.search import build_search_request, search

DEPTH = 100  # the largest page a reader can ask for
# Generous on purpose: a measurement must not depend on how busy the machine is.
TIME_BUDGET_S = 60.0

ENGINE = "advosearch"
SYSTEMS: dict[str, Callable[[Collection, int], dict[str, list[str]]]] = {
    "bm25 plain (k1=1.2 b=0.75)": baselines.plain_bm25,
    "sqlite fts5 porter": baselines.fts5,
}


@dataclass
class CollectionResult:
    name: str
    queries: int
    scores: dict[str, dict[str, float]]  # system -> metric -> mean


def engine_run(collection: Collection, workdir: Path) -> dict[str, list[str]]:
    """Query id -> the engine's ranked document ids, through indexing and search."""
    export = workdir / "export"
    export.mkdir()
    path = write_jsonl(collection, export)
    index_dir = workdir / "index"
    build_index([path], index_dir, ParseOptions(), workers=1)
    to_doc = {collection.article_id(doc.id): doc.id for doc in collection.documents}
    run = {}
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        for qid, text in collection.queries.items():
            request = build_search_request(q=text, page_size=DEPTH)
            response = search(snapshot, request, TIME_BUDGET_S)
            run[qid] = [to_doc[hit["id"]] for hit in response["results"]]
    return run


def evaluate_collection(collection: Collection) -> CollectionResult:
    with tempfile.TemporaryDirectory(prefix="advosearch-eval-") as tmp:
        runs = {ENGINE: engine_run(collection, Path(tmp))}
    for name, system in SYSTEMS.items():
        runs[name] = system(collection, DEPTH)
    judged = sum(1 for gains in collection.qrels.values() if any(g > 0 for g in gains.values()))
    scores = {name: evaluate(run, collection.qrels) for name, run in runs.items()}
    return CollectionResult(collection.name, judged, scores)


def evaluate_folders(folders: Sequence[Path]) -> list[CollectionResult]:
    return [evaluate_collection(load(folder)) for folder in folders]


def as_json(results: Sequence[CollectionResult]) -> dict:
    return {r.name: {"queries": r.queries, "systems": r.scores} for r in results}


def as_table(results: Sequence[CollectionResult]) -> str:
    """Rows are systems, columns are collection x metric."""
    systems = [ENGINE, *SYSTEMS]
    columns = [(r, metric) for r in results for metric in METRICS]
    width = max(len(name) for name in systems)
    header = " " * width + "".join(f"  {r.name + ' ' + metric:>16}" for r, metric in columns)
    lines = [header]
    for name in systems:
        cells = "".join(f"  {r.scores[name][metric]:>16.4f}" for r, metric in columns)
        lines.append(f"{name:<{width}}{cells}")
    queries = ", ".join(f"{r.name} {r.queries} judged queries" for r in results)
    lines.append(f"({queries}; first {DEPTH} results per query)")
    return "\n".join(lines)
