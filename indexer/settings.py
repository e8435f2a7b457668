"""One typed settings object, read from ``ADVOSEARCH_*`` environment variables.

Every setting is documented in the README's "Settings" table. Bad values fail at start-up
with a message naming the variable, never later in the middle of a request.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from indexer.errors import InvalidSettings
from indexer.formats import DEFAULT_MAX_ARTICLE_FILE_BYTES
from indexer.formats.fields import checked_site_url
from indexer.formats.records import checked_field_map
from indexer.languages import DEFAULT_LANGUAGE, known_languages

ENV_PREFIX = "ADVOSEARCH_"
# The largest single-article file that may be read: a file is read whole, and an article
# of a gigabyte is no article (and ``inf`` would overflow where the size is used).
MAX_ARTICLE_FILE_MB_CEILING = 1024
# Ten minutes: a request waits up to the budget for a search thread, and a wait of years
# (``1e13``) overflows the clock's timeout instead of waiting.
SEARCH_TIME_BUDGET_MS_CEILING = 600_000
# A day: a longer wait for another writer's lock is a writer that will not let go (and 1e300
# seconds overflows the clock's timeout).
LOCK_TIMEOUT_S_CEILING = 86_400
# A million a minute: past it the limit limits nothing (0 turns it off).
RATE_LIMIT_PER_MINUTE_CEILING = 1_000_000
# An admin token guards writes to the archive: one short enough to guess is no guard.
MIN_ADMIN_TOKEN_CHARS = 16
# An origin as a browser sends it in its Origin header: scheme://host[:port], lowercase,
# no path. CORS compares origins as strings, so any other spelling never matches.
_ORIGIN_RE = re.compile(r"[a-z][a-z0-9+.-]*://(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")


class Settings(BaseSettings):
    # inf and nan are no durations or sizes: refused, not left to overflow later. A variable
    # set empty (an empty line in an env file, "VAR=" in a service unit) is one not set.
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, extra="forbid", allow_inf_nan=False, env_ignore_empty=True
    )

    index_dir: Path = Field(Path("index"), description="Folder holding the Whoosh index.")
    field_map: dict[str, str] = Field(
        default_factory=dict,
        description='Extra JSON field names, e.g. {"body": "nota_completa", "tags": "pais"}.',
    )
    default_language: str = Field(
        DEFAULT_LANGUAGE,
        pattern=r"^[a-z]{2}$",
        description="Language (2-letter code) of articles whose metadata does not say and "
        "whose language cannot be detected with confidence (too short, mixed).",
    )
    site_url: str | None = Field(
        None,
        description="The address of the site the articles are published on "
        "(https://example.org/): an article whose export gives only its address on the site "
        "(/2016/06/08/254/, as Jekyll and Drupal views write it) links there. Read by "
        "`advosearch index`; `--site-url SOURCE=URL` gives one source's.",
    )
    max_article_file_mb: float = Field(
        DEFAULT_MAX_ARTICLE_FILE_BYTES / 2**20,
        gt=0,
        le=MAX_ARTICLE_FILE_MB_CEILING,
        description="Single-article files (.txt/.md/.html) larger than this are skipped.",
    )
    lock_timeout_s: float = Field(
        30.0,
        ge=0,
        le=LOCK_TIMEOUT_S_CEILING,
        description="How long an indexer, or a write through the admin API, waits for another "
        "writer's lock.",
    )
    search_time_budget_ms: int = Field(
        2000,
        gt=0,
        le=SEARCH_TIME_BUDGET_MS_CEILING,
        description="Wall-clock budget of one search; past it results are partial, or the "
        "page's results left show their opening. Also the longest a request waits for a "
        "search thread (then: 503 busy).",
    )

    @property
    def search_time_budget_s(self) -> float:
        return self.search_time_budget_ms / 1000

    log_requests: bool = Field(
        False, description="Write access logs (client address and query string). Off for privacy."
    )
    admin_token: SecretStr | None = Field(
        None,
        description="Bearer token of the ingest API (/admin/...), 16 characters or more; unset "
        "or empty, the admin API is off.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the API from a browser, as a browser sends them "
        '(scheme://host[:port]), e.g. ["https://example.org"], or ["*"]; empty (the default) '
        "sends no CORS headers.",
    )
    rate_limit_per_minute: int = Field(
        600,
        ge=0,
        le=RATE_LIMIT_PER_MINUTE_CEILING,
        description="Requests a minute each client address may make to the API (bursts up to "
        "this many at once); over it, 429 with Retry-After. 0 turns the limit off. Counted "
        "per worker process.",
    )

    @field_validator("index_dir", mode="before")
    @classmethod
    def _named(cls, value: object) -> object:
        # Blank would be the current folder: under cron, the home folder, whose files named
        # as Whoosh names its own would be taken for them.
        if isinstance(value, str) and not value.strip():
            raise ValueError("is blank: name the index folder (by default: index)")
        return value

    @field_validator("default_language", mode="before")
    @classmethod
    def _as_a_code(cls, value: object) -> object:
        # "EN", or "en " with an env file's trailing space, is the code en.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("field_map")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        return checked_field_map(value)  # its ValueError names the unknown fields

    @field_validator("site_url")
    @classmethod
    def _a_site_address(cls, value: str | None) -> str | None:
        return None if value is None else checked_site_url(value.strip())

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in known_languages():
            raise ValueError(f"{value!r} is not a language code advosearch knows")
        return value

    @field_validator("admin_token")
    @classmethod
    def _long_enough_to_guard_writes(cls, value: SecretStr | None) -> SecretStr | None:
        # Empty (an empty line in an env file) leaves the admin API off, as unset does.
        written = value.get_secret_value() if value is not None else ""
        token = written.strip()
        if written and not token:
            # Spaces alone are a token gone wrong, not a wish to turn the API off.
            raise ValueError(
                "only spaces: leave it unset or empty to turn the admin API off, or give a token"
            )
        if token and len(token) < MIN_ADMIN_TOKEN_CHARS:
            raise ValueError(
                f"too short to guard writes to the archive: it needs {MIN_ADMIN_TOKEN_CHARS} "
                f"characters or more, it has {len(token)} (make one with `python3 -c 'import "
                "secrets; print(secrets.token_urlsafe(32))'`)"
            )
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_as_browsers_send_them(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not _ORIGIN_RE.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is no origin a browser sends: write scheme://host[:port], "
                    'lowercase, without path or trailing slash, e.g. "https://example.org" '
                    '(or "*" for any site)'
                )
        return value


def load_settings() -> Settings:
    """The settings the environment gives; ``InvalidSettings`` names each variable that is
    wrong, and any ``ADVOSEARCH_*`` variable that is no setting (a typo would otherwise leave
    the setting at its default, unnoticed)."""
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    unknown = sorted(
        name
        for name in os.environ
        if name.upper().startswith(ENV_PREFIX) and name.upper() not in known
    )
    if unknown:
        raise InvalidSettings(
            f"{', '.join(unknown)}: no such setting; the settings are {', '.join(sorted(known))}"
        )
    try:
        return Settings()
    except ValidationError as error:
        problems = [
            f"{ENV_PREFIX}{str(problem['loc'][0]).upper()}: {problem['msg']}"
            for problem in error.errors()
        ]
    except SettingsError as error:
        # Raised when a list or mapping setting is not JSON; it names the field.
        field = re.search(r'field "(\w+)"', str(error))
        name = ENV_PREFIX + field.group(1).upper() if field else "a setting"
        problems = [
            f"{name}: not valid JSON (lists and mappings are written in JSON, e.g. "
            '["https://example.org"] or {"body": "nota_completa"})'
        ]
    raise InvalidSettings("; ".join(problems))
