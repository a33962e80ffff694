"""The fast backend: the same GGUF weights run by llama.cpp (llama-cpp-python), 4x the decode
speed of transformers bf16 here (56 vs 14 tokens/s for Qwen 0.5B, ../shared/MODELS.md), and
several shoppers' answers written at once.

llama-cpp-python has no wheel for this machine: `make fast` compiles it (about 3.5 min) and
fetches llama.cpp's LoRA converter from the same source release. A fine-tuned adapter is a
GGUF LoRA (`adapter.gguf` in the adapter folder, written by `make gguf-adapter`):
`load_chat_model` merges it into a cached copy of the base GGUF (agent/gguf_merge.py), which
runs at the base's speed. Passing `lora` here applies it at run time instead, more slowly;
the tests check the merged model against that.

Why batching: one answer at a time made the eighth of eight shoppers wait for seven answers
(first token p95 14.1 s, bench/results/load.json). Here one engine thread keeps up to `slots`
answers in flight in one llama.cpp context: each step decodes one token for every answer
being written plus the oldest waiting prompt, so a new question starts within a step or two
instead of after the queue. Measured on 2 cores, Qwen 0.5B Q4_K_M: one token per step 21 ms,
eight 93 ms (85 tokens/s together vs 48 alone). Prompt processing is compute-bound (about
200 tokens/s past the cached system prompt) and is what a burst of questions still waits for.
"""

from __future__ import annotations

import codecs
import ctypes
import functools
import itertools
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import SimpleQueue
from types import ModuleType

from agent.errors import ModelUnavailableError
from agent.llm import ChatMessage

GGUF_ADAPTER = "adapter.gguf"
# Tokens evaluated per step at most: a newcomer's prompt (about 400 tokens here) fits in one.
_STEP_TOKENS = 512
# Tokens an answer writes before the next waiting prompt is read: its first word or two.
_HEAD_START = 3
_FINISHED = object()  # sentinel on a request's output queue
_ARRIVALS = itertools.count()


@dataclass(eq=False)
class _Request:
    """One answer to write: its prompt, its limit, and where its text goes."""

    prompt: list[int]
    max_new_tokens: int
    out: SimpleQueue = field(default_factory=SimpleQueue)  # str pieces, then _FINISHED or an exception
    cancelled: bool = False
    order: int = field(default_factory=lambda: next(_ARRIVALS))  # first come, first read


@dataclass(eq=False)
class _Slot:
    """One llama.cpp sequence: the tokens whose keys/values it holds and the answer it writes."""

    seq: int
    cached: list[int] = field(default_factory=list)
    request: _Request | None = None
    todo: list[int] = field(default_factory=list)  # prompt tokens not evaluated yet
    produced: int = 0
    text: codecs.IncrementalDecoder = field(default_factory=lambda: codecs.getincrementaldecoder("utf-8")("ignore"))


