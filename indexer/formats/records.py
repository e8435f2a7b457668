"""JSON, JSONL and CSV exports of a CMS (plain or gzipped): one article per record.

Field names differ from CMS to CMS. The common ones are mapped here; any other is mapped by
the user with ``field_map`` ({target: source field}, e.g. {"body": "nota_completa"}), since a
field name in another language cannot be guessed.
"""

from __future__ import annotations

import csv
import gzip
import html
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from indexer.errors import NotArticles, UnreadableFile
from indexer.formats.decode import (
    READ_ERRORS,
    as_utf8,
    decode_bytes,
    guess_encoding,
    read_failure,
    wide_encoding,
)
from indexer.formats.fields import (
    PAST_METADATA_BOUNDS,
    bounded,
    looks_like_names,
    not_published,
    strip_wp_shortcodes,
    yes_or_no,
)
from indexer.formats.html import blocks_from_html_fragment
from indexer.formats.sections import Block, paragraph
from indexer.models import CutShort

__all__ = [
    "DEFAULT_FIELDS",
    "MAPPABLE_FIELDS",
    "ParsedRecords",
    "Record",
    "checked_field_map",
    "lookup_fields",
    "parse_csv",
    "parse_json",
    "parse_jsonl",
    "text_blocks",
]

MAPPABLE_FIELDS = (
    "id",
    "title",
    "body",
    "date",
    "url",
    "authors",
    "tags",
    "language",
    "translation_key",
    "summary",
)

# Source field names tried for each target, in order (matched case-insensitively). Each
# target's English names come first, then the Spanish, Portuguese and French ones: the
# English and Spanish files of one archive ("detail", "detalle") are read alike.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "id": ("id", "_id", "guid", "uuid", "post_id", "nid"),  # nid: Drupal's node id
    # post_title, post_content, post_date, post_excerpt: WordPress's posts table, as a dump
    # of it (CSV or JSON) names its columns.
    "title": (
        *("title", "headline", "heading", "subject", "post_title"),
        *("titulo", "título", "titre"),
    ),
    "body": (
        "body",
        "content",
        "text",
        "detail",
        "body_html",
        "html",
        "article",
        "content_html",
        "articlebody",  # schema.org's NewsArticle
        "plaintext",  # Ghost's, beside its html
        "post_content",
        # Joomla's content table: the text before "Read more", then the rest (``_joomla_text``).
        "introtext",
        "cuerpo",
        "contenido",
        "texto",
        "detalle",
        "conteudo",
        "corpo",
        "contenu",
        "texte",
    ),
    "date": (
        "date",
        "published",
        "publish_date",
        "published_date",
        "published_at",
        "pubdate",
        "pub_date",
        "date_published",
        "datepublished",
        "created",
        "created_at",
        "authored_on",  # Drupal's label of a node's "created", as a view's export names it
        "post_date",
        "year",
        # Spanish, Portuguese and French exports: the English and Spanish files of one
        # archive ("year", "anio") are dated alike.
        "fecha",
        "fecha_publicacion",
        "anio",
        "año",
        "ano",
        "annee",
        "année",
        "date_publication",
        # WordPress REST's date in UTC, beside its "date" in the site's time zone, which the
        # site shows: read only when no other is given (a draft's is 0000-00-00 00:00:00).
        "date_gmt",
    ),
    "url": ("url", "link", "permalink", "canonical_url", "href"),
    "authors": (
        *("authors", "author", "byline", "creator", "creators"),
        *("autores", "autor", "auteurs", "auteur"),
        "authored_by",  # Drupal's label of a node's owner
        "post_author",  # WordPress's: a name in an export, a user's number in a table's dump
        "created_by_alias",  # Joomla's: the name its page shows in place of its author's
    ),
    "tags": (
        *("tags", "categories", "category", "keywords", "topics", "tag"),
        *("etiquetas", "categorias", "categorías", "categoria", "categoría"),
        *("étiquettes", "catégories", "catégorie", "palabras_clave", "mots_cles", "mots_clés"),
    ),
    # langcode, and "Content language" as Drupal's views label it.
    "language": ("language", "lang", "locale", "inlanguage", "langcode", "content_language"),
    # Hugo's translationKey; WPML's trid; Polylang-style groups.
    "translation_key": ("translation_key", "translationkey", "translation_group", "trid"),
    # Hugo's summary, Jekyll's and WordPress's excerpt: the text of an article whose body
    # has none (only an embed), never added to a body's.
    "summary": (
        *("summary", "excerpt", "description", "post_excerpt"),
        *("resumen", "extracto", "resumo", "résumé", "extrait"),
    ),
}
# The fields whose values are all of a record's tags; keywords and topics, often a page's
# search-engine words, are its tags only when it has none of these.
_TAG_LISTS = (
    *("tags", "tag", "categories", "category"),
    *("etiquetas", "categorias", "categorías", "categoria", "categoría"),
    *("étiquettes", "catégories", "catégorie"),
)
# Keys under which some CMSs nest a field's value: {"rendered": "<p>…"} (WordPress REST's
# title, content and excerpt), {"html": …}, {"value": …}.
_WRAPPING_KEYS = ("rendered", "html", "text", "value")
# Keys under which an object wraps its list of records.
_LIST_KEYS = ("articles", "items", "posts", "data", "records", "results", "entries", "documents")
_HTML_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_BLANK_LINE_RE = re.compile(r"\n\s*\n")
_HTML_ENTITY_RE = re.compile(r"&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});")


