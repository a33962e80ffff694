"""One chat turn, end to end.

    store the message → input guardrails → intent → tools (facts) → numbered sources →
    streamed answer through the grounding check → store the answer with its citations

Every step is a plain call in `Assistant.reply`, in that order. Answers that need no
judgement (refusals, hand-offs, "we don't carry that", "please sign in") are templated
and never reach the model; everything the model writes passes the grounding check
before the shopper sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from agent.completeness import missing_facts
from agent.errors import ConversationNotFoundError
from agent.grounding import GroundedStream, GroundingCheck, extract_claims
from agent.guardrails import run_input_guardrails
from agent.intent_model import IntentClassifier
from agent.intents import Intent, Routing, route
from agent.language import Language, language_of
from agent.llm import ChatModel
from agent.preferences import stated_preferences
from agent.prompts import PromptBuilder
from agent.references import last_focus, points_back, resolve
from agent.replies import follow_ups, from_facts, not_found, order_facts, product_terms, say
from agent.sources import SourceList
from agent.tools import Shopper, ShopTools
from knowledge import (
    UNRESOLVED_OUTCOMES,
    Citation,
    Conversation,
    ConversationStore,
    Message,
    Order,
    Product,
    ProfileStore,
    StoreDatabase,
    Verdict,
)
from retrieval import FreshRecommender, PolicyHit, PolicySearch, ProductHit, ProductSearch, Recommendation, SearchResult

MAX_MESSAGE_CHARS = 2000
# Answers stay short: at ~14 tokens/s (Qwen 0.5B, bf16, 2 cores) 96 tokens is ~7 s at most.
MAX_NEW_TOKENS = 96
# Each product puts about 110 tokens in the prompt, half a second of reading on 2 cores
# before the first word: a recommendation offers three (its task says "up to three").
_RECOMMENDED = 3
_FILLER = re.compile(
    r"^(?:(?:hi|hello|hey|please|so|and|but|well)[,!.]?\s+)*"
    r"(?:do you (?:have|sell|carry|stock|got)|have you got|is there|are there|can i (?:buy|get|order)"
    r"|i(?:'m| am) looking for"
    r"|i (?:want|need|would like)(?: to buy)?|looking for|how much (?:is|are|does|do)|what(?:'s| is) the price of"
    r"|show me|find me|tell me about|any)\s+",
    re.I,
)
_TRAILING = re.compile(r"\s*(?:cost|costs|in stock|available|please|for sale|\?|!|\.)+\s*$", re.I)
_ACTION = re.compile(r"\b(?:cancel\w*|return\w*|refund\w*|exchange\w*)\b|退|取消|换货", re.I)
_OWN = re.compile(r"\b(?:my|mine|i ordered|i bought|i purchased)\b|我的|我买|我订", re.I)
# Words of a request that names no kind of product: "any gift ideas for my daughter?".
_GENERIC_WORDS = frozenset(
    word
    for line in (
        "recommend recommends recommendation recommendations suggest suggestion suggestions idea ideas",
        "gift gifts present presents something anything some any what which should would could can do does",
        "you me i my we our a an the for to of with in on please buy get good nice cool great best popular new",
        "else like love birthday christmas anniversary her him them",
        "daughter son wife husband girlfriend boyfriend partner mom mum mother dad father kid kids children",
        "baby sister brother grandma grandpa friend niece nephew boss colleague",
        "推荐 礼物 什么 给 我",
    )
    for word in line.split()
)
_THANKS = re.compile(r"\b(?:thanks?|thank you|thx|cheers)\b|谢谢", re.I)


@dataclass(frozen=True)
class MatchThresholds:
    """When a search hit counts as "we carry what was asked for".

    Calibrated per embedder (cosine scales differ): for e5-small on the demo catalogs,
    products the store carries scored >= 0.836 and absent ones <= 0.821.
    """

    strong: float = 0.85
    weak: float = 0.83
    weak_coverage: float = 0.5
    # A policy section answers the question when this close to it, or `policy_weak` close
    # and holding half its words (e5-small: answerable questions 0.83-0.92, questions the
    # policies don't cover 0.79-0.84, most of those sharing no word with the section).
    policy: float = 0.86
    policy_weak: float = 0.825


@dataclass(frozen=True)
class TokenEvent:
    """Answer text that passed the grounding check and may be shown now."""

    text: str


@dataclass(frozen=True)
class FinalEvent:
    """The turn is over. `message` is the stored answer (None while a person has the
    conversation); when `replaced`, its text differs from what was streamed and replaces it."""

    message: Message | None
    products: list[Product] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)  # product id → why it was recommended
    replaced: bool = False
    handoff: bool = False
    draft: str = ""  # the model's own answer before the grounding check ("" for templated replies)
    generated: bool = False  # whether the dialogue model wrote this answer
    follow_ups: list[str] = field(default_factory=list)  # questions the shopper may want to ask next


TurnEvent = TokenEvent | FinalEvent


@dataclass(frozen=True)
class Suggestion:
    """A reply drafted for a member of staff, with the sources it drew on."""

    text: str
    citations: list[Citation]


@dataclass
class _Plan:
    """What the turn found before answering: facts for the model, or a finished reply."""

    intent: Intent
    sources: SourceList = field(default_factory=SourceList)
    reply: str | None = None
    outcome: str = "answered"
    cards: list[Product] = field(default_factory=list)
    order_ids: list[str] = field(default_factory=list)
    handoff: bool = False
    reasons: dict[str, str] = field(default_factory=dict)  # product id → why it was recommended
    # The sources are what the previous answer showed ("is it in stock?"): the model reads the
    # last exchange too. Other turns go without it, since every token of history is read
    # before the first word (about 5 ms a token on 2 cores) and the adapter was trained on
    # single turns.
    follow_up: bool = False


def _result_of(generation: Generator[TurnEvent, None, tuple[str, bool, str, str]]) -> tuple[str, bool, str, str]:
    """Run a streaming generation to its end, for callers that want only the final answer."""
    while True:
        try:
            next(generation)
        except StopIteration as done:
            return done.value


def _distinct(products: list[Product]) -> list[Product]:
    """The products in order, each once (a named product can also be a personal pick)."""
    return list({product.id: product for product in products}.values())


def _subject(text: str) -> str:
    """The thing asked about, for "we don't carry …": "do you sell a PS5?" → "a PS5"."""
    subject = _TRAILING.sub("", _FILLER.sub("", text.strip()))
    return subject or text.strip()


class Assistant:
    """The shop assistant: answers a shopper's message from the store's facts.

    Example:
        >>> assistant = Assistant(db, conversations, products, policies, model, store_name="Demo Store")
        >>> chat = conversations.start(customer_id="1")
        >>> for event in assistant.reply(chat.id, "Where is my order #A1001?", Shopper(customer_id="1")):
        ...     print(event)
    """

    def __init__(
        self,
        db: StoreDatabase,
        conversations: ConversationStore,
        products: ProductSearch,
        policies: PolicySearch,
        model: ChatModel,
        store_name: str,
        thresholds: MatchThresholds | None = None,
        today: Callable[[], date] = lambda: datetime.now(UTC).date(),
        intents: IntentClassifier | None = None,
        profiles: ProfileStore | None = None,
        recommender: FreshRecommender | None = None,
    ) -> None:
        self._db = db
        self._conversations = conversations
        self._products = products
        self._policies = policies
        self._model = model
        self._prompts = PromptBuilder(store_name)
        self._store_name = store_name
        self._thresholds = thresholds or MatchThresholds()
        self._today = today
        self._intents = intents
        self._profiles = profiles
        self._recommender = recommender

    def warm_up(self) -> None:
        """Run the system prompt through the model once, so the first shopper after a start
        doesn't wait for it (the model keeps its keys/values for every later prompt)."""
        for language in ("zh", "en"):  # English last: with one cache slot, it is the one kept
            messages = self._prompts.build("Hi", "chitchat", SourceList(), [], language)
            for _ in self._model.stream(messages, max_new_tokens=1):
                pass

    # --- the turn -----------------------------------------------------------------------

    def conversation_for(self, conversation_id: str, shopper: Shopper) -> Conversation:
        """The conversation, if it belongs to this shopper; otherwise as if it didn't exist."""
        conversation = self._conversations.get(conversation_id)
        owns = conversation is not None and (
            (shopper.customer_id is not None and conversation.customer_id == shopper.customer_id)
            or (
                conversation.customer_id is None
                and shopper.session_id is not None
                and conversation.session_id == shopper.session_id
            )
        )
        if conversation is None or not owns:
            raise ConversationNotFoundError(f"no conversation {conversation_id!r} for this shopper; start a new one")
        return conversation

    def reply(self, conversation_id: str, text: str, shopper: Shopper) -> Iterator[TurnEvent]:
        """Answer `text` in the conversation: yields safe text as it is generated, then the final event.

        Raises:
            ConversationNotFoundError: the conversation is not this shopper's.
            ValueError: the message is empty or longer than MAX_MESSAGE_CHARS.
        """
        text = text.strip()
        if not text:
            raise ValueError("the message is empty")
        if len(text) > MAX_MESSAGE_CHARS:
            raise ValueError(f"the message is longer than {MAX_MESSAGE_CHARS} characters; please shorten it")
        conversation = self.conversation_for(conversation_id, shopper)
        history = self._conversations.messages(conversation_id, limit=12)
        customer = self._db.customer(shopper.customer_id) if shopper.customer_id else None
        verdicts = run_input_guardrails(text, shopper, customer.email if customer else None)
        # Stored before any work: a crash from here on loses nothing the shopper wrote.
        self._conversations.append(conversation_id, "shopper", text, verdicts=verdicts)
        if (
            self._profiles is not None
            and (shopper.customer_id or shopper.session_id)
            and not any(v.tripped for v in verdicts)
        ):
            # "I'm vegan", "it's for my daughter": remembered for this shopper's later answers.
            self._profiles.remember(shopper.customer_id, shopper.session_id, stated_preferences(text))
        if conversation.mode == "human":
            yield FinalEvent(message=None)
            return

        language = language_of(text)
        plan = self._plan(text, shopper, history, verdicts, language)
        streamed = ""
        replaced = False
        draft = ""
        if plan.reply is None:
            answer, replaced, plan.outcome, draft = yield from self._generate(text, plan, history, language)
            streamed = answer
        else:
            answer = plan.reply
            yield TokenEvent(answer)
            streamed = answer

        if plan.outcome in UNRESOLVED_OUTCOMES and self._unresolved_before(history) and not plan.handoff:
            answer = f"{answer} {say('handoff_failing', language)}"
            plan.handoff, replaced = True, True
        if plan.handoff:
            self._conversations.set_mode(conversation_id, "handoff")
        cited = plan.sources.items
        message = self._conversations.append(
            conversation_id,
            "assistant",
            answer,
            intent=plan.intent,
            citations=[s.citation() for s in cited if f"[{s.number}]" in answer] or [s.citation() for s in cited[:3]],
            product_ids=[p.id for p in plan.cards],
            reasons=plan.reasons,
            order_ids=plan.order_ids,
            outcome="handed_off" if plan.handoff else plan.outcome,
        )
        yield FinalEvent(
            message=message,
            products=plan.cards,
            reasons=plan.reasons,
            replaced=replaced or answer != streamed,
            handoff=plan.handoff,
            draft=draft,
            generated=plan.reply is None,
            follow_ups=follow_ups(plan.intent, plan.cards, language, handed_off=plan.handoff),
        )

    def request_handoff(self, conversation_id: str, shopper: Shopper) -> Message:
        """The shopper pressed "talk to a person": queue the conversation for staff and say so.
        Pressing it again while a person is already asked for (or has it) adds nothing."""
        conversation = self.conversation_for(conversation_id, shopper)
        history = self._conversations.messages(conversation_id, limit=4)
        if conversation.mode != "bot" and history:
            return history[-1]
        language = language_of(next((m.text for m in reversed(history) if m.role == "shopper"), ""))
        self._conversations.set_mode(conversation_id, "handoff")
        return self._conversations.append(
            conversation_id, "assistant", say("handoff", language), intent="handoff", outcome="handed_off"
        )

    def suggest(self, conversation_id: str) -> Suggestion:
        """A reply for staff to edit and send: what the assistant would answer to the shopper's
        last message now, grounded the same way, not stored and not shown to the shopper."""
        conversation = self._conversations.get(conversation_id)
        if conversation is None:
            raise ConversationNotFoundError(f"no conversation {conversation_id!r}")
        messages = self._conversations.messages(conversation_id, limit=13)
        last = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].role == "shopper"), None)
        if last is None:
            return Suggestion(text="", citations=[])
        shopper = Shopper(customer_id=conversation.customer_id, session_id=conversation.session_id)
        text, history = messages[last].text, messages[:last]
        language = language_of(text)
        plan = self._plan(text, shopper, history, messages[last].verdicts, language)
        if plan.intent == "handoff" or plan.outcome == "handed_off":
            # The shopper asked for a person: the person greets them (the assistant's
            # "I've asked a colleague" line is no reply for one).
            return Suggestion(text=say("staff_greeting", language), citations=[])
        answer = plan.reply if plan.reply is not None else _result_of(self._generate(text, plan, history, language))[0]
        return Suggestion(text=answer, citations=[s.citation() for s in plan.sources.items])

    @staticmethod
    def _unresolved_before(history: list[Message]) -> bool:
        last = next((m for m in reversed(history) if m.role == "assistant"), None)
        return last is not None and last.outcome in UNRESOLVED_OUTCOMES

    # --- planning: which facts the answer needs -----------------------------------------

    def _plan(
        self, text: str, shopper: Shopper, history: list[Message], verdicts: list[Verdict], language: Language
    ) -> _Plan:
        tripped = next((v for v in verdicts if v.tripped), None)
        if tripped is not None:
            reply_key = {"prompt_injection": "injection", "other_customers_data": "other_customer"}.get(
                tripped.name, tripped.name
            )
            abusive_before = sum(
                1 for m in history if m.role == "shopper" and any(v.name == "abuse" and v.tripped for v in m.verdicts)
            )
            plan = _Plan(intent="off_topic", reply=say(reply_key, language), outcome="refused")
            if tripped.name == "abuse" and abusive_before >= 1:
                plan.reply, plan.handoff = say("handoff", language), True
            return plan

        routing = route(text)
        focus_products, focus_orders = last_focus(history)
        if routing.intent == "product" and focus_orders and not focus_products and points_back(text):
            # "When was it delivered?" after an answer about an order is about that order.
            routing = Routing("order", None, routing.mentions_policy)
        elif routing.intent == "product" and self._intents is not None:
            # "product" is the rules' fallback, not a finding: the classifier settles it
            # (bench.intents: macro-F1 0.92 for rules-then-classifier, 0.64 for rules alone).
            routing = replace(routing, intent=self._intents.predict(text)[0])
        tools = ShopTools(self._db, self._products, self._policies, shopper)
        if routing.intent == "handoff":
            return _Plan(intent="handoff", reply=say("handoff", language), outcome="handed_off", handoff=True)
        if routing.intent == "chitchat":
            key = "thanks" if _THANKS.search(text) else "greeting"
            return _Plan(intent="chitchat", reply=say(key, language), outcome="answered")
        if routing.intent == "off_topic":
            return _Plan(intent="off_topic", reply=say("off_topic", language), outcome="refused")
        if routing.intent == "order":
            return self._plan_order(text, routing, tools, history, language)
        if routing.intent == "policy":
            return self._plan_policy(text, tools, language, history)
        return self._plan_products(text, routing, tools, history, language)

    def _plan_order(
        self, text: str, routing: Routing, tools: ShopTools, history: list[Message], language: Language
    ) -> _Plan:
        if tools.get_my_profile() is None:
            # "Can I cancel an order after it shipped?" is a policy question anyone may ask;
            # "where is my order?" needs to know who is asking.
            if not routing.order_id and not _OWN.search(text):
                return self._plan_policy(text, tools, language)
            return _Plan(intent="order", reply=say("sign_in", language), outcome="sign_in")
        plan = _Plan(intent="order")
        orders: list[Order] = []
        if routing.order_id:
            order = tools.get_order(routing.order_id) or self._own_order_by_digits(tools, routing.order_id)
            if order is None:
                return _Plan(
                    intent="order",
                    reply=say("order_not_found", language, order_id=routing.order_id),
                    outcome="order_not_found",
                )
            orders = [order]
        else:
            _, focus_orders = last_focus(history)
            orders = [o for o in (tools.get_order(oid) for oid in focus_orders) if o is not None]
            plan.follow_up = bool(orders)
            if not orders:
                orders = tools.list_my_orders()[:3]
        if not orders:
            return _Plan(intent="order", reply=say("no_orders", language), outcome="answered")
        for order in orders:
            plan.sources.add_order(order)
        plan.order_ids = [o.id for o in orders]
        if _ACTION.search(text):
            # "Can I cancel / return it?": the order's facts and the policy's own words,
            # not the model's reading of the rule (see _plan_policy).
            facts = [
                order_facts(source.order, source.number, language)
                for source in plan.sources.items[:1]
                if source.order is not None
            ]
            plan.reply = " ".join(facts + self._quote_policy(text, tools, plan))
        return plan

    @staticmethod
    def _own_order_by_digits(tools: ShopTools, order_id: str) -> Order | None:
        """ "order 1001" for "#A1001": matched only among the shopper's own orders."""
        digits = re.sub(r"\D", "", order_id)
        matches = [o for o in tools.list_my_orders() if re.sub(r"\D", "", o.id).endswith(digits)] if digits else []
        return matches[0] if len(matches) == 1 else None

    def _plan_policy(
        self, text: str, tools: ShopTools, language: Language, history: list[Message] | None = None
    ) -> _Plan:
        """Policy answers quote the policy (and a named product's own terms) word for word.

        Measured: the 0.5B model reverses rules it paraphrases ("yes, you can cancel after
        it shipped" against a policy saying the opposite), and no check can catch a
        reversed rule; a quotation can't reverse one.
        """
        plan = _Plan(intent="policy")
        sentences: list[str] = []
        named = self._products.named_in(text) or [
            hit.product for hit in tools.search_products(text, limit=3).hits if self._carried(hit, named=True)
        ]
        focus_ids, _ = last_focus(history or [])
        if not named and focus_ids and points_back(text):
            # "What's the warranty on it?" after an answer about a product.
            named = resolve(text, [p for p in map(tools.get_product_details, focus_ids) if p], []).products
        for product in named[:1]:
            terms = product_terms(product, text, plan.sources.add_product(product).number, language)
            if terms:
                sentences.extend(terms)
                plan.cards.append(product)
        sentences.extend(self._quote_policy(text, tools, plan))
        if not sentences:
            return _Plan(intent="policy", reply=say("unknown", language), outcome="unknown")
        plan.reply = " ".join(sentences)
        return plan

    def _quote_policy(self, text: str, tools: ShopTools, plan: _Plan) -> list[str]:
        """The policy sentences that answer `text`, each cited; their passages join the sources."""
        quoted = tools.quote_policy(text, limit=2)
        if not quoted or not self._answers(quoted[0].hit):
            return []
        numbers: dict[str, int] = {}
        for sentence in quoted:
            if sentence.passage.id not in numbers:
                numbers[sentence.passage.id] = plan.sources.add_passage(sentence.passage).number
        return [f"{s.text.rstrip('.')} [{numbers[s.passage.id]}]." for s in quoted]

    def _answers(self, hit: PolicyHit) -> bool:
        similarity = hit.similarity or 0.0
        return similarity >= self._thresholds.policy or (
            similarity >= self._thresholds.policy_weak and hit.coverage >= 0.5
        )

    def _carried(self, hit: ProductHit, named: bool = False) -> bool:
        """Does the hit match what was asked for? `named`: the message must name the product itself.
        (A product named by its full title is found by `ProductSearch.named_in` before this.)"""
        similarity = hit.similarity or 0.0
        if named:
            return similarity >= self._thresholds.strong and hit.coverage >= self._thresholds.weak_coverage
        if similarity >= self._thresholds.strong:
            return True
        return similarity >= self._thresholds.weak and hit.coverage >= self._thresholds.weak_coverage

    def _plan_products(
        self, text: str, routing: Routing, tools: ShopTools, history: list[Message], language: Language
    ) -> _Plan:
        intent: Intent = routing.intent
        plan = _Plan(intent=intent)
        focus_ids, _ = last_focus(history)
        result = tools.search_products(text, limit=5 if intent == "recommendation" else 3)
        named = self._products.named_in(text)
        found = [hit for hit in result.hits if self._carried(hit) and hit.product.id not in {p.id for p in named}]
        # "Which is cheaper?" points back; "which is cheaper, the iPhone 6 or the iPhone X?" does not.
        if points_back(text) and focus_ids and not found and not named:
            focus = [p for p in (tools.get_product_details(pid) for pid in focus_ids) if p is not None]
            products = resolve(text, focus, []).products
            plan.follow_up = True
        elif intent == "recommendation":
            # A recommendation may offer the nearest things we have; a product question may not.
            products = _distinct(named + [hit.product for hit in (found or result.hits)])[:_RECOMMENDED]
            personal = self._personal_picks(result, found, tools)
            if personal:
                products = _distinct(named + [pick.product for pick in personal])[:_RECOMMENDED]
                plan.reasons = {pick.product.id: pick.reason for pick in personal}
        else:
            # The products the shopper names are what the answer is about: others would only
            # lengthen the prompt and invite the model to talk about them.
            products = named or [hit.product for hit in found[:3]]
        if not products and routing.mentions_policy:
            # "How much does shipping cost?" reads like shopping but asks how the store works.
            return self._plan_policy(text, tools, language)
        if not products:
            what = _subject(result.text or text)
            # Only near misses are offered: "a PS5?" → "iPhone 5s" would look careless.
            floor = self._thresholds.weak - 0.02
            alternatives = [hit.product for hit in result.hits if (hit.similarity or 0) >= floor][:3]
            return _Plan(
                intent=intent, reply=not_found(what, alternatives, language), outcome="not_found", cards=alternatives
            )
        for product in products:
            plan.sources.add_product(product, focus=text)
        plan.cards = products
        plan.reasons = {p.id: plan.reasons[p.id] for p in products if p.id in plan.reasons}
        if routing.mentions_policy:
            for hit in tools.search_policies(text, limit=1):
                plan.sources.add_passage(hit.passage)
        return plan

    def _personal_picks(self, result: SearchResult, found: list[ProductHit], tools: ShopTools) -> list[Recommendation]:
        """Recommendations for this shopper: the matching products ranked by what they like,
        or, for "recommend me something", the recommender's picks from the whole catalog."""
        shopper = tools.shopper
        if self._recommender is None or self._profiles is None or not (shopper.customer_id or shopper.session_id):
            return []
        profile = self._profiles.profile(shopper.customer_id, shopper.session_id, self._db.product)
        max_price = result.filters.max_price or profile.budget
        if found:
            return self._recommender.recommend(
                profile, k=4, candidates=[hit.product.id for hit in found], max_price=max_price
            )
        if _GENERIC_WORDS.issuperset(re.findall(r"[a-z']+|[^\x00-\x7f]+", result.text.lower())):
            return self._recommender.recommend(profile, k=4, max_price=max_price)
        return []  # a specific thing the store lacks: the nearest matches, not unrelated favourites

    # --- generation ----------------------------------------------------------------------

    def _generate(
        self, text: str, plan: _Plan, history: list[Message], language: Language
    ) -> Generator[TurnEvent, None, tuple[str, bool, str, str]]:
        """Stream the model's answer through the grounding check; returns (answer, replaced, outcome, draft)."""
        check = GroundingCheck(
            plan.sources,
            shopper_message=text,
            today=self._today(),
            known_names=self._store_name,
            named_in=self._products.named_in,
        )
        stream = GroundedStream(check)
        messages = self._prompts.build(text, plan.intent, plan.sources, history if plan.follow_up else [], language)
        draft = []
        for token in self._model.stream(messages, max_new_tokens=MAX_NEW_TOKENS):
            draft.append(token)
            safe = stream.feed(token)
            if safe:
                yield TokenEvent(safe)
        tail = stream.finish()
        if tail:
            yield TokenEvent(tail)
        result = stream.result
        answer, outcome, replaced = result.text, "answered", stream.diverged
        if result.issues:
            outcome = "repaired"
        if not answer.strip() or self._leaks_instructions(answer, language):
            answer, replaced = from_facts(plan.sources.items, language, question=text), True
            outcome = "fallback"
        additions = missing_facts(text, answer, plan.sources.items, language)
        if additions:
            answer = " ".join([answer, *additions]).strip()
            replaced = True
        if plan.intent in {"product", "recommendation"}:
            mentioned = [p for p in plan.cards if p.title.lower() in answer.lower()]
            states_price = any(c.kind == "money" for c in extract_claims(answer))
            if plan.intent == "recommendation" and (not mentioned or not states_price):
                # A recommendation that names nothing ("it fits the criteria") recommends nothing,
                # and one without a price leaves out what a shopper decides on.
                answer = f"{answer} {from_facts(plan.sources.items, language, limit=2, question=text)}".strip()
                replaced, mentioned = True, plan.cards[:2]
            plan.cards = mentioned or plan.cards
        return answer, replaced, outcome, "".join(draft)

    def _leaks_instructions(self, answer: str, language: Language) -> bool:
        """True when the answer quotes the system prompt (a leak an injection may have caused)."""
        rules = [line.strip("- ").lower() for line in self._prompts.system_text(language).splitlines()[2:]]
        lowered = answer.lower()
        return any(len(rule) > 30 and rule[:40] in lowered for rule in rules)
