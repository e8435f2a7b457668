"""GET /articles/{id}, /articles/{id}/related, /health, and the OpenAPI document."""

from __future__ import annotations

import json
import re
import time
import tomllib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from tests.search_api.corpus import (
    ALL_IDS,
    ids,
    index_corpus,
    records_client,
    search,
    write_corpus,
)


class TestArticle:
    def test_whole_article_with_ordered_sections_and_anchors(self, client: TestClient):
        response = client.get("/articles/amnesty/reports/2018/annual")
        assert response.status_code == 200
        article = response.json()
        assert article["id"] == "amnesty/reports/2018/annual"
        assert article["title"] == "Annual report: detention conditions"
        assert (article["date"], article["source"], article["language"]) == (
            "2018-12-31",
            "amnesty",
            "en",
        )
        assert article["tags"] == ["torture", "detention"]
        assert article["authors"] == ["Amnesty Research Team"]
        assert [(s["heading"], s["anchor"]) for s in article["sections"]] == [
            (None, "intro"),
            ("Methods", "methods"),
            ("Testimonies", "testimonies"),
            ("Legal framework", "legal-framework"),
            ("Recommendations", "recommendations"),
        ]
        assert article["sections"][0]["text"] == (
            "This report documents torture in detention facilities during 2018."
        )
        assert article["index_version"]

    def test_text_is_returned_as_written(self, client: TestClient):
        article = client.get("/articles/amnesty/xss-report").json()
        assert article["sections"][0]["text"].startswith(
            "Attackers injected <script>alert(1)</script> into"
        )

    @pytest.mark.parametrize("article_id", ALL_IDS)
    def test_every_search_result_id_opens(self, client: TestClient, article_id: str):
        assert client.get(f"/articles/{article_id}").json()["id"] == article_id


