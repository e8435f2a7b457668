"""Versions of one text: a report's passage written again year after year, a statement
copied under its own title. Related stories list one of them; a page of results lists the
others under the first (``fold_versions``)."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from indexer.analysis import fold
from search_api.engine import Snapshot

# Two texts under one title are versions of one text when this share of their sequences
# of three words is common to both (the Jaccard resemblance of their shingles, the opening
# a made-up title repeats left out). Measured on the related stories of 150 Freedom House
# passages, whose titles are their first words: of 776 pairs under one title, the 647 at
# 0.1 or more were all one country's passage in two years' reports (up to 0.95); the 18
# pairs of two countries' passages that begin alike ("The government respects freedom of
# movement…") were all under it, with 111 pairs of one passage rewritten.
VERSION_RESEMBLANCE = 0.1
# Under a title of their own, texts are copies of one text only when nearly all of it is
# common: a series' recurring title ("Statement", "Weekly update") is shared by different
# texts, which may share a closing paragraph too (a review found 0.43 for two statements).
COPY_RESEMBLANCE = 0.9
# Under a made-up title, a text is listed as another version of a result's only when both
# have this many sequences of three words beyond the opening the title repeats (ten words
# or so): countries' reports write a finding in the same words ("Academic freedom is
# generally respected.", the whole passage in many of them), and a few words past the
# opening cannot tell whose report it is from. Measured on the 127,090 pairs of Freedom
# House passages (English and Spanish, 2017-2023) under one made-up title, of two years,
# sharing a tenth of their sequences: with under 2 sequences of their own, 13,090 of 18,309
# were two countries' passages; with 2 to 7, 400 of 4,720; with 8 or more, 1,263 of 104,061
# (739 of them the note on a disputed territory, a paragraph alike in each report that has
# one but for the territory's name: ``Versions.version_of`` compares texts of one year).
TOLD_APART_SHINGLES = 8
SHINGLE_WORDS = 3
SHINGLED_CHARS = 20_000
_WORD_RE = re.compile(r"\w+")


class Versions:
    """The texts listed so far, by title: which of them a new one says again, and which it is
    another version of. Each text's shingles are read once."""

    def __init__(self, snapshot: Snapshot, page: Sequence[int] = ()) -> None:
        """``page``: the texts compared (a page of results): which of them are of one date
        tells a version under a made-up title (``version_of``)."""
        self._snapshot = snapshot
        self._listed: dict[str, list[int]] = defaultdict(list)
        self._shingles: dict[int, frozenset[tuple[str, ...]]] = {}
        self._of_date: dict[tuple[str, str], list[int]] = defaultdict(list)
        for docnum in page:
            date = self._meta(docnum).get("date")
            if date:
                self._of_date[self._title(docnum), date].append(docnum)

    def add(self, docnum: int) -> None:
        """List ``docnum`` as a text of its own."""
        self._listed[self._title(docnum)].append(docnum)

    def repeat_of(self, docnum: int) -> int | None:
        """The first text listed that ``docnum`` says again, if any: a version of it, a copy
        of it, or what another series writes in the same words ("Academic freedom is
        generally respected.", in many countries' reports)."""
        listed = self._listed.get(self._title(docnum))
        if not listed:
            return None  # the common case: no text listed under this title
        least = VERSION_RESEMBLANCE if self._meta(docnum).get("title_derived") else COPY_RESEMBLANCE
        shingles = self.shingles_of(docnum)
        return next(
            (other for other in listed if resemblance(shingles, self.shingles_of(other)) >= least),
            None,
        )

    def version_of(self, docnum: int) -> int | None:
        """The first text listed that ``docnum`` is another version of, if any. A made-up
        title repeats an opening that many series' texts share: under one, both texts need
        words of their own beyond it (``TOLD_APART_SHINGLES``), and ``docnum`` must be, of
        the page's texts of its date, the one most like the listed text, more than any
        other (the listed text itself, when it is of that date). A report's passage is
        written once a year: what another text of the year is as like is what two series
        write alike (the note on a disputed territory, in each report that has one), and
        tells nothing. So each of a result's versions is of a date of its own, as the
        reader's page names them ("Other versions: 2018, 2019")."""
        title = self._title(docnum)
        if not self._listed.get(title):
            return None  # the common case: no text listed under this title
        meta = self._meta(docnum)
        if not meta.get("title_derived"):
            return self.repeat_of(docnum)
        shingles = self.shingles_of(docnum)
        if len(shingles) < TOLD_APART_SHINGLES:
            return None
        same_date = [
            other for other in self._of_date.get((title, meta.get("date")), ()) if other != docnum
        ]
        for first in self._listed[title]:
            first_shingles = self.shingles_of(first)
            if len(first_shingles) < TOLD_APART_SHINGLES:
                continue
            alike = resemblance(shingles, first_shingles)
            if alike >= VERSION_RESEMBLANCE and all(
                resemblance(self.shingles_of(other), first_shingles) < alike for other in same_date
            ):
                return first
        return None

    def shingles_of(self, docnum: int) -> frozenset[tuple[str, ...]]:
        if docnum not in self._shingles:
            self._shingles[docnum] = _text_shingles(self._snapshot, docnum)
        return self._shingles[docnum]

    def _title(self, docnum: int) -> str:
        return fold(self._snapshot.stored_fields(docnum).get("title", "")).strip()

    def _meta(self, docnum: int) -> dict[str, Any]:
        return self._snapshot.stored_fields(docnum).get("meta") or {}


