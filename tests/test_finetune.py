"""Fine-tuning: the training data teaches the agent's own citation format, a run is
reproducible and resumable, and the app answers with or without an adapter.

Training here uses the SmolLM2 stand-in on a handful of short examples (seconds per step);
the shipped Qwen adapter's run is `aisle finetune` (README, "Fine-tuning").
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from safetensors.torch import load_file

import knowledge
from agent import (
    ChatMessage,
    DatasetConfig,
    DialogueExample,
    FinetuneConfig,
    GroundingCheck,
    ModelUnavailableError,
    build_dataset,
    finetune,
    load_chat_model,
    rebuild_sources,
)
from agent.grounding import unsupported_facts
from retrieval import Embedder
from tests.conftest import MODEL_CACHE
from ui.services import build_services
from ui.settings import Settings

STORE = knowledge.load_store_folder(knowledge.DEMO_STORE_DIR)
# Short examples (no sources) keep a SmolLM2 step to a few seconds.
QUICK = FinetuneConfig(
    model="smollm2-135m",
    steps=3,
    batch_size=2,
    max_tokens=320,
    learning_rate=5e-3,
    warmup_steps=1,
    save_every=1,
    eval_examples=0,
    threads=2,
)


def _short_examples() -> list:
    data = build_dataset(STORE, DatasetConfig(seed=3))
    return [e for e in data.train if e.kind in {"handoff", "injection"} and len(e.messages[-1].content) < 900][:8]


def test_training_data_is_the_same_for_the_same_seed_and_differs_for_another() -> None:
    first, again = build_dataset(STORE, DatasetConfig(seed=7)), build_dataset(STORE, DatasetConfig(seed=7))
    other = build_dataset(STORE, DatasetConfig(seed=8))
    assert [e.to_json() for e in first.train] == [e.to_json() for e in again.train]
    assert [e.to_json() for e in first.validation] == [e.to_json() for e in again.validation]
    assert [e.to_json() for e in first.train] != [e.to_json() for e in other.train]


def test_validation_asks_about_products_and_orders_training_never_showed() -> None:
    data = build_dataset(STORE, DatasetConfig(seed=7))
    titles = {p.id: p.title for p in STORE.products}

    def asked_about(example: DialogueExample) -> set[str]:
        question = example.messages[-1].content.rsplit("Shopper:", 1)[-1]
        if example.kind.startswith("order-"):
            return {example.sources[0].ref}
        return {
            s.ref for s in example.sources if f"the {titles[s.ref]}" in question or titles[s.ref] + "多" in question
        }

    subjects = {
        split: set().union(*(asked_about(e) for e in examples if e.kind.startswith(("product-", "order-"))))
        for split, examples in (("train", data.train), ("validation", data.validation))
    }
    assert subjects["validation"], "the validation split holds product and order questions"
    assert not subjects["train"] & subjects["validation"]
    behaviours = {e.behaviour for e in data.validation}
    assert {"answer", "not_carried", "refuse", "handoff"} <= behaviours


def test_gold_answers_cite_the_prompts_numbered_sources_and_state_only_their_facts() -> None:
    data = build_dataset(STORE, DatasetConfig(seed=7))
    for example in data.train + data.validation:
        prompt = example.messages[-1].content
        # The prompt is the agent's own: system rules first, then "Sources:" with [n] lines.
        assert example.messages[0].role == "system" and prompt.startswith("Sources:\n")
        shown = {int(n) for n in re.findall(r"^\[(\d+)\] ", prompt, re.M)}
        cited = {int(n) for n in re.findall(r"\[(\d+)\]", example.answer)}
        assert cited <= shown, example.id
        if example.behaviour == "answer":
            assert cited, f"{example.id} states facts without citing: {example.answer}"
        question = prompt.rsplit("Shopper:", 1)[-1]
        check = GroundingCheck(rebuild_sources(example, STORE), shopper_message=question, off_source="check")
        assert not unsupported_facts(example.answer, check), f"{example.id}: {example.answer}"


@pytest.fixture(scope="module")
def adapter(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny SmolLM2 adapter: 3 steps on short examples."""
    out = tmp_path_factory.mktemp("adapter")
    examples = _short_examples()
    finetune(QUICK, examples, examples[:2], cache_dir=MODEL_CACHE, out_dir=out, progress=False)
    return out


