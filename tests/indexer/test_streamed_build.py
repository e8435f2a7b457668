"""A JSON Lines file parsed in the indexer's own process is streamed to the writer: the
same articles as parsing it whole, its bytes counted by its lines, a broken file skipped."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import ParseOptions, Progress, build_index, input_size
from indexer.formats import RunContext, StreamedFile, parse_file, records, stream_file

SPANISH = (
    "La libertad de prensa se deterioró en la región durante el último año, según el informe "
    "anual de la organización, que documentó detenciones de periodistas y cierres de medios."
)


def spanish(number: int) -> dict:
    return {"id": f"r{number}", "title": f"Informe {number}", "body": SPANISH}


# Too short to detect a language in: it takes the file's (Spanish).
SHORT = {"id": "short", "title": "Hola", "body": "Sí."}


def write_jsonl(path: Path, lines: list[str], *, compress: bool = False) -> Path:
    data = "".join(f"{line}\n" for line in lines).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def mixed_lines() -> list[str]:
    """Records, a short one, an empty one, a bad line and a blank one, a duplicate id."""
    return [
        json.dumps(spanish(1)),
        json.dumps(SHORT),
        "",
        "not json",
        json.dumps({"id": "empty", "title": "", "body": ""}),
        json.dumps(spanish(2)),
        json.dumps(spanish(2)),
        "{cut off",
    ]


@pytest.mark.parametrize("compress", [False, True])
def test_streamed_articles_are_parse_files_in_its_order(tmp_path: Path, compress: bool) -> None:
    name = "export.jsonl.gz" if compress else "export.jsonl"
    path = write_jsonl(tmp_path / name, mixed_lines(), compress=compress)
    whole = parse_file(path, tmp_path, RunContext())
    streamed = stream_file(path, tmp_path, RunContext())
    assert isinstance(streamed, StreamedFile)
    pieces = list(streamed.articles)
    # The short record's language is the file's, known at its end: it comes last.
    assert [a.id for a, _ in pieces] == ["export/r1", "export/r2", "export/r2-2", "export/short"]
    # Parsed whole, it comes last too: an index's order does not depend on how its files
    # were read (one process streams them, several parse them whole).
    assert [article for article, _ in pieces] == whole.articles
    assert pieces[-1][0].language == "es"
    assert streamed.warnings == whole.warnings
    # Each article's bytes are its line and the skipped lines before it; the lines after
    # the last record are the rest of the file.
    lines = [len(f"{line}\n".encode()) for line in mixed_lines()]
    assert [nbytes for _, nbytes in pieces] == [lines[0], sum(lines[2:6]), lines[6], lines[1]]
    assert sum(nbytes for _, nbytes in pieces) + lines[7] == input_size(path)


def test_other_formats_are_parsed_whole(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text(json.dumps([spanish(1)]), encoding="utf-8")
    assert stream_file(path, tmp_path, RunContext()) == parse_file(path, tmp_path, RunContext())


class CountingProgress(Progress):
    def __init__(self) -> None:
        self.total = self.nbytes = self.articles = 0

    def start(self, total_bytes: int) -> None:
        self.total = total_bytes

    def advance(self, nbytes: int, articles: int) -> None:
        self.nbytes += nbytes
        self.articles += articles


def stored_articles(index_dir: Path) -> list[tuple[str, str]]:
    """(id, language) of the index's articles, in document order."""
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return [(d["article_id"], d["language"]) for d in searcher.documents(kind="article")]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_streamed_file_is_indexed_whole_with_its_bytes_counted(
    tmp_path: Path, workers: int
) -> None:
    path = write_jsonl(tmp_path / "corpus" / "export.jsonl", mixed_lines())
    progress = CountingProgress()
    summary = build_index(
        [path.parent], tmp_path / "ix", ParseOptions(), workers=workers, progress=progress
    )
    assert stored_articles(tmp_path / "ix") == [
        ("export/r1", "es"),
        ("export/r2", "es"),
        ("export/r2-2", "es"),
        ("export/short", "es"),  # held back until the file's language was known
    ]
    assert progress.nbytes == progress.total == input_size(path)
    assert progress.articles == summary.articles_added == 4
    assert summary.files_parsed == 1 and not summary.skipped
    assert [w.split(": ", 1)[1] for w in summary.warnings] == [
        "2 invalid JSON line(s) skipped, first at line 4, column 1: Expecting value",
        "1 record(s) without text skipped (first: line 5)",
        "1 duplicate id(s) were given a -2, -3… suffix",
    ]


