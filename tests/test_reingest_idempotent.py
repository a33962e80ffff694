"""Re-ingesting is incremental: unchanged facts cost nothing, changes cost only themselves."""

from __future__ import annotations

import json
from pathlib import Path

from retrieval import Embedder, ingest_store
from ui.services import Services, build_services
from ui.settings import Settings


def _services(tmp_path: Path, embedder: Embedder) -> Services:
    return build_services(Settings(data_dir=tmp_path / "data"), embedder=embedder, with_assistant=False)


def _rewrite_products(folder: Path, edit) -> None:
    file = folder / "products.jsonl"
    rows = [json.loads(line) for line in file.read_text().splitlines()]
    file.write_text("".join(json.dumps(row) + "\n" for row in edit(rows)))


def test_reingesting_an_unchanged_store_writes_and_embeds_nothing(
    store_copy: Path, tmp_path: Path, embedder: Embedder
) -> None:
    services = _services(tmp_path, embedder)
    first = ingest_store(store_copy, services.db, services.indexer)
    counts_after_first = services.db.counts()
    version = services.db.catalog_version()

    second = ingest_store(store_copy, services.db, services.indexer)

    assert first.embedded == counts_after_first["products"] + counts_after_first["policy_passages"]
    assert second.embedded == 0
    for name, sync in second.database.items():
        assert not sync.changed, name
    assert all(c.metadata_updated == 0 and c.removed == 0 for c in second.index.values())
    assert services.db.counts() == counts_after_first
    assert services.db.catalog_version() == version  # no process is told to reload for nothing
    services.close()


def test_a_price_change_updates_search_without_re_embedding(
    store_copy: Path, tmp_path: Path, embedder: Embedder
) -> None:
    services = _services(tmp_path, embedder)
    ingest_store(store_copy, services.db, services.indexer)

    def cheaper_airpods(rows: list[dict]) -> list[dict]:
        return [{**row, "price": 89.0} if row["title"] == "Apple Airpods" else row for row in rows]

    _rewrite_products(store_copy, cheaper_airpods)
    report = ingest_store(store_copy, services.db, services.indexer)

    assert report.database["products"].updated == 1
    assert report.index["products"].embedded == 0
    assert report.index["products"].metadata_updated == 1
    for mode in ("dense", "hybrid"):
        titles = [h.product.title for h in services.products.search("airpods under $100", mode=mode).hits]
        assert "Apple Airpods" in titles, mode
    services.close()


def test_edited_text_is_re_embedded_and_removed_products_disappear(
    store_copy: Path, tmp_path: Path, embedder: Embedder
) -> None:
    services = _services(tmp_path, embedder)
    ingest_store(store_copy, services.db, services.indexer)

    def edit(rows: list[dict]) -> list[dict]:
        rows = [row for row in rows if row["title"] != "Apple Airpods"]
        return [{**row, "title": "Zebra Stripe Mascara"} if row["id"] == "1" else row for row in rows]

    _rewrite_products(store_copy, edit)
    report = ingest_store(store_copy, services.db, services.indexer)

    assert report.database["products"].removed == 1
    assert report.index["products"].removed == 1
    assert report.index["products"].embedded == 1
    assert services.products.search("zebra stripe mascara", k=1).hits[0].product.id == "1"
    assert "Apple Airpods" not in [h.product.title for h in services.products.search("apple airpods", k=10).hits]
    services.close()


def test_a_bad_row_keeps_the_product_it_may_hide(store_copy: Path, tmp_path: Path, embedder: Embedder) -> None:
    """A product whose row is broken is not deleted: the row may be a typo, not a removal."""
    services = _services(tmp_path, embedder)
    ingest_store(store_copy, services.db, services.indexer)

    def break_airpods(rows: list[dict]) -> list[dict]:
        return [{**row, "price": "n/a"} if row["title"] == "Apple Airpods" else row for row in rows]

    _rewrite_products(store_copy, break_airpods)
    report = ingest_store(store_copy, services.db, services.indexer)

    assert len(report.load.errors) == 1
    assert report.kept == ["products.jsonl"]
    assert report.database["products"].removed == 0
    assert "Apple Airpods" in [h.product.title for h in services.products.search("apple airpods", k=5).hits]
    services.close()


def test_a_word_added_late_in_a_long_description_is_searchable_without_re_embedding(
    store_copy: Path, tmp_path: Path, embedder: Embedder
) -> None:
    """The dense index embeds a description's opening only, so a word added past it costs no
    embedding; the lexical index reads the whole text and finds the product by that word."""
    services = _services(tmp_path, embedder)
    ingest_store(store_copy, services.db, services.indexer)

    def longer(rows: list[dict]) -> list[dict]:
        # One sentence longer than the embedded opening, so the opening stays as it was.
        tail = "They pair " + "and charge " * 25 + "with the Quixotron dock."
        return [
            {**row, "description": f"{row['description']} {tail}"} if row["title"] == "Apple Airpods" else row
            for row in rows
        ]

    _rewrite_products(store_copy, longer)
    report = ingest_store(store_copy, services.db, services.indexer)

    assert report.database["products"].updated == 1
    assert report.index["products"].embedded == 0
    hits = services.products.search("quixotron", k=3, mode="lexical").hits
    assert [h.product.title for h in hits] == ["Apple Airpods"]
    services.close()
