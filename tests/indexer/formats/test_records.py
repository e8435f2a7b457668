from __future__ import annotations

import codecs
import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.errors import NoArticle, UnreadableFile
from indexer.models import CutShort
from tests.indexer.formats.conftest import write
from tests.values import nested

GV = [
    {
        "id": 237,
        "title": "LGBTQI Rights Defenders Sound Alarm",
        "date": "27 March 2018",
        "author": "Sandra Ramírez",
        "link": "https://globalvoices.org/2018/03/27/lgbtqi-rights/",
        "content": "<div class='entry'><p>Intro &amp; lede.</p><h3>Concerns</h3>"
        "<blockquote><p>A quote.</p></blockquote><script>x()</script></div>",
    },
    {"headline": "Plain text one", "body": "First para.\n\nSecond para.", "pubDate": 2017,
     "url": "https://ex.org/news/plain-one?x=1", "tags": "a, b", "lang": "fr-FR"},
]  # fmt: skip


def fh_lines(body_field: str, year_field: str) -> str:
    rows = [
        {"id": "fiw-AFG-2017-Rating Change-0", year_field: 2017, body_field: "Rating improved."},
        {"id": "fiw-AFG-2017-Overview-1", year_field: 2017, body_field: "Afghanistan's constitution"
         " provides for a unitary state, headed by a directly elected president, with checks."},
    ]  # fmt: skip
    return "\n".join(json.dumps(row, ensure_ascii=False) for row in rows) + "\n"


def test_json_list_of_cms_records(tmp_path: Path, parse) -> None:
    write(tmp_path / "globalvoices" / "articles.json", json.dumps(GV))
    first, second = parse("globalvoices/articles.json").articles
    assert first.id == "articles/237"
    assert first.title == "LGBTQI Rights Defenders Sound Alarm"
    assert first.date == "2018-03-27"
    assert first.authors == ["Sandra Ramírez"]
    assert first.url == "https://globalvoices.org/2018/03/27/lgbtqi-rights/"
    assert first.source == "globalvoices"
    assert [(s.heading, s.text) for s in first.sections] == [
        (None, "Intro & lede."),
        ("Concerns", "A quote."),
    ]
    assert second.id == "articles/plain-one"  # no own id: the URL's slug
    assert second.title == "Plain text one"
    assert second.sections[0].text == "First para.\n\nSecond para."
    assert (second.date, second.tags, second.language) == ("2017", ["a", "b"], "fr")


@pytest.mark.parametrize("key", ["articles", "items", "posts", "data"])
def test_json_object_wrapping_a_list(tmp_path: Path, parse, key: str) -> None:
    write(tmp_path / "wrapped.json", json.dumps({"meta": {"n": 2}, key: GV}))
    assert len(parse("wrapped.json").articles) == 2


def test_single_json_object_is_one_record(tmp_path: Path, parse) -> None:
    write(tmp_path / "one.json", json.dumps(GV[1]))
    [article] = parse("one.json").articles
    assert article.title == "Plain text one"


def test_same_ids_in_english_and_spanish_files_are_both_kept(tmp_path: Path, parse) -> None:
    write(tmp_path / "fh" / "fiw_en.jsonl.gz", fh_lines("detail", "year"), compress=True)
    write(tmp_path / "fh" / "fiw_es.jsonl.gz", fh_lines("detalle", "anio"), compress=True)
    english = parse("fh/fiw_en.jsonl.gz").articles
    spanish = parse("fh/fiw_es.jsonl.gz").articles  # "detalle" read as "detail" is
    assert sorted(a.id for a in english) == [
        "fiw_en/fiw-AFG-2017-Overview-1",
        "fiw_en/fiw-AFG-2017-Rating-Change-0",
    ]
    assert sorted(a.id for a in spanish) == [
        "fiw_es/fiw-AFG-2017-Overview-1",
        "fiw_es/fiw-AFG-2017-Rating-Change-0",
    ]
    assert spanish[0].date == "2017" and spanish[0].source == "fh"


def test_unmapped_body_field_is_explained(tmp_path: Path, parse) -> None:
    write(tmp_path / "fiw_de.jsonl", fh_lines("einzelheit", "jahr"))
    with pytest.raises(
        UnreadableFile, match=r"no text.*einzelheit.*: map the text field with --field body="
    ):
        parse("fiw_de.jsonl")


def test_record_without_title_gets_a_derived_one(tmp_path: Path, parse) -> None:
    write(tmp_path / "fiw_en.jsonl", fh_lines("detail", "year"))
    long, short = parse("fiw_en.jsonl").articles  # too short to detect, it comes last
    assert (short.title, short.title_derived) == ("Rating improved.", True)
    assert long.title.startswith("Afghanistan's constitution provides for a unitary state")
    assert long.title.endswith("…") and long.title_derived
    assert 8 <= len(long.title.split()) <= 12


def test_record_without_id_or_url_gets_a_stable_content_hash(tmp_path: Path, parse) -> None:
    write(tmp_path / "a.json", json.dumps([{"title": "T", "body": "B"}]))
    write(
        tmp_path / "b.json",
        json.dumps([{"title": "Other", "body": "B"}, {"title": "T", "body": "B"}]),
    )
    [a] = parse("a.json").articles
    b = parse("b.json").articles
    assert a.id.startswith("a/") and b[1].id == "b/" + a.id.removeprefix("a/")
    assert b[0].id != b[1].id


def test_records_of_a_site_whose_script_makes_every_page_are_named_by_their_query(
    tmp_path: Path, parse
) -> None:
    # Each keeps its own id whatever the others are: no "index", "index~2" to shift when
    # a record goes.
    records = [
        {"url": f"https://ngo.example/index.php?option=com_content&id={n}", "body": f"Alert {n}."}
        for n in (12, 7)
    ]
    write(tmp_path / "joomla.json", json.dumps(records))
    assert [article.id for article in parse("joomla.json").articles] == [
        "joomla/index-option-com_content-id-12",
        "joomla/index-option-com_content-id-7",
    ]


def test_field_map_overrides_common_names(tmp_path: Path, parse) -> None:
    record = {"title": "Generic", "titre": "Le vrai titre", "texte": "Corps.", "nom": "x"}
    write(tmp_path / "fr.json", json.dumps([record]))
    [article] = parse(
        "fr.json", field_map={"title": "titre", "body": "texte", "id": "nom"}
    ).articles
    assert (article.title, article.text, article.id) == ("Le vrai titre", "Corps.", "fr/x")


