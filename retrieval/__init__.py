"""Finding things: embedders, the Chroma index, BM25, hybrid product and policy search.

Wraps chromadb, bm25s and sentence-transformers at this boundary: callers get typed hits
(`ProductHit`, `PolicyHit`) and never a library's own types.
"""

from retrieval.embedders import EMBEDDERS, Embedder, load_embedder
from retrieval.errors import ConfigurationError, IndexMismatchError, IndexNotReadyError, RetrievalError
from retrieval.filters import SearchFilters
from retrieval.indexing import CatalogIndexer, IndexCounts
from retrieval.ingest import IngestReport, ingest_store
from retrieval.query_parser import ParsedQuery, QueryParser
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

__all__ = [
    "EMBEDDERS",
    "SEARCH_MODES",
    "CatalogCache",
    "CatalogIndexer",
    "ConfigurationError",
    "Embedder",
    "IndexCounts",
    "IndexMismatchError",
    "IndexNotReadyError",
    "IngestReport",
    "ParsedQuery",
    "PolicyHit",
    "PolicySearch",
    "PolicySentence",
    "ProductHit",
    "ProductSearch",
    "QueryParser",
    "RetrievalError",
    "SearchFilters",
    "SearchMode",
    "SearchResult",
    "VectorCollection",
    "ingest_store",
    "load_embedder",
    "open_chroma",
]
