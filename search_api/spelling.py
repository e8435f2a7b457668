"""Did you mean: which word of the corpus a reader's unknown word most likely stands for.

The words are those of the ``SpelledText`` fields as written (folded, not stemmed: see
``indexer.schema``), read once per index version into a sorted list with how many
articles have each. A word's neighbours are found by Whoosh's Levenshtein automaton, which
skips through a sorted word list to the next string it could accept: on the index's term
table that was a binary search of seeks and reads on disk per step, 40 to 150 ms a misspelt
query (the 1x and 10x benchmark indexes); on the list in memory, a bisection. The automaton
counts two swapped letters as two edits; the swaps are looked up as one.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from typing import Any

from whoosh.codec.base import Automata

from indexer.analysis import fold, fold_for
from indexer.schema import SPELLING_FIELDS, TITLE_SPELLING_FIELD
from search_api.index_files import index_text

# Longer words are not corrected: a reader misspells words, not 40-letter strings, and the
# look-up of a word's neighbours takes longer the longer the word is.
MAX_CORRECTED_WORD_LENGTH = 30
# A word of the corpus is taken for a misspelling of a word one edit away that this many
# times as many articles have: archives hold their authors' typos too ("Recogniton" in one
# post, "recognition" in hundreds), and a reader's typo found there must not go uncorrected.
# A rare name beside a word a few times commoner is no typo.
MISSPELT_WORD_RATIO = 100
# ... and only when it is this long at least: in a shorter word one letter is too much of it
# to be a slip ("lai", of Jimmy Lai, is not "law"); and only when this few articles have it:
# a typo is rarely made twice, and looking for a word's neighbours costs a millisecond a
# word, which every query with few results paid for each of its words.
MIN_MISSPELT_KNOWN_WORD = 6
MAX_ARTICLES_WITH_A_TYPO = 2
# A word shorter than this is corrected by one edit at most, as Elasticsearch's "AUTO"
# fuzziness does: two edits are a third of a word of five letters or fewer, and the words two
# edits from it are many and unrelated (a 4-letter Arabic "حرية", freedom, found "حرمت").
MIN_WORD_FOR_TWO_EDITS = 6


class Vocabulary:
    """The corpus's words as written, sorted, each with the number of articles that have it
    (summed over segments and fields, as ``reader.frequency`` counts them): by default the
    words of titles and texts; ``fields=("author",)``, the words of the authors' names."""

    def __init__(self, reader: Any, fields: Sequence[str] = SPELLING_FIELDS) -> None:
        counts: Counter[str] = Counter()
        titled: set[str] = set()
        for leaf, _ in reader.leaf_readers():
            for name in fields:
                if name in leaf.indexed_field_names():
                    for raw, info in leaf.iter_field(name):
                        word = index_text(raw, "words")
                        counts[word] += int(info.weight())
                        if name == TITLE_SPELLING_FIELD:
                            titled.add(word)
        # A sorted list and an array of counts, not a dict: half the memory; a look-up is a
        # bisection.
        self._words = sorted(counts)
        self._counts = array("q", (counts[word] for word in self._words))
        self._in_titles = bytes(word in titled for word in self._words)

    def __contains__(self, word: str) -> bool:
        return self._position(word) is not None

    def articles_with(self, word: str) -> int:
        position = self._position(word)
        return 0 if position is None else self._counts[position]

    def in_a_title(self, word: str) -> bool:
        position = self._position(word)
        return position is not None and bool(self._in_titles[position])

    def within(self, word: str, distance: int) -> list[str]:
        """The words within ``distance`` insertions, deletions or substitutions of ``word``
        that share its first letter."""
        automaton = Automata.levenshtein_dfa(word, distance, prefix=1)
        return list(Automata.find_matches(automaton, _Cursor(self._words)))

    def transposed(self, word: str) -> list[str]:
        """The words that are ``word`` with two neighbouring letters swapped, its first
        letter kept."""
        swaps = {word[:i] + word[i + 1] + word[i] + word[i + 2 :] for i in range(1, len(word) - 1)}
        return [swap for swap in swaps if swap != word and swap in self]

    def _position(self, word: str) -> int | None:
        position = bisect_left(self._words, word)
        found = position < len(self._words) and self._words[position] == word
        return position if found else None


