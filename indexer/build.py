"""Build and update the index: files -> articles -> Whoosh documents, one commit per run.

Incremental and idempotent: every indexed file is recorded as ``path + digest``; a run
re-parses only files whose digest changed, drops the articles of files that are gone, and
commits nothing when nothing changed. Whoosh commits atomically (a new table of contents
replaces the old one), so a searcher sees the old or the new state, never half of a run.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import json
import os
import pickle
import shutil
import struct
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index
from whoosh.index import FileIndex, LockError
from whoosh.query import Term
from whoosh.reading import CorruptIndexError
from whoosh.writing import CLEAR, IndexWriter

from indexer import storage
from indexer.analysis import TextIn
from indexer.errors import (
    IndexDamaged,
    IndexLocked,
    IndexNotFound,
    IndexOutdated,
    IndexUnavailable,
    IndexWriteFailed,
    UnreadableFile,
    WorkerLost,
)
from indexer.formats import (
    DEFAULT_MAX_ARTICLE_FILE_BYTES,
    PARSER_VERSION,
    ArticleIds,
    ParsedFile,
    RunContext,
    SkippedFile,
    StreamedFile,
    build_context,
    discover,
    parse_file,
    stream_file,
)
from indexer.formats import fields as metadata
from indexer.formats.fields import clean_id, partial_date, relative_id, source_for
from indexer.languages import DEFAULT_LANGUAGE
from indexer.models import Article, CutShort, Section
from indexer.parallel import ParallelWriter, ended, exit_with_parent
from indexer.schema import (
    ARTICLE,
    PHRASE_FIELDS,
    SECTION,
    build_schema,
    is_current,
    stop_word_field,
)
from indexer.writing import ArchiveWriter

FILE_KEY_SEPARATOR = "\x1f"
SHOWN_UNTIL_SEPARATOR = "@"  # no digest holds it
# A date given as a year or a year and month (how many of its parts it has): indexed on
# its first day, with this precision.
DATE_PRECISIONS = {1: "year", 2: "month"}
# The key of an article's stored metadata that says when it was first indexed (ISO 8601,
# UTC): written again with the article, it stays the same when its file is re-indexed, so
# a feed entry of an undated article is not updated by every commit (``search_api.feeds``).
FIRST_INDEXED = "first_indexed"
# The key of an article's stored metadata that holds the id its file gives it, when another
# file's article had that id first and it is indexed as ``id~N``: when that clash goes, it
# takes its own id again, as a fresh index of the same files would give it.
GIVEN_ID = "given_id"


@dataclass
class BuildSummary:
    articles_added: int = 0
    sections_added: int = 0
    files_parsed: int = 0
    files_unchanged: int = 0
    files_removed: int = 0
    files_cut_short: int = 0  # read only in part: an export caught half-written (warned)
    skipped: list[SkippedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    committed: bool = False
    # There was no index and the run indexed nothing (no file to read, or none readable):
    # it leaves none (an empty index would only hide the mistake, a path mistyped or an
    # empty folder, and be served as an archive that holds nothing).
    no_index_created: bool = False
    total_articles: int = 0
    total_sections: int = 0
    # Live articles when the run began (None: there was no index): what "indexed N
    # articles", which counts those written again, does not tell, such as articles lost.
    articles_before: int | None = None
    seconds: float = 0.0

    @property
    def nothing_read(self) -> bool:
        """True when the run found no readable file at all and changed nothing either (the
        CLI then exits non-zero): a run over a folder emptied of its files, or whose one
        page became a draft, did its work, removing their articles."""
        return self.files_parsed == 0 and self.files_unchanged == 0 and not self.committed


class Progress:
    """Receives a run's progress: bytes of files read and articles written. Silent here;
    the CLI shows it as a progress bar with rate and ETA."""

    def start(self, total_bytes: int) -> None:
        pass

    def advance(self, nbytes: int, articles: int) -> None:
        pass

    def close(self) -> None:
        pass

    def committing(self) -> None:
        """The run commits a new index version (after ``close``): none when nothing changed."""


@dataclass
class ParseOptions:
    field_map: dict[str, str] = field(default_factory=dict)
    default_language: str = DEFAULT_LANGUAGE
    max_article_file_bytes: int = DEFAULT_MAX_ARTICLE_FILE_BYTES
    # The address of each source's site, "" keying every other source's (--site-url): an
    # article's address relative to its site is its link on it.
    site_urls: dict[str, str] = field(default_factory=dict)

    def linked(self, article: Article) -> Article:
        """``article``, its address relative to its site made its ``url`` on the site's
        address when the run has that address."""
        site_url = self.site_urls.get(article.source) or self.site_urls.get("")
        if article.url is None and article.address and site_url:
            article.url = metadata.site_address(site_url, article.address)
        return article


def open_index(index_dir: Path) -> FileIndex:
    ix = committed_index(index_dir)
    if ix is None:
        raise no_index(index_dir)
    return ix


def no_index(index_dir: Path) -> IndexNotFound:
    if index_dir.is_file():
        return IndexNotFound(f"{index_dir} is a file, not a folder: an index is a folder")
    # A relative folder (the default "index") is named where it is too: relative to what a
    # service runs in, it may not be where its operator looks.
    where = index_dir if index_dir.is_absolute() else f"{index_dir} ({index_dir.resolve()})"
    return IndexNotFound(
        f"no index in {where}: build one with `advosearch index PATH --index {index_dir}`"
    )


def unreadable_index(index_dir: Path, error: OSError) -> IndexUnavailable:
    """``error``, met reading the index in ``index_dir``, said with what to do about it."""
    where = ""
    if error.filename and os.path.abspath(error.filename) != os.path.abspath(index_dir):
        where = f" ({Path(error.filename).name})"
    message = f"cannot read the index in {index_dir}{where}: {error.strerror or error}"
    if isinstance(error, PermissionError):
        message += (
            "; the user advosearch runs as must be able to read the folder and every file in "
            "it (an indexer run as another user with umask 077 writes files only that user "
            "can read: run it as the same user, or with umask 022)"
        )
    return IndexUnavailable(message)


def file_key_of(path: str, digest: str, shown_until: dt.datetime | None = None) -> str:
    """The ``file_key`` term of a file's documents: which version of which file they are,
    and until when that reading holds, if its site takes its article down then (a static
    site's expiry: ``ParsedFile.shown_until``)."""
    version = (
        digest
        if shown_until is None
        else f"{digest}{SHOWN_UNTIL_SEPARATOR}{shown_until.isoformat()}"
    )
    return f"{path}{FILE_KEY_SEPARATOR}{version}"


def _read_already(version: str | None, digest: str, now: dt.datetime) -> bool:
    """Whether the index holds the reading of a file whose bytes give ``digest`` now (its
    ``version``, as ``file_key_of`` wrote it): the same bytes, and not past its time."""
    if version is None:
        return False
    read_digest, _, until = version.partition(SHOWN_UNTIL_SEPARATOR)
    return read_digest == digest and (not until or now < dt.datetime.fromisoformat(until))


# What decoding an index file's bytes raises when they were damaged (overwritten, cut short)
# after they were written: a fault of the file, never of the code reading it.
DAMAGED_FILE_ERRORS: tuple[type[Exception], ...] = (
    CorruptIndexError,
    EOFError,
    pickle.UnpicklingError,
    struct.error,
    zlib.error,
)


def is_index_damage(error: BaseException) -> bool:
    """Whether ``error`` says the index's files are damaged: bytes that make no sense
    (``DAMAGED_FILE_ERRORS``), or, raised in the modules where Whoosh decodes its files
    (``_DECODING_MODULES``), a value that is none (a stored column cut short, its garbage
    read as a format code: "bad typecode", or as text) or a seek before a file's start (a
    terms file cut short: "Invalid argument")."""
    if isinstance(error, DAMAGED_FILE_ERRORS):
        return True
    garbled = (
        isinstance(error, UnicodeError)
        or (isinstance(error, ValueError) and "bad typecode" in str(error))
        or (isinstance(error, OSError) and error.errno == errno.EINVAL)
    )
    # Raised where Whoosh decodes its files, not where it refuses a call ("limit must be
    # >= 1"): a fault of ours must not be taken for damage, which takes /health down.
    return garbled and _raised_decoding_index_files(error)


def damaged_index(index_dir: Path, error: Exception) -> IndexDamaged:
    """``error``, met making sense of the index's files in ``index_dir`` (not of reading
    them), said with what to do about it."""
    # Whoosh's message goes on to advice that is not ours ("Rebuilding the index ...").
    detail = str(error).split(". ")[0]
    return IndexDamaged(
        f"cannot read the index in {index_dir}: its files look damaged "
        f"({type(error).__name__}: {detail}); move the folder aside and build it again "
        "with `advosearch index` (articles sent only through the ingest API must be sent "
        "again), or restore it from a backup"
    )


def index_unavailable(index_dir: Path, error: Exception) -> IndexUnavailable:
    """Why a version of the index in ``index_dir`` cannot be opened: its files cannot be
    read (``OSError``), or make no sense (anything Whoosh raises parsing them)."""
    if isinstance(error, OSError) and not is_index_damage(error):
        return unreadable_index(index_dir, error)
    return damaged_index(index_dir, error)


def committed_index(index_dir: Path) -> FileIndex | None:
    """The index a run has committed in ``index_dir``, if any.

    Whoosh creates an index as its generation 0, with no segments, before the first run
    writes anything: until that run commits (or for ever, where it failed in a version that
    left what it created) the folder holds no index yet, not an empty archive. An index
    whose articles have all been deleted since is an empty archive."""
    try:
        if index.exists_in(index_dir):
            ix = storage.open_dir(index_dir)
            if ix.latest_generation() > 0:
                return ix
    except OSError as error:
        raise unreadable_index(index_dir, error) from error
    return None


def open_or_create_index(index_dir: Path) -> FileIndex:
    if index.exists_in(index_dir):
        return storage.open_dir(index_dir)
    if index_dir.exists() and not index_dir.is_dir():
        raise IndexWriteFailed(f"{index_dir} is a file, not a folder: an index needs a folder")
    if others := _files_of_no_index(index_dir):
        # The exports' own folder given as the index's (or its parent): the index would be
        # written among them, and a later `rm -r` of the index would take them too.
        shown = ", ".join(others[:3]) + (", …" if len(others) > 3 else "")
        raise IndexWriteFailed(
            f"{index_dir} holds {len(others)} other file(s) or folder(s) ({shown}): an index "
            "needs a folder of its own; give a new or empty one"
        )
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        return storage.create_in(index_dir, build_schema())
    except OSError as error:
        raise IndexWriteFailed(
            f"cannot create an index in {index_dir}: {error.strerror or error}"
        ) from error


def _files_of_no_index(index_dir: Path) -> list[str]:
    """The names in ``index_dir`` that are not an index's (Whoosh's files and its
    ``MAIN.tmp`` folder, the writer's pid file), nor hidden, nor a mount point's
    ``lost+found``."""
    try:
        names = sorted(os.listdir(index_dir))
    except OSError:
        return []  # none yet, or not readable: creating the index says why
    return [
        name
        for name in names
        if not name.startswith(("MAIN", "_MAIN", "."))
        and name not in (LOCK_OWNER_FILE, "lost+found")
    ]


# No file's digest: that of a file that could not be read to take its digest.
UNREAD_FILE_DIGEST = ""


def file_digest(path: Path, root: Path, context: RunContext, options: ParseOptions) -> str:
    """What must change for a file to be re-parsed: its bytes, the options it is parsed with
    (a new ``--field`` mapping must reach the files already indexed), the version of the
    format readers (``PARSER_VERSION``), where it sits under the
    root argument it was found under (its articles' source and path-derived ids come from
    there: indexed under ``drw/`` and then under its parent, ``drw/blog/post.md`` moves from
    source ``blog`` to ``drw``), and the part of the run context it is parsed in: the lines
    its site repeats across pages that it holds, which decide what it keeps, and the parts
    of its titles that name its site, which are taken out of its title, the page it is
    a copy of, if any, the key of the files that translate it, and a Substack post's row
    of its export's posts.csv (a post made paid-only, its file unchanged, must leave the
    index), or what an export's table is. The whole set
    of a site's repeated lines changes whenever a line crosses the share of pages that
    makes it chrome: in the digest, adding two pages had a folder read again whole."""
    source = source_for(path, root)
    parsed_as = {
        "parser": PARSER_VERSION,
        "options": asdict(options),
        "source": source,
        "path_id": relative_id(path, root),
    }
    digest = hashlib.sha1(json.dumps(parsed_as, sort_keys=True).encode())
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    chrome = context.chrome_in(path)
    if chrome:
        digest.update("\n".join(sorted(chrome)).encode())
    names = context.names_in(path)
    if names:
        digest.update(b"\0" + "\n".join(sorted(names)).encode())
    if original := context.copy_of(path):
        digest.update(b"\0copy of " + original.encode())
    if key := context.translation_key_of(path):
        digest.update(b"\0translated as " + key.encode())
    if context.in_substack_export(path):
        row = context.substack_post(path)
        digest.update(b"\0substack " + json.dumps(row and asdict(row)).encode())
    if table := context.export_table(path):
        digest.update(b"\0export table " + table.encode())
    return digest.hexdigest()


def article_documents(
    article: Article,
    source_file: str,
    file_key: str | None,
    *,
    first_indexed: str,
    given_id: str | None = None,
) -> Iterator[dict]:
    """The Whoosh documents of one article: the article itself, then each section.
    ``given_id``: the id its file gives it, when it is indexed under another (``~N``)."""
    meta = article.to_json()
    del meta["sections"]
    meta[FIRST_INDEXED] = first_indexed
    if given_id is not None and given_id != article.id:
        meta[GIVEN_ID] = given_id
    language = article.language
    document: dict[str, Any] = {
        "key": article.id,
        "kind": ARTICLE,
        "article_id": article.id,
        "source_file": source_file,
        "title": TextIn(article.title, language),
        # What the index stores is the plain text: a TextIn would be pickled into it with
        # its language.
        "_stored_title": article.title,
        "heading": TextIn("\n".join(s.heading for s in article.sections if s.heading), language),
        "body": TextIn(article.text, language),
        "author": " ".join(article.authors),
        "tag": ",".join(tag.replace(",", " ") for tag in article.tags),
        "source": article.source,
        "language": article.language,
        "meta": meta,
    }
    if article.title_derived:
        # A title made up from the body's first words is a label, not a title: indexed as
        # one, those words would count twice, with a title's weight. It is only stored.
        document["title"] = ""
    for name in PHRASE_FIELDS:
        # The same text (its tokens read once: ``TextIn.words``), for its stop words' places.
        document[stop_word_field(name)] = document[name]
    if file_key is not None:
        document["file_key"] = file_key
    if article.translation_key:
        document["translation"] = article.translation_key
    found = partial_date(article.date)
    if found is not None:
        day, parts = found
        document["date"] = datetime.combine(day, datetime.min.time())
        document["year"] = f"{day.year:04d}"
        if parts < 3:
            document["date_precision"] = DATE_PRECISIONS[parts]
    yield document
    for position, section in enumerate(article.sections):
        yield {
            "key": f"{article.id}#{section.anchor}",
            "kind": SECTION,
            "article_id": article.id,
            "source_file": source_file,
            "section_heading": section.heading or "",
            "section_index": position,
            "anchor": section.anchor,
            "text": section.text,
        }


def first_indexed_now() -> str:
    """This moment as an article's first-indexed time: one per run, whichever process writes
    the article."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def stored_first_indexed(stored: dict[str, Any] | None) -> str | None:
    """When a stored article was first indexed; None for no article, or one written before
    advosearch kept the time."""
    indexed = ((stored or {}).get("meta") or {}).get(FIRST_INDEXED)
    # One string per run's time, not per article: a rebuild holds one for every article.
    return sys.intern(indexed) if isinstance(indexed, str) else None


LOCK_OWNER_FILE = "advosearch-writer.pid"


@contextmanager
def locked_writer(
    ix: FileIndex, index_dir: Path, lock_timeout_s: float, notices: list[str], procs: int = 1
) -> Iterator[IndexWriter]:
    """The index's writer, committed when the block ends (unless cancelled), cancelled when
    it raises. With ``procs`` > 1, the documents added are analysed and written by that
    many processes (``indexer.parallel``).

    Whoosh's lock is an OS file lock, so a killed indexer's lock dies with its process; the
    owner's pid is kept beside it so a waiting indexer can say who holds the lock, and a
    run after a crash can say that it found one. Write failures (full disk, read-only
    folder) become ``IndexWriteFailed``: the last committed version is left as it was.
    """
    owner_file = index_dir / LOCK_OWNER_FILE
    try:
        # compound=False: a segment stays a set of files that searchers read through the OS
        # page cache. Whoosh memory-maps a compound segment and opens each part of it as a
        # BytesIO, a copy of the mapped bytes: serving one held about three times the
        # resident memory, for a median query only a little faster (p99 the same).
        args = {"timeout": lock_timeout_s, "limitmb": 256, "compound": False}
        writer = ParallelWriter(ix, procs, **args) if procs > 1 else ArchiveWriter(ix, **args)
    except LockError as error:
        holder = _read_pid(owner_file)
        who = f"process {holder}" if holder else "another process"
        raise IndexLocked(
            f"another indexer ({who}) is writing to {index_dir}; waited {lock_timeout_s:g} s "
            "(ADVOSEARCH_LOCK_TIMEOUT_S sets how long to wait)"
        ) from error
    except OSError as error:
        raise IndexWriteFailed(f"cannot write to {index_dir}: {error.strerror or error}") from error
    try:
        previous = _read_pid(owner_file)
        if previous and previous != os.getpid() and not _process_alive(previous):
            notices.append(
                f"found the lock of indexer process {previous}, which is gone (it was "
                "killed or crashed); its uncommitted work was discarded, nothing committed "
                "was lost"
            )
        owner_file.write_text(str(os.getpid()))
        yield writer
        if not writer.is_closed:
            writer.commit()
    except OSError as error:
        _abandon(writer)
        if is_index_damage(error):
            raise  # reading the index's own files, cut short: said as damage, by build_index
        raise IndexWriteFailed(
            f"could not write the new index version to {index_dir}: "
            f"{error.strerror or error}; the previous version is intact"
        ) from error
    except BaseException:
        _abandon(writer)
        raise
    finally:
        owner_file.unlink(missing_ok=True)


def _abandon(writer: IndexWriter) -> None:
    """Cancel a write; on a full disk cancelling itself fails, so then just let go of the
    lock. Files of the abandoned segment are not in any table of contents, and Whoosh
    deletes such files at the next commit."""
    if writer.is_closed:
        return  # a commit that failed has let go of everything already
    try:
        writer.cancel()
    except OSError:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            lock.release()


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def indexed_files(ix: FileIndex) -> dict[str, str]:
    """``{path: digest}`` of every file the index holds articles from."""
    with ix.reader() as reader:
        files = {}
        for raw in reader.lexicon("file_key"):
            # The lexicon keeps terms of deleted documents until segments merge.
            if all(reader.is_deleted(d) for d in reader.postings("file_key", raw).all_ids()):
                continue
            path, _, digest = raw.decode("utf-8").partition(FILE_KEY_SEPARATOR)
            files[path] = digest
        return files


def build_index(
    paths: Sequence[Path],
    index_dir: Path,
    options: ParseOptions,
    *,
    lock_timeout_s: float = 30.0,
    workers: int | None = None,
    progress: Progress | None = None,
    allow_empty: bool = False,
) -> BuildSummary:
    """Bring the index up to date with the files under ``paths``, in one commit.

    A folder of ``paths`` that holds no article file any more keeps the articles indexed
    from it, unless ``allow_empty``: a mount or an export that failed looks just like that,
    and would otherwise empty the archive until the next run (and announce every article
    as new in feeds after it).

    ``workers`` processes (default: 2, or 1 on one CPU) parse the files, and as many
    analyse and write their documents, each a consecutive share of the input as a segment
    of its own (``indexer.parallel``; a share is 2 MB of input at least).

    An index whose files are damaged is left as it is (``IndexUnavailable``, saying what
    to do): what it holds may be all there is of some articles."""
    try:
        return _build_index(
            paths,
            index_dir,
            options,
            lock_timeout_s=lock_timeout_s,
            workers=workers,
            progress=progress,
            allow_empty=allow_empty,
        )
    except (*DAMAGED_FILE_ERRORS, ValueError, OSError) as error:
        if not (is_index_damage(error) and _raised_reading_the_index(error)):
            raise  # a fault of ours, not the index's: its advice would be wrong
        raise damaged_index(index_dir, error) from error


def _raised_reading_the_index(error: BaseException) -> bool:
    """Whether ``error`` was raised by Whoosh, decoding the index's files (the input files'
    own faults are reported with them, as they are parsed)."""
    return "whoosh" in _raised_in(error)


# Where Whoosh decodes the bytes of its files: its codec, file tables and columns.
_DECODING_MODULES = (("whoosh", "codec"), ("whoosh", "filedb"), ("whoosh", "columns.py"))


def _raised_decoding_index_files(error: BaseException) -> bool:
    """Whether the last frame of Python code ``error`` was raised from is in one of Whoosh's
    modules that decode its files (``_DECODING_MODULES``)."""
    parts = _raised_in(error)
    return any(
        parts[at : at + 2] == module for module in _DECODING_MODULES for at in range(len(parts))
    )


def _raised_in(error: BaseException) -> tuple[str, ...]:
    """The parts of the path of the file whose Python code ``error`` was last raised in
    (() when it carries no traceback)."""
    trace = error.__traceback__
    while trace is not None and trace.tb_next is not None:
        trace = trace.tb_next
    return () if trace is None else Path(trace.tb_frame.f_code.co_filename).parts


def _build_index(
    paths: Sequence[Path],
    index_dir: Path,
    options: ParseOptions,
    *,
    lock_timeout_s: float,
    workers: int | None,
    progress: Progress | None,
    allow_empty: bool,
) -> BuildSummary:
    started = time.perf_counter()
    indexed_now = first_indexed_now()
    summary = BuildSummary()
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    files, skipped = discover(paths)
    summary.skipped.extend(skipped)
    if not files and committed_index(index_dir) is None:
        summary.no_index_created = True
        summary.seconds = time.perf_counter() - started
        return summary
    context = build_context(files, max_file_bytes=options.max_article_file_bytes)
    committed = committed_index(index_dir)
    existed = committed is not None
    if committed is not None:
        # Opened before a writer starts a segment: a damaged index (a file cut short) is
        # said, with nothing written into its folder.
        committed.searcher().close()
    with (
        _index_kept_once_committed(index_dir, summary) as ix,
        locked_writer(ix, index_dir, lock_timeout_s, summary.warnings, workers) as writer,
    ):
        if existed:
            with ix.searcher() as searcher:
                summary.articles_before = count_kind(searcher, ARTICLE)
        outdated = not is_current(ix.schema)
        if outdated:
            # The new version replaces the whole old one at commit; until then the old one
            # keeps serving.
            writer.schema, writer.mergetype = build_schema(), CLEAR
        # What an earlier version's first run left when it failed holds nothing to rebuild.
        rebuild = outdated and ix.latest_generation() > 0
        if rebuild:
            summary.warnings.append(
                f"{index_dir} was written by another version of advosearch: every file is "
                "re-indexed"
            )
        known = indexed_files(ix)
        now = metadata.utc_now()  # the clock posts are shown by
        roots = [str(p.resolve()) for p in paths]
        discovered: dict[str, tuple[Path, Path, str]] = {}
        for path, root in files:
            resolved = str(path.resolve())
            try:
                digest = file_digest(path, root, context, options)
            except OSError:
                # Parsed, it is skipped as unreadable, with its reason, and the index keeps
                # what it gave before, as for any file that cannot be read.
                digest = UNREAD_FILE_DIGEST
            discovered[resolved] = (path, root, digest)

        to_parse = [
            (path, root, resolved, digest)
            for resolved, (path, root, digest) in discovered.items()
            if rebuild or not _read_already(known.get(resolved), digest, now)
        ]
        summary.files_unchanged = len(discovered) - len(to_parse)
        emptied = [] if allow_empty else _emptied(roots, discovered, known)
        for root, held_files in emptied:
            if held_files:
                reason = (
                    f"holds no article file now; kept what was indexed from its {held_files} "
                    "file(s), as a mount or an export that failed would leave it "
                    "(--allow-empty removes them)"
                )
            elif discovered:  # else nothing at all was read, which the run fails for
                # Named beside others: on a first run too, a mount that failed is said.
                reason = "holds no article file: nothing was read from it"
            else:
                continue
            summary.skipped.append(SkippedFile(Path(root), reason))
        kept_roots = [root for root, held_files in emptied if held_files]
        for place, unlisted in enumerate(summary.skipped):
            if unlisted.folder:
                folder = str(unlisted.path.resolve())
                kept_roots.append(folder)
                held_files = sum(1 for path in known if _is_under(path, [folder]))
                if held_files:
                    summary.skipped[place] = replace(
                        unlisted,
                        reason=f"{unlisted.reason}; kept what was indexed from its "
                        f"{held_files} file(s)",
                    )
        gone = [
            known_path
            for known_path in known
            if known_path not in discovered
            and not _is_under(known_path, kept_roots)
            and (not os.path.exists(known_path) or _is_under(known_path, roots))
        ]
        for known_path in gone:
            writer.delete_by_term("source_file", known_path)
        summary.files_removed = len(gone)

        ids = ArticleIds()
        # Articles written again keep the time they were first indexed: found by their file
        # and the id it gives them, else (a file moved, or new) by that id alone. By the
        # id they are indexed under, an article whose clash went took the time of the
        # article that had had its id.
        first_indexed_in_file: dict[tuple[str, str], str] = {}  # (file, given id): time
        first_indexed_by_id: dict[str, str] = {}  # given id: its first article's time
        reparsed = {job[2] for job in to_parse} | set(gone)
        # The ids of each indexed file's articles, in their order: they take their place
        # among the run's in its order of files. Those of files not among the run's (of
        # other folders, or added through the API) stay as they are.
        held: dict[str, list[HeldId]] = {}
        # A rebuild's articles that no file of the run gives (of other folders, or added
        # through the admin API): re-analysed from what the index stores of them.
        carried: dict[str, list[HeldId]] = {}
        with ix.searcher() as kept_searcher:
            for stored in kept_searcher.documents(kind=ARTICLE):
                source_file, article_id = stored["source_file"], stored["article_id"]
                given_id = stored["meta"].get(GIVEN_ID, article_id)
                if (rebuild or source_file in reparsed) and (
                    indexed := stored_first_indexed(stored)
                ):
                    first_indexed_in_file[(source_file, given_id)] = indexed
                    first_indexed_by_id.setdefault(given_id, indexed)
                if source_file in discovered:
                    held.setdefault(source_file, []).append(HeldId(article_id, given_id))
                elif source_file not in reparsed:  # else a file that is gone
                    ids.keep(article_id, source_file)
                    if rebuild:
                        carried.setdefault(source_file, []).append(HeldId(article_id, given_id))
        progress = progress or Progress()
        sizes = {resolved: input_size(path) for path, _, resolved, _ in to_parse}
        total = sum(sizes.values())
        progress.start(total)
        write = _writing(writer, progress, total)
        holding = _Held(ix, writer, write, ids, indexed_now, rewrite=rebuild)
        # Whether the run changes what the index holds of a file indexed before.
        changed = False
        parsed = _parse_all(to_parse, context, options, workers)
        # Articles with an address on a site the run has no address of: how many, the first.
        unlinked, first_unlinked = 0, ""
        for resolved, (path, _root, digest) in discovered.items():
            if not rebuild and _read_already(known.get(resolved), digest, now):
                file_key = file_key_of(resolved, known[resolved])
                changed |= holding.place(resolved, file_key, held[resolved], summary)
                continue
            _job, result = next(parsed)
            size = sizes[resolved]
            if isinstance(result, SkippedFile):
                changed |= holding.skip(
                    result, resolved, held.get(resolved, []), known.get(resolved), summary
                )
                write([], size, 0)
                continue
            file_key = file_key_of(resolved, digest, result.shown_until)
            # The file's own warnings come before those of its ids, as they did when the
            # whole file was parsed first.
            first_warning = len(summary.warnings)
            written = written_bytes = 0
            read_ids: set[str] = set()  # the ids the file gives its articles now
            try:
                # Writing (which analyses the text) is most of the work: advance per
                # article, by its share of the file's bytes.
                for article, nbytes in _articles_with_bytes(result, size):
                    if options.linked(article).url is None and article.address:
                        unlinked += 1
                        first_unlinked = first_unlinked or f"{resolved}: {article.address}"
                    given_id = article.id
                    read_ids.add(given_id)
                    if warning := ids.assign(article, resolved):
                        summary.warnings.append(f"{resolved}: {warning}")
                    documents = article_documents(
                        article,
                        resolved,
                        file_key,
                        first_indexed=first_indexed_in_file.get(
                            (resolved, given_id), first_indexed_by_id.get(given_id, indexed_now)
                        ),
                        given_id=given_id,
                    )
                    write(documents, nbytes, 1)
                    written, written_bytes = written + 1, written_bytes + nbytes
                    summary.articles_added += 1
                    summary.sections_added += len(article.sections)
            except UnreadableFile as error:
                if not written:  # as a file parsed whole: nothing of it is indexed
                    skipped = SkippedFile.of(path, _root, error)
                    changed |= holding.skip(
                        skipped, resolved, held.get(resolved, []), known.get(resolved), summary
                    )
                    write([], size - written_bytes, 0)
                    continue
                # A streamed file that breaks part-way after some of its articles were
                # handed to the writer cannot take them back: they are kept, as the
                # records before a truncated file's break are.
                result.warnings.append(CutShort(f"{error}; kept the {written} articles before it"))
            # Deleting takes the documents of the index's last version, not those written
            # in this run: the file's old ones, whenever it is done.
            writer.delete_by_term("source_file", resolved)
            changed |= resolved in known
            cut_short = any(isinstance(warning, CutShort) for warning in result.warnings)
            summary.files_cut_short += cut_short
            kept = cut_short and holding.keep_unread(
                resolved, file_key, held.get(resolved, []), read_ids
            )
            if kept:
                result.warnings.append(
                    f"kept the {kept} article(s) indexed from it before that its cut-short "
                    "reading does not have, until it reads whole"
                )
            summary.files_parsed += 1
            summary.warnings[first_warning:first_warning] = [
                f"{path}: {warning}" for warning in result.warnings
            ]
            if size > written_bytes:  # the lines no article came from
                write([], size - written_bytes, 0)
        parsed.close()  # every file is parsed: the parsing processes end now
        if unlinked:
            summary.warnings.append(
                f"{unlinked} article(s) have only an address on their site, with no link "
                f"to it ({first_unlinked}): give the site's address, --site-url https://… (or "
                "SOURCE=https://… for one source's)"
            )
        carried_count = 0
        for source_file, kept_ids in carried.items():
            digest = known.get(source_file)
            key = None if digest is None else file_key_of(source_file, digest)
            carried_count += holding.carry(source_file, key, kept_ids, summary)
        if carried_count:
            summary.warnings.append(
                f"re-analysed {carried_count} article(s) from what the index stores: those "
                "of files this run was not given, or added through the admin API"
            )
        if isinstance(writer, ParallelWriter):
            writer.finish_writing()
        progress.close()

        # A file that is still unreadable is read again every run (it may have been fixed)
        # but changes nothing: a new version would only break readers' cursors.
        summary.committed = bool(summary.articles_added or changed or gone or rebuild)
        if summary.committed:
            progress.committing()
        else:
            writer.cancel()

    if not summary.no_index_created:
        with ix.searcher() as searcher:
            summary.total_articles = count_kind(searcher, ARTICLE)
            summary.total_sections = count_kind(searcher, SECTION)
    summary.seconds = time.perf_counter() - started
    return summary


class _Held:
    """What a run does with the articles the index holds from a file it does not write
    from its text. Each takes its place among the run's ids, in the run's order of files,
    as a fresh index of the same files would give them: one whose id changes (a clash gone,
    or a file before it that now has its id) is written again under the new one, from what
    the index stores of it. A file that cannot be read keeps the articles it gave until it
    reads again (a CMS export caught half-written must not empty the archive); one that was
    read and holds no article (a draft now) loses them.

    In a rebuild (``rewrite``), every article kept is written again, analysed as the new
    version analyses text: the old version's documents are not carried over."""

    def __init__(
        self,
        ix: FileIndex,
        writer: IndexWriter,
        write: Write,
        ids: ArticleIds,
        indexed_now: str,
        *,
        rewrite: bool = False,
    ) -> None:
        self.ix, self.writer, self.write, self.ids = ix, writer, write, ids
        self.indexed_now, self.rewrite = indexed_now, rewrite

    def skip(
        self,
        skipped: SkippedFile,
        resolved: str,
        held: list[HeldId],
        digest: str | None,
        summary: BuildSummary,
    ) -> bool:
        """Report ``skipped``, with what becomes of the articles ``held`` in the index from
        it (``digest``: the version of the file they come from); whether the index
        changes."""
        if not held or digest is None:
            summary.skipped.append(skipped)
            return False
        articles = f"{len(held)} article{'' if len(held) == 1 else 's'}"
        if skipped.no_article:
            self.writer.delete_by_term("source_file", resolved)
            done = f"removed the {articles} indexed from it before"
        else:
            done = f"kept the {articles} indexed from it before, until it reads again"
        removed = len(held) if skipped.no_article else 0
        summary.skipped.append(
            replace(skipped, reason=f"{skipped.reason}; {done}", removed=removed)
        )
        if skipped.no_article:
            return True
        return self.place(resolved, file_key_of(resolved, digest), held, summary)

    def keep_unread(
        self, resolved: str, file_key: str, held: list[HeldId], read_ids: set[str]
    ) -> int:
        """Write again, from what the index stores, the articles ``held`` from a file whose
        reading broke off before them (``read_ids``: the ids its reading gives): a CMS
        export caught half-written keeps them until it reads whole. How many they are."""
        unread = {
            old.article_id: (self.ids.give(old.given_id, resolved), old)
            for old in held
            if old.given_id not in read_ids
        }
        self._write_again(resolved, file_key, unread)
        return len(unread)

    def place(
        self, resolved: str, file_key: str, held: list[HeldId], summary: BuildSummary
    ) -> bool:
        """Give the articles ``held`` from a file their ids among the run's, and write
        those whose id changes again; whether any does."""
        new_ids = {old.article_id: (self.ids.give(old.given_id, resolved), old) for old in held}
        moved = [(new, old) for new, old in new_ids.values() if new != old.article_id]
        for new, old in moved:
            why = (
                f"is also used by {self.ids.owner(old.given_id)}"
                if new != old.given_id
                else "is no longer used by a file before it in the run"
            )
            summary.warnings.append(
                f"{resolved}: id {old.given_id!r} {why}; indexed as {new!r} "
                f"(was {old.article_id!r})"
            )
        if not moved and not self.rewrite:
            return False
        self.writer.delete_by_term("source_file", resolved)
        self._write_again(resolved, file_key, new_ids)
        return True

    def carry(
        self, source: str, file_key: str | None, held: list[HeldId], summary: BuildSummary
    ) -> int:
        """Write again, under their ids, the articles ``held`` from ``source`` (a file the
        run was not given, or the admin API) in a rebuild; how many."""
        kept = {old.article_id: (old.article_id, old) for old in held}
        try:
            self._write_again(source, file_key, kept)
        except (KeyError, TypeError, ValueError) as error:
            # An index old enough not to store what an article needs: say what is lost.
            summary.warnings.append(
                f"{source}: its {len(held)} article(s) could not be carried over to the new "
                f"version ({type(error).__name__}: {error}); index it again, or send them again"
            )
            return 0
        return len(held)

    def _write_again(
        self, resolved: str, file_key: str | None, new_ids: dict[str, tuple[str, HeldId]]
    ) -> None:
        """Write the file's stored articles whose ids ``new_ids`` has again, each under its
        new id (``new_ids``: indexed id -> new id, and what is held of it)."""
        if not new_ids:
            return
        with self.ix.searcher() as searcher:
            for article, first_indexed in stored_articles(searcher, resolved):
                if article.id not in new_ids:
                    continue
                article.id, old = new_ids[article.id]
                documents = article_documents(
                    article,
                    resolved,
                    file_key,
                    first_indexed=first_indexed or self.indexed_now,
                    given_id=old.given_id,
                )
                self.write(documents, 0, 1)


