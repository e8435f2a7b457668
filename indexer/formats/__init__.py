"""Article files → ``Article`` objects: the indexer's input stage.

Entry points used by the build and the CLI:

- ``discover(paths)``: the files to parse (and the ones skipped, with the reason);
- ``build_context(files)``: whole-run knowledge (lines repeated across a site's pages, a
  Substack export's table of its posts);
- ``parse_file(path, root, context, ...)``: one file's articles, or ``UnreadableFile``;
- ``stream_file(path, root, context, ...)``: the same, a JSON Lines file's as they are read;
- ``parse_paths(paths, ...)``: all of the above, never raising for one bad file;
- ``ArticleIds``: the ids a run's articles are indexed under (the build's, and
  ``parse_paths``'s).

``parse_file``'s arguments and results pickle, so the build may call it in worker processes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
import os
import re
import reprlib
import stat
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from indexer.errors import ExportMetadata, NoArticle, NotArticles, UnreadableFile
from indexer.formats import fields, html, markdown, records, substack, text, wxr
from indexer.formats.decode import (
    READ_ERRORS,
    as_utf8,
    decode_bytes,
    looks_binary,
    read_failure,
)
from indexer.formats.sections import Block, build_sections, collapse, normalize_for_compare
from indexer.languages import (
    DEFAULT_LANGUAGE,
    article_language,
    known_languages,
    translation_key,
)
from indexer.models import Article, CutShort, Section

__all__ = [
    "DEFAULT_MAX_ARTICLE_FILE_BYTES",
    "PARSER_VERSION",
    "SUPPORTED_SUFFIXES",
    "ArticleIds",
    "ParsedFile",
    "RunContext",
    "SkippedFile",
    "StreamedFile",
    "build_context",
    "discover",
    "parse_file",
    "parse_paths",
    "stream_file",
]

DEFAULT_MAX_ARTICLE_FILE_BYTES = 10 * 2**20
# Bump when a format reader changes what it reads from a file (a link's text, a date, a
# byline), or the index keeps more of what it read: files already indexed are then read
# again by the next run (``file_digest`` in ``indexer.build``), which would otherwise skip
# them as unchanged and keep the old reading. 4: front matter's dates read as written, a
# post without text read by its summary, and an article indexed as ``id~N`` keeping the id
# its file gives it (``indexer.build.GIVEN_ID``). 5: a TOML front matter line that cannot be
# read left out alone. 6: what readers are not shown (drafts, private and password-protected
# posts) left out of every format, and a JSON value nested as {"rendered": …} read. 7:
# dates and chrome lines of scraped pages read in Spanish, French, Portuguese, Italian and
# German too. 8: a byline in an author field read as its names, a title cut at 300
# characters. 9: those languages' chrome words that articles use too ("compartir en",
# "Datenschutz") chrome only as a whole line or at its start. 10: an HTML page's title
# without the site's name (og:site_name, or the part its site's titles share). 11: a JSON
# Lines line not in UTF-8 read in a legacy encoding, where it was skipped. 12: a Markdown
# post without a date in its front matter dated by its file name, as Jekyll's are. 13:
# Spanish, Portuguese and French bylines read; a title beginning "By the" not a byline.
# 14: an HTML page dated by its markup or a date line, not by a year its text names. 15:
# a legacy encoding guessed among the web's first (cp1252 punctuation was read as cp852).
# 16: an HTML page's byline read for its names and date, and left out of its text. 17: a
# WordPress export's authors named by their display names, not their logins. 18: the
# shortcodes of JSON records and plugins' too left out; WordPress attachments not indexed.
# 19: an HTML page without <article> or <main> keeps its headings and lists. 20: bylines
# and shortcodes read as the review of 19 asked. 21: Spanish, Portuguese and French
# date fields of records read ("fecha", "anio"). 22: records Drupal says unpublished as
# "0" or "false", and Ghost's members-only posts, not indexed; Drupal's value lists,
# JSON:API attributes and Unix times in milliseconds read; a record's text escaped for
# HTML read unescaped; RSS and Atom feeds read, an item's id from its address; a Ghost
# export's posts read; a Markdown footnote's text kept; an HTML page not dated by the
# site's footer, a post's body alone (a fragment) read whole; a record's tags and
# categories both its tags; a Medium export's drafts not indexed; a page translated by
# files named after it given their translation key.
# 23: Ghost's email-only and member-filtered posts not indexed, compact date-times no Unix
# time, an Atom text's media type read, only defined footnotes' markers left out, a post's
# footer with a <time> kept, a fragment that says nothing not indexed.
# 24: a Jekyll post's tags and categories written as one string split at spaces, a
# WordPress feed's "appeared first on" line left out.
# 25: a Markdown post scheduled for later or expired by its front matter's dates (Hugo's
# publishDate and expiryDate, Jekyll's future date) not indexed until, or after, then; a
# page a script makes from its query ("index.php?p=123") named by it, not by the script;
# records' Spanish, Portuguese and French field names read ("detalle", "titulo"); a list's
# tag or author written "a; b" read as two; a Markdown post whose front matter cannot be
# read kept from readers by its lines that say so (draft: true), as Jekyll's _drafts are;
# a Hugo translation by file name ("post.es.md") in its name's language, its slug's id
# under it ("es/post").
# 26: a Markdown file whose lines end in a carriage return alone read as CommonMark reads
# it (its front matter was text); an HTML page nested past 256 elements read below that
# depth (its text there was lost). 27: WordPress's own column names read (post_title,
# post_content, post_date, post_excerpt; post_status for what readers are not shown), as a
# dump of its posts table has them. 28: tags and authors joined by "|" read apart, and a
# "Post Type" or "Post Status" column read as post_type and post_status. 29: a date in
# figures whose day is past 12 read ("15/03/2023"), and a JSON or CSV file's others in the
# order those tell. 30: a file UTF-8 for the most part read line by line, its few lines
# in a legacy encoding in it, where it was read whole in that encoding. 31: a date in
# figures read by its weekday ("Mon, 01/02/2023"), a month's name between hyphens
# ("14-Mar-2023"). 32: authors' names joined by "and" read apart. 33: a .txt file that is
# a tab-separated table read as one. 34: WordPress's post_author and WP All Export's
# author name columns read. 35: an organisation's name with "and" kept whole. 36: a weekday
# neither reading of a date falls on makes it none. 37: and so does one a date whose day is
# past 12 does not fall on. 38: names with particles split from others by "and", a login
# in post_author no name. 39: a paragraph of 20 words or more site chrome only on more
# than half a site's pages. 40: plugins' share buttons and sign-up cards left out of a
# post's body. 41: a quoted CSV cell's undoubled quotes kept. 42: a record's plain text
# without blank lines split into paragraphs at its line breaks. 43: a Blogger export's
# drafts, deleted posts, comments, settings and template not indexed, its entries' kind no
# tag. 44: Joomla's content rows read (introtext and fulltext its text, created_by_alias
# its author, language "*" detected, state 0 and -2 not shown). 45: a database exported by
# phpMyAdmin as JSON read as the rows of its tables of articles. 46: Drupal's views'
# published flags read in each of their boolean formats ("Disabled", "✖", "Unpublished"),
# and in a "Published status" or "Publishing status" column. 47: a WordPress REST post's
# _embedded authors and terms and its date_gmt, a Drupal JSON:API node's included author
# and terms and its path alias, Drupal's column labels (Authored on, Authored by, Content
# language), a Ghost 0.x post's author_id and a Medium export's p-canonical link read; a
# date in ISO 8601's basic format read, and a Markdown post's ambiguous date in figures in
# the order its file name's date tells. 48: a phpMyAdmin dump of another database read
# only by its mapped text column; Joomla's access levels and publishing dates, and
# WordPress's contact-form entries, not shown; a Joomla record's "fulltext" alone no text;
# a record's date_gmt read last; plain text split only at line breaks after sentences.
# 49: a phpMyAdmin table exported alone read; plain text split at a heading's line too;
# only 8-figure post ids taken for Substack's.
# 50: an address relative to the article's site kept (``Article.address``).
PARSER_VERSION = 50

_KINDS = fields.ARTICLE_FILE_KINDS
SUPPORTED_SUFFIXES: tuple[str, ...] = tuple(_KINDS) + tuple(f"{s}.gz" for s in _KINDS)
# README.md or ATTRIBUTION.md beside a corpus describe it; they are not articles. Named
# on the command line they are indexed like any file.
DOCUMENTATION_STEMS = frozenset(
    {"README", "LICENSE", "LICENCE", "COPYING", "NOTICE", "ATTRIBUTION", "CHANGELOG", "AUTHORS"}
)
_SINGLE_ARTICLE_KINDS = frozenset({"text", "markdown", "html"})


@dataclass
class SkippedFile:
    path: Path
    reason: str
    # Read, and holding no article (``NoArticle``): what was indexed from it before goes.
    # Otherwise it could not be read, and the index keeps what it gave when it could.
    no_article: bool = False
    # Not an article by what it is: a README, LICENSE… beside the articles
    # (``DOCUMENTATION_STEMS``), or a file of another format (an image, a PDF). Not a
    # problem to report on every run (a cron job would mail it every night), only to count.
    ignored: bool = False
    # A folder that could not be listed: the index keeps what its files gave before.
    folder: bool = False
    # Articles indexed from it before that the run removed (a page now a draft).
    removed: int = 0
    # A table whose columns name no text (``NotArticles``): ignored in a folder, but named,
    # as it may be an export whose text column needs mapping; not one an export describes
    # its articles in (``ExportMetadata``), which is what it is.
    table: bool = False

    @classmethod
    def of(cls, path: Path, root: Path, error: UnreadableFile) -> SkippedFile:
        """``path``, found under ``root``, skipped for ``error``."""
        table = isinstance(error, NotArticles)
        return cls(
            path,
            str(error),
            isinstance(error, NoArticle),
            ignored=table and path != root,
            table=table and not isinstance(error, ExportMetadata),
        )


@dataclass
class ParsedFile:
    path: Path
    articles: list[Article]
    warnings: list[str] = field(default_factory=list)
    # When its site takes its article down (a static site's expiry): the first run after
    # reads the file again, changed or not.
    shown_until: dt.datetime | None = None


@dataclass(frozen=True)
class RunContext:
    """Whole-run knowledge: per site (``Article.source``), its pages' repeated lines; per
    post of a Substack export, its row of the export's table. It travels to the worker
    processes that parse files: what a file's reading needs of the run is here."""

    site_chrome: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Per page (its path as discovered), the repeated lines of its site that it holds.
    page_chrome: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Per HTML page, the parts of its titles that name its site ("… | Ligue des droits"),
    # normalised: the parts most of the site's titles share.
    page_names: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Per HTML page that is a copy of another (the same address and text), the other's path.
    copies: Mapping[str, str] = field(default_factory=dict)
    # Per page whose translations are files named after it ("poet.md" beside "poet.fr.md",
    # as Hugo names them), the translation key their names give them ("posts/poet").
    translated: Mapping[str, str] = field(default_factory=dict)
    # Per post of a Substack export (its HTML file), its row of the export's posts.csv; None
    # for one the table does not list.
    substack_posts: Mapping[str, substack.Post | None] = field(default_factory=dict)
    # Per table of an export that describes its articles (posts.csv, a post's email
    # statistics), what it is.
    export_tables: Mapping[str, str] = field(default_factory=dict)

    def chrome_for(self, source: str) -> frozenset[str]:
        return self.site_chrome.get(source, frozenset())

    def chrome_in(self, path: Path) -> frozenset[str]:
        """The lines of its site's chrome that the page at ``path`` holds: the part of the
        run context its reading depends on, with ``names_in``."""
        return self.page_chrome.get(str(path), frozenset())

    def names_in(self, path: Path) -> frozenset[str]:
        return self.page_names.get(str(path), frozenset())

    def copy_of(self, path: Path) -> str | None:
        return self.copies.get(str(path))

    def translation_key_of(self, path: Path) -> str | None:
        return self.translated.get(str(path))

    def in_substack_export(self, path: Path) -> bool:
        return str(path) in self.substack_posts

    def substack_post(self, path: Path) -> substack.Post | None:
        return self.substack_posts.get(str(path))

    def export_table(self, path: Path) -> str | None:
        return self.export_tables.get(str(path))


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    suffix = os.path.splitext(name)[1]
    return _KINDS.get(suffix)


