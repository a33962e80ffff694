"""Effect prediction: how likely a shopper is to click a promo variant, and to buy after the click.

Two logistic regressions (scikit-learn) learn from the promo log: impressions → clicks for
the click-through rate (CTR), clicks → purchases for the conversion rate (CVR). Their
features describe the copy (length, price or discount mentioned, question, exclamation,
personal address, channel, angle, hashed words), the product (price band, discount,
rating, category and brand) and the shopper's profile (affinity for the product's
category and brand, how the price compares with what they usually look at), plus the
copy × shopper products that let "price-led copy works for bargain hunters" be learnt by
a linear model.

Logistic regression rather than gradient boosting: promo logs are small and clicks rare
(a few percent), where a regularised linear model is better calibrated and its
probabilities can seed the bandit's priors directly.

With too little data (fewer than MIN_IMPRESSIONS impressions, or no clicks yet) it
predicts smoothed base rates: the log's own rate pulled towards DEFAULT_CTR / DEFAULT_CVR.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np

from agent.grounding import extract_claims
from agent.promo import PROMO_ANGLES
from agent.promo_check import mentions_discount
from knowledge import PROMO_CHANNELS, Product, PromoStore, PromoVariant, ShopperProfile

# Typical rates for retail promos, used until the store's own log says otherwise:
# a click on a few percent of impressions (more on the product page, where intent is
# high), a purchase after one click in twenty.
DEFAULT_CTR: dict[str, float] = {"chat_banner": 0.03, "email": 0.02, "product_page": 0.04}
DEFAULT_CVR = 0.05
# Below these, a fitted model would mostly learn noise.
MIN_IMPRESSIONS = 200
MIN_CLICKS = 50
# Pseudo-impressions (pseudo-clicks for CVR) with which the default pulls the log's rate.
PRIOR_WEIGHT = 50.0

_PRICE_BANDS = (25.0, 100.0, 500.0)
_YOU = re.compile(r"\b(?:you|your|yours)\b|您|你", re.I)


@dataclass(frozen=True)
class PromoExample:
    """One impression as training data: what was shown, to whom, and what followed."""

    variant: PromoVariant
    product: Product
    profile: ShopperProfile | None
    clicked: bool
    purchased: bool = False


def _affinity(profile: ShopperProfile | None, product: Product) -> tuple[float, float, float]:
    """(category affinity, brand affinity, log price ratio / 3), each 0 without a profile."""
    if profile is None or profile.is_empty:
        return 0.0, 0.0, 0.0
    category = profile.categories.get(product.category, 0.0)
    brand = profile.brands.get(product.brand or "", 0.0)
    ratio = 0.0
    if profile.price_band and profile.price_band.typical > 0 and product.sale_price > 0:
        # Above 0: dearer than what the shopper usually looks at.
        ratio = max(-3.0, min(3.0, math.log(product.sale_price / profile.price_band.typical))) / 3
    return category, brand, ratio


@lru_cache(maxsize=4096)
def _text_signals(text: str) -> tuple[float, float, float, float, float]:
    """(price, discount, question, exclamation, "you") of a copy text. Cached: a log holds
    thousands of impressions of the same few variants."""
    return (
        float(any(c.kind == "money" for c in extract_claims(text))),
        float(mentions_discount(text)),
        float("?" in text or "？" in text),
        float("!" in text or "！" in text),
        float(bool(_YOU.search(text))),
    )


def _copy_signals(variant: PromoVariant, profile: ShopperProfile | None) -> dict[str, float]:
    text = f"{variant.headline} {variant.body}"
    price, discount, question, exclaim, you = _text_signals(text)
    personal = variant.angle == "personal"
    if profile is not None and not personal:
        lowered = text.lower()
        personal = any(name.lower() in lowered for name in [*profile.categories, *profile.brands][:6])
    return {
        "price": price,
        "discount": discount,
        "question": question,
        "exclaim": exclaim,
        "personal": float(personal),
        "you": you,
        "benefit": float(variant.angle == "benefit"),
    }


def features(variant: PromoVariant, product: Product, profile: ShopperProfile | None) -> list[float]:
    """The dense part of one example's features (the hashed words are added beside them)."""
    signals = _copy_signals(variant, profile)
    category, brand, ratio = _affinity(profile, product)
    has_profile = float(profile is not None and not profile.is_empty)
    band = [float(product.sale_price < edge) for edge in _PRICE_BANDS]
    copy = [
        signals["price"],
        signals["discount"],
        signals["question"],
        signals["exclaim"],
        signals["personal"],
        signals["you"],
        min(len(variant.headline), 200) / 100,
        min(len(variant.body), 1000) / 500,
        *(float(variant.angle == a) for a in PROMO_ANGLES),
        *(float(variant.channel == c) for c in PROMO_CHANNELS),
    ]
    item = [*band, product.discount_percent / 100, float(product.discount_percent > 0), (product.rating or 0) / 5]
    shopper = [has_profile, category, brand, ratio]
    # Copy × shopper: whether price-led or personal copy works depends on who reads it.
    crossed = [
        c * u
        for c in (signals["price"], signals["discount"], signals["personal"], signals["benefit"])
        for u in (has_profile, category, brand, ratio, 1 - has_profile)
    ]
    return [*copy, *item, *shopper, *crossed]


