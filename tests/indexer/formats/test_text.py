from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer.formats.text import is_chrome_line, parse_text
from tests.indexer.formats.conftest import FIXTURES, SEED, write

SEED_SECTIONS = [
    "Democracy under attack",
    "Civil society fights back",
    "The struggle of independent media",
    "Postponement of elections",
    "International pressure",
]


@pytest.fixture
def seed_article(tmp_path: Path, parse):
    shutil.copy(SEED, write(tmp_path / "seed" / SEED.name, ""))
    [article] = parse(f"seed/{SEED.name}").articles
    return article


def test_seed_title_and_sections(seed_article) -> None:
    assert (
        seed_article.title == "Lessons in Resistance: Defying repression and impunity in Cambodia"
    )
    assert seed_article.title_derived is False
    assert [s.heading for s in seed_article.sections] == [None, *SEED_SECTIONS]
    assert seed_article.id == "seed/000_c7260968483372a2"
    assert seed_article.source == "seed"


def test_seed_intro_has_the_two_lede_paragraphs_and_the_caption_once(seed_article) -> None:
    paragraphs = seed_article.sections[0].text.split("\n\n")
    assert len(paragraphs) == 3
    assert paragraphs[0].startswith("Cambodia will hold its sixth general election")
    assert paragraphs[1].startswith("Overcoming these challenges is a difficult task")
    assert paragraphs[2].startswith("Cambodia's National Election Committee official")


def test_seed_pull_quote_appears_once_inside_the_longer_paragraph(seed_article) -> None:
    text = seed_article.text.lower()
    assert text.count("the dilemma faced by most civil society groups today") == 1
    assert "what this statement does not show is the dilemma faced" in text


def test_seed_has_no_chrome(seed_article) -> None:
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    title_at = lines.index(seed_article.title)
    last_body_at = next(i for i, line in enumerate(lines) if line.startswith("Whether Cambodians"))
    chrome = lines[:title_at] + lines[last_body_at + 1 :]
    assert len(chrome) == 7  # two lines above the title, five below the last paragraph
    for line in chrome:
        assert line not in seed_article.text
        assert line.rstrip("…")[:40] not in seed_article.text
    assert seed_article.sections[-1].text.endswith("before full democracy is realized in Cambodia.")


# A scraped page of a fictional site whose chrome wording differs from the seed's.
OTHER_SITE_PAGE = (FIXTURES / "other_site_page.txt").read_text(encoding="utf-8")


def test_other_site_chrome_is_recognised_by_what_it_is(tmp_path: Path, parse) -> None:
    write(tmp_path / "rightswatch" / "freedonia.txt", OTHER_SITE_PAGE)
    [article] = parse("rightswatch/freedonia.txt").articles
    assert article.title == "Journalists detained ahead of the vote in Freedonia"
    assert article.authors == ["Maria Lopes"]
    assert article.date == "2023-03-12"
    assert [s.heading for s in article.sections] == [
        None,
        "A pattern of arrests",
        "What comes next",
    ]
    assert article.sections[0].text.startswith("Three journalists were detained")
    assert "Photo: protesters outside" in article.sections[0].text
    assert article.sections[-1].text.endswith("before polling day.")
    for chrome in ("Skip to", "Campaigns", "mailing list", "Rights Watchers Network",
                   "Facebook", "Donate", "Court upholds", "©"):  # fmt: skip
        assert chrome not in article.text, chrome


BODY_LINE = (
    "Officials in the north harassed land defenders again this week, according to local "
    "monitors who documented the incidents in detail."
)


@pytest.mark.parametrize(
    ("byline", "authors"),
    [
        ("By Maria Lopes", ["Maria Lopes"]),
        ("Por Ana Pérez y Luis Gómez", ["Ana Pérez", "Luis Gómez"]),
        ("Par Marie Dubois et Luc Martin", ["Marie Dubois", "Luc Martin"]),
        ("Por Ana de la Cruz", ["Ana de la Cruz"]),
        ("Author: maria lopes", ["maria lopes"]),  # labelled: names however written
    ],
)
def test_a_byline_line_gives_the_authors(
    tmp_path: Path, parse, byline: str, authors: list[str]
) -> None:
    write(tmp_path / "page.txt", f"Defenders under threat\n\n{byline}\n\n{BODY_LINE}\n")
    [article] = parse("page.txt").articles
    assert (article.title, article.authors) == ("Defenders under threat", authors)
    assert byline not in article.text


@pytest.mark.parametrize(
    "title", ["By the numbers: a year of arrests", "Por qué callan los medios locales"]
)
def test_a_title_that_begins_like_a_byline_stays_the_title(
    tmp_path: Path, parse, title: str
) -> None:
    write(tmp_path / "page.txt", f"{title}\n\n{BODY_LINE}\n")
    [article] = parse("page.txt").articles
    assert (article.title, article.authors) == (title, [])