def _describe_suffix(path: Path) -> str:
    suffixes = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".gz" else path.suffix
    return suffixes.lower() or "no extension"


def discover(paths: Sequence[Path]) -> tuple[list[tuple[Path, Path]], list[SkippedFile]]:
    """Files under the given files/folders, recursively, sorted; hidden files/dirs skipped.

    Each file is paired with the root argument it was found under (ids and sources are
    relative to it). Files that are not articles (documentation beside them, other
    formats) are skipped, marked ``ignored``, never silently; links that lead nowhere or to
    a folder, named pipes and other things not files are skipped as files not read.
    """
    found: list[tuple[Path, Path]] = []
    skipped: list[SkippedFile] = []
    seen: set[Path] = set()

    def consider(file: Path, root: Path) -> None:
        key = file.resolve() if file.exists() else file
        if key in seen:
            return
        seen.add(key)
        if file != root and file.stem.upper() in DOCUMENTATION_STEMS:
            skipped.append(
                SkippedFile(file, "a folder's documentation file, not an article", ignored=True)
            )
        elif _kind(file) is None:
            # Beside articles in a folder, a file of another format is passed over; named on
            # the command line, it was meant to be read, and cannot be.
            reason = f"not an article format ({_describe_suffix(file)})"
            skipped.append(SkippedFile(file, reason, ignored=file != root))
        else:
            found.append((file, root))

    for argument in paths:
        root = Path(argument)
        if root.is_file():
            consider(root, root)
        elif root.is_dir():
            walked: list[Path] = []

            def unlisted(error: OSError, root: Path = root) -> None:
                # Not "gone": a folder whose permissions changed, a mount that failed.
                folder = Path(error.filename) if error.filename else root
                reason = f"cannot read this folder: {error.strerror or error}"
                skipped.append(SkippedFile(folder, reason, folder=True))

            for directory, subdirs, files in os.walk(root, onerror=unlisted):
                subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
                # os.walk lists a link to a folder among the folders, and does not enter it.
                links = [d for d in subdirs if os.path.islink(os.path.join(directory, d))]
                walked.extend(Path(directory, f) for f in files + links if not f.startswith("."))
            for file in sorted(walked):
                if file.is_file():
                    consider(file, root)
                else:
                    skipped.append(SkippedFile(file, _not_a_file(file)))
        else:
            skipped.append(SkippedFile(root, _not_a_file(root)))
    return found, skipped


