"""The query language readers and researchers type, read leniently into Whoosh queries.

Syntax: plain words (all must match), ``"quoted phrases"`` (straight or curly quotes),
``-word`` / ``-"phrase"`` / ``NOT word`` to exclude, ``OR`` between alternatives, brackets,
``title:`` ``tag:`` ``author:`` fields and ``word*`` prefixes. Nothing is an error: an
unbalanced quote or bracket, a lone ``-``, ``AND`` alone or ``title:`` with nothing are read
as plain text or ignored, and ``ParsedQuery.display`` says how the query was read.
"""

from __future__ import annotations

import heapq
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from urllib.parse import unquote

from whoosh import query as wq
from whoosh.matching import AndNotMatcher, IntersectionMatcher, NullMatcher, WrappingMatcher
from whoosh.query.spans import Span, SpanQuery, SpanWrappingMatcher

from indexer.analysis import (
    CJK_CHARS,
    ArchiveAnalyzer,
    Phrase,
    analyzer_for,
    fold,
    fold_for,
    fold_keeping_enye,
    joinable,
    joined,
    names_analyzer,
    tag_term,
)
from indexer.formats.fields import url_slug
from indexer.schema import ARTICLE, SPELLING_FIELDS, stop_word_field
from search_api.language_names import language_name
from search_api.scoring import FieldsTerm, Unscored

# Query-time field weights: a word in the title says more than the same word in the body.
FIELD_BOOSTS = {"title": 2.5, "heading": 1.5, "body": 1.0}
NAMED_FIELDS = {"title": ("title",), "tag": ("tag",), "author": ("author",)}
MAX_PREFIX_EXPANSIONS = 64
# Each prefix costs a scan of the vocabulary (up to ~50 ms for one letter on a
# 37,000-article index) and up to MAX_PREFIX_EXPANSIONS terms per field to match: bounded
# per query, so that no query string can hold the service for long.
MAX_PREFIXES = 12
# A * before a character, or a ? between two: what a wildcard elsewhere than a word's end
# would be written as.
_NOT_A_WILDCARD_RE = re.compile(r"\*(?=\S)|\w\?\w")
# "|" is OR as other engines' query languages write it (a reader typing "privacy |
# surveillance" means either; the bar alone is no word, and was dropped: AND).
OR_OPERATORS = frozenset({"OR", "|", "||"})
LOWERCASE_OR = 'a lowercase "or" is no operator: write OR to find articles with either word'
TOO_MANY_PREFIXES = (
    f"only the first {MAX_PREFIXES} prefixes (word*) were expanded; the rest were searched "
    "as whole words"
)
NOTHING_SEARCHABLE = (
    "the query has no searchable words (very common words and symbols are not indexed)"
)
LONE_WILDCARD = (
    "a * alone is no wildcard (one ends a word's first letters: journ*): it was left out"
)
NO_WORDS = (
    "the query holds only operators (-, OR, brackets, quotes), read as an empty query: every "
    "article the filters allow is listed"
)
UNCLOSED_QUOTE = "a quote was not closed: its words were searched one by one, not as a phrase"
EXCLUSION_IN_OR = (
    "an excluded word cannot be one side of OR: it was read as excluded, and the OR as AND"
)
# Other engines' fuzzy and proximity (privacy~2, "a b"~5) and boost (privacy^2)
# suffixes: split off as a word, the number would be searched with the word as a phrase.
_SUFFIX_OPERATOR_RE = re.compile(r'(?<=[\w"*)])[~^](?:\d+(?:\.\d+)?)?(?=[\s()]|$)')
SUFFIX_OPERATORS = (
    "~ and ^ after a word or phrase are no operators here (there is no fuzzy, proximity or "
    "boosted search): they were left out"
)
_ONE_CJK_CHARACTER_RE = re.compile(rf"[{CJK_CHARS}]")
# A pasted address, and the words of its last part.
_ADDRESS_RE = re.compile(r"https?://\S+", re.IGNORECASE)
_SLUG_WORD_RE = re.compile(r"[^\W_]+")
# What a reader may take for a field name ("country:india", "país:méxico"); an address's
# scheme is none.
_FIELD_LIKE_RE = re.compile(r"[^\W\d_][^\W\d]{1,19}")
_URL_SCHEMES = frozenset({"http", "https", "ftp", "mailto", "tel", "www"})
# Names readers try as fields that are filters: "source:amnesty" would otherwise quietly
# search the words "source amnesty".
FILTER_NAMES = {
    "source": "source",
    "lang": "lang",
    "language": "lang",
    "date": "from and to",
    "year": "from and to",
    "from": "from",
    "to": "to",
}
# How many of a prefix's terms (and words as written) are looked at, in order.
PREFIX_SCAN = 20 * MAX_PREFIX_EXPANSIONS
# What an empty query (or one with only exclusions) starts from: every article document.
ALL_ARTICLES = wq.Term("kind", ARTICLE)

_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "＂": '"'})
_LEXER = re.compile(
    r"""
      (?P<phrase>(?P<neg_phrase>-)?(?:(?P<phrase_field>[^\W\d_]+):)?"(?P<phrase_text>[^"]*)")
    | (?P<lparen>(?P<neg_group>-)?(?:(?P<group_field>[^\W\d_]+):)?\()
    | (?P<rparen>\))
    | (?P<word>(?P<neg_word>-)?(?:(?P<word_field>[^\W\d_]+):)?(?P<word_text>[^\s()"]*))
    """,
    re.VERBOSE,
)


