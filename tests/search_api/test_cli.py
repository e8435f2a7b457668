"""``advosearch index``, ``parse`` and ``serve``: bad input is a one-line message, never a
traceback, and what a run did is said in words that read right."""

from __future__ import annotations

from pathlib import Path

import pytest

from search_api.cli import main


def test_a_port_out_of_range_is_refused_before_serving(capsys, tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as refused:
        main(["serve", "--index", str(tmp_path), "--port", "99999"])
    assert refused.value.code == 2
    err = capsys.readouterr().err
    assert "argument --port: must be 0-65535 (0: any free port), not 99999" in err
    assert "Traceback" not in err
