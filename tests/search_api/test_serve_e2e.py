"""End to end: ``advosearch serve`` in a real process, queried over real HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.search_api.corpus import free_port

ADVOSEARCH = Path(sys.executable).parent / "advosearch"


def get_json(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


@pytest.fixture
def server(index_dir: Path, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVOSEARCH_")}
    process = subprocess.Popen(
        [str(ADVOSEARCH), "serve", "--index", str(index_dir), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                if get_json(f"{base}/health")[0] == 200:
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
        log.close()


def test_served_search_over_http(server: str):
    status, health = get_json(f"{server}/health")
    assert (status, health["ok"], health["articles"]) == (200, True, 12)

    status, response = get_json(f"{server}/search?q=%22internet+shutdown%22+-india")
    assert status == 200
    assert [hit["id"] for hit in response["results"]] == ["amnesty/ethiopia-shutdown"]
    assert response["parsed_query"] == '"internet shutdown" AND NOT india'
    assert response["index_version"] == health["index_version"]

    status, error = get_json(f"{server}/search?page_size=0")
    assert status == 400
    assert error == {
        "error": {
            "code": "invalid_request",
            "message": "page_size must be between 1 and 100 (got 0)",
        }
    }
