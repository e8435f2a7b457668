"""A title made up from the body's first words is shown, but not indexed as a title."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.build import ParseOptions, build_index
from search_api.engine import Engine
from search_api.search import build_search_request, search


def test_a_derived_title_is_stored_not_indexed(tmp_path: Path):
    export = tmp_path / "records.jsonl"
    records = [
        {"id": "untitled", "body": "Surveillance cameras spread across the city this year."},
        {"id": "titled", "title": "Surveillance", "body": "Cameras spread across the city."},
    ]
    export.write_text("\n".join(json.dumps(record) for record in records))
    build_index([export], tmp_path / "index", ParseOptions(), workers=1)
    with Engine(tmp_path / "index") as engine, engine.snapshot() as snapshot:
        reader = snapshot.searcher.reader()
        assert reader.doc_frequency("title", "surveil") == 1  # the real title only
        response = search(snapshot, build_search_request(q="surveillance"), 10.0)
    titles = {hit["id"]: hit["title"] for hit in response["results"]}
    assert titles["records/untitled"].startswith("Surveillance cameras spread")
    assert titles["records/titled"] == "Surveillance"
