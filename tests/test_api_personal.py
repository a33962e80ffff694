"""Profiles and recommendations over real HTTP: what a shopper's behaviour and words change,
"why am I seeing this", clearing the profile, and that one shopper never sees another's."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.test_api_chat import chat, staff_client

pytestmark = pytest.mark.server


def shopper() -> dict[str, str]:
    return {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}


def products_in(server: str, category: str) -> list[dict]:
    found = httpx.get(f"{server}/api/products/search", params={"q": category, "k": 40}).json()["results"]
    return [hit["product"] for hit in found if hit["product"]["category"] == category]


def view(server: str, headers: dict[str, str], product_id: str, kind: str = "view") -> None:
    response = httpx.post(f"{server}/api/events", json={"kind": kind, "product_id": product_id}, headers=headers)
    assert response.status_code == 201, response.text


def recommendations(server: str, headers: dict[str, str], **params: object) -> list[dict]:
    response = httpx.get(f"{server}/api/recommendations", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_new_shopper_gets_popular_products_and_is_told_why(web_server: str) -> None:
    headers = shopper()
    profile = httpx.get(f"{web_server}/api/profile", headers=headers).json()
    assert profile["categories"] == {} and "popular" in " ".join(profile["explanation"])
    picks = recommendations(web_server, headers, k=5)
    assert len(picks) == 5
    assert all(pick["product"]["in_stock"] for pick in picks)
    assert all(pick["reason"] for pick in picks)


def test_a_shopper_who_viewed_laptops_sees_laptops_first(web_server: str) -> None:
    headers = shopper()
    laptops = products_in(web_server, "laptops")
    for laptop in laptops[:3]:
        view(web_server, headers, laptop["id"])
    profile = httpx.get(f"{web_server}/api/profile", headers=headers).json()
    assert next(iter(profile["categories"])) == "laptops"
    assert any("laptops" in line for line in profile["explanation"])
    picks = recommendations(web_server, headers, k=4)
    catalog = {p["id"]: p for p in products_in(web_server, "laptops")}
    assert picks[0]["product"]["id"] in catalog, picks[0]
    assert not {pick["product"]["id"] for pick in picks} & {laptop["id"] for laptop in laptops[:3]}


def test_nothing_bought_is_recommended_again_and_nothing_out_of_stock(web_server: str) -> None:
    headers = shopper()
    phones = products_in(web_server, "smartphones")
    for phone in phones[:2]:
        view(web_server, headers, phone["id"], kind="purchase")
    picks = recommendations(web_server, headers, k=20)
    assert not {pick["product"]["id"] for pick in picks} & {phone["id"] for phone in phones[:2]}
    assert all(pick["product"]["in_stock"] for pick in picks)


def test_a_cleared_profile_falls_back_to_popular_products(web_server: str) -> None:
    headers = shopper()
    for laptop in products_in(web_server, "laptops")[:3]:
        view(web_server, headers, laptop["id"])
    cleared = httpx.delete(f"{web_server}/api/profile", headers=headers)
    assert cleared.status_code == 200
    assert cleared.json()["categories"] == {} and cleared.json()["cleared_at"]
    stranger = recommendations(web_server, shopper(), k=5)
    assert [p["product"]["id"] for p in recommendations(web_server, headers, k=5)] == [
        p["product"]["id"] for p in stranger
    ]


def test_what_a_shopper_says_in_chat_becomes_their_profile(web_server: str) -> None:
    headers = shopper()
    chat(web_server, "I'm vegan and it's a gift for my daughter, my budget is $40", headers)
    profile = httpx.get(f"{web_server}/api/profile", headers=headers).json()
    stated = {(p["kind"], p["value"]) for p in profile["preferences"]}
    assert {("diet", "vegan"), ("recipient", "daughter"), ("budget", "40")} <= stated
    assert all("my budget is $40" in p["said"] for p in profile["preferences"])
    picks = recommendations(web_server, headers, k=8)
    assert picks and all(pick["product"]["price"] <= 40 for pick in picks)


def test_a_recommendation_in_chat_shows_cards_with_reasons(web_server: str) -> None:
    headers = shopper()
    events = chat(web_server, "Can you recommend something?", headers)
    final = events[-1][1]
    cards = final["message"]["products"]
    assert cards and all(card["reason"] for card in cards)


def test_profiles_need_an_identity_and_stay_with_their_shopper(web_server: str) -> None:
    assert httpx.get(f"{web_server}/api/profile").status_code == 401
    first, second = shopper(), shopper()
    for laptop in products_in(web_server, "laptops")[:2]:
        view(web_server, first, laptop["id"])
    assert httpx.get(f"{web_server}/api/profile", headers=second).json()["categories"] == {}


def test_staff_see_the_shoppers_interests_beside_the_conversation(web_server: str) -> None:
    headers = shopper()
    for laptop in products_in(web_server, "laptops")[:2]:
        view(web_server, headers, laptop["id"])
    conversation_id = chat(web_server, "hello", headers)[0][1]["conversation_id"]
    staff = staff_client(web_server)
    detail = staff.get(f"/api/staff/conversations/{conversation_id}").json()
    staff.close()
    assert any("laptops" in line for line in detail["profile"]["explanation"])
