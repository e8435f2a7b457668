"""The analyzer: domain tokens kept whole, folding, stop words, stemming, exceptions."""

import re
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from nltk.stem.snowball import SnowballStemmer

from indexer.analysis import (
    CJK_CHARS,
    Phrase,
    TextIn,
    analyzer_for,
    fold,
    names_analyzer,
    tag_analyzer,
    tag_term,
)
from indexer.languages import STOP_WORDS
from tests.terms import stem_terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("COVID-19", ["covid19"]),
        ("CNRP", ["cnrp"]),
        ("2018", ["2018"]),
        ("Hun Sen's", ["hun", "sen"]),
        ("Hun Sen’s", ["hun", "sen"]),
        ("Lèse Majesté", ["lese", "majest"]),
        ("journalists journalist's", ["journalist", "journalist"]),
        ("3.5 percent", ["3.5", "percent"]),
        # Acronyms with dots are their letters, so "U.N." finds "UN"; never stop words.
        ("U.N. experts", ["un", "expert"]),
        ("the U.S. said", ["us", "said"]),
        ("U.S", ["us"]),
        ("U.K.-based", ["uk", "base"]),
        ("U.S.Army", ["us", "armi"]),
    ],
)
def test_query_terms_keep_domain_tokens_whole(text: str, expected: list[str]) -> None:
    assert stem_terms(text) == expected


def test_compound_parts_are_indexed_at_the_compound_position() -> None:
    tokens = [(t.text, t.pos) for t in analyzer_for("en")("COVID-19 vaccine", positions=True)]
    assert tokens == [("covid19", 0), ("covid", 0), ("19", 0), ("vaccin", 1)]


@pytest.mark.parametrize(
    ("text", "language", "places"),
    [
        ("The right to protest", "en", {"the": [0], "to": [2]}),
        # A hyphenated word's stop words are at its place; "far-right" has none.
        ("a right-to-protest law", "en", {"a": [0], "to": [1]}),
        ("far-right Querdenken protesters", "en", {}),
        ("state-of-the-art", "en", {"of": [0], "the": [0]}),
        ("The U.S. and the EU", "en", {"the": [0, 3], "and": [2]}),  # "U.S." is no "us"
        ("新闻自由 of the press", "en", {"of": [3], "the": [4]}),  # a pair a position
        ("la libertad de expresión y de prensa", "es", {"la": [0], "de": [2, 5], "y": [4]}),
        ("the right to protest", "es", {}),  # each language's own
        ("l'État et la presse", "fr", {"et": [1], "la": [2]}),
    ],
)
def test_stop_words_are_at_the_places_words_are_counted(
    text: str, language: str, places: dict[str, list[int]]
) -> None:
    assert analyzer_for("en").stop_positions(TextIn(text, language)) == places


def test_names_have_no_stop_words() -> None:
    assert names_analyzer().stop_positions("Ana de la Cruz") == {}


def test_query_mode_does_not_split_compounds() -> None:
    assert stem_terms("COVID-19") == ["covid19"]


@pytest.mark.parametrize("numbers", ["9-11", "1-2", "2019-2020"])
def test_a_range_of_numbers_is_not_one_number(numbers: str) -> None:
    # "9-11" is no 911, nor "1-2 months" 12.
    assert stem_terms(numbers) == [numbers]


@pytest.mark.parametrize(
    ("hyphenated", "joined", "language"),
    [
        ("non-profit", "nonprofit", "en"),
        ("re-elections", "reelection", "en"),
        ("cyber-security", "cybersecurity", "en"),
        ("co-founder", "cofounder", "en"),
        ("ex-presidente", "expresidente", "es"),
    ],
)
def test_a_hyphenated_word_is_one_word_with_its_parts_written_together(
    hyphenated: str, joined: str, language: str
) -> None:
    """A reader typing either spelling finds both: archives write both."""

    def terms(text: str) -> list[str]:
        return [token.text for token in analyzer_for(language)(text, mode="query")]

    assert terms(hyphenated) == terms(joined)


def test_character_offsets_point_at_the_original_words() -> None:
    text = "The Lèse Majesté law"
    spans = [text[t.startchar : t.endchar] for t in analyzer_for("en")(text, chars=True)]
    assert spans == ["Lèse", "Majesté", "law"]


def test_function_words_are_dropped_but_meaningful_ones_kept() -> None:
    assert stem_terms("the freedom of the press") == ["freedom", "press"]
    assert stem_terms("not against us without free will") == [
        "not",
        "against",
        "us",
        "without",
        "free",
        "will",
    ]