def _not_a_file(path: Path) -> str:
    """Why a path is not read. Only its metadata is looked at: opening a named pipe would
    wait for a writer, for ever."""
    if path.is_symlink():
        if path.is_dir():
            return "a link to a folder, not followed (links can loop)"
        if not path.exists():
            return "a broken link (what it points to does not exist)"
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "no such file or folder"
    except OSError as error:
        return f"cannot be looked at: {error.strerror or error}"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a regular file"
    return "not a regular file or folder"


def _read_limited(path: Path, limit: int | None) -> bytes:
    """The file's (decompressed) bytes; refuses more than ``limit`` (zip bombs too)."""
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                data = handle.read(limit + 1) if limit is not None else handle.read()
        else:
            if limit is not None and path.stat().st_size > limit:
                _too_large(path.stat().st_size, limit)
            data = path.read_bytes()
    except READ_ERRORS as exc:
        raise UnreadableFile(read_failure(exc)) from None
    if limit is not None and len(data) > limit:
        _too_large(len(data), limit, at_least=True)
    return data


def _too_large(size: int, limit: int, at_least: bool = False) -> None:
    more = "over " if at_least else ""
    raise UnreadableFile(f"too large for one article: {more}{_mb(size)} MB > {_mb(limit)} MB limit")


def _mb(size: int) -> str:
    megabytes = size / 2**20
    return f"{megabytes:.1f}".removesuffix(".0") if megabytes >= 0.1 else f"{megabytes:.2g}"


def _sniff_binary(path: Path) -> None:
    try:
        opener = gzip.open if path.name.lower().endswith(".gz") else open
        with opener(path, "rb") as handle:
            head = handle.read(8192)
    except READ_ERRORS:
        # The format's reader meets the same error, and keeps what comes before it (the
        # records before a break in a gzip stream), which a refusal here would lose.
        return
    if not head.strip():
        raise UnreadableFile("empty file")
    if looks_binary(head):
        raise UnreadableFile("binary file (not text)")


def build_context(
    files: Sequence[tuple[Path, Path]], *, max_file_bytes: int = DEFAULT_MAX_ARTICLE_FILE_BYTES
) -> RunContext:
    """Learn each site's repeated lines from its scraped-text, Markdown and HTML pages, its
    name from its HTML pages' titles, and what Substack exports' tables say of their
    posts."""
    # A page's copies (the same article exported twice, a mirror) count as one page: what
    # they share is their text, not the site's chrome.
    pages: dict[str, set[frozenset[str]]] = {}
    lines_of: dict[str, tuple[str, set[str]]] = {}  # page -> its site, its lines
    # Per site, each distinct page's lines and title parts; per HTML page, its title parts.
    titled_pages: dict[str, set[tuple[frozenset[str], frozenset[str]]]] = {}
    parts_of: dict[str, tuple[str, frozenset[str]]] = {}
    # HTML pages by their address and text: more than one are copies of one page.
    same_page: dict[tuple[str, frozenset[str]], list[Path]] = {}
    for path, root in files:
        kind = _kind(path)
        if kind not in ("text", "markdown", "html"):
            continue
        try:
            content, _ = decode_bytes(_read_limited(path, max_file_bytes))
        except UnreadableFile:
            continue  # parse_file reports it
        if kind == "text":
            lines = {normalize_for_compare(unit.raw) for unit in text.split_units(content)}
        elif kind == "markdown":
            lines = markdown.line_keys(content)
        else:
            lines = html.page_line_keys(content)
        source = fields.source_for(path, root)
        page = frozenset(lines)
        pages.setdefault(source, set()).add(page)
        lines_of[str(path)] = (source, lines)
        if kind == "html":
            head = html.page_head(content)
            parts = head.title_parts()
            titled_pages.setdefault(source, set()).add((page, parts))
            parts_of[str(path)] = (source, parts)
            if head.url:
                same_page.setdefault((head.url, page), []).append(path)
    site_chrome = {
        source: text.repeated_lines(site_pages, len(site_pages))
        for source, site_pages in pages.items()
        if len(site_pages) >= text.REPEATED_MIN_PAGES
    }
    site_chrome = {source: lines for source, lines in site_chrome.items() if lines}
    page_chrome = {
        path: frozenset(lines & site_chrome[source])
        for path, (source, lines) in lines_of.items()
        if source in site_chrome
    }
    site_names = {
        source: _shared_title_parts([parts for _, parts in site_pages])
        for source, site_pages in titled_pages.items()
    }
    page_names = {
        path: names
        for path, (source, parts) in parts_of.items()
        if (names := parts & site_names[source])
    }
    copies = {
        str(path): str(original)
        for (url, _), paths in same_page.items()
        if len(paths) > 1
        for original in [_original(url, paths)]
        for path in paths
        if path != original
    }
    posts, tables = _substack_exports(files)
    return RunContext(
        site_chrome,
        page_chrome,
        page_names,
        copies,
        _translated(files),
        substack_posts=posts,
        export_tables=tables,
    )


