"""The promo grounding check: promo copy may state only what the store's data supports.

An output guardrail for promo copy, stricter than the chat answer's (`agent.grounding`),
because promo copy is written to persuade and is shown to many shoppers:

- every money amount must be a real price of the product it is about (its price, its sale
  price, a variant's price) or the real saving, in the product's currency; a wrong one is
  repaired to the nearest real price, since a price has one right answer;
- a discount percent must be the product's real discount (to the nearest whole percent);
  a wrong one is repaired. Any discount claim (a percent off, "on sale", "save $5", "9折")
  for a product with no discount rejects the whole draft: its premise is false;
- stock counts and stock states must match; scarcity ("only 3 left", "selling fast")
  needs a real low stock; deadlines ("limited time", "ends soon") are never supported,
  because the data has no end dates; "free shipping/returns", warranty and return lengths,
  "lifetime", "top-rated", "best-selling/#1/award-winning" and discount codes need the
  product's own data to say so; names (brands, places) must be the store's. Such a
  sentence is dropped;
- a draft left without a headline (or a body, where the channel needs one), or that no
  longer names the product, is rejected.

The claim extraction is `agent.grounding`'s; the facts are the `Product` fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from agent.grounding import Claim, extract_claims, split_sentences
from agent.language import Language
from agent.sources import money
from knowledge import Product, PromoChannel, ShopperProfile

# A stock at or below this is "low": only then may copy say "only N left" or "selling fast".
LOW_STOCK = 10
# "Top-rated" and the like need at least this average rating.
TOP_RATING = 4.5


@dataclass(frozen=True)
class ChannelLimits:
    headline_max: int
    body_max: int
    body_required: bool


# Generous for the model (a 0.5B model overshoots what the prompt asks); copy over them is
# shortened at a clause or sentence boundary rather than cut mid-word.
LIMITS: dict[PromoChannel, ChannelLimits] = {
    "chat_banner": ChannelLimits(headline_max=100, body_max=200, body_required=False),
    "email": ChannelLimits(headline_max=100, body_max=700, body_required=True),
    "product_page": ChannelLimits(headline_max=120, body_max=500, body_required=True),
}


@dataclass(frozen=True)
class PromoFix:
    """One change the check made: a repaired value, a dropped sentence, or a rejected draft."""

    action: Literal["repaired", "dropped", "rejected"]
    part: Literal["headline", "body", "draft"]
    text: str
    reason: str
    result: str | None = None

    def describe(self) -> str:
        """For staff: what was changed and why."""
        if self.action == "repaired":
            return f"repaired {self.part}: {self.reason} ({self.text!r} → {self.result!r})"
        return f"{self.action} {self.part}: {self.reason} ({self.text!r})"


@dataclass(frozen=True)
class CheckedCopy:
    """The copy after the check: `rejected` says why when nothing usable is left."""

    headline: str
    body: str
    fixes: tuple[PromoFix, ...]
    rejected: str | None = None


# --- what promo copy may claim -----------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff]")
_GENERIC = {"the", "and", "for", "with", "set", "of", "a", "new", "in", "by", "pro", "plus", "mini", "max"}
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?")
# A percent is a discount when these words are near it; otherwise it is a product fact ("100% cotton").
_DISCOUNT_CONTEXT = re.compile(r"\b(?:off|discount\w*|save|saving|savings|sale|markdown|reduced)\b|折|优惠|省|减", re.I)
# Claims of a price cut, true only for a product with a discount.
_SALE = re.compile(
    r"\b(?:on sale|sale price|discount(?:ed)?|markdown|marked down|clearance|price drop|reduced price|half price"
    r"|special offer|deal of the day|save\s+(?:\$|up to|\d)|savings|bogo|buy one,? get one)\b"
    r"|打折|折扣|特价|促销|优惠|降价|立减|立省",
    re.I,
)
_ZHE = re.compile(r"(\d+(?:\.\d)?)\s*折")  # "9折" is 90% of the price: 10% off
_DEADLINE = re.compile(
    r"\b(?:limited[- ]time|for a limited time|today only|tonight only|this week(?:end)? only|24 hours only"
    r"|(?:ends|ending|expires?|offer ends)\s+(?:soon|today|tonight|tomorrow|at midnight|on \w+|this \w+)"
    r"|last chance|final hours|flash sale|while the (?:sale|offer) lasts|act now|don'?t miss out|don'?t wait"
    r"|hurry,? (?:the )?(?:sale|offer|deal) ends)\b|限时|仅限今[天日]|今日特惠|最后机会|即将结束|倒计时|手慢无",
    re.I,
)
_SCARCITY = re.compile(
    r"\b(?:only \d+ left|selling fast|almost gone|going fast|while (?:supplies|stocks?) lasts?|limited (?:stock|supply"
    r"|quantities)|low (?:in )?stock|(?:just|only) a few left|few left|before (?:they'?re|it'?s|they are|it is) gone"
    r"|hurry)\b|仅剩|只剩|库存紧张|数量有限|售完即止",
    re.I,
)
_RATED = re.compile(
    r"\b(?:top[- ]rated|highly[- ]rated|best[- ]rated|five[- ]star|5[- ]star|customer favou?rite|fan favou?rite"
    r"|loved by (?:customers|shoppers))\b|好评如潮|高分好评|五星",
    re.I,
)
_SUPERLATIVE = re.compile(
    r"\b(?:best[- ]?sell(?:er|ers|ing)|number one|no\. ?1|award[- ]winning|most popular|world'?s best|lowest price"
    r"|best price|cheapest|unbeatable|guaranteed?|clinically proven|doctor[- ]recommended|as seen on tv|trending"
    r"|viral|record[- ]breaking)\b|(?<![\w#])#\s?1\b|销量第一|最畅销|爆款|热销|全网最低|最低价|第一名|获奖",
    re.I,
)
_FREE = re.compile(
    r"\bfree\s+(?:shipping|delivery|returns?|exchanges?|gifts?|samples?|trials?|bonus|installation|engraving"
    r"|case|accessor\w+)\b|\bfor free\b|\bfree of charge\b|\bat no (?:extra )?cost\b|\bcomplimentary\b"
    r"|包邮|免运费|免费配送|免费送货|免费退货|免费退换|赠品|赠送",
    re.I,
)
_CODE = re.compile(
    r"\b(?:promo|discount|coupon|voucher)\s*codes?\b|\b(?:use|enter|apply)\s+(?:the\s+)?code\b|\bcoupons?\b"
    r"|\bvouchers?\b|优惠码|折扣码|优惠券",
    re.I,
)
_SAVE_BEFORE = re.compile(
    r"(?:\b(?:save|saving|savings|you save)\b\W{0,3}(?:up to\s+|an extra\s+|over\s+)?|省|立减)\s*$", re.I
)
# "Dear [Recipient's Name]": a template slot the model left unfilled.
_PLACEHOLDER = re.compile(r"\[[^\]\d]{2,}\]|<[a-z][^>]*>|\{[^}]*\}", re.I)
_WARRANTY_WORDS = re.compile(r"warrant|guarantee|保修|质保", re.I)
_RETURN_WORDS = re.compile(r"return|退", re.I)
_SHIP_WORDS = re.compile(r"ship|deliver|dispatch|发货|配送|送达", re.I)
_COMMON_NAMES = {"I", "USD", "OK", "You", "Your", "Get", "Shop", "Now", "New", "Buy", "Order", "Save", "Free"}


def mentions_discount(text: str) -> bool:
    """Does the copy claim a price cut ("10% off", "on sale", "save $5", "9折")?"""
    if _SALE.search(text) or _ZHE.search(text):
        return True
    return any(
        c.kind == "percent" and _DISCOUNT_CONTEXT.search(text[max(0, c.start - 25) : c.end + 15])
        for c in extract_claims(text)
    )


def copy_words(text: str) -> set[str]:
    """The words of a text that can tell one title or copy from another (lower case)."""
    return set(_WORD.findall(text.lower())) - _GENERIC


def names_product(text: str, product: Product) -> bool:
    """Does the copy name the product? Its full title, at least half of its title words, or
    its brand with one title word ("Beats Flex")."""
    lowered = text.lower()
    if product.title.lower() in lowered:
        return True
    title, said = copy_words(product.title), copy_words(text)
    if not title:
        return False
    if len(title & said) >= math.ceil(len(title) / 2):
        return True
    brand = copy_words(product.brand or "")
    return bool(brand) and brand <= said and bool((title - brand) & said)


def _text_of(product: Product) -> str:
    """Everything the store says about the product, lower case: the words copy may repeat."""
    parts = [
        product.title,
        product.brand or "",
        product.category,
        product.description,
        " ".join(product.tags),
        product.warranty or "",
        product.shipping or "",
        product.return_policy or "",
        " ".join(f"{k} {v}" for k, v in product.attributes.items()),
    ]
    return " ".join(parts).lower()


def _currency_of(amount: str) -> str:
    """The currency an amount is stated in: "47.13元" is yuan, "$47.13" and "47.13美元" dollars."""
    return "CNY" if amount.endswith("元") and not amount.endswith("美元") else "USD"


def _real_prices(product: Product) -> set[float]:
    prices = {product.price, product.sale_price} | {v.price for v in product.variants}
    if product.discount_percent:
        prices |= {round(v.price * (1 - product.discount_percent / 100), 2) for v in product.variants}
        # "Save $2.86" states the saving, which is as real as the prices it comes from.
        prices.add(round(product.price - product.sale_price, 2))
    return prices


def _durations(text: str) -> set[tuple[int, str]]:
    found = set()
    for claim in extract_claims(text):
        if claim.kind == "duration":
            numbers, unit = claim.value  # type: ignore[misc]
            found |= {(n, unit) for n in numbers}
    return found


# Title Case hides names among ordinary words ("The Ultimate E-Cigarette: Beats Flex", measured
# with SmolLM2), so there each capitalised word must be the store's (its data, the shopper's
# profile), a function word, or one of these words copy is made of (a list that reads better
# as prose than as 130 quoted lines).
_COPY_WORDS = frozenset(
    """ultimate perfect meet discover introducing new now get shop buy grab treat enjoy love loved loves
    favorite favourite essential essentials must-have upgrade style stylish smart simple easy everyday daily
    day days life ready home just deal deals price prices value offer offers special pick picks picked choice
    choose chosen gift gifts better best great quality comfort experience fresh bright bold classic modern
    premium affordable look looks feel sound sounds power level moment need needs want wants make makes
    say hello hi hey welcome dear friend friends fan fans lovers break secret idea ideas cool warm cozy fun
    happy joy wow here why how yours ours time way ways kind right good nice wonderful amazing
    beautiful lovely little big small light fast quick going looking save sale savings await awaits explore
    unlock celebrate elevate boost refresh stay try own hurry""".split()  # noqa: SIM905
)
# Words Title Case leaves in lower case ("Ready for Your Day with Beats Flex").
_MINOR_WORDS = {"with", "from", "into", "onto", "over", "than", "that", "this", "upon", "your", "about", "after"}


@cache
def _stop_words() -> frozenset[str]:
    # scikit-learn's English stop words; imported on first use, as scikit-learn takes a
    # second to import and `import agent` should stay quick.
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _title_case(sentence: str) -> bool:
    """A headline in Title Case capitalises ordinary words, which are not names. One other
    lower-case word of four letters or more ("Beats Flex by Sony, made in Japan") says it is not."""
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]*", sentence) if len(w) > 3 and w.lower() not in _MINOR_WORDS]
    return len(words) >= 2 and all(w[0].isupper() for w in words)


class _RejectedError(Exception):
    """The draft's premise is false (an invented discount): no sentence of it can be saved."""


