"""Errors raised by `agent`. Each knows the HTTP status `ui` maps it to."""


class AgentError(Exception):
    """Base of the errors below."""

    status_code = 500


class ModelUnavailableError(AgentError):
    """The dialogue model's weights can't be found or don't verify: an operator's fix."""

    status_code = 503


class ConversationNotFoundError(AgentError):
    """A conversation id that does not exist, or belongs to another shopper."""

    status_code = 404