# What a Substack export's tables are, said of them instead of "a table with no text column".
_SUBSTACK_POSTS_TABLE = (
    "a Substack export's list of its posts, read for their titles, dates and readers"
)
_SUBSTACK_STATISTICS = "a Substack export's email statistics of a post, not an article"


def _substack_exports(
    files: Sequence[tuple[Path, Path]],
) -> tuple[dict[str, substack.Post | None], dict[str, str]]:
    """Per post of a Substack export in the run, its row of the export's posts.csv (None:
    not listed); per table of the export, what it is. A post named without its export's
    folder is read with its table too: whether readers are shown it is said only there."""
    # Absolute: a folder named "." or "posts/.." is found by its name all the same.
    absolute = [(path, Path(os.path.abspath(path))) for path, _ in files]
    tables = {full for path, full in absolute if path.name in substack.POSTS_TABLES}
    tables.update(
        full.parent.parent / name
        for path, full in absolute
        if full.parent.name == substack.POSTS_FOLDER and _kind(path) == "html"
        for name in substack.POSTS_TABLES
    )
    posts: dict[str, substack.Post | None] = {}
    described: dict[str, str] = {}
    other_cms = set()  # folders whose posts.csv is another CMS's
    for table in sorted(tables):
        try:
            # A posts.csv of another CMS, however large, is not read past its header here.
            with records.open_binary(table) as handle:
                header = decode_bytes(handle.readline(records.HEADER_BYTES))[0]
            if not substack.names_posts(header):
                other_cms.add(table.parent)
                continue
            listed = substack.listed_posts(decode_bytes(_read_limited(table, None))[0])
        except (UnreadableFile, *READ_ERRORS):
            continue  # none beside the posts folder; or parse_file says why, if the run has it
        if listed is None:
            continue
        folder = table.parent / substack.POSTS_FOLDER
        for path, full in absolute:
            if full == table:
                described[str(path)] = _SUBSTACK_POSTS_TABLE
            elif full.parent != folder:
                continue
            elif _kind(path) == "html":
                name = path.name[:-3] if path.name.lower().endswith(".gz") else path.name
                posts[str(path)] = listed.get(os.path.splitext(name)[0])
            elif _kind(path) == "csv":
                described[str(path)] = _SUBSTACK_STATISTICS
    # A Substack post whose export's table is missing (not unpacked yet, compressed away,
    # unreadable) is not indexed: only the table says whether readers are shown it.
    for path, full in absolute:
        if (
            str(path) not in posts
            and substack.is_post_file(full)
            and full.parent.parent not in other_cms
        ):
            posts[str(path)] = None
    return posts, described


# A page's translation named after it: "poet.fr.md" beside "poet.md".
_TRANSLATION_NAME_RE = re.compile(r"(.+)\.([a-z]{2})$")


def _translated(files: Sequence[tuple[Path, Path]]) -> dict[str, str]:
    """Per page that files named after it translate ("poet.fr.md" for "poet.md", Hugo's
    translations by file name), the key the translations' ids give them: its own id names
    no language, and without the key it would not be grouped with them."""
    pages = {(path.parent, path.suffix.lower(), path.stem): path for path, _ in files}
    translated: dict[str, str] = {}
    for path, root in files:
        language = _name_language(path)
        if _kind(path) not in _SINGLE_ARTICLE_KINDS or language is None:
            continue
        stem = path.stem.removesuffix(f".{language}")
        page = pages.get((path.parent, path.suffix.lower(), stem))
        key = translation_key(fields.relative_id(path, root), language)
        if page is not None and key:
            translated[str(page)] = key
    return translated


def _original(url: str, paths: list[Path]) -> Path:
    """Of the files of one page, the one its address names ("…/arrestation-journaliste"
    is ``arrestation-journaliste.html``, not ``copie/arrestation-journaliste-1.html``),
    else the one nearest the root, else the first."""
    slug = fields.url_slug(url)
    named = [path for path in paths if slug and path.stem == slug]
    return min(named or paths, key=lambda path: (len(path.parts), str(path)))


def _shared_title_parts(pages: list[frozenset[str]]) -> frozenset[str]:
    """The title parts of more than half a site's pages, and of three pages at least: its
    name and its sections' names, not a subject that begins some of its titles."""
    counts = Counter(part for parts in pages for part in parts)
    return frozenset(
        part
        for part, count in counts.items()
        if count >= text.REPEATED_MIN_PAGES and count > len(pages) / 2
    )


# --- assembling articles --------------------------------------------------------------


def _single_id(
    values: Mapping[str, Any], path: Path, root: Path, name_language: str | None = None
) -> str:
    """Front matter/meta id, else slug, else the URL's last segment, else the path. A
    translation by file name ("poet.fr.md", ``name_language``) shares its page's slug, as
    Hugo's do: its id from it is under its language's ("fr/poet"), as its address is."""
    if own := fields.clean_id(values.get("id")):
        return own
    for candidate in (values.get("slug"), fields.url_slug(values.get("url"))):
        if cleaned := fields.clean_id(candidate):
            return f"{name_language}/{cleaned}" if name_language else cleaned
    return fields.relative_id(path, root)


def _name_language(path: Path) -> str | None:
    """The language a file's name gives it, as Hugo's translations by file name are named
    ("poet.fr.md"; a page's own language, whatever its text is detected as)."""
    match = _TRANSLATION_NAME_RE.fullmatch(path.stem)
    return match.group(2) if match and match.group(2) in known_languages() else None


# What an article is indexed without, when its value cannot be used (for text, the
# characters that are not characters): what the value is not, and what is done instead.
_DROPPED = {
    "date": ("a plausible date", "indexed undated"),
    "date in figures": (
        "a date whose day and month can be told apart (no date of its file has a day past "
        "12 to tell their order; write dates as 2023-04-03)",
        "indexed undated",
    ),
    "language": ("a known language code", "the language is detected from the text instead"),
    "text": ("valid Unicode", "its unpaired surrogates are shown as \ufffd"),
}


def _dropped_warning(name: str, value: Any) -> str:
    """The warning of one article that is indexed without its ``name`` value."""
    expected, instead = _DROPPED[name]
    return f"{name} {_shown(value)} is not {expected}; {instead}"