def test_unknown_field_map_target_is_refused(tmp_path: Path, parse) -> None:
    write(tmp_path / "x.json", json.dumps(GV))
    with pytest.raises(ValueError, match="unknown field"):
        parse("x.json", field_map={"colour": "x"})


def test_bad_jsonl_lines_are_skipped_and_reported(tmp_path: Path, parse) -> None:
    good = fh_lines("detail", "year")
    write(tmp_path / "t.jsonl.gz", good + "not json\n" + good[:40], compress=True)
    parsed = parse("t.jsonl.gz")
    assert len(parsed.articles) == 2
    # The last line, with no line end, is one being written: the file is cut short there.
    [unfinished, skipped] = parsed.warnings
    assert isinstance(unfinished, CutShort)
    assert unfinished.startswith("the last line (4) is unfinished (")
    assert unfinished.endswith("; kept 2 records")
    assert skipped == "1 invalid JSON line(s) skipped, first at line 3, column 1: Expecting value"


def test_truncated_gzip_stream_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    import gzip

    from indexer.formats import RunContext, parse_file

    data = gzip.compress((fh_lines("detail", "year") * 200).encode())
    write(tmp_path / "cut.jsonl.gz", data[: len(data) // 2])
    parsed = parse_file(tmp_path / "cut.jsonl.gz", tmp_path, RunContext())
    assert parsed.articles
    assert any("cut short" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("record", "text"),
    [
        ({"title": "Petition", "body": "<div></div>", "excerpt": "Sign it."}, "Sign it."),
        ({"title": "Petition", "description": "<p>Sign it.</p>"}, "Sign it."),
        ({"title": "Petition", "body": "The body.", "excerpt": "Sign it."}, "The body."),
        ({"title": "Petition", "abstract": "Sign it."}, "Sign it."),  # mapped
    ],
)
def test_a_record_without_body_text_is_indexed_by_its_summary(
    tmp_path: Path, parse, record: dict, text: str
) -> None:
    write(tmp_path / "x.jsonl", json.dumps(record) + "\n")
    [article] = parse("x.jsonl", field_map={"summary": "abstract"}).articles
    assert (article.title, article.text) == ("Petition", text)


def test_truncated_json_list_keeps_complete_records(tmp_path: Path, parse) -> None:
    text = json.dumps(GV, indent=1)
    write(tmp_path / "cut.json", text[: text.index('"headline"') + 15])
    parsed = parse("cut.json")
    assert [a.id for a in parsed.articles] == ["cut/237"]
    assert any(w.startswith("invalid JSON at line") for w in parsed.warnings)


def phpmyadmin_dump(*tables: tuple[str, list[dict]]) -> str:
    """A database exported by phpMyAdmin's JSON plugin: a header, then each table's rows."""
    header = {
        "type": "header",
        "version": "5.2.1",
        "comment": "Export to JSON plugin for PHPMyAdmin",
    }
    return json.dumps(
        [
            header,
            {"type": "database", "name": "site"},
            *(
                {"type": "table", "name": name, "database": "site", "data": rows}
                for name, rows in tables
            ),
        ]
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('[{"title": "a", "bo', r"invalid JSON at line 1, column 17: Unterminated string$"),
        ('{\n"a": }', r"invalid JSON at line 2, column 6: Expecting value$"),
        # json's own message ends "… at", for the place it gives after it.
        ('[{"title": "a\tb"}]', r"invalid JSON at line 1, column 14: Invalid control character$"),
        ("42", "no records"),
        ("[]", "^no records in it$"),  # an export written while read
        ('[{"title": "only a title"}]', "no text"),
        # phpMyAdmin's dumps: of empty tables, and of a table with no text column.
        (phpmyadmin_dump(("wp_posts", [])), "^no records in it$"),
        (
            phpmyadmin_dump(("visits", [{"day": "2024-01-01", "visits": "12"}])),
            r"no text \(.*its fields are day, visits: map the text field with --field body=",
        ),
    ],
)
def test_unusable_json_is_unreadable(tmp_path: Path, parse, content: str, reason: str) -> None:
    write(tmp_path / "bad.json", content)
    with pytest.raises(UnreadableFile, match=reason):
        parse("bad.json")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("x.jsonl", "garbage\nmore garbage\n", "no valid line"),
        ("x.jsonl.gz", b"not gzip at all", "not a valid gzip file"),
        ("x.json.gz", b"\x1f\x8b\x08\x00\x00", "compressed file is truncated"),
        ("x.json", b"\x00\x01\x02binary", "binary file"),
        ("x.jsonl", b"", "empty file"),
    ],
)
def test_unreadable_record_files(tmp_path: Path, parse, name: str, content, reason: str) -> None:
    write(tmp_path / name, content)
    with pytest.raises(UnreadableFile, match=reason):
        parse(name)


def test_dates_that_cannot_be_used_are_reported_and_unix_times_are_dates(
    tmp_path: Path, parse
) -> None:
    dates = ["0001-01-01", "2018-03-27", "9999-12-31", 1700000000, 1700000000000, 17000000000]
    records = [{"id": n, "title": f"T{n}", "body": "Text.", "date": d} for n, d in enumerate(dates)]
    write(tmp_path / "dated.json", json.dumps(records))
    parsed = parse("dated.json")
    assert [a.date for a in parsed.articles] == [
        None,
        "2018-03-27",
        None,
        "2023-11-14",
        "2023-11-14",
        None,
    ]
    assert parsed.warnings == [
        "3 record(s) with a date that is not a plausible date: indexed undated "
        "(first: record 1, '0001-01-01')"
    ]


def test_a_language_that_is_no_language_code_is_reported_and_detected(
    tmp_path: Path, parse
) -> None:
    records = [
        {"id": 1, "lang": "zz", "body": "La policía detuvo a dos periodistas en las protestas."},
        {"id": 2, "lang": "es", "body": "Los tribunales rechazaron las denuncias."},
    ]
    write(tmp_path / "notas.jsonl", "\n".join(json.dumps(r) for r in records))
    parsed = parse("notas.jsonl")
    assert [a.language for a in parsed.articles] == ["es", "es"]
    assert parsed.warnings == [
        "1 record(s) with a language that is not a known language code: the language is "
        "detected from the text instead (first: line 1, 'zz')"
    ]


