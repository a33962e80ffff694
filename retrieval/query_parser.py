"""Turning what a shopper types into search text plus filters.

"wireless earbuds under $100 in stock" → text "wireless earbuds", filters
max_price=100, in_stock. Understands English and Chinese price phrases ("100元以下",
"低于50"), stock phrases ("in stock", "有货") and the store's own brand names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from knowledge import Product
from retrieval.filters import SearchFilters

_NUMBER = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?\s*(k)?"
# A number followed by one of these is a size or a duration, not a price.
_NOT_MONEY = (
    r"(?!\s*(?:kg|g|grams?|lbs?|pounds?|oz|ml|litres?|liters?|cm|mm|inch|inches|ft|feet|%|percent"
    r"|days?|hours?|minutes?|weeks?|months?|years?|people|persons?|pieces?|pcs|gb|tb|mb|watts?|w|mah"
    r"|cups?|seats?|players?)\b)"
)
_DOLLAR = r"(?:\$|usd\s*|us\$)?"
_CURRENCY_WORD = r"(?:\s*(?:dollars?|bucks|usd|\$))?"
_EN_MAX = r"under|below|less\s+than|cheaper\s+than|up\s+to|no\s+more\s+than|at\s+most|max(?:imum)?|within|<=?"
_EN_MIN = r"over|above|more\s+than|at\s+least|min(?:imum)?|>=?"
_ZH_UNIT = r"\s*(?:元|块|美元|美金|刀)?"
_ZH_MAX = r"(?:低于|少于|不超过|不到|小于)"
_ZH_MIN = r"(?:高于|超过|多于|大于)"


def _amount(match: re.Match[str], offset: int = 0) -> float:
    whole, fraction, thousands = match.group(1 + offset), match.group(2 + offset), match.group(3 + offset)
    value = float(whole.replace(",", "") + (f".{fraction}" if fraction else ""))
    return value * 1000 if thousands else value


def _money(prefix: str = "", suffix: str = "") -> str:
    return prefix + _DOLLAR + _NUMBER + _NOT_MONEY + _CURRENCY_WORD + suffix


def _range(filters: SearchFilters, match: re.Match[str]) -> SearchFilters:
    # "size 8 to 10" is not a price: a range counts only with a money word or "between".
    if not re.search(r"\$|between|dollar|buck|usd|元|块|刀|美", match.group(), re.I):
        raise ValueError("not a price range")
    return replace(filters, min_price=_amount(match), max_price=_amount(match, 3))


Rule = tuple[re.Pattern[str], Callable[[SearchFilters, re.Match[str]], SearchFilters]]

_STOCK_RULE = re.compile(r"\b(?:in[\s-]stock|available\s+now|ready\s+to\s+ship)\b|有货|有库存|现货", re.I)
# A yes/no question ("is it…", "do you have…") about stock is not a stock filter.
_QUESTION = re.compile(
    r"^\W*(?:is|are|isn't|aren't|do|does|did|has|have|will|can|could|would|when|how many)\b|.*(?:吗|么)\W*$", re.I
)

_RULES: list[Rule] = [
    (  # "between $20 and $50", "$20-$50", "20 to 50 dollars", "20到50元"
        re.compile(
            r"(?:between\s+)?" + _DOLLAR + _NUMBER + r"\s*(?:-|–|to|and|到|至)\s*" + _money() + _ZH_UNIT + r"(?:之间)?",
            re.I,
        ),
        _range,
    ),
    (re.compile(r"\b(?:" + _EN_MAX + r")\s+" + _money(), re.I), lambda f, m: replace(f, max_price=_amount(m))),
    (re.compile(r"\b(?:" + _EN_MIN + r")\s+" + _money(), re.I), lambda f, m: replace(f, min_price=_amount(m))),
    (re.compile(_money() + r"\s*(?:or\s+less|and\s+under|max)\b", re.I), lambda f, m: replace(f, max_price=_amount(m))),
    (re.compile(_ZH_MAX + r"\s*" + _NUMBER + _ZH_UNIT), lambda f, m: replace(f, max_price=_amount(m))),
    (re.compile(_ZH_MIN + r"\s*" + _NUMBER + _ZH_UNIT), lambda f, m: replace(f, min_price=_amount(m))),
    (re.compile(_NUMBER + _ZH_UNIT + r"\s*(?:以下|以内)"), lambda f, m: replace(f, max_price=_amount(m))),
    (re.compile(_NUMBER + _ZH_UNIT + r"\s*以上"), lambda f, m: replace(f, min_price=_amount(m))),
    (_STOCK_RULE, lambda f, m: replace(f, in_stock=True)),
]

# Punctuation and connectives a removed phrase leaves dangling at either end of the text.
_LEFTOVER = re.compile(
    r"^[\s,;:.!?，。的]+|[\s,;:.!?，。的]+$|\s+(?:and|that\s+(?:is|are)|which\s+(?:is|are))\s*$", re.I
)
_WORDS = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class ParsedQuery:
    text: str  # what is left to match against product text
    filters: SearchFilters


class QueryParser:
    """Finds price, stock and brand constraints in a query.

    A brand becomes a filter only when its name is distinctive in this catalog: at least
    one word of it appears in no other brand's product text. "Apple" in a store that
    also sells apples, or "Off White" where white things abound, stays plain search text.

    Example:
        >>> parser = QueryParser(brands=["Apple", "Samsung"])
        >>> parser.parse("samsung phone under $500 in stock")
        ParsedQuery(text='samsung phone', filters=SearchFilters(max_price=500.0, brands=('Samsung',), in_stock=True))
    """

    def __init__(self, brands: Iterable[str] = ()) -> None:
        names = sorted({b.strip() for b in brands if b and b.strip()}, key=len, reverse=True)
        self._brands = [(name, re.compile(r"(?<!\w)" + re.escape(name) + r"(?!\w)", re.I)) for name in names]

    @classmethod
    def for_catalog(cls, products: Iterable[Product]) -> QueryParser:
        """A parser that knows the catalog's distinctive brand names."""
        products = list(products)
        words_by_brand: dict[str, set[str]] = {}
        for product in products:
            text = f"{product.title} {product.description} {' '.join(product.tags)}".lower()
            words_by_brand.setdefault((product.brand or "").casefold(), set()).update(_WORDS.findall(text))
        distinctive = []
        for brand in {p.brand for p in products if p.brand}:
            others = set().union(*(w for b, w in words_by_brand.items() if b != brand.casefold()))
            if any(len(word) >= 3 and word not in others for word in _WORDS.findall(brand.lower())):
                distinctive.append(brand)
        return cls(brands=distinctive)

    def parse(self, query: str) -> ParsedQuery:
        text, filters = query, SearchFilters()
        # "Is the Galaxy S8 in stock?" asks about stock; it must still find the sold-out phone.
        asks_about_stock = bool(_QUESTION.match(query))
        for pattern, apply in _RULES:
            match = pattern.search(text)
            if match is None:
                continue
            if asks_about_stock and pattern is _STOCK_RULE:
                text = text[: match.start()] + " " + text[match.end() :]
                continue
            try:
                filters = apply(filters, match)
            except ValueError:  # e.g. "between 50 and 20": not a usable range, keep the words
                continue
            text = text[: match.start()] + " " + text[match.end() :]
        brands = tuple(name for name, pattern in self._brands if pattern.search(text))
        if brands:
            # The brand stays in the text too: it also helps ranking.
            filters = replace(filters, brands=brands)
        text = re.sub(r"\s+", " ", text).strip()
        previous = None
        while previous != text:
            previous, text = text, _LEFTOVER.sub("", text).strip()
        return ParsedQuery(text=text, filters=filters)
