"""Recommendation quality: popularity, item-kNN, EASE, matrix factorisation, content and the fused recommender.

    python -m bench.recommend                                        # both data sets below
    python -m bench.recommend --baskets baskets.jsonl                # another basket file
    python -m bench.recommend --events events.jsonl --products products.jsonl

Two data sets, each with one split shared by every method:

- Real purchases: the UCI Online Retail baskets (../shared/data/online_retail_baskets,
  chronological, item codes only). There are no shopper ids, so this is basket completion:
  one item of each held-out basket (two or more products) is hidden, chosen with a fixed
  seed, and the rest of the basket is the query. Train on the first 80% of baskets, test
  on the last 20%. Non-product codes (postage, carriage, fees, manual lines, gift vouchers)
  are dropped. No product text, so the content scorer is "n/a" there.
- The demo store's events: leave-last-out per customer. The product of each customer's
  last add-to-cart or purchase is hidden, together with all of that customer's events on
  it (the demo data views every bought product shortly before, which would give the
  answer away), and the customer's events up to then are the query.

Every method ranks the full catalog (no sampled negatives), minus what the query already
holds. Hyperparameters (item-kNN neighbours/damping/shrinkage/support, EASE
regularisation, ALS factors/alpha) and the fusion weights are chosen on a validation split
carved out of the training data (the last 15% of training baskets; the second-to-last item
per customer) and the test split is scored once. The fused scores put each method on the
scale its fitted model learned from its own training shoppers, as `Recommender` does.
Writes bench/results/recommend.json.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

import knowledge
from knowledge import EVENT_WEIGHTS, Event, Product
from retrieval import (
    DEFAULT_WEIGHTS,
    EASE,
    ALSSettings,
    FusionWeights,
    ItemKNN,
    MatrixFactorization,
    Recommender,
    ScoreScale,
    choose_weights,
    fuse,
    load_embedder,
    shopper_histories,
    target_ranks,
)
from retrieval.documents import product_document

HERE = Path(__file__).parent
DEFAULT_BASKETS = HERE.parent.parent / "shared" / "data" / "online_retail_baskets" / "baskets_train.jsonl"
DEFAULT_EVENTS = knowledge.DEMO_STORE_DIR / "events.jsonl"
DEFAULT_PRODUCTS = knowledge.DEMO_STORE_DIR / "products.jsonl"
K = 10
TEST_SHARE = 0.2
VALIDATION_SHARE = 0.15
# UCI stock codes are five digits with an optional letter; everything else (POST, DOT, M,
# C2, BANK CHARGES, AMAZONFEE, PADS, S, DCGS…, gift_0001_…) is a fee, a manual line or a voucher.
PRODUCT_CODE = re.compile(r"^\d{5}")
KNN_GRID = [
    {"neighbours": n, "damping": d, "shrinkage": s, "support": c}
    for n, d, s, c in itertools.product((20, 100, 200), (0.0, 0.5, 1.0), (0.0, 10.0), (0.0, 2.0, 5.0))
]
ALS_GRID = [
    {"factors": f, "alpha": a, "regularization": r}
    for f, a, r in itertools.product((32, 64, 128, 256), (5.0, 20.0), (0.05, 0.5))
]
EASE_GRID = [{"regularization": r} for r in (10.0, 50.0, 200.0, 500.0)]
SINGLE = ("popularity", "item_knn", "ease", "matrix_factorization", "content")


@dataclass(frozen=True)
class Case:
    """One held-out interaction: what the shopper (or basket) showed before, and what came next."""

    query: dict[str, float]
    target: str


@dataclass(frozen=True)
class Split:
    histories: list[dict[str, float]]  # what the recommender is fitted on
    cases: list[Case]


@dataclass
class Dataset:
    name: str
    protocol: str
    products: list[Product]
    vectors: dict[str, np.ndarray] | None
    validation: Split
    test: Split
    sizes: dict[str, int] = field(default_factory=dict)


# --- data sets --------------------------------------------------------------------------


def load_baskets(path: Path) -> list[list[str]]:
    """Baskets in file order, each its distinct product codes in first-seen order."""
    baskets = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                codes = [code for code in json.loads(line)["items"] if PRODUCT_CODE.match(code)]
                baskets.append(list(dict.fromkeys(codes)))
    return baskets


def hide_one(baskets: Sequence[list[str]], rng: np.random.Generator) -> list[Case]:
    cases = []
    for basket in baskets:
        if len(basket) >= 2:
            hidden = int(rng.integers(len(basket)))
            cases.append(Case(dict.fromkeys(basket[:hidden] + basket[hidden + 1 :], 1.0), basket[hidden]))
    return cases


def basket_dataset(path: Path, seed: int) -> Dataset:
    baskets = [basket for basket in load_baskets(path) if basket]
    cut = int(len(baskets) * (1 - TEST_SHARE))
    train, test = baskets[:cut], baskets[cut:]
    fit_cut = int(len(train) * (1 - VALIDATION_SHARE))
    rng = np.random.default_rng(seed)
    validation = Split([dict.fromkeys(b, 1.0) for b in train[:fit_cut]], hide_one(train[fit_cut:], rng))
    held_out = Split([dict.fromkeys(b, 1.0) for b in train], hide_one(test, rng))
    codes = sorted({code for basket in train for code in basket})
    products = [Product(id=code, title=f"StockCode {code}", price=0) for code in codes]
    known = set(codes)
    return Dataset(
        name="online_retail_baskets",
        protocol="basket completion: hide one item (seeded) of each test basket with 2+ products; "
        f"chronological split, last {TEST_SHARE:.0%} of baskets = test, validation = last "
        f"{VALIDATION_SHARE:.0%} of train; non-product codes dropped; full-catalog ranking",
        products=products,
        vectors=None,
        validation=validation,
        test=held_out,
        sizes={
            "baskets": len(baskets),
            "train_baskets": len(train),
            "validation_fit_baskets": fit_cut,
            "validation_cases": len(validation.cases),
            "test_baskets": len(test),
            "test_cases": len(held_out.cases),
            "test_targets_unseen_in_train": sum(1 for case in held_out.cases if case.target not in known),
            "catalog": len(codes),
        },
    )


def leave_last_out(events: dict[str, list[Event]]) -> tuple[dict[str, list[Event]], list[tuple[str, Case]]]:
    """Per shopper: hide the product of the last add-to-cart or purchase; keep what came before.

    Returns the events to train on (every shopper's, minus the hidden products) and the cases.
    """
    train: dict[str, list[Event]] = {}
    cases: list[tuple[str, Case]] = []
    for shopper, history in events.items():
        carted = [e for e in history if e.kind in {"add_to_cart", "purchase"}]
        if not carted:
            train[shopper] = history
            continue
        last = max(carted, key=lambda e: (e.ts, e.id))
        before = [e for e in history if e.ts <= last.ts and e.product_id != last.product_id]
        query = shopper_histories(before).get(shopper, {})
        if not query:
            train[shopper] = history
            continue
        train[shopper] = before
        cases.append((shopper, Case(query, last.product_id or "")))
    return train, cases


def events_dataset(events_path: Path, products_path: Path, embedder: str) -> Dataset:
    products = [Product.model_validate_json(line) for line in products_path.open(encoding="utf-8") if line.strip()]
    by_shopper: dict[str, list[Event]] = defaultdict(list)
    for line in events_path.open(encoding="utf-8"):
        if line.strip():
            event = Event.model_validate_json(line)
            if event.product_id and event.kind in EVENT_WEIGHTS:
                shopper = f"customer:{event.customer_id}" if event.customer_id else f"session:{event.session_id}"
                by_shopper[shopper].append(event)
    for history in by_shopper.values():
        history.sort(key=lambda e: (e.ts, e.id))

    train, test_cases = leave_last_out(by_shopper)
    fit, validation_cases = leave_last_out(train)

    def histories(events: dict[str, list[Event]]) -> list[dict[str, float]]:
        return list(shopper_histories(e for history in events.values() for e in history).values())

    started = time.perf_counter()
    vectors = load_embedder(embedder).embed_documents([product_document(p) for p in products])
    embed_seconds = time.perf_counter() - started
    return Dataset(
        name="demo_store_events",
        protocol="leave-last-out per customer: the last carted/purchased product hidden with all the "
        "customer's events on it; the customer's earlier events are the query; validation = the same "
        "again on the training events; full-catalog ranking",
        products=products,
        vectors={p.id: v for p, v in zip(products, vectors, strict=True)},
        validation=Split(histories(fit), [case for _, case in validation_cases]),
        test=Split(histories(train), [case for _, case in test_cases]),
        sizes={
            "events": sum(len(h) for h in by_shopper.values()),
            "shoppers": len(by_shopper),
            "validation_cases": len(validation_cases),
            "test_cases": len(test_cases),
            "catalog": len(products),
            "embed_seconds": round(embed_seconds, 1),
        },
    )


# --- scoring ----------------------------------------------------------------------------


@dataclass
class Scored:
    """Every scorer's (cases, products) scores for one split, with what each case may show and
    the scales the fitted recommender learned from its training shoppers."""

    scores: dict[str, np.ndarray]
    targets: np.ndarray
    allowed: np.ndarray
    seconds: dict[str, float]
    scales: dict[str, ScoreScale]


def quality(scores: np.ndarray, scored: Scored, seed: int) -> dict[str, float]:
    """HR@10 and NDCG@10 with one relevant item per case (bench.metrics' hit_at / ndcg_at)."""
    ranks = target_ranks(np.where(scored.allowed, scores, -np.inf), scored.targets, seed)
    hit = ranks < K
    hr = float(hit.mean()) if len(hit) else 0.0
    return {
        "hr@10": round(hr, 4),
        "ndcg@10": round(float(np.where(hit, 1 / np.log2(ranks + 2), 0.0).mean()) if len(hit) else 0.0, 4),
        "hr@10_stderr": round(float(np.sqrt(hr * (1 - hr) / max(len(hit), 1))), 4),
    }


def score_split(
    dataset: Dataset, split: Split, knn: ItemKNN, mf: MatrixFactorization, ease: EASE, seed: int
) -> tuple[Recommender, Scored, sparse.csr_matrix]:
    started = time.perf_counter()
    recommender = Recommender(dataset.products, split.histories, dataset.vectors, knn=knn, mf=mf, ease=ease)
    fit_seconds = time.perf_counter() - started
    queries = recommender.matrix(case.query for case in split.cases)
    scores, seconds = {}, {"fit_all": round(fit_seconds, 2)}
    for scorer in (recommender.popularity, recommender.knn, recommender.ease, recommender.mf, recommender.content):
        started = time.perf_counter()
        scores[scorer.name] = scorer.scores(queries)
        seconds[f"score_{scorer.name}"] = round(time.perf_counter() - started, 2)
    position = {p.id: i for i, p in enumerate(dataset.products)}
    targets = np.array([position.get(case.target, -1) for case in split.cases])
    allowed = queries.toarray() == 0  # never recommend what the query already holds
    return recommender, Scored(scores, targets, allowed, seconds, recommender.scales), queries


def tune(
    make: Callable[[dict[str, Any]], ItemKNN | EASE | MatrixFactorization],
    grid: list[dict[str, Any]],
    recommender: Recommender,
    queries: sparse.csr_matrix,
    scored: Scored,
    seed: int,
) -> tuple[dict[str, Any], dict[str, float]]:
    """The grid setting with the best validation HR@10 (NDCG@10 breaks ties)."""
    measured = []
    for setting in grid:
        model = make(setting).fit(recommender.interactions)
        measured.append((setting, quality(model.scores(queries), scored, seed)))
    return max(measured, key=lambda pair: (pair[1]["hr@10"], pair[1]["ndcg@10"]))


def run_dataset(dataset: Dataset, seed: int) -> dict[str, Any]:
    print(f"\n{dataset.name}: {dataset.sizes}", flush=True)
    started = time.perf_counter()
    recommender, validation, queries = score_split(
        dataset, dataset.validation, ItemKNN(), MatrixFactorization(), EASE(), seed
    )
    knn_setting, knn_validation = tune(lambda s: ItemKNN(**s), KNN_GRID, recommender, queries, validation, seed)
    ease_setting, ease_validation = tune(lambda s: EASE(**s), EASE_GRID, recommender, queries, validation, seed)

    def als(setting: dict[str, Any]) -> MatrixFactorization:
        return MatrixFactorization(ALSSettings(**setting), seed=seed)

    als_setting, als_validation = tune(als, ALS_GRID, recommender, queries, validation, seed)
    # Refit with the chosen settings, so the weights are chosen on the scales those models learn.
    _, validation, _ = score_split(
        dataset, dataset.validation, ItemKNN(**knn_setting), als(als_setting), EASE(**ease_setting), seed
    )
    weights = choose_weights(validation.scores, validation.targets, validation.allowed, validation.scales, k=K)
    tuning_seconds = time.perf_counter() - started
    has_content = dataset.vectors is not None
    validation_quality: dict[str, Any] = {
        name: quality(validation.scores[name], validation, seed) if has_content or name != "content" else None
        for name in SINGLE
    }
    validation_quality["fused"] = quality(
        fuse(validation.scores, weights, validation.scales, validation.allowed), validation, seed
    )
    print(
        f"  chosen on validation: item_knn {knn_setting}, EASE {ease_setting}, ALS {als_setting}, "
        f"weights {weights.as_dict()}"
    )

    _, test, _ = score_split(
        dataset, dataset.test, ItemKNN(**knn_setting), als(als_setting), EASE(**ease_setting), seed
    )
    results: dict[str, Any] = {}
    for name in SINGLE:
        results[name] = quality(test.scores[name], test, seed) if has_content or name != "content" else None
    results["fused"] = quality(fuse(test.scores, weights, test.scales, test.allowed), test, seed)
    default = DEFAULT_WEIGHTS if has_content else FusionWeights(**{**DEFAULT_WEIGHTS.as_dict(), "content": 0.0})
    results["fused_default_weights"] = quality(fuse(test.scores, default, test.scales, test.allowed), test, seed)
    # What a ranking with no information would score: 10 of the products a case may be shown.
    rankable = test.allowed.sum(axis=1)
    reachable = test.targets >= 0
    results["random_expected"] = {
        "hr@10": round(float(np.where(reachable, np.minimum(1.0, K / np.maximum(rankable, 1)), 0.0).mean()), 4)
    }
    singles = {name: m["hr@10"] for name, m in results.items() if name in SINGLE and m is not None}
    best_single = max(singles, key=lambda name: singles[name])
    return {
        "protocol": dataset.protocol,
        "sizes": dataset.sizes,
        "chosen_on_validation": {
            "item_knn": knn_setting,
            "ease": ease_setting,
            "matrix_factorization": als_setting,
            "weights": weights.as_dict(),
        },
        "validation": validation_quality
        | {"item_knn_grid_best": knn_validation, "ease_grid_best": ease_validation, "als_grid_best": als_validation},
        "test": results,
        "default_weights": default.normalised().as_dict(),
        "best_single": best_single,
        "fused_over_best_single_hr@10": round(results["fused"]["hr@10"] / singles[best_single], 3)
        if singles[best_single]
        else None,
        "seconds": test.seconds | {"tuning_on_validation": round(tuning_seconds, 1)},
    }


def ab_loop(seed: int) -> dict[str, Any]:
    """The simulated A/B loop (bench/ab_simulation.py, written separately), when it is there."""
    try:
        from bench.ab_simulation import run_ab_simulation
    except ModuleNotFoundError as error:
        if error.name != "bench.ab_simulation":
            raise
        return {"status": "not run: bench/ab_simulation.py is not in this checkout yet"}
    return run_ab_simulation(seed=seed)


def print_table(results: dict[str, dict[str, Any]]) -> None:
    print(f"\n{'data set':<24} {'method':<24} {'HR@10':>7} {'NDCG@10':>8}")
    for dataset, result in results.items():
        for method, measured in result["test"].items():
            if measured is None:
                print(f"{dataset:<24} {method:<24} {'n/a (no product text)':>17}")
            else:
                ndcg = f"{measured['ndcg@10']:>8.3f}" if "ndcg@10" in measured else f"{'':>8}"
                print(f"{dataset:<24} {method:<24} {measured['hr@10']:>7.3f} {ndcg}")
        print(
            f"{'':<24} fused / best single ({result['best_single']}) on HR@10: {result['fused_over_best_single_hr@10']}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baskets", type=Path, default=DEFAULT_BASKETS, help="JSONL of {'items': [code, ...]}")
    parser.add_argument("--events", type=Path, default=DEFAULT_EVENTS, help="a store folder's events.jsonl")
    parser.add_argument("--products", type=Path, default=DEFAULT_PRODUCTS, help="a store folder's products.jsonl")
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip", choices=["baskets", "events"], help="run only the other data set")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "recommend.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    results: dict[str, dict[str, Any]] = {}
    inputs: dict[str, str] = {}
    if args.skip != "baskets":
        results["online_retail_baskets"] = run_dataset(basket_dataset(args.baskets, args.seed), args.seed)
        inputs["baskets"] = str(args.baskets)
    if args.skip != "events":
        dataset = events_dataset(args.events, args.products, args.embedder)
        results["demo_store_events"] = run_dataset(dataset, args.seed)
        inputs |= {"events": str(args.events), "products": str(args.products), "embedder": args.embedder}
    print_table(results)
    ab = ab_loop(args.seed)
    for policy, measured in ab.get("policies", {}).items():
        print(
            f"A/B loop {policy:<16} regret {measured['regret']:>8.2f} ± {measured['regret_sd']:.2f} (uniform split: "
            f"{ab['policies']['uniform']['regret']:.2f})"
        )
    report = {
        "inputs": inputs,
        "seed": args.seed,
        "k": K,
        "datasets": results,
        "ab_loop": ab,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
