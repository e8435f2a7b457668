"""Which version the index folder holds now, and the files of the one a searcher reads.

A version is known by its table of contents (Whoosh's ``_MAIN_<generation>.toc``, written
once by its commit and never rewritten): by its generation and by the file itself, because
two folders each built from scratch are both at generation 1, so after ``mv index.new
index`` only the file tells the new version from the old.

A searcher's files are opened when its version is opened (``pin_latest``) and held until it
is closed: Whoosh opens some of them only when first read (a column's the first time a
request needs it) and asks by name whether others exist, so a searcher reading through the
folder failed once the folder was moved away or deleted (a restore, a rebuild), or a commit
deleted the files it had not opened yet, though its version had not changed. Held open, a
file reads the same on Linux whatever happens to its name.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from whoosh.filedb.structfile import StructFile
from whoosh.index import _DEF_INDEX_NAME, TOC
from whoosh.reading import CorruptIndexError

from indexer.build import index_unavailable, no_index
from indexer.errors import AdvosearchError
from indexer.storage import BoundedFile, IndexStorage

T = TypeVar("T")
_TOC_NAME = TOC._pattern(_DEF_INDEX_NAME)
# A commit deletes the files of the versions it replaces, which a listing just taken may
# still name: each attempt lists the folder again, and finds the new version.
_ATTEMPTS = 3


class Toc(NamedTuple):
    """A version's table of contents: its generation and which file it is. A file's device
    and inode tell it from another; its modification time too, because a deleted file's
    inode number can be given to a file created after it (a rebuild's table of contents)."""

    generation: int
    device: int
    inode: int
    modified_ns: int


def latest_toc(index_dir: Path) -> Toc:
    """The table of contents of the latest version committed in ``index_dir``: a listing
    of the folder and a ``stat``, cheap enough for every request to ask. ``IndexNotFound``
    when there is none, ``IndexUnavailable`` when it cannot be read."""
    return _retried(index_dir, _stat_latest)


def pin_latest(index_dir: Path) -> PinnedFiles:
    """The files of the latest version committed in ``index_dir``, every one opened now;
    ``IndexNotFound`` or ``IndexUnavailable`` as ``latest_toc``."""
    return _retried(index_dir, _pin_latest)


class PinnedFiles(IndexStorage):
    """One version's files, each held open from ``pin_latest`` to ``close``: Whoosh reads
    the version through them, not through the folder."""

    def __init__(self, folder: Path, toc_name: str, toc_fd: int, toc: Toc) -> None:
        super().__init__(str(folder), readonly=True)
        self.toc = toc
        self._toc_name = toc_name
        self._fds = {toc_name: toc_fd}

    def pin(self, name: str) -> None:
        self._fds[name] = os.open(os.path.join(self.folder, name), os.O_RDONLY)

    def list(self) -> list[str]:
        return list(self._fds)

    def file_exists(self, name: str) -> bool:
        return name in self._fds

    def file_length(self, name: str) -> int:
        return os.fstat(self._fd(name)).st_size

    def file_modified(self, name: str) -> float:
        return os.fstat(self._fd(name)).st_mtime

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        if name == self._toc_name:
            # Read whole, into memory: Whoosh leaves the file open when the table of
            # contents makes no sense (a damaged one), and it is small.
            fd = self._fd(name)
            return StructFile(io.BytesIO(os.pread(fd, os.fstat(fd).st_size, 0)), name=name)
        # A file object of its own (its own position: Whoosh seeks, then reads), opened
        # through the descriptor held: Linux's /proc/self/fd opens the file a descriptor
        # holds, even once the file is deleted or its folder moved (not once its mode
        # forbids reading it: that is checked again).
        return StructFile(BoundedFile(f"/proc/self/fd/{self._fd(name)}"), name=name, **kwargs)

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()

    def _fd(self, name: str) -> int:
        try:
            return self._fds[name]
        except KeyError:
            raise FileNotFoundError(f"{name} is not a file of this index version") from None


def _retried(index_dir: Path, read: Callable[[Path], T]) -> T:
    """``read(index_dir)``, listed and read again when a file it listed is gone (a commit
    replaced the version meanwhile); an ``OSError``, or files that make no sense (a table
    of contents cut short or overwritten), as the domain error that says it."""
    attempt = 1
    while True:
        try:
            return read(index_dir)
        except AdvosearchError:
            raise
        except FileNotFoundError as error:
            if attempt == _ATTEMPTS:
                raise index_unavailable(index_dir, error) from error
            attempt += 1
        except Exception as error:  # Whoosh's parsing fails in many ways; all mean this
            raise index_unavailable(index_dir, error) from error


def _listing(index_dir: Path) -> tuple[int, list[str]]:
    """The latest committed generation, and the names of the folder's files."""
    try:
        names = os.listdir(index_dir)
    except (FileNotFoundError, NotADirectoryError):
        raise no_index(index_dir) from None
    # Nearly every name is a segment's ("MAIN_…"); trying the pattern only on names that
    # start as a table of contents' does ("_MAIN_…") takes a fifth of the time.
    tocs = (_TOC_NAME.match(name) for name in names if name.startswith("_"))
    latest = max((int(found[1]) for found in tocs if found), default=0)
    # Generation 0 is the index Whoosh creates before a run's first commit: no version yet.
    if latest == 0:
        raise no_index(index_dir)
    return latest, names


def _stat_latest(index_dir: Path) -> Toc:
    generation, _ = _listing(index_dir)
    return _toc(generation, os.stat(os.path.join(index_dir, _toc_name(generation))))


def _pin_latest(index_dir: Path) -> PinnedFiles:
    """The latest table of contents, then the files of the segments it lists, each opened.
    A commit writes its segments' files before its table of contents, so the listing taken
    before that was opened names them all."""
    generation, names = _listing(index_dir)
    toc_name = _toc_name(generation)
    toc_fd = os.open(os.path.join(index_dir, toc_name), os.O_RDONLY)
    files = PinnedFiles(index_dir, toc_name, toc_fd, _toc(generation, os.fstat(toc_fd)))
    try:
        segment_ids = {
            segment.segment_id() for segment in TOC.read(files, _DEF_INDEX_NAME).segments
        }
        for name in names:
            # A segment's files are named after it: "<segment id>.<part>".
            if name.partition(".")[0] in segment_ids:
                files.pin(name)
    except BaseException:
        files.close()
        raise
    return files


def _toc_name(generation: int) -> str:
    return TOC._filename(_DEF_INDEX_NAME, generation)


def _toc(generation: int, stat: os.stat_result) -> Toc:
    return Toc(generation, stat.st_dev, stat.st_ino, stat.st_mtime_ns)


def index_text(raw: bytes, what: str) -> str:
    """A text the index stores (a column's value, a term), decoded: bytes that are no
    UTF-8 are damage to the index's files, said as such (``CorruptIndexError``, one of
    ``indexer.build.DAMAGED_FILE_ERRORS``), not a traceback."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CorruptIndexError(f"the index's {what} holds bytes that are no text") from error