@dataclass(frozen=True)
class HeldId:
    """An article's id in the index, and the id its file gives it: they differ by the
    ``~N`` that tells it apart from an article of a file before it that has that id."""

    article_id: str
    given_id: str


def stored_articles(searcher: Any, source_file: str) -> Iterator[tuple[Article, str | None]]:
    """The articles the index holds from ``source_file``, in their order, as their stored
    fields give them back, each with when it was first indexed.

    One article at a time: an article's sections are the documents right after it (as it
    is written, and as a merge keeps them), so a large export's whole text is never held."""
    names = {field.name for field in fields(Article)} - {"sections"}
    reader = searcher.reader()
    documents = reader.doc_count_all()
    for docnum in sorted(searcher.document_numbers(kind=ARTICLE, source_file=source_file)):
        stored = searcher.stored_fields(docnum)
        own = []
        following = docnum + 1
        while following < documents and not reader.is_deleted(following):
            section = searcher.stored_fields(following)
            if section["kind"] != SECTION or section["article_id"] != stored["article_id"]:
                break
            own.append(section)
            following += 1
        meta = stored["meta"]
        article = Article(
            **{name: meta[name] for name in names if name in meta},
            sections=[Section(s["section_heading"] or None, s["anchor"], s["text"]) for s in own],
        )
        yield article, stored_first_indexed(stored)


