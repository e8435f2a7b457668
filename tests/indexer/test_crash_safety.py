"""Crash safety: killed indexers, stale and live locks, a full disk, a read-only folder."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import LOCK_OWNER_FILE, ParseOptions, build_index, count_kind
from indexer.errors import IndexLocked, IndexWriteFailed, WorkerLost
from indexer.parallel import ended

ADVOSEARCH = Path(sys.executable).parent / "advosearch"

HOLD_LOCK = """
import sys, time
from whoosh import index
from pathlib import Path
from indexer.build import locked_writer
ix = index.open_dir(sys.argv[1])
with locked_writer(ix, Path(sys.argv[1]), 1.0, []) as writer:
    print("locked", flush=True)
    time.sleep(60)
"""


def write_articles(folder: Path, count: int, stem: str = "export") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "id": f"n{number}",
            "title": f"Report {number} on press freedom",
            "date": f"20{10 + number % 10}-01-01",
            "content": "<p>" + " ".join(f"word{number % 97} censorship" for _ in range(60)),
        }
        for number in range(count)
    ]
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def committed_articles(index_dir: Path) -> int:
    with whoosh_index.open_dir(str(index_dir)).searcher() as searcher:
        return count_kind(searcher, "article")


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    corpus, index_dir = tmp_path / "corpus", tmp_path / "ix"
    write_articles(corpus / "first", 5)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    return corpus, index_dir


@pytest.fixture
def lock_holder(indexed: tuple[Path, Path]) -> Iterator[subprocess.Popen]:
    _, index_dir = indexed
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(index_dir)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "locked"
    yield process
    process.kill()
    process.wait()
    process.stdout.close()


def test_a_live_lock_is_never_stolen(indexed, lock_holder) -> None:
    corpus, index_dir = indexed
    write_articles(corpus / "second", 3)
    with pytest.raises(IndexLocked, match=f"process {lock_holder.pid}"):
        build_index([corpus], index_dir, ParseOptions(), lock_timeout_s=0.5, workers=1)
    assert committed_articles(index_dir) == 5


def test_the_lock_of_a_killed_indexer_is_recognised_and_cleared(indexed, lock_holder) -> None:
    corpus, index_dir = indexed
    lock_holder.send_signal(signal.SIGKILL)
    lock_holder.wait()
    assert (index_dir / LOCK_OWNER_FILE).exists()  # left behind by the dead process
    write_articles(corpus / "second", 3)
    summary = build_index([corpus], index_dir, ParseOptions(), lock_timeout_s=5, workers=1)
    assert any(f"process {lock_holder.pid}, which is gone" in w for w in summary.warnings)
    assert committed_articles(index_dir) == 8
    assert not (index_dir / LOCK_OWNER_FILE).exists()


def test_kill_9_mid_run_keeps_the_last_version_and_a_rerun_completes(indexed) -> None:
    corpus, index_dir = indexed
    write_articles(corpus / "big", 3000, stem="big")
    run = [str(ADVOSEARCH), "index", str(corpus), "--index", str(index_dir), "--quiet"]
    process = subprocess.Popen(run, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = writing(process, index_dir)  # processes that parse and write, under its lock
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 10
    while any(running(pid) for pid in workers):  # orphans would keep the index locked
        assert time.monotonic() < deadline, "worker processes outlived the indexer"
        time.sleep(0.1)

    assert committed_articles(index_dir) == 5  # the last committed version, whole
    finished = subprocess.run(run, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "which is gone" in finished.stdout
    assert committed_articles(index_dir) == 3005


def test_sigterm_mid_run_ends_it_as_ctrl_c_does(indexed) -> None:
    # A service manager's stop, or `kill`: before, the process ended on the spot, silent,
    # leaving its lock's pid file and its writers' files for the next run to clear.
    corpus, index_dir = indexed
    before = set(os.listdir(index_dir))
    write_articles(corpus / "big", 3000, stem="big")
    run = [str(ADVOSEARCH), "index", str(corpus), "--index", str(index_dir), "--workers", "2"]
    process = subprocess.Popen(run, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = writing(process, index_dir)  # the writers' processes
    process.terminate()
    _, err = process.communicate(timeout=30)
    assert (process.returncode, err) == (143, "advosearch: terminated\n")
    assert not any(running(pid) for pid in workers)
    # No pid file, no writers' folder: only the cancelled segment's files, as Ctrl-C
    # leaves them, in no table of contents; Whoosh deletes them at the next commit.
    left = set(os.listdir(index_dir)) - before
    assert left and all(name.startswith("MAIN_") for name in left), left
    assert committed_articles(index_dir) == 5  # the last committed version, whole
    finished = subprocess.run([*run, "--quiet"], capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stderr
    assert "which is gone" not in finished.stdout
    assert committed_articles(index_dir) == 3005
    assert not left & set(os.listdir(index_dir))


def writing(process: subprocess.Popen, index_dir: Path) -> list[int]:
    """The child processes of an indexer run, once it holds the index's lock and has
    started them: waited for, not slept for, so that a loaded machine (CI) or a fast one
    cannot find the run before or after them."""
    deadline = time.monotonic() + 60
    while not ((index_dir / LOCK_OWNER_FILE).exists() and (workers := child_pids(process.pid))):
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return workers


def child_pids(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def running(pid: int) -> bool:
    """Whether a process exists and has not ended (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def files_of_no_version(index_dir: Path) -> set[str]:
    """The index folder's segment files that the committed version does not use."""
    committed = whoosh_index.open_dir(str(index_dir))._segments()
    segments = {segment.segment_id() for segment in committed}
    return {
        name
        for name in os.listdir(index_dir)
        if name.startswith("MAIN_") and "." in name and name.split(".")[0] not in segments
    }


# When a write fails on a full disk, Whoosh's own segment files stay open until garbage
# collection closes them; that is Whoosh's business, not a leak of ours.
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_full_disk_is_a_clear_error_and_the_previous_version_stays(
    tmp_path: Path, tiny_disk: Path, workers: int
) -> None:
    corpus, index_dir = tmp_path / "corpus", tiny_disk / "ix"
    write_articles(corpus / "first", 5)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    write_articles(corpus / "big", 4000, stem="big")
    with pytest.raises(IndexWriteFailed, match="No space left on device"):
        build_index([corpus], index_dir, ParseOptions(), workers=workers)
    assert committed_articles(index_dir) == 5
    assert multiprocessing.active_children() == []
    # What the failed write left goes with the next run, even one that commits nothing:
    # on a full disk, Whoosh's next commit, which would remove it, never comes.
    left = files_of_no_version(index_dir)
    assert left
    for path in (corpus / "big").iterdir():
        path.unlink()
    assert not build_index([corpus], index_dir, ParseOptions(), workers=workers).committed
    assert not files_of_no_version(index_dir) & left


def test_a_read_only_index_folder_is_a_clear_error(tmp_path: Path, tiny_disk: Path) -> None:
    corpus, index_dir = tmp_path / "corpus", tiny_disk / "ix"
    write_articles(corpus / "first", 5)
    build_index([corpus], index_dir, ParseOptions(), workers=1)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    write_articles(corpus / "second", 2)
    with pytest.raises(IndexWriteFailed, match="Read-only file system"):
        build_index([corpus], index_dir, ParseOptions(), workers=1)
    assert committed_articles(index_dir) == 5


def _killed_parsing(job: tuple[Path, Path]) -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the system kills a process out of memory


def test_a_parsing_process_killed_is_said_and_commits_nothing(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus, index_dir = indexed
    write_articles(corpus / "second", 3, stem="a")
    write_articles(corpus / "second", 3, stem="b")
    monkeypatch.setattr("indexer.build._parse_one", _killed_parsing)  # forked workers run it
    with pytest.raises(WorkerLost, match="a parsing process ended before its work was done"):
        build_index([corpus], index_dir, ParseOptions(), workers=2)
    assert committed_articles(index_dir) == 5


@pytest.mark.parametrize(
    ("exitcode", "said"),
    [
        (-signal.SIGKILL, "killed, most likely by the system for want of memory"),
        (-signal.SIGTERM, f"killed by signal {signal.SIGTERM.value}"),
        (1, "exit code 1"),
    ],
)
def test_how_a_writer_process_ended_is_said_with_what_it_means(exitcode: int, said: str) -> None:
    assert ended(exitcode).startswith(said)
    assert ended(exitcode).endswith("this run committed nothing, and the index is as it was")
