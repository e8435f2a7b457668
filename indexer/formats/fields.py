"""Cleaning of metadata values shared by every format: dates, URLs, ids, languages, lists.

Every function here accepts whatever a CMS export may contain (str, int, list, dict, None,
datetime) and returns a clean value or ``None``; none of them raises on odd input, because a
bad date or URL must never cost the user an article.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import html
import os
import re
from collections import deque
from collections.abc import Iterable, Mapping
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.html.defs

from indexer.analysis import fold
from indexer.formats.sections import collapse

__all__ = [
    "ARTICLE_FILE_KINDS",
    "BYLINE_PREFIX",
    "HTML_TAG_RE",
    "MAX_NAME_CHARS",
    "PUBLICATION_KEYS",
    "XML_INVALID_RE",
    "ambiguous_date",
    "byline_names",
    "capped_title",
    "checked_site_url",
    "clean_authors",
    "clean_id",
    "clean_inline",
    "clean_list",
    "clean_url",
    "derive_title",
    "hashed_id",
    "looks_like_names",
    "markup_text",
    "normalize_date",
    "normalize_language",
    "not_published",
    "numeric_date_order",
    "off_the_site",
    "partial_date",
    "relative_address",
    "relative_id",
    "shown_until",
    "site_address",
    "source_for",
    "strip_article_suffix",
    "strip_tags",
    "strip_wp_shortcodes",
    "url_slug",
    "yes_or_no",
]

# Month names (and English abbreviations) of the languages an archive is most often
# written in besides English: Spanish, French, Portuguese, Italian, German. A name two
# languages share names the same month in both.
_MONTH_NAMES = [
    ("january", "jan", "enero", "janvier", "janeiro", "gennaio", "januar"),
    ("february", "feb", "febrero", "février", "fevereiro", "febbraio", "februar"),
    ("march", "mar", "marzo", "mars", "março", "märz"),
    ("april", "apr", "abril", "avril", "aprile"),
    ("may", "mayo", "mai", "maio", "maggio"),
    ("june", "jun", "junio", "juin", "junho", "giugno", "juni"),
    ("july", "jul", "julio", "juillet", "julho", "luglio", "juli"),
    ("august", "aug", "agosto", "août"),
    ("september", "sep", "sept", "septiembre", "setiembre", "septembre", "setembro", "settembre"),
    ("october", "oct", "octubre", "octobre", "outubro", "ottobre", "oktober"),
    ("november", "nov", "noviembre", "novembre", "novembro"),
    ("december", "dec", "diciembre", "décembre", "dezembro", "dicembre", "dezember"),
]
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
# Weekdays, Monday first, in the same languages but English, whose short and long forms
# ("Mon", "Tues", "Thurs", "Saturday") ``_WEEKDAY_RE`` reads, numbered by their first three
# letters.
_WEEKDAY_NAMES = [
    ("lunes", "lundi", "segunda", "segunda-feira", "lunedì", "montag"),
    ("martes", "mardi", "terça", "terça-feira", "martedì", "dienstag"),
    ("miércoles", "mercredi", "quarta", "quarta-feira", "mercoledì", "mittwoch"),
    ("jueves", "jeudi", "quinta", "quinta-feira", "giovedì", "donnerstag"),
    ("viernes", "vendredi", "sexta", "sexta-feira", "venerdì", "freitag"),
    ("sábado", "samedi", "sabato", "samstag"),
    ("domingo", "dimanche", "domenica", "sonntag"),
]
_WEEKDAYS = {name: number for number, names in enumerate(_WEEKDAY_NAMES) for name in names}
_ENGLISH_WEEKDAYS = {
    name: number for number, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
}
_WEEKDAY_RE = re.compile(
    r"^\s*((?:mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)(?:day)?|tuesday|wednesday|saturday|"
    + "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
    + r")\.?,?\s+",
    re.I,
)
# RFC 3339 (and YAML's timestamps, which front matter keeps as text) allow a "t" for "T".
_ISO_RE = re.compile(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[Tt ].*)?\s*$")
# ISO 8601's basic format, as iCalendar and some APIs write a time: "20231114T081200Z". The
# time after its T tells it from a number (eight digits alone may be a count or an id).
_BASIC_ISO_RE = re.compile(
    r"^\s*(\d{4})(\d{2})(\d{2})[Tt]\d{2}(?:\d{2}(?:\d{2}(?:[.,]\d+)?)?)?"
    r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?\s*$"
)
_SLASH_YMD_RE = re.compile(r"^\s*(\d{4})/(\d{1,2})/(\d{1,2})\b")
# A day, a month and a year in figures, as spreadsheets write them: "15/03/2023",
# "03/14/2023" (the United States' order), "14.03.2023", "14-03-2023 09:30".
_NUMERIC_DATE_RE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:[ T,].*)?\s*$")
# "27 March 2018", "14 de febrero de 2023", "1er mars 2023", "3. März 2023", and with
# hyphens or slashes, as Oracle and Excel ("14-Mar-2023") and web server logs write them.
_DMY_RE = re.compile(
    rf"^\s*(\d{{1,2}})(?:st|nd|rd|th|er|º|°|\.)?(?:\s+|[-/])(?:de\s+)?({_MONTH_RE})\.?,?"
    rf"(?:\s+|[-/])(?:de\s+|del\s+)?(\d{{4}})\b",
    re.I,
)
_MDY_RE = re.compile(rf"^\s*({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_MY_RE = re.compile(rf"^\s*({_MONTH_RE})\.?,?\s+(?:de\s+|del\s+)?(\d{{4}})\s*$", re.I)


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    """Format a date, or None when it cannot exist (month 13, 31 February, year 0)."""
    if not 1000 <= year <= 2999:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


# An ISO date as ``normalize_date`` writes it, whole or of its year or month only; a time
# may follow the day.
_PARTIAL_ISO_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:$|[T ])")


def numeric_date_order(values: Iterable[Any]) -> str | None:
    """The order of a file's dates in figures, "dmy" or "mdy", when those whose day is past
    12 ("15/03/2023" or "03/15/2023") all tell the same; else None. A spreadsheet writes
    all its dates one way: those tell how to read its 03/04/2023."""
    orders = set()
    for value in values:
        if isinstance(value, str) and (match := _NUMERIC_DATE_RE.match(_weekday(value)[1])):
            first, second = int(match.group(1)), int(match.group(2))
            if first > 12 >= second:
                orders.add("dmy")
            elif second > 12 >= first:
                orders.add("mdy")
    return orders.pop() if len(orders) == 1 else None


def _weekday(text: str) -> tuple[int | None, str]:
    """The weekday ``text`` begins with (0 for Monday; None for none, or one not known) and
    the text after it."""
    match = _WEEKDAY_RE.match(text)
    if not match:
        return None, text
    name = match.group(1).lower()
    return _WEEKDAYS.get(name, _ENGLISH_WEEKDAYS.get(name[:3])), text[match.end() :]


def _date_in_figures(
    first: int, second: int, year: int, order: str | None, weekday: int | None
) -> str | None:
    """A date written ``first/second/year``: a number past 12 is the day; else the weekday
    written with it tells, when it fits one reading only (Drupal's "Mon, 01/02/2023 - 10:15"
    is 2 January, a Monday), else the file's ``order``. Read neither way, or with a weekday
    its reading does not fall on ("Tue, 15/03/2023", a Wednesday), None: which is wrong
    cannot be told."""
    readings = {"dmy": _iso(year, second, first), "mdy": _iso(year, first, second)}
    if first > 12:
        possible = [readings["dmy"]]
    elif second > 12 or readings["dmy"] == readings["mdy"]:
        possible = [readings["mdy"]]
    else:
        possible = list(readings.values())
    possible = [iso for iso in possible if iso]
    if weekday is not None:
        possible = [iso for iso in possible if dt.date.fromisoformat(iso).weekday() == weekday]
        if len(possible) == 1:
            return possible[0]
        if not possible:
            return None
    if len(possible) == 1:
        return possible[0]
    return readings.get(order or "")


def ambiguous_date(value: Any) -> bool:
    """Whether ``value`` is a date in figures that reads as two dates, day first or month
    first (03/04/2023), with no weekday to tell: ``normalize_date`` reads it only in its
    file's order."""
    weekday, undated = _weekday(value.strip()) if isinstance(value, str) else (None, "")
    match = weekday is None and _NUMERIC_DATE_RE.match(undated)
    if not match:
        return False
    first, second, year = (int(part) for part in match.groups())
    day_first, month_first = _iso(year, second, first), _iso(year, first, second)
    return bool(day_first and month_first and day_first != month_first)


