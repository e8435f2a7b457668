"""What a user would pick instead, on the same documents and queries: the bars to beat.

* ``plain_bm25``: unstemmed BM25 (k1=1.2, b=0.75, idf log(1 + (N - n + 0.5)/(n + 0.5))) over
  one field (title and body), words as the analyzer's tokenizer finds them, lowercased; no
  stop words, no stemming. Query words are OR'ed and counted as often as they occur.
* ``fts5``: SQLite FTS5 with ``tokenize='porter unicode61'``, ranked by ``bm25()``, query
  words OR'ed, as many sites do it. The query is split into words as ``unicode61`` splits
  the text (runs of letters and digits), so "russia's" is "russia" OR "s", as FTS5 indexed
  it, not the phrase "russia s", which only an article that writes "Russia's" has.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections import Counter
from collections.abc import Iterator

from indexer.analysis import TOKEN_PATTERN
from search_api.evaluation.collections import Collection

_TOKEN = re.compile(TOKEN_PATTERN)
# What unicode61 keeps as a token: letters and digits; every other character separates.
_FTS5_TOKEN = re.compile(r"[^\W_]+")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _TOKEN.findall(text)]


def _one_field(title: str | None, body: str) -> str:
    return f"{title}\n{body}" if title else body


def plain_bm25(
    collection: Collection, depth: int, k1: float = 1.2, b: float = 0.75
) -> dict[str, list[str]]:
    """Query id -> the ``depth`` best document ids."""
    postings: dict[str, list[tuple[int, int]]] = {}
    lengths = []
    for number, doc in enumerate(collection.documents):
        words = _words(_one_field(doc.title, doc.body))
        lengths.append(len(words))
        for word, count in Counter(words).items():
            postings.setdefault(word, []).append((number, count))
    total = len(lengths)
    average = sum(lengths) / total
    run = {}
    for qid, text in collection.queries.items():
        scores: Counter[int] = Counter()
        for word, query_count in Counter(_words(text)).items():
            docs = postings.get(word, [])
            idf = math.log(1 + (total - len(docs) + 0.5) / (len(docs) + 0.5))
            for number, count in docs:
                norm = k1 * (1 - b + b * lengths[number] / average)
                scores[number] += query_count * idf * count * (k1 + 1) / (count + norm)
        ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:depth]
        run[qid] = [collection.documents[number].id for number, _ in ranked]
    return run


def fts5(collection: Collection, depth: int) -> dict[str, list[str]]:
    """Query id -> the ``depth`` best document ids, from an in-memory FTS5 table."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(doc_id UNINDEXED, text, "
            "tokenize='porter unicode61')"
        )
        connection.executemany(
            "INSERT INTO docs (doc_id, text) VALUES (?, ?)",
            ((doc.id, _one_field(doc.title, doc.body)) for doc in collection.documents),
        )
        run = {}
        for qid, text in collection.queries.items():
            match = " OR ".join(_fts5_strings(text))
            if not match:
                run[qid] = []
                continue
            rows = connection.execute(
                "SELECT doc_id FROM docs WHERE docs MATCH ? ORDER BY bm25(docs), rowid LIMIT ?",
                (match, depth),
            )
            run[qid] = [doc_id for (doc_id,) in rows]
        return run
    finally:
        connection.close()


def _fts5_strings(text: str) -> Iterator[str]:
    """Each word as an FTS5 string, so nothing in a query is read as FTS5 syntax."""
    for word in _FTS5_TOKEN.findall(text):
        yield f'"{word}"'
