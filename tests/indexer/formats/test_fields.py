from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from indexer.formats.fields import (
    MAX_METADATA_DEPTH,
    MAX_METADATA_VALUES,
    MAX_TITLE_CHARS,
    bounded,
    capped_title,
    checked_site_url,
    clean_authors,
    clean_id,
    clean_inline,
    clean_list,
    clean_url,
    derive_title,
    normalize_date,
    normalize_language,
    numeric_date_order,
    off_the_site,
    partial_date,
    relative_address,
    relative_id,
    site_address,
    source_for,
    url_slug,
)
from tests.values import nested

NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("front_matter", "expected"),
    [
        ({"publishDate": "2026-12-01"}, ("scheduled", "publishDate: 2026-12-01")),
        ({"publishDate": "2026-11-30"}, None),  # a day alone is its start
        # A time without its zone is in UTC; with it, where it says.
        ({"date": "2026-11-30T13:00:00"}, ("scheduled", "date: 2026-11-30T13:00:00")),
        ({"date": "2026-11-30T13:00:00+02:00"}, None),
        ({"date": "2026-11-30T13:00:00Z"}, ("scheduled", "date: 2026-11-30T13:00:00Z")),
        (
            {"pubDate": "Tue, 01 Dec 2026 10:00:00 GMT"},
            ("scheduled", "pubDate: Tue, 01 Dec 2026 10:00:00 GMT"),
        ),
        # An RFC 822 time keeps its time, not only its day (now is 12:00 on 30 November).
        (
            {"pubDate": "Mon, 30 Nov 2026 13:00:00 +0000"},
            ("scheduled", "pubDate: Mon, 30 Nov 2026 13:00:00 +0000"),
        ),
        ({"pubDate": "Mon, 30 Nov 2026 11:00:00 +0000"}, None),
        ({"date": dt.date(2027, 1, 1)}, ("scheduled", "date: 2027-01-01")),  # TOML's
        # Hugo shows a post from its publishDate, whatever its date says.
        ({"publishdate": "2017-03-24", "date": "2999-01-01"}, None),
        # Jekyll's "published: true" gives no time: its date does.
        ({"published": True, "date": "2999-01-01"}, ("scheduled", "date: 2999-01-01")),
        ({"published": "2999-01-01"}, ("scheduled", "published: 2999-01-01")),
        ({"date": "2027"}, None),  # less than a day: no post is held back by a year
        (
            {"expiryDate": "2022-09-01T00:00:00+00:00"},
            ("expired", "expiryDate: 2022-09-01T00:00:00+00:00"),
        ),
        ({"unpublishdate": "2026-11-30"}, ("expired", "unpublishdate: 2026-11-30")),
        ({"expiryDate": "2026-12-01"}, None),
        ({"expiryDate": "0001-01-01T00:00:00Z"}, None),  # Go's zero time: no expiry
        ({"date": "not a date", "expiryDate": ""}, None),
    ],
)
def test_a_static_sites_post_is_off_it_before_its_publish_date_and_after_its_expiry(
    front_matter: dict[str, object], expected: tuple[str, str] | None
) -> None:
    assert off_the_site(front_matter, NOW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("27 March 2018", "2018-03-27"),
        ("March 27, 2018", "2018-03-27"),
        ("2021-10-30T05:20:04Z", "2021-10-30"),
        ("2015-10-29T12:28:55+00:00", "2015-10-29"),
        ("Wed, 27 Oct 2004 02:20:54 +0000", "2004-10-27"),
        ("2004-10-26 21:20:54", "2004-10-26"),
        ("2018-07", "2018-07"),
        (2017, "2017"),
        ("2017", "2017"),
        (dt.datetime(2020, 5, 1, 10, 0), "2020-05-01"),
        (dt.date(2020, 5, 1), "2020-05-01"),
        ("March 2019", "2019-03"),
        # Other languages archives are often written in.
        ("14 de febrero de 2023", "2023-02-14"),
        ("lunes, 14 de febrero de 2023", "2023-02-14"),
        ("febrero de 2023", "2023-02"),
        ("1er mars 2023", "2023-03-01"),
        ("Lundi 3 mars 2023", "2023-03-03"),
        ("sexta-feira, 3 de março de 2023", "2023-03-03"),
        ("5 agosto 2021", "2021-08-05"),
        ("Montag, 3. März 2023", "2023-03-03"),
        ("31 de septiembre de 2020", None),
        ("2018-02-30", None),
        ("03/04/2018", None),  # the 3rd of April, or the 4th of March
        # In figures, a day past 12 says which number is the day.
        ("15/03/2023", "2023-03-15"),
        ("03/15/2023", "2023-03-15"),
        ("15.03.2023 09:30", "2023-03-15"),
        ("15-03-2023", "2023-03-15"),
        ("31/02/2023", None),
        ("13/13/2023", None),
        ("05/05/2023", "2023-05-05"),  # read either way, the same day
        # A weekday tells which number is the day (Drupal's default format).
        ("Mon, 01/02/2023 - 10:15", "2023-01-02"),
        ("Wed, 01/02/2023 - 10:15", "2023-02-01"),
        ("miércoles, 01/02/2023", "2023-02-01"),
        ("Fri, 01/02/2023", None),  # neither reading is a Friday
        ("Tue, 15/03/2023", None),  # 15 March 2023 was a Wednesday
        ("Thurs, 05/01/2023", "2023-01-05"),
        ("Monsoon 01/02/2023", None),  # no weekday
        # A month's name between hyphens or slashes (Oracle's, Excel's, web servers' logs).
        ("14-Mar-2023", "2023-03-14"),
        ("14/Mar/2023:10:00:00 +0000", "2023-03-14"),
        ("14-Mar-2023 09:30", "2023-03-14"),
        ("yesterday", None),
        ("", None),
        (None, None),
        (True, None),
        ({"a": 1}, None),
        (99999, None),
        ("0001-01-01", None),
        ("9999-12-31", None),
        (dt.date(1, 1, 1), None),
        (dt.datetime(9999, 12, 31, 23, 59), None),
        (1700000000, "2023-11-14"),  # Unix time, seconds
        (1700000000.25, "2023-11-14"),
        (1700000000000, "2023-11-14"),  # milliseconds (JavaScript's, Ghost's)
        ("1700000000", "2023-11-14"),  # written as a string (Drupal's "created")
        ("1700000000000", "2023-11-14"),
        (17000000000, None),  # neither: 2508 in seconds, 1970 in milliseconds
        ("20180327", None),  # eight digits are no time: a compact date, not read
        # ISO 8601's basic format, a time after its T: a date, whatever the number before.
        ("20231114T081200Z", "2023-11-14"),
        ("20231114T0812+0100", "2023-11-14"),
        ("20231114t081200.5z", "2023-11-14"),
        ("20231314T081200Z", None),
        ("202303151200", None),  # a compact date and time (1976-05-30 in milliseconds)
        (202303151200, None),
        ("2023031512", None),
        ("0123456789", None),
        (20180327, None),  # too small to be seconds: more likely a compact date
        (float("nan"), None),
        (float("inf"), None),
        (10**400, None),  # too large for a float
    ],
)
def test_dates_are_iso_or_none(value: object, expected: str | None) -> None:
    assert normalize_date(value) == expected


