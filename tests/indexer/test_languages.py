"""Languages: detection, analysis per language, accent folding, translation keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel import Locale
from babel.core import get_global

from indexer.analysis import TextIn, analyzer_for, fold
from indexer.formats import RunContext, parse_file
from indexer.languages import (
    DETECTED_LANGUAGES,
    RIGHT_TO_LEFT,
    article_language,
    detect_language,
    detector,
    likeliest_of,
    translation_key,
)
from tests.terms import stem_terms


def terms(text: str, language: str) -> list[str]:
    return stem_terms(text, language)


class TestDetection:
    @pytest.mark.parametrize(
        ("text", "language"),
        [
            (
                "Police detained two journalists who were covering the protests in the capital.",
                "en",
            ),
            ("La policía detuvo a dos periodistas que cubrían las protestas en la capital.", "es"),
            ("La police a arrêté deux journalistes qui couvraient les manifestations.", "fr"),
            ("Полиция задержала двух журналистов, освещавших протесты в столице.", "ru"),
            (
                "Die Polizei hat zwei Journalisten festgenommen, die über Proteste berichteten.",
                "de",
            ),
            ("اعتقلت الشرطة صحفيين اثنين كانا يغطيان الاحتجاجات في العاصمة", "ar"),
        ],
    )
    def test_detects_the_language_of_a_sentence(self, text: str, language: str):
        assert detect_language(text) == language

    @pytest.mark.parametrize("text", ["", "Hun Sen", "tortura", "2018-07-29 12:00"])
    def test_too_little_text_is_not_guessed(self, text: str):
        assert detect_language(text) is None

    def test_an_english_article_quoting_another_language_stays_english(self):
        quoted = "很多保障民生的措施看起来很好，但是否能够实施是另外一回事。" * 3
        english = (
            "The following post is one in a series of diaries written by an independent "
            "filmmaker living in the city at the centre of the pandemic. "
        ) * 8
        assert detect_language(f"{english}\n\n{quoted}\n\n{english}") == "en"

    def test_metadata_wins_over_detection(self):
        spanish = "La policía detuvo a dos periodistas que cubrían las protestas en la capital."
        assert article_language("pt", spanish, "en") == "pt"
        assert article_language(None, spanish, "en") == "es"
        assert article_language(None, "Hun Sen", "en") == "en"


class TestAnalysisPerLanguage:
    @pytest.mark.parametrize(
        ("language", "inflected", "base"),
        [
            ("es", "periodistas detenidos", "periodista detenido"),
            ("fr", "journalistes arrêtés", "journaliste arrêté"),
            ("ru", "журналисты арестованы", "журналист арестован"),
            ("pt", "jornalistas presos", "jornalista preso"),
            ("de", "Journalisten verhaftet", "Journalist verhaftet"),
            ("en", "journalists arrested", "journalist arrest"),
        ],
    )
    def test_inflected_forms_share_terms(self, language: str, inflected: str, base: str):
        assert terms(inflected, language) == terms(base, language)

    @pytest.mark.parametrize(
        ("language", "accented", "plain"),
        [
            ("fr", "Lèse Majesté", "lese majeste"),
            ("es", "detención", "detencion"),
            ("es", "Ramírez", "RAMIREZ"),
            ("de", "Über", "uber"),
            ("pt", "ação", "acao"),
        ],
    )
    def test_accents_fold(self, language: str, accented: str, plain: str):
        assert terms(accented, language) == terms(plain, language)

    @pytest.mark.parametrize(
        ("language", "journalists", "other"),
        [
            ("es", "periodistas", "periódicos"),
            ("es", "periodista", "períodos"),
            ("fr", "journalistes", "journaux"),
            ("pt", "jornalistas", "jornal"),
            ("it", "giornalisti", "giornale"),
        ],
    )
    def test_journalists_are_not_newspapers(self, language: str, journalists: str, other: str):
        assert terms(journalists, language) != terms(other, language)
        assert terms(journalists, language) == terms(journalists[:-1], language)

    @pytest.mark.parametrize(
        ("language", "word", "other"),
        [
            ("es", "Senado", "Sen"),  # not Hun Sen
            ("es", "derecha", "derechos"),  # the political right is not rights
            ("es", "derechistas", "derecho"),
        ],
    )
    def test_stem_exceptions_keep_unrelated_words_apart(self, language: str, word: str, other: str):
        assert terms(word, language) != terms(other, language)

    def test_russian_short_i_is_a_letter_not_an_accent(self):
        assert fold("Новый") == "новый"
        assert terms("новый новая", "ru") == ["нов", "нов"]

    def test_yo_folds_to_ye(self):
        assert terms("ёлка", "ru") == terms("елка", "ru")

    @pytest.mark.parametrize(
        ("language", "text", "kept"),
        [
            ("es", "el derecho de las mujeres", ["derech", "muj"]),
            ("es", "sin libertad no hay democracia", ["sin", "libertad", "no", "democraci"]),
            ("fr", "la liberté de la presse", ["libert", "press"]),
            ("fr", "sans procès", ["san", "proc"]),
            ("ru", "не свобода", ["не", "свобод"]),
        ],
    )
    def test_stop_words_per_language_keep_meaningful_words(
        self, language: str, text: str, kept: list[str]
    ):
        assert terms(text, language) == kept

    def test_text_in_says_its_language_to_the_analyzer(self):
        analyzer = analyzer_for("en")
        spanish = [token.text for token in analyzer(TextIn("los periodistas", "es"))]
        english = [token.text for token in analyzer("los periodistas")]
        assert spanish == ["periodist"]
        assert english == ["los", "periodista"]

    def test_text_in_keeps_its_language_when_pickled(self):
        # Documents are pickled on their way to the processes that write the index.
        import pickle

        restored = pickle.loads(pickle.dumps(TextIn("hola", "es")))
        assert restored == "hola" and restored.language == "es"

    def test_chinese_is_indexed_as_character_pairs(self):
        tokens = analyzer_for("zh")("记者被捕", chars=True)
        assert [(t.text, t.startchar, t.endchar) for t in tokens] == [
            ("记者", 0, 2),
            ("者被", 1, 3),
            ("被捕", 2, 4),
        ]

    def test_japanese_next_to_latin_words_is_split_from_them(self):
        assert terms("COVID-19の記者", "ja") == ["covid19", "の記", "記者"]


class TestTranslationKeys:
    @pytest.mark.parametrize(
        ("article_id", "language", "key"),
        [
            ("fiw_en/fiw-AFG-2017-Overview-1", "en", "fiw/fiw-AFG-2017-Overview-1"),
            ("fiw_es/fiw-AFG-2017-Overview-1", "es", "fiw/fiw-AFG-2017-Overview-1"),
            ("en/news/cambodia", "en", "news/cambodia"),
            ("es/news/cambodia", "es", "news/cambodia"),
            ("posts/cambodia.fr", "fr", "posts/cambodia"),
            ("es-posts/cambodia", "es", "posts/cambodia"),
            ("gv/periodistas", "es", None),
            ("english/report", "en", None),
            ("es", "es", None),
        ],
    )
    def test_ids_that_differ_by_language_code_share_a_key(
        self, article_id: str, language: str, key: str | None
    ):
        assert translation_key(article_id, language) == key

    def test_parsed_records_get_language_and_key(self, tmp_path: Path):
        english = [{"id": "7", "body": "Police detained two journalists covering the protests."}]
        spanish = [{"id": "7", "body": "La policía detuvo a dos periodistas en las protestas."}]
        given = [{"id": "8", "body": "Texto corto.", "lang": "es-MX", "translationKey": "story-8"}]
        for name, records in (("news_en", english), ("news_es", spanish), ("misc", given)):
            (tmp_path / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")
        parsed = {
            article.id: article
            for name in ("news_en", "news_es", "misc")
            for article in parse_file(tmp_path / f"{name}.json", tmp_path, RunContext()).articles
        }
        assert parsed["news_en/7"].language == "en"
        assert parsed["news_es/7"].language == "es"
        assert (
            parsed["news_en/7"].translation_key == parsed["news_es/7"].translation_key == "news/7"
        )
        assert (parsed["misc/8"].language, parsed["misc/8"].translation_key) == ("es", "story-8")

    def test_a_record_too_short_to_detect_takes_its_files_language(self, tmp_path: Path):
        records = [
            {"id": "1", "body": "La policía detuvo a dos periodistas en las protestas de ayer."},
            {"id": "2", "body": "Los tribunales rechazaron las denuncias de los abogados."},
            {"id": "3", "body": "Se respeta la libertad."},
        ]
        (tmp_path / "notas_es.json").write_text(json.dumps(records), encoding="utf-8")
        parsed = parse_file(tmp_path / "notas_es.json", tmp_path, RunContext()).articles
        assert [(a.language, a.translation_key) for a in parsed] == [
            ("es", "notas/1"),
            ("es", "notas/2"),
            ("es", "notas/3"),
        ]

    def test_a_file_with_nothing_detectable_gets_the_default_language(self, tmp_path: Path):
        (tmp_path / "short.json").write_text(json.dumps([{"id": "1", "body": "Hun Sen"}]))
        [article] = parse_file(
            tmp_path / "short.json", tmp_path, RunContext(), default_language="fr"
        ).articles
        assert article.language == "fr"


def test_the_detected_languages_are_the_models() -> None:
    assert frozenset(detector().nb_classes) == DETECTED_LANGUAGES


def written_right_to_left(language: str) -> bool:
    """Whether CLDR writes ``language`` in a right-to-left script: "arz" is most likely
    written in Arabic letters ("arz_Arab_EG"), which read right to left as Arabic's do."""
    likely = get_global("likely_subtags").get(language)  # none for "zxx", no language
    if likely is None:
        return False
    script = likely.split("_")[1]
    return Locale.parse(f"und_{script}").character_order == "right-to-left"


def test_right_to_left_languages_are_those_written_in_a_right_to_left_script() -> None:
    listed_or_detected = DETECTED_LANGUAGES | RIGHT_TO_LEFT
    assert {code for code in listed_or_detected if written_right_to_left(code)} == RIGHT_TO_LEFT


@pytest.mark.parametrize(
    ("text", "languages", "expected"),
    [
        ("Periodistas detenidos", {"en", "es"}, "es"),
        ("Journalists detained", {"en", "es"}, "en"),
        ("Periodistas detenidos", {"en"}, "en"),  # the archive's one language
        ("Periodistas detenidos", set(), None),
        ("Nicaragua", {"en", "es"}, None),  # a name says too little
        # Spanish, whatever the detector hears of Galician, which the archive has not.
        ("desaparición forzada", {"en", "es"}, "es"),
        ("Maduro crackdown", {"en", "es"}, None),
        ("   ", {"en", "es"}, None),
    ],
)
def test_a_short_text_is_in_the_likeliest_of_the_archives_languages(
    text: str, languages: set[str], expected: str | None
) -> None:
    assert detect_language(text) is None  # too short to trust a guess among all
    assert likeliest_of(text, languages) == expected