class _Cursor:
    """A sorted word list as the term cursor Whoosh's ``find_matches`` walks."""

    def __init__(self, words: list[str]) -> None:
        self._words, self._at = words, 0

    def text(self) -> str | None:
        return self._words[self._at] if self._at < len(self._words) else None

    def find(self, word: str) -> None:
        """Moves to the first word at or after ``word``."""
        self._at = bisect_left(self._words, word, self._at)


def correct_word(
    vocabulary: Vocabulary,
    word: str,
    deadline: float | None = None,
    languages: Sequence[str] = ("en",),
) -> str | None:
    """The word of the corpus one edit from ``word``, else two (for a word of
    ``MIN_WORD_FOR_TWO_EDITS`` letters or more), that the most articles have;
    None when nothing is close, or the ``deadline`` (``time.monotonic``) passes before one is
    found. A word of the corpus itself is corrected only to a word one edit away that
    ``MISSPELT_WORD_RATIO`` times as many articles have, when it is long enough to be
    misspelt by a slip (``MIN_MISSPELT_KNOWN_WORD``) and rare enough to be a typo
    (``MAX_ARTICLES_WITH_A_TYPO``), and never when it is a name, as the
    reader wrote it ("Mali", not "mail") or as a title of the archive has it: titles are
    written with care, texts with typos.

    Two neighbouring letters swapped are one edit, as in Damerau's distance and Lucene's
    spell checker: a slip of the fingers, and the commonest one ("protset", "humna").

    ``word`` is compared as ``languages`` (the query's) fold it, as the vocabulary holds
    the words of their articles: a Spanish reading keeps a typed ñ ("peñs" is one edit from
    "peña", two from "pena"), and is looked at first; the default folds it, as names and
    the other languages are folded."""
    folded = fold(word)
    if not 3 <= len(folded) <= MAX_CORRECTED_WORD_LENGTH or folded.isdigit():
        return None
    # Each reading's form, the forms keeping what ``fold`` drops (a Spanish ñ) first.
    forms = sorted(
        dict.fromkeys(fold_for(language)(word) for language in languages),
        key=lambda form: form == folded,
    )
    known = {form: vocabulary.articles_with(form) for form in forms}
    if any(_is_a_word_of_the_corpus(vocabulary, word, form, known[form]) for form in forms):
        return None
    for form in forms:
        correction = _nearest(vocabulary, form, known[form], deadline)
        if correction is not None:
            return correction
    return None


def _is_a_word_of_the_corpus(vocabulary: Vocabulary, word: str, form: str, known: int) -> bool:
    """Whether ``word`` (``form``, as folded) is a word of the corpus, not a typo of it."""
    return bool(known) and (
        known > MAX_ARTICLES_WITH_A_TYPO
        or len(form) < MIN_MISSPELT_KNOWN_WORD
        or word[:1].isupper()
        or vocabulary.in_a_title(form)
    )


def _nearest(vocabulary: Vocabulary, folded: str, known: int, deadline: float | None) -> str | None:
    """``correct_word``'s correction of ``folded``, which ``known`` articles have."""
    for distance in (1,) if known or len(folded) < MIN_WORD_FOR_TWO_EDITS else (1, 2):
        if deadline is not None and time.monotonic() > deadline:
            return None
        candidates = set(vocabulary.within(folded, distance)) - {folded}
        if distance == 1:
            candidates.update(vocabulary.transposed(folded))
        if candidates:
            best = max(sorted(candidates), key=vocabulary.articles_with)
            if vocabulary.articles_with(best) >= known * MISSPELT_WORD_RATIO:
                return best
    return None
