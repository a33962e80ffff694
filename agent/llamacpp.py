"""The fast backend: the same GGUF weights run by llama.cpp (llama-cpp-python), 4x the decode
speed of transformers bf16 here (56 vs 14 tokens/s for Qwen 0.5B, ../shared/MODELS.md).

llama-cpp-python has no wheel for this machine: `make fast` compiles it (about 3.5 min) and
fetches llama.cpp's LoRA converter from the same source release. A fine-tuned adapter is a
GGUF LoRA (`adapter.gguf` in the adapter folder, written by `make gguf-adapter`):
`load_chat_model` merges it into a cached copy of the base GGUF (agent/gguf_merge.py), which
runs at the base's speed. Passing `adapter` here applies it at run time instead, more slowly;
the tests check the merged model against that.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from agent.errors import ModelUnavailableError
from agent.llm import ChatMessage

GGUF_ADAPTER = "adapter.gguf"


class LlamaCppChatModel:
    """A GGUF chat model run by llama.cpp on the CPU, greedy, one generation at a time.

    llama.cpp keeps the keys/values of the previous prompt and reuses its longest common
    prefix, so the system prompt is not recomputed turn after turn.

    Example:
        >>> model = LlamaCppChatModel(Path(".aisle/models/qwen2.5-0.5b.gguf"), name="qwen2.5-0.5b")
        >>> "".join(model.stream([ChatMessage("user", "Say hi")], max_new_tokens=8))
    """

    def __init__(
        self, gguf: Path, name: str, threads: int = 2, adapter: Path | None = None, context: int = 2048
    ) -> None:
        try:
            from llama_cpp import Llama
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise ModelUnavailableError(
                "AISLE_BACKEND=llama-cpp needs llama-cpp-python; run `make fast` (compiles it, about 3.5 min)"
            ) from exc
        lora = None
        if adapter is not None:
            lora = adapter / GGUF_ADAPTER
            if not lora.exists():
                raise ModelUnavailableError(
                    f"{adapter} has no {GGUF_ADAPTER} for llama.cpp; run `make gguf-adapter ADAPTER={adapter}` "
                    "or use AISLE_BACKEND=transformers"
                )
        self.name = name
        self._llama = Llama(
            model_path=str(gguf),
            n_ctx=context,
            n_threads=threads,
            n_threads_batch=threads,
            lora_path=str(lora) if lora else None,
            verbose=False,
        )
        metadata = self._llama.metadata
        self._eos = self._llama.token_eos()
        self._eos_text = self._llama.detokenize([self._eos], special=True).decode("utf-8", errors="ignore")
        # Chat templates end a turn with their own token (Qwen: <|im_end|>), not always the EOS.
        self._stops = {
            t
            for marker in ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")
            for t in self._llama.tokenize(marker.encode(), add_bos=False, special=True)[-1:]
            if self._llama.detokenize([t], special=True).decode("utf-8", errors="ignore") == marker
        }
        self._format = Jinja2ChatFormatter(
            template=metadata["tokenizer.chat_template"], eos_token=self._eos_text, bos_token=""
        )
        self._lock = threading.Lock()

    def _prompt(self, messages: Sequence[ChatMessage]) -> list[int]:
        text = self._format(messages=[{"role": m.role, "content": m.content} for m in messages]).prompt
        return self._llama.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self._prompt(messages))

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        tokens = self._prompt(messages)
        with self._lock:
            pending = b""
            produced = 0
            # reset=True reuses the cached keys/values of the longest prefix shared with the last prompt.
            generator: Any = self._llama.generate(tokens, temp=0.0, top_k=1, repeat_penalty=1.0, reset=True)
            for token in generator:
                if token == self._eos or token in self._stops:
                    break
                pending += self._llama.detokenize([token], prev_tokens=tokens)
                tokens = [*tokens, token]
                produced += 1
                try:
                    text = pending.decode("utf-8")
                except UnicodeDecodeError:
                    if produced < max_new_tokens:
                        continue  # a character split across tokens: wait for its other bytes
                    text = pending.decode("utf-8", errors="ignore")
                pending = b""
                if text:
                    yield text
                if produced >= max_new_tokens:
                    break
