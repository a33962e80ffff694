"""The dialogue model on another machine: any OpenAI-compatible server (`AISLE_LLM_URL`).

For stores that put the model on a bigger box (a GPU with vLLM, or llama.cpp's own server,
e.g. `aisle model-server` on another machine) and run several Aisle processes in front of it.
Everything else stays the same: the prompts, the streaming grounding check (it reads the same
token stream) and cancellation (closing the stream closes the connection, and the server
stops writing).

Counting tokens uses llama.cpp's `/apply-template` and `/tokenize` endpoints; other servers
answer the chat but not the count (only the benchmarks count tokens).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from agent.errors import ModelUnavailableError
from agent.llm import ChatMessage

# Reading may wait for a free slot behind other shoppers' answers; connecting should not wait.
_TIMEOUT = httpx.Timeout(connect=5.0, read=600.0, write=30.0, pool=600.0)


class RemoteChatModel:
    """A chat model served over HTTP with the OpenAI chat-completions protocol, greedy.

    Example:
        >>> model = RemoteChatModel("http://gpu-box:8081", name="qwen2.5-0.5b")
        >>> "".join(model.stream([ChatMessage("user", "Say hi")], max_new_tokens=8))
    """

    def __init__(self, url: str, name: str, api_key: str | None = None, model: str | None = None) -> None:
        self.name = name
        self.url = url.rstrip("/").removesuffix("/v1")
        self._model = model  # the server's model name, for servers that host several
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Enough connections for every shopper at once: a pool that is too small queues them here.
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=16)
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=_TIMEOUT, limits=limits)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(path, json=body)
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"the model server at {self.url} did not answer: {exc}") from exc
        if response.status_code != 200:
            raise ModelUnavailableError(_server_error(self.url, response.status_code, response.text))
        return response.json()

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        prompt = self._post("/apply-template", {"messages": _wire(messages)})["prompt"]
        return len(self._post("/tokenize", {"content": prompt, "add_special": False, "parse_special": True})["tokens"])

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        body: dict[str, Any] = {
            "messages": _wire(messages),
            "max_tokens": max_new_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        if self._model:
            body["model"] = self._model
        try:
            with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
                if response.status_code != 200:
                    raise ModelUnavailableError(_server_error(self.url, response.status_code, response.read().decode()))
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line.removeprefix("data:").strip()
                    if data == "[DONE]":
                        return
                    if text := chunk_text(json.loads(data)):
                        yield text
        except httpx.ConnectError as exc:
            raise ModelUnavailableError(f"the model server at {self.url} did not answer: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ModelUnavailableError(f"the model server at {self.url} failed mid-answer: {exc}") from exc


def _wire(messages: Sequence[ChatMessage]) -> list[dict[str, str]]:
    return [{"role": m.role, "content": m.content} for m in messages]


def chunk_text(chunk: dict[str, Any]) -> str:
    """The text one streamed chat-completion chunk adds.

    Raises:
        ModelUnavailableError: the chunk is the server's error report.
    """
    if "error" in chunk or ("message" in chunk and "code" in chunk):
        error = chunk.get("error", chunk)
        raise ModelUnavailableError(f"the model server refused: {error.get('message', error)}")
    choices = chunk.get("choices") or [{}]
    return (choices[0].get("delta") or {}).get("content") or ""


def _server_error(url: str, status: int, text: str) -> str:
    try:
        message = json.loads(text)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = text[:300]
    return f"the model server at {url} answered {status}: {message}"
