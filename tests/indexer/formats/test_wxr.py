from __future__ import annotations

import codecs
import gzip
import re
from pathlib import Path

import pytest

from indexer.errors import NoArticle, UnreadableFile
from tests.indexer.formats.conftest import write


def item(post_id: int, title: str, *, post_type: str = "post", status: str = "publish",
         body: str = "Body text.", extra: str = "") -> str:  # fmt: skip
    return f"""
<item>
  <title>{title}</title>
  <link>http://example.org/2004/10/26/{title.lower().replace(" ", "-")}/</link>
  <pubDate>Wed, 27 Oct 2004 02:20:54 +0000</pubDate>
  <dc:creator><![CDATA[Rebecca MacKinnon]]></dc:creator>
  <guid isPermaLink="false">http://example.org/?p={post_id}</guid>
  <content:encoded><![CDATA[{body}]]></content:encoded>
  <wp:post_id>{post_id}</wp:post_id>
  <wp:post_date>2004-10-26 21:20:54</wp:post_date>
  <wp:status>{status}</wp:status>
  <wp:post_type>{post_type}</wp:post_type>
  <category domain="category" nicename="news"><![CDATA[Middle East &amp; North Africa]]></category>
  <category domain="post_tag" nicename="iraq"><![CDATA[Iraq]]></category>
  <wp:comment><wp:comment_content><![CDATA[A reader comment]]></wp:comment_content></wp:comment>
  {extra}
</item>"""


def wxr(*items: str, language: str = "fr-FR", doctype: str = "") -> str:
    return f"""<?xml version="1.0" encoding="utf-8" ?>{doctype}
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.1/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.1/">
<channel><title>Site</title><language>{language}</language>
{"".join(items)}
</channel></rss>"""


BODY = (
    "Here is our proposed schedule.  It is open for <a href='x'>discussion</a>.\n\n"
    "<h3>Morning</h3>\nIntro: theory behind the day.\n\n[caption id='1']<img src='a.jpg'> "
    "A caption[/caption]"
)


def test_published_posts_and_pages_are_articles_and_the_rest_is_counted(
    tmp_path: Path, parse
) -> None:
    content = wxr(
        item(3, "Schedule", body=BODY),
        item(4, "About", post_type="page", body="Who we are."),
        item(5, "Draft", status="draft"),
        item(6, "Pic", post_type="attachment"),
        item(7, "Private", status="private"),
        item(8, "Old about", post_type="page", status="draft"),
        item(9, "Pic 2", post_type="attachment"),
    )
    write(tmp_path / "wordpress" / "export.wxr.xml", content)
    parsed = parse("wordpress/export.wxr.xml")
    article, page = parsed.articles
    assert (page.id, page.title, page.text) == ("export/4", "About", "Who we are.")
    assert parsed.warnings == [
        "5 item(s) not indexed, as only published posts and pages are: 2 × attachment, "
        "1 × draft post, 1 × private post, 1 × draft page"
    ]
    assert article.id == "export/3"
    assert article.title == "Schedule"
    assert article.url == "http://example.org/2004/10/26/schedule/"
    assert article.date == "2004-10-26"
    assert article.authors == ["Rebecca MacKinnon"]
    assert article.tags == ["Middle East & North Africa", "Iraq"]
    assert article.language == "fr"
    assert article.source == "wordpress"
    assert [(s.heading, s.text) for s in article.sections] == [
        (None, "Here is our proposed schedule. It is open for discussion."),
        ("Morning", "Intro: theory behind the day.\n\nA caption"),
    ]
    assert "reader comment" not in article.text


def test_a_password_protected_post_is_not_indexed(tmp_path: Path, parse) -> None:
    # WordPress writes the element for every post, empty when it has no password.
    content = wxr(
        item(1, "Open", extra="<wp:post_password><![CDATA[]]></wp:post_password>"),
        item(2, "Testimony", extra="<wp:post_password><![CDATA[s3cret]]></wp:post_password>"),
    )
    write(tmp_path / "export.wxr.xml", content)
    parsed = parse("export.wxr.xml")
    assert [article.title for article in parsed.articles] == ["Open"]
    assert parsed.warnings == [
        "1 item(s) not indexed, as only published posts and pages are: 1 × password-protected post"
    ]


