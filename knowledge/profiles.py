"""Shopper profiles: what a shopper's behaviour and words say they want.

A profile is computed, not stored: from the shopper's events (views, searches, carts,
purchases, each weighted and decayed by age), their orders, and the preferences they
stated in chat ("I'm vegan", "it's for my daughter", "under $50"). Only the stated
preferences and the "cleared" mark are stored. Clearing a profile deletes the stated
preferences and makes everything the shopper did before that moment invisible to
personalisation; the store's own sales records (orders, events) are kept.
"""

from __future__ import annotations

import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from statistics import median
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import DateTime, String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from knowledge._fields import Fact, UtcDatetime
from knowledge._tables import Base
from knowledge.catalog import Product
from knowledge.database import StoreDatabase
from knowledge.events import Event
from knowledge.orders import Order

PreferenceKind = Literal["diet", "recipient", "budget", "likes", "avoids"]

# How much one event says about a shopper's interest in a product. A purchase is the
# strongest signal; an impression (the store showed it) says nothing about the shopper.
EVENT_WEIGHTS: dict[str, float] = {"view": 1.0, "click": 1.0, "add_to_cart": 3.0, "purchase": 5.0}
# An interest half as strong after this many days.
HALF_LIFE_DAYS = 30.0


class Preference(Fact):
    """Something the shopper told us about what they want, in their own words."""

    kind: PreferenceKind
    value: str
    said: str = Field(description="The message it was read from, so staff and the shopper can see why")
    ts: UtcDatetime


class PriceBand(BaseModel):
    """The prices of what the shopper looked at and bought: lowest, median, highest."""

    model_config = ConfigDict(frozen=True)

    low: float
    typical: float
    high: float


class ShopperProfile(BaseModel):
    """A shopper's interests, as of `as_of`.

    `interests` maps product ids to decayed interest weights (strongest first);
    `categories` and `brands` are affinities scaled so the strongest is 1.0.
    `purchased` lists products the shopper already bought (never recommended again).
    """

    model_config = ConfigDict(frozen=True)

    customer_id: str | None = None
    session_id: str | None = None
    as_of: datetime
    interests: dict[str, float] = Field(default_factory=dict)
    categories: dict[str, float] = Field(default_factory=dict)
    brands: dict[str, float] = Field(default_factory=dict)
    price_band: PriceBand | None = None
    purchased: list[str] = Field(default_factory=list)
    searches: list[str] = Field(default_factory=list, description="Recent searches, newest first")
    preferences: list[Preference] = Field(default_factory=list)
    event_count: int = 0
    cleared_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        """Nothing to personalise on: a new shopper, or one who cleared their profile."""
        return not (self.interests or self.searches or self.preferences)

    @property
    def budget(self) -> float | None:
        """The latest budget the shopper stated, if any."""
        budgets = [p for p in self.preferences if p.kind == "budget"]
        return float(max(budgets, key=lambda p: p.ts).value) if budgets else None

    def explain(self) -> list[str]:
        """Why the shopper sees what they see, one plain sentence per signal."""
        lines = []
        if self.categories:
            top = [name for name, _ in sorted(self.categories.items(), key=lambda kv: -kv[1])[:3]]
            lines.append(f"You have shown interest in {', '.join(top)}.")
        if self.brands:
            top = [name for name, _ in sorted(self.brands.items(), key=lambda kv: -kv[1])[:3]]
            lines.append(f"Brands you looked at most: {', '.join(top)}.")
        if self.price_band:
            lines.append(
                f"The products you looked at cost ${self.price_band.low:,.2f} to ${self.price_band.high:,.2f}."
            )
        if self.searches:
            lines.append(f"Your recent searches: {', '.join(repr(s) for s in self.searches[:3])}.")
        lines.extend(f'You told us: "{p.said}" ({p.kind}: {p.value}).' for p in self.preferences)
        if not lines:
            lines.append("We know nothing about your interests yet, so you see what is popular in the store.")
        return lines


def build_profile(
    events: Iterable[Event],
    orders: Iterable[Order],
    product: Callable[[str], Product | None],
    preferences: Sequence[Preference] = (),
    customer_id: str | None = None,
    session_id: str | None = None,
    now: datetime | None = None,
    cleared_at: datetime | None = None,
    half_life_days: float = HALF_LIFE_DAYS,
) -> ShopperProfile:
    """Compute a profile from a shopper's events, orders and stated preferences.

    Events and order lines before `cleared_at` don't shape interests; products bought
    at any time still count as `purchased`, so they are not recommended again.

    Example:
        >>> profile = build_profile(db.events(customer_id="7"), db.orders_for_customer("7"), catalog.product)
        >>> profile.categories
        {'laptops': 1.0, 'mobile-accessories': 0.4}
    """
    now = now or datetime.now(UTC)
    interests: Counter[str] = Counter()
    searches: list[tuple[datetime, str]] = []
    purchased: set[str] = set()
    seen_prices: list[float] = []
    count = 0

    def decay(when: datetime) -> float:
        age_days = max((now - when).total_seconds() / 86400, 0.0)
        return math.pow(0.5, age_days / half_life_days)

    for event in events:
        if event.kind == "purchase" and event.product_id:
            purchased.add(event.product_id)
        if cleared_at is not None and event.ts < cleared_at:
            continue
        count += 1
        if event.kind == "search" and event.query:
            searches.append((event.ts, event.query))
        elif event.product_id and event.kind in EVENT_WEIGHTS:
            interests[event.product_id] += EVENT_WEIGHTS[event.kind] * decay(event.ts)
    for order in orders:
        for item in order.items:
            purchased.add(item.product_id)
            if cleared_at is None or order.created_at >= cleared_at:
                interests[item.product_id] += EVENT_WEIGHTS["purchase"] * decay(order.created_at)

    categories: Counter[str] = Counter()
    brands: Counter[str] = Counter()
    for product_id, weight in interests.items():
        found = product(product_id)
        if found is None:
            continue
        if found.category:
            categories[found.category] += weight
        if found.brand:
            brands[found.brand] += weight
        seen_prices.append(found.price)

    kept_preferences = [p for p in preferences if cleared_at is None or p.ts >= cleared_at]
    return ShopperProfile(
        customer_id=customer_id,
        session_id=session_id,
        as_of=now,
        interests=dict(interests.most_common()),
        categories=_scaled(categories),
        brands=_scaled(brands),
        price_band=PriceBand(low=min(seen_prices), typical=median(seen_prices), high=max(seen_prices))
        if seen_prices
        else None,
        purchased=sorted(purchased),
        searches=[query for _, query in sorted(searches, key=lambda s: s[0], reverse=True)][:10],
        preferences=kept_preferences,
        event_count=count,
        cleared_at=cleared_at,
    )


