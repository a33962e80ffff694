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
fails, times out or ends in an `error` event counts as an error. Three questions asked first
(a recommendation, a product, a policy) warm the server up and are not counted. With `--pid`
the server's resident memory is sampled every 5 s: the first and last minute's means and the
slope say whether it stays flat. CPU time stolen by the virtual machine's host is reported for
the run and each minute: a run that is slow for a stretch with steal high measured the host,
not the server. Questions are drawn (seeded) from fixed ones the assistant answers without the
model and ones about products read from the server's catalog. The server's per-shopper chat
limit (AISLE_CHAT_RATE_LIMIT, default 20/minute) must allow the run's pace: a long run without
think time needs it raised. Merges its run into
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
# What the store can't or needn't ask the model about: answered from templates and policy text.
FIXED_QUESTIONS = (
    "What is your return policy?",
    "Can I talk to a real person?",
    "Do you sell a PS5?",
    "How long does shipping take?",
)
# Asked about products read from the server's own catalog, so prompts vary as real ones do (a
# handful of fixed questions would let the model reuse whole cached prompts and flatter it).
PRODUCT_QUESTIONS = (
    "How much is the {a}?",
    "Is the {a} in stock?",
    "Tell me about the {a}.",
    "Which is cheaper, the {a} or the {b}?",
    "Can you recommend something like the {a} under ${price}?",
    "What's the warranty on the {a}?",
)
CATALOG_QUERIES = (
    "phone",
    "laptop",
    "shoes",
    "watch",
    "bag",
    "perfume",
    "furniture",
    "groceries",
    "sunglasses",
    "shirt",
    "dress",
    "skin care",
    "kitchen",
    "sports",
    "motorcycle",
    "tablet",
    "jewellery",
    "lighting",
)


def catalog(client: httpx.Client, url: str) -> list[tuple[str, float]]:
    """(title, price) of products found by broad searches of the server's catalog."""
    products: dict[str, float] = {}
    for query in CATALOG_QUERIES:
        response = client.get(f"{url}/api/products/search", params={"q": query, "k": 20})
        response.raise_for_status()
        for hit in response.json()["results"]:
            products[hit["product"]["title"]] = hit["product"]["price"]
    return sorted(products.items())


def question(rng: random.Random, products: list[tuple[str, float]]) -> str:
    """A shopper's next question: two in five fixed, the rest about random products."""
    if rng.random() < 0.4:
        return rng.choice(FIXED_QUESTIONS)
    (a, price), (b, _) = rng.sample(products, 2)
    return rng.choice(PRODUCT_QUESTIONS).format(a=a, b=b, price=round(price * 1.5))


def one_turn(client: httpx.Client, url: str, session: str, text: str, conversation: str | None) -> dict:
    began, first, final, error, generated = time.perf_counter(), None, None, None, False
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
                        generated = data.get("generated", False)
                    elif event == "error":
                        error = data.get("detail", "error event")
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    if final is None and error is None:
        error = "stream ended without a final event"
    return {
        "first_token_s": first,
        "total_s": final,
        "generated": generated,
        "error": error,
        "conversation": conversation,
    }


def rss_mb(pid: int) -> float:
    """The process's resident memory in MB, read from /proc (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def cpu_jiffies() -> tuple[int, int]:
    """(stolen, total) CPU time since boot from /proc/stat: the share the virtual machine's host
    took from this machine, which slows a run without anything here being busier."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[7], sum(fields[:8])


def steal_summary(marks: list[tuple[float, int, int]]) -> dict:
    """Stolen CPU over the run and in each minute, in percent."""

    def share(a: tuple[float, int, int], b: tuple[float, int, int]) -> float:
        return round(100 * (b[1] - a[1]) / max(b[2] - a[2], 1), 1)

    by_minute = [share(a, b) for a, b in zip(marks[::12], marks[12::12], strict=False)]
    return {"cpu_steal_pct": share(marks[0], marks[-1]), "cpu_steal_pct_by_minute": by_minute}


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


def latencies(results: list[dict]) -> dict:
    """p50/p95 first token and whole answer over these turns."""
    firsts = [r["first_token_s"] for r in results if r["first_token_s"] is not None]
    totals = [r["total_s"] for r in results if r["total_s"] is not None]
    if not totals:
        return {"turns": len(results)}
    return {
        "turns": len(results),
        "first_token_p50_s": round(percentile(firsts, 50), 2),
        "first_token_p95_s": round(percentile(firsts, 95), 2),
        "first_token_max_s": round(max(firsts), 2),
        "answer_p50_s": round(percentile(totals, 50), 2),
        "answer_p95_s": round(percentile(totals, 95), 2),
    }


def summarize(results: list[dict], samples: list[tuple[float, float]], wall: float, args: argparse.Namespace) -> dict:
    """The run's figures: all turns, then the model-written ones alone, errors, throughput, memory."""
    answered = sum(1 for r in results if r["total_s"] is not None)
    return {
        "shoppers": args.shoppers,
        "turns_per_conversation": args.turns,
        "think_s": args.think,
        "minutes": args.minutes,
        "seed": args.seed,
        "errors": sum(1 for r in results if r["error"]),
        **latencies(results),
        "model_written": latencies([r for r in results if r["generated"]]),
        "turns_per_s": round(answered / wall, 3),
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

    with httpx.Client(timeout=args.timeout) as client:
        products = catalog(client, args.url)
        # Not counted: the first questions of a fresh server also build its search and
        # recommendation models; a store's server runs warm.
        for text in ("Can you recommend a gift under $50?", f"How much is the {products[0][0]}?", FIXED_QUESTIONS[0]):
            one_turn(client, args.url, f"warm-{secrets.token_hex(8)}", text, None)

    def shopper(index: int) -> None:
        rng = random.Random(args.seed * 1000 + index)
        with httpx.Client(timeout=args.timeout) as client:
            start.wait()
            time.sleep(rng.uniform(0, think_high))  # arrivals spread over the first think time
            while True:
                session, conversation = f"load-{secrets.token_hex(8)}", None
                for turn in range(args.turns):
                    text = question(rng, products)
                    sent = time.perf_counter() - began
                    result = one_turn(client, args.url, session, text, conversation)
                    conversation = result.pop("conversation")
                    with lock:
                        results.append(
                            {"shopper": index, "turn": turn, "sent_s": round(sent, 2), "question": text, **result}
                        )
                    time.sleep(rng.uniform(think_low, think_high))
                if time.perf_counter() >= deadline:
                    return

    def sample_machine(samples: list[tuple[float, float]], steal: list[tuple[float, int, int]]) -> None:
        while not done.wait(5.0):
            steal.append((time.perf_counter() - began, *cpu_jiffies()))
            if args.pid:
                samples.append((time.perf_counter() - began, rss_mb(args.pid)))

    samples: list[tuple[float, float]] = []
    steal = [(0.0, *cpu_jiffies())]  # every 5 s, so 12 marks make a minute
    if args.pid:
        samples.append((0.0, rss_mb(args.pid)))
    threading.Thread(target=sample_machine, args=(samples, steal), daemon=True).start()
    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(args.shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    steal.append((time.perf_counter() - began, *cpu_jiffies()))
    run = {"url": args.url, **summarize(results, samples, time.perf_counter() - began, args), **steal_summary(steal)}
    print(json.dumps({k: v for k, v in run.items() if k not in {"results", "rss_mb"}}, indent=1))
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    previous[args.label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(previous, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
