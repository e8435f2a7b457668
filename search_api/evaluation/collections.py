"""Test collections with relevance judgments, read from their original files.

Each loader returns the documents, the queries and the graded judgments; ``write_jsonl``
turns the documents into one JSONL file the real indexer reads, so a collection is indexed
exactly as a site's export would be. The article ids the indexer gives are
``{file stem}/{record id}``: ``article_id`` maps a judged document number to one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Document:
    id: str
    body: str
    title: str | None = None
    date: str | None = None  # ISO date, when the collection gives one


@dataclass
class Collection:
    name: str
    documents: list[Document]
    queries: dict[str, str]  # query id -> text
    qrels: dict[str, dict[str, int]] = field(default_factory=dict)  # query -> doc -> gain

    def article_id(self, doc_id: str) -> str:
        return f"{self.name}/{doc_id}"


def write_jsonl(collection: Collection, folder: Path) -> Path:
    """The documents as ``{folder}/{name}.jsonl``; fields absent from the collection are left
    out, so the indexer treats them as any export without them."""
    path = folder / f"{collection.name}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for doc in collection.documents:
            record = {"id": doc.id, "title": doc.title, "body": doc.body, "date": doc.date}
            kept = {key: value for key, value in record.items() if value is not None}
            handle.write(json.dumps(kept, ensure_ascii=False) + "\n")
    return path


def load(folder: Path) -> Collection:
    """The collection in ``folder``, recognised by its files."""
    if (folder / "TIME.ALL").exists():
        return load_time(folder)
    if (folder / "cran.all.1400").exists():
        return load_cranfield(folder)
    raise ValueError(f"{folder}: not a known test collection (TIME or Cranfield)")


# --- TIME -------------------------------------------------------------------------------

# One header has a space for its second slash ("08/30 63").
_TIME_HEADER = re.compile(r"^\*TEXT\s+\d+\s+(\d\d)/(\d\d)[/ ](\d\d)\s+PAGE\s+\d+\s*$", re.M)
_TIME_QUERY = re.compile(r"^\*FIND\s+(\d+)\s*$", re.M)


def load_time(folder: Path) -> Collection:
    """TIME 1963: documents numbered by position (1-based), binary judgments.

    The collection is all upper case. Queries are lowercased, as a reader would type them:
    upper-case ``AND``/``OR``/``NOT`` are operators in the query language, and in these
    sentences they are plain words. Judged numbers with no document (424, 425) are dropped.
    """
    text = (folder / "TIME.ALL").read_text(encoding="latin-1")
    headers = list(_TIME_HEADER.finditer(text))
    documents = []
    for number, header in enumerate(headers, start=1):
        end = headers[number].start() if number < len(headers) else len(text)
        month, day, year = header.groups()
        documents.append(
            Document(
                id=str(number),
                body=_unwrap(text[header.end() : end]),
                date=f"19{year}-{month}-{day}",
            )
        )
    queries = {
        number: body.lower()
        for number, body in _split_at((folder / "TIME.QUE").read_text(encoding="latin-1"))
    }
    known = {doc.id for doc in documents}
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "TIME.REL.ALL").read_text(encoding="latin-1").splitlines():
        if line.strip():
            qid, *doc_ids = line.split()
            qrels[qid] = {doc_id: 1 for doc_id in doc_ids if doc_id in known}
    return Collection("time", documents, queries, qrels)


# --- Cranfield --------------------------------------------------------------------------

_CRAN_FIELD = re.compile(r"^\.([ITABW])\b[ \t]*(.*)$", re.M)


def load_cranfield(folder: Path) -> Collection:
    """Cranfield 1400: ``.T`` title and ``.W`` text; judgments graded 1 (complete answer)
    to 4 (minimum interest), gain ``5 - code``; -1 (not relevant) gains nothing.

    Queries are numbered 1-225 in file order by the judgments, not by their ``.I`` numbers.
    """
    documents = []
    for record in _cran_records((folder / "cran.all.1400").read_text(encoding="latin-1")):
        documents.append(
            Document(id=record["I"], title=record.get("T") or None, body=record.get("W", ""))
        )
    queries = {
        str(position): record.get("W", "")
        for position, record in enumerate(
            _cran_records((folder / "cran.qry").read_text(encoding="latin-1")), start=1
        )
    }
    qrels: dict[str, dict[str, int]] = {}
    for line in (folder / "cranqrel").read_text(encoding="latin-1").splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        qid, doc_id, code = parts[0], parts[1], int(parts[2])
        qrels.setdefault(qid, {})[doc_id] = 5 - code if 1 <= code <= 4 else 0
    return Collection("cran", documents, queries, qrels)


def _cran_records(text: str) -> list[dict[str, str]]:
    """``.I n`` records as ``{"I": n, "T": title, "A": ..., "W": text}``, lines unwrapped."""
    records: list[dict[str, str]] = []
    matches = list(_CRAN_FIELD.finditer(text))
    for index, match in enumerate(matches):
        tag, rest = match.groups()
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        if tag == "I":
            records.append({"I": rest.strip()})
        elif records:
            records[-1][tag] = _unwrap(text[match.end() : end])
    return records


def _split_at(text: str) -> list[tuple[str, str]]:
    """TIME's ``*FIND n`` queries as ``(n, text)``."""
    marks = list(_TIME_QUERY.finditer(text))
    ends = [mark.start() for mark in marks[1:]] + [len(text)]
    return [
        (mark.group(1), _unwrap(text[mark.end() : end]))
        for mark, end in zip(marks, ends, strict=True)
    ]


def _unwrap(text: str) -> str:
    """Hard-wrapped lines (and TIME's blank line after each) joined into one paragraph."""
    return " ".join(text.split())
