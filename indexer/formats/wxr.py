"""WordPress exports (WXR, an RSS 2.0 dialect), Blogger exports (Atom), and the RSS and Atom
feeds a site publishes: published posts and pages with their metadata.

Parsed with lxml in streaming mode with entity expansion and network access off: an export
is untrusted input and must never make the parser fetch or expand external entities.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from html.entities import html5
from typing import IO, Any

import lxml.etree as etree

from indexer.errors import NoArticle, UnreadableFile
from indexer.formats.fields import strip_wp_shortcodes, url_slug
from indexer.models import CutShort

__all__ = ["WxrPost", "parse_wxr"]

_ATOM_NS = "http://www.w3.org/2005/Atom"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"
_DC_NS = "http://purl.org/dc/elements/1.1/"
# WordPress has used export/1.0, 1.1 and 1.2 namespaces; any of them is "wp:".
_WP_NS_PREFIX = "http://wordpress.org/export/"
# A Blogger export holds what its site does not show: drafts, deleted posts, comments, and
# before 2018 the blog's settings and template too. Since 2018 (Google Takeout) an entry's
# blogger:type and blogger:status say what it is; before, a category of the "kind" scheme
# did, and app:draft (the Atom Publishing Protocol's, or its draft's namespace) a draft.
_BLOGGER_NS = "http://schemas.google.com/blogger/2018"
_KIND_SCHEME = "http://schemas.google.com/g/2005#kind"
_BLOGGER_KIND = "http://schemas.google.com/blogger/2008/kind#"
_APP_NAMESPACES = frozenset({"http://www.w3.org/2007/app", "http://purl.org/atom/app#"})


@dataclass
class WxrPost:
    # Mapped raw values: id, title, url, date, authors, tags, language, summary.
    values: dict[str, Any]
    body_html: str
    line: int


def _localname(element: etree._Element) -> tuple[str, str]:
    tag = element.tag
    if not isinstance(tag, str):
        return "", ""
    if tag.startswith("{"):
        namespace, _, local = tag[1:].partition("}")
        return namespace, local
    return "", tag


def _is_wp(namespace: str) -> bool:
    return namespace.startswith(_WP_NS_PREFIX)


# What is indexed: what the site shows its readers. Pages are (WordPress's own search finds
# them too): an organisation's reports and campaigns are often pages.
_INDEXED_TYPES = frozenset({"post", "page"})

# The paragraph Yoast SEO ends every item of a WordPress feed with, by default (in
# English; a site may reword it): "The post <a>Title</a> appeared first on <a>Site</a>."
# It names the site, not the post's subject. Each part is held within its own element, so
# that a match is one paragraph, found in time linear in the text.
_APPEARED_FIRST_ON_RE = re.compile(
    r"<p>\s*The post\s*<a\b[^>]*>[^<]*</a>\s*appeared first on\s*<a\b[^>]*>[^<]*</a>\.?"
    r"\s*</p>\s*\Z"
)


def _without_feed_footer(html: str) -> str:
    return _APPEARED_FIRST_ON_RE.sub("", html)


def _post(
    item: etree._Element, language: str | None, display_names: dict[str, str]
) -> WxrPost | str:
    """The item as a post, or what it is when it is not indexed: a draft post, a private
    page, an attachment, a menu item… Its authors are named as the site shows them
    (``display_names``: each login's display name, from the export's ``wp:author``)."""
    values: dict[str, Any] = {}
    post_type = status = None
    password = ""
    categories: list[str] = []
    tags: list[str] = []
    body = excerpt = description = ""
    post_date = pub_date = guid = None
    for child in item:
        namespace, local = _localname(child)
        text = child.text or ""
        if local == "encoded" and namespace.endswith("/excerpt/"):  # under the wp: prefix
            excerpt = text
        elif _is_wp(namespace):
            if local == "post_type":
                post_type = text.strip()
            elif local == "status":
                status = text.strip()
            elif local == "post_password":
                password = text.strip()
            elif local == "post_id":
                values["id"] = text.strip()
            elif local == "post_date" or (local == "post_date_gmt" and not post_date):
                post_date = text.strip()
        elif namespace == _CONTENT_NS and local == "encoded":
            body = _without_feed_footer(text)
        elif namespace == _DC_NS and local == "creator":
            values.setdefault("authors", []).append(display_names.get(text.strip(), text))
        elif namespace == "":
            if local == "title":
                values["title"] = text
            elif local == "link":
                values["url"] = text.strip()
            elif local == "pubDate":
                pub_date = text.strip()
            elif local == "guid":
                guid = text.strip()
            elif local == "description":
                description = _without_feed_footer(text)
            elif local == "category":
                # WXR: domain="category" / "post_tag"; plain RSS has no domain: a category.
                (tags if child.get("domain") == "post_tag" else categories).append(text)
    # Plain RSS items carry no wp:post_type/status: they are published posts.
    post_type, status = post_type or "post", status or "publish"
    if post_type not in _INDEXED_TYPES:
        return post_type
    if status != "publish":
        return f"{status} {post_type}"
    if password:  # published, but shown only to readers who have its password
        return f"password-protected {post_type}"
    # wp:post_date is the local publication date; pubDate is empty or a dummy for
    # some exports ("Thu, 01 Jan 1970").
    values["date"] = post_date if post_date and not post_date.startswith("0000") else pub_date
    if "id" not in values:
        values["id"] = _feed_id(guid, values.get("url"))
    values["tags"] = categories + tags
    # WordPress's excerpt; a plain RSS item's description, often its only text.
    values["summary"] = excerpt if excerpt.strip() else description
    if language:
        values["language"] = language
    return WxrPost(values=values, body_html=strip_wp_shortcodes(body), line=item.sourceline or 0)


def _first_error(exc: etree.XMLSyntaxError, log: etree._ListErrorLog) -> tuple[int | str, str]:
    """Where XML stopped being read, and why, on one line: the parse's first fatal error,
    the cause (an undefined "&nbsp;"), not its last, an effect ("Start tag expected") that
    can quote the document across lines. (The exception's own log holds the errors of
    every parse of the thread so far.)"""
    fatal = [error for error in log if error.level_name == "FATAL"]
    if fatal:
        line, message = fatal[0].line, fatal[0].message
    else:
        line = exc.lineno or (exc.position[0] if exc.position else "?")
        message = (exc.msg or str(exc)).split(", line")[0]
    return line, " ".join(message.split())[:200]


_CDATA_RE = re.compile(rb"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_AMPERSAND_RE = re.compile(rb"&(?:#[0-9]+;|#[xX][0-9a-fA-F]+;|([A-Za-z][A-Za-z0-9]{0,31});)?")
_XML_ENTITIES = frozenset([b"amp", b"lt", b"gt", b"quot", b"apos"])


def as_xml_entities(data: bytes) -> bytes:
    """An export's bytes (UTF-8, or an encoding ASCII is part of) with every "&" as XML
    reads it, as a browser would read it: an HTML entity as the reference of its characters
    ("&nbsp;" as "&#160;"), any other "&" that starts no reference as "&amp;". CDATA
    sections are left as they are: an "&" is only text there."""
    parts = _CDATA_RE.split(data)
    parts[::2] = [_AMPERSAND_RE.sub(_as_xml_reference, part) for part in parts[::2]]
    return b"".join(parts)


def _as_xml_reference(match: re.Match[bytes]) -> bytes:
    name = match.group(1)
    if match.group(0) == b"&":
        return b"&amp;"
    if name is None or name in _XML_ENTITIES:
        return match.group(0)  # a character reference, or one XML knows
    characters = html5.get(name.decode("ascii") + ";")
    if characters is None:
        return b"&amp;" + name + b";"  # no entity: its text, as a browser shows it
    return b"".join(b"&#%d;" % ord(character) for character in characters)


def _of_the_feed(element: etree._Element) -> bool:
    """Whether an element is the channel's own (or an Atom feed's): its terms, its title…,
    not an item's or an entry's."""
    parent = element.getparent()
    return parent is not None and _localname(parent)[1] in ("channel", "feed")


def _atom_entry(entry: etree._Element, language: str | None) -> WxrPost | str:
    """An Atom feed's entry (RFC 4287) as a post, or what it is when it is not indexed: a
    Blogger export's draft post, comment, settings… (a feed's entries are all published
    posts)."""
    values: dict[str, Any] = {}
    body = summary = ""
    published = updated = uri = None
    kind = status = None
    draft = False
    for child in entry:
        namespace, local = _localname(child)
        if namespace == _BLOGGER_NS:
            # The entry's own type: its author's (<author><blogger:type>BLOGGER) is not read.
            if local == "type":
                kind = (child.text or "").strip().lower() or None
            elif local == "status":
                status = (child.text or "").strip().lower() or None
            continue
        if namespace in _APP_NAMESPACES and local == "control":
            draft = (child.findtext(f"{{{namespace}}}draft") or "").strip().lower() == "yes"
            continue
        if namespace != _ATOM_NS:
            continue
        if local == "title":
            values["title"] = _atom_text(child, as_html=False)
        elif local == "id":
            uri = (child.text or "").strip()
        elif local == "link" and child.get("rel", "alternate") == "alternate":
            values.setdefault("url", (child.get("href") or "").strip())
        elif local == "published":
            published = (child.text or "").strip()
        elif local == "updated":
            updated = (child.text or "").strip()
        elif local == "author":
            name = child.findtext(f"{{{_ATOM_NS}}}name") or ""
            if name.strip():
                values.setdefault("authors", []).append(name.strip())
        elif local == "category":
            term = child.get("label") or child.get("term") or ""
            if blogger_kind := _blogger_kind(child):
                kind = blogger_kind
            elif term.strip():
                values.setdefault("tags", []).append(term.strip())
        elif local == "content":
            body = _without_feed_footer(_atom_text(child, as_html=True))
        elif local == "summary":
            summary = _without_feed_footer(_atom_text(child, as_html=True))
    kind = kind or "post"
    if kind not in _INDEXED_TYPES:
        return kind
    # A classic export says no status: its posts are live unless drafts.
    if draft or status not in (None, "live"):
        return f"{'draft' if draft else status} {kind}"
    values["id"] = _feed_id(uri, values.get("url"))
    values["date"] = published or updated
    values["summary"] = summary
    language = entry.get(_XML_LANG) or language
    if language:
        values["language"] = language
    return WxrPost(values=values, body_html=body, line=entry.sourceline or 0)


def _blogger_kind(category: etree._Element) -> str | None:
    """What a classic Blogger export's entry is ("post", "comment", "settings"…), when the
    category says it: no label of its post."""
    term = category.get("term") or ""
    if category.get("scheme") == _KIND_SCHEME and term.startswith(_BLOGGER_KIND):
        return term.removeprefix(_BLOGGER_KIND)
    return None


def _feed_id(uri: str | None, link: str | None) -> str | None:
    """A feed item's id: the last part of its address, as a CMS's slug, else of its guid
    or Atom id (a URL, or a ``tag:`` or ``urn:`` URI: its last part, after a colon)."""
    slug = url_slug(link) or url_slug(uri)
    if slug or not uri:
        return slug
    return uri.rpartition(":")[2] or uri


_ATOM_TEXT_KINDS = {
    "html": "html",
    "text/html": "html",
    "xhtml": "xhtml",
    "application/xhtml+xml": "xhtml",
}


def _atom_text(element: etree._Element, *, as_html: bool) -> str:
    """An Atom text construct's text, as HTML (``as_html``) or as text: ``type="html"``
    holds escaped HTML, ``xhtml`` a ``<div>`` of markup, ``text`` (the default) text."""
    # RFC 4287 names the kinds "text", "html" and "xhtml"; feeds also write media types.
    kind = _ATOM_TEXT_KINDS.get(element.get("type", "text").strip().lower(), "text")
    if kind == "xhtml":
        markup = "".join(etree.tostring(child, encoding="unicode") for child in element)
        return markup if as_html else "".join(element.itertext())
    text = element.text or ""
    if kind == "html" or not as_html:
        return text
    return "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n") if part.strip())


def _events(handle: IO[bytes], utf8: bool) -> etree.iterparse:
    return etree.iterparse(
        handle,
        # A UTF-16/32 export read as UTF-8: its declaration still names its own encoding.
        encoding="utf-8" if utf8 else None,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=True,
        remove_comments=True,
        remove_pis=True,
    )


class XmlStopped(UnreadableFile):
    """The export's XML cannot be read to its end: perhaps at an HTML entity XML does not
    define ("&nbsp;") or an ampersand that starts no reference ("AT&T"), which a browser
    reads and XML stops at (libxml2 does not always say so: it may report "Start tag
    expected" at line 1). To be read again, whole, with ``as_xml_entities``."""


def parse_wxr(
    handle: IO[bytes], *, utf8: bool = False, raise_stopped: bool = False
) -> Iterator[WxrPost | str]:
    """Published posts and pages (a feed's items or entries), streamed; then, as warning
    strings, what was not indexed
    (drafts, attachments… counted), and whether the file breaks off midway (invalid XML, or
    text invalid in its encoding). ``utf8``: the bytes are UTF-8, whatever the XML
    declaration says. ``raise_stopped``: raise ``XmlStopped`` where the XML stops, whatever
    was given before (to be read again, whole, its ampersands as a browser reads them)."""
    language: str | None = None
    display_names: dict[str, str] = {}  # author login -> display name
    root_seen = False
    wordpress = False  # a WordPress export (its wp: elements), not a site's feed
    posts = 0
    not_indexed: Counter[str] = Counter()
    events = _events(handle, utf8)
    try:
        for event, element in events:
            namespace, local = _localname(element)
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if local not in ("rss", "feed", "channel"):
                        raise UnreadableFile(
                            f"not a WordPress export or a feed (an XML file with a <{local}> root)"
                        )
                    language = element.get(_XML_LANG)  # an Atom feed's
                wordpress = wordpress or _is_wp(namespace)
                continue
            if local == "language" and not namespace and language is None:
                language = (element.text or "").strip() or None
            elif local == "author" and _is_wp(namespace):
                login, name = (
                    (element.findtext(f"{{{namespace}}}{field}") or "").strip()
                    for field in ("author_login", "author_display_name")
                )
                if login and name:
                    display_names[login] = name
                element.clear(keep_tail=False)
            elif (local, namespace) in (("item", ""), ("entry", _ATOM_NS)):
                post = (
                    _post(element, language, display_names)
                    if local == "item"
                    else _atom_entry(element, language)
                )
                element.clear(keep_tail=False)
                if isinstance(post, str):
                    not_indexed[post] += 1
                else:
                    posts += 1
                    yield post
            elif _of_the_feed(element):
                element.clear(keep_tail=False)  # terms…: not needed, free memory
    except etree.XMLSyntaxError as exc:
        line, message = _first_error(exc, events.error_log)
        if raise_stopped:
            raise XmlStopped(f"invalid XML at line {line}: {message}") from None
        if not posts:
            raise UnreadableFile(f"invalid XML at line {line}: {message}") from None
        yield CutShort(f"invalid XML at line {line}: {message}; kept the {posts} posts before it")
    except UnicodeDecodeError as exc:  # in a UTF-16/32 export (``as_utf8``)
        reason = f"invalid {exc.encoding.upper()[:6]} text: {exc.reason}"
        if not posts:
            raise UnreadableFile(reason) from None
        yield CutShort(f"{reason}; kept the {posts} posts before it")
    if not root_seen:
        raise UnreadableFile("empty file")
    if not posts:
        if not (wordpress or not_indexed):
            raise NoArticle("no items or entries in this feed")
        raise NoArticle(
            f"no published posts or pages in this {'WordPress ' if wordpress else ''}export"
            + (f" ({_counted(not_indexed)})" if not_indexed else "")
        )
    if not_indexed:
        yield (
            f"{not_indexed.total()} item(s) not indexed, as only published posts and pages "
            f"are: {_counted(not_indexed)}"
        )


def _counted(kinds: Counter[str]) -> str:
    """``"2 × attachment, 1 × draft post"``, the most common first."""
    return ", ".join(f"{count} × {kind}" for kind, count in kinds.most_common())
