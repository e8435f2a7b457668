"""Building the index: incremental, idempotent, bad files skipped, ids never lost."""

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.query import Term

from indexer.analysis import ArchiveAnalyzer
from indexer.build import (
    FIRST_INDEXED,
    GIVEN_ID,
    ParseOptions,
    build_index,
    count_kind,
    indexed_files,
    ingest_articles,
    open_index,
)
from indexer.errors import IndexLocked, IndexNotFound, IndexOutdated
from indexer.formats import PARSER_VERSION, fields
from indexer.models import Article, Section
from indexer.schema import build_schema, is_current

ARTICLES = [
    {
        "id": "a1",
        "title": "Journalists detained in Cambodia",
        "date": "2018-07-01",
        "content": "<p>Two journalists were detained.</p>"
        "<h2>Reactions</h2><p>Groups protested.</p>",
    },
    {
        "id": "a2",
        "title": "Internet shutdown in the region",
        "date": "2019-02-03",
        "content": "<p>The internet was shut down for a week.</p>",
    },
]


def write_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    (corpus / "site").mkdir(parents=True)
    (corpus / "site" / "articles.json").write_text(json.dumps(ARTICLES), encoding="utf-8")
    (corpus / "notes").mkdir()
    (corpus / "notes" / "page.md").write_text(
        "---\ntitle: A note on censorship\ndate: 2020-05-05\n---\nCensorship grew.\n",
        encoding="utf-8",
    )
    return corpus


def article_ids(index_dir: Path) -> set[str]:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return {fields["article_id"] for fields in searcher.documents(kind="article")}


def ids_and_sources(index_dir: Path) -> set[tuple[str, str]]:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return {
            (fields["article_id"], fields["source"])
            for fields in searcher.documents(kind="article")
        }


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return write_corpus(tmp_path)


def test_first_run_indexes_articles_and_their_sections(corpus: Path, tmp_path: Path) -> None:
    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert summary.articles_added == 3
    assert summary.total_articles == 3
    assert summary.total_sections == summary.sections_added >= 4
    assert summary.committed
    assert article_ids(tmp_path / "ix") == {"articles/a1", "articles/a2", "notes/page"}


