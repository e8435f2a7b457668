"""Whole articles and related stories ("more like this" over distinctive terms)."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import islice
from typing import Any, NamedTuple
from urllib.parse import quote

import numpy as np
from whoosh import query as wq
from whoosh.lang.stopwords import stoplists

from indexer.analysis import CJK_CHARS, analyzer_for, fold, fold_for
from indexer.errors import ArticleNotFound, InvalidRequest
from indexer.formats.fields import MAX_ID_CHARS, clean_id
from indexer.languages import DEFAULT_LANGUAGE, STOP_WORDS
from indexer.schema import ARTICLE
from search_api.engine import Snapshot
from search_api.matching import Scored, by_score, evaluate, union
from search_api.query import AnyOf
from search_api.scoring import RANKING, bm25_idf
from search_api.search import article_result, docs_with, translations_of
from search_api.snippets import READ_CHARS_PER_ARTICLE, build_snippet, sections_to_read
from search_api.versions import COPY_RESEMBLANCE, Versions, resemblance

KEY_TERMS = 25
# A text's terms whose distinctiveness is looked up, its most frequent first: a term's
# document frequency costs a look-up in the index's term table (0.03 to 0.1 ms), and a
# draft of 30,000 different words, each written once, took 2 to 4 s on a four-segment
# index. A text's key terms are among the words it repeats: past this many, the words it
# has once are not what it is about.
MAX_CANDIDATE_TERMS = 2_000
# Lucene's MoreLikeThis minTermFreq, where the text has enough such terms: when it writes
# at least ``KEY_TERMS`` distinctive terms this often (a title's words count twice), its
# key terms are taken among those alone. What a long text is about it comes back to; the
# words it writes once are names in a list of signatories, a reference's code, a word of
# an anecdote, and took the places of its topic's words by being rarer in the archive. A
# short text (an alert, a draft's paragraph, a report's passage) repeats few words, and
# says what it is about in words it writes once: all its terms are weighed together.
MIN_TERM_FREQ = 2
# Lucene's maxDocFreqPct: a term in more than this share of the articles in the text's
# language is too common to say what a story is about. The share is of the language's
# articles, the only ones a term of its analysis is found in and the only ones related
# stories are taken from: of an archive half English and half Spanish, "year" is in 16%
# (in 31% of the English articles) and "gobierno" in 21% (43% of the Spanish ones).
MAX_DOC_FREQ_SHARE = 0.25
# A word the articles in other languages write this many times as often as those in the
# text's have its term, article for article, is a quotation in one of them, not a key term
# (see ``key_terms``): on an archive of English and Spanish articles, the Spanish words
# quoted in English texts were written 30 to 1,500 times as often in Spanish ones, and the
# names both write (countries, people, parties) at most 4 times as often.
QUOTED_WORD_RATIO = 10
# A related story shares at least this many of the text's key terms (all of them when it
# has fewer): one word in common is a coincidence of vocabulary as often as a topic, the
# name of two countries' bodies ("NPC"), the one word a stub has. Elasticsearch's
# more_like_this asks for 30% of the terms by default: of 25, eight, which a short passage
# sharing its topic with a long text in a few words would not have.
MIN_SHARED_TERMS = 2
# A language with fewer articles than this does not make its stop words stop words of the
# whole archive (see ``key_terms``), nor are its terms' document frequencies measured
# against its articles alone.
MIN_LANGUAGE_ARTICLES = 50


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words of a language's prose whatever it is about, beside its function words (Snowball's
# stop lists, ``_function_and_general_words``): the commonest verbs of a general frequency
# list in their commonest forms (saying, telling, wanting, needing, making, feeling), and
# adverbs and nouns of time, manner and quantity. Rare in an archive of reports that do not
# write so (Freedom House's), they scored as distinctive words of the stories that do and
# related them by it. Only not key terms: indexed and searched as any word. Folded.
GENERAL_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        """say says said saying tell tells told telling ask asks asked according
        want wants wanted wanting need needs needed needing try tries tried trying
        make makes made making take takes took taken taking get gets got getting
        give gives gave given giving go goes went gone going come comes came coming
        know knows knew known think thinks thought see sees saw seen seeing
        look looks looked looking find finds found use uses used using
        call calls called calling feel feels felt feeling seem seems seemed
        let lets put puts keep keeps kept become becomes became begin began begun
        start starts started show shows showed shown continue continues continued
        include includes included including thank thanks thanked
        may might must would could shall cannot
        also even still just already however although though yet well really often
        always never ever much many every another perhaps almost quite rather
        actually especially particularly usually simply clearly certainly probably
        originally suddenly finally recently currently eventually instead
        like likes liked today yesterday tomorrow way ways thing things lot lots
        something anything everything nothing someone anyone everyone"""
    ),
    "es": _words(
        """dijo dice dicen decir dicho dijeron segun afirmo senalo explico
        quiere quieren querer necesita necesitan hacer hace hacen hizo hecho
        puede pueden pudo podria poder debe deben deberia ir va van
        sigue siguen siguio parece parecen da dan dio ver vez veces
        ademas aunque embargo entonces todavia aun ahora hoy ayer siempre nunca
        cada mismo misma mismos mismas tal tales asi bien solo tambien
        manera forma cosa cosas algo alguien nadie"""
    ),
}
# A result scoring this close to the article itself is a copy of it when their texts are
# (``COPY_RESEMBLANCE``); the best scoring this many are compared.
NEAR_DUPLICATE_RATIO = 0.8
MAX_COPIES_COMPARED = 50
MAX_RELATED = 50  # stories a request for related stories may ask for


def checked_related_limit(limit: int) -> int:
    """``limit`` when a request may ask for that many related stories, else a 400 (as
    every limit of the API is, whether sent in a query string or a body)."""
    if not 1 <= limit <= MAX_RELATED:
        raise InvalidRequest(f"limit must be between 1 and {MAX_RELATED} (got {limit})")
    return limit


# A key term is shown as its commonest word in the text as written, lowercased, without a
# possessive ending: "Cambodia's" is the word "cambodia", "Peña" "peña".
_POSSESSIVE_RE = re.compile(r"['’]s$")
_CJK_RE = re.compile(f"[{CJK_CHARS}]")
_LETTER_RE = re.compile(r"[^\W\d_]")
_HIRAGANA_RE = re.compile("[\u3040-\u309f]")


def article_link(hit: dict[str, Any], base_url: str = "") -> str:
    """Where a reader finds an article: its own URL when it has a safe one, else its page
    here (``article_page``), after ``base_url`` (empty: a link on this site)."""
    url = hit.get("url") or ""
    if url.startswith(("http://", "https://")):
        return url
    return base_url.rstrip("/") + article_page(hit["id"])


def article_page(article_id: str) -> str:
    """The article's page on this site: ``/a/`` and its id, percent-encoded but for "/", as
    the route reads it."""
    return "/a/" + quote(article_id, safe="/")


def get_article(snapshot: Snapshot, article_id: str) -> dict[str, Any]:
    searcher = snapshot.searcher
    docnum = searcher.document_number(key=article_id, kind=ARTICLE)
    if docnum is None and (cleaned := clean_id(article_id)) and cleaned != article_id:
        # As its export wrote it ("Key Developments"), an id is found as it was made one
        # ("Key-Developments").
        docnum = searcher.document_number(key=cleaned, kind=ARTICLE)
    if docnum is None:
        # An id longer than any article's (``clean_id`` cuts them) is quoted by its start: a
        # 5,000-character one was sent back whole.
        quoted = (
            repr(article_id)
            if len(article_id) <= MAX_ID_CHARS
            else f"{article_id[:MAX_ID_CHARS]!r}… ({len(article_id):,} characters)"
        )
        raise ArticleNotFound(f"no article with id {quoted}")
    article = article_result(snapshot.stored_fields(docnum), None)
    del article["score"]
    article["translations"] = translations_of(snapshot, docnum)
    article["sections"] = [
        {"heading": s.get("section_heading") or None, "anchor": s["anchor"], "text": s["text"]}
        for s in snapshot.sections_of(docnum)
    ]
    return article


class KeyTerms(NamedTuple):
    """The most distinctive terms of a text with their weights, best first, and for each
    the word a person reads (its commonest form in the text, as written but lowercase)."""

    terms: list[tuple[str, float]]
    words: dict[str, str]


def key_terms(
    snapshot: Snapshot,
    title: str,
    text: str,
    language: str,
    limit: int = KEY_TERMS,
    *,
    indexed: bool = False,
) -> KeyTerms:
    """The most distinctive terms of a text in ``language``, by tf-idf against the index;
    ``indexed``: the text is an indexed article's, counted in its terms' document
    frequencies.

    A term is a key term when another article has it: one only the article itself has
    relates it to nothing (Lucene's minDocFreq, counting the others). Words the text repeats
    are taken first (``MIN_TERM_FREQ``), and a term in more than ``MAX_DOC_FREQ_SHARE`` of
    the language's articles never.

    The function words of the text's language and of the archive's other languages, and
    the general words of its prose (``GENERAL_WORDS``), are left out, which the indexing
    stop lists, short on purpose, keep: an English article quoting Spanish has "que",
    "sobre" and "durante", rare among English articles, and would be related by them to any
    other article quoting Spanish. A word that is a function word in one language and a word
    in another is lost as a key term where the archive holds both ("war" in an archive with
    German articles, "era" with Spanish ones), a smaller loss than stories related by
    function words."""
    reader = snapshot.searcher.reader()
    analyzer = analyzer_for(language)
    not_key_words = _not_key_words_of(snapshot, language)
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    in_text: set[str] = set()  # the terms of the text, not only of its title
    text = text[:READ_CHARS_PER_ARTICLE]  # what a long story is about shows in its start
    # A text written mostly in other scripts quotes Chinese, Japanese or Korean: an English
    # diary from Wuhan's quotes of Weibo posts, whose pairs ("人民", "可以") only another
    # story quoting Chinese has.
    in_cjk = len(_CJK_RE.findall(text or title)) * 2 > len(_LETTER_RE.findall(text or title))
    for source_text, weight in ((title, 2), (text, 1)):
        for token in analyzer(source_text, chars=True, mode="query"):
            # A number ("2.0", a date "10.01.2020") says what a story is about only beside
            # words, which are its key terms; nor does a word of one or two letters, but for
            # a pair of Chinese, Japanese or Korean characters ("记者", journalist), the terms
            # of those scripts, unless it holds hiragana: Japanese writes its particles and
            # verb endings in it ("され", "した"), the words a story is about in kanji and
            # katakana, and has no stop words here to leave them out.
            if _CJK_RE.search(token.text):
                if not in_cjk or len(token.text) < 2 or _HIRAGANA_RE.search(token.text):
                    continue
            elif len(token.text) < 3 or not any(char.isalpha() for char in token.text):
                continue
            written = _POSSESSIVE_RE.sub("", source_text[token.startchar : token.endchar].lower())
            if fold(written) in not_key_words:
                continue
            counts[token.text] += weight
            surfaces[token.text][written] += 1
            if source_text is text:
                in_text.add(token.text)
    articles = _articles_measured_against(snapshot, language)
    elsewhere = snapshot.postings.article_count(snapshot.searcher) - articles
    fold_word = fold_for(language)
    candidates = []
    # Ties in the order the text has them: the same terms for the same text.
    for term, tf in counts.most_common(MAX_CANDIDATE_TERMS):
        # Document frequencies are of article texts ("body"): an indexed article is one of
        # the articles with a term of its text, not with one only its title has.
        own = 1 if indexed and term in in_text else 0
        df = reader.doc_frequency("body", term)
        if df - own < 1 or df > articles * MAX_DOC_FREQ_SHARE:
            continue
        candidates.append((term, tf, df, (1 + math.log(tf)) * bm25_idf(articles, df)))
    candidates.sort(key=lambda candidate: (-candidate[3], candidate[0]))

    @cache
    def quoted(term: str, df: int) -> bool:
        """Whether the term is a word of another language the text quotes: one the
        archive's articles in other languages write ``QUOTED_WORD_RATIO`` times as often,
        article for article, as those in the text's have its term ("derechos" in an
        English text: in 7,371 articles, 7,361 of them Spanish, where the English term
        "derecho" is in 10). A name is written about as often in each ("México": 125 and
        104). Told only where other languages have articles enough to tell by."""
        if elsewhere < MIN_LANGUAGE_ARTICLES:
            return False
        written = reader.frequency("spell_body", fold_word(surfaces[term].most_common(1)[0][0]))
        return (written - df) / elsewhere > QUOTED_WORD_RATIO * df / articles

    def best(pool: Iterable[tuple[str, int, int, float]]) -> list[tuple[str, float]]:
        unquoted = ((term, weight) for term, _, df, weight in pool if not quoted(term, df))
        return list(islice(unquoted, limit))

    top = best(candidate for candidate in candidates if candidate[1] >= MIN_TERM_FREQ)
    if len(top) < limit:
        top = best(candidates)
    words = {term: surfaces[term].most_common(1)[0][0] for term, _ in top}
    return KeyTerms(top, words)


def _articles_measured_against(snapshot: Snapshot, language: str) -> int:
    """How many articles a term's document frequency is measured against: those in
    ``language``, the only ones its terms are found in and the only ones related stories
    are taken from; the whole archive's when it has fewer than ``MIN_LANGUAGE_ARTICLES``
    in it (none, for a draft's language; a few, where a quarter of them is one or two)."""
    values = snapshot.facet_codes["language"][1]
    if language in values:
        in_language = int(snapshot.language_sizes[values.index(language)])
        if in_language >= MIN_LANGUAGE_ARTICLES:
            return in_language
    # Counted as the term statistics count them: deleted articles too, until merged.
    return snapshot.postings.article_count(snapshot.searcher)


def _not_key_words_of(snapshot: Snapshot, language: str) -> frozenset[str]:
    """The words (folded) that are not key terms of a text in ``language``: its own
    function and general words, and those of the languages other than ``language`` that
    the archive has at least ``MIN_LANGUAGE_ARTICLES`` articles in."""
    codes = np.flatnonzero(snapshot.language_sizes >= MIN_LANGUAGE_ARTICLES)
    values = snapshot.facet_codes["language"][1]
    others = [values[code] for code in codes if code and values[code] != language]
    return frozenset().union(*map(_function_and_general_words, [language, *others]))


@cache
def _function_and_general_words(language: str) -> frozenset[str]:
    """A language's function words, folded: its indexing stop list, and Snowball's fuller
    one (pronouns, prepositions and every form of its auxiliaries: "otro", "sobre",
    "durante", "how", "very", "will"), as Whoosh ships it; and its ``GENERAL_WORDS``."""
    words = STOP_WORDS.get(language, frozenset()) | stoplists.get(language, frozenset())
    return frozenset(map(fold, words | GENERAL_WORDS.get(language, frozenset())))


def related_to_article(
    snapshot: Snapshot,
    article: dict[str, Any],
    limit: int,
    filter_docs: np.ndarray | None = None,
) -> list[dict]:
    """The related stories of an indexed article (as ``get_article`` gives it), among
    ``filter_docs`` when given (``search.allowed_docs``)."""
    text = "\n\n".join(section["text"] for section in article["sections"])
    language = article["language"] or DEFAULT_LANGUAGE
    # A title made up from the text's first words would count them twice, as a title.
    title = "" if article["title_derived"] else article["title"]
    key = key_terms(snapshot, title, text, language, indexed=True)
    return related(
        snapshot,
        title,
        key,
        limit=limit,
        filter_docs=filter_docs,
        self_id=article["id"],
        language=language,
    )


def related(
    snapshot: Snapshot,
    title: str,
    key: KeyTerms,
    *,
    limit: int = 5,
    exclude: set[str] | None = None,
    filter_docs: np.ndarray | None = None,
    self_id: str | None = None,
    language: str = DEFAULT_LANGUAGE,
) -> list[dict[str, Any]]:
    """Articles in ``language`` sharing the most of ``key``, the distinctive terms of a
    text titled ``title`` (analysed in that language); never the article ``self_id``
    itself, nor a copy of it, nor a translation of either."""
    terms, words = key
    if not terms:
        return []
    searcher = snapshot.searcher
    max_weight = terms[0][1]
    # Each term is matched on its own, on whole posting lists as a search is: which terms
    # an article has are its shared terms, and the sum of their scores ranks it.
    matches_of: dict[str, Scored] = {}
    for term, weight in terms:
        boost = weight / max_weight
        in_body_or_title = AnyOf(
            [wq.Term("body", term, boost=boost), wq.Term("title", term, boost=boost)]
        )
        matches_of[term], _ = evaluate(searcher, in_body_or_title, snapshot.postings, RANKING)
    # Key terms are analysed in the article's language: in another language's articles
    # they match only words whose stems happen to be the same ("unitary" and the Spanish
    # "unitario" are both "unitari"). Related stories are in the article's language, the
    # one its readers read and its editor links in; the same stories in other languages
    # are their translations.
    in_language, _ = evaluate(searcher, wq.Term("language", language), snapshot.postings, RANKING)
    # How many of the key terms each article shares: fewer than MIN_SHARED_TERMS, none
    # relates it.
    size = searcher.doc_count_all()
    sharing = union([Scored(m.docs, np.ones(len(m))) for m in matches_of.values()], size)
    sharing_enough = sharing.docs[sharing.scores >= min(MIN_SHARED_TERMS, len(terms))]
    matched = union(list(matches_of.values()), size).within(sharing_enough)
    matched = matched.within(in_language.docs)
    # Copies of the article are the article itself and the articles scoring nearly as high;
    # they and every translation of one of them are left out before the ranking, as are
    # the excluded articles: however many there are, they take no place in the top.
    translation_codes = snapshot.facet_codes["translation"][0]
    # Versions of one text: under one title, with a share of their word sequences in
    # common (``VERSION_RESEMBLANCE`` under a title made up of their first words,
    # ``COPY_RESEMBLANCE`` under a title of their own).
    versions = Versions(snapshot)
    copies: list[int] = []
    own_docnum = None if self_id is None else searcher.document_number(key=self_id, kind=ARTICLE)
    if own_docnum is not None:
        copies.append(own_docnum)
        self_score = _score_of(matched, own_docnum)
        if self_score:
            # Scoring nearly as high as the article, a copy has nearly all its text too:
            # the months of a series of reports score alike, and are each a story.
            close = matched.within(
                matched.docs[matched.scores >= NEAR_DUPLICATE_RATIO * self_score]
            )
            own = versions.shingles_of(own_docnum)
            copies.extend(
                docnum
                for _, docnum in by_score(close, MAX_COPIES_COMPARED)
                if resemblance(own, versions.shingles_of(docnum)) >= COPY_RESEMBLANCE
            )
    copy_keys = {int(code) for code in translation_codes[copies]} - {0}
    unwanted = copies + list(docs_with(searcher, "article_id", exclude or ()))
    candidates = matched.within(filter_docs)
    keep = ~np.isin(candidates.docs, unwanted)
    keep &= ~np.isin(translation_codes[candidates.docs], list(copy_keys))
    candidates = Scored(candidates.docs[keep], candidates.scores[keep])
    own_title = fold(title).strip()
    in_language_docs = np.zeros(len(translation_codes), dtype=bool)
    in_language_docs[in_language.docs] = True
    if own_docnum is not None:
        versions.add(own_docnum)
    out: list[dict[str, Any]] = []
    for score, docnum in _best_first(candidates, limit):
        # A story under the article's title is a copy too: the result's, or one of its
        # translations in the language.
        code = translation_codes[docnum]
        story = np.flatnonzero(in_language_docs & (translation_codes == code)) if code else [docnum]
        if own_title and any(_title_of(snapshot, int(d)) == own_title for d in story):
            continue
        # A version of the article, or of a result listed before it (a report's passage
        # written again year after year), or their boilerplate in another report's words:
        # the first stands for them all.
        if versions.repeat_of(docnum) is not None:
            continue
        versions.add(docnum)
        stored = snapshot.stored_fields(docnum)
        article = article_result(stored, score)
        shared = {t for t, found in matches_of.items() if _score_of(found, docnum) is not None}
        article["shared_terms"] = [words[t] for t, _ in terms if t in shared][:10]
        best = _best_section(snapshot, docnum, shared, article["language"] or DEFAULT_LANGUAGE)
        if best is not None:
            article["sections"] = [best]
        out.append(article)
        if len(out) >= limit:
            break
    return out


def _title_of(snapshot: Snapshot, docnum: int) -> str:
    """An article's title as copies are told by: case, accents and spacing aside; none for
    a title made up from its first words, which passages of one report share."""
    stored = snapshot.stored_fields(docnum)
    if (stored.get("meta") or {}).get("title_derived"):
        return ""
    return fold(stored.get("title", "")).strip()


def _score_of(scored: Scored, docnum: int) -> float | None:
    """The document's score, or None when it is not among the matches."""
    at = int(np.searchsorted(scored.docs, docnum))
    if at < len(scored) and scored.docs[at] == docnum:
        return float(scored.scores[at])
    return None


def _best_first(scored: Scored, first: int) -> Iterator[tuple[float, int]]:
    """``(score, docnum)`` best first, as ``by_score`` ranks them; only the first ``first``
    are ranked until more are asked for (twice as many each time): related stories take a
    few of thousands of matches, and look further only past a copy with the same title."""
    shown, depth = 0, first
    while True:
        ranked = by_score(scored, depth)
        yield from ranked[shown:]
        if len(ranked) < depth:
            return
        shown, depth = len(ranked), depth * 2


def _best_section(
    snapshot: Snapshot, article_docnum: int, terms: set[str], language: str
) -> dict[str, Any] | None:
    best, best_text, best_count = None, "", 0
    for section, text in sections_to_read(snapshot.sections_of(article_docnum)):
        tokens = {t.text for t in analyzer_for(language)(text, mode="query")}
        count = len(tokens & terms)
        if count > best_count:
            best, best_text, best_count = section, text, count
    if best is None:
        return None
    snippet = build_snippet(best_text, terms, language=language)
    return {
        "heading": best.get("section_heading") or None,
        "anchor": best["anchor"],
        "snippet": snippet.render(),
    }
