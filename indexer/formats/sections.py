"""Blocks (headings and paragraphs, in page order) → an article's ordered ``Section`` list.

Every format ends here, so duplicate captions, pull quotes and empty headings are handled
once for all of them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from indexer.models import Section

__all__ = ["Block", "build_sections", "heading", "normalize_for_compare", "paragraph", "slugify"]

INTRO_ANCHOR = "intro"
# A paragraph at most this long that reappears inside a longer one is a pull quote.
PULL_QUOTE_MAX_WORDS = 80
# ... and at least this long: tiny paragraphs ("Yes.", "Twitter") match inside anything.
PULL_QUOTE_MIN_WORDS = 5


@dataclass(frozen=True)
class Block:
    """One unit of page content: a heading (``level`` 1–6) or a paragraph (``level`` 0)."""

    text: str
    level: int = 0

    @property
    def is_heading(self) -> bool:
        return self.level > 0


def heading(text: str, level: int = 2) -> Block:
    return Block(text, max(1, min(6, level)))


def paragraph(text: str) -> Block:
    return Block(text, 0)


# Whitespace, and every control character (Unicode category Cc: U+0000-001F, U+007F-009F):
# a control between two words stands where a break was ("\v", "\x1f", "\x85" NEL), so it
# becomes a space; deleting it glued the words ("Line one\vline two" → "oneline").
_SPACE_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]+")
_QUOTES = str.maketrans(
    {**dict.fromkeys("‘’‚‛′`", "'"), **dict.fromkeys("“”„‟″«»", '"')}  # curly → straight
)


def collapse(text: str) -> str:
    """Whitespace (including NBSP and newlines) and control characters inside a paragraph or
    a line → single spaces."""
    return _SPACE_RE.sub(" ", text).strip()


def normalize_for_compare(text: str) -> str:
    """The form two copies of one paragraph share: casefolded, straight quotes, one space."""
    return collapse(text.translate(_QUOTES).casefold())


def slugify(text: str) -> str:
    """ "Élections & Rights — 2018" → "elections-rights-2018"; non-Latin letters are kept."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    slug = re.sub(r"[\W_]+", "-", folded).strip("-")
    return slug[:80].rstrip("-") or "section"


class Anchors:
    """The anchors of one article's sections: each one given unique, the second "update"
    as "update-2". Each anchor's count goes on from its last one: counted from 2 each time,
    20,000 sections headed "Update" took minutes."""

    def __init__(self) -> None:
        self._used: set[str] = set()
        self._last_number: dict[str, int] = {}

    def unique(self, anchor: str) -> str:
        candidate, number = anchor, self._last_number.get(anchor, 1)
        while candidate in self._used:
            number += 1
            candidate = f"{anchor}-{number}"
        self._last_number[anchor] = number
        self._used.add(candidate)
        return candidate


def _drop_repeats(blocks: Sequence[Block]) -> list[Block]:
    """Drop exact repeats (captions printed twice) and short paragraphs found in longer ones."""
    keys = [None if b.is_heading else normalize_for_compare(b.text) for b in blocks]
    words = [0 if key is None else key.count(" ") + 1 for key in keys]  # keys are collapsed
    long_ones = [
        key for key, count in zip(keys, words, strict=True) if count > PULL_QUOTE_MIN_WORDS
    ]
    seen: set[str] = set()
    kept: list[Block] = []
    for block, key, count in zip(blocks, keys, words, strict=True):
        if key is None:
            kept.append(block)
            continue
        if not key or key in seen:
            continue
        seen.add(key)
        if PULL_QUOTE_MIN_WORDS <= count <= PULL_QUOTE_MAX_WORDS and any(
            len(other) > len(key) and key in other for other in long_ones
        ):
            continue  # a pull quote: the longer paragraph carries the same words in context
        kept.append(block)
    return kept


def build_sections(blocks: Iterable[Block], *, title: str | None = None) -> list[Section]:
    """Ordered sections: the intro (heading None) first, then one per heading with text.

    A leading heading equal to the title (Markdown "# Title", an HTML page's <h1>) is not a
    section. A heading with no text under it is merged into the next heading when that is a
    sub-heading ("Part 1: Background"), else dropped; sections are never empty.
    """
    items = [Block(collapse(b.text), b.level) for b in blocks]
    items = [b for b in items if b.text]
    if (
        title
        and items
        and items[0].is_heading
        and normalize_for_compare(items[0].text) == normalize_for_compare(title)
    ):
        items = items[1:]
    items = _drop_repeats(items)

    groups: list[tuple[Block | None, list[str]]] = [(None, [])]
    for block in items:
        if block.is_heading:
            previous_heading, previous_texts = groups[-1]
            if previous_heading is not None and not previous_texts:
                groups.pop()  # empty heading: merge into a sub-heading, else drop it
                if block.level > previous_heading.level:
                    block = Block(f"{previous_heading.text}: {block.text}", previous_heading.level)
            groups.append((block, []))
        else:
            groups[-1][1].append(block.text)

    anchors = Anchors()
    sections: list[Section] = []
    for head, texts in groups:
        if not texts:
            continue
        if head is None:
            anchor = anchors.unique(INTRO_ANCHOR)
            sections.append(Section(heading=None, anchor=anchor, text="\n\n".join(texts)))
        else:
            anchor = anchors.unique(slugify(head.text))
            sections.append(Section(heading=head.text, anchor=anchor, text="\n\n".join(texts)))
    return sections
