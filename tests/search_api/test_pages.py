"""The reader's page, through the real app: private headers, no other host, escaped text."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from fastapi.testclient import TestClient
from markupsafe import Markup

from indexer.build import ParseOptions, build_index
from search_api.app import create_app
from search_api.negotiation import reader_language
from search_api.routes.pages import STYLESHEET_PATH, page_numbers, templates
from search_api.search import MAX_QUERY_LENGTH, MAX_TAG_FILTERS

# Attributes that make a browser fetch something by itself (a link only on a click).
FETCHING = {
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("form", "action"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("object", "data"),
    ("embed", "src"),
    ("input", "src"),
}


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))


def elements(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Elements()
    parser.feed(html)
    return parser.elements


@pytest.mark.parametrize(
    "path",
    ["/", "/?q=torture", "/?q=surveillance&tag=privacy&sort=date", "/a/amnesty/xss-report"],
)
def test_pages_send_privacy_headers_and_no_cookie(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src" not in csp  # no script at all, inline or not
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/?q=torture", "/?q=surveillance", "/a/gv/cambodia-press"])
def test_pages_load_nothing_from_another_host(client: TestClient, path: str) -> None:
    html = client.get(path).text
    for tag, attrs in elements(html):
        for attribute, value in attrs.items():
            if (tag, attribute) in FETCHING and value:
                assert not re.match(r"^(https?:)?//", value), (tag, attribute, value)
        assert tag != "script"
        assert "style" not in attrs  # inline styles would need 'unsafe-inline'


def test_results_page_weighs_under_60_kb_with_its_css(client: TestClient) -> None:
    page = client.get("/", params={"q": "-zzzz"})  # every article: the heaviest page
    css = client.get(STYLESHEET_PATH)
    assert page.status_code == css.status_code == 200
    assert len(page.content) + len(css.content) < 60 * 1024


@pytest.mark.parametrize("path", ["/?q=journalists", "/a/gv/cambodia-press", "/feed.atom"])
def test_pages_travel_compressed(client: TestClient, path: str) -> None:
    response = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.num_bytes_downloaded < len(response.content) / 2


def test_the_stylesheet_is_kept_for_a_year_at_an_address_naming_its_content(
    client: TestClient,
) -> None:
    [link] = [
        attrs
        for tag, attrs in elements(client.get("/").text)
        if tag == "link" and attrs.get("rel") == "stylesheet"
    ]
    css = client.get(str(link["href"]), headers={"Accept-Encoding": "gzip"})
    assert css.status_code == 200
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert css.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert css.headers["content-encoding"] == "gzip"
    assert hashlib.sha256(css.content).hexdigest()[:12] in str(link["href"])
    assert client.get("/static/style.css").status_code == 404  # an address that could change


@pytest.mark.parametrize(
    ("path", "heading"),
    [
        ("/", "Search 12 articles"),
        ("/?q=", "Search 12 articles"),
        ("/?q=torture", "1 article for <q><bdi>torture</bdi></q>"),
        ("/a/gv/cambodia-press", "Cambodia jails journalists before the elections"),
        ("/about", "Not found"),
    ],
)
def test_every_page_has_one_main_heading(client: TestClient, path: str, heading: str) -> None:
    html = client.get(path, headers={"accept": "text/html"}).text
    assert re.findall(r"<h1[^>]*>(.*?)</h1>", html) == [heading]


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/", "Search the archive"),
        ("/?q=torture", "\u2068torture\u2069 – 1 article – Search the archive"),
        ("/?q=-zzzz&page=2", "\u2068-zzzz\u2069 – 12 articles – page 2 of 2 – Search the archive"),
        (
            "/?q=-zzzz&page=9",
            "\u2068-zzzz\u2069 – 12 articles – Search the archive",
        ),  # past the last
        ("/?tag=privacy", "3 articles – Search the archive"),
        ("/?q=zzzz", "\u2068zzzz\u2069 – no articles – Search the archive"),
        # The query isolated: a right-to-left override in it does not turn the rest.
        ("/?q=%E2%80%AEzzzz", "\u2068\u202ezzzz\u2069 – no articles – Search the archive"),
    ],
)
def test_the_title_says_what_was_found_and_which_page(
    client: TestClient, path: str, title: str
) -> None:
    assert re.findall("<title>(.*)</title>", client.get(path).text) == [title]


def test_a_page_costs_a_slow_connection_no_request_for_an_icon(client: TestClient) -> None:
    """A browser asks for /favicon.ico unless the page names an icon; this one is inline,
    and the page's content security policy lets it be shown."""
    response = client.get("/")
    icons = [attrs for tag, attrs in elements(response.text) if attrs.get("rel") == "icon"]
    assert [icon["href"] for icon in icons] == ["data:,"]
    assert "img-src 'self' data:;" in response.headers["content-security-policy"]


def test_what_a_reader_types_is_not_spellchecked(client: TestClient) -> None:
    """Some browsers' enhanced spellcheck sends what is typed to a server of theirs."""
    for tag, attrs in elements(client.get("/").text):
        if tag == "input" and attrs.get("type") in ("search", "text"):
            assert attrs.get("spellcheck") == "false", attrs


