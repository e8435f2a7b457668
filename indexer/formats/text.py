"""Scraped page text (``.txt``): the article without the site's chrome.

A scraper's text keeps everything the page showed: menus and banners at the top, the
article, then newsletter prompts, social widgets and CMS leftovers at the bottom. Chrome is
recognised by what it *is*, never by any one site's wording:

1. lines repeated across several pages of the same site (``RunContext``, whole run);
2. short lines about navigation, newsletters, social media, cookies, donations, copyright,
   logging in (in English, Spanish, French, Portuguese, Italian and German); menu-like lines
   (several short items separated by wide gaps or ``|``/``·``);
3. CMS/template artifacts: ``name(snake_case_id)`` identifiers, ``{{…}}``/``{%…%}`` tags;
4. the margins: after the last real paragraph, a chrome line starts the footer and
   everything after it is chrome; before the title, lines are the page's header.

Then the title is the header's title-like line, headings are short stand-alone lines
followed by paragraph text, and everything between title and first heading is the intro.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from indexer.formats import fields
from indexer.formats.sections import Block, collapse, heading, normalize_for_compare, paragraph

__all__ = [
    "TextPage",
    "Unit",
    "byline",
    "date_line",
    "is_chrome_line",
    "is_date_prefix",
    "parse_text",
    "repeated_lines",
    "split_units",
]

# A paragraph with at least this many words is article body, not chrome or a heading.
BODY_MIN_WORDS = 20
# Phrase rules apply only to lines this short: a long sentence mentioning "newsletter" is text.
CHROME_MAX_WORDS = 15
HEADING_MAX_WORDS = 12
TITLE_MAX_WORDS = 25
# A line seen on this many pages of one site, and on this share of them, is site chrome;
# a paragraph of BODY_MIN_WORDS or more, only on more than half of them.
REPEATED_MIN_PAGES = 3
REPEATED_MIN_SHARE = 0.1

_SPACE_CLASS = r"[ \t\u00a0\u2000-\u200b\u3000]"
_BLANK_RE = re.compile(rf"^{_SPACE_CLASS}*$")


@dataclass
class Unit:
    """One paragraph-like piece of the page: a line, or hard-wrapped lines joined."""

    raw: str  # as in the file (wide gaps kept: they reveal menus)
    alone: bool  # the only unit between two blank lines
    repeated_next: bool = False  # printed twice in a row (a caption): never a heading

    @property
    def text(self) -> str:
        return collapse(self.raw)

    @property
    def words(self) -> int:
        return len(self.raw.split())


def _joins(line: str, following: str) -> bool:
    """Whether ``following`` continues ``line`` (hard-wrapped text) rather than starting anew."""
    if not following or not line:
        return False
    if line.endswith(("-", ",", ";")) and not line.endswith(" -"):
        return True
    return following[0].islower() and not line.endswith((".", "!", "?", ":", "…", '"', "”"))


def split_units(text: str) -> list[Unit]:
    """Paragraph units: blank lines separate blocks; lines within a block are separate
    units unless they are visibly one wrapped paragraph (next line starts in lower case)."""
    units: list[Unit] = []
    block: list[str] = []

    def close() -> None:
        pieces: list[str] = []
        for line in block:
            if pieces and _joins(pieces[-1].rstrip(), line.strip()):
                pieces[-1] = pieces[-1].rstrip() + " " + line.strip()
            else:
                pieces.append(line.strip())
        for piece in pieces:
            units.append(Unit(raw=piece, alone=len(pieces) == 1))
        block.clear()

    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _BLANK_RE.match(line):
            if block:
                close()
        else:
            block.append(line)
    if block:
        close()
    for unit, following in itertools.pairwise(units):
        if normalize_for_compare(unit.raw) == normalize_for_compare(following.raw):
            unit.repeated_next = following.repeated_next = True
    return units


# --- chrome rules -----------------------------------------------------------------------

_CHROME_PHRASE_RE = re.compile(
    r"""
    \b(?:un)?subscribe\b | \bnewsletters?\b | \bmailing\ list\b | \bsign[\s-]?(?:up|in|on)\b
    | \blog[\s-]?(?:in|out)\b | \bregister\ (?:now|here|today)\b | \bcreate\ an\ account\b
    | \bmy\ account\b | \bfollow\ (?:us|@) | \bshare\ (?:this|on|via|with)\b | ^share:?$
    | \b(?:latest|recent|our)\ tweets?\b | ^tweets?:?$ | \btweet\ (?:this|us)\b
    | \bcookies?\b | \bprivacy\ (?:policy|notice|settings)\b
    | \bterms\ (?:of|and)\ (?:use|service|conditions)\b
    | \ball\ rights\ reserved\b | \bcopyright\b | © | \(c\)\ \d{4}
    | \bdonat(?:e|es|ion|ions)\b | \bsupport\ (?:us|our\ work)\b
    | \bbecome\ a\ (?:member|supporter|patron)\b
    | \bskip\ to\b | \bback\ to\ top\b | \bjump\ to\ (?:content|navigation|main)\b
    | \btoggle\ (?:navigation|menu)\b | \bmain\ menu\b | ^menu$ | ^home$ | ^search(?:\ this\ site)?$
    | \bread\ more\b | \bcontinue\ reading\b | \bmore\ stories\b
    | \brelated\ (?:articles|stories|posts|content|news)\b
    | \byou\ (?:may|might)\ also\ like\b | \bmost\ (?:read|popular|viewed)\b | ^advertisement$
    | \bprint\ this\b | \bemail\ this\b | \benable\ javascript\b | \bjavascript\ is\b
    | \byour\ inbox\b | \bcontact\ us\b | \bget\ (?:our|the\ latest)\ (?:updates|news)\b
    """,
    re.I | re.X,
)
# The same kinds of line in the languages archives are most often written in besides
# English (Spanish, French, Portuguese, Italian, German). Words an article may use too
# ("contacto", "compartir en", "política de privacidad", "Datenschutz", a topic of digital
# rights) count only as the whole line, or at its start, as a site writes them.
_CHROME_PHRASE_OTHER_RE = re.compile(
    r"""
    \bsuscr[ií]b(?:e|ete|irse)\b | \babonnez-vous\b | \bs'abonner\b | \binscreva-se\b
    | \biscriviti\b | \babonnieren\b | \bbolet[ií]n\ (?:de\ noticias|informativo)\b
    | \blettre\ d'information\b | \bboletim\ informativo\b
    | \binici(?:ar|a)\ sesi[oó]n\b | \bse\ connecter\b | \bfazer\ login\b | ^anmelden$
    | \bs[ií]guenos\b | \bsuivez-nous\b | \bsiga-nos\b | \bfolgen\ sie\ uns\b | \bseguici\b
    | ^compart(?:ir|ilhar|ilhe|a)\ (?:en|em|no|este|esta|isto)\b | ^compart(?:ir|ilhar):?$
    | ^partager\ (?:sur|cet|cette)\b | ^partager:?$ | ^partilhar:?$ | ^condividi:?$ | ^teilen:?$
    | ^pol[ií]tica\ de\ (?:privacidad|privacidade|cookies)$
    | ^politique\ de\ confidentialit[ée]$ | ^datenschutz(?:erkl[äa]rung)?$
    | ^informativa\ (?:sulla\ )?privacy$
    | ^aviso\ legal$ | ^mentions\ l[ée]gales$ | ^impressum$ | ^note\ legali$
    | \btodos\ los\ derechos\ reservados\b | \btodos\ os\ direitos\ reservados\b
    | \btous\ droits\ r[ée]serv[ée]s\b | \balle\ rechte\ vorbehalten\b
    | \btutti\ i\ diritti\ riservati\b
    | ^don[aeé](?:\ (?:ahora|aqu[ií]|hoy|agora|j[aá]|maintenant))?!?$
    | \bhaz\ una\ donaci[oó]n\b | \bfaire\ un\ don\b
    | \bfa(?:i|ccia)\ una\ donazione\b
    | \bjetzt\ spenden\b | ^spenden$ | \bap[oó]yanos\b | \bsoutenez-nous\b | \bsostienici\b
    | \bir\ al\ contenido\b | \bsaltar\ al\ contenido\b | \b(?:aller|passer)\ au\ contenu\b
    | \bir\ para\ o\ conte[úu]do\b | \bzum\ inhalt\b | \bvai\ al\ contenuto\b
    | \bvolver\ arriba\b | \bretour\ en\ haut\b | \bvoltar\ ao\ topo\b
    | ^men[uú]\b | ^inicio$ | ^accueil$ | ^in[ií]cio$ | ^startseite$ | ^buscar$ | ^rechercher$
    | ^pesquisar$ | ^suche$ | ^cerca$
    | ^(?:leer\ m[aá]s|seguir\ leyendo|lire\ la\ suite|leia\ mais|continue\ lendo|weiterlesen
         |leggi\ (?:di\ pi[uù]|tutto))\b
    | \b(?:art[ií]culos|noticias|entradas|publicaciones)\ relacionad[oa]s\b
    | \barticles\ (?:similaires|connexes|li[ée]s)\b | \b(?:artigos|not[ií]cias)\ relacionad[oa]s\b
    | \b(?:verwandte|[äa]hnliche)\ artikel\b | \barticoli\ correlati\b
    | \btambi[ée]n\ te\ puede\ interesar\b | \bvous\ aimerez\ aussi\b
    | \blo\ m[aá]s\ le[ií]do\b | \bles\ plus\ lus\b | \bmais\ lidas\b | \bmeistgelesen\b
    | ^cont[aá]ct(?:o|anos|enos)$ | \bcont[aá]ctanos\b | \bcontactez-nous\b | ^contato$
    | \bfale\ conosco\b | ^kontakt$ | ^contatti$
    """,
    re.I | re.X,
)
_SOCIAL_ONLY_RE = re.compile(
    r"^(?:(?:facebook|twitter|x|instagram|linkedin|youtube|whatsapp|telegram|mastodon|bluesky"
    r"|tiktok|rss|email|e-mail)[\s|·•,/]*)+$",
    re.I,
)
_CMS_ARTIFACT_RE = re.compile(
    r"""
    \{\{.*?\}\} | \{%.*?%\} | <%.*?%> | \$\{[^}]*\} | \[\[[^\]]*\]\]
    | \b\w+\((?:[a-z0-9]+_)+[a-z0-9]+\)      # Label(machine_name), e.g. Home page(home_page)
    | ^(?:undefined|null|nan|none|true|false|lorem\ ipsum.*)$
    """,
    re.I | re.X,
)
_MENU_GAP_RE = re.compile(rf"{_SPACE_CLASS}{{3,}}|\t")
_MENU_SEPARATOR_RE = re.compile(r"\s+[|·•»]\s+|\s*\|\s*")
_TRUNCATED_RE = re.compile(r"(?:…|\.\.\.)[\"”’']?$")
_BYLINE_RE = re.compile(rf"^(?:{fields.BYLINE_PREFIX}|(author):)\s+(.{{2,80}})$", re.I)
# "Published on", "Publicado el", "Publié le", "Veröffentlicht am", "Pubblicato il"…
_DATE_PREFIX_RE = re.compile(
    r"^(?:published|posted|updated|date|publicado|actualizado|atualizado|fecha|data"
    r"|publié|mis\s+à\s+jour|veröffentlicht|aktualisiert|datum|pubblicato|aggiornato)"
    r"(?:\s+(?:on|el|em|le|am|il))?\s*:?\s*",
    re.I,
)


def _is_menu(raw: str) -> bool:
    """Several short items separated by wide gaps or separators: a navigation bar."""
    stripped = raw.strip()
    items = [item for item in _MENU_GAP_RE.split(stripped) if item.strip()]
    if len(items) >= 2 and all(len(item.split()) <= 5 for item in items):
        return True
    items = [item for item in _MENU_SEPARATOR_RE.split(stripped) if item.strip()]
    return len(items) >= 3 and all(len(item.split()) <= 4 for item in items)


def is_chrome_line(raw: str) -> bool:
    """Site chrome recognisable from the line alone (rules 2 and 3)."""
    text = collapse(raw)
    if not text:
        return True
    if _CMS_ARTIFACT_RE.search(text):
        return True
    if _is_menu(raw) or _SOCIAL_ONLY_RE.match(text):
        return True
    return len(text.split()) <= CHROME_MAX_WORDS and bool(
        _CHROME_PHRASE_RE.search(text) or _CHROME_PHRASE_OTHER_RE.search(text)
    )


def repeated_lines(pages: Iterable[Iterable[str]], page_count: int) -> frozenset[str]:
    """Normalised lines that occur on enough pages of one site to be its chrome: on three
    pages, and on a tenth of them. A site's menus, footers and sign-up blurbs are on most
    of its pages ("Donate to help sustain our work": 28 % of one shared corpus's posts);
    a paragraph that a few of its articles share is text (the recommendations of one
    submission, quoted by the 3 posts of 467 that cover it).

    A paragraph of body length is chrome only on more than half the pages, as a site's
    "About us" is: a case's background, repeated by the 3 of 10 press releases on it, is
    text, and dropping it left the detained lawyer it names in no article.

    ``pages`` holds each page's set of normalised lines.
    """
    counts: dict[str, int] = {}
    for lines in pages:
        for line in set(lines):
            counts[line] = counts.get(line, 0) + 1
    least = max(REPEATED_MIN_PAGES, page_count * REPEATED_MIN_SHARE)
    return frozenset(
        line
        for line, count in counts.items()
        if count >= least and (len(line.split()) < BODY_MIN_WORDS or count > page_count / 2)
    )


# --- page structure -----------------------------------------------------------------------


@dataclass
class TextPage:
    title: str
    title_derived: bool
    blocks: list[Block]
    authors: list[str] = field(default_factory=list)
    date: str | None = None


def byline(text: str) -> str | None:
    """The names of a byline line ("By Ana Pérez", "Por Ana Pérez", "Author: ana")."""
    match = _BYLINE_RE.match(text)
    if match is None:
        return None
    labelled, names = match.group(1, 2)
    return names if labelled or fields.looks_like_names(names) else None


def is_date_prefix(text: str) -> bool:
    """Whether ``text`` is only the words that open a date line ("Published on", "Publié
    le")."""
    return _DATE_PREFIX_RE.fullmatch(text.strip()) is not None


def date_line(text: str) -> str | None:
    """The date a short line gives ("Published on 3 March 2023", "14 de febrero de 2023")."""
    if len(text.split()) > 8:
        return None
    return fields.normalize_date(_DATE_PREFIX_RE.sub("", text))


def _is_body(unit: Unit) -> bool:
    # A teaser cut off with "…" is never body text, however long.
    return unit.words >= BODY_MIN_WORDS and not _TRUNCATED_RE.search(unit.text)


def _heading_like(unit: Unit) -> bool:
    text = unit.text
    if not unit.alone or unit.repeated_next or not 1 <= unit.words <= HEADING_MAX_WORDS:
        return False
    if len(text) > 100 or text.endswith((".", ",", ";", ":", "…", '"', "”", "’", "'")):
        return False
    first = text[0]
    if not (first.isupper() or first.isdigit() or (first.isalpha() and not first.islower())):
        return False
    return date_line(text) is None and byline(text) is None


def _choose_title(candidates: list[int], units: list[Unit]) -> int | None:
    """The header's title: the first title-like line of some length, else the longest."""
    for index in candidates:
        text = units[index].text
        if units[index].words >= 4 and not text.endswith("."):
            return index
    if not candidates:
        return None
    return max(candidates, key=lambda i: (not units[i].text.endswith("."), units[i].words))


def parse_text(text: str, site_chrome: frozenset[str] = frozenset()) -> TextPage:
    """The article in a scraped page's text. ``site_chrome``: the site's repeated lines."""
    units = split_units(text)
    chrome = [is_chrome_line(u.raw) or normalize_for_compare(u.raw) in site_chrome for u in units]

    # Footer: after the last body paragraph, the first chrome line starts the page footer;
    # what follows it (teasers, truncated tweets, sign-up blurbs) is chrome too.
    body_indexes = [i for i, u in enumerate(units) if not chrome[i] and _is_body(u)]
    last_body = body_indexes[-1] if body_indexes else -1
    for index in range(last_body + 1, len(units)):
        if chrome[index]:
            for later in range(index, len(units)):
                chrome[later] = True
            break
    # Within the margins, a line cut off with "…" is a teaser, not text.
    first_body = body_indexes[0] if body_indexes else len(units)
    for index in range(first_body):
        if _TRUNCATED_RE.search(units[index].text):
            chrome[index] = True

    # Header: lines before the first body paragraph. Title, byline and date live here.
    authors: list[str] = []
    date: str | None = None
    header_candidates: list[int] = []
    metadata_lines: set[int] = set()
    for index in range(first_body):
        if chrome[index]:
            continue
        text_ = units[index].text
        if (names := byline(text_)) is not None:
            authors = fields.clean_list(fields.byline_names(names))
            metadata_lines.add(index)
        elif (found := date_line(text_)) is not None:
            date = date or found
            metadata_lines.add(index)
        elif units[index].words <= TITLE_MAX_WORDS and not (
            text_.endswith(".") and units[index].words > HEADING_MAX_WORDS
        ):  # a longer full sentence is a lede, not a title
            header_candidates.append(index)
    title_index = _choose_title(header_candidates, units)

    start = title_index + 1 if title_index is not None else 0
    kept = [i for i in range(start, len(units)) if not chrome[i] and i not in metadata_lines]
    blocks: list[Block] = []
    for position, index in enumerate(kept):
        unit = units[index]
        following = units[kept[position + 1]] if position + 1 < len(kept) else None
        is_heading = (
            following is not None
            and _heading_like(unit)
            and not (_heading_like(following) and following.words <= HEADING_MAX_WORDS)
            and (
                following.words > HEADING_MAX_WORDS
                or following.text.endswith((".", "!", "?", '"', "”"))
            )
        )
        blocks.append(heading(unit.text, 2) if is_heading else paragraph(unit.text))

    if title_index is not None and blocks:
        return TextPage(units[title_index].text, False, blocks, authors, date)
    if title_index is not None:  # the "title" was all the text there is: it is the text
        blocks = [paragraph(units[title_index].text)]
    first_text = next((b.text for b in blocks if not b.is_heading), "")
    return TextPage(fields.derive_title(first_text), True, blocks, authors, date)
