"""The labelled search set stays consistent with the catalogs and with the query parser."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import knowledge
from knowledge import load_store_folder
from retrieval import QueryParser

DATASET = Path(__file__).parent.parent / "bench" / "datasets" / "aisle-shop"
STORES = [knowledge.DEMO_STORE_DIR, Path(__file__).parent.parent / "bench" / "stores" / "retail-demo"]


def test_every_label_names_a_real_product_and_meets_the_query_constraints() -> None:
    products = {p.id: p for folder in STORES for p in load_store_folder(folder).products}
    assert len(products) == 2659
    queries = [json.loads(line) for line in (DATASET / "queries.jsonl").read_text().splitlines()]
    with (DATASET / "qrels.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    labels: dict[str, dict[str, int]] = {}
    for row in rows:
        assert row["product_id"] in products, row
        assert row["grade"] in {"1", "2"}, row
        assert row["product_id"] not in labels.setdefault(row["qid"], {}), f"duplicate {row}"
        labels[row["qid"]][row["product_id"]] = int(row["grade"])

    assert len(queries) >= 60
    assert {q["qid"] for q in queries} == set(labels)
    parser = QueryParser.for_catalog(products.values())
    constrained = 0
    for query in queries:
        assert 2 in labels[query["qid"]].values(), query
        filters = parser.parse(query["query"]).filters
        constrained += not filters.is_empty
        for product_id in labels[query["qid"]]:
            assert filters.matches(products[product_id]), (query, products[product_id].title)
    assert constrained >= 15  # the set exercises the filters
