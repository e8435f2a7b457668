"""What both related-stories endpoints, GET /articles/{id}/related and POST /related, take
and say: a draft written in HTML, the source filter, and /search's notes."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search_api.app import create_app
from tests.search_api.corpus import index_corpus, search

# Two sources. One story is dated only by its year; one article is about a web page's
# markup, whose words a draft pasted from a CMS holds as tags and attributes.
ZIMPRESS = [
    {
        "id": "raid",
        "title": "Police raid newsroom in Harare",
        "date": "2021-06-02",
        "body": "<p>Police raided the newsroom of an independent paper in Harare and seized "
        "laptops.</p>",
    },
    {
        "id": "raid-again",
        "title": "Harare newsroom raided again",
        "date": "2021",
        "body": "<p>Police raided the Harare newsroom a second time and detained two editors.</p>",
    },
    {
        "id": "markup",
        "title": "How a web page is built",
        "date": "2019-03-01",
        "body": "<p>A page's div and img elements carry class, alt and src attributes; a style "
        "sets their color, and a script loads from https addresses such as an org's "
        "wp-content uploads.</p>",
    },
]
WIRE = [
    {
        "id": "raid",
        "title": "Harare police raid a newsroom",
        "date": "2021-05-01",
        "body": "<p>Police raided a Harare newsroom and seized the laptops of editors.</p>",
    },
    *(
        {"id": f"budget-{n}", "title": f"Budget hearing {n}", "body": "<p>Taxes rose.</p>"}
        for n in range(12)
    ),
]
DRAFT = {"title": "Police raid newsroom", "text": "Police seized laptops in Harare."}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("related")
    for folder, stem, records in (("zimpress", "zp", ZIMPRESS), ("wire", "wr", WIRE)):
        (root / "corpus" / folder).mkdir(parents=True)
        (root / "corpus" / folder / f"{stem}.json").write_text(json.dumps(records))
    index_corpus([root / "corpus"], root / "index")
    with TestClient(create_app(root / "index", Settings(rate_limit_per_minute=0))) as client:
        yield client


def related(client: TestClient, endpoint: str, **filters) -> dict:
    """GET zp/raid's related stories, or POST ``DRAFT``'s, with ``filters``."""
    if endpoint == "GET":
        response = client.get("/articles/zp/raid/related", params=filters)
    else:
        response = client.post("/related", json={**DRAFT, **filters})
    assert response.status_code == 200, response.text
    return response.json()


MARKUP_WORDS = {"script", "alert", "src", "div", "style", "org", "https", "wp-content", "class"}


@pytest.mark.parametrize(
    "draft",
    [
        # As the editors' trial pasted one from its CMS.
        {
            "title": "<b>Police</b> raid <script>alert(1)</script> newsroom",
            "text": '<p>Police seized laptops in <a href="https://example.org/wp-content/uploads'
            '/harare">Harare</a>.</p><img src="https://example.org/wp-content/uploads/a.jpg" '
            'class="size-full" alt="raid"><style>.x{color:red}</style>',
        },
        {"title": DRAFT["title"], "text": '<div class="entry"><p>Police seized laptops in Harare.'},
        # Escaped, as some exports hold a body: its entities are no words either.
        {
            "title": DRAFT["title"],
            "text": "&lt;p&gt;Police seized laptops in &lt;a href=&quot;https://example.org/"
            "wp-content/harare&quot;&gt;Harare&lt;/a&gt;.&lt;/p&gt;",
        },
    ],
)
def test_a_draft_in_html_is_read_as_its_text(client: TestClient, draft: dict):
    plain = client.post("/related", json=DRAFT).json()
    answer = client.post("/related", json=draft).json()
    assert not MARKUP_WORDS & set(answer["terms"])
    assert answer["terms"] == plain["terms"]
    assert [hit["id"] for hit in answer["results"]] == [hit["id"] for hit in plain["results"]]


NO_WORD = (
    "the draft has no word to relate stories by: a word in none of the archive's articles, "
    "or in too many of them, says nothing of what a story is about"
)


@pytest.mark.parametrize(
    ("draft", "notes"),
    [
        (DRAFT, []),
        # Detected in a language the archive has no article in: /search's note for its lang.
        (
            {
                "title": "Descente de police dans une rédaction à Harare",
                "text": "La police a saisi les ordinateurs portables des journalistes.",
            },
            ["the archive has no article in français (fr)"],
        ),
        (
            {
                "title": "Polizei durchsucht Redaktion in Harare",
                "text": "Die Polizei hat die Laptops der Journalisten beschlagnahmt.",
            },
            ["the archive has no article in Deutsch (de)"],
        ),
        (
            {"title": "الشرطة تداهم غرفة الأخبار", "text": "صادرت الشرطة أجهزة الحاسوب"},
            ["the archive has no article in العربية (ar)", NO_WORD],
        ),
        ({"title": "", "text": "It is what it was, and there it is for all of us."}, [NO_WORD]),
        (
            {"title": "Qwzx plmk", "text": "xkcdq vbnrt zzqpw mmnbv ghjkl qwrtp zxcvb"},
            ["the archive has no article in No linguistic content (zxx)", NO_WORD],
        ),
        ({**DRAFT, "lang": "fr"}, ["the archive has no article in français (fr)"]),
    ],
)
def test_a_draft_is_told_why_no_story_is_related(client: TestClient, draft: dict, notes: list):
    response = client.post("/related", json=draft)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["notes"] == notes
    # A language's note is the one /search gives for that lang.
    assert set(search(client, q="Harare", lang=answer["language"])["notes"]) <= set(notes)


@pytest.mark.parametrize("endpoint", ["GET", "POST"])
@pytest.mark.parametrize(
    ("filters", "note"),
    [
        ({"source": "nosuch"}, "the archive has no article from the source nosuch"),
        # zp/raid-again, dated 2021, is taken in by its first day.
        (
            {"to": "2021-06"},
            "1 of these results are dated only by a year or month that goes on past "
            "2021-06-30: each is included by its first day",
        ),
    ],
)
def test_filters_are_noted_as_search_notes_them(
    client: TestClient, endpoint: str, filters: dict, note: str
):
    assert related(client, endpoint, **filters)["notes"] == [note]
    # /search's note for the same filters, on the same stories.
    assert note in search(client, q="Harare raid", **filters)["notes"]


@pytest.mark.parametrize("endpoint", ["GET", "POST"])
@pytest.mark.parametrize("source", ["zimpress", "ZimPress"])  # case aside, as /search's
def test_source_keeps_that_sources_stories(client: TestClient, endpoint: str, source: str):
    everything = related(client, endpoint)["results"]
    assert {hit["source"] for hit in everything} == {"zimpress", "wire"}
    answer = related(client, endpoint, source=source)
    assert answer["notes"] == []
    found = [hit["id"] for hit in answer["results"]]
    assert found == [hit["id"] for hit in everything if hit["source"] == "zimpress"]