@contextmanager
def _index_kept_once_committed(index_dir: Path, summary: BuildSummary) -> Iterator[FileIndex]:
    """The index, created when there is none; a run that creates it but commits nothing
    (no file it read had an article, or it failed) removes what it created, folders
    included, and says so in ``summary``. One that finds an index no run has committed
    uses it, and leaves it as it was if it commits nothing."""
    committed = committed_index(index_dir)
    if committed is not None:
        yield committed
        return
    created_folder = _first_missing(index_dir)
    try:
        before = set(os.listdir(index_dir)) if created_folder is None else None
    except OSError:
        before = None  # not a folder, or not readable: creating the index says so
    try:
        yield open_or_create_index(index_dir)
    finally:
        # Another run, which created the index this one found uncommitted, may have
        # committed it meanwhile: what is in the folder is then its index.
        if not summary.committed and committed_index(index_dir) is None:
            summary.no_index_created = True
            if created_folder is not None:
                shutil.rmtree(created_folder, ignore_errors=True)
            elif before is not None:  # a folder that was there, empty of an index: kept
                for name in set(os.listdir(index_dir)) - before:
                    _remove(index_dir / name)


def _first_missing(path: Path) -> Path | None:
    """The outermost folder of ``path`` that does not exist yet, if any."""
    missing = None
    path = path.absolute()
    while not path.exists() and not path.is_symlink():
        missing, path = path, path.parent
    return missing


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


