"""Which terms related stories are found by, and which stories they list: one archive of
English and Spanish articles, through the app (GET /articles/{id}/related, POST /related)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.search_api.corpus import records_client


def _words(text: str) -> list[str]:
    return text.split()


# A strike's words, each in the ten stories about it: common enough in the archive that a
# name written once in another story is rarer.
STRIKE_WORDS = _words(
    "dockworkers mombasa port strike cranes union wages overtime shifts containers "
    "terminal stevedores pickets ships cargo harbour berth foreman lockout payslips "
    "bonuses pensions tariffs quay gantry"
)
# Names a petition's signatories and a strike statement's share, each written once.
SIGNATORIES = _words(
    "Achterberg Bellweather Castellanos Dravidson Eberhardt Fairweather Gallagher "
    "Hargreaves Isherwood Jablonski Kowalczyk Lindqvist Montgomery Nakamura Oyelaran "
    "Pennington Quintero Rasmussen Szymanski Thorvaldsen Umberger Vandermeer "
    "Wojciechowski Xanthopoulos Yamaguchi Zimmerman"
)
# Made-up words only one story has, each twice: they are in no other article.
OWN_WORDS = _words(
    "zorvath quillan brexmoor tavinder olquist premmick sadrowe hulbrick venstow "
    "carrowyn mistelde yarnock pelgrave dunmirth ostwyck faldren gorsewin jethrow "
    "kelvaine lorimund nessarch orrowin pembrake quenwell rusholt"
)

ENGLISH = [{"language": "en", **record} for record in [
    *(
        {"id": f"strike-{n}", "title": f"Port dispute, day {n}", "body": " ".join(STRIKE_WORDS)}
        for n in range(10)
    ),
    {
        "id": "petition",
        "title": "Library hours petition",
        "body": "Readers ask for longer library hours. Signed: " + ", ".join(SIGNATORIES),
    },
    {
        "id": "own-words",
        "title": "Mombasa dockworkers strike",
        "body": "Dockworkers in Mombasa strike. " + " ".join(OWN_WORDS * 2),
    },
    {"id": "npc-nigeria", "title": "Nigeria Press Council fines newspapers",
     "body": "The Nigeria Press Council (NPC) fined newspapers in Lagos for reporting the "
             "protests."},
    {"id": "lagos-papers", "title": "Lagos newspapers fined",
     "body": "Newspapers in Lagos were fined by the press council for reporting the protests."},
    {"id": "npc-china", "title": "China's legislature meets",
     "body": "The National People's Congress (NPC) approved the budget in Beijing."},
    {"id": "weibo", "title": "Weibo posts deleted", "body": "A deleted post read '人民可以'."},
    {"id": "interview", "title": "Bogota marchers interviewed",
     "body": "How marchers in Bogota said they need 'derechos humanos' today."},
    *({"id": f"budget-{n}", "title": f"Budget {n}", "body": f"Taxes rose {n} percent."}
      for n in range(50)),
]]  # fmt: skip
SPANISH = [
    {"id": "pena-1", "language": "es", "title": "Peña Nieto en México",
     "body": "Enrique Peña Nieto visitó México este año; Peña Nieto habló en México."},
    {"id": "pena-2", "language": "es", "title": "Peña Nieto deja México",
     "body": "Peña Nieto dejó México el año pasado."},
    *({"id": f"noticia-{n}", "language": "es", "title": f"Noticia {n}",
       "body": f"El gobierno habla de derechos humanos y del presupuesto {n}."
               + (" El ministerio responde." if n < 20 else "")}
      for n in range(60)),
]  # fmt: skip


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("related-terms")
    with records_client(root, "news.json", ENGLISH + SPANISH) as client:
        yield client


def related(client: TestClient, article: str) -> list[dict]:
    response = client.get(f"/articles/news/{article}/related")
    assert response.status_code == 200, response.text
    return response.json()["results"]


def draft_terms(client: TestClient, title: str, text: str, language: str) -> list[str]:
    response = client.post("/related", json={"title": title, "text": text, "lang": language})
    assert response.status_code == 200, response.text
    return response.json()["terms"]


def test_words_only_the_article_has_do_not_crowd_out_its_topic(client: TestClient):
    # Its 25 made-up words, twice each and in no other article, took every key term's
    # place: they relate it to nothing, and it was related to nothing.
    found = related(client, "own-words")
    assert found and all(hit["id"].startswith("news/strike-") for hit in found)
    assert {"dockworkers", "mombasa", "strike"} <= set(found[0]["shared_terms"])


def test_a_long_text_is_about_the_words_it_repeats_not_the_names_it_lists(client: TestClient):
    # Twice each, the strike's words, in ten stories; once each, the petition's signatories,
    # rarer in the archive: they were all of its key terms, and the petition its story.
    text = "\n\n".join([" ".join(STRIKE_WORDS)] * 2) + "\n\nSigned: " + ", ".join(SIGNATORIES)
    response = client.post("/related", json={"title": "", "text": text, "lang": "en"})
    answer = response.json()
    assert len(answer["terms"]) == 25 and set(answer["terms"]) <= set(STRIKE_WORDS)
    found = answer["results"]
    assert found and all(hit["id"].startswith("news/strike-") for hit in found)


def test_a_short_text_still_has_the_words_it_writes_once(client: TestClient):
    assert set(draft_terms(client, "Dockworkers strike", "Cranes idle at the port.", "en")) == {
        "dockworkers",
        "strike",
        "cranes",
        "port",
    }


@pytest.mark.parametrize(
    ("language", "title", "text", "not_terms"),
    [
        # Function and general words, rare here as in an archive of reports.
        ("en", "Bogota marchers", "How they said they need rights today.",
         {"how", "said", "need", "today"}),
        # Spanish quoted in English, written in 60 Spanish articles: the English term of
        # "derechos" is in one English article.
        ("en", "Bogota marchers", "They chanted 'derechos humanos', 'derechos humanos'.",
         {"derechos", "humanos"}),
        # Chinese quoted in English (the archive has no Chinese article): its pairs.
        ("en", "Wuhan diaries", "Weibo posts said '人民可以'. Wuhan, 'diaries'.",
         {"人民", "民可", "可以"}),
        # In 20 of the 62 Spanish articles: too common in Spanish to tell a story, though
        # in under a sixth of the archive.
        ("es", "Respuesta del ministerio", "El ministerio responde a Peña Nieto.",
         {"ministerio"}),
    ],
)  # fmt: skip
def test_words_that_say_nothing_of_a_story_are_not_its_terms(
    client: TestClient, language: str, title: str, text: str, not_terms: set[str]
):
    terms = draft_terms(client, title, text, language)
    assert terms and not not_terms & set(terms)


def test_a_story_sharing_one_term_only_is_not_related(client: TestClient):
    # The Nigeria Press Council and China's National People's Congress share "NPC" alone.
    assert [hit["id"] for hit in related(client, "npc-nigeria")] == ["news/lagos-papers"]


def test_shared_terms_are_written_as_in_the_text_with_accents_and_enye(client: TestClient):
    [found] = related(client, "pena-1")
    assert found["id"] == "news/pena-2"
    assert {"peña", "nieto", "méxico", "año"} <= set(found["shared_terms"])
