"""DummyJSON (products.json, users.json, carts.json) to a store folder.

Products keep their per-product warranty, shipping and return-policy strings; customers
keep only name and contact details (DummyJSON's fake passwords, cards, IBANs, SSNs, ...
are secrets and are never read into a row); each cart becomes one order whose dates,
status, carrier and tracking number are synthesized; shopper events are derived from the
orders and the reviews; the three policies are written from the product data.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from knowledge.catalog import Product, Review
from knowledge.converters._writing import (
    ConvertSummary,
    copy_license,
    natural_key,
    prepare_dest,
    random_span,
    shipping_dates,
    sorted_events,
    start_of,
    tracking_number,
    write_jsonl,
    write_source_md,
    write_text,
)
from knowledge.customers import Address, Customer
from knowledge.events import Event
from knowledge.orders import Order, OrderItem, OrderStatus, Payment, Shipment

KIND = "dummyjson"
CARRIERS = ("UPS", "FedEx", "USPS")
# Order history spreads over this many days before as_of.
HISTORY_DAYS = 200
# Every cart whose id is a multiple of this is a cancelled order, so the store has some.
CANCEL_EVERY = 17


def convert(source: Path, dest: Path, as_of: date) -> ConvertSummary:
    """Write the DummyJSON data set in `source` as a store folder at `dest`."""
    raw_products = _read_json(source / "products.json")
    raw_users = _read_json(source / "users.json")
    raw_carts = _read_json(source / "carts.json")

    products = sorted((_product(raw) for raw in raw_products), key=lambda p: natural_key(p.id))
    customers = sorted((_customer(raw) for raw in raw_users), key=lambda c: natural_key(c.id))
    by_id = {customer.id: customer for customer in customers}
    now = start_of(as_of)
    orders = sorted((_order(cart, by_id[str(cart["userId"])], now) for cart in raw_carts), key=lambda o: o.id)
    events = sorted_events([*_order_events(orders), *_review_events(raw_products, customers)])

    prepare_dest(dest)
    counts = {
        "products": write_jsonl(dest / "products.jsonl", products),
        "variants": sum(len(product.variants) for product in products),
        "customers": write_jsonl(dest / "customers.jsonl", customers),
        "orders": write_jsonl(dest / "orders.jsonl", orders),
        "events": write_jsonl(dest / "events.jsonl", events),
        "policies": _write_policies(dest / "policies", products, orders),
    }
    copy_license(source, dest)
    write_source_md(
        dest,
        title="Demo store (converted from DummyJSON)",
        source=source,
        kind=KIND,
        as_of=as_of,
        converted=_CONVERTED,
        synthesized=_SYNTHESIZED,
        counts=counts,
    )
    return ConvertSummary(kind=KIND, dest=dest, counts=counts)


_CONVERTED = """
- `products.json` -> `products.jsonl`: id, title, description, category, brand (when present), price,
  discountPercentage -> discount_percent, stock, rating, tags, sku, warrantyInformation -> warranty,
  shippingInformation -> shipping, returnPolicy -> return_policy, minimumOrderQuantity ->
  min_order_quantity, thumbnail -> image_url (remote CDN URL, not downloaded); attributes: weight (as
  given; no unit upstream), dimensions (`width x height x depth (W x H x D)`), barcode, availability
  (availabilityStatus). Reviews keep rating, comment, date and reviewerName as author; the reviewer
  e-mail is dropped.
- `users.json` -> `customers.jsonl`: id, "firstName lastName", email, phone, address (street, city,
  state, postal code, country). Nothing else is read: no password, bank card, IBAN, SSN, EIN, crypto
  wallet, IP, MAC address, user agent, birth date, role, university or company. No payment methods
  (the only card data upstream is a fake secret).
