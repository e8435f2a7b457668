"""``advosearch index``, ``parse`` and ``serve``: bad input is a one-line message, never a
traceback, and what a run did is said in words that read right."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.schema import build_schema
from search_api import cli
from search_api.cli import EXIT_SOME_FILES_UNREAD, main
from tests.search_api.conftest import ADVOSEARCH
from tests.search_api.corpus import UNPRIVILEGED, needs_unreadable_files, write_corpus

STORY = {
    "id": "s1",
    "title": "Journalists detained in Cambodia",
    "content": "<p>Two journalists were detained.</p>",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def write_story(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "stories.json").write_text(json.dumps([STORY]), encoding="utf-8")
    return folder


def index(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run(capsys, "index", *argv, "--workers", "1", "--quiet")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--port", "99999", "argument --port: must be 0-65535 (0: any free port), not 99999"),
        ("--port", "abc", "argument --port: must be a number 0-65535, not 'abc'"),
        ("--root-path", "search", "argument --root-path: must be a path such as /search, not"),
        ("--root-path", "/a b", "argument --root-path: must be a path such as /search, not"),
        # uvicorn writes it as ASCII: every request was a 400.
        ("--root-path", "/búsqueda", "argument --root-path: must be a path such as /search, not"),
    ],
)
def test_a_bad_serve_option_is_refused_before_serving(
    capsys, tmp_path: Path, option: str, value: str, message: str
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--index", str(tmp_path), option, value])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["index", "serve"])
def test_more_workers_than_the_machine_can_run_are_refused(
    capsys, tmp_path: Path, command: str
) -> None:
    # 200 started 400 processes on two CPUs.
    most = cli.MAX_WORKERS_PER_CPU * (os.cpu_count() or 1)
    paths = [str(tmp_path)] if command == "index" else []
    with pytest.raises(SystemExit) as refused:
        main([command, *paths, "--index", str(tmp_path / "ix"), "--workers", str(most + 1)])
    assert refused.value.code == 2
    assert f"argument --workers: at most {most} (" in capsys.readouterr().err
    assert not (tmp_path / "ix").exists()


def test_an_index_path_that_is_a_file_is_a_message(capsys, tmp_path: Path) -> None:
    corpus = write_story(tmp_path / "corpus")
    readme = tmp_path / "README.md"
    readme.write_text("# Notes\n", encoding="utf-8")
    code, _, err = index(capsys, str(corpus), "--index", str(readme))
    assert code == 1
    assert err == f"advosearch: {readme} is a file, not a folder: an index needs a folder\n"
    assert readme.read_text(encoding="utf-8") == "# Notes\n"


def test_an_index_folder_that_holds_other_files_is_refused(capsys, tmp_path: Path) -> None:
    # The exports' own folder given as the index's: the index would be written among them.
    corpus = write_story(tmp_path / "corpus")
    code, _, err = index(capsys, str(corpus), "--index", str(corpus))
    assert code == 1
    assert err == (
        f"advosearch: {corpus} holds 1 other file(s) or folder(s) (stories.json): an index "
        "needs a folder of its own; give a new or empty one\n"
    )
    assert sorted(path.name for path in corpus.iterdir()) == ["stories.json"]
    # An empty folder, or one holding only hidden files (a mount's too), is taken.
    (tmp_path / "ix").mkdir()
    (tmp_path / "ix" / ".keep").write_text("", encoding="utf-8")
    assert index(capsys, str(corpus), "--index", str(tmp_path / "ix"))[0] == 0


@pytest.mark.parametrize("command", ["index", "search"])
@pytest.mark.parametrize(
    ("damaged", "kept"),
    [
        ("*.pst", 100),
        pytest.param(
            "*.trm",
            40,
            # Whoosh's segment reader, failing on the terms file, leaves the postings file
            # it opened first for the garbage collector to close.
            marks=pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
        ),
        ("*._stored.col", 40),
    ],
)
def test_a_damaged_index_is_a_message_saying_what_to_do_and_is_left_as_it_is(
    capsys, tmp_path: Path, command: str, damaged: str, kept: int
) -> None:
    corpus = write_story(tmp_path / "corpus")
    ix = tmp_path / "ix"
    assert index(capsys, str(corpus), "--index", str(ix))[0] == 0
    [file] = ix.glob(damaged)
    file.write_bytes(file.read_bytes()[:kept])  # cut short on disk
    files = {path.name: path.read_bytes() for path in ix.iterdir()}
    argv = [str(corpus), "--workers", "1"] if command == "index" else ["journalists"]
    code, _, err = run(capsys, command, *argv, "--index", str(ix))
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"advosearch: cannot read the index in {ix}: its files look damaged")
    assert "move the folder aside and build it again with `advosearch index`" in err
    assert {name: (ix / name).read_bytes() for name in files} == files


@pytest.mark.parametrize("column", ["language", "source", "year"])
def test_a_facet_column_holding_no_text_is_damage_said_so(
    capsys, tmp_path: Path, column: str
) -> None:
    # Our own code decodes these columns: a byte that is no UTF-8 was a traceback.
    ix = tmp_path / "ix"
    assert index(capsys, str(write_corpus(tmp_path / "corpus")), "--index", str(ix))[0] == 0
    [file] = ix.glob(f"*.{column}.col")
    data = bytearray(file.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 32] = b"\xff" * 32
    file.write_bytes(bytes(data))
    code, _, err = run(capsys, "search", "rights", "--index", str(ix))
    assert code == 1 and "Traceback" not in err
    assert err.startswith(f"advosearch: cannot read the index in {ix}: its files look damaged")


def test_the_summary_reads_right_when_the_folder_is_called_index(capsys, tmp_path: Path) -> None:
    corpus = write_story(tmp_path / "corpus")
    code, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "index"))
    assert code == 0
    assert f"the index now holds 1 article, 1 section (in {tmp_path / 'index'})" in out
    _, again, _ = run(capsys, "index", str(corpus), "--index", str(tmp_path / "index"))
    assert f"(in {tmp_path / 'index'}); nothing changed, no new version" in again


@pytest.mark.parametrize(
    ("stories", "broken", "lines"),
    [
        (1, 1, ["indexed 1 article (1 section) from 1 file in ", "holds 1 article, 1 section ",
                "skipped 1 file:"]),
        (2, 2, ["indexed 2 articles (2 sections) from 1 file in ",
                "holds 2 articles, 2 sections ", "skipped 2 files:"]),
    ],
)  # fmt: skip
def test_the_summary_counts_in_singular_and_plural(
    capsys, tmp_path: Path, stories: int, broken: int, lines: list[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{**STORY, "id": f"s{n}"} for n in range(stories)]
    (corpus / "stories.json").write_text(json.dumps(records), encoding="utf-8")
    for n in range(broken):
        (corpus / f"broken{n}.json").write_text('[{"title": "cut off', encoding="utf-8")
    _, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    for line in lines:
        assert line in out


def test_only_a_run_that_commits_says_it_commits(capsys, tmp_path: Path) -> None:
    corpus = write_story(tmp_path / "corpus")
    (corpus / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    argv = ("index", str(corpus), "--index", str(tmp_path / "ix"), "--workers", "1")
    _, _, first = run(capsys, *argv)
    assert "committing the new index version…" in first
    _, again, err = run(capsys, *argv)
    assert "nothing changed, no new version" in again
    assert "committing" not in err


def test_indexing_an_empty_folder_says_so_and_leaves_no_index(capsys, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    code, out, err = index(capsys, str(tmp_path / "empty"), "--index", str(tmp_path / "ix"))
    assert code == 1
    assert f"no index was created in {tmp_path / 'ix'}" in out
    assert err.startswith(
        f"advosearch: nothing could be read: no readable files found in {tmp_path / 'empty'} "
        "(article formats: "
    )
    assert not (tmp_path / "ix").exists()


def test_parse_json_gives_the_ids_the_index_stores(capsys, tmp_path: Path) -> None:
    # Two files of one name hold the same record id: the index tells the second apart.
    write_story(tmp_path / "corpus")
    write_story(tmp_path / "corpus" / "copy")
    code, out, err = run(capsys, "parse", str(tmp_path / "corpus"), "--json")
    assert code == 0
    parsed = [json.loads(line)["id"] for line in out.splitlines()]
    assert parsed == ["stories/s1", "stories/s1~2"]
    assert "id 'stories/s1' is also used by " in err
    index(capsys, str(tmp_path / "corpus"), "--index", str(tmp_path / "ix"))
    with whoosh_index.open_dir(str(tmp_path / "ix")).searcher() as searcher:
        indexed = [doc["article_id"] for doc in searcher.documents(kind="article")]
    assert sorted(indexed) == parsed


def test_an_export_cut_short_is_read_as_far_as_it_goes_and_exits_3(capsys, tmp_path: Path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": f"r{n}", "title": f"Story {n}", "body": "Reporters freed."} for n in range(3)]
    whole = json.dumps(records)
    (corpus / "export.json").write_text(whole[: whole.index('{"id": "r2"') + 12])
    code, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    assert code == EXIT_SOME_FILES_UNREAD
    assert "the index now holds 2 articles" in out and "kept the 2 complete records" in out
    # parse says so the same way, before anything is indexed.
    code, out, err = run(capsys, "parse", str(corpus), "--json")
    assert code == EXIT_SOME_FILES_UNREAD
    assert len(out.splitlines()) == 2 and "kept the 2 complete records" in err


def test_an_index_given_as_a_file_is_said_to_be_one(capsys, tmp_path: Path) -> None:
    backup = tmp_path / "index.tar"
    backup.write_bytes(b"not an index")
    code, _, err = run(capsys, "search", "detained", "--index", str(backup))
    assert (code, err) == (
        1,
        f"advosearch: {backup} is a file, not a folder: an index is a folder\n",
    )


def test_indexing_only_unreadable_files_leaves_no_index_to_search(capsys, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    ix = tmp_path / "ix"
    code, out, _ = index(capsys, str(tmp_path / "corpus"), "--index", str(ix))
    assert code == 1
    assert f"no index was created in {ix}" in out
    code, _, err = run(capsys, "search", "detained", "--index", str(ix))
    assert code == 1
    assert err == (
        f"advosearch: no index in {ix}: build one with `advosearch index PATH --index {ix}`\n"
    )


def test_the_summary_says_how_many_articles_a_run_added_or_lost(capsys, tmp_path: Path) -> None:
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    export = corpus / "export.jsonl"
    corpus.mkdir()
    records = [{"id": f"r{n}", "title": f"Story {n}", "body": "Reporters freed."} for n in range(3)]
    export.write_text("\n".join(map(json.dumps, records)))
    _, out, _ = index(capsys, str(corpus), "--index", str(ix))
    assert "the index now holds 3 articles, 3 sections" in out  # a new index: no "before"
    export.write_text("\n".join(map(json.dumps, records[:2])))
    _, out, _ = index(capsys, str(corpus), "--index", str(ix))
    assert "indexed 2 articles" in out  # those of the file, read again
    assert "the index now holds 2 articles (1 fewer than before), 2 sections" in out
    export.write_text("\n".join(map(json.dumps, records)))
    _, out, _ = index(capsys, str(corpus), "--index", str(ix))
    assert "the index now holds 3 articles (1 more than before), 3 sections" in out


def test_an_empty_folder_named_beside_others_is_said(capsys, tmp_path: Path) -> None:
    # A mount that failed before the first run: its folder is empty, the others are read.
    corpus, empty = write_story(tmp_path / "corpus"), tmp_path / "mounted"
    empty.mkdir()
    code, out, _ = index(capsys, str(corpus), str(empty), "--index", str(tmp_path / "ix"))
    assert code == 3 and "the index now holds 1 article" in out
    assert f"  {empty}: holds no article file: nothing was read from it" in out
    code, out, _ = index(
        capsys, str(corpus), str(empty), "--index", str(tmp_path / "ix"), "--allow-empty"
    )
    assert code == 0 and str(empty) not in out


def test_an_emptied_folder_keeps_its_articles_unless_allowed(capsys, tmp_path: Path) -> None:
    # A mount or an export that failed looks like an emptied folder: the archive stays, and
    # the run fails, so that cron says so.
    corpus = write_story(tmp_path / "corpus")
    ix = tmp_path / "ix"
    index(capsys, str(corpus), "--index", str(ix))
    (corpus / "stories.json").unlink()
    code, out, err = index(capsys, str(corpus), "--index", str(ix))
    assert code == 1 and "the index now holds 1 article" in out
    assert f"  {corpus}: holds no article file now; kept what was indexed from its 1" in out
    # Allowed, the run removes them, and succeeds: it did its work.
    code, out, err = index(capsys, str(corpus), "--index", str(ix), "--allow-empty")
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == (
        f"unchanged files: 0; removed files: 1; the index now holds 0 articles (1 fewer than "
        f"before), 0 sections (in {ix})"
    )
    # Once nothing is left to remove, an empty folder is a path with nothing to read.
    code, _, err = index(capsys, str(corpus), "--index", str(ix))
    assert code == 1
    assert err.startswith(f"advosearch: nothing could be read: no readable files found in {corpus}")


def test_a_run_that_removes_a_page_now_a_draft_succeeds(capsys, tmp_path: Path) -> None:
    (tmp_path / "corpus").mkdir()
    page = tmp_path / "corpus" / "page.md"
    page.write_text("---\ntitle: Note\n---\nCensorship grew.\n", encoding="utf-8")
    ix = tmp_path / "ix"
    index(capsys, str(tmp_path / "corpus"), "--index", str(ix))
    page.write_text("---\ntitle: Note\ndraft: true\n---\nCensorship grew.\n", encoding="utf-8")
    code, out, err = index(capsys, str(tmp_path / "corpus"), "--index", str(ix))
    assert (code, err) == (0, "")
    assert "removed the 1 article indexed from it before" in out


@pytest.mark.parametrize("command", [("search", "detained"), ("serve",)])
def test_an_index_no_run_committed_is_no_index_to_search(
    capsys, tmp_path: Path, command: tuple[str, ...]
) -> None:
    # What a failed first run of an earlier version left: the index Whoosh creates before
    # the first commit, with no segments.
    ix = tmp_path / "ix"
    ix.mkdir()
    whoosh_index.create_in(str(ix), build_schema())
    code, _, err = run(capsys, *command, "--index", str(ix))
    assert code == 1
    assert err == (
        f"advosearch: no index in {ix}: build one with `advosearch index PATH --index {ix}`\n"
    )


def test_parsing_an_empty_folder_says_why_it_fails(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "parse", str(tmp_path))
    assert code == 1
    assert out == ""
    assert err.startswith("advosearch: nothing could be read: no readable files found in ")
    assert f" in {tmp_path} (article formats: " in err and ".json" in err


def test_parsing_only_unreadable_files_points_at_their_reasons(capsys, tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text('[{"title": "cut off', encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.json")
    code, _, err = run(capsys, "parse", str(tmp_path))
    assert code == 1
    assert err.splitlines() == [
        f"skipped: {tmp_path / 'pipe.json'}: a named pipe (FIFO), not a regular file",
        f"skipped: {tmp_path / 'broken.json'}: invalid JSON at line 1, column 12: Unterminated "
        "string",
        "advosearch: nothing could be read (2 skipped, reasons above)",
    ]


@pytest.mark.parametrize("command", ["index", "parse"])
def test_files_that_hold_only_drafts_were_read_and_hold_nothing_for_readers(
    capsys, tmp_path: Path, command: str
) -> None:
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "post.md").write_text(
        "---\ntitle: Not yet\ndraft: true\n---\nThe text of a post not published yet.\n",
        encoding="utf-8",
    )
    extra = ["--index", str(tmp_path / "ix"), "--workers", "1"] if command == "index" else []
    code, _, err = run(capsys, command, str(drafts), *extra)
    assert code == 0  # read, as the exit codes say of a draft
    assert "nothing could be read" not in err
    assert "advosearch: no article for readers in the 1 file read" in err


def write_broken(folder: Path) -> Path:
    path = folder / "broken.json"
    path.write_text('[{"title": "cut off', encoding="utf-8")
    return path


def test_an_unchanged_quiet_run_prints_nothing(capsys, tmp_path: Path) -> None:
    # cron mails whatever a job prints: a night with nothing new must mail nothing.
    corpus = write_story(tmp_path / "corpus")
    (corpus / "ATTRIBUTION.md").write_text("# Credits\n", encoding="utf-8")
    (corpus / "draft.md").write_text("---\ndraft: true\n---\nNot yet.\n", encoding="utf-8")
    code, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    assert code == 0 and "indexed 1 article" in out
    assert index(capsys, str(corpus), "--index", str(tmp_path / "ix")) == (0, "", "")


def test_a_quiet_run_that_changes_nothing_lists_only_what_it_could_not_read(
    capsys, tmp_path: Path
) -> None:
    corpus = write_story(tmp_path / "corpus")
    (corpus / "draft.md").write_text("---\ndraft: true\n---\nNot yet.\n", encoding="utf-8")
    index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    broken = write_broken(corpus)
    code, out, err = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    assert (code, err) == (EXIT_SOME_FILES_UNREAD, "")
    assert out.splitlines() == [
        "skipped 1 file:",
        f"  {broken}: invalid JSON at line 1, column 12: Unterminated string",
    ]


def test_files_with_no_article_for_readers_are_counted_apart_from_those_unread(
    capsys, tmp_path: Path
) -> None:
    corpus = write_story(tmp_path / "corpus")
    draft = corpus / "draft.md"
    draft.write_text("---\ndraft: true\n---\nNot yet.\n", encoding="utf-8")
    broken = write_broken(corpus)
    _, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))  # --quiet
    assert "skipped 1 file:" in out and f"  {broken}: " in out
    assert str(draft) not in out
    assert (
        "not indexed, 1 file with no article for readers (drafts, private posts, pages "
        "without text: listed without --quiet)"
    ) in out
    _, out, _ = run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix2"))
    assert f"not indexed, 1 file with no article for readers:\n  {draft}: draft post" in out


def test_a_run_that_could_not_read_a_file_exits_3_even_when_it_commits(
    capsys, tmp_path: Path
) -> None:
    # So that a cron job can tell a run that went well from one that left files out.
    corpus = write_story(tmp_path / "corpus")
    write_broken(corpus)
    code, out, _ = index(capsys, str(corpus), "--index", str(tmp_path / "ix"))
    assert code == EXIT_SOME_FILES_UNREAD == 3
    assert "the index now holds 1 article" in out and "skipped 1 file:" in out
    code, _, err = run(capsys, "parse", str(corpus))
    assert code == EXIT_SOME_FILES_UNREAD
    assert "skipped: " in err


def test_a_page_that_holds_no_article_is_no_failure(capsys, tmp_path: Path) -> None:
    corpus = write_story(tmp_path / "corpus")
    (corpus / "draft.md").write_text("---\ndraft: true\n---\nNot yet.\n", encoding="utf-8")
    code, out, _ = run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix"))
    assert code == 0
    assert "draft post (front matter says draft: true)" in out  # said, when not --quiet
    assert run(capsys, "parse", str(corpus))[0] == 0


def test_files_that_are_not_articles_are_counted_not_listed_as_skipped(
    capsys, tmp_path: Path
) -> None:
    corpus = write_story(tmp_path / "corpus")
    (corpus / "ATTRIBUTION.md").write_text("# Credits\n", encoding="utf-8")
    (corpus / "README.txt").write_text("About this export.\n", encoding="utf-8")
    (corpus / "photo.png").write_bytes(b"\x89PNG")
    code, out, _ = run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix"))
    assert code == 0
    assert "skipped" not in out and str(corpus / "ATTRIBUTION.md") not in out
    assert out.splitlines()[-1] == (
        "ignored 3 files (not articles: README, LICENSE… beside them, images and other formats)"
    )
    code, _, err = run(capsys, "parse", str(corpus))
    assert (code, err) == (0, "")


def test_a_table_with_no_text_column_in_a_folder_is_ignored_and_named(
    capsys, tmp_path: Path
) -> None:
    # Figures kept beside the articles, or an export whose text column has a name of its
    # own: no failure, but said, so that an export is not passed over unseen.
    corpus = write_story(tmp_path / "corpus")
    (corpus / "budget.csv").write_text("year,amount\n2020,5\n", encoding="utf-8")
    code, out, _ = run(capsys, "index", str(corpus), "--index", str(tmp_path / "ix"))
    assert code == 0
    assert out.splitlines()[-2:] == [
        "ignored 1 file (not articles: README, LICENSE… beside them, images and other formats)",
        f"  {corpus / 'budget.csv'}: a table with no text column (its columns: year, amount); "
        "if it holds articles, map their text with --field body=<column> or "
        "ADVOSEARCH_FIELD_MAP",
    ]
    quiet = index(capsys, str(corpus), "--index", str(tmp_path / "ix2"))[1]
    assert "budget.csv" not in quiet  # for cron, which would mail it every night


def test_the_summary_names_the_index_folder_absolutely(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # cron runs in $HOME: a relative folder is somewhere nobody looks.
    write_story(tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    code, out, _ = index(capsys, "corpus", "--index", "ix")
    assert code == 0
    assert f"(in {tmp_path / 'ix'})" in out


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("terminal", [True, False])
def test_the_progress_bar_is_drawn_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, terminal: bool
) -> None:
    # Elsewhere (a cron job's log or mail) it would be lines of carriage returns.
    corpus = write_story(tmp_path / "corpus")
    stderr = Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", stderr)
    code = main(["index", str(corpus), "--index", str(tmp_path / "ix"), "--workers", "1"])
    assert code == 0
    drawn = stderr.getvalue()
    assert ("indexing: " in drawn and "\r" in drawn) is terminal
    assert drawn.endswith("committing the new index version…\n")


@pytest.mark.parametrize("field", ["bodyy=detalle", "body", "body=", "=detalle"])
def test_a_wrong_field_mapping_is_a_wrong_command_line(capsys, tmp_path: Path, field: str) -> None:
    corpus = write_story(tmp_path / "corpus")
    with pytest.raises(SystemExit) as refused:
        main(["index", str(corpus), "--index", str(tmp_path / "ix"), "--field", field])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "argument --field: expects TARGET=SOURCE with TARGET one of id, title" in err
    assert not (tmp_path / "ix").exists()


def test_a_field_mapped_twice_is_a_wrong_command_line(capsys, tmp_path: Path) -> None:
    # Only the last was read: the articles with the other went untagged, unsaid.
    corpus = write_story(tmp_path / "corpus")
    with pytest.raises(SystemExit) as refused:
        main(["parse", str(corpus), "--field", "tags=country", "--field", "tag=pais"])
    assert refused.value.code == 2
    assert "argument --field: tags is mapped twice (tags=country and tags=pais)" in (
        capsys.readouterr().err
    )


def test_a_field_is_mapped_by_its_singular_name_too(capsys, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    story = {**STORY, "firma": "Ana Pérez"}
    (corpus / "stories.json").write_text(json.dumps([story]), encoding="utf-8")
    code, out, _ = run(capsys, "parse", str(corpus), "--json", "--field", "author=firma")
    assert code == 0
    [article] = [json.loads(line) for line in out.splitlines()]
    assert article["authors"] == ["Ana Pérez"]


@pytest.mark.parametrize(
    ("site_urls", "environment", "expected"),
    [
        ([], "https://ngo.example", "https://ngo.example/2016/06/08/court/"),
        (["https://ngo.example/blog/"], "", "https://ngo.example/blog/2016/06/08/court/"),
        (["corpus=https://drw.example"], "https://ngo.example", "https://drw.example/2016/06/08/court/"),
        (["other=https://drw.example"], "", None),
    ],
)  # fmt: skip
def test_an_address_on_the_site_is_read_against_the_site_address_given(
    capsys,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    site_urls: list[str],
    environment: str,
    expected: str | None,
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "court.md").write_text(
        "---\ntitle: Court\nurl: /2016/06/08/court/\n---\nThe court ruled.\n", encoding="utf-8"
    )
    monkeypatch.setenv("ADVOSEARCH_SITE_URL", environment)
    options = [argument for url in site_urls for argument in ("--site-url", url)]
    code, out, _ = run(capsys, "parse", str(corpus), "--json", *options)
    assert code == 0
    assert json.loads(out)["url"] == expected


@pytest.mark.parametrize("site_url", ["example.org", "drw=/blog", "https://example.org/?p=1"])
def test_a_site_address_that_is_none_is_a_wrong_command_line(
    capsys, tmp_path: Path, site_url: str
) -> None:
    corpus = write_story(tmp_path / "corpus")
    with pytest.raises(SystemExit) as refused:
        main(["index", str(corpus), "--index", str(tmp_path / "ix"), "--site-url", site_url])
    assert refused.value.code == 2
    assert "argument --site-url: a site's address is an absolute http(s) address" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "ix").exists()


def index_unprivileged(*argv: str) -> subprocess.CompletedProcess[str]:
    """``advosearch index`` as a process for which file modes count (not root's)."""
    command = [*UNPRIVILEGED, str(ADVOSEARCH), "index", *argv, "--workers", "1"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@needs_unreadable_files
def test_a_file_that_cannot_be_opened_is_skipped_and_keeps_its_articles(tmp_path: Path) -> None:
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    write_story(corpus)
    (corpus / "notes.md").write_text("---\ntitle: Notes\n---\nJournalists were freed.\n")
    assert index_unprivileged(str(corpus), "--index", str(ix)).returncode == 0
    (corpus / "notes.md").chmod(0)
    (corpus / "new.md").write_text("---\ntitle: New\n---\nA new story about reporters.\n")
    run = index_unprivileged(str(corpus), "--index", str(ix))
    assert run.returncode == EXIT_SOME_FILES_UNREAD, run.stdout + run.stderr
    assert f"{corpus / 'notes.md'}: cannot read file: Permission denied" in run.stdout
    assert "the index now holds 3 articles (1 more than before)" in run.stdout


@needs_unreadable_files
def test_a_folder_that_cannot_be_listed_keeps_its_articles(tmp_path: Path) -> None:
    corpus, ix = tmp_path / "corpus", tmp_path / "ix"
    write_story(corpus)
    locked = corpus / "locked"
    locked.mkdir()
    (locked / "notes.md").write_text("---\ntitle: Notes\n---\nJournalists were freed.\n")
    assert index_unprivileged(str(corpus), "--index", str(ix)).returncode == 0
    locked.chmod(0o300)  # neither listed nor read
    try:
        run = index_unprivileged(str(corpus), "--index", str(ix))
    finally:
        locked.chmod(0o755)  # so that pytest can remove it
    assert run.returncode == EXIT_SOME_FILES_UNREAD, run.stdout + run.stderr
    assert (
        f"{locked}: cannot read this folder: Permission denied; kept what was indexed from "
        "its 1 file(s)"
    ) in run.stdout
    assert "removed files: 0; the index now holds 2 articles, " in run.stdout
