"""The shopper chat page (Gradio, mounted at /chat).

Answers stream as they are written (and are corrected in place if the grounding check
changed them), product cards show under the conversation, follow-up questions are one
tap away, "Talk to a person" queues the conversation for staff, and a staff member's
reply appears within seconds. The conversation survives a page reload: its id and the
anonymous session id live in the browser's local storage. A store can open the page for
a signed-in shopper with `/chat?token=<signed shopper token>`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from html import escape
from typing import Any

import gradio as gr
from fastapi import HTTPException

from agent import ConversationNotFoundError, FinalEvent, Shopper, TokenEvent
from agent.sources import money
from knowledge import Message, Product
from ui.rate_limits import RateLimitedError
from ui.services import Services

_STAFF_PREFIX = "Support team: "
_WAITING_NOTE = "A member of our team will reply here."
_FOLLOW_UP_BUTTONS = 3
_HANDOFF_TEXT = "I want to talk to a person"

CHAT_CSS = """
#aisle-cards .cards { display: flex; gap: .75rem; flex-wrap: wrap; }
#aisle-cards .card {
  border: 1px solid #ddd; border-radius: .6rem; padding: .6rem .8rem; width: 13rem; background: #fff;
}
#aisle-cards .card img { width: 100%; height: 8rem; object-fit: contain; }
#aisle-cards .title { font-weight: 600; }
#aisle-cards .price { font-size: 1.1rem; }
#aisle-cards .out { color: #b42318; }
#aisle-cards .in { color: #027a48; }
#aisle-cards .why { font-size: .85rem; opacity: .8; }
"""


def product_cards(products: list[Product], reasons: dict[str, str] | None = None) -> str:
    """Cards as HTML, every value escaped (titles come from the store's catalog file);
    a recommended product says why it was picked."""
    if not products:
        return ""
    cards = []
    for product in products:
        image = (
            f'<img src="{escape(product.image_url)}" alt="" loading="lazy" onerror="this.remove()">'
            if product.image_url
            else ""
        )
        stock = '<span class="in">In stock</span>' if product.in_stock else '<span class="out">Out of stock</span>'
        link = escape(product.url or f"/products/{product.id}")
        why = (reasons or {}).get(product.id)
        reason = f'<div class="why" data-aisle="reason">{escape(why)}</div>' if why else ""
        cards.append(
            f'<div class="card" data-aisle="card" data-product="{escape(product.id)}">{image}'
            f'<div class="title">{escape(product.title)}</div>'
            f'<div class="price">{escape(money(product.price, product.currency))}</div>'
            f"<div>{stock}</div>{reason}"
            f'<a href="{link}" target="_blank" rel="noopener">View product</a></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def _chat_message(message: Message) -> dict[str, str]:
    if message.role == "shopper":
        return {"role": "user", "content": message.text}
    prefix = _STAFF_PREFIX if message.role == "staff" else ""
    return {"role": "assistant", "content": prefix + message.text}


class ChatPage:
    """The handlers of the chat page and the Blocks that wire them.

    `services` returns the running app's services: Gradio's handlers run after start-up,
    when the lifespan has built them.
    """

    def __init__(self, services: Callable[[], Services]) -> None:
        self._services = services

    def _shopper(self, state: dict[str, str], request: gr.Request | None) -> Shopper:
        token = request.query_params.get("token") if request is not None else None
        customer_id = None
        if token:
            try:
                customer_id = self._services().tokens.verify(token)
            except HTTPException as exc:
                raise gr.Error(str(exc.detail)) from exc
        return Shopper(customer_id=customer_id, session_id=state["session"])

    def _history(self, conversation_id: str) -> tuple[list[dict[str, str]], str, int]:
        """The transcript, the latest answer's product cards (as HTML) and the message count."""
        services = self._services()
        messages = services.conversations.messages(conversation_id)
        cards = ""
        for message in reversed(messages):
            if message.role == "assistant" and message.product_ids:
                products = [p for p in map(services.catalog.product, message.product_ids) if p]
                cards = product_cards(products, message.reasons)
                break
        return [_chat_message(m) for m in messages], cards, len(messages)

    @staticmethod
    def _follow_ups(questions: list[str]) -> list[Any]:
        return [
            gr.update(value=questions[i], visible=True) if i < len(questions) else gr.update(visible=False)
            for i in range(_FOLLOW_UP_BUTTONS)
        ]

    def load(self, state: dict[str, str] | None, request: gr.Request) -> tuple[Any, ...]:
        """Page opened: make the anonymous session, and restore the conversation if there is one."""
        state = {"session": "", "conversation": "", **(state or {})}
        if not state["session"]:
            state["session"] = "chat-" + secrets.token_urlsafe(18)
        history: list[dict[str, str]] = []
        cards = ""
        seen = 0
        assistant = self._services().assistant
        if state["conversation"] and assistant is not None:
            try:
                assistant.conversation_for(state["conversation"], self._shopper(state, request))
                history, cards, seen = self._history(state["conversation"])
            except ConversationNotFoundError:
                state["conversation"] = ""  # another shopper's browser, or the data was reset
        return (state, history, cards, seen, *self._follow_ups([]))

    def send(
        self, text: str, state: dict[str, str], history: list[dict[str, str]], request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """The shopper sent a message: stream the answer, then show its cards and follow-ups."""
        text = (text or "").strip()
        if not text:
            yield (gr.update(), gr.update(), gr.update(), gr.update(), gr.update(), *self._follow_ups([]))
            return
        shopper = self._shopper(state, request)
        services = self._services()
        if services.assistant is None:
            raise gr.Error("the assistant is not running on this server")
        try:  # the same per-shopper limit as the HTTP API's chat
            services.rate_limits.count("chat", shopper, request.client.host if request.client else None)
        except RateLimitedError as exc:
            raise gr.Error(str(exc)) from exc
        if not state.get("conversation"):
            started = services.conversations.start(customer_id=shopper.customer_id, session_id=shopper.session_id)
            state = {**state, "conversation": started.id}
        history = [*history, {"role": "user", "content": text}, {"role": "assistant", "content": ""}]
        # seen = -1 while streaming: the refresh timer must not redraw a half-written answer.
        yield (history, "", state, gr.update(), -1, *self._follow_ups([]))
        answer = ""
        for event in services.assistant.reply(state["conversation"], text, shopper):
            if isinstance(event, TokenEvent):
                answer += event.text
                history[-1] = {"role": "assistant", "content": answer}
                yield (history, "", state, gr.update(), -1, *self._follow_ups([]))
            elif isinstance(event, FinalEvent):
                content = event.message.text if event.message else _WAITING_NOTE
                history[-1] = {"role": "assistant", "content": content}
                seen = len(services.conversations.messages(state["conversation"]))
                cards = product_cards(event.products, event.reasons)
                yield (history, "", state, cards, seen, *self._follow_ups(event.follow_ups))

    def ask_for_person(
        self, state: dict[str, str], history: list[dict[str, str]], request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """ "Talk to a person": queue the conversation for staff."""
        assistant = self._services().assistant
        if not state.get("conversation") or assistant is None:
            yield from self.send(_HANDOFF_TEXT, state, history, request)
            return
        assistant.request_handoff(state["conversation"], self._shopper(state, request))
        history, cards, seen = self._history(state["conversation"])
        yield (history, "", state, cards, seen, *self._follow_ups([]))

    def refresh(self, state: dict[str, str], seen: int) -> tuple[Any, ...]:
        """Every few seconds: show messages that arrived from elsewhere (a staff member's reply)."""
        conversation = state.get("conversation") if state else None
        if not conversation or seen < 0:
            return gr.update(), gr.update(), seen
        if len(self._services().conversations.messages(conversation)) <= seen:
            return gr.update(), gr.update(), seen
        history, cards, count = self._history(conversation)
        return history, cards, count

    def show_profile(self, state: dict[str, str], request: gr.Request) -> str:
        """ "Why am I seeing this": the profile in the sentences the API gives."""
        if not state or not state.get("session"):
            return "We know nothing about you yet."
        shopper = self._shopper(state, request)
        services = self._services()
        profile = services.profiles.profile(shopper.customer_id, shopper.session_id, services.catalog.product)
        return "\n".join(f"- {line}" for line in profile.explain())

    def clear_profile(self, state: dict[str, str], request: gr.Request) -> str:
        if state and state.get("session"):
            shopper = self._shopper(state, request)
            self._services().profiles.clear(shopper.customer_id, shopper.session_id)
        return "Cleared: suggestions no longer use what you did or said before now."

    def build(self) -> gr.Blocks:
        with gr.Blocks(title="Chat with us", analytics_enabled=False) as page:
            state = gr.BrowserState({"session": "", "conversation": ""}, storage_key="aisle-chat")
            seen = gr.State(0)  # messages on screen, to spot new ones from staff
            gr.Markdown("### Ask us anything: products, your orders, shipping and returns")
            chatbot = gr.Chatbot(elem_id="aisle-chatbot", height=420, show_label=False, feedback_options=None)
            cards = gr.HTML(elem_id="aisle-cards")
            with gr.Row():
                box = gr.Textbox(
                    placeholder="e.g. wireless earbuds under $100", show_label=False, elem_id="aisle-input", scale=8
                )
                send_button = gr.Button("Send", variant="primary", elem_id="aisle-send", scale=1)
            with gr.Row():
                follow_ups = [
                    gr.Button(visible=False, size="sm", elem_id=f"aisle-follow-up-{i}")
                    for i in range(_FOLLOW_UP_BUTTONS)
                ]
                handoff_button = gr.Button("Talk to a person", size="sm", elem_id="aisle-handoff")
            with gr.Accordion("Why am I seeing these suggestions?", open=False, elem_id="aisle-why"):
                why = gr.Markdown(elem_id="aisle-profile")
                with gr.Row():
                    show_button = gr.Button("Show what you know about me", size="sm", elem_id="aisle-profile-show")
                    clear_button = gr.Button("Clear my profile", size="sm", elem_id="aisle-profile-clear")
            timer = gr.Timer(3.0)

            outputs = [chatbot, box, state, cards, seen, *follow_ups]
            page.load(self.load, inputs=[state], outputs=[state, chatbot, cards, seen, *follow_ups])
            # No Gradio limit: the model queues answers itself (llama.cpp writes AISLE_MODEL_SLOTS at
            # once, transformers one), and a second queue in front of it would only add waiting.
            for trigger, message in [(send_button.click, box), (box.submit, box)] + [
                (button.click, button) for button in follow_ups
            ]:
                trigger(self.send, inputs=[message, state, chatbot], outputs=outputs, concurrency_limit=None)
            handoff_button.click(self.ask_for_person, inputs=[state, chatbot], outputs=outputs, concurrency_limit=None)
            show_button.click(self.show_profile, inputs=[state], outputs=[why])
            clear_button.click(self.clear_profile, inputs=[state], outputs=[why])
            timer.tick(self.refresh, inputs=[state, seen], outputs=[chatbot, cards, seen], concurrency_limit=None)
        return page
