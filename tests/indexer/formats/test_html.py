from __future__ import annotations

import re
from pathlib import Path

import pytest

from indexer.errors import NoArticle, UnreadableFile
from indexer.formats.html import blocks_from_html_fragment
from tests.indexer.formats.conftest import write

BODY = "Reporters in the region continue their work despite threats and new laws against them."


def texts(html: str) -> list[tuple[int, str]]:
    return [(b.level, " ".join(b.text.split())) for b in blocks_from_html_fragment(html)]


@pytest.mark.parametrize(
    "junk",
    [
        "<script>var x = 'secret';</script>",
        "<style>p { color: red }</style>",
        "<iframe src='https://x.org'>frame text</iframe>",
        "<form><input value='v'>form text</form>",
        "<noscript>enable js</noscript>",
        "<svg><text>svg text</text></svg>",
        "<template>tpl</template>",
        "<!-- a comment -->",
    ],
)
def test_non_text_elements_never_reach_the_text(junk: str) -> None:
    assert texts(f"<p>Before</p>{junk}<p>After</p>") == [(0, "Before"), (0, "After")]


@pytest.mark.parametrize(
    "widget",
    [
        # Jetpack's share buttons, under every post of a WordPress site that has them.
        '<div class="sharedaddy sd-sharing-enabled"><div class="sd-block sd-sharing">'
        '<h3 class="sd-title">Partager&nbsp;:</h3><ul><li class="share-twitter">'
        '<a href="?share=twitter"><span>Twitter</span></a></li><li>'
        '<a href="?share=facebook"><span>Facebook</span></a></li></ul></div></div>',
        "<div id='jp-relatedposts' class='jp-relatedposts'><h3>Related</h3></div>",
        '<div class="addtoany_share_save_container"><a class="a2a_dd">Share</a></div>',
        '<ul class="wp-block-social-links"><li><a href="https://x.org/ngo">X</a></li></ul>',
        # Ghost's button to its membership portal, and its sign-up card.
        '<div class="kg-card kg-button-card kg-align-center"><a href="__GHOST_URL__/#/portal/'
        'signup" class="kg-btn">Subscribe to our newsletter</a></div>',
        '<div class="kg-card kg-signup-card"><h2>Sign up for updates</h2></div>',
    ],
)
def test_share_buttons_and_sign_up_cards_of_cms_plugins_are_no_text(widget: str) -> None:
    assert texts(f"<p>Before</p>{widget}<p>After</p>") == [(0, "Before"), (0, "After")]


def test_a_ghost_button_to_another_page_is_text() -> None:
    html = (
        '<div class="kg-card kg-button-card">'
        '<a href="https://x.org/petition">Sign the petition</a></div>'
    )
    assert texts(html) == [(0, "Sign the petition")]


def test_headings_and_paragraph_elements_become_blocks_once() -> None:
    html = (
        "<h1>Top</h1><div>Direct <b>text</b><p>Inner</p></div>"
        "<ul><li>One</li><li><p>Two</p></li></ul>"
        "<blockquote><p>Quoted</p></blockquote><table><tr><td>Cell</td></tr></table>"
        "<figure><img src='x.jpg'><figcaption>Caption</figcaption></figure>"
        "<h3>Sub</h3><dl><dd>Def</dd></dl><pre>code  here</pre>"
    )
    assert texts(html) == [
        (1, "Top"), (0, "Direct text"), (0, "Inner"), (0, "One"), (0, "Two"), (0, "Quoted"),
        (0, "Cell"), (0, "Caption"), (3, "Sub"), (0, "Def"), (0, "code here"),
    ]  # fmt: skip


def test_entities_are_decoded_and_br_breaks_lines() -> None:
    [block] = blocks_from_html_fragment("<p>Law &amp; order&nbsp;&#8212; now<br>next line</p>")
    assert block.text == "Law & order\u00a0— now\nnext line"