class TestRelated:
    def related(self, client: TestClient, article_id: str, **params) -> list[dict]:
        response = client.get(f"/articles/{article_id}/related", params=params)
        assert response.status_code == 200, response.text
        return response.json()["results"]

    def test_excludes_itself_and_its_copy(self, client: TestClient):
        found = [hit["id"] for hit in self.related(client, "gv/covid-surveillance")]
        assert "gv/covid-surveillance" not in found
        assert "amnesty/covid-surveillance-copy" not in found
        assert found[0] == "amnesty/facial-recognition"

    def test_copy_also_excludes_the_original(self, client: TestClient):
        found = [hit["id"] for hit in self.related(client, "amnesty/covid-surveillance-copy")]
        assert found[0] == "amnesty/facial-recognition"
        assert not {"gv/covid-surveillance", "amnesty/covid-surveillance-copy"} & set(found)

    def test_shared_terms_are_words_as_written(self, client: TestClient):
        best = self.related(client, "gv/covid-surveillance")[0]
        assert best["shared_terms"][0] == "surveillance"
        assert {"surveillance", "location", "data"} <= set(best["shared_terms"])
        assert "surveil" not in best["shared_terms"]

    def test_related_by_distinctive_terms(self, client: TestClient):
        # "opposition" and "party" were crowded out by words no other article has ("cnrp",
        # "notebooks"); gv/cambodia-land ("cambodia") and amnesty/ethiopia-shutdown
        # ("elections") were listed for one word each.
        found = self.related(client, "gv/cambodia-press")
        assert [hit["id"] for hit in found] == ["gv/laos-elections", "amnesty/reports/2018/annual"]
        assert set(found[0]["shared_terms"]) == {"cambodia", "elections", "opposition", "party"}

    def test_best_section_snippet_marks_shared_words(self, client: TestClient):
        best = self.related(client, "gv/covid-surveillance")[0]
        (section,) = best["sections"]
        assert section["anchor"] == "surveillance"
        assert "<mark>surveillance</mark>" in section["snippet"]

    def test_limit(self, client: TestClient):
        # Of its three related stories (gv/covid-surveillance has one that shares two terms).
        assert len(self.related(client, "amnesty/facial-recognition", limit=2)) == 2

    def test_a_parameter_given_twice_is_refused_and_an_unknown_one_is_said(
        self, client: TestClient
    ):
        # As /search does: limit=5&limit=6 took 6 unseen, lang=es was ignored unsaid.
        twice = client.get("/articles/gv/covid-surveillance/related?limit=5&limit=6")
        assert twice.status_code == 400
        assert twice.json()["error"]["message"] == "limit takes one value (got 2: 5, 6)"
        unknown = client.get("/articles/gv/covid-surveillance/related?lang=es").json()
        assert unknown["notes"] and "lang" in unknown["notes"][0]

    # Of amnesty/facial-recognition's: gv/covid-surveillance (2020-04-15), its copy
    # (2020-04-16) and amnesty/ethiopia-shutdown (2020-06-30, tagged internet).
    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"from": "2020-04-16"},
             ["amnesty/covid-surveillance-copy", "amnesty/ethiopia-shutdown"]),
            ({"to": "2020-04-15"}, ["gv/covid-surveillance"]),
            ({"tag": "Internet"}, ["amnesty/ethiopia-shutdown"]),
            ({"from": "2020", "to": "2020", "tag": "privacy"},
             ["gv/covid-surveillance", "amnesty/covid-surveillance-copy"]),
        ],
    )  # fmt: skip
    def test_filters_keep_the_related_stories_of_those_dates_and_tags(
        self, client: TestClient, params: dict, expected: list[str]
    ):
        found = self.related(client, "amnesty/facial-recognition", **params)
        assert [hit["id"] for hit in found] == expected

    def test_a_bad_filter_is_a_400_naming_it(self, client: TestClient):
        url = "/articles/gv/covid-surveillance/related"
        response = client.get(url, params={"from": "2022", "to": "2020"})
        assert response.status_code == 400
        assert "from" in response.json()["error"]["message"]

    @pytest.mark.parametrize("limit", [0, 51])
    def test_a_limit_out_of_range_is_a_400_as_for_a_draft(self, client: TestClient, limit):
        url = "/articles/gv/covid-surveillance/related"
        response = client.get(url, params={"limit": limit})
        draft = client.post("/related", json={"text": "Surveillance apps.", "limit": limit})
        for answer in (response, draft):
            assert answer.status_code == 400
            assert answer.json()["error"] == {
                "code": "invalid_request",
                "message": f"limit must be between 1 and 50 (got {limit})",
            }

    @pytest.mark.parametrize("path", ["/articles/{}", "/articles/{}/related"])
    def test_a_long_unknown_id_is_quoted_by_its_start(self, client: TestClient, path: str):
        # Sent back whole, a 5,000-character id made a 5,064-byte 404.
        response = client.get(path.format("x" * 5000))
        assert response.status_code == 404
        assert response.json()["error"] == {
            "code": "not_found",
            "message": f"no article with id '{'x' * 300}'… (5,000 characters)",
        }

    def test_id_with_slashes(self, client: TestClient):
        found = self.related(client, "amnesty/reports/2018/annual")
        assert "amnesty/reports/2018/annual" not in [hit["id"] for hit in found]


RELEASE = "Dockworkers in Mombasa strike over unsafe cranes; their union leader calls for talks."


@pytest.mark.parametrize(
    "copy_fields",
    [
        # Republished with its title marked: a near-duplicate by score.
        lambda n: {"title": f"Mombasa dockworkers strike ({n})", "body": RELEASE},
        # A daily update under the same title: a copy by title.
        lambda n: {"title": "Mombasa dockworkers strike", "body": f"Day {n}."},
    ],
    ids=["same-text", "same-title"],
)
def test_many_copies_leave_room_for_related_stories(tmp_path: Path, copy_fields):
    # Thirty copies of a press release, more than a page of candidates, and two other
    # stories about the strike.
    records = [
        {"id": "release", "title": "Mombasa dockworkers strike", "body": RELEASE},
        *({"id": f"copy-{n:02d}", **copy_fields(n)} for n in range(30)),
        {"id": "wages", "title": "Wages unpaid", "body": "Dockworkers in Mombasa are owed wages."},
        {"id": "cranes", "title": "Unsafe cranes", "body": "A crane collapsed in Mombasa."},
        *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes."} for n in range(200)),
    ]
    results = related_in_archive(tmp_path, "port", records, "release")
    assert [hit["id"] for hit in results] == ["port/cranes", "port/wages"]