def test_unpaired_surrogates_are_replaced_and_reported(tmp_path: Path, parse) -> None:
    # JSON's "\ud800" escape decodes to a lone surrogate, which no UTF-8 output can hold.
    # A record without id or URL is identified by a hash of its text, surrogates and all.
    write(
        tmp_path / "notes.jsonl",
        '{"id": 1, "title": "Alert \\ud800", "body": "Reporters \\udfff held.", '
        '"tags": ["a\\ud800"]}\n{"title": "No id \\ud800", "body": "Held."}',
    )
    parsed = parse("notes.jsonl")
    article, no_id = parsed.articles
    assert article.title == "Alert \ufffd"
    assert article.sections[0].text == "Reporters \ufffd held."
    assert article.tags == ["a\ufffd"]
    assert (no_id.title, no_id.text) == ("No id \ufffd", "Held.")
    for each in parsed.articles:
        json.dumps(dataclasses.asdict(each), ensure_ascii=False).encode("utf-8")  # no error
    assert parsed.warnings == [
        "2 record(s) with a text that is not valid Unicode: its unpaired surrogates are "
        "shown as \ufffd (first: line 1, 'Alert \\ud800')"
    ]


BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
        "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}  # fmt: skip


@pytest.mark.parametrize("encoding", list(BOMS))
@pytest.mark.parametrize("name", ["list.json", "lines.jsonl", "lines.jsonl.gz"])
def test_utf16_and_utf32_exports_with_a_byte_order_mark_are_read(
    tmp_path: Path, parse, encoding: str, name: str
) -> None:
    # Their NUL bytes made the binary-file check refuse them before they were decoded.
    records = [
        {"id": 1, "title": "Año 報道", "body": "Periodistas detenidos."},
        {"id": 2, "body": "Dos."},
    ]
    text = json.dumps(records, ensure_ascii=False)
    if ".jsonl" in name:
        text = "\r\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    data = BOMS[encoding] + text.encode(encoding)
    write(tmp_path / name, data, compress=name.endswith(".gz"))
    articles = parse(name).articles
    assert [(a.id.split("/")[-1], a.title, a.text.split("\n\n")[-1]) for a in articles] == [
        ("1", "Año 報道", "Periodistas detenidos."),
        ("2", "Dos.", "Dos."),
    ]


def test_a_record_dated_by_a_number_too_large_for_any_date_loses_only_its_date(
    tmp_path: Path, parse
) -> None:
    # One such record made its whole file unreadable (OverflowError), the others lost too.
    records = [
        {"id": "good", "title": "Good", "body": "Some text.", "date": "2020-01-02"},
        {"id": "huge", "title": "Huge", "body": "More text.", "date": 10**400},
    ]
    write(tmp_path / "list.jsonl", "\n".join(json.dumps(record) for record in records))
    good, huge = parse("list.jsonl").articles
    assert (good.id, good.date) == ("list/good", "2020-01-02")
    assert (huge.id, huge.date) == ("list/huge", None)


def test_a_refused_url_names_no_record(tmp_path: Path, parse) -> None:
    records = [{"title": "Script", "url": "javascript:alert(1)", "body": "Some text."}]
    write(tmp_path / "list.json", json.dumps(records))
    [article] = parse("list.json").articles
    assert article.url is None
    assert article.id.startswith("list/") and "alert" not in article.id


@pytest.mark.parametrize(
    ("encoding", "invalid"),
    [
        ("utf-16-le", b"\x00\xdc"),
        ("utf-32-be", b"\x00\x11\x00\x00"),
        ("utf-8", bytes(range(128, 256))),
    ],
    ids=[
        "lone surrogate in UTF-16",
        "past U+10FFFF in UTF-32",
        "bytes of no encoding in UTF-8",  # not valid UTF-8, and no legacy encoding fits
    ],
)
def test_text_invalid_in_its_encoding_costs_a_json_lines_file_only_its_line(
    tmp_path: Path, parse, encoding: str, invalid: bytes
) -> None:
    bom = BOMS.get(encoding, b"")
    lines = ['{"id": 1, "body": "Uno."}\n', '{"id": 2, "body": "D', 'os."}\n']
    lines.append('{"id": 3, "body": "Tres."}\n')
    encoded = [line.encode(encoding) for line in lines]
    write(tmp_path / "lines.jsonl", bom + encoded[0] + encoded[1] + invalid + b"".join(encoded[2:]))
    parsed = parse("lines.jsonl")
    assert [a.id for a in parsed.articles] == ["lines/1", "lines/3"]
    name = encoding[:6].upper()
    assert parsed.warnings == [
        f"1 invalid JSON line(s) skipped, first at line 2: invalid {name} text"
    ]


def test_json_lines_in_a_legacy_encoding_are_decoded_and_reported(tmp_path: Path, parse) -> None:
    """A cp1252 export appended to a UTF-8 file: each line is read in its own encoding."""
    body = "La campaña pidió la liberación de la periodista detenida en León."
    utf8 = json.dumps({"id": 1, "body": body}, ensure_ascii=False).encode() + b"\n"
    cp1252 = json.dumps({"id": 2, "body": body}, ensure_ascii=False).encode("cp1252") + b"\n"
    write(tmp_path / "lines.jsonl", utf8 + cp1252)
    parsed = parse("lines.jsonl")
    assert [article.text for article in parsed.articles] == [body, body]
    assert parsed.warnings == ["1 line(s) not UTF-8, decoded as cp1252"]


def test_a_damaged_utf8_line_is_not_read_in_a_legacy_encoding(tmp_path: Path, parse) -> None:
    """A stray byte among UTF-8 characters is damage, not another encoding."""
    title = "Répression à Alger"
    record = {"title": title, "body": "La police a arrêté trois journalistes."}
    lines = [json.dumps({"id": n, **record}, ensure_ascii=False) for n in (1, 2, 3)]
    damaged = lines[1].encode().replace(b"\xc3\xa0", b"\xe2\x80", 1)
    write(
        tmp_path / "lines.jsonl",
        b"\n".join([lines[0].encode(), damaged, lines[2].encode("cp1252")]) + b"\n",
    )
    parsed = parse("lines.jsonl")
    assert [(a.id, a.title) for a in parsed.articles] == [("lines/1", title), ("lines/3", title)]
    assert parsed.warnings == [
        "1 line(s) not UTF-8, decoded as cp1252",
        "1 invalid JSON line(s) skipped, first at line 2: invalid UTF-8 text",
    ]


