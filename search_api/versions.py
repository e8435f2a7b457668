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
SHINGLE_WORDS = 3
SHINGLED_CHARS = 20_000
_WORD_RE = re.compile(r"\w+")


class Versions:
    """The texts listed so far, by title: which a new one is a version of. Each text's
    shingles are read once."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._listed: dict[str, list[int]] = defaultdict(list)
        self._shingles: dict[int, frozenset[tuple[str, ...]]] = {}

    def add(self, docnum: int) -> None:
        self._listed[self._title(docnum)].append(docnum)

    def version_of(self, docnum: int) -> int | None:
        """The first text listed that ``docnum`` is a version of, if any."""
        listed = self._listed.get(self._title(docnum))
        if not listed:
            return None  # the common case: no text listed under this title
        made_up = (self._snapshot.stored_fields(docnum).get("meta") or {}).get("title_derived")
        least = VERSION_RESEMBLANCE if made_up else COPY_RESEMBLANCE
        shingles = self.shingles_of(docnum)
        for other in listed:
            if resemblance(shingles, self.shingles_of(other)) >= least:
                return other
        return None

    def shingles_of(self, docnum: int) -> frozenset[tuple[str, ...]]:
        if docnum not in self._shingles:
            self._shingles[docnum] = _text_shingles(self._snapshot, docnum)
        return self._shingles[docnum]

    def _title(self, docnum: int) -> str:
        return fold(self._snapshot.stored_fields(docnum).get("title", "")).strip()


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
    versions = Versions(snapshot)
    kept: dict[int, dict[str, Any]] = {}
    for article, docnum in zip(articles, docnums, strict=True):
        first = versions.version_of(docnum)
        if first is None:
            versions.add(docnum)
            kept[docnum] = article
            article["versions"] = []
        else:
            kept[first]["versions"].append(
                {key: article[key] for key in ("id", "title", "date", "url", "language")}
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
    # A made-up title may end in a word cut short.
    if title_words and words[: len(title_words) - 1] == title_words[:-1]:
        words = words[len(title_words) :]
    count = max(1, len(words) - SHINGLE_WORDS + 1)
    return frozenset(tuple(words[at : at + SHINGLE_WORDS]) for at in range(count))


def resemblance(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
