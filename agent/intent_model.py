"""The intent of a message by a small classifier: logistic regression over its query embedding.

Measured with `python -m bench.intents` (437 labelled messages in English and Chinese,
bench/datasets/intents/): the rules of agent.intents reach macro-F1 0.64, mostly because
every message they do not recognise falls back to "product"; this classifier alone reaches
about 0.91 in cross-validation, and the rules kept wherever they name an intent, with the
classifier only in place of their "product" fallback, about 0.92. Use it that way:

    from agent.intent_model import IntentClassifier
    from agent.intents import route
    from retrieval import load_embedder

    embedder = load_embedder("e5-small")
    classifier = IntentClassifier(Path("bench/datasets/intents/messages.jsonl"), embedder)  # trains, ~6 s
    classifier.save(Path("intent_weights.npz"))                          # about 11 KB ...
    classifier = IntentClassifier.load(Path("intent_weights.npz"), embedder)  # ... loads in a millisecond

    routing = route(text)
    if routing.intent == "product":  # the rules' fallback: they did not recognise the message
        intent, probability = classifier.predict(text)
        # or, when the turn has already embedded the raw message with the same embedder:
        intent, probability = classifier.predict(text, vector=vector)

A classifier belongs to the embedder that trained it: its weights read that embedder's
vectors (both embedders here give 384 numbers, so only the name tells them apart; `load`
checks it). Training needs scikit-learn; predicting is numpy only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from agent.intents import INTENTS
from retrieval import Embedder

# Weights trained on bench/datasets/intents/messages.jsonl with e5-small (`make intent-weights`).
SHIPPED_WEIGHTS = Path(__file__).parent / "intent_weights.npz"
TRAINING_MESSAGES = Path(__file__).parent.parent / "bench" / "datasets" / "intents" / "messages.jsonl"

# Regularisation of the logistic regression: bench/intents.py searches 3-100 inside each
# training fold; macro-F1 is flat from 10 to 100 (0.91), lower at 3 and below.
DEFAULT_C = 10.0


class IntentClassifier:
    """Multinomial logistic regression over query vectors; trained at construction from a
    messages file (JSON lines with "text" and "intent", as bench/datasets/intents/messages.jsonl)."""

    _embedder: Embedder
    _intents: tuple[str, ...]
    _weights: np.ndarray  # (intents, dim)
    _bias: np.ndarray  # (intents,)

    def __init__(self, messages: Path, embedder: Embedder, c: float = DEFAULT_C) -> None:
        from sklearn.linear_model import LogisticRegression

        texts, labels = _read_messages(messages)
        vectors = np.vstack([embedder.embed_query(text) for text in texts])
        model = LogisticRegression(C=c, max_iter=3000).fit(vectors, labels)
        self._set(embedder, tuple(str(intent) for intent in model.classes_), model.coef_, model.intercept_)

    def _set(self, embedder: Embedder, intents: tuple[str, ...], weights: np.ndarray, bias: np.ndarray) -> None:
        self._embedder = embedder
        self._intents = intents
        self._weights = np.asarray(weights, dtype=np.float32)
        self._bias = np.asarray(bias, dtype=np.float32)

    @classmethod
    def load(cls, path: Path, embedder: Embedder) -> IntentClassifier:
        """Weights saved by `save`, for the same embedder (raises ValueError otherwise)."""
        with np.load(path, allow_pickle=False) as data:
            trained_with = str(data["embedder"])
            if trained_with != embedder.name:
                raise ValueError(f"{path} was trained on {trained_with!r} vectors, not {embedder.name!r}")
            intents = tuple(str(intent) for intent in data["intents"])
            weights, bias = data["weights"], data["bias"]
        unknown = set(intents) - set(INTENTS)
        if unknown or weights.shape != (len(intents), embedder.dim) or bias.shape != (len(intents),):
            raise ValueError(f"{path}: not intent weights for {embedder.name!r} ({weights.shape}, {sorted(unknown)})")
        classifier = cls.__new__(cls)  # no training: the weights are given
        classifier._set(embedder, intents, weights, bias)
        return classifier

    def save(self, path: Path) -> None:
        """The weights (a few KB), to `load` instead of training again."""
        np.savez(
            path,
            weights=self._weights,
            bias=self._bias,
            intents=np.array(self._intents),
            embedder=np.array(self._embedder.name),
        )

    def predict(self, text: str, vector: np.ndarray | None = None) -> tuple[str, float]:
        """(intent, probability) for the message. `vector`: its query embedding, when the turn
        already has one (`embedder.embed_query(text)` of this classifier's embedder)."""
        if vector is None:
            vector = self._embedder.embed_query(text)
        logits = self._weights @ np.asarray(vector, dtype=np.float32) + self._bias
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = int(np.argmax(probabilities))
        return self._intents[best], float(probabilities[best])


def _read_messages(path: Path) -> tuple[list[str], list[str]]:
    texts, labels = [], []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("intent") not in INTENTS or not str(row.get("text", "")).strip():
                raise ValueError(f"{path}:{number}: needs a text and one of the intents {', '.join(INTENTS)}")
            texts.append(row["text"])
            labels.append(row["intent"])
    return texts, labels
