"""The promo A/B loop on synthetic shoppers whose preferences are known: Thompson sampling
against an even split, with and without the effect predictor's priors.

    python -m bench.ab_simulation                         # seed 0, 600 shoppers, 4000 rounds, 20 repeats
    python -m bench.ab_simulation --rounds 10000 --repeats 50 --out /tmp/ab.json

The world: one product, four copy variants (value: price and discount; benefit: what the
shoe does; personal: addressed to runners; trust: rating, warranty, returns) and three
segments of shoppers who answer them differently (TRUE_CTR): bargain hunters click the
price-led copy, runners the personal and benefit copy, newcomers (no profile) a little of
everything. Each synthetic shopper has a `ShopperProfile` that shows their segment the way
a real one would (category and brand affinity, the prices they look at), never the segment itself.

Each round one shopper arrives, the policy picks a variant, and the shopper clicks with the
known probability (and buys after a click with TRUE_CVR). Every policy meets the same
shoppers and the same random draws (common random numbers), so the differences between
policies are the policies', not luck's. Policies:
- `uniform`: an even split, what a plain A/B test does;
- `thompson`: `agent.ThompsonBandit` with flat Beta(1, 1) priors;
- `thompson+prior`: the same, with each shopper's predicted CTR from `agent.EffectPredictor`
  as a prior worth PRIOR_STRENGTH impressions. The predictor is trained on the log of an
  earlier campaign (HISTORY impressions, an even split over four *other* variants of another
  shoe), so it has never seen the copy it scores;
- `predictor`: always the predictor's top variant for the shopper, no learning (a reference).

Reported, as mean ± standard deviation over the repeats: regret against the best single
variant (expected clicks lost, Σ ctr(shopper, best) - ctr(shopper, shown)), regret against
the per-shopper oracle, clicks, purchases, and the share of traffic the best variant got.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from agent import EffectPredictor, PromoCheck, PromoExample, ThompsonBandit
from knowledge import PriceBand, Product, PromoVariant, ShopperProfile, VariantStats

HERE = Path(__file__).parent
DEFAULT_OUT = HERE / "results" / "ab_simulation.json"

ANGLES = ("value", "benefit", "personal", "trust")
SEGMENTS = {"bargain": 0.4, "runner": 0.3, "newcomer": 0.3}
# The known click-through rates, per segment and copy angle.
TRUE_CTR = {
    "bargain": {"value": 0.090, "benefit": 0.030, "personal": 0.035, "trust": 0.040},
    "runner": {"value": 0.040, "benefit": 0.080, "personal": 0.110, "trust": 0.050},
    "newcomer": {"value": 0.050, "benefit": 0.040, "personal": 0.020, "trust": 0.050},
}
# Purchases per click.
TRUE_CVR = {
    "bargain": {"value": 0.12, "benefit": 0.05, "personal": 0.05, "trust": 0.06},
    "runner": {"value": 0.08, "benefit": 0.12, "personal": 0.15, "trust": 0.10},
    "newcomer": {"value": 0.05, "benefit": 0.05, "personal": 0.04, "trust": 0.08},
}
# The earlier campaign the predictor learns from. "fresh": shoppers answered copy as they do
# now. "stale": tastes have moved since (bargain hunters and runners swapped what they liked
# between value and personal copy), so the predictor's priors point the wrong way.
HISTORY_CTR = {
    "fresh": TRUE_CTR,
    "stale": {
        segment: {
            **rates,
            "value": rates["personal"] if segment != "newcomer" else rates["value"],
            "personal": rates["value"] if segment != "newcomer" else rates["personal"],
        }
        for segment, rates in TRUE_CTR.items()
    },
}
HISTORY = 20_000
PRIOR_STRENGTH = 20.0
NOW = datetime(2026, 11, 1, tzinfo=UTC)

SHOE = Product(
    id="sim-trail",
    title="Trail Runner Shoe",
    brand="Stride",
    category="running-shoes",
    price=80.0,
    discount_percent=20,
    stock=40,
    rating=4.6,
    warranty="1 year warranty",
    shipping="Ships in 1-2 business days",
    return_policy="30 days return policy",
    description="A light trail shoe with a grippy sole for muddy runs.",
)
OLD_SHOE = Product(
    id="sim-road",
    title="Road Racer Shoe",
    brand="Stride",
    category="running-shoes",
    price=95.0,
    discount_percent=15,
    stock=60,
    rating=4.5,
    warranty="2 year warranty",
    shipping="Ships overnight",
    return_policy="60 days return policy",
    description="A fast, cushioned shoe for race day on the road.",
)
COPY = {
    SHOE.id: {
        "value": ("Trail Runner Shoe: 20% off, now $64.00", "Get the Trail Runner Shoe for $64.00 instead of $80.00."),
        "benefit": ("Meet the Trail Runner Shoe", "A light trail shoe with a grippy sole for muddy runs."),
        "personal": ("Picked for you: Trail Runner Shoe", "For your next muddy run, a Stride shoe with a grippy sole."),
        "trust": ("Trail Runner Shoe, rated 4.6/5", "1 year warranty. 30 days return policy."),
    },
    OLD_SHOE.id: {
        "value": ("Save 15% on the Road Racer Shoe", "The Road Racer Shoe is now $80.75, down from $95.00."),
        "benefit": ("Road Racer Shoe: fast and cushioned", "A fast, cushioned shoe for race day on the road."),
        "personal": ("Your race-day pick: Road Racer Shoe", "Made for runners like you, by Stride."),
        "trust": ("Road Racer Shoe, rated 4.5/5", "2 year warranty and a 60 days return policy. Ships overnight."),
    },
}


def variants_for(product: Product) -> list[PromoVariant]:
    """The product's four variants, checked like the writer's (the bench must not test made-up copy)."""
    check = PromoCheck([product])
    variants = []
    for angle, (headline, body) in COPY[product.id].items():
        checked = check.check(headline, body, "chat_banner")
        if checked.rejected or checked.fixes:
            raise ValueError(f"bench copy for {product.id}/{angle} fails the promo check: {checked.fixes}")
        variants.append(
            PromoVariant(
                id=f"{product.id}-{angle}",
                product_ids=[product.id],
                channel="chat_banner",
                headline=headline,
                body=body,
                angle=angle,
                created_at=NOW,
            )
        )
    return variants


@dataclass(frozen=True)
class Shopper:
    segment: str
    profile: ShopperProfile | None
    lift: float  # this shopper's own taste for promos, around 1


def make_shoppers(count: int, rng: np.random.Generator) -> list[Shopper]:
    """Shoppers whose profiles show their segment the way behaviour would."""
    names = list(SEGMENTS)
    segments = rng.choice(names, size=count, p=[SEGMENTS[s] for s in names])
    shoppers = []
    for index, segment in enumerate(segments):
        profile = None
        if segment == "bargain":
            typical = float(rng.uniform(15, 35))
            profile = ShopperProfile(
                customer_id=f"sim-{index}",
                as_of=NOW,
                interests={"sim-socks": 1.0},
                categories={"socks": 1.0, "running-shoes": round(float(rng.uniform(0.1, 0.4)), 3)},
                price_band=PriceBand(low=typical / 2, typical=typical, high=typical * 1.5),
            )
        elif segment == "runner":
            typical = float(rng.uniform(70, 120))
            profile = ShopperProfile(
                customer_id=f"sim-{index}",
                as_of=NOW,
                interests={"sim-other-shoe": 1.0},
                categories={"running-shoes": 1.0},
                brands={"Stride": round(float(rng.uniform(0.5, 1.0)), 3)},
                price_band=PriceBand(low=typical / 2, typical=typical, high=typical * 1.5),
            )
        shoppers.append(Shopper(str(segment), profile, float(rng.uniform(0.8, 1.2))))
    return shoppers


def true_rates(
    shoppers: list[Shopper], variants: list[PromoVariant], table: dict[str, dict[str, float]] = TRUE_CTR
) -> tuple[np.ndarray, np.ndarray]:
    """(shoppers, variants) arrays of the known CTR (from `table`) and CVR."""
    ctr = np.array([[table[s.segment][v.angle or ""] * s.lift for v in variants] for s in shoppers])
    cvr = np.array([[TRUE_CVR[s.segment][v.angle or ""] for v in variants] for s in shoppers])
    return ctr, cvr


def train_predictor(shoppers: list[Shopper], rng: np.random.Generator, history: str = "fresh") -> EffectPredictor:
    """The predictor after an earlier campaign: an even split over the old shoe's variants."""
    old = variants_for(OLD_SHOE)
    ctr, cvr = true_rates(shoppers, old, HISTORY_CTR[history])
    who = rng.integers(len(shoppers), size=HISTORY)
    shown = rng.integers(len(old), size=HISTORY)
    clicked = rng.random(HISTORY) < ctr[who, shown]
    bought = clicked & (rng.random(HISTORY) < cvr[who, shown])
    examples = [
        PromoExample(old[v], OLD_SHOE, shoppers[s].profile, bool(c), bool(b))
        for s, v, c, b in zip(who, shown, clicked, bought, strict=True)
    ]
    return EffectPredictor().fit(examples)


