"""HTML → blocks: article bodies (fragments from JSON/WXR/Markdown) and full article pages."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import takewhile

import lxml.etree as etree
import lxml.html
import trafilatura
from trafilatura.settings import set_date_params
from trafilatura.utils import HTML_PARSER, load_html

from indexer.errors import NoArticle
from indexer.formats import fields
from indexer.formats.sections import Block, collapse, heading, normalize_for_compare, paragraph
from indexer.formats.text import BODY_MIN_WORDS, byline, date_line, is_date_prefix

__all__ = [
    "HtmlPage",
    "PageHead",
    "blocks_from_html_fragment",
    "is_medium_draft",
    "page_head",
    "page_line_keys",
    "parse_html_page",
]

# Elements whose content is never article text.
_DROP_TAGS = frozenset(
    [
        "script",
        "style",
        "iframe",
        "form",
        "noscript",
        "svg",
        "template",
        "object",
        "embed",
        "button",
        "select",
        "textarea",
        "input",
        "canvas",
        "audio",
        "video",
        "map",
        "head",
        "title",
        "meta",
        "link",
    ]
)
# What CMS plugins add to a post's body that is no text of it, by their class names: share
# buttons (Jetpack's "Partager : Twitter Facebook" under every post of a WordPress export,
# AddToAny, Sassy Social Share, WordPress's social links block), Jetpack's related posts,
# and Ghost's sign-up cards. A page's are left out by trafilatura, which knows them too.
_WIDGET_CLASSES = frozenset(
    {
        "sharedaddy", "sd-sharing", "jp-relatedposts", "addtoany_share_save_container",
        "a2a_kit", "heateor_sss_sharing_container", "wp-block-social-links", "kg-signup-card",
    }
)  # fmt: skip
# Ghost's membership portal: a button card linking to it asks readers to subscribe.
_GHOST_PORTAL_RE = re.compile(r"#/portal\b")
_HEADING_LEVELS = {f"h{n}": n for n in range(1, 7)}
# Block-level elements: their boundaries end a paragraph. Containers (div, ul, table …)
# yield paragraphs for their own direct text and recurse into children, so nested text is
# emitted exactly once, by the innermost block that holds it.
_BLOCK_TAGS = frozenset(
    [
        "p",
        "li",
        "blockquote",
        "pre",
        "td",
        "th",
        "dd",
        "dt",
        "figcaption",
        "div",
        "section",
        "article",
        "main",
        "aside",
        "header",
        "footer",
        "nav",
        "ul",
        "ol",
        "dl",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "figure",
        "address",
        "details",
        "summary",
        "center",
        "hr",
        "body",
        "html",
        "caption",
        "fieldset",
    ]
) | frozenset(_HEADING_LEVELS)
_BLANK_LINE_RE = re.compile(r"\n[ \t\r\f\v\u00a0]*\n")


def _parse_fragment(html: str) -> etree._Element | None:
    parser = lxml.html.HTMLParser(
        encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True
    )
    data = ("<html><body>" + fields.XML_INVALID_RE.sub(" ", html) + "</body></html>").encode(
        "utf-8", "replace"
    )
    try:
        document = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    body = document.find("body")
    return body if body is not None else document


class _Walker:
    """Collects blocks from an element tree in document order."""

    def __init__(self, widgets: frozenset[str] = frozenset()) -> None:
        self.blocks: list[Block] = []
        self._inline: list[str] = []
        self._widgets = _WIDGET_CLASSES | widgets

    def flush(self) -> None:
        text = "".join(self._inline)
        self._inline = []
        # Bare text split by blank lines is how WordPress ("autop") and plain CMS bodies
        # mark paragraphs, so a blank line outside any <p> is a paragraph break.
        for part in _BLANK_LINE_RE.split(text):
            if part.strip():
                self.blocks.append(paragraph(part))

    def add_text(self, text: str | None) -> None:
        if text:
            self._inline.append(text)

    def walk(self, element: etree._Element) -> None:
        tag = element.tag if isinstance(element.tag, str) else None
        if tag is None:  # comment or processing instruction left by a lenient parser
            self.add_text(element.tail)
            return
        tag = tag.lower()
        if tag in _DROP_TAGS or _is_widget(element, self._widgets):
            self.add_text(element.tail)
            return
        if tag in _HEADING_LEVELS:
            self.flush()
            text = _inline_text(element)
            if text.strip():
                self.blocks.append(heading(text, _HEADING_LEVELS[tag]))
            self.add_text(element.tail)
            return
        if tag == "br":
            self._inline.append("\n")
            self.add_text(element.tail)
            return
        if tag in _BLOCK_TAGS:
            self.flush()
            self.add_text(element.text)
            for child in element:
                self.walk(child)
            self.flush()
            self.add_text(element.tail)
            return
        if tag == "img":
            self.add_text(element.tail)
            return
        # Inline element (a, span, strong, em …): its text joins the current paragraph,
        # but a block nested inside it (invalid, yet common) still gets its own paragraph.
        self.add_text(element.text)
        for child in element:
            self.walk(child)
        self.add_text(element.tail)


def _is_widget(element: etree._Element, widgets: frozenset[str]) -> bool:
    classes = set((element.get("class") or "").split())
    if classes & widgets:
        return True
    return "kg-button-card" in classes and any(
        _GHOST_PORTAL_RE.search(link.get("href") or "") for link in element.iter("a")
    )


def _inline_text(element: etree._Element) -> str:
    parts: list[str] = []
    for node in element.iter():
        tag = node.tag.lower() if isinstance(node.tag, str) else None
        if tag in _DROP_TAGS:
            continue
        if tag is not None and node.text and not _inside_dropped(node, element):
            parts.append(node.text)
        if node is not element and node.tail and not _inside_dropped(node.getparent(), element):
            parts.append(node.tail)
    return " ".join(" ".join(parts).split())


def _inside_dropped(node: etree._Element | None, stop: etree._Element) -> bool:
    while node is not None and node is not stop:
        if isinstance(node.tag, str) and node.tag.lower() in _DROP_TAGS:
            return True
        node = node.getparent()
    return False


def _blocks_from_tree(root: etree._Element, widgets: frozenset[str] = frozenset()) -> list[Block]:
    walker = _Walker(widgets)
    try:
        walker.walk(root)
        walker.flush()
    except RecursionError:  # absurdly deep nesting: fall back to the plain text
        return [paragraph(p) for p in _BLANK_LINE_RE.split(root.text_content()) if p.strip()]
    return walker.blocks


def blocks_from_html_fragment(html: str, *, widgets: frozenset[str] = frozenset()) -> list[Block]:
    """Headings and paragraphs of an HTML body (no <html> page around it needed).

    Scripts, styles, forms, iframes and comments are dropped; entities are decoded; a
    ``<br>`` is a line break within its paragraph (two in a row end the paragraph).
    ``widgets``: the class names of a platform's own widgets, left out with what they hold
    as its plugins' are (``substack.WIDGET_CLASSES``, in a Substack export's posts only).
    """
    if not html or not html.strip():
        return []
    root = _parse_fragment(html)
    if root is None:
        return []
    return _blocks_from_tree(root, widgets)


# --- full pages -------------------------------------------------------------------------

# trafilatura's XML output names → HTML names, so one walker serves both.
_TRAFILATURA_TAGS = {
    "item": "li",
    "list": "ul",
    "quote": "blockquote",
    "cell": "td",
    "row": "tr",
    "lb": "br",
    "hi": "span",
    "ref": "span",
    "code": "pre",
    "graphic": "img",
    "del": "span",
}


# What a page has that the body of a post alone (a fragment) does not.
_PAGE_TAG_RE = re.compile(r"<(?:html|head|body)\b", re.I)
# Liquid's and Go templates' tags: a file holding them is a template, not a post.
_TEMPLATE_RE = re.compile(r"\{%|\{\{")
# The words of a sentence: a fragment with fewer ("Redirecting…") is no article.
FRAGMENT_MIN_WORDS = 5


@dataclass
class HtmlPage:
    """What a full HTML page yields before it becomes an Article."""

    title: str
    blocks: list[Block]
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    language: str | None = None  # as the page declares it, not yet checked
    url: str | None = None


def _page_language(text: str) -> str | None:
    """The ``<html lang>`` as written: the article checks it is a language."""
    match = re.search(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z_-]+)", text[:5000], re.I)
    return match.group(1) if match else None


def page_line_keys(text: str) -> set[str]:
    """Each paragraph of a whole page, menus, banners and footers included, normalised:
    what the run context learns a site's chrome from."""
    return {
        key
        for block in blocks_from_html_fragment(text)
        if (key := normalize_for_compare(block.text))
    }


