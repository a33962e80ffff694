"""Recommending from what products *are*: interest embeddings and diversity over product vectors.

Works where collaborative filtering can't: a product nobody has bought yet, a shopper's
first few views. The vectors are the same normalised text embeddings the search index
stores, read back from Chroma rather than computed again.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


def _unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    # Rows of zeros (a product without a vector, a query without interests) stay zero.
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class ContentBased:
    """Products whose text is close to what the shopper showed interest in.

    A query's *interest embedding* is the interest-weighted mean of its products'
    vectors; every product is scored by its cosine to it. Products without a vector score
    0, as does a query whose products have none.

    Example:
        >>> content = ContentBased(vectors)          # (products, dim), rows aligned with the catalog
        >>> content.scores(queries)                 # (queries, products), cosines in -1..1
    """

    name = "content"

    def __init__(self, vectors: np.ndarray) -> None:
        if vectors.ndim != 2:
            raise ValueError(f"ContentBased needs a (products, dim) matrix, got shape {vectors.shape}")
        self.vectors = _unit_rows(np.asarray(vectors, dtype=np.float32))

    @property
    def available(self) -> bool:
        """Whether any product has a vector (basket data without product text has none)."""
        return bool(self.vectors.size and np.any(self.vectors))

    def interest_embeddings(self, queries: sparse.csr_matrix) -> np.ndarray:
        return _unit_rows(np.asarray(queries @ self.vectors, dtype=np.float32))

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        return self.interest_embeddings(queries) @ self.vectors.T


def maximal_marginal_relevance(
    relevance: np.ndarray, vectors: np.ndarray, k: int, diversity: float, groups: Sequence[str] | None = None
) -> list[int]:
    """Pick `k` of the candidates, trading relevance for variety (Carbonell & Goldstein's MMR).

    Each pick maximises `(1 - diversity) * relevance - diversity * similarity`, where
    similarity is the cosine to the closest product already picked. `relevance` is
    rescaled to 0..1 first so that `diversity` means the same whatever the score scale.
    Candidates without a vector count as similar (1.0) to picked ones of the same
    `groups` entry (their category), else 0.

    Example:
        >>> maximal_marginal_relevance(np.array([0.9, 0.85, 0.3]), vectors, k=2, diversity=0.5)
        [0, 2]
    """
    if not 0.0 <= diversity <= 1.0:
        raise ValueError(f"diversity must be between 0 and 1, got {diversity}")
    count = len(relevance)
    if count == 0 or k <= 0:
        return []
    low, high = float(np.min(relevance)), float(np.max(relevance))
    scaled = (relevance - low) / (high - low) if high > low else np.ones(count)
    unit = _unit_rows(np.asarray(vectors, dtype=np.float32))
    similarity = unit @ unit.T
    if groups is not None:
        missing = ~np.any(unit, axis=1)
        labels = np.asarray(groups, dtype=object)
        same_group = (labels[:, None] == labels[None, :]).astype(np.float32)
        either_missing = missing[:, None] | missing[None, :]
        similarity = np.where(either_missing, same_group, similarity)
    picked: list[int] = []
    closest = np.full(count, -np.inf)  # each candidate's similarity to the nearest pick so far
    available = np.ones(count, dtype=bool)
    while len(picked) < min(k, count):
        penalty = np.where(np.isfinite(closest), closest, 0.0)
        value = np.where(available, (1 - diversity) * scaled - diversity * penalty, -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        closest = np.maximum(closest, similarity[best])
    return picked
