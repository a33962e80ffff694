"""The composition root: builds every heavy object once, from the settings, and wires them."""

from __future__ import annotations

from dataclasses import dataclass

from knowledge import StoreDatabase
from retrieval import (
    CatalogCache,
    CatalogIndexer,
    Embedder,
    PolicySearch,
    ProductSearch,
    VectorCollection,
    load_embedder,
    open_chroma,
)
from ui.settings import Settings


@dataclass
class Services:
    """Everything a request or a command needs, built once per process."""

    settings: Settings
    db: StoreDatabase
    embedder: Embedder
    catalog: CatalogCache
    indexer: CatalogIndexer
    products: ProductSearch
    policies: PolicySearch

    def close(self) -> None:
        self.db.close()


def build_services(settings: Settings, embedder: Embedder | None = None) -> Services:
    """Wire the database, the embedder, Chroma and the searches as `settings` say.

    Pass `embedder` to share one already loaded (tests and benchmarks build it once).
    """
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = StoreDatabase(settings.resolved_database_url)
    embedder = embedder or load_embedder(settings.embedder, threads=settings.threads)
    client = open_chroma(path=settings.chroma_dir, url=settings.chroma_url)
    product_vectors = VectorCollection(client, f"{settings.index_namespace}-products", embedder)
    policy_vectors = VectorCollection(client, f"{settings.index_namespace}-policies", embedder)
    catalog = CatalogCache(db)
    return Services(
        settings=settings,
        db=db,
        embedder=embedder,
        catalog=catalog,
        indexer=CatalogIndexer(product_vectors, policy_vectors),
        products=ProductSearch(catalog, product_vectors, embedder),
        policies=PolicySearch(catalog, policy_vectors, embedder),
    )
