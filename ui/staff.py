"""The staff copilot: login, the conversation list and hand-off queue, one conversation's
transcript with the customer's profile, orders and the sources the assistant used, a
suggested reply to edit and send, and taking over from (or handing back to) the assistant."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from agent.sources import order_line, product_line, profile_line
from knowledge import Citation, Conversation
from ui.schemas import (
    ConversationSummary,
    CustomerOut,
    OrderSummary,
    ProfileOut,
    SourceOut,
    StaffConversationDetail,
    StaffMessageOut,
    StaffReplyIn,
    SuggestionOut,
)
from ui.services import Services
from ui.shopper_api import ServicesDep, assistant_of, cards

router = APIRouter()
_PAGES = Path(__file__).parent / "static"
_SESSION_KEY = "staff"


def staff_of(request: Request) -> str | None:
    return request.session.get(_SESSION_KEY)


def current_staff(request: Request) -> str:
    username = staff_of(request)
    if not username:
        raise HTTPException(401, "staff only: sign in at /staff/login")
    return username


StaffDep = Annotated[str, Depends(current_staff)]


# --- pages -----------------------------------------------------------------------------------


@router.get("/staff", response_class=HTMLResponse, include_in_schema=False)
def staff_page(request: Request) -> Response:
    if not staff_of(request):
        return RedirectResponse("/staff/login?next=/staff", status_code=303)
    return HTMLResponse((_PAGES / "staff.html").read_text(encoding="utf-8"))


@router.get("/staff/login", response_class=HTMLResponse, include_in_schema=False)
def login_page(error: str | None = None) -> HTMLResponse:
    page = (_PAGES / "login.html").read_text(encoding="utf-8")
    message = "Wrong username or password." if error else ""
    return HTMLResponse(page.replace("{{error}}", message), status_code=401 if error else 200)


@router.post("/staff/login", include_in_schema=False)
def login(
    request: Request,
    services: ServicesDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
) -> Response:
    if not services.staff.verify(username, password):
        return RedirectResponse("/staff/login?error=1", status_code=303)
    request.session.clear()  # a new session id for the signed-in staff member
    request.session[_SESSION_KEY] = username
    return RedirectResponse("/staff", status_code=303)


@router.post("/staff/logout", include_in_schema=False)
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/staff/login", status_code=303)


# --- API -------------------------------------------------------------------------------------


def _summary(services: Services, conversation: Conversation) -> ConversationSummary:
    messages = services.conversations.messages(conversation.id)
    last = messages[-1] if messages else None
    customer = services.db.customer(conversation.customer_id) if conversation.customer_id else None
    return ConversationSummary(
        id=conversation.id,
        mode=conversation.mode,
        assignee=conversation.assignee,
        customer_id=conversation.customer_id,
        customer_name=customer.name if customer else None,
        updated_at=conversation.updated_at,
        last_message=last.text[:200] if last else "",
        last_role=last.role if last else None,
        messages=len(messages),
    )


@router.get("/api/staff/me")
def me(staff: StaffDep) -> dict[str, str]:
    return {"username": staff}


@router.get("/api/staff/conversations")
def list_conversations(services: ServicesDep, staff: StaffDep, limit: int = 50) -> list[ConversationSummary]:
    """Every conversation waiting for a person (however old), then the most recent others."""
    waiting = services.conversations.waiting()
    waiting_ids = {c.id for c in waiting}
    recent = [c for c in services.conversations.recent(limit=min(max(limit, 1), 200)) if c.id not in waiting_ids]
    return [_summary(services, c) for c in waiting + recent]


def _conversation(services: Services, conversation_id: str) -> Conversation:
    conversation = services.conversations.get(conversation_id)
    if conversation is None:
        raise HTTPException(404, f"no conversation {conversation_id!r}")
    return conversation


def _source(services: Services, citation: Citation) -> SourceOut:
    text = citation.label
    if citation.kind == "product" and (product := services.catalog.product(citation.ref)):
        text = product_line(product)
    elif citation.kind == "order" and (order := services.db.order(citation.ref)):
        text = order_line(order)
    elif citation.kind == "policy":
        passage = next((p for p in services.db.policy_passages() if p.id == citation.ref), None)
        text = passage.text if passage else text
    elif citation.kind == "profile" and (customer := services.db.customer(citation.ref)):
        text = profile_line(customer)
    return SourceOut(kind=citation.kind, ref=citation.ref, label=citation.label, text=text)


@router.get("/api/staff/conversations/{conversation_id}")
def conversation_detail(conversation_id: str, services: ServicesDep, staff: StaffDep) -> StaffConversationDetail:
    conversation = _conversation(services, conversation_id)
    messages = services.conversations.messages(conversation_id)
    customer = services.db.customer(conversation.customer_id) if conversation.customer_id else None
    orders = services.db.orders_for_customer(customer.id) if customer else []
    latest = next((m for m in reversed(messages) if m.role == "assistant" and m.citations), None)
    return StaffConversationDetail(
        id=conversation.id,
        mode=conversation.mode,
        assignee=conversation.assignee,
        customer=CustomerOut(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            address=customer.address.one_line() if customer.address else None,
            payment_methods=[m.label() for m in customer.payment_methods],
        )
        if customer
        else None,
        orders=[OrderSummary.of(o) for o in orders[:20]],
        messages=[StaffMessageOut.of_staff(m, cards(services, m.product_ids)) for m in messages],
        sources=[_source(services, c) for c in latest.citations] if latest else [],
        profile=ProfileOut.of(
            services.profiles.profile(conversation.customer_id, conversation.session_id, services.catalog.product)
        )
        if conversation.customer_id or conversation.session_id
        else None,
    )


@router.post("/api/staff/conversations/{conversation_id}/suggest")
def suggest(conversation_id: str, services: ServicesDep, staff: StaffDep) -> SuggestionOut:
    """A reply to the shopper's last message, drafted by the assistant for staff to edit."""
    _conversation(services, conversation_id)
    suggestion = assistant_of(services).suggest(conversation_id)
    return SuggestionOut(text=suggestion.text, sources=[_source(services, c) for c in suggestion.citations])


@router.post("/api/staff/conversations/{conversation_id}/messages", status_code=201)
def reply(conversation_id: str, body: StaffReplyIn, services: ServicesDep, staff: StaffDep) -> StaffMessageOut:
    """Send a reply to the shopper as staff. Replying takes the conversation over from the assistant."""
    conversation = _conversation(services, conversation_id)
    message = services.conversations.append(conversation_id, "staff", body.text.strip(), author=staff)
    if conversation.mode != "human" or conversation.assignee is None:
        services.conversations.set_mode(conversation_id, "human", assignee=staff)
    return StaffMessageOut.of_staff(message, [])


@router.post("/api/staff/conversations/{conversation_id}/takeover")
def take_over(conversation_id: str, services: ServicesDep, staff: StaffDep) -> ConversationSummary:
    """A person answers from now on; the assistant stays silent in this conversation."""
    _conversation(services, conversation_id)
    services.conversations.set_mode(conversation_id, "human", assignee=staff)
    return _summary(services, _conversation(services, conversation_id))


@router.post("/api/staff/conversations/{conversation_id}/handback")
def hand_back(conversation_id: str, services: ServicesDep, staff: StaffDep) -> ConversationSummary:
    """The assistant answers again."""
    _conversation(services, conversation_id)
    services.conversations.set_mode(conversation_id, "bot")
    return _summary(services, _conversation(services, conversation_id))
