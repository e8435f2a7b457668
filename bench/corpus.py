"""Reproducible benchmark corpora as JSONL that ``advosearch index`` reads (a tool, not a test).

1x: the real articles of ``../shared/corpora``, read by the project's own parser
(``indexer.formats.parse_paths``): Global Voices (JSON), Internet Freedom Foundation and
Digital Rights Watch (Markdown) and Freedom House "Freedom in the World" in English
(JSONL, with ``tags=country`` mapped so the passages carry a country tag) — the 37,293
documents of issue 6. ``--set all`` adds the seed page, the WordPress export and the
Spanish Freedom House passages (``body=detalle``, ``tags=pais``).

10x: every 1x article, plus nine copies of it that keep its title, date, tags, headings and
paragraph shape but whose sentences are drawn, with ``random.Random(seed)``, from the real
sentences of all articles of the same site. The result has realistic term statistics,
document lengths and metadata, and ten times the documents.

One record per line: ``id, title, date, tags, authors, url, language, body``, and ``label``
when the source had no title: ``title`` is then empty, so advosearch derives its own label
from the text (and does not index it as a title), and no engine indexes a title for it;
``label`` (the project's derived title, a field no reader maps) feeds the query set. ``body`` is
HTML (``<h2>`` headings, ``<p>`` paragraphs, text escaped) when the article has headed
sections, so ``advosearch index`` rebuilds the same sections; otherwise plain paragraphs
separated by blank lines. Other engines index ``plain_text(body)``.

    python bench/corpus.py --out /tmp/advobench --scale 1 10
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SHARED = ROOT.parent / "shared" / "corpora"
DEFAULT_SEED = 20240606

# (relative path, field_map) per corpus set; each group is parsed with its own field map.
SETS: dict[str, list[tuple[str, dict[str, str]]]] = {
    "issue": [
        ("globalvoices/articles.json", {}),
        ("iff/post", {}),
        ("drw/blog", {}),
        ("freedomhouse/fiw_en.jsonl.gz", {"tags": "country"}),
    ],
}
SETS["all"] = [
    *SETS["issue"],
    ("seed", {}),
    ("wordpress/globalvoices-2004.wxr.xml", {}),
    ("freedomhouse/fiw_es.jsonl.gz", {"body": "detalle", "tags": "pais", "language": "xx"}),
]

_SENTENCE_RE = re.compile(r"(?<=[.!?…])[\"'”’)]?\s+(?=[\"'“‘(]?[A-Z0-9])")
_TAG_RE = re.compile(r"<[^>]+>")


def split_sentences(paragraph: str) -> list[str]:
    """A paragraph's sentences (a plain splitter: good enough to reshuffle real text)."""
    return [s.strip() for s in _SENTENCE_RE.split(paragraph) if s.strip()]


def plain_text(body: str) -> str:
    """The text of a record's body for engines that take plain text (tags dropped)."""
    if "<" not in body:
        return body
    text = re.sub(r"</(?:p|h[1-6])>", "\n\n", body)
    return html.unescape(_TAG_RE.sub("", text))


def body_of(sections: list[dict]) -> str:
    """A record body that the project's JSON reader turns back into these sections."""
    if not any(s.get("heading") for s in sections):
        return "\n\n".join(s["text"] for s in sections)
    parts: list[str] = []
    for section in sections:
        if section.get("heading"):
            parts.append(f"<h2>{html.escape(section['heading'], quote=False)}</h2>")
        for paragraph in section["text"].split("\n\n"):
            if paragraph.strip():
                parts.append(f"<p>{html.escape(paragraph, quote=False)}</p>")
    return "\n".join(parts)


def record_of(article: dict, body: str | None = None) -> dict:
    derived = bool(article.get("title_derived"))
    record = {
        "id": article["id"],
        "title": "" if derived else article["title"],
        "date": article.get("date"),
        "tags": article.get("tags") or [],
        "authors": article.get("authors") or [],
        "url": article.get("url"),
        "language": article.get("language") or "en",
        "body": body if body is not None else body_of(article["sections"]),
    }
    if derived:
        record["label"] = article["title"]
    return record


