"""How an article's score is computed from its words: In_expB2 over article documents.

The model is In_expB2, of Amati and van Rijsbergen's divergence from randomness framework
("Probabilistic models of information retrieval based on measuring the divergence from
randomness", 2002), with its default c = 1, as Terrier ships it. A word's score in an
article is ``w * tfn / (tfn + 1)``:

* ``tfn``, the normalised frequency ("normalisation 2"): each field's frequency times
  ``log2(1 + c * average length / length)``, times the field's weight, summed over the
  fields the word is searched in (the per-field normalisation of Macdonald, Plachouras, He
  and Ounis, 2005, "In_expB2F"): a mention in a short title counts more than one in a long
  body, and a word's mentions in title and body are saturated once, not twice.
* ``w = (F + 1) / n * log2((N + 1) / (n_e + 0.5))``: ``log2(...)`` is the informative
  content of the word: N articles, n of them with the word, F its mentions in all of them,
  ``n_e = N * (1 - (1 - 1/N) ** F)`` the articles F mentions thrown at random would reach.
  The Bernoulli after-effect ``(F + 1) / n`` weighs a word by how often an article that has
  it repeats it: a topic is written about at length, a passing word is mentioned once.

Measured beside BM25F (k1 = 2.0, b = 0.75, the same fields and weights), through
``advosearch eval``: see the README's "Ranking quality".

Whoosh's scorers take their statistics from every document in the index. This index also
holds one section document per section (with no text fields), so there the article count
N would count sections too, and the average field length would be divided by them: every
article would look several times longer than average, and long articles would be penalised
for it. This model counts article documents only.

Requests are scored on arrays with this model's formulas (``search_api.matching``); the
Whoosh matchers here are the reference the tests compare those scores with. Their scores
stay monotonic in each field's term weight, so a Whoosh top-k search over them, which
skips blocks of postings that cannot reach the top k, ranks as a full evaluation does.
"""

from __future__ import annotations

from functools import reduce
from math import expm1, inf, log, log1p, log2
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching import Matcher, NullMatcher, UnionMatcher, WrappingMatcher
from whoosh.query.compound import CompoundQuery
from whoosh.scoring import BaseScorer, WeightingModel, WeightLengthScorer, WeightScorer

from indexer.schema import ARTICLE


def bm25_idf(articles: int, df: int) -> float:
    """The usual BM25 idf, ``log(1 + (N - n + 0.5) / (n + 0.5))`` (always positive): how
    distinctive a word is, for choosing an article's key terms."""
    return log(1 + (articles - df + 0.5) / (df + 0.5))


class ArticleDFR(WeightingModel):
    """In_expB2 with article-only statistics; per-field normalisation for a word searched
    in several fields."""

    def __init__(self, c: float = 1.0) -> None:
        self.c = c

    def supports_block_quality(self) -> bool:
        return True

    def term_weight(self, articles: int, df: int, frequency: float) -> float:
        """``w``: what a word is worth, from N, n and F (see the module's docstring)."""
        df = max(df, 1)
        expected = articles * -expm1(frequency * log1p(-1 / articles)) if articles > 1 else 1.0
        return (frequency + 1) / df * log2((articles + 1) / (expected + 0.5))

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> BaseScorer:
        if not searcher.schema[fieldname].scorable:
            return WeightScorer.for_(searcher, fieldname, text)
        # Collection statistics come from the top searcher, so every segment scores alike.
        parent = searcher.get_parent()
        weight = self.term_weight(
            article_count(parent),
            parent.doc_frequency(fieldname, text),
            parent.frequency(fieldname, text),
        )
        average = field_average(parent, fieldname)
        return _TermScorer(searcher, fieldname, text, weight, average, self)

    def fields_matcher(self, searcher: Any, terms: list[wq.Term]) -> Matcher:
        """One word in several fields (``Term``s whose boosts are the field weights), its
        fields' normalised frequencies summed and saturated once."""
        parent = searcher.get_parent()
        parts, df, frequency = [], 0, 0.0
        for term in terms:
            text = searcher.schema[term.fieldname].to_bytes(term.text)
            # The article's document frequency: at least the largest of its fields', in the
            # whole index, whatever this segment holds.
            df = max(df, parent.doc_frequency(term.fieldname, text))
            frequency += parent.frequency(term.fieldname, text)
            if (term.fieldname, text) not in searcher.reader():
                continue
            matcher = searcher.postings(term.fieldname, text, weighting=_NormalisedFrequency(self))
            parts.append(WrappingMatcher(matcher, boost=term.boost))
        if not parts:
            return NullMatcher()
        weight = self.term_weight(article_count(parent), df, frequency)
        return _Saturated(reduce(UnionMatcher, parts), weight)

    # The same formulas over arrays, for search_api.matching, which scores whole posting
    # lists at once. Written in the scalar scorers' order of operations, so both give the
    # same floats.

    def term_scores(
        self, frequencies: np.ndarray, lengths: np.ndarray, weight: float, average_length: float
    ) -> np.ndarray:
        """One field's scores: its normalised frequencies, saturated."""
        return self.saturate(
            self.normalised_frequencies(frequencies, lengths, average_length), weight
        )

    def normalised_frequencies(
        self, frequencies: np.ndarray, lengths: np.ndarray, average_length: float
    ) -> np.ndarray:
        return frequencies * np.log2(1 + self.c * average_length / np.maximum(lengths, 1))

    def saturate(self, frequencies: np.ndarray, weight: float) -> np.ndarray:
        return weight * frequencies / (frequencies + 1)

    def normalised_frequency(self, frequency: float, length: float, average_length: float) -> float:
        return frequency * log2(1 + self.c * average_length / max(length, 1))


