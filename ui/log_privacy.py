"""Logs without personal data: every record's text passes through the PII redaction."""

from __future__ import annotations

import copy
import logging
from typing import Any

from agent import redact


class RedactingFilter(logging.Filter):
    """Replaces e-mails, card numbers, phone numbers and addresses in a record's message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(str(record.msg))
        # Uvicorn's access formatter reads the path from the args tuple, so the args are
        # redacted one by one rather than folded into the message.
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


def redacting_log_config(base: dict[str, Any]) -> dict[str, Any]:
    """`base` (a logging dictConfig, e.g. uvicorn's) with the filter on every handler."""
    config = copy.deepcopy(base)
    config.setdefault("filters", {})["redact_pii"] = {"()": RedactingFilter}
    for handler in config.get("handlers", {}).values():
        handler.setdefault("filters", []).append("redact_pii")
    return config
