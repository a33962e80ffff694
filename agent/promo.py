"""Promo copy: the dialogue model writes variants; `PromoCheck` keeps only what the store's
data supports.

`PromoWriter.write` asks the model for one variant per angle (value: the price and
discount; benefit: what the product does; personal: why it suits this shopper or segment;
trust: rating, warranty, returns, shipping), parses each reply into a headline and a body,
and runs it through the promo grounding check (`agent.promo_check`), which repairs wrong
prices and discounts, drops sentences whose claims the data doesn't back, and rejects
drafts built on an invented discount. Each draft keeps the list of what was changed, for
staff. When every variant fails, templated copy built from the product data (and checked
the same way) is returned, so there is always one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from string import Template
from typing import Literal

from agent.grounding import split_sentences
from agent.language import Language
from agent.llm import ChatMessage, ChatModel
from agent.promo_check import LOW_STOCK, PromoCheck, PromoFix, copy_words
from agent.sources import money
from knowledge import Product, PromoChannel, PromoVariant, ShopperProfile

Angle = Literal["value", "benefit", "personal", "trust"]
PROMO_ANGLES: tuple[Angle, ...] = ("value", "benefit", "personal", "trust")
Origin = Literal["model", "template"]

_FOLDER = Path(__file__).parent / "prompts"
_LANGUAGES = {"en": "English", "zh": "Chinese (简体中文)"}


# What the prompt asks for in each channel, and the tokens that leaves room for.
_CHANNEL_TASKS: dict[PromoChannel, tuple[str, int]] = {
    "chat_banner": ("a chat banner: Headline is one line of at most 80 characters; Body is one short sentence", 70),
    "email": (
        "a promotional e-mail: Headline is the subject line, at most 70 characters; Body is two or three sentences",
        150,
    ),
    "product_page": (
        "a product-page blurb: Headline is a short title of at most 80 characters; Body is two sentences",
        120,
    ),
}

_ANGLE_TASKS: dict[Angle, str] = {
    "value": "lead with the price{discount}.",
    "benefit": "lead with what the product does for the shopper and why it is useful. Do not mention the price.",
    "personal": "speak directly to this reader ({reader}) and say why the product suits them.",
    "trust": "lead with the facts that make buying safe: {trust}.",
}


@dataclass(frozen=True)
class PromoDraft:
    """A promo copy variant that passed the check, with what the check changed on the way.

    Example:
        >>> draft = writer.write([product], "email")[0]
        >>> draft.headline, [fix.describe() for fix in draft.fixes]
        ('Beats Flex Wireless Earphones, now $47.13', [])
        >>> promos.save(draft.to_variant(audience="7"))
    """

    product_ids: tuple[str, ...]
    channel: PromoChannel
    angle: Angle
    headline: str
    body: str
    origin: Origin
    language: Language = "en"
    fixes: tuple[PromoFix, ...] = ()
    raw: str = ""  # what the model wrote, for staff reviewing the check

    def to_variant(
        self, audience: str | None = None, predicted_ctr: float | None = None, predicted_cvr: float | None = None
    ) -> PromoVariant:
        return PromoVariant(
            product_ids=list(self.product_ids),
            channel=self.channel,
            audience=audience,
            headline=self.headline,
            body=self.body,
            angle=self.angle,
            language=self.language,
            predicted_ctr=predicted_ctr,
            predicted_cvr=predicted_cvr,
        )


@dataclass(frozen=True)
class PromoBatch:
    """Everything one `PromoWriter.draft` call produced: the drafts kept and those rejected."""

    drafts: list[PromoDraft]
    rejected: list[PromoDraft] = field(default_factory=list)


# --- reading what the model wrote ------------------------------------------------------

_LABEL = re.compile(
    r"^\s*[*_#>\s]*(headline|subject(?: line)?|title|banner|body|text|blurb|copy|标题|主题|正文|内容)"
    r"\s*[*_]*\s*[:：]\s*",
    re.I,
)
_BODY_LABELS = {"body", "text", "blurb", "copy", "正文", "内容"}
_OTHER_LABEL = re.compile(r"^\s*[*_#]*[A-Z][A-Za-z ]{1,20}[*_]*\s*:\s*$")
_DATA_LINE = re.compile(r"^\s*(?:[-*•]|\d+\.)\s*[\w /]{1,30}[:：](?:\s|$)")
_QUOTES = " \t\"'“”‘’*_#`"


def _labelled_lines(text: str) -> Iterator[tuple[str | None, str]]:
    """The reply's lines as (label, text), label "headline", "body" or None, up to where the
    copy ends: a second headline (the model has started another variant) or a label of its
    own ("Premise:", "Note:") after the copy's labels."""
    seen_label = seen_headline = False
    for raw_line in text.strip().splitlines():
        line = re.sub(r"\*\*|__", "", raw_line).strip()  # markdown bold
        if not line:
            continue
        kind = None
        while label := _LABEL.match(line):  # "Body: Headline: …" holds a second headline
            kind = "body" if label.group(1).lower() in _BODY_LABELS else "headline"
            if kind == "headline" and seen_headline:
                return
            seen_label, seen_headline = True, seen_headline or kind == "headline"
            line = line[label.end() :]
        if kind is None and seen_label and _OTHER_LABEL.match(line):
            return
        yield kind, line