# The singular a user may write for a target: "--field author=byline".
_TARGET_ALIASES = {"author": "authors", "tag": "tags", "lang": "language"}


def checked_field_map(field_map: Mapping[str, str]) -> dict[str, str]:
    """``field_map`` with its targets as named here ("author" is "authors"); a ValueError
    naming the targets that are none."""
    checked = {_TARGET_ALIASES.get(target, target): source for target, source in field_map.items()}
    if len(checked) < len(field_map):
        raise ValueError(f"a field is mapped twice, by two of its names: {dict(field_map)}")
    unknown = sorted(set(checked) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(unknown)}; mappable: {', '.join(MAPPABLE_FIELDS)}"
        )
    return checked


def _names_someone(value: Any, record: Mapping[str, Any]) -> bool:
    """Whether an author value found is a name: not a number, and, from WordPress's
    post_author column, a name as people write it ("Ana Pérez", "Mohamed"), not a login."""
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        return False
    from_post_author = _get_path(record, "post_author") is value
    return not from_post_author or (isinstance(value, str) and looks_like_names(value.strip()))


def _first_and_last_name(record: Mapping[str, Any]) -> str:
    """An author's name written in two columns ("Author First Name", "Author Last Name",
    as WP All Export writes them), joined; "" when neither holds one."""
    values = {str(key).casefold().replace(" ", "_"): value for key, value in record.items()}
    parts = (values.get(f"author_{part}_name") for part in ("first", "last"))
    return " ".join(part.strip() for part in parts if isinstance(part, str) and part.strip())


def _get_path(record: Mapping[str, Any], name: str) -> Any:
    """A field by exact name, else case-insensitively and with its spaces as underscores (a
    spreadsheet's "Authored on" is authored_on), else as a dotted path ("meta.title")."""
    if name in record:
        return record[name]
    folded = _folded(name)
    for key, value in record.items():
        if isinstance(key, str) and _folded(key) == folded:
            return value
    if "." in name:
        head, _, rest = name.partition(".")
        inner = _get_path(record, head)
        if isinstance(inner, Mapping):
            return _get_path(inner, rest)
    return None


def _folded(name: str) -> str:
    return name.casefold().replace(" ", "_")


def _keys(record: Mapping[str, Any]) -> list[str]:
    return [str(key) for key in record][:30]


def _present(value: Any) -> bool:
    if value is None or isinstance(value, bool):
        return False
    if isinstance(value, str | list | tuple | Mapping):
        return bool(value)
    return True


def lookup_fields(record: Mapping[str, Any], field_map: Mapping[str, str]) -> dict[str, Any]:
    """Raw values for each target field: the user's mapping first, then the common names.
    Unmapped, tags are those of its tags and its categories (``_TAG_LISTS``), as front
    matter's are: a tuple of each one's raw value."""
    found: dict[str, Any] = {}
    for target in MAPPABLE_FIELDS:
        names = ((field_map[target],) if target in field_map else ()) + DEFAULT_FIELDS[target]
        for name in names:
            value = _unwrapped(_get_path(record, name))
            # "Published: 1" is a flag (``not_published`` reads it), not a date.
            if _present(value) and not (target == "date" and yes_or_no(value) is not None):
                found[target] = value
                break
    if "authors" not in field_map and not _names_someone(found.get("authors"), record):
        # A user's number or login (WordPress's post_author in a dump of its posts table:
        # 17, "admin") names no one a reader knows; WP All Export writes the name in two
        # columns.
        found.pop("authors", None)
        if name := _first_and_last_name(record):
            found["authors"] = name
    if "tags" in found and "tags" not in field_map:
        values = (_unwrapped(_get_path(record, name)) for name in _TAG_LISTS)
        if merged := tuple(value for value in values if _present(value)):
            found["tags"] = merged
    _joomla_text(record, found)
    return found


def _joomla_text(record: Mapping[str, Any], found: dict[str, Any]) -> None:
    """A Joomla article's text, unless mapped to another field, is its introtext followed
    by its fulltext: its page shows both, the text before "Read more" and the rest (either
    may be empty). "fulltext" is read in Joomla's records only: another export's may be a
    flag or an address."""
    introtext, fulltext = _get_path(record, "introtext"), _get_path(record, "fulltext")
    if introtext is None or found.get("body", introtext) is not introtext:
        return
    parts = [part for part in (introtext, fulltext) if _present(part) and isinstance(part, str)]
    if parts:
        found["body"] = parts


def _record(
    item: Mapping[str, Any], field_map: Mapping[str, str], line: int, nbytes: int = 0
) -> Record:
    # A record past what metadata can be is read as far as it goes (``bounded``).
    item, complete = bounded(item)
    item = _embedded_names(_resource_fields(item))
    unpublished = not_published(item)
    return Record(
        lookup_fields(item, field_map),
        line,
        _keys(item),
        nbytes,
        unpublished[0] if unpublished else "",
        cut=not complete,
    )


