"""Did you mean: the same suggestion whether the index is one segment or several."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import ParseOptions, build_index
from search_api.search import correct_word

# "interent" is one substitution from "interest" and a transposition (two edits) from
# "internet", the more frequent word.
RECORDS = {
    "first": [
        {"id": f"n{n}", "title": f"Internet shutdown {n}", "body": "The internet was cut."}
        for n in range(3)
    ],
    "second": [{"id": "i1", "title": "Public interest", "body": "In the public interest."}],
}


def write(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(RECORDS[name]), encoding="utf-8")


@pytest.fixture
def indexes(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write(corpus, "first")
    build_index([corpus], tmp_path / "several", ParseOptions(), workers=1)
    write(corpus, "second")
    build_index([corpus], tmp_path / "several", ParseOptions(), workers=1)  # a second segment
    build_index([corpus], tmp_path / "one", ParseOptions(), workers=1)
    return tmp_path / "one", tmp_path / "several"


@pytest.mark.parametrize("word", ["interent", "internte", "intrest", "shutdwon", "publik"])
def test_a_word_is_corrected_alike_in_one_segment_or_several(
    indexes: tuple[Path, Path], word: str
) -> None:
    suggestions = []
    for index_dir in indexes:
        ix = whoosh_index.open_dir(str(index_dir))
        with ix.searcher() as searcher:
            suggestions.append((len(ix._segments()), correct_word(searcher.reader(), word)))
    assert [count for count, _ in suggestions] == [1, 2]
    assert suggestions[0][1] == suggestions[1][1]
    assert suggestions[0][1] is not None
