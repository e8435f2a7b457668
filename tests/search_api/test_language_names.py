"""The names the reader's page gives languages are CLDR's."""

from __future__ import annotations

import pytest
from babel import Locale, UnknownLocaleError

from indexer.languages import known_languages
from search_api.language_names import LANGUAGE_NAMES, language_name


def cldr_name(code: str) -> str:
    """The language's name for itself, else its English name, else its code."""
    try:
        locale = Locale.parse(code)
    except (UnknownLocaleError, ValueError):
        return Locale("en").languages.get(code) or code
    return locale.get_language_name(locale) or code


def test_every_known_language_has_cldrs_name() -> None:
    assert set(LANGUAGE_NAMES) == set(known_languages())
    assert {code: cldr_name(code) for code in LANGUAGE_NAMES} == LANGUAGE_NAMES


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("es", "español"),
        ("ar", "العربية"),
        ("en", "English"),
        ("arz", "Egyptian Arabic"),  # no name of its own in CLDR: its English one
        ("ary", "ary"),  # no name at all: the code
        ("xx", "xx"),
    ],
)
def test_a_language_is_shown_by_its_name(code: str, name: str) -> None:
    assert language_name(code) == name
