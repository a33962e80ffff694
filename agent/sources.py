"""Numbered sources: the facts a turn may state, as the prompt shows them and as typed values.

The prompt presents each source as one compact line of data (`[1] Beats Flex ... | price
$49.99 | ...`). The grounding check reads the typed object behind it, never the line, so
a number that appears only in free text (a description saying "90% off") is not a fact
the answer may state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from knowledge import Citation, Customer, Order, PolicyPassage, Product, Variant

# Free text is cut to keep a turn's prompt near 600 tokens (prefill ~0.8 s here).
_DESCRIPTION_CHARS = 150
_PASSAGE_CHARS = 700
# Variants listed per product; the ones the question names are listed first.
_VARIANTS_SHOWN = 6

SourceKind = Literal["product", "policy", "order", "profile"]


@dataclass(frozen=True)
class Source:
    number: int
    kind: SourceKind
    ref: str
    label: str
    text: str
    product: Product | None = None
    order: Order | None = None
    passage: PolicyPassage | None = None
    customer: Customer | None = None

    def citation(self) -> Citation:
        return Citation(kind=self.kind, ref=self.ref, label=self.label)


def money(amount: float, currency: str = "USD") -> str:
    return f"${amount:,.2f}" if currency == "USD" else f"{amount:,.2f} {currency}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


_CHEAPEST = re.compile(r"\b(?:cheap\w*|lowest|least expensive|budget)\b|便宜|最低", re.I)
_DEAREST = re.compile(r"\b(?:most expensive|priciest|highest|premium)\b|最贵|最高", re.I)


def _relevant_variants(product: Product, focus: str) -> list[Variant]:
    """The variants worth listing for the question: those it names ("blue", "size M") first;
    for "the cheapest option", the cheapest first; otherwise those in stock first."""
    named = {v.id for v in product.variants_named_in(focus)}
    if _CHEAPEST.search(focus):
        return sorted(product.variants, key=lambda v: (v.id not in named, v.price))
    if _DEAREST.search(focus):
        return sorted(product.variants, key=lambda v: (v.id not in named, -v.price))
    return sorted(product.variants, key=lambda v: (v.id not in named, not v.in_stock))


def product_line(product: Product, focus: str = "") -> str:
    parts = [product.title]
    if product.brand:
        parts.append(f"brand {product.brand}")
    price = f"price {money(product.price, product.currency)}"
    if product.discount_percent:
        price += f" ({product.discount_percent:g}% off: {money(product.sale_price, product.currency)})"
    parts.append(price)
    if product.variants:
        buyable = [v for v in product.variants if v.in_stock]
        parts.append(f"{len(buyable)} of {len(product.variants)} variants in stock")
        for variant in _relevant_variants(product, focus)[:_VARIANTS_SHOWN]:
            state = "in stock" if variant.in_stock else "out of stock"
            parts.append(f"{variant.label()}: {money(variant.price, product.currency)}, {state}")
    elif product.stock is not None:
        parts.append(f"in stock: {product.stock}" if product.in_stock else "out of stock")
    else:
        parts.append("in stock" if product.in_stock else "out of stock")
    if product.rating is not None:
        parts.append(f"rating {product.rating:g}/5")
    for label, value in (
        ("warranty", product.warranty),
        ("shipping", product.shipping),
        ("returns", product.return_policy),
    ):
        if value:
            parts.append(f"{label}: {value}")
    if product.min_order_quantity and product.min_order_quantity > 1:
        parts.append(f"minimum order {product.min_order_quantity}")
    if product.description:
        parts.append(_clip(product.description, _DESCRIPTION_CHARS))
    return " | ".join(parts)


def order_line(order: Order) -> str:
    parts = [f"Order {order.id}", f"status {order.status}", f"placed {order.created_at.date().isoformat()}"]
    for label, when in (
        ("shipped", order.shipped_at),
        ("delivered", order.delivered_at),
        ("estimated delivery", order.estimated_delivery),
    ):
        if when:
            parts.append(f"{label} {when.date().isoformat()}")
    items = "; ".join(
        f"{item.quantity} x {item.title}"
        + (f" ({', '.join(item.options.values())})" if item.options else "")
        + f" at {money(item.unit_price, order.currency)}"
        for item in order.items
    )
    parts.append(f"items: {items}")
    parts.append(f"total {money(order.total or 0, order.currency)}")
    for shipment in order.shipments:
        parts.append(f"tracking {shipment.carrier + ' ' if shipment.carrier else ''}{shipment.tracking_id}")
    refunds = [p for p in order.payments if p.kind == "refund"]
    if refunds:
        parts.append("refunded " + ", ".join(money(p.amount, order.currency) for p in refunds))
    return " | ".join(parts)


def profile_line(customer: Customer) -> str:
    parts = [f"Customer {customer.name}"]
    if customer.email:
        parts.append(f"email {customer.email}")
    if customer.address:
        parts.append(f"address {customer.address.one_line()}")
    if customer.payment_methods:
        parts.append("payment methods: " + ", ".join(m.label() for m in customer.payment_methods))
    return " | ".join(parts)


class SourceList:
    """Sources in the order they are numbered for the prompt."""

    def __init__(self) -> None:
        self.items: list[Source] = []

    def __len__(self) -> int:
        return len(self.items)

    def _add(self, **fields: object) -> Source:
        source = Source(number=len(self.items) + 1, **fields)  # type: ignore[arg-type]
        self.items.append(source)
        return source

    def add_product(self, product: Product, focus: str = "") -> Source:
        """Add a product; `focus` (the question) decides which of its variants are shown."""
        return self._add(
            kind="product", ref=product.id, label=product.title, text=product_line(product, focus), product=product
        )

    def add_order(self, order: Order) -> Source:
        return self._add(kind="order", ref=order.id, label=f"Order {order.id}", text=order_line(order), order=order)

    def add_passage(self, passage: PolicyPassage) -> Source:
        text = f"{passage.heading()}: {_clip(passage.text, _PASSAGE_CHARS)}"
        return self._add(kind="policy", ref=passage.id, label=passage.heading(), text=text, passage=passage)

    def add_profile(self, customer: Customer) -> Source:
        return self._add(
            kind="profile", ref=customer.id, label="Your profile", text=profile_line(customer), customer=customer
        )

    def products(self) -> list[Product]:
        return [s.product for s in self.items if s.product is not None]

    def orders(self) -> list[Order]:
        return [s.order for s in self.items if s.order is not None]

    def numbered(self) -> str:
        return "\n".join(f"[{s.number}] {s.text}" for s in self.items)

    def by_number(self, number: int) -> Source | None:
        return self.items[number - 1] if 1 <= number <= len(self.items) else None
