"""What the analyzer makes of a text, for tests that state expected terms."""

from indexer.analysis import analyzer_for


def stem_terms(text: str, language: str = "en") -> list[str]:
    """The index terms a piece of text produces (query mode: no compound parts)."""
    return [token.text for token in analyzer_for(language)(text, mode="query")]