@dataclass
class Clause:
    """One leaf of the query: a word, a phrase or a prefix, searched in some fields."""

    fields: tuple[str, ...]
    text: str
    kind: str  # "word", "phrase" or "prefix"
    negated: bool = False


@dataclass
class Group:
    """Children joined by AND (``any_of=False``) or OR (``any_of=True``)."""

    children: list[Clause | Group] = field(default_factory=list)
    any_of: bool = False
    negated: bool = False


@dataclass
class ParsedQuery:
    tree: Group
    display: str
    languages: tuple[str, ...] = ("en",)  # the languages its words are analysed in
    notes: list[str] = field(default_factory=list)
    # Something was typed, but no word of it is searchable ("the", an emoji): it matches
    # nothing, where an empty query matches every article.
    unsearchable: bool = False

    @property
    def is_empty(self) -> bool:
        return not self.tree.children

    def positive_clauses(self) -> Iterator[Clause]:
        """Clauses that add to a match (not under a negation): what snippets mark."""

        def walk(node: Clause | Group, negated: bool) -> Iterator[Clause]:
            negated = negated or node.negated
            if isinstance(node, Clause):
                if not negated:
                    yield node
            else:
                for child in node.children:
                    yield from walk(child, negated)

        return walk(self.tree, False)

    def positive_count(self) -> int:
        """How many different parts must all match (an OR group counts as one part; a word
        typed twice, once, whatever its case or inflection: "journalist journalists")."""
        positives = {
            _part_key(child, self.languages[0]) for child in self.tree.children if not child.negated
        }
        if self.tree.any_of:
            return min(1, len(positives))
        return len(positives)


def _part_key(node: Clause | Group, language: str) -> tuple:
    """What tells a part of a query from another: a word or phrase by its terms."""
    if isinstance(node, Group) or node.kind == "prefix":
        return (repr(node),)
    return (node.fields, node.kind, _analysed_phrase(node, language))


def parse(text: str, languages: Sequence[str] = ("en",)) -> ParsedQuery:
    """Read a query string, whose words are analysed in each of ``languages``; never
    raises. A word that is a stop word in every one of them is dropped."""
    state = _ParseState(tuple(languages) or ("en",))
    text = text.replace("\x00", " ").translate(_QUOTES)
    if words := _address_words(text):
        state.notes.append(f"an address was searched as the words of its last part: {words}")
        text = words
    text, operators = _SUFFIX_OPERATOR_RE.subn("", text)
    if operators:
        state.notes.append(SUFFIX_OPERATORS)
    if text.count('"') % 2:
        state.notes.append(UNCLOSED_QUOTE)
    tokens = list(_lex(text))
    tree, _ = _parse_sequence(tokens, 0, depth=0, state=state)
    tree = _simplify(tree)
    # Only operators or punctuation ("-", "*", "OR") are read as an empty query.
    unsearchable = not tree.children and state.dropped_words
    reading_in = {language: _display(tree, language, top=True) for language in state.languages}
    if unsearchable:
        state.notes.append(NOTHING_SEARCHABLE)
    elif not tree.children and text.strip():
        # "(", "OR", '"', "*": read as the empty query is, which lists every article; said,
        # as the reader typed something. A quote left open had no words to search.
        state.notes = [note for note in state.notes if note != UNCLOSED_QUOTE]
        state.notes.append(NO_WORDS)
    elif tree.children and len(state.languages) > 1:
        # "the of and" in an English and Spanish archive: each word a stop word in English,
        # none in Spanish. Only the Spanish articles are searched, and most often none has
        # the words: the reader is told why.
        unread = [language for language, reading in reading_in.items() if not reading]
        if unread:
            names = ", ".join(language_name(lang) for lang in unread)
            state.notes.append(
                f"no word of the query is searchable in {names} (very common words are not "
                f"indexed), so articles in {names} were not searched"
            )
    return ParsedQuery(
        tree=tree,
        display=_readings(reading_in),
        languages=state.languages,
        notes=state.notes,
        unsearchable=unsearchable,
    )


def _address_words(text: str) -> str | None:
    """The words of a pasted address's last part (its slug, which most sites make of the
    title: ".../internet-watchdog-finds-flaw/"), when the query is one http(s) address
    ending in words: articles do not hold their own addresses."""
    address = text.strip()
    if not _ADDRESS_RE.fullmatch(address):
        return None
    words = " ".join(_SLUG_WORD_RE.findall(unquote(url_slug(address) or "")))
    return words if any(char.isalpha() for char in words) else None


@dataclass
class _ParseState:
    languages: tuple[str, ...]
    prefixes_left: int = MAX_PREFIXES
    notes: list[str] = field(default_factory=list)
    dropped_words: bool = False  # a word or phrase with no term in any language was left out

    def note(self, note: str) -> None:
        """Say ``note`` once, however many parts of the query it is about."""
        if note not in self.notes:
            self.notes.append(note)

    def note_wildcards(self, text: str, *, phrase: bool = False) -> None:
        """Say that a * or ? before or inside a word, or in quotes, is no wildcard ("*ism",
        "priv?cy", "journalis* arrested"): only a word's end is (word*). A question's "?"
        says nothing."""
        if phrase and "*" in text:
            self.note(f'"{text}": a phrase takes no wildcard; its words were searched as written')
        elif _NOT_A_WILDCARD_RE.search(text):
            self.note(f"“{text}”: only a * at the end of a word is a wildcard; searched as words")

    def keep(self, clause: Clause) -> Clause | None:
        """The clause, or None when it has no term in any of the languages."""
        if any(_analysed_terms(clause, language) for language in self.languages):
            return clause
        # "--" is operators alone, as "-" is: no word was typed.
        self.dropped_words = self.dropped_words or bool(clause.text.strip("-"))
        return None


