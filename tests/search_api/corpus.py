"""The fixture archive: a dozen literal articles in two sources, written as JSON exports.

Two sources (folders ``globalvoices`` and ``amnesty``), each one JSON export. Record ids are
prefixed with the file's stem, so every article id contains a "/" (``gv/cambodia-press``).
The texts are written so each test can name the exact articles it expects:

- "journalist's" alone is in gv/thai-lese-majeste; "journalists" in gv/cambodia-press.
- "internet shutdown" is in India and Ethiopia; "internet" alone in the two COVID-19 stories.
- amnesty/covid-surveillance-copy is the same story as gv/covid-surveillance, republished.
- the annual report mentions torture in four sections, one of them over 300 characters.
- amnesty/xss-report's text holds a literal ``<script>`` tag and an ``&``.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from indexer.build import ParseOptions, build_index
from indexer.settings import Settings
from search_api.app import create_app

LONG_METHODS = (
    "Former detainees described the daily routine of the facility in great detail, from the "
    "early morning roll call to the long hours spent in crowded cells without light or air. "
    "Guards rotated every few days, and prisoners rarely learned their names. Several men said "
    "that interrogators used torture to extract confessions, and that doctors at the facility "
    "ignored their injuries. Families were not told where their relatives were held, and "
    "lawyers were refused entry for months. Visitors who asked questions were turned away at "
    "the gate, and letters sent by relatives never reached the cells."
)

GLOBALVOICES = [
    {
        "id": "cambodia-press",
        "title": "Cambodia jails journalists before the elections",
        "date": "2018-07-29",
        "author": "Sopheap Chak",
        "tags": ["Cambodia", "freespeech"],
        "url": "https://globalvoices.example/2018/07/29/cambodia-press/",
        "body": (
            "<p>Two reporters were detained in Phnom Penh this week.</p>"
            "<h2>Arrests</h2><p>Police seized the journalist's camera and notebooks. "
            "Journalists say the arrests are meant to silence coverage.</p>"
            "<h2>Elections</h2><p>Hun Sen's party faces no real opposition in the elections "
            "since the CNRP was dissolved.</p>"
            "<h2>Reaction</h2><p>Press freedom groups condemned the detentions.</p>"
        ),
    },
    {
        "id": "laos-elections",
        "title": "Laos holds one-party elections",
        "date": "2016-03-20",
        "author": "Khamla Vong",
        "tags": ["Laos"],
        "body": (
            "<p>Voters in Laos went to the polls. Unlike neighbouring Cambodia, no opposition "
            "party exists at all.</p>"
            "<h2>Results</h2><p>The ruling party won every seat in the elections.</p>"
        ),
    },
    {
        "id": "cambodia-land",
        "title": "Cambodia evicts land rights activists",
        "date": "2021-02-10",
        "author": "Sopheap Chak",
        "tags": ["Cambodia", "land"],
        "body": (
            "<p>Families in Koh Kong were evicted to make way for a sugar plantation.</p>"
            "<h2>Protest</h2><p>Activists who protested were fined.</p>"
        ),
    },
    {
        "id": "thai-lese-majeste",
        "title": "Lèse Majesté charges multiply in Thailand",
        "date": "2019-05-01",
        "author": "Niran Suksai",
        "tags": ["Thailand", "freespeech"],
        "body": (
            "<p>Under Thailand's lèse majesté law, insulting the monarchy carries up to 15 "
            "years in prison.</p>"
            "<h2>Cases</h2><p>A student was charged for a Facebook post. The student's lawyer "
            "said the journalist's source was also questioned.</p>"
        ),
    },
    {
        "id": "covid-surveillance",
        "title": "COVID-19 contact tracing app raises surveillance fears",
        "date": "2020-04-15",
        "author": "Ana Lima",
        "tags": ["COVID-19", "privacy", "surveillance"],
        "body": (
            "<p>The government launched a COVID-19 contact tracing app that records "
            "location data.</p>"
            "<h2>Privacy concerns</h2><p>Digital rights groups warn that the surveillance "
            "tools will outlast the pandemic. Internet use was also tracked.</p>"
            "<h2>Government response</h2><p>Officials said the data would be deleted after "
            "the pandemic.</p>"
        ),
    },
    {
        "id": "india-shutdown",
        "title": "India orders internet shutdown in Kashmir",
        "date": "2020-08-05",
        "author": "Rohan Mehta",
        "tags": ["India", "internet"],
        "body": (
            "<p>Authorities imposed an internet shutdown across the region.</p>"
            "<h2>Impact</h2><p>During the covid lockdown, 19 districts remained offline.</p>"
        ),
    },
    {
        "id": "periodistas",
        "title": "Periodistas amenazados en México",
        "date": "2019-09-12",
        "author": "Lucía Ramírez",
        "tags": ["freespeech", "México"],
        "language": "es",
        "body": "<p>Tres periodistas recibieron amenazas de muerte en Veracruz.</p>",
    },
]

AMNESTY = [
    {
        "id": "covid-surveillance-copy",
        "title": "COVID-19 contact tracing app raises surveillance fears (republished)",
        "date": "2020-04-16",
        "author": "Ana Lima",
        "tags": ["COVID-19", "privacy", "surveillance"],
        "body": GLOBALVOICES[4]["body"],
    },
    {
        "id": "facial-recognition",
        "title": "Facial recognition cameras expand surveillance in Moscow",
        "date": "2021-08-09",
        "author": ["Ana Lima", "I.K. Petrov"],
        "tags": ["surveillance", "privacy"],
        "body": (
            "<p>Thousands of facial recognition cameras now watch the metro.</p>"
            "<h2>Surveillance</h2><p>Critics say the surveillance network records the "
            "location data of every rider and is used against protesters.</p>"
        ),
    },
    {
        "id": "ethiopia-shutdown",
        "title": "Ethiopia cuts access during protests",
        "date": "2020-06-30",
        "author": "Selam Bekele",
        "tags": ["Ethiopia", "internet"],
        "body": (
            "<p>An internet shutdown followed the killing of a popular singer.</p>"
            "<h2>Elections</h2><p>Critics fear the elections will be postponed again.</p>"
        ),
    },
    {
        "id": "reports/2018/annual",
        "title": "Annual report: detention conditions",
        "date": "2018-12-31",
        "author": "Amnesty Research Team",
        "tags": ["torture", "detention"],
        "body": (
            "<p>This report documents torture in detention facilities during 2018.</p>"
            f"<h2>Methods</h2><p>{LONG_METHODS}</p>"
            "<h2>Testimonies</h2><p>Survivors of torture spoke to our researchers.</p>"
            "<h2>Legal framework</h2><p>Torture is banned under national law.</p>"
            "<h2>Recommendations</h2><p>Governments must ratify the convention and open "
            "every facility to independent monitors.</p>"
        ),
    },
    {
        "id": "xss-report",
        "title": "Hacked news site defaced",
        "date": "2017-11-03",
        "author": "Selam Bekele",
        "tags": ["security"],
        "body": (
            "<p>Attackers injected &lt;script&gt;alert(1)&lt;/script&gt; into the comment "
            "form of a site run by Tom &amp; Jerry Media.</p>"
            "<h2>Response</h2><p>The editors restored the site.</p>"
        ),
    },
]

ALL_IDS = sorted(
    [f"gv/{record['id']}" for record in GLOBALVOICES]
    + [f"amnesty/{record['id']}" for record in AMNESTY]
)


# Files a process cannot read: one of its own, for which file modes count. Root reads every
# file whatever its mode, so as root (CI) it runs without that capability.
UNPRIVILEGED = (
    ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
    if os.geteuid() == 0
    else []
)
needs_unreadable_files = pytest.mark.skipif(
    bool(UNPRIVILEGED) and shutil.which("setpriv") is None,
    reason="root reads every file; setpriv (util-linux) is needed to run without that",
)


def write_corpus(root: Path) -> Path:
    """The fixture archive as files: ``root/globalvoices/gv.json``, ``root/amnesty/...``."""
    for folder, stem, records in (
        ("globalvoices", "gv", GLOBALVOICES),
        ("amnesty", "amnesty", AMNESTY),
    ):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"{stem}.json").write_text(json.dumps(records), encoding="utf-8")
    return root


def index_corpus(paths: list[Path], index_dir: Path) -> None:
    summary = build_index(paths, index_dir, ParseOptions(), workers=1)
    assert not summary.skipped and not summary.warnings, (summary.skipped, summary.warnings)


@contextmanager
def records_client(root: Path, name: str, records: list[dict[str, Any]]) -> Iterator[TestClient]:
    """The app over an index of ``records``, one JSON export under ``root`` (``name``: its
    file name, whose stem starts the articles' ids), rate limit off."""
    (root / "corpus").mkdir()
    (root / "corpus" / name).write_text(json.dumps(records), encoding="utf-8")
    index_corpus([root / "corpus"], root / "index")
    with TestClient(create_app(root / "index", Settings(rate_limit_per_minute=0))) as client:
        yield client


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    """GET /search, asserting success; ``date_from``/``date_to`` are sent as from/to."""
    for name, alias in (("date_from", "from"), ("date_to", "to")):
        if name in params:
            params[alias] = params.pop(name)
    response = client.get("/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def ids(response: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in response["results"]]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
