"""Promo copy and the store owner's analytics.

Staff write promo variants (checked against the catalog), pause, resume or retire them, and
read the A/B results, recommendation click-through and chat outcomes (`/staff/analytics`).
Shop pages ask for a promo to show a shopper: the bandit picks the variant and its
impression is logged; the page posts the click and the purchase to `/api/events`.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from agent import VariantResult, wilson_interval
from knowledge import PromoChannel, PromoVariant
from ui.personal_api import profile_of
from ui.schemas import (
    AnalyticsOut,
    ChatOutcomes,
    ProductCard,
    PromoDraftOut,
    PromoOut,
    PromoRequest,
    PromoResultOut,
    PromoStatusIn,
    Rate,
    RecommendationStats,
    ServedPromo,
)
from ui.services import Services
from ui.shopper_api import LimitedShopperDep, ServicesDep
from ui.staff import StaffDep, staff_of

router = APIRouter()
_PAGES = Path(__file__).parent / "static"
# A purchase counts for a recommendation clicked this long before it.
_RECOMMENDATION_WINDOW = timedelta(days=7)


def _rate(successes: int, trials: int) -> Rate:
    if not trials:
        return Rate(value=None, low=None, high=None)
    low, high = wilson_interval(successes, trials)
    return Rate(value=min(successes / trials, 1.0), low=low, high=high)


@router.get("/staff/analytics", response_class=HTMLResponse, include_in_schema=False)
def analytics_page(request: Request) -> Response:
    if not staff_of(request):
        return RedirectResponse("/staff/login?next=/staff/analytics", status_code=303)
    return HTMLResponse((_PAGES / "analytics.html").read_text(encoding="utf-8"))


@router.post("/api/staff/promos", status_code=201)
def write_promos(body: PromoRequest, services: ServicesDep, staff: StaffDep) -> list[PromoDraftOut]:
    """Write promo variants for products (and a customer or segment), checked against the data.

    Copy the model wrote starts `paused` for a person to review; copy built from the facts
    alone (the fallback) starts `live`.
    """
    if services.promo_writer is None:
        raise HTTPException(503, "this server runs without the dialogue model; start it with `aisle serve`")
    products = [services.catalog.product(pid) for pid in body.product_ids]
    missing = [pid for pid, product in zip(body.product_ids, products, strict=True) if product is None]
    if missing:
        raise HTTPException(404, f"no product with id {', '.join(map(repr, missing))}; search to find ids")
    if body.customer_id is not None and services.db.customer(body.customer_id) is None:
        raise HTTPException(404, f"no customer {body.customer_id!r}")
    profile = services.profiles.profile(body.customer_id, None, services.catalog.product) if body.customer_id else None
    found = [p for p in products if p is not None]
    drafts = services.promo_writer.write(found, body.channel, profile=profile, n=body.n, segment=body.segment)
    written = []
    for draft in drafts:
        variant = services.promo_variant(draft, found[0], profile, audience=body.customer_id or body.segment)
        saved = services.promos.save(variant)
        written.append(
            PromoDraftOut(variant=PromoOut.of(saved), origin=draft.origin, notes=[f.describe() for f in draft.fixes])
        )
    return written


@router.post("/api/staff/promos/{promo_id}")
def set_promo_status(promo_id: str, body: PromoStatusIn, services: ServicesDep, staff: StaffDep) -> PromoOut:
    """Put a variant live, pause it, or retire it."""
    return PromoOut.of(services.promos.set_status(promo_id, body.status))


@router.get("/api/staff/promos")
def list_promos(
    services: ServicesDep, staff: StaffDep, product_id: str | None = None, channel: PromoChannel | None = None
) -> list[PromoResultOut]:
    """Every variant (of a product, in a channel) with its results."""
    return _results(services, services.promos.list(product_id=product_id, channel=channel))


def _results(services: Services, variants: list[PromoVariant]) -> list[PromoResultOut]:
    tests: dict[tuple[str, str], list[PromoVariant]] = {}
    for variant in variants:
        tests.setdefault((variant.product_ids[0], variant.channel), []).append(variant)
    rows = []
    for (product_id, channel), members in tests.items():
        result = services.experiment.results(product_id, channel)  # type: ignore[arg-type]
        by_id: dict[str, VariantResult] = {r.promo_id: r for r in result.variants}
        for variant in members:
            found = by_id.get(variant.id)
            titles = [p.title for p in map(services.catalog.product, variant.product_ids) if p]
            impressions = found.impressions if found else 0
            clicks = found.clicks if found else 0
            purchases = found.purchases if found else 0
            rows.append(
                PromoResultOut(
                    **PromoOut.of(variant).model_dump(),
                    product_titles=titles,
                    impressions=impressions,
                    clicks=clicks,
                    purchases=purchases,
                    ctr=_rate(clicks, impressions),
                    cvr=_rate(purchases, clicks),
                    share=found.share if found else 0.0,
                    p_best=found.p_best if found else 0.0,
                    winning=variant.id == result.leader and impressions > 0,
                )
            )
    return rows


def _recommendation_stats(services: Services) -> RecommendationStats:
    shown = services.db.events(placement="recommendation", kinds=("impression", "click"))
    impressions = sum(1 for e in shown if e.kind == "impression")
    clicks = [e for e in shown if e.kind == "click"]
    clicked_at = defaultdict(list)  # (shopper, product) -> when they clicked it
    for event in clicks:
        clicked_at[(event.customer_id or event.session_id or "", event.product_id or "")].append(event.ts)
    purchases = 0
    if clicks:
        since = min(e.ts for e in clicks)
        for event in services.db.events(since=since, kinds=("purchase",)):
            times = clicked_at.get((event.customer_id or event.session_id or "", event.product_id or ""), [])
            if any(t <= event.ts <= t + _RECOMMENDATION_WINDOW for t in times):
                purchases += 1
    return RecommendationStats(
        impressions=impressions, clicks=len(clicks), purchases=purchases, ctr=_rate(len(clicks), impressions)
    )


@router.get("/api/staff/analytics")
def analytics(services: ServicesDep, staff: StaffDep) -> AnalyticsOut:
    """Chat outcomes, recommendation click-through, and every promo variant's A/B results."""
    return AnalyticsOut(
        chat=ChatOutcomes(**services.conversations.outcomes()),
        recommendations=_recommendation_stats(services),
        promos=_results(services, services.promos.list()),
    )


@router.get(
    "/api/promos",
    response_model=ServedPromo,
    responses={204: {"description": "No live promo for this product and channel."}},
)
def serve_promo(
    services: ServicesDep,
    shopper: LimitedShopperDep,
    product_id: Annotated[str, Query(max_length=128)],
    channel: PromoChannel = "chat_banner",
) -> ServedPromo | Response:
    """A promo to show this shopper for a product: the A/B test picks the variant and logs
    the impression. Report clicks and purchases with `POST /api/events` and its `promo_id`."""
    product = services.catalog.product(product_id)
    if product is None:
        raise HTTPException(404, f"no product with id {product_id!r}; search to find ids")
    profile = profile_of(services, shopper)
    variant = services.experiment.serve(
        product, channel, customer_id=shopper.customer_id, session_id=shopper.session_id, profile=profile
    )
    if variant is None:
        return Response(status_code=204)
    return ServedPromo(promo=PromoOut.of(variant), product=ProductCard.of(product))