def partial_date(iso: str | None) -> tuple[dt.date, int] | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (a time after it ignored) as its first day,
    with how many of the three parts it gives (1-3): ``"2019-05"`` → (2019-05-01, 2).
    None when it is no such date or no real one (``2019-13``, ``2019-02-30``)."""
    match = _PARTIAL_ISO_RE.match(iso or "")
    if not match:
        return None
    given = [int(part) for part in match.groups() if part]
    try:
        return dt.date(*given, *[1] * (3 - len(given))), len(given)
    except ValueError:
        return None


# A number that is not a year is taken as Unix time (seconds) from 1e8 (March 1973) up to
# 2100, as a UTC date, or in milliseconds (JavaScript's, Ghost's: 1.7e12 in 2023) over the
# same years. Below, a number is more likely a count or a compact 20180327 (at most
# 29,991,231) than a time; between the two, or above, a mistake.
_EPOCH_SECONDS = (100_000_000, 4_102_444_800)
_EPOCH_MILLISECONDS = (_EPOCH_SECONDS[0] * 1000, _EPOCH_SECONDS[1] * 1000)


def _compact_date_time(value: float) -> bool:
    """Whether a number begins as a compact date does (202303151200: 2023-03-15 12:00),
    which Unix time in the same range would read as another date (1976-05-30): a wrong
    date is worse than none. No Unix time of 1973 to 2100 begins with a valid one."""
    digits = str(int(value)) if float(value).is_integer() else ""
    if len(digits) <= 8:
        return False
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1000 <= year <= 2999


def normalize_date(value: Any, order: str | None = None) -> str | None:
    """ISO 8601 ``YYYY-MM-DD`` (or ``YYYY-MM`` / ``YYYY`` when only that is known), else None.

    Accepts ISO strings (in its basic format too, with a time: "20231114T081200Z") and
    datetimes (front matter), RFC 822 (RSS/WXR ``pubDate``),
    "27 March 2018", "14-Mar-2023", "March 27, 2018", a bare year as a number, Unix time in
    seconds or milliseconds (a number, or digits in a string), and a date in figures whose
    day is past 12 ("15/03/2023", "03/14/2023") or whose weekday tells ("Mon, 01/02/2023").
    Other dates in figures, such as 03/04/2018, are read only in the ``order`` of their
    file's ("dmy" or "mdy", ``numeric_date_order``): a wrong date is worse than none. So are
    years outside 1000-2999 (placeholders such as 0001-01-01).
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, dt.date):  # a datetime too
        return _iso(value.year, value.month, value.day)
    if isinstance(value, int | float):
        if 1000 <= value <= 2999:
            return _iso(int(value)) if float(value).is_integer() else None
        # Outside Unix time's range first: a number of 400 digits is none, and as a float
        # it is too large to look at.
        if not _EPOCH_SECONDS[0] <= value < _EPOCH_MILLISECONDS[1] or _compact_date_time(value):
            return None
        if _EPOCH_SECONDS[0] <= value < _EPOCH_SECONDS[1]:
            return dt.datetime.fromtimestamp(value, dt.UTC).date().isoformat()
        if _EPOCH_MILLISECONDS[0] <= value < _EPOCH_MILLISECONDS[1]:
            return dt.datetime.fromtimestamp(value / 1000, dt.UTC).date().isoformat()
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 100:
        return None
    if text.isascii() and text.isdigit() and len(text) in (9, 10, 12, 13) and text[0] != "0":
        # Unix time written as a string (Drupal's "created": "1678886400"), in seconds or
        # milliseconds; eight digits or fewer are a year or a compact date.
        return normalize_date(int(text))
    if match := _ISO_RE.match(text):
        year, month, day = match.groups()
        return _iso(int(year), int(month) if month else None, int(day) if day else None)
    if match := _SLASH_YMD_RE.match(text) or _BASIC_ISO_RE.match(text):
        return _iso(*(int(part) for part in match.groups()))
    weekday, undated = _weekday(text)
    if match := _NUMERIC_DATE_RE.match(undated):
        return _date_in_figures(*(int(part) for part in match.groups()), order, weekday)
    if "," in text[:5] or re.match(r"^\s*\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d", text):
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError, OverflowError):
            parsed = None
        if parsed is not None:
            return _iso(parsed.year, parsed.month, parsed.day)
    text = undated
    if match := _DMY_RE.match(text):
        day, month, year = match.groups()
        return _iso(int(year), _MONTHS[month.lower()], int(day))
    if match := _MDY_RE.match(text):
        month, day, year = match.groups()
        return _iso(int(year), _MONTHS[month.lower()], int(day))
    if match := _MY_RE.match(text):
        month, year = match.groups()
        return _iso(int(year), _MONTHS[month.lower()])
    return None


