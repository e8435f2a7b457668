"""Facets count the whole result set; pages partition it exactly."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from indexer.analysis import tag_term
from tests.search_api.corpus import ALL_IDS, ids, search


def facet(response: dict, name: str) -> dict[str, int]:
    return {item["value"]: item["count"] for item in response["facets"][name]}


class TestFacets:
    def test_facets_count_every_match_not_just_the_page(self, client: TestClient):
        response = search(client, q="tag:freespeech", page_size=1)
        assert len(response["results"]) == 1
        assert facet(response, "tags") == {
            "freespeech": 3,
            "Cambodia": 1,
            "Thailand": 1,
            "México": 1,
        }
        assert facet(response, "source") == {"globalvoices": 3}
        assert facet(response, "language") == {"en": 2, "es": 1}
        assert facet(response, "year") == {"2019": 2, "2018": 1}

    def test_facets_of_the_whole_archive(self, client: TestClient):
        response = search(client, page_size=1)
        assert facet(response, "source") == {"globalvoices": 7, "amnesty": 5}
        assert facet(response, "language") == {"en": 11, "es": 1}
        assert facet(response, "year") == {
            "2021": 2,
            "2020": 4,
            "2019": 2,
            "2018": 2,
            "2017": 1,
            "2016": 1,
        }
        assert facet(response, "tags")["surveillance"] == 3
        assert sum(facet(response, "source").values()) == response["total"] == len(ALL_IDS)

    def test_years_are_listed_newest_first_and_counts_largest_first(self, client: TestClient):
        response = search(client, page_size=1)
        years = [item["value"] for item in response["facets"]["year"]]
        assert years == sorted(years, reverse=True)
        tags = [(-item["count"], tag_term(item["value"])) for item in response["facets"]["tags"]]
        assert tags == sorted(tags)  # largest counts first, equal counts by name
        assert len({count for count, _ in tags}) < len(tags)  # the fixture has ties

    def test_facets_follow_the_filters(self, client: TestClient):
        response = search(client, q="surveillance", source="amnesty", page_size=1)
        assert response["total"] == 2
        assert facet(response, "source") == {"amnesty": 2}
        assert facet(response, "year") == {"2021": 1, "2020": 1}

    def test_facets_of_a_partial_answer_count_its_matches(self, client: TestClient):
        response = search(client, q="cambodia ethiopia", page_size=1)
        assert response["partial"] is True
        assert sum(facet(response, "source").values()) == response["total"] == 4

    def test_no_match_no_facets(self, client: TestClient):
        response = search(client, q="zzzz")
        assert response["facets"] == {"tags": [], "source": [], "language": [], "year": []}


class TestPaging:
    @pytest.mark.parametrize("query", ["", "elections OR surveillance OR cambodia", "-zzzz"])
    @pytest.mark.parametrize("sort", ["relevance", "date"])
    @pytest.mark.parametrize("page_size", [1, 2, 3])
    def test_walking_all_pages_yields_each_match_once_in_order(
        self, client: TestClient, query: str, sort: str, page_size: int
    ):
        one_page = search(client, q=query, sort=sort, page_size=100)
        walked: list[str] = []
        page = 1
        while True:
            response = search(client, q=query, sort=sort, page=page, page_size=page_size)
            assert response["total"] == one_page["total"]
            assert (response["page"], response["page_size"]) == (page, page_size)
            if not response["results"]:
                break
            assert len(response["results"]) <= page_size
            walked.extend(ids(response))
            page += 1
        assert walked == ids(one_page)
        assert len(walked) == len(set(walked)) == one_page["total"]

    def test_total_is_exact(self, client: TestClient):
        assert search(client, q="elections", page_size=1)["total"] == 3
        assert search(client, page_size=1)["total"] == len(ALL_IDS)

    def test_last_page_is_short(self, client: TestClient):
        response = search(client, page=3, page_size=5)
        assert len(response["results"]) == len(ALL_IDS) - 10

    @pytest.mark.parametrize(("page", "page_size"), [(2, 100), (13, 1), (100, 10)])
    def test_page_beyond_the_end_is_empty_not_an_error(
        self, client: TestClient, page: int, page_size: int
    ):
        response = search(client, page=page, page_size=page_size)
        assert response["results"] == []
        assert response["total"] == len(ALL_IDS)
        last = -(-len(ALL_IDS) // page_size)
        assert response["notes"] == [f"page {page} is past the last page ({last})"]

    def test_a_page_of_results_has_no_note_about_pages(self, client: TestClient):
        assert search(client, page=3, page_size=5)["notes"] == []