def test_wordpress_shortcodes_are_not_text(tmp_path: Path, parse) -> None:
    content = (
        '<p>[caption id="attachment_5" width="300"]<img src="a.jpg"> Protesters in Lagos'
        '[/caption]</p><p>Sign the petition: [gravityform id="3" title="false"]</p>'
        "<p>[embed]https://youtu.be/xyz[/embed]</p><p>He said [sic] it was over.</p>"
        "<p>[vc_row][vc_column_text]Built with a page builder.[/vc_column_text][/vc_row]</p>"
        "<p>[Video: police beat protesters in Tahrir Square]</p>"
    )
    write(tmp_path / "posts.json", json.dumps([{"id": 1, "content": content}]))
    [article] = parse("posts.json").articles
    assert article.text.split("\n\n") == [
        "Protesters in Lagos",
        "Sign the petition:",
        "He said [sic] it was over.",
        "Built with a page builder.",
        "[Video: police beat protesters in Tahrir Square]",
    ]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            "Smith &amp; Jones said the union &quot;will not back down&quot; &mdash; ever.",
            'Smith & Jones said the union "will not back down" — ever.',
        ),
        (
            "&lt;p&gt;An appeal.&lt;/p&gt;&lt;p&gt;Sign it &amp;amp; share.&lt;/p&gt;",
            "An appeal.\n\nSign it & share.",
        ),
        ("AT&T and R&D; safe & sound.", "AT&T and R&D; safe & sound."),  # no entity
    ],
)
def test_a_text_escaped_for_html_is_read_unescaped(
    tmp_path: Path, parse, body: str, text: str
) -> None:
    write(tmp_path / "posts.json", json.dumps([{"id": 1, "body": body}]))
    [article] = parse("posts.json").articles
    assert article.text == text


# What CMS exports write for what their readers are not shown.
NOT_PUBLISHED = [
    ({"status": "draft"}, "draft"),  # WordPress REST, Ghost
    ({"status": "Private"}, "private"),
    ({"status": "future"}, "future"),  # WordPress: scheduled
    ({"Status": False}, "unpublished"),  # Drupal
    ({"status": 0}, "unpublished"),
    ({"status": "0"}, "unpublished"),  # Drupal views, CSV converted to JSON
    ({"status": "false"}, "unpublished"),
    ({"status": [{"value": False}]}, "unpublished"),  # Drupal's REST export
    ({"visibility": "paid"}, "members-only"),  # Ghost
    ({"visibility": "members"}, "members-only"),
    ({"visibility": "filter"}, "members-only"),  # Ghost 4: some members'
    ({"status": "sent"}, "sent"),  # Ghost: sent by email only
    ({"draft": True}, "draft"),
    ({"published": False}, "unpublished"),  # Jekyll
    ({"published": "Disabled"}, "unpublished"),  # Drupal's views, in each boolean format
    ({"Published status": "✖"}, "unpublished"),
    ({"status": "Not published"}, "unpublished"),
    ({"content": {"rendered": "<p>Hidden.</p>", "protected": True}}, "password-protected"),
    ({"password": "s3cret"}, "password-protected"),
    ({"type": "attachment", "guid": {"rendered": "x"}}, "attachment"),  # WordPress REST
    ({"post_type": "nav_menu_item"}, "nav_menu_item"),
    ({"introtext": "<p>Still edited.</p>", "state": "0"}, "unpublished"),  # Joomla's
    ({"introtext": "<p>Old text.</p>", "state": "-2"}, "trashed"),
    ({"introtext": "<p>Old text.</p>", "fulltext": "", "state": -2}, "trashed"),
    ({"introtext": "<p>Witness list.</p>", "state": "1", "access": "2"}, "members-only"),
    ({"introtext": "<p>Later.</p>", "publish_up": "2999-01-01 00:00:00"}, "scheduled"),
    ({"introtext": "<p>Gone.</p>", "publish_down": "2020-01-01 00:00:00"}, "expired"),
    # Contact forms' entries in a WordPress posts table: what readers sent, private.
    ({"post_type": "feedback", "post_content": "Call me on +1 555 0100."}, "feedback"),
    ({"post_type": "flamingo_inbound"}, "flamingo_inbound"),
]


@pytest.mark.parametrize(("fields", "what"), NOT_PUBLISHED)
@pytest.mark.parametrize("name", ["posts.json", "posts.jsonl"])
def test_records_readers_are_not_shown_are_not_indexed(
    tmp_path: Path, parse, fields: dict, what: str, name: str
) -> None:
    records = [
        {"id": 1, "status": "publish", "published": "2024-05-01", "body": "Shown to all."},
        {"id": 2, "body": "A testimony not yet published.", **fields},
    ]
    lines = [json.dumps(record) for record in records]
    write(tmp_path / name, "\n".join(lines) if name.endswith("l") else f"[{','.join(lines)}]")
    parsed = parse(name)
    assert [article.text for article in parsed.articles] == ["Shown to all."]
    assert parsed.warnings == [f"1 record(s) not indexed, as only published ones are: 1 × {what}"]


def joomla_row(row_id: int, introtext: str, fulltext: str = "", **fields: str) -> dict:
    """A row of Joomla's content table (#__content), as its database exports write it."""
    return {"id": str(row_id), "asset_id": "78", "title": f"Article {row_id}",
            "alias": f"article-{row_id}", "introtext": introtext, "fulltext": fulltext,
            "state": "1", "catid": "9", "created": "2023-12-20 09:15:00", "created_by": "42",
            "created_by_alias": "", "publish_up": "2023-12-20 09:15:00", "language": "*",
            "metadesc": "", **fields}  # fmt: skip