def test_second_run_on_same_files_changes_nothing(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    generation = whoosh_index.open_dir(str(index_dir)).latest_generation()
    again = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert again.files_unchanged == 2
    assert again.files_parsed == 0
    assert not again.committed
    assert whoosh_index.open_dir(str(index_dir)).latest_generation() == generation
    assert again.total_articles == 3


@pytest.mark.parametrize(
    ("first_root", "then_root"), [("archive/drw", "archive"), ("archive", "archive/drw")]
)
def test_the_index_of_a_folder_does_not_depend_on_the_folders_indexed_before(
    tmp_path: Path, first_root: str, then_root: str
) -> None:
    # A file's source and path-derived id are read from where it sits under the folder it
    # is found in: found under another folder, the same bytes make another article.
    post = tmp_path / "archive" / "drw" / "blog" / "post.md"
    post.parent.mkdir(parents=True)
    post.write_text("---\ntitle: A post\n---\nText of the post.\n", encoding="utf-8")
    build_index([tmp_path / first_root], tmp_path / "ix", ParseOptions(), workers=1)
    build_index([tmp_path / then_root], tmp_path / "ix", ParseOptions(), workers=1)
    build_index([tmp_path / then_root], tmp_path / "fresh", ParseOptions(), workers=1)
    assert ids_and_sources(tmp_path / "ix") == ids_and_sources(tmp_path / "fresh")


def test_new_parse_options_reach_the_files_already_indexed(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    record = {"id": "r1", "title": "Reforma", "body": "<p>La reforma.</p>", "pais": "Chile"}
    (corpus / "records.json").write_text(json.dumps([record]), encoding="utf-8")
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    mapped = ParseOptions(field_map={"tags": "pais"})
    again = build_index([corpus], index_dir, mapped, workers=1)
    assert (again.files_parsed, again.committed) == (1, True)
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert [hit["article_id"] for hit in searcher.search(Term("tag", "chile"))] == [
            "records/r1"
        ]
    unchanged = build_index([corpus], index_dir, mapped, workers=1)
    assert (unchanged.files_unchanged, unchanged.committed) == (1, False)


def test_an_address_on_its_site_links_there_once_the_runs_have_the_sites_address(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    for source, slug in (("drw", "court"), ("gv", "vote")):
        (corpus / source).mkdir(parents=True)
        (corpus / source / f"{slug}.md").write_text(
            f"---\ntitle: {slug}\nurl: /2016/06/08/{slug}/\n---\nA ruling on the {slug}.\n",
            encoding="utf-8",
        )
    index_dir = tmp_path / "ix"

    def urls() -> dict[str, str | None]:
        with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
            return {
                stored["article_id"]: stored["meta"]["url"]
                for stored in searcher.documents(kind="article")
            }

    unlinked = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert urls() == {"court": None, "vote": None}
    [warning] = unlinked.warnings
    assert warning.startswith("2 article(s) have only an address on their site")
    assert "--site-url" in warning
    # A site's address for every source, and one source's own: the files are read again.
    site_urls = {"": "https://ngo.example/blog", "drw": "https://drw.example"}
    linked = build_index([corpus], index_dir, ParseOptions(site_urls=site_urls), workers=1)
    assert (linked.files_parsed, linked.warnings) == (2, [])
    assert urls() == {
        "court": "https://drw.example/2016/06/08/court/",
        "vote": "https://ngo.example/blog/2016/06/08/vote/",
    }


def test_a_new_parser_version_reaches_the_files_already_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "post.md").write_text("---\ntitle: A post\n---\nText.\n", encoding="utf-8")
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    monkeypatch.setattr("indexer.build.PARSER_VERSION", PARSER_VERSION + 1)
    again = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert (again.files_parsed, again.files_unchanged) == (1, 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_that_stays_unreadable_commits_nothing(
    corpus: Path, tmp_path: Path, workers: int
) -> None:
    # It is read again every run, in case it was fixed; a new version would change nothing
    # but break the cursors of readers paging through the old one.
    index_dir = tmp_path / "ix"
    (corpus / "site" / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    (corpus / "site" / "empty.md").write_text("", encoding="utf-8")
    first = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert first.committed and len(first.skipped) == 2
    generation = whoosh_index.open_dir(str(index_dir)).latest_generation()
    again = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert len(again.skipped) == 2 and again.files_unchanged == 2
    assert not again.committed
    assert whoosh_index.open_dir(str(index_dir)).latest_generation() == generation
    assert again.total_articles == 3


def stored_article(index_dir: Path, article_id: str) -> tuple[dict, list[tuple]]:
    """An article's stored metadata and its sections (heading, anchor, text), in order."""
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        meta = searcher.document(kind="article", article_id=article_id)["meta"]
        sections = sorted(
            searcher.documents(kind="section", article_id=article_id),
            key=lambda section: section["section_index"],
        )
        return meta, [(s["section_heading"], s["anchor"], s["text"]) for s in sections]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("name", "broken"),
    [
        ("articles.json", b"{"),  # a CMS export caught half-written
        ("articles.json", b""),
        # No text in any record: written wrong, or read without the field mapping it needs.
        ("articles.json", b"[]"),
        ("articles.json", b'[{"id": "a1", "title": "Journalists detained"}]'),
        ("page.md", b"\x00\x01\x02" * 50),
    ],
)
def test_an_indexed_file_that_becomes_unreadable_keeps_its_articles_until_it_reads_again(
    corpus: Path, tmp_path: Path, workers: int, name: str, broken: bytes
) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=workers)
    generation = whoosh_index.open_dir(str(index_dir)).latest_generation()
    path = next(corpus.rglob(name))
    readable = path.read_bytes()
    path.write_bytes(broken)
    summary = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert [s.path.name for s in summary.skipped] == [name]
    count = 2 if name == "articles.json" else 1
    assert summary.skipped[0].reason.endswith(
        f"; kept the {count} article{'s' if count > 1 else ''} indexed from it before, "
        "until it reads again"
    )
    assert not summary.committed and summary.total_articles == 3
    assert whoosh_index.open_dir(str(index_dir)).latest_generation() == generation
    assert article_ids(index_dir) == {"articles/a1", "articles/a2", "notes/page"}
    # The version it holds again is the one the index kept: nothing is read or written.
    path.write_bytes(readable)
    fixed = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert (fixed.files_unchanged, fixed.skipped, fixed.committed) == (2, [], False)
    build_index([corpus], tmp_path / "fresh", ParseOptions(), workers=workers)
    assert ids_and_sources(index_dir) == ids_and_sources(tmp_path / "fresh")


EXPORT = [
    {"id": f"s{n}", "title": f"Story {n}", "body": f"Reporters detained in city {n}."}
    for n in range(6)
]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize(
    ("name", "whole", "cut"),
    [
        # A CMS writing its export as the indexer reads it: a line, or a list, broken off.
        ("export.jsonl", "".join(json.dumps(r) + "\n" for r in EXPORT), lambda t: t[:-20]),
        ("export.json", json.dumps(EXPORT), lambda t: t[: len(t) // 2]),
    ],
    ids=["json lines", "json list"],
)
def test_an_export_caught_half_written_keeps_the_articles_past_its_break(
    tmp_path: Path, workers: int, name: str, whole: str, cut
) -> None:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    (corpus / name).write_text(whole, encoding="utf-8")
    build_index([corpus], index_dir, ParseOptions(), workers=workers)
    indexed = article_ids(index_dir)
    assert len(indexed) == 6
    last = stored_article(index_dir, "export/s5")
    (corpus / name).write_text(cut(whole), encoding="utf-8")
    summary = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert article_ids(index_dir) == indexed
    assert stored_article(index_dir, "export/s5") == last  # its text and metadata
    [kept] = [w for w in summary.warnings if "cut-short reading does not have" in w]
    assert kept.endswith("until it reads whole")
    again = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert not again.committed and article_ids(index_dir) == indexed
    # Whole again: the export's reading replaces all it held, as a fresh index reads it.
    (corpus / name).write_text(whole.replace("Story 5", "Story five"), encoding="utf-8")
    build_index([corpus], index_dir, ParseOptions(), workers=workers)
    build_index([corpus], tmp_path / "fresh", ParseOptions(), workers=workers)
    assert ids_and_sources(index_dir) == ids_and_sources(tmp_path / "fresh")
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert searcher.document(kind="article", article_id="export/s5")["title"] == "Story five"


@pytest.mark.parametrize(
    ("name", "now"),
    [
        ("page.md", "---\ntitle: A note on censorship\ndraft: true\n---\nCensorship grew.\n"),
        ("page.md", "---\ntitle: A note on censorship\n---\n"),
    ],
)
def test_an_indexed_file_that_now_holds_no_article_loses_its_articles(
    corpus: Path, tmp_path: Path, name: str, now: str
) -> None:
    # It was read whole: a page turned into a draft, or emptied. What it held before is no
    # longer in it.
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    path = next(corpus.rglob(name))
    path.write_text(now, encoding="utf-8")
    summary = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert [s.path.name for s in summary.skipped] == [name] and summary.committed
    assert summary.skipped[0].reason.endswith("; removed the 1 article indexed from it before")
    assert summary.total_articles == 2
    again = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert not again.committed and not again.skipped[0].reason.endswith("before")


def test_a_scheduled_post_is_indexed_by_the_first_run_after_its_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "report.md").write_text(
        "---\ntitle: Embargoed report\npublishDate: 2030-06-01T09:00:00+02:00\n"
        "expiryDate: 2031-01-01\n---\nThe findings.\n",
        encoding="utf-8",
    )
    (site / "alert.md").write_text("---\ntitle: Alert\n---\nAn alert.\n", encoding="utf-8")
    index_dir = tmp_path / "ix"
    runs = []
    for now in ("2030-06-01T06:59:00", "2030-06-01T07:00:00", "2031-01-01T00:00:00"):
        clock = dt.datetime.fromisoformat(now).replace(tzinfo=dt.UTC)
        monkeypatch.setattr(fields, "utc_now", lambda clock=clock: clock)
        summary = build_index([site], index_dir, ParseOptions(), workers=1)
        runs.append((article_ids(index_dir), [s.reason for s in summary.skipped]))
    assert runs == [
        ({"alert"}, ["scheduled post (front matter says publishDate: 2030-06-01T09:00:00+02:00)"]),
        ({"alert", "report"}, []),  # the file did not change: it was read again all the same
        (
            {"alert"},
            [
                "expired post (front matter says expiryDate: 2031-01-01); removed the 1 "
                "article indexed from it before"
            ],
        ),
    ]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_record_unpublished_since_the_last_run_leaves_the_index(
    tmp_path: Path, workers: int
) -> None:
    export = tmp_path / "posts.jsonl"
    posts = [{"id": n, "status": "publish", "body": f"Testimony {n}."} for n in range(3)]
    export.write_text("\n".join(json.dumps(post) for post in posts), encoding="utf-8")
    index_dir = tmp_path / "ix"
    build_index([export], index_dir, ParseOptions(), workers=workers)
    posts[1]["status"] = "private"
    export.write_text("\n".join(json.dumps(post) for post in posts), encoding="utf-8")
    build_index([export], index_dir, ParseOptions(), workers=workers)
    assert article_ids(index_dir) == {"posts/0", "posts/2"}


@pytest.mark.parametrize("workers", [1, 2])
def test_an_unreadable_file_keeps_its_articles_under_new_ids_when_another_takes_them(
    tmp_path: Path, workers: int
) -> None:
    # What the index keeps of an unreadable file still takes its place among the run's
    # ids: a file read before it that now has one of them gets it, as it would were the
    # kept file readable, and the kept article moves to a suffix, text and all.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    kept = corpus / "z.md"
    kept.write_text(
        "---\nid: shared\ntitle: Kept\ndate: 2020-05-05\n---\nKept text.\n\n## More\n\nMore.\n",
        encoding="utf-8",
    )
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=workers)
    before = stored_article(index_dir, "shared")
    kept.write_bytes(b"\x00\x01\x02" * 50)
    (corpus / "a.md").write_text("---\nid: shared\ntitle: New\n---\nNew text.\n", "utf-8")
    summary = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert summary.committed and summary.total_articles == 2
    assert summary.warnings == [
        f"{kept}: id 'shared' is also used by {corpus / 'a.md'}; indexed as 'shared~2' "
        "(was 'shared')"
    ]
    meta, sections = stored_article(index_dir, "shared~2")
    assert meta.pop(GIVEN_ID) == "shared"
    assert ({**meta, "id": "shared"}, sections) == before
    assert stored_article(index_dir, "shared")[0]["title"] == "New"
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        assert count_kind(searcher, "section") == summary.total_sections == 3
        assert len(list(searcher.docs_for_query(Term("key", "shared~2")))) == 1


def page(article_id: str | None, title: str) -> str:
    front = f"id: {article_id}\n" if article_id else ""
    # No line repeats across pages: three pages that share one would have it as site chrome.
    return f"---\n{front}title: {title}\n---\n{title} text.\n\n## On {title}\n\nMore on {title}.\n"


def archive(index_dir: Path) -> dict[str, tuple[dict, list[tuple]]]:
    """Every article's stored metadata (but when it was first indexed) and sections."""
    stored = {}
    for article_id in article_ids(index_dir):
        meta, sections = stored_article(index_dir, article_id)
        stored[article_id] = ({k: v for k, v in meta.items() if k != FIRST_INDEXED}, sections)
    return stored


HTML_PAGE = (
    '<html><head><title>B</title><link rel="canonical" href="https://example.org/same-id">'
    "</head><body><main><h1>B</h1><p>The text of the page, long enough to be its article."
    "</p></main></body></html>"
)
RECORDS = [
    {"id": "r1", "title": "First record", "content": "<p>One.</p><h2>Later</h2><p>Two.</p>"},
    {"id": "r2", "title": "Second record", "content": "<p>Three.</p>"},
]
# Files sharing ids (name: content, None: removed), before and after a change.
ID_CLASHES = {
    "its owner is removed": (
        {"a.md": page("same-id", "A"), "b.md": page("same-id", "B")},
        {"a.md": None},
    ),
    "its owner's id changes": (
        {"a.md": page("same-id", "A"), "b.md": page("same-id", "B")},
        {"a.md": page("other-id", "A")},
    ),
    "a file before it takes its id": (
        {"z.md": page("same-id", "Z")},
        {"a.md": page("same-id", "A")},
    ),
    "the first of three is removed": (
        # Three pages of one site would share their front matter's id line as site chrome.
        {"a.md": page("same-id", "A"), "b.html": HTML_PAGE, "c.md": page("same-id", "C")},
        {"a.md": None},
    ),
    "an export's record": (
        {"a.md": page("export/r1", "A"), "export.json": json.dumps(RECORDS)},
        {"a.md": None},
    ),
    "a file named like a suffixed id": (
        {"post.md": page(None, "P"), "post~2.md": page(None, "P2"), "x.md": page("post", "X")},
        {"post.md": None},
    ),
}


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("clash", list(ID_CLASHES))
def test_ids_are_those_of_a_fresh_index_whatever_the_runs_before(
    tmp_path: Path, clash: str, workers: int
) -> None:
    # An article told apart by "~2" takes its own id again when the clash goes, and gives
    # it up to a file before it that now has it, as a fresh index gives them: unchanged
    # files are written again (from what the index stores) only when an id changes.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    before, after = ID_CLASHES[clash]
    for name, content in before.items():
        (corpus / name).write_text(content, encoding="utf-8")
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=workers)
    for name, content in after.items():
        if content is None:
            (corpus / name).unlink()
        else:
            (corpus / name).write_text(content, encoding="utf-8")
    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=workers)
    build_index([corpus], tmp_path / "fresh", ParseOptions(), workers=workers)
    assert archive(tmp_path / "ix") == archive(tmp_path / "fresh")
    assert summary.files_parsed == sum(content is not None for content in after.values())
    with whoosh_index.open_dir(str(tmp_path / "ix")).searcher() as searcher:
        assert count_kind(searcher, "section") == summary.total_sections
    again = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=workers)
    assert not again.committed and not again.warnings