- `carts.json` -> `orders.jsonl`: one order per cart, id `#A{1000 + cart id}`, the cart's user, one item
  per cart line (product id, title, quantity, unit_price = the line's price), total = the cart's
  discountedTotal with one payment of that amount; shipping address = the customer's address.
- `policies/shipping.md`, `policies/returns.md`, `policies/warranty.md`: written by the converter. The
  lists of shipping times, return windows and warranty terms are computed from the products and the
  carriers from the orders; the rest is a neutral process description (no fees, prices or codes).
"""

_SYNTHESIZED = f"""
- Order dates: created_at is a seeded-random time in the {HISTORY_DAYS} days before as_of (seed
  `dummyjson-<cart id>`).
- Order status from the order's age: under 1 day pending; 1-4 days processed; 4-14 days shipped
  (shipped_at 1-3 days after ordering, estimated_delivery 2-6 days after shipping but at least 1-2 days
  after as_of, so no shipped order is late); over 14 days delivered (shipped_at 1-3 days after ordering,
  delivered_at 2-6 days after shipping). Every cart whose id is a multiple of {CANCEL_EVERY} is cancelled
  instead: no shipment, and a refund of the full payment.
- Shipments: shipped and delivered orders get one shipment with a seeded 12-digit tracking number and a
  carrier from {", ".join(CARRIERS)}, carrying all the order's products.
- Events: per product of an order, a view 1-3 days before the order, an add_to_cart 10-60 minutes before
  it and a purchase at created_at (quantity = the product's total quantity in the order); cancelled
  orders get no purchase. Per review, a view by the customer whose e-mail matches the reviewer's, at the
  review date. Identical events (same shopper, product, kind and time) are written once.
"""


def _read_json(file: Path) -> list[dict[str, Any]]:
    with file.open(encoding="utf-8") as handle:
        return json.load(handle)


# --- products --------------------------------------------------------------------------


def _product(raw: dict[str, Any]) -> Product:
    return Product(
        id=str(raw["id"]),
        title=raw["title"],
        description=raw.get("description", ""),
        category=raw.get("category", ""),
        brand=raw.get("brand"),
        price=raw["price"],
        discount_percent=raw.get("discountPercentage", 0),
        stock=raw.get("stock"),
        rating=raw.get("rating"),
        tags=raw.get("tags", []),
        sku=raw.get("sku"),
        warranty=raw.get("warrantyInformation"),
        shipping=raw.get("shippingInformation"),
        return_policy=raw.get("returnPolicy"),
        min_order_quantity=raw.get("minimumOrderQuantity"),
        image_url=raw.get("thumbnail"),
        attributes=_attributes(raw),
        reviews=[_review(review) for review in raw.get("reviews", [])],
    )


def _attributes(raw: dict[str, Any]) -> dict[str, str]:
    attributes = {}
    if raw.get("weight") is not None:
        attributes["weight"] = _number(raw["weight"])
    size = raw.get("dimensions") or {}
    if all(size.get(key) is not None for key in ("width", "height", "depth")):
        # The shopper reads the value without the schema, so it names its own order.
        sides = " x ".join(_number(size[key]) for key in ("width", "height", "depth"))
        attributes["dimensions"] = f"{sides} (W x H x D)"
    barcode = (raw.get("meta") or {}).get("barcode")
    if barcode:
        attributes["barcode"] = str(barcode)
    if raw.get("availabilityStatus"):
        attributes["availability"] = raw["availabilityStatus"]
    return attributes


def _number(value: float) -> str:
    """4 -> "4", 15.14 -> "15.14" (no trailing ".0")."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _review(raw: dict[str, Any]) -> Review:
    # reviewerEmail is deliberately not read: a review is public, the e-mail is not.
    return Review(
        rating=raw["rating"], comment=raw.get("comment", ""), date=raw.get("date"), author=raw.get("reviewerName")
    )


# --- customers -------------------------------------------------------------------------


def _customer(raw: dict[str, Any]) -> Customer:
    # Only the fields below are read; everything else in a DummyJSON user is either a
    # (fake) secret or personal data a shopping assistant has no use for.
    return Customer(
        id=str(raw["id"]),
        name=f"{raw['firstName']} {raw['lastName']}",
        email=raw.get("email"),
        phone=raw.get("phone"),
        address=_address(raw.get("address")),
    )


def _address(raw: dict[str, Any] | None) -> Address | None:
    if not raw:
        return None
    return Address(
        line1=raw.get("address", ""),
        city=raw.get("city", ""),
        state=raw.get("state", ""),
        postal_code=raw.get("postalCode", ""),
        country=raw.get("country", ""),
    )


# --- orders ----------------------------------------------------------------------------


def _order(cart: dict[str, Any], customer: Customer, now: datetime) -> Order:
    """One cart as an order, with seeded dates, status and shipment (see _SYNTHESIZED)."""
    rng = random.Random(f"{KIND}-{cart['id']}")
    created_at = now - random_span(rng, timedelta(0), timedelta(days=HISTORY_DAYS))
    items = [
        OrderItem(product_id=str(line["id"]), title=line["title"], quantity=line["quantity"], unit_price=line["price"])
        for line in cart["products"]
    ]
    total = cart["discountedTotal"]
    payments = [Payment(amount=total)]
    dates: dict[str, datetime] = {}
    shipments: list[Shipment] = []
    if cart["id"] % CANCEL_EVERY == 0:
        status: OrderStatus = "cancelled"
        payments.append(Payment(kind="refund", amount=total))
    else:
        status = _status_for_age(now - created_at)
        dates = _status_dates(rng, status, created_at, now)
        if status in ("shipped", "delivered"):
            shipments = [_shipment(rng, items)]
    return Order(
        id=f"#A{1000 + cart['id']}",
        customer_id=customer.id,
        status=status,
        created_at=created_at,
        items=items,
        total=total,
        shipping_address=customer.address,
        shipments=shipments,
        payments=payments,
        **dates,
    )


def _status_for_age(age: timedelta) -> OrderStatus:
    if age < timedelta(days=1):
        return "pending"
    if age < timedelta(days=4):
        return "processed"
    if age <= timedelta(days=14):
        return "shipped"
    return "delivered"


def _status_dates(rng: random.Random, status: OrderStatus, created_at: datetime, now: datetime) -> dict[str, datetime]:
    """shipped_at / delivered_at / estimated_delivery as the status implies."""
    if status not in ("shipped", "delivered"):
        return {}
    shipped_at, delivered_at = shipping_dates(rng, created_at)
    if status == "delivered":
        return {"shipped_at": shipped_at, "delivered_at": delivered_at}
    # An order still on its way is expected in the future, never "late" on as_of.
    earliest = now + random_span(rng, timedelta(days=1), timedelta(days=2))
    return {"shipped_at": shipped_at, "estimated_delivery": max(delivered_at, earliest)}


def _shipment(rng: random.Random, items: list[OrderItem]) -> Shipment:
    product_ids = list(dict.fromkeys(item.product_id for item in items))
    return Shipment(tracking_id=tracking_number(rng), carrier=rng.choice(CARRIERS), item_ids=product_ids)


# --- events ----------------------------------------------------------------------------


def _order_events(orders: Iterable[Order]) -> Iterable[Event]:
    """Per product of an order: view, add_to_cart and (unless cancelled) purchase."""
    for order in orders:
        rng = random.Random(f"{KIND}-events-{order.id}")
        # A product on two cart lines is one purchase of the summed quantity.
        quantities: Counter[str] = Counter()
        for item in order.items:
            quantities[item.product_id] += item.quantity
        for product_id, quantity in quantities.items():
            who = {"customer_id": order.customer_id, "product_id": product_id}
            viewed = order.created_at - random_span(rng, timedelta(days=1), timedelta(days=3))
            added = order.created_at - random_span(rng, timedelta(minutes=10), timedelta(minutes=60))
            yield Event(kind="view", ts=viewed, **who)
            yield Event(kind="add_to_cart", ts=added, quantity=quantity, **who)
            if order.status != "cancelled":
                yield Event(kind="purchase", ts=order.created_at, quantity=quantity, **who)


def _review_events(raw_products: list[dict[str, Any]], customers: list[Customer]) -> Iterable[Event]:
    """A view by each reviewer (matched by e-mail) at the review's date."""
    by_email = {customer.email.lower(): customer.id for customer in customers if customer.email}
    for raw in raw_products:
        for review in raw.get("reviews", []):
            customer_id = by_email.get(str(review.get("reviewerEmail", "")).lower())
            if customer_id and review.get("date"):
                yield Event(kind="view", ts=review["date"], customer_id=customer_id, product_id=str(raw["id"]))


# --- policies --------------------------------------------------------------------------


def _write_policies(folder: Path, products: list[Product], orders: list[Order]) -> int:
    carriers = sorted({s.carrier for order in orders for s in order.shipments if s.carrier})
    documents = {
        "shipping.md": _shipping_policy(products, carriers),
        "returns.md": _returns_policy(products),
        "warranty.md": _warranty_policy(products),
    }
    for name, text in documents.items():
        write_text(folder / name, text)
    return len(documents)


_UNIT_DAYS = {"business day": 7 / 5, "day": 1, "week": 7, "month": 30, "year": 365}
_DURATION = re.compile(r"(\d+)(?:\s*-\s*(\d+))?\s*(business day|day|week|month|year)")


def _days(term: str) -> float:
    """How long a term lasts, to order terms shortest first ("1 week" < "3 months" < "Lifetime")."""
    lowered = term.lower()
    if "overnight" in lowered:
        return 1
    if "lifetime" in lowered:
        return math.inf
    match = _DURATION.search(lowered)
    if not match:
        return math.inf
    # A range ranks by its middle: "3-5 business days" (about 5.6 days) comes before "1 week".
    low = float(match.group(1))
    high = float(match.group(2) or low)
    return (low + high) / 2 * _UNIT_DAYS[match.group(3)]


def _terms(values: Iterable[str | None], suffix: str = "") -> tuple[list[str], bool]:
    """The distinct terms in the data, shortest first and without `suffix`, and whether
    some product says "No ..." (e.g. "No return policy")."""
    distinct = {value.strip() for value in values if value and value.strip()}
    none = any(value.lower().startswith("no ") for value in distinct)
    terms = sorted((v for v in distinct if not v.lower().startswith("no ")), key=lambda v: (_days(v), v))
    return [term.removesuffix(suffix) for term in terms], none


def _either(names: list[str]) -> str:
    """["A", "B", "C"] -> "A, B or C"."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)


def _listing(terms: list[str]) -> str:
    return "\n".join(f"- {term}" for term in terms)


def _unwrap(markdown: str) -> str:
    """Join the wrapped lines of each paragraph and list item into one line.

    The templates below are wrapped to fit the source; a policy passage is quoted as text,
    where a line break inside a sentence would be noise.
    """
    return re.sub(r"(?<=\S)\n[ \t]*(?=[^\s#-])", " ", markdown)


def _shipping_policy(products: list[Product], carriers: list[str]) -> str:
    speeds, _ = _terms(product.shipping for product in products)
    carrier_text = f" ({_either(carriers)})" if carriers else ""
    return _unwrap(f"""# Shipping

## Shipping times

How soon a product ships is stated on each product page. The shipping times of the products in this
store are:

{_listing(speeds)}

## Order status

- pending: the order has been received and is waiting to be processed.
- processed: the order is being prepared; it has not shipped yet.
- shipped: the order has been handed to the carrier; it has a tracking number and an estimated delivery
  date.
- delivered: the carrier has delivered the order.
- cancelled: the order was cancelled before it shipped; nothing is sent and the payment is refunded to
  the original payment method.

## Tracking

Every shipped or delivered order has a tracking number from its carrier{carrier_text}. The order's
status shows the tracking number and carrier once the order has shipped. Pending and processed orders
have no tracking number yet.
""")


def _returns_policy(products: list[Product]) -> str:
    windows, none = _terms((product.return_policy for product in products), suffix=" return policy")
    no_return = '\n\nProducts whose page says "No return policy" cannot be returned.' if none else ""
    return _unwrap(f"""# Returns and refunds

## Return windows

The return window is set per product and stated on each product page. The return windows of the
products in this store are:

{_listing(windows)}{no_return}

## When the window starts

The return window counts from the day the order was delivered. An order that has not been delivered yet
cannot be returned; a pending or processed order can be cancelled instead.

## How to start a return

Contact the store with the order number and the items you want to return. The store checks that the
order has been delivered and that each item is still within its product's return window.

## Refunds

Refunds are paid to the original payment method of the order.

## Cancelling an order

An order can be cancelled while it is pending or processed, that is before it ships. A shipped order can
no longer be cancelled; once it is delivered, its items can be returned within their return windows.
When an order is cancelled, its payment is refunded to the original payment method.
""")


def _warranty_policy(products: list[Product]) -> str:
    terms, none = _terms((product.warranty for product in products), suffix=" warranty")
    no_warranty = '\n\nProducts whose page says "No warranty" come without a warranty.' if none else ""
    return _unwrap(f"""# Warranty

## Warranty terms

The warranty is set per product and stated on each product page. The warranty terms of the products in
this store are:

{_listing(terms)}{no_warranty}

## What the warranty covers

The warranty covers faults of the product itself, such as a defect in its materials or in how it was
made, that show during normal use within the warranty term. The term counts from the day the order was
delivered. A lifetime warranty lasts for the life of the product.

## How to make a warranty claim

Contact the store with the order number, the product and a short description of the fault.
""")
