"""Request and response shapes, for validation and for the OpenAPI document at
/openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, model_validator

from indexer.formats.fields import without_surrogates

# A date, or empty (as a form's empty date field: "no limit"), or absent.
OPTIONAL_DATE: dict = {
    "anyOf": [
        {"type": "string", "format": "date"},
        {"type": "string", "pattern": "^[0-9]{4}(-[0-9]{2})?$"},  # a year or a month
        {"type": "string", "maxLength": 0},
        {"type": "null"},
    ]
}


class MatchedSection(BaseModel):
    heading: str | None = Field(description="The section heading; null for the intro.")
    anchor: str = Field(description="Fragment id of the section within the article page.")
    snippet: str = Field(
        description="About 160-300 characters of the section, HTML-escaped, with each match "
        "wrapped in <mark>."
    )


class Translation(BaseModel):
    language: str
    id: str
    title: str
    url: str | None


class Version(BaseModel):
    id: str
    title: str
    date: str | None
    url: str | None
    language: str
    translations: list[Translation] = Field(
        default_factory=list,
        description="This version in other languages (with group_translations).",
    )


class ArticleHit(BaseModel):
    id: str
    title: str
    title_derived: bool = Field(description="True when the source had no title.")
    url: str | None
    date: str | None = Field(description="ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD).")
    authors: list[str]
    tags: list[str]
    source: str
    language: str
    score: float | None = Field(description="Relevance score; null when sorted by date.")
    sections: list[MatchedSection]
    translations: list[Translation] = Field(
        default_factory=list,
        description="The same story in other languages (shown as this one result).",
    )
    versions: list[Version] = Field(
        default_factory=list,
        description="Other versions of this text among the page's results, ranked below "
        "it (with group_versions).",
    )
    shared_terms: list[str] | None = Field(
        default=None, description="Related stories only: the words that make it related."
    )
    partial: bool = Field(
        default=False,
        description="True when the article has only some of the query's words: an answer "
        "filled with partial matches lists them after those that have every word.",
    )


class FacetValue(BaseModel):
    value: str
    count: int


class Facets(BaseModel):
    tags: list[FacetValue]
    source: list[FacetValue]
    language: list[FacetValue]
    year: list[FacetValue]


class SearchResponse(BaseModel):
    query: str
    parsed_query: str = Field(
        description="How the query was read (analysed terms); each language's reading, "
        "`en: … | es: …`, when the archive's languages read it differently."
    )
    total: int = Field(
        description="Exact number of results: matching articles, the translations of one "
        "story counted once (facets count articles)."
    )
    page: int
    page_size: int
    results: list[ArticleHit]
    facets: Facets
    suggestion: str | None = Field(description="A corrected query when few articles match.")
    partial: bool = Field(
        description="True when results are not an exact all-words answer (see notes): partial "
        "matches fill the page, or the search ran out of time."
    )
    timed_out: bool = Field(
        description="True when the search's time budget cut it short: more articles may "
        "match; send the request again."
    )
    notes: list[str]
    index_version: str
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same q, filters, sort and page_size) for the "
        "next page; null on the last page, and on a page cut short by the time budget (send "
        "the request again)."
    )
    took_ms: float


class RelatedResponse(BaseModel):
    results: list[ArticleHit]
    index_version: str
    notes: list[str] = Field(
        description="As /search's notes for the same filters: a source the archive has no "
        "article from, results dated only by a year or month that goes on past `to`, a "
        "parameter the endpoint does not take (ignored)."
    )


class Section(BaseModel):
    heading: str | None
    anchor: str
    text: str


class ArticleResponse(BaseModel):
    id: str
    title: str
    title_derived: bool
    url: str | None
    date: str | None
    authors: list[str]
    tags: list[str]
    source: str
    language: str
    sections: list[Section]
    translations: list[Translation]
    index_version: str


class HealthResponse(BaseModel):
    ok: bool
    articles: int
    sections: int
    index_version: str


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


class CountRow(BaseModel):
    start: str | None = Field(
        description="First day of the interval (YYYY-MM-DD; weeks start on Monday); null for "
        "the bucket of articles without a date.",
        examples=["2020-08-01"],
    )
    count: int = Field(description="Matching articles published in the interval.")
    share: float = Field(
        description="count / all articles the same filters admit in the interval (0 when "
        "there are none), rounded to 6 decimals."
    )
    approximate: int = Field(
        description="Of count, the articles dated only by a year or a month that begins in "
        "the interval: counted on its first day, they may belong to a later interval of it "
        "(a year-dated article in a month or week count; a month-dated one in a week or day "
        "count). 0 in a year count."
    )


class CountsResponse(BaseModel):
    query: str
    parsed_query: str = Field(
        description="How the query was read (analysed terms); each language's reading, "
        "`en: … | es: …`, when the archive's languages read it differently."
    )
    interval: Literal["day", "week", "month", "year"]
    counts: list[CountRow] = Field(
        description="Every interval from `from` (or the first article) to `to` (or the last), "
        "empty ones with 0; then the undated bucket when the filters admit undated articles."
    )
    total: int = Field(
        description="Matching articles, the sum of the counts: /search's total with "
        "group_translations=false."
    )
    partial: bool
    notes: list[str]
    index_version: str


class RequestBody(BaseModel):
    """A JSON request body. JSON can escape half of a UTF-16 pair (``"\\ud800"``), which is
    no character: Python holds it in a string that cannot be encoded, so the index, and
    every answer showing it, failed on it. As in a file, it is read as U+FFFD."""

    @model_validator(mode="before")
    @classmethod
    def _without_surrogates(cls, data: Any) -> Any:
        try:
            return without_surrogates(data)
        except RecursionError:
            # Lists in lists hundreds deep: no value this API takes is nested so.
            raise ValueError("nested too deeply") from None


class DateRange(RequestBody):
    """The from/to filter, as in /search, for request bodies."""

    date_from: str | None = Field(
        None,
        alias="from",
        description="Earliest date (inclusive).",
        examples=["2016-01-01"],
        json_schema_extra=OPTIONAL_DATE,
    )
    date_to: str | None = Field(
        None,
        alias="to",
        description="Latest date (inclusive).",
        examples=["2021-12-31"],
        json_schema_extra=OPTIONAL_DATE,
    )


class BatchQuery(DateRange):
    """One query of a batch, with the same syntax and filters as /search."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [{"q": '"internet shutdown"', "from": "2016-01-01", "tag": ["india"]}]
        },
    )

    q: str = Field("", description="The query, as in /search.", examples=["Hun Sen"])
    tag: list[str] | str | None = Field(
        default_factory=list,
        description="Tag or tags (all must hold); null, as an empty list, filters nothing.",
        examples=[["india"]],
    )
    source: str | None = Field(None, description="Only this source.", examples=["globalvoices"])
    language: str | None = Field(
        None,
        alias="lang",
        description="Only articles in this language, the query analysed in it.",
        examples=["es"],
    )
    sort: Literal["relevance", "date"] = Field(
        "relevance", description="relevance or date (newest first).", examples=["relevance"]
    )


class BatchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "queries": [
                        {"q": "Hun Sen"},
                        {"q": '"internet shutdown"', "from": "2016-01-01"},
                        {"q": "surveillance", "source": "amnesty", "tag": ["privacy"]},
                    ],
                    "limit": 10,
                }
            ]
        },
    )

    queries: list[BatchQuery] = Field(
        description="1 to 100 queries.", json_schema_extra={"minItems": 1, "maxItems": 100}
    )
    limit: StrictInt = Field(
        10,
        description="How many top article ids per query (1-100).",
        examples=[10],
        json_schema_extra={"minimum": 1, "maximum": 100},
    )


class BatchResult(BaseModel):
    q: str
    parsed_query: str
    total: int = Field(
        description="Matching articles, each translation counted: as /search counts them "
        "with group_translations=false (by default /search counts each story once)."
    )
    ids: list[str] = Field(
        description="The top article ids, in /search's order, translations each listed "
        "(as with group_translations=false)."
    )
    partial: bool
    notes: list[str] = Field(
        description="As /search's: where the query was read otherwise than written (a quote "
        "left open, a filter written as a field), and why the answer is partial."
    )


class BatchResponse(BaseModel):
    results: list[BatchResult] = Field(description="One per query, in the order sent.")
    index_version: str


# A draft's field sent as null is read as absent, as its filters are: an editor's tool may
# send a draft without a title as "title": null.
DraftText = Annotated[
    str,
    BeforeValidator(
        lambda value: "" if value is None else value, json_schema_input_type=str | None
    ),
]
ArticleIds = Annotated[
    list[str],
    BeforeValidator(
        lambda value: [] if value is None else value, json_schema_input_type=list[str] | None
    ),
]


