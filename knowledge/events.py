"""Shopper behaviour: what they viewed, searched, put in the cart and bought."""

from __future__ import annotations

import hashlib
from typing import Literal, get_args

from pydantic import Field, model_validator

from knowledge._fields import Fact, Text, UtcDatetime

# `impression` and `click` measure what the store showed (a recommendation, a promo
# variant) and what the shopper opened; the others are the shopper's own actions.
EventKind = Literal["view", "search", "add_to_cart", "purchase", "impression", "click"]
Placement = Literal["recommendation", "promo", "chat", "search"]
EVENT_KINDS: tuple[str, ...] = get_args(EventKind)


class Event(Fact):
    """One thing a shopper did, at a time.

    A shopper is a `customer_id` (signed in) or a `session_id` (anonymous). `search`
    events carry the `query`; the others carry the `product_id`. Without an `id`, one is
    derived from the content, so loading the same events twice stores them once.
    """

    id: str = ""
    kind: EventKind
    ts: UtcDatetime
    customer_id: str | None = None
    session_id: str | None = None
    product_id: str | None = None
    variant_id: str | None = None
    query: Text | None = None
    quantity: int = Field(default=1, ge=1)
    placement: Placement | None = None
    promo_id: str | None = Field(default=None, max_length=128)

    @model_validator(mode="after")
    def _check(self) -> Event:
        if not (self.customer_id or self.session_id):
            raise ValueError("an event needs a customer_id or a session_id")
        if self.kind == "search" and not self.query:
            raise ValueError("a search event needs the query")
        if self.kind != "search" and not self.product_id:
            raise ValueError(f"a {self.kind} event needs the product_id")
        if not self.id:
            parts = [
                self.kind,
                self.ts.isoformat(),
                self.customer_id,
                self.session_id,
                self.product_id,
                self.variant_id,
                self.query,
                self.quantity,
            ]
            # Appended only when set, so events without them keep the ids they always had.
            if self.placement or self.promo_id:
                parts += [self.placement, self.promo_id]
            key = "|".join(str(part or "") for part in parts)
            object.__setattr__(self, "id", hashlib.sha256(key.encode()).hexdigest()[:32])
        return self
