"""Text analysis: one analyzer, built once, used to index articles and to parse queries.

For each word NLTK's regexp tokenizer finds, one cached function gives its index term:

1. Tokens of this domain stay whole: "COVID-19", "Hun Sen's", "2018", "CNRP", "3.5"; an
   acronym written with dots is its letters ("U.N." is "un", as "UN" is), never a stop word.
2. Folding: lowercase, curly apostrophes made straight, accents and vowel marks stripped
   ("Lèse Majesté" -> "lese majeste", "detención" -> "detencion"); Russian "й" stays, as
   it is a letter of its own that Russian Snowball needs, and so does Spanish "ñ" in
   Spanish text ("año" is no "ano"), whose words are indexed without it too.
3. Elision: in French and Italian, an article or pronoun joined by an apostrophe is left
   out ("l'autocensure" is "autocensure", "dell'informazione" is "informazione").
4. Stop words: a short list of function words per language is dropped; words that carry
   meaning ("not", "against", "without", "no", "sin", "contra") are kept.
5. Stemming: NLTK Snowball in the text's language, after a small exceptions table for
   words Snowball merges wrongly ("international" vs "internment"); a Spanish plural is
   first read as its singular ("mujeres" as "mujer"), which Snowball stems alike.
6. Scripts written without spaces (Chinese, Japanese; Korean too) have no stemmer: their
   runs of characters are indexed as overlapping pairs of characters (bigrams), so any
   word of two or more characters is found as a phrase of its pairs.

The language is the analyzer's own, unless the text is a ``TextIn`` (a ``str`` that carries
its language): the index has one set of text fields for every language, and each article's
text is analysed in its own language as it is written.

At index time only, a hyphenated token also yields its parts at the same position, so
"covid" finds "COVID-19" while the query "covid-19" stays exact. Character offsets are kept
so snippets can mark the very words that matched.

What one token gives (its terms, positions and characters) is said once, in a cached
``token_terms`` function per language: a Whoosh filter chain costs a generator per stage
per token, and indexing speed is dominated by that per-token work. The analyzer's
generator reads text through it, and so do the paths that need no ``Token`` per word:
``term_positions`` and ``written_words`` (what a text field indexes) and ``WordMarker``
(what a snippet marks), which take the words from the tokenizer's list of them, each
distinct space-separated chunk of a text matched once. Tests check each against the
generator. The stages stay separate functions (``fold``, ``stem_word``) and
are tested as such.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

from nltk import redos
from nltk.stem.snowball import SnowballStemmer
from nltk.tokenize import RegexpTokenizer
from whoosh.analysis import CommaSeparatedTokenizer, Composable, Filter, Token, Tokenizer

from indexer.languages import SNOWBALL_LANGUAGES, STOP_WORDS

# Hiragana, Katakana, CJK ideographs (with extension A and compatibility forms), Hangul.
CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af"
_WORD_CHAR = rf"[^\W{CJK_CHARS}]"
_LETTER = rf"[^\W\d_{CJK_CHARS}]"
# A run of CJK characters is one token (split into bigrams later); other words joined by
# hyphens or apostrophes stay one token; so do decimal numbers ("3.5") and acronyms written
# with dots ("U.N.", "U.S", as Lucene's classic tokenizer reads them).
TOKEN_PATTERN = (
    rf"[{CJK_CHARS}]+|\d+(?:[.,]\d+)+|(?:{_LETTER}\.)+{_LETTER}\b\.?"
    rf"|{_WORD_CHAR}+(?:['’\-]{_WORD_CHAR}+)*"
)
_CJK_RE = re.compile(rf"[{CJK_CHARS}]")


class _TokenPatternTokenizer(RegexpTokenizer):
    """NLTK's regexp tokenizer for ``TOKEN_PATTERN``, matched without NLTK's per-match
    ReDoS timer (``timeout=None``, the opt-out ``nltk.redos`` documents). The timer guards
    patterns callers supply; this one is a constant whose repetitions cannot overlap, so
    matching is linear in the text, and the timer took most of the time of tokenising,
    itself a good part of analysing an article."""

    def _check_regexp(self) -> None:
        if self._regexp is None:
            self._regexp = redos.compile(self._pattern, self._flags, timeout=None)

    def tokenize(self, text: str) -> list[str]:
        """``findall``'s tokens, found space-separated chunk by chunk: no token holds a
        space and the pattern looks at no character beyond a match but for ``\\b``, which
        an end of text meets as it meets a space, so a text's tokens are its chunks' tokens
        in turn. A text repeats most of its chunks ("the", "rights,"), and so do texts of
        one archive: each distinct short chunk is matched once (``_cached_findall``), where
        matching the pattern at every character took most of the time of tokenizing."""
        self._check_regexp()
        return list(chain.from_iterable(_tokens_of_chunks(self._regexp, text.split())))

    def distinct_tokens(self, text: str) -> set[str]:
        """The set of ``tokenize``'s tokens, each distinct chunk's taken once."""
        self._check_regexp()
        return set(chain.from_iterable(_tokens_of_chunks(self._regexp, set(text.split()))))

    def spans_from(self, text: str, start: int) -> Iterator[tuple[int, int]]:
        """``span_tokenize``'s spans from the token starting at ``start`` on."""
        self._check_regexp()
        for match in self._regexp.finditer(text, start):
            yield match.span()

    def tokens_at(self, text: str, starts: Sequence[int]) -> Iterator[str | None]:
        """For each of ``starts`` (ascending), the token of ``text`` that starts there, or
        None when none does (it is inside a token, or between tokens), as ``tokenize``
        finds them: in one pass, which skips the text between starts far apart."""
        self._check_regexp()
        matches: Iterator[Any] = iter(())
        match = None  # the first token at or after the previous start
        for index, start in enumerate(starts):
            # No token holds a space, so matching from just after one finds the tokens that
            # ``findall`` finds from there (the pattern looks at no character before a
            # match). Restarting there skips text; rescanning from a space further back
            # would make a text without spaces (Chinese, Japanese) quadratic.
            restart = text.rfind(" ", 0, start) + 1
            if match is None or match.end() < restart:
                matches = self._regexp.finditer(text, restart)
                match = next(matches, None)
            while match is not None and match.start() < start:
                match = next(matches, None)
            if match is None:  # no token at or after this start: none after the rest
                yield from [None] * (len(starts) - index)
                return
            yield match.group() if match.start() == start else None


