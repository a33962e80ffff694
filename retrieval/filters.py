"""Search filters: price range, category, brand, in stock.

One definition, applied two ways that must agree: `matches` for in-memory candidates
(the lexical side) and `to_where` for Chroma (the dense side).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from knowledge import Product


def _key(text: str | None) -> str:
    return (text or "").strip().casefold()


@dataclass(frozen=True)
class SearchFilters:
    """Hard constraints on which products a search may return.

    Prices are inclusive bounds on the product's price (for products with variants, the
    lowest buyable variant price). Categories and brands match case-insensitively; a
    product matches when it has any of the listed ones.
    """

    min_price: float | None = None
    max_price: float | None = None
    categories: tuple[str, ...] = field(default=())
    brands: tuple[str, ...] = field(default=())
    in_stock: bool = False

    def __post_init__(self) -> None:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price {self.min_price} is above max_price {self.max_price}")

    @property
    def is_empty(self) -> bool:
        return self == SearchFilters()

    def combined_with(self, other: SearchFilters) -> SearchFilters:
        """`other`'s constraints where it sets them (explicit filters beat parsed ones)."""
        return replace(
            self,
            min_price=other.min_price if other.min_price is not None else self.min_price,
            max_price=other.max_price if other.max_price is not None else self.max_price,
            categories=other.categories or self.categories,
            brands=other.brands or self.brands,
            in_stock=self.in_stock or other.in_stock,
        )

    def matches(self, product: Product) -> bool:
        if self.min_price is not None and product.price < self.min_price:
            return False
        if self.max_price is not None and product.price > self.max_price:
            return False
        if self.categories and _key(product.category) not in {_key(c) for c in self.categories}:
            return False
        if self.brands and _key(product.brand) not in {_key(b) for b in self.brands}:
            return False
        return not (self.in_stock and not product.in_stock)

    def to_where(self) -> dict[str, Any] | None:
        """The same constraints as a Chroma `where` over `product_metadata` fields."""
        clauses: list[dict[str, Any]] = []
        if self.min_price is not None:
            clauses.append({"price": {"$gte": float(self.min_price)}})
        if self.max_price is not None:
            clauses.append({"price": {"$lte": float(self.max_price)}})
        if self.categories:
            clauses.append({"category_key": {"$in": sorted({_key(c) for c in self.categories})}})
        if self.brands:
            clauses.append({"brand_key": {"$in": sorted({_key(b) for b in self.brands})}})
        if self.in_stock:
            clauses.append({"in_stock": True})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def describe(self) -> str:
        """For people: "under $80, in stock, brand Apple"."""
        parts = []
        if self.min_price is not None and self.max_price is not None:
            parts.append(f"${self.min_price:g}–${self.max_price:g}")
        elif self.max_price is not None:
            parts.append(f"under ${self.max_price:g}")
        elif self.min_price is not None:
            parts.append(f"over ${self.min_price:g}")
        if self.in_stock:
            parts.append("in stock")
        if self.categories:
            parts.append("category " + " or ".join(self.categories))
        if self.brands:
            parts.append("brand " + " or ".join(self.brands))
        return ", ".join(parts)


def product_metadata(product: Product) -> dict[str, str | float | bool]:
    """What Chroma stores beside a product's vector, for `SearchFilters.to_where`."""
    return {
        "price": float(product.price),
        "in_stock": product.in_stock,
        "category_key": _key(product.category),
        "brand_key": _key(product.brand),
    }
