"""The schema's own field types write what Whoosh's would, only faster."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh.fields import TEXT

from indexer.analysis import TextIn
from indexer.schema import build_schema

TEXTISH = st.text(alphabet="ab.-'’ 3,\n_éÉñ日本語・U\u0301", max_size=60)


@settings(max_examples=200)
@given(text=st.one_of(st.text(max_size=80), TEXTISH), language=st.sampled_from(["en", "es"]))
def test_spelled_text_indexes_what_whoosh_text_would(text: str, language: str) -> None:
    body = build_schema()["body"]
    value = TextIn(text, language)
    assert sorted(body.index(value)) == sorted(TEXT.index(body, value))
    assert body.spellable_words(value) == sorted(set(TEXT.spellable_words(body, value)))


def test_stop_words_places_are_unscored_beside_the_text() -> None:
    schema = build_schema()
    value = TextIn("The right to protest", "en")
    places = {term: positions for term, _, _, positions in schema["stops_body"].index(value)}
    assert places == {
        b"the": schema["stops_body"].format.encode([0]),
        b"to": schema["stops_body"].format.encode([2]),
    }
    # No lengths, no scores: ranking reads the text fields alone.
    assert not schema["stops_body"].scorable
    assert {term for term, *_ in schema["body"].index(value)} == {b"right", b"protest"}