@pytest.mark.parametrize("flag", [1, True, "https://ngo.example/full.pdf"])
def test_another_exports_fulltext_is_not_its_text(tmp_path: Path, parse, flag: object) -> None:
    # Outside Joomla's rows, "fulltext" may say whether a text is whole, or where it is.
    record = {"title": "Detenido", "fulltext": flag, "texto": "El abogado fue detenido."}
    write(tmp_path / "notas.json", json.dumps([record]))
    [article] = parse("notas.json").articles
    assert article.text == "El abogado fue detenido."


@pytest.mark.parametrize("field_map", [{}, {"body": "introtext"}])
def test_a_joomla_articles_text_is_its_introtext_then_its_fulltext(
    tmp_path: Path, parse, field_map: dict[str, str]
) -> None:
    # Its page shows both: the text before "Read more" and the text after it.
    rows = [
        joomla_row(
            12,
            "<p>At least 312 people remain imprisoned for exercising their rights.</p>",
            "\r\n<p>Of these, 41 are journalists.</p>\r\n<h3>Conditions of detention</h3>"
            "\r\n<p>Families report that many prisoners are denied medical care.</p>",
        ),
        joomla_row(
            13,
            "<p>Siete de cada diez mujeres periodistas han sufrido acoso en redes sociales.</p>"
            '\r\n<hr id="system-readmore" />',
            "<p>Muchas de ellas han dejado de cubrir temas políticos.</p>",
            created_by_alias="Redacción",  # the name its page shows for the author's
            language="es-ES",
        ),
        joomla_row(16, "<p>In 2015 we campaigned for trade unionists.</p>", language="en-GB"),
        joomla_row(17, "", "<p>A text with no introduction, all of it after Read more.</p>"),
    ]
    write(tmp_path / "jos_content.json", json.dumps(rows))
    parsed = parse("jos_content.json", field_map)
    assert [(a.id, a.text, a.language, a.authors) for a in parsed.articles] == [
        (
            "jos_content/12",
            "At least 312 people remain imprisoned for exercising their rights.\n\n"
            "Of these, 41 are journalists.\n\nFamilies report that many prisoners are denied "
            "medical care.",
            "en",
            [],
        ),
        (
            "jos_content/13",
            "Siete de cada diez mujeres periodistas han sufrido acoso en redes sociales.\n\n"
            "Muchas de ellas han dejado de cubrir temas políticos.",
            "es",
            ["Redacción"],
        ),
        ("jos_content/16", "In 2015 we campaigned for trade unionists.", "en", []),
        (
            "jos_content/17",
            "A text with no introduction, all of it after Read more.",
            "en",
            [],
        ),
    ]
    assert parsed.articles[0].sections[1].heading == "Conditions of detention"
    assert parsed.articles[0].date == "2023-12-20"
    # Its language "*" is the site's every language: its own is detected, with no warning.
    assert parsed.warnings == []


@pytest.mark.parametrize(
    "record",
    [
        {"introtext": "<p>Shown.</p>", "state": "1"},  # Joomla: published
        {"introtext": "<p>Shown.</p>", "state": 2},  # archived: still on its site
        {"body": "Shown.", "state": "0"},  # another export's state may mean anything
        {"body": "Shown.", "state": "-2"},
    ],
)
def test_a_state_says_a_record_is_not_shown_only_in_a_joomla_article(
    tmp_path: Path, parse, record: dict
) -> None:
    write(tmp_path / "rows.json", json.dumps([{"id": 1, **record}]))
    parsed = parse("rows.json")
    assert [article.text for article in parsed.articles] == ["Shown."]
    assert parsed.warnings == []


def wp_post(post_id: int, title: str, post_type: str = "post", status: str = "publish") -> dict:
    """A row of WordPress's posts table, as a dump of its database writes it."""
    return {"ID": str(post_id), "post_author": "3", "post_date": "2024-02-29 17:45:00",
            "post_content": f"<!-- wp:paragraph -->\n<p>{title}: the court ruled.</p>",
            "post_title": title, "post_excerpt": "", "post_status": status,
            "post_password": "", "post_name": title.lower().replace(" ", "-"),
            "guid": f"https://ngo.example/?p={post_id}", "post_type": post_type}  # fmt: skip


def test_a_phpmyadmin_dump_of_a_wordpress_database_gives_its_posts(tmp_path: Path, parse) -> None:
    dump = phpmyadmin_dump(
        ("wp_options", [{"option_id": "1", "option_name": "blogname", "option_value": "NGO"}]),
        (
            "wp_posts",
            [
                wp_post(2187, "Detention of migrants"),
                wp_post(2188, "Detention of migrants", "revision", "inherit"),
                wp_post(2189, "Unfinished", status="draft"),
            ],
        ),
        # A category's description is no article, though a record's "description" is text.
        (
            "wp_term_taxonomy",
            [{"term_taxonomy_id": "2", "taxonomy": "category", "description": "Our reports."}],
        ),
    )
    write(tmp_path / "site.json", dump)
    parsed = parse("site.json")
    assert [(a.id, a.title, a.date, a.text) for a in parsed.articles] == [
        (
            "site/2187",
            "Detention of migrants",
            "2024-02-29",
            "Detention of migrants: the court ruled.",
        )
    ]
    assert parsed.warnings == [
        "2 record(s) not indexed, as only published ones are: 1 × revision, 1 × draft"
    ]


def test_a_phpmyadmin_dump_of_a_joomla_database_gives_its_articles(tmp_path: Path, parse) -> None:
    dump = phpmyadmin_dump(
        ("jos_categories", [{"id": "9", "title": "News", "description": "<p>Our news.</p>"}]),
        # A custom module's content is a block of the site's pages, beside every article.
        ("jos_modules", [{"id": "1", "title": "Donate", "content": "<p>Give now.</p>"}]),
        (
            "jos_content",
            [
                joomla_row(
                    12,
                    "<p>At least 312 people remain imprisoned.</p>",
                    "<p>41 are journalists.</p>",
                ),
                joomla_row(14, "<p>Old text in the trash.</p>", state="-2"),
            ],
        ),
    )
    write(tmp_path / "joomla.json", dump)
    parsed = parse("joomla.json")
    assert [(a.id, a.text) for a in parsed.articles] == [
        ("joomla/12", "At least 312 people remain imprisoned.\n\n41 are journalists.")
    ]
    assert parsed.warnings == ["1 record(s) not indexed, as only published ones are: 1 × trashed"]