def test_copies_among_related_stories_are_listed_once(tmp_path: Path):
    # One passage of a yearly report, repeated word for word in three years' editions.
    passage = "Journalists in Mombasa were detained for covering the dockworkers' strike."
    records = [
        {"id": "release", "title": "Mombasa dockworkers strike", "body": RELEASE},
        *(
            {"id": f"report-{year}", "title": "Media freedom", "body": passage}
            for year in (1, 2, 3)
        ),
        {"id": "wages", "title": "Wages unpaid", "body": "Dockworkers in Mombasa are owed wages."},
        *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes."} for n in range(20)),
    ]
    results = related_in_archive(tmp_path, "port", records, "release")
    assert sorted(hit["id"] for hit in results) == ["port/report-1", "port/wages"]


def test_versions_of_one_passage_among_related_stories_are_listed_once(tmp_path: Path):
    # A yearly report's untitled passage, written again each year with a few words changed:
    # each one's title is made up of its first words, the same for all.
    opening = "Media freedom in Kenya remained under pressure during the year under review"
    versions = [
        f"{opening}. Journalists in Mombasa were detained for covering the dockworkers' "
        f"strike, and {charged} were charged under the cybercrimes law."
        for charged in ("two reporters", "three of them", "five of their colleagues")
    ]
    records = [
        {"id": "release", "title": "Mombasa dockworkers strike", "body": RELEASE},
        *({"id": f"report-{year}", "body": text} for year, text in enumerate(versions)),
        {"id": "wages", "title": "Wages unpaid", "body": "Dockworkers in Mombasa are owed wages."},
        *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes."} for n in range(20)),
    ]
    results = related_in_archive(tmp_path, "port", records, "release")
    assert len([hit for hit in results if hit["id"].startswith("port/report-")]) == 1
    assert "port/wages" in [hit["id"] for hit in results]


def test_texts_under_a_recurring_title_of_their_own_are_all_listed(tmp_path: Path):
    # Two statements of a series, one title, the union's closing paragraph in common.
    about = (
        "About the union: the union represents dockworkers in the port of Mombasa. "
        "Media enquiries go to the union's press office."
    )
    records = [
        {"id": "release", "title": "Mombasa dockworkers strike", "body": RELEASE},
        {
            "id": "stmt-1",
            "title": "Union statement",
            "body": f"Dockworkers in Mombasa will strike on Monday over unpaid wages. {about}",
        },
        {
            "id": "stmt-2",
            "title": "Union statement",
            "body": f"Police detained strike leaders at the Mombasa port gates. {about}",
        },
        *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes."} for n in range(20)),
    ]
    results = related_in_archive(tmp_path, "port", records, "release")
    assert {"port/stmt-1", "port/stmt-2"} <= {hit["id"] for hit in results}


def related_in_archive(tmp_path: Path, name: str, records: list[dict], article: str) -> list:
    """The related stories of ``article`` in an archive of one JSON file of ``records``."""
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / f"{name}.json").write_text(json.dumps(records), encoding="utf-8")
    index_corpus([tmp_path / "corpus"], tmp_path / "index")
    with TestClient(create_app(tmp_path / "index")) as client:
        response = client.get(f"/articles/{name}/{article}/related")
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_passages_without_titles_are_related_by_their_text_not_their_openings(tmp_path: Path):
    # Untitled passages of one report: each gets a title made up from its first words, the
    # same for all of them. That opening is not counted as a title's words, and passages
    # sharing it are not copies of one another.
    opening = "Freedom in the World 2019 finds that in this country the ruling party and government"
    records = [
        {"id": "assembly", "body": f"{opening} banned rallies; police detained organisers."},
        {"id": "rallies", "body": f"{opening} met rallies with force; organisers detained."},
        {"id": "press", "body": f"{opening} closed newspapers and fined editors."},
        *({"id": f"budget-{n}", "body": f"Taxes rose {n} percent."} for n in range(20)),
    ]
    [best, *_] = related_in_archive(tmp_path, "report", records, "assembly")
    assert best["id"] == "report/rallies"
    assert {"rallies", "organisers", "detained"} <= set(best["shared_terms"])