def test_an_article_whose_clash_goes_says_so_and_is_found_under_its_own_id(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text(page("same-id", "A"), encoding="utf-8")
    (corpus / "b.md").write_text(page("same-id", "Bravo"), encoding="utf-8")
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    (corpus / "a.md").unlink()
    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert summary.committed and summary.warnings == [
        f"{corpus / 'b.md'}: id 'same-id' is no longer used by a file before it in the run; "
        "indexed as 'same-id' (was 'same-id~2')"
    ]
    with whoosh_index.open_dir(str(tmp_path / "ix")).searcher() as searcher:
        found = searcher.search(Term("title", "bravo"))
        assert [hit["article_id"] for hit in found] == ["same-id"]


def test_changed_file_is_reparsed_and_replaces_its_articles(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    changed = [*ARTICLES[:1], {**ARTICLES[1], "id": "a3", "title": "A new story"}]
    (corpus / "site" / "articles.json").write_text(json.dumps(changed), encoding="utf-8")
    summary = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert summary.files_parsed == 1
    assert summary.files_unchanged == 1
    ids = article_ids(index_dir)
    assert "articles/a3" in ids
    assert "articles/a2" not in ids
    assert summary.total_articles == 3


def test_articles_of_a_deleted_file_are_dropped(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    # With its folder: a source's folder left empty keeps its articles, as a mount that
    # failed leaves it (test_a_folder_emptied_beside_others_keeps_its_articles_unless_allowed).
    (corpus / "site" / "articles.json").unlink()
    (corpus / "site").rmdir()
    summary = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert summary.files_removed == 1
    assert summary.total_articles == 1
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        assert count_kind(searcher, "section") == summary.total_sections
        assert not list(searcher.docs_for_query(Term("article_id", "articles/a1")))
    assert len(indexed_files(ix)) == 1


def test_bad_files_are_skipped_with_a_reason_and_the_run_goes_on(
    corpus: Path, tmp_path: Path
) -> None:
    (corpus / "site" / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    (corpus / "site" / "empty.txt").write_text("", encoding="utf-8")
    (corpus / "site" / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (corpus / "site" / "dangling.json").symlink_to(corpus / "site" / "gone.json")
    os.mkfifo(corpus / "site" / "pipe.json")
    # Corrupt gzip data: the run stopped at it, learning its site's repeated lines.
    (corpus / "site" / "corrupt.md.gz").write_bytes(b"\x1f\x8b\x08\x00garbagegarbage")
    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    skipped = {item.path.name: item.reason for item in summary.skipped}
    assert set(skipped) == {
        "broken.json",
        "empty.txt",
        "binary.txt",
        "dangling.json",
        "pipe.json",
        "corrupt.md.gz",
    }
    assert all(reason.strip() for reason in skipped.values())
    assert summary.total_articles == 3


def test_no_file_to_read_creates_no_index(corpus: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    summary = build_index([tmp_path / "empty"], tmp_path / "new" / "ix", ParseOptions())
    assert summary.nothing_read and summary.no_index_created and not summary.committed
    assert not (tmp_path / "new").exists()
    # An index that exists is left as it is.
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    summary = build_index([tmp_path / "empty"], tmp_path / "ix", ParseOptions())
    assert summary.nothing_read and not summary.no_index_created
    assert summary.total_articles == 3
    assert article_ids(tmp_path / "ix") == {"articles/a1", "articles/a2", "notes/page"}


def test_a_first_run_that_reads_no_file_leaves_no_index(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    summary = build_index([corpus], tmp_path / "new" / "ix", ParseOptions(), workers=2)
    assert summary.nothing_read and summary.no_index_created and not summary.committed
    assert not (tmp_path / "new").exists()
    # A folder that was there for the index stays, as it was.
    (tmp_path / "made").mkdir()
    (tmp_path / "made" / ".keep").write_text("", encoding="utf-8")
    summary = build_index([corpus], tmp_path / "made", ParseOptions(), workers=1)
    assert summary.no_index_created
    assert [path.name for path in (tmp_path / "made").iterdir()] == [".keep"]


def test_an_index_no_run_committed_is_no_index_until_a_run_commits(tmp_path: Path) -> None:
    # What a failed first run of an earlier version left: the index Whoosh creates before
    # the first commit, with that version's analysis and no articles.
    index_dir = tmp_path / "ix"
    index_dir.mkdir()
    whoosh_index.create_in(str(index_dir), build_schema(ArchiveAnalyzer(version=1)))
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "articles.json").write_text('[{"title": "cut off', encoding="utf-8")
    failed = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert failed.no_index_created and not failed.committed
    with pytest.raises(IndexNotFound, match="no index in"):
        open_index(index_dir)
    (corpus / "articles.json").write_text(json.dumps(ARTICLES), encoding="utf-8")
    summary = build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert (summary.committed, summary.total_articles, summary.warnings) == (True, 2, [])
    assert is_current(open_index(index_dir).schema)


def test_same_id_in_two_files_keeps_both_articles(corpus: Path, tmp_path: Path) -> None:
    other = corpus / "site" / "more"
    other.mkdir()
    (other / "articles.json").write_text(
        json.dumps([{**ARTICLES[0], "title": "Another story, same id"}]), encoding="utf-8"
    )
    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert summary.total_articles == 4
    assert len(article_ids(tmp_path / "ix")) == 4
    assert any("also used by" in warning for warning in summary.warnings)


def test_parallel_parsing_gives_the_same_index(corpus: Path, tmp_path: Path) -> None:
    build_index([corpus], tmp_path / "serial", ParseOptions(), workers=1)
    build_index([corpus], tmp_path / "parallel", ParseOptions(), workers=2)
    assert article_ids(tmp_path / "serial") == article_ids(tmp_path / "parallel")


def test_a_searcher_keeps_its_version_while_a_new_one_commits(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as before:
        (corpus / "site" / "articles.json").unlink()
        (corpus / "site").rmdir()
        build_index([corpus], index_dir, ParseOptions(), workers=1)
        assert count_kind(before, "article") == 3
    with ix.searcher() as after:
        assert count_kind(after, "article") == 1


def test_second_indexer_waits_for_the_lock_then_fails_clearly(corpus: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "ix"
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    writer = whoosh_index.open_dir(str(index_dir)).writer()
    try:
        with pytest.raises(IndexLocked, match="another indexer"):
            build_index([corpus], index_dir, ParseOptions(), lock_timeout_s=0.2, workers=1)
    finally:
        writer.cancel()


def test_an_index_written_with_other_analysis_is_rebuilt_from_its_files(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An index written by an earlier version, whose analysis had no version number.
    outdated = build_schema(ArchiveAnalyzer(version=1))
    (tmp_path / "ix").mkdir()
    whoosh_index.create_in(str(tmp_path / "ix"), outdated)
    with monkeypatch.context() as patch:
        patch.setattr("indexer.build.is_current", lambda schema: True)
        build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)

    summary = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert summary.committed and summary.articles_added == 3
    assert any("re-indexed" in warning for warning in summary.warnings)
    ix = whoosh_index.open_dir(str(tmp_path / "ix"))
    assert is_current(ix.schema)
    with ix.searcher() as searcher:
        assert count_kind(searcher, "article") == 3
    again = build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    assert not again.committed and again.files_unchanged == 2


def first_indexed_times(index_dir: Path) -> dict[str, str]:
    ix = whoosh_index.open_dir(str(index_dir))
    with ix.searcher() as searcher:
        return {
            fields["article_id"]: fields["meta"][FIRST_INDEXED]
            for fields in searcher.documents(kind="article")
        }


def test_articles_keep_when_they_were_first_indexed_as_files_change_and_on_a_rebuild(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-01-01T00:00:00+00:00")
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-02-01T00:00:00+00:00")
    added = [*ARTICLES, {"id": "a3", "title": "A new story", "content": "<p>News.</p>"}]
    (corpus / "site" / "articles.json").write_text(json.dumps(added), encoding="utf-8")
    build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1)
    kept = {
        "articles/a1": "2024-01-01T00:00:00+00:00",
        "articles/a2": "2024-01-01T00:00:00+00:00",
        "articles/a3": "2024-02-01T00:00:00+00:00",
        "notes/page": "2024-01-01T00:00:00+00:00",
    }
    assert first_indexed_times(tmp_path / "ix") == kept
    # A version of advosearch that analyses text otherwise re-indexes every file.
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-03-01T00:00:00+00:00")
    monkeypatch.setattr("indexer.build.is_current", lambda schema: False)
    assert build_index([corpus], tmp_path / "ix", ParseOptions(), workers=1).committed
    assert first_indexed_times(tmp_path / "ix") == kept


def test_an_article_whose_clash_goes_keeps_its_own_first_indexed_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # b.md's article, indexed as same-id~2, takes its own id when a.md goes, in a run that
    # reads b.md again: it keeps its own time, not that of a.md's article.
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    corpus.mkdir()
    (corpus / "a.md").write_text(page("same-id", "Alpha"), encoding="utf-8")
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-01-01T00:00:00+00:00")
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    (corpus / "b.md").write_text(page("same-id", "Bravo"), encoding="utf-8")
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-02-01T00:00:00+00:00")
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert first_indexed_times(index_dir)["same-id~2"] == "2024-02-01T00:00:00+00:00"
    (corpus / "a.md").unlink()
    (corpus / "b.md").write_text(page("same-id", "Bravo, updated"), encoding="utf-8")
    monkeypatch.setattr("indexer.build.first_indexed_now", lambda: "2024-03-01T00:00:00+00:00")
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert first_indexed_times(index_dir) == {"same-id": "2024-02-01T00:00:00+00:00"}


def test_ingesting_into_an_outdated_index_asks_for_a_rebuild(tmp_path: Path) -> None:
    # Committed once: an index no run committed is no index at all.
    outdated = whoosh_index.create_in(str(tmp_path), build_schema(ArchiveAnalyzer(version=1)))
    outdated.writer().commit()
    with pytest.raises(IndexOutdated, match="re-index it"):
        ingest_articles(tmp_path, [], lock_timeout_s=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_loses_no_article_the_index_holds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # An index another version wrote holds articles of a folder the rebuilding run is not
    # given, one added through the admin API, and those of a file that no longer reads.
    index_dir, other = tmp_path / "ix", tmp_path / "other"
    index_dir.mkdir()
    whoosh_index.create_in(str(index_dir), build_schema(ArchiveAnalyzer(version=1)))
    other.mkdir()
    (other / "post.md").write_text(page("other-post", "Reporters"), encoding="utf-8")
    sent = Article(id="sent", title="Sent", sections=[Section(None, "", "Reporters freed.")])
    with monkeypatch.context() as patch:
        patch.setattr("indexer.build.is_current", lambda schema: True)
        build_index([corpus], index_dir, ParseOptions(), workers=1)
        build_index([other], index_dir, ParseOptions(), workers=1)
        ingest_articles(index_dir, [sent], lock_timeout_s=1)
    before, times = archive(index_dir), first_indexed_times(index_dir)
    (corpus / "site" / "articles.json").write_text("[{", encoding="utf-8")

    summary = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert summary.committed and is_current(open_index(index_dir).schema)
    assert summary.skipped[0].reason.endswith(
        "; kept the 2 articles indexed from it before, until it reads again"
    )
    assert "re-analysed 2 article(s) from what the index stores" in summary.warnings[-1]
    assert (archive(index_dir), first_indexed_times(index_dir)) == (before, times)
    # Written again with the new version's analysis: found by its terms.
    reporters = [token.text for token in ArchiveAnalyzer()("Reporters")]
    with open_index(index_dir).searcher() as searcher:
        found = searcher.search(Term("body", reporters[0]))
        assert {hit["article_id"] for hit in found} == {"other-post", "sent"}
    # The unreadable file is read again next time; the rest is unchanged.
    again = build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert (again.files_unchanged, again.committed) == (1, False)


@pytest.mark.parametrize("allow_empty", [False, True])
@pytest.mark.parametrize("named", [True, False], ids=["folders-named", "sources-of-one-folder"])
def test_a_folder_emptied_beside_others_keeps_its_articles_unless_allowed(
    tmp_path: Path, allow_empty: bool, named: bool
) -> None:
    # Named on the command line, or the sources' folders of the one folder named (the
    # README's /srv/exports/<source>, a mount each).
    exports, index_dir = tmp_path / "exports", tmp_path / "ix"
    mounted, local = exports / "mounted", exports / "local"
    roots = [mounted, local] if named else [exports]
    for folder, name in ((mounted, "a.md"), (local, "b.md")):
        folder.mkdir(parents=True)
        (folder / name).write_text(page(None, f"Story {name}"), encoding="utf-8")
    build_index(roots, index_dir, ParseOptions(), workers=1)
    (mounted / "a.md").unlink()  # the mount failed: the folder is there, and empty
    (local / "c.md").write_text(page(None, "Story c"), encoding="utf-8")
    summary = build_index(roots, index_dir, ParseOptions(), workers=1, allow_empty=allow_empty)
    assert summary.committed and summary.articles_added == 1
    expected = {"b", "c"} if allow_empty else {"a", "b", "c"}
    assert {article_id.rpartition("/")[2] for article_id in article_ids(index_dir)} == expected
    reasons = [skipped.reason for skipped in summary.skipped if skipped.path == mounted]
    assert bool(reasons) != allow_empty


def test_a_line_becoming_site_chrome_has_only_the_pages_that_hold_it_read_again(
    tmp_path: Path,
) -> None:
    site, index_dir = tmp_path / "site", tmp_path / "ix"
    site.mkdir()
    blurb = "Support our work with a donation to keep this reporting free"
    follow = "Follow us on the network for daily updates about rights"

    def post(number: int, *lines: str) -> None:
        body = "\n\n".join([f"Story {number} happened in town {number}.", *lines])
        (site / f"p{number}.md").write_text(f"---\ntitle: Post {number}\n---\n{body}\n")

    for number in range(3):
        post(number, blurb)  # on three pages: chrome
    for number in (3, 4):
        post(number, follow)  # on two: text
    build_index([site], index_dir, ParseOptions(), workers=1)
    post(5, follow)  # on three now: chrome, which p3 and p4 no longer keep
    summary = build_index([site], index_dir, ParseOptions(), workers=1)
    assert (summary.files_unchanged, summary.files_parsed) == (3, 3)
    _meta, sections = stored_article(index_dir, "p3")
    assert not any(follow in text for *_rest, text in sections)


def test_a_site_name_learnt_has_only_the_pages_whose_titles_hold_it_read_again(
    tmp_path: Path,
) -> None:
    site, index_dir = tmp_path / "site", tmp_path / "ix"
    site.mkdir()

    def page(number: int, title: str) -> None:
        head = f'<meta property="og:title" content="{title}">'
        text = f"Story {number} happened in town {number}, and reporters were there."
        (site / f"p{number}.html").write_text(
            f"<html><head>{head}</head><body><article><p>{text}</p></article></body></html>"
        )

    page(0, "Story 0 | Ligue")
    page(1, "Story 1 | Ligue")
    page(2, "Story 2")  # its title does not name the site
    (site / "more.jsonl").write_text('{"id": "r1", "body": "A record of the same site."}\n')
    build_index([site], index_dir, ParseOptions(), workers=1)
    assert stored_article(index_dir, "p0")[0]["title"] == "Story 0 | Ligue"
    page(3, "Story 3 | Ligue")  # on three titles of four now: the site's name
    summary = build_index([site], index_dir, ParseOptions(), workers=1)
    assert (summary.files_unchanged, summary.files_parsed) == (2, 3)
    assert stored_article(index_dir, "p0")[0]["title"] == "Story 0"


def test_a_copy_of_a_page_is_indexed_once_its_original_is_gone(tmp_path: Path) -> None:
    site, index_dir = tmp_path / "site", tmp_path / "ix"
    head = '<link rel="canonical" href="https://ex.org/news/arrest">'
    text = "Police arrested three reporters on Monday, their union said in a statement."
    page = f"<html><head>{head}</head><body><article><p>{text}</p></article></body></html>"
    for path in (site / "arrest.html", site / "backup" / "arrest.html"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(page)
    summary = build_index([site], index_dir, ParseOptions(), workers=1)
    assert article_ids(index_dir) == {"arrest"}
    [skipped] = summary.skipped
    assert "a copy of" in skipped.reason
    (site / "arrest.html").unlink()
    build_index([site], index_dir, ParseOptions(), workers=1)
    assert article_ids(index_dir) == {"arrest"}
    assert stored_article(index_dir, "arrest")[1][0][2] == text


def test_a_page_translated_by_a_file_named_after_it_shares_its_key(tmp_path: Path) -> None:
    # Hugo's translations by file name: "poet.fr.md" beside "poet.md". The page written
    # before its translation is read again when the translation comes.
    posts, index_dir = tmp_path / "posts", tmp_path / "ix"
    posts.mkdir()
    (posts / "poet.md").write_text("A poet was detained in Tunis after a reading.\n")
    build_index([posts], index_dir, ParseOptions(), workers=1)
    assert stored_article(index_dir, "poet")[0].get("translation_key") is None
    (posts / "poet.fr.md").write_text("Un poète a été arrêté à Tunis après une lecture.\n")
    build_index([posts], index_dir, ParseOptions(), workers=1)
    keys = {
        stored_article(index_dir, name)[0].get("translation_key") for name in ("poet", "poet.fr")
    }
    assert keys == {"poet"}


def test_a_translation_by_file_name_with_its_pages_slug_keeps_to_its_own_id(
    tmp_path: Path,
) -> None:
    # Hugo's translations keep their page's slug; "poet.es.md" took the English page's id,
    # which became poet~2, and the two were no translations of each other. Its text, too
    # short to detect, is in the language its name says.
    posts, index_dir = tmp_path / "posts", tmp_path / "ix"
    posts.mkdir()
    (posts / "poet.md").write_text(
        "---\nslug: poet\n---\nA poet was detained in Tunis after a reading.\n"
    )
    build_index([posts], index_dir, ParseOptions(), workers=1)
    (posts / "poet.es.md").write_text("---\nslug: poet\n---\nPoeta detenido.\n")
    build_index([posts], index_dir, ParseOptions(), workers=1)
    english, spanish = (stored_article(index_dir, name)[0] for name in ("poet", "es/poet"))
    assert (english["language"], spanish["language"]) == ("en", "es")
    assert english["translation_key"] == spanish["translation_key"] == "poet"


@pytest.mark.parametrize("workers", [1, 2])
def test_a_substack_post_is_read_again_when_its_row_of_posts_csv_changes(
    tmp_path: Path, workers: int
) -> None:
    # Its HTML file is the same; posts.csv, read once per run, says whether it is published.
    export, index_dir = tmp_path / "export", tmp_path / "ix"
    (export / "posts").mkdir(parents=True)
    header = "post_id,post_date,is_published,type,audience,title,subtitle\n"
    shown = "139.protest,2023-11-02T15:04:11.512Z,true,newsletter,everyone,Protest laws,\n"
    for name, text in (("139.protest", "Three laws"), ("141.vigil", "Families gathered")):
        (export / "posts" / f"{name}.html").write_text(f"<p>{text} on Sunday night.</p>")
    runs = []
    date = "2024-01-15T10:00:00.000Z"
    for published, audience in (("false", "everyone"), ("true", "everyone"), ("true", "only_paid")):
        row = f"141.vigil,{date},{published},newsletter,{audience},Vigil at the prison,\n"
        (export / "posts.csv").write_text(header + shown + row)
        summary = build_index([export], index_dir, ParseOptions(), workers=workers)
        runs.append((article_ids(index_dir), [s.reason for s in summary.skipped if not s.ignored]))
        if audience == "everyone" and published == "true":
            meta, _ = stored_article(index_dir, "posts/141.vigil")
            assert (meta["title"], meta["date"]) == ("Vigil at the prison", "2024-01-15")
    assert runs == [
        ({"posts/139.protest"}, ["draft post (its export's posts.csv says is_published: false)"]),
        ({"posts/139.protest", "posts/141.vigil"}, []),
        (
            {"posts/139.protest"},
            [
                "members-only post (its export's posts.csv says audience: only_paid); removed "
                "the 1 article indexed from it before"
            ],
        ),
    ]
