"""Follow-up questions: "how much is it?", "is the cheaper one in stock?", "when will it arrive?".

A follow-up names nothing; it points back at what the last answer showed. Each stored
answer keeps the products it showed (as cards) and the orders it discussed; this module
finds the pointing words and picks what they point at.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge import Message, Order, Product

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "第一": 0,
    "第二": 1,
    "第三": 2,
    "第四": 3,
    "第五": 4,
}
_ORDINAL = re.compile(r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th)\b|(第[一二三四五])", re.I)
_LAST = re.compile(r"\b(?:the\s+)?last\s+one\b|最后一个", re.I)
_CHEAPER = re.compile(r"\b(?:cheaper|cheapest|less expensive|lower[- ]priced|most affordable)\b|便宜", re.I)
_PRICIER = re.compile(r"\b(?:more expensive|most expensive|pricier|priciest|higher[- ]priced)\b|贵", re.I)
_BETTER = re.compile(r"\b(?:better|best|highest)[- ]rated\b|评分(?:更)?高", re.I)
_POINTING = re.compile(
    r"\b(?:it|its|it's|this|that|these|those|them|they|one|ones|either|both|same)\b|它|这个|那个|这款|那款|这些|那些|两个",
    re.I,
)


@dataclass(frozen=True)
class FollowUp:
    """What a follow-up points at: products from the last answer, or its order."""

    products: list[Product]
    orders: list[Order]

    @property
    def empty(self) -> bool:
        return not self.products and not self.orders


def points_back(message: str) -> bool:
    """Does the message lean on the previous answer ("it", "the cheaper one", "第二个")?"""
    return bool(
        _POINTING.search(message)
        or _ORDINAL.search(message)
        or _LAST.search(message)
        or _CHEAPER.search(message)
        or _PRICIER.search(message)
        or _BETTER.search(message)
    )


def last_focus(history: Sequence[Message]) -> tuple[list[str], list[str]]:
    """Product and order ids of the latest answer that showed any."""
    for message in reversed(history):
        if message.role in {"assistant", "staff"} and (message.product_ids or message.order_ids):
            return list(message.product_ids), list(message.order_ids)
    return [], []


def resolve(message: str, products: Sequence[Product], orders: Sequence[Order]) -> FollowUp:
    """Narrow the last answer's products to the ones the message points at."""
    chosen = list(products)
    if chosen:
        ordinal = _ORDINAL.search(message)
        if ordinal:
            index = _ORDINALS[(ordinal.group(1) or ordinal.group(2)).lower()]
            chosen = [chosen[index]] if index < len(chosen) else chosen
        elif _LAST.search(message):
            chosen = [chosen[-1]]
        elif _CHEAPER.search(message):
            chosen = [min(chosen, key=lambda p: p.price)]
        elif _PRICIER.search(message):
            chosen = [max(chosen, key=lambda p: p.price)]
        elif _BETTER.search(message):
            chosen = [max(chosen, key=lambda p: p.rating or 0)]
    return FollowUp(products=chosen, orders=list(orders))
