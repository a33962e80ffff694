"""The dialogue model behind a small interface: messages in, text streamed out token by token.

Three implementations of `ChatModel`, chosen by `load_chat_model`: llama.cpp's server in
process (agent/llamacpp.py, the default: fastest here, several answers at once), an
OpenAI-compatible server elsewhere (agent/remote_llm.py), and `TransformersChatModel`, the
reference that fine-tuning uses and the fallback where the engine is missing. Nothing else in
Aisle depends on which one answers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from agent.cpu_features import has_native_bf16
from agent.errors import ModelUnavailableError
from agent.model_files import MODELS, adapter_base, bf16_folder, gguf_file

Role = Literal["system", "user", "assistant"]

# Distinct system prompts whose keys/values are kept (one per answer language and store).
_MAX_PREFIXES = 8


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


class ChatModel(Protocol):
    """A chat model that streams its reply. Implementations must be safe to call from
    several threads (they may serialise the calls)."""

    name: str

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        """Yield the reply as it is generated (greedy, so the same prompt gives the same reply)."""
        ...

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """Prompt length in tokens, chat template included."""
        ...


class TransformersChatModel:
    """A causal LM from a transformers folder, run on the CPU in bfloat16 where the CPU has
    native bf16, else in float32.

    With native bf16 (AVX512_BF16, AMX) bf16 is twice as fast as fp32 and uses 1.2 GB less
    memory; without it bf16 is emulated and 3-5x slower than fp32 (both measured,
    ../shared/MODELS.md). One generation runs at a time: with two cores, two at once would
    only halve each one's speed.

    Example:
        >>> model = load_chat_model("smollm2-135m", cache_dir=Path(".aisle/models"))
        >>> "".join(model.stream([ChatMessage("user", "Say hi")], max_new_tokens=8))
    """

    def __init__(self, folder: Path, name: str, threads: int = 2, adapter: Path | None = None) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        torch.set_num_threads(threads)
        self.name = name
        self._torch = torch
        self.dtype = torch.bfloat16 if has_native_bf16() else torch.float32
        self._tokenizer = AutoTokenizer.from_pretrained(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=self.dtype)
        if adapter is not None:
            from peft import PeftModel

            # Merged into the weights once at load: generation then costs exactly what the
            # base model costs (an unmerged LoRA adds four small matmuls per layer and token).
            model = PeftModel.from_pretrained(model, adapter).merge_and_unload()
        self._model = model.eval()
        self._lock = threading.Lock()
        # The system prompt is the same every turn: its keys and values are computed once
        # per distinct prompt (one per answer language) and copied into each generation.
        self._prefixes: dict[str, tuple[Any, Any]] = {}

    def _prefix_cache(self, messages: Sequence[ChatMessage], input_ids: Any) -> Any | None:
        """A copy of the cached keys/values for the leading system message, if it is a prefix of `input_ids`."""
        import copy

        from transformers import DynamicCache

        if not messages or messages[0].role != "system":
            return None
        key = messages[0].content
        if key not in self._prefixes:
            if len(self._prefixes) >= _MAX_PREFIXES:
                self._prefixes.pop(next(iter(self._prefixes)))
            ids = self._inputs(messages[:1], generation_prompt=False)["input_ids"]
            cache = DynamicCache()
            with self._torch.inference_mode():
                self._model(input_ids=ids, past_key_values=cache, use_cache=True)
            self._prefixes[key] = (ids, cache)
        ids, cache = self._prefixes[key]
        length = ids.shape[-1]
        if input_ids.shape[-1] <= length or not self._torch.equal(input_ids[0, :length], ids[0]):
            return None
        return copy.deepcopy(cache)

    def _inputs(self, messages: Sequence[ChatMessage], generation_prompt: bool = True) -> Any:
        return self._tokenizer.apply_chat_template(
            [{"role": m.role, "content": m.content} for m in messages],
            add_generation_prompt=generation_prompt,
            return_tensors="pt",
            return_dict=True,
        )

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return int(self._inputs(messages)["input_ids"].shape[-1])

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

        cancelled = threading.Event()

        class _Cancel(StoppingCriteria):
            # Lets a shopper who leaves mid-answer free the model at once.
            def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
                return cancelled.is_set()

        inputs = self._inputs(messages)
        streamer = TextIteratorStreamer(self._tokenizer, skip_prompt=True, skip_special_tokens=True)
        failure: list[BaseException] = []

        def generate() -> None:
            try:
                with self._torch.inference_mode():
                    self._model.generate(
                        **inputs,
                        past_key_values=self._prefix_cache(messages, inputs["input_ids"]),
                        streamer=streamer,
                        max_new_tokens=max_new_tokens,
                        do_sample=False,
                        stopping_criteria=StoppingCriteriaList([_Cancel()]),
                        pad_token_id=self._tokenizer.eos_token_id,
                    )
            except BaseException as exc:  # re-raised in the caller's thread below
                failure.append(exc)
                streamer.end()

        with self._lock:
            worker = threading.Thread(target=generate, name="aisle-generate", daemon=True)
            worker.start()
            try:
                for text in streamer:
                    if text:
                        yield text
            finally:
                cancelled.set()
                worker.join()
        if failure:
            raise failure[0]


Backend = Literal["llama-cpp", "transformers"]
BACKENDS: tuple[Backend, ...] = ("llama-cpp", "transformers")


def load_chat_model(
    name: str,
    cache_dir: Path,
    threads: int = 2,
    adapter: Path | None = None,
    backend: Backend = "llama-cpp",
    slots: int = 8,
    url: str | None = None,
    api_key: str | None = None,
    listen: tuple[str, int] = ("127.0.0.1", 0),
) -> ChatModel:
    """Load the dialogue model called `name` (one of MODELS), with a LoRA `adapter` folder
    (from `aisle finetune`) applied when given, run by `backend`: llama-cpp (the default: the
    verified GGUF in llama.cpp's server, `slots` answers at once; the adapter's `adapter.gguf`
    is merged into a copy of the GGUF once, cached in `cache_dir`, about 10 s) or transformers
    (the reference: the adapter merged at load; bf16 only on a CPU with native bf16). With `url`,
    the model is whatever the OpenAI-compatible server there serves (`name` only labels it), and
    `api_key` is sent to it. The llama-cpp backend also serves the OpenAI protocol on `listen`
    (host, port; port 0: a free one), behind `api_key` (default: a random one).
    Slow: call once per process.

    Raises:
        ModelUnavailableError: unknown model, its packages not installed, no adapter in the folder
            (or, for llama-cpp, no `adapter.gguf` in it), an adapter trained on another model, or
            backend transformers for a model that runs on llama.cpp only (qwen2.5-1.5b).
        EngineUnavailableError: backend llama-cpp, but the llama.cpp runtime isn't installed.
    """
    if url is not None:
        from agent.remote_llm import RemoteChatModel

        return RemoteChatModel(url, name=name, api_key=api_key)
    if name not in MODELS:
        raise ModelUnavailableError(f"unknown dialogue model {name!r}; choose one of: {', '.join(MODELS)}")
    label = name
    if adapter is not None:
        base = adapter_base(adapter)
        if base != name:
            raise ModelUnavailableError(
                f"the adapter in {adapter} was trained on {base!r}, not {name!r}; "
                f"set AISLE_LLM={base} or choose another AISLE_ADAPTER"
            )
        label = f"{name}+{adapter.name}"
    if backend == "llama-cpp":
        from agent.gguf_merge import merged_gguf
        from agent.llamacpp import GGUF_ADAPTER, LlamaCppChatModel

        gguf = gguf_file(MODELS[name], cache_dir)
        if adapter is not None:
            lora = adapter / GGUF_ADAPTER
            if not lora.exists():
                raise ModelUnavailableError(
                    f"{adapter} has no {GGUF_ADAPTER} for llama.cpp; run `make gguf-adapter ADAPTER={adapter}` "
                    "or use AISLE_BACKEND=transformers"
                )
            # Merged into a cached copy of the GGUF once: applied at run time, the LoRA makes
            # every token about 10% slower to decode (agent/gguf_merge.py).
            gguf = merged_gguf(gguf, lora, cache_dir)
        host, port = listen
        return LlamaCppChatModel(gguf, name=label, threads=threads, slots=slots, host=host, port=port, api_key=api_key)
    if MODELS[name].llama_cpp_only:
        raise ModelUnavailableError(
            f"{name} runs on the llama-cpp backend only ({MODELS[name].llama_cpp_only}); "
            "set AISLE_BACKEND=llama-cpp (the default; `make install` provides its engine) "
            "or choose a smaller AISLE_LLM such as qwen2.5-0.5b"
        )
    return TransformersChatModel(bf16_folder(MODELS[name], cache_dir), name=label, threads=threads, adapter=adapter)
