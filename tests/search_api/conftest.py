"""Fixtures: the fixture archive indexed once per session by the real indexer, and an app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from tests.search_api.corpus import index_corpus, write_corpus


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
    with TestClient(create_app(index_dir)) as test_client:
        yield test_client
