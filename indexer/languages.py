"""Languages: which one an article is in, the words each language drops, and translations.

* The language of an article comes from its metadata when given; otherwise it is detected
  from its text with py3langid (an offline model shipped inside the package), and only a
  confident guess on enough text is kept: a short or mixed text falls back to the default
  language rather than to a wrong one.
* Stop lists are short on purpose: articles, pronouns, auxiliaries and the commonest
  prepositions. Negations and words that carry meaning in this domain ("no", "sin",
  "contra", "sans", "не", "без") are kept in every language.
* Translations of one story share a key: given in the metadata, or found in ids that differ
  only by a language code (``fiw_en/123`` and ``fiw_es/123``, ``en/news/x`` and
  ``es/news/x``, ``post.fr``).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache
from typing import Any

# The language of an article whose metadata does not say and whose text gives no confident
# guess, unless ADVOSEARCH_DEFAULT_LANGUAGE says another.
DEFAULT_LANGUAGE = "en"

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

# Languages written in a right-to-left script: the page marks their articles ``dir="rtl"``.
# Every one the detector names (regional Arabic, Sorani Kurdish as "sdh", Southern Uzbek,
# Biblical Hebrew), and others metadata may give. Not "ku": Kurmanji is written in Latin
# letters, and the detector names Kurdish in Arabic letters "sdh".
RIGHT_TO_LEFT = frozenset({
    "ar", "arz", "ary", "azb", "bal", "ckb", "fa", "ks", "ps", "sd", "sdh", "ug", "ur", "uzs",
    "he", "hbo", "yi", "dv", "syr",
})  # fmt: skip


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Keys are folded forms (lowercase, accents stripped), as the analyzer compares them.
STOP_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """a an the and or but if of to in on at by for with from as into onto than then so
        is are was were be been being am it its it's this that these those there here
        he she him her his hers they them their theirs we our ours you your yours i me my
        has have had having do does did doing which whom whose what when where while
        also would could should shall"""
    ),
    "es": _words(
        """el la lo los las un una unos unas y e o u pero si de del a al en por para con
        como que se su sus le les me te nos os mi mis tu tus es son fue fueron ser era eran
        sido estan estaba estaban estar ha han he hemos habia habian hay este esta estos
        estas ese esa esos esas aquel aquella eso esto ya muy mas tambien cual cuales cuyo
        cuya donde cuando mientras"""
    ),
    "pt": _words(
        """o a os as um uma uns umas e ou mas se de do da dos das em no na nos nas por
        pelo pela pelos pelas para com como que seu sua seus suas lhe lhes me te nos
        e sao foi foram ser era eram sido estao estava estavam estar ha tem este esta estes
        estas esse essa isso isto aquele aquela ja muito mais tambem qual quais cujo cuja
        onde quando enquanto"""
    ),
    "fr": _words(
        """le la les l un une des du de d au aux et ou mais si en dans par pour avec sur
        comme que qu qui se sa son ses leur leurs il elle ils elles on nous vous je j
        me m te t lui y est sont etait ete etre a ont avait ce cet cette ces c ceci cela
        ca deja tres plus aussi dont lequel laquelle lesquels ou quand lorsque"""
    ),
    "it": _words(
        """il lo la i gli le un uno una e ed o ma se di del dello della dei degli delle
        a al allo alla ai agli alle da dal dalla in nel nella nei nelle per con su sul
        sulla come che si suo sua suoi sue loro ci vi mi ti e sono era erano essere
        ha hanno questo questa questi queste quello quella gia molto piu anche cui
        dove quando mentre"""
    ),
    "de": _words(
        """der die das den dem des ein eine einen einem einer eines und oder aber wenn
        von zu im in am an auf fur mit aus als bei nach um uber unter vor sich sein
        seine ihr ihre es er sie wir ihr ich mich dich ist sind war waren sein wird
        werden wurde hat haben hatte dieser diese dieses jener auch sehr schon noch
        wo wann wahrend dass"""
    ),
    "nl": _words(
        """de het een en of maar als van te in op aan bij voor met uit door over om
        zich zijn haar hun het hij zij wij ik je is was waren wordt worden werd heeft
        hebben had deze dit die dat ook zeer al nog waar wanneer terwijl"""
    ),
    "ru": _words(
        """и а но или да же ли бы в во на с со к ко по о об от до из у за для при про
        над под через это этот эта эти тот та те то его ее их он она оно они мы вы я
        ты себя свой быть был была было были есть как что чтобы который которая
        которые также уже еще где когда"""
    ),
}

# Ids that say their language: "fiw_es/12", "es/news/x", "post.fr", "news-es".
_CODE_SEPARATORS = "_.-"


def translation_key(article_id: str, language: str) -> str | None:
    """The key shared by translations whose ids differ only by their language code, or
    None when the id names no language."""
    if not language:
        return None
    parts = article_id.split("/")
    changed = False
    for index, part in enumerate(parts):
        stripped = _without_code(part, language)
        if stripped != part:
            parts[index], changed = stripped, True
    if not changed:
        return None
    key = "/".join(part for part in parts if part)
    return key or None


def _without_code(part: str, language: str) -> str:
    if part.lower() == language:
        return ""
    pattern = rf"(?:^{language}[{_CODE_SEPARATORS}](?=.)|(?<=.)[{_CODE_SEPARATORS}]{language}$)"
    return re.sub(pattern, "", part, count=1, flags=re.IGNORECASE)


# A short text's language among an archive's few (``likeliest_of``): the detector's belief
# in it, and its share of the belief in all of them.
MIN_SHORT_TEXT_BELIEF = 0.1
SHORT_TEXT_SHARE = 0.8
# A guess below this probability, or on less text than this, is not trusted.
MIN_DETECTION_CONFIDENCE = 0.7
MIN_DETECTION_CHARS = 40
DETECTION_SAMPLE_CHARS = 10_000  # enough to see past a quoted passage in another language


@cache
def detector() -> Any:
    """py3langid's identifier, its model loaded on first use (about a second and 70 MB: only
    indexing and drafts' related stories need it)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """The language of ``text`` as the detector names it (a 2-letter code, or 3 letters
    where ISO 639-1 has none: "arz", "yue"), or None when unsure."""
    sample = text[:DETECTION_SAMPLE_CHARS]
    if len(sample.strip()) < MIN_DETECTION_CHARS:
        return None
    language, probability = detector().classify(sample)
    return language if probability >= MIN_DETECTION_CONFIDENCE else None


def likeliest_of(text: str, languages: Collection[str]) -> str | None:
    """The likeliest of ``languages`` for ``text``, a text too short or mixed for
    ``detect_language`` to be sure of, when the detector leans clearly to it: a tenth of its
    belief or more, and four fifths of what it believes of ``languages`` together (None else,
    or for a text of no word). A short draft of a bilingual archive ("Periodistas
    detenidos", "desaparición forzada") is in one of its languages, whatever related
    languages outside it the detector also hears (Galician); a name ("Nicaragua", "Maduro
    crackdown") says too little to choose."""
    sample = text[:DETECTION_SAMPLE_CHARS]
    if not sample.strip() or not languages:
        return None
    if len(languages) == 1:
        return next(iter(languages))
    # Languages the detector does not know (a code from metadata) are never guessed.
    ranked = [item for item in detector().rank(sample) if item[0] in languages]
    total = sum(belief for _, belief in ranked)
    if not ranked or not total:
        return None
    best, belief = ranked[0]
    if belief >= MIN_SHORT_TEXT_BELIEF and belief >= SHORT_TEXT_SHARE * total:
        return best
    return None


# The languages py3langid's model tells apart, written out: a search process checks a
# language code against them, and loading the model to read them held 70 MB in every
# server worker. tests/indexer/test_languages.py checks them against the model.
DETECTED_LANGUAGES = frozenset({
    "ace", "af", "am", "an", "ar", "ary", "arz", "as", "az", "ba", "bcl", "be", "bg", "bn",
    "br", "bs", "ca", "crh", "cs", "cy", "da", "de", "dz", "el", "en", "eo", "es", "et", "eu",
    "ext", "fa", "fi", "fo", "fr", "fuv", "fy", "ga", "gcf", "gcr", "gd", "gl", "gom", "grc",
    "gu", "gug", "guw", "ha", "hbo", "he", "hi", "hr", "ht", "hu", "hy", "id", "ig", "is", "it",
    "ja", "jv", "ka", "kab", "kik", "kk", "km", "kn", "ko", "ku", "ky", "la", "lb", "lg", "lij",
    "ln", "lo", "lt", "ltg", "lv", "mg", "mk", "ml", "mn", "mr", "ms", "mt", "my", "ne", "nl",
    "nn", "no", "nso", "oc", "om", "or", "pa", "pcm", "pl", "ps", "pt", "qu", "ro", "ru", "rw",
    "sa", "sdh", "se", "si", "sk", "sl", "sn", "so", "sq", "sr", "st", "sv", "sw", "ta", "te",
    "tg", "th", "tk", "tl", "tr", "tt", "ug", "uk", "ur", "uz", "uzs", "vec", "vi", "vo", "wa",
    "wuu", "xh", "yo", "yue", "zh", "zu", "zxx",
})  # fmt: skip


@cache
def known_languages() -> frozenset[str]:
    """The codes a language given in metadata may have: every language the detector knows
    and those this module has a stemmer, stop words or a writing direction for. A code
    outside them ("zz" from ``lang="zz-invalid"``) would become a language of its own."""
    return DETECTED_LANGUAGES.union(SNOWBALL_LANGUAGES, STOP_WORDS, RIGHT_TO_LEFT)


def article_language(given: str | None, text: str, default: str) -> str:
    """The metadata's language, else the detected one, else ``default``."""
    return given or detect_language(text) or default