def _cut_records_warning(count: int, first: int, unit: str) -> str:
    return (
        f"{count} record(s) hold {PAST_METADATA_BOUNDS}, first at {unit} {first}; the rest "
        "of each is left out"
    )


def _resource_fields(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """A JSON:API resource object's fields (Drupal's JSON:API export: ``{"type": "node--
    article", "id": …, "attributes": {"title": …, "status": false, …}}``): its attributes,
    with its id; any other record as it is."""
    attributes = item.get("attributes")
    if (
        isinstance(attributes, Mapping)
        and "type" in item
        and "id" in item
        and not any(_present(_get_path(item, name)) for name in DEFAULT_FIELDS["body"])
    ):
        return {**attributes, "id": item["id"]}
    return item


# The taxonomies of WordPress whose terms a post's page shows, and the fields of a REST API
# record that hold their numbers.
_WORDPRESS_TERM_FIELDS = {"category": "categories", "post_tag": "tags"}


def _embedded_names(item: Mapping[str, Any]) -> Mapping[str, Any]:
    """A WordPress REST API record fetched with ``?_embed``, with the names of its author
    and of its categories and tags where it holds their numbers (``"author": 3``,
    ``"tags": [44]``): ``_embedded`` gives them (``"author"``, and ``"wp:term"``, a list
    of terms per taxonomy); any other record as it is."""
    embedded = item.get("_embedded")
    if not isinstance(embedded, Mapping):
        return item
    named = dict(item)
    if isinstance(authors := embedded.get("author"), list):
        # An author the API may not show is an error object, with no name.
        named["author"] = [name for author in _mappings(authors) if (name := author.get("name"))]
    if isinstance(groups := embedded.get("wp:term"), list):
        terms = [term for group in groups if isinstance(group, list) for term in _mappings(group)]
        for taxonomy, key in _WORDPRESS_TERM_FIELDS.items():
            named[key] = [term.get("name") for term in terms if term.get("taxonomy") == taxonomy]
    return named


def _mappings(values: list[Any]) -> list[Mapping[str, Any]]:
    return [value for value in values if isinstance(value, Mapping)]


def _unwrapped(value: Any) -> Any:
    # Drupal's REST export gives every field as a list of {"value": …}, one per value.
    if isinstance(value, list) and value and all(_has_value(item) for item in value):
        values = [item["value"] for item in value]
        return values[0] if len(values) == 1 else values
    if isinstance(value, Mapping):
        return next((value[key] for key in _WRAPPING_KEYS if key in value), value)
    return value


def _has_value(item: Any) -> bool:
    return isinstance(item, Mapping) and "value" in item


def text_blocks(body: Any) -> list[Block]:
    """A body as blocks: an HTML fragment when it contains tags, else blank-line paragraphs."""
    if isinstance(body, list | tuple):
        body = "\n\n".join(item for item in body if isinstance(item, str))
    elif isinstance(body, int | float) and not isinstance(body, bool):
        body = str(body)
    if not isinstance(body, str) or not body.strip():
        return []
    body = strip_wp_shortcodes(body)
    if not _HTML_TAG_RE.search(body) and _HTML_ENTITY_RE.search(body):
        # Text escaped for HTML ("Smith &amp; Jones", or a whole "&lt;p&gt;…" body): its
        # entities are no words of it.
        body = html.unescape(body)
    if _HTML_TAG_RE.search(body):
        return blocks_from_html_fragment(body)
    parts = [part for part in _BLANK_LINE_RE.split(body) if part.strip()]
    lines = [line for line in body.splitlines() if line.strip()]
    ends = [bool(_SENTENCE_END_RE.search(line)) for line in lines[:-1]]
    ends_sentences = any(ends) and all(
        end or len(line.split()) <= _HEADING_MAX_WORDS
        for line, end in zip(lines, ends, strict=False)
    )
    if len(parts) == 1 and len(lines) > 1 and ends_sentences:
        # A spreadsheet's cell or a form's text box has no blank lines: a line break after a
        # sentence or a heading there is where its writer began a new paragraph. Text
        # wrapped at a width breaks its sentences, and stays one paragraph.
        parts = lines
    return [paragraph(part) for part in parts]


# A line this short that ends no sentence is a heading or a list's item, not a wrapped line
# (which holds a dozen words or so).
_HEADING_MAX_WORDS = 6
# A line that ends a sentence: its last mark, before any closing quote or bracket.
_SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’»)\]]*\s*$")


@dataclass
class Record:
    """One record's mapped fields (raw values) and its position, for messages only."""

    values: dict[str, Any]
    line: int
    keys: list[str] = field(default_factory=list)  # the record's own field names
    # JSON Lines: bytes of the file read since the previous record (its own line, and the
    # blank or bad lines before it), by which the build splits its work.
    nbytes: int = 0
    # What the record is when readers are not shown it ("draft", "private"…), else "".
    not_published: str = ""
    cut: bool = False  # read only as far as metadata goes (``fields.bounded``)


@dataclass
class ParsedRecords:
    records: list[Record]
    warnings: list[str] = field(default_factory=list)