def test_a_phpmyadmin_dump_of_another_database_gives_the_rows_of_the_table_named_by_its_text(
    tmp_path: Path, parse
) -> None:
    # Its tables of figures are data beside the articles, as a CSV table of them is.
    dump = phpmyadmin_dump(
        ("visitas", [{"dia": "2024-01-01", "visitas": "12"}]),
        ("notas", [{"id": "1", "titulo": "Detenido", "cuerpo": "El periodista fue detenido."}]),
        ("usuarios", [{"id": "1", "nombre": "Ana", "email": "ana@ngo.example"}]),
    )
    write(tmp_path / "sitio.json", dump)
    parsed = parse("sitio.json", {"body": "cuerpo"})
    assert [(a.id, a.title, a.text) for a in parsed.articles] == [
        ("sitio/1", "Detenido", "El periodista fue detenido.")
    ]
    assert parsed.warnings == []


def test_a_table_phpmyadmin_exported_alone_is_read_as_a_csv_export_of_it_is(
    tmp_path: Path, parse
) -> None:
    dump = phpmyadmin_dump(
        ("articulos", [{"id": "1", "titulo": "Detenidos", "contenido": "Tres periodistas."}])
    )
    write(tmp_path / "articulos.json", dump)
    [article] = parse("articulos.json").articles
    assert (article.title, article.text) == ("Detenidos", "Tres periodistas.")


def test_a_phpmyadmin_dump_of_another_database_is_not_read_table_by_table(
    tmp_path: Path, parse
) -> None:
    # A Ghost database: its newsletters hold the text of paid posts, its comments readers'
    # telephone numbers; none of it is for a public search.
    dump = phpmyadmin_dump(
        ("posts", [{"id": "1", "title": "Paid post", "html": "<p>For members.</p>",
                    "visibility": "paid", "status": "published"}]),
        ("emails", [{"id": "e1", "subject": "Paid post", "html": "<p>For members.</p>"}]),
        ("comments", [{"id": "c1", "html": "<p>I am the witness: call +1 555 0100.</p>"}]),
    )  # fmt: skip
    write(tmp_path / "ghost.json", dump)
    with pytest.raises(UnreadableFile, match=r"its tables: posts, emails, comments"):
        parse("ghost.json")


def test_a_drupal_rest_export_is_read_from_its_value_lists(tmp_path: Path, parse) -> None:
    node = {
        "nid": [{"value": 101}],
        "langcode": [{"value": "fr"}],
        "status": [{"value": True}],
        "title": [{"value": "Arrestation d'un blogueur à Tunis"}],
        "created": [{"value": "1678886400"}],
        "body": [{"value": "<p>Un blogueur a été arrêté à Tunis.</p>", "format": "full_html"}],
    }
    write(tmp_path / "nodes.json", json.dumps([node]))
    [article] = parse("nodes.json").articles
    assert (article.id, article.title, article.date, article.language, article.text) == (
        "nodes/101",
        "Arrestation d'un blogueur à Tunis",
        "2023-03-15",
        "fr",
        "Un blogueur a été arrêté à Tunis.",
    )


def test_a_json_api_export_is_read_from_its_resources_attributes(tmp_path: Path, parse) -> None:
    # A record of another export with a type, an id and its own attributes is read as it is.
    other = {"type": "post", "id": 7, "attributes": {"color": "red"}, "body": "Its own text."}
    write(tmp_path / "other.json", json.dumps([other]))
    assert parse("other.json").articles[0].text == "Its own text."

    def node(uuid: str, published: bool, title: str) -> dict:
        body = {"value": f"<p>{title}: the court ruled.</p>", "format": "full_html"}
        attributes = {"status": published, "title": title, "body": body, "langcode": "en"}
        return {"type": "node--article", "id": uuid, "attributes": attributes}

    export = {"data": [node("9c9c", True, "Ban upheld"), node("5b3b", False, "Draft")]}
    write(tmp_path / "nodes.json", json.dumps(export))
    parsed = parse("nodes.json")
    assert [(a.id, a.title, a.text) for a in parsed.articles] == [
        ("nodes/9c9c", "Ban upheld", "Ban upheld: the court ruled.")
    ]
    assert parsed.warnings == [
        "1 record(s) not indexed, as only published ones are: 1 × unpublished"
    ]


def json_api_node(uuid: str, title: str, **relationships: object) -> dict:
    """A node as Drupal's JSON:API gives it: its links, attributes and relationships."""
    attributes = {
        "title": title,
        "status": True,
        "path": {"alias": f"/news/{uuid}", "langcode": "en"},
        "body": {"value": f"<p>{title}: the court ruled.</p>", "format": "full_html"},
    }
    related = {name: {"data": data} for name, data in relationships.items()}
    self_link = {"href": f"https://ngo.example/es/jsonapi/node/article/{uuid}?resourceVersion=1"}
    return {
        "type": "node--article",
        "id": uuid,
        "links": {"self": self_link},
        "attributes": attributes,
        "relationships": related,
    }


JSON_API_INCLUDED = [
    {"type": "user--user", "id": "u5", "attributes": {"display_name": "Carmen Ríos", "name": "cr"}},
    {"type": "user--user", "id": "u7", "attributes": {"name": "jmwangi"}},
    {"type": "user--user", "id": "u8", "attributes": {"name": "John Mwangi"}},
    {"type": "taxonomy_term--tags", "id": "t3", "attributes": {"name": "Desaparición forzada"}},
    {"type": "taxonomy_term--region", "id": "t4", "attributes": {"name": "Andes"}},
]