@pytest.mark.parametrize(
    ("text", "words", "language"),
    [
        # Forms of "to be" and "there is", as English's "is", "are", "were", "there".
        ("¿Dónde están los desaparecidos?", "desaparecidos", "es"),
        ("Los presos estaban aislados y no había abogados", "presos aislados no abogados", "es"),
        ("Hay periodistas que han sido detenidos", "periodistas detenidos", "es"),
        ("Onde estão os jornalistas que foram presos?", "jornalistas presos", "pt"),
    ],
)
def test_auxiliary_verbs_are_stop_words_as_in_english(text: str, words: str, language: str):
    assert stem_terms(text, language) == stem_terms(words, language)


@pytest.mark.parametrize(
    ("word", "other"),
    [
        ("international", "internment"),
        ("internal", "internment"),
        ("international", "intern"),
        ("organization", "organic"),
        ("university", "universal"),
        ("journalism", "journal"),
        ("activism", "active"),
        ("nationalism", "nation"),
        ("extremism", "extreme"),
        ("organized", "organ"),
        ("organised", "organs"),
        ("defendants", "defenders"),
    ],
)
def test_stem_exceptions_keep_unrelated_words_apart(word: str, other: str) -> None:
    assert stem_terms(word) != stem_terms(other)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("organization", "organisations"),
        ("arrested", "arrests"),
        ("internments", "internment"),
        ("nationalisms", "nationalism"),
        ("Journalism's", "journalism"),
        ("NGOs", "NGO"),
        ("ngos", "N.G.O."),
        ("MPs", "MP"),
        ("organised", "organizing"),
        ("defendant", "defendants"),
        ("defenders", "defend"),
    ],
)
def test_inflections_share_a_stem(a: str, b: str) -> None:
    assert stem_terms(a) == stem_terms(b)


@pytest.mark.parametrize(
    ("plural", "singular"),
    [
        # Snowball alone took a consonant-final singular for a verb ("mujer" as "muj",
        # "libertad" as "libert", "ciudad" as "ciud") but stemmed its plural "-es" off.
        ("libertades", "libertad"),
        ("mujeres", "mujer"),
        ("jueces", "juez"),  # z is written c before e
        ("ciudades", "ciudad"),
        ("sociedades", "sociedad"),
        ("autoridades", "autoridad"),
        ("crímenes", "crimen"),
        ("jóvenes", "joven"),
        ("líderes", "líder"),
        ("lugares", "lugar"),
        ("voces", "voz"),
        ("capaces", "capaz"),
        # An -és or -ís singular reads as a plural: its plural is read to the same.
        ("intereses", "interés"),
        ("libaneses", "libanés"),
        ("meses", "mes"),
        ("países", "país"),
        # Short words, whose -s Snowball kept, and plurals it read as verbs.
        ("años", "año"),
        ("otros", "otro"),
        ("gobiernos", "gobierno"),  # "-nos" was taken for a pronoun
        ("últimos", "último"),  # "-imos" for a verb's ending
        ("mínimos", "mínimo"),
        ("ONGs", "ONG"),
        # Pairs Snowball already conflated.
        ("naciones", "nación"),
        ("leyes", "ley"),
        ("derechos", "derecho"),
        ("periodistas", "periodista"),
        ("israelíes", "israelí"),
        ("detenidas", "detenido"),
    ],
)
def test_a_spanish_plural_is_one_word_with_its_singular(plural: str, singular: str) -> None:
    assert stem_terms(plural, "es") == stem_terms(singular, "es")


@pytest.mark.parametrize(
    ("word", "other"),
    [
        # Forms Snowball conflated that stay so, or that Spanish spells apart: a c before
        # e or i is the z of a, o and a word's end.
        ("musulmanes", "musulmana"),
        ("ingleses", "inglesa"),
        ("inglés", "inglesa"),
        ("jueza", "juez"),
        ("realice", "realizar"),
        ("hicieron", "hizo"),
        ("establecimiento", "establecer"),
        ("tecnicismo", "técnico"),
    ],
)
def test_spanish_forms_of_one_word_share_a_stem(word: str, other: str) -> None:
    assert stem_terms(word, "es") == stem_terms(other, "es")


