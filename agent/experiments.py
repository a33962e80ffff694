"""A/B tests of promo variants: Thompson sampling chooses what to show, and the results say
how each variant does, with 95% intervals, and which one is winning.

Thompson sampling keeps a Beta posterior of each live variant's rate (clicks per
impression by default) and shows the variant whose sampled rate is highest. A variant
that looks better gets more traffic, one that might still be better keeps getting some,
so the test spends fewer impressions on losers than an even split while still learning.

The bandit keeps no counts of its own: it reads them from the event log (`PromoStore.stats`)
each time, so every server process makes the same kind of choice from the same data, and
a restart loses nothing. A prior from the effect predictor counts as `prior_strength`
pseudo-impressions: it steers a new variant's first impressions and fades as real ones come in.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

from agent.promo_effect import EffectPredictor
from knowledge import Product, PromoChannel, PromoStore, PromoVariant, ShopperProfile, VariantStats

Reward = Literal["click", "purchase"]

# A variant is called the winner once it is the best with this posterior probability.
WIN_PROBABILITY = 0.95
# Monte Carlo draws for the probability of being best: its error is about 0.01 at this size.
_DRAWS = 4000


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a rate: unlike the normal approximation it stays inside
    [0, 1] and holds up with few trials or rare successes, which is what early A/B data is.

    Example:
        >>> [round(x, 4) for x in wilson_interval(10, 100)]
        [0.0552, 0.1744]
    """
    if trials <= 0:
        return 0.0, 1.0
    successes = min(max(successes, 0), trials)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # At the ends the bound is exact (0 or 1); the formula leaves rounding dust there.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


@dataclass(frozen=True)
class VariantResult:
    """One variant's results: rates with 95% Wilson intervals, traffic share, chance of being best.

    `ctr` is clicks per impression, `cvr` purchases per click, `purchase_rate` purchases per
    impression; `p_best` is the posterior probability that its reward rate is the highest.
    """

    promo_id: str
    impressions: int
    clicks: int
    purchases: int
    ctr: float
    ctr_interval: tuple[float, float]
    cvr: float
    cvr_interval: tuple[float, float]
    purchase_rate: float
    share: float
    p_best: float
    prior: float | None = None


@dataclass(frozen=True)
class ExperimentResult:
    """All variants of one test, best first (by posterior mean), and the winner if there is one."""

    variants: list[VariantResult]
    reward: Reward
    leader: str | None
    winner: str | None

    @property
    def impressions(self) -> int:
        return sum(v.impressions for v in self.variants)


class ThompsonBandit:
    """Thompson sampling over promo variants, with Beta posteriors per variant.

    Example:
        >>> bandit = ThompsonBandit(seed=0)
        >>> stats = promos.stats([v.id for v in live])
        >>> bandit.choose(stats)                                  # the promo id to show
        'promo-3f9a…'
        >>> bandit.results(stats).winner                          # None until one is clearly best
    """

    def __init__(
        self,
        seed: int | np.random.Generator | None = None,
        reward: Reward = "click",
        prior_strength: float = 20.0,
    ) -> None:
        """`reward` is what the test maximises: clicks per impression, or purchases per
        impression. `prior_strength` is how many impressions a predicted rate is worth."""
        if reward not in ("click", "purchase"):
            raise ValueError(f"unknown reward {reward!r}; choose 'click' or 'purchase'")
        if prior_strength < 0:
            raise ValueError("prior_strength must be 0 or more")
        self._rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
        self.reward = reward
        self.prior_strength = prior_strength
        # numpy generators are not thread-safe; the server chooses from several threads.
        self._lock = threading.Lock()

    def _successes(self, stats: VariantStats) -> int:
        return min(stats.clicks if self.reward == "click" else stats.purchases, stats.impressions)

    def posterior(self, stats: VariantStats, prior: float | None = None) -> tuple[float, float]:
        """(alpha, beta) of the variant's Beta posterior: Beta(1, 1), or the prior rate as
        `prior_strength` pseudo-impressions, updated with its successes and failures."""
        alpha, beta = 1.0, 1.0
        if prior is not None:
            rate = min(max(prior, 1e-4), 1 - 1e-4)
            alpha += rate * self.prior_strength
            beta += (1 - rate) * self.prior_strength
        successes = self._successes(stats)
        return alpha + successes, beta + stats.impressions - successes

    def _parameters(
        self, stats: Sequence[VariantStats], priors: Mapping[str, float] | None
    ) -> tuple[np.ndarray, np.ndarray]:
        pairs = [self.posterior(s, (priors or {}).get(s.promo_id)) for s in stats]
        return np.array([a for a, _ in pairs]), np.array([b for _, b in pairs])

    def choose(
        self, stats: Mapping[str, VariantStats] | Sequence[VariantStats], priors: Mapping[str, float] | None = None
    ) -> str:
        """The promo id to show next: one draw from each posterior, the highest wins."""
        arms = list(stats.values()) if isinstance(stats, Mapping) else list(stats)
        if not arms:
            raise ValueError("no live variants to choose from; mark one 'live' first")
        alpha, beta = self._parameters(arms, priors)
        with self._lock:
            draws = self._rng.beta(alpha, beta)
        return arms[int(np.argmax(draws))].promo_id

    def p_best(
        self, stats: Mapping[str, VariantStats] | Sequence[VariantStats], priors: Mapping[str, float] | None = None
    ) -> dict[str, float]:
        """Posterior probability that each variant has the highest reward rate."""
        arms = list(stats.values()) if isinstance(stats, Mapping) else list(stats)
        if not arms:
            return {}
        alpha, beta = self._parameters(arms, priors)
        with self._lock:
            draws = self._rng.beta(alpha, beta, size=(_DRAWS, len(arms)))
        wins = np.bincount(np.argmax(draws, axis=1), minlength=len(arms)) / _DRAWS
        return {arm.promo_id: float(w) for arm, w in zip(arms, wins, strict=True)}

    def results(
        self, stats: Mapping[str, VariantStats] | Sequence[VariantStats], priors: Mapping[str, float] | None = None
    ) -> ExperimentResult:
        """Per-variant CTR and conversion with 95% intervals, best first, and the winner:
        the leader once its probability of being best reaches WIN_PROBABILITY."""
        arms = list(stats.values()) if isinstance(stats, Mapping) else list(stats)
        chances = self.p_best(arms, priors)
        total = sum(a.impressions for a in arms)
        means = {}
        for arm in arms:
            alpha, beta = self.posterior(arm, (priors or {}).get(arm.promo_id))
            means[arm.promo_id] = alpha / (alpha + beta)
        variants = [
            VariantResult(
                promo_id=arm.promo_id,
                impressions=arm.impressions,
                clicks=arm.clicks,
                purchases=arm.purchases,
                ctr=arm.ctr,
                ctr_interval=wilson_interval(min(arm.clicks, arm.impressions), arm.impressions),
                cvr=arm.cvr,
                cvr_interval=wilson_interval(min(arm.purchases, arm.clicks), arm.clicks),
                purchase_rate=min(arm.purchases / arm.impressions, 1.0) if arm.impressions else 0.0,
                share=arm.impressions / total if total else 0.0,
                p_best=chances[arm.promo_id],
                prior=(priors or {}).get(arm.promo_id),
            )
            for arm in sorted(arms, key=lambda a: -means[a.promo_id])
        ]
        leader = variants[0].promo_id if variants and total else None
        winner = leader if leader and len(variants) > 1 and variants[0].p_best >= WIN_PROBABILITY else None
        return ExperimentResult(variants=variants, reward=self.reward, leader=leader, winner=winner)


