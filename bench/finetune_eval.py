"""The dialogue model before and after fine-tuning, on the held-out validation dialogues.

    python -m bench.finetune_eval --validation .aisle/runs/qwen-shop/data/validation.jsonl \\
        --adapter agent/models/qwen2.5-0.5b-shop
    python -m bench.finetune_eval --validation V.jsonl --adapter none      # the base model only

Each example is the exact prompt the assistant builds (system rules, numbered sources, task),
about products, orders and questions that training never showed (the split is by subject).
The model answers greedily, as in the app, and each answer is scored with no grounding check
applied, so the numbers are the model's own:

- answer pass rate: the behaviour is right and every value of the gold answer (prices,
  dates, tracking numbers, counts) appears in the answer;
- hallucinated-fact rate: of the facts the answer states (agent/grounding.py's claims),
  those the example's sources don't support;
- citation format: answers that should cite (`answer`/`unknown` with sources) cite with `[n]`
  for a real source number, and use no other bracket form;
- behaviour accuracy: answer, "we don't carry that", "I don't know", refusal or hand-off,
  read from the answer's wording and compared with the gold label (the prompt's intent is
  given, so this is the model's own judgement, not the router's).

A stratified, seeded sample (`--per-kind` per kind) keeps the run to minutes. Writes
bench/results/finetune.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import re
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from agent import BACKENDS, DialogueExample, GroundingCheck, load_chat_model, read_jsonl, rebuild_sources
from agent.grounding import extract_claims, split_sentences
from bench.metrics import percentile
from knowledge import DEMO_STORE_DIR, StoreFolder, load_store_folder

HERE = Path(__file__).parent
MAX_NEW_TOKENS = 96  # as agent/assistant.py
_CITATION = re.compile(r"\[(\d+)\]")
_ODD_CITATION = re.compile(r"\[(?:source|src|ref)\s*\d+\]|\[\d+\s*[,-]\s*\d+\]|【\d+】", re.I)
_BEHAVIOURS = (
    ("handoff", re.compile(r"support team|join this conversation|客服同事", re.I)),
    (
        "refuse",
        re.compile(
            r"can(?:no|')t change how I work|share my instructions|can(?:no|')t (?:assist|help) with that"
            r"|无法更改|内部指令",
            re.I,
        ),
    ),
    ("not_carried", re.compile(r"(?:don't|do not|doesn't|does not) (?:carry|sell|have|stock|offer)|我们没有", re.I)),
    (
        "unknown",
        re.compile(r"don't say|do not say|don't have (?:that|this) information|not (?:listed|mentioned)", re.I),
    ),
)
_VALUES = re.compile(
    r"\$[\d,]+(?:\.\d+)?|\d{4}-\d{2}-\d{2}|\b\d{6,}\b|\b\d+(?:\.\d+)?%|\b\d+ left\b|\b\d(?:\.\d+)?/5\b"
)
_TERMS = {"product-warranty": "warranty", "product-shipping": "shipping", "product-return_policy": "return_policy"}


def behaviour_of(answer: str) -> str:
    for name, pattern in _BEHAVIOURS:
        if pattern.search(answer):
            return name
    return "answer"


def sample(examples: list[DialogueExample], per_kind: int, seed: int) -> list[DialogueExample]:
    """Up to `per_kind` store examples of each kind (product questions grouped by fact asked)."""
    groups: dict[str, list[DialogueExample]] = defaultdict(list)
    for example in examples:
        if example.origin == "store":
            groups[example.kind].append(example)
    rng = random.Random(seed)
    picked = []
    for kind in sorted(groups):
        items = groups[kind]
        picked.extend(rng.sample(items, min(per_kind, len(items))))
    return picked


def score(example: DialogueExample, answer: str, store: StoreFolder) -> dict:
    sources = rebuild_sources(example, store)
    titles = sorted(store.products, key=lambda p: -len(p.title))

    def named_in(text: str) -> list:
        lowered = text.lower()
        return [p for p in titles if p.title.lower() in lowered]

    question = example.messages[-1].content.rsplit("Shopper:", 1)[-1].strip()
    check = GroundingCheck(sources, shopper_message=question, named_in=named_in, off_source="check")
    sentences = split_sentences(answer)
    stated = sum(len(extract_claims(s)) for s in sentences)
    unsupported = sum(len(check.check_sentence(s)[1]) for s in sentences)
    numbers = [int(n) for n in _CITATION.findall(answer)]
    should_cite = example.behaviour in {"answer", "unknown"} and len(sources) > 0
    cites_ok = (
        bool(numbers) and all(1 <= n <= len(sources) for n in numbers) and not _ODD_CITATION.search(answer)
        if should_cite
        else True
    )
    behaviour = behaviour_of(answer)
    gold_values = set(_VALUES.findall(example.answer))
    if example.kind in _TERMS:
        # A product's own term ("1 year warranty", "Ships overnight") is the value asked for.
        asked = next(p for p in sources.products() if p.title in question)
        gold_values.add(str(getattr(asked, _TERMS[example.kind])))
    missing = sorted(v for v in gold_values if v.lower() not in answer.lower())
    passed = behaviour == example.behaviour and not missing and unsupported == 0
    return {
        "id": example.id,
        "kind": example.kind,
        "expected": example.behaviour,
        "behaviour": behaviour,
        "passed": passed,
        "missing_values": missing,
        "facts_stated": stated,
        "facts_unsupported": unsupported,
        "should_cite": should_cite,
        "citation_ok": cites_ok,
        "answer": answer,
        "gold": example.answer,
    }


def evaluate(
    label: str, model_name: str, adapter: Path | None, examples: list[DialogueExample], args: argparse.Namespace
) -> dict:
    store = load_store_folder(args.store)
    started = time.perf_counter()
    model = load_chat_model(
        model_name, cache_dir=args.model_cache, threads=args.threads, adapter=adapter, backend=args.backend
    )
    load_seconds = time.perf_counter() - started
    rows, seconds = [], []
    for number, example in enumerate(examples, start=1):
        began = time.perf_counter()
        answer = "".join(model.stream(list(example.messages), max_new_tokens=MAX_NEW_TOKENS)).strip()
        seconds.append(time.perf_counter() - began)
        rows.append(score(example, answer, store))
        print(
            f"  [{label} {number}/{len(examples)}] {example.kind}: {'pass' if rows[-1]['passed'] else 'FAIL'} "
            f"{answer[:90]!r}",
            flush=True,
        )
    return {
        "model": model.name,
        "backend": args.backend,
        "adapter": str(adapter) if adapter else None,
        "load_seconds": round(load_seconds, 1),
        "answer_seconds_p50": round(percentile(seconds, 50), 2),
        **summarise(rows),
    }


def summarise(rows: list[dict]) -> dict:
    stated = sum(r["facts_stated"] for r in rows)
    unsupported = sum(r["facts_unsupported"] for r in rows)
    citing = [r for r in rows if r["should_cite"]]
    return {
        "examples": len(rows),
        "answer_pass_rate": round(sum(r["passed"] for r in rows) / len(rows), 4),
        "hallucinated_fact_rate": round(unsupported / stated, 4) if stated else 0.0,
        "facts_stated": stated,
        "facts_unsupported": unsupported,
        "citation_format_rate": round(sum(r["citation_ok"] for r in citing) / len(citing), 4) if citing else 1.0,
        "behaviour_accuracy": round(sum(r["behaviour"] == r["expected"] for r in rows) / len(rows), 4),
        "results": rows,
    }


def print_table(runs: dict[str, dict]) -> None:
    keys = ("answer_pass_rate", "hallucinated_fact_rate", "citation_format_rate", "behaviour_accuracy")
    print(f"\n{'model':<34}" + "".join(f"{k:>24}" for k in keys))
    for label, run in runs.items():
        print(f"{label + ' (' + run['model'] + ')':<34}" + "".join(f"{run[k]:>24.1%}" for k in keys))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--validation", type=Path, required=True, help="validation.jsonl from `aisle training-data`")
    parser.add_argument("--store", type=Path, default=DEMO_STORE_DIR, help="the store folder the data was built from")
    parser.add_argument("--model", default="qwen2.5-0.5b")
    parser.add_argument("--adapter", default="none", help="adapter folder, or none to score the base model only")
    parser.add_argument("--model-cache", type=Path, default=Path(".aisle/models"))
    parser.add_argument("--per-kind", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--backend", choices=BACKENDS, default="transformers")
    parser.add_argument("--only", choices=("base", "adapter", "both"), default="both")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "finetune.json")
    parser.add_argument("--rescore", action="store_true", help="score the answers saved in --out again, no model")
    args = parser.parse_args(argv)
    examples = sample(read_jsonl(args.validation), args.per_kind, args.seed)
    if args.rescore:
        payload = json.loads(args.out.read_text())
        store = load_store_folder(args.store)
        by_id = {e.id: e for e in examples}
        for run in payload["runs"].values():
            answers = {r["id"]: r["answer"] for r in run["results"]}
            run.update(summarise([score(by_id[i], answers[i], store) for i in answers]))
        print_table(payload["runs"])
        args.out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        return
    print(f"{len(examples)} validation examples ({args.per_kind} per kind)")
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs: dict[str, dict] = dict(previous.get("runs", {}))
    if args.only in {"base", "both"}:
        label = "base" if args.backend == "transformers" else f"base ({args.backend})"
        runs[label] = evaluate(label, args.model, None, examples, args)
    if args.adapter != "none" and args.only in {"adapter", "both"}:
        label = "fine-tuned" if args.backend == "transformers" else f"fine-tuned ({args.backend})"
        runs[label] = evaluate(label, args.model, Path(args.adapter), examples, args)
    print_table(runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {args.threads} threads",
        "validation": str(args.validation),
        "per_kind": args.per_kind,
        "seed": args.seed,
        "runs": runs,
    }
    args.out.write_text(json.dumps(payload, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