def _shown(value: Any) -> str:
    """A metadata value as a warning shows it: TOML front matter's dates as written, any
    other value as a literal, cut short."""
    return value.isoformat() if isinstance(value, dt.date) else reprlib.repr(value)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _article(
    *,
    article_id: str,
    title: str,
    blocks: list[Block],
    values: Mapping[str, Any],
    source: str,
    default_language: str,
    dropped: dict[str, Any],
    title_derived: bool = False,
    date_order: str | None = None,
) -> Article:
    """The article; a date or language its metadata gives but that cannot be used goes
    into ``dropped`` (name: value), for the caller to warn about."""
    texts = [title, *(block.text for block in blocks)]
    if fields.has_surrogates(texts) or fields.has_surrogates(values):
        dropped["text"] = next((t for t in texts if fields.has_surrogates(t)), "(in its metadata)")
        title = fields.without_surrogates(title)
        blocks = [Block(fields.without_surrogates(block.text), block.level) for block in blocks]
        values = fields.without_surrogates(values)
    # Callers pass titles already cleaned: cleaning twice would decode "&lt;b&gt;" to "<b>"
    # and then drop it as a tag, losing text the source meant to show.
    title = title.strip()
    if not title and blocks and blocks[0].is_heading:
        title = collapse(blocks[0].text)  # a body's leading heading ("# Title") is the title
    sections = build_sections(blocks, title=title)
    if not _has_text(sections):
        # A post whose body is only an embed (a petition form, a video) is found by the
        # summary its site shows for it.
        summary = fields.clean_inline(values.get("summary"))
        sections = build_sections([Block(summary, 0)] if summary else [], title=title)
    if not _has_text(sections):
        raise NoArticle("no text")
    if not title:
        title = fields.derive_title(sections[0].text)
        title_derived = True
    title = fields.capped_title(title)
    text = "\n\n".join([title, *(section.text for section in sections)])
    stated = values.get("language")
    given = fields.normalize_language(stated)
    # Joomla's "*" is an article for every language of its site: its own is detected, as
    # for one that states none.
    every_language = isinstance(stated, str) and stated.strip() == "*"
    if _given(stated) and not every_language and given not in known_languages():
        dropped["language"], given = stated, None
    # An empty default leaves the language undecided, for the caller to settle.
    language = article_language(given, text, default_language)
    date = fields.normalize_date(values.get("date"), date_order)
    if date is None and _given(values.get("date")):
        # No order to read it in: with one, it is the date that is wrong.
        ambiguous = date_order is None and fields.ambiguous_date(values["date"])
        dropped["date in figures" if ambiguous else "date"] = values["date"]
    return Article(
        id=article_id,
        title=title,
        sections=sections,
        url=fields.clean_url(values.get("url")),
        address=fields.relative_address(values.get("url")),
        date=date,
        authors=fields.clean_authors(values.get("authors")),
        tags=fields.clean_list(values.get("tags")),
        language=language,
        source=source,
        title_derived=title_derived,
        translation_key=fields.clean_id(values.get("translation_key"))
        or translation_key(article_id, language),
    )


def _has_text(sections: Sequence[Section]) -> bool:
    return any(section.text.strip() for section in sections)


# Jekyll reads a post's tags or categories written as one string as words separated by
# spaces ("categories: asia elections" is two).
_SPACE_SEPARATED_IN_JEKYLL = frozenset({"tags", "categories"})


def _is_jekyll_post(path: Path) -> bool:
    """Whether a Markdown file is a Jekyll post: in a "_posts" folder, which Hexo has too,
    as "source/_posts", where a string is one tag."""
    folders = path.parent.parts
    return "_posts" in folders and "source" not in folders[: folders.index("_posts")][-1:]


def _front_matter_values(
    metadata: Mapping[str, Any], field_map: Mapping[str, str], *, jekyll_post: bool = False
) -> dict:
    values = records.lookup_fields(metadata, field_map)
    # Authors and tags may each be spread over several keys; merge them all. They stay raw
    # (a tuple: each key's value read on its own), cleaned once, by ``_article``: cleaned
    # twice, a decoded "&lt;b&gt;" would be stripped as a tag.
    for name, keys in _FRONT_MATTER_LISTS.items():
        merged = tuple(
            value.split()
            if jekyll_post and key in _SPACE_SEPARATED_IN_JEKYLL and isinstance(value, str)
            else value
            for key in keys
            for value in [metadata.get(key)]
        )
        if fields.clean_list(*merged):
            values[name] = merged
    values["slug"] = metadata.get("slug")
    return values


# Jekyll's posts are named by their date: "_posts/2023-05-04-journalist-detained.md".
_DATED_NAME_RE = re.compile(r"(\d{4}-\d{2}-\d{2})-")


def _file_name_date(path: Path) -> str | None:
    """The date a post's file name begins with, when its front matter gives none."""
    match = _DATED_NAME_RE.match(path.name)
    return fields.normalize_date(match.group(1)) if match else None


def _order_named(value: Any, named: str | None) -> str | None:
    """The order, "dmy" or "mdy", in which a date in figures that reads as two dates
    ("10.04.2023") is the one its post's file name gives (2023-04-10-…): the name tells
    how the post's author writes dates, as a file's other dates tell a record's."""
    if named is None:
        return None
    orders = ("dmy", "mdy")
    return next((order for order in orders if fields.normalize_date(value, order) == named), None)


_FRONT_MATTER_LISTS = {
    "authors": ("authors", "author", "byline"),
    "tags": ("tags", "categories", "category", "keywords"),
}


