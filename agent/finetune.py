"""LoRA fine-tuning of the dialogue model on CPU (peft + transformers), seeded and resumable.

The base weights are the cached bf16 copy (`model_files.bf16_folder`), loaded in float32 and
run under bfloat16 autocast: measured 7.1 s per step for batch 4 x 256 tokens on 2 cores,
half the fp32 time. Only the LoRA matrices (rank 16 on the attention projections q/k/v/o)
train; the loss counts the answer tokens only, so the model learns to answer, not to
repeat prompts.

Determinism: the batch order of every epoch is a seeded permutation and dropout is reseeded
at each step from (seed, step), so a run resumed from a checkpoint takes exactly the steps
the uninterrupted run would have taken.

Example:
    >>> result = finetune(FinetuneConfig(model="smollm2-135m", steps=3), train, validation,
    ...                   cache_dir=Path(".aisle/models"), out_dir=Path("/tmp/adapter"))
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agent.errors import ModelUnavailableError
from agent.loss_plot import loss_curve_svg
from agent.model_files import ADAPTER_FILE, MODELS, bf16_folder
from agent.training_data import DialogueExample

# Adapters shipped in the repository, per base model (AISLE_ADAPTER=auto uses them).
LOG_FILE = "training_log.json"
_CHECKPOINT = "checkpoint"


@dataclass(frozen=True)
class FinetuneConfig:
    """One training run. The defaults are the shipped adapter's run."""

    model: str = "qwen2.5-0.5b"
    steps: int = 56
    batch_size: int = 2
    max_tokens: int = 576
    learning_rate: float = 3e-4
    warmup_steps: int = 5
    lora_rank: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    seed: int = 7
    save_every: int = 8
    eval_examples: int = 8
    threads: int = 2


@dataclass
class TrainingLog:
    """What `training_log.json` holds: the config, the data's fingerprints and the losses."""

    config: dict[str, Any]
    data: dict[str, Any]
    losses: list[float] = field(default_factory=list)
    step_seconds: list[float] = field(default_factory=list)
    validation_loss: dict[str, float] = field(default_factory=dict)  # "before" / "after"
    finished: bool = False

    def record(self, loss: float, seconds: float) -> None:
        self.losses.append(round(loss, 4))
        self.step_seconds.append(round(seconds, 2))


@dataclass(frozen=True)
class FinetuneResult:
    adapter_dir: Path
    log: TrainingLog


def _encode(tokenizer: Any, example: DialogueExample, max_tokens: int) -> tuple[list[int], list[int]] | None:
    """(input ids, labels) with the prompt masked out; None when the example is too long."""
    messages = [{"role": m.role, "content": m.content} for m in example.messages]
    prompt = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
    full = tokenizer.apply_chat_template(
        [*messages, {"role": "assistant", "content": example.answer}], tokenize=True, return_dict=True
    )
    prompt_ids, ids = list(prompt["input_ids"]), list(full["input_ids"])
    # Some templates end the assistant turn with a newline after the end token: drop it,
    # the end token is what teaches the model to stop.
    while len(ids) > len(prompt_ids) and ids[-1] != tokenizer.eos_token_id and tokenizer.decode(ids[-1:]).isspace():
        ids.pop()
    if ids[: len(prompt_ids)] != prompt_ids or len(ids) > max_tokens:
        return None
    return ids, [-100] * len(prompt_ids) + ids[len(prompt_ids) :]


def _collate(torch: Any, rows: Sequence[tuple[list[int], list[int]]], pad_id: int) -> dict[str, Any]:
    # Widths in steps of 32 keep the number of distinct shapes (and kernel warm-ups) small.
    width = -(-max(len(ids) for ids, _ in rows) // 32) * 32
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for row, (tokens, targets) in enumerate(rows):
        ids[row, : len(tokens)] = torch.tensor(tokens)
        labels[row, : len(targets)] = torch.tensor(targets)
        mask[row, : len(tokens)] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def batch_indices(count: int, batch_size: int, step: int, seed: int) -> list[int]:
    """The examples of step `step` (0-based): epoch-wise seeded permutations, laid end to end."""
    per_epoch = count // batch_size
    epoch, offset = divmod(step, per_epoch)
    order = list(range(count))
    random.Random(seed * 1_000_003 + epoch).shuffle(order)
    return order[offset * batch_size : (offset + 1) * batch_size]


def _learning_rate(config: FinetuneConfig, step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < config.warmup_steps:
        return config.learning_rate * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, config.steps - config.warmup_steps)
    return config.learning_rate * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def _validation_loss(
    torch: Any, model: Any, rows: Sequence[tuple[list[int], list[int]]], config: FinetuneConfig, pad: int
) -> float:
    model.eval()
    total, tokens = 0.0, 0
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for start in range(0, len(rows), config.batch_size):
            batch = _collate(torch, rows[start : start + config.batch_size], pad)
            count = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch).loss) * count
            tokens += count
    model.train()
    return round(total / max(tokens, 1), 4)


