"""Text analysis: one analyzer, built once, used to index articles and to parse queries.

Pipeline (each a Whoosh ``Composable`` so the index schema can hold it):

1. ``NltkTokenizer``: NLTK's regexp tokenizer keeps this domain's tokens whole
   ("COVID-19", "Hun Sen's", "2018", "CNRP"); character offsets are kept for highlighting.
2. ``FoldingFilter``: lowercase, curly apostrophes made straight, accents folded
   ("Lèse Majesté" -> "lese majeste").
3. ``StopFilter``: a short list of function words; words that carry meaning in this domain
   ("not", "against", "without", "free", "us", "who", "will", "may") are kept.
4. ``CompoundPartsFilter``: at index time only, a hyphenated token also yields its parts at
   the same position, so "covid" finds "COVID-19" while the query "covid-19" stays exact.
5. ``SnowballFilter``: NLTK Snowball stemming in the article's language, with a small
   exceptions table for words Snowball merges wrongly ("international" vs "internment").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from whoosh.analysis import Composable, Filter, StopFilter, Token, Tokenizer

# Words joined by hyphens or apostrophes stay one token; so do decimal numbers ("3.5").
TOKEN_PATTERN = r"\d+(?:[.,]\d+)+|\w+(?:['’\-]\w+)*"

# Function words only: dropping them shrinks the index and sharpens ranking, and nothing a
# reader searches for is lost. Negations and prepositions that change meaning stay.
ENGLISH_STOP_WORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into onto than then so
    is are was were be been being am it its it's this that these those there here
    he she him her his hers they them their theirs we our ours you your yours i me my
    has have had having do does did doing which whom whose what when where while
    also would could should shall""".split()  # noqa: SIM905 - a word list reads best as text
)

STOP_WORDS: dict[str, frozenset[str]] = {"en": ENGLISH_STOP_WORDS}

# Snowball merges some unrelated words of this domain into one stem; these map each word
# form to its own stem instead. Keys are folded (lowercase, no accents) word forms.
STEM_EXCEPTIONS: dict[str, dict[str, str]] = {
    "en": {
        **dict.fromkeys(["international", "internationally", "internationals"], "international"),
        **dict.fromkeys(["internal", "internally"], "internal"),
        **dict.fromkeys(["internment", "internments"], "internment"),
        **dict.fromkeys(["intern", "interns", "interned"], "intern"),
        **dict.fromkeys(
            ["organization", "organizations", "organisation", "organisations"], "organization"
        ),
        **dict.fromkeys(["organizational", "organisational"], "organization"),
        **dict.fromkeys(["organic", "organically"], "organic"),
        **dict.fromkeys(["organ", "organs"], "organ"),
        **dict.fromkeys(["universe", "universes"], "universe"),
        **dict.fromkeys(["universal", "universally"], "universal"),
        **dict.fromkeys(["university", "universities"], "university"),
        **dict.fromkeys(["executive", "executives"], "executive"),
        **dict.fromkeys(["generous", "generously"], "generous"),
    }
}

SNOWBALL_LANGUAGES = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
}

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase, straighten apostrophes and strip accents: the form every term is compared in."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_APOSTROPHES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", stripped).casefold()


class NltkTokenizer(Tokenizer):
    """Whoosh tokenizer around NLTK's ``RegexpTokenizer``, with positions and offsets."""

    def __init__(self, pattern: str = TOKEN_PATTERN) -> None:
        self.pattern = pattern
        self._nltk = RegexpTokenizer(pattern)

    def __getstate__(self) -> dict[str, Any]:
        return {"pattern": self.pattern}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["pattern"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NltkTokenizer) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(self.pattern)

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        keeporiginal: bool = False,
        removestops: bool = True,
        start_pos: int = 0,
        start_char: int = 0,
        tokenize: bool = True,
        mode: str = "",
        **kwargs: Any,
    ) -> Iterator[Token]:
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        spans = self._nltk.span_tokenize(value) if tokenize else [(0, len(value))]
        for pos, (start, end) in enumerate(spans):
            token.text = value[start:end]
            token.boost = 1.0
            token.stopped = False
            if keeporiginal:
                token.original = token.text
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token


class FoldingFilter(Filter):
    """Lowercase + accent folding + straight apostrophes, cached per distinct word."""

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = fold(token.text)
            yield token


class CompoundPartsFilter(Filter):
    """Index "covid-19" as itself and as "covid" + "19" at the same position.

    Only at index time: a query for "covid-19" should still mean exactly that compound.
    """

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        for token in tokens:
            text = token.text
            yield token
            if token.mode == "query" or "-" not in text:
                continue
            for part in text.split("-"):
                if part:
                    token.text = part
                    yield token
            token.text = text


class SnowballFilter(Filter):
    """NLTK Snowball stemming for one language, with the exceptions table applied first."""

    # Tells Whoosh this filter changes word forms, so fields with ``spelling=True`` also
    # index the unstemmed words that "did you mean" suggestions are made of.
    is_morph = True

    def __init__(self, language: str = "en") -> None:
        self.language = language
        self._stem = _stemmer_for(language)

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SnowballFilter) and other.language == self.language

    def __hash__(self) -> int:
        return hash(self.language)

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        stem = self._stem
        for token in tokens:
            if not token.stopped:
                token.text = stem(token.text)
            yield token


@lru_cache(maxsize=32)
def _stemmer_for(language: str) -> Any:
    """A cached ``word -> stem`` function; unknown languages are left unstemmed."""
    exceptions = STEM_EXCEPTIONS.get(language, {})
    snowball_name = SNOWBALL_LANGUAGES.get(language)
    if snowball_name is None:
        return lambda word: word
    stemmer = SnowballStemmer(snowball_name)

    @lru_cache(maxsize=500_000)
    def stem(word: str) -> str:
        if word in exceptions:
            return exceptions[word]
        # Snowball strips "'s" itself in English, but not the apostrophe variants in names
        # like "Sen's" once folded; strip it here so "Hun Sen's" stems like "Sen".
        if word.endswith("'s"):
            word = word[:-2]
        return exceptions.get(word) or stemmer.stem(word)

    return stem


def build_analyzer(language: str = "en") -> Composable:
    """The analyzer for one language. Call through ``analyzer_for`` to reuse it."""
    stops = STOP_WORDS.get(language, frozenset())
    return (
        NltkTokenizer()
        | FoldingFilter()
        # Stop words go before compound parts: StopFilter renumbers positions, which would
        # push the parts off their compound's position and break phrase queries.
        | StopFilter(stoplist=stops, minsize=1)
        | CompoundPartsFilter()
        | SnowballFilter(language)
    )


@lru_cache(maxsize=32)
def analyzer_for(language: str = "en") -> Composable:
    return build_analyzer(language)


def stem_terms(text: str, language: str = "en") -> list[str]:
    """The index terms a piece of text produces (query mode: no compound parts)."""
    return [token.text for token in analyzer_for(language)(text, mode="query")]
