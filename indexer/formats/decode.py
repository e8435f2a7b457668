"""Bytes → text: UTF-8 first, then a confident guess, and a clear refusal for binary files."""

from __future__ import annotations

import codecs
import io
from typing import IO

from charset_normalizer import from_bytes

from indexer.errors import UnreadableFile

__all__ = ["as_utf8", "decode_bytes", "looks_binary", "wide_encoding"]

# Bytes that never occur in text: NUL and the C0 controls other than \t \n \f \r and ESC.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


# Byte order marks of UTF-32 and UTF-16 (UTF-32's first: FF FE 00 00 begins with FF FE).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def wide_encoding(data: bytes) -> tuple[str, int] | None:
    """The codec of a text that begins with a UTF-16 or UTF-32 byte order mark, and the
    mark's length; None for any other bytes."""
    for bom, codec in _WIDE_BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def looks_binary(data: bytes) -> bool:
    """True for images, archives, PDFs…: NUL bytes, or many control bytes in the first 8 KB.
    UTF-16 or UTF-32 text with its byte order mark is text, NUL bytes and all."""
    if wide_encoding(data):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    if not sample:
        return False
    controls = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    return controls / len(sample) > 0.05


def decode_bytes(data: bytes) -> tuple[str, list[str]]:
    """Decode a file's bytes; returns (text, warnings).

    UTF-8 (with or without BOM) is by far the most common and is tried strictly first, so
    a valid UTF-8 file is never "detected" as something else. Otherwise charset_normalizer
    guesses (cp1252/Latin-1 exports from old CMSs are the usual case) and the guess is
    reported as a warning, because it can be wrong.
    """
    if not data.strip():
        raise UnreadableFile("empty file")
    if wide := wide_encoding(data):
        codec, bom = wide
        name = codec[:6]  # "utf-16", "utf-32"
        try:
            text = data[bom:].decode(codec)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"invalid {name.upper()} text: {exc.reason}") from None
        return _checked(text), [f"decoded as {name}"]
    if looks_binary(data):
        raise UnreadableFile("binary file (not text)")
    try:
        return _checked(data.decode("utf-8-sig")), []
    except UnicodeDecodeError:
        pass
    encoding = _guess_encoding(data[: 2**20])
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UnreadableFile(f"unknown text encoding (guessed {encoding}, but it fails)") from None
    return _checked(text), [f"decoded as {encoding} (not UTF-8)"]


def as_utf8(handle: IO[bytes]) -> IO[bytes] | None:
    """A UTF-16 or UTF-32 file (one with a byte order mark) as a stream of UTF-8 bytes, read
    as it goes, for the readers that take bytes (JSON Lines by line, WXR's XML parser, which
    knows no UTF-32); None for any other file, which is read as it is. Text that is not
    valid in its encoding raises ``UnicodeDecodeError`` where it is read."""
    wide = wide_encoding(handle.peek(4)[:4])
    if wide is None:
        return None
    codec, bom = wide
    handle.read(bom)
    text = io.TextIOWrapper(handle, encoding=codec, newline="")
    return io.BufferedReader(_Utf8Stream(text))


class _Utf8Stream(io.RawIOBase):
    """Text read from a stream of it, given as UTF-8 bytes."""

    def __init__(self, text: IO[str]) -> None:
        self._text = text
        self._pending = b""

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        # The file is for whoever opened it to close: a text wrapper left to the garbage
        # collector would close it (with a ResourceWarning) while it is still read.
        try:
            if not self.closed:
                self._text.detach()
        except ValueError:
            pass  # its file was closed first: nothing is left to detach
        finally:
            super().close()

    def readinto(self, buffer: bytearray | memoryview) -> int:
        while not self._pending:
            chunk = self._text.read(8192)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _guess_encoding(data: bytes) -> str:
    matches = list(from_bytes(data))
    if not matches or matches[0].chaos > 0.2:
        raise UnreadableFile("unknown text encoding (not UTF-8, and no confident guess)")
    best = matches[0]
    # On short texts the detector cannot tell cp1250 from cp1252 (same letters mostly);
    # cp1252 is by far the most common legacy encoding of web/CMS text, so it wins ties.
    for match in matches:
        if (
            "cp1252" in match.could_be_from_charset
            and match.chaos <= best.chaos + 0.01
            and match.coherence >= best.coherence - 0.1
        ):
            return "cp1252"
    return best.encoding


def _checked(text: str) -> str:
    if not text.strip():
        raise UnreadableFile("empty file (only whitespace)")
    if "\x00" in text:
        raise UnreadableFile("binary file (not text)")
    return text