@pytest.mark.parametrize(
    ("dates", "order", "read"),
    [
        (["15/03/2023", "03/04/2023"], "dmy", "2023-04-03"),
        (["03/15/2023", "03/04/2023"], "mdy", "2023-03-04"),
        (["Wed, 15/03/2023", "03/04/2023"], "dmy", "2023-04-03"),  # a weekday before
        (["15/03/2023", "03/15/2023", "03/04/2023"], None, None),  # they disagree
        (["03/04/2023", "2023-05-01"], None, None),  # nothing tells
    ],
)
def test_a_files_dates_in_figures_tell_how_to_read_its_ambiguous_ones(
    dates: list[str], order: str | None, read: str | None
) -> None:
    assert numeric_date_order(dates) == order
    assert normalize_date("03/04/2023", order) == read


def test_a_weekday_neither_reading_falls_on_is_not_overruled_by_the_files_order() -> None:
    # 1 February 2023 is a Wednesday, 2 January a Monday: the date is wrong one way or other.
    assert normalize_date("Tue, 01/02/2023", "dmy") is None
    assert normalize_date("Wed, 01/02/2023", "mdy") == "2023-02-01"  # the weekday tells


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2019", (dt.date(2019, 1, 1), 1)),
        ("2019-05", (dt.date(2019, 5, 1), 2)),
        ("2019-05-03", (dt.date(2019, 5, 3), 3)),
        ("2019-05-03T10:00:00Z", (dt.date(2019, 5, 3), 3)),
        ("2019-13", None),
        ("2019-02-30", None),
        ("20190503", None),
        ("", None),
        (None, None),
    ],
)
def test_partial_dates_give_their_first_day_and_how_many_parts(
    value: str | None, expected: tuple[dt.date, int] | None
) -> None:
    assert partial_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://globalvoices.org/2018/03/27/x/", "https://globalvoices.org/2018/03/27/x/"),
        ("http://example.org", "http://example.org"),
        ("/2015/10/29/relative/", None),
        ("javascript:alert(1)", None),
        ("data:text/html,hi", None),
        ("https://", None),
        ("https://a.org/x y", None),
        (42, None),
    ],
)
def test_only_absolute_http_urls_are_kept(value: object, expected: str | None) -> None:
    assert clean_url(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/2015/10/29/relative/", "/2015/10/29/relative/"),
        (" news/x?page=2 ", "news/x?page=2"),
        ("https://globalvoices.org/x/", None),  # a link already
        ("//cdn.example.org/x", None),  # another host's
        ("javascript:alert(1)", None),
        ("mailto:press@example.org", None),
        ("/a b", None),
        ("", None),
        (None, None),
    ],
)
def test_an_address_relative_to_the_site_is_kept_apart_from_links(
    value: object, expected: str | None
) -> None:
    assert relative_address(value) == expected


