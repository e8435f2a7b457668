"""The reader's pages: server-rendered HTML that works without JavaScript.

Every link and form is a plain GET, so the page works with JavaScript off and on any
browser. Article text reaches the templates as plain strings (Jinja escapes it); the only
markup inserted as-is is a snippet rendered by ``Snippet.render``, whose article text is
already escaped and whose only tags are ``<mark>``. No control character reaches the HTML:
the page reads its parameters without them, and every value a template writes is stripped
of any left.

An article's title and its translations link to its page here, never to its original site:
a reader who is watched, or whose network blocks that site, leaves this one only by
choosing the article page's "Original article" link.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from indexer.errors import ArticleNotFound, InvalidRequest
from indexer.formats.fields import normalize_language, partial_date
from indexer.languages import RIGHT_TO_LEFT, known_languages
from search_api.articles import article_page, get_article, related_to_article
from search_api.language_names import language_name
from search_api.negotiation import reader_language
from search_api.routes.head import get_and_head
from search_api.routes.snapshots import CurrentSnapshot
from search_api.search import (
    FACET_LIMIT,
    MAX_QUERY_LENGTH,
    MAX_RESULT_DEPTH,
    MAX_TAG_FILTERS,
    SORT_ORDERS,
    build_search_request,
    day_of,
    search,
)
from search_api.site import route_path, site_link

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")
STYLESHEET = (Path(__file__).parent.parent / "static" / "style.css").read_bytes()
# The stylesheet's address names its content: a browser keeps it for a year and fetches it
# again only once it has changed, under its new address.
STYLESHEET_PATH = f"/static/style.{hashlib.sha256(STYLESHEET).hexdigest()[:12]}.css"
# Control characters are errors in an HTML document (browsers drop or replace them, a NUL
# among them): C0 but tab, line feed and carriage return, DEL, and C1.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
FILTER_PARAMS = ("tag", "source", "lang", "from", "to")
# Parameters that take one value: given twice, the last counts, as in the API.
SINGLE_VALUED = ("q", "page", "sort", "source", "lang", "from", "to")
PAGE_PARAMS = ("q", "page", "sort", *FILTER_PARAMS)
DATE_LABELS = {"from": "From", "to": "To"}
# The parameter each facet of a search's answer filters by.
FACET_PARAMS = {"tags": "tag", "source": "source", "language": "lang"}
PAGE_SIZE = 10
FACET_SHOWN = 10  # values of a facet listed at first; the others behind "N more"
NEIGHBOUR_PAGES = 2  # pages linked on either side of the current one, with the first and last
DEEPEST_PAGE = MAX_RESULT_DEPTH // PAGE_SIZE


def plain_date(iso: str | None) -> str:
    """'2018-07-29' -> '29 July 2018'; partial dates stay partial; unknown -> ''; any
    other text as it is."""
    if not iso:
        return ""
    found = partial_date(iso)
    if found is None:
        return iso
    day, parts = found
    if parts == 3:
        return f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    year = iso[:4]  # as written: 0999 stays 0999
    return f"{MONTHS[day.month - 1]} {year}" if parts == 2 else year


def reader_page(text: str) -> int:
    """The page a reader asked for: a positive whole number, else 1, so a link cut short or
    mistyped still shows results. Any page past the deepest reads as the one after it."""
    digits = text.lstrip("0")
    if not (digits.isascii() and digits.isdigit()):
        return 1
    if len(digits) > len(str(DEEPEST_PAGE)):  # int() refuses numbers of 4,300+ digits
        return DEEPEST_PAGE + 1
    return min(int(digits), DEEPEST_PAGE + 1)


def page_numbers(current: int, last: int) -> list[int | None]:
    """The pages a results page links by number: the first, the last, and those next to
    ``current``; None where pages between are left out (a single page is listed: "…" would
    take its place). The last is reached in a click."""
    shown = {1, last, *range(current - NEIGHBOUR_PAGES, current + NEIGHBOUR_PAGES + 1)}
    numbers: list[int | None] = []
    previous = 0
    for page in sorted(n for n in shown if 1 <= n <= last):
        if page == previous + 2:
            numbers.append(previous + 1)
        elif page > previous + 2:
            numbers.append(None)
        numbers.append(page)
        previous = page
    return numbers


def heading_label(heading: str) -> str:
    """A section's heading before its snippet: followed by a colon, unless it ends in
    punctuation of its own, in any script ("What happened?", "发生了什么？")."""
    if heading and unicodedata.category(heading[-1]) == "Po":
        return heading
    return f"{heading}:"


def as_sentence(note: str) -> str:
    """An answer's note as the page's other messages read: a capital first, a full stop
    last (the API's notes are clauses: "no article matches all the words; …")."""
    if not note:
        return note
    ending = "" if unicodedata.category(note[-1]) == "Po" else "."
    return f"{note[0].upper()}{note[1:]}{ending}"


_AUTHOR_SEARCH_RE = re.compile(r'author:(?:"(?P<quoted>[^"]+)"|(?P<word>\S+))')


def author_searched(query: str) -> str | None:
    """The name a query searches the authors for (``author:Haddad``, ``author:"Ana Pérez"``),
    when that is all it is: the page offers "the articles by" the name, not the syntax."""
    match = _AUTHOR_SEARCH_RE.fullmatch(query)
    return match and (match.group("quoted") or match.group("word"))


def text_direction(language: str | None) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


def without_controls(value: Any) -> Any:
    """Every value a template writes, without control characters (markup stays markup)."""
    if isinstance(value, Markup):
        return Markup(CONTROL_CHARACTERS.sub("", str(value)))
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    return value


def usable_date(value: str, *, last: bool = False) -> date:
    """The day a date field's ``value`` names: any ISO form (the page reads 20180729 as
    2018-07-29, where the API wants the latter), or a month or a year as the API reads them
    (``last``: to their last day). ValueError if none."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return day_of(value, last=last)


def date_problem(value: str) -> str | None:
    """Why the search cannot use ``value`` as a date, in a reader's words; None if it can."""
    try:
        usable = usable_date(value).isoformat()
    except ValueError:
        return "is not a date like 2018-07-29"
    try:
        build_search_request(date_from=usable)
    except InvalidRequest:
        return "is too far in the future"
    return None


def reader_value(text: str) -> str:
    """A parameter as the page reads it: a control character separates words, as the
    analyzer reads it, so ``a%00b`` is ``a b`` and ``%00`` alone is nothing."""
    return CONTROL_CHARACTERS.sub(" ", text).strip()


# Set before any template is compiled: Jinja writes finalize into the compiled code.
templates.env.finalize = without_controls
templates.env.filters["plain_date"] = plain_date
templates.env.filters["as_sentence"] = as_sentence


@pass_context
def site(context: Context, path: str) -> str:
    """A link to one of the site's pages (``/…``), under the path it is served under."""
    return site_link(context["request"].scope, path)


templates.env.globals["site"] = site
templates.env.globals["article_page"] = article_page
templates.env.globals["text_direction"] = text_direction
templates.env.globals["page_numbers"] = page_numbers
templates.env.globals["heading_label"] = heading_label
templates.env.globals["author_searched"] = author_searched
templates.env.globals["language_name"] = language_name
templates.env.globals["STYLESHEET_PATH"] = STYLESHEET_PATH
templates.env.globals["FACET_SHOWN"] = FACET_SHOWN
# A paragraph pasted into the search box is cut where a query ends, not refused on submit.
templates.env.globals["MAX_QUERY_LENGTH"] = MAX_QUERY_LENGTH
# A search counts the most common tags only, this many: a full list may hide more.
templates.env.globals["TAG_FACET_LIMIT"] = FACET_LIMIT


@dataclass(frozen=True)
class IgnoredFilter:
    """A filter the page could not use as given, why, in a reader's words, and what to do
    instead (or how it was read instead)."""

    reason: str
    instead_link: str = ""
    instead_text: str = ""


# The page's filters a reader may type in the search box as fields, as the API's notes
# name them (``search_api.query.FILTER_NAMES``): each, the parameters it sets.
_TYPED_FILTERS = {
    "source": ("source",),
    "lang": ("lang",),
    "language": ("lang",),
    "from": ("from",),
    "to": ("to",),
    "year": ("from", "to"),
    "date": ("from", "to"),
}
_TYPED_FILTER_RE = re.compile(
    rf'(?<![\w-])(?P<name>{"|".join(_TYPED_FILTERS)}):(?:"(?P<quoted>[^"]*)"|(?P<word>[^\s()"]+))',
    re.IGNORECASE,
)


class PageState:
    """The current query string, and links that change one part of it.

    The page is lenient, as it is with ``page`` and ``sort``: a filter it cannot use (a date
    that is no date, From after To, a language that is no language code) is left out of the
    search and of every link and form, and listed in ``ignored`` with the reason. Left in,
    it would make every later search from this page fail the same way.
    """

    def __init__(self, params: list[tuple[str, str]]) -> None:
        # Only the page's own parameters: any other would be carried into every link, a
        # marker that follows the reader from a shared link through each click.
        cleaned = [(k, reader_value(v)) for k, v in params if k in PAGE_PARAMS]
        last = {k: i for i, (k, _) in enumerate(cleaned) if k in SINGLE_VALUED}
        self.params = [
            (k, v) for i, (k, v) in enumerate(cleaned) if v != "" and last.get(k, i) == i
        ]
        self.ignored: list[IgnoredFilter] = []
        self._read_filters_typed_in_the_query()
        self._drop_unusable_filters()

    def _read_filters_typed_in_the_query(self) -> None:
        """A filter typed in the search box as a field ("source:amnesty", "lang:es",
        "year:2020") is the filter on this page, and said: a reader has no other way to ask
        for it but the facets. (The API searches it as words, with a note naming the
        parameter.) One of a filter already given, or excluded ("-source:x"), stays in
        the query."""
        query = self.get("q")
        moved: list[str] = []

        def take(match: re.Match[str]) -> str:
            names = _TYPED_FILTERS[match.group("name").lower()]
            value = reader_value(match.group("quoted") or match.group("word") or "")
            if not value or any(self.get(name) for name in names):
                return match.group(0)
            self.params.extend((name, value) for name in names)
            moved.append(match.group(0))
            return " "

        rest = _TYPED_FILTER_RE.sub(take, query)
        if moved:
            self.params = [(k, " ".join(rest.split()) if k == "q" else v) for k, v in self.params]
            self.params = [(k, v) for k, v in self.params if v != ""]
            typed = ", ".join(f"“{filter_typed}”" for filter_typed in moved)
            self.ignored.append(IgnoredFilter(f"{typed} in the search was read as a filter."))

    def _drop_unusable_filters(self) -> None:
        query = self.get("q")
        if len(query) > MAX_QUERY_LENGTH:
            # A link (a shared one, one typed by hand) can hold more than the box takes:
            # searched whole it would be refused on every search from this page.
            cut = query[:MAX_QUERY_LENGTH]
            inside_a_word = not (query[MAX_QUERY_LENGTH].isspace() or cut[-1].isspace())
            if inside_a_word and " " in cut.strip():
                cut = cut.rsplit(None, 1)[0]  # at a word's end, not inside one
            self.params = [(k, cut.strip() if k == "q" else v) for k, v in self.params]
            self.ignored.append(
                IgnoredFilter(
                    f"The search was cut to its first {len(cut.strip()):,} characters: a "
                    f"search is at most {MAX_QUERY_LENGTH:,}."
                )
            )
        extra_tags = self.all("tag")[MAX_TAG_FILTERS:]
        if extra_tags:
            tags_seen = 0
            kept = []
            for name, value in self.params:
                tags_seen += name == "tag"
                if name != "tag" or tags_seen <= MAX_TAG_FILTERS:
                    kept.append((name, value))
            self.params = kept
            self.ignored.append(
                IgnoredFilter(
                    f"Only the first {MAX_TAG_FILTERS} tag filters were kept: "
                    f"{len(extra_tags):,} more were ignored."
                )
            )
        typed = {name: self.get(name) for name in DATE_LABELS}
        for name, label in DATE_LABELS.items():
            value = typed[name]
            if not value:
                continue
            if problem := date_problem(value):
                self._ignore(name, f"The {label} date was ignored: “{value}” {problem}.")
            else:  # as the date field shows it: 20180729 is 2018-07-29, to=2018 2018-12-31
                usable = usable_date(value, last=name == "to").isoformat()
                self.params = [(k, usable if k == name else v) for k, v in self.params]
        start, end = self.get("from"), self.get("to")
        if start and end and date.fromisoformat(start) > date.fromisoformat(end):
            # The dates as typed, swapped, each then read as its new field reads it: from
            # 2022 to 2019 is from 2019-01-01 to 2022-12-31.
            swapped_start = usable_date(typed["to"]).isoformat()
            swapped_end = usable_date(typed["from"], last=True).isoformat()
            self.ignored.append(
                IgnoredFilter(
                    f"The dates were ignored: From ({plain_date(start)}) is later than To "
                    f"({plain_date(end)}).",
                    self.link(drop=("from", "to"), add={"from": swapped_start, "to": swapped_end}),
                    f"Search from {plain_date(swapped_start)} to {plain_date(swapped_end)} instead",
                )
            )
            self.params = [(k, v) for k, v in self.params if k not in ("from", "to")]
        language = self.get("lang")
        if language:
            try:
                read = build_search_request(language=language).language
            except InvalidRequest:
                # A region's code ("es-MX", as a browser names its language: articles are
                # filtered by language) or a language's name ("Spanish") is read as its
                # language's code, and said; the API refuses them, naming the code.
                read = normalize_language(language)
                if read in known_languages():
                    self.ignored.append(
                        IgnoredFilter(
                            f"The language filter “{language}” was read as "
                            f"{language_name(read)} ({read})."
                        )
                    )
                else:
                    read = None
                    self._ignore(
                        "lang",
                        f"The language filter was ignored: “{language}” is not a language "
                        "code like es.",
                    )
            if read:  # as the search reads it, so the filter is named and shown alike: EN is en
                self.params = [(k, read if k == "lang" else v) for k, v in self.params]
        order = self.get("sort")
        if order and order not in SORT_ORDERS:
            self._ignore(
                "sort",
                f"The order “{order}” was ignored: results are by relevance, or newest first "
                "(sort=date).",
            )

    def _ignore(self, name: str, reason: str) -> None:
        self.ignored.append(IgnoredFilter(reason))
        self.params = [(k, v) for k, v in self.params if k != name]

    def get(self, name: str) -> str:
        return next((v for k, v in self.params if k == name), "")

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.params if k == name]

    def link(
        self,
        *,
        drop: tuple[str, ...] = (),
        add: dict[str, str] | None = None,
        remove: tuple[str, str] | None = None,
    ) -> str:
        """``/`` with this page's parameters, minus ``drop`` and ``remove``, plus ``add``.

        Any change of query or filters goes back to page 1.
        """
        kept = [
            (k, v) for k, v in self.params if k not in drop and k != "page" and (k, v) != remove
        ]
        for key, value in (add or {}).items():
            if (key, value) not in kept:
                kept.append((key, value))
        return "/?" + urlencode(kept) if kept else "/"

    def facet_link(self, facet: str, value: str) -> tuple[str, bool]:
        """The link that narrows the results to a facet's value, and whether they already
        are, when the link takes that filter off instead. A year keeps the part of it that
        the dates in use cover (with From 2018-06-01, 2018 is June to December): the count
        beside it is what its link finds."""
        if facet == "year":
            start = max(f"{value}-01-01", self.get("from"))  # ISO dates sort as strings
            end = min(f"{value}-12-31", self.get("to") or f"{value}-12-31")
            if (self.get("from"), self.get("to")) == (start, end):
                return self.link(drop=("from", "to")), True
            return self.link(drop=("from", "to"), add={"from": start, "to": end}), False
        param = FACET_PARAMS[facet]
        if param == "tag":  # tags add up: each one more narrows the results
            if value in self.all(param):
                return self.link(remove=(param, value)), True
            return self.link(add={param: value}), False
        if self.get(param) == value:
            return self.link(drop=(param,)), True
        return self.link(drop=(param,), add={param: value}), False

    def page_link(self, page: int) -> str:
        kept = [(k, v) for k, v in self.params if k != "page"]
        if page > 1:
            kept.append(("page", str(page)))
        return "/?" + urlencode(kept)

    def feed_link(self) -> str:
        """The Atom feed of this search: its query and filters, newest first."""
        kept = [(k, v) for k, v in self.params if k == "q" or k in FILTER_PARAMS]
        return "/feed.atom?" + urlencode(kept) if kept else "/feed.atom"

    def feed_title(self) -> str:
        q = self.get("q")
        filtered = " (filtered)" if self.applied_filters else ""
        return (f"Newest articles for “{q}”" if q else "Newest articles") + filtered

    @property
    def applied_filters(self) -> list[tuple[str, str]]:
        return [(k, v) for k, v in self.params if k in FILTER_PARAMS]


