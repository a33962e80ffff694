"""Request and response models of the HTTP API.

Response models are allowlists: a field added to a fact model inside Aisle never reaches
a client until it is added here.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from knowledge import (
    EventKind,
    Message,
    Order,
    Placement,
    PolicyPassage,
    Product,
    PromoChannel,
    PromoStatus,
    PromoVariant,
    ShopperExport,
    ShopperProfile,
)
from retrieval import PolicyHit, ProductHit, Recommendation, SearchResult


class VariantOut(BaseModel):
    id: str
    options: dict[str, str]
    price: float
    in_stock: bool


class ReviewOut(BaseModel):
    rating: float
    comment: str
    date: str | None


class ProductSummary(BaseModel):
    """A product as a search result or a product card shows it."""

    id: str
    title: str
    price: float = Field(description="Price in `currency`; for products with variants, the lowest buyable one.")
    sale_price: float = Field(description="Price after the product's own discount.")
    discount_percent: float
    currency: str
    in_stock: bool
    stock: int | None
    brand: str | None
    category: str
    rating: float | None
    image_url: str | None
    url: str | None

    @classmethod
    def of(cls, product: Product) -> ProductSummary:
        return cls(
            id=product.id,
            title=product.title,
            price=product.price,
            sale_price=product.sale_price,
            discount_percent=product.discount_percent,
            currency=product.currency,
            in_stock=product.in_stock,
            stock=product.stock,
            brand=product.brand,
            category=product.category,
            rating=product.rating,
            image_url=product.image_url,
            url=product.url or f"/products/{quote(product.id, safe='')}",
        )


class ProductDetail(ProductSummary):
    description: str
    tags: list[str]
    warranty: str | None
    shipping: str | None
    return_policy: str | None
    min_order_quantity: int | None
    attributes: dict[str, str]
    variants: list[VariantOut]
    reviews: list[ReviewOut]

    @classmethod
    def of(cls, product: Product) -> ProductDetail:
        return cls(
            **ProductSummary.of(product).model_dump(),
            description=product.description,
            tags=product.tags,
            warranty=product.warranty,
            shipping=product.shipping,
            return_policy=product.return_policy,
            min_order_quantity=product.min_order_quantity,
            attributes=product.attributes,
            variants=[
                VariantOut(id=v.id, options=v.options, price=v.price, in_stock=v.in_stock) for v in product.variants
            ],
            reviews=[
                ReviewOut(rating=r.rating, comment=r.comment, date=r.date.date().isoformat() if r.date else None)
                for r in product.reviews
            ],
        )


class FiltersOut(BaseModel):
    min_price: float | None
    max_price: float | None
    categories: list[str]
    brands: list[str]
    in_stock: bool
    description: str = Field(description='The filters in words, e.g. "under $80, in stock".')


class ProductHitOut(BaseModel):
    product: ProductSummary
    score: float

    @classmethod
    def of(cls, hit: ProductHit) -> ProductHitOut:
        return cls(product=ProductSummary.of(hit.product), score=round(hit.score, 6))


class SearchResponse(BaseModel):
    query: str
    text: str = Field(description="The words matched against products, after filters were read out of the query.")
    filters: FiltersOut
    mode: str
    results: list[ProductHitOut]

    @classmethod
    def of(cls, result: SearchResult) -> SearchResponse:
        f = result.filters
        return cls(
            query=result.query,
            text=result.text,
            mode=result.mode,
            filters=FiltersOut(
                min_price=f.min_price,
                max_price=f.max_price,
                categories=list(f.categories),
                brands=list(f.brands),
                in_stock=f.in_stock,
                description=f.describe(),
            ),
            results=[ProductHitOut.of(hit) for hit in result.hits],
        )


class PassageOut(BaseModel):
    id: str
    policy: str
    section: str
    text: str
    score: float

    @classmethod
    def of(cls, hit: PolicyHit) -> PassageOut:
        passage: PolicyPassage = hit.passage
        return cls(
            id=passage.id,
            policy=passage.policy_title,
            section=passage.section,
            text=passage.text,
            score=round(hit.score, 6),
        )


class Health(BaseModel):
    status: str
    products: int
    policy_passages: int
    embedder: str
    catalog_version: int


class ErrorOut(BaseModel):
    detail: str


# --- chat ------------------------------------------------------------------------------


class ChatRequest(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    message: str = Field(min_length=1, max_length=2000, description="What the shopper wrote.")
    conversation_id: str | None = Field(
        default=None, max_length=64, description="Continue this conversation; omit to start a new one."
    )


class ProductCard(BaseModel):
    """A product as a chat shows it: picture, title, price, stock and a link."""

    id: str
    title: str
    price: float
    sale_price: float
    currency: str
    in_stock: bool
    stock: int | None
    image_url: str | None
    url: str
    reason: str | None = Field(default=None, description='Why it was recommended: "Bought together with …".')

    @classmethod
    def of(cls, product: Product, reason: str | None = None) -> ProductCard:
        return cls(
            reason=reason,
            id=product.id,
            title=product.title,
            price=product.price,
            sale_price=product.sale_price,
            currency=product.currency,
            in_stock=product.in_stock,
            stock=product.stock,
            image_url=product.image_url,
            url=product.url or f"/products/{quote(product.id, safe='')}",
        )


class CitationOut(BaseModel):
    kind: str
    ref: str
    label: str


class MessageOut(BaseModel):
    id: str
    role: str = Field(description="shopper, assistant or staff")
    text: str
    created_at: datetime
    citations: list[CitationOut]
    products: list[ProductCard]

    @classmethod
    def of(cls, message: Message, products: list[Product]) -> MessageOut:
        return cls(
            id=message.id,
            role=message.role,
            text=message.text,
            created_at=message.created_at,
            citations=[CitationOut(kind=c.kind, ref=c.ref, label=c.label) for c in message.citations],
            products=[ProductCard.of(p, message.reasons.get(p.id)) for p in products],
        )


class ConversationOut(BaseModel):
    id: str
    mode: str = Field(description="bot, handoff (waiting for a person) or human (a person has taken over)")
    messages: list[MessageOut]


class ChatFinal(BaseModel):
    """The last server-sent event of a chat turn."""

    conversation_id: str
    message: MessageOut | None = Field(description="The stored answer; null while a person has the conversation.")
    replaced: bool = Field(description="The streamed text was corrected: show message.text instead.")
    handoff: bool
    generated: bool = Field(
        default=False,
        description="The dialogue model wrote this answer (checked against the sources); false for answers "
        "quoted from store data or policy text.",
    )
    follow_ups: list[str]


class EventIn(BaseModel):
    kind: EventKind
    product_id: str | None = Field(default=None, max_length=128)
    variant_id: str | None = Field(default=None, max_length=128)
    query: str | None = Field(default=None, max_length=500)
    quantity: int = Field(default=1, ge=1, le=10_000)
    ts: datetime | None = Field(default=None, description="When it happened; default now.")
    placement: Placement | None = Field(
        default=None, description="Where the product was shown: recommendation, promo, chat or search."
    )
    promo_id: str | None = Field(default=None, max_length=128, description="The promo copy variant shown or clicked.")


class EventAccepted(BaseModel):
    id: str
    stored: bool = Field(description="False when the same event was already recorded.")


# --- staff -------------------------------------------------------------------------------


class ConversationSummary(BaseModel):
    id: str
    mode: str
    assignee: str | None = Field(description="The staff member who has taken the conversation over.")
    customer_id: str | None
    customer_name: str | None
    updated_at: datetime
    last_message: str
    last_role: str | None
    messages: int


class SourceOut(BaseModel):
    kind: str
    ref: str
    label: str
    text: str


class StaffMessageOut(MessageOut):
    intent: str | None
    outcome: str | None
    author: str | None
    flags: list[str] = Field(description="Guardrails this message tripped.")

    @classmethod
    def of_staff(cls, message: Message, products: list[Product]) -> StaffMessageOut:
        base = MessageOut.of(message, products).model_dump()
        return cls(
            **base,
            intent=message.intent,
            outcome=message.outcome,
            author=message.author,
            flags=[f"{v.name}: {v.reason}" for v in message.verdicts if v.tripped],
        )


class CustomerOut(BaseModel):
    id: str
    name: str
    email: str | None
    phone: str | None
    address: str | None
    payment_methods: list[str]


class OrderSummary(BaseModel):
    id: str
    status: str
    created_at: datetime
    total: float | None
    currency: str
    items: list[str]
    tracking: list[str]

    @classmethod
    def of(cls, order: Order) -> OrderSummary:
        return cls(
            id=order.id,
            status=order.status,
            created_at=order.created_at,
            total=order.total,
            currency=order.currency,
            items=[f"{i.quantity} x {i.title}" for i in order.items],
            tracking=[s.tracking_id for s in order.shipments],
        )


class StaffConversationDetail(BaseModel):
    id: str
    mode: str
    assignee: str | None
    customer: CustomerOut | None
    orders: list[OrderSummary]
    messages: list[StaffMessageOut]
    sources: list[SourceOut] = Field(description="What the assistant's latest answer drew on.")
    profile: ProfileOut | None = Field(default=None, description="What the store has learned about the shopper.")


class SuggestionOut(BaseModel):
    text: str
    sources: list[SourceOut]


class StaffReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


# --- personalisation ---------------------------------------------------------------------


class PreferenceOut(BaseModel):
    kind: str
    value: str
    said: str = Field(description="The shopper's own words it was read from.")
    ts: datetime


class ProfileOut(BaseModel):
    """What the store believes about a shopper, and why ("why am I seeing this")."""

    categories: dict[str, float] = Field(description="Category affinities, the strongest 1.0.")
    brands: dict[str, float]
    price_band: dict[str, float] | None = Field(description="low, typical and high price of what they looked at.")
    preferences: list[PreferenceOut]
    recent_searches: list[str]
    events_used: int
    cleared_at: datetime | None
    explanation: list[str] = Field(description="The profile in plain sentences, for the shopper.")

    @classmethod
    def of(cls, profile: ShopperProfile) -> ProfileOut:
        return cls(
            categories=dict(list(profile.categories.items())[:10]),
            brands=dict(list(profile.brands.items())[:10]),
            price_band=profile.price_band.model_dump() if profile.price_band else None,
            preferences=[PreferenceOut(kind=p.kind, value=p.value, said=p.said, ts=p.ts) for p in profile.preferences],
            recent_searches=profile.searches,
            events_used=profile.event_count,
            cleared_at=profile.cleared_at,
            explanation=profile.explain(),
        )


class RecommendationOut(BaseModel):
    product: ProductCard
    reason: str = Field(description='Why it is recommended, from the data: "Bought together with …".')
    score: float

    @classmethod
    def of(cls, recommendation: Recommendation) -> RecommendationOut:
        return cls(
            product=ProductCard.of(recommendation.product, recommendation.reason),
            reason=recommendation.reason,
            score=round(recommendation.score, 6),
        )


# --- promo copy and analytics ------------------------------------------------------------


class Rate(BaseModel):
    value: float | None = Field(description="Successes per trial; null before any trial.")
    low: float | None = Field(description="95% Wilson interval, low end.")
    high: float | None


class PromoOut(BaseModel):
    id: str
    product_ids: list[str]
    channel: str
    audience: str | None
    headline: str
    body: str
    angle: str | None
    status: str
    created_at: datetime
    predicted_ctr: float | None

    @classmethod
    def of(cls, variant: PromoVariant) -> PromoOut:
        return cls(
            id=variant.id,
            product_ids=variant.product_ids,
            channel=variant.channel,
            audience=variant.audience,
            headline=variant.headline,
            body=variant.body,
            angle=variant.angle,
            status=variant.status,
            created_at=variant.created_at,
            predicted_ctr=variant.predicted_ctr,
        )


class ServedPromo(BaseModel):
    """A promo chosen for this shopper; its impression is already recorded. Post a `click`
    (and later `purchase`) event with this `promo_id` and `placement: "promo"`."""

    promo: PromoOut
    product: ProductCard


class PromoRequest(BaseModel):
    product_ids: list[str] = Field(min_length=1, max_length=5)
    channel: PromoChannel = "chat_banner"
    customer_id: str | None = Field(default=None, max_length=128, description="Write for this customer's profile.")
    segment: str | None = Field(default=None, max_length=80, description='A few words, e.g. "runners on a budget".')
    n: int = Field(default=3, ge=1, le=4)


class PromoDraftOut(BaseModel):
    variant: PromoOut
    origin: str = Field(description="model, or template when the model's copy failed the check")
    notes: list[str] = Field(description="What the grounding check repaired or dropped.")


class PromoStatusIn(BaseModel):
    status: PromoStatus


class PromoResultOut(PromoOut):
    product_titles: list[str]
    impressions: int
    clicks: int
    purchases: int
    ctr: Rate
    cvr: Rate = Field(description="Purchases per click.")
    share: float = Field(description="Share of this test's impressions.")
    p_best: float = Field(description="Posterior probability that this variant is the best.")
    winning: bool


class RecommendationStats(BaseModel):
    impressions: int
    clicks: int
    purchases: int = Field(description="Purchases of a recommended product after clicking it.")
    ctr: Rate


class ChatOutcomes(BaseModel):
    resolved: int
    handed_off: int
    unresolved: int


class AnalyticsOut(BaseModel):
    chat: ChatOutcomes
    recommendations: RecommendationStats
    promos: list[PromoResultOut]


# --- privacy -----------------------------------------------------------------------------


class ShopperExportOut(BaseModel):
    """Everything Aisle holds about the shopper, as JSON."""

    customer: dict | None = Field(description="The store's customer record (saved cards shown by label only).")
    orders: list[OrderSummary]
    events: list[dict]
    preferences: list[PreferenceOut]
    conversations: list[ConversationOut]

    @classmethod
    def of(cls, export: ShopperExport) -> ShopperExportOut:
        customer = export.customer
        return cls(
            customer={
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "address": customer.address.one_line() if customer.address else None,
                "payment_methods": [m.label() for m in customer.payment_methods],
            }
            if customer
            else None,
            orders=[OrderSummary.of(o) for o in export.orders],
            events=[e.model_dump(mode="json", exclude_none=True) for e in export.events],
            preferences=[PreferenceOut(kind=p.kind, value=p.value, said=p.said, ts=p.ts) for p in export.preferences],
            conversations=[
                ConversationOut(
                    id=c.id,
                    mode=c.mode,
                    messages=[MessageOut.of(m, []) for m in messages],
                )
                for c, messages in export.conversations
            ],
        )


class ForgetOut(BaseModel):
    events: int
    conversations: int
    messages: int
    preferences: int
    note: str = Field(description="What was not deleted here, and why.")
