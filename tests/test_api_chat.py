"""The chat API over real HTTP: streaming, identity, privacy between shoppers, events, CORS."""

from __future__ import annotations

import json
import time

import httpx
import jwt
import pytest

from tests.conftest import STAFF_PASSWORD, STAFF_USER

pytestmark = pytest.mark.server


def sse(response: httpx.Response) -> list[tuple[str, dict]]:
    """The (event, data) pairs of a server-sent event stream."""
    events, name = [], None
    for line in response.iter_lines():
        if line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:") and name:
            events.append((name, json.loads(line[5:])))
    return events


def chat(server: str, message: str, headers: dict[str, str], conversation_id: str | None = None) -> list:
    body = {"message": message, "conversation_id": conversation_id}
    with httpx.stream("POST", f"{server}/api/chat", json=body, headers=headers, timeout=120) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse(response)


def anonymous(name: str) -> dict[str, str]:
    return {"X-Aisle-Session": f"session-{name}-0123456789"}


def staff_client(server: str) -> httpx.Client:
    client = httpx.Client(base_url=server, follow_redirects=False)
    response = client.post("/staff/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/staff"
    return client


def test_chat_streams_tokens_then_a_final_answer_with_cards(web_server: str) -> None:
    events = chat(web_server, "How much are the Beats Flex Wireless Earphones?", anonymous("a"))
    names = [name for name, _ in events]
    assert names[0] == "conversation" and names[-1] == "final" and "token" in names
    final = events[-1][1]
    assert final["message"]["role"] == "assistant"
    assert final["message"]["products"][0]["title"] == "Beats Flex Wireless Earphones"
    assert final["message"]["products"][0]["price"] == 49.99
    assert final["follow_ups"]
    streamed = "".join(data["text"] for name, data in events if name == "token")
    assert streamed.strip() and ("$49.99" in final["message"]["text"] or final["replaced"])


def test_a_conversation_belongs_to_its_shopper(web_server: str) -> None:
    events = chat(web_server, "hello", anonymous("owner"))
    conversation_id = events[0][1]["conversation_id"]
    own = httpx.get(f"{web_server}/api/conversations/{conversation_id}", headers=anonymous("owner"))
    assert own.status_code == 200 and [m["role"] for m in own.json()["messages"]] == ["shopper", "assistant"]

    other = httpx.get(f"{web_server}/api/conversations/{conversation_id}", headers=anonymous("intruder"))
    assert other.status_code == 404
    hijack = httpx.post(
        f"{web_server}/api/chat",
        json={"message": "hi", "conversation_id": conversation_id},
        headers=anonymous("intruder"),
    )
    assert hijack.status_code == 404
    assert httpx.get(f"{web_server}/api/conversations/{conversation_id}").status_code == 401


def test_signed_tokens_identify_customers_and_forged_ones_are_refused(web_server: str, server_secret: str) -> None:
    secret = server_secret
    now = int(time.time())
    good = jwt.encode({"sub": "1", "iat": now, "exp": now + 600}, secret, algorithm="HS256")
    events = chat(web_server, "Where is my order #A1001?", {"Authorization": f"Bearer {good}"})
    assert "delivered" in events[-1][1]["message"]["text"]

    forged = jwt.encode({"sub": "1", "iat": now, "exp": now + 600}, "not-the-secret" * 3, algorithm="HS256")
    expired = jwt.encode({"sub": "1", "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256")
    for token, reason in [(forged, "not valid"), (expired, "expired")]:
        response = httpx.post(
            f"{web_server}/api/chat", json={"message": "hi"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 401 and reason in response.json()["detail"]


def test_events_are_recorded_for_the_shopper(web_server: str) -> None:
    body = {"kind": "view", "product_id": "107", "ts": "2026-11-20T10:00:00Z"}
    first = httpx.post(f"{web_server}/api/events", json=body, headers=anonymous("events"))
    again = httpx.post(f"{web_server}/api/events", json=body, headers=anonymous("events"))
    assert first.status_code == 201 and first.json()["stored"] is True
    assert again.json() == {"id": first.json()["id"], "stored": False}
    unknown = httpx.post(
        f"{web_server}/api/events", json={"kind": "view", "product_id": "nope"}, headers=anonymous("events")
    )
    assert unknown.status_code == 422 and "no product with id 'nope'" in unknown.json()["detail"]
    search = httpx.post(f"{web_server}/api/events", json={"kind": "search"}, headers=anonymous("events"))
    assert search.status_code == 422 and "needs the query" in search.json()["detail"]


def test_a_person_takes_over_and_the_assistant_stays_silent(web_server: str) -> None:
    shopper = anonymous("handoff")
    events = chat(web_server, "I want to talk to a person", shopper)
    conversation_id = events[0][1]["conversation_id"]
    assert events[-1][1]["handoff"] is True
    staff = staff_client(web_server)
    queue = staff.get("/api/staff/conversations").json()
    waiting = [c for c in queue if c["id"] == conversation_id]
    assert waiting and waiting[0]["mode"] == "handoff"

    sent = staff.post(f"/api/staff/conversations/{conversation_id}/messages", json={"text": "Hi, Maria here."})
    assert sent.status_code == 201 and sent.json()["author"] == STAFF_USER
    quiet = chat(web_server, "thanks, my order is late", shopper, conversation_id)
    assert quiet[-1][1]["message"] is None  # the assistant stays silent while a person has it
    transcript = httpx.get(f"{web_server}/api/conversations/{conversation_id}", headers=shopper).json()
    assert transcript["mode"] == "human"
    assert [m["role"] for m in transcript["messages"]][-2:] == ["staff", "shopper"]
    # Colleagues see who has it.
    assert staff.get(f"/api/staff/conversations/{conversation_id}").json()["assignee"] == STAFF_USER

    handed_back = staff.post(f"/api/staff/conversations/{conversation_id}/handback").json()
    assert handed_back["mode"] == "bot" and handed_back["assignee"] is None
    again = chat(web_server, "hi", shopper, conversation_id)
    assert again[-1][1]["message"]["role"] == "assistant"


def test_staff_endpoints_refuse_missing_or_forged_sessions(web_server: str) -> None:
    assert httpx.get(f"{web_server}/api/staff/conversations").status_code == 401
    forged = httpx.get(f"{web_server}/api/staff/conversations", cookies={"aisle_staff": "eyJzdGFmZiI6ICJtYXJpYSJ9"})
    assert forged.status_code == 401
    wrong = httpx.post(f"{web_server}/staff/login", data={"username": STAFF_USER, "password": "wrong password!!"})
    assert wrong.status_code == 303 and "error=1" in wrong.headers["location"]


def test_cors_allows_no_foreign_origin_by_default(web_server: str) -> None:
    preflight = httpx.options(
        f"{web_server}/api/chat",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in preflight.headers
