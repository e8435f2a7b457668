"""Atom feeds of saved searches (RFC 4287): the newest matching articles, for feed readers.

Built with ElementTree, which escapes all text. Ids are stable across index updates: the
feed's is derived from its query and filters, an entry's from the article id
(``urn:advosearch:article:{id}``). An entry's ``updated`` is the article's date (a partial
date on its first day); an undated article's is the time it was first indexed, which the
indexer keeps with it, so a later commit does not show it to a feed reader as updated.
An undated article of an index written before that time was kept, and an empty feed, take
the time the index version was committed. The same request on the same version gives the
same bytes.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from indexer.build import FIRST_INDEXED
from indexer.formats.fields import XML_INVALID_RE, partial_date
from indexer.schema import ARTICLE
from search_api.articles import article_link
from search_api.engine import Snapshot
from search_api.search import SearchRequest
from search_api.snippets import plain_snippet

ATOM_NS = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50
MEDIA_TYPE = "application/atom+xml; charset=utf-8"


def committed_at(snapshot: Snapshot) -> datetime:
    """When the snapshot's index version was committed (its table of contents' mtime, read
    when it was opened: the folder may hold another version since, or none)."""
    return datetime.fromtimestamp(snapshot.toc.modified_ns // 1_000_000_000, UTC)


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def article_updated(iso_date: str | None) -> datetime | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` as midnight UTC of its first day."""
    found = partial_date(iso_date)
    return datetime.combine(found[0], datetime.min.time(), UTC) if found else None


def first_indexed_times(snapshot: Snapshot, hits: list[dict[str, Any]]) -> dict[str, datetime]:
    """When each undated article of ``hits`` was first indexed, by id; an article indexed
    before advosearch kept the time has none."""
    times = {}
    for hit in hits:
        if article_updated(hit["date"]) is not None:
            continue
        docnum = snapshot.searcher.document_number(key=hit["id"], kind=ARTICLE)
        if docnum is None:
            continue
        indexed = snapshot.stored_fields(docnum).get("meta", {}).get(FIRST_INDEXED)
        if indexed:
            times[hit["id"]] = datetime.fromisoformat(indexed)
    return times


def feed_id(request: SearchRequest) -> str:
    key = "\x1f".join(
        [
            request.q,
            str(request.date_from or ""),
            str(request.date_to or ""),
            *sorted(request.tags),
            request.source or "",
            request.language or "",
        ]
    )
    return "urn:advosearch:feed:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def entry_id(article_id: str) -> str:
    return "urn:advosearch:article:" + quote(article_id, safe="/")


def feed_title(request: SearchRequest) -> str:
    parts = [f"“{request.q.strip()}”"] if request.q.strip() else ["newest articles"]
    parts += [f"tag {tag}" for tag in request.tags]
    if request.source:
        parts.append(f"source {request.source}")
    if request.language:
        parts.append(f"language {request.language}")
    if request.date_from:
        parts.append(f"from {request.date_from}")
    if request.date_to:
        parts.append(f"to {request.date_to}")
    return "advosearch: " + ", ".join(parts)


def feed_contents(shown: int, total: int) -> str:
    """Which of the matching articles the feed holds: all of them, or the newest."""
    if shown < total:
        return f"Newest {shown:,} of {total:,} matching articles"
    if total == 1:
        return "The one matching article"
    return f"All {total:,} matching articles" if total else "No matching articles"


def atom_feed(
    request: SearchRequest,
    response: dict[str, Any],
    *,
    base_url: str,
    self_url: str,
    alternate_url: str,
    committed: datetime,
    first_indexed: dict[str, datetime],
) -> bytes:
    """The feed document for a /search ``response`` sorted by date.

    An undated article's entry is updated when it was first indexed (``first_indexed``, by
    id), else when the index version was ``committed``.

    ``base_url`` makes article links absolute. An entry's summary is its first section's
    snippet: the matched text, or the article's opening when the query matched elsewhere.
    """
    feed = ET.Element("feed", {"xmlns": ATOM_NS})
    _text(feed, "id", feed_id(request))
    _text(feed, "title", feed_title(request))
    _text(
        feed,
        "subtitle",
        f"{feed_contents(len(response['results']), response['total'])}; query read as "
        f"{response['parsed_query'] or '(everything)'}; "
        + "".join(f"{note}; " for note in response["notes"])
        + f"index version {response['index_version']}.",
    )
    entries = []
    for hit in response["results"]:
        updated = article_updated(hit["date"])
        undated = first_indexed.get(hit["id"], committed)
        entries.append((hit, updated or undated, updated is not None))
    newest = max((updated for _, updated, _ in entries), default=committed)
    _text(feed, "updated", rfc3339(newest))
    ET.SubElement(feed, "link", {"rel": "self", "type": MEDIA_TYPE.split(";")[0], "href": self_url})
    ET.SubElement(feed, "link", {"rel": "alternate", "type": "text/html", "href": alternate_url})
    author = ET.SubElement(feed, "author")
    _text(author, "name", "advosearch")
    _text(feed, "generator", "advosearch")
    for hit, updated, dated in entries:
        entry = ET.SubElement(feed, "entry")
        _text(entry, "id", entry_id(hit["id"]))
        _text(entry, "title", hit["title"] or hit["id"])
        _text(entry, "updated", rfc3339(updated))
        if dated:
            _text(entry, "published", rfc3339(updated))
        ET.SubElement(
            entry,
            "link",
            {"rel": "alternate", "type": "text/html", "href": article_link(hit, base_url)},
        )
        for name in hit["authors"]:
            _text(ET.SubElement(entry, "author"), "name", name)
        for tag in hit["tags"]:
            ET.SubElement(entry, "category", {"term": _clean(tag)})
        summary = plain_snippet(hit["sections"][0]["snippet"]) if hit["sections"] else ""
        if summary:
            _text(entry, "summary", summary).set("type", "text")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _clean(text: str) -> str:
    return XML_INVALID_RE.sub("", text)


def _text(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = _clean(text)
    return element
