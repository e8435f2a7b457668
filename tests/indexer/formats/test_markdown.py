from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import NoArticle, UnreadableFile
from indexer.formats.markdown import parse_markdown, strip_shortcodes
from tests.indexer.formats.conftest import write

HUGO = """+++
author = 'Anushka Jain'
categories = ['freespeech', 'Gender']
date = 2021-10-30T05:20:04Z
draft = false
slug = '118-days-since'
summary = "A summary that is not body text."
tags = ['freespeech', 'hate speech']
title = '118 days since… still no justice'
+++

{{< gallery >}}
{{< galleryImg  src="https://example.org/a.jpeg" width="1600" >}}{{< /gallery >}}

>>>> <form><script src="https://pay.example.com/b.js" data-id="pl_1" async> </script> </form>

### tl;dr

On July 4, 2021, the news first broke about the incident &amp; its targets.

{{% notice %}}Paired shortcode content stays.{{% /notice %}}

{{< figure src="https://example.org/b.png" caption="A figure caption" >}}

<div class="x"><script>alert("no")</script>Raw HTML text stays.</div>

### What happened?

Multiple accounts posted a screengrab.
"""

JEKYLL = """---
title: Australian court holds Google responsible
authors: [drw, "Lizzie O'Shea"]
date: 2015-10-29T12:28:55+00:00
url: /2015/10/29/australian-court/
category:
  - Articles
tags: [privacy, Articles]
---
The court found that [Google is legally responsible][1] for links &mdash; a big win.

Visit [the site](https://example.org) or see [the ruling][2].

## Jurisdictional uncertainty

This case highlights a complex jurisdiction problem.

[1]: https://example.org/ruling
[2]: http://What%20a broken reference
"""


def test_hugo_toml_post(tmp_path: Path, parse) -> None:
    write(tmp_path / "iff" / "post" / "a.md", HUGO)
    [article] = parse("iff/post/a.md").articles
    assert article.title == "118 days since… still no justice"
    assert article.id == "118-days-since"
    assert article.source == "iff"
    assert article.date == "2021-10-30"
    assert article.authors == ["Anushka Jain"]
    assert article.tags == ["freespeech", "hate speech", "Gender"]
    assert [s.heading for s in article.sections] == ["tl;dr", "What happened?"]
    text = article.text
    assert "incident & its targets" in text
    assert "Paired shortcode content stays." in text
    assert "A figure caption" in text
    assert "Raw HTML text stays." in text
    for residue in ("{{", "}}", "<", "script", "alert", "pay.example", "summary that is"):
        assert residue not in text


def test_jekyll_yaml_post(tmp_path: Path, parse) -> None:
    write(tmp_path / "drw" / "blog" / "2015-10-29-court.md", JEKYLL)
    [article] = parse("drw/blog/2015-10-29-court.md").articles
    assert article.url is None  # relative URLs are not links a user can follow
    assert article.address == "/2015/10/29/australian-court/"  # unless a site's address is given
    assert article.id == "australian-court"  # the URL path's last segment
    assert article.authors == ["drw", "Lizzie O'Shea"]
    assert article.tags == ["privacy", "Articles"]
    assert article.sections[0].text.startswith(
        "The court found that Google is legally responsible for links — a big win."
    )
    assert "see the ruling." in article.text
    assert "[" not in article.text and "http" not in article.text
    assert article.sections[1].heading == "Jurisdictional uncertainty"


