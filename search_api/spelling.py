"""Did you mean: which word of the corpus a reader's unknown word most likely stands for.

The words are those of the ``SpelledText`` fields as written (folded, not stemmed: see
``indexer.schema``), read once per index version into a sorted list with how many
articles have each. A word's neighbours are found by Whoosh's Levenshtein automaton, which
skips through a sorted word list to the next string it could accept: on the index's term
table that was a binary search of seeks and reads on disk per step, 40 to 150 ms a misspelt
query (the 1x and 10x benchmark indexes); on the list in memory, a bisection.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections import Counter
from typing import Any

from whoosh.codec.base import Automata

from indexer.analysis import fold

SPELLING_FIELDS = ("spell_body", "spell_title")
# Longer words are not corrected: a reader misspells words, not 40-letter strings, and the
# look-up of a word's neighbours takes longer the longer the word is.
MAX_CORRECTED_WORD_LENGTH = 30


class Vocabulary:
    """The corpus's words as written, sorted, each with the number of articles that have it
    (summed over segments and fields, as ``reader.frequency`` counts them)."""

    def __init__(self, reader: Any) -> None:
        counts: Counter[str] = Counter()
        for leaf, _ in reader.leaf_readers():
            for name in SPELLING_FIELDS:
                if name in leaf.indexed_field_names():
                    for word, info in leaf.iter_field(name):
                        counts[word.decode("utf-8")] += int(info.weight())
        self._counts = counts
        self._words = sorted(counts)

    def __contains__(self, word: str) -> bool:
        return word in self._counts

    def articles_with(self, word: str) -> int:
        return self._counts.get(word, 0)

    def within(self, word: str, distance: int) -> list[str]:
        """The words within ``distance`` edits of ``word`` (a transposition is two) that
        share its first letter."""
        automaton = Automata.levenshtein_dfa(word, distance, prefix=1)
        return list(Automata.find_matches(automaton, _Cursor(self._words)))


class _Cursor:
    """A sorted word list as the term cursor Whoosh's ``find_matches`` walks."""

    def __init__(self, words: list[str]) -> None:
        self._words, self._at = words, 0

    def text(self) -> str | None:
        return self._words[self._at] if self._at < len(self._words) else None

    def find(self, word: str) -> None:
        """Moves to the first word at or after ``word``."""
        self._at = bisect_left(self._words, word, self._at)


def correct_word(vocabulary: Vocabulary, word: str, deadline: float | None = None) -> str | None:
    """The word of the corpus within one, then two, edits of ``word`` that the most articles
    have; None when ``word`` is itself a word of the corpus, nothing is close, or the
    ``deadline`` (``time.monotonic``) passes before one is found."""
    folded = fold(word)
    if not 3 <= len(folded) <= MAX_CORRECTED_WORD_LENGTH or folded.isdigit():
        return None
    if folded in vocabulary:
        return None
    for distance in (1, 2):
        if deadline is not None and time.monotonic() > deadline:
            return None
        candidates = vocabulary.within(folded, distance)
        if candidates:
            return max(sorted(candidates), key=vocabulary.articles_with)
    return None
