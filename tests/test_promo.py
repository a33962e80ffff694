"""Promo copy: whatever the model writes, a shopper only sees prices, discounts and claims
the store's data backs, and there is always some copy to show."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

import knowledge
from agent import ChatModel, PromoCheck, PromoWriter, extract_claims
from knowledge import Product, ShopperProfile, load_store_folder
from tests.scripted_model import ScriptedChatModel

TAU_STORE = Path(__file__).parent.parent / "bench" / "stores" / "tau-retail"

MUG = Product(
    id="mug",
    title="Stoneware Coffee Mug",
    brand="Aisle Home",
    category="kitchen",
    price=12.0,
    stock=40,
    rating=4.7,
    description="A 350 ml stoneware mug that keeps coffee warm. Dishwasher safe, with a 100% lead-free glaze.",
    warranty="1 year warranty",
    shipping="Free shipping, ships in 2 days",
    return_policy="30 days return policy",
)
LAST_LAMP = Product(id="lamp", title="Brass Desk Lamp", price=45.0, discount_percent=10, stock=3, rating=3.9)


@pytest.fixture(scope="module")
def demo_catalog() -> dict[str, Product]:
    return {p.id: p for p in load_store_folder(knowledge.DEMO_STORE_DIR).products}


@pytest.fixture(scope="module")
def beats(demo_catalog: dict[str, Product]) -> Product:
    product = demo_catalog["107"]  # $49.99, 5.73% off = $47.13, 50 in stock, rating 4.24, 1 year warranty
    assert (product.price, product.sale_price, product.discount_percent) == (49.99, 47.13, 5.73)
    return product


def real_prices(product: Product) -> set[float]:
    """Every amount promo copy may state for the product: prices, sale prices and the saving."""
    prices = {product.price, product.sale_price, round(product.price - product.sale_price, 2)}
    prices |= {v.price for v in product.variants}
    prices |= {round(v.price * (1 - product.discount_percent / 100), 2) for v in product.variants}
    return prices


def assert_grounded(headline: str, body: str, product: Product) -> None:
    """The copy's money amounts are the product's, its percents its discount, and it names it."""
    text = f"{headline} {body}"
    for claim in extract_claims(text):
        if claim.kind == "money":
            assert any(abs(claim.value - p) < 0.005 for p in real_prices(product)), (claim.text, text)  # type: ignore[operator]
        if claim.kind == "percent" and "off" in text[claim.end : claim.end + 6].lower():
            assert product.discount_percent, text
            assert abs(claim.value - product.discount_percent) < 1, (claim.text, text)  # type: ignore[operator]
    if not product.discount_percent:
        assert not re.search(r"\b(?:on sale|discount(?:ed)?|savings)\b|\d+(?:\.\d+)?\s?% off", text, re.I), text
    assert any(word.lower() in text.lower() for word in product.title.split() if len(word) > 3), text


# --- with the real (small) model -------------------------------------------------------


def test_every_variant_the_model_writes_states_only_real_prices_and_discounts(
    smollm: ChatModel, beats: Product
) -> None:
    tau = load_store_folder(TAU_STORE).products
    kettle = next(p for p in tau if p.title == "Electric Kettle")  # no discount, 16 variants at different prices
    profile = ShopperProfile(
        customer_id="7", as_of=datetime.now(UTC), categories={"mobile-accessories": 1.0}, brands={"Beats": 1.0}
    )
    writer = PromoWriter(smollm, store_name="Aisle Demo Store")
    for product, channel, shopper in ((beats, "email", profile), (kettle, "chat_banner", None)):
        drafts = writer.write([product], channel, profile=shopper, n=2)
        assert 1 <= len(drafts) <= 2
        for draft in drafts:
            assert draft.product_ids == (product.id,) and draft.channel == channel
            assert draft.headline
            assert_grounded(draft.headline, draft.body, product)


# --- the check on hand-written copy ----------------------------------------------------


def test_an_invented_discount_rejects_the_whole_draft() -> None:
    check = PromoCheck([MUG])  # no discount
    for headline, body in (
        ("Stoneware Coffee Mug, now 40% off!", "Treat yourself."),
        ("Stoneware Coffee Mug on sale", "The Stoneware Coffee Mug costs $12.00."),
        ("Stoneware Coffee Mug", "Save $5 on the Stoneware Coffee Mug this week."),
        ("Stoneware Coffee Mug 8折", "仅需$12.00。"),
    ):
        result = check.check(headline, body, "email")
        assert result.rejected is not None and "discount" in result.rejected, (headline, result)
        assert (result.headline, result.body) == ("", "")
    # A percent that is a product fact, not a discount, is fine when the data says it.
    kept = check.check("Stoneware Coffee Mug", "A mug with a 100% lead-free glaze.", "email")
    assert kept.rejected is None and "100%" in kept.body


def test_a_wrong_price_or_discount_is_repaired_to_the_real_one(beats: Product) -> None:
    check = PromoCheck([beats])
    result = check.check(
        "Beats Flex Wireless Earphones, now $45", "Save 10% on the Beats Flex Wireless Earphones.", "email"
    )
    assert result.rejected is None
    assert result.headline == "Beats Flex Wireless Earphones, now $47.13"
    assert result.body == "Save 5.73% on the Beats Flex Wireless Earphones."
    assert [(f.action, f.text, f.result) for f in result.fixes] == [
        ("repaired", "$45", "$47.13"),
        ("repaired", "10%", "5.73%"),
    ]
    # "Save $47.13" states a price as the saving: the real saving is $2.86.
    saving = check.check("Beats Flex Wireless Earphones", "Save $47.13 on the Beats Flex today.", "email")
    assert saving.body == "Save $2.86 on the Beats Flex today."
    # A dollar price stated in yuan is not that price.
    yuan = check.check("Beats Flex Wireless Earphones", "Beats Flex Wireless Earphones现价47.13元。", "email", "zh")
    assert yuan.body == "Beats Flex Wireless Earphones现价$47.13。"
    # Right values pass untouched.
    clean = check.check("Beats Flex Wireless Earphones: 5.73% off, now $47.13", "Was $49.99.", "chat_banner")
    assert clean.fixes == () and clean.headline == "Beats Flex Wireless Earphones: 5.73% off, now $47.13"


@pytest.mark.parametrize(
    ("sentence", "reason"),
    [
        ("Limited time only: the Beats Flex at $47.13.", "no end date"),
        ("Only 3 left of the Beats Flex!", "stock is not low"),
        ("The Beats Flex is selling fast.", "stock is not low"),
        ("Free shipping on the Beats Flex.", "no free offer"),
        ("Use code SAVE10 for the Beats Flex.", "no discount code"),
        ("The best-selling Beats Flex is back.", "no ranking or award"),
        ("The award-winning Beats Flex.", "no ranking or award"),
        ("Our top-rated Beats Flex.", "rating is below"),
        ("The Beats Flex comes with a 2 year warranty.", "not a term"),
        ("The Beats Flex has a lifetime warranty.", "not a term"),
        ("Beats Flex, designed by Sony in Japan.", "does not appear"),
        ("The Beats Flex ships free of charge.", "no free offer"),
        ("Dear [Customer Name], meet the Beats Flex.", "placeholder"),
    ],
)
def test_claims_the_data_does_not_back_drop_their_sentence(beats: Product, sentence: str, reason: str) -> None:
    result = PromoCheck([beats]).check("Beats Flex Wireless Earphones", f"{sentence} Meet the Beats Flex.", "email")
    assert result.body == "Meet the Beats Flex."
    dropped = [f for f in result.fixes if f.action == "dropped"]
    assert len(dropped) == 1 and reason in dropped[0].reason, result.fixes


def test_claims_the_data_does_back_are_kept() -> None:
    mug = PromoCheck([MUG])  # free shipping, rating 4.7, 1 year warranty, 30 day returns
    text = (
        "Our top-rated Stoneware Coffee Mug comes with free shipping and a 1 year warranty. "
        "Return it within 30 days. It is in stock."
    )
    assert mug.check("Stoneware Coffee Mug for $12.00", text, "email").body == text
    lamp = PromoCheck([LAST_LAMP])  # 3 left, 10% off
    body = "Only 3 left, so hurry: the Brass Desk Lamp is 10% off at $40.50."
    assert lamp.check("Brass Desk Lamp", body, "email").body == body


def test_a_draft_that_loses_its_headline_or_the_product_name_is_dropped(beats: Product) -> None:
    """Title Case hides names among ordinary words, so there each capitalised word must be the
    store's or an ordinary copy word (SmolLM2 wrote "The Ultimate E-Cigarette: Beats Flex ...")."""
    check = PromoCheck([beats])
    assert check.check("Great sound awaits", "Music all day long.", "email").rejected == "does not name the product"
    no_headline = check.check("Last chance: Beats Flex!", "The Beats Flex Wireless Earphones cost $47.13.", "email")
    assert no_headline.rejected == "no headline left after the check"
    invented = check.check("The Ultimate E-Cigarette: Beats Flex", "The Beats Flex costs $47.13.", "email")
    assert invented.rejected == "no headline left after the check"
    assert "'E-Cigarette' does not appear" in invented.fixes[0].reason
    ordinary = check.check("Get Your Earphones Ready for Your Day with Beats Flex", "Magnetic earbuds.", "email")
    assert ordinary.rejected is None and ordinary.fixes == ()
    # An over-long headline keeps its first clause.
    long = check.check(
        "Beats Flex Wireless Earphones: A Comprehensive Audio Experience with Magnetic Earbuds and Up to 12 Hours",
        "Magnetic earbuds.",
        "chat_banner",
    )
    assert long.headline == "Beats Flex Wireless Earphones"


