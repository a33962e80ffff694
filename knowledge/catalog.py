"""The catalog: products, their variants and their reviews."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, model_validator

from knowledge._fields import Fact, Id, Money, Text, UtcDatetime

_WORD = re.compile(r"[a-z0-9]+")


class Variant(Fact):
    """One buyable version of a product, e.g. the blue T-shirt in size M.

    A variant has its own price and availability; `stock` is optional because many
    stores only know "available or not".
    """

    id: Id
    options: dict[str, str] = Field(default_factory=dict)
    price: Money
    available: bool = True
    stock: int | None = Field(default=None, ge=0)
    sku: str | None = None

    @property
    def in_stock(self) -> bool:
        return self.available and (self.stock is None or self.stock > 0)

    def label(self) -> str:
        """Options as a shopper reads them: "color blue, size M"."""
        return ", ".join(f"{key} {value}" for key, value in self.options.items()) or self.id


class Review(Fact):
    """A shopper's review as published on the product page (no reviewer e-mail)."""

    rating: float = Field(ge=0, le=5)
    comment: Text = ""
    date: UtcDatetime | None = None
    author: str | None = None


class Product(Fact):
    """A product as the store sells it.

    Either `price` or at least one variant is required. When variants exist, the
    product's `price` is derived: the lowest price among variants a shopper can buy now
    (or among all variants when none is in stock), so "under $80" means "buyable under
    $80".

    Example:
        >>> Product(id="42", title="Trail Runner", price=79.5, stock=3).in_stock
        True
    """

    id: Id
    title: Text = Field(min_length=1)
    description: Text = ""
    category: Text = ""
    brand: str | None = None
    price: Money
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    discount_percent: float = Field(default=0, ge=0, le=100)
    stock: int | None = Field(default=None, ge=0)
    available: bool | None = None
    rating: float | None = Field(default=None, ge=0, le=5)
    tags: list[str] = Field(default_factory=list)
    image_url: str | None = None
    url: str | None = None
    sku: str | None = None
    warranty: str | None = None
    shipping: str | None = None
    return_policy: str | None = None
    min_order_quantity: int | None = Field(default=None, ge=1)
    attributes: dict[str, str] = Field(default_factory=dict)
    variants: list[Variant] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _price_from_variants(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        raw_variants = data.get("variants") or []
        if not raw_variants:
            if data.get("price") in (None, ""):
                raise ValueError("price is required when the product has no variants")
            return data
        variants = [v if isinstance(v, Variant) else Variant.model_validate(v) for v in raw_variants]
        buyable = [v.price for v in variants if v.in_stock] or [v.price for v in variants]
        return {**data, "variants": variants, "price": min(buyable)}

    @model_validator(mode="after")
    def _unique_variant_ids(self) -> Product:
        ids = [variant.id for variant in self.variants]
        if len(set(ids)) != len(ids):
            raise ValueError("variant ids must be unique within a product")
        return self

    @property
    def in_stock(self) -> bool:
        """Whether a shopper can buy it now."""
        if self.variants:
            return any(variant.in_stock for variant in self.variants)
        if self.available is not None:
            return self.available and (self.stock is None or self.stock > 0)
        return self.stock is None or self.stock > 0

    @property
    def sale_price(self) -> float:
        """The price after the product's own discount, to the cent."""
        return round(self.price * (1 - self.discount_percent / 100), 2)

    def variant(self, variant_id: str) -> Variant | None:
        return next((v for v in self.variants if v.id == variant_id), None)

    def variants_named_in(self, text: str) -> list[Variant]:
        """The variants whose options `text` names best ("blue, size M" → the blue M ones).

        Empty when the text names none of the options. Option values are matched as whole
        words, case-insensitively ("M" matches "size M", not "mug").
        """
        words = set(_WORD.findall(text.lower()))
        scored = []
        for variant in self.variants:
            named = sum(1 for value in variant.options.values() if set(_WORD.findall(value.lower())) <= words)
            scored.append((named, variant))
        best = max((named for named, _ in scored), default=0)
        return [variant for named, variant in scored if named == best] if best else []
