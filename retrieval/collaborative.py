"""Recommenders that learn from what shoppers did together: popularity, item-kNN and ALS.

Each one is fitted on an interaction matrix (one row per shopper or basket, one column
per product, the value how strongly that shopper showed interest) and scores a batch of
*queries* of the same shape: a shopper's own interests, or the rest of a basket. Scores
are per product column; the fused `Recommender` maps columns to product ids.
`implicit` is wrapped here: nothing else in Aisle sees its types.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from threadpoolctl import threadpool_limits


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    binary = matrix.copy().tocsr()
    binary.data = np.ones_like(binary.data, dtype=np.float32)
    return binary


class Popularity:
    """How many shoppers showed interest in each product: the cold-start answer.

    Example:
        >>> popularity = Popularity().fit(interactions)
        >>> popularity.scores(queries)[0].argmax()   # the same best-seller for every query
    """

    name = "popularity"

    def __init__(self) -> None:
        self.counts = np.zeros(0, dtype=np.float32)

    def fit(self, interactions: sparse.csr_matrix) -> Popularity:
        # Shoppers, not events: one shopper viewing a product forty times is not forty fans.
        self.counts = np.asarray(_binary(interactions).sum(axis=0), dtype=np.float32).ravel()
        return self

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (queries.shape[0], self.counts.size)).copy()


class ItemKNN:
    """Item-to-item collaborative filtering: products that the same shoppers chose.

    Two products are similar when the same shoppers chose both (cosine of their shopper
    sets). A shopper's pairs count less the more products they chose (`damping`: each
    history weighs 1/length^damping), because a wholesale basket of 300 products says
    little about any one pair. `shrinkage` pulls pairs of rarely chosen products towards 0
    (it is added to the cosine's denominator), and `support` discounts a pair by how few
    shoppers chose both: the similarity is multiplied by n / (n + support), so with
    support 2 one shared shopper keeps a third of it and twenty keep 91%. Each product
    keeps only its `neighbours` most similar products, which removes noise and keeps
    scoring sparse. Defaults are `bench.recommend`'s choice on real baskets.

    Example:
        >>> knn = ItemKNN(neighbours=20, damping=1.0).fit(interactions)
        >>> knn.scores(queries)           # (queries, products)
    """

    name = "item_knn"

    def __init__(
        self, neighbours: int = 20, shrinkage: float = 0.0, damping: float = 1.0, support: float = 2.0
    ) -> None:
        if neighbours < 1 or shrinkage < 0 or damping < 0 or support < 0:
            raise ValueError("ItemKNN needs neighbours >= 1 and shrinkage, damping and support >= 0")
        self.neighbours = neighbours
        self.shrinkage = shrinkage
        self.damping = damping
        self.support = support
        self.similarity = sparse.csr_matrix((0, 0), dtype=np.float32)
        # How many shoppers chose both products: the facts behind "often viewed with".
        self.cooccurrence = sparse.csr_matrix((0, 0), dtype=np.float32)

    def fit(self, interactions: sparse.csr_matrix) -> ItemKNN:
        binary = _binary(interactions)
        self.cooccurrence = _without_diagonal(binary.T @ binary)
        lengths = np.asarray(binary.sum(axis=1), dtype=np.float32).ravel()
        damped = sparse.diags(np.power(np.maximum(lengths, 1.0), -self.damping)) @ binary
        pairs = _without_diagonal(binary.T @ damped).tocoo()
        norms = np.sqrt(np.asarray(damped.sum(axis=0), dtype=np.float32).ravel())
        values = pairs.data / (norms[pairs.row] * norms[pairs.col] + self.shrinkage)
        similarity = sparse.csr_matrix((values, (pairs.row, pairs.col)), shape=pairs.shape, dtype=np.float32)
        if self.support:
            # Cosine alone rates two products chosen by the same single shopper as alike as
            # two that hundreds chose together; one random cart should count for little.
            confidence = self.cooccurrence.copy()
            confidence.data = confidence.data / (confidence.data + self.support)
            similarity = sparse.csr_matrix(similarity.multiply(confidence), dtype=np.float32)
        self.similarity = _top_per_row(similarity, self.neighbours)
        return self

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        # A query's score for product j sums the similarity of j to each product of the query,
        # weighted by the query's interest in it. `similarity` rows are "from" products.
        return np.asarray((queries @ self.similarity).todense(), dtype=np.float32)


def _without_diagonal(matrix: sparse.spmatrix) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(matrix, dtype=np.float32)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    return matrix


def _top_per_row(matrix: sparse.csr_matrix, keep: int) -> sparse.csr_matrix:
    rows, cols, values = [], [], []
    for row in range(matrix.shape[0]):
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        data = matrix.data[start:end]
        if data.size == 0:
            continue
        top = np.argsort(-data)[:keep]
        rows.append(np.full(top.size, row))
        cols.append(matrix.indices[start:end][top])
        values.append(data[top])
    if not rows:
        return sparse.csr_matrix(matrix.shape, dtype=np.float32)
    return sparse.csr_matrix(
        (np.concatenate(values), (np.concatenate(rows), np.concatenate(cols))), shape=matrix.shape, dtype=np.float32
    )


@dataclass(frozen=True)
class ALSSettings:
    """Matrix-factorisation knobs. `bench.recommend` chooses them per data set on a validation
    split (256 factors on 14,000 real baskets); the defaults suit a store with hundreds of shoppers."""

    factors: int = 64
    regularization: float = 0.05
    alpha: float = 10.0
    iterations: int = 15


class MatrixFactorization:
    """Implicit-feedback matrix factorisation (ALS, from the `implicit` library).

    Products and shoppers get a few dozen latent factors each; a query's factors are
    solved for from its interests at scoring time, so a shopper or basket the model has
    never seen is scored without refitting. With fewer than `min_histories` histories of
    two or more products there is nothing to factorise: the latent factors would be
    noise that its fusion scale would learn as if it were signal, so the model
    scores every product 0 and the other scorers decide.

    Example:
        >>> mf = MatrixFactorization(ALSSettings(factors=32), seed=0).fit(interactions)
        >>> mf.scores(queries)
    """

    name = "matrix_factorization"

    def __init__(self, settings: ALSSettings | None = None, seed: int = 0, min_histories: int = 50) -> None:
        self.settings = settings or ALSSettings()
        self.seed = seed
        self.min_histories = min_histories
        self._model = None
        self._items = 0

    def fit(self, interactions: sparse.csr_matrix) -> MatrixFactorization:
        # Imported here: it costs a third of a second, which only a process that fits pays.
        from implicit.cpu.als import AlternatingLeastSquares

        s = self.settings
        self._items = interactions.shape[1]
        # implicit's ALS runs its own threads; a second BLAS thread pool under it only
        # thrashes (implicit warns about exactly this), so BLAS gets one thread while fitting.
        with threadpool_limits(1, "blas"):
            model = AlternatingLeastSquares(
                factors=s.factors,
                regularization=s.regularization,
                alpha=s.alpha,
                iterations=s.iterations,
                random_state=self.seed,
            )
            enough = int((np.diff(interactions.tocsr().indptr) >= 2).sum()) >= self.min_histories
            if enough:
                model.fit(interactions.astype(np.float32).tocsr(), show_progress=False)
        self._model = model if enough else None
        return self

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        if self._model is None:
            return np.zeros((queries.shape[0], self._items), dtype=np.float32)
        with threadpool_limits(1, "blas"):
            factors = self._model.recalculate_user(np.arange(queries.shape[0]), queries.astype(np.float32).tocsr())
        factors = np.atleast_2d(factors)
        scores = factors @ self._model.item_factors.T
        # A query with no interactions gets zero factors; its scores carry no information.
        return np.asarray(scores, dtype=np.float32)


class EASE:
    """A linear item-to-item model with a closed-form fit (Steck's EASE, 2019).

    Each product's score is a weighted sum of the query's products, with weights that
    best reconstruct every training history from its *other* products (ridge regression,
    no self-weight). Unlike item-kNN's separate pairwise cosines, the weights are fitted
    jointly, so two products that only ever appear with the same third one don't both get
    credit for it. On the real baskets it is the strongest single method (`bench.recommend`).
    The fit inverts a dense (products, products) matrix, so a catalog above `max_products`
    (memory grows with its square) or one with fewer than `min_histories` histories of two
    or more products scores every product 0 and the other scorers decide.

    Example:
        >>> ease = EASE(regularization=50.0).fit(interactions)
        >>> ease.scores(queries)          # (queries, products)
    """

    name = "ease"

    def __init__(self, regularization: float = 50.0, max_products: int = 20_000, min_histories: int = 50) -> None:
        if regularization <= 0:
            raise ValueError("EASE needs regularization > 0")
        self.regularization = regularization
        self.max_products = max_products
        self.min_histories = min_histories
        self.weights: np.ndarray | None = None
        self._items = 0

    def fit(self, interactions: sparse.csr_matrix) -> EASE:
        binary = _binary(interactions)
        self._items = binary.shape[1]
        enough = int((np.diff(binary.indptr) >= 2).sum()) >= self.min_histories
        if not enough or self._items > self.max_products:
            self.weights = None
            return self
        gram = (binary.T @ binary).toarray().astype(np.float64)
        gram[np.diag_indices_from(gram)] += self.regularization
        inverse = np.linalg.inv(gram)
        weights = inverse / -np.diag(inverse)
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)
        return self

    def scores(self, queries: sparse.csr_matrix) -> np.ndarray:
        if self.weights is None:
            return np.zeros((queries.shape[0], self._items), dtype=np.float32)
        return np.asarray(queries @ self.weights, dtype=np.float32)