@pytest.mark.parametrize(
    ("word", "other"),
    [
        # A noun in -dad keeps its suffix: the quality or body is not its root word.
        ("autoridad", "autor"),
        ("autoridades", "autores"),
        ("seguridad", "seguro"),
        ("universidad", "universo"),
        ("comunidad", "común"),
        ("humanidad", "humano"),
        ("igualdad", "igual"),
        ("actividad", "activista"),
        ("verdad", "verde"),
        # Words that merely end in -s are no plural of another word.
        ("antes", "ante"),
        ("Dios", "dio"),
        ("tras", "trae"),
        # A plural whose singular Snowball reads as a verb joins no verb's other forms.
        ("militares", "militantes"),
        ("estándares", "estando"),
        ("mínimos", "minas"),
        ("hazaras", "hacer"),
        # Only a c before e or i is a z: "marzo" is no "marco".
        ("marzo", "marco"),
        ("paz", "Paco"),
    ],
)
def test_spanish_words_that_are_not_one_word_stay_apart(word: str, other: str) -> None:
    assert stem_terms(word, "es") != stem_terms(other, "es")


@pytest.mark.parametrize(
    "word",
    [
        *("crisis", "análisis", "tesis", "virus", "país", "mes", "interés", "después"),
        *("antes", "menos", "tres", "seis", "martes", "lunes", "jueves", "dios", "Dios"),
    ],
)
def test_spanish_words_that_merely_end_in_s_keep_their_stem(word: str) -> None:
    """Their term is Snowball's, as before: no rule takes their -s for a plural's."""
    assert stem_terms(word, "es") == [SnowballStemmer("spanish").stem(fold(word))]


@pytest.mark.parametrize(
    ("language", "elided", "word"),
    [
        ("fr", "L'autocensure", "autocensure"),
        ("fr", "d’intimidations", "intimidations"),
        ("fr", "qu'un", "un"),
        ("fr", "jusqu'à", "à"),
        ("it", "dell'informazione", "informazione"),
        ("it", "un'altra", "altra"),
        ("fr", "l'auto-censure", "auto-censure"),
    ],
)
def test_an_elided_article_is_left_out(language: str, elided: str, word: str) -> None:
    assert stem_terms(elided, language) == stem_terms(word, language)


@pytest.mark.parametrize(("language", "word"), [("fr", "aujourd'hui"), ("fr", "presqu'île")])
def test_an_apostrophe_that_elides_no_article_keeps_the_word_whole(
    language: str, word: str
) -> None:
    assert stem_terms(word, language) != stem_terms(word.split("'")[1], language)


@pytest.mark.parametrize(
    ("name", "word"), [("Côte d'Ivoire", "Ivoire"), ("O’Brien", "Brien"), ("L'Aquila", "Aquila")]
)
def test_a_names_particle_is_indexed_with_its_word_alone_too(name: str, word: str) -> None:
    indexed = {token.text for token in analyzer_for("en")(name)}
    assert set(stem_terms(word)) < indexed  # the whole word's term beside it


@pytest.mark.parametrize("contraction", ["we're", "I'll", "you've", "I'd"])
def test_an_english_contraction_is_one_word(contraction: str) -> None:
    assert [token.text for token in analyzer_for("en")(contraction)] == stem_terms(contraction)


@pytest.mark.parametrize(
    ("text", "indexed", "searched"),
    [
        # Spanish's ñ is a letter: "Peña" is searched as written, and indexed without it
        # too, for a reader whose keyboard has none.
        ("Peña", ["peñ", "pen"], ["peñ"]),
        ("AÑO", ["año", "ano"], ["año"]),
        ("Pen\u0303a", ["peñ", "pen"], ["peñ"]),  # written as n and a combining tilde
        ("pena", ["pen"], ["pen"]),
        # A hyphenated word's parts too: "pena" finds "Peña-Gómez".
        ("Peña-Gómez", ["peñagomez", "peñ", "gomez", "penagomez", "pen"], ["peñagomez"]),
        ("detención", ["detencion"], ["detencion"]),  # an accent is still folded
    ],
)
def test_spanish_keeps_its_enye_and_indexes_words_without_it_too(
    text: str, indexed: list[str], searched: list[str]
) -> None:
    analyzer = analyzer_for("es")
    assert [t.text for t in analyzer(text, mode="index")] == indexed
    assert [t.text for t in analyzer(text, mode="query")] == searched


def test_other_languages_fold_enye_as_an_accent() -> None:
    assert [t.text for t in analyzer_for("en")("Peña Nieto")] == ["pena", "nieto"]


