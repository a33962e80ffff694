"""Product-search quality and speed: BM25, dense and hybrid side by side.

    python -m bench.retrieval                      # our labelled set over the 2,659-product demo catalogs
    python -m bench.retrieval --embedder minilm    # the same with the other embedder
    python -m bench.retrieval --products product.csv --queries query.csv --labels label.csv   # WANDS
    python -m bench.retrieval --products STORE_DIR [STORE_DIR ...] --queries queries.jsonl --labels qrels.tsv

Inputs come in two formats, told apart by the products argument:
- WANDS: tab-separated `product.csv`, `query.csv`, `label.csv` (labels Exact / Partial / Irrelevant).
- JSONL: store folder(s) for the products, `queries.jsonl` ({"qid", "query", "kind"?}) and
  `qrels.tsv` (qid, product_id, grade 0/1/2).

Prints a table and merges its run into bench/results/retrieval.json (one entry per data
set and embedder). The index is kept under bench/.work/ so a second run embeds nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import knowledge
from bench.metrics import ndcg_at, percentile, recall_at, reciprocal_rank
from knowledge import Product, load_store_folder
from retrieval import SEARCH_MODES, load_embedder
from ui.services import Services, build_services
from ui.settings import Settings

HERE = Path(__file__).parent
DEFAULT_PRODUCTS = [knowledge.DEMO_STORE_DIR, HERE / "stores" / "retail-demo"]
DEFAULT_QUERIES = HERE / "datasets" / "aisle-shop" / "queries.jsonl"
DEFAULT_LABELS = HERE / "datasets" / "aisle-shop" / "qrels.tsv"
WANDS_GRADES = {"Exact": 2, "Partial": 1, "Irrelevant": 0}
METHOD_NAMES = {"lexical": "bm25", "dense": "dense", "hybrid": "hybrid"}


@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    kind: str


@dataclass(frozen=True)
class Dataset:
    name: str
    products: list[Product]
    queries: list[Query]
    grades: dict[str, dict[str, int]]


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def load_wands(products: Path, queries: Path, labels: Path) -> Dataset:
    """WANDS files. Its products have no price, so they are indexed at price 0."""
    catalog = [
        Product(
            id=row["product_id"],
            title=row["product_name"] or row["product_id"],
            description=row.get("product_description") or "",
            category=row.get("product_class") or "",
            price=0,
        )
        for row in _tsv(products)
    ]
    query_rows = [Query(r["query_id"], r["query"], r.get("query_class") or "wands") for r in _tsv(queries)]
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for row in _tsv(labels):
        grades[row["query_id"]][row["product_id"]] = WANDS_GRADES[row["label"]]
    return Dataset("wands", catalog, query_rows, dict(grades))


def load_jsonl(stores: list[Path], queries: Path, labels: Path) -> Dataset:
    """Store folder(s) plus queries.jsonl and qrels.tsv."""
    catalog: dict[str, Product] = {}
    for folder in stores:
        store = load_store_folder(folder)
        if store.report.errors:
            print(f"warning: {folder}: {len(store.report.errors)} bad rows skipped", file=sys.stderr)
        catalog.update({p.id: p for p in store.products})
    with queries.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    query_rows = [Query(str(r["qid"]), r["query"], r.get("kind", "all")) for r in rows]
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for row in _tsv(labels):
        grades[row["qid"]][row["product_id"]] = int(row["grade"])
    return Dataset(queries.parent.name, list(catalog.values()), query_rows, dict(grades))


def prepare(dataset: Dataset, embedder_name: str) -> tuple[Services, dict[str, float]]:
    """Index the catalog in bench/.work/<dataset> (incrementally); return services and ingest costs."""
    work = HERE / ".work" / dataset.name
    embedder = load_embedder(embedder_name)
    services = build_services(Settings(data_dir=work, embedder=embedder_name), embedder=embedder)
    services.db.sync_products(dataset.products, prune=True)
    started = time.perf_counter()
    counts = services.indexer.sync(services.db.products(), [], progress=sys.stderr.isatty())
    seconds = time.perf_counter() - started
    embedded = counts["products"].embedded
    ingest = {"embedded": embedded, "seconds": round(seconds, 1)}
    if embedded:
        ingest["docs_per_second"] = round(embedded / seconds, 1)
    return services, ingest


def evaluate(services: Services, dataset: Dataset) -> dict[str, dict]:
    """Every method over every labelled query: mean metrics, latency and nDCG@10 per query kind."""
    queries = [q for q in dataset.queries if q.qid in dataset.grades]
    for query in queries[:5]:  # warm caches (the catalog snapshot, Chroma's segments)
        services.products.search(query.text, k=50)
    results = {}
    for mode in SEARCH_MODES:
        per_kind: dict[str, list[float]] = defaultdict(list)
        ndcg, recall, rr, latency = [], [], [], []
        for query in queries:
            started = time.perf_counter()
            result = services.products.search(query.text, k=50, mode=mode)  # type: ignore[arg-type]
            latency.append((time.perf_counter() - started) * 1000)
            ranked = [hit.product.id for hit in result.hits]
            grades = dataset.grades[query.qid]
            ndcg.append(ndcg_at(ranked, grades, 10))
            recall.append(recall_at(ranked, grades, 50))
            rr.append(reciprocal_rank(ranked, grades))
            per_kind[query.kind].append(ndcg[-1])
        results[METHOD_NAMES[mode]] = {
            "ndcg@10": round(sum(ndcg) / len(ndcg), 4),
            "recall@50": round(sum(recall) / len(recall), 4),
            "mrr": round(sum(rr) / len(rr), 4),
            "latency_ms_p50": round(percentile(latency, 50), 1),
            "latency_ms_p95": round(percentile(latency, 95), 1),
            "ndcg@10_by_kind": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(per_kind.items())},
        }
    return results


def print_table(name: str, embedder: str, catalog: int, queries: int, results: dict[str, dict]) -> None:
    print(f"\n{name}: {catalog:,} products, {queries} labelled queries, embedder {embedder}\n")
    print(f"{'method':<8} {'nDCG@10':>8} {'recall@50':>10} {'MRR':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for method, m in results.items():
        print(
            f"{method:<8} {m['ndcg@10']:>8.3f} {m['recall@50']:>10.3f} {m['mrr']:>7.3f} "
            f"{m['latency_ms_p50']:>8.1f} {m['latency_ms_p95']:>8.1f}"
        )
    kinds = sorted({kind for m in results.values() for kind in m["ndcg@10_by_kind"]})
    if len(kinds) > 1:
        print("\nnDCG@10 by query kind")
        print(f"{'method':<8} " + " ".join(f"{kind:>12}" for kind in kinds))
        for method, m in results.items():
            print(f"{method:<8} " + " ".join(f"{m['ndcg@10_by_kind'].get(kind, 0):>12.3f}" for kind in kinds))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--products",
        nargs="+",
        type=Path,
        default=DEFAULT_PRODUCTS,
        help="WANDS product.csv, or one or more store folders",
    )
    parser.add_argument("--queries", type=Path, default=DEFAULT_QUERIES)
    parser.add_argument("--labels", type=Path, default=DEFAULT_LABELS)
    parser.add_argument("--embedder", default="e5-small", help="e5-small, minilm, or 'all' for both")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "retrieval.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if len(args.products) == 1 and args.products[0].is_file():
        dataset = load_wands(args.products[0], args.queries, args.labels)
    else:
        dataset = load_jsonl(args.products, args.queries, args.labels)
    embedders = ["e5-small", "minilm"] if args.embedder == "all" else [args.embedder]

    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs = existing.get("runs", {})
    for embedder in embedders:
        services, ingest = prepare(dataset, embedder)
        results = evaluate(services, dataset)
        services.close()
        labelled = sum(1 for q in dataset.queries if q.qid in dataset.grades)
        print_table(dataset.name, embedder, len(dataset.products), labelled, results)
        runs[f"{dataset.name}/{embedder}"] = {
            "dataset": dataset.name,
            "embedder": embedder,
            "products": len(dataset.products),
            "queries": labelled,
            "ingest": ingest,
            "methods": results,
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": runs}, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
