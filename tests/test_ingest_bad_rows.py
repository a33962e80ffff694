"""A bad row is reported by file, line and reason, and every good row still loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge import StoreFolderError, load_store_folder
from retrieval import Embedder, ingest_store
from ui.services import build_services
from ui.settings import Settings


def _write_jsonl(path: Path, rows: list[object]) -> None:
    path.write_text("\n".join(row if isinstance(row, str) else json.dumps(row) for row in rows) + "\n")


def test_bad_product_rows_are_reported_with_line_and_reason(tmp_path: Path) -> None:
    _write_jsonl(
        tmp_path / "products.jsonl",
        [
            {"id": "1", "title": "Trail Runner", "price": 79.5, "stock": 3},
            "{not json",
            {"id": "3", "title": "Mug", "price": "cheap"},
            {"id": "4", "price": 5},
            {"id": "5", "title": "Lamp", "price": -2},
            {"id": "1", "title": "Trail Runner again", "price": 70},
            {"id": "7", "title": "Kettle", "price": 25, "stock": 0},
        ],
    )
    store = load_store_folder(tmp_path)
    by_line = {issue.line: issue.reason for issue in store.report.errors}
    assert sorted(by_line) == [2, 3, 4, 5, 6]
    assert "not valid JSON" in by_line[2]
    assert "price" in by_line[3] and "'cheap'" in by_line[3]
    assert "title: Field required" in by_line[4]
    assert "price" in by_line[5] and "greater than or equal to 0" in by_line[5]
    assert "duplicate id '1' (first on line 1)" in by_line[6]
    assert [p.id for p in store.products] == ["1", "7"]
    assert str(store.report.errors[0]).startswith("products.jsonl:2: error:")


def test_csv_rows_group_into_variants_and_bad_variants_are_reported(tmp_path: Path) -> None:
    (tmp_path / "products.csv").write_text(
        "id,title,price,stock,tags,variant_id,variant_price,variant_available,options\n"
        "1,Trail Runner,79.50,3,running|trail,,,,\n"
        "2,T-Shirt,,,,2a,19.99,true,color=blue|size=M\n"
        "2,,,,,2b,17.50,false,color=red|size=L\n"
        "2,,,,,2c,free,true,color=green|size=S\n"
        "3,Mug,not-a-price,,,,,,\n"
        "4,Poster,12,,,,,,size\n"
    )
    store = load_store_folder(tmp_path)
    by_line = {issue.line: issue.reason for issue in store.report.errors}
    assert set(by_line) == {5, 6, 7}
    assert by_line[5].startswith("variant price")
    assert "'not-a-price'" in by_line[6]
    assert "key=value" in by_line[7]
    products = {p.id: p for p in store.products}
    assert set(products) == {"1", "2"}
    assert products["1"].tags == ["running", "trail"]
    shirt = products["2"]
    assert [v.id for v in shirt.variants] == ["2a", "2b"]
    assert shirt.price == 19.99  # the red one is unavailable, so the buyable price is the blue one's
    assert shirt.variants[1].options == {"color": "red", "size": "L"}


def test_bad_rows_in_every_file_are_reported_and_good_rows_load(store_copy: Path, small_store: Path) -> None:
    with (store_copy / "orders.jsonl").open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "id": "#BAD1",
                    "customer_id": "1",
                    "status": "teleported",
                    "created_at": "2026-01-01T00:00:00Z",
                    "items": [{"product_id": "1", "title": "x", "unit_price": 1}],
                }
            )
            + "\n"
        )
    with (store_copy / "events.jsonl").open("a") as handle:
        handle.write(json.dumps({"kind": "view", "ts": "2026-01-01T00:00:00Z", "customer_id": "1"}) + "\n")
    with (store_copy / "customers.jsonl").open("a") as handle:
        handle.write(json.dumps({"id": "999", "name": "Card In Name 4111 1111 1111 1111"}) + "\n")
    (store_copy / "policies" / "empty.md").write_text("   \n")
    good = load_store_folder(small_store)

    store = load_store_folder(store_copy)

    files = {issue.file for issue in store.report.errors}
    assert files == {"orders.jsonl", "events.jsonl", "customers.jsonl", "policies/empty.md"}
    order_issue = next(i for i in store.report.errors if i.file == "orders.jsonl")
    assert order_issue.line == len(good.orders) + 1 and "status" in order_issue.reason
    assert "pending" in order_issue.reason  # the reason lists the valid statuses
    assert "needs the product_id" in next(i.reason for i in store.report.errors if i.file == "events.jsonl")
    assert "card number" in next(i.reason for i in store.report.errors if i.file == "customers.jsonl")
    assert len(store.orders) == len(good.orders)
    assert len(store.events) == len(good.events)
    assert len(store.customers) == len(good.customers)
    assert len(store.products) == len(good.products)


def test_unknown_columns_are_a_warning_not_an_error(tmp_path: Path) -> None:
    _write_jsonl(tmp_path / "products.jsonl", [{"id": "1", "title": "Mug", "price": 8, "colour_hex": "#00f"}])
    store = load_store_folder(tmp_path)
    assert not store.report.errors
    assert [str(w) for w in store.report.warnings] == ["products.jsonl: warning: ignored unknown field(s): colour_hex"]
    assert len(store.products) == 1


def test_a_missing_or_ambiguous_folder_is_an_error_that_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreFolderError, match="does not exist"):
        load_store_folder(tmp_path / "nope")
    (tmp_path / "products.csv").write_text("id,title,price\n1,Mug,8\n")
    (tmp_path / "products.jsonl").write_text('{"id": "1", "title": "Mug", "price": 8}\n')
    with pytest.raises(StoreFolderError, match="keep only the one that is current"):
        load_store_folder(tmp_path)


def test_ingest_loads_good_rows_into_database_and_search(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "shop"
    folder.mkdir()
    _write_jsonl(
        folder / "products.jsonl",
        [
            {"id": "1", "title": "Trail Runner Shoe", "price": 79.5, "stock": 3},
            {"id": "2", "title": "Ceramic Coffee Mug", "price": "eight"},
            {"id": "3", "title": "Stainless Steel Kettle", "price": 25, "stock": 4},
        ],
    )
    services = build_services(Settings(data_dir=tmp_path / "data"), embedder=embedder, with_assistant=False)

    report = ingest_store(folder, services.db, services.indexer)

    assert [(i.file, i.line) for i in report.load.errors] == [("products.jsonl", 2)]
    assert services.db.counts()["products"] == 2
    assert [h.product.id for h in services.products.search("kettle", k=1).hits] == ["3"]
    assert services.catalog.product("2") is None
    services.close()