@pytest.mark.parametrize("line_ending", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_a_post_saved_with_other_line_endings_reads_the_same(
    tmp_path: Path, parse, line_ending: str
) -> None:
    write(tmp_path / "unix" / "2015-10-29-court.md", JEKYLL)
    write(tmp_path / "other" / "2015-10-29-court.md", JEKYLL.replace("\n", line_ending))
    [expected] = parse("unix/2015-10-29-court.md").articles
    [article] = parse("other/2015-10-29-court.md").articles
    assert (article.title, article.authors, article.tags) == (
        expected.title,
        expected.authors,
        expected.tags,
    )
    assert article.sections == expected.sections


def test_a_stray_nul_byte_costs_a_post_nothing(tmp_path: Path, parse) -> None:
    # It made the whole file look binary, and the post was skipped.
    write(tmp_path / "notes" / "nul.md", "---\ntitle: Stray\n---\nPolice de\x00tained him.\n")
    parsed = parse("notes/nul.md")
    [article] = parsed.articles
    assert (article.title, article.text) == ("Stray", "Police detained him.")
    assert any("1 NUL character(s) removed" in warning for warning in parsed.warnings)


def test_markdown_without_front_matter_is_identified_by_its_path(tmp_path: Path, parse) -> None:
    write(tmp_path / "notes" / "plain.markdown", "# A title\n\nSome text here.\n")
    [article] = parse("notes/plain.markdown").articles
    assert article.id == "notes/plain"
    assert article.title == "A title" and article.title_derived is False
    assert article.sections[0].text == "Some text here."


def test_markdown_heading_renders_as_a_heading_block() -> None:
    post = parse_markdown("# Heading\n\ntext")
    assert post.blocks[0].is_heading


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/casebook.pdf",
        "mailto:casebook@example.org",
        "file:///Users/ana/Downloads/Privacy%20Law%20Casebook.pdf",
        "javascript:void(0)",
        "data:application/pdf;base64,JVBERi0=",
    ],
)
def test_a_link_is_indexed_as_its_text_whatever_its_url(url: str) -> None:
    [block] = parse_markdown(f"The [Privacy Law Casebook]({url}) compiles key cases.\n").blocks
    assert block.text == "The Privacy Law Casebook compiles key cases."


def test_a_footnotes_text_is_kept_and_its_markers_are_not() -> None:
    post = parse_markdown(
        "They entered their 30th day.[^1] Their lawyer spoke.[^note]\n\n"
        "See [the report][r]. The filter matched [^0-9].\n\n"
        "[^1]: According to family members.\n[^note]: By phone.\n\n[r]: https://example.org/r\n"
    )
    assert [block.text for block in post.blocks] == [
        "They entered their 30th day. Their lawyer spoke.",
        "See the report. The filter matched [^0-9].",
        "According to family members.\nBy phone.",
    ]


@pytest.mark.parametrize(
    ("front_matter", "reason"),
    [
        ("draft: true", "draft post (front matter says draft: true)"),  # Hugo
        ("published: false", "unpublished post (front matter says published: false)"),  # Jekyll
        ("status: private", "private post (front matter says status: private)"),
        # Hugo builds neither, nor Jekyll a post dated in the future.
        ("publishDate: 2999-01-01", "scheduled post (front matter says publishDate: 2999-01-01)"),
        ("expiryDate: 2022-09-01", "expired post (front matter says expiryDate: 2022-09-01)"),
        (
            "date: 2999-01-01T09:00:00+01:00",
            "scheduled post (front matter says date: 2999-01-01T09:00:00+01:00)",
        ),
    ],
)
def test_posts_readers_are_not_shown_hold_no_article(
    tmp_path: Path, parse, front_matter: str, reason: str
) -> None:
    write(tmp_path / "d.md", f"---\ntitle: Draft\n{front_matter}\n---\nUnpublished text.\n")
    with pytest.raises(NoArticle) as raised:
        parse("d.md")
    assert str(raised.value) == reason


def test_a_jekyll_post_dated_in_the_future_by_its_file_name_holds_no_article(
    tmp_path: Path, parse
) -> None:
    write(tmp_path / "_posts" / "2999-01-01-report.md", "---\ntitle: Report\n---\nEmbargoed.\n")
    with pytest.raises(NoArticle, match=r"^scheduled post \(its file name dates it 2999-01-01\)"):
        parse("_posts/2999-01-01-report.md")


