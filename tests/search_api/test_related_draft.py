"""POST /related: published stories related to a draft that is not in the archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from indexer import languages
from indexer.settings import Settings
from search_api import articles
from search_api.app import create_app
from search_api.articles import key_terms
from search_api.routes import editors
from tests.search_api.corpus import index_corpus, search

DRAFT = {
    "title": "Journalists detained ahead of Cambodia's elections",
    "text": (
        "Police in Phnom Penh detained two journalists covering the elections and seized "
        "their notebooks. Press freedom groups condemned the detentions. Zanzibarquux."
    ),
}


def related(client: TestClient, **body) -> dict:
    response = client.post("/related", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def result_ids(response: dict) -> list[str]:
    return [hit["id"] for hit in response["results"]]


def test_related_stories_with_shared_terms_and_best_section(client: TestClient):
    response = related(client, **DRAFT)
    found = result_ids(response)
    assert found[0] == "gv/cambodia-press"
    top = response["results"][0]
    assert top["shared_terms"] and all(" " not in term for term in top["shared_terms"])
    # Shared terms are words as the draft wrote them, not stems.
    assert {"journalists", "detentions", "notebooks"} & set(top["shared_terms"])
    assert top["sections"] and "<mark>" in top["sections"][0]["snippet"]
    assert response["terms"] and "zanzibarquux" not in response["terms"]
    assert response["index_version"] == client.get("/health").json()["index_version"]


def test_a_drafts_terms_are_its_words_without_possessive_endings(client: TestClient):
    response = related(client, title="Cambodia's press law", text="Cambodia's journalists.")
    assert "cambodia" in response["terms"] and "cambodia's" not in response["terms"]


def test_a_word_a_long_draft_has_once_is_not_what_it_is_about(client: TestClient):
    # Past MAX_CANDIDATE_TERMS different words, those written once are not looked up.
    once = " ".join(f"zq{n}" for n in range(articles.MAX_CANDIDATE_TERMS))
    assert related(client, title="", text="zq1 zq2 Cambodia")["terms"] == ["cambodia"]
    assert related(client, title="", text=f"{once} Cambodia")["terms"] == []
    assert related(client, title="", text=f"{once} Cambodia Cambodia")["terms"] == ["cambodia"]


def test_the_draft_is_not_indexed(client: TestClient):
    before = client.get("/health").json()
    related(client, **DRAFT)
    assert client.get("/health").json() == before
    assert search(client, q="Zanzibarquux")["total"] == 0


# Related to stories of several dates and tags, each sharing two of its terms or more (DRAFT
# shares them with two stories only).
WIDE_DRAFT = {
    "title": "Journalists and students charged as elections near",
    "text": (
        "Police detained journalists covering the elections, and a student was charged over "
        "a Facebook post; the opposition party says lawyers were questioned. Critics fear "
        "surveillance of protesters."
    ),
}


def test_exclude_limit_and_filters(client: TestClient):
    everything = result_ids(related(client, **WIDE_DRAFT, limit=10))
    assert len(everything) > 2
    excluded = result_ids(related(client, **WIDE_DRAFT, exclude=["gv/cambodia-press"], limit=10))
    assert "gv/cambodia-press" not in excluded
    assert excluded == [i for i in everything if i != "gv/cambodia-press"][: len(excluded)]
    assert len(result_ids(related(client, **WIDE_DRAFT, limit=1))) == 1
    dated = related(client, **WIDE_DRAFT, limit=10, **{"from": "2019-01-01", "to": "2020-12-31"})
    assert dated["results"] and all(
        "2019-01-01" <= hit["date"] <= "2020-12-31" for hit in dated["results"]
    )
    tagged = related(client, **WIDE_DRAFT, limit=10, tag="freespeech")
    assert tagged["results"] and all(
        "freespeech" in [t.casefold() for t in hit["tags"]] for hit in tagged["results"]
    )


def test_the_draft_is_analysed_once(client: TestClient, monkeypatch: pytest.MonkeyPatch):
    # Its key terms are what its related stories are found by and what "terms" lists: a
    # long draft takes a tenth of a second to analyse.
    analysed = []

    def counted(*args, **kwargs):
        analysed.append(args)
        return key_terms(*args, **kwargs)

    monkeypatch.setattr(articles, "key_terms", counted)
    monkeypatch.setattr(editors, "key_terms", counted)
    related(client, **DRAFT)
    assert len(analysed) == 1


def test_same_request_same_bytes(client: TestClient):
    first = client.post("/related", json=DRAFT).content
    assert client.post("/related", json=DRAFT).content == first


@pytest.mark.parametrize(
    ("draft", "language"),
    [
        ({"title": "Journalists detained", "text": ""}, "en"),
        # Too short to detect for sure: the likeliest of the archive's languages (English
        # and Spanish), not the default language (English).
        ({"title": "Periodistas detenidos", "text": ""}, "es"),
        (
            {
                "title": "Tortura en cárceles de Venezuela",
                "text": "Presos políticos denuncian torturas.",
            },
            "es",
        ),
        ({"title": "Periodistas detenidos", "lang": "en"}, "en"),  # as the editor says
    ],
)
def test_the_answer_says_which_language_the_draft_was_read_in(
    client: TestClient, draft: dict, language: str
):
    assert related(client, **draft)["language"] == language


def test_a_draft_that_tells_no_language_is_in_one_the_archive_has(index_dir: Path):
    # The default language is one the archive has no article in: its commonest is taken,
    # else no story could be related.
    settings = Settings(rate_limit_per_minute=0, default_language="fr")
    with TestClient(create_app(index_dir, settings)) as client:
        answer = related(client, title="Nicaragua", text="")
    assert answer["language"] == "en"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"title": "x" * 1001}, 400, "title must be at most 1000 characters"),
        ({"text": "x" * 200_001}, 400, "text must be at most 200000 characters"),
        ({"text": "x", "limit": 0}, 400, "limit must be between 1 and 50"),
        ({"text": "x", "limit": 51}, 400, "limit must be between 1 and 50"),
        ({"text": "x", "limit": True}, 422, "limit: Input should be a valid integer"),
        ({"text": "x", "from": "yesterday"}, 400, "from must be a date"),
        ({"text": "x", "lang": "zz"}, 400, "lang must be a language code advosearch knows"),
        ({"text": "x", "draft": "typo"}, 422, "draft"),
        # It was a 200 with no stories, and nothing said why.
        ({"title": "", "text": "  "}, 400, "the draft has no title nor text"),
        # Markup alone, read as an article's body is: no text either.
        ({"title": "<b> </b>", "text": '<p><img src="a.jpg"></p>'}, 400, "no title nor text"),
    ],
)
def test_bad_drafts(client: TestClient, body: dict, status: int, message: str):
    response = client.post("/related", json=body)
    assert response.status_code == status, response.text
    assert message in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("sent", "read_as"),
    [
        ({**DRAFT, "title": None}, {"text": DRAFT["text"]}),
        ({**DRAFT, "text": None}, {"title": DRAFT["title"]}),
        ({**DRAFT, "exclude": None}, DRAFT),
    ],
)
def test_a_drafts_field_sent_as_null_is_absent(client: TestClient, sent: dict, read_as: dict):
    # As its filters' null is: "title": null was a 422.
    assert related(client, **sent) == related(client, **read_as)


def test_related_schema_has_examples(client: TestClient):
    document = client.get("/openapi.json").json()
    schema = document["components"]["schemas"]["DraftRequest"]
    assert schema["examples"]
    for field, spec in schema["properties"].items():
        assert spec.get("examples"), field


def test_excluding_many_stories_leaves_the_next_ones(tmp_path: Path):
    # Forty stories about one strike, more than a page of candidates to exclude, in an
    # archive where the strike's words are distinctive (in a fifth of its stories).
    records = [
        {
            "id": f"strike-{number:02d}",
            "title": f"Dockworkers strike, day {number}",
            "body": f"<p>Dockworkers in Mombasa strike for the {number}th day over pay.</p>"
            + " <p>Unrelated filler.</p>" * number,
        }
        for number in range(1, 41)
    ] + [
        {"id": f"other-{number}", "title": f"Budget hearing {number}", "body": "<p>Taxes.</p>"}
        for number in range(160)
    ]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "strikes.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([tmp_path / "corpus"], tmp_path / "index")
    draft = {"title": "Mombasa dockworkers strike", "text": "The dockworkers strike goes on."}
    with TestClient(create_app(tmp_path / "index")) as client:
        everything = result_ids(related(client, **draft, limit=50))
        assert len(everything) == 40
        shown = result_ids(related(client, **draft, exclude=everything[:35], limit=10))
        assert shown == everything[35:]


def test_loading_the_language_model_leaves_the_searcher_to_searches(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
):
    # A worker's first draft loads the detector's model (about a second): loaded holding the
    # searcher, it kept the worker's searches waiting behind it.
    searcher_taken_while_loading = []
    loaded = languages.detector

    def loading() -> object:
        if not searcher_taken_while_loading:  # later calls find the model loaded
            with client.app.state.engine.snapshot() as snapshot:
                searcher_taken_while_loading.append(snapshot.turns._taken)
        return loaded()

    monkeypatch.setattr(languages, "detector", loading)
    monkeypatch.setattr(editors, "detector", loading)
    related(client, title="Periodistas detenidos", text="")
    assert searcher_taken_while_loading == [False]
