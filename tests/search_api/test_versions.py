"""A page of results lists the versions of one text (a yearly report's passage written again
each year) under the first of them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api.app import create_app
from search_api.versions import SHINGLE_WORDS, shingles
from tests.search_api.corpus import index_corpus

OPENING = "Media freedom in Kenya remained under pressure during the year under review"
# One untitled passage of a yearly report, a few words changed each year: each one's title
# is made up of its first words, the same for all of them.
PASSAGES = [
    {
        "id": f"kenya-{year}",
        "date": f"{year}-03-01",
        "body": f"{OPENING}. Journalists in Mombasa were detained for covering the dockworkers' "
        f"strike, and {charged} were charged under the cybercrimes law.",
    }
    for year, charged in [(2021, "two"), (2022, "three"), (2023, "five")]
]
# Two countries' reports, each year, in a sentence they write alike and the title made up of
# it repeats whole: nothing of either tells whose report it is.
BOILERPLATE = [
    {
        "id": f"{country}-academic-{year}",
        "date": f"{year}-03-01",
        "body": "Academic freedom is generally respected.",
    }
    for country in ("antigua", "belize")
    for year in (2021, 2022)
]
# Two countries' notes, each year, alike but for the territory each names.
NOTE = (
    "The ratings and status given above do not cover the situation in {territory}, which a "
    "separate report examines. Each report assesses political rights and civil liberties in "
    "a territory, whoever affects them: the state, armed groups or foreign powers."
)
NOTES = [
    {"id": f"{country}-note-{year}", "date": f"{year}-03-01", "body": NOTE.format(territory=name)}
    for country, name in (("north", "the Upper Valley"), ("south", "the Lower Coast"))
    for year in (2021, 2022)
]
# A passage of two years' reports, each year in English and in Spanish.
TRANSLATED = [
    {
        "id": f"uganda-{year}-{language}",
        "date": f"{year}-03-01",
        "language": language,
        "translation_key": f"uganda-{year}",
        "body": body,
    }
    for year, stations in [(2021, ("two", "dos")), (2022, ("four", "cuatro"))]
    for language, body in [
        (
            "en",
            "Broadcasters in Uganda worked under threat during the year under review: "
            f"{stations[0]} radio stations in Gulu were closed after airing opposition "
            "rallies, and their managers were questioned by the police.",
        ),
        (
            "es",
            "Las emisoras de Uganda trabajaron bajo amenaza durante el año: "
            f"{stations[1]} estaciones de radio de Gulu fueron cerradas tras emitir mitines "
            "de la oposición, y la policía interrogó a sus directores.",
        ),
    ]
]
RECORDS = [
    *PASSAGES,
    # Another passage of the report, opening alike: a text of its own.
    {
        "id": "kenya-courts",
        "date": "2023-03-01",
        "body": f"{OPENING}. Courts in Mombasa freed journalists detained during the strike.",
    },
    # Statements of a series under one title of their own, different texts.
    {"id": "stmt-1", "title": "Union statement", "body": "Journalists detained at the port."},
    {"id": "stmt-2", "title": "Union statement", "body": "Police detained journalists in Mombasa."},
    *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes rose."} for n in range(10)),
    *BOILERPLATE,
    *NOTES,
    *TRANSLATED,
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("versions")
    (root / "corpus").mkdir()
    (root / "corpus" / "report.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    index_corpus([root / "corpus"], root / "index")
    with TestClient(create_app(root / "index", Settings(rate_limit_per_minute=0))) as client:
        yield client


def search(client: TestClient, **params: object) -> dict:
    response = client.get("/search", params={"q": "journalists detained", **params})
    assert response.status_code == 200, response.text
    return response.json()


def listed(response: dict) -> list[str]:
    """Every article a page lists: its results and their versions."""
    return [
        article_id
        for hit in response["results"]
        for article_id in [hit["id"], *(version["id"] for version in hit["versions"])]
    ]


def test_the_versions_of_a_passage_are_listed_under_the_first(client: TestClient):
    response = search(client)
    passages = [hit for hit in response["results"] if hit["id"].startswith("report/kenya-20")]
    assert len(passages) == 1
    [passage] = passages
    others = {version["id"] for version in passage["versions"]}
    assert others | {passage["id"]} == {f"report/{record['id']}" for record in PASSAGES}
    assert all(version["date"] for version in passage["versions"])
    assert response["total"] == 6  # every article still counts


@pytest.mark.parametrize(
    "text_of_its_own",
    ["report/kenya-courts", "report/stmt-1", "report/stmt-2"],
    ids=["opening-alike", "recurring-title-1", "recurring-title-2"],
)
def test_texts_sharing_a_title_but_not_their_text_stay_results(
    client: TestClient, text_of_its_own: str
):
    hit_ids = [hit["id"] for hit in search(client)["results"]]
    assert text_of_its_own in hit_ids


def test_group_versions_false_lists_every_version_as_a_result(client: TestClient):
    hit_ids = {hit["id"] for hit in search(client, group_versions="false")["results"]}
    assert {f"report/{passage['id']}" for passage in PASSAGES} <= hit_ids


def test_folding_loses_no_article_and_leaves_pages_where_they_were(client: TestClient):
    for page in (1, 2, 3):
        folded = search(client, page=page, page_size=2)
        flat = search(client, page=page, page_size=2, group_versions="false")
        assert sorted(listed(folded)) == sorted(hit["id"] for hit in flat["results"])


def test_cursor_pages_fold_versions_alike(client: TestClient):
    everything = search(client, page_size=6, group_versions="false")
    first = search(client, page_size=2)
    pages = [first]
    while pages[-1]["next_cursor"]:
        cursor = pages[-1]["next_cursor"]
        pages.append(search(client, page_size=2, cursor=cursor))
    folded = search(client, page_size=2, page=2)
    assert pages[1]["results"] == folded["results"]
    every_listed = [article_id for page in pages for article_id in listed(page)]
    assert sorted(every_listed) == sorted(hit["id"] for hit in everything["results"])


def test_the_readers_page_links_the_other_versions_by_date(client: TestClient):
    [first] = [hit for hit in search(client)["results"] if hit["id"].startswith("report/kenya-20")]
    page = client.get("/", params={"q": "journalists detained"}).text
    [versions] = re.findall(r'<p class="versions"[^>]*>(.*?)</p>', page)
    links = re.findall(r'<a href="([^"]+)"[^>]*><time datetime="([^"]+)">([^<]+)</time>', versions)
    assert links == [
        (f"/a/{version['id']}", version["date"], f"1 March {version['date'][:4]}")
        for version in first["versions"]
    ]


def test_a_sentence_many_reports_write_alike_is_no_version(client: TestClient):
    """Passages whose whole text is the sentence their made-up title repeats: Belize's is no
    other year of Antigua's."""
    response = search(client, q="academic freedom")
    assert sorted(hit["id"] for hit in response["results"]) == sorted(
        f"report/{record['id']}" for record in BOILERPLATE
    )
    assert all(not hit["versions"] for hit in response["results"])


