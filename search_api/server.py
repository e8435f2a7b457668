"""Running the app under uvicorn: one process, or several sharing one listening socket."""

from __future__ import annotations

import copy
import logging
import signal
import socket
import sys
import time
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG, STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

# Named, not imported: a worker process is spawned, and imports this module (the command's
# own) before it answers its supervisor's health checks; the app's imports, seconds on a
# busy machine, come after.
APP = "search_api.app:served_app"
# Connections waiting to be accepted: uvicorn's default (``--backlog``).
BACKLOG = 2048
# How long a worker may take to answer its supervisor before it is killed as hung. uvicorn's
# 5 s killed workers still starting on a busy machine (load 7 on two CPUs: 8 workers killed
# in 55 s before one served); each hung worker delays a stop by as long, so 4 of them must
# stay within systemd's 90 s.
WORKER_HEALTHCHECK_S = 15
# Workers that die this many times, none living a minute, cannot start here: the server
# stops, where uvicorn started them again forever (a Python the service's user could not
# run: 2,494 "died" lines in 10 minutes, the port taking connections and answering none).
MAX_QUICK_DEATHS = 10
QUICK_DEATH_S = 60.0


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, each line with its time (a log kept in a file, not by journald,
    says when) and the process that wrote it (of several workers, one may say the index
    cannot be opened and another that it can), and advosearch's own lines (an index that
    cannot be opened, a write that failed) in the same form, at INFO and above."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["fmt"] = "%(asctime)s [%(process)d] " + formatter["fmt"]
        formatter["datefmt"] = "%Y-%m-%d %H:%M:%S%z"
    config["loggers"]["advosearch"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["filters"] = {"no_websocket_advice": {"()": NoWebSocketAdvice}}
    config["handlers"]["default"]["filters"] = ["no_websocket_advice"]
    return config


class NoWebSocketAdvice(logging.Filter):
    """Drops uvicorn's advice to install a WebSocket library, which it logs after each
    request asking to upgrade to one ("Unsupported upgrade request.", which stays): the
    app has no WebSocket endpoint, and an operator following it would install a library
    for nothing."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("No supported WebSocket library detected")


def listening_socket(host: str, port: int) -> socket.socket:
    """The socket the server listens on, bound before the index is loaded: a port that is
    taken is said at once, in words (``OSError``), not by a worker seconds later. It listens
    at once too: a request sent while the workers load the index (seconds, for a large one)
    waits for them in the queue, where it was refused until uvicorn listened.

    Made as TCP (``IPPROTO_TCP``, where uvicorn's own has protocol 0): asyncio turns
    Nagle's algorithm off (``TCP_NODELAY``) only on accepted sockets that say they are TCP.
    With Nagle on, every request after the first on a kept-alive connection waited for the
    client's delayed acknowledgement, several times the answer's own time (uvicorn issue
    #3149, open)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(BACKLOG)
    except OSError:
        listener.close()
        raise
    listener.set_inheritable(True)  # the workers' too
    return listener


def serve(listener: socket.socket, workers: int, access_log: bool, root_path: str = "") -> None:
    """Serve on ``listener`` until stopped (Ctrl-C, SIGTERM), then return. Workers are
    separate processes: they read their settings (the index folder among them) from the
    environment. ``root_path``: the path a proxy serves the site under ("/search"), which
    the site's links are made under (``search_api.site``)."""
    config = uvicorn.Config(
        APP,
        factory=True,
        access_log=access_log,
        log_level="info",
        server_header=False,
        workers=workers,
        log_config=_log_config(),
        root_path=root_path,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
    )
    if workers == 1:
        server = uvicorn.Server(config)
        # uvicorn raises the signal that stopped it again once it has shut down: SIGTERM
        # would end this process by the signal, where several workers' supervisor returns.
        for stop in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop, lambda _signum, _frame: None)
        # Unhandled, SIGHUP (a log rotation's kill -HUP) ended the server, which a service
        # manager counts as a clean stop and does not restart.
        signal.signal(signal.SIGHUP, lambda _signum, _frame: _say_no_reload())
        server.run(sockets=[listener])
        if not server.started:  # the app could not start (an index it cannot read)
            sys.exit(STARTUP_FAILURE)
        return
    supervisor = _Supervisor(config, sockets=[listener])
    supervisor.run()
    # The supervisor stops when a worker cannot start (an index Whoosh cannot read as one)
    # and returns; exit as one worker does then, so a service manager sees the failure.
    if supervisor.gave_up or any(
        worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes
    ):
        sys.exit(STARTUP_FAILURE)


class _Supervisor(Multiprocess):
    """uvicorn's supervisor of several workers, but for SIGHUP, and giving up on workers
    that keep dying as they start."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.gave_up = False
        self._started_at: dict[int, float] = {}
        self._quick_deaths: list[str] = []  # how each worker that died young ended

    def keep_subprocess_alive(self) -> None:
        now = time.monotonic()
        before = list(self.processes)
        for worker in before:
            self._started_at.setdefault(id(worker), now)
        super().keep_subprocess_alive()
        for old, new in zip(before, self.processes, strict=True):
            if old is new:
                continue
            if now - self._started_at.pop(id(old), now) < QUICK_DEATH_S:
                self._quick_deaths.append(_how_it_ended(old.process.exitcode))
            else:
                self._quick_deaths.clear()  # it served for a while: not a start that fails
        if len(self._quick_deaths) >= MAX_QUICK_DEATHS and not self.should_exit.is_set():
            endings = ", ".join(sorted(set(self._quick_deaths)))
            logging.getLogger("advosearch").error(
                "workers died %d times as they started (%s): stopping. Their messages, if "
                "any, are above; `advosearch serve --workers 1` runs one in this process, "
                "where its error is shown",
                len(self._quick_deaths),
                endings,
            )
            self.gave_up = True
            self.should_exit.set()

    def handle_hup(self) -> None:
        # uvicorn restarts the workers one by one, and gives up when one takes longer than
        # 5 s to load the index: old and new workers were left serving side by side.
        _say_no_reload()


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _say_no_reload() -> None:
    logging.getLogger("advosearch").warning(
        "SIGHUP ignored: there is nothing to reload (new index versions are served as they "
        "are committed); restart the server to run new code or settings"
    )