@pytest.mark.parametrize(
    "front_matter",
    ["draft: false", "published: true", "published: 2024-05-01", "expiryDate: 2999-01-01"],
)
def test_published_posts_are_articles(tmp_path: Path, parse, front_matter: str) -> None:
    write(tmp_path / "p.md", f"---\ntitle: Out\n{front_matter}\n---\nPublished text.\n")
    assert [article.text for article in parse("p.md").articles] == ["Published text."]


@pytest.mark.parametrize(
    ("front_matter", "reported"),
    [
        ("---\ntitle: [unclosed\ndate: not-a-date\n---\n", "front matter could not be read ("),
        # TOML leaves out the lines it cannot read, until it has left out too many.
        ("+++\ntitle = [unclosed\n+++\n", "front matter line 'title = [unclosed' could not"),
        ("+++\n" + "x = [\n" * 6 + "+++\n", "front matter could not be read ("),
    ],
    ids=["yaml", "toml", "toml-beyond-repair"],
)
def test_broken_front_matter_is_reported_and_not_indexed(
    tmp_path: Path, parse, front_matter: str, reported: str
) -> None:
    write(tmp_path / "b.md", front_matter + "Body text stays.\n")
    parsed = parse("b.md")
    assert any(warning.startswith(reported) for warning in parsed.warnings)
    [article] = parsed.articles
    assert (article.title, article.text) == ("Body text stays.", "Body text stays.")


@pytest.mark.parametrize(
    ("path", "content"),
    [
        ("d.md", "---\ntitle: Embargoed: report\ndraft: true\n---\nForty cases.\n"),
        ("d.md", "+++\ntitle = 'Report'\ndraft = true\ntags = ['a', 'b'\n+++\nForty cases.\n"),
        ("d.md", "---\ntitle: Never closed\ndraft: true\n\nForty cases.\n"),
        ("d.md", "---\ntitle: Soon: a report\npublishDate: 2999-01-01\n---\nForty cases.\n"),
        ("_drafts/d.md", "---\ntitle: Report\n---\nForty cases.\n"),  # Jekyll's
    ],
    ids=["yaml-draft", "toml-draft", "unclosed-draft", "yaml-scheduled", "jekyll-drafts"],
)
def test_a_draft_stays_unpublished_when_its_front_matter_cannot_be_read(
    tmp_path: Path, parse, path: str, content: str
) -> None:
    # A stray colon in its title once published it, its draft: true unread with the rest.
    write(tmp_path / path, content)
    with pytest.raises(NoArticle):
        parse(path)


EMBED = "<div id='can-petition-area'>\n  <!-- the petition's form goes here -->\n</div>\n"


@pytest.mark.parametrize(
    "front_matter",
    [
        '---\ntitle: Restore faith in the Census\nexcerpt: "Join the call &amp; act."\n---\n',
        "---\ntitle: Restore faith in the Census\nsummary: Join the call & act.\n---\n",
        "---\ntitle: Restore faith in the Census\ndescription: Join the call & act.\n---\n",
        "+++\ntitle = 'Restore faith in the Census'\nsummary = 'Join the call & act.'\n+++\n",
    ],
    ids=["jekyll-excerpt", "hugo-summary", "description", "toml-summary"],
)
def test_a_post_whose_body_is_only_an_embed_is_indexed_by_its_summary(
    tmp_path: Path, parse, front_matter: str
) -> None:
    # DRW's petitions were skipped as "no text", though their title and excerpt say what
    # they are.
    write(tmp_path / "p.md", front_matter + EMBED)
    [article] = parse("p.md").articles
    assert (article.title, article.text) == ("Restore faith in the Census", "Join the call & act.")


def test_a_post_with_no_body_text_nor_summary_has_no_text(tmp_path: Path, parse) -> None:
    write(tmp_path / "p.md", "---\ntitle: A petition\nexcerpt: '<br>'\n---\n" + EMBED)
    with pytest.raises(UnreadableFile, match="no text"):
        parse("p.md")


