"""The fine-tuned adapter on the llama.cpp backend is merged into a cached copy of the base GGUF:
it answers as the same LoRA applied at run time does, and the merge is made once."""

from __future__ import annotations

import difflib
import re
from pathlib import Path

import pytest

from agent import MODELS, SHIPPED_ADAPTERS, ChatMessage, ChatModel, ModelUnavailableError, load_chat_model
from agent.gguf_merge import merged_gguf
from agent.llamacpp import GGUF_ADAPTER, LlamaCppChatModel
from agent.model_files import gguf_file
from tests.conftest import MODEL_CACHE

ADAPTER = SHIPPED_ADAPTERS["qwen2.5-0.5b"]
SYSTEM = (
    "You are the shopping assistant of a store.\nRules:\n"
    "- Use only facts from the numbered sources.\n"
    "- Name the product and put the source number after each fact, like [1].\n"
    "- Answer exactly what was asked, in at most three short sentences, in English.\n"
)


def _turn(sources: str, question: str) -> list[ChatMessage]:
    task = "Task: Answer the shopper's question about these products."
    return [ChatMessage("system", SYSTEM), ChatMessage("user", f"Sources:\n{sources}\n\n{task}\nShopper: {question}\n")]


TURNS = [
    _turn("[1] Trail Runner Shoe | price $79.50 | in stock: 3", "How much is the Trail Runner and is it in stock?"),
    _turn("[1] Red Nail Polish | price $8.99 | returns: 30 days return policy", "Can I return the Red Nail Polish?"),
    _turn("[1] Baseball Ball | price $8.99\n[2] Cricket Ball | price $12.99", "Which ball is cheaper?"),
]


def _answers(model: ChatModel) -> list[str]:
    return ["".join(model.stream(turn, max_new_tokens=40)) for turn in TURNS]


@pytest.fixture(scope="module")
def base_gguf() -> Path:
    return gguf_file(MODELS["qwen2.5-0.5b"], MODEL_CACHE)


@pytest.fixture(scope="module")
def merged_answers() -> list[str]:
    model = load_chat_model("qwen2.5-0.5b", cache_dir=MODEL_CACHE, adapter=ADAPTER, backend="llama-cpp")
    assert model.name == "qwen2.5-0.5b+qwen2.5-0.5b-shop"
    return _answers(model)


def test_the_merged_adapter_answers_as_the_runtime_lora_does(base_gguf: Path, merged_answers: list[str]) -> None:
    # The merged tensors are re-quantized (Q8_0/F16), so the arithmetic is not the runtime LoRA's
    # and a near-tie can go the other way: over 40 validation prompts and 96 tokens, 35 answers
    # were identical. The base model's differ.
    runtime = _answers(LlamaCppChatModel(base_gguf, name="runtime-lora", lora=ADAPTER / GGUF_ADAPTER))
    base = _answers(load_chat_model("qwen2.5-0.5b", cache_dir=MODEL_CACHE, backend="llama-cpp"))
    assert all(answer.strip() for answer in merged_answers)
    for merged, at_run_time in zip(merged_answers, runtime, strict=True):
        # A near-tie may pick another word ("priced" / "costing"); the facts stay the same.
        assert difflib.SequenceMatcher(None, merged, at_run_time).ratio() > 0.8, (merged, at_run_time)
        assert re.findall(r"\$[\d.,]+", merged) == re.findall(r"\$[\d.,]+", at_run_time)
    assert sum(m == r for m, r in zip(merged_answers, runtime, strict=True)) >= 2
    assert merged_answers != base


def test_the_merged_model_is_made_once_and_reused(base_gguf: Path, merged_answers: list[str]) -> None:
    lora = ADAPTER / "adapter.gguf"
    first = merged_gguf(base_gguf, lora, MODEL_CACHE)  # made (or found) by load_chat_model above
    before = first.stat()
    again = merged_gguf(base_gguf, lora, MODEL_CACHE)
    assert again == first
    assert (again.stat().st_ino, again.stat().st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert not list(MODEL_CACHE.glob(f"{first.name}.*.tmp"))


def test_an_interrupted_merge_leaves_nothing_to_reuse(
    base_gguf: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def killed_half_way(base: Path, lora: Path, out: Path) -> int:
        out.write_bytes(b"GGUF half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr("agent.gguf_merge._write_merged", killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        merged_gguf(base_gguf, ADAPTER / "adapter.gguf", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_lora_for_another_model_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    smollm = gguf_file(MODELS["smollm2-135m"], MODEL_CACHE)
    with pytest.raises(ModelUnavailableError, match="adapts a 'qwen2' model"):
        merged_gguf(smollm, ADAPTER / "adapter.gguf", tmp_path)
    assert list(tmp_path.iterdir()) == []