def _simulate(
    policy: str,
    who: np.ndarray,
    draws: np.ndarray,
    ctr: np.ndarray,
    predicted: np.ndarray,
    rng: np.random.Generator,
    ids: list[str],
) -> np.ndarray:
    """The variant shown in each round."""
    rounds, arms = len(who), ctr.shape[1]
    bandit = ThompsonBandit(seed=rng, prior_strength=PRIOR_STRENGTH)
    impressions, clicks = np.zeros(arms, dtype=int), np.zeros(arms, dtype=int)
    shown = np.empty(rounds, dtype=int)
    for t in range(rounds):
        shopper = who[t]
        if policy == "uniform":
            arm = int(rng.integers(arms))
        elif policy == "predictor":
            arm = int(np.argmax(predicted[shopper]))
        else:
            stats = [VariantStats(ids[a], int(impressions[a]), int(clicks[a])) for a in range(arms)]
            priors = dict(zip(ids, predicted[shopper].tolist(), strict=True)) if policy == "thompson+prior" else None
            arm = ids.index(bandit.choose(stats, priors))
        shown[t] = arm
        impressions[arm] += 1
        clicks[arm] += bool(draws[t, arm, 0] < ctr[shopper, arm])
    return shown


POLICIES = ("uniform", "thompson", "thompson+prior", "predictor")
PRIOR_POLICIES = ("thompson+prior", "predictor")


