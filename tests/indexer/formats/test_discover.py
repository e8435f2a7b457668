from __future__ import annotations

import gzip
import json
import os
import pickle
from pathlib import Path

import pytest

from indexer.errors import UnreadableFile
from indexer.formats import (
    SUPPORTED_SUFFIXES,
    ParsedFile,
    RunContext,
    SkippedFile,
    build_context,
    discover,
    parse_file,
    parse_paths,
)
from tests.indexer.formats.conftest import write

ARTICLE = "A title line\n\nSome article text that is long enough to be a paragraph of its own.\n"


def test_discover_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    for name in ["b/z.md", "a.txt", "b/a.json", ".hidden.txt", ".git/x.md", "b/.cache/y.txt"]:
        write(tmp_path / name, ARTICLE)
    files, skipped = discover([tmp_path])
    assert files == [(tmp_path / n, tmp_path) for n in ["a.txt", "b/a.json", "b/z.md"]]
    assert skipped == []


def test_unsupported_and_missing_paths_are_reported(tmp_path: Path) -> None:
    write(tmp_path / "photo.JPG", b"\xff\xd8")
    write(tmp_path / "Makefile", "x")
    write(tmp_path / "data.xlsx.gz", b"")
    files, skipped = discover([tmp_path, tmp_path / "nope"])
    assert files == []
    assert sorted((s.path.name, s.reason) for s in skipped) == [
        ("Makefile", "not an article format (no extension)"),
        ("data.xlsx.gz", "not an article format (.xlsx.gz)"),
        ("nope", "no such file or folder"),
        ("photo.JPG", "not an article format (.jpg)"),
    ]


def test_a_file_of_another_format_named_on_the_command_line_is_not_passed_over(
    tmp_path: Path,
) -> None:
    write(tmp_path / "export.xlsx", b"PK\x03\x04")
    write(tmp_path / "folder" / "data.xlsx", b"PK\x03\x04")
    _, skipped = discover([tmp_path / "export.xlsx", tmp_path / "folder"])
    # Named, it was meant to be read (a run that cannot is not done: exit code 3); in a
    # folder, it is one of the files beside the articles.
    assert {s.path.name: (s.reason, s.ignored) for s in skipped} == {
        "export.xlsx": ("not an article format (.xlsx)", False),
        "data.xlsx": ("not an article format (.xlsx)", True),
    }


def test_links_and_pipes_in_a_folder_are_reported_not_dropped(tmp_path: Path) -> None:
    write(tmp_path / "real.json", json.dumps([{"title": "T", "body": "Text."}]))
    (tmp_path / "dangling.json").symlink_to(tmp_path / "gone.json")
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    os.mkfifo(tmp_path / "pipe.txt")  # opened, it would wait for a writer: the run would hang
    write(tmp_path / "elsewhere" / "post.md", ARTICLE)
    (tmp_path / "linked").symlink_to(tmp_path / "elsewhere")
    files, skipped = discover([tmp_path])
    assert [path.name for path, _ in files] == ["post.md", "real.json"]
    assert {s.path.name: s.reason for s in skipped} == {
        "dangling.json": "a broken link (what it points to does not exist)",
        "loop.md": "a broken link (what it points to does not exist)",
        "pipe.txt": "a named pipe (FIFO), not a regular file",
        "linked": "a link to a folder, not followed (links can loop)",
    }


def test_a_pipe_or_broken_link_named_as_an_argument_is_reported(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "dangling.json").symlink_to(tmp_path / "gone.json")
    _, skipped = discover([tmp_path / "pipe.json", tmp_path / "dangling.json"])
    assert [(s.path.name, s.reason) for s in skipped] == [
        ("pipe.json", "a named pipe (FIFO), not a regular file"),
        ("dangling.json", "a broken link (what it points to does not exist)"),
    ]


def test_documentation_beside_a_corpus_is_not_an_article(tmp_path: Path) -> None:
    write(tmp_path / "ATTRIBUTION.md", "# Attribution\n\nArticles by their authors.")
    write(tmp_path / "README.txt", "About this folder.")
    write(tmp_path / "site" / "post.md", "---\ntitle: A post\n---\nText.")
    write(tmp_path / "site" / "photo.png", b"\x89PNG")
    files, skipped = discover([tmp_path])
    assert [path.name for path, _ in files] == ["post.md"]
    # Marked, so that a run counts them instead of listing them as problems every time.
    assert {s.path.name: (s.reason, s.ignored) for s in skipped} == {
        "ATTRIBUTION.md": ("a folder's documentation file, not an article", True),
        "README.txt": ("a folder's documentation file, not an article", True),
        "photo.png": ("not an article format (.png)", True),
    }
    named, _ = discover([tmp_path / "README.txt"])
    assert [path.name for path, _ in named] == ["README.txt"]


def test_a_file_argument_is_its_own_root(tmp_path: Path) -> None:
    path = write(tmp_path / "seed" / "s.txt", ARTICLE)
    files, _ = discover([path])
    assert files == [(path, path)]
    [article] = parse_file(path, path, RunContext()).articles
    assert (article.id, article.source) == ("s", "seed")


