"""Errors raised by `knowledge`. Each knows the HTTP status `ui` maps it to."""


class KnowledgeError(Exception):
    """Base of the errors below."""

    status_code = 500


class StoreFolderError(KnowledgeError):
    """The store folder itself can't be read (missing, or ambiguous). Bad rows are not errors:
    they are reported in the load report while the good rows load."""

    status_code = 400


class NotFoundError(KnowledgeError):
    """A product, order or customer asked for by id does not exist."""

    status_code = 404