@pytest.mark.parametrize(
    ("site_url", "address", "expected"),
    [
        ("https://drw.example", "/2016/06/08/254/", "https://drw.example/2016/06/08/254/"),
        ("https://drw.example/", "news/x", "https://drw.example/news/x"),
        # A site in a folder serves its paths under it, as Jekyll's baseurl does.
        ("https://example.org/blog", "/2016/x/", "https://example.org/blog/2016/x/"),
        ("https://example.org/es/", "/news/x", "https://example.org/es/news/x"),
    ],
)
def test_a_relative_address_is_read_under_its_sites_address(
    site_url: str, address: str, expected: str
) -> None:
    assert site_address(site_url, address) == expected


@pytest.mark.parametrize(
    "value", ["example.org", "/blog", "ftp://example.org", "https://example.org/?lang=es"]
)
def test_a_site_address_must_be_absolute_http_without_query(value: str) -> None:
    with pytest.raises(ValueError, match="absolute http"):
        checked_site_url(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://globalvoices.org/2018/03/27/lgbtqi-rights/", "lgbtqi-rights"),
        ("http://example.org/news/story.html?x=1", "story"),
        # A script's pages are told apart by their query; where it was shared is not said.
        ("https://example.org/index.php?p=123", "index-p-123"),
        ("https://example.org/?p=123&utm_source=feed", "p-123"),
        (
            "https://example.org/index.php?option=com_content&view=article&id=12",
            "index-option-com_content-view-article-id-12",
        ),
        ("https://example.org/news/view.aspx?id=7&fbclid=x", "view-id-7"),
        ("https://example.org/index.php?PHPSESSID=ab12&id=5", "index-id-5"),  # a visit's
        ("https://example.org/blog/?p=123", "p-123"),  # WordPress in a folder
        (
            "https://example.org/modules.php?name=News&file=article&sid=9",  # PHP-Nuke
            "modules-name-News-file-article-sid-9",
        ),
        ("https://example.org/news/story/?lang=es", "story"),  # a page's own address
        ("https://example.org/index.php", "index"),
        ("https://example.org/?utm_source=feed", None),
        ("/2015/10/29/australian-court/", "australian-court"),  # relative: a path
        ("https://example.org/", None),
        # A URL refused as a link names no article.
        ("javascript:alert(1)", None),
        (" JavaScript:alert(1)", None),
        ("data:text/html,hi", None),
        ("mailto:desk@example.org", None),
        ("https://a.org/x y", None),
        (42, None),
    ],
)
def test_slugs_come_only_from_urls_that_are_kept(value: object, expected: str | None) -> None:
    assert url_slug(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("fiw-AFG-2017-Rating Change-0", "fiw-AFG-2017-Rating-Change-0"),
        (237, "237"),
        ("a/../b?c#d", "a/b-c-d"),
        ("  ", None),
        (None, None),
    ],
)
def test_ids_are_url_path_safe(value: object, expected: str | None) -> None:
    assert clean_id(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en", "en"), ("en-US", "en"), ("ES_mx", "es"), ("Spanish", "es"), ("spa", "es"),
     ("yue", "yue"), ("nld", "nld"),  # no 2-letter code known for them here
     ("", None), ("??", None), (7, None)],
)  # fmt: skip
def test_languages_become_two_letter_codes(value: object, expected: str | None) -> None:
    assert normalize_language(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Profits < people, and people > profits", "Profits < people, and people > profits"),
        ("Censorship &amp; the &lt;script&gt; tag", "Censorship & the <script> tag"),
        ("about <torture>", "about <torture>"),
        ("<b>Bold</b> &amp; <a href='x'>linked</a>", "Bold & linked"),
        ("<script>alert('md')</script>Title<style>b {}</style>", "Title"),
        ("Half <script>alert(1)", "Half"),
        ("A <!-- note --> B", "A B"),
        ("Line one\nline two\r\tthree", "Line one line two three"),
        ("four\vfive\x1fsix\x00seven", "four five six seven"),
        ("  Spaced\u00a0out  ", "Spaced out"),
        (2024, "2024"),
        (None, ""),
    ],
)  # fmt: skip
def test_inline_values_lose_markup_only_and_keep_words_apart(value: object, expected: str) -> None:
    assert clean_inline(value) == expected


