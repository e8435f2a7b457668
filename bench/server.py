"""A real ``advosearch serve`` for the HTTP benchmarks, on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 120  # generous, as a failed start ends sooner: the server process exits


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class Server:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextmanager
def running_server(index_dir: Path, workers: int, log: Path | None = None) -> Iterator[Server]:
    """``advosearch serve`` with ``workers`` workers, once ``/health`` answers; its output
    goes to ``log`` (or nowhere). Stopped on exit, killed if it does not stop within 20 s."""
    # One loopback address sends every request: the per-client rate limit would answer 429
    # to the benchmark itself, so it is off (capacity, not policy, is measured). The access
    # log is off too, whatever the environment says: writing it would add to every request.
    env = {
        **os.environ,
        "ADVOSEARCH_LOG_REQUESTS": "false",
        "ADVOSEARCH_RATE_LIMIT_PER_MINUTE": "0",
    }
    port = free_port()
    command = [sys.executable, "-m", "search_api", "serve", "--index", str(index_dir.resolve())]
    command += ["--port", str(port), "--workers", str(workers)]
    # cwd: `-m search_api` runs this checkout's code, installed or not.
    with log.open("w") if log else open(os.devnull, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
    server = Server(port, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _healthy(server):
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(
                    "advosearch serve did not start" + (f"; see {log}" if log else "")
                )
            time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _healthy(server: Server) -> bool:
    try:
        with urllib.request.urlopen(f"{server.url}/health", timeout=5) as response:
            response.read()
    except OSError:  # not listening yet, or an error status (HTTPError is an OSError)
        return False
    return True
