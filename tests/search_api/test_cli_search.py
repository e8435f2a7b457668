"""``advosearch search``: the same answer as GET /search, as JSON or as a readable list."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from search_api.cli import main
from tests.search_api.corpus import search


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def without_timing(document: dict) -> dict:
    return {key: value for key, value in document.items() if key != "took_ms"}


@pytest.mark.parametrize(
    ("argv", "params"),
    [
        (["journalists"], {"q": "journalists"}),
        (["cambodia OR laos elections"], {"q": "cambodia OR laos elections"}),
        (["jornalists cambodia"], {"q": "jornalists cambodia"}),
        (
            ["surveillance", "--sort", "date", "--limit", "2", "--page", "2"],
            {"q": "surveillance", "sort": "date", "page_size": 2, "page": 2},
        ),
        (
            ["", "--tag", "freespeech", "--from", "2019-01-01", "--to", "2019-12-31"],
            {"tag": "freespeech", "date_from": "2019-01-01", "date_to": "2019-12-31"},
        ),
        (["alert", "--source", "amnesty", "--language", "en"], {"q": "alert", "source": "amnesty"}),
    ],
)
def test_json_is_the_same_document_as_the_api(
    capsys, client: TestClient, index_dir: Path, argv: list[str], params: dict
):
    code, out, _ = run(capsys, "search", *argv, "--index", str(index_dir), "--json")
    assert code == 0
    assert without_timing(json.loads(out)) == without_timing(search(client, **params))


def test_readable_list(capsys, index_dir: Path):
    code, out, _ = run(capsys, "search", "journalists", "--index", str(index_dir))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "2 articles for journalist"
    assert "1. Cambodia jails journalists before the elections  [2018-07-29 · globalvoices]" in out
    assert "   https://globalvoices.example/2018/07/29/cambodia-press/" in lines
    assert "2. Lèse Majesté charges multiply in Thailand  [2019-05-01 · globalvoices]" in out
    assert "   /a/gv/thai-lese-majeste" in lines
    # Marks become brackets and entities are decoded: no HTML in a terminal.
    assert (
        "   § Cases: A student was charged for a Facebook post. The student's lawyer said "
        "the [journalist's] source was also questioned." in lines
    )
    assert "<mark>" not in out


def test_readable_list_shows_notes_and_suggestion(capsys, index_dir: Path):
    code, out, _ = run(capsys, "search", "jornalists cambodia", "--index", str(index_dir))
    assert code == 0
    assert "note: no article matches all the words; showing articles that match some" in out
    assert "did you mean: journalists cambodia" in out


def test_text_is_unescaped_for_the_terminal(capsys, index_dir: Path):
    _, out, _ = run(capsys, "search", "alert", "--index", str(index_dir))
    assert "injected <script>[alert](1)</script> into" in out
    assert "Tom & Jerry" in out


def test_invalid_parameter_is_a_message_not_a_traceback(capsys, index_dir: Path):
    code, out, err = run(capsys, "search", "x", "--index", str(index_dir), "--from", "soon")
    assert code == 1
    assert err == "advosearch: from must be a date like 2018-07-29, 2018-07 or 2018 (got 'soon')\n"
    assert out == ""


@pytest.mark.parametrize(
    ("limit", "message"), [("0", "must be 1 or more, not 0"), ("101", "at most 100 articles")]
)
def test_limit_out_of_range_names_the_option(capsys, index_dir: Path, limit: str, message: str):
    with pytest.raises(SystemExit) as exited:
        main(["search", "x", "--index", str(index_dir), "--limit", limit])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --limit: {message}" in err
    assert "page_size" not in err


def test_missing_index_is_a_message(capsys, tmp_path: Path):
    code, _, err = run(capsys, "search", "x", "--index", str(tmp_path / "none"))
    assert code == 1
    assert err.startswith(f"advosearch: no index in {tmp_path / 'none'}")


def test_a_missing_index_named_relatively_is_named_where_it_is_too(
    capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    # A service's "index" is relative to the folder it runs in, not the operator's.
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "search", "x", "--index", "index")
    assert code == 1
    assert err.startswith(
        f"advosearch: no index in index ({tmp_path / 'index'}): build one with "
        "`advosearch index PATH --index index`"
    )


def test_output_its_reader_stops_reading_ends_without_a_traceback(index_dir: Path):
    # As `advosearch search … | head -1` once the first line is read: the pipe is closed.
    read_end, write_end = os.pipe()
    os.close(read_end)
    command = [sys.executable, "-m", "search_api", "search", "journalists"]
    try:
        result = subprocess.run(
            [*command, "--index", str(index_dir)],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)
    assert result.returncode == 1
    assert result.stderr == ""
