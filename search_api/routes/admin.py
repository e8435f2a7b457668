"""The editors' ingest API: add, replace and remove articles in the live index.

Off unless ``ADVOSEARCH_ADMIN_TOKEN`` is set; then every call needs
``Authorization: Bearer <token>``, compared in constant time. Each call is one commit, so
readers see all of its changes or none, and the running server serves them at once.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.routing import APIRoute
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from indexer.build import ingest_articles, remove_article
from indexer.errors import (
    AdminDisabled,
    ArticleNotFound,
    InvalidParameter,
    InvalidRequest,
    NotAuthorized,
)
from indexer.formats.fields import (
    MAX_ID_CHARS,
    MAX_NAME_CHARS,
    clean_id,
    clean_list,
    clean_url,
    dated_after_today,
    normalize_date,
    normalize_language,
    relative_address,
    site_address,
)
from indexer.formats.sections import INTRO_ANCHOR, Anchors, slugify
from indexer.languages import article_language, known_languages, translation_key
from indexer.models import Article, Section
from indexer.settings import Settings
from search_api.engine import Engine
from search_api.errors import problem_message
from search_api.models import RequestBody
from search_api.routes.params import json_body

MAX_ARTICLES_PER_CALL = 1000


def require_admin(request: Request) -> None:
    token = request.app.state.settings.admin_token
    expected = token.get_secret_value().strip().encode() if token is not None else b""
    if not expected:  # unset or empty (an empty line in an env file): the API stays off
        raise AdminDisabled("the admin API is off (set ADVOSEARCH_ADMIN_TOKEN to turn it on)")
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected):
        raise NotAuthorized("a valid admin token is required (Authorization: Bearer …)")


class AdminRoute(APIRoute):
    """Checks the token before anything else: FastAPI reads a request's body before it
    runs the route's dependencies, so a caller without the token, or any caller while the
    admin API is off, could otherwise have a body of up to
    ``bodylimit.MAX_INGEST_BODY_BYTES`` read and parsed."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def admin_handler(request: Request) -> Response:
            require_admin(request)
            return await handler(request)

        return admin_handler


router = APIRouter(prefix="/admin", tags=["admin"], route_class=AdminRoute)


# A field that is not one of these is refused, not ignored: "tag" for "tags" would
# otherwise index the article without its tags and say nothing.
class SectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heading: str | None = Field(None, examples=["Democracy under attack"])
    anchor: str | None = Field(None, examples=["democracy-under-attack"])
    text: str = Field(examples=["CPP lost a significant number of seats in 2013."])


