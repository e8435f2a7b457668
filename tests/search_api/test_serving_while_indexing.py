"""Serving while indexing: a real server answers every search during a real indexing run,
sees the old or the new version (never a half-written one), and serves the new one
without a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.build import ParseOptions, build_index
from tests.search_api.corpus import free_port

ADVOSEARCH = Path(sys.executable).parent / "advosearch"
OLD, NEW = 40, 1500


def write_export(folder: Path, stem: str, count: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": f"{stem}-{n}",
            "title": f"Detention report {n}",
            "date": "2020-01-01",
            "content": f"<p>Journalists detained in case {n}.</p><h2>Details</h2><p>"
            + "The court heard the case again. " * 30
            + "</p>",
        }
        for n in range(count)
    ]
    (folder / f"{stem}.json").write_text(json.dumps(records), encoding="utf-8")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_export(corpus / "old", "old", OLD)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOSEARCH_")}
    env["ADVOSEARCH_RATE_LIMIT_PER_MINUTE"] = "0"  # this test is one very busy client
    server = subprocess.Popen(
        [str(ADVOSEARCH), "serve", "--index", str(index_dir), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{base}/health", timeout=5).close()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.1)
        yield base, corpus, index_dir
    finally:
        server.terminate()
        server.wait(timeout=10)


def get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        assert response.status == 200
        return json.load(response)


def test_searches_during_an_indexing_run_see_old_or_new_never_half(live_server) -> None:
    base, corpus, index_dir = live_server
    write_export(corpus / "new", "new", NEW)
    indexer = subprocess.Popen(
        [str(ADVOSEARCH), "index", str(corpus), "--index", str(index_dir), "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: list[tuple[str, int]] = []
    try:
        while indexer.poll() is None:
            answer = get(f"{base}/search?q=journalists+detained&page_size=1")
            seen.append((answer["index_version"], answer["total"]))
        deadline = time.monotonic() + 10
        while seen[-1][1] != OLD + NEW and time.monotonic() < deadline:
            answer = get(f"{base}/search?q=journalists+detained&page_size=1")
            seen.append((answer["index_version"], answer["total"]))
    finally:
        _, errors = indexer.communicate(timeout=120)
    assert indexer.returncode == 0, errors
    totals = [total for _, total in seen]
    assert set(totals) <= {OLD, OLD + NEW}  # never a partly written version
    assert totals[0] == OLD and totals[-1] == OLD + NEW
    assert totals == sorted(totals)  # once the new version is served, it stays
    versions = {version: total for version, total in seen}
    assert len(versions) == 2
