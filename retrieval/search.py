"""Hybrid search over the catalog and the policies: BM25 + dense vectors, fused by RRF.

The catalog is read from the database into memory (a few MB for thousands of products)
together with its lexical index; any process notices another process's ingest through
the database's catalog version and reloads. Dense search runs in Chroma, with the same
filters pushed down as a `where` clause.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from knowledge import PolicyPassage, Product, StoreDatabase
from retrieval.documents import passage_document, product_document
from retrieval.embedders import Embedder
from retrieval.filters import SearchFilters
from retrieval.fusion import reciprocal_rank_fusion
from retrieval.lexical import LexicalIndex
from retrieval.query_parser import QueryParser
from retrieval.vector_store import VectorCollection

SearchMode = Literal["hybrid", "lexical", "dense"]
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)

# Each method proposes this many candidates to the fusion; more barely changes the top
# ten and costs latency in Chroma.
CANDIDATES = 100


@dataclass(frozen=True)
class ProductHit:
    """A product found by a search, best first.

    `similarity` is the cosine between the query and the product text when the dense
    side saw the product, and `coverage` the share of the query's words the product's
    text contains: together they tell "we carry this" from "the nearest thing we have".
    """

    product: Product
    score: float
    lexical_rank: int | None = None
    dense_rank: int | None = None
    similarity: float | None = None
    coverage: float = 0.0


@dataclass(frozen=True)
class SearchResult:
    query: str  # as typed
    text: str  # what was matched against product text, after the parser took the filters out
    filters: SearchFilters  # the filters that were applied (parsed and explicit)
    mode: SearchMode
    hits: list[ProductHit]


@dataclass(frozen=True)
class PolicyHit:
    """A policy passage found for a question; `coverage` is the share of the question's
    words it contains (with `similarity`, it tells an answer from the nearest section)."""

    passage: PolicyPassage
    score: float
    similarity: float | None = None
    coverage: float = 0.0


@dataclass(frozen=True)
class PolicySentence:
    """One sentence (or list item) of a policy passage, as it is written there."""

    hit: PolicyHit
    text: str
    similarity: float

    @property
    def passage(self) -> PolicyPassage:
        return self.hit.passage


_SENTENCE_BREAK = re.compile(r"(?<=[.!?。！？])\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•]|\d+\.)\s+")


def policy_sentences(text: str) -> list[str]:
    """A policy's sentences; a list belongs to the sentence introducing it ("… are: 7 days, 30 days")."""
    sentences: list[str] = []
    in_list = False  # the last sentence is collecting the items of a list it introduced
    for line in text.splitlines():
        if not line.strip():
            continue
        if _LIST_ITEM.match(line):
            item = _LIST_ITEM.sub("", line).strip()
            if sentences and (sentences[-1].endswith(":") or in_list):
                sentences[-1] = f"{sentences[-1]}{' ' if sentences[-1].endswith(':') else ', '}{item.rstrip('.;')}"
                in_list = True
            else:
                sentences.extend(part.strip() for part in _SENTENCE_BREAK.split(item) if part.strip())
            continue
        in_list = False
        sentences.extend(part.strip() for part in _SENTENCE_BREAK.split(line.strip()) if part.strip())
    return [sentence for sentence in sentences if len(sentence) > 12]


class _Snapshot:
    """The catalog and policies at one catalog version, with their lexical indexes."""

    def __init__(self, version: int, products: list[Product], passages: list[PolicyPassage]) -> None:
        self.version = version
        self.products = products
        self.product_at = {p.id: i for i, p in enumerate(products)}
        self.product_lexical = LexicalIndex([product_document(p) for p in products])
        self.passages = passages
        self.passage_at = {p.id: i for i, p in enumerate(passages)}
        self.passage_lexical = LexicalIndex([passage_document(p) for p in passages])
        self.parser = QueryParser.for_catalog(products)
        self.title_patterns = [(p, pattern) for p in products if (pattern := _title_pattern(p.title)) is not None]


