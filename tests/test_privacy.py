"""A shopper's data: exported and deleted on request (API and CLI), old conversations expire,
and personal details stay out of the model's prompts and the server's logs."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jwt
import pytest
from uvicorn.logging import AccessFormatter

from agent import ChatMessage, redact
from agent.prompts import PromptBuilder
from agent.sources import SourceList
from knowledge import ConversationStore, Event, Preference, ProfileStore, ShopperData, StoreDatabase
from tests.test_api_chat import chat
from tests.test_cli import aisle
from ui.log_privacy import RedactingFilter

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def _shopper_with_history(db: StoreDatabase, customer: str | None, session: str | None) -> str:
    conversations = ConversationStore(db)
    chat_ = conversations.start(customer_id=customer, session_id=session)
    conversations.append(chat_.id, "shopper", "my email is jo@example.com")
    db.add_events([Event(kind="view", ts=NOW, customer_id=customer, session_id=session, product_id="1")])
    ProfileStore(db).remember(customer, session, [Preference(kind="diet", value="vegan", said="I'm vegan", ts=NOW)])
    return chat_.id


def test_forgetting_a_customer_removes_their_data_and_nobody_elses(tmp_path: Path) -> None:
    db = StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}")
    mine = _shopper_with_history(db, "7", "browser-of-seven-123")
    theirs = _shopper_with_history(db, "8", None)
    anonymous = _shopper_with_history(db, None, "browser-of-someone-456")

    report = ShopperData(db).forget(customer_id="7")

    assert (report.conversations, report.messages, report.events, report.preferences) == (1, 1, 1, 1)
    conversations = ConversationStore(db)
    assert conversations.get(mine) is None
    assert conversations.get(theirs) is not None and conversations.get(anonymous) is not None
    assert db.events(customer_id="8") and db.events(session_id="browser-of-someone-456")
    assert ProfileStore(db).preferences("8", None)
    assert ShopperData(db).export(customer_id="7").conversations == []


def test_old_conversations_expire_and_recent_ones_stay(tmp_path: Path) -> None:
    db = StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}")
    conversations = ConversationStore(db)
    kept = conversations.start(session_id="recent-session-0001")
    conversations.append(kept.id, "shopper", "hello")
    removed = ShopperData(db).expire_conversations(datetime.now(UTC) - timedelta(days=30))
    assert removed == 0 and conversations.get(kept.id) is not None
    assert ShopperData(db).expire_conversations(datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert conversations.get(kept.id) is None and conversations.messages(kept.id) == []


def test_aisle_forget_deletes_a_customers_data(tmp_path: Path) -> None:
    db = StoreDatabase(f"sqlite:///{(tmp_path / 'aisle.db').resolve()}")
    conversation = _shopper_with_history(db, "7", None)
    db.close()
    exported = aisle("export", "7", data_dir=str(tmp_path))
    assert exported.returncode == 0, exported.stderr
    assert "jo@example.com" in exported.stdout
    done = aisle("forget", "7", "--yes", data_dir=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "Deleted 1 conversations (1 messages), 1 events and 1 stated preferences" in done.stdout
    assert ConversationStore(StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}")).get(conversation) is None


@pytest.mark.server
def test_a_shopper_exports_and_deletes_their_own_data_over_the_api(web_server: str, server_secret: str) -> None:
    token = jwt.encode({"sub": "1", "exp": datetime.now(UTC) + timedelta(minutes=5)}, server_secret, "HS256")
    customer = {"Authorization": f"Bearer {token}"}
    conversation_id = chat(web_server, "hello, I'm vegan", customer)[0][1]["conversation_id"]
    exported = httpx.get(f"{web_server}/api/me/data", headers=customer).json()
    assert exported["customer"]["id"] == "1" and exported["orders"]
    assert conversation_id in {c["id"] for c in exported["conversations"]}
    stranger = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    assert httpx.get(f"{web_server}/api/me/data", headers=stranger).json()["conversations"] == []

    deleted = httpx.delete(f"{web_server}/api/me/data", headers=customer)
    assert deleted.status_code == 200 and deleted.json()["conversations"] >= 1
    assert httpx.get(f"{web_server}/api/conversations/{conversation_id}", headers=customer).status_code == 404
    assert httpx.get(f"{web_server}/api/profile", headers=customer).json()["preferences"] == []


def test_card_numbers_emails_and_phones_never_reach_the_models_prompt() -> None:
    message = "My card 4111 1111 1111 1111 was charged twice, email jo@example.com or call 555-123-4567"
    prompt = PromptBuilder("Demo").build(message, "order", SourceList(), [], "en")
    text = " ".join(m.content for m in prompt if isinstance(m, ChatMessage))
    for secret in ("4111 1111 1111 1111", "jo@example.com", "555-123-4567"):
        assert secret not in text
    assert "[card number]" in text
    # Order and tracking numbers are what answers are about: they stay.
    assert (
        redact("Where is order #W2378156, tracking 381952781245?") == "Where is order #W2378156, tracking 381952781245?"
    )


def test_the_servers_access_log_carries_no_email() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/api/products/search?q=jo@example.com", "1.1", 200),
        None,
    )
    RedactingFilter().filter(record)
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s', use_colors=False).format(record)
    assert "jo@example.com" not in line and "[email]" in line