def test_bare_text_split_by_blank_lines_is_paragraphs() -> None:
    html = 'Para <a href="x">one</a>\ncontinues.\n\nPara two.\n\n<p>Three</p>'
    assert texts(html) == [(0, "Para one continues."), (0, "Para two."), (0, "Three")]


@pytest.mark.parametrize("html", ["", "   ", "<", "</p></div>", "<?xml version='1.0'?><p>x</p>"])
def test_odd_fragments_do_not_crash(html: str) -> None:
    blocks_from_html_fragment(html)


PAGE = f"""<!doctype html>
<html lang="es-MX"><head><title>Reporteros valientes | Ejemplo</title>
<meta property="og:url" content="https://example.org/noticias/reporteros-valientes">
<meta property="og:title" content="Reporteros valientes">
<meta name="author" content="Ana Pérez">
<meta property="article:published_time" content="2023-05-04T10:00:00Z">
</head><body>
<header><nav><a href="/">Inicio</a> <a href="/about">Quiénes somos</a></nav></header>
<div class="cookie-banner"><p>Usamos cookies. Aceptar todas las cookies.</p></div>
<main><article>
<h1>Reporteros valientes</h1>
<p>{BODY} The first paragraph is long enough to count as the article's main content.</p>
<p>The union said at least twelve reporters were detained last year, most without charge.</p>
<h2>Pressure on newsrooms</h2>
<p>Editors describe constant calls from officials asking them to drop critical stories.</p>
<h3>Online harassment</h3>
<p>Women reporters face coordinated abuse on social media, with threats that spill over.</p>
</article></main>
<aside class="related"><h2>Related stories</h2>
<ul><li><a href="/x">Unrelated teaser story</a></li></ul></aside>
<footer><p>© 2023 Example Org. All rights reserved.</p></footer>
</body></html>"""


def test_html_page_yields_main_content_and_metadata(tmp_path: Path, parse) -> None:
    write(tmp_path / "site" / "page.html", PAGE)
    [article] = parse("site/page.html").articles
    assert article.title == "Reporteros valientes"
    assert [s.heading for s in article.sections] == [
        None,
        "Pressure on newsrooms",
        "Online harassment",
    ]
    assert article.language == "es"
    assert article.url == "https://example.org/noticias/reporteros-valientes"
    assert article.id == "reporteros-valientes"
    assert article.date == "2023-05-04"
    assert article.authors == ["Ana Pérez"]
    assert article.source == "site"
    for chrome in ("Inicio", "cookies", "Unrelated teaser", "All rights reserved"):
        assert chrome not in article.text


def site_page(title: str, text: str) -> str:
    """A page of a site whose chrome is named in Spanish, where trafilatura does not see it."""
    return f"""<html lang="es"><head><title>{title}</title></head><body>
<div class="aviso-cookies"><p>Este sitio web utiliza cookies propias y de terceros para mejorar
su experiencia de navegación.</p></div>
<div class="contenido"><h1>{title}</h1><p>{text}</p>
<p class="compartir">Compartir: Facebook Twitter WhatsApp</p></div>
<div class="pie"><p>Red de Defensoras © 2024 · Todos los derechos reservados</p></div>
</body></html>"""


STORIES = [
    ("Detienen a defensora", "La defensora zapoteca fue detenida el lunes por la policía estatal "
     "tras encabezar las protestas contra una mina en su comunidad."),
    ("Espionaje con Pegasus", "Al menos cinco periodistas fueron espiados con el programa Pegasus "
     "durante la cobertura de las protestas, según un informe independiente."),
    ("Corte ordena proteger a líderes", "La Corte Constitucional declaró un estado de cosas "
     "inconstitucional por los asesinatos de líderes sociales en el país."),
]  # fmt: skip


def test_paragraphs_a_site_repeats_on_its_pages_are_dropped(tmp_path: Path, parse) -> None:
    for number, (title, text) in enumerate(STORIES):
        write(tmp_path / "red" / f"{number}.html", site_page(title, text))
    for number, (_, text) in enumerate(STORIES):
        [article] = parse(f"red/{number}.html").articles
        assert article.text == text


