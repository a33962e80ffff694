"""Rate limits per shopper, so one client can't flood the assistant or the API.

A moving window per shopper (their customer id or browser session) or, for requests
without one, per client address. Counters live in process memory by default; several
servers behind a load balancer share them through a store URL (AISLE_RATE_LIMIT_STORAGE).
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request
from limits import parse, storage, strategies

from agent import Shopper


class RateLimitedError(Exception):
    """Over the limit: the message says the limit in words, `retry_after` in seconds."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RateLimits:
    """Counts one request against its kind's limit: the HTTP API answers 429 with Retry-After
    when over, the Gradio chat shows the same sentence.

    Example:
        >>> limits = RateLimits(chat="20/minute", api="300/minute")
        >>> limits.check("chat", shopper, request)
    """

    def __init__(self, chat: str, api: str, storage_url: str = "memory://") -> None:
        self._limits = {"chat": parse(chat), "api": parse(api)}
        self._window = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_url))

    def count(self, kind: str, shopper: Shopper | None, address: str | None) -> None:
        """Count a request by `shopper` (or, without one, from `address`).

        Raises:
            RateLimitedError: over the limit.
        """
        limit = self._limits[kind]
        who = _who(shopper, address)
        if self._window.hit(limit, kind, who):
            return
        reset_at, _ = self._window.get_window_stats(limit, kind, who)
        wait = max(1, math.ceil(reset_at - time.time()))
        what = "messages" if kind == "chat" else "requests"
        raise RateLimitedError(
            f"too many {what}: at most {limit.amount} per {limit.GRANULARITY.name}; try again in {wait} s", wait
        )

    def check(self, kind: str, shopper: Shopper | None, request: Request) -> None:
        """`count` for an HTTP request: 429 with Retry-After when over."""
        try:
            self.count(kind, shopper, request.client.host if request.client else None)
        except RateLimitedError as exc:
            raise HTTPException(429, str(exc), headers={"Retry-After": str(exc.retry_after)}) from exc


def _who(shopper: Shopper | None, address: str | None) -> str:
    if shopper is not None and shopper.customer_id:
        return f"customer:{shopper.customer_id}"
    if shopper is not None and shopper.session_id:
        return f"session:{shopper.session_id}"
    return f"address:{address or 'unknown'}"
