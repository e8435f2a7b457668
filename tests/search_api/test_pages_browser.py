"""The reader's page in a real headless Chromium against a real ``advosearch serve``.

Each test does what a reader does (types, clicks, follows links) and checks what the
reader sees. Chromium is Debian's (``.ci/run`` installs it); Playwright only drives it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from urllib.parse import parse_qs, quote, urlparse

import pytest

from tests.search_api.conftest import serving
from tests.search_api.corpus import index_corpus

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("browser tests need Debian's chromium; .ci/run installs it")
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True
    )

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright  # noqa: E402

# As root in a container, with no network but loopback: no sandbox, no background fetches.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: str) -> Iterator[Page]:
    """A page that records every host it requests."""
    context = browser.new_context(base_url=server)
    page = context.new_page()
    page.requested_hosts = set()  # type: ignore[attr-defined]
    page.on("request", lambda request: page.requested_hosts.add(urlparse(request.url).netloc))
    yield page
    context.close()


def search_for(page: Page, query: str) -> None:
    page.goto("/")
    search_from_header(page, query)


def search_from_header(page: Page, query: str) -> None:
    """Search from the current page's search box, as a reader does from any page."""
    page.get_by_label("Search the archive").fill(query)
    page.get_by_label("Search the archive").press("Enter")
    page.wait_for_load_state()


def test_reader_searches_and_sees_ranked_articles_with_marked_snippets(
    page: Page, server: str
) -> None:
    search_for(page, "torture")
    expect(page.get_by_role("heading", level=1)).to_have_text("1 article for torture")
    titles = page.locator("ol.hits h2").all_inner_texts()
    assert titles[0] == "Annual report: detention conditions"
    marks = page.locator("ol.hits mark").all_inner_texts()
    assert marks and all(mark.lower().startswith("tortur") for mark in marks)
    expect(page.get_by_label("Search the archive")).to_have_value("torture")
    assert page.requested_hosts == {urlparse(server).netloc}  # type: ignore[attr-defined]


def test_marked_words_stand_out_by_more_than_their_colour(page: Page) -> None:
    search_for(page, "torture")
    mark = page.locator("ol.hits mark").first
    weights = mark.evaluate(
        "mark => [mark, mark.parentElement].map(e => Number(getComputedStyle(e).fontWeight))"
    )
    assert weights[0] >= weights[1] + 300  # bold against regular


def test_clicking_a_facet_filters_and_can_be_undone(page: Page) -> None:
    search_for(page, "surveillance")
    before = page.get_by_role("heading", level=1).inner_text()
    facets = page.get_by_role("complementary", name="Refine results")
    facets.get_by_role("link", name="2021", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 article for")
    assert page.get_by_role("heading", level=1).inner_text() != before
    assert parse_qs(urlparse(page.url).query)["from"] == ["2021-01-01"]
    for hit_date in page.locator("ol.hits time").all():
        assert hit_date.get_attribute("datetime").startswith("2021")
    page.get_by_role("link", name="Remove filter from: 2021-01-01").click()
    page.get_by_role("link", name="Remove filter to: 2021-12-31").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(before)


def test_paging_walks_every_result_once(page: Page) -> None:
    search_for(page, "-zzzz")  # every article: 12, so two pages of ten
    expect(page.get_by_role("heading", level=1)).to_contain_text("12 articles")
    first = page.locator("ol.hits h2").all_inner_texts()
    page.get_by_role("link", name="Next", exact=True).click()
    expect(page.get_by_text("Page 2 of 2")).to_be_visible()
    second = page.locator("ol.hits h2").all_inner_texts()
    assert len(first) == 10 and len(second) == 2
    assert not set(first) & set(second)
    page.get_by_role("link", name="Previous", exact=True).click()
    assert page.locator("ol.hits h2").all_inner_texts() == first


def test_a_snippet_leads_to_its_section_in_the_article(page: Page) -> None:
    search_for(page, "ratify convention")
    snippet = page.locator("p.snippet a").first
    expect(snippet).to_contain_text("Recommendations")
    # Seen as a link without pointing at it (a phone has no hover).
    assert snippet.evaluate("link => getComputedStyle(link).textDecorationLine") == "underline"
    snippet.click()
    page.wait_for_load_state()
    assert urlparse(page.url).fragment == "recommendations"
    section = page.locator("section:target")
    expect(section.get_by_role("heading")).to_have_text("Recommendations")
    expect(section).to_be_in_viewport()


def test_article_page_shows_sections_and_related_stories(page: Page) -> None:
    page.goto("/a/gv/covid-surveillance")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "COVID-19 contact tracing app raises surveillance fears"
    )
    headings = page.locator("article.full section h2").all_inner_texts()
    assert headings == ["Privacy concerns", "Government response"]
    related = page.get_by_role("complementary", name="Related stories")
    titles = related.get_by_role("link").all_inner_texts()
    assert "Facial recognition cameras expand surveillance in Moscow" in titles
    assert not any(title.startswith("COVID-19 contact tracing") for title in titles)