def _scaled(weights: Counter[str]) -> dict[str, float]:
    top = max(weights.values(), default=0.0)
    # Affinities under 1% of the strongest are noise (long-decayed views), not interests.
    scaled = {key: round(value / top, 4) for key, value in weights.most_common()} if top > 0 else {}
    return {key: value for key, value in scaled.items() if value >= 0.01}


# --- storage: stated preferences and the "cleared" mark ------------------------------


class PreferenceRow(Base):
    __tablename__ = "preferences"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    shopper: Mapped[str] = mapped_column(String(160), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    said: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ProfileClearedRow(Base):
    __tablename__ = "profile_cleared"
    shopper: Mapped[str] = mapped_column(String(160), primary_key=True)
    cleared_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def shopper_key(customer_id: str | None, session_id: str | None) -> str:
    """One key per shopper: the customer when signed in, else the browser session."""
    if customer_id:
        return f"customer:{customer_id}"
    if session_id:
        return f"session:{session_id}"
    raise ValueError("a shopper is a customer_id or a session_id")


class ProfileStore:
    """Stated preferences and cleared marks in the database; profiles built on demand.

    Example:
        >>> profiles = ProfileStore(db)
        >>> profiles.remember("7", None, [Preference(kind="diet", value="vegan", said="I'm vegan", ts=now)])
        >>> profiles.profile("7", None, catalog.product).preferences[0].value
        'vegan'
    """

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db
        Base.metadata.create_all(db.engine, tables=[PreferenceRow.__table__, ProfileClearedRow.__table__])

    def remember(self, customer_id: str | None, session_id: str | None, preferences: Iterable[Preference]) -> int:
        """Store stated preferences; a preference already stated (same kind and value) is refreshed."""
        key = shopper_key(customer_id, session_id)
        stored = 0
        with self._db.sessions.begin() as session:
            for preference in preferences:
                session.execute(
                    delete(PreferenceRow).where(
                        PreferenceRow.shopper == key,
                        PreferenceRow.kind == preference.kind,
                        # A new budget replaces the old one; other kinds accumulate.
                        *([] if preference.kind == "budget" else [PreferenceRow.value == preference.value]),
                    )
                )
                session.add(PreferenceRow(id=uuid.uuid4().hex, shopper=key, **preference.model_dump()))
                stored += 1
        return stored

    def preferences(self, customer_id: str | None, session_id: str | None) -> list[Preference]:
        key = shopper_key(customer_id, session_id)
        with self._db.sessions() as session:
            rows = session.scalars(select(PreferenceRow).where(PreferenceRow.shopper == key).order_by(PreferenceRow.ts))
            return [Preference(kind=r.kind, value=r.value, said=r.said, ts=r.ts) for r in rows]  # type: ignore[arg-type]

    def cleared_at(self, customer_id: str | None, session_id: str | None) -> datetime | None:
        with self._db.sessions() as session:
            row = session.get(ProfileClearedRow, shopper_key(customer_id, session_id))
            return row.cleared_at.replace(tzinfo=row.cleared_at.tzinfo or UTC) if row else None

    def clear(self, customer_id: str | None, session_id: str | None, now: datetime | None = None) -> None:
        """Forget the shopper's stated preferences and stop using their past behaviour."""
        key = shopper_key(customer_id, session_id)
        now = now or datetime.now(UTC)
        with self._db.sessions.begin() as session:
            session.execute(delete(PreferenceRow).where(PreferenceRow.shopper == key))
            row = session.get(ProfileClearedRow, key)
            if row is None:
                session.add(ProfileClearedRow(shopper=key, cleared_at=now))
            else:
                row.cleared_at = now

    def profile(
        self,
        customer_id: str | None,
        session_id: str | None,
        product: Callable[[str], Product | None],
        now: datetime | None = None,
    ) -> ShopperProfile:
        """The shopper's profile now: their events (signed-in and anonymous), orders and words."""
        events: dict[str, Event] = {}
        if customer_id:
            events.update((e.id, e) for e in self._db.events(customer_id=customer_id))
        if session_id:
            events.update((e.id, e) for e in self._db.events(session_id=session_id))
        orders = self._db.orders_for_customer(customer_id) if customer_id else []
        return build_profile(
            sorted(events.values(), key=lambda e: e.ts),
            orders,
            product,
            preferences=self.preferences(customer_id, session_id),
            customer_id=customer_id,
            session_id=session_id,
            now=now,
            cleared_at=self.cleared_at(customer_id, session_id),
        )
