"""The `aisle` command as a store owner runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.processes import VENV_BIN, aisle_env


def aisle(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "aisle"), *args],
        env=aisle_env(**settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_search_json_on_a_fresh_data_folder_ingests_then_answers(small_store: Path, tmp_path: Path) -> None:
    done = aisle(
        "search",
        "wireless earbuds under 100",
        "--json",
        "-k",
        "5",
        data_dir=str(tmp_path / "data"),
        store_dir=str(small_store),
    )
    assert done.returncode == 0, done.stderr
    assert "ingesting the configured store first" in done.stderr
    body = json.loads(done.stdout)
    assert body["filters"] == "under $100"
    assert body["results"][0]["title"] == "Beats Flex Wireless Earphones"
    assert len(body["results"]) == 5
    for hit in body["results"]:
        assert set(hit) >= {"id", "title", "price", "score"}
        assert hit["price"] <= 100


def test_ingest_reports_bad_rows_by_file_and_line(store_copy: Path, tmp_path: Path) -> None:
    with (store_copy / "products.jsonl").open("a") as handle:
        handle.write('{"id": "bad-1", "title": "Broken", "price": "free"}\n')
    lines = len((store_copy / "products.jsonl").read_text().splitlines())

    done = aisle("ingest", str(store_copy), data_dir=str(tmp_path / "data"))
    strict = aisle("ingest", str(store_copy), "--strict", data_dir=str(tmp_path / "data"))

    assert done.returncode == 0, done.stderr
    assert f"products.jsonl:{lines}: error: price: Input should be a valid number" in done.stderr
    assert "products.jsonl: 40 loaded, 1 bad" in done.stderr
    assert "nothing missing from it was removed" in done.stderr
    assert strict.returncode == 1
    assert "0 embedded" in strict.stderr  # the second run had nothing new to embed


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    done = aisle("ingest", str(tmp_path / "nope"), data_dir=str(tmp_path / "data"))
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_convert_writes_a_store_folder_that_ingest_accepts(tmp_path: Path) -> None:
    source = Path("/work/shared/data/retail_demo_store")
    if not source.is_dir():
        import pytest

        pytest.skip("the shared data sets are not on this machine")
    done = aisle("convert", "retail-demo-store", str(source), str(tmp_path / "rds"))
    assert done.returncode == 0, done.stderr
    assert "2465 products" in done.stdout
    assert (tmp_path / "rds" / "products.jsonl").exists() and (tmp_path / "rds" / "LICENSE").exists()


def test_chat_in_the_terminal_answers_a_signed_in_customer(small_store: Path, tmp_path: Path) -> None:
    from tests.conftest import MODEL_CACHE

    done = subprocess.run(
        [str(VENV_BIN / "aisle"), "chat", "--customer", "1"],
        input="Where is my order #A1001?\nI want to talk to a person\n",
        env=aisle_env(
            data_dir=str(tmp_path / "data"),
            store_dir=str(small_store),
            llm="smollm2-135m",
            model_cache=str(MODEL_CACHE),
        ),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "delivered" in done.stdout  # the order's status, from the data
    assert "support team" in done.stdout and "(handed to the support team)" in done.stdout


def test_chat_refuses_an_unknown_customer(tmp_path: Path, small_store: Path) -> None:
    done = aisle(
        "chat", "--customer", "nobody", data_dir=str(tmp_path / "data"), store_dir=str(small_store), llm="smollm2-135m"
    )
    assert done.returncode == 2 and "no customer 'nobody'" in done.stderr