def _predicted(people: list[Shopper], variants: list[PromoVariant], predictor: EffectPredictor) -> np.ndarray:
    rates = predictor.predict_many([(v, SHOE, s.profile) for s in people for v in variants])[:, 0]
    return rates.reshape(len(people), len(variants))


def _summary(runs: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {
        policy: {
            **{key: round(float(np.mean(values)), 4) for key, values in metrics.items()},
            **{f"{key}_sd": round(float(np.std(values)), 4) for key, values in metrics.items()},
        }
        for policy, metrics in runs.items()
    }


def run_ab_simulation(seed: int = 0, shoppers: int = 600, rounds: int = 4000, repeats: int = 20) -> dict:
    """Simulate the A/B loop `repeats` times (seeds derived from `seed`); returns the results:
    per policy, mean and standard deviation of regret, clicks, purchases and best-variant share,
    with the predictor trained on a fresh and on a stale earlier campaign."""
    started = time.perf_counter()
    variants = variants_for(SHOE)
    ids = [v.id for v in variants]
    runs: dict[str, dict[str, dict[str, list[float]]]] = {"fresh": {}, "stale": {}}
    predicted_by_segment: list[dict[str, list[float]]] = []
    best_angle = ""
    for repeat in range(repeats):
        world = np.random.default_rng([seed, repeat])
        people = make_shoppers(shoppers, world)
        ctr, cvr = true_rates(people, variants)
        best = int(np.argmax(ctr.mean(axis=0)))
        best_angle = variants[best].angle or ""
        who = world.integers(len(people), size=rounds)
        draws = world.random((rounds, len(variants), 2))  # click and purchase draws, shared by all policies
        for history in ("fresh", "stale"):
            predicted = _predicted(people, variants, train_predictor(people, world, history))
            if history == "fresh":
                segments = {s: [i for i, p in enumerate(people) if p.segment == s] for s in SEGMENTS}
                predicted_by_segment.append({s: predicted[rows].mean(axis=0).tolist() for s, rows in segments.items()})
            # Policies that ignore the predictor behave the same in both scenarios: run them once.
            policies = POLICIES if history == "fresh" else PRIOR_POLICIES
            for policy in policies:
                rng = np.random.default_rng([seed, repeat, POLICIES.index(policy)])
                shown = _simulate(policy, who, draws, ctr, predicted, rng, ids)
                chance = ctr[who, shown]
                clicked = draws[np.arange(rounds), shown, 0] < chance
                bought = clicked & (draws[np.arange(rounds), shown, 1] < cvr[who, shown])
                row = runs[history].setdefault(policy, {})
                for key, value in (
                    ("regret", float((ctr[who, best] - chance).sum())),
                    ("regret_vs_oracle", float((ctr[who].max(axis=1) - chance).sum())),
                    ("expected_clicks", float(chance.sum())),
                    ("clicks", float(clicked.sum())),
                    ("purchases", float(bought.sum())),
                    ("best_share", float((shown == best).mean())),
                ):
                    row.setdefault(key, []).append(value)
    fresh, stale = _summary(runs["fresh"]), _summary(runs["stale"])
    uniform = fresh["uniform"]
    for row in [*fresh.values(), *stale.values()]:
        row["clicks_gained_vs_uniform"] = round(row["clicks"] - uniform["clicks"], 2)
        row["regret_reduction_vs_uniform"] = (
            round(1 - row["regret"] / uniform["regret"], 4) if uniform["regret"] else 0.0
        )
    predicted_ctr = {
        segment: {
            angle: round(float(np.mean([r[segment][i] for r in predicted_by_segment])), 4)
            for i, angle in enumerate(ANGLES)
        }
        for segment in SEGMENTS
    }
    return {
        "benchmark": "ab_simulation",
        "seed": seed,
        "shoppers": shoppers,
        "rounds": rounds,
        "repeats": repeats,
        "history_impressions": HISTORY,
        "prior_strength": PRIOR_STRENGTH,
        "segments": {s: {"share": SEGMENTS[s], "true_ctr": TRUE_CTR[s], "true_cvr": TRUE_CVR[s]} for s in SEGMENTS},
        "best_variant": best_angle,
        "best_variant_ctr": round(sum(SEGMENTS[s] * TRUE_CTR[s][best_angle] for s in SEGMENTS), 4),
        "policies": fresh,
        "stale_history": stale,
        "predictor": {
            "predicted_ctr": predicted_ctr,
            "top_variant_per_segment": {s: max(p, key=p.get) for s, p in predicted_ctr.items()},  # type: ignore[arg-type]
            "true_top_variant_per_segment": {s: max(c, key=c.get) for s, c in TRUE_CTR.items()},  # type: ignore[arg-type]
        },
        "seconds": round(time.perf_counter() - started, 1),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }


def print_table(results: dict) -> None:
    print(
        f"A/B simulation: {results['rounds']} rounds x {results['repeats']} repeats, {results['shoppers']} shoppers, "
        f"best single variant: {results['best_variant']}"
    )
    header = f"{'policy':<24}{'regret':>16}{'vs oracle':>12}{'clicks':>16}{'purchases':>11}{'best share':>12}"
    print(header)
    print("-" * len(header))
    rows = [*results["policies"].items(), *((f"{p} (stale)", r) for p, r in results["stale_history"].items())]
    for policy, row in rows:
        regret = f"{row['regret']:.1f} ± {row['regret_sd']:.1f}"
        clicks = f"{row['clicks']:.1f} ± {row['clicks_sd']:.1f}"
        print(
            f"{policy:<24}{regret:>16}{row['regret_vs_oracle']:>12.1f}{clicks:>16}"
            f"{row['purchases']:>11.1f}{row['best_share']:>12.1%}"
        )
    print("\npredicted CTR per segment (trained on another shoe's campaign) vs the true best:")
    truth = results["predictor"]["true_top_variant_per_segment"]
    for segment, rates in results["predictor"]["predicted_ctr"].items():
        shown = "  ".join(f"{angle} {rate:.3f}" for angle, rate in rates.items())
        print(f"  {segment:<10}{shown}   true best: {truth[segment]}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--shoppers", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    results = run_ab_simulation(args.seed, args.shoppers, args.rounds, args.repeats)
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
