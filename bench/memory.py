"""A process's memory as Linux reports it in /proc (the benchmarks run on Linux)."""

from __future__ import annotations

from pathlib import Path

# VmRSS: resident now; VmHWM: the most ever resident; RssAnon and RssFile: the resident
# pages that are anonymous memory (the heap: Python objects, malloc arenas, thread stacks)
# and pages of memory-mapped files (the interpreter, shared libraries, extension modules).
STATUS_FIELDS = ("VmRSS", "VmHWM", "RssAnon", "RssFile")


def process_memory(pid: int) -> dict[str, int]:
    """The ``STATUS_FIELDS`` of /proc/PID/status, in bytes; empty once the process is gone."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                name, _, amount = line.partition(":")
                if name in STATUS_FIELDS:
                    values[name] = int(amount.split()[0]) * 1024  # the kernel writes kB
    except OSError:
        pass
    return values


def child_pids(pid: int) -> list[int]:
    """The process's direct children, e.g. the workers under uvicorn's supervisor."""
    try:
        return [
            int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        ]
    except OSError:
        return []