def open_binary(path: Path) -> IO[bytes]:
    return gzip.open(path, "rb") if path.name.lower().endswith(".gz") else path.open("rb")


def _read_all(path: Path) -> bytes:
    """The file's bytes; ``UnreadableFile`` when it breaks off."""
    data, broken_off = _read_what_there_is(path)
    if broken_off:
        raise UnreadableFile(broken_off)
    return data


def _records_in(data: Any, field_map: Mapping[str, str]) -> list[Any] | None:
    """The list of records in a JSON document, or None when it holds none."""
    if isinstance(data, list):
        rows = _dumped_rows(data, field_map)
        return data if rows is None else rows
    if isinstance(data, dict):
        ghost = _ghost_posts(data)
        if ghost is not None:
            return ghost
        resources = _json_api_resources(data)
        if resources is not None:
            return resources
        for key in _LIST_KEYS:
            value = _get_path(data, key)
            if isinstance(value, list):
                return value
        if any(_present(_get_path(data, name)) for name in DEFAULT_FIELDS["body"]):
            return [data]
        lists = [v for v in data.values() if isinstance(v, list) and v and isinstance(v[0], dict)]
        if len(lists) == 1:
            return lists[0]
        return [data]
    return None


# What phpMyAdmin's JSON export lists: its header, each database, and each table's rows.
_DUMP_ITEMS = ("header", "database", "table")
# The columns of a CMS's table of articles: WordPress's posts, Joomla's content.
_ARTICLE_TABLE_COLUMNS = ("post_content", "introtext")


def _dumped_rows(export: list[Any], field_map: Mapping[str, str]) -> list[Any] | None:
    """The rows of the tables that hold articles in a database exported by phpMyAdmin
    (``[{"type": "header", …}, {"type": "database", …}, {"type": "table", "name": …,
    "data": [rows]}, …]``); None for any other list. A CMS's table of articles (WordPress's
    posts, Joomla's content) is read alone: its other tables are the site's settings, users,
    categories and modules, some with text that is no article (a category's description,
    a block beside every page). Another database's tables are read only by the text column
    the field map names, or when it is one table exported alone: a whole database holds
    what its site never shows (another CMS's newsletters of paid posts, its readers'
    comments with their addresses)."""
    typed = all(isinstance(item, Mapping) and item.get("type") in _DUMP_ITEMS for item in export)
    if not typed or not any(item["type"] == "table" for item in export):
        return None
    tables = [
        item["data"]
        for item in export
        if item["type"] == "table" and isinstance(item.get("data"), list)
    ]

    def columns(table: list[Any]) -> dict[str, str]:
        first = next((row for row in table if isinstance(row, Mapping)), {})
        return dict.fromkeys(map(str, first), "text")

    articles = [
        table
        for table in tables
        if any(_get_path(columns(table), name) for name in _ARTICLE_TABLE_COLUMNS)
    ] or [
        table
        for table in tables
        if "body" in field_map and _get_path(columns(table), field_map["body"]) is not None
    ]
    if not articles and sum(1 for table in tables if table) == 1:
        # One table exported alone (phpMyAdmin wraps it as a database too): read as a CSV
        # export of it is.
        articles = [table for table in tables if table]
    if not articles and any(tables):
        names = ", ".join(str(item.get("name")) for item in export if item["type"] == "table")
        raise NotArticles(
            f"a database exported by phpMyAdmin with no WordPress or Joomla table of articles "
            f"(its tables: {names}); name the text column of the table of articles with "
            "--field body=<column>, or export that table alone"
        )
    return [row for table in articles for row in table]


def _json_api_resources(document: Mapping[str, Any]) -> list[Any] | None:
    """The resources of a JSON:API document (Drupal's JSON:API: ``{"data": [{"type":
    "node--article", "id": …, "attributes": …, "relationships": …}], "included": […]}``),
    each with its author's name, its taxonomy terms' names and its address among its
    attributes, which hold none of them; None for any other document. A relationship
    names what it links by type and id only: the document holds it in ``included`` when
    it was fetched with ``?include=uid,field_tags``."""
    data = document.get("data")
    if _is_resource(data):  # one resource: /jsonapi/node/article/{uuid}
        data = [data]
    if not isinstance(data, list) or not any(_is_resource(item) for item in data):
        return None
    included = document.get("included")
    linked = {
        key: resource["attributes"]
        for resource in (included if isinstance(included, list) else [])
        if _is_resource(resource) and (key := _resource_key(resource))
    }
    return [_with_relations(item, linked) if _is_resource(item) else item for item in data]


def _resource_key(resource: Mapping[str, Any]) -> tuple[str, str] | None:
    """What names a JSON:API resource, its type and id (strings; numbers as some write ids)."""
    kind, key = resource.get("type"), resource.get("id")
    if isinstance(kind, str) and isinstance(key, str | int) and not isinstance(key, bool):
        return kind, str(key)
    return None


def _is_resource(value: Any) -> bool:
    return (
        isinstance(value, Mapping)
        and "type" in value
        and isinstance(value.get("attributes"), Mapping)
    )


