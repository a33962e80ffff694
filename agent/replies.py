"""Answers written from templates: refusals, hand-offs, "we don't carry that", and the
fallback answer built straight from the facts when the model's answer fails the check.

Every value in them comes from the store's data; the wording is ours, in the shopper's
language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from agent.language import Language
from agent.sources import Source, money
from knowledge import Order, Product, Variant

_TEXT: dict[str, dict[Language, str]] = {
    "greeting": {
        "en": "Hi! I can help you find products, check your orders, and answer questions about shipping, returns "
        "and warranty. What are you looking for?",
        "zh": "您好！我可以帮您查找商品、查询订单，并解答配送、退货和保修方面的问题。请问需要什么帮助？",
    },
    "thanks": {"en": "You're welcome! Anything else I can help with?", "zh": "不客气！还有什么可以帮您的吗？"},
    "not_found": {
        "en": "Sorry, we don't carry {what}.",
        "zh": "抱歉，我们没有{what}。",
    },
    "alternatives": {"en": " The closest items we have are: {titles}.", "zh": "我们最接近的商品有：{titles}。"},
    "injection": {
        "en": "I can't change how I work or share my instructions, but I'm happy to help with products, your orders, "
        "shipping and returns.",
        "zh": "我无法更改我的工作方式，也不能透露内部指令，但很乐意帮您解答商品、订单、配送和退货方面的问题。",
    },
    "other_customer": {
        "en": "I can only help with your own account and orders, so I can't share anything about other customers.",
        "zh": "我只能协助处理您本人的账户和订单，无法提供其他客户的任何信息。",
    },
    "abuse": {
        "en": "I'm here to help. Let's keep it friendly: what can I do for you?",
        "zh": "我在这里为您提供帮助，请保持友好交流。请问有什么可以帮您？",
    },
    "off_topic": {
        "en": "I can only help with this store: its products, your orders, shipping, returns and warranty.",
        "zh": "我只能协助与本店相关的问题：商品、订单、配送、退货和保修。",
    },
    "handoff": {
        "en": "I've asked a member of our support team to join this conversation. "
        "They'll reply here as soon as they can.",
        "zh": "我已请客服同事加入本次对话，他们会尽快在这里回复您。",
    },
    "handoff_failing": {
        "en": "I'm sorry I couldn't sort this out. I've asked a member of our support team to join; they'll reply here "
        "as soon as they can.",
        "zh": "抱歉我没能解决您的问题。我已请客服同事加入，他们会尽快在这里回复您。",
    },
    "staff_greeting": {
        "en": "Hi, I'm from the support team and I'm here to help. What can I do for you?",
        "zh": "您好，我是客服，很高兴为您服务。请问有什么可以帮您？",
    },
    "sign_in": {
        "en": "Please sign in so I can look up your orders.",
        "zh": "请先登录，我才能查询您的订单。",
    },
    "no_orders": {"en": "I don't see any orders on your account yet.", "zh": "您的账户中暂时没有订单。"},
    "order_not_found": {
        "en": "I can't find an order {order_id} on your account. Could you check the number?",
        "zh": "您的账户中找不到订单{order_id}，请核对订单号。",
    },
    "unknown": {
        "en": "I don't have that information. Would you like me to connect you with a person?",
        "zh": "我没有这方面的信息。需要为您转接人工客服吗？",
    },
}


def say(key: str, language: Language, **values: str) -> str:
    return _TEXT[key][language].format(**values)


def not_found(what: str, alternatives: Sequence[Product], language: Language) -> str:
    text = say("not_found", language, what=what)
    if alternatives:
        titles = ", ".join(p.title for p in alternatives[:3])
        text += say("alternatives", language, titles=titles)
    return text


def _stock(product: Product, language: Language) -> str:
    if language == "zh":
        if not product.in_stock:
            return "缺货"
        return f"有货（库存{product.stock}）" if product.stock is not None and not product.variants else "有货"
    if not product.in_stock:
        return "out of stock"
    return f"in stock ({product.stock} left)" if product.stock is not None and not product.variants else "in stock"


def variant_facts(product: Product, variants: Sequence[Variant], number: int, language: Language) -> str:
    """The price and stock of the variants a question names, as a sentence, cited."""
    parts = []
    for variant in variants[:3]:
        state = (
            ("有货" if variant.in_stock else "缺货")
            if language == "zh"
            else ("in stock" if variant.in_stock else "out of stock")
        )
        parts.append(f"{variant.label()}: {money(variant.price, product.currency)}, {state}")
    joined = "；".join(parts) if language == "zh" else "; ".join(parts)
    return f"{product.title}（{joined}）[{number}]。" if language == "zh" else f"{product.title} ({joined}) [{number}]."


def product_facts(product: Product, number: int, language: Language, question: str = "") -> str:
    """One product's key facts as a sentence, cited; for a question naming options, its variants'."""
    variants = product.variants_named_in(question) if question else []
    if variants:
        return variant_facts(product, variants, number, language)
    price = money(product.price, product.currency)
    if language == "zh":
        text = f"{product.title}：价格{price}，{_stock(product, language)}"
        if product.discount_percent:
            text += f"，优惠{product.discount_percent:g}%后{money(product.sale_price, product.currency)}"
        return text + f" [{number}]。"
    text = f"{product.title}: {price}, {_stock(product, language)}"
    if product.discount_percent:
        text += f"; {product.discount_percent:g}% off makes it {money(product.sale_price, product.currency)}"
    return text + f" [{number}]."


def order_facts(order: Order, number: int, language: Language) -> str:
    """An order's status, dates and tracking as a sentence, cited."""
    placed = order.created_at.date().isoformat()
    if language == "zh":
        text = f"订单{order.id}的状态是{order.status}，下单日期{placed}"
        for refund in (p for p in order.payments if p.kind == "refund"):
            text += f"，已退款{money(refund.amount, order.currency)}"
        if order.delivered_at:
            text += f"，已于{order.delivered_at.date().isoformat()}送达"
        elif order.estimated_delivery:
            text += f"，预计{order.estimated_delivery.date().isoformat()}送达"
        if order.shipments:
            text += "，运单号" + "、".join(s.tracking_id for s in order.shipments)
        return text + f" [{number}]。"
    refunds = [p for p in order.payments if p.kind == "refund"]
    text = f"Order {order.id} is {order.status}; it was placed on {placed}"
    if refunds:
        text += " and " + " and ".join(f"{money(p.amount, order.currency)} was refunded" for p in refunds)
    if order.delivered_at:
        text += f" and delivered on {order.delivered_at.date().isoformat()}"
    elif order.estimated_delivery:
        text += f" and is expected on {order.estimated_delivery.date().isoformat()}"
    if order.shipments:
        carriers = ", ".join(f"{s.carrier + ' ' if s.carrier else ''}{s.tracking_id}" for s in order.shipments)
        text += f". Tracking: {carriers}"
    return text + f" [{number}]."


