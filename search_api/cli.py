"""The ``advosearch`` command: index, parse, search, serve, eval."""

from __future__ import annotations

import argparse
import errno
import json
import multiprocessing
import os
import re
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tqdm import tqdm

from indexer.errors import AdvosearchError, InvalidSettings
from indexer.settings import Settings, load_settings

if TYPE_CHECKING:
    from indexer.build import BuildSummary
    from indexer.formats import SkippedFile

# Exit codes, as the README lists them (under "Indexing on a schedule").
EXIT_OK = 0
EXIT_FAILED = 1  # nothing could be read, or the run could not be done (the index untouched)
EXIT_INVALID_SETTINGS = 2  # as argparse's for a wrong command line
EXIT_SOME_FILES_UNREAD = 3  # the run is done (and committed, if it changed anything)
EXIT_CANNOT_SERVE = 3  # serve: its port cannot be listened on, or its workers cannot start
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
EXIT_TERMINATED = 143  # 128 + SIGTERM


class Terminated(KeyboardInterrupt):
    """SIGTERM (a service manager stopping, ``kill``), raised where the command is as Ctrl-C
    raises ``KeyboardInterrupt``: the same clean-up runs (an indexer cancels its writers,
    removes their files and lets go of the index's lock), where SIGTERM's default would
    end the process on the spot."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except InvalidSettings as error:
        print(f"advosearch: invalid settings: {error}", file=sys.stderr)
        return EXIT_INVALID_SETTINGS
    # uvicorn shuts a server down on SIGTERM itself.
    ends_on_sigterm = nullcontext() if args.command == "serve" else _sigterm_as_interrupt()
    try:
        with ends_on_sigterm:
            return int(args.handler(args, settings) or EXIT_OK)
    except AdvosearchError as error:
        print(f"advosearch: {error}", file=sys.stderr)
        return EXIT_FAILED
    except Terminated:
        print("advosearch: terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("advosearch: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader of the output stopped early (`| head`): nothing is wrong to report.
        # Output still buffered would fail again at exit, so it goes nowhere instead.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Within: SIGTERM raises ``Terminated`` in this process."""
    own_pid = os.getpid()

    def terminate(signum: int, _frame: object) -> None:
        if os.getpid() != own_pid:
            # A worker forked from this process inherits the handler: it ends as SIGTERM
            # ends a process, and the indexer that started it cleans up after it.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        # Sent to this process alone (``kill PID``, ``timeout``), not to its group as a
        # service manager sends it: its workers are told too, or the clean-up waits for
        # them to finish what they hold (a minute, for a writer of a large export).
        for child in multiprocessing.active_children():
            with suppress(ProcessLookupError):
                os.kill(child.pid, signum)
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advosearch", description="Search engine for advocacy and human-rights archives."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    index_cmd = commands.add_parser("index", help="index files and folders (incremental)")
    index_cmd.add_argument("paths", nargs="+", type=Path, help="files or folders, any mix")
    _add_index_option(index_cmd)
    _add_parse_options(index_cmd)
    index_cmd.add_argument(
        "--quiet",
        action="store_true",
        help="for cron: print nothing when the run changed nothing and every file read; "
        "else only warnings, the files it could not read, and the summary of a change",
    )
    index_cmd.add_argument(
        "--allow-empty",
        action="store_true",
        help="let a folder that holds no article file any more remove the articles indexed "
        "from it (without it they are kept, as after a mount or an export that failed)",
    )
    index_cmd.add_argument(
        "--workers",
        type=_workers,
        default=None,
        help="processes that parse and write the index (default: 2, or 1 on one CPU)",
    )
    index_cmd.set_defaults(handler=_run_index)

    parse_cmd = commands.add_parser("parse", help="show articles as the indexer sees them")
    parse_cmd.add_argument("paths", nargs="+", type=Path)
    parse_cmd.add_argument("--json", action="store_true", help="one JSON object per article")
    _add_parse_options(parse_cmd)
    parse_cmd.set_defaults(handler=_run_parse)

    search_cmd = commands.add_parser("search", help="search from the command line")
    search_cmd.add_argument("query", help='the query, e.g. "journalists arrested"')
    _add_index_option(search_cmd)
    search_cmd.add_argument(
        "--limit", type=_articles_to_show, default=10, help="articles to show (1-100)"
    )
    search_cmd.add_argument("--page", type=int, default=1)
    search_cmd.add_argument(
        "--from",
        dest="date_from",
        help="earliest date: YYYY-MM-DD, or a month or a year from its first day",
    )
    search_cmd.add_argument(
        "--to", dest="date_to", help="latest date: YYYY-MM-DD, or a month or a year to its last day"
    )
    search_cmd.add_argument("--tag", action="append", default=[], help="repeatable")
    search_cmd.add_argument("--source")
    search_cmd.add_argument(
        "--lang", "--language", dest="language", help="only this language, query analysed in it"
    )
    search_cmd.add_argument("--sort", choices=["relevance", "date"], default="relevance")
    search_cmd.add_argument("--json", action="store_true", help="the same JSON as GET /search")
    search_cmd.set_defaults(handler=_run_search)

    serve_cmd = commands.add_parser("serve", help="serve the search API and page over HTTP")
    _add_index_option(serve_cmd)
    serve_cmd.add_argument("--host", default="127.0.0.1")
    serve_cmd.add_argument("--port", type=_port, default=8000)
    serve_cmd.add_argument(
        "--workers",
        type=_workers,
        default=min(2, os.cpu_count() or 1),
        help="processes answering requests (default: 2, or 1 on one CPU)",
    )
    serve_cmd.add_argument(
        "--root-path",
        type=_root_path,
        default="",
        help="the path a proxy serves the site under, e.g. /search (default: the site's root)",
    )
    serve_cmd.set_defaults(handler=_run_serve)

    eval_cmd = commands.add_parser(
        "eval", help="ranking quality on test collections, next to plain BM25 and SQLite FTS5"
    )
    eval_cmd.add_argument(
        "collections",
        nargs="+",
        type=Path,
        help="TIME or Cranfield folders, e.g. ../shared/relevance/time",
    )
    eval_cmd.add_argument("--json", action="store_true", help="the metrics as one JSON object")
    eval_cmd.set_defaults(handler=_run_eval)
    return parser