def _evaluated(slot: _Slot) -> int:
    """How many of the slot's tokens are in the cache: a writing slot's last token is fed next step."""
    return len(slot.cached) - 1 if slot.request is not None and not slot.todo else len(slot.cached)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class LlamaCppChatModel:
    """A GGUF chat model run by llama.cpp on the CPU, greedy, up to `slots` answers at once.

    Every slot keeps the keys/values of its last prompt; a new prompt starts from the slot
    (or a copy of the slot) sharing its longest prefix, so the system prompt is computed once.

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
    ) -> None:
        try:
            import llama_cpp
            import numpy as np
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:
            raise ModelUnavailableError(
                "AISLE_BACKEND=llama-cpp needs llama-cpp-python; run `make fast` (compiles it, about 3.5 min)"
            ) from exc
        self.name = name
        self._context = context
        self._lib, self._np = llama_cpp, np
        llama_cpp.llama_backend_init()
        # llama.cpp's load-time chatter would flood the server log; failures surface as exceptions.
        llama_cpp.llama_log_set(_silence(llama_cpp), ctypes.c_void_p())
        self._model = llama_cpp.llama_model_load_from_file(str(gguf).encode(), llama_cpp.llama_model_default_params())
        if not self._model:
            raise ModelUnavailableError(f"llama.cpp could not load {gguf}")
        self._vocab = llama_cpp.llama_model_get_vocab(self._model)
        self._n_vocab = llama_cpp.llama_vocab_n_tokens(self._vocab)
        params = llama_cpp.llama_context_default_params()
        # One cache for all slots: a shared prefix is stored once and copied between slots for free.
        params.n_ctx, params.n_seq_max, params.kv_unified = context * slots, slots, True
        params.n_batch = params.n_ubatch = _STEP_TOKENS
        params.n_threads = params.n_threads_batch = threads
        self._ctx = llama_cpp.llama_init_from_model(self._model, params)
        if not self._ctx:
            raise ModelUnavailableError(f"llama.cpp could not create a context for {gguf}")
        if lora is not None:
            self._lora = llama_cpp.llama_adapter_lora_init(self._model, str(lora).encode())
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._lora)
            scales = (ctypes.c_float * 1)(1.0)
            llama_cpp.llama_set_adapters_lora(self._ctx, adapters, 1, scales)
        self._memory = llama_cpp.llama_get_memory(self._ctx)
        self._batch = llama_cpp.llama_batch_init(_STEP_TOKENS, 0, 1)
        template = self._metadata("tokenizer.chat_template")
        eos = self._piece(llama_cpp.llama_vocab_eos(self._vocab), special=True).decode("utf-8", "ignore")
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
        self._slots = [_Slot(seq) for seq in range(slots)]
        self._waiting: deque[_Request] = deque()
        self._wake = threading.Condition()
        self._tokenize_lock = threading.Lock()
        threading.Thread(target=self._run, name=f"llama.cpp {name}", daemon=True).start()

    # --- tokens ----------------------------------------------------------------------------

    def _metadata(self, key: str) -> str:
        size = self._lib.llama_model_meta_val_str(self._model, key.encode(), None, 0)
        if size < 0:
            raise ModelUnavailableError(f"the GGUF has no {key}")
        buffer = ctypes.create_string_buffer(size + 1)
        self._lib.llama_model_meta_val_str(self._model, key.encode(), buffer, size + 1)
        return buffer.value.decode("utf-8")

    def _piece(self, token: int, special: bool = False) -> bytes:
        buffer = ctypes.create_string_buffer(64)
        n = self._lib.llama_token_to_piece(self._vocab, token, buffer, 64, 0, special)
        if n < 0:
            buffer = ctypes.create_string_buffer(-n)
            n = self._lib.llama_token_to_piece(self._vocab, token, buffer, -n, 0, special)
        return buffer.raw[:n]

    def _prompt(self, messages: Sequence[ChatMessage]) -> list[int]:
        text = self._format(messages=[{"role": m.role, "content": m.content} for m in messages]).prompt
        data = text.encode("utf-8")
        tokens = (self._lib.llama_token * (len(data) + 8))()
        with self._tokenize_lock:
            n = self._lib.llama_tokenize(self._vocab, data, len(data), tokens, len(tokens), False, True)
        return list(tokens[:n])

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return len(self._prompt(messages))

    # --- the shopper-facing side -----------------------------------------------------------

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        prompt = self._prompt(messages)
        if len(prompt) + max_new_tokens > self._context:
            raise ModelUnavailableError(
                f"the prompt has {len(prompt)} tokens; with {max_new_tokens} to write it exceeds the model's "
                f"context of {self._context}"
            )
        request = _Request(prompt, max_new_tokens)
        with self._wake:
            self._waiting.append(request)
            self._wake.notify()
        try:
            while (item := request.out.get()) is not _FINISHED:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            # The reader stopped early (a closed stream, an exception): free the slot for others.
            request.cancelled = True

    # --- the engine thread -----------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                with self._wake:
                    self._admit()
                    while not any(slot.request for slot in self._slots):
                        self._wake.wait()
                        self._admit()
                self._step()
            except Exception as exc:  # never leave a reader waiting on a dead engine
                for slot in self._slots:
                    if slot.request is not None:
                        self._forget(slot)
                        self._finish(slot, ModelUnavailableError(f"llama.cpp failed: {exc}"))

    def _admit(self) -> None:
        """Give waiting requests free slots, each starting from the longest cached prefix."""
        while self._waiting and (free := [s for s in self._slots if s.request is None]):
            request = self._waiting.popleft()
            if request.cancelled:
                continue
            shared = {s.seq: _common_prefix(s.cached[: _evaluated(s)], request.prompt) for s in self._slots}
            slot = max(free, key=lambda s: shared[s.seq])
            donor = max(self._slots, key=lambda s: shared[s.seq])
            # At least one prompt token is evaluated: its logits give the first answer token.
            keep, own = min(shared[donor.seq], len(request.prompt) - 1), shared[slot.seq]
            slot.request, slot.produced = request, 0  # from here on, a failure reaches its reader
            slot.text = codecs.getincrementaldecoder("utf-8")("ignore")
            if donor is not slot and keep > own:
                self._forget(slot)
                self._lib.llama_memory_seq_cp(self._memory, donor.seq, slot.seq, 0, keep)
            else:
                keep = min(keep, own)
                self._lib.llama_memory_seq_rm(self._memory, slot.seq, keep, -1)
            slot.cached, slot.todo = request.prompt[:keep], request.prompt[keep:]

    def _forget(self, slot: _Slot) -> None:
        self._lib.llama_memory_seq_rm(self._memory, slot.seq, 0, -1)
        slot.cached = []

    def _finish(self, slot: _Slot, end: object = _FINISHED) -> None:
        if slot.request is not None:
            tail = slot.text.decode(b"", final=True)
            if tail and end is _FINISHED:
                slot.request.out.put(tail)
            slot.request.out.put(end)
        slot.request, slot.todo = None, []

    def _step(self) -> None:
        """Evaluate one batch: a token for every answer being written, then newcomers' prompts."""
        for slot in self._slots:
            if slot.request is not None and slot.request.cancelled:
                slot.cached = slot.cached[: _evaluated(slot)]
                self._finish(slot)
        n, rows = self._fill_batch()
        if n == 0:
            return
        self._batch.n_tokens = n
        status = self._lib.llama_decode(self._ctx, self._batch)
        if status == 1:  # no room in the cache: drop idle slots' caches and try once more
            for slot in self._slots:
                if slot.request is None:
                    self._forget(slot)
            status = self._lib.llama_decode(self._ctx, self._batch)
        if status != 0:
            raise RuntimeError(f"llama_decode returned {status}")
        for index, slot in rows:
            self._emit(slot, self._argmax(index))

    def _fill_batch(self) -> tuple[int, list[tuple[int, _Slot]]]:
        """Put the step's tokens in the batch; returns their count and the rows whose logits pick
        a slot's next token. Answers being written go first (one token each), then the oldest
        waiting prompt."""
        n, rows = 0, []
        busy = [s for s in self._slots if s.request is not None]
        for slot in (s for s in busy if not s.todo):
            self._add(n, slot.cached[-1], len(slot.cached) - 1, slot.seq, True)
            rows.append((n, slot))
            n += 1
        reading = sorted((s for s in busy if s.todo), key=lambda s: s.request.order)  # type: ignore[union-attr]
        # One prompt per step: the oldest question gets its first token before the next one's
        # prompt is read (together they would both wait for both), and answers keep flowing.
        # An answer just begun first gets a few quick steps of its own (tens of ms each, a
        # prompt step takes about a second): enough for its first words to reach the shopper.
        if any(s.produced < _HEAD_START for s in busy if not s.todo):
            reading = []
        for slot in reading[:1]:
            take = slot.todo[: _STEP_TOKENS - n]
            for i, token in enumerate(take):
                last = i == len(take) - 1 and len(take) == len(slot.todo)
                self._add(n, token, len(slot.cached) + i, slot.seq, last)
                if last:
                    rows.append((n, slot))
                n += 1
            slot.cached, slot.todo = slot.cached + take, slot.todo[len(take) :]
        return n, rows

    def _add(self, index: int, token: int, position: int, seq: int, logits: bool) -> None:
        batch = self._batch
        batch.token[index], batch.pos[index], batch.logits[index] = token, position, logits
        batch.n_seq_id[index], batch.seq_id[index][0] = 1, seq

    def _argmax(self, index: int) -> int:
        logits = self._lib.llama_get_logits_ith(self._ctx, index)
        return int(self._np.ctypeslib.as_array(logits, shape=(self._n_vocab,)).argmax())

    def _emit(self, slot: _Slot, token: int) -> None:
        request = slot.request
        assert request is not None
        if self._lib.llama_vocab_is_eog(self._vocab, token):
            self._finish(slot)
            return
        # The new token's keys/values are computed next step, when it is fed back in.
        slot.cached = [*slot.cached, token]
        slot.produced += 1
        text = slot.text.decode(self._piece(token))
        if text:
            request.out.put(text)
        if slot.produced >= request.max_new_tokens or len(slot.cached) >= self._context:
            # The last token was never evaluated: the cache holds everything before it.
            slot.cached = slot.cached[:-1]
            self._finish(slot)


@functools.cache  # one callback, alive for as long as llama.cpp may call it
def _silence(llama_cpp: ModuleType) -> object:
    """A log callback that drops everything."""
    return llama_cpp.llama_log_callback(lambda level, text, data: None)
