"""Text analysis: one analyzer, built once, used to index articles and to parse queries.

For each word NLTK's regexp tokenizer finds, one cached function gives its index term:

1. Tokens of this domain stay whole: "COVID-19", "Hun Sen's", "2018", "CNRP", "3.5".
2. Folding: lowercase, curly apostrophes made straight, accents stripped
   ("Lèse Majesté" -> "lese majeste").
3. Stop words: a short list of function words is dropped; words that carry meaning in this
   domain ("not", "against", "without", "free", "us", "who", "will", "may") are kept.
4. Stemming: NLTK Snowball in the article's language, after a small exceptions table for
   words Snowball merges wrongly ("international" vs "internment").

At index time only, a hyphenated token also yields its parts at the same position, so
"covid" finds "COVID-19" while the query "covid-19" stays exact. Character offsets are kept
so snippets can mark the very words that matched.

Everything runs in one generator with a cached word -> term lookup: a Whoosh filter chain
costs a generator per stage per token, and indexing speed is dominated by that per-token
work. The stages stay separate functions (``fold``, ``stem_word``) and are tested as such.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from whoosh.analysis import Token, Tokenizer

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


@lru_cache(maxsize=32)
def _snowball(language: str) -> Callable[[str], str]:
    name = SNOWBALL_LANGUAGES.get(language)
    return SnowballStemmer(name).stem if name else (lambda word: word)


def stem_word(folded: str, language: str = "en") -> str:
    """The stem of a folded word: the exceptions table first, then Snowball."""
    exceptions = STEM_EXCEPTIONS.get(language, {})
    if folded in exceptions:
        return exceptions[folded]
    # Snowball strips "'s" itself in English, but not in every language or name; strip it
    # here so "Hun Sen's" stems like "Sen".
    if folded.endswith("'s"):
        folded = folded[:-2]
    return exceptions.get(folded) or _snowball(language)(folded)


@lru_cache(maxsize=64)
def term_function(
    language: str, stem: bool = True, stop: bool = True
) -> Callable[[str], str | None]:
    """A cached ``surface word -> index term`` function (None for a stop word)."""
    stops = STOP_WORDS.get(language, frozenset()) if stop else frozenset()

    @lru_cache(maxsize=1_000_000)
    def term(surface: str) -> str | None:
        folded = fold(surface)
        if not folded or folded in stops:
            return None  # a stop word, or only combining marks that folding removed
        return stem_word(folded, language) if stem else folded

    return term


class ArchiveAnalyzer(Tokenizer):
    """The analyzer (a Whoosh ``Composable``, usable as a field's analyzer).

    ``stem=False, stop=False`` gives the variant for names (authors): folded, never stemmed.
    """

    # Tells Whoosh this analyzer changes word forms, so fields with ``spelling=True`` also
    # index the unstemmed words that "did you mean" suggestions are made of.
    is_morph = True

    def __init__(self, language: str = "en", stem: bool = True, stop: bool = True) -> None:
        self.language, self.stem, self.stop = language, stem, stop
        self._tokenizer = RegexpTokenizer(TOKEN_PATTERN)

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language, "stem": self.stem, "stop": self.stop}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveAnalyzer) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash((self.language, self.stem, self.stop))

    def has_morph(self) -> bool:
        return self.stem

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
        no_morph: bool = False,
        **kwargs: Any,
    ) -> Iterator[Token]:
        term_for = term_function(self.language, self.stem and not no_morph, self.stop)
        split_compounds = mode != "query"
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        pos = start_pos
        spans = self._tokenizer.span_tokenize(value) if tokenize else [(0, len(value))]
        for start, end in spans:
            surface = value[start:end]
            term = term_for(surface)
            if term is None:
                continue
            token.text = term
            if keeporiginal:
                token.original = surface
            if positions:
                token.pos = pos
            if chars:
                token.startchar = start_char + start
                token.endchar = start_char + end
            yield token
            if split_compounds and "-" in surface:
                for part in surface.split("-"):
                    part_term = term_for(part) if part else None
                    if part_term is not None and part_term != term:
                        token.text = part_term
                        yield token
            pos += 1


@lru_cache(maxsize=32)
def analyzer_for(language: str = "en") -> ArchiveAnalyzer:
    """The analyzer for one language, built once per process."""
    return ArchiveAnalyzer(language)


def stem_terms(text: str, language: str = "en") -> list[str]:
    """The index terms a piece of text produces (query mode: no compound parts)."""
    return [token.text for token in analyzer_for(language)(text, mode="query")]