def test_copies_of_one_page_keep_their_text(tmp_path: Path, parse) -> None:
    """The same article saved three times shares all its paragraphs, none of them chrome."""
    title, text = STORIES[0]
    for copy in range(3):
        write(tmp_path / "red" / f"{copy}.html", site_page(title, text))
    for copy in range(3):
        [article] = parse(f"red/{copy}.html").articles
        assert text in article.text


def test_a_copy_of_a_page_at_its_address_is_no_second_article(tmp_path: Path, parse) -> None:
    """A page saved again elsewhere: the same canonical address and text. The file the
    address names is the page, whichever sorts first."""
    title, text = STORIES[0]
    head = '<link rel="canonical" href="https://ligue.example/actu/detenida-defensora">'
    page = titled_page(f"<title>{title}</title>{head}", text)
    write(tmp_path / "ligue" / "actu" / "detenida-defensora.html", page)
    write(tmp_path / "ligue" / "actu" / "copie" / "detenida-defensora-1.html", page)
    [article] = parse("ligue/actu/detenida-defensora.html").articles
    assert article.id == "detenida-defensora"
    original = tmp_path / "ligue" / "actu" / "detenida-defensora.html"
    with pytest.raises(NoArticle, match=rf"a copy of {re.escape(str(original))} \(the same"):
        parse("ligue/actu/copie/detenida-defensora-1.html")


def test_a_paragraph_on_two_pages_is_not_chrome(tmp_path: Path, parse) -> None:
    for number, (title, text) in enumerate(STORIES[:2]):
        write(tmp_path / "red" / f"{number}.html", site_page(title, text))
    [article] = parse("red/0.html").articles
    assert "Compartir" in article.text


def titled_page(head: str, text: str) -> str:
    return f"<html><head>{head}</head><body><article><p>{text}</p></article></body></html>"


def test_the_site_name_a_page_declares_is_not_in_its_title(tmp_path: Path, parse) -> None:
    head = (
        '<meta property="og:title" content="Arrestation d’un journaliste | Ligue des droits">'
        '<meta property="og:site_name" content="Ligue des droits">'
    )
    write(tmp_path / "page.html", titled_page(head, STORIES[0][1]))
    [article] = parse("page.html").articles
    assert article.title == "Arrestation d’un journaliste"


@pytest.mark.parametrize(
    ("title_tag", "expected"),
    [
        ("{title} | Ligue des droits", "{title}"),
        ("Ligue des droits » {title}", "{title}"),
        ("{title} – Actualités – Ligue des droits", "{title}"),
    ],
)
def test_the_name_a_sites_titles_share_is_not_in_them(
    tmp_path: Path, parse, title_tag: str, expected: str
) -> None:
    for number, (title, text) in enumerate(STORIES):
        head = f"<title>{title_tag.format(title=title)}</title>"
        write(tmp_path / "ligue" / f"{number}.html", titled_page(head, text))
    for number, (title, _) in enumerate(STORIES):
        [article] = parse(f"ligue/{number}.html").articles
        assert article.title == expected.format(title=title)


def test_a_subject_half_the_titles_begin_with_stays(tmp_path: Path, parse) -> None:
    subjects = ["México", "México", "México", "Colombia", "Perú", "Chile"]
    for number, subject in enumerate(subjects):
        head = f"<title>{subject} – Informe {number} | Red de Defensoras</title>"
        body = f"{STORIES[number % 3][1]} Informe número {number}."
        write(tmp_path / "red" / f"{number}.html", titled_page(head, body))
    titles = [parse(f"red/{number}.html").articles[0].title for number in range(len(subjects))]
    assert titles == [f"{subject} – Informe {n}" for n, subject in enumerate(subjects)]