# What sets a site's name apart from a page's title ("Arrest of a reporter | Ligue des
# droits", "Site – Title"). Not a colon: titles use it for their own subject ("Algérie :
# un journaliste condamné").
_TITLE_SEPARATOR_RE = re.compile(r"(\s+(?:[|–—·•»«~/-]|::)\s+)")
_HEAD_END_RE = re.compile(r"</head\s*>|<body\b", re.I)
_HEAD_TITLES_XPATH = (
    "//title/text() | //meta[@property='og:title' or @name='og:title' "
    "or @name='twitter:title']/@content"
)
_HEAD_URL_XPATH = "//link[@rel='canonical']/@href | //meta[@property='og:url']/@content"


@dataclass(frozen=True)
class PageHead:
    """What a page's <head> says of it: its titles (<title>, og:title, twitter:title) and
    its address (its canonical link, or og:url)."""

    titles: tuple[str, ...] = ()
    url: str | None = None

    def title_parts(self) -> frozenset[str]:
        """The parts of the titles, normalised, where a separator splits them: what the run
        context learns a site's names from ("… – News – Ligue des droits"), as the parts
        its pages share."""
        found = set()
        for title in self.titles:
            parts = _title_parts(title)
            if len(parts) > 1:
                found.update(normalize_for_compare(part) for part in parts[::2])
        return frozenset(found)


