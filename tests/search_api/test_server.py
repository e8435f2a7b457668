"""Serving with several worker processes: one shared socket, answers as from one."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from uvicorn.config import STARTUP_FAILURE

from search_api.cli import EXIT_CANNOT_SERVE, main
from search_api.server import listening_socket
from tests.search_api.conftest import serving
from tests.search_api.corpus import free_port, index_corpus, write_corpus


def test_workers_share_a_listener_whose_connections_turn_nagle_off() -> None:
    # With Nagle's algorithm on, each request after the first on a kept-alive connection
    # waits for the client's delayed acknowledgement.
    listener = listening_socket("127.0.0.1", 0)

    async def accepted_nodelay() -> int:
        loop = asyncio.get_running_loop()
        accepted: asyncio.Future[int] = loop.create_future()

        class Report(asyncio.Protocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                sock = transport.get_extra_info("socket")
                accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
                transport.close()

        server = await loop.create_server(Report, sock=listener)
        _, writer = await asyncio.open_connection(*listener.getsockname())
        try:
            return await asyncio.wait_for(accepted, timeout=5)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    assert asyncio.run(accepted_nodelay()) == 1


def test_a_request_sent_while_the_index_loads_waits_instead_of_being_refused() -> None:
    # The port takes connections once it is bound, before any worker has loaded the index
    # (seconds for a large one): a client that connects then is answered when one has.
    listener = listening_socket("127.0.0.1", 0)
    try:
        with socket.create_connection(listener.getsockname(), timeout=5) as client:
            client.sendall(b"GET /health HTTP/1.0\r\n\r\n")  # nothing serves the port yet
            listener.settimeout(5)
            accepted, _ = listener.accept()  # as a worker does, its index loaded
            with accepted:
                assert accepted.recv(1024) == b"GET /health HTTP/1.0\r\n\r\n"
    finally:
        listener.close()


def test_a_spawned_worker_answers_its_supervisor_before_it_imports_the_app() -> None:
    """A worker process unpickles its configuration, which imports search_api.server,
    before it starts answering the supervisor's health checks (5 s each); the app's
    imports come after. When the module imported the app, workers on a busy machine took
    longer than that and were killed and started again, over and over."""
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, search_api.server; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'search_api.server'" in imported
    assert "'search_api.app'" not in imported and "'fastapi'" not in imported


def test_two_workers_answer_searches_on_one_kept_alive_connection(
    index_dir: Path, tmp_path: Path
) -> None:
    with serving(index_dir, tmp_path / "serve.log", "--workers", "2") as base:
        address = urlsplit(base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        answers = []
        for _ in range(3):
            connection.request("GET", "/search?q=%22internet+shutdown%22+-india")
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())["total"]))
        connection.close()
    assert answers == [(200, 1)] * 3


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("damage", ["postings-zeroed", "terms-cut-short"])
def test_workers_that_cannot_start_make_serve_fail_saying_why_in_one_line(
    tmp_path: Path, workers: int, damage: str
) -> None:
    # The index was whole when serve checked it, and its postings are zeroes (or its terms
    # file cut short) when the workers read them before taking requests. (A worker that
    # finds no index, none it may read, or a table of contents that makes no sense, starts,
    # and answers 503 until it can.)
    damaged = tmp_path / "damaged"
    index_corpus([write_corpus(tmp_path / "corpus")], damaged)
    if damage == "postings-zeroed":
        [postings] = damaged.glob("*.pst")
        postings.write_bytes(bytes(postings.stat().st_size))
    else:
        [terms] = damaged.glob("*.trm")
        terms.write_bytes(terms.read_bytes()[:40])
    env = {**os.environ, "ADVOSEARCH_INDEX_DIR": str(damaged)}
    serving = (
        "from search_api.server import listening_socket, serve; "
        "serve(listening_socket('127.0.0.1', {port}), {workers}, False)"
    )
    finished = subprocess.run(
        [sys.executable, "-c", serving.format(port=free_port(), workers=workers)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == STARTUP_FAILURE, finished.stderr
    assert f"cannot read the index in {damaged}: its files look damaged" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_workers_that_keep_dying_as_they_start_make_serve_stop(tmp_path: Path) -> None:
    # Each spawned worker's Python ends as it starts (as one the service's user cannot run
    # would): uvicorn started them again forever, the port answering nothing.
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import os, sys\nif '--multiprocessing-fork' in sys.argv:\n    os._exit(7)\n",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    index_corpus([write_corpus(tmp_path / "corpus")], index)
    path = os.pathsep.join([str(site), str(Path(__file__).resolve().parents[2])])
    env = {**os.environ, "ADVOSEARCH_INDEX_DIR": str(index), "PYTHONPATH": path}
    serving = (
        "from search_api.server import listening_socket, serve; "
        f"serve(listening_socket('127.0.0.1', {free_port()}), 2, False)"
    )
    finished = subprocess.run(
        [sys.executable, "-c", serving], env=env, capture_output=True, text=True, timeout=120
    )
    assert finished.returncode == STARTUP_FAILURE, finished.stderr
    assert "workers died 10 times as they started (exit code 7): stopping" in finished.stderr


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_server_stopped_by_sigterm_exits_0_however_many_workers(
    index_dir: Path, tmp_path: Path, workers: str
) -> None:
    # A supervisor that restarts what exits non-zero would restart a service stopped on
    # purpose: one worker ended by the signal itself (143) where two exited 0.
    started: list[subprocess.Popen] = []
    with serving(index_dir, tmp_path / "serve.log", "--workers", workers, started=started):
        pass
    assert started[0].returncode == 0
    assert "Traceback" not in (tmp_path / "serve.log").read_text()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_sighup_leaves_the_server_serving_as_it_was(
    index_dir: Path, tmp_path: Path, workers: str
) -> None:
    # A log rotation's kill -HUP ended one worker (a clean stop to a service manager,
    # which then does not restart it), and restarted several one by one.
    log = tmp_path / "serve.log"
    started: list[subprocess.Popen] = []
    with serving(index_dir, log, "--workers", workers, started=started) as base:
        workers_before = Path(f"/proc/{started[0].pid}/task/{started[0].pid}/children")
        children = workers_before.read_text()
        started[0].send_signal(signal.SIGHUP)
        for _ in range(20):  # the signal is handled between requests
            with urllib.request.urlopen(f"{base}/search?q=torture", timeout=10) as answer:
                assert answer.status == 200
            if "SIGHUP ignored" in log.read_text():
                break
            time.sleep(0.1)
        assert workers_before.read_text() == children  # the same workers
        assert started[0].poll() is None
    assert "SIGHUP ignored: there is nothing to reload" in log.read_text()
    # Each line says which process wrote it: of two workers, one may say what the other
    # does not.
    assert re.search(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d{4} \[\d+\] ", log.read_text(), re.M)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_port_in_use_is_said_at_once_in_words(
    capsys: pytest.CaptureFixture[str], index_dir: Path, workers: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["serve", "--index", str(index_dir), "--port", str(port), "--workers", workers]
        assert main(argv) == EXIT_CANNOT_SERVE
    assert capsys.readouterr().err == (
        f"advosearch: cannot listen on 127.0.0.1:{port}: another program listens there "
        "(choose another port with --port)\n"
    )


def test_a_websocket_upgrade_request_is_logged_without_advice_to_install_a_library(
    index_dir: Path, tmp_path: Path
) -> None:
    # uvicorn advised installing a WebSocket library after each such request: the app has
    # no WebSocket endpoint, and an operator following the advice would install one for
    # nothing.
    log = tmp_path / "serve.log"
    with serving(index_dir, log, "--workers", "1") as base:
        connection = http.client.HTTPConnection(urlsplit(base).netloc, timeout=10)
        connection.request(
            "GET",
            "/search?q=torture",
            headers={
                "Connection": "Upgrade",
                "Upgrade": "websocket",
                "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            },
        )
        assert connection.getresponse().status == 200
        connection.close()
    logged = log.read_text()
    assert "Unsupported upgrade request." in logged
    assert "WebSocket library" not in logged
