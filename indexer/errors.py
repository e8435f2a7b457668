"""Domain errors. The HTTP layer maps each to a status code in one place."""


class AdvosearchError(Exception):
    """Base class: a problem a person can understand and act on."""

    code = "error"


class UnreadableFile(AdvosearchError):
    """A file could not be read or parsed; the run skips it and reports why."""

    code = "unreadable_file"


class IndexNotFound(AdvosearchError):
    code = "index_not_found"


class IndexLocked(AdvosearchError):
    code = "index_locked"


class ArticleNotFound(AdvosearchError):
    code = "not_found"


class InvalidRequest(AdvosearchError):
    code = "invalid_request"
