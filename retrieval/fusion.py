"""Reciprocal rank fusion: one ranking from several, using ranks only.

BM25 scores and cosine similarities live on different scales; RRF (Cormack et al.,
2009) sidesteps calibrating them by summing 1 / (k + rank) over the rankings.
"""

from __future__ import annotations

from collections.abc import Sequence

# k = 60 is the constant from the RRF paper; it damps the head of each ranking so that
# one method's first place does not outvote agreement further down.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[str]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Fuse best-first id lists into one best-first list of (id, score).

    Ties keep the order in which ids were first seen, so the result is deterministic.
    """
    weights = weights or [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights")
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
