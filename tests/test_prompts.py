"""What the model is given to read for a turn: every token of it is read before the first word
a shopper sees, so a prompt carries what the question needs and nothing else.

The model here is scripted: what is under test is the prompt the assistant builds around it.
"""

from __future__ import annotations

import re
from datetime import date

from agent import ChatMessage, FinalEvent, Shopper
from tests.scripted_model import ScriptedChatModel, scripted_assistant
from ui.services import Services

SOURCE_LINE = re.compile(r"^\[(\d+)\] ([^|]+?) \|", re.M)


def turns(demo: Services, *messages: str) -> tuple[ScriptedChatModel, FinalEvent]:
    """Ask `messages` in one new conversation; the model's prompts and the last final event."""
    model = ScriptedChatModel("Here is what I found [1].")
    assistant = scripted_assistant(demo, model, date(2026, 11, 24))
    shopper = Shopper(session_id="prompt-size-test")
    chat = demo.conversations.start(session_id=shopper.session_id)
    final = None
    for message in messages:
        final = list(assistant.reply(chat.id, message, shopper))[-1]
    assert isinstance(final, FinalEvent)
    return model, final


def source_titles(prompt: list[ChatMessage]) -> list[str]:
    return [title for _, title in SOURCE_LINE.findall(prompt[-1].content)]


def test_a_product_the_shopper_names_comes_without_others(demo: Services) -> None:
    model, final = turns(demo, "How much is the Realme X?")  # the search also finds the Realme XT
    assert source_titles(model.prompts[-1]) == ["Realme X"]
    assert [p.title for p in final.products] == ["Realme X"]


def test_earlier_turns_reach_the_model_only_for_a_follow_up(demo: Services) -> None:
    first, follow_up = "How much are the Beats Flex Wireless Earphones?", "is it in stock?"
    unrelated, naming_both = "How much is the iPhone X?", "Which is cheaper, the iPhone 6 or the iPhone X?"
    model, _ = turns(demo, first, follow_up, unrelated, naming_both)
    assert len(model.prompts) == 4
    on_follow_up = model.prompts[1]
    assert [m.role for m in on_follow_up] == ["system", "user", "assistant", "user"]
    assert on_follow_up[1].content == first
    assert source_titles(on_follow_up) == ["Beats Flex Wireless Earphones"]
    # "cheaper" leans on an earlier answer only when the message names nothing itself.
    for prompt, titles in ((model.prompts[2], ["iPhone X"]), (model.prompts[3], ["iPhone 6", "iPhone X"])):
        assert [m.role for m in prompt] == ["system", "user"]
        assert sorted(source_titles(prompt)) == titles


def test_a_recommendation_offers_each_product_once_and_at_most_three(demo: Services) -> None:
    model, final = turns(demo, "Can you recommend something like the Gray Dress under $52?")
    titles = source_titles(model.prompts[-1])
    assert 1 <= len(titles) <= 3
    assert len(set(titles)) == len(titles)
    ids = [p.id for p in final.products]
    assert len(set(ids)) == len(ids) <= 3