class CatalogCache:
    """The in-memory catalog every search reads, reloaded when the database's version moves."""

    def __init__(self, db: StoreDatabase) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    def current(self) -> _Snapshot:
        version = self._db.catalog_version()
        snapshot = self._snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self._lock:
            if self._snapshot is None or self._snapshot.version != version:
                self._snapshot = _Snapshot(version, self._db.products(), self._db.policy_passages())
            return self._snapshot

    def product(self, product_id: str) -> Product | None:
        snapshot = self.current()
        index = snapshot.product_at.get(product_id)
        return snapshot.products[index] if index is not None else None


def _title_pattern(title: str) -> re.Pattern[str] | None:
    """How a text names this product. Latin letters and digits bound a title; CJK text may
    touch it ("Kawasaki Z800还有多少库存"). A one-word title ("Bicycle", "Apple") is an ordinary
    word too, so it names the product only written as the title is, capital included."""
    if len(title) < 4:
        return None
    if len(title.split()) < 2:
        return re.compile(r"(?<![A-Za-z0-9])" + re.escape(title) + r"(?![A-Za-z0-9])")
    return re.compile(r"(?<![A-Za-z0-9])" + re.escape(title) + r"(?![A-Za-z0-9])", re.I)


class ProductSearch:
    """Finds products for a shopper's words, honouring price, category, brand and stock filters.

    Example:
        >>> search = ProductSearch(cache, products_collection, embedder)
        >>> result = search.search("wireless earbuds under $100", k=5)
        >>> [(hit.product.title, hit.product.price) for hit in result.hits]
    """

    def __init__(
        self,
        cache: CatalogCache,
        collection: VectorCollection,
        embedder: Embedder,
        candidates: int = CANDIDATES,
        weights: tuple[float, float] = (1.0, 1.0),
    ) -> None:
        if candidates < 1:
            raise ValueError("candidates must be at least 1")
        self._cache = cache
        self._collection = collection
        self._embedder = embedder
        self._candidates = candidates
        self._weights = weights

    def named_in(self, text: str) -> list[Product]:
        """Products whose full title (two words or more) appears in `text`, in order of appearance.

        "Which is cheaper, the iPhone X or the Samsung Galaxy S10?" names two products; a
        ranked search might return only one of them.
        """
        snapshot = self._cache.current()
        found: list[tuple[int, int, Product]] = []
        for product, pattern in snapshot.title_patterns:
            match = pattern.search(text)
            if match:
                found.append((match.start(), match.end(), product))
        # Longest title first at each position; "Galaxy S8" inside "Galaxy S8 Plus" is not a second product.
        found.sort(key=lambda item: (item[0], -item[1]))
        named: list[Product] = []
        covered_until = -1
        for start, end, product in found:
            if start >= covered_until:
                named.append(product)
                covered_until = end
        return named

    def search(
        self,
        query: str,
        k: int = 10,
        filters: SearchFilters | None = None,
        mode: SearchMode = "hybrid",
        parse: bool = True,
    ) -> SearchResult:
        """The `k` best products for `query`.

        Args:
            query: the shopper's words; with `parse`, price/stock/brand phrases in it become filters.
            k: how many products to return.
            filters: explicit filters; they win over parsed ones where both set a value.
            mode: "hybrid" (default), "lexical" (BM25 only) or "dense" (vectors only).
            parse: read filters out of the query text.
        """
        if mode not in SEARCH_MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of: {', '.join(SEARCH_MODES)}")
        snapshot = self._cache.current()
        if parse:
            parsed_query = snapshot.parser.parse(query)
            text, parsed = parsed_query.text, parsed_query.filters
        else:
            text, parsed = query.strip(), SearchFilters()
        applied = parsed.combined_with(filters) if filters else parsed
        pool = max(self._candidates, k)

        lexical: list[str] = []
        if mode != "dense" and text:
            mask = None
            if not applied.is_empty:
                products = snapshot.products
                mask = np.fromiter((applied.matches(p) for p in products), dtype=bool, count=len(products))
            lexical = [snapshot.products[m.index].id for m in snapshot.product_lexical.search(text, pool, mask)]

        similarity: dict[str, float] = {}
        dense: list[str] = []
        if mode != "lexical" and snapshot.products:
            vector = self._embedder.embed_query(text or query)
            for match in self._collection.query(vector, pool, where=applied.to_where()):
                if match.id in snapshot.product_at:  # the index may briefly lead the database
                    dense.append(match.id)
                    similarity[match.id] = match.similarity

        if mode == "lexical":
            ranked = [(pid, 1.0 / (rank + 1)) for rank, pid in enumerate(lexical)]
        elif mode == "dense":
            ranked = [(pid, similarity[pid]) for pid in dense]
        else:
            ranked = reciprocal_rank_fusion([lexical, dense], weights=self._weights)
        lexical_rank = {pid: rank for rank, pid in enumerate(lexical, start=1)}
        dense_rank = {pid: rank for rank, pid in enumerate(dense, start=1)}
        terms = set(snapshot.product_lexical.query_terms(text)) if text else set()
        hits = [
            ProductHit(
                product=snapshot.products[snapshot.product_at[pid]],
                score=score,
                lexical_rank=lexical_rank.get(pid),
                dense_rank=dense_rank.get(pid),
                similarity=similarity.get(pid),
                coverage=snapshot.product_lexical.coverage(terms, snapshot.product_at[pid]),
            )
            for pid, score in ranked[:k]
        ]
        return SearchResult(query=query, text=text, filters=applied, mode=mode, hits=hits)


