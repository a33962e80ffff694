"""The model on another machine: `aisle model-server` serves the dialogue model over the OpenAI
protocol (llama.cpp's own server), and an Aisle with AISLE_LLM_URL answers through it: the same
greedy answers as in process, its key required, streams that stop when the shopper leaves, and
the grounding check on what comes back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agent import ChatMessage, ChatModel, ModelUnavailableError, load_chat_model
from tests.conftest import MODEL_CACHE
from tests.processes import aisle_env, start_aisle, stop
from tests.test_api_chat import anonymous, chat

pytestmark = pytest.mark.server

KEY = "model-server-test-key-0123456789"
QUESTION = [
    ChatMessage("system", "You are the shopping assistant of a store. Answer in one short sentence."),
    ChatMessage("user", "Sources:\n[1] Trail Runner | price $79.50 | in stock: 3\n\nShopper: How much is it?"),
]


@pytest.fixture(scope="module")
def model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = aisle_env(
        data_dir=str(tmp_path_factory.mktemp("model-server")),
        llm="smollm2-135m",
        model_cache=str(MODEL_CACHE),
        model_slots="2",
        llm_api_key=KEY,
    )
    process, url = start_aisle(env, command=("model-server",), health="/health", timeout=120)
    yield url
    stop(process)


@pytest.fixture(scope="module")
def remote(model_server: str) -> ChatModel:
    return load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, url=model_server, api_key=KEY)


def test_the_remote_model_answers_as_the_local_one(remote: ChatModel, smollm: ChatModel) -> None:
    pieces = list(remote.stream(QUESTION, max_new_tokens=30))
    assert len(pieces) > 1
    assert "".join(pieces) == "".join(smollm.stream(QUESTION, max_new_tokens=30))  # same weights, greedy
    assert remote.count_tokens(QUESTION) == smollm.count_tokens(QUESTION)


def test_the_model_server_wants_its_key(model_server: str) -> None:
    stranger = load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, url=model_server, api_key="wrong")
    with pytest.raises(ModelUnavailableError, match="401"):
        list(stranger.stream(QUESTION))
    assert httpx.post(f"{model_server}/v1/chat/completions", json={"messages": []}).status_code == 401


def test_a_server_that_is_not_there_is_a_clear_error() -> None:
    gone = load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, url="http://127.0.0.1:9", api_key=KEY)
    with pytest.raises(ModelUnavailableError, match="did not answer"):
        list(gone.stream(QUESTION))


def test_a_shopper_who_leaves_frees_the_remote_slot(remote: ChatModel) -> None:
    # Two slots, two abandoned answers: if closing the stream didn't stop the server's work,
    # the next two questions would wait for 200 tokens each.
    for _ in range(2):
        stream = remote.stream(QUESTION, max_new_tokens=200)
        assert next(stream)
        stream.close()
    answers: list[str] = []
    threads = [
        threading.Thread(target=lambda: answers.append("".join(remote.stream(QUESTION, max_new_tokens=20))))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 2 and all(answers)


def test_an_aisle_behind_the_model_server_answers_grounded(
    model_server: str, small_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = aisle_env(
        data_dir=str(tmp_path_factory.mktemp("remote-aisle")),
        store_dir=str(small_store),
        llm="smollm2-135m",
        llm_url=model_server,
        llm_api_key=KEY,
    )
    process, url = start_aisle(env)
    try:
        events = chat(url, "How much are the Beats Flex Wireless Earphones?", anonymous("remote"))
    finally:
        stop(process)
    final = events[-1][1]
    assert final["message"]["products"][0]["price"] == 49.99
    # The stand-in model's words went through the grounding check: any price left is the store's.
    assert "$" not in final["message"]["text"] or "$49.99" in final["message"]["text"]