def fold_versions(
    snapshot: Snapshot, articles: list[dict[str, Any]], docnums: Sequence[int]
) -> tuple[list[dict[str, Any]], list[int]]:
    """A page's results (``article_result``s of ``docnums``, best first) with each version
    of a result listed before it moved into that result's ``versions``: the articles and
    documents left as results.

    Only the page's results are compared, so pages stay where they were (the next page
    starts after this one's last result, folded or not) and no result is lost: the page
    shows fewer entries. Without this, the passages of seven years' reports filled a
    first page with one text."""
    versions = Versions(snapshot, docnums)
    kept: dict[int, dict[str, Any]] = {}
    for article, docnum in zip(articles, docnums, strict=True):
        first = versions.version_of(docnum)
        if first is None:
            versions.add(docnum)
            kept[docnum] = article
            article["versions"] = []
        else:
            # With its translations: the page lists a story once, so a version's
            # translations are nowhere else on it.
            kept[first]["versions"].append(
                {
                    key: article[key]
                    for key in ("id", "title", "date", "url", "language", "translations")
                }
            )
    return list(kept.values()), list(kept)


def _text_shingles(snapshot: Snapshot, docnum: int) -> frozenset[tuple[str, ...]]:
    """An indexed article's shingles (``shingles``)."""
    text = "\n\n".join(section["text"] for section in snapshot.sections_of(docnum))
    return shingles(text, snapshot.stored_fields(docnum).get("title", ""))


def shingles(text: str, title: str = "") -> frozenset[tuple[str, ...]]:
    """The text's sequences of ``SHINGLE_WORDS`` words (folded), in its first
    ``SHINGLED_CHARS`` characters: what two versions of a text have in common (Broder,
    "On the resemblance and containment of documents", 1997). An opening the ``title``
    repeats (a title made up of the text's first words) is left out: texts under one title
    share it whether they are versions of one text or not ("The government respects
    freedom of movement…", in many countries' passages)."""
    words = _WORD_RE.findall(fold(text[:SHINGLED_CHARS]))
    title_words = _WORD_RE.findall(fold(title))
    opening = len(title_words) - 1
    # A made-up title may end in a word cut short.
    if (
        title_words
        and words[:opening] == title_words[:opening]
        and len(words) > opening
        and words[opening].startswith(title_words[-1])
    ):
        words = words[len(title_words) :]
    count = max(1, len(words) - SHINGLE_WORDS + 1)
    return frozenset(tuple(words[at : at + SHINGLE_WORDS]) for at in range(count))


def resemblance(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