class ArticleIn(RequestBody):
    """An article in the shape ``advosearch parse --json`` prints."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=MAX_ID_CHARS, examples=["ifex/cambodia-2018"])
    # Blank is none: stored, it was a result whose link had no words.
    title: Annotated[str, StringConstraints(strip_whitespace=True)] = Field(
        min_length=1, max_length=2000, examples=["Lessons in Resistance"]
    )
    title_derived: bool = Field(
        False,
        description="True when the title is the text's first words, made up for an article "
        "that had none: related stories then do not count it as a title.",
    )
    sections: list[SectionIn] = Field(min_length=1)
    url: str | None = Field(None, examples=["https://ifex.org/lessons-in-resistance/"])
    address: str | None = Field(
        None,
        description="Its address on the site, without url: its link on the site's address "
        "(ADVOSEARCH_SITE_URL) when the server has it.",
        examples=["/2018/07/20/lessons-in-resistance/"],
    )
    date: str | None = Field(None, examples=["2018-07-20"])
    authors: list[str] = Field(default_factory=list, examples=[["IFEX"]])
    tags: list[str] = Field(default_factory=list, examples=[["Cambodia", "elections"]])
    language: str | None = Field(
        None, description="2-letter code; detected from the text when omitted.", examples=["en"]
    )
    source: str = Field("api", examples=["ifex"])
    translation_key: str | None = Field(
        None,
        description="Shared by the translations of one story (by default: the id without "
        "its language code, when it has one, as in en/x and es/x).",
        examples=["lessons-in-resistance"],
    )


def to_article(
    item: ArticleIn, default_language: str, max_text_mb: float, site_url: str | None = None
) -> Article:
    """Checks what the parsers guarantee for files: safe id and URL, ISO date, anchors, no
    more text than a file of one article may hold (``ADVOSEARCH_MAX_ARTICLE_FILE_MB``); an
    address on the site is linked on ``site_url`` (``ADVOSEARCH_SITE_URL``), as a run's
    articles are."""
    if clean_id(item.id) != item.id:
        raise InvalidRequest(
            f"id {item.id!r} may hold only letters, digits and -_.~/:, each / between two "
            "parts that are neither empty nor . or .."
        )
    url = clean_url(item.url) if item.url else None
    if item.url and url is None:
        raise InvalidRequest(f"url must be an absolute http(s) URL (got {item.url!r})")
    address = relative_address(item.address) if item.address else None
    if item.address and address is None:
        raise InvalidRequest(
            f"address must be a path on the site, such as /2018/07/20/x/ (got {item.address!r})"
        )
    if url is None and address and site_url:
        url = site_address(site_url, address)
    date = normalize_date(item.date) if item.date else None
    if item.date and date is None:
        raise InvalidRequest(
            f"date must be an ISO date like 2018-07-29, of a year from 1000 to 2999 (got "
            f"{item.date!r})"
        )
    if not any(section.text.strip() for section in item.sections):
        raise InvalidRequest("no section has any text")
    for name, values in (("tag", item.tags), ("author", item.authors)):
        # Files' longer ones are left out; a caller is told instead.
        if too_long := next((v for v in values if len(v.strip()) > MAX_NAME_CHARS), None):
            raise InvalidRequest(
                f"each {name} may be at most {MAX_NAME_CHARS} characters (got "
                f"{len(too_long.strip())}: {too_long[:40]!r}…)"
            )
    text_mb = sum(len(section.text.encode()) for section in item.sections) / 2**20
    if text_mb > max_text_mb:
        raise InvalidRequest(
            f"its text is {text_mb:.1f} MB, more than an article may hold "
            f"(ADVOSEARCH_MAX_ARTICLE_FILE_MB: {max_text_mb:g})"
        )
    anchors = Anchors()
    sections = []
    for section in item.sections:
        wanted = section.anchor or (slugify(section.heading) if section.heading else INTRO_ANCHOR)
        anchor = anchors.unique(slugify(wanted))
        sections.append(Section(heading=section.heading or None, anchor=anchor, text=section.text))
    given_language = normalize_language(item.language) if item.language else None
    if item.language and given_language not in known_languages():
        raise InvalidRequest(f"language must be a language code like es (got {item.language!r})")
    text = "\n\n".join([item.title, *(section.text for section in sections)])
    language = article_language(given_language, text, default_language)
    return Article(
        id=item.id,
        title=item.title,
        title_derived=item.title_derived,
        sections=sections,
        url=url,
        address=address,
        date=date,
        # As a file's are read: "a; b" is two, and a CSV export's "; " stays a separator.
        authors=clean_list(item.authors),
        tags=clean_list(item.tags),
        language=language,
        source=item.source.strip() or "api",
        translation_key=clean_id(item.translation_key) or translation_key(item.id, language),
    )


def as_list(body: Any) -> list[Any]:
    """One article, or a list of them, as a list."""
    return body if isinstance(body, list) else [body]


# The body is read as a list whatever it is, and each article checked on its own
# (``read_articles``), so that a problem is named by its article. Declared as the union of
# one article and a list, pydantic would try both and report each one's problems in its own
# terms ("ArticleIn.id: Field required; list[ArticleIn]: Input should be a valid list").
ArticlesBody = Annotated[
    list[Any],
    BeforeValidator(as_list, json_schema_input_type=ArticleIn | list[ArticleIn]),
    Body(description="One article or a list."),
]


def read_articles(body: list[Any]) -> list[ArticleIn]:
    """The body's articles; 422 naming each problem by its article, counted from 1."""
    articles, problems = [], []
    for number, item in enumerate(body, 1):
        if not isinstance(item, dict):
            problems.append(f"article {number} is not a JSON object")
            continue
        try:
            articles.append(ArticleIn.model_validate(item))
        except ValidationError as error:
            problems += [
                f"article {number}: {problem_message(problem['loc'], problem)}"
                for problem in error.errors()
            ]
    if problems:
        raise InvalidParameter("; ".join(problems))
    return articles