def test_lists_split_comma_strings_dedupe_and_keep_order() -> None:
    assert clean_list("Ana, Bo; ana", ["Cy", {"name": "Bo"}, "Middle East &amp; Africa"]) == [
        "Ana",
        "Bo",
        "Cy",
        "Middle East & Africa",
    ]


def test_a_list_item_is_split_at_semicolons_only() -> None:
    # A real export's tag: several typed into one. A comma stays ("Smith, Ana").
    assert clean_list([{"name": "CSAM"}, "online safety; encryption", "Smith, Ana"]) == [
        "CSAM",
        "online safety",
        "encryption",
        "Smith, Ana",
    ]
    assert clean_list([{"name": "Media; Releases"}]) == ["Media", "Releases"]  # Ghost's


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("By Eva Horvath and Peter Novak", ["Eva Horvath", "Peter Novak"]),
        ("by Ana Pérez, Bo Li & Cy Ng", ["Ana Pérez", "Bo Li", "Cy Ng"]),
        (["Written by Ana"], ["Ana"]),
        ("Ana and Bo", ["Ana and Bo"]),  # not a byline: an organisation's name may hold "and"
        # Full names joined without "By", as an export of several authors writes them.
        ("Ana Pérez and Bo Li", ["Ana Pérez", "Bo Li"]),
        ("Ana Pérez, Bo Li & Cy Ng", ["Ana Pérez", "Bo Li", "Cy Ng"]),
        (
            # Organisations are named with "and" too: those are left whole.
            "Human Rights Watch and Amnesty International",
            ["Human Rights Watch and Amnesty International"],
        ),
        (
            "Irish Human Rights and Equality Commission",
            ["Irish Human Rights and Equality Commission"],
        ),
        (
            "Derechos Humanos y Litigio Estratégico Mexicano",
            ["Derechos Humanos y Litigio Estratégico Mexicano"],
        ),
        (
            "María José García y Juan Carlos Pérez Soto",
            ["María José García", "Juan Carlos Pérez Soto"],
        ),
        # Particles are no words of the four a name may have.
        (
            "Ana María Pérez García y José Luis Rodríguez de la Torre",
            ["Ana María Pérez García", "José Luis Rodríguez de la Torre"],
        ),
        ("María de los Ángeles Pérez y Ana Lima", ["María de los Ángeles Pérez", "Ana Lima"]),
        # A surname may be a word organisations are named with.
        ("Eyal Press and Ana Lima", ["Eyal Press", "Ana Lima"]),
        ("Lawyers and Journalists Association", ["Lawyers and Journalists Association"]),
        ("Committee for Peace and Justice", ["Committee for Peace and Justice"]),
        ("By Procter &amp; Gamble", ["Procter & Gamble"]),
        ("Bystander Collective", ["Bystander Collective"]),
        ("Por Ana Pérez y Luis Gómez", ["Ana Pérez", "Luis Gómez"]),
        ("Par Marie Dubois et Luc Martin", ["Marie Dubois", "Luc Martin"]),
        ("Von Trier", ["Von Trier"]),  # a name that begins as a German byline does
    ],
)
def test_a_byline_in_an_author_field_gives_its_names(value: object, expected: list[str]) -> None:
    assert clean_authors(value) == expected