def test_fold_lowercases_and_strips_accents() -> None:
    assert fold("Périodistas DETENIDOS") == "periodistas detenidos"


def test_tags_are_split_on_commas_and_folded_like_words() -> None:
    value = "Libertad de Expresión, Straße ,, COVID-19"
    assert [token.text for token in tag_analyzer()(value)] == [
        "libertad de expresion",
        "strasse",
        "covid 19",
    ]
    assert tag_term(" LIBERTAD de expresion ") == "libertad de expresion"
    # A slug of the tag is the tag: a CMS writes both.
    assert tag_term("media-releases") == tag_term("Media  releases") == tag_term("media_releases")


@settings(max_examples=200)
@given(st.text())
def test_analyzer_never_crashes_and_offsets_stay_in_range(text: str) -> None:
    for token in analyzer_for("en")(text, positions=True, chars=True):
        assert 0 <= token.startchar <= token.endchar <= len(text)
        assert token.text


def marked_by_analysing(text: str, wanted: set[str]) -> list[tuple[int, int]]:
    """What a snippet marks, worked out the slow way: every token of indexing analysis."""
    spans: list[tuple[int, int]] = []
    for token in analyzer_for("en")(text, chars=True, mode="index"):
        span = (token.startchar, token.endchar)
        if token.text in wanted and (not spans or spans[-1] != span):
            spans.append(span)
    return spans


@pytest.mark.parametrize(
    ("text", "wanted", "marked"),
    [
        ("Journalists and the journalist's pen", {"journalist"}, ["Journalists", "journalist's"]),
        ("a press-freedom award", {"press"}, ["press-freedom"]),  # marked for its part
        ("pressure on the press", {"press"}, ["press"]),  # not where it is part of a word
        ("a 3.5-fold rise, fold", {"fold"}, ["fold", "fold"]),  # after a number's hyphen
        ("the U.N. and the UN", {"un"}, ["U.N.", "UN"]),
        ("The press", {"the"}, []),  # a stop word gives no term
        ("新闻自由 press", {"自由"}, ["自由"]),  # CJK runs are looked at pair by pair
        ("nothing here", {"journalist"}, []),
    ],
)
def test_marker_marks_the_words_analysed_to_wanted_terms(
    text: str, wanted: set[str], marked: list[str]
) -> None:
    spans = analyzer_for("en").marker(wanted.__contains__).spans(text)
    assert [text[start:end] for start, end in spans] == marked
    assert spans == marked_by_analysing(text, wanted)


def stop_words_by_analysing(text: str) -> dict[tuple[str, int], tuple[int, int]]:
    """Each stop word of ``text`` (a word of the stop list, or a hyphenated word's part
    that is one) at its position, with its token's characters, the slow way: a token
    after another at each step, a CJK run taking a position for each of its pairs."""
    stop_list = STOP_WORDS["en"]
    at: dict[tuple[str, int], tuple[int, int]] = {}
    position = 0
    for start, end in analyzer_for("en")._tokenizer.span_tokenize(text):
        token = text[start:end]
        if re.fullmatch(f"[{CJK_CHARS}]+", token):
            position += max(1, len(token) - 1)
            continue
        if "." not in token:  # an acronym is never a stop word
            words = {fold(token), *(token.split("-") if "-" in token else ())}
            for word in {fold(word) for word in words} & stop_list:
                at[word, position] = (start, end)
        position += 1
    return at


def phrase_marked_by_analysing(text: str, phrase: Phrase) -> set[tuple[int, int]]:
    """Each occurrence of ``phrase``, from its first word to its last, the slow way: the
    positions and characters of every token of indexing analysis, and of every stop word.
    Each word is at its distance from the word before, or, unless an earlier word is the
    same, at its very position (parts of one hyphenated word)."""
    at: dict[tuple[str, bool, int], tuple[int, int]] = {}
    for token in analyzer_for("en")(text, positions=True, chars=True, mode="index"):
        at[(token.text, False, token.pos)] = (token.startchar, token.endchar)
    for (word, position), span in stop_words_by_analysing(text).items():
        at[(word, True, position)] = span
    words = phrase.places()

    def ends(index: int, position: int, begin: int, end: int) -> Iterator[tuple[int, int]]:
        if index == len(words):
            yield begin, end
            return
        (_, previous_offset, _), (word, offset, is_stop) = words[index - 1], words[index]
        places = {position + offset - previous_offset}
        if (word, is_stop) not in [(earlier, stop) for earlier, _, stop in words[:index]]:
            places.add(position)
        for place in places:
            if (word, is_stop, place) in at:
                low, high = at[(word, is_stop, place)]
                yield from ends(index + 1, place, min(begin, low), max(end, high))

    return {
        span
        for (word, is_stop, position), (low, high) in at.items()
        if (word, is_stop) == (words[0][0], False)
        for span in ends(1, position, low, high)
    }


