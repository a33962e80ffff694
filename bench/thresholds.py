"""How the assistant's "we carry it" and "the policy answers it" thresholds were chosen.

    python -m bench.thresholds                 # e5-small (default)
    python -m bench.thresholds --embedder minilm

For product questions the store carries and ones it doesn't, and for policy questions
the demo policies answer and ones they don't (bench/datasets/thresholds/probes.json),
prints the best hit's cosine similarity and word coverage, and whether the thresholds in
ui/services.py decide each one right. Writes bench/results/thresholds.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from agent import MatchThresholds
from retrieval import ingest_store, load_embedder
from ui.services import THRESHOLDS, build_services
from ui.settings import Settings

HERE = Path(__file__).parent


def _carried(t: MatchThresholds, similarity: float, coverage: float) -> bool:
    return similarity >= t.strong or (similarity >= t.weak and coverage >= t.weak_coverage)


def _answers(t: MatchThresholds, similarity: float, coverage: float) -> bool:
    return similarity >= t.policy or (similarity >= t.policy_weak and coverage >= 0.5)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--embedder", default="e5-small")
    parser.add_argument("--probes", type=Path, default=HERE / "datasets" / "thresholds" / "probes.json")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    probes = json.loads(args.probes.read_text())
    store = HERE.parent / probes["store"]
    settings = Settings(data_dir=HERE / ".work" / "thresholds", embedder=args.embedder)
    services = build_services(settings, embedder=load_embedder(args.embedder), with_assistant=False)
    ingest_store(store, services.db, services.indexer)
    thresholds = THRESHOLDS[args.embedder]

    rows, right = [], 0
    for group, expected, kind in (
        ("carried", True, "product"),
        ("absent", False, "product"),
        ("answerable", True, "policy"),
        ("unanswerable", False, "policy"),
    ):
        for question in probes[group]:
            if kind == "product":
                hit = services.products.search(question, k=1).hits[0]
                similarity, coverage = hit.similarity or 0.0, hit.coverage
                decided = _carried(thresholds, similarity, coverage)
            else:
                policy_hit = services.policies.search(question, k=1)[0]
                similarity, coverage = policy_hit.similarity or 0.0, policy_hit.coverage
                decided = _answers(thresholds, similarity, coverage)
            right += decided == expected
            rows.append(
                {
                    "group": group,
                    "question": question,
                    "similarity": round(similarity, 3),
                    "coverage": round(coverage, 2),
                    "decided_right": decided == expected,
                }
            )
            mark = "ok " if decided == expected else "MISS"
            print(f"{mark} {group:<13} sim {similarity:.3f} cov {coverage:.2f}  {question}")
    services.close()
    print(f"\n{args.embedder}: {right}/{len(rows)} decided right with {thresholds}")
    out = HERE / "results" / "thresholds.json"
    existing = json.loads(out.read_text()) if out.exists() else {}
    existing[args.embedder] = {"thresholds": vars(thresholds), "right": right, "probes": len(rows), "rows": rows}
    out.write_text(json.dumps(existing, indent=2) + "\n")


if __name__ == "__main__":
    main()
