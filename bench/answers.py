"""Answer quality, grounding and speed of the whole assistant, over scripted conversations.

    python -m bench.answers --store knowledge/demo_store --cases bench/datasets/answers/demo.jsonl
    python -m bench.answers --store bench/stores/tau-retail --cases bench/datasets/answers/tau.jsonl

A case (one JSON object per line):
    {"id", "customer_id"?, "turns": [str, ...], "expect": "answer"|"refuse"|"handoff",
     "must_include": [str, ...], "must_not_include": [str, ...], "cite": [product or order id, ...]?}
`must_include` strings are matched case-insensitively in the final answer of the last turn.

Reports the pass rate (overall and by id prefix), the hallucinated-fact rate of the final
answers and of the model's drafts before the grounding check (facts stated that the
store's data doesn't support, checked against the whole catalog, the shopper's orders and
every policy), citation precision and recall, refusal and hand-off accuracy, and time to
first token and whole-answer time (p50/p95). Merges its run into bench/results/answers.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from agent import BACKENDS, FinalEvent, GroundingCheck, Shopper, SourceList, TokenEvent, describe_cpu, extract_claims
from agent.grounding import split_sentences
from bench.metrics import percentile
from retrieval import ingest_store, load_embedder
from ui.services import Services, build_services
from ui.settings import Settings

HERE = Path(__file__).parent


@dataclass
class Case:
    id: str
    turns: list[str]
    expect: str
    must_include: list[str] = field(default_factory=list)
    must_not_include: list[str] = field(default_factory=list)
    cite: list[str] = field(default_factory=list)
    customer_id: str | None = None

    @property
    def prefix(self) -> str:
        return re.sub(r"-\d+$", "", self.id)


@dataclass
class TurnTiming:
    first_token: float | None
    total: float
    generated: bool


def load_cases(path: Path) -> list[Case]:
    with path.open(encoding="utf-8") as handle:
        return [Case(**json.loads(line)) for line in handle if line.strip()]


def _store_sources(services: Services, answer: str, customer_id: str | None, shown: list[str]) -> SourceList:
    """Everything in the store that an answer could legitimately draw on, for this shopper:
    the products it names or shows, the shopper's own orders and profile, every policy passage."""
    db = services.db
    sources = SourceList()
    products = services.products.named_in(answer)
    products += [p for p in map(db.product, shown) if p is not None and p not in products]
    for product in products:
        sources.add_product(product)
    if customer_id:
        for order in db.orders_for_customer(customer_id):
            sources.add_order(order)
        customer = db.customer(customer_id)
        if customer is not None:
            sources.add_profile(customer)
    for passage in db.policy_passages():
        sources.add_passage(passage)
    return sources


def count_facts(
    text: str, services: Services, customer_id: str | None, question: str, shown: list[str]
) -> tuple[int, int]:
    """(facts stated, facts the store's data doesn't support) in `text`."""
    check = GroundingCheck(
        _store_sources(services, text, customer_id, shown),
        shopper_message=question,
        known_names=services.settings.store_name,
        named_in=services.products.named_in,
        off_source="check",
    )
    stated = sum(len(extract_claims(sentence)) for sentence in split_sentences(text))
    unsupported = sum(len(check.check_sentence(sentence)[1]) for sentence in split_sentences(text))
    return stated, unsupported


