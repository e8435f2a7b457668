from __future__ import annotations

import pytest

from indexer.formats.sections import build_sections, heading, paragraph, slugify

LONG = "Activists gathered outside the court on Monday to demand the release of the journalist."


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Democracy under attack", "democracy-under-attack"),
        ("Élections & Droits — 2018", "elections-droits-2018"),
        ("  Tl;dr  ", "tl-dr"),
        ("Свобода слова", "свобода-слова"),
        ("!!!", "section"),
    ],
)
def test_slugify_is_lowercase_accent_folded_and_dash_separated(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_intro_comes_first_then_one_section_per_heading() -> None:
    sections = build_sections(
        [paragraph("Lede one."), paragraph("Lede two."), heading("First"), paragraph("Body.")]
    )
    assert [(s.heading, s.anchor, s.text) for s in sections] == [
        (None, "intro", "Lede one.\n\nLede two."),
        ("First", "first", "Body."),
    ]


def test_duplicate_headings_get_numbered_anchors() -> None:
    blocks = [heading("Background"), paragraph("a"), heading("Background"), paragraph("b"),
              heading("Intro"), paragraph("c"), paragraph("lede")]  # fmt: skip
    blocks.insert(0, paragraph("first"))
    anchors = [s.anchor for s in build_sections(blocks)]
    assert anchors == ["intro", "background", "background-2", "intro-2"]


def test_numbered_anchors_skip_the_anchors_headings_already_have() -> None:
    titles = ["Update", "Update 2", "Update", "Update", "Update 3"]
    blocks = [
        b for n, title in enumerate(titles) for b in (heading(title), paragraph(f"Text {n}."))
    ]
    anchors = [s.anchor for s in build_sections(blocks)]
    assert anchors == ["update", "update-2", "update-3", "update-4", "update-3-2"]


def test_whitespace_inside_a_paragraph_is_collapsed_but_breaks_kept() -> None:
    [section] = build_sections([paragraph("a  b\n c\u00a0d"), paragraph("e")])
    assert section.text == "a b c d\n\ne"


def test_a_caption_printed_twice_appears_once() -> None:
    caption = "An official marks a finger with indelible ink in Phnom Penh on July 17, 2018"
    [section] = build_sections([paragraph(LONG), paragraph(caption), paragraph(caption + " ")])
    assert section.text.count("indelible ink") == 1


def test_repeat_with_other_apostrophes_and_case_is_dropped() -> None:
    sections = build_sections(
        [paragraph("Cambodia’s “free” press"), heading("H"), paragraph('CAMBODIA\'S "FREE" PRESS')]
    )
    assert [s.text for s in sections] == ["Cambodia’s “free” press"]


def test_pull_quote_is_dropped_when_a_longer_paragraph_contains_it() -> None:
    quote = "The dilemma faced by groups today: Will they speak out and risk being shut down?"
    longer = f"What this statement does not show is the {quote.lower().replace('’', chr(39))}"
    sections = build_sections([paragraph(quote), heading("Next"), paragraph(longer)])
    text = "\n\n".join(s.text for s in sections)
    assert text.lower().count("dilemma faced") == 1
    assert longer in text


def test_short_paragraph_inside_a_longer_one_is_kept() -> None:
    sections = build_sections([paragraph("Yes."), paragraph("Yes. The court agreed.")])
    assert sections[0].text == "Yes.\n\nYes. The court agreed."


def test_empty_heading_is_merged_into_its_subheading_and_trailing_one_dropped() -> None:
    sections = build_sections(
        [paragraph("Lede."), heading("Part one", 2), heading("Background", 3),
         paragraph("Text."), heading("Nothing below", 2)]
    )  # fmt: skip
    assert [s.heading for s in sections] == [None, "Part one: Background"]


def test_leading_heading_equal_to_the_title_is_not_a_section() -> None:
    sections = build_sections([heading("My Title", 1), paragraph("Text.")], title="My title")
    assert [(s.heading, s.text) for s in sections] == [(None, "Text.")]


def test_no_blocks_gives_no_sections() -> None:
    assert build_sections([heading("Alone"), paragraph("   ")]) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Line one\vline two", "Line one line two"),
        ("unit\x1fseparator", "unit separator"),
        ("form\x0cfeed", "form feed"),
        ("next\x85line", "next line"),  # NEL, a C1 control, is a line break
        ("NUL\x00DEL\x7fC1\x9fend", "NUL DEL C1 end"),
        ("escape\x1b[0m code", "escape [0m code"),
    ],
)
def test_control_characters_break_words_as_spaces_do(text: str, expected: str) -> None:
    # Broken exports put controls where a break was: deleting them glued the words.
    [section] = build_sections([heading(f"Head {text}"), paragraph(text)])
    assert (section.heading, section.text) == (f"Head {expected}", expected)