class PolicySearch:
    """Finds the policy passages that answer a question (returns, shipping, warranty...)."""

    def __init__(self, cache: CatalogCache, collection: VectorCollection, embedder: Embedder) -> None:
        self._cache = cache
        self._collection = collection
        self._embedder = embedder
        # Sentence vectors per (passage id, text): policies change rarely, questions often.
        self._sentence_vectors: dict[tuple[str, str], tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()

    def _sentences_of(self, passage: PolicyPassage) -> tuple[list[str], np.ndarray]:
        key = (passage.id, passage.text)
        with self._lock:
            cached = self._sentence_vectors.get(key)
        if cached is None:
            sentences = policy_sentences(passage.text)
            cached = (sentences, self._embedder.embed_documents(sentences))
            with self._lock:
                self._sentence_vectors[key] = cached
        return cached

    def search(self, query: str, k: int = 3) -> list[PolicyHit]:
        snapshot = self._cache.current()
        if not snapshot.passages or not query.strip():
            return []
        lexical = [snapshot.passages[m.index].id for m in snapshot.passage_lexical.search(query, CANDIDATES)]
        matches = self._collection.query(self._embedder.embed_query(query), CANDIDATES)
        similarity = {m.id: m.similarity for m in matches if m.id in snapshot.passage_at}
        fused = reciprocal_rank_fusion([lexical, list(similarity)])
        terms = set(snapshot.passage_lexical.query_terms(query))
        return [
            PolicyHit(
                snapshot.passages[snapshot.passage_at[pid]],
                score,
                similarity.get(pid),
                snapshot.passage_lexical.coverage(terms, snapshot.passage_at[pid]),
            )
            for pid, score in fused[:k]
        ]

    def sentences(self, query: str, k: int = 2) -> list[PolicySentence]:
        """The `k` sentences of the best-matching policy section closest to `query`, in the
        order the policy has them (so an answer quotes them naturally).

        The section is chosen by the hybrid passage ranking, which picks the right one more
        reliably than sentence similarity alone (measured on the demo policies).
        """
        hits = self.search(query, k=1)
        if not hits:
            return []
        sentences, vectors = self._sentences_of(hits[0].passage)
        if not sentences:
            return []
        similarities = vectors @ self._embedder.embed_query(query)
        best = sorted(range(len(sentences)), key=lambda i: -float(similarities[i]))[:k]
        return [PolicySentence(hits[0], sentences[i], float(similarities[i])) for i in sorted(best)]
