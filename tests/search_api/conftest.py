"""Fixtures: the fixture archive indexed once per session by the real indexer, and an app."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api.app import create_app
from tests.search_api.corpus import free_port, index_corpus, write_corpus

ADVOSEARCH = Path(sys.executable).parent / "advosearch"
REPOSITORY = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def index_dir(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared index. Read only: tests that add documents build their own."""
    index_dir = tmp_path_factory.mktemp("index")
    index_corpus([corpus_dir], index_dir)
    return index_dir


@pytest.fixture(scope="session")
def client(index_dir: Path) -> Iterator[TestClient]:
    # The whole session shares one client address: no rate limit (test_ratelimit.py has it).
    settings = Settings(rate_limit_per_minute=0)
    with TestClient(create_app(index_dir, settings)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``advosearch serve`` on a free loopback port; its base URL."""
    with serving(index_dir, tmp_path_factory.mktemp("serve") / "serve.log") as base:
        yield base


@contextlib.contextmanager
def serving(
    index_dir: Path,
    log_path: Path,
    *options: str,
    prefix: Sequence[str] = (),
    started: list[subprocess.Popen] | None = None,
) -> Iterator[str]:
    """``advosearch serve`` with ``options`` (run by the command ``prefix`` if any), once it
    answers /health; its base URL. Its process is added to ``started``; it is stopped by
    SIGTERM at the end."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOSEARCH_")}
    # The server runs the code under test, not the checkout the command was installed from
    # (a git worktree shares its main checkout's .venv).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPOSITORY), env.get("PYTHONPATH")]))
    command = [str(ADVOSEARCH), "serve", "--index", str(index_dir), "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [*prefix, *command, *options], stdout=log, stderr=subprocess.STDOUT, env=env
        )
        if started is not None:
            started.append(process)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, log_path.read_text()
                try:
                    with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                assert time.monotonic() < deadline, "server did not start in 30 s"
                time.sleep(0.1)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