def test_the_site_name_is_learnt_from_xhtml_pages_too(tmp_path: Path, parse) -> None:
    for number, (title, text) in enumerate(STORIES):
        head = f'<meta property="og:title" content="{title} | Ligue des droits"/>'
        page = titled_page(head, text)
        xhtml = '<?xml version="1.0" encoding="utf-8"?>\n' + page.replace(
            "<html>", '<html xmlns="http://www.w3.org/1999/xhtml">'
        )
        write(tmp_path / "ligue" / f"{number}.xhtml.html", xhtml)
    assert parse("ligue/0.xhtml.html").articles[0].title == STORIES[0][0]


DETAINED = (
    "Since 2015, more than 200 activists have been detained in the region, according to "
    "monitors who track the cases closely."
)


@pytest.mark.parametrize(
    ("head", "first", "expected"),
    [
        ("", "", None),  # "since 2015" in the text is no date of the page
        ('<meta property="article:published_time" content="2021-03-04">', "", "2021-03-04"),
        ("", "<p>Publicado el 12 de octubre de 2022</p>", "2022-10-12"),
        ("", "<p>Por Ana Gil · 12 de octubre de 2022</p>", "2022-10-12"),
    ],
)
def test_a_page_is_dated_by_its_markup_or_its_date_line(
    tmp_path: Path, parse, head: str, first: str, expected: str | None
) -> None:
    page = f"<html><head>{head}</head><body><article><h1>Activists held</h1>{first}"
    write(tmp_path / "page.html", page + f"<p>{DETAINED}</p></article></body></html>")
    assert parse("page.html").articles[0].date == expected


@pytest.mark.parametrize(
    "fragment",
    ["<p>Redirecting…</p>", "<nav>{% for p in site.pages %}<a>{{ p.title }}</a>{% endfor %}</nav>"],
)
def test_a_fragment_that_says_nothing_or_is_a_template_is_no_article(
    tmp_path: Path, parse, fragment: str
) -> None:
    write(tmp_path / "_includes" / "nav.html", fragment)
    with pytest.raises(NoArticle):
        parse("_includes/nav.html")


@pytest.mark.parametrize(
    ("fragment", "title", "text"),
    [
        ("<p>Three sources describe the blackout.</p>", "", "Three sources describe the blackout."),
        (
            "<h1>Blackout</h1><p>Three sources describe it.</p>",
            "Blackout",
            "Three sources describe it.",
        ),
    ],
)
def test_a_file_holding_a_posts_body_alone_is_its_article(
    tmp_path: Path, parse, fragment: str, title: str, text: str
) -> None:
    write(tmp_path / "posts" / "123.html", fragment)  # as exports write their posts' bodies
    [article] = parse("posts/123.html").articles
    assert (article.title_derived, article.text) == (not title, text)
    assert article.title == (title or text)


def medium_page(title: str, text: str) -> str:
    """A post as a Medium export writes it (posts/<date>_<title>-<id>.html)."""
    return (
        f'<html><head><title>{title}</title></head><body><article class="h-entry"><header>'
        f'<h1 class="p-name">{title}</h1></header><section data-field="body" '
        f'class="e-content"><p class="graf graf--p">{text}</p></section><footer><p>Exported '
        'from <a href="https://medium.com">Medium</a> on June 1, 2023.</p></footer>'
        "</article></body></html>"
    )


def test_a_medium_exports_drafts_are_not_indexed(tmp_path: Path, parse) -> None:
    write(tmp_path / "posts" / "2023-01-05_Detained-3f2a.html", medium_page("Detained", DETAINED))
    plans = "Confidential: we plan to target the ministry in March, with the families."
    write(tmp_path / "posts" / "draft_Next-campaign-9a8b.html", medium_page("Plans", plans))
    # Named draft_ but no Medium export: a page about a draft law, say.
    write(tmp_path / "posts" / "draft_law.html", bylined_page("Draft law"))
    assert parse("posts/2023-01-05_Detained-3f2a.html").articles[0].title == "Detained"
    assert parse("posts/draft_law.html").articles[0].title == "Activists held"
    with pytest.raises(NoArticle, match="a draft"):
        parse("posts/draft_Next-campaign-9a8b.html")


