"""The agent's tools: typed functions over the store's facts, one job each.

A tool's docstring is its description (what it does for the shopper, then `Args:`), and
its JSON schema comes from the signature and docstring (`transformers.utils.get_json_schema`),
so there is no second, hand-written description to drift. Identity is never an argument:
order and profile tools act for the signed-in shopper of the turn, so asking about
another customer's order finds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge import Customer, Order, Product, StoreDatabase
from retrieval import PolicyHit, PolicySearch, PolicySentence, ProductSearch, SearchFilters, SearchResult


@dataclass(frozen=True)
class Shopper:
    """Who the turn is for: a signed-in customer and/or an anonymous browser session."""

    customer_id: str | None = None
    session_id: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.customer_id is not None


@dataclass(frozen=True)
class Tool:
    """A tool as a model sees it: name, description, JSON schema, and the function itself."""

    name: str
    description: str
    schema: dict[str, Any]
    function: Callable[..., Any]


class ShopTools:
    """The tools, bound to one shopper for one turn.

    Example:
        >>> tools = ShopTools(db, products, policies, Shopper(customer_id="7"))
        >>> tools.get_order("#A1001")   # None unless customer 7 placed it
    """

    def __init__(self, db: StoreDatabase, products: ProductSearch, policies: PolicySearch, shopper: Shopper) -> None:
        self._db = db
        self._products = products
        self._policies = policies
        self._shopper = shopper

    @property
    def shopper(self) -> Shopper:
        return self._shopper

    def search_products(
        self,
        query: str,
        max_price: float | None = None,
        min_price: float | None = None,
        in_stock: bool = False,
        limit: int = 5,
    ) -> SearchResult:
        """Find products in the store's catalog that match what the shopper is looking for.

        Args:
            query: The shopper's words, e.g. "wireless earbuds" (price and stock phrases in it are understood too).
            max_price: Only products at or under this price.
            min_price: Only products at or over this price.
            in_stock: Only products the shopper can buy now.
            limit: How many products to return.
        """
        filters = SearchFilters(min_price=min_price, max_price=max_price, in_stock=in_stock)
        return self._products.search(query, k=limit, filters=filters)

    def get_product_details(self, product_id: str) -> Product | None:
        """Get everything the store knows about one product: price, stock, variants, terms, reviews.

        Args:
            product_id: The product's id, as returned by search_products.
        """
        return self._db.product(product_id)

    def list_my_orders(self) -> list[Order]:
        """List the signed-in shopper's own orders, newest first (empty when not signed in)."""
        if not self._shopper.signed_in:
            return []
        return self._db.orders_for_customer(self._shopper.customer_id)  # type: ignore[arg-type]

    def get_order(self, order_id: str) -> Order | None:
        """Get one of the signed-in shopper's orders by its number: status, items, dates, tracking.

        Args:
            order_id: The order number, e.g. "#A1001".
        """
        order = self._db.order(_normalise_order_id(order_id))
        # Someone else's order looks exactly like a missing one: its existence is not revealed.
        if order is None or not self._shopper.signed_in or order.customer_id != self._shopper.customer_id:
            return None
        return order

    def search_policies(self, question: str, limit: int = 3) -> list[PolicyHit]:
        """Find the store policy passages (shipping, returns, warranty, payments...) that answer a question.

        Args:
            question: The shopper's question, e.g. "how long do I have to return a jacket?".
            limit: How many passages to return.
        """
        return self._policies.search(question, k=limit)

    def quote_policy(self, question: str, limit: int = 2) -> list[PolicySentence]:
        """Quote the store policy's own sentences that best answer a question, word for word.

        Args:
            question: The shopper's question, e.g. "can I cancel an order after it shipped?".
            limit: How many sentences to quote.
        """
        return self._policies.sentences(question, k=limit)

    def get_my_profile(self) -> Customer | None:
        """Get the signed-in shopper's own profile: name, contact details, saved payment methods."""
        if not self._shopper.signed_in:
            return None
        return self._db.customer(self._shopper.customer_id)  # type: ignore[arg-type]

    def escalate_to_human(self, reason: str) -> str:
        """Hand the conversation to a person on the store's support team.

        Args:
            reason: Why a person is needed, in a few words, for the staff member who picks it up.
        """
        return reason.strip() or "shopper asked for a person"

    def as_tools(self) -> list[Tool]:
        """Every tool with its JSON schema, for a model that calls tools itself."""
        from transformers.utils import get_json_schema

        functions = [
            self.search_products,
            self.get_product_details,
            self.list_my_orders,
            self.get_order,
            self.search_policies,
            self.quote_policy,
            self.get_my_profile,
            self.escalate_to_human,
        ]
        tools = []
        for function in functions:
            schema = get_json_schema(function)
            tools.append(Tool(function.__name__, schema["function"]["description"], schema, function))
        return tools


def _normalise_order_id(order_id: str) -> str:
    """ "a1001", "#A1001" and " #a1001 " all name order #A1001."""
    cleaned = order_id.strip().upper()
    return cleaned if cleaned.startswith("#") else f"#{cleaned}"
