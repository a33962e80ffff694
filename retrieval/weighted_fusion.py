"""Weighted score fusion for the recommender, and choosing the weights on a validation split.

Each scorer's scores are rescaled to 0..1 per shopper before they are weighted, so a
weight means the same whatever the scorer's scale (cosines near 0.8, co-occurrence
counts in the hundreds). `choose_weights` grid-searches the weights for the best hit
rate on held-out interactions; `bench.recommend` runs it and reports the choice.
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


# Used when a store does not choose its own. Content carries the most because it is the one
# signal that works for a shopper's first views and for products nobody has bought yet. The
# collaborative ratio follows `bench.recommend`'s validation choice on real purchase data
# (EASE four times item-kNN; matrix factorisation got 0 once EASE was there, so it keeps none
# here either). Popularity got 0 there, where every basket holds co-purchase evidence; it keeps
# a little weight here to order products the other signals know nothing about, and it was the
# signal chosen on the demo store's (synthetic) events. EASE and ALS score 0 in a store with
# fewer than 50 multi-product histories, where item-kNN and content decide.
DEFAULT_WEIGHTS = FusionWeights(popularity=0.1, item_knn=0.1, content=0.4, ease=0.4)
# A shopper we know nothing about gets what is popular.
COLD_START_WEIGHTS = FusionWeights(popularity=1.0)


def fuse(scores: Mapping[str, np.ndarray], weights: FusionWeights, allowed: np.ndarray | None = None) -> np.ndarray:
    """The weighted sum of per-row min-max-rescaled scores; -inf where not `allowed`.

    Rescaling runs over the allowed products only, so a product that can't be shown
    (already bought, out of stock) doesn't stretch the scale. A scorer whose row is flat
    (no signal for that shopper) adds nothing.
    """
    shape = next(iter(scores.values())).shape
    mask = np.ones(shape, dtype=bool) if allowed is None else np.broadcast_to(allowed, shape)
    fused = np.zeros(shape, dtype=np.float32)
    for name, weight in weights.as_dict().items():
        if weight and name in scores:
            fused += weight * rescale(scores[name], mask)
    return np.where(mask, fused, -np.inf)


def rescale(scores: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Each row min-max rescaled to 0..1 over its allowed entries (0 where flat or not allowed)."""
    low = np.where(allowed, scores, np.inf).min(axis=1, keepdims=True)
    high = np.where(allowed, scores, -np.inf).max(axis=1, keepdims=True)
    span = high - low
    span = np.where(np.isfinite(span) & (span > 0), span, np.inf)
    return np.where(allowed, (scores - np.where(np.isfinite(low), low, 0)) / span, 0.0).astype(np.float32)


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
    grid: Sequence[float] = (0.0, 0.25, 0.5, 0.75, 1.0),
    k: int = 10,
) -> FusionWeights:
    """The grid weights with the best HR@k on a validation split (NDCG@k breaks ties).

    `scores` holds each scorer's (cases, products) scores, `targets` each case's held-out
    product column. Scorers that score nothing (content without product text) keep 0.

    Example:
        >>> choose_weights({"popularity": pop, "item_knn": knn}, held_out_columns, allowed=~seen)
        FusionWeights(popularity=0.2, item_knn=0.8, matrix_factorization=0.0, content=0.0)
    """
    mask = np.ones(next(iter(scores.values())).shape, dtype=bool) if allowed is None else allowed
    active = [name for name in RECOMMENDERS if name in scores and np.any(scores[name] != scores[name][:, :1])]
    rescaled = {name: rescale(scores[name], mask) for name in active}
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