def _load_for_training(config: FinetuneConfig, cache_dir: Path) -> tuple[Any, Any]:
    """The tokenizer and the base model (float32, for bf16 autocast) with fresh, seeded LoRA layers."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if config.model not in MODELS:
        raise ModelUnavailableError(f"unknown dialogue model {config.model!r}; choose one of: {', '.join(MODELS)}")
    folder = bf16_folder(MODELS[config.model], cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    torch.manual_seed(config.seed)
    base = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32)
    lora = LoraConfig(
        r=config.lora_rank,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=list(config.target_modules),
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(base, lora)
    model.config.use_cache = False
    return tokenizer, model


def _encode_all(
    tokenizer: Any, train: Sequence[DialogueExample], validation: Sequence[DialogueExample], config: FinetuneConfig
) -> tuple[list[tuple[list[int], list[int]]], list[tuple[list[int], list[int]]]]:
    """Encoded training rows, and a seeded sample of `eval_examples` validation rows."""
    rows = [row for row in (_encode(tokenizer, e, config.max_tokens) for e in train) if row is not None]
    held = [row for row in (_encode(tokenizer, e, config.max_tokens) for e in validation) if row is not None]
    picked = sorted(random.Random(config.seed).sample(range(len(held)), min(config.eval_examples, len(held))))
    if len(rows) < config.batch_size:
        raise ValueError(f"only {len(rows)} training examples fit in {config.max_tokens} tokens; need a batch")
    return rows, [held[i] for i in picked]


def _restore(checkpoint: Path, model: Any, optimizer: Any) -> tuple[TrainingLog, int]:
    import torch
    from peft import set_peft_model_state_dict

    if not (checkpoint / "state.pt").exists():
        raise ModelUnavailableError(f"no checkpoint to resume from in {checkpoint}; run without --resume")
    state = torch.load(checkpoint / "state.pt", weights_only=False)
    set_peft_model_state_dict(model, state["adapter"])
    optimizer.load_state_dict(state["optimizer"])
    return TrainingLog(**state["log"]), int(state["step"])


def finetune(
    config: FinetuneConfig,
    train: Sequence[DialogueExample],
    validation: Sequence[DialogueExample],
    cache_dir: Path,
    out_dir: Path,
    data_info: dict[str, Any] | None = None,
    resume: bool = False,
    progress: bool = True,
    stop_after: int | None = None,
    on_step: Callable[[int, float], None] | None = None,
) -> FinetuneResult:
    """Train a LoRA adapter and save it to `out_dir` (adapter + `training_log.json`).

    Checkpoints (adapter, optimizer, log) go to `out_dir/checkpoint` every `save_every`
    steps; `resume=True` continues from there. `stop_after` ends the run early after that
    many steps in total, leaving a checkpoint (for tests and for splitting a long run).

    Raises:
        ModelUnavailableError: unknown model, or nothing to resume from when asked to.
    """
    import torch
    from peft import get_peft_model_state_dict
    from tqdm import tqdm

    torch.set_num_threads(config.threads)
    tokenizer, model = _load_for_training(config, cache_dir)
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    rows, held = _encode_all(tokenizer, train, validation, config)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)

    checkpoint = out_dir / _CHECKPOINT
    log = TrainingLog(
        config={**asdict(config), "target_modules": list(config.target_modules), "train_examples": len(rows)},
        data=data_info or {},
    )
    start = 0
    if resume:
        log, start = _restore(checkpoint, model, optimizer)
    elif config.eval_examples:
        log.validation_loss["before"] = _validation_loss(torch, model, held, config, pad)

    def save_checkpoint(step: int) -> None:
        checkpoint.mkdir(parents=True, exist_ok=True)
        tmp = checkpoint / "state.pt.tmp"
        torch.save(
            {
                "adapter": get_peft_model_state_dict(model),
                "optimizer": optimizer.state_dict(),
                "log": asdict(log),
                "step": step,
            },
            tmp,
        )
        tmp.replace(checkpoint / "state.pt")

    end = config.steps if stop_after is None else min(config.steps, stop_after)
    model.train()
    bar = tqdm(range(start, end), initial=start, total=config.steps, disable=not progress, desc="fine-tuning")
    for step in bar:
        began = time.perf_counter()
        optimizer.param_groups[0]["lr"] = _learning_rate(config, step)
        torch.manual_seed(config.seed * 7919 + step)  # dropout masks depend on the step only
        batch = _collate(torch, [rows[i] for i in batch_indices(len(rows), config.batch_size, step, config.seed)], pad)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        value = loss.item()
        log.record(value, time.perf_counter() - began)
        bar.set_postfix(loss=f"{value:.3f}")
        if on_step is not None:
            on_step(step + 1, value)
        if (step + 1) % config.save_every == 0 or step + 1 == end:
            save_checkpoint(step + 1)

    if end == config.steps:
        if config.eval_examples:
            log.validation_loss["after"] = _validation_loss(torch, model, held, config, pad)
        log.finished = True
        _save_adapter(model, config.model, out_dir)
        shutil.rmtree(checkpoint, ignore_errors=True)
    _write_log(log, out_dir)
    return FinetuneResult(adapter_dir=out_dir, log=log)


def _write_log(log: TrainingLog, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / LOG_FILE).write_text(json.dumps(asdict(log), indent=1) + "\n", encoding="utf-8")
    (out_dir / "loss.svg").write_text(loss_curve_svg(log.losses), encoding="utf-8")


def _save_adapter(model: Any, base_name: str, out_dir: Path) -> None:
    """adapter_config.json naming our model (not a cache path) and the LoRA weights in bf16:
    half the size of fp32, and the app merges them into bf16 weights anyway."""
    import torch
    from safetensors.torch import load_file, save_file

    model.peft_config["default"].base_model_name_or_path = base_name
    model.save_pretrained(out_dir)
    weights = out_dir / ADAPTER_FILE
    tensors = {name: tensor.to(torch.bfloat16).contiguous() for name, tensor in load_file(weights).items()}
    save_file(tensors, weights, metadata={"format": "pt"})
    (out_dir / "README.md").unlink(missing_ok=True)  # peft's placeholder card; ours is written separately
