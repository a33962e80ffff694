"""Schemathesis generates requests from the OpenAPI spec (valid and invalid bodies, queries,
paths, headers) against a real server: no input may make it fail with a 5xx."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import MODEL_CACHE, STAFF_PASSWORD, STAFF_USER
from tests.processes import VENV_BIN, add_staff, aisle_env, serving

pytestmark = pytest.mark.server

EXAMPLES_PER_OPERATION = 12


@pytest.fixture(scope="module")
def fuzz_server(small_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its own server, so thousands of generated requests hit no rate limit shared with other tests."""
    env = aisle_env(
        data_dir=str(tmp_path_factory.mktemp("fuzz-data")),
        store_dir=str(small_store),
        llm="smollm2-135m",
        model_cache=str(MODEL_CACHE),
        chat_rate_limit="100000/minute",
        api_rate_limit="100000/minute",
    )
    add_staff(env, STAFF_USER, STAFF_PASSWORD)
    with serving(env) as url:
        yield url


def fuzz(server: str, report: Path, *options: str) -> dict:
    """Run schemathesis against the server; the JSON report of the run."""
    run = subprocess.run(
        [
            str(VENV_BIN / "schemathesis"),
            "run",
            f"{server}/openapi.json",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--seed",
            "1",
            *options,
            "--request-timeout",
            "120",
            "--report",
            "json",
            "--report-json-path",
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        cwd=report.parent,  # schemathesis keeps a cache in the working directory
    )
    assert run.returncode == 0, run.stdout[-6000:]
    return json.loads(report.read_text())


def test_no_generated_shopper_request_makes_the_api_fail(fuzz_server: str, tmp_path: Path) -> None:
    summary = fuzz(fuzz_server, tmp_path / "report.json", "--header", "X-Aisle-Session: fuzz-session-000000000001")
    assert summary["test_cases"]["generated"] > 500 and summary["test_cases"]["with_failures"] == 0


def test_no_generated_staff_request_makes_the_api_fail(fuzz_server: str, tmp_path: Path) -> None:
    with httpx.Client(base_url=fuzz_server) as client:
        client.post("/staff/login", data={"username": STAFF_USER, "password": STAFF_PASSWORD})
        cookie = client.cookies["aisle_staff"]
    summary = fuzz(
        fuzz_server,
        tmp_path / "report.json",
        "--header",
        f"Cookie: aisle_staff={cookie}",
        "--include-path-regex",
        "^/api/staff/",
    )
    assert summary["test_cases"]["generated"] > 100 and summary["test_cases"]["with_failures"] == 0