def test_the_index_is_in_the_same_order_whichever_way_its_files_were_read(
    tmp_path: Path,
) -> None:
    # One process streams a JSON Lines file; several parse files whole. Articles of one
    # date are listed last indexed first: their order is the index's.
    corpus = tmp_path / "corpus"
    for name in ("a.jsonl", "b.jsonl"):
        write_jsonl(corpus / name, mixed_lines())
    build_index([corpus], tmp_path / "one", ParseOptions(), workers=1)
    build_index([corpus], tmp_path / "two", ParseOptions(), workers=2)
    assert stored_articles(tmp_path / "one") == stored_articles(tmp_path / "two")


def test_a_file_broken_from_the_start_is_skipped_and_its_old_version_kept(
    tmp_path: Path,
) -> None:
    """As when files were parsed whole: a file that has become unreadable is reported, and
    the index keeps its articles of the last run until it reads again."""
    path = write_jsonl(tmp_path / "corpus" / "export.jsonl", [json.dumps(spanish(1))])
    build_index([path.parent], tmp_path / "ix", ParseOptions(), workers=1)
    write_jsonl(path, ["not json", "{cut off"])
    progress = CountingProgress()
    summary = build_index([path.parent], tmp_path / "ix", ParseOptions(), progress=progress)
    assert [skipped.path for skipped in summary.skipped] == [path]
    assert summary.skipped[0].reason == (
        "invalid JSON Lines: no valid line (first error at line 1, column 1: Expecting value); "
        "kept the 1 article indexed from it before, until it reads again"
    )
    assert summary.files_parsed == 0 and not summary.committed
    assert stored_articles(tmp_path / "ix") == [("export/r1", "es")]
    assert progress.nbytes == input_size(path)


def test_a_file_that_breaks_part_way_keeps_the_articles_written_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles handed to the writer cannot be taken back: a streamed file that fails
    part-way (a parser bug) keeps the articles before the failure, and says so."""
    path = write_jsonl(
        tmp_path / "corpus" / "export.jsonl", [json.dumps(spanish(n)) for n in (1, 2, 3)]
    )
    text_blocks = records.text_blocks
    calls = 0

    def failing_on_the_third(body: object) -> list:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyError("boom")
        return text_blocks(body)

    monkeypatch.setattr(records, "text_blocks", failing_on_the_third)
    progress = CountingProgress()
    summary = build_index(
        [path.parent], tmp_path / "ix", ParseOptions(), workers=1, progress=progress
    )
    assert stored_articles(tmp_path / "ix") == [("export/r1", "es"), ("export/r2", "es")]
    assert summary.files_parsed == 1 and not summary.skipped
    assert summary.warnings == [
        f"{path}: could not be parsed (KeyError: 'boom'); please report this; "
        "kept the 2 articles before it"
    ]
    assert progress.nbytes == input_size(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (gzip.compress(b"x" * 100_000), 100_000),  # the trailer's size: 1,000 times its own
        (b"\x1f\x8b\x08\x00garbagegarbage", 18),  # "bage" read as a size was 1.7 GB
        (gzip.compress(b"x" * 100_000)[:40], 40),  # ends in compressed data
        (b"\x1f\x8b", 2),
        (b"not gzip", 8),
    ],
    ids=["valid", "corrupt", "truncated", "too-short", "not-gzip"],
)
def test_a_gzipped_file_counts_no_more_than_deflate_can_hold(
    tmp_path: Path, content: bytes, expected: int
) -> None:
    path = tmp_path / "r.jsonl.gz"
    path.write_bytes(content)
    assert input_size(path) == expected
