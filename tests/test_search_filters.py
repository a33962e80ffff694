"""Searches find the right products and never break the shopper's constraints."""

from __future__ import annotations

import pytest

from retrieval import SEARCH_MODES, SearchFilters
from ui.services import Services


def titles(result) -> list[str]:
    return [hit.product.title for hit in result.hits]


def test_wireless_earbuds_under_100_finds_earphones_within_budget(demo: Services) -> None:
    result = demo.products.search("wireless earbuds under 100", k=10)
    assert result.filters.max_price == 100
    assert "Beats Flex Wireless Earphones" in titles(result)[:3]
    assert all(hit.product.price <= 100 for hit in result.hits)
    assert "Apple Airpods" not in titles(result)  # 129.99: over the budget


@pytest.mark.parametrize("mode", SEARCH_MODES)
def test_no_product_over_the_price_cap_in_any_mode(demo: Services, mode: str) -> None:
    for query in ["laptop under $1500", "smartphone below 300 dollars", "watch under 100", "sofa under $500"]:
        result = demo.products.search(query, k=20, mode=mode)  # type: ignore[arg-type]
        cap = result.filters.max_price
        assert cap is not None
        assert all(hit.product.price <= cap for hit in result.hits), (query, mode)


@pytest.mark.parametrize("mode", SEARCH_MODES)
def test_in_stock_excludes_every_out_of_stock_product(demo: Services, mode: str) -> None:
    sold_out = {p.id for p in demo.catalog.current().products if not p.in_stock}
    assert sold_out, "the demo store has out-of-stock products to test with"
    # These queries aim straight at the sold-out products (a Samsung Galaxy S8, a volleyball...).
    for query in ["samsung galaxy s8 in stock", "volleyball in stock", "gold watch for women, in stock"]:
        result = demo.products.search(query, k=20, mode=mode)  # type: ignore[arg-type]
        assert result.filters.in_stock
        if mode != "lexical":  # BM25 alone may have no other volleyball to offer
            assert result.hits, query
        assert not {hit.product.id for hit in result.hits} & sold_out, (query, mode)


def test_without_the_stock_filter_sold_out_products_are_still_findable(demo: Services) -> None:
    result = demo.products.search("Samsung Galaxy S8", k=3)
    assert titles(result)[0] == "Samsung Galaxy S8"
    assert not result.hits[0].product.in_stock


def test_explicit_filters_category_brand_and_price_range(demo: Services) -> None:
    filters = SearchFilters(min_price=200, max_price=400, categories=("Smartphones",), brands=("Oppo", "Vivo"))
    result = demo.products.search("phone", k=20, filters=filters)
    assert result.hits
    for hit in result.hits:
        assert 200 <= hit.product.price <= 400
        assert hit.product.category == "smartphones"
        assert hit.product.brand in {"Oppo", "Vivo"}


def test_brand_named_in_the_query_filters_to_that_brand(demo: Services) -> None:
    result = demo.products.search("samsung phone", k=10)
    assert result.filters.brands == ("Samsung",)
    assert result.hits and {hit.product.brand for hit in result.hits} == {"Samsung"}


def test_misspelled_query_still_finds_the_product(demo: Services) -> None:
    assert "Beats Flex Wireless Earphones" in titles(demo.products.search("wireles earphnes", k=5))
    assert "Apple MacBook Pro 14 Inch Space Grey" in titles(demo.products.search("macbok pro", k=3))


def test_chinese_query_finds_english_products(demo: Services) -> None:
    result = demo.products.search("笔记本电脑", k=5)  # "laptop"
    assert sum(hit.product.category == "laptops" for hit in result.hits) >= 3


def test_filters_only_query_returns_matching_products(demo: Services) -> None:
    result = demo.products.search("in stock under $10", k=10)
    assert result.hits
    assert all(hit.product.price <= 10 and hit.product.in_stock for hit in result.hits)


def test_policy_search_finds_the_passages_that_answer(demo: Services) -> None:
    # The agent quotes the top three passages, so the answer must be among them.
    def top3(question: str) -> list[str]:
        return [hit.passage.id for hit in demo.policies.search(question, k=3)]

    assert "returns#return-windows" in top3("how many days do I have to return an item?")
    assert "shipping#shipping-times" in top3("how long does delivery take")
    assert top3("can I cancel my order")[0] == "returns#cancelling-an-order"
    assert all(pid.startswith("warranty#") for pid in top3("is there a warranty"))
