"""Response shapes, for validation and for the OpenAPI document at /openapi.json."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MatchedSection(BaseModel):
    heading: str | None = Field(description="The section heading; null for the intro.")
    anchor: str = Field(description="Fragment id of the section within the article page.")
    snippet: str = Field(
        description="About 160-300 characters of the section, HTML-escaped, with each match "
        "wrapped in <mark>."
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
    shared_terms: list[str] | None = Field(
        default=None, description="Related stories only: the words that make it related."
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
    parsed_query: str = Field(description="How the query was read (analysed terms).")
    total: int = Field(description="Exact number of matching articles.")
    page: int
    page_size: int
    results: list[ArticleHit]
    facets: Facets
    suggestion: str | None = Field(description="A corrected query when few articles match.")
    partial: bool = Field(
        description="True when results are not an exact all-words answer (see notes)."
    )
    notes: list[str]
    index_version: str
    took_ms: float


class RelatedResponse(BaseModel):
    results: list[ArticleHit]
    index_version: str


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