class _TermScorer(WeightLengthScorer):
    def __init__(
        self,
        searcher: Any,
        fieldname: str,
        text: str,
        weight: float,
        average_length: float,
        model: ArticleDFR,
    ) -> None:
        self.term_weight, self.average_length, self.model = weight, average_length, model
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        tfn = self.model.normalised_frequency(weight, length, self.average_length)
        return self.term_weight * tfn / (tfn + 1)


class _NormalisedFrequency(WeightingModel):
    """A field's normalised frequency, summed over fields before saturation."""

    def __init__(self, model: ArticleDFR) -> None:
        self.model = model

    def scorer(self, searcher: Any, fieldname: str, text: str, qf: int = 1) -> BaseScorer:
        parent = searcher.get_parent()
        average_length = field_average(parent, fieldname)
        return _FrequencyScorer(searcher, fieldname, text, average_length, self.model)


class _FrequencyScorer(WeightLengthScorer):
    def __init__(
        self, searcher: Any, fieldname: str, text: str, average_length: float, model: ArticleDFR
    ) -> None:
        self.average_length, self.model = average_length, model
        self.setup(searcher, fieldname, text)

    def _score(self, weight: float, length: int) -> float:
        return self.model.normalised_frequency(weight, length, self.average_length)


class _Saturated(WrappingMatcher):
    """The saturation of a summed, normalised frequency ``x``: ``w * x / (x + 1)``.
    Increasing in ``x``, so a quality bound on the child maps to one on the score, and a
    minimum score maps back to a minimum ``x``."""

    def __init__(self, child: Matcher, weight: float) -> None:
        super().__init__(child)
        self.term_weight = weight

    def _saturate(self, x: float) -> float:
        return self.term_weight * x / (x + 1)

    def _frequency_for(self, score: float) -> float:
        ceiling = self.term_weight
        return inf if score >= ceiling else score / (ceiling - score)

    def copy(self) -> _Saturated:
        return _Saturated(self.child.copy(), self.term_weight)

    def _replacement(self, newchild: Matcher) -> _Saturated:
        return _Saturated(newchild, self.term_weight)

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
    field's weight. Scored as one term by ``ArticleDFR``; as an OR of its fields by
    any other weighting model."""

    JOINT = " | "

    def matcher(self, searcher: Any, context: Any = None) -> Matcher:
        model = context.weighting if context is not None else searcher.weighting
        if not isinstance(model, ArticleDFR):
            return wq.Or(self.subqueries, boost=self.boost).matcher(searcher, context)
        matcher = model.fields_matcher(searcher, list(self.subqueries))
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


def article_count(searcher: Any) -> int:
    # Includes deleted articles until their segment is merged, as the term statistics do.
    return max(1, searcher.doc_frequency("kind", ARTICLE))


def field_average(searcher: Any, fieldname: str) -> float:
    """A field's average length over articles (1 when no article has it)."""
    return searcher.field_length(fieldname) / article_count(searcher) or 1.0


# The searcher's weighting: the engine opens every snapshot with it.
RANKING = ArticleDFR()