def test_chinese_articles_are_related_by_their_words(tmp_path: Path):
    # Chinese is indexed as pairs of characters: "记者" (journalist), "新闻自由" (press
    # freedom) as "新闻", "闻自", "自由".
    records = [
        {
            "id": "arrest",
            "language": "zh",
            "title": "记者被捕",
            "body": "两名记者被警方拘留，新闻自由组织表示关切。",
        },
        {
            "id": "censor",
            "language": "zh",
            "title": "互联网审查",
            "body": "当局封锁了记者的账户，新闻自由受到威胁。",
        },
        *(
            {
                "id": f"weather-{n}",
                "language": "zh",
                "title": "天气预报",
                "body": f"明天有雨，气温{n}度。",
            }
            for n in range(20)
        ),
    ]
    [best, *_] = related_in_archive(tmp_path, "zh", records, "arrest")
    assert best["id"] == "zh/censor"
    assert {"记者", "新闻", "自由"} <= set(best["shared_terms"])


def test_japanese_articles_are_related_by_their_words_not_their_grammar(tmp_path: Path):
    # Particles and verb endings are written in hiragana ("され", "した"): in every article,
    # and in an archive mostly in English not common enough to be left out as such.
    records = [
        {
            "id": "arrest",
            "language": "ja",
            "title": "記者逮捕",
            "body": "東京で記者が逮捕されました。警察は取材を妨害しています。",
        },
        {
            "id": "detained",
            "language": "ja",
            "title": "記者拘束",
            "body": "大阪で記者が拘束されました。政府は逮捕を否定しています。",
        },
        {
            "id": "weather",
            "language": "ja",
            "title": "天気",
            "body": "明日は雨が降ると話されました。気温が下がっています。",
        },
        *(
            {"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes rose again."}
            for n in range(30)
        ),
    ]
    results = related_in_archive(tmp_path, "ja", records, "arrest")
    assert [hit["id"] for hit in results] == ["ja/detained"]
    assert {"記者", "逮捕"} <= set(results[0]["shared_terms"])
    assert not any(re.search("[\u3040-\u309f]", term) for term in results[0]["shared_terms"])


def test_health_counts(client: TestClient):
    health = client.get("/health").json()
    assert health["ok"] is True
    assert health["articles"] == len(ALL_IDS)
    assert health["sections"] == 30
    assert health["index_version"] == search(client, q="cambodia")["index_version"]


def test_running_app_serves_a_new_index_version_without_restart(tmp_path: Path):
    corpus = write_corpus(tmp_path / "corpus")
    index_dir = tmp_path / "index"
    index_corpus([corpus], index_dir)
    with TestClient(create_app(index_dir)) as client:
        before = client.get("/health").json()
        assert search(client, q="Bahrain")["total"] == 0

        extra = [{"id": "bahrain", "title": "Bahrain frees a blogger", "body": "<p>Freed.</p>"}]
        (corpus / "globalvoices" / "extra.json").write_text(json.dumps(extra), encoding="utf-8")
        index_corpus([corpus], index_dir)

        # The engine looks for a new commit at most every 0.5 s: wait for it.
        deadline = time.monotonic() + 10
        health = client.get("/health").json()
        while health["index_version"] == before["index_version"] and time.monotonic() < deadline:
            time.sleep(0.1)
            health = client.get("/health").json()
        assert health["index_version"] != before["index_version"]
        assert health["articles"] == before["articles"] + 1
        response = search(client, q="Bahrain")
        assert ids(response) == ["extra/bahrain"]
        assert response["index_version"] == health["index_version"]


PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"
API_PATHS = frozenset(
    {"/search", "/articles/{article_id}", "/articles/{article_id}/related", "/health"}
)


