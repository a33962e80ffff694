"""Limits a client notices: too many requests get 429 with when to retry, an oversized body 413."""

from __future__ import annotations

import dataclasses
import uuid

import gradio as gr
import httpx
import pytest
from fastapi import HTTPException
from starlette.requests import Request

from agent import Shopper
from ui.chat_page import ChatPage
from ui.rate_limits import RateLimits
from ui.services import Services


def _request() -> Request:
    return Request({"type": "http", "client": ("10.0.0.1", 1234), "headers": [], "query_string": b""})


def test_a_shopper_over_the_limit_is_told_when_to_retry_and_others_are_not_affected() -> None:
    limits = RateLimits(chat="3/minute", api="100/minute")
    first, second = Shopper(session_id="first-shopper-0001"), Shopper(session_id="second-shopper-002")
    for _ in range(3):
        limits.check("chat", first, _request())
    with pytest.raises(HTTPException) as refused:
        limits.check("chat", first, _request())
    assert refused.value.status_code == 429
    assert "at most 3 per minute" in refused.value.detail
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 60
    limits.check("chat", second, _request())  # another shopper still gets through


@pytest.mark.server
def test_the_api_answers_429_past_the_limit(web_server: str) -> None:
    headers = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    # One event, sent again and again: stored once, so the shared store's popularity is untouched.
    event = {"kind": "view", "product_id": "107", "ts": "2026-01-01T00:00:00Z"}
    with httpx.Client(base_url=web_server, headers=headers) as client:
        statuses = [client.post("/api/events", json=event).status_code for _ in range(305)]
        assert statuses[:300] == [201] * 300
        refused = client.post("/api/events", json=event)
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert "try again in" in refused.json()["detail"]


@pytest.mark.server
def test_an_oversized_request_body_is_refused(web_server: str) -> None:
    headers = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    huge = {"message": "x" * 200_000}
    response = httpx.post(f"{web_server}/api/chat", json=huge, headers=headers)
    assert response.status_code == 413
    assert "larger than 65536 bytes" in response.json()["detail"]


def test_the_chat_page_holds_a_shopper_to_the_same_limit(demo: Services) -> None:
    limited = dataclasses.replace(demo, rate_limits=RateLimits(chat="1/minute", api="100/minute"))
    page = ChatPage(lambda: limited)
    state = {"session": f"chat-{uuid.uuid4().hex}", "conversation": ""}
    request = gr.Request(request=_request())
    answered = list(page.send("What is your return policy?", state, [], request))
    assert "return" in answered[-1][0][-1]["content"].lower()
    with pytest.raises(gr.Error, match="at most 1 per minute"):
        list(page.send("And for electronics?", answered[-1][2], answered[-1][0], request))