@get_and_head(router, "/", response_class=HTMLResponse)
async def search_page(request: Request, snapshot: CurrentSnapshot) -> HTMLResponse:
    # Parameters are read from the query string as PageState cleans them, so the page
    # searches for what it shows and its links carry.
    state = PageState(list(request.query_params.multi_items()))
    q = state.get("q")
    sort = "date" if state.get("sort") == "date" else "relevance"
    context: dict[str, Any] = {"q": q, "state": state, "sort": sort, "response": None}
    # Known without a search thread once read (``Snapshot.counts_if_read``): the page
    # without a query then opens even while searches keep the threads busy.
    counts = snapshot.counts_if_read()
    context["article_count"] = (
        counts[0] if counts else await snapshot.run(lambda: snapshot.article_count)
    )
    # A filter that was ignored still makes this a search: its results say so. Newest first
    # with no query is the archive's latest articles.
    if not (q or state.applied_filters or state.ignored or sort == "date"):
        return templates.TemplateResponse(request, "search.html", context)
    wanted_page = reader_page(state.get("page"))
    # Every parameter is one PageState made usable: a request it refuses is a fault here,
    # and the one error handler answers it.
    search_request = build_search_request(
        q=q,
        # Past the deepest page, page 1 is searched: the total and facets are the same.
        page=wanted_page if wanted_page <= DEEPEST_PAGE else 1,
        page_size=PAGE_SIZE,
        date_from=state.get("from") or None,
        date_to=state.get("to") or None,
        tags=state.all("tag"),
        source=state.get("source"),
        language=state.get("lang"),
        sort=sort,
        group_translations=True,
        group_versions=True,
        reader_language=reader_language(
            request.headers.get("accept-language", ""), snapshot.languages
        ),
    )
    budget = request.app.state.settings.search_time_budget_s
    response = await snapshot.run(search, snapshot, search_request, budget)
    page_count = -(-response["total"] // PAGE_SIZE)
    # The last page a reader can open: past DEEPEST_PAGE, the results go on unseen.
    last_page = max(1, min(page_count, DEEPEST_PAGE))
    context.update(
        response=response,
        page_count=page_count,
        last_page=last_page,
        past_last_page=response["total"] > 0 and wanted_page > last_page,
        results_beyond_last_page=page_count > last_page,
    )
    return templates.TemplateResponse(
        request, "search.html", context, headers={"Vary": "Accept-Language"}
    )


@get_and_head(router, STYLESHEET_PATH)
async def stylesheet() -> Response:
    return Response(
        STYLESHEET,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


NO_ARTICLE_ID = "this address names no article: an article's page is /a/ and its id"


@get_and_head(router, "/a", response_class=HTMLResponse)
async def no_article_page(request: Request) -> HTMLResponse:
    # Without this route, /a redirects to /a/, an empty id.
    return error_page(request, 404, NO_ARTICLE_ID)


@get_and_head(router, "/a/{article_id:path}", response_class=HTMLResponse)
async def show_article(
    request: Request, snapshot: CurrentSnapshot, article_id: str
) -> HTMLResponse:
    if not article_id:
        return error_page(request, 404, NO_ARTICLE_ID)

    def load() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        article = get_article(snapshot, article_id)
        return article, related_to_article(snapshot, article, limit=5)

    try:
        article, related_stories = await snapshot.run(load)
    except ArticleNotFound as error:
        return error_page(request, 404, str(error))
    context = {"q": "", "state": PageState([]), "article": article, "related": related_stories}
    return templates.TemplateResponse(request, "article.html", context)


# What an error page is titled, in a reader's words.
ERROR_TITLES = {
    400: "This request cannot be answered",
    401: "Not authorized",
    404: "Not found",
    405: "This address does not take this request",
    409: "The archive has changed",
    422: "This request cannot be answered",
    429: "Too many requests",
    500: "Something went wrong",
    503: "The archive is not available right now",
}


def error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> HTMLResponse:
    """An error as a page of the site, for a reader's browser (``errors.py`` decides who gets
    one): its title, the message, a way to try again when waiting helps, the search box.

    On the reader's page the search box keeps the reader's query and filters; a request
    that can be sent again unchanged (GET, rate limited or the archive busy) gets a link to
    itself, kept on this site whatever its path holds.
    """
    on_search_page = route_path(request.scope) == "/"
    state = PageState(list(request.query_params.multi_items()) if on_search_page else [])
    retry_link = ""
    if status in (429, 503) and request.method in ("GET", "HEAD"):
        # Quoted, so a path like //other.example or /\other.example stays a path here.
        retry_link = "/" + quote(request.url.path.lstrip("/"))
        if request.url.query:
            retry_link += "?" + request.url.query
    context = {
        "q": state.get("q"),
        "state": state,
        "sort": "date" if state.get("sort") == "date" else "relevance",
        "title": ERROR_TITLES.get(status) or HTTPStatus(status).phrase,
        "message": message.rstrip("."),
        "retry_link": retry_link,
    }
    return templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
