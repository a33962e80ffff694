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


class RateLimits:
    """Checks one request against its kind's limit, raising 429 with Retry-After when over.

    Example:
        >>> limits = RateLimits(chat="20/minute", api="300/minute")
        >>> limits.check("chat", shopper, request)
    """

    def __init__(self, chat: str, api: str, storage_url: str = "memory://") -> None:
        self._limits = {"chat": parse(chat), "api": parse(api)}
        self._window = strategies.MovingWindowRateLimiter(storage.storage_from_string(storage_url))

    def check(self, kind: str, shopper: Shopper | None, request: Request) -> None:
        limit = self._limits[kind]
        who = _who(shopper, request)
        if self._window.hit(limit, kind, who):
            return
        reset_at, _ = self._window.get_window_stats(limit, kind, who)
        wait = max(1, math.ceil(reset_at - time.time()))
        what = "messages" if kind == "chat" else "requests"
        raise HTTPException(
            429,
            f"too many {what}: at most {limit.amount} per {limit.GRANULARITY.name}; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _who(shopper: Shopper | None, request: Request) -> str:
    if shopper is not None and shopper.customer_id:
        return f"customer:{shopper.customer_id}"
    if shopper is not None and shopper.session_id:
        return f"session:{shopper.session_id}"
    return f"address:{request.client.host if request.client else 'unknown'}"
