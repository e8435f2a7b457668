"""Writing one index version from several processes.

Analysing text (tokenising, folding, stemming) and writing its postings are most of the
work of a build, and Whoosh does both in the process that adds the documents.
``ParallelWriter`` has worker processes do it: the run's input is cut into as many
consecutive shares as there are workers, each worker analyses the documents of its share
and writes them as a segment of its own, and the parent commits those segments, in input
order, in its one new table of contents, with its own deletions and merges of older
segments, as a ``SegmentWriter`` would. A searcher sees all of a run or none of it.

Consecutive shares keep the documents in input order, as one process writes them, and
articles that score the same are listed in index order: a search gives the same results
whichever way the index was written. For a later share's worker to start while the earlier
shares are still being written, the parent does not wait for a worker to take its
documents: it writes them to files (in the index's temporary folder, each deleted once it
is read), and workers take them from there.

Whoosh's own ``MpWriter`` (``ix.writer(procs=N)``) is not used: its sub-writers take the
schema of the last committed version (a rebuild with a new schema would be written with the
old one); a sub-writer that fails loses its documents without an error; ``cancel()`` does
not reach the sub-processes, which then wait for work forever, holding the index's lock
(they inherit its file descriptor), as they do when the indexer is killed; and it hands
documents to whichever sub-writer is free, so the order of the index changes from run to
run.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from whoosh.fields import Schema
from whoosh.index import FileIndex
from whoosh.util import random_name
from whoosh.writing import IndexingError

from indexer.errors import WorkerLost
from indexer.writing import ArchiveWriter

# Documents per file handed to a worker: large enough that writing and reading the file
# cost little beside analysing its documents.
BATCH_DOCUMENTS = 200
# Input a worker's share has at least: a run smaller than two shares is written by one
# worker, as a segment more would cost searches more than the few seconds it would save.
MIN_SHARE_BYTES = 2 * 2**20
# How often a waiting parent checks that its workers are alive, and a worker its parent.
POLL_S = 0.5

Written = Callable[[int, int], None]  # (bytes of input, articles) written by a worker


@dataclass
class _Worker:
    process: Any  # a fork-context multiprocessing.Process
    jobs: Any  # its queue: the schema, then (file, bytes, articles) per batch, then None
    started: bool = False  # whether it was sent the schema (and so has a segment to write)
    pending: int = 0  # batches sent and not yet written
    segment: Any = None  # its segment, once written
    finished: bool = False


class ParallelWriter(ArchiveWriter):
    """An ``ArchiveWriter`` (it holds the lock, deletes, merges older segments and commits)
    whose documents are analysed and written by ``procs`` worker processes.

    Documents are added an article at a time, with the share of the run's input they come
    from (``add_documents``), after ``start`` has said how large the input is. Workers are
    forked when the writer is created, before the indexer starts any thread (its parse
    pool's), so a worker inherits no lock held by one; each stops when its parent is gone.
    ``cancel()`` and a failed ``commit()`` stop them all. An error in a worker is raised in
    the parent, when it next hands that worker a batch, waits for it, or commits."""

    def __init__(self, ix: FileIndex, procs: int, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        context = multiprocessing.get_context("fork")
        # The memory for sorting postings (``limitmb``) is shared between the workers: a
        # run holds as much as one writer would, and only spills to disk sooner.
        worker_args = {
            "limitmb": kwargs.get("limitmb", 128) // procs,
            "compound": kwargs.get("compound", True),
        }
        self._folder = Path(self.temp_storage().folder)
        self._results = context.Queue()
        self._workers: list[_Worker] = []
        self._batch: list[dict[str, Any]] = []
        self._batch_bytes = self._batch_articles = 0
        self._total = self._position = 0
        self._shares = 1  # how many workers the input is split between
        self._share = 0  # the worker the batch being filled goes to
        self._on_written: Written = lambda nbytes, articles: None
        try:
            for number in range(procs):
                jobs = context.Queue()
                process = context.Process(
                    target=_write_share,
                    args=(ix, worker_args, self._folder, jobs, self._results, number, os.getpid()),
                    name=f"advosearch-writer-{number}",
                    daemon=True,  # never outlives the indexer, even when it exits on an error
                )
                process.start()
                self._workers.append(_Worker(process, jobs))
        except BaseException:
            self._stop_workers()
            self._cleanup_on_error()
            raise

    def start(self, total_bytes: int, on_written: Written) -> None:
        """The run will add ``total_bytes`` of input (this splits it into the workers'
        shares); ``on_written(bytes, articles)`` is called as workers write them."""
        self._total, self._on_written = total_bytes, on_written
        self._shares = max(1, min(len(self._workers), total_bytes // MIN_SHARE_BYTES))

    def add_document(self, **fields: Any) -> None:
        self.add_documents([fields], 0, 0)

    def add_documents(
        self, documents: Iterable[dict[str, Any]], nbytes: int, articles: int
    ) -> None:
        """Add documents (an article's) that are the next ``nbytes`` of the run's input."""
        self._check_state()
        share = min(self._shares - 1, self._position * self._shares // max(1, self._total))
        if share != self._share:
            self._send_batch()
            self._share = share
        self._position += nbytes
        self._batch.extend(documents)
        self._batch_bytes += nbytes
        self._batch_articles += articles
        if len(self._batch) >= BATCH_DOCUMENTS:
            self._send_batch()
        self._receive(block=False)

    def finish_writing(self) -> None:
        """Wait until the workers have analysed every document added (reporting them
        through ``on_written``); what is left for ``commit`` is writing the segments."""
        self._send_batch()
        while any(worker.pending for worker in self._workers):
            self._wait()

    def commit(self, mergetype: Any = None, optimize: Any = None, merge: Any = None) -> None:
        self._check_state()
        try:
            self._send_batch()
            for worker in self._workers:
                worker.jobs.put(None)  # the worker writes its segment now
            # Meanwhile this process merges older segments (into a segment of its own).
            segments = self._merge_segments(mergetype, optimize, merge)
            if self._added:
                segments.append(self._finalize_segment())
            else:
                self._close_segment()
            while not all(worker.finished for worker in self._workers):
                self._wait()
            for worker in self._workers:
                worker.process.join()
            segments.extend(worker.segment for worker in self._workers if worker.started)
            self._commit_toc(segments)
        except BaseException:
            self._stop_workers()
            self._cleanup_on_error()
            raise
        self._close_queues()
        self._finish()

    def cancel(self) -> None:
        self._stop_workers()
        super().cancel()

    def _send_batch(self) -> None:
        if not self._batch:
            if self._batch_bytes or self._batch_articles:
                self._on_written(self._batch_bytes, self._batch_articles)  # nothing to write
                self._batch_bytes = self._batch_articles = 0
            return
        worker = self._workers[self._share]
        if not worker.process.is_alive():
            self._raise_failure(self._share)
        if not worker.started:
            # The schema this version is written with: a rebuild sets a new one after the
            # workers started, and a worker's own writer would read the committed one.
            worker.jobs.put(self.schema)
            worker.started = True
        name = f"{random_name()}.docs"
        with (self._folder / name).open("wb") as handle:
            pickle.dump(self._batch, handle, protocol=pickle.HIGHEST_PROTOCOL)
        worker.jobs.put((name, self._batch_bytes, self._batch_articles))
        worker.pending += 1
        self._batch, self._batch_bytes, self._batch_articles = [], 0, 0

    def _wait(self) -> None:
        """Take the workers' next report; raise if a worker ended without finishing."""
        if self._receive(block=True):
            return
        for number, worker in enumerate(self._workers):
            if not worker.finished and worker.process.exitcode not in (None, 0):
                self._raise_failure(number)

    def _receive(self, block: bool) -> bool:
        """Handle the workers' reports, waiting up to ``POLL_S`` for one if ``block``;
        False when there was none."""
        received = False
        while True:
            try:
                kind, number, payload = self._results.get(block=block, timeout=POLL_S)
            except queue.Empty:
                return received
            received, block = True, False
            worker = self._workers[number]
            if kind == "error":
                raise payload
            if kind == "written":
                worker.pending -= 1
                self._on_written(*payload)
            else:
                worker.segment, worker.finished = payload, True

    def _raise_failure(self, number: int) -> None:
        # A worker that failed sent its error before it ended: it is in the pipe by now.
        while self._receive(block=True):
            pass
        exitcode = self._workers[number].process.exitcode
        raise WorkerLost(
            f"an index writer process ended before its work was done ({ended(exitcode)})"
        )

    def _stop_workers(self) -> None:
        for worker in self._workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self._workers:
            worker.process.join(timeout=5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            # Messages still queued for a stopped worker are dropped, or this process would
            # wait to send them when it exits.
            worker.jobs.cancel_join_thread()
        self._close_queues()

    def _close_queues(self) -> None:
        for worker in self._workers:
            worker.jobs.close()
        self._results.close()


def _write_share(
    ix: FileIndex,
    writer_args: dict[str, Any],
    folder: Path,
    jobs: Any,
    results: Any,
    number: int,
    parent_pid: int,
) -> None:
    """A worker: analyses and writes the batches it is sent into a segment of its own,
    reporting each batch written, then sends the parent its segment, or its error."""
    # Ctrl-C reaches every process of the terminal's group: the parent handles it, by
    # stopping the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent(parent_pid)
    try:
        writer = None
        while (message := jobs.get()) is not None:
            if isinstance(message, Schema):
                # Created only now: a worker that is sent nothing leaves no files behind.
                writer = ArchiveWriter(ix, _lk=False, **writer_args)  # the parent has the lock
                writer.schema = message
                continue
            name, nbytes, articles = message
            with (folder / name).open("rb") as handle:
                batch = pickle.load(handle)
            (folder / name).unlink()
            for fields in batch:
                writer.add_document(**fields)
            results.put(("written", number, (nbytes, articles)))
        results.put(("segment", number, writer._finalize_segment() if writer else None))
    except BaseException as error:
        results.put(("error", number, _picklable(error)))


def _picklable(error: BaseException) -> BaseException:
    """The error itself if it can be sent to the parent (an ``OSError`` keeps its errno,
    so a full disk is told as such), else its description."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:
        return IndexingError(f"{type(error).__name__}: {error}")
    return error


def ended(exitcode: int | None) -> str:
    """How a process ended (``exitcode`` None: not known), said with what to do: a process
    killed by SIGKILL was most likely the system's choice, out of memory."""
    if exitcode is None:
        how = "killed or crashed, perhaps by the system for want of memory: --workers 1 takes less"
    elif exitcode == -signal.SIGKILL:
        how = "killed, most likely by the system for want of memory: --workers 1 takes less"
    elif exitcode < 0:
        how = f"killed by signal {-exitcode}"
    else:
        how = f"exit code {exitcode}"
    return f"{how}; this run committed nothing, and the index is as it was"


def exit_with_parent(parent_pid: int) -> None:
    """End this worker process when its parent is gone (killed, or crashed).

    A worker forked while the parent holds the index's lock shares the lock's file
    descriptor: an orphaned worker waiting for work that never comes would keep the index
    locked for every later run."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
