"""Domain errors. The HTTP layer maps each to a status code in one place."""


class AdvosearchError(Exception):
    """Base class: a problem a person can understand and act on."""

    code = "error"


class InvalidSettings(AdvosearchError):
    """An ``ADVOSEARCH_*`` variable has a value that cannot be used, or names no setting."""

    code = "invalid_settings"


class UnreadableFile(AdvosearchError):
    """A file could not be read or parsed; the run skips it and reports why."""

    code = "unreadable_file"


class NotArticles(UnreadableFile):
    """A table whose columns name no text (a CSV of figures kept beside the articles): found
    in a folder, it is one of the files of other formats there, counted; named on the
    command line, it was meant to be read, and is reported."""


class ExportMetadata(NotArticles):
    """A table an export keeps beside its articles to describe them (a Substack export's
    posts.csv, its posts' email statistics): in a folder, counted with the files of other
    formats and not named, as it is no table whose text column needs mapping."""


class NoArticle(UnreadableFile):
    """A file that was read holds no article: a draft, a page without text, a WordPress
    export with nothing published. What was indexed from it before is removed, where a file
    that cannot be read keeps it (a CMS export caught half-written, or read without the
    field mapping it needs, must not empty the archive)."""


class IndexUnavailable(AdvosearchError):
    """No version of the index can be opened: its folder or files cannot be read (written by
    another user with a umask that keeps them from others), or it is away for a moment (a
    restore, a rebuild). A server keeps answering from the version it has open, if any."""

    code = "index_unavailable"


class IndexDamaged(IndexUnavailable):
    """The index's files cannot be decoded: damaged on disk (overwritten, cut short). A
    server does not start on such a version; one damaged after it was opened answers 503
    to what reads it until the index is built again or restored."""


class IndexNotFound(IndexUnavailable):
    """The folder holds no index a run has committed (none yet, or not any more)."""

    code = "index_not_found"


class IndexLocked(AdvosearchError):
    """Another indexer holds the index's write lock longer than we may wait."""

    code = "index_locked"


class WorkerLost(AdvosearchError):
    """A process of the indexer's ended before its work was done (killed: by the system for
    want of memory, or by a person); the run committed nothing, the index is as it was."""

    code = "worker_lost"


class IndexWriteFailed(AdvosearchError):
    """The index folder cannot be written (full disk, read-only, permissions); the previous
    version stays intact and keeps serving."""

    code = "index_write_failed"


class IndexOutdated(AdvosearchError):
    """The index was written by a version of advosearch that analysed text differently;
    it must be re-indexed from its files before it can take new articles."""

    code = "index_outdated"


class ArticleNotFound(AdvosearchError):
    code = "not_found"


class AdminDisabled(AdvosearchError):
    """A call to the ingest API while it is off (no admin token set): answered as a page
    that does not exist."""

    code = "not_found"


class InvalidRequest(AdvosearchError):
    code = "invalid_request"


class InvalidParameter(AdvosearchError):
    """A parameter or body that cannot be read as declared, checked by the endpoint itself
    where it can say more than the framework would (which article of a list)."""

    code = "invalid_parameter"


class UnsupportedMediaType(AdvosearchError):
    """A request body not sent as JSON (a form, plain text, or no Content-Type)."""

    code = "unsupported_media_type"


class IndexChanged(AdvosearchError):
    """A cursor was issued by another index version: its positions no longer hold."""

    code = "index_changed"


class NotAuthorized(AdvosearchError):
    """A protected call without a valid token."""

    code = "unauthorized"


class ServerBusy(AdvosearchError):
    """The search threads stayed busy for as long as one search may take: a request that
    waited longer would only lengthen the queue behind it."""

    code = "busy"
