"""The TIME and Cranfield loaders on tiny literal samples of their formats, and one run of
the whole evaluation (real indexing, real search, both baselines) on such a sample."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from search_api.evaluation import baselines
from search_api.evaluation.collections import Collection, Document, load, write_jsonl
from search_api.evaluation.run import ENGINE, SYSTEMS, as_table, evaluate_collection

TIME_ALL = """*TEXT 017 01/04/63 PAGE 020

THE ALLIES AFTER NASSAU IN DECEMBER 1960, THE U.S . FIRST

PROPOSED TO HELP NATO DEVELOP ITS OWN NUCLEAR STRIKE FORCE .

*TEXT 018 01/04/63 PAGE 021

BUDDHISTS IN SAIGON PROTESTED AGAINST DIEM AND HIS BROTHER NHU .

*TEXT 431 08/30 63 PAGE 026

RUSSIA OR A FOUR-POWER SUMMIT MEETING ON NUCLEAR TESTING .
"""
TIME_QUE = """*FIND      1

 NUCLEAR STRIKE FORCE FOR NATO OR FOR

EUROPE .

*FIND      2

 DIEM AND THE BUDDHISTS .

*STOP
"""
TIME_REL = """1  1 3 424

2  2

"""
CRAN_ALL = """.I 1
.T
experimental investigation of the aerodynamics of a
wing in a slipstream .
.A
brenckman,m.
.B
j. ae. scs. 25, 1958, 324.
.W
experimental investigation of the aerodynamics of a
wing in a slipstream .
  an experimental study of a wing in a propeller slipstream .
.I 2
.T
simple shear flow past a flat plate .
.A
.B
.W
simple shear flow past a flat plate in an incompressible fluid .
"""
CRAN_QRY = """.I 001
.W
what is the lift of a wing in a slipstream .
.I 004
.W
shear flow past a plate .
"""
CRAN_REL = "1 1 2\n1 2 -1\n2 2 1\n2 1 4\n"


@pytest.fixture
def time_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "time"
    folder.mkdir()
    (folder / "TIME.ALL").write_text(TIME_ALL)
    (folder / "TIME.QUE").write_text(TIME_QUE)
    (folder / "TIME.REL.ALL").write_text(TIME_REL)
    return folder


@pytest.fixture
def cran_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "cran"
    folder.mkdir()
    (folder / "cran.all.1400").write_text(CRAN_ALL)
    (folder / "cran.qry").write_text(CRAN_QRY)
    (folder / "cranqrel").write_text(CRAN_REL)
    return folder


def test_time_documents_are_numbered_by_position_with_their_dates(time_dir: Path):
    collection = load(time_dir)
    assert [doc.id for doc in collection.documents] == ["1", "2", "3"]
    assert [doc.date for doc in collection.documents] == ["1963-01-04", "1963-01-04", "1963-08-30"]
    assert collection.documents[0].title is None
    assert collection.documents[0].body.startswith("THE ALLIES AFTER NASSAU IN DECEMBER 1960,")
    assert "\n" not in collection.documents[0].body


def test_time_queries_are_lowercased_so_or_is_a_word_and_missing_documents_are_dropped(
    time_dir: Path,
):
    collection = load(time_dir)
    assert collection.queries["1"] == "nuclear strike force for nato or for europe ."
    assert collection.qrels == {"1": {"1": 1, "3": 1}, "2": {"2": 1}}


def test_cranfield_titles_texts_and_graded_gains(cran_dir: Path):
    collection = load(cran_dir)
    first = collection.documents[0]
    assert (first.id, first.title) == (
        "1",
        "experimental investigation of the aerodynamics of a wing in a slipstream .",
    )
    assert first.body.endswith("an experimental study of a wing in a propeller slipstream .")
    # Queries are numbered in file order (their .I numbers are not); gain = 5 - code.
    assert collection.queries == {
        "1": "what is the lift of a wing in a slipstream .",
        "2": "shear flow past a plate .",
    }
    assert collection.qrels == {"1": {"1": 3, "2": 0}, "2": {"2": 4, "1": 1}}


def test_an_unknown_folder_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="not a known test collection"):
        load(tmp_path)


def test_jsonl_export_has_only_the_fields_the_collection_has(cran_dir: Path, tmp_path: Path):
    path = write_jsonl(load(cran_dir), tmp_path)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert path.name == "cran.jsonl"
    assert set(records[0]) == {"id", "title", "body"}


def test_baselines_rank_the_obvious_document_first(cran_dir: Path):
    collection = load(cran_dir)
    for system in (baselines.plain_bm25, baselines.fts5):
        run = system(collection, 10)
        assert run["1"][0] == "1" and run["2"][0] == "2", system.__name__


def test_fts5_reads_query_syntax_as_words():
    documents = [Document("1", "what and not near or"), Document("2", "something else")]
    collection = Collection("t", documents, {"1": 'what "AND" (NOT) near* - OR'})
    assert baselines.fts5(collection, 10)["1"] == ["1"]


def test_fts5_splits_query_words_as_it_splits_the_text():
    # "russia's" is two words to unicode61, "russia" and "s": a document that names Russia
    # without the possessive matches, as it does when FTS5 reads the query itself.
    documents = [Document("1", "Russia refused to pay"), Document("2", "something else")]
    collection = Collection("t", documents, {"1": "russia's"})
    assert baselines.fts5(collection, 10)["1"] == ["1"]


def test_whole_evaluation_on_a_sample(time_dir: Path):
    result = evaluate_collection(load(time_dir))
    assert set(result.scores) == {ENGINE, *SYSTEMS}
    # Query 2 has one relevant document, which every system finds first.
    for system, scores in result.scores.items():
        assert scores["recall@100"] > 0, system
    assert result.scores[ENGINE]["ndcg@10"] > 0.5
    table = as_table([result])
    assert table.splitlines()[0].split() == [
        "time",
        "ndcg@10",
        "time",
        "map",
        "time",
        "p@10",
        "time",
        "recall@100",
    ]
    assert table.splitlines()[1].startswith(ENGINE)
