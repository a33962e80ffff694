"""Past one box: PostgreSQL and a Chroma server shared by two Aisle processes. A conversation
started on one continues on the other; what a shopper does on one, the other knows."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODEL_CACHE, STAFF_PASSWORD, STAFF_USER
from tests.processes import add_staff, aisle_env, free_port, start_aisle, stop

pytestmark = [pytest.mark.server, pytest.mark.scale]
SCRIPT = Path(__file__).parent.parent / "scripts" / "postgres.sh"


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL server started by the project's script on a free loopback port; its URL."""
    # Not pytest's tmp_path: that is private to this user, and PostgreSQL runs as its own.
    folder = Path(tempfile.mkdtemp(prefix="aisle-pg-"))
    folder.chmod(0o755)
    started = subprocess.run(
        [str(SCRIPT), "start", str(folder / "cluster"), str(free_port())], capture_output=True, text=True, check=False
    )
    assert started.returncode == 0, started.stderr
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(SCRIPT), "stop", str(folder / "cluster")], check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def two_servers(
    postgres: str, chroma_server: str, small_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    settings = {
        "database_url": postgres,
        "chroma_url": chroma_server,
        "store_dir": str(small_store),
        "llm": "smollm2-135m",
        "model_cache": str(MODEL_CACHE),
        # Both sign shopper tokens and staff sessions with the same key, as behind a load balancer.
        "secret_key": "scale-out-test-secret-0123456789abcdef",
    }
    first_env = aisle_env(data_dir=str(tmp_path_factory.mktemp("node-a")), **settings)
    second_env = aisle_env(data_dir=str(tmp_path_factory.mktemp("node-b")), ingest_on_start="false", **settings)
    add_staff(first_env, STAFF_USER, STAFF_PASSWORD)
    first, first_url = start_aisle(first_env)  # ingests the store into PostgreSQL and the Chroma server
    second, second_url = start_aisle(second_env)
    try:
        yield first_url, second_url
    finally:
        stop(first)
        stop(second)


def _chat(server: str, message: str, headers: dict[str, str], conversation_id: str | None = None) -> dict:
    body = {"message": message, "conversation_id": conversation_id}
    with httpx.stream("POST", f"{server}/api/chat", json=body, headers=headers, timeout=120) as response:
        assert response.status_code == 200, response.read()
        data = [json.loads(line[5:]) for line in response.iter_lines() if line.startswith("data:")]
    return {"conversation_id": data[0]["conversation_id"], "final": data[-1]}


def test_a_conversation_started_on_one_server_continues_on_the_other(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    shopper = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    started = _chat(first, "How much are the Beats Flex Wireless Earphones?", shopper)
    assert started["final"]["message"]["products"][0]["price"] == 49.99
    continued = _chat(second, "Are they in stock?", shopper, started["conversation_id"])
    assert continued["conversation_id"] == started["conversation_id"]
    transcript = httpx.get(f"{first}/api/conversations/{started['conversation_id']}", headers=shopper).json()
    shopper_lines = [m["text"] for m in transcript["messages"] if m["role"] == "shopper"]
    assert shopper_lines == ["How much are the Beats Flex Wireless Earphones?", "Are they in stock?"]


def test_both_servers_search_the_same_index_and_share_what_shoppers_do(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    answers = [httpx.get(f"{url}/api/products/search", params={"q": "wireless earbuds"}).json() for url in two_servers]
    assert [h["product"]["id"] for h in answers[0]["results"]] == [h["product"]["id"] for h in answers[1]["results"]]
    shopper = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    product = answers[0]["results"][0]["product"]
    httpx.post(f"{first}/api/events", json={"kind": "view", "product_id": product["id"]}, headers=shopper)
    profile = httpx.get(f"{second}/api/profile", headers=shopper).json()
    assert profile["events_used"] == 1


def test_a_hand_off_on_one_server_reaches_staff_on_the_other(two_servers: tuple[str, str]) -> None:
    first, second = two_servers
    shopper = {"X-Aisle-Session": f"session-{uuid.uuid4().hex}"}
    handed = _chat(first, "I want to talk to a person", shopper)
    with httpx.Client(base_url=second) as staff:
        staff.post("/staff/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD})
        queue = staff.get("/api/staff/conversations").json()
    assert any(c["id"] == handed["conversation_id"] and c["mode"] == "handoff" for c in queue)
