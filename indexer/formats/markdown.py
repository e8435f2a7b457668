"""Markdown posts with YAML (``---``, Jekyll) or TOML (``+++``, Hugo) front matter."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from markdown_it import MarkdownIt

from indexer.formats import fields
from indexer.formats.fields import HTML_TAG_RE, clean_inline
from indexer.formats.html import blocks_from_html_fragment
from indexer.formats.sections import Block, normalize_for_compare

__all__ = ["MarkdownPost", "TomlHandler", "line_keys", "parse_markdown", "strip_shortcodes"]


# Where tomllib says an error is: "Invalid date or datetime (at line 3, column 8)".
_TOML_ERROR_LINE_RE = re.compile(r"\(at line (\d+), column \d+\)")
# Lines of front matter left out before the whole of it is given up as unreadable.
MAX_UNREADABLE_LINES = 5


class TomlHandler(BaseHandler):
    """Hugo's ``+++`` front matter, read with stdlib tomllib (the ``toml`` package is dead)."""

    FM_BOUNDARY = re.compile(r"^\+{3}[ \t]*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str) -> dict[str, Any]:
        return tomllib.loads(fm)

    def load_leniently(self, fm: str) -> tuple[dict[str, Any], list[str]]:
        """The front matter without the lines TOML cannot read, and a warning for each.

        In TOML a date is a literal, so one that cannot exist (``date = 2020-02-30``) is a
        syntax error, which would lose the title and tags with it: the line the error is
        on is left out instead, as a value YAML cannot use is (``_DatesAsWritten``)."""
        lines = fm.split("\n")
        warnings: list[str] = []
        for _ in range(MAX_UNREADABLE_LINES):
            try:
                return tomllib.loads("\n".join(lines)), warnings
            except tomllib.TOMLDecodeError as error:
                where = _TOML_ERROR_LINE_RE.search(str(error))
                number = int(where[1]) if where else 0
                if not 1 <= number <= len(lines) or not lines[number - 1].strip():
                    raise
                reason = _TOML_ERROR_LINE_RE.sub("", str(error)).strip()
                warnings.append(
                    f"front matter line {lines[number - 1].strip()[:80]!r} could not be read "
                    f"({reason}); left out"
                )
                lines[number - 1] = ""  # the other lines keep their numbers
        return tomllib.loads("\n".join(lines)), warnings

    def export(self, metadata: dict[str, object], **kwargs: object) -> str:
        raise NotImplementedError("advosearch only reads front matter")


class _DatesAsWritten(yaml.SafeLoader):
    """YAML's safe loader, with dates and times kept as the text they are written as.

    YAML turns ``2020-02-30`` into a date, and raises on one that cannot exist, which loses
    the whole front matter over one value. As text, a date is read by ``fields.normalize_date``
    as any format's is: a date that cannot be used is dropped alone, with a warning."""


_DatesAsWritten.add_constructor("tag:yaml.org,2002:timestamp", _DatesAsWritten.construct_yaml_str)


class _YamlHandler(YAMLHandler):
    """Jekyll's ``---`` front matter, its dates kept as text (``_DatesAsWritten``)."""

    def load(self, fm: str, **kwargs: object) -> Any:
        return yaml.load(fm, Loader=_DatesAsWritten)

    def load_leniently(self, fm: str) -> tuple[Any, list[str]]:
        return self.load(fm), []  # a value YAML cannot use is text already


_HANDLERS: tuple[_YamlHandler | TomlHandler, ...] = (_YamlHandler(), TomlHandler())

# A figure's caption is article text; the rest of any shortcode is template markup.
_FIGURE_CAPTION_RE = re.compile(
    r"\{\{[<%]\s*figure\b[^}]*?\bcaption\s*=\s*(?:\"([^\"]*)\"|`([^`]*)`|'([^']*)')[^}]*?[>%]\}\}",
    re.S,
)
# Shortcode tags, opening or closing (``{{< x >}}``, ``{{% /x %}}``, ``{{</* x */>}}``). For a
# paired shortcode the inner Markdown is kept: it is usually the text being decorated.
_SHORTCODE_RE = re.compile(r"\{\{[<%].*?[>%]\}\}", re.S)
_LIQUID_RE = re.compile(r"\{%-?.*?-?%\}|\{\{-?.*?-?\}\}", re.S)  # Jekyll/Liquid tags
# Lines of ">" that hold only raw HTML (IFF's ``>>>> <form><script …>``): a widget.
_QUOTED_HTML_LINE_RE = re.compile(r"^[ \t]*(?:>[ \t]*)+<[^\n]*$", re.M)

# Reference-style links: the text is kept, the link target never matters for search. Done
# before rendering because exports often hold definitions markdown-it rejects (spaces in
# the URL), which would otherwise show up verbatim as "[2]: http://…".
_REF_IMAGE_RE = re.compile(r"!\[[^\]\n]*\]\[[^\]\n]*\]")
_REF_LINK_RE = re.compile(r"\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]\[[^\]\n]*\]")
_REF_DEFINITION_RE = re.compile(r"^ {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*\S[^\n]*$", re.M)
# Footnotes (``text.[^1]`` … ``[^1]: According to …``, in Jekyll's kramdown and Hugo's
# goldmark): a footnote's text is article text, its markers are not.
_FOOTNOTE_DEFINITION_RE = re.compile(r"^ {0,3}\[\^([^\]\n]+)\]:[ \t]*", re.M)


class _TextMarkdown(MarkdownIt):
    """markdown-it, for the text its HTML holds: a link is read as a link whatever its URL.

    markdown-it refuses ``file:``, ``javascript:``, ``vbscript:`` and ``data:`` URLs, to keep
    them out of HTML a browser shows, and a refused link stays its raw syntax: "[Privacy Law
    Casebook](file:///Users/…pdf)" would be indexed, and shown in snippets, as written. This
    HTML is only read for its text, never shown, and its URLs are dropped with their tags."""

    def validateLink(self, url: str) -> bool:
        return True


# Indented code blocks are disabled: in CMS exports, indented lines are indented HTML
# (tables, galleries), never code; fenced code blocks still work.
_MARKDOWN = (
    _TextMarkdown("commonmark", {"html": True, "linkify": False}).enable("table").disable("code")
)


def strip_shortcodes(body: str) -> str:
    """Remove Hugo shortcodes and Liquid tags, keeping figure captions as paragraphs."""

    def caption(match: re.Match[str]) -> str:
        text = next((group for group in match.groups() if group), "")
        return f"\n\n{text}\n\n" if text.strip() else ""

    body = _FIGURE_CAPTION_RE.sub(caption, body)
    body = _SHORTCODE_RE.sub("", body)
    return _LIQUID_RE.sub("", body)


@dataclass
class MarkdownPost:
    metadata: dict[str, Any]
    blocks: list[Block]
    warnings: list[str] = field(default_factory=list)


_AS_TEXT = "the file is read as text, without metadata"


def _split_front_matter(text: str) -> tuple[dict[str, Any], str, list[str]]:
    for handler in _HANDLERS:
        if not handler.detect(text):
            continue
        delimiter = handler.START_DELIMITER
        try:
            front, body = handler.split(text)
        except ValueError:
            # No closing line: where the metadata would end is a guess, and a wrong one
            # loses text, so the whole file is read as text.
            warning = f"front matter has no closing {delimiter} line; {_AS_TEXT}"
            # But for what says the post is not shown, which holds it back all the same.
            state = _publication_state(text.split("\n\n", 1)[0])
            hidden = fields.not_published(state) or fields.off_the_site(state)
            return (state if hidden else {}), text, [warning]
        try:
            metadata, warnings = handler.load_leniently(front)
        except Exception as exc:  # YAML/TOML errors come in many types; all mean the same
            # Drop the unreadable block so it is not indexed as text, and say so: it is
            # metadata still, if unreadable.
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            state = _publication_state(front)
            kept = f"only its {', '.join(state)} read" if state else "metadata ignored"
            return state, body, [f"front matter could not be read ({reason}); {kept}"]
        if metadata is None:  # an empty block
            return {}, body, []
        if not isinstance(metadata, dict):
            # Names no value, so it is no metadata: likely a list or a paragraph between two
            # horizontal rules, which Markdown writes as "---" too.
            shape = "a list" if isinstance(metadata, list) else "one value"
            return {}, text, [f"front matter is {shape}, not names with values; {_AS_TEXT}"]
        metadata, complete = fields.bounded(metadata)
        if not complete:
            warnings.append(
                f"front matter holds {fields.PAST_METADATA_BOUNDS}; the rest is left out"
            )
        return metadata, body, warnings
    return {}, text, []


# A line of YAML or TOML front matter that says whether readers are shown the post
# (``fields.not_published``, ``fields.off_the_site``).
_PUBLICATION_LINE_RE = re.compile(
    rf"^({'|'.join(fields.PUBLICATION_KEYS)})[ \t]*[:=][ \t]*(.*?)[ \t]*$",
    re.IGNORECASE | re.MULTILINE,
)


def _publication_state(front: str) -> dict[str, str]:
    """What the lines of front matter that cannot be read whole say of whether the post is
    shown (``draft: true``, a date to come): a draft whose title has a stray colon must
    not be published for it."""
    return {
        key: value.strip("'\"")
        for key, value in _PUBLICATION_LINE_RE.findall(front)
        if value.strip("'\"")
    }


_LINE_MARKERS_RE = re.compile(r"^\s*(?:[#>*+-]+\s*|\d+[.)]\s+)*")


def line_keys(text: str) -> set[str]:
    """Each raw line as the paragraph it renders to, normalised (to learn site chrome)."""
    return {
        key
        for line in text.splitlines()
        if (key := normalize_for_compare(clean_inline(_LINE_MARKERS_RE.sub("", line))))
    }


def _without_footnote_marks(body: str) -> str:
    """``body`` without its footnotes' labels, their texts kept: only the markers of
    footnotes it defines, so ``[^0-9]`` in a text about a regular expression stays."""
    labels = set(_FOOTNOTE_DEFINITION_RE.findall(body))
    if not labels:
        return body
    body = _FOOTNOTE_DEFINITION_RE.sub("", body)
    markers = "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))
    return re.sub(rf"\[\^(?:{markers})\]", "", body)


# CommonMark's line endings: a carriage return with or without a line feed is one too. A file
# saved with CRs alone (old Mac editors) had its front matter read as text.
_LINE_ENDING_RE = re.compile(r"\r\n?")


def parse_markdown(text: str, site_chrome: frozenset[str] = frozenset()) -> MarkdownPost:
    """Front-matter metadata and body blocks of a Markdown post.

    ``site_chrome``: paragraphs the site repeats on many posts (donate buttons, sign-up
    blurbs), learnt by the run context; they are dropped like a scraped page's chrome.
    """
    text = _LINE_ENDING_RE.sub("\n", text.lstrip("\ufeff"))
    metadata, body, warnings = _split_front_matter(text)
    body = strip_shortcodes(body)
    body = _QUOTED_HTML_LINE_RE.sub("", body)
    body = _REF_IMAGE_RE.sub("", body)
    body = _REF_LINK_RE.sub(r"\1", body)
    body = _REF_DEFINITION_RE.sub("", body)
    body = _without_footnote_marks(body)
    try:
        rendered = _MARKDOWN.render(body)
    except RecursionError:  # pathological nesting: index the raw text rather than nothing
        rendered = "<pre>" + body.replace("&", "&amp;").replace("<", "&lt;") + "</pre>"
        warnings.append("Markdown too deeply nested; indexed as plain text")
    blocks = [
        # Raw HTML markdown-it could not pass through (e.g. unquoted attributes containing
        # "=") arrives as escaped text: an HTML tag in article prose is such a leftover. A
        # tag-shaped string that names no HTML element ("about <torture>") is text.
        Block(HTML_TAG_RE.sub(" ", block.text), block.level)
        for block in blocks_from_html_fragment(rendered)
        if block.is_heading or normalize_for_compare(block.text) not in site_chrome
    ]
    return MarkdownPost(metadata=metadata, blocks=blocks, warnings=warnings)
