"""CSV exports: a header row, a record a row, read as JSON records are."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from indexer.build import ParseOptions, build_index
from indexer.errors import NotArticles, UnreadableFile
from indexer.models import CutShort
from tests.indexer.formats.conftest import write

POSTS = (
    "id,title,body,date,author,tags,url\r\n"
    'a1,Journalist arrested,"<p>Police arrested a journalist.</p>'
    '<p>Groups ""condemned"" it.</p>",2024-03-01,"Ana Pérez, Bo Li",Cambodia; press freedom,'
    "https://example.org/a1\r\n"
    'a2,Internet shutdown,"Authorities cut the internet.\n\nIt lasted three days.",'
    "2024-04-02,,,\r\n"
)
DETENTION = ("Détention", "Un journaliste, arrêté.", "2023-05-06")


def test_a_csv_export_gives_a_record_a_row(tmp_path: Path, parse) -> None:
    write(tmp_path / "posts.csv", POSTS)
    first, second = parse("posts.csv").articles
    assert (first.id, first.title, first.date) == ("posts/a1", "Journalist arrested", "2024-03-01")
    assert first.sections[0].text == 'Police arrested a journalist.\n\nGroups "condemned" it.'
    assert (first.authors, first.tags) == (["Ana Pérez", "Bo Li"], ["Cambodia", "press freedom"])
    assert first.url == "https://example.org/a1"
    # A cell's line breaks are the text's: its paragraphs.
    assert second.sections[0].text == "Authorities cut the internet.\n\nIt lasted three days."
    assert (second.authors, second.url) == ([], None)


@pytest.mark.parametrize(
    ("name", "content", "encoding"),
    [
        ("semicolons.csv", "Title;Content;Date\r\n{};{};{}\r\n", "cp1252"),
        ("tabs.tsv", "title\tbody\tdate\n{}\t{}\t{}\n", "utf-8"),
        ("bom.csv", '\ufefftitle,body,date\n{},"{}",{}\n', "utf-8"),
        # A spreadsheet saved as text: Excel's "Unicode Text", "Text (Tab delimited)".
        ("unicode-text.txt", "\ufefftitle\tbody\tdate\r\n{}\t{}\t{}\r\n", "utf-16-le"),
        ("tab-delimited.txt", "Title\tContent\tDate\r\n{}\t{}\t{}\r\n", "cp1252"),
    ],
)
def test_a_spreadsheets_csv_is_read_whatever_its_delimiter_and_encoding(
    tmp_path: Path, parse, name: str, content: str, encoding: str
) -> None:
    write(tmp_path / name, content.format(*DETENTION).encode(encoding))
    [article] = parse(name).articles
    assert (article.title, article.sections[0].text, article.date) == DETENTION


def test_a_page_of_text_with_tabs_stays_a_page(tmp_path: Path, parse) -> None:
    # Tabs in its first line (a menu a scraper kept), not a header naming article fields.
    page = (
        "Home\tNews\tAbout\n\nPress freedom index\n\nThe index ranks 180 countries on the "
        "freedom of the press each year, from a survey of the journalists, lawyers and "
        "researchers who work there.\n"
    )
    write(tmp_path / "page.txt", page)
    [article] = parse("page.txt").articles
    assert article.title == "Press freedom index"
    assert "ranks 180 countries" in article.sections[0].text


def test_dates_whose_day_and_month_cannot_be_told_apart_are_said_so(tmp_path: Path, parse) -> None:
    # No date of the file has a day past 12: the order is never guessed, and the warning
    # says why and what to write, not that the date is implausible.
    write(tmp_path / "posts.csv", "title,body,date\nA,Text a.,03/04/2023\nB,Text b.,05/06/2023\n")
    parsed = parse("posts.csv")
    assert [article.date for article in parsed.articles] == [None, None]
    assert parsed.warnings == [
        "2 record(s) with a date in figures that is not a date whose day and month can be "
        "told apart (no date of its file has a day past 12 to tell their order; write dates "
        "as 2023-04-03): indexed undated (first: line 2, '03/04/2023')"
    ]


def test_a_date_its_weekday_contradicts_is_said_to_be_no_date(tmp_path: Path, parse) -> None:
    # The file's order is known (25/12): the date is wrong, not ambiguous.
    write(
        tmp_path / "posts.csv",
        'title,body,date\nA,Text a.,"Tue, 01/02/2023"\nB,Text b.,25/12/2022\n',
    )
    parsed = parse("posts.csv")
    assert [article.date for article in parsed.articles] == [None, "2022-12-25"]
    assert parsed.warnings == [
        "1 record(s) with a date that is not a plausible date: indexed undated "
        "(first: line 2, 'Tue, 01/02/2023')"
    ]


def test_a_cell_longer_than_the_csv_modules_default_limit_is_read(tmp_path: Path, parse) -> None:
    body = "Witnesses described the raid. " * 6_000  # 180,000 characters
    write(tmp_path / "long.csv", f'title,body\nRaid,"{body}"\n')
    [article] = parse("long.csv").articles
    assert len(article.sections[0].text) == len(body.strip())


WRAPPED = (
    "The court sentenced the journalist to five years in prison on\n"
    "charges of spreading false news, after a trial that observers\n"
    "described as unfair.\n"
)


@pytest.mark.parametrize(
    ("cell", "paragraphs"),
    [
        # A spreadsheet's cell: each line was begun with Alt+Enter.
        ("First paragraph.\nSecond paragraph.", ["First paragraph.", "Second paragraph."]),
        ("One.\n\nTwo.\nStill two.", ["One.", "Two. Still two."]),
        # Text wrapped at a width breaks its sentences: its lines make one paragraph.
        (WRAPPED, [" ".join(WRAPPED.split())]),
        ("Police raided El Faro on\nMonday morning.", ["Police raided El Faro on Monday morning."]),
        ("“Free them.”\nThe crowd dispersed.", ["“Free them.”", "The crowd dispersed."]),
        # A heading's line ends no sentence.
        (
            "Background\nThe court ruled.\nWe ask for her release.",
            ["Background", "The court ruled.", "We ask for her release."],
        ),
    ],
)
def test_a_line_break_after_a_sentence_in_a_cell_begins_a_paragraph(
    tmp_path: Path, parse, cell: str, paragraphs: list[str]
) -> None:
    write(tmp_path / "notes.csv", f'title,body\nRaid,"{cell}"\n')
    [article] = parse("notes.csv").articles
    assert article.sections[0].text.split("\n\n") == paragraphs


def test_a_column_is_mapped_as_a_json_field_is(tmp_path: Path, parse) -> None:
    write(tmp_path / "notas.csv", "titulo,nota_completa\nDetenido,El periodista fue detenido.\n")
    [article] = parse("notas.csv", {"body": "nota_completa", "title": "titulo"}).articles
    assert (article.title, article.sections[0].text) == ("Detenido", "El periodista fue detenido.")


def test_a_row_with_a_quote_inside_a_cell_is_read_as_a_lenient_reader_reads_it(
    tmp_path: Path, parse
) -> None:
    rows = 'A,"one\ntwo"\n"Free" speech,"bro"ken\nC,fine\n'
    write(tmp_path / "bad.csv", f"title,body\n{rows}")
    parsed = parse("bad.csv")
    assert [(a.title, a.sections[0].text) for a in parsed.articles] == [
        ("A", "one two"),  # a line break inside a sentence is no paragraph break
        ("Free speech", "broken"),
        ("C", "fine"),
    ]
    assert parsed.warnings == [
        "1 CSV row(s) with a quote inside a cell, read as far as they could be: check them "
        "(first: line 4)"
    ]


@pytest.mark.parametrize(
    ("row", "cells"),
    [
        ('1,"Ley "mordaza" de censura","Texto"', ('Ley "mordaza" de censura', "Texto")),
        ('2,"Título","Dijo "no, nunca" al juez"', ("Título", 'Dijo "no, nunca" al juez')),
        ('3,"A ""quoted"" and "stray" word",x', ('A "quoted" and "stray" word', "x")),
        ('4,"Two\nlines "with" quotes",y', ('Two lines "with" quotes', "y")),
    ],
)
def test_a_quoted_cell_with_unescaped_quotes_keeps_them(
    tmp_path: Path, parse, row: str, cells: tuple[str, str]
) -> None:
    # A writer that wraps each cell in quotes without doubling those inside: the quote
    # before a comma or the line's end closes the cell, the others are its text.
    write(tmp_path / "posts.csv", f"id,title,body\n{row}\n5,Next,fine\n")
    parsed = parse("posts.csv")
    assert [(a.title, a.sections[0].text) for a in parsed.articles] == [cells, ("Next", "fine")]
    assert len(parsed.warnings) == 1 and "quote inside a cell" in parsed.warnings[0]


def test_a_quote_never_closed_keeps_the_rows_before_and_says_the_file_was_read_in_part(
    tmp_path: Path, parse
) -> None:
    rows = "".join(f"R{n},text\n" for n in range(500))
    write(tmp_path / "open.csv", f'title,body\nA,text\nB,"never closed\n{rows}')
    parsed = parse("open.csv")
    assert [article.title for article in parsed.articles] == ["A"]
    [warning] = parsed.warnings
    assert isinstance(warning, CutShort)  # read only in part: the run's exit code says so
    assert warning == (
        "a quote opened on line 3 is not closed before the file ends: lines 3 to 503 were not "
        "read; kept 1 records"
    )


def test_a_gzipped_csv_cut_short_keeps_the_rows_before_the_break(tmp_path: Path, parse) -> None:
    rows = "".join(f"Title {n},Body {n} {random.Random(n).random()}\n" for n in range(3_000))
    whole = gzip.compress(f"title,body\n{rows}".encode())
    write(tmp_path / "cut.csv.gz", whole[: len(whole) // 2])
    parsed = parse("cut.csv.gz")
    assert 0 < len(parsed.articles) < 3_000
    assert [article.title for article in parsed.articles] == [
        f"Title {n}" for n in range(len(parsed.articles))
    ]
    [warning] = parsed.warnings
    assert isinstance(warning, CutShort)
    assert warning == (
        "file is cut short (compressed file is truncated); kept the "
        f"{len(parsed.articles)} records before"
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("title,body\n", r"CSV holds no records \(only a header row\)"),
        ('title,body\nA,"never closed\n', r"CSV holds no records \(a quote opened on line 2"),
    ],
)
def test_a_csv_without_records_is_unreadable(
    tmp_path: Path, parse, content: str, reason: str
) -> None:
    write(tmp_path / "empty.csv", content)
    with pytest.raises(UnreadableFile, match=reason):
        parse("empty.csv")


def test_a_table_of_other_data_is_no_article_file(tmp_path: Path, parse) -> None:
    write(tmp_path / "archive" / "budget.csv", "year,amount\n2020,5\n")
    write(tmp_path / "archive" / "posts.csv", POSTS)
    with pytest.raises(NotArticles, match=r"no text column \(its columns: year, amount\)"):
        parse("archive/budget.csv")
    # In a folder, it is one of the files beside the articles, counted; named, it was
    # meant to be read, and is reported.
    summary = build_index([tmp_path / "archive"], tmp_path / "ix", ParseOptions(), workers=1)
    assert summary.articles_added == 2
    assert [(item.path.name, item.ignored) for item in summary.skipped] == [("budget.csv", True)]
    named = build_index(
        [tmp_path / "archive" / "budget.csv"], tmp_path / "ix2", ParseOptions(), workers=1
    )
    assert [(item.path.name, item.ignored) for item in named.skipped] == [("budget.csv", False)]


def test_a_gzipped_csv_is_read(tmp_path: Path, parse) -> None:
    write(tmp_path / "posts.csv.gz", POSTS, compress=True)
    assert [article.id for article in parse("posts.csv.gz").articles] == ["posts/a1", "posts/a2"]


def test_a_dump_of_wordpresss_posts_table_gives_its_published_posts(tmp_path: Path, parse) -> None:
    write(
        tmp_path / "wp_posts.csv",
        "ID,post_date,post_content,post_title,post_excerpt,post_status,post_type\n"
        '10,2023-02-01 10:00:00,"<p>The court jailed the blogger.</p>",Blogger jailed,,publish,'
        "post\n"
        '11,2023-02-02 10:00:00,"<p>Draft text.</p>",Draft post,,draft,post\n'
        '12,2023-02-01 10:05:00,"<p>The court jailed him.</p>",Blogger jailed,,inherit,revision\n'
        "13,2023-02-03 10:00:00,,Logo,,inherit,attachment\n",
    )
    parsed = parse("wp_posts.csv")
    [article] = parsed.articles
    assert (article.id, article.title, article.date) == (
        "wp_posts/10",
        "Blogger jailed",
        "2023-02-01",
    )
    assert article.sections[0].text == "The court jailed the blogger."
    assert parsed.warnings == [
        "3 record(s) not indexed, as only published ones are: 1 × draft, 1 × revision, "
        "1 × attachment"
    ]


def test_a_wordpress_export_plugins_columns_are_read(tmp_path: Path, parse) -> None:
    # WP All Export names its columns for people ("Post Type"), and joins a list with "|".
    write(
        tmp_path / "wpae.csv",
        "ID,Title,Content,Date,Post Type,Status,Categories,Tags,Tags\n"
        '1,Journalist freed,"<p>A court freed him.</p>",2023-05-01,post,publish,'
        "Europe|Press Freedom,,courts\n"
        '2,Journalist freed,"<p>A court freed.</p>",2023-05-01,revision,inherit,,,\n',
    )
    parsed = parse("wpae.csv")
    [article] = parsed.articles
    assert article.tags == ["courts", "Europe", "Press Freedom"]  # its tags, then categories
    assert parsed.warnings == ["1 record(s) not indexed, as only published ones are: 1 × revision"]


@pytest.mark.parametrize(
    ("author_columns", "cells", "authors"),
    [
        ("post_author", "Ana Pérez", ["Ana Pérez"]),  # an export's: the name
        ("post_author", "17", []),  # a dump of the posts table's: a user's number
        ("post_author", " 3", []),
        ("post_author", "admin", []),  # or a login, which names no one a reader knows
        ("post_author", "Mohamed", ["Mohamed"]),
        # WP All Export's, the name in two columns.
        ("Author First Name,Author Last Name", "Ana,Pérez", ["Ana Pérez"]),
        ("post_author,Author First Name,Author Last Name", "17,Ana,Pérez", ["Ana Pérez"]),
    ],
)
def test_a_wordpress_posts_author_is_read_from_its_columns(
    tmp_path: Path, parse, author_columns: str, cells: str, authors: list[str]
) -> None:
    write(
        tmp_path / "posts.csv",
        f"post_title,post_content,{author_columns}\nBlogger jailed,The court jailed him.,{cells}\n",
    )
    [article] = parse("posts.csv").articles
    assert article.authors == authors


def test_a_joomla_content_tables_rows_are_read_as_its_site_shows_them(
    tmp_path: Path, parse
) -> None:
    write(
        tmp_path / "jos_content.csv",
        "id,title,introtext,fulltext,state,created,language\n"
        '1,Blogger freed,<p>A court freed the blogger.</p>,"<p>He spent a year in jail.</p>",'
        "1,2023-05-01 10:00:00,en-GB\n"
        "2,Draft,<p>Still edited.</p>,,0,2023-05-02 10:00:00,*\n"
        "3,Old,<p>Old text.</p>,,-2,2020-01-01 10:00:00,*\n",
    )
    parsed = parse("jos_content.csv")
    assert [(a.id, a.text, a.language) for a in parsed.articles] == [
        ("jos_content/1", "A court freed the blogger.\n\nHe spent a year in jail.", "en")
    ]
    assert parsed.warnings == [
        "2 record(s) not indexed, as only published ones are: 1 × unpublished, 1 × trashed"
    ]


def test_a_table_of_titles_and_descriptions_is_read_as_such_records_are(
    tmp_path: Path, parse
) -> None:
    write(tmp_path / "d.csv", "title,description\nVideo: the raid,Police raided the office.\n")
    [article] = parse("d.csv").articles
    assert (article.title, article.sections[0].text) == (
        "Video: the raid",
        "Police raided the office.",
    )


def test_a_published_flag_column_says_what_is_published_and_dates_nothing(
    tmp_path: Path, parse
) -> None:
    # As Drupal's views and spreadsheets write it: 1 and 0, On and Off.
    write(
        tmp_path / "nodes.csv",
        "nid,title,body,published\n1,One,Text one.,1\n2,Two,Text two.,0\n3,Three,Text three.,Off\n"
        "4,Four,Text four.,On\n5,Five,Text five.,2023-01-05\n",
    )
    parsed = parse("nodes.csv")
    assert [(article.title, article.date) for article in parsed.articles] == [
        ("One", None),
        ("Four", None),
        ("Five", "2023-01-05"),
    ]
    assert parsed.warnings == [
        "2 record(s) not indexed, as only published ones are: 2 × unpublished"
    ]


# A Drupal view's publication status column, as each of its boolean formats writes it.
SHOWN = ["Yes", "True", "On", "1", "Enabled", "✔", "Published"]
NOT_SHOWN = ["No", "False", "Off", "0", "Disabled", "✖", "Unpublished", "Not published"]


@pytest.mark.parametrize("label", ["Published", "Published status", "Publishing status", "Status"])
def test_a_drupal_views_status_column_says_what_is_published_in_any_of_its_formats(
    tmp_path: Path, parse, label: str
) -> None:
    rows = "".join(
        f"{value},<p>Its status was exported as {value}.</p>,2023-01-05,{value}\n"
        for value in SHOWN + NOT_SHOWN
    )
    write(tmp_path / "views.csv", f"Title,Body,Date,{label}\n{rows}")
    parsed = parse("views.csv")
    assert [(article.title, article.date) for article in parsed.articles] == [
        (value, "2023-01-05") for value in SHOWN
    ]
    # Nor is a "Published" column's value taken for a date that is no plausible one.
    assert parsed.warnings == [
        "8 record(s) not indexed, as only published ones are: 8 × unpublished"
    ]


def test_a_drupal_views_export_is_read_by_drupals_own_column_labels(tmp_path: Path, parse) -> None:
    # A view's table exported under the labels Drupal gives a node's fields. "Changed" is
    # when it was last edited, not published: no date.
    write(
        tmp_path / "views.csv",
        '"ID","Title","Body","Changed","Authored on","Authored by","Content language"\n'
        '"101","Smear campaigns","<p>Defenders were targeted online.</p>",'
        '"Fri, 03/17/2023 - 10:00","Tue, 03/14/2023 - 09:30","Sara Haddad","Spanish"\n'
        '"102","Vigilancia","<p>Periodistas espiados.</p>","Thu, 04/06/2023 - 10:00","",'
        '"Diego Morales","Spanish"\n',
    )
    assert [(a.date, a.authors, a.language) for a in parse("views.csv").articles] == [
        ("2023-03-14", ["Sara Haddad"], "es"),  # English text, said to be Spanish
        (None, ["Diego Morales"], "es"),
    ]


def test_a_header_that_breaks_the_quoting_is_said(tmp_path: Path, parse) -> None:
    write(tmp_path / "head.csv", '"title"x,body\nA,B\n')
    with pytest.raises(UnreadableFile, match=r"invalid CSV: its header row \(line 1\): "):
        parse("head.csv")


def test_a_text_column_the_field_map_names_wrongly_is_said(tmp_path: Path, parse) -> None:
    write(tmp_path / "notas.csv", "titulo,nota_completa\nDetenido,El periodista fue detenido.\n")
    with pytest.raises(NotArticles) as refused:
        parse("notas.csv", {"body": "nota_complete"})
    assert str(refused.value) == (
        "a table with no text column (its columns: titulo, nota_completa); no column "
        "'nota_complete', which the field map names as the text"
    )


def test_a_warning_names_a_record_by_its_line(tmp_path: Path, parse) -> None:
    write(tmp_path / "lines.csv", 'title,body\nA,"one\ntwo"\nB,\nC,three\n')
    parsed = parse("lines.csv")
    assert [article.title for article in parsed.articles] == ["A", "C"]
    assert parsed.warnings == ["1 record(s) without text skipped (first: line 4)"]


def test_a_spreadsheets_dates_are_read_in_the_order_its_days_past_12_tell(
    tmp_path: Path, parse
) -> None:
    write(
        tmp_path / "fechas.csv",
        "titulo,cuerpo,fecha\nUno,Texto uno.,15/03/2023\nDos,Texto dos.,03/04/2023\n",
    )
    assert [article.date for article in parse("fechas.csv").articles] == [
        "2023-03-15",
        "2023-04-03",
    ]


def test_the_separator_line_of_an_export_made_for_excel_names_the_delimiter(
    tmp_path: Path, parse
) -> None:
    rows = 'A, B;Text, with commas;2023-05-06\r\nC;"never closed\r\n'
    write(tmp_path / "excel.csv", f"sep=;\r\ntitle;body;date\r\n{rows}")
    parsed = parse("excel.csv")
    [article] = parsed.articles
    assert (article.title, article.sections[0].text) == ("A, B", "Text, with commas")
    assert article.date == "2023-05-06"
    assert parsed.warnings == [  # lines as the file has them, its separator line the first
        "a quote opened on line 4 is not closed before the file ends: lines 4 to 4 were not "
        "read; kept 1 records"
    ]


def test_a_form_feed_in_a_cell_does_not_shift_the_row_read_again(tmp_path: Path, parse) -> None:
    # Text copied from a PDF holds form feeds, which str.splitlines takes for line ends.
    rows = '1,One,"Page one\fpage two"\n2,Two,Body two\n3,Three,"He said "hi" there"\n4,Four,Body\n'
    write(tmp_path / "ff.csv", f"id,title,body\n{rows}")
    assert [article.title for article in parse("ff.csv").articles] == [
        "One",
        "Two",
        "Three",
        "Four",
    ]


@pytest.mark.parametrize(
    ("name", "header", "field_map"),
    [
        # As many commas as semicolons: the names it reads tell.
        ("tags.csv", "Title;Content;Tags (a, b, c)", {}),
        ("two.tsv", "Title\tBody (HTML, raw)", {"body": "Body (HTML, raw)"}),
    ],
)
def test_the_delimiter_is_the_one_under_which_the_header_names_known_fields(
    tmp_path: Path, parse, name: str, header: str, field_map: dict[str, str]
) -> None:
    delimiter = "\t" if name.endswith(".tsv") else ";"
    cells = ["Raid", "Police raided the office, again.", "x"][: header.count(delimiter) + 1]
    write(tmp_path / name, f"{header}\n{delimiter.join(cells)}\n")
    [article] = parse(name, field_map).articles
    assert (article.title, article.sections[0].text) == ("Raid", "Police raided the office, again.")


def test_a_gzipped_utf8_csv_cut_inside_a_character_stays_utf8(tmp_path: Path, parse) -> None:
    rows = "".join(f"Título {n},Café número {n} en Perú\n" for n in range(400))
    whole = f"title,body\n{rows}東京".encode()
    write(tmp_path / "cut.csv.gz", gzip.compress(whole)[:-12])  # cut in its last bytes
    parsed = parse("cut.csv.gz")
    assert parsed.articles[0].title == "Título 0"
    assert all("Perú" in article.sections[0].text for article in parsed.articles)
    assert not any("decoded as" in warning for warning in parsed.warnings)


def test_a_gzipped_csv_cut_before_its_first_line_ends_is_unreadable(tmp_path: Path, parse) -> None:
    header = ",".join(
        ["title", "body", *(f"column {n} {random.Random(n).random()}" for n in range(3_000))]
    )
    whole = gzip.compress(f"{header}\nA,B\n".encode())
    write(tmp_path / "cut.csv.gz", whole[: len(whole) // 2])  # inside the header row
    with pytest.raises(UnreadableFile, match="compressed file is truncated") as refused:
        parse("cut.csv.gz")
    assert not isinstance(refused.value, NotArticles)