@pytest.mark.parametrize(
    "suffix",
    [".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".xml", ".wxr",
     ".jsonl.gz", ".md.gz"],
)  # fmt: skip
def test_supported_suffixes(suffix: str) -> None:
    assert suffix in SUPPORTED_SUFFIXES


def test_gzipped_single_article(tmp_path: Path) -> None:
    write(tmp_path / "a.txt.gz", ARTICLE, compress=True)
    [article] = parse_file(tmp_path / "a.txt.gz", tmp_path, RunContext()).articles
    assert (article.id, article.title) == ("a", "A title line")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n ", "empty file"),
        ("binary.txt", b"\x00\x01\x02\x03PK\x03\x04" * 50, "binary file"),
        ("chrome.txt", "Skip to content\n\nSubscribe to our newsletter\n", "no text"),
        ("bad.txt.gz", b"not gzip", "not a valid gzip file"),
    ],
)
def test_bad_single_article_files(
    tmp_path: Path, name: str, content: bytes | str, reason: str
) -> None:
    write(tmp_path / name, content)
    with pytest.raises(UnreadableFile, match=reason):
        parse_file(tmp_path / name, tmp_path, RunContext())


@pytest.mark.parametrize("suffix", [s for s in SUPPORTED_SUFFIXES if s.endswith(".gz")])
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"not gzip at all", "not a valid gzip file: Not a gzipped file (b'no')"),
        (b"\x1f\x8b\x08\x00garbagegarbage", "compressed data is corrupt: invalid code lengths set"),
        (gzip.compress(ARTICLE.encode())[:20], "compressed file is truncated"),
    ],
    ids=["not-gzip", "corrupt", "truncated"],
)
def test_a_broken_gzip_file_is_skipped_saying_what_is_wrong(
    tmp_path: Path, suffix: str, content: bytes, reason: str
) -> None:
    # A corrupt file was "could not be parsed (AttributeError: 'error' object has no
    # attribute 'strerror'); please report this", and a corrupt .md.gz or .txt.gz stopped
    # the whole run there (learning the run's context).
    write(tmp_path / f"broken{suffix}", content)
    write(tmp_path / "good.txt", ARTICLE)
    skipped, parsed = parse_paths([tmp_path])
    assert isinstance(skipped, SkippedFile) and isinstance(parsed, ParsedFile)
    assert (skipped.path.name, skipped.reason) == (f"broken{suffix}", reason)


def test_oversized_single_article_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "big.txt", ARTICLE * 20000)
    with pytest.raises(UnreadableFile, match=r"too large for one article: 1\.6 MB > 1 MB limit"):
        parse_file(tmp_path / "big.txt", tmp_path, RunContext(), max_article_file_bytes=2**20)
    write(tmp_path / "big.md.gz", ARTICLE * 2000, compress=True)  # small on disk, big inside
    with pytest.raises(UnreadableFile, match="too large for one article"):
        parse_file(tmp_path / "big.md.gz", tmp_path, RunContext(), max_article_file_bytes=50 * 1024)


def test_multi_record_files_are_not_limited_by_the_article_size(tmp_path: Path) -> None:
    records = [{"id": n, "title": f"T{n}", "body": "x " * 100} for n in range(200)]
    write(tmp_path / "many.json", json.dumps(records))
    parsed = parse_file(tmp_path / "many.json", tmp_path, RunContext(), max_article_file_bytes=1024)
    assert len(parsed.articles) == 200


def test_parse_paths_reports_bad_files_and_goes_on(tmp_path: Path) -> None:
    write(tmp_path / "site" / "a.txt", ARTICLE)
    write(tmp_path / "site" / "b.json", "[{")
    write(tmp_path / "site" / "c.png", b"\x89PNG")
    write(tmp_path / "site" / "d.md", "---\ntitle: D\n---\nText of d.\n")
    results = list(parse_paths([tmp_path]))
    parsed = {r.path.name: r for r in results if isinstance(r, ParsedFile)}
    skipped = {r.path.name: r.reason for r in results if isinstance(r, SkippedFile)}
    assert sorted(parsed) == ["a.txt", "d.md"]
    assert skipped == {
        "b.json": "invalid JSON at line 1, column 3: Expecting property name enclosed in double "
        "quotes",
        "c.png": "not an article format (.png)",
    }


def test_parse_arguments_and_results_pickle(tmp_path: Path) -> None:
    for n in range(3):
        write(
            tmp_path / "site" / f"{n}.txt",
            f"Title {n} here\n\n{ARTICLE}Shared footer line that repeats on every page.\n",
        )
    files, _ = discover([tmp_path])
    context = build_context(files)
    assert context.chrome_for("site")
    context_copy = pickle.loads(pickle.dumps(context))
    parsed = parse_file(*files[0], context_copy)
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    assert "Shared footer" not in parsed.articles[0].text
    error = pickle.loads(pickle.dumps(UnreadableFile("empty file")))
    assert str(error) == "empty file"
