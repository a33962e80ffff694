"""The llama.cpp backend (AISLE_BACKEND=llama-cpp): the same prompts, the same greedy answers'
shape, much faster. Skipped where llama-cpp-python isn't compiled (`make fast` builds it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agent import ChatMessage, ChatModel, ModelUnavailableError, load_chat_model
from tests.conftest import MODEL_CACHE

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed: run `make fast`")

MESSAGES = [
    ChatMessage("system", "You are the shopping assistant of a store. Answer in one short sentence."),
    ChatMessage(
        "user", "Sources:\n[1] Trail Runner | price $79.50 | in stock: 3\n\nShopper: How much is the Trail Runner?"
    ),
]


@pytest.fixture(scope="module")
def fast_smollm() -> ChatModel:
    return load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, backend="llama-cpp")


def test_llama_cpp_sees_the_same_prompt_as_transformers(fast_smollm: ChatModel, smollm: ChatModel) -> None:
    # Same chat template, same tokens: the fine-tuned format means the same thing to both.
    assert fast_smollm.count_tokens(MESSAGES) == smollm.count_tokens(MESSAGES)


def test_llama_cpp_streams_an_answer_and_stops_at_the_limit(fast_smollm: ChatModel) -> None:
    pieces = list(fast_smollm.stream(MESSAGES, max_new_tokens=40))
    answer = "".join(pieces)
    assert len(pieces) > 1 and answer.strip()
    assert "<|im_end|>" not in answer
    assert len(list(fast_smollm.stream(MESSAGES, max_new_tokens=3))) <= 3
    assert "".join(fast_smollm.stream(MESSAGES, max_new_tokens=40)) == answer  # greedy: same prompt, same answer


def test_an_adapter_without_its_gguf_says_how_to_make_one(tmp_path: Path) -> None:
    (tmp_path / "adapter_config.json").write_text(json.dumps({"base_model_name_or_path": "smollm2-135m"}))
    (tmp_path / "adapter_model.safetensors").write_bytes(b"")
    with pytest.raises(ModelUnavailableError, match="make gguf-adapter"):
        load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, adapter=tmp_path, backend="llama-cpp")