def test_a_medium_exports_post_has_the_address_its_footer_names(tmp_path: Path, parse) -> None:
    # No <head> link: the export names the post's address in its footer.
    link = '<a href="https://medium.com/@ngo/detained-3f2a" class="p-canonical">Canonical link</a>'
    page = medium_page("Detained", DETAINED).replace("</footer>", f"<p>{link}</p></footer>")
    write(tmp_path / "posts" / "2023-01-05_Detained-3f2a.html", page)
    [article] = parse("posts/2023-01-05_Detained-3f2a.html").articles
    # Named by its address's last part, as any page with its address is.
    assert (article.url, article.id) == ("https://medium.com/@ngo/detained-3f2a", "detained-3f2a")


POSTED = "<footer>Posted on <time datetime='2021-02-03'>3 February</time></footer>"


@pytest.mark.parametrize(
    ("post", "expected"),
    [
        # The site's "last updated" is no date of the article.
        (f"<article><h1>Activists held</h1><p>{DETAINED}</p></article>", None),
        (f"<article><h1>Activists held</h1><p>{DETAINED}</p>{POSTED}</article>", "2021-02-03"),
        (f"<main><div class='post'><p>{DETAINED}</p>{POSTED}</div></main>", "2021-02-03"),
        (f"<div class='post'><h1>Activists held</h1><p>{DETAINED}</p>{POSTED}</div>", "2021-02-03"),
    ],
)
def test_a_page_is_not_dated_by_the_sites_footer(
    tmp_path: Path, parse, post: str, expected: str | None
) -> None:
    page = (
        f"<html><body>{post}<footer><p>Page last updated on June 1, 2023.</p></footer>"
        "</body></html>"
    )
    write(tmp_path / "page.html", page)
    assert parse("page.html").articles[0].date == expected


BYLINES = [
    ("Por Ana Gil · 12 de octubre de 2022", ["Ana Gil"], "2022-10-12"),
    ("Publié le 3 février 2022 par Jeanne Dupont", ["Jeanne Dupont"], "2022-02-03"),
    ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"], None),
    ("By Jane Doe | Reuters", ["Jane Doe"], None),
    ("Published on 3 February 2022", [], "2022-02-03"),
]


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("Jane Doe | February 3, 2022", "2022-02-03"),  # a name, or "Press Release"?
        ("GENEVA | 12 October 2022", "2022-10-12"),
        ("By The Numbers", None),
        ("Por qué importa", None),
        ("1948", None),  # a year alone is no date of the page
    ],
)
def test_a_line_that_is_no_byline_stays_text(
    tmp_path: Path, parse, line: str, date: str | None
) -> None:
    write(tmp_path / "page.html", bylined_page(line))
    [article] = parse("page.html").articles
    assert (article.authors, article.date, article.text) == ([], date, f"{line}\n\n{REPORT}")


# Long enough for trafilatura to find the article without the byline.
REPORT = " ".join([DETAINED] * 3)


def bylined_page(line: str, attributes: str = "") -> str:
    return (
        "<html><head><title>Activists held</title></head><body><article><h1>Activists held"
        f"</h1><p{attributes}>{line}</p><p>{REPORT}</p></article></body></html>"
    )