def run_case(services: Services, case: Case) -> dict:
    assistant = services.assistant
    assert assistant is not None
    shopper = Shopper(customer_id=case.customer_id, session_id=None if case.customer_id else f"bench-{case.id}")
    conversation = services.conversations.start(customer_id=shopper.customer_id, session_id=shopper.session_id)
    timings: list[TurnTiming] = []
    final: FinalEvent | None = None
    for turn in case.turns:
        started, first = time.perf_counter(), None
        for event in assistant.reply(conversation.id, turn, shopper):
            if isinstance(event, TokenEvent) and event.text.strip() and first is None:
                first = time.perf_counter() - started
            elif isinstance(event, FinalEvent):
                final = event
        assert final is not None
        timings.append(TurnTiming(first, time.perf_counter() - started, final.generated))
    assert final is not None and final.message is not None
    answer = final.message.text
    lowered = answer.lower()
    handed_off = final.handoff or services.conversations.get(conversation.id).mode == "handoff"  # type: ignore[union-attr]
    refused = final.message.outcome == "refused"
    shown = {c.ref for c in final.message.citations} | set(final.message.product_ids) | set(final.message.order_ids)
    failures = [f"missing {s!r}" for s in case.must_include if s.lower() not in lowered]
    failures += [f"contains {s!r}" for s in case.must_not_include if s.lower() in lowered]
    failures += [f"did not cite {ref}" for ref in case.cite if ref not in shown]
    if case.expect == "refuse" and not refused:
        failures.append("did not refuse")
    if case.expect == "handoff" and not handed_off:
        failures.append("did not hand off")
    if case.expect == "answer" and (refused or handed_off):
        failures.append("refused" if refused else "handed off")
    shown_products = [c.ref for c in final.message.citations if c.kind == "product"] + final.message.product_ids
    stated, unsupported = count_facts(answer, services, case.customer_id, case.turns[-1], shown_products)
    draft_stated, draft_unsupported = (
        count_facts(final.draft, services, case.customer_id, case.turns[-1], shown_products) if final.draft else (0, 0)
    )
    cited = [c.ref for c in final.message.citations]
    return {
        "id": case.id,
        "prefix": case.prefix,
        "passed": not failures,
        "failures": failures,
        "answer": answer,
        "draft": final.draft,
        "outcome": final.message.outcome,
        "expect": case.expect,
        "refused": refused,
        "handed_off": handed_off,
        "facts_stated": stated,
        "facts_unsupported": unsupported,
        "draft_facts_stated": draft_stated,
        "draft_facts_unsupported": draft_unsupported,
        "cited": cited,
        "expected_cites": case.cite,
        "turns": [
            {"first_token_s": t.first_token, "total_s": round(t.total, 3), "generated": t.generated} for t in timings
        ],
    }


def summarise(results: list[dict]) -> dict:
    def rate(items: list[bool]) -> float:
        return round(sum(items) / len(items), 4) if items else float("nan")

    by_prefix: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        by_prefix[result["prefix"]].append(result["passed"])
    stated = sum(r["facts_stated"] for r in results)
    unsupported = sum(r["facts_unsupported"] for r in results)
    draft_stated = sum(r["draft_facts_stated"] for r in results)
    draft_unsupported = sum(r["draft_facts_unsupported"] for r in results)
    with_cites = [r for r in results if r["expected_cites"] and r["cited"]]
    precision = [len(set(r["cited"]) & set(r["expected_cites"])) / len(set(r["cited"])) for r in with_cites]
    recall = [
        len(set(r["cited"]) & set(r["expected_cites"])) / len(set(r["expected_cites"]))
        for r in results
        if r["expected_cites"]
    ]
    turns = [t for r in results for t in r["turns"]]
    generated = [t for t in turns if t["generated"]]

    def latency(items: list[dict], key: str) -> dict[str, float]:
        values = [t[key] for t in items if t[key] is not None]
        return {"p50": round(percentile(values, 50), 3), "p95": round(percentile(values, 95), 3), "n": len(values)}

    return {
        "cases": len(results),
        "pass_rate": rate([r["passed"] for r in results]),
        "pass_rate_by_prefix": {p: rate(v) for p, v in sorted(by_prefix.items())},
        "hallucinated_fact_rate": round(unsupported / stated, 4) if stated else 0.0,
        "facts_stated": stated,
        "facts_unsupported": unsupported,
        "draft_hallucinated_fact_rate": round(draft_unsupported / draft_stated, 4) if draft_stated else 0.0,
        "draft_facts_stated": draft_stated,
        "citation_precision": round(sum(precision) / len(precision), 4) if precision else None,
        "citation_recall": round(sum(recall) / len(recall), 4) if recall else None,
        "refusal_accuracy": rate([r["refused"] == (r["expect"] == "refuse") for r in results]),
        "handoff_accuracy": rate([r["handed_off"] == (r["expect"] == "handoff") for r in results]),
        "first_token_s_all_turns": latency(turns, "first_token_s"),
        "total_s_all_turns": latency(turns, "total_s"),
        "first_token_s_model_turns": latency(generated, "first_token_s"),
        "total_s_model_turns": latency(generated, "total_s"),
    }