def test_a_paragraph_a_few_pages_of_a_big_site_share_is_text(tmp_path: Path, parse) -> None:
    shared = "The coalition asked for a warrant before any access to metadata, in all cases."
    for number in range(31):
        lines = [f"Defenders under threat, report {number}", f"{BODY_LINE} Report {number}."]
        lines += [shared] if number < 3 else []
        lines += ["Support our work with a donation to keep this reporting free for all."]
        write(tmp_path / "site" / f"page{number}.txt", "\n\n".join(lines) + "\n")
    [article] = parse("site/page1.txt").articles
    assert shared in article.text  # on 3 pages of 31
    assert "donation" not in article.text  # on all of them


def test_lines_repeated_across_three_pages_of_a_site_are_removed(tmp_path: Path, parse) -> None:
    for number, topic in enumerate(["water", "land", "speech"]):
        write(
            tmp_path / "site" / f"page{number}.txt",
            "The Freedonia Observer\n\n"
            f"Rights of {topic} defenders under threat\n\n"
            f"Officials in the north harassed {topic} defenders again this week, according to "
            "local monitors who documented the incidents in detail.\n\n"
            "Our reporting is independent and relies on readers like you, every single week.\n",
        )
    [article] = parse("site/page1.txt").articles
    assert article.title == "Rights of land defenders under threat"
    assert article.text.startswith("Officials in the north harassed land defenders")
    assert "relies on readers" not in article.text
    assert "Observer" not in article.text


def test_page_without_a_title_line_gets_a_derived_title(tmp_path: Path, parse) -> None:
    body = ("Officials in the north harassed water defenders again this week, according to local "
            "monitors who documented every incident.")  # fmt: skip
    write(tmp_path / "t.txt", body + "\n")
    [article] = parse("t.txt").articles
    assert article.title_derived and article.title.endswith("…")
    assert article.text == body


def test_hard_wrapped_paragraphs_are_joined() -> None:
    page = parse_text(
        "A title for the piece\n\nThe first line of a wrapped paragraph goes on\n"
        "and continues on the next line until it ends here.\n"
    )
    assert [b.text for b in page.blocks] == [
        "The first line of a wrapped paragraph goes on and continues on the next line until "
        "it ends here."
    ]


@pytest.mark.parametrize(
    "line",
    [
        "Sign up for weekly updates",
        "Subscribe to our mailing list",
        "Follow us on Twitter",
        "Share this article",
        "We use cookies to improve your experience",
        "Donate now",
        "© 2023 Some Org",
        "Copyright 2020 Foundation",
        "Skip to content",
        "Log in",
        "Home    About    Contact",
        "News | Reports | Campaigns | Jobs",
        "Facebook  Twitter  Instagram",
        'At this point, would publish: "Landing(landing_page)"',
        "{{ page.title }}",
        # The same, in the other languages archives are often written in.
        "Menu Inicio Quiénes somos Contacto",
        "Suscríbete a nuestro boletín",
        "Compartir en Facebook",
        "Síguenos en Twitter",
        "Artículos relacionados",
        "© 2024 Red de Defensoras. Todos los derechos reservados.",
        "Política de privacidad",
        "Dona ahora",
        "Partager sur Facebook",
        "Tous droits réservés",
        "Lire la suite",
        "Abonnez-vous à notre lettre d'information",
        "Leia mais",
        "Notícias relacionadas",
        "Alle Rechte vorbehalten",
        "Articoli correlati",
    ],
)
def test_chrome_lines(line: str) -> None:
    assert is_chrome_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "Democracy under attack",
        "Civil society fights back",
        "The government enacted a new law, while intensifying cybercrime-related arrests.",
        "Activists urged citizens to sign up for the petition against the decree, which would "
        "criminalise criticism of officials and allow the state to block websites.",
        "Contacto con la familia",
        "La policía decidió compartir las imágenes",
        "Inicio del juicio contra los periodistas",
        "Dona Maria de Lourdes, 72 anos",
        "Donación de tierras a comunidades indígenas",
        # Digital-rights topics that a footer also names.
        "Los activistas pidieron compartir en redes sociales el video del arresto.",
        "La política de privacidad de WhatsApp cambió en enero",
        "Datenschutz in Europa",
        "Quiero leer más sobre el caso",
    ],
)
def test_article_lines_are_not_chrome(line: str) -> None:
    assert not is_chrome_line(line)


SPANISH_PAGE = """Menu Inicio Quiénes somos Contacto

Detienen a defensora de derechos humanos en Oaxaca

Publicado el 14 de febrero de 2023

La defensora zapoteca fue detenida el lunes por la policía estatal, después de encabezar
durante meses las protestas contra un proyecto eólico que no fue consultado con las comunidades.

Su organización exige su liberación inmediata y denuncia que la detención busca frenar la
defensa del territorio en el Istmo de Tehuantepec.

Compartir en Facebook

Artículos relacionados

© 2024 Red de Defensoras. Todos los derechos reservados.
"""


def test_a_spanish_page_is_read_like_an_english_one(tmp_path: Path, parse) -> None:
    write(tmp_path / "red" / "oaxaca.txt", SPANISH_PAGE)
    [article] = parse("red/oaxaca.txt").articles
    assert article.title == "Detienen a defensora de derechos humanos en Oaxaca"
    assert article.date == "2023-02-14"
    assert [s.heading for s in article.sections] == [None]
    assert article.text.startswith("La defensora zapoteca fue detenida")
    assert article.text.endswith("en el Istmo de Tehuantepec.")