def test_front_matter_field_map_applies(tmp_path: Path, parse) -> None:
    write(tmp_path / "m.md", "---\ntitulo: Hola\nfecha: 2020-01-02\n---\nTexto.\n")
    [article] = parse("m.md", field_map={"title": "titulo", "date": "fecha"}).articles
    assert (article.title, article.date) == ("Hola", "2020-01-02")


def test_markdown_with_only_markup_has_no_text(tmp_path: Path, parse) -> None:
    write(
        tmp_path / "e.md",
        "+++\ntitle = 'x'\n+++\n{{< gallery >}}{{< /gallery >}}\n<script>x</script>\n",
    )
    with pytest.raises(UnreadableFile, match="no text"):
        parse("e.md")


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("a {{< x y='1' >}} b", "a  b"),
        ("a {{% x %}}in{{% /x %}} b", "a in b"),
        ("{{< figure src='a' caption=`Cap` >}}", "\n\nCap\n\n"),
        ("a {% include x.html %} b", "a  b"),
    ],
)
def test_shortcodes_are_stripped(source: str, expected: str) -> None:
    assert strip_shortcodes(source) == expected


def test_paragraphs_a_site_repeats_on_many_posts_are_dropped(tmp_path: Path, parse) -> None:
    button = '<a href="https://example.org/donate" class="button">Help us keep going</a>'
    for number in range(4):
        write(
            tmp_path / "site" / f"p{number}.md",
            f"---\ntitle: P{number}\n---\nText {number}.\n\n{button}\n",
        )
    [article] = parse("site/p0.md").articles
    assert article.text == "Text 0."


BACKGROUND = (
    "Salma Haddad, a human rights lawyer, has been held in pretrial detention since March "
    "2019 on charges of spreading false news, after defending families of disappeared "
    "protesters."
)
ABOUT_US = (
    "Free Voices is an independent organisation that defends journalists and human rights "
    "defenders across the region, documenting attacks and campaigning for their release."
)


def _press_releases(folder: Path, count: int, *, closing: str, with_closing: int) -> None:
    for number in range(count):
        ending = f"\n\n## Background\n\n{closing}\n" if number < with_closing else "\n"
        write(
            folder / f"release-{number}.md",
            f"---\ntitle: Release {number}\n---\nA journalist was beaten in case {number}."
            + ending,
        )


def test_a_paragraph_a_few_posts_share_is_text(tmp_path: Path, parse) -> None:
    # The background of one case, repeated by the 3 updates of 10 on it: the lawyer it
    # names must be found.
    _press_releases(tmp_path / "site", 10, closing=BACKGROUND, with_closing=3)
    [article] = parse("site/release-0.md").articles
    assert BACKGROUND in article.text


def test_a_paragraph_most_posts_end_with_is_dropped(tmp_path: Path, parse) -> None:
    _press_releases(tmp_path / "site", 10, closing=ABOUT_US, with_closing=6)
    [article] = parse("site/release-0.md").articles
    assert "Free Voices" not in article.text
    assert "case 0" in article.text


@pytest.mark.parametrize("date", ["2020-02-30", "0001-01-01", "2020-13-01", "yesterday"])
def test_a_date_that_cannot_be_used_is_dropped_alone(tmp_path: Path, parse, date: str) -> None:
    # YAML reads 2020-02-30 as a date that cannot exist, and raised: all metadata was lost.
    front = f"---\ntitle: Weird date\ndate: {date}\ntags: [a, b]\nauthors: [Ana]\n---\n"
    write(tmp_path / "post.md", front + "Body with weirddateword.\n")
    parsed = parse("post.md")
    [article] = parsed.articles
    assert (article.title, article.tags, article.authors) == ("Weird date", ["a", "b"], ["Ana"])
    assert article.date is None
    assert parsed.warnings == [f"date '{date}' is not a plausible date; indexed undated"]


