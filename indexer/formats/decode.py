"""Bytes → text: UTF-8 first, then a confident guess, and a clear refusal for binary files."""

from __future__ import annotations

import codecs

from charset_normalizer import from_bytes

from indexer.errors import UnreadableFile

__all__ = ["decode_bytes", "looks_binary"]

# Bytes that never occur in text: NUL and the C0 controls other than \t \n \f \r and ESC.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(data: bytes) -> bool:
    """True for images, archives, PDFs…: NUL bytes, or many control bytes in the first 8 KB."""
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
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise UnreadableFile(f"invalid UTF-16 text: {exc.reason}") from None
        return _checked(text), ["decoded as utf-16"]
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