def print_report(name: str, summary: dict, results: list[dict]) -> None:
    print(f"\n{name}: {summary['cases']} cases, pass rate {summary['pass_rate']:.1%}")
    print(f"{'prefix':<22} {'pass':>6}")
    for prefix, value in summary["pass_rate_by_prefix"].items():
        print(f"{prefix:<22} {value:>6.0%}")
    print(
        f"\nhallucinated facts: {summary['facts_unsupported']}/{summary['facts_stated']} "
        f"({summary['hallucinated_fact_rate']:.1%}) in answers; "
        f"{summary['draft_hallucinated_fact_rate']:.1%} in the model's drafts before the check"
    )
    print(f"citation precision {summary['citation_precision']}, recall {summary['citation_recall']}")
    print(f"refusal accuracy {summary['refusal_accuracy']:.1%}, hand-off accuracy {summary['handoff_accuracy']:.1%}")
    for scope in ("all_turns", "model_turns"):
        first, total = summary[f"first_token_s_{scope}"], summary[f"total_s_{scope}"]
        print(
            f"{scope.replace('_', ' '):<12} first token p50 {first['p50']:.2f} s p95 {first['p95']:.2f} s; "
            f"whole answer p50 {total['p50']:.2f} s p95 {total['p95']:.2f} s (n={total['n']})"
        )
    failed = [r for r in results if not r["passed"]]
    if failed:
        print(f"\nfailed ({len(failed)}):")
        for r in failed:
            print(f"  {r['id']}: {'; '.join(r['failures'])}\n      answer: {r['answer'][:200]!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="store folder the cases are about")
    parser.add_argument("--cases", type=Path, required=True, help="cases (JSONL)")
    parser.add_argument(
        "--llm", default="qwen2.5-0.5b", help="dialogue model (qwen2.5-0.5b, qwen2.5-1.5b or smollm2-135m)"
    )
    parser.add_argument("--adapter", default="auto", help="auto (the shipped adapter, as the app), none, or a folder")
    parser.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0], help="default: the app's")
    parser.add_argument("--only", default=None, help="run only cases whose id starts with this")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "answers.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    name = args.store.resolve().name
    work = HERE / ".work" / f"answers-{name}"
    settings = Settings(
        data_dir=work,
        store_dir=args.store,
        llm=args.llm,
        model_cache=HERE.parent / ".aisle" / "models",
        adapter=args.adapter,
        backend=args.backend,
    )
    services = build_services(settings, embedder=load_embedder(settings.embedder))
    ingest_store(args.store, services.db, services.indexer, progress=sys.stderr.isatty())
    cases = [c for c in load_cases(args.cases) if args.only is None or c.id.startswith(args.only)]
    results = []
    for number, case in enumerate(cases, start=1):
        result = run_case(services, case)
        results.append(result)
        mark = "ok " if result["passed"] else "FAIL"
        print(f"[{number}/{len(cases)}] {mark} {case.id}", file=sys.stderr)
    model_name = services.model.name if services.model else args.llm
    services.close()
    summary = summarise(results)
    # Runs are keyed by what answered: the base model, or with its adapter, per backend.
    label = model_name + ("" if args.backend == "transformers" else f" ({args.backend})")
    print_report(f"{name} with {label}", summary, results)

    existing = json.loads(args.out.read_text()) if args.out.exists() else {}
    runs = existing.get("runs", {})
    runs[f"{name}/{label}"] = {
        "store": name,
        "cases_file": str(args.cases),
        "llm": args.llm,
        "model": model_name,
        "backend": args.backend,
        "summary": summary,
        "results": results,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "cpu": describe_cpu(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"runs": runs}, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
