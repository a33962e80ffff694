"""Customers: who they are and how they pay, without any secret."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import EmailStr, Field, field_validator

from knowledge._fields import Fact, Id, Money, Text, UtcDatetime


class Address(Fact):
    line1: Text = ""
    line2: Text = ""
    city: Text = ""
    state: Text = ""
    postal_code: Text = ""
    country: Text = ""

    def one_line(self) -> str:
        parts = [self.line1, self.line2, self.city, f"{self.state} {self.postal_code}".strip(), self.country]
        return ", ".join(part for part in parts if part)


class PaymentMethod(Fact):
    """A saved way to pay, as a label only: a card is its brand and last four digits."""

    id: Id
    kind: Literal["card", "paypal", "gift_card", "other"]
    brand: str | None = None
    last_four: str | None = Field(default=None, pattern=r"^\d{4}$")
    balance: Money | None = None

    def label(self) -> str:
        if self.kind == "card":
            return f"{self.brand or 'card'} ending {self.last_four or '????'}"
        if self.kind == "gift_card" and self.balance is not None:
            return f"gift card (balance {self.balance:.2f})"
        return self.kind.replace("_", " ")


# A run of 13-19 digits is a card number; a store export must not put one in our database.
_CARD_NUMBER = re.compile(r"\d(?:[ -]?\d){12,18}")


class Customer(Fact):
    """A shopper with an account at the store."""

    id: Id
    name: Text = Field(min_length=1)
    email: EmailStr | None = None
    phone: str | None = None
    address: Address | None = None
    created_at: UtcDatetime | None = None
    payment_methods: list[PaymentMethod] = Field(default_factory=list)

    @field_validator("name", "phone")
    @classmethod
    def _no_card_numbers(cls, value: str | None) -> str | None:
        if value and _CARD_NUMBER.search(value) and len(re.sub(r"\D", "", value)) >= 13:
            raise ValueError("looks like a card number; store only a card's last four digits")
        return value