def _lex(text: str) -> Iterator[tuple[str, dict[str, str | None]]]:
    position = 0
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _LEXER.match(text, position)
        if match is None or match.end() == position:
            # An unbalanced quote, or a character no token starts with: skipped, so the rest
            # is read as if it were not there.
            position += 1
            continue
        position = match.end()
        groups = match.groupdict()
        if groups["phrase"]:
            yield "phrase", groups
        elif groups["lparen"]:
            yield "lparen", groups
        elif groups["rparen"]:
            yield "rparen", groups
        else:
            yield "word", groups


MAX_DEPTH = 32


def _parse_sequence(
    tokens: list[tuple[str, dict[str, str | None]]],
    start: int,
    depth: int,
    state: _ParseState,
    fields: tuple[str, ...] | None = None,
) -> tuple[Group, int]:
    """Parse until a closing bracket or the end; returns the group and the next index.
    ``fields``: those its words and phrases are searched in when they name none
    (``title:(a b)``); None: every field a plain word searches.

    As in web search engines, ``OR`` binds tighter than the implicit AND:
    ``cambodia OR laos elections`` means ``(cambodia OR laos) AND elections``.
    """
    items: list[Clause | Group] = []
    index = start
    negate_next = False
    or_pending = False

    def add(node: Clause | Group | None) -> None:
        nonlocal negate_next, or_pending
        if node is None:
            return
        node.negated = node.negated or negate_next
        negate_next = False
        if or_pending and items and not node.negated and not items[-1].negated:
            previous = items.pop()
            if isinstance(previous, Group) and previous.any_of:
                previous.children.append(node)
                node = previous
            else:
                node = Group(children=[previous, node], any_of=True)
        elif or_pending:
            state.note(EXCLUSION_IN_OR)
        or_pending = False
        items.append(node)

    while index < len(tokens):
        kind, groups = tokens[index]
        index += 1
        if kind == "rparen":
            if depth > 0:
                break
            continue  # an unmatched ")" is ignored
        if kind == "lparen":
            field_name = groups["group_field"]
            named, not_a_field = _fields_for(field_name)
            if not_a_field is not None:  # "country:(…)": a word, as "country:" alone is
                add(_word_clause(field_name, "", False, state, fields))
            if depth >= MAX_DEPTH:
                continue  # absurd nesting: read the words, ignore the brackets
            inner_fields = named if field_name is not None and not_a_field is None else fields
            inner, index = _parse_sequence(tokens, index, depth + 1, state, inner_fields)
            inner.negated = bool(groups["neg_group"])
            if inner.children:
                add(_simplify(inner))
            elif inner_fields is not fields:  # "title:()": read as "title:" alone is
                add(_word_clause(field_name, "", False, state, fields))
            continue
        if kind == "phrase":
            add(_phrase_clause(groups, state, fields))
            continue
        word_text = groups["word_text"] or ""
        field_name = groups["word_field"]
        negated = bool(groups["neg_word"])
        if field_name is None and not negated:
            if word_text in OR_OPERATORS:
                or_pending = bool(items)
                continue
            if word_text == "AND":
                continue
            if word_text == "NOT":
                negate_next = True
                continue
            if word_text.lower() == "or" and items and index < len(tokens):
                # Between two words, a reader may mean OR: say how to write it.
                state.note(LOWERCASE_OR)
        add(_word_clause(field_name, word_text, negated, state, fields))
    return Group(children=items), index


def _fields_for(
    field_name: str | None, group_fields: tuple[str, ...] | None = None
) -> tuple[tuple[str, ...], str | None]:
    """The fields a clause searches (``group_fields`` when it names none and is in brackets
    after a field name), and the text to prepend when the name is not a field ("http:",
    "10:" are text, not fields)."""
    if field_name is None:
        return group_fields or tuple(FIELD_BOOSTS), None
    known = NAMED_FIELDS.get(field_name.lower())
    if known is None:
        return group_fields or tuple(FIELD_BOOSTS), field_name
    return known, None


def _note_filter_name(field_name: str | None, value: str, state: _ParseState) -> None:
    """Say that ``field_name:value`` names no field of the query, and was searched as a
    phrase; not when a space follows the colon ("Syria: journalists detained", a
    headline)."""
    name = (field_name or "").lower()
    if not value:
        return
    parameter = FILTER_NAMES.get(name)
    if parameter is not None:
        note = (
            f"“{name}:” is a filter, not a field of the query: use the "
            f"{parameter} parameter; it was searched as a phrase"
        )
        state.note(note)
    elif _FIELD_LIKE_RE.fullmatch(name) and name not in _URL_SCHEMES:
        state.note(
            f"“{name}:” is not a field of the query (title:, author: and tag: are); it was "
            "searched as a phrase"
        )


