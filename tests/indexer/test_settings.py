"""Settings: read from ADVOSEARCH_* variables, each wrong one named at start-up."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from indexer.errors import InvalidSettings
from indexer.settings import Settings, load_settings
from search_api.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("ADVOSEARCH_"):
            monkeypatch.delenv(name)


def test_defaults_without_any_variable() -> None:
    settings = load_settings()
    assert settings.rate_limit_per_minute == 600
    assert settings.default_language == "en"
    assert settings.cors_origins == []


def test_values_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVOSEARCH_RATE_LIMIT_PER_MINUTE", "42")
    monkeypatch.setenv("ADVOSEARCH_CORS_ORIGINS", '["https://example.org"]')
    monkeypatch.setenv("ADVOSEARCH_FIELD_MAP", '{"body": "detalle"}')
    settings = load_settings()
    assert settings.rate_limit_per_minute == 42
    assert settings.cors_origins == ["https://example.org"]
    assert settings.field_map == {"body": "detalle"}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ADVOSEARCH_RATE_LIMIT_PER_MINUTE", "-1", "greater than or equal to 0"),
        ("ADVOSEARCH_LOG_REQUESTS", "maybe", "valid boolean"),
        ("ADVOSEARCH_DEFAULT_LANGUAGE", "zz", "not a language code"),
        ("ADVOSEARCH_FIELD_MAP", '{"bodyy": "detalle"}', "unknown field"),
        ("ADVOSEARCH_CORS_ORIGINS", "https://example.org", "not valid JSON"),
        ("ADVOSEARCH_FIELD_MAP", "body=detalle", "not valid JSON"),
        ("ADVOSEARCH_RATE_LIMIT", "10", "no such setting"),
    ],
)
def test_a_wrong_variable_is_named_with_what_is_wrong(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InvalidSettings, match=message) as raised:
        load_settings()
    assert str(raised.value).startswith(variable)


def test_the_command_stops_with_the_message(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ADVOSEARCH_CORS_ORIGINS", "https://example.org")
    assert main(["search", "anything"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("advosearch: invalid settings: ADVOSEARCH_CORS_ORIGINS: not valid JSON")
    assert "Traceback" not in error


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"^\| `(ADVOSEARCH_\w+)` \|", README.read_text(), re.MULTILINE))
    assert documented == {f"ADVOSEARCH_{name.upper()}" for name in Settings.model_fields}
