"""Weighted score fusion for the recommender, and choosing the weights on a validation split.

Each scorer's scores are put on a scale of its own before they are weighted, so a weight
means the same whatever the scorer's units (cosines near 0.8, co-occurrence counts in the
hundreds). The scale is learned once, when the recommender is fitted, from the scores its
own training shoppers get (`ScoreScale`): 0 is what a typical product scores for a typical
shopper and 1 is the top 1% of scores. It is the same for every shopper, so weak evidence
stays weak: a product that one random cart put beside a laptop scores a sliver of what a
strong co-purchase scores. (Rescaling each shopper's scores to 0..1 on their own would
stretch that one cart into a full-strength signal.) `choose_weights` grid-searches the
weights for the best hit rate on held-out interactions; `bench.recommend` runs it and
reports the choice.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

# The scorers a fused recommender weighs, by the names `FusionWeights` uses.
RECOMMENDERS: tuple[str, ...] = ("popularity", "item_knn", "matrix_factorization", "content", "ease")


@dataclass(frozen=True)
class FusionWeights:
    """How much each scorer counts in the fused score (non-negative; only ratios matter).

    Example:
        >>> FusionWeights(popularity=0.1, item_knn=0.3, matrix_factorization=0.3, content=0.3).as_dict()
        {'popularity': 0.1, 'item_knn': 0.3, 'matrix_factorization': 0.3, 'content': 0.3, 'ease': 0.0}
    """

    popularity: float = 0.0
    item_knn: float = 0.0
    matrix_factorization: float = 0.0
    content: float = 0.0
    ease: float = 0.0

    def __post_init__(self) -> None:
        values = self.as_dict()
        if any(value < 0 for value in values.values()) or not any(values.values()):
            raise ValueError(f"fusion weights must be >= 0 with at least one above 0, got {values}")

    def as_dict(self) -> dict[str, float]:
        return asdict(self)

    def normalised(self) -> FusionWeights:
        """The same weights summing to 1, rounded for reports."""
        total = sum(self.as_dict().values())
        return FusionWeights(**{name: round(value / total, 4) for name, value in self.as_dict().items()})


# Used when a store does not choose its own. A weight multiplies a scorer's score on its
# `ScoreScale` (0 = a typical product, 1 = the top 1% for this store's shoppers), so content
# and EASE at 0.4 each mean a top-1% text match counts as much as top-1% co-purchase
# evidence, and a pair of random carts (a few percent of EASE's scale) counts for little.
# Content carries the most because it is the one signal that works for a shopper's first
# views and for products nobody has bought yet. The collaborative ratio follows
# `bench.recommend`'s validation choice on real purchase data (EASE four times item-kNN, on
# these scales as on per-shopper ones; matrix factorisation got 0 once EASE was there, so
# it keeps none here either). Popularity got 0 there, where every basket holds co-purchase
# evidence; it keeps a little weight here to order products the other signals know nothing
# about, and it was the signal chosen on the demo store's (synthetic) events. EASE and ALS
# score 0 in a store with fewer than 50 multi-product histories, where item-kNN and content
# decide.
DEFAULT_WEIGHTS = FusionWeights(popularity=0.1, item_knn=0.1, content=0.4, ease=0.4)
# A shopper we know nothing about gets what is popular.
COLD_START_WEIGHTS = FusionWeights(popularity=1.0)


# What counts as strong evidence: this percentile of a scorer's scores over its training
# shoppers. On the real baskets' validation split the 99th did as well as the 99.9th and
# better than each shopper's median best score; clipping at it lost ranking, so it isn't.
STRONG_PERCENTILE = 99.0


@dataclass(frozen=True)
class ScoreScale:
    """One scorer's scale, the same for every shopper: `typical` maps to 0, `strong` to 1.

    Affine and not clipped, so the scorer's own order is kept (a score above `strong` still
    beats one at it) and a cosine or a count keeps its meaning. A scorer that gave every
    training shopper the same score (EASE with too few histories, content without product
    vectors) has nothing to scale and adds nothing.

    Example:
        >>> ScoreScale(typical=0.8, strong=0.9).apply(np.array([0.8, 0.85, 0.95]))
        array([0. , 0.5, 1.5], dtype=float32)
    """

    typical: float = 0.0
    strong: float = 0.0

    def apply(self, scores: np.ndarray) -> np.ndarray:
        span = self.strong - self.typical
        if not span > 0:
            return np.zeros(np.shape(scores), dtype=np.float32)
        return ((np.asarray(scores, dtype=np.float64) - self.typical) / span).astype(np.float32)


def learn_scales(
    scores: Mapping[str, np.ndarray], allowed: np.ndarray | None = None, percentile: float = STRONG_PERCENTILE
) -> dict[str, ScoreScale]:
    """Each scorer's `ScoreScale` from its (shoppers, products) scores.

    Only the products each shopper may be shown count (`allowed`; e.g. not the ones their
    query holds, which some scorers reconstruct almost perfectly). `typical` is the median
    of those scores and `strong` their `percentile`.
    """
    scales = {}
    for name, matrix in scores.items():
        values = matrix if allowed is None else matrix[np.broadcast_to(allowed, matrix.shape)]
        if values.size == 0:
            scales[name] = ScoreScale()
            continue
        typical, strong = np.percentile(values, [50.0, percentile])
        scales[name] = ScoreScale(float(typical), float(strong))
    return scales


def fuse(
    scores: Mapping[str, np.ndarray],
    weights: FusionWeights,
    scales: Mapping[str, ScoreScale],
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """The weighted sum of each scorer's scores on its `scales` entry; -inf where not `allowed`.

    A scorer without a scale (or with a flat one) adds nothing.
    """
    shape = next(iter(scores.values())).shape
    mask = np.ones(shape, dtype=bool) if allowed is None else np.broadcast_to(allowed, shape)
    fused = np.zeros(shape, dtype=np.float32)
    for name, weight in weights.as_dict().items():
        if weight and name in scores and name in scales:
            fused += weight * scales[name].apply(scores[name])
    return np.where(mask, fused, -np.inf)


def target_ranks(scores: np.ndarray, targets: np.ndarray, seed: int = 0) -> np.ndarray:
    """The 0-based rank of each row's target column (-1 target: never found, rank = columns).

    Ties are broken by a fixed random order of the columns, as a real top-k list would
    break them somehow; counting ties in the target's favour would flatter scorers that
    give most products the same score (item-kNN's zeros).
    """
    order = np.random.default_rng(seed).permutation(scores.shape[1])
    safe = np.maximum(targets, 0)
    target_score = scores[np.arange(len(scores)), safe][:, None]
    ahead = (scores > target_score).sum(axis=1)
    ahead += ((scores == target_score) & (order[None, :] < order[safe][:, None])).sum(axis=1)
    found = (targets >= 0) & np.isfinite(target_score[:, 0])
    return np.where(found, ahead, scores.shape[1])


def choose_weights(
    scores: Mapping[str, np.ndarray],
    targets: np.ndarray,
    allowed: np.ndarray | None = None,
    scales: Mapping[str, ScoreScale] | None = None,
    grid: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    k: int = 10,
) -> FusionWeights:
    """The grid weights with the best HR@k on a validation split (NDCG@k breaks ties).

    `scores` holds each scorer's (cases, products) scores, `targets` each case's held-out
    product column. Pass the fitted recommender's `scales`, so the weights are chosen for
    the scale they will be used with; without them each scorer is scaled by these cases'
    own scores (`learn_scales`). Scorers that score nothing (content without product text)
    keep 0.

    Example:
        >>> choose_weights({"popularity": pop, "item_knn": knn}, held_out_columns, allowed=~seen)
        FusionWeights(popularity=0.2, item_knn=0.8, matrix_factorization=0.0, content=0.0)
    """
    mask = np.ones(next(iter(scores.values())).shape, dtype=bool) if allowed is None else allowed
    active = [name for name in RECOMMENDERS if name in scores and np.any(scores[name] != scores[name][:, :1])]
    scales = scales if scales is not None else learn_scales(scores, mask)
    rescaled = {name: scales[name].apply(scores[name]) for name in active if name in scales}
    active = [name for name in active if name in rescaled]
    best: tuple[float, float] = (-1.0, -1.0)
    chosen = FusionWeights(popularity=1.0)
    tried: set[tuple[float, ...]] = set()
    for combination in itertools.product(grid, repeat=len(active)):
        total = sum(combination)
        key = tuple(round(value / total, 6) for value in combination) if total else ()
        if not total or key in tried:
            continue
        tried.add(key)
        fused = sum(w * rescaled[name] for w, name in zip(combination, active, strict=True) if w)
        ranks = target_ranks(np.where(mask, fused, -np.inf), targets)
        hit = ranks < k
        quality = (float(hit.mean()), float(np.where(hit, 1 / np.log2(ranks + 2), 0).mean()))
        if quality > best:
            best, chosen = quality, FusionWeights(**dict(zip(active, combination, strict=True)))
    return chosen.normalised()
