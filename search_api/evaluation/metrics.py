"""The ranking metrics, written once: nDCG@10 (graded gains), MAP, P@10, recall@100.

Definitions are trec_eval's, so they can be checked against it: a document is relevant when
its gain is above 0; nDCG uses the gain itself with a log2(rank + 1) discount, the ideal
ranking being all judged gains in decreasing order; average precision divides by every
relevant document of the query, retrieved or not. Queries without any relevant document
are left out of the means, as trec_eval leaves out queries absent from the judgments.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]  # query id -> document id -> gain
Run = Mapping[str, Sequence[str]]  # query id -> ranked document ids, best first

METRICS = ("ndcg@10", "map", "p@10", "recall@100")


def ndcg_at(ranking: Sequence[str], gains: Mapping[str, int], k: int) -> float:
    dcg = sum(
        gains.get(doc, 0) / math.log2(rank + 1) for rank, doc in enumerate(ranking[:k], start=1)
    )
    ideal_gains = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal_gains, start=1))
    return dcg / ideal if ideal else 0.0


def average_precision(ranking: Sequence[str], gains: Mapping[str, int]) -> float:
    relevant = sum(1 for g in gains.values() if g > 0)
    found, total = 0, 0.0
    for rank, doc in enumerate(ranking, start=1):
        if gains.get(doc, 0) > 0:
            found += 1
            total += found / rank
    return total / relevant if relevant else 0.0


def precision_at(ranking: Sequence[str], gains: Mapping[str, int], k: int) -> float:
    # trec_eval's P@k divides by k even when fewer than k documents were retrieved.
    return sum(1 for doc in ranking[:k] if gains.get(doc, 0) > 0) / k


def recall_at(ranking: Sequence[str], gains: Mapping[str, int], k: int) -> float:
    relevant = sum(1 for g in gains.values() if g > 0)
    found = sum(1 for doc in ranking[:k] if gains.get(doc, 0) > 0)
    return found / relevant if relevant else 0.0


def per_query(ranking: Sequence[str], gains: Mapping[str, int]) -> dict[str, float]:
    return {
        "ndcg@10": ndcg_at(ranking, gains, 10),
        "map": average_precision(ranking, gains),
        "p@10": precision_at(ranking, gains, 10),
        "recall@100": recall_at(ranking, gains, 100),
    }


def evaluate(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean of each metric over the judged queries (a query missing from the run scores 0)."""
    judged = [qid for qid, gains in qrels.items() if any(g > 0 for g in gains.values())]
    totals = dict.fromkeys(METRICS, 0.0)
    for qid in judged:
        for name, value in per_query(run.get(qid, ()), qrels[qid]).items():
            totals[name] += value
    return {name: total / len(judged) if judged else 0.0 for name, total in totals.items()}