def test_search_box_is_labelled_and_keeps_the_query(client: TestClient) -> None:
    html = client.get("/", params={"q": 'journalists "press freedom"'}).text
    found = dict(((tag, attrs.get("id")), attrs) for tag, attrs in elements(html))
    box = found[("input", "q")]
    assert box["value"] == 'journalists "press freedom"'
    # A paragraph pasted into it is cut where a query ends, not refused once submitted.
    assert box["maxlength"] == str(MAX_QUERY_LENGTH)
    assert any(tag == "label" and attrs.get("for") == "q" for tag, attrs in elements(html))
    assert any(tag == "main" for tag, _ in elements(html))
    assert any(tag == "form" and attrs.get("role") == "search" for tag, attrs in elements(html))


def test_reader_and_article_text_is_isolated_from_the_english_around_it(tmp_path: Path) -> None:
    """Right-to-left words inside an English line keep their own order, and the line's
    (a count stays after its tag): the search box takes the direction of what it holds,
    and the query, tags and authors are each in a <bdi>."""
    records = [
        {
            "id": "cairo",
            "title": "اعتقال مدونين في القاهرة",
            "language": "ar",
            "author": "منى سيف",
            "tags": ["حرية الصحافة"],
            "content": "<p>اعتقلت قوات الأمن ثلاثة مدونين في القاهرة.</p>",
        }
    ]
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "news.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path], tmp_path / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(tmp_path / "ix")) as client:
        html = client.get("/", params={"q": "مدونين -2019", "tag": "حرية الصحافة"}).text
        article = client.get("/a/news/cairo").text
    [box] = [attrs for tag, attrs in elements(html) if attrs.get("id") == "q"]
    assert box["dir"] == "auto"
    assert "1 article for <q><bdi>مدونين -2019</bdi></q></h1>" in html
    assert "tag: <bdi>حرية الصحافة</bdi> <span" in html  # the filter in use
    assert '<bdi>حرية الصحافة</bdi></a> <span class="n">1</span>' in html  # the facet
    assert "· <bdi>منى سيف</bdi></p>" in html
    assert "· <bdi>منى سيف</bdi>" in article
    assert '<bdi lang="ar">حرية الصحافة</bdi></a></li>' in article
    # The English lines inside the Arabic article are English to a screen reader.
    assert '<p class="meta" dir="ltr" lang="en">' in html
    assert '<p class="meta" dir="ltr" lang="en">' in article
    assert '<ul class="tags" aria-label="Tags" lang="en">' in article