def _parse_single(
    kind: str, path: Path, root: Path, context: RunContext, field_map, default_language, limit
) -> ParsedFile:
    content, warnings = decode_bytes(_read_limited(path, limit))
    source = fields.source_for(path, root)
    dropped: dict[str, Any] = {}
    shown_until = None
    if kind == "text":
        page = text.parse_text(content, context.chrome_for(source))
        values = {"authors": page.authors, "date": page.date}
        article = _article(
            article_id=fields.relative_id(path, root),
            title=page.title,
            title_derived=page.title_derived,
            blocks=page.blocks,
            values=values,
            source=source,
            default_language=default_language,
            dropped=dropped,
        )
    elif kind == "markdown":
        if "_drafts" in path.parent.parts:
            raise NoArticle("a draft (Jekyll builds nothing in _drafts)")
        post = markdown.parse_markdown(content, context.chrome_for(source))
        unpublished = fields.not_published(post.metadata) or fields.off_the_site(post.metadata)
        if unpublished:
            raise NoArticle(f"{unpublished[0]} post (front matter says {unpublished[1]})")
        jekyll_post = _is_jekyll_post(path)
        dated = any(str(key).casefold() == "date" for key in post.metadata)
        named = _file_name_date(path)
        # Jekyll dates a post by its file name, and builds none dated in the future.
        if jekyll_post and not dated and fields.off_the_site({"date": named}):
            raise NoArticle(f"scheduled post (its file name dates it {named})")
        shown_until = fields.shown_until(post.metadata)
        warnings.extend(post.warnings)
        values = _front_matter_values(post.metadata, field_map, jekyll_post=jekyll_post)
        if not _given(values.get("date")):
            values["date"] = named
        name_language = _name_language(path)
        if name_language and not _given(values.get("language")):
            values["language"] = name_language
        if name_language and not _given(values.get("translation_key")):
            # The key its page is given (``_translated``), whatever its id is.
            values["translation_key"] = translation_key(
                fields.relative_id(path, root), name_language
            )
        article = _article(
            article_id=_single_id(values, path, root, name_language),
            title=fields.clean_inline(values.get("title")),
            blocks=post.blocks,
            values=values,
            source=source,
            default_language=default_language,
            dropped=dropped,
            date_order=_order_named(values.get("date"), named),
        )
    else:
        if original := context.copy_of(path):
            raise NoArticle(f"a copy of {original} (the same address and text)")
        if html.is_medium_draft(path.name, content):
            raise NoArticle("a draft (a Medium export names its drafts draft_…)")
        page = html.parse_html_page(content, context.chrome_for(source), context.names_in(path))
        values = {
            "url": page.url,
            "date": page.date,
            "authors": page.authors,
            "tags": page.tags,
            "language": page.language,
        }
        article = _article(
            article_id=_single_id(values, path, root),
            title=page.title,
            blocks=page.blocks,
            values=values,
            source=source,
            default_language=default_language,
            dropped=dropped,
        )
    warnings.extend(_dropped_warning(name, value) for name, value in dropped.items())
    article.translation_key = article.translation_key or context.translation_key_of(path)
    return ParsedFile(path, [article], warnings, shown_until)


def _parse_substack_post(
    path: Path, root: Path, context: RunContext, default_language: str, limit: int
) -> ParsedFile:
    """A post of a Substack export: its body, as its file holds it, with its row of the
    export's posts.csv (its title, subtitle and date), unless readers are not shown it."""
    post = context.substack_post(path)
    if post is None:
        # Unreadable, not a post without article: an export unpacked half-way, whose
        # table comes whole later, keeps what it gave.
        raise UnreadableFile(
            "not listed in its Substack export's posts.csv, which says whether readers are "
            "shown a post: not indexed until it is"
        )
    if not_shown := post.not_shown():
        raise NoArticle(f"{not_shown[0]} post (its export's posts.csv says {not_shown[1]})")
    content, warnings = decode_bytes(_read_limited(path, limit))
    source = fields.source_for(path, root)
    chrome = context.chrome_for(source)
    # The body alone, as WXR's and Ghost's: all of it is the post, but for Substack's
    # buttons and subscribe boxes, and for the lines the site repeats on its pages.
    blocks = [
        block
        for block in html.blocks_from_html_fragment(content, widgets=substack.WIDGET_CLASSES)
        if block.is_heading or normalize_for_compare(block.text) not in chrome
    ]
    dropped: dict[str, Any] = {}
    article = _article(
        article_id=fields.relative_id(path, root),
        title=fields.clean_inline(post.title),
        blocks=blocks,
        values=post.values(),
        source=source,
        default_language=default_language,
        dropped=dropped,
    )
    warnings.extend(_dropped_warning(name, value) for name, value in dropped.items())
    return ParsedFile(path, [article], warnings)


def _record_id(stem: str, values: Mapping[str, Any], title: str, body: Any) -> str:
    own = fields.clean_id(values.get("id"))
    if own:
        return f"{stem}/{own}"
    slug = fields.clean_id(fields.url_slug(values.get("url")))
    if slug:
        return f"{stem}/{slug}"
    return f"{stem}/{fields.hashed_id(title, values.get('date'), body)}"


class _Collector:
    """Turns mapped records into articles, counting the ones without text. Keeps only
    what the file's warnings and languages need, not the articles: a streamed file's are
    written as they come."""

    def __init__(self, path: Path, root: Path, default_language: str) -> None:
        self.stem = fields.clean_id(fields.strip_article_suffix(path.name)) or "records"
        self.source = fields.source_for(path, root)
        self.default_language = default_language
        self.ids: set[str] = set()
        self.empty: list[int] = []
        self.field_names: list[str] = []  # of the first record, to help map the body field
        self.duplicates = 0
        # Per metadata name: how many records were indexed without their value, and the
        # first of them (its line and value).
        self.dropped: Counter[str] = Counter()
        self.first_dropped: dict[str, tuple[int, Any]] = {}
        self.detected: Counter[str] = Counter()  # languages of the articles that have one
        self.not_published: Counter[str] = Counter()  # drafts, private records… by what
        self.undecided: list[Article] = []  # articles too short to detect, until finish()
        self.future: list[tuple[int, str]] = []  # records dated after today: line, date
        # "dmy" or "mdy": how the file writes its dates in figures, when it tells.
        self.date_order: str | None = None

    def add(
        self, values: Mapping[str, Any], blocks: list[Block], body: Any, line: int
    ) -> Article | None:
        """The record's article, or None when it has no text. Its language is empty
        (undecided) until ``finish``, when the record was too short to detect it."""
        title = fields.clean_inline(values.get("title"))
        article_id = _record_id(self.stem, values, title, body)
        if article_id in self.ids:  # keep both, but the id must stay unique
            self.duplicates += 1
            number = 2
            while f"{article_id}-{number}" in self.ids:
                number += 1
            article_id = f"{article_id}-{number}"
        dropped: dict[str, Any] = {}
        try:
            article = _article(
                article_id=article_id,
                title=title,
                blocks=blocks,
                values=values,
                source=self.source,
                default_language="",  # settled in finish(), from the whole file
                dropped=dropped,
                date_order=self.date_order,
            )
        except UnreadableFile:
            self.empty.append(line)
            return None
        self.ids.add(article_id)
        for name, value in dropped.items():
            self.dropped[name] += 1
            self.first_dropped.setdefault(name, (line, value))
        if article.language:
            self.detected[article.language] += 1
        else:
            self.undecided.append(article)
        if fields.dated_after_today(article.date):
            self.future.append((line, article.date or ""))
        return article

    def finish(self, warnings: list[str], unit: str, place: str = "") -> None:
        """Settle the undecided languages and report the file; raises ``UnreadableFile``
        when no record had text. ``unit`` is what a record is called ("post"), ``place``
        what its position counts ("line" in a JSON Lines or CSV file; else ``unit``)."""
        place = place or unit
        self._settle_languages()
        if self.empty:
            warnings.append(
                f"{len(self.empty)} {unit}(s) without text skipped (first: {place} {self.empty[0]})"
            )
        if self.duplicates:
            warnings.append(f"{self.duplicates} duplicate id(s) were given a -2, -3… suffix")
        unpublished = ", ".join(f"{n} × {what}" for what, n in self.not_published.most_common())
        if unpublished and (self.ids or self.empty):
            warnings.append(
                f"{self.not_published.total()} {unit}(s) not indexed, as only published ones "
                f"are: {unpublished}"
            )
        elif unpublished:
            # Read whole, nothing in it is published: what it gave before goes.
            raise NoArticle(f"no published {unit}s ({unpublished})")
        for name, count in self.dropped.items():
            line, value = self.first_dropped[name]
            # One warning per file, not per record: an export's dates are often all alike.
            warnings.append(
                f"{count} {unit}(s) with a {name} that is not {_DROPPED[name][0]}: "
                f"{_DROPPED[name][1]} (first: {place} {line}, {_shown(value)})"
            )
        if self.future:
            line, day = self.future[0]
            warnings.append(
                f"{len(self.future)} {unit}(s) dated after today, indexed with that date: "
                f"check it (first: {place} {line}, {day})"
            )
        if not self.ids and not self.empty:
            # An export written while it was read, more likely than one emptied on purpose.
            raise UnreadableFile(f"no {unit}s in it")
        if not self.ids:
            hint = ""
            if self.field_names:
                hint = (
                    f"; its fields are {', '.join(self.field_names[:15])}: map the text field"
                    " with --field body=<field> or ADVOSEARCH_FIELD_MAP"
                )
            # Unreadable, not empty: an export whose records have no text is one its field
            # mapping misses (a setting lost), or one written wrong, more likely than an
            # archive emptied on purpose, and what it gave before is kept.
            raise UnreadableFile(f"no text (no {unit} has any text{hint})")

    def _settle_languages(self) -> None:
        """Records too short for detection ("En general se respeta la libertad académica.")
        take the language most of the file's records are in: an export is written in one
        language far more often than not. Only a file with no detectable record falls
        back to the default language."""
        if not self.undecided:
            return
        detected = self.detected
        language = detected.most_common(1)[0][0] if detected else self.default_language
        for article in self.undecided:
            article.language = language
            article.translation_key = article.translation_key or translation_key(
                article.id, language
            )


