"""Helpers shared by the format tests: write a literal fixture, parse it as the build does."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from indexer.formats import ParsedFile, RunContext, build_context, discover, parse_file

REPO_ROOT = Path(__file__).resolve().parents[3]
SEED = REPO_ROOT / "corpus" / "seed" / "000_c7260968483372a2.txt"
FIXTURES = REPO_ROOT / "tests" / "fixtures" / "formats"


def write(path: Path, content: str | bytes, *, compress: bool = False) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


@pytest.fixture
def parse(tmp_path: Path) -> Callable[..., ParsedFile]:
    """Parse one file under ``tmp_path`` (the root), with the run context of the whole root."""

    def _parse(relative: str, field_map: Mapping[str, str] | None = None, **kwargs) -> ParsedFile:
        files, _ = discover([tmp_path])
        context = build_context(files) if files else RunContext()
        return parse_file(
            tmp_path / relative, tmp_path, context, field_map=field_map or {}, **kwargs
        )

    return _parse
