"""Searching an archive in several languages: per-language analysis, lang=, merged
ranking, translations grouped into one result, and the page's language marks."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.settings import Settings
from search_api.app import create_app
from tests.search_api.corpus import ids, index_corpus, records_client, search

# Two language files of one site holding the same story under the same id, as Freedom
# House's English and Spanish exports do; records with no language field (detected).
NEWS_EN = [
    {
        "id": "phnom-penh",
        "title": "Journalists detained in Phnom Penh",
        "body": "Police detained two journalists in Phnom Penh after they reported on the "
        "land dispute. Their editor said the arrests were meant to silence the press.",
    },
    {
        "id": "torture-report",
        "title": "Report documents torture in prisons",
        "body": "Former prisoners described torture and beatings during interrogations, and "
        "lawyers said the courts ignored their complaints for years.",
    },
]
NEWS_ES = [
    {
        "id": "phnom-penh",
        "title": "Periodistas detenidos en Phnom Penh",
        "body": "La policía arrestó a dos periodistas en Phnom Penh después de que informaran "
        "sobre el conflicto de tierras. Su editor dijo que el periodista detenido fue "
        "silenciado por informar.",
    },
    {
        "id": "tortura-carceles",
        "title": "Denuncian torturas en las cárceles",
        "body": "Antiguos presos describieron la tortura y los golpes durante los "
        "interrogatorios, y sus abogados dijeron que los jueces ignoraron las denuncias.",
    },
]
# Translations linked by a key in their metadata; languages given.
OTHERS = [
    {
        "id": "thai-lese-majeste",
        "title": "Un étudiant condamné pour lèse-majesté",
        "language": "fr",
        "translation_key": "thai-student",
        "body": "Un tribunal de Bangkok a condamné un étudiant à trois ans de prison pour "
        "lèse-majesté après un discours sur la monarchie et sur l’armée.",
    },
    {
        "id": "thai-student-en",
        "title": "Student jailed for royal insult",
        "language": "en",
        "translation_key": "thai-student",
        "body": "A Bangkok court jailed a student for three years for insulting the monarchy "
        "after a speech at a protest.",
    },
    {
        "id": "moscow-journalists",
        "title": "В Москве задержаны журналисты",
        "body": "Полиция задержала журналиста, который снимал акцию протеста у здания суда. "
        "Его коллеги говорят, что задержание было незаконным.",
    },
    {
        "id": "cairo-bloggers",
        "title": "اعتقال مدونين في القاهرة",
        "body": "اعتقلت قوات الأمن ثلاثة مدونين في القاهرة بعد نشرهم مقالات تنتقد الحكومة "
        "واحتجزتهم دون توجيه اتهامات",
    },
    {
        "id": "wuhan-reporter",
        "title": "武汉公民记者失踪",
        "language": "zh",
        "body": "一名在武汉报道疫情的公民记者失踪，他的家人说警方拒绝提供任何消息。",
    },
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("multilingual")
    for name, records in (("news_en", NEWS_EN), ("news_es", NEWS_ES), ("others", OTHERS)):
        (root / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("multilingual-index")
    index_corpus([root], index_dir)
    with TestClient(create_app(index_dir, Settings(rate_limit_per_minute=0))) as test_client:
        yield test_client


def languages_of(response: dict) -> dict[str, str]:
    return {hit["id"]: hit["language"] for hit in response["results"]}


class TestLanguageOfArticles:
    def test_detected_when_not_given_and_faceted(self, client: TestClient):
        every = search(client, q="", page_size=100, group_translations=False)
        assert languages_of(every) == {
            "news_en/phnom-penh": "en",
            "news_en/torture-report": "en",
            "news_es/phnom-penh": "es",
            "news_es/tortura-carceles": "es",
            "others/thai-lese-majeste": "fr",
            "others/thai-student-en": "en",
            "others/moscow-journalists": "ru",
            "others/cairo-bloggers": "ar",
            "others/wuhan-reporter": "zh",
        }
        facet = {item["value"]: item["count"] for item in every["facets"]["language"]}
        assert facet == {"en": 3, "es": 2, "fr": 1, "ru": 1, "ar": 1, "zh": 1}


class TestQueriesPerLanguage:
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            # Inflected forms, in the query's language.
            ({"q": "periodistas detenidos", "lang": "es"}, ["news_es/phnom-penh"]),
            ({"q": "periodista detenido", "lang": "es"}, ["news_es/phnom-penh"]),
            ({"q": "torturas", "lang": "es"}, ["news_es/tortura-carceles"]),
            ({"q": "журналисты", "lang": "ru"}, ["others/moscow-journalists"]),
            # Accents fold.
            ({"q": "lese majeste"}, ["others/thai-lese-majeste"]),
            # A French article elided is not part of the word.
            ({"q": "armée", "lang": "fr"}, ["others/thai-lese-majeste"]),
            ({"q": "l'armée"}, ["others/thai-lese-majeste"]),
            ({"q": "policia arresto"}, ["news_es/phnom-penh"]),
            # Scripts without spaces: a word is found as its character pairs.
            ({"q": "记者"}, ["others/wuhan-reporter"]),
            ({"q": "公民记者"}, ["others/wuhan-reporter"]),
            ({"q": "مدونين"}, ["others/cairo-bloggers"]),
        ],
    )
    def test_finds(self, client: TestClient, params: dict, expected: list[str]):
        assert ids(search(client, **params)) == expected

    def test_lang_searches_only_that_language(self, client: TestClient):
        response = search(client, q="Phnom Penh", lang="en")
        assert ids(response) == ["news_en/phnom-penh"]

    def test_spanish_query_without_lang_finds_spanish_articles(self, client: TestClient):
        # An English reader typing a Spanish word still finds the Spanish articles.
        response = search(client, q="tortura")
        assert "news_es/tortura-carceles" in ids(response)

    def test_every_language_ranks_on_one_scale(self, client: TestClient):
        response = search(client, q="torture OR tortura", group_translations=False)
        assert set(ids(response)) == {"news_en/torture-report", "news_es/tortura-carceles"}
        assert all(hit["score"] > 0 for hit in response["results"])

    def test_spanish_stop_words_do_not_have_to_match(self, client: TestClient):
        response = search(client, q="la tortura de los presos", lang="es")
        assert ids(response) == ["news_es/tortura-carceles"]

    def test_snippets_mark_inflected_forms_in_the_articles_language(self, client: TestClient):
        response = search(client, q="periodistas detenidos", lang="es")
        snippet = response["results"][0]["sections"][0]["snippet"]
        assert "<mark>periodista</mark> <mark>detenido</mark>" in snippet
        assert "<mark>Periodistas</mark>" in snippet or "<mark>periodistas</mark>" in snippet

    def test_snippets_mark_an_elided_word_whole(self, client: TestClient):
        response = search(client, q="armée", lang="fr")
        assert "<mark>l’armée</mark>" in response["results"][0]["sections"][0]["snippet"]

    def test_chinese_snippet_marks_the_characters(self, client: TestClient):
        snippet = search(client, q="记者")["results"][0]["sections"][0]["snippet"]
        assert "<mark>记者</mark>" in snippet

    @pytest.mark.parametrize("lang", ["english", "e", "1x", "es-MX", "xx", "zz"])
    def test_lang_must_be_a_code(self, client: TestClient, lang: str):
        response = client.get("/search", params={"q": "press", "lang": lang})
        assert response.status_code == 400
        assert (
            "lang must be a language code advosearch knows" in (response.json()["error"]["message"])
        )

    @pytest.mark.parametrize(
        ("lang", "code"), [("es-MX", "es"), ("en_GB", "en"), ("Spanish", "es")]
    )
    def test_a_region_or_a_name_is_refused_with_the_code_to_use(
        self, client: TestClient, lang: str, code: str
    ):
        response = client.get("/search", params={"q": "press", "lang": lang})
        assert response.status_code == 400
        assert response.json()["error"]["message"].endswith(f"; use {code})")

    @pytest.mark.parametrize("lang", ["arz", "yue"])
    def test_a_detected_language_of_three_letters_is_a_filter(self, client: TestClient, lang):
        # The detector names some languages with three letters; their facet must filter.
        response = client.get("/search", params={"q": "press", "lang": lang})
        assert response.status_code == 200


@settings(
    max_examples=50,
    suppress_health_check=[
        *settings.default.suppress_health_check,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(
    st.lists(
        st.sampled_from([*'abcñé йжя 记者ا-"()*', "OR", "de ", "la ", "не ", "-"]), max_size=30
    ).map("".join)
)
def test_any_query_in_any_language_is_answered(client: TestClient, text: str):
    for lang in ("", "es", "ru", "zh"):
        response = client.get("/search", params={"q": text, "lang": lang})
        assert response.status_code == 200, response.text


class TestTranslationsGrouped:
    def test_one_result_per_story_listing_its_translations(self, client: TestClient):
        response = search(client, q="Phnom Penh")
        assert response["total"] == 1
        [hit] = response["results"]
        [translation] = hit["translations"]
        other = "news_es/phnom-penh" if hit["id"] == "news_en/phnom-penh" else "news_en/phnom-penh"
        assert translation["id"] == other
        assert translation["language"] in ("en", "es") and translation["title"]

    def test_facets_still_count_every_article(self, client: TestClient):
        response = search(client, q="Phnom Penh")
        facet = {item["value"]: item["count"] for item in response["facets"]["language"]}
        assert facet == {"en": 1, "es": 1}

    def test_the_best_ranked_translation_stands_for_the_story(self, client: TestClient):
        assert ids(search(client, q="journalists detained")) == ["news_en/phnom-penh"]
        assert ids(search(client, q="periodistas detenidos")) == ["news_es/phnom-penh"]

    def test_key_from_metadata(self, client: TestClient):
        response = search(client, q="Bangkok")
        assert response["total"] == 1
        assert len(response["results"][0]["translations"]) == 1

    def test_ungrouped_on_request_and_in_exports(self, client: TestClient):
        response = search(client, q="Phnom Penh", group_translations=False)
        assert response["total"] == 2
        assert all(hit["translations"] == [] for hit in response["results"])
        export = client.get("/export", params={"q": "Phnom Penh", "format": "jsonl"})
        assert len(export.text.strip().splitlines()) == 2
        batch = client.post("/search/batch", json={"queries": [{"q": "Phnom Penh"}]})
        [answer] = batch.json()["results"]
        assert answer["total"] == 2
        assert sorted(answer["ids"]) == ["news_en/phnom-penh", "news_es/phnom-penh"]

    def test_article_lists_its_translations(self, client: TestClient):
        article = client.get("/articles/news_en/phnom-penh").json()
        assert [(t["language"], t["id"]) for t in article["translations"]] == [
            ("es", "news_es/phnom-penh")
        ]

    def test_related_stories_leave_out_translations(self, client: TestClient):
        related = client.get("/articles/news_en/phnom-penh/related").json()["results"]
        assert "news_es/phnom-penh" not in [story["id"] for story in related]


def test_a_drafts_language_is_detected_for_related_stories(client: TestClient):
    draft = {
        "title": "Abogados denuncian torturas en los interrogatorios",
        "text": "Los presos denunciaron golpes y tortura durante los interrogatorios ante jueces.",
    }
    response = client.post("/related", json=draft)
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["id"] == "news_es/tortura-carceles"


# Passages repeated from one year to the next, in English and in Spanish under the same
# ids, as Freedom House's are; the stems of the two languages collide ("unitary" and
# "unitario" are both "unitari", "directly" and "directamente" both "direct").
CHARTER_EN = "The unitary state's governors are directly elected; rural militants threaten voters."
CHARTER_ES = (
    "Los gobernadores del estado unitario son elegidos directamente; militantes rurales "
    "amenazan a los votantes."
)
YEARS = {
    "fh_en": [
        {"id": "2018-charter", "title": "Charter (2018)", "language": "en", "body": CHARTER_EN},
        {"id": "2019-charter", "title": "Charter (2019)", "language": "en", "body": CHARTER_EN},
        {
            "id": "2019-militants",
            "title": "Militants",
            "language": "en",
            "body": "Rural militants attacked a polling station.",
        },
    ],
    "fh_es": [
        {"id": "2018-charter", "title": "Carta (2018)", "language": "es", "body": CHARTER_ES},
        {"id": "2019-charter", "title": "Carta (2019)", "language": "es", "body": CHARTER_ES},
        {
            "id": "2019-militants",
            "title": "Militantes",
            "language": "es",
            "body": "Militantes rurales atacaron un colegio electoral.",
        },
    ],
    # An English edition of the 2019 passage, linked to it by its translation key; an
    # update under the 2018 passage's title, and a digest of the same story.
    "editions": [
        {
            "id": "charter",
            "title": "Charter, regional edition",
            "language": "en",
            "translation_key": "fh/2019-charter",
            "body": "Regional edition: governors of the unitary state are elected.",
        },
        {
            "id": "update",
            "title": "Charter (2018)",
            "language": "en",
            "translation_key": "update",
            "body": "Update: the vote was postponed.",
        },
        {
            "id": "digest",
            "title": "Digest",
            "language": "en",
            "translation_key": "update",
            "body": "Militants threaten the unitary state.",
        },
    ],
    "budget": [
        {"id": f"{language}-{n}", "title": title, "language": language, "body": body}
        for n in range(30)
        for language, title, body in (
            ("en", "Budget", "Taxes were debated."),
            ("es", "Presupuesto", "Se debatieron los impuestos."),
        )
    ],
}


@pytest.fixture(scope="module")
def years_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("years")
    for name, records in YEARS.items():
        (root / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")
    index_dir = tmp_path_factory.mktemp("years-index")
    index_corpus([root], index_dir)
    with TestClient(create_app(index_dir, Settings(rate_limit_per_minute=0))) as test_client:
        yield test_client


class TestRelatedAcrossLanguages:
    def related(self, client: TestClient, article_id: str) -> list[dict]:
        response = client.get(f"/articles/{article_id}/related")
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def test_only_articles_in_the_articles_language(self, years_client: TestClient):
        # Not the Spanish passages, which share nothing but colliding stems with it.
        found = self.related(years_client, "fh_en/2018-charter")
        assert [(hit["id"], hit["language"]) for hit in found] == [("fh_en/2019-militants", "en")]
        assert set(found[0]["shared_terms"]) == {"militants", "rural"}

    def test_a_spanish_article_relates_to_spanish_ones(self, years_client: TestClient):
        found = self.related(years_client, "fh_es/2018-charter")
        assert [hit["id"] for hit in found] == ["fh_es/2019-militants"]

    def test_a_draft_relates_to_articles_in_its_language(self, years_client: TestClient):
        draft = {"title": "Militantes rurales", "text": CHARTER_ES, "lang": "es"}
        response = years_client.post("/related", json=draft)
        assert response.status_code == 200, response.text
        found = response.json()["results"]
        assert found and {hit["language"] for hit in found} == {"es"}

    def test_a_copys_translations_go_with_it(self, years_client: TestClient):
        # The 2019 passage is a copy of 2018's: its edition in English goes with it.
        found = [hit["id"] for hit in self.related(years_client, "fh_en/2018-charter")]
        assert not {"fh_en/2019-charter", "editions/charter"} & set(found)

    def test_a_copy_by_title_takes_its_translations_with_it(self, years_client: TestClient):
        found = [hit["id"] for hit in self.related(years_client, "fh_en/2018-charter")]
        assert not {"editions/update", "editions/digest"} & set(found)


class TestReaderPage:
    def test_results_say_their_language_and_direction(self, client: TestClient):
        page = client.get("/", params={"q": "مدونين"}).text
        assert '<article lang="ar" dir="rtl">' in page
        page = client.get("/", params={"q": "periodistas", "lang": "es"}).text
        assert '<article lang="es" dir="ltr">' in page

    def test_translations_are_offered_as_also_in(self, client: TestClient):
        page = client.get("/", params={"q": "periodistas detenidos"}).text
        assert "Also in:" in page
        assert 'hreflang="en"' in page

    def test_language_facet_links_filter_by_lang(self, client: TestClient):
        page = client.get("/", params={"q": "Phnom Penh"}).text
        assert "lang=es" in page


# Spanish words with ñ and their namesakes without it.
ENYE = [
    {"id": "pena", "language": "es", "title": "La pena de muerte",
     "body": "El tribunal impuso la pena de muerte a tres acusados."},
    {"id": "pena-nieto", "language": "es", "title": "El gobierno de Peña Nieto",
     "body": "Durante el gobierno de Enrique Peña Nieto fueron asesinados periodistas."},
    {"id": "anos", "language": "es", "title": "Diez años de impunidad",
     "body": "Han pasado diez años desde el asesinato del periodista."},
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # Typed with ñ, a word is found as written; typed without, with or without it.
        ("Peña", ["pena-nieto"]),
        ("pena", ["pena", "pena-nieto"]),
        ('"Peña Nieto"', ["pena-nieto"]),
        ('"pena nieto"', ["pena-nieto"]),
        ("años", ["anos"]),
        ("anos", ["anos"]),
    ],
)
def test_spanish_enye_is_a_letter_a_reader_may_leave_out(
    tmp_path, query: str, found: list[str]
) -> None:
    with records_client(tmp_path, "es.json", ENYE) as client:
        assert sorted(ids(search(client, q=query))) == [f"es/{id}" for id in found]


# Spanish passages with a word in the plural only, or a -dad noun only.
SPANISH_PLURALS = [
    {"id": "mujeres", "language": "es", "title": "Violencia de género",
     "body": "Las mujeres periodistas sufren acoso en línea y amenazas de muerte."},
    {"id": "autoridades", "language": "es", "title": "Detenciones arbitrarias",
     "body": "Las autoridades detuvieron a dos activistas sin orden judicial."},
    {"id": "autor", "language": "es", "title": "Un libro prohibido",
     "body": "El autor del libro fue condenado por difamación."},
    {"id": "jueces", "language": "es", "title": "Independencia judicial",
     "body": "Los jueces denunciaron presiones del poder ejecutivo."},
]  # fmt: skip


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # A singular finds its plural: Snowball alone stemmed "mujer" as "muj", "mujeres"
        # as "mujer".
        ("mujer", ["mujeres"]),
        ("juez", ["jueces"]),
        ("autoridad", ["autoridades"]),
        # An authority is no author.
        ("autor", ["autor"]),
        ("autores", ["autor"]),
    ],
)
def test_a_spanish_singular_finds_its_plural_and_an_author_no_authorities(
    tmp_path, query: str, found: list[str]
) -> None:
    with records_client(tmp_path, "es.json", SPANISH_PLURALS) as client:
        assert sorted(ids(search(client, q=query, lang="es"))) == [f"es/{id}" for id in found]
        assert sorted(ids(search(client, q=query))) == [f"es/{id}" for id in found]


# ENYE's articles, a Spanish word "ano*" begins without being "año", a text with both
# "pena" and "Peña", and an English article, whose ñ is folded as an accent.
ENYE_AND_ENGLISH = [
    *ENYE,
    {"id": "anonimo", "language": "es", "title": "Un testigo anónimo",
     "body": "Un testigo anónimo declaró ante el tribunal."},
    {"id": "juez", "language": "es", "title": "Condena en Oaxaca",
     "body": "La pena que impuso el juez Peña fue apelada."},
    {"id": "penal-en", "language": "en", "title": "Mexico's penal code",
     "body": "Under President Peña Nieto the penal code was changed."},
]  # fmt: skip


@pytest.fixture(scope="module")
def enye_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    with records_client(tmp_path_factory.mktemp("enye"), "news.json", ENYE_AND_ENGLISH) as client:
        yield client


@pytest.mark.parametrize(
    ("query", "found"),
    [
        # A prefix with ñ reaches the Spanish words that begin so, as a word with ñ does;
        # English reads it without (pen*): "penal" and its "Peña", folded, are found.
        ("peñ*", ["juez", "pena-nieto", "penal-en"]),
        ("Peñ*", ["juez", "pena-nieto", "penal-en"]),
        ("peña*", ["juez", "pena-nieto", "penal-en"]),
        ("año*", ["anos"]),
        # Typed without ñ, a prefix reaches words with it and without.
        ("pen*", ["juez", "pena", "pena-nieto", "penal-en"]),
        ("pena*", ["juez", "pena", "pena-nieto", "penal-en"]),
        ("ano*", ["anonimo", "anos"]),
    ],
)
def test_a_spanish_prefix_keeps_its_enye(
    enye_client: TestClient, query: str, found: list[str]
) -> None:
    assert sorted(ids(search(enye_client, q=query))) == [f"news/{id}" for id in found]


def test_a_prefix_with_enye_is_read_and_marked_in_each_language_as_its_words_are(
    enye_client: TestClient,
) -> None:
    response = search(enye_client, q="peñ*")
    assert response["parsed_query"] == "es: peñ* | en: pen*"
    snippets = {hit["id"]: hit["sections"][0]["snippet"] for hit in response["results"]}
    assert snippets["news/juez"] == "La pena que impuso el juez <mark>Peña</mark> fue apelada."
    assert snippets["news/penal-en"] == (
        "Under President <mark>Peña</mark> Nieto the <mark>penal</mark> code was changed."
    )


@pytest.mark.parametrize(
    ("query", "suggestion"),
    [
        # A Spanish query's ñ is kept: "peñs" is one letter from "peña", two from "pena".
        ("peñs", "peña"),
        ("Peñs Nieto", "Peña Nieto"),
        ("añps", "años"),
        ("pwna", "pena"),  # typed without it, the word without it, which finds both
    ],
)
def test_did_you_mean_keeps_a_spanish_words_enye(
    enye_client: TestClient, query: str, suggestion: str
) -> None:
    assert search(enye_client, q=query)["suggestion"] == suggestion


# An English and a Spanish archive side by side, as Freedom House's two exports are: a
# Spanish passage names an English word once, in a link's address and in a name.
ELECTIONS = [
    {
        "id": "cambodia-vote",
        "language": "en",
        "title": "Cambodia's elections were neither free nor fair",
        "body": "Observers said the elections were marred by the arrests of opposition "
        "leaders, and that voters were threatened before the elections.",
    },
    {
        "id": "laos-vote",
        "language": "en",
        "title": "Laos holds one-party elections",
        "body": "Only candidates approved by the ruling party stood in the elections, which "
        "the party won with nearly every seat.",
    },
    {
        "id": "press-law",
        "language": "en",
        "title": "A new press law",
        "body": "The law allows the ministry to close newspapers that publish false news.",
    },
    *(
        {
            "id": f"vote-{country.lower()}",
            "language": "en",
            "title": f"Vote in {country}",
            "body": f"{country} held elections on Sunday, and the count went on overnight.",
        }
        for country in ("Ghana", "Kenya", "Malawi", "Zambia", "Benin", "Togo")
    ),
    {
        "id": "chad-votacion",
        "language": "es",
        "title": "Chad vota en medio de tensiones",
        "body": "La votación se celebró en medio de tensiones, según The Guardian y el "
        "informe publicado en https://issafrica.org/iss-today/tense-elections-in-chad.",
    },
    {
        "id": "ley-prensa",
        "language": "es",
        "title": "Una nueva ley de prensa",
        "body": "La ley permite al ministerio cerrar periódicos que publiquen noticias falsas.",
    },
]


@pytest.mark.parametrize("query", ["elections", "the elections", "Elections"])
def test_a_word_weighs_as_the_archive_finds_it_whatever_language_reads_it(
    tmp_path, query: str
) -> None:
    # Read in Spanish, "elections" is one rare term, and "the" no stop word: the Spanish
    # passage that names them once would outrank the English articles about elections.
    with records_client(tmp_path, "vote.json", ELECTIONS) as client:
        found = ids(search(client, q=query))
    assert found[:2] == ["vote/cambodia-vote", "vote/laos-vote"]
    assert found[-1] == "vote/chad-votacion"  # named once, in a longer text
