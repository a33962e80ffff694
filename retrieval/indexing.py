"""Keeping Chroma a mirror of the database, embedding only what changed.

Each indexed document carries the hash of its text in its metadata. A sync embeds the
documents whose text hash is new, rewrites only the metadata of documents whose price or
stock changed, deletes documents gone from the database, and leaves the rest alone: a
re-ingest of an unchanged store embeds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tqdm import tqdm

from knowledge import PolicyPassage, Product
from retrieval.documents import passage_document, product_embedding_text
from retrieval.filters import product_metadata
from retrieval.vector_store import MetadataValue, VectorCollection

# Embedding in batches keeps the progress bar moving and memory flat on big catalogs.
_BATCH = 64


@dataclass(frozen=True)
class IndexCounts:
    """What a sync of one collection did."""

    embedded: int = 0
    metadata_updated: int = 0
    unchanged: int = 0
    removed: int = 0


@dataclass(frozen=True)
class _Document:
    id: str
    text: str
    metadata: dict[str, MetadataValue]


class CatalogIndexer:
    """Syncs products and policy passages from the database into their Chroma collections."""

    def __init__(self, products: VectorCollection, policies: VectorCollection) -> None:
        self._products = products
        self._policies = policies

    def sync(
        self, products: Sequence[Product], passages: Sequence[PolicyPassage], progress: bool = False
    ) -> dict[str, IndexCounts]:
        """Make both collections match `products` and `passages` exactly."""
        product_docs = [_Document(p.id, product_embedding_text(p), product_metadata(p)) for p in products]
        passage_docs = [_Document(p.id, passage_document(p), {"policy_id": p.policy_id}) for p in passages]
        return {
            "products": _sync(self._products, product_docs, "products", progress),
            "policies": _sync(self._policies, passage_docs, "passages", progress),
        }

    def is_empty(self) -> bool:
        return self._products.count() == 0 and self._policies.count() == 0


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _sync(collection: VectorCollection, documents: Sequence[_Document], label: str, progress: bool) -> IndexCounts:
    stored: Mapping[str, Mapping[str, MetadataValue]] = collection.metadata()
    to_embed: list[_Document] = []
    to_update: list[_Document] = []
    unchanged = 0
    for given in documents:
        metadata = {**given.metadata, "text_hash": _text_hash(given.text)}
        doc = _Document(given.id, given.text, metadata)
        old = stored.get(doc.id)
        if old is None or old.get("text_hash") != metadata["text_hash"]:
            to_embed.append(doc)
        elif dict(old) != metadata:
            to_update.append(doc)
        else:
            unchanged += 1
    gone = sorted(set(stored) - {doc.id for doc in documents})
    collection.delete(gone)
    collection.update_metadata([d.id for d in to_update], [d.metadata for d in to_update])
    # tqdm's bar shows the rate (e.g. "52.1 products/s") and the time left.
    with tqdm(
        total=len(to_embed), desc=f"Embedding {label}", unit=f" {label}", disable=not progress or not to_embed
    ) as bar:
        for start in range(0, len(to_embed), _BATCH):
            batch = to_embed[start : start + _BATCH]
            collection.upsert([d.id for d in batch], [d.text for d in batch], [d.metadata for d in batch])
            bar.update(len(batch))
    return IndexCounts(len(to_embed), len(to_update), unchanged, len(gone))