class EffectPredictor:
    """Predicts a variant's click-through and conversion rates for a shopper.

    Example:
        >>> predictor = EffectPredictor().fit_from_log(promos, catalog.product, profile_of)
        >>> ctr, cvr = predictor.predict(variant, product, profile)
        >>> round(ctr, 3), round(cvr, 3)
        (0.031, 0.052)
    """

    def __init__(self, hashed_words: int = 256, c: float = 1.0) -> None:
        # Imported here: scikit-learn takes a second to import, and `import agent` should not.
        from sklearn.feature_extraction.text import HashingVectorizer

        self._hasher = HashingVectorizer(n_features=hashed_words, alternate_sign=False, norm="l2")
        self._c = c
        self._click_model: Any = None  # a fitted LogisticRegression, once there is enough data
        self._buy_model: Any = None
        self._base_ctr = dict(DEFAULT_CTR)
        self._base_cvr = DEFAULT_CVR
        self.impressions = 0
        self.clicks = 0

    @property
    def trained(self) -> bool:
        """Whether the click model was fitted (otherwise predictions are base rates)."""
        return self._click_model is not None

    def _matrix(self, rows: Sequence[tuple[PromoVariant, Product, ShopperProfile | None]]) -> Any:
        from scipy import sparse

        dense = np.array([features(v, p, u) for v, p, u in rows], dtype=np.float64)
        texts = [f"{v.headline} {v.body} cat_{p.category} brand_{p.brand or ''}" for v, p, _ in rows]
        return sparse.hstack([sparse.csr_matrix(dense), self._hasher.transform(texts)]).tocsr()

    def _model(self, x: Any, y: np.ndarray) -> Any:
        """A logistic regression of y on x; None when y has one class (no clicks yet)."""
        from sklearn.linear_model import LogisticRegression

        if len(set(y.tolist())) < 2:
            return None
        return LogisticRegression(C=self._c, max_iter=2000).fit(x, y)

    def fit(self, examples: Sequence[PromoExample]) -> EffectPredictor:
        """Learn from logged impressions (and, for conversion, the clicked ones)."""
        self.impressions = len(examples)
        self.clicks = sum(e.clicked for e in examples)
        purchases = sum(e.purchased for e in examples if e.clicked)
        for channel in PROMO_CHANNELS:
            shown = [e for e in examples if e.variant.channel == channel]
            clicked = sum(e.clicked for e in shown)
            self._base_ctr[channel] = (clicked + PRIOR_WEIGHT * DEFAULT_CTR[channel]) / (len(shown) + PRIOR_WEIGHT)
        self._base_cvr = (purchases + PRIOR_WEIGHT * DEFAULT_CVR) / (self.clicks + PRIOR_WEIGHT)
        self._click_model = self._buy_model = None
        if self.impressions >= MIN_IMPRESSIONS:
            x = self._matrix([(e.variant, e.product, e.profile) for e in examples])
            self._click_model = self._model(x, np.array([e.clicked for e in examples], dtype=int))
        clicked_examples = [e for e in examples if e.clicked]
        if len(clicked_examples) >= MIN_CLICKS:
            x = self._matrix([(e.variant, e.product, e.profile) for e in clicked_examples])
            self._buy_model = self._model(x, np.array([e.purchased for e in clicked_examples], dtype=int))
        return self

    def fit_from_log(
        self,
        promos: PromoStore,
        product: Callable[[str], Product | None],
        profile: Callable[[str | None, str | None], ShopperProfile | None] | None = None,
    ) -> EffectPredictor:
        """Learn from the store's own promo log: every impression of every stored variant.

        `product` looks a product up by id (e.g. `StoreDatabase.product`); `profile` builds a
        shopper's profile from (customer_id, session_id), e.g. with `ProfileStore.profile`.
        The profile is today's, not the one at the time of the impression: close enough for
        interests that change slowly, and one profile per shopper keeps this fast.
        """
        variants: dict[str, PromoVariant | None] = {}
        products: dict[str, Product | None] = {}
        profiles: dict[tuple[str | None, str | None], ShopperProfile | None] = {}
        examples = []
        for exposure in promos.exposures():
            if exposure.promo_id not in variants:
                variants[exposure.promo_id] = promos.get(exposure.promo_id)
            if exposure.product_id not in products:
                products[exposure.product_id] = product(exposure.product_id)
            shopper = (exposure.customer_id, exposure.session_id)
            if profile is not None and shopper not in profiles:
                profiles[shopper] = profile(*shopper)
            variant, item = variants[exposure.promo_id], products[exposure.product_id]
            if variant is None or item is None:
                continue  # a deleted variant or product: nothing to describe it with
            examples.append(PromoExample(variant, item, profiles.get(shopper), exposure.clicked, exposure.purchased))
        return self.fit(examples)

    def predict_many(self, rows: Sequence[tuple[PromoVariant, Product, ShopperProfile | None]]) -> np.ndarray:
        """(n, 2) array of (CTR, CVR), one row per (variant, product, profile)."""
        if not rows:
            return np.zeros((0, 2))
        out = np.empty((len(rows), 2))
        out[:, 0] = [self._base_ctr[v.channel] for v, _, _ in rows]
        out[:, 1] = self._base_cvr
        if self._click_model is not None or self._buy_model is not None:
            x = self._matrix(rows)
            if self._click_model is not None:
                out[:, 0] = self._click_model.predict_proba(x)[:, 1]
            if self._buy_model is not None:
                out[:, 1] = self._buy_model.predict_proba(x)[:, 1]
        return out

    def predict(
        self, variant: PromoVariant, product: Product, profile: ShopperProfile | None = None
    ) -> tuple[float, float]:
        """(CTR, CVR) for showing `variant` about `product` to a shopper with `profile`."""
        ctr, cvr = self.predict_many([(variant, product, profile)])[0]
        return float(ctr), float(cvr)
