"""Nothing is lost when the process dies: a server killed (SIGKILL) in the middle of a
streaming answer comes back with every stored message and the conversation continues; an
ingest killed midway finishes on the next run without duplicates."""

from __future__ import annotations

import json
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from knowledge import DEMO_STORE_DIR, StoreDatabase
from retrieval import Embedder, VectorCollection, open_chroma
from tests.conftest import MODEL_CACHE
from tests.processes import VENV_BIN, aisle_env, start_aisle, stop

pytestmark = pytest.mark.server


def _serve(data_dir: Path, store: Path) -> tuple[subprocess.Popen[bytes], str]:
    env = aisle_env(data_dir=str(data_dir), store_dir=str(store), llm="smollm2-135m", model_cache=str(MODEL_CACHE))
    return start_aisle(env, timeout=180)


def test_a_server_killed_mid_answer_loses_no_message(small_store: Path, tmp_path: Path) -> None:
    shopper = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    question = "Tell me about the Beats Flex Wireless Earphones and their battery life"
    process, url = _serve(tmp_path, small_store)
    conversation_id = None
    try:
        body = {"message": question}
        with httpx.stream("POST", f"{url}/api/chat", json=body, headers=shopper, timeout=120) as response:
            for line in response.iter_lines():
                if line.startswith("data:") and "conversation_id" in line and conversation_id is None:
                    conversation_id = json.loads(line[5:])["conversation_id"]
                if line.startswith("event: token"):
                    process.send_signal(signal.SIGKILL)  # mid-answer, no chance to clean up
                    break
    except httpx.HTTPError:
        pass  # the connection dies with the server
    process.wait(timeout=30)
    assert conversation_id is not None

    process, url = _serve(tmp_path, small_store)
    try:
        stored = httpx.get(f"{url}/api/conversations/{conversation_id}", headers=shopper).json()
        assert [m["text"] for m in stored["messages"] if m["role"] == "shopper"] == [question]
        body = {"message": "How much are they?", "conversation_id": conversation_id}
        with httpx.stream("POST", f"{url}/api/chat", json=body, headers=shopper, timeout=120) as response:
            final = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")][-1]
        assert final["message"]["role"] == "assistant"
        after = httpx.get(f"{url}/api/conversations/{conversation_id}", headers=shopper).json()["messages"]
        assert [m["role"] for m in after][:1] == ["shopper"] and after[-1]["role"] == "assistant"
        assert [m["text"] for m in after if m["role"] == "shopper"] == [question, "How much are they?"]
    finally:
        stop(process)


def test_an_ingest_killed_midway_finishes_on_the_next_run_without_duplicates(
    tmp_path: Path, embedder: Embedder
) -> None:
    env = aisle_env(data_dir=str(tmp_path))
    command = [str(VENV_BIN / "aisle"), "ingest", str(DEMO_STORE_DIR)]
    index = VectorCollection(open_chroma(path=tmp_path / "chroma"), "aisle-products", embedder)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it once part of the catalog is embedded (observable in the index), before the end.
    deadline = time.monotonic() + 240
    while index.count() == 0 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    partial = index.count()

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert finished.returncode == 0, finished.stderr
    db = StoreDatabase(f"sqlite:///{tmp_path / 'aisle.db'}")
    products = db.counts()["products"]
    assert products == 194 and index.count() == products
    assert partial < products  # it really was cut short
    embedded = next(line for line in finished.stderr.splitlines() if "index products:" in line)
    assert f"{products - partial} embedded" in embedded or partial == 0
    again = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert "index products: 0 embedded" in again.stderr and f"{products} unchanged" in again.stderr