def test_everything_works_with_javascript_off(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, java_script_enabled=False)
    page = context.new_page()
    try:
        search_for(page, "jornalists")
        expect(page.get_by_text("Did you mean")).to_be_visible()
        page.get_by_role("link", name="journalists").first.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("for journalists")
        page.get_by_role("link", name="newest first").click()
        assert parse_qs(urlparse(page.url).query)["sort"] == ["date"]
        dates = [t.get_attribute("datetime") for t in page.locator("ol.hits time").all()]
        assert dates == sorted(dates, reverse=True)
    finally:
        context.close()


def test_page_fits_a_320_pixel_phone_screen(browser: Browser, server: str) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        search_for(page, "surveillance")
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 320
        expect(page.get_by_role("button", name="Search")).to_be_in_viewport()
    finally:
        context.close()


# Three Arabic stories sharing words, so each has the others as related stories (among
# enough other articles for the words they share to be distinctive).
ARABIC = [
    {
        "id": "egypt-press",
        "title": "الصحفيون يواجهون الرقابة في مصر",
        "date": "2021-06-01",
        "language": "ar",
        "tags": ["حرية الصحافة"],
        "body": "<p>اعتقلت الشرطة صحفيين في القاهرة بسبب مقالات عن الرقابة على الإنترنت.</p>",
    },
    {
        "id": "egypt-sites",
        "title": "حجب المواقع الإخبارية في مصر",
        "date": "2021-07-15",
        "language": "ar",
        "body": "<p>حجبت السلطات مواقع إخبارية لصحفيين ينتقدون الرقابة على الإنترنت.</p>",
    },
    {
        "id": "sudan-shutdown",
        "title": "الرقابة على الإنترنت في السودان",
        "date": "2021-08-20",
        "language": "ar",
        "body": "<p>قطعت السلطات الإنترنت في السودان وفرضت الرقابة على الصحفيين.</p>",
    },
]


# Words longer than a phone screen is wide, as articles and readers write them.
LONG_HASHTAG = "#FreeTheJournalistsDetainedForReportingOnTheProtests"
LONG_TAG = "FreedomOfExpressionAndTheRightToInformation"
PASTED_URL = "https://news.example/2018/05/14/journalists-detained-after-reporting-on-the-protests/"
LONG_WORDS = {
    "id": "hashtag",
    "title": "Journalists detained over a hashtag",
    "date": "2021-09-01",
    "tags": [LONG_TAG],
    "translation_key": "hashtag",
    "body": f"<p>Thousands of readers shared {LONG_HASHTAG} within a day.</p>",
}
LONG_WORDS_ES = {
    "id": "hashtag-es",
    "title": "Periodistas detenidos por una etiqueta",
    "date": "2021-09-01",
    "language": "es",
    "translation_key": "hashtag",
    "body": f"<p>Miles de lectores compartieron {LONG_HASHTAG} en un día.</p>",
}


