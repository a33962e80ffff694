"""Did the answer state what was asked? If not, add the fact from the data.

A small model often answers around the question ("these earbuds are comfortable") and
leaves out the one fact asked for. When the question asks for a price, stock, a product
term (warranty, returns, shipping) or an order's status or tracking number, and the
answer doesn't state it, the fact is appended from the source, cited, in the shopper's
language.
"""

from __future__ import annotations

import re

from agent.grounding import extract_claims, split_sentences
from agent.language import Language
from agent.replies import product_terms, variant_facts
from agent.sources import Source, money
from knowledge import Order, Product

_ASKS = {
    "price": re.compile(r"\b(?:how much|price|prices|cost|costs|pricing)\b|多少钱|价格|价钱|几块", re.I),
    "stock": re.compile(r"\b(?:in stock|stock|available|availability|sold out)\b|有货|库存|缺货|有没有货", re.I),
    "status": re.compile(r"\b(?:where|status|arrive|arrived|delivered|shipped|when)\b|到哪|状态|送达|发货了", re.I),
    "tracking": re.compile(r"\btrack(?:ing)?\b|快递单号|运单号|物流单号", re.I),
}


def _stock_sentence(product: Product, number: int, language: Language) -> str:
    if language == "zh":
        state = "有货" if product.in_stock else "缺货"
        return f"{product.title}目前{state} [{number}]。"
    state = "in stock" if product.in_stock else "out of stock"
    if product.in_stock and product.stock is not None and not product.variants:
        state += f" ({product.stock} left)"
    return f"{product.title} is {state} [{number}]."


def _price_sentence(product: Product, number: int, language: Language) -> str:
    price = money(product.price, product.currency)
    return (
        f"{product.title}的价格是{price} [{number}]。"
        if language == "zh"
        else f"{product.title} costs {price} [{number}]."
    )


def _order_sentence(order: Order, number: int, language: Language, tracking: bool) -> str:
    if tracking and order.shipments:
        ids = ", ".join(f"{s.carrier + ' ' if s.carrier else ''}{s.tracking_id}" for s in order.shipments)
        return (
            f"订单{order.id}的运单号：{ids} [{number}]。"
            if language == "zh"
            else f"Tracking for order {order.id}: {ids} [{number}]."
        )
    return (
        f"订单{order.id}的状态：{order.status} [{number}]。"
        if language == "zh"
        else f"Order {order.id} is {order.status} [{number}]."
    )


def missing_facts(question: str, answer: str, sources: list[Source], language: Language) -> list[str]:
    """Sentences stating the asked-for facts the answer leaves out (empty when it has them all)."""
    asked = {topic for topic, pattern in _ASKS.items() if pattern.search(question)}
    claims = [c for sentence in split_sentences(answer) for c in extract_claims(sentence)]
    kinds = {c.kind for c in claims}
    lowered = answer.lower()
    additions: list[str] = []
    product_sources = [s for s in sources if s.product is not None]
    # Every product the question names by title ("the S8 and the S10"), else the first one.
    products = [s for s in product_sources if s.product.title.lower() in question.lower()] or product_sources[:1]
    orders = [s for s in sources if s.order is not None][:1]
    for source in products:
        product = source.product
        assert product is not None
        variants = product.variants_named_in(question)
        # A product the answer doesn't name has none of its facts stated, whatever else is.
        named = product.title.lower() in lowered or len(products) == 1
        missing_price = "price" in asked and ("money" not in kinds or not named)
        missing_stock = "stock" in asked and (not kinds & {"in_stock", "out_of_stock", "stock_count"} or not named)
        if variants and (missing_price or missing_stock):
            additions.append(variant_facts(product, variants, source.number, language))
        else:
            if missing_price:
                additions.append(_price_sentence(product, source.number, language))
            if missing_stock:
                additions.append(_stock_sentence(product, source.number, language))
        additions.extend(product_terms(product, question, source.number, language, already_said=answer))
    for source in orders:
        order = source.order
        assert order is not None
        if "tracking" in asked and order.shipments and not any(s.tracking_id in answer for s in order.shipments):
            additions.append(_order_sentence(order, source.number, language, tracking=True))
        elif "status" in asked and order.status not in lowered:
            additions.append(_order_sentence(order, source.number, language, tracking=False))
    return additions