_TOPICS = (
    ("return_policy", re.compile(r"\breturn\w*|退", re.I), {"en": "returns", "zh": "退货"}),
    ("warranty", re.compile(r"\bwarrant\w*|guarantee|保修|质保", re.I), {"en": "warranty", "zh": "保修"}),
    ("shipping", re.compile(r"\bship\w*|deliver\w*|dispatch|发货|配送", re.I), {"en": "shipping", "zh": "发货"}),
)


def product_terms(
    product: Product, question: str, number: int, language: Language, already_said: str = ""
) -> list[str]:
    """The product's own terms (returns, warranty, shipping) that the question is about,
    leaving out those `already_said` states."""
    sentences = []
    for field, pattern, label in _TOPICS:
        value = getattr(product, field)
        if value and pattern.search(question) and value.lower() not in already_said.lower():
            sentences.append(
                f"{product.title}的{label['zh']}：{value} [{number}]。"
                if language == "zh"
                else f"{product.title} {label['en']}: {value} [{number}]."
            )
    return sentences


def from_facts(sources: Sequence[Source], language: Language, limit: int = 3, question: str = "") -> str:
    """The fallback answer: the sources' key facts, stated directly."""
    sentences = []
    for source in sources[:limit]:
        if source.product is not None:
            sentences.append(product_facts(source.product, source.number, language, question))
        elif source.order is not None:
            sentences.append(order_facts(source.order, source.number, language))
        elif source.passage is not None:
            sentences.append(f"{source.passage.heading()}: {source.passage.text} [{source.number}]")
    return " ".join(sentences) or say("unknown", language)


_FOLLOW_UPS: dict[str, dict[Language, list[str]]] = {
    "product": {
        "en": ["Is it in stock?", "What's the warranty?", "Can I return it?"],
        "zh": ["有货吗？", "保修多久？", "可以退货吗？"],
    },
    "products": {
        "en": ["Which one is cheaper?", "Is the cheaper one in stock?", "Which is best rated?"],
        "zh": ["哪个更便宜？", "便宜的那个有货吗？", "哪个评分最高？"],
    },
    "order": {
        "en": ["When will it arrive?", "What's the tracking number?", "Can I return it?"],
        "zh": ["什么时候到？", "运单号是多少？", "可以退货吗？"],
    },
    "policy": {
        "en": ["How long does shipping take?", "How do I start a return?", "What does the warranty cover?"],
        "zh": ["发货要多久？", "怎么退货？", "保修包括什么？"],
    },
    "other": {
        "en": ["Show me wireless earbuds", "Where is my order?", "What is your return policy?"],
        "zh": ["有无线耳机吗？", "我的订单到哪了？", "退货政策是什么？"],
    },
}


def follow_ups(intent: str, products: Sequence[Product], language: Language, handed_off: bool = False) -> list[str]:
    """Questions a shopper is likely to ask next, offered as one-tap buttons."""
    if handed_off:
        return []
    if intent in {"product", "recommendation"} and products:
        key = "products" if len(products) > 1 else "product"
    elif intent in {"order", "policy"}:
        key = intent
    else:
        key = "other"
    return list(_FOLLOW_UPS[key][language])