@pytest.mark.parametrize(("line", "authors", "date"), BYLINES)
def test_a_byline_gives_names_and_a_date_not_text(
    tmp_path: Path, parse, line: str, authors: list[str], date: str | None
) -> None:
    write(tmp_path / "page.html", bylined_page(line))
    [article] = parse("page.html").articles
    assert (article.authors, article.date, article.text) == (authors, date, REPORT)


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("Published on 3 February 2022", []),
        ("Publicado el 3 de febrero de 2022", []),
        ("Por Jorge Castañeda Ruiz · 3 de febrero de 2022", ["Jorge Castañeda Ruiz"]),
        ("Jane Doe | February 3, 2022", ["Jane Doe"]),
    ],
)
def test_a_byline_trafilatura_reads_gives_only_names(
    tmp_path: Path, parse, line: str, authors: list[str]
) -> None:
    """trafilatura reads a byline it knows by its class itself, and takes what comes before
    a digit for names ("Published", "Publicado el", "Jane Doe; February 3"): only the names
    are kept."""
    write(tmp_path / "page.html", bylined_page(line, ' class="byline"'))
    [article] = parse("page.html").articles
    assert (article.authors, article.text) == (authors, REPORT)


def test_a_page_without_article_markup_keeps_its_headings_and_lists(tmp_path: Path, parse) -> None:
    content = (
        "<h1>Call to release defenders</h1>"
        f"<p>{DETAINED}</p><h2>What happened</h2><p>Police detained twelve people, including "
        "two lawyers, and held them without access to counsel for two days.</p>"
        "<p>We call on the authorities to:</p><ul><li>release all defenders detained for "
        "peaceful protest;</li><li>repeal the law on associations.</li></ul>"
        "<h2>Background</h2><p>The law, passed in March, requires every association to "
        "register and to report its funding every quarter.</p>"
    )
    write(
        tmp_path / "page.html",
        "<html><head><title>Call to release defenders</title></head><body>"
        f'<div id="menu"><a href="/">Home</a></div><div id="post">{content}</div></body></html>',
    )
    [article] = parse("page.html").articles
    assert article.title == "Call to release defenders"
    assert [section.heading for section in article.sections] == [
        None,
        "What happened",
        "Background",
    ]
    assert "repeal the law on associations." in article.sections[1].text


def test_html_page_without_article_text_is_unreadable(tmp_path: Path, parse) -> None:
    write(
        tmp_path / "empty.html",
        "<html><head><script>var a = 1;</script></head><body> </body></html>",
    )
    with pytest.raises(UnreadableFile, match=r"no (article )?text"):
        parse("empty.html")


def test_a_declared_language_that_is_no_language_is_detected_instead(tmp_path: Path, parse) -> None:
    write(tmp_path / "page.html", PAGE.replace('lang="es-MX"', 'lang="zz-invalid"'))
    parsed = parse("page.html")
    assert parsed.articles[0].language == "en"  # its text is English
    assert parsed.warnings == [
        "language 'zz-invalid' is not a known language code; the language is detected from "
        "the text instead"
    ]


def test_a_page_title_that_shows_a_tag_keeps_it(tmp_path: Path, parse) -> None:
    # The title comes decoded: "&lt;script&gt;" is text the page shows, not markup.
    title = "Censorship &amp; the &lt;script&gt; tag"
    page = PAGE.replace("<h1>Reporteros valientes</h1>", f"<h1>{title}</h1>")
    write(
        tmp_path / "page.html", page.replace('content="Reporteros valientes"', f'content="{title}"')
    )
    [article] = parse("page.html").articles
    assert article.title == "Censorship & the <script> tag"


def test_a_page_nested_past_the_html_parsers_usual_depth_keeps_its_text(
    tmp_path: Path, parse
) -> None:
    # A template that leaves its <div>s unclosed nests the article 300 elements deep, past
    # the 256 libxml2 reads unless told otherwise: its text was lost without an error.
    text = (
        "Police detained three journalists covering the protest outside the court on "
        "Monday, and their equipment was confiscated without a warrant."
    )
    intro = "The court hearing was adjourned until next week after a short session."
    page = (
        "<html><head><title>Journalists detained</title></head><body><article>"
        f"<h1>Journalists detained</h1><p>{intro}</p>" + "<div>" * 300 + f"<p>{text}</p>"
        "</article></body></html>"
    )
    write(tmp_path / "deep.html", page)
    [article] = parse("deep.html").articles
    assert intro in article.text
    assert text in article.text
