"""The index's files are read as Whoosh reads them, but a read asks for no more than a file
holds."""

from __future__ import annotations

from pathlib import Path

from indexer.storage import IndexStorage

HELD = b"0123456789"


def test_a_read_past_a_files_end_gives_what_the_file_holds(tmp_path: Path) -> None:
    # A stored column cut short gave Whoosh a garbage length to read (2.6e18 bytes): Python
    # made room for them first, and `advosearch index` failed with a MemoryError where it
    # says the index is damaged and what to do.
    (tmp_path / "column").write_bytes(HELD)
    opened = IndexStorage(str(tmp_path)).open_file("column")
    try:
        assert opened.read(2**62) == HELD
        opened.seek(7)
        assert opened.read(2**62) == HELD[7:]
        assert opened.read(10) == b""
        opened.seek(2)
        assert opened.read(3) == HELD[2:5]
        assert opened.read() == HELD[5:]
    finally:
        opened.close()