def test_article_text_with_markup_is_shown_as_text(client: TestClient) -> None:
    html = client.get("/", params={"q": "injected"}).text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    article = client.get("/a/amnesty/xss-report").text
    assert "<script>" not in article
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An archive whose titles, urls and tags try to inject markup."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "site").mkdir()
    records = [
        {
            "id": "evil",
            # Titles are read as HTML: tags are dropped, escaped markup becomes text.
            "title": "&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;<img src=x> Evil",
            "url": "javascript:alert(document.cookie)",
            "tags": ['"><script>alert(2)</script>', "<b>bold</b>"],
            "author": "<b onmouseover=alert(3)>Mallory</b>",
            "content": "<p>Evil text about censorship.</p><h2><i>Bad</i> heading</h2><p>More "
            "censorship.</p>",
        }
    ]
    (root / "site" / "export.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([root], root / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(Path(root / "ix"))) as client:
        yield client


def test_injected_titles_urls_and_tags_never_become_markup(hostile_client: TestClient) -> None:
    results = hostile_client.get("/", params={"q": "censorship"})
    article = hostile_client.get("/a/export/evil")
    assert results.status_code == article.status_code == 200
    assert "1 article" in results.text
    for html in (results.text, article.text):
        assert "&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;" in html
        assert "<script" not in html
        assert "<img" not in html
        assert "<b " not in html
        assert "javascript:" not in html  # an unsafe url is dropped: links go to /a/{id}
    assert 'href="/a/export/evil"' in results.text


def test_the_page_and_the_feed_link_an_article_alike(tmp_path: Path) -> None:
    """An id is percent-encoded (but for "/") in the page's links as in the feed's, and the
    link reaches the article."""
    (tmp_path / "site").mkdir()
    records = [{"id": "año:1", "title": "Año", "content": "<p>Text about censorship.</p>"}]
    (tmp_path / "site" / "export.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path], tmp_path / "ix", ParseOptions(), workers=1)
    link = "/a/export/a%C3%B1o%3A1"
    with TestClient(create_app(tmp_path / "ix")) as client:
        assert f'href="{link}"' in client.get("/", params={"q": "censorship"}).text
        feed = client.get("/feed.atom", params={"q": "censorship"}).text
        assert f'href="http://testserver{link}"' in feed
        article = client.get(link)
        assert article.status_code == 200 and "Text about censorship." in article.text


def test_titles_and_translations_link_to_the_article_here_not_to_its_site(
    tmp_path: Path,
) -> None:
    """Only the article page's "Original article" link leaves the site; the feed and the
    API still give the original URL."""
    records = [
        {
            "id": "press_en",
            "title": "Journalists detained",
            "url": "https://news.example/en/press",
            "content": "<p>Police detained two journalists in the capital.</p>",
        },
        {
            "id": "press_es",
            "title": "Periodistas detenidos",
            "url": "https://news.example/es/press",
            "content": "<p>La policía detuvo a dos periodistas en la capital.</p>",
        },
    ]
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "news.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path], tmp_path / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(tmp_path / "ix")) as client:
        html = client.get("/", params={"q": "journalists"}).text
        assert links_after(html, "h2") == ["/a/news/press_en"]
        assert links_after(html, "p", "translations") == ["/a/news/press_es"]
        assert '<p class="translations" dir="ltr" lang="en">Also in: ' in html
        assert 'lang="es" dir="ltr">español</a>' in html
        hrefs = [str(attrs.get("href")) for tag, attrs in elements(html) if tag == "a"]
        assert not [href for href in hrefs if "news.example" in href]
        article = client.get("/a/news/press_en").text
        assert '<a href="https://news.example/en/press">Original article</a>' in article
        [hit] = client.get("/search", params={"q": "journalists", "lang": "en"}).json()["results"]
        assert hit["url"] == "https://news.example/en/press"
        feed = client.get("/feed.atom", params={"q": "journalists"}).text
        assert 'href="https://news.example/en/press"' in feed


def test_languages_are_named_in_facets_filters_and_translations(client: TestClient) -> None:
    html = client.get("/", params={"q": "", "tag": "freespeech"}).text
    section = re.search(r"<h2>Language</h2>(.*?)</section>", html, re.S)
    assert section
    assert '<bdi lang="es">español</bdi>' in section.group(1)
    filtered = client.get("/", params={"q": "periodistas", "lang": "es"}).text
    assert 'lang: <bdi lang="es">español</bdi>' in filtered


def links_after(html: str, tag: str, css_class: str | None = None) -> list[str]:
    """The href of each link that opens right inside a ``tag`` of ``css_class``."""
    return [
        str(attrs["href"])
        for (outer, outer_attrs), (inner, attrs) in pairwise(elements(html))
        if outer == tag and outer_attrs.get("class") == css_class and inner == "a"
    ]


@pytest.mark.parametrize("page", ["-3", "0", "abc", "1.5", ""])
def test_a_page_that_is_not_a_positive_whole_number_shows_the_first(
    client: TestClient, page: str
) -> None:
    first = client.get("/", params={"q": "-zzzz"})  # every article: 12, so two pages
    odd = client.get("/", params={"q": "-zzzz", "page": page})
    assert odd.status_code == 200
    assert len(links_after(first.text, "h2")) == 10
    assert links_after(odd.text, "h2") == links_after(first.text, "h2")
    assert "Page 1 of 2" in odd.text


@pytest.mark.parametrize("page", ["3", "1001", pytest.param("9" * 5000, id="5000-digits")])
def test_a_page_past_the_last_says_so_and_leads_to_the_last(client: TestClient, page: str) -> None:
    response = client.get("/", params={"q": "-zzzz", "page": page})
    assert response.status_code == 200
    html = response.text
    assert "12 articles" in html
    assert "past the last page" in html
    assert "No articles found" not in html
    assert not any(tag in ("ol", "nav") for tag, _ in elements(html))  # no list, no pager
    assert "/?q=-zzzz&page=2" in [attrs.get("href") for tag, attrs in elements(html)]
    last = client.get("/?q=-zzzz&page=2").text
    assert len(links_after(last, "h2")) == 2


def test_a_page_deeper_than_pages_go_says_so_not_that_the_results_end(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pages go 1 deep here, as they go 1,000 deep: the 12 articles fill 2 pages of 10.
    monkeypatch.setattr("search_api.routes.pages.DEEPEST_PAGE", 1)
    html = client.get("/", params={"q": "-zzzz", "page": "2"}).text
    assert "Pages cannot go this deep" in html
    assert "of these 12 articles can be shown" in html
    assert "narrow the search" in html
    assert "past the last page" not in html and "The results end" not in html
    assert "/?q=-zzzz" in [attrs.get("href") for _, attrs in elements(html)]
    first = client.get("/", params={"q": "-zzzz"}).text
    assert "Page 1 of 2" in first
    assert 'rel="next"' not in first
    assert "Pages past 1 cannot be shown: narrow the search" in first


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/?q=torture", "Skip to results"),
        ("/", "Skip to main content"),
        ("/a/gv/cambodia-press", "Skip to main content"),
        ("/a/gv/no-such-article", "Skip to main content"),
    ],
)
def test_the_skip_link_says_what_it_skips_to(client: TestClient, path: str, label: str) -> None:
    html = client.get(path).text
    [skip] = re.findall(r'<a class="skip" href="#main">([^<]*)</a>', html)
    assert skip == label


def test_snippets_lead_to_their_section_on_the_article_page(client: TestClient) -> None:
    html = client.get("/", params={"q": "journalists"}).text
    snippets = links_after(html, "p", "snippet")
    assert "/a/gv/cambodia-press#arrests" in snippets
    # Every snippet leads to a section that exists where the link points.
    for link in snippets:
        path, _, anchor = link.partition("#")
        article = client.get(path)
        assert article.status_code == 200
        assert anchor in [attrs.get("id") for _, attrs in elements(article.text)], link


def search_box(html: str) -> str:
    """What the search box holds."""
    [value] = [attrs["value"] for tag, attrs in elements(html) if attrs.get("id") == "q"]
    return str(value)


# What an HTML document may not carry: C0 controls but tab, line feed and carriage return,
# DEL and C1 controls.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("q", ["\x00", "\x00\x01\x1b", "\x7f \x9b"])
def test_a_query_of_control_characters_alone_is_no_query(client: TestClient, q: str) -> None:
    response = client.get("/", params={"q": q})
    assert response.status_code == 200
    assert not CONTROL.search(response.text)
    assert "Search 12 articles" in response.text  # the start page, not every article
    assert search_box(response.text) == ""


@pytest.mark.parametrize(
    "params",
    [
        {"q": "torture\x00"},
        {"q": "\x1b[31mtorture\x1b[0m", "sort": "date"},
        {"q": "torture\x0b\x0c", "tag": "torture\x01", "source": "amnesty\x7f"},
        {"q": "nosuchword\x00", "from": "2018-01-01\x00"},
        {"q": "x\x00" * 600},  # over 1,000 characters: cut
    ],
)
def test_no_control_character_reaches_the_page(client: TestClient, params: dict) -> None:
    response = client.get("/", params=params)
    assert not CONTROL.search(response.text)
    assert response.status_code == 200


@pytest.mark.parametrize("space_at", [999, 1000])
def test_a_query_cut_at_a_space_keeps_its_last_whole_word(
    client: TestClient, space_at: int
) -> None:
    query = "x" * (space_at - 8) + " torture " + "y" * 20
    kept = search_box(client.get("/", params={"q": query}).text)
    assert kept.endswith(" torture")


def test_a_link_with_a_query_longer_than_the_box_takes_searches_its_beginning(
    client: TestClient,
) -> None:
    # Searched whole, it would be refused again on every search from the page.
    query = "torture " + "pressure " * 120  # 1,088 characters
    html = client.get("/", params={"q": query}).text
    kept = search_box(html)
    assert len(kept) <= MAX_QUERY_LENGTH and query.startswith(kept) and kept.endswith("pressure")
    assert f"The search was cut to its first {len(kept):,} characters: a search is at most" in html
    assert re.search(r"<h1 class=\"count\">\d+ articles? for", html)


def test_a_control_character_separates_words(client: TestClient) -> None:
    html = client.get("/", params={"q": "torture\x00detention"}).text
    assert "1 article for" in html
    assert search_box(html) == "torture detention"
    assert "<title>\u2068torture detention\u2069 – 1 article – Search the archive</title>" in html


def test_templates_write_no_control_character_whatever_they_are_given() -> None:
    template = templates.env.from_string('{{ text }} {{ markup }} <a title="{{ text }}">')
    html = template.render(text="a\x00b\x1b\x9b\tc", markup=Markup("<mark>d\x0be</mark>"))
    assert html == 'ab\tc <mark>de</mark> <a title="ab\tc">'


def carried(html: str) -> list[tuple[str, str]]:
    """Every parameter the page's forms and links carry to the next search."""
    found = []
    for tag, attrs in elements(html):
        if tag == "input" and attrs.get("name"):
            found.append((str(attrs["name"]), str(attrs.get("value") or "")))
        elif tag == "a" and str(attrs.get("href", "")).startswith("/?"):
            found += parse_qsl(urlsplit(str(attrs["href"])).query)
    return found


def notes(html: str) -> list[str]:
    return re.findall(r'<p class="note ignored">(.*?)</p>', html)


@pytest.mark.parametrize(
    ("params", "note"),
    [
        (
            {"from": "garbage"},
            "The From date was ignored: “garbage” is not a date like 2018-07-29.",
        ),
        (
            {"to": "2020-02-30"},
            "The To date was ignored: “2020-02-30” is not a date like 2018-07-29.",
        ),
        ({"to": "9999-01-01"}, "The To date was ignored: “9999-01-01” is too far in the future."),
        (
            {"lang": "klingon"},
            "The language filter was ignored: “klingon” is not a language code like es.",
        ),
    ],
    ids=["from-garbage", "to-no-such-day", "to-year-9999", "lang-klingon"],
)
def test_a_filter_the_page_cannot_use_is_ignored_and_said_so(
    client: TestClient, params: dict, note: str
) -> None:
    response = client.get("/", params={"q": "internet", **params})
    assert response.status_code == 200
    html = response.text
    assert "4 articles for" in html  # as without the filter
    assert notes(html) == [note]
    name, value = next(iter(params.items()))
    assert (name, value) not in carried(html)  # no later search carries it
    assert ("q", "internet") in carried(html)
    # The API stays strict.
    assert client.get("/search", params={"q": "internet", **params}).status_code == 400


@pytest.mark.parametrize(
    ("q", "sentence", "clause"),
    [
        ("( OR", "The query holds only operators", "the query holds only operators"),
        ("press~2", "~ and ^ after a word", "~ and ^ after a word"),
    ],
)
def test_the_answers_notes_read_as_sentences_on_the_page(
    client: TestClient, q: str, sentence: str, clause: str
) -> None:
    # The API's notes are clauses; the page's other messages are sentences.
    [shown] = re.findall(r'<p class="note">(.*?)</p>', client.get("/", params={"q": q}).text)
    [api_note] = client.get("/search", params={"q": q}).json()["notes"]
    assert shown.startswith(sentence) and shown.endswith(".")
    assert api_note.startswith(clause) and not api_note.endswith(".")


@pytest.mark.parametrize("written", ["en-GB", "en_US", "English"])
def test_a_language_named_otherwise_than_by_its_code_is_read_as_it(
    client: TestClient, written: str
) -> None:
    # A region's code, as a browser names its language (articles are filtered by language),
    # or the language's name: the page reads it, and says so; the API names the code to use.
    html = client.get("/", params={"q": "internet", "lang": written}).text
    assert notes(html) == [f"The language filter “{written}” was read as English (en)."]
    assert ("lang", "en") in carried(html) and ("lang", written) not in carried(html)
    same = client.get("/", params={"q": "internet", "lang": "en"}).text
    assert re.findall(r'<h2><a href="([^"]+)"', html) == re.findall(r'<h2><a href="([^"]+)"', same)


@pytest.mark.parametrize(("q", "name"), [("Ana Lima", "Ana Lima"), ("Petrov", "Petrov")])
def test_a_name_found_only_as_an_author_is_offered_once_as_their_articles(
    client: TestClient, q: str, name: str
) -> None:
    # Offered in the reader's words, not the query syntax, and not twice (above and in the
    # no-results advice).
    html = client.get("/", params={"q": q}).text
    [offer] = re.findall(r'<p class="suggestion">(.*?)</p>', html)
    link = re.escape(urlencode({"q": f'author:"{name}"' if " " in name else f"author:{name}"}))
    assert re.fullmatch(
        rf'Did you mean the articles by <a href="/\?{link}"><bdi>{name}</bdi></a>\?', offer
    )
    assert html.count(f"<bdi>{name}</bdi></a>") == 1


@pytest.mark.parametrize(
    ("typed", "words", "filters"),
    [
        ("source:amnesty torture", "torture", {"source": "amnesty"}),
        ("internet LANG:en", "internet", {"lang": "en"}),
        ("internet year:2020", "internet", {"from": "2020", "to": "2020"}),
    ],
)
def test_a_filter_typed_in_the_search_box_is_the_filter(
    client: TestClient, typed: str, words: str, filters: dict[str, str]
) -> None:
    # A reader has the facets, not the parameters: what they type as a field is the filter.
    html = client.get("/", params={"q": typed}).text
    filter_typed = typed.replace(words, "").strip()
    assert notes(html) == [f"“{filter_typed}” in the search was read as a filter."]
    assert ("q", words) in carried(html) and ("q", typed) not in carried(html)
    same = client.get("/", params={"q": words, **filters}).text
    assert re.findall(r'<h2><a href="([^"]+)"', html) == re.findall(r'<h2><a href="([^"]+)"', same)


def test_a_filter_typed_beside_one_given_or_excluded_stays_in_the_query(client: TestClient) -> None:
    html = client.get("/", params={"q": "-source:amnesty torture"}).text
    assert not notes(html) and ("q", "-source:amnesty torture") in carried(html)
    both = client.get("/", params={"q": "source:amnesty torture", "source": "gv"}).text
    assert not notes(both) and ("source", "gv") in carried(both)


def test_more_tag_filters_than_a_search_takes_are_cut_and_said_so(client: TestClient) -> None:
    # Each link that drops one tag carries all the others: 5,000 made a 345 MB page.
    tags = [f"t{n}" for n in range(5000)]
    response = client.get("/", params={"q": "internet", "tag": tags})
    assert response.status_code == 200
    assert notes(response.text) == [
        f"Only the first {MAX_TAG_FILTERS} tag filters were kept: 4,980 more were ignored."
    ]
    carried_tags = {value for name, value in carried(response.text) if name == "tag"}
    assert carried_tags == set(tags[:MAX_TAG_FILTERS])
    # The API says what is wrong.
    refused = client.get("/search", params={"q": "internet", "tag": tags[:21]})
    assert refused.status_code == 400
    assert refused.json()["error"]["message"] == "tag may be given at most 20 times (got 21)"


def test_a_parameter_the_page_does_not_take_is_not_carried_into_its_links(
    client: TestClient,
) -> None:
    # A marker planted in a shared link would follow the reader through every click.
    html = client.get("/", params={"q": "internet", "uid": "target42", "page": "1"}).text
    assert "4 articles for" in html
    assert "target42" not in html
    assert ("q", "internet") in carried(html)


def test_dates_in_the_wrong_order_are_ignored_with_a_link_to_them_swapped(
    client: TestClient,
) -> None:
    html = client.get("/", params={"q": "internet", "from": "2021-01-01", "to": "2020-01-01"}).text
    assert "4 articles for" in html
    [note] = notes(html)
    assert note.startswith(
        "The dates were ignored: From (1 January 2021) is later than To (1 January 2020). "
    )
    assert 'href="/?q=internet&amp;from=2020-01-01&amp;to=2021-01-01"' in note
    assert note.endswith(">Search from 1 January 2020 to 1 January 2021 instead</a>.")
    # Apart from that link, nothing carries the dates on.
    outside = carried(html.replace(note, ""))
    assert ("from", "2021-01-01") not in outside and ("to", "2020-01-01") not in outside


@pytest.mark.parametrize(
    ("typed", "swapped"),
    [
        ({"from": "2022", "to": "2019"}, ("2019-01-01", "2022-12-31")),
        ({"from": "2022-05", "to": "2022-03"}, ("2022-03-01", "2022-05-31")),
        ({"from": "2022-05-10", "to": "2021"}, ("2021-01-01", "2022-05-10")),
    ],
)
def test_a_year_or_month_swapped_covers_all_of_it(
    client: TestClient, typed: dict[str, str], swapped: tuple[str, str]
) -> None:
    html = client.get("/", params={"q": "internet", **typed}).text
    [note] = notes(html)
    start, end = swapped
    assert f'href="/?q=internet&amp;from={start}&amp;to={end}"' in note


def test_a_bad_filter_alone_lists_every_article_and_says_why(client: TestClient) -> None:
    html = client.get("/", params={"from": "garbage"}).text
    assert "12 articles" in html
    assert len(notes(html)) == 1


def test_the_last_of_a_repeated_filter_counts(client: TestClient) -> None:
    kept = client.get("/?q=internet&from=garbage&from=2020-06-01").text
    assert not notes(kept)
    assert "2 articles for" in kept  # India (2020-08-05) and Ethiopia (2020-06-30)
    ignored = client.get("/?q=internet&from=2020-06-01&from=garbage").text
    assert len(notes(ignored)) == 1
    assert "4 articles for" in ignored


@pytest.mark.parametrize("path", ["/a", "/a/"])
def test_an_article_page_with_no_id_says_how_to_name_one(client: TestClient, path: str) -> None:
    response = client.get(path, follow_redirects=False)
    assert response.status_code == 404
    assert "this address names no article: an article&#39;s page is /a/ and its id" in response.text
    assert '<a href="/">Search the archive</a>' in response.text


@pytest.fixture(scope="module")
def wide_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """25 notes, one a year from 2000 to 2024, each with a tag of its own."""
    root = tmp_path_factory.mktemp("wide")
    (root / "notes").mkdir()
    records = [
        {
            "id": f"note-{year}",
            "title": f"Field note of {year}",
            "date": f"{year}-05-01",
            "tags": [f"topic-{year}"],
            "body": f"<p>What the field team saw in {year}.</p>",
        }
        for year in range(2000, 2025)
    ]
    (root / "notes" / "notes.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([root], root / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(Path(root / "ix"))) as client:
        yield client


def facet(html: str, label: str) -> tuple[list[str], str, list[str]]:
    """A facet's values listed at first, what its "more" says, and the values behind it."""
    section = re.search(rf"<h2>{label}</h2>(.*?)</section>", html, re.S)
    assert section, label
    shown, _, rest = section.group(1).partition("<details>")
    summary = re.search(r"<summary>(.*?)</summary>", rest)
    values = re.compile(r'<li><a href="[^"]*"><bdi>([^<]*)</bdi></a>')
    return values.findall(shown), summary.group(1) if summary else "", values.findall(rest)


def test_a_facet_of_more_than_ten_values_says_how_many_more_and_lists_them(
    wide_client: TestClient,
) -> None:
    html = wide_client.get("/", params={"q": "field"}).text
    assert "25 articles" in html
    shown, more, rest = facet(html, "Year")
    assert shown == [str(year) for year in range(2024, 2014, -1)]
    assert more == "15 more years"
    assert rest == [str(year) for year in range(2014, 1999, -1)]  # 2012 to 2014 included
    # Tags: a search counts the 20 most common, and says so.
    shown, more, rest = facet(html, "Tag")
    assert len(shown) == 10 and len(rest) == 10 and more == "10 more tags"
    assert "Only the 20 most common tags are listed." in html
    # A facet of ten values or fewer has nothing more.
    assert facet(html, "Source")[1:] == ("", [])
    assert "<script" not in html


def test_a_value_behind_more_filters_like_the_others(wide_client: TestClient) -> None:
    html = wide_client.get("/", params={"q": "field"}).text
    link = re.search(r'<li><a href="([^"]*)"><bdi>2012</bdi></a>', html)
    assert link and link.group(1) == "/?q=field&amp;from=2012-01-01&amp;to=2012-12-31"
    filtered = wide_client.get("/?q=field&from=2012-01-01&to=2012-12-31").text
    assert "1 article for" in filtered


def feed_links(html: str) -> list[dict[str, str | None]]:
    return [
        attrs for tag, attrs in elements(html) if tag == "link" and attrs.get("rel") == "alternate"
    ]


def test_a_search_page_links_to_the_feed_of_its_search(client: TestClient) -> None:
    html = client.get("/?q=surveillance&tag=privacy&sort=date&page=1&from=garbage").text
    [feed] = feed_links(html)  # for feed readers: its query and usable filters only
    assert feed["type"] == "application/atom+xml"
    assert feed["href"] == "/feed.atom?q=surveillance&tag=privacy"
    assert feed["title"] == "Newest articles for “surveillance” (filtered)"
    assert "Follow this search in a feed reader" in html  # and for readers
    assert feed["href"] in [attrs.get("href") for tag, attrs in elements(html) if tag == "a"]
    response = client.get(str(feed["href"]))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert response.text.count("<entry>") == 3
    assert "3 articles for" in html


def test_the_start_page_links_to_the_feed_of_newest_articles(client: TestClient) -> None:
    [feed] = feed_links(client.get("/").text)
    assert (feed["href"], feed["title"]) == ("/feed.atom", "Newest articles")


def test_a_date_in_another_iso_form_is_shown_and_carried_as_the_date_field_writes_it(
    client: TestClient,
) -> None:
    html = client.get("/", params={"q": "internet", "from": "20200701"}).text
    assert not notes(html)
    assert "1 article for" in html  # India (2020-08-05)
    assert ("from", "2020-07-01") in carried(html)
    assert ("from", "20200701") not in carried(html)


def test_a_year_as_a_date_is_carried_as_its_first_or_last_day(client: TestClient) -> None:
    html = client.get("/", params={"q": "internet", "from": "2020", "to": "2020"}).text
    assert not notes(html)
    assert {("from", "2020-01-01"), ("to", "2020-12-31")} <= set(carried(html))


def test_results_with_only_some_of_the_words_say_so(client: TestClient) -> None:
    q = "journalists arrested cambodia elections zzzz"
    answer = client.get("/search", params={"q": q}).json()
    assert answer["partial"] and all(hit["partial"] for hit in answer["results"])
    html = client.get("/", params={"q": q}).text
    assert html.count("some of the words") == len(answer["results"])
    exact = client.get("/", params={"q": "journalists"}).text
    assert "some of the words" not in exact


@pytest.mark.parametrize(
    ("accept_language", "language"),
    [
        ("es-MX,es;q=0.9,en;q=0.8", "es"),
        ("fr, en;q=0.5", "en"),  # the first the archive has
        ("es;q=0.4, EN-us;q=0.6", "en"),  # by weight, not by place
        ("es;q=nonsense, en;q=0.1", "en"),
        ("en;q=0", None),  # "not English"
        ("*", None),
        ("", None),
    ],
)
def test_the_readers_language_is_the_first_the_archive_has_that_the_browser_asks_for(
    accept_language: str, language: str | None
) -> None:
    assert reader_language(accept_language, ("en", "es")) == language


@pytest.fixture(scope="module")
def bilingual_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """Two stories, each in English and Spanish; the Spanish versions, short, rank first."""
    root = tmp_path_factory.mktemp("bilingual")
    records = []
    for key, dates, english, spanish in [
        (
            "yerevan",
            ("2024-05-01", "2024-05-02"),
            "Armenia detains two journalists after they covered protests in Yerevan, and "
            "their editors say the police gave no reason for the arrests.",
            "Armenia detiene a dos periodistas en Armenia.",
        ),
        (
            "gyumri",
            ("2024-04-01", "2024-04-01"),
            "A court in Armenia fined a newspaper in Gyumri for an article about local "
            "officials, the third such fine against the paper this year.",
            "Un tribunal de Armenia multa a un diario de Armenia.",
        ),
    ]:
        records += [
            {"id": f"{key}-en", "title": key.title(), "language": "en", "date": dates[0],
             "translation_key": key, "body": english},
            {"id": f"{key}-es", "title": f"{key.title()} (es)", "language": "es",
             "date": dates[1], "translation_key": key, "body": spanish},
        ]  # fmt: skip
    (root / "site").mkdir()
    (root / "site" / "news.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([root / "site"], root / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(root / "ix")) as client:
        yield client


@pytest.mark.parametrize(
    ("accept_language", "titles"),
    [
        (None, ["Yerevan (es)", "Gyumri (es)"]),  # the best-ranked versions
        ("en-GB,en;q=0.9", ["Yerevan", "Gyumri"]),  # in the same order
        ("es,en;q=0.5", ["Yerevan (es)", "Gyumri (es)"]),
    ],
)
def test_a_story_is_shown_in_the_readers_language_where_that_version_matches(
    bilingual_client: TestClient, accept_language: str | None, titles: list[str]
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    response = bilingual_client.get("/", params={"q": "Armenia"}, headers=headers)
    shown = re.findall(r'<h2><a href="/a/news/[^"]+">([^<]+)</a></h2>', response.text)
    assert shown == titles
    assert "Accept-Language" in response.headers["vary"]
    # The API answers the same whoever asks.
    api = bilingual_client.get("/search", params={"q": "Armenia"}, headers=headers).json()
    assert [hit["title"] for hit in api["results"]] == ["Yerevan (es)", "Gyumri (es)"]


def test_in_date_order_a_story_is_shown_in_the_readers_language_only_with_its_date(
    bilingual_client: TestClient,
) -> None:
    # Yerevan's English version is a day older than its Spanish one: shown, it would be out
    # of the newest-first order. Gyumri's versions share a date.
    response = bilingual_client.get(
        "/", params={"q": "Armenia", "sort": "date"}, headers={"Accept-Language": "en"}
    )
    shown = re.findall(r'<h2><a href="/a/news/[^"]+">([^<]+)</a></h2>', response.text)
    assert shown == ["Yerevan (es)", "Gyumri"]


def facet_links(html: str, label: str) -> dict[str, tuple[str, int, bool]]:
    """A facet's values: each one's link, count and whether the results are narrowed to it."""
    section = re.search(rf"<h2>{label}</h2>(.*?)</section>", html, re.S)
    assert section, label
    items = re.findall(
        r'<li><a href="([^"]*)"( aria-current="true"[^>]*)?><bdi[^>]*>([^<]*)</bdi></a> '
        r'<span class="n">([\d,]+)</span>',
        section.group(1),
    )
    return {
        value: (Markup(href).unescape(), int(count.replace(",", "")), bool(current))
        for href, current, value, count in items
    }


def found(html: str) -> int:
    match = re.search(r'<h1 class="count">([\d,]+) article', html)
    assert match, html[:500]
    return int(match.group(1).replace(",", ""))


def test_a_year_finds_what_it_counts_within_the_dates_in_use(client: TestClient) -> None:
    # Four articles of 2020: two before May, two after.
    html = client.get("/", params={"from": "2020-05-01"}).text
    years = facet_links(html, "Year")
    assert years["2020"][1] == 2
    assert ("from", "2020-05-01") in parse_qsl(urlsplit(years["2020"][0]).query)
    for link, count, _ in years.values():
        narrowed = client.get(link).text
        assert found(narrowed) == count, link
    year_page = client.get(years["2020"][0]).text
    link, _, narrowed = facet_links(year_page, "Year")["2020"]
    assert narrowed  # the results are that year's, and its link takes the dates off
    assert link == "/"


def test_the_value_the_results_are_narrowed_to_is_marked(client: TestClient) -> None:
    html = client.get("/", params={"q": "elections", "lang": "EN"}).text
    languages = facet_links(html, "Language")
    assert languages["English"][2]
    assert languages["English"][0] == "/?q=elections"  # and its link takes the filter off
    assert not any(narrowed for value, (_, _, narrowed) in languages.items() if value != "English")
    assert 'lang: <bdi lang="en">English</bdi>' in html  # the code as the search reads it
    assert ("lang", "EN") not in carried(html)


def test_an_order_that_is_not_one_says_it_was_ignored(client: TestClient) -> None:
    html = client.get("/", params={"q": "elections", "sort": "oldest"}).text
    assert notes(html) == [
        "The order “oldest” was ignored: results are by relevance, or newest first (sort=date)."
    ]
    assert "<strong>relevance</strong>" in html
    assert ("sort", "oldest") not in carried(html)


def test_the_newest_articles_can_be_read_without_a_query(client: TestClient) -> None:
    start = client.get("/").text
    assert '<a href="/?sort=date">newest articles</a>' in start
    html = client.get("/?sort=date").text
    dates = re.findall(r'<time datetime="([^"]+)">', html)
    assert dates[0] == "2021-08-09"  # the archive's newest
    assert len(dates) == 10 and dates == sorted(dates, reverse=True)
    assert "<strong>newest first</strong>" in html


@pytest.mark.parametrize(
    ("params", "advice"),
    [
        ({"q": "zzzzqx"}, ["Try fewer or more general words."]),
        ({"q": "— …"}, []),  # no word was searchable: none to change
        (
            {"q": "elections", "from": "2024-01-01"},
            ["Search again without filters.", "Try fewer or more general words."],
        ),
        ({"lang": "ar"}, ["Search again without filters."]),
    ],
)
def test_a_search_that_finds_nothing_gives_the_advice_that_fits(
    client: TestClient, params: dict[str, str], advice: list[str]
) -> None:
    html = client.get("/", params=params).text
    assert found(html) == 0
    empty = html.partition('<div class="empty">')[2].partition("</div>")[0]
    assert [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li>(.*?)</li>", empty)] == advice


def test_a_snippets_heading_is_followed_by_a_colon_unless_it_ends_in_punctuation(
    tmp_path: Path,
) -> None:
    record = {
        "id": "asked",
        "title": "Questions on the blockade",
        "body": "<h2>What happened?</h2><p>The blockade of the port began.</p>"
        "<h2>封锁合法吗？</h2><p>Unions called the blockade illegal.</p>"
        "<h2>Next steps</h2><p>The blockade goes on.</p>",
    }
    (tmp_path / "posts").mkdir()
    (tmp_path / "posts" / "asked.json").write_text(json.dumps([record]), encoding="utf-8")
    build_index([tmp_path / "posts"], tmp_path / "ix", ParseOptions(), workers=1)
    with TestClient(create_app(tmp_path / "ix")) as client:
        html = client.get("/", params={"q": "blockade"}).text
    headings = re.findall(r'<span class="heading">([^<]*)</span>', html)
    assert sorted(headings) == ["Next steps:", "What happened?", "封锁合法吗？"]


@pytest.mark.parametrize(
    ("current", "last", "numbers"),
    [
        (1, 3, [1, 2, 3]),
        (1, 13, [1, 2, 3, None, 13]),
        (6, 13, [1, None, 4, 5, 6, 7, 8, None, 13]),
        (4, 13, [1, 2, 3, 4, 5, 6, None, 13]),
        (5, 13, [1, 2, 3, 4, 5, 6, 7, None, 13]),  # one page between: listed, not "…"
        (13, 13, [1, None, 11, 12, 13]),
    ],
)
def test_pages_are_linked_by_number_around_the_current_one(
    current: int, last: int, numbers: list[int | None]
) -> None:
    assert page_numbers(current, last) == numbers


def test_any_page_of_the_results_is_a_click_away(wide_client: TestClient) -> None:
    html = wide_client.get("/", params={"q": "field", "page": "2"}).text  # 25 notes: 3 pages
    nav = html.partition('<ol class="page-numbers" role="list">')[2].partition("</ol>")[0]
    links = re.findall(r'<a href="([^"]*)" aria-label="Page (\d+)"( aria-current="page")?>', nav)
    assert [
        (Markup(href).unescape(), number, bool(current)) for href, number, current in links
    ] == [
        ("/?q=field", "1", False),
        ("/?q=field&page=2", "2", True),
        ("/?q=field&page=3", "3", False),
    ]
    last = wide_client.get("/?q=field&page=3").text
    assert "Page 3 of 3" in last and last.count("<article") == 5


def test_pages_left_out_are_shown_as_an_ellipsis_screen_readers_skip(
    wide_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search_api.routes.pages.PAGE_SIZE", 2)  # 25 notes: 13 pages
    html = wide_client.get("/", params={"q": "field", "page": "7"}).text
    nav = html.partition('<ol class="page-numbers" role="list">')[2].partition("</ol>")[0]
    items = re.findall(r"<li[^>]*>.*?</li>", nav)
    assert len(items) == 9
    assert items[1] == items[-2] == '<li aria-hidden="true">…</li>'
    assert re.findall(r'aria-label="Page (\d+)"', nav) == ["1", "5", "6", "7", "8", "9", "13"]