def _word_clause(
    field_name: str | None,
    text: str,
    negated: bool,
    state: _ParseState,
    group_fields: tuple[str, ...] | None = None,
) -> Clause | None:
    fields, prefix_text = _fields_for(field_name, group_fields)
    if prefix_text is not None:
        _note_filter_name(field_name, text, state)
        text = f"{prefix_text} {text}"
    if field_name is not None and prefix_text is None and not text:
        # "title:" with nothing after it: the word itself is what the reader typed.
        fields, text = group_fields or tuple(FIELD_BOOSTS), field_name
        state.note(
            f"“{field_name.lower()}:” has nothing after it, so it was searched as a word: write "
            f"{field_name.lower()}:word"
        )
    if text.endswith("*"):
        # As the index holds words: a hyphenated one's parts joined ("non-prof*"). A ñ is
        # kept for a Spanish reading, each reading folding the prefix as its own articles'
        # words are (``_field_prefix``).
        stem = joined(re.sub(r"[^\w'\-]", "", fold_keeping_enye(text.rstrip("*?"))))
        if stem and state.prefixes_left:  # even one letter: its expansions are bounded
            state.prefixes_left -= 1
            return Clause(fields=fields, text=stem, kind="prefix", negated=negated)
        if stem:
            state.note(TOO_MANY_PREFIXES)
        else:  # "author:*", "*": with no word, no articles to find by it
            state.note(LONE_WILDCARD)
        text = text.replace("*", " ").replace("?", " ")
    state.note_wildcards(text)
    if _ONE_CJK_CHARACTER_RE.fullmatch(text.strip()):
        state.note(
            f"“{text.strip()}”: one Chinese, Japanese or Korean character is found only where it "
            "stands alone; words are indexed by pairs of characters: type two or more"
        )
    return state.keep(Clause(fields=fields, text=text.strip(), kind="word", negated=negated))


def _phrase_clause(
    groups: dict[str, str | None],
    state: _ParseState,
    group_fields: tuple[str, ...] | None = None,
) -> Clause | None:
    fields, prefix_text = _fields_for(groups["phrase_field"], group_fields)
    text = (groups["phrase_text"] or "").strip()
    if prefix_text is not None:
        _note_filter_name(groups["phrase_field"], text, state)
        text = f"{prefix_text} {text}"
    state.note_wildcards(text, phrase=True)
    return state.keep(
        Clause(fields=fields, text=text, kind="phrase", negated=bool(groups["neg_phrase"]))
    )


def _simplify(group: Group) -> Group:
    """Flatten a group whose only child is a non-negated group."""
    while (
        len(group.children) == 1
        and isinstance(group.children[0], Group)
        and not group.children[0].negated
        and not group.negated
    ):
        group = group.children[0]
    return group


def _readings(reading_in: Mapping[str, str]) -> str:
    """How the query reads: the same in every language, or each language's reading
    (``reading_in``: by language, in the query's order), as each searches its own articles
    ("en: periodista | es: periodist")."""
    readings: dict[str, list[str]] = {}
    for language, reading in reading_in.items():
        readings.setdefault(reading, []).append(language)
    if len(readings) == 1:
        return next(iter(readings))
    return " | ".join(
        f"{', '.join(same)}: {reading or '(no searchable word)'}"
        for reading, same in readings.items()
    )


def _display(node: Clause | Group, language: str, top: bool = False) -> str:
    """How a part of the query reads in one language: "" for a part with no term in it (a
    stop word of this language, kept for another), which searches nothing there."""
    if isinstance(node, Clause):
        if node.kind == "prefix":
            body = f"{_field_prefix(node.fields[0], node.text, language)}*"
        else:
            phrase = _analysed_phrase(node, language)
            if not phrase.terms:
                return ""
            # A tag of several words is one term, quoted as it must be written to search it.
            several = len(phrase.terms) > 1 or " " in phrase.terms[0][0]
            body = f'"{_spaced(phrase)}"' if several else phrase.terms[0][0]
        if node.fields != tuple(FIELD_BOOSTS):
            body = f"{node.fields[0]}:{body}"
        return f"NOT {body}" if node.negated else body
    ordered = [c for c in node.children if not c.negated] + [c for c in node.children if c.negated]
    shown = [text for text in (_display(child, language) for child in ordered) if text]
    inner = (" OR " if node.any_of else " AND ").join(shown)
    if not inner:
        return ""
    if node.negated:
        return f"NOT ({inner})"
    return inner if top or len(shown) == 1 else f"({inner})"


def _analysed_terms(clause: Clause, language: str) -> list[str]:
    """The terms a clause searches for in one language, as the index holds them."""
    return [term for term, _ in _analysed_phrase(clause, language).terms]


def _analysed_phrase(clause: Clause, language: str) -> Phrase:
    """The terms of a clause in one language, each with its position from the first, and
    the stop words between them (``Phrase``)."""
    if clause.fields == ("tag",):
        return Phrase(((tag_term(clause.text), 0),) if clause.text.strip() else ())
    return _field_phrase(clause.fields[0], clause.text, language)


def _spaced_parts(clause: Clause, phrase: Phrase | None, language: str) -> Phrase | None:
    """For a word written with hyphens, the phrase its spaced spelling is ("self
    censorship", "right to protest" for "right-to-protest"); None for any other clause."""
    if clause.kind != "word" or clause.fields != tuple(FIELD_BOOSTS):
        return None  # tags and names are matched whole
    if phrase is None or len(phrase.terms) != 1 or "-" not in clause.text:
        return None
    parts = _field_phrase(clause.fields[0], clause.text.replace("-", " "), language)
    return parts if len(parts.terms) > 1 else None


def _spaced(phrase: Phrase) -> str:
    """A phrase as read: its terms and the stop words between them ("right to protest"),
    "?" for a word between them that any word matches (one that folding leaves empty)."""
    shown: list[str] = []
    for word, position, _is_stop_word in phrase.places():
        shown.extend(["?"] * (position - len(shown)))
        shown.append(word)
    return " ".join(shown)


# --- building Whoosh queries ---------------------------------------------------------