# --- the writer around the check (a scripted model feeds it known text) -----------------


def test_the_writer_repairs_drops_and_records_what_it_changed(beats: Product) -> None:
    model = ScriptedChatModel(
        "Headline: Beats Flex Wireless Earphones for $39.99\nBody: Magnetic earbuds, 12 hours of battery. "
        "Hurry, the offer ends tonight!",
        "Headline: Beats Flex Wireless Earphones, now 50% off!\nBody: Grab the Beats Flex Wireless Earphones.",
    )
    batch = PromoWriter(model, store_name="Aisle Demo Store").draft([beats], "email", n=2)
    [first, second] = batch.drafts
    assert first.origin == "model" and first.headline == "Beats Flex Wireless Earphones for $47.13"
    assert first.body == "Magnetic earbuds, 12 hours of battery."
    assert [f.action for f in first.fixes] == ["repaired", "dropped"]
    assert "ends tonight" in first.fixes[1].text
    assert second.headline == "Beats Flex Wireless Earphones, now 5.73% off!"
    # The prompt gave the model the real facts to work from.
    prompt = model.prompts[0][1].content
    assert "$49.99" in prompt and "5.73% off: now $47.13" in prompt


def test_an_invented_discount_from_the_model_never_reaches_the_copy() -> None:
    model = ScriptedChatModel(
        "Headline: Stoneware Coffee Mug - 40% off!\nBody: The Stoneware Coffee Mug, 40% off today."
    )
    batch = PromoWriter(model).draft([MUG], "email", n=1)
    assert batch.rejected and batch.rejected[0].fixes[-1].action == "rejected"
    assert "discount" in batch.rejected[0].fixes[-1].reason
    assert all("40%" not in f"{d.headline} {d.body}" for d in batch.drafts)
    assert [d.origin for d in batch.drafts] == ["template"]


