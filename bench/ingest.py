"""Ingest speed and memory as the catalog grows, and how fast `aisle search` answers.

    python -m bench.ingest                        # 2.7k, 10k and 50k products (50k: ~35 min cold on 2 cores)
    python -m bench.ingest --sizes 2709 10000     # skip the slow one

For each size it writes a catalog into bench/.work/ingest/ (the bundled catalogs first, then
deterministic variants of them: another colour, material or size, with their own ids, titles
and prices), runs `aisle ingest` on a fresh data folder (cold: everything embedded), then
again on the unchanged folder (re-ingest: nothing embedded), each as its own process, and
records wall time, products/s and peak RSS. Last, it times `aisle search "wireless earbuds"`
on the ingested demo store (warm index, a fresh process each time, median of 3). Prints a
table and merges the run into bench/results/ingest.json with the CPU it ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import knowledge
from agent import describe_cpu

HERE = Path(__file__).parent
WORK = HERE / ".work" / "ingest"
SOURCES = [knowledge.DEMO_STORE_DIR, HERE / "stores" / "retail-demo", HERE / "stores" / "tau-retail"]
# Variant k of a product takes the k-th of each list (cycling): 8 x 6 x 5 combinations.
COLOURS = ("Black", "White", "Navy", "Olive", "Crimson", "Sand", "Slate", "Teal")
MATERIALS = ("Cotton", "Recycled", "Bamboo", "Steel", "Walnut", "Linen")
SIZES = ("Mini", "Compact", "Large", "XL", "Travel")


def base_rows() -> list[dict]:
    rows: list[dict] = []
    for folder in SOURCES:
        with (folder / "products.jsonl").open(encoding="utf-8") as handle:
            rows.extend(json.loads(line) for line in handle if line.strip())
    return rows


def variant_row(row: dict, k: int) -> dict:
    """Variant k (1, 2, ...) of a catalog row: its own id, title, price and options."""
    colour, material, size = COLOURS[k % len(COLOURS)], MATERIALS[k % len(MATERIALS)], SIZES[k % len(SIZES)]
    factor = 0.8 + 0.05 * (k % 9)
    new = {**row, "id": f"{row['id']}-v{k}", "title": f"{row['title']} ({colour}, {material}, {size})"}
    if "price" in new and isinstance(new["price"], int | float):
        new["price"] = round(new["price"] * factor, 2)
    new["attributes"] = {**row.get("attributes", {}), "color": colour, "material": material, "size": size}
    if row.get("variants"):
        new["variants"] = [
            {**v, "id": f"{v['id']}-v{k}", "price": round(v["price"] * factor, 2)} for v in row["variants"]
        ]
    new.pop("sku", None)
    return new


def write_catalog(size: int) -> Path:
    """A store folder with `size` products (the bundled ones first), written once per size."""
    folder = WORK / f"catalog-{size}"
    products = folder / "products.jsonl"
    if products.exists() and sum(1 for _ in products.open()) == size:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rows = base_rows()
    with products.open("w", encoding="utf-8") as handle:
        for i in range(size):
            row = rows[i % len(rows)]
            k = i // len(rows)
            handle.write(json.dumps(row if k == 0 else variant_row(row, k), ensure_ascii=False) + "\n")
    return folder


def run_aisle(args: list[str], data_dir: Path) -> tuple[float, int, str]:
    """Run `aisle ARGS` in a fresh process: wall seconds, peak RSS in MB, stderr."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AISLE_")}
    env.update(AISLE_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "aisle"), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0 or (args[0] == "ingest" and embedded_count(err) < 0):
        raise RuntimeError(f"aisle {' '.join(args)} failed ({process.returncode}):\n{err[-2000:]}")
    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far; sizes run smallest first, so
    # after a cold ingest it is that ingest's peak.
    rss = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return seconds, rss, err + out


def embedded_count(log: str) -> int:
    match = re.search(r"index products: (\d+) embedded", log)
    return int(match.group(1)) if match else -1


def measure_size(size: int) -> dict:
    folder = write_catalog(size)
    data = WORK / f"data-{size}"
    shutil.rmtree(data, ignore_errors=True)
    cold, cold_rss, cold_log = run_aisle(["ingest", str(folder)], data)
    again, _, again_log = run_aisle(["ingest", str(folder)], data)
    return {
        "products": size,
        "cold_seconds": round(cold, 1),
        "cold_products_per_second": round(size / cold, 1),
        "cold_embedded": embedded_count(cold_log),
        "cold_peak_rss_mb": cold_rss,
        "reingest_seconds": round(again, 2),
        "reingest_embedded": embedded_count(again_log),
    }


def measure_search(runs: int = 3) -> dict:
    """`aisle search` wall time on the warm demo index, a fresh process each time."""
    data = WORK / "data-demo"
    run_aisle(["ingest", str(knowledge.DEMO_STORE_DIR)], data)
    times = [run_aisle(["search", "wireless earbuds"], data)[0] for _ in range(runs)]
    return {"query": "wireless earbuds", "runs": runs, "wall_seconds_median": round(statistics.median(times), 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=int, default=[len(base_rows()), 10_000, 50_000])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "ingest.json")
    args = parser.parse_args(argv)

    sizes = []
    for size in sorted(args.sizes):
        print(f"ingesting {size:,} products ...", file=sys.stderr)
        sizes.append(measure_size(size))
    search = measure_search()

    print(f"\n{'products':>9} {'cold s':>8} {'products/s':>11} {'peak RSS MB':>12} {'re-ingest s':>12} {'embedded':>9}")
    for row in sizes:
        print(
            f"{row['products']:>9,} {row['cold_seconds']:>8.1f} {row['cold_products_per_second']:>11.1f} "
            f"{row['cold_peak_rss_mb']:>12} {row['reingest_seconds']:>12.2f} {row['reingest_embedded']:>9}"
        )
    print(f'\naisle search "{search["query"]}" (warm demo index): {search["wall_seconds_median"]:.2f} s wall')

    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs = existing.get("sizes", {})
    runs.update({str(row["products"]): row for row in sizes})
    result = {
        "sizes": runs,
        "search_cli": search,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": describe_cpu(),
        "python": platform.python_version(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
