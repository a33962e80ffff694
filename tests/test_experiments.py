"""The promo A/B loop: what staff see in the results, and where the traffic goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from agent import EffectPredictor, PromoExample, PromoExperiment, ThompsonBandit, wilson_interval
from bench.ab_simulation import run_ab_simulation
from knowledge import (
    Event,
    NotFoundError,
    PriceBand,
    Product,
    PromoStore,
    PromoVariant,
    ShopperProfile,
    StoreDatabase,
    VariantStats,
)

T0 = datetime(2026, 11, 1, 12, tzinfo=UTC)
SHOE = Product(
    id="shoe", title="Trail Runner Shoe", brand="Stride", category="running-shoes", price=80, discount_percent=20
)
BOOK = Product(id="book", title="Trail Guide Book", category="books", price=20)


@pytest.fixture
def db(tmp_path: Path) -> StoreDatabase:
    return StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}")


@pytest.fixture
def promos(db: StoreDatabase) -> PromoStore:
    return PromoStore(db)


def variant(angle: str, headline: str, body: str = "", product: Product = SHOE, **fields: object) -> PromoVariant:
    return PromoVariant(
        product_ids=[product.id], channel="chat_banner", angle=angle, headline=headline, body=body, **fields
    )


PRICE_LED = variant("value", "Trail Runner Shoe: 20% off, now $64.00", "Get it for $64.00 instead of $80.00.")
BENEFIT_LED = variant("benefit", "Meet the Trail Runner Shoe", "A light trail shoe with a grippy sole.")


def event(kind: str, minutes: int, customer: str, promo: PromoVariant | None = None, product: str = "shoe") -> Event:
    return Event(
        kind=kind,  # type: ignore[arg-type]
        ts=T0 + timedelta(minutes=minutes),
        customer_id=customer,
        product_id=product,
        placement="promo" if promo else None,
        promo_id=promo.id if promo else None,
    )


# --- the bandit ------------------------------------------------------------------------


def test_the_bandit_shifts_traffic_to_the_better_variant() -> None:
    """A seeded simulation: variant B truly gets 10% clicks, A 4%; after 3,000 impressions
    most of the traffic has gone to B, and the results name B the winner."""
    world = np.random.default_rng(7)
    truth = {"A": 0.04, "B": 0.10}
    bandit = ThompsonBandit(seed=1)
    counts = {arm: [0, 0] for arm in truth}  # impressions, clicks
    for _ in range(3000):
        arm = bandit.choose([VariantStats(a, n, c) for a, (n, c) in counts.items()])
        counts[arm][0] += 1
        counts[arm][1] += int(world.random() < truth[arm])
    share_b = counts["B"][0] / 3000
    assert share_b > 0.8, counts
    results = bandit.results([VariantStats(a, n, c) for a, (n, c) in counts.items()])
    assert results.winner == "B" and results.variants[0].promo_id == "B"
    assert results.variants[0].share == pytest.approx(share_b)


def test_a_prior_from_the_predictor_steers_the_first_impressions_only() -> None:
    bandit = ThompsonBandit(seed=0, prior_strength=200)
    fresh = [VariantStats("A"), VariantStats("B")]
    picks = [bandit.choose(fresh, priors={"A": 0.02, "B": 0.12}) for _ in range(200)]
    assert picks.count("B") > 190
    # Real data outweighs the prior: A has done far better than B over 20,000 impressions.
    seen = [VariantStats("A", 10_000, 1_500), VariantStats("B", 10_000, 300)]
    picks = [bandit.choose(seen, priors={"A": 0.02, "B": 0.12}) for _ in range(200)]
    assert picks.count("A") == 200


def test_the_bandit_refuses_to_choose_from_nothing() -> None:
    with pytest.raises(ValueError, match="no live variants"):
        ThompsonBandit().choose([])


# --- results with intervals ------------------------------------------------------------


def test_rates_and_intervals_on_a_known_example() -> None:
    assert wilson_interval(10, 100) == pytest.approx((0.05523, 0.17437), abs=1e-5)
    assert wilson_interval(0, 0) == (0.0, 1.0)
    low, high = wilson_interval(0, 50)
    assert low == 0.0 and high == pytest.approx(0.07135, abs=1e-5)
    results = ThompsonBandit(seed=0).results([VariantStats("A", 100, 10, 2), VariantStats("B", 300, 6, 0)])
    a, b = results.variants
    assert (a.promo_id, a.ctr, a.cvr, a.share, a.purchase_rate) == ("A", 0.10, 0.20, 0.25, 0.02)
    assert a.ctr_interval == pytest.approx((0.05523, 0.17437), abs=1e-5)
    assert a.cvr_interval == pytest.approx(wilson_interval(2, 10))
    assert (b.ctr, b.cvr, b.share) == (0.02, 0.0, 0.75)
    assert a.p_best > 0.99 and results.winner == "A" and results.impressions == 400
    # Too little data to call it: a leader, no winner.
    early = ThompsonBandit(seed=0).results([VariantStats("A", 20, 2), VariantStats("B", 20, 1)])
    assert early.leader == "A" and early.winner is None


# --- the store: variants and their results from events ---------------------------------


def test_variants_are_listed_by_product_channel_and_status(promos: PromoStore) -> None:
    a, b = promos.save(PRICE_LED), promos.save(BENEFIT_LED)
    email = promos.save(
        PromoVariant(product_ids=["shoe", "book"], channel="email", headline="Trail Runner Shoe and Trail Guide Book")
    )
    assert promos.save(PRICE_LED) == a  # same copy, same id: stored once
    assert [v.id for v in promos.list(product_id="shoe")] == [a.id, b.id, email.id]
    assert [v.id for v in promos.list(product_id="book")] == [email.id]
    assert [v.id for v in promos.list(product_id="shoe", channel="chat_banner")] == [a.id, b.id]
    promos.set_status(a.id, "paused")
    assert [v.id for v in promos.list(product_id="shoe", channel="chat_banner", status="live")] == [b.id]
    assert promos.get(a.id).status == "paused"  # type: ignore[union-attr]
    with pytest.raises(NotFoundError):
        promos.set_status("promo-nope", "live")


def test_stats_count_impressions_clicks_and_attributed_purchases(promos: PromoStore, db: StoreDatabase) -> None:
    a, b = promos.save(PRICE_LED), promos.save(BENEFIT_LED)
    db.add_events(
        [
            event("impression", 0, "c1", a),
            event("impression", 1, "c2", a),
            event("impression", 2, "c3", b),
            event("impression", 3, "c4", b),
            event("click", 5, "c1", a),
            event("click", 6, "c3", b),
            event("purchase", 60 * 24, "c1"),  # a day after clicking A, without a promo id: A's
            event("purchase", 30, "c2"),  # saw A but never clicked: nobody's
            event("purchase", 60 * 24 * 9, "c3"),  # nine days after clicking B: past the window
            event("purchase", 40, "c4", b),  # tagged by the checkout: B's
            event("purchase", 50, "c1", product="book"),  # another product: not A's
        ]
    )
    stats = promos.stats([a.id, b.id])
    assert stats[a.id] == VariantStats(a.id, impressions=2, clicks=1, purchases=1)
    assert stats[b.id] == VariantStats(b.id, impressions=2, clicks=1, purchases=1)
    assert promos.stats(["promo-unseen"])["promo-unseen"] == VariantStats("promo-unseen")
    rows = {(x.customer_id, x.promo_id): (x.clicked, x.purchased) for x in promos.exposures()}
    assert rows == {
        ("c1", a.id): (True, True),
        ("c2", a.id): (False, False),
        ("c3", b.id): (True, False),
        ("c4", b.id): (False, False),  # bought with B's id, but never clicked: no click to convert
    }


def test_the_experiment_serves_live_variants_and_logs_impressions(promos: PromoStore, db: StoreDatabase) -> None:
    a, b = promos.save(PRICE_LED), promos.save(BENEFIT_LED)
    only_for_7 = promos.save(variant("personal", "Picked for you: Trail Runner Shoe", audience="7"))
    promos.set_status(b.id, "paused")
    experiment = PromoExperiment(promos, ThompsonBandit(seed=0))
    shown = {experiment.serve(SHOE, "chat_banner", customer_id="8").id for _ in range(20)}  # type: ignore[union-attr]
    assert shown == {a.id}  # B is paused, the personal one is for customer 7
    shown_to_7 = {experiment.serve(SHOE, "chat_banner", customer_id="7").id for _ in range(30)}  # type: ignore[union-attr]
    assert shown_to_7 == {a.id, only_for_7.id}
    assert experiment.serve(BOOK, "chat_banner", customer_id="8") is None  # no variants for it
    results = experiment.results("shoe", "chat_banner")
    assert {v.promo_id for v in results.variants} == {a.id, b.id, only_for_7.id}
    assert sum(v.impressions for v in results.variants) == 50
    logged = [e for e in db.events() if e.kind == "impression"]
    assert len(logged) == 50 and all(e.placement == "promo" and e.promo_id for e in logged)


# --- effect prediction -----------------------------------------------------------------


def bargain_hunter(index: int) -> ShopperProfile:
    return ShopperProfile(
        customer_id=f"b{index}",
        as_of=T0,
        interests={"socks": 1.0},
        categories={"socks": 1.0, "running-shoes": 0.2},
        price_band=PriceBand(low=10, typical=20, high=30),
    )


def runner(index: int) -> ShopperProfile:
    return ShopperProfile(
        customer_id=f"r{index}",
        as_of=T0,
        interests={"shoe-2": 1.0},
        categories={"running-shoes": 1.0},
        brands={"Stride": 1.0},
        price_band=PriceBand(low=60, typical=90, high=140),
    )


def test_the_predictor_ranks_higher_the_kind_of_copy_the_log_favours() -> None:
    """Bargain hunters clicked price-led copy (12%) far more than benefit-led copy (3%),
    runners the other way round; new copy of each kind is ranked the same way."""
    rng = np.random.default_rng(0)
    rates = {("bargain", "value"): 0.12, ("bargain", "benefit"): 0.03, ("runner", "value"): 0.03}
    rates[("runner", "benefit")] = 0.12
    examples = []
    for i in range(3000):
        segment, profile = ("bargain", bargain_hunter(i)) if i % 2 else ("runner", runner(i))
        shown = PRICE_LED if rng.random() < 0.5 else BENEFIT_LED
        clicked = bool(rng.random() < rates[(segment, shown.angle)])
        examples.append(PromoExample(shown, SHOE, profile, clicked, clicked and bool(rng.random() < 0.2)))
    predictor = EffectPredictor().fit(examples)
    assert predictor.trained
    new_price_led = variant("value", "Only $64.00 for the Trail Runner Shoe", "20% off the usual $80.00.")
    new_benefit_led = variant("benefit", "The Trail Runner Shoe grips on mud", "Light, with a grippy sole.")
    bargain, runs = bargain_hunter(99), runner(99)
    assert predictor.predict(new_price_led, SHOE, bargain)[0] > 2 * predictor.predict(new_benefit_led, SHOE, bargain)[0]
    assert predictor.predict(new_benefit_led, SHOE, runs)[0] > 2 * predictor.predict(new_price_led, SHOE, runs)[0]
    ctr, cvr = predictor.predict(new_price_led, SHOE, bargain)
    assert 0.05 < ctr < 0.25 and 0.0 < cvr < 0.6


def test_without_data_the_predictor_gives_base_rates() -> None:
    predictor = EffectPredictor().fit([])
    assert not predictor.trained
    assert predictor.predict(PRICE_LED, SHOE) == (0.03, 0.05)
    assert predictor.predict(PRICE_LED.model_copy(update={"channel": "email"}), SHOE)[0] == 0.02


def test_the_predictor_learns_from_the_store_log(promos: PromoStore, db: StoreDatabase) -> None:
    a, b = promos.save(PRICE_LED), promos.save(BENEFIT_LED)
    rng = np.random.default_rng(3)
    events = []
    for i in range(600):
        shown = a if i % 2 else b
        events.append(event("impression", i * 10, f"b{i}", shown))
        if rng.random() < (0.15 if shown is a else 0.02):
            events.append(event("click", i * 10 + 1, f"b{i}", shown))
    db.add_events(events)
    predictor = EffectPredictor().fit_from_log(
        promos, {"shoe": SHOE}.get, lambda customer, session: bargain_hunter(int(customer[1:]))
    )
    assert predictor.impressions == 600 and predictor.trained
    assert predictor.predict(a, SHOE, bargain_hunter(1))[0] > 2 * predictor.predict(b, SHOE, bargain_hunter(1))[0]


# --- the bench the recommendation benchmark includes -----------------------------------


def test_the_ab_simulation_reports_less_regret_for_thompson_than_for_an_even_split() -> None:
    results = run_ab_simulation(seed=0, shoppers=200, rounds=3000, repeats=2)
    policies = results["policies"]
    assert set(policies) == {"uniform", "thompson", "thompson+prior", "predictor"}
    assert policies["thompson"]["regret"] < policies["uniform"]["regret"]
    assert policies["thompson+prior"]["regret"] < policies["uniform"]["regret"]
    assert policies["thompson"]["best_share"] > policies["uniform"]["best_share"]
    assert results["predictor"]["top_variant_per_segment"] == results["predictor"]["true_top_variant_per_segment"]
