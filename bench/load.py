"""N shoppers chatting at once through the HTTP API: time to first token, whole answer, errors,
and (for a soak) the server's memory over time.

    aisle serve &                                                 # any backend, any store
    python -m bench.load --shoppers 8 --turns 2                   # a burst: all ask at the same instant
    python -m bench.load --shoppers 8 --think 5:15 --minutes 10 --pid $!   # a 10-minute soak

Each shopper is an anonymous session (`X-Aisle-Session`) sending questions one after another
(each waits for the previous answer, as a person does). With `--think A:B` a shopper reads the
answer and types for a random A–B seconds (seeded) before the next question, and shoppers
arrive spread over the first B seconds; without it they all start together and ask back to
back, the worst case. `--turns` questions make one conversation; with `--minutes` a shopper
starts a new conversation after that many and keeps going until time is up. A request that
fails, times out or ends in an `error` event counts as an error. With `--pid` the server's
resident memory is sampled every 5 s: the first and last minute's means and the slope say
whether it stays flat. The server's per-shopper chat limit (AISLE_CHAT_RATE_LIMIT, default
20/minute) must allow the run's pace: a burst run needs it raised. Merges its run into
bench/results/load.json under `--label`.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.metrics import percentile

HERE = Path(__file__).parent
QUESTIONS = (
    "How much is the Essence Mascara Lash Princess?",
    "Is the iPhone 6 in stock?",
    "Do you sell a PS5?",
    "What's the warranty on the Annibale Colombo Bed?",
    "Which is cheaper, the Apple AirPods Max Silver or the Beats Flex Wireless Earphones?",
    "Can you recommend a laptop under $1500?",
    "What is your return policy?",
    "Can I talk to a real person?",
)


def one_turn(client: httpx.Client, url: str, session: str, text: str, conversation: str | None) -> dict:
    began, first, final, error = time.perf_counter(), None, None, None
    body: dict[str, str] = {"message": text}
    if conversation:
        body["conversation_id"] = conversation
    try:
        with client.stream("POST", f"{url}/api/chat", json=body, headers={"X-Aisle-Session": session}) as response:
            if response.status_code != 200:
                error = f"HTTP {response.status_code}"
            event = ""
            for line in response.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    data = json.loads(line.split(":", 1)[1])
                    if event == "conversation":
                        conversation = data["conversation_id"]
                    elif event == "token" and first is None and data["text"].strip():
                        first = time.perf_counter() - began
                    elif event == "final":
                        final = time.perf_counter() - began
                    elif event == "error":
                        error = data.get("detail", "error event")
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if final is None and error is None:
        error = "stream ended without a final event"
    return {"first_token_s": first, "total_s": final, "error": error, "conversation": conversation}


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB, read from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def memory_summary(samples: list[tuple[float, float]]) -> dict:
    """First-minute and last-minute mean RSS and the least-squares slope (MB per minute)."""
    times, values = [t for t, _ in samples], [v for _, v in samples]
    first = [v for t, v in samples if t <= times[0] + 60]
    last = [v for t, v in samples if t >= times[-1] - 60]
    mean_t, mean_v = sum(times) / len(times), sum(values) / len(values)
    spread = sum((t - mean_t) ** 2 for t in times)
    slope = sum((t - mean_t) * (v - mean_v) for t, v in samples) / spread * 60 if spread else 0.0
    return {
        "rss_samples": len(samples),
        "rss_first_minute_mb": round(sum(first) / len(first), 1),
        "rss_last_minute_mb": round(sum(last) / len(last), 1),
        "rss_max_mb": round(max(values), 1),
        "rss_slope_mb_per_min": round(slope, 2),
    }


def summarize(results: list[dict], samples: list[tuple[float, float]], wall: float, args: argparse.Namespace) -> dict:
    """The run's figures: percentiles over every turn, errors, throughput and memory."""
    firsts = [r["first_token_s"] for r in results if r["first_token_s"] is not None]
    totals = [r["total_s"] for r in results if r["total_s"] is not None]
    return {
        "shoppers": args.shoppers,
        "turns_per_conversation": args.turns,
        "think_s": args.think,
        "minutes": args.minutes,
        "turns": len(results),
        "errors": sum(1 for r in results if r["error"]),
        "first_token_p50_s": round(percentile(firsts, 50), 2),
        "first_token_p95_s": round(percentile(firsts, 95), 2),
        "first_token_max_s": round(max(firsts), 2) if firsts else None,
        "answer_p50_s": round(percentile(totals, 50), 2),
        "answer_p95_s": round(percentile(totals, 95), 2),
        "turns_per_s": round(len(totals) / wall, 3),
        "wall_s": round(wall, 1),
        **(memory_summary(samples) if samples else {}),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
        **({"rss_mb": [[round(t), round(v)] for t, v in samples]} if samples else {}),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--shoppers", type=int, default=8)
    parser.add_argument("--turns", type=int, default=2, help="questions per conversation")
    parser.add_argument("--think", default="0:0", help="seconds a shopper reads and types between questions, A:B")
    parser.add_argument("--minutes", type=float, default=0, help="keep chatting this long (0: one conversation each)")
    parser.add_argument("--pid", type=int, help="the server's process id, to sample its memory")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--label", default="default")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "load.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    think_low, think_high = (float(x) for x in args.think.split(":"))

    results: list[dict] = []
    lock = threading.Lock()
    start = threading.Barrier(args.shoppers)
    began = time.perf_counter()
    deadline = began + args.minutes * 60
    done = threading.Event()

    def shopper(index: int) -> None:
        rng = random.Random(args.seed * 1000 + index)
        with httpx.Client(timeout=args.timeout) as client:
            start.wait()
            time.sleep(rng.uniform(0, think_high))  # arrivals spread over the first think time
            asked = 0
            while True:
                session, conversation = f"load-{secrets.token_hex(8)}", None
                for turn in range(args.turns):
                    text = QUESTIONS[(index + asked) % len(QUESTIONS)]
                    sent = time.perf_counter() - began
                    result = one_turn(client, args.url, session, text, conversation)
                    conversation = result.pop("conversation")
                    asked += 1
                    with lock:
                        results.append(
                            {"shopper": index, "turn": turn, "sent_s": round(sent, 2), "question": text, **result}
                        )
                    time.sleep(rng.uniform(think_low, think_high))
                if time.perf_counter() >= deadline:
                    return

    def sample_memory(samples: list[tuple[float, float]]) -> None:
        while not done.wait(5.0):
            samples.append((time.perf_counter() - began, rss_mb(args.pid)))

    samples: list[tuple[float, float]] = []
    if args.pid:
        samples.append((0.0, rss_mb(args.pid)))
        threading.Thread(target=sample_memory, args=(samples,), daemon=True).start()
    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(args.shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    run = {"url": args.url, **summarize(results, samples, time.perf_counter() - began, args)}
    print(json.dumps({k: v for k, v in run.items() if k not in {"results", "rss_mb"}}, indent=1))
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    previous[args.label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(previous, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
