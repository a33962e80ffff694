"""Ranking metrics over graded relevance (grade 0 = irrelevant, 1 = partial, 2 = exact)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def ndcg_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """nDCG@k with exponential gain (2^grade - 1), the usual choice for graded labels."""
    dcg = sum((2 ** grades.get(item, 0) - 1) / math.log2(rank + 2) for rank, item in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**grade - 1) / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int) -> float:
    """Share of the relevant items (grade >= 1) found in the top k."""
    relevant = {item for item, grade in grades.items() if grade > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def reciprocal_rank(ranked: Sequence[str], grades: Mapping[str, int]) -> float:
    """1 / rank of the first relevant item (grade >= 1), 0 when none is ranked."""
    return next((1 / (rank + 1) for rank, item in enumerate(ranked) if grades.get(item, 0) > 0), 0.0)


def hit_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """1 when any relevant item is in the top k (HR@k for one case)."""
    return 1.0 if relevant & set(ranked[:k]) else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation, as numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
