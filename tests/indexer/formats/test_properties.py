"""Every parser, on arbitrary input, returns a result or raises UnreadableFile — nothing else.

These call the parsers directly (not through parse_file, whose last-resort handler would
turn any bug into UnreadableFile and so hide it).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.errors import UnreadableFile
from indexer.formats import fields, records, wxr
from indexer.formats.decode import decode_bytes
from indexer.formats.html import blocks_from_html_fragment, parse_html_page
from indexer.formats.markdown import parse_markdown
from indexer.formats.sections import build_sections, heading, paragraph
from indexer.formats.text import parse_text

SETTINGS = settings(max_examples=100)
MARKUPISH = st.text(
    alphabet=st.sampled_from(list("<>/=\"'&;#{}%+-*[]()!:\n \t") + list("abcpdivh1scriptµé’\x00")),
    max_size=300,
)
ANY_TEXT = st.one_of(st.text(max_size=300), MARKUPISH)


@SETTINGS
@given(ANY_TEXT)
def test_text_parser_never_crashes(text: str) -> None:
    page = parse_text(text)
    build_sections(page.blocks, title=page.title)


@SETTINGS
@given(ANY_TEXT)
def test_markdown_parser_never_crashes(text: str) -> None:
    for prefix in ("", "---\n", "+++\n"):
        parse_markdown(prefix + text)


@SETTINGS
@given(ANY_TEXT)
def test_html_fragment_parser_never_crashes(text: str) -> None:
    blocks_from_html_fragment(text)


@settings(max_examples=30)
@given(ANY_TEXT)
def test_html_page_parser_raises_only_unreadable(text: str) -> None:
    with contextlib.suppress(UnreadableFile):
        parse_html_page("<html><body>" + text)


@SETTINGS
@given(st.binary(max_size=400))
def test_decode_raises_only_unreadable(data: bytes) -> None:
    with contextlib.suppress(UnreadableFile):
        decode_bytes(data)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "title", "body", "date", "url", "tags", "author", "lang", "x"]),
            children,
            max_size=6,
        )
    ),
    max_leaves=20,
)


@SETTINGS
@given(st.one_of(st.binary(max_size=300), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_record_parsers_raise_only_unreadable(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name, content in (
            ("r.json", data),
            ("r.jsonl", data),
            ("r.jsonl.gz", gzip.compress(data)),
        ):
            path = Path(folder, name)
            path.write_bytes(content)
            try:
                if name == "r.json":
                    result = records.parse_json(path, {})
                    items = result.records
                else:
                    items = [i for i in records.parse_jsonl(path, {}) if not isinstance(i, str)]
                for item in items:
                    body = item.values.get("body")
                    build_sections(records.text_blocks(body))
                    fields.normalize_date(item.values.get("date"))
                    fields.clean_list(item.values.get("tags"))
                    fields.clean_id(item.values.get("id"))
                    fields.clean_url(item.values.get("url"))
            except UnreadableFile:
                pass


CSVISH = st.text(alphabet='ab,;\t"\n\r\x00é ', max_size=200)


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=300),
        CSVISH.map(str.encode),
        CSVISH.map(lambda t: ("title,body\n" + t).encode()),
    )
)
def test_the_csv_parser_raises_only_unreadable(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "r.csv")
        path.write_bytes(data)
        try:
            for item in records.parse_csv(path, {}).records:
                build_sections(records.text_blocks(item.values.get("body")))
        except UnreadableFile:
            pass


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=300), MARKUPISH.map(lambda t: ("<rss><channel><item>" + t).encode())
    )
)
def test_wxr_parser_raises_only_unreadable(data: bytes) -> None:
    try:
        for post in wxr.parse_wxr(io.BytesIO(data)):
            if not isinstance(post, str):
                blocks_from_html_fragment(post.body_html)
    except UnreadableFile:
        pass


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 4), st.text(max_size=40)), max_size=12))
def test_sections_are_never_empty_and_anchors_unique(items: list[tuple[int, str]]) -> None:
    blocks = [heading(t, level) if level else paragraph(t) for level, t in items]
    sections = build_sections(blocks)
    assert all(s.text.strip() for s in sections)
    anchors = [s.anchor for s in sections]
    assert len(anchors) == len(set(anchors))
    assert all(s.heading is None for s in sections[:1]) or sections[0].anchor != "intro"


@pytest.mark.parametrize("value", ["", "\x00", "+99999-01-01", "Mon, 99 Foo 2020 99:99:99 +9999"])
def test_date_normalisation_never_crashes(value: str) -> None:
    assert fields.normalize_date(value) is None


@SETTINGS
@example(10**400)  # too large for a float: Hypothesis's integers stay far smaller
@example(-(10**400))
@given(st.one_of(st.integers(), st.floats()))
def test_a_number_is_a_date_or_none_whatever_its_size(value: float) -> None:
    # A JSON date field may hold any number: one of 400 digits skipped its whole file.
    date = fields.normalize_date(value)
    assert date is None or re.fullmatch(r"[12]\d{3}(-\d\d(-\d\d)?)?", date)