def clean_url(value: Any) -> str | None:
    """An absolute http(s) URL, else None: relative paths and unsafe schemes are dropped."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > 2048 or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


# Where a relative URL ("/2015/10/29/x/", as Jekyll front matter gives it) is put to be
# checked as an absolute one.
_RELATIVE_BASE = "http://relative.invalid/"


def relative_address(value: Any) -> str | None:
    """An address relative to the article's site ("/2016/06/08/254/", as Jekyll front
    matter and Drupal views give it), which ``site_address`` reads against the site's
    address; None for an absolute one (``clean_url``'s) or one no site could serve."""
    if not isinstance(value, str) or clean_url(value):
        return None
    address = value.strip()
    if not address or urlsplit(address).scheme or address.startswith("//"):
        return None  # another scheme (mailto:, javascript:), or a host's address
    return address if clean_url(urljoin(_RELATIVE_BASE, address)) else None


def checked_site_url(value: str) -> str:
    """A site's address as ``--site-url`` takes it: absolute http(s), with no query or
    fragment, which a page's address under it would lose. Raises ``ValueError`` saying
    what is wrong."""
    url = clean_url(value)
    parts = urlsplit(url) if url else None
    if parts is None or parts.query or parts.fragment:
        raise ValueError(
            f"a site's address is an absolute http(s) address with no query, such as "
            f"https://example.org/ (got {value!r})"
        )
    return url


def site_address(site_url: str, address: str) -> str | None:
    """``address`` (``relative_address``'s) on the site at ``site_url``, a path from the
    site's root taken from the site's own folder: "/2016/x/" of a site at
    https://example.org/blog is https://example.org/blog/2016/x/, as Jekyll's baseurl
    serves it."""
    base = site_url if site_url.endswith("/") else site_url + "/"
    return clean_url(urljoin(base, address.lstrip("/")))


# Pages a script makes from its query string: "index.php?p=123", Joomla's
# "index.php?option=com_content&view=article&id=12", WordPress's "/?p=123" without pretty
# links. Every article of such a site has the script's name: the query tells them apart.
_SCRIPT_RE = re.compile(r"\.(?:php\d?|aspx?|jsp|cfm|cgi|pl)$", re.I)
# Parameters that say where a link was shared or whose visit it was, not what it names.
_TRACKING_PARAMETER_RE = re.compile(
    # Not "sid": PHP-Nuke's articles are "modules.php?name=News&file=article&sid=123".
    r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid|phpsessid|jsessionid|sessionid)$",
    re.I,
)
# WordPress's own query for a post or page, in a site at a folder's address ("/blog/?p=12").
_WORDPRESS_ID_PARAMETERS = frozenset({"p", "page_id"})


def url_slug(value: Any) -> str | None:
    """The URL path's last non-empty segment (what most CMSs use as the article's slug), of
    an absolute http(s) URL or a relative one; of a script's page, with its query's
    parameters (``index.php?p=123`` is ``index-p-123``). A URL ``clean_url`` refuses for
    its scheme or its characters (``javascript:alert(1)``) gives none: what is refused as a
    link must not name an article either."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        # A URL of another scheme stays as it is, and is refused with it.
        url = clean_url(urljoin(_RELATIVE_BASE, value.strip()))
        parts = urlsplit(url) if url else None
    except ValueError:
        return None
    if parts is None:
        return None
    segments = [segment for segment in parts.path.split("/") if segment]
    last = segments[-1] if segments else ""
    query = [
        (name, given)
        for name, given in parse_qsl(parts.query)
        if given and not _TRACKING_PARAMETER_RE.match(name)
    ]
    if parts.path.endswith("/") and _WORDPRESS_ID_PARAMETERS.intersection(n for n, _ in query):
        last = ""  # the site's own address: its script is index.php
    if query and (not last or _SCRIPT_RE.search(last)):
        # A page a script makes from its query: the query names the article.
        named = [f"{name}-{given}" for name, given in query]
        return "-".join([_SCRIPT_RE.sub("", last), *named]).strip("-")
    last = re.sub(r"\.(html?|php\d?|aspx?)$", "", last, flags=re.I)
    return last or None


_ID_UNSAFE_RE = re.compile(r"[^\w\-.~/:]+")
MAX_ID_CHARS = 300


def clean_id(value: Any) -> str | None:
    """An id safe enough for ``/articles/{id}``: letters, digits and ``-_.~/:`` only.

    Other characters (spaces, ``?``, ``#``, ``%`` …) become ``-``; empty and ``.``/``..``
    path segments are dropped so an id can never climb out of its URL prefix.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(int(value)) if isinstance(value, int) or value.is_integer() else str(value)
    if not isinstance(value, str):
        return None
    text = _ID_UNSAFE_RE.sub("-", value.strip())
    segments = [seg.strip("-") for seg in text.split("/")]
    segments = [seg for seg in segments if seg and seg not in (".", "..")]
    result = "/".join(segments)
    return result[:MAX_ID_CHARS] or None


def hashed_id(*parts: Any) -> str:
    """A short, stable content hash for records that carry neither an id nor a URL."""
    text = "\x1f".join(str(part or "") for part in parts)
    # surrogatepass: a record's unpaired surrogates (JSON's "\ud800") hash as any character.
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:12]


