"""The llama.cpp backend (the default): the same prompts as transformers, several shoppers'
answers written at once, a slot freed when a shopper leaves, and the same server reachable over
the OpenAI protocol (AISLE_LLM_URL) with the same answers."""

from __future__ import annotations

import difflib
import json
import threading
from pathlib import Path

import pytest

from agent import ChatMessage, ChatModel, ModelUnavailableError, load_chat_model
from tests.conftest import MODEL_CACHE

MESSAGES = [
    ChatMessage("system", "You are the shopping assistant of a store. Answer in one short sentence."),
    ChatMessage(
        "user", "Sources:\n[1] Trail Runner | price $79.50 | in stock: 3\n\nShopper: How much is the Trail Runner?"
    ),
]


@pytest.fixture(scope="module")
def fast_smollm() -> ChatModel:
    return load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, backend="llama-cpp", slots=3)


def _ask(product: str, price: str) -> list[ChatMessage]:
    return [
        MESSAGES[0],
        ChatMessage(
            "user", f"Sources:\n[1] {product} | price {price} | in stock: 3\n\nShopper: How much is the {product}?"
        ),
    ]


QUESTIONS = [
    _ask("Trail Runner", "$79.50"),
    _ask("Rain Jacket", "$120.00"),
    _ask("Camping Stove", "$45.25"),
    _ask("Wool Socks", "$12.99"),
    _ask("Head Torch", "$33.10"),
]


def _all_at_once(model: ChatModel, questions: list[list[ChatMessage]], max_new_tokens: int = 40) -> list[str]:
    answers = [""] * len(questions)

    def ask(i: int) -> None:
        answers[i] = "".join(model.stream(questions[i], max_new_tokens=max_new_tokens))

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


def test_llama_cpp_sees_the_same_prompt_as_transformers(fast_smollm: ChatModel) -> None:
    # Same chat template, same tokens: the fine-tuned format means the same thing to both.
    reference = load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, backend="transformers")
    assert fast_smollm.count_tokens(MESSAGES) == reference.count_tokens(MESSAGES)


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


def test_shoppers_asking_at_once_each_get_their_own_answer(fast_smollm: ChatModel) -> None:
    # Five questions, three slots: two wait for a free slot, none is dropped or mixed up.
    alone = ["".join(fast_smollm.stream(q, max_new_tokens=40)) for q in QUESTIONS]
    together = _all_at_once(fast_smollm, QUESTIONS)
    assert all(together)
    for i, answer in enumerate(together):
        likeness = [difflib.SequenceMatcher(None, answer, other).ratio() for other in alone]
        # A batch does its arithmetic in another order, so a word may differ; never another's answer.
        assert likeness[i] == max(likeness) and likeness[i] > 0.6, (answer, alone)
    assert sum(a == b for a, b in zip(together, alone, strict=True)) >= 3


def test_a_shopper_who_leaves_mid_answer_frees_the_slot(fast_smollm: ChatModel) -> None:
    # Three slots, three abandoned answers: if a closed stream kept its slot, nobody would get one.
    for question in QUESTIONS[:3]:
        stream = fast_smollm.stream(question, max_new_tokens=100)
        assert next(stream)
        stream.close()
    assert all(_all_at_once(fast_smollm, QUESTIONS[3:]))


def test_a_prompt_longer_than_the_context_is_refused_clearly(fast_smollm: ChatModel) -> None:
    long = [ChatMessage("user", "socks " * 3000)]
    with pytest.raises(ModelUnavailableError, match="exceeds the model's context"):
        list(fast_smollm.stream(long))
