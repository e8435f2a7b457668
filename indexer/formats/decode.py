"""Bytes → text: UTF-8 first, then a confident guess, and a clear refusal for binary files."""

from __future__ import annotations

import codecs
import contextlib
import gzip
import io
import re
import zlib
from collections.abc import Callable
from typing import IO

from charset_normalizer import from_bytes

from indexer.errors import UnreadableFile

__all__ = [
    "READ_ERRORS",
    "Utf8Stream",
    "as_utf8",
    "decode_bytes",
    "guess_encoding",
    "looks_binary",
    "read_failure",
    "wide_encoding",
]

# What reading a file's bytes raises, gzipped or not, when they cannot all be read.
READ_ERRORS = (OSError, EOFError, zlib.error)


def read_failure(error: OSError | EOFError | zlib.error) -> str:
    """Why a file's bytes could not be read (one of ``READ_ERRORS``), as a person says it."""
    if isinstance(error, EOFError):
        return "compressed file is truncated"
    if isinstance(error, zlib.error):  # "Error -3 while decompressing data: <what>"
        return f"compressed data is corrupt: {str(error).rpartition(': ')[2]}"
    if isinstance(error, gzip.BadGzipFile):  # its header, or its checksum or length
        return f"not a valid gzip file: {error}"
    return f"cannot read file: {error.strerror or error}"


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


# A few NUL bytes in text otherwise valid are strays (a copy-paste, an editor's slip), not
# a binary file's: up to eight, or one byte in a thousand. They are removed, with a warning.
def _few_nuls(count: int, length: int) -> bool:
    return count <= max(8, length / 1000)


def looks_binary(data: bytes) -> bool:
    """True for images, archives, PDFs…: NUL bytes (but a stray few in UTF-8 text), or many
    control bytes in the first 8 KB. UTF-16 or UTF-32 text with its byte order mark is
    text, NUL bytes and all."""
    if wide_encoding(data):
        return False
    sample = data[:8192]
    if b"\x00" in sample and not _stray_nuls(sample):
        return True
    if not sample:
        return False
    controls = sum(sample.count(bytes([b])) for b in _CONTROL_BYTES)
    return controls / len(sample) > 0.05


def _stray_nuls(sample: bytes) -> bool:
    """Whether the NUL bytes of ``sample`` are strays in UTF-8 text: few, and the bytes
    around them valid UTF-8 (but for a character the sample's end cuts)."""
    if not _few_nuls(sample.count(0), len(sample)):
        return False
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample.replace(b"\x00", b""))
    except UnicodeDecodeError:
        return False
    return True


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
        # Its byte order mark names the encoding: nothing was guessed, nothing to check.
        return _checked(text, [])
    if looks_binary(data):
        raise UnreadableFile("binary file (not text)")
    try:
        return _checked(data.decode("utf-8-sig"), [])
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return _checked(*_decoded_by_line(data))
    encoding = guess_encoding(data[: 2**20])
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise UnreadableFile(f"unknown text encoding (guessed {encoding}, but it fails)") from None
    return _checked(text, [f"decoded as {encoding} (not UTF-8)"])


# Decodes text not valid in its encoding as a lone surrogate, which no valid UTF-16 or
# UTF-32 text decodes to and whose UTF-8 bytes ("surrogatepass") no UTF-8 reader accepts.
_AS_INVALID_UTF8 = "advosearch.as-invalid-utf8"
codecs.register_error(_AS_INVALID_UTF8, lambda error: ("\udfff", error.end))


def as_utf8(handle: IO[bytes], *, pass_invalid: bool = False) -> Utf8Stream | None:
    """A UTF-16 or UTF-32 file (one with a byte order mark) as a stream of UTF-8 bytes, read
    as it goes, for the readers that take bytes (JSON Lines by line, WXR's XML parser, which
    knows no UTF-32); None for any other file, which is read as it is.

    Text that is not valid in its encoding raises ``UnicodeDecodeError`` where it is read,
    once all the text before it has been given (its reason says the line), so that a reader
    keeps what comes before the error, as it does in a UTF-8 file. With ``pass_invalid``, it
    is given as bytes that are not valid UTF-8 instead, and reading goes on: a reader by
    line then finds that one line invalid, as in a UTF-8 file."""
    wide = wide_encoding(handle.peek(4)[:4])
    if wide is None:
        return None
    codec, bom = wide
    handle.read(bom)
    return Utf8Stream(handle, codec, "strict" if not pass_invalid else _AS_INVALID_UTF8)


