"""What the shopper wants: the intent of a message.

Rules catch the unambiguous signals (an order number, "talk to a person", "return
policy"); what rules leave open is settled by the product search itself (does the store
carry something matching the words?). The router returns the intent and the signals it
found, so the turn can use them (the order number, the budget...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

Intent = Literal["product", "recommendation", "order", "policy", "handoff", "chitchat", "off_topic"]
INTENTS: tuple[str, ...] = get_args(Intent)

ORDER_ID = re.compile(
    r"#\s?[A-Za-z]{0,3}\d{3,}|(?<![A-Za-z0-9])[A-Za-z]\d{4,}(?![0-9])|\border\s+(?:number\s+|no\.?\s*|#\s?)?(?:is\s+)?(\d{3,})\b",
    re.I,
)

_HANDOFF = re.compile(
    r"\b(?:talk|speak|chat)\s+(?:to|with)\s+(?:a\s+|an\s+|some\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:person|human|agent|someone|somebody|representative|rep|people|staff|manager|operator)"
    r"|\b(?:human|live|real)\s+(?:agent|person|support|being)\b|\bcustomer\s+(?:service|support)\s+(?:agent|representative|rep)\b"
    r"|\b(?:escalate|transfer me|connect me|get me a (?:human|person))\b|\bcall me\b"
    r"|转人工|人工客服|人工服务|真人|找客服",
    re.I,
)
_ORDER = re.compile(
    r"\b(?:my|our|the|this|that)\s+(?:last\s+|recent\s+|latest\s+)?(?:orders?|package|parcel|delivery|shipment|purchase)\b"
    r"|\btrack(?:ing)?\b|\bwhere(?:'s| is| are)\s+my\b|\bcancel\b|\brefund(?:ed)?\s+(?:my|for)\b"
    r"|\bexchange\s+(?:my|the|it|this)\b"
    r"|\breturn\s+(?:my|it|this|these|an? (?:item|order))\b|\bhasn'?t (?:arrived|come)\b|\bstill (?:not|hasn'?t)\b"
    r"|\bi (?:ordered|bought|purchased)\b|\border status\b|\bmy orders?\b"
    r"|订单|快递|物流|包裹|我要退|我想退|申请退|取消|我买的",
    re.I,
)
_POLICY = re.compile(
    r"\b(?:polic(?:y|ies)|warrant(?:y|ies)|guarantee|return window|returns?|refunds?|shipping"
    r"|delivery (?:time|times|cost|fee)|how long (?:does|do|will) (?:shipping|delivery|it take)"
    r"|payment methods?|pay (?:with|by)|ship (?:to|internationally)"
    r"|international|cancellation|exchanges?)\b"
    r"|保修|质保|政策|运费|配送|发货|退换",
    re.I,
)
_RECOMMEND = re.compile(
    r"\b(?:recommend\w*|suggest\w*|ideas?|gifts?(?!\s*cards?)|present for|what should i (?:buy|get)"
    r"|best \w+(?: \w+)? for"
    r"|help me (?:choose|pick|find)|looking for (?:something|a gift)|any good"
    r"|what (?:would|do) you (?:suggest|recommend))\b"
    r"|推荐|礼物|送什么|有什么好",
    re.I,
)
_CHITCHAT = re.compile(
    r"^\W*(?:hi+|hello|hey|hiya|yo|good (?:morning|afternoon|evening)|thanks?|thank you|thx|cheers|bye|goodbye|"
    r"see you|ok(?:ay)?|cool|great|nice|who are you|what can you do|how are you|are you a (?:bot|robot|human))\b"
    r"|^\W*(?:你好|您好|谢谢|再见|你是谁)",
    re.I,
)
# Words of someone shopping for a product (not of someone asking how the store works).
_SHOPPING = re.compile(
    r"\b(?:buy|price|prices|cost|costs|how much|cheap|cheaper|expensive|sell|do you have|have you got|stock|carry|brand"
    r"|size|colou?r|discount|sale|deal|product|item|in stock)\b|多少钱|价格|有没有|买|卖|库存",
    re.I,
)
_OFF_TOPIC = re.compile(
    r"^\W*(?:what(?:'s| is) the (?:capital|weather|meaning|population|time)|who (?:won|is the president|invented|was)"
    r"|write (?:me )?(?:a|an|some) (?:poem|story|essay|song|code|program|script|letter)|solve\b|translate\b|explain\b"
    r"|tell me (?:a joke|about (?:history|yourself))|how do i (?:fix|code|learn|program)"
    r"|what is (?:bitcoin|love|life|python)"
    r"|calculate\b|do my homework)",
    re.I,
)


@dataclass(frozen=True)
class Routing:
    intent: Intent
    order_id: str | None = None
    # Policy words next to a product question ("can I return the Beats Flex?"): the
    # answer also quotes the policy.
    mentions_policy: bool = False


def find_order_id(message: str) -> str | None:
    """An order number in the message, as "#A1001" (with "#", upper case), or None."""
    match = ORDER_ID.search(message)
    if not match:
        return None
    raw = match.group(1) or match.group(0)
    return "#" + raw.replace("#", "").replace(" ", "").upper()


def route(message: str) -> Routing:
    """The intent by rules, or "product" when only a catalog search can tell (the turn decides)."""
    order_id = find_order_id(message)
    mentions_policy = bool(_POLICY.search(message))
    if _HANDOFF.search(message):
        return Routing("handoff", order_id)
    if order_id or _ORDER.search(message):
        return Routing("order", order_id, mentions_policy)
    if _RECOMMEND.search(message):
        return Routing("recommendation", None, mentions_policy)
    if mentions_policy and not _SHOPPING.search(message):
        return Routing("policy", None, True)
    if _CHITCHAT.search(message) and len(message.split()) <= 6:
        return Routing("chitchat")
    if _OFF_TOPIC.search(message) and not _SHOPPING.search(message):
        return Routing("off_topic")
    return Routing("product", None, mentions_policy)
