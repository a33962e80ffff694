"""Orders: what a customer bought, where it is, and what was paid."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field, model_validator

from knowledge._fields import Fact, Id, Money, Text, UtcDatetime
from knowledge.customers import Address

OrderStatus = Literal[
    "pending",
    "processed",
    "shipped",
    "delivered",
    "cancelled",
    "returned",
    "refunded",
    "return requested",
    "exchange requested",
]
ORDER_STATUSES: tuple[str, ...] = get_args(OrderStatus)


class OrderItem(Fact):
    product_id: Id
    variant_id: str | None = None
    title: Text = Field(min_length=1)
    quantity: int = Field(default=1, ge=1)
    unit_price: Money
    options: dict[str, str] = Field(default_factory=dict)

    @property
    def line_total(self) -> float:
        return round(self.unit_price * self.quantity, 2)


class Shipment(Fact):
    """A parcel: its tracking number and which of the order's items it carries."""

    tracking_id: Id
    carrier: str | None = None
    url: str | None = None
    item_ids: list[str] = Field(default_factory=list)


class Payment(Fact):
    kind: Literal["payment", "refund"] = "payment"
    amount: Money
    method_id: str | None = None


class Order(Fact):
    """A customer's order. `total` defaults to the sum of its lines."""

    id: Id
    customer_id: Id
    status: OrderStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    shipped_at: UtcDatetime | None = None
    delivered_at: UtcDatetime | None = None
    estimated_delivery: UtcDatetime | None = None
    items: list[OrderItem] = Field(min_length=1)
    total: Money | None = None
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    shipping_address: Address | None = None
    shipments: list[Shipment] = Field(default_factory=list)
    payments: list[Payment] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _normalise_status(cls, data: object) -> object:
        # Exports write "Delivered" or "return_requested"; the contract is lower case.
        if isinstance(data, dict) and isinstance(data.get("status"), str):
            return {**data, "status": data["status"].strip().lower().replace("_", " ")}
        return data

    @model_validator(mode="after")
    def _default_total(self) -> Order:
        if self.total is None:
            object.__setattr__(self, "total", round(sum(i.line_total for i in self.items), 2))
        return self
