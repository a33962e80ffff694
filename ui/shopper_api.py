"""The shopper-facing HTTP API: chat (streamed as server-sent events), conversations,
behaviour events, and product search."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import ValidationError
from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import iterate_in_threadpool

from agent import Assistant, FinalEvent, Shopper, TokenEvent
from knowledge import Event, Message, Product
from retrieval import SEARCH_MODES, SearchFilters
from ui.identity import shopper_of
from ui.schemas import (
    ChatFinal,
    ChatRequest,
    ConversationOut,
    EventAccepted,
    EventIn,
    Health,
    MessageOut,
    PassageOut,
    ProductDetail,
    SearchResponse,
)
from ui.services import Services

router = APIRouter()


def services_of(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(services_of)]


def current_shopper(request: Request, services: ServicesDep) -> Shopper:
    return shopper_of(request, services.tokens)


ShopperDep = Annotated[Shopper, Depends(current_shopper)]


def chatting_shopper(request: Request, services: ServicesDep, shopper: ShopperDep) -> Shopper:
    """The shopper, within their chat rate limit (429 when over)."""
    services.rate_limits.check("chat", shopper, request)
    return shopper


def limited_shopper(request: Request, services: ServicesDep, shopper: ShopperDep) -> Shopper:
    """The shopper, within their API rate limit (429 when over)."""
    services.rate_limits.check("api", shopper, request)
    return shopper


def limited_address(request: Request, services: ServicesDep) -> None:
    """Requests that need no identity are limited per client address."""
    services.rate_limits.check("api", None, request)


ChattingShopperDep = Annotated[Shopper, Depends(chatting_shopper)]
LimitedShopperDep = Annotated[Shopper, Depends(limited_shopper)]


def assistant_of(services: Services) -> Assistant:
    if services.assistant is None:
        raise HTTPException(503, "this server runs without the assistant; start it with `aisle serve`")
    return services.assistant


def cards(services: Services, product_ids: list[str]) -> list[Product]:
    return [p for p in (services.catalog.product(pid) for pid in product_ids) if p is not None]


def message_out(services: Services, message: Message) -> MessageOut:
    return MessageOut.of(message, cards(services, message.product_ids))


@router.get("/api/health")
def health(services: ServicesDep) -> Health:
    counts = services.db.counts()
    return Health(
        status="ok",
        products=counts["products"],
        policy_passages=counts["policy_passages"],
        embedder=services.embedder.name,
        catalog_version=services.db.catalog_version(),
    )


@router.post(
    "/api/chat",
    response_class=EventSourceResponse,
    responses={200: {"description": "Server-sent events: `conversation`, then `token`s, then `final` (ChatFinal)."}},
)
def chat(body: ChatRequest, services: ServicesDep, shopper: ChattingShopperDep) -> EventSourceResponse:
    """Send the shopper's message and stream the answer.

    Events: `conversation` ({"conversation_id"}), any number of `token` ({"text"}: append it),
    then `final` (ChatFinal: the stored answer with citations and product cards, whether
    the streamed text was replaced, hand-off state, follow-up questions), or `error`
    ({"detail"}) if the turn fails; the shopper's message is stored either way.
    """
    assistant = assistant_of(services)
    if body.conversation_id:
        conversation = assistant.conversation_for(body.conversation_id, shopper)
    else:
        conversation = services.conversations.start(customer_id=shopper.customer_id, session_id=shopper.session_id)

    def events() -> Iterator[dict[str, str]]:
        yield {"event": "conversation", "data": json.dumps({"conversation_id": conversation.id})}
        turn = assistant.reply(conversation.id, body.message, shopper)
        try:
            for event in turn:
                if isinstance(event, TokenEvent):
                    yield {"event": "token", "data": json.dumps({"text": event.text})}
                elif isinstance(event, FinalEvent):
                    final = ChatFinal(
                        conversation_id=conversation.id,
                        message=message_out(services, event.message) if event.message else None,
                        replaced=event.replaced,
                        handoff=event.handoff,
                        generated=event.generated,
                        follow_ups=event.follow_ups,
                    )
                    yield {"event": "final", "data": final.model_dump_json()}
        except Exception as exc:  # the stream has started: the status can't change, so say it in-band
            yield {"event": "error", "data": json.dumps({"detail": f"the answer failed ({exc}); please try again"})}
        finally:
            turn.close()  # a shopper who leaves frees the model at once

    async def stream() -> AsyncIterator[dict[str, str]]:
        async for item in iterate_in_threadpool(events()):
            yield item

    return EventSourceResponse(stream(), ping=15)


@router.get("/api/conversations/{conversation_id}")
def get_conversation(conversation_id: str, services: ServicesDep, shopper: ShopperDep) -> ConversationOut:
    """The conversation's messages, oldest first (staff replies included). Only its shopper may read it."""
    conversation = assistant_of(services).conversation_for(conversation_id, shopper)
    messages = services.conversations.messages(conversation_id)
    return ConversationOut(
        id=conversation.id, mode=conversation.mode, messages=[message_out(services, m) for m in messages]
    )


