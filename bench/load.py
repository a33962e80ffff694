"""N shoppers chatting at once through the HTTP API: time to first token, whole answer, errors.

    aisle serve &                                            # any backend, any store
    python -m bench.load --url http://127.0.0.1:8000 --shoppers 8 --turns 2

Each shopper is an anonymous session (`X-Aisle-Session`) sending `--turns` questions one after
another (each waits for the previous answer, as a person does); all shoppers start together.
The server runs one generation at a time, so requests queue: the numbers show how long the
queue makes the last shopper wait. A request that fails, times out or ends in an `error` event
counts as an error. Merges its run into bench/results/load.json under `--label`.
"""

from __future__ import annotations

import argparse
import json
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--shoppers", type=int, default=8)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--label", default="default")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "load.json")
    args = parser.parse_args(argv)

    results: list[dict] = []
    lock = threading.Lock()
    start = threading.Barrier(args.shoppers)

    def shopper(index: int) -> None:
        session = f"load-{secrets.token_hex(8)}"
        conversation = None
        with httpx.Client(timeout=args.timeout) as client:
            start.wait()
            for turn in range(args.turns):
                text = QUESTIONS[(index + turn) % len(QUESTIONS)]
                result = one_turn(client, args.url, session, text, conversation)
                conversation = result.pop("conversation")
                with lock:
                    results.append({"shopper": index, "turn": turn, "question": text, **result})

    began = time.perf_counter()
    threads = [threading.Thread(target=shopper, args=(i,)) for i in range(args.shoppers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    firsts = [r["first_token_s"] for r in results if r["first_token_s"] is not None]
    totals = [r["total_s"] for r in results if r["total_s"] is not None]
    run = {
        "url": args.url,
        "shoppers": args.shoppers,
        "turns_per_shopper": args.turns,
        "turns": len(results),
        "errors": sum(1 for r in results if r["error"]),
        "first_token_p50_s": round(percentile(firsts, 50), 2),
        "first_token_p95_s": round(percentile(firsts, 95), 2),
        "answer_p50_s": round(percentile(totals, 50), 2),
        "answer_p95_s": round(percentile(totals, 95), 2),
        "turns_per_s": round(len(totals) / wall, 3),
        "wall_s": round(wall, 1),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    print(json.dumps({k: v for k, v in run.items() if k != "results"}, indent=1))
    previous = json.loads(args.out.read_text()) if args.out.exists() else {}
    previous[args.label] = run
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(previous, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
