"""The benchmark's seeded query set (pure functions, no engine imports).

A query is a dict: ``kind`` (``words``, ``phrase``, ``date``, ``tag``), ``words`` (folded,
alphabetic, no stop words), and for filters ``from``/``to`` (ISO dates) or ``tag``. Each
engine translates the same dict into its own query language (see ``bench/engines.py``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable

# advosearch's stop words (indexer.languages.STOP_WORDS["en"]), copied so this module has
# no project import; plus the query language's operators, whatever their case.
STOP_WORDS = frozenset(
    """a an the and or but if of to in on at by for with from as into onto than then so
    is are was were be been being am it its it's this that these those there here
    he she him her his hers they them their theirs we our ours you your yours i me my
    has have had having do does did doing which whom whose what when where while
    also would could should shall not near""".split()  # noqa: SIM905
)

DEFAULT_COUNTS = {"words": 300, "phrase": 30, "date": 30, "tag": 30}


def title_words(title: str) -> list[str]:
    """A title's content words, lowercased, in order (alphabetic words of 2+ letters)."""
    words = [w.strip(".,:;!?\"'()[]“”‘’«»").lower() for w in title.split()]
    return [w if w.isalpha() and len(w) >= 2 and w not in STOP_WORDS else "" for w in words]


def make_queries(
    records: Iterable[dict], seed: int, counts: dict[str, int] | None = None
) -> list[dict]:
    """The seeded query set: one- to three-word queries from real titles (or, for records
    without one, the label advosearch derives from the text's first words), two-word phrases
    (adjacent content words of a title), and word queries with a date range or a tag filter
    (a tag of the same article, so the filter is a real one)."""
    counts = {**DEFAULT_COUNTS, **(counts or {})}
    rng = random.Random(seed)
    docs = []
    for record in records:
        slots = title_words(record.get("title") or record.get("label") or "")
        words = [w for w in slots if w]
        if words:
            pairs = [(a, b) for a, b in itertools.pairwise(slots) if a and b]
            docs.append((words, pairs, list(record.get("tags") or [])))
    docs.sort(key=lambda d: (d[0], d[2]))
    queries: list[dict] = []
    for _ in range(counts["words"]):
        words, _, _ = rng.choice(docs)
        k = min(len(words), rng.randint(1, 3))
        queries.append({"kind": "words", "words": rng.sample(words, k)})
    with_pairs = [d for d in docs if d[1]]
    for _ in range(counts["phrase"]):
        _, pairs, _ = rng.choice(with_pairs)
        queries.append({"kind": "phrase", "words": list(rng.choice(pairs))})
    for _ in range(counts["date"]):
        words, _, _ = rng.choice(docs)
        start = rng.randint(2016, 2022)
        end = min(2023, start + rng.randint(0, 3))
        queries.append(
            {
                "kind": "date",
                "words": [rng.choice(words)],
                "from": f"{start}-01-01",
                "to": f"{end}-12-31",
            }
        )
    with_tags = [d for d in docs if d[2]]
    for _ in range(counts["tag"]):
        words, _, tags = rng.choice(with_tags)
        queries.append({"kind": "tag", "words": [rng.choice(words)], "tag": rng.choice(tags)})
    return queries


def advosearch_q(query: dict) -> str:
    """The query in advosearch's query language."""
    text = " ".join(query["words"])
    return f'"{text}"' if query["kind"] == "phrase" else text


def fts5_match(query: dict) -> str:
    """The query as an FTS5 MATCH expression (every word quoted: no operator surprises)."""
    if query["kind"] == "phrase":
        return '"' + " ".join(query["words"]) + '"'
    return " ".join(f'"{w}"' for w in query["words"])


def tantivy_text(query: dict) -> str:
    """The query in tantivy's query language: every word required, or one phrase."""
    if query["kind"] == "phrase":
        return '"' + " ".join(query["words"]) + '"'
    return " ".join(f"+{w}" for w in query["words"])


def full_date(value: str | None) -> str | None:
    """``YYYY``/``YYYY-MM``/``YYYY-MM-DD…`` → ``YYYY-MM-DD`` (missing parts are 01), as
    advosearch stores dates; None when absent."""
    if not value:
        return None
    parts = value[:10].split("-")
    if not parts[0].isdigit():
        return None
    parts += ["01"] * (3 - len(parts))
    return "-".join(p.zfill(2) for p in parts[:3])
