"""The Whoosh schema: one index holding two kinds of documents.

* Article documents (``kind=article``): one per article, with all its text in ``title``,
  ``heading`` and ``body``, and its metadata. Queries, ranking, ``total``, paging and
  facets run on these, so each article counts once and a top-k stays a top-k.
* Section documents (``kind=section``): one per section, with the article's id and the
  section's own heading, anchor, position and text, so a hit knows the section it came
  from. Matched sections and snippets are computed on these, only for the page's articles.
  They are written right after their article, in order (``indexer.build``), and found
  there (``search_api.engine.Snapshot.sections_of``).

Only article documents have text fields, so a user query never matches a section document,
and BM25 statistics (document frequency, average length) are those of articles.
Both kinds carry ``article_id`` and ``source_file``, so re-indexing a file replaces all its
documents in one commit.

Every language shares the text fields: each article's text is analysed in its own language
(see ``indexer.analysis.TextIn``), and ``language`` says which. Translations of one story
share a ``translation`` key, by which search shows them as one result.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh.analysis import Composable
from whoosh.fields import (
    DATETIME,
    ID,
    KEYWORD,
    NUMERIC,
    STORED,
    TEXT,
    FieldType,
    Schema,
    SpellField,
)
from whoosh.formats import Positions

from indexer.analysis import analyzer_for, names_analyzer, tag_analyzer

ARTICLE = "article"
SECTION = "section"


class SpelledText(TEXT):
    """A text field whose words as written (folded, not stemmed) are also indexed, in
    ``spell_<name>``, for "did you mean" and whole-word prefixes. ``reader.frequency`` of a
    word there is the number of documents that have it.

    ``indexer.writing.ArchiveWriter`` writes those words, once per segment with their
    count; Whoosh's own writer would write each once per document (``spelling=True``)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(spelling=True, **kwargs)

    def separate_spelling(self) -> bool:
        return False  # Whoosh's writer leaves the words to ArchiveWriter

    def index(self, value: Any, **_kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        """What Whoosh's ``TEXT.index`` gives (each term's positions, a weight of one per
        occurrence), from the analyzer's ``term_positions``: Whoosh would take a ``Token``
        per word from the analyzer, which cost more than finding the words."""
        boost, encode = self.format.field_boost, self.format.encode
        for term, positions in self.analyzer.term_positions(value).items():
            yield term.encode("utf-8"), len(positions), len(positions) * boost, encode(positions)

    def spellable_words(self, value: Any) -> list[str]:
        return sorted(self.analyzer.written_words(value))

    def subfields(self) -> Iterator[tuple[str, FieldType]]:
        yield "", self
        yield self.spelling_prefix, SpellField(self.analyzer)


class StopWordPlaces(FieldType):
    """Where a text field's stop words are: each stop word (folded, as the stop list writes
    it) with its positions in the field, counted as the field counts them. A phrase's stop
    word must be at its place there ("right to protest" is not "right of protest", nor
    "rights, protest"); the text field itself does not index stop words, which would weigh
    on its terms' ranking and lengths.

    Positions only: unscored, so it has no lengths, and no query word is ranked by it."""

    def __init__(self, analyzer: Composable) -> None:
        super().__init__(format=Positions(), analyzer=analyzer, scorable=False)

    def index(self, value: Any, **_kwargs: Any) -> Iterator[tuple[bytes, int, float, bytes]]:
        encode = self.format.encode
        for word, positions in self.analyzer.stop_positions(value).items():
            yield word.encode("utf-8"), len(positions), float(len(positions)), encode(positions)


# The text fields a phrase is searched in, and where each keeps its stop words' places.
PHRASE_FIELDS = ("title", "heading", "body")


def stop_word_field(fieldname: str) -> str:
    """The field that holds the stop words' places of the text field ``fieldname``."""
    return f"stops_{fieldname}"


# The words as written of titles and bodies (``SpelledText``'s subfields, named with Whoosh's
# spelling prefix): the vocabulary of "did you mean" and of whole-word prefixes.
TITLE_SPELLING_FIELD = "spell_title"
SPELLING_FIELDS = (TITLE_SPELLING_FIELD, "spell_body")


def build_schema(analyzer: Composable | None = None) -> Schema:
    analyzer = analyzer or analyzer_for("en")
    return Schema(
        # Shared by both kinds.
        key=ID(unique=True, stored=True),  # article id, or "article id#anchor" for a section
        kind=ID(stored=True),
        article_id=ID(stored=True),
        source_file=ID(stored=True),
        # Article documents.
        title=SpelledText(analyzer=analyzer, stored=True),
        heading=TEXT(analyzer=analyzer),
        body=SpelledText(analyzer=analyzer),
        # Where their stop words are, for phrases (``StopWordPlaces``).
        **{stop_word_field(name): StopWordPlaces(analyzer) for name in PHRASE_FIELDS},
        # Names are matched word by word, folded but never stemmed.
        author=TEXT(analyzer=names_analyzer()),
        tag=KEYWORD(analyzer=tag_analyzer()),
        source=ID(stored=True, sortable=True),
        language=ID(stored=True, sortable=True),
        translation=ID(stored=True, sortable=True),  # the translation key; absent: none known
        date=DATETIME(sortable=True),
        year=ID(sortable=True),
        # "year" or "month" for a date given only so far (counted on its first day); absent:
        # a whole date, or none. Counts over time say how many of an interval's articles
        # are dated so loosely.
        date_precision=ID(sortable=True),
        meta=STORED(),  # the article's metadata as parsed (url, date, authors, tags, ...)
        file_key=ID(),  # "path\x1fdigest": which version of which file is indexed
        # Section documents: stored, not analysed. A section is matched and snippeted only
        # when its article is on the page, by analysing its stored text then; indexing every
        # section's text a second time would double the cost of a build for no query.
        section_heading=STORED(),
        section_index=NUMERIC(stored=True),
        anchor=STORED(),
        text=STORED(),  # the section's own text, for snippets and the article page
    )


def is_current(schema: Schema) -> bool:
    """Whether an index's schema has this version's fields and analysis: an index written
    by another version would give other terms for the same words."""

    def signature(schema: Schema) -> dict:
        return {
            name: (type(field).__name__, getattr(field, "analyzer", None))
            for name, field in schema.items()
        }

    return signature(schema) == signature(build_schema())