def test_a_title_too_long_to_show_is_cut_at_a_word() -> None:
    words = "word " * 100
    assert capped_title("Short title") == "Short title"
    cut = capped_title(words)
    assert len(cut) <= MAX_TITLE_CHARS + 1 and cut.endswith("word…")
    assert capped_title("x" * 3_000_000) == "x" * MAX_TITLE_CHARS + "…"


def test_list_entities_are_decoded_after_markup_is_stripped() -> None:
    # "&lt;b&gt;" is a name shown as "<b>"; an entity's ";" separates nothing.
    assert clean_list("&lt;b&gt;; R&D; Law &amp; Order", "<i>Ana</i>") == [
        "<b>",
        "R&D",
        "Law & Order",
        "Ana",
    ]


def test_derived_title_is_cut_at_a_word_boundary_with_ellipsis() -> None:
    body = "Afghanistan's political rights rating improved from 6 to 5 due to increased activity"
    title = derive_title(body)
    assert title.endswith("…")
    assert 8 <= len(title.rstrip("…").split()) <= 12
    assert body.startswith(title.rstrip("…"))


@pytest.mark.parametrize(
    ("path", "root", "source", "id_"),
    [
        ("/x/corpora/iff/post/a.md", "/x/corpora", "iff", "iff/post/a"),
        ("/x/corpora/seed/s.txt", "/x/corpora", "seed", "seed/s"),
        ("/x/corpora/iff/post/a.md", "/x/corpora/iff/post", "post", "a"),
        ("/x/corpora/seed/s.txt", "/x/corpora/seed/s.txt", "seed", "s"),
        ("/x/c/fiw_en.jsonl.gz", "/x/c", "c", "fiw_en"),
    ],
)
def test_source_and_path_id_follow_the_root_argument(
    path: str, root: str, source: str, id_: str
) -> None:
    assert source_for(Path(path), Path(root)) == source
    assert relative_id(Path(path), Path(root)) == id_


@pytest.mark.parametrize(
    ("path", "root"), [("recs.json", "."), ("recs.json", "recs.json"), ("./recs.json", "./")]
)
def test_files_named_from_their_own_folder_have_its_name_as_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str, root: str
) -> None:
    # `cd amnesty && advosearch index .` gave every article the source "", which no
    # filter nor facet reaches.
    (tmp_path / "amnesty").mkdir()
    monkeypatch.chdir(tmp_path / "amnesty")
    assert source_for(Path(path), Path(root)) == "amnesty"


def test_bounded_metadata_is_kept_whole_when_a_person_wrote_it() -> None:
    metadata = {"title": "T", "tags": ["a", {"name": "b"}], "meta": {"x": [1, 2, [3]]}}
    assert bounded(metadata) == (metadata, True)


def test_bounded_metadata_leaves_out_what_is_past_its_depth_and_size() -> None:
    shared = ["lol"] * 10
    for _ in range(8):  # as YAML aliases give: one list, referred to ten times a level
        shared = [shared] * 10
    cut, complete = bounded({"title": "T", "tags": shared, "deep": nested("x", 500)})
    assert cut["title"] == "T"
    assert not complete

    def values(value: object) -> int:
        if isinstance(value, dict):
            return 1 + sum(values(item) for item in value.values())
        if isinstance(value, list):
            return 1 + sum(values(item) for item in value)
        return 1

    def depth(value: object) -> int:
        return 1 + max(map(depth, value), default=0) if isinstance(value, list) else 0

    assert values(cut) <= MAX_METADATA_VALUES
    assert depth(cut["deep"]) <= MAX_METADATA_DEPTH
