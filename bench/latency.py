"""Speed of the dialogue model on the assistant's own prompts: load time, time to first token,
decode tokens/s, whole-answer time and peak memory.

    python -m bench.latency --prompts V.jsonl                           # base model, llama.cpp (the default)
    python -m bench.latency --prompts V.jsonl --adapter agent/models/qwen2.5-0.5b-shop --backend transformers

`--prompts` is a validation.jsonl from `aisle training-data` (the exact prompts the assistant
builds: system rules, numbered sources, task). The first `--n` store prompts are answered
greedily with the app's token limit. Peak RSS is the whole process's, so run one backend per
process (this command does). Every run records the CPU it ran on (model, cores, the flags that
decide speed, native bf16 or not): figures from different CPUs compare only as ratios within one
machine. Merges its run into bench/results/latency.json under `--label`.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time
from datetime import UTC, datetime
from pathlib import Path

from agent import BACKENDS, ChatMessage, describe_cpu, load_chat_model, read_jsonl
from bench.metrics import percentile

HERE = Path(__file__).parent
MAX_NEW_TOKENS = 96  # as agent/assistant.py


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prompts", type=Path, required=True)
    parser.add_argument("--model", default="qwen2.5-0.5b")
    parser.add_argument("--adapter", default="none")
    parser.add_argument("--backend", choices=BACKENDS, default=BACKENDS[0])
    parser.add_argument("--model-cache", type=Path, default=Path(".aisle/models"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n", type=int, default=6)
    parser.add_argument("--label", default=None)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "latency.json")
    args = parser.parse_args(argv)
    adapter = None if args.adapter == "none" else Path(args.adapter)
    label = args.label or (args.backend + ("+adapter" if adapter else ""))
    examples = [e for e in read_jsonl(args.prompts) if e.origin == "store" and e.sources][: args.n]

    started = time.perf_counter()
    model = load_chat_model(
        args.model, cache_dir=args.model_cache, threads=args.threads, adapter=adapter, backend=args.backend
    )
    load_seconds = time.perf_counter() - started
    "".join(model.stream(list(examples[0].messages), max_new_tokens=4))  # warm-up, not counted

    first, total, rates, prompt_tokens = [], [], [], []
    for example in examples:
        messages = list(example.messages)
        prompt_tokens.append(model.count_tokens(messages))
        began, first_at, pieces = time.perf_counter(), None, []
        for piece in model.stream(messages, max_new_tokens=MAX_NEW_TOKENS):
            if first_at is None:
                first_at = time.perf_counter() - began
            pieces.append(piece)
        elapsed = time.perf_counter() - began
        answer = "".join(pieces)
        generated = model.count_tokens([*messages, ChatMessage("assistant", answer)]) - prompt_tokens[-1]
        first.append(first_at or elapsed)
        total.append(elapsed)
        if elapsed > (first_at or 0) and generated > 1:
            rates.append((generated - 1) / (elapsed - (first_at or 0)))
        print(f"  {example.kind}: first token {first[-1]:.2f} s, {total[-1]:.2f} s, {generated} tokens", flush=True)

    run = {
        "model": model.name,
        "backend": args.backend,
        "dtype": str(getattr(model, "dtype", "gguf")).removeprefix("torch."),
        "threads": args.threads,
        "load_seconds": round(load_seconds, 2),
        "prompts": len(examples),
        "prompt_tokens_p50": percentile(prompt_tokens, 50),
        "first_token_p50_s": round(percentile(first, 50), 3),
        "first_token_p95_s": round(percentile(first, 95), 3),
        "answer_p50_s": round(percentile(total, 50), 3),
        "answer_p95_s": round(percentile(total, 95), 3),
        "decode_tokens_per_s_p50": round(percentile(rates, 50), 1) if rates else None,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.machine(),
        "cpu": describe_cpu(),
    }
    print(json.dumps(run, indent=1))
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    previous[label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(previous, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