def _articles_to_show(text: str) -> int:
    value = _positive_int(text)
    if value > 100:
        raise argparse.ArgumentTypeError(f"at most 100 articles a page (got {value})")
    return value


def _positive_int(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {number}")
    return number


# More processes than this many a CPU only share the CPUs, each with its own memory: 200
# started 400 processes on two CPUs.
MAX_WORKERS_PER_CPU = 4


def _workers(text: str) -> int:
    number = _positive_int(text)
    cpus = os.cpu_count() or 1
    most = MAX_WORKERS_PER_CPU * cpus
    if number > most:
        raise argparse.ArgumentTypeError(
            f"at most {most} ({MAX_WORKERS_PER_CPU} for each of this machine's {cpus} CPUs), "
            f"not {number}"
        )
    return number


def _port(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number 0-65535, not {text!r}") from None
    if not 0 <= number <= 65535:
        raise argparse.ArgumentTypeError(f"must be 0-65535 (0: any free port), not {number}")
    return number


# Path segments of letters, digits and - . _ ~: what a proxy's location is written with.
# ASCII only: uvicorn writes the root path as ASCII before each request's path.
_ROOT_PATH_RE = re.compile(r"(?:/[A-Za-z0-9_.~-]+)*")


def _root_path(text: str) -> str:
    path = text.strip().rstrip("/")
    if not _ROOT_PATH_RE.fullmatch(path):
        raise argparse.ArgumentTypeError(f"must be a path such as /search, not {text!r}")
    return path


def _add_index_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--index", type=Path, default=None, help="index folder (default: ADVOSEARCH_INDEX_DIR)"
    )


def _add_parse_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--field",
        action=_FieldMappings,
        default=[],
        type=_field_mapping,
        metavar="TARGET=SOURCE",
        help="map a record field, e.g. --field body=nota_completa --field tags=pais",
    )
    command.add_argument(
        "--site-url",
        action="append",
        default=[],
        type=_site_url,
        metavar="[SOURCE=]URL",
        help="the address of the site the articles are on, which an article's address "
        "relative to it (/2016/06/08/254/) is read against; SOURCE=URL for one source's "
        "(default: ADVOSEARCH_SITE_URL)",
    )


