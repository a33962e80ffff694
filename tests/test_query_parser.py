"""What a shopper types becomes the right filters, and nothing else does."""

from __future__ import annotations

import pytest

from knowledge import Product
from retrieval import QueryParser, SearchFilters

PARSER = QueryParser(brands=["Apple", "Samsung", "Calvin Klein"])


@pytest.mark.parametrize(
    ("query", "text", "filters"),
    [
        ("wireless earbuds under 100", "wireless earbuds", SearchFilters(max_price=100)),
        ("running shoes under $80", "running shoes", SearchFilters(max_price=80)),
        ("laptops below 1,000 dollars", "laptops", SearchFilters(max_price=1000)),
        ("tv under 1.5k", "tv", SearchFilters(max_price=1500)),
        ("phones between $200 and $500", "phones", SearchFilters(min_price=200, max_price=500)),
        ("$20-$50 gift", "gift", SearchFilters(min_price=20, max_price=50)),
        ("watch over $50", "watch", SearchFilters(min_price=50)),
        ("in stock laptops", "laptops", SearchFilters(in_stock=True)),
        ("cheap shoes that are in stock", "cheap shoes", SearchFilters(in_stock=True)),
        (
            "samsung phone under $500 in stock",
            "samsung phone",
            SearchFilters(max_price=500, brands=("Samsung",), in_stock=True),
        ),
        ("Calvin Klein perfume", "Calvin Klein perfume", SearchFilters(brands=("Calvin Klein",))),
        ("100美元以下的耳机", "耳机", SearchFilters(max_price=100)),
        ("低于50元的口红", "口红", SearchFilters(max_price=50)),
        ("50到100元的鞋", "鞋", SearchFilters(min_price=50, max_price=100)),
        ("有货的笔记本电脑", "笔记本电脑", SearchFilters(in_stock=True)),
    ],
)
def test_constraints_become_filters(query: str, text: str, filters: SearchFilters) -> None:
    parsed = PARSER.parse(query)
    assert (parsed.text, parsed.filters) == (text, filters)


@pytest.mark.parametrize(
    "query",
    ["dumbbells less than 5 kg", "size 8 to 10 shoes", "ships in 2-3 days", "table for 4 people", "iphone 13-15"],
)
def test_sizes_durations_and_model_numbers_are_not_prices(query: str) -> None:
    assert PARSER.parse(query) == (PARSER.parse(query).__class__(text=query, filters=SearchFilters()))


def test_brand_that_is_also_a_common_word_stays_search_text() -> None:
    catalog = [
        Product(id="1", title="iPhone 13", brand="Apple", price=999),
        Product(id="2", title="Green Apple", description="Fresh crisp apple", category="groceries", price=1.5),
        Product(id="3", title="Galaxy S10", brand="Samsung", price=699),
        Product(id="4", title="Off White Sneakers", brand="Off White", price=300),
        Product(id="5", title="White Linen Shirt", description="Off-duty white shirt", price=40),
    ]
    parser = QueryParser.for_catalog(catalog)
    assert parser.parse("apple").filters.brands == ()
    assert parser.parse("off white shirt").filters.brands == ()
    assert parser.parse("samsung galaxy").filters.brands == ("Samsung",)


def test_filters_describe_themselves_for_people() -> None:
    assert SearchFilters(max_price=80, in_stock=True, brands=("Nike",)).describe() == "under $80, in stock, brand Nike"


def test_impossible_price_range_is_refused_with_a_reason() -> None:
    with pytest.raises(ValueError, match=r"min_price 50\.0 is above max_price 20\.0"):
        SearchFilters(min_price=50.0, max_price=20.0)