@pytest.fixture(scope="module")
def second_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on a second archive (source ``md``): the Arabic stories, a story with
    long words in English and Spanish, and a dozen English notes, one a year from 2008 to
    2019."""
    root = tmp_path_factory.mktemp("second")
    (root / "corpus" / "md").mkdir(parents=True)
    (root / "corpus" / "md" / "ar.json").write_text(json.dumps(ARABIC), encoding="utf-8")
    (root / "corpus" / "md" / "long.json").write_text(
        json.dumps([LONG_WORDS, LONG_WORDS_ES]), encoding="utf-8"
    )
    notes = [
        {
            "id": f"note-{year}",
            "title": f"Garden note of {year}",
            "date": f"{year}-03-01",
            "body": f"<p>Seeds sown in {year}.</p>",
        }
        for year in range(2008, 2020)
    ]
    (root / "corpus" / "md" / "en.json").write_text(json.dumps(notes), encoding="utf-8")
    index_corpus([root / "corpus"], root / "ix")
    with serving(root / "ix", root / "serve.log") as base:
        yield base


@pytest.mark.parametrize(
    "path",
    [
        "/a/long/hashtag",  # a long hashtag in the text, a long tag
        f"/?q={quote(PASTED_URL)}",  # a pasted address as the query
        f"/?q=journalists&tag={LONG_TAG}",  # a long tag in use and in the facets
        "/a/ar/egypt-press",  # right-to-left related stories
    ],
)
def test_long_words_and_right_to_left_lists_fit_a_360_pixel_phone_screen(
    browser: Browser, second_server: str, path: str
) -> None:
    context = browser.new_context(base_url=second_server, viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        assert page.goto(path).ok
        assert page.evaluate("document.documentElement.scrollWidth") == 360
    finally:
        context.close()


def test_on_a_phone_the_facets_are_one_tap_away_and_big_enough_to_tap(
    browser: Browser, second_server: str
) -> None:
    context = browser.new_context(base_url=second_server, viewport={"width": 360, "height": 640})
    page = context.new_page()
    try:
        search_for(page, "journalists")
        expect(page.locator("p.translations")).to_contain_text("Also in: es")
        small = page.evaluate(
            """() => [...document.querySelectorAll('.facets li a, .translations a')]
                .map(link => [link.textContent, link.getBoundingClientRect()])
                .filter(([, box]) => box.width < 24 || box.height < 24)"""
        )
        assert small == []
        search_from_header(page, "garden")  # ten results before the facets
        facets = page.get_by_role("complementary", name="Refine results")
        first_facet = facets.get_by_role("heading").first
        expect(first_facet).not_to_be_in_viewport()
        page.get_by_role("link", name="Refine results").click()
        expect(first_facet).to_be_in_viewport()
    finally:
        context.close()


# Where the day and the month of a date like "1 June 2021" are drawn in an element.
DAY_AND_MONTH_LEFT = """element => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
        const date = /(\\d+) ([A-Z][a-z]+) \\d{4}/.exec(node.textContent);
        if (!date) continue;
        const left = (start, length) => {
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + length);
            return range.getBoundingClientRect().left;
        };
        return [left(date.index, date[1].length), left(date.index + date[1].length + 1, 3)];
    }
    return null;
}"""


def direction(locator: Locator) -> str:
    return locator.evaluate("element => getComputedStyle(element).direction")


def reads_left_to_right(page: Page, selector: str) -> None:
    """Every ``selector`` is laid out left to right, the day of its date left of the month."""
    metas = page.locator(selector).all()
    assert metas
    for meta in metas:
        assert direction(meta) == "ltr", meta.inner_text()
        day, month = meta.evaluate(DAY_AND_MONTH_LEFT)
        assert day < month, meta.inner_text()


def test_dates_of_right_to_left_articles_read_left_to_right(
    browser: Browser, second_server: str
) -> None:
    context = browser.new_context(base_url=second_server)
    page = context.new_page()
    try:
        page.goto("/a/ar/egypt-press")
        meta = page.locator("article.full p.meta")
        expect(meta).to_contain_text("1 June 2021 · md")
        reads_left_to_right(page, "article.full p.meta")
        # The article and its related stories themselves stay right to left.
        assert direction(page.locator("article.full h1")) == "rtl"
        expect(page.locator(".related li")).to_have_count(2)
        assert {direction(story) for story in page.locator(".related li").all()} == {"rtl"}
        reads_left_to_right(page, ".related span.meta")
        page.goto("/?q=الرقابة")
        expect(page.locator("ol.hits p.meta")).to_have_count(3)
        expect(page.locator("ol.hits").get_by_text("1 June 2021")).to_be_visible()
        reads_left_to_right(page, "ol.hits p.meta")
    finally:
        context.close()


# Where a text is drawn in an element: the left edge of its first occurrence.
LEFT_OF_TEXT = """(element, text) => {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    for (let node; (node = walker.nextNode()); ) {
        const start = node.textContent.indexOf(text);
        if (start < 0) continue;
        const range = document.createRange();
        range.setStart(node, start);
        range.setEnd(node, start + text.length);
        return range.getBoundingClientRect().left;
    }
    return null;
}"""


def left_of(locator: Locator, text: str) -> float:
    return locator.evaluate(LEFT_OF_TEXT, text)


def test_right_to_left_words_keep_their_order_inside_english_lines(
    browser: Browser, second_server: str
) -> None:
    context = browser.new_context(base_url=second_server)
    page = context.new_page()
    try:
        search_for(page, "2021 الرقابة")
        # Read right to left, the query starts with 2021: it is drawn right of the word.
        heading = page.get_by_role("heading", level=1)
        expect(heading).to_contain_text("articles for")
        assert left_of(heading, "الرقابة") < left_of(heading, "2021")
        assert direction(page.get_by_label("Search the archive")) == "rtl"
        # A facet's count stays after its value, on the right of the English line.
        tag = page.get_by_role("complementary", name="Refine results").locator("li").first
        expect(tag).to_have_text("حرية الصحافة 1")
        assert left_of(tag, "حرية") < left_of(tag, "1")
    finally:
        context.close()


def test_dates_in_the_wrong_order_are_ignored_and_the_next_search_works(page: Page) -> None:
    search_for(page, "internet")
    facets = page.get_by_role("complementary", name="Refine results")
    facets.get_by_label("From").fill("2021-01-01")
    facets.get_by_label("To").fill("2020-01-01")
    facets.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("4 articles for internet")
    expect(page.get_by_text("The dates were ignored")).to_be_visible()
    # A new search from the header no longer carries them.
    search_from_header(page, "surveillance")
    expect(page.get_by_role("heading", level=1)).to_have_text("3 articles for surveillance")
    assert "from" not in parse_qs(urlparse(page.url).query)
    expect(page.get_by_text("were ignored")).to_have_count(0)
    # The reader can take the dates the other way round.
    page.go_back()
    page.get_by_role("link", name="Search from 1 January 2020 to 1 January 2021 instead").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("4 articles for internet")
    assert parse_qs(urlparse(page.url).query)["to"] == ["2021-01-01"]


def test_a_mistyped_address_shows_a_page_with_a_way_back(page: Page) -> None:
    response = page.goto("/about")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    expect(page.get_by_text("no such page.")).to_be_visible()
    search_from_header(page, "torture")
    expect(page.get_by_role("heading", level=1)).to_have_text("1 article for torture")


def test_years_past_the_tenth_are_one_click_away_with_javascript_off(
    browser: Browser, second_server: str
) -> None:
    context = browser.new_context(base_url=second_server, java_script_enabled=False)
    page = context.new_page()
    try:
        search_for(page, "garden")
        expect(page.get_by_role("heading", level=1)).to_have_text("12 articles for garden")
        years = (
            page.get_by_role("complementary", name="Refine results")
            .locator("section")
            .filter(has=page.get_by_role("heading", name="Year"))
        )
        expect(years.get_by_role("link", name="2009", exact=True)).to_be_hidden()
        years.get_by_text("2 more years").click()
        years.get_by_role("link", name="2009", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("1 article for garden")
        expect(page.locator("ol.hits h2")).to_have_text(["Garden note of 2009"])
    finally:
        context.close()


def test_api_docs_work_with_nothing_loaded_from_another_host(page: Page, server: str) -> None:
    # A researcher reading the API docs tells no CDN so: Swagger UI's script and stylesheet
    # come from this server, and the page's policy lets nothing else in.
    blocked: list[str] = []
    page.on(
        "console", lambda message: blocked.append(message.text) if message.type == "error" else None
    )
    page.goto("/docs")
    expect(page.get_by_text("/search/counts", exact=True).first).to_be_visible()
    assert page.requested_hosts == {urlparse(server).netloc}  # type: ignore[attr-defined]
    assert blocked == []