def _record_articles(
    kind: str, path: Path, collector: _Collector, warnings: list[str], field_map
) -> Iterator[tuple[Article, int]]:
    """A JSON, JSON Lines or CSV file's articles in record order, each with the bytes of
    input read since the previous one (JSON Lines only; 0 for the others)."""
    if kind in ("json", "csv"):
        parse = records.parse_json if kind == "json" else records.parse_csv
        parsed = parse(path, field_map)
        warnings.extend(parsed.warnings)
        # Read whole, a file tells how it writes its dates in figures before any is read.
        dates = (record.values.get("date") for record in parsed.records)
        collector.date_order = fields.numeric_date_order(dates)
        stream: Any = parsed.records
    else:
        stream = records.parse_jsonl(path, field_map)
    nbytes = 0
    for item in stream:
        if isinstance(item, str):
            warnings.append(item)
            continue
        if not collector.field_names:
            collector.field_names = item.keys
        nbytes += item.nbytes
        if item.not_published:  # its bytes go with the next record, as an empty one's
            collector.not_published[item.not_published] += 1
            continue
        body = item.values.get("body")
        article = collector.add(item.values, records.text_blocks(body), body, item.line)
        if article is not None:  # a record without text: its bytes go with the next one
            yield article, nbytes
            nbytes = 0


def _parse_records(kind: str, path: Path, root: Path, field_map, default_language) -> ParsedFile:
    collector = _Collector(path, root, default_language)
    warnings: list[str] = []
    articles = [a for a, _ in _record_articles(kind, path, collector, warnings, field_map)]
    undecided = {id(article) for article in collector.undecided}
    collector.finish(warnings, "record", "record" if kind == "json" else "line")
    if kind == "jsonl":
        # Those whose language the file's end settles come last, as a streamed file gives
        # them (``stream_file``): the index is the same, its order too ("last indexed first"
        # among articles of one date), whichever way its files were read.
        articles = [a for a in articles if id(a) not in undecided] + collector.undecided
    return ParsedFile(path, articles, warnings)


class _ReadAsItComes:
    """A binary file whose ``read`` gives what one read of it holds (``read1``). The XML
    parser asks for 32 KB at a time: a gzip stream that breaks off raised before giving the
    posts it had read in those 32 KB, which were lost with the break."""

    def __init__(self, handle: io.BufferedIOBase) -> None:
        self._handle = handle

    def read(self, size: int = -1) -> bytes:
        return self._handle.read1(size)


def _parse_wxr(path: Path, root: Path, default_language: str) -> ParsedFile:
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            utf8 = as_utf8(handle)
            stream = utf8 or _ReadAsItComes(handle)
            return _wxr_file(path, root, default_language, stream, utf8=utf8 is not None)
    except wxr.XmlStopped as stopped:
        # Read again, whole, its "&"s as a browser reads them: if that is what stopped the
        # XML, all of it is read now; if not, it stops where it did, saying why.
        try:
            with opener(path, "rb") as handle:
                utf8 = as_utf8(handle)
                data = (utf8 or handle).read()
        except (*READ_ERRORS, UnicodeDecodeError):
            raise stopped from None
        readable = wxr.as_xml_entities(data)
        parsed = _wxr_file(
            path, root, default_language, io.BytesIO(readable), utf8=utf8 is not None, again=True
        )
        if readable != data:
            parsed.warnings.insert(
                0, "HTML entities or bare & that XML does not allow, read as a browser would"
            )
        return parsed
    except READ_ERRORS as exc:  # in its first bytes, before any post
        raise UnreadableFile(read_failure(exc)) from None


def _wxr_file(
    path: Path,
    root: Path,
    default_language: str,
    stream: IO[bytes],
    *,
    utf8: bool,
    again: bool = False,
) -> ParsedFile:
    collector = _Collector(path, root, default_language)
    articles: list[Article] = []
    warnings: list[str] = []
    try:
        for item in wxr.parse_wxr(stream, utf8=utf8, raise_stopped=not again):
            if isinstance(item, str):
                warnings.append(item)
                continue
            blocks = html.blocks_from_html_fragment(item.body_html)
            article = collector.add(item.values, blocks, item.body_html, item.line)
            if article is not None:
                articles.append(article)
    except READ_ERRORS as exc:
        if not articles:
            raise UnreadableFile(read_failure(exc)) from None
        warnings.append(CutShort(f"{read_failure(exc)}; kept the posts before the break"))
    collector.finish(warnings, "post")
    return ParsedFile(path, articles, warnings)