def test_a_toml_line_that_cannot_be_read_is_left_out_alone(tmp_path: Path, parse) -> None:
    # In TOML an impossible date is a syntax error, which lost all the metadata.
    front = '+++\ntitle = "Weird date"\ndate = 2020-02-30\ntags = ["a", "b"]\n'
    front += 'authors = ["Ana"]\nupdated = 2021-13-01\n+++\n'
    write(tmp_path / "post.md", front + "Body with weirddateword.\n")
    parsed = parse("post.md")
    [article] = parsed.articles
    assert (article.title, article.tags, article.authors) == ("Weird date", ["a", "b"], ["Ana"])
    assert article.date is None
    assert [warning.split(" could not")[0] for warning in parsed.warnings] == [
        "front matter line 'date = 2020-02-30'",
        "front matter line 'updated = 2021-13-01'",
    ]


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2002-12-14", "2002-12-14"),
        ("2015-10-29T23:28:55-05:00", "2015-10-29"),  # the day where it was written
        ("2001-12-14t21:59:43.10-05:00", "2001-12-14"),
        ("2001-12-14 21:59:43.10 -5", "2001-12-14"),
        ("!!timestamp 2002-12-14", "2002-12-14"),
        ("'2002-12-14'", "2002-12-14"),
        ("2002-12", "2002-12"),
    ],
)
def test_yaml_dates_are_read_as_written(tmp_path: Path, parse, date: str, expected: str) -> None:
    write(tmp_path / "post.md", f"---\ntitle: A post\ndate: {date}\n---\nText of the post.\n")
    parsed = parse("post.md")
    assert (parsed.articles[0].date, parsed.warnings) == (expected, [])


@pytest.mark.parametrize(
    ("name", "front_matter", "expected"),
    [
        ("2023-05-04-journalist-detained.md", "title: Detained", "2023-05-04"),
        ("2023-05-04-journalist-detained.md", "date: 2023-05-06", "2023-05-06"),  # said
        ("2023-13-45-not-a-date.md", "title: Odd", None),
        ("journalist-detained.md", "title: Undated", None),
    ],
)
def test_a_post_without_a_date_is_dated_by_its_file_name(
    tmp_path: Path, parse, name: str, front_matter: str, expected: str | None
) -> None:
    write(tmp_path / "_posts" / name, f"---\n{front_matter}\n---\nText of the post.\n")
    parsed = parse(f"_posts/{name}")
    assert (parsed.articles[0].date, parsed.warnings) == (expected, [])


@pytest.mark.parametrize(
    ("name", "date", "expected"),
    [
        ("2023-04-10-asylum.md", "10.04.2023", "2023-04-10"),
        ("2023-10-04-asylum.md", "10.04.2023", "2023-10-04"),
        ("2023-04-11-asylum.md", "10.04.2023", None),  # neither reading: still not told
        ("asylum.md", "10.04.2023", None),
    ],
)
def test_a_date_in_figures_is_read_in_the_order_its_file_names_date_agrees_with(
    tmp_path: Path, parse, name: str, date: str, expected: str | None
) -> None:
    write(tmp_path / "_posts" / name, f"---\ntitle: Asylum\ndate: {date}\n---\nText of the post.\n")
    parsed = parse(f"_posts/{name}")
    assert parsed.articles[0].date == expected
    assert bool(parsed.warnings) == (expected is None)


