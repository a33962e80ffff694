"""Finding things: embedders, the Chroma index, BM25, hybrid search, and recommenders.

Wraps chromadb, bm25s and sentence-transformers at this boundary: callers get typed hits
(`ProductHit`, `PolicyHit`) and never a library's own types.
"""

from retrieval.collaborative import EASE, ALSSettings, ItemKNN, MatrixFactorization, Popularity
from retrieval.content_based import ContentBased, maximal_marginal_relevance
from retrieval.embedders import EMBEDDERS, Embedder, load_embedder
from retrieval.errors import ConfigurationError, IndexMismatchError, IndexNotReadyError, RetrievalError
from retrieval.filters import SearchFilters
from retrieval.fresh_recommender import FreshRecommender
from retrieval.indexing import CatalogIndexer, IndexCounts
from retrieval.ingest import IngestReport, ingest_store
from retrieval.query_parser import ParsedQuery, QueryParser
from retrieval.recommenders import Recommendation, Recommender, purchase_baskets, shopper_histories
from retrieval.search import (
    SEARCH_MODES,
    CatalogCache,
    PolicyHit,
    PolicySearch,
    PolicySentence,
    ProductHit,
    ProductSearch,
    SearchMode,
    SearchResult,
)
from retrieval.vector_store import VectorCollection, open_chroma
from retrieval.weighted_fusion import (
    COLD_START_WEIGHTS,
    DEFAULT_WEIGHTS,
    RECOMMENDERS,
    FusionWeights,
    ScoreScale,
    choose_weights,
    fuse,
    learn_scales,
    target_ranks,
)

__all__ = [
    "COLD_START_WEIGHTS",
    "DEFAULT_WEIGHTS",
    "EASE",
    "EMBEDDERS",
    "RECOMMENDERS",
    "SEARCH_MODES",
    "ALSSettings",
    "CatalogCache",
    "CatalogIndexer",
    "ConfigurationError",
    "ContentBased",
    "Embedder",
    "FreshRecommender",
    "FusionWeights",
    "IndexCounts",
    "IndexMismatchError",
    "IndexNotReadyError",
    "IngestReport",
    "ItemKNN",
    "MatrixFactorization",
    "ParsedQuery",
    "PolicyHit",
    "PolicySearch",
    "PolicySentence",
    "Popularity",
    "ProductHit",
    "ProductSearch",
    "QueryParser",
    "Recommendation",
    "Recommender",
    "RetrievalError",
    "ScoreScale",
    "SearchFilters",
    "SearchMode",
    "SearchResult",
    "VectorCollection",
    "choose_weights",
    "fuse",
    "ingest_store",
    "learn_scales",
    "load_embedder",
    "maximal_marginal_relevance",
    "open_chroma",
    "purchase_baskets",
    "shopper_histories",
    "target_ranks",
]