def _with_relations(
    resource: Mapping[str, Any], linked: Mapping[tuple[Any, Any], Mapping[str, Any]]
) -> Mapping[str, Any]:
    """A JSON:API resource with its author's and its taxonomy terms' names (``linked``: the
    included resources' attributes by type and id) and its address among its attributes,
    where its own attributes do not name them."""
    related = _related(resource, linked)
    # Drupal's node owner; its account name, when it has no display name, is often a login.
    authors = [
        name
        for _, user in related.get("uid", [])
        if (name := user.get("display_name"))
        or (isinstance(name := user.get("name"), str) and looks_like_names(name.strip()))
    ]
    # Every vocabulary's terms (tags, a region, a topic), as front matter's tags and
    # categories are all its tags.
    tags = [
        term.get("name")
        for targets in related.values()
        for kind, term in targets
        if isinstance(kind, str) and kind.startswith("taxonomy_term--")
    ]
    found = {"authors": authors, "tags": tags, "url": _path_alias_url(resource)}
    attributes = {**{key: value for key, value in found.items() if value}, **resource["attributes"]}
    return {**resource, "attributes": attributes}


def _related(
    resource: Mapping[str, Any], linked: Mapping[tuple[Any, Any], Mapping[str, Any]]
) -> dict[str, list[tuple[Any, Mapping[str, Any]]]]:
    """Per relationship of a JSON:API resource, the type and the attributes of each resource
    it links (none known when the document does not include it)."""
    relationships = resource.get("relationships")
    related: dict[str, list[tuple[Any, Mapping[str, Any]]]] = {}
    for name, relationship in relationships.items() if isinstance(relationships, Mapping) else ():
        data = relationship.get("data") if isinstance(relationship, Mapping) else None
        related[name] = [
            (target.get("type"), linked.get(_resource_key(target), {}))
            for target in (data if isinstance(data, list) else [data])
            if isinstance(target, Mapping)
        ]
    return related


def _path_alias_url(resource: Mapping[str, Any]) -> str | None:
    """A Drupal node's address: its path alias ("/news/x") on the site its own link names,
    where Drupal's JSON:API is, at /jsonapi under the site's address and its language's
    prefix ("https://ngo.example/es/jsonapi/node/article/…"); without that link, the alias
    alone, an address on the site (``Article.address``)."""
    path = resource["attributes"].get("path")
    alias = path.get("alias") if isinstance(path, Mapping) else None
    if not (isinstance(alias, str) and alias.startswith("/")):
        return None
    links = resource.get("links")
    own = links.get("self") if isinstance(links, Mapping) else None
    href = own.get("href") if isinstance(own, Mapping) else None
    site, api, _ = href.partition("/jsonapi/") if isinstance(href, str) else ("", "", "")
    return site + alias if api else alias


def _ghost_posts(export: Mapping[str, Any]) -> list[Any] | None:
    """The posts and pages of a Ghost export (``{"db": [{"meta": …, "data": {"posts": …}}]}``),
    each with its authors' names and its public tags' (Ghost keeps them in tables of their
    own, joined by ``posts_authors`` and ``posts_tags``, or, before Ghost 1.22, by a
    post's ``author_id``); None for any other document.
    Tags named with a "#" are Ghost's internal tags, never shown to readers."""
    db = export.get("db")
    data = db[0].get("data") if isinstance(db, list) and db and isinstance(db[0], Mapping) else None
    if not isinstance(data, Mapping) or not isinstance(data.get("posts"), list):
        return None

    def table(name: str) -> list[Mapping[str, Any]]:
        rows = data.get(name)
        return [row for row in rows if isinstance(row, Mapping)] if isinstance(rows, list) else []

    def names_by_post(links: str, key: str, named: dict[Any, str]) -> dict[Any, list[str]]:
        by_post: dict[Any, list[str]] = {}
        for link in sorted(table(links), key=lambda row: _sort_order(row.get("sort_order"))):
            name = named.get(_ghost_id(link.get(key)))
            post = _ghost_id(link.get("post_id"))
            if name and post is not None:
                by_post.setdefault(post, []).append(name)
        return by_post

    users = {_ghost_id(user.get("id")): user.get("name") for user in table("users")}
    public_tags = {
        _ghost_id(tag.get("id")): tag.get("name")
        for tag in table("tags")
        if isinstance(tag.get("name"), str) and not tag["name"].startswith("#")
    }
    authors = names_by_post("posts_authors", "author_id", users)
    tags = names_by_post("posts_tags", "tag_id", public_tags)

    def own_author(post: Mapping[str, Any]) -> list[str]:
        # Before posts_authors (Ghost 1.22), a post named its one author itself.
        name = users.get(_ghost_id(post.get("author_id")))
        return [name] if name else []

    return [
        {
            **post,
            "authors": authors.get(_ghost_id(post.get("id"))) or own_author(post),
            "tags": tags.get(_ghost_id(post.get("id")), []),
        }
        if isinstance(post, Mapping)
        else post
        for post in data["posts"]
    ]


def _ghost_id(value: Any) -> str | int | None:
    """An id a Ghost table links rows by; None for any other value (a list, an object)."""
    return value if isinstance(value, str | int) and not isinstance(value, bool) else None


