"""A shopper's data: export it, forget it, and let old conversations expire.

What Aisle itself collected about a shopper is theirs to see and to have removed: their
behaviour events (promo impressions and clicks included), their conversations with every
message, their stated preferences and the "cleared" mark. The customer record and orders
come from the store's own systems through the store folder; they are exported here but
deleted there (Aisle would load them again on the next ingest). Chroma holds only the
catalog and the policies, nothing about shoppers, so there is nothing to remove from it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, or_, select

from knowledge._tables import ConversationRow, EventRow, MessageRow
from knowledge.conversations import Conversation, ConversationStore, Message
from knowledge.customers import Customer
from knowledge.database import StoreDatabase
from knowledge.events import Event
from knowledge.orders import Order
from knowledge.profiles import Preference, PreferenceRow, ProfileClearedRow, ProfileStore, shopper_key


@dataclass(frozen=True)
class ShopperExport:
    """Everything Aisle holds about one shopper."""

    customer: Customer | None
    orders: list[Order]
    events: list[Event]
    preferences: list[Preference]
    conversations: list[tuple[Conversation, list[Message]]]


@dataclass(frozen=True)
class ForgetReport:
    """How many rows `forget` removed, by kind."""

    events: int = 0
    conversations: int = 0
    messages: int = 0
    preferences: int = 0
    sessions: list[str] = field(default_factory=list)


class ShopperData:
    """Export and deletion of a shopper's data, and the retention of conversations.

    Example:
        >>> data = ShopperData(db)
        >>> data.forget(customer_id="7").conversations
        3
    """

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db
        self._conversations = ConversationStore(db)
        self._profiles = ProfileStore(db)

    def sessions_of(self, customer_id: str) -> list[str]:
        """The browser sessions a signed-in customer used: their anonymous activity in those
        sessions is theirs too."""
        with self._db.sessions() as session:
            from_chats = session.scalars(
                select(ConversationRow.session_id).where(
                    ConversationRow.customer_id == customer_id, ConversationRow.session_id.is_not(None)
                )
            )
            from_events = session.scalars(
                select(EventRow.session_id).where(EventRow.customer_id == customer_id, EventRow.session_id.is_not(None))
            )
            return sorted({s for s in [*from_chats, *from_events] if s})

    def export(self, customer_id: str | None = None, session_id: str | None = None) -> ShopperExport:
        sessions = self._sessions(customer_id, session_id)
        events: dict[str, Event] = {}
        if customer_id:
            events.update((e.id, e) for e in self._db.events(customer_id=customer_id))
        for session_name in sessions:
            events.update(
                (e.id, e)
                for e in self._db.events(session_id=session_name)
                if e.customer_id in (None, customer_id)  # signed-in events belong to their customer
            )
        conversations = []
        for conversation in self._owned_conversations(customer_id, sessions):
            conversations.append((conversation, self._conversations.messages(conversation.id)))
        preferences = []
        for key in self._keys(customer_id, sessions):
            kind, _, value = key.partition(":")
            ids = (value, None) if kind == "customer" else (None, value)
            preferences.extend(self._profiles.preferences(*ids))
        return ShopperExport(
            customer=self._db.customer(customer_id) if customer_id else None,
            orders=self._db.orders_for_customer(customer_id) if customer_id else [],
            events=sorted(events.values(), key=lambda e: (e.ts, e.id)),
            preferences=preferences,
            conversations=conversations,
        )

    def forget(self, customer_id: str | None = None, session_id: str | None = None) -> ForgetReport:
        """Delete the shopper's events, conversations, messages and stated preferences."""
        sessions = self._sessions(customer_id, session_id)
        conversation_ids = [c.id for c in self._owned_conversations(customer_id, sessions)]
        keys = self._keys(customer_id, sessions)
        with self._db.sessions.begin() as session:
            owner = []
            if customer_id:
                owner.append(EventRow.customer_id == customer_id)
            if sessions:
                # A session's signed-in events belong to their customer, not to whoever holds the session.
                signed = EventRow.customer_id.is_(None) | (EventRow.customer_id == customer_id)
                owner.append(and_(EventRow.session_id.in_(sessions), signed))
            events = session.execute(delete(EventRow).where(or_(*owner))).rowcount if owner else 0
            messages = conversations = 0
            for start in range(0, len(conversation_ids), 500):
                chunk = conversation_ids[start : start + 500]
                messages += session.execute(delete(MessageRow).where(MessageRow.conversation_id.in_(chunk))).rowcount
                conversations += session.execute(delete(ConversationRow).where(ConversationRow.id.in_(chunk))).rowcount
            preferences = session.execute(delete(PreferenceRow).where(PreferenceRow.shopper.in_(keys))).rowcount
            session.execute(delete(ProfileClearedRow).where(ProfileClearedRow.shopper.in_(keys)))
        return ForgetReport(events, conversations, messages, preferences, sessions)

    def expire_conversations(self, older_than: datetime) -> int:
        """Delete conversations (and their messages) with no activity since `older_than`."""
        with self._db.sessions.begin() as session:
            ids = list(session.scalars(select(ConversationRow.id).where(ConversationRow.updated_at < older_than)))
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                session.execute(delete(MessageRow).where(MessageRow.conversation_id.in_(chunk)))
                session.execute(delete(ConversationRow).where(ConversationRow.id.in_(chunk)))
        return len(ids)

    # --- who the shopper is -------------------------------------------------------------

    def _sessions(self, customer_id: str | None, session_id: str | None) -> list[str]:
        if not (customer_id or session_id):
            raise ValueError("a shopper is a customer_id or a session_id")
        sessions = set(self.sessions_of(customer_id)) if customer_id else set()
        if session_id:
            sessions.add(session_id)
        return sorted(sessions)

    @staticmethod
    def _keys(customer_id: str | None, sessions: Iterable[str]) -> list[str]:
        keys = [shopper_key(None, s) for s in sessions]
        return [shopper_key(customer_id, None), *keys] if customer_id else keys

    def _owned_conversations(self, customer_id: str | None, sessions: list[str]) -> list[Conversation]:
        found: dict[str, Conversation] = {}
        if customer_id:
            found.update((c.id, c) for c in self._conversations.for_shopper(customer_id=customer_id))
        for session_name in sessions:
            for conversation in self._conversations.for_shopper(session_id=session_name):
                # A signed-in conversation in a shared browser session belongs to its customer.
                if conversation.customer_id in (None, customer_id):
                    found[conversation.id] = conversation
        return sorted(found.values(), key=lambda c: c.created_at)