class DraftRequest(DateRange):
    """A draft that is not in the archive (and is not added to it)."""

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "examples": [
                {
                    "title": "Journalists detained ahead of Cambodia's vote",
                    "text": "Police in Phnom Penh detained two reporters covering the "
                    "elections and seized their notebooks.",
                    "exclude": ["gv/cambodia-press"],
                    "from": "2016-01-01",
                    "limit": 5,
                }
            ]
        },
    )

    title: DraftText = Field(
        "",
        description="The draft's title (at most 1,000 characters), plain or HTML; null, as "
        "no title.",
        examples=["Journalists detained ahead of Cambodia's vote"],
    )
    language: str | None = Field(
        None,
        alias="lang",
        description="The draft's language, a code such as es (as /search's lang): its words "
        "are analysed in it and related stories are in it. Detected from its text if omitted.",
        examples=["en"],
    )
    text: DraftText = Field(
        "",
        description="The draft's text (at most 200,000 characters), plain or HTML (as a CMS "
        "holds it: read as an article's body is, its tags, scripts, styles and addresses no "
        "words of it); null, as no text.",
        examples=["<p>Police in Phnom Penh detained two reporters covering the elections.</p>"],
    )
    exclude: ArticleIds = Field(
        default_factory=list,
        description="Article ids not to suggest (e.g. already linked); null, as none.",
        examples=[["gv/cambodia-press"]],
    )
    tag: list[str] | str | None = Field(
        default_factory=list,
        description="Tag or tags (all must hold); null, as an empty list, filters nothing.",
        examples=[["Cambodia"]],
    )
    source: str | None = Field(
        None, description="Only stories from this source, as /search's.", examples=["globalvoices"]
    )
    limit: StrictInt = Field(
        5,
        description="How many stories (1-50).",
        examples=[5],
        json_schema_extra={"minimum": 1, "maximum": 50},
    )


class DraftRelatedResponse(BaseModel):
    results: list[ArticleHit] = Field(
        description="Related stories, most related first, each with its shared_terms and "
        "best matching section."
    )
    terms: list[str] = Field(
        description="The draft's distinctive words the search used (how the draft was read)."
    )
    language: str = Field(
        description="The language the draft was read in, and its stories are in: `lang`, "
        "else detected (a draft too short or too mixed to tell for sure is in the likeliest "
        "of the archive's languages if the detector leans clearly to it, else in the "
        "default language, or the archive's commonest if it has none in that one).",
        examples=["es"],
    )
    notes: list[str] = Field(
        description="As /search's notes for the same filters: a language or source the archive "
        "has no article in or from, results dated only by a year or month that goes on past "
        "`to`; and a draft with no word to relate stories by.",
        examples=[["the archive has no article in français (fr)"]],
    )
    index_version: str