def test_finetune_writes_a_small_adapter_and_its_training_log(adapter: Path) -> None:
    log = json.loads((adapter / "training_log.json").read_text())
    assert log["finished"] and len(log["losses"]) == QUICK.steps
    assert json.loads((adapter / "adapter_config.json").read_text())["base_model_name_or_path"] == "smollm2-135m"
    weights = adapter / "adapter_model.safetensors"
    assert weights.stat().st_size < 5_000_000  # bf16 LoRA r16 on q/k/v/o of a 135M model: ~3.7 MB
    assert not (adapter / "checkpoint").exists()


def test_a_resumed_run_ends_where_the_uninterrupted_run_ends(adapter: Path, tmp_path: Path) -> None:
    examples = _short_examples()
    stopped = finetune(
        QUICK, examples, examples[:2], cache_dir=MODEL_CACHE, out_dir=tmp_path, progress=False, stop_after=2
    )
    assert not stopped.log.finished and (tmp_path / "checkpoint" / "state.pt").exists()
    resumed = finetune(
        QUICK, examples, examples[:2], cache_dir=MODEL_CACHE, out_dir=tmp_path, resume=True, progress=False
    )
    uninterrupted = json.loads((adapter / "training_log.json").read_text())
    assert resumed.log.losses == pytest.approx(uninterrupted["losses"], abs=1e-3)
    mine, theirs = load_file(tmp_path / "adapter_model.safetensors"), load_file(adapter / "adapter_model.safetensors")
    assert mine.keys() == theirs.keys()
    for name in mine:
        assert (mine[name].float() - theirs[name].float()).abs().max() < 1e-2, name


def test_resume_without_a_checkpoint_says_what_to_do(tmp_path: Path) -> None:
    examples = _short_examples()
    with pytest.raises(ModelUnavailableError, match="without --resume"):
        finetune(QUICK, examples, [], cache_dir=MODEL_CACHE, out_dir=tmp_path, resume=True, progress=False)


def test_the_app_loads_the_adapter_and_it_changes_the_answers(
    adapter: Path, embedder: Embedder, tmp_path: Path
) -> None:
    # A fresh `aisle finetune` adapter has no GGUF LoRA yet (`make gguf-adapter` makes one), so
    # the app serves it on the reference backend; the base answers there too, for comparison.
    settings = Settings(
        data_dir=tmp_path, llm="smollm2-135m", model_cache=MODEL_CACHE, adapter=str(adapter), backend="transformers"
    )
    smollm = load_chat_model("smollm2-135m", cache_dir=MODEL_CACHE, backend="transformers")
    services = build_services(settings, embedder=embedder)
    try:
        assert services.model is not None and services.model.name == f"smollm2-135m+{adapter.name}"
        question = [ChatMessage("user", "Can I talk to a real person please?")]
        tuned = "".join(services.model.stream(question, max_new_tokens=24))
        base = "".join(smollm.stream(question, max_new_tokens=24))
        assert tuned and base and tuned != base
    finally:
        services.close()


def test_without_an_adapter_the_app_serves_the_base_model(embedder: Embedder, tmp_path: Path) -> None:
    # No adapter ships for the stand-in model, so "auto" means none; "none" means none too.
    for choice in ("auto", "none"):
        settings = Settings(data_dir=tmp_path / choice, llm="smollm2-135m", model_cache=MODEL_CACHE, adapter=choice)
        assert settings.adapter_dir is None
    services = build_services(settings, embedder=embedder)
    try:
        assert services.model is not None and services.model.name == "smollm2-135m"
        assert "".join(services.model.stream([ChatMessage("user", "Say hi")], max_new_tokens=8)).strip()
    finally:
        services.close()


def test_a_wrong_adapter_setting_is_refused_with_what_to_change(adapter: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not an adapter folder"):
        Settings(data_dir=tmp_path, adapter=str(tmp_path / "missing"))
    with pytest.raises(ModelUnavailableError, match="trained on 'smollm2-135m'"):
        load_chat_model("qwen2.5-0.5b", cache_dir=MODEL_CACHE, adapter=adapter)
