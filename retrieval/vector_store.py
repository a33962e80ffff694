"""Chroma, wrapped: our embedder in, typed matches out.

Nothing above `retrieval/` sees a chromadb type. The same class serves the embedded
`PersistentClient` (default) and a Chroma server (`HttpClient`), chosen by `open_chroma`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings

from retrieval.embedders import Embedder
from retrieval.errors import ConfigurationError, IndexMismatchError

MetadataValue = str | int | float | bool


def open_chroma(path: Path | None = None, url: str | None = None) -> ClientAPI:
    """A Chroma client: a server at `url` when given, else an embedded store at `path`."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if url:
        parsed = urlparse(url)
        if parsed.scheme not in {"http", "https"} or not parsed.hostname:
            raise ConfigurationError(f"Chroma URL {url!r} must look like http://host:port")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        return chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https", settings=settings)
    if path is None:
        raise ConfigurationError("give a Chroma folder (path) or a Chroma server URL")
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


class _ChromaEmbedding(EmbeddingFunction[Documents]):
    """Our embedder as Chroma's embedding function, so Chroma never falls back to its
    default one (which would try to download a model). Queries use the query prefix."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's parameter name
        return list(self._embedder.embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:  # noqa: A002
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "aisle"

    def get_config(self) -> dict[str, Any]:
        return {"embedder": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> _ChromaEmbedding:
        raise ConfigurationError(
            f"this collection was built by Aisle with the {config.get('embedder')!r} embedder; "
            "open it through Aisle, which passes the embedder in"
        )


@dataclass(frozen=True)
class VectorMatch:
    id: str
    similarity: float  # cosine similarity, -1..1


class VectorCollection:
    """One Chroma collection of documents embedded by `embedder`, searched by cosine.

    Example:
        >>> products = VectorCollection(open_chroma(path), "aisle-products", embedder)
        >>> products.upsert(["1"], ["Trail runner shoe"], [{"price": 79.5}])
        >>> products.query("running shoes", k=5, where={"price": {"$lte": 80}})
    """

    def __init__(self, client: ClientAPI, name: str, embedder: Embedder) -> None:
        self.name = f"{name}-{embedder.name}"
        self._embedder = embedder
        self._collection = client.get_or_create_collection(
            self.name,
            embedding_function=_ChromaEmbedding(embedder),  # type: ignore[arg-type]
            metadata={"hnsw:space": "cosine", "embedder": embedder.name, "dim": embedder.dim},
        )
        stored = (self._collection.metadata or {}).get("dim")
        if stored is not None and stored != embedder.dim:
            raise IndexMismatchError(
                f"collection {self.name} holds {stored}-d vectors but the embedder makes {embedder.dim}-d; "
                "delete the data folder's chroma/ directory and ingest again"
            )

    def count(self) -> int:
        return self._collection.count()

    def metadata(self) -> dict[str, Mapping[str, MetadataValue]]:
        """Every document's metadata by id (used to find what changed since the last sync)."""
        found = self._collection.get(include=["metadatas"])
        return {doc_id: dict(meta or {}) for doc_id, meta in zip(found["ids"], found["metadatas"] or [], strict=True)}

    def upsert(
        self,
        ids: Sequence[str],
        documents: Sequence[str],
        metadatas: Sequence[Mapping[str, MetadataValue]],
        embeddings: np.ndarray | None = None,
    ) -> None:
        """Add or replace documents; embeds them unless `embeddings` are given."""
        if not ids:
            return
        vectors = self._embedder.embed_documents(list(documents)) if embeddings is None else embeddings
        self._collection.upsert(
            ids=list(ids),
            documents=list(documents),
            metadatas=[dict(m) for m in metadatas],
            embeddings=[np.asarray(v, dtype=np.float32) for v in vectors],
        )

    def embeddings(self, ids: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Stored vectors by id (all of them without `ids`), read back rather than re-embedded."""
        if ids is not None and not ids:
            return {}
        found = self._collection.get(ids=list(ids) if ids is not None else None, include=["embeddings"])
        vectors = found["embeddings"] if found["embeddings"] is not None else []
        return {doc_id: np.asarray(v, dtype=np.float32) for doc_id, v in zip(found["ids"], vectors, strict=True)}

    def update_metadata(self, ids: Sequence[str], metadatas: Sequence[Mapping[str, MetadataValue]]) -> None:
        """Change metadata (a price, a stock flag) without re-embedding the text."""
        if ids:
            self._collection.update(ids=list(ids), metadatas=[dict(m) for m in metadatas])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._collection.delete(ids=list(ids))

    def query(self, vector: np.ndarray, k: int, where: Mapping[str, Any] | None = None) -> list[VectorMatch]:
        """The `k` nearest documents to `vector` among those matching the Chroma `where` filter."""
        k = min(k, self.count())
        if k <= 0:
            return []
        found = self._collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=dict(where) if where else None,
            include=["distances"],
        )
        distances = (found["distances"] or [[]])[0]
        return [VectorMatch(doc_id, 1.0 - float(d)) for doc_id, d in zip(found["ids"][0], distances, strict=True)]
