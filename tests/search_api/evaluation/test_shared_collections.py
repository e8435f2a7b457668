"""Ranking quality on the real TIME and Cranfield collections must not regress.

Each collection is indexed and searched through the real code, as ``advosearch eval`` does
(35-50 s for TIME and 20-40 s for Cranfield here, most of it building the snippets of 100
results per query). The floors are the nDCG@10 reached, less 0.01.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from search_api.evaluation.collections import load
from search_api.evaluation.metrics import evaluate
from search_api.evaluation.run import engine_run

RELEVANCE = Path(__file__).resolve().parents[3].parent / "shared" / "relevance"
REACHED_NDCG_AT_10 = {"time": 0.6804, "cran": 0.3885}


@pytest.mark.shared
@pytest.mark.parametrize("name", sorted(REACHED_NDCG_AT_10))
def test_ndcg_at_10_does_not_drop(name: str, tmp_path: Path):
    folder = RELEVANCE / name
    if not folder.is_dir():
        pytest.skip(f"{folder} is absent: the test collections live in ../shared")
    collection = load(folder)
    scores = evaluate(engine_run(collection, tmp_path), collection.qrels)
    assert scores["ndcg@10"] >= REACHED_NDCG_AT_10[name] - 0.01, scores
