"""Did you mean: the same suggestion whether the index is one segment or several, from
the vocabulary held in memory, whose neighbours of a word are those Whoosh's own look-up
on the index's term table finds."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from whoosh import index as whoosh_index

from indexer.build import ParseOptions, build_index
from search_api.spelling import (
    MAX_ARTICLES_WITH_A_TYPO,
    MAX_CORRECTED_WORD_LENGTH,
    MIN_WORD_FOR_TWO_EDITS,
    MISSPELT_WORD_RATIO,
    SPELLING_FIELDS,
    Vocabulary,
    correct_word,
)

# "interent" is one substitution from "interest" and one transposition from "internet", the
# more frequent word.
RECORDS = {
    "first": [
        {"id": f"n{n}", "title": f"Internet shutdown {n}", "body": "The internet was cut."}
        for n in range(3)
    ],
    "second": [{"id": "i1", "title": "Public interest", "body": "In the public interest."}],
}


def write(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps(RECORDS[name]), encoding="utf-8")


@pytest.fixture
def indexes(tmp_path: Path) -> tuple[Path, Path]:
    corpus = tmp_path / "corpus"
    write(corpus, "first")
    build_index([corpus], tmp_path / "several", ParseOptions(), workers=1)
    write(corpus, "second")
    build_index([corpus], tmp_path / "several", ParseOptions(), workers=1)  # a second segment
    build_index([corpus], tmp_path / "one", ParseOptions(), workers=1)
    return tmp_path / "one", tmp_path / "several"


@pytest.mark.parametrize("word", ["interent", "internte", "intrest", "shutdwon", "publik"])
def test_a_word_is_corrected_alike_in_one_segment_or_several(
    indexes: tuple[Path, Path], word: str
) -> None:
    suggestions = []
    for index_dir in indexes:
        ix = whoosh_index.open_dir(str(index_dir))
        with ix.searcher() as searcher:
            vocabulary = Vocabulary(searcher.reader())
            suggestions.append((len(ix._segments()), correct_word(vocabulary, word)))
    assert [count for count, _ in suggestions] == [1, 2]
    assert suggestions[0][1] == suggestions[1][1]
    assert suggestions[0][1] is not None


def test_no_correction_is_looked_for_past_the_deadline(indexes: tuple[Path, Path]) -> None:
    # The look-up of a word's neighbours walks the vocabulary: a search out of time skips it.
    ix = whoosh_index.open_dir(str(indexes[0]))
    with ix.searcher() as searcher:
        vocabulary = Vocabulary(searcher.reader())
        assert correct_word(vocabulary, "shutdwon", deadline=time.monotonic() + 60) == "shutdown"
        assert correct_word(vocabulary, "shutdwon", deadline=time.monotonic() - 1) is None


def test_a_word_longer_than_any_a_reader_misspells_is_not_corrected(tmp_path: Path) -> None:
    # Its look-up would take longer the longer it is, for a word no reader typed by hand.
    long_word = "a" * MAX_CORRECTED_WORD_LENGTH
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    records = [{"id": n, "body": f"{long_word} {long_word}b"} for n in range(2)]
    (corpus / "long.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([corpus], tmp_path / "index", ParseOptions(), workers=1)
    with whoosh_index.open_dir(str(tmp_path / "index")).searcher() as searcher:
        vocabulary = Vocabulary(searcher.reader())
        assert correct_word(vocabulary, long_word[:-1] + "x") == long_word
        assert correct_word(vocabulary, long_word + "bx") is None


@pytest.mark.parametrize("word", ["interent", "internte", "intrest", "publik", "shutdwon", "cut"])
@pytest.mark.parametrize("distance", [1, 2])
def test_a_words_neighbours_are_those_whoosh_finds_on_disk(
    indexes: tuple[Path, Path], word: str, distance: int
) -> None:
    ix = whoosh_index.open_dir(str(indexes[1]))
    with ix.searcher() as searcher:
        reader = searcher.reader()
        on_disk = {
            found
            for leaf, _ in reader.leaf_readers()
            for name in SPELLING_FIELDS
            for found in leaf.terms_within(name, word, distance, prefix=1)
        }
        vocabulary = Vocabulary(reader)
        assert sorted(vocabulary.within(word, distance)) == sorted(on_disk)
        for found in on_disk:
            assert vocabulary.articles_with(found) == sum(
                reader.frequency(name, found) for name in SPELLING_FIELDS
            )


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("interent", "internet"),  # swapped letters, against "interest" one substitution away
        ("shutdwon", "shutdown"),
        ("intrenet", "internet"),
        ("pubilc", "public"),
        ("ctu", "cut"),
    ],
)
def test_two_swapped_letters_are_one_edit(
    indexes: tuple[Path, Path], typed: str, meant: str
) -> None:
    with whoosh_index.open_dir(str(indexes[0])).searcher() as searcher:
        assert correct_word(Vocabulary(searcher.reader()), typed) == meant


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("intxrnxt", "internet"),  # two substitutions in eight letters
        ("pxblxc", "public"),  # ... in six
        ("cxtx", None),  # two edits from "cut": half of four letters
        ("cuxxt", None),
    ],
)
def test_a_short_word_is_corrected_by_one_edit_only(
    indexes: tuple[Path, Path], typed: str, meant: str | None
) -> None:
    assert (len(typed) >= MIN_WORD_FOR_TWO_EDITS) is (meant is not None)
    with whoosh_index.open_dir(str(indexes[0])).searcher() as searcher:
        assert correct_word(Vocabulary(searcher.reader()), typed) == meant


def test_the_first_letter_is_kept(indexes: tuple[Path, Path]) -> None:
    # As a reader's typo rarely changes it; and each first letter is its own part of the
    # vocabulary to walk.
    with whoosh_index.open_dir(str(indexes[0])).searcher() as searcher:
        vocabulary = Vocabulary(searcher.reader())
        assert correct_word(vocabulary, "nIternet") is None
        assert correct_word(vocabulary, "xnternet") is None


def test_a_word_of_the_corpus_is_corrected_only_to_a_far_commoner_one(tmp_path: Path) -> None:
    # An archive holds its authors' typos: "recogniton" in one post, "recognition" in
    # hundreds. "interest" is in 1 article, "internet" (one edit) in 3: no typo.
    common = MISSPELT_WORD_RATIO * (MAX_ARTICLES_WITH_A_TYPO + 1)
    records = [
        {"id": f"r{n}", "title": f"Facial recognition {n}", "body": "Cameras. Mail."}
        for n in range(common)
    ]
    records += [{"id": "typo", "title": "Cameras", "body": "Facial recogniton."}]
    # A word more articles have is no typo, even beside one a hundred times commoner.
    records += [
        {"id": f"w{n}", "title": "Cameras", "body": "Facial recognitoin."}
        for n in range(MAX_ARTICLES_WITH_A_TYPO + 1)
    ]
    records += [{"id": "mali", "title": "Mali", "body": "Unrest."}]
    records += [{"id": "mial", "title": "Unrest", "body": "Mial."}]
    records += RECORDS["first"] + RECORDS["second"]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "posts.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions(), workers=1)
    with whoosh_index.open_dir(str(tmp_path / "index")).searcher() as searcher:
        vocabulary = Vocabulary(searcher.reader())
        assert correct_word(vocabulary, "recogniton") == "recognition"
        assert correct_word(vocabulary, "recognitoin") is None
        assert correct_word(vocabulary, "interest") is None
        assert correct_word(vocabulary, "recognition") is None
        # A name, as a title has it or as the reader wrote it, is no typo of a commoner word.
        assert vocabulary.articles_with("mail") == common
        assert correct_word(vocabulary, "mali") is None
        assert correct_word(vocabulary, "Recogniton") is None
        assert correct_word(vocabulary, "mial") is None  # too short to be a slip


@pytest.mark.parametrize(
    ("languages", "typed", "meant"),
    [
        # A Spanish reading keeps ñ, as Spanish articles' words have it: "peñs" is one edit
        # from "peña", two from "pena"; read in English too, the ñ is kept where a Spanish
        # article has the word, whichever language is commoner.
        (("es",), "peñs", "peña"),
        (("en", "es"), "peñs", "peña"),
        (("es", "en"), "peñs", "peña"),
        # ... and the English reading, which folds it, corrects a word only English
        # articles have (folded: "munoz").
        (("en", "es"), "muñoa", "munoz"),
        (("es",), "muñoa", None),
        (("en",), "peñs", "pena"),
        (("es",), "pens", "pena"),
    ],
)
def test_a_spanish_reading_corrects_a_word_keeping_its_enye(
    tmp_path: Path, languages: tuple[str, ...], typed: str, meant: str | None
) -> None:
    records = [
        {"id": "es", "language": "es", "title": "Gobierno", "body": "El gobierno de Peña."},
        {"id": "en", "language": "en", "title": "Government", "body": "Mayor Muñoz spoke."},
    ]
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "posts.json").write_text(json.dumps(records), encoding="utf-8")
    build_index([tmp_path / "corpus"], tmp_path / "index", ParseOptions(), workers=1)
    with whoosh_index.open_dir(str(tmp_path / "index")).searcher() as searcher:
        vocabulary = Vocabulary(searcher.reader())
        assert correct_word(vocabulary, typed, languages=languages) == meant
