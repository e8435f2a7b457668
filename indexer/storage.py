"""How are the index's files read? As Whoosh's ``FileStorage`` reads them, but through files
whose reads ask for no more than they hold (``BoundedFile``): the indexer's and the
server's (``search_api.index_files``) alike."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from whoosh.fields import Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import _DEF_INDEX_NAME, FileIndex


class BoundedFile(io.BufferedReader):
    """A file opened for reading whose reads ask for no more than it holds. A read past its
    end gives what is left, as any file's does, but Python first makes room for all that
    was asked: a damaged file's garbage length (a stored column cut short asked for 2.6e18
    bytes) was a ``MemoryError``, not the short read by which Whoosh finds it damaged."""

    def __init__(self, path: str) -> None:
        super().__init__(io.FileIO(path, "rb"))
        self._length = os.fstat(self.fileno()).st_size

    def read(self, size: int | None = -1) -> bytes:
        if size is not None and size > 0:
            size = min(size, max(0, self._length - self.tell()))
        return super().read(size)


class IndexStorage(FileStorage):
    """An index folder whose files are read as ``BoundedFile``."""

    def open_file(self, name: str, **kwargs: Any) -> StructFile:
        return StructFile(BoundedFile(self._fpath(name)), name=name, **kwargs)


def open_dir(index_dir: Path) -> FileIndex:
    """Whoosh's ``index.open_dir``, its files read as ``BoundedFile``."""
    return FileIndex(IndexStorage(str(index_dir)), indexname=_DEF_INDEX_NAME)


def create_in(index_dir: Path, schema: Schema) -> FileIndex:
    """Whoosh's ``index.create_in``, its files read as ``BoundedFile``."""
    return FileIndex.create(IndexStorage(str(index_dir)), schema, _DEF_INDEX_NAME)