Finding = tuple[str, str | None] | None  # None: the claim holds; else (reason, repaired text or None)


class PromoCheck:
    """The promo grounding check: each sentence of the copy is kept, repaired or dropped, and
    a draft whose premise is false (a discount the product doesn't have) is rejected.

    Example:
        >>> check = PromoCheck([mug])                      # $12.00, no discount, 40 in stock
        >>> check.check("Mug, now 40% off!", "", "chat_banner").rejected
        'claims a discount (40%), but the product has none'
        >>> check.check("Mug for $15", "Our Mug costs $15.", "email").headline
        'Mug for $12.00'
    """

    def __init__(
        self,
        products: Sequence[Product],
        profile: ShopperProfile | None = None,
        segment: str | None = None,
        store_name: str = "",
        named_in: Callable[[str], list[Product]] | None = None,
    ) -> None:
        """`named_in` finds catalog products a sentence names: a sentence naming one that
        isn't being promoted is dropped (its facts aren't checked here)."""
        if not products:
            raise ValueError("promo copy needs at least one product")
        self.products = list(products)
        self._named_in = named_in
        self._texts = {p.id: _text_of(p) for p in self.products}
        known = [store_name, segment or ""]
        if profile is not None:
            known += [*profile.categories, *profile.brands, *profile.searches, *(p.value for p in profile.preferences)]
        self._known_words = set(re.findall(r"[a-z][a-z'&-]*", " ".join([*self._texts.values(), *known]).lower()))
        self._known_words |= _MINOR_WORDS
        self._known_stems = {w[:5] for w in self._known_words if len(w) >= 5}

    # --- which product a claim is about ------------------------------------------------

    def _named(self, sentence: str) -> list[Product]:
        return [p for p in self.products if names_product(sentence, p)]

    def _targets(self, sentence: str) -> list[Product]:
        """The products a sentence is about: those it names, or all of them when it names none."""
        return self._named(sentence) or self.products

    def _owner(self, sentence: str, position: int) -> Product | None:
        """The product a claim at `position` is about: the one named nearest before it, or the
        only one in play."""
        if len(self.products) == 1:
            return self.products[0]
        lowered = sentence.lower()
        spots = []
        for product in self._named(sentence):
            hits = [lowered.find(w) for w in [product.title.lower(), *sorted(copy_words(product.title))]]
            hits = [h for h in hits if h >= 0]
            if hits:
                spots.append((min(hits), product))
        before = [(spot, p) for spot, p in spots if spot < position]
        if before:
            return max(before, key=lambda pair: pair[0])[1]
        return min(spots, key=lambda pair: pair[0])[1] if spots else None

    # --- phrase rules --------------------------------------------------------------------

    def _phrase_finding(self, sentence: str) -> str | None:
        """Why the sentence can't stay (a phrase the data doesn't support), or None.
        Raises _RejectedError for a discount claim about products without one."""
        targets = self._targets(sentence)
        discounted = [p for p in targets if p.discount_percent]
        sale = _SALE.search(sentence)
        if sale and not discounted:
            raise _RejectedError(f"claims a discount ({sale.group()!r}), but the product has none")
        for match in _ZHE.finditer(sentence):
            tenths = float(match.group(1))
            off = 100 - (tenths * 10 if tenths < 10 else tenths)
            if not discounted:
                raise _RejectedError(f"claims a discount ({match.group()!r}), but the product has none")
            if not any(abs(off - p.discount_percent) < 1 for p in discounted):
                return f"{match.group()} is not the product's discount"
        own_text = " ".join(self._texts[p.id] for p in targets)
        if match := _DEADLINE.search(sentence):
            return f"{match.group()!r}: the store's data has no end date for any offer"
        if (match := _SCARCITY.search(sentence)) and not all(
            p.stock is not None and 0 < p.stock <= LOW_STOCK for p in targets
        ):
            return f"{match.group()!r}: stock is not low"
        if (match := _RATED.search(sentence)) and not all((p.rating or 0) >= TOP_RATING for p in targets):
            return f"{match.group()!r}: the rating is below {TOP_RATING:g}"
        for pattern, what in ((_SUPERLATIVE, "ranking or award"), (_FREE, "free offer"), (_CODE, "discount code")):
            match = pattern.search(sentence)
            if match and match.group().lower() not in own_text and not self._free_supported(match.group(), targets):
                return f"{match.group()!r}: no {what} in the store's data"
        return None

    @staticmethod
    def _free_supported(phrase: str, targets: list[Product]) -> bool:
        lowered = phrase.lower()
        if re.search(r"shipping|delivery|包邮|运费|送货|配送", lowered):
            return all("free" in (p.shipping or "").lower() or "免" in (p.shipping or "") for p in targets)
        if re.search(r"return|exchange|退", lowered):
            return all("free" in (p.return_policy or "").lower() or "免" in (p.return_policy or "") for p in targets)
        return False

    # --- claim checkers ------------------------------------------------------------------

    def _check_money(self, claim: Claim, sentence: str) -> Finding:
        owner = self._owner(sentence, claim.start)
        products = [owner] if owner else self.products
        value = float(claim.value)  # type: ignore[arg-type]
        said_in = _currency_of(claim.text)
        currency = products[0].currency if len({p.currency for p in products}) == 1 else None

        def stated(amount: float) -> str:
            # The amount in the product's own currency: "47.13元" for a USD price becomes "$47.13".
            if currency is not None and said_in != currency:
                return money(amount, currency)
            return _AMOUNT.sub(f"{amount:,.2f}", claim.text, count=1)

        before = sentence[max(0, claim.start - 20) : claim.start]
        if owner is not None and _SAVE_BEFORE.search(before):
            # "Save $47.13" must be the saving, not a price.
            saving = round(owner.price - owner.sale_price, 2)
            if saving and abs(value - saving) < 0.005 and said_in == currency:
                return None
            return f"{claim.text} is not the saving on {owner.title}", stated(saving) if saving else None
        if any(abs(value - c) < 0.005 for p in products for c in _real_prices(p)):
            if said_in == currency or currency is None:
                return None
            return f"{claim.text} is not in the product's currency ({currency})", stated(value)
        reason = f"price {claim.text} is not in the store's data"
        if owner is None:
            return reason, None
        named = owner.variants_named_in(sentence)
        choices = [v.price for v in named] if named else [owner.price, owner.sale_price]
        return reason, stated(min(choices, key=lambda c: abs(c - value)))

    def _check_percent(self, claim: Claim, sentence: str) -> Finding:
        targets = [o] if (o := self._owner(sentence, claim.start)) else self._targets(sentence)
        nearby = sentence[max(0, claim.start - 25) : claim.end + 15]
        if not _DISCOUNT_CONTEXT.search(nearby):
            # "100% cotton": a fact about the product, which its own text must state.
            if any(claim.text.replace(" ", "") in self._texts[p.id].replace(" ", "") for p in targets):
                return None
            return f"{claim.text} is not in the store's data", None
        real = {p.discount_percent for p in targets if p.discount_percent}
        if not real:
            raise _RejectedError(f"claims a discount ({claim.text}), but the product has none")
        # The real 5.73% may be said as "5.73%", "5.7%", "6%" or "5%"; never as "10%".
        said = float(claim.value)  # type: ignore[arg-type]
        if any(abs(said - r) < 0.5 or said == math.floor(r) for r in real):
            return None
        fix = f"{next(iter(real)):g}%" if len(real) == 1 else None
        return f"{claim.text} is not the product's discount", fix

    def _check_count(self, claim: Claim, sentence: str) -> Finding:
        targets = [o] if (o := self._owner(sentence, claim.start)) else self._targets(sentence)
        counts = {c for p in targets for c in (p.stock, p.min_order_quantity, *(v.stock for v in p.variants))}
        if claim.value in counts:
            return None
        return f"stock {claim.text} does not match the store's data", None

    def _check_stock_state(self, claim: Claim, sentence: str) -> Finding:
        said = claim.kind == "in_stock"
        targets = [o] if (o := self._owner(sentence, claim.start)) else self._targets(sentence)
        wrong = [p for p in targets if p.in_stock != said]
        if not wrong:
            return None
        return f"{wrong[0].title} is {'not ' if said else ''}in stock", None

    def _check_duration(self, claim: Claim, sentence: str) -> Finding:
        numbers, unit = claim.value  # type: ignore[misc]
        targets = [o] if (o := self._owner(sentence, claim.start)) else self._targets(sentence)
        # "a 2 year warranty" must be the warranty's length, not the return window's.
        fields = [
            name
            for name, words in (
                ("warranty", _WARRANTY_WORDS),
                ("return_policy", _RETURN_WORDS),
                ("shipping", _SHIP_WORDS),
            )
            if words.search(sentence)
        ]
        texts = [getattr(p, f) or "" for p in targets for f in fields] if fields else list(self._texts.values())
        allowed = _durations(" ".join(texts))
        if all((n, unit) in allowed for n in numbers):
            return None
        return f"{claim.text!r} is not a term in the store's data", None

    def _check_number(self, claim: Claim, sentence: str) -> Finding:
        allowed = {v for p in self.products for v in (*_real_prices(p), p.rating or -1, p.discount_percent)}
        if any(abs(float(claim.value) - a) < 0.005 for a in allowed):  # type: ignore[arg-type]
            return None
        return f"number {claim.text} is not in the store's data", None

    def _check_term(self, claim: Claim, sentence: str) -> Finding:
        targets = [o] if (o := self._owner(sentence, claim.start)) else self._targets(sentence)
        markers = {"lifetime": ("lifetime", "终身"), "no_returns": ("no return",), "no_warranty": ("no warranty",)}
        if all(any(m in self._texts[p.id] for m in markers[claim.kind]) for p in targets):
            return None
        return f"{claim.text!r} is not a term in the store's data", None

    def _known(self, word: str) -> bool:
        lowered = word.lower().removesuffix("'s")
        if lowered in self._known_words or lowered in _stop_words() or lowered in _COPY_WORDS:
            return True
        # "Versatility" is the description's "versatile"; "Comfort" its "comfortable".
        return len(lowered) >= 5 and lowered[:5] in self._known_stems

    def _unknown_in_title_case(self, sentence: str) -> list[str]:
        """Capitalised words of a Title Case sentence that are not the store's or copy's words."""
        if not _title_case(sentence):
            return []
        words = re.findall(r"[A-Za-z][A-Za-z'&-]*", sentence)
        return [w for w in words if w[0].isupper() and not self._known(w)]

    def _check_name(self, claim: Claim, sentence: str) -> Finding:
        # Each word on its own: "Aisle Demo Store's Beats Flex" joins two known names.
        words = [w.removesuffix("'s") for w in re.findall(r"[A-Za-z][A-Za-z'&-]*", str(claim.value))]
        unknown = [w for w in words if w.lower() not in self._known_words and w not in _COMMON_NAMES]
        if not unknown or _title_case(sentence):
            return None
        return f"{' '.join(unknown)!r} does not appear in the store's data", None

    @staticmethod
    def _never(claim: Claim, sentence: str) -> Finding:
        # Dates, order and tracking numbers, price comparisons: no product fact backs them.
        return f"{claim.text!r} is not something promo copy can state from the product data", None

    def _finding(self, claim: Claim, sentence: str) -> Finding:
        kind = claim.kind
        if kind == "money":
            return self._check_money(claim, sentence)
        if kind == "percent":
            return self._check_percent(claim, sentence)
        if kind == "stock_count":
            return self._check_count(claim, sentence)
        if kind in {"in_stock", "out_of_stock"}:
            return self._check_stock_state(claim, sentence)
        if kind == "duration":
            return self._check_duration(claim, sentence)
        if kind == "number":
            return self._check_number(claim, sentence)
        if kind in {"lifetime", "no_returns", "no_warranty"}:
            return self._check_term(claim, sentence)
        if kind == "name":
            return None if str(claim.value) in _COMMON_NAMES else self._check_name(claim, sentence)
        if kind == "status":
            return None  # "ships" / "shipped overnight" describe shipping, not an order
        return self._never(claim, sentence)

    # --- sentences and drafts ------------------------------------------------------------

    def check_sentence(self, sentence: str, part: Literal["headline", "body"]) -> tuple[str | None, list[PromoFix]]:
        """The sentence, repaired where a value has one right answer, or None when it must go.
        Raises _RejectedError when the draft's premise is false."""
        if self._named_in is not None:
            strangers = [p for p in self._named_in(sentence) if p.id not in {q.id for q in self.products}]
            if strangers:
                return None, [PromoFix("dropped", part, sentence, f"names {strangers[0].title}, not promoted here")]
        if _PLACEHOLDER.search(sentence):
            return None, [PromoFix("dropped", part, sentence, "a placeholder, not copy")]
        reason = self._phrase_finding(sentence)
        unknown = self._unknown_in_title_case(sentence)
        if reason is None and unknown:
            reason = f"{' '.join(unknown)!r} does not appear in the store's data"
        if reason is not None:
            return None, [PromoFix("dropped", part, sentence, reason)]
        repairs: list[tuple[Claim, str, str]] = []
        for claim in extract_claims(sentence):
            finding = self._finding(claim, sentence)
            if finding is None:
                continue
            why, fix = finding
            if fix is None:
                return None, [PromoFix("dropped", part, sentence, why)]
            repairs.append((claim, fix, why))
        fixed = sentence
        for claim, fix, _ in sorted(repairs, key=lambda r: -r[0].start):
            fixed = fixed[: claim.start] + fix + fixed[claim.end :]
        return fixed, [PromoFix("repaired", part, claim.text, why, fix) for claim, fix, why in repairs]

    def _check_part(self, text: str, part: Literal["headline", "body"]) -> tuple[str, list[PromoFix]]:
        kept: list[str] = []
        fixes: list[PromoFix] = []
        seen: set[str] = set()
        for sentence in split_sentences(text):
            # Small models repeat themselves; a sentence said twice is said once.
            if sentence.strip().lower() in seen:
                continue
            seen.add(sentence.strip().lower())
            fixed, found = self.check_sentence(sentence.strip(), part)
            fixes += found
            if fixed:
                kept.append(fixed)
        return " ".join(kept), fixes

    def check(self, headline: str, body: str, channel: PromoChannel, language: Language = "en") -> CheckedCopy:
        """Check a whole draft: what is left of it, what changed, and why it is rejected if it is.
        Copy meant for Chinese readers must be in Chinese (the small models often answer in English)."""
        spec = LIMITS[channel]
        # Shortened first: what is cut can't mislead, so it needn't pass the check.
        short, shortened = _shorten_headline(headline, spec.headline_max)
        fixes = [PromoFix("repaired", "headline", headline, "too long for the channel", short)] if shortened else []
        try:
            new_headline, headline_fixes = self._check_part(short, "headline")
            new_body, body_fixes = self._check_part(body, "body")
        except _RejectedError as exc:
            return CheckedCopy("", "", (PromoFix("rejected", "draft", f"{headline} | {body}", str(exc)),), str(exc))
        fixes += headline_fixes + body_fixes
        new_body = _fit(new_body, spec.body_max)
        reason = None
        if not new_headline:
            reason = "no headline left after the check"
        elif spec.body_required and not new_body:
            reason = "no body left after the check"
        elif not any(names_product(f"{new_headline} {new_body}", p) for p in self.products):
            reason = "does not name the product"
        elif language == "zh" and not _CJK.search(f"{new_headline} {new_body}"):
            reason = "not written in Chinese"
        if reason:
            fixes.append(PromoFix("rejected", "draft", f"{headline} | {body}", reason))
            return CheckedCopy("", "", tuple(fixes), reason)
        return CheckedCopy(new_headline, new_body, tuple(fixes))


def _shorten_headline(headline: str, limit: int) -> tuple[str, bool]:
    """A headline over the limit keeps its first clause ("Beats Flex: A Comprehensive ..." →
    "Beats Flex"), or is dropped when even that is too long."""
    if len(headline) <= limit:
        return headline, False
    first = re.split(r"\s[-–—|]\s|:\s|[.!?。！？]\s*", headline, maxsplit=1)[0].strip()
    return (first if 0 < len(first) <= limit else ""), True


def _fit(body: str, limit: int) -> str:
    """Whole sentences up to the channel's length."""
    kept: list[str] = []
    for sentence in split_sentences(body):
        if len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence.strip())
    return " ".join(kept)
