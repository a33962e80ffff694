"""Promo copy variants and how each one did: impressions, clicks and purchases.

A `PromoVariant` is one piece of copy (a chat banner, an e-mail subject and body, a
product-page blurb) for one product or a small set. Staff keep it `live` while it runs
in an A/B test, `paused` to stop showing it for a while, `retired` when it is done.

Results come from the event log, never from counters kept beside it: every shopper
action already arrives through `/api/events`, so one record serves profiles,
recommendations and promo results alike, and any server process can read them.

Attribution (how an event counts for a variant):
- an impression or a click counts when the event carries the variant's `promo_id`;
- a purchase counts when it carries the `promo_id`, or, without one, when the same
  shopper (customer or session) clicked the variant within `ATTRIBUTION_WINDOW` before
  buying one of the variant's products. The last click wins, so one purchase never
  counts for two variants. Shops whose checkout can't pass the promo id along still get
  conversions this way.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from pydantic import Field, model_validator
from sqlalchemy import JSON, DateTime, String, delete, or_, select
from sqlalchemy.orm import Mapped, mapped_column

from knowledge._fields import Fact, Id, Text, UtcDatetime
from knowledge._tables import Base, EventRow
from knowledge.database import StoreDatabase
from knowledge.errors import NotFoundError
from knowledge.events import Event

PromoChannel = Literal["chat_banner", "email", "product_page"]
PromoStatus = Literal["live", "paused", "retired"]
PROMO_CHANNELS: tuple[str, ...] = get_args(PromoChannel)
PROMO_STATUSES: tuple[str, ...] = get_args(PromoStatus)

# A week is the usual e-commerce click-through attribution window: long enough for a
# shopper to come back and buy, short enough that a purchase still owes something to the copy.
ATTRIBUTION_WINDOW = timedelta(days=7)
# A click belongs to an impression shown at most this long before it (the same visit).
CLICK_WINDOW = timedelta(days=1)


def _now() -> datetime:
    return datetime.now(UTC)


class PromoVariant(Fact):
    """One piece of promo copy for one product or a small set, in one channel.

    `headline` is the e-mail subject or the banner line; `body` the rest (may be empty
    for a chat banner). `audience` is a customer id, a segment name, or None for
    everyone. `angle` says what the copy leads with ("value", "benefit", "personal",
    "trust"), which the effect predictor uses. Without an `id`, one is derived from the
    content, so saving the same copy twice stores it once.

    Example:
        >>> PromoVariant(product_ids=["107"], channel="chat_banner", headline="Beats Flex, now $47.13").status
        'live'
    """

    id: str = ""
    product_ids: list[Id] = Field(min_length=1, max_length=10)
    channel: PromoChannel
    audience: str | None = Field(default=None, max_length=160)
    headline: Text = Field(min_length=1, max_length=300)
    body: Text = Field(default="", max_length=2000)
    angle: str | None = Field(default=None, max_length=32)
    language: str = Field(default="en", max_length=8)
    status: PromoStatus = "live"
    created_at: UtcDatetime = Field(default_factory=_now)
    predicted_ctr: float | None = Field(default=None, ge=0, le=1)
    predicted_cvr: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _derive_id(self) -> PromoVariant:
        if not self.id:
            key = "|".join([",".join(self.product_ids), self.channel, self.audience or "", self.headline, self.body])
            object.__setattr__(self, "id", "promo-" + hashlib.sha256(key.encode()).hexdigest()[:16])
        return self


@dataclass(frozen=True)
class VariantStats:
    """What one variant did: impressions, clicks and attributed purchases.

    `ctr` is clicks per impression and `cvr` purchases per click (post-click conversion),
    each capped at 1 (a shopper may click twice on one impression).
    """

    promo_id: str
    impressions: int = 0
    clicks: int = 0
    purchases: int = 0

    @property
    def ctr(self) -> float:
        return min(self.clicks / self.impressions, 1.0) if self.impressions else 0.0

    @property
    def cvr(self) -> float:
        return min(self.purchases / self.clicks, 1.0) if self.clicks else 0.0


@dataclass(frozen=True)
class Exposure:
    """One impression of a variant and what followed it: a training row for effect prediction."""

    promo_id: str
    product_id: str
    customer_id: str | None
    session_id: str | None
    ts: datetime
    clicked: bool
    purchased: bool


class PromoRow(Base):
    __tablename__ = "promo_variants"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel: Mapped[str] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    audience: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    data: Mapped[dict] = mapped_column(JSON)


class PromoProductRow(Base):
    """Which products a variant promotes: lets "variants of product X" be one indexed query."""

    __tablename__ = "promo_products"
    promo_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    product_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


def _shopper_keys(customer_id: str | None, session_id: str | None) -> list[str]:
    # A shopper who signs in mid-visit keeps their session id on later events, so a
    # purchase is matched to a click on either identity.
    return [key for key in (f"c:{customer_id}" if customer_id else "", f"s:{session_id}" if session_id else "") if key]


class PromoStore:
    """Promo variants in the database, and their results from the event log.

    Example:
        >>> promos = PromoStore(db)
        >>> variant = promos.save(PromoVariant(product_ids=["107"], channel="email", headline="Beats Flex"))
        >>> [v.id for v in promos.list(product_id="107", status="live")] == [variant.id]
        True
        >>> promos.stats([variant.id])[variant.id].impressions
        0
    """

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db
        Base.metadata.create_all(db.engine, tables=[PromoRow.__table__, PromoProductRow.__table__])

    # --- variants -----------------------------------------------------------------------

    def save(self, variant: PromoVariant) -> PromoVariant:
        """Store a variant; saving one with the same id replaces it (its status included)."""
        with self._db.sessions.begin() as session:
            session.execute(delete(PromoProductRow).where(PromoProductRow.promo_id == variant.id))
            row = session.get(PromoRow, variant.id)
            values = {
                "channel": variant.channel,
                "status": variant.status,
                "audience": variant.audience,
                "created_at": variant.created_at,
                "data": variant.model_dump(mode="json"),
            }
            if row is None:
                session.add(PromoRow(id=variant.id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            session.add_all(
                PromoProductRow(promo_id=variant.id, product_id=p) for p in dict.fromkeys(variant.product_ids)
            )
        return variant

    def get(self, promo_id: str) -> PromoVariant | None:
        with self._db.sessions() as session:
            row = session.get(PromoRow, promo_id)
            return PromoVariant.model_validate(row.data) if row else None

    def list(
        self,
        product_id: str | None = None,
        channel: PromoChannel | None = None,
        status: PromoStatus | None = None,
        audience: str | None = None,
    ) -> list[PromoVariant]:
        """Variants oldest first, filtered by any of: a product they promote, channel, status, audience."""
        query = select(PromoRow.data).order_by(PromoRow.created_at, PromoRow.id)
        if product_id is not None:
            query = query.join(PromoProductRow, PromoProductRow.promo_id == PromoRow.id).where(
                PromoProductRow.product_id == product_id
            )
        if channel is not None:
            query = query.where(PromoRow.channel == channel)
        if status is not None:
            query = query.where(PromoRow.status == status)
        if audience is not None:
            query = query.where(PromoRow.audience == audience)
        with self._db.sessions() as session:
            return [PromoVariant.model_validate(data) for data in session.scalars(query)]

    def set_status(self, promo_id: str, status: PromoStatus) -> PromoVariant:
        """Start, pause or retire a variant. Raises NotFoundError for an unknown id."""
        if status not in PROMO_STATUSES:
            raise ValueError(f"unknown status {status!r}; choose one of: {', '.join(PROMO_STATUSES)}")
        variant = self.get(promo_id)
        if variant is None:
            raise NotFoundError(f"no promo variant {promo_id!r}; list the product's variants to find ids")
        return self.save(variant.model_copy(update={"status": status}))

    def record(
        self,
        kind: Literal["impression", "click", "purchase"],
        variant: PromoVariant,
        customer_id: str | None = None,
        session_id: str | None = None,
        product_id: str | None = None,
        ts: datetime | None = None,
    ) -> Event:
        """Log that a shopper saw, clicked or bought through a variant (what `/api/events` stores too)."""
        event = Event(
            kind=kind,
            ts=ts or _now(),
            customer_id=customer_id,
            session_id=session_id,
            product_id=product_id or variant.product_ids[0],
            placement="promo",
            promo_id=variant.id,
        )
        self._db.add_events([event])
        return event

    # --- results ------------------------------------------------------------------------

    def _products_of(self, promo_ids: Sequence[str] | None) -> dict[str, set[str]]:
        """The products each variant promotes (every stored variant's when `promo_ids` is None)."""
        query = select(PromoProductRow.promo_id, PromoProductRow.product_id)
        if promo_ids is not None:
            query = query.where(PromoProductRow.promo_id.in_(list(promo_ids)))
        products: dict[str, set[str]] = defaultdict(set)
        with self._db.sessions() as session:
            for promo_id, product_id in session.execute(query):
                products[promo_id].add(product_id)
        return products

    def _events(self, promo_ids: Sequence[str] | None, products: set[str], since: datetime | None) -> list[Event]:
        """Events that carry one of the promo ids, plus the purchases of their products, oldest first."""
        tagged = EventRow.promo_id.in_(list(promo_ids)) if promo_ids is not None else EventRow.promo_id.is_not(None)
        bought = (EventRow.kind == "purchase") & EventRow.product_id.in_(sorted(products))
        query = select(EventRow).where(or_(tagged, bought)).order_by(EventRow.ts, EventRow.id)
        if since is not None:
            query = query.where(EventRow.ts >= since)
        columns = EventRow.__table__.columns.keys()
        with self._db.sessions() as session:
            return [Event.model_validate({c: getattr(row, c) for c in columns}) for row in session.scalars(query)]

    def _log(self, promo_ids: Sequence[str] | None, since: datetime | None) -> tuple[list[Event], list[_Credit]]:
        """The variants' events and the purchases credited to them (see the module doc)."""
        products = self._products_of(promo_ids)
        events = self._events(promo_ids, set().union(*products.values()), since)
        wanted = set(promo_ids) if promo_ids is not None else None
        last_click: dict[tuple[str, str], tuple[datetime, str]] = {}  # (shopper key, product) -> (ts, promo)
        credited: list[_Credit] = []
        for event in events:  # oldest first, so the last click seen is the latest
            keys = _shopper_keys(event.customer_id, event.session_id)
            if event.kind == "click" and event.promo_id:
                for key in keys:
                    for product_id in products.get(event.promo_id, ()):
                        last_click[key, product_id] = (event.ts, event.promo_id)
            elif event.kind == "purchase":
                promo_id = event.promo_id
                if promo_id is None:
                    clicks = [last_click[k, event.product_id] for k in keys if (k, event.product_id) in last_click]
                    recent = [c for c in clicks if event.ts - c[0] <= ATTRIBUTION_WINDOW]
                    promo_id = max(recent)[1] if recent else None
                if promo_id is not None and (wanted is None or promo_id in wanted):
                    credited.append(_Credit(event, promo_id))
        return events, credited

    def stats(self, promo_ids: Sequence[str] | None = None, since: datetime | None = None) -> dict[str, VariantStats]:
        """Impressions, clicks and attributed purchases per variant; every asked-for id is present.

        Example:
            >>> promos.stats(["promo-1a2b"])["promo-1a2b"]
            VariantStats(promo_id='promo-1a2b', impressions=120, clicks=9, purchases=2)
        """
        events, credited = self._log(promo_ids, since)
        counts: dict[str, Counter[str]] = {promo_id: Counter() for promo_id in promo_ids or ()}
        for event in events:
            if (
                event.promo_id
                and event.kind in {"impression", "click"}
                and (promo_ids is None or event.promo_id in counts)
            ):
                counts.setdefault(event.promo_id, Counter())[event.kind] += 1
        for credit in credited:
            counts.setdefault(credit.promo_id, Counter())["purchase"] += 1
        return {
            promo_id: VariantStats(promo_id, c["impression"], c["click"], c["purchase"])
            for promo_id, c in counts.items()
        }

    def exposures(self, promo_ids: Sequence[str] | None = None, since: datetime | None = None) -> list[Exposure]:
        """Every impression, with whether the shopper clicked it and bought after that click.

        A click belongs to the latest impression of the same variant the shopper saw within
        CLICK_WINDOW before it; a credited purchase to the latest such click before it. These
        are the rows an effect predictor learns from.
        """
        events, credited = self._log(promo_ids, since)
        rows: list[_Row] = []
        unclicked: dict[tuple[str, str], _Row] = {}  # (shopper key, promo) -> latest impression
        clicked: dict[tuple[str, str], list[_Row]] = defaultdict(list)
        for event in events:
            if event.promo_id is None or event.kind not in {"impression", "click"}:
                continue
            if promo_ids is not None and event.promo_id not in promo_ids:
                continue
            keys = [(key, event.promo_id) for key in _shopper_keys(event.customer_id, event.session_id)]
            if event.kind == "impression":
                row = _Row(event)
                rows.append(row)
                unclicked.update((key, row) for key in keys)
                continue
            row = next((unclicked[key] for key in keys if key in unclicked), None)
            if row is not None and event.ts - row.event.ts <= CLICK_WINDOW:
                row.clicked_at = event.ts
                for key in keys:
                    unclicked.pop(key, None)
                    clicked[key].append(row)
        for credit in credited:
            keys = [(key, credit.promo_id) for key in _shopper_keys(credit.event.customer_id, credit.event.session_id)]
            before = [
                r for key in keys for r in clicked.get(key, []) if r.clicked_at and r.clicked_at <= credit.event.ts
            ]
            if before:
                max(before, key=lambda r: r.clicked_at or r.event.ts).purchased = True
        return [
            Exposure(
                promo_id=row.event.promo_id or "",
                product_id=row.event.product_id or "",
                customer_id=row.event.customer_id,
                session_id=row.event.session_id,
                ts=row.event.ts,
                clicked=row.clicked_at is not None,
                purchased=row.purchased,
            )
            for row in rows
        ]


@dataclass(frozen=True)
class _Credit:
    event: Event
    promo_id: str


@dataclass
class _Row:
    event: Event
    clicked_at: datetime | None = None
    purchased: bool = False