# Deflate writes at least one byte for 1,032 it compresses (its longest match, 258 bytes,
# in two bits at best): a larger ratio is no gzip stream's.
_DEFLATE_MAX_RATIO = 1032


def input_size(path: Path) -> int:
    """How much text a file holds, in bytes: what parsing and analysing it take, which the
    progress bar counts and the writers' shares split. A gzipped file's is its uncompressed
    size, from its trailer (which keeps it modulo 4 GiB), unless that is more than deflate
    can give: the trailer of a corrupt or truncated file is any 4 bytes."""
    size = path.stat().st_size
    if not path.name.lower().endswith(".gz"):
        return size
    try:
        with path.open("rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return size  # not gzip: parsing says so
            handle.seek(-4, os.SEEK_END)
            trailer = int.from_bytes(handle.read(4), "little")
    except OSError:
        return size  # too short, or unreadable: parsing says why
    # Read as a size, an 18-byte file's "bage" was 1.7 GB: the progress bar then showed
    # hours to go for a file that is skipped at once.
    return max(size, trailer) if trailer <= size * _DEFLATE_MAX_RATIO else size


def _articles_with_bytes(
    result: ParsedFile | StreamedFile, size: int
) -> Iterable[tuple[Article, int]]:
    """A file's articles, each with the bytes of the file's input it stands for: a streamed
    file's by its record's lines, a whole file's by ``_shares``."""
    if isinstance(result, StreamedFile):
        return result.articles
    return zip(result.articles, _shares(size, result.articles), strict=True)


def _shares(size: int, articles: Sequence[Article]) -> list[int]:
    """A file's bytes split between its articles by the length of their text (the work of
    analysing them), in whole bytes that add up to the file's size."""
    lengths = [len(article.title) + len(article.text) for article in articles]
    total, done, shares = max(1, sum(lengths)), 0, []
    for length in lengths:
        shares.append(size * (done + length) // total - size * done // total)
        done += length
    return shares


Write = Callable[[Iterable[dict[str, Any]], int, int], None]


def _writing(writer: IndexWriter, progress: Progress, total: int) -> Write:
    """How an article's documents, with the bytes of input and the articles they are,
    are written: by the writer's worker processes, which advance the progress bar as they
    write them; else here, one after the other."""
    if isinstance(writer, ParallelWriter):
        writer.start(total, progress.advance)
        return writer.add_documents

    def write(documents: Iterable[dict[str, Any]], nbytes: int, articles: int) -> None:
        for document in documents:
            writer.add_document(**document)
        progress.advance(nbytes, articles)

    return write


# Articles written through the ingest API belong to no file: incremental runs never
# consider them gone, and re-indexing files never replaces them.
API_SOURCE = "api"


def ingest_articles(index_dir: Path, articles: Sequence[Article], lock_timeout_s: float) -> None:
    """Add or replace articles (by id) in one commit: all of them become visible at once."""
    ix = open_index(index_dir)
    if not is_current(ix.schema):
        raise IndexOutdated(
            f"{index_dir} was written by another version of advosearch: re-index it with "
            "`advosearch index` before adding articles"
        )
    indexed_now = first_indexed_now()
    with locked_writer(ix, index_dir, lock_timeout_s, []) as writer:
        with ix.searcher() as searcher:
            first_indexed = {
                article.id: stored_first_indexed(searcher.document(key=article.id, kind=ARTICLE))
                for article in articles
            }
        for article in articles:
            writer.delete_by_term("article_id", article.id)
            documents = article_documents(
                article,
                API_SOURCE,
                file_key=None,
                first_indexed=first_indexed[article.id] or indexed_now,
            )
            for document in documents:
                writer.add_document(**document)


def remove_article(index_dir: Path, article_id: str, lock_timeout_s: float) -> str | None:
    """Delete an article and its sections in one commit; the id it had, found as
    ``article_id`` or, as its export wrote it ("Key Developments"), as it was made an id
    ("Key-Developments"); None when there was none."""
    ix = open_index(index_dir)
    with locked_writer(ix, index_dir, lock_timeout_s, []) as writer:
        with ix.searcher() as searcher:
            found = next(
                (
                    key
                    for key in dict.fromkeys([article_id, clean_id(article_id)])
                    if key and searcher.document_number(key=key, kind=ARTICLE) is not None
                ),
                None,
            )
        if found is None:
            writer.cancel()
            return None
        writer.delete_by_term("article_id", found)
    return found


def count_kind(searcher: Any, kind: str) -> int:
    """Live documents of one kind (deleted ones are excluded, unlike doc_frequency)."""
    return sum(1 for _ in searcher.docs_for_query(Term("kind", kind)))


def _emptied(
    roots: Sequence[str], discovered: dict[str, Any], known: dict[str, str]
) -> list[tuple[str, int]]:
    """The folders among ``roots`` that hold no article file now, each with how many files
    of it the index holds; and so their sources' folders (the first level in them) that
    did, an archive's usual mounts (``/srv/exports/<source>``): a mount that failed there
    empties one source."""
    held_folders = {_source_folder(path, roots) for path in known} - {None}
    read_folders = {_source_folder(path, roots) for path in discovered}
    emptied = []
    for folder in [*roots, *sorted(held_folders - read_folders)]:
        if not os.path.isdir(folder) or any(_is_under(path, [folder]) for path in discovered):
            continue
        emptied.append((folder, sum(1 for path in known if _is_under(path, [folder]))))
    return emptied


def _source_folder(path: str, roots: Sequence[str]) -> str | None:
    """The folder of the first level under one of ``roots`` that holds ``path``, if any."""
    for root in roots:
        prefix = root.rstrip(os.sep) + os.sep
        if path.startswith(prefix):
            first, separator, _ = path[len(prefix) :].partition(os.sep)
            if separator:
                return prefix + first
    return None


def _is_under(path: str, roots: Sequence[str]) -> bool:
    return any(path == root or path.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


_worker_context: RunContext | None = None
_worker_options: ParseOptions | None = None


def _init_worker(context: RunContext, options: ParseOptions) -> None:
    global _worker_context, _worker_options
    _worker_context, _worker_options = context, options


def _init_pool_worker(context: RunContext, options: ParseOptions, parent_pid: int) -> None:
    exit_with_parent(parent_pid)
    _init_worker(context, options)


def _parse_one(job: tuple[Path, Path]) -> ParsedFile | StreamedFile | SkippedFile:
    path, root = job
    assert _worker_context is not None and _worker_options is not None
    return parse_with_options(path, root, _worker_context, _worker_options)


def parse_with_options(
    path: Path, root: Path, context: RunContext, options: ParseOptions, *, stream: bool = False
) -> ParsedFile | StreamedFile | SkippedFile:
    """A file's articles (``stream``: a JSON Lines file's as they are read), or why it was
    skipped."""
    parse = stream_file if stream else parse_file
    try:
        return parse(
            path,
            root,
            context,
            field_map=options.field_map,
            default_language=options.default_language,
            max_article_file_bytes=options.max_article_file_bytes,
        )
    except UnreadableFile as error:
        return SkippedFile.of(path, root, error)


def _parse_all(
    jobs: list[tuple[Path, Path, str, str]],
    context: RunContext,
    options: ParseOptions,
    workers: int,
) -> Iterator[tuple[tuple[Path, Path, str, str], ParsedFile | StreamedFile | SkippedFile]]:
    """Parse files in worker processes (parsing is CPU-bound) while this process writes
    their documents, or hands them to the writer's processes. Files parsed here (one file,
    or one worker) are streamed: a JSON Lines export's articles are written as they are
    read, so memory holds a batch of them, not the file's, and the writer's processes
    start while it is parsed."""
    if workers <= 1 or len(jobs) < 2:
        for job in jobs:
            yield job, parse_with_options(job[0], job[1], context, options, stream=True)
        return
    with ProcessPoolExecutor(
        max_workers=workers,
        initializer=_init_pool_worker,
        initargs=(context, options, os.getpid()),
    ) as pool:
        results = pool.map(_parse_one, [(job[0], job[1]) for job in jobs], chunksize=4)
        try:
            yield from zip(jobs, results, strict=True)
        except BrokenProcessPool:
            # The pool does not say how its process ended.
            raise WorkerLost(
                f"a parsing process ended before its work was done ({ended(None)})"
            ) from None
