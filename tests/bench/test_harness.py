"""Smoke tests of the benchmarks' helpers (the benchmarks themselves are commands)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.clients import run_clients
from bench.corpus import (
    body_of,
    plain_text,
    read_jsonl,
    record_of,
    reshuffled,
    split_sentences,
    write_jsonl,
)
from bench.memory import STATUS_FIELDS, child_pids, process_memory
from bench.queries import (
    advosearch_q,
    fts5_match,
    full_date,
    make_queries,
    tantivy_text,
    title_words,
)
from bench.stats import median, percentile
from indexer.formats import ParsedFile, parse_paths

ARTICLES = [
    {
        "id": f"a{i}",
        "title": title,
        "date": "2019-05",
        "tags": tags,
        "source": "site",
        "sections": [
            {"heading": None, "anchor": "intro", "text": "First one. Second one here."},
            {
                "heading": "Arrests & trials",
                "anchor": "arrests",
                "text": "A <b> trial. Then.\n\nMore.",
            },
        ],
    }
    for i, (title, tags) in enumerate(
        [
            ("Journalists arrested in Cambodia", ["press"]),
            ("Internet shutdown ordered", []),
            ("The court and the press law", ["law", "press"]),
        ]
    )
]


def test_records_round_trip_through_the_project_reader(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    path.write_text("".join(json.dumps(record_of(a)) + "\n" for a in ARTICLES))
    [parsed] = list(parse_paths([path]))
    assert isinstance(parsed, ParsedFile)
    article = parsed.articles[0]
    assert article.title == "Journalists arrested in Cambodia"
    assert [s.heading for s in article.sections] == [None, "Arrests & trials"]
    assert article.sections[1].text == "A <b> trial. Then.\n\nMore."
    assert body_of([s.__dict__ for s in article.sections]) == record_of(ARTICLES[0])["body"]


def test_plain_text_unescapes_and_drops_markup() -> None:
    text = plain_text(record_of(ARTICLES[0])["body"])
    assert "A <b> trial." in text and "<h2>" not in text and "Arrests & trials" in text
    assert plain_text("no markup\n\nhere") == "no markup\n\nhere"


def test_reshuffle_is_seeded_and_keeps_shape() -> None:
    first = list(reshuffled(ARTICLES, 3, seed=1))
    assert first == list(reshuffled(ARTICLES, 3, seed=1))
    assert len(first) == 9 and first[0] == ARTICLES[0]
    copy = first[1]
    assert copy["id"] == "a0-x1" and copy["title"] == ARTICLES[0]["title"]
    assert [s["heading"] for s in copy["sections"]] == [None, "Arrests & trials"]
    assert copy["sections"][1]["text"].count("\n\n") == 1
    assert split_sentences("One here. Two there! «Three»") == ["One here.", "Two there! «Three»"]


def test_query_set_is_seeded_and_translates_per_engine() -> None:
    records = [record_of(a) for a in ARTICLES]
    counts = {"words": 5, "phrase": 2, "date": 2, "tag": 2}
    queries = make_queries(records, seed=3, counts=counts)
    assert queries == make_queries(records, seed=3, counts=counts)
    assert [q["kind"] for q in queries].count("tag") == 2
    assert all(q["tag"] in ("press", "law") for q in queries if q["kind"] == "tag")
    assert title_words("The court and the press law") == ["", "court", "", "", "press", "law"]
    phrase = {"kind": "phrase", "words": ["press", "law"]}
    words = {"kind": "words", "words": ["press", "law"]}
    assert advosearch_q(phrase) == '"press law"' and advosearch_q(words) == "press law"
    assert fts5_match(words) == '"press" "law"' and tantivy_text(words) == "+press +law"
    assert full_date("2019") == "2019-01-01" and full_date("2019-5") == "2019-05-01"
    assert full_date(None) is None


def test_percentiles() -> None:
    values = list(range(1, 101))
    assert percentile(values, 0.5) == 50 and percentile(values, 0.95) == 95
    assert percentile(values, 0.99) == 99 and math.isnan(percentile([], 0.5))
    assert median([3, 1, 2, float("nan")]) == 2 and median([1, 2]) == 1.5


def test_nearest_rank_never_reports_below_the_fraction() -> None:
    # The element at round(0.95 * 98) would be the 94th of 99: under 95% at or below it.
    assert percentile(list(range(1, 100)), 0.95) == 95


def test_jsonl_round_trip(tmp_path: Path) -> None:
    records = [record_of(a) for a in ARTICLES]
    write_jsonl(records, tmp_path / "docs.jsonl")
    assert list(read_jsonl(tmp_path / "docs.jsonl")) == records


def test_process_memory_of_self_and_of_a_finished_process() -> None:
    memory = process_memory(os.getpid())
    assert set(memory) == set(STATUS_FIELDS)
    assert memory["VmHWM"] >= memory["VmRSS"] >= memory["RssAnon"] > 0
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        assert child.pid in child_pids(os.getpid())
        child.kill()
    assert process_memory(child.pid) == {} and child.pid not in child_pids(os.getpid())


class _Answers(BaseHTTPRequestHandler):
    """200 for /ok, 503 for anything else."""

    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/ok" else 503)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_clients_stop_at_the_count_or_the_time_and_count_errors() -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), _Answers) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        port = server.server_address[1]
        try:
            for keep_alive in (True, False):
                row = run_clients(
                    port,
                    ["/ok", "/ok", "/busy"],
                    3,
                    seconds=30,
                    max_requests=9,
                    keep_alive=keep_alive,
                )
                assert (row["n"], row["errors"], row["error_kinds"]) == (6, 3, {"503": 3})
                assert row["first_error"] == "HTTP 503 Service Unavailable"
            row = run_clients(port, ["/ok"], 2, seconds=0.2)
            assert row["n"] > 0 and row["errors"] == 0 and 0.2 <= row["seconds"] < 5
        finally:
            server.shutdown()
