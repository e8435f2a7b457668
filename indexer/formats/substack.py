"""Substack exports, unpacked: ``posts.csv`` lists a publication's posts (their titles,
dates, and whether and to whom they are shown), and ``posts/<post_id>.html`` holds each
post's body alone, beside its email statistics (``<post_id>.delivers.csv``,
``.opens.csv``: its subscribers' addresses). The table is read once per run, by the run
context (``indexer.formats.build_context``), which gives each post's file its row."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.formats.fields import yes_or_no

__all__ = [
    "POSTS_FOLDER",
    "POSTS_TABLES",
    "WIDGET_CLASSES",
    "Post",
    "is_post_file",
    "listed_posts",
    "names_posts",
]

# The table (compressed or not), and the folder beside it of the posts it lists.
POSTS_TABLES = ("posts.csv", "posts.csv.gz")
POSTS_FOLDER = "posts"
# A post's file, named by its post_id, a number of 8 figures or more: "139872345.the-right-to-
# protest.html" ("2019.annual-report.html" is another site's).
_POST_FILE_RE = re.compile(r"\d{8,}\.[^./]+\.html?(?:\.gz)?", re.IGNORECASE)
# What tells Substack's table from another CMS's posts.csv: the columns that say whether a
# post is shown, and to whom.
_COLUMNS = frozenset({"post_id", "is_published", "audience"})
# The audience of a post every reader is shown; Substack's others ("only_paid", "founding",
# "only_free") are its subscribers', as Ghost's members-only posts are.
_PUBLIC_AUDIENCE = "everyone"

# Substack's calls to action in a post's body, with their captions, by the classes its
# editor gives them: its buttons ("Share", "Subscribe now", "Suscríbete ahora": in the
# publication's language), its subscribe boxes and its captioned share buttons.
WIDGET_CLASSES = frozenset(
    {
        "button-wrapper",
        "subscription-widget-wrap",
        "subscription-widget-wrap-editor",
        "captioned-button-wrap",
    }
)


@dataclass(frozen=True)
class Post:
    """A post's row of posts.csv, its cells as written."""

    title: str
    subtitle: str
    date: str
    is_published: str
    audience: str

    def not_shown(self) -> tuple[str, str] | None:
        """What the post is when readers are not shown it, and what says so, in the words of
        ``fields.not_published``; None for a post published for everyone."""
        if yes_or_no(self.is_published) is not True:
            return "draft", f"is_published: {self.is_published.strip() or '(empty)'}"
        if self.audience.strip() != _PUBLIC_AUDIENCE:
            return "members-only", f"audience: {self.audience.strip() or '(empty)'}"
        return None

    def values(self) -> dict[str, Any]:
        """Its metadata, named as a record's fields are: its subtitle is its summary."""
        return {"title": self.title, "summary": self.subtitle, "date": self.date}


def names_posts(header: str) -> bool:
    """Whether a table's header row is that of a Substack export's posts.csv."""
    try:
        names = next(csv.reader(io.StringIO(header.lstrip("\ufeff"), newline="")), [])
    except csv.Error:
        return False
    return _COLUMNS.issubset(name.strip() for name in names)


def is_post_file(path: Path) -> bool:
    """Whether a file is named and placed as a Substack export's posts are."""
    return path.parent.name == POSTS_FOLDER and bool(_POST_FILE_RE.fullmatch(path.name))


def listed_posts(table: str) -> dict[str, Post] | None:
    """The posts a Substack export's posts.csv lists, by their post_id, which names their
    files ("139872345.the-right-to-protest"); None for a table of anything else."""
    rows = csv.reader(io.StringIO(table.lstrip("\ufeff"), newline=""))
    try:
        names = [name.strip() for name in next(rows, [])]
    except csv.Error:
        return None
    if not _COLUMNS.issubset(names):
        return None
    posts: dict[str, Post] = {}
    try:
        for cells in rows:
            row = dict(zip(names, cells, strict=False))
            if post_id := row.get("post_id", "").strip():
                posts[post_id] = Post(
                    title=row.get("title", ""),
                    subtitle=row.get("subtitle", ""),
                    date=row.get("post_date", ""),
                    is_published=row.get("is_published", ""),
                    audience=row.get("audience", ""),
                )
    except csv.Error:
        # The posts past a row that cannot be read are not listed: whether readers are
        # shown them cannot be told, and they are not indexed.
        pass
    return posts
