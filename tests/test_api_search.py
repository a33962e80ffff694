"""The HTTP API of a real `aisle serve` process: search, product details, clear errors."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.server


def test_home_page_and_health(web_server: str) -> None:
    assert "<form" in httpx.get(f"{web_server}/").text
    health = httpx.get(f"{web_server}/api/health").json()
    assert health["status"] == "ok"
    assert health["products"] == 40 and health["policy_passages"] > 0
    assert health["embedder"] == "e5-small"


def test_search_reads_filters_from_the_query(web_server: str) -> None:
    body = httpx.get(f"{web_server}/api/products/search", params={"q": "wireless earbuds under 100"}).json()
    assert body["filters"]["max_price"] == 100
    assert body["filters"]["description"] == "under $100"
    assert body["results"][0]["product"]["title"] == "Beats Flex Wireless Earphones"
    assert all(hit["product"]["price"] <= 100 for hit in body["results"])


def test_search_with_explicit_filters(web_server: str) -> None:
    params = {"q": "phone", "brand": ["Samsung"], "in_stock": "true", "k": "5"}
    body = httpx.get(f"{web_server}/api/products/search", params=params).json()
    assert body["results"]
    for hit in body["results"]:
        assert hit["product"]["brand"] == "Samsung" and hit["product"]["in_stock"]
    assert "Samsung Galaxy S8" not in [hit["product"]["title"] for hit in body["results"]]  # sold out


def test_product_details_and_unknown_product(web_server: str) -> None:
    product = httpx.get(f"{web_server}/api/products/107").json()
    assert product["title"] == "Beats Flex Wireless Earphones"
    assert product["price"] == 49.99 and product["return_policy"] and product["reviews"]
    missing = httpx.get(f"{web_server}/api/products/no-such-thing")
    assert missing.status_code == 404
    assert "no product with id 'no-such-thing'" in missing.json()["detail"]


def test_bad_requests_say_what_to_change(web_server: str) -> None:
    params = {"q": "phone", "min_price": 500, "max_price": 100}
    swapped = httpx.get(f"{web_server}/api/products/search", params=params)
    assert swapped.status_code == 422
    assert "swap min_price and max_price" in swapped.json()["detail"]
    assert httpx.get(f"{web_server}/api/products/search", params={"q": ""}).status_code == 422
    assert httpx.get(f"{web_server}/api/products/search", params={"q": "x", "mode": "magic"}).status_code == 422


def test_policy_search(web_server: str) -> None:
    passages = httpx.get(f"{web_server}/api/policies/search", params={"q": "can I cancel my order?"}).json()
    assert passages[0]["policy"] == "Returns and refunds" and "cancelled" in passages[0]["text"]