# The files articles are read from, by suffix: which format reads them
# (``indexer.formats``), and what an id derived from a file name leaves out.
ARTICLE_FILE_KINDS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".tsv": "csv",
    ".xml": "wxr",
    ".wxr": "wxr",
    ".rss": "wxr",
    ".atom": "wxr",
}


def strip_article_suffix(name: str) -> str:
    """``fiw_en.jsonl.gz`` → ``fiw_en``; ``export.wxr.xml`` → ``export``."""
    stem = name
    if stem.lower().endswith(".gz"):
        stem = stem[:-3]
    for _ in range(2):
        for suffix in ARTICLE_FILE_KINDS:
            if stem.lower().endswith(suffix) and len(stem) > len(suffix):
                stem = stem[: -len(suffix)]
                break
    return stem


def relative_id(path: Path, root: Path) -> str:
    """The file's path relative to its root argument, without extension, "/"-separated."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    if not relative.parts or relative == Path("."):
        relative = Path(path.name)
    parts = [*relative.parts[:-1], strip_article_suffix(relative.parts[-1])]
    return clean_id("/".join(parts)) or hashed_id(str(path))


def source_for(path: Path, root: Path) -> str:
    """The site: first folder under the root when nested deeper, else the root's own name
    (of the folder it names: "." is the current folder's, which has a name)."""
    try:
        relative = path.relative_to(root)
    except ValueError:
        return _named(path.parent).name
    if len(relative.parts) >= 2:
        return relative.parts[0]
    if not relative.parts or relative == Path("."):  # the root argument was the file itself
        return _named(path.parent).name
    return _named(root).name


def _named(folder: Path) -> Path:
    # Made absolute and normal, "." and ".." are the folders they stand for.
    return Path(os.path.abspath(folder))


_LANGUAGE_NAMES = {
    "english": "en",
    "eng": "en",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "spa": "es",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "fra": "fr",
    "fre": "fr",
    "portuguese": "pt",
    "português": "pt",
    "por": "pt",
    "german": "de",
    "deutsch": "de",
    "deu": "de",
    "ger": "de",
    "arabic": "ar",
    "ara": "ar",
    "russian": "ru",
    "rus": "ru",
    "chinese": "zh",
    "zho": "zh",
    "chi": "zh",
    "italian": "it",
    "ita": "it",
}
_LANG_CODE_RE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$")


def normalize_language(value: Any) -> str | None:
    """A lowercase language code, or None when the value is no code or name at all.

    A 2-letter (ISO 639-1) code is kept ("en-US" → "en"); the names and 3-letter codes of a
    few languages become their 2-letter codes ("Spanish" and "spa" → "es"). Any other
    3-letter code is returned as it is, even where ISO 639-1 has a 2-letter one: "nld"
    stays "nld", which ``languages.known_languages`` (the detector's codes, a few of them
    3-letter, such as "yue") does not hold, so a file's article in it has its language
    detected from its text and the ingest API refuses it. There is no ISO 639-2/3 table at
    hand to map the rest."""
    if isinstance(value, list | tuple) and value:
        value = value[0]
    if not isinstance(value, str):
        return None
    text = value.strip().lower()
    if text in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[text]
    match = _LANG_CODE_RE.match(text)
    if not match:
        return None
    code = match.group(1)
    if len(code) == 3:
        return _LANGUAGE_NAMES.get(code, code)
    return code


# HTML elements by name: a tag-shaped string is markup only when it names one, so text that
# merely holds "<" and ">" ("Profits < people, and people > profits", "about <torture>")
# stays text. lxml's list lacks a few HTML5 elements.
_HTML_ELEMENTS = frozenset(lxml.html.defs.tags) | {
    "bdi", "data", "dialog", "main", "picture", "search", "slot", "template",
}  # fmt: skip
HTML_TAG_RE = re.compile(
    r"<!--.*?(?:-->|\Z)"  # a comment (an unclosed one hides the rest, as in a browser)
    rf"|</?(?:{'|'.join(sorted(_HTML_ELEMENTS, key=len, reverse=True))})(?=[\s/>])[^<>]*>",
    re.I | re.S,
)
# Code points XML 1.0 cannot carry, even escaped: libxml2 refuses strings holding them, and
# a feed holding them is no XML.
XML_INVALID_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Elements whose content is code, never text: dropped with their tags (an unclosed one to the
# end, as a browser does), as the body's parser drops them.
_CODE_ELEMENT_RE = re.compile(r"<(script|style)(?=[\s/>])[^<>]*>.*?(?:</\1\s*>|\Z)", re.I | re.S)


def strip_tags(text: str) -> str:
    """``text`` without its HTML tags and comments, and without what its script and style
    elements hold; text without markup is returned as it is."""
    if "<" not in text or not HTML_TAG_RE.search(text):
        return text
    return HTML_TAG_RE.sub(" ", _CODE_ELEMENT_RE.sub(" ", text))


def markup_text(value: str) -> str:
    """The text a value that may hold HTML shows: its markup stripped, then its entities
    decoded. Decoding comes last, so what entities give ("&lt;script&gt;") is text, never
    read as markup."""
    text = strip_tags(value)
    return html.unescape(text) if "&" in text else text


def clean_inline(value: Any) -> str:
    """One line of plain text from a metadata value that may hold HTML (a title, a tag, an
    author): markup stripped, entities decoded, whitespace and controls collapsed."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str):
        return ""
    # An unpaired surrogate is kept: the article shows it as U+FFFD, and says so.
    return collapse(markup_text(value))


# Where a string lists several names: at ",", ";" and "|" (as WordPress and Drupal export
# plugins join a list), except the ";" ending an entity.
_LIST_BREAK_RE = re.compile(r"&#?\w+;|[,;|]")


def _split_names(text: str, breaks: str) -> list[str]:
    """``text`` split at each of ``breaks`` (",", ";", "|"): at the first two, ``"Ana, Bo;
    Middle East &amp; Africa"`` → ``["Ana", " Bo", " Middle East &amp; Africa"]``.
    Entities are left for ``clean_inline`` to decode after it strips markup: decoded here,
    "&lt;b&gt;" would be read as a tag."""
    names, start = [], 0
    for match in _LIST_BREAK_RE.finditer(text):
        token = match.group()
        if (len(token) > 1 and html.unescape(token) != token) or token[-1] not in breaks:
            continue  # an entity ("&amp;"), or a break not looked for
        names.append(text[start : match.end() - 1])
        start = match.end()
    return [*names, text[start:]]


def _flatten(value: Any, breaks: str) -> Iterable[str]:
    if isinstance(value, str):
        yield from _split_names(value, breaks)
    elif isinstance(value, Mapping):
        for key in ("name", "display_name", "title", "label"):
            if isinstance(value.get(key), str):
                yield from _split_names(value[key], ";")  # as a list item's
                break
    elif isinstance(value, tuple):
        # Several values merged (front matter's author and authors): each read on its own.
        for item in value:
            yield from _flatten(item, breaks)
    elif isinstance(value, list):
        # A list item is one name even with a comma ("Smith, Ana"), but no name or tag has
        # a semicolon: "online safety; encryption" is two tags typed into one.
        for item in value:
            yield from _flatten(item, ";")


# An author or tag longer is no name: a paragraph pasted into the field.
MAX_NAME_CHARS = 200


def clean_list(*values: Any) -> list[str]:
    """Authors/tags from strings ("a, b"), lists or {"name": …} dicts; deduped, order kept."""
    seen: set[str] = set()
    result: list[str] = []
    for value in values:
        for item in _flatten(value, ",;|"):
            text = clean_inline(item)
            key = text.casefold()
            if text and key not in seen and len(text) <= MAX_NAME_CHARS:
                seen.add(key)
                result.append(text)
    return result


# A byline's opening words, where an author field holds a byline ("By Ana Pérez and Bo Li",
# "Por Ana Pérez y Luis Gómez", "Par Marie Dubois et Luc Martin"). Not German "von" nor
# Italian "di": names begin with them ("Von Trier", "Di Maio").
BYLINE_PREFIX = r"(?:(?:written\s+|words\s+)?by|(?:escrito\s+)?por|(?:écrit\s+)?par)"
_BYLINE_PREFIX_RE = re.compile(rf"^\s*{BYLINE_PREFIX}\s+", re.I)
_NAMES_JOINED_RE = re.compile(r"\s+(?:and|y|e|et)\s+|\s*&\s*(?!#?\w+;)", re.I)
# The words of a name that are not capitalised ("Ana de la Cruz", "Ludwig van Beethoven"),
# and those that join names.
_NAME_PARTICLES = frozenset([
    "al", "bin", "da", "das", "de", "del", "della", "der", "di", "do", "dos", "du", "el", "ibn",
    "las", "los",
    "la", "le", "van", "von", "y", "e", "et", "and",
])  # fmt: skip


def byline_names(byline: str) -> list[str]:
    """The names a byline lists: "Ana Pérez and Bo Li", "Ana & Bo" (not an "&amp;"), "Ana
    Pérez y Luis Gómez", "Marie Dubois et Luc Martin"."""
    return _NAMES_JOINED_RE.split(byline)


# Words that begin a title, never a name: "By The Numbers", "Por Qué Importa".
_TITLE_WORDS = frozenset([
    "the", "this", "these", "our", "your", "how", "why", "what", "when", "where", "who",
    "which", "que", "qué", "como", "cómo", "cuando", "cuándo", "donde", "dónde", "quien",
    "quién", "pourquoi", "comment", "quand", "qui", "quoi",
])  # fmt: skip


def looks_like_names(text: str) -> bool:
    """Whether what follows a byline's "By" or "Por" is names, not a title's words ("By the
    numbers", "Por qué callan los medios"): every word capitalised (or in a script without
    case), but for the particles of names and the words that join them, and none a word
    that begins titles."""
    words = text.replace(",", " ").replace("&", " ").split()
    return 0 < len(words) <= 15 and all(
        (not word[0].islower() and word.casefold() not in _TITLE_WORDS)
        or word.casefold() in _NAME_PARTICLES
        for word in words
    )


def _joins_full_names(text: str) -> bool:
    """Whether an author field without "By" joins people's names by "and", "y", "et" or "&"
    ("Ana Pérez and Bo Li", "Ana Pérez, Bo Li & Cy Ng"), each part a person's
    (``_a_persons_name``). An organisation's name may hold "and" ("Lawyers and Journalists
    Association", "Irish Human Rights and Equality Commission"), and so may a name of one
    word ("Ana and Bo")."""
    names = byline_names(text)
    parts = [part.split() for name in names for part in name.split(",")]
    return len(names) > 1 and looks_like_names(text) and all(map(_a_persons_name, parts))


def _a_persons_name(words: list[str]) -> bool:
    """Whether a name's words are a person's: two to four, its particles aside ("José Luis
    Rodríguez de la Torre"), and none but the last a word organisations are named with (a
    surname may be one: "Eyal Press", "Margaret Court"; "Human Rights Watch" is not)."""
    named = [word for word in words if word.casefold() not in _NAME_PARTICLES]
    return 2 <= len(named) <= 4 and not any(
        fold(word) in _ORGANISATION_WORDS for word in words[:-1]
    )


# Words that name organisations, not people (in the languages of bylines above): a part
# holding one is no person's name.
_ORGANISATION_WORDS = frozenset([
    "association", "alliance", "agency", "board", "bureau", "campaign", "center", "centre",
    "coalition", "commission", "committee", "council", "court", "department", "federation",
    "forum", "foundation", "fund", "group", "initiative", "institute", "international",
    "league", "media", "ministry", "movement", "network", "news", "office", "press",
    "project", "rights", "human", "society", "trust", "union", "watch",
    "asociacion", "alianza", "agencia", "campana", "centro", "coalicion", "comision", "comite",
    "consejo", "derechos", "humanos", "federacion", "fundacion", "fondo", "grupo",
    "instituto", "liga", "medios", "ministerio", "movimiento", "red", "oficina", "prensa",
    "proyecto", "sociedad", "litigio",
    "associacao", "comissao", "conselho", "direitos", "fundacao", "rede",
    "conseil", "droits", "fondation", "institut", "ligue", "reseau", "syndicat",
])  # fmt: skip


def clean_authors(value: Any) -> list[str]:
    """Author names as ``clean_list`` reads them; a byline among them, as its names
    ("By Ana Pérez and Bo Li": two names, without the "By"), and so full names joined by
    "and" ("Ana Pérez and Bo Li")."""
    return clean_list(_bylines_read(value))


def _bylines_read(value: Any) -> Any:
    # A tuple's items are each read as a string is (a comma list), a list's as whole names.
    if isinstance(value, str) and (prefix := _BYLINE_PREFIX_RE.match(value)):
        return tuple(byline_names(value[prefix.end() :]))
    if isinstance(value, str) and _joins_full_names(value):
        return tuple(byline_names(value))
    if isinstance(value, list | tuple):
        return type(value)(_bylines_read(item) for item in value)
    return value


# A title made from the body: its first words, between these many.
MIN_TITLE_WORDS, MAX_TITLE_WORDS = 8, 12


def derive_title(text: str) -> str:
    """A title from the body's first words, cut at a word (preferably clause) boundary, + "…"."""
    words = text.split()
    if not words:
        return ""
    if len(words) <= MAX_TITLE_WORDS:
        return " ".join(words)
    head = words[:MAX_TITLE_WORDS]
    # Prefer ending after a comma/colon past the shortest title: it reads better.
    for cut in range(MAX_TITLE_WORDS, MIN_TITLE_WORDS - 1, -1):
        if head[cut - 1][-1:] in ",;:.":
            head = head[:cut]
            break
    return " ".join(head).rstrip(",;:.") + "…"


# A title longer than this (a page that is one unbroken line, a body pasted into a title
# field) is cut at a word, with "…": every results page shows it.
MAX_TITLE_CHARS = 300


def capped_title(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS]
    space = cut.rfind(" ")
    if space > MAX_TITLE_CHARS // 2:
        cut = cut[:space]
    return cut.rstrip(",;:. ") + "…"


# WordPress shortcodes, in a post's content as its editor wrote it: an embed's URL goes; of
# one that wraps text ("[caption …]<img> A caption[/caption]"), the tags go and the text
# stays. Shortcodes are lowercase, and a plugin's is told by its attributes
# ("[gravityform id="3"]") or its closing tag ("[vc_row]…[/vc_row]"): a bracketed word of
# the text ("[sic]", "[Video: the arrest]", "[1]") stays.
_WP_EMBED_RE = re.compile(r"\[embed\b[^\]]*\][^\[]*\[/embed\]")
_WP_SHORTCODE_RE = re.compile(
    r"\[(?:caption|embed|gallery|audio|video|playlist|wp_caption|youtube|vimeo)(?:\s[^\]]*)?\]"
    r"|\[[a-z][\w-]*(?:\s+[\w-]+\s*=\s*(?:\"[^\"\]]*\"|'[^'\]]*'|[^\s\]]+))+\s*/?\]"
)
_WP_CLOSING_TAG_RE = re.compile(r"\[/([a-z][\w-]*)\]")


def strip_wp_shortcodes(text: str) -> str:
    """``text`` without WordPress shortcodes (``_WP_SHORTCODE_RE``), and without the
    closing tags it holds and their bare opening tags."""
    closed = {match.group(1) for match in _WP_CLOSING_TAG_RE.finditer(text)}
    text = _WP_SHORTCODE_RE.sub(" ", _WP_EMBED_RE.sub(" ", text))
    if closed:
        names = "|".join(re.escape(name) for name in sorted(closed))
        text = re.sub(rf"\[/?(?:{names})\]", " ", text)
    return text


# Publication states that readers are not shown: WordPress's (``future``: scheduled,
# ``auto-draft``), Ghost's, and Drupal's ``unpublished``.
_NOT_PUBLISHED_STATUSES = frozenset(
    {
        "draft", "auto-draft", "pending", "private", "future", "scheduled", "trash",
        "unpublished", "hidden",
        "sent",  # Ghost: sent as an email only, not on the site
    }
)  # fmt: skip

# Ghost's post visibilities other than "public": posts for its members, its paying members
# or some of its tiers, which a public search must not show.
_MEMBERS_VISIBILITIES = frozenset({"members", "paid", "tiers", "filter"})  # filter: Ghost 4

# What WordPress's REST API and database exports hold beside posts and pages (its media
# items, menu entries, revisions, reusable blocks and templates): no article.
_NOT_ARTICLE_TYPES = frozenset(
    {
        "attachment", "nav_menu_item", "revision", "wp_block", "wp_template",
        "wp_template_part", "wp_navigation", "wp_global_styles", "customize_changeset",
        "custom_css", "oembed_cache", "user_request", "wp_font_family", "wp_font_face",
        # Contact forms and what readers sent through them (Jetpack's "feedback",
        # Flamingo's, Contact Form 7's, Ninja Forms' and WPForms' entries): private.
        "feedback", "flamingo_inbound", "flamingo_outbound", "flamingo_contact",
        "wpcf7_contact_form", "nf_sub", "wpforms", "wpforms_entries",
    }
)  # fmt: skip


# The names of a yes/no value that says whether readers are shown an article.
_PUBLISHED_FLAGS = ("published", "published_status", "publishing_status")
# Joomla's article states readers are not shown (1 is published, 2 archived and still on
# the site): in its content table only, as another export's "state" may mean anything.
_JOOMLA_HIDDEN_STATES = {"0": "unpublished", "-2": "trashed"}
# Joomla's access levels every visitor is shown: Public, and Guest (those not logged in).
_JOOMLA_PUBLIC_ACCESS = frozenset({"1", "5"})


def not_published(metadata: Mapping[Any, Any]) -> tuple[str, str] | None:
    """What an article's own metadata says when its readers are not shown it: a draft, a
    post unpublished, scheduled, private or behind a password, or no article at all (a
    WordPress attachment, a menu item): what it is, and what says so; else None. An
    archive search must not show what the site itself does not."""
    # "Post Type", as a spreadsheet's header names post_type.
    values = {str(key).casefold().replace(" ", "_"): value for key, value in metadata.items()}
    # "type" says what a WordPress record is (its REST API's records have a guid); in
    # another export it may say anything ("type": "revision" of a penal code).
    for key in ("post_type", "type") if "guid" in values else ("post_type",):
        kind = values.get(key)
        if isinstance(kind, str) and kind.strip().casefold() in _NOT_ARTICLE_TYPES:
            return kind.strip().casefold(), f"{key}: {kind.strip()}"
    if yes_or_no(_single_value(values.get("draft"))) is True:
        return "draft", "draft: true"
    # Jekyll's flag, and Drupal's node status as its views label the column; a date there
    # says nothing.
    for key in _PUBLISHED_FLAGS:
        flag = _single_value(values.get(key))
        if yes_or_no(flag) is False:
            return "unpublished", f"{key}: {str(flag).strip().lower()}"
    status = _single_value(values.get("status", values.get("post_status")))
    if isinstance(status, str) and status.strip().casefold() in _NOT_PUBLISHED_STATUSES:
        return status.strip().casefold(), f"status: {status.strip()}"
    # Drupal's node status: false or 0, written as a number, a boolean or a string (its
    # views and CSV-to-JSON tools write "0" or "false").
    number = isinstance(status, int | float) and not isinstance(status, bool)
    if yes_or_no(status) is False or (number and status == 0) or str(status).strip() == "0":
        return "unpublished", f"status: {str(status).strip().lower()}"
    if "introtext" in values:  # a Joomla article
        state = str(_single_value(values.get("state"))).strip()
        if state in _JOOMLA_HIDDEN_STATES:
            return _JOOMLA_HIDDEN_STATES[state], f"state: {state}"
        access = str(_single_value(values.get("access", "1"))).strip()
        if access not in _JOOMLA_PUBLIC_ACCESS:
            return "members-only", f"access: {access}"
        now = dt.datetime.now(dt.UTC)
        if (start := _instant(values.get("publish_up"))) and start > now:
            return "scheduled", f"publish_up: {values['publish_up']}"
        if (end := _instant(values.get("publish_down"))) and end <= now:
            return "expired", f"publish_down: {values['publish_down']}"
    visibility = _single_value(values.get("visibility"))
    if isinstance(visibility, str) and visibility.strip().casefold() in _MEMBERS_VISIBILITIES:
        return "members-only", f"visibility: {visibility.strip()}"
    content = values.get("content")
    protected = values.get("protected") is True or (
        isinstance(content, Mapping) and content.get("protected") is True  # WordPress REST
    )
    password = values.get("password") or values.get("post_password")
    if protected or (isinstance(password, str) and password.strip()):
        return "password-protected", "it has a password"
    return None


# Front matter's keys for when a static site shows a post: Hugo's publishDate (and its
# aliases; else its date) and expiryDate (or unpublishdate); Jekyll's date, as it builds no
# post dated in the future.
_PUBLISH_KEYS = ("publishdate", "pubdate", "published")
_EXPIRY_KEYS = ("expirydate", "unpublishdate")
# Every front matter key, casefolded, that says whether readers are shown a post: what
# ``not_published`` and ``off_the_site`` read.
PUBLICATION_KEYS = ("draft", "status", "visibility", *_PUBLISH_KEYS, "date", *_EXPIRY_KEYS)


def off_the_site(
    front_matter: Mapping[Any, Any], now: dt.datetime | None = None
) -> tuple[str, str] | None:
    """Whether a static site's post is off the site by its dates ``now``: scheduled for
    later (an embargoed report) or taken down (a campaign page expired), what says so;
    else None. Its file is read again on every run (it holds no article), so the post is
    indexed on the first run after its day and removed on the first after its expiry."""
    now = now or utc_now()
    written = {str(key).casefold(): key for key in front_matter}
    # The first key that gives a time (Jekyll's "published: true" gives none).
    published = next(
        (
            (written[key], time)
            for key in (*_PUBLISH_KEYS, "date")
            if key in written and (time := _instant(front_matter[written[key]]))
        ),
        None,
    )
    if published and published[1] > now:
        return "scheduled", f"{published[0]}: {_shown_value(front_matter[published[0]])}"
    if (expiry := _expiry(front_matter)) and expiry[1] <= now:
        return "expired", f"{expiry[0]}: {_shown_value(front_matter[expiry[0]])}"
    return None


def shown_until(front_matter: Mapping[Any, Any]) -> dt.datetime | None:
    """When a static site takes a post down (its expiry), if its front matter says."""
    expiry = _expiry(front_matter)
    return expiry[1] if expiry else None


def _expiry(front_matter: Mapping[Any, Any]) -> tuple[Any, dt.datetime] | None:
    """The key that says when a post expires, as written, and that time."""
    for key in front_matter:
        if str(key).casefold() in _EXPIRY_KEYS and (expiry := _instant(front_matter[key])):
            return key, expiry
    return None


def utc_now() -> dt.datetime:
    """The time posts are shown or not by (``off_the_site``)."""
    return dt.datetime.now(dt.UTC)


def dated_after_today(date: str | None) -> bool:
    """Whether an ISO date (a day, a month or a year) is after today: a year typed wrong
    (2204) puts its article first by date for years, and stretches every count over time
    to its day. A year or month that takes in today is not after it."""
    day, today = (date or "")[:10], utc_now().date().isoformat()
    return day > today and not today.startswith(day)  # ISO days compare as text


def _instant(value: Any) -> dt.datetime | None:
    """A date or time as front matter writes it (text, or TOML's date and datetime), as
    an aware datetime: one without its zone is in UTC, as YAML reads timestamps and Hugo
    its dates by default; a day alone is its start. None for less than a full date, or a
    placeholder outside the years 1000-2999 (Go's zero time, 0001-01-01, for "none")."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        moment = _written_time(value) if isinstance(value, str) else None
        if moment is None:
            day = partial_date(normalize_date(value))
            if day is None or day[1] < 3:
                return None
            moment = dt.datetime.combine(day[0], dt.time())
    if not 1000 <= moment.year <= 2999:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _written_time(text: str) -> dt.datetime | None:
    """A date and time written as ISO 8601 or RFC 822 (an RSS pubDate), its time kept."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _shown_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value).strip()


def _single_value(value: Any) -> Any:
    """A field's value where Drupal's REST export wraps it: ``[{"value": false}]``."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, Mapping) and "value" in value:
        return value["value"]
    return value


_YES_OR_NO = {"true": True, "yes": True, "on": True, "1": True}
_YES_OR_NO |= {"false": False, "no": False, "off": False, "0": False}
# As Drupal's views write a boolean in their other formats, and its node status.
_YES_OR_NO |= {"enabled": True, "disabled": False, "✔": True, "✖": False}
_YES_OR_NO |= {"published": True, "unpublished": False, "not published": False}


def yes_or_no(value: Any) -> bool | None:
    """A yes/no value as front matter, JSON, spreadsheets and Drupal's views write it (true,
    "yes", "On", 1, "0", "Disabled", "✖", "Not published"), else None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return _YES_OR_NO.get(value.strip().lower())
    return None


# What a record's or a front matter's values may be: containers at most this deep, and this
# many values in all. Past either, a value is no metadata a person wrote: a YAML alias
# makes a few hundred bytes a billion values (every walk over them hung the indexer), and a
# value nested hundreds deep broke the readers that walk it (a RecursionError lost the
# whole export it was in).
MAX_METADATA_DEPTH = 16
MAX_METADATA_VALUES = 100_000
# What a warning says of metadata ``bounded`` has cut ("front matter holds …").
PAST_METADATA_BOUNDS = (
    f"more than {MAX_METADATA_VALUES:,} values or values nested more than {MAX_METADATA_DEPTH} deep"
)


def bounded(value: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """``value`` (metadata, as JSON, YAML or TOML give it) as a tree of its first
    ``MAX_METADATA_VALUES`` values, breadth first, with no list or mapping nested deeper
    than ``MAX_METADATA_DEPTH``; and whether that is all of it."""
    holder: list[Any] = []
    queue: deque[tuple[Any, Any, Any, int]] = deque([(value, holder, None, 0)])
    remaining = MAX_METADATA_VALUES
    complete = True
    while queue:
        if remaining <= 0:
            return holder[0], False
        source, parent, key, depth = queue.popleft()
        remaining -= 1
        copy: Any
        if isinstance(source, Mapping):
            copy, children = {}, list(islice(source.items(), remaining))
        elif isinstance(source, list):
            # Only as many as may still be read: a list may hold millions.
            copy, children = [], list(islice(enumerate(source), remaining))
        else:
            copy, children = source, []
        if isinstance(copy, dict | list) and depth >= MAX_METADATA_DEPTH:
            complete = False
            continue
        if isinstance(parent, dict):
            parent[key] = copy
        else:
            parent.append(copy)
        queue.extend((child, copy, child_key, depth + 1) for child_key, child in children)
    return holder[0], complete


# A UTF-16 surrogate alone is no character: JSON's "\\ud800" escape gives one, Python keeps
# it in a string, and no UTF-8 output (a response, a feed, a terminal) can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_surrogates(value: Any) -> bool:
    """Whether a string, or a list or mapping of them, holds an unpaired surrogate."""
    if isinstance(value, str):
        return _SURROGATE.search(value) is not None
    if isinstance(value, list | tuple):
        return any(has_surrogates(item) for item in value)
    if isinstance(value, Mapping):
        return any(has_surrogates(item) for item in value.values())
    return False


def without_surrogates(value: Any) -> Any:
    """``value`` (a string, or a list or mapping of them) with each unpaired surrogate
    replaced by U+FFFD, the character that stands for one that could not be read."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | tuple):
        return type(value)(without_surrogates(item) for item in value)
    if isinstance(value, Mapping):
        return {key: without_surrogates(item) for key, item in value.items()}
    return value
