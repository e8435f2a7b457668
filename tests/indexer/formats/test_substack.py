"""Substack exports: posts.csv lists the posts (title, date, who may read them), and
posts/<post_id>.html holds each post's body alone."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from indexer.errors import NoArticle, NotArticles, UnreadableFile
from indexer.formats import ParsedFile, SkippedFile, parse_paths
from tests.indexer.formats.conftest import write

HEADER = (
    "post_id,post_date,is_published,email_sent_at,inbox_sent_at,type,audience,title,subtitle,"
    "podcast_url\n"
)
PROTEST = "In the past twelve months, three laws have made it harder to organise a protest."
SHARE = (
    '<p class="button-wrapper" data-attrs="{&quot;url&quot;:&quot;https://ngo.substack.com/p/x'
    '?action=share&quot;,&quot;text&quot;:&quot;Share&quot;}" data-component-name='
    '"ButtonCreateButton"><a class="button primary" href="https://ngo.substack.com/p/x?action='
    'share"><span>Share</span></a></p>'
)


def row(post_id: str, *, published: str = "true", audience: str = "everyone", **cells) -> str:
    """A line of posts.csv, as Substack writes it."""
    date = cells.get("date", "2023-11-02T15:04:11.512Z")
    title, subtitle = cells.get("title", "A title"), cells.get("subtitle", "")
    return f"{post_id},{date},{published},{date},,newsletter,{audience},{title},{subtitle},\n"


def export(folder: Path, posts: dict[str, tuple[str, str]]) -> None:
    """A Substack export unpacked in ``folder``: {post_id: (its row, its body's HTML)}."""
    write(folder / "posts.csv", HEADER + "".join(line for line, _ in posts.values()))
    for post_id, (_, body) in posts.items():
        write(folder / "posts" / f"{post_id}.html", body)


def test_a_substack_post_takes_its_title_subtitle_and_date_from_posts_csv(
    tmp_path: Path, parse
) -> None:
    line = row("139.the-right-to-protest", title="The right to protest", subtitle="Three laws")
    export(tmp_path, {"139.the-right-to-protest": (line, f"<p>{PROTEST}</p>")})
    [article] = parse("posts/139.the-right-to-protest.html").articles
    assert (article.id, article.title, article.title_derived, article.date, article.text) == (
        "posts/139.the-right-to-protest",
        "The right to protest",
        False,
        "2023-11-02",
        PROTEST,
    )


def test_a_substack_post_that_is_only_an_embed_is_found_by_its_subtitle(
    tmp_path: Path, parse
) -> None:
    video = (
        '<div class="youtube-wrap"><iframe src="https://www.youtube.com/embed/x"></iframe></div>'
    )
    line = row("140.vigil", title="Vigil", subtitle="Families gathered outside the prison")
    export(tmp_path, {"140.vigil": (line, video)})
    [article] = parse("posts/140.vigil.html").articles
    assert (article.title, article.text) == ("Vigil", "Families gathered outside the prison")


@pytest.mark.parametrize(
    ("published", "audience", "reason"),
    [
        ("false", "everyone", "draft post (its export's posts.csv says is_published: false)"),
        ("", "everyone", "draft post (its export's posts.csv says is_published: (empty))"),
        (
            "true",
            "only_paid",
            "members-only post (its export's posts.csv says audience: only_paid)",
        ),
        ("true", "founding", "members-only post (its export's posts.csv says audience: founding)"),
        (
            "true",
            "only_free",
            "members-only post (its export's posts.csv says audience: only_free)",
        ),
    ],
)
def test_a_substack_draft_or_post_for_subscribers_is_not_indexed(
    tmp_path: Path, parse, published: str, audience: str, reason: str
) -> None:
    secret = "Draft, not for publication: our partner is preparing to leave the country."
    export(
        tmp_path, {"141.draft": (row("141.draft", published=published, audience=audience), secret)}
    )
    with pytest.raises(NoArticle) as refused:
        parse("posts/141.draft.html")
    assert str(refused.value) == reason


@pytest.mark.parametrize(
    "widget",
    [
        SHARE,
        SHARE.replace("Share", "Subscribe now"),
        SHARE.replace("Share", "Suscríbete ahora"),
        # The subscribe box, with its caption, as the editor writes it and as a post shows it.
        '<div class="subscription-widget-wrap-editor" data-attrs="{}" data-component-name='
        '"SubscribeWidgetToDOM"><div class="subscription-widget show-subscribe"><div '
        'class="preamble"><p class="cta-caption">Thanks for reading NGO Voices! Subscribe for '
        "free to receive new posts and support my work.</p></div><form><input type="
        '"email"><input type="submit" value="Subscribe"></form></div></div>',
        '<div class="captioned-button-wrap" data-attrs="{}" data-component-name='
        '"CaptionedButtonToDOM"><div class="preamble"><p class="cta-caption">Thanks for '
        "reading NGO Voices! This post is public so feel free to share it.</p></div>"
        f"{SHARE}</div>",
    ],
)
def test_substacks_buttons_and_subscribe_boxes_are_not_text(
    tmp_path: Path, parse, widget: str
) -> None:
    body = f"<p>{PROTEST}</p>{widget}<h3>What comes next</h3><p>A legal challenge.</p>{widget}"
    export(tmp_path, {"139.protest": (row("139.protest"), body)})
    [article] = parse("posts/139.protest.html").articles
    assert [(s.heading, s.text) for s in article.sections] == [
        (None, PROTEST),
        ("What comes next", "A legal challenge."),
    ]


def test_a_post_its_exports_posts_csv_does_not_list_is_not_indexed(tmp_path: Path, parse) -> None:
    # Whether readers are shown it cannot be told (an export unpacked half-way).
    export(tmp_path, {"139.protest": (row("139.protest"), f"<p>{PROTEST}</p>")})
    write(tmp_path / "posts" / "150.later.html", f"<p>{PROTEST}</p>")
    with pytest.raises(UnreadableFile) as refused:
        parse("posts/150.later.html")
    assert not isinstance(refused.value, NoArticle)
    assert str(refused.value).startswith("not listed in its Substack export's posts.csv")


def test_a_post_whose_exports_posts_csv_is_missing_is_not_indexed(tmp_path: Path, parse) -> None:
    # Moved away while a new export is unpacked: its drafts were indexed as pages.
    secret = "Draft: the witness lives at 12 Calle Sol."
    export(
        tmp_path,
        {"141000102.witness": (row("141000102.witness", published="false"), f"<p>{secret}</p>")},
    )
    (tmp_path / "posts.csv").unlink()
    with pytest.raises(UnreadableFile) as refused:
        parse("posts/141000102.witness.html")
    assert str(refused.value).startswith("not listed in its Substack export's posts.csv")


def test_another_sites_posts_named_with_a_number_are_pages(tmp_path: Path, parse) -> None:
    write(tmp_path / "posts" / "2019.annual-report.html", f"<p>{PROTEST}</p>")
    [article] = parse("posts/2019.annual-report.html").articles
    assert article.text == PROTEST


def test_a_compressed_posts_csv_is_read_as_the_exports_table(tmp_path: Path, parse) -> None:
    secret = "Draft: the witness lives at 12 Calle Sol."
    export(
        tmp_path,
        {"141000102.witness": (row("141000102.witness", published="false"), f"<p>{secret}</p>")},
    )
    table = tmp_path / "posts.csv"
    (tmp_path / "posts.csv.gz").write_bytes(gzip.compress(table.read_bytes()))
    table.unlink()
    with pytest.raises(NoArticle, match="draft post"):
        parse("posts/141000102.witness.html")


def outcome(result: ParsedFile | SkippedFile) -> tuple:
    if isinstance(result, SkippedFile):
        return result.path.name, result.reason, result.ignored, result.table
    return result.path.name, [article.title for article in result.articles]


def test_an_exports_posts_csv_and_email_statistics_are_its_metadata_not_articles(
    tmp_path: Path,
) -> None:
    export(tmp_path, {"139.protest": (row("139.protest"), f"<p>{PROTEST}</p>")})
    for kind in ("delivers", "opens"):
        stats = "email,timestamp\nana@example.org,2023-11-02T15:04:12.001Z\n"
        write(tmp_path / "posts" / f"139.protest.{kind}.csv", stats)
    # In the export's folder: counted with the files that are not articles, never named as a
    # table whose text column needs mapping.
    listed = "a Substack export's list of its posts, read for their titles, dates and readers"
    stats = "a Substack export's email statistics of a post, not an article"
    assert sorted(outcome(result) for result in parse_paths([tmp_path])) == [
        ("139.protest.delivers.csv", stats, True, False),
        ("139.protest.html", ["A title"]),
        ("139.protest.opens.csv", stats, True, False),
        ("posts.csv", listed, True, False),
    ]
    # Named alone, it was meant to be read, and cannot be.
    [named] = parse_paths([tmp_path / "posts.csv"])
    assert outcome(named) == ("posts.csv", listed, False, False)


def test_a_post_named_alone_is_read_with_its_exports_posts_csv(tmp_path: Path) -> None:
    export(tmp_path, {"141.draft": (row("141.draft", published="false"), f"<p>{PROTEST}</p>")})
    [result] = parse_paths([tmp_path / "posts" / "141.draft.html"])
    assert isinstance(result, SkippedFile) and result.no_article


def test_another_cms_posts_table_and_pages_are_read_as_before(tmp_path: Path, parse) -> None:
    write(tmp_path / "posts.csv", "id,title,body\na1,Arrested,A journalist was arrested.\n")
    write(tmp_path / "posts" / "139.protest.html", f"<p>{PROTEST}</p>{SHARE}")
    assert [a.title for a in parse("posts.csv").articles] == ["Arrested"]
    [article] = parse("posts/139.protest.html").articles
    assert (article.title_derived, article.date) == (True, None)
    write(tmp_path / "posts.csv", "post_id,views\n139.protest,12\n")
    with pytest.raises(NotArticles, match="no text column"):
        parse("posts.csv")
