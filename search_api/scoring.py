"""How an article's score is computed from its words: BM25F over article documents.

Whoosh's ``BM25F`` takes its statistics from every document in the index. This index also
holds one section document per section (with no text fields), so there the article count
N would count sections too, and the average field length would be divided by them: every
article would look several times longer than average, and long articles would be penalised
for it. This model counts article documents only, and uses the usual BM25 idf,
``log(1 + (N - n + 0.5) / (n + 0.5))`` (always positive), instead of Whoosh's
``log(N / (n + 1)) + 1``, which flattens the difference between rare and common words.

A plain word searches the title, headings and body. Scored as three BM25 terms and summed
(an OR of fields), a word found in both title and body would be counted twice, each time
saturated on its own, so articles whose title repeats their first sentence, or a word that
fills a short field, would win. ``FieldsTerm`` scores it as one BM25F term (Robertson and
Zaragoza, "The probabilistic relevance framework: BM25 and beyond", 2009): each field's
length-normalised frequency, times the field's weight, is summed into one frequency, which is
saturated once.

k1 is 2.0, the top of the range the literature recommends (1.2 to 2, b = 0.75: Manning,
Raghavan and Schütze, "Introduction to Information Retrieval", 11.4.3), not Lucene's 1.2: in
BM25F it saturates the weighted sum of the fields' frequencies, and with a title worth 2.5
and headings 1.5, one mention in the title and one in the body already make 3.5, which
k1 = 1.2 counts as 74% of the most a word can give, so further mentions hardly separate
articles. When it was chosen, 2.0 gave Cranfield (titles) an nDCG@10 of 0.3876 against
0.3785, and changed nothing on TIME (no titles).

Requests are scored on arrays with this model's formulas (``search_api.matching``); the
Whoosh matchers here are the reference the tests compare those scores with. Their scores
stay monotonic in each field's term weight, so a Whoosh top-k search over them, which
skips blocks of postings that cannot reach the top k, ranks as a full evaluation does.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from math import inf, log
from typing import Any, TypeVar

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher, UnionMatcher, WrappingMatcher
from whoosh.query.compound import CompoundQuery
from whoosh.scoring import BaseScorer, WeightingModel, WeightLengthScorer, WeightScorer

from indexer.schema import ARTICLE

# One document's value or an array of them: the formulas serve both.
Numbers = TypeVar("Numbers", float, np.ndarray)


def bm25_idf(articles: int, df: int) -> float:
    return log(1 + (articles - df + 0.5) / (df + 0.5))


class ArticleBM25F(WeightingModel):
    """BM25 with article-only statistics; BM25F for a word searched in several fields."""

    def __init__(self, k1: float = 2.0, b: float = 0.75) -> None:
        self.k1, self.b = k1, b

    def supports_block_quality(self) -> bool:
        return True

    def idf(self, searcher: Any, fieldname: str, text: str) -> float:
        parent = searcher.get_parent()
        return bm25_idf(article_count(parent), parent.doc_frequency(fieldname, text))

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> BaseScorer:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        # Collection statistics come from the top searcher, so every segment scores alike.
        parent = searcher.get_parent()
        idf = bm25_idf(article_count(parent), parent.doc_frequency(fieldname, text))
        average = field_average(parent, fieldname)
        return _BM25Scorer(searcher, fieldname, text, idf, average, self)

    def fields_matcher(self, searcher: Any, word: FieldsTerm) -> Matcher:
        """One word in several fields (``Term``s whose boosts are the field weights), scored
        as one BM25F term."""
        parent = searcher.get_parent()
        parts, df = [], 0
        for term in word.subqueries:
            text = searcher.schema[term.fieldname].to_bytes(term.text)
            # The article's document frequency: at least the largest of its fields', in the
            # whole index, whatever this segment holds.
            df = max(df, parent.doc_frequency(term.fieldname, text))
            if (term.fieldname, text) not in searcher.reader():
                continue
            matcher = searcher.postings(term.fieldname, text, weighting=_NormalisedFrequency(self))
            parts.append(WrappingMatcher(matcher, boost=term.boost))
        if not parts:
            return NullMatcher()
        articles = article_count(parent)
        df = word_frequency(word, df, articles, parent.schema, parent.doc_frequency)
        idf = bm25_idf(articles, df)
        return _Saturated(reduce(UnionMatcher, parts), idf, self)

    # The formulas, for one document (Whoosh's scorers here) or for arrays of them
    # (search_api.matching, which scores whole posting lists at once).

    def normalised_frequencies(
        self, weights: Numbers, lengths: Numbers, average_length: float
    ) -> Numbers:
        """A field's frequencies divided by its length normalisation, ``1 - b + b *
        len/avg``: the per-field part of BM25F, summed over fields before saturation."""
        return weights / (1 - self.b + self.b * lengths / average_length)

    def saturate(self, frequencies: Numbers, idf: float) -> Numbers:
        """BM25's saturation of a (summed) normalised frequency ``x``:
        ``idf * (k1 + 1) * x / (k1 + x)``, which is BM25's usual
        ``idf * w * (k1 + 1) / (w + k1 * (1 - b + b * len / avg))`` for one field."""
        return idf * (self.k1 + 1) * frequencies / (self.k1 + frequencies)


class _BM25Scorer(WeightLengthScorer):
    def __init__(
        self,
        searcher: Any,
        fieldname: str,
        text: str,
        idf: float,
        average_length: float,
        model: ArticleBM25F,
    ) -> None:
        self.idf, self.average_length, self.model = idf, average_length, model
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        x = self.model.normalised_frequencies(weight, length, self.average_length)
        return self.model.saturate(x, self.idf)


class _NormalisedFrequency(WeightingModel):
    """A field's normalised frequency (``ArticleBM25F.normalised_frequencies``) as the
    score: summed over fields before saturation."""

    def __init__(self, model: ArticleBM25F) -> None:
        self.model = model

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> BaseScorer:
        parent = searcher.get_parent()
        average_length = field_average(parent, fieldname)
        return _FrequencyScorer(searcher, fieldname, text, average_length, self.model)


class _FrequencyScorer(WeightLengthScorer):
    def __init__(
        self,
        searcher: Any,
        fieldname: str,
        text: str,
        average_length: float,
        model: ArticleBM25F,
    ) -> None:
        self.average_length, self.model = average_length, model
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        return self.model.normalised_frequencies(weight, length, self.average_length)


class _Saturated(WrappingMatcher):
    """The saturation (``ArticleBM25F.saturate``) of a summed, normalised frequency ``x``.
    Increasing in ``x``, so a quality bound on the child maps to one on the score, and a
    minimum score maps back to a minimum ``x``."""

    def __init__(self, child: Matcher, idf: float, model: ArticleBM25F) -> None:
        super().__init__(child)
        self.idf, self.model = idf, model

    def _saturate(self, x: float) -> float:
        return self.model.saturate(x, self.idf)

    def _frequency_for(self, score: float) -> float:
        k1 = self.model.k1
        ceiling = self.idf * (k1 + 1)
        return inf if score >= ceiling else score * k1 / (ceiling - score)

    def copy(self) -> _Saturated:
        return _Saturated(self.child.copy(), self.idf, self.model)

    def _replacement(self, newchild: Matcher) -> _Saturated:
        return _Saturated(newchild, self.idf, self.model)

    def replace(self, minquality: float = 0) -> Matcher:
        child = self.child.replace(self._frequency_for(minquality) if minquality else 0)
        if not child.is_active():
            return NullMatcher()
        return self if child is self.child else self._replacement(child)

    def skip_to_quality(self, minquality: float) -> int:
        return self.child.skip_to_quality(self._frequency_for(minquality))

    def max_quality(self) -> float:
        return self._saturate(self.child.max_quality())

    def block_quality(self) -> float:
        return self._saturate(self.child.block_quality())

    def weight(self) -> float:
        return self.child.weight()

    def score(self) -> float:
        return self._saturate(self.child.score())


class FieldsTerm(CompoundQuery):
    """One word searched in several fields: ``Term``s of the same word, each boosted by its
    field's weight. Scored as one BM25F term by ``ArticleBM25F``; as an OR of its fields by
    any other weighting model.

    A query read in several languages (``search_api.query.QueryBuilder``) gives the word
    its readings in the others: their terms (``other_readings``, each a tuple of (field,
    term) pairs) and the languages it is a stop word of (``stop_in``), which count in its
    document frequency (``word_frequency``)."""

    JOINT = " | "
    other_readings: tuple[tuple[tuple[str, str], ...], ...] = ()
    stop_in: tuple[str, ...] = ()

    def matcher(self, searcher: Any, context: Any = None) -> Matcher:
        model = context.weighting if context is not None else searcher.weighting
        if not isinstance(model, ArticleBM25F):
            return wq.Or(self.subqueries, boost=self.boost).matcher(searcher, context)
        matcher = model.fields_matcher(searcher, self)
        if self.boost != 1.0 and matcher.is_active():
            matcher = WrappingMatcher(matcher, boost=self.boost)
        return matcher


class Unscored(wq.WrappingQuery):
    """A query that restricts matches and adds nothing to their scores (a language filter
    inside a ranked query). Its blocks keep their child's quality, an upper bound, so
    block-max skipping stays correct. A zero boost would not do: Whoosh's union of many
    terms takes a zero score for "no match"."""

    def _rewrap(self, child: wq.Query) -> Unscored:
        return Unscored(child)

    def matcher(self, searcher: Any, context: Any = None) -> Matcher:
        matcher = self.child.matcher(searcher, context)
        return _ZeroScore(matcher) if matcher.is_active() else matcher


class _ZeroScore(WrappingMatcher):
    def _replacement(self, newchild: Matcher) -> _ZeroScore:
        return _ZeroScore(newchild)

    def copy(self) -> _ZeroScore:
        return _ZeroScore(self.child.copy())

    def weight(self) -> float:
        return 0.0

    def score(self) -> float:
        return 0.0


def word_frequency(
    word: FieldsTerm,
    own: int,
    articles: int,
    schema: Any,
    doc_frequency: Callable[[str, bytes], int],
) -> int:
    """The document frequency a word is scored with: ``own``, its terms' (the largest of
    its fields'), and, read in several languages, the articles each other reading finds; a
    stop word of a language counts as a word of every article in it. A word is as common
    as the archive finds it, whatever language reads it: an English word in a Spanish
    passage (a name, a link: "tense-elections") is rare among the Spanish terms, and
    would otherwise outweigh the thousands of English articles that have it; "the" in the
    Spanish reading of an English query would weigh as a rare word. At most ``articles``.
    ``doc_frequency(field, term bytes)``: the whole index's."""
    if not word.other_readings and not word.stop_in:
        return own
    df = own
    for terms in word.other_readings:
        df += max(doc_frequency(field, schema[field].to_bytes(text)) for field, text in terms)
    for language in word.stop_in:
        df += doc_frequency("language", schema["language"].to_bytes(language))
    return min(df, articles)


def article_count(searcher: Any) -> int:
    # Includes deleted articles until their segment is merged, as the term statistics do.
    return max(1, searcher.doc_frequency("kind", ARTICLE))


def field_average(searcher: Any, fieldname: str) -> float:
    """A field's average length over articles (1 when no article has it)."""
    return searcher.field_length(fieldname) / article_count(searcher) or 1.0


# The searcher's weighting: the engine opens every snapshot with it.
RANKING = ArticleBM25F()