def page_head(text: str) -> PageHead:
    """The page's <head>, parsed alone."""
    end = _HEAD_END_RE.search(text)
    head = text[: end.start()] if end else text[:50_000]
    # As bytes: lxml refuses a str that declares its encoding (<?xml … encoding="utf-8"?>).
    data = (fields.XML_INVALID_RE.sub(" ", head) + "</head></html>").encode("utf-8", "replace")
    try:
        document = lxml.html.document_fromstring(
            data, parser=lxml.html.HTMLParser(encoding="utf-8", no_network=True)
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return PageHead()
    titles = (collapse(value) for value in document.xpath(_HEAD_TITLES_XPATH))
    urls = (fields.clean_url(value) for value in document.xpath(_HEAD_URL_XPATH))
    return PageHead(tuple(title for title in titles if title), next(filter(None, urls), None))


def _title_parts(title: str) -> list[str]:
    """The title's parts and, between them, the separators as written."""
    return _TITLE_SEPARATOR_RE.split(title)


def _without_site_names(title: str, site_names: frozenset[str]) -> str:
    """``title`` without the site's names at its start or end; empty if it is only those."""
    parts = _title_parts(title)
    while parts and normalize_for_compare(parts[0]) in site_names:
        del parts[:2]
    while parts and normalize_for_compare(parts[-1]) in site_names:
        del parts[-2:]
    return "".join(parts).strip()


def _page_title(found: str, head_titles: Sequence[str], site_names: frozenset[str]) -> str:
    """The title trafilatura found, without the site's name; when it found only the site's
    name (it takes the first part of "Site » Title"), the first head title that is more."""
    for title in (found, *head_titles):
        if without := _without_site_names(title, site_names):
            return without
    return found


# How many of a page's first blocks may hold its byline ("Por Ana Gil · 12 de octubre de
# 2022", "Publié le 3 février 2022 par Jeanne Dupont", "By Jane Doe | Reuters").
_BYLINE_BLOCKS = 3
_BYLINE_SEPARATOR_RE = re.compile(r"\s+[·•|]\s+")
_NAMES_AFTER_DATE_RE = re.compile(rf"(.+?)\s+{fields.BYLINE_PREFIX}\s+(.+)", re.I)


@dataclass
class _Byline:
    authors: list[str]
    date: str | None


def _byline(line: str) -> _Byline | None:
    """The authors and date of a byline line, read part by part as a scraped page's are
    ("By Jane Doe | Reuters", "Publié le 3 février 2022 par Jeanne Dupont"); None when it
    is text. A name is read after "By" or "Por" only: beside a date, "Press Release" and
    "GENEVA" are written as names are."""
    names: list[str] = []
    dates: list[str] = []
    other: list[str] = []
    for part in _BYLINE_SEPARATOR_RE.split(line.strip()):
        if (written := byline(part)) is not None:
            names.extend(fields.byline_names(written))
        elif (
            (after := _NAMES_AFTER_DATE_RE.fullmatch(part))
            and (date := date_line(after.group(1)))
            and fields.looks_like_names(after.group(2))
        ):
            dates.append(date)
            names.extend(fields.byline_names(after.group(2)))
        elif date := _whole_date(part):
            dates.append(date)
        else:
            other.append(part)
    # Beside the names, a few words more are the author's agency or place ("Reuters").
    if other and not (names and all(len(part.split()) <= 3 for part in other)):
        return None
    if not names and not dates:
        return None
    return _Byline(fields.clean_list(names), dates[0] if dates else None)


def _whole_date(part: str) -> str | None:
    """The date a part of a line gives, if it gives its month at least: a year alone is no
    date of the page ("1948")."""
    date = date_line(part)
    return date if date and len(date) > len("1948") else None


def _date_in(header: list[Block]) -> str | None:
    """The first date of a part of a line of the page's header ("Jane Doe | 3 February
    2022", whose line is no byline for want of a "By")."""
    for block in header:
        for part in _BYLINE_SEPARATOR_RE.split(block.text):
            if date := _whole_date(part):
                return date
    return None


def _names_only(found: list[str]) -> list[str]:
    """The authors trafilatura found, but for what it takes from a byline that is no name:
    a date's words ("February 3"), the words before one ("Published", "Publicado el")."""
    return [
        name
        for value in found
        if (name := value.strip(" ·•|-–—"))
        and not any(char.isdigit() for char in name)
        and not is_date_prefix(name)
    ]


# A Medium export's pages end "Exported from Medium on …"; its drafts are the files named
# draft_<title>-<id>.html, beside its published posts, named by their date.
_MEDIUM_EXPORT_RE = re.compile(r"Exported from <a href=\"https://medium\.com\">Medium</a>")


def is_medium_draft(file_name: str, text: str) -> bool:
    """Whether a page is a draft of a Medium export, which only its file name says."""
    return file_name.startswith("draft_") and bool(_MEDIUM_EXPORT_RE.search(text))


# A Medium export's page names its post's address in its footer, its <head> naming none:
# <a href="https://medium.com/@…/…" class="p-canonical">.
_CANONICAL_LINK_XPATH = (
    "//a[contains(concat(' ', normalize-space(@class), ' '), ' p-canonical ')]/@href"
)


def _canonical_link(page: str | lxml.html.HtmlElement) -> str | None:
    """The address a page's ``p-canonical`` link names; None for a page not parsed."""
    if isinstance(page, str):
        return None
    return next(filter(None, map(fields.clean_url, page.xpath(_CANONICAL_LINK_XPATH))), None)


# trafilatura's HTML parser (``load_html``'s), reading elements however deep they are nested.
_DEEP_HTML_PARSER = lxml.html.HTMLParser(
    collect_ids=False,
    default_doctype=False,
    encoding="utf-8",
    remove_comments=True,
    remove_pis=True,
    huge_tree=True,
)


def _cut_at_depth(log: etree._ListErrorLog) -> bool:
    """Whether a parse left out elements nested past libxml2's usual depth."""
    return any(error.type_name == "ERR_RESOURCE_LIMIT" for error in log)


def _without_page_footers(text: str) -> str | lxml.html.HtmlElement:
    """The page as a tree, without the site's ``<footer>``s, whose "last updated on June 1,
    2023" or copyright date trafilatura would take for the article's date (it looks for
    dates in every footer). A footer is the article's, and kept, inside ``<article>`` or
    ``<main>``, or when it dates the post in markup (``Posted on <time …>``); a fragment
    (a post's body alone) has no site's footer. The page as it is when it cannot be
    parsed."""
    if not _PAGE_TAG_RE.search(text):
        return text
    tree = load_html(text)
    if tree is not None and _cut_at_depth(HTML_PARSER.error_log):
        # libxml2 reads HTML no deeper than 256 elements unless told otherwise, and leaves
        # out what is deeper, with only this error: a page whose template leaves hundreds
        # of <div>s unclosed lost its text. Read again, as deep as libxml2 goes.
        try:
            tree = lxml.html.document_fromstring(
                text.encode("utf-8", "surrogatepass"), parser=_DEEP_HTML_PARSER
            )
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return text
    if tree is None:
        return text
    for footer in list(tree.iter("footer")):
        in_article = any(
            ancestor.tag in ("article", "main") or ancestor.get("role") == "main"
            for ancestor in footer.iterancestors()
        )
        if not in_article and next(footer.iter("time"), None) is None:
            footer.drop_tree()
    return tree


def parse_html_page(
    text: str, site_chrome: frozenset[str] = frozenset(), site_names: frozenset[str] = frozenset()
) -> HtmlPage:
    """Main content of an article page (no menus, banners, related links, footers).

    trafilatura finds the main content and the metadata (title from <h1>/og:title, date
    from <time>/meta, author, canonical/og:url); its XML output keeps headings as
    ``<head rend="h2">``, which become the sections. ``site_chrome``: paragraphs the site
    repeats on many pages, learnt by the run context; they are dropped as a scraped page's
    are. trafilatura tells chrome by markup and class names ("footer", "share", "cookie"),
    which it misses where a site names them in another language ("pie", "compartir").
    ``site_names``: what the run context learnt the site calls itself beside its titles,
    taken out of the title with the name the page declares (og:site_name).
    """
    cleaned = fields.XML_INVALID_RE.sub(" ", text)
    canonical = None
    try:
        page = _without_page_footers(cleaned)
        canonical = _canonical_link(page)  # before trafilatura takes the page apart
        xml = trafilatura.extract(
            page,
            output_format="xml",
            with_metadata=True,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            include_formatting=False,
            deduplicate=False,
            # A page without <article> or <main> otherwise lost its headings and its lists
            # ("We call on the authorities to:" followed by nothing).
            favor_recall=True,
            # Dates from the page's markup only (meta tags, <time>, its URL): trafilatura's
            # extensive search takes any year the text names ("since 2015") for the date.
            date_extraction_params=set_date_params(extensive=False),
        )
    except (ValueError, TypeError, etree.LxmlError, RecursionError):
        xml = None
    if not xml and not _PAGE_TAG_RE.search(cleaned) and not _TEMPLATE_RE.search(cleaned):
        # A fragment, the body of a post alone (an export's posts/123.html), in which
        # trafilatura finds no article when it is short: all of it is the article, if it
        # says something ("Redirecting…" does not). Its first heading is its title, as a
        # Markdown post's is. A template's part (Jekyll's _includes/nav.html) is none.
        blocks = blocks_from_html_fragment(cleaned)
        words = sum(len(block.text.split()) for block in blocks if not block.is_heading)
        if words >= FRAGMENT_MIN_WORDS:
            if blocks[0].is_heading:
                return HtmlPage(title=blocks[0].text, blocks=blocks[1:])
            return HtmlPage(title="", blocks=blocks)
    if not xml:
        raise NoArticle("no article text found in the HTML page")
    try:
        doc = etree.fromstring(
            xml.encode("utf-8"),
            etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True),
        )
    except etree.XMLSyntaxError as exc:
        raise NoArticle(f"no article text found in the HTML page ({exc})") from None
    main = doc.find("main")
    if main is None:
        raise NoArticle("no article text found in the HTML page")
    for element in main.iter():
        if not isinstance(element.tag, str):
            continue
        if element.tag == "head":
            rend = (element.get("rend") or "h2").lower()
            element.tag = rend if rend in _HEADING_LEVELS else "h2"
        else:
            element.tag = _TRAFILATURA_TAGS.get(element.tag, element.tag)
    blocks = [
        block
        for block in _blocks_from_tree(main)
        if block.is_heading or normalize_for_compare(block.text) not in site_chrome
    ]
    # The byline is the page's metadata, not its text: it is read before the text begins.
    header = list(
        takewhile(lambda block: len(block.text.split()) < BODY_MIN_WORDS, blocks[:_BYLINE_BLOCKS])
    )
    found = next(
        (
            (index, read)
            for index, block in enumerate(header)
            if not block.is_heading and (read := _byline(block.text))
        ),
        None,
    )
    if found:
        del blocks[found[0]]
    read_byline = found[1] if found else _Byline([], _date_in(header))
    # trafilatura's title is text, its entities decoded ("&lt;script&gt;" is "<script>"):
    # read as markup, text the page shows would be stripped.
    site_name = normalize_for_compare(doc.get("sitename") or "")
    title = _page_title(
        collapse(doc.get("title") or ""),
        page_head(text).titles,
        site_names | {site_name} if site_name else site_names,
    )
    first = blocks[0] if blocks else None
    if (
        first
        and first.is_heading
        and normalize_for_compare(first.text) == normalize_for_compare(title)
    ):
        del blocks[0]  # the page's title, as its first heading: a section of nothing
    return HtmlPage(
        title=title,
        blocks=blocks,
        date=fields.normalize_date(doc.get("date")) or read_byline.date,
        authors=_names_only(fields.clean_authors(doc.get("author"))) or read_byline.authors,
        tags=fields.clean_list(doc.get("tags"), doc.get("categories")),
        language=_page_language(text) or doc.get("language"),
        url=fields.clean_url(doc.get("url")) or canonical,
    )