def test_the_fallback_appears_when_the_model_output_is_unusable(beats: Product) -> None:
    for reply in ("", "lorem ipsum dolor sit amet", "Headline: Great Sound Awaits\nBody: Buy now!"):
        drafts = PromoWriter(ScriptedChatModel(reply)).write([beats], "product_page", n=3)
        assert drafts and all(d.origin == "template" for d in drafts)
        assert [d.angle for d in drafts] == ["value", "benefit", "trust"]
        for draft in drafts:
            assert_grounded(draft.headline, draft.body, beats)
    assert drafts[0].headline == "Beats Flex Wireless Earphones: 5.73% off, now $47.13"
    # Chinese copy: a model answering in English is not Chinese copy, so the Chinese template is used.
    [chinese, *_] = PromoWriter(ScriptedChatModel("Headline: Beats Flex Wireless Earphones\nBody: Nice.")).write(
        [beats], "email", n=1, language="zh"
    )
    assert chinese.origin == "template" and "现价$47.13" in chinese.headline


def test_a_draft_becomes_a_stored_variant(beats: Product, tmp_path: Path) -> None:
    draft = PromoWriter(ScriptedChatModel("")).write([beats], "chat_banner", n=1)[0]
    promos = knowledge.PromoStore(knowledge.StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}"))
    variant = promos.save(draft.to_variant(audience="7", predicted_ctr=0.03))
    assert promos.get(variant.id) == variant
    assert (variant.angle, variant.audience, variant.status, variant.headline) == (
        "value",
        "7",
        "live",
        draft.headline,
    )
