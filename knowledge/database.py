"""The store's facts in a SQL database, through SQLAlchemy.

SQLite in the data folder by default; any SQLAlchemy URL (PostgreSQL past one box) by
setting. Writes are *syncs*: a row whose content hash is unchanged is not rewritten, so
re-ingesting an unchanged store changes nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import create_engine, delete, event, func, inspect, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from knowledge._tables import (
    Base,
    CustomerRow,
    EventRow,
    MetaRow,
    OrderRow,
    PolicyPassageRow,
    ProductRow,
)
from knowledge.catalog import Product
from knowledge.customers import Customer
from knowledge.events import Event
from knowledge.orders import Order
from knowledge.policies import Policy, PolicyPassage

Row = TypeVar("Row", ProductRow, PolicyPassageRow, CustomerRow, OrderRow)

_CATALOG_VERSION = "catalog_version"


@dataclass(frozen=True)
class SyncCounts:
    """How many rows a sync added, rewrote, left alone and removed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def content_hash(model: BaseModel) -> str:
    """A stable fingerprint of a fact: equal content gives an equal hash."""
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the server read while an ingest writes; a busy timeout makes a second
    # process wait for the lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _add_missing_columns(engine: Engine) -> None:
    """Add columns that a newer Aisle declares to tables an older one created.

    `create_all` makes missing tables but never alters existing ones. Every column added
    since the first release is nullable, so adding it is the whole upgrade; a change that
    needs more (a type change, a backfill) would need a real migration tool.
    """
    inspector = inspect(engine)
    with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            if not inspector.has_table(table.name):
                continue
            present = {column["name"] for column in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present and column.nullable:
                    kind = column.type.compile(dialect=engine.dialect)
                    connection.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


class StoreDatabase:
    """Typed reads and idempotent writes of the store's facts.

    Example:
        >>> db = StoreDatabase("sqlite://")                     # in memory
        >>> db.sync_products([Product(id="1", title="Mug", price=8)]).added
        1
        >>> db.product("1").title
        'Mug'
    """

    def __init__(self, url: str) -> None:
        self.url = url
        engine_args: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            engine_args["connect_args"] = {"check_same_thread": False, "timeout": 10}
        self.engine: Engine = create_engine(url, **engine_args)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        Base.metadata.create_all(self.engine)
        _add_missing_columns(self.engine)
        # Public so that other stores of facts (conversations) share the engine and its pool.
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def close(self) -> None:
        self.engine.dispose()

    # --- writes -------------------------------------------------------------------------

    def sync_products(self, products: Sequence[Product], prune: bool = False) -> SyncCounts:
        """Write the catalog. With `prune`, products absent from `products` are removed."""
        rows = [
            ProductRow(
                id=p.id,
                title=p.title,
                category=p.category,
                brand=p.brand,
                price=p.price,
                in_stock=p.in_stock,
                content_hash=content_hash(p),
                data=p.model_dump(mode="json"),
            )
            for p in products
        ]
        return self._sync(ProductRow, rows, prune, catalog=True)

    def sync_policies(self, policies: Sequence[Policy], prune: bool = False) -> SyncCounts:
        """Write policy passages. With `prune`, passages absent from `policies` are removed."""
        rows = [
            PolicyPassageRow(
                id=passage.id,
                policy_id=policy.id,
                position=position,
                content_hash=content_hash(passage),
                data=passage.model_dump(mode="json"),
            )
            for policy in policies
            for position, passage in enumerate(policy.passages)
        ]
        return self._sync(PolicyPassageRow, rows, prune, catalog=True)

    def upsert_customers(self, customers: Sequence[Customer]) -> SyncCounts:
        rows = [
            CustomerRow(id=c.id, email=c.email, content_hash=content_hash(c), data=c.model_dump(mode="json"))
            for c in customers
        ]
        return self._sync(CustomerRow, rows, prune=False)

    def upsert_orders(self, orders: Sequence[Order]) -> SyncCounts:
        rows = [
            OrderRow(
                id=o.id,
                customer_id=o.customer_id,
                status=o.status,
                created_at=o.created_at,
                content_hash=content_hash(o),
                data=o.model_dump(mode="json"),
            )
            for o in orders
        ]
        return self._sync(OrderRow, rows, prune=False)

    def add_events(self, events: Iterable[Event]) -> SyncCounts:
        """Append events; an event already stored (same id) is skipped, never duplicated."""
        incoming = {e.id: e for e in events}
        with self.sessions.begin() as session:
            stored = set()
            ids = list(incoming)
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                stored |= set(session.scalars(select(EventRow.id).where(EventRow.id.in_(chunk))))
            for event_id, e in incoming.items():
                if event_id not in stored:
                    session.add(EventRow(**e.model_dump(include=set(EventRow.__table__.columns.keys()))))
        return SyncCounts(added=len(incoming) - len(stored), unchanged=len(stored))

    def _sync(self, table: type[Row], rows: list[Row], prune: bool, catalog: bool = False) -> SyncCounts:
        with self.sessions.begin() as session:
            stored = dict(session.execute(select(table.id, table.content_hash)).all())
            added = unchanged = 0
            changed: list[dict[str, Any]] = []
            for row in rows:
                old_hash = stored.get(row.id)
                if old_hash is None:
                    session.add(row)
                    added += 1
                elif old_hash != row.content_hash:
                    changed.append({c.name: getattr(row, c.name) for c in table.__table__.columns})
                else:
                    unchanged += 1
            # One executemany by primary key, not a statement per row: a price update across a
            # 50k-product catalog would otherwise be 50k round trips.
            if changed:
                session.execute(update(table), changed)
            updated = len(changed)
            gone = sorted(set(stored) - {row.id for row in rows}) if prune else []
            for start in range(0, len(gone), 500):
                session.execute(delete(table).where(table.id.in_(gone[start : start + 500])))
            counts = SyncCounts(added, updated, unchanged, len(gone))
            if catalog and counts.changed:
                self._bump(session, _CATALOG_VERSION)
        return counts

    @staticmethod
    def _bump(session: Any, key: str) -> None:
        row = session.get(MetaRow, key)
        if row is None:
            session.add(MetaRow(key=key, value=1))
        else:
            row.value += 1

    # --- reads --------------------------------------------------------------------------

    def catalog_version(self) -> int:
        """A counter that grows whenever products or policies change, in any process."""
        with self.sessions() as session:
            row = session.get(MetaRow, _CATALOG_VERSION)
            return row.value if row else 0

    def products(self) -> list[Product]:
        with self.sessions() as session:
            data = session.scalars(select(ProductRow.data).order_by(ProductRow.id)).all()
        return [Product.model_validate(item) for item in data]

    def product(self, product_id: str) -> Product | None:
        with self.sessions() as session:
            row = session.get(ProductRow, product_id)
            return Product.model_validate(row.data) if row else None

    def policy_passages(self) -> list[PolicyPassage]:
        with self.sessions() as session:
            query = select(PolicyPassageRow.data).order_by(PolicyPassageRow.policy_id, PolicyPassageRow.position)
            data = session.scalars(query).all()
        return [PolicyPassage.model_validate(item) for item in data]

    def customer(self, customer_id: str) -> Customer | None:
        with self.sessions() as session:
            row = session.get(CustomerRow, customer_id)
            return Customer.model_validate(row.data) if row else None

    def order(self, order_id: str) -> Order | None:
        """Any order by id. Callers acting for a shopper must check the owner."""
        with self.sessions() as session:
            row = session.get(OrderRow, order_id)
            return Order.model_validate(row.data) if row else None

    def orders_for_customer(self, customer_id: str) -> list[Order]:
        """A customer's orders, newest first."""
        with self.sessions() as session:
            query = (
                select(OrderRow.data)
                .where(OrderRow.customer_id == customer_id)
                .order_by(OrderRow.created_at.desc(), OrderRow.id)
            )
            return [Order.model_validate(item) for item in session.scalars(query)]

    def orders(self) -> list[Order]:
        """Every order, oldest first, whoever placed it (a customer with no events included)."""
        with self.sessions() as session:
            query = select(OrderRow.data).order_by(OrderRow.created_at, OrderRow.id)
            return [Order.model_validate(item) for item in session.scalars(query)]

    def events(
        self,
        customer_id: str | None = None,
        session_id: str | None = None,
        since: datetime | None = None,
        placement: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> list[Event]:
        """Events oldest first, optionally for one shopper, since a time, of some kinds, or
        shown in one placement."""
        query = select(EventRow).order_by(EventRow.ts, EventRow.id)
        if customer_id is not None:
            query = query.where(EventRow.customer_id == customer_id)
        if session_id is not None:
            query = query.where(EventRow.session_id == session_id)
        if since is not None:
            query = query.where(EventRow.ts >= since)
        if placement is not None:
            query = query.where(EventRow.placement == placement)
        if kinds is not None:
            query = query.where(EventRow.kind.in_(kinds))
        columns = EventRow.__table__.columns.keys()
        with self.sessions() as session:
            return [Event.model_validate({c: getattr(row, c) for c in columns}) for row in session.scalars(query)]

    def counts(self) -> dict[str, int]:
        """Rows per table, for status pages and ingest summaries."""
        tables = {
            "products": ProductRow,
            "policy_passages": PolicyPassageRow,
            "customers": CustomerRow,
            "orders": OrderRow,
            "events": EventRow,
        }
        with self.sessions() as session:
            return {name: session.scalar(select(func.count()).select_from(t)) or 0 for name, t in tables.items()}