def test_a_json_api_export_names_its_authors_and_terms_from_its_included_resources(
    tmp_path: Path, parse
) -> None:
    # ?include=uid,field_tags: a relationship gives a type and an id, `included` the rest.
    def ref(kind: str, uuid: str) -> dict:
        return {"type": kind, "id": uuid, "meta": {"drupal_internal__target_id": 1}}

    nodes = [
        json_api_node(
            "n1",
            "Ban upheld",
            uid=ref("user--user", "u5"),
            revision_uid=ref("user--user", "u7"),  # who edited it last: no author
            field_tags=[ref("taxonomy_term--tags", "t3"), ref("taxonomy_term--tags", "gone")],
            field_region=[ref("taxonomy_term--region", "t4")],
        ),
        json_api_node("n2", "Appeal lodged", uid=ref("user--user", "u7"), field_tags=[]),
        json_api_node("n3", "Appeal heard", uid=ref("user--user", "u8")),
    ]
    write(tmp_path / "nodes.json", json.dumps({"data": nodes, "included": JSON_API_INCLUDED}))
    assert [(a.id, a.authors, a.tags) for a in parse("nodes.json").articles] == [
        ("nodes/n1", ["Carmen Ríos"], ["Desaparición forzada", "Andes"]),
        # Without a display name, a user's name is an author only if it is no login.
        ("nodes/n2", [], []),
        ("nodes/n3", ["John Mwangi"], []),
    ]
    # One resource, as /jsonapi/node/article/{uuid} gives it, is read as one record.
    one = {"data": nodes[0], "included": JSON_API_INCLUDED}
    write(tmp_path / "node.json", json.dumps(one))
    [article] = parse("node.json").articles
    assert (article.title, article.authors) == ("Ban upheld", ["Carmen Ríos"])


def test_a_json_api_resource_named_oddly_is_read_without_its_relations(
    tmp_path: Path, parse
) -> None:
    # An id that is a list cannot name a resource: the whole file was lost to a TypeError.
    document = {
        "data": [
            {
                "type": "article",
                "id": {"value": 7},
                "attributes": {"title": "Released", "body": "The lawyer was released."},
                "relationships": {"author": {"data": {"type": "people", "id": [9]}}},
            }
        ],
        "included": [{"type": "people", "id": [9], "attributes": {"name": "Ana Reyes"}}],
    }
    write(tmp_path / "odd.json", json.dumps(document))
    [article] = parse("odd.json").articles
    assert (article.title, article.text) == ("Released", "The lawyer was released.")


def test_a_json_api_nodes_path_alias_is_its_address_on_the_site_its_links_name(
    tmp_path: Path, parse
) -> None:
    # The site, and its language's prefix, are where its JSON:API is: /es/jsonapi/….
    linked = json_api_node("n1", "Ban upheld")
    unlinked = {**json_api_node("n2", "Appeal lodged"), "links": {}}
    write(tmp_path / "nodes.json", json.dumps({"data": [linked, unlinked]}))
    articles = parse("nodes.json").articles
    assert [article.url for article in articles] == ["https://ngo.example/es/news/n1", None]
    # An address on a site it does not name: a link once the site's address is given.
    assert [article.address for article in articles] == [None, "/news/n2"]


def test_a_ghost_export_gives_its_posts_with_their_authors_and_public_tags(
    tmp_path: Path, parse
) -> None:
    def post(post_id: str, title: str, **fields: str) -> dict:
        html = f"<p>{title}: three reporters were detained.</p>"
        return {"id": post_id, "title": title, "html": html, "status": "published", **fields}

    data = {
        "posts": [
            post("p1", "Detained in Minsk", published_at="2023-03-02T09:30:00.000Z"),
            post("p2", "For members", visibility="members"),
        ],
        "users": [{"id": "u1", "name": "Olga K."}, {"id": "u2", "name": "Ivan P."}],
        "posts_authors": [
            {"post_id": "p1", "author_id": "u2", "sort_order": 1},
            {"post_id": "p1", "author_id": "u1", "sort_order": 0},
        ],
        "tags": [
            {"id": "t1", "name": "Belarus"},
            {"id": "t2", "name": "#newsletter"},
            {"id": ["odd"], "name": "An id no row links by"},
        ],
        "posts_tags": [{"post_id": "p1", "tag_id": "t2"}, {"post_id": "p1", "tag_id": "t1"}],
    }
    export = {"db": [{"meta": {"version": "5.70.0"}, "data": data}]}
    write(tmp_path / "ghost.json", json.dumps(export))
    parsed = parse("ghost.json")
    assert [(a.id, a.date, a.authors, a.tags) for a in parsed.articles] == [
        ("ghost/p1", "2023-03-02", ["Olga K.", "Ivan P."], ["Belarus"])
    ]
    assert parsed.warnings == [
        "1 record(s) not indexed, as only published ones are: 1 × members-only"
    ]


def test_a_ghost_0x_export_names_a_posts_author_by_its_author_id(tmp_path: Path, parse) -> None:
    # Ghost before 1.22 had no posts_authors table: a post names its one author itself.
    post = {"id": 7, "title": "Submission to the UN", "html": "<p>Three trends.</p>"}
    data = {
        "posts": [{**post, "status": "published", "author_id": 1}],
        "users": [{"id": 1, "name": "Peter Okoth"}],
    }
    write(tmp_path / "ghost.json", json.dumps({"db": [{"meta": {"version": "005"}, "data": data}]}))
    assert parse("ghost.json").articles[0].authors == ["Peter Okoth"]


def test_a_type_says_what_a_record_is_only_in_a_wordpress_export(tmp_path: Path, parse) -> None:
    record = {"id": 1, "type": "revision", "title": "Revision of the penal code", "body": "Text."}
    write(tmp_path / "laws.json", json.dumps([record]))
    assert [article.title for article in parse("laws.json").articles] == [record["title"]]


def test_an_export_with_nothing_published_holds_no_article(tmp_path: Path, parse) -> None:
    records = [{"id": n, "status": "draft", "body": "Not yet."} for n in range(2)]
    write(tmp_path / "drafts.json", json.dumps(records))
    # Read whole (unlike an export without text): what it gave before is removed.
    with pytest.raises(NoArticle, match=r"no published records \(2 × draft\)"):
        parse("drafts.json")


def test_a_wordpress_rest_export_is_read_with_its_nested_fields(tmp_path: Path, parse) -> None:
    post = {
        "id": 41,
        "date": "2024-03-02T10:00:00",
        "link": "https://ngo.example/2024/03/ngo-law/",
        "status": "publish",
        "title": {"rendered": "NGO law passed &#8211; what it means"},
        "content": {
            "rendered": "<p>Parliament passed a law labelling NGOs.</p>",
            "protected": False,
        },
        "excerpt": {"rendered": "<p>A summary.</p>", "protected": False},
        "author": 3,
    }
    write(tmp_path / "wp.json", json.dumps([post]))
    [article] = parse("wp.json").articles
    assert (article.id, article.date, article.text) == (
        "wp/41",
        "2024-03-02",
        "Parliament passed a law labelling NGOs.",
    )
    assert article.title == "NGO law passed – what it means"
    assert not article.title_derived


