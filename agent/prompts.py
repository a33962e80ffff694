"""Prompt templates (agent/prompts/*.txt), filled strictly: a missing value fails loudly."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from string import Template

from agent.intents import Intent
from agent.language import Language
from agent.llm import ChatMessage
from agent.pii import redact
from agent.sources import SourceList
from knowledge import Message

_FOLDER = Path(__file__).parent / "prompts"
_LANGUAGES = {"en": "English", "zh": "Chinese (简体中文)"}
_TASKS: dict[str, str] = {
    "product": "Answer the shopper's question about these products.",
    "recommendation": "Recommend up to three of these products by name, each with its price, a few words on why "
    "it fits, and its source number.",
    "order": "Answer the shopper's question about their order.",
    "policy": "Answer the shopper's question from the store policy.",
    "chitchat": "Reply briefly and offer help with products, orders or store policies.",
}
# A follow-up's context: the last exchange is enough.
_HISTORY_MESSAGES = 2
_HISTORY_CHARS = 300


def _template(name: str) -> Template:
    return Template((_FOLDER / name).read_text(encoding="utf-8"))


class PromptBuilder:
    """Builds the chat messages for one turn: system rules, recent history, sources and question."""

    def __init__(self, store_name: str) -> None:
        self._store_name = store_name
        self._system = _template("system.txt")
        self._turn = _template("turn.txt")

    def system_text(self, language: Language) -> str:
        return self._system.substitute(store_name=self._store_name, language=_LANGUAGES[language])

    def build(
        self, message: str, intent: Intent, sources: SourceList, history: Sequence[Message], language: Language
    ) -> list[ChatMessage]:
        messages = [ChatMessage("system", self.system_text(language))]
        for earlier in history[-_HISTORY_MESSAGES:]:
            role = "user" if earlier.role == "shopper" else "assistant"
            messages.append(ChatMessage(role, redact(earlier.text[:_HISTORY_CHARS])))
        # The shopper's own words reach the model without card numbers, e-mails or phone
        # numbers: no answer needs them, and the store's facts come from the sources.
        turn = self._turn.substitute(
            sources=sources.numbered() or "(none)", task=_TASKS.get(intent, _TASKS["product"]), message=redact(message)
        )
        messages.append(ChatMessage("user", turn))
        return messages