def serve_new_version(engine: Engine) -> str:
    """Move the engine to the version just committed, so the caller's next read sees its
    write; that version's name."""
    with engine.snapshot() as snapshot:
        return snapshot.version


@router.post(
    "/articles",
    dependencies=[Depends(json_body)],
    summary="Add or replace",
)
async def add_articles(request: Request, body: ArticlesBody) -> dict[str, Any]:
    """Add articles, or replace those with the same ids, in one commit."""
    if not 1 <= len(body) <= MAX_ARTICLES_PER_CALL:
        raise InvalidRequest(f"send between 1 and {MAX_ARTICLES_PER_CALL} articles per call")
    state = request.app.state
    # In a thread: reading a call's articles (their sections, their language) takes the
    # time their text takes, which in the event loop kept every request of the worker
    # waiting.
    articles = await run_in_threadpool(articles_of, body, state.settings)
    await run_in_threadpool(
        ingest_articles, state.engine.index_dir, articles, state.settings.lock_timeout_s
    )
    notes = [
        f"article {number} is dated {article.date}, after today: indexed with that date"
        for number, article in enumerate(articles, 1)
        if dated_after_today(article.date)
    ]
    notes += names_left_out(body)
    return {
        "ids": [a.id for a in articles],
        "index_version": serve_new_version(state.engine),
        "notes": notes,
    }


def names_left_out(body: list[Any]) -> list[str]:
    """What the caller is told of the authors and tags that hold no text once their markup
    is removed ("<img src=x>"), which an article is indexed without, as a file's would be."""
    notes = []
    for number, item in enumerate(body, 1):
        for field, name in (("authors", "author"), ("tags", "tag")):
            for value in item.get(field) or ():
                if value.strip() and not clean_list([value]):  # as to_article reads the list
                    notes.append(
                        f"article {number}: the {name} {value!r} was left out: it holds no "
                        "text once its markup is removed"
                    )
    return notes


def articles_of(body: list[Any], settings: Settings) -> list[Article]:
    """A call's articles, checked; ``InvalidRequest`` naming the first that cannot be taken."""
    articles: list[Article] = []
    for number, item in enumerate(read_articles(body), 1):
        try:
            articles.append(
                to_article(
                    item,
                    settings.default_language,
                    settings.max_article_file_mb,
                    settings.site_url,
                )
            )
        except InvalidRequest as error:
            raise InvalidRequest(f"article {number}: {error}") from None
    first_with_id: dict[str, int] = {}
    for number, article in enumerate(articles, 1):
        if article.id in first_with_id:
            raise InvalidRequest(
                f"articles {first_with_id[article.id]} and {number} have the same id "
                f"{article.id!r}: send one article per id"
            )
        first_with_id[article.id] = number
    return articles


@router.delete("/articles/{article_id:path}", summary="Remove")
async def delete_article(
    request: Request,
    article_id: Annotated[str, Path(examples=["ifex/cambodia-2018"])],
) -> dict[str, Any]:
    """Remove an article and its sections; 404 when there is none."""
    state = request.app.state
    removed = await run_in_threadpool(
        remove_article, state.engine.index_dir, article_id, state.settings.lock_timeout_s
    )
    if removed is None:
        raise ArticleNotFound(f"no article with id {article_id!r}")
    return {"deleted": removed, "index_version": serve_new_version(state.engine)}