RIGHT_TO_PROTEST = Phrase((("right", 0), ("protest", 2)), (("to", 1),))


@pytest.mark.parametrize(
    ("text", "phrase", "marked"),
    [
        (
            "Press freedom, the press and freedom.",
            Phrase((("press", 0), ("freedom", 1))),
            ["Press freedom"],
        ),
        # The stop word between is marked with the phrase, and only that stop word makes it.
        ("a right to protest; rights, protest", RIGHT_TO_PROTEST, ["right to protest"]),
        ("the right of protest; far-right Querdenken protesters", RIGHT_TO_PROTEST, []),
        ("protects this right. Austerity-related protests", RIGHT_TO_PROTEST, []),
        # A hyphenated word's stop word is at its place, as its other parts are.
        ("a right-to-protest law, right-protest", RIGHT_TO_PROTEST, ["right-to-protest"]),
        ("a right to-protest law", RIGHT_TO_PROTEST, ["right to-protest"]),
        (
            "freedom of the press, freedom of a press",
            Phrase((("freedom", 0), ("press", 3)), (("of", 1), ("the", 2))),
            ["freedom of the press"],
        ),
        # A hyphenated word's parts share its place: the phrase of its parts is there.
        ("human-rights defenders", Phrase((("human", 0), ("right", 1))), ["human-rights"]),
        (
            "human rights, human-rights defenders",
            Phrase((("human", 0), ("right", 1), ("defend", 2))),
            ["human-rights defenders"],
        ),
        # A CJK run's pairs each have their own place.
        ("记者谈新闻自由。自由", Phrase((("新闻", 0), ("闻自", 1), ("自由", 2))), ["新闻自由"]),
        ("press press freedom", Phrase((("press", 0), ("freedom", 1))), ["press freedom"]),
        (
            "新闻自由 press",
            Phrase((("新闻", 0), ("闻自", 1), ("自由", 2), ("press", 3))),
            ["新闻自由 press"],
        ),
    ],
)
def test_marker_marks_a_phrase_where_it_occurs(
    text: str, phrase: Phrase, marked: list[str]
) -> None:
    spans = analyzer_for("en").marker(lambda term: False, [phrase]).spans(text)
    assert [text[start:end] for start, end in spans] == marked
    assert set(spans) == phrase_marked_by_analysing(text, phrase)


# A page's sentences, three times over, among filler: read where its words are when few are
# wanted, token by token when most are.
PRESS_PAGE = " ".join(
    ["Reporters say the press is free; a reporter's press card, press-freedom."] * 3
    + ["Filler words without them."] * 10
)


@pytest.mark.parametrize(
    "words", [["reporters"], ["reporters", "press", "card", "say", "free", "filler", "words"]]
)
def test_marker_marks_words_wanted_seldom_or_often_alike(words: list[str]) -> None:
    wanted = {token.text for word in words for token in analyzer_for("en")(word)}
    marker = analyzer_for("en").marker(wanted.__contains__)
    assert marker.spans(PRESS_PAGE) == marked_by_analysing(PRESS_PAGE, wanted)


# Word characters, the joiners tokens span, CJK (with a CJK punctuation mark), a combining
# accent: the characters where token boundaries are decided.
WORDISH = st.text(alphabet="ab.-'’ 3,\n_éÉ日本語・U\u0301", max_size=40)


@settings(max_examples=300)
@given(texts=st.lists(st.one_of(st.text(max_size=60), WORDISH), max_size=3), data=st.data())
def test_marker_agrees_with_the_analyzer(texts: list[str], data: st.DataObject) -> None:
    terms = sorted({token.text for text in texts for token in analyzer_for("en")(text)})
    wanted = set(data.draw(st.lists(st.sampled_from(terms))) if terms else [])
    # One marker for all the texts, as for a page of results' sections.
    marker = analyzer_for("en").marker(wanted.__contains__)
    assert [marker.spans(text) for text in texts] == [
        marked_by_analysing(text, wanted) for text in texts
    ]