# Chunks longer are matched each time, not cached: they seldom come again, and a text
# without spaces (Chinese, Japanese) is one chunk a paragraph long.
MAX_CACHED_CHUNK = 64


def _tokens_of_chunks(regexp: Any, chunks: Collection[str]) -> Iterable[Sequence[str]]:
    """Each chunk's tokens (a compiled pattern's ``findall``), short chunks' from a cache:
    when every chunk is short, as in most texts, they are looked up without a Python step
    per chunk."""
    cached = _cached_findall(regexp)
    if max(map(len, chunks), default=0) <= MAX_CACHED_CHUNK:
        return map(cached, chunks)
    return (cached(c) if len(c) <= MAX_CACHED_CHUNK else regexp.findall(c) for c in chunks)


@lru_cache(maxsize=4)
def _cached_findall(regexp: Any) -> Callable[[str], tuple[str, ...]]:
    """A compiled pattern's ``findall`` for short chunks, cached. Under ~300 bytes an entry:
    50,000 chunks (15 MB) hold what most texts are made of. Kept as tuples of strings, which
    the garbage collector stops tracking, where lists would each be gone through at every
    full collection."""
    return lru_cache(maxsize=50_000)(lambda chunk: tuple(regexp.findall(chunk)))


class TextIn(str):
    """Text that says which language it is in, for the analyzer to stem it in."""

    language: str
    # Its tokens, once the analyzer has read them (``ArchiveAnalyzer.words``).
    words: list[str] | None

    def __new__(cls, text: str, language: str) -> TextIn:
        value = super().__new__(cls, text)
        value.language = language
        value.words = None
        return value

    def __reduce__(self) -> tuple[type[TextIn], tuple[str, str]]:
        # Keeps its language when pickled: documents are pickled on their way to the
        # processes that analyse them (``indexer.parallel``). A stored field's value is
        # pickled into the index too, so a stored text field is given its plain ``str``
        # through Whoosh's ``_stored_<field>`` key (see ``indexer.build``).
        return TextIn, (str(self), self.language)


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
        # "organized crime" is not organ trafficking.
        **dict.fromkeys(
            [
                *("organize", "organizes", "organized", "organizing", "organizer", "organizers"),
                *("organise", "organises", "organised", "organising", "organiser", "organisers"),
            ],
            "organize",
        ),
        # Human rights defenders are not defendants.
        **dict.fromkeys(["defendant", "defendants"], "defendant"),
        **dict.fromkeys(["universe", "universes"], "universe"),
        **dict.fromkeys(["universal", "universally"], "universal"),
        **dict.fromkeys(["university", "universities"], "university"),
        **dict.fromkeys(["executive", "executives"], "executive"),
        **dict.fromkeys(["generous", "generously"], "generous"),
        # Plural acronyms whose only vowel is before the "s", which Snowball then keeps
        # ("NGOs" stayed "ngos", apart from "NGO"), and those without a vowel.
        **dict.fromkeys(["ngo", "ngos"], "ngo"),
        **dict.fromkeys(["cso", "csos"], "cso"),
        **dict.fromkeys(["hrd", "hrds"], "hrd"),
        **dict.fromkeys(["mp", "mps"], "mp"),
    },
    # Romance Snowball stemmers merge "journalist" with "newspaper" (and Spanish with
    # "period"): the word this domain searches most would find every daily and every term.
    "es": {
        **dict.fromkeys(["periodista", "periodistas"], "periodist"),
        **dict.fromkeys(["periodico", "periodicos", "periodica", "periodicas"], "periodic"),
        "periodismo": "periodism",
        # Snowball makes "senado" "sen" (Hun Sen), and the political right "derecha" one
        # with "derechos", rights.
        **dict.fromkeys(["senado", "senados"], "senado"),
        **dict.fromkeys(["derecha", "derechas", "derechista", "derechistas"], "derecha"),
        # Snowball reads a singular in -ar or -án as a verb ("militar" as "milit",
        # "estándar" as "estand", "musulmán" as "musulm"): its plural, read as it, would
        # join militants, "estando" (being), or leave its feminine ("musulmana").
        **dict.fromkeys(["militar", "militares"], "militar"),
        **dict.fromkeys(["estandar", "estandares"], "estandar"),
        **dict.fromkeys(["musulman", "musulmanes", "musulmana", "musulmanas"], "musulman"),
        **dict.fromkeys(
            ["antimusulman", "antimusulmanes", "antimusulmana", "antimusulmanas"], "antimusulman"
        ),
        # "inglés" reads as a plural ("ingle"), apart from "inglesa".
        **dict.fromkeys(["ingles", "ingleses", "inglesa", "inglesas"], "ingles"),
        # The Hazara people are no form of "hacer": Snowball stems "hazara" as "haz", the
        # stem of "hace" once its c is written z.
        **dict.fromkeys(["hazara", "hazaras"], "hazara"),
    },
    "fr": {
        **dict.fromkeys(["journaliste", "journalistes"], "journalist"),
        "journalisme": "journalism",
    },
    "pt": {
        **dict.fromkeys(["jornalista", "jornalistas"], "jornalist"),
        "jornalismo": "jornalism",
    },
    "it": {
        **dict.fromkeys(["giornalista", "giornalisti", "giornaliste"], "giornalist"),
        "giornalismo": "giornalism",
    },
}