def _copy_line(line: str, in_body: bool) -> str:
    """A line as copy: list lines that read like a data sheet ("- Rating: 4.2") are not copy;
    a list item in the body becomes a sentence."""
    if _DATA_LINE.match(line):
        return ""
    bullet = re.match(r"^\s*(?:[-*•]|\d+\.)\s+", line)
    line = (line[bullet.end() :] if bullet else line).strip(_QUOTES)
    if line and bullet and in_body and not re.search(r"[.!?。！？]$", line):
        line += "."
    return line


def parse_copy(text: str) -> tuple[str, str]:
    """(headline, body) from the model's "Headline: … / Body: …" reply, read leniently:
    without labels, the first sentence is the headline."""
    headline: list[str] = []
    body: list[str] = []
    current: list[str] | None = None
    labelled = False
    for kind, line in _labelled_lines(text):
        labelled = labelled or kind is not None
        if kind is not None:
            current = headline if kind == "headline" else body
        elif current is None:
            current = headline
        elif current is headline and headline:
            current = body
        copy = _copy_line(line, in_body=current is body)
        if copy:
            current.append(copy)
    if not labelled:
        first, *rest = split_sentences(" ".join(headline + body)) or [""]
        headline, body = [first], [s.strip() for s in rest]
    body_text = " ".join(body)
    sentences = split_sentences(body_text)
    # A last sentence cut off by the token limit reads as a mistake: drop it if others remain.
    if len(sentences) > 1 and not re.search(r"[.!?。！？)\]]$", sentences[-1].strip()):
        body_text = " ".join(s.strip() for s in sentences[:-1])
    return " ".join(headline).strip(_QUOTES), body_text.strip().strip(_QUOTES)


# --- the prompt --------------------------------------------------------------------------


def promo_facts(product: Product) -> str:
    """The product as one line of data for the prompt: only what copy may use.

    The stock count is shown only when it is low: a count in copy is only worth saying then.
    """
    parts = [product.title]
    if product.brand:
        parts.append(f"brand {product.brand}")
    if product.category:
        parts.append(f"category {product.category}")
    price = f"price {money(product.price, product.currency)}"
    if product.discount_percent:
        price += f", {product.discount_percent:g}% off: now {money(product.sale_price, product.currency)}"
    else:
        price += " (no discount)"
    parts.append(price)
    if not product.in_stock:
        parts.append("out of stock")
    elif product.stock is not None and product.stock <= LOW_STOCK and not product.variants:
        parts.append(f"only {product.stock} left")
    if product.rating is not None:
        parts.append(f"rating {product.rating:g}/5")
    for label, value in (("warranty", product.warranty), ("shipping", product.shipping)):
        if value:
            parts.append(f"{label}: {value}")
    if product.return_policy and not product.return_policy.lower().startswith("no "):
        parts.append(f"returns: {product.return_policy}")
    if product.description:
        description = " ".join(product.description.split())
        parts.append(description if len(description) <= 240 else description[:239].rsplit(" ", 1)[0] + "…")
    return " | ".join(parts)


def _reader(profile: ShopperProfile | None, segment: str | None, products: Sequence[Product]) -> str | None:
    """A few words on who reads the copy, from the profile's strongest signals."""
    parts = []
    if segment:
        parts.append(segment)
    if profile is not None:
        wanted = {p.category for p in products} | {p.brand for p in products if p.brand}
        likes = [c for c in profile.categories if c in wanted] + [b for b in profile.brands if b in wanted]
        likes += [c for c in list(profile.categories)[:2] if c not in likes]
        if likes:
            parts.append("likes " + ", ".join(likes[:3]))
        told = [f"{p.kind}: {p.value}" for p in profile.preferences if p.kind != "budget"][:3]
        if told:
            parts.append("told us " + "; ".join(told))
        if profile.budget is not None:
            parts.append(f"budget about {money(profile.budget)}")
    return ", ".join(parts) or None


def _angles(products: Sequence[Product], reader: str | None, n: int) -> list[Angle]:
    usable = [a for a in PROMO_ANGLES if a != "personal" or reader]
    if not any(p.rating or p.warranty or p.return_policy for p in products):
        usable.remove("trust")
    return usable[:n]


