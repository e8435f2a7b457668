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
        ("ADVOSEARCH_FIELD_MAP", '{"author": "firma", "authors": "by"}', "mapped twice"),
        ("ADVOSEARCH_CORS_ORIGINS", "https://example.org", "not valid JSON"),
        ("ADVOSEARCH_FIELD_MAP", "body=detalle", "not valid JSON"),
        ("ADVOSEARCH_SITE_URL", "example.org", "with no query, such as https://example.org/"),
        (
            "ADVOSEARCH_SITE_URL",
            "https://example.org/?lang=es",
            "got .https://example.org/.lang=es",
        ),
        ("ADVOSEARCH_RATE_LIMIT", "10", "no such setting"),
        ("ADVOSEARCH_INDEX_DIR", " ", "is blank: name the index folder"),
        ("ADVOSEARCH_LOCK_TIMEOUT_S", "1e300", "less than or equal to 86400"),
        ("ADVOSEARCH_RATE_LIMIT_PER_MINUTE", "99999999999", "less than or equal to 1000000"),
        # Sizes and durations that would overflow later, in the middle of a run or request.
        ("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "inf", "finite number"),
        ("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "nan", "finite number"),
        ("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "1e300", "less than or equal to 1024"),
        ("ADVOSEARCH_LOCK_TIMEOUT_S", "inf", "finite number"),
        ("ADVOSEARCH_SEARCH_TIME_BUDGET_MS", "10000000000000", "less than or equal to 600000"),
        # Origins that a browser never sends, so CORS would never match them.
        ("ADVOSEARCH_CORS_ORIGINS", '["example.org"]', "'example.org' is no origin a browser"),
        ("ADVOSEARCH_CORS_ORIGINS", '["https://example.org/"]', "no origin a browser sends"),
        ("ADVOSEARCH_CORS_ORIGINS", '["https://Example.org"]', "no origin a browser sends"),
        ("ADVOSEARCH_ADMIN_TOKEN", "a", "too short to guard writes to the archive"),
        ("ADVOSEARCH_ADMIN_TOKEN", "   ", "only spaces: leave it unset or empty"),
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


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "1024"),
        ("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "0.5"),
        ("ADVOSEARCH_LOCK_TIMEOUT_S", "0"),
        ("ADVOSEARCH_CORS_ORIGINS", '["https://example.org", "http://localhost:8080"]'),
        ("ADVOSEARCH_CORS_ORIGINS", '["http://[::1]:8000", "https://xn--bcher-kva.example"]'),
        ("ADVOSEARCH_CORS_ORIGINS", '["*"]'),
        ("ADVOSEARCH_ADMIN_TOKEN", "0123456789abcdef"),
        ("ADVOSEARCH_ADMIN_TOKEN", ""),  # an empty line in an env file: the admin API is off
        ("ADVOSEARCH_LOCK_TIMEOUT_S", "86400"),
        ("ADVOSEARCH_RATE_LIMIT_PER_MINUTE", "1000000"),
    ],
)
def test_values_at_the_limits_are_taken(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    load_settings()


@pytest.mark.parametrize(
    "variable",
    ["ADVOSEARCH_INDEX_DIR", "ADVOSEARCH_CORS_ORIGINS", "ADVOSEARCH_FIELD_MAP",
     "ADVOSEARCH_LOG_REQUESTS", "ADVOSEARCH_ADMIN_TOKEN", "ADVOSEARCH_DEFAULT_LANGUAGE",
     "ADVOSEARCH_SITE_URL"],
)  # fmt: skip
def test_a_variable_set_empty_is_one_not_set(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "")  # "VAR=" in an env file or a service unit
    assert load_settings() == Settings()


@pytest.mark.parametrize("value", ["EN", "en ", " Es"])
def test_a_language_code_is_read_whatever_its_case_and_spaces(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ADVOSEARCH_DEFAULT_LANGUAGE", value)
    assert load_settings().default_language == value.strip().lower()


def test_a_short_admin_token_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVOSEARCH_ADMIN_TOKEN", "s3cr3t")
    with pytest.raises(InvalidSettings) as raised:
        load_settings()
    assert "it needs 16 characters or more, it has 6" in str(raised.value)
    assert "s3cr3t" not in str(raised.value)


def test_an_infinite_file_size_stops_the_indexer_before_it_reads(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # It was taken, and the run then stopped on an OverflowError's traceback.
    monkeypatch.setenv("ADVOSEARCH_MAX_ARTICLE_FILE_MB", "inf")
    assert main(["index", str(tmp_path), "--index", str(tmp_path / "ix")]) == 2
    error = capsys.readouterr().err
    assert error == (
        "advosearch: invalid settings: ADVOSEARCH_MAX_ARTICLE_FILE_MB: Input should be a finite "
        "number\n"
    )