# Elided articles and pronouns, joined to the next word by an apostrophe: "l'autocensure"
# is found as "autocensure", "dell'informazione" as "informazione". Lucene's lists
# (``ElisionFilter``, French and Italian), folded.
_FRENCH_ELISIONS = "l m t qu n s j d c jusqu quoiqu lorsqu puisqu"
_ITALIAN_ELISIONS = "c l all dall dell nell sull coll pell gl agl dagl degl negl sugl un m t s v d"
ELISIONS: dict[str, frozenset[str]] = {
    "fr": frozenset(_FRENCH_ELISIONS.split()),
    "it": frozenset(_ITALIAN_ELISIONS.split()),
}

_APOSTROPHES = {ord("’"): "'", ord("‘"): "'", ord("ʼ"): "'", ord("`"): "'"}
# One or two Latin letters and an apostrophe (as the tokenizer joins words: ' or ’) before
# a word of two letters or more: a name's particle ("d'Ivoire", "O'Brien", "l'Aquila",
# "D'Souza"), whose word is found alone too, whatever the article's language, as a
# hyphenated word's parts are; not an English contraction's end ("we're", "I'll", "I've"),
# nor a word of a script whose apostrophe is a letter's mark (Ukrainian "в'язниця"). French
# and Italian elisions are left out of the word itself (``ELISIONS``).
_NAME_PARTICLE_RE = re.compile(r"[a-z]{1,2}['’](?=[^\W\d_]{2})(?!(?:re|ll|ve)\b)", re.IGNORECASE)
# "й" would decompose to "и" + breve; it is kept whole, through a private-use stand-in.
_KEPT_LETTERS = {ord("й"): "\ue000", ord("Й"): "\ue000"}
_RESTORED_LETTERS = str.maketrans({"\ue000": "й"})
# Marks that are accents or vowel points: combining diacritics (Latin, Greek, Cyrillic),
# Hebrew points, Arabic harakat. Marks other scripts spell with (Devanagari's virama) stay.
_DIACRITIC_RANGES = [
    (0x0300, 0x036F),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0xFE20, 0xFE2F),
    (0x0591, 0x05C7),
    (0x064B, 0x065F),
    (0x0670, 0x0670),
]
_STRIP_DIACRITICS = {code: None for low, high in _DIACRITIC_RANGES for code in range(low, high + 1)}


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lowercase, straighten apostrophes and strip accents: the form every term is compared in."""
    text = text.translate(_APOSTROPHES).translate(_KEPT_LETTERS)
    stripped = unicodedata.normalize("NFKD", text).translate(_STRIP_DIACRITICS)
    return unicodedata.normalize("NFC", stripped).casefold().translate(_RESTORED_LETTERS)


# Spanish's ñ is a letter of its own, not an n with a mark: "año" is no "ano", "Peña" no
# "pena" (and Snowball's Spanish stemmer spells with it). Its words keep it, and are indexed
# without it too, at the same position: a reader whose keyboard has no ñ finds them ("pena"
# finds "Peña" and "pena"), and one who types it finds them alone ("Peña").
ENYE_LANGUAGES = frozenset({"es"})
_ENYE = "\ue001"  # a private-use stand-in, as for "й": folding would strip its tilde


@lru_cache(maxsize=200_000)
def fold_keeping_enye(text: str) -> str:
    """``fold``, but for ñ, which stays (Spanish's)."""
    kept = unicodedata.normalize("NFC", text).replace("ñ", _ENYE).replace("Ñ", _ENYE)
    return fold(kept).replace(_ENYE, "ñ")


def fold_for(language: str) -> Callable[[str], str]:
    """How ``language``'s words are folded: ``fold``, keeping ñ in Spanish. What a query's
    word is compared in where analysis cannot read it whole (a prefix, "peñ*"; a misspelt
    word, against the words as written)."""
    return fold_keeping_enye if language in ENYE_LANGUAGES else fold


def _without_enye(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("ñ", "n").replace("Ñ", "N")


@lru_cache(maxsize=32)
def _snowball(language: str) -> Callable[[str], str]:
    name = SNOWBALL_LANGUAGES.get(language)
    return SnowballStemmer(name).stem if name else (lambda word: word)


def stem_word(folded: str, language: str = "en") -> str:
    """The stem of a folded word: the exceptions table first, then (in English) an -ism
    word's own form, (in Spanish) a plural's singular, then Snowball."""
    exceptions = STEM_EXCEPTIONS.get(language, {})
    if folded in exceptions:
        return exceptions[folded]
    # Snowball strips "'s" itself in English, but not in every language or name; strip it
    # here so "Hun Sen's" stems like "Sen".
    if folded.endswith("'s"):
        folded = folded[:-2]
    if language == "en" and folded.endswith(("ism", "isms")):
        # An -ism names a doctrine or a practice, not its root word: English Snowball
        # would search "journalism" as "journal", "activism" as "active", "nationalism"
        # as "nation" and "extremism" as "extreme". Its plural is its only other form.
        return folded.removesuffix("s")
    if language == "es":
        return _spanish_stem(spanish_singular(folded), exceptions)
    return exceptions.get(folded) or _snowball(language)(folded)


# Spanish words ending in -s that are no plural, whose -s the plural rules would take for
# one: adverbs and a number ("antes" is not "ante", "tras" not "tra", "tres" not "tre"),
# and God, who is not "dio" (gave). Words ending in -is and -us are never read as plurals.
SPANISH_NO_PLURALS = frozenset({"antes", "atras", "pues", "tras", "tres", "dios"})
_SPANISH_VOWELS = "aeiou"
# A gerund or an infinitive with "les" or "nos" attached ("negándoles", "tomarnos"): no
# plural, and Snowball takes the pronoun away itself.
_SPANISH_VERB_WITH_PRONOUN = ("ndoles", "ndonos", "arnos", "irnos")


def spanish_singular(folded: str) -> str:
    """A folded Spanish plural's singular, by the rules Spanish forms its plurals with (as
    Lucene's ``SpanishPluralStemmer`` reads them): after a vowel and one of d, l, n, r, s,
    x, j, y, the plural's -es is taken away ("ciudades", "naciones", "mujeres", "países",
    "leyes"); after another letter, its -s ("años", "gobiernos", "jueces", "ONGs").
    Snowball then stems a plural as its singular: alone, it took "mujer" for a verb's
    infinitive ("muj", but "mujeres" "mujer") and kept the -s of short words ("año",
    "años"). A singular in -és reads as a plural in folded text ("interés", "libanés"):
    its plural in -eses is taken to that reading, so both are one word."""
    if len(folded) < 4 or folded in SPANISH_NO_PLURALS or not folded.endswith("s"):
        return folded
    if folded.endswith(_SPANISH_VERB_WITH_PRONOUN):
        return folded
    if folded.endswith("eses"):
        return spanish_singular(folded[:-2])
    before = folded[-2]
    if before == "e" and folded[-3] in "dlnrsxjy" and folded[-4] in _SPANISH_VOWELS:
        return folded[:-2]
    # -is and -us end singulars more than plurals ("crisis", "virus", "París"); -ss, a
    # digit or an apostrophe before the s no Spanish plural.
    if before in "iu" or before == "s" or not before.isalpha():
        return folded
    return folded[:-1]


def _spanish_stem(singular: str, exceptions: dict[str, str]) -> str:
    """A Spanish singular's stem: Snowball's, but for a noun in -dad (or -tad, the same
    suffix), which keeps its suffix: the quality or the body it names is not the word it
    is made from, as an English -ism is not (Snowball searched "autoridad" as "autor",
    "seguridad" as "seguro", "universidad" as "universo", "comunidad" as "común" and
    "humanidad" as "humano"). A stem's last c before e or i is written z, as Spanish
    writes that sound before a, o and at a word's end: "jueces" is one word with "juez",
    "voces" with "voz", "realice" with "realizar"; but not before -ismo and -ista, learned
    suffixes that soften a root's hard c ("tecnicismo" stays with "técnico")."""
    if singular in exceptions:
        return exceptions[singular]
    if singular.endswith(("dad", "tad")):
        return singular
    stem = _snowball("es")(singular)
    ending = singular[len(stem) :] if singular.startswith(stem) else ""
    if stem.endswith("c") and ending[:1] in ("e", "i") and not ending.startswith(("ism", "ist")):
        return stem[:-1] + "z"
    return stem


def joined(word: str) -> str:
    """A hyphenated word as the one word its parts make: "non-profit" is "nonprofit", as
    "re-election" is "reelection" and "COVID-19" "covid19" (Lucene's word delimiter filter
    catenates them so; its parts are terms of their own too). Not a range of numbers, nor
    a date: "1-2" is no 12, "9-11" no 911."""
    if "-" not in word or all(part.isdigit() for part in word.split("-") if part):
        return word
    return word.replace("-", "")


def _compared(surface: str, fold_word: Callable[[str], str], elisions: frozenset[str]) -> str:
    """A word as terms and the stop list compare it: folded, without an elided article or
    pronoun, a hyphenated word's parts joined."""
    folded = fold_word(surface)
    if elisions and "'" in folded:
        elided, _, rest = folded.partition("'")
        if elided in elisions and rest:
            folded = rest
    return joined(folded)


def _is_acronym(surface: str) -> bool:
    return "." in surface and not surface[0].isdigit()


@lru_cache(maxsize=64)
def term_function(
    language: str, stem: bool = True, stop: bool = True
) -> Callable[[str], str | None]:
    """A cached ``surface word -> index term`` function (None for a stop word)."""
    stops = STOP_WORDS.get(language, frozenset()) if stop else frozenset()
    elisions = ELISIONS.get(language, frozenset())
    fold_word = fold_for(language)

    # Bounded for the servers' sake: every distinct word of every query passes through here,
    # and random words sent by the thousand filled a million entries per language and
    # variant (about 250 bytes each: 1.7 MB more per batch of 100 random queries, for good).
    # 100,000 words cover every word of the 1x benchmark's 37,000 articles (65,792 forms).
    @lru_cache(maxsize=100_000)
    def term(surface: str) -> str | None:
        if _is_acronym(surface):
            # An acronym: its letters, as written without dots ("U.N." is "un", as "UN"
            # is). Never a stop word ("U.S." is not "us") and never stemmed.
            return fold_word(surface).replace(".", "")
        folded = _compared(surface, fold_word, elisions)
        if not folded or folded in stops:
            return None  # a stop word, or only combining marks that folding removed
        return stem_word(folded, language) if stem else folded

    return term


@lru_cache(maxsize=16)
def stop_word_function(language: str) -> Callable[[str], str | None]:
    """A cached ``surface word -> the stop word it is`` function, as the stop list writes
    it (folded: "The" is "the"); None for any other word, an acronym included ("U.S." is
    no "us")."""
    stops = STOP_WORDS.get(language, frozenset())
    elisions = ELISIONS.get(language, frozenset())
    fold_word = fold_for(language)

    @lru_cache(maxsize=100_000)
    def stop_word(surface: str) -> str | None:
        if not stops or _is_acronym(surface):
            return None
        folded = _compared(surface, fold_word, elisions)
        return folded if folded in stops else None

    return stop_word


# What one token gives: its terms, each with its position (counted from the token's first)
# and its characters within the token, and how many positions the token takes.
TokenTerms = tuple[tuple[tuple[str, int, int, int], ...], int]
# Words of a phrase, each with its position from the phrase's first word, in order.
PhraseWords = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Phrase:
    """A phrase as analysing a query gives it: its terms, each with its position from the
    first ("right to protest": ("right", 0), ("protest", 2)), and the stop words between
    them with theirs (("to", 1)). A stop word is no term, but its place is indexed
    (``ArchiveAnalyzer.stop_positions``): the phrase is only where that very stop word is
    ("right to protest" is not "rights, protest", nor "right of protest", nor "far-right
    Querdenken protesters"). Stop words before its first term or after its last are not
    part of it ("the press" is "press")."""

    terms: PhraseWords
    stop_words: PhraseWords = ()

    def places(self) -> tuple[tuple[str, int, bool], ...]:
        """Its words in order: each with its position and whether it is a stop word."""
        words = [(term, offset, False) for term, offset in self.terms]
        words += [(stop, offset, True) for stop, offset in self.stop_words]
        return tuple(sorted(words, key=lambda word: word[1]))


def joinable(words: Sequence[Any]) -> list[bool]:
    """For each word of a phrase, whether it may also sit at the very position of the word
    before it, as the parts of a hyphenated word do ("self censorship" in
    "self-censorship"): not the first word, nor one an earlier word of the phrase is (a
    word of the text is one word of the phrase, not two: "covid 19 covid" is not a lone
    "COVID-19"). The one rule of the matchers and the snippet marker."""
    return [index > 0 and word not in words[:index] for index, word in enumerate(words)]


@lru_cache(maxsize=128)
def token_terms(
    language: str, stem: bool = True, stop: bool = True, compounds: bool = True
) -> Callable[[str], TokenTerms]:
    """A cached ``token -> its terms`` function, the one place that says what a token gives:
    indexing, queries and snippets all read text through it.

    A word gives its term (none for a stop word, which takes its position all the same)
    and, with ``compounds``, the terms of its hyphenated parts at the same position, all of
    them spanning the whole word; a run of CJK characters gives its character pairs, one
    position and two characters each."""
    term_for = term_function(language, stem, stop)
    keeps_enye = language in ENYE_LANGUAGES

    # ~270 bytes an entry: 50,000 words (13 MB) per language and variant hold the words that
    # make up most of any text; the rest are a term look-up away (``term_function``).
    @lru_cache(maxsize=50_000)
    def terms_of(surface: str) -> TokenTerms:
        if _CJK_RE.match(surface):
            width = min(2, len(surface))
            pairs = tuple(
                (pair, offset, offset, offset + width) for offset, pair in _bigrams(surface)
            )
            return pairs, len(pairs)
        term = term_for(surface)
        if term is None:
            # A stop word is not indexed, but keeps its place: "right to protest" is not
            # the phrase "rights, protest".
            return (), 1
        whole = len(surface)
        found = [(term, 0, 0, whole)]
        if compounds and "-" in surface:
            for part in surface.split("-"):
                part_term = term_for(part)
                if part_term is not None and part_term != term:
                    found.append((part_term, 0, 0, whole))
        if compounds and (particle := _NAME_PARTICLE_RE.match(surface)):
            rest_term = term_for(surface[particle.end() :])
            if rest_term is not None and rest_term != term:
                found.append((rest_term, 0, 0, whole))
        if compounds and keeps_enye and "ñ" in term:
            # Its terms as written without ñ too, a hyphenated word's parts' among them.
            known = {term for term, *_ in found}
            for plain, *_ in terms_of(_without_enye(surface))[0]:
                if plain not in known:
                    known.add(plain)
                    found.append((plain, 0, 0, whole))
        return tuple(found), 1

    return terms_of


@lru_cache(maxsize=32)
def token_stop_words(language: str, compounds: bool = True) -> Callable[[str], tuple[str, ...]]:
    """A cached ``token -> the stop words it is`` function, at the token's position: a stop
    word itself and, with ``compounds`` (as ``token_terms``), a hyphenated word's parts
    that are stop words ("right-to-protest": "to"; "far-right": none)."""
    stop_word = stop_word_function(language)

    @lru_cache(maxsize=50_000)
    def stop_words_of(surface: str) -> tuple[str, ...]:
        whole = stop_word(surface)
        if whole is not None:
            return (whole,)
        if compounds and "-" in surface:
            parts = (stop_word(part) for part in surface.split("-"))
            return tuple(dict.fromkeys(part for part in parts if part is not None))
        return ()

    return stop_words_of


# Bump when analysis changes what terms a text gives: an index written by another version
# is then re-indexed from its files (see indexer.build), as its terms would not match.
# 16: stop words' places are indexed (``stop_positions``).
ANALYSIS_VERSION = 16


class ArchiveAnalyzer(Tokenizer):
    """The analyzer (a Whoosh ``Composable``, usable as a field's analyzer).

    ``stem=False, stop=False`` gives the variant for names (authors): folded, never stemmed.
    """

    def __init__(
        self,
        language: str = "en",
        stem: bool = True,
        stop: bool = True,
        version: int = ANALYSIS_VERSION,
    ) -> None:
        self.language, self.stem, self.stop, self.version = language, stem, stop, version
        self._tokenizer = _TokenPatternTokenizer(TOKEN_PATTERN)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "language": self.language,
            "stem": self.stem,
            "stop": self.stop,
            "version": self.version,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Indexes written before analysis had a version unpickle as version 1.
        self.__init__(**{"version": 1, **state})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ArchiveAnalyzer) and self.__getstate__() == other.__getstate__()

    def __hash__(self) -> int:
        return hash(tuple(self.__getstate__().values()))

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
        language = getattr(value, "language", self.language)
        terms_of = token_terms(
            language, self.stem and not no_morph, self.stop, compounds=mode != "query"
        )
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        token.stopped = False
        pos = start_pos
        spans = self._tokenizer.span_tokenize(value) if tokenize else [(0, len(value))]
        for start, end in spans:
            surface = value[start:end]
            found, taken = terms_of(surface)
            for term, offset, low, high in found:
                token.text = term
                if keeporiginal:
                    token.original = surface[low:high]
                if positions:
                    token.pos = pos + offset
                if chars:
                    token.startchar = start_char + start + low
                    token.endchar = start_char + start + high
                yield token
            pos += taken

    def term_positions(self, value: str) -> dict[str, list[int]]:
        """Each term of ``value`` with its positions, as ``__call__`` gives them to index
        (``positions=True, mode="index"``), without a ``Token`` and a generator step per
        word: what a text field indexes."""
        terms_of = token_terms(getattr(value, "language", self.language), self.stem, self.stop)
        positions: defaultdict[str, list[int]] = defaultdict(list)
        pos = 0
        for word in self.words(value):
            found, taken = terms_of(word)
            for term, offset, _low, _high in found:
                positions[term].append(pos + offset)
            pos += taken
        return positions

    def stop_positions(self, value: str, *, compounds: bool = True) -> dict[str, list[int]]:
        """Each stop word of ``value`` with its positions, counted as ``term_positions``
        counts them: what a text field's stop-word places (``indexer.schema.StopWordPlaces``)
        index, and, without ``compounds`` (a hyphenated word of a query is one word), the
        stop words a query's phrase must have where it has them. The names' analyzer keeps
        every word as a term: it has none."""
        if not self.stop:
            return {}
        language = getattr(value, "language", self.language)
        terms_of = token_terms(language, self.stem, self.stop)
        stop_words_of = token_stop_words(language, compounds)
        positions: defaultdict[str, list[int]] = defaultdict(list)
        pos = 0
        for word in self.words(value):
            for stop_word in stop_words_of(word):
                positions[stop_word].append(pos)
            pos += terms_of(word)[1]
        return positions

    def written_words(self, value: str) -> set[str]:
        """The distinct words of ``value`` as written (folded, not stemmed), as
        ``__call__(value, no_morph=True)`` gives them: the words of "did you mean"."""
        terms_of = token_terms(getattr(value, "language", self.language), False, self.stop)
        return {term for word in set(self.words(value)) for term, *_ in terms_of(word)[0]}

    def words(self, value: str) -> list[str]:
        """The tokens of ``value``. A ``TextIn`` keeps them (every analyzer tokenizes
        alike): a text field's value is read twice as it is indexed (``term_positions``,
        then ``written_words``), and tokenizing is a good part of analysing it."""
        words = getattr(value, "words", None)
        if words is None:
            words = self._tokenizer.tokenize(value)
            if isinstance(value, TextIn):
                value.words = words
        return words

    def marker(self, wanted: Callable[[str], bool], phrases: Sequence[Phrase] = ()) -> WordMarker:
        """A ``WordMarker`` for the words whose terms ``wanted`` accepts, and for the words
        of ``phrases`` where they make the phrase."""
        return WordMarker(self, wanted, phrases)


class WordMarker:
    """Finds the words of texts whose terms are wanted (a query's): the words a snippet
    marks.

    The same tokens and terms as indexing analysis (``ArchiveAnalyzer.__call__``): a
    hyphenated word is wanted for a part's term too, a CJK run is looked at pair by pair.
    A text's distinct words are found (``distinct_tokens``), each distinct word is judged
    once for all the texts a marker is given (a page of results' sections), and only the
    occurrences of marked words are located in a text, not every word: on the benchmark's
    pages, much less time a token than reading every token from ``__call__``.

    A phrase is marked only where its words make it, at the positions indexing gives them
    (its stop words at their places, a hyphenated word's parts at its position): where the
    phrase matched the article, not wherever one of its words is; it is marked whole, the
    words between included ("freedom of expression"). Where a text has a word of each of a
    phrase's terms, it is read token by token from each word giving the phrase's first
    term, as far as the phrase reaches."""

    def __init__(
        self,
        analyzer: ArchiveAnalyzer,
        wanted: Callable[[str], bool],
        phrases: Sequence[Phrase] = (),
    ) -> None:
        self._tokenizer = analyzer._tokenizer
        self._terms_of = token_terms(analyzer.language, analyzer.stem, analyzer.stop)
        self._stop_words_of = token_stop_words(analyzer.language)
        self._wanted = wanted
        self._phrases = tuple(phrases)
        self._phrase_terms = frozenset(term for phrase in phrases for term, _ in phrase.terms)
        self._judged: set[str] = set()
        self._ranges_of: dict[str, tuple[tuple[int, int], ...]] = {}  # the marked words'
        self._phrase_terms_of: dict[str, frozenset[str]] = {}  # words giving phrase terms

    def spans(self, text: str) -> list[tuple[int, int]]:
        """The character ranges of the wanted words in ``text``, in order."""
        distinct = self._tokenizer.distinct_tokens(text)
        self._judge_new(distinct)
        spans = [
            (start + low, start + high)
            for start, word in self._located(text, self._ranges_of.keys() & distinct)
            for low, high in self._ranges_of[word]
        ]
        in_phrases = self._phrase_spans(text, distinct)
        return sorted(set(spans).union(in_phrases)) if in_phrases else spans

    def tally(self, text: str) -> tuple[set[str], int]:
        """What ``spans`` marks in ``text``, counted without locating it: the marked strings
        (casefolded) and how many marks. For text that is ranked, not shown (an export's
        sections, every heading): finding where each mark is took most of the marking."""
        distinct = self._tokenizer.distinct_tokens(text)
        self._judge_new(distinct)
        if distinct & self._phrase_terms_of.keys():  # a phrase's marks are found by place
            spans = self.spans(text)
            return {text[start:end].casefold() for start, end in spans}, len(spans)
        marked_words = self._ranges_of.keys() & distinct
        if not marked_words:  # most headings, and many sections: nothing to count
            return set(), 0
        occurrences = Counter(self._tokenizer.tokenize(text))
        marked: set[str] = set()
        count = 0
        for word in marked_words:
            ranges = self._ranges_of[word]
            count += occurrences[word] * len(ranges)
            marked.update(word[low:high].casefold() for low, high in ranges)
        return marked, count

    def _judge_new(self, words: set[str]) -> None:
        unjudged = words - self._judged
        if unjudged:
            self._judged |= unjudged
            self._judge(unjudged)

    def _located(self, text: str, words: Iterable[str]) -> list[tuple[int, str]]:
        """Where each of ``words`` is a token of ``text``: (start, word), in order.

        Only these words are looked for, by ``str.find``; an occurrence counts where the
        token starting there is the word (not where it is part of a longer one, as "press"
        in "pressure" or "rights" in "human-rights"). Locating every token of the text
        instead cost a Python step per word; it is done when the words occur more than a
        fifth as often as the text has words, where finding and checking each occurrence
        cost more than reading every token (measured on long articles): when many words
        are wanted, or short ones ("a" occurs in most words), as a query of one-letter
        prefixes wants."""
        candidates: list[tuple[int, str]] = []
        most = (text.count(" ") + 1) // 5
        for word in words:
            candidates.extend((start, word) for start in _occurrences(text, word))
            if len(candidates) > most:
                return self._every_token_of(text, set(words))
        candidates.sort()
        tokens = self._tokenizer.tokens_at(text, [start for start, _ in candidates])
        return [
            (start, word)
            for (start, word), token in zip(candidates, tokens, strict=True)
            if token == word
        ]

    def _every_token_of(self, text: str, words: set[str]) -> list[tuple[int, str]]:
        """``_located``, token by token."""
        located = []
        for start, end in self._tokenizer.spans_from(text, 0):
            token = text[start:end]
            if token in words:
                located.append((start, token))
        return located

    def _phrase_spans(self, text: str, distinct: set[str]) -> list[tuple[int, int]]:
        """The character range of each occurrence of one of the phrases in ``text``."""
        words = distinct & self._phrase_terms_of.keys()
        terms_here = set().union(*(self._phrase_terms_of[word] for word in words))
        spans: list[tuple[int, int]] = []
        for phrase in self._phrases:
            if not all(term in terms_here for term, _ in phrase.terms):
                continue
            # Read where a word giving its first term is, and on only as far as the phrase
            # reaches: reading every token of the text cost a Python step per word.
            first = phrase.terms[0][0]
            starts = [word for word in words if first in self._phrase_terms_of[word]]
            for start, _word in self._located(text, starts):
                spans.extend(self._phrase_at(text, start, phrase))
        return spans

    def _phrase_at(self, text: str, start: int, phrase: Phrase) -> list[tuple[int, int]]:
        """The ranges of ``phrase`` where its first term is one of the token at ``start``."""
        words = phrase.places()
        terms = {term for term, _ in phrase.terms}
        stop_words = {stop_word for stop_word, _ in phrase.stop_words}
        reach = words[-1][1] - words[0][1]  # positions from its first word to its last
        # (word, whether a stop word) -> position (from the token at ``start``) -> character
        # range, of each word of the phrase, positions counted as indexing counts them
        # (``term_positions``, ``stop_positions``).
        at: defaultdict[tuple[str, bool], dict[int, tuple[int, int]]] = defaultdict(dict)
        position, first_taken = 0, 0
        for token_start, token_end in self._tokenizer.spans_from(text, start):
            if first_taken and position >= first_taken + reach:
                break
            token = text[token_start:token_end]
            found, taken = self._terms_of(token)
            for term, offset, low, high in found:
                if term in terms:
                    at[term, False][position + offset] = (token_start + low, token_start + high)
            for stop_word in self._stop_words_of(token) if stop_words else ():
                if stop_word in stop_words:
                    at[stop_word, True][position] = (token_start, token_end)
            first_taken = first_taken or taken
            position += taken
        joins = joinable([(word, is_stop_word) for word, _, is_stop_word in words])
        spans: list[tuple[int, int]] = []
        for position, (low, high) in at[words[0][0], False].items():
            if position >= first_taken:
                continue  # the phrase from there on is read from its own token
            # Each way the phrase goes on from here: where its last word so far is, and one
            # range from its first word to that one, the words between included (a snippet
            # shows the phrase marked whole, and never cuts it in two). A word may be where
            # the one before is, as parts of one hyphenated word are (``joinable``).
            ways = {(position, low, high)}
            for index in range(1, len(words)):
                word, offset, is_stop_word = words[index]
                places = at[word, is_stop_word]
                gap = offset - words[index - 1][1]
                steps = (gap, 0) if joins[index] else (gap,)
                ways = {
                    (
                        here + step,
                        min(begin, places[here + step][0]),
                        max(end, places[here + step][1]),
                    )
                    for here, begin, end in ways
                    for step in steps
                    if here + step in places
                }
            spans.extend((begin, end) for _, begin, end in ways)
        return spans

    def _judge(self, words: set[str]) -> None:
        terms_of, wanted, phrase_terms = self._terms_of, self._wanted, self._phrase_terms
        for word in words:
            found = terms_of(word)[0]
            if phrase_terms:
                of_phrases = phrase_terms.intersection(term for term, *_ in found)
                if of_phrases:
                    self._phrase_terms_of[word] = of_phrases
            if len(found) == 1:  # most words: one term, spanning the word
                term, _offset, low, high = found[0]
                if wanted(term):
                    self._ranges_of[word] = ((low, high),)
            elif found:
                # A hyphenated word's terms all span it: it is marked once whichever is
                # wanted. A CJK run's pairs each have their own range.
                ranges = tuple(
                    dict.fromkeys((low, high) for term, _o, low, high in found if wanted(term))
                )
                if ranges:
                    self._ranges_of[word] = ranges


def _occurrences(text: str, word: str) -> Iterator[int]:
    """Where ``word`` occurs in ``text``, overlapping occurrences included."""
    found = text.find(word)
    while found != -1:
        yield found
        found = text.find(word, found + 1)


def _bigrams(run: str) -> Iterator[tuple[int, str]]:
    """Overlapping pairs of a run of CJK characters (the character itself when alone),
    folded (compatibility ideographs become the unified ones)."""
    if len(run) == 1:
        yield 0, fold(run)
        return
    for offset in range(len(run) - 1):
        yield offset, fold(run[offset : offset + 2])


# Between a tag's words: a space, or what a CMS writes instead (a slug's "-", "_"); a comma
# too, as a tag list is comma-separated.
_TAG_WORD_BREAK_RE = re.compile(r"[\s,_-]+")


def tag_term(tag: str) -> str:
    """The term a tag is indexed and searched as: folded like words are, its words apart
    whatever is between them, so "Media releases", "media-releases" and "Expresión" and
    "expresion" are one tag each."""
    return _TAG_WORD_BREAK_RE.sub(" ", fold(tag)).strip()


class _TagTermFilter(Filter):
    """Each tag as its term (``tag_term``); a tag that folds to nothing is dropped."""

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        for token in tokens:
            token.text = tag_term(token.text)
            if token.text:
                yield token


def tag_analyzer() -> Composable:
    """The analyzer for tags: Whoosh's comma-separated list, each tag one term."""
    return CommaSeparatedTokenizer() | _TagTermFilter()


@lru_cache(maxsize=1)
def names_analyzer() -> ArchiveAnalyzer:
    """The analyzer for names (authors): folded, never stemmed, no stop words."""
    return ArchiveAnalyzer(stem=False, stop=False)


@lru_cache(maxsize=32)
def analyzer_for(language: str = "en") -> ArchiveAnalyzer:
    """The analyzer for one language, built once per process."""
    return ArchiveAnalyzer(language)