class PromoExperiment:
    """The A/B loop over a product's live variants in one channel: choose one for a shopper,
    log the impression, read the results.

    Example:
        >>> experiment = PromoExperiment(PromoStore(db), ThompsonBandit(), predictor)
        >>> shown = experiment.serve(product, "chat_banner", customer_id="7", profile=profile)
        >>> # the page then posts click / purchase events with promo_id=shown.id to /api/events
        >>> experiment.results("107", "chat_banner").variants[0].ctr_interval
        (0.021, 0.048)
    """

    def __init__(
        self, promos: PromoStore, bandit: ThompsonBandit | None = None, predictor: EffectPredictor | None = None
    ) -> None:
        self.promos = promos
        self.bandit = bandit or ThompsonBandit()
        self.predictor = predictor

    def candidates(self, product_id: str, channel: PromoChannel, audience: Sequence[str] = ()) -> list[PromoVariant]:
        """Live variants of the product in the channel, for everyone or for one of `audience`
        (the shopper's customer id, their segments)."""
        return [
            v
            for v in self.promos.list(product_id=product_id, channel=channel, status="live")
            if v.audience is None or v.audience in audience
        ]

    def priors(
        self, variants: Sequence[PromoVariant], product: Product | None, profile: ShopperProfile | None
    ) -> dict[str, float]:
        """Predicted reward rates: the predictor's for this shopper when there is one, else the
        rate predicted when the variant was saved."""
        if self.predictor is not None and product is not None:
            rates = self.predictor.predict_many([(v, product, profile) for v in variants])
            per_impression = rates[:, 0] if self.bandit.reward == "click" else rates[:, 0] * rates[:, 1]
            return {v.id: float(r) for v, r in zip(variants, per_impression, strict=True)}
        priors = {}
        for v in variants:
            if v.predicted_ctr is not None:
                rate = (
                    v.predicted_ctr * (v.predicted_cvr or 0.0) if self.bandit.reward == "purchase" else v.predicted_ctr
                )
                priors[v.id] = rate
        return priors

    def choose(
        self,
        product: Product,
        channel: PromoChannel,
        profile: ShopperProfile | None = None,
        audience: Sequence[str] = (),
    ) -> PromoVariant | None:
        """The variant to show this shopper, or None when the product has no live variant there."""
        variants = self.candidates(product.id, channel, audience)
        if not variants:
            return None
        stats = self.promos.stats([v.id for v in variants])
        chosen = self.bandit.choose([stats[v.id] for v in variants], self.priors(variants, product, profile))
        return next(v for v in variants if v.id == chosen)

    def serve(
        self,
        product: Product,
        channel: PromoChannel,
        customer_id: str | None = None,
        session_id: str | None = None,
        profile: ShopperProfile | None = None,
        segments: Sequence[str] = (),
    ) -> PromoVariant | None:
        """Choose a variant for the shopper and log its impression (placement "promo")."""
        audience = [*([customer_id] if customer_id else []), *segments]
        variant = self.choose(product, channel, profile, audience)
        if variant is not None:
            self.promos.record("impression", variant, customer_id, session_id, product_id=product.id)
        return variant

    def results(self, product_id: str, channel: PromoChannel | None = None) -> ExperimentResult:
        """How each of the product's variants (live or not) did, in one channel or all."""
        variants = self.promos.list(product_id=product_id, channel=channel)
        stats = self.promos.stats([v.id for v in variants])
        return self.bandit.results([stats[v.id] for v in variants])
