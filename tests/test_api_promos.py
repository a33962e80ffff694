"""Promo copy and analytics over real HTTP: staff write checked variants, shop pages are
served one by the A/B test, clicks are counted, and the owner reads the results."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest

from tests.test_api_chat import chat, staff_client

pytestmark = pytest.mark.server

PRODUCT = "107"  # Beats Flex Wireless Earphones in the small store


@pytest.fixture(scope="module")
def staff(web_server: str) -> httpx.Client:
    client = staff_client(web_server)
    yield client
    client.close()


@pytest.fixture(scope="module")
def written(staff: httpx.Client) -> list[dict]:
    response = staff.post(
        "/api/staff/promos", json={"product_ids": [PRODUCT], "channel": "chat_banner", "n": 2}, timeout=300
    )
    assert response.status_code == 201, response.text
    return response.json()


def shopper() -> dict[str, str]:
    return {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}


def test_written_promo_copy_states_only_the_products_real_prices(web_server: str, written: list[dict]) -> None:
    product = httpx.get(f"{web_server}/api/products/{PRODUCT}").json()
    real = {product["price"], product["sale_price"]}
    assert written
    for draft in written:
        text = f"{draft['variant']['headline']} {draft['variant']['body']}"
        for amount in re.findall(r"\$(\d+(?:\.\d{2})?)", text):
            assert float(amount) in real, (amount, text)
        for percent in re.findall(r"(\d+(?:\.\d+)?)\s?%", text):
            assert round(float(percent)) == round(product["discount_percent"]), (percent, text)
        # The model's copy waits for a person; copy built from the facts alone may go live.
        assert draft["variant"]["status"] == ("paused" if draft["origin"] == "model" else "live")


def test_writing_promos_needs_a_staff_session(web_server: str) -> None:
    response = httpx.post(f"{web_server}/api/staff/promos", json={"product_ids": [PRODUCT]})
    assert response.status_code == 401
    assert httpx.get(f"{web_server}/staff/analytics", follow_redirects=False).status_code == 303


def test_a_live_variant_is_served_and_its_clicks_are_counted(
    web_server: str, staff: httpx.Client, written: list[dict]
) -> None:
    promo_id = written[0]["variant"]["id"]
    assert staff.post(f"/api/staff/promos/{promo_id}", json={"status": "live"}).json()["status"] == "live"
    for other in written[1:]:
        staff.post(f"/api/staff/promos/{other['variant']['id']}", json={"status": "paused"})
    headers = shopper()
    served = httpx.get(f"{web_server}/api/promos", params={"product_id": PRODUCT}, headers=headers)
    assert served.status_code == 200, served.text
    assert served.json()["promo"]["id"] == promo_id
    click = {"kind": "click", "product_id": PRODUCT, "placement": "promo", "promo_id": promo_id}
    assert httpx.post(f"{web_server}/api/events", json=click, headers=headers).status_code == 201
    results = {row["id"]: row for row in staff.get("/api/staff/analytics").json()["promos"]}
    assert results[promo_id]["impressions"] >= 1 and results[promo_id]["clicks"] >= 1
    ctr = results[promo_id]["ctr"]
    assert 0 <= ctr["low"] <= ctr["value"] <= ctr["high"] <= 1


def test_a_product_without_live_promos_serves_none(web_server: str) -> None:
    response = httpx.get(f"{web_server}/api/promos", params={"product_id": "121"}, headers=shopper())
    assert response.status_code == 204


def test_an_event_naming_an_unknown_promo_is_refused(web_server: str) -> None:
    event = {"kind": "click", "product_id": PRODUCT, "placement": "promo", "promo_id": "no-such-promo"}
    response = httpx.post(f"{web_server}/api/events", json=event, headers=shopper())
    assert response.status_code == 422 and "no-such-promo" in response.json()["detail"]


def test_the_owner_sees_recommendation_click_through_and_chat_outcomes(web_server: str, staff: httpx.Client) -> None:
    before = staff.get("/api/staff/analytics").json()
    headers = shopper()
    picks = httpx.get(f"{web_server}/api/recommendations", params={"k": 3}, headers=headers).json()
    click = {"kind": "click", "product_id": picks[0]["product"]["id"], "placement": "recommendation"}
    httpx.post(f"{web_server}/api/events", json=click, headers=headers)
    chat(web_server, "I want to talk to a person", headers)
    after = staff.get("/api/staff/analytics").json()
    assert after["recommendations"]["impressions"] == before["recommendations"]["impressions"] + 3
    assert after["recommendations"]["clicks"] == before["recommendations"]["clicks"] + 1
    assert after["chat"]["handed_off"] == before["chat"]["handed_off"] + 1