def _angle_task(angle: Angle, products: Sequence[Product], reader: str | None) -> str:
    if angle == "value":
        discount = " and the discount" if any(p.discount_percent for p in products) else ""
        return _ANGLE_TASKS["value"].format(discount=discount)
    if angle == "trust":
        trust = ", ".join(
            name
            for name, present in (
                ("the rating", any(p.rating for p in products)),
                ("the warranty", any(p.warranty and "no warranty" not in p.warranty.lower() for p in products)),
                (
                    "the return policy",
                    any(p.return_policy and "no return" not in p.return_policy.lower() for p in products),
                ),
                ("the shipping time", any(p.shipping for p in products)),
            )
            if present
        )
        return _ANGLE_TASKS["trust"].format(trust=trust or "the product facts")
    return _ANGLE_TASKS[angle].format(reader=reader or "")


class PromoWriter:
    """Writes promo copy variants with the dialogue model and keeps only grounded ones.

    Example:
        >>> writer = PromoWriter(model, store_name="Aisle Demo Store")
        >>> drafts = writer.write([catalog.product("107")], "email", profile=profile, n=3)
        >>> [(d.angle, d.headline) for d in drafts]
        [('value', 'Beats Flex Wireless Earphones - 5.73% Off, $47.13'), ('benefit', ...), ...]
    """

    def __init__(
        self,
        model: ChatModel,
        store_name: str = "our store",
        named_in: Callable[[str], list[Product]] | None = None,
    ) -> None:
        """`named_in` (e.g. `ProductSearch.named_in`) lets the check drop sentences that name
        other catalog products."""
        self._model = model
        self._store_name = store_name
        self._named_in = named_in
        self._system = Template((_FOLDER / "promo_system.txt").read_text(encoding="utf-8"))
        self._task = Template((_FOLDER / "promo_task.txt").read_text(encoding="utf-8"))

    def messages(
        self, products: Sequence[Product], channel: PromoChannel, angle: Angle, reader: str | None, language: Language
    ) -> list[ChatMessage]:
        system = self._system.substitute(store_name=self._store_name, language=_LANGUAGES[language])
        task = self._task.substitute(
            products="\n".join(f"- {promo_facts(p)}" for p in products),
            channel=_CHANNEL_TASKS[channel][0],
            angle=_angle_task(angle, products, reader),
            language=_LANGUAGES[language],
        )
        return [ChatMessage("system", system), ChatMessage("user", task)]

    def write(
        self,
        products: Sequence[Product],
        channel: PromoChannel,
        profile: ShopperProfile | None = None,
        n: int = 3,
        segment: str | None = None,
        language: Language = "en",
    ) -> list[PromoDraft]:
        """Up to `n` grounded variants (one per angle; at most 4), never none.

        `profile` (a shopper) or `segment` (a few words such as "runners on a budget")
        enables the personal angle. Slow: one model call per variant.
        """
        return self.draft(products, channel, profile, n, segment, language).drafts

    def draft(
        self,
        products: Sequence[Product],
        channel: PromoChannel,
        profile: ShopperProfile | None = None,
        n: int = 3,
        segment: str | None = None,
        language: Language = "en",
    ) -> PromoBatch:
        """As `write`, also returning the drafts the check rejected (for staff to see why)."""
        if channel not in _CHANNEL_TASKS:
            raise ValueError(f"unknown channel {channel!r}; choose one of: {', '.join(_CHANNEL_TASKS)}")
        if n < 1:
            raise ValueError("n must be at least 1")
        products = list(products)
        check = PromoCheck(products, profile, segment, self._store_name, self._named_in)
        reader = _reader(profile, segment, products)
        kept: list[PromoDraft] = []
        rejected: list[PromoDraft] = []
        for angle in _angles(products, reader, n):
            raw = "".join(
                self._model.stream(
                    self.messages(products, channel, angle, reader, language),
                    max_new_tokens=_CHANNEL_TASKS[channel][1],
                )
            )
            headline, body = parse_copy(raw)
            checked = check.check(headline, body, channel, language)
            draft = PromoDraft(
                product_ids=tuple(p.id for p in products),
                channel=channel,
                angle=angle,
                headline=checked.headline or headline,
                body=checked.body if not checked.rejected else body,
                origin="model",
                language=language,
                fixes=checked.fixes,
                raw=raw,
            )
            duplicate = any(_same(draft, other) for other in kept)
            if checked.rejected or duplicate:
                if duplicate:
                    draft = _with_fix(
                        draft, PromoFix("rejected", "draft", draft.headline, "same copy as another variant")
                    )
                rejected.append(draft)
            else:
                kept.append(draft)
        if not kept:
            kept = templated(products, channel, check, profile, segment, language, n)
        return PromoBatch(kept, rejected)