def _sort_order(value: Any) -> float:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _recover_list(text: str) -> list[Any]:
    """The complete records before the break of a truncated ``[ {...}, {...}, {..`` file."""
    decoder = json.JSONDecoder()
    position = text.find("[")
    if position < 0 or text[:position].strip():
        return []
    position += 1
    records: list[Any] = []
    length = len(text)
    while position < length:
        while position < length and text[position] in " \t\r\n,":
            position += 1
        if position >= length or text[position] == "]":
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            break
        records.append(value)
    return records


# json writes some messages to be followed by their place ("Invalid control character
# at: line 1 column 9"); a reason gives the place before the message.
_PLACE_TO_FOLLOW_RE = re.compile(r"(?: starting)? at$")


def _json_problem(exc: json.JSONDecodeError) -> str:
    """What is wrong, in words that end: "Invalid control character", not "… at"."""
    return _PLACE_TO_FOLLOW_RE.sub("", exc.msg)


def parse_json(path: Path, field_map: Mapping[str, str]) -> ParsedRecords:
    """A JSON file: a list of records, one record, or an object wrapping a list."""
    text, warnings = decode_bytes(_read_all(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"invalid JSON at line {exc.lineno}, column {exc.colno}: {_json_problem(exc)}"
        recovered = [r for r in _recover_list(text) if isinstance(r, Mapping)]
        if not recovered:
            raise UnreadableFile(reason) from None
        warnings.append(CutShort(f"{reason}; kept the {len(recovered)} complete records before it"))
        data = recovered
    except RecursionError:
        raise UnreadableFile("invalid JSON: nested too deeply") from None
    items = _records_in(data, field_map)
    if items is None:
        raise UnreadableFile("JSON holds no records (expected a list or an object)")
    records: list[Record] = []
    skipped = 0
    for number, item in enumerate(items, start=1):
        if isinstance(item, Mapping):
            records.append(_record(item, field_map, number))
        else:
            skipped += 1
    if skipped:
        warnings.append(f"{skipped} JSON item(s) are not objects and were skipped")
    cut = [record.line for record in records if record.cut]
    if cut:
        warnings.append(_cut_records_warning(len(cut), cut[0], "record"))
    return ParsedRecords(records, warnings)


# A cell holds a whole article's text: Python's default limit (131,072 characters) would stop
# at the first long one. The limit is the csv module's, for the whole process.
csv.field_size_limit(sys.maxsize)
CSV_DELIMITERS = ",;\t|"
_EXCEL_SEPARATOR_RE = re.compile(rf"sep=([{CSV_DELIMITERS}])")


def parse_csv(path: Path, field_map: Mapping[str, str]) -> ParsedRecords:
    """A CSV (or tab-separated) export, as spreadsheets and CMS "export to CSV" write it:
    a header row naming the fields, then a record a row, a cell's line breaks and quotes
    inside double quotes. The delimiter is a tab in a .tsv file, else the one of a comma, a
    semicolon (as spreadsheets write CSV where the comma is the decimal mark), a tab or a
    bar under which the header row names the most fields advosearch knows, then the most
    fields.

    A row that breaks the quoting (a quote in the middle of a cell) is read as a lenient
    reader reads it, and said; a quote never closed, or a compressed file cut short, keeps
    the rows before, and the warning says where the file was read to (the file was read
    only in part)."""
    data, broken_off = _read_what_there_is(path)
    if broken_off and not wide_encoding(data):
        # Its last line is cut where the file breaks off, perhaps inside a character: left
        # out before decoding, which would otherwise take the file for another encoding.
        data = data[: data.rfind(b"\n") + 1]
        if not data.strip():
            raise UnreadableFile(broken_off)
    text, warnings = decode_bytes(data)
    del data  # the text is what is read; an export may be large
    text = text.lstrip("\ufeff")
    if broken_off:
        text = text[: text.rfind("\n") + 1]
    header = io.StringIO(text, newline="").readline()  # its line ends as the reader's
    skipped_lines = 0  # before the header row, so that lines are named as the file has them
    if named := _EXCEL_SEPARATOR_RE.fullmatch(header.rstrip("\r\n")):
        # "sep=;": the line exports made for Excel begin with, naming the delimiter.
        delimiter, text, skipped_lines = named.group(1), text[len(header) :], 1
    elif path.name.lower().removesuffix(".gz").endswith(".tsv"):
        delimiter = "\t"
    else:
        delimiter = _header_delimiter(header, field_map)
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        names = [name.strip() for name in next(rows, [])]
    except csv.Error as exc:
        line = 1 + skipped_lines
        raise UnreadableFile(f"invalid CSV: its header row (line {line}): {exc}") from None
    columns = lookup_fields(dict.fromkeys(names, "text"), field_map)
    if "body" not in columns and "summary" not in columns:
        listed = ", ".join(name for name in names if name) or "none"
        # The field map is the run's, for all its files: a table of figures beside the
        # articles lacks the column it names too, so a column named wrongly is said here.
        advice = (
            f"no column {field_map['body']!r}, which the field map names as the text"
            if "body" in field_map
            else "if it holds articles, map their text with --field body=<column> or "
            "ADVOSEARCH_FIELD_MAP"
        )
        raise NotArticles(f"a table with no text column (its columns: {listed}); {advice}")
    records: list[Record] = []
    problems: list[str] = []  # what the reading lost, said after the encoding's warning
    bad, first_bad = 0, 0
    physical_lines: list[str] = []  # the text's lines, once a row must be read again
    while True:
        start = rows.line_num + 1 + skipped_lines
        try:
            row = next(rows)
        except StopIteration:
            break
        except csv.Error as exc:
            if str(exc) == "unexpected end of data":  # a quote opened and never closed
                last = len(io.StringIO(text, newline="").readlines()) + skipped_lines
                problems.append(
                    CutShort(
                        f"a quote opened on line {start} is not closed before the file ends: "
                        f"lines {start} to {last} were not read; kept {len(records)} records"
                    )
                )
                break
            # A quote inside a cell ('"Free" speech', 'B,"bro"ken'): the row read as a
            # lenient reader reads it, rather than lost. Its lines are split as the reader
            # splits them (at \r and \n only, where str.splitlines splits at \f too).
            if not physical_lines:
                physical_lines.extend(io.StringIO(text, newline="").readlines())
            first, last = start - 1 - skipped_lines, rows.line_num
            row = _row_with_stray_quotes("".join(physical_lines[first:last]), delimiter)
            if row is None or len(row) != len(names):
                lenient = csv.reader(physical_lines[first:last], delimiter=delimiter)
                row = next(lenient, [])
            bad += 1
            first_bad = first_bad or start
        if any(cell.strip() for cell in row):
            item: dict[str, str] = {}
            # A row longer than the header has cells no field names: they are left out. Of
            # two columns of one name, the one with a value counts.
            for name, cell in zip(names, row, strict=False):
                if name and (cell.strip() or name not in item):
                    item[name] = cell
            records.append(_record(item, field_map, start))
    if broken_off:
        problems.append(
            CutShort(f"file is cut short ({broken_off}); kept the {len(records)} records before")
        )
    if bad:
        problems.append(
            f"{bad} CSV row(s) with a quote inside a cell, read as far as they could be: "
            f"check them (first: line {first_bad})"
        )
    if not records:
        why = "; ".join(problems) or "only a header row"
        raise UnreadableFile(f"CSV holds no records ({why})")
    warnings.extend(problems)
    cut = [record.line for record in records if record.cut]
    if cut:
        warnings.append(_cut_records_warning(len(cut), cut[0], "line"))
    return ParsedRecords(records, warnings)


def _row_with_stray_quotes(text: str, delimiter: str) -> list[str] | None:
    """The cells of a row whose quoted cells hold quotes left unescaped ('"Ley "mordaza" de
    censura"', as a writer that only wraps each cell in quotes makes them): a quoted cell
    ends at the quote before a delimiter or the row's end, its other quotes are text.
    None when a quoted cell has no such end ('"Free" speech' was not quoted whole)."""
    text = text.rstrip("\r\n")
    closing = re.compile(rf'""|"(?={re.escape(delimiter)}|$)')
    cells: list[str] = []
    at = 0
    while True:
        if text.startswith('"', at):
            end = next((m.start() for m in closing.finditer(text, at + 1) if m.group() == '"'), -1)
            if end < 0:
                return None
            cells.append(text[at + 1 : end].replace('""', '"'))
            at = end + 1
        else:
            end = text.find(delimiter, at)
            end = len(text) if end < 0 else end
            cells.append(text[at:end])
            at = end
        if at >= len(text):
            return cells
        at += len(delimiter)


# Enough of a file to hold its header row.
HEADER_BYTES = 65536


def is_article_table(path: Path, field_map: Mapping[str, str]) -> bool:
    """Whether a text file is a table of articles: its first line a header row whose tabs
    separate fields advosearch knows, one of them the text ("title<TAB>body<TAB>date"). A
    page of text seldom begins with a tab, and never with such names between tabs."""
    try:
        with open_binary(path) as handle:
            head = handle.read(HEADER_BYTES)
    except READ_ERRORS:
        return False  # the page's reader says what is wrong with the file
    header = decode_bytes(head)[0].lstrip("\ufeff").partition("\n")[0]
    if "\t" not in header:
        return False
    names = [name.strip() for name in header.split("\t")]
    columns = lookup_fields(dict.fromkeys(names, "text"), field_map)
    return len(columns) >= 2 and ("body" in columns or "summary" in columns)


def _header_delimiter(header: str, field_map: Mapping[str, str]) -> str:
    """The delimiter under which ``header`` names the most fields advosearch knows, then the
    most fields; a comma on a tie. Counting characters would take "Tags (a, b)" for two
    columns of a file whose delimiter is a semicolon."""

    def reading(delimiter: str) -> tuple[int, int]:
        try:
            names = next(csv.reader(io.StringIO(header, newline=""), delimiter=delimiter), [])
        except csv.Error:
            return 0, 0
        return len(lookup_fields(dict.fromkeys(names, "text"), field_map)), len(names)

    return max(CSV_DELIMITERS, key=reading)


def _read_what_there_is(path: Path) -> tuple[bytes, str]:
    """The file's bytes, and why it broke off ("" when it did not): a compressed file cut
    short gives what it holds before the break."""
    chunks: list[bytes] = []
    try:
        with open_binary(path) as handle:
            # A read of what one step gives (read1): a whole read raises at the break and
            # gives nothing of what came before it.
            while chunk := handle.read1(1 << 16):
                chunks.append(chunk)
    except READ_ERRORS as exc:
        if not any(chunks):
            raise UnreadableFile(read_failure(exc)) from None
        return b"".join(chunks), read_failure(exc)
    return b"".join(chunks), ""


def _lines(path: Path) -> Iterator[tuple[int, bytes, str]]:
    """The file's lines, each with the name of the file's encoding, as UTF-8 when it is
    UTF-16 or UTF-32 (each line then counts its UTF-8 bytes: close enough for the build's
    shares of work)."""
    with open_binary(path) as handle:
        wide = as_utf8(handle, pass_invalid=True)
        encoding = "UTF-8" if wide is None else wide.encoding
        for number, line in enumerate(wide or handle, start=1):
            yield number, line, encoding


class _LegacyLines:
    """The lines of a JSON Lines file written in a legacy encoding (a cp1252 export, or its
    lines appended to a UTF-8 file), decoded in the encoding guessed from the first such
    line, guessed again where it fails. A line with valid UTF-8 characters beside its
    invalid bytes is damaged UTF-8, not another encoding: it is not guessed at, and stays
    invalid. The detector is asked about a few lines at most: on a long file of lines it
    cannot read, it would take a millisecond a line."""

    MAX_GUESSES = 8

    def __init__(self) -> None:
        self.encoding: str | None = None
        self.used: list[str] = []  # the encodings lines were read in, in order
        self._guesses = 0

    def decode(self, raw: bytes) -> str | None:
        if _has_utf8_characters(raw):
            return None
        if self.encoding is not None:
            try:
                return raw.decode(self.encoding)
            except UnicodeDecodeError:
                pass
        if self._guesses >= self.MAX_GUESSES:
            return None
        self._guesses += 1
        try:
            encoding = guess_encoding(raw)
            text = raw.decode(encoding)
        except (UnreadableFile, UnicodeDecodeError, LookupError):
            return None
        self.encoding = encoding
        if encoding not in self.used:
            self.used.append(encoding)
        return text


def _has_utf8_characters(raw: bytes) -> bool:
    return any(ord(char) > 0x7F for char in raw.decode("utf-8", "replace").replace("\ufffd", ""))


def parse_jsonl(path: Path, field_map: Mapping[str, str]) -> Iterator[Record | str]:
    """Records of a JSON Lines file, streamed; yields warning strings after the records.

    One bad line (a truncated last line, a stray log message) costs only that line. A line
    in a legacy encoding is read in it (``_LegacyLines``).
    """
    legacy = _LegacyLines()
    legacy_records = 0
    bad = 0
    first_bad: str | None = None  # where: its line, and column when JSON says
    first_error = ""
    good = 0
    last_line = 0
    nbytes = 0
    unfinished = ""  # why the last line, which has no line end, is no record
    cut_records, first_cut = 0, 0  # read only as far as metadata goes
    try:
        for number, raw, encoding in _lines(path):
            last_line = number
            nbytes += len(raw)
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            if not raw.strip():
                continue
            item, error, where = None, "not a JSON object", str(number)
            in_legacy = False
            try:
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    # A UTF-16 or UTF-32 file's invalid text has no legacy encoding.
                    line = legacy.decode(raw) if encoding == "UTF-8" else None
                    if line is None:
                        raise
                    in_legacy = True
                item = json.loads(line)
            except UnicodeDecodeError:
                error = f"invalid {encoding} text"
            except json.JSONDecodeError as exc:
                error, where = _json_problem(exc), f"{number}, column {exc.colno}"
            except RecursionError:
                error = "nested too deeply"
            if not isinstance(item, Mapping):
                if good and not raw.endswith(b"\n"):
                    unfinished = error  # the file's last line, broken off as it was written
                    continue
                bad += 1
                if first_bad is None:
                    first_bad, first_error = where, error
                continue
            good += 1
            legacy_records += in_legacy
            record = _record(item, field_map, number, nbytes)
            if record.cut:
                cut_records += 1
                first_cut = first_cut or number
            yield record
            nbytes = 0
    except READ_ERRORS as exc:
        if not good:
            raise UnreadableFile(read_failure(exc)) from None
        yield CutShort(
            f"file is cut short after line {last_line} ({read_failure(exc)}); kept {good} records"
        )
    if unfinished:
        yield CutShort(
            f"the last line ({last_line}) is unfinished ({unfinished}); kept {good} records"
        )
    if legacy_records:
        yield f"{legacy_records} line(s) not UTF-8, decoded as {', '.join(legacy.used)}"
    if cut_records:
        yield _cut_records_warning(cut_records, first_cut, "line")
    if bad:
        yield f"{bad} invalid JSON line(s) skipped, first at line {first_bad}: {first_error}"
    if not good:
        if bad:
            raise UnreadableFile(
                f"invalid JSON Lines: no valid line (first error at line {first_bad}: "
                f"{first_error})"
            )
        raise UnreadableFile("empty file")
