"""Running the app under uvicorn: one process, or several sharing one listening socket."""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors import Multiprocess

APP = "search_api.app:create_app"


def serve(host: str, port: int, workers: int, access_log: bool) -> None:
    """Serve until interrupted. Workers are separate processes: they read their settings
    (the index folder among them) from the environment."""
    options = {"factory": True, "access_log": access_log, "log_level": "info"}
    options |= {"host": host, "port": port, "server_header": False}
    if workers == 1:
        uvicorn.run(APP, **options)
        return
    config = uvicorn.Config(APP, workers=workers, **options)
    supervisor = Multiprocess(config, sockets=[tcp_listener(config)])
    supervisor.run()
    # The supervisor stops when a worker cannot start (an index Whoosh cannot read as one)
    # and returns; exit as one worker does then, so a service manager sees the failure.
    if any(worker.exitcode == STARTUP_FAILURE for worker in supervisor.processes):
        sys.exit(STARTUP_FAILURE)


def tcp_listener(config: uvicorn.Config) -> socket.socket:
    """The listening socket uvicorn binds for its workers, marked as TCP.

    uvicorn creates it with protocol 0; connections accepted on it inherit that, and asyncio
    turns Nagle's algorithm off (``TCP_NODELAY``) only on sockets that say they are TCP. With
    Nagle on, every request after the first on a kept-alive connection waited for the
    client's delayed acknowledgement, several times the answer's own time (uvicorn issue
    #3149, open)."""
    bound = config.bind_socket()
    if bound.family not in (socket.AF_INET, socket.AF_INET6) or bound.proto:
        return bound
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    return listener