def test_external_entities_are_never_expanded(tmp_path: Path, parse) -> None:
    secret = write(tmp_path / "secret.txt", "TOP-SECRET-VALUE")
    doctype = f'<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{secret}">]>'
    write(tmp_path / "x.xml", wxr(item(1, "Post", extra="<wp:meta>&xxe;</wp:meta>",
                                       body="Safe body."), doctype=doctype))  # fmt: skip
    parsed = parse("x.xml")
    assert "TOP-SECRET-VALUE" not in repr(parsed)


def test_truncated_export_keeps_posts_before_the_break(tmp_path: Path, parse) -> None:
    content = wxr(item(1, "First"), item(2, "Second"))
    write(tmp_path / "cut.xml", content[: content.index("<wp:post_id>2")])
    parsed = parse("cut.xml")
    assert [a.id for a in parsed.articles] == ["cut/1"]
    assert any(w.startswith("invalid XML at line") for w in parsed.warnings)


EXCERPT = (
    "<excerpt:encoded><![CDATA[Watch the <em>launch</em> of our campaign.]]></excerpt:encoded>"
)


@pytest.mark.parametrize(
    "extra",
    [EXCERPT, "<description>Watch the launch of our campaign.</description>"],
    ids=["wordpress-excerpt", "rss-description"],
)
def test_a_post_whose_body_is_only_an_embed_is_indexed_by_its_excerpt(
    tmp_path: Path, parse, extra: str
) -> None:
    body = "[embed]<iframe src='https://video.example.org/1'></iframe>[/embed]"
    write(tmp_path / "x.xml", wxr(item(1, "Launch", body=body, extra=extra), item(2, "Other")))
    parsed = parse("x.xml")
    assert [(a.title, a.text) for a in parsed.articles] == [
        ("Launch", "Watch the launch of our campaign."),
        ("Other", "Body text."),
    ]
    assert parsed.warnings == []


def test_an_excerpt_is_not_added_to_a_body(tmp_path: Path, parse) -> None:
    write(tmp_path / "x.xml", wxr(item(1, "Launch", body="The body.", extra=EXCERPT)))
    [article] = parse("x.xml").articles
    assert article.text == "The body."


def test_a_gzipped_export_that_breaks_off_keeps_every_post_before_the_break(
    tmp_path: Path, parse
) -> None:
    # Its checksum is wrong: every post was read before the break, and all were lost with
    # a "cannot read file", or the last 32 KB's with the break.
    items = [item(n, f"Post {n}", body=f"Body of post {n}. " * 40) for n in range(1, 60)]
    data = gzip.compress(wxr(*items).encode())
    write(tmp_path / "export.xml.gz", data[:-8] + bytes(4) + data[-4:])
    parsed = parse("export.xml.gz")
    assert len(parsed.articles) == 59
    [warning] = [w for w in parsed.warnings if "gzip" in w]
    assert warning.startswith("not a valid gzip file: CRC check failed")
    assert warning.endswith("; kept the posts before the break")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("<html><body>not rss</body></html>", "not a WordPress export"),
        ("<rss><channel", "invalid XML at line 1"),
        (wxr(item(1, "P", status="draft")), r"no published posts or pages .*\(1 × draft post\)"),
        ("<?xml version='1.0'?>", "invalid XML|empty"),
    ],
)
def test_unusable_xml_is_unreadable(tmp_path: Path, parse, content: str, reason: str) -> None:
    write(tmp_path / "bad.xml", content)
    with pytest.raises(UnreadableFile, match=reason):
        parse("bad.xml")


def test_a_title_that_shows_a_tag_keeps_it(tmp_path: Path, parse) -> None:
    # The XML gives "about <torture>": text, since no HTML element is named torture; an
    # HTML element in a title is markup.
    title = "<title>About &lt;torture&gt; in <![CDATA[<em>jails</em>]]></title>"
    write(tmp_path / "x.xml", wxr(item(1, "T").replace("<title>T</title>", title)))
    [article] = parse("x.xml").articles
    assert article.title == "About <torture> in jails"


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
     ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)],
)  # fmt: skip
def test_utf16_and_utf32_exports_with_a_byte_order_mark_are_read(
    tmp_path: Path, parse, encoding: str, bom: bytes
) -> None:
    # The declaration says utf-8 (as exports re-encoded by an editor do); the mark decides.
    write(tmp_path / "x.xml", bom + wxr(item(1, "Año nuevo")).encode(encoding))
    [article] = parse("x.xml").articles
    assert (article.id, article.title) == ("x/1", "Año nuevo")


