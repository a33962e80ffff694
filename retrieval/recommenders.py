"""The fused recommender: five scorers, weighted, filtered, diversified and explained.

Popularity, item-kNN, EASE and matrix factorisation learn from what shoppers did; content
matches the shopper's interest embedding against the catalog. Each scorer's scores are
put on a scale learned at fit time from the training shoppers' own scores before they are
weighted (`ScoreScale`), so a weight means the same whatever the scorer's units and weak
evidence (a pair of random carts) stays weak for every shopper. The weights are chosen on
a validation split (`choose_weights`, run by `bench.recommend`). Every recommendation says
why, from the data: a product it was bought with, the category the shopper likes, its
popularity.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from knowledge import EVENT_WEIGHTS, Event, Order, Product, ShopperProfile, StoreDatabase
from retrieval.collaborative import EASE, ItemKNN, MatrixFactorization, Popularity
from retrieval.content_based import ContentBased, maximal_marginal_relevance
from retrieval.vector_store import VectorCollection
from retrieval.weighted_fusion import (
    COLD_START_WEIGHTS,
    DEFAULT_WEIGHTS,
    FusionWeights,
    ScoreScale,
    fuse,
    learn_scales,
)

# MMR re-ranks this many of the best candidates per result; further down the list the
# relevance is too low for variety to be worth it.
POOL_PER_RESULT = 5
# "Similar to X" needs X among the product's this-many nearest neighbours (or its nearest 5%).
SIMILAR_NEIGHBOURS = 5
# Each scorer's scale is learned from this many training shoppers (a seeded sample): enough
# for a stable 99th percentile, and small enough that a 14,000-basket fit stays quick.
SCALE_SHOPPERS = 1000


@dataclass(frozen=True)
class Recommendation:
    """One recommended product, its fused score, why (in words, from the data) and each
    scorer's weighted share of the score."""

    product: Product
    score: float
    reason: str
    signals: dict[str, float]


def shopper_histories(events: Iterable[Event], orders: Iterable[Order] = ()) -> dict[str, dict[str, float]]:
    """Each shopper's interest per product: the `EVENT_WEIGHTS` of what they did, summed.

    An order adds a purchase only where the events hold none for that shopper and
    product, so a store whose events mirror its orders doesn't count a sale twice.
    """
    histories: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    purchased: set[tuple[str, str]] = set()
    for event in events:
        if event.product_id and event.kind in EVENT_WEIGHTS:
            shopper = f"customer:{event.customer_id}" if event.customer_id else f"session:{event.session_id}"
            histories[shopper][event.product_id] += EVENT_WEIGHTS[event.kind]
            if event.kind == "purchase":
                purchased.add((shopper, event.product_id))
    for order in orders:
        shopper = f"customer:{order.customer_id}"
        for item in order.items:
            if (shopper, item.product_id) not in purchased:
                histories[shopper][item.product_id] += EVENT_WEIGHTS["purchase"]
    return {shopper: dict(items) for shopper, items in histories.items()}


def purchase_baskets(events: Iterable[Event], orders: Iterable[Order] = ()) -> list[set[str]]:
    """Sets of products bought together: each order, and each shopper's purchase events at one time."""
    baskets: dict[tuple[str, str], set[str]] = defaultdict(set)
    for event in events:
        if event.kind == "purchase" and event.product_id:
            baskets[(event.customer_id or event.session_id or "", event.ts.isoformat())].add(event.product_id)
    return [basket for basket in baskets.values() if len(basket) > 1] + [
        {item.product_id for item in order.items} for order in orders if len(order.items) > 1
    ]


