"""Snippets: a fragment of a section's own text plus the character ranges to highlight.

As in tantivy, a snippet is data (``fragment`` + ``highlights``) until it is rendered; only
``render`` produces markup, escaping all article text and adding nothing but ``<mark>``.
A word is marked when the analyzer turns it into one of the query's terms, so the inflected
forms the stemmer joins are marked ("journalists" marks "journalist's") and nothing that is
not in the text is.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from math import fsum
from typing import Any

from indexer.analysis import Phrase, WordMarker, analyzer_for

# What a marked string (casefolded) is of the query: its terms, each with its idf.
QueryTermsIn = Callable[[str], dict[str, float]]

TARGET_LENGTH = 240
MAX_LENGTH = 300
ELLIPSIS = "…"
# How much of an article is read for its matched sections and snippets: its start. A scraped
# page of several megabytes in one section took seconds to mark, on every search that found
# it; a reader is shown a fragment, which the start of a long article has.
READ_CHARS_PER_ARTICLE = 200_000


@dataclass(frozen=True)
class Snippet:
    fragment: str
    highlights: tuple[tuple[int, int], ...]  # character ranges within ``fragment``

    def render(self) -> str:
        """HTML: the fragment escaped, each highlight wrapped in ``<mark>``."""
        parts: list[str] = []
        cursor = 0
        for start, end in _joined(self.highlights):
            parts.append(html.escape(self.fragment[cursor:start], quote=False))
            parts.append(f"<mark>{html.escape(self.fragment[start:end], quote=False)}</mark>")
            cursor = end
        parts.append(html.escape(self.fragment[cursor:], quote=False))
        return "".join(parts)


def plain_snippet(rendered: str, marks: tuple[str, str] = ("", "")) -> str:
    """A rendered snippet (escaped text + ``<mark>``) back to the plain text it shows, each
    highlight between ``marks`` (none by default)."""
    start, end = marks
    return html.unescape(rendered.replace("<mark>", start).replace("</mark>", end))


def _joined(ranges: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Ranges that overlap (a CJK run's character pairs: 新闻, 闻自, 自由) as one, so that
    no character is shown twice."""
    joined: list[tuple[int, int]] = []
    for start, end in ranges:
        if joined and start < joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def word_marker(
    terms: Collection[str],
    prefixes: Sequence[str],
    language: str,
    phrases: Sequence[Phrase] = (),
) -> WordMarker:
    """What finds the words that analyse to one of ``terms``, or to a term starting with
    one of ``prefixes``, and the words of ``phrases`` where they make the phrase, in texts
    in ``language``."""
    starts = tuple(prefixes)
    return analyzer_for(language).marker(
        lambda term: term in terms or (bool(starts) and term.startswith(starts)), phrases
    )


def build_snippet(text: str, terms: Collection[str], *, language: str = "en") -> Snippet:
    """The window of about ``TARGET_LENGTH`` characters holding the most distinct of
    ``terms`` (then the most matches), cut at word boundaries."""
    text = one_line(text)
    spans = word_marker(terms, (), language).spans(text) if terms else []
    return snippet_of(text, spans)


def one_line(text: str) -> str:
    """The text as a snippet shows it: paragraph breaks are not shown inside a snippet."""
    return " ".join(text.split())


def sections_to_read(sections: Iterable[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str]]:
    """An article's stored sections, each with its text on one line, as far as the first
    ``READ_CHARS_PER_ARTICLE`` characters of the article go."""
    remaining = READ_CHARS_PER_ARTICLE
    for section in sections:
        if remaining <= 0:
            return
        read = (section.get("text") or "")[:remaining]
        remaining -= len(read)
        yield section, one_line(read)