@pytest.mark.parametrize(
    ("encoding", "bom", "invalid"),
    [("utf-16-le", codecs.BOM_UTF16_LE, b"\x00\xdc"),
     ("utf-16-be", codecs.BOM_UTF16_BE, b"\xdc\x00"),
     ("utf-32-le", codecs.BOM_UTF32_LE, b"\x00\x00\x11\x00"),
     ("utf-32-be", codecs.BOM_UTF32_BE, b"\x00\x11\x00\x00")],
    ids=["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"],
)  # fmt: skip
def test_text_invalid_in_a_utf16_or_utf32_export_keeps_the_posts_before_it(
    tmp_path: Path, parse, encoding: str, bom: bytes, invalid: bytes
) -> None:
    # As invalid UTF-8 does: a lone surrogate, or a code point past U+10FFFF, before post 3.
    content = wxr(item(1, "First"), item(2, "Second"), item(3, "Third"))
    cut = content.index("<item>", content.index("Second"))
    before, after = content[:cut], content[cut:]
    data = bom + before.encode(encoding) + invalid + after.encode(encoding)
    write(tmp_path / "x.xml", data)
    parsed = parse("x.xml")
    assert [a.id for a in parsed.articles] == ["x/1", "x/2"]
    [warning] = parsed.warnings
    line = before.count("\n") + 1
    assert re.fullmatch(
        rf"invalid UTF-{encoding[4:6]} text: .+ at line {line}; kept the 2 posts before it",
        warning,
    )


def test_authors_are_named_as_the_site_shows_them(tmp_path: Path, parse) -> None:
    authors = """<wp:author><wp:author_id>2</wp:author_id>
<wp:author_login><![CDATA[jdoe]]></wp:author_login>
<wp:author_display_name><![CDATA[Jane Doe]]></wp:author_display_name></wp:author>"""
    by_login = item(3, "Schedule").replace("Rebecca MacKinnon", "jdoe")
    by_other = item(4, "Agenda").replace("Rebecca MacKinnon", "rmack")  # no wp:author
    write(tmp_path / "export.wxr.xml", wxr(authors, by_login, by_other))
    assert [a.authors for a in parse("export.wxr.xml").articles] == [["Jane Doe"], ["rmack"]]


ATOM_FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Observatoire</title><id>urn:uuid:feed</id><updated>2023-06-02T09:00:00Z</updated>
  <author><name>The feed's own author</name></author>
  <entry>
    <title type="html">Une journaliste &lt;em&gt;expulsée&lt;/em&gt;</title>
    <id>tag:obs.example,2023:alerte-12</id>
    <link rel="alternate" href="https://obs.example/alertes/journaliste-expulsee"/>
    <link rel="edit" href="https://obs.example/edit/12"/>
    <published>2023-06-01T09:00:00+02:00</published><updated>2023-06-02T09:00:00Z</updated>
    <author><name>Jeanne Dupont</name></author><author><name>Ali Ben</name></author>
    <category term="expulsions" label="Expulsions"/><category term="presse"/>
    <content type="html">&lt;p&gt;Elle a été expulsée.&lt;/p&gt;&lt;p&gt;Son accréditation
    avait été retirée.&lt;/p&gt;</content>
  </entry>
  <entry xml:lang="en">
    <title>Surveillance of defenders</title>
    <id>https://obs.example/alerts/surveillance</id>
    <updated>2023-05-01T09:00:00Z</updated>
    <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Defenders are
    <strong>watched</strong>.</p></div></content>
  </entry>
  <entry>
    <title>Une décision</title><id>urn:obs:3</id><updated>2023-04-01T09:00:00Z</updated>
    <summary>Le tribunal a confirmé la décision.</summary>
  </entry>
  <entry>
    <title>Un appel</title><id>urn:obs:4</id><updated>2023-03-01T09:00:00Z</updated>
    <content type="text/html">&lt;p&gt;Signez &lt;em&gt;l'appel&lt;/em&gt;.&lt;/p&gt;</content>
  </entry>