@router.post("/api/conversations/{conversation_id}/handoff")
def request_handoff(conversation_id: str, services: ServicesDep, shopper: ShopperDep) -> MessageOut:
    """The shopper asks for a person: the conversation joins the staff's hand-off queue."""
    return message_out(services, assistant_of(services).request_handoff(conversation_id, shopper))


@router.post("/api/events", status_code=201)
def record_event(body: EventIn, services: ServicesDep, shopper: LimitedShopperDep) -> EventAccepted:
    """Record what the shopper did (viewed, searched, added to cart, bought): it shapes their profile.

    `impression` and `click` with a `placement` (and a `promo_id` for promo copy) measure
    what the store showed and what the shopper opened: the A/B results and analytics.
    """
    try:
        event = Event(
            kind=body.kind,
            ts=body.ts or datetime.now(UTC),
            customer_id=shopper.customer_id,
            session_id=shopper.session_id,
            product_id=body.product_id,
            variant_id=body.variant_id,
            query=body.query,
            quantity=body.quantity,
            placement=body.placement,
            promo_id=body.promo_id,
        )
    except ValidationError as exc:
        reasons = "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
        raise HTTPException(422, reasons) from exc
    if event.product_id and services.catalog.product(event.product_id) is None:
        raise HTTPException(422, f"no product with id {event.product_id!r}; events must name catalog products")
    if event.promo_id and services.promos.get(event.promo_id) is None:
        raise HTTPException(422, f"no promo {event.promo_id!r}; use the promo_id GET /api/promos returned")
    counts = services.db.add_events([event])
    return EventAccepted(id=event.id, stored=counts.added == 1)


@router.get("/api/products/search", dependencies=[Depends(limited_address)])
def search_products(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=500, description="What the shopper typed.")],
    k: Annotated[int | None, Query(ge=1, le=100, description="How many products.")] = None,
    min_price: Annotated[float | None, Query(ge=0)] = None,
    max_price: Annotated[float | None, Query(ge=0)] = None,
    category: Annotated[list[str] | None, Query(description="Only these categories.")] = None,
    brand: Annotated[list[str] | None, Query(description="Only these brands.")] = None,
    in_stock: bool = False,
    mode: Annotated[str, Query(pattern="^(" + "|".join(SEARCH_MODES) + ")$")] = "hybrid",
) -> SearchResponse:
    """Search the catalog; price, stock and brand phrases in `q` ("under $80") become filters too."""
    try:
        filters = SearchFilters(
            min_price=min_price,
            max_price=max_price,
            categories=tuple(category or ()),
            brands=tuple(brand or ()),
            in_stock=in_stock,
        )
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=f"{exc}; swap min_price and max_price") from exc
    result = services.products.search(q, k=k or services.settings.search_k, filters=filters, mode=mode)  # type: ignore[arg-type]
    return SearchResponse.of(result)


@router.get("/api/products/{product_id}")
def get_product(services: ServicesDep, product_id: str) -> ProductDetail:
    product = services.catalog.product(product_id)
    if product is None:
        raise HTTPException(status_code=404, detail=f"no product with id {product_id!r}; search to find ids")
    return ProductDetail.of(product)


@router.get("/api/policies/search")
def search_policies(
    services: ServicesDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    k: Annotated[int, Query(ge=1, le=20)] = 3,
) -> list[PassageOut]:
    """The store policy passages that best answer `q` (returns, shipping, warranty...)."""
    return [PassageOut.of(hit) for hit in services.policies.search(q, k=k)]
