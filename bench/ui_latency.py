"""Time from pressing Send to the first streamed answer text, in a real browser.

    python -m bench.ui_latency                # Qwen (the app's default model), 8 questions

Starts `aisle serve` on a free port with the demo store, opens the Gradio chat in headless
Chromium, and for each question measures (in the page, with performance.now()) the time
from the click to the first answer text and to the final answer. Writes
bench/results/ui_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from bench.metrics import percentile

HERE = Path(__file__).parent
QUESTIONS = [
    "How much are the Beats Flex Wireless Earphones?",
    "Is the Samsung Galaxy S8 in stock?",
    "What warranty does the Apple Airpods have?",
    "Which is cheaper, the iPhone 6 or the iPhone X?",
    "recommend a laptop under $1500",
    "Tell me about the Rolex Datejust",
    "Do you have red lipstick?",
    "How much does the Kawasaki Z800 cost?",
]
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Runs in the page: click Send, then watch the last bot message until text appears and stops changing.
_MEASURE = """
async (question) => {
  const box = document.querySelector('#aisle-input textarea');
  box.value = question; box.dispatchEvent(new Event('input', {bubbles: true}));
  const bots = () => document.querySelectorAll('#aisle-chatbot [data-testid=bot]');
  const before = bots().length;
  const start = performance.now();
  document.querySelector('#aisle-send').click();
  let first = null, last = '', stable = 0;
  while (true) {
    await new Promise(r => setTimeout(r, 25));
    const all = bots();
    const text = all.length > before ? all[all.length - 1].innerText.trim() : '';
    if (text && first === null) first = performance.now() - start;
    if (text && text === last) { stable += 25; if (stable >= 2500) break; } else { stable = 0; last = text; }
    if (performance.now() - start > 120000) break;
  }
  return {first_token_ms: first, answer_ms: performance.now() - start - stable};
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llm", default="qwen2.5-0.5b")
    args = parser.parse_args(argv)
    port = _free_port()
    env = {
        **os.environ,
        "AISLE_DATA_DIR": str(HERE / ".work" / "ui-latency"),
        "AISLE_PORT": str(port),
        "AISLE_LLM": args.llm,
        "AISLE_MODEL_CACHE": str(HERE.parent / ".aisle" / "models"),
        "HF_HUB_OFFLINE": "1",
    }
    log_path = HERE / ".work" / "ui-latency.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = log_path.open("w")  # the server's own log, to see why a question went unanswered
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "aisle"), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{url}/api/health", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        rows = []
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(f"{url}/chat/")
            page.wait_for_selector("#aisle-input textarea", timeout=60_000)
            page.evaluate(_MEASURE, "hello")  # warm-up: first requests load caches
            for question in QUESTIONS:
                result = page.evaluate(_MEASURE, question)
                rows.append({"question": question, **result})
                first = result["first_token_ms"]
                shown = f"{first:7.0f} ms" if first is not None else "   none   "
                print(f"first text {shown}   answer {result['answer_ms']:7.0f} ms   {question}")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    firsts = [r["first_token_ms"] for r in rows if r["first_token_ms"] is not None]
    answers = [r["answer_ms"] for r in rows]
    summary = {
        "llm": args.llm,
        "unanswered": [r["question"] for r in rows if r["first_token_ms"] is None],
        "first_text_ms": {"p50": round(percentile(firsts, 50)), "p95": round(percentile(firsts, 95))},
        "answer_ms": {"p50": round(percentile(answers, 50)), "p95": round(percentile(answers, 95))},
        "rows": rows,
    }
    print(
        f"\nsend → first answer text in the browser: p50 {summary['first_text_ms']['p50']} ms, "
        f"p95 {summary['first_text_ms']['p95']} ms; whole answer p50 {summary['answer_ms']['p50']} ms"
    )
    (HERE / "results" / "ui_latency.json").write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
