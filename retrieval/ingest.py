"""`aisle ingest DIR`: a store folder into the database, then the database into the index."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge import LoadReport, StoreDatabase, SyncCounts, load_store_folder
from retrieval.indexing import CatalogIndexer, IndexCounts


@dataclass(frozen=True)
class IngestReport:
    """What an ingest read, wrote and indexed.

    `kept` names the files whose bad rows stopped pruning: when a file has a bad row, a
    product or policy missing from it may just be on that row, so nothing is removed.
    """

    folder: Path
    load: LoadReport
    database: dict[str, SyncCounts]
    index: dict[str, IndexCounts]
    kept: list[str]

    @property
    def embedded(self) -> int:
        return sum(counts.embedded for counts in self.index.values())


def ingest_store(folder: Path, db: StoreDatabase, indexer: CatalogIndexer, progress: bool = False) -> IngestReport:
    """Load `folder`, write its facts to `db`, and bring the index in line with `db`.

    Idempotent: an unchanged folder writes no row and embeds no text. Products and
    policies absent from a cleanly loaded folder are removed (the folder is the catalog);
    customers, orders and events are only added or updated (the server also writes them).

    Raises:
        StoreFolderError: the folder is missing or ambiguous (bad rows are reported, not raised).
    """
    store = load_store_folder(folder)
    kept: list[str] = []
    prune_products = store.products_file is not None and store.report.is_complete(store.products_file)
    if store.products_file is not None and not prune_products:
        kept.append(store.products_file)
    prune_policies = (Path(folder) / "policies").is_dir() and store.report.is_complete("policies")
    if (Path(folder) / "policies").is_dir() and not prune_policies:
        kept.append("policies")
    database = {
        "products": db.sync_products(store.products, prune=prune_products),
        "policy_passages": db.sync_policies(store.policies, prune=prune_policies),
        "customers": db.upsert_customers(store.customers),
        "orders": db.upsert_orders(store.orders),
        "events": db.add_events(store.events),
    }
    index = indexer.sync(db.products(), db.policy_passages(), progress=progress)
    return IngestReport(folder=Path(folder), load=store.report, database=database, index=index, kept=kept)