class Recommender:
    """Personal product recommendations for a shopper profile.

    Fitted once on every shopper's history; `recommend` then answers in milliseconds.
    Build it with `from_store` (the lead's wiring) or directly from histories.

    Example:
        >>> recommender = Recommender.from_store(db, product_collection)
        >>> for r in recommender.recommend(profiles.profile("7", None, catalog.product), k=3, max_price=50):
        ...     print(r.product.title, r.reason)
        Trail Running Socks  Bought together with Trail Runner
    """

    def __init__(
        self,
        products: Sequence[Product],
        histories: Iterable[Mapping[str, float]],
        vectors: Mapping[str, np.ndarray] | None = None,
        weights: FusionWeights | None = None,
        baskets: Iterable[Collection[str]] = (),
        knn: ItemKNN | None = None,
        mf: MatrixFactorization | None = None,
        ease: EASE | None = None,
    ) -> None:
        self.products = list(products)
        self.weights = weights or DEFAULT_WEIGHTS
        self._at = {product.id: i for i, product in enumerate(self.products)}
        self.interactions = self.matrix(histories)
        self.popularity = Popularity().fit(self.interactions)
        self.knn = (knn or ItemKNN()).fit(self.interactions)
        self.mf = (mf or MatrixFactorization()).fit(self.interactions)
        self.ease = (ease or EASE()).fit(self.interactions)
        vectors = vectors or {}
        dim = len(next(iter(vectors.values()))) if vectors else 1
        rows = [vectors.get(product.id) for product in self.products]
        self._vectors = np.stack([np.zeros(dim, np.float32) if v is None else np.asarray(v, np.float32) for v in rows])
        self.content = ContentBased(self._vectors)
        bought = self.matrix(dict.fromkeys(basket, 1.0) for basket in baskets)
        self._bought_together = (bought.T @ bought).tocsr()
        self.scales = self._learn_scales()

    @classmethod
    def from_store(
        cls,
        db: StoreDatabase,
        vectors: Mapping[str, np.ndarray] | VectorCollection,
        weights: FusionWeights | None = None,
    ) -> Recommender:
        """Fit on every event and order in the database, with the index's product vectors."""
        products = db.products()
        if isinstance(vectors, VectorCollection):
            vectors = vectors.embeddings([product.id for product in products])
        events = db.events()
        orders = db.orders()
        histories = shopper_histories(events, orders)
        return cls(products, histories.values(), vectors, weights, baskets=purchase_baskets(events, orders))

    def matrix(self, histories: Iterable[Mapping[str, float]]) -> sparse.csr_matrix:
        """Histories (product id → interest) as a (histories, products) matrix; unknown ids are dropped."""
        rows, cols, values = [], [], []
        count = 0
        for count, history in enumerate(histories, start=1):
            for product_id, weight in history.items():
                if (column := self._at.get(product_id)) is not None and weight > 0:
                    rows.append(count - 1)
                    cols.append(column)
                    values.append(weight)
        shape = (count, len(self.products))
        return sparse.csr_matrix((np.asarray(values, np.float32), (rows, cols)), shape=shape, dtype=np.float32)

    def _learn_scales(self) -> dict[str, ScoreScale]:
        """Each scorer's scale, from what it scores for (a sample of) the shoppers it was fit on,
        over the products they haven't chosen: what a shopper would be shown."""
        shoppers = self.interactions.shape[0]
        rows = np.arange(shoppers)
        if shoppers > SCALE_SHOPPERS:
            rows = np.sort(np.random.default_rng(0).choice(shoppers, SCALE_SHOPPERS, replace=False))
        queries = self.interactions[rows]
        return learn_scales(self.method_scores(queries), queries.toarray() == 0)

    def method_scores(self, queries: sparse.csr_matrix) -> dict[str, np.ndarray]:
        """Every scorer's (queries, products) scores, before fusion."""
        scorers = (self.popularity, self.knn, self.mf, self.content, self.ease)
        return {scorer.name: scorer.scores(queries) for scorer in scorers}

    def recommend(
        self,
        profile: ShopperProfile,
        k: int = 6,
        candidates: Sequence[str] | None = None,
        max_price: float | None = None,
        in_stock_only: bool = True,
        diversity: float = 0.3,
        exclude: Collection[str] = (),
    ) -> list[Recommendation]:
        """Up to `k` products for the shopper, best first, each with a reason.

        Never recommends a product the shopper bought, nor (unless `in_stock_only` is
        False) one out of stock. `max_price` defaults to the budget the shopper stated.
        Products the shopper already looked at are left out, except those in
        `candidates` (e.g. search hits for "recommend me running shoes"), which restricts
        the choice. `diversity` (0..1) trades relevance for variety (MMR).
        """
        budget = max_price if max_price is not None else profile.budget
        allowed = self._allowed(profile, candidates, budget, in_stock_only, exclude)
        if not allowed.any():
            return []
        interests = {} if profile.is_empty else profile.interests
        query = self.matrix([interests])
        weights = self.weights if query.nnz else COLD_START_WEIGHTS
        scores = self.method_scores(query)
        fused = fuse(scores, weights, self.scales, allowed[None, :])[0]
        popularity = self.popularity.counts
        # Best fused score first; equal scores go to the more popular product.
        order = np.lexsort((np.arange(fused.size), -popularity, -fused))
        pool = [int(i) for i in order[: max(k * POOL_PER_RESULT, k)] if np.isfinite(fused[i])]
        picks = maximal_marginal_relevance(
            fused[pool], self._vectors[pool], k, diversity, groups=[self.products[i].category for i in pool]
        )
        shares = {
            name: weight * self.scales[name].apply(scores[name][0])
            for name, weight in weights.as_dict().items()
            if weight and name in self.scales
        }
        results = []
        for index in (pool[p] for p in picks):
            signals = {name: round(float(share[index]), 4) for name, share in shares.items() if share[index] > 0}
            reason = self._reason(index, profile, signals, candidates is not None)
            if budget is not None:
                reason += f"; within your budget of {_money(budget)}"
            results.append(Recommendation(self.products[index], round(float(fused[index]), 4), reason, signals))
        return results

    def _allowed(
        self,
        profile: ShopperProfile,
        candidates: Sequence[str] | None,
        budget: float | None,
        in_stock_only: bool,
        exclude: Collection[str],
    ) -> np.ndarray:
        allowed = np.ones(len(self.products), dtype=bool)
        if candidates is not None:
            allowed[:] = False
            allowed[[self._at[c] for c in candidates if c in self._at]] = True
        seen = set(profile.interests) - set(candidates or ())
        never = set(profile.purchased) | seen | set(exclude)
        for index, product in enumerate(self.products):
            if (
                product.id in never
                or (in_stock_only and not product.in_stock)
                or (budget is not None and product.price > budget)
            ):
                allowed[index] = False
        return allowed

    def _reason(self, index: int, profile: ShopperProfile, signals: Mapping[str, float], searched: bool) -> str:
        """The fact that best explains the signals; never a claim the data lacks.

        A product bought together with one the shopper chose is the most specific fact a
        shopper can check, so it comes first whenever a collaborative signal contributed,
        even when the content match weighed more; otherwise the strongest signal that has a
        fact behind it speaks.
        """
        collaborative = {"item_knn", "matrix_factorization", "ease"} & set(signals)
        if collaborative and (reason := self._together_reason(index, profile, bought_only=True)):
            return reason
        for name in sorted(signals, key=lambda n: -signals[n]):
            if name in collaborative and (reason := self._together_reason(index, profile, bought_only=False)):
                return reason
            if name == "content" and (reason := self._content_reason(index, profile)):
                return reason
            if name == "popularity" and self.popularity.counts[index] > 0:
                return "Popular in the store"
        if "matrix_factorization" in signals:
            return "Liked by shoppers with a history like yours"
        if searched:
            return "Matches what you asked for"
        return "Popular in the store" if self.popularity.counts[index] > 0 else "New in the catalog"

    def _together_reason(self, index: int, profile: ShopperProfile, bought_only: bool) -> str | None:
        """Why, from co-occurrence: "Bought together with X" or "Often viewed with X", where X is
        the shopper's product that co-occurs most with this one."""
        facts = self._bought_together if bought_only else self.knn.cooccurrence
        if not facts.shape[0]:
            return None
        strength = {
            other: interest * float(facts[other, index])
            for product_id, interest in profile.interests.items()
            if (other := self._at.get(product_id)) is not None
        }
        other = max(strength, key=lambda i: strength[i], default=None)
        if other is None or strength[other] <= 0:
            return None
        title = self.products[other].title
        if bought_only:
            return f"Bought together with {title}"
        if self.knn.cooccurrence[other, index] >= 2:
            return f"Often viewed with {title}"
        return f"Viewed by a shopper who also viewed {title}"

    def _content_reason(self, index: int, profile: ShopperProfile) -> str | None:
        product = self.products[index]
        if product.category and profile.categories.get(product.category, 0.0) >= 0.25:
            return f"Matches your interest in {product.category.replace('-', ' ')}"
        if product.brand and profile.brands.get(product.brand, 0.0) >= 0.25:
            return f"From {product.brand}, a brand you looked at"
        seen = [self._at[p] for p in profile.interests if p in self._at]
        if not seen or not np.any(self._vectors[index]):
            return None
        # "Similar" only when the shopper's product is among this one's nearest in the catalog:
        # a raw cosine threshold would depend on the embedder (e5's unrelated pairs score 0.8).
        similarity = self.content.vectors @ self.content.vectors[index]
        similarity[index] = -np.inf
        nearest = set(np.argsort(-similarity)[: max(SIMILAR_NEIGHBOURS, len(self.products) // 20)].tolist())
        closest = max(seen, key=lambda i: similarity[i])
        return f"Similar to {self.products[closest].title}" if closest in nearest else None


def _money(amount: float) -> str:
    return f"${amount:,.0f}" if float(amount).is_integer() else f"${amount:,.2f}"
