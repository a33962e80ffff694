"""Request and response models of the HTTP API.

Response models are allowlists: a field added to a fact model inside Aisle never reaches
a client until it is added here.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from knowledge import EventKind, Message, PolicyPassage, Product
from retrieval import PolicyHit, ProductHit, SearchResult


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

    @classmethod
    def of(cls, product: Product) -> ProductCard:
        return cls(
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
            products=[ProductCard.of(p) for p in products],
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
    follow_ups: list[str]


class EventIn(BaseModel):
    kind: EventKind
    product_id: str | None = Field(default=None, max_length=128)
    variant_id: str | None = Field(default=None, max_length=128)
    query: str | None = Field(default=None, max_length=500)
    quantity: int = Field(default=1, ge=1, le=10_000)
    ts: datetime | None = Field(default=None, description="When it happened; default now.")


class EventAccepted(BaseModel):
    id: str
    stored: bool = Field(description="False when the same event was already recorded.")


# --- staff -------------------------------------------------------------------------------


class ConversationSummary(BaseModel):
    id: str
    mode: str
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


class StaffConversationDetail(BaseModel):
    id: str
    mode: str
    customer: CustomerOut | None
    orders: list[OrderSummary]
    messages: list[StaffMessageOut]
    sources: list[SourceOut] = Field(description="What the assistant's latest answer drew on.")


class SuggestionOut(BaseModel):
    text: str
    sources: list[SourceOut]


class StaffReplyIn(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