def real_articles(shared: Path, corpus_set: str) -> Iterator[dict]:
    """The articles of the set as the project's parser reads them (``Article.to_json()``)."""
    from indexer.formats import SkippedFile, parse_paths

    for relative, field_map in SETS[corpus_set]:
        path = shared / relative
        if not path.exists():
            raise SystemExit(f"missing {path}: the benchmark corpora come from ../shared")
        language = field_map.get("language")
        field_map = {k: v for k, v in field_map.items() if k != "language"}
        for parsed in parse_paths([path], field_map=field_map):
            if isinstance(parsed, SkippedFile):
                print(f"skipped {parsed.path}: {parsed.reason}", file=sys.stderr)
                continue
            for article in parsed.articles:
                data = article.to_json()
                if language == "xx":
                    data["language"] = "es"
                # Ids are unique per file; prefix the corpus so they stay unique in one file.
                data["id"] = f"{Path(relative).parts[0]}-{data['id']}"
                yield data


def reshuffled(articles: list[dict], scale: int, seed: int) -> Iterator[dict]:
    """Each article, then ``scale - 1`` copies with its shape and other sentences of its site."""
    rng = random.Random(seed)
    pools: dict[str, list[str]] = {}
    for article in articles:
        pool = pools.setdefault(article.get("source") or "", [])
        for section in article["sections"]:
            for paragraph in section["text"].split("\n\n"):
                pool.extend(split_sentences(paragraph))
    for article in articles:
        yield article
        pool = pools[article.get("source") or ""]
        for copy in range(1, scale):
            sections = []
            for section in article["sections"]:
                paragraphs = [
                    " ".join(rng.choice(pool) for _ in split_sentences(p) or [p])
                    for p in section["text"].split("\n\n")
                ]
                sections.append({**section, "text": "\n\n".join(paragraphs)})
            yield {**article, "id": f"{article['id']}-x{copy}", "sections": sections}


def write_jsonl(records: Iterable[dict], path: Path) -> tuple[int, str]:
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    count = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            handle.write(line)
            digest.update(line.encode())
            count += 1
    tmp.replace(path)
    return count, digest.hexdigest()


def read_jsonl(path: Path) -> Iterator[dict]:
    """The records of a JSONL file (as ``write_jsonl`` writes them), one at a time."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            yield json.loads(line)


def corpus_path(out: Path, scale: int, corpus_set: str = "issue") -> Path:
    return out / f"corpus-{corpus_set}-{scale}x" / "docs.jsonl"


def make_corpora(
    out: Path,
    scales: list[int],
    *,
    shared: Path = DEFAULT_SHARED,
    corpus_set: str = "issue",
    seed: int = DEFAULT_SEED,
    force: bool = False,
) -> dict[int, dict]:
    """Write the JSONL of each scale (reused when its manifest matches); returns manifests."""
    manifests: dict[int, dict] = {}
    wanted = {}
    for scale in scales:
        path = corpus_path(out, scale, corpus_set)
        manifest_path = path.with_name("manifest.json")
        expect = {
            "format": 2,
            "set": corpus_set,
            "scale": scale,
            "seed": seed,
            "shared": str(shared),
        }
        if not force and path.exists() and manifest_path.exists():
            manifest = json.loads(manifest_path.read_text())
            if all(manifest.get(k) == v for k, v in expect.items()):
                manifests[scale] = manifest
                continue
        wanted[scale] = (path, manifest_path, expect)
    if not wanted:
        return manifests
    started = time.perf_counter()
    articles = list(real_articles(shared, corpus_set))
    print(
        f"parsed {len(articles)} articles in {time.perf_counter() - started:.1f} s", file=sys.stderr
    )
    for scale, (path, manifest_path, expect) in sorted(wanted.items()):
        started = time.perf_counter()
        count, sha = write_jsonl((record_of(a) for a in reshuffled(articles, scale, seed)), path)
        manifest = {
            **expect,
            "documents": count,
            "bytes": path.stat().st_size,
            "sha256": sha,
            "path": str(path),
        }
        manifest_path.write_text(json.dumps(manifest, indent=2))
        manifests[scale] = manifest
        print(
            f"wrote {count} records ({path.stat().st_size / 2**20:.0f} MB) to {path} "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
    return manifests


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the JSONL files")
    parser.add_argument("--scale", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--set", dest="corpus_set", choices=sorted(SETS), default="issue")
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--force", action="store_true", help="rewrite even if up to date")
    args = parser.parse_args()
    manifests = make_corpora(
        args.out,
        args.scale,
        shared=args.shared,
        corpus_set=args.corpus_set,
        seed=args.seed,
        force=args.force,
    )
    print(json.dumps(manifests, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
