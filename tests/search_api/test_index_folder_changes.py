"""What a running server answers when its index folder changes under it: moved away for a
moment (a restore, an ``rm -rf`` and a rebuild), swapped for one built elsewhere, or given
files it cannot read (an indexer run as another user with umask 077). Real indexes on
disk, the real app; a real ``advosearch serve`` where files must be unreadable."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from indexer.build import ingest_articles
from indexer.models import Article, Section
from indexer.settings import Settings
from search_api.app import create_app
from search_api.engine import DAMAGED, Engine
from tests.search_api.conftest import ADVOSEARCH, REPOSITORY, serving
from tests.search_api.corpus import (
    ALL_IDS,
    UNPRIVILEGED,
    index_corpus,
    needs_unreadable_files,
    write_corpus,
)
from tests.search_api.test_serve_e2e import get_json

# Every endpoint that reads the index: each must answer from the version the server holds.
READS: list[tuple[str, str, dict]] = [
    ("GET", "/health", {}),
    ("GET", "/search?q=torture", {}),
    ("GET", "/search?q=elect*&sort=date", {}),
    ("GET", '/search?q="internet shutdown"', {}),
    ("GET", "/search?tag=freespeech&source=globalvoices", {}),
    ("GET", "/search/counts?q=torture", {}),
    ("GET", "/export?q=torture", {}),
    ("GET", "/feed.atom?q=torture", {}),
    ("POST", "/search/batch", {"json": {"queries": [{"q": "surveillance"}]}}),
    ("POST", "/related", {"json": {"title": "Reporters detained", "text": "Police seized."}}),
    ("GET", "/?q=journalists", {}),
    ("GET", "/a/gv/cambodia-press", {}),
    ("GET", "/articles/gv/cambodia-press", {}),
    ("GET", "/articles/gv/cambodia-press/related", {}),
]
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
SETTINGS = Settings(rate_limit_per_minute=0)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    index_dir = tmp_path / "index"
    index_corpus([write_corpus(tmp_path / "corpus")], index_dir)
    return index_dir


@pytest.fixture
def client(index_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(index_dir, SETTINGS)) as client:
        yield client


def commit_an_article(index_dir: Path, article_id: str = "api/new") -> None:
    article = Article(
        id=article_id,
        title="Reporters detained again",
        sections=[Section(heading=None, anchor="intro", text="Police detained reporters.")],
    )
    ingest_articles(index_dir, [article], lock_timeout_s=10)


def build_an_index_of_one_article(index_dir: Path, files: Path) -> None:
    files.mkdir(parents=True)
    record = {"id": "only", "title": "Reporters detained", "body": "<p>Police detained them.</p>"}
    (files / "new.json").write_text(json.dumps([record]), encoding="utf-8")
    index_corpus([files], index_dir)


def health(client: TestClient) -> dict:
    response = client.get("/health")
    assert response.status_code == 200, response.text
    return response.json()


def answers(client: TestClient) -> list[Any]:
    """What every endpoint that reads the index answers, but for how long searches took."""
    found = []
    for method, path, options in READS:
        response = client.request(method, path, **options)
        assert response.status_code == 200, (path, response.text)
        is_json = response.headers["content-type"] == "application/json"
        found.append(untimed(response.json()) if is_json else response.text)
    return found


def untimed(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: untimed(item) for key, item in value.items() if key != "took_ms"}
    if isinstance(value, list):
        return [untimed(item) for item in value]
    return value


def answers_from_a_copy(index_dir: Path, copy: Path) -> list[Any]:
    """``answers`` of a server of its own on a copy of the index: the same version."""
    shutil.copytree(index_dir, copy)
    with TestClient(create_app(copy, SETTINGS)) as client:
        return answers(client)


def test_a_server_answers_from_its_version_while_the_index_folder_is_away(
    client: TestClient, index_dir: Path, tmp_path: Path
) -> None:
    """The version was opened by a request, after a commit (its files are not all read yet),
    then the folder went: every endpoint still answers from it, whole, until the folder is
    back and a new version is committed."""
    commit_an_article(index_dir)
    opened = health(client)
    assert opened["articles"] == len(ALL_IDS) + 1
    expected = answers_from_a_copy(index_dir, tmp_path / "copy")
    index_dir.rename(tmp_path / "away")
    assert answers(client) == expected
    (tmp_path / "away").rename(index_dir)
    assert health(client) == opened
    commit_an_article(index_dir, "api/newer")
    assert health(client)["articles"] == len(ALL_IDS) + 2


def test_a_server_answers_from_its_version_while_the_index_is_deleted_and_rebuilt(
    client: TestClient, index_dir: Path, tmp_path: Path
) -> None:
    opened = health(client)
    expected = answers_from_a_copy(index_dir, tmp_path / "copy")
    shutil.rmtree(index_dir)
    assert answers(client) == expected
    # The rebuild has begun: an index no run has committed yet is no version to serve.
    index_dir.mkdir()
    assert health(client) == opened
    build_an_index_of_one_article(index_dir, tmp_path / "rebuilt")
    rebuilt = health(client)
    assert rebuilt["articles"] == 1
    assert rebuilt["index_version"] != opened["index_version"]


def test_an_index_restored_from_a_copy_keeps_its_version_and_cursors(
    client: TestClient, index_dir: Path, tmp_path: Path
) -> None:
    """A copy is other files (the server opens them) holding the same version: its name, and
    the cursors issued on it, stay good."""
    engine: Engine = client.app.state.engine
    first = client.get("/search", params={"page_size": 3}).json()
    with engine.snapshot() as before:
        pass
    shutil.copytree(index_dir, tmp_path / "backup")
    shutil.rmtree(index_dir)
    shutil.copytree(tmp_path / "backup", index_dir)
    cursor = {"page_size": 3, "cursor": first["next_cursor"]}
    following = client.get("/search", params=cursor)
    assert following.status_code == 200, following.text
    assert following.json()["index_version"] == first["index_version"]
    with engine.snapshot() as restored:
        assert restored is not before  # the folder it read is gone: the copy is opened
        assert restored.version == before.version


def test_an_index_folder_swapped_for_one_built_elsewhere_is_served_at_once(
    client: TestClient, index_dir: Path, tmp_path: Path
) -> None:
    """``mv index index.old && mv index.new index``: both are at generation 1, and the
    server answers from the new one at the next request."""
    old = health(client)
    build_an_index_of_one_article(tmp_path / "index.new", tmp_path / "new")
    index_dir.rename(tmp_path / "index.old")
    (tmp_path / "index.new").rename(index_dir)
    new = health(client)
    assert new["articles"] == 1
    assert (old["index_version"][:2], new["index_version"][:2]) == ("1-", "1-")
    assert new["index_version"] != old["index_version"]
    assert client.get("/articles/new/only").status_code == 200


def test_an_unchanged_index_is_not_opened_again(client: TestClient) -> None:
    engine: Engine = client.app.state.engine
    versions = {health(client)["index_version"] for _ in range(3)}
    with engine.snapshot() as first, engine.snapshot() as second:
        assert first is second
    assert len(versions) == 1


def test_the_log_says_once_that_the_index_cannot_be_opened_and_once_that_it_can(
    client: TestClient, index_dir: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    version = health(client)["index_version"]
    index_dir.rename(tmp_path / "away")
    with caplog.at_level(logging.WARNING, logger="advosearch"):
        for _ in range(5):
            health(client)
        (tmp_path / "away").rename(index_dir)
        commit_an_article(index_dir)
        for _ in range(3):
            health(client)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 2, lines
    assert f"no index in {index_dir}" in lines[0]
    assert f"still serving version {version}" in lines[0]
    assert f"the index in {index_dir} can be opened again" in lines[1]


@pytest.mark.parametrize("damage", [b"", os.urandom(300)], ids=["empty", "garbage"])
def test_a_damaged_newer_version_leaves_the_last_one_in_service(
    client: TestClient, index_dir: Path, caplog: pytest.LogCaptureFixture, damage: bytes
) -> None:
    # A table of contents cut short or overwritten: Whoosh's reading of it raised anything
    # from an IndexError to a TypeError, and every request was a 500.
    version = health(client)["index_version"]
    with caplog.at_level(logging.WARNING, logger="advosearch"):
        (index_dir / "_MAIN_9.toc").write_bytes(damage)
        assert health(client)["index_version"] == version
        assert client.get("/search", params={"q": "torture"}).status_code == 200
    [line] = [record.getMessage() for record in caplog.records]
    assert "its files look damaged" in line and f"still serving version {version}" in line


def test_a_file_damaged_while_it_is_served_is_a_503_said_once_in_the_log(
    client: TestClient, index_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # The version opened, and its stored texts were overwritten since: a search that reads
    # them cannot be answered, and says so rather than failing with a 500.
    assert client.get("/search", params={"q": "torture"}).status_code == 200
    [stored] = index_dir.glob("*._stored.col")
    with stored.open("r+b") as damaged:  # in place: the server holds this very file
        damaged.write(bytes(stored.stat().st_size))
    with caplog.at_level(logging.WARNING, logger="advosearch"):
        for _ in range(2):
            response = client.get("/search", params={"q": "elections"})
            assert response.status_code == 503
            assert response.json()["error"] == {"code": "index_unavailable", "message": DAMAGED}
    [line] = [record.getMessage() for record in caplog.records]
    assert "its files look damaged" in line
    # An uptime check hears of it.
    health = client.get("/health")
    assert health.status_code == 503
    assert health.json()["error"] == {"code": "index_unavailable", "message": DAMAGED}


def test_a_server_with_no_index_answers_503_until_one_is_built(tmp_path: Path) -> None:
    """Started while the folder is away (a worker restarted during a restore): each request
    is told so, in the one error shape (a reader gets a page of the site), and the first
    version committed is served without a restart."""
    index_dir = tmp_path / "index"
    with TestClient(create_app(index_dir, SETTINGS)) as client:
        for path in ("/health", "/search?q=torture", "/articles/gv/cambodia-press"):
            response = client.get(path)
            assert response.status_code == 503, path
            assert response.json() == {
                "error": {
                    "code": "index_unavailable",
                    "message": "the archive cannot be searched right now: its index is missing "
                    "or cannot be read (the server's log says why); try again later",
                }
            }
        page = client.get("/?q=torture", headers=BROWSER)
        assert page.status_code == 503
        assert page.headers["content-type"].startswith("text/html")
        assert "The archive is not available right now" in page.text
        assert "try again later" in page.text
        build_an_index_of_one_article(index_dir, tmp_path / "files")
        assert health(client)["articles"] == 1


def make_unreadable(paths: list[Path]) -> None:
    for path in paths:
        path.chmod(0)


@needs_unreadable_files
def test_a_version_the_server_cannot_read_leaves_the_last_one_in_service(
    index_dir: Path, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    with serving(index_dir, log, "--workers", "1", prefix=UNPRIVILEGED) as base:
        _, opened = get_json(f"{base}/health")
        before = set(os.listdir(index_dir))
        commit_an_article(index_dir)
        written = [index_dir / name for name in set(os.listdir(index_dir)) - before]
        make_unreadable(written)
        for _ in range(5):
            for path in ("/health", "/search?q=reporters", "/articles/gv/cambodia-press"):
                status, answer = get_json(f"{base}{path}")
                assert status == 200, (path, answer)
            assert answer["index_version"] == opened["index_version"]
        for path in written:
            path.chmod(0o644)
        _, now = get_json(f"{base}/health")
        assert now["articles"] == opened["articles"] + 1
    said = log.read_text()
    problems = [line for line in said.splitlines() if "cannot be opened" in line]
    assert len(problems) == 1, said
    assert "(_MAIN_2.toc): Permission denied" in problems[0]
    assert f"still serving version {opened['index_version']}" in problems[0]
    assert f"can be opened again: serving version {now['index_version']}" in said
    assert "Traceback" not in said


@needs_unreadable_files
@pytest.mark.parametrize(
    "command", [("search", "torture"), ("serve",), ("index", "corpus", "--quiet")]
)
def test_an_unreadable_index_is_a_one_line_message_at_start(
    index_dir: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    make_unreadable([index_dir / name for name in os.listdir(index_dir)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOSEARCH_")}
    env["PYTHONPATH"] = str(REPOSITORY)
    argv = [*UNPRIVILEGED, str(ADVOSEARCH), *command, "--index", str(index_dir)]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"advosearch: cannot read the index in {index_dir} (_MAIN_1.toc)")
    assert "Permission denied" in done.stderr
    assert len(done.stderr.splitlines()) == 1, done.stderr