@pytest.mark.parametrize(
    ("content", "warning", "text"),
    [
        (
            "---\ntitle: Never closed\ndate: 2020-01-01\n\nBody text here.\n",
            "front matter has no closing --- line",
            "title: Never closed date: 2020-01-01\n\nBody text here.",
        ),
        (
            "+++\ntitle = 'Never closed'\n\nBody text here.\n",
            "front matter has no closing +++ line",
            "+++ title = 'Never closed'\n\nBody text here.",
        ),
        (
            "---\n- first point\n- second point\n---\nBody text here.\n",
            "front matter is a list, not names with values",
            "first point\n\nsecond point\n\nBody text here.",
        ),
        (
            "---\nAn opening paragraph between rules.\n---\nBody text here.\n",
            "front matter is one value, not names with values",
            "Body text here.",  # its heading, as "---" under a line makes one
        ),
    ],
    ids=["unclosed-yaml", "unclosed-toml", "yaml-list", "yaml-scalar"],
)
def test_front_matter_that_is_no_metadata_is_read_as_text(
    tmp_path: Path, parse, content: str, warning: str, text: str
) -> None:
    # Each was indexed with no warning; a list or a paragraph was dropped unread.
    write(tmp_path / "notes" / "p.md", content)
    parsed = parse("notes/p.md")
    assert parsed.warnings == [f"{warning}; the file is read as text, without metadata"]
    [article] = parsed.articles
    assert (article.id, article.date, article.tags) == ("notes/p", None, [])
    assert "\n\n".join(s.text for s in article.sections) == text


def test_text_that_shows_a_tag_is_kept_as_text(tmp_path: Path, parse) -> None:
    front = (
        '---\ntitle: "The &lt;b&gt; element"\nauthor: "<i>Ana</i>, Bo"\ntags: [A &amp; B]\n---\n'
    )
    write(tmp_path / "t.md", front + "Prisons &lt;torture&gt; here.\n")
    [article] = parse("t.md").articles
    assert (article.title, article.authors, article.tags) == (
        "The <b> element",
        ["Ana", "Bo"],
        ["A & B"],
    )
    assert article.text.endswith("Prisons <torture> here.")


def test_a_refused_url_names_no_article(tmp_path: Path, parse) -> None:
    write(tmp_path / "notes" / "x.md", '---\nurl: "javascript:alert(1)"\n---\nSome text.\n')
    [article] = parse("notes/x.md").articles
    assert (article.url, article.id) == (None, "notes/x")


def test_a_jekyll_posts_tags_and_categories_written_as_one_string_are_words(
    tmp_path: Path, parse
) -> None:
    post = (
        "---\ntitle: Vote\ncategories: asia elections\ntags: cambodia\ncategory: Hun Sen\n"
        "---\nText.\n"
    )
    write(tmp_path / "site" / "_posts" / "2018-07-29-vote.md", post)
    write(tmp_path / "site" / "news" / "vote.md", post)  # not Jekyll's: a tag may have spaces
    write(tmp_path / "hexo" / "source" / "_posts" / "vote.md", post)  # Hexo's: one tag
    jekyll, other = parse("site/_posts/2018-07-29-vote.md"), parse("site/news/vote.md")
    assert jekyll.articles[0].tags == ["cambodia", "asia", "elections", "Hun Sen"]
    assert other.articles[0].tags == ["cambodia", "asia elections", "Hun Sen"]
    assert parse("hexo/source/_posts/vote.md").articles[0].tags == other.articles[0].tags


def test_front_matter_expanding_to_billions_of_values_is_read_as_far_as_metadata_goes(
    tmp_path: Path, parse
) -> None:
    # A YAML alias bomb: nine levels of nine aliases, a few hundred bytes that give tags
    # 387 million values. Every walk over them (tags, authors, checks of the text) hung.
    levels = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in "bcdefghi":
        previous = chr(ord(level) - 1)
        levels.append(f"{level}: &{level} [{', '.join(['*' + previous] * 9)}]")
    front = "\n".join(["title: Billion laughs", *levels, "tags: *i"])
    write(tmp_path / "bomb.md", f"---\n{front}\n---\nJournalists were detained.\n")
    parsed = parse("bomb.md")
    [article] = parsed.articles
    assert article.title == "Billion laughs"
    assert article.sections[0].text == "Journalists were detained."
    [warning] = parsed.warnings
    assert "front matter holds more than 100,000 values" in warning