class SpacedPhrase(wq.Phrase):
    """A phrase whose words are at given distances: a stop word is not indexed as a term,
    but takes its place, so "right to protest" is "right", then "protest" two positions
    on, with "to" between, at its place in the field's stop words (``stop_word_field``):
    it matches neither "rights, protest" nor "right of protest". ``offsets``: each term's
    position from the first; ``stop_words``: the stop words between, with theirs. The stop
    words add nothing to the score, as in the text they are no terms.

    The parts of a hyphenated word share its position in the index (its stop words among
    them: "right-to-protest" has "to" there). With ``joined`` (a quoted phrase, or a word
    the analyzer splits in several), a word of the phrase may also be at the very position
    of the word before it, unless an earlier word of the phrase is the same (a word is one
    word of the phrase, not two): "self censorship" finds "self-censorship", "covid 19
    pandemic" finds "COVID-19 pandemic" and "right to protest" "right-to-protest", as the
    bare words do. The index does not keep the order of a word's parts ("censorship self"
    finds it too). A hyphenated word's spaced spelling (``HyphenatedWord``) is not
    ``joined``: the word as written is counted on its own."""

    def __init__(
        self,
        fieldname: str,
        phrase: Phrase,
        boost: float = 1.0,
        joined: bool = True,
    ):
        super().__init__(fieldname, [term for term, _ in phrase.terms], boost=boost)
        self.offsets = tuple(position for _, position in phrase.terms)
        self.stop_words = phrase.stop_words
        self.joined = joined

    @property
    def phrase(self) -> Phrase:
        return Phrase(tuple(zip(self.words, self.offsets, strict=True)), self.stop_words)

    def __eq__(self, other: object) -> bool:
        return (
            super().__eq__(other)
            and self.offsets == getattr(other, "offsets", None)
            and self.stop_words == getattr(other, "stop_words", None)
            and self.joined == getattr(other, "joined", None)
        )

    def __hash__(self) -> int:
        return super().__hash__() ^ hash((self.offsets, self.stop_words, self.joined))

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        """Whoosh's spans, each word at its distance from the one before; a stop word's
        in the field's stop words, unscored."""
        reader = searcher.reader()
        spans: Any = None
        places = phrase_places(self.fieldname, self.phrase, searcher.schema)
        joins = joinable([(fieldname, word) for fieldname, word, _, _ in places])
        for index, (fieldname, word, offset, is_stop_word) in enumerate(places):
            if (fieldname, searcher.schema[fieldname].to_bytes(word)) not in reader:
                return NullMatcher()
            term = Unscored(wq.Term(fieldname, word)) if is_stop_word else wq.Term(fieldname, word)
            if spans is None:
                spans = term
                continue
            gap = offset - places[index - 1][2]
            spans = _Followed(spans, term, gap, self.joined and joins[index])
        matcher = spans.matcher(searcher, context)
        return matcher if self.boost == 1.0 else WrappingMatcher(matcher, boost=self.boost)


def phrase_places(fieldname: str, phrase: Phrase, schema: Any) -> list[tuple[str, str, int, bool]]:
    """The words a phrase searched in ``fieldname`` looks for, in order, each with the field
    it is in (a stop word's place is in the field's stop words, ``stop_word_field``), its
    position and whether it is a stop word. An index written before stop words' places
    were indexed (analysis version 14 and older), served until ``advosearch index``
    rebuilds it, has no such field: there, as then, any word is in a stop word's place."""
    stop_words = stop_word_field(fieldname)
    return [
        (stop_words if is_stop_word else fieldname, word, offset, is_stop_word)
        for word, offset, is_stop_word in phrase.places()
        if not is_stop_word or stop_words in schema
    ]


class _Followed(SpanQuery):
    """The spans of ``start`` (the phrase's first words) that ``word`` follows ``gap``
    positions after their last word, or, ``joined``, at its very position (as a hyphenated
    word's parts are). Whoosh's ``SpanNear2`` measures from the whole span, so a word
    anywhere inside it would count as at distance 0."""

    def __init__(self, start: wq.Query, word: wq.Query, gap: int, joined: bool) -> None:
        self.start, self.word, self.gap, self.joined = start, word, gap, joined
        self.q = wq.And([start, word])

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Followed) and (
            (self.start, self.word, self.gap, self.joined)
            == (other.start, other.word, other.gap, other.joined)
        )

    def __hash__(self) -> int:
        return hash((self.start, self.word, self.gap, self.joined))

    def is_leaf(self) -> bool:
        return False

    def children(self) -> list[wq.Query]:
        return [self.start, self.word]

    def apply(self, fn: Any) -> _Followed:
        return _Followed(fn(self.start), fn(self.word), self.gap, self.joined)

    def estimate_size(self, ixreader: Any) -> int:
        return self.q.estimate_size(ixreader)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        context = self._span_context(context)
        return _FollowedMatcher(
            self.start.matcher(searcher, context),
            self.word.matcher(searcher, context),
            self.gap,
            self.joined,
        )


class _FollowedMatcher(SpanWrappingMatcher):
    def __init__(self, start: Any, word: Any, gap: int, joined: bool) -> None:
        self.start, self.word, self.gap, self.joined = start, word, gap, joined
        super().__init__(IntersectionMatcher(start, word))

    def copy(self) -> _FollowedMatcher:
        return _FollowedMatcher(self.start.copy(), self.word.copy(), self.gap, self.joined)

    def replace(self, minquality: float = 0) -> Any:
        return self if self.is_active() else NullMatcher()

    def _get_spans(self) -> list[Span]:
        starts = {span.start for span in self.word.spans()}
        found = set()
        for span in self.start.spans():
            if span.end + self.gap in starts:
                found.add(Span(span.start, span.end + self.gap))
            if self.joined and span.end in starts:
                found.add(Span(span.start, span.end))
        return sorted(found)


