"""τ-bench retail (products.json, users.json, orders.json, policy.md) to a store folder.

Products become products with variants, users become customers with their saved payment
methods (cards as brand + last four only, as upstream), and orders keep their status,
items, tracking numbers and payment history. τ-bench orders carry no dates, so dates
consistent with each order's status are synthesized; the retail policy is copied as is.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from knowledge.catalog import Product, Variant
from knowledge.converters._writing import (
    ConvertSummary,
    copy_license,
    natural_key,
    prepare_dest,
    random_span,
    shipping_dates,
    sorted_events,
    start_of,
    write_jsonl,
    write_source_md,
    write_text,
)
from knowledge.customers import Address, Customer, PaymentMethod
from knowledge.events import Event
from knowledge.orders import Order, OrderItem, Payment, Shipment

KIND = "tau-bench"

# How old an order of each status may be, in days: old enough for what the status says
# happened (a delivered order had time to ship and arrive), young enough to be plausible.
AGE_DAYS = {
    "pending": (0, 2),
    "processed": (2, 5),
    "delivered": (10, 120),
    "cancelled": (3, 60),
}

_PAYMENT_KINDS = {"credit_card": "card", "paypal": "paypal", "gift_card": "gift_card"}


def convert(source: Path, dest: Path, as_of: date) -> ConvertSummary:
    """Write the τ-bench retail data set in `source` as a store folder at `dest`.

    Raises:
        ValueError: an order has a status other than those in AGE_DAYS (its dates could
            not be made consistent with it).
    """
    raw_products = _read_json(source / "products.json")
    raw_users = _read_json(source / "users.json")
    raw_orders = _read_json(source / "orders.json")

    products = sorted((_product(raw) for raw in raw_products.values()), key=lambda p: natural_key(p.id))
    customers = [_customer(user_id, raw_users[user_id]) for user_id in sorted(raw_users)]
    now = start_of(as_of)
    orders = [_order(raw_orders[order_id], now) for order_id in sorted(raw_orders)]
    events = sorted_events(_order_events(orders))

    prepare_dest(dest)
    write_text(dest / "policies" / "retail-policy.md", (source / "policy.md").read_text(encoding="utf-8"))
    counts = {
        "products": write_jsonl(dest / "products.jsonl", products),
        "variants": sum(len(product.variants) for product in products),
        "customers": write_jsonl(dest / "customers.jsonl", customers),
        "orders": write_jsonl(dest / "orders.jsonl", orders),
        "events": write_jsonl(dest / "events.jsonl", events),
        "policies": 1,
    }
    copy_license(source, dest)
    write_source_md(
        dest,
        title="τ-bench retail store",
        source=source,
        kind=KIND,
        as_of=as_of,
        converted=_CONVERTED,
        synthesized=_SYNTHESIZED,
        counts=counts,
    )
    return ConvertSummary(kind=KIND, dest=dest, counts=counts)


_CONVERTED = """
- `products.json` -> `products.jsonl`: product_id -> id, name -> title, category = the name in lower
  case, one variant per item (item_id -> id, options, price, available). The product's price is the
  lowest price among its available variants. The description is generated from the data: the number of
  variants (and how many are available) and each option's values.
- `users.json` -> `customers.jsonl`: user_id -> id, "first_name last_name", email, address (address1,
  address2, city, state, zip, country), payment methods: credit_card -> card (brand, last four), paypal,
  gift_card (balance); each keeps its upstream id (e.g. `credit_card_7815826`).
