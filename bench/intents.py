"""Intent routing: the rules, an embedding classifier and a mix of both, side by side.

    python -m bench.intents                       # bench/datasets/intents/messages.jsonl
    python -m bench.intents --threads 1           # when another process holds a core (see below)
    python -m bench.intents --messages other.jsonl --out /tmp/intents.json

Methods (labels: product, recommendation, order, policy, handoff, chitchat, off_topic):
- `rules`: `agent.intents.route`, as the turn uses it today.
- `lr`: multilingual-e5-small query vectors + scikit-learn LogisticRegression; its C is picked
  inside each training fold (3-fold inner search), so no test message steers it.
- `knn`: the same vectors, 7 nearest neighbours by cosine, distance-weighted.
- `mix`: the rules where they fire on a high-precision signal, `lr` otherwise (MIX_RULE_INTENTS).
- `mix-order`: as `mix`, but also trusting the rules' "order" when it fired on order words alone.
- `rules-first`: the rules whenever they name an intent, `lr` only where they fall back to "product".

`lr` and `knn` are scored by stratified 5-fold cross-validation (seeded; strata are intent x
language so every fold holds Chinese messages of every intent): each message is predicted by
a model that never saw it. The CV is repeated with `--repeats` seeds (seed, seed+1, ...) to
show how much the split moves the scores; "best" is the highest mean macro-F1 over them.
Reported: accuracy, macro-F1 (with its spread over the folds and the seeds), per-intent F1 and
precision, accuracy per language and per source, a paired bootstrap of each method's macro-F1
gain over the rules (and of each mix over lr), the confusion matrix of the best method, and
latency per message (the query embedding included wherever the classifier runs). Prints a
table and writes bench/results/intents.json.

Latency: the embedder runs on `--threads` OpenMP threads (2 = the machine's cores, as the
app uses it). If another process keeps a core busy, 2 threads spin on each other and one
embedding takes seconds instead of milliseconds: measure on an idle machine, or pass
`--threads 1`. The threads used are recorded in the results.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier

from agent.intents import INTENTS, find_order_id, route
from bench.metrics import percentile
from retrieval import load_embedder

HERE = Path(__file__).parent
DEFAULT_MESSAGES = HERE / "datasets" / "intents" / "messages.jsonl"
DEFAULT_OUT = HERE / "results" / "intents.json"
EMBEDDER = "e5-small"
LR_CS = (3.0, 10.0, 30.0, 100.0)
KNN_K = 7
BOOTSTRAP = 1000
# The mix: rules first when route() lands on one of these intents (their patterns are
# specific: "talk to a person", a greeting or thanks of at most six words, "write me a poem",
# "what is the capital of"), or when the message holds an order number; the classifier decides
# everything else. route()'s "order" from order *words* alone ("cancel", "my delivery",
# "refund for") is not trusted in `mix`: those words also open policy questions ("can I
# cancel an order after it ships?"); `mix-order` trusts it too, to measure that choice.
MIX_RULE_INTENTS = frozenset({"handoff", "chitchat", "off_topic"})
MIXES: dict[str, frozenset[str]] = {
    "mix": MIX_RULE_INTENTS,
    "mix-order": MIX_RULE_INTENTS | {"order"},
    # Every answer of the rules but their fallback ("product": "let the search decide").
    "rules-first": frozenset(INTENTS) - {"product"},
}
METHODS = ("rules", "lr", "knn", *MIXES)


@dataclass(frozen=True)
class Message:
    text: str
    intent: str
    lang: str
    source: str


def load_messages(path: Path) -> list[Message]:
    messages = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["intent"] not in INTENTS:
                raise ValueError(f"{path}:{number}: unknown intent {row['intent']!r}")
            messages.append(Message(row["text"], row["intent"], row["lang"], row["source"]))
    return messages


# --- metrics ----------------------------------------------------------------------------


def confusion(gold: np.ndarray, predicted: np.ndarray, n: int) -> np.ndarray:
    """Rows: gold label index, columns: predicted label index."""
    return np.bincount(gold * n + predicted, minlength=n * n).reshape(n, n)


def precision_per_label(matrix: np.ndarray) -> np.ndarray:
    predicted = matrix.sum(axis=0).astype(float)
    return np.divide(np.diag(matrix), predicted, out=np.zeros_like(predicted), where=predicted > 0)


def f1_per_label(matrix: np.ndarray) -> np.ndarray:
    true_positive = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    denominator = predicted + actual
    return np.divide(2 * true_positive, denominator, out=np.zeros_like(true_positive), where=denominator > 0)


def macro_f1(gold: np.ndarray, predicted: np.ndarray, n: int) -> float:
    return float(f1_per_label(confusion(gold, predicted, n)).mean())


def scores(gold: np.ndarray, predicted: np.ndarray, messages: list[Message], folds: np.ndarray) -> dict:
    n = len(INTENTS)
    matrix = confusion(gold, predicted, n)
    correct = gold == predicted
    fold_f1 = [macro_f1(gold[folds == f], predicted[folds == f], n) for f in np.unique(folds)]

    def accuracy_by(key: str) -> dict[str, float]:
        values = np.array([getattr(m, key) for m in messages])
        return {v: round(float(correct[values == v].mean()), 4) for v in sorted(set(values))}

    return {
        "accuracy": round(float(correct.mean()), 4),
        "macro_f1": round(float(f1_per_label(matrix).mean()), 4),
        "macro_f1_fold_std": round(float(np.std(fold_f1)), 4),
        "f1_by_intent": {intent: round(float(f), 4) for intent, f in zip(INTENTS, f1_per_label(matrix), strict=True)},
        "precision_by_intent": {
            intent: round(float(p), 4) for intent, p in zip(INTENTS, precision_per_label(matrix), strict=True)
        },
        "accuracy_by_lang": accuracy_by("lang"),
        "accuracy_by_source": accuracy_by("source"),
    }


def bootstrap_gain(gold: np.ndarray, method: np.ndarray, baseline: np.ndarray, seed: int) -> dict[str, float]:
    """Paired bootstrap over messages: macro-F1(method) - macro-F1(baseline), mean and 95% interval."""
    rng = np.random.default_rng(seed)
    n = len(INTENTS)
    gains = []
    for _ in range(BOOTSTRAP):
        sample = rng.integers(0, len(gold), len(gold))
        gains.append(macro_f1(gold[sample], method[sample], n) - macro_f1(gold[sample], baseline[sample], n))
    low, high = np.percentile(gains, [2.5, 97.5])
    return {"mean": round(float(np.mean(gains)), 4), "ci95": [round(float(low), 4), round(float(high), 4)]}


def latency(values_ms: list[float]) -> dict[str, float]:
    return {"p50": round(percentile(values_ms, 50), 3), "p95": round(percentile(values_ms, 95), 3)}


# --- methods ----------------------------------------------------------------------------


def new_lr(c: float = 10.0) -> LogisticRegression:
    return LogisticRegression(C=c, max_iter=3000)


def tuned_lr(vectors: np.ndarray, labels: np.ndarray, seed: int) -> LogisticRegression:
    """C picked by a 3-fold search on the given (training) messages only."""
    search = GridSearchCV(
        new_lr(),
        {"C": list(LR_CS)},
        cv=StratifiedKFold(3, shuffle=True, random_state=seed),
        scoring="f1_macro",
    )
    search.fit(vectors, labels)
    return search.best_estimator_


def new_knn() -> KNeighborsClassifier:
    return KNeighborsClassifier(n_neighbors=KNN_K, metric="cosine", weights="distance", algorithm="brute")


# --- run --------------------------------------------------------------------------------


def embed_all(messages: list[Message], threads: int) -> tuple[np.ndarray, list[float], float]:
    """One query vector per message, embedded one at a time as the turn would (timed)."""
    started = time.perf_counter()
    embedder = load_embedder(EMBEDDER, threads=threads)
    load_seconds = time.perf_counter() - started
    for text in ("hello", "where is my order", "推荐一款手机"):  # warm-up
        embedder.embed_query(text)
    vectors, times = [], []
    for message in messages:
        started = time.perf_counter()
        vectors.append(embedder.embed_query(message.text))
        times.append((time.perf_counter() - started) * 1000)
    return np.vstack(vectors).astype(np.float32), times, load_seconds


@dataclass
class CrossValidated:
    folds: np.ndarray
    lr: np.ndarray
    lr_probability: np.ndarray
    knn: np.ndarray
    chosen_c: list[float]


def rules_pass(messages: list[Message]) -> tuple[np.ndarray, list[bool], list[float]]:
    """route()'s intent index per message, whether it holds an order number, and route()'s time (ms)."""
    predicted, order_ids, times = [], [], []
    for message in messages:
        started = time.perf_counter()
        routing = route(message.text)
        times.append((time.perf_counter() - started) * 1000)
        predicted.append(INTENTS.index(routing.intent))
        order_ids.append(find_order_id(message.text) is not None)
    return np.array(predicted), order_ids, times


def cross_validate(
    vectors: np.ndarray, gold: np.ndarray, strata: np.ndarray, folds_n: int, seed: int
) -> CrossValidated:
    """Out-of-fold predictions of lr and knn for every message."""
    result = CrossValidated(
        folds=np.zeros(len(gold), dtype=int),
        lr=np.zeros(len(gold), dtype=int),
        lr_probability=np.zeros(len(gold)),
        knn=np.zeros(len(gold), dtype=int),
        chosen_c=[],
    )
    splitter = StratifiedKFold(folds_n, shuffle=True, random_state=seed)
    for fold, (train, test) in enumerate(splitter.split(vectors, strata)):
        result.folds[test] = fold
        lr = tuned_lr(vectors[train], gold[train], seed)
        result.chosen_c.append(float(lr.C))
        probabilities = lr.predict_proba(vectors[test])
        result.lr[test] = lr.classes_[probabilities.argmax(axis=1)]
        result.lr_probability[test] = probabilities.max(axis=1)
        result.knn[test] = new_knn().fit(vectors[train], gold[train]).predict(vectors[test])
    return result


def prediction_times(vectors: np.ndarray, gold: np.ndarray, c: float) -> tuple[list[float], list[float]]:
    """Time (ms) of one lr and one knn prediction per message, from its vector, in numpy as the
    runtime class does it; fitted on every message (the time does not depend on the fold)."""
    lr = new_lr(c).fit(vectors, gold)
    weights, bias = lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32)
    lr_ms, knn_ms = [], []
    for vector in vectors:
        started = time.perf_counter()
        int(np.argmax(weights @ vector + bias))
        lr_ms.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        int(np.bincount(gold[np.argsort(-(vectors @ vector))[:KNN_K]]).argmax())
        knn_ms.append((time.perf_counter() - started) * 1000)
    return lr_ms, knn_ms


def all_predictions(rule_pred: np.ndarray, cv: CrossValidated, fired: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    predictions = {"rules": rule_pred, "lr": cv.lr, "knn": cv.knn}
    for name in MIXES:
        predictions[name] = np.where(fired[name], rule_pred, cv.lr)
    return predictions


def run(messages: list[Message], threads: int, folds_n: int, seed: int, repeats: int = 3) -> dict:
    gold = np.array([INTENTS.index(m.intent) for m in messages])
    strata = np.array([f"{m.intent}/{m.lang}" for m in messages])
    rule_pred, order_ids, rule_ms = rules_pass(messages)
    vectors, embed_ms, load_seconds = embed_all(messages, threads)
    cv = cross_validate(vectors, gold, strata, folds_n, seed)

    fired = {
        name: np.array([o or INTENTS[r] in trusted for r, o in zip(rule_pred, order_ids, strict=True)])
        for name, trusted in MIXES.items()
    }
    predictions = all_predictions(rule_pred, cv, fired)
    # The same cross-validation with other seeds: how much the scores move with the split.
    by_seed = {name: [macro_f1(gold, predicted, len(INTENTS))] for name, predicted in predictions.items()}
    for extra in range(1, repeats):
        other = all_predictions(rule_pred, cross_validate(vectors, gold, strata, folds_n, seed + extra), fired)
        for name, predicted in other.items():
            by_seed[name].append(macro_f1(gold, predicted, len(INTENTS)))

    lr_ms, knn_ms = prediction_times(vectors, gold, Counter(cv.chosen_c).most_common(1)[0][0])
    times = {
        "rules": rule_ms,
        "lr": [e + p for e, p in zip(embed_ms, lr_ms, strict=True)],
        "knn": [e + p for e, p in zip(embed_ms, knn_ms, strict=True)],
    }
    for name in MIXES:
        # A mix runs the rules, and embeds + classifies only where they did not decide.
        times[name] = [r if f else r + e + p for r, f, e, p in zip(rule_ms, fired[name], embed_ms, lr_ms, strict=True)]

    methods = {}
    for name in METHODS:
        result = scores(gold, predictions[name], messages, cv.folds)
        result["latency_ms"] = latency(times[name])
        result["macro_f1_by_cv_seed"] = {str(seed + i): round(f, 4) for i, f in enumerate(by_seed[name])}
        result["macro_f1_mean_over_cv_seeds"] = round(float(np.mean(by_seed[name])), 4)
        if name != "rules":
            result["macro_f1_gain_over_rules"] = bootstrap_gain(gold, predictions[name], rule_pred, seed)
        if name in MIXES:
            result["macro_f1_gain_over_lr"] = bootstrap_gain(gold, predictions[name], cv.lr, seed)
            result["rules_decided"] = round(float(np.mean(fired[name])), 4)
        methods[name] = result
    methods["lr"]["chosen_c_per_fold"] = cv.chosen_c

    # Best: highest macro-F1 averaged over the CV seeds, then on the main seed, then the
    # earlier (simpler) method.
    n = len(INTENTS)
    best = max(
        METHODS,
        key=lambda name: (float(np.mean(by_seed[name])), macro_f1(gold, predictions[name], n), -METHODS.index(name)),
    )
    matrix = confusion(gold, predictions[best], len(INTENTS))
    pairs = [
        {"gold": INTENTS[g], "predicted": INTENTS[p], "count": int(matrix[g, p])}
        for g in range(len(INTENTS))
        for p in range(len(INTENTS))
        if g != p and matrix[g, p]
    ]
    pairs.sort(key=lambda pair: -pair["count"])
    errors = [
        {"text": m.text, "gold": m.intent, "predicted": INTENTS[p]}
        for m, g, p in zip(messages, gold, predictions[best], strict=True)
        if g != p
    ]
    confident_wrong = int(np.sum((cv.lr != gold) & (cv.lr_probability >= 0.8)))
    return {
        "messages": len(messages),
        "by_intent": dict(Counter(m.intent for m in messages)),
        "by_lang": dict(Counter(m.lang for m in messages)),
        "by_source": dict(Counter(m.source for m in messages)),
        "embedder": EMBEDDER,
        "threads": threads,
        "embedder_load_seconds": round(load_seconds, 2),
        "embedding_ms": latency(embed_ms),
        "folds": folds_n,
        "seed": seed,
        "cv_seeds": [seed + i for i in range(repeats)],
        "mix_rule": (
            "route()'s intent when the message holds an order number (find_order_id) or route() returns one "
            "of the method's trusted intents; the lr classifier otherwise"
        ),
        "mix_trusted_intents": {name: sorted(trusted) for name, trusted in MIXES.items()},
        "lr_wrong_with_probability_at_least_0.8": confident_wrong,
        "methods": methods,
        "best": best,
        "confusion": {"method": best, "labels": list(INTENTS), "rows_gold_columns_predicted": matrix.tolist()},
        "top_confusions": pairs[:8],
        "errors_of_best": errors,
        "rules_errors": [
            {"text": m.text, "gold": m.intent, "predicted": INTENTS[p]}
            for m, g, p in zip(messages, gold, rule_pred, strict=True)
            if g != p
        ],
    }


def print_table(results: dict) -> None:
    methods = results["methods"]
    langs = sorted(results["by_lang"])
    print(
        f"\n{results['messages']} messages ({', '.join(f'{k} {v}' for k, v in results['by_lang'].items())}), "
        f"embedder {results['embedder']} on {results['threads']} thread(s), "
        f"{results['folds']}-fold CV seed {results['seed']}\n"
    )
    head = f"{'method':<11} {'acc':>6} {'macro-F1':>9} {'±fold':>6} " + " ".join(f"{'acc ' + x:>7}" for x in langs)
    print(head + f" {'gain vs rules [95% CI]':>26} {'p50 ms':>8} {'p95 ms':>8}")
    for name, m in methods.items():
        gain = m.get("macro_f1_gain_over_rules")
        gain_text = f"{gain['mean']:+.3f} [{gain['ci95'][0]:+.3f}, {gain['ci95'][1]:+.3f}]" if gain else "-"
        print(
            f"{name:<11} {m['accuracy']:>6.3f} {m['macro_f1']:>9.3f} {m['macro_f1_fold_std']:>6.3f} "
            + " ".join(f"{m['accuracy_by_lang'][x]:>7.3f}" for x in langs)
            + f" {gain_text:>26} {m['latency_ms']['p50']:>8.2f} {m['latency_ms']['p95']:>8.2f}"
        )
    seeds = ", ".join(str(x) for x in results["cv_seeds"])
    print(f"\nmacro-F1 by CV seed ({seeds}): mean [each]")
    for name, m in methods.items():
        each = " ".join(f"{v:.3f}" for v in m["macro_f1_by_cv_seed"].values())
        print(f"{name:<11} {m['macro_f1_mean_over_cv_seeds']:.3f} [{each}]")
    print("\nF1 by intent")
    print(f"{'method':<11} " + " ".join(f"{intent[:9]:>9}" for intent in INTENTS))
    for name, m in methods.items():
        print(f"{name:<11} " + " ".join(f"{m['f1_by_intent'][intent]:>9.3f}" for intent in INTENTS))
    print(f"\nconfusion of the best method ({results['best']}): rows gold, columns predicted")
    print(f"{'':<15}" + " ".join(f"{intent[:6]:>6}" for intent in INTENTS))
    for intent, row in zip(INTENTS, results["confusion"]["rows_gold_columns_predicted"], strict=True):
        print(f"{intent:<15}" + " ".join(f"{v:>6}" for v in row))
    top = ", ".join(f"{p['gold']}→{p['predicted']} {p['count']}" for p in results["top_confusions"][:5])
    print(f"\nbiggest confusions: {top}")
    for name in MIXES:
        gain = methods[name]["macro_f1_gain_over_lr"]
        print(
            f"{name}: rules decided {methods[name]['rules_decided']:.0%} of messages; macro-F1 vs lr "
            f"{gain['mean']:+.3f} [{gain['ci95'][0]:+.3f}, {gain['ci95'][1]:+.3f}]"
        )
    rules_precision = methods["rules"]["precision_by_intent"]
    print("rules precision: " + ", ".join(f"{k} {v:.2f}" for k, v in rules_precision.items()))
    print(
        f"embedding p50 {results['embedding_ms']['p50']:.1f} ms, p95 {results['embedding_ms']['p95']:.1f} ms; "
        f"lr wrong at probability >= 0.8: {results['lr_wrong_with_probability_at_least_0.8']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=Path, default=DEFAULT_MESSAGES)
    parser.add_argument("--threads", type=int, default=2, help="embedder threads (2 = the app's setting)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--repeats", type=int, default=3, help="CV runs (seeds seed, seed+1...) for the spread")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    results = run(load_messages(args.messages), args.threads, args.folds, args.seed, args.repeats)
    results["seconds"] = round(time.perf_counter() - started, 1)
    results["measured_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["machine"] = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print_table(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} in {results['seconds']} s")


if __name__ == "__main__":
    main()