class HyphenatedWord(FieldsTerm):
    """A hyphenated word, found written either way: "self-censorship" (the word's own
    term) or "self censorship" (its parts as a phrase, ``spaced``, with the stop words
    between them: "right-to-protest" is "right to protest"). Scored as one BM25F term, as
    Lucene's ``SynonymQuery`` scores synonyms: in each field, the frequencies of both
    spellings are summed, and the rarer spelling does not lend its idf to the other (the
    larger document frequency counts).

    Only the array evaluator (``search_api.matching``) scores it so; Whoosh's own matchers
    find the same articles, scoring the spaced spelling as a phrase."""

    def __init__(self, subqueries: list[wq.Term], spaced: Phrase, boost: float = 1.0) -> None:
        super().__init__(subqueries, boost=boost)
        self.spaced = spaced

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and self.spaced == getattr(other, "spaced", None)

    def __hash__(self) -> int:
        return super().__hash__() ^ hash(self.spaced)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        as_written = FieldsTerm(self.subqueries)
        phrases = [
            SpacedPhrase(t.fieldname, self.spaced, boost=t.boost, joined=False)
            for t in self.subqueries
        ]
        return wq.Or([as_written, *phrases], boost=self.boost).matcher(searcher, context)


def _share_word_frequencies(words: Iterable[list[tuple[str, wq.Query | None]]]) -> None:
    """Gives each word of a query read in several languages its readings in the others
    (``FieldsTerm.other_readings``, ``stop_in``), so that every reading of it is scored
    with one document frequency, the archive's (``scoring.word_frequency``)."""
    for readings in words:
        scored = [query for _, query in readings if isinstance(query, FieldsTerm)]
        stop_in = tuple(language for language, query in readings if query is None)
        for word in scored:
            own = _terms_of(word)
            word.other_readings = tuple(
                dict.fromkeys(terms for other in scored if (terms := _terms_of(other)) != own)
            )
            word.stop_in = stop_in


def _terms_of(word: FieldsTerm) -> tuple[tuple[str, str], ...]:
    return tuple((term.fieldname, term.text) for term in word.subqueries)


class AnyOf(wq.Or):
    """``Or`` that always builds Whoosh's binary tree of union matchers. For indexes under
    5,000 documents Whoosh would otherwise preload a 3+ clause ``Or`` into an array
    matcher, whose block qualities let a top-k skip past real matches when the ``Or`` is
    intersected with another clause (a language filter, or a word): the first page then
    disagrees with the first results of a longer page. Large indexes use the tree anyway."""

    matcher_type = wq.Or.DEFAULT_MATCHER


class _ExcludingMatcher(AndNotMatcher):
    """Whoosh's ``AndNotMatcher`` skips an excluded first document only when both of its
    matchers start on the same document, so stepping through it (as a faceted search does)
    could yield an excluded article first: "cambodia -elections" listed one about the
    elections. Skipping from the start whenever both are active fixes that."""

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class Excluding(wq.AndNot):
    """``a ANDNOT b`` with the corrected matcher."""

    def matcher(self, searcher: Any, context: Any = None) -> AndNotMatcher:
        excluded = self.b.matcher(searcher, searcher.boolean_context())
        return _ExcludingMatcher(self.a.matcher(searcher, context), excluded)