@settings(max_examples=300)
@given(texts=st.lists(st.one_of(st.text(max_size=60), WORDISH), max_size=3), data=st.data())
def test_phrase_marker_agrees_with_the_analyzer(texts: list[str], data: st.DataObject) -> None:
    by_text = [
        [(t.text, t.pos) for t in analyzer_for("en")(text, positions=True)] for text in texts
    ]
    terms = sorted({term for analyzed in by_text for term, _ in analyzed}) or ["press"]
    with_runs = [analyzed for analyzed in by_text if len(analyzed) >= 2]
    if with_runs and data.draw(st.booleans()):
        # Words that follow each other in one of the texts, at their distances, with the
        # text's stop words between them.
        index = data.draw(st.sampled_from([i for i, text in enumerate(by_text) if len(text) >= 2]))
        analyzed = by_text[index]
        first = data.draw(st.integers(0, len(analyzed) - 2))
        run = analyzed[first : first + data.draw(st.integers(2, 3))]
        start, end = run[0][1], run[-1][1]
        stop_words = sorted(
            (word, position - start)
            for word, position in stop_words_by_analysing(texts[index])
            if start < position < end
        )
        phrase = Phrase(
            tuple((term, position - start) for term, position in run), tuple(stop_words)
        )
    else:
        words = data.draw(st.lists(st.sampled_from(terms), min_size=2, max_size=3))
        gaps = data.draw(st.lists(st.integers(0, 2), min_size=len(words), max_size=len(words)))
        offsets = [sum(gaps[1 : i + 1]) for i in range(len(words))]
        # A stop word in some of the places between them.
        between = [p for p in range(1, offsets[-1]) if p not in offsets]
        stop_words = data.draw(st.lists(st.sampled_from(["a", "the"]), max_size=len(between)))
        phrase = Phrase(
            tuple(zip(words, offsets, strict=True)), tuple(zip(stop_words, between, strict=False))
        )
    wanted = set(data.draw(st.lists(st.sampled_from(terms), max_size=2)))
    marker = analyzer_for("en").marker(wanted.__contains__, [phrase])
    for text in texts:
        expected = set(marked_by_analysing(text, wanted)) | phrase_marked_by_analysing(text, phrase)
        assert marker.spans(text) == sorted(expected)


@settings(max_examples=300)
@given(text=st.one_of(st.text(max_size=80), WORDISH), data=st.data())
def test_tokens_at_finds_the_token_starting_at_each_offset(text: str, data: st.DataObject) -> None:
    tokenizer = analyzer_for("en")._tokenizer
    offsets = st.integers(min_value=0, max_value=max(0, len(text) - 1))
    starts = sorted(data.draw(st.lists(offsets, max_size=12)))
    token_starting_at = {start: text[start:end] for start, end in tokenizer.span_tokenize(text)}
    assert list(tokenizer.tokens_at(text, starts)) == [token_starting_at.get(s) for s in starts]


# Every character ``str.split`` splits at (the tokenizer finds tokens between them), and
# the characters where token boundaries are decided.
SPLIT_AT = [chr(code) for code in range(0x110000) if chr(code).isspace()]
SPLIT_TEXT = st.lists(
    st.one_of(st.sampled_from(SPLIT_AT), st.sampled_from("ab.-'’3,_日本語・U\u0301")), max_size=40
).map("".join)


@settings(max_examples=300)
@given(text=st.one_of(st.text(max_size=80), SPLIT_TEXT))
@example(text="U.N.\u2003staff, 3.5\u2028million 日本 語")
def test_tokenizing_chunk_by_chunk_finds_the_tokens_of_the_whole_text(text: str) -> None:
    tokenizer = analyzer_for("en")._tokenizer
    tokens = [text[start:end] for start, end in tokenizer.span_tokenize(text)]
    assert tokenizer.tokenize(text) == tokens
    assert tokenizer.distinct_tokens(text) == set(tokens)


def positions_by_analysing(text: str) -> dict[str, list[int]]:
    positions: dict[str, list[int]] = {}
    for token in analyzer_for("en")(text, positions=True, mode="index"):
        positions.setdefault(token.text, []).append(token.pos)
    return positions


@settings(max_examples=300)
@given(text=st.one_of(st.text(max_size=80), WORDISH))
def test_term_positions_and_written_words_agree_with_the_analyzer(text: str) -> None:
    analyzer = analyzer_for("en")
    assert analyzer.term_positions(text) == positions_by_analysing(text)
    assert analyzer.written_words(text) == {t.text for t in analyzer(text, no_morph=True)}