def test_notes_alike_but_for_a_name_are_each_their_countrys_versions(client: TestClient):
    """Of two notes of one year, the one most like a result's is its version: the other, as
    like as a note of that result's own year, is another country's."""
    response = search(client, q="ratings status separate report")
    stories = {
        tuple(sorted([hit["id"], *(version["id"] for version in hit["versions"])]))
        for hit in response["results"]
    }
    assert stories == {
        ("report/north-note-2021", "report/north-note-2022"),
        ("report/south-note-2021", "report/south-note-2022"),
    }


def test_a_folded_version_keeps_its_translations(client: TestClient):
    """Each year's passage is one story (English and Spanish), shown once: the Spanish of
    the year folded as a version is listed with it, not lost."""
    response = search(client, q="broadcasters rallies")
    [passage] = response["results"]
    [version] = passage["versions"]
    for article in (passage, version):
        spanish = article["id"].replace("-en", "-es")
        assert [translation["id"] for translation in article["translations"]] == [spanish]


SHINGLED_TEXT = f"{OPENING}, journalists in Mombasa said"


@pytest.mark.parametrize(
    ("title", "left_out"),
    [
        (OPENING, len(OPENING.split())),  # a title made of the opening: left out
        ("Media freedom in Ke", 4),  # made up of it, cut short in a word
        ("Media", 1),
        ("Kenya", 0),  # a title of its own: every word counts
        ("Media freedom in Uganda", 0),
        ("", 0),
    ],
)
def test_the_opening_a_title_repeats_is_left_out_of_the_shingles(title: str, left_out: int):
    words = re.findall(r"\w+", SHINGLED_TEXT.lower())[left_out:]
    expected = {tuple(words[at : at + SHINGLE_WORDS]) for at in range(len(words) - 2)}
    assert shingles(SHINGLED_TEXT, title) == expected