</feed>"""


def test_an_atom_feeds_entries_are_articles(tmp_path: Path, parse) -> None:
    write(tmp_path / "alertes.atom", ATOM_FEED)
    articles = parse("alertes.atom").articles
    assert [
        (a.id, a.title, a.date, a.authors, a.tags, a.language, a.url, a.text) for a in articles
    ] == [
        (
            "alertes/journaliste-expulsee",  # the address's slug, as a CMS's
            "Une journaliste expulsée",
            "2023-06-01",
            ["Jeanne Dupont", "Ali Ben"],
            ["Expulsions", "presse"],
            "fr",
            "https://obs.example/alertes/journaliste-expulsee",
            "Elle a été expulsée.\n\nSon accréditation avait été retirée.",
        ),
        (
            "alertes/surveillance",
            "Surveillance of defenders",
            "2023-05-01",
            [],
            [],
            "en",
            None,
            "Defenders are watched.",
        ),
        ("alertes/3", "Une décision", "2023-04-01", [], [], "fr", None,
         "Le tribunal a confirmé la décision."),
        # A media type for the kind: HTML, not text showing tags.
        ("alertes/4", "Un appel", "2023-03-01", [], [], "fr", None, "Signez l'appel."),
    ]  # fmt: skip


BLOGGER_NS = "http://schemas.google.com/blogger/2018"


def blogger_entry(number: int, title: str, *, kind: str = "POST", status: str = "LIVE") -> str:
    """An entry of a Blogger export from Google Takeout; its author has a type too."""
    return f"""<entry><id>tag:blogger.com,1999:blog-1.post-{number}</id>
<blogger:type>{kind}</blogger:type><blogger:status>{status}</blogger:status>
<author><name>Rosa Quispe</name><blogger:type>BLOGGER</blogger:type></author>
<title>{title}</title><content type="html">&lt;p&gt;{title}, in full.&lt;/p&gt;</content>
<published>2023-08-22T08:00:00-05:00</published>
<category scheme="tag:blogger.com,1999:blog-1" term="Desalojos"/>
<link rel="alternate" type="text/html" href="https://obs.blogspot.com/2023/08/p{number}.html"/>
</entry>"""


def blogger_export(*entries: str) -> str:
    return (
        f"<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom' "
        f"xmlns:blogger='{BLOGGER_NS}'><id>tag:blogger.com,1999:blog-1</id><title>Obs</title>"
        f"{''.join(entries)}</feed>"
    )


def test_a_blogger_exports_live_posts_and_pages_are_articles_and_the_rest_is_counted(
    tmp_path: Path, parse
) -> None:
    content = blogger_export(
        blogger_entry(1, "Desalojos forzosos"),
        blogger_entry(2, "Quiénes somos", kind="PAGE"),
        blogger_entry(3, "Testimonio de una víctima", status="DRAFT"),
        blogger_entry(4, "Post eliminado", status="DELETED"),
        blogger_entry(5, "En la papelera", status="SOFT_TRASHED"),
        blogger_entry(6, "Visiten mi página de préstamos", kind="COMMENT"),
        blogger_entry(7, "Contacto", kind="PAGE", status="DRAFT"),
    )
    write(tmp_path / "blog-05-02-2024.xml", content)
    parsed = parse("blog-05-02-2024.xml")
    assert [(a.id, a.title, a.authors, a.tags) for a in parsed.articles] == [
        ("blog-05-02-2024/p1", "Desalojos forzosos", ["Rosa Quispe"], ["Desalojos"]),
        ("blog-05-02-2024/p2", "Quiénes somos", ["Rosa Quispe"], ["Desalojos"]),
    ]
    assert parsed.warnings == [
        "5 item(s) not indexed, as only published posts and pages are: 1 × draft post, "
        "1 × deleted post, 1 × soft_trashed post, 1 × comment, 1 × draft page"
    ]


KIND = "http://schemas.google.com/blogger/2008/kind"


def classic_entry(number: int, title: str, kind: str = "post", *, slug: str = "",
                  draft: str = "") -> str:  # fmt: skip
    """An entry of a Blogger export of before 2018 ("Back up content"): its kind is a
    category, a draft says so in the Atom Publishing Protocol's app:control (``draft``: the
    namespace it is written in)."""
    control = f"<app:control xmlns:app='{draft}'><app:draft>yes</app:draft></app:control>"
    return f"""<entry><id>tag:blogger.com,1999:blog-777.post-{number}</id>
