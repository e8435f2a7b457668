"""What a request's headers ask for: HTML or JSON (``Accept``), and which language
(``Accept-Language``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence


def weighted_values(header: str) -> Iterator[tuple[str, float]]:
    """Each value of an ``Accept``-style header (``Accept``, ``Accept-Language``) with its
    weight (``q``, 1 when not given, 0 when unreadable), lowercased, in the order given."""
    for item in header.lower().split(","):
        value, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, given = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(given)
                except ValueError:
                    weight = 0.0
        yield value, weight


def wants_html(accept: str) -> bool:
    """Whether ``accept`` asks for HTML before JSON, as a browser's does
    (``text/html,application/xhtml+xml,…,*/*;q=0.8``); ``*/*`` alone is an API client's."""
    html = json = 0.0
    for media_type, quality in weighted_values(accept):
        if media_type in ("text/html", "application/xhtml+xml"):
            html = max(html, quality)
        elif media_type == "application/json":
            json = max(json, quality)
    return html > 0 and html >= json


def reader_language(accept_language: str, languages: Sequence[str]) -> str | None:
    """Of the languages a browser says its reader reads (``Accept-Language``, best first),
    the first that the archive has articles in: the one a story is shown in, when it can
    be. Only the page reads it: an API answer is the same whoever asks."""
    if len(languages) < 2:
        return None  # no story has versions in several languages to choose from
    wanted: list[tuple[float, str]] = []
    for tag, weight in weighted_values(accept_language):
        code = tag.split("-")[0]
        if weight > 0 and code in languages:
            wanted.append((weight, code))
    return max(wanted, key=lambda choice: choice[0])[1] if wanted else None
