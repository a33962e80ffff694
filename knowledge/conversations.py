"""Conversations and their messages, stored as they happen.

A shopper's message is written (and committed) before the agent starts on it, and the
answer when it is final, so a crash between the two loses nothing: the next turn sees
every message that was sent.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import Field
from sqlalchemy import func, select, update

from knowledge._fields import Fact, UtcDatetime
from knowledge._tables import ConversationRow, MessageRow
from knowledge.database import StoreDatabase

Role = Literal["shopper", "assistant", "staff"]
# bot: the assistant answers; handoff: waiting for a person (the assistant still answers);
# human: a staff member has taken over and the assistant stays silent.
Mode = Literal["bot", "handoff", "human"]
# Answer outcomes that leave the shopper without what they asked for (two in a row hand off).
UNRESOLVED_OUTCOMES = frozenset({"not_found", "unknown", "refused", "order_not_found"})


class Citation(Fact):
    """A source an answer used: a product, a policy passage or an order."""

    kind: Literal["product", "policy", "order", "profile"]
    ref: str
    label: str


class Verdict(Fact):
    """What one guardrail decided about a message."""

    name: str
    tripped: bool
    reason: str = ""


class Message(Fact):
    id: str
    conversation_id: str
    role: Role
    text: str
    created_at: UtcDatetime
    intent: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    product_ids: list[str] = Field(default_factory=list, description="Products shown as cards, in order")
    reasons: dict[str, str] = Field(default_factory=dict, description="Why a card's product was recommended, by id")
    order_ids: list[str] = Field(default_factory=list)
    verdicts: list[Verdict] = Field(default_factory=list)
    outcome: str | None = Field(default=None, description="answered, not_found, refused, handed_off, repaired, ...")
    author: str | None = Field(default=None, description="The staff member who wrote a staff message")


class Conversation(Fact):
    id: str
    customer_id: str | None = None
    session_id: str | None = None
    mode: Mode = "bot"
    assignee: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


def _now() -> datetime:
    return datetime.now(UTC)


def _conversation(row: ConversationRow) -> Conversation:
    return Conversation(
        id=row.id,
        customer_id=row.customer_id,
        session_id=row.session_id,
        mode=row.mode,  # type: ignore[arg-type]
        assignee=row.assignee,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ConversationStore:
    """Creates conversations and appends messages, each write committed at once.

    Example:
        >>> store = ConversationStore(db)
        >>> chat = store.start(customer_id="7")
        >>> store.append(chat.id, "shopper", "Where is my order?")
    """

    def __init__(self, db: StoreDatabase) -> None:
        self._session = db.sessions

    def start(self, customer_id: str | None = None, session_id: str | None = None) -> Conversation:
        now = _now()
        row = ConversationRow(
            id=uuid.uuid4().hex,
            customer_id=customer_id,
            session_id=session_id,
            mode="bot",
            created_at=now,
            updated_at=now,
        )
        with self._session.begin() as session:
            session.add(row)
        return _conversation(row)

    def get(self, conversation_id: str) -> Conversation | None:
        with self._session() as session:
            row = session.get(ConversationRow, conversation_id)
            return _conversation(row) if row else None

    def append(self, conversation_id: str, role: Role, text: str, **details: object) -> Message:
        """Store a message at the end of the conversation and commit it."""
        now = _now()
        with self._session.begin() as session:
            seq = session.scalar(
                select(func.coalesce(func.max(MessageRow.seq), 0)).where(MessageRow.conversation_id == conversation_id)
            )
            message = Message(
                id=uuid.uuid4().hex,
                conversation_id=conversation_id,
                role=role,
                text=text,
                created_at=now,
                **details,  # type: ignore[arg-type]
            )
            session.add(
                MessageRow(
                    id=message.id,
                    conversation_id=conversation_id,
                    seq=(seq or 0) + 1,
                    role=role,
                    created_at=now,
                    data=message.model_dump(mode="json"),
                )
            )
            session.execute(update(ConversationRow).where(ConversationRow.id == conversation_id).values(updated_at=now))
        return message

    def messages(self, conversation_id: str, limit: int | None = None) -> list[Message]:
        """The conversation's messages, oldest first (the last `limit` when given)."""
        query = select(MessageRow.data).where(MessageRow.conversation_id == conversation_id)
        query = query.order_by(MessageRow.seq.desc())
        if limit is not None:
            query = query.limit(limit)
        with self._session() as session:
            rows = list(session.scalars(query))
        return [Message.model_validate(data) for data in reversed(rows)]

    def set_mode(self, conversation_id: str, mode: Mode, assignee: str | None = None) -> None:
        """Change who answers; `assignee` names the staff member taking over (mode "human")."""
        with self._session.begin() as session:
            session.execute(
                update(ConversationRow)
                .where(ConversationRow.id == conversation_id)
                .values(mode=mode, assignee=assignee if mode == "human" else None, updated_at=_now())
            )

    def for_shopper(self, customer_id: str | None = None, session_id: str | None = None) -> list[Conversation]:
        """A shopper's conversations, newest first."""
        if customer_id is None and session_id is None:
            return []
        query = select(ConversationRow).order_by(ConversationRow.updated_at.desc())
        if customer_id is not None:
            query = query.where(ConversationRow.customer_id == customer_id)
        else:
            query = query.where(ConversationRow.session_id == session_id)
        with self._session() as session:
            return [_conversation(row) for row in session.scalars(query)]

    def waiting(self) -> list[Conversation]:
        """Every conversation waiting for a person, longest-waiting first."""
        query = select(ConversationRow).where(ConversationRow.mode == "handoff").order_by(ConversationRow.updated_at)
        with self._session() as session:
            return [_conversation(row) for row in session.scalars(query)]

    def recent(self, limit: int = 50) -> list[Conversation]:
        """Conversations with the latest activity first (for staff)."""
        query = select(ConversationRow).order_by(ConversationRow.updated_at.desc()).limit(limit)
        with self._session() as session:
            return [_conversation(row) for row in session.scalars(query)]

    def outcomes(self, since: datetime | None = None) -> dict[str, int]:
        """How conversations ended, for the store owner: resolved by the assistant, handed
        off to a person, or left unresolved (the last answer found nothing or refused)."""
        counts = {"resolved": 0, "handed_off": 0, "unresolved": 0}
        query = select(ConversationRow.id, ConversationRow.mode)
        if since is not None:
            query = query.where(ConversationRow.updated_at >= since)
        with self._session() as session:
            modes = dict(session.execute(query).all())
            rows = session.execute(
                select(MessageRow.conversation_id, MessageRow.data)
                .where(MessageRow.role == "assistant", MessageRow.conversation_id.in_(list(modes)))
                .order_by(MessageRow.conversation_id, MessageRow.seq)
            ).all()
        last: dict[str, str | None] = {}
        handed: set[str] = set()
        for conversation_id, data in rows:
            outcome = data.get("outcome")
            last[conversation_id] = outcome
            if outcome == "handed_off":
                handed.add(conversation_id)
        for conversation_id, mode in modes.items():
            if conversation_id not in last and mode == "bot":
                continue  # opened, never answered: not a conversation yet
            if mode != "bot" or conversation_id in handed:
                counts["handed_off"] += 1
            elif last.get(conversation_id) in UNRESOLVED_OUTCOMES:
                counts["unresolved"] += 1
            else:
                counts["resolved"] += 1
        return counts