<published>2018-09-10T08:30:00.001+02:00</published>{control if draft else ""}
<category scheme='http://schemas.google.com/g/2005#kind' term='{KIND}#{kind}'/>
<category scheme='http://www.blogger.com/atom/ns#' term='Détention arbitraire'/>
<title type='text'>{title}</title><content type='html'>{title}, en entier.</content>
<link rel='alternate' type='text/html' href='http://dhi.blogspot.com/{slug or number}.html'/>
<author><name>Awa Diallo</name></author></entry>"""


@pytest.mark.parametrize(
    "app_namespace", ["http://purl.org/atom/app#", "http://www.w3.org/2007/app"]
)
def test_a_classic_blogger_exports_published_posts_and_pages_are_articles(
    tmp_path: Path, parse, app_namespace: str
) -> None:
    content = (
        "<?xml version='1.0' encoding='UTF-8'?><feed xmlns='http://www.w3.org/2005/Atom'>"
        "<id>tag:blogger.com,1999:blog-777</id><title type='text'>DHI</title>"
        + classic_entry(1, "Le thème du blog", "template")
        + classic_entry(2, "Description du blog", "settings")
        + classic_entry(901, "Un journaliste détenu", slug="detenu")
        + classic_entry(902, "Brouillon confidentiel", draft=app_namespace)
        # A comment's address is its post's, with ?showComment=…: its id was the post's, -2.
        + classic_entry(903, "Courage à sa famille", "comment", slug="detenu?showComment=1#c903")
        + classic_entry(904, "Qui sommes-nous", "page", slug="p/qui-sommes-nous")
        + classic_entry(905, "Une page en attente", "page", draft=app_namespace)
        + "</feed>"
    )
    write(tmp_path / "blog-classic.xml", content)
    parsed = parse("blog-classic.xml")
    # The kind, a category, is no tag.
    assert [(a.id, a.title, a.tags) for a in parsed.articles] == [
        ("blog-classic/detenu", "Un journaliste détenu", ["Détention arbitraire"]),
        ("blog-classic/qui-sommes-nous", "Qui sommes-nous", ["Détention arbitraire"]),
    ]
    assert parsed.warnings == [
        "5 item(s) not indexed, as only published posts and pages are: 1 × template, "
        "1 × settings, 1 × draft post, 1 × comment, 1 × draft page"
    ]


def test_a_blogger_export_with_nothing_published_holds_no_article(tmp_path: Path, parse) -> None:
    write(tmp_path / "blog.xml", blogger_export(blogger_entry(1, "P", status="DRAFT"),
                                                blogger_entry(2, "C", kind="COMMENT")))  # fmt: skip
    with pytest.raises(
        NoArticle,
        match=r"^no published posts or pages in this export \(1 × draft post, 1 × comment\)$",
    ):
        parse("blog.xml")


def test_an_atom_entry_whose_app_draft_says_no_is_an_article(tmp_path: Path, parse) -> None:
    app = "xmlns:app='http://www.w3.org/2007/app'"
    control = f"<app:control {app}><app:draft>no</app:draft></app:control>"
    write(tmp_path / "feed.atom", ATOM_FEED.replace("<entry>", f"<entry>{control}", 1))
    assert len(parse("feed.atom").articles) == 4


def test_a_feed_without_items_holds_no_article(tmp_path: Path, parse) -> None:
    write(tmp_path / "empty.rss", '<rss version="2.0"><channel><title>S</title></channel></rss>')
    with pytest.raises(NoArticle, match="no items or entries in this feed"):
        parse("empty.rss")


def test_a_plain_rss_items_id_is_its_addresss_last_part(tmp_path: Path, parse) -> None:
    feed = """<rss version="2.0"><channel><title>Site</title><item><title>Radio host jailed</title>
    <link>https://fvw.example.org/news/radio-host-jailed/</link>
    <guid isPermaLink="true">https://fvw.example.org/p-4512</guid>
    <description>A radio host was jailed for a broadcast.</description></item></channel></rss>"""
    write(tmp_path / "feed.rss", feed)
    [article] = parse("feed.rss").articles
    assert article.id == "feed/radio-host-jailed"


def test_a_wordpress_feeds_appeared_first_on_line_is_left_out(tmp_path: Path, parse) -> None:
    footer = (
        '&lt;p&gt;The post &lt;a rel="nofollow" href="https://fvw.example.org/news/jailed/"&gt;'
        'Radio host jailed&lt;/a&gt; appeared first on &lt;a rel="nofollow" '
        'href="https://fvw.example.org"&gt;Free Voices Watch&lt;/a&gt;.&lt;/p&gt;'
    )
    feed = f"""<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
    <channel><title>Free Voices Watch</title>
    <item><title>Radio host jailed</title><link>https://fvw.example.org/news/jailed/</link>
    <description>&lt;p&gt;A radio host was jailed.&lt;/p&gt;{footer}</description>
    <content:encoded>&lt;p&gt;A radio host was jailed for a broadcast.&lt;/p&gt;
    &lt;p&gt;The post &lt;a href="https://fb.example/p/1"&gt;he shared&lt;/a&gt; led to his
    arrest.&lt;/p&gt;{footer}</content:encoded></item>
    <item><title>Summary only</title><link>https://fvw.example.org/news/summary/</link>
    <description>&lt;p&gt;A court ruled.&lt;/p&gt;{footer}</description></item>
    </channel></rss>"""
    write(tmp_path / "feed.rss", feed)
    first, second = parse("feed.rss").articles
    assert first.text == (
        "A radio host was jailed for a broadcast.\n\nThe post he shared led to his arrest."
    )
    assert second.text == "A court ruled."
    atom = f"""<feed xmlns="http://www.w3.org/2005/Atom"><title>FVW</title><id>urn:fvw</id>
    <entry><title>Radio host jailed</title><id>urn:fvw:1</id><updated>2023-01-01T00:00:00Z</updated>
    <content type="html">&lt;p&gt;A radio host was jailed.&lt;/p&gt;{footer}</content>
    </entry></feed>"""
    write(tmp_path / "feed.atom", atom)
    [entry] = parse("feed.atom").articles
    assert entry.text == "A radio host was jailed."


def test_an_export_cut_short_is_reported_on_one_line(tmp_path: Path, parse) -> None:
    content = wxr(item(1, "First"), item(2, "Second", body="One line.\nAnd <b>another</b>."))
    write(tmp_path / "x.xml", content[: content.index("another")])
    parsed = parse("x.xml")
    assert [a.id for a in parsed.articles] == ["x/1"]
    [warning] = parsed.warnings
    assert "\n" not in warning
    assert warning.endswith("; kept the 1 posts before it")


def test_html_entities_and_bare_ampersands_are_read_as_a_browser_reads_them(
    tmp_path: Path, parse
) -> None:
    # Hand-made and plugin-made feeds write HTML into XML; one "&nbsp;" made the whole
    # export unreadable. In CDATA an "&" is text already, and stays as it is.
    content = wxr(
        item(1, "Press&nbsp;freedom &amp; AT&T"),
        item(2, "Second", body="<a href='https://example.org/?a=1&b=2'>Both &eacute;tats</a>"),
        item(3, "Caf&eacute; &zzz; &#233;"),
    )
    write(tmp_path / "x.xml", content)
    parsed = parse("x.xml")
    assert [a.title for a in parsed.articles] == [
        "Press freedom & AT&T",
        "Second",
        "Café &zzz; é",
    ]
    assert "Both états" in parsed.articles[1].text
    assert parsed.warnings == [
        "HTML entities or bare & that XML does not allow, read as a browser would"
    ]
