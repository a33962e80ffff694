"""A chat model that says what the test tells it to.

Only for feeding a known answer (say, one with a wrong price) into the code around the
model (the grounding check, the streaming, the storage); never in place of the model
when the model's own answer is what a test judges.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import date

from agent import Assistant, ChatMessage
from ui.services import THRESHOLDS, Services


class ScriptedChatModel:
    name = "scripted"

    def __init__(self, *replies: str) -> None:
        self._replies = list(replies)
        self.prompts: list[list[ChatMessage]] = []

    def stream(self, messages: Sequence[ChatMessage], max_new_tokens: int = 160) -> Iterator[str]:
        self.prompts.append(list(messages))
        reply = self._replies.pop(0) if len(self._replies) > 1 else self._replies[0]
        # Word by word, as a real model streams.
        yield from re.findall(r"\S+\s*", reply)

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        return sum(len(m.content.split()) for m in messages)


def scripted_assistant(services: Services, model: ScriptedChatModel, today: date) -> Assistant:
    """The assistant over `services`' store, wired as the server wires it, around `model`."""
    return Assistant(
        services.db,
        services.conversations,
        services.products,
        services.policies,
        model,
        store_name="Aisle Demo Store",
        thresholds=THRESHOLDS[services.embedder.name],
        profiles=services.profiles,
        recommender=services.recommender,
        today=lambda: today,
    )
