"""Shared fixtures: one embedder and one ingested demo store per test session.

Loading a model or embedding a catalog is the slow part of any test, so it happens once;
per-test data lives in `tmp_path`. Servers a test needs (Chroma, Aisle) are started by
the fixtures below on free ports and stopped afterwards.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

import knowledge
from agent import ChatModel, load_chat_model
from retrieval import Embedder, ingest_store, load_embedder
from tests.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.processes import VENV_BIN, add_staff, aisle_env, free_port, serving, stop, wait_for_http
from ui.services import Services, build_services
from ui.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No test sees the developer's AISLE_* settings or writes outside its tmp folder."""
    for name in list(os.environ):
        if name.startswith("AISLE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AISLE_DATA_DIR", str(tmp_path / "aisle-data"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


# Converted model weights are kept between test runs (git-ignored): converting Qwen's
# GGUF takes ~50 s, loading the cached copy ~5 s.
MODEL_CACHE = Path(__file__).parent.parent / ".aisle" / "models"


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder("e5-small", threads=2)


@pytest.fixture(scope="session")
def qwen() -> ChatModel:
    """The real dialogue model, for tests that judge what the assistant says."""
    return load_chat_model("qwen2.5-0.5b", cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def smollm() -> ChatModel:
    """The small stand-in model, for tests where the answer's wording doesn't matter."""
    return load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE)


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder, qwen: ChatModel) -> Iterator[Services]:
    """The bundled demo store, ingested once into a session-wide data folder, with the real
    assistant. Tests may add conversations but must not change the store's facts."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("demo-data"), store_dir=knowledge.DEMO_STORE_DIR)
    services = build_services(settings, embedder=embedder, model=qwen)
    ingest_store(settings.store_dir, services.db, services.indexer)
    yield services
    services.close()


# A slice of the demo catalog (40 products) for tests that ingest a store of their own:
# embedding is the slow part of an ingest, and these tests are about what changes, not size.
SMALL_STORE_CATEGORIES = {"beauty", "mobile-accessories", "smartphones", "laptops"}


@pytest.fixture(scope="session")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store with its catalog cut to four categories (40 products). Read-only."""
    target = tmp_path_factory.mktemp("small") / "store"
    shutil.copytree(knowledge.DEMO_STORE_DIR, target)
    products = target / "products.jsonl"
    lines = [
        line
        for line in products.read_text(encoding="utf-8").splitlines()
        if json.loads(line)["category"] in SMALL_STORE_CATEGORIES
    ]
    products.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return target


@pytest.fixture
def store_copy(small_store: Path, tmp_path: Path) -> Path:
    """A writable copy of `small_store`, for tests that edit store files."""
    return Path(shutil.copytree(small_store, tmp_path / "store"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Save a screenshot of every open browser page when a browser test fails."""
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        ARTIFACTS.mkdir(exist_ok=True)
        for number, open_page in enumerate(page.context.pages):
            open_page.screenshot(path=str(ARTIFACTS / f"{item.name}-{number}.png"), full_page=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: run `make browser` (make test does)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies, no local storage) and a page in it."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


STAFF_USER, STAFF_PASSWORD = "maria", "a-long-staff-passphrase"


@pytest.fixture(scope="session")
def server_secret() -> str:
    """The web server's AISLE_SECRET_KEY, so tests can sign shopper tokens as a store would."""
    return secrets.token_hex(32)


@pytest.fixture(scope="session")
def web_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory, server_secret: str) -> Iterator[str]:
    """`aisle serve` on a free port with the stand-in model, the small store and a staff account.
    Shared by every test of the HTTP API and the pages; tests add conversations, never facts."""
    env = aisle_env(
        data_dir=str(tmp_path_factory.mktemp("web-data")),
        store_dir=str(small_store),
        llm="smollm2-135m",
        model_cache=str(MODEL_CACHE),
        secret_key=server_secret,
    )
    add_staff(env, STAFF_USER, STAFF_PASSWORD)
    with serving(env) as url:
        yield url


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server (the `chroma` CLI from the chromadb package) on a free port."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    process = subprocess.Popen(
        [str(VENV_BIN / "chroma"), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/api/v2/heartbeat", process, timeout=60)
        yield url
    finally:
        stop(process)
