"""The article model every format parser produces and every later stage consumes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from indexer.languages import DEFAULT_LANGUAGE


class CutShort(str):
    """A warning that a file's reading stopped before its end (a JSON list or a JSON Lines,
    WXR or gzip file that breaks off): an export caught half-written, most likely. What
    the index holds from that file beyond what was read is kept (``indexer.build``)."""


@dataclass(frozen=True)
class Section:
    """A run of an article's text under one heading (``None`` for the intro/lede)."""

    heading: str | None
    anchor: str
    text: str


@dataclass
class Article:
    id: str
    title: str
    sections: list[Section]
    url: str | None = None
    # An address relative to its site ("/2016/06/08/254/"), where its export gives no
    # absolute one: its ``url`` on the site's address, when the run is given it (--site-url).
    address: str | None = None
    date: str | None = None  # ISO 8601 date or datetime; None when unknown
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # 2-letter code: from the metadata, else detected from the text
    language: str = DEFAULT_LANGUAGE
    source: str = ""
    title_derived: bool = False  # True when the record had no title and one was made up
    # Shared by the translations of one story (None: the article has no known translation).
    translation_key: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The shape printed by ``advosearch parse --json`` and accepted by the ingest API."""
        return asdict(self)

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)
