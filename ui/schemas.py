"""Request and response models of the HTTP API.

Response models are allowlists: a field added to a fact model inside Aisle never reaches
a client until it is added here.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from knowledge import PolicyPassage, Product
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
            url=product.url,
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
