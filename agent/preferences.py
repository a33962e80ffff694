"""Preferences a shopper states in chat: "I'm vegan", "it's for my daughter", "under $50".

Read with rules, not the model: a preference is stored and shapes later answers, so it must
come from the shopper's own words, and each one keeps the sentence it came from so the
shopper and staff can see why the store believes it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from knowledge import Preference

_DIETS = {
    "vegan": "vegan",
    "vegetarian": "vegetarian",
    "gluten-free": "gluten-free",
    "gluten free": "gluten-free",
    "lactose intolerant": "lactose-free",
    "lactose-free": "lactose-free",
    "dairy-free": "dairy-free",
    "dairy free": "dairy-free",
    "halal": "halal",
    "kosher": "kosher",
    "素食": "vegetarian",
}
_DIET = re.compile(
    r"\b(?:i(?:'m| am)|we(?:'re| are)|i eat|i only eat|i'm a|i am a|my (?:\w+ )?(?:is|are))\s+(?:an?\s+|strictly\s+)?("
    + "|".join(re.escape(d) for d in _DIETS if d.isascii())
    + r")\b|(?:我)?(?:吃|是)(素食)",
    re.I,
)
_RECIPIENT = re.compile(
    r"\b(?:for|gift for|present for|buying for|shopping for)\s+(?:my|our)\s+"
    r"(daughter|son|wife|husband|girlfriend|boyfriend|partner|mom|mum|mother|dad|father|kids?|children|"
    r"baby|sister|brother|grandma|grandmother|grandpa|grandfather|friend|niece|nephew|boss|colleague)\b"
    r"|给我(女儿|儿子|妻子|老婆|丈夫|老公|妈妈|爸爸|孩子)",
    re.I,
)
_BUDGET = re.compile(
    # Only a budget stated as one: "laptops under $800" filters one search, it isn't a budget.
    r"\b(?:my budget is|budget of|budget is|i can spend|i can only spend|i don't want to spend more than|"
    r"spend (?:up to|at most|no more than))\s*"
    r"(?:\$|US\$|USD\s?)\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?"
    r"|预算\s*(\d+)",
    re.I,
)
_AVOIDS = re.compile(
    r"\b(?:i(?:'m| am) allergic to|i can't (?:eat|stand|use)|i hate|i avoid|no)\s+(nuts|peanuts|gluten|"
    r"dairy|soy|leather|fragrance|perfume|plastic)\b",
    re.I,
)
_CHINESE_RECIPIENTS = {
    "女儿": "daughter",
    "儿子": "son",
    "妻子": "wife",
    "老婆": "wife",
    "丈夫": "husband",
    "老公": "husband",
    "妈妈": "mom",
    "爸爸": "dad",
    "孩子": "kids",
}


def stated_preferences(message: str, now: datetime | None = None) -> list[Preference]:
    """The preferences `message` states, each with the message as its evidence.

    Example:
        >>> [(p.kind, p.value) for p in stated_preferences("I'm vegan, a gift for my daughter, budget of $50")]
        [('diet', 'vegan'), ('recipient', 'daughter'), ('budget', '50')]
    """
    now = now or datetime.now(UTC)
    said = message.strip()[:300]
    found: list[tuple[str, str]] = []
    for match in _DIET.finditer(message):
        word = (match.group(1) or match.group(2) or "").lower()
        found.append(("diet", _DIETS.get(word, word)))
    for match in _RECIPIENT.finditer(message):
        word = match.group(1) or match.group(2) or ""
        found.append(("recipient", _CHINESE_RECIPIENTS.get(word, word.lower())))
    for match in _BUDGET.finditer(message):
        amount = (match.group(1) or match.group(2) or "").replace(",", "")
        if amount:
            found.append(("budget", amount))
    for match in _AVOIDS.finditer(message):
        found.append(("avoids", match.group(1).lower()))
    unique = list(dict.fromkeys(found))
    return [Preference(kind=kind, value=value, said=said, ts=now) for kind, value in unique]  # type: ignore[arg-type]
