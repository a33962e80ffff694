"""The shopper's own profile ("why am I seeing this", and clearing it) and recommendations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from agent import Shopper
from knowledge import Event, ShopperData, ShopperProfile
from ui.schemas import ForgetOut, ProfileOut, RecommendationOut, ShopperExportOut
from ui.services import Services
from ui.shopper_api import LimitedShopperDep, ServicesDep, ShopperDep

router = APIRouter()


def profile_of(services: Services, shopper: Shopper) -> ShopperProfile:
    if not (shopper.customer_id or shopper.session_id):
        raise HTTPException(401, "send a signed shopper token or an X-Aisle-Session header to have a profile")
    return services.profiles.profile(shopper.customer_id, shopper.session_id, services.catalog.product)


@router.get("/api/profile")
def get_profile(services: ServicesDep, shopper: ShopperDep) -> ProfileOut:
    """What the store has learned about you from what you viewed, searched, bought and said."""
    return ProfileOut.of(profile_of(services, shopper))


@router.delete("/api/profile")
def clear_profile(services: ServicesDep, shopper: ShopperDep) -> ProfileOut:
    """Forget what you told us and stop personalising on what you did until now."""
    profile_of(services, shopper)  # the same identity check
    services.profiles.clear(shopper.customer_id, shopper.session_id)
    return ProfileOut.of(profile_of(services, shopper))


@router.get("/api/recommendations")
def recommendations(
    services: ServicesDep,
    shopper: LimitedShopperDep,
    k: Annotated[int, Query(ge=1, le=50, description="How many products.")] = 6,
    max_price: Annotated[float | None, Query(ge=0, description="Only products at or under this price.")] = None,
) -> list[RecommendationOut]:
    """Products picked for you, each with the reason; popular products for a shopper we don't know yet."""
    profile = profile_of(services, shopper)
    budget = max_price if max_price is not None else profile.budget
    picks = services.recommender.recommend(profile, k=k, max_price=budget)
    # Logged as shown, so the store can measure recommendation click-through (the page
    # posts a `click` event with placement "recommendation" when one is opened).
    now = datetime.now(UTC)
    services.db.add_events(
        Event(
            kind="impression",
            ts=now,
            customer_id=shopper.customer_id,
            session_id=shopper.session_id,
            product_id=pick.product.id,
            placement="recommendation",
        )
        for pick in picks
    )
    return [RecommendationOut.of(pick) for pick in picks]


# Orders and the customer record come from the store's own systems (the store folder).
FORGET_NOTE = (
    "Your conversations, activity and stated preferences are deleted. Orders and your account "
    "details belong to the store's own systems: ask the store to delete those there."
)


@router.get("/api/me/data")
def export_my_data(services: ServicesDep, shopper: LimitedShopperDep) -> ShopperExportOut:
    """Everything this store's assistant holds about you: account, orders, activity, preferences, chats."""
    return ShopperExportOut.of(ShopperData(services.db).export(shopper.customer_id, shopper.session_id))


@router.delete("/api/me/data")
def forget_me(services: ServicesDep, shopper: LimitedShopperDep) -> ForgetOut:
    """Delete your conversations, activity and stated preferences."""
    report = ShopperData(services.db).forget(shopper.customer_id, shopper.session_id)
    return ForgetOut(
        events=report.events,
        conversations=report.conversations,
        messages=report.messages,
        preferences=report.preferences,
        note=FORGET_NOTE,
    )
