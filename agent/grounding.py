"""The grounding check: every fact an answer states must be in the turn's sources.

An output guardrail. It reads the answer sentence by sentence, extracts each stated fact
(prices, discounts, stock levels and in-stock claims, order statuses, dates, durations
such as "30 days", order and tracking numbers) and compares it with the typed facts
behind the sources. A wrong value that has one right answer in the sources (a price
next to a product's name) is repaired in place; a fact that can't be traced to the store's
data drops its sentence. The caller falls back to a templated answer when nothing is left.

The models here do invent prices for products the store lacks (measured); this is what
stops them from reaching a shopper.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar, Literal

from agent.sources import SourceList
from knowledge import ORDER_STATUSES, Order, Product

ClaimKind = Literal[
    "money",
    "number",
    "percent",
    "stock_count",
    "in_stock",
    "out_of_stock",
    "status",
    "date",
    "duration",
    "order_id",
    "tracking",
    "no_returns",
    "no_warranty",
    "lifetime",
    "name",
]

_AMOUNT = r"(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
_MONEY = [
    re.compile(r"(?:US\$|\$|USD\s?)\s?" + _AMOUNT + r"(?![\d%])"),
    re.compile(_AMOUNT + r"\s?(?:USD|US dollars|dollars?|美元|元)(?![a-z])", re.I),
]
_BARE_DECIMAL = re.compile(r"(?<![\w$.,#])(\d+\.\d{1,2})(?![\d%.]|\s?(?:USD|dollars?|美元|元))")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s?%")
_STOCK_COUNT = [
    re.compile(
        r"(?<![\w.])(\d+)\s*(?:units?|pieces|pcs|items)?\s*(?:are\s+|is\s+)?(?:in stock|left|available|remaining)", re.I
    ),
    re.compile(r"(?<![\w.])(\d+)\s+(?:units?|pieces|pcs)\b", re.I),
    re.compile(r"\bonly\s+(\d+)\b", re.I),
    re.compile(r"\bstock(?:\s+level)?(?:\s+(?:is|of))?[:\s]+(\d+)\b", re.I),
    re.compile(r"(?:库存|还剩|剩余)\s*(\d+)"),
]
_OUT_OF_STOCK = re.compile(
    r"\b(?:out of stock|sold out|not (?:currently )?(?:in stock|available)|unavailable)\b|缺货|售罄|无货", re.I
)
_IN_STOCK = re.compile(r"\b(?:in stock|available (?:now|to buy)|ready to ship)\b|有货|有库存|现货", re.I)
_STATUS = re.compile(
    r"\b(?:is|was|has been|have been|status(?: is)?:?|currently|now|been)\s+(?:currently\s+|now\s+|still\s+)?("
    + "|".join(sorted((re.escape(s) for s in ORDER_STATUSES), key=len, reverse=True))
    + r")\b",
    re.I,
)
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATES = [
    (re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b"), "ymd"),
    (re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日"), "ymd"),
    (re.compile(r"\b" + _MONTH + r"\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b", re.I), "mdy"),
    (re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r"(?:,?\s+(\d{4}))?\b", re.I), "dmy"),
    (re.compile(r"\b(\d{1,2})/(\d{1,2})/(\d{4})\b"), "slash"),
    (re.compile(r"(?<!年)(\d{1,2})月(\d{1,2})日"), "md"),
]
_UNITS = {
    "day": "day",
    "days": "day",
    "business day": "day",
    "business days": "day",
    "working day": "day",
    "working days": "day",
    "week": "week",
    "weeks": "week",
    "month": "month",
    "months": "month",
    "year": "year",
    "years": "year",
    "hour": "hour",
    "hours": "hour",
    "天": "day",
    "日": "day",
    "周": "week",
    "星期": "week",
    "个月": "month",
    "月": "month",
    "年": "year",
    "小时": "hour",
}
_DURATION = re.compile(
    r"(\d+)(?:\s*(?:-|–|to|或|至)\s*(\d+))?\s*-?\s*("
    + "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
    + r")(?![a-z])",
    re.I,
)
_ORDER_ID = re.compile(r"#[A-Z]{0,3}\d{3,}")
_NO_RETURNS = re.compile(
    r"\b(?:cannot|can't|can not|won't|could not|couldn't)\s+be\s+returned"
    r"|\bno returns?\b|\bnon-?returnable|\bnot returnable"
    r"|不能退|不可退|不支持退",
    re.I,
)
_COMPARISON = re.compile(
    r"\b(?:is|are|costs?|priced)\s+(?:a\s+bit\s+|much\s+|slightly\s+)?"
    r"(more expensive|pricier|costlier|cheaper|less expensive|more affordable)\s+than\b",
    re.I,
)
_LIFETIME = re.compile(r"\blifetime\b|终身", re.I)
_NO_WARRANTY = re.compile(r"\bno warranty\b|\bnot (?:covered by|under) (?:a |any )?warranty|没有保修|无保修", re.I)
# A capitalised word or run of them, not at the start of a sentence: a name of a place,
# brand or person that must come from the sources (or the shopper's own words).
_NAME = re.compile(r"(?<=[a-z,;:]\s)([A-Z][a-zA-Z'&.-]+(?:\s+[A-Z][a-zA-Z'&.-]+)*)")
_COMMON_NAMES = {
    "I",
    "USD",
    "OK",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Mr",
    "Ms",
    "Mrs",
} | {
    m.capitalize()
    for m in (
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
    )
}
_TRACKING = re.compile(r"(?<![\d#])\d{10,}(?!\d)")
_CITATION = re.compile(r"\s?\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_WORD = re.compile(r"[a-z0-9]+")
# Title words too common to tell one product from another.
_GENERIC = {"the", "and", "for", "with", "set", "of", "a", "new", "in", "by", "pro", "plus", "mini", "max"}


@dataclass(frozen=True)
class Claim:
    kind: ClaimKind
    text: str
    value: object
    start: int
    end: int


def _position(sentence: str, product: Product, others: list[Product] | None = None) -> int:
    """Where the sentence names the product: its full title, else the first of its words that
    tell it apart from `others` ("Submariner", not the "Rolex" it shares); -1 if not at all."""
    lowered = sentence.lower()
    found = lowered.find(product.title.lower())
    if found >= 0:
        return found
    words = _words(product.title)
    distinctive = words - set().union(*(_words(o.title) for o in others or [] if o.id != product.id))
    spots = [
        match.start() for word in (distinctive or words) for match in re.finditer(rf"\b{re.escape(word)}\b", lowered)
    ]
    return min(spots) if spots else -1


@dataclass(frozen=True)
class _SentenceContext:
    """What a sentence is about: the products it names (`single` when that is one product,
    or when the turn has only one product in play)."""

    sentence: str
    products: list[Product]
    in_play: list[Product]

    @property
    def single(self) -> Product | None:
        if len(self.products) == 1:
            return self.products[0]
        return self.in_play[0] if not self.products and len(self.in_play) == 1 else None

    @property
    def targets(self) -> list[Product]:
        return self.products or ([self.single] if self.single is not None else [])

    def nearest(self, position: int) -> Product | None:
        """The product named closest before `position` (after it when none is before), or `single`."""
        if len(self.products) <= 1:
            return self.single
        spots = [
            (spot, product)
            for product in self.products
            if (spot := _position(self.sentence, product, self.products)) >= 0
        ]
        before = [(spot, product) for spot, product in spots if spot < position]
        if before:
            return max(before, key=lambda pair: pair[0])[1]
        return min(spots, key=lambda pair: pair[0])[1] if spots else None


# A checker's finding: None when the claim holds, else (reason, repaired text or None).
Finding = tuple[str, str | None] | None


@dataclass(frozen=True)
class GroundingIssue:
    claim: Claim
    sentence: str
    reason: str
    repaired: bool


@dataclass
class GroundingResult:
    """The grounded text and what the check found on the way."""

    text: str
    issues: list[GroundingIssue] = field(default_factory=list)
    dropped: int = 0
    repaired: int = 0
    cited: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.issues


def _money_value(match: re.Match[str]) -> float:
    return float(match.group(1).replace(",", "") + (f".{match.group(2)}" if match.group(2) else ""))


def _to_date(kind: str, groups: tuple[str | None, ...]) -> tuple[int | None, int, int] | None:
    try:
        if kind == "ymd":
            return int(groups[0]), int(groups[1]), int(groups[2])  # type: ignore[arg-type]
        if kind == "mdy":
            return (int(groups[2]) if groups[2] else None), _MONTHS[groups[0].lower()], int(groups[1])  # type: ignore[union-attr,arg-type]
        if kind == "dmy":
            return (int(groups[2]) if groups[2] else None), _MONTHS[groups[1].lower()], int(groups[0])  # type: ignore[union-attr,arg-type]
        if kind == "slash":
            return int(groups[2]), int(groups[0]), int(groups[1])  # type: ignore[arg-type]
        return None, int(groups[0]), int(groups[1])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return None


def _duration_value(match: re.Match[str]) -> tuple[tuple[int, ...], str]:
    numbers = tuple(int(g) for g in (match.group(1), match.group(2)) if g)
    return numbers, _UNITS[match.group(3).lower()]


_DEARER = {"more expensive", "pricier", "costlier"}
_CHEAPEST_WORDS = re.compile(r"\b(?:cheapest|lowest[- ]priced|least expensive|lowest price)\b|最便宜", re.I)


def _status_value(match: re.Match[str]) -> str | None:
    # "$5,014.94 was refunded" speaks of money, not of the order's status.
    before = match.string[max(0, match.start() - 25) : match.start()]
    return None if any(p.search(before) for p in _MONEY) else match.group(1).lower()


def _name_value(match: re.Match[str]) -> str | None:
    name = match.group(1).rstrip(".'&-")
    return None if name in _COMMON_NAMES or name.startswith("I'") else name


# (kind, pattern, value of a match or None to skip it, group holding the claim). Earlier
# rows win where matches overlap: "$49.99" is money, not also a bare number.
_EXTRACTORS: list[tuple[ClaimKind, re.Pattern[str], Callable[[re.Match[str]], object], int]] = [
    *(("money", pattern, _money_value, 0) for pattern in _MONEY),
    *(("date", pattern, lambda m, kind=kind: _to_date(kind, m.groups()), 0) for pattern, kind in _DATES),
    ("order_id", _ORDER_ID, lambda m: m.group().upper(), 0),
    ("tracking", _TRACKING, lambda m: m.group(), 0),
    ("percent", _PERCENT, lambda m: float(m.group(1)), 0),
    *(("stock_count", pattern, lambda m: int(m.group(1)), 1) for pattern in _STOCK_COUNT),
    ("duration", _DURATION, _duration_value, 0),
    ("number", _BARE_DECIMAL, lambda m: float(m.group(1)), 0),
    ("out_of_stock", _OUT_OF_STOCK, lambda m: False, 0),
    ("in_stock", _IN_STOCK, lambda m: True, 0),
    ("status", _STATUS, _status_value, 1),
    ("no_returns", _NO_RETURNS, lambda m: True, 0),
    ("no_warranty", _NO_WARRANTY, lambda m: True, 0),
    ("lifetime", _LIFETIME, lambda m: True, 0),
    ("comparison", _COMPARISON, lambda m: "more" if m.group(1).lower() in _DEARER else "less", 1),
    ("name", _NAME, _name_value, 1),
]


def extract_claims(sentence: str) -> list[Claim]:
    """Every checkable fact stated in `sentence`, in order of appearance."""
    claims: list[Claim] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern, value_of, group in _EXTRACTORS:
        for match in pattern.finditer(sentence):
            value = value_of(match)
            start, end = match.span(group)
            if value is None or any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            claims.append(Claim(kind, match.group(group), value, start, end))
    return sorted(claims, key=lambda c: c.start)


def split_sentences(text: str) -> list[str]:
    return [part for part in _SENTENCE_END.split(text) if part.strip()]


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower())) - _GENERIC


def _mentions(sentence: str, product: Product, others: list[Product] | None = None) -> bool:
    """Does the sentence name this product? Its full title, or most of its title words,
    including at least one word that tells it apart from the other products in play
    ("Galaxy S8" is not "Galaxy S7")."""
    lowered = sentence.lower()
    if product.title.lower() in lowered:
        return True
    title = _words(product.title)
    if not title:
        return False
    said = _words(sentence)
    overlap = len(title & said) / len(title)
    if overlap < 0.5 or (overlap < 0.6 and len(title) < 3):
        return False
    shared = set().union(*(_words(o.title) for o in others or [] if o.id != product.id))
    distinctive = title - shared
    return not distinctive or bool(distinctive & said)


@dataclass
class _Allowed:
    """The values the turn's sources (and the shopper's own words) support."""

    money: set[float] = field(default_factory=set)
    numbers: set[float] = field(default_factory=set)
    percents: set[float] = field(default_factory=set)
    counts: set[int] = field(default_factory=set)
    statuses: set[str] = field(default_factory=set)
    dates: set[tuple[int, int, int]] = field(default_factory=set)
    durations: set[tuple[int, str]] = field(default_factory=set)
    identifiers: set[str] = field(default_factory=set)
    text: str = ""  # all source text and the shopper's message, lower case, for names


def _prices(product: Product) -> set[float]:
    return {product.price, product.sale_price} | {v.price for v in product.variants}


def _durations_in(text: str) -> Iterator[tuple[int, str]]:
    for match in _DURATION.finditer(text):
        unit = _UNITS[match.group(3).lower()]
        for number in (match.group(1), match.group(2)):
            if number:
                yield int(number), unit


# The event a date is said to be of, from the words just before it.
_DATE_EVENTS = [
    ("delivery", re.compile(r"deliver\w*(?:\s+\w+){0,3}\s*(?:on|:)?\s*$|送达\S{0,3}$")),
    ("shipping", re.compile(r"ship\w*(?:\s+\w+){0,3}\s*(?:on|:)?\s*$|发货\S{0,3}$")),
    ("order", re.compile(r"(?:placed|ordered|bought|purchased|made)(?:\s+\w+){0,3}\s*(?:on|:)?\s*$|下单\S{0,3}$")),
    ("arrival", re.compile(r"(?:arriv\w*|expected|estimated|due)(?:\s+\w+){0,3}\s*(?:on|by|:)?\s*$|预计\S{0,3}$")),
]


def _ymd(when: datetime | None) -> set[tuple[int, int, int]]:
    return {(when.year, when.month, when.day)} if when else set()


def _order_event_dates(orders: list[Order]) -> dict[str, set[tuple[int, int, int]]]:
    events: dict[str, set[tuple[int, int, int]]] = {
        "delivery": set(),
        "shipping": set(),
        "order": set(),
        "arrival": set(),
    }
    for order in orders:
        events["delivery"] |= _ymd(order.delivered_at)
        events["shipping"] |= _ymd(order.shipped_at)
        events["order"] |= _ymd(order.created_at)
        # An order "arrives" on its delivery date, or is expected on its estimate.
        events["arrival"] |= _ymd(order.delivered_at) | _ymd(order.estimated_delivery)
    return events


def _dates_of(order: Order) -> Iterator[tuple[int, int, int]]:
    for when in (order.created_at, order.updated_at, order.shipped_at, order.delivered_at, order.estimated_delivery):
        if when is not None:
            yield when.year, when.month, when.day


class GroundingCheck:
    """Checks answers against one turn's sources.

    Example:
        >>> check = GroundingCheck(sources, shopper_message="how much are the Beats earphones?")
        >>> check.check("The Beats Flex Wireless Earphones cost $59.99 [1].").text
        'The Beats Flex Wireless Earphones cost $49.99 [1].'
    """

    def __init__(
        self,
        sources: SourceList,
        shopper_message: str = "",
        today: date | None = None,
        known_names: str = "",
        named_in: Callable[[str], list[Product]] | None = None,
        off_source: Literal["drop", "check"] = "drop",
    ) -> None:
        """`named_in` finds catalog products a sentence names by title. With `off_source="drop"`
        (the assistant), a sentence naming a product the turn has no source for is dropped:
        whatever it says comes from memory of earlier turns, not from this turn's facts. With
        "check" (benchmarks), its claims are checked against that product's data instead."""
        self.sources = sources
        self._named_in = named_in
        self._off_source = off_source
        self._allowed = self._collect(sources, f"{shopper_message}\n{known_names}", today or date.today())
        self._event_dates = _order_event_dates(sources.orders())

    @staticmethod
    def _collect(sources: SourceList, shopper_message: str, today: date) -> _Allowed:
        allowed = _Allowed()
        allowed.dates.add((today.year, today.month, today.day))
        texts = [shopper_message]
        for source in sources.items:
            texts.append(source.text)
            if source.product is not None:
                product = source.product
                allowed.money |= _prices(product)
                allowed.percents.add(product.discount_percent)
                allowed.numbers |= {product.rating or 0, product.discount_percent}
                allowed.counts |= {v for v in (product.stock, product.min_order_quantity) if v is not None}
                allowed.counts |= {v.stock for v in product.variants if v.stock is not None}
            if source.order is not None:
                order = source.order
                allowed.money |= {order.total or 0} | {i.unit_price for i in order.items}
                allowed.money |= {i.line_total for i in order.items} | {p.amount for p in order.payments}
                allowed.counts |= {i.quantity for i in order.items}
                allowed.statuses.add(order.status)
                allowed.dates |= set(_dates_of(order))
                allowed.identifiers.add(order.id.upper())
                allowed.identifiers |= {s.tracking_id for s in order.shipments}
            if source.customer is not None:
                allowed.money |= {m.balance for m in source.customer.payment_methods if m.balance is not None}
        for text in texts:
            # Numbers in policy text, in product terms and in the shopper's own message
            # ("under $100") may be repeated; they are the store's words or the shopper's.
            for claim in extract_claims(text):
                if claim.kind in {"money", "number"}:
                    allowed.money.add(claim.value)  # type: ignore[arg-type]
                    allowed.numbers.add(claim.value)  # type: ignore[arg-type]
                elif claim.kind == "percent":
                    allowed.percents.add(claim.value)  # type: ignore[arg-type]
                elif claim.kind == "date":
                    year, month, day = claim.value  # type: ignore[misc]
                    if year is not None:
                        allowed.dates.add((year, month, day))
                elif claim.kind in {"order_id", "tracking"}:
                    allowed.identifiers.add(str(claim.value))
                elif claim.kind == "stock_count":
                    allowed.counts.add(claim.value)  # type: ignore[arg-type]
            allowed.durations |= set(_durations_in(text))
        allowed.numbers |= allowed.money | allowed.percents
        allowed.text = " ".join(texts).lower()
        return allowed

    # --- one sentence ------------------------------------------------------------------

    def _linked_products(self, sentence: str) -> list[Product]:
        cited = {int(n) for n in _CITATION.findall(sentence)}
        lowered = sentence.lower()
        candidates = self.sources.products()
        # A full title named outright settles it; word overlap is the fallback.
        named = [p for p in candidates if p.title.lower() in lowered]
        if self._named_in is not None and self._off_source == "check":
            named += [p for p in self._named_in(sentence) if p.id not in {n.id for n in named}]
        # Full titles, plus source products named more loosely ("the Rolex Submariner").
        products = named + [p for p in candidates if p not in named and _mentions(sentence, p, candidates)]
        for source in self.sources.items:
            if source.number in cited and source.product is not None and source.product not in products:
                products.append(source.product)
        return products

    def _linked_orders(self, sentence: str) -> list[Order]:
        orders = self.sources.orders()
        named = [o for o in orders if o.id.upper() in sentence.upper()]
        return named or orders

    @staticmethod
    def _product_terms(sentence: str, products: list[Product]) -> list[str]:
        """The linked products' own terms for what the sentence is about (returns, warranty, shipping)."""
        lowered = sentence.lower()
        fields = [
            name
            for name, words in (
                ("return_policy", ("return", "退")),
                ("warranty", ("warrant", "保修", "质保")),
                ("shipping", ("ship", "deliver", "发货", "配送")),
            )
            if any(word in lowered for word in words)
        ]
        return [getattr(p, f) for p in products for f in fields if getattr(p, f)]

    def check_sentence(self, sentence: str) -> tuple[str | None, list[GroundingIssue]]:
        """The sentence, repaired where it can be, or None when it states an untraceable fact."""
        context = _SentenceContext(sentence, self._linked_products(sentence), self.sources.products())
        issues: list[GroundingIssue] = []
        if self._named_in is not None and self._off_source == "drop":
            # Products in play: the sources' own, and those the turn's orders contain.
            in_sources = {p.id for p in self.sources.products()}
            in_sources |= {item.product_id for order in self.sources.orders() for item in order.items}
            strangers = [p for p in self._named_in(sentence) if p.id not in in_sources]
            if strangers:
                claim = Claim("name", strangers[0].title, strangers[0].title, 0, len(sentence))
                reason = f"names {strangers[0].title}, which this answer has no facts for"
                return None, [GroundingIssue(claim, sentence, reason, repaired=False)]
        replacements: list[tuple[Claim, str]] = []
        drop = False
        for claim in extract_claims(sentence):
            finding = self._checkers[claim.kind](self, claim, context)
            if finding is None:
                continue
            reason, fix = finding
            issues.append(GroundingIssue(claim, sentence, reason, repaired=fix is not None))
            if fix is None:
                drop = True
            else:
                replacements.append((claim, fix))
        # A sentence with several wrong facts is not worth saving: repairs stacked on a
        # confused sentence read as nonsense ("the cheaper one out of stock is ...").
        if drop or len(replacements) > 1:
            return None, issues
        for claim, fix in sorted(replacements, key=lambda pair: -pair[0].start):
            sentence = sentence[: claim.start] + fix + sentence[claim.end :]
        return sentence, issues

    # One checker per kind of claim: None when the claim holds, else (reason, repair or None).

    def _check_money(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        # "The iPhone 6 costs $299.99 and the iPhone X $899.99": each price belongs to the
        # product named nearest before it.
        owner = ctx.nearest(claim.start)
        candidates = _prices(owner) if owner else self._allowed.money
        right = owner.price if owner else None
        variants = owner.variants_named_in(ctx.sentence) if owner else []
        if owner and owner.variants and _CHEAPEST_WORDS.search(ctx.sentence):
            # "The cheapest option is … $153.18" must be the cheapest variant's price; if the
            # sentence also names the options of another variant, no number can fix it.
            cheapest = min(v.price for v in owner.variants)
            candidates = {cheapest}
            right = cheapest if not variants or any(v.price == cheapest for v in variants) else None
        elif variants:
            # "The T-Shirt in blue size M costs …": the price of that variant, not of any.
            candidates = {v.price for v in variants}
            right = variants[0].price if len(variants) == 1 else None
        if any(abs(claim.value - c) < 0.005 for c in candidates):  # type: ignore[operator]
            return None
        fix = re.sub(_AMOUNT, f"{right:,.2f}", claim.text, count=1) if right is not None else None
        return f"price {claim.text} is not in the store's data", fix

    def _check_number(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        if any(abs(claim.value - c) < 0.005 for c in self._allowed.numbers):  # type: ignore[operator]
            return None
        return f"number {claim.text} is not in the store's data", None

    def _check_percent(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        candidates = {p.discount_percent for p in ctx.products} if ctx.products else self._allowed.percents
        # "5.73%" may be said as "6%" or "5.7%".
        if any(abs(claim.value - c) < 0.51 for c in candidates if c):  # type: ignore[operator]
            return None
        fix = f"{ctx.single.discount_percent:g}%" if ctx.single and ctx.single.discount_percent else None
        return f"{claim.text} is not a discount or term in the store's data", fix

    def _check_stock_count(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        owner = ctx.nearest(claim.start)
        counts = ({owner.stock} | {v.stock for v in owner.variants}) if owner else self._allowed.counts
        if claim.value in counts:
            return None
        fix = str(owner.stock) if owner and owner.stock is not None else None
        return f"stock {claim.text} does not match the store's data", fix

    def _check_stock_state(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        said = claim.kind == "in_stock"
        owner = ctx.nearest(claim.start)
        variants = owner.variants_named_in(ctx.sentence) if owner else []
        if variants:
            states = {v.in_stock for v in variants}
            if said in states:
                return None
            fix = ("out of stock" if said else "in stock") if len(states) == 1 else None
            return f"that {owner.title} variant is {'not ' if said else ''}in stock", fix  # type: ignore[union-attr]
        targets = [owner] if owner else ctx.targets
        wrong = [p for p in targets if p.in_stock != said]
        if not wrong:
            return None
        fix = ("out of stock" if said else "in stock") if len(targets) == 1 else None
        return f"{wrong[0].title} is {'not ' if said else ''}in stock", fix

    def _check_status(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        orders = self._linked_orders(ctx.sentence)
        if not orders or claim.value in {o.status for o in orders}:
            return None
        return f"order status '{claim.value}' does not match the order", orders[0].status if len(orders) == 1 else None

    def _check_date(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        year, month, day = claim.value  # type: ignore[misc]
        # "delivered on 2026-07-24" must be the delivery date, not any date of the order.
        before = ctx.sentence[max(0, claim.start - 40) : claim.start].lower()
        event = next((name for name, pattern in _DATE_EVENTS if pattern.search(before)), None)
        dates = self._event_dates.get(event, self._allowed.dates) if event else self._allowed.dates
        if any(year in (None, y) and month == m and day == d for y, m, d in dates):
            return None
        return f"date {claim.text} is not the {event or 'a'} date in the store's data", None

    def _check_duration(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        numbers, unit = claim.value  # type: ignore[misc]
        terms = self._product_terms(ctx.sentence, ctx.products)
        allowed = set(_durations_in(" ".join(terms))) if terms else self._allowed.durations
        if all((n, unit) in allowed for n in numbers):
            return None
        return f"'{claim.text}' is not a term in the store's data", None

    def _check_no_term(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        field_name, marker = {"no_returns": ("return_policy", "no return"), "no_warranty": ("warranty", "no warranty")}[
            claim.kind
        ]
        # Only products the sentence names: "Products whose page says 'No return policy'
        # cannot be returned" is a rule, not a claim about the product in play.
        if not ctx.products or all(marker in (getattr(p, field_name) or "").lower() for p in ctx.products):
            return None
        return f"'{claim.text}' contradicts the product's {field_name.replace('_', ' ')}", None

    def _check_lifetime(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        terms = self._product_terms(ctx.sentence, ctx.products) or [self._allowed.text]
        if any("lifetime" in t.lower() or "终身" in t for t in terms):
            return None
        return "no lifetime term in the store's data for this", None

    def _check_comparison(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        """ "X is more expensive than Y": the named products' prices must agree."""
        left = ctx.nearest(claim.start)
        after = [(spot, p) for p in ctx.products if (spot := _position(ctx.sentence, p, ctx.products)) > claim.end]
        right = min(after, key=lambda pair: pair[0])[1] if after else None
        if left is None or right is None or left.id == right.id or left.price == right.price:
            return None
        truth = "more" if left.price > right.price else "less"
        if claim.value == truth:
            return None
        fix = "more expensive" if truth == "more" else "cheaper"
        return f"{left.title} is {fix} than {right.title} in the store's data", fix

    def _check_name(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        if str(claim.value).lower() in self._allowed.text:
            return None
        return f"'{claim.text}' does not appear in the store's data", None

    def _check_identifier(self, claim: Claim, ctx: _SentenceContext) -> Finding:
        if claim.value in self._allowed.identifiers:
            return None
        return f"{claim.text} is not an order or tracking number of this shopper", None

    _checkers: ClassVar[dict[str, Callable[[GroundingCheck, Claim, _SentenceContext], Finding]]] = {
        "money": _check_money,
        "number": _check_number,
        "percent": _check_percent,
        "stock_count": _check_stock_count,
        "in_stock": _check_stock_state,
        "out_of_stock": _check_stock_state,
        "status": _check_status,
        "date": _check_date,
        "duration": _check_duration,
        "no_returns": _check_no_term,
        "no_warranty": _check_no_term,
        "lifetime": _check_lifetime,
        "comparison": _check_comparison,
        "name": _check_name,
        "order_id": _check_identifier,
        "tracking": _check_identifier,
    }

    # --- a whole answer ----------------------------------------------------------------

    def clean_citations(self, text: str) -> tuple[str, list[int]]:
        """Remove citation markers that point at no source; return the valid numbers cited."""
        cited: list[int] = []

        def keep(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if self.sources.by_number(number) is None:
                return ""
            if number not in cited:
                cited.append(number)
            return match.group(0)

        return _CITATION.sub(keep, text), cited

    def check(self, text: str) -> GroundingResult:
        """Check a whole answer: repaired sentences kept, untraceable ones dropped."""
        text, cited = self.clean_citations(text)
        result = GroundingResult(text="", cited=cited)
        kept: list[str] = []
        for sentence in split_sentences(text):
            fixed, issues = self.check_sentence(sentence)
            result.issues.extend(issues)
            if fixed is None:
                result.dropped += 1
            else:
                result.repaired += sum(1 for i in issues if i.repaired)
                kept.append(fixed.strip())
        result.text = " ".join(kept)
        return result


# Words after which a claim may follow: text is held back from the shopper from the first
# of these (or the first digit or symbol) until its sentence is complete and checked.
_RISKY = re.compile(
    r"[\d$%#¥€£]|\b(?:stock|sold|available|unavailable|out|lifetime|"
    + "|".join(sorted((re.escape(s) for s in ORDER_STATUSES), key=len, reverse=True))
    + "|"
    + "|".join(_MONTHS)
    + r")\b|有货|缺货|库存|售罄|现货",
    re.I,
)


class GroundedStream:
    """Streams an answer while checking it: nothing unchecked that could state a fact is shown.

    Text is released as soon as it is safe: words before the first digit, currency sign or
    fact-like word of a sentence go out at once; the rest of that sentence waits until the
    sentence ends and passes the check (repaired if need be). `diverged` tells the caller
    that the final text differs from what was streamed (a sentence was dropped after its
    safe start was shown), so the final text must replace it.

    Example:
        >>> stream = GroundedStream(check)
        >>> for token in model_tokens:
        ...     send(stream.feed(token))
        >>> send(stream.finish()); result = stream.result
    """

    def __init__(self, check: GroundingCheck) -> None:
        self._check = check
        self._pending = ""  # the sentence being written
        self._shown = 0  # how much of `_pending` the shopper has seen
        self._kept: list[str] = []
        self.result = GroundingResult(text="")
        self.diverged = False

    def _release_safe_prefix(self) -> str:
        risky = _RISKY.search(self._pending, self._shown)
        limit = risky.start() if risky else len(self._pending)
        # Stop at a word boundary so a word is never split across a check.
        cut = self._pending.rfind(" ", self._shown, limit + 1) if limit < len(self._pending) else limit
        if risky is None:
            cut = max(self._pending.rfind(" ", self._shown), self._shown)
        if cut <= self._shown:
            return ""
        text, self._shown = self._pending[self._shown : cut], cut
        return text

    def _close_sentence(self, sentence: str) -> str:
        shown = sentence[: self._shown]
        fixed, issues = self._check.check_sentence(sentence)
        self.result.issues.extend(issues)
        self._shown = 0
        if fixed is None:
            self.result.dropped += 1
            self.diverged = self.diverged or bool(shown.strip())
            return ""
        self.result.repaired += sum(1 for i in issues if i.repaired)
        self._kept.append(fixed.strip())
        if not fixed.startswith(shown):
            self.diverged = True
            return ""
        return fixed[len(shown) :]

    def feed(self, token: str) -> str:
        """Add generated text; return what may be shown now."""
        self._pending += token
        out = []
        while (end := _SENTENCE_END.search(self._pending)) is not None:
            sentence, self._pending = self._pending[: end.start()], self._pending[end.end() :]
            out.append(self._close_sentence(sentence) + " ")
        out.append(self._release_safe_prefix())
        return "".join(out)

    def finish(self) -> str:
        """The model is done: check the last sentence and settle the result.

        A last sentence cut off by the token limit is dropped when others were kept: half a
        sentence reads as a mistake.
        """
        pending = self._pending.strip()
        cut_off = pending and not re.search(r"[.!?。！？)\]]$", pending) and self._kept
        if cut_off:
            self.result.dropped += 1
            self.diverged = self.diverged or self._shown > 0
            tail = ""
        else:
            tail = self._close_sentence(self._pending) if pending else ""
        self._pending = ""
        text, cited = self._check.clean_citations(" ".join(self._kept))
        self.result.text, self.result.cited = text, cited
        return tail


def unsupported_facts(text: str, check: GroundingCheck) -> list[GroundingIssue]:
    """Facts in `text` that the sources don't support (for benchmarks: no repair applied)."""
    issues: list[GroundingIssue] = []
    for sentence in split_sentences(text):
        issues.extend(check.check_sentence(sentence)[1])
    return issues