class _FieldMappings(argparse.Action):
    """The ``--field`` mappings in turn, each field mapped once: of ``--field tags=country
    --field tags=pais``, only the last was read, and articles with the other went untagged
    without a word."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        mapping: Any,
        option_string: str | None = None,
    ) -> None:
        target, source = mapping
        earlier = dict(getattr(namespace, self.dest))
        if target in earlier:
            raise argparse.ArgumentError(
                self,
                f"{target} is mapped twice ({target}={earlier[target]} and {target}={source}): "
                "a field is read from one record field",
            )
        setattr(namespace, self.dest, [*earlier.items(), mapping])


def _site_url(text: str) -> tuple[str, str]:
    """One ``--site-url``: (source, address), source "" for every source."""
    from indexer.formats.fields import checked_site_url

    source, sep, url = text.partition("=")
    if not sep or re.match(r"https?://", text, re.IGNORECASE):
        source, url = "", text
    try:
        return source, checked_site_url(url)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _field_mapping(text: str) -> tuple[str, str]:
    """One ``--field``: a wrong one is a wrong command line, refused as argparse refuses."""
    from indexer.formats.records import MAPPABLE_FIELDS, checked_field_map

    target, sep, source = text.partition("=")
    try:
        if sep and source:
            [(target, source)] = checked_field_map({target: source}).items()
            return target, source
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(
        f"expects TARGET=SOURCE with TARGET one of {', '.join(MAPPABLE_FIELDS)}; got {text!r}"
    )


def _parse_options(args: argparse.Namespace, settings: Settings) -> Any:
    from indexer.build import ParseOptions

    field_map = {**settings.field_map, **dict(args.field)}
    site_urls = {"": settings.site_url} if settings.site_url else {}
    return ParseOptions(
        field_map=field_map,
        default_language=settings.default_language,
        max_article_file_bytes=int(settings.max_article_file_mb * 2**20),
        site_urls={**site_urls, **dict(args.site_url)},
    )


class BarProgress:
    """A progress bar on stderr, when it is a terminal: bytes of input done, articles
    written, rate and ETA. Elsewhere (a cron job's log or mail) its redrawing would be lines
    of carriage returns."""

    def __init__(self) -> None:
        self._bar: tqdm | None = None
        self._articles = 0

    def start(self, total_bytes: int) -> None:
        self._bar = tqdm(
            total=total_bytes,
            unit="B",
            unit_scale=True,
            file=sys.stderr,
            desc="indexing",
            disable=None,  # tqdm's "only on a terminal"
        )

    def advance(self, nbytes: int, articles: int) -> None:
        assert self._bar is not None
        self._articles += articles
        self._bar.update(nbytes)
        self._bar.set_postfix(articles=self._articles, refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()

    def committing(self) -> None:
        # Whoosh sorts and writes the postings at commit: say so, it can take a while.
        print("committing the new index version…", file=sys.stderr)


def _run_index(args: argparse.Namespace, settings: Settings) -> int:
    from indexer.build import build_index

    # Absolute, so the summary says where the index is: a cron job runs in $HOME, where
    # the default folder `index` is not where anyone looks for it.
    index_dir = (args.index or settings.index_dir).absolute()
    options = _parse_options(args, settings)

    summary = build_index(
        args.paths,
        index_dir,
        options,
        lock_timeout_s=settings.lock_timeout_s,
        workers=args.workers,
        progress=None if args.quiet else BarProgress(),
        allow_empty=args.allow_empty,
    )
    ignored = [item for item in summary.skipped if item.ignored]
    skipped = [item for item in summary.skipped if not item.ignored]
    unread = [item for item in skipped if not item.no_article]
    # --quiet is for cron, which mails whatever a run prints: a run that changed nothing
    # says only what needs someone's attention, which is nothing when all went well.
    whole_summary = not args.quiet or summary.committed or summary.nothing_read
    if whole_summary:
        _print_summary(summary, index_dir)
    for warning in summary.warnings:
        print(f"warning: {warning}")
    if unread:
        print(f"skipped {_counted(len(unread), 'file')}:")
        for item in unread:
            print(f"  {item.path}: {item.reason}")
    # Drafts and pages without text are no problem: quiet, for cron, which would mail the
    # same list every night the index changes, only those whose articles this run removed
    # (a page now a draft) are listed.
    held_back = [item for item in skipped if item.no_article]
    shown = [item for item in held_back if item.removed or not args.quiet]
    if shown:
        print(f"not indexed, {_counted(len(shown), 'file')} with no article for readers:")
        for item in shown:
            print(f"  {item.path}: {item.reason}")
    if len(held_back) > len(shown) and whole_summary:
        more = " more" if shown else ""
        print(
            f"not indexed, {_counted(len(held_back) - len(shown), 'file')}{more} with no "
            "article for readers (drafts, private posts, pages without text: listed without "
            "--quiet)"
        )
    if ignored and not args.quiet:
        print(
            f"ignored {_counted(len(ignored), 'file')} (not articles: README, LICENSE… "
            "beside them, images and other formats)"
        )
        for item in ignored:
            if item.table:  # perhaps an export whose text column has a name of its own
                print(f"  {item.path}: {item.reason}")
    if summary.nothing_read:
        return _nothing_read(args.paths, skipped)
    # A file read only in part is one not wholly read: a cron job checking the exit code
    # must hear of an export caught half-written.
    return EXIT_SOME_FILES_UNREAD if unread or summary.files_cut_short else EXIT_OK


def _print_summary(summary: BuildSummary, index_dir: Path) -> None:
    rate = summary.articles_added / summary.seconds if summary.seconds else 0.0
    section_rate = summary.sections_added / summary.seconds if summary.seconds else 0.0
    print(
        f"indexed {_counted(summary.articles_added, 'article')} "
        f"({_counted(summary.sections_added, 'section')}) "
        f"from {_counted(summary.files_parsed, 'file')} in {summary.seconds:.1f} s "
        f"({rate:.0f} articles/s, {section_rate:.0f} sections/s)"
    )
    if summary.no_index_created:
        state = f"no index was created in {index_dir}"
    else:
        before = summary.articles_before
        change = 0 if before is None else summary.total_articles - before
        state = (
            f"the index now holds {_counted(summary.total_articles, 'article')}"
            + (
                f" ({abs(change)} {'more' if change > 0 else 'fewer'} than before)"
                if change
                else ""
            )
            + f", {_counted(summary.total_sections, 'section')} (in {index_dir})"
        ) + ("" if summary.committed else "; nothing changed, no new version")
    print(
        f"unchanged files: {summary.files_unchanged}; removed files: {summary.files_removed}; "
        + state
    )


def _counted(count: int, noun: str) -> str:
    """``"1 article"``, ``"0 articles"``, ``"2 articles"``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _run_parse(args: argparse.Namespace, settings: Settings) -> int:
    from indexer.formats import SkippedFile, parse_paths
    from indexer.models import CutShort

    options = _parse_options(args, settings)
    skipped: list[SkippedFile] = []
    read_any = cut_short = False
    for result in parse_paths(
        args.paths,
        field_map=options.field_map,
        default_language=options.default_language,
        max_article_file_bytes=options.max_article_file_bytes,
    ):
        if isinstance(result, SkippedFile):
            if not result.ignored:
                skipped.append(result)
            continue
        read_any = True
        for article in map(options.linked, result.articles):
            if args.json:
                print(json.dumps(article.to_json(), ensure_ascii=False))
            else:
                headings = [s.heading or "(intro)" for s in article.sections]
                print(f"{article.id}\t{article.title}\t{article.date or '-'}\t{headings}")
        for warning in result.warnings:
            print(f"warning: {result.path}: {warning}", file=sys.stderr)
            cut_short |= isinstance(warning, CutShort)
    for item in skipped:
        print(f"skipped: {item.path}: {item.reason}", file=sys.stderr)
    if not read_any:
        return _nothing_read(args.paths, skipped)
    unread = any(not item.no_article for item in skipped)
    # As for index: a file read only in part is one not wholly read.
    return EXIT_SOME_FILES_UNREAD if unread or cut_short else EXIT_OK


def _nothing_read(paths: Sequence[Path], skipped: Sequence[SkippedFile]) -> int:
    """Say why a run read nothing: no article file at all, or every one skipped."""
    from indexer.formats import SUPPORTED_SUFFIXES

    if skipped and all(item.no_article for item in skipped):
        # Read, and holding nothing for readers: done, as the exit codes say of a draft.
        print(
            f"advosearch: no article for readers in the {_counted(len(skipped), 'file')} read "
            "(drafts, private posts, pages without text: listed above)",
            file=sys.stderr,
        )
        return EXIT_OK
    if skipped:
        why = f" ({len(skipped)} skipped, reasons above)"
    else:
        formats = ", ".join(sorted({suffix.removesuffix(".gz") for suffix in SUPPORTED_SUFFIXES}))
        where = ", ".join(str(path) for path in paths)
        why = f": no readable files found in {where} (article formats: {formats}, or gzipped)"
    print(f"advosearch: nothing could be read{why}", file=sys.stderr)
    return EXIT_FAILED


def _run_search(args: argparse.Namespace, settings: Settings) -> int:
    from indexer.build import damaged_index, is_index_damage
    from search_api.articles import article_link
    from search_api.engine import Engine
    from search_api.models import SearchResponse
    from search_api.research import with_next_cursor
    from search_api.search import build_search_request, search
    from search_api.snippets import plain_snippet

    request = build_search_request(
        q=args.query,
        page=args.page,
        page_size=args.limit,
        date_from=args.date_from,
        date_to=args.date_to,
        tags=args.tag,
        source=args.source,
        language=args.language,
        sort=args.sort,
        group_translations=True,
        group_versions=True,
    )
    index_dir = args.index or settings.index_dir
    _require_index(index_dir)
    with Engine(index_dir) as engine, engine.snapshot() as snapshot:
        try:
            response = search(snapshot, request, settings.search_time_budget_s)
        except Exception as error:
            if not is_index_damage(error):
                raise
            raise damaged_index(index_dir, error) from error
        response = with_next_cursor(snapshot, request, response)
    if args.json:
        # Through the API's response model, so the document is exactly GET /search's.
        document = SearchResponse.model_validate(response).model_dump(mode="json")
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{response['total']} articles for {response['parsed_query'] or '(everything)'}")
    for note in response["notes"]:
        print(f"note: {note}")
    if response["suggestion"]:
        print(f"did you mean: {response['suggestion']}")
    offset = (response["page"] - 1) * response["page_size"]
    for rank, hit in enumerate(response["results"], start=offset + 1):
        print(f"\n{rank}. {hit['title']}  [{hit['date'] or 'undated'} · {hit['source']}]")
        print(f"   {article_link(hit)}")
        for section in hit["sections"]:
            heading = section["heading"] or "(intro)"
            # For a terminal: marks as [brackets].
            print(f"   § {heading}: {plain_snippet(section['snippet'], ('[', ']'))}")
        if hit["versions"]:
            dated = [version["date"] or version["id"] for version in hit["versions"]]
            print(f"   other versions: {', '.join(dated)}")
    return EXIT_OK


def _run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from search_api.evaluation.run import as_json, as_table, evaluate_folders

    try:
        results = evaluate_folders(args.collections)
    except (OSError, ValueError) as error:
        print(f"advosearch: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(as_json(results), indent=2) if args.json else as_table(results))
    return EXIT_OK


def _require_index(index_dir: Path) -> None:
    """Fail now, saying why, when no version of the index can be opened, its segments'
    files included (one cut short): a server would start and answer every request 503, and
    a search say only that it cannot search."""
    from whoosh.index import FileIndex

    from indexer.build import index_unavailable
    from search_api.index_files import pin_latest

    files = pin_latest(index_dir)
    try:
        FileIndex(files).searcher().close()
    except Exception as error:  # Whoosh's parsing fails in many ways; all mean this
        raise index_unavailable(index_dir, error) from error
    finally:
        files.close()


def _run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from search_api.server import listening_socket, serve

    index_dir = args.index or settings.index_dir
    _require_index(index_dir)
    try:
        listener = listening_socket(args.host, args.port)
    except OSError as error:
        reason = _LISTEN_ERRORS.get(error.errno or 0, error.strerror or str(error))
        print(f"advosearch: cannot listen on {args.host}:{args.port}: {reason}", file=sys.stderr)
        return EXIT_CANNOT_SERVE
    host, port = listener.getsockname()[:2]
    address = f"[{host}]" if ":" in host else host
    # uvicorn names the address only when it binds it itself.
    print(
        f"advosearch: serving http://{address}:{port} once the index is loaded (Ctrl-C to stop)"
        + (f", its links under {args.root_path}/ as the proxy serves it" if args.root_path else ""),
        file=sys.stderr,
    )
    os.environ["ADVOSEARCH_INDEX_DIR"] = str(index_dir)
    serve(listener, args.workers, access_log=settings.log_requests, root_path=args.root_path)
    return EXIT_OK


_LISTEN_ERRORS = {
    errno.EADDRINUSE: "another program listens there (choose another port with --port)",
    errno.EACCES: "the port is not this user's to take (ports below 1024 need privileges; "
    "choose another with --port, or put a proxy in front)",
    errno.EADDRNOTAVAIL: "no network interface of this machine has that address (--host)",
}