class TestOpenApi:
    def test_lists_every_endpoint(self, client: TestClient):
        paths = client.get("/openapi.json").json()["paths"]
        assert set(paths) >= API_PATHS
        for path in API_PATHS:
            assert "get" in paths[path]

    def test_every_search_parameter_has_an_example(self, client: TestClient):
        operation = client.get("/openapi.json").json()["paths"]["/search"]["get"]
        names = {param["name"] for param in operation["parameters"]}
        assert names == {
            "q",
            "page",
            "page_size",
            "from",
            "to",
            "tag",
            "source",
            "lang",
            "group_translations",
            "group_versions",
            "sort",
            "cursor",
        }
        for param in operation["parameters"]:
            schema = param["schema"]
            assert param.get("examples") or schema.get("examples"), param["name"]

    def test_related_stories_take_the_same_filters_for_an_article_and_a_draft(
        self, client: TestClient
    ):
        document = client.get("/openapi.json").json()
        operation = document["paths"]["/articles/{article_id}/related"]["get"]
        of_article = {param["name"] for param in operation["parameters"]}
        of_draft = set(document["components"]["schemas"]["DraftRequest"]["properties"])
        filters = {"from", "to", "tag", "source"}
        assert filters <= of_article and filters <= of_draft

    def test_errors_are_documented_in_the_one_shape(self, client: TestClient):
        document = client.get("/openapi.json").json()
        responses = document["paths"]["/search"]["get"]["responses"]
        for status in ("400", "404", "422"):
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}

    def test_says_the_version_of_advosearch_installed(self, client: TestClient):
        project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
        assert client.get("/openapi.json").json()["info"]["version"] == project["version"]

    def test_docs_page(self, client: TestClient):
        response = client.get("/docs")
        assert response.status_code == 200
        assert "swagger" in response.text.lower()


def test_stop_words_of_another_language_do_not_relate_stories(tmp_path: Path):
    # "que", "con" and "los" are Spanish stop words, so not indexed in Spanish articles, and
    # rare in English ones: two English articles quoting Spanish share them and nothing else.
    spanish = "El gobierno dice que los trabajadores con contratos"
    records = [
        {"id": "bogota-strike", "language": "en", "title": "Bogota bus drivers strike",
         "body": "Bus drivers in Bogota went on strike. 'Queremos que nos paguen con justicia',"
                 " said one; 'los patrones no escuchan', said another."},
        {"id": "bogota-wages", "language": "en", "title": "Bogota drivers unpaid",
         "body": "Drivers in Bogota say the strike is about unpaid wages."},
        {"id": "football", "language": "en", "title": "A draw in the derby",
         "body": "The derby ended in a draw. 'Jugamos con el alma', the captain told "
                 "reporters, 'que los hinchas lo saben'."},
        *({"id": f"es-{n}", "language": "es", "title": f"Noticia {n}", "body": f"{spanish} {n}."}
          for n in range(60)),
    ]  # fmt: skip
    results = related_in_archive(tmp_path, "news", records, "bogota-strike")
    assert [hit["id"] for hit in results] == ["news/bogota-wages"]
    assert not {"que", "con", "los"} & set(results[0]["shared_terms"])


def test_an_article_is_found_by_its_id_as_its_export_wrote_it(tmp_path: Path):
    record = {"id": "VUT 2023 Key Developments", "body": "Parliament was dissolved."}
    with records_client(tmp_path, "fiw.json", [record]) as client:
        written = client.get("/articles/fiw/VUT 2023 Key Developments")
        made = client.get("/articles/fiw/VUT-2023-Key-Developments")
    assert written.status_code == made.status_code == 200
    assert written.json()["id"] == "fiw/VUT-2023-Key-Developments"


def test_the_months_of_a_series_scoring_nearly_as_high_are_each_related(tmp_path: Path):
    # A month's report shares all its distinctive words with the others (its numbers are
    # none), so they score nearly as high as it does; their texts differ: no copies.
    bodies = {
        10: "The ministries answered 12 of the 40 information requests filed under the "
        "transparency law, and the police answered 3.",
        9: "Under the transparency law, the police answered 5 information requests, and the "
        "ministries answered 14 of 30 filed.",
        8: "Of 25 information requests filed under the transparency law, the ministries "
        "answered 9; the police answered 2.",
    }
    records = [
        *(
            {"id": f"report-{month}", "title": f"Compliance report {month}", "body": body}
            for month, body in bodies.items()
        ),
        *({"id": f"budget-{n}", "title": f"Budget {n}", "body": "Taxes."} for n in range(20)),
    ]
    results = related_in_archive(tmp_path, "iff", records, "report-10")
    assert {hit["id"] for hit in results} == {"iff/report-9", "iff/report-8"}