- `orders.json` -> `orders.jsonl`: order_id -> id, user_id -> customer_id, status as given, one item per
  upstream item (product_id, item_id -> variant_id, name -> title, price -> unit_price, options,
  quantity 1), one shipment per tracking id (with its fulfillment's item ids; no carrier upstream),
  payment_history -> payments (payment/refund, amount, payment_method_id -> method_id), address ->
  shipping_address. The total is the sum of the items (upstream, each order's first payment).
- `policy.md` -> `policies/retail-policy.md`, unchanged.
"""

_AGES = "; ".join(f"{status} {low}-{high} days" for status, (low, high) in AGE_DAYS.items())
_SYNTHESIZED = f"""
- Order dates (upstream has none), seeded per order (`tau-bench-<order id>`) and consistent with the
  given status, which is never changed. created_at lies this long before as_of:
  {_AGES}.
  Delivered orders also get shipped_at (1-3 days after ordering) and delivered_at (2-6 days after
  shipping). Times are UTC.
- Events: per item of an order, a view 1-3 days before the order and (unless the order is cancelled) a
  purchase at created_at; an item ordered twice in one order is one purchase of quantity 2.
"""


def _read_json(file: Path) -> dict[str, Any]:
    with file.open(encoding="utf-8") as handle:
        return json.load(handle)


# --- products --------------------------------------------------------------------------


def _product(raw: dict[str, Any]) -> Product:
    variants = sorted(
        (
            Variant(
                id=item["item_id"],
                options=item.get("options", {}),
                price=item["price"],
                available=item.get("available", True),
            )
            for item in raw["variants"].values()
        ),
        key=lambda v: natural_key(v.id),
    )
    name = raw["name"]
    return Product(
        id=raw["product_id"],
        title=name,
        category=name.lower(),
        description=_description(name, variants),
        variants=variants,
    )


def _description(name: str, variants: list[Variant]) -> str:
    """E.g. "T-Shirt in 12 variants (9 available). color: black, blue; size: L, M, S."."""
    values: dict[str, set[str]] = {}
    for variant in variants:
        for key, value in variant.options.items():
            values.setdefault(key, set()).add(value)
    available = sum(variant.available for variant in variants)
    noun = "variant" if len(variants) == 1 else "variants"
    text = f"{name} in {len(variants)} {noun} ({available} available)."
    options = "; ".join(f"{key}: {', '.join(sorted(found))}" for key, found in values.items())
    return f"{text} {options}." if options else text


# --- customers -------------------------------------------------------------------------


def _customer(user_id: str, raw: dict[str, Any]) -> Customer:
    name = raw.get("name", {})
    return Customer(
        id=user_id,
        name=f"{name.get('first_name', '')} {name.get('last_name', '')}".strip() or user_id,
        email=raw.get("email"),
        address=_address(raw.get("address")),
        payment_methods=[_payment_method(method) for method in raw.get("payment_methods", {}).values()],
    )


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    return Address(
        line1=raw.get("address1", ""),
        line2=raw.get("address2", ""),
        city=raw.get("city", ""),
        state=raw.get("state", ""),
        postal_code=raw.get("zip", ""),
        country=raw.get("country", ""),
    )


def _payment_method(raw: dict[str, Any]) -> PaymentMethod:
    return PaymentMethod(
        id=raw["id"],
        kind=_PAYMENT_KINDS.get(raw.get("source", ""), "other"),
        brand=raw.get("brand"),
        last_four=raw.get("last_four"),
        balance=raw.get("balance"),
    )


# --- orders ----------------------------------------------------------------------------


def _order(raw: dict[str, Any], now: datetime) -> Order:
    status = raw["status"]
    if status not in AGE_DAYS:
        expected = ", ".join(AGE_DAYS)
        raise ValueError(f"order {raw['order_id']} has status {status!r}; expected one of {expected}")
    rng = random.Random(f"{KIND}-{raw['order_id']}")
    low, high = AGE_DAYS[status]
    created_at = now - random_span(rng, timedelta(days=low), timedelta(days=high))
    dates = {}
    if status == "delivered":
        dates["shipped_at"], dates["delivered_at"] = shipping_dates(rng, created_at)
    return Order(
        id=raw["order_id"],
        customer_id=raw["user_id"],
        status=status,
        created_at=created_at,
        items=[_item(item) for item in raw["items"]],
        shipping_address=_address(raw.get("address")),
        shipments=[
            Shipment(tracking_id=tracking_id, item_ids=fulfillment.get("item_ids", []))
            for fulfillment in raw.get("fulfillments", [])
            for tracking_id in fulfillment.get("tracking_id", [])
        ],
        payments=[
            Payment(kind=entry["transaction_type"], amount=entry["amount"], method_id=entry.get("payment_method_id"))
            for entry in raw.get("payment_history", [])
        ],
        **dates,
    )


def _item(raw: dict[str, Any]) -> OrderItem:
    return OrderItem(
        product_id=raw["product_id"],
        variant_id=raw["item_id"],
        title=raw["name"],
        unit_price=raw["price"],
        options=raw.get("options", {}),
    )


# --- events ----------------------------------------------------------------------------


def _order_events(orders: Iterable[Order]) -> Iterable[Event]:
    """Per item of an order: a view 1-3 days before it and, unless cancelled, a purchase."""
    for order in orders:
        rng = random.Random(f"{KIND}-events-{order.id}")
        quantities: Counter[tuple[str, str | None]] = Counter()
        for item in order.items:
            quantities[(item.product_id, item.variant_id)] += item.quantity
        for (product_id, variant_id), quantity in quantities.items():
            who = {"customer_id": order.customer_id, "product_id": product_id, "variant_id": variant_id}
            viewed = order.created_at - random_span(rng, timedelta(days=1), timedelta(days=3))
            yield Event(kind="view", ts=viewed, **who)
            if order.status != "cancelled":
                yield Event(kind="purchase", ts=order.created_at, quantity=quantity, **who)
