"""A recommender that keeps up with the store: refit when the catalog or behaviour changes.

`Recommender` remembers the catalog and the interactions it was fit on. In a running
server prices, stock and events change under it (an ingest, a shopper's purchase, another
server process writing to the same database), so this wrapper refits when the database's
catalog version moves or enough new events have arrived, at most once per interval.
Fitting the demo store takes well under a second, so a refit inside a request is fine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Sequence

from knowledge import ShopperProfile, StoreDatabase
from retrieval.recommenders import Recommendation, Recommender
from retrieval.vector_store import VectorCollection
from retrieval.weighted_fusion import FusionWeights


class FreshRecommender:
    """`Recommender.recommend`, on a model no older than the catalog and recent events.

    Example:
        >>> recommender = FreshRecommender(db, product_vectors)
        >>> recommender.recommend(profile, k=6)
    """

    def __init__(
        self,
        db: StoreDatabase,
        vectors: VectorCollection,
        weights: FusionWeights | None = None,
        refit_after_events: int = 100,
        min_seconds_between_fits: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._vectors = vectors
        self._weights = weights
        self._refit_after_events = refit_after_events
        self._min_interval = min_seconds_between_fits
        self._clock = clock
        self._lock = threading.Lock()
        self._model: Recommender | None = None
        self._fitted_on: tuple[int, int] = (-1, -1)
        self._fitted_at = float("-inf")

    def _state(self) -> tuple[int, int]:
        return self._db.catalog_version(), self._db.counts()["events"]

    def current(self) -> Recommender:
        """The fitted model, refit first when the catalog changed or enough events arrived."""
        with self._lock:
            version, events = self._state()
            fitted_version, fitted_events = self._fitted_on
            # A catalog change (price, stock, new products) refits at once: a stale model
            # could recommend what is now out of stock. New events can wait for the interval.
            stale = self._model is None or version != fitted_version
            busy = events - fitted_events >= self._refit_after_events
            if stale or (busy and self._clock() - self._fitted_at >= self._min_interval):
                self._model = Recommender.from_store(self._db, self._vectors, weights=self._weights)
                self._fitted_on, self._fitted_at = (version, events), self._clock()
            return self._model  # type: ignore[return-value]

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
        """See `Recommender.recommend`."""
        return self.current().recommend(
            profile,
            k=k,
            candidates=candidates,
            max_price=max_price,
            in_stock_only=in_stock_only,
            diversity=diversity,
            exclude=exclude,
        )
