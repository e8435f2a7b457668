from __future__ import annotations

import codecs

import pytest

from indexer.errors import UnreadableFile
from indexer.formats.decode import decode_bytes, looks_binary

TEXT = "Señor, ¿dónde está la niña? “Año” 2018 — acción ciudadana, élèves à la façade."


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        TEXT.encode("utf-32"),
        codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"),
    ],
    ids=["utf-8", "utf-8 with BOM", "utf-16", "utf-16 big-endian", "utf-32", "utf-32 big-endian"],
)
def test_unicode_files_decode_exactly(data: bytes) -> None:
    text, warnings = decode_bytes(data)
    assert text == TEXT
    assert warnings == []  # named by a byte order mark, or UTF-8: nothing guessed
    assert not looks_binary(data)  # a UTF-16/32 text's NUL bytes do not make it binary


def test_utf8_is_decoded_without_warning() -> None:
    assert decode_bytes(TEXT.encode("utf-8"))[1] == []


def test_cp1252_file_is_decoded_and_reported() -> None:
    text, warnings = decode_bytes(TEXT.encode("cp1252"))
    assert text == TEXT
    assert warnings == ["decoded as cp1252 (not UTF-8)"]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"   \n\t\r\n  ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file"),
        (bytes(range(256)) * 4, "binary file"),
    ],
    ids=["empty", "whitespace only", "png", "all bytes"],
)
def test_unreadable_bytes_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason):
        decode_bytes(data)


def test_cp1252_punctuation_is_not_read_as_a_dos_code_page() -> None:
    english = "Fine of €5,000 for the editor – the maximum – after the mayor’s “reforms”."
    assert decode_bytes(english.encode("cp1252")) == (english, ["decoded as cp1252 (not UTF-8)"])


def test_text_is_not_binary() -> None:
    assert not looks_binary(TEXT.encode("utf-8"))


def test_a_few_stray_nul_bytes_in_utf8_text_are_removed_not_taken_for_binary() -> None:
    data = TEXT.encode("utf-8").replace(b"2018", b"20\x0018")
    assert not looks_binary(data)
    assert decode_bytes(data) == (TEXT, ["1 NUL character(s) removed"])


def test_many_nul_bytes_are_a_binary_file_even_around_utf8_text() -> None:
    data = TEXT.encode("utf-8") + b"\x00" * 9
    assert looks_binary(data)
    with pytest.raises(UnreadableFile, match="binary file"):
        decode_bytes(data)


def test_a_utf8_file_with_a_few_lines_in_cp1252_keeps_its_utf8_text() -> None:
    # Rows of an old export appended to a UTF-8 one: read whole as cp1252, every accented
    # letter of the UTF-8 lines came out garbled ("Perú" as "PerÃº").
    utf8 = "Derechos en Perú: la fiscalía abrió una investigación.\n".encode() * 5
    legacy = "Un periodista – detenido en Lima.\n".encode("cp1252")
    text, warnings = decode_bytes(utf8 + legacy + utf8)
    assert text == utf8.decode() + "Un periodista – detenido en Lima.\n" + utf8.decode()
    assert warnings == ["1 line(s) not UTF-8, decoded as cp1252"]


def test_a_cp1252_file_with_no_utf8_in_it_is_read_whole_in_cp1252() -> None:
    data = "Perú – fiscalía abrió una investigación.\nSegunda línea, más texto.\n".encode("cp1252")
    text, warnings = decode_bytes(data)
    assert text == data.decode("cp1252")
    assert warnings == ["decoded as cp1252 (not UTF-8)"]


def test_a_few_lines_not_in_utf8_are_read_as_cp1252_not_guessed_from_a_few_bytes() -> None:
    # On "São Paulo" alone the detector says big5.
    utf8 = "A cidade de São Paulo: protestos e detenções.\n".encode() * 5
    text, warnings = decode_bytes(utf8 + "São Paulo\n".encode("cp1252"))
    assert text.endswith("São Paulo\n")
    assert warnings == ["1 line(s) not UTF-8, decoded as cp1252"]