@dataclass
class QueryBuilder:
    """Turns a parsed query into Whoosh queries against one searcher's vocabulary.

    The query is built once per language of ``languages`` (its words analysed as that
    language's articles were) and each version searches the articles of its language; the
    versions are OR'ed, so every article is scored on the same BM25 scale whatever its
    language. Languages whose analysis gives the same query share one version.
    """

    reader: Any  # whoosh IndexReader, for prefix expansion
    languages: tuple[str, ...] = ("en",)
    # Prefixes cut to their most common expansions in a field, and whether a field's terms
    # were read only as far as the first PREFIX_SCAN of them.
    _cut_prefixes: dict[str, bool] = field(default_factory=dict)
    # Past it, prefixes are not expanded (and ``timed_out`` says so); None: no limit.
    deadline: float | None = None
    timed_out: bool = False
    # Prefix expansions and their parts, by what they were worked out for.
    _worked_out: dict[tuple[str, ...], Any] = field(default_factory=dict)
    # While a query is built: each word's readings, by language (None: a stop word there).
    _readings: dict[int, list[tuple[str, wq.Query | None]]] = field(default_factory=dict)

    def build(self, parsed: ParsedQuery, *, any_of: bool = False) -> wq.Query:
        if parsed.unsearchable:
            return wq.NullQuery
        if parsed.is_empty:
            return ALL_ARTICLES
        versions: list[tuple[wq.Query, list[str]]] = []
        self._readings = {}
        for language in self.languages:
            query = self._group(parsed.tree, language, force_any=any_of)
            same = next((v for v in versions if v[0] == query), None)
            if same is not None:
                same[1].append(language)
            else:
                versions.append((query, [language]))
        if len(self.languages) == 1:
            return versions[0][0]  # one language: its articles are the only ones searched
        _share_word_frequencies(self._readings.values())
        in_language = [
            wq.And([query, _in_languages(languages)])
            for query, languages in versions
            if query is not wq.NullQuery
        ]
        if not in_language:
            return wq.NullQuery
        return in_language[0] if len(in_language) == 1 else AnyOf(in_language)

    def _group(self, group: Group, language: str, *, force_any: bool = False) -> wq.Query:
        """The query for a group; with ``force_any`` (any-word mode), its positive parts
        and theirs, bracketed groups included, are OR'ed: a bracketed remark in a sentence
        is more words of it, not a part that must match whole. Exclusions stay as typed."""
        positive_nodes = [c for c in group.children if not c.negated]
        positives = [self._node(c, language, force_any=force_any) for c in positive_nodes]
        negatives = [self._node(c, language) for c in group.children if c.negated]
        # A word with no term in this language (one of its stop words) constrains nothing,
        # unless it is all the query asks for.
        negatives = [q for q in negatives if q is not None and q is not wq.NullQuery]
        if positive_nodes and all(q is None for q in positives):
            return wq.NullQuery
        positives = [q for q in positives if q is not None]
        # A part that can match nothing (a prefix no word starts with) excludes nothing,
        # drops out of an OR, and makes an AND match nothing: it must not be ignored there.
        matchable = [q for q in positives if q is not wq.NullQuery]
        if not positives:
            combined = ALL_ARTICLES  # only exclusions: they apply to every article
        elif group.any_of or force_any:
            # Any-word mode still prefers articles that match more of the words.
            combined = AnyOf(matchable) if matchable else wq.NullQuery
        else:
            combined = wq.And(positives) if len(matchable) == len(positives) else wq.NullQuery
        if combined is wq.NullQuery:
            return combined
        if negatives:
            combined = Excluding(combined, AnyOf(negatives))
        return combined

    def _node(
        self, node: Clause | Group, language: str, *, force_any: bool = False
    ) -> wq.Query | None:
        """The query for one part, or None when it has no term in this language."""
        if isinstance(node, Group):
            return self._group(node, language, force_any=force_any)
        # A clause's fields share one analysis (title, headings and body; a named field is
        # alone), so its words are analysed once for all of them.
        phrase = None if node.kind == "prefix" else _analysed_phrase(node, language)
        readings = self._readings.setdefault(id(node), [])
        if phrase is not None and not phrase.terms:
            readings.append((language, None))
            return None
        per_field = [
            q for q in (self._clause(node, name, language, phrase) for name in node.fields) if q
        ]
        if not per_field:
            return wq.NullQuery
        spaced = _spaced_parts(node, phrase, language)
        if spaced and all(isinstance(q, wq.Term) for q in per_field):
            hyphenated = HyphenatedWord(per_field, spaced)
            readings.append((language, hyphenated))
            return hyphenated
        if len(per_field) == 1:
            return per_field[0]
        if all(isinstance(q, wq.Term) for q in per_field):
            word = FieldsTerm(per_field)  # one word in title, headings and body: BM25F
            readings.append((language, word))
            return word
        return AnyOf(per_field)

    def _clause(
        self,
        clause: Clause,
        fieldname: str,
        language: str,
        phrase: Phrase | None,
    ) -> wq.Query | None:
        """One field's query for a clause; ``phrase``: its analysed words with their
        positions (None: a prefix)."""
        boost = FIELD_BOOSTS.get(fieldname, 1.0)
        if fieldname == "tag":
            return wq.Term("tag", tag_term(clause.text), boost=boost)
        if phrase is None:
            return self._prefix(
                fieldname, _field_prefix(fieldname, clause.text, language), boost, language
            )
        if len(phrase.terms) == 1:
            return wq.Term(fieldname, phrase.terms[0][0], boost=boost)
        return SpacedPhrase(fieldname, phrase, boost=boost)

    def _prefix(self, fieldname: str, prefix: str, boost: float, language: str) -> wq.Query | None:
        """A prefix limited to its most frequent expansions, so "a*" cannot blow up."""
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.timed_out = True
            return None
        expansions = self.expansions(fieldname, prefix, language)
        if not expansions:
            return None
        chosen = sorted(expansions)
        if len(chosen) > MAX_PREFIX_EXPANSIONS:
            by_frequency = sorted(expansions.items(), key=lambda item: (-item[1], item[0]))
            chosen = sorted(term for term, _ in by_frequency[:MAX_PREFIX_EXPANSIONS])
            scan_stopped = len(self._scan(fieldname, prefix)) == PREFIX_SCAN
            self._cut_prefixes[prefix] = self._cut_prefixes.get(prefix, False) or scan_stopped
        return AnyOf([wq.Term(fieldname, t) for t in chosen], boost=boost)

    @property
    def expanded_too_much(self) -> list[str]:
        """A note for each prefix searched by its most common words only: one, whichever
        fields (title, headings, body) it was cut in."""
        notes = []
        for prefix, scan_stopped in self._cut_prefixes.items():
            among = (
                f"of the first {PREFIX_SCAN:,} it begins, in alphabetical order"
                if scan_stopped
                else "it begins"
            )
            notes.append(
                f"the prefix {prefix}* matches too many words: "
                f"searched the {MAX_PREFIX_EXPANSIONS} most common {among}"
            )
        return notes

    def expansions(self, fieldname: str, prefix: str, language: str) -> dict[str, int]:
        """The field's terms a prefix reaches, with their document frequencies. The index
        holds stems, so the prefix is also matched against the words as written:
        "surveillance*" must find "surveillance", indexed as "surveil".

        Each part is worked out once per query (which asks again for each field and
        language, for its any-word version and for snippets): looking up each candidate's
        frequency on its own cost 0.4 s for "a*" on a 37,000-article index."""
        key = ("expansions", fieldname, prefix, language)
        if key not in self._worked_out:
            found = dict(self._scan(fieldname, prefix))
            for term in self._written_terms(fieldname, prefix, language):
                # A stem that starts with the prefix was in the scan, unless the scan
                # stopped before it (a prefix of thousands of words).
                if term not in found and not term.startswith(prefix):
                    frequency = self.reader.doc_frequency(fieldname, term)
                    if frequency:
                        found[term] = frequency
            self._worked_out[key] = found
        return self._worked_out[key]

    def _scan(self, fieldname: str, prefix: str) -> dict[str, int]:
        """The field's first ``PREFIX_SCAN`` terms that start with ``prefix``, in order,
        with their document frequencies over every segment: the segments' term lists are
        read as one, so the terms are the same however many segments hold them."""
        key = ("scan", fieldname, prefix)
        if key not in self._worked_out:
            segments = [
                ((text, info.doc_frequency()) for text, info in leaf.iter_prefix(fieldname, prefix))
                for leaf, _offset in self.reader.leaf_readers()
            ]
            found: dict[str, int] = {}
            for text, frequency in heapq.merge(*segments):
                term = text.decode("utf-8")
                if term not in found:
                    if len(found) == PREFIX_SCAN:
                        break
                    found[term] = 0
                found[term] += frequency
            self._worked_out[key] = found
        return self._worked_out[key]

    def _written_terms(self, fieldname: str, prefix: str, language: str) -> set[str]:
        """The terms of the words as written that start with ``prefix``."""
        names_field = fieldname == "author"  # names are analysed alike in every language
        key = ("written", prefix, "" if names_field else language)
        if key not in self._worked_out:
            words: set[str] = set()
            indexed = self.reader.indexed_field_names()
            for word_field in (name for name in SPELLING_FIELDS if name in indexed):
                written = self.reader.expand_prefix(word_field, prefix)
                words.update(islice(_decoded(written), PREFIX_SCAN))
            self._worked_out[key] = {
                term for word in words for term in _field_terms(fieldname, word, language)
            }
        return self._worked_out[key]


