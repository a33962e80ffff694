"""Commands that need no dialogue model start without loading one or its libraries."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.processes import aisle_env

HEAVY = ("torch", "transformers", "sentence_transformers", "peft", "gradio", "llama_cpp", "xllamacpp")

# Runs the `aisle` command in-process in a fresh interpreter, then lists which heavy
# libraries ended up imported.
_PROBE = """
import json, sys
from typer.testing import CliRunner
from ui.cli import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(HEAVY))
print(json.dumps({"exit": result.exit_code, "output": result.output, "heavy": heavy}))
""".replace("HEAVY", repr(HEAVY))


def _run(*args: str, **settings: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        env=aisle_env(**settings),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_search_ingest_and_token_import_no_model_library(small_store: Path, tmp_path: Path) -> None:
    data = str(tmp_path / "data")
    ingest = _run("ingest", str(small_store), data_dir=data)
    search = _run("search", "wireless earbuds", "--json", "-k", "3", data_dir=data)
    token = _run("token", "1", data_dir=data, store_dir=str(small_store))

    assert ingest["exit"] == 0, ingest["output"]
    assert search["exit"] == 0, search["output"]
    assert "Earphones" in json.loads(search["output"][search["output"].index("{") :])["results"][0]["title"]
    assert token["exit"] == 0, token["output"]
    for result in (ingest, search, token):
        assert result["heavy"] == [], result["heavy"]
