"""Errors raised by `retrieval`. Each knows the HTTP status `ui` maps it to."""


class RetrievalError(Exception):
    """Base of the errors below."""

    status_code = 500


class ConfigurationError(RetrievalError):
    """A component was set up wrong (unknown embedder, missing package): an operator's fix."""

    status_code = 500


class IndexMismatchError(RetrievalError):
    """The index was built by a different embedder than the one configured."""

    status_code = 500


class IndexNotReadyError(RetrievalError):
    """Search was asked before the store was ingested."""

    status_code = 503
