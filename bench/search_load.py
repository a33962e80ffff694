"""Product search latency, looped: run it alone (quiet) or beside `bench.load` (under chat load).

    python -m bench.ingest --sizes 50000                   # builds bench/.work/ingest/data-50000
    python -m bench.search_load --data-dir bench/.work/ingest/data-50000 --minutes 10 --label beside-load

Searches the labelled queries (bench/datasets/aisle-shop) one after another, in hybrid mode,
in this process with the settings' embedder (AISLE_EMBED_THREADS threads), until time is up;
the first pass warms the index and is not counted. Prints p50/p95 and merges the run into
bench/results/search_load.json under `--label`.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

from agent import describe_cpu
from bench.metrics import percentile
from ui.services import build_catalog
from ui.settings import Settings

HERE = Path(__file__).parent
QUERIES = HERE / "datasets" / "aisle-shop" / "queries.jsonl"


def search_latencies(data_dir: Path, seconds: float) -> tuple[int, list[float]]:
    """Products in the index, and the milliseconds of each search made in `seconds`."""
    services = build_catalog(Settings(data_dir=data_dir))
    queries = [json.loads(line)["query"] for line in QUERIES.read_text(encoding="utf-8").splitlines() if line]
    for query in queries:  # warm: the catalog snapshot, BM25, Chroma's segments
        services.products.search(query)
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        query = queries[len(latencies) % len(queries)]
        started = time.perf_counter()
        services.products.search(query)
        latencies.append((time.perf_counter() - started) * 1000)
    products = len(services.catalog.current().products)
    services.close()
    return products, latencies


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, required=True, help="An ingested data folder.")
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--label", default="quiet")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "search_load.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    products, latencies = search_latencies(args.data_dir, args.minutes * 60)
    run = {
        "products": products,
        "searches": len(latencies),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "minutes": args.minutes,
        "embed_threads": Settings(data_dir=args.data_dir).embed_threads,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": describe_cpu(),
    }
    print(f"{products:,} products, {len(latencies)} searches: p50 {run['p50_ms']} ms, p95 {run['p95_ms']} ms")
    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    existing[args.label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(existing, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
