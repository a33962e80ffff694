"""Consistency check for the aisle-shop query set (stdlib only).

Usage: python3 bench/datasets/aisle-shop/check.py [--data /work/shared/data]

Checks: query/qrels qids match; kinds are valid; every product_id exists in the
combined catalog; grades are 1 or 2; no duplicate (qid, product_id) rows; every
query has a grade-2 product; and every product listed for a query satisfies the
price / stock / brand constraints parsed from the query text itself.
"""
import argparse
import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
KINDS = {"keyword", "natural", "constraint", "misspelling", "chinese"}


def load_catalog(data):
    cat = {}
    for p in json.load(open(data / "dummyjson_store" / "products.json", encoding="utf-8")):
        cat[str(p["id"])] = dict(title=p["title"], price=float(p["price"]),
                                 stock=int(p["stock"]), brand=p.get("brand") or "")
    with open(data / "retail_demo_store" / "products.jsonl", encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            cat[p["id"]] = dict(title=p["name"], price=float(p["price"]),
                                stock=int(p["current_stock"]), brand="")
    return cat


def parse_constraints(query, brands):
    q = query.lower()
    c = {}
    m = re.search(r"(?:under|below|less than)\s*\$?\s*([\d,.]+)", q) or re.search(r"([\d,.]+)\s*(?:美元|元|刀)以下", q)
    if m:
        c["max_price"] = float(m.group(1).replace(",", ""))
    m = re.search(r"(?:over|above|more than)\s*\$?\s*([\d,.]+)", q) or re.search(r"([\d,.]+)\s*(?:美元|元)以上", q)
    if m:
        c["min_price"] = float(m.group(1).replace(",", ""))
    if "in stock" in q or "有货" in q:
        c["in_stock"] = True
    for b in brands:
        if re.search(r"(?<![a-z])" + re.escape(b.lower()) + r"(?![a-z])", q):
            c["brand"] = b
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/work/shared/data")
    args = ap.parse_args()
    cat = load_catalog(Path(args.data))
    brands = sorted({p["brand"] for p in cat.values() if p["brand"]}, key=len)
    errors = []

    queries = [json.loads(l) for l in open(HERE / "queries.jsonl", encoding="utf-8") if l.strip()]
    qids = [q["qid"] for q in queries]
    if len(qids) != len(set(qids)):
        errors.append("duplicate qids in queries.jsonl")
    for q in queries:
        if set(q) != {"qid", "query", "kind"} or q["kind"] not in KINDS:
            errors.append(f"bad query record {q}")

    rows = list(csv.DictReader(open(HERE / "qrels.tsv", encoding="utf-8"), delimiter="\t"))
    seen = set()
    rel = defaultdict(dict)
    for r in rows:
        key = (r["qid"], r["product_id"])
        if key in seen:
            errors.append(f"duplicate row {key}")
        seen.add(key)
        if r["product_id"] not in cat:
            errors.append(f"unknown product {key}")
        if r["grade"] not in ("1", "2"):
            errors.append(f"bad grade {key} {r['grade']}")
        rel[r["qid"]][r["product_id"]] = int(r["grade"])

    if set(rel) != set(qids):
        errors.append(f"qid mismatch: only in qrels {set(rel) - set(qids)}, only in queries {set(qids) - set(rel)}")

    for q in queries:
        g = rel.get(q["qid"], {})
        if 2 not in g.values():
            errors.append(f"{q['qid']} has no grade-2 product")
        c = parse_constraints(q["query"], brands)
        if q["kind"] == "constraint" and not c:
            errors.append(f"{q['qid']} is kind=constraint but no constraint parsed: {q['query']}")
        for pid in g:
            p = cat.get(pid)
            if p is None:
                continue
            if "max_price" in c and p["price"] > c["max_price"]:
                errors.append(f"{q['qid']} {pid} price {p['price']} > {c['max_price']}")
            if "min_price" in c and p["price"] < c["min_price"]:
                errors.append(f"{q['qid']} {pid} price {p['price']} < {c['min_price']}")
            if c.get("in_stock") and p["stock"] <= 0:
                errors.append(f"{q['qid']} {pid} out of stock")
            if "brand" in c and p["brand"] != c["brand"]:
                errors.append(f"{q['qid']} {pid} brand {p['brand']!r} != {c['brand']!r}")

    kinds = Counter(q["kind"] for q in queries)
    grades = Counter(int(r["grade"]) for r in rows)
    print(f"queries: {len(queries)} {dict(kinds)}")
    print(f"qrels rows: {len(rows)} (grade 2: {grades[2]}, grade 1: {grades[1]}); "
          f"mean relevant per query: {len(rows) / len(queries):.2f}; "
          f"mean grade-2 per query: {grades[2] / len(queries):.2f}")
    constrained = [(q["qid"], q["query"], parse_constraints(q["query"], brands)) for q in queries]
    print(f"queries with parsed hard constraints: {sum(1 for _, _, c in constrained if c)}")
    if errors:
        print(f"{len(errors)} ERRORS")
        for e in errors:
            print("  ", e)
        sys.exit(1)
    print("OK")


if __name__ == "__main__":
    main()