class Utf8Stream(io.BufferedIOBase):
    """Text in a wide encoding, read from a binary stream (left open: its opener closes
    it), given as UTF-8 bytes. A read stops short before an error, which the next read
    raises: an ``io.BufferedReader`` would drop the text it had read before the error."""

    def __init__(self, wide: IO[bytes], codec: str, errors: str) -> None:
        self.encoding = codec[:6].upper()  # "UTF-16", "UTF-32": what the file is in
        self._wide = wide
        self._decoder = codecs.getincrementaldecoder(codec)(errors)
        self._pending = io.BytesIO()  # decoded, not yet read
        self._pending_end = 0
        self._line = 1  # of the text decoded so far
        self._error: UnicodeDecodeError | None = None
        self._ended = False

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """``size`` bytes (all, for None or -1); fewer at the end, or before an error."""
        return self._gather(size, io.BytesIO.read)

    def readline(self, size: int | None = -1) -> bytes:
        """The next line. A line that an error cuts short is not given: the error is
        raised instead, so that no reader takes the part before it for a whole line."""
        return self._gather(size, io.BytesIO.readline, line=True)

    def _gather(
        self, size: int | None, take: Callable[[io.BytesIO, int], bytes], line: bool = False
    ) -> bytes:
        wanted = -1 if size is None else size
        result = bytearray()
        while (wanted < 0 or len(result) < wanted) and self._fill():
            result += take(self._pending, wanted - len(result) if wanted >= 0 else -1)
            if line and result.endswith(b"\n"):
                return bytes(result)
        if self._error is not None and not self._fill() and wanted != 0 and (line or not result):
            # The text before the error is given, but not a line the error cuts short.
            raise self._error
        return bytes(result)

    def _fill(self) -> bool:
        """Whether decoded text is pending, decoding more if none is and it can."""
        while self._pending.tell() == self._pending_end and not (self._error or self._ended):
            chunk = self._wide.read(8192)
            self._ended = not chunk
            try:
                text = self._decoder.decode(chunk, final=self._ended)
            except UnicodeDecodeError as error:
                # The bytes before the error are whole characters: they are given first.
                text = error.object[: error.start].decode(error.encoding)
                line = self._line + text.count("\n")
                error.reason += f" at line {line}"
                self._error = error
            self._line += text.count("\n")
            data = text.encode("utf-8", "surrogatepass")
            self._pending, self._pending_end = io.BytesIO(data), len(data)
        return self._pending.tell() < self._pending_end


# The legacy encodings of the WHATWG Encoding Standard, which web pages, and so the CMSs that
# export them, are written in (Python's names). The detector also weighs DOS and Mac code
# pages, which fit a short text as well: cp1252's "€5,000 – the mayor’s" read as cp852 is
# "Ç5,000 ľ the mayorĺs". One of them is taken only when no web encoding fits.
_WEB_ENCODINGS = frozenset(
    codecs.lookup(name).name
    for name in (
        "cp866", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6",
        "iso8859-7", "iso8859-8", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-15",
        "iso8859-16", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874", "cp1250",
        "cp1251", "cp1252", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "cp1258",
        "latin-1", "gbk", "gb18030", "big5", "euc-jp", "iso2022-jp", "shift-jis", "cp932",
        "euc-kr", "cp949",
    )
)  # fmt: skip


def guess_encoding(data: bytes) -> str:
    """The legacy encoding of bytes that are not UTF-8, when the detector is confident;
    ``UnreadableFile`` otherwise."""
    matches = list(from_bytes(data))
    on_the_web = [
        m for m in matches if codecs.lookup(m.encoding).name in _WEB_ENCODINGS and m.chaos <= 0.2
    ]
    matches = on_the_web or matches
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


# Bytes of UTF-8's characters past ASCII: a lead byte and its continuation bytes.
_UTF8_CHARACTER_RE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


# Bytes past ASCII the encoding detector needs to be trusted with a few lines' encoding.
MIN_BYTES_TO_GUESS = 200


def _mostly_utf8(data: bytes) -> bool:
    """Whether text that is not valid UTF-8 is UTF-8 for the most part: more of its bytes
    past ASCII are UTF-8's characters than are not, as when a few lines in a legacy encoding
    were added to a UTF-8 export. Read whole in the legacy encoding, its UTF-8 characters
    would all be garbled ("Perú" as "PerÃº")."""
    sample = data[: 2**20]
    in_characters = sum(len(match) for match in _UTF8_CHARACTER_RE.findall(sample))
    past_ascii = sum(1 for byte in sample if byte > 0x7F)
    return in_characters > past_ascii - in_characters


def _decoded_by_line(data: bytes) -> tuple[str, list[str]]:
    """Text that is UTF-8 but for some lines, each of those read in the legacy encoding
    guessed from them all (a byte of one never joins another line's)."""
    lines = data.splitlines(keepends=True)
    texts: list[str] = []
    foreign: list[int] = []
    for number, line in enumerate(lines):
        try:
            texts.append(line.decode("utf-8"))
        except UnicodeDecodeError:
            texts.append("")
            foreign.append(number)
    foreign_bytes = b"".join(lines[number] for number in foreign)[: 2**20]
    encoding = "cp1252"  # the commonest legacy encoding by far
    if sum(1 for byte in foreign_bytes if byte > 0x7F) >= MIN_BYTES_TO_GUESS:
        # Enough for the detector: on a few bytes it guesses wildly ("São" as big5).
        with contextlib.suppress(UnreadableFile):
            encoding = guess_encoding(foreign_bytes)
    for number in foreign:
        texts[number] = lines[number].decode(encoding, errors="replace")
    text = "".join(texts).removeprefix("\ufeff")
    return text, [f"{len(foreign)} line(s) not UTF-8, decoded as {encoding}"]


def _checked(text: str, warnings: list[str]) -> tuple[str, list[str]]:
    """A decoded text with its warnings, stray NUL characters removed (and said)."""
    if not text.strip():
        raise UnreadableFile("empty file (only whitespace)")
    if nuls := text.count("\x00"):
        if not _few_nuls(nuls, len(text)):
            raise UnreadableFile("binary file (not text)")
        text = text.replace("\x00", "")
        warnings = [*warnings, f"{nuls} NUL character(s) removed"]
    return text, warnings