def snippet_of(
    text: str,
    spans: list[tuple[int, int]],
    *,
    target: int = TARGET_LENGTH,
    terms_in: QueryTermsIn | None = None,
) -> Snippet:
    """``build_snippet`` for a text already on ``one_line`` whose matches are known.

    The window shown has the most of the query's words, then the rarer ones, then the most
    marks. ``terms_in`` says which of the query's terms a marked string (casefolded) is,
    with each one's idf: "Australia's" is the word "Australia" again, and a window with
    "blasphemy" says more than one with "Pakistan" once more. Without it, each distinct
    marked string is a word of its own, all alike."""
    if len(text) <= MAX_LENGTH:
        return Snippet(text, tuple(spans))
    if not spans:
        end = _word_end_before(text, target)
        return Snippet(text[:end] + ELLIPSIS, ())

    first, last = _best_window(spans, target, terms_in or (lambda marked: {marked: 0.0}), text)

    # Centre the matched stretch in the window, then snap both ends to word boundaries.
    matched_length = spans[last][1] - spans[first][0]
    slack = max(0, target - matched_length)
    start = max(0, spans[first][0] - slack // 2)
    end = min(len(text), start + target)
    start = max(0, min(start, end - target))
    start = _word_start_after(text, start) if start > 0 else 0
    start = min(start, spans[first][0])
    end = _word_end_before(text, end) if end < len(text) else len(text)
    end = max(end, spans[last][1])

    fragment = text[start:end]
    highlights = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    prefix = ELLIPSIS if start > 0 else ""
    suffix = ELLIPSIS if end < len(text) else ""
    offset = len(prefix)
    return Snippet(
        prefix + fragment + suffix,
        tuple((s + offset, e + offset) for s, e in highlights),
    )


def _best_window(
    spans: list[tuple[int, int]], target: int, terms_in: QueryTermsIn, text: str
) -> tuple[int, int]:
    """The first and last of ``spans`` of the best window: from a span, the spans that end
    within ``target`` characters of its start, the most distinct terms first, then the
    most idf, then the most spans; the first such window.

    A window slides over the spans, each entering and leaving it once, its terms counted:
    a text with a mark at every word (a query of one-letter prefixes) is read in one pass,
    where gathering each window's terms anew read every mark once for each window it was
    in, forty times over for a window of forty marks."""
    terms = [terms_in(text[start:end].casefold()) for start, end in spans]
    in_window: dict[str, int] = {}  # term -> its spans in the window
    idf: dict[str, float] = {}
    weight, weighed = 0.0, True  # the idf of the window's terms; whether it is up to date
    first, last, best_key = 0, 0, (-1, -1.0, -1)
    stop = -1  # the window is spans[candidate : stop + 1]
    for candidate, (start, _end) in enumerate(spans):
        if stop < candidate:
            stop = candidate
            weighed &= not _enter(in_window, idf, terms[candidate])
        while stop + 1 < len(spans) and spans[stop + 1][1] <= start + target:
            stop += 1
            weighed &= not _enter(in_window, idf, terms[stop])
        if len(in_window) >= best_key[0]:  # with fewer terms, it cannot be the best
            if not weighed:  # summed afresh, in any order alike: equal windows weigh the same
                weight, weighed = fsum(idf[term] for term in in_window), True
            key = (len(in_window), weight, stop - candidate + 1)
            if key > best_key:
                first, last, best_key = candidate, stop, key
        weighed &= not _leave(in_window, terms[candidate])
    return first, last


def _enter(in_window: dict[str, int], idf: dict[str, float], found: dict[str, float]) -> bool:
    """Counts a span's terms into the window; whether one is new to it."""
    idf.update(found)
    new = False
    for term in found:
        count = in_window.get(term, 0)
        in_window[term] = count + 1
        new = new or count == 0
    return new


def _leave(in_window: dict[str, int], found: dict[str, float]) -> bool:
    """Counts a span's terms out of the window; whether one is gone from it."""
    gone = False
    for term in found:
        if in_window[term] == 1:
            del in_window[term]
            gone = True
        else:
            in_window[term] -= 1
    return gone


def _word_start_after(text: str, index: int) -> int:
    """The start of the first whole word at or after ``index``."""
    if index <= 0 or text[index - 1].isspace():
        return index
    space = text.find(" ", index)
    return space + 1 if space != -1 else index


def _word_end_before(text: str, index: int) -> int:
    """The end of the last whole word at or before ``index``."""
    if index >= len(text) or text[index].isspace():
        return index
    space = text.rfind(" ", 0, index)
    return space if space > 0 else index
