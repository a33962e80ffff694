"""The default backend: the GGUF weights run by llama.cpp's own server, in process.

`xllamacpp` (a prebuilt wheel, MIT, maintained as Xinference's backend) wraps llama.cpp's
server: parallel slots, continuous batching (one decode step serves every answer being
written) and a prompt cache that keeps the system prompt's keys and values, all maintained
upstream. Nothing is compiled on install. The same server also listens on a loopback port
for the OpenAI protocol, which is how tokens are counted here and how `aisle model-server`
lends the model to other Aisle processes (agent/remote_llm.py is the client).

A fine-tuned adapter is a GGUF LoRA (`adapter.gguf` in the adapter folder, written by `make
gguf-adapter`): `load_chat_model` merges it into a cached copy of the base GGUF
(agent/gguf_merge.py), which runs at the base's speed. Passing `lora` here applies it at run
time instead, more slowly; the tests check the merged model against that.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from queue import SimpleQueue
from typing import Any

from agent.cpu_features import cpu_flags
from agent.errors import ModelUnavailableError
from agent.llm import ChatMessage
from agent.remote_llm import RemoteChatModel, chunk_text

GGUF_ADAPTER = "adapter.gguf"
_FINISHED = object()  # sentinel on an answer's queue

log = logging.getLogger(__name__)


class EngineUnavailableError(ModelUnavailableError):
    """The llama.cpp runtime itself is missing (not a bad model file): the caller may fall back."""


class LlamaCppChatModel:
    """A GGUF chat model run by llama.cpp's server on the CPU, greedy, up to `slots` answers at once.

    `threads` decode, `batch_threads` read prompts (default: the same). The server listens on
    `host:port` (port 0: a free port) for the OpenAI protocol, behind `api_key`: by default a
    random one, so other local processes can't use it unasked; "" leaves it open.

    Example:
        >>> model = LlamaCppChatModel(Path(".aisle/models/qwen2.5-0.5b.gguf"), name="qwen2.5-0.5b")
        >>> "".join(model.stream([ChatMessage("user", "Say hi")], max_new_tokens=8))
    """

    def __init__(
        self,
        gguf: Path,
        name: str,
        threads: int = 2,
        lora: Path | None = None,
        context: int = 2048,
        slots: int = 8,
        batch_threads: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
    ) -> None:
        try:
            import xllamacpp
        except ImportError as exc:
            raise EngineUnavailableError(
                "the llama.cpp engine (the xllamacpp package) is not installed; run `make install`"
            ) from exc
        self.name = name
        self._context = context
        if "avx512f" in cpu_flags() and "AVX512 = 1" not in xllamacpp.get_system_info():
            # The prebuilt wheel targets AVX2; measured here, a build for an AVX-512 CPU reads
            # prompts 1.4x and writes answers 1.2x faster (README, "Speed").
            log.info("this CPU has AVX-512 and the llama.cpp engine is the generic build: `make native` (once, ~6 min)")
        params = xllamacpp.CommonParams()
        params.model.path = str(gguf)
        # One cache for all slots: a long prompt may use more than its share while others are short.
        params.n_parallel, params.n_ctx, params.kv_unified = slots, context * slots, True
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = batch_threads or threads
        # The GGUF's own chat template through Jinja, exactly as transformers renders it (the
        # fine-tuning format must mean the same to both backends).
        params.use_jinja = True
        # The prompt cache in RAM defaults to 8 GB; uncapped it grew the server by 170 MB in a
        # 10-minute soak. Half a gigabyte holds hundreds of prompts of this size.
        params.cache_ram_mib = 512
        params.verbosity = -1  # the server's per-request log would flood Aisle's
        params.hostnames, params.port = [host], port
        self.api_key = secrets.token_urlsafe(24) if api_key is None else api_key
        params.api_keys = [self.api_key] if self.api_key else []
        if lora is not None:
            adapter = xllamacpp.CommonAdapterLoraInfo(str(lora), 1.0)
            params.lora_adapters = [adapter]
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:  # the runtime reports a bad file as a generic error
            raise ModelUnavailableError(f"llama.cpp could not load {gguf}: {exc}") from exc
        self.url: str = self._server.listening_address
        # Counting tokens goes through the server's own template and tokenizer (its HTTP side).
        self._http = RemoteChatModel(self.url, name=name, api_key=self.api_key)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return self._http.count_tokens(messages)

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        prompt = self.count_tokens(messages)
        if prompt + max_new_tokens > self._context:
            raise ModelUnavailableError(
                f"the prompt has {prompt} tokens; with {max_new_tokens} to write it exceeds the model's "
                f"context of {self._context}"
            )
        request = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": max_new_tokens,
            "temperature": 0.0,
            "stream": True,
        }
        out: SimpleQueue[object] = SimpleQueue()
        stop = threading.Event()

        def on_chunk(chunk: dict[str, Any]) -> bool:
            # Returning True tells the server to stop this answer and free its slot.
            try:
                text = chunk_text(chunk)
            except ModelUnavailableError as exc:
                out.put(exc)
                return True
            if text:
                out.put(text)
            return stop.is_set()

        def run() -> None:
            try:
                self._server.handle_chat_completions(request, on_chunk)
            except Exception as exc:  # reaches the reader below, in its own thread
                out.put(ModelUnavailableError(f"llama.cpp failed: {exc}"))
            out.put(_FINISHED)

        threading.Thread(target=run, name=f"llama.cpp {self.name}", daemon=True).start()
        try:
            while (item := out.get()) is not _FINISHED:
                if isinstance(item, BaseException):
                    raise item
                yield str(item)
        finally:
            # The reader stopped early (a closed stream, an exception): the next chunk ends it.
            stop.set()
