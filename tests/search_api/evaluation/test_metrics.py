"""The metrics agree with trec_eval (through ir-measures) on small literal judgments and runs."""

from __future__ import annotations

import ir_measures
import pytest
from ir_measures import AP, P, R, nDCG

from search_api.evaluation.metrics import evaluate, per_query

QRELS = {
    "1": {"a": 4, "b": 1, "c": 0, "d": 2, "z": 3},  # graded; "z" is never retrieved
    "2": {"e": 1, "f": 1},
    "3": {"g": 2, "h": 0},
}
RUNS = {
    "1": ["b", "x", "a", "c", "d", "y", "q1", "q2", "q3", "q4", "q5"],  # past rank 10 too
    "2": ["n", "m", "f"],  # fewer than 10 results
    "3": ["h", "o"],  # the relevant document is missed
}


def reference() -> dict[str, dict[str, float]]:
    # trec_eval breaks score ties by document id: give every rank its own score.
    run = {q: {doc: float(len(docs) - i) for i, doc in enumerate(docs)} for q, docs in RUNS.items()}
    names = {nDCG @ 10: "ndcg@10", AP: "map", P @ 10: "p@10", R @ 100: "recall@100"}
    values: dict[str, dict[str, float]] = {q: {} for q in RUNS}
    for metric in ir_measures.iter_calc(list(names), QRELS, run):
        values[metric.query_id][names[metric.measure]] = metric.value
    return values


@pytest.mark.parametrize("qid", sorted(RUNS))
def test_each_query_matches_trec_eval(qid: str):
    expected = reference()[qid]
    assert per_query(RUNS[qid], QRELS[qid]) == pytest.approx(expected, abs=1e-9)


def test_means_match_trec_eval():
    expected = reference()
    means = {
        name: sum(q[name] for q in expected.values()) / len(expected) for name in expected["1"]
    }
    assert evaluate(RUNS, QRELS) == pytest.approx(means, abs=1e-9)


def test_a_query_without_results_scores_zero_and_one_without_relevant_documents_is_left_out():
    qrels = {"1": {"a": 1}, "2": {"b": 0}}
    assert evaluate({}, qrels) == dict.fromkeys(("ndcg@10", "map", "p@10", "recall@100"), 0.0)
    assert evaluate({"1": ["a"]}, qrels)["ndcg@10"] == 1.0