def parse_file(
    path: Path,
    root: Path,
    context: RunContext,
    *,
    field_map: Mapping[str, str] = {},
    default_language: str = DEFAULT_LANGUAGE,
    max_article_file_bytes: int = DEFAULT_MAX_ARTICLE_FILE_BYTES,
) -> ParsedFile:
    """One file's articles. Raises ``UnreadableFile`` with a reason a person understands."""
    field_map = records.checked_field_map(field_map)
    path, root = Path(path), Path(root)
    kind = _kind(path)
    if kind is None:
        raise UnreadableFile(f"not an article format ({_describe_suffix(path)})")
    with _reasons():
        if what := context.export_table(path):
            raise ExportMetadata(what)
        if context.in_substack_export(path):
            return _parse_substack_post(
                path, root, context, default_language, max_article_file_bytes
            )
        if kind == "text" and records.is_article_table(path, field_map):
            # A spreadsheet saved as text: Excel's "Unicode Text" (UTF-16) and "Text (Tab
            # delimited)" write its rows as tab-separated lines in a .txt file.
            kind = "csv"
        if kind in _SINGLE_ARTICLE_KINDS:
            return _parse_single(
                kind, path, root, context, field_map, default_language, max_article_file_bytes
            )
        _sniff_binary(path)
        if kind == "wxr":
            return _parse_wxr(path, root, default_language)
        return _parse_records(kind, path, root, field_map, default_language)


@dataclass
class StreamedFile:
    """A JSON Lines file parsed as it is read: ``articles`` yields each article when its
    record is read, with the bytes of input it stands for (its line, and the blank, bad or
    empty lines before it), and raises ``UnreadableFile`` as ``parse_file`` would, after
    some articles when the error comes part-way. ``warnings`` is complete once
    ``articles`` is exhausted.

    The articles are ``parse_file``'s, in the same order: records too short to detect a
    language in take the language most of the file's articles have, known at the file's
    end, so their articles are held back until then and come last."""

    path: Path
    articles: Iterator[tuple[Article, int]]
    warnings: list[str]
    shown_until: None = None  # records expire by their status, read when the file changes


def stream_file(
    path: Path,
    root: Path,
    context: RunContext,
    *,
    field_map: Mapping[str, str] = {},
    default_language: str = DEFAULT_LANGUAGE,
    max_article_file_bytes: int = DEFAULT_MAX_ARTICLE_FILE_BYTES,
) -> ParsedFile | StreamedFile:
    """A JSON Lines file's articles as they are parsed, so that a large export need not be
    held in memory whole; any other file's, whole, from ``parse_file``."""
    field_map = records.checked_field_map(field_map)
    path, root = Path(path), Path(root)
    if _kind(path) != "jsonl":
        return parse_file(
            path,
            root,
            context,
            field_map=field_map,
            default_language=default_language,
            max_article_file_bytes=max_article_file_bytes,
        )
    warnings: list[str] = []
    articles = _stream_records(path, root, field_map, default_language, warnings)
    return StreamedFile(path, articles, warnings)


def _stream_records(
    path: Path, root: Path, field_map, default_language: str, warnings: list[str]
) -> Iterator[tuple[Article, int]]:
    with _reasons():
        _sniff_binary(path)
        collector = _Collector(path, root, default_language)
        held: list[tuple[Article, int]] = []  # undecided languages, few: settled at the end
        for article, nbytes in _record_articles("jsonl", path, collector, warnings, field_map):
            if article.language:
                yield article, nbytes
            else:
                held.append((article, nbytes))
        collector.finish(warnings, "record", "line")
        yield from held


@contextmanager
def _reasons() -> Iterator[None]:
    """Any error parsing a file as ``UnreadableFile``, with a reason a person understands."""
    try:
        yield
    except UnreadableFile:
        raise
    except MemoryError:
        raise UnreadableFile("too large to parse in memory") from None
    except Exception as exc:  # last resort: one odd file must not stop a whole run
        raise UnreadableFile(
            f"could not be parsed ({type(exc).__name__}: {exc}); please report this"
        ) from exc


class ArticleIds:
    """The ids a run's articles are indexed under, given file after file in the run's
    order. When an article of another file already has an article's id, both are kept:
    the later one is told apart by a ``~N`` suffix, and the run says so, instead of one
    silently replacing the other."""

    def __init__(self) -> None:
        self._files: dict[str, str] = {}  # id: the file its article comes from

    def keep(self, article_id: str, source_file: str) -> None:
        """An id that is taken, whatever the run gives."""
        self._files[article_id] = source_file

    def give(self, given_id: str, source_file: str) -> str:
        """The id an article its file gives ``given_id`` is indexed under: ``given_id``, else
        the first ``given_id~N`` no other article has."""
        article_id, suffix = given_id, 2
        while article_id in self._files:
            article_id = f"{given_id}~{suffix}"
            suffix += 1
        self.keep(article_id, source_file)
        return article_id

    def owner(self, article_id: str) -> str:
        """The file the article indexed under ``article_id`` comes from."""
        return self._files[article_id]

    def assign(self, article: Article, source_file: str) -> str | None:
        """Give ``article`` an id no other article has; the warning to give when it had
        to change it."""
        original = article.id
        article.id = self.give(original, source_file)
        if article.id == original:
            return None
        return f"id {original!r} is also used by {self.owner(original)}; indexed as {article.id!r}"


def parse_paths(
    paths: Sequence[Path],
    *,
    field_map: Mapping[str, str] = {},
    default_language: str = DEFAULT_LANGUAGE,
    max_article_file_bytes: int = DEFAULT_MAX_ARTICLE_FILE_BYTES,
) -> Iterator[ParsedFile | SkippedFile]:
    """Discover, learn the run context, and parse every file; bad files come out skipped.
    Articles have the ids indexing these paths into a new index gives them."""
    field_map = records.checked_field_map(field_map)
    files, skipped = discover([Path(p) for p in paths])
    yield from skipped
    context = build_context(files, max_file_bytes=max_article_file_bytes)
    ids = ArticleIds()
    for path, root in files:
        try:
            parsed = parse_file(
                path,
                root,
                context,
                field_map=field_map,
                default_language=default_language,
                max_article_file_bytes=max_article_file_bytes,
            )
        except UnreadableFile as exc:
            yield SkippedFile.of(path, root, exc)
            continue
        for article in parsed.articles:
            if warning := ids.assign(article, str(path.resolve())):
                parsed.warnings.append(warning)
        yield parsed