def test_a_wordpress_rest_export_fetched_with_embed_names_its_authors_and_terms(
    tmp_path: Path, parse
) -> None:
    # ?_embed: the record holds its author's and terms' numbers, _embedded their names.
    post = {
        "id": 41,
        "date": "2024-03-02T10:00:00",
        "status": "publish",
        "title": {"rendered": "NGO law passed"},
        "content": {"rendered": "<p>Parliament passed a law labelling NGOs.</p>"},
        "author": 3,
        "categories": [5],
        "tags": [44],
        "_embedded": {
            "author": [
                {"id": 3, "name": "Camille Bernard"},
                {"code": "rest_user_invalid_id", "data": {"status": 404}},
            ],
            "wp:term": [
                [{"id": 5, "name": "Migrations", "taxonomy": "category"}],
                [{"id": 44, "name": "CRA", "taxonomy": "post_tag"}],
                [{"id": 9, "name": "Français", "taxonomy": "language"}],
            ],
        },
    }
    without_terms = {**post, "id": 42, "_embedded": {"author": []}}
    write(tmp_path / "wp.json", json.dumps([post, without_terms]))
    assert [(a.authors, a.tags) for a in parse("wp.json").articles] == [
        (["Camille Bernard"], ["CRA", "Migrations"]),
        ([], []),
    ]


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        ({"date_gmt": "2024-03-01T23:30:00"}, "2024-03-01"),
        # Its local date, the one the site shows, when it has one.
        ({"date": "2024-03-02T00:30:00", "date_gmt": "2024-03-01T23:30:00"}, "2024-03-02"),
        ({"date_gmt": "0000-00-00 00:00:00", "published": "2023-04-10"}, "2023-04-10"),
    ],
    ids=["date_gmt alone", "date first", "a draft's zero date_gmt"],
)
def test_a_wordpress_rest_record_is_dated_by_its_date_gmt_when_it_has_no_date(
    tmp_path: Path, parse, dates: dict, expected: str
) -> None:
    post = {"id": 41, "content": {"rendered": "<p>Police used tear gas.</p>"}, **dates}
    write(tmp_path / "wp.json", json.dumps([post]))
    assert parse("wp.json").articles[0].date == expected


@pytest.mark.parametrize(
    "record",
    [
        {
            "headline": "Raid",
            "articleBody": "Police raided the office.",
            "datePublished": "2024-01-05",
        },
        {"title": "Raid", "body": "Police raided the office.", "pub_date": "2024-01-05"},
    ],
    ids=["schema.org", "pub_date"],
)
def test_common_field_names_are_mapped(tmp_path: Path, parse, record: dict) -> None:
    write(tmp_path / "news.json", json.dumps([record]))
    [article] = parse("news.json").articles
    assert (article.title, article.text, article.date) == (
        "Raid",
        "Police raided the office.",
        "2024-01-05",
    )


def test_a_records_tags_are_those_of_its_tags_and_its_categories(tmp_path: Path, parse) -> None:
    record = {"id": 1, "body": "Text.", "tags": ["Press"], "categories": ["Asia", "press"]}
    records = [
        {**record, "keywords": "buy now, seo"},  # search-engine words: no tags beside tags
        {**record, "id": 2, "tags": [7, 9]},  # a WordPress REST record's tags are ids
        {"id": 3, "body": "Text.", "keywords": "Asia, press"},  # its only tags
    ]
    write(tmp_path / "posts.json", json.dumps(records))
    assert [article.tags for article in parse("posts.json").articles] == [
        ["Press", "Asia"],
        ["Asia", "press"],
        ["Asia", "press"],
    ]


@pytest.mark.parametrize(
    "deep_record",
    [
        {"id": "deep", "title": "Deep", "body": "Deep body.", "authors": nested("Ana", 900)},
        {"id": "deep", "title": nested({"rendered": "Deep"}, 400), "body": "Deep body."},
    ],
    ids=["authors", "title"],
)
@pytest.mark.parametrize("name", ["export.jsonl", "export.json"])
def test_a_record_nested_hundreds_deep_costs_its_export_nothing(
    tmp_path: Path, parse, deep_record: dict, name: str
) -> None:
    # Metadata nested so deep broke every reader walking it: the whole export was lost.
    good = [{"id": f"good-{n}", "title": f"Good {n}", "body": f"Body {n}."} for n in range(3)]
    records = [*good[:2], deep_record, good[2]]
    content = (
        "\n".join(json.dumps(r) for r in records) if name.endswith("l") else json.dumps(records)
    )
    write(tmp_path / name, content)
    parsed = parse(name)
    ids = [article.id for article in parsed.articles]
    assert ids == ["export/good-0", "export/good-1", "export/deep", "export/good-2"]
    # Read as far as metadata goes, and said: the record's rest is left out.
    [cut] = [warning for warning in parsed.warnings if "nested more than" in warning]
    where = "line 3" if name.endswith("l") else "record 3"
    assert cut.startswith("1 record(s)") and f"first at {where};" in cut


@pytest.mark.parametrize("name", ["posts.json", "posts.jsonl"])
def test_records_dated_after_today_are_indexed_with_a_warning(
    tmp_path: Path, parse, name: str
) -> None:
    # A year typed wrong (2204) would put its article first by date for years to come.
    today = datetime.now(UTC).date()
    records = [
        {"id": "now", "date": today.isoformat(), "body": "Published today."},
        {"id": "this-year", "date": str(today.year), "body": "Dated by its year."},
        {"id": "typo", "date": "2204-05-01", "body": "Published in 2024."},
        {"id": "later", "date": f"{today.year + 1}-01", "body": "Next year."},
    ]
    lines = [json.dumps(record) for record in records]
    write(tmp_path / name, "\n".join(lines) if name.endswith("l") else f"[{','.join(lines)}]")
    parsed = parse(name)
    assert [article.date for article in parsed.articles][2:] == [
        "2204-05-01",
        f"{today.year + 1}-01",
    ]
    place = "line" if name.endswith("l") else "record"  # a JSON Lines file counts lines
    assert parsed.warnings == [
        f"2 record(s) dated after today, indexed with that date: check it (first: {place} 3, "
        "2204-05-01)"
    ]