def _same(a: PromoDraft, b: PromoDraft) -> bool:
    """Two angles can yield the same copy (greedy decoding, a small model); one is enough."""
    if copy_words(a.headline) == copy_words(b.headline):
        return True
    return bool(a.body) and copy_words(a.body) == copy_words(b.body)


def _with_fix(draft: PromoDraft, fix: PromoFix) -> PromoDraft:
    return replace(draft, fixes=(*draft.fixes, fix))


# --- templated copy: facts only ---------------------------------------------------------


def _first_sentence(text: str) -> str:
    sentences = split_sentences(text)
    return sentences[0].strip() if sentences else ""


def _price_sentence(product: Product, language: Language) -> str:
    price, sale = money(product.price, product.currency), money(product.sale_price, product.currency)
    if language == "zh":
        if product.discount_percent:
            return f"{product.title}原价{price}，优惠{product.discount_percent:g}%后仅需{sale}。"
        return f"{product.title}售价{price}。"
    if product.discount_percent:
        return f"Get the {product.title} for {sale} instead of {price}."
    return f"The {product.title} costs {price}."


def _trust_terms(product: Product) -> list[str]:
    """Warranty, returns and shipping, leaving out "No warranty" and "No return policy"."""
    terms = [product.warranty, product.return_policy, product.shipping]
    return [t for t in terms if t and not t.lower().startswith("no ")]


def _template_copy(
    products: Sequence[Product], angle: Angle, profile: ShopperProfile | None, language: Language
) -> tuple[str, str]:
    """(headline, body) for one angle, every value taken from the data."""
    zh = language == "zh"
    product = products[0]
    title = " + ".join(p.title for p in products)
    sale = money(product.sale_price, product.currency)
    now = f"现价{sale}。" if zh else f"Now {sale}."
    if angle == "value":
        pct = f"{product.discount_percent:g}%"
        if product.discount_percent:
            headline = f"{product.title}：{pct}折扣，现价{sale}" if zh else f"{product.title}: {pct} off, now {sale}"
        else:
            headline = f"{product.title}，仅需{sale}" if zh else f"{product.title} for {sale}"
        body = [_price_sentence(p, language) for p in products]
        if product.shipping:
            body.append(f"发货：{product.shipping}。" if zh else f"{product.shipping}.")
        return headline, " ".join(body)
    if angle == "benefit":
        body = [_first_sentence(p.description) for p in products if p.description]
        return (title if zh else f"Meet the {title}"), " ".join([*body, now])
    if angle == "personal":
        liked = [c for c in (profile.categories if profile else {}) if c in {p.category for p in products}]
        if zh:
            reason = f"您常逛{liked[0]}，这款值得一看。" if liked else ""
            return f"为您精选：{title}", f"{reason}{_first_sentence(product.description)} {now}".strip()
        reason = f"You have been browsing {liked[0]}, so this one is for you." if liked else ""
        return f"Picked for you: {title}", f"{reason} {_first_sentence(product.description)} {now}".strip()
    terms = _trust_terms(product)
    if zh:
        rated = f"，评分{product.rating:g}/5" if product.rating else ""
        return f"{product.title}{rated}", ("；".join(terms) + "。") if terms else now
    rated = f", rated {product.rating:g}/5" if product.rating else ""
    return f"{product.title}{rated}", " ".join(f"{t[0].upper()}{t[1:]}." for t in terms) or now


def templated(
    products: Sequence[Product],
    channel: PromoChannel,
    check: PromoCheck,
    profile: ShopperProfile | None = None,
    segment: str | None = None,
    language: Language = "en",
    n: int = 3,
) -> list[PromoDraft]:
    """Fact-only copy from the product data, one per angle, checked like the model's (a
    description may itself say something the data doesn't back, e.g. "90% off")."""
    reader = _reader(profile, segment, products)
    drafts: list[PromoDraft] = []
    for angle in [*_angles(products, reader, n), "value"]:
        headline, body = _template_copy(products, angle, profile, language)
        checked = check.check(headline, body, channel, language)
        if checked.rejected or any(d.angle == angle for d in drafts):
            continue
        drafts.append(
            PromoDraft(
                product_ids=tuple(p.id for p in products),
                channel=channel,
                angle=angle,
                headline=checked.headline,
                body=checked.body,
                origin="template",
                language=language,
                fixes=checked.fixes,
            )
        )
    if not drafts:
        # Every value here is the product's own, so this last line of defence needs no check.
        headline = products[0].title
        body = " ".join(_price_sentence(p, language) for p in products)
        drafts.append(PromoDraft(tuple(p.id for p in products), channel, "value", headline, body, "template", language))
    return drafts[: max(n, 1)]