def _in_languages(languages: list[str]) -> wq.Query:
    """Articles in one of ``languages``: a filter, adding nothing to the score."""
    terms = [wq.Term("language", language) for language in languages]
    return Unscored(terms[0] if len(terms) == 1 else AnyOf(terms))


def _decoded(terms: Iterable[str | bytes]) -> Iterator[str]:
    return (term if isinstance(term, str) else term.decode("utf-8") for term in terms)


def _field_terms(fieldname: str, text: str, language: str) -> list[str]:
    return [term for term, _ in _field_words(fieldname, text, language)]


def _field_words(fieldname: str, text: str, language: str) -> list[tuple[str, int]]:
    return list(_field_phrase(fieldname, text, language, with_stop_words=False).terms)


def _field_phrase(
    fieldname: str, text: str, language: str, *, with_stop_words: bool = True
) -> Phrase:
    """The terms of ``text`` as a query searches the field, each with its position from
    the first, and ``with_stop_words`` the stop words between the first and the last."""
    analyzer = _field_analyzer(fieldname, language)
    tokens = [(t.text, t.pos) for t in analyzer(text, positions=True, mode="query")]
    if not tokens:
        return Phrase(())
    first, last = tokens[0][1], tokens[-1][1]
    terms = tuple((term, position - first) for term, position in tokens)
    if not with_stop_words or last - first + 1 == len(tokens):
        return Phrase(terms)  # no place between its terms is left to a stop word
    stop_words = (
        (word, position - first)
        for word, positions in analyzer.stop_positions(text, compounds=False).items()
        for position in positions
        if first < position < last
    )
    return Phrase(terms, tuple(sorted(stop_words, key=lambda word: word[1])))


def _field_analyzer(fieldname: str, language: str) -> ArchiveAnalyzer:
    return names_analyzer() if fieldname == "author" else analyzer_for(language)


def _field_prefix(fieldname: str, prefix: str, language: str) -> str:
    """A prefix clause's text as the field folds its words in ``language``: a Spanish
    text field keeps ñ ("peñ*" reaches "peña", not "penal"; "pen*" reaches both, as a
    Spanish word with ñ is indexed without it too), names, tags and other languages fold
    it (``fold``), as they were indexed."""
    if fieldname == "tag":
        return fold(prefix)
    return fold_for(_field_analyzer(fieldname, language).language)(prefix)


@dataclass(frozen=True)
class Highlights:
    """What snippets mark in an article of one language: the words that analyse to one of
    ``terms`` wherever they are, and the words of ``phrases`` where they make the phrase,
    as the query matched them ("press freedom" marks no "press" alone)."""

    terms: frozenset[str]
    phrases: tuple[Phrase, ...]


def highlights(parsed: ParsedQuery, language: str) -> Highlights:
    """What snippets mark for every positive text clause, in an article of ``language``."""
    terms: set[str] = set()
    phrases: list[Phrase] = []
    for clause in parsed.positive_clauses():
        if clause.fields == ("tag",) or clause.fields == ("author",):
            continue
        if clause.kind == "prefix":
            continue
        phrase = _field_phrase("body", clause.text, language)
        if len(phrase.terms) == 1:
            terms.add(phrase.terms[0][0])
        elif phrase.terms:
            phrases.append(phrase)
        # A hyphenated word also matches its parts written apart, as a phrase.
        spaced = _spaced_parts(clause, phrase, language)
        if spaced:
            phrases.append(spaced)
    return Highlights(frozenset(terms), tuple(dict.fromkeys(phrases)))


def highlight_prefixes(parsed: ParsedQuery, language: str) -> list[str]:
    """The prefixes snippets mark in an article of ``language``, as its words are folded."""
    return [
        _field_prefix("body", c.text, language)
        for c in parsed.positive_clauses()
        if c.kind == "prefix"
    ]
